/*
 * mpiwork.h - the lecture's two workloads across MPI ranks: the
 * factorization in static blocks (scatter, compute, gather) and the
 * assignment's prime sums handed out one task at a time by a master rank
 * (master/worker), with the serial versions every answer is checked
 * against.
 *
 * Every rank runs the same program; MPI_Comm_rank tells each which part
 * it plays. Nothing is shared: the numbers travel to the ranks in
 * messages and the answers come back in messages, as with lab 08's child
 * processes and their pipe, except that the ranks may be on other
 * machines.
 */
#ifndef MPIWORK_H
#define MPIWORK_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FACTOR_MAX 64 /* a 64-bit number has at most 63 prime factors */
#define MPIWORK_MAX_RANKS 256

/* The prime factors of n, smallest first, with repeats: 12 = 2 * 2 * 3.
 * Sent between ranks as plain bytes: the ranks of one job run the same
 * binary on machines of one kind (see the handout for mixed clusters). */
struct factorization {
    uint64_t n;
    int count; /* how many factors; 0 for n < 2 */
    uint64_t factors[FACTOR_MAX];
};

/* ---- the work itself (serial; as in labs 08 and 09) -------------------- */

/* Factorize n by naive trial division (lab 08's factorize_naive). */
void factorize_naive(uint64_t n, struct factorization *out);

/* The sum of the primes below n with the assignment's naive test. */
uint64_t sum_primes_naive(uint32_t n);

/* How many entries of two tables of count factorizations differ; the
 * index of the first in *first (when there is one). */
size_t factor_compare(const struct factorization *a,
                      const struct factorization *b, size_t count,
                      size_t *first);

/* ---- the rank's share of the work (with the tests' fault hooks) -------- */

/* Factorize block[0..count-1] into out: the work of one rank. Every rank
 * calls it on its own block. The tests' hooks act here: with
 * KIT_MPI_CRASH_RANK=r rank r kills itself with SIGKILL (a machine that
 * dies mid-job); with KIT_MPI_WRONG_RANK=r rank r gets its first answer
 * wrong. */
void factor_block(const uint64_t *block, size_t count,
                  struct factorization *out);

/* sum_primes_naive(n) as one task of a worker rank, with the same hooks
 * and KIT_MPI_SLOW_RANK=r (rank r sleeps 300 ms per task: a slow
 * machine). */
uint64_t primes_task(uint32_t n);

/* ---- static blocks: scatter, factor, gather ------------------------- */

/* Split count items into ranks consecutive blocks as even as can be (the
 * first count % ranks blocks get one item more): rank r gets counts[r]
 * items starting at displs[r]. ranks is 1..MPIWORK_MAX_RANKS. */
void block_layout(size_t count, int ranks, int *counts, int *displs);

/* Collective over comm: rank 0 holds nums[0..count-1] (other ranks pass
 * NULL, and count, which every rank knows); each rank factorizes its
 * block (factor_block), and rank 0 receives every answer, in order, in
 * results[0..count-1] (other ranks pass NULL). */
void mpi_factor_static(const uint64_t *nums, size_t count,
                       struct factorization *results, MPI_Comm comm);

/* ---- dynamic hand-out: master and workers ---------------------------- */

/* The message tags of the protocol. */
enum { TAG_WORK = 1, TAG_RESULT = 2, TAG_STOP = 3 };

/* Rank 0 of comm, the master (comm has at least 2 ranks): hands the tasks
 * ns[0..count-1] out one at a time, the biggest (last) first, each to a
 * worker that is free, until every sum is back in sums[i]; then tells
 * every worker to stop. Computes nothing itself. */
void mpi_primes_master(const uint32_t *ns, size_t count, uint64_t *sums,
                       MPI_Comm comm);

/* Every other rank of comm: takes tasks from the master, sends back each
 * sum, and returns when the master says stop. */
void mpi_primes_worker(MPI_Comm comm);

/* ---- waiting without burning a core ---------------------------------- */

/* Wait for req like MPI_Wait, but sleeping 1 ms between checks: MPICH
 * waits by polling, which would take a core from the ranks at work when
 * there are more ranks than cores. */
void mpi_quiet_wait(MPI_Request *req, MPI_Status *status);

/* MPI_Barrier over comm, waiting quietly (mpi_quiet_wait). */
void mpi_quiet_barrier(MPI_Comm comm);

/* ---- the command line, read by every rank ------------------------------ */

/* Every rank parses the same arguments with the kit's parsers (common/
 * args.h), which print a message and exit on -h or bad input. Between
 * mpi_args_begin() and mpi_args_end() only rank 0 of the world prints
 * (the others' stdout and stderr go to /dev/null, so a usage message
 * appears once, not once per rank), and a rank that exits calls
 * MPI_Finalize first (every rank exits the same way, as every rank reads
 * the same arguments; Open MPI reports a rank that exits without it). */
void mpi_args_begin(void);
void mpi_args_end(void);

/* Collective over comm: every rank learns rank 0's verdict ok (the other
 * ranks' argument is ignored). A wrong answer found by rank 0 is not a
 * crash: every rank ends normally (MPI_Finalize) with the same status,
 * and mpirun exits with it; MPI_Abort is for what cannot wait. */
bool mpi_verdict(bool ok, MPI_Comm comm);

/* MPI_Finalize, then exit with status (every rank of the job). */
_Noreturn void mpi_finish(int status);

/* Stop the whole job: print "prog: message" on stderr and call
 * MPI_Abort (every rank of the job ends, mpirun exits non-zero). */
_Noreturn void mpi_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
