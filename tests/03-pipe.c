/*
 * Lab 03 - pipe: framing (write_all, read_all, send_msg, recv_msg), a
 * sender and a receiver through one pipe, and a duplex request/reply.
 *
 * The framing module is run by a test driver (tests/03-pipe/frame_check.c,
 * built with the student's frame.c) that makes the pipe misbehave on
 * purpose: short writes and EINTR from a timer, frames arriving in
 * odd-sized pieces, cut frames, a reader that is gone. The driver gives no
 * verdict (it holds student code, which could print one): it hands back
 * the bytes send_msg wrote and the messages recv_msg returned, for inputs
 * this file chose, and this file decodes and compares them.
 *
 * The programs are run whole: the tests compare checksums that the two
 * ends print against checksums computed here, so a 1 MiB message is
 * checked without comparing a megabyte of output. Peers die on purpose
 * (a thread here kills the receiver, the sender, the duplex child or
 * parent mid-conversation), and the survivor must notice, report how its
 * peer ended and leave nothing behind. Children also fail on purpose: the
 * schedule perturber's KIT_CHILD_EXIT turns a child's _exit(0) into
 * _exit(3), and the parent must decode and report that status too. A program
 * that waits forever (a write end left open, so end of file never comes) is
 * killed at a short timeout.
 *
 * The lines the tests read are listed in the handout (Check); any other
 * line a program prints is ignored.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define LAB "03-pipe"
#define HANG_TIMEOUT 6.0      /* seconds: every run here takes well under 1 s */
#define FRAME_MAX (64u << 20) /* frame.h's limit, which the handout states */

TestSuite(lab03_frame, .timeout = 60);
TestSuite(lab03_sendrecv, .timeout = 40);
TestSuite(lab03_duplex, .timeout = 60);

static const struct run_opts quick = {.timeout = HANG_TIMEOUT};

/* ---- helpers ---------------------------------------------------------- */

static bool under_valgrind(void)
{
    return getenv("KIT_VALGRIND") != NULL;
}

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

/* Fail unless out has a line that is exactly line. */
static void expect_line(const struct run_result *r, const char *line,
                        const char *hint)
{
    size_t n;
    char **lines = run_lines(r->out, &n);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = strcmp(lines[i], line) == 0;
    run_free_lines(lines);
    cr_assert(found,
              "`%s`: expected the line\n  %s\nOutput:\n%.3000s\nHint: %s",
              r->desc, line, r->out, hint);
}

/* Fail unless out has a line that starts with prefix (what follows, say
 * the signal's name, is free). */
static void expect_line_starting(const struct run_result *r, const char *prefix,
                                 const char *hint)
{
    cr_assert(run_line_starting(r->out, prefix) != NULL,
              "`%s`: expected a line starting\n  %s\nOutput:\n%.3000s\n"
              "Hint: %s",
              r->desc, prefix, r->out, hint);
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

/* ---- a peer that dies mid-conversation -------------------------------- */

/* A thread of the test process watches the program under test (our child)
 * and its first child. Once that child has read at least min_read bytes
 * (/proc/PID/io, rchar), it sends sig to the child (or, with
 * to_program, to the program itself). With hold, the program is stopped
 * first and continued only once the child is dead: whatever the program
 * was doing, it then faces a dead peer - no race with a fast finish. */
struct peer_kill {
    int sig;
    long min_read;
    bool to_program;
    bool hold;
    pid_t program, child; /* found by the thread */
    atomic_bool fired, done;
    double child_lived; /* seconds the child lived on after the signal */
    pthread_t thread;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first pid in /proc/PID/task/(any)/children, or 0. */
static pid_t first_child(pid_t pid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    pid_t found = 0;
    struct dirent *e;
    while (found == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char file[160];
        snprintf(file, sizeof file, "/proc/%d/task/%.20s/children", (int)pid,
                 e->d_name);
        FILE *f = fopen(file, "r");
        if (f == NULL)
            continue;
        int child;
        if (fscanf(f, "%d", &child) == 1)
            found = child;
        fclose(f);
    }
    closedir(d);
    return found;
}

/* Bytes the process has read so far (rchar), or -1. /proc/PID/io is mode
 * 0400, owned by the process's user, and each read checks that the reader
 * may trace the process. In the grading box the test runs as a root with
 * neither CAP_DAC_OVERRIDE nor CAP_SYS_PTRACE, the program as the box's
 * user: this thread opens and reads the file as that user (setfsuid, which
 * needs only CAP_SETUID, changes this thread alone), then is root again. */
static long bytes_read(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
    struct stat st;
    if (stat(path, &st) == -1)
        return -1;
    bool as_owner = geteuid() == 0 && st.st_uid != 0;
    int uid = 0, gid = 0;
    if (as_owner) {
        gid = setfsgid(st.st_gid);
        uid = setfsuid(st.st_uid);
    }
    long rchar = -1;
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "rchar: %ld", &rchar) != 1)
            rchar = -1;
        fclose(f);
    }
    if (as_owner) {
        setfsuid((uid_t)uid);
        setfsgid((gid_t)gid);
    }
    return rchar;
}

/* The state letter of a process ('Z' for a zombie), or 0 if it is gone. */
static char proc_state(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char state = 0;
    if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
        state = 0;
    fclose(f);
    return state;
}

