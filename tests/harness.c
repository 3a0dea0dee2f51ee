/*
 * harness.c - tests of the test harness itself (tests/harness/run.h): the
 * features the lab tests rely on to provoke failures and to check a
 * student's code under the sanitizers must really do what they say, or a
 * lab test built on them could pass a wrong answer. They run reference
 * programs of labs 01, 03 and 06 (make test only: make check runs lab
 * suites). The reproduction commands make check shows (every argument
 * quoted, so that pasting one runs exactly what the test ran) are checked
 * here too.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

TestSuite(harness, .timeout = 60);

#define LAB "01-hello-process"

Test(harness, fail_fork_at_makes_the_programs_fork_fail)
{
    static const char *const env[] = {"KIT_FAIL_FORK_AT=1", NULL};
    struct run_opts o = {.perturb = true, .env = env};
    struct run_result *r = RUN_WITH(&o, "hello");
    cr_expect_eq(r->exit_code, 1, "hello with its first fork failing %s",
                 run_how_ended(r));
    cr_expect(strstr(r->err, "fork") != NULL,
              "expected hello to report the failed fork; stderr:\n%s", r->err);
    run_free(r);
}

Test(harness, child_exit_makes_only_the_chosen_child_fail)
{
    /* hello forks one child, which ends with _exit(status) (-s, default
     * 0), and reports "exited with status N"; the parent exits 0. */
    static const struct {
        const char *env[3];
        const char *status; /* -s */
        const char *want;   /* in hello's report */
    } cases[] = {
        {{"KIT_CHILD_EXIT=3", NULL}, "0", "exited with status 3"},
        {{"KIT_CHILD_EXIT=3", "KIT_CHILD_EXIT_ONLY=1", NULL},
         "0",
         "exited with status 3"},
        {{"KIT_CHILD_EXIT=3", "KIT_CHILD_EXIT_ONLY=2", NULL},
         "0",
         "exited with status 0"},
        {{"KIT_CHILD_EXIT=3", NULL}, "5", "exited with status 5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct run_opts o = {.perturb = true, .env = cases[i].env};
        struct run_result *r = RUN_WITH(&o, "hello", "-s", cases[i].status);
        cr_expect(strstr(r->out, cases[i].want) != NULL,
                  "case %zu: expected hello to say its child %s; stdout:\n%s",
                  i + 1, cases[i].want, r->out);
        cr_expect_eq(r->exit_code, 0,
                     "case %zu: the parent (never forked) must keep its own "
                     "status 0; it %s",
                     i + 1, run_how_ended(r));
        run_free(r);
    }
}

Test(harness, cpu_time_and_max_rss_of_a_sleeping_program_are_measured)
{
    /* sleeps runs three tasks that sleep: wall time well above CPU time. */
    struct run_result *r = RUN("sleeps");
    run_expect_success(r, "(the reference must pass)");
    cr_expect(r->cpu_seconds >= 0 && r->cpu_seconds < r->elapsed,
              "cpu %.3f s should be below wall %.3f s for a sleeping program",
              r->cpu_seconds, r->elapsed);
    cr_expect_gt(r->max_rss_kb, 0, "max_rss_kb was not measured");
    run_free(r);
}

#undef LAB
#define LAB "06-lock"

Test(harness, tsan_build_of_the_code_under_test_reports_the_deliberate_race)
{
    struct run_opts o = {.sanitizer = RUN_TSAN, .allow_sanitizer = true};
    struct run_result *r =
        RUN_WITH(&o, "counter", "-s", "none", "-n", "20000", "-r", "1");
    cr_expect(r->sanitizer_report,
              "ThreadSanitizer did not report the racy counter; stderr:\n%s",
              r->err);
    run_free(r);
}

Test(harness, tsan_build_of_a_locked_counter_is_clean)
{
    struct run_opts o = {.sanitizer = RUN_TSAN};
    struct run_result *r =
        RUN_WITH(&o, "counter", "-s", "mutex", "-n", "20000", "-r", "1");
    run_expect_success(r, "(the reference must pass)");
    cr_expect(!r->sanitizer_report);
    run_free(r);
}

