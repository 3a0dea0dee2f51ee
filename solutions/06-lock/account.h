/*
 * account.h - one shared number, updated by many workers, with a choice of
 * how (or whether) the updates are kept apart.
 *
 * Python:  balance = multiprocessing.Value('i', 100); with lock: ...
 * C:       a struct account placed where every worker sees it (a global for
 *          threads, mmap(MAP_SHARED | MAP_ANONYMOUS) memory for processes),
 *          and one of four ways to update it:
 *
 *   SYNC_NONE       load, add, store, with nothing around them: the race.
 *   SYNC_MUTEX      the same three steps inside pthread_mutex_lock/unlock
 *                   (Python's Lock); process-shared when workers are
 *                   processes.
 *   SYNC_SEMAPHORE  the same three steps between sem_wait and sem_post on a
 *                   POSIX semaphore that starts at 1.
 *   SYNC_ATOMIC     one atomic_fetch_add (stdatomic.h): the CPU does the
 *                   load, add and store as one indivisible step, no lock.
 *
 * The functions stop the program (die_child_errnum: safe in a forked child
 * and in a thread) if a call fails.
 */
#ifndef LAB06_ACCOUNT_H
#define LAB06_ACCOUNT_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>

enum account_sync { SYNC_NONE, SYNC_MUTEX, SYNC_SEMAPHORE, SYNC_ATOMIC };
#define ACCOUNT_SYNC_COUNT 4

struct account {
    enum account_sync sync;
    long balance;               /* the number, for NONE, MUTEX, SEMAPHORE */
    atomic_long atomic_balance; /* the number, for ATOMIC */
    pthread_mutex_t mutex;      /* MUTEX only */
    sem_t sem;                  /* SEMAPHORE only */
};

/* "none", "mutex", "semaphore", "atomic". */
const char *account_sync_name(enum account_sync sync);

/* Set *out from a name above; false if name is none of them. */
bool account_sync_parse(const char *name, enum account_sync *out);

/* Make *a an account holding start, updated the way sync says.
 * between_processes: the workers are processes sharing *a through
 * MAP_SHARED memory (the lock must then be process-shared), not threads. */
void account_init(struct account *a, enum account_sync sync,
                  bool between_processes, long start);

/* Add amount (negative to withdraw) to the balance. Called by many workers
 * at once; safe to do so for every sync but SYNC_NONE. */
void account_add(struct account *a, long amount);

/* The balance, once every worker has finished (joined or reaped). */
long account_balance(struct account *a);

/* Release what account_init set up. */
void account_destroy(struct account *a);

#endif
