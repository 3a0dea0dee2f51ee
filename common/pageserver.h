/*
 * pageserver.h - the kit's loopback "network" for labs 10-13: a server
 * process on 127.0.0.1 that answers each request after the delay the
 * request asks for.
 *
 * The Python course downloads pages from the internet to show I/O-bound
 * work. The kit never touches a public address: a lab starts this server
 * itself, and the delay it is told plays the part of the network. One poll
 * loop serves every connection, so thousands of slow requests can wait at
 * once (the server raises its descriptor limit to the hard limit).
 *
 *     struct pageserver srv;
 *     if (pageserver_start(&srv, 0) == -1)      any free port
 *         die("pageserver_start");
 *     int fd = pageserver_connect(srv.port);
 *     ... write "GET index 200\n", read "OK 1024\n" and 1024 bytes ...
 *     if (pageserver_stop(&srv) == -1)
 *         die("pageserver_stop");
 *
 * Protocol, one request per connection:
 *   request   "GET <name> <delay_ms>\n"   name: 1-64 of [A-Za-z0-9_.!-],
 *                                         delay_ms: 0 to 600000
 *   reply     "OK <len>\n" then len body bytes (pageserver_body), then
 *             the server closes the connection
 *   error     "ERR <reason>\n", then close (a malformed request)
 * Names that make the server misbehave, for tests of failure paths:
 *   "!close"    after the delay, close without a reply
 *   "!garbage"  after the delay, reply with bytes that are not the protocol
 *   "!half"     after the delay, the header and half the body, then close
 *   "!stall"    never reply (only the client's own timeout can help)
 */
#ifndef KIT_PAGESERVER_H
#define KIT_PAGESERVER_H

#include <stddef.h>
#include <sys/types.h>

#define PAGESERVER_BODY_LEN 1024    /* bytes in every page */
#define PAGESERVER_NAME_MAX 64      /* longest page name */
#define PAGESERVER_DELAY_MAX 600000 /* longest delay, in ms */

struct pageserver {
    pid_t pid; /* the server process */
    int port;  /* where it listens on 127.0.0.1 */
};

/* Listen on 127.0.0.1:port (0: any free port, reported in s->port) and
 * fork the server process. Flushes stdout first. The server ends when it
 * gets SIGTERM or SIGINT, or when its parent dies. Returns 0, or -1 with
 * errno set (nothing is left running then). */
int pageserver_start(struct pageserver *s, int port);

/* Send the server SIGTERM and reap it. Returns 0 if it ended cleanly,
 * -1 with errno set if kill or waitpid failed, or -1 with errno EPROTO if
 * it ended any other way (crashed, or an error of its own). */
int pageserver_stop(struct pageserver *s);

/* The server's loop on a listening socket: for a program that is the
 * server. Runs until SIGTERM or SIGINT, then closes every connection and
 * returns 0; returns -1 with errno set if poll or accept fail for another
 * reason than a full descriptor table. */
int pageserver_serve(int listen_fd);

/* A blocking TCP connection to 127.0.0.1:port: the descriptor, or -1 with
 * errno set. */
int pageserver_connect(int port);

/* Fill buf with the body of page name: the name, repeated (len bytes; no
 * terminating NUL). A client checks what it received against this. */
void pageserver_body(const char *name, char *buf, size_t len);

#endif
