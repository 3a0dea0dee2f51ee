/*
 * group.h - a group of waiters, one per page: N threads or N processes,
 * each fetching its own page (page.h) at the same time as the others.
 *
 * The Python original is a list of threading.Thread (or Process) objects,
 * started in one loop and joined in another. Here too, starting and
 * waiting are two calls, so that a program can look at the group while
 * every waiter is waiting (waiters.c measures its memory then):
 *
 *     struct group g;
 *     if (group_start(&g, GROUP_THREADS, jobs, n) == -1)
 *         die("group_start");            (nothing is left running)
 *     ... every waiter is now waiting for its page ...
 *     if (group_finish(&g) == -1)
 *         die("group_finish");           (every waiter is gone anyway)
 *     jobs[i].result says what page i brought back, or why it failed
 *
 * Threads write their result straight into their own jobs[i]: one slot
 * each, no slot shared, so no lock is needed - and main reads the slots
 * only after pthread_join. Processes cannot: a child writes into its own
 * copy of the jobs. Each child sends its page_result through one pipe
 * shared by all, as one write of fewer than PIPE_BUF bytes, which POSIX
 * makes atomic: two children's records never mix.
 */
#ifndef GROUP_H
#define GROUP_H

#include <pthread.h>
#include <sys/types.h>

#include "page.h"

/* One page to fetch, and what came back. */
struct page_job {
    const char *name;          /* the page's name, as the server knows it */
    int port;                  /* the server's port on 127.0.0.1 */
    int delay_ms;              /* the delay the request asks for */
    int timeout_ms;            /* give up after this long without a byte */
    struct page_result result; /* filled by group_finish (or serially) */
};

enum group_kind { GROUP_THREADS, GROUP_PROCESSES };

struct group {
    enum group_kind kind;
    struct page_job *jobs;
    int n;              /* waiters, one per job */
    pthread_t *threads; /* GROUP_THREADS: thread i fetches jobs[i] */
    pid_t *pids;        /* GROUP_PROCESSES: child i fetches jobs[i] */
    int results_fd;     /* GROUP_PROCESSES: read end of the results pipe */
};

/* Start n waiters (n >= 1) of the given kind, waiter i fetching jobs[i].
 * Returns 0, or -1 with errno set if a thread or process could not be
 * started: the waiters already started have then been waited for
 * (threads) or killed and reaped (processes), and nothing is left. */
int group_start(struct group *g, enum group_kind kind, struct page_job *jobs,
                int n);

/* Wait for every waiter and fill each jobs[i].result; a child process
 * that died without a result has its page failed with how it ended
 * ("worker 1234 was killed by signal 9 (Killed)"). Frees the group.
 * Returns 0, or -1 with errno if a system call failed (every waiter has
 * still been waited for). */
int group_finish(struct group *g);

/* Fetch jobs[0..n-1] one after another, in this thread. */
void fetch_serially(struct page_job *jobs, int n);

#endif
