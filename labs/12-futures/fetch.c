/*
 * fetch.c - the seeds' downloads through an executor: one future per page,
 * fetched from the kit's loopback page server, a callback for progress,
 * the first page done, then every page's answer or error.
 *
 * Python:  with ThreadPoolExecutor(max_workers=8) as ex:
 *              fs = [ex.submit(download, url) for url in urls]
 *              for f in fs: f.add_done_callback(progress)
 *              done, _ = wait(fs, return_when=FIRST_COMPLETED)
 *              for f in fs: print(f.result())       (or its exception)
 * C:       executor_submit / future_add_done_callback / futures_wait_any /
 *          future_result (futures.h); the "internet" is a server on
 *          127.0.0.1 that this program starts (common/pageserver.h) and
 *          that answers each request after the delay it is told.
 *
 * Usage:   fetch [-w threads] [-n pages] [-d delay_ms] [-t timeout_ms]
 *                [-r runs] [name ...]                   (-h: this usage)
 *          -w threads    executor threads, 1..64 (default 8)
 *          -n pages      pages page0, page1, ... (default 8; no names given)
 *          -d delay_ms   the server's delay per page (default 200)
 *          -t timeout_ms a page not answered by then fails (default 2000)
 *          -r runs       also time 1 thread against -w threads, median of
 *                        runs (1..20) after one warm-up (bench helper)
 *          name ...      the pages; !close, !garbage, !half and !stall make
 *                        the server misbehave (each page then fails)
 *
 * Exit status: 0 if every page arrived intact, 1 otherwise.
 * Observe: 8 pages of 200 ms on 8 threads take about 0.2 s, not 1.6 s:
 *          the threads wait at the same time (-r 3 measures it).
 * Try:     fetch -w 2; fetch -t 500 page0 !close !garbage !half !stall
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "futures.h"
#include "io.h"
#include "pageserver.h"

#define USAGE                                                                  \
    "[-w threads] [-n pages] [-d delay_ms] [-t timeout_ms] "                   \
    "[-r runs] [name ...]"
#define MAX_PAGES 256
#define MAX_BODY ((size_t)64 * PAGESERVER_BODY_LEN)

/* One page to fetch: what the task gets. */
struct page {
    char name[PAGESERVER_NAME_MAX + 1];
    int port;
    long delay_ms, timeout_ms;
};

struct options {
    int threads, runs;
    long delay_ms, timeout_ms;
    size_t n;
    struct page pages[MAX_PAGES];
};

/* A reply's header, "OK <len>\n", read a byte at a time (it is short).
 * Returns 0 and the length, or an error number. */
static int read_header(int fd, size_t *len)
{
    char line[32];
    size_t used = 0;
    for (;;) {
        ssize_t got = read(fd, &line[used], 1);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1)
            return errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
        if (got == 0)
            return ECONNRESET; /* closed without (all of) a reply */
        if (line[used] == '\n')
            break;
        if (++used == sizeof line - 1)
            return EPROTO;
    }
    line[used] = '\0';
    char *end;
    if (strncmp(line, "OK ", 3) != 0 || line[3] < '0' || line[3] > '9')
        return EPROTO;
    unsigned long n = strtoul(line + 3, &end, 10);
    if (*end != '\0' || n > MAX_BODY)
        return EPROTO;
    *len = n;
    return 0;
}

/* Read the body and compare it with what the server must have sent. */
static int read_body(int fd, const char *name, size_t len)
{
    static _Thread_local char got[MAX_BODY], want[MAX_BODY];
    ssize_t n = io_read_all(fd, got, len);
    if (n == -1)
        return errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
    if ((size_t)n < len)
        return ECONNRESET; /* closed half-way */
    pageserver_body(name, want, len);
    return memcmp(got, want, len) == 0 ? 0 : EBADMSG;
}

/* The task: fetch one page. value = its length in bytes. */
static int fetch_page(void *arg, int64_t *value)
{
    const struct page *p = arg;
    int fd = pageserver_connect(p->port);
    if (fd == -1)
        return errno;
    struct timeval tv = {.tv_sec = p->timeout_ms / 1000,
                         .tv_usec = p->timeout_ms % 1000 * 1000};
    char request[128];
    int len =
        snprintf(request, sizeof request, "GET %s %ld\n", p->name, p->delay_ms);
    size_t body = 0;
    int err = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1 ||
        io_write_all(fd, request, (size_t)len) == -1)
        err = errno;
    if (err == 0 && (err = read_header(fd, &body)) == 0 &&
        (err = read_body(fd, p->name, body)) == 0)
        *value = (int64_t)body;
    if (close(fd) == -1 && err == 0)
        err = errno;
    return err;
}

static atomic_int ndone; /* pages done so far, for the progress lines */

/* Run by the thread that completes the page's future. */
static void progress(struct future *f, void *arg)
{
    const struct options *o = arg;
    int k = atomic_fetch_add(&ndone, 1) + 1;
    printf("done: %s (%d of %zu)\n", o->pages[future_id(f)].name, k, o->n);
}

