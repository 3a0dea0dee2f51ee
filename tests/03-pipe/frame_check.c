/*
 * frame_check.c - test driver for lab 03: puts the student's frame.c
 * (write_all, read_all, send_msg, recv_msg) through what a pipe really
 * does, which a quiet demo run never shows:
 *
 *   -t write   a 4 MiB message to a slow reader while a timer interrupts
 *              the writer every 200 us: write() returns short counts and
 *              fails with EINTR; every byte must still arrive, once.
 *   -t pieces  a writer that sends its frames in odd-sized pieces (1, 2,
 *              3, 5, 7 ... bytes) with pauses, while a timer interrupts
 *              the reader: every message must come out whole.
 *   -t eof     end of file, cut frames, a garbage length, a reader that
 *              is gone (EPIPE).
 *
 * Prints "ok ..." or "FAIL ..." per check; exits 0 only if all passed.
 * The writers and readers on the other end of the pipe are this file's
 * own code, never the student's.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "frame.h"

#define USAGE "-t write|pieces|eof"

static volatile sig_atomic_t ticks;
static int failures;

static void on_alarm(int sig)
{
    (void)sig;
    ticks++;
}

static void check(bool ok, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void check(bool ok, const char *what, const char *fmt, ...)
{
    if (ok) {
        printf("ok   %s\n", what);
        return;
    }
    failures++;
    printf("FAIL %s: ", what);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* A timer that raises SIGALRM every usec microseconds, with a handler
 * installed WITHOUT SA_RESTART: blocked reads and writes are interrupted
 * (a short count, or -1 with EINTR). usec 0 stops it. */
static void interrupt_every(long usec)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(SIGALRM, &sa, NULL) == -1)
        die("sigaction");
    struct itimerval it = {{0, usec}, {0, usec}};
    if (setitimer(ITIMER_REAL, &it, NULL) == -1)
        die("setitimer");
}

static void ignore_sigpipe(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) == -1)
        die("sigaction");
}

