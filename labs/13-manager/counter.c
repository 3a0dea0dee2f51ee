/*
 * counter.c - the Manager demo: N client processes add to one shared
 * counter and one shared list, held by a server process; every update
 * counts, because only the server touches the data.
 *
 * Python:  with Manager() as m:
 *              d = m.dict(); l = m.list()
 *              ps = [Process(target=work, args=(d, l, i)) for i in range(n)]
 *              ... start, join ...   print(d["hits"], len(l))
 * C:       fork a server (server_serve), fork N clients (mgr_connect,
 *          mgr_dict_incr, mgr_list_append), waitpid them all, check the
 *          totals, then SIGTERM the server and waitpid it.
 *
 * Usage:   counter [-n clients] [-k incrs] [-t] [-p port] [-b] [-r runs]
 *          -n clients  client processes, 1..64 (default 4)
 *          -k incrs    INCR hits 1 (and APPEND) per client (default 1000)
 *          -t          TCP on 127.0.0.1 instead of a UNIX-domain socket
 *          -p port     with -t: that port (default 0: any free port)
 *          -b          benchmark: the cost of one increment through the
 *                      manager (both transports) against a mutex-protected
 *                      counter in shared memory (lab 05's idea); -k is then
 *                      the increments per timed run, -r the runs
 *
 * Observe: hits is exactly clients x incrs, and the list holds each
 *          client's number incrs times, whatever the interleaving.
 * Try:     counter -n 16 -k 5000 -t      counter -b      counter -b -k 100000
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "errors.h"
#include "mgr.h"
#include "server.h"
#include "status.h"

#define USAGE "[-n clients] [-k incrs] [-t] [-p port] [-b] [-r runs]"
#define MAX_CLIENTS 64
#define KEY "hits"

struct options {
    long clients, incrs, port, runs;
    bool tcp, bench;
};

/* The server process and where it listens. */
struct server_proc {
    pid_t pid; /* -1: not running */
    char address[128];
    char dir[96];   /* the private directory of a UNIX socket, or "" */
    char path[104]; /* a socket's path must fit in sockaddr_un (108) */
};

static struct server_proc *running; /* for the atexit clean-up */

