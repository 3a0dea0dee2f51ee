/*
 * evfetch.c - fetch N pages from the kit's loopback server on ONE thread,
 * with an event loop (evloop.c); or, to compare, one thread per page or one
 * page after another (blocking.c).
 *
 * Python:  async def fetch(name):
 *              reader, writer = await asyncio.open_connection(host, port)
 *              writer.write(request); body = await reader.read()
 *          asyncio.run(asyncio.gather(*(fetch(n) for n in names)))
 * C:       non-blocking sockets (O_NONBLOCK, connect -> EINPROGRESS), one
 *          poll() loop, each download a state machine (evloop.h).
 *
 * Usage:   evfetch [-n pages] [-d delay_ms] [-t timeout_ms] [-b block_ms]
 *                  [-m loop|threads|serial] [-p port] [-r runs] [-q] [name...]
 *          -n pages    how many pages, page0 .. page<n-1> (default 8)
 *          -d delay    the server waits this long before each reply (200 ms)
 *          -t timeout  each download's deadline, from its start (10000 ms)
 *          -b block    the first page to finish has a handler that blocks
 *                      for this long (a sleep in a callback; default 0)
 *          -m mode     loop (default), threads (one per page), serial
 *          -p port     use the server already on 127.0.0.1:port instead of
 *                      starting one
 *          -r runs     time this many runs (after one warm-up) and report
 *                      the median (default 1: one run, no warm-up)
 *          -q          print only the pages that failed, not every page
 *          name...     fetch these pages instead (e.g. '!stall', '!half')
 *
 * Observe: 8 pages at 200 ms take about 0.2 s on one thread, as many as
 *          you like (-n 10000 -q); with -b 500 every other page finishes
 *          half a second late: while a handler runs, the loop does not.
 * Try:     evfetch -m serial; evfetch -m threads -b 500;
 *          evfetch -d 100 page0 '!close' '!garbage' '!half' '!stall' -t 500
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "blocking.h"
#include "errors.h"
#include "evloop.h"
#include "pageserver.h"
#include "timing.h"

#define USAGE                                                                  \
    "[-n pages] [-d delay_ms] [-t timeout_ms] [-b block_ms] "                  \
    "[-m loop|threads|serial] [-p port] [-r runs] [-q] [name...]"
#define MAX_PAGES 100000
#define SPARE_FDS 32 /* stdio, the server's socket, a directory listing... */

enum mode { MODE_LOOP, MODE_THREADS, MODE_SERIAL };
static const char *const MODE_NAMES[] = {"loop", "threads", "serial"};

struct config {
    long pages, delay_ms, timeout_ms, block_ms, port, runs;
    enum mode mode;
    bool quiet;
    char *const *names; /* NULL: page0 .. page<pages-1> */
};

/* One fetch of every page, what bench_run times. */
struct fetch {
    const struct config *c;
    struct download *dls;
    struct evloop_opts opts;
    atomic_bool blocked; /* a handler has blocked already (-b) */
    long blocker;        /* which page's handler did (-1: none) */
    bool failed_call;    /* evloop_run or fetch_threads failed */
};

static enum mode parse_mode(const char *s)
{
    for (size_t m = 0; m < sizeof MODE_NAMES / sizeof MODE_NAMES[0]; m++)
        if (strcmp(s, MODE_NAMES[m]) == 0)
            return (enum mode)m;
    die_usage(USAGE, "mode: '%s' is not loop, threads or serial", s);
}

