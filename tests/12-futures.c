/*
 * Lab 12 - futures: the student's futures.c, over the provided tpool.c,
 * driven through its API by tests/12-futures/futdrv.c (a process of its
 * own), and the lab's program primes. The driver prints facts - each
 * future's id, error, value and state, who ran which callback how often,
 * the order as_completed gave and the order the tasks really ended in -
 * and these tests check them; no verdict rests on a line the student's
 * code prints about itself. Races are provoked: the schedule perturber
 * (opts.perturb), ThreadSanitizer, AddressSanitizer, and the CPU time of a
 * program that only waits.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define LAB "12-futures"
#define MAXID 256

TestSuite(lab12_futures, .timeout = 30);
TestSuite(lab12_races, .timeout = 60);
TestSuite(lab12_programs, .timeout = 30);

static const char *const HINT_ALL =
    "Hint: run_future (TODO 12.1 and 12.3) moves a future PENDING -> "
    "RUNNING -> FINISHED under ex->lock; mark_done (TODO 12.2) wakes every "
    "waiter; future_result (TODO 12.4) waits in a while loop.";

/* Run futdrv, demand a clean end, return its output (caller frees). */
static char *drv(const struct run_opts *opts, const char *hint,
                 const char *const argv[])
{
    struct run_result *r = run_program(LAB, argv, opts);
    cr_assert(!r->timed_out,
              "`%s` %s: something waited forever - a waiter never woken "
              "(a missing broadcast?), a lock never released, or a "
              "callback run with the lock held that calls back into the "
              "module.\nOutput so far:\n%.1500s\n%s",
              r->desc, run_how_ended(r), r->out, hint);
    cr_assert(r->exit_code == 0 && strstr(r->out, "end of ") != NULL,
              "`%s` %s; expected status 0 and the line 'end of <mode>'.\n"
              "stderr:\n%.1500s\nstdout:\n%.1500s\n%s",
              r->desc, run_how_ended(r), r->err, r->out, hint);
    char *out = strdup(r->out);
    cr_assert(out != NULL);
    run_free(r);
    return out;
}

#define DRV(opts, hint, ...)                                                   \
    drv((opts), (hint), (const char *const[]){"futdrv", __VA_ARGS__, NULL})

/* What "result <id> <err> <value> <state>" lines said, by id. */
struct results {
    int seen[MAXID], err[MAXID];
    long long value[MAXID];
    char state[MAXID][16];
};

static void parse_results(const char *out, const char *prefix,
                          struct results *res)
{
    memset(res, 0, sizeof *res);
    char **lines = run_lines(out, NULL);
    size_t len = strlen(prefix);
    for (char **l = lines; *l != NULL; l++) {
        int id, err;
        long long value;
        char state[16] = "";
        if (strncmp(*l, prefix, len) != 0 || (*l)[len] != ' ')
            continue;
        int got = sscanf(*l + len, "%d %d %lld %15s", &id, &err, &value, state);
        if (got >= 3 && id >= 0 && id < MAXID) {
            res->seen[id]++;
            res->err[id] = err;
            res->value[id] = value;
            snprintf(res->state[id], sizeof res->state[id], "%s", state);
        }
    }
    run_free_lines(lines);
}

/* The position of the first line equal to line, or -1. */
static int line_index(const char *out, const char *line)
{
    char **lines = run_lines(out, NULL);
    int at = -1;
    for (int k = 0; lines[k] != NULL && at < 0; k++)
        if (strcmp(lines[k], line) == 0)
            at = k;
    run_free_lines(lines);
    return at;
}

static size_t lines_equal(const char *out, const char *line)
{
    char **lines = run_lines(out, NULL);
    size_t n = 0;
    for (int k = 0; lines[k] != NULL; k++)
        n += strcmp(lines[k], line) == 0;
    run_free_lines(lines);
    return n;
}

