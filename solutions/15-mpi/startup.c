/*
 * startup.c - what starting an MPI job costs: mpirun runs mpihello -q (a
 * program that starts MPI, says nothing and ends) again and again, timed
 * by the kit's benchmark helper. Not an MPI program itself: it is what a
 * user at a shell prompt does, with a clock.
 *
 * Python:  the same question for multiprocessing (lab 01): what does one
 *          Process cost before it does any work?
 * C:       fork, execvp("mpirun", ...), waitpid, with bench_run around
 *          them (median, min and max of the runs).
 *
 * Usage:   startup [-n ranks] [-r runs] [-h]
 *          -n ranks    the -np values to time, e.g. 1,2,4 (default 1,2,4),
 *                      1..64
 *          -r runs     timed runs per value after one warm-up, 1..100
 *                      (default 10)
 *          -h, --help  print the usage line on stdout and exit
 *
 * Observe: MPICH's mpirun starts a job on this machine in some tens of
 *          milliseconds; Open MPI's in some hundreds. A job must work far
 *          longer than that for its ranks to pay off, and on a cluster the
 *          start (ssh or Slurm to every node) costs more.
 * Try:     startup -n 1,8 -r 5
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "mpiwork.h"
#include "status.h"

#define USAGE "[-n ranks] [-r runs] [-h]"
#define MAX_VALUES 16
#define WARMUPS 1

/* One job as bench_run calls it: argv is "mpirun ... mpihello -q". */
struct job {
    char **argv;
};

static void run_job(void *arg)
{
    struct job *j = arg;
    /* TODO(15.2): Start the job and wait for it: fork; the child calls
     * execvp(j->argv[0], j->argv) and, if that returns, die_child(
     * "mpirun") (is MPI installed?); the parent waits for the child with
     * waitpid and stops with die_msg if it did not exit with status 0
     * (status_ok; status_describe says how it ended). Check every call. */
    /* BEGIN SOLUTION */
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        execvp(j->argv[0], j->argv);
        die_child("mpirun");
    }
    int status;
    if (waitpid(pid, &status, 0) == -1)
        die("waitpid");
    if (!status_ok(status)) {
        char how[64];
        die_msg("mpirun %s", status_describe(status, how, sizeof how));
    }
    /* END SOLUTION */
    /* STARTER
    (void)j;
    STARTER */
}

/* mpihello beside this program: the directory of /proc/self/exe. */
static void sibling(const char *name, char *path, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n == -1)
        die("/proc/self/exe");
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL)
        *slash = '\0';
    if (snprintf(path, len, "%s/%s", self, name) >= (int)len)
        die_msg("path too long: %s/%s", self, name);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    long ranks[MAX_VALUES] = {1, 2, 4};
    int nvalues = 3, runs = 10, opt;
    while ((opt = getopt(argc, argv, "n:r:h")) != -1) {
        switch (opt) {
        case 'n':
            nvalues = bench_parse_list(optarg, 1, 64, ranks, MAX_VALUES,
                                       "ranks", USAGE);
            break;
        case 'r':
            runs = (int)arg_long(optarg, 1, 100, "runs", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);

    /* The jobs get no input: mpirun forwards its stdin to rank 0, and
     * would swallow whatever a script feeds this program. */
    int null = open("/dev/null", O_RDONLY);
    if (null == -1 || dup2(null, STDIN_FILENO) == -1 || close(null) == -1)
        die("/dev/null");
    char hello[PATH_MAX + 16], np[16], machine[300];
    sibling("mpihello", hello, sizeof hello);
    bench_machine(machine, sizeof machine);
    printf("startup: mpirun -np N mpihello -q, %d warm-up + %d timed runs "
           "each; %s\n",
           WARMUPS, runs, machine);
    /* Open MPI refuses to run as root, and more ranks than cores, unless
     * told; MPICH needs neither flag (and knows neither). */
    char *args[8];
    int k = 0;
    args[k++] = "mpirun";
#ifdef OPEN_MPI
    args[k++] = "--allow-run-as-root";
    args[k++] = "--oversubscribe";
#endif
    args[k++] = "-np";
    args[k++] = np;
    args[k++] = hello;
    args[k++] = "-q";
    args[k] = NULL;
    struct job job = {args};
    for (int i = 0; i < nvalues; i++) {
        (void)snprintf(np, sizeof np, "%ld", ranks[i]);
        struct bench_result r;
        if (fflush(stdout) == EOF) /* not to be copied into the children */
            die("fflush");
        bench_run(run_job, &job, WARMUPS, runs, false, &r);
        printf("mpirun -np %2ld: median %.3f s  (min %.3f, max %.3f)\n",
               ranks[i], r.median, r.min, r.max);
    }
    return EXIT_SUCCESS;
}
