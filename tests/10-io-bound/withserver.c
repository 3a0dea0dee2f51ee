/*
 * withserver.c - test driver for lab 10: start the kit's page server,
 * then run a lab program with "-p PORT" added, and stop the server after.
 *
 *     withserver PROGRAM [ARGS...]
 *
 * PROGRAM is a program name of the same build, found beside this driver
 * (the directory of /proc/self/exe).
 *
 * Why: a program that starts its own server has one child of its own name
 * that is not a worker (the server is a fork of it). The test's killer
 * (tests/harness/killer.h) takes any child of the program's name for a
 * worker; with the server started here, under another name, the only
 * such children left are the workers. It also exercises -p.
 *
 * Exits with the program's exit status, or 128 + the signal that killed
 * it; 1 if the server could not be started or stopped. Prints nothing of
 * its own but errors: its verdict is the program's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "pageserver.h"
#include "status.h"

#define MAX_ARGS 64

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (argc < 2 || argc > MAX_ARGS)
        die_usage("PROGRAM [ARGS...]", "want a program to run");
    struct pageserver srv;
    if (pageserver_start(&srv, 0) == -1)
        die("pageserver_start");
    char port[16];
    (void)snprintf(port, sizeof port, "%d", srv.port);
    char path[4096];
    ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
    if (len == -1)
        die("readlink /proc/self/exe");
    path[len] = '\0';
    char *slash = strrchr(path, '/');
    size_t name_len = strlen(argv[1]);
    if (slash == NULL || strchr(argv[1], '/') != NULL ||
        (size_t)(slash + 1 - path) + name_len + 1 > sizeof path)
        die_usage("PROGRAM [ARGS...]", "want a program name");
    memcpy(slash + 1, argv[1], name_len + 1);
    char *args[MAX_ARGS + 3];
    int n = 0;
    args[n++] = argv[1];
    args[n++] = "-p";
    args[n++] = port;
    for (int i = 2; i < argc; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        execv(path, args);
        die_child("execv");
    }
    int status;
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            die("waitpid");
    if (pageserver_stop(&srv) == -1)
        die("pageserver_stop");
    return status_to_exit_code(status);
}
