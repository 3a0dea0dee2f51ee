/*
 * threads.c - the thread twin of hello.c: pthread_create, pthread_join.
 *
 * Python:  t = threading.Thread(target=task, args=(...)); t.start(); t.join()
 * C:       pthread_create() starts a thread running a function inside THIS
 *          process; pthread_join() waits for it, like waitpid for a child.
 *
 * Usage:   threads [-n count]
 *          -n count   how many threads to start, 1..64 (default 2)
 *
 * Observe: every thread reports the same pid - threads are not processes,
 *          they share one. They share memory too: each thread writes its
 *          result into main's array, and main reads it after the join
 *          without any pipe or queue. (A child process cannot do that: its
 *          writes go to its own copy of memory. Lab 05 shows it.)
 * Try:     threads -n 8; then run it several times: does the order of the
 *          "thread" lines change?
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

#define USAGE "[-n count]"
#define MAX_THREADS 64

/* What main hands to each thread, and where the thread leaves its result. */
struct task {
    pthread_t id; /* set by pthread_create */
    int number;   /* 1, 2, ... */
    long result;  /* written by the thread: number squared */
};

/* The thread's body: Python's target=. */
static void *run_task(void *arg)
{
    struct task *t = arg;
    printf("thread %d: pid %ld\n", t->number, (long)getpid());
    t->result = (long)t->number * t->number;
    return NULL;
}

static int parse_args(int argc, char *argv[])
{
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int count = 2, opt;
    while ((opt = getopt(argc, argv, "hn:")) != -1) {
        if (opt == 'n')
            count = (int)arg_long(optarg, 1, MAX_THREADS, "count", USAGE);
        else
            die_bad_option(USAGE);
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return count;
}

static void start_threads(struct task tasks[], int count)
{
    /* TODO(01.3): Start one thread per task: pthread_create(&tasks[i].id,
     * NULL, run_task, &tasks[i]). pthread calls return an error number
     * instead of setting errno: if ((err = pthread_create(...)) != 0)
     * die_errnum(err, "pthread_create"); Start them all before joining any,
     * so that they run at the same time. */
    (void)run_task;
    (void)tasks;
    (void)count;
}

static void join_threads(struct task tasks[], int count)
{
    /* TODO(01.4): Wait for every thread with pthread_join(tasks[i].id,
     * NULL), checking its result the same way. Only after the join is a
     * thread's result certainly written: reading it earlier is a data race
     * (make check runs this program under ThreadSanitizer, which sees it). */
    (void)tasks;
    (void)count;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    int count = parse_args(argc, argv);
    printf("main: pid %ld, starting %d threads\n", (long)getpid(), count);
    /* The tasks live on the heap, sized by -n; main frees them once every
     * thread is joined (make check runs this under AddressSanitizer, whose
     * leak checker sees a forgotten free). */
    struct task *tasks = calloc((size_t)count, sizeof *tasks);
    if (tasks == NULL)
        die("calloc");
    for (int i = 0; i < count; i++)
        tasks[i].number = i + 1;
    start_threads(tasks, count);
    join_threads(tasks, count);
    for (int i = 0; i < count; i++)
        printf("main: thread %d left result %ld\n", tasks[i].number,
               tasks[i].result);
    free(tasks);
    return EXIT_SUCCESS;
}