static void pause_seconds(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static void *peer_kill_run(void *arg)
{
    struct peer_kill *k = arg;
    double give_up = now() + 60.0 * run_timeout_scale();
    while (!atomic_load(&k->done) && now() < give_up) {
        pause_seconds(0.0002);
        if (k->program == 0 && (k->program = first_child(getpid())) == 0)
            continue;
        if (k->child == 0 && (k->child = first_child(k->program)) == 0)
            continue;
        if (bytes_read(k->child) < k->min_read)
            continue;
        if (k->hold)
            kill(k->program, SIGSTOP);
        kill(k->to_program ? k->program : k->child, k->sig);
        atomic_store(&k->fired, true);
        /* Watch the child end (a zombie, or gone): with hold, before the
         * program goes on; else to time an orphan, which the harness would
         * kill half a second after the program ended. */
        double fired_at = now(), until = fired_at + 10.0 * run_timeout_scale();
        while (proc_state(k->child) != 'Z' && proc_state(k->child) != 0 &&
               now() < until)
            pause_seconds(0.001);
        k->child_lived = now() - fired_at;
        if (k->hold)
            kill(k->program, SIGCONT);
        break;
    }
    return NULL;
}

/* Run prog with the killer k watching; the caller frees the result. */
static struct run_result *run_killing(struct peer_kill *k,
                                      const struct run_opts *opts,
                                      const char *const argv[])
{
    atomic_init(&k->fired, false);
    atomic_init(&k->done, false);
    k->program = k->child = 0;
    cr_assert_eq(pthread_create(&k->thread, NULL, peer_kill_run, k), 0);
    struct run_result *r = run_program(LAB, argv, opts);
    atomic_store(&k->done, true);
    cr_assert_eq(pthread_join(k->thread, NULL), 0);
    return r;
}

/* ---- lab03_frame: the framing module, through the driver ------------- */

/* Byte j of item k (1, 2, ...) for seed: frame_check_byte() in the
 * driver, written again here. */
static unsigned char item_byte(long seed, long k, size_t j)
{
    return (unsigned char)((unsigned long)seed * 131u + (unsigned long)k * 71u +
                           j * 3u + (j >> 9));
}

/* The driver's timer period in microseconds. valgrind handles a signal
 * in far more than 200 us: at that rate the program would do nothing but
 * take signals, so under valgrind they come every 5 ms. */
static const char *tick(void)
{
    return under_valgrind() ? "5000" : "200";
}

static long test_seed(void)
{
    return 1 + (long)(getpid() % 9973);
}

/* The driver must have run to its end: otherwise its stderr says which
 * call of frame.c failed. */
static void expect_driver_ok(const struct run_result *r, const char *hint)
{
    cr_assert(!r->timed_out,
              "`%s` did not finish within %.0f s: a read or write loop that "
              "never ends, or a recv_msg that waits for bytes that never "
              "come? Stderr:\n%.2000s\nHint: %s",
              r->desc, r->elapsed, r->err, hint);
    cr_assert(r->exit_code == 0,
              "`%s` %s. What went wrong, on stderr:\n%.2000s\nHint: %s",
              r->desc, run_how_ended(r), r->err, hint);
}

struct item {
    bool raw; /* write_all, not send_msg: no header */
    size_t len;
};

/* Where byte at of the expected stream falls, in words. */
static void locate(const struct item *items, int n, size_t at, char *buf,
                   size_t size)
{
    for (int k = 0; k < n; k++) {
        size_t hdr = items[k].raw ? 0 : 4;
        if (at < hdr) {
            snprintf(buf, size,
                     "byte %zu of the 4-byte header of item %d "
                     "(send_msg of %zu bytes)",
                     at, k + 1, items[k].len);
            return;
        }
        at -= hdr;
        if (at < items[k].len) {
            snprintf(buf, size, "payload byte %zu of item %d (%s of %zu bytes)",
                     at, k + 1, items[k].raw ? "write_all" : "send_msg",
                     items[k].len);
            return;
        }
        at -= items[k].len;
    }
    snprintf(buf, size, "past the end of the last item");
}

/* Check the driver's stdout against the frames this test expects. */
static void expect_stream(const struct run_result *r, long seed,
                          const struct item *items, int n)
{
    size_t total = 0;
    for (int k = 0; k < n; k++)
        total += (items[k].raw ? 0 : 4) + items[k].len;
    unsigned char *want = malloc(total + 1);
    cr_assert(want != NULL);
    size_t at = 0;
    for (int k = 0; k < n; k++) {
        if (!items[k].raw) {
            uint32_t len = (uint32_t)items[k].len;
            unsigned char hdr[4] = {
                (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                (unsigned char)(len >> 8), (unsigned char)len};
            memcpy(want + at, hdr, 4);
            at += 4;
        }
        for (size_t j = 0; j < items[k].len; j++)
            want[at++] = item_byte(seed, k + 1, j);
    }
    const unsigned char *got = (const unsigned char *)r->out;
    size_t same = 0;
    while (same < total && same < r->out_len && got[same] == want[same])
        same++;
    char where[160];
    locate(items, n, same, where, sizeof where);
    bool ok = same == total && r->out_len == total;
    cr_assert(ok,
              "`%s`: the bytes that came out of the pipe are not the frames "
              "of the messages given to send_msg/write_all. %zu bytes came "
              "out, %zu expected; the first %zu agree, then %s: expected "
              "0x%02x, got %s. Bytes lost, or written twice after a short "
              "write or EINTR? A frame is the 4-byte big-endian length, "
              "then the payload.\nHint: TODO(03.1) write_all goes on from "
              "where a short write stopped and retries on EINTR; TODO(03.3) "
              "send_msg writes frame_header() then the payload.",
              r->desc, r->out_len, total, same, where,
              same < total ? want[same] : 0,
              same < r->out_len ? "another byte" : "nothing (the end)");
    free(want);
}

Test(lab03_frame, write_all_and_send_msg_survive_short_writes_and_signals)
{
    /* A 4 MiB message, an empty one, 2 MiB through write_all alone, to a
     * slow reader, while a timer interrupts the writer every 200 us.
     * Under valgrind every step is ~50x slower: smaller, fewer signals. */
    bool vg = under_valgrind();
    /* The frames come back on the driver's stdout, which the harness keeps
     * up to its cap (1 MiB in the grading box, KIT_OUTPUT_CAP): stay well
     * inside it, still far more than a pipe holds. */
    const char *cap_env = getenv("KIT_OUTPUT_CAP");
    size_t cap = cap_env != NULL ? strtoul(cap_env, NULL, 10) : 0;
    size_t big = (4u << 20), small = (2u << 20);
    if (vg)
        big = (256u << 10), small = (128u << 10);
    if (cap > 0 && big + small > cap / 2)
        big = cap / 4, small = cap / 8;
    struct item items[3] = {{false, big + 3}, {false, 0}, {true, small + 1}};
    long seed = test_seed();
    char s[16], a[24], b[24], c[24];
    snprintf(s, sizeof s, "%ld", seed);
    snprintf(a, sizeof a, "%zu", items[0].len);
    snprintf(b, sizeof b, "%zu", items[1].len);
    snprintf(c, sizeof c, "w%zu", items[2].len);
    struct run_result *r =
        RUN_WITH(&quick, "frame_check", "-i", tick(), "send", s, a, b, c);
    expect_driver_ok(r, "TODO(03.1) write_all: a short write or -1 with "
                        "EINTR means go on; TODO(03.3) send_msg: a 0-byte "
                        "message is a header alone");
    expect_stream(r, seed, items, 3);
    run_free(r);
}

/* A message this test frames itself, and what recv_msg must return. */
struct msg {
    size_t len;
    const char *text; /* NULL: item_byte(seed, k, j) */
};

static char *build_frames(long seed, const struct msg *m, int n, size_t *len)
{
    size_t total = 0;
    for (int k = 0; k < n; k++)
        total += 4 + m[k].len;
    char *buf = malloc(total + 1);
    cr_assert(buf != NULL);
    size_t at = 0;
    for (int k = 0; k < n; k++) {
        uint32_t l = (uint32_t)m[k].len;
        buf[at++] = (char)(l >> 24);
        buf[at++] = (char)(l >> 16);
        buf[at++] = (char)(l >> 8);
        buf[at++] = (char)l;
        for (size_t j = 0; j < m[k].len; j++)
            buf[at++] = m[k].text != NULL ? m[k].text[j]
                                          : (char)item_byte(seed, k + 1, j);
    }
    *len = total;
    return buf;
}

/* Check the driver's echo of recv_msg: the n messages, in order, each
 * followed by a '\0', then the ending ("0" or "-1 ERRNO"). */
static void expect_received_msgs(const struct run_result *r, long seed,
                                 const struct msg *m, int n, const char *ending,
                                 const char *hint)
{
    const char *p = r->out;
    const char *end = r->out + r->out_len;
    for (int k = 0; k < n; k++) {
        size_t len = 0;
        char nul[8] = "";
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        bool head = nl != NULL && sscanf(p, "1 %zu %7s", &len, nul) == 2;
        size_t used = nl != NULL ? (size_t)(nl - p) + 1 : 0;
        char said[40];
        snprintf(said, sizeof said, "%.*s", (int)strcspn(p, "\n"), p);
        cr_assert(head,
                  "`%s`: recv_msg call %d should return 1 with message %d "
                  "(%zu bytes); it returned %s (first the return value, then "
                  "errno if -1). Hint: %s",
                  r->desc, k + 1, k + 1, m[k].len, said[0] ? said : "nothing",
                  hint);
        p += used;
        bool same = len == m[k].len && (size_t)(end - p) > len;
        for (size_t j = 0; same && j < len; j++)
            same =
                p[j] == (m[k].text != NULL ? m[k].text[j]
                                           : (char)item_byte(seed, k + 1, j));
        cr_assert(same,
                  "`%s`: message %d came out as %zu bytes%s; it was sent as "
                  "%zu bytes. Hint: %s",
                  r->desc, k + 1, len,
                  len == m[k].len ? " with other content" : "", m[k].len, hint);
        cr_assert(strcmp(nul, "nul") == 0,
                  "`%s`: message %d is right but not followed by a '\\0' "
                  "(frame.h promises one after the last byte, not counted in "
                  "len). Hint: TODO(03.4): malloc len + 1.",
                  r->desc, k + 1);
        p += len + 1;
    }
    size_t elen = strlen(ending);
    char said[40];
    snprintf(said, sizeof said, "%.*s", (int)strcspn(p, "\n"), p);
    cr_assert(strncmp(p, ending, elen) == 0 && p[elen] == '\n',
              "`%s`: after %d message(s), recv_msg should return %s; it "
              "returned %s (the return value, then errno if -1: EPROTO is "
              "%d, EMSGSIZE %d). Hint: %s",
              r->desc, n, ending, said[0] ? said : "nothing", EPROTO, EMSGSIZE,
              hint);
}

Test(lab03_frame, recv_msg_reassembles_frames_sent_in_odd_sized_pieces)
{
    long seed = test_seed();
    static const struct msg m[] = {
        {0, ""},     {1, "a"},       {6, "hello,"}, {3, "END"},
        {300, NULL}, {100000, NULL}, {0, ""},       {1, "x"},
    };
    int n = (int)(sizeof m / sizeof m[0]);
    size_t len;
    char *frames = build_frames(seed, m, n, &len);
    struct run_opts o = quick;
    o.input = frames;
    o.input_len = len;
    struct run_result *r = RUN_WITH(&o, "frame_check", "-i", tick(), "recv");
    expect_driver_ok(r, "TODO(03.4)");
    expect_received_msgs(r, seed, m, n, "0",
                         "read() returns what is there now, maybe 1 byte: "
                         "read_all loops (TODO 03.2); recv_msg reads the "
                         "4-byte header, then exactly that many bytes; a "
                         "0-length message is not end of file (TODO 03.4)");
    run_free(r);
    free(frames);

    /* read_all alone: pieces of 1, 2, 3, 5 ... bytes, then end of file. */
    o.input = "abcdefghijklmno";
    o.input_len = 0;
    r = RUN_WITH(&o, "frame_check", "-i", tick(), "read", "10", "20", "4");
    expect_driver_ok(r, "TODO(03.2)");
    cr_assert_str_eq(r->out, "10\nabcdefghij\n5\nklmno\n0\n\n",
                     "`%s` with the 15 bytes \"abcdefghijklmno\" arriving in "
                     "pieces of 1, 2, 3, 5... bytes: read_all(10), then "
                     "read_all(20), then read_all(4) should return 10 "
                     "(\"abcdefghij\"), 5 (\"klmno\": end of file came "
                     "first), 0 (end of file). The driver saw (each return "
                     "value, then the bytes):\n%s\nHint: TODO(03.2): read "
                     "again until you have len bytes; at end of file return "
                     "what you got.",
                     r->desc, r->out);
    run_free(r);
}

/* recv_msg on exactly these bytes, then end of file. */
static void expect_recv_of(const char *bytes, size_t len, long seed,
                           const struct msg *m, int n, const char *ending,
                           const char *hint)
{
    struct run_opts o = quick;
    o.input = len > 0 ? bytes : NULL;
    o.input_len = len;
    struct run_result *r = RUN_WITH(&o, "frame_check", "-i", tick(), "recv");
    expect_driver_ok(r, hint);
    expect_received_msgs(r, seed, m, n, ending, hint);
    run_free(r);
}

Test(lab03_frame, recv_msg_tells_end_of_file_from_a_cut_frame_and_epipe)
{
    char eproto[16], emsgsize[16];
    snprintf(eproto, sizeof eproto, "-1 %d", EPROTO);
    snprintf(emsgsize, sizeof emsgsize, "-1 %d", EMSGSIZE);
    static const struct msg hi[] = {{2, "hi"}};
    expect_recv_of("", 0, 0, NULL, 0, "0",
                   "no byte of a new frame: end of file, return 0 (TODO 03.4)");
    expect_recv_of("\0\0\0\2hi", 6, 0, hi, 1, "0",
                   "after the last frame comes end of file (TODO 03.4)");
    expect_recv_of("\0\0", 2, 0, NULL, 0, eproto,
                   "1 to 3 header bytes then end of file is a cut frame: "
                   "errno = EPROTO, return -1 - not a clean end (TODO 03.4)");
    char cut[4 + 40];
    memcpy(cut, "\0\0\0\x64", 4); /* 100 bytes announced, 40 sent */
    memset(cut + 4, 'z', 40);
    expect_recv_of(cut, sizeof cut, 0, NULL, 0, eproto,
                   "read_all returned fewer bytes than the length: errno = "
                   "EPROTO, return -1 (TODO 03.4)");
    /* FRAME_MAX itself is allowed (the payload is then missing: EPROTO);
     * one more is garbage, refused before any malloc. (Not under valgrind,
     * which checks all 64 MiB of the buffer before each read(): seconds
     * per call, and the timer interrupts every one of them.) */
    char at_max[4] = {(char)(FRAME_MAX >> 24), (char)(FRAME_MAX >> 16),
                      (char)(FRAME_MAX >> 8), (char)FRAME_MAX};
    if (!under_valgrind())
        expect_recv_of(at_max, 4, 0, NULL, 0, eproto,
                       "a length of exactly FRAME_MAX is allowed: the stream "
                       "then ends inside the payload, EPROTO (TODO 03.4)");
    uint32_t over = FRAME_MAX + 1;
    char above[8] = {(char)(over >> 24),
                     (char)(over >> 16),
                     (char)(over >> 8),
                     (char)over,
                     'j',
                     'u',
                     'n',
                     'k'};
    expect_recv_of(above, 8, 0, NULL, 0, emsgsize,
                   "a length over FRAME_MAX is refused with EMSGSIZE before "
                   "malloc: a desynchronised stream reads garbage as a "
                   "length (TODO 03.4)");

    struct run_result *r = RUN_WITH(&quick, "frame_check", "epipe");
    expect_driver_ok(r, "TODO(03.1) and TODO(03.3)");
    char want[160];
    snprintf(want, sizeof want,
             "write_all -1 %d\nsend_msg -1 %d\ntoo_long -1 %d 0\n", EPIPE,
             EPIPE, EMSGSIZE);
    cr_assert_str_eq(r->out, want,
                     "`%s`: write_all and send_msg to a pipe with no reader "
                     "must return -1 with errno EPIPE (%d); send_msg of "
                     "FRAME_MAX + 1 bytes must return -1 with errno EMSGSIZE "
                     "(%d) and write nothing (the last number: bytes in the "
                     "pipe). Expected:\n%sThe driver saw:\n%s\nHint: "
                     "TODO(03.1): any -1 other than EINTR is returned; "
                     "TODO(03.3): check the length first.",
                     r->desc, EPIPE, EMSGSIZE, want, r->out);
    run_free(r);
}

Test(lab03_frame, recv_msg_frees_what_it_allocated_on_every_path)
{
    /* The driver built with AddressSanitizer (LeakSanitizer reports at its
     * exit what was never freed): whole messages, which the driver frees,
     * then a frame cut inside its payload, whose buffer recv_msg must free
     * itself before it returns -1. */
    long seed = test_seed();
    static const struct msg m[] = {{5, "hello"}, {3000, NULL}};
    size_t len;
    char *frames = build_frames(seed, m, 2, &len);
    char *cut = malloc(len + 4 + 40);
    cr_assert(cut != NULL);
    memcpy(cut, frames, len);
    memcpy(cut + len, "\0\0\0\x64", 4); /* 100 bytes announced, 40 sent */
    memset(cut + len + 4, 'z', 40);
    struct run_opts o = quick;
    o.sanitizer = RUN_ASAN;
    o.input = cut;
    o.input_len = len + 4 + 40;
    o.hint = "TODO(03.4): on every path that returns -1 after malloc, free "
             "the buffer first (and keep errno)";
    struct run_result *r = RUN_WITH(&o, "frame_check", "-i", tick(), "recv");
    expect_driver_ok(r, o.hint);
    char eproto[16];
    snprintf(eproto, sizeof eproto, "-1 %d", EPROTO);
    expect_received_msgs(r, seed, m, 2, eproto, o.hint);
    run_free(r);
    free(cut);
    free(frames);
}

/* ---- lab03_sendrecv: one pipe, two processes ------------------------- */

/* Expect a complete sendrecv run: count messages with these lengths and
 * checksums sent and received, in order, and every summary line the
 * handout promises. */
static void expect_received(const struct run_result *r, long count,
                            const size_t *len, const uint32_t *sum,
                            const char *todo)
{
    struct seen got = parse_seen(r->out, "receiver: message ");
    cr_assert_eq(got.count, count,
                 "`%s`: the receiver printed %d 'receiver: message' lines; "
                 "expected %ld, one per message sent. Output:\n%.3000s\n"
                 "Hint: %s",
                 r->desc, got.count, count, r->out, todo);
    size_t bytes = 0;
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
        bytes += len[i];
    }
    struct seen sent = parse_seen(r->out, "sender: message ");
    bool same = sent.count == count;
    for (int i = 0; same && i < sent.count; i++)
        same = sent.k[i] == i + 1 && sent.len[i] == len[i] &&
               sent.sum[i] == sum[i];
    cr_assert(same,
              "`%s`: expected %ld 'sender: message k: ...' lines, one per "
              "message, with the sizes and checksums the receiver "
              "printed. Output:\n%.3000s",
              r->desc, count, r->out);
    char line[128];
    snprintf(line, sizeof line, "sender: %ld messages to send through a pipe",
             count);
    expect_line(r, line, "the first line is provided code: keep it");
    snprintf(line, sizeof line,
             "sender: %ld messages, %zu bytes sent; closing the write end",
             count, bytes);
    expect_line(r, line, "TODO(03.7)");
    snprintf(line, sizeof line,
             "receiver: end of file after %ld messages, %zu bytes", count,
             bytes);
    expect_line(r, line,
                "TODO(03.6): receive until recv_msg returns 0, which "
                "happens once the sender closed its write end (TODO 03.7) - "
                "no \"END\" message.");
    expect_line(r, "sender: receiver exited with status 0",
                "the sender waits for the receiver and reports its status");
}

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
    expect_line(r, "receiver: quitting after 2 messages, closing the read end",
                "TODO(03.6): with -q, say so, close fd and _exit(0)");
    expect_line(r, "sender: receiver exited with status 0",
                "the sender must still wait for the receiver and report its "
                "status");
    run_free(r);
}

