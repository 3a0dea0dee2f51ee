/*
 * tree.c - walk a directory tree into a sorted list of entries (tree.h).
 *
 * The walk is serial and cheap (no file is opened, only directories); the
 * hashing that follows is the expensive, parallel part. Sorting by path
 * gives every mode (serial, threads, processes) the same order for the
 * report, and lets the comparison with the baseline be a merge.
 */
#define _DEFAULT_SOURCE /* dirfd, fdopendir are POSIX 2008; DT_* names */
#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

/* The walk's state: where entries go, and what to do with links. */
struct walk {
    struct tree *t;
    size_t cap;
    bool follow, quiet;
};

static void walk_warn(struct walk *w, const char *path, const char *why)
{
    w->t->skipped++;
    if (!w->quiet)
        (void)fprintf(stderr, "integrity: %s: %s, skipped\n", path, why);
}

static void add_entry(struct walk *w, char *path, char type,
                      const struct stat *st)
{
    struct tree *t = w->t;
    if (t->count == w->cap) {
        w->cap = w->cap == 0 ? 256 : 2 * w->cap;
        struct entry *more = realloc(t->entries, w->cap * sizeof *more);
        if (more == NULL)
            die("realloc");
        t->entries = more;
    }
    t->entries[t->count++] = (struct entry){
        .path = path,
        .type = type,
        .size = (int64_t)st->st_size,
        .mtime_ns =
            (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
    };
    t->bytes += (int64_t)st->st_size;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix);

/* One name found in a directory: list it, walk it, or skip it. The path
 * is handed to the entry (or freed). */
static void walk_name(struct walk *w, int dfd, char *path, const char *name)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
        walk_warn(w, path, strerror(errno)); /* vanished since readdir */
        free(path);
        return;
    }
    if (S_ISLNK(st.st_mode) && w->follow) {
        if (fstatat(dfd, name, &st, 0) == -1 || !S_ISREG(st.st_mode)) {
            walk_warn(w, path, "a link to no regular file");
            free(path);
            return;
        }
    }
    if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
        add_entry(w, path, S_ISREG(st.st_mode) ? ENTRY_FILE : ENTRY_LINK, &st);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        int sub =
            openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub == -1 || walk_dir(w, sub, path) == -1)
            walk_warn(w, path, strerror(errno));
    } else {
        walk_warn(w, path, "not a regular file, link or directory");
    }
    free(path);
}

/* Walk the directory open on dfd (which this takes over and closes);
 * prefix is its path relative to the root ("" for the root). */
static int walk_dir(struct walk *w, int dfd, const char *prefix)
{
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        int saved = errno;
        close(dfd);
        errno = saved;
        return -1;
    }
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        size_t len = strlen(prefix) + strlen(name) + 2;
        char *path = malloc(len);
        if (path == NULL)
            die("malloc");
        (void)snprintf(path, len, "%s%s%s", prefix, *prefix ? "/" : "", name);
        if (strchr(name, '\n') != NULL) {
            walk_warn(w, path, "a newline in the name");
            free(path);
        } else {
            walk_name(w, dirfd(d), path, name);
        }
        errno = 0;
    }
    int saved = errno;
    if (closedir(d) == -1 && saved == 0)
        saved = errno;
    errno = saved;
    return saved == 0 ? 0 : -1;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path,
                  ((const struct entry *)b)->path);
}

int tree_list(const char *root, bool follow, bool quiet, struct tree *t)
{
    *t = (struct tree){.root = strdup(root)};
    if (t->root == NULL)
        die("strdup");
    struct walk w = {.t = t, .follow = follow, .quiet = quiet};
    int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd == -1 || walk_dir(&w, dfd, "") == -1) {
        int saved = errno;
        tree_free(t);
        errno = saved;
        return -1;
    }
    if (t->count > 1)
        qsort(t->entries, t->count, sizeof *t->entries, entry_cmp);
    return 0;
}

void tree_free(struct tree *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->entries[i].path);
    free(t->entries);
    free(t->root);
    *t = (struct tree){0};
}
