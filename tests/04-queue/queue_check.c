/*
 * queue_check.c - test driver for lab 04: exercises the student's queue.c
 * (linked in by the kit's build) from several processes and prints one
 * line of findings that tests/04-queue.c parses. It never judges: it
 * counts. It never hangs either: children still blocked at the deadline
 * are killed and counted as "stuck".
 *
 * Usage: queue_check -m exact [-p P] [-c C] [-n N] [-q capacity] [-t secs]
 *        queue_check -m block-get | block-put | close | steal | unmap
 *                    [-t secs]
 *
 *   exact      P producers put N items (producer p: p, p+P, p+2P, ...),
 *              C consumers get until closed; every item must arrive once,
 *              whole, and each producer's items in increasing order.
 *   block-get  a child gets from an empty queue; the parent puts after a
 *              delay: how long the get waited, and the child's CPU time.
 *   block-put  a child puts 10 items into a queue of 4 slots; how many
 *              puts completed before and after the parent's first get.
 *   close      consumers blocked on an empty queue, producers blocked on
 *              a full one: does one close wake them all.
 *   steal      a consumer woken for an item that another consumer took
 *              first: does its get wait again.
 *   unmap      create and destroy many queues: are the mappings released.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS; NOLINT(bugprone-reserved-identifier) \
                         */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "queue.h"
#include "timing.h"

#define USAGE                                                                  \
    "-m exact|block-get|block-put|close|steal|unmap [-p P] [-c C] [-n N] "     \
    "[-q capacity] [-t seconds]"
#define MAX_KIDS 32

/* The driver's own bookkeeping, shared with its children (not the queue
 * under test). Each child writes only its own slot; the parent reads the
 * slots after reaping, which orders the accesses. */
struct board {
    atomic_long progress;    /* puts done / items got, as they happen */
    int rc[MAX_KIDS];        /* last put/get result of each child */
    long received[MAX_KIDS]; /* exact: items a consumer got */
    long disorder[MAX_KIDS]; /* exact: a producer's items out of order */
    long corrupt[MAX_KIDS];  /* exact: items not as they were put */
    double waited[MAX_KIDS]; /* block-get: seconds inside queue_get */
    double cpu[MAX_KIDS];    /* CPU seconds the child used */
    long key[MAX_KIDS];      /* block-get: the key it got */
    atomic_uint seen[];      /* exact: how often item k arrived */
};

static struct board *board_create(long items)
{
    size_t size = sizeof(struct board) + (size_t)items * sizeof(atomic_uint);
    struct board *b = mmap(NULL, size, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        die("mmap");
    return b;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == -1)
        die_child("getrusage");
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static pid_t spawn(void)
{
    if (fflush(stdout) == EOF)
        die("fflush");
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    return pid;
}

/* Reap pids[0..count) until deadline (timing_now() value); kill and reap
 * those still running then. Returns how many were stuck; *failed counts
 * children that did not exit with status 0. */
static int reap_all(const pid_t *pids, int count, double deadline, int *failed)
{
    bool done[MAX_KIDS] = {false};
    int left = count, stuck = 0;
    while (left > 0) {
        for (int i = 0; i < count; i++) {
            if (done[i])
                continue;
            int status;
            pid_t r = waitpid(pids[i], &status, WNOHANG);
            if (r == -1)
                die("waitpid");
            if (r == 0 && timing_now() < deadline)
                continue;
            if (r == 0) {
                if (kill(pids[i], SIGKILL) == -1)
                    die("kill");
                if (waitpid(pids[i], &status, 0) == -1)
                    die("waitpid");
                stuck++;
            } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                (*failed)++;
            }
            done[i] = true;
            left--;
        }
        if (left > 0)
            timing_sleep(0.002);
    }
    return stuck;
}

static void must(int err, const char *what)
{
    if (err != 0)
        die_errnum(err == QUEUE_CLOSED ? EPIPE : err, what);
}

/* ---- exact ------------------------------------------------------------ */

