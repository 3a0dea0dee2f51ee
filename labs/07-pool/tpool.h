/*
 * tpool.h - the same pool over threads: pool.h's interface, with tpool_
 * in place of pool_, so that a program can swap one for the other and
 * compare (Python: multiprocessing.pool.ThreadPool). The types both share
 * are in pool_types.h.
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

#include "pool_types.h" /* pool_fn, struct pool_result, struct pool_job... */

struct tpool;

/* Start nthreads (1..POOL_MAX_WORKERS) worker threads. NULL on failure,
 * errno set, no thread left running. */
struct tpool *tpool_create(int nthreads);

int tpool_nworkers(const struct tpool *pool);

void tpool_set_schedule(struct tpool *pool, enum pool_schedule schedule);

/* As pool_submit(): args are copied; the workers start at once. */
struct pool_job *tpool_submit(struct tpool *pool, pool_fn *fn,
                              const int64_t args[], size_t nargs,
                              size_t ntasks);

/* As pool_wait(): results[i] for task i, then the job is freed. */
int tpool_wait(struct tpool *pool, struct pool_job *job,
               struct pool_result results[]);

int tpool_map(struct tpool *pool, pool_fn *fn, const int64_t args[], size_t n,
              struct pool_result results[]);

int tpool_starmap(struct tpool *pool, pool_fn *fn, const int64_t args[],
                  size_t nargs, size_t n, struct pool_result results[]);

/* Tell the threads to stop, wake them, join them all, free everything. As
 * pool_destroy(): a task a thread already runs (at most one per thread) is
 * finished first; tasks not yet started are dropped, never run, and
 * results not yet waited for are lost. Returns 0, or -1 with errno set. */
int tpool_destroy(struct tpool *pool);

#endif
