/*
 * args.c - see args.h.
 */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

enum args_error args_parse_long(const char *s, long min, long max, long *out)
{
    if (s == NULL || *s == '\0')
        return ARGS_EMPTY;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0')
        return ARGS_NOT_NUMBER;
    if (errno == ERANGE || v < min || v > max)
        return ARGS_RANGE;
    *out = v;
    return ARGS_OK;
}

enum args_error args_parse_double(const char *s, double min, double max,
                                  double *out)
{
    if (s == NULL || *s == '\0')
        return ARGS_EMPTY;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return ARGS_NOT_NUMBER;
    /* strtod accepts "nan" and "inf": neither is a usable parameter. */
    if (errno == ERANGE || !isfinite(v) || v < min || v > max)
        return ARGS_RANGE;
    *out = v;
    return ARGS_OK;
}

const char *args_strerror(enum args_error e)
{
    switch (e) {
    case ARGS_OK:
        return "is fine";
    case ARGS_EMPTY:
        return "is empty";
    case ARGS_NOT_NUMBER:
        return "is not a number";
    case ARGS_RANGE:
        return "is out of range";
    }
    return "is not valid";
}

long arg_long(const char *s, long min, long max, const char *name,
              const char *usage)
{
    long v;
    enum args_error e = args_parse_long(s, min, max, &v);
    if (e != ARGS_OK)
        die_usage(usage, "%s: '%s' %s (want a whole number from %ld to %ld)",
                  name, s != NULL ? s : "", args_strerror(e), min, max);
    return v;
}

double arg_double(const char *s, double min, double max, const char *name,
                  const char *usage)
{
    double v;
    enum args_error e = args_parse_double(s, min, max, &v);
    if (e != ARGS_OK)
        die_usage(usage, "%s: '%s' %s (want a number from %g to %g)", name,
                  s != NULL ? s : "", args_strerror(e), min, max);
    return v;
}

int args_help_requested(int argc, char *const argv[])
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

void args_help(const char *usage)
{
    /* If stdout is gone there is no one to tell. */
    (void)printf("usage: %s %s\n", errors_progname(), usage);
    exit(fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
