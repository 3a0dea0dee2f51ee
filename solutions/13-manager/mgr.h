/*
 * mgr.h - the client side of the manager: a dictionary (string keys, long
 * values) and a list of longs that live in a server process, reached from
 * any process through a connection.
 *
 * Python:  m = Manager(); d = m.dict(); l = m.list()
 *          d["hits"] += 1  (two messages, and a lost update: see the handout)
 * C:       struct mgr *m = mgr_connect("unix:/tmp/manager.x/socket");
 *          mgr_dict_incr(m, "hits", 1, &now);   (one message, atomic)
 *          mgr_close(m);
 *
 * THE PROTOCOL (one line per request, one line per reply, in order)
 *
 *     request                 reply on success
 *     GET key                 OK value        (ERR no such key)
 *     SET key value           OK value
 *     INCR key delta          OK new value    (a missing key counts as 0)
 *     APPEND value            OK new length of the list
 *     LEN                     OK length
 *     ITEM index              OK value        (ERR index out of range)
 *
 * Words are separated by one space; a line ends with '\n' and is at most
 * MGR_LINE_MAX bytes with it; a key is 1 to MGR_KEY_MAX characters from
 * [A-Za-z0-9_.-]; numbers are decimal longs. Any failure is answered
 * "ERR reason\n" and the connection stays usable, except after a line that
 * is too long (the server cannot tell where the next one starts): it
 * answers "ERR line too long" and closes. Plain text, so that you can talk
 * to a server by hand: `nc -U /tmp/manager.x/socket`, then type LEN.
 *
 * Every function returns 0 on success, or -1 with errno set:
 *   ENOENT        GET of a key that is not there
 *   ERANGE        ITEM outside the list, or INCR past LONG_MAX
 *   EINVAL        a key the protocol cannot carry (checked before sending)
 *   ECONNRESET    the server closed the connection (it died, or stopped)
 *   EPROTO        the server answered something that is not the protocol,
 *                 or another ERR
 *   anything a failed send() or read() reports.
 * After an error other than ENOENT, ERANGE and EINVAL the connection is
 * unusable: mgr_close() it.
 */
#ifndef MGR_H
#define MGR_H

#include <stddef.h>

#define MGR_LINE_MAX 128 /* bytes in a request or reply line, '\n' included */
#define MGR_KEY_MAX 64   /* characters in a key */

struct mgr; /* one connection to a manager server */

/* Connect to "unix:PATH" or "tcp:HOST:PORT" (HOST a numeric IPv4
 * address). NULL with errno set (EINVAL for an address it cannot read). */
struct mgr *mgr_connect(const char *address);

/* Send one request line (without its '\n') and wait for its reply: 0 and
 * the reply's number in *value (may be NULL), or -1 with errno as above.
 * The functions below are this, with the line written for you. */
int mgr_request(struct mgr *m, const char *request, long *value);

int mgr_dict_get(struct mgr *m, const char *key, long *value);
int mgr_dict_set(struct mgr *m, const char *key, long value);
/* Add delta to key's value (0 if missing), atomically; *value: the sum. */
int mgr_dict_incr(struct mgr *m, const char *key, long delta, long *value);
/* Append value to the list; *len (may be NULL): the list's new length. */
int mgr_list_append(struct mgr *m, long value, long *len);
int mgr_list_len(struct mgr *m, long *len);
int mgr_list_get(struct mgr *m, long index, long *value);

/* Close the connection and free m (NULL is allowed). 0, or -1 with errno. */
int mgr_close(struct mgr *m);

#endif
