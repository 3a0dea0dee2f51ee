/*
 * factor.c - see factor.h. The lecture's factorization benchmark: the same
 * work done serially, by threads, and by processes.
 */
#include "factor.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"

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

/* Write all len bytes of buf to fd, or die (in a child: _exit). */
static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            die_child("write");
        }
        p += n;
        len -= (size_t)n;
    }
}

/* Read up to len bytes into buf, stopping early only at end of file.
 * Returns the number of bytes read (0 at end of file). */
static size_t read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return got;
}

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
        write_all(out_fd, &rec, sizeof rec);
    }
    if (close(out_fd) == -1)
        die_child("close");
    _exit(EXIT_SUCCESS);
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

    /* TODO(08.3): Fork one child per chunk (chunk_of gives chunk w). Each
     * child closes the read end it does not use and calls
     * child_main(nums, results, begin, end, fds[1]), which never
     * returns. The
     * parent keeps every pid in pids[w], and once all are started closes
     * ITS write end: the reader sees end of file only when every write end
     * is closed, the parent's included. */
    (void)child_main;
    (void)pids;
    (void)nums;
    (void)workers;
    if (close(fds[1]) == -1)
        die("close");

    /* TODO(08.4): Read records (struct record) from fds[0] with read_full
     * until end of file, putting each one's factorization at
     * results[rec.index] and counting them; then close fds[0] and waitpid
     * every child. If a child did not exit with status 0, or fewer than
     * count records arrived, print "factorize: ..." on stderr and
     * exit(EXIT_FAILURE): a missing answer must never pass as a result. */
    size_t received = 0;
    (void)read_full;
    (void)results;
    if (close(fds[0]) == -1)
        die("close");
    if (received != count) {
        (void)fprintf(stderr, "%s: %zu of %zu results came back\n",
                      errors_progname(), received, count);
        exit(EXIT_FAILURE);
    }
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
