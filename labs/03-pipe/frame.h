/*
 * frame.h - messages over a byte stream (a pipe, a socket).
 *
 * A pipe carries bytes, not messages: one write() of 10 bytes may reach the
 * reader as a read() of 3 and a read() of 7, and two writes may come out of
 * one read() together. Python's Connection.send()/recv() hide this; here we
 * build it. Each message travels as a frame:
 *
 *     +------------------------+----------------------+
 *     | length: 4 bytes,       | payload: length      |
 *     | big-endian (uint32)    | bytes, any content   |
 *     +------------------------+----------------------+
 *
 * so the reader knows how many bytes belong to the message, whatever the
 * sizes of the pieces it is handed. The end of the conversation is not a
 * special message ("END" could be a real one): it is end of file, which a
 * reader sees once every write end of the pipe is closed.
 */
#ifndef LAB03_FRAME_H
#define LAB03_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FRAME_HEADER 4        /* bytes of the length prefix */
#define FRAME_MAX (64u << 20) /* the longest payload we accept: 64 MiB */

/* Write all len bytes of buf to fd, however many write() calls it takes.
 * A write() may write fewer bytes than asked (a short write) or be
 * interrupted by a signal (-1 with errno EINTR): both mean "go on".
 * Returns len, or -1 with errno set (EPIPE when no reader is left). */
ssize_t write_all(int fd, const void *buf, size_t len);

/* Read exactly len bytes from fd into buf, however many read() calls it
 * takes, retrying on EINTR. Returns len; fewer if end of file came first
 * (0 if it came at once); -1 with errno set on an error. */
ssize_t read_all(int fd, void *buf, size_t len);

/* Send one message of len bytes (0 is allowed) as a frame.
 * Returns 0, or -1 with errno set (EMSGSIZE if len > FRAME_MAX, EPIPE when
 * the reader is gone). */
int send_msg(int fd, const void *msg, size_t len);

/* Receive one message. Returns
 *    1  a message: *msg points to its len bytes (malloc'd, the caller frees
 *       it; a '\0' follows the last byte, not counted in *len);
 *    0  end of file before the first byte of a new message: the writer
 *       closed its end, the conversation is over;
 *   -1  an error, errno set: EPROTO if the stream ended inside a frame,
 *       EMSGSIZE if the length is over FRAME_MAX, or what read()/malloc()
 *       failed with. *msg and *len are then left alone. */
int recv_msg(int fd, char **msg, size_t *len);

/* The 4-byte big-endian length prefix for a payload of len bytes
 * (len <= FRAME_MAX): for code that writes frames by hand. */
void frame_header(unsigned char hdr[FRAME_HEADER], size_t len);

/* A 32-bit FNV-1a checksum of len bytes: two ends of a pipe print it to
 * show that a large message arrived intact without printing the message. */
uint32_t frame_checksum(const void *buf, size_t len);

#endif
