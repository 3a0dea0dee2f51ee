/*
 * primesum.c - static chunking against dynamic hand-out, on the lecture's
 * uneven workload, with worker processes and with worker threads.
 *
 * Python:  with Pool(processes=8) as pool:
 *              pool.map(sum_primes, range(0, 200000, 500))
 * C:       the same 400 tasks (task i: the sum of the primes below i, by
 *          naive trial division), on a pool of processes (pool.h) and a
 *          pool of threads (tpool.h), each handed out two ways:
 *            static  - worker k gets the k-th block of consecutive tasks,
 *                      fixed in advance;
 *            dynamic - each worker takes the next task when it is free.
 *          Task cost grows with i, so the last block is by far the
 *          heaviest: static leaves the other workers idle at the end.
 *
 * Usage:   primesum [-w workers] [-n limit] [-s step] [-r repeats] [-v]
 *          (-h: this usage)
 *          -w workers  pool size, 1..64 (default: the cores online)
 *          -n limit    tasks are i = 0, step, 2*step, ... below limit
 *                      (default 200000)
 *          -s step     (default 500)
 *          -r repeats  runs per variant; the median is reported (default 3)
 *          -v          print every [i, sum of primes below i]
 *
 * Observe: dynamic beats static by a wide margin with the same workers;
 *          threads and processes finish close to each other (no GIL in C).
 * Try:     primesum -w 1 (static = dynamic), primesum -w 8 on 2 cores.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "pool.h"
#include "timing.h"
#include "tpool.h"

#define USAGE "[-w workers] [-n limit] [-s step] [-r repeats] [-v]"
#define MAX_REPEATS 15
#define MAX_TASKS 100000

/* Naive trial division, as in the lecture: try every d up to ceil(sqrt n). */
static bool is_prime(int64_t n)
{
    if (n < 2)
        return false;
    for (int64_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return false;
    return true;
}

/* The task: the sum of the primes below args[0]. */
static int64_t sum_primes(const int64_t args[], size_t nargs)
{
    (void)nargs;
    int64_t sum = 0;
    for (int64_t x = 2; x < args[0]; x++)
        if (is_prime(x))
            sum += x;
    return sum;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct timing {
    double median, min, max;
    double busiest; /* the busiest worker's share of the task time */
};

/* The busiest worker's share of the time spent in tasks: 1/workers when
 * the work is spread evenly. It hardly depends on what else the machine
 * runs, unlike the elapsed time. */
static double busiest_share(const struct pool_result *res, size_t n,
                            int workers)
{
    double busy[POOL_MAX_WORKERS] = {0}, total = 0, most = 0;
    for (size_t i = 0; i < n; i++) {
        busy[res[i].worker] += res[i].seconds;
        total += res[i].seconds;
    }
    for (int k = 0; k < workers; k++)
        if (busy[k] > most)
            most = busy[k];
    return total > 0 ? most / total : 0;
}

/* Run the workload repeats times on one pool (created once, reused);
 * results of the last run in res. */
static struct timing measure(struct pool *procs, struct tpool *threads,
                             enum pool_schedule schedule, const int64_t *xs,
                             size_t n, int repeats, struct pool_result *res)
{
    double t[MAX_REPEATS];
    if (procs != NULL)
        pool_set_schedule(procs, schedule);
    else
        tpool_set_schedule(threads, schedule);
    for (int k = 0; k < repeats; k++) {
        double t0 = timing_now();
        if ((procs != NULL ? pool_map(procs, sum_primes, xs, n, res)
                           : tpool_map(threads, sum_primes, xs, n, res)) == -1)
            die("pool_map");
        t[k] = timing_now() - t0;
    }
    qsort(t, (size_t)repeats, sizeof t[0], cmp_double);
    int workers =
        procs != NULL ? pool_nworkers(procs) : tpool_nworkers(threads);
    return (struct timing){t[repeats / 2], t[0], t[repeats - 1],
                           busiest_share(res, n, workers)};
}

/* What the command line asked for. */
struct options {
    int workers;
    long limit, step;
    int repeats;
    bool verbose;
};

static struct options parse_args(int argc, char *argv[])
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    struct options o = {.workers = cores > POOL_MAX_WORKERS ? POOL_MAX_WORKERS
                                                            : (int)cores,
                        .limit = 200000,
                        .step = 500,
                        .repeats = 3};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "hw:n:s:r:v")) != -1) {
        switch (opt) {
        case 'w':
            o.workers =
                (int)arg_long(optarg, 1, POOL_MAX_WORKERS, "workers", USAGE);
            break;
        case 'n':
            o.limit = arg_long(optarg, 1, 10000000, "limit", USAGE);
            break;
        case 's':
            o.step = arg_long(optarg, 1, 10000000, "step", USAGE);
            break;
        case 'r':
            o.repeats = (int)arg_long(optarg, 1, MAX_REPEATS, "repeats", USAGE);
            break;
        case 'v':
            o.verbose = true;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return o;
}

static const char *const VARIANTS[4] = {
    "processes static ", "processes dynamic", "threads   static ",
    "threads   dynamic"};

/* The four variants, each on its pool (created once per kind, reused for
 * every repeat); results of each in res[v], timings in t[v]. */
static void measure_all(const struct options *o, const int64_t *xs, size_t n,
                        struct pool_result *res[4], struct timing t[4])
{
    struct pool *procs = pool_create(o->workers);
    if (procs == NULL)
        die("pool_create");
    t[0] = measure(procs, NULL, POOL_STATIC, xs, n, o->repeats, res[0]);
    t[1] = measure(procs, NULL, POOL_DYNAMIC, xs, n, o->repeats, res[1]);
    if (pool_destroy(procs) == -1)
        die("pool_destroy");
    struct tpool *threads = tpool_create(o->workers);
    if (threads == NULL)
        die("tpool_create");
    t[2] = measure(NULL, threads, POOL_STATIC, xs, n, o->repeats, res[2]);
    t[3] = measure(NULL, threads, POOL_DYNAMIC, xs, n, o->repeats, res[3]);
    if (tpool_destroy(threads) == -1)
        die("tpool_destroy");
}

/* The four variants must agree, task by task (checked, not assumed).
 * Returns how many sums differ or are missing. */
static size_t report_agreement(const int64_t *xs, size_t n,
                               struct pool_result *res[4])
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok = res[0][i].status == POOL_DONE;
        for (int v = 1; v < 4; v++)
            ok = ok && res[v][i].status == POOL_DONE &&
                 res[v][i].value == res[0][i].value;
        bad += !ok;
    }
    if (bad == 0)
        printf("results: the 4 variants agree on all %zu sums; sum of the "
               "primes below %lld = %lld\n",
               n, (long long)xs[n - 1], (long long)res[1][n - 1].value);
    else
        printf("results: the variants DISAGREE on %zu of %zu sums\n", bad, n);
    return bad;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o = parse_args(argc, argv);
    size_t n = (size_t)((o.limit + o.step - 1) / o.step);
    if (n > MAX_TASKS)
        die_usage(USAGE, "%zu tasks: at most %d (raise -s or lower -n)", n,
                  MAX_TASKS);
    int64_t *xs = malloc(n * sizeof *xs);
    struct pool_result *res[4];
    for (int v = 0; v < 4; v++)
        if ((res[v] = calloc(n, sizeof *res[v])) == NULL)
            die("calloc");
    if (xs == NULL)
        die("malloc");
    for (size_t i = 0; i < n; i++)
        xs[i] = (int64_t)i * o.step;

    char machine[256];
    bench_machine(machine, sizeof machine);
    printf("machine: %s\n", machine);
    printf("workload: %zu tasks, sum of the primes below i for i = 0, %ld, "
           "..., %lld\n",
           n, o.step, (long long)xs[n - 1]);
    printf("pool: %d workers; time of one map, median of %d runs "
           "(min..max); busiest worker's share of the task time "
           "(even: %.0f%%)\n",
           o.workers, o.repeats, 100.0 / o.workers);

    struct timing t[4];
    measure_all(&o, xs, n, res, t);
    for (int v = 0; v < 4; v++)
        printf("%s  %8.3f s  (%.3f..%.3f)  busiest %3.0f%%\n", VARIANTS[v],
               t[v].median, t[v].min, t[v].max, 100 * t[v].busiest);
    printf("dynamic vs static: processes %.2fx, threads %.2fx faster\n",
           t[0].median / t[1].median, t[2].median / t[3].median);
    size_t bad = report_agreement(xs, n, res);
    if (o.verbose)
        for (size_t i = 0; i < n; i++)
            printf("[%lld, %lld]\n", (long long)xs[i],
                   (long long)res[1][i].value);
    free(xs);
    for (int v = 0; v < 4; v++)
        free(res[v]);
    return bad == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
