/*
 * rlock.c - a lock the same thread may take again: Python's RLock.
 *
 * Python:  self.lock = threading.RLock(); transfer() takes the lock and
 *          calls withdraw() and deposit(), which take it too.
 * C:       a pthread mutex of type PTHREAD_MUTEX_RECURSIVE. It counts how
 *          many times its owner locked it and is free again only after as
 *          many unlocks. A normal mutex locked twice by one thread waits
 *          for itself forever; an error-checking one refuses (EDEADLK).
 *
 * Usage:   rlock [-t threads] [-n transfers]
 *          -t threads    2..16 (default 2)
 *          -n transfers  per thread, 1..10000000 (default 10000)
 *
 * Observe: the two balances always add up to the same total, even seen
 *          in the middle of the run: a transfer holds the lock across both
 *          of its halves, and its halves may take the lock again.
 * Try:     in make_lock, use PTHREAD_MUTEX_ERRORCHECK, then
 *          PTHREAD_MUTEX_NORMAL (Ctrl-C to stop it).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

#define USAGE "[-t threads] [-n transfers]"
#define MAX_THREADS 16
#define START_CHECKING 150
#define START_SAVINGS 50

/* Two balances and the one lock that guards both of them. */
struct bank {
    pthread_mutex_t lock;
    long checking, savings;
    int depth;   /* how many times the owner holds the lock right now */
    int deepest; /* the most it ever held it at once */
    long transfers;
};

static void make_lock(pthread_mutex_t *m)
{
    pthread_mutexattr_t attr;
    int err = pthread_mutexattr_init(&attr);
    if (err != 0)
        die_errnum(err, "pthread_mutexattr_init");
    /* TODO(06.6): Make the mutex recursive, so that the thread holding it
     * may lock it again: pthread_mutexattr_settype(&attr,
     * PTHREAD_MUTEX_RECURSIVE), checked like every pthread call. The
     * starter makes an error-checking mutex: a second lock by its owner
     * fails with EDEADLK ("Resource deadlock avoided") instead of hanging. */
    if ((err = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK)) != 0)
        die_errnum(err, "pthread_mutexattr_settype");
    if ((err = pthread_mutex_init(m, &attr)) != 0)
        die_errnum(err, "pthread_mutex_init");
    if ((err = pthread_mutexattr_destroy(&attr)) != 0)
        die_errnum(err, "pthread_mutexattr_destroy");
}

static void bank_lock(struct bank *b)
{
    int err = pthread_mutex_lock(&b->lock);
    if (err != 0)
        die_errnum(err, "pthread_mutex_lock");
    /* We hold the lock: depth and deepest are ours to touch. */
    if (++b->depth > b->deepest)
        b->deepest = b->depth;
}

static void bank_unlock(struct bank *b)
{
    b->depth--;
    int err = pthread_mutex_unlock(&b->lock);
    if (err != 0)
        die_errnum(err, "pthread_mutex_unlock");
}

/* Each of these is safe to call on its own: it takes the lock. */
static void withdraw(struct bank *b, long *account, long amount)
{
    bank_lock(b);
    *account -= amount;
    bank_unlock(b);
}

static void deposit(struct bank *b, long *account, long amount)
{
    bank_lock(b);
    *account += amount;
    bank_unlock(b);
}

/* Both halves under one hold of the lock, so that no one ever sees the
 * money gone from one account and not yet in the other. withdraw and
 * deposit lock again inside: the recursive mutex lets them. */
static void transfer(struct bank *b, long *from, long *to, long amount)
{
    bank_lock(b);
    withdraw(b, from, amount);
    deposit(b, to, amount);
    b->transfers++;
    bank_unlock(b);
}

static long total(struct bank *b)
{
    bank_lock(b);
    long sum = b->checking + b->savings;
    bank_unlock(b);
    return sum;
}

struct worker {
    struct bank *bank;
    int index;
    long transfers;
};

/* Even threads move money to savings, odd ones back to checking. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct bank *b = w->bank;
    for (long i = 0; i < w->transfers; i++) {
        if (w->index % 2 == 0)
            transfer(b, &b->checking, &b->savings, 1);
        else
            transfer(b, &b->savings, &b->checking, 1);
    }
    return NULL;
}

/* What the command line asks for. */
struct options {
    int threads;
    long transfers;
};

static struct options parse_options(int argc, char *argv[])
{
    struct options o = {.threads = 2, .transfers = 10000};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "ht:n:")) != -1) {
        switch (opt) {
        case 'h':
            args_help(USAGE);
        case 't':
            o.threads = (int)arg_long(optarg, 2, MAX_THREADS, "threads", USAGE);
            break;
        case 'n':
            o.transfers = arg_long(optarg, 1, 10000000, "transfers", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return o;
}

/* While the workers run, check the total again and again: it must never
 * be seen off, even mid-run. Returns how many audits saw it wrong, and
 * how many audits there were in *audits. */
static long audit_until_done(struct bank *b, long all_transfers, long expected,
                             long *audits)
{
    long bad = 0;
    bool running = true;
    *audits = 0;
    while (running) {
        if (total(b) != expected)
            bad++;
        (*audits)++;
        bank_lock(b);
        running = b->transfers < all_transfers;
        bank_unlock(b);
    }
    return bad;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o = parse_options(argc, argv);
    static struct bank bank = {.checking = START_CHECKING,
                               .savings = START_SAVINGS};
    make_lock(&bank.lock);
    const long expected = START_CHECKING + START_SAVINGS;
    printf("rlock: checking %d + savings %d, %d threads make %ld transfers "
           "of 1 each\n",
           START_CHECKING, START_SAVINGS, o.threads, o.transfers);

    pthread_t ids[MAX_THREADS];
    struct worker workers[MAX_THREADS];
    for (int i = 0; i < o.threads; i++) {
        workers[i] = (struct worker){&bank, i, o.transfers};
        int err = pthread_create(&ids[i], NULL, worker_main, &workers[i]);
        if (err != 0)
            die_errnum(err, "pthread_create");
    }
    long audits;
    long bad_audits = audit_until_done(&bank, (long)o.threads * o.transfers,
                                       expected, &audits);
    for (int i = 0; i < o.threads; i++) {
        int err = pthread_join(ids[i], NULL);
        if (err != 0)
            die_errnum(err, "pthread_join");
    }
    int err = pthread_mutex_destroy(&bank.lock);
    if (err != 0)
        die_errnum(err, "pthread_mutex_destroy");

    printf("rlock: %ld transfers done, lock held at most %d deep at once\n",
           bank.transfers, bank.deepest);
    printf("rlock: %ld audits during the run, %ld saw a wrong total\n", audits,
           bad_audits);
    printf("rlock: checking %ld + savings %ld = %ld (expected %ld)\n",
           bank.checking, bank.savings, bank.checking + bank.savings, expected);
    return EXIT_SUCCESS;
}
