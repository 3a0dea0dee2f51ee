/*
 * Lab 07 - pool: a pool of worker processes (pool.c) and of threads
 * (tpool.c), run through the driver tests/07-pool/pooldrv.c and the lab's
 * programs, each as a process of its own. Tasks tell on themselves: each
 * writes "ran <map> <i> pid <pid> thread <t>" where it runs, so the tests
 * see which worker ran what and how many times, independently of what the
 * pool reports. Properties only: input order, each task once, several
 * workers, the same workers for every map, dynamic spreading, a crash
 * reported, everything reaped. Speed only as the ratio of two runs.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define LAB "07-pool"
#define MAPS 4
#define TASKS 256
#define RANS 1024

TestSuite(lab07_pool, .timeout = 40);
TestSuite(lab07_tpool, .timeout = 40);
TestSuite(lab07_programs, .timeout = 60);

/* What one pooldrv run printed. */
struct drv {
    long main_pid;
    int nran;
    struct {
        int map, i, thread, fds;
        long pid;
    } ran[RANS];
    char status[MAPS][TASKS][12]; /* "" if no result line */
    long long value[MAPS][TASKS];
    bool reaped_all, reaped_line; /* every "reaped:" line said all */
    int nreaped;                  /* "reaped:" lines */
    int threads_max;              /* the most "threads: n" said */
    long killed;                  /* idle: the worker the driver killed */
    int nfds;                     /* "fds <label>:" lines, in order */
    char fds[8][512];             /* each line after the colon */
    double elapsed;
};

static const char *const DRV_HINT =
    "Hint: pool_create needs TODO(07.1) (start the workers) and TODO(07.2) "
    "(the worker loop); pool_wait needs TODO(07.3) (hand-out) and TODO(07.4) "
    "(store results).";

/* Run pooldrv with the given arguments, check it ended well, parse it. */
static struct drv *drv_run(const struct run_opts *opts, const char *hint,
                           const char *const argv[])
{
    struct run_result *r = run_program(LAB, argv, opts);
    cr_assert(!r->timed_out,
              "`%s` %s: the pool never finished (a worker never seen to end, "
              "or a shutdown that waits before closing the task pipes?).\n"
              "Output so far:\n%.2000s\n%s",
              r->desc, run_how_ended(r), r->out, hint);
    cr_assert_eq(r->exit_code, 0,
                 "`%s` %s; expected status 0. Its stderr:\n%s\n%s", r->desc,
                 run_how_ended(r), r->err, hint);
    struct drv *d = calloc(1, sizeof *d);
    cr_assert(d != NULL);
    char **lines = run_lines(r->out, NULL);
    for (char **l = lines; *l != NULL; l++) {
        int map, i, thread, worker;
        long pid;
        long long value;
        char status[12];
        int fds;
        if (sscanf(*l, "ran %d %d pid %ld thread %d fds %d", &map, &i, &pid,
                   &thread, &fds) == 5 &&
            d->nran < RANS) {
            d->ran[d->nran].fds = fds;
            d->ran[d->nran].map = map;
            d->ran[d->nran].i = i;
            d->ran[d->nran].pid = pid;
            d->ran[d->nran].thread = thread;
            d->nran++;
        } else if (sscanf(*l, "result %d %d %11s %lld %d", &map, &i, status,
                          &value, &worker) == 5 &&
                   map >= 0 && map < MAPS && i >= 0 && i < TASKS) {
            snprintf(d->status[map][i], sizeof d->status[map][i], "%s", status);
            d->value[map][i] = value;
        } else if (sscanf(*l, "main pid %ld", &pid) == 1) {
            d->main_pid = pid;
        } else if (sscanf(*l, "elapsed %lf", &d->elapsed) == 1) {
        } else if (strncmp(*l, "reaped: ", 8) == 0) {
            d->reaped_all = (d->nreaped == 0 || d->reaped_all) &&
                            strcmp(*l, "reaped: all") == 0;
            d->reaped_line = true;
            d->nreaped++;
        } else if (sscanf(*l, "threads: %d", &thread) == 1) {
            if (thread > d->threads_max)
                d->threads_max = thread;
        } else if (sscanf(*l, "killed %ld", &pid) == 1) {
            d->killed = pid;
        } else if (strncmp(*l, "fds ", 4) == 0 && strchr(*l, ':') != NULL &&
                   d->nfds < 8) {
            snprintf(d->fds[d->nfds++], sizeof d->fds[0], "%s",
                     strchr(*l, ':') + 1);
        }
    }
    run_free_lines(lines);
    run_free(r);
    return d;
}

#define DRV(opts, hint, ...)                                                   \
    drv_run((opts), (hint), (const char *const[]){"pooldrv", __VA_ARGS__, NULL})

/* How many times task (map, i) ran. */
static int times_ran(const struct drv *d, int map, int i)
{
    int n = 0;
    for (int k = 0; k < d->nran; k++)
        n += d->ran[k].map == map && d->ran[k].i == i;
    return n;
}

