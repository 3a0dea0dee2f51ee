/*
 * counter.c - the lecture's counter, incremented by two threads: a race,
 * then fixed.
 *
 * Python:  counter = 0; two Threads each run `counter += 1` 100000 times;
 *          the total falls short of 200000. With `with lock:` it does not.
 * C:       threads share the process's memory, so the counter is simply
 *          there for both; each increment is a load, an add and a store
 *          (account.c), unguarded or guarded by a mutex, a semaphore, or
 *          done as one atomic add. C has no GIL: the two threads really run
 *          at the same time on two cores, and the race shows much more
 *          often than in Python.
 *
 * Usage:   counter [-s none|mutex|semaphore|atomic] [-t threads] [-n ops]
 *                  [-r runs]
 *          -s sync     how increments are kept apart (default: none)
 *          -t threads  2..16 (default 2)
 *          -n ops      increments per thread, 1..100000000 (default 100000)
 *          -r runs     1..1000 (default 5)
 *
 * Observe: with -s none the count is usually short: increments were lost,
 *          and a ThreadSanitizer build (make tsan) reports the data race.
 *          With mutex, semaphore or atomic it is exact every time.
 * Try:     counter -t 8; counter -s atomic -t 8 -r 20
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "account.h"
#include "args.h"
#include "errors.h"
#include "race.h"

#define USAGE "[-s none|mutex|semaphore|atomic] [-t threads] [-n ops] [-r runs]"

/* What the command line asks for. */
struct options {
    enum account_sync sync;
    int threads, runs;
    long ops;
};

static struct options parse_options(int argc, char *argv[])
{
    struct options o = {
        .sync = SYNC_NONE, .threads = 2, .runs = 5, .ops = 100000};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "hs:t:n:r:")) != -1) {
        switch (opt) {
        case 'h':
            args_help(USAGE);
        case 's':
            if (!account_sync_parse(optarg, &o.sync))
                die_usage(USAGE, "unknown sync '%s'", optarg);
            break;
        case 't':
            o.threads =
                (int)arg_long(optarg, 2, RACE_MAX_WORKERS, "threads", USAGE);
            break;
        case 'n':
            o.ops = arg_long(optarg, 1, 100000000, "ops", USAGE);
            break;
        case 'r':
            o.runs = (int)arg_long(optarg, 1, 1000, "runs", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return o;
}

/* One run: every thread adds 1 ops times; print the count it reached.
 * Returns true if it is exact. */
static bool count_once(const struct options *o, int run)
{
    long amounts[RACE_MAX_WORKERS];
    for (int i = 0; i < o->threads; i++)
        amounts[i] = 1;
    long expected = o->threads * o->ops;
    /* Threads share this process's memory: an ordinary variable will do. */
    static struct account counter;
    account_init(&counter, o->sync, false, 0);
    double seconds = race_threads(&counter, o->threads, o->ops, amounts);
    long count = account_balance(&counter);
    account_destroy(&counter);
    printf("run %d: count %ld (expected %ld)", run, count, expected);
    if (count != expected)
        printf(", %ld increments lost", expected - count);
    printf(", %.1f ms\n", seconds * 1e3);
    return count == expected;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o = parse_options(argc, argv);
    printf("counter: %d threads add 1, %ld times each, sync %s\n", o.threads,
           o.ops, account_sync_name(o.sync));
    int wrong = 0;
    for (int run = 1; run <= o.runs; run++)
        if (!count_once(&o, run))
            wrong++;
    printf("counter: %d of %d run(s) lost increments\n", wrong, o.runs);
    return EXIT_SUCCESS;
}
