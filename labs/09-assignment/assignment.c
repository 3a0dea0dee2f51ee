/*
 * assignment.c - the course assignment: for each n in
 * range(100000, 2500000, 100000), the sum of the primes below n, printed
 * as [n, sum] sorted by n; serially, with processes and with threads, and
 * the times compared.
 *
 * Python:  sum_primes(n) = sum of x in range(2, n) if isPrime(x), mapped
 *          over the list with multiprocessing (a Pool, or Processes and a
 *          Queue), then with threading, against the serial loop.
 * C:       primes.c: the same loop; threads and child processes taking
 *          tasks biggest first from one atomic counter (in shared memory
 *          for the processes). Two algorithms: the assignment's naive
 *          test, and the sieve of Eratosthenes. Each variant runs once to
 *          warm up, then is timed (common/bench.h), and its sums are
 *          compared with the first serial ones.
 *
 * Usage:   assignment [-a algorithm] [-m mode] [-w workers] [-r runs]
 *                     [-o file] [-h] [start stop step]
 *          -a algorithm  naive, sieve or both (default both)
 *          -m mode       all (default), serial, threads or processes
 *          -w workers    worker counts to try, e.g. 2,4,8 (default), 1..64
 *          -r runs       timed runs per variant after one warm-up, 1..100
 *                        (default 3)
 *          -o file       also write the measurements to file for gnuplot
 *                        (format: common/bench.h)
 *          start stop step   the n, as Python's range (default
 *                        100000 2500000 100000; stop at most 100000000,
 *                        at most 100000 tasks)
 *          -h, --help    print the usage line on stdout and exit
 *
 * Observe: 2 workers take about half the serial time, threads and
 *          processes alike, and more workers than cores buy nothing. The
 *          sieve is faster than the naive test by far more than any number
 *          of cores could make it.
 * Try:     assignment -a naive -w 1,2 -r 1; assignment 10 100 10
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "primes.h"

#define USAGE                                                                  \
    "[-a algorithm] [-m mode] [-w workers] [-r runs] [-o file] [-h] "          \
    "[start stop step]"
#define MAX_COUNTS 16
#define MAX_N 100000000L
#define MAX_TASKS 100000L
#define WARMUPS 1

static const char *const ALGORITHM_NAMES[] = {"naive", "sieve"};

/* One variant, as bench_run calls it. */
struct job {
    enum primes_algorithm alg;
    const char *mode; /* "serial", "threads", "processes" */
    int workers;
    const uint32_t *ns;
    size_t count;
    uint64_t *sums;
};

static void run_job(void *arg)
{
    struct job *j = arg;
    /* A fresh table every run: a task left undone must show as missing. */
    memset(j->sums, 0, j->count * sizeof j->sums[0]);
    if (strcmp(j->mode, "serial") == 0)
        primes_serial(j->alg, j->ns, j->count, j->sums);
    else if (strcmp(j->mode, "threads") == 0)
        primes_threads(j->alg, j->ns, j->count, j->sums, j->workers);
    else
        primes_processes(j->alg, j->ns, j->count, j->sums, j->workers);
}

struct row {
    char variant[32]; /* "naive-threads" */
    int workers;
    struct bench_result r;
};

/* Time one variant, print its line and compare its sums with reference
 * (the first serial sums; NULL when this run is that one). */
static struct row measure(struct job *j, int runs, const uint64_t *reference,
                          double serial_median)
{
    struct row row = {.workers = j->workers};
    if (snprintf(row.variant, sizeof row.variant, "%s-%s",
                 ALGORITHM_NAMES[j->alg], j->mode) < 0)
        die("snprintf");
    bench_run(run_job, j, WARMUPS, runs, true, &row.r);
    printf("%s %-9s %2d worker%s  median %8.3f s  (min %.3f, max %.3f)  "
           "cpu %8.3f s",
           ALGORITHM_NAMES[j->alg], j->mode, j->workers,
           j->workers == 1 ? " " : "s", row.r.median, row.r.min, row.r.max,
           row.r.cpu_median);
    if (serial_median > 0)
        printf("  speedup %6.2f", serial_median / row.r.median);
    if (reference != NULL) {
        for (size_t i = 0; i < j->count; i++) {
            if (j->sums[i] != reference[i]) {
                printf("  WRONG\n");
                die_msg("%s %s with %d workers: the sum below %lu is %llu, "
                        "but the serial run says %llu",
                        ALGORITHM_NAMES[j->alg], j->mode, j->workers,
                        (unsigned long)j->ns[i], (unsigned long long)j->sums[i],
                        (unsigned long long)reference[i]);
            }
        }
        printf("  same %zu sums as serial", j->count);
    }
    printf("\n");
    if (fflush(stdout) == EOF) /* a line of progress as soon as it is known */
        die("fflush");
    return row;
}

/* What the command line asks for. */
struct options {
    bool algs[2];            /* which algorithms: [PRIMES_NAIVE], [SIEVE] */
    bool threads, processes; /* which parallel modes */
    long workers[MAX_COUNTS];
    int nworkers;
    int runs;
    const char *data_path; /* -o, or NULL */
    long start, stop, step;
};

/* The options -a and -m, checked. */
static void parse_words(struct options *o, const char *algorithm,
                        const char *mode)
{
    o->algs[PRIMES_NAIVE] = strcmp(algorithm, "naive") == 0;
    o->algs[PRIMES_SIEVE] = strcmp(algorithm, "sieve") == 0;
    if (strcmp(algorithm, "both") == 0)
        o->algs[PRIMES_NAIVE] = o->algs[PRIMES_SIEVE] = true;
    if (!o->algs[PRIMES_NAIVE] && !o->algs[PRIMES_SIEVE])
        die_usage(USAGE, "unknown algorithm '%s'", algorithm);
    bool all = strcmp(mode, "all") == 0;
    o->threads = all || strcmp(mode, "threads") == 0;
    o->processes = all || strcmp(mode, "processes") == 0;
    if (!o->threads && !o->processes && strcmp(mode, "serial") != 0)
        die_usage(USAGE, "unknown mode '%s'", mode);
}

