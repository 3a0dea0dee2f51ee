/*
 * mpifactor.c - the lecture's factorization benchmark across MPI ranks:
 * static blocks scattered by rank 0, factorized by every rank, gathered
 * back, and checked against the serial answers before any time is shown.
 *
 * Python:  lab 08's mp_factorizer (chunks of the 300 numbers to processes,
 *          a Queue bringing the answers back), on a cluster with mpi4py:
 *          comm.scatter(chunks, root=0), then comm.gather(answers, root=0).
 * C:       MPI_Scatterv / MPI_Gatherv (mpiwork.c), over sub-communicators
 *          of 1, 2, 4... ranks (MPI_Comm_split) so that one mpirun measures
 *          every rank count; each variant runs once to warm up, then
 *          several times (common/bench.h); rank 0 reports.
 *
 * Usage:   mpirun -np N mpifactor [-n count] [-s first] [-w ranks] [-r runs]
 *                                 [-o file] [-p] [-h]
 *          -n count    how many odd numbers, 1..100000 (default 300)
 *          -s first    the first of them, odd (default 9999999999999)
 *          -w ranks    rank counts to measure, e.g. 1,2,4, each at most N
 *                      (default N)
 *          -r runs     timed runs per variant after one warm-up, 1..100
 *                      (default 5)
 *          -o file     also write the measurements for gnuplot (format:
 *                      common/bench.h): rows "serial 1" and "mpi <ranks>"
 *          -p          print every variant's factorizations, as lines
 *                      "mpi 2: 21 = 3 * 7"
 *          -h, --help  print the usage line on stdout and exit
 *
 * Observe: 2 ranks take about half the serial time, like lab 08's 2
 *          threads or processes; more ranks than cores buy nothing. The
 *          ranks not in a variant wait without using a core
 *          (mpi_quiet_barrier), or they would slow the ones at work.
 * Try:     mpirun -np 4 mpifactor -w 1,2,3,4 -r 3; mpirun -np 3 mpifactor
 *          -n 10 -p; KIT_MPI_CRASH_RANK=1 mpirun -np 2 mpifactor
 */
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "mpiwork.h"

#define USAGE "[-n count] [-s first] [-w ranks] [-r runs] [-o file] [-p] [-h]"
#define MAX_VARIANTS 16
#define WARMUPS 1
#define MAX_NUMBERS 100000
#define MAX_FIRST                                                              \
    (LONG_MAX / 4) /* first + 2 * count stays far from overflow                \
                    */

struct options {
    size_t count;
    uint64_t first;
    long ranks[MAX_VARIANTS]; /* the rank counts to measure */
    int nvariants;
    int runs;
    const char *data_path; /* -o, or NULL */
    bool print;
};

static struct options parse_args(int argc, char *argv[], int world)
{
    struct options o = {.count = 300,
                        .first = 9999999999999ULL,
                        .ranks = {world},
                        .nvariants = 1,
                        .runs = 5};
    int opt;
    while ((opt = getopt(argc, argv, "n:s:w:r:o:ph")) != -1) {
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
        case 'w': /* at most the ranks mpirun started (its -np) */
            o.nvariants = bench_parse_list(optarg, 1, world, o.ranks,
                                           MAX_VARIANTS, "ranks", USAGE);
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
    return o;
}

/* One variant, as bench_run calls it on every rank of comm. */
struct job {
    MPI_Comm comm;
    const uint64_t *nums; /* rank 0 only */
    size_t count;
    struct factorization *results; /* rank 0 only */
};

static void run_mpi(void *arg)
{
    struct job *j = arg;
    /* A fresh table every run: an answer left out must show as missing. */
    if (j->results != NULL)
        memset(j->results, 0, j->count * sizeof j->results[0]);
    MPI_Barrier(j->comm); /* every rank starts the run together */
    mpi_factor_static(j->nums, j->count, j->results, j->comm);
}

static void run_serial(void *arg)
{
    struct job *j = arg;
    for (size_t i = 0; i < j->count; i++)
        factorize_naive(j->nums[i], &j->results[i]);
}

/* One measured variant, printed once every answer has been checked. */
struct row {
    int ranks; /* 0: serial */
    struct bench_result r;
};

/* Time variant v: the first o->ranks[v] ranks of the world in a
 * communicator of their own; the others wait quietly. On rank 0, check
 * the answers against serial and stop the job at the first wrong one. */
static struct row measure_mpi(const struct options *o, int v, struct job *job,
                              const struct factorization *serial)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    struct row row = {.ranks = (int)o->ranks[v]};
    MPI_Comm sub;
    MPI_Comm_split(MPI_COMM_WORLD, rank < row.ranks ? 0 : MPI_UNDEFINED, rank,
                   &sub);
    if (sub != MPI_COMM_NULL) {
        job->comm = sub;
        bench_run(run_mpi, job, WARMUPS, o->runs, false, &row.r);
        MPI_Comm_free(&sub);
    }
    mpi_quiet_barrier(MPI_COMM_WORLD);
    size_t first = 0, differ = 0;
    bool root = rank == 0 && serial != NULL && job->results != NULL;
    if (root)
        differ = factor_compare(serial, job->results, o->count, &first);
    if (!mpi_verdict(differ == 0, MPI_COMM_WORLD)) {
        if (root)
            (void)fprintf(stderr,
                          "%s: on %d ranks, %zu of %zu factorizations differ "
                          "from the serial ones; the first is that of %" PRIu64
                          " (serial: %d factors, mpi: %d)\n",
                          errors_progname(), row.ranks, differ, o->count,
                          serial[first].n, serial[first].count,
                          job->results[first].count);
        mpi_finish(EXIT_FAILURE); /* every rank, before any time is shown */
    }
    return row;
}

