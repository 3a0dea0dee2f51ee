/*
 * server.h - the manager's server: one process that owns a store
 * (store.h) and serves its clients over a listening socket.
 *
 * Python:  BaseManager(address=...).get_server().serve_forever()
 * C:       int fd = server_listen_unix(path);  (or server_listen_tcp)
 *          server_serve(fd);                   (until SIGTERM/SIGINT)
 */
#ifndef SERVER_H
#define SERVER_H

#define SERVER_MAX_CLIENTS 256 /* connections at once; more are refused */

/* A listening UNIX-domain socket at path (which must not exist yet).
 * The fd, or -1 with errno. */
int server_listen_unix(const char *path);

/* A listening TCP socket on 127.0.0.1 (loopback only: nothing outside
 * this machine can reach it), port 0 for any free port. The fd, or -1
 * with errno; *bound_port says which port it got. */
int server_listen_tcp(int port, int *bound_port);

/* Block (how = SIG_BLOCK) or unblock (SIG_UNBLOCK) SIGTERM and SIGINT
 * in the calling thread. 0, or -1 with errno. Block them before the server
 * says it is ready (or before forking it): a stop sent in the moment
 * before server_serve() has its handlers in place would otherwise kill the
 * server outright, socket file left behind. server_serve() unblocks them
 * itself once its handlers are set; a blocked signal waits until then. */
int server_stop_signals(int how);

/* Serve clients on listen_fd until SIGTERM or SIGINT arrives; then close
 * every connection and listen_fd, free the store, and return the signal's
 * number. -1 with errno if a call the server cannot go on without fails
 * (a client's own failure never stops the server). Installs handlers for
 * SIGTERM and SIGINT, and sets them back to the default before returning. */
int server_serve(int listen_fd);

#endif
