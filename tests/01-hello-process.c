/*
 * Lab 01 - hello process: fork/_exit/waitpid, pthread_create/join, and
 * tasks that run at the same time. Every program runs as its own process
 * (tests/harness/run.h); the tests read its output and check properties -
 * pids distinct or shared, parent links, statuses, timing ratios - never
 * exact bytes, never a pid value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define LAB "01-hello-process"

TestSuite(lab01_hello, .timeout = 30);
TestSuite(lab01_threads, .timeout = 30);
TestSuite(lab01_sleeps, .timeout = 60);

/* ---- hello ---------------------------------------------------------- */

struct hello_run {
    long parent, child, childs_parent, reported_child;
    int reported_status;
    bool child_seen, report_seen, report_after_child;
};

static struct hello_run parse_hello(const struct run_result *r,
                                    const char *name)
{
    struct hello_run h = {0};
    h.reported_status = -1;
    const char *p = run_line_starting(r->out, "parent: pid ");
    cr_assert(p != NULL && sscanf(p, "parent: pid %ld", &h.parent) == 1,
              "`%s` did not print its 'parent: pid N' line. Its output:\n%s",
              r->desc, r->out);
    char want[128];
    snprintf(want, sizeof want, "child: Hello %s! pid ", name);
    const char *c = run_line_starting(r->out, want);
    if (c != NULL)
        h.child_seen = sscanf(c + strlen(want), "%ld, parent %ld", &h.child,
                              &h.childs_parent) == 2;
    const char *rep = run_line_starting(r->out, "parent: child ");
    if (rep != NULL)
        h.report_seen = sscanf(rep, "parent: child %ld exited with status %d",
                               &h.reported_child, &h.reported_status) == 2;
    h.report_after_child = c != NULL && rep != NULL && rep > c;
    return h;
}

Test(lab01_hello, child_has_its_own_pid_and_we_are_its_parent)
{
    struct run_result *r = RUN("hello");
    run_expect_success(r, "TODO(01.1) and TODO(01.2)");
    struct hello_run h = parse_hello(r, "World");
    cr_assert(
        h.child_seen,
        "Expected a line 'child: Hello World! pid C, parent P' printed by "
        "the child. Output was:\n%s\nHint: TODO(01.1): fork(), and in the "
        "child call greet(name), fflush(stdout), _exit(child_status).",
        r->out);
    cr_assert_neq(
        h.child, h.parent,
        "The child reported pid %ld, the same as the parent's: the "
        "greeting must be printed by the child process, after fork().",
        h.child);
    cr_assert_eq(
        h.childs_parent, h.parent,
        "The child says its parent is %ld, but the parent's pid is %ld. "
        "Did the parent end before the child printed? It must wait "
        "(TODO 01.2).",
        h.childs_parent, h.parent);
    cr_assert_eq(run_count_lines(r->out, "parent: pid "), 1,
                 "'parent: pid' was printed %zu times, expected once. A line "
                 "left in the stdio buffer at fork() is printed again by the "
                 "child: flush before forking, end the child with _exit().",
                 run_count_lines(r->out, "parent: pid "));
    cr_assert_eq(run_count_lines(r->out, "child: "), 1,
                 "Expected exactly one child greeting, saw %zu. Output:\n%s",
                 run_count_lines(r->out, "child: "), r->out);
    run_free(r);
}

Test(lab01_hello, parent_waits_and_reports_the_childs_exit_status)
{
    struct run_result *r = RUN("hello", "-n", "Ada", "-s", "3");
    run_expect_success(r, "the parent itself must end with status 0");
    struct hello_run h = parse_hello(r, "Ada");
    cr_assert(h.child_seen,
              "No 'child: Hello Ada! ...' line: the child must "
              "greet the name given with -n (TODO 01.1). "
              "Output:\n%s",
              r->out);
    cr_assert(h.report_seen,
              "Expected 'parent: child C exited with status 3' after waiting. "
              "Output:\n%s\nHint: TODO(01.2): waitpid(child, &status, 0), then "
              "WIFEXITED(status) and WEXITSTATUS(status).",
              r->out);
    cr_assert_eq(
        h.reported_child, h.child,
        "The parent reported child %ld, but the child's own pid is %ld: "
        "report the pid fork() returned.",
        h.reported_child, h.child);
    cr_assert_eq(
        h.reported_status, 3,
        "With -s 3 the child must end with _exit(3) and the parent see "
        "status 3; it reported %d. (A child that returns from the "
        "fork branch instead of calling _exit runs the parent's code "
        "too.)",
        h.reported_status);
    cr_assert(h.report_after_child,
              "The report must come after the child's greeting: waitpid "
              "returns only once the child has ended. Output:\n%s",
              r->out);
    run_free(r);
}

