/*
 * Lab 11 - event loop: evfetch fetches pages from the kit's loopback
 * server (common/pageserver.h) on one thread, with non-blocking sockets and
 * a poll() loop (evloop.c). Each test runs evfetch as a process of its own
 * and checks what it printed against what the server must have sent: every
 * "page ... ok" line carries the FNV-1a hash of the body received, which
 * the test recomputes from pageserver_body() here, outside the student's
 * process. Speed only as the ratio of two runs in one test; one thread as
 * "no pthread_create and no fork beyond the server's works"; spinning as
 * CPU time against wall time.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pageserver.h"
#include "run.h"

#define LAB "11-event-loop"
#define MAX_PAGES 2100

TestSuite(lab11_loop, .timeout = 40);
TestSuite(lab11_failures, .timeout = 40);
TestSuite(lab11_scale, .timeout = 60);

struct page {
    bool seen, ok;
    char name[PAGESERVER_NAME_MAX + 1];
    size_t bytes;
    unsigned fnv;
    double done;
    char why[200];
};

/* What one evfetch run printed. */
struct fetched {
    struct page page[MAX_PAGES];
    int lines;      /* "page" lines */
    int fds_before; /* "descriptors: A open before the downloads, B after" */
    int fds_after;  /* (-1 when missing) */
    long blocker;   /* the page whose handler blocked (-b), or -1 */
};

static const char *const CORE_HINT =
    "Hint: TODO(11.1) connect (non-blocking, EINPROGRESS, then SO_ERROR), "
    "TODO(11.2) send, TODO(11.3)/(11.4) read the header and body, "
    "TODO(11.5) the poll set, TODO(11.6) the poll timeout.";

/* A deadline for evfetch -t, in ms as text: base ms, times the timeout
 * scale (slow sanitizer and valgrind runs get more time). */
static const char *scaled_ms(char *buf, size_t len, double base_ms)
{
    snprintf(buf, len, "%.0f", base_ms * run_timeout_scale());
    return buf;
}

/* Wall-time ratios mean something (not under valgrind or a whole-run
 * sanitizer build, whose start-up costs swamp the waits). */
static bool timing_is_measurable(void)
{
    return run_cpu_is_measurable();
}

/* run_expect_success, which writes "Hint: " itself. */
static void expect_success(const struct run_result *r, const char *hint)
{
    run_expect_success(r, strncmp(hint, "Hint: ", 6) == 0 ? hint + 6 : hint);
}