static struct config parse_args(int argc, char *argv[])
{
    struct config c = {.pages = 8, .delay_ms = 200, .timeout_ms = 10000};
    c.runs = 1;
    bool pages_given = false;
    int opt;
    while ((opt = getopt(argc, argv, "n:d:t:b:m:p:r:q")) != -1) {
        switch (opt) {
        case 'n':
            c.pages = arg_long(optarg, 1, MAX_PAGES, "pages", USAGE);
            pages_given = true;
            break;
        case 'd':
            c.delay_ms =
                arg_long(optarg, 0, PAGESERVER_DELAY_MAX, "delay_ms", USAGE);
            break;
        case 't':
            c.timeout_ms = arg_long(optarg, 1, 600000, "timeout_ms", USAGE);
            break;
        case 'b':
            c.block_ms = arg_long(optarg, 0, 60000, "block_ms", USAGE);
            break;
        case 'm':
            c.mode = parse_mode(optarg);
            break;
        case 'p':
            c.port = arg_long(optarg, 1, 65535, "port", USAGE);
            break;
        case 'r':
            c.runs = arg_long(optarg, 1, 100, "runs", USAGE);
            break;
        case 'q':
            c.quiet = true;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind < argc) {
        if (pages_given)
            die_usage(USAGE, "give -n or page names, not both");
        if (argc - optind > MAX_PAGES)
            die_usage(USAGE, "at most %d page names", MAX_PAGES);
        c.names = argv + optind;
        c.pages = argc - optind;
        for (long i = 0; i < c.pages; i++)
            if (strlen(c.names[i]) == 0 ||
                strlen(c.names[i]) > PAGESERVER_NAME_MAX)
                die_usage(USAGE, "page name '%s': 1 to %d characters",
                          c.names[i], PAGESERVER_NAME_MAX);
    }
    return c;
}

/* One socket per page at once needs that many descriptors: raise the soft
 * limit (which any process may do, up to the hard limit) if it is lower. */
static void raise_fd_limit(const struct config *c)
{
    rlim_t need = SPARE_FDS + (c->mode == MODE_SERIAL ? 1 : (rlim_t)c->pages);
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == -1)
        die("getrlimit");
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur >= need)
        return;
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < need)
        die_msg("%ld pages at once need about %llu descriptors, more than the "
                "hard limit of %llu allows (ulimit -Hn; only root can raise "
                "it): fetch fewer pages",
                c->pages, (unsigned long long)need,
                (unsigned long long)lim.rlim_max);
    rlim_t old = lim.rlim_cur;
    lim.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &lim) == -1)
        die("setrlimit");
    printf("descriptors: soft limit raised from %llu to %llu (hard limit "
           "%llu)\n",
           (unsigned long long)old, (unsigned long long)need,
           (unsigned long long)lim.rlim_max);
}

/* The open descriptors of this process (a leak shows as a difference). */
static int count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL)
        die("opendir /proc/self/fd");
    int n = 0;
    errno = 0;
    while (readdir(dir) != NULL)
        n++;
    if (errno != 0)
        die("readdir /proc/self/fd");
    if (closedir(dir) == -1)
        die("closedir");
    return n - 3; /* ".", ".." and the listing's own descriptor */
}

/* Peak resident memory (RSS) of this process so far, KiB. */
static long peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == -1)
        die("getrusage");
    return ru.ru_maxrss;
}

/* Peak virtual memory (VmPeak in /proc/self/status), KiB. */
static long peak_virtual_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        die("fopen /proc/self/status");
    char line[256];
    long kb = -1;
    while (kb == -1 && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmPeak:", 7) == 0)
            kb = strtol(line + 7, NULL, 10); /* "VmPeak:   12345 kB" */
    if (fclose(f) == EOF)
        die("fclose /proc/self/status");
    return kb;
}

