/*
 * Lab 05 - value and array: copy-on-write after fork, memory shared with
 * mmap(MAP_SHARED | MAP_ANONYMOUS), and named shared memory (shm_open)
 * between separate programs, removed on every way out - Ctrl-C included.
 *
 * Every program runs as its own process (tests/harness/run.h), which also
 * fails a test on anything left behind: a process, a zombie, an object in
 * /dev/shm. The signal tests go through tests/05-value-array/drive.c,
 * which starts shm_squares, waits for its "ready" line, sends the signal
 * to it alone (as `kill -INT pid` does), and reports how it ended; the
 * harness then checks that the object is gone. Tests check properties -
 * which list each process sees, same or different addresses and names -
 * never pid values or exact bytes.
 */
#define _DEFAULT_SOURCE /* realpath */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

#define LAB "05-value-array"

/* shm_squares starts shm_worker, and drive starts shm_squares, by name on
 * PATH (as a shell would): put the build under test first on PATH. */
static void use_lab_path(void)
{
    char dir[PATH_MAX];
    const char *prog = run_program_path(LAB, "shm_squares");
    if (realpath(prog, dir) == NULL) /* not built: RUN() will say so */
        return;
    *strrchr(dir, '/') = '\0';
    const char *old = getenv("PATH");
    char *path = malloc(strlen(dir) + (old ? strlen(old) : 0) + 2);
    cr_assert(path != NULL);
    sprintf(path, "%s:%s", dir, old ? old : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    free(path);
}

TestSuite(lab05_cow, .timeout = 30);
TestSuite(lab05_shared, .timeout = 30);
TestSuite(lab05_shm, .timeout = 40, .init = use_lab_path);

/* The first line of text that contains needle (its start), or NULL. */
static const char *line_with(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle);
    if (hit == NULL)
        return NULL;
    while (hit > text && hit[-1] != '\n')
        hit--;
    return hit;
}

/* Copy the rest of the line at p (up to the newline) into buf. */
static const char *rest_of_line(const char *p, char *buf, size_t size)
{
    size_t len = strcspn(p, "\n");
    if (len >= size)
        len = size - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

/* Run each bad command line: each must be refused with a usage line and
 * exit status 2, and start nothing. */
static void expect_refused(const char *const bad[][6], size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct run_result *r = run_program(LAB, bad[i], NULL);
        cr_assert_eq(r->exit_code, 2,
                     "`%s` should be refused with exit status 2; it %s. "
                     "Stderr:\n%s",
                     r->desc, run_how_ended(r), r->err);
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr; stderr was:\n%s",
                  r->desc, r->err);
        cr_assert(strstr(r->out, "child") == NULL &&
                      strstr(r->out, "created") == NULL,
                  "`%s` went on working despite bad arguments. Output:\n%s",
                  r->desc, r->out);
        run_free(r);
    }
}

/* ---- cow: a global changed in a child ------------------------------ */

struct cow_run {
    char child_addr[64], child_list[128];
    char parent_addr[64], parent_list[128];
    bool child_seen, parent_seen, parent_after_child, status_seen;
};

static struct cow_run parse_cow(const struct run_result *r)
{
    struct cow_run c = {0};
    const char *child = run_line_starting(r->out, "child: pid ");
    if (child != NULL)
        c.child_seen =
            sscanf(child, "child: pid %*d, result at %63s holds %127[^\n]",
                   c.child_addr, c.child_list) == 2;
    const char *parent = run_line_starting(r->out, "parent: result at ");
    if (parent != NULL)
        c.parent_seen = sscanf(parent, "parent: result at %63s holds %127[^\n]",
                               c.parent_addr, c.parent_list) == 2;
    c.parent_after_child = child != NULL && parent != NULL && parent > child;
    c.status_seen = line_with(r->out, "exited with status 0") != NULL;
    return c;
}

