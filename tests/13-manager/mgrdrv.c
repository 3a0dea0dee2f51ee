/*
 * mgrdrv.c - lab 13's test driver. It starts the manager program of the
 * build under test (beside this driver), runs client processes through
 * the client API under test (mgr.h) next to hostile clients written here,
 * reads the server's data back with its own protocol code (not the code
 * under test), then stops the server. It prints facts, one per line;
 * tests/13-manager.c judges them.
 *
 *   mgrdrv -m count [-T unix|tcp] [-n N] [-k K] [-x none|half|garbage|flood]
 *   mgrdrv -m ops [-T ...]      the API's answers, one "op" line each
 *   mgrdrv -m kill [-n N]       SIGKILL the server while clients work
 *   mgrdrv -m mute              a server (written here) that reads a
 *                               request and closes without a reply
 *   mgrdrv -m stop [-T ...] [-s TERM|INT]   start, look, stop
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mgr.h"

#define MAXC 64

static const char *mode = "count", *transport = "unix", *hostile = "none";
static int nclients = 4, stop_sig = SIGTERM;
static long incrs = 500;

struct srv {
    pid_t pid;
    int out;
    char dir[64], path[108], addr[160];
};

static _Noreturn void fail(const char *what)
{
    printf("driver error %s: %s\n", what, strerror(errno));
    exit(3);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* One line from fd (without '\n') within ms; 0, or -1 (timeout/EOF). */
static int line_within(int fd, char *buf, size_t size, int ms)
{
    size_t n = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, ms);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        char c;
        ssize_t got = read(fd, &c, 1);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        if (c == '\n' || n + 1 == size) {
            buf[n] = '\0';
            return 0;
        }
        buf[n++] = c;
    }
}

static void start_manager(struct srv *s, const char *self)
{
    char prog[PATH_MAX], exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) { /* argv[0] may be a bare name: the path of this driver */
        exe[n] = '\0';
        self = exe;
    }
    const char *slash = strrchr(self, '/');
    snprintf(prog, sizeof prog, "%.*smanager",
             slash ? (int)(slash - self + 1) : 0, self);
    char *argv[] = {"manager", "-t", "0", NULL};
    if (strcmp(transport, "unix") == 0) {
        snprintf(s->dir, sizeof s->dir, "/tmp/mgrdrv.XXXXXX");
        if (mkdtemp(s->dir) == NULL)
            fail("mkdtemp");
        snprintf(s->path, sizeof s->path, "%s/socket", s->dir);
        argv[1] = "-u";
        argv[2] = s->path;
    }
    int p[2];
    if (pipe(p) == -1)
        fail("pipe");
    fflush(stdout);
    if ((s->pid = fork()) == -1)
        fail("fork");
    if (s->pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execv(prog, argv);
        _exit(127);
    }
    close(p[1]);
    s->out = p[0];
    char line[256];
    const char *at;
    if (line_within(s->out, line, sizeof line, 5000) == -1 ||
        (at = strstr(line, "serving on ")) == NULL) {
        printf("server never said where it serves\n");
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        if (s->path[0])
            unlink(s->path), rmdir(s->dir);
        exit(4);
    }
    snprintf(s->addr, sizeof s->addr, "%s", at + 11);
    printf("server address %s\n", s->addr);
}

/* Wait for pid until deadline_ms; SIGKILL it after. Its status, or -1 if
 * it had to be killed. */
static int wait_until(pid_t pid, int deadline_ms, int *status)
{
    for (int t = 0;; t += 5) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r == -1 && errno != EINTR)
            fail("waitpid");
        if (t >= deadline_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return -1;
        }
        sleep_ms(5);
    }
}

static void say_end(const char *who, int status, int ok)
{
    if (ok == -1)
        printf("end %s: hung\n", who);
    else if (WIFEXITED(status))
        printf("end %s: exited %d\n", who, WEXITSTATUS(status));
    else
        printf("end %s: signal %d\n", who, WTERMSIG(status));
}

static void stop_manager(struct srv *s, int sig)
{
    char line[256];
    if (sig != 0 && kill(s->pid, sig) == -1)
        fail("kill");
    while (line_within(s->out, line, sizeof line, 5000) == 0)
        printf("manager| %s\n", line);
    close(s->out);
    int status;
    say_end("server", status, wait_until(s->pid, 5000, &status));
    if (s->path[0]) {
        bool left = access(s->path, F_OK) == 0;
        printf("socket left %s\n", left ? "yes" : "no");
        if (left)
            unlink(s->path);
        rmdir(s->dir);
    }
}

/* ---- the protocol, written here again (not the code under test) ---- */

