/*
 * Lab 09 - the assignment: sums of the primes below n, serially, with
 * processes and with threads, naive and by the sieve. The tests check the
 * sums (the assignment's small ones, and big ones against a sieve of the
 * test's own), their order, and that every parallel variant gives the
 * serial sums; never the times. Ranges are small so that the tests stay
 * fast.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "killer.h"
#include "run.h"

#define LAB "09-assignment"

TestSuite(lab09_sums, .timeout = 60);
TestSuite(lab09_sieve, .timeout = 60);
TestSuite(lab09_threads, .timeout = 60);
TestSuite(lab09_processes, .timeout = 60);
TestSuite(lab09_bench, .timeout = 60);

#define MAX_PAIRS 200

/* The sums of the primes below every n up to limit, from a sieve of our
 * own: sums[n] for 0 <= n <= limit. Caller frees. */
static unsigned long long *sums_below(unsigned limit)
{
    unsigned char *composite = calloc(limit + 1, 1);
    unsigned long long *sums = calloc(limit + 2, sizeof *sums);
    cr_assert(composite != NULL && sums != NULL);
    unsigned long long total = 0;
    for (unsigned x = 0; x <= limit; x++) {
        sums[x] = total; /* primes below x */
        if (x < 2 || composite[x])
            continue;
        total += x;
        for (unsigned long long m = (unsigned long long)x * x; m <= limit;
             m += x)
            composite[m] = 1;
    }
    free(composite);
    return sums;
}

struct pair {
    unsigned long n;
    unsigned long long sum;
};

/* The "[n, sum]" lines of the output, in order. */
static int parse_pairs(const char *out, struct pair *pairs, int max)
{
    int found = 0;
    char **lines = run_lines(out, NULL);
    for (char **l = lines; *l != NULL && found < max; l++) {
        struct pair p;
        if (sscanf(*l, "[%lu, %llu]", &p.n, &p.sum) == 2)
            pairs[found++] = p;
    }
    run_free_lines(lines);
    return found;
}

/* Check that r printed the pairs for range(start, stop, step), in order,
 * with the right sums. */
static void check_pairs(const struct run_result *r, unsigned start,
                        unsigned stop, unsigned step, const char *todo)
{
    static struct pair pairs[MAX_PAIRS];
    int want = (int)((stop - start + step - 1) / step);
    int found = parse_pairs(r->out, pairs, MAX_PAIRS);
    cr_assert_eq(found, want,
                 "`%s` should print %d lines '[n, sum]'; found %d. Output:\n%s",
                 r->desc, want, found, r->out);
    unsigned long long *sums = sums_below(stop);
    for (int i = 0; i < found; i++) {
        unsigned long n = start + (unsigned long)i * step;
        cr_assert_eq(pairs[i].n, n,
                     "`%s`: pair %d is for n = %lu, expected %lu: the pairs "
                     "must come sorted by n.",
                     r->desc, i + 1, pairs[i].n, n);
        cr_assert_eq(pairs[i].sum, sums[n],
                     "`%s`: the sum of the primes below %lu is %llu, the "
                     "program says %llu. Hint: %s",
                     r->desc, n, sums[n], pairs[i].sum, todo);
    }
    free(sums);
}

