/*
 * errors.h - report a failed call and stop, the way every kit program does.
 *
 * The kit checks every system call where it is made, visibly:
 *
 *     if ((pid = fork()) == -1)
 *         die("fork");
 *
 * and every pthread call, which returns its error instead of setting errno:
 *
 *     if ((err = pthread_create(&t, NULL, run, arg)) != 0)
 *         die_errnum(err, "pthread_create");
 *
 * Exit statuses mean something: 0 success, 1 a failed call, 2 bad usage.
 * Messages read "prog: what: strerror" on stderr, with prog taken from
 * errors_set_progname(argv[0]) (call it first thing in main).
 */
#ifndef KIT_ERRORS_H
#define KIT_ERRORS_H

#define EXIT_USAGE 2 /* bad command line, as the shell's builtins use it */

/* Remember the program's name (the last part of argv0) for messages. */
void errors_set_progname(const char *argv0);

/* The name set by errors_set_progname(), or "prog" if it was never set. */
const char *errors_progname(void);

/* Print "prog: what: strerror(errno)" and exit(1). For errno-setting calls. */
_Noreturn void die(const char *what);

/* Print "prog: what: strerror(errnum)" and exit(1). For pthread_* calls,
 * which return the error number and leave errno alone. */
_Noreturn void die_errnum(int errnum, const char *what);

/* Like die(), but ends with _exit(1): for a forked child, which must not
 * run the parent's atexit handlers or flush a copy of its stdio buffers. */
_Noreturn void die_child(const char *what);

/* Like die_errnum(), but ends with _exit(1): for a forked child. */
_Noreturn void die_child_errnum(int errnum, const char *what);

/* Print "prog: <message>" then "usage: prog <usage>" and exit(2).
 * message is a printf format; usage is the synopsis after the name. */
_Noreturn void die_usage(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print only the usage line and exit(2): for getopt's '?', after getopt
 * itself has said which option was wrong or lacked its argument. */
_Noreturn void die_bad_option(const char *usage);

/* Print "prog: <message>" (a printf format, no errno) and exit(1): for a
 * failure that is not a failed call (a worker that sent a bad result, a
 * check that found a wrong answer). Flushes stdout first, so that what the
 * program printed so far comes out before it stops. */
_Noreturn void die_msg(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Like die_msg(), but ends with _exit(1): for a forked child. It flushes
 * the child's stdout first (the kit flushes stdout before every fork, so
 * that buffer holds only the child's own lines). */
_Noreturn void die_child_msg(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Print "prog: what: strerror(errno)" and return: for a failure the
 * program reports but survives (a cleanup step, say). */
void warn_errno(const char *what);

#endif
