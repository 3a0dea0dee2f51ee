/*
 * Lab 06 - lock: the race on a shared balance (processes) and a shared
 * counter (threads), fixed with a mutex, a semaphore and an atomic add;
 * what each costs; a recursive mutex, a counting semaphore, an event.
 *
 * A race is not guaranteed to show in any one run, so the racy version is
 * never asserted wrong: only run to the end (and, in a ThreadSanitizer
 * build, reported). Every fixed version must give the exact result in
 * every one of many runs with two or more workers, all starting at once.
 * Several wrong answers (a lock that is not process-shared, a semaphore
 * never posted, a forgotten broadcast) hang instead of giving a wrong
 * number: the harness's timeout turns that into a failure.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define LAB "06-lock"

TestSuite(lab06_counter, .timeout = 120);
TestSuite(lab06_bank, .timeout = 120);
TestSuite(lab06_cost, .timeout = 120);
TestSuite(lab06_rlock, .timeout = 60);
TestSuite(lab06_bounded, .timeout = 60);
TestSuite(lab06_event, .timeout = 60);

/* Expect every bad command line to be refused: usage on stderr, status 2. */
static void expect_refused(const char *const *const bad[], size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct run_result *r = run_program(LAB, bad[i], NULL);
        cr_assert_eq(r->exit_code, 2,
                     "`%s` should be refused with exit status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr; stderr was:\n%s",
                  r->desc, r->err);
        run_free(r);
    }
}

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The "run k: <what> V (expected E)" lines of bank or counter: check
 * there are runs of them and, if exact, that every V equals its E. */
static void check_runs(const struct run_result *r, const char *what, int runs,
                       bool exact, const char *todo)
{
    size_t n = 0;
    char **lines = run_lines(r->out, &n);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        int run;
        long value, expected;
        char word[16];
        if (sscanf(lines[i], "run %d: %15s %ld (expected %ld)", &run, word,
                   &value, &expected) != 4 ||
            strcmp(word, what) != 0)
            continue;
        seen++;
        /* Where it starts: no update at all means an empty TODO. */
        long start = strcmp(what, "balance") == 0 ? 100 : 0;
        if (exact)
            cr_assert_eq(
                value, expected,
                "`%s`, run %d: the %s ended at %ld, expected %ld - %s.\n"
                "The line: %s\nHint: %s",
                r->desc, run, what, value, expected,
                value == start
                    ? "not one update was made (is the TODO still empty?)"
                    : "updates were lost, so the workers were not kept apart",
                lines[i], todo);
    }
    run_free_lines(lines);
    cr_assert_eq(seen, runs,
                 "`%s` should print one 'run k: %s N (expected E)' line per "
                 "run, %d in all; saw %d. Output:\n%s",
                 r->desc, what, runs, seen, r->out);
}

/* ---- counter: threads ---------------------------------------------- */

Test(lab06_counter, racy_counter_runs_and_tsan_sees_the_race_the_mutex_removes)
{
    /* The race: may or may not lose increments in any given run. */
    struct run_opts racy = {.allow_sanitizer = true};
    struct run_result *r =
        RUN_WITH(&racy, "counter", "-s", "none", "-n", "200000", "-r", "3");
    const char *san = run_sanitizer();
    bool tsan = san != NULL && strcmp(san, "tsan") == 0;
    if (tsan) {
        cr_assert(r->sanitizer_report,
                  "Under ThreadSanitizer, `%s` should be reported as a data "
                  "race (that is the race this lab shows). Its stderr:\n%s\n"
                  "Hint: the unguarded update must be a plain load and store "
                  "(add_unguarded), not an atomic.",
                  r->desc, r->err);
    } else {
        run_expect_success(r, "the racy version is provided: keep it as it is");
    }
    check_runs(r, "count", 3, false, "");
    run_free(r);

    /* The same with a mutex: exact, and (under tsan) no report at all. */
    r = RUN("counter", "-s", "mutex", "-n", "50000", "-r", "10");
    run_expect_success(r, "TODO(06.1) and TODO(06.3)");
    check_runs(r, "count", 10, true,
               "TODO(06.3): lock the mutex around BOTH the load and the store "
               "(add_unguarded), then unlock it.");
    run_free(r);
}

