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
 *                    [-e count] [-k count]
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
 *          must not wait forever for room in a queue nobody empties);
 *          workqueue -k 5 (a consumer crashes with items in hand: the
 *          parent says how it ended, and the count shows what was lost).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
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
#include "status.h"

#define USAGE                                                                  \
    "[-p producers] [-c consumers] [-n items] [-q capacity] [-e count] "       \
    "[-k count]"
#define MAX_PROCS 16
#define STEP 500 /* the lecture's range(0, 200000, 500) */

struct args {
    long producers, consumers, n, capacity;
    long early; /* -e: consumer 1 ends after this many items, or -1 */
    long crash; /* -k: consumer 1 crashes after this many items, or -1 */
};

/* The children that were started (a failed fork may leave fewer). */
struct children {
    pid_t prod[MAX_PROCS], cons[MAX_PROCS];
    long producers, consumers;
};

static struct args parse_args(int argc, char *argv[])
{
    struct args a = {.producers = 1,
                     .consumers = 8,
                     .n = 400,
                     .capacity = 16,
                     .early = -1,
                     .crash = -1};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "p:c:n:q:e:k:h")) != -1) {
        switch (opt) {
        case 'p':
            a.producers = arg_long(optarg, 1, MAX_PROCS, "producers", USAGE);
            break;
        case 'c':
            a.consumers = arg_long(optarg, 1, MAX_PROCS, "consumers", USAGE);
            break;
        case 'n':
            a.n = arg_long(optarg, 1, 10000000, "items", USAGE);
            break;
        case 'q':
            a.capacity =
                arg_long(optarg, 1, QUEUE_CAPACITY_MAX, "capacity", USAGE);
            break;
        case 'e':
            a.early = arg_long(optarg, 0, 10000000, "count", USAGE);
            break;
        case 'k':
            a.crash = arg_long(optarg, 0, 10000000, "count", USAGE);
            break;
        case 'h':
            args_help(USAGE);
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return a;
}

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
 * never). Then send (c, items got, checksum as hex text) to results - or,
 * told to crash, die instead (it ends "early" at the crash).
 * Runs in the child. */
static void consumer(struct queue *work, struct queue *results, long c,
                     long early, bool crash)
{
    long got = 0;
    uint64_t sum = 0;
    /* TODO(04.9): Loop: queue_get(work, &item); on QUEUE_CLOSED leave the
     * loop (no more work, ever); on another non-zero result
     * die_child_errnum(err, "queue_get"); otherwise count the item (got++)
     * and add mix((uint64_t)item.key) to sum. Before each get, stop if
     * early >= 0 and got == early (this consumer ends early). */
    (void)work;
    (void)early;
    if (crash)
        (void)raise(SIGKILL); /* -k: a crash with items in hand */
    struct queue_item result = {.key = c, .value = got};
    if (snprintf(result.text, sizeof result.text, "%016" PRIx64, sum) < 0)
        die_child("snprintf");
    int err = queue_put(results, &result);
    if (err != 0)
        die_child_errnum(err == QUEUE_CLOSED ? EPIPE : err, "queue_put");
}

/* Fork the consumers, then the producers, counting them in *kids. Returns
 * false if a fork failed (said on stderr): the children started so far
 * run on, and the caller must stop and reap them. */
static bool start_children(struct queue *work, struct queue *results,
                           const struct args *a, struct children *kids)
{
    kids->producers = kids->consumers = 0;
    for (long c = 0; c < a->consumers; c++) {
        pid_t pid = fork();
        if (pid == -1) {
            warn_errno("fork");
            return false;
        }
        if (pid == 0) {
            bool crash = c == 0 && a->crash >= 0;
            consumer(work, results, c,
                     crash ? a->crash : (c == 0 ? a->early : -1), crash);
            _exit(EXIT_SUCCESS);
        }
        kids->cons[kids->consumers++] = pid;
    }
    for (long p = 0; p < a->producers; p++) {
        pid_t pid = fork();
        if (pid == -1) {
            warn_errno("fork");
            return false;
        }
        if (pid == 0) {
            producer(work, p, a->producers, a->n);
            _exit(EXIT_SUCCESS);
        }
        kids->prod[kids->producers++] = pid;
    }
    return true;
}

/* Index of pid in pids[0..count), or -1. */
static long find_pid(const pid_t *pids, long count, pid_t pid)
{
    for (long i = 0; i < count; i++)
        if (pids[i] == pid)
            return i;
    return -1;
}

