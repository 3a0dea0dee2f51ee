/*
 * cost.c - what each way of keeping updates apart costs, per update, with
 * threads and with processes.
 *
 * Python:  time the Lock version against the unsynchronised one.
 * C:       the same workload as counter (every worker adds 1, ops times,
 *          all starting together) for each choice in account.c, as threads
 *          and as processes; each measured runs times, the median kept.
 *
 * Usage:   cost [-w workers] [-n ops] [-r runs] [sync ...]
 *          -w workers  2..16 (default 2)
 *          -n ops      updates per worker, 1..100000000 (default 1000000)
 *          -r runs     measurements per cell; the median is printed
 *                      (and, for all workers, the fastest and slowest
 *                      run), 1..99 (default 5)
 *          sync        which of none, mutex, semaphore, atomic to measure
 *                      (default: all four)
 *
 * Observe: "ns alone" is the wall time per update of one worker alone:
 *          what the instructions cost. "ns all" is the same for all the
 *          workers racing at once (total time / total updates): it adds
 *          what contention costs - the cache line holding the balance
 *          travelling between cores, workers waiting for the lock. "none"
 *          is cheapest and wrong; atomic is right and costs a few ns; a
 *          mutex or a semaphore costs more, most of it under contention.
 *          Figures vary with the machine and its load (on a busy machine
 *          the workers may seldom run at the same moment): compare them
 *          within one run of the program only.
 * Try:     cost -w 4; cost -n 20000 mutex atomic
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "account.h"
#include "args.h"
#include "bench.h"
#include "errors.h"
#include "race.h"

#define USAGE                                                                  \
    "[-w workers] [-n ops] [-r runs] [none|mutex|semaphore|atomic ...]"
#define MAX_RUNS 99

/* The cost of one update (seconds) over runs runs of the workload with
 * workers workers: the median, and the fastest and slowest run. */
struct cost {
    double median, min, max;
};

/* Run the workload runs times with workers workers; return its cost per
 * update, and count the runs whose total was off in *wrong and the most
 * updates lost in one run in *worst. */
static struct cost measure_cost(struct account *a, bool processes,
                                enum account_sync sync, int workers, long ops,
                                int runs, int *wrong, long *worst)
{
    long amounts[RACE_MAX_WORKERS];
    for (int i = 0; i < workers; i++)
        amounts[i] = 1;
    double seconds[MAX_RUNS];
    *wrong = 0;
    *worst = 0;
    for (int run = 0; run < runs; run++) {
        account_init(a, sync, processes, 0);
        seconds[run] = processes ? race_processes(a, workers, ops, amounts)
                                 : race_threads(a, workers, ops, amounts);
        long lost = workers * ops - account_balance(a);
        account_destroy(a);
        if (lost != 0)
            (*wrong)++;
        if (lost > *worst)
            *worst = lost;
    }
    double updates = (double)workers * (double)ops;
    double median = bench_median(seconds, (size_t)runs); /* sorts seconds */
    return (struct cost){median / updates, seconds[0] / updates,
                         seconds[runs - 1] / updates};
}

/* One row: the cost of an update by one worker alone (the price of the
 * instructions themselves), then by all the workers at once (plus the
 * price of contention), and whether the shared count came out exact. */
static void measure(struct account *a, bool processes, enum account_sync sync,
                    int workers, long ops, int runs)
{
    int wrong;
    long worst;
    struct cost alone =
        measure_cost(a, processes, sync, 1, ops, runs, &wrong, &worst);
    struct cost all =
        measure_cost(a, processes, sync, workers, ops, runs, &wrong, &worst);
    printf("%-9s  %-9s  %8.1f  %8.1f  ", processes ? "processes" : "threads",
           account_sync_name(sync), alone.median * 1e9, all.median * 1e9);
    if (wrong == 0)
        printf("exact in %d of %d runs", runs, runs);
    else
        printf("WRONG in %d of %d runs (up to %ld lost)", wrong, runs, worst);
    /* The spread of "ns all": a wide one means the machine was busy. */
    printf("  [all: %.1f..%.1f]\n", all.min * 1e9, all.max * 1e9);
    if (fflush(stdout) == EOF) /* one line at a time: a cell can be slow */
        die("fflush");
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    int workers = 2, runs = 5;
    long ops = 1000000;
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "hw:n:r:")) != -1) {
        switch (opt) {
        case 'h':
            args_help(USAGE);
        case 'w':
            workers =
                (int)arg_long(optarg, 2, RACE_MAX_WORKERS, "workers", USAGE);
            break;
        case 'n':
            ops = arg_long(optarg, 1, 100000000, "ops", USAGE);
            break;
        case 'r':
            runs = (int)arg_long(optarg, 1, MAX_RUNS, "runs", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    bool chosen[ACCOUNT_SYNC_COUNT] = {false};
    for (int i = optind; i < argc; i++) {
        enum account_sync sync;
        if (!account_sync_parse(argv[i], &sync))
            die_usage(USAGE, "unknown sync '%s'", argv[i]);
        chosen[sync] = true;
    }
    if (optind == argc)
        for (int i = 0; i < ACCOUNT_SYNC_COUNT; i++)
            chosen[i] = true;

    char machine[256];
    bench_machine(machine, sizeof machine);
    printf("cost: %d workers add 1, %ld times each; median of %d run(s), "
           "[min..max] of ns all\n",
           workers, ops, runs);
    printf("machine: %s\n", machine);
    printf("%-9s  %-9s  %8s  %8s  %s\n", "workers", "sync", "ns alone",
           "ns all", "result with all");
    /* One account in shared memory serves both kinds of worker. */
    struct account *account = race_shared_alloc(sizeof *account);
    for (int p = 0; p <= 1; p++)
        for (int s = 0; s < ACCOUNT_SYNC_COUNT; s++)
            if (chosen[s])
                measure(account, p == 1, (enum account_sync)s, workers, ops,
                        runs);
    race_shared_free(account, sizeof *account);
    return EXIT_SUCCESS;
}
