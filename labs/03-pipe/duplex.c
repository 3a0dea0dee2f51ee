/*
 * duplex.c - request and reply between a parent and a child.
 *
 * Python:  parent_conn, child_conn = Pipe() is two-way by default: the
 *          parent send()s a string, the child recv()s it, upper-cases it
 *          and send()s it back, the parent recv()s the reply.
 * C:       a pipe goes one way only. Two ways take two pipes (requests
 *          parent -> child, replies child -> parent), or one socketpair(),
 *          whose two ends each read and write. Either way each process
 *          closes the ends it does not use, and the child serves requests
 *          until end of file: the parent's "no more requests" is closing
 *          its sending end.
 *
 * Usage:   duplex [-m pipes|socketpair] [-s size] [request ...]
 *          -m how       two pipes (default) or one socketpair
 *          -s size      send one generated request of size lower-case
 *                       letters instead, 0..16777216
 *          request ...  what to send (default: the lecture's message)
 *          -h, --help   print the usage line and exit
 *
 * Observe: every reply is its request in upper case, in order; a 1 MiB
 *          request comes back whole because both ends read whole frames.
 *          If the child dies mid-conversation, the parent says what
 *          failed, still closes its ends and reaps the child, reports how
 *          it ended, and exits with status 1.
 * Try:     duplex one two three; duplex -m socketpair -s 1048576
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "frame.h"
#include "status.h"

#define USAGE "[-m pipes|socketpair] [-s size] [request ...]"
#define MAX_SIZE (16L << 20)

/* The four ends a conversation uses. With a socketpair one descriptor
 * both reads and writes, so parent_in == parent_out and
 * child_in == child_out. */
struct channel {
    int parent_out; /* the parent writes requests here */
    int child_in;   /* the child reads them here */
    int child_out;  /* the child writes replies here */
    int parent_in;  /* the parent reads them here */
};

static struct channel open_channel(bool use_socketpair)
{
    struct channel ch = {-1, -1, -1, -1};
    /* TODO(03.9): Make the channel. Two pipes: one for requests
     * (parent_out is its write end, child_in its read end), one for
     * replies (child_out writes, parent_in reads). Or, if use_socketpair:
     * socketpair(AF_UNIX, SOCK_STREAM, 0, sv) and the parent uses sv[0]
     * both ways, the child sv[1].
     * Hint: int req[2], rep[2]; if (pipe(req) == -1) die("pipe"); ... */
    (void)use_socketpair;
    return ch;
}

/* Close a pair of ends that may be one descriptor (a socketpair's).
 * Returns 0, or -1 with errno set. */
static int close_ends(int a, int b)
{
    if (a != -1 && close(a) == -1)
        return -1;
    if (b != a && b != -1 && close(b) == -1)
        return -1;
    return 0;
}

/* Print a request or a reply: size, checksum, and the text if short. */
static void print_message(const char *what, long k, const char *msg, size_t len)
{
    bool text = len <= 60;
    for (size_t j = 0; j < len && text; j++)
        text = isprint((unsigned char)msg[j]);
    printf("parent: %s %ld: %zu bytes, checksum %08lx", what, k, len,
           (unsigned long)frame_checksum(msg, len));
    if (text)
        printf(" \"%.*s\"", (int)len, msg);
    printf("\n");
}

/* The child: answer every request with its upper-case copy, until the
 * parent closes its end. */
static void serve(int in, int out)
{
    /* TODO(03.11): Loop: recv_msg(in, ...); 0 means end of file - the
     * parent has no more requests: return. -1: die_child("recv_msg").
     * Otherwise print "child: request <k>: <len> bytes, replying in upper
     * case", turn every byte into toupper((unsigned char)byte), send the
     * result back with send_msg(out, ...) (die_child("send_msg") if it
     * fails), and free the message.
     * Hint: the reply is a frame too, so a reply of any size is fine. */
    (void)in;
    (void)out;
}

/* Send request k and check its reply. Returns 0, or -1 after saying on
 * stderr what went wrong: the caller must still close and reap. */
static int ask_one(const struct channel *ch, long k, const char *req)
{
    size_t len = strlen(req);
    print_message("request", k, req, len);
    if (send_msg(ch->parent_out, req, len) == -1) {
        warn_errno("send_msg");
        return -1;
    }
    char *reply;
    size_t reply_len;
    int got = recv_msg(ch->parent_in, &reply, &reply_len);
    if (got == -1) {
        warn_errno("recv_msg");
        return -1;
    }
    if (got == 0) {
        (void)fprintf(stderr, "%s: the child closed its end without a reply\n",
                      errors_progname());
        return -1;
    }
    print_message("reply", k, reply, reply_len);
    bool upper = reply_len == len;
    for (size_t j = 0; j < len && upper; j++)
        upper = reply[j] == (char)toupper((unsigned char)req[j]);
    free(reply);
    if (!upper) {
        (void)fprintf(stderr,
                      "%s: reply %ld is not request %ld in upper case\n",
                      errors_progname(), k, k);
        return -1;
    }
    return 0;
}

