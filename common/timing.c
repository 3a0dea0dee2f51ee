/*
 * timing.c - see timing.h.
 */
#include "timing.h"

#include <errno.h>
#include <time.h>

#include "errors.h"

double timing_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
        die("clock_gettime");
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void timing_sleep(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec req;
    req.tv_sec = (time_t)seconds;
    req.tv_nsec = (long)((seconds - (double)req.tv_sec) * 1e9);
    /* nanosleep writes the time still left into req when a signal
     * interrupts it, so looping on EINTR sleeps the full interval. */
    while (nanosleep(&req, &req) == -1) {
        if (errno != EINTR)
            die("nanosleep");
    }
}
