/*
 * numbers.h - the list of numbers every program of lab 05 squares.
 *
 * The lecture squares [1, 2, 3, 4]; each program takes its own list as
 * operands instead (put `--` before a negative number, or getopt reads it
 * as an option). Squares and their sum fit in an int - Python's 'i' type -
 * because the list is short and the numbers are small.
 */
#ifndef LAB05_NUMBERS_H
#define LAB05_NUMBERS_H

#include <stddef.h>

#define NUMBERS_MAX 16      /* at most this many numbers */
#define NUMBERS_LIMIT 10000 /* each number is in -LIMIT..LIMIT */
#define NUMBERS_TEXT 256    /* room for "[a, b, ...]" of NUMBERS_MAX ints */

/* Parse the operands argv[first..argc-1] into out[NUMBERS_MAX] and return
 * how many there are; with no operands, the lecture's list 1 2 3 4.
 * A bad number or too many of them: usage message, exit status 2. */
size_t numbers_parse(int argc, char *argv[], int first, int *out,
                     const char *usage);

/* Write v[0..n-1] into buf as Python prints a list, "[1, 4, 9, 16]" ("[]"
 * when n is 0), and return buf. size should be NUMBERS_TEXT. */
const char *numbers_format(char *buf, size_t size, const int *v, size_t n);

#endif