static void pause_us(long usec)
{
    struct timespec ts = {0, usec * 1000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Byte j of test message k. */
static char pattern(long k, size_t j)
{
    return (char)('A' + ((size_t)k * 7 + j * 3) % 26);
}

/* Raw helpers for this driver's own ends of the pipe (not the student's). */
static bool raw_write(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* A writer child whose reader stopped reading (EPIPE: SIGPIPE is ignored
 * in it) ends quietly: the reader side has already said what went wrong. */
static _Noreturn void writer_failed(void)
{
    if (errno == EPIPE)
        _exit(0);
    die_child("write");
}

static void expect_status(pid_t child, const char *what)
{
    int status;
    if (waitpid(child, &status, 0) == -1)
        die("waitpid");
    if (WIFSIGNALED(status))
        check(false, what,
              "the other end of the pipe was killed by signal %d (%s)",
              WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        check(WEXITSTATUS(status) == 0, what,
              "the other end of the pipe found the stream wrong (its "
              "FAIL line is above)");
}

/* ---- -t write ------------------------------------------------------ */

#define BIG ((4u << 20) + 3)
#define MEDIUM ((2u << 20) + 1)

/* The reader child: slow, small odd-sized reads; checks the stream. */
static void slow_reader(int fd)
{
    size_t want_len[3] = {BIG, 0, MEDIUM};
    size_t total = 0;
    for (int m = 0; m < 3; m++)
        total += FRAME_HEADER + want_len[m];
    char *stream = malloc(total + 1);
    if (stream == NULL)
        die_child("malloc");
    size_t got = 0;
    int reads = 0;
    for (;;) {
        size_t ask = 1000 + (size_t)(reads % 7) * 517;
        if (got + ask > total + 1)
            ask = total + 1 - got;
        ssize_t n = read(fd, stream + got, ask);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            die_child("read");
        if (n == 0)
            break;
        got += (size_t)n;
        if (got > total)
            break;
        if (++reads % 16 == 0)
            pause_us(300);
    }
    if (got != total) {
        printf("FAIL reader: expected %zu bytes in all (three frames), "
               "got %s%zu\n",
               total, got > total ? "more than " : "", got);
        fflush(stdout);
        _exit(1);
    }
    size_t at = 0;
    for (int m = 0; m < 3; m++) {
        unsigned char hdr[FRAME_HEADER];
        frame_header(hdr, want_len[m]);
        if (memcmp(stream + at, hdr, FRAME_HEADER) != 0) {
            printf("FAIL reader: frame %d does not start with the 4-byte "
                   "big-endian length %zu\n",
                   m + 1, want_len[m]);
            fflush(stdout);
            _exit(1);
        }
        at += FRAME_HEADER;
        for (size_t j = 0; j < want_len[m]; j++, at++)
            if (stream[at] != pattern(m + 1, j)) {
                printf("FAIL reader: frame %d, byte %zu is wrong: bytes lost "
                       "or written twice after a short write?\n",
                       m + 1, j);
                fflush(stdout);
                _exit(1);
            }
    }
    free(stream);
    _exit(0);
}

static void test_write(void)
{
    int fds[2];
    if (pipe(fds) == -1)
        die("pipe");
    if (fflush(stdout) == EOF)
        die("fflush");
    pid_t child = fork();
    if (child == -1)
        die("fork");
    if (child == 0) {
        close(fds[1]);
        slow_reader(fds[0]);
    }
    close(fds[0]);
    ignore_sigpipe();
    char *big = malloc(BIG), *medium = malloc(FRAME_HEADER + MEDIUM);
    if (big == NULL || medium == NULL)
        die("malloc");
    for (size_t j = 0; j < BIG; j++)
        big[j] = pattern(1, j);
    frame_header((unsigned char *)medium, MEDIUM);
    for (size_t j = 0; j < MEDIUM; j++)
        medium[FRAME_HEADER + j] = pattern(3, j);

    interrupt_every(200);
    errno = 0;
    int rc = send_msg(fds[1], big, BIG);
    check(rc == 0, "send_msg of a 4 MiB message, interrupted by signals",
          "returned %d (errno %d, %s); expected 0. Hint: TODO(03.1): "
          "write() may write less than asked, or fail with EINTR: loop",
          rc, errno, strerror(errno));
    errno = 0;
    rc = send_msg(fds[1], "", 0);
    check(rc == 0, "send_msg of an empty message",
          "returned %d (errno %s); expected 0: a 0-byte message is a "
          "4-byte header alone (TODO 03.3)",
          rc, strerror(errno));
    errno = 0;
    ssize_t n = write_all(fds[1], medium, FRAME_HEADER + MEDIUM);
    check(n == (ssize_t)(FRAME_HEADER + MEDIUM),
          "write_all of 2 MiB, interrupted by signals",
          "returned %zd (errno %s); expected %u, all of it (TODO 03.1)", n,
          strerror(errno), FRAME_HEADER + MEDIUM);
    interrupt_every(0);
    printf("(the writer was interrupted %d times)\n", (int)ticks);
    close(fds[1]);
    free(big);
    free(medium);
    expect_status(child, "a slow reader got the three frames, every byte "
                         "once and in order");
}

/* ---- -t pieces ----------------------------------------------------- */

#define NMSG 8
static const size_t piece_lens[] = {1, 2, 3, 5, 7, 11, 13, 4093};

/* The messages of the pieces test, in order. */
static size_t message_len(int k)
{
    static const size_t lens[NMSG] = {0, 1, 6, 3, 300, 100000, 0, 1};
    return lens[k];
}

static void fill(char *buf, int k)
{
    static const char *const text[NMSG] = {"",   "a",  "hello,", "END",
                                           NULL, NULL, "",       "x"};
    size_t len = message_len(k);
    if (text[k] != NULL)
        memcpy(buf, text[k], len);
    else
        for (size_t j = 0; j < len; j++)
            buf[j] = pattern(k, j);
}

/* The writer child: the frames, in odd-sized pieces, with pauses. */
static void piece_writer(int fd)
{
    size_t total = 0;
    for (int k = 0; k < NMSG; k++)
        total += FRAME_HEADER + message_len(k);
    char *stream = malloc(total);
    if (stream == NULL)
        die_child("malloc");
    size_t at = 0;
    for (int k = 0; k < NMSG; k++) {
        frame_header((unsigned char *)stream + at, message_len(k));
        at += FRAME_HEADER;
        fill(stream + at, k);
        at += message_len(k);
    }
    size_t pieces = 0;
    for (at = 0; at < total; pieces++) {
        size_t n =
            piece_lens[pieces % (sizeof piece_lens / sizeof *piece_lens)];
        if (n > total - at)
            n = total - at;
        if (!raw_write(fd, stream + at, n))
            writer_failed();
        at += n;
        if (pieces < 400)
            pause_us(150);
    }
    free(stream);
    _exit(0);
}

static void test_pieces(void)
{
    int fds[2];
    if (pipe(fds) == -1)
        die("pipe");
    if (fflush(stdout) == EOF)
        die("fflush");
    pid_t child = fork();
    if (child == -1)
        die("fork");
    if (child == 0) {
        close(fds[0]);
        ignore_sigpipe();
        piece_writer(fds[1]);
    }
    close(fds[1]);
    interrupt_every(300);
    char want[100000];
    for (int k = 0; k < NMSG; k++) {
        char what[128];
        snprintf(what, sizeof what,
                 "recv_msg: message %d (%zu bytes) from odd-sized pieces",
                 k + 1, message_len(k));
        char *msg = NULL;
        size_t len = 0;
        errno = 0;
        int got = recv_msg(fds[0], &msg, &len);
        if (got != 1) {
            check(false, what,
                  "returned %d (errno %s); expected 1, a message. Hint: "
                  "read() returns what is there now, maybe 1 byte: read_all "
                  "loops (TODO 03.2); a 0-length message is not end of file "
                  "(TODO 03.4)",
                  got, strerror(errno));
            break;
        }
        fill(want, k);
        bool same = len == message_len(k) &&
                    memcmp(msg, want, message_len(k)) == 0 && msg[len] == '\0';
        check(same, what,
              "got %zu bytes%s; expected %zu bytes, as sent, followed by "
              "a '\\0'",
              len, len == message_len(k) ? " with other content" : "",
              message_len(k));
        free(msg);
    }
    char *msg = NULL;
    size_t len = 0;
    int got = recv_msg(fds[0], &msg, &len);
    check(got == 0, "recv_msg returns 0 at end of file, after the last frame",
          "returned %d; expected 0 once the writer closed its end (TODO 03.4)",
          got);
    if (got == 1)
        free(msg);
    interrupt_every(0);
    close(fds[0]);
    expect_status(child, "the writer finished");

    /* read_all alone: pieces with pauses, then end of file. */
    if (pipe(fds) == -1)
        die("pipe");
    if (fflush(stdout) == EOF)
        die("fflush");
    if ((child = fork()) == -1)
        die("fork");
    if (child == 0) {
        close(fds[0]);
        ignore_sigpipe();
        static const char *const parts[] = {"abc", "defg", "hij", "klmno"};
        for (size_t i = 0; i < 4; i++) {
            if (!raw_write(fds[1], parts[i], strlen(parts[i])))
                writer_failed();
            pause_us(5000);
        }
        _exit(0);
    }
    close(fds[1]);
    char buf[32] = {0};
    ssize_t n = read_all(fds[0], buf, 10);
    check(n == 10 && memcmp(buf, "abcdefghij", 10) == 0,
          "read_all(10) gathers 3+4+3 bytes written with pauses",
          "returned %zd, buffer \"%.10s\"; expected 10, \"abcdefghij\" "
          "(TODO 03.2: read again until you have len bytes)",
          n, buf);
    memset(buf, 0, sizeof buf);
    n = read_all(fds[0], buf, 20);
    check(n == 5 && memcmp(buf, "klmno", 5) == 0,
          "read_all(20) returns the 5 bytes left when end of file comes",
          "returned %zd; expected 5: at end of file, return what you got "
          "(TODO 03.2)",
          n);
    n = read_all(fds[0], buf, 4);
    check(n == 0, "read_all returns 0 at end of file",
          "returned %zd; expected 0 (TODO 03.2)", n);
    close(fds[0]);
    expect_status(child, "the writer finished");
}

/* ---- -t eof -------------------------------------------------------- */

/* A pipe holding these bytes, its write end closed. Returns the read end. */
static int pipe_holding(const void *bytes, size_t len)
{
    int fds[2];
    if (pipe(fds) == -1)
        die("pipe");
    if (!raw_write(fds[1], bytes, len))
        die("write");
    close(fds[1]);
    return fds[0];
}

static void expect_recv(int fd, int want, int want_errno, const char *what,
                        const char *hint)
{
    char *msg = NULL;
    size_t len = 0;
    errno = 0;
    int got = recv_msg(fd, &msg, &len);
    int err = errno;
    bool ok = got == want && (want != -1 || err == want_errno);
    check(ok, what, "returned %d%s%s; expected %d%s%s. Hint: %s", got,
          got == -1 ? ", errno " : "", got == -1 ? strerror(err) : "", want,
          want == -1 ? ", errno " : "", want == -1 ? strerror(want_errno) : "",
          hint);
    if (got == 1)
        free(msg);
}

static void test_eof(void)
{
    ignore_sigpipe();
    int fd = pipe_holding("", 0);
    expect_recv(fd, 0, 0, "recv_msg on a closed, empty pipe returns 0",
                "no byte of a new frame: end of file (TODO 03.4)");
    close(fd);

    unsigned char frame[FRAME_HEADER + 2];
    frame_header(frame, 2);
    memcpy(frame + FRAME_HEADER, "hi", 2);
    fd = pipe_holding(frame, sizeof frame);
    char *msg = NULL;
    size_t len = 0;
    int got = recv_msg(fd, &msg, &len);
    check(got == 1 && len == 2 && memcmp(msg, "hi", 2) == 0,
          "recv_msg reads one frame \"hi\"",
          "returned %d, %zu bytes; expected 1, 2 bytes \"hi\" (TODO 03.4)", got,
          len);
    if (got == 1)
        free(msg);
    expect_recv(fd, 0, 0, "then 0 at end of file",
                "after the last frame comes end of file (TODO 03.4)");
    close(fd);

    unsigned char cut_header[2] = {0, 0};
    fd = pipe_holding(cut_header, sizeof cut_header);
    expect_recv(fd, -1, EPROTO,
                "end of file after 2 bytes of a header is an error",
                "1 to 3 header bytes then end of file: errno = EPROTO, "
                "return -1 - not a clean end (TODO 03.4)");
    close(fd);

    unsigned char cut[FRAME_HEADER + 40];
    frame_header(cut, 100);
    memset(cut + FRAME_HEADER, 'z', 40);
    fd = pipe_holding(cut, sizeof cut);
    expect_recv(fd, -1, EPROTO,
                "end of file after 40 of 100 payload bytes is an error",
                "read_all returned fewer bytes than the length: errno = "
                "EPROTO, return -1 (TODO 03.4)");
    close(fd);

    unsigned char garbage[FRAME_HEADER + 4] = {0xff, 0xff, 0xff, 0xf0,
                                               'j',  'u',  'n',  'k'};
    fd = pipe_holding(garbage, sizeof garbage);
    expect_recv(fd, -1, EMSGSIZE,
                "a length over FRAME_MAX is refused with EMSGSIZE",
                "a desynchronised stream reads garbage as a length: check "
                "it against FRAME_MAX before malloc (TODO 03.4)");
    close(fd);

    int fds[2];
    if (pipe(fds) == -1)
        die("pipe");
    close(fds[0]);
    errno = 0;
    ssize_t n = write_all(fds[1], "data", 4);
    check(n == -1 && errno == EPIPE,
          "write_all to a pipe with no reader fails with EPIPE",
          "returned %zd (errno %s); expected -1 with errno EPIPE (TODO 03.1)",
          n, strerror(errno));
    errno = 0;
    int rc = send_msg(fds[1], "data", 4);
    check(rc == -1 && errno == EPIPE,
          "send_msg to a pipe with no reader fails with EPIPE",
          "returned %d (errno %s); expected -1 with errno EPIPE (TODO 03.3)",
          rc, strerror(errno));
    char *huge = calloc(1, (size_t)FRAME_MAX + 1);
    if (huge == NULL)
        die("calloc");
    errno = 0;
    rc = send_msg(fds[1], huge, (size_t)FRAME_MAX + 1);
    check(rc == -1 && errno == EMSGSIZE,
          "send_msg refuses a message over FRAME_MAX with EMSGSIZE",
          "returned %d (errno %s); expected -1 with errno EMSGSIZE, before "
          "writing anything (TODO 03.3)",
          rc, strerror(errno));
    free(huge);
    close(fds[1]);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    const char *test = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "t:")) != -1) {
        if (opt == 't')
            test = optarg;
        else
            die_bad_option(USAGE);
    }
    if (test == NULL || optind != argc)
        die_usage(USAGE, "say which test");
    if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
        die("setvbuf");
    if (strcmp(test, "write") == 0)
        test_write();
    else if (strcmp(test, "pieces") == 0)
        test_pieces();
    else if (strcmp(test, "eof") == 0)
        test_eof();
    else
        die_usage(USAGE, "unknown test '%s'", test);
    printf("%s\n", failures == 0 ? "all ok" : "some checks FAILED");
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
