/*
 * timing.h - wall-clock time for measurements.
 *
 * CLOCK_MONOTONIC, never the time of day: the time of day can jump (NTP,
 * a changed clock) and a measurement across a jump is meaningless.
 *
 *     double t0 = timing_now();
 *     work();
 *     printf("took %.3f s\n", timing_now() - t0);
 */
#ifndef KIT_TIMING_H
#define KIT_TIMING_H

/* Seconds on the monotonic clock since an arbitrary fixed point.
 * Only differences mean anything. Ends the process with _exit (safe in a
 * forked child) if the clock cannot be read (it always can on Linux). */
double timing_now(void);

/* Sleep for the given number of seconds (>= 0), resuming after signals,
 * so the whole interval passes. */
void timing_sleep(double seconds);

#endif
