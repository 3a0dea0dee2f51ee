/*
 * evloop.c - the event loop: every download on one thread (see evloop.h).
 *
 * asyncio in Python hides this loop inside `asyncio.run()`: a coroutine that
 * says `await reader.read()` hands control back to the loop, which polls
 * every socket at once and resumes whichever coroutine can go on. In C
 * there are no coroutines to resume, so each download remembers where it
 * stands in a state field, and each step is a function that does what the
 * socket allows right now and returns. Two rules make it work:
 *
 *   1. Every socket is non-blocking (O_NONBLOCK). A read with nothing to
 *      read returns -1 with EAGAIN instead of waiting; a connect returns
 *      EINPROGRESS at once and finishes in the background. So no step ever
 *      waits, and one slow peer cannot hold up the others.
 *   2. Only poll() waits, for every socket at once, and for no longer than
 *      the nearest deadline. It says which sockets can move; the loop moves
 *      them, then asks again.
 *
 * Everything a step does may be partial: a connect still in progress, a
 * write that took part of the request, a read that brought 3 bytes of the
 * header or half the body. The state and the counters (sent, got) say how
 * far it got; the next POLLIN or POLLOUT carries on from there.
 */
#include "evloop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "timing.h"

int download_init(struct download *d, const char *name, int delay_ms)
{
    size_t len = strlen(name);
    if (len == 0 || len > PAGESERVER_NAME_MAX)
        return -1;
    memset(d, 0, sizeof *d);
    memcpy(d->name, name, len + 1);
    int w =
        snprintf(d->request, sizeof d->request, "GET %s %d\n", name, delay_ms);
    if (w < 0 || (size_t)w >= sizeof d->request)
        return -1;
    d->request_len = (size_t)w;
    d->state = DL_CONNECTING;
    d->fd = -1;
    return 0;
}

int parse_header(const char *line, size_t len, size_t *body_len, char *error)
{
    if (len >= 4 && memcmp(line, "ERR ", 4) == 0) {
        (void)snprintf(error, EV_ERROR_MAX, "the server said: %.*s",
                       (int)(len < 60 ? len : 60), line);
        return -1;
    }
    size_t value = 0;
    bool ok = len > 3 && memcmp(line, "OK ", 3) == 0;
    for (size_t i = 3; ok && i < len; i++) {
        ok = line[i] >= '0' && line[i] <= '9';
        value = value * 10 + (size_t)(line[i] - '0');
        ok = ok && value <= PAGESERVER_BODY_LEN;
    }
    if (!ok) {
        (void)snprintf(error, EV_ERROR_MAX,
                       "not the protocol: a header line of %zu bytes that is "
                       "not \"OK <len>\" (len at most %d)",
                       len, PAGESERVER_BODY_LEN);
        return -1;
    }
    *body_len = value;
    return 0;
}

void download_finish(struct download *d, enum dl_state state,
                     const struct evloop_opts *o)
{
    if (d->fd != -1) {
        int closed = close(d->fd);
        d->fd = -1;
        if (closed == -1 && state == DL_DONE) {
            download_fail(d, o, "close: %s", strerror(errno));
            return;
        }
    }
    d->state = state;
    d->finished = timing_now();
    if (o->on_finish != NULL)
        o->on_finish(d, o->arg);
}

void download_fail(struct download *d, const struct evloop_opts *o,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(d->error, sizeof d->error, fmt, ap);
    va_end(ap);
    download_finish(d, DL_FAILED, o);
}

/* A failed call: "what: strerror(errno)". */
static void fail_errno(struct download *d, const struct evloop_opts *o,
                       const char *what)
{
    download_fail(d, o, "%s: %s", what, strerror(errno));
}

/* Nothing to do right now: the socket would have blocked (or a signal
 * came); poll() will say when to try again. */
