/*
 * progress.h - one reporter thread that shows how far the scan is.
 *
 * The workers only add to two atomic counters (files and bytes done, in
 * the shared table, so worker processes count too); the reporter reads
 * them a few times a second and draws. Drawing is never the workers'
 * business: a worker that printed per file would serialise on stderr.
 */
#ifndef INTEGRITY_PROGRESS_H
#define INTEGRITY_PROGRESS_H

#include <stdatomic.h>
#include <stdint.h>

enum progress_style {
    PROGRESS_NONE,  /* -q: nothing */
    PROGRESS_LINES, /* stderr is no terminal: a plain line every second */
    PROGRESS_BAR,   /* stderr is a terminal: a bar redrawn 5 times a second */
};

struct progress;

/* Start the reporter: it reads *files and *bytes (out of files_total and
 * bytes_total) until progress_stop. Returns NULL for PROGRESS_NONE. Exits
 * with a message if the thread cannot be started. */
struct progress *progress_start(enum progress_style style, uint64_t files_total,
                                uint64_t bytes_total,
                                const atomic_ullong *files,
                                const atomic_ullong *bytes);

/* Stop the reporter: it draws a last time ("done in", or "interrupted"),
 * then it is joined and freed. NULL does nothing. */
void progress_stop(struct progress *p, int interrupted);

#endif
