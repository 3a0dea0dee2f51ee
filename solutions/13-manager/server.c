/*
 * server.c - the manager's server (server.h): one thread, one poll() loop,
 * every client a connection with its own buffers.
 *
 * Why poll and not a thread per client: with one thread, requests are
 * applied one after another, so each is atomic with no lock at all, and
 * the store needs no thought about sharing (store.h). A thread per client
 * would need one lock around the store and gain nothing: a request costs
 * far less than the messages around it. The price of one thread is that
 * the server must never block on one client:
 *
 *   - each client's bytes are collected in its buffer until a whole line
 *     is there; a client that sends half a line and dies (or stalls) holds
 *     up no one, and its half line is thrown away, never applied;
 *   - replies go out through a per-client buffer, on a non-blocking
 *     socket: a client that floods requests without reading the replies
 *     fills its own socket, the server stops reading from it until it
 *     drains, and serves the others meanwhile;
 *   - garbage gets "ERR ..." and the loop goes on; only a line too long
 *     (no '\n' within MGR_LINE_MAX bytes) closes that one connection.
 *
 * Shutdown: SIGTERM or SIGINT write a byte to a pipe that poll() watches
 * (the self-pipe trick). A handler that only set a flag would leave a
 * race: the signal could land after the flag was tested and before poll()
 * blocked, and the server would sleep on. Writes use MSG_NOSIGNAL: a reply
 * to a client that has gone must fail with EPIPE, not kill the server with
 * SIGPIPE.
 */
#define _DEFAULT_SOURCE /* MSG_NOSIGNAL and MSG_DONTWAIT in older headers */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "store.h"

#define IN_SIZE (4 * (size_t)MGR_LINE_MAX)   /* room for a few requests */
#define OUT_SIZE (16 * (size_t)MGR_LINE_MAX) /* replies not yet sent */

struct conn {
    int fd; /* -1: a free slot */
    char in[IN_SIZE];
    size_t have; /* bytes in in: not yet a whole line */
    char out[OUT_SIZE];
    size_t out_len, out_sent; /* replies queued; how much of them is sent */
    bool closing;             /* close once out is sent */
};

struct server {
    int listen_fd;
    struct store store;
    struct conn conns[SERVER_MAX_CLIENTS];
};

static int stop_pipe[2] = {-1, -1};

/* SIGTERM/SIGINT: tell the loop, through the pipe it polls. */
static void on_stop(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    (void)write(stop_pipe[1], &b, 1); /* full pipe: a stop is pending */
    errno = saved;
}

static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags == -1 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* Close fd, keeping errno (for error paths). */
static void close_keep_errno(int fd)
{
    int saved = errno;
    (void)close(fd);
    errno = saved;
}

static int listen_on(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (bind(fd, sa, len) == -1 || listen(fd, SOMAXCONN) == -1) {
        close_keep_errno(fd);
        return -1;
    }
    return fd;
}

int server_listen_unix(const char *path)
{
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof un.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(un.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd == -1)
        return -1;
    return listen_on(fd, (struct sockaddr *)&un, sizeof un);
}

int server_listen_tcp(int port, int *bound_port)
{
    struct sockaddr_in in = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1)
        return -1;
    int one = 1; /* a restarted server may take its port back at once */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1) {
        close_keep_errno(fd);
        return -1;
    }
    if (listen_on(fd, (struct sockaddr *)&in, sizeof in) == -1)
        return -1;
    socklen_t len = sizeof in;
    if (getsockname(fd, (struct sockaddr *)&in, &len) == -1) {
        close_keep_errno(fd);
        return -1;
    }
    *bound_port = ntohs(in.sin_port);
    return fd;
}

static void drop(struct conn *c)
{
    (void)close(c->fd); /* a client's socket: nothing to do if it fails */
    c->fd = -1;
}

