/*
 * Lab 03 - pipe: framing (write_all, read_all, send_msg, recv_msg), a
 * sender and a receiver through one pipe, and a duplex request/reply.
 *
 * The framing module is put through a test driver (tests/03-pipe/
 * frame_check.c, built with the student's frame.c) that makes the pipe
 * misbehave on purpose: short writes and EINTR from a timer, frames sent
 * in odd-sized pieces, cut frames, a reader that is gone. The programs are
 * run whole: the tests compare checksums that the two ends print against
 * checksums computed here, so a 1 MiB message is checked without comparing
 * a megabyte of output. A program that waits forever (a write end left
 * open, so end of file never comes) is killed at a short timeout.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define LAB "03-pipe"
#define HANG_TIMEOUT 6.0 /* seconds: every run here takes well under 1 s */

TestSuite(lab03_frame, .timeout = 120);
TestSuite(lab03_sendrecv, .timeout = 40);
TestSuite(lab03_duplex, .timeout = 30);

static const struct run_opts quick = {.timeout = HANG_TIMEOUT};

/* ---- helpers ---------------------------------------------------------- */

/* FNV-1a, 32 bits: the checksum frame.c prints (computed here on our own,
 * so that a wrong checksum function cannot agree with itself). */
static uint32_t fnv1a(const char *buf, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)buf[i];
        h *= 16777619u;
    }
    return h;
}

/* The checksum of generated message k of size bytes (sendrecv -n/-s, and
 * duplex -s with k = 1), upper-cased if upper. */
static uint32_t generated_checksum(long k, size_t size, bool upper)
{
    char *buf = malloc(size + 1);
    cr_assert(buf != NULL);
    for (size_t j = 0; j < size; j++)
        buf[j] = (char)((upper ? 'A' : 'a') + ((size_t)k + j) % 26);
    uint32_t h = fnv1a(buf, size);
    free(buf);
    return h;
}

#define MAX_SEEN 64

/* The "<prefix> <k>: <len> bytes, checksum <hex>[ "text"]" lines. */
struct seen {
    int count;
    long k[MAX_SEEN];
    size_t len[MAX_SEEN];
    unsigned long sum[MAX_SEEN];
    char text[MAX_SEEN][64];
    bool has_text[MAX_SEEN];
};

static struct seen parse_seen(const char *out, const char *prefix)
{
    struct seen s;
    memset(&s, 0, sizeof s);
    char **lines = run_lines(out, NULL);
    size_t plen = strlen(prefix);
    for (size_t i = 0; lines[i] != NULL && s.count < MAX_SEEN; i++) {
        if (strncmp(lines[i], prefix, plen) != 0)
            continue;
        int n = s.count;
        int used = 0;
        if (sscanf(lines[i] + plen, "%ld: %zu bytes, checksum %lx%n", &s.k[n],
                   &s.len[n], &s.sum[n], &used) != 3)
            continue;
        const char *rest = lines[i] + plen + used;
        if (rest[0] == ' ' && rest[1] == '"') {
            const char *end = strrchr(rest + 2, '"');
            size_t tl = end != NULL ? (size_t)(end - rest - 2) : 0;
            if (tl >= sizeof s.text[n])
                tl = sizeof s.text[n] - 1;
            memcpy(s.text[n], rest + 2, tl);
            s.has_text[n] = true;
        }
        s.count++;
    }
    run_free_lines(lines);
    return s;
}

/* The first line of out containing needle, or NULL. */
static const char *find_line(const char *out, const char *needle)
{
    const char *p = strstr(out, needle);
    if (p == NULL)
        return NULL;
    while (p > out && p[-1] != '\n')
        p--;
    return p;
}

static void expect_clean_exit(const struct run_result *r, const char *todo)
{
    cr_assert(!r->timed_out,
              "`%s` %s. Nobody saw end of file: is a write end of the pipe "
              "still open somewhere? Each process must close the ends it "
              "does not use, and the writer close its own when done. "
              "Output so far:\n%s\nHint: %s",
              r->desc, run_how_ended(r), r->out, todo);
    cr_assert(r->signal != SIGPIPE,
              "`%s` was killed by SIGPIPE: it wrote to a pipe nobody reads "
              "any more, and did not ignore the signal. Output:\n%s\nHint: "
              "does the receiver read until end of file (TODO 03.6)? And "
              "ignore SIGPIPE, handle EPIPE (TODO 03.8).",
              r->desc, r->out);
    run_expect_success(r, todo);
}

