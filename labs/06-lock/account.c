/*
 * account.c - the four ways to update a shared balance (see account.h).
 *
 * Every version but SYNC_ATOMIC does the update as the three steps a CPU
 * really performs for `balance += amount`: load the value into a register,
 * add, store it back. Between the load and the store another worker may
 * store its own update, which this store then overwrites: an update is
 * lost. That is the race; a lock (or a semaphore used as one) makes the
 * three steps happen one worker at a time.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "account.h"
#include "errors.h"

static const char *const sync_names[ACCOUNT_SYNC_COUNT] = {
    [SYNC_NONE] = "none",
    [SYNC_MUTEX] = "mutex",
    [SYNC_SEMAPHORE] = "semaphore",
    [SYNC_ATOMIC] = "atomic",
};

const char *account_sync_name(enum account_sync sync)
{
    return sync_names[sync];
}

bool account_sync_parse(const char *name, enum account_sync *out)
{
    for (int i = 0; i < ACCOUNT_SYNC_COUNT; i++)
        if (strcmp(name, sync_names[i]) == 0) {
            *out = (enum account_sync)i;
            return true;
        }
    return false;
}

/* The unguarded update, written as its two memory accesses.
 *
 * Why not simply `*balance += amount`? At -O2 the compiler is free to turn
 * that into one read-modify-write instruction, and a loop of them into a
 * single addition of the total: the program would then look correct and
 * teach nothing. The race is real either way (C gives a data race no
 * meaning at all), so we make the compiler keep the load and the store
 * apart, as the lecture's three steps:
 *
 * atomic_signal_fence() is a compiler barrier only: it emits no
 * instruction and does not order anything between threads or processes
 * (it is NOT a fix). It forbids the compiler to move memory accesses
 * across it, so the load must happen before it and the store after it,
 * in every call. `balance` is a pointer into memory other workers write;
 * nothing here is volatile - volatile would not make it atomic or ordered
 * either. ThreadSanitizer sees the plain load and store and reports the
 * race when the workers are threads. */
static void add_unguarded(long *balance, long amount)
{
    long seen = *balance; /* 1. load */
    atomic_signal_fence(memory_order_seq_cst);
    *balance = seen + amount; /* 2. add, 3. store */
}

void account_init(struct account *a, enum account_sync sync,
                  bool between_processes, long start)
{
    memset(a, 0, sizeof *a);
    a->sync = sync;
    a->balance = start;
    atomic_init(&a->atomic_balance, start);
    if (sync == SYNC_MUTEX) {
        /* TODO(06.1): Initialise a->mutex. When the workers are processes
         * (between_processes), the mutex must be process-shared: make a
         * pthread_mutexattr_t, pthread_mutexattr_setpshared(&attr,
         * PTHREAD_PROCESS_SHARED), pthread_mutex_init(&a->mutex, &attr),
         * then pthread_mutexattr_destroy. For threads, PTHREAD_PROCESS_PRIVATE
         * (the default) is right. Every pthread call returns an error
         * number: check it with die_child_errnum.
         * Hint: a private mutex in shared memory seems to work, but a
         * process waiting for it may never be woken. */
        (void)between_processes;
    } else if (sync == SYNC_SEMAPHORE) {
        /* TODO(06.2): Initialise a->sem with sem_init: shared between
         * processes or not (its second argument: 1 or 0), starting at 1 -
         * one worker may be inside at a time, like a lock. sem_init returns
         * -1 and sets errno: check it with die_child. */
    }
}

void account_add(struct account *a, long amount)
{
    switch (a->sync) {
    case SYNC_NONE:
        add_unguarded(&a->balance, amount);
        break;
    case SYNC_MUTEX:
        /* TODO(06.3): The same update as SYNC_NONE, but inside the lock:
         * pthread_mutex_lock(&a->mutex), add_unguarded(&a->balance,
         * amount), pthread_mutex_unlock(&a->mutex). The lock must cover
         * both the load and the store. Check both calls (die_child_errnum).
         */
        break;
    case SYNC_SEMAPHORE:
        /* TODO(06.4): The same with the semaphore: sem_wait(&a->sem) (takes
         * the one unit, or waits for it), add_unguarded(...), sem_post(&a->sem)
         * (gives it back). sem_wait can fail with EINTR when a signal
         * arrives: then call it again. Check both (die_child). */
        break;
    case SYNC_ATOMIC:
        /* TODO(06.5): One indivisible read-modify-write on
         * a->atomic_balance: atomic_fetch_add. (An atomic_load followed by
         * an atomic_store is two atomic steps, with the same race between
         * them as SYNC_NONE.) */
        break;
    }
}

long account_balance(struct account *a)
{
    if (a->sync == SYNC_ATOMIC)
        return atomic_load(&a->atomic_balance);
    return a->balance;
}

void account_destroy(struct account *a)
{
    int err;
    if (a->sync == SYNC_MUTEX && (err = pthread_mutex_destroy(&a->mutex)) != 0)
        die_child_errnum(err, "pthread_mutex_destroy");
    if (a->sync == SYNC_SEMAPHORE && sem_destroy(&a->sem) == -1)
        die_child("sem_destroy");
}
