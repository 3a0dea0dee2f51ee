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
 */
#include "tpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "timing.h"

struct tpool_job {
    pool_fn *fn;
    size_t nargs, ntasks;
    int64_t *args;
    struct pool_result *results;
    enum pool_schedule schedule;
    size_t next;           /* dynamic: first task not handed out */
    size_t *next_in_block; /* static: per worker */
    size_t finished;
    struct tpool_job *newer;
};

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
    int running; /* threads still in their loop */
    struct tpool_job *oldest, *newest;
};

/* Under pool->lock: the next task for worker k, as in pool.c. */
static bool next_task(struct tpool *pool, int k, struct tpool_job **jobp,
                      size_t *index)
{
    for (struct tpool_job *job = pool->oldest; job != NULL; job = job->newer) {
        if (job->schedule == POOL_STATIC) {
            size_t block = (job->ntasks + (size_t)pool->nthreads - 1) /
                           (size_t)pool->nthreads;
            size_t end = ((size_t)k + 1) * block;
            if (end > job->ntasks)
                end = job->ntasks;
            if (job->next_in_block[k] < end) {
                *jobp = job;
                *index = job->next_in_block[k]++;
                return true;
            }
        } else if (job->next < job->ntasks) {
            *jobp = job;
            *index = job->next++;
            return true;
        }
    }
    return false;
}

static void *worker_thread(void *arg)
{
    struct tpool_worker *me = arg;
    struct tpool *pool = me->pool;
    /* pthread_mutex_lock/unlock and pthread_cond_wait/broadcast cannot fail
     * on a valid, default mutex held correctly, as here; their results are
     * still checked, and a failure ends the program: a worker thread has
     * no one to report it to. */
    int err;
    if ((err = pthread_mutex_lock(&pool->lock)) != 0)
        die_errnum(err, "pthread_mutex_lock");
    for (;;) {
        struct tpool_job *job = NULL;
        size_t i = 0;
        /* TODO(07.7): Wait for work: while the pool is not closing and
         * next_task(pool, me->k, &job, &i) finds nothing, wait on
         * pool->work with pthread_cond_wait (die_errnum if it fails). Then, if
         * no task was found (the pool is closing), leave the loop.
         * Hint: pthread_cond_wait releases the lock while it sleeps and
         * takes it back before returning; check the condition again after
         * every wake-up. */
        (void)next_task;
        if (job == NULL)
            break;
        /* Run the task without the lock, so the others can take theirs. */
        if ((err = pthread_mutex_unlock(&pool->lock)) != 0)
            die_errnum(err, "pthread_mutex_unlock");
        double t0 = timing_now();
        int64_t value = job->fn(&job->args[i * job->nargs], job->nargs);
        double seconds = timing_now() - t0;
        if ((err = pthread_mutex_lock(&pool->lock)) != 0)
            die_errnum(err, "pthread_mutex_lock");
        job->results[i] = (struct pool_result){.status = POOL_DONE,
                                               .value = value,
                                               .worker = me->k,
                                               .seconds = seconds};
        if (++job->finished == job->ntasks &&
            (err = pthread_cond_broadcast(&pool->done)) != 0)
            die_errnum(err, "pthread_cond_broadcast");
    }
    /* Leaving: a waiter must not wait for tasks nobody will run. */
    pool->running--;
    if ((err = pthread_cond_broadcast(&pool->done)) != 0)
        die_errnum(err, "pthread_cond_broadcast");
    if ((err = pthread_mutex_unlock(&pool->lock)) != 0)
        die_errnum(err, "pthread_mutex_unlock");
    return NULL;
}

