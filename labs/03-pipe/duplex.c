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
 *
 * Observe: every reply is its request in upper case, in order; a 1 MiB
 *          request comes back whole because both ends read whole frames.
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

/* The parent: send each request, wait for its reply, check it. */
static void ask(const struct channel *ch, char **requests, long count)
{
    for (long k = 1; k <= count; k++) {
        const char *req = requests[k - 1];
        size_t len = strlen(req);
        print_message("request", k, req, len);
        if (send_msg(ch->parent_out, req, len) == -1)
            die("send_msg");
        char *reply;
        size_t reply_len;
        int got = recv_msg(ch->parent_in, &reply, &reply_len);
        if (got == -1)
            die("recv_msg");
        if (got == 0) {
            (void)fprintf(stderr, "duplex: the child closed its end without a "
                                  "reply\n");
            exit(EXIT_FAILURE);
        }
        print_message("reply", k, reply, reply_len);
        bool upper = reply_len == len;
        for (size_t j = 0; j < len && upper; j++)
            upper = reply[j] == (char)toupper((unsigned char)req[j]);
        free(reply);
        if (!upper) {
            (void)fprintf(stderr,
                          "duplex: reply %ld is not request %ld in upper "
                          "case\n",
                          k, k);
            exit(EXIT_FAILURE);
        }
    }
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    bool use_socketpair = false;
    long size = -1;
    int opt;
    while ((opt = getopt(argc, argv, "m:s:")) != -1) {
        switch (opt) {
        case 'm':
            if (strcmp(optarg, "pipes") == 0)
                use_socketpair = false;
            else if (strcmp(optarg, "socketpair") == 0)
                use_socketpair = true;
            else
                die_usage(USAGE, "unknown mode '%s'", optarg);
            break;
        case 's':
            size = arg_long(optarg, 0, MAX_SIZE, "size", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    static char *lecture[] = {"hello from the main process"};
    char **requests = lecture;
    long count = 1;
    char *generated = NULL;
    if (size >= 0) {
        if (optind != argc)
            die_usage(USAGE, "requests and -s do not go together");
        if ((generated = calloc((size_t)size + 1, 1)) == NULL)
            die("calloc");
        for (long j = 0; j < size; j++)
            generated[j] = (char)('a' + (1 + j) % 26);
        generated[size] = '\0';
        requests = &generated;
    } else if (optind < argc) {
        requests = &argv[optind];
        count = argc - optind;
    }

    /* If the child dies, a request written to it must fail with EPIPE
     * (and be reported), not kill the parent silently: see sendrecv. */
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    if (sigemptyset(&sa.sa_mask) == -1)
        die("sigemptyset");
    if (sigaction(SIGPIPE, &sa, NULL) == -1)
        die("sigaction");
    if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
        die("setvbuf");

    printf("parent: %ld request(s) through %s\n", count,
           use_socketpair ? "a socketpair" : "two pipes");
    if (fflush(stdout) == EOF)
        die("fflush");
    struct channel ch = open_channel(use_socketpair);
    pid_t child;
    if ((child = fork()) == -1)
        die("fork");
    if (child == 0) {
        /* TODO(03.10): In the child, close the parent's two ends first:
         * a child that keeps parent_out open is itself a writer of the
         * request pipe, so it would never see end of file, and wait for
         * more requests forever. (close_ends() closes a socketpair's one
         * descriptor only once.) */
        serve(ch.child_in, ch.child_out);
        if (close_ends(ch.child_in, ch.child_out) == -1)
            die_child("close");
        if (fflush(stdout) == EOF)
            die_child("fflush");
        _exit(EXIT_SUCCESS);
    }
    /* TODO(03.10), continued: in the parent, close the child's two ends
     * (for the same reason, the other way round). */

    ask(&ch, requests, count);
    free(generated);

    /* TODO(03.10), continued: no more requests. Say so by closing the
     * parent's ends (close_ends(ch.parent_out, ch.parent_in)): the child's
     * recv_msg() then returns 0 and it ends. Only then wait for it. */
    printf("parent: no more requests, closing my ends\n");
    int status;
    if (waitpid(child, &status, 0) == -1)
        die("waitpid");
    if (WIFEXITED(status)) {
        printf("parent: child exited with status %d\n", WEXITSTATUS(status));
        return WEXITSTATUS(status) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    if (WIFSIGNALED(status))
        printf("parent: child was killed by signal %d\n", WTERMSIG(status));
    return EXIT_FAILURE;
}
