/*
 * fetch.c - the course's download example without the internet: fetch N
 * pages that each take a while to come, one after another, then with N
 * threads, then with N processes, and compare the times.
 *
 * Python:  for url in urls: download(url), then the same with one
 *          threading.Thread per url, started and joined; the threads
 *          finish in about the time of the slowest download.
 * C:       the kit's page server (common/pageserver.h) runs on 127.0.0.1
 *          and answers each request after the delay it asks for: that
 *          delay is the "network". page.c fetches one page and checks it;
 *          group.c starts N threads (pthread_create/pthread_join) or N
 *          processes (fork, a pipe for the results, waitpid). Each mode
 *          runs a few times (common/bench.h): median, minimum, maximum.
 *
 * Usage:   fetch [-n pages] [-d delay] [-t timeout] [-m mode] [-r runs]
 *                [-p port] [-o file] [-h] [name ...]
 *          -n pages    how many pages, 1..1000 (default 8), named
 *                      page-1, page-2, ...; or name the pages instead
 *          -d delay    the server waits this long per page, in ms,
 *                      0..60000 (default 200)
 *          -t timeout  give up a page after this long without a byte, in
 *                      ms, 1..600000 (default 5000)
 *          -m mode     all (default), serial, threads or processes
 *          -r runs     timed runs per mode, 1..100 (default 3)
 *          -p port     use the page server already on this port of
 *                      127.0.0.1 instead of starting one
 *          -o file     also write the times to file for gnuplot
 *          name ...    the pages to fetch; "!close", "!garbage", "!half"
 *                      and "!stall" make the server misbehave
 *
 * Observe: 8 pages at 200 ms take 1.6 s one after another, and about
 *          0.2 s with 8 threads or 8 processes, on any number of cores:
 *          the waiter does not need a core while it waits. A page that
 *          fails is an error for that page (exit status 1), not a crash.
 * Try:     fetch -n 32 -d 100; fetch page-1 '!half' page-3;
 *          fetch -t 500 '!stall'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "group.h"
#include "pageserver.h"

#define USAGE                                                                  \
    "[-n pages] [-d delay] [-t timeout] [-m mode] [-r runs] [-p port] "        \
    "[-o file] [-h] [name ...]"
#define MAX_PAGES 1000

enum mode { SERIAL, THREADS, PROCESSES, MODES };
static const char *const mode_names[MODES] = {"serial", "threads", "processes"};

struct options {
    int pages, delay_ms, timeout_ms, runs, port;
    bool modes[MODES];
    const char *data_file;
    char *const *names; /* NULL: page-1 ... page-N */
};

/* One mode, as bench_run calls it. */
struct measure {
    enum mode mode;
    struct page_job *jobs;
    int n;
    int failed; /* pages that failed in the last run */
};

static struct pageserver server; /* ours, if we started one (pid > 0) */
static pid_t server_owner;

/* Stop our server on every way out of main, die() too. */
static void stop_server(void)
{
    if (server.pid > 0 && getpid() == server_owner) {
        if (pageserver_stop(&server) == -1)
            warn_errno("pageserver_stop");
        server.pid = 0;
    }
}

static bool valid_name(const char *s)
{
    size_t len = strlen(s);
    return len >= 1 && len <= PAGE_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_.!-") == len;
}

static void parse_mode(const char *s, struct options *o)
{
    bool all = strcmp(s, "all") == 0;
    for (int m = 0; m < MODES; m++)
        o->modes[m] = all || strcmp(s, mode_names[m]) == 0;
    if (!all && !o->modes[SERIAL] && !o->modes[THREADS] && !o->modes[PROCESSES])
        die_usage(USAGE,
                  "mode: '%s' is not all, serial, threads or "
                  "processes",
                  s);
}

