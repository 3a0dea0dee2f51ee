/*
 * primes.c - the lecture's prime checks through an executor: one future
 * per number, taken as they complete, then checked against a serial run.
 *
 * Python:  with ThreadPoolExecutor(max_workers=2) as ex:
 *              fs = {ex.submit(is_prime, n): n for n in NUMBERS}
 *              for f in as_completed(fs): print(fs[f], f.result())
 * C:       executor_create / executor_submit / futures_as_completed /
 *          future_result / executor_shutdown (futures.h).
 *
 * Usage:   primes [-w threads] [-r runs] [n ...]   (-h: this usage)
 *          -w threads  executor threads, 1..64 (default 2)
 *          -r runs     also time serial against the executor, median of
 *                      runs (1..50) after one warm-up (kit's bench helper)
 *          n ...       the numbers to check (default: eight near 10^14);
 *                      a number below 2 makes its task fail with EDOM
 *
 * Observe: the answers come in the order the checks end, not the order
 *          submitted (the composites with a small factor first); every
 *          answer is checked against a serial check of the same number.
 *          C has no GIL: with -r, 2 threads take about half the serial
 *          time on 2 cores.
 * Try:     primes -w 1 (submission order again), primes -w 3 7 1 91 0
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "futures.h"

#define USAGE "[-w threads] [-r runs] [n ...]"
#define MAX_NUMBERS 64

static const int64_t DEFAULT_NUMBERS[] = {
    100000000000031, 99999140001653, 100000000000067, 100000000000035,
    100000000000097, 99999640000243, 100000000000099, 100000000000001};

struct options {
    int threads, runs;
    size_t n;
    int64_t numbers[MAX_NUMBERS];
};

/* Which pool thread ran a check: 1, 2, ... in the order threads first ran. */
static atomic_int thread_count;
static _Thread_local int thread_number;

/* The smallest factor of n > 1 (n itself if n is prime), by trial
 * division: about sqrt(n) / 2 divisions for a prime. */
static int64_t smallest_factor(int64_t n)
{
    if (n % 2 == 0)
        return 2;
    for (int64_t d = 3; d <= n / d; d += 2)
        if (n % d == 0)
            return d;
    return n;
}

/* The task: value = the smallest factor; EDOM for n < 2 (no answer). */
static int check_task(void *arg, int64_t *value)
{
    int64_t n = *(const int64_t *)arg;
    if (thread_number == 0)
        thread_number = atomic_fetch_add(&thread_count, 1) + 1;
    if (n < 2)
        return EDOM;
    *value = smallest_factor(n);
    return 0;
}

static void parse_args(int argc, char *argv[], struct options *o)
{
    *o = (struct options){.threads = 2, .runs = 0};
    int c;
    while ((c = getopt(argc, argv, "w:r:")) != -1) {
        if (c == 'w')
            o->threads = (int)arg_long(optarg, 1, 64, "threads", USAGE);
        else if (c == 'r')
            o->runs = (int)arg_long(optarg, 1, 50, "runs", USAGE);
        else
            die_bad_option(USAGE);
    }
    if (argc - optind > MAX_NUMBERS)
        die_usage(USAGE, "at most %d numbers", MAX_NUMBERS);
    for (int i = optind; i < argc; i++)
        o->numbers[o->n++] = arg_long(argv[i], 0, INT64_MAX, "number", USAGE);
    if (o->n == 0) {
        o->n = sizeof DEFAULT_NUMBERS / sizeof DEFAULT_NUMBERS[0];
        memcpy(o->numbers, DEFAULT_NUMBERS, sizeof DEFAULT_NUMBERS);
    }
}

static void print_answer(int64_t n, int err, int64_t factor)
{
    if (err != 0)
        printf("%" PRId64 ": no answer (%s)\n", n, strerror(err));
    else if (factor == n)
        printf("%" PRId64 " is prime\n", n);
    else
        printf("%" PRId64 " is not prime: %" PRId64 " x %" PRId64 "\n", n,
               factor, n / factor);
}

/* Submit a check per number, print the answers as they complete, and
 * check each against a serial computation. Returns how many disagree. */
static size_t check_all(const struct options *o)
{
    struct executor *ex = executor_create(o->threads);
    if (ex == NULL)
        die("executor_create");
    struct future *fs[MAX_NUMBERS], *order[MAX_NUMBERS];
    for (size_t i = 0; i < o->n; i++)
        if ((fs[i] = order[i] = executor_submit(
                 ex, check_task, (void *)&o->numbers[i])) == NULL)
            die("executor_submit");
    printf("as completed:\n");
    size_t left = o->n, wrong = 0;
    struct future *f;
    while ((f = futures_as_completed(order, &left)) != NULL) {
        int64_t factor = 0;
        int err = future_result(f, &factor);
        printf("  #%u ", future_id(f));
        print_answer(o->numbers[future_id(f)], err, factor);
    }
    for (size_t i = 0; i < o->n; i++) { /* the serial check */
        int64_t factor = 0, serial = 0;
        int err = future_result(fs[i], &factor);
        int64_t n = o->numbers[i];
        int serial_err = n < 2 ? EDOM : 0;
        if (n >= 2)
            serial = smallest_factor(n);
        wrong += err != serial_err || (err == 0 && factor != serial);
    }
    if (executor_shutdown(ex, false) == -1)
        die("executor_shutdown");
    return wrong;
}

struct timed {
    const struct options *o;
    bool serial;
    int64_t sum; /* of the serial answers: a result the compiler must keep */
};

static void timed_work(void *arg)
{
    struct timed *t = arg;
    if (t->serial) {
        for (size_t i = 0; i < t->o->n; i++)
            if (t->o->numbers[i] >= 2)
                t->sum += smallest_factor(t->o->numbers[i]);
        return;
    }
    struct executor *ex = executor_create(t->o->threads);
    if (ex == NULL)
        die("executor_create");
    for (size_t i = 0; i < t->o->n; i++)
        if (executor_submit(ex, check_task, (void *)&t->o->numbers[i]) == NULL)
            die("executor_submit");
    if (executor_shutdown(ex, false) == -1) /* waits for every check */
        die("executor_shutdown");
}

/* Serial against the executor, median of o->runs after one warm-up. */
static void compare_times(const struct options *o)
{
    char machine[128];
    bench_machine(machine, sizeof machine);
    struct bench_result serial, pooled;
    bench_run(timed_work, &(struct timed){o, true, 0}, 1, o->runs, false,
              &serial);
    bench_run(timed_work, &(struct timed){o, false, 0}, 1, o->runs, false,
              &pooled);
    printf("machine: %s; median of %d runs (min..max)\n", machine, o->runs);
    printf("serial              %.3f s (%.3f..%.3f)\n", serial.median,
           serial.min, serial.max);
    printf("executor, %2d threads %.3f s (%.3f..%.3f)  speedup %.2f\n",
           o->threads, pooled.median, pooled.min, pooled.max,
           serial.median / pooled.median);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct options o;
    parse_args(argc, argv, &o);
    printf("%zu numbers, an executor of %d thread%s\n", o.n, o.threads,
           o.threads == 1 ? "" : "s");
    size_t wrong = check_all(&o);
    printf("serial check: %zu of %zu answers agree\n", o.n - wrong, o.n);
    printf("threads that ran checks: %d of %d\n", atomic_load(&thread_count),
           o.threads);
    if (o.runs > 0)
        compare_times(&o);
    return wrong == 0 ? 0 : 1;
}
