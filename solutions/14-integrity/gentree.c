/*
 * gentree.c - make a reproducible tree of files for the checker: many
 * small files and a few large ones, the same bytes for the same seed.
 *
 * Usage:   gentree [-s seed] [-n small] [-l large] [-k KiB] [-L links]
 *                  [-h] [DIR]
 *          DIR       the tree to make (default: tree); if it exists, the
 *                    files gentree makes are made again
 *          -s seed   0..2^31 (default 1)
 *          -n small  small files, 0..16 KiB each, 0..1000000 (default 3000)
 *          -l large  large files, 0..64 (default 4)
 *          -k KiB    size of each large file, 0..4194304 (default 16384)
 *          -L links  symbolic links to small files, 0..100 (default 2)
 *
 * Observe: two trees made with the same seed hash the same (compare their
 *          baselines' digests); another seed gives other bytes.
 * Try:     gentree -n 10 -l 1 -k 1024 small; ls -lR small
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "gen.h"

#define USAGE "[-s seed] [-n small] [-l large] [-k KiB] [-L links] [-h] [DIR]"

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct gen_opts g = {
        .seed = 1, .small = 3000, .large = 4, .large_kib = 16384, .links = 2};
    int opt;
    while ((opt = getopt(argc, argv, "s:n:l:k:L:h")) != -1) {
        switch (opt) {
        case 's':
            g.seed = (uint64_t)arg_long(optarg, 0, 2147483648L, "seed", USAGE);
            break;
        case 'n':
            g.small = arg_long(optarg, 0, 1000000, "small", USAGE);
            break;
        case 'l':
            g.large = arg_long(optarg, 0, 64, "large", USAGE);
            break;
        case 'k':
            g.large_kib = arg_long(optarg, 0, 4194304, "KiB", USAGE);
            break;
        case 'L':
            g.links = arg_long(optarg, 0, 100, "links", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (argc - optind > 1)
        die_usage(USAGE, "one DIR at most");
    const char *dir = optind < argc ? argv[optind] : "tree";
    const char *what;
    long files;
    int64_t bytes;
    if (gen_tree(dir, &g, &what, &files, &bytes) == -1)
        die(what);
    printf("gentree: %s: %ld files, %.1f MiB (seed %llu)\n", dir, files,
           (double)bytes / (1024.0 * 1024.0), (unsigned long long)g.seed);
    return 0;
}
