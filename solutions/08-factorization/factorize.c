/*
 * factorize.c - the lecture's benchmark: threads against processes on the
 * same CPU-bound work, with every answer checked.
 *
 * Python:  factorize_naive over 300 odd numbers from 9999999999999, with
 *          serial_factorizer, threaded_factorizer(nums, 2/4/8) and
 *          mp_factorizer(nums, 2/4/8) (a multiprocessing.Queue brings the
 *          children's dicts back), timed and drawn as a bar chart.
 * C:       the same three ways (factor.c): a loop; pthread_create with a
 *          static chunk per thread, writing into one shared table; fork
 *          with a static chunk per child, the answers coming back through
 *          a pipe. Each variant runs once to warm up, then several times
 *          (common/bench.h): the median, minimum and maximum are reported,
 *          and its answers are compared with the serial ones.
 *
 * Usage:   factorize [-n count] [-s first] [-w workers] [-m mode] [-r runs]
 *                    [-o file] [-p] [-h]
 *          -n count    how many odd numbers, 1..100000 (default 300)
 *          -s first    the first of them, odd, 1..2305843009213693951
 *                      (default 9999999999999); the others follow in
 *                      steps of 2
 *          -w workers  worker counts to try, e.g. 2,4,8 (default), 1..64
 *          -m mode     all (default), serial, threads or processes
 *          -r runs     timed runs per variant after one warm-up, 1..100
 *                      (default 5)
 *          -o file     also write the measurements to file for gnuplot
 *                      (format: common/bench.h)
 *          -p          print every variant's factorizations, as lines
 *                      "threads 4: 21 = 3 * 7"
 *          -h, --help  print the usage line on stdout and exit
 *
 * Observe: in C, unlike Python, threads DO speed up this work: there is no
 *          global interpreter lock. With 2 cores, 2 workers take about half
 *          the serial time, threads or processes alike; 4 and 8 workers
 *          cannot do better than 2 cores allow. The "cpu" column adds up
 *          the time of every core: about the same for every variant.
 * Try:     factorize -w 1,2,3,4 -r 3; factorize -n 30 -p
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "factor.h"

#define USAGE                                                                  \
    "[-n count] [-s first] [-w workers] [-m mode] [-r runs] [-o file] [-p] "   \
    "[-h]"
#define MAX_COUNTS 16 /* worker counts in -w */
#define WARMUPS 1
#define MAX_NUMBERS 100000
/* The biggest first: first + 2 * count stays far from overflow. */
#define MAX_FIRST (LONG_MAX / 4)

/* One variant of the benchmark, as bench_run calls it. */
struct job {
    const char *variant; /* "serial", "threads", "processes" */
    int workers;
    const uint64_t *nums;
    size_t count;
    struct factorization *results;
};

static void run_job(void *arg)
{
    struct job *j = arg;
    /* Start from an empty table every run, so that a variant that leaves
     * an answer out cannot pass off an earlier run's answer as its own. */
    memset(j->results, 0, j->count * sizeof j->results[0]);
    if (strcmp(j->variant, "serial") == 0)
        factor_serial(j->nums, j->count, j->results);
    else if (strcmp(j->variant, "threads") == 0)
        factor_threads(j->nums, j->count, j->results, j->workers);
    else
        factor_processes(j->nums, j->count, j->results, j->workers);
}

static void print_factorization(FILE *out, const struct factorization *f)
{
    if (fprintf(out, "%" PRIu64 " =", f->n) < 0)
        die("write");
    for (int k = 0; k < f->count && k < FACTOR_MAX; k++)
        if (fprintf(out, "%s %" PRIu64, k == 0 ? "" : " *", f->factors[k]) < 0)
            die("write");
    if (fprintf(out, "\n") < 0)
        die("write");
}

/* One measured variant, kept until the end: the data file is written only
 * once every variant has given the right answers. */
struct row {
    const char *variant;
    int workers;
    struct bench_result r;
};

/* Stop with the first answer of variant j that differs from serial's. */
static _Noreturn void report_wrong(const struct job *j,
                                   const struct factorization *serial,
                                   size_t differ, size_t first)
{
    printf("  WRONG\n");
    if (fflush(stdout) == EOF)
        die("fflush");
    (void)fprintf(stderr,
                  "%s: %s with %d workers: %zu of %zu factorizations differ "
                  "from the serial ones; the first:\n  serial: ",
                  errors_progname(), j->variant, j->workers, differ, j->count);
    print_factorization(stderr, &serial[first]);
    (void)fprintf(stderr, "  %s: ", j->variant);
    print_factorization(stderr, &j->results[first]);
    exit(EXIT_FAILURE);
}

/* Time one variant, print its line, and check it against the serial
 * answers (NULL for the serial run itself); with print, then print its
 * factorizations. */
