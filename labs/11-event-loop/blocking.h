/*
 * blocking.h - the same downloads the blocking way (lab 10), to compare
 * with the event loop: one after another, or one thread each.
 */
#ifndef BLOCKING_H
#define BLOCKING_H

#include <stddef.h>

#include "evloop.h"

/* Fetch d (from download_init) with blocking calls on this thread:
 * connect, write the request, read until the server closes; each call
 * waits at most o->timeout_ms. d ends DONE or FAILED, and o->on_finish is
 * called, as in the event loop. */
void fetch_blocking(struct download *d, const struct evloop_opts *o);

/* Every download, one after another, on this thread. */
void fetch_serial(struct download *dls, size_t n, const struct evloop_opts *o);

/* One thread per download, each running fetch_blocking; waits for all.
 * o->on_finish runs on those threads. Returns 0, or -1 with errno set if
 * a thread could not be created (the downloads left without one are
 * FAILED; the threads already running are waited for). */
int fetch_threads(struct download *dls, size_t n, const struct evloop_opts *o);

#endif
