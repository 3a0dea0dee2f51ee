/*
 * factor-check.c - test driver for lab 08: runs the student's
 * factorize_naive() and factor_compare() on inputs the TEST chooses, read
 * from standard input, and prints the raw answers; the test recomputes
 * what they should be and decides. Nothing this driver prints is a
 * verdict (it is linked with student code, which could print anything).
 *
 *     f N                      -> "N = p * q ..." (factorize_naive)
 *     c K, then 2K lines "n count f1 .. fcount" (table a, then table b)
 *                              -> "<differences> <first index or ->"
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "factor.h"

#define MAX_ROWS 64

static struct factorization a[MAX_ROWS], b[MAX_ROWS];

static void fail(const char *what)
{
    (void)fprintf(stderr, "factor-check: bad input: %s\n", what);
    exit(2);
}

static void read_row(struct factorization *f)
{
    memset(f, 0, sizeof *f);
    if (scanf("%" SCNu64 " %d", &f->n, &f->count) != 2 || f->count < 0 ||
        f->count > FACTOR_MAX)
        fail("a row 'n count factors...'");
    for (int k = 0; k < f->count; k++)
        if (scanf("%" SCNu64, &f->factors[k]) != 1)
            fail("a factor");
}

static void factor_one(void)
{
    uint64_t n;
    if (scanf("%" SCNu64, &n) != 1)
        fail("f N");
    struct factorization f;
    memset(&f, 0, sizeof f);
    factorize_naive(n, &f);
    printf("%" PRIu64 " =", f.n);
    for (int k = 0; k < f.count && k < FACTOR_MAX; k++)
        printf("%s %" PRIu64, k == 0 ? "" : " *", f.factors[k]);
    printf("\n");
}

static void compare_tables(void)
{
    int rows;
    if (scanf("%d", &rows) != 1 || rows < 1 || rows > MAX_ROWS)
        fail("c K");
    for (int i = 0; i < rows; i++)
        read_row(&a[i]);
    for (int i = 0; i < rows; i++)
        read_row(&b[i]);
    size_t first = SIZE_MAX;
    size_t differ = factor_compare(a, b, (size_t)rows, &first);
    if (first == SIZE_MAX)
        printf("%zu -\n", differ);
    else
        printf("%zu %zu\n", differ, first);
}

int main(void)
{
    char cmd[2];
    while (scanf("%1s", cmd) == 1) {
        if (cmd[0] == 'f')
            factor_one();
        else if (cmd[0] == 'c')
            compare_tables();
        else
            fail("a command f or c");
        if (fflush(stdout) == EOF)
            return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
