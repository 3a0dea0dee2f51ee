/*
 * queue_bench.c - how many items per second go through the shared-memory
 * queue, and through a pipe, from one process to another.
 *
 * Python:  multiprocessing.Queue pickles each object and sends it through
 *          a pipe (with a feeder thread); here we compare the two ways a C
 *          program can move fixed-size items between processes.
 * C:       one producer process and one consumer process; first through
 *          the queue of queue.c (a lock and two conditions in shared
 *          memory: no copy through the kernel, but a lock and maybe a
 *          wakeup per item), then through a pipe (a write and a read
 *          system call per item). Each way runs -r times; the medians
 *          (with min and max) are printed with the machine's core count,
 *          because the figures depend on the machine and on its load.
 *
 * Usage:   queue_bench [-n items] [-r repeats] [-q capacity]
 *          -n items     items per run, 1..100000000 (default 200000)
 *          -r repeats   runs of each way, 1..99 (default 5)
 *          -q capacity  queue slots, 1..1048576 (default 1024)
 *
 * Observe: the ratio of the two rates, and how it moves with -q 1 (every
 *          put waits for a get: a sleep and a wakeup per item) and -q 64.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "queue.h"
#include "status.h"
#include "timing.h"

#define USAGE "[-n items] [-r repeats] [-q capacity]"
#define MAX_REPEATS 99

/* Reap child; exit if it did not end with status 0 (its count was wrong or
 * a call failed: it said so on stderr). */
static void reap(pid_t child, const char *who)
{
    int status;
    if (waitpid(child, &status, 0) == -1)
        die("waitpid");
    char how[64];
    if (!status_ok(status))
        die_msg("the %s %s", who, status_describe(status, how, sizeof how));
}

/* The value each item carries, checked by the consumer. */
static long expected_sum(long n)
{
    return n * (n - 1) / 2;
}

/* The producer could not be started: the consumer would wait for ever in
 * get. Close the queue to stop it, reap it, and exit with status 1. */
static _Noreturn void stop_consumer(struct queue *q, pid_t consumer)
{
    int err = queue_close(q);
    if (err != 0)
        die_errnum(err, "queue_close");
    if (waitpid(consumer, NULL, 0) == -1)
        die("waitpid");
    die_msg("a fork failed: stopped the consumer");
}

/* One run through a fresh queue; returns the elapsed seconds. */
static double run_queue(long n, long capacity)
{
    struct queue *q = queue_create((size_t)capacity);
    if (q == NULL)
        die("queue_create");
    double t0 = timing_now();
    pid_t consumer = fork();
    if (consumer == -1)
        die("fork");
    if (consumer == 0) {
        struct queue_item item;
        long got = 0, sum = 0;
        int err;
        while ((err = queue_get(q, &item)) == 0) {
            got++;
            sum += item.value;
        }
        if (err != QUEUE_CLOSED)
            die_child_errnum(err, "queue_get");
        if (got != n || sum != expected_sum(n))
            die_child_msg("queue: got %ld of %ld items", got, n);
        _exit(EXIT_SUCCESS);
    }
    pid_t producer = fork();
    if (producer == -1) {
        warn_errno("fork");
        stop_consumer(q, consumer);
    }
    if (producer == 0) {
        for (long k = 0; k < n; k++) {
            struct queue_item item = {.key = k, .value = k};
            int err = queue_put(q, &item);
            if (err != 0)
                die_child_errnum(err == QUEUE_CLOSED ? EPIPE : err,
                                 "queue_put");
        }
        _exit(EXIT_SUCCESS);
    }
    reap(producer, "producer");
    int err = queue_close(q);
    if (err != 0)
        die_errnum(err, "queue_close");
    reap(consumer, "consumer");
    double elapsed = timing_now() - t0;
    if ((err = queue_destroy(q)) != 0)
        die_errnum(err, "queue_destroy");
    return elapsed;
}

/* Read exactly one item; false at end of file. A pipe may return fewer
 * bytes than asked: keep reading until the item is whole. */
