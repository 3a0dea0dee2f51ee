/*
 * Lab 13 - manager: a server process owns a dictionary and a list; client
 * processes use them through mgr.h over a UNIX-domain socket or TCP on
 * loopback. Most tests run the driver tests/13-manager/mgrdrv.c: it starts
 * the manager program under test, runs clients through the client API
 * under test beside hostile clients of its own (half a request, garbage, a
 * flood), reads the server's data back with its own protocol code, and
 * prints facts that the tests judge here. Properties only: every INCR
 * value seen exactly once, exact totals, each client's items, how each
 * process ended, the socket file gone.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "killer.h"
#include "run.h"

#define LAB "13-manager"

TestSuite(lab13_manager, .timeout = 40);
TestSuite(lab13_programs, .timeout = 60);

static const char *const API_HINT =
    "Hint: the client's TODO(13.1) (send the whole request) and TODO(13.2) "
    "(read until the reply's '\\n'), the server's TODO(13.4) (take whole "
    "lines) and TODO(13.3) (dispatch one request).";

#define DRV(opts, ...)                                                         \
    run_program(LAB, (const char *const[]){"mgrdrv", __VA_ARGS__, NULL}, (opts))

/* The driver ran to its end. */
static void expect_driver_done(struct run_result *r, const char *hint)
{
    cr_assert(!r->timed_out && r->exit_code == 0 &&
                  strstr(r->out, "driver done") != NULL,
              "`%s` %s before its end (a client or the server that never "
              "answers?). Its output:\n%.3000s\n%s\n%s",
              r->desc, run_how_ended(r), r->out, r->err, hint);
}

/* The line "prefix ..." says rest, exactly. */
static void expect_line(const struct run_result *r, const char *prefix,
                        const char *want, const char *why, const char *hint)
{
    const char *l = run_line_starting(r->out, prefix);
    char seen[256] = "(no such line)";
    if (l != NULL)
        snprintf(seen, sizeof seen, "%.*s", (int)strcspn(l, "\n"), l);
    char wanted[256];
    snprintf(wanted, sizeof wanted, "%s%s", prefix, want);
    cr_assert_str_eq(seen, wanted, "`%s`: %s\nExpected: %s\nSeen:     %s\n%s",
                     r->desc, why, wanted, seen, hint);
}

static void expect_clients_ok(const struct run_result *r, int n,
                              const char *hint)
{
    for (int c = 0; c < n; c++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "end client %d: ", c);
        expect_line(r, prefix, "exited 0",
                    "every client process should finish its work and exit 0. "
                    "Its error line, if any, is in the output:",
                    hint);
    }
}

/* INCR's answers: with n x k increments of one key, each value 1..n*k
 * must be seen exactly once (a lost update shows as a value seen twice). */
static void expect_each_value_once(const struct run_result *r, long total)
{
    char *seen = calloc((size_t)total + 1, 1);
    cr_assert(seen != NULL);
    long count = 0, twice = -1, outside = -1;
    char **lines = run_lines(r->out, NULL);
    for (char **l = lines; *l != NULL; l++) {
        char *p = strchr(*l, ':');
        if (strncmp(*l, "values ", 7) != 0 || p == NULL)
            continue;
        for (char *end; (void)(end = NULL), *++p != '\0'; p = end) {
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            count++;
            if (v < 1 || v > total)
                outside = v;
            else if (seen[v]++)
                twice = v;
            if (*end == '\0')
                break;
        }
    }
    run_free_lines(lines);
    free(seen);
    cr_assert(outside == -1 && twice == -1 && count == total,
              "`%s`: the clients' INCR hits 1 should return each of 1..%ld "
              "exactly once (the server applies one at a time); saw %ld "
              "answers%s%ld.\nHint: TODO(13.3): INCR returns the NEW value; "
              "TODO(13.2): one reply per request, read to its '\\n'.",
              r->desc, total, count,
              twice != -1 ? ", a value twice: " : ", a value out of range: ",
              twice != -1 ? twice : outside);
}

/* The server's data, read by the driver's own code, is exact. */
static void expect_exact(const struct run_result *r, int n, long k,
                         const char *hint)
{
    char want[96];
    snprintf(want, sizeof want, "%ld len %ld", n * k, n * k);
    expect_line(r, "final hits ", want,
                "after every client's k x (INCR hits 1, APPEND its number), "
                "hits and the list's length should both be clients x k",
                hint);
    for (int c = 0; c < n; c++) {
        char prefix[32], w[32];
        snprintf(prefix, sizeof prefix, "count %d ", c);
        snprintf(w, sizeof w, "%ld", k);
        expect_line(r, prefix, w,
                    "each client's number should be in the list k times", hint);
    }
    expect_each_value_once(r, n * k);
}