/* Run the driver on one of its tests; it must say "all ok". */
static void frame_check(const char *test)
{
    struct run_result *r = RUN_WITH(&quick, "frame_check", "-t", test);
    cr_assert(!r->timed_out,
              "`%s` did not finish within %.0f s: a read or write loop that "
              "never ends? Output so far:\n%s",
              r->desc, r->elapsed, r->out);
    cr_assert(r->exit_code == 0 && strstr(r->out, "all ok") != NULL,
              "`%s` %s. The checks of your frame.c:\n%s%s", r->desc,
              run_how_ended(r), r->out, r->err);
    run_free(r);
}

/* Expect the messages of a sendrecv run, from the receiver (and the
 * sender), to be count messages with these lengths and checksums. */
static void expect_received(const struct run_result *r, long count,
                            const size_t *len, const uint32_t *sum,
                            const char *todo)
{
    struct seen got = parse_seen(r->out, "receiver: message ");
    cr_assert_eq(got.count, count,
                 "`%s`: the receiver printed %d 'receiver: message' lines; "
                 "expected %ld, one per message sent. Output:\n%s\nHint: %s",
                 r->desc, got.count, count, r->out, todo);
    for (int i = 0; i < got.count; i++) {
        cr_assert_eq(got.k[i], i + 1,
                     "`%s`: receiver line %d says message %ld: messages "
                     "must be counted 1, 2, 3... in order.",
                     r->desc, i + 1, got.k[i]);
        cr_assert(got.len[i] == len[i] && got.sum[i] == sum[i],
                  "`%s`: message %d arrived as %zu bytes, checksum %08lx; "
                  "it was sent as %zu bytes, checksum %08lx. A message is "
                  "cut or glued to the next when the receiver takes one "
                  "read() for a whole message: read() returns what is in "
                  "the pipe now (at most 64 KiB). Output:\n%.3000s\nHint: "
                  "TODO(03.2) read_all loops; TODO(03.4) reads the header, "
                  "then exactly that many bytes.",
                  r->desc, i + 1, got.len[i], got.sum[i], len[i],
                  (unsigned long)sum[i], r->out);
    }
    char eof[96];
    snprintf(eof, sizeof eof, "receiver: end of file after %ld messages",
             count);
    cr_assert(strstr(r->out, eof) != NULL,
              "`%s`: expected the receiver to report '%s'. Output:\n%s\n"
              "Hint: TODO(03.6): receive until recv_msg returns 0, which "
              "happens once the sender closed its write end (TODO 03.7) - "
              "no \"END\" message.",
              r->desc, eof, r->out);
    cr_assert(strstr(r->out, "sender: receiver exited with status 0") != NULL,
              "`%s`: the sender should report that the receiver exited with "
              "status 0. Output:\n%s",
              r->desc, r->out);
}

/* ---- lab03_frame: the framing module, through the driver ------------- */

Test(lab03_frame, write_all_and_send_msg_survive_short_writes_and_signals)
{
    frame_check("write");
}

Test(lab03_frame, recv_msg_reassembles_frames_sent_in_odd_sized_pieces)
{
    frame_check("pieces");
}

Test(lab03_frame, recv_msg_tells_end_of_file_from_a_cut_frame_and_epipe)
{
    frame_check("eof");
}

/* ---- lab03_sendrecv: one pipe, two processes ------------------------- */

Test(lab03_sendrecv, lecture_messages_arrive_in_order_then_end_of_file)
{
    struct run_result *r = RUN_WITH(&quick, "sendrecv");
    expect_clean_exit(r, "TODO(03.5) to TODO(03.8)");
    static const char *const lecture[] = {"hello,", "how", "are you?"};
    size_t len[3];
    uint32_t sum[3];
    for (int i = 0; i < 3; i++) {
        len[i] = strlen(lecture[i]);
        sum[i] = fnv1a(lecture[i], len[i]);
    }
    expect_received(r, 3, len, sum, "TODO(03.5) and TODO(03.6)");
    struct seen got = parse_seen(r->out, "receiver: message ");
    for (int i = 0; i < 3; i++)
        cr_assert(got.has_text[i] && strcmp(got.text[i], lecture[i]) == 0,
                  "Receiver message %d should read \"%s\"; output:\n%s", i + 1,
                  lecture[i], r->out);
    cr_assert_eq(run_count_lines(r->out, "receiver: "), 4,
                 "Expected 3 message lines and the end-of-file line from the "
                 "receiver, nothing more (no \"END\" message). Output:\n%s",
                 r->out);
    run_free(r);

    /* "END" is a message like any other: it must not end the
     * conversation. */
    r = RUN_WITH(&quick, "sendrecv", "hello", "END", "world");
    expect_clean_exit(r, "TODO(03.6) and TODO(03.7)");
    static const char *const words[] = {"hello", "END", "world"};
    for (int i = 0; i < 3; i++) {
        len[i] = strlen(words[i]);
        sum[i] = fnv1a(words[i], len[i]);
    }
    expect_received(r, 3, len, sum,
                    "the end of the messages is end of file (TODO 03.7), not "
                    "an \"END\" sentinel: \"END\" may be a real message");
    run_free(r);
}

