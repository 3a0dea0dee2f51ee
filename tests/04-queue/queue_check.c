/*
 * queue_check.c - test driver for lab 04: exercises the student's queue.c
 * (linked in by the kit's build) from several processes (or threads) and
 * prints what happened, raw, for tests/04-queue.c to judge. It never
 * judges: it prints the items each consumer got, the result of each call,
 * the times it measured. The test recomputes what is right from inputs it
 * chose (the seed -s), so a queue.c that printed a summary of its own
 * could not make a test pass. It never hangs either: children still
 * blocked at the deadline are killed and counted as "stuck".
 *
 * Usage: queue_check -m exact|threads [-p P] [-c C] [-n N] [-q capacity]
 *                    [-s seed] [-t secs]
 *        queue_check -m waiters|close-race [-c C] [-r rounds] [-t secs]
 *        queue_check -m block-get | block-put | close | steal | unmap
 *                    [-t secs]
 *
 *   exact      P producer processes put N items (producer p: p, p+P,
 *              p+2P, ...; item k carries value seed + 3k and text
 *              "s<seed>-k<k>"), C consumer processes get until closed. Then
 *              one line per item got, in each consumer's order:
 *              "got <consumer> <key> <value> <text>".
 *   threads    the same with threads in one process (for ThreadSanitizer).
 *   block-get  a child gets from an empty queue; the parent puts after a
 *              delay: how long the get waited.
 *   block-put  a child puts 10 items into a queue of 4 slots; how many
 *              puts completed before and after the parent's first get.
 *   close      consumers blocked on an empty queue, producers blocked on
 *              a full one: what each call returned after one close.
 *   steal      a consumer woken for an item that another consumer took
 *              first: does its get wait again.
 *   waiters    C consumers wait in get; all are stopped (SIGSTOP), C items
 *              are put, all continue: what each get returned (no close).
 *   close-race -r rounds of: C consumers start and get, the parent closes
 *              at once; how many rounds left a consumer stuck.
 *   unmap      create and destroy many queues: mappings and descriptors
 *              before and after.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS; NOLINT(bugprone-reserved-identifier) \
                         */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "queue.h"
#include "timing.h"

#define USAGE                                                                  \
    "-m exact|threads|block-get|block-put|close|steal|waiters|close-race|"     \
    "unmap [-p P] [-c C] [-n N] [-q capacity] [-s seed] [-r rounds] "          \
    "[-t seconds]"
#define MAX_KIDS 32

struct params {
    const char *mode;
    long p, c, n, capacity, seed, rounds;
    double secs;
};

/* One item as a consumer got it. */
struct entry {
    long consumer;
    struct queue_item item;
};

/* The driver's own bookkeeping, shared with its children (not the queue
 * under test). Each child writes only its own slot (or log entries it
 * claimed); the parent reads them after reaping, which orders the
 * accesses. */
struct board {
    atomic_long progress;    /* puts done / items got, as they happen */
    int rc[MAX_KIDS];        /* last put/get result of each child */
    double waited[MAX_KIDS]; /* block-get: seconds inside queue_get */
    long key[MAX_KIDS];      /* the key a child got */
    atomic_long logged;      /* exact: entries claimed in log[] */
    long log_size;           /* entries log[] can hold */
    struct entry log[];      /* exact: every item got, in order per consumer */
};

