/*
 * digest.h - the digest of one file, read in blocks through OpenSSL's EVP
 * interface (libcrypto): MD5 as in the seed's checker, SHA-256 by default.
 *
 * Python:  hashlib.sha256(); for block in iter(lambda: f.read(65536), b""):
 *          h.update(block); h.hexdigest()
 * C:       EVP_MD_CTX_new, EVP_DigestInit_ex(ctx, EVP_sha256(), NULL),
 *          EVP_DigestUpdate per block read, EVP_DigestFinal_ex,
 *          EVP_MD_CTX_free. Memory does not grow with the file: one block.
 */
#ifndef INTEGRITY_DIGEST_H
#define INTEGRITY_DIGEST_H

#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tree.h"

#define DIGEST_BLOCK (64 * 1024) /* bytes per read() and EVP_DigestUpdate */

/* What hashing one entry found. For the process workers these live in
 * shared memory: each is written by the one worker that took the entry,
 * and read by the parent only after it reaped every worker. */
enum result_state {
    RESULT_NONE = 0, /* not hashed (interrupted, or never handed out) */
    RESULT_OK,       /* digest, size and mtime_ns are valid */
    RESULT_ERROR,    /* could not be read: err says why */
    RESULT_UNSTABLE, /* it changed while it was being read */
};

struct result {
    int state;              /* enum result_state */
    int err;                /* errno, for RESULT_ERROR */
    int worker;             /* the worker that hashed it, 0.. */
    int64_t turn;           /* its place in the hand-out, 0.. */
    int64_t size, mtime_ns; /* as read (fstat after hashing) */
    unsigned digest_len;    /* bytes of digest used */
    unsigned char digest[EVP_MAX_MD_SIZE];
};

/* The algorithm called name ("sha256" or "md5"), or NULL. */
const EVP_MD *digest_algorithm(const char *name);

/* Hash everything fd reads, to end of file, with md, DIGEST_BLOCK bytes
 * at a time; put the digest in out (EVP_MAX_MD_SIZE bytes) and its length
 * in *len. Adds the length of every block read to *bytes (the progress
 * counter) and gives up, with errno ECANCELED, as soon as *stop is set.
 * Returns 0, or -1 with errno (read's, ECANCELED, or EIO if libcrypto
 * failed). */
int digest_fd(int fd, const EVP_MD *md, unsigned char *out, unsigned *len,
              const atomic_int *stop, atomic_ullong *bytes);

/* Hash entry e of the tree open on root_fd into *r (state, err, size,
 * mtime_ns, digest); with follow, a file may be reached through a link.
 * Never fails: what went wrong is in r->state and r->err. */
void digest_entry(int root_fd, const struct entry *e, const EVP_MD *md,
                  bool follow, struct result *r, const atomic_int *stop,
                  atomic_ullong *bytes);

/* Write the digest as lowercase hex into hex (2 * len + 1 bytes). */
void digest_hex(const unsigned char *digest, unsigned len, char *hex);

#endif
