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
 * Every message is small and fixed-size, and each pipe has one reader and
 * one writer; read_full()/write_full() still loop over short transfers and
 * EINTR, as any pipe code should.
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

struct pool_job {
    pool_fn *fn;
    size_t nargs, ntasks;
    int64_t *args; /* ntasks * nargs, our own copy */
    struct pool_result *results;
    enum pool_schedule schedule;
    size_t next;           /* dynamic: the first task not handed out yet */
    size_t *next_in_block; /* static: per worker, its next task */
    size_t finished;       /* tasks done or crashed */
    struct pool_job *newer;
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
    struct pool_job *oldest, *newest; /* jobs not yet waited for, FIFO */
};

/* Write all len bytes (looping over short writes and EINTR); 0 or -1. */
static int write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read exactly len bytes. Returns len, 0 at end-of-file before the first
 * byte, or -1 (errno EPROTO if the stream ended inside a message). */
static ssize_t read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            if (got == 0)
                return 0;
            errno = EPROTO;
            return -1;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

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
     * read_full(); on 0 (end-of-file: the pool is shutting down) leave the
     * loop; on -1 die_child("read"). Run it with run_task(&msg) and write
     * the struct result_msg it returns to result_fd with write_full()
     * (die_child("write") on failure). After the loop, close
     * both fds and end with _exit(EXIT_SUCCESS): a worker must never return
     * into the parent's code.
     * Hint: a worker keeps no memory of past tasks; the index it sends back
     * is how the parent knows where the result belongs. */
    (void)task_fd;
    (void)result_fd;
    _exit(EXIT_SUCCESS);
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
     * child: close the ends it does not use (the task pipe's write end, the
     * result pipe's read end) AND the parent's ends of every other live
     * worker (pool->workers[j].task_fd and .result_fd for j != k with
     * pid != -1), then call worker_main(task read end, result write end).
     * In the parent: close the two ends the worker uses, and keep pid,
     * task_fd (task write end) and result_fd (result read end) in *w.
     * Return -1 on a failed pipe/fork/close (errno set).
     * Hint: end-of-file comes only when every copy of the write end is
     * closed. A parent that keeps the result pipe's write end never sees a
     * worker die; a worker that keeps another worker's task-pipe write end
     * holds back that worker's end-of-file at shutdown. */
    (void)worker_main;
    (void)run_task;
    errno = ENOSYS;
    return -1;
}

/* Choose the next task for worker k among the jobs, oldest first.
 * Returns false if there is none for it. */
static bool next_task(struct pool *pool, int k, struct pool_job **jobp,
                      size_t *index)
{
    for (struct pool_job *job = pool->oldest; job != NULL; job = job->newer) {
        if (job->schedule == POOL_STATIC) {
            /* Worker k owns tasks [k * block, (k + 1) * block). */
            size_t block = (job->ntasks + (size_t)pool->nworkers - 1) /
                           (size_t)pool->nworkers;
            size_t end = ((size_t)k + 1) * block;
            if (end > job->ntasks)
                end = job->ntasks;
            if (job->next_in_block[k] < end) {
                *jobp = job;
                *index = job->next_in_block[k]++;
                return true;
            }
            continue;
        }
        /* TODO(07.3): Dynamic hand-out: if this job still has a task that
         * no worker got yet (job->next < job->ntasks), give that one to
         * worker k - whoever asks first gets the next task in input order -
         * and advance job->next. Set *jobp and *index and return true.
         * Hint: this is all the load balancing there is: a worker asks again
         * only when it has finished, so fast workers simply ask more often. */
    }
    return false;
}

/* If worker k is idle and some task is waiting for it, send it. 0 or -1. */
static int hand_out(struct pool *pool, int k)
{
    struct worker *w = &pool->workers[k];
    struct pool_job *job;
    size_t index;
    if (w->job != NULL || !next_task(pool, k, &job, &index))
        return 0;
    struct task_msg msg;
    memset(&msg, 0, sizeof msg); /* no uninitialised padding in the pipe */
    msg.fn = job->fn;
    msg.index = index;
    msg.nargs = job->nargs;
    memcpy(msg.args, &job->args[index * job->nargs],
           job->nargs * sizeof msg.args[0]);
    if (write_full(w->task_fd, &msg, sizeof msg) == -1)
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
    for (int k = 0; k < pool->nworkers; k++) {
        if (fds[k].revents == 0)
            continue;
        struct result_msg m;
        ssize_t got = read_full(pool->workers[k].result_fd, &m, sizeof m);
        if (got == -1)
            return -1;
        if (got == 0) {
            if (worker_ended(pool, k) == -1)
                return -1;
        } else if (pool->workers[k].job == NULL ||
                   m.index != pool->workers[k].task) {
            errno = EPROTO; /* an answer to a question we never asked */
            return -1;
        } else {
            store_result(pool, k, &m);
        }
        if (hand_out(pool, k) == -1)
            return -1;
    }
    return 0;
}

