/*
 * sleeps.c - tasks that wait, run in parallel: the total is the longest
 * task, not the sum.
 *
 * Python:  three Process (or Thread) objects whose target sleeps 0.5, 0.2
 *          and 0.3 s; start them all, then join them all.
 * C:       fork() every child (or pthread_create every thread) first, then
 *          waitpid() (pthread_join) them all. Starting one and waiting for
 *          it before starting the next runs them one after the other.
 *
 * Usage:   sleeps [-m serial|processes|threads] [-f task] [-k task]
 *                 [seconds ...]
 *          -m mode    how to run the tasks (default: processes)
 *          -f task    task number <task> fails (exits with status 1) at the
 *                     end of its sleep (default: none)
 *          -k task    task number <task> is killed by SIGKILL at the end of
 *                     its sleep (default: none)
 *          seconds    how long each task sleeps, 0..10, at most 32 tasks
 *                     (default: 0.5 0.2 0.3)
 *
 * Observe: "serial" takes the sum of the sleeps; "processes" and "threads"
 *          take about the longest. Each process task reports its own pid;
 *          every thread task reports the same one. A failing process task
 *          is reported by main once all tasks have ended; a failing thread
 *          task ends the whole process, main and all.
 * Try:     sleeps -m serial; sleeps -m threads 1 1 1 1 1 1 1 1;
 *          sleeps -k 2; sleeps -m threads -k 2
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "timing.h"

#define USAGE "[-m serial|processes|threads] [-f task] [-k task] [seconds ...]"
#define MAX_TASKS 32

enum fate { TASK_ENDS_WELL, TASK_FAILS, TASK_IS_KILLED };

struct task {
    int number;
    double seconds;
    enum fate fate; /* how the task ends: -f and -k choose */
};

struct options {
    const char *mode;
    int count; /* tasks in use */
    struct task tasks[MAX_TASKS];
};

/* One task: say when it starts and ends, and sleep in between. Each line is
 * flushed at once: the output is a pipe when a test reads it, and a child
 * must not leave its lines in a buffer. Every way out is _exit or a signal,
 * never exit(): this runs in forked children (and in threads, where a
 * failure ends the whole process, main included). */
static void run_task(const struct task *t)
{
    printf("task %d: start, sleeping %.2f s (pid %ld)\n", t->number, t->seconds,
           (long)getpid());
    if (fflush(stdout) == EOF)
        die_child("fflush");
    timing_sleep(t->seconds);
    if (t->fate == TASK_IS_KILLED && raise(SIGKILL) != 0)
        die_child("raise");
    if (t->fate == TASK_FAILS)
        die_child_msg("task %d: failing on purpose", t->number);
    printf("task %d: done\n", t->number);
    if (fflush(stdout) == EOF)
        die_child("fflush");
}

static void *thread_main(void *arg)
{
    run_task(arg);
    return NULL;
}

static void run_serial(const struct task *tasks, int count)
{
    for (int i = 0; i < count; i++)
        run_task(&tasks[i]);
}

/* Fork one child per task, all of them before waiting for any. Returns how
 * many were started: fewer than count if a fork failed (errno says why). */
static int start_processes(const struct task *tasks, int count, pid_t pids[])
{
    /* TODO(01.5): fork() a child for each task; the child calls
     * run_task(&tasks[i]) and ends with _exit(0), the parent keeps its pid
     * in pids[i]. If a fork fails, stop and return how many were started:
     * run_processes still waits for those before it reports the failure
     * (a parent that dies at once leaves its children behind, orphans). */
    (void)tasks;
    (void)pids;
    return count;
}

/* Wait for the first `started` children; return how many did not end well,
 * after saying which on stderr. */