Test(lab03_sendrecv, a_1_MiB_message_arrives_intact)
{
    struct run_result *r =
        RUN_WITH(&quick, "sendrecv", "-n", "2", "-s", "1048576");
    expect_clean_exit(r, "TODO(03.1) to TODO(03.6)");
    size_t len[2] = {1048576, 1048576};
    uint32_t sum[2] = {generated_checksum(1, len[0], false),
                       generated_checksum(2, len[1], false)};
    expect_received(r, 2, len, sum, "TODO(03.2) and TODO(03.4)");
    struct seen sent = parse_seen(r->out, "sender: message ");
    cr_assert(sent.count == 2 && sent.sum[0] == sum[0] && sent.sum[1] == sum[1],
              "The sender should report both 1 MiB messages sent, with "
              "checksums %08lx and %08lx. Output:\n%s",
              (unsigned long)sum[0], (unsigned long)sum[1], r->out);
    run_free(r);
}

Test(lab03_sendrecv, a_slow_reader_still_gets_every_byte)
{
    /* 8 x 200 kB through a 64 KiB pipe: the sender blocks again and again
     * while the reader dawdles; nothing may be lost or reordered. */
    struct run_result *r =
        RUN_WITH(&quick, "sendrecv", "-n", "8", "-s", "200000", "-d", "0.03");
    expect_clean_exit(r, "TODO(03.1) to TODO(03.6)");
    size_t len[8];
    uint32_t sum[8];
    for (int i = 0; i < 8; i++) {
        len[i] = 200000;
        sum[i] = generated_checksum(i + 1, len[i], false);
    }
    expect_received(r, 8, len, sum, "TODO(03.2), TODO(03.4), TODO(03.6)");
    cr_assert_geq(r->elapsed, 8 * 0.03 * 0.9,
                  "`%s` took %.3f s: with -d 0.03 the receiver must wait "
                  "0.03 s before each of the 8 messages (TODO 03.6).",
                  r->desc, r->elapsed);
    run_free(r);
}

Test(lab03_sendrecv, odd_sized_writes_are_reassembled_by_the_receiver)
{
    /* -w 3: every frame goes out 3 bytes per write(), 1 ms apart; the
     * receiver's read()s return 3 bytes (or fewer) at a time. */
    struct run_result *r =
        RUN_WITH(&quick, "sendrecv", "-w", "3", "hello,", "", "are you?");
    expect_clean_exit(r, "TODO(03.2), TODO(03.4), TODO(03.6)");
    static const char *const words[] = {"hello,", "", "are you?"};
    size_t len[3];
    uint32_t sum[3];
    for (int i = 0; i < 3; i++) {
        len[i] = strlen(words[i]);
        sum[i] = fnv1a(words[i], len[i]);
    }
    expect_received(r, 3, len, sum,
                    "the 4-byte header itself comes in two pieces here: "
                    "read_all (TODO 03.2) and recv_msg (TODO 03.4)");
    run_free(r);

    r = RUN_WITH(&quick, "sendrecv", "-w", "7", "-n", "3", "-s", "300");
    expect_clean_exit(r, "TODO(03.2), TODO(03.4), TODO(03.6)");
    for (int i = 0; i < 3; i++) {
        len[i] = 300;
        sum[i] = generated_checksum(i + 1, 300, false);
    }
    expect_received(r, 3, len, sum, "TODO(03.2) and TODO(03.4)");
    run_free(r);
}