static void print_factorizations(const char *label,
                                 const struct factorization *f, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        printf("%s: %" PRIu64 " =", label, f[i].n);
        for (int k = 0; k < f[i].count && k < FACTOR_MAX; k++)
            printf("%s %" PRIu64, k == 0 ? "" : " *", f[i].factors[k]);
        printf("\n");
    }
}

/* The times, once every variant has given the serial answers. */
static void print_rows(const struct row *rows, int nrows, size_t count)
{
    const struct bench_result *s = &rows[0].r;
    printf("serial    1 rank   median %7.3f s  (min %.3f, max %.3f)\n",
           s->median, s->min, s->max);
    for (int i = 1; i < nrows; i++) {
        const struct bench_result *r = &rows[i].r;
        printf("mpi      %2d rank%s  median %7.3f s  (min %.3f, max %.3f)  "
               "speedup %5.2f (%.2f..%.2f)  same %zu factorizations as "
               "serial\n",
               rows[i].ranks, rows[i].ranks == 1 ? " " : "s", r->median, r->min,
               r->max, s->median / r->median, s->median / r->max,
               s->median / r->min, count);
    }
    printf("all %d variants gave the same %zu factorizations\n", nrows, count);
}

static void write_data(const struct options *o, const struct row *rows,
                       int nrows)
{
    char title[128];
    if (snprintf(title, sizeof title, "factorize %zu odd numbers from %" PRIu64,
                 o->count, o->first) < 0)
        die("snprintf");
    FILE *f = bench_data_open(o->data_path, title, WARMUPS, o->runs);
    for (int i = 0; i < nrows; i++)
        bench_data_row(f, rows[i].ranks == 0 ? "serial" : "mpi",
                       rows[i].ranks == 0 ? 1 : rows[i].ranks, &rows[i].r);
    bench_data_close(f, o->data_path);
    printf("measurements written to %s\n", o->data_path);
}

/* Rank 0: the numbers, and their serial answers, timed while the other
 * ranks wait quietly. The serial answers are what every variant must
 * give. */
static struct row measure_serial(const struct options *o, struct job *job,
                                 struct factorization *serial)
{
    struct row row = {.ranks = 0};
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
        struct job s = *job;
        s.results = serial;
        bench_run(run_serial, &s, WARMUPS, o->runs, true, &row.r);
    }
    mpi_quiet_barrier(MPI_COMM_WORLD);
    return row;
}

int main(int argc, char *argv[])
{
    MPI_Init(&argc, &argv);
    errors_set_progname(argv[0]);
    int rank, world;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    mpi_args_begin();
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct options o = parse_args(argc, argv, world);
    mpi_args_end();

    /* Only rank 0 holds the numbers and the tables. */
    uint64_t *nums = NULL;
    struct factorization *serial = NULL, *results = NULL;
    if (rank == 0) {
        nums = malloc(o.count * sizeof *nums);
        serial = calloc(o.count, sizeof *serial);
        results = calloc(o.count, sizeof *results);
        if (nums == NULL || serial == NULL || results == NULL)
            die("malloc");
        for (size_t i = 0; i < o.count; i++)
            nums[i] = o.first + 2 * i;
        char machine[300];
        bench_machine(machine, sizeof machine);
        printf("mpifactor: %zu numbers from %" PRIu64 " by trial division, "
               "static blocks on %d rank%s; %d warm-up + %d timed run%s per "
               "variant; %s\n",
               o.count, o.first, world, world == 1 ? "" : "s", WARMUPS, o.runs,
               o.runs == 1 ? "" : "s", machine);
    }
    struct job job = {MPI_COMM_WORLD, nums, o.count, results};
    struct row rows[1 + MAX_VARIANTS];
    rows[0] = measure_serial(&o, &job, serial);
    for (int v = 0; v < o.nvariants; v++) {
        rows[1 + v] = measure_mpi(&o, v, &job, serial);
        char label[32];
        (void)snprintf(label, sizeof label, "mpi %d", rows[1 + v].ranks);
        if (rank == 0 && o.print)
            print_factorizations(label, results, o.count);
    }
    if (rank == 0) {
        print_rows(rows, 1 + o.nvariants, o.count);
        if (o.data_path != NULL)
            write_data(&o, rows, 1 + o.nvariants);
    }
    free(nums);
    free(serial);
    free(results);
    MPI_Finalize();
    return EXIT_SUCCESS;
}
