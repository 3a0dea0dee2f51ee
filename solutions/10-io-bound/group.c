/*
 * group.c - N waiters, threads or processes, one page each (see group.h).
 *
 * Nothing here computes: every waiter spends its time blocked in read(),
 * waiting for the server. So N waiters take about as long as one, on any
 * number of cores - the waits overlap. That is the whole point of the lab:
 * for I/O-bound work, threads help even in Python, and in C as well.
 *
 * Threads: thread i runs page_fetch for jobs[i] and writes the result into
 * jobs[i].result, its own slot. main reads the slots after pthread_join,
 * which orders every write of the thread before main's reads.
 *
 * Processes: child i fetches jobs[i] and writes one record (its
 * page_result, with the index) into a pipe shared by every child; the
 * parent reads records until end-of-file, which comes when every copy of
 * the write end is closed: the parent closes its own at once, and each
 * child's closes when it exits - or dies. Only then does the parent reap
 * the children, and a child that left no record gets its page failed with
 * the status waitpid gave: killed by a signal, or exited with an error.
 * Reading first matters: a child blocks in write() when the pipe is full
 * (64 KiB: about 60 records), and would never exit while a parent
 * sat in waitpid before reading.
 */
#include "group.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "io.h"
#include "status.h"

static void fetch_one(struct page_job *job)
{
    page_fetch(job->port, job->name, job->delay_ms, job->timeout_ms,
               &job->result);
}

void fetch_serially(struct page_job *jobs, int n)
{
    for (int i = 0; i < n; i++)
        fetch_one(&jobs[i]);
}

/* ---- threads ------------------------------------------------------- */

static void *waiter_thread(void *arg)
{
    fetch_one(arg); /* writes only its own jobs[i].result */
    return NULL;
}

static int threads_start(struct group *g)
{
    g->threads = calloc((size_t)g->n, sizeof *g->threads);
    if (g->threads == NULL)
        return -1;
    /* TODO(10.2): Start one thread per page: thread i runs waiter_thread
     * with &g->jobs[i] as its argument. pthread_create returns its error
     * (it does not set errno). If creating thread i fails, join threads
     * 0..i-1 first (they are running and use g->jobs), free g->threads,
     * set errno to the error and return -1: nothing may be left running.
     * Hint: each thread gets the address of ITS job, never of a variable
     * that the loop changes. */
    /* BEGIN SOLUTION */
    for (int i = 0; i < g->n; i++) {
        int err =
            pthread_create(&g->threads[i], NULL, waiter_thread, &g->jobs[i]);
        if (err != 0) {
            for (int k = 0; k < i; k++)
                pthread_join(g->threads[k], NULL);
            free(g->threads);
            errno = err;
            return -1;
        }
    }
    /* END SOLUTION */
    /* STARTER
    (void)waiter_thread;
    STARTER */
    return 0;
}

static int threads_finish(struct group *g)
{
    int first = 0;
    /* TODO(10.3): Wait for every thread with pthread_join; remember the
     * first error (pthread_join returns it) in first, but go on joining
     * the others. Only after the joins may main read the results. */
    /* BEGIN SOLUTION */
    for (int i = 0; i < g->n; i++) {
        int err = pthread_join(g->threads[i], NULL);
        if (err != 0 && first == 0)
            first = err;
    }
    /* END SOLUTION */
    free(g->threads);
    if (first != 0) {
        errno = first;
        return -1;
    }
    return 0;
}

/* ---- processes ----------------------------------------------------- */

/* One write of a record must be atomic, or two children's records could
 * interleave in the pipe. */
_Static_assert(sizeof(struct page_result) <= PIPE_BUF,
               "a record must fit in one atomic pipe write");

/* Child i: fetch the page, send the result through the pipe, leave. */
_Noreturn static void child_main(struct page_job *job, int index, int fd)
{
    fetch_one(job);
    job->result.index = index;
    if (io_write_all(fd, &job->result, sizeof job->result) == -1)
        die_child("write");
    _exit(0);
}

/* A fork failed: end and reap the count children already started. */
static void abandon(struct group *g, int count)
{
    for (int i = 0; i < count; i++)
        if (kill(g->pids[i], SIGKILL) == -1)
            warn_errno("kill");
    for (int i = 0; i < count; i++)
        while (waitpid(g->pids[i], NULL, 0) == -1 && errno == EINTR)
            ;
}