Test(lab01_hello, status_range_is_checked_and_255_gets_through)
{
    static const char *const bad[][3] = {
        {"hello", "-s", "256"},
        {"hello", "-s", "-1"},
        {"hello", "-s", "x"},
        {"hello", "extra", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = run_program(
            LAB,
            bad[i][2] ? bad[i]
                      : (const char *const[]){bad[i][0], bad[i][1], NULL},
            NULL);
        cr_assert_eq(r->exit_code, 2,
                     "`%s` should be refused with exit status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr; stderr was:\n%s",
                  r->desc, r->err);
        cr_assert_eq(run_count_lines(r->out, "child:"), 0,
                     "`%s` started a child despite bad arguments.", r->desc);
        run_free(r);
    }
    struct run_result *r = RUN("hello", "-s", "255");
    run_expect_success(r, "TODO(01.1), TODO(01.2)");
    struct hello_run h = parse_hello(r, "World");
    cr_assert(h.report_seen && h.reported_status == 255,
              "With -s 255 the parent should report status 255. Output:\n%s",
              r->out);
    run_free(r);
}

/* ---- threads -------------------------------------------------------- */

Test(lab01_threads, every_thread_reports_the_one_shared_pid)
{
    struct run_result *r = RUN("threads", "-n", "4");
    run_expect_success(r, "TODO(01.3) and TODO(01.4)");
    long main_pid = 0;
    const char *m = run_line_starting(r->out, "main: pid ");
    cr_assert(m != NULL && sscanf(m, "main: pid %ld", &main_pid) == 1,
              "No 'main: pid N' line. Output:\n%s", r->out);
    for (int k = 1; k <= 4; k++) {
        char want[32];
        snprintf(want, sizeof want, "thread %d: pid ", k);
        cr_assert_eq(
            run_count_lines(r->out, want), 1,
            "Expected one line 'thread %d: pid N', saw %zu. Output:\n%s"
            "\nHint: TODO(01.3): one pthread_create per task.",
            k, run_count_lines(r->out, want), r->out);
        long pid = 0;
        sscanf(run_line_starting(r->out, want) + strlen(want), "%ld", &pid);
        cr_assert_eq(
            pid, main_pid,
            "Thread %d reported pid %ld but main's is %ld: threads run "
            "inside the one process; they must not be forked.",
            k, pid, main_pid);
    }
    run_free(r);
}

Test(lab01_threads, main_reads_every_result_after_joining)
{
    struct run_result *r = RUN("threads", "-n", "5");
    run_expect_success(r, "TODO(01.3) and TODO(01.4)");
    for (int k = 1; k <= 5; k++) {
        char want[64];
        snprintf(want, sizeof want, "main: thread %d left result %d\n", k,
                 k * k);
        cr_assert(strstr(r->out, want) != NULL,
                  "Expected main to print 'main: thread %d left result %d'. "
                  "Output:\n%s\nHint: a result is only certainly there after "
                  "pthread_join (TODO 01.4).",
                  k, k * k, r->out);
    }
    run_free(r);
}

Test(lab01_threads, count_is_checked_and_64_threads_run)
{
    static const char *const bad[] = {"0", "65", "two", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = RUN("threads", "-n", bad[i]);
        cr_assert_eq(r->exit_code, 2, "`%s` should exit with status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", r->desc);
        run_free(r);
    }
    struct run_result *r = RUN("threads", "-n", "64");
    run_expect_success(r, "TODO(01.3) and TODO(01.4)");
    cr_assert_eq(run_count_lines(r->out, ": pid "), 65,
                 "With -n 64, expected main's line and 64 thread lines.");
    cr_assert(strstr(r->out, "main: thread 64 left result 4096\n") != NULL,
              "Thread 64's result (4096) is missing. Output ends:\n%s",
              r->out_len > 300 ? r->out + r->out_len - 300 : r->out);
    run_free(r);
}

/* ---- sleeps --------------------------------------------------------- */

/* Run four 0.1 s tasks in mode; return main's pid and each task's pid
 * (from its "task k: start ... (pid N)" line). */
static struct run_result *task_pids(const char *mode, const char *todo,
                                    long *main_pid, long pids[4])
{
    struct run_result *r =
        RUN("sleeps", "-m", mode, "0.1", "0.1", "0.1", "0.1");
    run_expect_success(r, todo);
    cr_assert_eq(sscanf(r->out, "main: pid %ld", main_pid), 1,
                 "No 'main: pid N' line first. Output:\n%s", r->out);
    for (int k = 1; k <= 4; k++) {
        char want[32];
        snprintf(want, sizeof want, "task %d: start", k);
        const char *p = run_line_starting(r->out, want);
        const char *pid = p != NULL ? strstr(p, "(pid ") : NULL;
        cr_assert(pid != NULL && sscanf(pid, "(pid %ld)", &pids[k - 1]) == 1,
                  "Expected a line 'task %d: start ... (pid N)' in mode %s. "
                  "Output:\n%s\nHint: %s.",
                  k, mode, r->out, todo);
    }
    return r;
}

/* Run serially, then in mode; the parallel run must take at least the
 * longest task (sleep guarantees that) and clearly less than the serial. */
static void check_parallel(const char *mode, const char *todo)
{
    struct run_result *serial =
        RUN("sleeps", "-m", "serial", "0.4", "0.2", "0.3");
    run_expect_success(serial, "serial mode is provided: do not change it");
    struct run_result *par = RUN("sleeps", "-m", mode, "0.4", "0.2", "0.3");
    run_expect_success(par, todo);
    for (int k = 1; k <= 3; k++) {
        char done[32];
        snprintf(done, sizeof done, "task %d: done", k);
        cr_assert_eq(run_count_lines(par->out, done), 1,
                     "In mode %s, task %d never said it was done. Output:\n%s\n"
                     "Hint: %s",
                     mode, k, par->out, todo);
    }
    const char *total = run_line_starting(par->out, "main: total");
    const char *last_done = strstr(par->out, "task 1: done");
    cr_assert(total != NULL && last_done != NULL && total > last_done,
              "main printed its total before every task was done: it must wait "
              "for all of them. Output:\n%s",
              par->out);
    cr_assert_geq(
        par->elapsed, 0.4 * 0.98,
        "Mode %s took %.3f s, less than the longest task (0.4 s): the "
        "tasks cannot all have slept.",
        mode, par->elapsed);
    cr_assert_lt(
        par->elapsed, 0.75 * serial->elapsed,
        "Mode %s took %.3f s, serial took %.3f s (0.4+0.2+0.3). Running "
        "at the same time, the total should be near the longest task, "
        "well under the sum. Do you wait for each task before starting "
        "the next? Start them all first, then wait for them all.",
        mode, par->elapsed, serial->elapsed);
    run_free(serial);
    run_free(par);
}

Test(lab01_sleeps, processes_run_at_the_same_time)
{
    check_parallel("processes", "TODO(01.5)");
}

Test(lab01_sleeps, threads_run_at_the_same_time)
{
    check_parallel("threads", "TODO(01.6)");
}

Test(lab01_sleeps, each_process_task_has_its_own_pid)
{
    long main_pid, pids[4];
    struct run_result *r =
        task_pids("processes", "TODO(01.5)", &main_pid, pids);
    for (int i = 0; i < 4; i++) {
        cr_assert_neq(pids[i], main_pid,
                      "Task %d ran in main's process (pid %ld): each task must "
                      "run in a child of its own.",
                      i + 1, main_pid);
        for (int j = 0; j < i; j++)
            cr_assert_neq(pids[i], pids[j],
                          "Tasks %d and %d ran in the same process (pid %ld): "
                          "one child per task.",
                          j + 1, i + 1, pids[i]);
    }
    run_free(r);
}

Test(lab01_sleeps, thread_tasks_share_main_pid)
{
    long main_pid, pids[4];
    struct run_result *r = task_pids("threads", "TODO(01.6)", &main_pid, pids);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pids[i], main_pid,
                     "Task %d reported pid %ld, main is %ld: threads share the "
                     "process, so they must not fork.",
                     i + 1, pids[i], main_pid);
    run_free(r);
}

Test(lab01_sleeps, bad_arguments_are_refused_and_twelve_tasks_all_run)
{
    static const char *const bad[][4] = {
        {"sleeps", "-m", "fibers", NULL},
        {"sleeps", "-1", NULL, NULL},
        {"sleeps", "11", NULL, NULL},
        {"sleeps", "0.1", "soon", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = run_program(LAB, bad[i], NULL);
        cr_assert_eq(r->exit_code, 2, "`%s` should exit with status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", r->desc);
        run_free(r);
    }
    /* Many short tasks: all must be started, run and waited for. */
    struct run_result *r = RUN("sleeps", "-m", "processes", "0", "0", "0", "0",
                               "0", "0", "0", "0", "0", "0", "0", "0");
    run_expect_success(r, "TODO(01.5)");
    cr_assert_eq(
        run_count_lines(r->out, ": done"), 12,
        "12 tasks of 0 s: expected 12 'done' lines, saw %zu. Output:\n%s",
        run_count_lines(r->out, ": done"), r->out);
    run_free(r);
}
