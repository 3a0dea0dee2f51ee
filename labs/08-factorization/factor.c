/*
 * factor.c - see factor.h. The lecture's factorization benchmark: the same
 * work done serially, by threads, and by processes.
 */
#include "factor.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "io.h"
#include "status.h"

void factorize_naive(uint64_t n, struct factorization *out)
{
    out->n = n;
    out->count = 0;
    /* TODO(08.1): Factorize n by trial division, as the lecture's
     * factorize_naive does: p = 2; while n > 1: if p divides n, append p
     * to out->factors (out->count++) and divide n by it (try the same p
     * again: 12 = 2 * 2 * 3); else if p * p >= n, n is prime: append it
     * and stop; else go to the next p: from 2 to 3, then +2 (only odd
     * divisors after 2). Numbers below 2 have no factors. */
}

void factor_serial(const uint64_t *nums, size_t count,
                   struct factorization *results)
{
    for (size_t i = 0; i < count; i++)
        factorize_naive(nums[i], &results[i]);
}

/* The static chunk of worker w out of workers: the lecture's
 * chunksize = ceil(count / workers), worker w takes the chunksize numbers
 * from w * chunksize (fewer for the last one, none for a worker past the
 * end). */
static void chunk_of(size_t count, int workers, int w, size_t *begin,
                     size_t *end)
{
    size_t size = (count + (size_t)workers - 1) / (size_t)workers;
    *begin = size * (size_t)w;
    *end = *begin + size;
    if (*begin > count)
        *begin = count;
    if (*end > count)
        *end = count;
}

/* What each thread gets: its chunk and where to put the answers. */
struct chunk {
    const uint64_t *nums;
    struct factorization *results;
    size_t begin, end;
};

static void *thread_main(void *arg)
{
    struct chunk *c = arg;
    for (size_t i = c->begin; i < c->end; i++)
        factorize_naive(c->nums[i], &c->results[i]);
    return NULL;
}

void factor_threads(const uint64_t *nums, size_t count,
                    struct factorization *results, int workers)
{
    pthread_t ids[FACTOR_WORKERS];
    struct chunk chunks[FACTOR_WORKERS];
    for (int w = 0; w < workers; w++) {
        chunks[w] = (struct chunk){.nums = nums, .results = results};
        chunk_of(count, workers, w, &chunks[w].begin, &chunks[w].end);
    }
    /* TODO(08.2): Start one thread per chunk running
     * thread_main(&chunks[w]), then join them all. The threads write their
     * answers straight into results: they share this process's memory, and
     * no two chunks overlap, so no lock is needed. Check each pthread call
     * (die_errnum). */
    (void)ids;
    (void)thread_main;
}

/* One result on its way from a child to the parent. Smaller than PIPE_BUF,
 * so each write of one record is atomic: records from several children
 * sharing the pipe never interleave. */
struct record {
    uint64_t index; /* where it goes in results */
    struct factorization f;
};
_Static_assert(sizeof(struct record) <= PIPE_BUF,
               "a record must fit in one atomic pipe write");

/* The child's side: factorize one chunk, then send every answer, and end.
 * The child writes its answers into ITS copy of results (after fork the
 * parent never sees them: copy-on-write), and sends them only once the
 * whole chunk is done, as the lecture's children put their dict on the
 * queue at the end: a parent woken for every single answer would take CPU
 * time from the children still working. */
static _Noreturn void child_main(const uint64_t *nums,
                                 struct factorization *results, size_t begin,
                                 size_t end, int out_fd)
{
    for (size_t i = begin; i < end; i++)
        factorize_naive(nums[i], &results[i]);
    for (size_t i = begin; i < end; i++) {
        struct record rec = {.index = i, .f = results[i]};
        if (io_write_all(out_fd, &rec, sizeof rec) == -1)
            die_child("write");
    }
    if (close(out_fd) == -1)
        die_child("close");
    _exit(EXIT_SUCCESS);
}

/* A fork failed after `started` children: end them (they would work for
 * nobody), wait for them, and stop with fork's error. */
static _Noreturn void abandon(int err, const pid_t *pids, int started)
{
    for (int w = 0; w < started; w++)
        (void)kill(pids[w], SIGKILL);
    for (int w = 0; w < started; w++)
        (void)waitpid(pids[w], NULL, 0);
    die_errnum(err, "fork");
}