static void check_counter(const char *sync, const char *todo)
{
    struct run_result *r =
        RUN("counter", "-s", sync, "-t", "2", "-n", "100000", "-r", "20");
    run_expect_success(r, todo);
    check_runs(r, "count", 20, true, todo);
    run_free(r);
    /* Four threads on (say) two cores, each long enough to be preempted
     * many times: even on a loaded machine, where the threads may seldom
     * run at the same moment, a wrong answer loses updates in some run.
     * (Fewer runs in a slow sanitizer build: it checks other things.) */
    bool slow = run_sanitizer() != NULL;
    struct run_opts patient = {.timeout = 40};
    r = RUN_WITH(&patient, "counter", "-s", sync, "-t", "4", "-n", "2000000",
                 "-r", slow ? "2" : "10");
    run_expect_success(r, todo);
    check_runs(r, "count", slow ? 2 : 10, true, todo);
    run_free(r);
}

Test(lab06_counter, mutex_count_is_exact_on_every_run)
{
    check_counter("mutex",
                  "TODO(06.1) (pthread_mutex_init) and TODO(06.3) (lock "
                  "around the load AND the store, then unlock)");
    expect_refused(
        (const char *const *const[]){
            ARGV("counter", "-t", "1"), ARGV("counter", "-t", "17"),
            ARGV("counter", "-s", "spinlock"), ARGV("counter", "-n", "0"),
            ARGV("counter", "-r", "x"), ARGV("counter", "extra")},
        6);
}

Test(lab06_counter, semaphore_count_is_exact_on_every_run)
{
    check_counter("semaphore",
                  "TODO(06.2) (sem_init to 1) and TODO(06.4) (sem_wait, the "
                  "update, sem_post)");
}

Test(lab06_counter, atomic_count_is_exact_on_every_run)
{
    check_counter("atomic",
                  "TODO(06.5): one atomic_fetch_add - an atomic_load then an "
                  "atomic_store still lets another thread in between.");
}

/* ---- bank: processes ----------------------------------------------- */

/* Two workers (one withdraws, one deposits: expected 100) and three (two
 * withdraw: expected 100 - ops, which a balance nobody updated misses). */
static void check_bank(const char *sync, const char *todo)
{
    struct run_result *r =
        RUN("bank", "-s", sync, "-w", "2", "-n", "50000", "-r", "30");
    run_expect_success(r, todo);
    check_runs(r, "balance", 30, true, todo);
    run_free(r);
    r = RUN("bank", "-s", sync, "-w", "3", "-n", "20000", "-r", "10");
    run_expect_success(r, todo);
    check_runs(r, "balance", 10, true, todo);
    cr_assert(strstr(r->out, "(expected -19900)") != NULL,
              "`%s`: two withdrawers and one depositor of 20000 each should "
              "leave an expected balance of -19900. Output:\n%s",
              r->desc, r->out);
    run_free(r);
}

Test(lab06_bank, process_shared_mutex_keeps_the_balance_on_every_run)
{
    check_bank("mutex",
               "TODO(06.1): the workers are processes, so the mutex must be "
               "PTHREAD_PROCESS_SHARED (with a private one a waiting worker "
               "may never be woken, or glibc may abort); TODO(06.3): lock "
               "around the whole update.");
}

Test(lab06_bank, process_shared_semaphore_keeps_the_balance_on_every_run)
{
    check_bank("semaphore",
               "TODO(06.2): sem_init(&a->sem, 1, 1) - shared between "
               "processes, starting at 1; TODO(06.4): every sem_wait needs "
               "its sem_post.");
}

Test(lab06_bank, atomic_add_keeps_the_balance_between_processes)
{
    check_bank("atomic", "TODO(06.5): atomic_fetch_add.");
}

Test(lab06_bank, racy_bank_runs_to_the_end_and_bad_arguments_are_refused)
{
    /* TSan cannot see a race between processes: no report either way. */
    struct run_opts racy = {.allow_sanitizer = true};
    struct run_result *r = RUN_WITH(&racy, "bank", "-r", "5");
    check_runs(r, "balance", 5, false, "");
    cr_assert(strstr(r->out, "(expected 100)") != NULL,
              "Run bare, `bank` is the lecture's example: balance 100, "
              "expected 100. Output:\n%s",
              r->out);
    run_free(r);
    expect_refused(
        (const char *const *const[]){
            ARGV("bank", "-w", "1"), ARGV("bank", "-w", "99"),
            ARGV("bank", "-s", "lock"), ARGV("bank", "-n", "-5"),
            ARGV("bank", "-r", "0"), ARGV("bank", "-q")},
        6);
    r = RUN("bank", "-s", "mutex", "-w", "5", "-n", "10000", "-r", "5");
    run_expect_success(r, "TODO(06.1) and TODO(06.3)");
    check_runs(r, "balance", 5, true, "TODO(06.1) and TODO(06.3)");
    run_free(r);
}