static void expect_line(const char *out, size_t times, const char *what,
                        const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void expect_line(const char *out, size_t times, const char *what,
                        const char *hint, const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = lines_equal(out, line);
    cr_assert_eq(n, times,
                 "%s: expected the driver's line '%s' %zu time(s), saw it "
                 "%zu time(s).\nDriver output:\n%.2500s\n%s",
                 what, line, times, n, out, hint);
}

/* ---- the API ----------------------------------------------------------- */

Test(lab12_futures, result_returns_each_tasks_value_or_its_error)
{
    char *out = DRV(NULL, HINT_ALL, "-m", "result", "-w", "2", "-n", "8");
    struct results res;
    parse_results(out, "result", &res);
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(res.seen[i], 1,
                     "Expected one 'result %d ...' line, saw %d.\n%s\n"
                     "Output:\n%s",
                     i, res.seen[i], HINT_ALL, out);
        int want_err = i == 5 ? EDOM : 0;
        cr_assert_eq(res.err[i], want_err,
                     "future_result of task %d returned %d; expected %d "
                     "(%s).\nHint: TODO(12.4): return f->error, the number "
                     "the task returned (task 5 fails with EDOM); 0 and the "
                     "value otherwise. ENOSYS (%d) is the starter's stub.",
                     i, res.err[i], want_err,
                     i == 5 ? "EDOM: the task's error" : "no error", ENOSYS);
        if (i != 5)
            cr_assert_eq(res.value[i], 3LL * i + 1,
                         "future_result of task %d gave the value %lld; the "
                         "task computed %lld.\nHint: TODO(12.3) stores "
                         "f->value before the state becomes FINISHED; "
                         "TODO(12.4) reads it once the future is done.",
                         i, res.value[i], 3LL * i + 1);
        cr_assert_str_eq(res.state[i], "finished",
                         "After future_result returned, task %d's future "
                         "was '%s'; expected finished (FINISHED).\nHint: "
                         "TODO(12.3) sets FUTURE_FINISHED.",
                         i, res.state[i]);
    }
    free(out);
}

static const char *const CANCEL_HINT =
    "Hint: TODO(12.5): only a PENDING future can be cancelled (state "
    "CANCELLED, mark_done); TODO(12.1): a pool thread skips a CANCELLED "
    "future and marks the others RUNNING, under the lock.";

Test(lab12_futures, cancel_succeeds_only_before_the_task_starts)
{
    char *out = DRV(NULL, CANCEL_HINT, "-m", "cancel");
    expect_line(out, 1, "Task 0 was running when future_cancel was called",
                "A running task cannot be stopped: cancel must return "
                "false. Hint: TODO(12.1) sets RUNNING; TODO(12.5) cancels "
                "only PENDING.",
                "cancel 0 0");
    expect_line(out, 2,
                "Task 1 waited in the queue: cancel must succeed, and "
                "say so again the second time",
                CANCEL_HINT, "cancel 1 1");
    expect_line(out, 1, "Task 3 waited in the queue", CANCEL_HINT,
                "cancel 3 1");
    expect_line(out, 1, "Task 2 had finished when it was cancelled",
                CANCEL_HINT, "cancel 2 0");
    struct results res;
    parse_results(out, "result", &res);
    for (int i = 0; i < 5; i++) {
        bool cancelled = i == 1 || i == 3;
        cr_assert(
            res.seen[i] == 1 && res.err[i] == (cancelled ? ECANCELED : 0) &&
                strcmp(res.state[i], cancelled ? "cancelled" : "finished") ==
                    0 &&
                (cancelled || res.value[i] == 3LL * i + 1),
            "Future %d: future_result gave error %d, value %lld, "
            "state '%s'; expected %s.\n%s\nOutput:\n%s",
            i, res.err[i], res.value[i], res.state[i],
            cancelled ? "ECANCELED and cancelled" : "0, its value, finished",
            CANCEL_HINT, out);
    }
    static const int ran[5] = {1, 0, 1, 0, 1};
    for (int i = 0; i < 5; i++)
        expect_line(out, 1,
                    ran[i] ? "A task not cancelled runs exactly once"
                           : "A cancelled task must never run",
                    "Hint: TODO(12.1): if the state is CANCELLED, unlock and "
                    "return without running the task.",
                    "ran %d %d", i, ran[i]);
    free(out);
}

