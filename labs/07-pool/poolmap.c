/*
 * poolmap.c - the lecture's Pool examples: map, map_async, starmap and
 * apply_async on one pool of workers, created once and reused.
 *
 * Python:  with Pool(processes=4) as pool:
 *              print(pool.map(cube, range(1, 7)))
 *              r = pool.map_async(cube, range(1, 7)); print(r.get())
 *              print(pool.starmap(power, [(2, 2), (3, 3), (4, 2), (5, 3)]))
 *              print(pool.apply_async(square, (10,)).get())
 * C:       pool_create / pool_map / pool_submit + pool_wait / pool_starmap /
 *          pool_destroy (pool.h); with -T the same over threads (tpool.h).
 *
 * Usage:   poolmap [-w workers] [-n count] [-c crash] [-T]   (-h: this usage)
 *          -w workers  pool size, 1..64 (default 4)
 *          -n count    cube 1..count (default 6)
 *          -c crash    cube(crash) dies of a segmentation fault (processes
 *                      only: in a thread it would end the whole program)
 *          -T          worker threads instead of worker processes
 *
 * Observe: every cube line names the worker pid that ran it: a few pids,
 *          reused across map, map_async and starmap; the lists come out in
 *          input order whatever order the workers finish in.
 * Try:     poolmap -c 3   (the task is reported, the pool carries on)
 *          poolmap -T     (one pid for every task)
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "pool.h"
#include "tpool.h"

#define USAGE "[-w workers] [-n count] [-c crash] [-T]"
#define MAX_COUNT 1000

static int64_t crash_at = -1; /* set before the pool starts: workers see it */

/* The lecture's cube(x), which also says which process ran it. */
static int64_t cube(const int64_t args[], size_t nargs)
{
    (void)nargs;
    int64_t x = args[0];
    printf("cube(%lld) in pid %ld\n", (long long)x, (long)getpid());
    if (fflush(stdout) == EOF)
        die_child("fflush");
    if (x == crash_at)
        (void)raise(SIGSEGV); /* a bug in the task: the worker dies */
    return x * x * x;
}

static int64_t power(const int64_t args[], size_t nargs)
{
    (void)nargs;
    int64_t r = 1;
    for (int64_t e = 0; e < args[1]; e++)
        r *= args[0];
    return r;
}

static int64_t square(const int64_t args[], size_t nargs)
{
    (void)nargs;
    return args[0] * args[0];
}

/* One of the two pools, behind one face. */
struct any_pool {
    struct pool *procs;
    struct tpool *threads;
};

static struct pool_job *submit(struct any_pool *p, pool_fn *fn,
                               const int64_t args[], size_t nargs, size_t n)
{
    struct pool_job *job = p->procs != NULL
                               ? pool_submit(p->procs, fn, args, nargs, n)
                               : tpool_submit(p->threads, fn, args, nargs, n);
    if (job == NULL)
        die("pool_submit");
    return job;
}

static void wait_for(struct any_pool *p, struct pool_job *job,
                     struct pool_result results[])
{
    if ((p->procs != NULL ? pool_wait(p->procs, job, results)
                          : tpool_wait(p->threads, job, results)) == -1)
        die("pool_wait");
}

/* Print "label = [r0, r1, ...]"; a crashed task shows how it died. */
static void print_list(const char *label, const struct pool_result r[],
                       size_t n, bool *seen)
{
    printf("%s = [", label);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            printf(", ");
        if (r[i].status == POOL_DONE)
            printf("%lld", (long long)r[i].value);
        else if (r[i].status == POOL_CRASHED)
            printf("crashed (signal %d)", r[i].signal);
        else
            printf("?");
        if (r[i].status != POOL_PENDING)
            seen[r[i].worker] = true;
    }
    printf("]\n");
    if (fflush(stdout) == EOF) /* in order with the workers' lines */
        die("fflush");
}

/* What the command line asked for. */
struct options {
    int workers;
    size_t count;
    bool threads;
};

static struct options parse_args(int argc, char *argv[])
{
    struct options o = {.workers = 4, .count = 6, .threads = false};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "hw:n:c:T")) != -1) {
        switch (opt) {
        case 'w':
            o.workers =
                (int)arg_long(optarg, 1, POOL_MAX_WORKERS, "workers", USAGE);
            break;
        case 'n':
            o.count = (size_t)arg_long(optarg, 1, MAX_COUNT, "count", USAGE);
            break;
        case 'c':
            crash_at = arg_long(optarg, 1, MAX_COUNT, "crash", USAGE);
            break;
        case 'T':
            o.threads = true;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    if (o.threads && crash_at != -1)
        die_usage(USAGE, "-c needs worker processes: a segmentation fault "
                         "in a thread ends the whole program");
    return o;
}

/* map and map_async: cube 1..n, twice; results in r. */
static void run_maps(struct any_pool *p, size_t n, struct pool_result r[],
                     bool seen[])
{
    int64_t xs[MAX_COUNT];
    for (size_t i = 0; i < n; i++)
        xs[i] = (int64_t)i + 1;
    char label[64];
    if (snprintf(label, sizeof label, "map(cube, 1..%zu)", n) < 0)
        die("snprintf");

    /* map: blocks until every result is in. */
    wait_for(p, submit(p, cube, xs, 1, n), r);
    print_list(label, r, n, seen);

    /* map_async: the same work, but main gets a handle back at once. */
    struct pool_job *later = submit(p, cube, xs, 1, n);
    printf("map_async: %zu tasks submitted; main goes on meanwhile\n", n);
    wait_for(p, later, r);
    print_list("map_async(...).get()", r, n, seen);
}

/* starmap and apply_async. */
static void run_applies(struct any_pool *p, struct pool_result r[], bool seen[])
{
    /* starmap: several arguments per task. */
    static const int64_t pairs[] = {2, 2, 3, 3, 4, 2, 5, 3};
    wait_for(p, submit(p, power, pairs, 2, 4), r);
    print_list("starmap(power, [(2, 2), (3, 3), (4, 2), (5, 3)])", r, 4, seen);

    /* apply_async: one task, one handle. */
    int64_t ten = 10;
    struct pool_job *one = submit(p, square, &ten, 1, 1);
    wait_for(p, one, r);
    print_list("apply_async(square, (10,)).get()", r, 1, seen);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o = parse_args(argc, argv);
    printf("main: pid %ld, a pool of %d worker %s\n", (long)getpid(), o.workers,
           o.threads ? "threads" : "processes");
    struct any_pool p = {0};
    if (o.threads ? (p.threads = tpool_create(o.workers)) == NULL
                  : (p.procs = pool_create(o.workers)) == NULL)
        die("pool_create");

    static struct pool_result r[MAX_COUNT];
    bool seen[POOL_MAX_WORKERS] = {false};
    run_maps(&p, o.count, r, seen);
    run_applies(&p, r, seen);

    int took_part = 0;
    for (int k = 0; k < o.workers; k++)
        took_part += seen[k];
    printf("workers that ran tasks: %d of %d\n", took_part, o.workers);
    if ((p.procs != NULL ? pool_destroy(p.procs) : tpool_destroy(p.threads)) ==
        -1)
        die("pool_destroy");
    printf("pool closed: every worker %s\n", o.threads ? "joined" : "reaped");
    return EXIT_SUCCESS;
}
