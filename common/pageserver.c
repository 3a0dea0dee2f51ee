/*
 * pageserver.c - see pageserver.h.
 *
 * One thread, one poll loop. Each connection goes through three states:
 * reading its request line, waiting until its delay has passed, writing
 * its reply. The poll timeout is the nearest deadline, so a thousand
 * connections waiting 200 ms cost the server nothing but their memory.
 */
#include "pageserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX 128 /* longest request line, newline included */
#define NEVER (-1LL)
#define STRING(x) #x
#define EXPAND(x) STRING(x)
#define OK_HEADER                                                              \
    "OK " EXPAND(PAGESERVER_BODY_LEN) "\n" /* deadline of a connection that    \
                                              waits for nothing */

enum conn_state { READING, WAITING, WRITING };

struct conn {
    int fd;
    enum conn_state state;
    char req[REQ_MAX];
    size_t req_len;
    int peer_eof;       /* the client shut its side after its request */
    long long deadline; /* ms on the monotonic clock, or NEVER */
    char *out;          /* the reply, sent from out + sent to out + out_len */
    size_t out_len, sent;
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pageserver_body(const char *name, char *buf, size_t len)
{
    size_t n = strlen(name);
    if (n == 0) {
        memset(buf, '.', len);
        return;
    }
    for (size_t i = 0; i < len; i++)
        buf[i] = name[i % n];
}

static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* ---- one connection ------------------------------------------------------ */

static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > PAGESERVER_NAME_MAX)
        return 0;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_.!-") == n;
}

static void set_reply(struct conn *c, const char *header, const char *name,
                      size_t body_len)
{
    size_t hlen = strlen(header);
    c->out = malloc(hlen + body_len);
    if (c->out == NULL) {
        c->out_len = 0; /* no memory: the connection just closes */
        return;
    }
    memcpy(c->out, header, hlen);
    pageserver_body(name, c->out + hlen, body_len);
    c->out_len = hlen + body_len;
    c->sent = 0;
}

/* "GET <name> <delay_ms>\n": the name (into name) and the delay, or -1
 * if the line is not that. */
static long parse_line(char *line, char *name)
{
    char *save = NULL;
    char *verb = strtok_r(line, " \n", &save);
    char *word = strtok_r(NULL, " \n", &save);
    char *num = strtok_r(NULL, " \n", &save);
    if (verb == NULL || strcmp(verb, "GET") != 0 || word == NULL ||
        num == NULL || strtok_r(NULL, " \n", &save) != NULL ||
        !valid_name(word))
        return -1;
    char *end;
    errno = 0;
    long delay = strtol(num, &end, 10);
    if (errno != 0 || *end != '\0' || delay < 0 || delay > PAGESERVER_DELAY_MAX)
        return -1;
    memcpy(name, word, strlen(word) + 1); /* fits: valid_name checked */
    return delay;
}

/* The request line is complete: decide the reply and when it is due. */
static void parse_request(struct conn *c, long long now)
{
    char name[PAGESERVER_NAME_MAX + 1];
    c->req[c->req_len] = '\0';
    long delay = parse_line(c->req, name);
    c->state = WAITING;
    if (delay == -1) {
        set_reply(c, "ERR bad request: want GET <name> <delay_ms>\n", "", 0);
        c->deadline = now;
        return;
    }
    c->deadline = strcmp(name, "!stall") == 0 ? NEVER : now + delay;
    if (strcmp(name, "!close") == 0)
        c->out_len = 0;
    else if (strcmp(name, "!garbage") == 0)
        set_reply(c, "\x01\x02 HTTP/9.9 teapot\n", "\x7f", 100);
    else if (strcmp(name, "!half") == 0)
        set_reply(c, OK_HEADER, name, PAGESERVER_BODY_LEN / 2);
    else
        set_reply(c, OK_HEADER, name, PAGESERVER_BODY_LEN);
}

