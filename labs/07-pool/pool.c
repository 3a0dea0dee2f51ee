/*
 * pool.c - a pool of worker processes fed through pipes (see pool.h).
 *
 *            task pipe k  --(fn, index, args)-->   worker k
 *   parent                                          (a fork of the parent:
 *            result pipe k <--(index, value)----    loops: read, run, write)
 *
 * The parent is the dispatcher. It keeps at most one task in flight per
 * worker and waits with poll() on every result pipe; when worker k answers,
 * its result goes to results[index] and worker k gets the next task. So a
 * worker that drew a long task simply answers later, and the others keep
 * taking the short ones: that is the dynamic hand-out. Two kinds of
 * end-of-file carry meaning:
 *   - the parent closes task pipe k: worker k reads EOF and exits (shutdown);
 *   - worker k dies: the kernel closes its end of result pipe k, poll()
 *     reports it and read() returns 0, so the parent never waits forever for
 *     a result that cannot come.
 * End-of-file comes only once EVERY copy of a pipe's write end is closed,
 * and fork() copies them all. So the parent closes its copy of the result
 * pipe's write end at once (or no death would ever be seen), and each new
 * worker closes the parent's ends of the other workers' pipes, which it
 * inherited (or an older worker would see end-of-file at shutdown only when
 * the younger one has exited, too).
 * A worker can also die while idle (killed by someone, say). Nobody polls
 * an idle worker, so the parent notices only when it writes the next task
 * into the dead worker's pipe: a write to a pipe with no reader raises
 * SIGPIPE, which would end the whole program (lab 03's lesson), so the
 * pool ignores SIGPIPE and gets EPIPE instead. The task then counts as
 * handed out; the end-of-file on the dead worker's result pipe reports it
 * crashed and replaces the worker, as for any death.
 * Every message is small and fixed-size, and each pipe has one reader and
 * one writer; io_read_all()/io_write_all() (common/io.h) still loop over
 * short transfers and EINTR, as any pipe code should.
 */
#include "pool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "io.h"
#include "jobs.h"
#include "timing.h"

/* Parent -> worker: run fn on args; the answer carries index back. */
struct task_msg {
    pool_fn *fn;
    uint64_t index;
    uint64_t nargs;
    int64_t args[POOL_MAX_ARGS];
};

/* Worker -> parent: task index returned value, after seconds of work. */
struct result_msg {
    uint64_t index;
    int64_t value;
    double seconds;
};

struct worker {
    pid_t pid;            /* -1: no process in this slot */
    int task_fd;          /* write end of its task pipe */
    int result_fd;        /* read end of its result pipe */
    struct pool_job *job; /* the job of the task it runs; NULL: idle */
    size_t task;          /* that task's index in job */
};

struct pool {
    int nworkers;
    enum pool_schedule schedule;
    struct worker workers[POOL_MAX_WORKERS];
    struct job_list jobs; /* jobs not yet waited for, oldest first */
};

/* Run one task in a worker and time it: the answer to send back. */
static struct result_msg run_task(const struct task_msg *msg)
{
    double t0 = timing_now();
    int64_t value = msg->fn(msg->args, msg->nargs);
    return (struct result_msg){
        .index = msg->index, .value = value, .seconds = timing_now() - t0};
}

/* What a worker process does all its life: read a task, run it, send back
 * (index, value); until end-of-file on the task pipe. Never returns. */
static _Noreturn void worker_main(int task_fd, int result_fd)
{
    /* TODO(07.2): Loop: read one struct task_msg from task_fd with
     * io_read_all(); on 0 (end-of-file: the pool is shutting down) leave
     * the loop; on -1 die_child("read"); on fewer bytes than a message,
     * die_child_msg(). Run it with run_task(&msg) and write the struct
     * result_msg it returns to result_fd with io_write_all()
     * (die_child("write") on failure). After the loop, close
     * both fds and end with _exit(EXIT_SUCCESS): a worker must never return
     * into the parent's code.
     * Hint: a worker keeps no memory of past tasks; the index it sends back
     * is how the parent knows where the result belongs. */
    (void)task_fd;
    (void)result_fd;
    (void)run_task;
    _exit(EXIT_SUCCESS);
}

/* Close both ends of a pipe on an error path, keeping errno. */
static void close_pipe(const int fds[2])
{
    int saved = errno;
    (void)close(fds[0]);
    (void)close(fds[1]);
    errno = saved;
}

/* In a new worker (slot k): close the parent's ends of every other live
 * worker's pipes, which fork() copied into it. */