/* Send what is queued in c->out, as far as the socket takes it. */
static void flush(struct conn *c)
{
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* the client is not reading: poll for POLLOUT */
        if (n == -1) {
            drop(c); /* EPIPE, ECONNRESET: the client has gone */
            return;
        }
        c->out_sent += (size_t)n;
    }
    c->out_len = c->out_sent = 0;
    if (c->closing)
        drop(c);
}

/* Queue one reply line (NUL-terminated) in c->out. */
static void queue_reply(struct conn *c, const char *reply)
{
    size_t len = strlen(reply);
    memcpy(c->out + c->out_len, reply, len);
    c->out_len += len;
}

/* Apply every whole line in c->in, while c->out has room for the replies;
 * the bytes of an unfinished line stay in c->in for the next read. */
static void handle_lines(struct store *s, struct conn *c)
{
    char reply[MGR_LINE_MAX];
    /* TODO(13.4): While c->out has room for one more reply
     * (c->out_len + MGR_LINE_MAX <= OUT_SIZE) and c->in holds a '\n'
     * among its c->have bytes: end the line there ('\0' in place of the
     * '\n'), store_dispatch() it into reply, queue_reply(c, reply), and
     * move the bytes after it to the start of c->in. A line is at most
     * MGR_LINE_MAX bytes with its '\n': if c->have >= MGR_LINE_MAX and no
     * '\n' is in the first MGR_LINE_MAX bytes, queue "ERR line too long\n",
     * set c->closing, empty c->in, and stop.
     * Hint: only a whole line is a request. Bytes with no '\n' after them
     * are half a request: keep them; if the client goes away, they go
     * with it, never applied. */
    /* BEGIN SOLUTION */
    while (c->out_len + MGR_LINE_MAX <= OUT_SIZE && !c->closing) {
        size_t look = c->have < MGR_LINE_MAX ? c->have : MGR_LINE_MAX;
        char *nl = memchr(c->in, '\n', look);
        if (nl == NULL) {
            if (c->have >= MGR_LINE_MAX) {
                queue_reply(c, "ERR line too long\n");
                c->closing = true;
                c->have = 0;
            }
            return;
        }
        *nl = '\0';
        store_dispatch(s, c->in, reply, sizeof reply);
        queue_reply(c, reply);
        c->have -= (size_t)(nl + 1 - c->in);
        memmove(c->in, nl + 1, c->have);
    }
    /* END SOLUTION */
    /* STARTER
    (void)s;
    (void)c;
    (void)reply;
    (void)queue_reply;
    STARTER */
}

/* Whether c->in holds a whole line (or one too long) to handle. */
static bool has_work(const struct conn *c)
{
    size_t look = c->have < MGR_LINE_MAX ? c->have : MGR_LINE_MAX;
    return !c->closing &&
           (c->have >= MGR_LINE_MAX || memchr(c->in, '\n', look) != NULL);
}

/* Client c is ready (revents from poll): read, answer, send. */
static void serve_conn(struct store *s, struct conn *c, short revents)
{
    if (c->out_len > 0)
        flush(c);
    if (c->fd == -1 || c->out_len > 0 || c->closing)
        return; /* still sending: read nothing more from it until sent */
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(c->fd, c->in + c->have, sizeof c->in - c->have);
        if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN &&
                       errno != EWOULDBLOCK)) {
            drop(c); /* gone; half a line in c->in goes with it */
            return;
        }
        if (n > 0)
            c->have += (size_t)n;
    }
    size_t before;
    do { /* until no whole line is left, or the client is not reading */
        before = c->have;
        handle_lines(s, c);
        flush(c);
    } while (c->fd != -1 && c->out_len == 0 && c->have != before &&
             has_work(c));
}

