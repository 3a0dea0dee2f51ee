/*
 * Sample class: a fork bomb. Every process forks until fork fails, then
 * the first one exits 0 and the others wait forever (pause, so that they
 * burn no CPU). Only the grading box makes this safe: it refuses to start
 * unless a process limit of at most 4096 is in force.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

int main(void)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NPROC, &lim) == -1 || lim.rlim_cur == RLIM_INFINITY ||
        lim.rlim_cur > 4096) {
        fprintf(stderr, "hello: a fork bomb: refusing to run outside the "
                        "grading box (no process limit)\n");
        return 1;
    }
    pid_t first = getpid();
    printf("parent: pid %ld, starting a child\n", (long)first);
    fflush(stdout);
    for (;;) {
        if (fork() == -1) {
            if (getpid() == first)
                return 0;
            for (;;)
                pause();
        }
    }
}
