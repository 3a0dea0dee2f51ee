/*
 * primes.h - the assignment's work: for each n of a list, the sum of the
 * primes below n; serially, with threads, and with processes, by two
 * algorithms.
 *
 * The tasks are very uneven: the sum below 2400000 costs about 80 times
 * the sum below 100000 with the naive test. Cutting the list into one
 * static chunk per worker would leave the worker with the big numbers
 * working alone at the end. So the workers here take tasks one at a time,
 * the biggest first, from a shared counter: whoever is free takes the
 * next one, and everybody finishes at about the same time.
 */
#ifndef PRIMES_H
#define PRIMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRIMES_WORKERS 64 /* threads or processes, at most */

enum primes_algorithm {
    PRIMES_NAIVE, /* the assignment's isPrime on every number below n */
    PRIMES_SIEVE, /* the sieve of Eratosthenes up to n */
};

/* The assignment's isPrime: n is prime when no i with 2 <= i and
 * i * i <= n divides it. */
bool is_prime_naive(uint32_t n);

/* The sum of the primes below n (0 for n <= 2), by the algorithm given.
 * The naive one tests every number with is_prime_naive; the sieve crosses
 * out the multiples of each prime instead. Exits with a message if the
 * sieve's memory cannot be had. */
uint64_t sum_primes(enum primes_algorithm alg, uint32_t n);

/* sums[i] = sum_primes(alg, ns[i]) for i in 0..count-1, one after another. */
void primes_serial(enum primes_algorithm alg, const uint32_t *ns, size_t count,
                   uint64_t *sums);

/* The same with `workers` threads (1..PRIMES_WORKERS) taking the tasks
 * biggest first from a shared atomic counter. Exits with a message if a
 * thread cannot be started. */
void primes_threads(enum primes_algorithm alg, const uint32_t *ns, size_t count,
                    uint64_t *sums, int workers);

/* The same with `workers` child processes; the counter and the sums live
 * in memory shared with the children (mmap). Every child is waited for;
 * exits with a message if a call fails or a child does. */
void primes_processes(enum primes_algorithm alg, const uint32_t *ns,
                      size_t count, uint64_t *sums, int workers);

#endif
