/*
 * tree.c - a tree of processes: every node forks its sons, and every father
 * waits for his own sons before he ends.
 *
 * Python:  the father-and-sons example: the main process prints its pid,
 *          starts a Process that prints its own pid and its father's
 *          (os.getpid(), os.getppid()), and joins it.
 * C:       the same, grown into a tree of any depth and fan-out: a node
 *          fork()s each son, each son runs the same code one level down,
 *          and ends with _exit(); the father waitpid()s each son by pid and
 *          passes failures up the tree as its own exit status.
 *
 * Usage:   tree [-d depth] [-f fanout] [-k label] [-s label]
 *          -d depth   levels below the root, 0..8 (default 2)
 *          -f fanout  sons per father, 1..8 (default 2)
 *          -k label   the node with this label ends with status 3, to see a
 *                     failure travel up the tree (default: none)
 *          -s label   the node with this label is killed by SIGKILL once
 *                     its sons are reaped: its father sees 128 + 9 = 137
 *          At most 512 processes in all.
 *
 * Output:  one line per event, each written whole (lines from different
 *          processes never mix):
 *            born 0.2.1 pid=P ppid=Q depth=2   a node started
 *            end 0.2.1 pid=P status=S          it is about to exit with S
 *            reaped 0.2.1 pid=P by=Q status=S  its father collected it
 *          Labels name the path from the root: 0.2.1 is the first son of
 *          the second son of the root 0. A fork that fails is reported on
 *          stderr; the father still reaps the sons he has, and fails.
 *
 * Try:     tree -d 3 -f 2; tree -k 0.1.2 (and look at the exit status);
 *          tree -s 0.1; draw it: see the handout.
 */
#include <assert.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "status.h"

#define USAGE "[-d depth] [-f fanout] [-k label] [-s label]"
#define MAX_DEPTH 8
#define MAX_FANOUT 8
#define MAX_NODES 512
#define LABEL_MAX 64
#define FAIL_STATUS 3 /* what the -k node ends with */

struct shape {
    int depth;           /* levels below the root */
    int fanout;          /* sons per father */
    const char *failing; /* label of the node that fails, or NULL */
    const char *killed;  /* label of the node killed by SIGKILL, or NULL */
};

/* Print one line and flush it at once: stdout is a pipe when a test or
 * `| sort` reads it, and a line left in the buffer at fork() would be
 * printed twice, by father and son. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    if (n < 0 || fflush(stdout) == EOF)
        die_child("stdout"); /* _exit: we may be any node of the tree */
}

static int run_node(const char *label, int depth, const struct shape *s);

/* The status a father reports for a son: his exit status, or 128 + the
 * signal that killed him, as a shell does (status_to_exit_code decodes
 * waitpid's status with WIFEXITED/WEXITSTATUS and WIFSIGNALED/WTERMSIG). */
static int son_status(int wstatus)
{
    return status_to_exit_code(wstatus);
}

/* Fork the sons of the node at `depth`, each running run_node one level
 * down. Returns how many were started: s->fanout, or fewer if a fork
 * failed. */
static int start_sons(char son_label[][LABEL_MAX], int depth,
                      const struct shape *s, pid_t sons[])
{
    /* TODO(02.1): Start the sons: for each i, fork(). The son runs
     * run_node(son_label[i], depth + 1, s) and ends with _exit() of what it
     * returned - it must never return into this loop, or it would go on
     * forking its brothers' sons. The father keeps the pid in sons[i] and
     * goes on to the next son: start them all before waiting for any.
     * If a fork fails, warn_errno("fork") and return how many sons were
     * started: the father must still reap those (dying at once would leave
     * them as orphans), and he counts the missing son as a failure. */
    /* BEGIN SOLUTION */
    for (int i = 0; i < s->fanout; i++) {
        if ((sons[i] = fork()) == -1) {
            warn_errno("fork");
            return i;
        }
        if (sons[i] == 0)
            _exit(run_node(son_label[i], depth + 1, s));
    }
    /* END SOLUTION */
    /* STARTER
    (void)son_label;
    (void)depth;
    (void)sons;
    STARTER */
    return s->fanout;
}

