/*
 * race.c - run workers on one account, all starting together (race.h).
 */
/* MAP_ANONYMOUS is not in POSIX 2008; the name is reserved on purpose. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "race.h"
#include "timing.h"

/* What the workers share besides the account: the start line, and when
 * each one started and ended (CLOCK_MONOTONIC is one clock for the whole
 * machine, so times from different processes can be compared). */
struct race_board {
    atomic_int ready;      /* workers at the start line */
    atomic_bool abandoned; /* the race will not start: leave */
    int workers;
    double start[RACE_MAX_WORKERS], end[RACE_MAX_WORKERS];
};

struct worker {
    struct account *account;
    struct race_board *board;
    int index;
    long ops, amount;
};

/* Count ourselves in, then wait (yielding the CPU, which may be scarce)
 * until every worker is there. The atomic counter is the only thing the
 * workers touch before the race begins. */
static void start_line(struct race_board *b)
{
    atomic_fetch_add(&b->ready, 1);
    while (atomic_load(&b->ready) < b->workers) {
        if (atomic_load(&b->abandoned)) /* only a process sees this set */
            _exit(EXIT_FAILURE);
        if (sched_yield() == -1)
            die_child("sched_yield");
    }
}

static void work(const struct worker *w)
{
    start_line(w->board);
    double t0 = timing_now();
    for (long i = 0; i < w->ops; i++)
        account_add(w->account, w->amount);
    w->board->start[w->index] = t0;
    w->board->end[w->index] = timing_now();
}

static void *thread_main(void *arg)
{
    work(arg);
    return NULL;
}

static double span(const struct race_board *b)
{
    double first = b->start[0], last = b->end[0];
    for (int i = 1; i < b->workers; i++) {
        if (b->start[i] < first)
            first = b->start[i];
        if (b->end[i] > last)
            last = b->end[i];
    }
    return last - first;
}

double race_threads(struct account *a, int workers, long ops,
                    const long *amounts)
{
    struct race_board board = {.workers = workers};
    atomic_init(&board.ready, 0);
    struct worker w[RACE_MAX_WORKERS];
    pthread_t ids[RACE_MAX_WORKERS];
    for (int i = 0; i < workers; i++) {
        w[i] = (struct worker){.account = a,
                               .board = &board,
                               .index = i,
                               .ops = ops,
                               .amount = amounts[i]};
        int err = pthread_create(&ids[i], NULL, thread_main, &w[i]);
        if (err != 0)
            die_errnum(err, "pthread_create");
    }
    for (int i = 0; i < workers; i++) {
        int err = pthread_join(ids[i], NULL);
        if (err != 0)
            die_errnum(err, "pthread_join");
    }
    return span(&board);
}

double race_processes(struct account *a, int workers, long ops,
                      const long *amounts)
{
    struct race_board *board = race_shared_alloc(sizeof *board);
    board->workers = workers;
    atomic_init(&board->ready, 0);
    atomic_init(&board->abandoned, false);
    pid_t pids[RACE_MAX_WORKERS];
    if (fflush(stdout) == EOF) /* nothing buffered may be copied into a child */
        die("fflush");
    for (int i = 0; i < workers; i++) {
        if ((pids[i] = fork()) == -1) {
            /* The children already started wait at the start line for a
             * worker that will never come: tell them to leave, reap them,
             * and only then stop. */
            int saved = errno;
            atomic_store(&board->abandoned, true);
            for (int j = 0; j < i; j++)
                if (waitpid(pids[j], NULL, 0) == -1)
                    warn_errno("waitpid");
            errno = saved;
            die("fork");
        }
        if (pids[i] == 0) {
            struct worker w = {.account = a,
                               .board = board,
                               .index = i,
                               .ops = ops,
                               .amount = amounts[i]};
            work(&w);
            _exit(EXIT_SUCCESS);
        }
    }
    bool failed = false;
    for (int i = 0; i < workers; i++) {
        int status;
        if (waitpid(pids[i], &status, 0) == -1)
            die("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed = true;
    }
    if (failed) {
        (void)fprintf(stderr, "%s: a worker process failed\n",
                      errors_progname());
        exit(EXIT_FAILURE);
    }
    double seconds = span(board);
    race_shared_free(board, sizeof *board);
    return seconds;
}

void *race_shared_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    return p;
}

void race_shared_free(void *p, size_t size)
{
    if (munmap(p, size) == -1)
        die("munmap");
}