/* Fetch every page; print the first done and every answer. Returns how
 * many pages failed. */
static size_t fetch_all(struct options *o, bool quiet)
{
    struct executor *ex = executor_create(o->threads);
    if (ex == NULL)
        die("executor_create");
    struct future *fs[MAX_PAGES];
    for (size_t i = 0; i < o->n; i++) {
        if ((fs[i] = executor_submit(ex, fetch_page, &o->pages[i])) == NULL)
            die("executor_submit");
        int err = quiet ? 0 : future_add_done_callback(fs[i], progress, o);
        if (err != 0) /* no progress line then; the page is still fetched */
            (void)fprintf(stderr, "fetch: future_add_done_callback: %s\n",
                          strerror(err));
    }
    size_t first = futures_wait_any(fs, o->n), failed = 0;
    if (!quiet)
        printf("first done: %s\n", o->pages[first].name);
    for (size_t i = 0; i < o->n; i++) {
        int64_t bytes = 0;
        int err = future_result(fs[i], &bytes);
        failed += err != 0;
        if (quiet)
            continue;
        if (err == 0)
            printf("%s: %lld bytes, as sent\n", o->pages[i].name,
                   (long long)bytes);
        else
            printf("%s: failed: %s\n", o->pages[i].name, strerror(err));
    }
    if (executor_shutdown(ex, false) == -1)
        die("executor_shutdown");
    return failed;
}

static void timed_fetch(void *arg)
{
    (void)fetch_all(arg, true);
}

/* One thread against o->threads, median of o->runs after one warm-up. */
static void compare_times(struct options *o)
{
    char machine[128];
    bench_machine(machine, sizeof machine);
    struct bench_result one, many;
    int threads = o->threads;
    o->threads = 1;
    bench_run(timed_fetch, o, 1, o->runs, false, &one);
    o->threads = threads;
    bench_run(timed_fetch, o, 1, o->runs, false, &many);
    printf("machine: %s; %zu pages of %ld ms, median of %d runs (min..max)\n",
           machine, o->n, o->delay_ms, o->runs);
    printf("executor,  1 thread  %.3f s (%.3f..%.3f)\n", one.median, one.min,
           one.max);
    printf("executor, %2d threads %.3f s (%.3f..%.3f)  %.1fx faster\n", threads,
           many.median, many.min, many.max, one.median / many.median);
}

static void parse_args(int argc, char *argv[], struct options *o)
{
    *o = (struct options){
        .threads = 8, .delay_ms = 200, .timeout_ms = 2000, .n = 8};
    int c;
    while ((c = getopt(argc, argv, "w:n:d:t:r:")) != -1) {
        if (c == 'w')
            o->threads = (int)arg_long(optarg, 1, 64, "threads", USAGE);
        else if (c == 'n')
            o->n = (size_t)arg_long(optarg, 1, MAX_PAGES, "pages", USAGE);
        else if (c == 'd')
            o->delay_ms = arg_long(optarg, 0, 60000, "delay_ms", USAGE);
        else if (c == 't')
            o->timeout_ms = arg_long(optarg, 1, 600000, "timeout_ms", USAGE);
        else if (c == 'r')
            o->runs = (int)arg_long(optarg, 1, 20, "runs", USAGE);
        else
            die_bad_option(USAGE);
    }
    if (argc - optind > MAX_PAGES)
        die_usage(USAGE, "at most %d names", MAX_PAGES);
    if (optind < argc)
        o->n = (size_t)(argc - optind);
    for (size_t i = 0; i < o->n; i++) {
        struct page *p = &o->pages[i];
        const char *name = optind < argc ? argv[optind + (int)i] : NULL;
        if (name != NULL &&
            (strlen(name) == 0 || strlen(name) > PAGESERVER_NAME_MAX ||
             strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh"
                          "ijklmnopqrstuvwxyz0123456789_.!-") != strlen(name)))
            die_usage(USAGE, "bad page name '%s' (1-%d of A-Za-z0-9_.!-)", name,
                      PAGESERVER_NAME_MAX);
        if (name != NULL)
            (void)snprintf(p->name, sizeof p->name, "%s", name);
        else
            (void)snprintf(p->name, sizeof p->name, "page%zu", i);
        p->delay_ms = o->delay_ms;
        p->timeout_ms = o->timeout_ms;
    }
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct options o;
    parse_args(argc, argv, &o);
    /* A server that closes early must not end us with SIGPIPE. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        die("signal");
    struct pageserver srv;
    if (pageserver_start(&srv, 0) == -1)
        die("pageserver_start");
    for (size_t i = 0; i < o.n; i++)
        o.pages[i].port = srv.port;
    printf("%zu pages of %ld ms from the loopback server, an executor of %d "
           "threads\n",
           o.n, o.delay_ms, o.threads);
    size_t failed = fetch_all(&o, false);
    printf("%zu of %zu pages arrived intact\n", o.n - failed, o.n);
    if (o.runs > 0 && failed == 0)
        compare_times(&o);
    if (pageserver_stop(&srv) == -1)
        die("pageserver_stop");
    return failed == 0 ? 0 : 1;
}
