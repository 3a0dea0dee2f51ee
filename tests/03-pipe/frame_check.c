/*
 * frame_check.c - test driver for lab 03: runs the student's frame.c
 * (write_all, read_all, send_msg, recv_msg) against what a pipe really
 * does, and hands back DATA for the test to check. It gives no verdict of
 * its own: it is linked with student code, which could print any verdict
 * it liked. The test chose the inputs, and decodes and compares the
 * results itself (tests/03-pipe.c).
 *
 *   frame_check [-i usec] send SEED ITEM...
 *       each ITEM is N (send_msg of N bytes) or wN (write_all of N bytes);
 *       byte j of item k (1, 2, ...) is frame_check_byte(SEED, k, j). They
 *       go into a pipe that a slow relay child empties onto stdout, while a
 *       timer interrupts the writer every usec microseconds (default 200):
 *       short writes and EINTR. stdout is then the exact byte stream.
 *   frame_check [-i usec] recv
 *       stdin (frames the test made) is relayed into a pipe in odd-sized
 *       pieces (1, 2, 3, 5, 7 ... bytes) with pauses, while a timer
 *       interrupts the reader; recv_msg() is called until it returns 0 or
 *       -1, and each result is echoed on stdout:
 *           "1 LEN nul|nonul\n", the LEN payload bytes, "\n"
 *           "0\n"    or    "-1 ERRNO\n"    (anything else: "? RET\n")
 *   frame_check [-i usec] read N...
 *       the same relay; read_all(N) for each N, echoed as "RET\n", then
 *       the RET bytes it read (if RET > 0) and "\n".
 *   frame_check epipe
 *       write_all and send_msg to a pipe with no reader, then send_msg of
 *       FRAME_MAX + 1 bytes to a non-blocking pipe with a reader; echoes
 *       "write_all RET ERRNO\nsend_msg RET ERRNO\ntoo_long RET ERRNO
 *       BYTES_IN_PIPE\n".
 *
 * The results go to the stdout the driver was started with; its fd 1 is
 * then pointed at stderr, so that a debugging printf() left in frame.c
 * cannot garble them. Exit status 0, or 1 when a call of the student's
 * failed where it should not (the reason on stderr) or the driver's own
 * call failed, 2 on bad usage.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, FIONREAD */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "frame.h"

#define USAGE "[-i usec] send SEED ITEM... | recv | read N... | epipe"
#define MAX_ITEMS 16
#define MAX_MESSAGES 100000 /* recv: stop echoing after this many */

static volatile sig_atomic_t ticks;
static int data_fd = -1; /* the stdout the test reads */

static void on_alarm(int sig)
{
    (void)sig;
    ticks++;
}

/* Byte j of item k for seed: the same formula is in tests/03-pipe.c.
 * Every byte value occurs (zeros too: a payload is not a string), and the
 * pattern shifts every 512 bytes, so a piece lost or sent twice shows. */
static unsigned char frame_check_byte(long seed, long k, size_t j)
{
    return (unsigned char)((unsigned long)seed * 131u + (unsigned long)k * 71u +
                           j * 3u + (j >> 9));
}

/* A timer that raises SIGALRM every usec microseconds, its handler
 * installed WITHOUT SA_RESTART: blocked reads and writes are interrupted
 * (a short count, or -1 with EINTR). usec 0 stops it. */
static void interrupt_every(long usec)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    if (sigemptyset(&sa.sa_mask) == -1 || sigaction(SIGALRM, &sa, NULL) == -1)
        die("sigaction");
    struct itimerval it = {{usec / 1000000, usec % 1000000},
                           {usec / 1000000, usec % 1000000}};
    if (setitimer(ITIMER_REAL, &it, NULL) == -1)
        die("setitimer");
}

static void ignore_sigpipe(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    if (sigemptyset(&sa.sa_mask) == -1 || sigaction(SIGPIPE, &sa, NULL) == -1)
        die("sigaction");
}

