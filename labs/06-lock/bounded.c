/*
 * bounded.c - a counting semaphore lets at most k workers in at once:
 * Python's Semaphore(k).
 *
 * Python:  slots = threading.Semaphore(2); each worker does `with slots:`
 *          around its work, so only two work at a time.
 * C:       a POSIX semaphore (sem_init) starting at k: sem_wait takes one
 *          unit or waits until there is one, sem_post gives it back. A
 *          mutex is the case k = 1; with k > 1 it bounds a resource (k
 *          connections, k cores, k buffers) instead of excluding.
 *
 * Usage:   bounded [-t workers] [-k limit] [-s seconds]
 *          -t workers  1..32 (default 6)
 *          -k limit    how many may be inside at once, 1..32 (default 2)
 *          -s seconds  how long each stays inside, 0..5 (default 0.2)
 *
 * Observe: never more than limit workers inside; the workers go through in
 *          waves, so the run takes about ceil(workers / limit) * seconds.
 * Try:     bounded -k 1 (a lock); bounded -k 6 (no limit at all)
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "timing.h"

#define USAGE "[-t workers] [-k limit] [-s seconds]"
#define MAX_WORKERS 32

static sem_t slots;            /* free places inside */
static atomic_int inside;      /* workers inside right now */
static atomic_int most_inside; /* the most ever seen inside at once */
static double seconds_inside = 0.2;

/* Record that we are in, and raise most_inside if we beat it. */
static int come_in(void)
{
    int now = atomic_fetch_add(&inside, 1) + 1;
    int most = atomic_load(&most_inside);
    while (now > most &&
           !atomic_compare_exchange_weak(&most_inside, &most, now))
        ; /* most was reloaded by the failed exchange: try again */
    return now;
}

static void *worker_main(void *arg)
{
    int number = *(const int *)arg;
    /* TODO(06.8): Take a slot before coming in: sem_wait(&slots), again
     * while it fails with EINTR; any other failure: die. */
    int now = come_in();
    printf("worker %d: in (%d inside)\n", number, now);
    timing_sleep(seconds_inside); /* the work that needs a slot */
    atomic_fetch_sub(&inside, 1);
    printf("worker %d: out\n", number);
    /* TODO(06.9): Give the slot back when leaving: sem_post(&slots),
     * checked. (A worker that forgets leaves the slot taken for ever: after
     * limit such workers, everyone else waits for good.) */
    return NULL;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    int workers = 6, limit = 2;
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "ht:k:s:")) != -1) {
        switch (opt) {
        case 'h':
            args_help(USAGE);
        case 't':
            workers = (int)arg_long(optarg, 1, MAX_WORKERS, "workers", USAGE);
            break;
        case 'k':
            limit = (int)arg_long(optarg, 1, MAX_WORKERS, "limit", USAGE);
            break;
        case 's':
            seconds_inside = arg_double(optarg, 0, 5, "seconds", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);

    /* TODO(06.7): Initialise slots with sem_init: shared by the threads of
     * this process only (second argument 0), starting at limit - the
     * number of free places. Check it (die). */
    printf("bounded: %d workers, at most %d inside at once, %.2f s each\n",
           workers, limit, seconds_inside);
    if (fflush(stdout) == EOF)
        die("fflush");

    double start = timing_now();
    pthread_t ids[MAX_WORKERS];
    int numbers[MAX_WORKERS];
    for (int i = 0; i < workers; i++) {
        numbers[i] = i + 1;
        int err = pthread_create(&ids[i], NULL, worker_main, &numbers[i]);
        if (err != 0)
            die_errnum(err, "pthread_create");
    }
    for (int i = 0; i < workers; i++) {
        int err = pthread_join(ids[i], NULL);
        if (err != 0)
            die_errnum(err, "pthread_join");
    }
    if (sem_destroy(&slots) == -1)
        die("sem_destroy");
    printf("bounded: at most %d inside at once (limit %d), %.2f s in all\n",
           atomic_load(&most_inside), limit, timing_now() - start);
    return EXIT_SUCCESS;
}
