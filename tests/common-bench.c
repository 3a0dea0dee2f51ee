/*
 * common-bench.c - unit tests of the timing helper (common/bench.h):
 * warm-up and timed runs, median/min/max, CPU time, the list parser and
 * the data file that gnuplot reads.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "timing.h"

TestSuite(common_bench, .timeout = 20);

struct counter {
    int calls;
    double sleep; /* seconds each call sleeps */
    double spin;  /* CPU seconds each call burns */
};

static void count_and_sleep(void *arg)
{
    struct counter *c = arg;
    c->calls++;
    timing_sleep(c->sleep);
    /* Spin on this process's CPU clock, not the wall clock: on a busy
     * machine 50 ms of wall time may hold only a few ms of CPU. */
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    double end = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + c->spin;
    do
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    while ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 < end);
}

Test(common_bench, runs_warmups_then_timed_runs)
{
    struct counter c = {.sleep = 0.01};
    struct bench_result r;
    bench_run(count_and_sleep, &c, 2, 5, false, &r);
    cr_assert_eq(c.calls, 7,
                 "2 warm-ups + 5 timed runs: expected 7 calls, "
                 "saw %d",
                 c.calls);
    cr_assert_eq(r.runs, 5);
    cr_assert_geq(r.min, 0.01, "each run sleeps 10 ms; min was %.4f s", r.min);
    cr_assert(r.min <= r.median && r.median <= r.max,
              "expected min <= median <= max, saw %.4f %.4f %.4f", r.min,
              r.median, r.max);
    cr_assert_eq(r.cpu_median, -1, "CPU time not asked for must read -1");
}

Test(common_bench, cpu_time_counts_busy_work_not_sleep)
{
    struct counter busy = {.spin = 0.05};
    struct bench_result r;
    bench_run(count_and_sleep, &busy, 0, 3, true, &r);
    cr_assert_gt(r.cpu_median, 0.04,
                 "50 ms of CPU spent spinning should show as CPU time; saw "
                 "%.4f s",
                 r.cpu_median);
    struct counter lazy = {.sleep = 0.05};
    bench_run(count_and_sleep, &lazy, 0, 3, true, &r);
    cr_assert_lt(r.cpu_median, 0.03,
                 "50 ms of sleeping costs no CPU time; saw %.4f s",
                 r.cpu_median);
}

Test(common_bench, median_of_odd_and_even_counts)
{
    double odd[] = {5, 1, 3};
    cr_assert_float_eq(bench_median(odd, 3), 3, 1e-12);
    double even[] = {4, 1, 3, 2};
    cr_assert_float_eq(bench_median(even, 4), 2.5, 1e-12);
    double one[] = {7};
    cr_assert_float_eq(bench_median(one, 1), 7, 1e-12);
}

Test(common_bench, machine_says_cores_and_cpu)
{
    char buf[300];
    bench_machine(buf, sizeof buf);
    int cores = 0;
    cr_assert(sscanf(buf, "%d core", &cores) == 1 && cores == bench_cores(),
              "expected '<cores> cores, <model>', saw '%s'", buf);
    cr_assert(strstr(buf, ", ") != NULL && strlen(buf) > 9,
              "no CPU model in '%s'", buf);
}

Test(common_bench, parses_worker_lists)
{
    long v[8];
    cr_assert_eq(bench_parse_list("2,4,8", 1, 64, v, 8, "w", "[-w list]"), 3);
    cr_assert(v[0] == 2 && v[1] == 4 && v[2] == 8);
    cr_assert_eq(bench_parse_list("16", 1, 64, v, 8, "w", "[-w list]"), 1);
    cr_assert_eq(v[0], 16);
}

Test(common_bench, bad_list_exits_2, .exit_code = 2, .init = cr_redirect_stderr)
{
    long v[8];
    bench_parse_list("2,,8", 1, 64, v, 8, "workers", "[-w list]");
    cr_assert_fail("a list with an empty item was accepted");
}

Test(common_bench, out_of_range_item_exits_2, .exit_code = 2,
     .init = cr_redirect_stderr)
{
    long v[8];
    bench_parse_list("2,65", 1, 64, v, 8, "workers", "[-w list]");
    cr_assert_fail("65 was accepted in 1..64");
}

Test(common_bench, data_file_has_machine_comments_and_rows)
{
    char path[] = "/tmp/kit-bench-test-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1);
    close(fd);
    FILE *f = bench_data_open(path, "unit test", 1, 3);
    struct bench_result r = {.runs = 3,
                             .median = 0.5,
                             .min = 0.25,
                             .max = 0.75,
                             .cpu_median = -1,
                             .cpu_min = -1,
                             .cpu_max = -1};
    bench_data_row(f, "serial", 1, &r);
    bench_data_row(f, "threads", 2, &r);
    bench_data_close(f, path);

    f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[512];
    int rows = 0;
    const char *want[] = {"# title: unit test",
                          "# cores: ",
                          "# cpu: ",
                          "# compiler: ",
                          "# flags: ",
                          "# date: 20",
                          "# columns: variant workers median min max"};
    bool seen[sizeof want / sizeof want[0]] = {false};
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#') {
            for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
                if (strncmp(line, want[i], strlen(want[i])) == 0)
                    seen[i] = true;
            continue;
        }
        char variant[32];
        int workers;
        double med, lo, hi, cmed;
        cr_assert_eq(sscanf(line, "%31s %d %lf %lf %lf %lf", variant, &workers,
                            &med, &lo, &hi, &cmed),
                     6, "a data row gnuplot cannot read: %s", line);
        cr_assert(med == 0.5 && lo == 0.25 && hi == 0.75 && cmed == -1);
        rows++;
    }
    fclose(f);
    unlink(path);
    cr_assert_eq(rows, 2, "expected 2 data rows, saw %d", rows);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert(seen[i], "no header line starting '%s'", want[i]);
}
