/*
 * tpool.c - a pool of worker threads around one queue (see tpool.h).
 *
 * One mutex guards everything shared: the list of jobs, each job's
 * counters and its results. Two condition variables say what changed:
 *   work - a task was queued, or the pool is closing (workers wait on it);
 *   done - a task finished (tpool_wait waits on it).
 * Every wait is in a loop that re-checks its condition: a wake-up only
 * means "look again" (another thread may have taken the task first, and
 * spurious wake-ups are allowed).
 *
 * pthread_mutex_lock/unlock and pthread_cond_wait/broadcast cannot fail on
 * a valid, default mutex held correctly, as here; their results are still
 * checked, and a failure ends the program (lock() and friends below): a
 * worker thread has no one to report it to.
 */
#include "tpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "errors.h"
#include "jobs.h"
#include "timing.h"

/* What each thread is told at its start. */
struct tpool_worker {
    struct tpool *pool;
    int k;
};

struct tpool {
    int nthreads; /* asked for; static blocks are cut for this many */
    int started;  /* threads created (to join): only creator and destroy */
    enum pool_schedule schedule;
    pthread_t threads[POOL_MAX_WORKERS];
    struct tpool_worker who[POOL_MAX_WORKERS];
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    bool closing;
    int running;          /* threads still in their loop */
    struct job_list jobs; /* jobs not yet waited for, oldest first */
};

static void lock(struct tpool *pool)
{
    int err = pthread_mutex_lock(&pool->lock);
    if (err != 0)
        die_errnum(err, "pthread_mutex_lock");
}

static void unlock(struct tpool *pool)
{
    int err = pthread_mutex_unlock(&pool->lock);
    if (err != 0)
        die_errnum(err, "pthread_mutex_unlock");
}

static void wait_on(pthread_cond_t *cond, struct tpool *pool)
{
    int err = pthread_cond_wait(cond, &pool->lock);
    if (err != 0)
        die_errnum(err, "pthread_cond_wait");
}

static void wake_all(pthread_cond_t *cond)
{
    int err = pthread_cond_broadcast(cond);
    if (err != 0)
        die_errnum(err, "pthread_cond_broadcast");
}

/* Run task i of job without the lock (so the others can take theirs), then
 * file its result under the lock again. Called and returns with it held. */
static void run_task(struct tpool *pool, int k, struct pool_job *job, size_t i)
{
    unlock(pool);
    double t0 = timing_now();
    int64_t value = job->fn(&job->args[i * job->nargs], job->nargs);
    double seconds = timing_now() - t0;
    lock(pool);
    job->results[i] = (struct pool_result){
        .status = POOL_DONE, .value = value, .worker = k, .seconds = seconds};
    job->finished++;
    if (jobs_finished(job))
        wake_all(&pool->done);
}

static void *worker_thread(void *arg)
{
    struct tpool_worker *me = arg;
    struct tpool *pool = me->pool;
    lock(pool);
    for (;;) {
        struct pool_job *job = NULL;
        size_t i = 0;
        /* TODO(07.7): Wait for work: while the pool is not closing and
         * jobs_next_task(&pool->jobs, me->k, &job, &i) finds nothing, wait
         * on pool->work with wait_on(). Then, if the pool is closing, leave
         * the loop (a task not started yet is dropped, as tpool.h says).
         * Hint: pthread_cond_wait releases the lock while it sleeps and
         * takes it back before returning; check the condition again after
         * every wake-up. Look at closing BEFORE taking a task: a thread
         * that takes one first runs the whole queue at shutdown. */
        /* BEGIN SOLUTION */
        while (!pool->closing && !jobs_next_task(&pool->jobs, me->k, &job, &i))
            wait_on(&pool->work, pool);
        if (pool->closing)
            break;
        /* END SOLUTION */
        /* STARTER
        if (job == NULL)
            break;
        STARTER */
        run_task(pool, me->k, job, i);
    }
    /* Leaving: a waiter must not wait for tasks nobody will run. */
    pool->running--;
    wake_all(&pool->done);
    unlock(pool);
    return NULL;
}

/* Undo what tpool_create made before its threads: the mutex, the
 * condition variables, the pool. Returns the first error number, or 0. */
static int free_pool(struct tpool *pool)
{
    int err, first = 0;
    if ((err = pthread_mutex_destroy(&pool->lock)) != 0)
        first = err;
    if ((err = pthread_cond_destroy(&pool->work)) != 0 && first == 0)
        first = err;
    if ((err = pthread_cond_destroy(&pool->done)) != 0 && first == 0)
        first = err;
    jobs_free_all(&pool->jobs);
    free(pool);
    return first;
}

