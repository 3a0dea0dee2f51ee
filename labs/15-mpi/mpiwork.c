/*
 * mpiwork.c - see mpiwork.h. The work of labs 08 and 09, spread over MPI
 * ranks.
 *
 * MPI calls are not checked one by one here, unlike system calls: an MPI
 * call that fails calls the communicator's error handler, which by
 * default (MPI_ERRORS_ARE_FATAL) prints what failed and ends every rank
 * of the job; the return value would never be seen.
 */
#include "mpiwork.h"

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

void factorize_naive(uint64_t n, struct factorization *out)
{
    out->n = n;
    out->count = 0;
    uint64_t p = 2;
    while (n > 1) {
        if (n % p == 0) {
            out->factors[out->count++] = p;
            n /= p;
        } else if (p * p >= n) {
            out->factors[out->count++] = n;
            return;
        } else {
            p += p == 2 ? 1 : 2;
        }
    }
}

uint64_t sum_primes_naive(uint32_t n)
{
    uint64_t sum = 0;
    for (uint32_t x = 2; x < n; x++) {
        bool prime = true;
        for (uint32_t i = 2; prime && (uint64_t)i * i <= x; i++)
            prime = x % i != 0;
        if (prime)
            sum += x;
    }
    return sum;
}

size_t factor_compare(const struct factorization *a,
                      const struct factorization *b, size_t count,
                      size_t *first)
{
    size_t differ = 0;
    for (size_t i = 0; i < count; i++) {
        bool same = a[i].n == b[i].n && a[i].count == b[i].count &&
                    a[i].count >= 0 && a[i].count <= FACTOR_MAX;
        for (int k = 0; same && k < a[i].count; k++)
            same = a[i].factors[k] == b[i].factors[k];
        if (!same) {
            if (differ == 0 && first != NULL)
                *first = i;
            differ++;
        }
    }
    return differ;
}

/* ---- the tests' fault hooks ---------------------------------------------- */

/* Whether the environment variable name names this rank (of the world). */
static bool hook_is_me(const char *name)
{
    const char *value = getenv(name);
    long target;
    if (value == NULL ||
        args_parse_long(value, 0, MPIWORK_MAX_RANKS - 1, &target) != ARGS_OK)
        return false;
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank == target;
}

/* Called by a rank as it starts a piece of work. */
static void hooks_before_work(void)
{
    if (hook_is_me("KIT_MPI_CRASH_RANK"))
        (void)raise(SIGKILL); /* a machine that dies: no message, no exit */
    if (hook_is_me("KIT_MPI_SLOW_RANK")) {
        struct timespec slow = {.tv_sec = 0, .tv_nsec = 300000000};
        while (nanosleep(&slow, &slow) == -1)
            continue; /* interrupted: sleep the rest */
    }
}

void factor_block(const uint64_t *block, size_t count,
                  struct factorization *out)
{
    if (count > 0)
        hooks_before_work();
    for (size_t i = 0; i < count; i++)
        factorize_naive(block[i], &out[i]);
    if (count > 0 && hook_is_me("KIT_MPI_WRONG_RANK")) {
        /* a wrong answer (4 is no prime): the check must catch it */
        out[0].count = 1;
        out[0].factors[0] = 4;
    }
}

uint64_t primes_task(uint32_t n)
{
    hooks_before_work();
    uint64_t sum = sum_primes_naive(n);
    return hook_is_me("KIT_MPI_WRONG_RANK") ? sum + 1 : sum;
}

/* ---- static blocks ----------------------------------------------------- */

void block_layout(size_t count, int ranks, int *counts, int *displs)
{
    /* TODO(15.3): Fill counts[r] and displs[r] for r = 0..ranks-1: every
     * rank gets count / ranks items, and the first count % ranks ranks one
     * more (31 items on 3 ranks: 11 10 10, starting at 0 11 21). displs[r]
     * is where rank r's block starts: the sum of the counts before it. No
     * item may be left out, none given twice. */
    for (int r = 0; r < ranks; r++)
        counts[r] = displs[r] = 0;
    (void)count;
}

/* malloc that stops the job if it fails; at least 1 byte (a rank may have
 * an empty block, and malloc(0) may return NULL). */
static void *alloc_or_die(size_t size)
{
    void *p = malloc(size > 0 ? size : 1);
    if (p == NULL)
        die("malloc");
    return p;
}

void mpi_factor_static(const uint64_t *nums, size_t count,
                       struct factorization *results, MPI_Comm comm)
{
    int rank, ranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    int counts[MPIWORK_MAX_RANKS], displs[MPIWORK_MAX_RANKS];
    block_layout(count, ranks, counts, displs);
    size_t mine = (size_t)counts[rank];
    uint64_t *block = alloc_or_die(mine * sizeof *block);
    struct factorization *answers = alloc_or_die(mine * sizeof *answers);
    /* TODO(15.4): Rank 0 sends every rank its block of nums with
     * MPI_Scatterv(nums, counts, displs, MPI_UINT64_T, block, counts[rank],
     * MPI_UINT64_T, 0, comm) (rank 0 keeps its own block: it works too);
     * every rank calls factor_block(block, mine, answers); then
     * MPI_Gatherv brings the answers to results on rank 0. The answers go
     * as MPI_BYTE, and Gatherv counts in units of its datatype: rank r
     * sends counts[r] * sizeof(struct factorization) bytes, which land at
     * byte displs[r] * sizeof(struct factorization) (make two more arrays).
     * Every rank must make the same collective calls in the same order. */
    (void)nums;
    (void)results;
    free(block);
    free(answers);
}