static void expect_clean_stop(const struct run_result *r, bool unix_socket)
{
    expect_line(r, "end server: ", "exited 0",
                "on SIGTERM or SIGINT the manager should stop cleanly and "
                "exit 0",
                "Hint: the manager's loop leaves on the signal's byte in the "
                "stop pipe; main then removes the socket and returns 0.");
    if (unix_socket)
        expect_line(r, "socket left ", "no",
                    "the manager must remove its socket file when it stops",
                    "Hint: unlink() the path on every way out.");
}

static void count_test(const char *transport, const char *hostile, int n,
                       const char *hint)
{
    char ns[16];
    snprintf(ns, sizeof ns, "%d", n);
    struct run_result *r = DRV(NULL, "-m", "count", "-T", transport, "-n", ns,
                               "-k", "400", "-x", hostile);
    expect_driver_done(r, hint);
    expect_clients_ok(r, n, hint);
    expect_exact(r, n, 400, hint);
    expect_clean_stop(r, strcmp(transport, "unix") == 0);
    run_free(r);
}

Test(lab13_manager, the_api_answers_as_the_protocol_says)
{
    static const char *const want[][2] = {
        {"get-missing ", "rc -1 errno 2 value 0"},
        {"set ", "rc 0 errno 0 value 0"},
        {"get ", "rc 0 errno 0 value 41"},
        {"incr ", "rc 0 errno 0 value 42"},
        {"incr-negative ", "rc 0 errno 0 value -8"},
        {"incr-new ", "rc 0 errno 0 value 7"},
        {"len-empty ", "rc 0 errno 0 value 0"},
        {"append ", "rc 0 errno 0 value 1"},
        {"append-negative ", "rc 0 errno 0 value 2"},
        {"len ", "rc 0 errno 0 value 2"},
        {"item0 ", "rc 0 errno 0 value 10"},
        {"item1 ", "rc 0 errno 0 value -3"},
        {"item-past-end ", "rc -1 errno 34 value 0"},
        {"item-negative ", "rc -1 errno 34 value 0"},
        {"incr-overflow ", "rc -1 errno 34 value 0"},
        {"get-after-overflow ", "rc 0 errno 0 value 9223372036854775807"},
        {"key-too-long ", "rc -1 errno 22 value 0"},
        {"get-after-errors ", "rc 0 errno 0 value -8"},
    };
    struct run_result *r = DRV(NULL, "-m", "ops");
    expect_driver_done(r, API_HINT);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "op %s", want[i][0]);
        expect_line(r, prefix, want[i][1],
                    "the client API's answer (rc, errno, value) for this "
                    "request; errno 2 ENOENT, 22 EINVAL, 34 ERANGE (mgr.h)",
                    "Hint: TODO(13.3) (GET of a missing key: \"no such key\"; "
                    "ITEM outside 0..len-1: \"index out of range\"; INCR and "
                    "APPEND return the new value and length).");
    }
    expect_clean_stop(r, true);
    run_free(r);
}

Test(lab13_manager, n_clients_count_exactly_over_a_unix_socket)
{
    count_test("unix", "none", 4, API_HINT);
}

Test(lab13_manager, n_clients_count_exactly_over_tcp_on_loopback)
{
    count_test("tcp", "none", 4, API_HINT);
}

Test(lab13_manager, a_client_that_dies_mid_request_harms_no_one)
{
    count_test("unix", "half", 3,
               "Hint: TODO(13.4): only a whole line (ending in '\\n') is a "
               "request; a client gone with half a line (\"INCR hits 5\" and "
               "no '\\n') must change nothing, and replies to a client that "
               "has gone must not end the server (MSG_NOSIGNAL).");
}

