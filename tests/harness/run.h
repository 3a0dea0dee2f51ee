/*
 * run.h - run a lab program as its own process, from a Criterion test.
 *
 * Student code never runs inside the test process: a child that returns
 * into a test body or calls cr_* hangs Criterion, and an exit(0) there
 * counts as a pass. So every whole-program check goes through run_program(),
 * which:
 *
 *   - starts <KIT_BIN_ROOT>/<lab>/<prog> with the given arguments, in a
 *     process group of its own, stdin from a buffer or /dev/null;
 *   - captures stdout and stderr (each capped at RUN_OUTPUT_CAP bytes);
 *   - enforces a wall-clock timeout, then kills the program's whole process
 *     tree (the test process is a child subreaper, so orphans come back to
 *     it instead of init, and can be found and killed);
 *   - reports what the program left behind: live descendants, unreaped
 *     (zombie) children, new /dev/shm objects; then kills, reaps and
 *     removes them, so no test leaves anything behind;
 *   - fails the test (cr_expect) on leftovers and on sanitizer reports,
 *     unless the options say the test expects them.
 *
 * Environment: KIT_BIN_ROOT (default "build/ref") selects which build is
 * tested (reference, student, tsan, asan); KIT_TIMEOUT_SCALE (default 1)
 * multiplies every timeout, for slow sanitizer builds; KIT_SANITIZER
 * ("tsan", "asan") says which sanitizer the programs were built with;
 * KIT_VALGRIND (any value) runs every program under valgrind's memcheck,
 * whose reports count like a sanitizer's. KIT_TWINS_OPTIONAL (any value;
 * make mutants) skips a test whose sanitizer build is not there instead
 * of failing it.
 *
 * Sanitizer builds sit beside the build under test: for KIT_BIN_ROOT
 * build/student they are build/student-tsan and build/student-asan (the
 * Makefile builds them with make test, make check and make mutants). A
 * test that sets opts.sanitizer = RUN_TSAN runs the program from there,
 * whichever code is under test, so a student's own code is checked for
 * races and leaks, not only the reference.
 *
 * Typical use, with LAB defined at the top of the test file:
 *
 *     struct run_result *r = RUN("hello", "-n", "3");
 *     cr_assert_eq(r->exit_code, 0, "...");
 *     run_free(r);
 */
#ifndef KIT_TEST_RUN_H
#define KIT_TEST_RUN_H

#include <stdbool.h>
#include <stddef.h>

#define RUN_OUTPUT_CAP (8u << 20) /* bytes kept per stream; more is dropped */
#define RUN_DEFAULT_TIMEOUT 10.0  /* seconds, before KIT_TIMEOUT_SCALE */
#define RUN_MAX_ARGS 64           /* arguments passed on under valgrind */

struct run_opts {
    double timeout;         /* seconds; 0 means RUN_DEFAULT_TIMEOUT */
    const char *input;      /* written to stdin, then closed; NULL: /dev/null */
    size_t input_len;       /* bytes of input; 0 with input set: strlen */
    bool allow_leftovers;   /* do not fail the test on leftovers */
    bool allow_sanitizer;   /* a sanitizer report is expected (a lab's
                               deliberate race): do not fail on it */
    const char *sanitizer;  /* RUN_TSAN or RUN_ASAN: run the program from
                               that sanitizer build of the code under test
                               (timeout scaled); NULL: the plain build */
    const char *hint;       /* added to the message when a sanitizer
                               reports (say, which TODO to look at) */
    const char *const *env; /* extra "NAME=value" entries for the program,
                               NULL-terminated; NULL: none */
    bool perturb; /* preload the schedule perturber (perturb.c): yields
                     and short sleeps around locks, waits and wake-ups,
                     so that a race shows on (nearly) every run. Ignored
                     for sanitizer runs, whose runtimes have their own
                     interceptors (valgrind's memcheck runs it fine). */
};

#define RUN_TSAN "tsan" /* ThreadSanitizer: data races, lock misuse */
#define RUN_ASAN "asan" /* AddressSanitizer + LeakSanitizer + UBSan */