/* Wait for the `started` sons; return how many failed. */
static int reap_sons(char son_label[][LABEL_MAX], int started,
                     const pid_t sons[])
{
    int failed = 0;
    /* TODO(02.2): Wait for each son by his pid with waitpid(sons[i], ...),
     * then print
     *     reaped <son label> pid=<son pid> by=<my pid> status=<status>
     * with say(), taking the status from son_status(). Count the sons
     * whose status is not 0 in `failed`: a son killed by a signal failed
     * too, though he never called exit. */
    /* BEGIN SOLUTION */
    for (int i = 0; i < started; i++) {
        int wstatus;
        if (waitpid(sons[i], &wstatus, 0) == -1)
            die("waitpid");
        int status = son_status(wstatus);
        say("reaped %s pid=%ld by=%ld status=%d\n", son_label[i], (long)sons[i],
            (long)getpid(), status);
        if (status != 0)
            failed++;
    }
    /* END SOLUTION */
    /* STARTER
    (void)son_label;
    (void)started;
    (void)sons;
    (void)son_status;
    STARTER */
    return failed;
}

/* In the node `label` at `depth`: start its sons (none on the last level),
 * wait for every one of them, and return how many failed. */
static int grow(const char *label, int depth, const struct shape *s)
{
    if (depth == s->depth)
        return 0;
    pid_t sons[MAX_FANOUT];
    char son_label[MAX_FANOUT][LABEL_MAX];
    for (int i = 0; i < s->fanout; i++) {
        int n = snprintf(son_label[i], LABEL_MAX, "%s.%d", label, i + 1);
        /* Depth <= 8 and fanout <= 8 keep labels under 20 characters. */
        assert(n > 0 && n < LABEL_MAX);
    }
    int started = start_sons(son_label, depth, s, sons);
    return reap_sons(son_label, started, sons) + (s->fanout - started);
}

static bool is(const char *label, const char *chosen)
{
    return chosen != NULL && strcmp(label, chosen) == 0;
}

/* The life of one node: born, grow the subtree, end. Returns the node's
 * exit status: 3 for the -k node, 1 if any son failed, else 0. */
static int run_node(const char *label, int depth, const struct shape *s)
{
    say("born %s pid=%ld ppid=%ld depth=%d\n", label, (long)getpid(),
        (long)getppid(), depth);
    int failed = grow(label, depth, s);
    if (is(label, s->killed) && raise(SIGKILL) != 0)
        die_child("raise");
    int status = 0;
    if (is(label, s->failing))
        status = FAIL_STATUS;
    else if (failed > 0)
        status = EXIT_FAILURE;
    say("end %s pid=%ld status=%d\n", label, (long)getpid(), status);
    return status;
}

static struct shape parse_args(int argc, char *argv[])
{
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct shape s = {.depth = 2, .fanout = 2};
    int opt;
    while ((opt = getopt(argc, argv, "hd:f:k:s:")) != -1) {
        switch (opt) {
        case 'd':
            s.depth = (int)arg_long(optarg, 0, MAX_DEPTH, "depth", USAGE);
            break;
        case 'f':
            s.fanout = (int)arg_long(optarg, 1, MAX_FANOUT, "fanout", USAGE);
            break;
        case 'k':
            s.failing = optarg;
            break;
        case 's':
            s.killed = optarg;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return s;
}

/* Refuse trees that would flood the machine, before forking any. */
static void check_size(const struct shape *s)
{
    long nodes = 0, level = 1;
    for (int d = 0; d <= s->depth && nodes <= MAX_NODES; d++) {
        nodes += level;
        level *= s->fanout;
    }
    if (nodes > MAX_NODES)
        die_usage(USAGE, "depth %d and fanout %d make more than %d processes",
                  s->depth, s->fanout, MAX_NODES);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct shape s = parse_args(argc, argv);
    check_size(&s);
    return run_node("0", 0, &s);
}
