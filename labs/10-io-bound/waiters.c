/*
 * waiters.c - what one waiter costs: start 8, 64, 512 ... threads, then
 * as many processes, each waiting for its own slow page, and measure how
 * long each took to start and how much memory each holds while it waits.
 *
 * Python:  "threads are cheaper than processes" (less memory, faster to
 *          create), said in the lecture's table of processes vs threads.
 * C:       the same group of waiters as fetch (group.c); the start time is
 *          the loop of pthread_create or fork, divided by the count; the
 *          memory is read from /proc while every waiter waits: for
 *          threads, how much the process's resident set (VmRSS) grew; for
 *          processes, the private memory of each child (Private_Clean +
 *          Private_Dirty in /proc/PID/smaps_rollup: the pages the child
 *          does not share with its parent). Neither counts the kernel's own
 *          memory per waiter (its stack, its task struct, page tables).
 *          Each count runs a few times: median (min..max), common/bench.h.
 *
 * Usage:   waiters [-n counts] [-d delay] [-t timeout] [-m mode] [-r runs]
 *                  [-p port] [-h]
 *          -n counts   waiter counts, e.g. 8,64,512 (default), 1..20000
 *          -d delay    each waiter's page comes after this long, in ms,
 *                      10..60000 (default 500): long enough for every
 *                      waiter to be started and measured while it waits
 *          -t timeout  a waiter gives up after this long without a byte,
 *                      in ms, 1..600000 (default 10000)
 *          -m mode     all (default), threads or processes
 *          -r runs     runs per count and kind, 1..100 (default 3)
 *          -p port     use the page server already on this port
 *
 * Observe: a thread starts several times faster than a process and holds
 *          a fraction of its memory; both grow linearly with the count.
 *          Past a few thousand, processes hit the limits first.
 * Try:     waiters -n 8,512,2048 -r 1; waiters -m threads -n 10000 -r 1
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "group.h"
#include "pageserver.h"
#include "timing.h"

#define USAGE                                                                  \
    "[-n counts] [-d delay] [-t timeout] [-m mode] [-r runs] [-p port] [-h]"
#define MAX_COUNTS 16
#define MAX_WAITERS 20000
#define MAX_RUNS 100

struct options {
    long counts[MAX_COUNTS];
    int ncounts, delay_ms, timeout_ms, runs, port;
    bool threads, processes;
};

/* One count and kind, every run: start time and memory per waiter. */
struct sample {
    double start_us[MAX_RUNS], mem_kib[MAX_RUNS], total_s[MAX_RUNS];
};

static struct pageserver server;
static pid_t server_owner;

static void stop_server(void)
{
    if (server.pid > 0 && getpid() == server_owner) {
        if (pageserver_stop(&server) == -1)
            warn_errno("pageserver_stop");
        server.pid = 0;
    }
}

