/*
 * digest.c - one file's digest by blocks, through libcrypto (digest.h).
 *
 * The file is opened with O_NOFOLLOW (a link is hashed as its target's
 * path, never followed unless asked), and looked at with fstat before and
 * after reading: if its size or modification time moved, someone wrote it
 * while we read it, and the digest describes no version of the file.
 */
#define _DEFAULT_SOURCE /* readlinkat, O_NOFOLLOW are POSIX 2008 */
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const EVP_MD *digest_algorithm(const char *name)
{
    if (strcmp(name, "sha256") == 0)
        return EVP_sha256();
    if (strcmp(name, "md5") == 0)
        return EVP_md5();
    return NULL;
}

int digest_fd(int fd, const EVP_MD *md, unsigned char *out, unsigned *len,
              const atomic_int *stop, atomic_ullong *bytes)
{
    /* TODO(14.1): Hash the file by blocks. Make a context with
     * EVP_MD_CTX_new() and start it with EVP_DigestInit_ex(ctx, md, NULL);
     * then loop: read() at most DIGEST_BLOCK bytes into buf (retry on
     * EINTR; 0 means end of file), EVP_DigestUpdate(ctx, buf, n), and
     * atomic_fetch_add_explicit(bytes, n, memory_order_relaxed) for the
     * progress bar. Before each read, give up if atomic_load(stop) is set
     * (errno = ECANCELED): that is what makes Ctrl-C prompt on a huge
     * file. At the end EVP_DigestFinal_ex(ctx, out, len). Every EVP call
     * returns 1 on success: anything else is errno = EIO. Free the context
     * with EVP_MD_CTX_free on EVERY path (ASan reports the leak), and
     * return 0 or -1 with errno set. */
    (void)fd, (void)md, (void)out, (void)len, (void)stop, (void)bytes;
    errno = ENOSYS;
    return -1;
}

/* A link's digest: of the path it points to. */
static void digest_link(int root_fd, const struct entry *e, const EVP_MD *md,
                        struct result *r, atomic_ullong *bytes)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(root_fd, e->path, target, sizeof target);
    if (n == -1) {
        r->state = RESULT_ERROR;
        r->err = errno;
        return;
    }
    if (EVP_Digest(target, (size_t)n, r->digest, &r->digest_len, md, NULL) !=
        1) {
        r->state = RESULT_ERROR;
        r->err = EIO;
        return;
    }
    atomic_fetch_add_explicit(bytes, (unsigned long long)n,
                              memory_order_relaxed);
    r->state = RESULT_OK;
    r->size = (int64_t)n;
    r->mtime_ns = e->mtime_ns;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Hash the open regular file fd into r; before is its fstat. */
static void digest_open_file(int fd, const struct stat *before,
                             const EVP_MD *md, struct result *r,
                             const atomic_int *stop, atomic_ullong *bytes)
{
    struct stat after;
    if (digest_fd(fd, md, r->digest, &r->digest_len, stop, bytes) == -1 ||
        fstat(fd, &after) == -1) {
        r->state = RESULT_ERROR;
        r->err = errno;
        return;
    }
    r->size = (int64_t)after.st_size;
    r->mtime_ns = mtime_ns(&after);
    bool moved =
        after.st_size != before->st_size || r->mtime_ns != mtime_ns(before);
    r->state = moved ? RESULT_UNSTABLE : RESULT_OK;
}

void digest_entry(int root_fd, const struct entry *e, const EVP_MD *md,
                  bool follow, struct result *r, const atomic_int *stop,
                  atomic_ullong *bytes)
{
    if (e->type == ENTRY_LINK) {
        digest_link(root_fd, e, md, r, bytes);
        return;
    }
    int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | (follow ? 0 : O_NOFOLLOW);
    int fd = openat(root_fd, e->path, flags);
    struct stat before;
    if (fd == -1 || fstat(fd, &before) == -1) {
        /* ELOOP: it was replaced by a link since it was listed. */
        r->state = errno == ELOOP ? RESULT_UNSTABLE : RESULT_ERROR;
        r->err = errno;
        if (fd != -1)
            close(fd);
        return;
    }
    if (!S_ISREG(before.st_mode)) {
        /* Replaced since the listing (by a directory, say): not read. */
        r->state = RESULT_UNSTABLE;
    } else {
        digest_open_file(fd, &before, md, r, stop, bytes);
    }
    if (close(fd) == -1 && r->state == RESULT_OK) {
        r->state = RESULT_ERROR;
        r->err = errno;
    }
}

void digest_hex(const unsigned char *digest, unsigned len, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[(size_t)2 * len] = '\0';
}
