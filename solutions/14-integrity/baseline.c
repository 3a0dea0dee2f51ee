/*
 * baseline.c - write, load and compare baselines (baseline.h).
 *
 * The write is the classic atomic replacement: readers of the baseline
 * (and a Ctrl-C at any moment) see either the whole old file or the whole
 * new one, because rename() within one file system swaps the name in one
 * step, and the data reached the disk (fsync) before the name did.
 */
#define _DEFAULT_SOURCE /* mkstemp is XSI */
#include "baseline.h"

#include "errors.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER "# integrity baseline 1\n"
#define LINE_MAX_LEN (PATH_MAX + 256)

/* Print the records of every entry hashed well; 0 or -1 (errno). */
static int write_records(FILE *f, const char *root, const char *algorithm,
                         const struct tree *t, const struct scan_shared *sh)
{
    size_t written = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    if (fprintf(f, HEADER "# root %s\n# algorithm %s\n", root, algorithm) < 0)
        return -1;
    for (size_t i = 0; i < t->count; i++) {
        const struct result *r = &sh->results[i];
        if (r->state != RESULT_OK)
            continue;
        digest_hex(r->digest, r->digest_len, hex);
        if (fprintf(f, "%c %" PRId64 " %" PRId64 " %s %s\n", t->entries[i].type,
                    r->size, r->mtime_ns, hex, t->entries[i].path) < 0)
            return -1;
        written++;
    }
    return fprintf(f, "# end %zu\n", written) < 0 ? -1 : 0;
}

int baseline_write(const char *file, const char *root, const char *algorithm,
                   const struct tree *t, const struct scan_shared *sh,
                   const atomic_int *stop)
{
    /* TODO(14.4): Replace file atomically. Make a temporary file beside it
     * (same directory, so the same file system: rename cannot cross one):
     * name it "<file>.tmp-XXXXXX" and let mkstemp() fill in the X's and
     * open it. fdopen() it, write_records(), then fflush(), fsync() (the
     * data on disk before the name) and fclose(). If anything failed, or
     * atomic_load(stop) says Ctrl-C came, unlink() the temporary file and
     * return -1 with errno (ECANCELED for Ctrl-C) - file is untouched.
     * Else rename(tmp, file): the one step that switches old for new. */
    /* BEGIN SOLUTION */
    size_t len = strlen(file) + sizeof ".tmp-XXXXXX";
    char *tmp = malloc(len);
    if (tmp == NULL)
        return -1;
    (void)snprintf(tmp, len, "%s.tmp-XXXXXX", file);
    int fd = mkstemp(tmp);
    if (fd == -1) {
        free(tmp);
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    int err = 0;
    if (f == NULL) {
        err = errno;
        close(fd);
    } else {
        if (write_records(f, root, algorithm, t, sh) == -1 ||
            fflush(f) == EOF || fsync(fd) == -1)
            err = errno;
        if (fclose(f) == EOF && err == 0)
            err = errno;
    }
    if (err == 0 && atomic_load(stop))
        err = ECANCELED;
    if (err == 0 && rename(tmp, file) == -1)
        err = errno;
    if (err != 0)
        unlink(tmp);
    free(tmp);
    errno = err;
    return err == 0 ? 0 : -1;
    /* END SOLUTION */
    /* STARTER
    (void)file, (void)root, (void)algorithm, (void)t, (void)sh, (void)stop;
    (void)write_records;
    errno = ENOSYS;
    return -1;
    STARTER */
}

/* Parse hex (2 * len digits, nothing else) into out. */
static bool parse_hex(const char *hex, size_t len, unsigned char *out)
{
    for (size_t i = 0; i < (size_t)2 * len; i++) {
        const char *d = strchr("0123456789abcdef", hex[i]);
        if (hex[i] == '\0' || d == NULL)
            return false;
        unsigned v = (unsigned)(d - "0123456789abcdef");
        out[i / 2] = (unsigned char)(i % 2 == 0 ? v << 4 : out[i / 2] | v);
    }
    return hex[(size_t)2 * len] == ' ';
}

/* A whole number of digits at *s, then one space; moves *s past them. */
static bool parse_number(const char **s, int64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)**s))
        return false;
    errno = 0;
    long long v = strtoll(*s, &end, 10);
    if (errno != 0 || *end != ' ')
        return false;
    *out = (int64_t)v;
    *s = end + 1;
    return true;
}