static struct board *board_create(long entries)
{
    size_t size = sizeof(struct board) + (size_t)entries * sizeof(struct entry);
    struct board *b = mmap(NULL, size, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        die("mmap");
    b->log_size = entries;
    return b;
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

/* ---- exact and threads ------------------------------------------------ */

static void fill(struct queue_item *item, long k, long seed)
{
    item->key = k;
    item->value = seed + 3 * k;
    snprintf(item->text, sizeof item->text, "s%ld-k%ld", seed, k);
}

/* Producer i of p: put items i, i + p, ... below n; the last result. */
static int produce(struct queue *q, const struct params *w, long i)
{
    int rc = 0;
    for (long k = i; k < w->n && rc == 0; k += w->p) {
        struct queue_item item;
        fill(&item, k, w->seed);
        rc = queue_put(q, &item);
    }
    return rc;
}

/* Consumer i: get until the queue says closed, logging every item. */
static int consume(struct queue *q, struct board *b, long i)
{
    struct queue_item item;
    int rc;
    while ((rc = queue_get(q, &item)) == 0) {
        long at = atomic_fetch_add(&b->logged, 1);
        if (at < b->log_size)
            b->log[at] = (struct entry){.consumer = i, .item = item};
    }
    return rc;
}

/* One line per item got, in each consumer's order; then the counts. */
static void print_log(const struct board *b, int stuck, int failed)
{
    long logged = atomic_load(&b->logged);
    long shown = logged < b->log_size ? logged : b->log_size;
    for (long at = 0; at < shown; at++) {
        const struct entry *e = &b->log[at];
        char text[QUEUE_TEXT_MAX];
        memcpy(text, e->item.text, sizeof text);
        text[QUEUE_TEXT_MAX - 1] = '\0';
        for (char *t = text; *t != '\0'; t++)
            if (*t <= ' ' || *t > '~')
                *t = '?';
        printf("got %ld %ld %ld %s\n", e->consumer, e->item.key, e->item.value,
               text[0] != '\0' ? text : "-");
    }
    printf("end: logged %ld stuck %d failed %d\n", logged, stuck, failed);
}

static void exact(const struct params *w)
{
    struct board *b = board_create(w->n + 64);
    struct queue *q = queue_create((size_t)w->capacity);
    if (q == NULL)
        die("queue_create");
    double deadline = timing_now() + w->secs;
    pid_t cons[MAX_KIDS], prod[MAX_KIDS];
    for (long i = 0; i < w->c; i++)
        if ((cons[i] = spawn()) == 0)
            _exit(consume(q, b, i) == QUEUE_CLOSED ? 0 : 3);
    for (long i = 0; i < w->p; i++)
        if ((prod[i] = spawn()) == 0)
            _exit(produce(q, w, i) == 0 ? 0 : 3);
    int failed = 0;
    int stuck = reap_all(prod, (int)w->p, deadline, &failed);
    must(queue_close(q), "queue_close");
    stuck += reap_all(cons, (int)w->c, deadline, &failed);
    must(queue_destroy(q), "queue_destroy");
    print_log(b, stuck, failed);
}

struct worker {
    pthread_t thread;
    struct queue *q;
    struct board *b;
    const struct params *w;
    long i;
    int rc;
};

static void *producer_thread(void *arg)
{
    struct worker *k = arg;
    k->rc = produce(k->q, k->w, k->i);
    return NULL;
}

static void *consumer_thread(void *arg)
{
    struct worker *k = arg;
    k->rc = consume(k->q, k->b, k->i);
    return NULL;
}

/* A thread cannot be killed alone: at the deadline the whole driver says
 * so and ends (write and _exit are safe in a signal handler). */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "end: stuck 1 failed 0 (threads still blocked "
                              "at the deadline)\n";
    (void)!write(STDOUT_FILENO, msg, sizeof msg - 1);
    _exit(4);
}

/* exact with threads, for ThreadSanitizer. */
static void threads(const struct params *w)
{
    if (signal(SIGALRM, on_alarm) == SIG_ERR)
        die("signal");
    (void)alarm((unsigned)w->secs + 1);
    struct board *b = board_create(w->n + 64);
    struct queue *q = queue_create((size_t)w->capacity);
    if (q == NULL)
        die("queue_create");
    struct worker kids[2 * MAX_KIDS];
    long count = w->p + w->c;
    for (long i = 0; i < count; i++) {
        bool prod = i < w->p;
        kids[i] =
            (struct worker){.q = q, .b = b, .w = w, .i = prod ? i : i - w->p};
        int err =
            pthread_create(&kids[i].thread, NULL,
                           prod ? producer_thread : consumer_thread, &kids[i]);
        if (err != 0)
            die_errnum(err, "pthread_create");
    }
    int failed = 0;
    for (long i = 0; i < count; i++) {
        if (i == w->p)
            must(queue_close(q), "queue_close");
        must(pthread_join(kids[i].thread, NULL), "pthread_join");
        failed += kids[i].rc != (i < w->p ? 0 : QUEUE_CLOSED);
    }
    must(queue_destroy(q), "queue_destroy");
    print_log(b, 0, failed);
}

/* ---- block-get ----------------------------------------------------- */

/* The test compares the program's CPU time with its wall time: the parent
 * sleeps and the child should sleep in get, so both stay far apart. */
static void block_get(double secs)
{
    const double delay = 0.6;
    struct board *b = board_create(0);
    struct queue *q = queue_create(4);
    if (q == NULL)
        die("queue_create");
    b->rc[0] = 99;
    b->key[0] = -1;
    pid_t kid = spawn();
    if (kid == 0) {
        struct queue_item item = {.key = -1};
        double t0 = timing_now();
        int rc = queue_get(q, &item);
        b->waited[0] = timing_now() - t0;
        atomic_fetch_add(&b->progress, 1);
        b->rc[0] = rc;
        b->key[0] = item.key;
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
           "delay %.3f stuck %d failed %d\n",
           before, b->rc[0], b->key[0], b->waited[0], delay, stuck, failed);
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
        _exit(0);
    }
    timing_sleep(0.4);
    long before = atomic_load(&b->progress);
    struct queue_item item;
    must(queue_get(q, &item), "queue_get");
    long first = item.key;
    timing_sleep(0.3);
    long after = atomic_load(&b->progress);
    printf("block-put: capacity %ld done_before_get %ld done_after_one_get %ld "
           "keys %ld",
           capacity, before, after, first);
    for (long k = 1; k < items; k++) {
        must(queue_get(q, &item), "queue_get");
        printf(" %ld", item.key);
    }
    int failed = 0;
    int stuck = reap_all(&kid, 1, timing_now() + secs, &failed);
    must(queue_destroy(q), "queue_destroy");
    printf(" rc %d stuck %d failed %d\n", b->rc[0], stuck, failed);
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
    printf("close: returned_before_close %ld get_rc", early);
    for (int i = 0; i < consumers + producers; i++)
        printf(i == consumers ? " put_rc %d" : " %d", b->rc[i]);
    /* After the close: what was in the queue still comes out, then
     * "closed"; a put is refused. */
    item.key = -1;
    int drain = queue_get(full, &item);
    printf(" drain_rc %d drain_key %ld", drain, item.key);
    int then = queue_get(full, &item);
    struct queue_item extra = {.key = 1};
    int put_after = queue_put(empty, &extra);
    must(queue_destroy(empty), "queue_destroy");
    must(queue_destroy(full), "queue_destroy");
    printf(" then_rc %d put_after_rc %d stuck %d failed %d\n", then, put_after,
           stuck, failed);
}

