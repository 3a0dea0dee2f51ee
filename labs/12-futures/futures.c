/*
 * futures.c - futures over the provided thread pool (see futures.h).
 *
 * The synchronisation, in one paragraph: every future's state, value,
 * error, callback and completion number are guarded by ONE mutex, its
 * executor's lock (a future's lock is ex->lock). One condition variable,
 * ex->changed, is broadcast each time a future becomes done (finished or
 * cancelled). Whoever waits - for one future (future_result) or for any
 * of several (futures_wait_any) - waits on that one condition, in a loop
 * that re-checks its own futures: a wake-up only says "some future is
 * done, look again". That is why it must be a broadcast: the one thread a
 * signal would wake may be waiting for another future entirely.
 *
 * The pool runs run_future(f) for every future submitted. The state
 * decides, under the lock, who wins the race between a thread starting f
 * and future_cancel(f): PENDING -> RUNNING (the thread) or PENDING ->
 * CANCELLED (the canceller), never both. The task itself, and callbacks,
 * run without the lock: a task may take seconds, and a callback may call
 * back into this module (future_result takes the lock: with the lock held
 * that call would deadlock).
 */
#include "futures.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "errors.h"
#include "tpool.h"

struct future {
    struct executor *ex; /* ex->lock guards the fields below `id` */
    future_fn *fn;
    void *arg;
    unsigned id;
    enum future_state state;
    int64_t value;       /* the task's value (FINISHED, error 0) */
    int error;           /* the task's error number, 0 if none */
    uint64_t done_seq;   /* 0 until done; then 1, 2, ... in done order */
    future_callback *cb; /* to run once when done; NULL once taken */
    void *cb_arg;
    struct future *next; /* the executor's list of all its futures */
};

struct executor {
    struct tpool *pool;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a future became done */
    bool closing;           /* executor_shutdown has begun */
    unsigned nsubmitted;
    uint64_t ndone;     /* futures done so far (numbers done_seq) */
    struct future *all; /* every future, newest first */
};

/* A callback taken out of its future, to be run after the unlock. */
struct done_call {
    future_callback *cb;
    void *arg;
};

static void ex_lock(struct executor *ex)
{
    int err = pthread_mutex_lock(&ex->lock);
    if (err != 0)
        die_errnum(err, "pthread_mutex_lock");
}

static void ex_unlock(struct executor *ex)
{
    int err = pthread_mutex_unlock(&ex->lock);
    if (err != 0)
        die_errnum(err, "pthread_mutex_unlock");
}

static void ex_wait(struct executor *ex)
{
    int err = pthread_cond_wait(&ex->changed, &ex->lock);
    if (err != 0)
        die_errnum(err, "pthread_cond_wait");
}

static void ex_wake_all(struct executor *ex)
{
    int err = pthread_cond_broadcast(&ex->changed);
    if (err != 0)
        die_errnum(err, "pthread_cond_broadcast");
}

/* Done: finished or cancelled. Call with the lock held. */
static bool is_done(const struct future *f)
{
    return f->state == FUTURE_FINISHED || f->state == FUTURE_CANCELLED;
}

/* f has just become done (its state is FINISHED or CANCELLED): number it,
 * wake every waiter, and take its callback out, for the caller to run once
 * it has unlocked. Call with the lock held. */
static struct done_call mark_done(struct executor *ex, struct future *f)
{
    struct done_call call = {NULL, NULL};
    /* TODO(12.2): Give f the next completion number (f->done_seq =
     * ++ex->ndone: as_completed returns futures in that order), wake
     * EVERY thread waiting on ex->changed (ex_wake_all), and move f's
     * callback (f->cb, f->cb_arg) into call, setting f->cb to NULL.
     * Hint: waiters for other futures wait on the same condition: a
     * signal could wake one of them instead of f's waiter. Clearing f->cb
     * under the lock is what makes the callback run once, whoever gets
     * here or to future_add_done_callback first. */
    (void)ex;
    (void)f;
    (void)ex_wake_all;
    return call;
}

static void run_done_call(struct future *f, struct done_call call)
{
    if (call.cb != NULL)
        call.cb(f, call.arg);
}

/* What the pool runs for each future submitted. */
static void run_future(void *arg)
{
    struct future *f = arg;
    struct executor *ex = f->ex;
    ex_lock(ex);
    /* TODO(12.1): A future cancelled while it waited in the queue must not
     * run: if f->state is FUTURE_CANCELLED, unlock and return. Otherwise
     * this thread takes it: PENDING -> RUNNING (from now on future_cancel
     * must fail). Hint: look and change under the lock, in one go: a
     * canceller looking at the same moment must see either PENDING (and
     * win) or RUNNING (and lose), never both sides winning. */
    ex_unlock(ex);
    int64_t value = 0;
    int error = f->fn(f->arg, &value); /* the task, without the lock */
    ex_lock(ex);
    struct done_call call = {NULL, NULL};
    /* TODO(12.3): Publish the result: f->value, f->error, then the state
     * FUTURE_FINISHED, and call = mark_done(ex, f) (TODO 12.2). The
     * callback runs below, once the lock is released. */
    (void)value;
    (void)error;
    (void)mark_done;
    ex_unlock(ex);
    run_done_call(f, call);
}

int future_result(struct future *f, int64_t *value)
{
    struct executor *ex = f->ex;
    int err = 0;
    ex_lock(ex);
    /* TODO(12.4): Wait until f is done (is_done), with ex_wait, which
     * sleeps on ex->changed. Then err = ECANCELED if f was cancelled,
     * else err = f->error, and if that is 0 and value is not NULL, store
     * f->value in *value. Hint: a WHILE loop, not an if: ex->changed is
     * broadcast when ANY future is done, and f may still be running when
     * this thread wakes up. Never look at f->state without the lock. */
    (void)value;
    (void)ex_wait;
    err = ENOSYS;
    ex_unlock(ex);
    return err;
}

