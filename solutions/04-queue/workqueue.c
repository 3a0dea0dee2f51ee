/*
 * workqueue.c - a work queue feeding many workers, and a clean way to say
 * "no more work".
 *
 * Python:  work_queue = Queue(); for i in range(0, 200000, 500):
 *          work_queue.put(i); then 8 processes each get() items until the
 *          queue is empty.
 * C:       P producer processes put N numbered items into one bounded
 *          queue; C consumer processes get items until queue_get says the
 *          queue is closed and empty. The parent closes the queue once
 *          every producer has ended - "empty" alone means nothing while a
 *          producer may still put. Each consumer reports how many items it
 *          got and a checksum of them through a second queue; the parent
 *          checks that every item arrived exactly once.
 *
 * Usage:   workqueue [-p producers] [-c consumers] [-n items] [-q capacity]
 *                    [-e count]
 *          -p producers  1..16 (default 1)
 *          -c consumers  1..16 (default 8)
 *          -n items      1..10000000 (default 400: 0, 500, ... 199500)
 *          -q capacity   queue slots, 1..1048576 (default 16)
 *          -e count      consumer 1 ends early, after count items
 *                        (default: it does not)
 *
 * Observe: the items spread over the consumers unevenly and differently
 *          each run; the total and the checksum are always right.
 * Try:     workqueue -c 1 -e 5 (the only consumer leaves: the producers
 *          must not wait forever for room in a queue nobody empties).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "queue.h"

#define USAGE                                                                  \
    "[-p producers] [-c consumers] [-n items] [-q capacity] [-e count]"
#define MAX_PROCS 16
#define STEP 500 /* the lecture's range(0, 200000, 500) */

/* A checksum term per item: a 64-bit mix of its number (splitmix64's
 * finaliser). Summed over the items a consumer got, it does not depend on
 * their order, and a lost or a doubled item changes it. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* Producer p of count: put items p, p + count, p + 2 count, ... below n.
 * Runs in the child. A closed queue means no consumer is left: stop. */
static void producer(struct queue *work, long p, long count, long n)
{
    long put = 0;
    for (long k = p; k < n; k += count) {
        struct queue_item item = {.key = k, .value = k * STEP};
        int err = queue_put(work, &item);
        if (err == QUEUE_CLOSED) {
            printf("producer %ld: queue closed after %ld items\n", p + 1, put);
            break;
        }
        if (err != 0)
            die_child_errnum(err, "queue_put");
        put++;
    }
    if (fflush(stdout) == EOF)
        die_child("fflush");
}

/* Consumer c (0-based): get items until the queue is closed and empty, or,
 * for the consumer told to end early, until it has had `early` items (-1:
 * never). Then send (c, items got, checksum as hex text) to results.
 * Runs in the child. */
static void consumer(struct queue *work, struct queue *results, long c,
                     long early)
{
    long got = 0;
    uint64_t sum = 0;
    /* TODO(04.9): Loop: queue_get(work, &item); on QUEUE_CLOSED leave the
     * loop (no more work, ever); on another non-zero result
     * die_child_errnum(err, "queue_get"); otherwise count the item (got++)
     * and add mix((uint64_t)item.key) to sum. Before each get, stop if
     * early >= 0 and got == early (this consumer ends early). */
    /* BEGIN SOLUTION */
    while (early < 0 || got < early) {
        struct queue_item item;
        int err = queue_get(work, &item);
        if (err == QUEUE_CLOSED)
            break;
        if (err != 0)
            die_child_errnum(err, "queue_get");
        got++;
        sum += mix((uint64_t)item.key);
    }
    /* END SOLUTION */
    /* STARTER
    (void)work;
    (void)early;
    STARTER */
    struct queue_item result = {.key = c, .value = got};
    if (snprintf(result.text, sizeof result.text, "%016" PRIx64, sum) < 0)
        die_child("snprintf");
    int err = queue_put(results, &result);
    if (err != 0)
        die_child_errnum(err == QUEUE_CLOSED ? EPIPE : err, "queue_put");
}

