/*
 * gen.c - the generator of test trees (gen.h).
 *
 * Every file's bytes come from a small pseudo-random generator
 * (xorshift64*) seeded by the tree's seed and the file's number: the same
 * seed gives the same tree, byte for byte, on every machine.
 */
#include "gen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

#define GEN_BLOCK 65536
#define GEN_DIRS 16
#define GEN_SUBDIRS 4

static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 2685821657736338717ULL;
}

/* Write size bytes of the stream of file number k to path. */
static int write_file(const char *path, uint64_t seed, long k, int64_t size)
{
    static unsigned char block[GEN_BLOCK];
    uint64_t state = (seed + 1) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)k * 31;
    state = state == 0 ? 1 : state;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1)
        return -1;
    for (int64_t done = 0; done < size; done += GEN_BLOCK) {
        size_t n = size - done < GEN_BLOCK ? (size_t)(size - done) : GEN_BLOCK;
        for (size_t i = 0; i < n; i += 8) {
            uint64_t r = next_random(&state);
            memcpy(block + i, &r, n - i < 8 ? n - i : 8);
        }
        if (io_write_all(fd, block, n) == -1) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
    }
    return close(fd);
}

/* mkdir, where a directory already there is fine (a tree made again). */
static int make_dir(const char *path)
{
    struct stat st;
    if (mkdir(path, 0755) == 0)
        return 0;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    return -1;
}

/* The directories: dir, dir/dNN, dir/dNN/sM, dir/large, dir/links. */
static int make_dirs(const char *dir, char *path, size_t len)
{
    if (make_dir(dir) == -1)
        return -1;
    for (int d = 0; d < GEN_DIRS; d++) {
        (void)snprintf(path, len, "%s/d%02d", dir, d);
        if (make_dir(path) == -1)
            return -1;
        for (int s = 0; s < GEN_SUBDIRS; s++) {
            (void)snprintf(path, len, "%s/d%02d/s%d", dir, d, s);
            if (make_dir(path) == -1)
                return -1;
        }
    }
    (void)snprintf(path, len, "%s/large", dir);
    if (make_dir(path) == -1)
        return -1;
    (void)snprintf(path, len, "%s/links", dir);
    return make_dir(path);
}

/* Small file k's place: spread over the directories, so that a tree
 * has depth and every directory holds a few hundred files at most. */
static void small_path(const char *dir, long k, char *path, size_t len)
{
    long d = k % GEN_DIRS, s = (k / GEN_DIRS) % GEN_SUBDIRS;
    (void)snprintf(path, len, "%s/d%02ld/s%ld/f%05ld.dat", dir, d, s, k);
}

int gen_tree(const char *dir, const struct gen_opts *g, const char **what,
             long *files, int64_t *bytes)
{
    char path[4096], target[4096];
    int64_t total = 0;
    *what = dir;
    if (make_dirs(dir, path, sizeof path) == -1)
        return -1;
    *what = "writing a small file";
    for (long k = 0; k < g->small; k++) {
        uint64_t state = g->seed * 7919 + (uint64_t)k + 1;
        int64_t size = (int64_t)(next_random(&state) % (GEN_SMALL_MAX + 1));
        small_path(dir, k, path, sizeof path);
        if (write_file(path, g->seed, k, size) == -1)
            return -1;
        total += size;
    }
    *what = "writing a large file";
    for (long k = 0; k < g->large; k++) {
        (void)snprintf(path, sizeof path, "%s/large/big%ld.bin", dir, k);
        if (write_file(path, g->seed, g->small + k, g->large_kib * 1024) == -1)
            return -1;
        total += g->large_kib * 1024;
    }
    *what = "making a link";
    for (long k = 0; k < g->links && g->small > 0; k++) {
        small_path("..", k % g->small, target, sizeof target);
        (void)snprintf(path, sizeof path, "%s/links/link%ld", dir, k);
        if (unlink(path) == -1 && errno != ENOENT)
            return -1;
        if (symlink(target, path) == -1)
            return -1;
        total += (int64_t)strlen(target);
    }
    if (files != NULL)
        *files = g->small + g->large + (g->small > 0 ? g->links : 0);
    if (bytes != NULL)
        *bytes = total;
    return 0;
}
