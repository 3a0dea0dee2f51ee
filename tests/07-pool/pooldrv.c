/*
 * pooldrv.c - test driver for lab 07: runs the student's pool (pool.c, or
 * tpool.c with -T) on tasks that tell on themselves, and prints what
 * happened in lines the tests parse.
 *
 * Usage: pooldrv -m mode [-w workers] [-n tasks] [-c crash] [-e exit]
 *        [-k cycles] [-s ms] [-S] [-T]
 *   modes: order  one map; task i sleeps (n - i) ms, so later tasks finish
 *                 first; value 3i + 1
 *          reuse  three maps on one pool
 *          uneven the even tasks of the first half sleep 0.3 s (-s ms),
 *                 the rest none (n = 8: tasks 0 and 2); block and
 *                 round-robin static hand-out both give both slow tasks
 *                 to worker 0
 *          crash  task c raises SIGSEGV, task e calls _exit(7); then a
 *                 second map on the same pool
 *          async  three jobs submitted, waited for in reverse order
 *          idle   map 0; then the driver kills one idle worker (SIGKILL)
 *                 and waits until it is dead (not reaping it); then map 1
 *                 and map 2 on the same pool
 *          drop   map 0 (quick tasks); then map 1, of tasks that sleep
 *                 0.2 s each, is submitted and the pool destroyed at once,
 *                 without waiting for it
 *          cycles k times: create, map, destroy; prints the open
 *                 descriptors before the first and after each cycle
 *   -S static schedule; -T thread pool.
 * Each task writes "ran <map> <i> pid <pid> thread <t> fds <f>" with one
 * write(2) (atomic on a pipe), from wherever it runs; f is how many file
 * descriptors below 256 are open in its process. main prints
 * "result <map> <i> <done|crashed|pending> <value|signal> <worker>",
 * "main pid <pid>", "killed <pid>" (idle), "fds <label>: <fd>=<what> ...",
 * and after each destroy "reaped: all" if no child of ours is left
 * (waitpid says ECHILD), else "reaped: NOT all", and "threads: <n>" (the
 * threads of this process, from /proc/self/status).
 */
#define _DEFAULT_SOURCE /* DT_LNK-free readdir is POSIX; dirfd needs this */
#include <dirent.h>
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

#define USAGE                                                                  \
    "-m order|reuse|uneven|crash|async|idle|drop|cycles [-w n] [-n n] "        \
    "[-c i] [-e i] [-k cycles] [-s ms] [-S] [-T]"
#define MAX_TASKS 256

struct options {
    const char *mode;
    int workers, cycles;
    size_t ntasks;
    bool threads, static_schedule;
};

static struct options opt = {
    .mode = "", .workers = 4, .cycles = 3, .ntasks = 12};
static int64_t crash_at = -1, exit_at = -1;
static double slow_seconds = 0.3; /* seconds, uneven mode's slow tasks */
static atomic_int thread_ids;
static _Thread_local int my_thread;

static bool mode_is(const char *m)
{
    return strcmp(opt.mode, m) == 0;
}

/* How long task i of map sleeps, by mode. */
static double task_sleep(int64_t map, int64_t i)
{
    int64_t n = (int64_t)opt.ntasks;
    if (mode_is("order"))
        return 0.002 * (double)(n - i);
    if (mode_is("uneven") && i < n / 2 && i % 2 == 0)
        return slow_seconds;
    if (mode_is("async") && map == 0)
        return 0.15;
    if (mode_is("drop") && map == 1)
        return 0.2;
    return 0;
}

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
    timing_sleep(task_sleep(map, i));
    if (mode_is("crash") && map == 0 && i == crash_at)
        (void)raise(SIGSEGV);
    if (mode_is("crash") && map == 0 && i == exit_at)
        _exit(7);
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

static void create_pool(void)
{
    if (opt.threads ? (threads = tpool_create(opt.workers)) == NULL
                    : (procs = pool_create(opt.workers)) == NULL)
        die("pool_create");
    enum pool_schedule s = opt.static_schedule ? POOL_STATIC : POOL_DYNAMIC;
    if (procs != NULL)
        pool_set_schedule(procs, s);
    else
        tpool_set_schedule(threads, s);
}

static struct pool_job *submit(pool_fn *fn, const int64_t *args, size_t nargs,
                               size_t n)
{
    struct pool_job *job = procs != NULL
                               ? pool_submit(procs, fn, args, nargs, n)
                               : tpool_submit(threads, fn, args, nargs, n);
    if (job == NULL)
        die("pool_submit");
    return job;
}

static void wait_and_print(struct pool_job *job, int map, size_t n)
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

static struct pool_job *submit_map(int map, size_t n)
{
    int64_t args[2 * MAX_TASKS];
    for (size_t i = 0; i < n; i++) {
        args[2 * i] = map;
        args[2 * i + 1] = (int64_t)i;
    }
    return submit(task, args, 2, n);
}

/* "fds label: 0=/dev/null 1=pipe:[123] ...": every open descriptor of
 * this process (but the one reading the list), and what it is. */
static void print_fds(const char *label)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL)
        die("opendir /proc/self/fd");
    printf("fds %s:", label);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end != '\0' || end == e->d_name || fd == dirfd(dir))
            continue;
        char path[64], what[256];
        (void)snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
        ssize_t len = readlink(path, what, sizeof what - 1);
        what[len < 0 ? 0 : len] = '\0';
        printf(" %ld=%s", fd, what);
    }
    printf("\n");
    if (closedir(dir) == -1)
        die("closedir");
}