/* ---- steal ------------------------------------------------------- */

/* Stop a child that waits in the queue, and wait until it has stopped. */
static void stop(pid_t pid)
{
    int status;
    if (kill(pid, SIGSTOP) == -1)
        die("kill");
    if (waitpid(pid, &status, WUNTRACED) == -1)
        die("waitpid");
}

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
    stop(first);
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

/* ---- waiters: a wake-up per item ------------------------------------ */

/* C consumers wait on an empty queue; all are stopped, so none can take
 * an item before the last put; C puts; all continue. Each put must have
 * woken one waiter: a put that signals only when the queue was empty
 * leaves C - 1 of them asleep beside C - 1 items. No close: a close would
 * wake them anyway and hide the lost wake-ups. */
static void waiters(long c, double secs)
{
    struct board *b = board_create(0);
    struct queue *q = queue_create((size_t)c);
    if (q == NULL)
        die("queue_create");
    pid_t kids[MAX_KIDS];
    for (long i = 0; i < c; i++) {
        b->rc[i] = 99;
        b->key[i] = -1;
        if ((kids[i] = spawn()) != 0)
            continue;
        struct queue_item item = {.key = -1};
        b->rc[i] = queue_get(q, &item);
        b->key[i] = item.key;
        _exit(0);
    }
    timing_sleep(0.3); /* every consumer is now waiting in get */
    for (long i = 0; i < c; i++)
        stop(kids[i]);
    for (long i = 0; i < c; i++) {
        struct queue_item item = {.key = 1000 + i};
        must(queue_put(q, &item), "queue_put");
    }
    for (long i = 0; i < c; i++)
        if (kill(kids[i], SIGCONT) == -1)
            die("kill");
    int failed = 0;
    int stuck = reap_all(kids, (int)c, timing_now() + secs, &failed);
    must(queue_destroy(q), "queue_destroy");
    printf("waiters: %ld keys", c);
    for (long i = 0; i < c; i++)
        printf(" %ld", b->key[i]);
    printf(" stuck %d failed %d\n", stuck, failed);
}

/* ---- close-race: many short-lived waiters ---------------------------- */

/* Round after round, consumers start and get from an empty queue while
 * the parent closes it: a close that sets the flag or broadcasts outside
 * the lock can slip between a consumer's look at `closed` and its wait,
 * and that consumer sleeps for ever. Run under the schedule perturber. */
