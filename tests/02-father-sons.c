/*
 * Lab 02 - father and sons: a tree of processes. The tests run `tree`,
 * parse its event lines (born / end / reaped, see solutions' header) into a
 * table keyed by node label, and check the tree's properties: the right set
 * of nodes, each born once in a process of its own, each father's pid seen
 * as its sons' ppid, each son reaped by its own father after it ended and
 * before the father ended, statuses passed up. Never pid values, never the
 * interleaving of lines from different processes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define LAB "02-father-sons"
#define MAX_NODES 600

TestSuite(lab02_tree, .timeout = 60);

struct node {
    char label[64];
    int born, ended, reaped;  /* how many such lines */
    long pid, ppid, depth;    /* from the born line */
    long end_pid, end_status; /* from the end line */
    long reaped_pid, reaped_by, reaped_status;
    size_t born_at, end_at, reaped_at; /* line numbers */
};

struct tree {
    size_t n;
    struct node node[MAX_NODES];
    char junk[256]; /* the first line that parsed as nothing */
};

static struct node *find(struct tree *t, const char *label, bool add)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->node[i].label, label) == 0)
            return &t->node[i];
    if (!add || t->n == MAX_NODES)
        return NULL;
    struct node *n = &t->node[t->n++];
    memset(n, 0, sizeof *n);
    snprintf(n->label, sizeof n->label, "%s", label);
    return n;
}

static void parse(const char *out, struct tree *t)
{
    memset(t, 0, sizeof *t);
    size_t count;
    char **lines = run_lines(out, &count);
    for (size_t i = 0; i < count; i++) {
        char label[64];
        long a, b, c;
        struct node *n;
        if (sscanf(lines[i], "born %63s pid=%ld ppid=%ld depth=%ld", label, &a,
                   &b, &c) == 4) {
            n = find(t, label, true);
            if (n == NULL)
                break;
            n->born++, n->pid = a, n->ppid = b, n->depth = c, n->born_at = i;
        } else if (sscanf(lines[i], "end %63s pid=%ld status=%ld", label, &a,
                          &b) == 3) {
            n = find(t, label, true);
            if (n == NULL)
                break;
            n->ended++, n->end_pid = a, n->end_status = b, n->end_at = i;
        } else if (sscanf(lines[i], "reaped %63s pid=%ld by=%ld status=%ld",
                          label, &a, &b, &c) == 4) {
            n = find(t, label, true);
            if (n == NULL)
                break;
            n->reaped++, n->reaped_pid = a, n->reaped_by = b;
            n->reaped_status = c, n->reaped_at = i;
        } else if (t->junk[0] == '\0') {
            snprintf(t->junk, sizeof t->junk, "%s", lines[i]);
        }
    }
    run_free_lines(lines);
}

/* The father's label: "0.2.1" -> "0.2"; the root has none. */
static bool father_of(const char *label, char *father, size_t size)
{
    const char *dot = strrchr(label, '.');
    if (dot == NULL)
        return false;
    snprintf(father, size, "%.*s", (int)(dot - label), label);
    return true;
}

/* Is label a node of the full tree of this depth and fanout? */
static bool in_shape(const char *label, int depth, int fanout)
{
    if (strncmp(label, "0", 1) != 0)
        return false;
    int d = 0;
    for (const char *p = label + 1; *p != '\0';) {
        int k, used;
        if (sscanf(p, ".%d%n", &k, &used) != 1 || k < 1 || k > fanout)
            return false;
        p += used;
        d++;
    }
    return d <= depth;
}

static long tree_size(int depth, int fanout)
{
    long n = 0, level = 1;
    for (int d = 0; d <= depth; d++, level *= fanout)
        n += level;
    return n;
}

/* Run tree with the given shape and parse it; the run must have ended. */
static struct tree *grow(int depth, int fanout, const char *failing,
                         struct run_result **rp)
{
    char d[16], f[16];
    snprintf(d, sizeof d, "%d", depth);
    snprintf(f, sizeof f, "%d", fanout);
    struct run_result *r = failing
                               ? RUN("tree", "-d", d, "-f", f, "-k", failing)
                               : RUN("tree", "-d", d, "-f", f);
    cr_assert(!r->timed_out && r->signal == 0,
              "`%s` %s. Hint: a father waiting for a son that never ends, or a "
              "son that goes on forking?",
              r->desc, run_how_ended(r));
    struct tree *t = malloc(sizeof *t);
    cr_assert(t != NULL);
    parse(r->out, t);
    *rp = r;
    return t;
}