static bool read_item(int fd, struct queue_item *item)
{
    char *p = (char *)item;
    size_t done = 0;
    while (done < sizeof *item) {
        ssize_t got = read(fd, p + done, sizeof *item - done);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1)
            die_child("read");
        if (got == 0) {
            if (done != 0)
                die_child_msg("pipe: half an item");
            return false;
        }
        done += (size_t)got;
    }
    return true;
}

/* One run through a fresh pipe, one write and one read per item (as the
 * queue moves one item per put and get); returns the elapsed seconds. */
static double run_pipe(long n)
{
    int fds[2];
    if (pipe(fds) == -1)
        die("pipe");
    double t0 = timing_now();
    pid_t consumer = fork();
    if (consumer == -1)
        die("fork");
    if (consumer == 0) {
        if (close(fds[1]) == -1)
            die_child("close");
        struct queue_item item;
        long got = 0, sum = 0;
        while (read_item(fds[0], &item)) {
            got++;
            sum += item.value;
        }
        if (got != n || sum != expected_sum(n))
            die_child_msg("pipe: got %ld of %ld items", got, n);
        _exit(EXIT_SUCCESS);
    }
    pid_t producer = fork();
    if (producer == -1)
        die("fork");
    if (producer == 0) {
        if (close(fds[0]) == -1)
            die_child("close");
        for (long k = 0; k < n; k++) {
            struct queue_item item = {.key = k, .value = k};
            /* sizeof item <= PIPE_BUF: the write is whole or fails. */
            if (write(fds[1], &item, sizeof item) != (ssize_t)sizeof item)
                die_child("write");
        }
        _exit(EXIT_SUCCESS);
    }
    /* The parent holds neither end: the consumer sees end of file when
     * the producer's end closes at its _exit. */
    if (close(fds[0]) == -1 || close(fds[1]) == -1)
        die("close");
    reap(producer, "producer");
    reap(consumer, "consumer");
    return timing_now() - t0;
}

/* Print median, min and max of the rates n / seconds[i]; return the
 * median. */
static double report(const char *what, long n, double *seconds, long repeats)
{
    double rates[MAX_REPEATS];
    for (long i = 0; i < repeats; i++)
        rates[i] = (double)n / seconds[i];
    double median = bench_median(rates, (size_t)repeats); /* sorts rates */
    printf("%-22s median %10.0f items/s  (min %.0f, max %.0f)\n", what, median,
           rates[0], rates[repeats - 1]);
    return median;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    long n = 200000, repeats = 5, capacity = 1024;
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "n:r:q:h")) != -1) {
        switch (opt) {
        case 'n':
            n = arg_long(optarg, 1, 100000000, "items", USAGE);
            break;
        case 'r':
            repeats = arg_long(optarg, 1, MAX_REPEATS, "repeats", USAGE);
            break;
        case 'q':
            capacity =
                arg_long(optarg, 1, QUEUE_CAPACITY_MAX, "capacity", USAGE);
            break;
        case 'h':
            args_help(USAGE);
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("queue_bench: %ld items of %zu bytes, 1 producer -> 1 consumer, "
           "%ld repeats, %ld cores online\n",
           n, sizeof(struct queue_item), repeats, cores);
    char machine[256];
    bench_machine(machine, sizeof machine);
    printf("machine: %s\n", machine);
    if (fflush(stdout) == EOF)
        die("fflush");

    /* Alternate the two ways, so that a change in the machine's load hits
     * both alike. */
    double tq[MAX_REPEATS], tp[MAX_REPEATS];
    for (long i = 0; i < repeats; i++) {
        tq[i] = run_queue(n, capacity);
        tp[i] = run_pipe(n);
    }
    char label[64];
    if (snprintf(label, sizeof label, "queue (capacity %ld):", capacity) < 0)
        die("snprintf");
    double queue_rate = report(label, n, tq, repeats);
    double pipe_rate = report("pipe:", n, tp, repeats);
    printf("queue/pipe: %.2f (ratio of the median rates)\n",
           queue_rate / pipe_rate);
    return EXIT_SUCCESS;
}
