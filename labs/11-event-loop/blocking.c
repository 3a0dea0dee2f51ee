/*
 * blocking.c - the downloads with blocking sockets (see blocking.h): what
 * lab 10 did, here to compare with the event loop in one program.
 *
 * A blocking read waits inside the kernel until bytes come; the thread
 * can do nothing else meanwhile. Serially, the waits add up; with a thread
 * per download, they overlap, at the price of a thread (a stack, a kernel
 * task) for each connection.
 */
#include "blocking.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "io.h"
#include "timing.h"

/* Each call on the socket waits at most timeout_ms. */
static int set_timeouts(int fd, int timeout_ms)
{
    struct timeval tv = {.tv_sec = timeout_ms / 1000,
                         .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == -1)
        return -1;
    return 0;
}

/* The whole reply is in d->in (d->got bytes): check it. */
static void check_reply(struct download *d, const struct evloop_opts *o)
{
    char *nl =
        memchr(d->in, '\n', d->got < EV_HEADER_MAX ? d->got : EV_HEADER_MAX);
    char why[EV_ERROR_MAX];
    if (d->got == 0) {
        download_fail(d, o, "closed before the reply");
    } else if (nl == NULL) {
        download_fail(d, o,
                      "not the protocol: no header line in the first "
                      "%d bytes",
                      EV_HEADER_MAX);
    } else if (parse_header(d->in, (size_t)(nl - d->in), &d->body_len, why) ==
               -1) {
        download_fail(d, o, "%s", why);
    } else {
        d->body_start = (size_t)(nl - d->in) + 1;
        size_t body = d->got - d->body_start;
        if (body < d->body_len)
            download_fail(d, o, "closed after %zu of %zu body bytes", body,
                          d->body_len);
        else if (body > d->body_len)
            download_fail(d, o,
                          "not the protocol: %zu bytes more than the %zu the "
                          "header announced",
                          body - d->body_len, d->body_len);
        else
            download_finish(d, DL_DONE, o);
    }
}

void fetch_blocking(struct download *d, const struct evloop_opts *o)
{
    d->started = timing_now();
    d->deadline = d->started + o->timeout_ms / 1000.0;
    d->fd = pageserver_connect(o->port);
    if (d->fd == -1) {
        download_fail(d, o, "connect: %s", strerror(errno));
        return;
    }
    if (set_timeouts(d->fd, o->timeout_ms) == -1) {
        download_fail(d, o, "setsockopt: %s", strerror(errno));
        return;
    }
    d->state = DL_SENDING;
    if (io_write_all(d->fd, d->request, d->request_len) == -1) {
        download_fail(d, o, "write: %s", strerror(errno));
        return;
    }
    d->sent = d->request_len;
    d->state = DL_READING_HEADER;
    ssize_t got = io_read_all(d->fd, d->in, sizeof d->in);
    if (got == -1) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            download_fail(d, o, "timed out after %d ms, waiting for the reply",
                          o->timeout_ms);
        else
            download_fail(d, o, "read: %s", strerror(errno));
        return;
    }
    d->got = (size_t)got;
    check_reply(d, o);
}

void fetch_serial(struct download *dls, size_t n, const struct evloop_opts *o)
{
    for (size_t i = 0; i < n; i++)
        fetch_blocking(&dls[i], o);
}

struct fetch_arg {
    struct download *d;
    const struct evloop_opts *o;
};

static void *fetch_thread(void *p)
{
    struct fetch_arg *a = p;
    fetch_blocking(a->d, a->o);
    return NULL;
}

int fetch_threads(struct download *dls, size_t n, const struct evloop_opts *o)
{
    pthread_t *tids = calloc(n > 0 ? n : 1, sizeof *tids);
    struct fetch_arg *args = calloc(n > 0 ? n : 1, sizeof *args);
    size_t started = 0;
    int err = tids == NULL || args == NULL ? ENOMEM : 0;
    for (; err == 0 && started < n; started++) {
        args[started] = (struct fetch_arg){.d = &dls[started], .o = o};
        err =
            pthread_create(&tids[started], NULL, fetch_thread, &args[started]);
        if (err != 0)
            break;
    }
    for (size_t i = started; i < n; i++)
        download_fail(&dls[i], o, "no thread for it: pthread_create: %s",
                      strerror(err));
    for (size_t i = 0; i < started; i++) {
        int e = pthread_join(tids[i], NULL);
        if (e != 0 && err == 0)
            err = e;
    }
    free(tids);
    free(args);
    errno = err;
    return err == 0 ? 0 : -1;
}
