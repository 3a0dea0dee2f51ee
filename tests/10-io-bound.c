/*
 * Lab 10 - io-bound: pages fetched from the kit's loopback page server
 * (common/pageserver.h), serially, with threads and with processes; then
 * the cost of a waiter.
 *
 * The programs are run whole. fetch prints, for every page, its length
 * and the FNV-1a hash of the body it received; the tests compute the
 * body the server sends for that name (pageserver_body, the server's own
 * code) and its hash here, so a page counts as fetched only if the hash
 * is right - never because the program said "ok". The server is made to
 * misbehave by name ("!close", "!garbage", "!half", "!stall"): each bad
 * page must fail alone, with a message, exit status 1, no crash, no hang.
 * A worker process is killed mid-wait (killer.h; the server then runs in
 * the driver withserver, so that the only children named fetch are the
 * workers), forks and thread creations fail on purpose (the perturber),
 * and the threads run under ThreadSanitizer and AddressSanitizer. The
 * harness fails any test whose program leaves a process or a zombie
 * behind: the server too must be stopped and reaped, on every way out.
 *
 * Times: only ratios in one run (threads and processes each at least 3x
 * faster than serial for 8 pages, where the ideal is 8x), never an
 * absolute time.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "killer.h"
#include "pageserver.h"
#include "run.h"

#define LAB "10-io-bound"

TestSuite(lab10_page, .timeout = 30);
TestSuite(lab10_threads, .timeout = 30);
TestSuite(lab10_processes, .timeout = 30);
TestSuite(lab10_compare, .timeout = 40);
TestSuite(lab10_waiters, .timeout = 40);

#define HINT_PAGE                                                              \
    "TODO(10.1): read_reply in page.c (the header 'OK <len>', then len "       \
    "bytes, then compare with pageserver_body)"
#define HINT_THREADS "TODO(10.2) and TODO(10.3): threads_start, threads_finish"
#define HINT_PROCS                                                             \
    "TODO(10.4) and TODO(10.5): processes_start, processes_finish"

/* ---- what a page must look like ------------------------------------- */

