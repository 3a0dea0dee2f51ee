/*
 * mpihello.c - hello from every rank of an MPI job: the same program,
 * started N times by mpirun, each copy told its rank.
 *
 * Python:  mpi4py's hello: comm = MPI.COMM_WORLD; comm.Get_rank(),
 *          comm.Get_size(), MPI.Get_processor_name(); comm.gather(...).
 * C:       MPI_Init, MPI_Comm_rank, MPI_Comm_size, MPI_Get_processor_name,
 *          MPI_Gather of one fixed-size record per rank to rank 0, which
 *          prints them in rank order; MPI_Finalize.
 *
 * Usage:   mpirun -np N mpihello [-q] [-h]
 *          -q          quiet: start, say nothing, end (what startup times)
 *          -h, --help  print the usage line on stdout and exit
 *
 * Observe: every rank is its own process (its own pid), on the same host
 *          here, on others with a host file (see the handout). Rank 0
 *          prints all the lines: the ranks printing for themselves would
 *          come out in any order.
 * Try:     mpirun -np 4 mpihello; mpihello (one rank, no mpirun)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "mpiwork.h"

#define USAGE "[-q] [-h]"

/* What each rank tells rank 0: fixed size, so that it travels as bytes. */
struct hello {
    int rank;
    int pid;
    char host[MPI_MAX_PROCESSOR_NAME];
};

static bool parse_args(int argc, char *argv[])
{
    bool quiet = false;
    int opt;
    while ((opt = getopt(argc, argv, "qh")) != -1) {
        switch (opt) {
        case 'q':
            quiet = true;
            break;
        case 'h':
            args_help(USAGE);
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return quiet;
}

/* Rank 0 gets every rank's record, in rank order, in all[0..ranks-1]. */
static void gather_hellos(const struct hello *mine, struct hello *all)
{
    /* TODO(15.1): Every rank (rank 0 too) sends its record to rank 0:
     * MPI_Gather(mine, sizeof *mine, MPI_BYTE, all, sizeof *mine,
     * MPI_BYTE, 0, MPI_COMM_WORLD). The receive count is per rank, not
     * the total; rank r's record lands at all[r]. A collective call:
     * every rank must make it. */
    if (all != NULL)
        all[0] = *mine;
}

int main(int argc, char *argv[])
{
    MPI_Init(&argc, &argv);
    errors_set_progname(argv[0]);
    mpi_args_begin();
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    bool quiet = parse_args(argc, argv);
    mpi_args_end();

    struct hello mine;
    memset(&mine, 0, sizeof mine);
    int ranks, len;
    MPI_Comm_rank(MPI_COMM_WORLD, &mine.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    MPI_Get_processor_name(mine.host, &len);
    mine.pid = (int)getpid();
    struct hello *all = NULL;
    if (mine.rank == 0 && (all = calloc((size_t)ranks, sizeof *all)) == NULL)
        die("calloc");
    if (!quiet)
        gather_hellos(&mine, all);
    if (mine.rank == 0 && !quiet)
        for (int r = 0; r < ranks; r++)
            printf("hello from rank %d of %d, pid %d, on %s\n", all[r].rank,
                   ranks, all[r].pid, all[r].host);
    free(all);
    MPI_Finalize();
    return EXIT_SUCCESS;
}