/* Each of bad[] is refused with a usage line and exit status 2; -h and
 * --help print the usage on stdout and exit 0. */
static void expect_refused(const char *const (*bad)[5], size_t n)
{
    /* Under valgrind each start costs seconds: the first and the last. */
    size_t step = under_valgrind() && n > 1 ? n - 1 : 1;
    for (size_t i = 0; i < n; i += step) {
        struct run_result *r = run_program(LAB, bad[i], &quick);
        cr_assert_eq(r->exit_code, 2,
                     "`%s` should be refused with exit status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr; stderr was:\n%s",
                  r->desc, r->err);
        cr_assert(strstr(r->out, ": message ") == NULL &&
                      strstr(r->out, ": request ") == NULL,
                  "`%s` started talking despite bad arguments:\n%s", r->desc,
                  r->out);
        run_free(r);
    }
    static const char *const help[] = {"-h", "--help"};
    for (size_t i = 0; i < 2; i++) {
        struct run_result *r = run_program(
            LAB, (const char *const[]){bad[0][0], help[i], NULL}, &quick);
        cr_assert(r->exit_code == 0 && strncmp(r->out, "usage: ", 7) == 0,
                  "`%s` should print its usage line on stdout and exit 0 "
                  "(asking for help is not an error); it %s, stdout:\n%s",
                  r->desc, run_how_ended(r), r->out);
        run_free(r);
    }
}

