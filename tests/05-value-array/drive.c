/*
 * drive.c - test-side driver for lab 05 (not a lab program): starts the
 * owner program, waits until it says it is ready, then acts on it the way
 * a person at a terminal would, and reports what happened.
 *
 * Usage:   drive [-c copies] [-s INT|TERM] [-w] -- prog [arg...]
 *          -c copies  start 1 or 2 copies of prog at once (default 1)
 *          -s SIG     once every copy is ready, send it SIGINT or SIGTERM
 *                     (to that process only, as `kill -INT pid` does)
 *          -w         once every copy is ready, run `shm_worker -n NAME`
 *                     on it, NAME being the first word of its ready line
 *                     that starts with '/'
 *
 * Every line a copy prints is echoed as "[k] line". Then the driver
 * prints, for each copy k:
 *     drive: copy k ready on NAME           (or: never ready)
 *     drive: copy k exited with status N    (or: was killed by signal N,
 *                                            or: did not end, killed)
 *     drive: copy k ended T s after the signal  (with -s)
 * Programs are found on PATH (the test puts the lab's build folder first).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"

#define USAGE "[-c copies] [-s INT|TERM] [-w] -- prog [arg...]"
#define MAX_COPIES 2
#define READY_SECONDS 10.0 /* the longest we wait for a ready line */
#define END_SECONDS 10.0   /* the longest we wait for a copy to end */
#define LINE_MAX_LEN 1024

struct copy {
    pid_t pid;
    int fd; /* read end of its stdout, -1 at end of file */
    char buf[LINE_MAX_LEN];
    size_t len; /* bytes of buf holding a partial line */
    bool ready;
    char name[256]; /* from its ready line */
    int status;
    bool ended, killed;
};

static double now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
        die("clock_gettime");
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Look at one complete line of copy k. */
static void take_line(struct copy *c, int k, const char *line)
{
    printf("[%d] %s\n", k, line);
    if (c->ready || strstr(line, "ready") == NULL)
        return;
    c->ready = true;
    const char *p = line;
    while ((p = strchr(p, '/')) != NULL && p != line && p[-1] != ' ')
        p++;
    if (p != NULL) {
        size_t len = strcspn(p, " \t,:;");
        if (len >= sizeof c->name)
            len = sizeof c->name - 1;
        memcpy(c->name, p, len);
        c->name[len] = '\0';
    }
}

/* Read what copy k has (waiting at most until deadline); returns false at
 * end of file or at the deadline. */
static bool pump(struct copy *c, int k, double deadline)
{
    if (c->fd == -1)
        return false;
    double left = deadline - now();
    if (left <= 0)
        return false;
    struct pollfd p = {c->fd, POLLIN, 0};
    int ready = poll(&p, 1, (int)(left * 1000) + 1);
    if (ready == -1 && errno != EINTR)
        die("poll");
    if (ready <= 0)
        return true;
    ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
    if (n == -1 && errno == EINTR)
        return true;
    if (n <= 0) {
        if (c->len > 0) {
            c->buf[c->len] = '\0';
            take_line(c, k, c->buf);
            c->len = 0;
        }
        if (close(c->fd) == -1)
            die("close");
        c->fd = -1;
        return false;
    }
    c->len += (size_t)n;
    char *start = c->buf, *nl;
    while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf)))) {
        *nl = '\0';
        take_line(c, k, start);
        start = nl + 1;
    }
    c->len -= (size_t)(start - c->buf);
    memmove(c->buf, start, c->len);
    if (c->len == sizeof c->buf - 1) { /* a line too long: take it as is */
        c->buf[c->len] = '\0';
        take_line(c, k, c->buf);
        c->len = 0;
    }
    return true;
}

static pid_t start(char *const argv[], int out_fd)
{
    if (fflush(stdout) == EOF)
        die("fflush");
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        if (out_fd != -1 && dup2(out_fd, STDOUT_FILENO) == -1)
            die_child("dup2");
        execvp(argv[0], argv);
        die_child(argv[0]);
    }
    return pid;
}

