/*
 * perturb.c - the schedule perturber: a library the tests preload into a
 * lab program (run_opts.perturb, LD_PRELOAD) to make races show.
 *
 * A missing lock, a condition wait under `if` instead of `while`, or a
 * wake-up sent before anyone waits are bugs that a quiet machine hides: the
 * unlucky interleaving needs one thread to be paused at just the wrong
 * instruction. This library makes such pauses common. It wraps the
 * synchronisation calls and, at random (seeded), yields the processor or
 * sleeps a few microseconds right where a pause hurts a wrong program most:
 *
 *   before pthread_mutex_lock, pthread_cond_wait, pthread_cond_timedwait,
 *          sem_wait
 *   after  pthread_mutex_unlock, pthread_cond_signal,
 *          pthread_cond_broadcast, sem_post, and after a wait returns
 *
 * A correct program is unaffected except for speed: every pause is one a
 * real scheduler could make. It also makes failures that a test wants to
 * see on purpose, chosen by environment variables:
 *
 *   KIT_PERTURB_SEED=N            fix the random sequence (default: pid)
 *   KIT_FAIL_FORK_AT=N            the Nth fork() of each process fails
 *                                 with EAGAIN (a child counts anew)
 *   KIT_FAIL_PTHREAD_CREATE_AT=N  the Nth pthread_create() returns EAGAIN
 *   KIT_SHORT_IO=1                read() on a pipe or socket returns at
 *                                 most 1 to 7 bytes; write() of more than
 *                                 PIPE_BUF bytes to one is cut short (a
 *                                 write of PIPE_BUF bytes or fewer is
 *                                 atomic by POSIX, so it is left whole)
 *   KIT_CHILD_EXIT=N              (1..255) a process made by fork() that
 *                                 ends with status 0 through exit(),
 *                                 _exit() or _Exit() ends with status N
 *                                 instead: a child that did its work and
 *                                 then FAILED, for the parent to notice
 *                                 (a status other than 0 is left as it
 *                                 is; so is the program itself, never
 *                                 forked, and a child once it exec()s: a
 *                                 new image. A return from main is not
 *                                 seen: libc calls its own exit)
 *   KIT_CHILD_EXIT_ONLY=K         with KIT_CHILD_EXIT: only the child of
 *                                 the Kth fork() of each process does so
 *                                 (forks counted as for KIT_FAIL_FORK_AT),
 *                                 so that one worker of several fails
 *
 * This is test-side code, never part of a lab. Built by the Makefile as
 * build/tests/libperturb.so.
 */
#define _GNU_SOURCE /* RTLD_NEXT, dlvsym */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- the real functions -------------------------------------------- */

/* pthread_cond_* exist in two versions in glibc; plain dlsym may return
 * the old one (for binaries of 2002), which would corrupt a new-style
 * condition variable. Ask for the current version by name. */
static void *real(const char *name, const char *version)
{
    void *f = version != NULL ? dlvsym(RTLD_NEXT, name, version) : NULL;
    if (f == NULL)
        f = dlsym(RTLD_NEXT, name);
    if (f == NULL)
        abort(); /* cannot happen with glibc: every name is in libc */
    return f;
}