Test(lab03_sendrecv, bad_arguments_are_refused_and_empty_messages_arrive)
{
    /* Each limit of the usage line, one past it. */
    static const char *const bad[][5] = {
        {"sendrecv", "-n", "0", NULL},
        {"sendrecv", "-n", "100001", NULL},
        {"sendrecv", "-s", "-1", NULL},
        {"sendrecv", "-s", "16777217", NULL},
        {"sendrecv", "-s", "1MB", NULL},
        {"sendrecv", "-w", "0", NULL},
        {"sendrecv", "-w", "65537", NULL},
        {"sendrecv", "-d", "soon", NULL},
        {"sendrecv", "-d", "10.5", NULL},
        {"sendrecv", "-q", "0", NULL},
        {"sendrecv", "-n", "2", "extra", NULL},
        {"sendrecv", "-x", NULL},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0]);

    /* Four 0-byte messages: a frame with length 0 is a message, not end of
     * file - end of file is a read() that returns 0 for the header. */
    struct run_result *r =
        RUN_WITH(&quick, "sendrecv", "-n", "4", "-s", "0", "-w", "65536");
    expect_clean_exit(r, "TODO(03.4) and TODO(03.6)");
    size_t len[4] = {0, 0, 0, 0};
    uint32_t sum[4];
    for (int i = 0; i < 4; i++)
        sum[i] = fnv1a("", 0);
    expect_received(r, 4, len, sum,
                    "TODO(03.4): a length of 0 is an empty message");
    run_free(r);

    /* The largest message -s allows, 16 MiB, in one piece (not under
     * valgrind, where it takes 15 s). */
    if (under_valgrind())
        return;
    r = RUN_WITH(&quick, "sendrecv", "-n", "1", "-s", "16777216");
    expect_clean_exit(r, "TODO(03.1) to TODO(03.6)");
    size_t max = 16777216;
    uint32_t max_sum = generated_checksum(1, max, false);
    expect_received(r, 1, &max, &max_sum, "TODO(03.2) and TODO(03.4)");
    run_free(r);
}

