/*
 * shm_squares.c - named shared memory: the owner of an object that
 * another program fills.
 *
 * Python:  multiprocessing.shared_memory.SharedMemory(create=True, ...) -
 *          and what Value and Array stand on when processes are not one
 *          parent and its forked child.
 * C:       shm_open() creates an object with a name ("/lab05-squares-<pid>"),
 *          ftruncate() gives it a size, mmap(MAP_SHARED) puts it in our
 *          memory. Any process that knows the name can map the same bytes:
 *          here shm_worker, a separate program started with exec (it
 *          inherits nothing from us but the name on its command line), or,
 *          with -w, one you start yourself in another terminal.
 *          shm_unlink() removes the name. The object outlives every process
 *          that uses it - so the owner removes it on every way out:
 *          normal end, failure, Ctrl-C (SIGINT) and kill (SIGTERM).
 *
 * Usage:   shm_squares [-w | -d seconds] [-n /name] [number...]
 *          -w          start no worker: wait for one started by hand
 *          -d seconds  the worker we start works this long, 0..60
 *                      (default 0)
 *          -n /name    the object's name (default /lab05-squares-<pid>)
 *
 * Observe: while it waits, ls /dev/shm shows the object; after it ends,
 *          however it ends, the object is gone.
 * Try:     shm_squares -d 30, then Ctrl-C; shm_squares -w and, in another
 *          terminal, the shm_worker command it prints.
 *
 * Signals: the handler only records which signal came. Cleaning up in the
 * handler itself would be wrong: shm_unlink, munmap, printf and exit are
 * not async-signal-safe (a handler may run in the middle of any of them,
 * or of malloc), and the handler might run before the object exists.
 * Instead, every wait in main wakes up at least every 10 ms, sees the flag,
 * and cleans up in ordinary code; then the program ends by the same signal
 * (default action restored, raise), so whoever started it learns that it
 * was interrupted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "numbers.h"
#include "squares_shm.h"
#include "status.h"

#define USAGE "[-w | -d seconds] [-n /name] [number...]"
#define WORKER "shm_worker"

/* The signal that asked us to stop, or 0. volatile sig_atomic_t is the
 * one type C guarantees a signal handler may write and main then read;
 * this is the only place the kit uses volatile. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

/* Make SIGINT (Ctrl-C) and SIGTERM (kill's default) call on_signal. */
static void install_handlers(void)
{
    /* TODO(05.6): With sigaction(), make SIGINT and SIGTERM run
     * on_signal. Clear sa_mask with sigemptyset() and leave sa_flags 0:
     * without SA_RESTART, a signal also cuts short the sleep main is in.
     * Without this, Ctrl-C kills the program on the spot, and the object
     * stays in /dev/shm until the machine reboots.
     * Hint: struct sigaction sa = {0}; sa.sa_handler = on_signal; ... */
    /* BEGIN SOLUTION */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    if (sigemptyset(&sa.sa_mask) == -1)
        die("sigemptyset");
    sa.sa_flags = 0;
    if (sigaction(SIGINT, &sa, NULL) == -1)
        die("sigaction SIGINT");
    if (sigaction(SIGTERM, &sa, NULL) == -1)
        die("sigaction SIGTERM");
    /* END SOLUTION */
    /* STARTER
    (void)on_signal;
    STARTER */
}

/* The name of the object we created and have not removed yet ("" when
 * there is none). remove_object() runs at exit() - die() included - so
 * a failure after shm_open does not leave the object behind. */
static char created[SQUARES_SHM_NAME_MAX + 1];

static void remember_object(const char *name)
{
    size_t len = strlen(name); /* check_name() allowed at most the room */
    memcpy(created, name, len < sizeof created ? len + 1 : sizeof created);
    created[sizeof created - 1] = '\0';
}

/* Remove the name we created, if any; the memory stays mapped by whoever
 * still has it mapped, until they unmap it. Safe to call twice. */
static void remove_object(void)
{
    if (created[0] == '\0')
        return;
    /* TODO(05.5): Remove the name with shm_unlink(created). If that
     * fails, report it with warn_errno("shm_unlink") - do not die(): we
     * may already be on the way out, inside exit(). */
    /* BEGIN SOLUTION */
    if (shm_unlink(created) == -1)
        warn_errno("shm_unlink");
    /* END SOLUTION */
    created[0] = '\0';
}

/* Create the object called name - it must not exist yet - size it for a
 * struct squares_shm, and map it. Exits with a message on failure. */