static uint32_t fnv1a(const char *p, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t page_fnv(const char *name)
{
    char body[PAGESERVER_BODY_LEN];
    pageserver_body(name, body, sizeof body);
    return fnv1a(body, sizeof body);
}

/* The line "<mode> <name> ..." of out, copied into line; false if none. */
static bool find_page(const char *out, const char *mode, const char *name,
                      char *line, size_t size)
{
    char **lines = run_lines(out, NULL);
    bool found = false;
    for (char **l = lines; *l != NULL && !found; l++) {
        char m[32], n[80];
        if (sscanf(*l, "%31s %79s", m, n) == 2 && strcmp(m, mode) == 0 &&
            strcmp(n, name) == 0) {
            snprintf(line, size, "%s", *l);
            found = true;
        }
    }
    run_free_lines(lines);
    return found;
}

/* Page name of mode must have come whole and right. */
static void expect_page_ok(const struct run_result *r, const char *mode,
                           const char *name, const char *hint)
{
    char line[512];
    cr_assert(find_page(r->out, mode, name, line, sizeof line),
              "`%s` printed no line '%s %s ...' for that page. stdout:\n%s\n"
              "stderr:\n%s\nHint: %s.",
              r->desc, mode, name, r->out, r->err, hint);
    size_t len = 0;
    unsigned hash = 0;
    bool parsed = sscanf(line, "%*s %*s %zu bytes fnv %x ok", &len, &hash) == 2;
    cr_assert(parsed && len == PAGESERVER_BODY_LEN && hash == page_fnv(name),
              "`%s`: page %s (%s) should come whole and right: '%zu bytes "
              "fnv %08x ok' is what the server sent; the program printed:\n"
              "  %s\nstderr:\n%s\nHint: %s.",
              r->desc, name, mode, (size_t)PAGESERVER_BODY_LEN,
              (unsigned)page_fnv(name), line, r->err, hint);
}

/* Page name of mode must have failed, with a line on stdout and a
 * message on stderr that names it. */
static void expect_page_failed(const struct run_result *r, const char *mode,
                               const char *name, const char *why,
                               const char *hint)
{
    char line[512];
    cr_assert(find_page(r->out, mode, name, line, sizeof line) &&
                  strstr(line, "FAILED") != NULL,
              "`%s`: page %s (%s) %s; it should be reported as '%s %s "
              "FAILED: <why>'. stdout:\n%s\nHint: %s.",
              r->desc, name, mode, why, mode, name, r->out, hint);
    char needle[128];
    snprintf(needle, sizeof needle, "page %s: ", name);
    cr_assert(strstr(r->err, needle) != NULL,
              "`%s`: page %s (%s) %s; stderr should say so ('fetch: %s: "
              "page %s: <why>'). stderr:\n%s\nHint: %s.",
              r->desc, name, mode, why, mode, name, r->err, hint);
}

static void expect_status(const struct run_result *r, int code,
                          const char *hint)
{
    cr_assert(r->exit_code == code,
              "`%s` should exit with status %d; it %s. stderr:\n%s\n"
              "stdout:\n%s\nHint: %s.",
              r->desc, code, run_how_ended(r), r->err, r->out, hint);
}

/* ---- one fetch (TODO 10.1), serially ---------------------------------- */

Test(lab10_page, serial_fetch_gets_every_page_whole_and_right)
{
    struct run_result *r =
        RUN("fetch", "-m", "serial", "-n", "5", "-d", "0", "-r", "1");
    expect_status(r, 0, HINT_PAGE);
    char name[16];
    for (int i = 1; i <= 5; i++) {
        snprintf(name, sizeof name, "page-%d", i);
        expect_page_ok(r, "serial", name, HINT_PAGE);
    }
    run_free(r);
    /* Names of every allowed character and length, given by hand. */
    static const char long_name[] =
        "a234567890123456789012345678901234567890123456789012345678901234";
    r = RUN("fetch", "-m", "serial", "-d", "0", "-r", "1", "x", "A.b_C-9",
            long_name);
    expect_status(r, 0, HINT_PAGE);
    expect_page_ok(r, "serial", "x", HINT_PAGE);
    expect_page_ok(r, "serial", "A.b_C-9", HINT_PAGE);
    expect_page_ok(r, "serial", long_name, HINT_PAGE);
    run_free(r);
    /* Bad arguments: a usage line and status 2; help: status 0. */
    static const char *const bad[][2] = {
        {"-n", "0"}, {"-d", "-1"},    {"-m", "fibers"}, {"-t", "0"},
        {"-r", "x"}, {"-p", "70000"}, {"-n", "1001"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = RUN("fetch", bad[i][0], bad[i][1]);
        cr_assert(r->exit_code == 2 && strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr and exit with "
                  "status 2; it %s.",
                  r->desc, run_how_ended(r));
        run_free(r);
    }
    r = RUN("fetch", "a b");
    cr_assert(r->exit_code == 2,
              "`%s`: a page name with a space is bad "
              "usage (status 2); it %s.",
              r->desc, run_how_ended(r));
    run_free(r);
    r = RUN("fetch", "--help");
    cr_assert(r->exit_code == 0 && strncmp(r->out, "usage: ", 7) == 0,
              "`%s` should print 'usage: ...' on stdout, status 0; it %s.",
              r->desc, run_how_ended(r));
    run_free(r);
}

Test(lab10_page, a_server_that_closes_or_sends_garbage_fails_that_page_only)
{
    struct run_result *r =
        RUN("fetch", "-m", "serial", "-d", "20", "-r", "1", "page-1", "!close",
            "!garbage", "!half", "page-5");
    expect_status(r, 1, HINT_PAGE);
    expect_page_ok(r, "serial", "page-1", HINT_PAGE);
    expect_page_ok(r, "serial", "page-5", HINT_PAGE);
    expect_page_failed(r, "serial", "!close",
                       "was closed by the server without a reply",
                       "TODO(10.1): read_line returns 0 at end-of-file");
    expect_page_failed(r, "serial", "!garbage",
                       "got a reply that is not 'OK <len>'",
                       "TODO(10.1): check what sscanf matched");
    expect_page_failed(r, "serial", "!half",
                       "got half its body, then the server closed",
                       "TODO(10.1): io_read_all returns fewer than len "
                       "bytes at end-of-file");
    char line[512];
    find_page(r->out, "serial", "!half", line, sizeof line);
    cr_assert(strstr(line, "512") != NULL,
              "`%s`: the message for !half should say how many of the body "
              "bytes came (512 of 1024); it says:\n  %s\nHint: TODO(10.1).",
              r->desc, line);
    run_free(r);
}

Test(lab10_page, a_stalled_server_is_a_timeout_not_a_hang)
{
    struct run_opts opts = {.timeout = 8};
    struct run_result *r = RUN_WITH(&opts, "fetch", "-m", "serial", "-d", "0",
                                    "-t", "300", "-r", "1", "!stall", "page-2");
    cr_assert(!r->timed_out,
              "`%s` hung: the server never answers '!stall', and the "
              "client must give up after -t 300 ms. Hint: TODO(10.1): a "
              "read that fails with EAGAIN (or EWOULDBLOCK) after "
              "SO_RCVTIMEO is a timeout (fail_read).",
              r->desc);
    expect_status(r, 1, HINT_PAGE);
    expect_page_failed(r, "serial", "!stall", "never came (the server stalls)",
                       "TODO(10.1): fail_read on a read that returns -1");
    expect_page_ok(r, "serial", "page-2", HINT_PAGE);
    cr_assert(strstr(r->err, "timeout") != NULL ||
                  strstr(r->err, "within") != NULL,
              "`%s`: the message for !stall should say it timed out. "
              "stderr:\n%s\nHint: TODO(10.1): fail_read.",
              r->desc, r->err);
    run_free(r);
}

Test(lab10_page, pages_arrive_whole_even_a_few_bytes_per_read)
{
    /* Every read on a socket returns 1 to 7 bytes: one read is never a
     * whole reply. */
    static const char *const env[] = {"KIT_SHORT_IO=1", NULL};
    struct run_opts opts = {.perturb = true, .env = env};
    struct run_result *r = RUN_WITH(&opts, "fetch", "-m", "serial", "-n", "3",
                                    "-d", "0", "-r", "1");
    expect_status(r, 0, HINT_PAGE);
    for (int i = 1; i <= 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "page-%d", i);
        expect_page_ok(r, "serial", name,
                       "TODO(10.1): read the body with io_read_all, which "
                       "loops until len bytes came");
    }
    run_free(r);
}

/* ---- threads (TODO 10.2, 10.3) --------------------------------------- */

static void check_mode_pages(const char *mode, const char *n, const char *hint)
{
    struct run_result *r =
        RUN("fetch", "-m", mode, "-n", n, "-d", "100", "-r", "1");
    expect_status(r, 0, hint);
    int count = atoi(n);
    for (int i = 1; i <= count; i++) {
        char name[16];
        snprintf(name, sizeof name, "page-%d", i);
        expect_page_ok(r, mode, name, hint);
    }
    run_free(r);
}

Test(lab10_threads, threads_fetch_every_page_into_its_own_slot)
{
    check_mode_pages("threads", "24", HINT_THREADS);
}

Test(lab10_threads, bad_pages_fail_alone_with_threads_too)
{
    struct run_result *r =
        RUN("fetch", "-m", "threads", "-d", "50", "-t", "400", "-r", "1",
            "page-1", "!close", "!stall", "!half", "page-5");
    expect_status(r, 1, HINT_THREADS);
    expect_page_ok(r, "threads", "page-1", HINT_THREADS);
    expect_page_ok(r, "threads", "page-5", HINT_THREADS);
    expect_page_failed(r, "threads", "!close", "was closed early",
                       HINT_THREADS);
    expect_page_failed(r, "threads", "!stall", "never came", HINT_THREADS);
    expect_page_failed(r, "threads", "!half", "came half", HINT_THREADS);
    run_free(r);
}

Test(lab10_threads, threads_race_free_under_tsan, .timeout = 120)
{
    struct run_opts opts = {
        .sanitizer = RUN_TSAN,
        .hint = "TODO(10.2) and TODO(10.3): each thread writes only its own "
                "job's result, and main reads the results only after "
                "pthread_join of every thread"};
    struct run_result *r = RUN_WITH(
        &opts, "fetch", "-m", "threads", "-d", "50", "-r", "2", "page-1",
        "page-2", "page-3", "!close", "page-5", "page-6", "!garbage", "page-8");
    expect_status(r, 1, HINT_THREADS);
    expect_page_ok(r, "threads", "page-8", HINT_THREADS);
    expect_page_failed(r, "threads", "!garbage", "is garbage", HINT_THREADS);
    run_free(r);
}

Test(lab10_threads, a_failed_pthread_create_stops_cleanly)
{
    static const char *const env[] = {"KIT_FAIL_PTHREAD_CREATE_AT=4", NULL};
    struct run_opts opts = {.perturb = true, .env = env};
    struct run_result *r = RUN_WITH(&opts, "fetch", "-m", "threads", "-n", "6",
                                    "-d", "300", "-r", "1");
    cr_assert(r->exit_code == 1 && strstr(r->err, "pthread_create") != NULL,
              "`%s` with the 4th pthread_create failing (EAGAIN) should "
              "stop with status 1 and 'fetch: pthread_create: ...'; it %s. "
              "stderr:\n%s\nHint: TODO(10.2): join the threads already "
              "started, then return -1 with errno set.",
              r->desc, run_how_ended(r), r->err);
    cr_assert(strstr(r->out, "threads    page-") == NULL,
              "`%s`: thread creation failed, yet pages were printed as "
              "fetched by threads. stdout:\n%s\nHint: TODO(10.2).",
              r->desc, r->out);
    run_free(r);
}

/* ---- processes (TODO 10.4, 10.5) ------------------------------------- */

Test(lab10_processes, processes_fetch_every_page_and_report_through_the_pipe)
{
    check_mode_pages("processes", "24", HINT_PROCS);
}

Test(lab10_processes, bad_pages_fail_alone_with_processes_too)
{
    struct run_result *r =
        RUN("fetch", "-m", "processes", "-d", "50", "-t", "400", "-r", "1",
            "page-1", "!garbage", "!stall", "!half", "page-5");
    expect_status(r, 1, HINT_PROCS);
    expect_page_ok(r, "processes", "page-1", HINT_PROCS);
    expect_page_ok(r, "processes", "page-5", HINT_PROCS);
    expect_page_failed(r, "processes", "!garbage", "is garbage", HINT_PROCS);
    expect_page_failed(r, "processes", "!stall", "never came", HINT_PROCS);
    expect_page_failed(r, "processes", "!half", "came half", HINT_PROCS);
    run_free(r);
}

Test(lab10_processes, a_killed_worker_is_reported_with_its_signal)
{
    /* The server runs in the driver (withserver), so that the only
     * children named fetch are the workers; the killer sends SIGTERM to
     * the first it finds, while every worker waits 0.8 s for its page. */
    struct run_killer *k = run_killer_start("fetch", SIGTERM);
    struct run_result *r = RUN("withserver", "fetch", "-m", "processes", "-n",
                               "4", "-d", "1500", "-r", "1");
    pid_t victim = run_killer_stop(k);
    cr_assert(victim != 0,
              "`fetch -m processes` never started a worker process that the "
              "test could kill. It %s. stderr:\n%s\nHint: TODO(10.4).",
              run_how_ended(r), r->err);
    expect_status(r, 1,
                  "TODO(10.5): a child that sent no record fails its page "
                  "(child_failed), and the program exits with status 1");
    char sig[64];
    snprintf(sig, sizeof sig, "%d", (int)victim);
    cr_assert(strstr(r->err, "signal 15") != NULL &&
                  strstr(r->err, sig) != NULL,
              "The test killed worker %d with SIGTERM: stderr should name "
              "it and say 'killed by signal 15' (status_describe of the "
              "status waitpid gave). stderr:\n%s\nHint: TODO(10.5).",
              (int)victim, r->err);
    int ok = (int)run_count_lines(r->out, " ok");
    cr_assert(ok == 3,
              "The other 3 workers were not killed: their pages should be "
              "fetched ('... ok'); saw %d. stdout:\n%s\nHint: TODO(10.5): "
              "read every record until end-of-file, then reap every child.",
              ok, r->out);
    run_free(r);
}

Test(lab10_processes, a_failed_fork_stops_cleanly)
{
    /* The 1st fork is the server's; the 3rd is the second worker's. The
     * worker already started must be ended and reaped (the harness fails
     * the test on any left behind), the server stopped, status 1. */
    static const char *const env[] = {"KIT_FAIL_FORK_AT=3", NULL};
    struct run_opts opts = {.perturb = true, .env = env};
    struct run_result *r = RUN_WITH(&opts, "fetch", "-m", "processes", "-n",
                                    "4", "-d", "300", "-r", "1");
    cr_assert(r->exit_code == 1 && strstr(r->err, "fork") != NULL &&
                  strstr(r->err, strerror(EAGAIN)) != NULL,
              "`%s` with the 2nd worker's fork failing (EAGAIN) should stop "
              "with status 1 and 'fetch: fork: %s'; it %s. stderr:\n%s\n"
              "Hint: TODO(10.4): check fork's result; abandon the children "
              "already started, close the pipe, return -1.",
              r->desc, strerror(EAGAIN), run_how_ended(r), r->err);
    cr_assert(strstr(r->out, "processes  page-") == NULL,
              "`%s`: a fork failed, yet pages were printed as fetched by "
              "processes. stdout:\n%s\nHint: TODO(10.4).",
              r->desc, r->out);
    run_free(r);
}

Test(lab10_processes, more_children_than_the_pipe_holds_records_all_report)
{
    /* 100 records of about 1 KiB do not fit in a 64 KiB pipe: the
     * children that answer last block in write() until the parent reads.
     * A parent that waits for the children before reading waits forever. */
    struct run_opts opts = {.timeout = 25};
    struct run_result *r = RUN_WITH(&opts, "fetch", "-m", "processes", "-n",
                                    "100", "-d", "200", "-r", "1");
    cr_assert(!r->timed_out,
              "`%s` hung. Hint: TODO(10.5): read every record until "
              "end-of-file FIRST, then waitpid: a child blocked in write() "
              "on a full pipe never exits.",
              r->desc);
    expect_status(r, 0, HINT_PROCS);
    cr_assert_eq(run_count_lines(r->out, " ok"), 100,
                 "`%s`: all 100 pages should be fetched; %zu were. "
                 "Hint: %s.",
                 r->desc, run_count_lines(r->out, " ok"), HINT_PROCS);
    expect_page_ok(r, "processes", "page-100", HINT_PROCS);
    run_free(r);
}

Test(lab10_processes, every_mode_clean_under_asan, .timeout = 120)
{
    struct run_opts opts = {.sanitizer = RUN_ASAN,
                            .hint = "TODO(10.1) to TODO(10.5): free what you "
                                    "allocate, stay inside the buffers"};
    struct run_result *r =
        RUN_WITH(&opts, "fetch", "-d", "30", "-t", "300", "-r", "1", "page-1",
                 "!half", "!stall", "!garbage", "page-5");
    expect_status(r, 1, "TODO(10.1) to TODO(10.5)");
    static const char *const modes[] = {"serial", "threads", "processes"};
    for (int m = 0; m < 3; m++) {
        expect_page_ok(r, modes[m], "page-5", "TODO(10.1) to TODO(10.5)");
        expect_page_failed(r, modes[m], "!half", "came half",
                           "TODO(10.1) to TODO(10.5)");
    }
    run_free(r);
}

/* ---- the lecture's comparison ---------------------------------------- */

/* The median time the program printed for mode ("threads    0.301 s"). */
static double mode_time(const struct run_result *r, const char *mode)
{
    char **lines = run_lines(r->out, NULL);
    double t = -1;
    for (char **l = lines; *l != NULL && t < 0; l++) {
        char m[32], unit[8];
        double v;
        if (sscanf(*l, "%31s %lf %7s", m, &v, unit) == 3 &&
            strcmp(m, mode) == 0 && strcmp(unit, "s") == 0)
            t = v;
    }
    run_free_lines(lines);
    cr_assert(t > 0,
              "`%s` printed no time for %s ('%s   0.300 s (...)'). "
              "stdout:\n%s",
              r->desc, mode, mode, r->out);
    return t;
}

Test(lab10_compare, threads_and_processes_each_3x_faster_than_serial)
{
    char path[] = "/tmp/kit-lab10-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1, "mkstemp failed");
    cr_assert_eq(fchmod(fd, 0666), 0, "fchmod failed");
    close(fd);
    /* The lecture's 8 pages, 300 ms each: serially 2.4 s, overlapped
     * about 0.3 s (8x); at least 3x is asked, whatever the load. */
    struct run_result *r = RUN("fetch", "-d", "300", "-r", "1", "-o", path);
    expect_status(r, 0, "TODO(10.1) to TODO(10.5)");
    static const char *const modes[] = {"serial", "threads", "processes"};
    for (int m = 0; m < 3; m++)
        for (int i = 1; i <= 8; i++) {
            char name[16];
            snprintf(name, sizeof name, "page-%d", i);
            expect_page_ok(r, modes[m], name, "TODO(10.1) to TODO(10.5)");
        }
    double serial = mode_time(r, "serial"), threads = mode_time(r, "threads"),
           procs = mode_time(r, "processes");
    /* Under valgrind or a whole-run sanitizer build (make valgrind, make
     * tsan, make asan), every fork and thread start costs far more: the
     * waits still overlap, but 1.5x is what is asked there. */
    double want = run_cpu_is_measurable() ? 3.0 : 1.5;
    cr_assert(serial >= want * threads && serial >= want * procs,
              "`%s`: 8 pages of 300 ms each took %.3f s serially, %.3f s "
              "with threads, %.3f s with processes: threads and processes "
              "should each be at least %.1fx faster (ideal: 8x). Hint: start "
              "EVERY waiter before waiting for any (TODO(10.2), TODO(10.4)); "
              "a join or waitpid inside the start loop makes it serial.",
              r->desc, serial, threads, procs, want);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "no data file %s", path);
    char line[512], rows[3][32] = {"", "", ""};
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL && n < 3)
        if (line[0] != '#' && sscanf(line, "%31s", rows[n]) == 1)
            n++;
    fclose(f);
    unlink(path);
    cr_assert(n == 3 && strcmp(rows[0], "serial") == 0 &&
                  strcmp(rows[1], "threads") == 0 &&
                  strcmp(rows[2], "processes") == 0,
              "the data file (-o) should have the rows serial, threads, "
              "processes; saw %d rows",
              n);
    run_free(r);
}