struct pool *pool_create(int nworkers)
{
    if (nworkers < 1 || nworkers > POOL_MAX_WORKERS) {
        errno = EINVAL;
        return NULL;
    }
    struct pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return NULL;
    pool->nworkers = nworkers;
    pool->schedule = POOL_DYNAMIC;
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

static void free_job(struct pool_job *job)
{
    free(job->args);
    free(job->results);
    free(job->next_in_block);
    free(job);
}

struct pool_job *pool_submit(struct pool *pool, pool_fn *fn,
                             const int64_t args[], size_t nargs, size_t ntasks)
{
    if (nargs < 1 || nargs > POOL_MAX_ARGS) {
        errno = EINVAL;
        return NULL;
    }
    struct pool_job *job = calloc(1, sizeof *job);
    if (job == NULL)
        return NULL;
    job->fn = fn;
    job->nargs = nargs;
    job->ntasks = ntasks;
    job->schedule = pool->schedule;
    job->args = malloc((ntasks > 0 ? ntasks : 1) * nargs * sizeof *args);
    job->results = calloc(ntasks > 0 ? ntasks : 1, sizeof *job->results);
    job->next_in_block = calloc((size_t)pool->nworkers, sizeof(size_t));
    if (job->args == NULL || job->results == NULL ||
        job->next_in_block == NULL) {
        free_job(job);
        errno = ENOMEM;
        return NULL;
    }
    if (ntasks > 0)
        memcpy(job->args, args, ntasks * nargs * sizeof *args);
    size_t block =
        (ntasks + (size_t)pool->nworkers - 1) / (size_t)pool->nworkers;
    for (int k = 0; k < pool->nworkers; k++)
        job->next_in_block[k] = (size_t)k * block;
    if (pool->newest != NULL)
        pool->newest->newer = job;
    else
        pool->oldest = job;
    pool->newest = job;
    if (hand_out_all(pool) == -1)
        return NULL; /* the job stays queued; pool_destroy frees it */
    return job;
}

/* Take job out of the FIFO. */
static void unlink_job(struct pool *pool, struct pool_job *job)
{
    struct pool_job **p = &pool->oldest;
    struct pool_job *prev = NULL;
    while (*p != NULL && *p != job) {
        prev = *p;
        p = &(*p)->newer;
    }
    if (*p == NULL)
        return;
    *p = job->newer;
    if (pool->newest == job)
        pool->newest = prev;
}

int pool_wait(struct pool *pool, struct pool_job *job,
              struct pool_result results[])
{
    if (hand_out_all(pool) == -1)
        return -1;
    while (job->finished < job->ntasks) {
        bool busy = false;
        for (int k = 0; k < pool->nworkers; k++)
            busy = busy || pool->workers[k].job != NULL;
        if (!busy) {
            errno = EDEADLK; /* tasks left, nobody working: a pool bug */
            return -1;
        }
        if (pool_step(pool) == -1)
            return -1;
    }
    if (job->ntasks > 0)
        memcpy(results, job->results, job->ntasks * sizeof *results);
    unlink_job(pool, job);
    free_job(job);
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

int pool_destroy(struct pool *pool)
{
    int failed = 0, saved = 0;
    /* TODO(07.6): Shut down: first close every live worker's task_fd (the
     * end-of-file tells it to exit), then reap each one with waitpid() and
     * close its result_fd; set pid to -1. Record a failure in failed/saved
     * (failed = 1, saved = errno) but carry on: release everything.
     * Hint: close them all before waiting for any - a worker leaves its loop
     * only when it sees end-of-file, and waitpid before close waits for ever.
     * A worker you never wait for stays a zombie until the pool's process
     * ends. */
    while (pool->oldest != NULL) {
        struct pool_job *job = pool->oldest;
        pool->oldest = job->newer;
        free_job(job);
    }
    free(pool);
    if (failed) {
        errno = saved;
        return -1;
    }
    return 0;
}