static int processes_start(struct group *g)
{
    int fds[2];
    if ((g->pids = calloc((size_t)g->n, sizeof *g->pids)) == NULL)
        return -1;
    if (pipe(fds) == -1) {
        free(g->pids);
        return -1;
    }
    (void)fflush(stdout); /* or each child could print a copy of the buffer */
    /* TODO(10.4): Fork one child per page. Child i closes the read end
     * fds[0] and calls child_main(&g->jobs[i], i, fds[1]), which never
     * returns. The parent keeps the pid in g->pids[i]. If fork fails:
     * save errno, abandon(g, i), close both ends, free g->pids, restore
     * errno and return -1. After the loop the parent closes fds[1] (or
     * it never sees end-of-file) and keeps fds[0] in g->results_fd. */
    /* BEGIN SOLUTION */
    for (int i = 0; i < g->n; i++) {
        pid_t pid = fork();
        if (pid == -1) {
            int err = errno;
            abandon(g, i);
            close(fds[0]);
            close(fds[1]);
            free(g->pids);
            errno = err;
            return -1;
        }
        if (pid == 0) {
            if (close(fds[0]) == -1)
                die_child("close");
            child_main(&g->jobs[i], i, fds[1]);
        }
        g->pids[i] = pid;
    }
    if (close(fds[1]) == -1)
        warn_errno("close");
    g->results_fd = fds[0];
    /* END SOLUTION */
    /* STARTER
    (void)child_main;
    (void)abandon;
    close(fds[0]);
    close(fds[1]);
    free(g->pids);
    errno = ENOSYS;
    return -1;
    STARTER */
    return 0;
}

/* Fail page i of a child that ended without a result, or badly. */
static void child_failed(struct page_job *job, pid_t pid, int status)
{
    char how[64];
    (void)snprintf(job->result.error, sizeof job->result.error,
                   "worker %d %s without a result", (int)pid,
                   status_describe(status, how, sizeof how));
    job->result.ok = false;
}

/* Read every child's record, then reap every child. Returns 0 or -1. */
static int processes_finish(struct group *g)
{
    int first = 0;
    bool *got = calloc((size_t)g->n, sizeof *got);
    if (got == NULL)
        first = errno;
    /* TODO(10.5): Collect the results, then reap the children.
     * 1. Read records (struct page_result) from g->results_fd with
     *    io_read_all until it returns 0 (end-of-file: every child has
     *    closed its end). A short record, or an index outside 0..n-1,
     *    is a broken child: stop reading (first = EPROTO). Otherwise copy
     *    it into g->jobs[index].result and set got[index].
     * 2. Then waitpid every g->pids[i] (again after EINTR). A child that
     *    did not end cleanly (status_ok), or sent no record, fails its
     *    page: child_failed(&g->jobs[i], pid, status).
     * Hint: read before you wait - a child blocks in write() while the
     * pipe is full. And got may be NULL (then every page fails). */
    /* BEGIN SOLUTION */
    struct page_result rec;
    ssize_t n;
    while (got != NULL &&
           (n = io_read_all(g->results_fd, &rec, sizeof rec)) != 0) {
        if (n == -1 || (size_t)n < sizeof rec || rec.index < 0 ||
            rec.index >= g->n) {
            first = n == -1 ? errno : EPROTO;
            break;
        }
        g->jobs[rec.index].result = rec;
        got[rec.index] = true;
    }
    for (int i = 0; i < g->n; i++) {
        int status;
        while (waitpid(g->pids[i], &status, 0) == -1) {
            if (errno != EINTR) {
                if (first == 0)
                    first = errno;
                status = -1;
                break;
            }
        }
        if (!status_ok(status) || got == NULL || !got[i])
            child_failed(&g->jobs[i], g->pids[i], status);
    }
    /* END SOLUTION */
    /* STARTER
    (void)child_failed;
    STARTER */
    if (close(g->results_fd) == -1 && first == 0)
        first = errno;
    free(got);
    free(g->pids);
    if (first != 0) {
        errno = first;
        return -1;
    }
    return 0;
}

/* ---- the group ----------------------------------------------------- */

int group_start(struct group *g, enum group_kind kind, struct page_job *jobs,
                int n)
{
    g->kind = kind;
    g->jobs = jobs;
    g->n = n;
    g->threads = NULL;
    g->pids = NULL;
    g->results_fd = -1;
    for (int i = 0; i < n; i++) {
        jobs[i].result.ok = false;
        jobs[i].result.index = i;
        (void)snprintf(jobs[i].result.error, sizeof jobs[i].result.error,
                       "no result from this page's waiter");
    }
    return kind == GROUP_THREADS ? threads_start(g) : processes_start(g);
}

int group_finish(struct group *g)
{
    return g->kind == GROUP_THREADS ? threads_finish(g) : processes_finish(g);
}