static int wait_processes(const struct task *tasks, int started,
                          const pid_t pids[])
{
    int failed = 0;
    /* TODO(01.5), continued: waitpid() every child. A child that did not
     * exit with status 0 (WIFEXITED, WEXITSTATUS: a child killed by a
     * signal did not exit at all) must not go unnoticed: print
     * "sleeps: task <n> failed" on stderr and count it - but go on waiting
     * for the others, every one of them. */
    (void)tasks;
    (void)started;
    (void)pids;
    return failed;
}

static void run_processes(const struct task *tasks, int count)
{
    pid_t pids[MAX_TASKS];
    int started = start_processes(tasks, count, pids);
    int fork_error = errno;
    int failed = wait_processes(tasks, started, pids);
    if (started < count)
        die_errnum(fork_error, "fork");
    if (failed > 0)
        die_msg("%d of %d tasks failed", failed, count);
}

static void run_threads(struct task *tasks, int count)
{
    /* TODO(01.6): The same with threads: pthread_create() one thread per
     * task, running thread_main(&tasks[i]), then pthread_join() them all.
     * Check each call's returned error number (die_errnum). */
    (void)thread_main;
    (void)tasks;
    (void)count;
}

/* The tasks: the seconds given, or the lecture's 0.5 0.2 0.3; -f and -k
 * choose which one fails or is killed. */
static void set_tasks(struct options *o, char *const seconds[], int given,
                      int failing, int killed)
{
    static const double lecture[] = {0.5, 0.2, 0.3};
    if (given > MAX_TASKS)
        die_usage(USAGE, "at most %d tasks", MAX_TASKS);
    o->count = given > 0 ? given : 3;
    if (failing > o->count || killed > o->count)
        die_usage(USAGE, "task %d: there are only %d tasks",
                  failing > o->count ? failing : killed, o->count);
    for (int i = 0; i < o->count; i++) {
        struct task *t = &o->tasks[i];
        t->number = i + 1;
        t->seconds = given > 0 ? arg_double(seconds[i], 0, 10, "seconds", USAGE)
                               : lecture[i];
        t->fate = t->number == killed    ? TASK_IS_KILLED
                  : t->number == failing ? TASK_FAILS
                                         : TASK_ENDS_WELL;
    }
}

static void parse_args(int argc, char *argv[], struct options *o)
{
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    o->mode = "processes";
    int failing = 0, killed = 0, opt;
    while ((opt = getopt(argc, argv, "hm:f:k:")) != -1) {
        if (opt == 'm')
            o->mode = optarg;
        else if (opt == 'f')
            failing = (int)arg_long(optarg, 1, MAX_TASKS, "task", USAGE);
        else if (opt == 'k')
            killed = (int)arg_long(optarg, 1, MAX_TASKS, "task", USAGE);
        else
            die_bad_option(USAGE);
    }
    if (strcmp(o->mode, "serial") != 0 && strcmp(o->mode, "processes") != 0 &&
        strcmp(o->mode, "threads") != 0)
        die_usage(USAGE, "unknown mode '%s'", o->mode);
    set_tasks(o, argv + optind, argc - optind, failing, killed);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o;
    parse_args(argc, argv, &o);
    double sum = 0, longest = 0;
    for (int i = 0; i < o.count; i++) {
        sum += o.tasks[i].seconds;
        if (o.tasks[i].seconds > longest)
            longest = o.tasks[i].seconds;
    }

    printf("main: pid %ld, %d tasks, mode %s\n", (long)getpid(), o.count,
           o.mode);
    if (fflush(stdout) == EOF) /* before any fork: see hello.c */
        die("fflush");
    double start = timing_now();
    if (strcmp(o.mode, "serial") == 0)
        run_serial(o.tasks, o.count);
    else if (strcmp(o.mode, "processes") == 0)
        run_processes(o.tasks, o.count);
    else
        run_threads(o.tasks, o.count);
    double total = timing_now() - start;
    printf("main: total %.3f s (longest task %.3f s, sum %.3f s)\n", total,
           longest, sum);
    return EXIT_SUCCESS;
}
