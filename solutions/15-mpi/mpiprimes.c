/*
 * mpiprimes.c - the course assignment across MPI ranks: the sum of the
 * primes below each n of range(start, stop, step), the tasks handed out
 * one at a time by a master rank because they are uneven (the last costs
 * far more than the first), checked against the serial sums before any
 * time is shown.
 *
 * Python:  lab 09's Pool.map of sum_primes over the n; on a cluster with
 *          mpi4py, a master that comm.send()s each task to the worker
 *          whose result it just comm.recv()ed (status.Get_source()).
 * C:       mpi_primes_master / mpi_primes_worker (mpiwork.c): MPI_Send and
 *          MPI_Recv with tags TAG_WORK, TAG_RESULT and TAG_STOP. Rank 0 is
 *          the master and only hands out, so N ranks have N - 1 workers;
 *          one rank alone computes everything itself.
 *
 * Usage:   mpirun -np N mpiprimes [-r runs] [-o file] [-h]
 *                                 [start stop step]
 *          -r runs     timed runs per variant, 1..100 (default 1; no
 *                      warm-up: each run is long)
 *          -o file     also write the measurements for gnuplot (format:
 *                      common/bench.h): rows "serial 1" and "mpi <ranks>"
 *          start stop step   the n, as Python's range (default 100000
 *                      2500000 100000, the assignment; stop at most
 *                      100000000, at most 100000 tasks)
 *          -h, --help  print the usage line on stdout and exit
 *
 * Observe: 3 ranks (a master and 2 workers) take about half the serial
 *          time on 2 cores: the master waits for results without using a
 *          core (mpi_quiet_wait). Static blocks would leave the rank with
 *          the biggest n working long after the others.
 * Try:     mpirun -np 3 mpiprimes 10 100 10; KIT_MPI_SLOW_RANK=1 mpirun
 *          -np 3 mpiprimes 1000 20000 1000 (the slow rank gets fewer tasks)
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "mpiwork.h"

#define USAGE "[-r runs] [-o file] [-h] [start stop step]"
#define MAX_N 100000000L
#define MAX_TASKS 100000L
#define WARMUPS 0

struct options {
    long start, stop, step;
    int runs;
    const char *data_path; /* -o, or NULL */
};

