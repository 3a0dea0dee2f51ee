/*
 * errors.c - see errors.h. Messages are built in one buffer and written
 * with a single write(2), so that lines from several processes or threads
 * do not interleave mid-line and nothing depends on stdio state, which a
 * forked child may share with its parent.
 */
#include "errors.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *progname = "prog";

void errors_set_progname(const char *argv0)
{
    if (argv0 == NULL || argv0[0] == '\0')
        return;
    const char *slash = strrchr(argv0, '/');
    progname = slash != NULL ? slash + 1 : argv0;
}

const char *errors_progname(void)
{
    return progname;
}

/* Write "prog: what: reason\n" to stderr in one call. */
static void report(const char *what, int errnum)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s: %s: %s\n", progname, what,
                     strerror(errnum));
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    /* Nothing sensible is left to do if stderr itself fails. */
    if (write(STDERR_FILENO, line, len) == -1)
        return;
}

void warn_errno(const char *what)
{
    int saved = errno;
    report(what, saved);
    errno = saved;
}

void die(const char *what)
{
    report(what, errno);
    exit(EXIT_FAILURE);
}

void die_errnum(int errnum, const char *what)
{
    report(what, errnum);
    exit(EXIT_FAILURE);
}

void die_child(const char *what)
{
    report(what, errno);
    _exit(EXIT_FAILURE);
}

void die_child_errnum(int errnum, const char *what)
{
    report(what, errnum);
    _exit(EXIT_FAILURE);
}

/* Write "prog: <formatted message>\n" to stderr in one call. */
static void report_msg(const char *fmt, va_list ap)
{
    char msg[512];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        msg[0] = '\0';
    char line[600];
    n = snprintf(line, sizeof line, "%s: %s\n", progname, msg);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (write(STDERR_FILENO, line, len) == -1)
        return;
}

void die_msg(const char *fmt, ...)
{
    /* If stdout cannot be flushed there is nothing better to do than
     * report the error we were asked to report. */
    (void)fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    report_msg(fmt, ap);
    va_end(ap);
    exit(EXIT_FAILURE);
}

void die_child_msg(const char *fmt, ...)
{
    (void)fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    report_msg(fmt, ap);
    va_end(ap);
    _exit(EXIT_FAILURE);
}

void die_usage(const char *usage, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    /* fprintf is fine here: usage errors happen in main, before any fork.
     * If stderr itself fails there is no one left to tell: (void). */
    if (msg[0] != '\0')
        (void)fprintf(stderr, "%s: %s\n", progname, msg);
    (void)fprintf(stderr, "usage: %s %s\n", progname, usage);
    exit(EXIT_USAGE);
}

void die_bad_option(const char *usage)
{
    (void)fprintf(stderr, "usage: %s %s\n", progname, usage);
    exit(EXIT_USAGE);
}