static void check_cow(const char *const argv[], const char *squares)
{
    struct run_result *r = run_program(LAB, argv, NULL);
    run_expect_success(r, "TODO(05.1)");
    struct cow_run c = parse_cow(r);
    cr_assert(c.child_seen,
              "Expected the child to print 'child: pid C, result at ADDR "
              "holds %s'. Output:\n%s\nHint: TODO(05.1): fork(); in the "
              "child call square_list(numbers, n), fflush(stdout), _exit(0).",
              squares, r->out);
    cr_assert_str_eq(c.child_list, squares,
                     "The child should see its squares %s in result; it "
                     "printed %s.",
                     squares, c.child_list);
    cr_assert(c.status_seen,
              "Expected 'parent: child C exited with status 0' once the "
              "parent has waited. Output:\n%s\nHint: TODO(05.1): waitpid().",
              r->out);
    cr_assert(c.parent_seen && c.parent_after_child,
              "The parent's 'parent: result at ADDR holds ...' line must come "
              "after the child's: the parent waits first. Output:\n%s",
              r->out);
    cr_assert_str_eq(
        c.parent_list, "[]",
        "After the child filled result, the parent must still see [] - the "
        "child changed its own copy (copy-on-write). The parent saw %s: did "
        "square_list run in the parent instead of the child?",
        c.parent_list);
    cr_assert_str_eq(
        c.child_addr, c.parent_addr,
        "Parent and child should print the same address for result (the "
        "child's memory is a copy at the same addresses); the child printed "
        "%s, the parent %s.",
        c.child_addr, c.parent_addr);
    run_free(r);
}

Test(lab05_cow, child_fills_its_copy_and_the_parent_still_sees_an_empty_list)
{
    check_cow((const char *const[]){"cow", NULL}, "[1, 4, 9, 16]");
}

Test(lab05_cow, numbers_come_from_the_command_line_and_bad_ones_are_refused)
{
    static const char *const bad[][6] = {
        {"cow", "x", NULL},
        {"cow", "10001", NULL},
        {"cow", "-z", NULL},
        {"cow", "1", "2", "3", "four", NULL},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0]);
    check_cow((const char *const[]){"cow", "5", "6", "7", NULL},
              "[25, 36, 49]");
}

/* ---- shared: Value and Array with mmap ----------------------------- */

/* The parent's "result" and "sum of squares" lines; false if missing. */
static bool parent_view(const struct run_result *r, const char *who, char *list,
                        size_t size, long *sum)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s: result ", who);
    const char *l = run_line_starting(r->out, prefix);
    snprintf(prefix, sizeof prefix, "%s: sum of squares ", who);
    const char *s = run_line_starting(r->out, prefix);
    if (l == NULL || s == NULL)
        return false;
    rest_of_line(l + strlen(who) + strlen(": result "), list, size);
    return sscanf(s + strlen(prefix), "%ld", sum) == 1;
}

static void check_shared(const char *const argv[], const char *squares,
                         long want_sum)
{
    struct run_result *r = run_program(LAB, argv, NULL);
    run_expect_success(r, "TODO(05.2) and TODO(05.3)");
    char list[256];
    long sum = -1;
    cr_assert(parent_view(r, "parent", list, sizeof list, &sum),
              "Expected 'parent: result [...]' and 'parent: sum of squares N' "
              "lines. Output:\n%s",
              r->out);
    const char *status = line_with(r->out, "exited with status 0");
    const char *child = run_line_starting(r->out, "child: ");
    cr_assert(status != NULL,
              "Expected 'parent: child C exited with status 0': the parent "
              "must wait for the child. Output:\n%s\nHint: TODO(05.3).",
              r->out);
    cr_assert(child != NULL && child < status,
              "The child's line must come before the parent's report that it "
              "exited. Output:\n%s",
              r->out);
    cr_assert(strcmp(list, squares) == 0 && sum == want_sum,
              "`%s`: the parent should read the child's squares %s and sum "
              "%ld from the shared memory; it read %s and %ld.\nHint: %s",
              r->desc, squares, want_sum, list, sum,
              strchr(list, '0') != NULL && sum == 0
                  ? "zeros mean the child wrote to memory the parent does "
                    "not share (TODO 05.2: mmap with MAP_SHARED | "
                    "MAP_ANONYMOUS, before fork), or the parent read before "
                    "the child had written (TODO 05.3: waitpid first)."
                  : "TODO(05.2) and TODO(05.3).");
    run_free(r);
}

Test(lab05_shared, parent_sees_the_childs_squares_and_their_sum)
{
    check_shared((const char *const[]){"shared", NULL}, "[1, 4, 9, 16]", 30);
}