/* The number of threads of this process, from /proc/self/status. */
static int count_threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        die("fopen /proc/self/status");
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (fclose(f) == EOF)
        die("fclose");
    return n;
}

/* Destroy the pool, then say whether any child or thread is left. */
static void destroy_and_check(void)
{
    if ((procs != NULL ? pool_destroy(procs) : tpool_destroy(threads)) == -1)
        die("pool_destroy");
    procs = NULL;
    threads = NULL;
    int status;
    pid_t left = waitpid(-1, &status, WNOHANG);
    if (left == -1 && errno == ECHILD)
        printf("reaped: all\n");
    else
        printf("reaped: NOT all (waitpid(-1, WNOHANG) returned %ld)\n",
               (long)left);
    printf("threads: %d\n", count_threads());
}

/* Kill one worker process while it is idle, and wait until it is dead
 * without reaping it (waitid with WNOWAIT): the pool must find out. */
static void kill_an_idle_worker(void)
{
    char path[64], line[256] = "";
    (void)snprintf(path, sizeof path, "/proc/self/task/%ld/children",
                   (long)getpid());
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die("fopen children");
    long pid = 0;
    if (fgets(line, sizeof line, f) == NULL || sscanf(line, "%ld", &pid) != 1)
        die_msg("no worker process to kill (children: '%s')", line);
    if (fclose(f) == EOF)
        die("fclose");
    if (kill((pid_t)pid, SIGKILL) == -1)
        die("kill");
    siginfo_t info;
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == -1)
        die("waitid");
    printf("killed %ld\n", pid);
}

/* The mode's maps, between create and destroy (all but cycles). */
static void run_mode(size_t n)
{
    if (mode_is("reuse") || mode_is("idle")) {
        for (int map = 0; map < 3; map++) {
            if (mode_is("idle") && map == 1)
                kill_an_idle_worker();
            wait_and_print(submit_map(map, n), map, n);
        }
    } else if (mode_is("crash")) {
        wait_and_print(submit_map(0, n), 0, n);
        wait_and_print(submit_map(1, n), 1, n);
    } else if (mode_is("async")) {
        /* map 0: 4 slow tasks; map 1: apply_async(power, (2, 10));
         * map 2: starmap(power, [(2,2), (3,3), (4,2), (5,3)]). */
        struct pool_job *slow = submit_map(0, 4);
        static const int64_t one[] = {2, 10};
        struct pool_job *single = submit(power, one, 2, 1);
        static const int64_t pairs[] = {2, 2, 3, 3, 4, 2, 5, 3};
        struct pool_job *star = submit(power, pairs, 2, 4);
        wait_and_print(star, 2, 4);
        wait_and_print(single, 1, 1);
        wait_and_print(slow, 0, 4);
    } else if (mode_is("drop")) {
        wait_and_print(submit_map(0, n), 0, n);
        (void)submit_map(1, n); /* never waited for: destroy drops it */
    } else {
        wait_and_print(submit_map(0, n), 0, n);
    }
}

static void parse_args(int argc, char *argv[])
{
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int c;
    while ((c = getopt(argc, argv, "hm:w:n:c:e:k:s:ST")) != -1) {
        if (c == 'm')
            opt.mode = optarg;
        else if (c == 'w')
            opt.workers =
                (int)arg_long(optarg, 1, POOL_MAX_WORKERS, "workers", USAGE);
        else if (c == 'n')
            opt.ntasks = (size_t)arg_long(optarg, 1, MAX_TASKS, "tasks", USAGE);
        else if (c == 'c')
            crash_at = arg_long(optarg, 0, MAX_TASKS, "crash", USAGE);
        else if (c == 'e')
            exit_at = arg_long(optarg, 0, MAX_TASKS, "exit", USAGE);
        else if (c == 's')
            slow_seconds =
                (double)arg_long(optarg, 1, 5000, "slow ms", USAGE) / 1000;
        else if (c == 'k')
            opt.cycles = (int)arg_long(optarg, 1, 100, "cycles", USAGE);
        else if (c == 'S')
            opt.static_schedule = true;
        else if (c == 'T')
            opt.threads = true;
        else
            die_bad_option(USAGE);
    }
    static const char *const modes[] = {"order", "reuse", "uneven", "crash",
                                        "async", "idle",  "drop",   "cycles"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (mode_is(modes[i]))
            return;
    die_usage(USAGE, "unknown mode '%s'", opt.mode);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    parse_args(argc, argv);
    printf("main pid %ld\n", (long)getpid());
    if (mode_is("cycles")) {
        print_fds("before");
        for (int k = 1; k <= opt.cycles; k++) {
            create_pool();
            wait_and_print(submit_map(k - 1, opt.ntasks), k - 1, opt.ntasks);
            destroy_and_check();
            char label[32];
            (void)snprintf(label, sizeof label, "after %d", k);
            print_fds(label);
        }
        return EXIT_SUCCESS;
    }
    create_pool();
    double t0 = timing_now();
    run_mode(opt.ntasks);
    printf("elapsed %.3f\n", timing_now() - t0);
    destroy_and_check();
    return EXIT_SUCCESS;
}
