/*
 * scan.c - the three ways to hash a tree, one worker loop (scan.h).
 *
 * Serial, threads and processes run the same worker_run(): only how the
 * workers are started and waited for differs. The hand-out is dynamic:
 * a worker that finishes takes the next turn, so the biggest files
 * (handed out first) do not leave the other workers idle at the end.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "status.h"

/* What every worker needs; read-only once the workers start. */
struct scan_ctx {
    const struct tree *t;
    const struct scan_opts *o;
    struct scan_shared *sh;
    int root_fd; /* the tree's root, for openat: shared by every worker */
};

struct thread_arg {
    const struct scan_ctx *c;
    int worker;
};

/* The worker loop: take turns until none is left or the scan is stopped,
 * hash the entry of each turn into its result slot. */
static void worker_run(const struct scan_ctx *c, int worker)
{
    struct scan_shared *sh = c->sh;
    /* TODO(14.2): Hand out the jobs dynamically. Loop: stop if
     * atomic_load(c->o->stop) is set; take a turn with
     * atomic_fetch_add(&sh->next, 1) (each turn goes to exactly one
     * worker, thread or process, with no lock); stop when turn >=
     * sh->count. The entry of that turn is i = sh->order[turn] (biggest
     * first). Hash it with digest_entry(c->root_fd, &c->t->entries[i],
     * c->o->md, c->o->follow, r, c->o->stop, &sh->bytes_done) where
     * r = &sh->results[i]; then record r->worker = worker and r->turn =
     * turn, and count it: atomic_fetch_add(&sh->files_done, 1). */
    (void)c, (void)worker, (void)sh;
}

static void *thread_main(void *arg)
{
    const struct thread_arg *a = arg;
    worker_run(a->c, a->worker);
    return NULL;
}

/* Start n threads; returns 0, or the error of the pthread_create that
 * failed (the threads started are joined first). */
static int run_threads(const struct scan_ctx *c, int n)
{
    pthread_t tids[SCAN_MAX_WORKERS];
    struct thread_arg args[SCAN_MAX_WORKERS];
    int started = 0, err = 0;
    for (; started < n; started++) {
        args[started] = (struct thread_arg){c, started};
        err = pthread_create(&tids[started], NULL, thread_main, &args[started]);
        if (err != 0) {
            /* No more turns: the threads started finish their file. */
            atomic_store(&c->sh->next, c->sh->count);
            break;
        }
    }
    for (int k = 0; k < started; k++) {
        int e = pthread_join(tids[k], NULL);
        if (e != 0)
            die_errnum(e, "pthread_join");
    }
    if (err != 0)
        (void)fprintf(stderr, "integrity: pthread_create: %s\n", strerror(err));
    return err;
}

/* Wait for the worker processes; 0 if every one exited 0. */
static int reap_workers(const pid_t *pids, int n)
{
    int bad = 0;
    for (int k = 0; k < n; k++) {
        int status;
        while (waitpid(pids[k], &status, 0) == -1) {
            if (errno != EINTR) /* SIGINT interrupts the wait: wait on */
                die("waitpid");
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            char how[128];
            status_describe(status, how, sizeof how);
            (void)fprintf(stderr, "integrity: worker %d (pid %d) %s\n", k,
                          (int)pids[k], how);
            bad = -1;
        }
    }
    return bad;
}

/* Fork n workers; each runs the loop and _exits. Returns 0 if all of them
 * were started and ended well. */
static int run_processes(const struct scan_ctx *c, int n, struct progress **pr)
{
    pid_t pids[SCAN_MAX_WORKERS];
    int started = 0, bad = 0;
    (void)fflush(NULL); /* no stdio buffer copied into the children */
    for (; started < n; started++) {
        pids[started] = fork();
        if (pids[started] == -1) {
            warn_errno("fork");
            atomic_store(&c->sh->next, c->sh->count);
            bad = -1;
            break;
        }
        if (pids[started] == 0) {
            worker_run(c, started);
            _exit(0);
        }
    }
    /* The reporter thread starts only after the forks: a child forked
     * from a process with several threads gets only the forking one. */
    *pr = progress_start(c->o->style, c->sh->count, (uint64_t)c->t->bytes,
                         &c->sh->files_done, &c->sh->bytes_done);
    if (reap_workers(pids, started) != 0)
        bad = -1;
    return bad;
}

/* Map the shared table for t: header, order, results. */
static struct scan_shared *shared_new(const struct tree *t)
{
    size_t n = t->count;
    size_t order_at = (sizeof(struct scan_shared) + 63) / 64 * 64;
    size_t results_at = (order_at + n * sizeof(size_t) + 63) / 64 * 64;
    size_t len = results_at + n * sizeof(struct result);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    struct scan_shared *sh = p; /* the mapping is zero-filled */
    sh->count = n;
    sh->order = (size_t *)((char *)p + order_at);
    sh->results = (struct result *)((char *)p + results_at);
    sh->map_len = len;
    atomic_init(&sh->next, 0);
    atomic_init(&sh->files_done, 0);
    atomic_init(&sh->bytes_done, 0);
    return sh;
}

/* The job list: entry numbers, biggest first (ties by path). */
static const struct tree *sort_tree;
static int bigger_first(const void *a, const void *b)
{
    const struct entry *x = &sort_tree->entries[*(const size_t *)a];
    const struct entry *y = &sort_tree->entries[*(const size_t *)b];
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return strcmp(x->path, y->path);
}

static void order_jobs(const struct tree *t, size_t *order)
{
    for (size_t i = 0; i < t->count; i++)
        order[i] = i;
    sort_tree = t;
    qsort(order, t->count, sizeof *order, bigger_first);
    sort_tree = NULL;
}

struct scan_shared *scan_run(const struct tree *t, const struct scan_opts *o)
{
    struct scan_shared *sh = shared_new(t);
    order_jobs(t, sh->order);
    struct scan_ctx c = {.t = t, .o = o, .sh = sh};
    if ((c.root_fd = open(t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
        die(t->root);
    struct progress *pr = NULL;
    int bad = 0;
    if (o->mode == SCAN_PROCESSES) {
        bad = run_processes(&c, o->workers, &pr);
    } else {
        pr = progress_start(o->style, sh->count, (uint64_t)t->bytes,
                            &sh->files_done, &sh->bytes_done);
        if (o->mode == SCAN_THREADS)
            bad = run_threads(&c, o->workers);
        else
            worker_run(&c, 0);
    }
    progress_stop(pr, atomic_load(o->stop));
    if (close(c.root_fd) == -1)
        die("close");
    if (bad != 0) {
        scan_free(sh);
        return NULL;
    }
    return sh;
}

void scan_free(struct scan_shared *sh)
{
    if (sh != NULL && munmap(sh, sh->map_len) == -1)
        die("munmap");
}