/* Fork one child per chunk, each sending its answers to fds[1]; the
 * parent keeps the pids and closes its own write end. */
static void start_workers(const uint64_t *nums, size_t count,
                          struct factorization *results, int workers,
                          const int fds[2], pid_t *pids)
{
    /* TODO(08.3): Fork one child per chunk (chunk_of gives chunk w). Each
     * child closes the read end it does not use and calls
     * child_main(nums, results, begin, end, fds[1]), which never returns.
     * The parent keeps every pid in pids[w] (a fork that fails: call
     * abandon(errno, pids, w)), and once all are started closes ITS write
     * end: the reader sees end of file only when every write end is
     * closed, the parent's included. */
    (void)child_main;
    (void)abandon;
    (void)nums;
    (void)count;
    (void)results;
    (void)workers;
    (void)pids;
    if (close(fds[1]) == -1)
        die("close");
}

/* Read the children's records from fd until end of file into results.
 * Returns how many arrived; a record that cannot be right (cut short, or
 * for an index past count) is not stored, and *problem says what it was
 * (NULL when there was none). */
static size_t read_records(int fd, struct factorization *results, size_t count,
                           const char **problem)
{
    size_t received = 0;
    *problem = NULL;
    /* TODO(08.4): Read records (struct record) from fd with io_read_all
     * until it returns 0 (end of file), putting each one's factorization
     * at results[rec.index] and counting them. A short record, or an
     * index >= count, is a problem: set *problem and stop reading. The
     * caller then waits for every child (reap_workers) and stops with an
     * error if a child failed or fewer than count answers came: a missing
     * answer must never pass as a result. */
    (void)fd;
    (void)results;
    (void)count;
    return received;
}

/* Wait for every child; once all are reaped, stop with a message naming
 * the first that did not exit with status 0 and how it ended. */
static void reap_workers(const pid_t *pids, int workers)
{
    int failed = -1, failed_status = 0;
    /* TODO(08.4), continued: waitpid every child (all of them, even after
     * one failed: none may be left a zombie), and remember the first w
     * whose status is not a normal exit with status 0. */
    (void)pids;
    (void)workers;
    if (failed != -1) {
        char how[64];
        die_msg("worker process %d %s", failed + 1,
                status_describe(failed_status, how, sizeof how));
    }
}

void factor_processes(const uint64_t *nums, size_t count,
                      struct factorization *results, int workers)
{
    int fds[2];
    if (pipe(fds) == -1)
        die("pipe");
    /* Anything still in our stdout buffer would be printed again by every
     * child that flushed its copy of it. */
    if (fflush(stdout) == EOF)
        die("fflush");
    pid_t pids[FACTOR_WORKERS];
    start_workers(nums, count, results, workers, fds, pids);
    const char *problem;
    size_t received = read_records(fds[0], results, count, &problem);
    if (close(fds[0]) == -1) /* a child still writing gets EPIPE */
        die("close");
    reap_workers(pids, workers);
    if (problem != NULL)
        die_msg("%s", problem);
    if (received != count)
        die_msg("%zu of %zu results came back", received, count);
}

size_t factor_compare(const struct factorization *a,
                      const struct factorization *b, size_t count,
                      size_t *first)
{
    size_t differ = 0;
    /* TODO(08.5): Count the entries i where a[i] and b[i] differ: another
     * n, another count, or any of the first count factors not equal. Store
     * the first such i in *first (if first is not NULL). This check is
     * what makes a bar on the chart mean something: a fast wrong answer
     * must be caught, not plotted. */
    (void)a;
    (void)b;
    (void)count;
    (void)first;
    return differ;
}

bool factor_multiplies_back(const struct factorization *f)
{
    if (f->n < 2)
        return f->count == 0;
    if (f->count < 1 || f->count > FACTOR_MAX)
        return false;
    uint64_t product = 1;
    for (int k = 0; k < f->count; k++) {
        uint64_t p = f->factors[k];
        if (p < 2 || product > f->n / p)
            return false;
        product *= p;
    }
    return product == f->n;
}