Test(lab03_sendrecv, a_receiver_killed_mid_stream_is_reported_by_the_sender)
{
    /* Once the slow receiver has read the first message, the sender is
     * stopped, the receiver killed (SIGKILL), and the sender let go: its
     * next write finds no reader. */
    struct peer_kill k = {.sig = SIGKILL, .min_read = 70000, .hold = true};
    struct run_result *r =
        run_killing(&k, &quick,
                    (const char *const[]){"sendrecv", "-n", "50", "-s", "65536",
                                          "-d", "0.05", NULL});
    cr_assert(atomic_load(&k.fired),
              "`%s` %s, but its receiver never read 70000 bytes, so the "
              "test could not kill it. Output:\n%.2000s\nHint: TODO(03.5) "
              "and TODO(03.6).",
              r->desc, run_how_ended(r), r->out);
    cr_assert(!r->timed_out && r->signal == 0,
              "`%s` %s after its receiver was killed: it must notice (EPIPE, "
              "with SIGPIPE ignored), stop sending and reap the receiver. "
              "Output:\n%.2000s\nHint: TODO(03.5) the parent closes the read "
              "end; TODO(03.8).",
              r->desc, run_how_ended(r), r->out);
    const char *gone = find_line(r->out, "the receiver is gone (EPIPE)");
    long sent = -1, total = -1;
    cr_assert(gone != NULL &&
                  sscanf(gone,
                         "sender: the receiver is gone (EPIPE): sent "
                         "%ld of %ld",
                         &sent, &total) == 2 &&
                  sent >= 0 && sent < 50 && total == 50,
              "Expected the sender to report 'sender: the receiver is gone "
              "(EPIPE): sent K of 50' with K < 50. Output:\n%.2000s\nHint: "
              "TODO(03.8).",
              r->out);
    expect_line_starting(
        r, "sender: receiver was killed by signal 9",
        "after waitpid, ask how the child ended: WIFSIGNALED and "
        "WTERMSIG (status_describe in common/status.h says it)");
    cr_assert_eq(r->exit_code, 1,
                 "`%s` %s; expected status 1: the receiver did not end well. "
                 "Output:\n%.2000s",
                 r->desc, run_how_ended(r), r->out);
    run_free(r);
}