/* Is run k one of the runs counted: map < 0 counts all; else tasks of
 * map with index < below, only the even ones if even. */
static bool counted(const struct drv *d, int k, int map, int below, bool even)
{
    return map < 0 || (d->ran[k].map == map && d->ran[k].i < below &&
                       (!even || d->ran[k].i % 2 == 0));
}

/* Distinct workers (pid, thread) among the counted runs. */
static int distinct_workers(const struct drv *d, int map, int below, bool even)
{
    int n = 0;
    for (int k = 0; k < d->nran; k++) {
        if (!counted(d, k, map, below, even))
            continue;
        bool seen = false;
        for (int j = 0; j < k && !seen; j++)
            seen = counted(d, j, map, below, even) &&
                   d->ran[j].pid == d->ran[k].pid &&
                   d->ran[j].thread == d->ran[k].thread;
        n += !seen;
    }
    return n;
}

/* Every result of map (n tasks) done, with value 3i + 1 + 1000 map. */
static void expect_results_in_order(const struct drv *d, int map, int n,
                                    int skip)
{
    for (int i = 0; i < n; i++) {
        if (i == skip)
            continue;
        long long want = 3LL * i + 1 + 1000LL * map;
        cr_assert_str_eq(d->status[map][i], "done",
                         "Map %d, task %d: expected status done, saw '%s'.\n"
                         "Hint: TODO(07.4) fills results[index] with "
                         "POOL_DONE and the value.",
                         map, i, d->status[map][i]);
        cr_assert_eq(d->value[map][i], want,
                     "Map %d: results[%d] should be %lld (task %d's own "
                     "result), but it is %lld. Tasks finish in any order; "
                     "map must give results in input order.\nHint: "
                     "TODO(07.4): store at m->index, the index the worker "
                     "sent back, not at the next free place.",
                     map, i, want, i, d->value[map][i]);
    }
}

static void expect_each_ran_once(const struct drv *d, int map, int n, int skip)
{
    for (int i = 0; i < n; i++) {
        int t = times_ran(d, map, i);
        cr_assert_eq(t, 1,
                     "Map %d, task %d ran %d times; every task must run "
                     "exactly once.\nHint: TODO(07.3): hand each task out "
                     "once (advance job->next); a crashed task is reported, "
                     "not run again.",
                     map, i, t);
        (void)skip;
    }
}

static void expect_reaped(const struct drv *d)
{
    cr_assert(d->reaped_line && d->reaped_all,
              "After pool_destroy, the driver still had a child process (a "
              "worker still running, or a zombie never waited for).\n"
              "Hint: TODO(07.6): close every task pipe, then waitpid() "
              "each worker.");
}

/* ---- the process pool -------------------------------------------------- */

Test(lab07_pool, map_returns_results_in_input_order_and_runs_each_task_once)
{
    struct drv *d = DRV(NULL, DRV_HINT, "-m", "order", "-w", "4", "-n", "24");
    expect_results_in_order(d, 0, 24, -1);
    expect_each_ran_once(d, 0, 24, -1);
    for (int k = 0; k < d->nran; k++)
        cr_assert_eq(d->ran[k].fds, d->ran[0].fds,
                     "The worker with pid %ld has %d open file descriptors, "
                     "the one with pid %ld has %d: workers started later "
                     "still hold pipe ends meant for the parent or for the "
                     "earlier workers.\nHint: TODO(07.1): in the parent, "
                     "close the ends the worker uses; in the child, close "
                     "the parent's ends of every other worker's pipes. "
                     "End-of-file comes only when every copy of a write "
                     "end is closed.",
                     d->ran[k].pid, d->ran[k].fds, d->ran[0].pid,
                     d->ran[0].fds);
    for (int k = 0; k < d->nran; k++)
        cr_assert_neq(d->ran[k].pid, d->main_pid,
                      "Task %d ran in the main process (pid %ld): tasks must "
                      "run in the worker processes (TODO 07.1/07.2).",
                      d->ran[k].i, d->main_pid);
    expect_reaped(d);
    free(d);
}

Test(lab07_pool, several_workers_take_part_and_serve_every_map)
{
    struct drv *d = DRV(NULL, DRV_HINT, "-m", "reuse", "-w", "3", "-n", "12");
    for (int map = 0; map < 3; map++) {
        expect_results_in_order(d, map, 12, -1);
        expect_each_ran_once(d, map, 12, -1);
    }
    int workers = distinct_workers(d, -1, 0, false);
    cr_assert_geq(workers, 2,
                  "Only %d worker process ran tasks in a pool of 3: the "
                  "work must be shared.\nHint: TODO(07.3): a free worker "
                  "gets the next task.",
                  workers);
    cr_assert_leq(workers, 3,
                  "%d different processes ran the tasks of three maps on a "
                  "pool of 3 workers: the pool must be created once and its "
                  "workers reused, not forked anew per map.",
                  workers);
    expect_reaped(d);
    free(d);
}

