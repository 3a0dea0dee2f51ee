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
        "child end with _exit(child_main(o)).",
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

/* Argument rows for the refusal checks: at most 5 words, and the unused
 * slots of each row are NULL, so every row is a NULL-terminated argv (a
 * full row with no NULL would run on into the next row's words). */
#define ROW_MAX 6

/* Each row of bad must be refused with exit 2, a usage line on stderr and
 * no child started; help (-h, --help) prints the usage on stdout, exit 0. */
static void expect_refused(const char *const bad[][ROW_MAX], size_t rows,
                           const char *started_marker)
{
    for (size_t i = 0; i < rows; i++) {
        struct run_result *r = run_program(LAB, bad[i], NULL);
        cr_assert_eq(r->exit_code, 2,
                     "`%s` should be refused with exit status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr; stderr was:\n%s",
                  r->desc, r->err);
        cr_assert_eq(run_count_lines(r->out, started_marker), 0,
                     "`%s` started work despite bad arguments. Output:\n%s",
                     r->desc, r->out);
        run_free(r);
    }
    static const char *const help[] = {"-h", "--help"};
    for (size_t i = 0; i < 2; i++) {
        const char *argv[] = {bad[0][0], help[i], NULL};
        struct run_result *r = run_program(LAB, argv, NULL);
        cr_assert(r->exit_code == 0 && strncmp(r->out, "usage: ", 7) == 0,
                  "`%s` should print its usage line on stdout and exit 0 "
                  "(asking for help is not an error); it %s, stdout:\n%s",
                  r->desc, run_how_ended(r), r->out);
        run_free(r);
    }
}

/* hello with args must end well and report exactly `want` for its child. */
static void expect_report(const char *const argv[], const char *want,
                          const char *hint)
{
    struct run_result *r = run_program(LAB, argv, NULL);
    run_expect_success(r, hint);
    struct hello_run h = parse_hello(r, "World");
    cr_assert(h.child_seen, "`%s`: no child greeting. Output:\n%s\nHint: %s",
              r->desc, r->out, hint);
    char line[128];
    snprintf(line, sizeof line, "parent: child %ld %s\n", h.child, want);
    cr_assert(strstr(r->out, line) != NULL,
              "`%s`: expected the line '%.*s' after waiting. Output:\n%s\n"
              "Hint: %s",
              r->desc, (int)strlen(line) - 1, line, r->out, hint);
    cr_assert_eq(run_count_lines(r->out, "parent: child "), 1,
                 "`%s`: expected one report line about the child. "
                 "Output:\n%s",
                 r->desc, r->out);
    run_free(r);
}

Test(lab01_hello, status_and_signal_ranges_are_checked_at_their_limits)
{
    static const char *const bad[][ROW_MAX] = {
        {"hello", "-s", "256"}, {"hello", "-s", "-1"}, {"hello", "-s", "x"},
        {"hello", "-k", "0"},   {"hello", "-k", "16"}, {"hello", "extra"},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0], "child:");
    /* The limits themselves are accepted: status 0 and 255, signal 1
     * (SIGHUP) and 15 (SIGTERM). */
    static const char *const status_0[] = {"hello", "-s", "0", NULL};
    static const char *const status_255[] = {"hello", "-s", "255", NULL};
    static const char *const signal_1[] = {"hello", "-k", "1", NULL};
    static const char *const signal_15[] = {"hello", "-k", "15", NULL};
    expect_report(status_0, "exited with status 0", "TODO(01.1), TODO(01.2)");
    expect_report(status_255, "exited with status 255",
                  "TODO(01.2): WEXITSTATUS gives 0..255");
    expect_report(signal_1, "was killed by signal 1",
                  "TODO(01.2): WIFSIGNALED, then WTERMSIG");
    expect_report(signal_15, "was killed by signal 15",
                  "TODO(01.2): WIFSIGNALED, then WTERMSIG");
}