/* A pool with its lock and condition variables, no thread yet. */
static struct tpool *new_pool(int nthreads)
{
    struct tpool *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return NULL;
    pool->schedule = POOL_DYNAMIC;
    pool->nthreads = nthreads;
    pool->jobs.nworkers = nthreads;
    int err = pthread_mutex_init(&pool->lock, NULL);
    if (err == 0 && (err = pthread_cond_init(&pool->work, NULL)) != 0)
        (void)pthread_mutex_destroy(&pool->lock);
    if (err == 0 && (err = pthread_cond_init(&pool->done, NULL)) != 0) {
        (void)pthread_cond_destroy(&pool->work);
        (void)pthread_mutex_destroy(&pool->lock);
    }
    if (err != 0) {
        free(pool);
        errno = err;
        return NULL;
    }
    return pool;
}

struct tpool *tpool_create(int nthreads)
{
    if (nthreads < 1 || nthreads > POOL_MAX_WORKERS) {
        errno = EINVAL;
        return NULL;
    }
    struct tpool *pool = new_pool(nthreads);
    if (pool == NULL)
        return NULL;
    for (int k = 0; k < nthreads; k++) {
        pool->who[k] = (struct tpool_worker){.pool = pool, .k = k};
        lock(pool);
        pool->running++;
        unlock(pool);
        int err = pthread_create(&pool->threads[k], NULL, worker_thread,
                                 &pool->who[k]);
        if (err != 0) {
            lock(pool);
            pool->running--; /* (no thread of ours got to it) */
            unlock(pool);
            (void)tpool_destroy(pool); /* joins the k already started */
            errno = err;
            return NULL;
        }
        pool->started = k + 1;
    }
    return pool;
}

int tpool_nworkers(const struct tpool *pool)
{
    return pool->nthreads;
}

void tpool_set_schedule(struct tpool *pool, enum pool_schedule schedule)
{
    pool->schedule = schedule; /* (called by the thread that submits) */
}

struct pool_job *tpool_submit(struct tpool *pool, pool_fn *fn,
                              const int64_t args[], size_t nargs, size_t ntasks)
{
    lock(pool);
    struct pool_job *job =
        jobs_add(&pool->jobs, fn, args, nargs, ntasks, pool->schedule);
    /* Every waiting worker may have a task now (static: each its own). */
    if (job != NULL)
        wake_all(&pool->work);
    unlock(pool);
    return job;
}

int tpool_wait(struct tpool *pool, struct pool_job *job,
               struct pool_result results[])
{
    lock(pool);
    while (!jobs_finished(job) && pool->running > 0)
        wait_on(&pool->done, pool);
    if (!jobs_finished(job)) {
        unlock(pool);
        errno = EDEADLK; /* tasks left and no thread to run them */
        return -1;
    }
    /* No worker touches the job any more: all its tasks are finished. */
    jobs_collect(&pool->jobs, job, results);
    unlock(pool);
    return 0;
}

int tpool_map(struct tpool *pool, pool_fn *fn, const int64_t args[], size_t n,
              struct pool_result results[])
{
    return tpool_starmap(pool, fn, args, 1, n, results);
}

int tpool_starmap(struct tpool *pool, pool_fn *fn, const int64_t args[],
                  size_t nargs, size_t n, struct pool_result results[])
{
    struct pool_job *job = tpool_submit(pool, fn, args, nargs, n);
    if (job == NULL)
        return -1;
    return tpool_wait(pool, job, results);
}

int tpool_destroy(struct tpool *pool)
{
    int err, first = 0;
    /* TODO(07.8): Shut the threads down: under the lock, set
     * pool->closing and wake every waiting worker with
     * wake_all(&pool->work); unlock; then pthread_join each of the
     * pool->started threads. Keep the first error number in first.
     * Hint: a broadcast, not a signal - every worker must wake up to see
     * that the pool is closing; a thread never joined is never released. */
    /* BEGIN SOLUTION */
    lock(pool);
    pool->closing = true;
    wake_all(&pool->work);
    unlock(pool);
    for (int k = 0; k < pool->started; k++)
        if ((err = pthread_join(pool->threads[k], NULL)) != 0 && first == 0)
            first = err;
    /* END SOLUTION */
    /* STARTER
    (void)err;
    STARTER */
    if ((err = free_pool(pool)) != 0 && first == 0)
        first = err;
    if (first != 0) {
        errno = first;
        return -1;
    }
    return 0;
}