static int raw_connect(const char *addr)
{
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    struct sockaddr_in in = {.sin_family = AF_INET};
    int port, fd;
    if (strncmp(addr, "unix:", 5) == 0) {
        snprintf(un.sun_path, sizeof un.sun_path, "%s", addr + 5);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd != -1 && connect(fd, (void *)&un, sizeof un) == 0)
            return fd;
    } else if (sscanf(addr, "tcp:127.0.0.1:%d", &port) == 1) {
        in.sin_port = htons((uint16_t)port);
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd != -1 && connect(fd, (void *)&in, sizeof in) == 0)
            return fd;
    }
    fail("raw connect");
}

static int raw_send(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Send req (with its '\n'), read the reply line: 0, or -1 (none). */
static int raw_cmd(int fd, const char *req, char *reply, size_t size)
{
    static bool silent; /* one request went unanswered: do not wait again */
    if (silent || raw_send(fd, req, strlen(req)) == -1)
        return -1;
    if (line_within(fd, reply, size, 3000) == -1) {
        silent = true;
        return -1;
    }
    return 0;
}

static long raw_number(int fd, const char *req)
{
    char reply[MGR_LINE_MAX * 2];
    long v;
    if (raw_cmd(fd, req, reply, sizeof reply) == -1)
        return -1000000000L;
    return sscanf(reply, "OK %ld", &v) == 1 ? v : -2000000000L;
}

/* ---- the clients ----------------------------------------------------- */

static _Noreturn void normal_client(int c, const char *addr, long k)
{
    long *seen = calloc((size_t)k, sizeof *seen);
    struct mgr *m = mgr_connect(addr);
    long done = 0;
    if (m == NULL || seen == NULL) {
        printf("client %d error %d (%s) after 0\n", c, errno, strerror(errno));
        _exit(1);
    }
    for (; done < k; done++) {
        if (mgr_dict_incr(m, "hits", 1, &seen[done]) == -1 ||
            mgr_list_append(m, c, NULL) == -1) {
            printf("client %d error %d (%s) after %ld\n", c, errno,
                   strerror(errno), done);
            _exit(1);
        }
    }
    mgr_close(m);
    for (long i = 0; i < k; i += 32) {
        char line[32 * 12 + 32];
        int n = snprintf(line, sizeof line, "values %d:", c);
        for (long j = i; j < k && j < i + 32; j++)
            n += snprintf(line + n, sizeof line - (size_t)n, " %ld", seen[j]);
        printf("%s\n", line);
    }
    free(seen);
    _exit(0);
}

static void garbage_client(const char *addr)
{
    static const char *const junk[] = {"FOO bar\n",
                                       "INCR hits notanumber\n",
                                       "GET\n",
                                       "\x01\x02\xff\xfe\n",
                                       "SET bad key 1\n",
                                       "ITEM 999999\n",
                                       "\n",
                                       "INCR hits 1 2\n"};
    int fd = raw_connect(addr);
    char reply[512];
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        if (raw_cmd(fd, junk[i], reply, sizeof reply) == -1)
            snprintf(reply, sizeof reply, "(no reply)");
        printf("garbage reply %zu: %s\n", i, reply);
    }
    if (raw_cmd(fd, "LEN\n", reply, sizeof reply) == -1)
        snprintf(reply, sizeof reply, "(no reply)");
    printf("garbage then LEN: %s\n", reply);
    char big[400];
    memset(big, 'A', sizeof big);
    if (raw_send(fd, big, sizeof big) == -1 ||
        line_within(fd, reply, sizeof reply, 3000) == -1)
        snprintf(reply, sizeof reply, "(no reply)");
    printf("too long reply: %s\n", reply);
    printf("too long then closed: %s\n",
           line_within(fd, reply, sizeof reply, 3000) == -1 ? "yes" : "no");
    close(fd);
}

static void half_clients(const char *addr)
{
    for (int i = 0; i < 20; i++) {
        int fd = raw_connect(addr);
        const char *half = i % 2 ? "INCR hits 5" : "INCR hi";
        raw_send(fd, half, strlen(half));
        if (i % 4 == 0)
            sleep_ms(5);
        close(fd); /* gone mid-request */
    }
    for (int i = 0; i < 5; i++) { /* many requests, gone before the replies */
        int fd = raw_connect(addr);
        char many[40 * 4];
        for (size_t j = 0; j < sizeof many; j += 4)
            memcpy(many + j, "LEN\n", 4);
        raw_send(fd, many, sizeof many);
        close(fd);
    }
    printf("hostile half done\n");
}

