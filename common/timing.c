/*
 * timing.c - see timing.h.
 */
#include "timing.h"

#include <errno.h>
#include <time.h>

#include "errors.h"

/* These helpers are called from forked children too (lab 01's sleeps, lab
 * 07's pool workers), so a failure here must end the process with _exit,
 * never exit: exit in a child would run the parent's atexit handlers and
 * flush a copy of its stdio buffers. Both failures are impossible on Linux
 * with these arguments; die_child is the safe way out in either process. */

double timing_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
        die_child("clock_gettime");
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
            die_child("nanosleep");
    }
}