Test(lab09_sums, the_assignments_example_and_bad_arguments)
{
    struct run_result *r = RUN("assignment", "-a", "naive", "-m", "serial",
                               "-r", "1", "10", "100", "10");
    run_expect_success(r, "TODO(09.1)");
    static const unsigned long long want[] = {17,  77,  129, 197, 328,
                                              440, 568, 791, 963};
    static struct pair pairs[MAX_PAIRS];
    int found = parse_pairs(r->out, pairs, MAX_PAIRS);
    cr_assert_eq(found, 9,
                 "expected the 9 pairs [10, 17] ... [90, 963]; saw "
                 "%d. Output:\n%s",
                 found, r->out);
    for (int i = 0; i < 9; i++)
        cr_assert(pairs[i].n == 10ul * (i + 1) && pairs[i].sum == want[i],
                  "expected [%d, %llu], saw [%lu, %llu]. Hint: TODO(09.1): "
                  "the assignment's isPrime; 2 is prime, 1 is not.",
                  10 * (i + 1), want[i], pairs[i].n, pairs[i].sum);
    run_free(r);

    /* The small end exactly: nothing below 2, then 2, 3, 5, 7, 11. */
    r = RUN("assignment", "-a", "naive", "-m", "serial", "-r", "1", "0", "13",
            "1");
    run_expect_success(r, "TODO(09.1)");
    static const unsigned long long small[] = {0,  0,  0,  2,  5,  5, 10,
                                               10, 17, 17, 17, 17, 28};
    found = parse_pairs(r->out, pairs, MAX_PAIRS);
    cr_assert_eq(found, 13,
                 "`%s` should print 13 pairs [0, 0] ... [12, 28]; "
                 "saw %d. Output:\n%s",
                 r->desc, found, r->out);
    for (int i = 0; i < 13; i++)
        cr_assert(pairs[i].n == (unsigned long)i && pairs[i].sum == small[i],
                  "`%s`: expected [%d, %llu], saw [%lu, %llu]. Hint: "
                  "TODO(09.1): below 2 nothing is prime; 2 and 3 are.",
                  r->desc, i, small[i], pairs[i].n, pairs[i].sum);
    run_free(r);

    /* Refused with status 2: among them one past each limit (64 workers,
     * n up to 100000000, 100000 tasks). */
    static const char *const bad[][4] = {
        {"-a", "quick"},      {"-m", "fibers"},
        {"-w", "0"},          {"-w", "65"},
        {"10", "100"},        {"100", "10", "10"},
        {"-r", "0"},          {"0", "100000001", "50000000"},
        {"0", "100001", "1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[6] = {"assignment"};
        for (int k = 0; k < 3 && bad[i][k] != NULL; k++)
            argv[k + 1] = bad[i][k];
        struct run_result *b = run_program(LAB, argv, NULL);
        cr_assert_eq(b->exit_code, 2, "`%s` should exit with status 2; it %s.",
                     b->desc, run_how_ended(b));
        cr_assert(strstr(b->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", b->desc);
        run_free(b);
    }
    /* Help is not an error: the usage on stdout, status 0. */
    static const char *const help[] = {"-h", "--help"};
    for (size_t i = 0; i < 2; i++) {
        struct run_result *h = RUN("assignment", help[i]);
        cr_assert(h->exit_code == 0 && strncmp(h->out, "usage: ", 7) == 0,
                  "`%s` should print 'usage: ...' on stdout and exit with "
                  "status 0; it %s, stdout:\n%s",
                  h->desc, run_how_ended(h), h->out);
        run_free(h);
    }
}

Test(lab09_sums, naive_sums_of_bigger_n_match_an_independent_sieve)
{
    /* Includes squares of primes (the i * i <= n boundary) many times. */
    struct run_result *r = RUN("assignment", "-a", "naive", "-m", "serial",
                               "-r", "1", "0", "300001", "20000");
    run_expect_success(r, "TODO(09.1)");
    check_pairs(r, 0, 300001, 20000, "TODO(09.1)");
    run_free(r);
}

Test(lab09_sieve, sieve_gives_the_assignments_sums_to_2400000)
{
    /* The whole assignment by the sieve: fast enough for a test. */
    struct run_result *r =
        RUN("assignment", "-a", "sieve", "-m", "serial", "-r", "1");
    run_expect_success(r, "TODO(09.2)");
    check_pairs(r, 100000, 2500000, 100000,
                "TODO(09.2): cross out multiples of each prime from i * i, "
                "add up what is left below n.");
    run_free(r);
    /* Tiny n: 0, 1, 2, 3, ... 40, where off-by-one errors live. */
    r = RUN("assignment", "-a", "sieve", "-m", "serial", "-r", "1", "0", "41",
            "1");
    run_expect_success(r, "TODO(09.2)");
    check_pairs(r, 0, 41, 1, "TODO(09.2): nothing is below 2; 2 is prime.");
    run_free(r);
}

/* A parallel mode, both algorithms, several worker counts (more workers
 * than tasks too): the program compares each variant with the serial sums
 * and must say they are the same; the printed pairs must be right. */
static void check_parallel(const char *mode, const char *todo)
{
    struct run_result *r = RUN("assignment", "-m", mode, "-w", "1,2,3,8,40",
                               "-r", "1", "1000", "61000", "2000");
    run_expect_success(r, todo);
    static const int counts[] = {1, 2, 3, 8, 40};
    static const char *const algs[] = {"naive", "sieve"};
    for (size_t a = 0; a < 2; a++) {
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
            char head[64];
            snprintf(head, sizeof head, "%s %-9s %2d worker", algs[a], mode,
                     counts[i]);
            const char *line = strstr(r->out, head);
            cr_assert(line != NULL, "`%s` printed no line '%s...'. Output:\n%s",
                      r->desc, head, r->out);
            const char *eol = strchr(line, '\n');
            const char *same = strstr(line, "same 30 sums as serial");
            cr_assert(same != NULL && (eol == NULL || same < eol),
                      "`%s`: %s %s with %d workers did not give the serial "
                      "sums. Output:\n%s\nHint: %s",
                      r->desc, algs[a], mode, counts[i], r->out, todo);
        }
    }
    check_pairs(r, 1000, 61000, 2000, "TODO(09.1)");
    run_free(r);
}

Test(lab09_threads, every_thread_count_gives_the_serial_sums)
{
    check_parallel("threads", "TODO(09.3): take each task exactly once "
                              "from the atomic counter; TODO(09.4): start "
                              "and join the threads.");
}

Test(lab09_processes, every_process_count_gives_the_serial_sums)
{
    check_parallel("processes",
                   "TODO(09.3): take each task exactly once from the atomic "
                   "counter; TODO(09.5): the children must write into the "
                   "MAP_SHARED memory, and the parent wait for them all.");
}

/* ---- a worker process that dies ------------------------------------- */

Test(lab09_processes, a_killed_worker_is_an_error_not_a_result, .timeout = 60)
{
    char path[] = "/tmp/kit-lab09-kill-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1, "mkstemp failed");
    close(fd);
    unlink(path); /* the program must not create it */
    struct run_killer *k = run_killer_start("assignment", SIGKILL);
    /* Two workers doing the naive sums: a tenth of a second or more, time
     * enough to be found; the test kills the first it finds, and the
     * other one must still be waited for. */
    struct run_result *r =
        RUN("assignment", "-a", "naive", "-m", "processes", "-w", "2", "-r",
            "1", "-o", path, "200000", "500000", "100000");
    pid_t victim = run_killer_stop(k);
    cr_assert(victim != 0,
              "`%s` never started a worker process (a child of assignment) "
              "that the test could kill. It %s. Hint: TODO(09.5).",
              r->desc, run_how_ended(r));
    cr_assert(r->exit_code == 1,
              "`%s`: the test killed worker %d with SIGKILL; the program "
              "should stop with status 1 and a message. It %s; stderr:\n%s\n"
              "Hint: TODO(09.5): look at every child's status.",
              r->desc, (int)victim, run_how_ended(r), r->err);
    cr_assert(strstr(r->err, "signal 9") != NULL,
              "`%s`: a worker was killed by signal 9 (SIGKILL); the message "
              "should say so ('... killed by signal 9'), decoded from the "
              "status waitpid gave (WIFSIGNALED, WTERMSIG). stderr:\n%s\n"
              "Hint: TODO(09.5).",
              r->desc, r->err);
    static struct pair pairs[MAX_PAIRS];
    cr_assert(strstr(r->out, "processes  2 workers") == NULL &&
                  parse_pairs(r->out, pairs, MAX_PAIRS) == 0,
              "`%s`: a worker died, yet the program printed results. "
              "stdout:\n%s\nHint: TODO(09.5): a task a dead worker took may "
              "never have been done.",
              r->desc, r->out);
    cr_assert(access(path, F_OK) != 0,
              "`%s` wrote the data file although a worker died.", r->desc);
    run_free(r);
}

/* ---- a worker process that fails ------------------------------------ */

Test(lab09_processes, a_worker_that_exits_with_a_failure_is_an_error,
     .timeout = 60)
{
    /* The schedule perturber (KIT_CHILD_EXIT=3, KIT_CHILD_EXIT_ONLY=3)
     * turns the _exit(0) of the parent's 3rd child - worker 3 of 4 - into
     * _exit(3): it did its tasks, then failed. No signal, and every sum is
     * in the shared memory: only its status says so. (Not under a
     * sanitizer, whose builds do not take the preloaded library.) */
    if (run_sanitizer() != NULL)
        cr_skip_test("the preloaded library that makes a worker fail is "
                     "not used under a sanitizer");
    /* The same run with no worker failing must work first: else this test
     * would blame the failure path for what another TODO breaks. */
    struct run_result *r = RUN("assignment", "-a", "naive", "-m", "processes",
                               "-w", "4", "-r", "1", "1000", "41000", "2000");
    run_expect_success(r, "TODO(09.3) and TODO(09.5) first: the processes "
                          "must work before a failing one can be noticed");
    check_pairs(r, 1000, 41000, 2000, "TODO(09.3) and TODO(09.5)");
    run_free(r);
    char path[] = "/tmp/kit-lab09-fail-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1, "mkstemp failed");
    close(fd);
    unlink(path); /* the program must not create it */
    static const char *const env[] = {"KIT_CHILD_EXIT=3",
                                      "KIT_CHILD_EXIT_ONLY=3", NULL};
    struct run_opts opts = {.perturb = true, .env = env};
    r = RUN_WITH(&opts, "assignment", "-a", "naive", "-m", "processes", "-w",
                 "4", "-r", "1", "-o", path, "1000", "41000", "2000");
    cr_assert(r->exit_code == 1,
              "`%s`: worker 3 of 4 did its tasks, then exited with status 3 "
              "(the test turned its _exit(0) into _exit(3)). That is a "
              "failed worker: the program should stop with status 1 and a "
              "message. It %s; stderr:\n%s\nHint: TODO(09.5): a child "
              "succeeded only if WIFEXITED(status) and WEXITSTATUS(status) "
              "is 0 (status_ok) - not whenever no signal killed it "
              "(WIFSIGNALED).",
              r->desc, run_how_ended(r), r->err);
    cr_assert(run_says_status(r->err, 3),
              "`%s`: worker 3 exited with status 3; the message should say "
              "so ('worker process 3 exited with status 3'), decoded from "
              "the status waitpid gave: WIFEXITED, then WEXITSTATUS "
              "(status_describe does both). The raw status would be 768 "
              "(3 << 8), and a status you expected (1, say) is not the one "
              "that came. stderr:\n%s\nHint: TODO(09.5).",
              r->desc, r->err);
    static struct pair pairs[MAX_PAIRS];
    cr_assert(strstr(r->out, "processes  4 workers") == NULL &&
                  parse_pairs(r->out, pairs, MAX_PAIRS) == 0,
              "`%s`: a worker failed, yet the program printed results. "
              "stdout:\n%s\nHint: TODO(09.5): a failed child is an error, "
              "never a result, even when every sum seems to be there.",
              r->desc, r->out);
    cr_assert(access(path, F_OK) != 0,
              "`%s` wrote the data file although a worker failed.", r->desc);
    run_free(r);
}

Test(lab09_bench, data_file_has_a_row_per_variant_and_the_machine)
{
    char path[] = "/tmp/kit-lab09-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1, "mkstemp failed");
    /* The program may run as another user (make grade's box): let it
     * write the file mkstemp made for us (mode 600). */
    cr_assert_eq(fchmod(fd, 0666), 0, "fchmod failed");
    close(fd);
    struct run_result *r = RUN("assignment", "-r", "2", "-w", "2,4", "-o", path,
                               "1000", "20000", "1000");
    run_expect_success(r, "TODO(09.1) to TODO(09.5)");
    check_pairs(r, 1000, 20000, 1000, "TODO(09.1)");
    static const char *const want[] = {"naive-serial 1",    "naive-processes 2",
                                       "naive-threads 2",   "naive-processes 4",
                                       "naive-threads 4",   "sieve-serial 1",
                                       "sieve-processes 2", "sieve-threads 2",
                                       "sieve-processes 4", "sieve-threads 4"};
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "no data file %s", path);
    char line[512];
    bool cores = false, cpu = false;
    int rows = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        cores = cores || strncmp(line, "# cores: ", 9) == 0;
        cpu = cpu || strncmp(line, "# cpu: ", 7) == 0;
        if (line[0] == '#')
            continue;
        char var[32], got[64];
        int w;
        double med, lo, hi;
        cr_assert(
            sscanf(line, "%31s %d %lf %lf %lf", var, &w, &med, &lo, &hi) == 5 &&
                rows < 10,
            "unexpected data row: %s", line);
        snprintf(got, sizeof got, "%s %d", var, w);
        cr_assert_str_eq(got, want[rows], "row %d should be '%s ...'", rows + 1,
                         want[rows]);
        cr_assert(lo <= med && med <= hi, "row '%s': min <= median <= max",
                  got);
        rows++;
    }
    fclose(f);
    unlink(path);
    cr_assert_eq(rows, 10, "expected 10 rows, saw %d", rows);
    cr_assert(cores && cpu, "the data file must say the core count and CPU");
    run_free(r);
}

