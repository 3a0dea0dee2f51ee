/*
 * futdrv.c - test driver for lab 12: runs the student's futures.c (over
 * the provided tpool.c) through its API, and prints what it saw, line by
 * line, for the tests (tests/12-futures.c) to check. It prints facts, not
 * verdicts: the values, states, orders and counts the tests compare with
 * what they expect.
 *
 * Usage: futdrv -m mode [-w threads] [-n tasks] [-r rounds] [-W waiters]
 *   result    n tasks; task i sleeps (n - i) * 3 ms and returns 3i + 1,
 *             except task 5, which fails with EDOM; main waits for each in
 *             submission order:  "result <id> <err> <value> <state>"
 *   cancel    one thread. f0 blocks on a gate; once it runs, main cancels
 *             f0 (running), f1 twice (pending), f3 while a helper thread
 *             waits on it (f3 has a callback: "cbD 3 <state>"); adds two
 *             callbacks to f2 ("add2 <err> <err>", "cbA 2 ..."/"cbB 2 ...")
 *             and one to the cancelled f1 ("cbC 1 ..."); opens the gate;
 *             every result; cancels f2 (finished); after shutdown how
 *             often each task ran: "cancel <id> <0|1>", "waiter <id> <err>
 *             <value>", "result ...", "ran <id> <times>"
 *   callback  n tasks of a few microseconds; a callback is added to each
 *             right after submit (racing with its end: "add <id> <err>" if
 *             refused); after every result a callback is added to the done
 *             future (it runs at once; "late add <id> refused" if not). Each
 * callback calls future_result on its future: "cb <id> <which> <err> <value>
 *             <main|pool>" (which: 1 added at submit, 2 added once done);
 *             after shutdown "cbcount <id> <n1> <n2>"
 *   order     n tasks on n threads, task i sleeps (n - i) * 40 ms; main
 *             takes them with futures_as_completed at once:
 *             "finished <id> <ticket>" (the task's own finishing order),
 *             "completed <k> <id> <value>"; then n more, all done before
 *             as_completed starts ("completed2 ...")
 *   any       futures_wait_any on {a task of 0.3 s, one of 0.02 s}:
 *             "any <index>"
 *   shutdown  n tasks of 30 ms on 2 threads with callbacks, then
 *             executor_shutdown(ex, false) at once: "start <id>",
 *             "end <id>", "cb <id> <state>", "shutdown returned"; then a
 *             second executor, shut down with cancel_pending while its
 *             first task, after 100 ms, tries a submit: "late <errno>",
 *             "cb2 <id> <state>", "ran2 <id>", "shutdown2 returned"
 *   stress    r rounds: n quick tasks, W waiter threads that each wait
 *             for every future (some on the same one, at the same time),
 *             joined at the end of the round: "waited <r> <w> <i> <err>
 *             <value>" (i: the task's index in its round, value 3i + 1)
 *   cancelrace r rounds: n tasks of no work submitted, then all cancelled
 *             at once, last first, while the threads start them:
 *             "cr <r> <i> <cancelled> <times ran> <err> <value>" - each
 *             must have been cancelled (ran 0, ECANCELED) or run (cancel
 *             said no, ran 1, its value), never both, never neither
 *   sleepy    one task sleeps 0.5 s while main and W threads wait on it
 *             (for the CPU-time check): "result 0 <err> <value> ...",
 *             "waiter 0 <err> <value>"
 * Every line is written with one write(2); the last is "end of <mode>".
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "futures.h"
#include "timing.h"

#define USAGE                                                                  \
    "-m result|cancel|callback|order|any|shutdown|stress|cancelrace|sleepy "   \
    "[-w threads] [-n tasks] [-r rounds] [-W waiters]"
#define MAX_TASKS 512
#define MAX_WAITERS 64

static struct {
    const char *mode;
    int threads, ntasks, rounds, waiters;
} opt = {"", 2, 8, 20, 8};

static pthread_t main_thread;

/* One line, one write(2): lines from several threads never mix. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof line)
        die_msg("say: line too long");
    if (write(STDOUT_FILENO, line, (size_t)len) != len)
        die("write");
}

static const char *state_name(enum future_state s)
{
    switch (s) {
    case FUTURE_PENDING:
        return "pending";
    case FUTURE_RUNNING:
        return "running";
    case FUTURE_FINISHED:
        return "finished";
    case FUTURE_CANCELLED:
        return "cancelled";
    }
    return "unknown";
}

static void check_lock(int err, const char *what)
{
    if (err != 0)
        die_errnum(err, what);
}

/* ---- tasks ------------------------------------------------------------- */

