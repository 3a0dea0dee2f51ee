/*
 * Lab 05 - value and array: copy-on-write after fork, memory shared with
 * mmap(MAP_SHARED | MAP_ANONYMOUS), and named shared memory (shm_open)
 * between separate programs, removed on every way out - Ctrl-C included.
 *
 * Every program runs as its own process (tests/harness/run.h), which also
 * fails a test on anything left behind: a process, a zombie, an object in
 * /dev/shm. Tests that act on a program while it runs (a signal, a
 * worker killed, a worker started by hand) start it themselves and judge
 * only what they see directly: the status from their own waitpid, /dev/shm,
 * /proc - never a report printed by a process that runs student code.
 * Failure paths are provoked: a fork that fails (the harness's
 * KIT_FAIL_FORK_AT), a worker killed, a fake worker that fails or skips
 * its work, a child killed mid-task. Numbers are chosen by the test and
 * their squares recomputed here, up to the limits (16 numbers, +-10000).
 * Tests check properties - which list each process sees, same or
 * different addresses and names - never pid values.
 */
#define _DEFAULT_SOURCE /* realpath */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define LAB "05-value-array"

/* shm_squares, run by name, starts shm_worker by name on PATH (as a
 * shell would): put the build under test first on PATH. */
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

/* ---- programs started by the test itself --------------------------
 * The tests below act on a program while it runs (send it a signal, kill
 * its worker, start a worker by hand), so they start it themselves,
 * without run_program(). Only data this process sees for itself decides
 * a verdict: the status waitpid() gives us, the bytes the program wrote,
 * /dev/shm, and /proc. The child side only execs (or _exits). */

struct proc {
    pid_t pid;
    int fd;         /* read end of its stdout and stderr, -1 at end */
    char out[8192]; /* all it printed, NUL-terminated */
    size_t len;
    int status;
    bool ended;
};

/* Mirror the harness: under the grading box, programs run as its user. */
static void drop_privileges_like_the_harness(void)
{
    const char *u = getenv("KIT_RUN_UID"), *g = getenv("KIT_RUN_GID");
    if (u == NULL || u[0] == '\0')
        return;
    long uid = strtol(u, NULL, 10);
    long gid = g != NULL && g[0] != '\0' ? strtol(g, NULL, 10) : uid;
    if (setgroups(0, NULL) == -1 || setgid((gid_t)gid) == -1 ||
        setuid((uid_t)uid) == -1)
        _exit(127);
}

/* Start path with argv (argv[0] as given), output into p->out. */
static void proc_start(struct proc *p, const char *path,
                       const char *const argv[])
{
    memset(p, 0, sizeof *p);
    int fds[2];
    cr_assert(pipe(fds) == 0, "test setup: pipe: %s", strerror(errno));
    cr_assert(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "test setup: prctl");
    fflush(NULL);
    p->pid = fork();
    cr_assert(p->pid != -1, "test setup: fork: %s", strerror(errno));
    if (p->pid == 0) {
        setpgid(0, 0);
        drop_privileges_like_the_harness();
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGPIPE, SIG_DFL);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull == -1 || dup2(devnull, STDIN_FILENO) == -1 ||
            dup2(fds[1], STDOUT_FILENO) == -1 ||
            dup2(fds[1], STDERR_FILENO) == -1)
            _exit(127);
        for (int fd = 3; fd < 1024; fd++) /* Criterion's own, the pipe */
            close(fd);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    setpgid(p->pid, p->pid);
    close(fds[1]);
    p->fd = fds[0];
}

/* Read what p printed until needle appears (returns true) or until the
 * deadline or its end of output (false). needle NULL: read to the end. */