/* The nodes: exactly the full tree, each born once, in its own process. */
static void check_nodes(struct tree *t, const struct run_result *r, int depth,
                        int fanout)
{
    long want = tree_size(depth, fanout);
    for (size_t i = 0; i < t->n; i++) {
        struct node *n = &t->node[i];
        cr_assert(in_shape(n->label, depth, fanout),
                  "`%s` printed node '%s', which is not in a tree of depth %d "
                  "and fanout %d. A son that does not _exit() after run_node "
                  "returns goes back into his father's loop and forks more "
                  "sons (TODO 02.1).",
                  r->desc, n->label, depth, fanout);
        cr_assert_eq(n->born, 1,
                     "Node %s was born %d times (expected once). Flush before "
                     "fork(), and make sure each son is forked once.",
                     n->label, n->born);
    }
    cr_assert_eq(
        (long)t->n, want,
        "`%s` should make %ld processes (every level from the root to "
        "depth %d, %d sons each); it made %zu. Output:\n%.2000s\nHint: "
        "TODO(02.1) forks fanout sons, each running run_node one level "
        "down.",
        r->desc, want, depth, fanout, t->n, r->out);
    for (size_t i = 0; i < t->n; i++)
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(t->node[i].pid, t->node[j].pid,
                          "Nodes %s and %s report the same pid %ld: each node "
                          "must be a process of its own.",
                          t->node[j].label, t->node[i].label, t->node[i].pid);
}

Test(lab02_tree, every_node_of_the_tree_is_born_once_in_its_own_process)
{
    struct run_result *r;
    struct tree *t = grow(2, 3, NULL, &r);
    check_nodes(t, r, 2, 3);
    free(t);
    run_free(r);
}

Test(lab02_tree, every_sons_ppid_is_his_fathers_pid)
{
    struct run_result *r;
    struct tree *t = grow(3, 2, NULL, &r);
    check_nodes(t, r, 3, 2);
    for (size_t i = 0; i < t->n; i++) {
        struct node *n = &t->node[i];
        char father[64];
        if (!father_of(n->label, father, sizeof father))
            continue;
        struct node *f = find(t, father, false);
        cr_assert_eq(n->ppid, f->pid,
                     "Node %s says its parent is pid %ld, but its father %s is "
                     "pid %ld. If the father had already ended, the son was "
                     "adopted by another process: a father must wait for his "
                     "sons (TODO 02.2).",
                     n->label, n->ppid, father, f->pid);
        cr_assert_eq(n->depth, f->depth + 1,
                     "Node %s is at depth %ld, its "
                     "father at %ld.",
                     n->label, n->depth, f->depth);
    }
    free(t);
    run_free(r);
}

Test(lab02_tree, every_son_is_reaped_by_his_father_after_he_ends)
{
    struct run_result *r;
    struct tree *t = grow(2, 3, NULL, &r);
    check_nodes(t, r, 2, 3);
    cr_assert_eq(r->exit_code, 0, "`%s` %s; expected 0.", r->desc,
                 run_how_ended(r));
    for (size_t i = 0; i < t->n; i++) {
        struct node *n = &t->node[i];
        char father[64];
        if (!father_of(n->label, father, sizeof father)) {
            cr_assert_eq(n->reaped, 0,
                         "The root has no father in the tree, "
                         "yet a 'reaped 0' line was printed.");
            continue;
        }
        struct node *f = find(t, father, false);
        cr_assert_eq(n->reaped, 1,
                     "Expected one line 'reaped %s pid=P by=F status=S' from "
                     "its father %s; saw %d. Hint: TODO(02.2): waitpid() each "
                     "son by pid, then say(\"reaped ...\").",
                     n->label, father, n->reaped);
        cr_assert_eq(n->reaped_pid, n->pid,
                     "'reaped %s' names pid %ld, but %s is pid %ld: report the "
                     "pid of the son you waited for.",
                     n->label, n->reaped_pid, n->label, n->pid);
        cr_assert_eq(n->reaped_by, f->pid,
                     "%s was reaped by pid %ld, but its father %s is pid %ld.",
                     n->label, n->reaped_by, father, f->pid);
        cr_assert_eq(n->ended, 1, "Node %s never printed its 'end' line.",
                     n->label);
        cr_assert_gt(n->reaped_at, n->end_at,
                     "%s was reported reaped before it ended: waitpid returns "
                     "only once the son has exited.",
                     n->label);
        cr_assert_lt(n->reaped_at, f->end_at,
                     "%s ended before reaping its son %s: a father must wait "
                     "for every son before it ends.",
                     father, n->label);
        cr_assert_eq(n->reaped_status, 0,
                     "%s ended with status 0 but its "
                     "father reported %ld.",
                     n->label, n->reaped_status);
    }
    free(t);
    run_free(r);
}

