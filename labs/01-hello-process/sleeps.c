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
 * Usage:   sleeps [-m serial|processes|threads] [seconds ...]
 *          -m mode    how to run the tasks (default: processes)
 *          seconds    how long each task sleeps, 0..10 (default: 0.5 0.2 0.3)
 *
 * Observe: "serial" takes the sum of the sleeps; "processes" and "threads"
 *          take about the longest. Each process task reports its own pid;
 *          every thread task reports the same one.
 * Try:     sleeps -m serial; sleeps -m threads 1 1 1 1 1 1 1 1
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "timing.h"

#define USAGE "[-m serial|processes|threads] [seconds ...]"
#define MAX_TASKS 32

struct task {
    int number;
    double seconds;
};

/* One task: say when it starts and ends, and sleep in between. Each line is
 * flushed at once: the output is a pipe when a test reads it, and a child
 * must not leave its lines in a buffer. */
static void run_task(const struct task *t)
{
    printf("task %d: start, sleeping %.2f s (pid %ld)\n", t->number, t->seconds,
           (long)getpid());
    if (fflush(stdout) == EOF)
        die_child("fflush"); /* _exit: safe in a child, a thread, or main */
    timing_sleep(t->seconds);
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

static void run_processes(const struct task *tasks, int count)
{
    /* TODO(01.5): Run every task in a child process of its own, all at the
     * same time: first fork() all the children (each child calls
     * run_task(&tasks[i]) and ends with _exit(0)), and only then wait for
     * all of them with waitpid(). A child that failed must not go unnoticed:
     * if one did not exit with status 0 (WIFEXITED, WEXITSTATUS), print
     * "sleeps: task <n> failed" on stderr and exit(EXIT_FAILURE).
     * Hint: keep the pids in an array of MAX_TASKS pid_t. */
    (void)tasks;
    (void)count;
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

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    const char *mode = "processes";
    int opt;
    while ((opt = getopt(argc, argv, "m:")) != -1) {
        if (opt == 'm')
            mode = optarg;
        else
            die_bad_option(USAGE);
    }
    if (strcmp(mode, "serial") != 0 && strcmp(mode, "processes") != 0 &&
        strcmp(mode, "threads") != 0)
        die_usage(USAGE, "unknown mode '%s'", mode);

    /* The tasks: the seconds given, or the lecture's 0.5 0.2 0.3. */
    struct task tasks[MAX_TASKS];
    static const double lecture[] = {0.5, 0.2, 0.3};
    int count = argc - optind;
    if (count > MAX_TASKS)
        die_usage(USAGE, "at most %d tasks", MAX_TASKS);
    for (int i = 0; i < count; i++)
        tasks[i].seconds =
            arg_double(argv[optind + i], 0, 10, "seconds", USAGE);
    if (count == 0) {
        count = 3;
        for (int i = 0; i < count; i++)
            tasks[i].seconds = lecture[i];
    }
    double sum = 0, longest = 0;
    for (int i = 0; i < count; i++) {
        tasks[i].number = i + 1;
        sum += tasks[i].seconds;
        if (tasks[i].seconds > longest)
            longest = tasks[i].seconds;
    }

    printf("main: pid %ld, %d tasks, mode %s\n", (long)getpid(), count, mode);
    if (fflush(stdout) == EOF) /* before any fork: see hello.c */
        die("fflush");
    double start = timing_now();
    if (strcmp(mode, "serial") == 0)
        run_serial(tasks, count);
    else if (strcmp(mode, "processes") == 0)
        run_processes(tasks, count);
    else
        run_threads(tasks, count);
    double total = timing_now() - start;
    printf("main: total %.3f s (longest task %.3f s, sum %.3f s)\n", total,
           longest, sum);
    return EXIT_SUCCESS;
}