Test(lab03_sendrecv, a_sender_killed_mid_message_leaves_a_receiver_that_says_so)
{
    /* One 1 MB frame, written 1000 bytes per ms; the sender is killed once
     * the receiver has 100000 bytes of it. The receiver sees end of file
     * inside the frame: an error (EPROTO), not a clean end, and it must
     * end on its own. */
    struct peer_kill k = {
        .sig = SIGKILL, .min_read = 100000, .to_program = true};
    struct run_opts o = quick;
    o.allow_leftovers = true; /* the orphan is ours to reap: checked below */
    struct run_result *r =
        run_killing(&k, &o,
                    (const char *const[]){"sendrecv", "-n", "1", "-s",
                                          "1000000", "-w", "1000", NULL});
    cr_assert(atomic_load(&k.fired) && r->signal == SIGKILL,
              "`%s` %s; the test meant to kill it once the receiver had read "
              "100000 bytes. Output:\n%.2000s\nHint: TODO(03.5), TODO(03.6).",
              r->desc, run_how_ended(r), r->out);
    cr_assert(under_valgrind() || k.child_lived < 0.4,
              "The sender was killed in the middle of a message; its "
              "receiver was still running %.1f s later. It must "
              "see end of file (every write end closed), fail with EPROTO "
              "and end. Output:\n%.2000s\nHint: TODO(03.5): the receiver "
              "closes its copy of the write end.",
              k.child_lived, r->out);
    cr_assert(strstr(r->out, "receiver: end of file") == NULL &&
                  strstr(r->out, "receiver: message 1:") == NULL,
              "The stream ended inside message 1, but the receiver reported "
              "a message or a clean end of file. Output:\n%.2000s\nHint: "
              "TODO(03.4): end of file inside a frame is EPROTO; TODO(03.6): "
              "recv_msg returning -1 is an error (die_child).",
              r->out);
    char want[96];
    snprintf(want, sizeof want, "sendrecv: recv_msg: %s", strerror(EPROTO));
    cr_assert(strstr(r->err, want) != NULL,
              "Expected the receiver to say '%s' on stderr. Stderr:\n%.2000s\n"
              "Hint: TODO(03.6): die_child(\"recv_msg\").",
              want, r->err);
    run_free(r);
}

/* ---- a child that fails ---------------------------------------------- */

/* Run argv with KIT_CHILD_EXIT=3: the schedule perturber
 * (tests/harness/perturb.c) turns the child's _exit(0) - or exit(0) - into
 * status 3: a child that did all its work, then FAILED. No signal is
 * involved, so a parent that only asks WIFSIGNALED, or prints the raw
 * status, or the status it expected, shows its bug. NULL under a
 * sanitizer, whose builds do not take the preloaded library (valgrind's
 * do). */
static struct run_result *run_with_failing_child(const char *const argv[])
{
    if (run_sanitizer() != NULL)
        return NULL;
    static const char *const env[] = {"KIT_CHILD_EXIT=3", NULL};
    struct run_opts o = quick;
    o.perturb = true;
    o.env = env;
    return run_program(LAB, argv, &o);
}

/* Expect the report of the failed child: the line want exactly ("sender:
 * receiver exited with status 3"), and exit status 1. prefix ("sender:
 * receiver ") followed by "exited" or "was" starts the report lines the
 * handout promises; other lines are free, whatever they start with. */
static void expect_failed_child_reported(const struct run_result *r,
                                         const char *prefix, const char *want,
                                         const char *hint)
{
    cr_assert(!r->timed_out && r->signal == 0,
              "`%s` %s; its child did all its work and exited with status 3 "
              "(the test turned its _exit(0) into _exit(3)): the program "
              "should report it and end. Output:\n%.2000s\nHint: %s",
              r->desc, run_how_ended(r), r->out, hint);
    char **lines = run_lines(r->out, NULL);
    char got[160];
    snprintf(got, sizeof got, "no line '%sexited ...' or '%swas ...'", prefix,
             prefix);
    bool same = false, reported = false;
    size_t plen = strlen(prefix);
    for (char **l = lines; *l != NULL && !same; l++) {
        same = strcmp(*l, want) == 0;
        if (!reported && strncmp(*l, prefix, plen) == 0 &&
            (strncmp(*l + plen, "exited", 6) == 0 ||
             strncmp(*l + plen, "was", 3) == 0)) {
            snprintf(got, sizeof got, "'%s'", *l);
            reported = true;
        }
    }
    run_free_lines(lines);
    cr_assert(same,
              "`%s`: its child did all its work, then exited with status 3 "
              "(the test turned its _exit(0) into _exit(3)). Expected the "
              "line\n  %s\nIt printed %s instead. Output:\n%.3000s\nHint: %s",
              r->desc, want, got, r->out, hint);
    cr_assert_eq(r->exit_code, 1,
                 "`%s` %s; expected status 1: a child that exits with "
                 "status 3 has failed, as surely as one killed by a signal. "
                 "Only WIFEXITED with WEXITSTATUS 0 is a success (status_ok "
                 "in common/status.h), not every status without a signal "
                 "(WIFSIGNALED). Hint: %s",
                 r->desc, run_how_ended(r), hint);
}

Test(lab03_sendrecv, a_receiver_that_fails_is_reported_by_the_sender)
{
    /* The receiver gets the three messages and sees end of file; only its
     * exit status is 3 instead of 0. */
    struct run_result *r =
        run_with_failing_child((const char *const[]){"sendrecv", NULL});
    if (r == NULL)
        return;
    expect_line(r, "receiver: end of file after 3 messages, 17 bytes",
                "TODO(03.5) to TODO(03.7): the test changed nothing but the "
                "receiver's exit status");
    expect_failed_child_reported(
        r, "sender: receiver ", "sender: receiver exited with status 3",
        "reap_receiver is provided code: keep it. It decodes the status "
        "waitpid gives (status_describe: WIFEXITED, then WEXITSTATUS - not "
        "the raw status, 3 << 8 = 768, nor the 0 the receiver was meant "
        "to exit with) and returns status_ok(status); TODO(03.5): the "
        "child ends with _exit(0) after receiver()");
    run_free(r);
}

