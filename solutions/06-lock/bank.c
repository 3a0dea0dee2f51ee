/*
 * bank.c - the lecture's bank balance, with processes: a race, then fixed.
 *
 * Python:  balance = Value('i', 100); one Process withdraws 1 ten thousand
 *          times, another deposits 1 ten thousand times; the final balance
 *          should be 100 again. With `with lock:` around each update it is.
 * C:       the balance lives in mmap(MAP_SHARED | MAP_ANONYMOUS) memory
 *          that both forked workers see; each update is a load, an add and
 *          a store (account.c), unguarded or guarded by a process-shared
 *          mutex, a process-shared semaphore, or done as one atomic add.
 *
 * Usage:   bank [-s none|mutex|semaphore|atomic] [-w workers] [-n ops]
 *               [-r runs]
 *          -s sync     how updates are kept apart (default: none, the race)
 *          -w workers  worker processes, 2..16; even ones withdraw, odd
 *                      ones deposit (default 2)
 *          -n ops      updates per worker, 1..100000000 (default 10000)
 *          -r runs     how many times to run the whole thing, 1..1000
 *                      (default 10, as the lecture does)
 *
 * Observe: with -s none some runs end away from 100: updates were lost.
 *          Every other choice gives exactly the expected balance every time.
 * Try:     bank -n 1000000; bank -s mutex -w 4 -r 50
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "account.h"
#include "args.h"
#include "errors.h"
#include "race.h"

#define USAGE "[-s none|mutex|semaphore|atomic] [-w workers] [-n ops] [-r runs]"
#define START_BALANCE 100

/* What the command line asks for. */
struct options {
    enum account_sync sync;
    int workers, runs;
    long ops;
};

static struct options parse_options(int argc, char *argv[])
{
    struct options o = {
        .sync = SYNC_NONE, .workers = 2, .runs = 10, .ops = 10000};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "hs:w:n:r:")) != -1) {
        switch (opt) {
        case 'h':
            args_help(USAGE);
        case 's':
            if (!account_sync_parse(optarg, &o.sync))
                die_usage(USAGE, "unknown sync '%s'", optarg);
            break;
        case 'w':
            o.workers =
                (int)arg_long(optarg, 2, RACE_MAX_WORKERS, "workers", USAGE);
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

/* One run of the workers on *account; print the balance it ended with.
 * Returns true if it is the expected one. */
static bool bank_once(const struct options *o, struct account *account, int run)
{
    long amounts[RACE_MAX_WORKERS];
    long expected = START_BALANCE;
    for (int i = 0; i < o->workers; i++) {
        amounts[i] = i % 2 == 0 ? -1 : +1; /* withdraw, deposit, ... */
        expected += amounts[i] * o->ops;
    }
    account_init(account, o->sync, true, START_BALANCE);
    (void)race_processes(account, o->workers, o->ops, amounts);
    long balance = account_balance(account);
    account_destroy(account);
    printf("run %d: balance %ld (expected %ld)", run, balance, expected);
    if (balance != expected)
        printf(", off by %ld: updates were lost", labs(balance - expected));
    printf("\n");
    return balance == expected;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o = parse_options(argc, argv);
    printf("bank: balance %d, %d withdrawer(s) and %d depositor(s) of 1, "
           "%ld times each, sync %s, worker processes\n",
           START_BALANCE, (o.workers + 1) / 2, o.workers / 2, o.ops,
           account_sync_name(o.sync));
    /* The account is in shared memory: a forked worker's updates land in
     * the one copy the parent reads. (In ordinary memory each child would
     * update its own copy-on-write copy, and the parent would see 100.) */
    struct account *account = race_shared_alloc(sizeof *account);
    int wrong = 0;
    for (int run = 1; run <= o.runs; run++)
        if (!bank_once(&o, account, run))
            wrong++;
    race_shared_free(account, sizeof *account);
    printf("bank: %d of %d run(s) ended with the wrong balance\n", wrong,
           o.runs);
    return EXIT_SUCCESS;
}