Test(lab03_sendrecv, a_reader_that_quits_early_gives_the_sender_epipe)
{
    /* 50 x 64 KiB: far more than the pipe holds, so the sender is still
     * writing when the receiver closes its end after 2 messages. */
    struct run_result *r =
        RUN_WITH(&quick, "sendrecv", "-n", "50", "-s", "65536", "-q", "2");
    cr_assert(!r->timed_out,
              "`%s` %s. The receiver quit after 2 messages, but the sender "
              "went on waiting: while any read end is open - the parent's "
              "own copy too - a full pipe blocks the writer instead of "
              "failing with EPIPE. Output:\n%s\nHint: TODO(03.5): the "
              "parent closes the read end.",
              r->desc, run_how_ended(r), r->out);
    cr_assert(r->signal == 0,
              "`%s` %s: a silent death. Writing to a pipe with no reader "
              "raises SIGPIPE, which kills by default; ignore it and handle "
              "EPIPE instead. Output:\n%s\nHint: TODO(03.8).",
              r->desc, run_how_ended(r), r->out);
    cr_assert_eq(r->exit_code, 0,
                 "`%s` %s; expected 0: a receiver that quits is reported, "
                 "not an error. Stderr:\n%s\nHint: TODO(03.8): errno == "
                 "EPIPE means the receiver is gone.",
                 r->desc, run_how_ended(r), r->err);
    const char *gone = find_line(r->out, "the receiver is gone (EPIPE)");
    long sent = -1, total = -1;
    cr_assert(gone != NULL &&
                  sscanf(gone,
                         "sender: the receiver is gone (EPIPE): sent "
                         "%ld of %ld",
                         &sent, &total) == 2,
              "Expected the sender to report 'sender: the receiver is gone "
              "(EPIPE): sent K of 50'. Output:\n%s\nHint: TODO(03.8).",
              r->out);
    cr_assert(sent >= 2 && sent < 50 && total == 50,
              "The sender reports %ld of %ld sent: expected at least the 2 "
              "the receiver read, and fewer than 50.",
              sent, total);
    struct seen got = parse_seen(r->out, "receiver: message ");
    cr_assert_eq(got.count, 2,
                 "With -q 2 the receiver should take exactly 2 messages, "
                 "then close its end; it printed %d. Output:\n%s\nHint: "
                 "TODO(03.6).",
                 got.count, r->out);
    cr_assert(strstr(r->out, "sender: receiver exited with status 0") != NULL,
              "The sender must still wait for the receiver and report its "
              "status. Output:\n%s",
              r->out);
    run_free(r);
}

