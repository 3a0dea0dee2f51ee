/*
 * io.c - see io.h.
 */
#include "io.h"

#include <errno.h>
#include <unistd.h>

int io_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n == -1) {
            if (errno == EINTR)
                continue; /* a signal came before anything was written */
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t io_read_all(int fd, void *buf, size_t len)
{
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
            break; /* end-of-file: every writer has closed its end */
        got += (size_t)n;
    }
    return (ssize_t)got;
}