static bool proc_read_until(struct proc *p, const char *needle, double seconds)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (needle != NULL && strstr(p->out, needle) != NULL)
            return true;
        if (p->fd == -1)
            return false;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        double left = seconds - ((double)(t.tv_sec - t0.tv_sec) +
                                 (double)(t.tv_nsec - t0.tv_nsec) / 1e9);
        if (left <= 0)
            return false;
        struct pollfd pfd = {p->fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
            continue;
        ssize_t n = read(p->fd, p->out + p->len, sizeof p->out - 1 - p->len);
        if (n <= 0) {
            close(p->fd);
            p->fd = -1;
        } else {
            p->len += (size_t)n;
            p->out[p->len] = '\0';
        }
    }
}

/* Wait up to seconds for p to end; false if it did not (then it is
 * killed, with its process group). */
static bool proc_wait(struct proc *p, double seconds)
{
    for (int i = 0; i < (int)(seconds * 100); i++) {
        pid_t w = waitpid(p->pid, &p->status, WNOHANG);
        if (w == p->pid) {
            p->ended = true;
            (void)proc_read_until(p, NULL, 0.5);
            return true;
        }
        if (p->fd != -1)
            (void)proc_read_until(p, "\x01", 0.01); /* keep it drained */
        else
            usleep(10000);
    }
    kill(-p->pid, SIGKILL);
    waitpid(p->pid, &p->status, 0);
    (void)proc_read_until(p, NULL, 0.2);
    return false;
}

static void proc_close(struct proc *p)
{
    if (p->fd != -1)
        close(p->fd);
    p->fd = -1;
}

/* Is pid still there (running, or a zombie nobody reaped)? If so, kill
 * and reap it, so that the test leaves nothing behind. */
static bool still_there(pid_t pid)
{
    if (pid <= 0 || kill(pid, 0) == -1)
        return false;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0); /* ours if it was orphaned (subreaper) */
    return true;
}

/* Does /dev/shm hold name? If so, remove it (the test cleans up). */
static bool object_left(const char *name)
{
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd == -1)
        return false;
    close(fd);
    shm_unlink(name);
    return true;
}

/* "how it ended", from a status we got ourselves. */
static const char *ended(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, size, "ended with status 0x%x", (unsigned)status);
    return buf;
}

/* Start shm_squares with args and wait for its "ready" line; fills name
 * (its object) and *worker (the pid it says it started, or 0). */
static void start_owner(struct proc *p, const char *path,
                        const char *const argv[], char *name, pid_t *worker)
{
    proc_start(p, path, argv);
    bool ready = proc_read_until(p, "ready", 10);
    (void)proc_read_until(p, "\n", 0.5); /* the rest of that line */
    const char *line = strstr(p->out, "owner: ready");
    if (!ready || line == NULL || strchr(line, '\n') == NULL) {
        kill(-p->pid, SIGKILL);
        cr_assert_fail("`shm_squares` never printed its 'owner: ready: ...' "
                       "line. Output:\n%s\nHint: TODO(05.4).",
                       p->out);
    }
    name_after(line, " on ", name);
    if (name[0] == '\0')
        name_after(line, "run shm_worker -n ", name);
    long pid = 0;
    const char *w = strstr(line, "(pid ");
    *worker = w != NULL && sscanf(w, "(pid %ld)", &pid) == 1 ? (pid_t)pid : 0;
}

static const char *owner_path(void)
{
    static char path[PATH_MAX];
    if (realpath(run_program_path(LAB, "shm_squares"), path) == NULL)
        cr_assert_fail("shm_squares was not built (%s). Does it compile?",
                       run_program_path(LAB, "shm_squares"));
    return path;
}