static struct squares_shm *create_object(const char *name)
{
    /* TODO(05.4): Create the object with shm_open(name, O_RDWR | O_CREAT |
     * O_EXCL, 0600) - O_EXCL: fail if the name is taken, never use (and
     * later remove) someone else's object. As soon as it exists, call
     * remember_object(name). Give it its size with ftruncate(): a new
     * object has 0 bytes, and touching a page past the end of an object
     * kills the process with SIGBUS. Map it with mmap(..., MAP_SHARED,
     * fd, 0), then close fd: the mapping stays.
     * Hint: check each call: if (fd == -1) die("shm_open"); */
    /* BEGIN SOLUTION */
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd == -1)
        die("shm_open");
    remember_object(name);
    if (ftruncate(fd, (off_t)sizeof(struct squares_shm)) == -1)
        die("ftruncate");
    struct squares_shm *shm =
        mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shm == MAP_FAILED)
        die("mmap");
    if (close(fd) == -1)
        die("close");
    return shm;
    /* END SOLUTION */
    /* STARTER
    (void)name;
    (void)remember_object;
    die_msg("create_object is not written yet (TODO 05.4)");
    STARTER */
}

/* Start shm_worker on the object, with exec: it is found next to this
 * program if we were started by a path (build/.../shm_squares), else on
 * PATH, the way the shell found us. */
static pid_t start_worker(const char *self, const char *name, double delay)
{
    char seconds[32];
    if (snprintf(seconds, sizeof seconds, "%.3f", delay) < 0)
        die("snprintf");
    char path[PATH_MAX];
    const char *slash = strrchr(self, '/');
    int len = slash != NULL ? snprintf(path, sizeof path, "%.*s/%s",
                                       (int)(slash - self), self, WORKER)
                            : snprintf(path, sizeof path, "%s", WORKER);
    if (len < 0 || (size_t)len >= sizeof path)
        die_errnum(ENAMETOOLONG, "worker path");
    if (fflush(stdout) == EOF)
        die("fflush");
    /* Until it execs, the child is a copy of us, handler included: a
     * SIGTERM from stop_worker() would only set the flag in the child's
     * copy of our memory, and the worker would run on. So SIGINT and
     * SIGTERM stay blocked across fork; the child puts back their default
     * actions before it unblocks them (a signal already pending then ends
     * it), and the parent just unblocks them. */
    sigset_t stop_signals, old_mask;
    if (sigemptyset(&stop_signals) == -1 ||
        sigaddset(&stop_signals, SIGINT) == -1 ||
        sigaddset(&stop_signals, SIGTERM) == -1)
        die("sigaddset");
    if (sigprocmask(SIG_BLOCK, &stop_signals, &old_mask) == -1)
        die("sigprocmask");
    pid_t pid;
    if ((pid = fork()) == -1)
        die("fork");
    if (pid == 0) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        if (sigemptyset(&dfl.sa_mask) == -1 ||
            sigaction(SIGINT, &dfl, NULL) == -1 ||
            sigaction(SIGTERM, &dfl, NULL) == -1 ||
            sigprocmask(SIG_SETMASK, &old_mask, NULL) == -1)
            die_child("sigaction");
        execlp(path, WORKER, "-n", name, "-d", seconds, (char *)NULL);
        die_child(path); /* _exit: the object is the parent's to remove */
    }
    if (sigprocmask(SIG_SETMASK, &old_mask, NULL) == -1)
        die("sigprocmask");
    return pid;
}

/* Wait until the work is done - the worker we started has ended (worker
 * > 0), or the worker started by hand has set shm->done - or a signal has
 * set interrupted. Every 10 ms, so a signal is noticed within 10 ms even
 * if it came between the check and the sleep. Returns true if the work
 * was done, false if it failed or we were interrupted. */
static bool wait_for_worker(struct squares_shm *shm, pid_t worker)
{
    const struct timespec tick = {0, 10000000L}; /* 10 ms */
    while (!interrupted) {
        if (worker > 0) {
            int status;
            pid_t w = waitpid(worker, &status, WNOHANG);
            if (w == -1 && errno != EINTR)
                die("waitpid");
            if (w == worker) {
                char how[64];
                printf("owner: worker %s\n",
                       status_describe(status, how, sizeof how));
                return status_ok(status) && atomic_load(&shm->done) == 1;
            }
        } else if (atomic_load(&shm->done) == 1) {
            printf("owner: the worker is done\n");
            return true;
        }
        if (nanosleep(&tick, NULL) == -1 && errno != EINTR)
            die("nanosleep");
    }
    return false;
}

/* Stop the worker we started (SIGTERM) and reap it. */
static void stop_worker(pid_t worker)
{
    if (kill(worker, SIGTERM) == -1)
        die("kill");
    while (waitpid(worker, NULL, 0) == -1)
        if (errno != EINTR)
            die("waitpid");
}

