/*
 * killer.c - see killer.h. Test-side code: it runs in the test process.
 */
#include "killer.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct run_killer {
    const char *prog;
    int sig;
    atomic_bool stop;
    _Atomic pid_t victim; /* 0 until one is killed */
    pthread_t thread;
};

/* comm and ppid of pid from /proc; false if it is gone. */
static bool proc_stat(pid_t pid, char *comm, size_t size, pid_t *ppid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) S ppid ...": comm may hold spaces or ')'. */
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    int parent;
    if (open == NULL || close == NULL ||
        sscanf(close + 1, " %*c %d", &parent) != 1)
        return false;
    snprintf(comm, size, "%.*s", (int)(close - open - 1), open + 1);
    *ppid = (pid_t)parent;
    return true;
}

/* Is comm the name of the program? Under make valgrind every process of
 * the program runs as valgrind's tool, named "memcheck-amd64-" or the
 * like. */
static bool is_prog(const struct run_killer *k, const char *comm)
{
    return strcmp(comm, k->prog) == 0 || (getenv("KIT_VALGRIND") != NULL &&
                                          strncmp(comm, "memcheck", 8) == 0);
}

/* A worker: named prog, its parent named prog, below this process. */
static bool is_worker(const struct run_killer *k, pid_t pid)
{
    char comm[64];
    pid_t ppid, above;
    if (!proc_stat(pid, comm, sizeof comm, &ppid) || !is_prog(k, comm) ||
        !proc_stat(ppid, comm, sizeof comm, &above) || !is_prog(k, comm))
        return false;
    for (int depth = 0; depth < 8 && above > 1; depth++) {
        if (above == getpid())
            return true;
        if (!proc_stat(above, comm, sizeof comm, &above))
            return false;
    }
    return false;
}

static void *killer_main(void *arg)
{
    struct run_killer *k = arg;
    while (!atomic_load(&k->stop) && atomic_load(&k->victim) == 0) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL &&
               atomic_load(&k->victim) == 0) {
            pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
            if (pid > 0 && is_worker(k, pid) && kill(pid, k->sig) == 0)
                atomic_store(&k->victim, pid);
        }
        if (d != NULL)
            closedir(d);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    return NULL;
}

struct run_killer *run_killer_start(const char *prog, int sig)
{
    struct run_killer *k = calloc(1, sizeof *k);
    cr_assert(k != NULL, "calloc failed");
    k->prog = prog;
    k->sig = sig;
    int err = pthread_create(&k->thread, NULL, killer_main, k);
    cr_assert(err == 0, "pthread_create (the test's killer): %s",
              strerror(err));
    return k;
}

pid_t run_killer_stop(struct run_killer *k)
{
    atomic_store(&k->stop, true);
    pthread_join(k->thread, NULL);
    pid_t victim = atomic_load(&k->victim);
    free(k);
    return victim;
}
