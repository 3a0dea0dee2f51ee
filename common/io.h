/*
 * io.h - read or write a whole buffer on a file descriptor.
 *
 * One read(2) or write(2) may move fewer bytes than asked: a pipe or a
 * socket hands over what it has, and a signal can interrupt a transfer
 * half-way. These loop until the whole buffer has moved (or end-of-file,
 * or a real error), restarting after EINTR:
 *
 *     if (io_write_all(fd, &msg, sizeof msg) == -1)
 *         die("write");
 *     ssize_t got = io_read_all(fd, &msg, sizeof msg);
 *     if (got == -1)
 *         die("read");
 *     if (got == 0)                       end-of-file: the writer is gone
 *     else if ((size_t)got < sizeof msg)  end-of-file in the middle
 *
 * Lab 03 writes its own versions of these: there, they are the exercise.
 */
#ifndef KIT_IO_H
#define KIT_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all len bytes of buf to fd. Returns 0, or -1 with errno set
 * (EPIPE when the reader is gone and SIGPIPE is ignored). */
int io_write_all(int fd, const void *buf, size_t len);

/* Read up to len bytes into buf, stopping early only at end-of-file.
 * Returns the number of bytes read (len, or fewer at end-of-file, 0 if the
 * file was already at its end), or -1 with errno set. */
ssize_t io_read_all(int fd, void *buf, size_t len);

#endif