static void report(int k, int status)
{
    if (WIFEXITED(status))
        printf("drive: copy %d exited with status %d\n", k,
               WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("drive: copy %d was killed by signal %d\n", k, WTERMSIG(status));
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    int copies = 1, sig = 0;
    bool run_worker = false;
    int opt;
    while ((opt = getopt(argc, argv, "+c:s:w")) != -1) {
        switch (opt) {
        case 'c':
            copies = strcmp(optarg, "2") == 0 ? 2 : 1;
            break;
        case 's':
            sig = strcmp(optarg, "TERM") == 0 ? SIGTERM : SIGINT;
            break;
        case 'w':
            run_worker = true;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind >= argc)
        die_usage(USAGE, "which program?");

    struct copy c[MAX_COPIES];
    memset(c, 0, sizeof c);
    for (int k = 0; k < copies; k++) {
        int fds[2];
        if (pipe(fds) == -1)
            die("pipe");
        c[k].pid = start(argv + optind, fds[1]);
        if (close(fds[1]) == -1)
            die("close");
        c[k].fd = fds[0];
    }
    double deadline = now() + READY_SECONDS;
    for (int k = 0; k < copies; k++) {
        while (!c[k].ready && pump(&c[k], k + 1, deadline))
            ;
        if (c[k].ready)
            printf("drive: copy %d ready on %s\n", k + 1, c[k].name);
        else
            printf("drive: copy %d never ready\n", k + 1);
    }

    double acted = now();
    for (int k = 0; k < copies; k++) {
        if (!c[k].ready)
            continue;
        if (run_worker) {
            char *wargv[] = {"shm_worker", "-n", c[k].name, NULL};
            pid_t w = start(wargv, -1);
            int status;
            while (waitpid(w, &status, 0) == -1)
                if (errno != EINTR)
                    die("waitpid");
            printf("drive: worker on %s ", c[k].name);
            if (WIFEXITED(status))
                printf("exited with status %d\n", WEXITSTATUS(status));
            else
                printf("was killed by signal %d\n", WTERMSIG(status));
        }
        if (sig != 0) {
            if (kill(c[k].pid, sig) == -1)
                die("kill");
            printf("drive: sent signal %d to copy %d\n", sig, k + 1);
        }
    }
    if (sig != 0)
        acted = now();

    /* For each copy: note when it ends (waitpid), and echo its output
     * until end of file - or half a second after it ended, since a process
     * it left running may hold the pipe open. */
    deadline = now() + END_SECONDS;
    for (int k = 0; k < copies; k++) {
        double ended_at = 0;
        for (;;) {
            if (!c[k].ended) {
                pid_t w = waitpid(c[k].pid, &c[k].status, WNOHANG);
                if (w == -1 && errno != EINTR)
                    die("waitpid");
                if (w == c[k].pid) {
                    c[k].ended = true;
                    ended_at = now();
                }
            }
            if (c[k].ended && (c[k].fd == -1 || now() > ended_at + 0.5))
                break;
            if (now() > deadline) {
                if (!c[k].ended) {
                    printf("drive: copy %d did not end within %.0f s: "
                           "killed\n",
                           k + 1, END_SECONDS);
                    if (kill(c[k].pid, SIGKILL) == -1)
                        die("kill");
                    if (waitpid(c[k].pid, &c[k].status, 0) == -1)
                        die("waitpid");
                    c[k].killed = true;
                    ended_at = now();
                }
                break;
            }
            double until = now() + 0.02;
            if (c[k].fd != -1) {
                (void)pump(&c[k], k + 1, until < deadline ? until : deadline);
            } else {
                const struct timespec tick = {0, 5000000L};
                (void)nanosleep(&tick, NULL);
            }
        }
        if (!c[k].killed)
            report(k + 1, c[k].status);
        if (sig != 0)
            printf("drive: copy %d ended %.3f s after the signal\n", k + 1,
                   ended_at - acted);
        if (c[k].fd != -1 && close(c[k].fd) == -1)
            die("close");
    }
    return EXIT_SUCCESS;
}