struct tpool *tpool_create(int nthreads)
{
    if (nthreads < 1 || nthreads > POOL_MAX_WORKERS) {
        errno = EINVAL;
        return NULL;
    }
    struct tpool *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return NULL;
    pool->schedule = POOL_DYNAMIC;
    pool->nthreads = nthreads;
    int err;
    if ((err = pthread_mutex_init(&pool->lock, NULL)) != 0 ||
        (err = pthread_cond_init(&pool->work, NULL)) != 0 ||
        (err = pthread_cond_init(&pool->done, NULL)) != 0) {
        free(pool); /* (a real program would destroy what was made) */
        errno = err;
        return NULL;
    }
    for (int k = 0; k < nthreads; k++) {
        pool->who[k] = (struct tpool_worker){.pool = pool, .k = k};
        if ((err = pthread_mutex_lock(&pool->lock)) != 0)
            die_errnum(err, "pthread_mutex_lock");
        pool->running++;
        if ((err = pthread_mutex_unlock(&pool->lock)) != 0)
            die_errnum(err, "pthread_mutex_unlock");
        int failed = pthread_create(&pool->threads[k], NULL, worker_thread,
                                    &pool->who[k]);
        if (failed != 0) {
            if ((err = pthread_mutex_lock(&pool->lock)) != 0)
                die_errnum(err, "pthread_mutex_lock");
            pool->running--; /* (no thread of ours got to it) */
            if ((err = pthread_mutex_unlock(&pool->lock)) != 0)
                die_errnum(err, "pthread_mutex_unlock");
            (void)tpool_destroy(pool); /* joins the k already started */
            errno = failed;
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

static void free_job(struct tpool_job *job)
{
    free(job->args);
    free(job->results);
    free(job->next_in_block);
    free(job);
}

struct tpool_job *tpool_submit(struct tpool *pool, pool_fn *fn,
                               const int64_t args[], size_t nargs,
                               size_t ntasks)
{
    if (nargs < 1 || nargs > POOL_MAX_ARGS) {
        errno = EINVAL;
        return NULL;
    }
    struct tpool_job *job = calloc(1, sizeof *job);
    if (job == NULL)
        return NULL;
    job->fn = fn;
    job->nargs = nargs;
    job->ntasks = ntasks;
    job->schedule = pool->schedule;
    job->args = malloc((ntasks > 0 ? ntasks : 1) * nargs * sizeof *args);
    job->results = calloc(ntasks > 0 ? ntasks : 1, sizeof *job->results);
    job->next_in_block = calloc((size_t)pool->nthreads, sizeof(size_t));
    if (job->args == NULL || job->results == NULL ||
        job->next_in_block == NULL) {
        free_job(job);
        errno = ENOMEM;
        return NULL;
    }
    if (ntasks > 0)
        memcpy(job->args, args, ntasks * nargs * sizeof *args);
    size_t block =
        (ntasks + (size_t)pool->nthreads - 1) / (size_t)pool->nthreads;
    for (int k = 0; k < pool->nthreads; k++)
        job->next_in_block[k] = (size_t)k * block;
    int err;
    if ((err = pthread_mutex_lock(&pool->lock)) != 0) {
        free_job(job);
        errno = err;
        return NULL;
    }
    if (pool->newest != NULL)
        pool->newest->newer = job;
    else
        pool->oldest = job;
    pool->newest = job;
    /* Every waiting worker may have a task now (static: each its own). */
    if ((err = pthread_cond_broadcast(&pool->work)) != 0)
        die_errnum(err, "pthread_cond_broadcast");
    if ((err = pthread_mutex_unlock(&pool->lock)) != 0)
        die_errnum(err, "pthread_mutex_unlock");
    return job;
}

int tpool_wait(struct tpool *pool, struct tpool_job *job,
               struct pool_result results[])
{
    int err;
    if ((err = pthread_mutex_lock(&pool->lock)) != 0) {
        errno = err;
        return -1;
    }
    while (job->finished < job->ntasks && pool->running > 0)
        if ((err = pthread_cond_wait(&pool->done, &pool->lock)) != 0)
            die_errnum(err, "pthread_cond_wait");
    if (job->finished < job->ntasks) {
        if ((err = pthread_mutex_unlock(&pool->lock)) != 0)
            die_errnum(err, "pthread_mutex_unlock");
        errno = EDEADLK; /* tasks left and no thread to run them */
        return -1;
    }
    /* Unlink the job: no worker touches it any more (all its tasks are
     * finished, and the lock is ours). */
    struct tpool_job **p = &pool->oldest, *prev = NULL;
    while (*p != job) {
        prev = *p;
        p = &(*p)->newer;
    }
    *p = job->newer;
    if (pool->newest == job)
        pool->newest = prev;
    if ((err = pthread_mutex_unlock(&pool->lock)) != 0) {
        errno = err;
        return -1;
    }
    if (job->ntasks > 0)
        memcpy(results, job->results, job->ntasks * sizeof *results);
    free_job(job);
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
    struct tpool_job *job = tpool_submit(pool, fn, args, nargs, n);
    if (job == NULL)
        return -1;
    return tpool_wait(pool, job, results);
}

int tpool_destroy(struct tpool *pool)
{
    int err, first = 0;
    /* TODO(07.8): Shut the threads down: under the lock, set
     * pool->closing and wake every waiting worker with
     * pthread_cond_broadcast(&pool->work); unlock; then pthread_join each
     * of the pool->started threads. Keep the first error number in first.
     * Hint: a broadcast, not a signal - every worker must wake up to see
     * that the pool is closing; a thread never joined is never released. */
    (void)err;
    while (pool->oldest != NULL) {
        struct tpool_job *job = pool->oldest;
        pool->oldest = job->newer;
        free_job(job);
    }
    if ((err = pthread_mutex_destroy(&pool->lock)) != 0 && first == 0)
        first = err;
    if ((err = pthread_cond_destroy(&pool->work)) != 0 && first == 0)
        first = err;
    if ((err = pthread_cond_destroy(&pool->done)) != 0 && first == 0)
        first = err;
    free(pool);
    if (first != 0) {
        errno = first;
        return -1;
    }
    return 0;
}
