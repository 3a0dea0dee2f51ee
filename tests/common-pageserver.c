/*
 * common-pageserver.c - tests of the kit's loopback page server
 * (common/pageserver.h), which labs 10-13 use as their "network".
 *
 * The server is a forked child that only ever ends with _exit (never
 * touching Criterion); every test stops and reaps it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#define usleep_ms(ms) nanosleep(&(struct timespec){0, (ms)*1000000L}, NULL)
#include <unistd.h>

#include "io.h"
#include "pageserver.h"

TestSuite(common_pageserver, .timeout = 20);

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int send_request(int port, const char *name, int delay_ms)
{
    int fd = pageserver_connect(port);
    cr_assert_neq(fd, -1, "pageserver_connect: %s", strerror(errno));
    char req[128];
    int len = snprintf(req, sizeof req, "GET %s %d\n", name, delay_ms);
    cr_assert_eq(io_write_all(fd, req, (size_t)len), 0, "write: %s",
                 strerror(errno));
    return fd;
}

/* The whole reply to one request (NUL-terminated); its length in *len. */
static char *reply(int fd, size_t *len)
{
    char *buf = malloc(4096);
    cr_assert_not_null(buf);
    ssize_t n = io_read_all(fd, buf, 4095);
    cr_assert_neq(n, -1, "read: %s", strerror(errno));
    buf[n] = '\0';
    *len = (size_t)n;
    close(fd);
    return buf;
}

static void expect_page(int fd, const char *name)
{
    size_t len;
    char *got = reply(fd, &len);
    char want[PAGESERVER_BODY_LEN];
    size_t head = strlen("OK 1024\n");
    pageserver_body(name, want, sizeof want);
    cr_expect_eq(len, head + PAGESERVER_BODY_LEN,
                 "page %s: %zu bytes, want %zu", name, len,
                 head + PAGESERVER_BODY_LEN);
    cr_expect(strncmp(got, "OK 1024\n", head) == 0, "page %s: header %.10s",
              name, got);
    cr_expect(len < head || memcmp(got + head, want, len - head) == 0,
              "page %s: wrong body", name);
    free(got);
}

Test(common_pageserver, serves_pages_and_stops_cleanly)
{
    struct pageserver s;
    cr_assert_eq(pageserver_start(&s, 0), 0, "pageserver_start: %s",
                 strerror(errno));
    cr_assert_gt(s.port, 0);
    expect_page(send_request(s.port, "index", 10), "index");
    expect_page(send_request(s.port, "a.b-c_9", 0), "a.b-c_9");
    cr_assert_eq(pageserver_stop(&s), 0, "pageserver_stop: %s",
                 strerror(errno));
    cr_assert_eq(waitpid(s.pid, NULL, WNOHANG), -1,
                 "the server was not reaped");
}

Test(common_pageserver, misbehaves_on_request_and_refuses_bad_requests)
{
    struct pageserver s;
    size_t len;
    cr_assert_eq(pageserver_start(&s, 0), 0, "pageserver_start: %s",
                 strerror(errno));
    char *got = reply(send_request(s.port, "!close", 0), &len);
    cr_expect_eq(len, 0, "!close sent %zu bytes", len);
    free(got);
    got = reply(send_request(s.port, "!half", 0), &len);
    cr_expect_eq(len, strlen("OK 1024\n") + PAGESERVER_BODY_LEN / 2,
                 "!half sent %zu", len);
    free(got);
    got = reply(send_request(s.port, "!garbage", 0), &len);
    cr_expect(len > 0 && strncmp(got, "OK ", 3) != 0, "!garbage sent: %.20s",
              got);
    free(got);
    got = reply(send_request(s.port, "../etc/passwd", 0), &len);
    cr_expect(strncmp(got, "ERR ", 4) == 0, "a bad name got: %.20s", got);
    free(got);
    cr_assert_eq(pageserver_stop(&s), 0, "pageserver_stop: %s",
                 strerror(errno));
}

/* Many requests wait at once: 300 concurrent requests of 300 ms take far
 * less than 300 times one (compared in this run; 3x one is generous). */
Test(common_pageserver, waits_overlap_for_hundreds_of_connections)
{
    enum { N = 300, DELAY = 300 };
    struct pageserver s;
    cr_assert_eq(pageserver_start(&s, 0), 0, "pageserver_start: %s",
                 strerror(errno));
    double t0 = now_s();
    expect_page(send_request(s.port, "one", DELAY), "one");
    double one = now_s() - t0;
    static int fds[N];
    t0 = now_s();
    for (int i = 0; i < N; i++)
        fds[i] = send_request(s.port, "many", DELAY);
    for (int i = 0; i < N; i++)
        expect_page(fds[i], "many");
    double many = now_s() - t0;
    cr_expect_lt(many, 3 * one, "%d requests took %.3f s, one took %.3f s", N,
                 many, one);
    cr_assert_eq(pageserver_stop(&s), 0, "pageserver_stop: %s",
                 strerror(errno));
}

/* A client that stalls the server's reply does not stop it from ending. */
Test(common_pageserver, stops_with_a_stalled_connection_open)
{
    struct pageserver s;
    cr_assert_eq(pageserver_start(&s, 0), 0, "pageserver_start: %s",
                 strerror(errno));
    int fd = send_request(s.port, "!stall", 0);
    expect_page(send_request(s.port, "after", 0), "after"); /* both accepted */
    cr_assert_eq(pageserver_stop(&s), 0, "pageserver_stop: %s",
                 strerror(errno));
    char c;
    cr_expect_eq(read(fd, &c, 1), 0,
                 "a stalled connection should see end-of-file at stop");
    close(fd);
}

/* The server dies with the program that started it, even by SIGKILL. */
Test(common_pageserver, dies_with_its_parent)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t mid = fork();
    cr_assert_neq(mid, -1);
    if (mid == 0) {
        struct pageserver s;
        if (pageserver_start(&s, 0) == -1)
            _exit(1);
        if (write(p[1], &s.pid, sizeof s.pid) != (ssize_t)sizeof s.pid)
            _exit(1);
        pause();
        _exit(0);
    }
    pid_t server;
    cr_assert_eq(read(p[0], &server, sizeof server), (ssize_t)sizeof server);
    kill(mid, SIGKILL);
    waitpid(mid, NULL, 0);
    int alive = 1;
    for (int i = 0; i < 200 && alive; i++) { /* up to 2 s */
        alive = kill(server, 0) == 0;
        usleep_ms(10);
    }
    cr_expect(!alive, "the server (pid %d) outlived its parent", (int)server);
    if (alive)
        kill(server, SIGKILL);
}

/* Stopped at once, over and over: a SIGTERM that comes before the
 * server's first poll() must still end it (it once hung 1 time in 30). */
Test(common_pageserver, stops_right_after_it_starts_every_time)
{
    for (int i = 0; i < 60; i++) {
        struct pageserver s;
        cr_assert_eq(pageserver_start(&s, 0), 0, "pageserver_start: %s",
                     strerror(errno));
        cr_assert_eq(pageserver_stop(&s), 0, "stop %d: %s", i, strerror(errno));
    }
}