Test(lab07_pool, uneven_tasks_are_handed_out_dynamically)
{
    /* Of 8 tasks, 0 and 2 sleep 0.3 s, the others none; two workers.
     * Dynamic: worker A takes task 0, B takes 1 then 2 (about 0.3 s).
     * Static blocks (0-3 | 4-7) and round-robin (even | odd) alike give
     * both slow tasks to one worker (about 0.6 s). The tasks sleep, so
     * load barely changes this; still, a worker held up for 0.3 s on a
     * busy machine (the tests run side by side) would look static: the
     * runs are made once more before the test fails. Static hand-out
     * fails both times. */
    struct drv *dyn = NULL, *sta = NULL;
    int slow_workers = 0;
    for (int attempt = 1; attempt <= 2; attempt++) {
        free(dyn);
        free(sta);
        dyn = DRV(NULL, DRV_HINT, "-m", "uneven", "-w", "2", "-n", "8");
        sta = DRV(NULL, DRV_HINT, "-m", "uneven", "-w", "2", "-n", "8", "-S");
        expect_results_in_order(dyn, 0, 8, -1);
        expect_results_in_order(sta, 0, 8, -1);
        slow_workers = distinct_workers(dyn, 0, 4, true);
        if (slow_workers == 2 && dyn->elapsed < 0.8 * sta->elapsed)
            break;
    }
    cr_assert_eq(slow_workers, 2,
                 "The 2 slow tasks (0 and 2 of 8) were both run by one "
                 "worker of 2: that is static hand-out (blocks or round "
                 "robin). With dynamic hand-out the other worker, free after "
                 "the quick task 1, takes task 2.\nHint: TODO(07.3): give "
                 "worker k the next "
                 "task not handed out yet (job->next), whoever asks.");
    cr_assert_lt(dyn->elapsed, 0.8 * sta->elapsed,
                 "Dynamic hand-out took %.3f s, static blocks %.3f s: "
                 "expected dynamic to take well under 80%% of static (about "
                 "half).\nHint: TODO(07.3); and keep one task in flight per "
                 "worker.",
                 dyn->elapsed, sta->elapsed);
    expect_reaped(dyn);
    free(dyn);
    free(sta);
}

Test(lab07_pool, a_crashing_task_is_reported_and_the_pool_goes_on)
{
    struct run_opts opts = {.timeout = 10,
                            .allow_sanitizer = run_sanitizer() != NULL};
    const char *hint =
        "Hint: TODO(07.5): end-of-file on a worker's result pipe means it "
        "died: waitpid it, mark its task POOL_CRASHED, start a new worker. "
        "It only comes if nobody else - the parent included - still holds "
        "that pipe's write end (TODO 07.1).";
    struct drv *d =
        DRV(&opts, hint, "-m", "crash", "-w", "2", "-n", "8", "-c", "3");
    cr_assert_str_eq(d->status[0][3], "crashed",
                     "Task 3 raised SIGSEGV in its worker; expected its "
                     "result to say crashed, saw '%s'.\n%s",
                     d->status[0][3], hint);
    if (run_sanitizer() == NULL)
        cr_assert_eq(d->value[0][3], SIGSEGV,
                     "The crashed task should report signal %d (SIGSEGV), "
                     "saw %lld. Hint: WIFSIGNALED/WTERMSIG on the status "
                     "from waitpid.",
                     SIGSEGV, d->value[0][3]);
    expect_results_in_order(d, 0, 8, 3);
    expect_each_ran_once(d, 0, 8, -1);
    /* The pool carries on: a second map on the same pool, all done. */
    expect_results_in_order(d, 1, 8, -1);
    expect_each_ran_once(d, 1, 8, -1);
    expect_reaped(d);
    free(d);
}

Test(lab07_pool, async_jobs_each_get_their_own_results)
{
    struct drv *d = DRV(NULL, DRV_HINT, "-m", "async", "-w", "2");
    static const long long star[] = {4, 27, 16, 125};
    for (int i = 0; i < 4; i++)
        cr_assert(strcmp(d->status[2][i], "done") == 0 &&
                      d->value[2][i] == star[i],
                  "starmap(power, [(2,2),(3,3),(4,2),(5,3)]) task %d: "
                  "expected done %lld, saw %s %lld.\nHint: task i's "
                  "arguments are args[i*nargs .. i*nargs+nargs-1]; results "
                  "go to the job they belong to (TODO 07.4).",
                  i, star[i], d->status[2][i], d->value[2][i]);
    cr_assert(strcmp(d->status[1][0], "done") == 0 && d->value[1][0] == 1024,
              "apply_async(power, (2, 10)) should give 1024; saw %s %lld.",
              d->status[1][0], d->value[1][0]);
    expect_results_in_order(d, 0, 4, -1);
    expect_each_ran_once(d, 0, 4, -1);
    expect_reaped(d);
    free(d);
}

