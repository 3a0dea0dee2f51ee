/*
 * numbers.c - see numbers.h.
 */
#include "numbers.h"

#include <stdio.h>

#include "args.h"
#include "errors.h"

size_t numbers_parse(int argc, char *argv[], int first, int *out,
                     const char *usage)
{
    if (first >= argc) {
        for (int i = 0; i < 4; i++)
            out[i] = i + 1;
        return 4;
    }
    if (argc - first > NUMBERS_MAX)
        die_usage(usage, "at most %d numbers, not %d", NUMBERS_MAX,
                  argc - first);
    size_t n = 0;
    for (int i = first; i < argc; i++)
        out[n++] = (int)arg_long(argv[i], -NUMBERS_LIMIT, NUMBERS_LIMIT,
                                 "number", usage);
    return n;
}

const char *numbers_format(char *buf, size_t size, const int *v, size_t n)
{
    /* snprintf never writes past size; a list too long is cut short. */
    size_t used = 0;
    for (size_t i = 0; i <= n && used < size; i++) {
        int w =
            i < n ? snprintf(buf + used, size - used, "%s%d",
                             i == 0 ? "[" : ", ", v[i])
                  : snprintf(buf + used, size - used, "%s]", n == 0 ? "[" : "");
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}
