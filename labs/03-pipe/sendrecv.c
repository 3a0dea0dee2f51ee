/*
 * sendrecv.c - a sender and a receiver joined by one pipe.
 *
 * Python:  parent_conn, child_conn = Pipe(); one process send()s messages,
 *          the other recv()s them until it gets the string "END".
 * C:       pipe() gives two file descriptors, a read end and a write end;
 *          fork() gives both to the child. The parent keeps the write end
 *          and sends length-prefixed messages (frame.h); the child keeps the
 *          read end and receives until END OF FILE - which comes once every
 *          write end is closed, so each process closes the end it does not
 *          use. No "END" sentinel: any string may be a real message.
 *
 * Usage:   sendrecv [-n count] [-s size] [-d seconds] [-q after] [-w piece]
 *                   [message ...]
 *          message ...  what to send (default: the lecture's three messages)
 *          -n count     send count generated messages instead, 1..100000
 *          -s size      bytes in each generated message, 0..16777216
 *                       (default 1000; -n defaults to 3 with -s)
 *          -d seconds   the receiver waits this long before each message:
 *                       a slow reader (0..10, default 0)
 *          -q after     the receiver quits after that many messages and
 *                       closes its end while the sender is still sending
 *          -w piece     the sender writes each frame in pieces of this many
 *                       bytes, pausing 1 ms between them (1..65536)
 *          -h, --help   print the usage line and exit
 *
 * Observe: both ends print a checksum of each message, so a 1 MiB message
 *          can be seen to arrive intact. With -q, the sender is told that
 *          the reader is gone (EPIPE) instead of being killed by SIGPIPE.
 *          Exit status 0 only if the receiver exited with status 0.
 * Try:     sendrecv -n 2 -s 1048576; sendrecv -w 3 hello END world;
 *          sendrecv -n 50 -s 65536 -q 2
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "frame.h"
#include "status.h"
#include "timing.h"

#define USAGE                                                                  \
    "[-n count] [-s size] [-d seconds] [-q after] [-w piece] [message ...]"
#define MAX_COUNT 100000
#define MAX_SIZE (16L << 20)
#define PIECE_PAUSE 0.001 /* seconds between the pieces of a frame (-w) */

/* What to send and how: from the command line. */
struct plan {
    char **words;    /* the messages, or NULL: generated ones */
    long count;      /* how many messages */
    size_t size;     /* bytes in each generated message */
    double delay;    /* the receiver's wait before each message */
    long quit_after; /* the receiver stops after this many (0: never) */
    size_t piece;    /* write frames in pieces of this size (0: whole) */
};

/* Generated message k (1, 2, ...): size lower-case letters, different for
 * every k, so a message delivered twice, lost or cut shows in checksums. */
static void fill_message(char *buf, size_t size, long k)
{
    for (size_t j = 0; j < size; j++)
        buf[j] = (char)('a' + ((size_t)k + j) % 26);
}

/* Print one message: its size, its checksum, and its text if it is short
 * and printable. */
static void print_message(const char *who, long k, const char *msg, size_t len)
{
    bool text = len <= 60;
    for (size_t j = 0; j < len && text; j++)
        text = isprint((unsigned char)msg[j]);
    printf("%s: message %ld: %zu bytes, checksum %08lx", who, k, len,
           (unsigned long)frame_checksum(msg, len));
    if (text)
        printf(" \"%.*s\"", (int)len, msg);
    printf("\n");
}

/* The child's side: receive until end of file, or until quit_after. */
static void receiver(int fd, const struct plan *p)
{
    /* TODO(03.6): Receive messages with recv_msg() until it returns 0 (end
     * of file: every write end is closed). For each one: first wait
     * p->delay seconds (timing_sleep; a slow reader), count it, add its
     * size to bytes, print it with print_message("receiver", received,
     * msg, len), and free it. recv_msg() returning -1 is an error:
     * die_child("recv_msg"). If p->quit_after is not 0 and you have
     * received that many, print "receiver: quitting after <n> messages,
     * closing the read end", close fd, and _exit(0) at once. At end of
     * file print "receiver: end of file after <n> messages, <b> bytes".
     * Hint: no "END" message: the loop ends when recv_msg() returns 0. */
    (void)fd;
    (void)p;
}

/* Write one frame in pieces of piece bytes with a pause after each: the
 * reader then gets the frame a few bytes at a time, and a receiver that
 * expects a whole message from one read() shows its bug. */
static int send_in_pieces(int fd, const char *msg, size_t len, size_t piece)
{
    unsigned char hdr[FRAME_HEADER];
    frame_header(hdr, len);
    size_t total = FRAME_HEADER + len;
    for (size_t at = 0; at < total;) {
        unsigned char chunk[65536];
        size_t n = total - at < piece ? total - at : piece;
        for (size_t j = 0; j < n; j++, at++)
            chunk[j] = at < FRAME_HEADER
                           ? hdr[at]
                           : (unsigned char)msg[at - FRAME_HEADER];
        if (write_all(fd, chunk, n) == -1)
            return -1;
        timing_sleep(PIECE_PAUSE);
    }
    return 0;
}

