/*
 * harness.c - tests of the test harness itself (tests/harness/run.h): the
 * features the lab tests rely on to provoke failures and to check a
 * student's code under the sanitizers must really do what they say, or a
 * lab test built on them could pass a wrong answer. They run reference
 * programs of labs 01 and 06 (make test only: make check runs lab suites).
 */
#include <criterion/criterion.h>
#include <string.h>

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
