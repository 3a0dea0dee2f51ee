/*
 * pool_types.h - what the process pool (pool.h) and the thread pool
 * (tpool.h) have in common: the task a pool runs, how tasks are handed
 * out, what comes back, and the handle on submitted tasks. A program
 * written against these types can swap one pool for the other.
 */
#ifndef POOL_TYPES_H
#define POOL_TYPES_H

#include <stddef.h>
#include <stdint.h>

#define POOL_MAX_ARGS 4     /* arguments per task (starmap's tuple) */
#define POOL_MAX_WORKERS 64 /* workers per pool */

/* What a task runs: args[0..nargs-1] in, one number out. */
typedef int64_t pool_fn(const int64_t args[], size_t nargs);

/* How a task ended. */
enum pool_status {
    POOL_PENDING = 0, /* not finished (yet) */
    POOL_DONE,        /* ran to the end: value holds what fn returned */
    POOL_CRASHED,     /* its worker died before it could answer */
};

/* How tasks are handed out. */
enum pool_schedule {
    POOL_DYNAMIC, /* the next task goes to whichever worker is free first */
    POOL_STATIC,  /* worker k gets the k-th contiguous block of the tasks,
                     decided in advance, whatever each task costs */
};

/* One task's outcome. */
struct pool_result {
    enum pool_status status;
    int64_t value;  /* fn's return value, when status is POOL_DONE */
    int signal;     /* POOL_CRASHED: the signal that ended the worker, or 0
                       if it exited (its exit status is not kept) */
    int worker;     /* which worker ran it: 0 .. nworkers - 1 */
    double seconds; /* POOL_DONE: how long fn ran, in its worker */
};

/* A handle on submitted tasks (Python's AsyncResult), from either pool:
 * pool_submit() or tpool_submit() makes one, the matching wait frees it. */
struct pool_job;

#endif