/* Floods INCR flood 1 without reading a reply, until the socket is full,
 * then holds the connection open until its stdin closes. */
static void flood_client(const char *addr, int hold_fd)
{
    int fd = raw_connect(addr);
    if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
        fail("fcntl");
    long sent = 0;
    const char *req = "INCR flood 1\n";
    for (int idle = 0; idle < 50 && sent < (8L << 20);) {
        ssize_t n = send(fd, req, strlen(req), MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
            idle = 0;
        } else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            idle++;
            sleep_ms(2);
        } else {
            break;
        }
    }
    printf("flood sent %ld bytes\n", sent);
    fflush(stdout);
    char c;
    (void)read(hold_fd, &c, 1); /* until the driver says go */
    close(fd);
}

static pid_t fork_or_fail(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == -1)
        fail("fork");
    return pid;
}

/* The server's data, read with the code above. */
static void report_totals(const char *addr)
{
    int fd = raw_connect(addr);
    long hits = raw_number(fd, "GET hits\n"), len = raw_number(fd, "LEN\n");
    printf("final hits %ld len %ld\n", hits, len);
    long count[MAXC] = {0}, other = 0;
    char req[64];
    for (long i = 0; i < len; i++) {
        snprintf(req, sizeof req, "ITEM %ld\n", i);
        long v = raw_number(fd, req);
        if (v >= 0 && v < MAXC)
            count[v]++;
        else
            other++;
    }
    for (int c = 0; c < nclients; c++)
        printf("count %d %ld\n", c, count[c]);
    printf("count other %ld\n", other);
    if (strcmp(hostile, "flood") == 0)
        printf("final flood %ld\n", raw_number(fd, "GET flood\n"));
    close(fd);
}

static void run_count(struct srv *s)
{
    pid_t pids[MAXC], bad = -1;
    int hold[2];
    if (pipe(hold) == -1)
        fail("pipe");
    if (strcmp(hostile, "none") != 0 && (bad = fork_or_fail()) == 0) {
        close(hold[1]);
        if (strcmp(hostile, "half") == 0)
            half_clients(s->addr);
        else if (strcmp(hostile, "garbage") == 0)
            garbage_client(s->addr);
        else
            flood_client(s->addr, hold[0]);
        fflush(stdout);
        _exit(0);
    }
    if (strcmp(hostile, "flood") == 0)
        sleep_ms(300); /* let the flood fill the socket first */
    for (int c = 0; c < nclients; c++)
        if ((pids[c] = fork_or_fail()) == 0)
            normal_client(c, s->addr, incrs);
    for (int c = 0; c < nclients; c++) {
        int status;
        char who[32];
        snprintf(who, sizeof who, "client %d", c);
        say_end(who, status, wait_until(pids[c], 8000, &status));
    }
    close(hold[0]);
    close(hold[1]);
    if (bad != -1) {
        int status;
        say_end("hostile", status, wait_until(bad, 8000, &status));
    }
    report_totals(s->addr);
}

#define OP(name, call)                                                         \
    do {                                                                       \
        long v_ = 0;                                                           \
        errno = 0;                                                             \
        int rc_ = (call);                                                      \
        printf("op %s rc %d errno %d value %ld\n", name, rc_,                  \
               rc_ == -1 ? errno : 0, v_);                                     \
    } while (0)

