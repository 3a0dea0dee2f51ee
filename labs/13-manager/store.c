/*
 * store.c - the manager's data and the dispatch of one request (store.h).
 *
 * The dictionary is an array searched from the start: a lab's few keys do
 * not need a hash table, and the cost of one request is dominated by the
 * two messages around it anyway (the handout measures them). Both arrays
 * grow by doubling, up to a cap, so that a client that floods SETs or
 * APPENDs gets "ERR ... full" instead of eating the server's memory.
 */
#include "store.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

#define MAX_WORDS 3 /* the longest request: VERB key number */

void store_init(struct store *s)
{
    *s = (struct store){0};
}

void store_destroy(struct store *s)
{
    free(s->dict);
    free(s->list);
    store_init(s);
}

/* A key the protocol can carry: 1..MGR_KEY_MAX of [A-Za-z0-9_.-]. */
static bool key_ok(const char *key)
{
    size_t n = strlen(key);
    return n >= 1 && n <= MGR_KEY_MAX &&
           strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789_.-") == n;
}

/* The entry for key, or NULL; with create, a new entry (value 0) when it
 * is missing (NULL if the dictionary is full or memory ran out). */
static struct store_entry *find(struct store *s, const char *key, bool create)
{
    for (size_t i = 0; i < s->nkeys; i++)
        if (strcmp(s->dict[i].key, key) == 0)
            return &s->dict[i];
    if (!create || s->nkeys == STORE_DICT_MAX)
        return NULL;
    if (s->nkeys == s->dict_cap) {
        size_t cap = s->dict_cap == 0 ? 16 : 2 * s->dict_cap;
        struct store_entry *d = realloc(s->dict, cap * sizeof *d);
        if (d == NULL)
            return NULL;
        s->dict = d;
        s->dict_cap = cap;
    }
    struct store_entry *e = &s->dict[s->nkeys++];
    (void)snprintf(e->key, sizeof e->key, "%s", key);
    e->value = 0;
    return e;
}

/* Split line into at most MAX_WORDS words separated by single spaces, in
 * buf; the number of words, or -1 if there are more or a word is empty. */
static int split(const char *line, char *buf, size_t size,
                 char *words[MAX_WORDS])
{
    if (snprintf(buf, size, "%s", line) >= (int)size)
        return -1;
    int n = 0;
    for (char *p = buf;; p++) {
        char *space = strchr(p, ' ');
        if (n == MAX_WORDS || *p == '\0' || *p == ' ')
            return -1; /* too many words, or an empty one */
        words[n++] = p;
        if (space == NULL)
            return n;
        *space = '\0';
        p = space;
    }
}

/* A whole decimal long, nothing around it. */
static bool number(const char *s, long *out)
{
    return args_parse_long(s, LONG_MIN, LONG_MAX, out) == ARGS_OK;
}

/* The requests themselves: NULL and *result on success, else the reason. */
static const char *do_incr(struct store *s, const char *key, long delta,
                           long *result)
{
    struct store_entry *e = find(s, key, true);
    if (e == NULL)
        return "dict full";
    if ((delta > 0 && e->value > LONG_MAX - delta) ||
        (delta < 0 && e->value < LONG_MIN - delta))
        return "out of range";
    e->value += delta;
    *result = e->value;
    return NULL;
}

static const char *do_append(struct store *s, long value, long *result)
{
    if (s->len == (size_t)STORE_LIST_MAX)
        return "list full";
    if (s->len == s->list_cap) {
        size_t cap = s->list_cap == 0 ? 64 : 2 * s->list_cap;
        long *l = realloc(s->list, cap * sizeof *l);
        if (l == NULL)
            return "out of memory";
        s->list = l;
        s->list_cap = cap;
    }
    s->list[s->len++] = value;
    *result = (long)s->len;
    return NULL;
}

/* One request with its words split: NULL and *result, or the reason. */
static const char *apply(struct store *s, char *const w[], int n, long *result)
{
    long x;
    /* TODO(13.3): Look at the verb w[0] and the number of words n, and do
     * the request (the table is in mgr.h):
     *   GET key         find(s, key, false); missing: "no such key"
     *   SET key value   find(s, key, true) (NULL: "dict full"), store it
     *   INCR key delta  do_incr()      APPEND value  do_append()
     *   LEN             s->len         ITEM index    s->list[index], or
     *                                  "index out of range" unless
     *                                  0 <= index < len
     * Every key must pass key_ok() and every number number(); anything
     * else (a wrong word count, a bad key or number) is "bad request", an
     * unknown verb "unknown command". Put the answer in *result.
     * Hint: a bad request must change nothing. Nothing here needs a lock:
     * only the server's one thread ever runs this, one request at a time. */
    (void)s;
    (void)w;
    (void)n;
    (void)result;
    (void)x;
    (void)find;
    (void)key_ok;
    (void)number;
    (void)do_incr;
    (void)do_append;
    return "unknown command";
}

void store_dispatch(struct store *s, const char *line, char *reply, size_t size)
{
    char buf[MGR_LINE_MAX];
    char *words[MAX_WORDS];
    int n = split(line, buf, sizeof buf, words);
    long result = 0;
    const char *err = n < 1 ? "bad request" : apply(s, words, n, &result);
    if (err != NULL)
        (void)snprintf(reply, size, "ERR %s\n", err);
    else
        (void)snprintf(reply, size, "OK %ld\n", result);
}
