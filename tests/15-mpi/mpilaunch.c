/*
 * mpilaunch.c - test driver for lab 15: `mpilaunch N prog args...` runs
 * `mpirun -np N <this directory>/prog args...` and exits as it did (its
 * status, or 128 + the signal that killed it).
 *
 * When a job fails (a rank exits non-zero or is killed), MPICH's mpirun
 * ends without waiting for its proxies, nor they for their ranks: the
 * harness would find them as zombies and blame the student. So this
 * driver is a child subreaper: the job's orphans come back to it, and
 * once mpirun has ended it reaps every one that has ended (waiting up to
 * a second for the ones hydra is still killing). A process of the job
 * still RUNNING after that is not waited for: it is left to the harness,
 * which reports it (and kills it).
 *
 * The tests never start MPI inside the Criterion process: MPI_Init there
 * would tie the test runner to the job. The harness runs
 * <KIT_BIN_ROOT>/15-mpi/mpilaunch, and the rank program beside it, so
 * the -tsan and -asan twins launch their own builds.
 *
 * Open MPI needs two flags to run as root and to start more ranks than
 * there are cores; MPICH needs neither (and rejects them). mpi.h tells
 * which one we were built with.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include <mpi.h>

#define USAGE "N prog [args...]"
#define MAX_ARGS 64

/* Reap every child that has ended or ends within a second; return when
 * none is left, or when the ones left are still running after that. */
static void reap_orphans(void)
{
    for (int tries = 0; tries < 100; tries++) {
        pid_t got;
        while ((got = waitpid(-1, NULL, WNOHANG)) > 0)
            continue;
        if (got == -1 && errno == ECHILD)
            return; /* nothing left */
        if (got == -1)
            die("waitpid");
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 10000000};
        (void)nanosleep(&pause, NULL);
    }
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (argc < 3)
        die_usage(USAGE, "need a rank count and a program");
    (void)arg_long(argv[1], 1, 64, "N", USAGE);
    if (argc - 3 > MAX_ARGS || strchr(argv[2], '/') != NULL)
        die_usage(USAGE, "prog: a program of this lab, by name");

    char self[PATH_MAX], prog[PATH_MAX + NAME_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n == -1)
        die("/proc/self/exe");
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL)
        *slash = '\0';
    if (snprintf(prog, sizeof prog, "%s/%s", self, argv[2]) >= (int)sizeof prog)
        die_msg("path too long");

    char *args[MAX_ARGS + 8];
    int k = 0;
    args[k++] = "mpirun";
#ifdef OPEN_MPI
    args[k++] = "--allow-run-as-root";
    args[k++] = "--oversubscribe";
#endif
    args[k++] = "-np";
    args[k++] = argv[1];
    args[k++] = prog;
    for (int i = 3; i < argc; i++)
        args[k++] = argv[i];
    args[k] = NULL;
    /* MPICH's UCX transport hooks mmap and madvise to track memory; under
     * ThreadSanitizer the hook crashes as a thread ends (SIGSEGV in
     * libucm). Ranks on one machine need no memory tracking: turn it off
     * unless told otherwise. */
    if (setenv("UCX_MEM_EVENTS", "no", 0) == -1)
        die("setenv");
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
        die("prctl");
    if (fflush(stdout) == EOF)
        die("fflush");
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        /* The lab's programs read no input, and mpirun forwards its stdin
         * to rank 0: it would swallow whatever a script feeds the caller
         * (handouts.sh reads the handout from its stdin). */
        int null = open("/dev/null", O_RDONLY);
        if (null == -1 || dup2(null, STDIN_FILENO) == -1 || close(null) == -1)
            die_child("/dev/null");
        execvp(args[0], args);
        die_child("mpirun");
    }
    int status;
    if (waitpid(pid, &status, 0) == -1)
        die("waitpid");
    reap_orphans();
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