struct task {
    int id;
    double sleep;     /* seconds */
    int error;        /* returned instead of a value, if not 0 */
    bool say_ran;     /* print "start <id>"/"end <id>" */
    atomic_int ran;   /* times run */
    atomic_int cb[2]; /* callbacks run: right after submit, once done */
};

static struct task tasks[MAX_TASKS];
static atomic_int tickets; /* order in which tasks end (order mode) */

static int plain_task(void *arg, int64_t *value)
{
    struct task *t = arg;
    atomic_fetch_add(&t->ran, 1);
    if (t->say_ran)
        say("start %d\n", t->id);
    timing_sleep(t->sleep);
    if (t->say_ran)
        say("end %d\n", t->id);
    if (t->error != 0)
        return t->error;
    *value = 3 * (int64_t)t->id + 1;
    return 0;
}

static int ticket_task(void *arg, int64_t *value)
{
    int err = plain_task(arg, value);
    struct task *t = arg;
    say("finished %d %d\n", t->id, atomic_fetch_add(&tickets, 1));
    return err;
}

static struct task *new_task(int id, double sleep)
{
    struct task *t = &tasks[id];
    t->id = id;
    t->sleep = sleep;
    return t;
}

static void print_result(struct future *f)
{
    int64_t value = -1;
    int err = future_result(f, &value);
    say("result %u %d %lld %s\n", future_id(f), err, (long long)value,
        state_name(future_state(f)));
}

static struct executor *new_executor(int threads)
{
    struct executor *ex = executor_create(threads);
    if (ex == NULL)
        die("executor_create");
    return ex;
}

static struct future *submit(struct executor *ex, future_fn *fn, void *arg)
{
    struct future *f = executor_submit(ex, fn, arg);
    if (f == NULL)
        die("executor_submit");
    return f;
}

static void shutdown(struct executor *ex, bool cancel)
{
    if (executor_shutdown(ex, cancel) == -1)
        die("executor_shutdown");
}

/* ---- result ------------------------------------------------------------ */

static void mode_result(void)
{
    struct executor *ex = new_executor(opt.threads);
    struct future *fs[MAX_TASKS];
    for (int i = 0; i < opt.ntasks; i++) {
        struct task *t = new_task(i, 0.003 * (opt.ntasks - i));
        t->error = i == 5 ? EDOM : 0;
        fs[i] = submit(ex, plain_task, t);
    }
    for (int i = 0; i < opt.ntasks; i++)
        print_result(fs[i]);
    shutdown(ex, false);
}

static void state_callback(struct future *f, void *arg)
{
    say("%s %u %s\n", (const char *)arg, future_id(f),
        state_name(future_state(f)));
}

/* ---- cancel ------------------------------------------------------------ */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open, blocker_started;

static int blocker_task(void *arg, int64_t *value)
{
    struct task *t = arg;
    atomic_fetch_add(&t->ran, 1);
    check_lock(pthread_mutex_lock(&gate_lock), "pthread_mutex_lock");
    blocker_started = true;
    check_lock(pthread_cond_broadcast(&gate_cond), "pthread_cond_broadcast");
    while (!gate_open)
        check_lock(pthread_cond_wait(&gate_cond, &gate_lock),
                   "pthread_cond_wait");
    check_lock(pthread_mutex_unlock(&gate_lock), "pthread_mutex_unlock");
    *value = 3 * (int64_t)t->id + 1;
    return 0;
}