static struct options parse_args(int argc, char *argv[])
{
    struct options o = {
        .start = 100000, .stop = 2500000, .step = 100000, .runs = 1};
    int opt;
    while ((opt = getopt(argc, argv, "r:o:h")) != -1) {
        switch (opt) {
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
    if (argc - optind != 0 && argc - optind != 3)
        die_usage(USAGE, "give all three of start stop step, or none");
    if (argc - optind == 3) {
        o.start = arg_long(argv[optind], 0, MAX_N, "start", USAGE);
        o.stop = arg_long(argv[optind + 1], 0, MAX_N, "stop", USAGE);
        o.step = arg_long(argv[optind + 2], 1, MAX_N, "step", USAGE);
    }
    if (o.stop <= o.start)
        die_usage(USAGE, "stop must be above start: range(%ld, %ld) is empty",
                  o.start, o.stop);
    if ((o.stop - o.start + o.step - 1) / o.step > MAX_TASKS)
        die_usage(USAGE, "more than %ld tasks", MAX_TASKS);
    return o;
}

/* One variant, as bench_run calls it on every rank. */
struct job {
    bool serial;
    const uint32_t *ns; /* rank 0 only */
    size_t count;
    uint64_t *sums; /* rank 0 only */
};

static void run_job(void *arg)
{
    struct job *j = arg;
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    if (rank == 0) /* a task left undone must show as missing */
        memset(j->sums, 0, j->count * sizeof j->sums[0]);
    if (j->serial || ranks == 1) { /* rank 0 alone */
        for (size_t i = 0; i < j->count; i++)
            j->sums[i] = sum_primes_naive(j->ns[i]);
        return;
    }
    MPI_Barrier(MPI_COMM_WORLD); /* every rank starts the run together */
    if (rank == 0)
        mpi_primes_master(j->ns, j->count, j->sums, MPI_COMM_WORLD);
    else
        mpi_primes_worker(MPI_COMM_WORLD);
}

/* Rank 0: whether every sum is serial's; says which is not. */
static bool sums_agree(const struct job *j, const uint64_t *serial, int ranks)
{
    for (size_t i = 0; i < j->count; i++) {
        if (j->sums[i] != serial[i]) {
            (void)fprintf(stderr,
                          "%s: on %d ranks, the sum of the primes below "
                          "%" PRIu32 " came back as %" PRIu64
                          "; serially it is %" PRIu64 "\n",
                          errors_progname(), ranks, j->ns[i], j->sums[i],
                          serial[i]);
            return false;
        }
    }
    return true;
}

static void write_data(const struct options *o, int ranks,
                       const struct bench_result *serial,
                       const struct bench_result *mpi)
{
    char title[128];
    if (snprintf(title, sizeof title,
                 "sum of primes below n, range(%ld, %ld, "
                 "%ld), master/worker",
                 o->start, o->stop, o->step) < 0)
        die("snprintf");
    FILE *f = bench_data_open(o->data_path, title, WARMUPS, o->runs);
    bench_data_row(f, "serial", 1, serial);
    bench_data_row(f, "mpi", ranks, mpi);
    bench_data_close(f, o->data_path);
    printf("measurements written to %s\n", o->data_path);
}

/* Rank 0: the sums in the assignment's format, then the times. */
static void report(const struct job *j, int ranks, const struct bench_result *s,
                   const struct bench_result *m)
{
    for (size_t i = 0; i < j->count; i++)
        printf("[%" PRIu32 ", %" PRIu64 "]\n", j->ns[i], j->sums[i]);
    printf("serial    1 rank   %7.3f s  (min %.3f, max %.3f)\n", s->median,
           s->min, s->max);
    printf("mpi      %2d rank%s  %7.3f s  (min %.3f, max %.3f)  speedup %.2f  "
           "%d worker%s; same %zu sums as serial\n",
           ranks, ranks == 1 ? " " : "s", m->median, m->min, m->max,
           s->median / m->median, ranks == 1 ? 1 : ranks - 1,
           ranks == 2 ? "" : "s", j->count);
}

int main(int argc, char *argv[])
{
    MPI_Init(&argc, &argv);
    errors_set_progname(argv[0]);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    mpi_args_begin();
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct options o = parse_args(argc, argv);
    mpi_args_end();

    size_t count = (size_t)((o.stop - o.start + o.step - 1) / o.step);
    uint32_t *ns = NULL;
    uint64_t *serial = NULL, *sums = NULL;
    if (rank == 0) {
        ns = malloc(count * sizeof *ns);
        serial = calloc(count, sizeof *serial);
        sums = calloc(count, sizeof *sums);
        if (ns == NULL || serial == NULL || sums == NULL)
            die("malloc");
        for (size_t i = 0; i < count; i++)
            ns[i] = (uint32_t)(o.start + (long)i * o.step);
    }
    struct bench_result s = {0}, m;
    struct job job = {true, ns, count, serial};
    if (rank == 0) /* the serial sums: the others wait quietly */
        bench_run(run_job, &job, WARMUPS, o.runs, true, &s);
    mpi_quiet_barrier(MPI_COMM_WORLD);
    job = (struct job){false, ns, count, sums};
    bench_run(run_job, &job, WARMUPS, o.runs, false, &m);
    bool ok = rank != 0 || sums_agree(&job, serial, ranks);
    if (!mpi_verdict(ok, MPI_COMM_WORLD))
        mpi_finish(EXIT_FAILURE); /* every rank, before any time is shown */
    if (rank == 0) {
        report(&job, ranks, &s, &m);
        if (o.data_path != NULL)
            write_data(&o, ranks, &s, &m);
    }
    free(ns);
    free(serial);
    free(sums);
    MPI_Finalize();
    return EXIT_SUCCESS;
}