Test(lab05_shared, parent_waits_for_a_slow_child_before_reading)
{
    check_shared((const char *const[]){"shared", "-d", "0.3", "2", "3", NULL},
                 "[4, 9]", 13);
    check_shared(
        (const char *const[]){"shared", "--", "-3", "10000", "0", NULL},
        "[9, 100000000, 0]", 100000009);
}

Test(lab05_shared,
     private_mapping_keeps_the_parents_copy_and_bad_arguments_are_refused)
{
    static const char *const bad[][6] = {
        {"shared", "-d", "11", NULL},
        {"shared", "-d", "soon", NULL},
        {"shared", "-q", NULL},
        {"shared", "1", "two", NULL},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0]);
    struct run_result *r = RUN("shared", "-p");
    run_expect_success(r, "TODO(05.2) and TODO(05.3)");
    cr_assert(line_with(r->out, "exited with status 0") != NULL,
              "Expected 'parent: child C exited with status 0'. Output:\n%s\n"
              "Hint: TODO(05.3): waitpid before reading.",
              r->out);
    cr_assert(line_with(r->out, "wrote squares [1, 4, 9, 16] and their sum 30"),
              "With -p the child still computes [1, 4, 9, 16] and 30 in its "
              "own copy. Output:\n%s",
              r->out);
    char list[256];
    long sum = -1;
    cr_assert(parent_view(r, "parent", list, sizeof list, &sum),
              "Expected the parent's result and sum lines. Output:\n%s",
              r->out);
    cr_assert(strcmp(list, "[0, 0, 0, 0]") == 0 && sum == 0,
              "With -p (MAP_PRIVATE) the child writes to its own copy: the "
              "parent should still see [0, 0, 0, 0] and 0, like cow's empty "
              "list. It saw %s and %ld.\nHint: TODO(05.2): MAP_PRIVATE when "
              "shared is false.",
              list, sum);
    run_free(r);
}

/* ---- shm_squares and shm_worker: named shared memory --------------- */

/* A name of our own for objects this test makes: /lab05-<what>-<our pid>. */
static const char *test_name(const char *what)
{
    static char name[64];
    snprintf(name, sizeof name, "/lab05-%s-%ld", what, (long)getpid());
    return name;
}

/* The word starting with '/' after prefix in the first line containing
 * prefix, into buf[64]; "" if none. */
static const char *name_after(const char *text, const char *prefix, char *buf)
{
    buf[0] = '\0';
    const char *p = strstr(text, prefix);
    if (p != NULL)
        sscanf(p + strlen(prefix), "%63[^ \n,:]", buf);
    return buf;
}

Test(lab05_shm, a_separate_program_fills_the_named_object)
{
    struct run_result *r = RUN("shm_squares");
    run_expect_success(r, "TODO(05.4), TODO(05.5) and TODO(05.7)");
    char list[256];
    long sum = -1;
    cr_assert(parent_view(r, "owner", list, sizeof list, &sum),
              "Expected 'owner: result [...]' and 'owner: sum of squares N'. "
              "Output:\n%s\nStderr:\n%s",
              r->out, r->err);
    cr_assert(strcmp(list, "[1, 4, 9, 16]") == 0 && sum == 30,
              "The owner should read the worker's squares [1, 4, 9, 16] and "
              "sum 30 from the object; it read %s and %ld. Hint: both "
              "programs must map it MAP_SHARED (TODO 05.4 and 05.7).",
              list, sum);
    long owner = 0, worker = 0;
    const char *o = run_line_starting(r->out, "owner: pid ");
    const char *w = run_line_starting(r->out, "worker: pid ");
    cr_assert(o != NULL && w != NULL &&
                  sscanf(o, "owner: pid %ld", &owner) == 1 &&
                  sscanf(w, "worker: pid %ld", &worker) == 1,
              "Expected 'owner: pid N ...' and 'worker: pid N ...' lines. "
              "Output:\n%s",
              r->out);
    cr_assert_neq(owner, worker, "Owner and worker must be two processes.");
    char created[64], attached[64];
    name_after(r->out, " created ", created);
    name_after(r->out, " attached ", attached);
    cr_assert(created[0] == '/' && strcmp(created, attached) == 0,
              "The worker should attach the object the owner created "
              "(created '%s', attached '%s').",
              created, attached);
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", owner);
    cr_assert(strstr(created, pid) != NULL,
              "The default name '%s' should contain the owner's pid %s, so "
              "that two runs at once do not collide.",
              created, pid);
    cr_assert(run_line_starting(r->out, "owner: removed ") != NULL,
              "Expected 'owner: removed NAME' at the end. Output:\n%s", r->out);
    run_free(r);
}

