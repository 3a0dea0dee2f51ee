/*
 * frame.c - length-prefixed messages over a pipe: see frame.h.
 *
 * Every function here is written for the worst the kernel may do, not for
 * what it usually does: a read() that returns fewer bytes than asked, a
 * write() that writes fewer, either one interrupted by a signal. On a quiet
 * machine, with small messages, these never happen, and code that ignores
 * them seems to work - until a message is bigger than the pipe (64 KiB on
 * Linux), or the reader is slow, or a signal arrives.
 */
#include "frame.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

ssize_t write_all(int fd, const void *buf, size_t len)
{
    /* TODO(03.1): Call write() until all len bytes are written: after a
     * short write, go on from where it stopped; after -1 with errno EINTR
     * (a signal arrived), try again; after any other -1, return -1 (errno
     * is already set: EPIPE if the reader is gone). Return len at the end.
     * Hint: keep a pointer p = buf and a count left = len; the loop is
     * while (left > 0) { ssize_t n = write(fd, p, left); ... }. */
    /* BEGIN SOLUTION */
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    return (ssize_t)len;
    /* END SOLUTION */
    /* STARTER
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
    STARTER */
}

ssize_t read_all(int fd, void *buf, size_t len)
{
    /* TODO(03.2): Call read() until len bytes are in buf. read() returns
     * what is there now, which may be less than asked: go on from where it
     * stopped. It returns 0 at end of file: stop, and return how many bytes
     * you got. -1 with errno EINTR: try again; any other -1: return -1.
     * Hint: the same loop as write_all, plus the end-of-file case. */
    /* BEGIN SOLUTION */
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break; /* end of file */
        got += (size_t)n;
    }
    return (ssize_t)got;
    /* END SOLUTION */
    /* STARTER
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
    STARTER */
}

void frame_header(unsigned char hdr[FRAME_HEADER], size_t len)
{
    /* Big-endian, byte by byte: the same bytes whatever the machine's own
     * byte order, so a frame means the same to any reader. */
    uint32_t n = (uint32_t)len;
    hdr[0] = (unsigned char)(n >> 24);
    hdr[1] = (unsigned char)(n >> 16);
    hdr[2] = (unsigned char)(n >> 8);
    hdr[3] = (unsigned char)n;
}

int send_msg(int fd, const void *msg, size_t len)
{
    /* TODO(03.3): Refuse a message longer than FRAME_MAX (errno =
     * EMSGSIZE, return -1). Otherwise write the 4-byte header that
     * frame_header() makes, then the len bytes of msg, each with
     * write_all(). Return 0, or -1 if a write_all failed.
     * Hint: unsigned char hdr[FRAME_HEADER]; frame_header(hdr, len); */
    /* BEGIN SOLUTION */
    if (len > FRAME_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    unsigned char hdr[FRAME_HEADER];
    frame_header(hdr, len);
    if (write_all(fd, hdr, sizeof hdr) == -1)
        return -1;
    if (write_all(fd, msg, len) == -1)
        return -1;
    return 0;
    /* END SOLUTION */
    /* STARTER
    (void)fd;
    (void)msg;
    (void)len;
    errno = ENOSYS;
    return -1;
    STARTER */
}

int recv_msg(int fd, char **msg, size_t *len)
{
    /* TODO(03.4): Read the 4-byte header with read_all(). Got 0 bytes:
     * the writer closed its end, return 0. Got 1 to 3: the stream ended
     * inside a frame (errno = EPROTO, return -1). Decode the big-endian
     * length; over FRAME_MAX means the stream is garbage (EMSGSIZE, -1) -
     * do not try to allocate it. malloc len + 1 bytes, read_all the
     * payload (fewer bytes than len: EPROTO; free what you allocated),
     * put a '\0' after it, set *msg and *len, return 1.
     * Hint: a length of 0 is a real, empty message - not end of file. */
    /* BEGIN SOLUTION */
    unsigned char hdr[FRAME_HEADER];
    ssize_t n = read_all(fd, hdr, sizeof hdr);
    if (n == -1)
        return -1;
    if (n == 0)
        return 0;
    if (n < (ssize_t)sizeof hdr) {
        errno = EPROTO;
        return -1;
    }
    uint32_t size = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
                    (uint32_t)hdr[2] << 8 | (uint32_t)hdr[3];
    if (size > FRAME_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    char *buf = malloc((size_t)size + 1);
    if (buf == NULL)
        return -1;
    n = read_all(fd, buf, size);
    if (n != (ssize_t)size) {
        if (n != -1)
            errno = EPROTO;
        int saved = errno;
        free(buf);
        errno = saved;
        return -1;
    }
    buf[size] = '\0';
    *msg = buf;
    *len = size;
    return 1;
    /* END SOLUTION */
    /* STARTER
    (void)fd;
    (void)msg;
    (void)len;
    errno = ENOSYS;
    return -1;
    STARTER */
}

uint32_t frame_checksum(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint32_t h = 2166136261u; /* FNV-1a, 32 bits */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}
