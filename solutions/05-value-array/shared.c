/*
 * shared.c - Python's Value('i') and Array('i', 4) in C: memory that a
 * parent and its child really share.
 *
 * Python:  result = Array('i', 4); square_sum = Value('i'); a Process
 *          writes the squares of [1, 2, 3, 4] into result and adds them to
 *          square_sum.value; after join() the parent prints
 *          [1, 4, 9, 16] and 30.
 * C:       mmap(MAP_SHARED | MAP_ANONYMOUS) before fork(): the child
 *          inherits the mapping itself, not a copy of it, so both
 *          processes read and write the same physical pages. One int is
 *          the Value, an array of ints is the Array.
 *
 * Usage:   shared [-p] [-d seconds] [number...]   (default: 1 2 3 4)
 *          -p          map the memory MAP_PRIVATE instead, to compare
 *          -d seconds  the child works this long before it writes, 0..10
 *                      (default 0)
 *
 * Observe: the parent sees the child's squares only after waitpid(); with
 *          -p it sees zeros again, as cow saw an empty list.
 * Try:     shared -d 1 (the parent waits); shared -p
 */
/* MAP_ANONYMOUS is not in POSIX 2008. */
#define _DEFAULT_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "numbers.h"
#include "status.h"
#include "timing.h"

#define USAGE "[-p] [-d seconds] [number...]"

/* Return size bytes of zeroed memory that a child forked afterwards
 * shares with us (shared true) or gets its own copy of (shared false).
 * Release it with shared_free(). Exits with a message on failure. */
static void *shared_alloc(size_t size, bool shared)
{
    /* TODO(05.2): Map size bytes of anonymous memory (no file behind it)
     * with mmap(): readable and writable, MAP_SHARED | MAP_ANONYMOUS when
     * shared is true, MAP_PRIVATE | MAP_ANONYMOUS when it is false. The
     * pages come zeroed. mmap reports failure with MAP_FAILED, not NULL.
     * Hint: mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0) */
    /* BEGIN SOLUTION */
    int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    return p;
    /* END SOLUTION */
    /* STARTER
    (void)shared;
    void *p = calloc(1, size); // ordinary heap memory: not shared
    if (p == NULL)
        die("calloc");
    return p;
    STARTER */
}

/* Give back memory from shared_alloc(p's size). */
static void shared_free(void *p, size_t size)
{
    /* TODO(05.2): unmap it with munmap(). */
    /* BEGIN SOLUTION */
    if (munmap(p, size) == -1)
        die("munmap");
    /* END SOLUTION */
    /* STARTER
    (void)size;
    free(p);
    STARTER */
}

/* The child's task, as in the lecture: each square goes into the Array,
 * and is added to the Value. */
static void square_list(const int *numbers, size_t n, int *squares, int *sum)
{
    for (size_t i = 0; i < n; i++) {
        squares[i] = numbers[i] * numbers[i];
        *sum += squares[i];
    }
}

/* What the command line asks for. */
struct options {
    bool shared;
    double delay;
    int numbers[NUMBERS_MAX];
    size_t n;
};

static struct options parse_options(int argc, char *argv[])
{
    struct options o = {.shared = true, .delay = 0};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "hpd:")) != -1) {
        switch (opt) {
        case 'h':
            args_help(USAGE);
        case 'p':
            o.shared = false;
            break;
        case 'd':
            o.delay = arg_double(optarg, 0, 10, "seconds", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    o.n = numbers_parse(argc, argv, optind, o.numbers, USAGE);
    return o;
}

/* Fork a child that works delay seconds, then writes the squares of
 * numbers into squares and their sum into *sum, and ends. */
static pid_t start_child(const struct options *o, int *squares, int *sum)
{
    pid_t child;
    if ((child = fork()) == -1)
        die("fork");
    if (child == 0) {
        timing_sleep(o->delay); /* a task that takes a while */
        square_list(o->numbers, o->n, squares, sum);
        char text[NUMBERS_TEXT];
        printf("child: pid %ld wrote squares %s and their sum %d\n",
               (long)getpid(), numbers_format(text, sizeof text, squares, o->n),
               *sum);
        if (fflush(stdout) == EOF)
            die_child("fflush");
        _exit(EXIT_SUCCESS);
    }
    return child;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o = parse_options(argc, argv);
    size_t n = o.n;

    /* Value('i') and Array('i', n): made before fork, so that the child
     * inherits them. */
    int *sum = shared_alloc(sizeof *sum, o.shared);
    int *squares = shared_alloc(n * sizeof *squares, o.shared);

    char text[NUMBERS_TEXT];
    printf("parent: pid %ld, squaring %s in a child, memory %s\n",
           (long)getpid(), numbers_format(text, sizeof text, o.numbers, n),
           o.shared ? "MAP_SHARED" : "MAP_PRIVATE");
    if (fflush(stdout) == EOF)
        die("fflush");
    pid_t child = start_child(&o, squares, sum);

    /* TODO(05.3): Wait for the child with waitpid() BEFORE reading what it
     * wrote: until it has ended, the squares may not be there yet. Print
     *     parent: child <pid> exited with status <n>
     * (status_describe() from status.h writes "exited with status <n>" or
     * "was killed by signal <n> (...)") and, if it did not exit with
     * status 0, stop with exit status 1 and a message (die_msg).
     * Hint: try `shared -d 1` - what does a parent that does not wait see? */
    /* BEGIN SOLUTION */
    int status;
    if (waitpid(child, &status, 0) == -1)
        die("waitpid");
    char how[64];
    printf("parent: child %ld %s\n", (long)child,
           status_describe(status, how, sizeof how));
    if (!status_ok(status))
        die_msg("the child did not finish its work: no result to show");
    /* END SOLUTION */
    /* STARTER
    (void)child;
    STARTER */

    printf("parent: result %s\n",
           numbers_format(text, sizeof text, squares, n));
    printf("parent: sum of squares %d\n", *sum);
    shared_free(squares, n * sizeof *squares);
    shared_free(sum, sizeof *sum);
    return EXIT_SUCCESS;
}
