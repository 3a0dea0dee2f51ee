/*
 * store.h - what a manager server holds: the dictionary and the list, and
 * the one function that applies a request line to them (the protocol is
 * in mgr.h).
 *
 * Only the server process ever calls these, one request at a time: that is
 * the whole reason every operation is atomic. No other process can see a
 * half-done INCR, because no other process can see the data at all.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>

#include "mgr.h"

#define STORE_DICT_MAX 4096       /* keys; more are refused ("dict full") */
#define STORE_LIST_MAX (1L << 20) /* items; more are refused ("list full") */

struct store_entry {
    char key[MGR_KEY_MAX + 1];
    long value;
};

struct store {
    struct store_entry *dict; /* nkeys used of dict_cap */
    size_t nkeys, dict_cap;
    long *list; /* len used of list_cap */
    size_t len, list_cap;
};

/* An empty dictionary and list. */
void store_init(struct store *s);

/* Free what s holds; s is empty again afterwards. */
void store_destroy(struct store *s);

/* Apply one request (line: without its '\n', NUL-terminated) to s and
 * write its reply line, '\n' included and NUL-terminated, into reply
 * (size >= MGR_LINE_MAX). A bad request changes nothing and gets
 * "ERR reason\n". */
void store_dispatch(struct store *s, const char *line, char *reply,
                    size_t size);

#endif