/* The owner's own report of the squares, which the test recomputes. */
static void expect_squares(const char *out, const char *who,
                           const char *squares, long sum)
{
    char list[256], want[64];
    const char *l = NULL, *s = NULL;
    snprintf(want, sizeof want, "%s: result ", who);
    l = strstr(out, want);
    snprintf(want, sizeof want, "%s: sum of squares ", who);
    s = strstr(out, want);
    long seen = -1;
    if (l != NULL)
        rest_of_line(l + strlen(who) + strlen(": result "), list, sizeof list);
    else
        strcpy(list, "(none)");
    if (s != NULL)
        sscanf(s + strlen(want), "%ld", &seen);
    cr_assert(l != NULL && strcmp(list, squares) == 0 && seen == sum,
              "Expected '%s: result %s' and '%s: sum of squares %ld'; saw %s "
              "and %ld. Output:\n%s",
              who, squares, who, sum, list, seen, out);
}

Test(lab05_shm, two_owners_at_once_and_workers_started_by_hand)
{
    const char *path = owner_path();
    struct proc owner[2];
    char names[2][64];
    pid_t none;
    for (int k = 0; k < 2; k++)
        start_owner(&owner[k], path,
                    (const char *const[]){path, "-w", "--", "-7", "3", NULL},
                    names[k], &none);
    cr_assert(names[0][0] == '/' && names[1][0] == '/',
              "Each `shm_squares -w` should name its object in its ready line. "
              "Outputs:\n%s\n%s\nHint: TODO(05.4).",
              owner[0].out, owner[1].out);
    cr_assert_str_neq(names[0], names[1],
                      "Two copies running at once both used %s: the default "
                      "name must differ between runs (the pid in it).",
                      names[0]);
    char wpath[PATH_MAX];
    snprintf(wpath, sizeof wpath, "%s", path);
    strcpy(strrchr(wpath, '/') + 1, "shm_worker");
    for (int k = 0; k < 2; k++) {
        struct proc worker;
        proc_start(&worker, wpath,
                   (const char *const[]){"shm_worker", "-n", names[k], NULL});
        bool done = proc_wait(&worker, 10);
        proc_close(&worker);
        char how[64];
        cr_assert(done && WIFEXITED(worker.status) &&
                      WEXITSTATUS(worker.status) == 0,
                  "`shm_worker -n %s`, started by hand, should exit with "
                  "status 0; it %s. Output:\n%s\nHint: TODO(05.7).",
                  names[k],
                  done ? ended(worker.status, how, sizeof how)
                       : "did not end within 10 s",
                  worker.out);
    }
    for (int k = 0; k < 2; k++) {
        bool done = proc_wait(&owner[k], 5);
        proc_close(&owner[k]);
        char how[64];
        cr_assert(done && WIFEXITED(owner[k].status) &&
                      WEXITSTATUS(owner[k].status) == 0,
                  "`shm_squares -w` should see the worker's done flag and "
                  "exit 0 once a worker has filled its object; it %s. "
                  "Output:\n%s",
                  done ? ended(owner[k].status, how, sizeof how)
                       : "did not end within 5 s",
                  owner[k].out);
        expect_squares(owner[k].out, "owner", "[49, 9]", 58);
        cr_assert(!object_left(names[k]),
                  "%s was still in /dev/shm after its owner ended: the owner "
                  "removes it (TODO 05.5).",
                  names[k]);
    }
}

/* The descriptors pid holds open on /dev/shm objects, space-separated,
 * into buf ("" if none). Once mapped, an object needs no descriptor. */
static const char *shm_descriptors(pid_t pid, char *buf, size_t size)
{
    buf[0] = '\0';
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%ld/fd", (long)pid);
    DIR *d = opendir(dir);
    if (d == NULL)
        return buf;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char link[320], target[256];
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strncmp(target, "/dev/shm/", 9) == 0) {
            size_t used = strlen(buf);
            int n_out = snprintf(buf + used, size - used, "%sfd %.8s -> %.60s",
                                 used > 0 ? ", " : "", e->d_name, target);
            if (n_out < 0 || (size_t)n_out >= size - used)
                break;
        }
    }
    closedir(d);
    return buf;
}

/* Send sig to a running shm_squares, and check that it ended because of
 * it, soon, reaping its worker and removing its object. */
