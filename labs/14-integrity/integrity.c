/*
 * integrity.c - the course's capstone: a parallel file-integrity checker.
 *
 * Python (the seed's checker): walk a tree, hash every file (hashlib.md5)
 *          in a pool of worker processes, keep the baseline in shared
 *          memory, count progress in a shared Value, collect alerts.
 * C:       scan.c hashes the tree serially, with N threads or with N
 *          processes sharing one mmap'd table (dynamic hand-out by one
 *          atomic index, biggest file first); digest.c streams each file
 *          through OpenSSL's EVP interface; baseline.c writes the baseline
 *          atomically (temporary file + rename), maps it back read-only
 *          and merges it with a new scan; progress.c draws.
 *
 * Usage:   integrity [scan|check] [-b baseline] [-m mode] [-w workers]
 *                    [-a algorithm] [-L] [-q] [-v] [-h] [DIR]
 *          scan        hash DIR and write its baseline (the default)
 *          check       hash DIR and report what changed since the baseline
 *          DIR         the tree (default: tree, as gentree makes it)
 *          -b file     the baseline (default: DIR.baseline; -o too)
 *          -m mode     serial, threads (default) or processes
 *          -w workers  threads or processes, 1..256 (default 4)
 *          -a name     sha256 (default) or md5; check: the baseline's
 *          -L          follow symbolic links to files (default: a link is
 *                      recorded as the path it points to)
 *          -q          no progress on stderr
 *          -v          list which worker hashed each file, in which turn
 * Exit:    0 nothing changed (check) or every file hashed (scan); 1
 *          something changed, a file could not be read, or a system call
 *          failed; 2 bad usage, no such DIR, or a baseline that is corrupt
 *          or made for another tree; 130 Ctrl-C (the baseline left whole).
 *
 * Observe: Ctrl-C in the middle of a scan: every worker stops within a
 *          block, the old baseline is still there, whole.
 * Try:     gentree; integrity; echo x >> tree/d00/f0000.dat; integrity check
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, realpath */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "args.h"
#include "baseline.h"
#include "errors.h"
#include "scan.h"

#define USAGE                                                                  \
    "[scan|check] [-b baseline] [-m serial|threads|processes] [-w workers] "   \
    "[-a sha256|md5] [-L] [-q] [-v] [-h] [DIR]"
#define EXIT_TROUBLE 2
#define EXIT_INTERRUPTED 130

struct options {
    bool check; /* check, else scan */
    const char *dir;
    char baseline[PATH_MAX];
    const char *algorithm; /* NULL: the default, or the baseline's */
    bool quiet, verbose;
    struct scan_opts scan;
};

/* Set by SIGINT, read by every worker: in a shared page, so that worker
 * processes see the parent's store (and the parent theirs). */
static atomic_int *stop;

static void on_sigint(int sig)
{
    (void)sig;
    atomic_store(stop, 1); /* lock-free atomic: async-signal-safe */
}

static void install_sigint(void)
{
    void *page = mmap(NULL, sizeof *stop, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        die("mmap");
    stop = page;
    atomic_init(stop, 0);
    struct sigaction sa = {.sa_handler = on_sigint};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1)
        die("sigaction");
}

static enum scan_mode parse_mode(const char *s)
{
    if (strcmp(s, "serial") == 0)
        return SCAN_SERIAL;
    if (strcmp(s, "threads") == 0)
        return SCAN_THREADS;
    if (strcmp(s, "processes") == 0)
        return SCAN_PROCESSES;
    die_usage(USAGE, "-m: '%s' is not serial, threads or processes", s);
}

/* Print "integrity: <message>" and exit with status 2: the input cannot
 * be used (no such tree, a corrupt baseline, another tree's baseline). */
static _Noreturn void trouble(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static _Noreturn void trouble(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)fflush(stdout);
    (void)fputs("integrity: ", stderr);
    (void)vfprintf(stderr, fmt, ap);
    (void)fputc('\n', stderr);
    va_end(ap);
    exit(EXIT_TROUBLE);
}

/* One option of getopt's; baseline collects -b/-o. */
static void parse_option(int opt, struct options *o, const char **baseline)
{
    switch (opt) {
    case 'b':
    case 'o':
        *baseline = optarg;
        break;
    case 'm':
        o->scan.mode = parse_mode(optarg);
        break;
    case 'w':
        o->scan.workers =
            (int)arg_long(optarg, 1, SCAN_MAX_WORKERS, "workers", USAGE);
        break;
    case 'a':
        if (digest_algorithm(optarg) == NULL)
            die_usage(USAGE, "-a: '%s' is not sha256 or md5", optarg);
        o->algorithm = optarg;
        break;
    case 'L':
        o->scan.follow = true;
        break;
    case 'q':
        o->quiet = true;
        break;
    case 'v':
        o->verbose = true;
        break;
    default:
        die_bad_option(USAGE);
    }
}

/* The baseline's name: as given, or DIR.baseline beside DIR. */
static void name_baseline(struct options *o, const char *given)
{
    size_t len = strlen(o->dir);
    while (len > 1 && o->dir[len - 1] == '/')
        len--;
    int n = given != NULL
                ? snprintf(o->baseline, sizeof o->baseline, "%s", given)
                : snprintf(o->baseline, sizeof o->baseline, "%.*s.baseline",
                           (int)len, o->dir);
    if (n < 0 || (size_t)n >= sizeof o->baseline)
        die_usage(USAGE, "the baseline's name is too long");
}