Test(lab01_hello, a_child_killed_by_a_signal_is_reported_as_killed)
{
    /* With -k the child never exits: SIGKILL (9) or SIGSEGV (11) ends it.
     * A parent that reads WEXITSTATUS without asking WIFEXITED reports
     * "exited with status 0"; one that prints the status it expected
     * reports the -s value. The signal number must be the real one. */
    static const char *const killed[] = {"hello", "-s", "7", "-k", "9", NULL};
    static const char *const segv[] = {"hello", "-k", "11", NULL};
    expect_report(killed, "was killed by signal 9",
                  "TODO(01.2): a child killed by a signal did not exit: "
                  "WIFEXITED is false, WIFSIGNALED true, WTERMSIG the signal");
    expect_report(segv, "was killed by signal 11",
                  "TODO(01.2): decode the status waitpid stored, do not "
                  "assume how the child ended");
}

Test(lab01_hello, a_failed_fork_is_reported_with_exit_status_1)
{
    /* The test makes the first fork() fail (EAGAIN, as when a user has too
     * many processes): hello must say so and exit 1, not wait for a child
     * that does not exist. */
    static const char *const env[] = {"KIT_FAIL_FORK_AT=1", NULL};
    struct run_opts o = {.perturb = true, .env = env};
    struct run_result *r = RUN_WITH(&o, "hello");
    cr_assert(r->exit_code == 1 && strstr(r->err, "fork") != NULL,
              "With fork() failing, `%s` should print 'hello: fork: ...' on "
              "stderr and exit 1; it %s. stderr:\n%s\nstdout:\n%s\n"
              "Hint: TODO(01.1): if ((child = fork()) == -1) die(\"fork\");",
              r->desc, run_how_ended(r), r->err, r->out);
    cr_assert_eq(run_count_lines(r->out, "parent: child"), 0,
                 "No child was started, yet the parent reported one:\n%s",
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

/* threads -n count ran well: one line per thread with main's pid, and
 * every result (k squared) read by main. */
static void expect_all_results(const struct run_result *r, int count,
                               const char *hint)
{
    run_expect_success(r, hint);
    cr_assert_eq(run_count_lines(r->out, ": pid "), (size_t)count + 1,
                 "`%s`: expected main's 'main: pid' line and %d 'thread k: "
                 "pid' lines, saw %zu lines with ': pid '. Output:\n%s\n"
                 "Hint: %s",
                 r->desc, count, run_count_lines(r->out, ": pid "), r->out,
                 hint);
    for (int k = 1; k <= count; k++) {
        char want[64];
        snprintf(want, sizeof want, "main: thread %d left result %d\n", k,
                 k * k);
        cr_assert(strstr(r->out, want) != NULL,
                  "`%s`: expected the line '%.*s'. Output:\n%s\nHint: %s",
                  r->desc, (int)strlen(want) - 1, want, r->out, hint);
    }
}

Test(lab01_threads, count_is_checked_and_1_and_64_threads_run)
{
    static const char *const bad[][ROW_MAX] = {
        {"threads", "-n", "0"},   {"threads", "-n", "65"},
        {"threads", "-n", "two"}, {"threads", "-n", ""},
        {"threads", "extra"},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0], "thread ");
    struct run_result *r = RUN("threads", "-n", "1");
    expect_all_results(r, 1, "TODO(01.3) and TODO(01.4)");
    run_free(r);
    /* 64 threads under valgrind (which runs one thread at a time) would
     * outlast the test's limit: 16 show the same there. */
    bool vg = getenv("KIT_VALGRIND") != NULL;
    r = vg ? RUN("threads", "-n", "16") : RUN("threads", "-n", "64");
    expect_all_results(r, vg ? 16 : 64, "TODO(01.3) and TODO(01.4)");
    run_free(r);
}

Test(lab01_threads, no_data_race_under_thread_sanitizer)
{
    /* ThreadSanitizer sees a result read before its thread is joined
     * (a race between the thread's write and main's read), and threads
     * never joined ("thread leak"), on every run. */
    struct run_opts o = {
        .sanitizer = RUN_TSAN,
        .hint = "TODO(01.4): join every thread before reading its result, "
                "and join them all before main returns",
    };
    struct run_result *r = RUN_WITH(&o, "threads", "-n", "8");
    expect_all_results(r, 8, "TODO(01.3) and TODO(01.4)");
    run_free(r);
}

Test(lab01_threads, no_leak_or_bad_access_under_address_sanitizer)
{
    /* AddressSanitizer (with LeakSanitizer and UBSan): memory not freed,
     * a task array written out of bounds, a thread reading main's memory
     * after it was freed. */
    struct run_opts o = {
        .sanitizer = RUN_ASAN,
        .hint = "main frees the tasks only after TODO(01.4) joined every "
                "thread; each thread gets its own &tasks[i] (TODO 01.3)",
    };
    struct run_result *r = RUN_WITH(&o, "threads", "-n", "8");
    expect_all_results(r, 8, "TODO(01.3) and TODO(01.4)");
    run_free(r);
}

Test(lab01_threads, a_failed_pthread_create_is_reported_with_exit_status_1)
{
    /* The test makes the 3rd pthread_create return EAGAIN. A program that
     * ignores the returned error joins a thread that was never made. */
    static const char *const env[] = {"KIT_FAIL_PTHREAD_CREATE_AT=3", NULL};
    struct run_opts o = {.perturb = true, .env = env};
    struct run_result *r = RUN_WITH(&o, "threads", "-n", "5");
    cr_assert(r->exit_code == 1 && strstr(r->err, "pthread_create") != NULL,
              "With the 3rd pthread_create failing, `%s` should print "
              "'threads: pthread_create: ...' and exit 1; it %s. stderr:\n%s"
              "\nHint: TODO(01.3): pthread_create returns the error number: "
              "if ((err = pthread_create(...)) != 0) die_errnum(err, "
              "\"pthread_create\");",
              r->desc, run_how_ended(r), r->err);
    cr_assert_eq(run_count_lines(r->out, "left result"), 0,
                 "`%s` went on to read results after a failed "
                 "pthread_create. Output:\n%s",
                 r->desc, r->out);
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
 * longest task (sleep guarantees that) and clearly less than the serial.
 * The two runs are compared, never a clock against a constant: a slow
 * machine slows both. One more pair of runs is made when the parallel run
 * was not fast enough, so that a correct program whose start was held up
 * by a busy machine is not failed (the lab's tests run two at a time); a
 * program that waits for each task before the next is slow both times. */
static void check_parallel(const char *mode, const char *todo)
{
    /* Under valgrind every start costs a second or two: longer tasks keep
     * that cost small next to the time the tasks take. */
    bool vg = getenv("KIT_VALGRIND") != NULL;
    const char *a = vg ? "1.6" : "0.4", *b = vg ? "0.8" : "0.2",
               *c = vg ? "1.2" : "0.3";
    double longest = vg ? 1.6 : 0.4;
    struct run_result *serial = NULL, *par = NULL;
    for (int attempt = 1; attempt <= 2; attempt++) {
        run_free(serial);
        run_free(par);
        serial = RUN("sleeps", "-m", "serial", a, b, c);
        run_expect_success(serial, "serial mode is provided: do not change it");
        par = RUN("sleeps", "-m", mode, a, b, c);
        run_expect_success(par, todo);
        if (par->elapsed < 0.75 * serial->elapsed)
            break;
    }
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
        par->elapsed, longest * 0.98,
        "Mode %s took %.3f s, less than the longest task (%.1f s): the "
        "tasks cannot all have slept.",
        mode, par->elapsed, longest);
    cr_assert_lt(
        par->elapsed, 0.75 * serial->elapsed,
        "Mode %s took %.3f s, serial took %.3f s (0.4+0.2+0.3), twice. "
        "Running at the same time, the total should be near the longest "
        "task, well under the sum. Do you wait for each task before "
        "starting the next? Start them all first, then wait for them all.",
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

Test(lab01_sleeps, bad_arguments_are_refused_and_32_tasks_all_run)
{
    static const char *const bad[][ROW_MAX] = {
        {"sleeps", "-m", "fibers"}, {"sleeps", "-1"},
        {"sleeps", "10.5"},         {"sleeps", "0.1", "soon"},
        {"sleeps", "-k", "0"},      {"sleeps", "-k", "4", "0", "0", "0"},
        {"sleeps", "-f", "4"},
    };
    expect_refused(bad, sizeof bad / sizeof bad[0], "task ");
    /* 33 tasks are refused, 32 (the most) all start, run and are waited
     * for. */
    const char *argv[36] = {"sleeps", "-m", "processes"};
    for (int i = 3; i < 35; i++)
        argv[i] = "0";
    struct run_result *r = run_program(LAB, argv, NULL);
    run_expect_success(r, "TODO(01.5)");
    cr_assert_eq(
        run_count_lines(r->out, ": done"), 32,
        "32 tasks of 0 s: expected 32 'done' lines, saw %zu. Output:\n%s",
        run_count_lines(r->out, ": done"), r->out);
    run_free(r);
    argv[35] = "0";
    r = run_program(LAB, argv, NULL);
    cr_assert(r->exit_code == 2 && strstr(r->err, "usage:") != NULL,
              "33 tasks should be refused with a usage line and exit 2; "
              "`sleeps` %s.",
              run_how_ended(r));
    run_free(r);
}

/* sleeps in processes mode where task `bad` fails or is killed: main must
 * wait for every task (the others end well, later), name the bad one on
 * stderr, and exit 1. */
static void expect_one_task_failed(const char *option, const char *how)
{
    struct run_result *r =
        RUN("sleeps", "-m", "processes", option, "1", "0.05", "0.3", "0.3");
    cr_assert_eq(r->exit_code, 1,
                 "Task 1 %s, so `%s` should exit with status 1; it %s. "
                 "stderr:\n%s\nHint: TODO(01.5): a child that did not exit "
                 "with status 0 is a failure (WIFEXITED, WEXITSTATUS).",
                 how, r->desc, run_how_ended(r), r->err);
    cr_assert(strstr(r->err, "task 1 failed") != NULL,
              "Task 1 %s: expected 'sleeps: task 1 failed' on stderr. "
              "stderr:\n%s\nHint: TODO(01.5).",
              how, r->err);
    cr_assert(strstr(r->err, "task 2 failed") == NULL &&
                  strstr(r->err, "task 3 failed") == NULL,
              "Tasks 2 and 3 ended well, yet were reported as failed. "
              "stderr:\n%s",
              r->err);
    for (int k = 2; k <= 3; k++) {
        char done[32];
        snprintf(done, sizeof done, "task %d: done", k);
        cr_assert_eq(run_count_lines(r->out, done), 1,
                     "Task 1 %s after 0.05 s; tasks 2 and 3 (0.3 s) must "
                     "still run to the end and be waited for. No '%s' "
                     "line. Output:\n%s\nHint: TODO(01.5): wait for every "
                     "child before reporting, never exit at the first "
                     "failure.",
                     how, done, r->out);
    }
    run_free(r);
}

Test(lab01_sleeps, a_task_that_fails_is_reported_after_waiting_for_all)
{
    expect_one_task_failed("-f", "exits with status 1");
}

Test(lab01_sleeps, a_task_killed_by_a_signal_is_reported_after_waiting_for_all)
{
    expect_one_task_failed("-k", "is killed by SIGKILL (it never exits)");
}

Test(lab01_sleeps, a_failed_fork_still_waits_for_the_tasks_started)
{
    /* The 3rd fork fails (EAGAIN): tasks 1 and 2 are running. main must
     * wait for them (else they are left running, orphans) and then report
     * the failed fork with exit status 1. */
    static const char *const env[] = {"KIT_FAIL_FORK_AT=3", NULL};
    struct run_opts o = {.perturb = true, .env = env};
    struct run_result *r =
        RUN_WITH(&o, "sleeps", "-m", "processes", "0.3", "0.3", "0.3", "0.3");
    cr_assert(r->exit_code == 1 && strstr(r->err, "fork") != NULL,
              "With the 3rd fork failing, `%s` should report 'sleeps: fork: "
              "...' and exit 1; it %s. stderr:\n%s\nHint: TODO(01.5).",
              r->desc, run_how_ended(r), r->err);
    cr_assert(run_count_lines(r->out, "task 1: done") == 1 &&
                  run_count_lines(r->out, "task 2: done") == 1 &&
                  run_count_lines(r->out, "task 3: start") == 0,
              "Tasks 1 and 2 had started before the failed fork: main must "
              "wait for them to finish before it exits, and start no more. "
              "Output:\n%s\nHint: TODO(01.5): on a failed fork, return how "
              "many were started.",
              r->out);
    run_free(r);
}
