/*
 * jobs.h - the list of submitted jobs that both pools keep, oldest first,
 * and the one rule both use to pick a worker's next task. The pools differ
 * only in how a task reaches a worker (a pipe, or shared memory under a
 * mutex) and how the caller waits for it (poll, or a condition variable).
 */
#ifndef JOBS_H
#define JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pool_types.h"

struct pool_job {
    pool_fn *fn;
    size_t nargs, ntasks;
    int64_t *args; /* ntasks * nargs, our own copy */
    struct pool_result *results;
    enum pool_schedule schedule;
    size_t next;           /* dynamic: the first task not handed out yet */
    size_t *next_in_block; /* static: per worker, its next task */
    size_t finished;       /* tasks done or crashed */
    struct pool_job *newer;
};

/* The jobs not yet waited for, oldest first, and the pool size that
 * static blocks are cut for. */
struct job_list {
    struct pool_job *oldest, *newest;
    int nworkers;
};

/* A job of ntasks calls of fn with nargs (1..POOL_MAX_ARGS) arguments
 * each, copied from args, appended to list. NULL with errno set (EINVAL,
 * ENOMEM) on failure. */
struct pool_job *jobs_add(struct job_list *list, pool_fn *fn,
                          const int64_t args[], size_t nargs, size_t ntasks,
                          enum pool_schedule schedule);

/* Choose the next task for worker k among the jobs, oldest first: set
 * *jobp and *index and return true, or false if there is none for it. */
bool jobs_next_task(struct job_list *list, int k, struct pool_job **jobp,
                    size_t *index);

/* Has every task of job ended (done or crashed)? */
bool jobs_finished(const struct pool_job *job);

/* A finished job: copy its results out (room for ntasks), take it off the
 * list and free it. */
void jobs_collect(struct job_list *list, struct pool_job *job,
                  struct pool_result results[]);

/* Free every job still on the list (results never waited for are lost). */
void jobs_free_all(struct job_list *list);

#endif
