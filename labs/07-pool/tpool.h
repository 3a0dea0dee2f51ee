/*
 * tpool.h - the same pool over threads: pool.h's interface, with tpool_
 * in place of pool_, so that a program can swap one for the other and
 * compare (Python: multiprocessing.pool.ThreadPool).
 *
 * The workers are threads of this process: a task is a plain function
 * call, results are written straight into memory both sides share, and
 * there are no pipes and no copies. The price: a task that crashes takes
 * the whole process with it - there is no worker to replace, only a
 * program that has ended. (C has no GIL: these threads do run CPU-bound
 * tasks in parallel.)
 */
#ifndef TPOOL_H
#define TPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h" /* pool_fn, struct pool_result, enum pool_schedule */

struct tpool;
struct tpool_job;

/* Start nthreads (1..POOL_MAX_WORKERS) worker threads. NULL on failure,
 * errno set, no thread left running. */
struct tpool *tpool_create(int nthreads);

int tpool_nworkers(const struct tpool *pool);

void tpool_set_schedule(struct tpool *pool, enum pool_schedule schedule);

/* As pool_submit(): args are copied; the workers start at once. */
struct tpool_job *tpool_submit(struct tpool *pool, pool_fn *fn,
                               const int64_t args[], size_t nargs,
                               size_t ntasks);

/* As pool_wait(): results[i] for task i, then the job is freed. */
int tpool_wait(struct tpool *pool, struct tpool_job *job,
               struct pool_result results[]);

int tpool_map(struct tpool *pool, pool_fn *fn, const int64_t args[], size_t n,
              struct pool_result results[]);

int tpool_starmap(struct tpool *pool, pool_fn *fn, const int64_t args[],
                  size_t nargs, size_t n, struct pool_result results[]);

/* Tell the threads to stop, wake them, join them all, free everything.
 * A task already running is finished first; queued ones are dropped. */
int tpool_destroy(struct tpool *pool);

#endif