Test(lab13_manager, garbage_gets_an_error_and_the_server_goes_on)
{
    struct run_result *r =
        DRV(NULL, "-m", "count", "-n", "2", "-k", "200", "-x", "garbage");
    const char *hint = "Hint: TODO(13.3): a request that is not the protocol "
                       "gets \"ERR reason\" and changes nothing; TODO(13.4): "
                       "a line with no '\\n' within MGR_LINE_MAX bytes gets "
                       "\"ERR line too long\" and that connection is closed.";
    expect_driver_done(r, hint);
    for (int i = 0; i < 8; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "garbage reply %d: ", i);
        const char *l = run_line_starting(r->out, prefix);
        cr_assert(l != NULL && strncmp(l + strlen(prefix), "ERR ", 4) == 0,
                  "`%s`: garbage request %d should be answered \"ERR "
                  "reason\"; the driver saw:\n%.3000s\n%s",
                  r->desc, i, r->out, hint);
    }
    cr_assert(strstr(r->out, "garbage then LEN: OK ") != NULL,
              "`%s`: after garbage, the same connection should still work "
              "(LEN answered OK n); output:\n%.3000s\n%s",
              r->desc, r->out, hint);
    expect_line(r, "too long reply: ", "ERR line too long",
                "400 bytes with no newline should get this error", hint);
    expect_line(r, "too long then closed: ", "yes",
                "after a line too long, the server should close that "
                "connection",
                hint);
    expect_clients_ok(r, 2, hint);
    expect_exact(r, 2, 200, hint);
    expect_clean_stop(r, true);
    run_free(r);
}

Test(lab13_manager, a_client_that_floods_without_reading_stalls_no_one)
{
    struct run_result *r =
        DRV(NULL, "-m", "count", "-n", "2", "-k", "300", "-x", "flood");
    const char *hint =
        "Hint: one client that sends requests and never reads the replies "
        "must not block the server: replies wait in that client's buffer, "
        "the socket is non-blocking, and the server stops reading that "
        "client until it drains (server.c's flush and serve_conn).";
    expect_driver_done(r, hint);
    expect_clients_ok(r, 2, hint);
    expect_exact(r, 2, 300, hint);
    expect_clean_stop(r, true);
    run_free(r);
}

Test(lab13_manager, shutdown_on_sigterm_or_sigint_removes_the_socket)
{
    struct run_result *r = DRV(NULL, "-m", "stop", "-s", "TERM");
    expect_driver_done(r, API_HINT);
    expect_clean_stop(r, true);
    run_free(r);
    r = DRV(NULL, "-m", "stop", "-s", "INT");
    expect_driver_done(r, API_HINT);
    expect_clean_stop(r, true);
    run_free(r);
    r = DRV(NULL, "-m", "stop", "-T", "tcp");
    expect_driver_done(r, API_HINT);
    expect_line(r, "listening on ", "0100007F",
                "a TCP manager must listen on 127.0.0.1 only (0100007F in "
                "/proc/net/tcp), never on every address",
                "Hint: server_listen_tcp binds INADDR_LOOPBACK.");
    expect_clean_stop(r, false);
    run_free(r);
    /* The same checks need a working server: the totals of one client. */
    count_test("unix", "none", 1, API_HINT);
}

Test(lab13_manager, a_killed_server_makes_clients_fail_clearly_not_hang)
{
    struct run_result *r = DRV(NULL, "-m", "kill", "-n", "3", "-k", "1000000");
    const char *hint =
        "Hint: TODO(13.2): read() returning 0 means the server has gone: "
        "fail with ECONNRESET, never return a made-up value or wait again; "
        "TODO(13.1): send with MSG_NOSIGNAL, so that the client gets EPIPE "
        "instead of dying of SIGPIPE.";
    expect_driver_done(r, hint);
    cr_assert(strstr(r->out, "server killed") != NULL,
              "`%s`: the driver never killed the server:\n%.2000s", r->desc,
              r->out);
    const char *before = run_line_starting(r->out, "hits before the kill ");
    long hits = before != NULL
                    ? strtol(before + strlen("hits before the kill "), NULL, 10)
                    : -1;
    cr_assert_geq(hits, 200,
                  "`%s`: the clients should have counted at least 200 hits "
                  "through the server before it was killed; it held %ld%s. The "
                  "API and the server must work first (TODO 13.1-13.4).\n%s",
                  r->desc, hits < 0 ? 0 : hits,
                  hits < 0 ? " (GET hits got no number back)" : "", hint);
    for (int c = 0; c < 3; c++) {
        char prefix[32], err[32];
        snprintf(prefix, sizeof prefix, "end client %d: ", c);
        expect_line(r, prefix, "exited 1",
                    "when the server dies, each client's next call must fail "
                    "(-1, errno set), and the client exit 1 - not hang, not "
                    "die of a signal, not go on",
                    hint);
        snprintf(err, sizeof err, "client %d error ", c);
        cr_assert(strstr(r->out, err) != NULL,
                  "`%s`: client %d should report the failed call's error; "
                  "output:\n%.3000s\n%s",
                  r->desc, c, r->out, hint);
    }
    run_free(r);
}