Test(lab07_pool, destroy_reaps_every_worker)
{
    struct drv *d = DRV(NULL, DRV_HINT, "-m", "reuse", "-w", "8", "-n", "16");
    expect_results_in_order(d, 2, 16, -1);
    expect_reaped(d);
    free(d);
    d = DRV(NULL, DRV_HINT, "-m", "order", "-w", "1", "-n", "3");
    expect_results_in_order(d, 0, 3, -1);
    cr_assert_eq(distinct_workers(d, -1, 0, false), 1,
                 "A pool of one worker: one process must run every task.");
    expect_reaped(d);
    free(d);
}

/* How many times tasks of map ran. */
static int runs_of_map(const struct drv *d, int map)
{
    int n = 0;
    for (int k = 0; k < d->nran; k++)
        n += d->ran[k].map == map;
    return n;
}

Test(lab07_pool, a_worker_killed_while_idle_is_noticed_at_the_next_hand_out)
{
    const char *hint =
        "Hint: a worker can die while it waits for work. The parent's next "
        "write into its task pipe then raises SIGPIPE, which ends the whole "
        "program (status 141) unless the pool ignores SIGPIPE (TODO 07.5, "
        "in pool_create). Ignored, the write fails with EPIPE, and the "
        "end-of-file on the dead worker's result pipe reports the task it "
        "was given as crashed and replaces the worker (TODO 07.5, "
        "worker_ended).";
    struct drv *d = DRV(NULL, hint, "-m", "idle", "-w", "2", "-n", "6");
    cr_assert_gt(d->killed, 0,
                 "The driver found no worker process to kill after the "
                 "first map.\n%s",
                 DRV_HINT);
    expect_results_in_order(d, 0, 6, -1);
    int crashed = 0;
    for (int i = 0; i < 6; i++) {
        if (strcmp(d->status[1][i], "crashed") != 0)
            continue;
        crashed++;
        cr_assert(d->value[1][i] == SIGKILL && times_ran(d, 1, i) == 0,
                  "Map 1, task %d is reported crashed with signal %lld after "
                  "running %d times; the only task that may crash there is "
                  "the one handed to the worker killed (signal %d, SIGKILL) "
                  "while idle, which never ran it.\nHint: TODO(07.5): "
                  "decode the status waitpid gives (WIFSIGNALED/WTERMSIG).",
                  i, d->value[1][i], times_ran(d, 1, i), SIGKILL);
    }
    cr_assert_leq(crashed, 1,
                  "%d tasks of map 1 were reported crashed; at most one (the "
                  "one handed to the dead worker) may be.\n%s",
                  crashed, hint);
    for (int i = 0; i < 6; i++)
        if (strcmp(d->status[1][i], "crashed") != 0) {
            cr_assert_str_eq(d->status[1][i], "done",
                             "Map 1, task %d: expected done (or crashed, for "
                             "the dead worker's task), saw '%s'.\n%s",
                             i, d->status[1][i], hint);
            cr_assert_eq(d->value[1][i], 3LL * i + 1001,
                         "Map 1, task %d: expected %lld, saw %lld.", i,
                         3LL * i + 1001, d->value[1][i]);
            cr_assert_eq(times_ran(d, 1, i), 1,
                         "Map 1, task %d ran %d times: expected once.", i,
                         times_ran(d, 1, i));
        }
    expect_results_in_order(d, 2, 6, -1);
    expect_each_ran_once(d, 2, 6, -1);
    for (int k = 0; k < d->nran; k++)
        cr_assert(d->ran[k].map == 0 || d->ran[k].pid != d->killed,
                  "Task %d of map %d ran in pid %ld, the worker killed "
                  "before that map.",
                  d->ran[k].i, d->ran[k].map, d->killed);
    expect_reaped(d);
    free(d);
}

Test(lab07_pool, a_worker_that_exits_or_is_killed_is_reported_as_it_ended)
{
    struct run_opts opts = {.timeout = 10,
                            .allow_sanitizer = run_sanitizer() != NULL};
    const char *hint =
        "Hint: TODO(07.5): decode the status waitpid() gives: WIFSIGNALED "
        "then WTERMSIG for a worker killed by a signal, 0 for one that "
        "exited. Report what happened, not what you expect to happen.";
    struct drv *d = DRV(&opts, hint, "-m", "crash", "-w", "2", "-n", "8", "-c",
                        "2", "-e", "5");
    cr_assert_str_eq(d->status[0][5], "crashed",
                     "Task 5 ended its worker with _exit(7); expected its "
                     "result to say crashed, saw '%s'.\n%s",
                     d->status[0][5], hint);
    cr_assert_eq(d->value[0][5], 0,
                 "Task 5's worker exited (status 7), killed by no signal: "
                 "expected signal 0, saw %lld.\n%s",
                 d->value[0][5], hint);
    cr_assert_str_eq(d->status[0][2], "crashed",
                     "Task 2 raised SIGSEGV: expected crashed, saw '%s'.\n%s",
                     d->status[0][2], hint);
    if (run_sanitizer() == NULL)
        cr_assert_eq(d->value[0][2], SIGSEGV,
                     "Task 2 raised SIGSEGV (%d): saw signal %lld.\n%s",
                     SIGSEGV, d->value[0][2], hint);
    for (int i = 0; i < 8; i++)
        if (i != 2 && i != 5)
            cr_assert_eq(d->value[0][i], 3LL * i + 1,
                         "Map 0, task %d: expected %lld, saw %s %lld.", i,
                         3LL * i + 1, d->status[0][i], d->value[0][i]);
    expect_results_in_order(d, 1, 8, -1);
    expect_reaped(d);
    free(d);
}

