/*
 * bench.h - measure a piece of work, and write what was measured to a file
 * that gnuplot reads directly.
 *
 * A single timing means little: the first run pays for cold caches and page
 * faults, and any run can be slowed by another program. So bench_run() runs
 * the work a few times first without timing it (the warm-up), then times
 * every run and reports the MEDIAN (what a typical run takes, untouched by
 * one unlucky run), with the MINIMUM and MAXIMUM to show the spread:
 *
 *     struct bench_result r;
 *     bench_run(work, &args, 1, 5, true, &r);   (1 warm-up, 5 timed runs)
 *     printf("median %.3f s (%.3f..%.3f)\n", r.median, r.min, r.max);
 *
 * Wall time comes from the monotonic clock (timing_now). CPU time, when
 * asked for, is user + system time of this process (all its threads) and
 * of the children it has waited for during the run (getrusage): more CPU
 * time than wall time means more than one core was working.
 *
 * THE DATA FILE FORMAT (the one place it is described)
 *
 * A plain text file, one measurement per line, fields separated by spaces,
 * lines starting with '#' are comments (gnuplot skips them):
 *
 *     # kit-bench data file
 *     # title: factorize 300 odd numbers from 9999999999999
 *     # host: lab-pc-07
 *     # cores: 2
 *     # cpu: AMD EPYC 7B13
 *     # compiler: gcc 12.2.0
 *     # flags: -std=c17 -O2 ...
 *     # date: 2026-11-22T04:31:07Z
 *     # runs: 5 timed after 1 warm-up
 *     # columns: variant workers median min max cpu_median cpu_min cpu_max
 *     serial 1 1.2301 1.2288 1.2410 1.2290 1.2280 1.2400
 *     threads 2 0.6212 0.6190 0.6300 1.2350 1.2300 1.2500
 *
 * Columns (gnuplot's $1, $2, ...): 1 variant, a single word (serial,
 * threads, processes, naive-threads, ...; strcol(1) in gnuplot); 2 workers,
 * the number of threads or processes (1 for serial); 3-5 median, minimum
 * and maximum wall time in seconds; 6-8 median, minimum and maximum CPU
 * time in seconds, or -1 when CPU time was not measured. One row per
 * variant and worker count. The comment lines "cores:", "cpu:" and "date:"
 * say where and when it was measured; a plot script can read them with
 * e.g. system("sed -n 's/^# cpu: //p' file"). "flags:" is the environment
 * variable BENCH_CFLAGS when set (the kit's plots.mk sets it to the flags
 * it builds with), else what the compiler lets the program see of them.
 */
#ifndef KIT_BENCH_H
#define KIT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define BENCH_MAX_RUNS 1000 /* timed runs per measurement, at most */

/* What bench_run measured. Times in seconds. */
struct bench_result {
    int runs;                            /* timed runs (warm-ups excluded) */
    double median, min, max;             /* wall time per run */
    double cpu_median, cpu_min, cpu_max; /* CPU time per run, or -1 */
};

/* Run work(arg) warmups times untimed, then runs times timed (1..
 * BENCH_MAX_RUNS), and fill *out. With cpu set, also measure CPU time of
 * this process and of the children the work waited for. Exits with a
 * message if a clock cannot be read or runs is out of range. */
void bench_run(void (*work)(void *arg), void *arg, int warmups, int runs,
               bool cpu, struct bench_result *out);

/* The median of count values (count >= 1); values gets sorted. */
double bench_median(double *values, size_t count);

/* The number of cores online (at least 1). */
int bench_cores(void);

/* Fill buf with "<cores> cores, <cpu model>", e.g. "2 cores, AMD EPYC",
 * for the lines a program prints and the titles of charts. */
void bench_machine(char *buf, size_t len);

/* Parse a comma-separated list of whole numbers in [min, max], such as
 * "2,4,8", into out (at most max_count of them); return how many. On bad
 * input print "prog: <name>: ..." and the usage line, and exit 2. */
int bench_parse_list(const char *s, long min, long max, long *out,
                     int max_count, const char *name, const char *usage);

/* Create (or truncate) the data file path and write the header comments:
 * title, host, cores, CPU model, compiler, flags, date, runs and warmups,
 * and the columns line. Exits with "prog: path: reason" on failure. */
FILE *bench_data_open(const char *path, const char *title, int warmups,
                      int runs);

/* Append one row: the variant (one word, no spaces), the worker count and
 * the measurement. */
void bench_data_row(FILE *file, const char *variant, int workers,
                    const struct bench_result *r);

/* Close the data file; exits with a message if the data could not be
 * written (a full disk shows up here). path is for the message. */
void bench_data_close(FILE *file, const char *path);

#endif