Test(lab12_futures, a_cancelled_future_wakes_its_waiter_and_runs_its_callback)
{
    char *out = DRV(NULL, CANCEL_HINT, "-m", "cancel");
    expect_line(out, 1,
                "A thread waiting in future_result(f3) when f3 was "
                "cancelled must wake up with ECANCELED",
                "Hint: mark_done (TODO 12.2) broadcasts for a cancel too "
                "(TODO 12.5 calls it); TODO(12.4) returns ECANCELED.",
                "waiter 3 %d -1", ECANCELED);
    expect_line(out, 1,
                "f3's callback, added while it was pending, runs when it is "
                "cancelled",
                "Hint: TODO(12.5) runs mark_done's callback after the "
                "unlock.",
                "cbD 3 cancelled");
    expect_line(out, 1,
                "A callback added to an already cancelled future runs at "
                "once",
                "Hint: TODO(12.6): if the future is done, run the callback "
                "now (after the unlock).",
                "cbC 1 cancelled");
    expect_line(out, 1,
                "Adding a first callback to the pending f2 returns 0, a "
                "second one EBUSY",
                "Hint: TODO(12.6): one callback per future.", "add2 0 %d",
                EBUSY);
    expect_line(out, 1, "f2's callback runs once it finishes",
                "Hint: TODO(12.3) calls mark_done, which hands the callback "
                "to the finishing thread.",
                "cbA 2 finished");
    expect_line(out, 0, "The refused second callback must never run",
                "Hint: TODO(12.6) stores nothing when it answers EBUSY.",
                "cbB 2 finished");
    free(out);
}

/* Check the callback driver's lines for n futures. */
static void expect_callbacks_once(const char *out, int n)
{
    const char *hint =
        "Hint: TODO(12.6): test 'done?' and store the callback in ONE "
        "locked step; TODO(12.2): mark_done takes the callback out (f->cb "
        "= NULL) under the lock, so only one thread ever runs it; "
        "callbacks run after the unlock (a callback here calls "
        "future_result).";
    for (int i = 0; i < n; i++) {
        expect_line(out, 1, "Each callback runs exactly once", hint,
                    "cbcount %d 1 1", i);
        char pool[64], main[64];
        snprintf(pool, sizeof pool, "cb %d 1 0 %d pool", i, 3 * i + 1);
        snprintf(main, sizeof main, "cb %d 1 0 %d main", i, 3 * i + 1);
        size_t seen = lines_equal(out, pool) + lines_equal(out, main);
        cr_assert_eq(seen, 1,
                     "Future %d's first callback (added right after submit) "
                     "should have run once and seen the value %d through "
                     "future_result; lines '%s' or '%s' seen %zu times.\n%s",
                     i, 3 * i + 1, pool, main, seen, hint);
        expect_line(out, 1,
                    "A callback added to a done future runs at once, in the "
                    "thread that adds it (main)",
                    hint, "cb %d 2 0 %d main", i, 3 * i + 1);
    }
    cr_assert(strstr(out, "\nadd ") == NULL && strstr(out, "late add") == NULL,
              "future_add_done_callback refused a first callback.\n%s\n"
              "Output:\n%.1500s",
              hint, out);
}

Test(lab12_futures, callbacks_run_once_by_the_finisher_or_at_once_if_done)
{
    char *out = DRV(NULL, HINT_ALL, "-m", "callback", "-w", "4", "-n", "60");
    expect_callbacks_once(out, 60);
    free(out);
}

/* "finished <id> <ticket>" and "<label> <k> <id> <err> <value>" lines:
 * each of ids first..first+n-1 given once, in the order of the tickets. */