static void close_other_workers(const struct pool *pool, int k)
{
    /* TODO(07.1) (continued): for every j != k whose pid is not -1, close
     * pool->workers[j].task_fd and .result_fd (die_child on failure). */
    (void)pool;
    (void)k;
}

/* Start a worker process in slot k. Returns 0, or -1 with errno set. */
static int start_worker(struct pool *pool, int k)
{
    struct worker *w = &pool->workers[k];
    w->job = NULL;
    /* Anything still in our stdio buffer would be copied into the child
     * and written twice. */
    if (fflush(stdout) == EOF)
        return -1;
    /* TODO(07.1): Make two pipes (task and result), fork(), and in the
     * child: close_other_workers(pool, k), close the ends it does not use
     * (the task pipe's write end, the result pipe's read end), then call
     * worker_main(task read end, result write end). In the parent: close
     * the two ends the worker uses, and keep pid, task_fd (task write end)
     * and result_fd (result read end) in *w. Return -1 on a failed
     * pipe/fork/close (errno set; close_pipe() tidies up on the way).
     * Hint: end-of-file comes only when every copy of the write end is
     * closed. A parent that keeps the result pipe's write end never sees a
     * worker die; a worker that keeps another worker's task-pipe write end
     * holds back that worker's end-of-file at shutdown. */
    (void)worker_main;
    (void)close_pipe;
    (void)close_other_workers;
    errno = ENOSYS;
    return -1;
}

/* If worker k is idle and some task is waiting for it, send it. 0 or -1. */
static int hand_out(struct pool *pool, int k)
{
    struct worker *w = &pool->workers[k];
    struct pool_job *job;
    size_t index;
    if (w->job != NULL || !jobs_next_task(&pool->jobs, k, &job, &index))
        return 0;
    struct task_msg msg;
    memset(&msg, 0, sizeof msg); /* no uninitialised padding in the pipe */
    msg.fn = job->fn;
    msg.index = index;
    msg.nargs = job->nargs;
    memcpy(msg.args, &job->args[index * job->nargs],
           job->nargs * sizeof msg.args[0]);
    /* EPIPE: worker k died while idle. The task stays its own: the
     * end-of-file on its result pipe (pool_step) reports it crashed. */
    if (io_write_all(w->task_fd, &msg, sizeof msg) == -1 && errno != EPIPE)
        return -1;
    w->job = job;
    w->task = index;
    return 0;
}

static int hand_out_all(struct pool *pool)
{
    for (int k = 0; k < pool->nworkers; k++)
        if (hand_out(pool, k) == -1)
            return -1;
    return 0;
}

/* Worker k answered: file the result where its task belongs. */
static void store_result(struct pool *pool, int k, const struct result_msg *m)
{
    struct worker *w = &pool->workers[k];
    struct pool_job *job = w->job;
    /* TODO(07.4): Record the outcome in job->results: status POOL_DONE, the
     * value, the seconds, and worker k. Put it at the index the worker sent
     * back (m->index), not at the next free place: tasks finish in any order,
     * and map promises results in input order.
     * Hint: m->index is a task number the parent itself sent; the worker
     * only echoes it. */
    (void)m;
    job->finished++;
    w->job = NULL;
}

/* Worker k's result pipe reached end-of-file: the worker has ended. Reap
 * it, report the task it was running as crashed, and start a new worker in
 * its place. 0, or -1 with errno set. */
static int worker_ended(struct pool *pool, int k)
{
    struct worker *w = &pool->workers[k];
    /* TODO(07.5): Reap the worker with waitpid(w->pid, &status, 0) and close
     * both of its fds. If it was running a task (w->job != NULL), mark that
     * task's result POOL_CRASHED with the signal that ended it
     * (WIFSIGNALED/WTERMSIG; 0 if it exited), worker k, count it as
     * finished (w->job->finished++) and set w->job = NULL. Then start a new
     * worker in slot k with start_worker(). Return -1 if a call failed.
     * Hint: without this, a crashed task would be waited for forever, and
     * the dead worker would stay a zombie. */
    (void)w;
    errno = ENOSYS;
    return -1;
}

/* poll() said worker k's result pipe is readable: an answer, or
 * end-of-file (the worker died). Deal with it, then give k its next task. */
static int serve_worker(struct pool *pool, int k)
{
    struct worker *w = &pool->workers[k];
    struct result_msg m;
    ssize_t got = io_read_all(w->result_fd, &m, sizeof m);
    if (got == -1)
        return -1;
    if (got == 0) {
        if (worker_ended(pool, k) == -1)
            return -1;
    } else if ((size_t)got < sizeof m || w->job == NULL || m.index != w->task) {
        errno = EPROTO; /* an answer to a question we never asked */
        return -1;
    } else {
        store_result(pool, k, &m);
    }
    return hand_out(pool, k);
}