static const char *const DROP_HINT =
    "pool.h and tpool.h say it the same way: at destroy, a task a worker "
    "already has (at most one per worker) is finished, and tasks not yet "
    "handed out are dropped, never run.";

/* Map 1 (8 tasks of 0.2 s) was submitted and the pool destroyed at once:
 * at most one task per worker may have run. */
static void expect_queued_tasks_dropped(const struct drv *d, int workers,
                                        const char *hint)
{
    expect_results_in_order(d, 0, 8, -1);
    int ran = runs_of_map(d, 1);
    cr_assert_leq(ran, workers,
                  "%d tasks of the map submitted just before destroy ran on "
                  "a pool of %d workers: expected at most %d (the ones "
                  "already started). %s\n%s",
                  ran, workers, workers, DROP_HINT, hint);
}

Test(lab07_pool, destroy_drops_tasks_not_handed_out)
{
    struct drv *d = DRV(NULL, DRV_HINT, "-m", "drop", "-w", "2", "-n", "8");
    expect_queued_tasks_dropped(
        d, 2,
        "Hint: TODO(07.6): pool_destroy closes the task pipes; it "
        "hands out nothing more.");
    expect_reaped(d);
    free(d);
}

/* The "fds" lines of a cycles run: every one lists the same descriptor
 * numbers as the first (taken before any pool). */
static void expect_same_fds(const struct drv *d, int lines, const char *hint)
{
    cr_assert_eq(d->nfds, lines,
                 "Expected %d 'fds' lines from the driver, saw %d.", lines,
                 d->nfds);
    for (int k = 1; k < d->nfds; k++) {
        int before[64], after[64], nb = 0, na = 0;
        char copy[2][512];
        snprintf(copy[0], sizeof copy[0], "%s", d->fds[0]);
        snprintf(copy[1], sizeof copy[1], "%s", d->fds[k]);
        for (char *t = strtok(copy[0], " "); t != NULL && nb < 64;
             t = strtok(NULL, " "))
            nb += sscanf(t, "%d=", &before[nb]) == 1;
        for (char *t = strtok(copy[1], " "); t != NULL && na < 64;
             t = strtok(NULL, " "))
            na += sscanf(t, "%d=", &after[na]) == 1;
        bool same = na == nb;
        for (int i = 0; same && i < na; i++)
            same = after[i] == before[i];
        cr_assert(same,
                  "Open descriptors of the program before any pool:\n  %s\n"
                  "after %d create/map/destroy cycles:\n  %s\nA destroyed "
                  "pool must leave no descriptor open.\n%s",
                  d->fds[0], k, d->fds[k], hint);
    }
}

Test(lab07_pool, create_destroy_cycles_leave_no_descriptor_and_no_child)
{
    const char *hint = "Hint: TODO(07.6): close both pipe ends the parent "
                       "keeps per worker (task_fd, result_fd) and waitpid "
                       "each worker; TODO(07.1): the parent closes the ends "
                       "the worker uses.";
    struct drv *d =
        DRV(NULL, hint, "-m", "cycles", "-w", "3", "-n", "4", "-k", "4");
    expect_same_fds(d, 5, hint);
    cr_assert(d->nreaped == 4 && d->reaped_all,
              "After each of 4 pool_destroy calls, no child may be left "
              "(waitpid(-1, WNOHANG) must say ECHILD).\n%s",
              hint);
    for (int map = 0; map < 4; map++)
        expect_results_in_order(d, map, 4, -1);
    free(d);
}