static void expect_completion_order(const char *out, const char *label,
                                    int first, int n)
{
    int ticket[MAXID], given[MAXID], order[MAXID];
    for (int i = 0; i < MAXID; i++)
        ticket[i] = -1, given[i] = 0, order[i] = -1;
    char **lines = run_lines(out, NULL);
    size_t len = strlen(label);
    for (char **l = lines; *l != NULL; l++) {
        int id, t, k, err;
        long long value;
        bool mine = strncmp(*l, label, len) == 0 && (*l)[len] == ' ';
        if (sscanf(*l, "finished %d %d", &id, &t) == 2 && id >= 0 && id < MAXID)
            ticket[id] = t;
        else if (mine &&
                 sscanf(*l + len, "%d %d %d %lld", &k, &id, &err, &value) ==
                     4 &&
                 id >= 0 && id < MAXID && k >= 0 && k < MAXID) {
            given[id]++;
            order[k] = id;
            cr_assert(err == 0 && value == 3LL * id + 1,
                      "as_completed gave future %d, whose result was error "
                      "%d value %lld.\n%s",
                      id, err, value, HINT_ALL);
        }
    }
    run_free_lines(lines);
    const char *hint =
        "Hint: TODO(12.7): among the futures, the done one with the "
        "SMALLEST done_seq (numbered by mark_done, TODO 12.2); TODO(12.8): "
        "move it to fs[*left - 1] and decrement *left, so that it is "
        "never looked at again.";
    for (int id = first; id < first + n; id++)
        cr_assert_eq(given[id], 1,
                     "futures_as_completed (%s) gave future %d %d times; "
                     "each future must come exactly once.\n%s\nOutput:\n%s",
                     label, id, given[id], hint, out);
    for (int k = 0; k < n; k++)
        cr_assert_eq(ticket[order[k]] - ticket[order[0]], k,
                     "futures_as_completed (%s) gave future %d in place %d, "
                     "but it was the %d-th to finish: the futures must come "
                     "in the order they were done.\n%s\nOutput:\n%s",
                     label, order[k], k, ticket[order[k]] - ticket[order[0]],
                     hint, out);
}

Test(lab12_futures, as_completed_yields_each_future_once_in_completion_order)
{
    char *out = DRV(NULL, HINT_ALL, "-m", "order", "-n", "6");
    /* Waiting while they finish, then taking 6 already done. */
    expect_completion_order(out, "completed", 0, 6);
    expect_completion_order(out, "completed2", 6, 6);
    free(out);
}

Test(lab12_futures, wait_any_returns_the_future_done_first)
{
    char *out = DRV(NULL, HINT_ALL, "-m", "any");
    expect_line(out, 1,
                "futures_wait_any({a task of 0.3 s, one of 0.02 s}) must "
                "return 1, the index of the quick one",
                "Hint: TODO(12.7): wait until one of the set is done; "
                "return its index.",
                "any 1");
    free(out);
}

Test(lab12_futures, shutdown_waits_for_every_running_and_queued_task)
{
    char *out = DRV(NULL, HINT_ALL, "-m", "shutdown", "-n", "6");
    int back = line_index(out, "shutdown returned");
    cr_assert_geq(back, 0, "No 'shutdown returned' line. Output:\n%s", out);
    const char *hint =
        "Hint: TODO(12.9): executor_shutdown calls tpool_shutdown, which "
        "returns once every queued and running task has ended, before it "
        "frees anything; callbacks run in the pool threads, so they are "
        "done by then too.";
    for (int i = 0; i < 6; i++) {
        char end[32], cb[32];
        snprintf(end, sizeof end, "end %d", i);
        snprintf(cb, sizeof cb, "cb %d finished", i);
        int e = line_index(out, end), c = line_index(out, cb);
        cr_assert(e >= 0 && e < back && c >= 0 && c < back,
                  "Task %d (30 ms; 6 tasks on 2 threads) must have ended "
                  "(line '%s') and its callback run ('%s') before "
                  "executor_shutdown(ex, false) returned.\n%s\nOutput:\n%s",
                  i, end, cb, hint, out);
    }
    free(out);
}