/* Read what the client sent. Returns 0 to keep the connection, -1 to
 * close it (the client left, or an error). */
static int on_readable(struct conn *c, long long now)
{
    char scratch[256];
    char *dst = c->state == READING ? c->req + c->req_len : scratch;
    size_t room =
        c->state == READING ? REQ_MAX - 1 - c->req_len : sizeof scratch;
    ssize_t n = read(c->fd, dst, room);
    if (n == -1)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    if (n == 0) {
        if (c->state == READING)
            return -1;   /* gone before its request was complete */
        c->peer_eof = 1; /* it may still read the reply: stop polling it */
        return 0;
    }
    if (c->state != READING)
        return 0; /* bytes after the request line are ignored */
    c->req_len += (size_t)n;
    if (memchr(c->req, '\n', c->req_len) != NULL)
        parse_request(c, now);
    else if (c->req_len == REQ_MAX - 1) {
        c->state = WAITING; /* too long: answer with an error */
        set_reply(c, "ERR request line too long\n", "", 0);
        c->deadline = now;
    }
    return 0;
}

/* Send what is left of the reply. Returns 1 when all of it has gone (or
 * there was nothing to send), 0 to wait for room, -1 on an error. */
static int on_writable(struct conn *c)
{
    while (c->sent < c->out_len) {
        ssize_t n =
            send(c->fd, c->out + c->sent, c->out_len - c->sent, MSG_NOSIGNAL);
        if (n == -1)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        c->sent += (size_t)n;
    }
    return 1;
}

/* ---- the table of connections ---------------------------------------------
 */

struct table {
    struct conn *conns;
    struct pollfd *pfds; /* pfds[0] is the listening socket */
    size_t count, cap;
    int accept_paused; /* out of descriptors: wait until one closes */
};

static void close_conn(struct table *t, size_t i)
{
    close(t->conns[i].fd);
    free(t->conns[i].out);
    t->conns[i] = t->conns[--t->count];
    t->accept_paused = 0;
}

static int add_conn(struct table *t, int fd)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        struct conn *c = realloc(t->conns, cap * sizeof *c);
        if (c == NULL)
            return -1;
        t->conns = c;
        struct pollfd *p = realloc(t->pfds, (cap + 1) * sizeof *p);
        if (p == NULL)
            return -1;
        t->pfds = p;
        t->cap = cap;
    }
    t->conns[t->count++] =
        (struct conn){.fd = fd, .state = READING, .deadline = NEVER};
    return 0;
}

/* Accept every connection waiting. -1 only on an unexpected error. */
static int accept_all(struct table *t, int listen_fd)
{
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd == -1) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
                errno == ENOBUFS) {
                t->accept_paused = 1;
                return 0;
            }
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                return 0;
            return -1;
        }
        if (set_nonblocking(fd) == -1 || add_conn(t, fd) == -1) {
            close(fd);
            t->accept_paused = 1;
            return 0;
        }
    }
}

/* Fill the poll set; return the poll timeout (ms to the nearest deadline,
 * or -1 for none). */
static int build_pollset(struct table *t, int listen_fd, long long now)
{
    long long nearest = NEVER;
    t->pfds[0] = (struct pollfd){.fd = t->accept_paused ? -1 : listen_fd,
                                 .events = POLLIN};
    for (size_t i = 0; i < t->count; i++) {
        struct conn *c = &t->conns[i];
        struct pollfd *p = &t->pfds[i + 1];
        *p = (struct pollfd){.fd = c->fd, .events = POLLIN};
        if (c->state == WRITING)
            p->events = POLLOUT;
        else if (c->peer_eof)
            p->events = 0;
        if (c->state == WAITING && c->deadline != NEVER &&
            (nearest == NEVER || c->deadline < nearest))
            nearest = c->deadline;
    }
    if (nearest == NEVER)
        return -1;
    return nearest <= now ? 0 : (int)(nearest - now);
}