/* The range start stop step, if given, checked. */
static void parse_range(struct options *o, int argc, char *argv[])
{
    if (argc - optind == 3) {
        o->start = arg_long(argv[optind], 0, MAX_N, "start", USAGE);
        o->stop = arg_long(argv[optind + 1], 0, MAX_N, "stop", USAGE);
        o->step = arg_long(argv[optind + 2], 1, MAX_N, "step", USAGE);
    } else if (argc != optind) {
        die_usage(USAGE, "give start, stop and step, or none of them");
    }
    if (o->stop <= o->start)
        die_usage(USAGE, "the range from %ld to %ld is empty", o->start,
                  o->stop);
    long ntasks = (o->stop - o->start + o->step - 1) / o->step;
    if (ntasks > MAX_TASKS)
        die_usage(USAGE, "%ld tasks; at most %ld", ntasks, MAX_TASKS);
}

static struct options parse_args(int argc, char *argv[])
{
    struct options o = {.workers = {2, 4, 8},
                        .nworkers = 3,
                        .runs = 3,
                        .start = 100000,
                        .stop = 2500000,
                        .step = 100000};
    const char *algorithm = "both", *mode = "all";
    int opt;
    while ((opt = getopt(argc, argv, "a:m:w:r:o:h")) != -1) {
        switch (opt) {
        case 'a':
            algorithm = optarg;
            break;
        case 'm':
            mode = optarg;
            break;
        case 'w':
            o.nworkers = bench_parse_list(optarg, 1, PRIMES_WORKERS, o.workers,
                                          MAX_COUNTS, "workers", USAGE);
            break;
        case 'r':
            o.runs = (int)arg_long(optarg, 1, 100, "runs", USAGE);
            break;
        case 'o':
            o.data_path = optarg;
            break;
        case 'h':
            args_help(USAGE);
        default:
            die_bad_option(USAGE);
        }
    }
    parse_words(&o, algorithm, mode);
    parse_range(&o, argc, argv);
    return o;
}

/* Every variant the options ask for, serial first for each algorithm;
 * reference gets the first serial sums. Returns the number of rows. */
static int run_all(const struct options *o, const uint32_t *ns, size_t count,
                   uint64_t *sums, uint64_t *reference, struct row *rows)
{
    int nrows = 0;
    bool have_reference = false;
    for (int a = 0; a < 2; a++) {
        if (!o->algs[a])
            continue;
        /* Serial first: the baseline for the speedups, and (the first
         * time) the sums every other variant must reproduce. */
        struct job job = {
            (enum primes_algorithm)a, "serial", 1, ns, count, sums};
        rows[nrows] =
            measure(&job, o->runs, have_reference ? reference : NULL, 0);
        double serial_median = rows[nrows++].r.median;
        if (!have_reference) {
            memcpy(reference, sums, count * sizeof *sums);
            have_reference = true;
        }
        for (int w = 0; w < o->nworkers; w++) {
            job.workers = (int)o->workers[w];
            if (o->processes) {
                job.mode = "processes";
                rows[nrows++] =
                    measure(&job, o->runs, reference, serial_median);
            }
            if (o->threads) {
                job.mode = "threads";
                rows[nrows++] =
                    measure(&job, o->runs, reference, serial_median);
            }
        }
    }
    return nrows;
}

/* Write the rows to the data file for gnuplot. */
static void write_data(const struct options *o, const struct row *rows,
                       int nrows)
{
    char title[160];
    if (snprintf(title, sizeof title,
                 "sums of the primes below n for n in range(%ld, %ld, %ld)",
                 o->start, o->stop, o->step) < 0)
        die("snprintf");
    FILE *f = bench_data_open(o->data_path, title, WARMUPS, o->runs);
    for (int i = 0; i < nrows; i++)
        bench_data_row(f, rows[i].variant, rows[i].workers, &rows[i].r);
    bench_data_close(f, o->data_path);
    printf("measurements written to %s\n", o->data_path);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct options o = parse_args(argc, argv);
    size_t count = (size_t)((o.stop - o.start + o.step - 1) / o.step);
    uint32_t *ns = malloc(count * sizeof *ns);
    uint64_t *reference = malloc(count * sizeof *reference);
    uint64_t *sums = malloc(count * sizeof *sums);
    if (ns == NULL || reference == NULL || sums == NULL)
        die("malloc");
    for (size_t i = 0; i < count; i++)
        ns[i] = (uint32_t)(o.start + (long)i * o.step);

    char machine[300];
    bench_machine(machine, sizeof machine);
    printf("sums of the primes below n for n in range(%ld, %ld, %ld): %zu "
           "tasks; %d warm-up + %d timed run%s per variant; %s\n",
           o.start, o.stop, o.step, count, WARMUPS, o.runs,
           o.runs == 1 ? "" : "s", machine);

    struct row rows[2 * (1 + 2 * MAX_COUNTS)];
    int nrows = run_all(&o, ns, count, sums, reference, rows);
    printf("all %d variants gave the same sums:\n", nrows);
    for (size_t i = 0; i < count; i++)
        printf("[%lu, %llu]\n", (unsigned long)ns[i],
               (unsigned long long)reference[i]);
    if (o.data_path != NULL)
        write_data(&o, rows, nrows);
    free(ns);
    free(reference);
    free(sums);
    return EXIT_SUCCESS;
}
