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
 *          Main waits on the same condition variable until every waiter
 *          is waiting (a second condition: one Condition, two
 *          predicates), which is why a waiter must re-check its own.
 *
 * Usage:   event [-t waiters] [-d delay] [-l late]
 *          -t waiters  threads waiting from the start, 1..32 (default 3)
 *          -d delay    seconds main waits, once they all wait, before it
 *                      sets the event, 0..5 (default 0.3)
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
    pthread_mutex_t mutex;  /* guards set and waiting */
    pthread_cond_t changed; /* broadcast when set or waiting changes */
    bool set;
    int waiting; /* threads that have called event_wait so far */
};

static void event_init(struct event *e)
{
    int err;
    if ((err = pthread_mutex_init(&e->mutex, NULL)) != 0)
        die_errnum(err, "pthread_mutex_init");
    if ((err = pthread_cond_init(&e->changed, NULL)) != 0)
        die_errnum(err, "pthread_cond_init");
    e->set = false;
    e->waiting = 0;
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
    int err = pthread_mutex_lock(&e->mutex);
    if (err != 0)
        die_errnum(err, "pthread_mutex_lock");
    /* Count ourselves in, and wake whoever waits for the count (main, in
     * event_await_waiters). One condition variable serves both
     * conditions, as one Python Condition may: so this broadcast also
     * wakes every waiter already asleep below - with the flag still down. */
    e->waiting++;
    if ((err = pthread_cond_broadcast(&e->changed)) != 0)
        die_errnum(err, "pthread_cond_broadcast");
    /* TODO(06.11): WHILE the flag is not set,
     * pthread_cond_wait(&e->changed, &e->mutex), checked. A while, not an
     * if: a waiter is woken by every newcomer's broadcast above (and a
     * wait may even return for no reason at all, a spurious wake-up), so
     * being woken does not mean the flag is up - the flag is the only
     * truth. Sleep in the wait; never loop around the lock (that spins,
     * burning a core while nothing happens). */
    if ((err = pthread_mutex_unlock(&e->mutex)) != 0)
        die_errnum(err, "pthread_mutex_unlock");
}

/* Return once at least count threads have called event_wait. */
static void event_await_waiters(struct event *e, int count)
{
    int err = pthread_mutex_lock(&e->mutex);
    if (err != 0)
        die_errnum(err, "pthread_mutex_lock");
    while (e->waiting < count)
        if ((err = pthread_cond_wait(&e->changed, &e->mutex)) != 0)
            die_errnum(err, "pthread_cond_wait");
    if ((err = pthread_mutex_unlock(&e->mutex)) != 0)
        die_errnum(err, "pthread_mutex_unlock");
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

/* Main's part: once every early waiter waits, wait delay seconds more,
 * then set the event for everyone. */
static void set_after(int waiters, double delay)
{
    event_await_waiters(&go, waiters);
    printf("main: all %d waiter(s) are waiting at %.3f s\n", waiters,
           timing_now() - start);
    timing_sleep(delay);
    printf("main: setting the event at %.3f s\n", timing_now() - start);
    if (fflush(stdout) == EOF)
        die("fflush");
    event_set(&go);
}

/* What the command line asks for. */
struct options {
    int waiters, late;
    double delay;
};

static struct options parse_options(int argc, char *argv[])
{
    struct options o = {.waiters = 3, .late = 1, .delay = 0.3};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "ht:d:l:")) != -1) {
        switch (opt) {
        case 'h':
            args_help(USAGE);
        case 't':
            o.waiters = (int)arg_long(optarg, 1, MAX_WAITERS, "waiters", USAGE);
            break;
        case 'd':
            o.delay = arg_double(optarg, 0, 5, "delay", USAGE);
            break;
        case 'l':
            o.late = (int)arg_long(optarg, 0, MAX_WAITERS, "late", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    if (o.waiters + o.late > MAX_WAITERS)
        die_usage(USAGE, "at most %d waiters in all", MAX_WAITERS);
    return o;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o = parse_options(argc, argv);
    event_init(&go);
    start = timing_now();
    printf("event: %d waiter(s) wait; main sets the event %.2f s after they "
           "all wait\n",
           o.waiters, o.delay);
    if (fflush(stdout) == EOF)
        die("fflush");
    pthread_t ids[MAX_WAITERS];
    struct waiter ws[MAX_WAITERS];
    int all = o.waiters + o.late, started = 0;
    for (int i = 0; i < all; i++, started++) {
        if (i == o.waiters) /* the late ones start after the set */
            set_after(o.waiters, o.delay);
        ws[i] = (struct waiter){.number = i + 1, .late = i >= o.waiters};
        int err = pthread_create(&ids[i], NULL, waiter_main, &ws[i]);
        if (err != 0)
            die_errnum(err, "pthread_create");
    }
    if (o.late == 0)
        set_after(o.waiters, o.delay);
    for (int i = 0; i < started; i++) {
        int err = pthread_join(ids[i], NULL);
        if (err != 0)
            die_errnum(err, "pthread_join");
    }
    event_destroy(&go);
    printf("event: all %d waiter(s) went on\n", all);
    return EXIT_SUCCESS;
}