Test(lab12_futures, shutdown_with_cancel_cancels_only_tasks_not_started)
{
    char *out = DRV(NULL, CANCEL_HINT, "-m", "shutdown", "-n", "6");
    int back = line_index(out, "shutdown2 returned");
    cr_assert_geq(back, 0, "No 'shutdown2 returned' line. Output:\n%s", out);
    const char *hint =
        "Hint: TODO(12.9): with cancel_pending, future_cancel every future "
        "of ex->all: the 2 running say no and finish, the 4 queued are "
        "cancelled and never run; then wait for the pool.";
    for (int i = 0; i < 6; i++) {
        expect_line(out, 1,
                    i < 2 ? "The 2 tasks already running when "
                            "executor_shutdown(ex, true) began run to the end"
                          : "A task still queued at executor_shutdown(ex, "
                            "true) is cancelled, never run",
                    hint, "ran2 %d %d", i, i < 2);
        char cb[32];
        snprintf(cb, sizeof cb, "cb2 %d %s", i,
                 i < 2 ? "finished" : "cancelled");
        int c = line_index(out, cb);
        cr_assert(c >= 0 && c < back,
                  "Expected '%s' (future %d's callback) before shutdown "
                  "returned.\n%s\nOutput:\n%s",
                  cb, i, hint, out);
    }
    expect_line(out, 1,
                "A task that submits while its executor shuts down must be "
                "refused with EINVAL",
                "Hint: TODO(12.9) sets ex->closing under the lock; "
                "executor_submit refuses then.",
                "late %d refused", EINVAL);
    free(out);
}

/* ---- races ------------------------------------------------------------- */

static void expect_waited(const char *out, int rounds, int waiters, int n)
{
    const char *hint =
        "Hint: TODO(12.4): wait in a WHILE loop on is_done(f): ex->changed "
        "is broadcast whenever ANY future is done, so a waiter often wakes "
        "while its own future still runs; TODO(12.2): broadcast, not "
        "signal - a signal may wake a waiter of another future and leave "
        "this one asleep.";
    char **lines = run_lines(out, NULL);
    int count = 0;
    for (char **l = lines; *l != NULL; l++) {
        int r, w, i, err;
        long long value;
        if (sscanf(*l, "waited %d %d %d %d %lld", &r, &w, &i, &err, &value) !=
            5)
            continue;
        count++;
        cr_assert(err == 0 && value == 3LL * i + 1,
                  "Round %d, waiter %d: future_result of task %d returned "
                  "error %d, value %lld; expected 0 and %d.\n%s",
                  r, w, i, err, value, 3 * i + 1, hint);
    }
    run_free_lines(lines);
    cr_assert_eq(count, rounds * waiters * n,
                 "Expected %d 'waited' lines (%d rounds x %d waiters x %d "
                 "futures), saw %d.\n%s",
                 rounds * waiters * n, rounds, waiters, n, count, hint);
}

Test(lab12_races, many_short_lived_waiters_get_the_right_value_perturbed)
{
    struct run_opts opts = {.perturb = true, .timeout = 20};
    char *out = DRV(&opts, HINT_ALL, "-m", "stress", "-w", "3", "-r", "20",
                    "-n", "8", "-W", "8");
    expect_waited(out, 20, 8, 8);
    free(out);
}

Test(lab12_races, callbacks_run_exactly_once_under_the_perturber)
{
    struct run_opts opts = {.perturb = true, .timeout = 20};
    char *out = DRV(&opts, HINT_ALL, "-m", "callback", "-w", "4", "-n", "150");
    expect_callbacks_once(out, 150);
    free(out);
}

/* "cr <round> <i> <cancelled> <ran> <err> <value>": cancelled and not
 * run, or run and not cancelled; never both, never neither. */
