/*
 * queue.h - a bounded FIFO queue shared by processes: many producers, many
 * consumers, across fork().
 *
 * Python:  q = multiprocessing.Queue(maxsize); q.put(x); x = q.get();
 *          q.close()
 * C:       the queue lives in memory mapped MAP_SHARED | MAP_ANONYMOUS
 *          before fork(), so the parent and every child see the same
 *          bytes; a mutex and two condition variables, all marked
 *          PTHREAD_PROCESS_SHARED, live inside it and guard it.
 *
 *     struct queue *q = queue_create(64);     before any fork
 *     ... fork producers: queue_put(q, &item) ... _exit(0)
 *     ... fork consumers: while (queue_get(q, &item) == 0) use(item); _exit(0)
 *     wait for the producers; queue_close(q);  "no more items"
 *     wait for the consumers; queue_destroy(q);
 *
 * Items are copied in and out whole: a queue holds values, never pointers
 * (a pointer into one process's memory means nothing in another).
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <stddef.h>

#define QUEUE_TEXT_MAX 32             /* bytes of text in an item, with NUL */
#define QUEUE_CAPACITY_MAX (1L << 20) /* items; keeps the mapping < 64 MiB */
#define QUEUE_CLOSED (-1) /* put/get: the queue is closed (never an errno) */

/* What travels through the queue: a fixed-size value. */
struct queue_item {
    long key;                  /* who or where: a position, an item number */
    long value;                /* a number that travels with it */
    char text[QUEUE_TEXT_MAX]; /* a short message, NUL-terminated */
};

struct queue; /* defined in queue.c: callers only hold a pointer */

/* Create an empty queue for up to capacity items (1..QUEUE_CAPACITY_MAX)
 * in shared memory. Call it before fork(): the children inherit the
 * mapping and share the queue with their parent and with each other.
 * Returns the queue, or NULL with errno set (EINVAL for a bad capacity);
 * on failure nothing is left mapped. */
struct queue *queue_create(size_t capacity);

/* Append a copy of *item at the tail. While the queue is full, wait (no
 * busy loop) until a get makes room or the queue is closed.
 * Returns 0 when the item is in the queue, QUEUE_CLOSED if the queue is
 * (or becomes, while we wait) closed - the item is then not put - or a
 * pthread error number (> 0). */
int queue_put(struct queue *q, const struct queue_item *item);

/* Remove the item at the head and copy it to *item. While the queue is
 * empty and open, wait (no busy loop) until a put or a close.
 * Returns 0 with *item filled, QUEUE_CLOSED when the queue is closed AND
 * empty (items put before the close are all still delivered), or a
 * pthread error number (> 0). */
int queue_get(struct queue *q, struct queue_item *item);

/* Like queue_get, but wait at most `seconds` (>= 0) for an item - Python's
 * q.get(timeout=seconds). Returns what queue_get returns, or ETIMEDOUT if
 * the queue was still empty and open when the time ran out: the caller can
 * then look around (has the process that should put died?) and try again. */
int queue_get_timed(struct queue *q, struct queue_item *item, double seconds);

/* Say "no more items": every waiting and every later put returns
 * QUEUE_CLOSED; gets drain what is left, then return QUEUE_CLOSED. Wakes
 * every process waiting in put or get. Closing twice is harmless.
 * Returns 0 or a pthread error number. */
int queue_close(struct queue *q);

/* Release the queue: its lock, its conditions and its mapping. Call it
 * once, in the process that created it, when no other process will use
 * the queue again (children that have ended lose their copy of the
 * mapping by themselves). Returns 0 or an error number. */
int queue_destroy(struct queue *q);

#endif
