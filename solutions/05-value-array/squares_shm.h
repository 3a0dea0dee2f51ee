/*
 * squares_shm.h - the layout of the named shared-memory object that
 * shm_squares creates and shm_worker fills.
 *
 * Two programs that share memory by name must agree on what is in it,
 * byte for byte: this header is that agreement. The object holds no
 * pointers - each process maps it at an address of its own - only plain
 * numbers, and one atomic flag.
 */
#ifndef LAB05_SQUARES_SHM_H
#define LAB05_SQUARES_SHM_H

#include <stdatomic.h>

#include "numbers.h"

/* The default name is SQUARES_SHM_PREFIX followed by the owner's pid, so
 * that two runs at the same time never pick the same object. */
#define SQUARES_SHM_PREFIX "/lab05-squares-"
#define SQUARES_SHM_NAME_MAX 200 /* longest name we accept, with its '/' */

struct squares_shm {
    /* Set to 1 by the worker after it has written everything else. An
     * atomic store/load pair, so that a reader who sees 1 also sees the
     * squares written before it (lock-free atomics work across processes:
     * they are plain instructions on the shared memory). */
    atomic_int done;
    int count;                /* how many numbers, 1..NUMBERS_MAX */
    int numbers[NUMBERS_MAX]; /* written by the owner */
    int squares[NUMBERS_MAX]; /* Array('i', count): written by the worker */
    int sum;                  /* Value('i'): written by the worker */
};

#endif