Test(lab03_sendrecv, bad_arguments_are_refused_and_empty_messages_arrive)
{
    static const char *const bad[][4] = {
        {"sendrecv", "-n", "0", NULL},    {"sendrecv", "-s", "-1", NULL},
        {"sendrecv", "-s", "1MB", NULL},  {"sendrecv", "-w", "0", NULL},
        {"sendrecv", "-d", "soon", NULL}, {"sendrecv", "-n", "2", "extra"},
        {"sendrecv", "-x", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = run_program(LAB, bad[i], &quick);
        cr_assert_eq(r->exit_code, 2,
                     "`%s` should be refused with exit status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr; stderr was:\n%s",
                  r->desc, r->err);
        cr_assert_eq(run_count_lines(r->out, "receiver:"), 0,
                     "`%s` started a receiver despite bad arguments.", r->desc);
        run_free(r);
    }
    /* Four 0-byte messages: a frame with length 0 is a message, not end of
     * file - end of file is a read() that returns 0 for the header. */
    struct run_result *r = RUN_WITH(&quick, "sendrecv", "-n", "4", "-s", "0");
    expect_clean_exit(r, "TODO(03.4) and TODO(03.6)");
    size_t len[4] = {0, 0, 0, 0};
    uint32_t sum[4];
    for (int i = 0; i < 4; i++)
        sum[i] = fnv1a("", 0);
    expect_received(r, 4, len, sum,
                    "TODO(03.4): a length of 0 is an empty message");
    run_free(r);
}

/* ---- lab03_duplex: request and reply ---------------------------------- */

/* Expect the parent's replies to be the requests in upper case. */
static void expect_replies(const struct run_result *r, int count,
                           const char *const *requests, const char *todo)
{
    expect_clean_exit(r, todo);
    struct seen rep = parse_seen(r->out, "parent: reply ");
    cr_assert_eq(rep.count, count,
                 "`%s`: expected %d 'parent: reply' lines, saw %d. "
                 "Output:\n%s\nHint: %s",
                 r->desc, count, rep.count, r->out, todo);
    for (int i = 0; i < count; i++) {
        char upper[64];
        size_t n = strlen(requests[i]);
        for (size_t j = 0; j <= n; j++)
            upper[j] = (char)(requests[i][j] >= 'a' && requests[i][j] <= 'z'
                                  ? requests[i][j] - 'a' + 'A'
                                  : requests[i][j]);
        cr_assert(rep.k[i] == i + 1 && rep.len[i] == n &&
                      rep.sum[i] == fnv1a(upper, n),
                  "`%s`: reply %d should be \"%s\" (%zu bytes, checksum "
                  "%08lx); the parent printed reply %ld: %zu bytes, checksum "
                  "%08lx. Output:\n%s\nHint: %s",
                  r->desc, i + 1, upper, n, (unsigned long)fnv1a(upper, n),
                  rep.k[i], rep.len[i], rep.sum[i], r->out, todo);
    }
    cr_assert_eq(run_count_lines(r->out, "child: request "), (size_t)count,
                 "`%s`: the child should print one 'child: request' line per "
                 "request (%d). Output:\n%s\nHint: TODO(03.11).",
                 r->desc, count, r->out);
    cr_assert(strstr(r->out, "parent: child exited with status 0") != NULL,
              "`%s`: the child should end with status 0 once the parent "
              "closed its ends. Output:\n%s",
              r->desc, r->out);
}

Test(lab03_duplex, child_upper_cases_the_lecture_request)
{
    struct run_result *r = RUN_WITH(&quick, "duplex");
    static const char *const lecture[] = {"hello from the main process"};
    expect_replies(r, 1, lecture, "TODO(03.9) to TODO(03.11)");
    struct seen rep = parse_seen(r->out, "parent: reply ");
    cr_assert(rep.has_text[0] &&
                  strcmp(rep.text[0], "HELLO FROM THE MAIN PROCESS") == 0,
              "The reply should read \"HELLO FROM THE MAIN PROCESS\". "
              "Output:\n%s",
              r->out);
    run_free(r);
}

static const char *const several[] = {"one", "END", "Three words, here!", "",
                                      "z"};

Test(lab03_duplex, requests_get_their_replies_in_order_over_two_pipes)
{
    struct run_result *r =
        RUN_WITH(&quick, "duplex", "-m", "pipes", several[0], several[1],
                 several[2], several[3], several[4]);
    expect_replies(r, 5, several,
                   "TODO(03.9) two pipes; TODO(03.10) close the other "
                   "side's ends, and the parent's own when done; TODO(03.11) "
                   "serve until end of file");
    run_free(r);
}

Test(lab03_duplex, a_socketpair_carries_requests_and_replies)
{
    struct run_result *r =
        RUN_WITH(&quick, "duplex", "-m", "socketpair", several[0], several[1],
                 several[2], several[3], several[4]);
    expect_replies(r, 5, several,
                   "TODO(03.9): socketpair(AF_UNIX, SOCK_STREAM, 0, sv), the "
                   "parent uses sv[0], the child sv[1]; TODO(03.10)");
    run_free(r);
}

Test(lab03_duplex, a_1_MiB_request_comes_back_upper_cased_either_way)
{
    static const char *const bad[][3] = {
        {"duplex", "-m", "carrier-pigeon"},
        {"duplex", "-s", "lots"},
        {"duplex", "-s", "-5"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = run_program(
            LAB, (const char *const[]){bad[i][0], bad[i][1], bad[i][2], NULL},
            &quick);
        cr_assert_eq(r->exit_code, 2,
                     "`%s` should be refused with exit status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", r->desc);
        run_free(r);
    }
    static const char *const modes[] = {"pipes", "socketpair"};
    uint32_t want = generated_checksum(1, 1048576, true);
    for (int m = 0; m < 2; m++) {
        struct run_result *r =
            RUN_WITH(&quick, "duplex", "-m", modes[m], "-s", "1048576");
        expect_clean_exit(r, "TODO(03.9) to TODO(03.11)");
        struct seen rep = parse_seen(r->out, "parent: reply ");
        cr_assert(rep.count == 1 && rep.len[0] == 1048576 && rep.sum[0] == want,
                  "`%s`: expected one 1048576-byte reply with checksum "
                  "%08lx (the request in upper case). Output:\n%s\nHint: "
                  "the child must receive the whole request before replying "
                  "(recv_msg, TODO 03.11).",
                  r->desc, (unsigned long)want, r->out);
        run_free(r);
    }
}
