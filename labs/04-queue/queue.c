/*
 * queue.c - the bounded multi-producer, multi-consumer queue of queue.h.
 *
 * The whole queue - bookkeeping, lock, conditions and the ring of items -
 * is one block of shared memory:
 *
 *     +------+----------+-----------+----------------------------------+
 *     | lock | not_full | not_empty | head count capacity closed items[]|
 *     +------+----------+-----------+----------------------------------+
 *
 * The items form a ring: the oldest is items[head], the next free slot is
 * items[(head + count) % capacity]. Every read or write of head, count,
 * closed and items[] happens with the lock held. Two conditions say what
 * a waiter waits for: producers wait on not_full, consumers on not_empty.
 *
 * Three rules of condition variables that the code below follows, and
 * that the lab's tests check:
 *   - wait in a while loop, never an if: being woken is a hint, not a
 *     promise (another process may have taken the item first, and wakeups
 *     can be spurious);
 *   - signal (wake one) after a put or a get: one item or one free slot
 *     can satisfy one waiter;
 *   - broadcast (wake all) on close: every waiter must see it.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS; NOLINT(bugprone-reserved-identifier) \
                         */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>

struct queue {
    pthread_mutex_t lock;      /* guards every field below */
    pthread_cond_t not_full;   /* a put waits here for a free slot */
    pthread_cond_t not_empty;  /* a get waits here for an item */
    size_t map_size;           /* bytes mapped, for munmap */
    size_t capacity;           /* slots in items[] */
    size_t head;               /* index of the oldest item */
    size_t count;              /* items in the queue, 0..capacity */
    bool closed;               /* queue_close() was called */
    struct queue_item items[]; /* the ring (a flexible array member) */
};

/* Make the lock and the two conditions usable by every process that shares
 * the mapping. Returns 0 or a pthread error number. */
static int init_sync(struct queue *q)
{
    /* TODO(04.2): Initialise q->lock with a pthread_mutexattr_t, and
     * q->not_full and q->not_empty with a pthread_condattr_t, each attribute
     * set to PTHREAD_PROCESS_SHARED (pthread_mutexattr_setpshared,
     * pthread_condattr_setpshared). Without it the lock and the conditions
     * are private to one process: a wakeup sent by one process may never
     * reach a waiter in another. Destroy the attribute objects when done.
     * Return the first error number a call returned, or 0.
     * Hint: int err = pthread_mutexattr_init(&ma); if (err != 0) return err;
     */
    (void)q;
    return 0;
}

struct queue *queue_create(size_t capacity)
{
    if (capacity == 0 || capacity > (size_t)QUEUE_CAPACITY_MAX) {
        errno = EINVAL;
        return NULL;
    }
    size_t size = sizeof(struct queue) + capacity * sizeof(struct queue_item);

    /* TODO(04.1): Map size bytes of memory that this process and the
     * children it forks later will SHARE: mmap with PROT_READ | PROT_WRITE
     * and MAP_SHARED | MAP_ANONYMOUS (no file: fd -1, offset 0). On failure
     * mmap returns MAP_FAILED (not NULL) with errno set: return NULL then.
     * A MAP_PRIVATE mapping would compile and run, but after fork every
     * process would have its own copy of the queue. (An anonymous mapping
     * has no name in /dev/shm: it disappears with the last process using
     * it, even after a crash or a Ctrl-C.) */
    struct queue *q = NULL;
    errno = ENOSYS; // remove these two lines once q is mapped
    return NULL;

    /* A fresh anonymous mapping is all zeros: head, count, closed start
     * at 0, false. */
    q->map_size = size;
    q->capacity = capacity;
    int err = init_sync(q);
    if (err != 0) {
        if (munmap(q, size) == -1)
            return NULL; /* errno from munmap */
        errno = err;
        return NULL;
    }
    return q;
}

int queue_put(struct queue *q, const struct queue_item *item)
{
    /* TODO(04.3): With q->lock held: WHILE the queue is full and not
     * closed, wait on q->not_full (pthread_cond_wait releases the lock while
     * it sleeps and takes it back before returning). Then, if the queue is
     * closed, the result is QUEUE_CLOSED; otherwise copy *item into the
     * slot after the last item, count it, and signal q->not_empty (one
     * item can feed one waiting consumer). Unlock on every path, and return
     * 0, QUEUE_CLOSED, or the first pthread error number.
     * Hint: the free slot is q->items[(q->head + q->count) % q->capacity]. */
    (void)q;
    (void)item;
    return ENOSYS;
}

/* Take the head item, waiting while the queue is empty and open - until
 * *deadline (CLOCK_REALTIME, the clock of a default condition variable),
 * or for ever when deadline is NULL. queue_get and queue_get_timed share
 * it. */
static int get_until(struct queue *q, struct queue_item *item,
                     const struct timespec *deadline)
{
    /* TODO(04.4): The mirror image of queue_put, with q->lock held: WHILE
     * the queue is empty and not closed, wait on q->not_empty (with no
     * deadline, pthread_cond_wait; with one, pthread_cond_timedwait, which
     * returns ETIMEDOUT - with the lock held again - when time is up: leave
     * the loop and return that). Then, if it is still empty, it was closed:
     * the result is QUEUE_CLOSED. Otherwise copy q->items[q->head] to *item,
     * advance head (around the ring), uncount it, and signal q->not_full.
     * Unlock on every path.
     * Note the order: a closed queue still hands out what it holds; only a
     * closed AND empty queue says QUEUE_CLOSED. */
    (void)q;
    (void)item;
    (void)deadline;
    return ENOSYS;
}

int queue_get(struct queue *q, struct queue_item *item)
{
    return get_until(q, item, NULL);
}

int queue_get_timed(struct queue *q, struct queue_item *item, double seconds)
{
    struct timespec deadline;
    if (clock_gettime(CLOCK_REALTIME, &deadline) == -1)
        return errno;
    long ns =
        deadline.tv_nsec + (long)((seconds - (double)(long)seconds) * 1e9);
    deadline.tv_sec += (time_t)seconds + ns / 1000000000L;
    deadline.tv_nsec = ns % 1000000000L;
    return get_until(q, item, &deadline);
}

int queue_close(struct queue *q)
{
    /* TODO(04.5): With q->lock held, set q->closed, then wake EVERY waiter:
     * pthread_cond_broadcast on both conditions (a signal would wake one
     * consumer and leave the others asleep forever). Unlock; return 0 or
     * the first pthread error number. */
    (void)q;
    return ENOSYS;
}

int queue_destroy(struct queue *q)
{
    /* TODO(04.6): Destroy the two conditions and the lock
     * (pthread_cond_destroy, pthread_mutex_destroy), then unmap the whole
     * block: munmap(q, q->map_size) - read map_size BEFORE unmapping.
     * Return the first error: a pthread error number, or errno if munmap
     * failed. */
    (void)q;
    return ENOSYS;
}