/* The parent: send each request, wait for its reply, check it. Returns 0,
 * or -1 at the first failure (already reported). */
static int ask(const struct channel *ch, char **requests, long count)
{
    for (long k = 1; k <= count; k++)
        if (ask_one(ch, k, requests[k - 1]) == -1)
            return -1;
    return 0;
}

/* The command line: how to talk, and what to ask. */
struct options {
    bool use_socketpair;
    char **requests;
    long count;
    char *generated; /* the -s request (malloc'd), or NULL */
};

/* Fill *o from the command line (o->requests may point into o). */
static void parse_args(int argc, char *argv[], struct options *o)
{
    static char *lecture[] = {"hello from the main process"};
    *o = (struct options){false, lecture, 1, NULL};
    long size = -1;
    int opt;
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    while ((opt = getopt(argc, argv, "hm:s:")) != -1) {
        switch (opt) {
        case 'm':
            if (strcmp(optarg, "pipes") == 0)
                o->use_socketpair = false;
            else if (strcmp(optarg, "socketpair") == 0)
                o->use_socketpair = true;
            else
                die_usage(USAGE, "unknown mode '%s'", optarg);
            break;
        case 's':
            size = arg_long(optarg, 0, MAX_SIZE, "size", USAGE);
            break;
        case 'h':
            args_help(USAGE);
        default:
            die_bad_option(USAGE);
        }
    }
    if (size >= 0) {
        if (optind != argc)
            die_usage(USAGE, "requests and -s do not go together");
        if ((o->generated = calloc((size_t)size + 1, 1)) == NULL)
            die("calloc");
        for (long j = 0; j < size; j++)
            o->generated[j] = (char)('a' + (1 + j) % 26);
        o->generated[size] = '\0';
        o->requests = &o->generated;
    } else if (optind < argc) {
        o->requests = &argv[optind];
        o->count = argc - optind;
    }
}

/* If the child dies, a request written to it must fail with EPIPE (and be
 * reported), not kill the parent silently: see sendrecv. */
static void ignore_sigpipe(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    if (sigemptyset(&sa.sa_mask) == -1)
        die("sigemptyset");
    if (sigaction(SIGPIPE, &sa, NULL) == -1)
        die("sigaction");
}

/* Fork the child, which serves requests until end of file, then ends. */
static pid_t start_child(const struct channel *ch)
{
    if (fflush(stdout) == EOF)
        die("fflush");
    pid_t child;
    if ((child = fork()) == -1)
        die("fork");
    if (child == 0) {
        /* TODO(03.10): In the child, close the parent's two ends first:
         * a child that keeps parent_out open is itself a writer of the
         * request pipe, so it would never see end of file, and wait for
         * more requests forever. (close_ends() closes a socketpair's one
         * descriptor only once.) */
        serve(ch->child_in, ch->child_out);
        if (close_ends(ch->child_in, ch->child_out) == -1)
            die_child("close");
        if (fflush(stdout) == EOF)
            die_child("fflush");
        _exit(EXIT_SUCCESS);
    }
    return child;
}

/* Wait for the child and say how it ended. Returns true if it exited 0. */
static bool reap(pid_t child)
{
    int status;
    if (waitpid(child, &status, 0) == -1)
        die("waitpid");
    char how[64];
    printf("parent: child %s\n", status_describe(status, how, sizeof how));
    return status_ok(status);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o;
    parse_args(argc, argv, &o);
    ignore_sigpipe();
    if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
        die("setvbuf");
    printf("parent: %ld request(s) through %s\n", o.count,
           o.use_socketpair ? "a socketpair" : "two pipes");

    struct channel ch = open_channel(o.use_socketpair);
    pid_t child = start_child(&ch);
    /* TODO(03.10), continued: in the parent, close the child's two ends
     * (for the same reason, the other way round). */

    bool ok = ask(&ch, o.requests, o.count) == 0;
    free(o.generated);
    if (ok)
        printf("parent: no more requests, closing my ends\n");

    /* TODO(03.10), continued: no more requests - or a failure. Either way,
     * close the parent's ends (close_ends(ch.parent_out, ch.parent_in)):
     * the child's recv_msg() then returns 0 (or its send_msg() EPIPE) and
     * it ends. Only then wait for it, on every path: a parent that exits
     * at the first error leaves its child behind. */
    bool child_ok = reap(child);
    return ok && child_ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
