/*
 * tree.h - list the files of a directory tree, the checker's work list.
 *
 * tree_list() walks DIR with opendir/readdir and fstatat, without
 * following symbolic links (AT_SYMLINK_NOFOLLOW) unless asked: a link is
 * an entry of its own, whose "content" is the path it points to. Regular
 * files and links are listed; directories are walked; anything else (a
 * FIFO, a socket, a device) is skipped with a warning, since reading it
 * could block forever or never end.
 */
#ifndef INTEGRITY_TREE_H
#define INTEGRITY_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENTRY_FILE 'f' /* a regular file: its digest is of its bytes */
#define ENTRY_LINK 'l' /* a symbolic link: its digest is of its target */

/* One entry of the tree, as listed (before it is read). */
struct entry {
    char *path;       /* relative to the root, '/'-separated */
    char type;        /* ENTRY_FILE or ENTRY_LINK */
    int64_t size;     /* bytes (a link: length of its target) */
    int64_t mtime_ns; /* modification time, ns since the epoch */
};

/* A listed tree: its entries sorted by path (byte order, strcmp). */
struct tree {
    char *root;            /* the directory as given */
    struct entry *entries; /* count of them, sorted by path */
    size_t count;
    int64_t bytes; /* sum of the sizes */
    int skipped;   /* entries skipped with a warning */
};

/* List root into *t. With follow, a link to a regular file is listed as
 * that file (a link to anything else is skipped with a warning). Names
 * with a newline are skipped with a warning (the baseline is one line
 * per entry). Returns 0, or -1 with errno if root itself cannot be read;
 * a subdirectory that cannot be read is warned about and counted in
 * t->skipped. Quiet: no warnings on stderr. */
int tree_list(const char *root, bool follow, bool quiet, struct tree *t);

/* Free what tree_list allocated. */
void tree_free(struct tree *t);

#endif