static struct options parse_options(int argc, char *argv[])
{
    struct options o = {.clients = 4, .incrs = 1000, .port = -1, .runs = 5};
    int opt;
    while ((opt = getopt(argc, argv, "n:k:tp:br:")) != -1) {
        switch (opt) {
        case 'n':
            o.clients = arg_long(optarg, 1, MAX_CLIENTS, "clients", USAGE);
            break;
        case 'k':
            o.incrs = arg_long(optarg, 1, 1000000, "incrs", USAGE);
            break;
        case 't':
            o.tcp = true;
            break;
        case 'p':
            o.port = arg_long(optarg, 0, 65535, "port", USAGE);
            break;
        case 'b':
            o.bench = true;
            break;
        case 'r':
            o.runs = arg_long(optarg, 1, 100, "runs", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind < argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    if (o.port != -1 && (!o.tcp || o.bench))
        die_usage(USAGE, "-p goes with -t (and not with -b)");
    return o;
}

/* Remove the socket file and its directory (idempotent). */
static void remove_socket(struct server_proc *s)
{
    if (s->path[0] != '\0' && unlink(s->path) == -1 && errno != ENOENT)
        warn_errno(s->path);
    if (s->dir[0] != '\0' && rmdir(s->dir) == -1)
        warn_errno(s->dir);
    s->path[0] = s->dir[0] = '\0';
}

/* Stop the server (SIGTERM, then waitpid) and remove its socket. Returns
 * its wait status, or -1 if it was not running. */
static int stop_server(struct server_proc *s)
{
    int status = -1;
    if (s->pid > 0) {
        if (kill(s->pid, SIGTERM) == -1 && errno != ESRCH)
            die("kill");
        while (waitpid(s->pid, &status, 0) == -1)
            if (errno != EINTR)
                die("waitpid");
        s->pid = -1;
    }
    remove_socket(s);
    return status;
}

/* atexit: a die() anywhere in the parent still stops the server and
 * removes the socket (children end with _exit and never run this). */
static void clean_up(void)
{
    if (running != NULL)
        (void)stop_server(running);
}

/* Listen (in the parent, so that clients can connect as soon as they
 * start: the kernel queues them until the server accepts). The fd. */
static int listen_socket(struct server_proc *s, bool tcp, long port)
{
    int fd;
    if (tcp) {
        int bound;
        if ((fd = server_listen_tcp((int)port, &bound)) == -1)
            die("listen on 127.0.0.1");
        (void)snprintf(s->address, sizeof s->address, "tcp:127.0.0.1:%d",
                       bound);
        return fd;
    }
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(s->dir, sizeof s->dir, "%s/counter.XXXXXX",
                     tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof s->dir) {
        s->dir[0] = '\0';
        die_msg("TMPDIR is too long for a socket path");
    }
    if (mkdtemp(s->dir) == NULL) {
        s->dir[0] = '\0';
        die("mkdtemp");
    }
    (void)snprintf(s->path, sizeof s->path, "%s/socket", s->dir);
    if ((fd = server_listen_unix(s->path)) == -1)
        die(s->path);
    (void)snprintf(s->address, sizeof s->address, "unix:%s", s->path);
    return fd;
}

/* Fork the server process. */
static void start_server(struct server_proc *s, bool tcp, long port)
{
    *s = (struct server_proc){.pid = -1};
    running = s;
    int fd = listen_socket(s, tcp, port);
    if (fflush(stdout) == EOF)
        die("fflush");
    /* The child starts with SIGTERM blocked; server_serve() unblocks it
     * once its handler is set (server.h), so an early stop is not lost. */
    if (server_stop_signals(SIG_BLOCK) == -1)
        die("sigprocmask");
    if ((s->pid = fork()) == -1)
        die("fork");
    if (s->pid == 0) {
        running = NULL;
        if (server_serve(fd) == -1)
            die_child("server");
        _exit(EXIT_SUCCESS);
    }
    if (server_stop_signals(SIG_UNBLOCK) == -1)
        die("sigprocmask");
    if (close(fd) == -1)
        die("close");
}

/* What client number i does: incrs x (INCR hits 1, APPEND i). Never
 * returns; exit status 1 with a message if the manager fails it. */
static _Noreturn void client_main(int i, const char *address, long incrs)
{
    struct mgr *m = mgr_connect(address);
    if (m == NULL)
        die_child_msg("client %d: connect %s: %s", i, address, strerror(errno));
    long now = 0;
    for (long k = 0; k < incrs; k++) {
        if (mgr_dict_incr(m, KEY, 1, &now) == -1)
            die_child_msg("client %d: INCR " KEY ": %s", i, strerror(errno));
        if (mgr_list_append(m, i, NULL) == -1)
            die_child_msg("client %d: APPEND: %s", i, strerror(errno));
    }
    if (mgr_close(m) == -1)
        die_child("close");
    printf("client %d (pid %ld): done, its last INCR returned %ld\n", i,
           (long)getpid(), now);
    if (fflush(stdout) == EOF)
        die_child("fflush");
    _exit(EXIT_SUCCESS);
}

/* Start the clients; their pids in pids[]. */
static void start_clients(const struct options *o, const char *address,
                          pid_t pids[])
{
    /* TODO(13.5): For i = 0 .. o->clients - 1: fflush(stdout) (or the
     * children print a copy of the parent's buffer), fork(); the child
     * calls client_main(i, address, o->incrs), which never returns; the
     * parent keeps the pid in pids[i]. die("fork") on failure.
     * Hint: start them all before waiting for any, or they run one after
     * another and nothing is shared at the same time. */
    (void)o;
    (void)address;
    (void)pids;
    (void)client_main;
}

/* Wait for every client; say how each that failed ended. How many did. */
static int reap_clients(const struct options *o, const pid_t pids[])
{
    int failed = 0;
    /* TODO(13.6): waitpid() every pids[i] (restart after EINTR; any other
     * failure: die("waitpid")). A client that did not exit with status 0
     * counts as failed: print "counter: client i (pid P) <how it ended>"
     * on stderr, with status_describe() (status.h) for how it ended.
     * Hint: a client killed by a signal has no exit status: WEXITSTATUS of
     * its status is 0, which looks like success. Ask status_ok(). */
    (void)o;
    (void)pids;
    return failed;
}

/* Ask the server for the totals; print them. True if they are exact. */
static bool check_totals(const struct options *o, const char *address)
{
    long want = o->clients * o->incrs, hits = 0, len = 0;
    long per[MAX_CLIENTS] = {0};
    struct mgr *m = mgr_connect(address);
    if (m == NULL || mgr_dict_get(m, KEY, &hits) == -1 ||
        mgr_list_len(m, &len) == -1) {
        (void)fprintf(stderr, "counter: reading the totals: %s\n",
                      strerror(errno));
        (void)mgr_close(m);
        return false;
    }
    bool items_ok = true;
    for (long k = 0; k < len && items_ok; k++) {
        long v;
        items_ok = mgr_list_get(m, k, &v) == 0 && v >= 0 && v < o->clients;
        if (items_ok)
            per[v]++;
    }
    if (mgr_close(m) == -1)
        die("close");
    for (long i = 0; i < o->clients; i++)
        items_ok = items_ok && per[i] == o->incrs;
    printf(KEY " = %ld (expected %ld x %ld = %ld)\n", hits, o->clients,
           o->incrs, want);
    printf("list: %ld items (expected %ld); each client's number %s\n", len,
           want,
           items_ok ? "is there incrs times" : "is NOT there incrs times");
    return hits == want && len == want && items_ok;
}

/* ---- the benchmark --------------------------------------------------- */

struct shm_counter {
    pthread_mutex_t lock;
    long value;
};

struct bench_arg {
    long ops;
    struct mgr *m;           /* the manager runs */
    struct shm_counter *shm; /* the shared-memory run */
};

static void incr_manager(void *p)
{
    struct bench_arg *a = p;
    for (long k = 0; k < a->ops; k++)
        if (mgr_dict_incr(a->m, KEY, 1, NULL) == -1)
            die("INCR");
}

static void incr_shared_memory(void *p)
{
    struct bench_arg *a = p;
    for (long k = 0; k < a->ops; k++) {
        int err = pthread_mutex_lock(&a->shm->lock);
        if (err != 0)
            die_errnum(err, "pthread_mutex_lock");
        a->shm->value++;
        if ((err = pthread_mutex_unlock(&a->shm->lock)) != 0)
            die_errnum(err, "pthread_mutex_unlock");
    }
}

/* A counter and its process-shared mutex in a shared mapping (lab 05). */
static struct shm_counter *shm_counter_create(void)
{
    struct shm_counter *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        die("mmap");
    pthread_mutexattr_t attr;
    int err = pthread_mutexattr_init(&attr);
    if (err == 0)
        err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (err == 0)
        err = pthread_mutex_init(&c->lock, &attr);
    if (err != 0)
        die_errnum(err, "pthread_mutex_init");
    if ((err = pthread_mutexattr_destroy(&attr)) != 0)
        die_errnum(err, "pthread_mutexattr_destroy");
    c->value = 0;
    return c;
}

/* One increment's cost through a manager over tcp or not, per op. */
static struct bench_result bench_manager(const struct options *o, bool tcp)
{
    struct server_proc s;
    start_server(&s, tcp, 0);
    struct bench_arg a = {.ops = o->incrs, .m = mgr_connect(s.address)};
    if (a.m == NULL)
        die(s.address);
    struct bench_result r;
    bench_run(incr_manager, &a, 1, (int)o->runs, false, &r);
    if (mgr_close(a.m) == -1)
        die("close");
    if (!status_ok(stop_server(&s)))
        die_msg("the server did not stop cleanly");
    running = NULL;
    return r;
}

static void print_cost(const char *what, const struct bench_result *r,
                       double ops)
{
    printf("%-34s %9.3f us  (%.3f..%.3f)\n", what, 1e6 * r->median / ops,
           1e6 * r->min / ops, 1e6 * r->max / ops);
}

static void run_bench(const struct options *o)
{
    char machine[128];
    bench_machine(machine, sizeof machine);
    printf("machine: %s\n", machine);
    printf("cost of one increment, median of %ld runs (min..max):\n", o->runs);
    struct shm_counter *c = shm_counter_create();
    struct bench_arg a = {.ops = 100 * o->incrs, .shm = c};
    struct bench_result shm, un, tcp;
    bench_run(incr_shared_memory, &a, 1, (int)o->runs, false, &shm);
    print_cost("shared memory + mutex (lab 05)", &shm, (double)a.ops);
    un = bench_manager(o, false);
    print_cost("manager over a unix socket", &un, (double)o->incrs);
    tcp = bench_manager(o, true);
    print_cost("manager over tcp on 127.0.0.1", &tcp, (double)o->incrs);
    double per_shm = shm.median / (double)a.ops;
    printf("manager vs shared memory: unix %.0fx, tcp %.0fx slower\n",
           un.median / (double)o->incrs / per_shm,
           tcp.median / (double)o->incrs / per_shm);
    int err = pthread_mutex_destroy(&c->lock);
    if (err != 0)
        die_errnum(err, "pthread_mutex_destroy");
    if (munmap(c, sizeof *c) == -1)
        die("munmap");
}

/* ---- main ------------------------------------------------------------ */

static bool run_demo(const struct options *o)
{
    struct server_proc s;
    pid_t pids[MAX_CLIENTS];
    start_server(&s, o->tcp, o->port == -1 ? 0 : o->port);
    printf("counter: server pid %ld on %s\n", (long)s.pid, s.address);
    printf("counter: %ld client processes, each %ld x (INCR " KEY
           " 1, APPEND its number)\n",
           o->clients, o->incrs);
    start_clients(o, s.address, pids);
    int failed = reap_clients(o, pids);
    bool exact = check_totals(o, s.address);
    char was[sizeof s.address], how[64];
    (void)snprintf(was, sizeof was, "%s", s.address);
    int status = stop_server(&s);
    running = NULL;
    printf("counter: server %s; %s %s\n",
           status_describe(status, how, sizeof how), was,
           was[0] == 'u' ? "removed" : "closed");
    if (!status_ok(status))
        (void)fprintf(stderr, "counter: the server %s\n", how);
    if (failed > 0)
        (void)fprintf(stderr, "counter: %d of %ld clients failed\n", failed,
                      o->clients);
    return exact && failed == 0 && status_ok(status);
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    struct options o = parse_options(argc, argv);
    if (atexit(clean_up) != 0)
        die_msg("atexit failed");
    if (o.bench) {
        run_bench(&o);
        return EXIT_SUCCESS;
    }
    return run_demo(&o) ? EXIT_SUCCESS : EXIT_FAILURE;
}
