/*
 * baseline.h - the baseline file: what the tree looked like, one line per
 * entry; written atomically, read back through a read-only mapping, and
 * compared with a new scan.
 *
 * The format (text, so that diff and grep work on it):
 *
 *     # integrity baseline 1
 *     # root /abs/path/of/the/tree
 *     # algorithm sha256
 *     f 1234 1764600000123456789 9f86d08...  d00/f0001.dat
 *     l 9 1764600000123456789 5e884...  d01/link
 *     # end 2
 *
 * A record: type (f file, l symbolic link), size in bytes, modification
 * time in ns, hex digest, path (the rest of the line). Records are sorted
 * by path (byte order); the last line counts them, so a truncated file is
 * recognised as such.
 */
#ifndef INTEGRITY_BASELINE_H
#define INTEGRITY_BASELINE_H

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "scan.h"
#include "tree.h"

/* One record, pointing into the mapped file (path is NOT NUL-ended). */
struct record {
    const char *path;
    size_t path_len;
    char type;
    int64_t size, mtime_ns;
    unsigned digest_len;
    unsigned char digest[EVP_MAX_MD_SIZE];
};

struct baseline {
    const char *map; /* the file, mapped PROT_READ, MAP_SHARED */
    size_t map_len;
    char root[PATH_MAX];
    char algorithm[16];
    struct record *records; /* sorted by path */
    size_t count;
};

/* What a comparison found. */
struct report_counts {
    size_t changed, added, deleted, unreadable;
};

/* Write the baseline of t (hashed into sh) to file, atomically: into a
 * temporary file beside it, flushed to disk, then renamed over file. Only
 * entries hashed RESULT_OK are written. root is the tree's absolute path.
 * If *stop is set before the rename, the temporary file is removed and
 * file left as it was (errno ECANCELED). Returns 0, or -1 with errno;
 * file is then untouched and no temporary file is left. */
int baseline_write(const char *file, const char *root, const char *algorithm,
                   const struct tree *t, const struct scan_shared *sh,
                   const atomic_int *stop);

/* Map file read-only and parse it into *b. Returns 0; -1 with errno if it
 * cannot be opened or mapped; -2 if it is no valid baseline, with the
 * reason (and line) in why. */
int baseline_load(const char *file, struct baseline *b, char *why,
                  size_t why_len);

void baseline_free(struct baseline *b);

/* Compare the scan (t, hashed into sh) with b; print one line per
 * difference on out, in path order:
 *     changed PATH        content (digest), size or type differ
 *     new PATH            in the tree, not in the baseline
 *     deleted PATH        in the baseline, not in the tree
 *     unreadable PATH (why)   in both, but could not be read now
 * A file whose digest is the same is not reported, even if its time
 * changed (touched): the digest is the truth, the time only a hint.
 * Fills *n. */
void baseline_compare(const struct baseline *b, const struct tree *t,
                      const struct scan_shared *sh, FILE *out,
                      struct report_counts *n);

/* Why result r is not RESULT_OK, in a few words. */
const char *baseline_result_why(const struct result *r);

#endif
