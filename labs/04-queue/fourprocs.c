/*
 * fourprocs.c - workers hand their results back through a queue.
 *
 * Python:  output = Queue(); each Process(target=hello, args=(pos, name))
 *          does output.put((pos, "Hello " + name)); the parent gathers
 *          [output.get() for p in processes].
 * C:       the queue of queue.c, created before fork(). Each worker puts
 *          one (position, message) item and ends; the parent gets one item
 *          per worker - in whatever order they arrive - and then reaps the
 *          workers. The position says where each result belongs, so the
 *          parent can put them back in order.
 *
 * Usage:   fourprocs [-n workers] [-q capacity] [-m name] [-k position]
 *          -n workers   how many workers, 1..64 (default 4)
 *          -q capacity  queue capacity in items, 1..64 (default 4)
 *          -m name      who the workers greet (default World)
 *          -k position  the worker at this position dies (SIGKILL) before
 *                       its put: a crash, to see the parent notice it
 *
 * Observe: the arrival order changes from run to run; the results sorted
 *          by position do not.
 * Try:     fourprocs -n 16 -q 2 (more workers than slots: the parent must
 *          get before it waits, or the workers blocked in put never end);
 *          fourprocs -k 1 (a worker dies: the parent must not wait for ever
 *          for a result that will never come).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "queue.h"
#include "status.h"

#define USAGE "[-n workers] [-q capacity] [-m name] [-k position]"
#define MAX_WORKERS 64
#define LOOK_EVERY 0.1 /* seconds a get waits before looking for the dead */

struct args {
    long workers;     /* -n */
    long capacity;    /* -q */
    const char *name; /* -m */
    long crash;       /* -k: the position of the worker that dies, or -1 */
};