static void close_race(long c, long rounds, double secs)
{
    long stuck_rounds = 0, done = 0;
    double deadline = timing_now() + secs;
    for (; done < rounds && timing_now() < deadline; done++) {
        struct queue *q = queue_create(4);
        if (q == NULL)
            die("queue_create");
        pid_t kids[MAX_KIDS];
        for (long i = 0; i < c; i++) {
            if ((kids[i] = spawn()) != 0)
                continue;
            struct queue_item item;
            _exit(queue_get(q, &item) == QUEUE_CLOSED ? 0 : 3);
        }
        if (done % 2 == 1)
            timing_sleep(0.0002 * (double)(done % 7));
        must(queue_close(q), "queue_close");
        int failed = 0;
        int stuck = reap_all(kids, (int)c, timing_now() + 0.5, &failed);
        stuck_rounds += stuck > 0 || failed > 0;
        must(queue_destroy(q), "queue_destroy");
        if (stuck > 0)
            break; /* one is enough, and each costs half a second */
    }
    printf("close-race: rounds %ld of %ld consumers %ld stuck_rounds %ld\n",
           done, rounds, c, stuck_rounds);
}

/* ---- unmap --------------------------------------------------------- */

/* Lines in /proc/self/maps (mappings) or entries in /proc/self/fd. */
static long count_maps(void)
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

static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        die("opendir /proc/self/fd");
    long n = 0;
    while (readdir(d) != NULL)
        n++;
    if (closedir(d) == -1)
        die("closedir");
    return n;
}

static void unmap(void)
{
    const int rounds = 300;
    long maps = count_maps(), fds = count_fds();
    for (int i = 0; i < rounds; i++) {
        struct queue *q = queue_create(1000);
        if (q == NULL)
            die("queue_create");
        struct queue_item item = {.key = i};
        must(queue_put(q, &item), "queue_put");
        must(queue_close(q), "queue_close");
        must(queue_destroy(q), "queue_destroy");
    }
    printf("unmap: rounds %d maps_before %ld maps_after %ld fds_before %ld "
           "fds_after %ld\n",
           rounds, maps, count_maps(), fds, count_fds());
}

static struct params parse(int argc, char *argv[])
{
    struct params w = {.p = 4,
                       .c = 4,
                       .n = 100000,
                       .capacity = 64,
                       .seed = 1,
                       .rounds = 100,
                       .secs = 10};
    int opt;
    while ((opt = getopt(argc, argv, "m:p:c:n:q:s:r:t:")) != -1) {
        switch (opt) {
        case 'm':
            w.mode = optarg;
            break;
        case 'p':
            w.p = arg_long(optarg, 1, 16, "P", USAGE);
            break;
        case 'c':
            w.c = arg_long(optarg, 1, MAX_KIDS - 1, "C", USAGE);
            break;
        case 'n':
            w.n = arg_long(optarg, 1, 10000000, "N", USAGE);
            break;
        case 'q':
            w.capacity = arg_long(optarg, 1, 1000000, "capacity", USAGE);
            break;
        case 's':
            w.seed = arg_long(optarg, 0, 1000000000, "seed", USAGE);
            break;
        case 'r':
            w.rounds = arg_long(optarg, 1, 100000, "rounds", USAGE);
            break;
        case 't':
            w.secs = arg_double(optarg, 0.1, 1000, "seconds", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (w.mode == NULL || optind != argc)
        die_usage(USAGE, "say which check to run with -m");
    return w;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct params w = parse(argc, argv);
    if (strcmp(w.mode, "exact") == 0)
        exact(&w);
    else if (strcmp(w.mode, "threads") == 0)
        threads(&w);
    else if (strcmp(w.mode, "block-get") == 0)
        block_get(w.secs);
    else if (strcmp(w.mode, "block-put") == 0)
        block_put(w.secs);
    else if (strcmp(w.mode, "close") == 0)
        close_wakes(w.secs);
    else if (strcmp(w.mode, "steal") == 0)
        steal(w.secs);
    else if (strcmp(w.mode, "waiters") == 0)
        waiters(w.c, w.secs);
    else if (strcmp(w.mode, "close-race") == 0)
        close_race(w.c, w.rounds, w.secs);
    else if (strcmp(w.mode, "unmap") == 0)
        unmap();
    else
        die_usage(USAGE, "unknown mode '%s'", w.mode);
    if (fflush(stdout) == EOF)
        die("fflush");
    return EXIT_SUCCESS;
}
