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
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "account.h"
#include "args.h"
#include "errors.h"
#include "race.h"

#define USAGE "[-s none|mutex|semaphore|atomic] [-w workers] [-n ops] [-r runs]"
#define START_BALANCE 100

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    enum account_sync sync = SYNC_NONE;
    int workers = 2, runs = 10;
    long ops = 10000;
    int opt;
    while ((opt = getopt(argc, argv, "s:w:n:r:")) != -1) {
        switch (opt) {
        case 's':
            if (!account_sync_parse(optarg, &sync))
                die_usage(USAGE, "unknown sync '%s'", optarg);
            break;
        case 'w':
            workers =
                (int)arg_long(optarg, 2, RACE_MAX_WORKERS, "workers", USAGE);
            break;
        case 'n':
            ops = arg_long(optarg, 1, 100000000, "ops", USAGE);
            break;
        case 'r':
            runs = (int)arg_long(optarg, 1, 1000, "runs", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);

    long amounts[RACE_MAX_WORKERS];
    long expected = START_BALANCE;
    for (int i = 0; i < workers; i++) {
        amounts[i] = i % 2 == 0 ? -1 : +1; /* withdraw, deposit, ... */
        expected += amounts[i] * ops;
    }
    printf("bank: balance %d, %d withdrawer(s) and %d depositor(s) of 1, "
           "%ld times each, sync %s, worker processes\n",
           START_BALANCE, (workers + 1) / 2, workers / 2, ops,
           account_sync_name(sync));

    /* The account is in shared memory: a forked worker's updates land in
     * the one copy the parent reads. (In ordinary memory each child would
     * update its own copy-on-write copy, and the parent would see 100.) */
    struct account *account = race_shared_alloc(sizeof *account);
    int wrong = 0;
    for (int run = 1; run <= runs; run++) {
        account_init(account, sync, true, START_BALANCE);
        (void)race_processes(account, workers, ops, amounts);
        long balance = account_balance(account);
        account_destroy(account);
        if (balance == expected) {
            printf("run %d: balance %ld (expected %ld)\n", run, balance,
                   expected);
        } else {
            wrong++;
            printf("run %d: balance %ld (expected %ld), off by %ld: updates "
                   "were lost\n",
                   run, balance, expected, labs(balance - expected));
        }
    }
    race_shared_free(account, sizeof *account);
    printf("bank: %d of %d run(s) ended with the wrong balance\n", wrong, runs);
    return EXIT_SUCCESS;
}
