/*
 * compare-check.c - test driver for lab 08: feeds factor_compare() tables
 * that differ in known ways and prints what it answered, one line each:
 *
 *     <case> <differences> <first index>
 *
 * The tests run it as a separate program (student code never runs inside
 * the test process) and check the numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "factor.h"

#define COUNT 4

static void fill(struct factorization *t)
{
    memset(t, 0, COUNT * sizeof t[0]);
    t[0] = (struct factorization){.n = 12, .count = 3, .factors = {2, 2, 3}};
    t[1] = (struct factorization){.n = 35, .count = 2, .factors = {5, 7}};
    t[2] = (struct factorization){.n = 97, .count = 1, .factors = {97}};
    t[3] = (struct factorization){.n = 1, .count = 0};
}

static void report(const char *name, const struct factorization *a,
                   const struct factorization *b)
{
    size_t first = 99;
    size_t differ = factor_compare(a, b, COUNT, &first);
    printf("%s %zu %zu\n", name, differ, first);
}

int main(void)
{
    struct factorization a[COUNT], b[COUNT];
    fill(a);
    fill(b);
    report("identical", a, b);

    b[1].factors[1] = 11; /* 35 = 5 * 11: a wrong factor */
    report("factor", a, b);

    fill(b);
    b[2].count = 2; /* an extra factor */
    b[2].factors[1] = 1;
    report("count", a, b);

    fill(b);
    b[0].n = 14; /* an answer for another number */
    report("number", a, b);

    fill(b);
    b[0].factors[2] = 5;
    b[3] = (struct factorization){.n = 1, .count = 1, .factors = {1}};
    report("two", a, b);

    fill(b);
    b[2].factors[0] = 89; /* only the last factor of the last non-trivial */
    report("last", a, b);
    return EXIT_SUCCESS;
}
