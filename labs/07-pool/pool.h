/*
 * pool.h - a pool of worker processes, created once and reused: the C
 * face of Python's multiprocessing.Pool.
 *
 *     Python                               C
 *     pool = Pool(processes=4)             pool = pool_create(4)
 *     pool.map(f, xs)                      pool_map(pool, f, xs, n, results)
 *     pool.starmap(f, [(a, b), ...])       pool_starmap(pool, f, ab, 2, n, res)
 *     r = pool.apply_async(f, (x,))        job = pool_submit(pool, f, &x, 1, 1)
 *     r = pool.map_async(f, xs)            job = pool_submit(pool, f, xs, 1, n)
 *     r.get()                              pool_wait(pool, job, results)
 *     pool.close(); pool.join()            pool_destroy(pool)
 *
 * A task is a call fn(args, nargs) that returns an int64_t. Each worker has
 * a pipe the parent writes tasks into and a pipe it writes (index, result)
 * back through; the parent hands the next task to whichever worker answers
 * first, so uneven tasks keep every worker busy, and stores each result at
 * its task's index, so results come back in input order. A worker that dies
 * while running a task (a segmentation fault, say) is noticed as end-of-file
 * on its result pipe: the task is reported as POOL_CRASHED and a new worker
 * takes the dead one's place. A worker that dies while idle is noticed at
 * the latest when it is handed its next task: that task is reported as
 * POOL_CRASHED (with the signal that killed the worker) and a new worker
 * takes over; SIGPIPE never ends the program (pool_create ignores it).
 *
 * The function travels through the pipe as an address. That works only
 * because every worker is a fork() of this very program, with the same code
 * at the same addresses (Python sends the function's name instead).
 *
 * Functions that can fail return -1 (or NULL) and set errno.
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>
#include <stdint.h>

#include "pool_types.h" /* pool_fn, struct pool_result, struct pool_job... */

struct pool; /* the workers and the tasks waiting for them */

/* Start nworkers (1..POOL_MAX_WORKERS) worker processes. Flushes stdout
 * first, so that no worker inherits unwritten output, and sets SIGPIPE to
 * be ignored in this process (a write to a dead worker's pipe then fails
 * with EPIPE instead of killing the program). NULL on failure, with errno
 * set and no worker left running. */
struct pool *pool_create(int nworkers);

/* The number of workers. */
int pool_nworkers(const struct pool *pool);

/* How tasks submitted from now on are handed out (POOL_DYNAMIC unless set). */
void pool_set_schedule(struct pool *pool, enum pool_schedule schedule);

/* Submit ntasks calls of fn, task i with the nargs (1..POOL_MAX_ARGS)
 * arguments args[i * nargs .. i * nargs + nargs - 1] (copied: args may be
 * reused at once). Idle workers start on them before this returns; the rest
 * is handed out inside pool_wait(). Returns a handle to wait on, or NULL. */
struct pool_job *pool_submit(struct pool *pool, pool_fn *fn,
                             const int64_t args[], size_t nargs, size_t ntasks);

/* Wait until every task of job has ended; store task i's outcome in
 * results[i] (room for the job's ntasks) and free the job. Other jobs
 * progress meanwhile. Returns 0, or -1 on a failed system call. */
int pool_wait(struct pool *pool, struct pool_job *job,
              struct pool_result results[]);

/* map: results[i] for fn(&args[i], 1), i = 0 .. n-1, in input order. */
int pool_map(struct pool *pool, pool_fn *fn, const int64_t args[], size_t n,
             struct pool_result results[]);

/* starmap: results[i] for fn(&args[i * nargs], nargs), in input order. */
int pool_starmap(struct pool *pool, pool_fn *fn, const int64_t args[],
                 size_t nargs, size_t n, struct pool_result results[]);

/* Close the task pipes (end-of-file tells each worker to exit), reap every
 * worker, free everything. A task a worker already has (at most one per
 * worker) is finished first; tasks not yet handed out are dropped, never
 * run, and results not yet waited for are lost - as with tpool_destroy().
 * Returns 0, or -1 if a system call failed (everything is still released). */
int pool_destroy(struct pool *pool);

#endif
