/*
 * common.c - unit tests of the kit's shared library (common/).
 * The functions that exit are tested through Criterion's .exit_code:
 * the test process itself is expected to end with that status.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "io.h"
#include "status.h"
#include "timing.h"

TestSuite(common_args, .timeout = 10, .init = cr_redirect_stderr);
/* The functions under test print to stderr on purpose: keep it out of the
 * test report. */
TestSuite(common_errors, .timeout = 10, .init = cr_redirect_stderr);
TestSuite(common_timing, .timeout = 10);
TestSuite(common_io, .timeout = 10);
TestSuite(common_status, .timeout = 10);

Test(common_args, accepts_whole_numbers_in_range)
{
    long v = 0;
    cr_assert_eq(args_parse_long("42", 0, 100, &v), ARGS_OK);
    cr_assert_eq(v, 42);
    cr_assert_eq(args_parse_long("-7", -10, 10, &v), ARGS_OK);
    cr_assert_eq(v, -7);
    cr_assert_eq(args_parse_long(" +3", 0, 10, &v), ARGS_OK);
    cr_assert_eq(v, 3);
    cr_assert_eq(args_parse_long("0", 0, 0, &v), ARGS_OK,
                 "bounds are inclusive");
}

Test(common_args, rejects_junk_and_out_of_range)
{
    long v = 99;
    cr_assert_eq(args_parse_long(NULL, 0, 10, &v), ARGS_EMPTY);
    cr_assert_eq(args_parse_long("", 0, 10, &v), ARGS_EMPTY);
    cr_assert_eq(args_parse_long("abc", 0, 10, &v), ARGS_NOT_NUMBER);
    cr_assert_eq(args_parse_long("12abc", 0, 100, &v), ARGS_NOT_NUMBER,
                 "atoi would say 12; trailing junk must be an error");
    cr_assert_eq(args_parse_long("1.5", 0, 10, &v), ARGS_NOT_NUMBER);
    cr_assert_eq(args_parse_long("11", 0, 10, &v), ARGS_RANGE);
    cr_assert_eq(args_parse_long("-1", 0, 10, &v), ARGS_RANGE);
    cr_assert_eq(args_parse_long("99999999999999999999", 0, LONG_MAX, &v),
                 ARGS_RANGE, "overflow must be caught (strtol sets ERANGE)");
    cr_assert_eq(v, 99, "the output must not be written on failure");
}

Test(common_args, parses_doubles)
{
    double d = 0;
    cr_assert_eq(args_parse_double("0.25", 0, 1, &d), ARGS_OK);
    cr_assert_float_eq(d, 0.25, 1e-12);
    cr_assert_eq(args_parse_double("1e-3", 0, 1, &d), ARGS_OK);
    cr_assert_eq(args_parse_double("nan", 0, 1, &d), ARGS_RANGE);
    cr_assert_eq(args_parse_double("inf", 0, INFINITY, &d), ARGS_RANGE);
    cr_assert_eq(args_parse_double("2", 0, 1, &d), ARGS_RANGE);
    cr_assert_eq(args_parse_double("0.5s", 0, 1, &d), ARGS_NOT_NUMBER);
    cr_assert_str_eq(args_strerror(ARGS_NOT_NUMBER), "is not a number");
}

Test(common_args, arg_long_returns_good_values)
{
    cr_assert_eq(arg_long("5", 1, 9, "depth", "[-d depth]"), 5);
    cr_assert_float_eq(arg_double("0.5", 0, 1, "t", "[-t s]"), 0.5, 1e-12);
}

Test(common_args, arg_long_exits_2_on_bad_input, .exit_code = 2)
{
    errors_set_progname("/some/dir/tree");
    arg_long("x", 1, 9, "depth", "[-d depth]");
    cr_assert_fail("arg_long returned on bad input instead of exiting with 2");
}

Test(common_args, arg_double_exits_2_on_bad_input, .exit_code = 2)
{
    arg_double("-1", 0, 1, "seconds", "[-t seconds]");
    cr_assert_fail(
        "arg_double returned on bad input instead of exiting with 2");
}

Test(common_errors, progname_is_the_last_path_part)
{
    errors_set_progname("/usr/local/bin/hello");
    cr_assert_str_eq(errors_progname(), "hello");
    errors_set_progname("plain");
    cr_assert_str_eq(errors_progname(), "plain");
    errors_set_progname("");
    cr_assert_str_eq(errors_progname(), "plain", "an empty name is ignored");
}

