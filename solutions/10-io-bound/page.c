/*
 * page.c - one fetch from the loopback page server (see page.h).
 *
 * The network is where things go wrong, so most of this file is about
 * what to do when they do. A reply can fail in four ways, and each one
 * must end as a clear error for that page - never a crash, never a
 * client that waits forever:
 *   - the server closes without a reply: read() returns 0 at once;
 *   - it sends bytes that are not the protocol: the header does not parse;
 *   - it sends half the body and closes: read() returns 0 too early;
 *   - it sends nothing and keeps the connection open: read() would block
 *     forever. Only a timeout of our own helps. SO_RCVTIMEO makes a
 *     blocking read() give up with EAGAIN (or EWOULDBLOCK) after that long
 *     without a byte.
 * A write to a connection the server has already closed would raise
 * SIGPIPE and end the whole program; send() with MSG_NOSIGNAL returns
 * EPIPE instead.
 */
#include "page.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "io.h"
#include "pageserver.h"

#define HEADER_MAX 32 /* "OK 65536\n" and more than enough room */

uint32_t page_hash(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* Record why the page failed (a printf format). */
__attribute__((format(printf, 2, 3))) static void fail(struct page_result *out,
                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(out->error, sizeof out->error, fmt, ap);
    va_end(ap);
    out->ok = false;
}

/* A read() that failed: a timeout, or another error. */
static void fail_read(struct page_result *out, int err, int timeout_ms)
{
    if (err == EAGAIN || err == EWOULDBLOCK)
        fail(out, "no reply within %d ms (timeout)", timeout_ms);
    else
        fail(out, "read: %s", strerror(err));
}

/* line, cut at its newline, with every byte that is not printable made
 * a '?', for a message; in place. */
static const char *printable(char *line)
{
    line[strcspn(line, "\n")] = '\0';
    for (char *c = line; *c != '\0'; c++)
        if (!isprint((unsigned char)*c))
            *c = '?';
    return line;
}

/* Read the header line, up to and with its '\n', into line (NUL-ended).
 * Returns the bytes read (0: the server closed first), or -1 with errno.
 * Byte by byte: the body that follows must stay in the socket. */
static ssize_t read_line(int fd, char *line, size_t size)
{
    size_t got = 0;
    while (got + 1 < size) {
        ssize_t n = read(fd, line + got, 1);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return -1;
        if (n == 0)
            break;
        if (line[got++] == '\n')
            break;
    }
    line[got] = '\0';
    return (ssize_t)got;
}

/* Parse a header line: "OK <len>\n" with len in 0..PAGE_BODY_MAX. */
static bool parse_header(const char *line, size_t *len)
{
    if (strncmp(line, "OK ", 3) != 0 || !isdigit((unsigned char)line[3]))
        return false;
    char *end;
    errno = 0;
    unsigned long n = strtoul(line + 3, &end, 10);
    if (errno != 0 || strcmp(end, "\n") != 0 || n > PAGE_BODY_MAX)
        return false;
    *len = (size_t)n;
    return true;
}

/* Read the header "OK <len>\n" and put len in *len. Returns false, with
 * the reason in out, if it did not come or is not the protocol. */
static bool read_header(int fd, int timeout_ms, size_t *len,
                        struct page_result *out)
{
    char line[HEADER_MAX];
    /* TODO(10.1): Read the reply and check everything that can go wrong.
     * Here, the header: read_line(fd, line, sizeof line) returns -1 for
     * a failed read (a timeout is errno EAGAIN or EWOULDBLOCK: report it
     * with fail_read), 0 when the server closed without a reply, else the
     * line. A line that parse_header refuses is garbage: say what came
     * (%.20s of it; printable() makes it safe to print). Each failure:
     * fail(out, "...") with a sentence, then return false. */
    /* BEGIN SOLUTION */
    ssize_t n = read_line(fd, line, sizeof line);
    if (n == -1) {
        fail_read(out, errno, timeout_ms);
        return false;
    }
    if (n == 0) {
        fail(out, "the server closed the connection without a reply");
        return false;
    }
    if (!parse_header(line, len)) {
        fail(out, "garbage from the server: '%.20s' is not 'OK <len>'",
             printable(line));
        return false;
    }
    return true;
    /* END SOLUTION */
    /* STARTER
    (void)fd;
    (void)timeout_ms;
    (void)len;
    (void)line;
    (void)read_line;
    (void)fail_read;
    (void)parse_header;
    (void)printable;
    fail(out, "TODO(10.1): read and check the header");
    return false;
    STARTER */
}

/* Read the header and the body into body; check the body against the
 * page the server must send for name. Fills *out either way. */
static void read_reply(int fd, const char *name, int timeout_ms, char *body,
                       struct page_result *out)
{
    size_t len;
    if (!read_header(fd, timeout_ms, &len, out))
        return;
    /* TODO(10.1), continued: the body. io_read_all(fd, body, len)
     * (common/io.h): -1 is fail_read again; fewer than len bytes means
     * the server closed half-way: say how many came. Then the body must
     * be page name's: pageserver_body(name, want, len) and memcmp. Only
     * then out->ok = true, with out->len and out->hash = page_hash(body,
     * len). */
    /* BEGIN SOLUTION */
    ssize_t got = io_read_all(fd, body, len);
    if (got == -1) {
        fail_read(out, errno, timeout_ms);
        return;
    }
    out->len = (size_t)got;
    if ((size_t)got < len) {
        fail(out,
             "the server closed the connection after %zd of %zu body bytes",
             got, len);
        return;
    }
    char *want = malloc(len + 1);
    if (want == NULL) {
        fail(out, "malloc: %s", strerror(errno));
        return;
    }
    pageserver_body(name, want, len);
    bool same = memcmp(body, want, len) == 0;
    free(want);
    if (!same) {
        fail(out, "the body is not page %s's", name);
        return;
    }
    out->ok = true;
    out->hash = page_hash(body, len);
    /* END SOLUTION */
    /* STARTER
    (void)name;
    (void)body;
    fail(out, "TODO(10.1): read and check the body");
    STARTER */
}

/* Connect, set the timeout, send the request. Returns the socket, or -1
 * with the reason in out. */
static int send_request(int port, const char *name, int delay_ms,
                        int timeout_ms, struct page_result *out)
{
    int fd = pageserver_connect(port);
    if (fd == -1) {
        fail(out, "connect to 127.0.0.1:%d: %s", port, strerror(errno));
        return -1;
    }
    /* Without this, a server that never answers blocks read() forever. */
    struct timeval tv = {.tv_sec = timeout_ms / 1000,
                         .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1) {
        fail(out, "setsockopt SO_RCVTIMEO: %s", strerror(errno));
        close(fd);
        return -1;
    }
    char req[PAGE_NAME_MAX + 32];
    int len = snprintf(req, sizeof req, "GET %s %d\n", name, delay_ms);
    const char *p = req;
    while (len > 0) {
        ssize_t n = send(fd, p, (size_t)len, MSG_NOSIGNAL);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1) {
            fail(out, "send: %s", strerror(errno));
            close(fd);
            return -1;
        }
        p += n;
        len -= (int)n;
    }
    return fd;
}

void page_fetch(int port, const char *name, int delay_ms, int timeout_ms,
                struct page_result *out)
{
    out->ok = false;
    out->len = 0;
    out->hash = 0;
    out->error[0] = '\0';
    char *body = malloc(PAGE_BODY_MAX);
    if (body == NULL) {
        fail(out, "malloc: %s", strerror(errno));
        return;
    }
    int fd = send_request(port, name, delay_ms, timeout_ms, out);
    if (fd != -1) {
        read_reply(fd, name, timeout_ms, body, out);
        if (close(fd) == -1 && out->ok)
            fail(out, "close: %s", strerror(errno));
    }
    free(body);
}