Test(lab07_pool, process_pool_survives_short_pipe_reads_and_a_failed_fork)
{
    /* Every read() of a pipe returns 1..7 bytes: the worker and the parent
     * must loop until a whole message is in. */
    static const char *const short_io[] = {"KIT_SHORT_IO=1", NULL};
    struct run_opts opts = {.timeout = 20, .perturb = true, .env = short_io};
    struct drv *d = DRV(&opts,
                        "Hint: TODO(07.2): read a whole task message with "
                        "io_read_all(), which loops over short reads; one "
                        "read() may return a few bytes of it.",
                        "-m", "reuse", "-w", "3", "-n", "12");
    for (int map = 0; map < 3; map++) {
        expect_results_in_order(d, map, 12, -1);
        expect_each_ran_once(d, map, 12, -1);
    }
    expect_reaped(d);
    free(d);
    /* The 3rd fork fails: pool_create must fail, leaving no worker. */
    static const char *const fail_fork[] = {"KIT_FAIL_FORK_AT=3", NULL};
    struct run_opts fo = {.timeout = 10, .perturb = true, .env = fail_fork};
    struct run_result *r = RUN_WITH(&fo, "pooldrv", "-m", "order", "-w", "4");
    cr_assert(r->exit_code == 1 && strstr(r->err, "pool_create") != NULL,
              "With the 3rd fork() failing (EAGAIN), pool_create must return "
              "NULL and the driver exit 1 with 'pool_create: ...'; it %s. "
              "stderr:\n%s\nHint: TODO(07.1): return -1 when fork fails; "
              "pool_create then destroys the workers already started.",
              run_how_ended(r), r->err);
    run_free(r);
}

Test(lab07_pool, process_pool_is_clean_under_asan_and_waits_without_spinning)
{
    struct run_opts opts = {.sanitizer = RUN_ASAN,
                            .timeout = 10,
                            .hint = "Hint: every job is freed once it has "
                                    "been waited for (pool_wait) or at "
                                    "pool_destroy."};
    struct drv *d =
        DRV(&opts, DRV_HINT, "-m", "cycles", "-w", "2", "-n", "4", "-k", "2");
    expect_results_in_order(d, 1, 4, -1);
    free(d);
    /* Tasks 0 and 2 sleep 1 s: main has nothing to do but wait. A process
     * that blocks uses a few hundredths of a second of CPU in all; one that
     * spins, all the CPU it can get (even on a busy machine, more than a
     * tenth of a core). */
    struct run_result *r =
        RUN("pooldrv", "-m", "uneven", "-w", "2", "-n", "8", "-s", "1000");
    run_expect_success(r, DRV_HINT);
    if (run_cpu_is_measurable())
        cr_assert_lt(
            r->cpu_seconds, 0.1 * r->elapsed,
            "`%s` used %.3f s of CPU in %.3f s: a pool waiting for its "
            "workers must block in poll(), not spin (expected well "
            "under half the wall time).\nHint: pool_step() calls "
            "poll() with timeout -1.",
            r->desc, r->cpu_seconds, r->elapsed);
    run_free(r);
}

/* ---- the thread pool --------------------------------------------------- */

static const char *const THREAD_HINT =
    "Hint: TODO(07.7): the worker threads wait on pool->work until there "
    "is a task (or the pool closes); TODO(07.8): closing, broadcast, join.";

Test(lab07_tpool, thread_pool_map_in_order_on_several_threads)
{
    struct drv *d =
        DRV(NULL, THREAD_HINT, "-T", "-m", "order", "-w", "4", "-n", "24");
    expect_results_in_order(d, 0, 24, -1);
    expect_each_ran_once(d, 0, 24, -1);
    for (int k = 0; k < d->nran; k++)
        cr_assert_eq(d->ran[k].pid, d->main_pid,
                     "Task %d ran in pid %ld, not in the main process %ld: "
                     "a thread pool forks nothing.",
                     d->ran[k].i, d->ran[k].pid, d->main_pid);
    cr_assert_geq(distinct_workers(d, -1, 0, false), 2,
                  "Only one thread ran all 24 tasks of a pool of 4.\n%s",
                  THREAD_HINT);
    free(d);
}

Test(lab07_tpool, thread_pool_spreads_uneven_tasks_and_runs_async_jobs)
{
    /* As for the process pool: a thread held up on a busy machine gets
     * one more run before the test fails. */
    struct drv *d =
        DRV(NULL, THREAD_HINT, "-T", "-m", "uneven", "-w", "2", "-n", "8");
    expect_results_in_order(d, 0, 8, -1);
    if (distinct_workers(d, 0, 4, true) != 2) {
        free(d);
        d = DRV(NULL, THREAD_HINT, "-T", "-m", "uneven", "-w", "2", "-n", "8");
        expect_results_in_order(d, 0, 8, -1);
    }
    cr_assert_eq(distinct_workers(d, 0, 4, true), 2,
                 "The 2 slow tasks (0 and 2) were both run by one thread "
                 "of 2: each free thread must take the next task.\n%s",
                 THREAD_HINT);
    free(d);
    d = DRV(NULL, THREAD_HINT, "-T", "-m", "async", "-w", "3");
    static const long long star[] = {4, 27, 16, 125};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(d->value[2][i], star[i],
                     "Thread pool starmap task %d: expected %lld, saw %lld.", i,
                     star[i], d->value[2][i]);
    cr_assert_eq(d->value[1][0], 1024, "apply_async(power, (2, 10)): %lld",
                 d->value[1][0]);
    expect_results_in_order(d, 0, 4, -1);
    free(d);
}