Test(lab05_shm, two_owners_at_once_and_workers_started_by_hand)
{
    struct run_result *r =
        RUN("drive", "-c", "2", "-w", "--", "shm_squares", "-w");
    run_expect_success(r, "the test driver itself failed");
    char one[64], two[64];
    name_after(r->out, "drive: copy 1 ready on ", one);
    name_after(r->out, "drive: copy 2 ready on ", two);
    cr_assert(one[0] == '/' && two[0] == '/',
              "Two copies of `shm_squares -w` were started at once; each "
              "should print an 'owner: ready: ...' line naming its object. "
              "The driver saw:\n%s\nStderr:\n%s\nHint: TODO(05.4).",
              r->out, r->err);
    cr_assert_str_neq(one, two,
                      "Both copies used the object %s: two runs at the same "
                      "time must use different names (the pid in the name).",
                      one);
    for (int k = 1; k <= 2; k++) {
        char want[128];
        snprintf(want, sizeof want, "drive: worker on %s exited with status 0",
                 k == 1 ? one : two);
        cr_assert(strstr(r->out, want) != NULL,
                  "shm_worker, started separately with -n %s, should exit "
                  "with status 0. Output:\n%s\nStderr:\n%s\nHint: TODO(05.7).",
                  k == 1 ? one : two, r->out, r->err);
        snprintf(want, sizeof want, "[%d] owner: result [1, 4, 9, 16]", k);
        cr_assert(strstr(r->out, want) != NULL,
                  "Copy %d should see the squares the separate worker wrote "
                  "(once its done flag is set). Output:\n%s",
                  k, r->out);
        snprintf(want, sizeof want, "drive: copy %d exited with status 0", k);
        cr_assert(strstr(r->out, want) != NULL,
                  "Copy %d should end with status 0. Output:\n%s", k, r->out);
    }
    run_free(r);
}

/* Send sig to a running shm_squares through the driver, and check that it
 * ended because of it, soon, reaping its worker and removing its object. */
static void check_interrupted(const char *sig, int signo, const char *mode,
                              const char *mode_arg)
{
    struct run_opts opts = {.allow_leftovers = true};
    struct run_result *r = RUN_WITH(&opts, "drive", "-s", sig, "--",
                                    "shm_squares", mode, mode_arg);
    run_expect_success(r, "the test driver itself failed");
    cr_assert(strstr(r->out, "drive: copy 1 ready on /") != NULL,
              "`shm_squares %s %s` never printed its 'owner: ready: ...' "
              "line, so there was nothing to interrupt. Output:\n%s\n"
              "Stderr:\n%s\nHint: TODO(05.4).",
              mode, mode_arg, r->out, r->err);
    char by_signal[64], by_status[64];
    snprintf(by_signal, sizeof by_signal, "copy 1 was killed by signal %d",
             signo);
    snprintf(by_status, sizeof by_status, "copy 1 exited with status %d",
             128 + signo);
    cr_assert(strstr(r->out, by_signal) != NULL ||
                  strstr(r->out, by_status) != NULL,
              "After SIG%s, shm_squares should clean up and then end by that "
              "signal (or exit with status %d), so that its caller knows it "
              "was interrupted. The driver saw:\n%s",
              sig, 128 + signo, r->out);
    cr_assert(r->left_shm[0] == '\0',
              "After SIG%s, /dev/shm still held %s. The handler must not let "
              "the signal kill the program before it removes the object "
              "(TODO 05.6: sigaction for SIGINT and SIGTERM), and the "
              "interrupted path must remove it (TODO 05.5: shm_unlink).",
              sig, r->left_shm);
    cr_assert(r->left_running == 0 && r->left_zombies == 0,
              "After SIG%s, %d process(es) were left running and %d unreaped: "
              "the owner must stop and reap the worker it started before it "
              "ends.",
              sig, r->left_running, r->left_zombies);
    double after = 99;
    const char *t = strstr(r->out, "drive: copy 1 ended ");
    if (t != NULL)
        sscanf(t, "drive: copy 1 ended %lf", &after);
    cr_assert_lt(after, 2.0,
                 "shm_squares took %.2f s to end after SIG%s: a program "
                 "waiting for its worker should notice the signal at once "
                 "and stop waiting. The driver saw:\n%s",
                 after, sig, r->out);
    run_free(r);
}