/* ---- cost ---------------------------------------------------------- */

Test(lab06_cost,
     every_fixed_choice_is_timed_and_exact_for_threads_and_processes)
{
    /* "none" is left out: under ThreadSanitizer it is (rightly) a report. */
    struct run_result *r =
        RUN("cost", "-n", "20000", "-r", "3", "mutex", "semaphore", "atomic");
    run_expect_success(r, "TODO(06.1) to TODO(06.5)");
    static const char *const kinds[] = {"threads", "processes"};
    static const char *const syncs[] = {"mutex", "semaphore", "atomic"};
    for (size_t k = 0; k < 2; k++)
        for (size_t s = 0; s < 3; s++) {
            char want[64];
            snprintf(want, sizeof want, "%-9s  %-9s ", kinds[k], syncs[s]);
            const char *line = run_line_starting(r->out, want);
            cr_assert(line != NULL,
                      "`%s` should print a row for %s with %s. Output:\n%s",
                      r->desc, kinds[k], syncs[s], r->out);
            double alone = -1, all = -1;
            char result[16] = "";
            cr_assert(sscanf(line + strlen(want), "%lf %lf %15s", &alone, &all,
                             result) == 3 &&
                          alone > 0 && all > 0,
                      "The %s/%s row should give two positive costs (ns "
                      "alone, ns all), then its result. The row:\n%.80s",
                      kinds[k], syncs[s], line);
            cr_assert_str_eq(
                result, "exact",
                "With %s as %s, every measured run must give the exact "
                "count. The row:\n%.80s\nHint: TODO(06.1) to TODO(06.5).",
                syncs[s], kinds[k], line);
        }
    run_free(r);
    expect_refused((const char *const *const[]){ARGV("cost", "-r", "100"),
                                                ARGV("cost", "-w", "1"),
                                                ARGV("cost", "futex")},
                   3);
}

/* ---- rlock --------------------------------------------------------- */

Test(lab06_rlock, a_transfer_takes_the_recursive_lock_twice_and_totals_hold)
{
    struct run_result *r = RUN("rlock", "-t", "4", "-n", "20000");
    run_expect_success(r,
                       "TODO(06.6): pthread_mutexattr_settype(&attr, "
                       "PTHREAD_MUTEX_RECURSIVE). 'Resource deadlock avoided' "
                       "means a thread locked a mutex it already held.");
    long done = -1, audits = -1, bad = -1, sum = -1, expected = -1;
    int deep = -1;
    size_t count = 0;
    char **lines = run_lines(r->out, &count);
    for (size_t i = 0; i < count; i++) {
        /* sscanf stores what it matched before failing: parse into x, y. */
        long x, y, c, s;
        int d;
        if (sscanf(lines[i], "rlock: %ld transfers done, lock held at most %d",
                   &x, &d) == 2) {
            done = x;
            deep = d;
        } else if (sscanf(lines[i], "rlock: %ld audits during the run, %ld saw",
                          &x, &y) == 2) {
            audits = x;
            bad = y;
        } else if (sscanf(lines[i],
                          "rlock: checking %ld + savings %ld = %ld (expected "
                          "%ld)",
                          &c, &s, &x, &y) == 4) {
            sum = x;
            expected = y;
        }
    }
    run_free_lines(lines);
    cr_assert_eq(done, 80000,
                 "4 threads x 20000 transfers: expected 'rlock: 80000 "
                 "transfers done, ...', saw %ld. Output:\n%s",
                 done, r->out);
    cr_assert_eq(deep, 2,
                 "A transfer holds the lock while withdraw and deposit take "
                 "it again: expected it held 2 deep at most, saw %d.",
                 deep);
    cr_assert(audits > 0 && bad == 0,
              "No audit may see a wrong total - a transfer is one critical "
              "section - saw %ld wrong of %ld. Output:\n%s",
              bad, audits, r->out);
    cr_assert(sum == expected && sum > 0,
              "Expected 'rlock: checking C + savings S = T (expected T)' "
              "with the total unchanged. Output:\n%s",
              r->out);
    run_free(r);
    expect_refused((const char *const *const[]){ARGV("rlock", "-t", "1"),
                                                ARGV("rlock", "-n", "0"),
                                                ARGV("rlock", "x")},
                   3);
}