static void expect_cancel_or_run(const char *out, int rounds, int n)
{
    char **lines = run_lines(out, NULL);
    int count = 0;
    for (char **l = lines; *l != NULL; l++) {
        int r, i, c, ran, err;
        long long value;
        if (sscanf(*l, "cr %d %d %d %d %d %lld", &r, &i, &c, &ran, &err,
                   &value) != 6)
            continue;
        count++;
        bool was_cancelled = c == 1 && ran == 0 && err == ECANCELED;
        bool was_run = c == 0 && ran == 1 && err == 0 && value == 3LL * i + 1;
        cr_assert(was_cancelled || was_run,
                  "Round %d, future %d: future_cancel said %s, the task ran "
                  "%d time(s), future_result gave error %d value %lld. "
                  "Expected either cancelled (true, never run, ECANCELED) "
                  "or run (false, once, its value %d).\nHint: the thread "
                  "starting a task (TODO 12.1) and future_cancel (TODO 12.5) "
                  "must each look at the state and change it in ONE locked "
                  "step: a look before the lock lets both win.",
                  r, i, c ? "true" : "false", ran, err, value, 3 * i + 1);
    }
    run_free_lines(lines);
    cr_assert_eq(count, rounds * n, "Expected %d 'cr' lines, saw %d.",
                 rounds * n, count);
}

Test(lab12_races, cancel_and_start_never_both_under_the_perturber)
{
    struct run_opts opts = {.perturb = true, .timeout = 20};
    char *out = DRV(&opts, CANCEL_HINT, "-m", "cancelrace", "-w", "2", "-r",
                    "30", "-n", "8");
    expect_cancel_or_run(out, 30, 8);
    free(out);
}

Test(lab12_races, no_data_race_under_tsan)
{
    struct run_opts opts = {
        .sanitizer = RUN_TSAN,
        .timeout = 20,
        .hint = "Hint: every read and write of a future's state, value, "
                "error, callback and done_seq is made with ex->lock held - "
                "future_result and future_cancel included: a quick look at "
                "f->state before taking the lock is a data race."};
    char *out = DRV(&opts, HINT_ALL, "-m", "stress", "-w", "3", "-r", "4", "-n",
                    "8", "-W", "4");
    expect_waited(out, 4, 4, 8);
    free(out);
    out = DRV(&opts, HINT_ALL, "-m", "callback", "-w", "3", "-n", "40");
    expect_callbacks_once(out, 40);
    free(out);
    out = DRV(&opts, CANCEL_HINT, "-m", "cancel");
    expect_line(out, 1, "cancel of the running task 0", CANCEL_HINT,
                "cancel 0 0");
    free(out);
    out = DRV(&opts, CANCEL_HINT, "-m", "cancelrace", "-w", "2", "-r", "10",
              "-n", "8");
    expect_cancel_or_run(out, 10, 8);
    free(out);
    out = DRV(&opts, CANCEL_HINT, "-m", "shutdown", "-n", "6");
    free(out);
}

Test(lab12_races, clean_under_asan_every_future_freed)
{
    struct run_opts opts = {
        .sanitizer = RUN_ASAN,
        .timeout = 20,
        .hint = "Hint: executor_shutdown frees every future, and only after "
                "tpool_shutdown has returned: a pool thread may still be "
                "finishing one (TODO 12.9)."};
    char *out = DRV(&opts, HINT_ALL, "-m", "shutdown", "-n", "6");
    free(out);
    out = DRV(&opts, CANCEL_HINT, "-m", "cancel");
    free(out);
    out = DRV(&opts, HINT_ALL, "-m", "callback", "-w", "3", "-n", "40");
    expect_callbacks_once(out, 40);
    free(out);
}

Test(lab12_races, result_blocks_without_spinning)
{
    struct run_result *r = RUN("futdrv", "-m", "sleepy", "-W", "3");
    /* The task sleeps 0.5 s; main and 3 threads wait for it. */
    run_expect_success(r, HINT_ALL);
    expect_line(r->out, 3, "Three helper threads waited on the 0.5 s task",
                HINT_ALL, "waiter 0 0 1");
    if (run_cpu_is_measurable())
        cr_assert_lt(r->cpu_seconds, 0.1 * r->elapsed,
                     "`%s` used %.3f s of CPU in %.3f s while four threads "
                     "only waited for a task that sleeps 0.5 s: future_result "
                     "must sleep in pthread_cond_wait (ex_wait), not spin "
                     "(expected under a tenth of the wall time).\nHint: "
                     "TODO(12.4).",
                     r->desc, r->cpu_seconds, r->elapsed);
    run_free(r);
}

