/*
 * pooldrv.c - test driver for lab 07: runs the student's pool (pool.c, or
 * tpool.c with -T) on tasks that tell on themselves, and prints what
 * happened in lines the tests parse.
 *
 * Usage: pooldrv -m mode [-w workers] [-n tasks] [-c crash] [-S] [-T]
 *   modes: order  one map; task i sleeps (n - i) ms, so later tasks finish
 *                 first; value 3i + 1
 *          reuse  three maps on one pool
 *          uneven the even tasks of the first half sleep 0.3 s, the rest
 *                 none (n = 8: tasks 0 and 2); block and round-robin
 *                 static hand-out both give both slow tasks to worker 0
 *          crash  task c raises SIGSEGV; then a second map on the same pool
 *          async  three jobs submitted, waited for in reverse order
 *   -S static schedule; -T thread pool.
 * Each task writes "ran <map> <i> pid <pid> thread <t> fds <f>" with one
 * write(2) (atomic on a pipe), from wherever it runs; f is how many file
 * descriptors below 256 are open in its process. main prints
 * "result <map> <i> <done|crashed|pending> <value|signal> <worker>",
 * "main pid <pid>" and, after destroying the pool, "reaped: all" if no
 * child of ours is left (waitpid says ECHILD), else "reaped: NOT all".
 */
/* (no feature macro needed: everything here is POSIX) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "pool.h"
#include "timing.h"
#include "tpool.h"

#define USAGE "-m order|reuse|uneven|crash|async [-w n] [-n n] [-c i] [-S] [-T]"
#define MAX_TASKS 256

static int64_t ntasks = 12;
static int64_t crash_at = -1;
static const char *mode = "";
static atomic_int thread_ids;
static _Thread_local int my_thread;

/* args: map number, task index */
static int64_t task(const int64_t args[], size_t nargs)
{
    int64_t map = args[0], i = nargs > 1 ? args[1] : 0;
    if (my_thread == 0)
        my_thread = atomic_fetch_add(&thread_ids, 1) + 1;
    int fds = 0;
    for (int fd = 0; fd < 256; fd++)
        fds += fcntl(fd, F_GETFD) != -1;
    char line[128];
    int len =
        snprintf(line, sizeof line, "ran %lld %lld pid %ld thread %d fds %d\n",
                 (long long)map, (long long)i, (long)getpid(), my_thread, fds);
    if (write(STDOUT_FILENO, line, (size_t)len) != len)
        _exit(1);
    if (strcmp(mode, "order") == 0)
        timing_sleep(0.002 * (double)(ntasks - i));
    else if (strcmp(mode, "uneven") == 0 && i < ntasks / 2 && i % 2 == 0)
        timing_sleep(0.3);
    else if (strcmp(mode, "async") == 0 && map == 0)
        timing_sleep(0.15);
    else if (strcmp(mode, "crash") == 0 && i == crash_at && map == 0)
        (void)raise(SIGSEGV);
    return 3 * i + 1 + 1000 * map;
}

static int64_t power(const int64_t args[], size_t nargs)
{
    (void)nargs;
    int64_t r = 1;
    for (int64_t e = 0; e < args[1]; e++)
        r *= args[0];
    return r;
}

static struct pool *procs;
static struct tpool *threads;

static void *submit(pool_fn *fn, const int64_t *args, size_t nargs, size_t n)
{
    void *job = procs != NULL
                    ? (void *)pool_submit(procs, fn, args, nargs, n)
                    : (void *)tpool_submit(threads, fn, args, nargs, n);
    if (job == NULL)
        die("pool_submit");
    return job;
}

static void wait_and_print(void *job, int map, size_t n)
{
    struct pool_result r[MAX_TASKS];
    memset(r, 0, sizeof r);
    if ((procs != NULL ? pool_wait(procs, job, r)
                       : tpool_wait(threads, job, r)) == -1)
        die("pool_wait");
    static const char *const names[] = {"pending", "done", "crashed"};
    for (size_t i = 0; i < n; i++) {
        int s = r[i].status;
        printf("result %d %zu %s %lld %d\n", map, i,
               s >= 0 && s <= 2 ? names[s] : "bad",
               (long long)(s == POOL_CRASHED ? r[i].signal : r[i].value),
               r[i].worker);
    }
    if (fflush(stdout) == EOF)
        die("fflush");
}

static void *submit_map(int map, size_t n)
{
    int64_t args[2 * MAX_TASKS];
    for (size_t i = 0; i < n; i++) {
        args[2 * i] = map;
        args[2 * i + 1] = (int64_t)i;
    }
    return submit(task, args, 2, n);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    int workers = 4;
    bool use_threads = false, static_schedule = false;
    int opt;
    while ((opt = getopt(argc, argv, "m:w:n:c:ST")) != -1) {
        switch (opt) {
        case 'm':
            mode = optarg;
            break;
        case 'w':
            workers =
                (int)arg_long(optarg, 1, POOL_MAX_WORKERS, "workers", USAGE);
            break;
        case 'n':
            ntasks = arg_long(optarg, 1, MAX_TASKS, "tasks", USAGE);
            break;
        case 'c':
            crash_at = arg_long(optarg, 0, MAX_TASKS, "crash", USAGE);
            break;
        case 'S':
            static_schedule = true;
            break;
        case 'T':
            use_threads = true;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    size_t n = (size_t)ntasks;
    printf("main pid %ld\n", (long)getpid());
    if (use_threads ? (threads = tpool_create(workers)) == NULL
                    : (procs = pool_create(workers)) == NULL)
        die("pool_create");
    enum pool_schedule s = static_schedule ? POOL_STATIC : POOL_DYNAMIC;
    if (procs != NULL)
        pool_set_schedule(procs, s);
    else
        tpool_set_schedule(threads, s);

    double t0 = timing_now();
    if (strcmp(mode, "reuse") == 0) {
        for (int map = 0; map < 3; map++)
            wait_and_print(submit_map(map, n), map, n);
    } else if (strcmp(mode, "crash") == 0) {
        wait_and_print(submit_map(0, n), 0, n);
        wait_and_print(submit_map(1, n), 1, n);
    } else if (strcmp(mode, "async") == 0) {
        /* map 0: 4 slow tasks; map 1: apply_async(power, (2, 10));
         * map 2: starmap(power, [(2,2), (3,3), (4,2), (5,3)]). */
        void *slow = submit_map(0, 4);
        static const int64_t one[] = {2, 10};
        void *single = submit(power, one, 2, 1);
        static const int64_t pairs[] = {2, 2, 3, 3, 4, 2, 5, 3};
        void *star = submit(power, pairs, 2, 4);
        wait_and_print(star, 2, 4);
        wait_and_print(single, 1, 1);
        wait_and_print(slow, 0, 4);
    } else if (strcmp(mode, "order") == 0 || strcmp(mode, "uneven") == 0) {
        wait_and_print(submit_map(0, n), 0, n);
    } else {
        die_usage(USAGE, "unknown mode '%s'", mode);
    }
    printf("elapsed %.3f\n", timing_now() - t0);

    if ((procs != NULL ? pool_destroy(procs) : tpool_destroy(threads)) == -1)
        die("pool_destroy");
    /* Every worker must have been reaped by pool_destroy: no child left,
     * not even a zombie. */
    int status;
    pid_t left = waitpid(-1, &status, WNOHANG);
    if (left == -1 && errno == ECHILD)
        printf("reaped: all\n");
    else
        printf("reaped: NOT all (waitpid(-1, WNOHANG) returned %ld)\n",
               (long)left);
    return EXIT_SUCCESS;
}
