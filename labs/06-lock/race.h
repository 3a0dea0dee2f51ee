/*
 * race.h - start workers that all update one account at the same moment,
 * as threads or as processes, and time them.
 *
 * Each worker adds its amount (+1 to deposit, -1 to withdraw) ops times.
 * The workers wait at a start line until all of them exist, then go
 * together: without it, on a fast machine the first worker could finish
 * its loop before the second one even started, and no update would ever
 * collide.
 */
#ifndef LAB06_RACE_H
#define LAB06_RACE_H

#include "account.h"

#define RACE_MAX_WORKERS 16

/* Run workers threads; worker i adds amounts[i], ops times, to *a.
 * Returns the seconds from the first worker's start to the last one's end.
 * *a may live in ordinary memory. */
double race_threads(struct account *a, int workers, long ops,
                    const long *amounts);

/* The same with workers child processes (fork), each reaped before this
 * returns; a worker that fails stops the program. *a must live in memory
 * from race_shared_alloc, initialised with between_processes true. */
double race_processes(struct account *a, int workers, long ops,
                      const long *amounts);

/* size bytes of zeroed memory that forked children share with their parent
 * (mmap MAP_SHARED | MAP_ANONYMOUS); race_shared_free releases it. */
void *race_shared_alloc(size_t size);
void race_shared_free(void *p, size_t size);

#endif