/* Say why, then close the work queue: "no more items". */
static void close_work(struct queue *work, const char *why)
{
    printf("parent: %s: closing the queue\n", why);
    if (fflush(stdout) == EOF)
        die("fflush");
    int err = queue_close(work);
    if (err != 0)
        die_errnum(err, "queue_close");
}

/* How child pid ended (status), if not well: say so on stderr and return 1;
 * else 0. */
static long note_end(const struct children *kids, pid_t pid, int status)
{
    if (status_ok(status))
        return 0;
    long c = find_pid(kids->cons, kids->consumers, pid);
    long p = find_pid(kids->prod, kids->producers, pid);
    char how[64];
    (void)fprintf(stderr, "workqueue: %s %ld (pid %ld) %s\n",
                  c >= 0 ? "consumer" : "producer", (c >= 0 ? c : p) + 1,
                  (long)pid, status_describe(status, how, sizeof how));
    return 1;
}

/* Reap every child that was started, closing the work queue (unless it is
 * closed already) at the right moment. Returns how many failed. */
static long reap_children(struct queue *work, const struct children *kids,
                          bool closed)
{
    long failed = 0;
    /* TODO(04.10): Reap every child, in the order they end: waitpid(-1,
     * &status, 0); failed += note_end(kids, pid, status); then find_pid()
     * in kids->prod or kids->cons. Close the work queue (close_work, once)
     * as soon as EITHER
     *   - the last producer has ended: why = "every producer is done"; the
     *     consumers then drain what is left and see QUEUE_CLOSED; or
     *   - the last consumer has ended while a producer still runs:
     *     why = "no consumer left"; producers blocked in put on a full
     *     queue would otherwise wait forever. */
    (void)work;
    (void)kids;
    (void)closed;
    (void)note_end;
    return failed;
}

/* Every consumer has ended, so every result is in the results queue: close
 * it and drain it into got[] (items per consumer). Returns the sum of the
 * consumers' checksums; *total is the number of items they got. */
static uint64_t collect_results(struct queue *results, long consumers,
                                long *got, long *total)
{
    int err = queue_close(results);
    if (err != 0)
        die_errnum(err, "queue_close");
    uint64_t sum = 0;
    struct queue_item r;
    *total = 0;
    while ((err = queue_get(results, &r)) == 0) {
        char *end;
        r.text[QUEUE_TEXT_MAX - 1] = '\0';
        errno = 0;
        unsigned long long s = strtoull(r.text, &end, 16);
        if (r.key < 0 || r.key >= consumers || *end != '\0' || errno != 0)
            die_msg("a consumer sent a bad result");
        got[r.key] = r.value;
        *total += r.value;
        sum += (uint64_t)s;
    }
    if (err != QUEUE_CLOSED)
        die_errnum(err, "queue_get");
    return sum;
}

/* Print the per-consumer counts and the total line; true if every item
 * arrived exactly once. */
static bool report(const long *got, long consumers, long total, long n,
                   uint64_t sum)
{
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
    return total == n && sum == want;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct args a = parse_args(argc, argv);
    struct queue *work = queue_create((size_t)a.capacity);
    if (work == NULL)
        die("queue_create");
    struct queue *results = queue_create((size_t)a.consumers);
    if (results == NULL)
        die("queue_create");
    printf("workqueue: %ld producer(s), %ld consumer(s), %ld items, queue of "
           "%ld slots\n",
           a.producers, a.consumers, a.n, a.capacity);
    if (fflush(stdout) == EOF)
        die("fflush");

    struct children kids;
    bool started = start_children(work, results, &a, &kids);
    if (!started) /* stop the children that run: they would wait for ever */
        close_work(work, "a fork failed");
    long failed = reap_children(work, &kids, !started);

    long got[MAX_PROCS] = {0}, total;
    uint64_t sum = collect_results(results, a.consumers, got, &total);
    bool exact = report(got, a.consumers, total, a.n, sum);
    int err;
    if ((err = queue_destroy(work)) != 0 || (err = queue_destroy(results)) != 0)
        die_errnum(err, "queue_destroy");
    if (!started)
        die_msg("a fork failed: stopped and reaped the %ld child(ren) started",
                kids.producers + kids.consumers);
    if (failed > 0 || !exact)
        die_msg("%s%s", failed > 0 ? "a child failed; " : "",
                exact ? "every item arrived once"
                      : "not every item arrived "
                        "exactly once");
    return EXIT_SUCCESS;
}