static struct row measure(struct job *j, int runs,
                          const struct factorization *serial,
                          double serial_median, bool print)
{
    struct row row = {.variant = j->variant, .workers = j->workers};
    bench_run(run_job, j, WARMUPS, runs, true, &row.r);
    printf("%-9s %2d worker%s  median %7.3f s  (min %.3f, max %.3f)  "
           "cpu %7.3f s",
           j->variant, j->workers, j->workers == 1 ? " " : "s", row.r.median,
           row.r.min, row.r.max, row.r.cpu_median);
    if (serial == NULL) {
        printf("\n");
    } else {
        size_t first = 0;
        size_t differ = factor_compare(serial, j->results, j->count, &first);
        if (differ != 0)
            report_wrong(j, serial, differ, first);
        printf("  speedup %5.2f  same %zu factorizations as serial\n",
               serial_median / row.r.median, j->count);
    }
    for (size_t i = 0; print && i < j->count; i++) {
        printf("%s %d: ", j->variant, j->workers);
        print_factorization(stdout, &j->results[i]);
    }
    if (fflush(stdout) == EOF) /* a line of progress as soon as it is known */
        die("fflush");
    return row;
}

/* What the command line asks for. */
struct options {
    size_t count;   /* how many odd numbers */
    uint64_t first; /* the first of them: odd */
    long workers[MAX_COUNTS];
    int nworkers;            /* how many worker counts in workers */
    bool threads, processes; /* which parallel modes to run */
    int runs;
    const char *data_path; /* -o, or NULL */
    bool print;
};

static struct options parse_args(int argc, char *argv[])
{
    struct options o = {.count = 300,
                        .first = 9999999999999ULL,
                        .workers = {2, 4, 8},
                        .nworkers = 3,
                        .runs = 5};
    const char *mode = "all";
    int opt;
    while ((opt = getopt(argc, argv, "n:s:w:m:r:o:ph")) != -1) {
        switch (opt) {
        case 'n':
            o.count = (size_t)arg_long(optarg, 1, MAX_NUMBERS, "count", USAGE);
            break;
        case 's':
            o.first = (uint64_t)arg_long(optarg, 1, MAX_FIRST, "first", USAGE);
            if (o.first % 2 == 0)
                die_usage(USAGE, "first: '%s' is even; the numbers are odd",
                          optarg);
            break;
        case 'w':
            o.nworkers = bench_parse_list(optarg, 1, FACTOR_WORKERS, o.workers,
                                          MAX_COUNTS, "workers", USAGE);
            break;
        case 'm':
            mode = optarg;
            break;
        case 'r':
            o.runs = (int)arg_long(optarg, 1, 100, "runs", USAGE);
            break;
        case 'o':
            o.data_path = optarg;
            break;
        case 'p':
            o.print = true;
            break;
        case 'h':
            args_help(USAGE);
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    o.threads = strcmp(mode, "all") == 0 || strcmp(mode, "threads") == 0;
    o.processes = strcmp(mode, "all") == 0 || strcmp(mode, "processes") == 0;
    if (!o.threads && !o.processes && strcmp(mode, "serial") != 0)
        die_usage(USAGE, "unknown mode '%s'", mode);
    return o;
}

/* Time the serial variant into serial; its answers are the reference
 * every other variant must match: check at least that they multiply
 * back. */
static struct row run_serial(struct job *job, const struct options *o)
{
    struct row row = measure(job, o->runs, NULL, 0, o->print);
    for (size_t i = 0; i < job->count; i++) {
        if (!factor_multiplies_back(&job->results[i])) {
            (void)fprintf(stderr,
                          "%s: the serial factorization does not multiply "
                          "back to its number: ",
                          errors_progname());
            print_factorization(stderr, &job->results[i]);
            exit(EXIT_FAILURE);
        }
    }
    return row;
}

/* Write the rows to the data file for gnuplot. */
static void write_data(const struct options *o, const struct row *rows,
                       int nrows)
{
    char title[128];
    if (snprintf(title, sizeof title, "factorize %zu odd numbers from %" PRIu64,
                 o->count, o->first) < 0)
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
    uint64_t *nums = malloc(o.count * sizeof *nums);
    struct factorization *serial = calloc(o.count, sizeof *serial);
    struct factorization *results = calloc(o.count, sizeof *results);
    if (nums == NULL || serial == NULL || results == NULL)
        die("malloc");
    for (size_t i = 0; i < o.count; i++)
        nums[i] = o.first + 2 * i;

    char machine[300];
    bench_machine(machine, sizeof machine);
    printf("factorize %zu numbers from %" PRIu64 " to %" PRIu64
           " by trial division; %d warm-up + %d timed run%s per variant; "
           "%s\n",
           o.count, nums[0], nums[o.count - 1], WARMUPS, o.runs,
           o.runs == 1 ? "" : "s", machine);

    struct row rows[1 + 2 * MAX_COUNTS];
    int nrows = 0;
    struct job job = {"serial", 1, nums, o.count, serial};
    rows[nrows++] = run_serial(&job, &o);
    for (int w = 0; w < o.nworkers; w++) {
        job.workers = (int)o.workers[w];
        job.results = results;
        if (o.threads) {
            job.variant = "threads";
            rows[nrows++] =
                measure(&job, o.runs, serial, rows[0].r.median, o.print);
        }
        if (o.processes) {
            job.variant = "processes";
            rows[nrows++] =
                measure(&job, o.runs, serial, rows[0].r.median, o.print);
        }
    }
    printf("all %d variants gave the same %zu factorizations\n", nrows,
           o.count);
    if (o.data_path != NULL)
        write_data(&o, rows, nrows);
    free(nums);
    free(serial);
    free(results);
    return EXIT_SUCCESS;
}
