/*
 * ptyrun.c - test driver for lab 14: run a program with its stderr on a
 * new pseudo-terminal, so that isatty(2) is true in it, and copy what it
 * draws on that terminal to ptyrun's own stderr, byte for byte (the
 * terminal turns each "\n" into "\r\n"). The program's stdout is
 * ptyrun's. It calls no student code: it only execs the program.
 *
 * Usage: ptyrun PROGRAM [ARG...]
 * Exits with the program's status (128 + n if signal n killed it).
 */
#define _XOPEN_SOURCE 600 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "io.h"
#include "status.h"

static void run_child(int master, char *argv[])
{
    if (setsid() == -1)
        die_child("setsid");
    int slave = open(ptsname(master), O_RDWR); /* our controlling tty */
    if (slave == -1)
        die_child("open pty");
    if (dup2(slave, STDERR_FILENO) == -1)
        die_child("dup2");
    close(slave);
    close(master);
    execv(argv[1], argv + 1);
    die_child(argv[1]);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (argc < 2)
        die_usage("PROGRAM [ARG...]", "which program?");
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master == -1 || grantpt(master) == -1 || unlockpt(master) == -1)
        die("posix_openpt");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0)
        run_child(master, argv);
    char buf[4096];
    ssize_t n;
    /* EIO once the last holder of the terminal's other side is gone. */
    while ((n = read(master, buf, sizeof buf)) > 0 ||
           (n == -1 && errno == EINTR))
        if (n > 0 && io_write_all(STDERR_FILENO, buf, (size_t)n) == -1)
            die("write");
    int status;
    if (waitpid(pid, &status, 0) == -1)
        die("waitpid");
    return status_to_exit_code(status);
}