/* real_fn: the wrapped function's own version, looked up once. */
#define REAL(name, version)                                                    \
    static __typeof__(name) *real_fn = NULL;                                   \
    if (real_fn == NULL)                                                       \
    real_fn = (__typeof__(name) *)real(#name, version)

/* ---- randomness ------------------------------------------------------ */

static _Thread_local uint64_t rng;

static uint64_t next_random(void)
{
    if (rng == 0) {
        const char *s = getenv("KIT_PERTURB_SEED");
        uint64_t seed = s != NULL ? strtoull(s, NULL, 10) : (uint64_t)getpid();
        static atomic_uint_fast64_t threads;
        rng =
            (seed + 1) * 0x9E3779B97F4A7C15ull + atomic_fetch_add(&threads, 1);
        if (rng == 0)
            rng = 1;
    }
    rng ^= rng << 13; /* xorshift64 */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Often yield, sometimes sleep up to 100 microseconds, mostly go on. */
static void pause_maybe(void)
{
    uint64_t r = next_random() % 16;
    if (r < 4) {
        sched_yield();
    } else if (r == 4) {
        struct timespec ts = {0, (long)(next_random() % 100000)};
        nanosleep(&ts, NULL);
    }
}

/* ---- locks, conditions, semaphores --------------------------------- */

int pthread_mutex_lock(pthread_mutex_t *m)
{
    REAL(pthread_mutex_lock, NULL);
    pause_maybe();
    return real_fn(m);
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    REAL(pthread_mutex_unlock, NULL);
    int rc = real_fn(m);
    pause_maybe();
    return rc;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    REAL(pthread_cond_wait, "GLIBC_2.3.2");
    pause_maybe();
    int rc = real_fn(c, m);
    pause_maybe();
    return rc;
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                           const struct timespec *t)
{
    REAL(pthread_cond_timedwait, "GLIBC_2.3.2");
    pause_maybe();
    int rc = real_fn(c, m, t);
    pause_maybe();
    return rc;
}

int pthread_cond_signal(pthread_cond_t *c)
{
    REAL(pthread_cond_signal, "GLIBC_2.3.2");
    int rc = real_fn(c);
    pause_maybe();
    return rc;
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
    REAL(pthread_cond_broadcast, "GLIBC_2.3.2");
    int rc = real_fn(c);
    pause_maybe();
    return rc;
}

int sem_wait(sem_t *s)
{
    REAL(sem_wait, NULL);
    pause_maybe();
    int rc = real_fn(s);
    pause_maybe();
    return rc;
}

int sem_post(sem_t *s)
{
    REAL(sem_post, NULL);
    int rc = real_fn(s);
    pause_maybe();
    return rc;
}

/* ---- failures on request ----------------------------------------- */

static long env_count(const char *name)
{
    const char *s = getenv(name);
    return s != NULL ? strtol(s, NULL, 10) : 0;
}

static long forks; /* fork() calls in this process so far */

/* The status this process's successful exit turns into (KIT_CHILD_EXIT),
 * or 0: set by fork() in the child only, so the program itself, never
 * forked, keeps 0. An exec() starts a new image, where it is 0 again. */
static int child_exit_status;

/* What KIT_CHILD_EXIT and KIT_CHILD_EXIT_ONLY ask of the child of this
 * process's fork number `nth`: a status from 1 to 255, or 0 for none. */
static int child_exit_wanted(long nth)
{
    long status = env_count("KIT_CHILD_EXIT");
    long only = env_count("KIT_CHILD_EXIT_ONLY");
    if (status < 1 || status > 255 || (only > 0 && only != nth))
        return 0;
    return (int)status;
}

pid_t fork(void)
{
    REAL(fork, NULL);
    long nth = ++forks;
    long fail_at = env_count("KIT_FAIL_FORK_AT");
    if (fail_at > 0 && nth == fail_at) {
        errno = EAGAIN;
        return -1;
    }
    int exit_as = child_exit_wanted(nth); /* asked before: no getenv in
                                             the child of a threaded parent */
    pid_t pid = real_fn();
    if (pid == 0) {
        forks = 0; /* a child counts its own forks */
        child_exit_status = exit_as;
    }
    return pid;
}

/* The status an exit with status actually ends with. */
static int exit_status(int status)
{
    return status == 0 && child_exit_status != 0 ? child_exit_status : status;
}

/* exit, _exit and _Exit never return: the real ones end the process (exit
 * after the atexit handlers and the stdio flush, as always). GCC's
 * __typeof__ keeps exit's noreturn but not _exit's or _Exit's, so they are
 * kept in pointers of a type that says it. They are looked up when the
 * library is loaded, not at their first call as REAL does: that first call
 * would come in a child, and after fork in a threaded program the dynamic
 * loader's lock may be held by a thread that is not there to release it. */
typedef void (*exit_fn)(int) __attribute__((noreturn));
static exit_fn real_exit, real_underscore_exit, real_underscore_Exit;

__attribute__((constructor)) static void find_exits(void)
{
    real_exit = (exit_fn)real("exit", NULL);
    real_underscore_exit = (exit_fn)real("_exit", NULL);
    real_underscore_Exit = (exit_fn)real("_Exit", NULL);
}

_Noreturn void exit(int status)
{
    if (real_exit == NULL) /* before find_exits ran */
        find_exits();
    real_exit(exit_status(status));
}

_Noreturn void _exit(int status)
{
    if (real_underscore_exit == NULL) /* before find_exits ran */
        find_exits();
    real_underscore_exit(exit_status(status));
}

_Noreturn void _Exit(int status)
{
    if (real_underscore_Exit == NULL) /* before find_exits ran */
        find_exits();
    real_underscore_Exit(exit_status(status));
}

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *),
                   void *arg)
{
    REAL(pthread_create, NULL);
    static atomic_long creates;
    long fail_at = env_count("KIT_FAIL_PTHREAD_CREATE_AT");
    if (fail_at > 0 && atomic_fetch_add(&creates, 1) + 1 == fail_at)
        return EAGAIN;
    return real_fn(t, a, f, arg);
}

/* ---- short reads and writes ---------------------------------------- */

static int is_stream(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 &&
           (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

static int short_io(void)
{
    const char *s = getenv("KIT_SHORT_IO");
    return s != NULL && s[0] == '1';
}

ssize_t read(int fd, void *buf, size_t len)
{
    REAL(read, NULL);
    if (len > 1 && short_io() && is_stream(fd)) {
        size_t most = 1 + (size_t)(next_random() % 7);
        if (len > most)
            len = most;
    }
    return real_fn(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    REAL(write, NULL);
    if (len > PIPE_BUF && short_io() && is_stream(fd))
        len = 1 + (size_t)(next_random() % PIPE_BUF);
    return real_fn(fd, buf, len);
}
