/*
 * evloop.h - many downloads on one thread: non-blocking sockets and a
 * poll() loop, each download a small state machine (asyncio's idea in C).
 *
 *     CONNECTING --POLLOUT, SO_ERROR 0--> SENDING --request written-->
 *     READING_HEADER --"OK <len>\n"--> READING_BODY --len bytes--> DONE
 *     (any state) --error, early end-of-file, garbage, deadline--> FAILED
 *
 * A download never waits: each step does what the socket allows right now
 * (a connect that is still in progress, a write that took part of the
 * request, a read that brought three bytes of the header) and returns. The
 * loop asks poll() which sockets can move, and moves them. Only poll()
 * waits, for all of them at once.
 *
 *     struct download d[2];
 *     download_init(&d[0], "index", 200);
 *     download_init(&d[1], "about", 200);
 *     struct evloop_opts o = {.port = srv.port, .timeout_ms = 5000};
 *     if (evloop_run(d, 2, &o) == -1)
 *         die("evloop_run");
 *     ... d[k].state is DL_DONE (body in d[k].in + d[k].body_start) or
 *     DL_FAILED (reason in d[k].error) ...
 */
#ifndef EVLOOP_H
#define EVLOOP_H

#include <stddef.h>

#include "pageserver.h"

#define EV_HEADER_MAX 32 /* a header line longer than this is not ours */
#define EV_REQUEST_MAX (PAGESERVER_NAME_MAX + 32)
#define EV_ERROR_MAX 160

enum dl_state {
    DL_CONNECTING,     /* connect() in progress: wait for POLLOUT */
    DL_SENDING,        /* connected: write the request (POLLOUT) */
    DL_READING_HEADER, /* read up to the header's '\n' (POLLIN) */
    DL_READING_BODY,   /* read the rest of the body (POLLIN) */
    DL_DONE,           /* the whole body arrived; socket closed */
    DL_FAILED,         /* see error; socket closed */
};

struct download {
    char name[PAGESERVER_NAME_MAX + 1]; /* the page asked for */
    enum dl_state state;
    int fd; /* the socket; -1 before it is made and once closed */
    char request[EV_REQUEST_MAX]; /* "GET <name> <delay_ms>\n" */
    size_t request_len;           /* its length */
    size_t sent;                  /* bytes of it written so far */
    /* What came back: the header line, then the body right after it. */
    char in[EV_HEADER_MAX + PAGESERVER_BODY_LEN];
    size_t got;        /* bytes of in[] filled so far */
    size_t body_start; /* where the body starts in in[] (after the '\n') */
    size_t body_len;   /* the length the header announced */
    double started;    /* timing_now() when its connect began */
    double deadline;   /* timing_now() after which it fails */
    double finished;   /* timing_now() when it became DONE or FAILED */
    char error[EV_ERROR_MAX]; /* why it FAILED */
};

struct evloop_opts {
    int port;       /* the server, on 127.0.0.1 */
    int timeout_ms; /* each download's deadline, from its start */
    /* Called once per download, just after it became DONE or FAILED
     * (socket closed, finished set). It may turn DONE into FAILED (a body
     * that fails a check). It runs ON the loop: while it runs, nothing
     * else moves. NULL: none. */
    void (*on_finish)(struct download *d, void *arg);
    void *arg;
};

/* Prepare d to fetch page name (1..PAGESERVER_NAME_MAX characters) with
 * the given delay: fills name and request; state CONNECTING, fd -1.
 * Returns 0, or -1 if the name is too long or empty. */
int download_init(struct download *d, const char *name, int delay_ms);

/* Parse a header line (without its '\n', len bytes, not NUL-terminated):
 * "OK <len>" with 0 <= len <= PAGESERVER_BODY_LEN. Returns 0 and sets
 * *body_len, or -1 and writes the reason into error (EV_ERROR_MAX bytes):
 * the server's own "ERR ..." line, or "not the protocol". */
int parse_header(const char *line, size_t len, size_t *body_len, char *error);

/* The end of a download: close its socket (if open), set its state (DL_DONE
 * or DL_FAILED) and finished, and call o->on_finish. */
void download_finish(struct download *d, enum dl_state state,
                     const struct evloop_opts *o);

/* Fail d: error = the printf-style message, then download_finish. */
void download_fail(struct download *d, const struct evloop_opts *o,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Run every download (each in state CONNECTING, from download_init) until
 * each is DONE or FAILED, on this thread, with one poll() loop. Starts all
 * the connections at once. Returns 0 (look at each download's state), or -1
 * with errno set if poll() or an allocation failed (every socket is closed
 * then, and the unfinished downloads are FAILED). */
int evloop_run(struct download *dls, size_t n, const struct evloop_opts *o);

#endif