/* ---- the student's own build under the race and leak detectors ------ */

/* Run the threads (TSan) or every variant (ASan) on a small range: a
 * report fails the test with the report in the message. */
static void check_sanitized(const char *sanitizer, const char *mode,
                            const char *hint)
{
    struct run_opts opts = {.sanitizer = sanitizer, .hint = hint};
    struct run_result *r =
        RUN_WITH(&opts, "assignment", "-m", mode, "-w", "1,3,8", "-r", "1",
                 "1000", "41000", "2000");
    run_expect_success(r, hint);
    check_pairs(r, 1000, 41000, 2000, hint);
    run_free(r);
}

Test(lab09_threads, threads_race_free_under_tsan, .timeout = 120)
{
    check_sanitized(RUN_TSAN, "threads",
                    "TODO(09.3): take tasks with atomic_fetch_add on the "
                    "shared counter (never a plain read then write), and "
                    "TODO(09.4): join every thread before the sums are read");
}

Test(lab09_processes, no_leak_or_overflow_under_asan, .timeout = 120)
{
    check_sanitized(RUN_ASAN, "all",
                    "TODO(09.2): free the sieve's memory; stay inside it "
                    "(indices below n)");
}

/* ---- a fork that fails ---------------------------------------------- */

Test(lab09_processes, a_failed_fork_stops_cleanly, .timeout = 60)
{
    /* The schedule perturber makes the parent's 3rd fork() fail with
     * EAGAIN: two workers are running by then. They must be waited for
     * (the harness fails the test on any left behind), and the program
     * must stop with status 1 and fork's error, printing no sums. */
    static const char *const env[] = {"KIT_FAIL_FORK_AT=3", NULL};
    struct run_opts opts = {.perturb = true, .env = env};
    struct run_result *r =
        RUN_WITH(&opts, "assignment", "-a", "naive", "-m", "processes", "-w",
                 "4", "-r", "1", "100000", "400000", "100000");
    cr_assert(r->exit_code == 1 && strstr(r->err, "fork") != NULL,
              "`%s` with the 3rd fork failing (EAGAIN) should stop with "
              "status 1 and 'assignment: fork: ...' on stderr; it %s. "
              "stderr:\n%s\nHint: TODO(09.5): check fork's result, and "
              "wait for the children already started before stopping.",
              r->desc, run_how_ended(r), r->err);
    static struct pair pairs[MAX_PAIRS];
    cr_assert(parse_pairs(r->out, pairs, MAX_PAIRS) == 0,
              "`%s`: a fork failed, yet the program printed sums. "
              "stdout:\n%s\nHint: TODO(09.5).",
              r->desc, r->out);
    run_free(r);
}