/* ---- the program ------------------------------------------------------- */

static void expect_help(struct run_result *r)
{
    cr_assert(r->exit_code == 0 && strncmp(r->out, "usage: ", 7) == 0,
              "`%s` should print its usage line on stdout and exit 0; it %s, "
              "stdout:\n%s",
              r->desc, run_how_ended(r), r->out);
    run_free(r);
}

static void expect_refused(struct run_result *r)
{
    cr_assert(r->exit_code == 2 && strstr(r->err, "usage:") != NULL,
              "`%s` should be refused with a usage line on stderr and "
              "status 2; it %s, stderr:\n%s",
              r->desc, run_how_ended(r), r->err);
    run_free(r);
}

/* The answer line primes must print for n, in the test's own words. */
static void answer_for(long long n, char *buf, size_t len)
{
    if (n < 2) {
        snprintf(buf, len, "%lld: no answer (%s)", n, strerror(EDOM));
        return;
    }
    long long d = n % 2 == 0 ? 2 : 0;
    for (long long k = 3; d == 0 && k <= n / k; k += 2)
        if (n % k == 0)
            d = k;
    if (d == 0 || d == n)
        snprintf(buf, len, "%lld is prime", n);
    else
        snprintf(buf, len, "%lld is not prime: %lld x %lld", n, d, n / d);
}

Test(lab12_programs, primes_answers_every_number_once_as_completed)
{
    static const long long numbers[] = {97,
                                        91,
                                        1,
                                        1000003,
                                        0,
                                        999983,
                                        3 * 7 * 11 * 13,
                                        2,
                                        1000033LL * 1000037LL};
    struct run_result *r = RUN("primes", "-w", "3", "97", "91", "1", "1000003",
                               "0", "999983", "3003", "2", "1000070001221");
    run_expect_success(r, HINT_ALL);
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        char want[128], line[160];
        answer_for(numbers[i], want, sizeof want);
        snprintf(line, sizeof line, "  #%zu %s", i, want);
        expect_line(r->out, 1,
                    "primes prints each number's answer once, with its "
                    "future's id, as it completes",
                    HINT_ALL, "%s", line);
    }
    run_free(r);
}