static void fill(struct queue_item *item, long k)
{
    item->key = k;
    item->value = 3 * k + 1;
    snprintf(item->text, sizeof item->text, "item %ld", k);
}

static void exact(long p, long c, long n, long capacity, double secs)
{
    struct board *b = board_create(n);
    struct queue *q = queue_create((size_t)capacity);
    if (q == NULL)
        die("queue_create");
    double deadline = timing_now() + secs;
    pid_t cons[MAX_KIDS], prod[MAX_KIDS];
    for (long i = 0; i < c; i++) {
        if ((cons[i] = spawn()) != 0)
            continue;
        long last[MAX_KIDS];
        for (int j = 0; j < MAX_KIDS; j++)
            last[j] = -1;
        struct queue_item item, want;
        int rc;
        while ((rc = queue_get(q, &item)) == 0) {
            b->received[i]++;
            atomic_fetch_add(&b->progress, 1);
            if (item.key < 0 || item.key >= n) {
                b->corrupt[i]++;
                continue;
            }
            fill(&want, item.key);
            if (item.value != want.value ||
                strncmp(item.text, want.text, sizeof want.text) != 0)
                b->corrupt[i]++;
            atomic_fetch_add(&b->seen[item.key], 1);
            long from = item.key % p;
            if (item.key <= last[from])
                b->disorder[i]++;
            last[from] = item.key;
        }
        b->rc[i] = rc;
        _exit(rc == QUEUE_CLOSED ? 0 : 3);
    }
    for (long i = 0; i < p; i++) {
        if ((prod[i] = spawn()) != 0)
            continue;
        int rc = 0;
        for (long k = i; k < n && rc == 0; k += p) {
            struct queue_item item;
            fill(&item, k);
            rc = queue_put(q, &item);
        }
        _exit(rc == 0 ? 0 : 3);
    }
    int failed = 0;
    int stuck = reap_all(prod, (int)p, deadline, &failed);
    must(queue_close(q), "queue_close");
    stuck += reap_all(cons, (int)c, deadline, &failed);
    must(queue_destroy(q), "queue_destroy");

    long received = 0, disorder = 0, corrupt = 0, missing = 0, dup = 0;
    for (long i = 0; i < c; i++) {
        received += b->received[i];
        disorder += b->disorder[i];
        corrupt += b->corrupt[i];
    }
    long first_missing = -1;
    for (long k = 0; k < n; k++) {
        unsigned s = atomic_load(&b->seen[k]);
        if (s == 0 && first_missing < 0)
            first_missing = k;
        missing += s == 0;
        dup += s > 1 ? (long)s - 1 : 0;
    }
    printf("exact: items %ld received %ld missing %ld duplicated %ld "
           "out_of_order %ld corrupt %ld stuck %d failed %d first_missing "
           "%ld\n",
           n, received, missing, dup, disorder, corrupt, stuck, failed,
           first_missing);
}

/* ---- block-get ----------------------------------------------------- */

static void block_get(double secs)
{
    const double delay = 0.5;
    struct board *b = board_create(0);
    struct queue *q = queue_create(4);
    if (q == NULL)
        die("queue_create");
    b->rc[0] = 99;
    pid_t kid = spawn();
    if (kid == 0) {
        struct queue_item item = {.key = -1};
        double t0 = timing_now();
        int rc = queue_get(q, &item);
        b->waited[0] = timing_now() - t0;
        atomic_fetch_add(&b->progress, 1);
        b->rc[0] = rc;
        b->key[0] = item.key;
        b->cpu[0] = cpu_seconds();
        _exit(0);
    }
    timing_sleep(delay);
    long before = atomic_load(&b->progress);
    struct queue_item item = {.key = 42, .value = 1};
    must(queue_put(q, &item), "queue_put");
    int failed = 0;
    int stuck = reap_all(&kid, 1, timing_now() + secs, &failed);
    must(queue_destroy(q), "queue_destroy");
    printf("block-get: returned_before_put %ld rc %d key %ld waited %.3f "
           "delay %.3f cpu %.3f stuck %d failed %d\n",
           before, b->rc[0], b->key[0], b->waited[0], delay, b->cpu[0], stuck,
           failed);
}