static struct options parse_args(int argc, char *argv[])
{
    struct options o = {8, 200, 5000, 3, 0, {true, true, true}, NULL, NULL};
    int opt;
    while ((opt = getopt(argc, argv, "n:d:t:m:r:p:o:")) != -1) {
        switch (opt) {
        case 'n':
            o.pages = (int)arg_long(optarg, 1, MAX_PAGES, "pages", USAGE);
            break;
        case 'd':
            o.delay_ms = (int)arg_long(optarg, 0, 60000, "delay", USAGE);
            break;
        case 't':
            o.timeout_ms = (int)arg_long(optarg, 1, 600000, "timeout", USAGE);
            break;
        case 'm':
            parse_mode(optarg, &o);
            break;
        case 'r':
            o.runs = (int)arg_long(optarg, 1, 100, "runs", USAGE);
            break;
        case 'p':
            o.port = (int)arg_long(optarg, 1, 65535, "port", USAGE);
            break;
        case 'o':
            o.data_file = optarg;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind < argc) {
        if (argc - optind > MAX_PAGES)
            die_usage(USAGE, "at most %d pages", MAX_PAGES);
        for (int i = optind; i < argc; i++)
            if (!valid_name(argv[i]))
                die_usage(USAGE,
                          "page name '%s': want 1 to %d of "
                          "[A-Za-z0-9_.!-]",
                          argv[i], PAGE_NAME_MAX);
        o.names = argv + optind;
        o.pages = argc - optind;
    }
    return o;
}

/* The jobs: one per page, all to the same server. names holds the
 * generated names (page-1, ...) when none were given. */
static struct page_job *make_jobs(const struct options *o, char (*names)[24])
{
    struct page_job *jobs = calloc((size_t)o->pages, sizeof *jobs);
    if (jobs == NULL)
        die("calloc");
    for (int i = 0; i < o->pages; i++) {
        (void)snprintf(names[i], sizeof names[i], "page-%d", i + 1);
        jobs[i].name = o->names != NULL ? o->names[i] : names[i];
        jobs[i].port = server.port;
        jobs[i].delay_ms = o->delay_ms;
        jobs[i].timeout_ms = o->timeout_ms;
    }
    return jobs;
}

/* One run of one mode: every page, then count the failures. */
static void run_mode(void *arg)
{
    struct measure *m = arg;
    if (m->mode == SERIAL) {
        fetch_serially(m->jobs, m->n);
    } else {
        struct group g;
        enum group_kind kind =
            m->mode == THREADS ? GROUP_THREADS : GROUP_PROCESSES;
        if (group_start(&g, kind, m->jobs, m->n) == -1)
            die(kind == GROUP_THREADS ? "pthread_create" : "fork");
        if (group_finish(&g) == -1)
            die(kind == GROUP_THREADS ? "pthread_join" : "waitpid");
    }
    m->failed = 0;
    for (int i = 0; i < m->n; i++)
        m->failed += !m->jobs[i].result.ok;
}

/* What the last run of a mode fetched, a line per page; a failed page
 * also goes to stderr. */
static void print_pages(const struct measure *m)
{
    const char *mode = mode_names[m->mode];
    for (int i = 0; i < m->n; i++) {
        const struct page_job *j = &m->jobs[i];
        if (j->result.ok) {
            printf("%-9s  %-10s  %zu bytes  fnv %08x  ok\n", mode, j->name,
                   j->result.len, (unsigned)j->result.hash);
        } else {
            printf("%-9s  %-10s  FAILED: %s\n", mode, j->name, j->result.error);
            (void)fflush(stdout);
            (void)fprintf(stderr, "%s: %s: page %s: %s\n", errors_progname(),
                          mode, j->name, j->result.error);
        }
    }
}

/* Run every chosen mode; print its pages, then the table of times.
 * Returns the number of pages that failed, over every mode. */
static int measure_modes(const struct options *o, struct page_job *jobs,
                         FILE *data)
{
    struct bench_result r[MODES];
    int failed[MODES] = {0}, total = 0;
    for (int m = 0; m < MODES; m++) {
        if (!o->modes[m])
            continue;
        struct measure me = {(enum mode)m, jobs, o->pages, 0};
        bench_run(run_mode, &me, 0, o->runs, false, &r[m]);
        print_pages(&me);
        failed[m] = me.failed;
        total += me.failed;
        if (data != NULL)
            bench_data_row(data, mode_names[m], m == SERIAL ? 1 : o->pages,
                           &r[m]);
    }
    char machine[128];
    bench_machine(machine, sizeof machine);
    printf("machine: %s\n", machine);
    printf("time for %d pages at %d ms each, median of %d runs (min..max):\n",
           o->pages, o->delay_ms, o->runs);
    for (int m = 0; m < MODES; m++) {
        if (!o->modes[m])
            continue;
        printf("%-9s  %7.3f s  (%.3f..%.3f)", mode_names[m], r[m].median,
               r[m].min, r[m].max);
        if (m != SERIAL && o->modes[SERIAL] && r[m].median > 0)
            printf("  %.1fx faster than serial",
                   r[SERIAL].median / r[m].median);
        if (failed[m] > 0)
            printf("  [%d of %d pages FAILED]", failed[m], o->pages);
        printf("\n");
    }
    return total;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct options o = parse_args(argc, argv);

    if (o.port != 0) {
        server.port = o.port;
    } else {
        if (pageserver_start(&server, 0) == -1)
            die("pageserver_start");
        server_owner = getpid();
        if (atexit(stop_server) != 0)
            die_msg("atexit failed");
    }
    printf("server: 127.0.0.1:%d (%s); %d pages, each delayed %d ms\n",
           server.port, o.port != 0 ? "given with -p" : "started here", o.pages,
           o.delay_ms);

    static char names[MAX_PAGES][24];
    struct page_job *jobs = make_jobs(&o, names);
    FILE *data = NULL;
    if (o.data_file != NULL)
        data = bench_data_open(o.data_file, "fetch pages from a slow server", 0,
                               o.runs);
    int failed = measure_modes(&o, jobs, data);
    if (data != NULL)
        bench_data_close(data, o.data_file);
    free(jobs);
    stop_server();
    return failed > 0 ? 1 : 0;
}