static bool would_block(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Step 0: make a non-blocking socket and start connecting. */
static void start_download(struct download *d, const struct evloop_opts *o)
{
    d->started = timing_now();
    d->deadline = d->started + o->timeout_ms / 1000.0;
    /* TODO(11.1): Make a TCP socket (socket(AF_INET, SOCK_STREAM, 0)) into
     * d->fd, make it non-blocking (fcntl F_GETFL, then F_SETFL with
     * O_NONBLOCK added), and connect() it to 127.0.0.1:o->port (a struct
     * sockaddr_in: AF_INET, htons(port), htonl(INADDR_LOOPBACK)).
     * A non-blocking connect rarely succeeds at once: -1 with errno
     * EINPROGRESS means "under way": state DL_CONNECTING, and poll() says
     * POLLOUT when it is over (see connect_finished). 0 means connected
     * already: state DL_SENDING. Any other failure (a full descriptor
     * table: EMFILE; nobody listening: ECONNREFUSED) fails this download
     * only: fail_errno(d, o, "socket") (or "fcntl", "connect") closes what
     * is open and records why. Never die(): one bad download must not end
     * the others. */
    download_fail(d, o, "TODO(11.1): connect is not written yet");
    (void)fail_errno;
}

/* CONNECTING, and poll() said POLLOUT (or an error): how did it end? */
static void connect_finished(struct download *d, const struct evloop_opts *o)
{
    /* TODO(11.1) (continued): POLLOUT on a connecting socket means the
     * connect is over, not that it worked. Ask the socket how it ended:
     * getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len) with an int err.
     * The call failing: fail_errno(d, o, "getsockopt"). err != 0: the
     * connect failed with that error number (ECONNREFUSED: no server):
     * download_fail(d, o, "connect: %s", strerror(err)). err == 0:
     * connected, state DL_SENDING. */
    download_fail(d, o, "TODO(11.1): connect_finished is not written yet");
}

/* SENDING: write what is left of the request. */
static void send_request(struct download *d, const struct evloop_opts *o)
{
    /* TODO(11.2): write() the part of d->request not sent yet (from
     * d->sent to d->request_len). It may take only part of it: add what
     * it took to d->sent, and when all is sent, state DL_READING_HEADER.
     * -1 with would_block() true: nothing to do now, return (poll() will
     * say POLLOUT again). Any other -1: fail_errno(d, o, "write").
     * Hint: never loop here until everything is written: that loop would
     * wait, on the one thread every other download needs. */
    download_fail(d, o, "TODO(11.2): send_request is not written yet");
    (void)would_block;
}

/* The body is complete when got reaches its end: DONE. More than the
 * header announced is not the protocol. */
static void check_body(struct download *d, const struct evloop_opts *o)
{
    size_t end = d->body_start + d->body_len;
    if (d->got > end)
        download_fail(d, o,
                      "not the protocol: %zu bytes more than the %zu the "
                      "header announced",
                      d->got - end, d->body_len);
    else if (d->got == end)
        download_finish(d, DL_DONE, o);
}

/* READING_HEADER: read what there is, up to the header's '\n'. */
static void read_header(struct download *d, const struct evloop_opts *o)
{
    /* TODO(11.3): read() into d->in + d->got, at most EV_HEADER_MAX - d->got
     * bytes: whatever has arrived, maybe 3 bytes of "OK 1024\n", maybe the
     * header and part of the body. -1: would_block() -> return, else
     * fail_errno(d, o, "read"). 0 (end-of-file): the server closed:
     * download_fail(d, o, "closed before the reply") if nothing came yet,
     * else "closed in the middle of the header". Otherwise add it to
     * d->got and look for '\n' in the bytes that just came (memchr):
     *   - none, and d->got == EV_HEADER_MAX: not our protocol, fail;
     *   - none yet: return, the rest comes with a later POLLIN;
     *   - found at offset k of d->in: parse_header(d->in, k, &d->body_len,
     *     why) with a char why[EV_ERROR_MAX] of your own (-1: fail with
     *     "%s", why); the body starts at k + 1 (d->body_start); state
     *     DL_READING_BODY; bytes of the body may have come with the header
     *     already: check_body(d, o) finishes the download if they are all
     *     there. */
    download_fail(d, o, "TODO(11.3): read_header is not written yet");
    (void)check_body;
}

/* READING_BODY: read what there is of the rest of the body. */
static void read_body(struct download *d, const struct evloop_opts *o)
{
    /* TODO(11.4): read() into d->in + d->got at most the bytes still
     * missing (d->body_start + d->body_len - d->got). -1: as in 11.3.
     * 0: the server closed early (the "!half" page does):
     * download_fail(d, o, "closed after %zu of %zu body bytes", ...).
     * Otherwise add to d->got and check_body(d, o). */
    download_fail(d, o, "TODO(11.4): read_body is not written yet");
}

/* poll() said something about d's socket: take the step its state calls
 * for. Each step returns at once, whatever it managed to do. */
static void step(struct download *d, short revents, const struct evloop_opts *o)
{
    if (revents & POLLNVAL) {
        download_fail(d, o, "poll: descriptor %d is not open", d->fd);
        return;
    }
    switch (d->state) {
    case DL_CONNECTING:
        connect_finished(d, o);
        if (d->state == DL_SENDING)
            send_request(d, o); /* writable already: no need to wait */
        break;
    case DL_SENDING:
        send_request(d, o);
        break;
    case DL_READING_HEADER:
        read_header(d, o);
        break;
    case DL_READING_BODY:
        read_body(d, o);
        break;
    case DL_DONE:
    case DL_FAILED:
        break;
    }
}

static bool is_active(const struct download *d)
{
    return d->state != DL_DONE && d->state != DL_FAILED;
}

/* The poll set: one entry per active download, asking for what its state
 * waits for. which[k] is the download of pfds[k]. Returns the count. */
static size_t build_poll_set(const struct download *dls, size_t n,
                             struct pollfd *pfds, size_t *which)
{
    /* TODO(11.5): For every download still active (is_active), add
     * {.fd = its fd, .events = what it waits for} to pfds and its index to
     * which: POLLOUT while CONNECTING (the connect is over) or SENDING
     * (room to write); POLLIN while READING_HEADER or READING_BODY.
     * Downloads DONE or FAILED are left out (their socket is closed).
     * Return how many entries you wrote.
     * Hint: asking POLLOUT of a socket that reads would wake poll() at
     * once, every time: the loop would spin. */
    (void)dls;
    (void)n;
    (void)pfds;
    (void)which;
    return 0;
}

/* How long poll() may wait, in ms: until the nearest deadline of an active
 * download. */
static int poll_timeout(const struct download *dls, size_t n, double now)
{
    /* TODO(11.6): Find the earliest deadline among the active downloads
     * and return the milliseconds from now until then, ROUNDED UP (ceil)
     * and at least 0; at most INT_MAX. With no active download, -1.
     * Hint: rounded down, poll() wakes up just before the deadline, finds
     * nothing expired, and asks for 0 ms again and again until it passes:
     * a busy loop. -1 with a stalled server: the loop waits forever. */
    (void)dls;
    (void)n;
    (void)now;
    return 10;
}

/* Fail every active download whose deadline has passed. */
static void expire(struct download *dls, size_t n, const struct evloop_opts *o,
                   double now)
{
    static const char *const waiting[] = {
        [DL_CONNECTING] = "connecting",
        [DL_SENDING] = "sending the request",
        [DL_READING_HEADER] = "waiting for the reply",
        [DL_READING_BODY] = "reading the body",
    };
    for (size_t i = 0; i < n; i++)
        if (is_active(&dls[i]) && now >= dls[i].deadline)
            download_fail(&dls[i], o, "timed out after %d ms, %s",
                          o->timeout_ms, waiting[dls[i].state]);
}

static size_t count_active(const struct download *dls, size_t n)
{
    size_t active = 0;
    for (size_t i = 0; i < n; i++)
        active += is_active(&dls[i]);
    return active;
}

/* Fail (and close) every download still active: the loop cannot go on. */
static void fail_all(struct download *dls, size_t n,
                     const struct evloop_opts *o, const char *why)
{
    for (size_t i = 0; i < n; i++)
        if (is_active(&dls[i]))
            download_fail(&dls[i], o, "%s", why);
}

int evloop_run(struct download *dls, size_t n, const struct evloop_opts *o)
{
    struct pollfd *pfds = calloc(n > 0 ? n : 1, sizeof *pfds);
    size_t *which = calloc(n > 0 ? n : 1, sizeof *which);
    int status = 0, saved = 0;
    if (pfds == NULL || which == NULL) {
        saved = ENOMEM;
        fail_all(dls, n, o, "out of memory");
        status = -1;
    }
    for (size_t i = 0; status == 0 && i < n; i++)
        start_download(&dls[i], o);
    while (status == 0 && count_active(dls, n) > 0) {
        size_t nfds = build_poll_set(dls, n, pfds, which);
        int ready =
            poll(pfds, (nfds_t)nfds, poll_timeout(dls, n, timing_now()));
        if (ready == -1 && errno != EINTR) {
            saved = errno;
            fail_all(dls, n, o, "poll failed");
            status = -1;
        }
        for (size_t k = 0; k < nfds && ready > 0; k++) {
            if (pfds[k].revents == 0)
                continue;
            ready--;
            step(&dls[which[k]], pfds[k].revents, o);
        }
        expire(dls, n, o, timing_now());
    }
    free(pfds);
    free(which);
    errno = saved;
    return status;
}