static struct args parse_args(int argc, char *argv[])
{
    struct args a = {.workers = 4, .capacity = 4, .name = "World", .crash = -1};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "n:q:m:k:h")) != -1) {
        switch (opt) {
        case 'n':
            a.workers = arg_long(optarg, 1, MAX_WORKERS, "workers", USAGE);
            break;
        case 'q':
            a.capacity = arg_long(optarg, 1, 64, "capacity", USAGE);
            break;
        case 'm':
            if (strlen(optarg) > QUEUE_TEXT_MAX - sizeof "Hello ")
                die_usage(USAGE, "name: '%s' is too long (at most %zu bytes)",
                          optarg, QUEUE_TEXT_MAX - sizeof "Hello ");
            a.name = optarg;
            break;
        case 'k':
            a.crash = arg_long(optarg, 0, MAX_WORKERS - 1, "position", USAGE);
            break;
        case 'h':
            args_help(USAGE);
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return a;
}

/* A worker's task: Python's hello(pos, name). Runs in the child. */
static void worker(struct queue *q, long pos, const char *name)
{
    struct queue_item item = {.key = pos, .value = (long)getpid()};
    /* parse_args() checked that the name fits: no truncation here. */
    if (snprintf(item.text, sizeof item.text, "Hello %s", name) < 0)
        die_child("snprintf");
    /* TODO(04.7): Put the item in the queue. QUEUE_CLOSED means the parent
     * gave up (a fork failed) and closed the queue to stop us: end quietly
     * with _exit(EXIT_FAILURE). Any other non-zero result is a failure of
     * this child: die_child_errnum(err, "queue_put"). */
    (void)q;
}

/* Fork the workers. Returns how many started: all of them, or - when a
 * fork failed, which it reports - the ones started before. */
static long start_workers(struct queue *q, const struct args *a, pid_t *pids)
{
    for (long i = 0; i < a->workers; i++) {
        if ((pids[i] = fork()) == -1) {
            warn_errno("fork");
            return i;
        }
        if (pids[i] == 0) {
            if (i == a->crash)
                (void)raise(SIGKILL); /* -k: this worker crashes */
            worker(q, i, a->name);
            _exit(EXIT_SUCCESS);
        }
    }
    return a->workers;
}

/* A fork failed: the workers already started may be blocked in put for
 * ever (nobody will get). Close the queue so that their puts return,
 * reap them all, and exit with status 1. */
static _Noreturn void stop_workers(struct queue *q, const pid_t *pids,
                                   long started)
{
    int err = queue_close(q);
    if (err != 0)
        die_errnum(err, "queue_close");
    for (long i = 0; i < started; i++)
        if (waitpid(pids[i], NULL, 0) == -1)
            die("waitpid");
    if ((err = queue_destroy(q)) != 0)
        die_errnum(err, "queue_destroy");
    die_msg("a fork failed: stopped and reaped the %ld worker(s) started",
            started);
}

/* Reap worker i (flags: 0 to wait, WNOHANG to look only). Marks it reaped
 * (pids[i] = 0). Returns 1 if it ended badly - said on stderr - else 0. */
static long reap_worker(pid_t *pids, long i, int flags)
{
    int status;
    pid_t pid = waitpid(pids[i], &status, flags);
    if (pid == -1)
        die("waitpid");
    if (pid == 0)
        return 0; /* still running */
    pids[i] = 0;
    if (status_ok(status))
        return 0;
    char how[64];
    (void)fprintf(stderr, "fourprocs: worker %ld (pid %ld) %s\n", i, (long)pid,
                  status_describe(status, how, sizeof how));
    return 1;
}

/* Reap, without waiting, every worker that has ended; returns how many of
 * them ended badly. A worker puts its result before it ends, so one that
 * ended badly will never send one. */
static long dead_workers(pid_t *pids, long workers)
{
    long dead = 0;
    for (long i = 0; i < workers; i++)
        if (pids[i] != 0)
            dead += reap_worker(pids, i, WNOHANG);
    return dead;
}

/* Get one result per worker that is alive, BEFORE waiting for any worker.
 * Returns how many workers died before their put. */
static long collect(struct queue *q, pid_t *pids, long workers,
                    char results[][QUEUE_TEXT_MAX])
{
    long dead = 0;
    /* TODO(04.8): Get one item per worker - except the dead ones - BEFORE
     * waiting for any worker: with fewer slots than workers, a worker
     * blocked in put cannot end until the parent gets. Loop while
     * got + dead < workers: queue_get_timed(q, &item, LOOK_EVERY); on
     * ETIMEDOUT add dead_workers(pids, workers) to dead and try again (a
     * worker that died will never put: never wait for ever on it); on
     * another non-zero result die_errnum(err, "queue_get"). For each item
     * print, in arrival order,
     *     parent: got (<key>, "<text>") from pid <value>
     * and copy its text into results[key] (check 0 <= key < workers first,
     * else die_msg: never trust an index that came from another process). */
    (void)q;
    (void)pids;
    (void)workers;
    (void)results;
    (void)dead_workers;
    return dead;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct args a = parse_args(argc, argv);
    struct queue *q = queue_create((size_t)a.capacity);
    if (q == NULL)
        die("queue_create");
    printf("parent: pid %ld, %ld workers, queue of %ld slots\n", (long)getpid(),
           a.workers, a.capacity);
    if (fflush(stdout) == EOF)
        die("fflush");

    pid_t pids[MAX_WORKERS];
    long started = start_workers(q, &a, pids);
    if (started < a.workers)
        stop_workers(q, pids, started);

    /* Results by position; a slot stays empty ("") until its result comes. */
    char results[MAX_WORKERS][QUEUE_TEXT_MAX] = {{0}};
    long failed = collect(q, pids, a.workers, results);
    /* Python's join(): every live worker has put its result; reap them. */
    for (long i = 0; i < a.workers; i++)
        if (pids[i] != 0)
            failed += reap_worker(pids, i, 0);
    int err = queue_destroy(q);
    if (err != 0)
        die_errnum(err, "queue_destroy");

    printf("parent: results by position: [");
    for (long i = 0; i < a.workers; i++)
        printf("%s(%ld, '%s')", i > 0 ? ", " : "", i, results[i]);
    printf("]\n");
    if (failed > 0)
        die_msg("%ld worker(s) failed", failed);
    return EXIT_SUCCESS;
}