/* A new connection into a free slot (or refused when there is none). */
static void accept_client(struct server *sv)
{
    int fd = accept(sv->listen_fd, NULL, NULL);
    if (fd == -1)
        return; /* EAGAIN (it left already), ECONNABORTED, EMFILE: go on */
    for (int i = 0; i < SERVER_MAX_CLIENTS; i++) {
        struct conn *c = &sv->conns[i];
        if (c->fd == -1) {
            if (set_nonblocking(fd) == -1)
                break;
            *c = (struct conn){.fd = fd};
            return;
        }
    }
    (void)send(fd, "ERR too many clients\n", 21, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)close(fd);
}

/* Set SIGTERM and SIGINT to handler. 0, or -1 with errno. */
static int set_stop_handler(void (*handler)(int))
{
    struct sigaction sa = {.sa_handler = handler};
    if (sigemptyset(&sa.sa_mask) == -1)
        return -1;
    if (sigaction(SIGTERM, &sa, NULL) == -1 ||
        sigaction(SIGINT, &sa, NULL) == -1)
        return -1;
    return 0;
}

int server_stop_signals(int how)
{
    sigset_t set;
    if (sigemptyset(&set) == -1 || sigaddset(&set, SIGTERM) == -1 ||
        sigaddset(&set, SIGINT) == -1)
        return -1;
    int err = pthread_sigmask(how, &set, NULL);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

/* Fill fds: the stop pipe, the listening socket, then every client (its
 * slot in slot[]). Returns how many. */
static nfds_t fill_pollfds(const struct server *sv, struct pollfd *fds,
                           int *slot)
{
    nfds_t n = 0;
    fds[n++] = (struct pollfd){.fd = stop_pipe[0], .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = sv->listen_fd, .events = POLLIN};
    for (int i = 0; i < SERVER_MAX_CLIENTS; i++) {
        const struct conn *c = &sv->conns[i];
        if (c->fd == -1)
            continue;
        slot[n] = i;
        fds[n++] = (struct pollfd){.fd = c->fd,
                                   .events = c->out_len > 0 ? POLLOUT : POLLIN};
    }
    return n;
}

/* The loop: until a stop signal's byte arrives. Its number, or -1. */
static int loop(struct server *sv)
{
    static struct pollfd fds[SERVER_MAX_CLIENTS + 2];
    static int slot[SERVER_MAX_CLIENTS + 2];
    for (;;) {
        nfds_t n = fill_pollfds(sv, fds, slot);
        if (poll(fds, n, -1) == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        unsigned char sig;
        if ((fds[0].revents & POLLIN) && read(stop_pipe[0], &sig, 1) == 1)
            return sig;
        if (fds[1].revents & POLLIN)
            accept_client(sv);
        for (nfds_t k = 2; k < n; k++)
            if (fds[k].revents != 0)
                serve_conn(&sv->store, &sv->conns[slot[k]], fds[k].revents);
    }
}

int server_serve(int listen_fd)
{
    static struct server sv; /* 1.5 MB of buffers: not on the stack */
    sv.listen_fd = listen_fd;
    store_init(&sv.store);
    for (int i = 0; i < SERVER_MAX_CLIENTS; i++)
        sv.conns[i].fd = -1;
    if (pipe(stop_pipe) == -1)
        return -1;
    if (set_nonblocking(stop_pipe[0]) == -1 ||
        set_nonblocking(stop_pipe[1]) == -1 ||
        set_nonblocking(listen_fd) == -1 || set_stop_handler(on_stop) == -1 ||
        server_stop_signals(SIG_UNBLOCK) == -1)
        return -1;
    int rc = loop(&sv);
    int saved = errno;
    for (int i = 0; i < SERVER_MAX_CLIENTS; i++)
        if (sv.conns[i].fd != -1)
            drop(&sv.conns[i]);
    store_destroy(&sv.store);
    if (set_stop_handler(SIG_DFL) == -1 || close(listen_fd) == -1 ||
        close(stop_pipe[0]) == -1 || close(stop_pipe[1]) == -1)
        return -1;
    errno = saved;
    return rc;
}