/* Parse one record line (NUL-ended copy in line; at points to it in the
 * map); false if it is no record. */
static bool parse_record(const char *line, const char *at, unsigned md_len,
                         struct record *rec)
{
    const char *s = line + 2;
    if ((line[0] != ENTRY_FILE && line[0] != ENTRY_LINK) || line[1] != ' ' ||
        !parse_number(&s, &rec->size) || !parse_number(&s, &rec->mtime_ns) ||
        !parse_hex(s, md_len, rec->digest))
        return false;
    rec->type = line[0];
    rec->digest_len = md_len;
    size_t path_at = (size_t)(s - line) + (size_t)2 * md_len + 1;
    rec->path = at + path_at;
    rec->path_len = strlen(line) - path_at;
    return rec->path_len > 0;
}

/* The last line, "# end N"; false if line is not that. */
static bool parse_end(const char *line, size_t *end)
{
    char *stop;
    if (strncmp(line, "# end ", 6) != 0 || !isdigit((unsigned char)line[6]))
        return false;
    errno = 0;
    unsigned long long v = strtoull(line + 6, &stop, 10);
    if (errno != 0 || *stop != '\0')
        return false;
    *end = (size_t)v;
    return true;
}

/* Byte order of two paths of given lengths, like strcmp. */
static int path_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* The header's three lines; 0, or -2 with why. */
static int parse_header(struct baseline *b, char lines[3][LINE_MAX_LEN],
                        char *why, size_t why_len)
{
    if (strcmp(lines[0], "# integrity baseline 1") != 0 ||
        strncmp(lines[1], "# root /", 8) != 0 ||
        sscanf(lines[2], "# algorithm %15s", b->algorithm) != 1 ||
        digest_algorithm(b->algorithm) == NULL) {
        (void)snprintf(why, why_len, "no baseline header (line 1 to 3)");
        return -2;
    }
    (void)snprintf(b->root, sizeof b->root, "%s", lines[1] + 7);
    return 0;
}

/* Copy the line at *pos (up to '\n') into line; false at the end or if
 * the line has no '\n' or is too long. */
static bool next_line(const struct baseline *b, size_t *pos, char *line,
                      const char **at)
{
    if (*pos >= b->map_len)
        return false;
    const char *start = b->map + *pos;
    const char *nl = memchr(start, '\n', b->map_len - *pos);
    if (nl == NULL || nl - start >= LINE_MAX_LEN ||
        memchr(start, '\0', (size_t)(nl - start)) != NULL)
        return false;
    memcpy(line, start, (size_t)(nl - start));
    line[nl - start] = '\0';
    *at = start;
    *pos += (size_t)(nl - start) + 1;
    return true;
}

/* Parse the records after the header, up to "# end N"; 0 or -2. */
static int parse_records(struct baseline *b, size_t pos, char *why,
                         size_t why_len)
{
    static char line[LINE_MAX_LEN];
    const char *at;
    size_t cap = 0, lineno = 3, end = SIZE_MAX;
    unsigned md_len = (unsigned)EVP_MD_get_size(digest_algorithm(b->algorithm));
    while (end == SIZE_MAX && next_line(b, &pos, line, &at)) {
        lineno++;
        if (parse_end(line, &end))
            break;
        if (b->count == cap) {
            cap = cap == 0 ? 1024 : 2 * cap;
            struct record *more = realloc(b->records, cap * sizeof *more);
            if (more == NULL)
                die("realloc");
            b->records = more;
        }
        struct record *rec = &b->records[b->count];
        const struct record *prev = b->count > 0 ? rec - 1 : NULL;
        if (!parse_record(line, at, md_len, rec) ||
            (prev != NULL && path_cmp(prev->path, prev->path_len, rec->path,
                                      rec->path_len) >= 0)) {
            (void)snprintf(why, why_len, "line %zu is no record in order",
                           lineno);
            return -2;
        }
        b->count++;
    }
    if (end != b->count || pos != b->map_len) {
        (void)snprintf(why, why_len,
                       "truncated or extended after line %zu (no "
                       "'# end %zu' as its last line)",
                       lineno, b->count);
        return -2;
    }
    return 0;
}