/* ---- waiters ---------------------------------------------------------- */

struct row {
    double start_us, mem_kib, total_s;
};

static bool waiters_row(const char *out, int n, const char *kind,
                        struct row *row)
{
    char **lines = run_lines(out, NULL);
    bool found = false;
    for (char **l = lines; *l != NULL && !found; l++) {
        int count;
        char k[32];
        if (sscanf(*l, "%d %31s %lf %*s %lf %*s %lf", &count, k, &row->start_us,
                   &row->mem_kib, &row->total_s) == 5 &&
            count == n && strcmp(k, kind) == 0)
            found = true;
    }
    run_free_lines(lines);
    return found;
}

Test(lab10_waiters, a_process_costs_more_than_a_thread_to_start_and_keep)
{
    struct run_result *r = RUN("waiters", "-n", "4,24", "-d", "300", "-r", "1");
    expect_status(r, 0, "TODO(10.1) to TODO(10.5): waiters uses group.c");
    static const int counts[] = {4, 24};
    struct row t[2], p[2];
    for (int c = 0; c < 2; c++) {
        cr_assert(waiters_row(r->out, counts[c], "threads", &t[c]) &&
                      waiters_row(r->out, counts[c], "processes", &p[c]),
                  "`%s` should print a row '%d threads ...' and a row '%d "
                  "processes ...'. stdout:\n%s",
                  r->desc, counts[c], counts[c], r->out);
        cr_assert(p[c].total_s >= 0.3 && t[c].total_s >= 0.3,
                  "`%s`: each of %d waiters fetches a page of 300 ms: a "
                  "round cannot end sooner. stdout:\n%s",
                  r->desc, counts[c], r->out);
    }
    /* A process's private pages against a thread's share of the resident
     * set, with 24 of each: measured 40-130 KiB against 10-16 KiB. Not
     * under valgrind or a sanitizer build, whose own memory per thread
     * (shadow stacks, thread state) dwarfs the program's. */
    cr_assert(!run_cpu_is_measurable() || p[1].mem_kib >= 1.5 * t[1].mem_kib,
              "`%s`: a process waiter should hold clearly more memory than "
              "a thread waiter (24 each): %.1f KiB against %.1f KiB. "
              "stdout:\n%s",
              r->desc, p[1].mem_kib, t[1].mem_kib, r->out);
    run_free(r);
}