static void run_ops(struct srv *s)
{
    struct mgr *m = mgr_connect(s->addr);
    if (m == NULL)
        fail("mgr_connect");
    char longkey[MGR_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    OP("get-missing", mgr_dict_get(m, "nokey", &v_));
    OP("set", mgr_dict_set(m, "a", 41));
    OP("get", mgr_dict_get(m, "a", &v_));
    OP("incr", mgr_dict_incr(m, "a", 1, &v_));
    OP("incr-negative", mgr_dict_incr(m, "a", -50, &v_));
    OP("incr-new", mgr_dict_incr(m, "b", 7, &v_));
    OP("len-empty", mgr_list_len(m, &v_));
    OP("append", mgr_list_append(m, 10, &v_));
    OP("append-negative", mgr_list_append(m, -3, &v_));
    OP("len", mgr_list_len(m, &v_));
    OP("item0", mgr_list_get(m, 0, &v_));
    OP("item1", mgr_list_get(m, 1, &v_));
    OP("item-past-end", mgr_list_get(m, 2, &v_));
    OP("item-negative", mgr_list_get(m, -1, &v_));
    OP("set-max", mgr_dict_set(m, "big", LONG_MAX));
    OP("incr-overflow", mgr_dict_incr(m, "big", 1, &v_));
    OP("get-after-overflow", mgr_dict_get(m, "big", &v_));
    OP("key-too-long", mgr_dict_set(m, longkey, 1));
    OP("get-after-errors", mgr_dict_get(m, "a", &v_));
    OP("close", mgr_close(m));
}

static void run_kill(struct srv *s)
{
    pid_t pids[MAXC];
    for (int c = 0; c < nclients; c++)
        if ((pids[c] = fork_or_fail()) == 0)
            normal_client(c, s->addr, incrs);
    int fd = raw_connect(s->addr);
    long hits = -1;
    for (int t = 0; t < 500 && (hits = raw_number(fd, "GET hits\n")) < 200; t++)
        sleep_ms(10);
    close(fd);
    /* the clients were working when the server died (not failing from
     * the start): the test checks this line */
    printf("hits before the kill %ld\n", hits);
    kill(s->pid, SIGKILL);
    printf("server killed\n");
    for (int c = 0; c < nclients; c++) {
        int status;
        char who[32];
        snprintf(who, sizeof who, "client %d", c);
        say_end(who, status, wait_until(pids[c], 5000, &status));
    }
}

/* A server written here that reads each request line and closes the
 * connection cleanly without replying: the client API must see the
 * end-of-file and fail (ECONNRESET), not read again for ever. */
static void run_mute(void)
{
    char dir[] = "/tmp/mgrdrv.XXXXXX", path[64];
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (mkdtemp(dir) == NULL || lfd == -1)
        fail("mute server");
    snprintf(path, sizeof path, "%s/socket", dir);
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) == -1 ||
        listen(lfd, 8) == -1)
        fail("mute server: bind/listen");
    pid_t mute = fork_or_fail();
    if (mute == 0) {
        for (;;) {
            int c = accept(lfd, NULL, NULL);
            char buf[MGR_LINE_MAX];
            ssize_t n = 0;
            while (c != -1 && (n = read(c, buf, sizeof buf)) > 0 &&
                   !memchr(buf, '\n', (size_t)n))
                ;
            if (c != -1)
                close(c);
        }
    }
    close(lfd);
    char addr[160];
    snprintf(addr, sizeof addr, "unix:%s", path);
    pid_t client = fork_or_fail();
    if (client == 0) {
        struct mgr *m = mgr_connect(addr);
        long v = 0;
        int rc = m == NULL ? -2 : mgr_dict_get(m, "hits", &v);
        printf("mute get rc %d errno %d (%s)\n", rc, rc ? errno : 0,
               rc ? strerror(errno) : "-");
        _exit(rc == -1 ? 1 : 0);
    }
    int status;
    say_end("mute client", status, wait_until(client, 3000, &status));
    kill(mute, SIGKILL);
    waitpid(mute, NULL, 0);
    unlink(path);
    rmdir(dir);
}

/* Where the TCP server listens, from /proc/net/tcp (state 0A: LISTEN). */
static void report_listen(const struct srv *s)
{
    int port;
    if (sscanf(s->addr, "tcp:127.0.0.1:%d", &port) != 1)
        return;
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512], local[64], state[8];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        unsigned ip, p;
        if (sscanf(line, "%*d: %63s %*s %7s", local, state) == 2 &&
            sscanf(local, "%8X:%4X", &ip, &p) == 2 && (int)p == port &&
            strcmp(state, "0A") == 0)
            printf("listening on %08X\n", ip);
    }
    if (f != NULL)
        fclose(f);
}

int main(int argc, char *argv[])
{
    int opt;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "m:T:n:k:x:s:")) != -1) {
        switch (opt) {
        case 'm':
            mode = optarg;
            break;
        case 'T':
            transport = optarg;
            break;
        case 'n':
            nclients = atoi(optarg);
            break; /* test code: trusted */
        case 'k':
            incrs = atol(optarg);
            break;
        case 'x':
            hostile = optarg;
            break;
        case 's':
            stop_sig = strcmp(optarg, "INT") ? SIGTERM : SIGINT;
            break;
        default:
            return 2;
        }
    }
    if (nclients < 1 || nclients > MAXC || incrs < 1)
        return 2;
    struct srv s = {0};
    start_manager(&s, argv[0]);
    if (strcmp(mode, "count") == 0)
        run_count(&s);
    else if (strcmp(mode, "ops") == 0)
        run_ops(&s);
    else if (strcmp(mode, "kill") == 0)
        run_kill(&s);
    else if (strcmp(mode, "mute") == 0)
        run_mute();
    else
        report_listen(&s);
    stop_manager(&s, strcmp(mode, "kill") == 0 ? 0 : stop_sig);
    printf("driver done\n");
    return 0;
}