/* Act on one connection after poll. Returns 0 to keep it, -1 to close. */
static int service(struct conn *c, short revents, long long now)
{
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        if (c->state != WRITING && on_readable(c, now) == -1)
            return -1;
        if (c->state == WRITING && (revents & POLLERR))
            return -1;
    }
    if (c->state == WAITING && c->deadline != NEVER && c->deadline <= now)
        c->state = WRITING;
    if (c->state == WRITING) {
        int done = on_writable(c);
        if (done != 0)
            return -1; /* all sent (or failed): the server closes */
    }
    return 0;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl); /* best effort: serve fewer */
    }
}

static int install_stop_handlers(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_stop; /* no SA_RESTART: poll returns EINTR */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) == -1 ||
        sigaction(SIGINT, &sa, NULL) == -1)
        return -1;
    return 0;
}

static int serve_loop(struct table *t, int listen_fd)
{
    while (!stop_requested) {
        int timeout = build_pollset(t, listen_fd, now_ms());
        if (poll(t->pfds, t->count + 1, timeout) == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        long long now = now_ms();
        size_t n = t->count;         /* before accepting: pfds[1..n] match */
        for (size_t i = n; i-- > 0;) /* backwards: close_conn moves the last */
            if (service(&t->conns[i], t->pfds[i + 1].revents, now) == -1)
                close_conn(t, i);
        if ((t->pfds[0].revents & POLLIN) && accept_all(t, listen_fd) == -1)
            return -1;
    }
    return 0;
}

int pageserver_serve(int listen_fd)
{
    struct table t = {0};
    raise_fd_limit();
    if (install_stop_handlers() == -1 || set_nonblocking(listen_fd) == -1 ||
        add_conn(&t, -1) == -1) /* makes room for pfds[0] */
        return -1;
    t.count = 0;
    int rc = serve_loop(&t, listen_fd);
    int saved = errno;
    while (t.count > 0)
        close_conn(&t, t.count - 1);
    free(t.conns);
    free(t.pfds);
    errno = saved;
    return rc;
}

/* ---- starting, stopping, connecting ----------------------------------------
 */

static int listen_loopback(int port, int *bound_port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1)
        return -1;
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) == -1 ||
        listen(fd, SOMAXCONN) == -1 ||
        getsockname(fd, (struct sockaddr *)&a, &len) == -1) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    *bound_port = ntohs(a.sin_port);
    return fd;
}

int pageserver_start(struct pageserver *s, int port)
{
    int fd = listen_loopback(port, &s->port);
    if (fd == -1)
        return -1;
    pid_t parent = getpid();
    /* The child must not print the parent's unflushed buffer again. */
    (void)fflush(stdout);
    s->pid = fork();
    if (s->pid == -1) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    if (s->pid == 0) {
        /* Die with the program that started us, even if it is killed. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
            _exit(1);
        _exit(pageserver_serve(fd) == 0 ? 0 : 1);
    }
    close(fd);
    return 0;
}

int pageserver_stop(struct pageserver *s)
{
    int status;
    if (kill(s->pid, SIGTERM) == -1)
        return -1;
    while (waitpid(s->pid, &status, 0) == -1)
        if (errno != EINTR)
            return -1;
    if ((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
        (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM))
        return 0;
    errno = EPROTO;
    return -1;
}

/* connect() failed: if only a signal interrupted it, the connection goes
 * on in the background (connect must not be called again): wait for it
 * and fetch its outcome. Returns 0 if connected, -1 with errno set. */
static int wait_connected(int fd)
{
    if (errno != EINTR)
        return -1;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof err;
    while (poll(&p, 1, -1) == -1)
        if (errno != EINTR)
            return -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
        return -1;
    errno = err;
    return err == 0 ? 0 : -1;
}

int pageserver_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == -1 &&
        wait_connected(fd) == -1) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}