bool future_cancel(struct future *f)
{
    struct executor *ex = f->ex;
    bool cancelled = false;
    struct done_call call = {NULL, NULL};
    ex_lock(ex);
    /* TODO(12.5): Only a PENDING future can be cancelled: then set
     * FUTURE_CANCELLED, call = mark_done(ex, f), cancelled = true. A
     * future already CANCELLED stays so (cancelled = true again, Python's
     * answer); a RUNNING or FINISHED one cannot be (false). Hint: a
     * thread may be about to start f (TODO 12.1): only the lock decides
     * who wins. */
    ex_unlock(ex);
    run_done_call(f, call);
    return cancelled;
}

bool future_done(struct future *f)
{
    ex_lock(f->ex);
    bool done = is_done(f);
    ex_unlock(f->ex);
    return done;
}

enum future_state future_state(struct future *f)
{
    ex_lock(f->ex);
    enum future_state state = f->state;
    ex_unlock(f->ex);
    return state;
}

unsigned future_id(const struct future *f)
{
    return f->id; /* set before the future was published, never changed */
}

int future_add_done_callback(struct future *f, future_callback *cb, void *arg)
{
    struct executor *ex = f->ex;
    int err = 0;
    bool run_now = false;
    ex_lock(ex);
    /* TODO(12.6): If f is done already, run_now = true (cb is called
     * below, after the unlock). Else, if f has a callback already (f->cb),
     * err = EBUSY; else store cb and arg in f, for mark_done to hand to the
     * thread that finishes or cancels f. Hint: the test and the store are
     * one step under the lock; split them, and f may finish in between -
     * its callback then runs twice, or never. */
    (void)cb;
    (void)arg;
    err = ENOSYS;
    ex_unlock(ex);
    if (run_now)
        cb(f, arg);
    return err;
}

size_t futures_wait_any(struct future *const fs[], size_t n)
{
    struct executor *ex = fs[0]->ex;
    size_t first = n; /* index of the future done first, n: none yet */
    ex_lock(ex);
    /* TODO(12.7): Loop: find, among fs[0..n-1], the done future with the
     * smallest done_seq (the one done first) and leave its index in first;
     * if none is done, ex_wait and look again. Hint: the same while loop as
     * TODO 12.4, over a set: a wake-up may be for a future outside fs. */
    first = 0;
    ex_unlock(ex);
    return first;
}

struct future *futures_as_completed(struct future *fs[], size_t *left)
{
    /* TODO(12.8): None left: return NULL. Else i = futures_wait_any(fs,
     * *left); swap fs[i] with fs[*left - 1]; decrement *left; return the
     * future now at fs[*left]. Hint: the futures already returned sit at
     * the end of fs, out of the next search: each is returned once. */
    return *left == 0 ? NULL : fs[--*left];
}

struct executor *executor_create(int nthreads)
{
    struct executor *ex = calloc(1, sizeof *ex);
    if (ex == NULL)
        return NULL;
    int err = pthread_mutex_init(&ex->lock, NULL);
    if (err == 0 && (err = pthread_cond_init(&ex->changed, NULL)) != 0)
        (void)pthread_mutex_destroy(&ex->lock);
    if (err != 0) {
        free(ex);
        errno = err;
        return NULL;
    }
    if ((ex->pool = tpool_create(nthreads)) == NULL) {
        err = errno;
        (void)pthread_cond_destroy(&ex->changed);
        (void)pthread_mutex_destroy(&ex->lock);
        free(ex);
        errno = err;
        return NULL;
    }
    return ex;
}

struct future *executor_submit(struct executor *ex, future_fn *fn, void *arg)
{
    struct future *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    *f = (struct future){.ex = ex, .fn = fn, .arg = arg};
    ex_lock(ex);
    /* Queued under our lock, so that shutdown cannot close the pool
     * between our look at closing and the queueing. */
    if (ex->closing || tpool_submit(ex->pool, run_future, f) == -1) {
        int err = ex->closing ? EINVAL : errno;
        ex_unlock(ex);
        free(f);
        errno = err;
        return NULL;
    }
    f->id = ex->nsubmitted++;
    f->next = ex->all;
    ex->all = f;
    ex_unlock(ex);
    return f;
}

/* After the pool has ended: free every future, then the executor. */
static int free_executor(struct executor *ex)
{
    int err, first = 0;
    for (struct future *f = ex->all, *next; f != NULL; f = next) {
        next = f->next;
        free(f);
    }
    if ((err = pthread_cond_destroy(&ex->changed)) != 0)
        first = err;
    if ((err = pthread_mutex_destroy(&ex->lock)) != 0 && first == 0)
        first = err;
    free(ex);
    return first;
}

int executor_shutdown(struct executor *ex, bool cancel_pending)
{
    int first = 0;
    /* TODO(12.9): Under the lock, set ex->closing (executor_submit refuses
     * from then on). Without the lock, if cancel_pending, future_cancel
     * every future of the list ex->all (those already started say no).
     * Then tpool_shutdown(ex->pool): it returns once every queued and
     * running task has ended; keep errno in first if it fails. Hint: only
     * then may the futures be freed: a pool thread may still be finishing
     * one (its state, its callback). The list is safe to walk without the
     * lock once closing is set: nothing is added to it any more. */
    (void)cancel_pending;
    if (tpool_shutdown(ex->pool) == -1)
        first = errno;
    int err = free_executor(ex);
    if (first == 0)
        first = err;
    if (first != 0) {
        errno = first;
        return -1;
    }
    return 0;
}
