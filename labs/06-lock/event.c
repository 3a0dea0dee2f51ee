/*
 * event.c - waiters that sleep until someone says "go": Python's Event,
 * built from a condition variable and a flag.
 *
 * Python:  ready = threading.Event(); workers call ready.wait(); main
 *          calls ready.set() and every waiter goes on. (Event is itself
 *          made from a Condition and a boolean.)
 * C:       struct event { a mutex, a condition variable, bool set }.
 *          The flag is the event; the condition variable only lets waiters
 *          sleep until the flag may have changed. A waiter checks the flag
 *          under the mutex and sleeps in pthread_cond_wait, which releases
 *          the mutex while it sleeps and takes it back before returning.
 *          Without the flag, a waiter that arrives after the broadcast
 *          would sleep for ever: a condition variable remembers nothing.
 *
 * Usage:   event [-t waiters] [-d delay] [-l late]
 *          -t waiters  threads waiting from the start, 1..32 (default 3)
 *          -d delay    seconds before main sets the event, 0..5 (default 0.3)
 *          -l late     threads that start waiting only after it is set,
 *                      0..32 (default 1)
 *
 * Observe: no waiter goes on before main sets the event, all go on after
 *          it, and a late waiter does not wait at all.
 * Try:     event -t 10 -d 1
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "timing.h"

#define USAGE "[-t waiters] [-d delay] [-l late]"
#define MAX_WAITERS 32

struct event {
    pthread_mutex_t mutex; /* guards set */
    pthread_cond_t changed;
    bool set;
};

static void event_init(struct event *e)
{
    int err;
    if ((err = pthread_mutex_init(&e->mutex, NULL)) != 0)
        die_errnum(err, "pthread_mutex_init");
    if ((err = pthread_cond_init(&e->changed, NULL)) != 0)
        die_errnum(err, "pthread_cond_init");
    e->set = false;
}

/* Python's event.set(): raise the flag, wake every waiter. */
static void event_set(struct event *e)
{
    /* TODO(06.10): Under e->mutex, set e->set = true and wake ALL the
     * threads sleeping on e->changed (pthread_cond_broadcast; signal would
     * wake only one). Check each call (die_errnum). */
    (void)e;
}

/* Python's event.wait(): return once the flag is up (at once if it is). */
static void event_wait(struct event *e)
{
    /* TODO(06.11): Lock e->mutex; WHILE the flag is not set,
     * pthread_cond_wait(&e->changed, &e->mutex); then unlock. A while,
     * not an if: a wait may return without a broadcast (a spurious
     * wake-up), and the flag is the only truth. */
    (void)e;
}

static void event_destroy(struct event *e)
{
    int err;
    if ((err = pthread_cond_destroy(&e->changed)) != 0)
        die_errnum(err, "pthread_cond_destroy");
    if ((err = pthread_mutex_destroy(&e->mutex)) != 0)
        die_errnum(err, "pthread_mutex_destroy");
}

static struct event go;
static double start;

struct waiter {
    int number;
    bool late;
};

static void *waiter_main(void *arg)
{
    const struct waiter *w = arg;
    event_wait(&go);
    printf("%s %d: went on at %.3f s\n", w->late ? "late waiter" : "waiter",
           w->number, timing_now() - start);
    return NULL;
}

/* Main's part: wait, then set the event for everyone. */
static void set_after(double delay)
{
    timing_sleep(delay);
    printf("main: setting the event at %.3f s\n", timing_now() - start);
    if (fflush(stdout) == EOF)
        die("fflush");
    event_set(&go);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    int waiters = 3, late = 1;
    double delay = 0.3;
    int opt;
    while ((opt = getopt(argc, argv, "t:d:l:")) != -1) {
        switch (opt) {
        case 't':
            waiters = (int)arg_long(optarg, 1, MAX_WAITERS, "waiters", USAGE);
            break;
        case 'd':
            delay = arg_double(optarg, 0, 5, "delay", USAGE);
            break;
        case 'l':
            late = (int)arg_long(optarg, 0, MAX_WAITERS, "late", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    if (waiters + late > MAX_WAITERS)
        die_usage(USAGE, "at most %d waiters in all", MAX_WAITERS);

    event_init(&go);
    start = timing_now();
    printf("event: %d waiter(s) wait; main sets the event after %.2f s\n",
           waiters, delay);
    if (fflush(stdout) == EOF)
        die("fflush");
    pthread_t ids[MAX_WAITERS];
    struct waiter ws[MAX_WAITERS];
    int started = 0;
    while (started < waiters + late) {
        if (started == waiters) /* the late ones start after the set */
            set_after(delay);
        ws[started] =
            (struct waiter){.number = started + 1, .late = started >= waiters};
        int err =
            pthread_create(&ids[started], NULL, waiter_main, &ws[started]);
        if (err != 0)
            die_errnum(err, "pthread_create");
        started++;
    }
    if (late == 0)
        set_after(delay);
    for (int i = 0; i < started; i++) {
        int err = pthread_join(ids[i], NULL);
        if (err != 0)
            die_errnum(err, "pthread_join");
    }
    event_destroy(&go);
    printf("event: all %d waiter(s) went on\n", waiters + late);
    return EXIT_SUCCESS;
}