Test(lab12_programs, primes_checks_the_default_numbers_and_refuses_bad_input)
{
    expect_refused(RUN("primes", "-w", "0"));
    expect_refused(RUN("primes", "-w", "65"));
    expect_refused(RUN("primes", "-r", "x"));
    expect_refused(RUN("primes", "12abc"));
    expect_refused(RUN("primes", "-q"));
    expect_help(RUN("primes", "-h"));
    expect_help(RUN("primes", "--help"));
    struct run_result *r = RUN("primes");
    run_expect_success(r, HINT_ALL);
    static const char *const want[] = {
        "  #0 100000000000031 is prime",
        "  #1 99999140001653 is not prime: 9999943 x 9999971",
        "  #2 100000000000067 is prime",
        "  #3 100000000000035 is not prime: 3 x 33333333333345",
        "  #4 100000000000097 is prime",
        "  #5 99999640000243 is not prime: 9999973 x 9999991",
        "  #6 100000000000099 is prime",
        "  #7 100000000000001 is not prime: 29 x 3448275862069"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        expect_line(r->out, 1,
                    "`primes` checks the default eight numbers near 10^14",
                    HINT_ALL, "%s", want[i]);
    run_free(r);
}

/* ---- fetch: the page downloads ------------------------------------------ */

static const char *const FETCH_HINT =
    "Hint: fetch uses executor_submit, future_add_done_callback (TODO "
    "12.6), futures_wait_any (TODO 12.7) and future_result (TODO 12.4); "
    "the pages' waits overlap only if the executor's threads run them at "
    "the same time.";

Test(lab12_programs, fetch_waits_for_pages_side_by_side_and_checks_each)
{
    struct run_result *many = RUN("fetch", "-n", "8", "-d", "100", "-w", "8");
    run_expect_success(many, FETCH_HINT);
    for (int i = 0; i < 8; i++) {
        expect_line(many->out, 1, "Every page arrives once, intact", FETCH_HINT,
                    "page%d: %d bytes, as sent", i, 1024);
        char done[32];
        snprintf(done, sizeof done, "done: page%d (", i);
        cr_assert_eq(run_count_lines(many->out, done), 1,
                     "Expected one progress line '%s...' (the future's "
                     "callback) per page.\n%s\nOutput:\n%s",
                     done, FETCH_HINT, many->out);
    }
    cr_assert(run_line_starting(many->out, "first done: page") != NULL,
              "Expected a 'first done: pageK' line (futures_wait_any).\n%s",
              FETCH_HINT);
    struct run_result *one = RUN("fetch", "-n", "8", "-d", "100", "-w", "1");
    run_expect_success(one, FETCH_HINT);
    /* What a run costs besides the waits (start-up, the server, the
     * connections: much more under a sanitizer): the same pages, no delay. */
    struct run_result *base = RUN("fetch", "-n", "8", "-d", "0", "-w", "1");
    run_expect_success(base, FETCH_HINT);
    double waited_many = many->elapsed - base->elapsed;
    double waited_one = one->elapsed - base->elapsed;
    /* Under valgrind or a whole-run sanitizer (make tsan/asan/valgrind),
     * starting 8 threads costs more than the waits: no timing there. */
    if (run_cpu_is_measurable())
        cr_assert_lt(
            waited_many, 0.5 * waited_one,
            "8 pages of 100 ms took %.3f s on 8 threads and %.3f s on "
            "1 (%.3f s with no delay at all): the waits should overlap "
            "(about 0.1 s of waiting against 0.8 s; expected under "
            "half).\n%s",
            many->elapsed, one->elapsed, base->elapsed, FETCH_HINT);
    run_free(base);
    run_free(many);
    run_free(one);
}

Test(lab12_programs, fetch_reports_each_misbehaving_page_as_its_error)
{
    struct run_result *r =
        RUN("fetch", "-t", "400", "-d", "50", "page0", "!close", "!garbage",
            "!half", "!stall", "page5");
    cr_assert_eq(r->exit_code, 1,
                 "`%s` %s; expected status 1 (some pages failed), each "
                 "failure reported, no crash, no hang.\nstderr:\n%s\n%s",
                 r->desc, run_how_ended(r), r->err, FETCH_HINT);
    const char *hint = "Hint: a task's error number reaches future_result "
                       "(TODO 12.3 stores f->error, TODO 12.4 returns it).";
    expect_line(r->out, 1, "A good page before the bad ones", hint,
                "page0: 1024 bytes, as sent");
    expect_line(r->out, 1, "A good page after the bad ones", hint,
                "page5: 1024 bytes, as sent");
    expect_line(r->out, 1, "A server that closes without a reply", hint,
                "!close: failed: %s", strerror(ECONNRESET));
    expect_line(r->out, 1, "A server that answers garbage", hint,
                "!garbage: failed: %s", strerror(EPROTO));
    expect_line(r->out, 1, "A server that closes half-way through the page",
                hint, "!half: failed: %s", strerror(ECONNRESET));
    expect_line(r->out, 1, "A server that never answers (timeout 400 ms)", hint,
                "!stall: failed: %s", strerror(ETIMEDOUT));
    run_free(r);
    expect_refused(RUN("fetch", "-w", "0"));
    expect_refused(RUN("fetch", "bad name"));
    expect_refused(RUN("fetch", "-t", "soon"));
    expect_help(RUN("fetch", "--help"));
}