/* Wait for at least one worker to answer or die, and deal with it. */
static int pool_step(struct pool *pool)
{
    struct pollfd fds[POOL_MAX_WORKERS];
    for (int k = 0; k < pool->nworkers; k++)
        fds[k] =
            (struct pollfd){.fd = pool->workers[k].result_fd, .events = POLLIN};
    while ((poll(fds, (nfds_t)pool->nworkers, -1)) == -1)
        if (errno != EINTR)
            return -1;
    for (int k = 0; k < pool->nworkers; k++)
        if (fds[k].revents != 0 && serve_worker(pool, k) == -1)
            return -1;
    return 0;
}

struct pool *pool_create(int nworkers)
{
    if (nworkers < 1 || nworkers > POOL_MAX_WORKERS) {
        errno = EINVAL;
        return NULL;
    }
    /* TODO(07.5) (continued): ignore SIGPIPE in this process with
     * sigaction() (sa_handler = SIG_IGN; return NULL if it fails).
     * Hint: a worker that died while idle still gets its next task written
     * into its pipe; with SIGPIPE's default action, that write ends the
     * whole program (exit status 141). Ignored, the write fails with EPIPE
     * and hand_out() lets the end-of-file report the task. */
    struct pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return NULL;
    pool->nworkers = nworkers;
    pool->schedule = POOL_DYNAMIC;
    pool->jobs.nworkers = nworkers;
    for (int k = 0; k < POOL_MAX_WORKERS; k++)
        pool->workers[k] =
            (struct worker){.pid = -1, .task_fd = -1, .result_fd = -1};
    for (int k = 0; k < nworkers; k++) {
        if (start_worker(pool, k) == -1) {
            int saved = errno;
            (void)pool_destroy(pool);
            errno = saved;
            return NULL;
        }
    }
    return pool;
}

int pool_nworkers(const struct pool *pool)
{
    return pool->nworkers;
}

void pool_set_schedule(struct pool *pool, enum pool_schedule schedule)
{
    pool->schedule = schedule;
}

struct pool_job *pool_submit(struct pool *pool, pool_fn *fn,
                             const int64_t args[], size_t nargs, size_t ntasks)
{
    struct pool_job *job =
        jobs_add(&pool->jobs, fn, args, nargs, ntasks, pool->schedule);
    if (job == NULL)
        return NULL;
    if (hand_out_all(pool) == -1)
        return NULL; /* the job stays queued; pool_destroy frees it */
    return job;
}

/* Is some worker running a task (so that an answer or a death will come)? */
static bool any_busy(const struct pool *pool)
{
    for (int k = 0; k < pool->nworkers; k++)
        if (pool->workers[k].job != NULL)
            return true;
    return false;
}

int pool_wait(struct pool *pool, struct pool_job *job,
              struct pool_result results[])
{
    if (hand_out_all(pool) == -1)
        return -1;
    while (!jobs_finished(job)) {
        if (!any_busy(pool)) {
            errno = EDEADLK; /* tasks left, nobody working: a pool bug */
            return -1;
        }
        if (pool_step(pool) == -1)
            return -1;
    }
    jobs_collect(&pool->jobs, job, results);
    return 0;
}

int pool_map(struct pool *pool, pool_fn *fn, const int64_t args[], size_t n,
             struct pool_result results[])
{
    return pool_starmap(pool, fn, args, 1, n, results);
}

int pool_starmap(struct pool *pool, pool_fn *fn, const int64_t args[],
                 size_t nargs, size_t n, struct pool_result results[])
{
    struct pool_job *job = pool_submit(pool, fn, args, nargs, n);
    if (job == NULL)
        return -1;
    return pool_wait(pool, job, results);
}

/* Keep the first failure's errno in *first (0: none yet). */
static void note_failure(int *first)
{
    if (*first == 0)
        *first = errno;
}

int pool_destroy(struct pool *pool)
{
    int first = 0;
    /* TODO(07.6): Shut down: first close every live worker's task_fd (the
     * end-of-file tells it to exit), then reap each one with waitpid() and
     * close its result_fd; set pid to -1. On a failed call, note_failure(
     * &first) and carry on: release everything.
     * Hint: close them all before waiting for any - a worker leaves its loop
     * only when it sees end-of-file, and waitpid before close waits for ever.
     * A worker you never wait for stays a zombie until the pool's process
     * ends. */
    (void)note_failure;
    jobs_free_all(&pool->jobs);
    free(pool);
    if (first != 0) {
        errno = first;
        return -1;
    }
    return 0;
}
