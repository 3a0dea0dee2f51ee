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
 *                    [-o file] [-p]
 *          -n count    how many odd numbers, 1..100000 (default 300)
 *          -s first    the first of them (default 9999999999999); the
 *                      others follow in steps of 2
 *          -w workers  worker counts to try, e.g. 2,4,8 (default), 1..64
 *          -m mode     all (default), serial, threads or processes
 *          -r runs     timed runs per variant after one warm-up, 1..100
 *                      (default 5)
 *          -o file     also write the measurements to file for gnuplot
 *                      (format: common/bench.h)
 *          -p          print every variant's factorizations, as lines
 *                      "threads 4: 21 = 3 * 7"
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
    "[-n count] [-s first] [-w workers] [-m mode] [-r runs] [-o file] [-p]"
#define MAX_COUNTS 16 /* worker counts in -w */
#define WARMUPS 1

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
        if (differ != 0) {
            printf("  WRONG\n");
            if (fflush(stdout) == EOF)
                die("fflush");
            (void)fprintf(stderr,
                          "%s: %s with %d workers: %zu of %zu factorizations "
                          "differ from the serial ones; the first:\n  serial: ",
                          errors_progname(), j->variant, j->workers, differ,
                          j->count);
            print_factorization(stderr, &serial[first]);
            (void)fprintf(stderr, "  %s: ", j->variant);
            print_factorization(stderr, &j->results[first]);
            exit(EXIT_FAILURE);
        }
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

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    long count = 300, first = 9999999999999L, runs = 5;
    long workers[MAX_COUNTS] = {2, 4, 8};
    int nworkers = 3;
    const char *mode = "all", *data_path = NULL;
    bool print = false;
    int opt;
    while ((opt = getopt(argc, argv, "n:s:w:m:r:o:p")) != -1) {
        switch (opt) {
        case 'n':
            count = arg_long(optarg, 1, 100000, "count", USAGE);
            break;
        case 's':
            first = arg_long(optarg, 1, LONG_MAX / 4, "first", USAGE);
            break;
        case 'w':
            nworkers = bench_parse_list(optarg, 1, FACTOR_WORKERS, workers,
                                        MAX_COUNTS, "workers", USAGE);
            break;
        case 'm':
            mode = optarg;
            break;
        case 'r':
            runs = arg_long(optarg, 1, 100, "runs", USAGE);
            break;
        case 'o':
            data_path = optarg;
            break;
        case 'p':
            print = true;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    bool threads = strcmp(mode, "all") == 0 || strcmp(mode, "threads") == 0;
    bool processes = strcmp(mode, "all") == 0 || strcmp(mode, "processes") == 0;
    if (!threads && !processes && strcmp(mode, "serial") != 0)
        die_usage(USAGE, "unknown mode '%s'", mode);

    size_t n = (size_t)count;
    uint64_t *nums = malloc(n * sizeof *nums);
    struct factorization *serial = calloc(n, sizeof *serial);
    struct factorization *results = calloc(n, sizeof *results);
    struct row rows[1 + 2 * MAX_COUNTS];
    if (nums == NULL || serial == NULL || results == NULL)
        die("malloc");
    for (size_t i = 0; i < n; i++)
        nums[i] = (uint64_t)first + 2 * i;

    char machine[300];
    bench_machine(machine, sizeof machine);
    printf("factorize %zu numbers from %" PRIu64 " to %" PRIu64
           " by trial division; %d warm-up + %ld timed run%s per variant; "
           "%s\n",
           n, nums[0], nums[n - 1], WARMUPS, runs, runs == 1 ? "" : "s",
           machine);

    /* The serial answers are the reference every other variant must
     * match; check at least that they multiply back. */
    struct job job = {"serial", 1, nums, n, serial};
    int nrows = 0;
    rows[nrows++] = measure(&job, (int)runs, NULL, 0, print);
    for (size_t i = 0; i < n; i++) {
        if (!factor_multiplies_back(&serial[i])) {
            (void)fprintf(stderr,
                          "%s: the serial factorization does not multiply "
                          "back to its number: ",
                          errors_progname());
            print_factorization(stderr, &serial[i]);
            exit(EXIT_FAILURE);
        }
    }
    double serial_median = rows[0].r.median;

    for (int w = 0; w < nworkers; w++) {
        job.workers = (int)workers[w];
        job.results = results;
        if (threads) {
            job.variant = "threads";
            rows[nrows++] =
                measure(&job, (int)runs, serial, serial_median, print);
        }
        if (processes) {
            job.variant = "processes";
            rows[nrows++] =
                measure(&job, (int)runs, serial, serial_median, print);
        }
    }
    printf("all %d variants gave the same %zu factorizations\n", nrows, n);

    if (data_path != NULL) {
        char title[128];
        if (snprintf(title, sizeof title,
                     "factorize %zu odd numbers from %" PRIu64, n, nums[0]) < 0)
            die("snprintf");
        FILE *f = bench_data_open(data_path, title, WARMUPS, (int)runs);
        for (int i = 0; i < nrows; i++)
            bench_data_row(f, rows[i].variant, rows[i].workers, &rows[i].r);
        bench_data_close(f, data_path);
        printf("measurements written to %s\n", data_path);
    }
    free(nums);
    free(serial);
    free(results);
    return EXIT_SUCCESS;
}