static struct options parse_args(int argc, char *argv[])
{
    struct options o = {{8, 64, 512}, 3, 500, 10000, 3, 0, true, true};
    int opt;
    while ((opt = getopt(argc, argv, "n:d:t:m:r:p:")) != -1) {
        switch (opt) {
        case 'n':
            o.ncounts = bench_parse_list(optarg, 1, MAX_WAITERS, o.counts,
                                         MAX_COUNTS, "counts", USAGE);
            break;
        case 'd':
            o.delay_ms = (int)arg_long(optarg, 10, 60000, "delay", USAGE);
            break;
        case 't':
            o.timeout_ms = (int)arg_long(optarg, 1, 600000, "timeout", USAGE);
            break;
        case 'm':
            o.threads =
                strcmp(optarg, "all") == 0 || strcmp(optarg, "threads") == 0;
            o.processes =
                strcmp(optarg, "all") == 0 || strcmp(optarg, "processes") == 0;
            if (!o.threads && !o.processes)
                die_usage(USAGE,
                          "mode: '%s' is not all, threads or "
                          "processes",
                          optarg);
            break;
        case 'r':
            o.runs = (int)arg_long(optarg, 1, MAX_RUNS, "runs", USAGE);
            break;
        case 'p':
            o.port = (int)arg_long(optarg, 1, 65535, "port", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind < argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return o;
}

/* One waiter holds a socket: a process of N thread waiters needs N
 * descriptors. Raise the soft limit as far as the hard limit allows. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
        die("getrlimit");
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
        die("setrlimit");
}

/* The sum of the "<key> <n> kB" lines of a /proc file whose key starts
 * with one of keys, in KiB; -1 if it cannot be read. */
static long proc_kib(const char *path, const char *const keys[], int nkeys)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[256];
    long total = 0, value;
    while (fgets(line, sizeof line, f) != NULL) {
        for (int k = 0; k < nkeys; k++) {
            size_t len = strlen(keys[k]);
            char *end;
            if (strncmp(line, keys[k], len) != 0)
                continue;
            value = strtol(line + len, &end, 10);
            if (end != line + len)
                total += value;
        }
    }
    if (fclose(f) == EOF)
        return -1;
    return total;
}

static long self_rss_kib(void)
{
    static const char *const keys[] = {"VmRSS:"};
    long kib = proc_kib("/proc/self/status", keys, 1);
    if (kib == -1)
        die("/proc/self/status");
    return kib;
}

/* The private memory of the children of the group, in KiB per child,
 * over the children still there (one that has got its page and left
 * already is skipped); -1 if none was. */
static double children_private_kib(const struct group *g)
{
    static const char *const keys[] = {"Private_Clean:", "Private_Dirty:"};
    long total = 0;
    int measured = 0;
    for (int i = 0; i < g->n; i++) {
        char path[64];
        (void)snprintf(path, sizeof path, "/proc/%d/smaps_rollup",
                       (int)g->pids[i]);
        long kib = proc_kib(path, keys, 2);
        if (kib == -1 && errno != ENOENT && errno != ESRCH)
            die(path);
        if (kib >= 0) {
            total += kib;
            measured++;
        }
    }
    return measured > 0 ? (double)total / measured : -1.0;
}

/* Start n waiters of kind, measure them while they wait, wait for them;
 * fill run k of s. Exits 1 if a page failed. */
static void measure_once(const struct options *o, enum group_kind kind,
                         struct page_job *jobs, int n, struct sample *s, int k)
{
    long rss_before = self_rss_kib();
    double t0 = timing_now();
    struct group g;
    if (group_start(&g, kind, jobs, n) == -1)
        die(kind == GROUP_THREADS ? "pthread_create" : "fork");
    double t1 = timing_now();
    /* Give the last waiters started time to send their request and
     * block: a tenth of the delay (every page comes after a whole). */
    timing_sleep(o->delay_ms / 10000.0);
    double kib = kind == GROUP_THREADS
                     ? (double)(self_rss_kib() - rss_before) / n
                     : children_private_kib(&g);
    if (group_finish(&g) == -1)
        die(kind == GROUP_THREADS ? "pthread_join" : "waitpid");
    s->start_us[k] = (t1 - t0) * 1e6 / n;
    s->mem_kib[k] = kib;
    s->total_s[k] = timing_now() - t0;
    for (int i = 0; i < n; i++)
        if (!jobs[i].result.ok)
            die_msg("%d %s: waiter %d (page %s): %s", n,
                    kind == GROUP_THREADS ? "threads" : "processes", i + 1,
                    jobs[i].name, jobs[i].result.error);
}

/* Print one row: count, kind, then median (min..max) of each column. */
static void print_row(int n, const char *kind, int runs, struct sample *s)
{
    double *cols[] = {s->start_us, s->mem_kib, s->total_s};
    printf("%7d  %-9s", n, kind);
    for (int c = 0; c < 3; c++) {
        double lo = cols[c][0], hi = cols[c][0];
        for (int k = 1; k < runs; k++) {
            lo = cols[c][k] < lo ? cols[c][k] : lo;
            hi = cols[c][k] > hi ? cols[c][k] : hi;
        }
        double med = bench_median(cols[c], (size_t)runs);
        printf(c == 2 ? "  %6.2f (%.2f..%.2f)" : "  %7.1f (%.1f..%.1f)", med,
               lo, hi);
    }
    printf("\n");
    (void)fflush(stdout);
}

/* Every run of n waiters of one kind, then its row of the table. */
static void measure_count(const struct options *o, enum group_kind kind, int n,
                          char (*names)[16])
{
    struct page_job *jobs = calloc((size_t)n, sizeof *jobs);
    static struct sample s;
    if (jobs == NULL)
        die("calloc");
    for (int i = 0; i < n; i++) {
        (void)snprintf(names[i], sizeof names[i], "w-%d", i + 1);
        jobs[i] = (struct page_job){
            names[i], server.port, o->delay_ms, o->timeout_ms, {0}};
    }
    for (int k = 0; k < o->runs; k++)
        measure_once(o, kind, jobs, n, &s, k);
    print_row(n, kind == GROUP_THREADS ? "threads" : "processes", o->runs, &s);
    free(jobs);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct options o = parse_args(argc, argv);
    raise_fd_limit();
    if (o.port != 0) {
        server.port = o.port;
    } else {
        if (pageserver_start(&server, 0) == -1)
            die("pageserver_start");
        server_owner = getpid();
        if (atexit(stop_server) != 0)
            die_msg("atexit failed");
    }
    char machine[128];
    bench_machine(machine, sizeof machine);
    printf("machine: %s\n", machine);
    printf("each waiter fetches one page that takes %d ms; median of %d "
           "runs (min..max)\n",
           o.delay_ms, o.runs);
    printf("waiters  kind       start us/waiter       memory KiB/waiter    "
           "all done s\n");
    static char names[MAX_WAITERS][16];
    /* Processes first: a thread that has ended leaves its stack cached in
     * the process, and a fork after it would copy that too. */
    for (int c = 0; c < o.ncounts && o.processes; c++)
        measure_count(&o, GROUP_PROCESSES, (int)o.counts[c], names);
    for (int c = 0; c < o.ncounts && o.threads; c++)
        measure_count(&o, GROUP_THREADS, (int)o.counts[c], names);
    stop_server();
    return 0;
}
