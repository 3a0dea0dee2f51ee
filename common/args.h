/*
 * args.h - checked parsing of numeric command-line arguments.
 *
 * Never atoi(): it turns "12abc" into 12 and "abc" into 0 without a word.
 * These parse the whole string with strtol/strtod, check the range, and
 * either tell the caller (args_parse_*) or stop the program with a usage
 * message and exit status 2 (arg_long, arg_double):
 *
 *     long depth = arg_long(optarg, 0, 10, "depth", USAGE);
 */
#ifndef KIT_ARGS_H
#define KIT_ARGS_H

/* Why a parse failed. */
enum args_error {
    ARGS_OK = 0,
    ARGS_EMPTY,      /* NULL or "" */
    ARGS_NOT_NUMBER, /* junk, or trailing junk: "x", "12abc", "1.5" for a long
                      */
    ARGS_RANGE,      /* a number, but outside [min, max] (or overflowing) */
};

/* Parse all of s as a base-10 long in [min, max] into *out.
 * Leading white space and a sign are accepted, nothing after the digits.
 * Returns ARGS_OK, or the reason; *out is written only on success. */
enum args_error args_parse_long(const char *s, long min, long max, long *out);

/* Parse all of s as a finite double in [min, max] into *out; same rules. */
enum args_error args_parse_double(const char *s, double min, double max,
                                  double *out);

/* A sentence for an error: "is not a number", ... */
const char *args_strerror(enum args_error e);

/* Parse or die: on failure print "prog: <name>: '<s>' <reason> (<min>..<max>)"
 * and the usage line, then exit(2). usage is the synopsis after the name. */
long arg_long(const char *s, long min, long max, const char *name,
              const char *usage);
double arg_double(const char *s, double min, double max, const char *name,
                  const char *usage);

/* -h and --help: every kit program answers them with its usage line on
 * stdout and exit status 0 (asking for help is not an error). Call
 * args_help_requested() first thing in main, before getopt, so that
 * "--help" works too (getopt alone knows only one-letter options):
 *
 *     if (args_help_requested(argc, argv))
 *         args_help(USAGE);
 *
 * It looks at the arguments up to a lone "--" for "-h" or "--help". */
int args_help_requested(int argc, char *const argv[]);

/* Print "usage: prog <usage>" on stdout and exit(0). */
_Noreturn void args_help(const char *usage);

#endif