static void check_interrupted(int sig, const char *const argv[])
{
    const char *path = owner_path();
    struct proc owner;
    char name[64];
    pid_t worker;
    start_owner(&owner, path, argv, name, &worker);
    char fds[512];
    if (shm_descriptors(owner.pid, fds, sizeof fds)[0] != '\0') {
        kill(-owner.pid, SIGKILL);
        waitpid(owner.pid, NULL, 0);
        (void)object_left(name);
        (void)still_there(worker);
        cr_assert_fail("While it waits, shm_squares still holds a descriptor "
                       "on its object (%s). Once mmap has mapped it, close "
                       "the descriptor: the mapping stays (TODO 05.4).",
                       fds);
    }
    cr_assert(kill(owner.pid, sig) == 0, "test setup: kill");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool done = proc_wait(&owner, 5);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    proc_close(&owner);
    double after = (double)(t1.tv_sec - t0.tv_sec) +
                   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    bool left = object_left(name);
    bool worker_left = still_there(worker);
    char how[64];
    cr_assert(done,
              "After signal %d, shm_squares did not end within 5 s. "
              "Output:\n%s",
              sig, owner.out);
    cr_assert(
        (WIFSIGNALED(owner.status) && WTERMSIG(owner.status) == sig) ||
            (WIFEXITED(owner.status) && WEXITSTATUS(owner.status) == 128 + sig),
        "After signal %d, shm_squares should clean up and then end by "
        "that signal (or exit with status %d), so that its caller "
        "knows it was interrupted; it %s. Output:\n%s",
        sig, 128 + sig, ended(owner.status, how, sizeof how), owner.out);
    cr_assert(!left,
              "After signal %d, /dev/shm still held %s. The handler must not "
              "let the signal kill the program before it removes the object "
              "(TODO 05.6: sigaction for SIGINT and SIGTERM), and the "
              "interrupted path must remove it (TODO 05.5: shm_unlink).",
              sig, name);
    cr_assert(!worker_left,
              "After signal %d, the worker (pid %ld) was left behind: the "
              "owner must stop and reap the worker it started before it "
              "ends.",
              sig, (long)worker);
    cr_assert_lt(after, 2.0,
                 "shm_squares took %.2f s to end after signal %d: a program "
                 "waiting for its worker should notice the signal at once.",
                 after, sig);
}

Test(lab05_shm, ctrl_c_while_the_worker_works_removes_the_object)
{
    const char *path = owner_path();
    check_interrupted(SIGINT, (const char *const[]){path, "-d", "5", NULL});
}

Test(lab05_shm, sigterm_while_waiting_for_a_worker_removes_the_object)
{
    const char *path = owner_path();
    check_interrupted(SIGTERM,
                      (const char *const[]){path, "-w", "1", "2", NULL});
}

/* A worker that ends without doing its work: the owner must say how it
 * really ended, show no result, remove the object and exit 1. */
static void check_failed_worker(struct proc *owner, const char *name,
                                const char *how_it_ended, const char *what)
{
    bool done = proc_wait(owner, 5);
    proc_close(owner);
    bool left = object_left(name);
    char how[64];
    cr_assert(done, "%s: shm_squares did not end within 5 s. Output:\n%s", what,
              owner->out);
    char want[96];
    snprintf(want, sizeof want, "owner: worker %s", how_it_ended);
    cr_assert(strstr(owner->out, want) != NULL,
              "%s: the owner should report how the worker really ended, "
              "'%s'. Output:\n%s\nHint: decode the status waitpid gives "
              "(status_describe, or WIFEXITED/WEXITSTATUS and "
              "WIFSIGNALED/WTERMSIG).",
              what, want, owner->out);
    cr_assert(strstr(owner->out, "owner: result") == NULL,
              "%s: the work was not done, so the owner must not print a "
              "result. Output:\n%s",
              what, owner->out);
    cr_assert(WIFEXITED(owner->status) && WEXITSTATUS(owner->status) == 1,
              "%s: the owner should exit with status 1 (the work failed); it "
              "%s. Output:\n%s",
              what, ended(owner->status, how, sizeof how), owner->out);
    cr_assert(!left,
              "%s: /dev/shm still held %s. The owner removes its object on "
              "every way out (TODO 05.5).",
              what, name);
}

