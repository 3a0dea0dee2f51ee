/*
 * hashbench.c - the lab's benchmark: hash one tree serially, with 2, 4
 * and 8 threads and with 2, 4 and 8 worker processes, every variant's
 * digests checked against the serial ones.
 *
 * Python (the seed): the checker timed with 1 worker and with a pool.
 * C:       scan_run (scan.c) in each mode on a tree gentree's generator
 *          makes in a temporary folder (or on DIR), read once first so
 *          that it sits in the page cache: what is measured is the hash
 *          and the bookkeeping (open, fstat, read, close per file), not
 *          the disk. Median, minimum and maximum of several runs
 *          (common/bench.h).
 *
 * Usage:   hashbench [-n small] [-l large] [-k KiB] [-w workers] [-r runs]
 *                    [-a sha256|md5] [-o file] [-h] [DIR]
 *          -n, -l, -k  the generated tree (as gentree; default 3000 small
 *                      files, 4 large ones of 16384 KiB)
 *          -w workers  worker counts, e.g. 2,4,8 (default), 1..64
 *          -r runs     timed runs per variant after one warm-up, 1..100
 *                      (default 5)
 *          -a name     sha256 (default) or md5
 *          -o file     also write the measurements for gnuplot
 *          DIR         hash this tree instead of generating one
 *
 * Observe: the "cpu" column: serial uses one core; on 2 cores 2 workers
 *          can at best halve the time, and 4 or 8 cannot do better.
 * Try:     hashbench -a md5; hashbench -n 20000 -l 0 (small files only:
 *          the bookkeeping, not the hash, is the work)
 */
#define _DEFAULT_SOURCE /* mkdtemp, AT_REMOVEDIR */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "gen.h"
#include "scan.h"

#define USAGE                                                                  \
    "[-n small] [-l large] [-k KiB] [-w workers] [-r runs] [-a sha256|md5] "   \
    "[-o file] [-h] [DIR]"
#define MAX_COUNTS 16
#define WARMUPS 1

struct bench_opts {
    struct gen_opts gen;
    long counts[MAX_COUNTS];
    int ncounts;
    int runs;
    const char *algorithm, *out, *dir;
};

/* One variant, as bench_run calls it. */
struct variant {
    const struct tree *t;
    struct scan_opts scan;
    struct scan_shared *last; /* the last run's table, kept to compare */
};

static atomic_int never; /* no Ctrl-C handling here: never set */

static void run_variant(void *arg)
{
    struct variant *v = arg;
    scan_free(v->last);
    v->last = scan_run(v->t, &v->scan);
    if (v->last == NULL)
        die_msg("a scan failed (see above)");
}