Test(common_errors, die_exits_1, .exit_code = 1)
{
    errno = ENOENT;
    die("open");
}

Test(common_errors, die_errnum_exits_1, .exit_code = 1)
{
    die_errnum(EAGAIN, "pthread_create");
}

Test(common_errors, die_child_exits_1, .exit_code = 1)
{
    errno = EPIPE;
    die_child("write");
}

Test(common_errors, die_child_errnum_exits_1, .exit_code = 1)
{
    die_child_errnum(EINVAL, "pthread_join");
}

Test(common_errors, die_usage_exits_2, .exit_code = 2)
{
    die_usage("[-n count]", "unexpected argument '%s'", "zzz");
}

Test(common_errors, warn_errno_keeps_errno)
{
    errno = EBADF;
    warn_errno("close");
    cr_assert_eq(errno, EBADF, "warn_errno must leave errno as it found it");
}

Test(common_timing, clock_is_monotonic_and_sleep_sleeps)
{
    double t0 = timing_now();
    timing_sleep(0.05);
    double t1 = timing_now();
    cr_assert_geq(t1 - t0, 0.05, "timing_sleep(0.05) returned after %.4f s",
                  t1 - t0);
    timing_sleep(0);
    timing_sleep(-1);
    cr_assert_geq(timing_now(), t1, "the monotonic clock went backwards");
}

Test(common_errors, die_bad_option_exits_2, .exit_code = 2)
{
    die_bad_option("[-n count]");
}

Test(common_errors, die_msg_exits_1, .exit_code = 1)
{
    die_msg("a worker sent position %d", 7);
}

Test(common_errors, die_child_msg_exits_1, .exit_code = 1)
{
    die_child_msg("bad result from worker %d", 3);
}

Test(common_args, help_is_found_before_a_lone_double_dash)
{
    char *yes[] = {"p", "-n", "3", "--help", NULL};
    char *short_h[] = {"p", "-h", NULL};
    char *after[] = {"p", "--", "-h", NULL};
    char *none[] = {"p", "-n", "3", "hello", NULL};
    cr_assert(args_help_requested(4, yes));
    cr_assert(args_help_requested(2, short_h));
    cr_assert(!args_help_requested(3, after), "after --, -h is an operand");
    cr_assert(!args_help_requested(4, none));
}

Test(common_args, help_exits_0, .exit_code = 0, .init = cr_redirect_stdout)
{
    args_help("[-n count]");
}

/* A pipe holds 64 KiB: writing 1 MiB through it while a child reads
 * forces many short transfers on both sides. */
Test(common_io, whole_buffers_cross_a_pipe_in_short_pieces)
{
    enum { LEN = 1 << 20 };
    static unsigned char out[LEN], in[LEN + 16];
    for (size_t i = 0; i < LEN; i++)
        out[i] = (unsigned char)(i * 7 + 3);
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) { /* the writer; never touches Criterion */
        close(fd[0]);
        _exit(io_write_all(fd[1], out, LEN) == 0 ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = io_read_all(fd[0], in, sizeof in);
    close(fd[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(status_ok(status), "the writer failed");
    cr_assert_eq(got, (ssize_t)LEN,
                 "read %zd bytes, want %d (short at end-of-file)", got, LEN);
    cr_assert_eq(memcmp(in, out, LEN), 0, "the bytes changed on the way");
}

Test(common_io, write_to_a_closed_pipe_is_epipe_and_reads_fail_on_bad_fd)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    close(fd[0]);
    struct sigaction sa = {.sa_handler = SIG_IGN}, old;
    cr_assert_eq(sigaction(SIGPIPE, &sa, &old), 0);
    cr_assert_eq(io_write_all(fd[1], "x", 1), -1);
    cr_assert_eq(errno, EPIPE);
    close(fd[1]);
    char b;
    cr_assert_eq(io_read_all(fd[1], &b, 1), -1);
    cr_assert_eq(errno, EBADF);
}

Test(common_status, describes_exits_and_signals)
{
    char buf[64];
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0)
        _exit(3);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_str_eq(status_describe(status, buf, sizeof buf),
                     "exited with status 3");
    cr_assert_eq(status_to_exit_code(status), 3);
    cr_assert(!status_ok(status));

    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        raise(SIGKILL);
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_str_eq(status_describe(status, buf, sizeof buf),
                     "was killed by signal 9 (Killed)");
    cr_assert_eq(status_to_exit_code(status), 128 + SIGKILL);
    cr_assert(!status_ok(status));
}