static unsigned fnv1a(const char *p, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* The hash of the page the server sends for name. */
static unsigned expected_fnv(const char *name)
{
    char body[PAGESERVER_BODY_LEN];
    pageserver_body(name, body, sizeof body);
    return fnv1a(body, sizeof body);
}

static void parse_page(struct fetched *f, const char *l)
{
    long i;
    int at = 0;
    char name[PAGESERVER_NAME_MAX + 1], status[16];
    if (sscanf(l, "page %ld %64s %15s %n", &i, name, status, &at) != 3 ||
        i < 0 || i >= MAX_PAGES)
        return;
    struct page *p = &f->page[i];
    f->lines++;
    p->seen = true;
    snprintf(p->name, sizeof p->name, "%s", name);
    if (strcmp(status, "ok") == 0) {
        p->ok = sscanf(l + at, "bytes %zu fnv1a %x done %lf", &p->bytes,
                       &p->fnv, &p->done) == 3;
        if (strstr(l, "(then its handler blocked)") != NULL)
            f->blocker = i;
    } else if (sscanf(l + at, "done %lf s: %n", &p->done, &at) == 1) {
        const char *why = strstr(l, " s: ");
        snprintf(p->why, sizeof p->why, "%s", why != NULL ? why + 4 : "");
    }
}

static struct fetched *parse(const struct run_result *r)
{
    struct fetched *f = calloc(1, sizeof *f);
    cr_assert(f != NULL);
    f->fds_before = f->fds_after = -1;
    f->blocker = -1;
    char **lines = run_lines(r->out, NULL);
    for (char **l = lines; *l != NULL; l++) {
        if (strncmp(*l, "page ", 5) == 0)
            parse_page(f, *l);
        else
            (void)sscanf(*l, "descriptors: %d open before the downloads, %d",
                         &f->fds_before, &f->fds_after);
    }
    run_free_lines(lines);
    return f;
}

/* Pages 0..n-1 named page<i>, all ok with the right body. */
static void expect_pages_ok(const struct run_result *r, const struct fetched *f,
                            int n, const char *hint)
{
    for (int i = 0; i < n; i++) {
        const struct page *p = &f->page[i];
        char want[32];
        snprintf(want, sizeof want, "page%d", i);
        cr_assert(p->seen && p->ok,
                  "`%s`: expected a line 'page %d page%d ok bytes 1024 fnv1a "
                  "... done T s'; %s%s.\n%s\nstderr:\n%.1500s",
                  r->desc, i, i, p->seen ? "it failed: " : "there is none",
                  p->why, hint, r->err);
        cr_assert(strcmp(p->name, want) == 0 &&
                      p->bytes == PAGESERVER_BODY_LEN &&
                      p->fnv == expected_fnv(want),
                  "`%s`: page %d (%s) came with %zu bytes hashing to %08x; "
                  "expected the %d bytes of page%d, hash %08x. Bytes lost or "
                  "doubled across short reads?\n%s",
                  r->desc, i, p->name, p->bytes, p->fnv, PAGESERVER_BODY_LEN, i,
                  expected_fnv(want), hint);
    }
    for (int i = n; i < MAX_PAGES; i++)
        cr_assert(!f->page[i].ok, "`%s`: page %d is one too many.", r->desc, i);
}

static void expect_no_fd_leak(const struct run_result *r,
                              const struct fetched *f, const char *hint)
{
    cr_assert(f->fds_before >= 0 && f->fds_before == f->fds_after,
              "`%s`: expected as many open descriptors after the downloads "
              "as before ('descriptors: A open before the downloads, A "
              "after'); saw %d before, %d after. A socket not closed on some "
              "path?\n%s",
              r->desc, f->fds_before, f->fds_after, hint);
}

/* ---- the loop ---------------------------------------------------------- */

Test(lab11_loop, eight_pages_arrive_whole_and_verified)
{
    struct run_result *r = RUN("evfetch", "-n", "8", "-d", "100");
    expect_success(r, CORE_HINT);
    struct fetched *f = parse(r);
    expect_pages_ok(r, f, 8, CORE_HINT);
    expect_no_fd_leak(r, f, CORE_HINT);
    cr_assert(strstr(r->out, "result: 8 of 8 pages ok") != NULL,
              "`%s`: expected 'result: 8 of 8 pages ok'. Output:\n%s", r->desc,
              r->out);
    free(f);
    run_free(r);
}

Test(lab11_loop, eight_pages_overlap_like_threads_not_one_after_another)
{
    /* Two runs of the same program: their start-up costs (a process, the
     * server's fork) cancel in the difference, however busy the machine.
     * Overlapped, 7 more pages add nothing; one after another they would
     * add 7 x 400 ms. */
    struct run_result *one = RUN("evfetch", "-n", "1", "-d", "400");
    expect_success(one, CORE_HINT);
    struct run_result *r = RUN("evfetch", "-n", "8", "-d", "400");
    expect_success(r, CORE_HINT);
    cr_assert(!timing_is_measurable() || (r->elapsed - one->elapsed < 0.8 &&
                                          r->elapsed < 3 * one->elapsed),
              "8 pages of 400 ms took %.3f s, one page %.3f s: the 7 more "
              "pages added %.3f s; expected under 0.8 s (ideally 0; one "
              "after another they add 2.8 s): the waits must overlap.\n"
              "Hint: a step must never wait (no loop until the header is "
              "complete, no blocking socket): return and let poll() say "
              "when to go on. TODO(11.3), (11.5).",
              r->elapsed, one->elapsed, r->elapsed - one->elapsed);
    run_free(one);
    run_free(r);
}

Test(lab11_loop, runs_on_one_thread_without_extra_processes)
{
    /* evfetch forks once, for the server; any other fork or any
     * pthread_create fails here, and the downloads with it. */
    static const char *const env[] = {"KIT_FAIL_PTHREAD_CREATE_AT=1",
                                      "KIT_FAIL_FORK_AT=2", NULL};
    struct run_opts o = {.perturb = true, .env = env};
    struct run_result *r = RUN_WITH(&o, "evfetch", "-n", "32", "-d", "100");
    expect_success(r,
                   "With pthread_create failing and no fork but the server's "
                   "allowed, the event loop must still fetch every page: one "
                   "thread, one process.");
    struct fetched *f = parse(r);
    expect_pages_ok(r, f, 32, CORE_HINT);
    free(f);
    run_free(r);
    /* The check means something: threads mode cannot run like this. */
    r = RUN_WITH(&o, "evfetch", "-m", "threads", "-n", "4", "-d", "0");
    cr_assert_neq(r->exit_code, 0,
                  "(test check) threads mode should fail with "
                  "pthread_create failing");
    run_free(r);
}

Test(lab11_loop, waits_in_poll_without_spinning)
{
    char t[32];
    struct run_result *r =
        RUN("evfetch", "-d", "300", "-t", scaled_ms(t, sizeof t, 600), "page0",
            "page1", "!stall");
    cr_assert_eq(r->exit_code, 1, "`%s` (one stalled page) %s; expected 1.",
                 r->desc, run_how_ended(r));
    struct fetched *f = parse(r);
    expect_pages_ok(r, f, 2, CORE_HINT);
    free(f);
    cr_assert(!run_cpu_is_measurable() || r->cpu_seconds < 0.05 * r->elapsed,
              "`%s` used %.3f s of CPU in %.3f s: the loop spins instead of "
              "waiting in poll() (expected under 5%% of the wall time).\nHint: "
              "TODO(11.5): ask POLLOUT only while "
              "connecting or sending, POLLIN while reading; TODO(11.6): the "
              "timeout is the time to the nearest deadline, in ms, rounded "
              "up (never 0 while nothing is due).",
              r->desc, r->cpu_seconds, r->elapsed);
    run_free(r);
}

Test(lab11_loop, short_reads_of_a_few_bytes_still_give_whole_bodies)
{
    static const char *const env[] = {"KIT_SHORT_IO=1", NULL};
    struct run_opts o = {.perturb = true, .env = env};
    const char *hint =
        "Hint: with KIT_SHORT_IO=1 every read returns 1 to 7 bytes: the "
        "header line comes in pieces (TODO 11.3: read at d->in + d->got, "
        "look for '\\n' only in what came) and the body too (TODO 11.4).";
    struct run_result *r = RUN_WITH(&o, "evfetch", "-n", "16", "-d", "50");
    expect_success(r, hint);
    struct fetched *f = parse(r);
    expect_pages_ok(r, f, 16, hint);
    expect_no_fd_leak(r, f, hint);
    free(f);
    run_free(r);
}

Test(lab11_loop, is_clean_under_asan_on_every_path)
{
    struct run_opts o = {.sanitizer = RUN_ASAN,
                         .hint = "Hint: a read past d->in (TODO 11.3/11.4)?"};
    struct run_result *r = RUN_WITH(&o, "evfetch", "-n", "8", "-d", "50");
    expect_success(r, CORE_HINT);
    struct fetched *f = parse(r);
    expect_pages_ok(r, f, 8, CORE_HINT);
    free(f);
    run_free(r);
    r = RUN_WITH(&o, "evfetch", "-d", "50", "-t", "300", "page0", "!close",
                 "!garbage", "!half", "!stall", "page5");
    cr_assert_eq(r->exit_code, 1,
                 "`%s` %s; expected status 1 (pages "
                 "failed). stderr:\n%s",
                 r->desc, run_how_ended(r), r->err);
    run_free(r);
}

/* ---- failures ------------------------------------------------------------ */

static void expect_failed(const struct run_result *r, const struct page *p,
                          const char *name, const char *reason,
                          const char *hint)
{
    cr_assert(p->seen && !p->ok && strcmp(p->name, name) == 0 &&
                  strstr(p->why, reason) != NULL,
              "`%s`: expected page %s to be reported 'FAILED done T s: ...%s"
              "...'; saw %s%s%s.\n%s\nOutput:\n%.3000s",
              r->desc, name, reason,
              p->seen ? (p->ok ? "it ok" : "'") : "no line",
              p->seen && !p->ok ? p->why : "", p->seen && !p->ok ? "'" : "",
              hint, r->out);
}

Test(lab11_failures, each_misbehaving_server_reply_fails_its_download_only)
{
    char t[32];
    struct run_result *r =
        RUN("evfetch", "-d", "50", "-t", scaled_ms(t, sizeof t, 700), "page0",
            "!close", "!garbage", "!half", "!stall", "page5");
    cr_assert(!r->timed_out,
              "`%s` never ended: a stalled server must be given up at its "
              "deadline.\nHint: TODO(11.6), the poll timeout.",
              r->desc);
    cr_assert_eq(r->exit_code, 1,
                 "`%s` %s; expected status 1 (4 pages failed). stderr:\n%s",
                 r->desc, run_how_ended(r), r->err);
    struct fetched *f = parse(r);
    static const char *const ok[] = {"page0", "page5"};
    for (int k = 0; k < 2; k++) {
        const struct page *p = &f->page[k == 0 ? 0 : 5];
        cr_assert(p->ok && p->fnv == expected_fnv(ok[k]),
                  "`%s`: %s must arrive whole beside the failing pages. "
                  "Output:\n%s\n%s",
                  r->desc, ok[k], r->out, CORE_HINT);
    }
    expect_failed(r, &f->page[1], "!close", "closed before the reply",
                  "Hint: TODO(11.3): read() returning 0 is end-of-file.");
    expect_failed(r, &f->page[2], "!garbage", "not the protocol",
                  "Hint: TODO(11.3): parse_header() refuses it.");
    expect_failed(r, &f->page[3], "!half", "closed after 512 of 1024",
                  "Hint: TODO(11.4): end-of-file before the whole body.");
    expect_failed(r, &f->page[4], "!stall", "timed out",
                  "Hint: TODO(11.6): poll() must wake at the deadline.");
    cr_assert(f->page[4].done >= 0.85 * atof(t) / 1000,
              "`%s`: the stalled page was given up at %.3f s, before its "
              "%s ms deadline.",
              r->desc, f->page[4].done, t);
    cr_assert(f->page[0].done < f->page[4].done,
              "`%s`: page0 finished at %.3f s, after the stalled page gave "
              "up (%.3f s): one slow peer held up another.\n%s",
              r->desc, f->page[0].done, f->page[4].done, CORE_HINT);
    expect_no_fd_leak(r, f, CORE_HINT);
    free(f);
    run_free(r);
}

Test(lab11_failures, a_refused_connection_fails_each_download_cleanly)
{
    /* A port bound but not listening: every connect is refused, and no
     * other program can take the port while we hold it. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(s != -1);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert(bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
              getsockname(s, (struct sockaddr *)&a, &len) == 0);
    char port[16];
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    struct run_result *r = RUN("evfetch", "-p", port, "-n", "4", "-d", "10");
    close(s);
    cr_assert_eq(r->exit_code, 1,
                 "`%s` (nobody listening) %s; expected status 1, each "
                 "download reported. stderr:\n%s",
                 r->desc, run_how_ended(r), r->err);
    struct fetched *f = parse(r);
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "page%d", i);
        expect_failed(r, &f->page[i], name, "refused",
                      "Hint: TODO(11.1): an immediate ECONNREFUSED, or "
                      "SO_ERROR after POLLOUT, fails that download "
                      "(download_fail), never the program.");
    }
    expect_no_fd_leak(r, f,
                      "Hint: TODO(11.1): fail a download with "
                      "download_fail()/fail_errno(), which close its "
                      "socket.");
    free(f);
    run_free(r);
}

Test(lab11_failures, a_blocking_handler_delays_every_other_download)
{
    struct run_result *r = RUN("evfetch", "-n", "6", "-d", "100", "-b", "400");
    expect_success(r, CORE_HINT);
    struct fetched *f = parse(r);
    cr_assert(f->blocker >= 0,
              "`%s`: no page says '(then its handler "
              "blocked)'. Output:\n%s",
              r->desc, r->out);
    double first = f->page[f->blocker].done;
    for (int i = 0; i < 6; i++)
        cr_assert(i == f->blocker || f->page[i].done >= first + 0.3,
                  "`%s`: page %d finished at %.3f s, though the loop was "
                  "blocked from %.3f s for 400 ms by page %ld's handler. A "
                  "loop runs one handler at a time. Output:\n%s",
                  r->desc, i, f->page[i].done, first, f->blocker, r->out);
    free(f);
    run_free(r);
}

Test(lab11_failures, bad_arguments_are_refused_and_the_default_is_the_lecture)
{
    static const char *const bad[][4] = {{"-n", "0"},          {"-d", "-1"},
                                         {"-m", "fibers"},     {"-t", "x"},
                                         {"-n", "3", "page0"}, {"-p", "70000"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[6] = {"evfetch"};
        for (int k = 0; k < 4 && bad[i][k] != NULL; k++)
            argv[k + 1] = bad[i][k];
        struct run_result *r = run_program(LAB, argv, NULL);
        cr_assert(r->exit_code == 2 && strstr(r->err, "usage:") != NULL,
                  "`%s` should be refused with a usage line on stderr and "
                  "status 2; it %s. stderr:\n%s",
                  r->desc, run_how_ended(r), r->err);
        run_free(r);
    }
    struct run_result *r = RUN("evfetch", "--help");
    cr_assert(r->exit_code == 0 && strncmp(r->out, "usage: ", 7) == 0,
              "`evfetch --help` should print the usage on stdout, status 0; "
              "it %s.",
              run_how_ended(r));
    run_free(r);
    /* Bare: the lecture's example, 8 pages of 200 ms. */
    r = RUN("evfetch");
    expect_success(r, CORE_HINT);
    struct fetched *f = parse(r);
    expect_pages_ok(r, f, 8, CORE_HINT);
    free(f);
    run_free(r);
}

/* ---- scale ----------------------------------------------------------------
 */

Test(lab11_scale, two_thousand_slow_requests_at_once_on_one_thread)
{
    struct run_result *one = RUN("evfetch", "-n", "1", "-d", "500");
    expect_success(one, CORE_HINT);
    struct run_opts o = {.timeout = 30};
    struct run_result *r = RUN_WITH(&o, "evfetch", "-n", "2000", "-d", "500");
    expect_success(r, CORE_HINT);
    struct fetched *f = parse(r);
    expect_pages_ok(r, f, 2000, CORE_HINT);
    expect_no_fd_leak(r, f, CORE_HINT);
    /* Start-up costs cancel in the difference. What remains is the work of
     * 2000 handshakes, requests and replies (about 0.4 s of CPU for the
     * program, the server and the kernel, stretched on a busy machine:
     * 2.4 s with a load of 50 on 2 cores). Fetched 200 at a time or fewer,
     * the pages would add 10 x 500 ms or more. */
    cr_assert(!timing_is_measurable() || r->elapsed - one->elapsed < 5.0,
              "2000 pages of 500 ms took %.3f s, one page %.3f s: the "
              "1999 more pages added %.3f s; expected under 5 s (10 x the "
              "delay): all 2000 must wait at once.\n%s",
              r->elapsed, one->elapsed, r->elapsed - one->elapsed, CORE_HINT);
    free(f);
    run_free(one);
    run_free(r);
}

Test(lab11_scale, the_descriptor_limit_is_raised_as_needed_within_the_hard_one)
{
    /* evfetch inherits our limits: a low soft limit must be raised. */
    struct rlimit lim;
    cr_assert(getrlimit(RLIMIT_NOFILE, &lim) == 0);
    struct rlimit low = {.rlim_cur = 128, .rlim_max = lim.rlim_max};
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < 400)
        cr_skip_test("the hard descriptor limit is too low for this test");
    cr_assert(setrlimit(RLIMIT_NOFILE, &low) == 0);
    struct run_result *r = RUN("evfetch", "-n", "300", "-d", "100");
    cr_assert(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    expect_success(r, CORE_HINT);
    struct fetched *f = parse(r);
    expect_pages_ok(r, f, 300, CORE_HINT);
    free(f);
    cr_assert(strstr(r->out, "descriptors: soft limit raised from 128") != NULL,
              "`%s` with a soft limit of 128: expected the line "
              "'descriptors: soft limit raised from 128 to ...'.",
              r->desc);
    run_free(r);
    if (lim.rlim_max == RLIM_INFINITY || lim.rlim_max >= 100000)
        return; /* no -n can exceed it */
    char n[32];
    snprintf(n, sizeof n, "%llu", (unsigned long long)lim.rlim_max);
    r = RUN("evfetch", "-n", n, "-q");
    cr_assert(r->exit_code == 1 && strstr(r->err, "hard limit") != NULL,
              "`%s` asks for more descriptors than the hard limit %s: "
              "expected status 1 and a message naming the hard limit; it "
              "%s. stderr:\n%s",
              r->desc, n, run_how_ended(r), r->err);
    run_free(r);
}