static void parse_args(int argc, char *argv[], struct bench_opts *o)
{
    *o = (struct bench_opts){
        .gen = {.seed = 1, .small = 3000, .large = 4, .large_kib = 16384},
        .counts = {2, 4, 8},
        .ncounts = 3,
        .runs = 5,
        .algorithm = "sha256"};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "n:l:k:w:r:a:o:h")) != -1) {
        switch (opt) {
        case 'n':
            o->gen.small = arg_long(optarg, 0, 1000000, "small", USAGE);
            break;
        case 'l':
            o->gen.large = arg_long(optarg, 0, 64, "large", USAGE);
            break;
        case 'k':
            o->gen.large_kib = arg_long(optarg, 0, 1048576, "KiB", USAGE);
            break;
        case 'w':
            o->ncounts = bench_parse_list(optarg, 1, 64, o->counts, MAX_COUNTS,
                                          "workers", USAGE);
            break;
        case 'r':
            o->runs = (int)arg_long(optarg, 1, 100, "runs", USAGE);
            break;
        case 'a':
            o->algorithm = optarg;
            if (digest_algorithm(optarg) == NULL)
                die_usage(USAGE, "-a: '%s' is not sha256 or md5", optarg);
            break;
        case 'o':
            o->out = optarg;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (argc - optind > 1)
        die_usage(USAGE, "one DIR at most");
    o->dir = optind < argc ? argv[optind] : NULL;
}

/* Every result of b must be the digest of the same entry in a. */
static void check_same(const struct tree *t, const struct scan_shared *a,
                       const struct scan_shared *b, const char *label)
{
    for (size_t i = 0; i < t->count; i++) {
        const struct result *x = &a->results[i], *y = &b->results[i];
        if (x->state != RESULT_OK || y->state != RESULT_OK ||
            x->digest_len != y->digest_len ||
            memcmp(x->digest, y->digest, x->digest_len) != 0)
            die_msg("%s: %s: not the serial digest", label, t->entries[i].path);
    }
}

/* Measure one variant, print its line, add its row; returns its table. */
static struct scan_shared *measure(const struct tree *t,
                                   const struct bench_opts *o,
                                   enum scan_mode mode, int workers, FILE *data)
{
    static const char *const names[] = {"serial", "threads", "processes"};
    struct variant v = {.t = t,
                        .scan = {.mode = mode,
                                 .workers = workers,
                                 .md = digest_algorithm(o->algorithm),
                                 .style = PROGRESS_NONE,
                                 .stop = &never}};
    struct bench_result r;
    bench_run(run_variant, &v, WARMUPS, o->runs, true, &r);
    printf("%-9s %2d: median %.3f s (min %.3f, max %.3f), cpu %.3f s, "
           "%.0f MiB/s\n",
           names[mode], workers, r.median, r.min, r.max, r.cpu_median,
           (double)t->bytes / (1024.0 * 1024.0) / r.median);
    (void)fflush(stdout);
    if (data != NULL)
        bench_data_row(data, names[mode], workers, &r);
    return v.last;
}

/* Remove the folder name in dfd and everything in it (the generated
 * tree: files, links, folders; links are removed, never followed). */
static void remove_tree(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd == -1 ? NULL : fdopendir(fd);
    if (d == NULL)
        die(name);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(fd, e->d_name, 0) == -1) {
            if (errno != EISDIR && errno != EPERM)
                die(e->d_name);
            remove_tree(fd, e->d_name); /* a folder: empty it first */
        }
    }
    if (closedir(d) == -1)
        die("closedir");
    if (unlinkat(dfd, name, AT_REMOVEDIR) == -1)
        die(name);
}

/* The tree to measure: DIR, or a new one in a temporary folder (whose
 * name goes to tmp, to be removed at the end). */
static const char *prepare_tree(const struct bench_opts *o, char *tmp,
                                size_t len, char *tree, size_t tree_len)
{
    if (o->dir != NULL)
        return o->dir;
    (void)snprintf(tmp, len, "/tmp/hashbench-XXXXXX");
    if (mkdtemp(tmp) == NULL)
        die("mkdtemp");
    (void)snprintf(tree, tree_len, "%s/tree", tmp);
    const char *what;
    if (gen_tree(tree, &o->gen, &what, NULL, NULL) == -1)
        die(what);
    return tree;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct bench_opts o;
    parse_args(argc, argv, &o);
    char tmp[64] = "", path[96], machine[256], title[256];
    const char *dir = prepare_tree(&o, tmp, sizeof tmp, path, sizeof path);
    struct tree t;
    if (tree_list(dir, false, false, &t) == -1)
        die(dir);
    bench_machine(machine, sizeof machine);
    printf("hashbench: %zu files, %.1f MiB, %s, on %s\n", t.count,
           (double)t.bytes / (1024.0 * 1024.0), o.algorithm, machine);
    (void)snprintf(title, sizeof title,
                   "%s of %zu files (%.0f MiB) in the page "
                   "cache",
                   o.algorithm, t.count, (double)t.bytes / 1048576.0);
    FILE *data = o.out ? bench_data_open(o.out, title, WARMUPS, o.runs) : NULL;
    struct scan_shared *serial = measure(&t, &o, SCAN_SERIAL, 1, data);
    for (int mode = SCAN_THREADS; mode <= SCAN_PROCESSES; mode++) {
        for (int k = 0; k < o.ncounts; k++) {
            struct scan_shared *sh =
                measure(&t, &o, (enum scan_mode)mode, (int)o.counts[k], data);
            check_same(&t, serial, sh, "a variant");
            scan_free(sh);
        }
    }
    printf("hashbench: every variant gave the serial digests\n");
    if (data != NULL)
        bench_data_close(data, o.out);
    scan_free(serial);
    tree_free(&t);
    if (tmp[0] != '\0')
        remove_tree(AT_FDCWD, tmp);
    return 0;
}
