/*
 * tpool.c - the provided thread pool (see tpool.h).
 *
 * One mutex guards the queue and the closing flag; one condition variable,
 * work, says "a task was queued, or the pool is closing". A thread takes
 * the oldest task under the lock and runs it without the lock, so that the
 * others can take theirs meanwhile. At shutdown the threads empty the queue
 * before they leave: a task once accepted is always run.
 *
 * The mutex and condition calls cannot fail on a valid default mutex held
 * correctly; their results are still checked, and a failure ends the
 * program: a worker thread has no one to report it to.
 */
#include "tpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "errors.h"

struct tpool_task {
    tpool_fn *fn;
    void *arg;
    struct tpool_task *next;
};

struct tpool {
    pthread_mutex_t lock;
    pthread_cond_t work;
    struct tpool_task *head, *tail; /* the queue, oldest first */
    bool closing;
    int started; /* threads created (to join) */
    pthread_t threads[TPOOL_MAX_THREADS];
};

static void pool_lock(struct tpool *pool)
{
    int err = pthread_mutex_lock(&pool->lock);
    if (err != 0)
        die_errnum(err, "pthread_mutex_lock");
}

static void pool_unlock(struct tpool *pool)
{
    int err = pthread_mutex_unlock(&pool->lock);
    if (err != 0)
        die_errnum(err, "pthread_mutex_unlock");
}

static void *pool_thread(void *arg)
{
    struct tpool *pool = arg;
    pool_lock(pool);
    for (;;) {
        /* A wake-up only means "look again": re-check in a loop. */
        while (pool->head == NULL && !pool->closing) {
            int err = pthread_cond_wait(&pool->work, &pool->lock);
            if (err != 0)
                die_errnum(err, "pthread_cond_wait");
        }
        struct tpool_task *task = pool->head;
        if (task == NULL)
            break; /* closing, and nothing left to run */
        pool->head = task->next;
        if (pool->head == NULL)
            pool->tail = NULL;
        pool_unlock(pool);
        task->fn(task->arg);
        free(task);
        pool_lock(pool);
    }
    pool_unlock(pool);
    return NULL;
}

/* Close the queue, wake every thread, join those started, free it all.
 * Returns 0 or the first error number. */
static int close_and_join(struct tpool *pool)
{
    int err, first = 0;
    pool_lock(pool);
    pool->closing = true;
    if ((err = pthread_cond_broadcast(&pool->work)) != 0)
        die_errnum(err, "pthread_cond_broadcast");
    pool_unlock(pool);
    for (int k = 0; k < pool->started; k++)
        if ((err = pthread_join(pool->threads[k], NULL)) != 0 && first == 0)
            first = err;
    for (struct tpool_task *t = pool->head, *next; t != NULL; t = next) {
        next = t->next; /* (only if no thread was started at all) */
        free(t);
    }
    if ((err = pthread_cond_destroy(&pool->work)) != 0 && first == 0)
        first = err;
    if ((err = pthread_mutex_destroy(&pool->lock)) != 0 && first == 0)
        first = err;
    free(pool);
    return first;
}

struct tpool *tpool_create(int nthreads)
{
    if (nthreads < 1 || nthreads > TPOOL_MAX_THREADS) {
        errno = EINVAL;
        return NULL;
    }
    struct tpool *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return NULL;
    int err = pthread_mutex_init(&pool->lock, NULL);
    if (err == 0 && (err = pthread_cond_init(&pool->work, NULL)) != 0)
        (void)pthread_mutex_destroy(&pool->lock);
    if (err != 0) {
        free(pool);
        errno = err;
        return NULL;
    }
    for (int k = 0; k < nthreads; k++) {
        err = pthread_create(&pool->threads[k], NULL, pool_thread, pool);
        if (err != 0) {
            (void)close_and_join(pool); /* the k threads already started */
            errno = err;
            return NULL;
        }
        pool->started = k + 1;
    }
    return pool;
}

int tpool_submit(struct tpool *pool, tpool_fn *fn, void *arg)
{
    struct tpool_task *task = malloc(sizeof *task);
    if (task == NULL)
        return -1;
    *task = (struct tpool_task){.fn = fn, .arg = arg};
    pool_lock(pool);
    if (pool->closing) {
        pool_unlock(pool);
        free(task);
        errno = EINVAL;
        return -1;
    }
    if (pool->tail != NULL)
        pool->tail->next = task;
    else
        pool->head = task;
    pool->tail = task;
    /* One task, one thread needed: a signal wakes one waiting thread. */
    int err = pthread_cond_signal(&pool->work);
    if (err != 0)
        die_errnum(err, "pthread_cond_signal");
    pool_unlock(pool);
    return 0;
}

int tpool_shutdown(struct tpool *pool)
{
    int err = close_and_join(pool);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}