/* The server reads the request and closes without a reply: a clean
 * end-of-file, which the API must turn into an error at once. */
Test(lab13_manager,
     a_server_that_closes_without_replying_is_an_error_not_a_wait)
{
    struct run_result *r = DRV(NULL, "-m", "mute");
    const char *hint = "Hint: TODO(13.2): read() returning 0 means the server "
                       "closed the connection: set errno to ECONNRESET and "
                       "return -1; reading again returns 0 for ever.";
    expect_driver_done(r, hint);
    expect_line(r, "end mute client: ", "exited 1",
                "a reply that never comes because the server closed the "
                "connection must make the call fail (-1), not wait or "
                "succeed",
                hint);
    cr_assert(
        strstr(r->out, "mute get rc -1 errno 104") != NULL,
        "`%s`: the call should fail with ECONNRESET; output:\n%.2000s\n%s",
        r->desc, r->out, hint);
    run_free(r);
}

Test(lab13_manager, exact_even_when_every_read_returns_a_few_bytes)
{
    static const char *const short_io[] = {"KIT_SHORT_IO=1", NULL};
    struct run_opts opts = {.timeout = 30, .perturb = true, .env = short_io};
    struct run_result *r =
        DRV(&opts, "-m", "count", "-n", "3", "-k", "150", "-x", "half");
    const char *hint = "Hint: a socket is a byte stream: one read() may bring "
                       "1 byte of a reply. TODO(13.2): keep reading into the "
                       "buffer until the '\\n' is there; TODO(13.4): keep a "
                       "half line until the rest comes.";
    expect_driver_done(r, hint);
    expect_clients_ok(r, 3, hint);
    expect_exact(r, 3, 150, hint);
    expect_clean_stop(r, true);
    run_free(r);
}

Test(lab13_manager, no_race_under_tsan_and_no_leak_under_asan)
{
    const char *hint = "Hint: the sanitizer's report above names the line; "
                       "TODO(13.2) and TODO(13.4) must stay inside their "
                       "buffers (MGR_LINE_MAX, IN_SIZE).";
    struct run_opts t = {.timeout = 30, .sanitizer = RUN_TSAN, .hint = hint};
    struct run_result *r =
        DRV(&t, "-m", "count", "-n", "2", "-k", "100", "-x", "half");
    expect_driver_done(r, hint);
    expect_exact(r, 2, 100, hint);
    run_free(r);
    struct run_opts a = {.timeout = 30, .sanitizer = RUN_ASAN, .hint = hint};
    r = DRV(&a, "-m", "count", "-n", "2", "-k", "100", "-x", "garbage");
    expect_driver_done(r, hint);
    expect_exact(r, 2, 100, hint);
    run_free(r);
}

/* ---- the programs ------------------------------------------------------ */

static const char *const COUNTER_HINT =
    "Hint: TODO(13.5) (fork every client before waiting for any) and "
    "TODO(13.6) (waitpid each, and count one that did not exit 0 as "
    "failed); the client calls need TODO(13.1)-(13.4).";

static void expect_refused(struct run_result *r)
{
    cr_assert_eq(r->exit_code, 2,
                 "`%s` should be refused with status 2; it %s.", r->desc,
                 run_how_ended(r));
    cr_assert(strstr(r->err, "usage:") != NULL,
              "`%s` should print a usage line on stderr; stderr was:\n%s",
              r->desc, r->err);
    run_free(r);
}

static void expect_help(struct run_result *r)
{
    cr_assert(r->exit_code == 0 && strncmp(r->out, "usage: ", 7) == 0,
              "`%s` should print its usage line on stdout and exit 0; it "
              "%s, stdout:\n%s",
              r->desc, run_how_ended(r), r->out);
    run_free(r);
}

/* counter's totals lines, and its socket file gone afterwards. */
static void expect_counter_exact(struct run_result *r, long total)
{
    cr_assert_eq(r->exit_code, 0, "`%s` %s; expected status 0. stderr:\n%s\n%s",
                 r->desc, run_how_ended(r), r->err, COUNTER_HINT);
    long hits = -1, len = -1;
    const char *h = run_line_starting(r->out, "hits = ");
    const char *l = run_line_starting(r->out, "list: ");
    cr_assert(h != NULL && sscanf(h, "hits = %ld", &hits) == 1 && l != NULL &&
                  sscanf(l, "list: %ld items", &len) == 1 && hits == total &&
                  len == total,
              "`%s` should print \"hits = %ld\" and \"list: %ld items\"; "
              "output:\n%.2000s\n%s",
              r->desc, total, total, r->out, COUNTER_HINT);
    const char *at = strstr(r->out, " on unix:");
    if (at != NULL) {
        char path[256];
        if (sscanf(at, " on unix:%255s", path) == 1)
            cr_assert(access(path, F_OK) == -1,
                      "`%s` left its socket %s behind.", r->desc, path);
    }
}

