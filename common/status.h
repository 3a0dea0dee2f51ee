/*
 * status.h - say how a child process ended, from waitpid's status.
 *
 * A status is not an exit code: it packs either the code the child passed
 * to exit (WIFEXITED, WEXITSTATUS) or the signal that killed it
 * (WIFSIGNALED, WTERMSIG). A parent that prints WEXITSTATUS without asking
 * WIFEXITED first reports "status 0" for a child killed by a signal.
 *
 *     char how[64];
 *     if (waitpid(pid, &status, 0) == -1)
 *         die("waitpid");
 *     printf("child %d %s\n", (int)pid, status_describe(status, how, sizeof
 * how));
 *         -> "child 4242 exited with status 0"
 *         -> "child 4243 was killed by signal 9 (Killed)"
 */
#ifndef KIT_STATUS_H
#define KIT_STATUS_H

#include <stddef.h>

/* Write "exited with status N", "was killed by signal N (name)" (or, for
 * a stopped child, "was stopped by signal N") into buf; returns buf. */
const char *status_describe(int wstatus, char *buf, size_t size);

/* The shell's convention for a status as one number: the exit code, or
 * 128 + the signal for a child killed by a signal. */
int status_to_exit_code(int wstatus);

/* True if the child exited normally with status 0. */
int status_ok(int wstatus);

#endif
