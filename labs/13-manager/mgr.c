/*
 * mgr.c - the manager's client: one connection, one request at a time
 * (mgr.h has the protocol and the errors).
 *
 * A socket is a byte stream, like lab 03's pipe: a request may leave in
 * pieces, and a reply may arrive in pieces (or, from a broken server, with
 * more behind it). So a request is sent with a loop until every byte is
 * out, and a reply is read into a buffer until its '\n' is there. Only
 * then is it a message.
 *
 * Writes use send(..., MSG_NOSIGNAL): a write to a connection the server
 * has closed would otherwise raise SIGPIPE and kill the whole client
 * program without a word. A library must not change the program's signal
 * settings behind its back; MSG_NOSIGNAL asks for EPIPE on this one call.
 */
#include "mgr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "args.h"

struct mgr {
    int fd;
    char in[MGR_LINE_MAX]; /* reply bytes read so far */
    size_t have;
};

/* A socket connected to "unix:PATH" or "tcp:HOST:PORT"; -1 and errno. */
static int open_socket(const char *address)
{
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    struct sockaddr_in in = {.sin_family = AF_INET};
    struct sockaddr *sa;
    socklen_t len;
    char host[INET_ADDRSTRLEN];
    long port;
    if (strncmp(address, "unix:", 5) == 0 &&
        strlen(address + 5) < sizeof un.sun_path && address[5] != '\0') {
        memcpy(un.sun_path, address + 5, strlen(address + 5) + 1);
        sa = (struct sockaddr *)&un;
        len = sizeof un;
    } else if (sscanf(address, "tcp:%15[0-9.]:", host) == 1 &&
               args_parse_long(address + 5 + strlen(host), 1, 65535, &port) ==
                   ARGS_OK &&
               inet_pton(AF_INET, host, &in.sin_addr) == 1) {
        in.sin_port = htons((uint16_t)port);
        sa = (struct sockaddr *)&in;
        len = sizeof in;
    } else {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(sa->sa_family, SOCK_STREAM, 0);
    if (fd == -1)
        return -1;
    if (connect(fd, sa, len) == -1) {
        int saved = errno;
        (void)close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

struct mgr *mgr_connect(const char *address)
{
    struct mgr *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    if ((m->fd = open_socket(address)) == -1) {
        int saved = errno;
        free(m);
        errno = saved;
        return NULL;
    }
    return m;
}

int mgr_close(struct mgr *m)
{
    if (m == NULL)
        return 0;
    int rc = close(m->fd);
    free(m);
    return rc;
}

/* Send all len bytes of buf on fd. 0, or -1 with errno. */
static int send_all(int fd, const char *buf, size_t len)
{
    /* TODO(13.1): Loop until all len bytes are sent: send() may take fewer
     * than asked; add what it took and go on with the rest. Use
     * send(fd, ..., MSG_NOSIGNAL) so that a dead server gives EPIPE instead
     * of a SIGPIPE that kills the client. Restart after EINTR; any other
     * failure returns -1 (errno is already set).
     * Hint: lab 03's write_all, with send() in the place of write(). */
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}

/* Read one reply line into line (its '\n' replaced by '\0'). 0, or -1:
 * errno ECONNRESET at end-of-file, EPROTO for a line too long. */
static int read_reply(struct mgr *m, char line[MGR_LINE_MAX])
{
    /* TODO(13.2): Until m->in holds a '\n' among its m->have bytes,
     * read() more into m->in + m->have (what is left of the buffer) and add
     * what came to m->have. read() may return a single byte (a stream has
     * no message boundaries): never assume one read is one reply.
     *   read() returns 0   the server closed: errno = ECONNRESET, -1
     *   read() returns -1  EINTR: read again; anything else: -1
     *   buffer full and no '\n': errno = EPROTO, -1
     * Then copy the line before the '\n' into line as a string, and move
     * the bytes after it (if any) to the start of m->in (memmove).
     * Hint: memchr(m->in, '\n', m->have) finds the end of a line. */
    (void)m;
    (void)line;
    errno = ENOSYS;
    return -1;
}

/* The errno for an "ERR reason" reply. */
static int reply_errno(const char *reason)
{
    if (strcmp(reason, "no such key") == 0)
        return ENOENT;
    if (strcmp(reason, "index out of range") == 0 ||
        strcmp(reason, "out of range") == 0)
        return ERANGE;
    return EPROTO;
}

int mgr_request(struct mgr *m, const char *request, long *value)
{
    char buf[MGR_LINE_MAX + 1];
    size_t len = strlen(request);
    if (len + 1 > MGR_LINE_MAX || memchr(request, '\n', len) != NULL) {
        errno = EINVAL;
        return -1;
    }
    memcpy(buf, request, len);
    buf[len++] = '\n';
    if (send_all(m->fd, buf, len) == -1 || read_reply(m, buf) == -1)
        return -1;
    long v;
    if (strncmp(buf, "OK ", 3) == 0 &&
        args_parse_long(buf + 3, LONG_MIN, LONG_MAX, &v) == ARGS_OK) {
        if (value != NULL)
            *value = v;
        return 0;
    }
    errno = strncmp(buf, "ERR ", 4) == 0 ? reply_errno(buf + 4) : EPROTO;
    return -1;
}

/* Format a request and send it; EINVAL if a key made it too long. */
static int requestf(struct mgr *m, long *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int requestf(struct mgr *m, long *value, const char *fmt, ...)
{
    char line[MGR_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line) {
        errno = EINVAL;
        return -1;
    }
    return mgr_request(m, line, value);
}

/* A key must not smuggle a space or a newline into the line. */
static int check_key(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > MGR_KEY_MAX || strcspn(key, " \n\r") != n) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int mgr_dict_get(struct mgr *m, const char *key, long *value)
{
    return check_key(key) == -1 ? -1 : requestf(m, value, "GET %s", key);
}

int mgr_dict_set(struct mgr *m, const char *key, long value)
{
    return check_key(key) == -1 ? -1
                                : requestf(m, NULL, "SET %s %ld", key, value);
}

int mgr_dict_incr(struct mgr *m, const char *key, long delta, long *value)
{
    return check_key(key) == -1 ? -1
                                : requestf(m, value, "INCR %s %ld", key, delta);
}

int mgr_list_append(struct mgr *m, long value, long *len)
{
    return requestf(m, len, "APPEND %ld", value);
}

int mgr_list_len(struct mgr *m, long *len)
{
    return mgr_request(m, "LEN", len);
}

int mgr_list_get(struct mgr *m, long index, long *value)
{
    return requestf(m, value, "ITEM %ld", index);
}