Test(lab13_programs, counter_shows_exact_totals_over_unix_and_tcp)
{
    struct run_result *r = RUN("counter");
    expect_counter_exact(r, 4000);
    cr_assert_eq(run_count_lines(r->out, ": done, its last INCR returned"), 4,
                 "`counter` should print one \"done\" line per client (4); "
                 "output:\n%s\n%s",
                 r->out, COUNTER_HINT);
    run_free(r);
    r = RUN("counter", "-t", "-n", "6", "-k", "300");
    expect_counter_exact(r, 1800);
    cr_assert(strstr(r->out, "tcp:127.0.0.1:") != NULL,
              "`%s` should say its tcp:127.0.0.1:PORT address:\n%s", r->desc,
              r->out);
    run_free(r);
    expect_refused(RUN("counter", "-n", "0"));
    expect_refused(RUN("counter", "-p", "5000"));
    expect_refused(RUN("manager", "-t", "70000"));
    expect_refused(RUN("manager", "-u", "/tmp/x", "-t", "0"));
    expect_help(RUN("counter", "-h"));
    expect_help(RUN("manager", "--help"));
}

Test(lab13_programs, counter_exits_1_when_a_child_is_killed)
{
    /* The killer kills a child of counter: the server or a client. Either
     * way the run cannot be exact: counter must say so and exit 1, having
     * reaped everyone and removed its socket, without hanging. */
    struct run_killer *k = run_killer_start("counter", SIGKILL);
    struct run_opts opts = {.timeout = 30};
    struct run_result *r =
        RUN_WITH(&opts, "counter", "-n", "3", "-k", "1000000");
    pid_t victim = run_killer_stop(k);
    cr_assert(victim > 0,
              "the test found no child of counter to kill "
              "(counter ended too soon?):\n%s\n%s",
              r->out, COUNTER_HINT);
    cr_assert(!r->timed_out && r->exit_code == 1,
              "`%s`: a child was killed (pid %ld); counter should report it "
              "and exit 1, but it %s.\nstdout:\n%.2000s\nstderr:\n%.2000s\n%s",
              r->desc, (long)victim, run_how_ended(r), r->out, r->err,
              COUNTER_HINT);
    cr_assert(strstr(r->err, "clients failed") != NULL,
              "`%s`: counter should say how many clients failed (the killed "
              "one, or all of them when the server was killed); stderr:\n"
              "%s\n%s",
              r->desc, r->err, COUNTER_HINT);
    cr_assert(strstr(r->err, "signal 9") != NULL,
              "`%s`: counter should say which child was killed by signal 9 "
              "(status_describe); stderr:\n%s\n%s",
              r->desc, r->err, COUNTER_HINT);
    const char *at = strstr(r->out, " on unix:");
    char path[256];
    if (at != NULL && sscanf(at, " on unix:%255s", path) == 1)
        cr_assert(access(path, F_OK) == -1, "`%s` left its socket %s behind.",
                  r->desc, path);
    run_free(r);
}

Test(lab13_programs, counter_benchmark_shows_the_price_of_messages)
{
    struct run_opts opts = {.timeout = 40};
    struct run_result *r =
        RUN_WITH(&opts, "counter", "-b", "-k", "2000", "-r", "3");
    run_expect_success(r, COUNTER_HINT);
    double un = 0, tcp = 0;
    const char *l = run_line_starting(r->out, "manager vs shared memory:");
    cr_assert(l != NULL &&
                  sscanf(l, "manager vs shared memory: unix %lfx, tcp %lfx",
                         &un, &tcp) == 2,
              "`%s` should end with \"manager vs shared memory: unix Nx, tcp "
              "Nx slower\"; output:\n%s",
              r->desc, r->out);
    /* Ideal: hundreds of times. A wide margin: at least 5x. */
    cr_assert(un >= 5 && tcp >= 5,
              "`%s`: a round trip to the server should cost far more than a "
              "mutex in shared memory (at least 5x); saw unix %.1fx, tcp "
              "%.1fx.\n%s",
              r->desc, un, tcp, r->out);
    run_free(r);
}
