/*
 * factor.h - factorize a list of numbers by trial division: serially, with
 * threads, and with processes, and check that the answers agree.
 *
 * Every variant fills the same kind of table: results[i] is the
 * factorization of nums[i]. How each variant gets its results into that
 * table is the lesson: threads write it directly (they share the memory),
 * child processes cannot (their writes go to their own copy) and send
 * their results back to the parent through a pipe.
 */
#ifndef FACTOR_H
#define FACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FACTOR_MAX 64     /* a 64-bit number has at most 63 prime factors */
#define FACTOR_WORKERS 64 /* threads or processes, at most */

/* The prime factors of n, smallest first, with repeats: 12 = 2 * 2 * 3. */
struct factorization {
    uint64_t n;
    int count; /* how many factors; 0 for n < 2 */
    uint64_t factors[FACTOR_MAX];
};

/* Factorize n by naive trial division (the lecture's factorize_naive):
 * try 2, then 3, then every odd number, dividing out each divisor found;
 * stop when the divisor squared passes what is left of n, which is then
 * prime. Fills *out (out->n = n). */
void factorize_naive(uint64_t n, struct factorization *out);

/* Factorize nums[0..count-1] into results[0..count-1], one after another. */
void factor_serial(const uint64_t *nums, size_t count,
                   struct factorization *results);

/* The same with `workers` threads (1..FACTOR_WORKERS), each given one
 * static chunk of ceil(count / workers) consecutive numbers, as in the
 * lecture. Exits with a message if a thread cannot be started. */
void factor_threads(const uint64_t *nums, size_t count,
                    struct factorization *results, int workers);

/* The same with `workers` child processes, each given one static chunk;
 * the children send their factorizations back through a pipe. Every child
 * is waited for; exits with a message if a call fails or a child does. */
void factor_processes(const uint64_t *nums, size_t count,
                      struct factorization *results, int workers);

/* Compare two tables of count factorizations. Returns how many entries
 * differ (a different n, count, or any factor), and stores the index of
 * the first that differs in *first (when first is not NULL and there is
 * one). */
size_t factor_compare(const struct factorization *a,
                      const struct factorization *b, size_t count,
                      size_t *first);

/* Whether f's factors multiply back to f->n (without overflow). A cheap
 * check that an answer is at least a factorization; not that the factors
 * are prime. */
bool factor_multiplies_back(const struct factorization *f);

#endif
