/*
 * hello.c - the hello world of processes: fork, _exit, waitpid.
 *
 * Python:  p = Process(target=f, args=("World",)); p.start(); p.join()
 * C:       fork() starts a copy of this process; the copy (the child) runs
 *          the task and ends with _exit(); the parent waits for it with
 *          waitpid() and reads how it ended from the status.
 *
 * Usage:   hello [-n name] [-s status]
 *          -n name    who to greet (default: World)
 *          -s status  the exit status the child ends with, 0..255 (default 0)
 *
 * Observe: the child has a pid of its own, and its parent's pid is ours.
 * Try:     hello -s 3   (the parent learns the child's exit status)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

#define USAGE "[-n name] [-s status]"

/* The task the child runs: Python's target=f. */
static void greet(const char *name)
{
    printf("child: Hello %s! pid %ld, parent %ld\n", name, (long)getpid(),
           (long)getppid());
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    const char *name = "World";
    int child_status = 0;
    int opt;
    while ((opt = getopt(argc, argv, "n:s:")) != -1) {
        switch (opt) {
        case 'n':
            name = optarg;
            break;
        case 's':
            child_status = (int)arg_long(optarg, 0, 255, "status", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);

    printf("parent: pid %ld, starting a child\n", (long)getpid());
    /* Without this flush, the child would inherit the unwritten line in
     * its copy of the stdio buffer and print it a second time when stdout
     * is a pipe or a file. */
    if (fflush(stdout) == EOF)
        die("fflush");

    /* TODO(01.1): Start the child with fork(). In the child (fork returned
     * 0): call greet(name), flush stdout, and end with _exit(child_status)
     * - never return into main, or the child would run the parent's code
     * too. In the parent, fork returned the child's pid: keep it.
     * Hint: if ((child = fork()) == -1) die("fork"); */
    pid_t child = -1;
    /* BEGIN SOLUTION */
    if ((child = fork()) == -1)
        die("fork");
    if (child == 0) {
        greet(name);
        if (fflush(stdout) == EOF)
            die_child("fflush");
        _exit(child_status);
    }
    /* END SOLUTION */
    /* STARTER
    (void)greet;
    (void)name;
    (void)child_status;
    STARTER */

    /* TODO(01.2): Wait for that child with waitpid() (Python's join) and
     * print how it ended, exactly like this:
     *     parent: child <pid> exited with status <n>
     * using WIFEXITED/WEXITSTATUS, or, if it was killed by a signal
     * (WIFSIGNALED/WTERMSIG):
     *     parent: child <pid> was killed by signal <n> */
    /* BEGIN SOLUTION */
    int status;
    if (waitpid(child, &status, 0) == -1)
        die("waitpid");
    if (WIFEXITED(status))
        printf("parent: child %ld exited with status %d\n", (long)child,
               WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("parent: child %ld was killed by signal %d\n", (long)child,
               WTERMSIG(status));
    /* END SOLUTION */
    /* STARTER
    (void)child;
    STARTER */
    return EXIT_SUCCESS;
}