Test(lab03_sendrecv,
     short_reads_and_writes_everywhere_still_give_whole_messages)
{
    /* KIT_SHORT_IO=1: every read() of the pipe returns 1 to 7 bytes, every
     * write() of more than PIPE_BUF bytes is cut short - what a busy
     * machine may do at any time, here on every call. (Not under valgrind
     * or a sanitizer, which do not take the preloaded library.) */
    if (under_valgrind() || run_sanitizer() != NULL)
        cr_skip_test("the preloaded library that shortens reads and writes "
                     "is not used under valgrind or a sanitizer");
    static const char *const env[] = {"KIT_SHORT_IO=1", NULL};
    struct run_opts o = quick;
    o.perturb = true;
    o.env = env;
    struct run_result *r = RUN_WITH(&o, "sendrecv", "-n", "3", "-s", "70000");
    expect_clean_exit(r, "TODO(03.1), TODO(03.2), TODO(03.4)");
    size_t len[3] = {70000, 70000, 70000};
    uint32_t sum[3];
    for (int i = 0; i < 3; i++)
        sum[i] = generated_checksum(i + 1, 70000, false);
    struct seen got = parse_seen(r->out, "receiver: message ");
    bool same = got.count == 3;
    for (int i = 0; same && i < 3; i++)
        same = got.len[i] == len[i] && got.sum[i] == sum[i];
    cr_assert(same,
              "`%s` with every read() and write() cut short: the receiver "
              "should get 3 messages of 70000 bytes with checksums %08lx, "
              "%08lx, %08lx. Output:\n%.3000s\nHint: TODO(03.1) and "
              "TODO(03.2) loop until every byte is through; TODO(03.4).",
              r->desc, (unsigned long)sum[0], (unsigned long)sum[1],
              (unsigned long)sum[2], r->out);
    run_free(r);
}

/* With KIT_FAIL_FORK_AT=1 the program's first fork() fails (EAGAIN): it
 * must say so and exit 1, leaving nothing behind. */
static void expect_fork_failure_reported(const char *prog, const char *todo)
{
    if (under_valgrind() || run_sanitizer() != NULL)
        return; /* the preloaded library that fails fork is not used */
    static const char *const env[] = {"KIT_FAIL_FORK_AT=1", NULL};
    struct run_opts o = quick;
    o.perturb = true;
    o.env = env;
    struct run_result *r =
        run_program(LAB, (const char *const[]){prog, NULL}, &o);
    char want[96];
    snprintf(want, sizeof want, "%s: fork: %s", prog, strerror(EAGAIN));
    cr_assert(r->exit_code == 1 && strstr(r->err, want) != NULL,
              "`%s` whose fork() fails (EAGAIN, made to fail by the test) "
              "should say '%s' on stderr and exit with status 1; it %s. "
              "Stderr:\n%.2000s\nHint: %s",
              r->desc, want, run_how_ended(r), r->err, todo);
    run_free(r);
}

Test(lab03_sendrecv, a_fork_that_fails_is_reported)
{
    expect_fork_failure_reported("sendrecv", "TODO(03.5): if ((child = "
                                             "fork()) == -1) die(\"fork\");");
}

/* ---- lab03_duplex: request and reply ---------------------------------- */

/* Expect the parent's replies to be the requests in upper case. */
static void expect_replies(const struct run_result *r, int count,
                           const char *const *requests, const char *how,
                           const char *todo)
{
    expect_clean_exit(r, todo);
    char line[96];
    snprintf(line, sizeof line, "parent: %d request(s) through %s", count, how);
    expect_line(r, line, "the first line is provided code: keep it");
    struct seen req = parse_seen(r->out, "parent: request ");
    cr_assert_eq(req.count, count,
                 "`%s`: expected %d 'parent: request' lines. Output:\n%s",
                 r->desc, count, r->out);
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
    expect_line(r, "parent: no more requests, closing my ends",
                "TODO(03.10): the parent closes its own ends after the last "
                "reply");
    expect_line(r, "parent: child exited with status 0",
                "the child ends with status 0 once the parent closed its "
                "ends (TODO 03.10, 03.11)");
}

