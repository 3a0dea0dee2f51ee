/*
 * scan.h - hash every entry of a tree: serially, with N threads or with N
 * worker processes, all through one table in shared memory.
 *
 * Python (the seed's checker): a multiprocessing pool of workers, the
 *          baseline in shared memory, a shared Value as progress counter.
 * C:       one mmap(MAP_SHARED | MAP_ANONYMOUS) region holds the job list
 *          (entry numbers, biggest file first), the results (one slot per
 *          entry) and the atomic counters; threads share it because they
 *          share everything, worker processes because fork() keeps a
 *          MAP_SHARED mapping shared. Each worker takes the next job with
 *          atomic_fetch_add on one index: no lock, no queue, no pipe.
 */
#ifndef INTEGRITY_SCAN_H
#define INTEGRITY_SCAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "digest.h"
#include "progress.h"
#include "tree.h"

#define SCAN_MAX_WORKERS 256

enum scan_mode { SCAN_SERIAL, SCAN_THREADS, SCAN_PROCESSES };

struct scan_opts {
    enum scan_mode mode;
    int workers; /* 1..SCAN_MAX_WORKERS (serial: 1) */
    const EVP_MD *md;
    bool follow;               /* -L: open files through links */
    enum progress_style style; /* how progress is shown */
    atomic_int *stop;          /* set (by SIGINT): stop soon; must be in
                                  shared memory for worker processes */
};

/* The shared table. Anonymous and shared: no name in /dev/shm that an
 * interrupted run could leave behind; it goes away with the last process
 * that maps it. */
struct scan_shared {
    atomic_size_t next;       /* the next turn to hand out */
    atomic_ullong files_done; /* progress: entries finished */
    atomic_ullong bytes_done; /* progress: bytes read */
    size_t count;             /* entries */
    size_t *order;            /* turn -> entry number, biggest first */
    struct result *results;   /* entry number -> result */
    size_t map_len;           /* bytes of the mapping */
};

/* Hash every entry of t (listed from t->root) as o says. Returns the
 * table (free it with scan_free), or NULL with a message on stderr if a
 * worker failed (killed, or could not be started); an interrupted scan
 * (*o->stop set) returns the table with the entries not reached left
 * RESULT_NONE. */
struct scan_shared *scan_run(const struct tree *t, const struct scan_opts *o);

void scan_free(struct scan_shared *sh);

#endif
