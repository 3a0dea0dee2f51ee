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

/* Serve clients on listen_fd until SIGTERM or SIGINT arrives; then close
 * every connection and listen_fd, free the store, and return the signal's
 * number. -1 with errno if a call the server cannot go on without fails
 * (a client's own failure never stops the server). Installs handlers for
 * SIGTERM and SIGINT, and sets them back to the default before returning. */
int server_serve(int listen_fd);

#endif
