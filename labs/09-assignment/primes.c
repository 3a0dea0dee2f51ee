/*
 * primes.c - see primes.h.
 */
/* MAP_ANONYMOUS is not POSIX: ask the C library for it. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier) */
#include "primes.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "status.h"

/* The counter is shared by processes too: only a lock-free atomic works
 * across processes (a lock inside the C library would be per process). */
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2,
               "the task counter must be lock-free to be shared by processes");

bool is_prime_naive(uint32_t n)
{
    /* TODO(09.1): The assignment's isPrime: below 2 nothing is prime, 2
     * is; otherwise n is prime unless some i from 2 while i * i <= n
     * divides it. Compute i * i in 64 bits (uint64_t): near 2^32 it would
     * overflow 32. */
    (void)n;
    return false;
}

/* The sum of the primes below n with the sieve of Eratosthenes. */
static uint64_t sum_primes_sieve(uint32_t n)
{
    if (n <= 2)
        return 0;
    uint64_t sum = 0;
    /* TODO(09.2): The sieve: composite = calloc(n, 1) (if NULL:
     * die_child("calloc"), safe in a child or a thread); for each i from 2
     * while i * i < n that is not yet crossed out, cross out its multiples
     * from i * i on (the smaller ones were crossed out by smaller primes);
     * then add up every i from 2 to n - 1 left standing, and free. About
     * n log log n steps instead of the naive n sqrt(n). */
    return sum;
}

uint64_t sum_primes(enum primes_algorithm alg, uint32_t n)
{
    if (alg == PRIMES_SIEVE)
        return sum_primes_sieve(n);
    uint64_t sum = 0;
    for (uint32_t x = 2; x < n; x++)
        if (is_prime_naive(x))
            sum += x;
    return sum;
}

void primes_serial(enum primes_algorithm alg, const uint32_t *ns, size_t count,
                   uint64_t *sums)
{
    for (size_t i = 0; i < count; i++)
        sums[i] = sum_primes(alg, ns[i]);
}

/* The tasks and where their answers go, as every worker sees them. */
struct board {
    enum primes_algorithm alg;
    const uint32_t *ns;  /* the tasks */
    const size_t *order; /* task indices, biggest n first */
    size_t count;        /* how many tasks */
    atomic_size_t *next; /* how many tasks have been taken: shared */
    atomic_size_t *done; /* how many tasks have been done: shared */
    uint64_t *sums;      /* sums[i] for ns[i]: shared */
};

/* Do task i, and count it: if two workers ever took the same task, more
 * tasks would be done than there are, and check_done() says so. */
static void do_task(const struct board *b, size_t i)
{
    b->sums[i] = sum_primes(b->alg, b->ns[i]);
    atomic_fetch_add(b->done, 1);
}

/* After the workers: every task done exactly once, or stop with an error. */
static void check_done(const struct board *b)
{
    size_t done = atomic_load(b->done);
    if (done != b->count)
        die_msg("%zu tasks were done for %zu tasks: each task must be taken "
                "by exactly one worker",
                done, b->count);
}

/* Fill order[0..count-1] with the indices of ns, biggest n first. */
static size_t *order_biggest_first(const uint32_t *ns, size_t count)
{
    size_t *order = malloc(count * sizeof *order);
    if (order == NULL)
        die("malloc");
    /* Insertion sort: a few dozen tasks, and no qsort context pointer. */
    for (size_t i = 0; i < count; i++) {
        size_t k = i;
        while (k > 0 && ns[order[k - 1]] < ns[i]) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    return order;
}

/* What a worker does, thread or process: take the next task until there
 * are none left. */
static void work_through(const struct board *b)
{
    /* TODO(09.3): Loop: k = atomic_fetch_add(b->next, 1) takes the next
     * task number - atomically, so that two workers never take the same
     * one and none is skipped; stop once k >= b->count; else do task
     * number b->order[k] with do_task(). */
    (void)b;
    (void)do_task;
}

static void *thread_main(void *arg)
{
    work_through(arg);
    return NULL;
}

void primes_threads(enum primes_algorithm alg, const uint32_t *ns, size_t count,
                    uint64_t *sums, int workers)
{
    atomic_size_t next = 0, done = 0;
    struct board b = {alg,   ns,  order_biggest_first(ns, count), count, &next,
                      &done, sums};
    pthread_t ids[PRIMES_WORKERS];
    /* TODO(09.4): Start `workers` threads running thread_main(&b), then
     * join them all (check each call: die_errnum). The threads share
     * `next` and `sums` simply by being threads of this process. */
    (void)ids;
    (void)workers;
    (void)thread_main;
    check_done(&b);
    free((void *)b.order);
}

/* What the processes share: the counter and the answers. */
struct shared {
    atomic_size_t next, done;
    uint64_t sums[]; /* one per task */
};

/* Fork `workers` children working through b; returns how many were
 * started (fewer only if a fork failed: *fork_err says why). */
static int start_workers(const struct board *b, int workers, pid_t *pids,
                         int *fork_err)
{
    *fork_err = 0;
    /* TODO(09.5): Fork `workers` children, keeping each pid in pids[w].
     * Each child runs work_through(b) and ends with _exit(0): the board
     * points into the MAP_SHARED mapping, so the counter and the sums
     * they write are the parent's too (ordinary memory would be copied at
     * fork, and the parent would see none of it). If a fork fails, set
     * *fork_err = errno and return how many were started: the caller
     * still waits for those (they finish the tasks between them), in
     * reap_workers(), your second part of this TODO. */
    (void)b;
    (void)pids;
    (void)workers;
    return 0;
}

/* Wait for the first `started` children; once all are reaped, stop with
 * a message naming the first that did not exit with status 0 and how it
 * ended (decoded from its status: "was killed by signal 9 (Killed)"). */
static void reap_workers(const pid_t *pids, int started)
{
    int failed = -1, failed_status = 0;
    /* TODO(09.5), continued: waitpid every child (all of them, even after
     * one failed: none may be left a zombie), and remember the first w
     * whose status is not a normal exit with status 0 (status_ok). */
    (void)pids;
    (void)started;
    if (failed != -1) {
        char how[64];
        die_msg("worker process %d %s", failed + 1,
                status_describe(failed_status, how, sizeof how));
    }
}

void primes_processes(enum primes_algorithm alg, const uint32_t *ns,
                      size_t count, uint64_t *sums, int workers)
{
    size_t size = sizeof(struct shared) + count * sizeof(uint64_t);
    struct shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        die("mmap");
    atomic_init(&sh->next, 0);
    atomic_init(&sh->done, 0);
    struct board b = {alg,     ns,        order_biggest_first(ns, count),
                      count,   &sh->next, &sh->done,
                      sh->sums};
    pid_t pids[PRIMES_WORKERS];
    if (fflush(stdout) == EOF) /* no copy of unwritten output in a child */
        die("fflush");
    int fork_err;
    int started = start_workers(&b, workers, pids, &fork_err);
    reap_workers(pids, started);
    if (fork_err != 0)
        die_errnum(fork_err, "fork");
    check_done(&b);
    for (size_t i = 0; i < count; i++)
        sums[i] = sh->sums[i];
    free((void *)b.order);
    if (munmap(sh, size) == -1)
        die("munmap");
}