static void parse_args(int argc, char *argv[], struct options *o)
{
    *o = (struct options){.dir = "tree",
                          .scan = {.mode = SCAN_THREADS, .workers = 4}};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    optind = 1;
    if (argc > 1 &&
        (strcmp(argv[1], "scan") == 0 || strcmp(argv[1], "check") == 0)) {
        o->check = strcmp(argv[1], "check") == 0;
        optind = 2;
    }
    const char *baseline = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "b:o:m:w:a:Lqvh")) != -1)
        parse_option(opt, o, &baseline);
    if (argc - optind > 1)
        die_usage(USAGE, "one DIR at most ('%s' is one too many)",
                  argv[optind + 1]);
    if (optind < argc)
        o->dir = argv[optind];
    if (o->scan.mode == SCAN_SERIAL)
        o->scan.workers = 1;
    name_baseline(o, baseline);
}

/* Load the baseline for check; any trouble ends the program (status 2):
 * a checker that cannot trust its baseline must not say "no change". */
static void load_baseline(struct options *o, const char *root,
                          struct baseline *b)
{
    char why[256];
    int rc = baseline_load(o->baseline, b, why, sizeof why);
    if (rc == -1)
        trouble("%s: %s", o->baseline, strerror(errno));
    if (rc == -2)
        trouble("%s: corrupt baseline: %s", o->baseline, why);
    if (strcmp(b->root, root) != 0)
        trouble("%s is the baseline of %s, not of %s", o->baseline, b->root,
                root);
    if (o->algorithm != NULL && strcmp(o->algorithm, b->algorithm) != 0)
        trouble("%s was made with %s, not %s", o->baseline, b->algorithm,
                o->algorithm);
    o->algorithm = b->algorithm;
}

/* -v: which worker hashed each entry, in which turn of the hand-out. */
static void list_workers(const struct tree *t, const struct scan_shared *sh)
{
    for (size_t i = 0; i < t->count; i++)
        printf("hashed %s worker %d turn %lld\n", t->entries[i].path,
               sh->results[i].worker, (long long)sh->results[i].turn);
}

/* scan: write the baseline; 0, 1 if some entry could not be read. */
static int write_baseline(const struct options *o, const char *root,
                          const struct tree *t, const struct scan_shared *sh)
{
    int status = 0;
    for (size_t i = 0; i < t->count; i++) {
        if (sh->results[i].state != RESULT_OK && !atomic_load(stop)) {
            (void)fprintf(
                stderr, "integrity: %s: %s, left out of the baseline\n",
                t->entries[i].path, baseline_result_why(&sh->results[i]));
            status = 1;
        }
    }
    if (atomic_load(stop))
        return EXIT_INTERRUPTED;
    if (baseline_write(o->baseline, root, o->algorithm, t, sh, stop) == -1) {
        if (errno == ECANCELED)
            return EXIT_INTERRUPTED;
        (void)fprintf(stderr, "integrity: %s: %s\n", o->baseline,
                      strerror(errno));
        return 1;
    }
    printf("scanned %zu files (%.1f MiB) with %s: baseline %s\n", t->count,
           (double)t->bytes / (1024.0 * 1024.0), o->algorithm, o->baseline);
    return status;
}

/* check: report the differences; 0 if none, else 1. */
static int check_tree(const struct options *o, const struct baseline *b,
                      const struct tree *t, const struct scan_shared *sh)
{
    if (atomic_load(stop))
        return EXIT_INTERRUPTED;
    struct report_counts n;
    baseline_compare(b, t, sh, stdout, &n);
    printf("checked %zu files against %s: %zu changed, %zu new, %zu "
           "deleted, %zu unreadable\n",
           t->count, o->baseline, n.changed, n.added, n.deleted, n.unreadable);
    return n.changed + n.added + n.deleted + n.unreadable > 0;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o;
    parse_args(argc, argv, &o);
    install_sigint();
    char root[PATH_MAX];
    if (realpath(o.dir, root) == NULL)
        trouble("%s: %s", o.dir, strerror(errno));
    struct baseline b = {0};
    if (o.check)
        load_baseline(&o, root, &b);
    if (o.algorithm == NULL)
        o.algorithm = "sha256";
    o.scan.md = digest_algorithm(o.algorithm);
    o.scan.stop = stop;
    o.scan.style = o.quiet                 ? PROGRESS_NONE
                   : isatty(STDERR_FILENO) ? PROGRESS_BAR
                                           : PROGRESS_LINES;
    struct tree t;
    if (tree_list(root, o.scan.follow, o.quiet, &t) == -1)
        trouble("%s: %s", o.dir, strerror(errno));
    struct scan_shared *sh = scan_run(&t, &o.scan);
    int status = 1;
    if (sh != NULL && o.verbose && !atomic_load(stop))
        list_workers(&t, sh);
    if (sh != NULL)
        status = o.check ? check_tree(&o, &b, &t, sh)
                         : write_baseline(&o, root, &t, sh);
    if (status == EXIT_INTERRUPTED || atomic_load(stop)) {
        (void)fprintf(stderr, "integrity: interrupted: %s left as it was\n",
                      o.baseline);
        status = EXIT_INTERRUPTED;
    }
    scan_free(sh);
    tree_free(&t);
    baseline_free(&b);
    return status;
}