int baseline_load(const char *file, struct baseline *b, char *why,
                  size_t why_len)
{
    *b = (struct baseline){0};
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd == -1)
        return -1;
    if (fstat(fd, &st) == -1 || st.st_size == 0) {
        int saved = st.st_size == 0 ? 0 : errno;
        close(fd);
        errno = saved;
        (void)snprintf(why, why_len, "empty file");
        return saved == 0 ? -2 : -1;
    }
    /* Read-only and shared: the page cache's pages themselves, never
     * copied, never writable by the checker (a stray write is SIGSEGV). */
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    int saved = errno;
    if (close(fd) == -1 || map == MAP_FAILED) {
        errno = map == MAP_FAILED ? saved : errno;
        return -1;
    }
    b->map = map;
    b->map_len = (size_t)st.st_size;
    char head[3][LINE_MAX_LEN];
    const char *at;
    size_t pos = 0;
    for (int i = 0; i < 3; i++) {
        if (!next_line(b, &pos, head[i], &at)) {
            (void)snprintf(why, why_len, "no baseline header (line %d)", i + 1);
            return -2;
        }
    }
    if (parse_header(b, head, why, why_len) == -2)
        return -2;
    return parse_records(b, pos, why, why_len);
}

void baseline_free(struct baseline *b)
{
    if (b->map != NULL && munmap((void *)b->map, b->map_len) == -1)
        die("munmap");
    free(b->records);
    *b = (struct baseline){0};
}

const char *baseline_result_why(const struct result *r)
{
    switch (r->state) {
    case RESULT_NONE:
        return "not hashed";
    case RESULT_UNSTABLE:
        return "changed while it was read";
    case RESULT_ERROR:
        return r->err == ENOENT ? "vanished during the scan" : strerror(r->err);
    default:
        return "read";
    }
}

/* Whether entry e, hashed into r, differs from record rec. */
static bool differs(const struct record *rec, const struct entry *e,
                    const struct result *r)
{
    return rec->type != e->type || rec->size != r->size ||
           rec->digest_len != r->digest_len ||
           memcmp(rec->digest, r->digest, r->digest_len) != 0;
}

void baseline_compare(const struct baseline *b, const struct tree *t,
                      const struct scan_shared *sh, FILE *out,
                      struct report_counts *n)
{
    *n = (struct report_counts){0};
    /* TODO(14.3): Compare by merging two lists sorted by path: i walks
     * b->records, j walks t->entries. While either has items left, let
     * c = path_cmp(record i's path, path_len, entry j's path, its strlen)
     * (a list that is finished counts as "bigger": c = 1 when i is at
     * b->count, -1 when j is at t->count). c < 0: record i is
     * gone from the tree: "deleted PATH" (print a record's path with
     * "%.*s", (int)path_len, path), i++. c > 0: entry j is "new PATH",
     * j++. c == 0: the same path in both: if sh->results[j].state is not
     * RESULT_OK print "unreadable PATH (WHY)" with baseline_result_why;
     * else if differs() print "changed PATH"; then i++, j++. Count each
     * line in *n. A file touched but unchanged (same digest) is NOT
     * reported. */
    /* BEGIN SOLUTION */
    size_t i = 0, j = 0;
    while (i < b->count || j < t->count) {
        /* A finished list compares as "bigger" than any path. */
        int c = i == b->count ? 1
                : j == t->count
                    ? -1
                    : path_cmp(b->records[i].path, b->records[i].path_len,
                               t->entries[j].path, strlen(t->entries[j].path));
        if (c < 0) {
            const struct record *gone = &b->records[i++];
            (void)fprintf(out, "deleted %.*s\n", (int)gone->path_len,
                          gone->path);
            n->deleted++;
            continue;
        }
        const struct entry *e = &t->entries[j];
        if (c > 0) {
            (void)fprintf(out, "new %s\n", e->path);
            n->added++, j++;
            continue;
        }
        const struct record *rec = &b->records[i];
        const struct result *r = &sh->results[j];
        if (r->state != RESULT_OK) {
            (void)fprintf(out, "unreadable %s (%s)\n", e->path,
                          baseline_result_why(r));
            n->unreadable++;
        } else if (differs(rec, e, r)) {
            (void)fprintf(out, "changed %s\n", e->path);
            n->changed++;
        }
        i++, j++;
    }
    /* END SOLUTION */
    /* STARTER
    (void)b, (void)t, (void)sh, (void)out, (void)path_cmp, (void)differs;
    STARTER */
}