/* Unmap, remove the name, and end by signal sig as if we had no handler. */
static _Noreturn void end_by_signal(int sig, struct squares_shm *shm,
                                    const char *name)
{
    if (munmap(shm, sizeof *shm) == -1)
        die("munmap");
    remove_object();
    printf("owner: removed %s\n", name);
    if (fflush(stdout) == EOF)
        die("fflush");
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    if (sigemptyset(&dfl.sa_mask) == -1 || sigaction(sig, &dfl, NULL) == -1)
        die("sigaction");
    if (raise(sig) != 0)
        die("raise");
    exit(128 + sig); /* not reached: the default action ends us */
}

/* Check a name given with -n: "/" then 1 or more characters, no other '/'. */
static void check_name(const char *name)
{
    size_t len = strlen(name);
    if (name[0] != '/' || len < 2 || len > SQUARES_SHM_NAME_MAX ||
        strchr(name + 1, '/') != NULL)
        die_usage(USAGE,
                  "name '%s': want '/' then 1 to %d characters, no other '/'",
                  name, SQUARES_SHM_NAME_MAX - 1);
}

/* What the command line asks for. */
struct options {
    bool wait_mode;
    double delay; /* -1: not given */
    const char *name;
    int numbers[NUMBERS_MAX];
    size_t n;
};

static struct options parse_options(int argc, char *argv[])
{
    /* The pid in the default name: two runs at once never collide. */
    static char default_name[SQUARES_SHM_NAME_MAX + 1];
    if (snprintf(default_name, sizeof default_name, "%s%ld", SQUARES_SHM_PREFIX,
                 (long)getpid()) < 0)
        die("snprintf");
    struct options o = {.wait_mode = false, .delay = -1, .name = default_name};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "hwd:n:")) != -1) {
        switch (opt) {
        case 'h':
            args_help(USAGE);
        case 'w':
            o.wait_mode = true;
            break;
        case 'd':
            o.delay = arg_double(optarg, 0, 60, "seconds", USAGE);
            break;
        case 'n':
            check_name(optarg);
            o.name = optarg;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (o.wait_mode && o.delay >= 0)
        die_usage(USAGE, "-d is for the worker we start: not with -w");
    o.n = numbers_parse(argc, argv, optind, o.numbers, USAGE);
    return o;
}

/* Say what we made, then start the worker (or ask for one to be started
 * by hand); returns its pid, or -1 with -w. */
static pid_t announce_and_start(const struct options *o, const char *self,
                                const struct squares_shm *shm)
{
    char text[NUMBERS_TEXT];
    printf("owner: pid %ld created %s (%zu bytes) holding %s\n", (long)getpid(),
           o->name, sizeof *shm,
           numbers_format(text, sizeof text, o->numbers, o->n));
    pid_t worker = -1;
    if (o->wait_mode) {
        printf("owner: ready: waiting for a worker; in another terminal run"
               " %s -n %s\n",
               WORKER, o->name);
    } else {
        worker = start_worker(self, o->name, o->delay > 0 ? o->delay : 0);
        printf("owner: ready: started %s (pid %ld) on %s\n", WORKER,
               (long)worker, o->name);
    }
    if (fflush(stdout) == EOF)
        die("fflush");
    return worker;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o = parse_options(argc, argv);

    /* Handlers first, then the object: no moment when it exists and a
     * Ctrl-C would kill us without removing it. */
    install_handlers();
    if (atexit(remove_object) != 0)
        die_errnum(ENOMEM, "atexit");
    struct squares_shm *shm = create_object(o.name);
    shm->count = (int)o.n;
    memcpy(shm->numbers, o.numbers, o.n * sizeof o.numbers[0]);
    pid_t worker = announce_and_start(&o, argv[0], shm);

    bool done = wait_for_worker(shm, worker);
    if (interrupted) {
        int sig = interrupted;
        printf("owner: interrupted by signal %d\n", sig);
        if (worker > 0)
            stop_worker(worker);
        end_by_signal(sig, shm, o.name);
    }
    if (done) {
        char text[NUMBERS_TEXT];
        printf("owner: result %s\n",
               numbers_format(text, sizeof text, shm->squares, o.n));
        printf("owner: sum of squares %d\n", shm->sum);
    }
    if (munmap(shm, sizeof *shm) == -1)
        die("munmap");
    remove_object();
    printf("owner: removed %s\n", o.name);
    if (!done)
        die_msg("the worker did not finish its work");
    return EXIT_SUCCESS;
}
