/*
 * progress.c - the reporter thread (progress.h).
 *
 * It sleeps on a condition variable with a timeout instead of sleep(): the
 * main thread's progress_stop wakes it at once, so a quick scan does not
 * wait for the next tick to end.
 */
#include "progress.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "errors.h"
#include "timing.h"

#define BAR_WIDTH 24
#define MIB (1024.0 * 1024.0)

struct progress {
    enum progress_style style;
    uint64_t files_total, bytes_total;
    const atomic_ullong *files, *bytes;
    double start;
    pthread_t thread;
    pthread_mutex_t lock; /* guards stopping, interrupted */
    pthread_cond_t wake;
    bool stopping;
    int interrupted;
};

/* Draw once; last: the final state ("done" or "interrupted"). */
static void draw(const struct progress *p, bool last, int interrupted)
{
    uint64_t files = atomic_load_explicit(p->files, memory_order_relaxed);
    uint64_t bytes = atomic_load_explicit(p->bytes, memory_order_relaxed);
    double elapsed = timing_now() - p->start;
    double rate = elapsed > 0 ? (double)bytes / MIB / elapsed : 0;
    double left =
        rate > 0 ? ((double)p->bytes_total - (double)bytes) / MIB / rate : 0;
    char tail[64];
    if (last)
        (void)snprintf(tail, sizeof tail, "%s %.2f s",
                       interrupted ? "interrupted after" : "done in", elapsed);
    else
        (void)snprintf(tail, sizeof tail, "%.1f s left", left);
    if (p->style == PROGRESS_LINES) {
        (void)fprintf(stderr,
                      "progress: %llu/%llu files, %.1f/%.1f MiB, "
                      "%.1f MiB/s, %s\n",
                      (unsigned long long)files,
                      (unsigned long long)p->files_total, (double)bytes / MIB,
                      (double)p->bytes_total / MIB, rate, tail);
        return;
    }
    char bar[BAR_WIDTH + 1];
    int full =
        p->bytes_total == 0
            ? BAR_WIDTH
            : (int)((double)BAR_WIDTH * (double)bytes / (double)p->bytes_total);
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < full ? '#' : '-';
    bar[BAR_WIDTH] = '\0';
    /* \r back to the start of the line, \033[K clears what is left. */
    (void)fprintf(
        stderr, "\r[%s] %llu/%llu files  %.1f/%.1f MiB  %.1f MiB/s  %s\033[K%s",
        bar, (unsigned long long)files, (unsigned long long)p->files_total,
        (double)bytes / MIB, (double)p->bytes_total / MIB, rate, tail,
        last ? "\n" : "");
    (void)fflush(stderr);
}

/* A monotonic time (timing_now's clock) as a timespec, for
 * pthread_cond_timedwait on a condition variable set to that clock. */
static struct timespec deadline(double t)
{
    struct timespec ts = {.tv_sec = (time_t)t};
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    return ts;
}

static int cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t attr;
    int err = pthread_condattr_init(&attr);
    if (err == 0)
        err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (err == 0)
        err = pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
    return err;
}

static void *reporter(void *arg)
{
    struct progress *p = arg;
    double period = p->style == PROGRESS_BAR ? 0.2 : 1.0;
    double next = p->start + period;
    int err;
    if ((err = pthread_mutex_lock(&p->lock)) != 0)
        die_errnum(err, "pthread_mutex_lock");
    while (!p->stopping) {
        struct timespec until = deadline(next);
        err = pthread_cond_timedwait(&p->wake, &p->lock, &until);
        if (err == ETIMEDOUT && !p->stopping) {
            draw(p, false, 0);
            next += period;
        } else if (err != 0 && err != ETIMEDOUT) {
            die_errnum(err, "pthread_cond_timedwait");
        }
    }
    draw(p, true, p->interrupted);
    if ((err = pthread_mutex_unlock(&p->lock)) != 0)
        die_errnum(err, "pthread_mutex_unlock");
    return NULL;
}

struct progress *progress_start(enum progress_style style, uint64_t files_total,
                                uint64_t bytes_total,
                                const atomic_ullong *files,
                                const atomic_ullong *bytes)
{
    if (style == PROGRESS_NONE)
        return NULL;
    struct progress *p = malloc(sizeof *p);
    if (p == NULL)
        die("malloc");
    *p = (struct progress){.style = style,
                           .files_total = files_total,
                           .bytes_total = bytes_total,
                           .files = files,
                           .bytes = bytes,
                           .start = timing_now()};
    int err;
    if ((err = pthread_mutex_init(&p->lock, NULL)) != 0)
        die_errnum(err, "pthread_mutex_init");
    if ((err = cond_init_monotonic(&p->wake)) != 0)
        die_errnum(err, "pthread_cond_init");
    if ((err = pthread_create(&p->thread, NULL, reporter, p)) != 0)
        die_errnum(err, "pthread_create");
    return p;
}

void progress_stop(struct progress *p, int interrupted)
{
    if (p == NULL)
        return;
    int err;
    if ((err = pthread_mutex_lock(&p->lock)) != 0)
        die_errnum(err, "pthread_mutex_lock");
    p->stopping = true;
    p->interrupted = interrupted;
    if ((err = pthread_cond_signal(&p->wake)) != 0)
        die_errnum(err, "pthread_cond_signal");
    if ((err = pthread_mutex_unlock(&p->lock)) != 0)
        die_errnum(err, "pthread_mutex_unlock");
    if ((err = pthread_join(p->thread, NULL)) != 0)
        die_errnum(err, "pthread_join");
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