/* ---- bounded ------------------------------------------------------- */

static void check_bounded(const char *workers, const char *limit, int k, int n)
{
    struct run_result *r =
        RUN("bounded", "-t", workers, "-k", limit, "-s", "0.25");
    run_expect_success(r, "TODO(06.7) to TODO(06.9)");
    size_t count = 0;
    char **lines = run_lines(r->out, &count);
    int ins = 0, outs = 0, most = 0;
    for (size_t i = 0; i < count; i++) {
        int w, inside;
        if (sscanf(lines[i], "worker %d: in (%d inside)", &w, &inside) == 2) {
            ins++;
            if (inside > most)
                most = inside;
        } else if (strstr(lines[i], ": out") != NULL) {
            outs++;
        }
    }
    run_free_lines(lines);
    cr_assert(ins == n && outs == n,
              "`%s`: each of %d workers should come in and go out once; saw "
              "%d 'in' and %d 'out' lines. Output:\n%s",
              r->desc, n, ins, outs, r->out);
    cr_assert_leq(most, k,
                  "`%s`: %d workers were inside at once, the limit is %d.\n"
                  "Hint: TODO(06.7) sem_init(&slots, 0, limit); TODO(06.8) "
                  "sem_wait before coming in; TODO(06.9) sem_post on the way "
                  "out.",
                  r->desc, most, k);
    cr_assert_eq(most, k,
                 "`%s`: never more than %d inside at once, but the limit is "
                 "%d: the semaphore should start at limit, not at 1.",
                 r->desc, most, k);
    run_free(r);
}

Test(lab06_bounded, at_most_limit_workers_are_inside_at_once)
{
    check_bounded("6", "2", 2, 6);
    check_bounded("7", "3", 3, 7);
    expect_refused((const char *const *const[]){ARGV("bounded", "-k", "0"),
                                                ARGV("bounded", "-t", "33"),
                                                ARGV("bounded", "-s", "6")},
                   3);
}

/* ---- event --------------------------------------------------------- */

Test(lab06_event, every_waiter_goes_on_only_once_the_event_is_set)
{
    struct run_result *r = RUN("event", "-t", "4", "-d", "0.3", "-l", "2");
    run_expect_success(r, "TODO(06.10) and TODO(06.11). A run that hangs: a "
                          "waiter was never woken (broadcast, not signal) or "
                          "waited although the flag was already up.");
    const char *set = run_line_starting(r->out, "main: setting the event");
    cr_assert(set != NULL, "No 'main: setting the event' line. Output:\n%s",
              r->out);
    size_t count = 0;
    char **lines = run_lines(r->out, &count);
    int waiters = 0, late = 0;
    for (size_t i = 0; i < count; i++) {
        int w;
        double at;
        bool is_late =
            sscanf(lines[i], "late waiter %d: went on at %lf s", &w, &at) == 2;
        if (!is_late &&
            sscanf(lines[i], "waiter %d: went on at %lf s", &w, &at) != 2)
            continue;
        cr_assert_geq(at, 0.3 * 0.98,
                      "`%s`: '%s' - a waiter went on before the event was "
                      "set (0.3 s).\nHint: TODO(06.11): wait on the condition "
                      "variable while the flag is down.",
                      r->desc, lines[i]);
        if (is_late)
            late++;
        else
            waiters++;
    }
    run_free_lines(lines);
    cr_assert(waiters == 4 && late == 2,
              "Expected 4 waiters and 2 late waiters to go on; saw %d and "
              "%d. Output:\n%s",
              waiters, late, r->out);
    const char *first = strstr(r->out, "waiter ");
    cr_assert(first > set,
              "A waiter went on before main set the event. Output:\n%s",
              r->out);
    run_free(r);
    expect_refused(
        (const char *const *const[]){ARGV("event", "-t", "0"),
                                     ARGV("event", "-d", "x"),
                                     ARGV("event", "-t", "30", "-l", "5")},
        3);
}