Test(lab02_tree, a_failure_travels_up_to_the_root)
{
    struct run_result *r;
    struct tree *t = grow(3, 2, "0.2.1", &r);
    check_nodes(t, r, 3, 2);
    static const struct {
        const char *label;
        long status;
    } want[] = {
        {"0.2.1", 3}, {"0.2", 1}, {"0.2.1.1", 0}, {"0.2.2", 0}, {"0.1", 0}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct node *n = find(t, want[i].label, false);
        cr_assert(n != NULL && n->reaped == 1,
                  "Node %s was not reaped. Output:\n%.2000s", want[i].label,
                  r->out);
        cr_assert_eq(n->reaped_status, want[i].status,
                     "With -k 0.2.1, node %s's father should report status "
                     "%ld; it reported %ld. Hint: son_status() of what "
                     "waitpid stored; a father with a failed son ends with 1.",
                     want[i].label, want[i].status, n->reaped_status);
    }
    cr_assert_eq(r->exit_code, 1,
                 "With a failed node below it the root must exit with status "
                 "1; `%s` %s.",
                 r->desc, run_how_ended(r));
    free(t);
    run_free(r);
}

Test(lab02_tree, shapes_are_checked_at_their_limits_and_a_chain_and_a_bush_grow)
{
    /* Unused slots are NULL: each row is a NULL-terminated argv. */
    static const char *const bad[][6] = {
        {"tree", "-d", "-1"},
        {"tree", "-d", "9"},
        {"tree", "-f", "0"},
        {"tree", "-f", "9"},
        {"tree", "-f", "two"},
        {"tree", "-d", "8", "-f", "3"},
        {"tree", "-d", "3", "-f", "8"}, /* 585 processes, over 512 */
        {"tree", "extra"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = run_program(LAB, bad[i], NULL);
        cr_assert_eq(r->exit_code, 2,
                     "`%s` should be refused with status 2; "
                     "it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", r->desc);
        cr_assert_eq(run_count_lines(r->out, "born"), 0,
                     "`%s` started processes despite bad arguments.", r->desc);
        run_free(r);
    }
    struct run_result *r = RUN("tree", "--help");
    cr_assert(r->exit_code == 0 && strncmp(r->out, "usage: ", 7) == 0,
              "`%s` should print the usage line on stdout and exit 0; it %s.",
              r->desc, run_how_ended(r));
    run_free(r);
    struct tree *t = grow(8, 1, NULL, &r); /* the deepest: a chain of 9 */
    check_nodes(t, r, 8, 1);
    cr_assert_eq(r->exit_code, 0, "`%s` %s.", r->desc, run_how_ended(r));
    free(t);
    run_free(r);
    t = grow(1, 8, NULL, &r); /* the widest: a root with 8 sons */
    check_nodes(t, r, 1, 8);
    cr_assert_eq(run_count_lines(r->out, "reaped "), 8,
                 "The root should reap its 8 sons.");
    free(t);
    run_free(r);
}

/* Every node but the root is reaped once, by his own father, with his own
 * pid, after his end line and before his father's end line (or, for a
 * father killed by a signal, who prints no end line, before the father
 * himself is reaped). */
static void check_every_son_reaped_by_his_father(struct tree *t,
                                                 const struct run_result *r)
{
    for (size_t i = 0; i < t->n; i++) {
        struct node *n = &t->node[i];
        char father[64];
        if (!father_of(n->label, father, sizeof father))
            continue;
        struct node *f = find(t, father, false);
        cr_assert(f != NULL && n->reaped == 1 && n->reaped_by == f->pid &&
                      n->reaped_pid == n->pid,
                  "`%s`: node %s (pid %ld) should be reaped once by his "
                  "father %s (pid %ld): saw %d 'reaped %s' lines, the last "
                  "by %ld naming pid %ld. Output:\n%.3000s\nHint: TODO(02.2): "
                  "every father waits for each son he started, by pid.",
                  r->desc, n->label, n->pid, father, f ? f->pid : 0L, n->reaped,
                  n->label, n->reaped_by, n->reaped_pid, r->out);
        size_t father_gone = f->ended ? f->end_at : f->reaped_at;
        cr_assert(n->reaped_at < father_gone,
                  "`%s`: %s ended before reaping his son %s. Hint: TODO(02.2).",
                  r->desc, father, n->label);
        cr_assert(!n->ended || n->reaped_at > n->end_at,
                  "`%s`: %s was reported reaped before he ended.", r->desc,
                  n->label);
    }
}

static void expect_status(struct tree *t, const struct run_result *r,
                          const char *label, long want, const char *why)
{
    struct node *n = find(t, label, false);
    cr_assert(n != NULL && n->reaped == 1,
              "`%s`: node %s was never reaped. Output:\n%.3000s", r->desc,
              label, r->out);
    cr_assert_eq(n->reaped_status, want,
                 "`%s`: node %s's father should report status=%ld (%s); "
                 "he reported %ld. Hint: TODO(02.2): son_status() of the "
                 "status waitpid stored; a father with a failed son ends "
                 "with 1.",
                 r->desc, label, want, why, n->reaped_status);
}

Test(lab02_tree, a_son_killed_by_a_signal_is_reported_as_128_plus_the_signal)
{
    /* -s 0.2: node 0.2 reaps his sons, then SIGKILL ends him; his father
     * must see 128 + 9 = 137 (a father that reads WEXITSTATUS alone sees
     * 0), count him as failed, and pass the failure up. */
    struct run_result *r = RUN("tree", "-d", "2", "-f", "2", "-s", "0.2");
    cr_assert(!r->timed_out, "`%s` %s.", r->desc, run_how_ended(r));
    struct tree *t = malloc(sizeof *t);
    cr_assert(t != NULL);
    parse(r->out, t);
    cr_assert_eq(t->n, 7, "`%s`: expected 7 nodes, saw %zu. Output:\n%s",
                 r->desc, t->n, r->out);
    check_every_son_reaped_by_his_father(t, r);
    expect_status(t, r, "0.2", 137, "killed by signal 9: 128 + 9");
    expect_status(t, r, "0.2.1", 0, "a son of the killed node, who ended well");
    expect_status(t, r, "0.1", 0, "a brother who ended well");
    cr_assert_eq(find(t, "0.2", false)->ended, 0,
                 "Node 0.2 was killed: it cannot print its end line.");
    cr_assert_eq(r->exit_code, 1,
                 "A son of the root was killed, so the root must exit with "
                 "status 1; `%s` %s.",
                 r->desc, run_how_ended(r));
    free(t);
    run_free(r);
}

Test(lab02_tree, a_failed_fork_mid_tree_reaps_the_sons_started_and_fails)
{
    /* The 3rd fork() of every process fails (EAGAIN): each father of a
     * 3-wide tree starts 2 sons, not 3. He must say so on stderr, still
     * reap the 2 he has (no orphan, no hang) and end with status 1. */
    static const char *const env[] = {"KIT_FAIL_FORK_AT=3", NULL};
    struct run_opts o = {.perturb = true, .env = env};
    struct run_result *r = RUN_WITH(&o, "tree", "-d", "2", "-f", "3");
    cr_assert(!r->timed_out && r->signal == 0, "`%s` %s.", r->desc,
              run_how_ended(r));
    struct tree *t = malloc(sizeof *t);
    cr_assert(t != NULL);
    parse(r->out, t);
    static const char *const want[] = {"0",     "0.1",   "0.2",  "0.1.1",
                                       "0.1.2", "0.2.1", "0.2.2"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct node *n = find(t, want[i], false);
        cr_assert(n != NULL && n->born == 1,
                  "`%s` with every 3rd fork failing: node %s should be born "
                  "once. Output:\n%s\nstderr:\n%s\nHint: TODO(02.1): on a "
                  "failed fork, stop, warn, and return how many were started.",
                  r->desc, want[i], r->out, r->err);
    }
    cr_assert_eq(t->n, 7,
                 "`%s` with every 3rd fork failing: expected the 7 nodes that "
                 "could be born, saw %zu. Output:\n%s",
                 r->desc, t->n, r->out);
    check_every_son_reaped_by_his_father(t, r);
    expect_status(t, r, "0.1", 1, "his third son could not be born");
    expect_status(t, r, "0.2.2", 0, "a leaf never forks");
    cr_assert(r->exit_code == 1 && strstr(r->err, "fork") != NULL,
              "`%s`: the root's own 3rd fork failed, so it must report "
              "'tree: fork: ...' and exit 1; it %s. stderr:\n%s",
              r->desc, run_how_ended(r), r->err);
    free(t);
    run_free(r);
}
