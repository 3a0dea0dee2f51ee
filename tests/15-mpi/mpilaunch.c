/*
 * mpilaunch.c - test driver for lab 15: `mpilaunch N prog args...` runs
 * `mpirun -np N <this directory>/prog args...` (exec: the harness's
 * process IS mpirun, so its timeout, its leftover check and its kill
 * reach the whole job: mpirun, its proxies and every rank).
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
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include <mpi.h>

#define USAGE "N prog [args...]"
#define MAX_ARGS 64

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
    execvp(args[0], args);
    die("mpirun");
}