/* The parent's side: send every message, then close the write end. */
static void sender(int fd, const struct plan *p)
{
    /* TODO(03.8): A write to a pipe whose read ends are all closed raises
     * SIGPIPE, and SIGPIPE's default action kills the writer on the spot,
     * without a word. Ignore it (sigaction with sa_handler = SIG_IGN): the
     * write then fails with errno EPIPE, which the loop below handles.
     * Hint: struct sigaction sa = {0}; sa.sa_handler = SIG_IGN; ... */

    char *buf = NULL;
    if (p->words == NULL && (buf = malloc(p->size + 1)) == NULL)
        die("malloc");
    long sent = 0;
    size_t bytes = 0;
    for (long k = 1; k <= p->count; k++) {
        const char *msg = buf;
        size_t len = p->size;
        if (p->words != NULL) {
            msg = p->words[k - 1];
            len = strlen(msg);
        } else {
            fill_message(buf, len, k);
        }
        int rc = p->piece != 0 ? send_in_pieces(fd, msg, len, p->piece)
                               : send_msg(fd, msg, len);
        if (rc == -1) {
            /* TODO(03.8), continued: if the send failed with errno EPIPE,
             * the receiver is gone: print
             *   "sender: the receiver is gone (EPIPE): sent <k-1> of <n>"
             * and stop sending (break). Any other error is fatal. */
            die("send_msg");
        }
        sent++;
        bytes += len;
        print_message("sender", k, msg, len);
    }
    free(buf);
    printf("sender: %ld messages, %zu bytes sent; closing the write end\n",
           sent, bytes);
    /* TODO(03.7): Close the write end. This is how the receiver learns
     * that there is nothing more: once no write end is open, its read()
     * returns 0 (end of file) - instead of Python's "END" message. */
}

static struct plan parse_args(int argc, char *argv[])
{
    struct plan p = {NULL, 0, 0, 0.0, 0, 0};
    bool generated = false;
    long size = 1000;
    int opt;
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    while ((opt = getopt(argc, argv, "hn:s:d:q:w:")) != -1) {
        switch (opt) {
        case 'n':
            p.count = arg_long(optarg, 1, MAX_COUNT, "count", USAGE);
            generated = true;
            break;
        case 's':
            size = arg_long(optarg, 0, MAX_SIZE, "size", USAGE);
            generated = true;
            break;
        case 'd':
            p.delay = arg_double(optarg, 0, 10, "seconds", USAGE);
            break;
        case 'q':
            p.quit_after = arg_long(optarg, 1, MAX_COUNT, "after", USAGE);
            break;
        case 'w':
            p.piece = (size_t)arg_long(optarg, 1, 65536, "piece", USAGE);
            break;
        case 'h':
            args_help(USAGE);
        default:
            die_bad_option(USAGE);
        }
    }
    static char *lecture[] = {"hello,", "how", "are you?"};
    if (generated) {
        if (optind != argc)
            die_usage(USAGE, "messages and -n/-s do not go together");
        p.size = (size_t)size;
        if (p.count == 0)
            p.count = 3;
    } else if (optind < argc) {
        p.words = &argv[optind];
        p.count = argc - optind;
    } else {
        p.words = lecture;
        p.count = 3;
    }
    return p;
}

/* Make the pipe and fork the receiver. Returns the child's pid; the
 * parent's end of the pipe (the write end) goes to *write_end. */
static pid_t start_receiver(const struct plan *p, int *write_end)
{
    /* TODO(03.5): Make the pipe (fds[0] is the read end, fds[1] the write
     * end) and fork the receiver. In the child: close the write end - or
     * the child itself would keep the pipe open for writing, and never see
     * end of file - then receiver(fds[0], p), close the read end, flush
     * stdout, _exit(0). In the parent: close the read end - or a reader
     * would always exist, and a writer to a reader that quit would wait
     * forever instead of getting EPIPE.
     * Hint: if (pipe(fds) == -1) die("pipe"); children use die_child. */
    int fds[2] = {-1, -1};
    pid_t child = -1;
    (void)receiver;
    (void)p;
    *write_end = fds[1];
    return child;
}

/* Wait for the receiver and say how it ended: a receiver killed by a
 * signal is not "status 0". Returns true if it exited with status 0. */
static bool reap_receiver(pid_t child)
{
    int status;
    if (waitpid(child, &status, 0) == -1)
        die("waitpid");
    char how[64];
    printf("sender: receiver %s\n", status_describe(status, how, sizeof how));
    return status_ok(status);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct plan p = parse_args(argc, argv);
    /* Two processes print to one stdout: a line at a time, so that their
     * lines interleave whole, and nothing is left in a buffer at fork. */
    if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
        die("setvbuf");
    printf("sender: %ld messages to send through a pipe\n", p.count);
    if (fflush(stdout) == EOF)
        die("fflush");
    int write_end;
    pid_t child = start_receiver(&p, &write_end);
    sender(write_end, &p);
    return reap_receiver(child) ? EXIT_SUCCESS : EXIT_FAILURE;
}