static void pause_us(long usec)
{
    struct timespec ts = {0, usec * 1000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* The driver's own whole write (never the student's write_all). */
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

static void emit(const void *buf, size_t len)
{
    if (!raw_write(data_fd, buf, len))
        die("write (results)");
}

static void emitf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void emitf(const char *fmt, ...)
{
    char line[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    emit(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Fork a child that runs relay(in, out) and _exits; the parent keeps
 * keep_end of the pipe between them. */
static pid_t start_relay(void (*relay)(int in, int out), int in, int out,
                         int close_in_child)
{
    if (fflush(NULL) == EOF)
        die("fflush");
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        if (close(close_in_child) == -1)
            die_child("close");
        ignore_sigpipe();
        relay(in, out);
        _exit(EXIT_SUCCESS);
    }
    return pid;
}

static bool reap(pid_t pid, const char *what)
{
    int status;
    if (waitpid(pid, &status, 0) == -1)
        die("waitpid");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    (void)fprintf(stderr, "frame_check: the %s (the driver's own) failed\n",
                  what);
    return false;
}

/* ---- send ---------------------------------------------------------- */

/* The slow reader: small odd-sized reads with pauses, copied to stdout. */
static void slow_relay(int in, int out)
{
    enum { MOST = 1000 + 6 * 517 }; /* the largest read asked for below */
    char buf[MOST];
    for (int reads = 0;; reads++) {
        size_t ask = 1000 + (size_t)(reads % 7) * 517; /* at most MOST */
        ssize_t n = read(in, buf, ask);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            die_child("read");
        if (n == 0)
            return;
        if (!raw_write(out, buf, (size_t)n))
            die_child("write");
        if (reads % 16 == 15)
            pause_us(300);
    }
}

struct item {
    bool raw; /* write_all instead of send_msg */
    size_t len;
    unsigned char *bytes;
};

static int parse_items(char **arg, int n, long seed, struct item *items)
{
    if (n > MAX_ITEMS)
        die_usage(USAGE, "at most %d items", MAX_ITEMS);
    for (int k = 0; k < n; k++) {
        const char *s = arg[k];
        items[k].raw = s[0] == 'w';
        items[k].len =
            (size_t)arg_long(s + items[k].raw, 0, 8L << 20, "item size", USAGE);
        if ((items[k].bytes = malloc(items[k].len + 1)) == NULL)
            die("malloc");
        for (size_t j = 0; j < items[k].len; j++)
            items[k].bytes[j] = frame_check_byte(seed, k + 1, j);
    }
    return n;
}

static int run_send(long usec, char **arg, int n)
{
    if (n < 2)
        die_usage(USAGE, "send needs SEED and at least one ITEM");
    long seed = arg_long(arg[0], 0, 1000000, "seed", USAGE);
    struct item items[MAX_ITEMS];
    n = parse_items(arg + 1, n - 1, seed, items);
    int fds[2];
    if (pipe(fds) == -1)
        die("pipe");
    pid_t relay = start_relay(slow_relay, fds[0], data_fd, fds[1]);
    if (close(fds[0]) == -1)
        die("close");
    ignore_sigpipe();
    bool ok = true;
    interrupt_every(usec);
    for (int k = 0; k < n && ok; k++) {
        errno = 0;
        ssize_t rc = items[k].raw
                         ? write_all(fds[1], items[k].bytes, items[k].len)
                         : send_msg(fds[1], items[k].bytes, items[k].len);
        ssize_t want = items[k].raw ? (ssize_t)items[k].len : 0;
        int err = errno;
        if (rc != want) {
            (void)fprintf(stderr,
                          "frame_check: %s of item %d (%zu bytes) returned "
                          "%zd (errno %d, %s); expected %zd\n",
                          items[k].raw ? "write_all" : "send_msg", k + 1,
                          items[k].len, rc, err, strerror(err), want);
            ok = false;
        }
    }
    interrupt_every(0);
    if (close(fds[1]) == -1)
        die("close");
    (void)fprintf(stderr, "frame_check: the writer was interrupted %d times\n",
                  (int)ticks);
    for (int k = 0; k < n; k++)
        free(items[k].bytes);
    return reap(relay, "slow reader") && ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- recv and read ------------------------------------------------- */

/* The piece writer: copies stdin into the pipe in pieces of 1, 2, 3, 5,
 * 7, 11, 13 and 4093 bytes, pausing after each of the first 400. */
static void piece_relay(int in, int out)
{
    static const size_t piece[] = {1, 2, 3, 5, 7, 11, 13, 4093};
    static char buf[65536];
    size_t pieces = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            die_child("read");
        if (n == 0)
            return;
        for (size_t at = 0; at < (size_t)n; pieces++) {
            size_t len = piece[pieces % (sizeof piece / sizeof *piece)];
            if (len > (size_t)n - at)
                len = (size_t)n - at;
            if (!raw_write(out, buf + at, len)) {
                if (errno == EPIPE)
                    _exit(EXIT_SUCCESS); /* the reader stopped: fine */
                die_child("write");
            }
            at += len;
            if (pieces < 400)
                pause_us(150);
        }
    }
}

static int run_recv(long usec)
{
    int fds[2];
    if (pipe(fds) == -1)
        die("pipe");
    pid_t relay = start_relay(piece_relay, STDIN_FILENO, fds[1], fds[0]);
    if (close(fds[1]) == -1)
        die("close");
    interrupt_every(usec);
    for (long m = 0; m < MAX_MESSAGES; m++) {
        char *msg = NULL;
        size_t len = 0;
        errno = 0;
        int got = recv_msg(fds[0], &msg, &len);
        int err = errno;
        if (got == 1) {
            emitf("1 %zu %s\n", len, msg[len] == '\0' ? "nul" : "nonul");
            emit(msg, len);
            emit("\n", 1);
            free(msg);
            continue;
        }
        if (got == 0)
            emitf("0\n");
        else if (got == -1)
            emitf("-1 %d\n", err);
        else
            emitf("? %d\n", got);
        break;
    }
    interrupt_every(0);
    if (close(fds[0]) == -1)
        die("close");
    return reap(relay, "piece writer") ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int run_read(long usec, char **arg, int n)
{
    int fds[2];
    if (pipe(fds) == -1)
        die("pipe");
    pid_t relay = start_relay(piece_relay, STDIN_FILENO, fds[1], fds[0]);
    if (close(fds[1]) == -1)
        die("close");
    interrupt_every(usec);
    for (int k = 0; k < n; k++) {
        size_t want = (size_t)arg_long(arg[k], 1, 1L << 20, "N", USAGE);
        char *buf = malloc(want);
        if (buf == NULL)
            die("malloc");
        ssize_t got = read_all(fds[0], buf, want);
        emitf("%zd\n", got);
        if (got > 0)
            emit(buf, (size_t)got <= want ? (size_t)got : want);
        emit("\n", 1);
        free(buf);
    }
    interrupt_every(0);
    if (close(fds[0]) == -1)
        die("close");
    return reap(relay, "piece writer") ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- epipe --------------------------------------------------------- */

static int run_epipe(void)
{
    ignore_sigpipe();
    int fds[2];
    if (pipe(fds) == -1)
        die("pipe");
    if (close(fds[0]) == -1)
        die("close");
    errno = 0;
    ssize_t n = write_all(fds[1], "data", 4);
    emitf("write_all %zd %d\n", n, n == -1 ? errno : 0);
    errno = 0;
    int rc = send_msg(fds[1], "data", 4);
    emitf("send_msg %d %d\n", rc, rc == -1 ? errno : 0);
    if (close(fds[1]) == -1)
        die("close");

    /* FRAME_MAX + 1 bytes of zero pages, never touched unless read. */
    size_t huge = (size_t)FRAME_MAX + 1;
    void *big = mmap(NULL, huge, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (big == MAP_FAILED)
        die("mmap");
    if (pipe(fds) == -1)
        die("pipe");
    if (fcntl(fds[1], F_SETFL, O_NONBLOCK) == -1)
        die("fcntl");
    errno = 0;
    rc = send_msg(fds[1], big, huge);
    int err = rc == -1 ? errno : 0;
    int queued = 0;
    if (ioctl(fds[0], FIONREAD, &queued) == -1)
        die("ioctl");
    emitf("too_long %d %d %d\n", rc, err, queued);
    if (munmap(big, huge) == -1 || close(fds[0]) == -1 || close(fds[1]) == -1)
        die("cleanup");
    return EXIT_SUCCESS;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    long usec = 200;
    int opt;
    while ((opt = getopt(argc, argv, "i:")) != -1) {
        if (opt == 'i')
            usec = arg_long(optarg, 1, 1000000, "usec", USAGE);
        else
            die_bad_option(USAGE);
    }
    if (optind >= argc)
        die_usage(USAGE, "say which test");
    /* Results on the original stdout; fd 1 (printf) goes to stderr. */
    if ((data_fd = dup(STDOUT_FILENO)) == -1)
        die("dup");
    if (dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
        die("dup2");
    const char *test = argv[optind];
    char **rest = argv + optind + 1;
    int n = argc - optind - 1;
    if (strcmp(test, "send") == 0)
        return run_send(usec, rest, n);
    if (strcmp(test, "recv") == 0 && n == 0)
        return run_recv(usec);
    if (strcmp(test, "read") == 0 && n > 0)
        return run_read(usec, rest, n);
    if (strcmp(test, "epipe") == 0 && n == 0)
        return run_epipe();
    die_usage(USAGE, "unknown test '%s' or wrong arguments", test);
}
