/*
 * tpool.h - a fixed-size pool of worker threads around one task queue
 * (PROVIDED: finished code, no TODO here; futures.c builds on it).
 *
 * Python: concurrent.futures.ThreadPoolExecutor keeps such a pool inside;
 *         this is the part under the futures, without any result: a task is
 *         a function and a pointer, run once by whichever thread is free.
 *
 *     struct tpool *pool = tpool_create(4);
 *     tpool_submit(pool, work, arg);    (queued; a free thread runs it)
 *     tpool_shutdown(pool);             (runs what is queued, joins, frees)
 */
#ifndef TPOOL_H
#define TPOOL_H

#define TPOOL_MAX_THREADS 64

/* A task: run once, by one of the pool's threads, with the arg given. */
typedef void tpool_fn(void *arg);

struct tpool;

/* Start nthreads (1..TPOOL_MAX_THREADS) threads that wait for tasks.
 * NULL on failure with errno set (EINVAL, ENOMEM, EAGAIN), and then no
 * thread is left running. */
struct tpool *tpool_create(int nthreads);

/* Queue fn(arg); tasks start in the order they were queued. 0 on success;
 * -1 with errno ENOMEM, or EINVAL once tpool_shutdown has begun. */
int tpool_submit(struct tpool *pool, tpool_fn *fn, void *arg);

/* Accept no more tasks, let the threads run every task already queued,
 * wait for them all to end (pthread_join), free the pool. 0, or -1 with
 * errno set (the pool is freed all the same). Not from a pool thread. */
int tpool_shutdown(struct tpool *pool);

#endif