Test(lab05_shm, a_worker_killed_by_a_signal_is_reported_and_cleaned_up)
{
    const char *path = owner_path();
    struct proc owner;
    char name[64];
    pid_t worker;
    start_owner(&owner, path, (const char *const[]){path, "-d", "5", NULL},
                name, &worker);
    cr_assert(worker > 0,
              "The ready line should say 'started shm_worker (pid N)'. "
              "Output:\n%s",
              owner.out);
    cr_assert(kill(worker, SIGKILL) == 0, "test setup: kill worker %ld: %s",
              (long)worker, strerror(errno));
    check_failed_worker(&owner, name, "was killed by signal 9",
                        "Its worker killed with SIGKILL");
}

/* A folder with a link to shm_squares and a fake shm_worker script next
 * to it, which shm_squares then starts (it looks beside itself). */
static const char *fake_worker_dir(char *dir, const char *script)
{
    strcpy(dir, "/tmp/lab05-fake-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL, "test setup: mkdtemp: %s", strerror(errno));
    chmod(dir, 0755);
    char link[PATH_MAX], fake[PATH_MAX];
    snprintf(link, sizeof link, "%s/shm_squares", dir);
    snprintf(fake, sizeof fake, "%s/shm_worker", dir);
    cr_assert(symlink(owner_path(), link) == 0, "test setup: symlink: %s",
              strerror(errno));
    FILE *f = fopen(fake, "w");
    cr_assert(f != NULL, "test setup: %s: %s", fake, strerror(errno));
    fprintf(f, "#!/bin/sh\n%s\n", script);
    fclose(f);
    chmod(fake, 0755);
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", link);
    return path;
}

static void remove_fake_worker_dir(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/shm_squares", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/shm_worker", dir);
    unlink(p);
    rmdir(dir);
}

Test(lab05_shm, a_worker_that_fails_or_skips_the_work_is_reported)
{
    static const struct {
        const char *script, *how, *what;
    } fakes[] = {
        {"exit 3", "exited with status 3", "A worker that exits with status 3"},
        {"kill -SEGV $$", "was killed by signal 11",
         "A worker that crashes (SIGSEGV)"},
        {"exit 0", "exited with status 0",
         "A worker that exits 0 without setting the done flag"},
    };
    for (size_t i = 0; i < sizeof fakes / sizeof fakes[0]; i++) {
        char dir[64];
        const char *path = fake_worker_dir(dir, fakes[i].script);
        struct proc owner;
        char name[64];
        pid_t worker;
        start_owner(&owner, path, (const char *const[]){path, NULL}, name,
                    &worker);
        check_failed_worker(&owner, name, fakes[i].how, fakes[i].what);
        remove_fake_worker_dir(dir);
    }
}

