/*
 * killer.h - kill a worker of a running lab program, from a test.
 *
 * To test what a program does when one of its children dies (the failure
 * path every lab that forks must handle), a test starts a killer, then
 * runs the program with RUN(); the killer - a thread of the test process,
 * so that it is no leftover of the program - watches /proc for a worker:
 * a process named prog whose parent is named prog too, below this test
 * process, and sends it sig, once.
 *
 *     struct run_killer *k = run_killer_start("factorize", SIGTERM);
 *     struct run_result *r = RUN("factorize", "-m", "processes", ...);
 *     pid_t victim = run_killer_stop(k);   (0: no worker was found)
 */
#ifndef KIT_TEST_KILLER_H
#define KIT_TEST_KILLER_H

#include <sys/types.h>

struct run_killer;

/* Start looking for a worker of prog to send sig to. Never returns NULL
 * (a failure to start the thread fails the test). */
struct run_killer *run_killer_start(const char *prog, int sig);

/* Stop looking, wait for the thread, free it; return the pid of the
 * worker it killed, or 0 if it found none. */
pid_t run_killer_stop(struct run_killer *k);

#endif