Test(lab07_tpool, thread_pool_destroy_drops_queued_tasks_like_the_process_pool)
{
    struct drv *d =
        DRV(NULL, THREAD_HINT, "-T", "-m", "drop", "-w", "2", "-n", "8");
    expect_queued_tasks_dropped(
        d, 2,
        "Hint: TODO(07.7): look at pool->closing BEFORE taking a task: "
        "a thread that takes the next task first runs the whole queue "
        "at shutdown.");
    cr_assert_eq(d->threads_max, 1,
                 "After tpool_destroy the process still had %d threads: "
                 "every worker thread must have ended and been joined.\n%s",
                 d->threads_max, THREAD_HINT);
    free(d);
}

Test(lab07_tpool, thread_pool_cycles_join_every_thread)
{
    struct drv *d = DRV(NULL, THREAD_HINT, "-T", "-m", "cycles", "-w", "3",
                        "-n", "4", "-k", "4");
    cr_assert_eq(d->threads_max, 1,
                 "After a tpool_destroy the process still had %d threads: "
                 "destroy must wake every worker and join it.\n%s",
                 d->threads_max, THREAD_HINT);
    expect_same_fds(d, 5, THREAD_HINT);
    for (int map = 0; map < 4; map++)
        expect_results_in_order(d, map, 4, -1);
    free(d);
}

Test(lab07_tpool, thread_pool_has_no_data_race_under_tsan)
{
    struct run_opts opts = {
        .sanitizer = RUN_TSAN,
        .timeout = 10,
        .hint = "Hint: every access to the job list, a job's counters and "
                "its results, and to closing, is made with pool->lock held "
                "(TODO 07.7: the wait; TODO 07.8: set closing under the "
                "lock)."};
    struct drv *d =
        DRV(&opts, THREAD_HINT, "-T", "-m", "reuse", "-w", "3", "-n", "12");
    for (int map = 0; map < 3; map++)
        expect_results_in_order(d, map, 12, -1);
    free(d);
    d = DRV(&opts, THREAD_HINT, "-T", "-m", "drop", "-w", "2", "-n", "8");
    expect_results_in_order(d, 0, 8, -1);
    free(d);
}

Test(lab07_tpool, thread_pool_is_clean_under_asan_and_waits_without_spinning)
{
    struct run_opts opts = {
        .sanitizer = RUN_ASAN,
        .timeout = 10,
        .hint = "Hint: tpool_destroy joins every thread (TODO 07.8) before "
                "it frees the pool they use; every job is freed."};
    struct drv *d = DRV(&opts, THREAD_HINT, "-T", "-m", "cycles", "-w", "3",
                        "-n", "4", "-k", "3");
    expect_results_in_order(d, 2, 4, -1);
    free(d);
    struct run_result *r = RUN("pooldrv", "-T", "-m", "uneven", "-w", "2", "-n",
                               "8", "-s", "1000");
    run_expect_success(r, THREAD_HINT);
    if (run_cpu_is_measurable())
        cr_assert_lt(
            r->cpu_seconds, 0.1 * r->elapsed,
            "`%s` used %.3f s of CPU in %.3f s: while its tasks sleep, "
            "a thread pool must block (pthread_cond_wait), not spin "
            "(expected well under a tenth of the wall time).\n%s",
            r->desc, r->cpu_seconds, r->elapsed, THREAD_HINT);
    run_free(r);
}

/* ---- the programs ------------------------------------------------------ */

/* -h and --help: the usage line on stdout, status 0. */
static void expect_help(struct run_result *r)
{
    cr_assert(r->exit_code == 0 && strncmp(r->out, "usage: ", 7) == 0,
              "`%s` should print its usage line on stdout and exit 0 "
              "(asking for help is not an error); it %s, stdout:\n%s",
              r->desc, run_how_ended(r), r->out);
    run_free(r);
}

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

Test(lab07_programs, poolmap_shows_the_lecture_example)
{
    expect_refused(RUN("poolmap", "-w", "0"));
    expect_refused(RUN("poolmap", "-w", "65"));
    expect_refused(RUN("poolmap", "-n", "six"));
    expect_refused(RUN("poolmap", "-T", "-c", "3"));
    expect_refused(RUN("poolmap", "extra"));
    expect_help(RUN("poolmap", "-h"));
    expect_help(RUN("poolmap", "--help"));

    struct run_result *r = RUN("poolmap");
    cr_assert_eq(r->exit_code, 0, "`poolmap` %s. stderr:\n%s\n%s",
                 run_how_ended(r), r->err, DRV_HINT);
    static const char *const want[] = {
        "map(cube, 1..6) = [1, 8, 27, 64, 125, 216]\n",
        "map_async(...).get() = [1, 8, 27, 64, 125, 216]\n",
        "starmap(power, [(2, 2), (3, 3), (4, 2), (5, 3)]) = [4, 27, 16, "
        "125]\n",
        "apply_async(square, (10,)).get() = [100]\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert(strstr(r->out, want[i]) != NULL,
                  "Expected the line\n%sin the output of `poolmap`:\n%s",
                  want[i], r->out);
    cr_assert_eq(run_count_lines(r->out, "cube("), 12,
                 "Expected 12 'cube(x) in pid P' lines (two maps of 6), saw "
                 "%zu.",
                 run_count_lines(r->out, "cube("));
    int took = 0;
    const char *w = strstr(r->out, "workers that ran tasks: ");
    cr_assert(w != NULL &&
                  sscanf(w, "workers that ran tasks: %d", &took) == 1 &&
                  took >= 2,
              "Expected at least 2 of the 4 workers to run tasks. "
              "Output:\n%s",
              r->out);
    run_free(r);
}