Test(lab05_shm, an_owner_whose_fork_fails_still_removes_its_object)
{
    /* The fork that would start the worker fails (EAGAIN): the owner
     * stops with exit status 1 - and its object must not stay behind
     * (atexit(remove_object), or clean-up on that path). */
    static const char *const env[] = {"KIT_FAIL_FORK_AT=1", NULL};
    struct run_opts opts = {.perturb = true, .env = env};
    struct run_result *r = RUN_WITH(&opts, "shm_squares");
    cr_assert(r->exit_code == 1 && strstr(r->err, "fork") != NULL,
              "`%s` with a failing fork() should stop with exit status 1 and "
              "a message naming fork; it %s. Stderr:\n%s",
              r->desc, run_how_ended(r), r->err);
    cr_assert(r->left_shm[0] == '\0',
              "After its fork failed, shm_squares left %s in /dev/shm: a "
              "failure after shm_open must still remove the object (TODO "
              "05.5; remove_object runs at exit).",
              r->left_shm);
    run_free(r);
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

/* ---- limits, help, failures of cow and shared ---------------------- */

/* "[a, b, ...]" and the sum of the squares of v[0..n-1], computed here. */
static long squares_of(const int *v, size_t n, char *list, size_t size)
{
    long sum = 0;
    size_t used = (size_t)snprintf(list, size, "[");
    for (size_t i = 0; i < n; i++) {
        long sq = (long)v[i] * v[i];
        sum += sq;
        used += (size_t)snprintf(list + used, size - used, "%s%ld",
                                 i > 0 ? ", " : "", sq);
    }
    snprintf(list + used, size - used, "]");
    return sum;
}

/* -h and --help: the usage line on stdout, exit status 0. */
static void expect_help(const char *prog)
{
    static const char *const flags[] = {"-h", "--help"};
    for (size_t i = 0; i < 2; i++) {
        struct run_result *r =
            run_program(LAB, (const char *const[]){prog, flags[i], NULL}, NULL);
        cr_assert(r->exit_code == 0 && strstr(r->out, "usage:") != NULL &&
                      r->left_shm[0] == '\0',
                  "`%s` should print its usage line on stdout and exit 0, "
                  "making nothing (asking for help is not an error); it %s. "
                  "Stdout:\n%s",
                  r->desc, run_how_ended(r), r->out);
        run_free(r);
    }
}

Test(lab05_shm, sixteen_numbers_at_the_limits_and_one_too_many)
{
    /* NUMBERS_MAX (16) numbers, the extremes +-10000 among them: the sum,
     * 2 x 10^8 + ..., still fits in an int. */
    static const int v[16] = {-10000, 10000, 0,  1, -1, 9999, -9999, 2,
                              3,      4,     -5, 6, 7,  8,    9,     10000};
    const char *argv[20] = {"shm_squares", "--"};
    char words[16][16];
    for (int i = 0; i < 16; i++) {
        snprintf(words[i], sizeof words[i], "%d", v[i]);
        argv[2 + i] = words[i];
    }
    argv[18] = NULL;
    struct run_result *r = run_program(LAB, argv, NULL);
    run_expect_success(r, "TODO(05.4), TODO(05.5) and TODO(05.7)");
    char list[512];
    long sum = squares_of(v, 16, list, sizeof list);
    expect_squares(r->out, "owner", list, sum);
    char want[600];
    snprintf(want, sizeof want, "worker: wrote squares %s and their sum %ld",
             list, sum);
    cr_assert(strstr(r->out, want) != NULL,
              "Expected the worker's line '%s'. Output:\n%s", want, r->out);
    run_free(r);
    static const char *const bad[][6] = {
        {"shm_squares", "10001", NULL},
        {"shm_squares", "--", "-10001", NULL},
    };
    expect_refused(bad, 2);
    const char *too_many[20] = {"shm_squares"};
    for (int i = 1; i <= 17; i++)
        too_many[i] = "1";
    too_many[18] = NULL;
    r = run_program(LAB, too_many, NULL);
    cr_assert(r->exit_code == 2 && r->left_shm[0] == '\0',
              "17 numbers are one too many (at most 16): `%s` should exit "
              "with status 2 and make no object; it %s.",
              r->desc, run_how_ended(r));
    run_free(r);
    expect_help("shm_squares");
    expect_help("shm_worker");
}

/* A fork that fails: the program says so on stderr and exits 1, and
 * shows no result (there is none). */
static void check_failed_fork(const char *prog, const char *todo)
{
    static const char *const env[] = {"KIT_FAIL_FORK_AT=1", NULL};
    struct run_opts opts = {.perturb = true, .env = env};
    struct run_result *r =
        run_program(LAB, (const char *const[]){prog, NULL}, &opts);
    cr_assert(r->exit_code == 1 && strstr(r->err, "fork") != NULL,
              "`%s` whose fork() fails (EAGAIN) should stop with exit status "
              "1 and a message naming fork; it %s. Stderr:\n%s\nHint: %s.",
              r->desc, run_how_ended(r), r->err, todo);
    cr_assert(strstr(r->out, "parent: result") == NULL,
              "`%s`: with no child, there is no result to show. Output:\n%s",
              r->desc, r->out);
    run_free(r);
}

Test(lab05_cow, a_failed_fork_is_reported_and_help_is_given)
{
    check_failed_fork("cow", "TODO(05.1): if ((child = fork()) == -1) "
                             "die(\"fork\")");
    expect_help("cow");
}

Test(lab05_shared, a_child_killed_mid_task_is_reported_not_read)
{
    check_failed_fork("shared", "check fork()'s result");
    expect_help("shared");

    /* The child works 3 s; the test kills it with SIGKILL meanwhile. */
    char path[PATH_MAX];
    cr_assert(realpath(run_program_path(LAB, "shared"), path) != NULL,
              "shared was not built");
    struct proc parent;
    proc_start(&parent, path, (const char *const[]){"shared", "-d", "3", NULL});
    (void)proc_read_until(&parent, "\n", 5);
    long child = 0;
    char children[64] = "";
    for (int i = 0; i < 200 && child == 0; i++) {
        char f[64];
        snprintf(f, sizeof f, "/proc/%ld/task/%ld/children", (long)parent.pid,
                 (long)parent.pid);
        FILE *c = fopen(f, "r");
        if (c != NULL) {
            if (fgets(children, sizeof children, c) != NULL)
                child = strtol(children, NULL, 10);
            fclose(c);
        }
        if (child == 0)
            usleep(10000);
    }
    cr_assert(child > 0,
              "`shared -d 3` started no child within 2 s. "
              "Output:\n%s",
              parent.out);
    kill((pid_t)child, SIGKILL);
    bool done = proc_wait(&parent, 5);
    proc_close(&parent);
    char how[64];
    cr_assert(done,
              "`shared -d 3` did not end within 5 s after its child was "
              "killed. Output:\n%s",
              parent.out);
    char want[96];
    snprintf(want, sizeof want, "parent: child %ld was killed by signal 9",
             child);
    cr_assert(strstr(parent.out, want) != NULL,
              "The child was killed by SIGKILL: the parent should say '%s' "
              "(decode the status: WIFSIGNALED, WTERMSIG). Output:\n%s\n"
              "Hint: TODO(05.3).",
              want, parent.out);
    cr_assert(strstr(parent.out, "parent: result") == NULL &&
                  WIFEXITED(parent.status) && WEXITSTATUS(parent.status) == 1,
              "A child that did not finish wrote no result: the parent must "
              "not print one, and must exit with status 1; it %s. "
              "Output:\n%s\nHint: TODO(05.3).",
              ended(parent.status, how, sizeof how), parent.out);
}

Test(lab05_shm, no_leak_or_undefined_behaviour_under_asan)
{
    struct run_opts asan = {.sanitizer = RUN_ASAN};
    static const char *const progs[][6] = {
        {"cow", "--", "-3", "7", NULL},
        {"shared", "-d", "0.01", "5", NULL},
        {"shared", "-p", NULL},
        {"shm_squares", "--", "-10000", "10000", NULL},
    };
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        struct run_result *r = run_program(LAB, progs[i], &asan);
        run_expect_success(r, "TODO(05.1) to TODO(05.7)");
        cr_assert(strstr(r->out, "result [") != NULL ||
                      strstr(r->out, "holds [") != NULL,
                  "`%s` should print its result. Output:\n%s", r->desc, r->out);
        run_free(r);
    }
}