Test(harness, asan_build_runs_clean)
{
    struct run_opts o = {.sanitizer = RUN_ASAN};
    struct run_result *r =
        RUN_WITH(&o, "counter", "-s", "atomic", "-n", "20000", "-r", "1");
    run_expect_success(r, "(the reference must pass)");
    run_free(r);
}

Test(harness, perturbed_racy_counter_loses_updates)
{
    struct run_opts o = {.perturb = true};
    struct run_result *r =
        RUN_WITH(&o, "counter", "-s", "none", "-n", "200000", "-r", "3");
    cr_expect(strstr(r->out, "lost") != NULL || strstr(r->err, "lost") != NULL,
              "the racy counter lost nothing in 3 perturbed runs:\n%s%s",
              r->out, r->err);
    run_free(r);
}

/* ---- reproduction commands (run.h: desc, KIT_REPRO_LOG) ----------------- */

Test(harness, shell_quoting_keeps_every_argument_whole)
{
    static const char *const cases[][2] = {
        {"hello", "hello"},           {"", "''"},           {"a  b", "'a  b'"},
        {"it's", "'it'\\''s'"},       {"$HOME", "'$HOME'"}, {"~x", "'~x'"},
        {"-n=3,4:x/y", "-n=3,4:x/y"}, {"a\nb", "'a\nb'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        size_t n = run_shell_quote(buf, sizeof buf, cases[i][0]);
        cr_expect_str_eq(buf, cases[i][1], "quoting [%s]", cases[i][0]);
        cr_expect_eq(n, strlen(cases[i][1]), "length of [%s]", cases[i][0]);
    }
    char small[4];
    cr_expect_eq(run_shell_quote(small, sizeof small, "a b c"), 7,
                 "a cut-short quote still says the length it needed");
    cr_expect_str_eq(small, "'a ", "and is cut, NUL-terminated");
}

/* What a shell command prints (stdout and stderr), run from the kit's top. */
static char *shell_output(const char *command)
{
    static char out[8192];
    FILE *p = popen(command, "r");
    cr_assert(p != NULL, "popen: %s", strerror(errno));
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    return out;
}

Test(harness, shell_input_writes_every_byte_back)
{
    static const char input[] = "it's 100%\\ \"x\"\n\t\001end";
    char command[512];
    run_shell_input(command, sizeof command, input, sizeof input - 1);
    cr_expect_str_eq(shell_output(command), input, "from: %s", command);
}

#undef LAB
#define LAB "03-pipe"

/* The example: an argument with two spaces and an empty one. */
Test(harness, a_run_is_described_and_logged_so_that_pasting_it_runs_it_again)
{
    char log[] = "build/tests/repro.XXXXXX";
    int fd = mkstemp(log);
    cr_assert(fd != -1, "mkstemp: %s", strerror(errno));
    close(fd);
    cr_assert(setenv("KIT_REPRO_LOG", log, 1) == 0);
    struct run_result *r =
        RUN("sendrecv", "-w", "3", "hello,  are you?", "", "it's $HOME");
    unsetenv("KIT_REPRO_LOG");
    run_expect_success(r, "(the reference must pass)");
    cr_expect_str_eq(r->desc,
                     "sendrecv -w 3 'hello,  are you?' '' 'it'\\''s $HOME'");
    char line[2048] = "";
    FILE *f = fopen(log, "r");
    cr_assert(f != NULL && fgets(line, sizeof line, f) != NULL,
              "nothing was logged in %s", log);
    fclose(f);
    unlink(log);
    line[strcspn(line, "\n")] = '\0';
    cr_expect(strstr(line, "</dev/null") != NULL, "stdin not given: %s", line);
    /* The receiver's lines, in order, are the same when the line is run. */
    const char *again = shell_output(line);
    for (int k = 1; k <= 3; k++) {
        char want[32];
        snprintf(want, sizeof want, "receiver: message %d:", k);
        const char *a = run_line_starting(r->out, want);
        const char *b = run_line_starting(again, want);
        cr_assert(a != NULL && b != NULL, "no '%s' line; ran: %s\n%s", want,
                  line, again);
        cr_expect(strncmp(a, b, strcspn(a, "\n") + 1) == 0,
                  "the pasted line `%s` ran something else:\n%s\nnot:\n%s",
                  line, again, r->out);
    }
    run_free(r);
}