struct run_result {
    char desc[1024]; /* "hello -n 3", for messages: each argument quoted
                        for the shell (run_shell_quote) */
    int exit_code;   /* exit status, or -1 if it did not exit */
    int signal;      /* terminating signal, or 0 */
    bool timed_out;  /* killed by the harness at the timeout */
    double elapsed;  /* wall seconds from start to end of main */
    char *out, *err; /* captured output, NUL-terminated */
    size_t out_len, err_len;
    bool truncated;        /* output went past RUN_OUTPUT_CAP */
    int left_running;      /* descendants still running after it ended */
    int left_zombies;      /* children it never reaped */
    char left_shm[512];    /* new /dev/shm names, space-separated */
    bool sanitizer_report; /* ASan/UBSan/TSan/LSan wrote a report */
    double cpu_seconds;    /* user + system CPU time of the program and of
                              the descendants it reaped (compare with
                              elapsed: a waiter that spins burns CPU) */
    long max_rss_kb;       /* largest resident set of the program or a
                              reaped descendant, in KiB */
};

/* arg quoted for a POSIX shell, so that pasting it gives exactly this one
 * argument: as it is when it holds only characters no shell treats
 * specially, else in single quotes ('' for an empty argument, '\'' for a
 * quote inside). Writes at most size bytes with the NUL, like snprintf,
 * and returns the length it needed. */
size_t run_shell_quote(char *buf, size_t size, const char *arg);

/* A shell command that writes the len bytes of input exactly, as
 * printf 'FORMAT' (octal escapes for anything not printable, and for ',
 * \ and %). Same contract as run_shell_quote. */
size_t run_shell_input(char *buf, size_t size, const char *input, size_t len);

/* Environment: KIT_REPRO_LOG=FILE makes run_program add to FILE, for every
 * run, one line: a shell command that runs the program again exactly as it
 * ran (its environment, the build, valgrind, the arguments, its stdin),
 * from the kit's top folder. make check shows the failing test's last one.
 *
 * Run prog from lab with argv (argv[0] is prog; NULL-terminated).
 * opts may be NULL. Never returns NULL (allocation failure aborts). */
struct run_result *run_program(const char *lab, const char *const argv[],
                               const struct run_opts *opts);

void run_free(struct run_result *r);

/* The timeout scale from KIT_TIMEOUT_SCALE (>= 1). */
double run_timeout_scale(void);

/* "tsan" or "asan" when the programs under test were built with that
 * sanitizer (KIT_SANITIZER, set by make tsan / make asan), else NULL. */
const char *run_sanitizer(void);

/* Whether a program's CPU time says whether it spins: not under valgrind
 * or a whole-run sanitizer build (make valgrind, make tsan, make asan),
 * whose own work costs far more CPU than a waiting program. Tests that
 * compare cpu_seconds with elapsed check only when this is true. */
bool run_cpu_is_measurable(void);

/* Path of the schedule perturber library (static buffer); next to the
 * test binary. */
const char *run_perturb_library(void);

/* Path of a lab program in the build under test (static buffer). */
const char *run_program_path(const char *lab, const char *prog);

/* Split text into lines (the newlines removed). Returns a NULL-terminated
 * array owned by the caller: free with run_free_lines(). *count may be NULL. */
char **run_lines(const char *text, size_t *count);
void run_free_lines(char **lines);

/* The first line of text that starts with prefix (a pointer into text),
 * or NULL. */
const char *run_line_starting(const char *text, const char *prefix);

/* Fail the test unless the program exited with status 0; the message says
 * how it ended, shows its stderr and stdout, and ends with hint (say, the
 * TODO to look at). */
void run_expect_success(const struct run_result *r, const char *hint);

/* How many lines of text contain needle. */
size_t run_count_lines(const char *text, const char *needle);

/* Whether text says "status N" with no digit after the number: "exited
 * with status 3" says 3; the raw "status 768" and "status 30" do not. */
bool run_says_status(const char *text, int n);

/* Short description of how the program ended: "exited with status 1",
 * "was killed by signal 11 (Segmentation fault)", "timed out after 5.0 s". */
const char *run_how_ended(const struct run_result *r);

#define RUN(...)                                                               \
    run_program(LAB, (const char *const[]){__VA_ARGS__, NULL}, NULL)
#define RUN_WITH(opts, ...)                                                    \
    run_program(LAB, (const char *const[]){__VA_ARGS__, NULL}, (opts))

#endif
