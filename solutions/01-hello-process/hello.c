/*
 * hello.c - the hello world of processes: fork, _exit, waitpid.
 *
 * Python:  p = Process(target=f, args=("World",)); p.start(); p.join()
 * C:       fork() starts a copy of this process; the copy (the child) runs
 *          the task and ends with _exit(); the parent waits for it with
 *          waitpid() and reads how it ended from the status.
 *
 * Usage:   hello [-n name] [-s status] [-k signal]
 *          -n name    who to greet (default: World)
 *          -s status  the exit status the child ends with, 0..255 (default 0)
 *          -k signal  the child kills itself with this signal, 1..15,
 *                     instead of exiting (default: it exits)
 *
 * Observe: the child has a pid of its own, and its parent's pid is ours.
 * Try:     hello -s 3   (the parent learns the child's exit status)
 *          hello -k 9   (the child never exits: a signal ends it)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

#define USAGE "[-n name] [-s status] [-k signal]"

struct options {
    const char *name; /* who the child greets */
    int status;       /* what the child passes to _exit */
    int signal;       /* if not 0: the signal the child kills itself with */
};

static struct options parse_args(int argc, char *argv[])
{
    struct options o = {.name = "World", .status = 0, .signal = 0};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "hn:s:k:")) != -1) {
        switch (opt) {
        case 'n':
            o.name = optarg;
            break;
        case 's':
            o.status = (int)arg_long(optarg, 0, 255, "status", USAGE);
            break;
        case 'k':
            o.signal = (int)arg_long(optarg, 1, 15, "signal", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return o;
}

/* The task the child runs (Python's target=f): greet, then either kill
 * itself with a signal (-k) or return the status to exit with. */
static int child_main(const struct options *o)
{
    printf("child: Hello %s! pid %ld, parent %ld\n", o->name, (long)getpid(),
           (long)getppid());
    if (fflush(stdout) == EOF)
        die_child("fflush");
    if (o->signal != 0 && raise(o->signal) != 0)
        die_child("raise");
    return o->status;
}

/* Start the child; return its pid (in the parent only). */
static pid_t start_child(const struct options *o)
{
    /* TODO(01.1): Start the child with fork(). In the child (fork returned
     * 0): end with _exit(child_main(o)) - never return from here, or the
     * child would go on running the parent's code too. In the parent, fork
     * returned the child's pid: return it.
     * Hint: if ((child = fork()) == -1) die("fork"); */
    pid_t child = -1;
    /* BEGIN SOLUTION */
    if ((child = fork()) == -1)
        die("fork");
    if (child == 0)
        _exit(child_main(o));
    /* END SOLUTION */
    /* STARTER
    (void)o;
    (void)child_main;
    STARTER */
    return child;
}

/* Wait for the child (Python's join) and say how it ended. */
static void report_child(pid_t child)
{
    /* TODO(01.2): Wait for that child with waitpid() and print how it
     * ended, exactly like this:
     *     parent: child <pid> exited with status <n>
     * using WIFEXITED/WEXITSTATUS, or, if it was killed by a signal
     * (WIFSIGNALED/WTERMSIG):
     *     parent: child <pid> was killed by signal <n>
     * Decode the status waitpid gives you: it is not the exit code, and a
     * child killed by a signal has no exit code at all. */
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
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o = parse_args(argc, argv);
    printf("parent: pid %ld, starting a child\n", (long)getpid());
    /* Without this flush, the child would inherit the unwritten line in
     * its copy of the stdio buffer and print it a second time when stdout
     * is a pipe or a file. */
    if (fflush(stdout) == EOF)
        die("fflush");
    pid_t child = start_child(&o);
    report_child(child);
    return EXIT_SUCCESS;
}
