/*
 * cow.c - the surprise: a child's changes to a global never reach its
 * parent.
 *
 * Python:  result = [] at module level; a Process appends the squares of
 *          [1, 2, 3, 4] to it and prints [1, 4, 9, 16]; after join() the
 *          parent prints result and sees [].
 * C:       the same with a global array. fork() gives the child a copy of
 *          the parent's whole memory - copy-on-write: the two share each
 *          page until one of them writes to it, and then the writer gets
 *          a private copy of that page. The child fills its copy; the
 *          parent's stays empty.
 *
 * Usage:   cow [number...]      (default: 1 2 3 4)
 *
 * Observe: the child and the parent print the same address for result,
 *          and see different contents there: an address names a place in
 *          a process's own memory, not in the machine's.
 * Try:     cow 5 6 7
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "numbers.h"
#include "status.h"

#define USAGE "[number...]"

/* Python's module-level `result = []`: a global list, empty at the start. */
static int result[NUMBERS_MAX];
static size_t result_len;

/* The task the child runs: append the squares of numbers to the global
 * result, then show what this process now sees there. */
static void square_list(const int *numbers, size_t n)
{
    for (size_t i = 0; i < n; i++)
        result[result_len++] = numbers[i] * numbers[i];
    char text[NUMBERS_TEXT];
    printf("child: pid %ld, result at %p holds %s\n", (long)getpid(),
           (void *)result,
           numbers_format(text, sizeof text, result, result_len));
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    if (getopt(argc, argv, "") != -1) /* no options, only numbers */
        die_bad_option(USAGE);
    int numbers[NUMBERS_MAX];
    size_t n = numbers_parse(argc, argv, optind, numbers, USAGE);

    char text[NUMBERS_TEXT];
    printf("parent: pid %ld, squaring %s in a child\n", (long)getpid(),
           numbers_format(text, sizeof text, numbers, n));
    if (fflush(stdout) == EOF)
        die("fflush");

    /* TODO(05.1): Start a child with fork(). The child calls
     * square_list(numbers, n), flushes stdout and ends with _exit(0).
     * The parent waits for it with waitpid() and prints
     *     parent: child <pid> exited with status <n>
     * Hint: this is lab 01's hello again; the point is what comes after. */
    (void)square_list;

    /* The child is gone, and with it its copy of result. */
    printf("parent: result at %p holds %s\n", (void *)result,
           numbers_format(text, sizeof text, result, result_len));
    return EXIT_SUCCESS;
}
