/*
 * jobs.c - the job list both pools share (see jobs.h). Nothing here
 * locks or blocks: the process pool touches the list from its one parent
 * thread, the thread pool only with its mutex held.
 */
#include "jobs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void free_job(struct pool_job *job)
{
    free(job->args);
    free(job->results);
    free(job->next_in_block);
    free(job);
}

struct pool_job *jobs_add(struct job_list *list, pool_fn *fn,
                          const int64_t args[], size_t nargs, size_t ntasks,
                          enum pool_schedule schedule)
{
    if (nargs < 1 || nargs > POOL_MAX_ARGS) {
        errno = EINVAL;
        return NULL;
    }
    struct pool_job *job = calloc(1, sizeof *job);
    if (job == NULL)
        return NULL;
    size_t slots = ntasks > 0 ? ntasks : 1; /* malloc(0) may give NULL */
    *job = (struct pool_job){
        .fn = fn,
        .nargs = nargs,
        .ntasks = ntasks,
        .schedule = schedule,
        .args = malloc(slots * nargs * sizeof *args),
        .results = calloc(slots, sizeof *job->results),
        .next_in_block = calloc((size_t)list->nworkers, sizeof(size_t))};
    if (job->args == NULL || job->results == NULL ||
        job->next_in_block == NULL) {
        free_job(job);
        errno = ENOMEM;
        return NULL;
    }
    if (ntasks > 0)
        memcpy(job->args, args, ntasks * nargs * sizeof *args);
    size_t block =
        (ntasks + (size_t)list->nworkers - 1) / (size_t)list->nworkers;
    for (int k = 0; k < list->nworkers; k++)
        job->next_in_block[k] = (size_t)k * block;
    if (list->newest != NULL)
        list->newest->newer = job;
    else
        list->oldest = job;
    list->newest = job;
    return job;
}

/* Static hand-out: worker k owns tasks [k * block, (k + 1) * block). */
static bool next_in_block(const struct job_list *list, struct pool_job *job,
                          int k, size_t *index)
{
    size_t block =
        (job->ntasks + (size_t)list->nworkers - 1) / (size_t)list->nworkers;
    size_t end = ((size_t)k + 1) * block;
    if (end > job->ntasks)
        end = job->ntasks;
    if (job->next_in_block[k] >= end)
        return false;
    *index = job->next_in_block[k]++;
    return true;
}

bool jobs_next_task(struct job_list *list, int k, struct pool_job **jobp,
                    size_t *index)
{
    for (struct pool_job *job = list->oldest; job != NULL; job = job->newer) {
        if (job->schedule == POOL_STATIC) {
            if (next_in_block(list, job, k, index)) {
                *jobp = job;
                return true;
            }
            continue;
        }
        /* TODO(07.3): Dynamic hand-out: if this job still has a task that
         * no worker got yet (job->next < job->ntasks), give that one to
         * worker k - whoever asks first gets the next task in input order -
         * and advance job->next. Set *jobp and *index and return true.
         * Hint: this is all the load balancing there is: a worker asks again
         * only when it has finished, so fast workers simply ask more often. */
    }
    return false;
}

bool jobs_finished(const struct pool_job *job)
{
    return job->finished == job->ntasks;
}

void jobs_collect(struct job_list *list, struct pool_job *job,
                  struct pool_result results[])
{
    if (job->ntasks > 0)
        memcpy(results, job->results, job->ntasks * sizeof *results);
    struct pool_job **p = &list->oldest, *prev = NULL;
    while (*p != NULL && *p != job) {
        prev = *p;
        p = &(*p)->newer;
    }
    if (*p != NULL) {
        *p = job->newer;
        if (list->newest == job)
            list->newest = prev;
    }
    free_job(job);
}

void jobs_free_all(struct job_list *list)
{
    while (list->oldest != NULL) {
        struct pool_job *job = list->oldest;
        list->oldest = job->newer;
        free_job(job);
    }
    list->newest = NULL;
}