static void *result_waiter(void *arg)
{
    struct future *f = arg;
    int64_t value = -1;
    int err = future_result(f, &value);
    say("waiter %u %d %lld\n", future_id(f), err, (long long)value);
    return NULL;
}

static void gate(bool open)
{
    check_lock(pthread_mutex_lock(&gate_lock), "pthread_mutex_lock");
    if (open) {
        gate_open = true;
        check_lock(pthread_cond_broadcast(&gate_cond),
                   "pthread_cond_broadcast");
    }
    while (!blocker_started)
        check_lock(pthread_cond_wait(&gate_cond, &gate_lock),
                   "pthread_cond_wait");
    check_lock(pthread_mutex_unlock(&gate_lock), "pthread_mutex_unlock");
}

static void mode_cancel(void)
{
    struct executor *ex = new_executor(1);
    struct future *fs[5];
    fs[0] = submit(ex, blocker_task, new_task(0, 0));
    for (int i = 1; i < 5; i++)
        fs[i] = submit(ex, plain_task, new_task(i, 0));
    gate(false); /* wait until f0 runs: its thread is taken */
    say("cancel 0 %d\n", future_cancel(fs[0]));
    if (future_add_done_callback(fs[3], state_callback, "cbD") != 0)
        die_msg("future_add_done_callback refused on a pending future");
    say("cancel 1 %d\n", future_cancel(fs[1]));
    say("cancel 1 %d\n", future_cancel(fs[1]));
    pthread_t waiter;
    check_lock(pthread_create(&waiter, NULL, result_waiter, fs[3]),
               "pthread_create");
    timing_sleep(0.05); /* the waiter is (very likely) waiting by now */
    say("cancel 3 %d\n", future_cancel(fs[3]));
    check_lock(pthread_join(waiter, NULL), "pthread_join");
    int first = future_add_done_callback(fs[2], state_callback, "cbA");
    int second = future_add_done_callback(fs[2], state_callback, "cbB");
    say("add2 %d %d\n", first, second);
    if (future_add_done_callback(fs[1], state_callback, "cbC") != 0)
        die_msg("future_add_done_callback refused on a cancelled future");
    gate(true);
    for (int i = 0; i < 5; i++)
        print_result(fs[i]);
    say("cancel 2 %d\n", future_cancel(fs[2])); /* finished by now */
    shutdown(ex, false);
    for (int i = 0; i < 5; i++)
        say("ran %d %d\n", i, atomic_load(&tasks[i].ran));
}

/* ---- callback ---------------------------------------------------------- */

static void callback(struct future *f, void *arg)
{
    atomic_int *count = arg;
    atomic_fetch_add(count, 1);
    int64_t value = -1;
    int err = future_result(f, &value); /* deadlocks if run under the lock */
    bool on_main = pthread_equal(pthread_self(), main_thread);
    say("cb %u %d %d %lld %s\n", future_id(f),
        count == &tasks[future_id(f)].cb[0] ? 1 : 2, err, (long long)value,
        on_main ? "main" : "pool");
}

static void mode_callback(void)
{
    struct executor *ex = new_executor(opt.threads);
    struct future *fs[MAX_TASKS];
    for (int i = 0; i < opt.ntasks; i++) {
        fs[i] = submit(ex, plain_task, new_task(i, 0.00001 * (i % 7)));
        int err = future_add_done_callback(fs[i], callback, &tasks[i].cb[0]);
        if (err != 0)
            say("add %d %d\n", i, err);
    }
    for (int i = 0; i < opt.ntasks; i++) {
        int64_t value;
        (void)future_result(fs[i], &value);
        if (future_add_done_callback(fs[i], callback, &tasks[i].cb[1]) != 0)
            say("late add %d refused\n", i);
    }
    shutdown(ex, false);
    for (int i = 0; i < opt.ntasks; i++)
        say("cbcount %d %d %d\n", i, atomic_load(&tasks[i].cb[0]),
            atomic_load(&tasks[i].cb[1]));
}