Test(lab07_programs, poolmap_reports_a_crash_and_threads_share_one_pid)
{
    struct run_opts opts = {.timeout = 10,
                            .allow_sanitizer = run_sanitizer() != NULL};
    struct run_result *r = RUN_WITH(&opts, "poolmap", "-c", "3", "-w", "2");
    cr_assert_eq(r->exit_code, 0,
                 "`%s` %s: a task that crashes its worker must be reported, "
                 "and the pool go on. stderr:\n%s\nHint: TODO(07.5).",
                 r->desc, run_how_ended(r), r->err);
    cr_assert(strstr(r->out, "map(cube, 1..6) = [1, 8, crashed") != NULL,
              "Expected 'map(cube, 1..6) = [1, 8, crashed (signal N), 64, "
              "...'. Output:\n%s",
              r->out);
    cr_assert(strstr(r->out, "apply_async(square, (10,)).get() = [100]") !=
                  NULL,
              "After the crash the same pool must still serve apply_async. "
              "Output:\n%s",
              r->out);
    run_free(r);

    r = RUN("poolmap", "-T");
    cr_assert_eq(r->exit_code, 0, "`poolmap -T` %s. stderr:\n%s\n%s",
                 run_how_ended(r), r->err, THREAD_HINT);
    long main_pid = 0;
    cr_assert(sscanf(r->out, "main: pid %ld", &main_pid) == 1,
              "No 'main: pid' line. Output:\n%s", r->out);
    char want[64];
    snprintf(want, sizeof want, "in pid %ld", main_pid);
    cr_assert_eq(run_count_lines(r->out, want), 12,
                 "With -T every cube line should name main's pid %ld (12 "
                 "lines); saw %zu. Output:\n%s",
                 main_pid, run_count_lines(r->out, want), r->out);
    run_free(r);
}

Test(lab07_programs, primesum_reports_static_and_dynamic_and_agrees)
{
    expect_refused(RUN("primesum", "-w", "0"));
    expect_refused(RUN("primesum", "-r", "0"));
    expect_refused(RUN("primesum", "-s", "x"));
    expect_help(RUN("primesum", "-h"));
    expect_help(RUN("primesum", "--help"));
    struct run_result *r =
        RUN("primesum", "-n", "20000", "-s", "500", "-r", "1", "-w", "2", "-v");
    cr_assert_eq(r->exit_code, 0, "`%s` %s. stderr:\n%s\n%s", r->desc,
                 run_how_ended(r), r->err, DRV_HINT);
    long cores = 0;
    const char *m = strstr(r->out, "machine: ");
    cr_assert(m != NULL && sscanf(m, "machine: %ld cores", &cores) == 1 &&
                  cores >= 1,
              "Expected a 'machine: N cores, CPU' line. Output:\n%s", r->out);
    static const char *const variants[] = {
        "processes static ", "processes dynamic", "threads   static ",
        "threads   dynamic"};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(run_count_lines(r->out, variants[i]), 1,
                     "Expected one timing line for '%s'. Output:\n%s",
                     variants[i], r->out);
        const char *line = strstr(r->out, variants[i]);
        cr_assert(strchr(line, '\n') != NULL &&
                      strstr(line, "busiest") != NULL &&
                      strstr(line, "busiest") < strchr(line, '\n'),
                  "The '%s' line should give the busiest worker's share "
                  "(pool_result.seconds, filled by TODO 07.4). Output:\n%s",
                  variants[i], r->out);
    }
    static const char *const sums[] = {"[0, 0]\n", "[500, 21536]\n",
                                       "[1000, 76127]\n", "[10000, 5736396]\n",
                                       "[19500, 20183023]\n"};
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
        cr_assert(strstr(r->out, sums[i]) != NULL,
                  "Expected %s(sum of the primes below i) in the output of "
                  "`%s`:\n%.3000s",
                  sums[i], r->desc, r->out);
    cr_assert(
        strstr(r->out, "results: the 4 variants agree on all 40 sums") != NULL,
        "The four variants must give the same 40 sums. Output:\n%s", r->out);
    run_free(r);
}