/* ---- block-put ----------------------------------------------------- */

static void block_put(double secs)
{
    const long capacity = 4, items = 10;
    struct board *b = board_create(0);
    struct queue *q = queue_create((size_t)capacity);
    if (q == NULL)
        die("queue_create");
    pid_t kid = spawn();
    if (kid == 0) {
        int rc = 0;
        for (long k = 0; k < items && rc == 0; k++) {
            struct queue_item item = {.key = k};
            if ((rc = queue_put(q, &item)) == 0)
                atomic_fetch_add(&b->progress, 1);
        }
        b->rc[0] = rc;
        b->cpu[0] = cpu_seconds();
        _exit(0);
    }
    timing_sleep(0.4);
    long before = atomic_load(&b->progress);
    struct queue_item item;
    long in_order = 1;
    must(queue_get(q, &item), "queue_get");
    in_order &= item.key == 0;
    timing_sleep(0.3);
    long after = atomic_load(&b->progress);
    for (long k = 1; k < items; k++) {
        must(queue_get(q, &item), "queue_get");
        in_order &= item.key == k;
    }
    int failed = 0;
    int stuck = reap_all(&kid, 1, timing_now() + secs, &failed);
    must(queue_destroy(q), "queue_destroy");
    printf("block-put: capacity %ld done_before_get %ld done_after_one_get %ld "
           "in_order %ld rc %d cpu %.3f stuck %d failed %d\n",
           capacity, before, after, in_order, b->rc[0], b->cpu[0], stuck,
           failed);
}

/* ---- close --------------------------------------------------------- */

static void close_wakes(double secs)
{
    const int consumers = 3, producers = 2;
    struct board *b = board_create(0);
    struct queue *empty = queue_create(4);
    struct queue *full = queue_create(1);
    if (empty == NULL || full == NULL)
        die("queue_create");
    struct queue_item item = {.key = 7};
    must(queue_put(full, &item), "queue_put");
    pid_t kids[MAX_KIDS];
    for (int i = 0; i < consumers + producers; i++) {
        b->rc[i] = 99;
        if ((kids[i] = spawn()) != 0)
            continue;
        struct queue_item mine = {.key = 100 + i};
        int rc =
            i < consumers ? queue_get(empty, &mine) : queue_put(full, &mine);
        atomic_fetch_add(&b->progress, 1);
        b->rc[i] = rc;
        _exit(0);
    }
    timing_sleep(0.3);
    long early = atomic_load(&b->progress);
    must(queue_close(empty), "queue_close");
    must(queue_close(full), "queue_close");
    int failed = 0;
    int stuck =
        reap_all(kids, consumers + producers, timing_now() + secs, &failed);
    int cons_woken = 0, prod_woken = 0;
    for (int i = 0; i < consumers + producers; i++)
        if (b->rc[i] == QUEUE_CLOSED)
            *(i < consumers ? &cons_woken : &prod_woken) += 1;
    /* After the close: what was in the queue still comes out, then
     * "closed"; a put is refused. */
    item.key = -1;
    int drain = queue_get(full, &item);
    int then = queue_get(full, &item);
    struct queue_item extra = {.key = 1};
    int put_after = queue_put(empty, &extra);
    must(queue_destroy(empty), "queue_destroy");
    must(queue_destroy(full), "queue_destroy");
    printf("close: returned_before_close %ld consumers_closed %d of %d "
           "producers_closed %d of %d stuck %d failed %d drained %d "
           "then_closed %d put_refused %d\n",
           early, cons_woken, consumers, prod_woken, producers, stuck, failed,
           drain == 0 && item.key == 7, then == QUEUE_CLOSED,
           put_after == QUEUE_CLOSED);
}

/* ---- steal ------------------------------------------------------- */

/* A waiter woken for an item may find it gone: made certain here by
 * stopping the waiter (SIGSTOP) while the put wakes it and another
 * consumer takes the item. When it continues, its get must wait again. */