Test(lab03_duplex, child_upper_cases_the_lecture_request)
{
    struct run_result *r = RUN_WITH(&quick, "duplex");
    static const char *const lecture[] = {"hello from the main process"};
    expect_replies(r, 1, lecture, "two pipes", "TODO(03.9) to TODO(03.11)");
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
    expect_replies(r, 5, several, "two pipes",
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
    expect_replies(r, 5, several, "a socketpair",
                   "TODO(03.9): socketpair(AF_UNIX, SOCK_STREAM, 0, sv), the "
                   "parent uses sv[0], the child sv[1]; TODO(03.10)");
    run_free(r);
}

Test(lab03_duplex, a_1_MiB_request_comes_back_upper_cased_either_way)
{
    static const char *const bad[][5] = {
        {"duplex", "-m", "carrier-pigeon", NULL},
        {"duplex", "-s", "lots", NULL},
        {"duplex", "-s", "-5", NULL},
        {"duplex", "-s", "16777217", NULL},
        {"duplex", "-s", "3", "extra", NULL},
        {"duplex", "-x", NULL},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0]);
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

/* A request big enough to keep the pair busy while the test kills one:
 * 16 MiB, or 1 MiB under valgrind, which is slow enough anyway. */
static const char *big_request(void)
{
    return under_valgrind() ? "1048576" : "16777216";
}

Test(lab03_duplex, a_child_killed_mid_conversation_is_reaped_and_reported)
{
    /* Once the child has begun reading the big request, the parent is
     * stopped, the child killed (SIGTERM), and the parent let go: its
     * write fails (EPIPE) or its read sees end of file. Either way it must
     * say so, reap the child, report how it ended, and exit 1. */
    struct peer_kill k = {.sig = SIGTERM, .min_read = 1, .hold = true};
    struct run_result *r = run_killing(
        &k, &quick, (const char *const[]){"duplex", "-s", big_request(), NULL});
    cr_assert(atomic_load(&k.fired),
              "`%s` %s, but its child never read a byte of the request, so "
              "the test could not kill it. Output:\n%.2000s\nHint: "
              "TODO(03.9) to TODO(03.11).",
              r->desc, run_how_ended(r), r->out);
    cr_assert(!r->timed_out && r->signal == 0,
              "`%s` %s after its child was killed: a dead peer must be "
              "noticed (EPIPE with SIGPIPE ignored, or end of file), not "
              "waited for. Output:\n%.2000s\nHint: TODO(03.10): the parent "
              "closes the child's ends, so that only the child holds them.",
              r->desc, run_how_ended(r), r->out);
    expect_line_starting(
        r, "parent: child was killed by signal 15",
        "on every way out, the parent closes its ends, then waits "
        "for the child and reports how it ended: a program that "
        "exits at the first error leaves a zombie and never says "
        "what happened to the child");
    cr_assert(r->exit_code == 1 && strstr(r->err, "duplex: ") != NULL,
              "`%s` %s; expected status 1 and a message on stderr saying "
              "what failed ('duplex: ...'). Stderr:\n%.2000s",
              r->desc, run_how_ended(r), r->err);
    run_free(r);
}

Test(lab03_duplex, a_child_whose_parent_dies_ends_on_its_own)
{
    /* The parent is killed while it sends a big request; the child
     * sees end of file inside the frame (EPROTO) - or, if it already had
     * the request, EPIPE on its reply - says so, and ends. */
    struct peer_kill k = {
        .sig = SIGKILL, .min_read = 100000, .to_program = true};
    struct run_opts o = quick;
    o.allow_leftovers = true; /* the orphan is ours to reap: checked below */
    struct run_result *r = run_killing(
        &k, &o, (const char *const[]){"duplex", "-s", big_request(), NULL});
    cr_assert(atomic_load(&k.fired) && r->signal == SIGKILL,
              "`%s` %s; the test meant to kill it once its child had read "
              "100000 bytes. Output:\n%.2000s\nHint: TODO(03.9) to "
              "TODO(03.11).",
              r->desc, run_how_ended(r), r->out);
    cr_assert(under_valgrind() || k.child_lived < 0.4,
              "The parent was killed mid-request; its child was still "
              "running %.1f s later: an orphan. It must see end of "
              "file or EPIPE and end. Output:\n%.2000s\nHint: TODO(03.10): "
              "the child closes the parent's ends first.",
              k.child_lived, r->out);
    cr_assert(strstr(r->err, "duplex: recv_msg: ") != NULL ||
                  strstr(r->err, "duplex: send_msg: ") != NULL,
              "The request was cut short, but the child did not say so "
              "('duplex: recv_msg: ...' on stderr). Stderr:\n%.2000s\n"
              "Hint: TODO(03.11): recv_msg returning -1 is an error "
              "(die_child), not the end.",
              r->err);
    run_free(r);
}

Test(lab03_duplex, a_child_that_fails_after_its_replies_is_reported)
{
    /* The child answers both requests and sees end of file; only its exit
     * status is 3 instead of 0. */
    struct run_result *r = run_with_failing_child((const char *const[]){
        "duplex", "-m", "socketpair", "one", "two", NULL});
    if (r == NULL)
        return;
    struct seen rep = parse_seen(r->out, "parent: reply ");
    cr_assert(rep.count == 2 && rep.len[0] == 3 &&
                  rep.sum[0] == fnv1a("ONE", 3) && rep.len[1] == 3 &&
                  rep.sum[1] == fnv1a("TWO", 3),
              "`%s`: the child should still answer \"ONE\" and \"TWO\": the "
              "test changed nothing but its exit status. Output:\n%.2000s\n"
              "Hint: TODO(03.9) to TODO(03.11).",
              r->desc, r->out);
    expect_line(r, "parent: no more requests, closing my ends",
                "TODO(03.10): the parent closes its ends after the last reply");
    expect_failed_child_reported(
        r, "parent: child ", "parent: child exited with status 3",
        "reap() is provided code: keep it. It decodes the status waitpid "
        "gives (status_describe: WIFEXITED, then WEXITSTATUS - not the raw "
        "status, 3 << 8 = 768, nor the 0 the child was meant to exit "
        "with), and main exits 1 unless the child's status is status_ok; "
        "TODO(03.10): close the parent's ends, then reap, on every path");
    run_free(r);
}

Test(lab03_duplex, short_reads_and_writes_and_a_failed_fork)
{
    expect_fork_failure_reported("duplex", "the fork is provided code: keep "
                                           "its check");
    if (under_valgrind() || run_sanitizer() != NULL)
        cr_skip_test("the preloaded library that fails fork and shortens "
                     "reads and writes is not used under valgrind or a "
                     "sanitizer");
    static const char *const env[] = {"KIT_SHORT_IO=1", NULL};
    static const char *const modes[] = {"pipes", "socketpair"};
    uint32_t want = generated_checksum(1, 70000, true);
    for (int m = 0; m < 2; m++) {
        struct run_opts o = quick;
        o.perturb = true;
        o.env = env;
        struct run_result *r =
            RUN_WITH(&o, "duplex", "-m", modes[m], "-s", "70000");
        expect_clean_exit(r, "TODO(03.9) to TODO(03.11)");
        struct seen rep = parse_seen(r->out, "parent: reply ");
        cr_assert(rep.count == 1 && rep.len[0] == 70000 && rep.sum[0] == want,
                  "`%s` with every read() and write() cut short: expected one "
                  "70000-byte reply with checksum %08lx. Output:\n%s\nHint: "
                  "the framing (TODO 03.1 to 03.4) must loop over short "
                  "reads and writes, on a socket as on a pipe.",
                  r->desc, (unsigned long)want, r->out);
        run_free(r);
    }
}

Test(lab03_duplex, no_memory_error_or_leak_under_asan)
{
    /* The programs built with AddressSanitizer + UBSan: a buffer overrun
     * or a reply never freed is reported at exit. (The children end with
     * _exit, so only the parents' leaks are seen.) */
    struct run_opts o = quick;
    o.sanitizer = RUN_ASAN;
    o.hint = "the report names the line: a message from recv_msg must be "
             "freed once used (TODO 03.6, 03.11), and every buffer is "
             "len + 1 bytes for the '\\0'";
    static const char *const words[] = {"one", "END", "Three words, here!"};
    struct run_result *r = RUN_WITH(&o, "duplex", "-m", "socketpair", words[0],
                                    words[1], words[2]);
    expect_replies(r, 3, words, "a socketpair", o.hint);
    run_free(r);
    r = RUN_WITH(&o, "sendrecv", "-n", "3", "-s", "5000");
    expect_clean_exit(r, o.hint);
    run_free(r);
}