/* ---- order ------------------------------------------------------------- */

static void take_as_completed(struct future *fs[], int n, const char *label)
{
    size_t left = (size_t)n;
    struct future *f;
    for (int k = 0; (f = futures_as_completed(fs, &left)) != NULL; k++) {
        int64_t value = -1;
        int err = future_result(f, &value);
        say("%s %d %u %d %lld\n", label, k, future_id(f), err,
            (long long)value);
        if (k > 2 * n)
            break; /* a broken as_completed that never ends */
    }
}

static void mode_order(void)
{
    int n = opt.ntasks;
    struct executor *ex = new_executor(n);
    struct future *fs[MAX_TASKS];
    for (int i = 0; i < n; i++)
        fs[i] = submit(ex, ticket_task, new_task(i, 0.04 * (n - i)));
    take_as_completed(fs, n, "completed");
    /* Again, but all are done before as_completed starts: it must still
     * give them in the order they were done, not the order of fs. */
    for (int i = 0; i < n; i++)
        fs[i] = submit(ex, ticket_task, new_task(n + i, 0.04 * (n - i)));
    timing_sleep(0.04 * n + 0.2);
    take_as_completed(fs, n, "completed2");
    shutdown(ex, false);
}

static void mode_any(void)
{
    struct executor *ex = new_executor(2);
    struct future *pair[2] = {submit(ex, plain_task, new_task(0, 0.3)),
                              submit(ex, plain_task, new_task(1, 0.02))};
    say("any %zu\n", futures_wait_any(pair, 2));
    shutdown(ex, false);
}

/* ---- shutdown ---------------------------------------------------------- */

static struct executor *late_ex;

static int late_submit_task(void *arg, int64_t *value)
{
    int err = plain_task(arg, value);
    errno = 0;
    struct future *f = executor_submit(late_ex, plain_task, new_task(99, 0));
    say("late %d %s\n", f == NULL ? errno : 0, f == NULL ? "refused" : "taken");
    return err;
}

static void mode_shutdown(void)
{
    struct executor *ex = new_executor(2);
    for (int i = 0; i < opt.ntasks; i++) {
        struct task *t = new_task(i, 0.03);
        t->say_ran = true;
        struct future *f = submit(ex, plain_task, t);
        if (future_add_done_callback(f, state_callback, "cb") != 0)
            die_msg("future_add_done_callback refused");
    }
    shutdown(ex, false);
    say("shutdown returned\n");

    late_ex = new_executor(2);
    for (int i = 0; i < opt.ntasks; i++) {
        struct task *t = new_task(100 + i, i == 0 ? 0.1 : 0.05);
        struct future *f =
            submit(late_ex, i == 0 ? late_submit_task : plain_task, t);
        if (future_add_done_callback(f, state_callback, "cb2") != 0)
            die_msg("future_add_done_callback refused");
    }
    /* Both threads busy (tasks 0 and 1 started), 4 tasks queued. */
    while (atomic_load(&tasks[100].ran) == 0 ||
           atomic_load(&tasks[101].ran) == 0)
        timing_sleep(0.001);
    shutdown(late_ex, true);
    say("shutdown2 returned\n");
    for (int i = 0; i < opt.ntasks; i++)
        say("ran2 %d %d\n", i, atomic_load(&tasks[100 + i].ran));
}

/* ---- stress ------------------------------------------------------------ */

struct waiter {
    int round, k;
    struct future **fs;
};

static void *stress_waiter(void *arg)
{
    struct waiter *w = arg;
    for (int j = 0; j < opt.ntasks; j++) {
        /* Waiter k starts at future k % 3: several wait on one at once. */
        int i = (j + w->k % 3) % opt.ntasks;
        int64_t value = -1;
        int err = future_result(w->fs[i], &value);
        say("waited %d %d %d %d %lld\n", w->round, w->k, i, err,
            (long long)value);
    }
    return NULL;
}

