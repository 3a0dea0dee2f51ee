/*
 * manager.c - the manager server as a program of its own: a dictionary
 * and a list, served to any process that connects.
 *
 * Python:  class M(BaseManager): pass
 *          M(address=("127.0.0.1", 50000)).get_server().serve_forever()
 * C:       server_listen_unix / server_listen_tcp, then server_serve
 *          (server.h), until SIGTERM or Ctrl-C.
 *
 * Usage:   manager [-u path | -t port]   (-h: this usage)
 *          (neither)  a UNIX-domain socket in a new private directory
 *          -u path    a UNIX-domain socket at path (must not exist yet)
 *          -t port    TCP on 127.0.0.1 only; 0 = any free port
 *
 * It prints "manager: pid P, serving on ADDRESS" (the address clients give
 * to mgr_connect), then serves until SIGTERM or SIGINT; then it removes
 * its socket file (and the directory it made), and exits 0.
 *
 * Try:     manager &      then, with the address it printed:
 *          nc -U /tmp/manager.XXXXXX/socket      and type: INCR hits 5
 *          manager -t 0 & nc 127.0.0.1 PORT      (the same, over TCP)
 *          kill %1        (the socket file is gone afterwards)
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "server.h"

#define USAGE "[-u path | -t port]"

struct options {
    const char *path; /* -u; NULL: a new private directory */
    long port;        /* -t; -1: UNIX-domain */
};

/* What must go when the program ends, however it ends (atexit). */
static char socket_path[104]; /* a socket path fits in sockaddr_un (108) */
static char made_dir[96];

static void remove_socket(void)
{
    if (socket_path[0] != '\0' && unlink(socket_path) == -1)
        warn_errno(socket_path);
    if (made_dir[0] != '\0' && rmdir(made_dir) == -1)
        warn_errno(made_dir);
    socket_path[0] = made_dir[0] = '\0';
}

static struct options parse_options(int argc, char *argv[])
{
    struct options o = {.path = NULL, .port = -1};
    int opt;
    while ((opt = getopt(argc, argv, "u:t:")) != -1) {
        switch (opt) {
        case 'u':
            o.path = optarg;
            break;
        case 't':
            o.port = arg_long(optarg, 0, 65535, "port", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind < argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    if (o.path != NULL && o.port != -1)
        die_usage(USAGE, "-u and -t: choose one");
    if (o.path != NULL && (o.path[0] == '\0' || strlen(o.path) >= 100))
        die_usage(USAGE, "-u: a path of 1 to 99 characters");
    return o;
}

/* Listen where the options say; print the address. The listening fd. */
static int open_listener(const struct options *o)
{
    if (o->port != -1) {
        int port;
        int fd = server_listen_tcp((int)o->port, &port);
        if (fd == -1)
            die("listen on 127.0.0.1");
        printf("manager: pid %ld, serving on tcp:127.0.0.1:%d\n",
               (long)getpid(), port);
        return fd;
    }
    if (o->path == NULL) {
        const char *tmp = getenv("TMPDIR");
        int n = snprintf(made_dir, sizeof made_dir, "%s/manager.XXXXXX",
                         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
        if (n < 0 || (size_t)n >= sizeof made_dir) {
            made_dir[0] = '\0';
            die_msg("TMPDIR is too long for a socket path");
        }
        if (mkdtemp(made_dir) == NULL) {
            made_dir[0] = '\0';
            die("mkdtemp");
        }
    }
    (void)snprintf(socket_path, sizeof socket_path, "%s%s",
                   o->path != NULL ? o->path : made_dir,
                   o->path != NULL ? "" : "/socket");
    int fd = server_listen_unix(socket_path);
    if (fd == -1) {
        int saved = errno;
        socket_path[0] = '\0'; /* not ours: it may be someone else's */
        errno = saved;
        die(o->path != NULL ? o->path : "listen");
    }
    printf("manager: pid %ld, serving on unix:%s\n", (long)getpid(),
           socket_path);
    return fd;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct options o = parse_options(argc, argv);
    if (atexit(remove_socket) != 0)
        die_msg("atexit failed");
    if (server_stop_signals(SIG_BLOCK) == -1) /* until serving: server.h */
        die("sigprocmask");
    int fd = open_listener(&o);
    if (fflush(stdout) == EOF) /* whoever started us waits for that line */
        die("fflush");

    int sig = server_serve(fd);
    if (sig == -1)
        die("server");
    char was[sizeof socket_path];
    (void)snprintf(was, sizeof was, "%s", socket_path);
    remove_socket();
    printf("manager: %s: stopped%s%s\n", strsignal(sig),
           was[0] != '\0' ? ", removed " : "", was);
    return EXIT_SUCCESS;
}
