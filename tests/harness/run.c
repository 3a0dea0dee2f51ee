/*
 * run.c - see run.h. This file is test-side code: it may call Criterion
 * because it runs in the test process itself, never in a forked child
 * (the child only execs, or _exits if exec fails).
 */
/* setgroups() for the grading box (KIT_RUN_UID below). */
#define _DEFAULT_SOURCE
#include "run.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SHM 256
#define MAX_PROCS 4096

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL)
        abort();
    return p;
}

double run_timeout_scale(void)
{
    const char *s = getenv("KIT_TIMEOUT_SCALE");
    double v = s != NULL ? strtod(s, NULL) : 1.0;
    return v >= 1.0 ? v : 1.0;
}

const char *run_sanitizer(void)
{
    const char *s = getenv("KIT_SANITIZER");
    return s != NULL && s[0] != '\0' ? s : NULL;
}

const char *run_program_path(const char *lab, const char *prog)
{
    static char path[1024];
    const char *root = getenv("KIT_BIN_ROOT");
    snprintf(path, sizeof path, "%s/%s/%s", root != NULL ? root : "build/ref",
             lab, prog);
    return path;
}

/* The build a sanitizer run uses: KIT_BIN_ROOT without a "-tsan"/"-asan"
 * it may already end with, plus "-" and the sanitizer's name. */
static const char *sanitizer_program_path(const char *lab, const char *prog,
                                          const char *sanitizer)
{
    static char path[1024];
    const char *root = getenv("KIT_BIN_ROOT");
    if (root == NULL)
        root = "build/ref";
    size_t len = strlen(root);
    if (len > 5 && (strcmp(root + len - 5, "-tsan") == 0 ||
                    strcmp(root + len - 5, "-asan") == 0))
        len -= 5;
    snprintf(path, sizeof path, "%.*s-%s/%s/%s", (int)len, root, sanitizer, lab,
             prog);
    return path;
}

bool run_cpu_is_measurable(void)
{
    return getenv("KIT_VALGRIND") == NULL && run_sanitizer() == NULL;
}

const char *run_perturb_library(void)
{
    static char path[1024];
    char exe[900];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return "libperturb.so";
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL)
        *slash = '\0';
    snprintf(path, sizeof path, "%s/libperturb.so", exe);
    return path;
}

/* ---- /dev/shm snapshots -------------------------------------------- */

struct names {
    size_t n;
    char name[MAX_SHM][256];
};

static void shm_snapshot(struct names *s)
{
    s->n = 0;
    DIR *d = opendir("/dev/shm");
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && s->n < MAX_SHM) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(s->name[s->n++], sizeof s->name[0], "%s", e->d_name);
    }
    closedir(d);
}

static bool names_has(const struct names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return true;
    return false;
}

/* ---- the process table ---------------------------------------------- */

struct proc {
    pid_t pid, ppid;
    char state;
};

/* Read pid, state and ppid of every process from /proc. */
static size_t proc_table(struct proc *t, size_t max)
{
    size_t n = 0;
    DIR *d = opendir("/proc");
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd == -1)
            continue;
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len <= 0)
            continue;
        buf[len] = '\0';
        /* "pid (comm) S ppid ...": comm may hold spaces or ')'. */
        char *close_paren = strrchr(buf, ')');
        if (close_paren == NULL)
            continue;
        char state;
        int ppid;
        if (sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2)
            continue;
        t[n].pid = (pid_t)atoi(e->d_name);
        t[n].ppid = (pid_t)ppid;
        t[n].state = state;
        n++;
    }
    closedir(d);
    return n;
}