static void mode_stress(void)
{
    struct executor *ex = new_executor(opt.threads);
    for (int r = 0; r < opt.rounds; r++) {
        struct future *fs[MAX_TASKS];
        for (int i = 0; i < opt.ntasks; i++)
            fs[i] =
                submit(ex, plain_task, new_task(i, 0.0002 * ((i * 7 + r) % 5)));
        pthread_t threads[MAX_WAITERS];
        struct waiter w[MAX_WAITERS];
        for (int k = 0; k < opt.waiters; k++) {
            w[k] = (struct waiter){.round = r, .k = k, .fs = fs};
            check_lock(pthread_create(&threads[k], NULL, stress_waiter, &w[k]),
                       "pthread_create");
        }
        for (int k = 0; k < opt.waiters; k++)
            check_lock(pthread_join(threads[k], NULL), "pthread_join");
    }
    shutdown(ex, false);
}

/* ---- cancelrace ------------------------------------------------------- */

static void mode_cancelrace(void)
{
    struct executor *ex = new_executor(opt.threads);
    for (int r = 0; r < opt.rounds; r++) {
        struct future *fs[MAX_TASKS];
        for (int i = 0; i < opt.ntasks; i++)
            fs[i] = submit(ex, plain_task, new_task(i, 0));
        bool cancelled[MAX_TASKS];
        for (int i = opt.ntasks - 1; i >= 0;
             i--) /* the queue's far end first */
            cancelled[i] = future_cancel(fs[i]);
        for (int i = 0; i < opt.ntasks; i++) {
            int64_t value = -1;
            int err = future_result(fs[i], &value);
            say("cr %d %d %d %d %d %lld\n", r, i, cancelled[i],
                atomic_exchange(&tasks[i].ran, 0), err, (long long)value);
        }
    }
    shutdown(ex, false);
}

/* ---- sleepy ------------------------------------------------------------ */

static void mode_sleepy(void)
{
    struct executor *ex = new_executor(2);
    struct future *f = submit(ex, plain_task, new_task(0, 0.5));
    pthread_t threads[MAX_WAITERS];
    for (int k = 0; k < opt.waiters; k++)
        check_lock(pthread_create(&threads[k], NULL, result_waiter, f),
                   "pthread_create");
    print_result(f);
    for (int k = 0; k < opt.waiters; k++)
        check_lock(pthread_join(threads[k], NULL), "pthread_join");
    shutdown(ex, false);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    main_thread = pthread_self();
    int c;
    while ((c = getopt(argc, argv, "m:w:n:r:W:")) != -1) {
        if (c == 'm')
            opt.mode = optarg;
        else if (c == 'w')
            opt.threads = (int)arg_long(optarg, 1, 64, "threads", USAGE);
        else if (c == 'n')
            opt.ntasks = (int)arg_long(optarg, 1, 200, "tasks", USAGE);
        else if (c == 'r')
            opt.rounds = (int)arg_long(optarg, 1, 1000, "rounds", USAGE);
        else if (c == 'W')
            opt.waiters =
                (int)arg_long(optarg, 0, MAX_WAITERS, "waiters", USAGE);
        else
            die_bad_option(USAGE);
    }
    static const struct {
        const char *name;
        void (*run)(void);
    } modes[] = {{"result", mode_result},     {"cancel", mode_cancel},
                 {"callback", mode_callback}, {"order", mode_order},
                 {"any", mode_any},           {"shutdown", mode_shutdown},
                 {"stress", mode_stress},     {"cancelrace", mode_cancelrace},
                 {"sleepy", mode_sleepy}};
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++)
        if (strcmp(opt.mode, modes[k].name) == 0) {
            modes[k].run();
            say("end of %s\n", opt.mode);
            return 0;
        }
    die_usage(USAGE, "unknown mode '%s'", opt.mode);
}