/* Index of pid in pids[0..count), or -1. */
static long find_pid(const pid_t *pids, long count, pid_t pid)
{
    for (long i = 0; i < count; i++)
        if (pids[i] == pid)
            return i;
    return -1;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    long producers = 1, consumers = 8, n = 400, capacity = 16, early = -1;
    int opt;
    while ((opt = getopt(argc, argv, "p:c:n:q:e:")) != -1) {
        switch (opt) {
        case 'p':
            producers = arg_long(optarg, 1, MAX_PROCS, "producers", USAGE);
            break;
        case 'c':
            consumers = arg_long(optarg, 1, MAX_PROCS, "consumers", USAGE);
            break;
        case 'n':
            n = arg_long(optarg, 1, 10000000, "items", USAGE);
            break;
        case 'q':
            capacity =
                arg_long(optarg, 1, QUEUE_CAPACITY_MAX, "capacity", USAGE);
            break;
        case 'e':
            early = arg_long(optarg, 0, 10000000, "count", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);

    struct queue *work = queue_create((size_t)capacity);
    if (work == NULL)
        die("queue_create");
    struct queue *results = queue_create((size_t)consumers);
    if (results == NULL)
        die("queue_create");
    printf("workqueue: %ld producer(s), %ld consumer(s), %ld items, queue of "
           "%ld slots\n",
           producers, consumers, n, capacity);
    if (fflush(stdout) == EOF)
        die("fflush");

    pid_t prod[MAX_PROCS], cons[MAX_PROCS];
    for (long c = 0; c < consumers; c++) {
        if ((cons[c] = fork()) == -1)
            die("fork");
        if (cons[c] == 0) {
            consumer(work, results, c, c == 0 ? early : -1);
            _exit(EXIT_SUCCESS);
        }
    }
    for (long p = 0; p < producers; p++) {
        if ((prod[p] = fork()) == -1)
            die("fork");
        if (prod[p] == 0) {
            producer(work, p, producers, n);
            _exit(EXIT_SUCCESS);
        }
    }

    long failed = 0;
    /* TODO(04.10): Reap every child, in the order they end: waitpid(-1,
     * &status, 0), then find_pid() in prod or cons. Count a child that did
     * not exit with status 0 in failed. Close the work queue (queue_close,
     * once) as soon as EITHER
     *   - the last producer has ended: print
     *     "parent: every producer is done: closing the queue"; the consumers
     *     then drain what is left and see QUEUE_CLOSED; or
     *   - the last consumer has ended while a producer still runs: print
     *     "parent: no consumer left: closing the queue"; producers blocked
     *     in put on a full queue would otherwise wait forever.
     * Flush stdout after each line. */
    /* BEGIN SOLUTION */
    long producers_left = producers, consumers_left = consumers;
    bool closed = false;
    while (producers_left + consumers_left > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid == -1)
            die("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
        const char *why = NULL;
        if (find_pid(prod, producers, pid) >= 0) {
            if (--producers_left == 0)
                why = "every producer is done";
        } else if (find_pid(cons, consumers, pid) >= 0) {
            if (--consumers_left == 0 && producers_left > 0)
                why = "no consumer left";
        }
        if (why != NULL && !closed) {
            printf("parent: %s: closing the queue\n", why);
            if (fflush(stdout) == EOF)
                die("fflush");
            int err = queue_close(work);
            if (err != 0)
                die_errnum(err, "queue_close");
            closed = true;
        }
    }
    /* END SOLUTION */
    /* STARTER
    (void)find_pid;
    STARTER */

    /* Every consumer has ended, so every result is in the results queue:
     * close it and drain it. */
    int err = queue_close(results);
    if (err != 0)
        die_errnum(err, "queue_close");
    long got[MAX_PROCS] = {0}, total = 0;
    uint64_t sum = 0;
    struct queue_item r;
    while ((err = queue_get(results, &r)) == 0) {
        char *end;
        r.text[QUEUE_TEXT_MAX - 1] = '\0';
        errno = 0;
        unsigned long long s = strtoull(r.text, &end, 16);
        if (r.key < 0 || r.key >= consumers || *end != '\0' || errno != 0) {
            (void)fprintf(stderr, "workqueue: a consumer sent a bad result\n");
            exit(EXIT_FAILURE);
        }
        got[r.key] = r.value;
        total += r.value;
        sum += (uint64_t)s;
    }
    if (err != QUEUE_CLOSED)
        die_errnum(err, "queue_get");
    for (long c = 0; c < consumers; c++)
        printf("consumer %ld: %ld items\n", c + 1, got[c]);

    uint64_t want = 0;
    for (long k = 0; k < n; k++)
        want += mix((uint64_t)k);
    if (total == n)
        printf("total: %ld of %ld items delivered, checksum %s\n", total, n,
               sum == want ? "ok" : "WRONG");
    else
        printf("total: %ld of %ld items delivered, %ld %s\n", total, n,
               labs(n - total), total < n ? "missing" : "too many");
    if ((err = queue_destroy(work)) != 0 || (err = queue_destroy(results)) != 0)
        die_errnum(err, "queue_destroy");
    /* stdout first: in a pipe it is buffered, and the report must come
     * before the complaint. */
    if (fflush(stdout) == EOF)
        die("fflush");
    if (failed > 0)
        (void)fprintf(stderr, "workqueue: %ld process(es) failed\n", failed);
    if (total != n || sum != want || failed > 0) {
        (void)fprintf(stderr,
                      "workqueue: not every item arrived exactly once\n");
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