/* Mark every descendant of root in t; count the live and zombie ones. */
static void descendants(const struct proc *t, size_t n, pid_t root, bool *mark,
                        int *live, int *zombies)
{
    *live = *zombies = 0;
    for (size_t i = 0; i < n; i++)
        mark[i] = false;
    bool grew = true;
    while (grew) {
        grew = false;
        for (size_t i = 0; i < n; i++) {
            if (mark[i])
                continue;
            bool child = t[i].ppid == root;
            for (size_t j = 0; j < n && !child; j++)
                child = mark[j] && t[j].pid == t[i].ppid;
            if (child) {
                mark[i] = true;
                grew = true;
                if (t[i].state == 'Z')
                    (*zombies)++;
                else
                    (*live)++;
            }
        }
    }
}

/* Kill the group and every descendant of this process, and reap them,
 * until none is left (or give up after a few seconds). */
static void kill_tree(pid_t pgid)
{
    static struct proc t[MAX_PROCS];
    static bool mark[MAX_PROCS];
    double give_up = now() + 5.0;
    for (;;) {
        if (pgid > 0)
            kill(-pgid, SIGKILL);
        size_t n = proc_table(t, MAX_PROCS);
        int live, zombies;
        descendants(t, n, getpid(), mark, &live, &zombies);
        for (size_t i = 0; i < n; i++)
            if (mark[i] && t[i].state != 'Z')
                kill(t[i].pid, SIGKILL);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (live + zombies == 0 || now() > give_up)
            return;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* ---- grading box (tests/grade/grade.sh) ------------------------------
 * Set only when a class is graded; unset, nothing below changes anything.
 * KIT_RUN_UID / KIT_RUN_GID: the program runs as this unprivileged user, so
 * that it cannot write the kit, the gradebook or another student's files,
 * cannot signal or trace the test process, and RLIMIT_NPROC (set by the
 * grader on the whole box) binds it even when grading as root.
 * KIT_OUTPUT_CAP: bytes kept per stream, below RUN_OUTPUT_CAP.
 * KIT_RUN_NOTES: a file (not writable by that user) where a line is added
 * when a program's output went past the cap, for the student's feedback. */

static long env_long(const char *name, long fallback)
{
    const char *s = getenv(name);
    char *end;
    if (s == NULL || s[0] == '\0')
        return fallback;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno == 0 && *end == '\0' && v >= 0 ? v : fallback;
}

static size_t output_cap(void)
{
    long cap = env_long("KIT_OUTPUT_CAP", (long)RUN_OUTPUT_CAP);
    return cap > 0 && (size_t)cap < RUN_OUTPUT_CAP ? (size_t)cap
                                                   : RUN_OUTPUT_CAP;
}

/* ---- output capture ------------------------------------------------ */

struct sink {
    int fd;
    char *buf;
    size_t len;
    bool truncated;
    size_t cap; /* bytes kept at most (output_cap()) */
};

/* Read what is available; returns false at end of file. */
static bool sink_read(struct sink *s)
{
    char chunk[65536];
    ssize_t n = read(s->fd, chunk, sizeof chunk);
    if (n == -1 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    size_t room = s->cap - s->len;
    size_t keep = (size_t)n < room ? (size_t)n : room;
    if (keep < (size_t)n)
        s->truncated = true;
    memcpy(s->buf + s->len, chunk, keep);
    s->len += keep;
    return true;
}

static bool has_sanitizer_report(const char *err)
{
    /* valgrind's reports are lines starting "==PID== " (with --quiet it
     * prints nothing else). */
    for (const char *p = strstr(err, "=="); p != NULL;
         p = strstr(p + 2, "==")) {
        const char *q = p + 2;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q > p + 2 && strncmp(q, "== ", 3) == 0 &&
            (p == err || p[-1] == '\n'))
            return true;
    }
    static const char *const marks[] = {
        "WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
        "ERROR: LeakSanitizer",     "runtime error:",
        "ThreadSanitizer: ",
    };
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(err, marks[i]) != NULL)
            return true;
    return false;
}

/* The child side: only async-signal-safe calls and _exit, never cr_*. */
static void exec_child(const char *path, const char *const argv[], int in,
                       int out, int err, long uid, long gid, char *const *env,
                       bool valgrind)
{
    setpgid(0, 0);
    /* The test process is single-threaded: putenv between fork and exec
     * is safe here. The strings live in the parent's memory, which the
     * child has a copy of until exec. */
    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        putenv(env[i]);
    /* Grading box: drop to the unprivileged user before anything else
     * (changing uid clears the parent-death signal, so that comes after). */
    if (uid >= 0 && (setgroups(0, NULL) == -1 || setgid((gid_t)gid) == -1 ||
                     setuid((uid_t)uid) == -1)) {
        static const char msg[] = "run_program: cannot drop privileges\n";
        ssize_t ignored = write(err, msg, sizeof msg - 1);
        (void)ignored;
        _exit(127);
    }
    /* Dispositions set to "ignore" survive exec (nohup ignores SIGHUP, a
     * script's background job SIGINT and SIGQUIT): give the program every
     * default, as a shell in a terminal would (lab 03 relies on SIGPIPE's,
     * lab 01's `hello -k 1` on SIGHUP's). SIGKILL and SIGSTOP, and the
     * signals the C library keeps for itself, are refused: no matter. */
    for (int sig = 1; sig <= SIGRTMAX; sig++)
        signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* If the test process dies, take the program with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (dup2(in, STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1 ||
        dup2(err, STDERR_FILENO) == -1)
        _exit(127);
    /* make valgrind: run the program under memcheck, children too. */
    if (valgrind) {
        /* Only definite leaks are shown and count: a program that exits
         * (on purpose, after a failed call) while threads run leaves their
         * stacks "possibly lost", which is not a bug. */
        const char *vg[RUN_MAX_ARGS + 9] = {"valgrind",
                                            "--quiet",
                                            "--error-exitcode=66",
                                            "--leak-check=full",
                                            "--show-leak-kinds=definite",
                                            "--errors-for-leak-kinds=definite",
                                            "--trace-children=yes",
                                            "--child-silent-after-fork=no",
                                            path};
        size_t n = 9;
        for (size_t i = 1; argv[i] != NULL && n < RUN_MAX_ARGS + 8; i++)
            vg[n++] = argv[i];
        vg[n] = NULL;
        execvp("valgrind", (char *const *)vg);
    } else {
        execv(path, (char *const *)argv);
    }
    static const char msg[] = "run_program: exec failed\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(127);
}

/* "prog arg ..." for messages, in r->desc, each argument quoted so that
 * the command can be pasted into a shell. */
static void describe(struct run_result *r, const char *const argv[])
{
    size_t used = 0, size = sizeof r->desc;
    for (size_t i = 0; argv[i] != NULL && used + 1 < size; i++) {
        if (i > 0)
            r->desc[used++] = ' ';
        used += run_shell_quote(r->desc + used, size - used, argv[i]);
    }
    r->desc[used < size ? used : size - 1] = '\0';
}

/* How one run is made: which build, what limit, which tool. */
struct launch {
    const char *san;  /* this program's own sanitizer build, or NULL */
    const char *path; /* the program to run */
    double timeout;   /* seconds, scaled */
    bool valgrind;    /* run it under memcheck */
    char *const *env; /* extra environment, NULL-terminated */
};

/* Pick the build and the time limit; the program must have been built. */
static void launch_plan(struct launch *l, const char *lab,
                        const char *const argv[], const struct run_opts *opts)
{
    /* A sanitizer run: its own build, unless the whole run already uses
     * that sanitizer's build (make tsan, make asan). */
    l->san = opts->sanitizer;
    if (l->san != NULL && run_sanitizer() != NULL &&
        strcmp(l->san, run_sanitizer()) == 0)
        l->san = NULL;
    l->path = l->san != NULL ? sanitizer_program_path(lab, argv[0], l->san)
                             : run_program_path(lab, argv[0]);
    /* make mutants builds the sanitizer twins only when the plain build's
     * tests could not tell (tests/tools/mutants.sh): until then, a test
     * that needs a twin is skipped, never failed. */
    if (access(l->path, X_OK) != 0 && l->san != NULL &&
        getenv("KIT_TWINS_OPTIONAL") != NULL)
        cr_skip_test("%s's %s build is not there (yet)", argv[0], l->san);
    if (access(l->path, X_OK) != 0)
        cr_assert_fail(
            "The program %s was not built (%s missing). Does it compile? "
            "Run make for this lab and read the compiler's errors.",
            argv[0], l->path);
    l->timeout = (opts->timeout > 0 ? opts->timeout : RUN_DEFAULT_TIMEOUT) *
                 run_timeout_scale();
    if (l->san != NULL && run_sanitizer() == NULL)
        l->timeout *= 10; /* sanitizer builds run several times slower */
    bool sanitized = l->san != NULL || run_sanitizer() != NULL;
    l->valgrind = getenv("KIT_VALGRIND") != NULL && !sanitized;
}

/* The extra environment: the test's, the sanitizer's options, and the
 * schedule perturber. Static storage: it must outlive the fork. */
static void launch_env(struct launch *l, const struct run_opts *opts)
{
    static char *env[64];
    static char preload[1100];
    size_t n_env = 0;
    for (size_t i = 0; opts->env != NULL && opts->env[i] != NULL && n_env < 60;
         i++)
        env[n_env++] = (char *)opts->env[i];
    if (l->san != NULL) {
        static char tsan[] = "TSAN_OPTIONS=exitcode=66 halt_on_error=0 "
                             "second_deadlock_stack=1";
        static char asan[] = "ASAN_OPTIONS=detect_leaks=1 exitcode=66";
        static char ubsan[] = "UBSAN_OPTIONS=print_stacktrace=1";
        if (strcmp(l->san, RUN_TSAN) == 0) {
            env[n_env++] = tsan;
        } else {
            env[n_env++] = asan;
            env[n_env++] = ubsan;
        }
    }
    bool sanitized = l->san != NULL || run_sanitizer() != NULL;
    if (opts->perturb && !sanitized) {
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s",
                 run_perturb_library());
        cr_assert(access(preload + strlen("LD_PRELOAD="), R_OK) == 0,
                  "The schedule perturber %s was not built (make builds it).",
                  preload + strlen("LD_PRELOAD="));
        env[n_env++] = preload;
    }
    env[n_env] = NULL;
    l->env = env;
}

/* A reproduction line being built; text past its size is dropped, and
 * the line then ends with "..." instead of running something else. */
struct line {
    char buf[16384];
    size_t used;
    bool full;
};

/* Append text (quoted for the shell unless raw), then a space. */
static void line_add(struct line *ln, const char *text, bool raw)
{
    size_t room = sizeof ln->buf - ln->used;
    size_t need = raw ? (size_t)snprintf(ln->buf + ln->used, room, "%s", text)
                      : run_shell_quote(ln->buf + ln->used, room, text);
    if (ln->full || need + 2 > room) {
        ln->full = true;
        ln->buf[ln->used] = '\0';
        return;
    }
    ln->used += need;
    ln->buf[ln->used++] = ' ';
    ln->buf[ln->used] = '\0';
}

/* NAME=value, the value quoted. */
static void line_assign(struct line *ln, const char *name, size_t name_len,
                        const char *value)
{
    char head[128];
    snprintf(head, sizeof head, "%.*s=", (int)name_len, name);
    line_add(ln, head, true);
    if (!ln->full)
        ln->used--; /* no space between = and the value */
    line_add(ln, value, false);
}

/* The program's extra environment: a whole-run sanitizer's options (make
 * check SAN=...), which it inherits, and the run's own. */
static void repro_env(struct line *ln, const struct launch *l)
{
    static const char *const inherited[] = {"TSAN_OPTIONS", "ASAN_OPTIONS",
                                            "UBSAN_OPTIONS"};
    for (size_t i = 0; run_sanitizer() != NULL && i < 3; i++) {
        const char *v = getenv(inherited[i]);
        if (v != NULL)
            line_assign(ln, inherited[i], strlen(inherited[i]), v);
    }
    for (size_t i = 0; l->env[i] != NULL; i++) {
        const char *eq = strchr(l->env[i], '=');
        if (eq != NULL)
            line_assign(ln, l->env[i], (size_t)(eq - l->env[i]), eq + 1);
    }
}

/* KIT_REPRO_LOG (see run.h): the run as one shell command, added to the
 * file: [printf INPUT |] NAME=value... [valgrind ...] path args [</dev/null] */
static void log_reproduction(const struct launch *l, const char *const argv[],
                             const char *input, size_t input_len)
{
    const char *file = getenv("KIT_REPRO_LOG");
    static struct line ln;
    if (file == NULL || file[0] == '\0')
        return;
    ln.used = 0;
    ln.full = false;
    ln.buf[0] = '\0';
    if (input_len > 0 && input_len < 4000) {
        static char in[4 * 4000 + 16];
        run_shell_input(in, sizeof in, input, input_len);
        line_add(&ln, in, true);
        line_add(&ln, "|", true);
    }
    repro_env(&ln, l);
    if (l->valgrind)
        line_add(&ln,
                 "valgrind --quiet --error-exitcode=66 --leak-check=full "
                 "--show-leak-kinds=definite --errors-for-leak-kinds=definite "
                 "--trace-children=yes --child-silent-after-fork=no",
                 true);
    line_add(&ln, l->path, false);
    for (size_t i = 1; argv[i] != NULL; i++)
        line_add(&ln, argv[i], false);
    line_add(&ln,
             input_len == 0     ? "</dev/null"
             : input_len < 4000 ? ""
                                : "# (and the test's input on stdin)",
             true);
    while (ln.used > 0 && ln.buf[ln.used - 1] == ' ')
        ln.buf[--ln.used] = '\0';
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd == -1)
        return;
    /* Cut short, it is no longer the command: show its start as a comment. */
    dprintf(fd, ln.full ? "# too long to show: %.300s ...\n" : "%s\n", ln.buf);
    close(fd);
}