Test(lab05_shm, ctrl_c_while_the_worker_works_removes_the_object)
{
    check_interrupted("INT", SIGINT, "-d", "5");
}

Test(lab05_shm, sigterm_while_waiting_for_a_worker_removes_the_object)
{
    check_interrupted("TERM", SIGTERM, "-w", "1");
}

Test(lab05_shm, a_name_in_use_is_refused_and_left_alone)
{
    static const char *const bad[][6] = {
        {"shm_squares", "-n", "no-slash", NULL},
        {"shm_squares", "-n", "/a/b", NULL},
        {"shm_squares", "-w", "-d", "1", NULL},
        {"shm_squares", "-d", "61", NULL},
        {"shm_squares", "2", "x", NULL},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0]);

    /* Someone else's object: shm_squares must refuse it, not use it, and
     * certainly not remove it. */
    const char *taken = test_name("taken");
    int fd = shm_open(taken, O_RDWR | O_CREAT | O_EXCL, 0600);
    cr_assert(fd != -1, "test setup: shm_open %s: %s", taken, strerror(errno));
    close(fd);
    struct run_result *r = RUN("shm_squares", "-n", taken);
    int still = shm_open(taken, O_RDWR, 0);
    if (still != -1)
        close(still);
    shm_unlink(taken);
    cr_assert(still != -1,
              "`%s` removed %s, an object it did not create. Only remove a "
              "name after your own shm_open created it.",
              r->desc, taken);
    cr_assert(r->exit_code == 1 && strstr(r->err, strerror(EEXIST)) != NULL,
              "`%s`: the name was already in use, so shm_open with O_CREAT | "
              "O_EXCL should fail and the program exit 1 with 'shm_open: %s'. "
              "It %s. Stderr:\n%s\nHint: TODO(05.4).",
              r->desc, strerror(EEXIST), run_how_ended(r), r->err);
    run_free(r);

    /* A free name of our choosing, and negative numbers after --. */
    r = RUN("shm_squares", "-n", test_name("mine"), "--", "-3", "4");
    run_expect_success(r, "TODO(05.4), TODO(05.5) and TODO(05.7)");
    char list[256];
    long sum = -1;
    cr_assert(parent_view(r, "owner", list, sizeof list, &sum) &&
                  strcmp(list, "[9, 16]") == 0 && sum == 25,
              "`%s` should report result [9, 16] and sum 25. Output:\n%s",
              r->desc, r->out);
    run_free(r);
}

Test(lab05_shm, worker_refuses_a_missing_or_unsized_object)
{
    static const char *const bad[][6] = {
        {"shm_worker", NULL},
        {"shm_worker", "-n", "/x", "extra", NULL},
        {"shm_worker", "-n", "/x", "-d", "-1", NULL},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0]);

    const char *missing = test_name("missing");
    struct run_result *r = RUN("shm_worker", "-n", missing);
    cr_assert(r->exit_code == 1 && strstr(r->err, strerror(ENOENT)) != NULL,
              "`%s` names no object: shm_open without O_CREAT should fail "
              "and the worker exit 1 with '%s'. It %s. Stderr:\n%s\n"
              "Hint: TODO(05.7).",
              r->desc, strerror(ENOENT), run_how_ended(r), r->err);
    cr_assert(r->left_shm[0] == '\0',
              "The worker created %s: it must open the owner's object, never "
              "create one (no O_CREAT).",
              r->left_shm);
    run_free(r);

    /* An object nobody sized with ftruncate: 0 bytes. */
    const char *empty = test_name("empty");
    int fd = shm_open(empty, O_RDWR | O_CREAT | O_EXCL, 0600);
    cr_assert(fd != -1, "test setup: shm_open %s: %s", empty, strerror(errno));
    close(fd);
    r = RUN("shm_worker", "-n", empty);
    shm_unlink(empty);
    cr_assert(r->exit_code == 1,
              "`%s` on an object of 0 bytes should check its size with "
              "fstat and exit 1 with a message; it %s (SIGBUS, signal %d, "
              "is what touching an unsized object does). Hint: TODO(05.7).",
              r->desc, run_how_ended(r), SIGBUS);
    run_free(r);
}