static uint32_t fnv1a(const char *p, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* Each download's handler, when it finished: check the body against the
 * page the server must have sent. With -b, the first page's handler also
 * blocks (a sleep standing for any slow work done in a callback). */
static void on_finish(struct download *d, void *arg)
{
    struct fetch *f = arg;
    if (d->state != DL_DONE)
        return;
    char expect[PAGESERVER_BODY_LEN];
    pageserver_body(d->name, expect, sizeof expect);
    if (d->body_len != PAGESERVER_BODY_LEN ||
        memcmp(d->in + d->body_start, expect, sizeof expect) != 0) {
        d->state = DL_FAILED;
        (void)snprintf(d->error, sizeof d->error,
                       "wrong body: %zu bytes that are not the page",
                       d->body_len);
        return;
    }
    if (f->c->block_ms > 0 && !atomic_exchange(&f->blocked, true)) {
        f->blocker = d - f->dls;
        timing_sleep((double)f->c->block_ms / 1000.0);
    }
}

/* One run: every page from the start (bench_run's work). */
static void fetch_all(void *arg)
{
    struct fetch *f = arg;
    const struct config *c = f->c;
    char name[PAGESERVER_NAME_MAX + 1];
    for (long i = 0; i < c->pages; i++) {
        if (c->names == NULL)
            (void)snprintf(name, sizeof name, "page%ld", i);
        if (download_init(&f->dls[i], c->names ? c->names[i] : name,
                          (int)c->delay_ms) == -1)
            die_msg("page %ld: a name of 1 to %d characters", i,
                    PAGESERVER_NAME_MAX);
    }
    atomic_store(&f->blocked, false);
    f->blocker = -1;
    size_t n = (size_t)c->pages;
    if (c->mode == MODE_LOOP && evloop_run(f->dls, n, &f->opts) == -1) {
        warn_errno("evloop_run");
        f->failed_call = true;
    } else if (c->mode == MODE_THREADS &&
               fetch_threads(f->dls, n, &f->opts) == -1) {
        warn_errno("fetch_threads");
        f->failed_call = true;
    } else if (c->mode == MODE_SERIAL) {
        fetch_serial(f->dls, n, &f->opts);
    }
}

/* One line per page (with -q only the failed ones); returns how many are
 * ok. Times are from the start of the run. */
static long print_pages(const struct fetch *f, double t0)
{
    long ok = 0;
    for (long i = 0; i < f->c->pages; i++) {
        const struct download *d = &f->dls[i];
        double done = d->finished - t0;
        if (d->state == DL_DONE) {
            ok++;
            if (!f->c->quiet)
                printf("page %ld %s ok bytes %zu fnv1a %08x done %.3f s%s\n", i,
                       d->name, d->body_len,
                       fnv1a(d->in + d->body_start, d->body_len), done,
                       i == f->blocker ? " (then its handler blocked)" : "");
        } else {
            printf("page %ld %s FAILED done %.3f s: %s\n", i, d->name, done,
                   d->state == DL_FAILED ? d->error : "never finished");
        }
    }
    return ok;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* When the pages finished: first, median, last (from the start). */
static void print_done_times(const struct fetch *f, double t0)
{
    size_t n = (size_t)f->c->pages;
    double *t = malloc(n * sizeof *t);
    if (t == NULL)
        die("malloc");
    for (size_t i = 0; i < n; i++)
        t[i] = f->dls[i].finished - t0;
    qsort(t, n, sizeof *t, compare_doubles);
    printf("done times: first %.3f s, median %.3f s, last %.3f s\n", t[0],
           t[n / 2], t[n - 1]);
    free(t);
}

static void print_banner(const struct config *c, int port)
{
    static const char *const how[] = {"event loop (poll, one thread)",
                                      "one thread per page",
                                      "one page after another"};
    char machine[128];
    bench_machine(machine, sizeof machine);
    printf("evfetch: %ld pages, delay %ld ms, timeout %ld ms, %s, server "
           "127.0.0.1:%d\nmachine: %s\n",
           c->pages, c->delay_ms, c->timeout_ms, how[c->mode], port, machine);
    if (c->block_ms > 0)
        printf("blocking: the first page to finish has a handler that blocks "
               "for %ld ms\n",
               c->block_ms);
    if (fflush(stdout) == EOF)
        die("fflush");
}

/* Time the runs; print the pages of the last one and what they cost. */
static long measure(struct fetch *f)
{
    const struct config *c = f->c;
    int fds = count_fds();
    long rss0 = peak_rss_kb(), vm0 = peak_virtual_kb();
    f->dls = calloc((size_t)c->pages, sizeof *f->dls);
    if (f->dls == NULL)
        die("calloc");
    struct bench_result r;
    bench_run(fetch_all, f, c->runs > 1 ? 1 : 0, (int)c->runs, true, &r);
    long rss = peak_rss_kb() - rss0, vm = peak_virtual_kb() - vm0;
    double t0 = f->dls[0].started; /* the first download's start */
    for (long i = 1; i < c->pages; i++)
        if (f->dls[i].started < t0 && f->dls[i].started > 0)
            t0 = f->dls[i].started;
    long ok = print_pages(f, t0);
    print_done_times(f, t0);
    printf("time: %.3f s, median of %d run%s (%.3f..%.3f), cpu %.3f s; the "
           "delays one after another: %.3f s\n",
           r.median, r.runs, r.runs == 1 ? "" : "s", r.min, r.max, r.cpu_median,
           (double)(c->pages * c->delay_ms) / 1000.0);
    printf("memory: peak RSS +%ld KiB for %ld pages (%.1f KiB each), peak "
           "virtual +%ld KiB (%.1f KiB each)\n",
           rss, c->pages, (double)rss / (double)c->pages, vm,
           (double)vm / (double)c->pages);
    free(f->dls);
    printf("descriptors: %d open before the downloads, %d after\n", fds,
           count_fds());
    return ok;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct config c = parse_args(argc, argv);
    /* A server that closes while we write would raise SIGPIPE, which ends
     * the process: take EPIPE instead, as a failed write of one page. */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    if (sigemptyset(&ign.sa_mask) == -1 || sigaction(SIGPIPE, &ign, NULL) == -1)
        die("sigaction");
    raise_fd_limit(&c);
    struct pageserver srv = {.pid = -1, .port = (int)c.port};
    if (c.port == 0 && pageserver_start(&srv, 0) == -1)
        die("pageserver_start");
    print_banner(&c, srv.port);
    struct fetch f = {.c = &c};
    f.opts = (struct evloop_opts){.port = srv.port,
                                  .timeout_ms = (int)c.timeout_ms,
                                  .on_finish = on_finish,
                                  .arg = &f};
    long ok = measure(&f);
    if (srv.pid != -1 && pageserver_stop(&srv) == -1)
        die("pageserver_stop");
    printf("result: %ld of %ld pages ok\n", ok, c.pages);
    return ok == c.pages && !f.failed_call ? EXIT_SUCCESS : EXIT_FAILURE;
}