/* A running program and the test's ends of its three pipes. */
struct child {
    pid_t pid;
    int in_fd; /* -1 once closed */
    struct sink out, err;
    bool out_open, err_open, exited;
    int status;
    struct rusage usage;
    double start;
};

/* Fork and exec the program in its own process group, stdin/stdout/stderr
 * on pipes. */
static void child_start(struct child *c, const struct launch *l,
                        const char *const argv[], bool has_input)
{
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (pipe(in_pipe) == -1 || pipe(out_pipe) == -1 || pipe(err_pipe) == -1)
        cr_assert_fail("pipe: %s", strerror(errno));
    long box_uid = env_long("KIT_RUN_UID", -1); /* grading box, see above */
    long box_gid = env_long("KIT_RUN_GID", box_uid);
    fflush(NULL); /* so the child does not inherit unwritten stdio data */
    c->start = now();
    c->pid = fork();
    if (c->pid == -1)
        cr_assert_fail("fork: %s", strerror(errno));
    if (c->pid == 0) {
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(err_pipe[0]);
        exec_child(l->path, argv, in_pipe[0], out_pipe[1], err_pipe[1], box_uid,
                   box_gid, l->env, l->valgrind);
    }
    setpgid(c->pid, c->pid); /* also here, so kill(-pid) works at once */
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    /* Our writes to a closed stdin must not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    c->in_fd = in_pipe[1];
    if (!has_input) {
        close(c->in_fd);
        c->in_fd = -1;
    } else {
        fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
    }
    size_t cap = output_cap();
    c->out = (struct sink){out_pipe[0], xmalloc(cap + 1), 0, false, cap};
    c->err = (struct sink){err_pipe[0], xmalloc(cap + 1), 0, false, cap};
    c->out_open = c->err_open = true;
    c->exited = false;
}

/* One round of poll: read what the program wrote, feed it input. */
static void child_pump(struct child *c, const char *input, size_t input_len,
                       size_t *in_done)
{
    struct pollfd p[3];
    nfds_t np = 0;
    if (c->out_open)
        p[np++] = (struct pollfd){c->out.fd, POLLIN, 0};
    if (c->err_open)
        p[np++] = (struct pollfd){c->err.fd, POLLIN, 0};
    if (c->in_fd != -1)
        p[np++] = (struct pollfd){c->in_fd, POLLOUT, 0};
    if (poll(p, np, 20) == -1 && errno != EINTR)
        cr_assert_fail("poll: %s", strerror(errno));
    for (nfds_t i = 0; i < np; i++) {
        if (p[i].revents == 0)
            continue;
        if (p[i].fd == c->out.fd) {
            c->out_open = sink_read(&c->out);
        } else if (p[i].fd == c->err.fd) {
            c->err_open = sink_read(&c->err);
        } else {
            ssize_t n = write(c->in_fd, input + *in_done, input_len - *in_done);
            if (n > 0)
                *in_done += (size_t)n;
            if ((n == -1 && errno != EAGAIN && errno != EINTR) ||
                *in_done == input_len) {
                close(c->in_fd);
                c->in_fd = -1;
            }
        }
    }
}

/* Until the program has ended and its pipes are closed (or a short grace
 * period after it ended), or its time is up: then kill its whole tree. */
static void child_wait(struct child *c, struct run_result *r, double timeout,
                       const char *input, size_t input_len)
{
    size_t in_done = 0;
    double deadline = c->start + timeout, drain_until = 0;
    while (c->out_open || c->err_open || !c->exited) {
        if (!c->exited &&
            wait4(c->pid, &c->status, WNOHANG, &c->usage) == c->pid) {
            c->exited = true;
            r->elapsed = now() - c->start;
            /* Whoever still holds our pipes is a leftover: do not wait
             * for it past a short grace period (longer under valgrind or
             * a sanitizer, whose processes take longer to end). */
            drain_until = now() + 0.5 * run_timeout_scale();
        }
        double t = now();
        if (!c->exited && t > deadline) {
            r->timed_out = true;
            r->elapsed = t - c->start;
            kill_tree(c->pid);
            wait4(c->pid, &c->status, 0, &c->usage);
            c->exited = true;
            break;
        }
        if (c->exited && t > drain_until)
            break;
        child_pump(c, input, input_len, &in_done);
    }
    if (c->in_fd != -1)
        close(c->in_fd);
}

/* Count and kill what the program left behind, and read what the
 * leftovers wrote before they died. Orphans and unreaped children are now
 * our children (we are their subreaper). */
static void child_leftovers(struct child *c, struct run_result *r)
{
    static struct proc table[MAX_PROCS];
    static bool mark[MAX_PROCS];
    size_t n = proc_table(table, MAX_PROCS);
    descendants(table, n, getpid(), mark, &r->left_running, &r->left_zombies);
    if (r->timed_out)
        r->left_running = r->left_zombies = 0; /* killed on purpose */
    kill_tree(c->pid);
    fcntl(c->out.fd, F_SETFL, O_NONBLOCK);
    fcntl(c->err.fd, F_SETFL, O_NONBLOCK);
    while (c->out_open && sink_read(&c->out) && c->out.len < c->out.cap)
        if (poll(&(struct pollfd){c->out.fd, POLLIN, 0}, 1, 0) <= 0)
            break;
    while (c->err_open && sink_read(&c->err) && c->err.len < c->err.cap)
        if (poll(&(struct pollfd){c->err.fd, POLLIN, 0}, 1, 0) <= 0)
            break;
    close(c->out.fd);
    close(c->err.fd);
}

/* Remove the /dev/shm objects that were not there before, naming them in
 * r->left_shm. */
static void remove_new_shm(struct run_result *r, const struct names *before)
{
    static struct names after;
    shm_snapshot(&after);
    size_t shm_used = 0;
    for (size_t i = 0; i < after.n; i++) {
        if (names_has(before, after.name[i]))
            continue;
        char shm_path[300];
        snprintf(shm_path, sizeof shm_path, "/dev/shm/%s", after.name[i]);
        unlink(shm_path);
        if (shm_used < sizeof r->left_shm - 1)
            shm_used += (size_t)snprintf(
                r->left_shm + shm_used, sizeof r->left_shm - shm_used,
                shm_used ? " %s" : "%s", after.name[i]);
    }
}

/* Fill the result from the ended child: output, status, resources. */
static void child_result(struct child *c, struct run_result *r)
{
    c->out.buf[c->out.len] = '\0';
    c->err.buf[c->err.len] = '\0';
    r->out = c->out.buf;
    r->out_len = c->out.len;
    r->err = c->err.buf;
    r->err_len = c->err.len;
    r->truncated = c->out.truncated || c->err.truncated;
    const char *notes = getenv("KIT_RUN_NOTES"); /* grading box, see above */
    if (r->truncated && notes != NULL && notes[0] != '\0') {
        FILE *f = fopen(notes, "a");
        if (f != NULL) {
            fprintf(f,
                    "`%.200s` wrote more than %zu bytes on %s: the rest was "
                    "thrown away\n",
                    r->desc, c->out.cap,
                    c->out.truncated ? "stdout" : "stderr");
            fclose(f);
        }
    }
    if (!r->timed_out && WIFEXITED(c->status))
        r->exit_code = WEXITSTATUS(c->status);
    if (WIFSIGNALED(c->status) && !r->timed_out)
        r->signal = WTERMSIG(c->status);
    r->sanitizer_report = has_sanitizer_report(r->err);
    const struct rusage *u = &c->usage;
    r->cpu_seconds =
        (double)u->ru_utime.tv_sec + (double)u->ru_utime.tv_usec / 1e6 +
        (double)u->ru_stime.tv_sec + (double)u->ru_stime.tv_usec / 1e6;
    r->max_rss_kb = u->ru_maxrss;
}

/* Fail the test (cr_expect) on a sanitizer or valgrind report, and on
 * leftovers, unless the test allows them. */
static void expect_clean(const struct run_result *r,
                         const struct run_opts *opts, const struct launch *l)
{
    bool tsan = l->san != NULL && strcmp(l->san, RUN_TSAN) == 0;
    if (!opts->allow_sanitizer)
        cr_expect(!r->sanitizer_report,
                  "`%s`%s: %s reported a problem (%s). Its report, on "
                  "stderr:\n%.3000s%s%s",
                  r->desc,
                  l->san != NULL ? (tsan ? " (built with -fsanitize=thread)"
                                         : " (built with -fsanitize=address,"
                                           "undefined)")
                                 : "",
                  l->valgrind ? "valgrind" : "a sanitizer",
                  tsan ? "a data race: two threads touched the same memory, "
                         "at least one writing, with no lock or atomic "
                         "between them; the report names both places"
                       : "a memory error, undefined behaviour, a leak or a "
                         "data race; the report's first lines say which and "
                         "where",
                  r->err, opts->hint != NULL ? "\nHint: " : "",
                  opts->hint != NULL ? opts->hint : "");
    if (opts->allow_leftovers)
        return;
    cr_expect(r->left_running == 0,
              "`%s` ended but left %d process(es) running. Every process "
              "must end, and every parent must wait for its children "
              "(waitpid) before it ends.",
              r->desc, r->left_running);
    cr_expect(r->left_zombies == 0,
              "`%s` ended without reaping %d child process(es): they "
              "stayed zombies. Call waitpid() for every child you fork.",
              r->desc, r->left_zombies);
    cr_expect(r->left_shm[0] == '\0',
              "`%s` left shared-memory objects in /dev/shm: %s. Call "
              "shm_unlink()/sem_unlink() for every name you create, on "
              "every path out of the program.",
              r->desc, r->left_shm);
}

struct run_result *run_program(const char *lab, const char *const argv[],
                               const struct run_opts *opts)
{
    static const struct run_opts defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    struct run_result *r = xmalloc(sizeof *r);
    memset(r, 0, sizeof *r);
    r->exit_code = -1;
    describe(r, argv);

    struct launch l;
    launch_plan(&l, lab, argv, opts);
    launch_env(&l, opts);
    /* Orphans of the program are re-parented to us, not to init. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
        cr_assert_fail("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));

    static struct names before;
    shm_snapshot(&before);
    const char *input = opts->input;
    size_t input_len = input == NULL     ? 0
                       : opts->input_len ? opts->input_len
                                         : strlen(input);
    struct child c = {0};
    log_reproduction(&l, argv, input, input_len);
    child_start(&c, &l, argv, input_len > 0);
    child_wait(&c, r, l.timeout, input, input_len);
    child_leftovers(&c, r);
    remove_new_shm(r, &before);
    child_result(&c, r);
    expect_clean(r, opts, &l);
    return r;
}

void run_free(struct run_result *r)
{
    if (r == NULL)
        return;
    free(r->out);
    free(r->err);
    free(r);
}

char **run_lines(const char *text, size_t *count)
{
    size_t n = 0, cap = 16;
    char **lines = xmalloc(cap * sizeof *lines);
    const char *p = text;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (n + 1 >= cap) {
            cap *= 2;
            char **bigger = realloc(lines, cap * sizeof *lines);
            if (bigger == NULL)
                abort();
            lines = bigger;
        }
        lines[n] = xmalloc(len + 1);
        memcpy(lines[n], p, len);
        lines[n][len] = '\0';
        n++;
        p += len + (nl != NULL);
    }
    lines[n] = NULL;
    if (count != NULL)
        *count = n;
    return lines;
}

void run_free_lines(char **lines)
{
    for (size_t i = 0; lines != NULL && lines[i] != NULL; i++)
        free(lines[i]);
    free(lines);
}

size_t run_count_lines(const char *text, const char *needle)
{
    size_t count = 0;
    char **lines = run_lines(text, NULL);
    for (size_t i = 0; lines[i] != NULL; i++)
        if (strstr(lines[i], needle) != NULL)
            count++;
    run_free_lines(lines);
    return count;
}

bool run_says_status(const char *text, int n)
{
    char want[32];
    int len = snprintf(want, sizeof want, "status %d", n);
    for (const char *p = strstr(text, want); p != NULL; p = strstr(p + 1, want))
        if (p[len] < '0' || p[len] > '9')
            return true;
    return false;
}

const char *run_how_ended(const struct run_result *r)
{
    static char how[128];
    if (r->timed_out)
        snprintf(how, sizeof how, "did not finish within %.1f s and was killed",
                 r->elapsed);
    else if (r->signal != 0)
        snprintf(how, sizeof how, "was killed by signal %d (%s)", r->signal,
                 strsignal(r->signal));
    else
        snprintf(how, sizeof how, "exited with status %d", r->exit_code);
    return how;
}

const char *run_line_starting(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p != NULL && *p != '\0';) {
        if (strncmp(p, prefix, n) == 0)
            return p;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return NULL;
}

void run_expect_success(const struct run_result *r, const char *hint)
{
    cr_assert_eq(r->exit_code, 0,
                 "`%s` %s; expected it to exit with status 0. Its stderr:\n"
                 "%.2000s\nIts output:\n%.2000s\nHint: %s",
                 r->desc, run_how_ended(r), r->err, r->out, hint);
}
