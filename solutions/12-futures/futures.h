/*
 * futures.h - concurrent.futures in C: an executor over the provided
 * thread pool (tpool.h) whose submit returns a future.
 *
 * Python:                                  C (this module):
 *   ex = ThreadPoolExecutor(4)               ex = executor_create(4)
 *   f = ex.submit(fn, arg)                   f = executor_submit(ex, fn, arg)
 *   f.result()  (or raises the error)        err = future_result(f, &value)
 *   f.cancel(), f.done()                     future_cancel(f), future_done(f)
 *   f.add_done_callback(cb)                  future_add_done_callback(f, cb, p)
 *   wait(fs, return_when=FIRST_COMPLETED)    i = futures_wait_any(fs, n)
 *   for f in as_completed(fs): ...           while ((f = futures_as_completed(
 *                                                        fs, &left)) != NULL)
 *   ex.shutdown(wait=True,                   executor_shutdown(ex,
 *               cancel_futures=False)                          cancel_pending)
 *
 * A future's life: PENDING (queued) -> RUNNING (a thread took it) ->
 * FINISHED (a value or an error); or PENDING -> CANCELLED (future_cancel
 * before any thread took it: the task never runs). FINISHED and CANCELLED
 * are "done" and never change again.
 *
 * Every future belongs to its executor, which frees it in
 * executor_shutdown: a future may be used until then, and not after.
 */
#ifndef FUTURES_H
#define FUTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A task: compute *value from arg and return 0, or return an error number
 * (> 0, say EDOM or EPROTO) - C's way of raising an exception. */
typedef int future_fn(void *arg, int64_t *value);

enum future_state {
    FUTURE_PENDING,
    FUTURE_RUNNING,
    FUTURE_FINISHED,
    FUTURE_CANCELLED,
};

struct executor;
struct future;

/* Called once when the future is done (see future_add_done_callback). */
typedef void future_callback(struct future *f, void *arg);

/* An executor with nthreads (1..64) threads. NULL with errno on failure. */
struct executor *executor_create(int nthreads);

/* Queue fn(arg) and return its future (PENDING). NULL with errno on
 * failure: EINVAL once executor_shutdown has begun, ENOMEM. */
struct future *executor_submit(struct executor *ex, future_fn *fn, void *arg);

/* Python's shutdown(wait=True): accept no more tasks; if cancel_pending,
 * cancel every future not started yet; wait until every running and every
 * queued task has finished (callbacks included); then free the executor
 * and all its futures. 0, or -1 with errno set. */
int executor_shutdown(struct executor *ex, bool cancel_pending);

/* Block until f is done (without using the CPU). Returns 0 and stores the
 * task's value in *value (if value is not NULL); or returns the task's
 * error number; or ECANCELED if f was cancelled. */
int future_result(struct future *f, int64_t *value);

/* Cancel f if no thread has started it: PENDING -> CANCELLED, waiters wake
 * up, its callback runs, and the task never will. true if f is (now)
 * cancelled; false if it is running or finished (Python's cancel()). */
bool future_cancel(struct future *f);

/* Is f done (FINISHED or CANCELLED)? Never blocks. */
bool future_done(struct future *f);

/* f's state now (it may change the moment after, unless it is done). */
enum future_state future_state(struct future *f);

/* The number executor_submit gave f: 0, 1, 2... in submission order. */
unsigned future_id(const struct future *f);

/* Have cb(f, arg) called once f is done: by the thread that finishes or
 * cancels f, after the state has changed, without any lock held (so cb may
 * call future_result(f)); or at once, by this thread, if f is done already.
 * One callback per future: 0, or EBUSY if f has one already. */
int future_add_done_callback(struct future *f, future_callback *cb, void *arg);

/* Block until at least one of fs[0..n-1] (n >= 1, one executor) is done;
 * return the index of the one that was done first. */
size_t futures_wait_any(struct future *const fs[], size_t n);

/* As completed: *left is the number of futures of fs not yet returned
 * (start with *left = n). Wait for one of fs[0..*left-1] to be done, move
 * the one done first to fs[*left - 1], decrement *left and return it; NULL
 * once *left is 0. So each future is returned once, in the order the
 * futures were done. */
struct future *futures_as_completed(struct future *fs[], size_t *left);

#endif