static void steal(double secs)
{
    struct board *b = board_create(0);
    struct queue *q = queue_create(4);
    if (q == NULL)
        die("queue_create");
    b->key[0] = b->key[1] = -1;
    pid_t first = spawn();
    if (first == 0) {
        struct queue_item item = {.key = -1};
        b->rc[0] = queue_get(q, &item);
        b->key[0] = item.key;
        atomic_fetch_add(&b->progress, 1);
        _exit(0);
    }
    timing_sleep(0.3); /* first is now waiting in get */
    int status;
    if (kill(first, SIGSTOP) == -1)
        die("kill");
    if (waitpid(first, &status, WUNTRACED) == -1)
        die("waitpid");
    struct queue_item item = {.key = 1};
    must(queue_put(q, &item), "queue_put"); /* wakes first, stopped */
    pid_t second = spawn();
    if (second == 0) {
        struct queue_item got = {.key = -1};
        b->rc[1] = queue_get(q, &got);
        b->key[1] = got.key;
        _exit(0);
    }
    int failed = 0;
    int stuck = reap_all(&second, 1, timing_now() + secs, &failed);
    if (kill(first, SIGCONT) == -1)
        die("kill");
    timing_sleep(0.3); /* first must still be waiting: nothing is left */
    long early = atomic_load(&b->progress);
    item.key = 2;
    must(queue_put(q, &item), "queue_put");
    stuck += reap_all(&first, 1, timing_now() + secs, &failed);
    must(queue_destroy(q), "queue_destroy");
    printf("steal: second_key %ld first_returned_early %ld first_rc %d "
           "first_key %ld stuck %d failed %d\n",
           b->key[1], early, b->rc[0], b->key[0], stuck, failed);
}

/* ---- unmap --------------------------------------------------------- */

static long maps_count(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        die("fopen /proc/self/maps");
    long lines = 0;
    int ch;
    while ((ch = getc(f)) != EOF)
        lines += ch == '\n';
    if (fclose(f) == EOF)
        die("fclose");
    return lines;
}

static void unmap(void)
{
    const int rounds = 300;
    long before = maps_count();
    for (int i = 0; i < rounds; i++) {
        struct queue *q = queue_create(1000);
        if (q == NULL)
            die("queue_create");
        must(queue_destroy(q), "queue_destroy");
    }
    printf("unmap: rounds %d maps_before %ld maps_after %ld\n", rounds, before,
           maps_count());
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    const char *mode = NULL;
    long p = 4, c = 4, n = 100000, capacity = 64;
    double secs = 10;
    int opt;
    while ((opt = getopt(argc, argv, "m:p:c:n:q:t:")) != -1) {
        switch (opt) {
        case 'm':
            mode = optarg;
            break;
        case 'p':
            p = arg_long(optarg, 1, 16, "P", USAGE);
            break;
        case 'c':
            c = arg_long(optarg, 1, 16, "C", USAGE);
            break;
        case 'n':
            n = arg_long(optarg, 1, 10000000, "N", USAGE);
            break;
        case 'q':
            capacity = arg_long(optarg, 1, 1000000, "capacity", USAGE);
            break;
        case 't':
            secs = arg_double(optarg, 0.1, 1000, "seconds", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (mode == NULL || optind != argc)
        die_usage(USAGE, "say which check to run with -m");
    if (strcmp(mode, "exact") == 0)
        exact(p, c, n, capacity, secs);
    else if (strcmp(mode, "block-get") == 0)
        block_get(secs);
    else if (strcmp(mode, "block-put") == 0)
        block_put(secs);
    else if (strcmp(mode, "close") == 0)
        close_wakes(secs);
    else if (strcmp(mode, "steal") == 0)
        steal(secs);
    else if (strcmp(mode, "unmap") == 0)
        unmap();
    else
        die_usage(USAGE, "unknown mode '%s'", mode);
    return EXIT_SUCCESS;
}
