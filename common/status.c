/*
 * status.c - see status.h.
 */
#include "status.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

const char *status_describe(int wstatus, char *buf, size_t size)
{
    int n;
    if (WIFEXITED(wstatus))
        n = snprintf(buf, size, "exited with status %d", WEXITSTATUS(wstatus));
    else if (WIFSIGNALED(wstatus))
        n = snprintf(buf, size, "was killed by signal %d (%s)",
                     WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
    else if (WIFSTOPPED(wstatus))
        n = snprintf(buf, size, "was stopped by signal %d", WSTOPSIG(wstatus));
    else
        n = snprintf(buf, size, "ended with status 0x%x", (unsigned)wstatus);
    if (n < 0 && size > 0)
        buf[0] = '\0';
    return buf;
}

int status_to_exit_code(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return 255;
}

int status_ok(int wstatus)
{
    return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
}
