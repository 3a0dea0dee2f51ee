/*
 * gen.h - make the lab's test tree: thousands of small files and a few
 * large ones, the same bytes for the same seed (reproducible), so that a
 * test or a benchmark knows exactly what it hashes.
 */
#ifndef INTEGRITY_GEN_H
#define INTEGRITY_GEN_H

#include <stdint.h>

struct gen_opts {
    uint64_t seed;
    long small;     /* small files: 0..16 KiB each, in d00..d15/s0..s3 */
    long large;     /* large files, in large/ */
    long large_kib; /* size of each large file */
    long links;     /* symbolic links, in links/, to small files */
};

#define GEN_SMALL_MAX 16384 /* bytes, at most, of a small file */

/* Make the tree at dir. If it exists, its files are made again (a file
 * gentree makes gets its seed's bytes back; files added since are left
 * alone). Returns 0, or -1 with errno
 * (and what failed in *what). Totals in *files and *bytes if not NULL. */
int gen_tree(const char *dir, const struct gen_opts *g, const char **what,
             long *files, int64_t *bytes);

#endif