/* ---- dynamic hand-out: master and workers ------------------------------- */

void mpi_primes_worker(MPI_Comm comm)
{
    /* TODO(15.5): Loop: receive a message from rank 0 with any tag
     * (MPI_Recv(task, 2, MPI_UINT64_T, 0, MPI_ANY_TAG, comm, &status));
     * if status.MPI_TAG is TAG_STOP, return; otherwise task is
     * {index, n}: send {index, primes_task((uint32_t)n)} back to rank 0
     * with tag TAG_RESULT, and wait for the next message. The index
     * travels with the sum so that the master knows where it goes. */
    (void)comm;
}

/* Give worker the task i ({i, ns[i]}, tag TAG_WORK). */
static void send_task(const uint32_t *ns, size_t i, int worker, MPI_Comm comm)
{
    uint64_t task[2] = {i, ns[i]};
    MPI_Send(task, 2, MPI_UINT64_T, worker, TAG_WORK, comm);
}

/* Tell worker there is nothing more (an empty message, tag TAG_STOP). */
static void send_stop(int worker, MPI_Comm comm)
{
    MPI_Send(NULL, 0, MPI_UINT64_T, worker, TAG_STOP, comm);
}

/* Wait (quietly) for the next result from any worker: {index, sum} in
 * result; returns the worker's rank. */
/* NOLINTBEGIN(clang-analyzer-optin.mpi.MPI-Checker): mpi_quiet_wait is
 * this request's wait (MPI_Test in a loop), which the checker cannot see. */
static int receive_result(uint64_t result[2], MPI_Comm comm)
{
    MPI_Request req;
    MPI_Status status;
    MPI_Irecv(result, 2, MPI_UINT64_T, MPI_ANY_SOURCE, TAG_RESULT, comm, &req);
    mpi_quiet_wait(&req, &status);
    return status.MPI_SOURCE;
}
/* NOLINTEND(clang-analyzer-optin.mpi.MPI-Checker) */

void mpi_primes_master(const uint32_t *ns, size_t count, uint64_t *sums,
                       MPI_Comm comm)
{
    int ranks;
    MPI_Comm_size(comm, &ranks);
    size_t next = count; /* tasks count-1, count-2, ... 0 are left */
    /* TODO(15.6): First give every worker w (1..ranks-1) one task, the
     * biggest first (send_task(ns, --next, w, comm)), or send_stop(w,
     * comm) when no task is left. Then, until count results are back:
     * receive_result(result, comm) gives {index, sum} and the worker that
     * sent it; store sums[index] (an index >= count is garbage: mpi_die);
     * give THAT worker the next task, or send_stop when none is left. A
     * fast worker thus comes back for more while a slow one is busy:
     * dynamic hand-out. Every worker gets exactly one stop. */
    (void)ns;
    (void)sums;
    (void)next;
    (void)send_task;
    (void)send_stop;
    (void)receive_result;
}

/* ---- waiting without burning a core ------------------------------------ */

void mpi_quiet_wait(MPI_Request *req, MPI_Status *status)
{
    int done = 0;
    for (;;) {
        MPI_Test(req, &done, status);
        if (done)
            return;
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 1000000};
        (void)nanosleep(&pause, NULL); /* cut short by a signal: check now */
    }
}

void mpi_quiet_barrier(MPI_Comm comm)
{
    MPI_Request req;
    MPI_Ibarrier(comm, &req);
    mpi_quiet_wait(&req, MPI_STATUS_IGNORE);
}

/* ---- the command line, read by every rank ------------------------------ */

static bool parsing; /* between mpi_args_begin and mpi_args_end */
static int saved_fds[2] = {-1, -1}; /* rank > 0: its stdout and stderr */

static void finalize_if_parsing(void)
{
    if (parsing)
        MPI_Finalize();
}

void mpi_args_begin(void)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (atexit(finalize_if_parsing) != 0)
        die_msg("atexit failed");
    parsing = true;
    if (rank == 0)
        return;
    int null = open("/dev/null", O_WRONLY);
    if (null == -1)
        die("/dev/null");
    for (int fd = 1; fd <= 2; fd++) {
        if ((saved_fds[fd - 1] = dup(fd)) == -1)
            die("dup");
        if (dup2(null, fd) == -1)
            die("dup2");
    }
    if (close(null) == -1)
        die("close");
}

void mpi_args_end(void)
{
    parsing = false;
    for (int fd = 1; fd <= 2; fd++) {
        if (saved_fds[fd - 1] == -1)
            continue;
        if (dup2(saved_fds[fd - 1], fd) == -1)
            die("dup2");
        if (close(saved_fds[fd - 1]) == -1)
            die("close");
        saved_fds[fd - 1] = -1;
    }
}

bool mpi_verdict(bool ok, MPI_Comm comm)
{
    int verdict = ok;
    MPI_Bcast(&verdict, 1, MPI_INT, 0, comm);
    return verdict != 0;
}

void mpi_finish(int status)
{
    (void)fflush(stdout);
    MPI_Finalize();
    exit(status);
}

void mpi_die(const char *fmt, ...)
{
    (void)fflush(stdout);
    (void)fprintf(stderr, "%s: ", errors_progname());
    va_list ap;
    va_start(ap, fmt);
    (void)vfprintf(stderr, fmt, ap);
    va_end(ap);
    (void)fprintf(stderr, "\n");
    (void)fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE);
    exit(EXIT_FAILURE); /* MPI_Abort does not return; the compiler cannot
                           know it */
}
