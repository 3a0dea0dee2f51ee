/*
 * Lab 15 - MPI: the factorization (static blocks) and the prime sums
 * (master/worker) across MPI ranks. Every MPI job runs as a subprocess of
 * the harness through the driver tests/15-mpi/mpilaunch.c (`mpilaunch N
 * prog args...` execs `mpirun -np N prog args...`), never inside the
 * Criterion process; the harness's timeout and leftover check cover
 * mpirun, its proxies and every rank.
 *
 * The tests recompute every answer themselves (trial division, a sieve)
 * and compare; nothing a process with student code prints is taken as a
 * verdict. Faults come from the lab's hooks: KIT_MPI_CRASH_RANK=r (rank r
 * kills itself with SIGKILL when it starts work), KIT_MPI_WRONG_RANK=r
 * (rank r gets an answer wrong), KIT_MPI_SLOW_RANK=r (rank r sleeps
 * 300 ms per task). Speed only as a bound that the sleeps set.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

#define LAB "15-mpi"
#define MAX_ARGV 24
#define MAX_ITEMS 128

TestSuite(lab15_hello, .timeout = 60);
TestSuite(lab15_factor, .timeout = 90);
TestSuite(lab15_primes, .timeout = 90);
TestSuite(lab15_faults, .timeout = 60);

/* Run `mpilaunch np prog args...` (args NULL-terminated) with opts. */
static struct run_result *mpi_run(const struct run_opts *opts, int np,
                                  const char *prog, const char *const *args)
{
    const char *argv[MAX_ARGV];
    char npstr[8];
    snprintf(npstr, sizeof npstr, "%d", np);
    int k = 0;
    argv[k++] = "mpilaunch";
    argv[k++] = npstr;
    argv[k++] = prog;
    for (; args != NULL && *args != NULL && k < MAX_ARGV - 1; args++)
        argv[k++] = *args;
    argv[k] = NULL;
    return run_program(LAB, argv, opts);
}

#define MPI_RUN(opts, np, prog, ...)                                           \
    mpi_run((opts), (np), (prog), (const char *const[]){__VA_ARGS__, NULL})

/* The job must have ended by itself with status 0. */
static void expect_ok(const struct run_result *r, const char *hint)
{
    cr_assert(!r->timed_out,
              "`%s` never ended: a rank waits for a message that never "
              "comes (a worker never told to stop? a collective call that "
              "not every rank makes?).\nOutput so far:\n%.1500s\nHint: %s",
              r->desc, r->out, hint);
    run_expect_success(r, hint);
}

/* ---- hello, and the cost of a start --------------------------------- */

Test(lab15_hello, every_rank_says_hello_once_in_rank_order_with_its_own_pid)
{
    for (int np = 1; np <= 4; np++) {
        struct run_result *r = mpi_run(NULL, np, "mpihello", NULL);
        expect_ok(r, "TODO(15.1)");
        /* Only the hello lines: an MPI library may add lines of its own
         * (UCX complains of a missing /sys in the grading box). */
        char **all = run_lines(r->out, NULL), *lines[8];
        size_t n = 0;
        for (char **l = all; *l != NULL; l++)
            if (strncmp(*l, "hello from", 10) == 0 && n < 8)
                lines[n++] = *l;
        cr_assert_eq(n, (size_t)np,
                     "`%s`: expected %d lines (one per rank, printed by rank "
                     "0), saw %zu:\n%s\nHint: TODO(15.1).",
                     r->desc, np, n, r->out);
        long pids[4];
        for (int k = 0; k < np; k++) {
            int rank, size;
            long pid;
            int got = sscanf(lines[k], "hello from rank %d of %d, pid %ld",
                             &rank, &size, &pid);
            cr_assert(got == 3 && rank == k && size == np && pid > 0,
                      "`%s`: line %d should be 'hello from rank %d of %d, "
                      "pid <its pid>, on <host>', saw '%s'.\nHint: "
                      "TODO(15.1): MPI_Gather puts rank r's record at "
                      "all[r]; the receive count is one record, not all.",
                      r->desc, k + 1, k, np, lines[k]);
            for (int j = 0; j < k; j++)
                cr_assert_neq(pids[j], pid,
                              "`%s`: ranks %d and %d say the same pid %ld: "
                              "every rank is its own process. Hint: "
                              "TODO(15.1).",
                              r->desc, j, k, pid);
            pids[k] = pid;
        }
        run_free_lines(all);
        run_free(r);
    }
}

Test(lab15_hello, startup_runs_mpirun_for_every_timed_run)
{
    struct run_result *r = RUN("startup", "-n", "1,2", "-r", "2");
    expect_ok(r, "TODO(15.2)");
    cr_assert(strstr(r->out, "mpirun -np  1: median") != NULL &&
                  strstr(r->out, "mpirun -np  2: median") != NULL,
              "`%s`: expected a line 'mpirun -np  N: median ...' for N = 1 "
              "and 2. Output:\n%s",
              r->desc, r->out);
    /* 2 values x (1 warm-up + 2 runs) = 6 jobs of mpirun and its ranks,
     * each some milliseconds of CPU at least, all reaped by startup. */
    cr_assert(r->cpu_seconds > 0.03,
              "`%s` used %.3f s of CPU with its children: 6 mpirun jobs "
              "cannot have run. Hint: TODO(15.2): fork, execvp the job's "
              "argv in the child, waitpid in the parent.",
              r->desc, r->cpu_seconds);
    run_free(r);
}

Test(lab15_hello, startup_stops_when_mpirun_cannot_start)
{
    /* No mpirun on this PATH: the exec fails; so must startup. */
    const char *const env[] = {"PATH=/nonexistent", NULL};
    struct run_opts opts = {.env = env};
    struct run_result *r = RUN_WITH(&opts, "startup", "-n", "1", "-r", "1");
    cr_assert(!r->timed_out && r->exit_code != 0 && r->exit_code != -1,
              "`%s` with no mpirun to run should exit with an error status, "
              "not time a job that never ran; it %s. stderr:\n%s\nHint: "
              "TODO(15.2): a child whose execvp fails calls die_child; the "
              "parent checks the status waitpid gives (status_ok).",
              r->desc, run_how_ended(r), r->err);
    cr_assert(strstr(r->out, "median") == NULL,
              "`%s` printed a time although mpirun never ran:\n%s", r->desc,
              r->out);
    run_free(r);
}

/* ---- the factorization in static blocks ----------------------------- */

/* Our own factorization, to compare with: trial division. */
static int factor_here(uint64_t n, uint64_t *f)
{
    int count = 0;
    for (uint64_t p = 2; p * p <= n; p += p == 2 ? 1 : 2)
        while (n % p == 0) {
            f[count++] = p;
            n /= p;
        }
    if (n > 1)
        f[count++] = n;
    return count;
}

/* Check the lines "<label>: N = f1 * f2 ..." of out: exactly count of
 * them, for first, first + 2, ..., with our factors. */
static void check_factor_lines(const struct run_result *r, const char *label,
                               uint64_t first, int count)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s: ", label);
    size_t plen = strlen(prefix);
    char **lines = run_lines(r->out, NULL);
    int seen = 0;
    for (char **l = lines; *l != NULL; l++) {
        if (strncmp(*l, prefix, plen) != 0)
            continue;
        uint64_t want_n = first + 2 * (uint64_t)seen, want[64];
        char expect[1024];
        int len =
            snprintf(expect, sizeof expect, "%s%" PRIu64 " =", prefix, want_n);
        int nf = factor_here(want_n, want);
        for (int k = 0; k < nf; k++)
            len += snprintf(expect + len, sizeof expect - (size_t)len,
                            "%s %" PRIu64, k == 0 ? "" : " *", want[k]);
        cr_assert(seen < count && strcmp(*l, expect) == 0,
                  "`%s`: answer %d should be '%s', saw '%s'.\nHint: "
                  "TODO(15.3) (every number in exactly one block) and "
                  "TODO(15.4) (Scatterv the blocks; Gatherv counts in units "
                  "of its datatype: bytes here).",
                  r->desc, seen + 1, expect, *l);
        seen++;
    }
    run_free_lines(lines);
    cr_assert_eq(seen, count,
                 "`%s`: expected %d lines '%sN = ...', saw %d.\nOutput:\n"
                 "%.2000s",
                 r->desc, count, prefix, seen, r->out);
}

Test(lab15_factor, static_blocks_give_our_answers_on_1_to_4_ranks)
{
    /* 31 numbers: not a multiple of 2, 3 or 4, so blocks are uneven. */
    const char *const lists[] = {"1", "1,2", "1,2,3", "1,2,3,4"};
    for (int np = 1; np <= 4; np++) {
        struct run_result *r =
            MPI_RUN(NULL, np, "mpifactor", "-n", "31", "-s", "1000001", "-w",
                    lists[np - 1], "-r", "1", "-p");
        expect_ok(r, "TODO(15.3), TODO(15.4)");
        for (int k = 1; k <= np; k++) {
            char label[16];
            snprintf(label, sizeof label, "mpi %d", k);
            check_factor_lines(r, label, 1000001, 31);
        }
        run_free(r);
    }
}

Test(lab15_factor, more_ranks_than_numbers_leaves_some_blocks_empty)
{
    struct run_result *r = MPI_RUN(NULL, 4, "mpifactor", "-n", "3", "-s",
                                   "999999999989", "-r", "1", "-p");
    expect_ok(r, "TODO(15.3): with 3 numbers on 4 ranks one block is empty");
    check_factor_lines(r, "mpi 4", 999999999989ULL, 3);
    run_free(r);
}

Test(lab15_factor, data_file_has_serial_and_a_row_per_rank_count)
{
    char path[] = "/tmp/kit-lab15-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1, "mkstemp failed");
    cr_assert_eq(fchmod(fd, 0666), 0, "fchmod failed"); /* a box's user */
    close(fd);
    struct run_result *r = MPI_RUN(NULL, 2, "mpifactor", "-n", "21", "-w",
                                   "1,2", "-r", "2", "-o", path);
    expect_ok(r, "TODO(15.3), TODO(15.4)");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "`%s` wrote no data file %s", r->desc, path);
    static const char *const want[] = {"serial 1", "mpi 1", "mpi 2"};
    char line[512];
    int rows = 0;
    bool cores = false;
    while (fgets(line, sizeof line, f) != NULL) {
        cores = cores || strncmp(line, "# cores: ", 9) == 0;
        if (line[0] == '#')
            continue;
        char var[32], got[48];
        int w;
        double med, lo, hi;
        cr_assert(
            sscanf(line, "%31s %d %lf %lf %lf", var, &w, &med, &lo, &hi) == 5 &&
                rows < 3,
            "unexpected data row: %s", line);
        snprintf(got, sizeof got, "%s %d", var, w);
        cr_assert_str_eq(got, want[rows], "row %d should be '%s ...'", rows + 1,
                         want[rows]);
        cr_assert(lo <= med && med <= hi, "row '%s': min <= median <= max",
                  got);
        rows++;
    }
    fclose(f);
    unlink(path);
    cr_assert(rows == 3 && cores,
              "expected the rows serial 1, mpi 1, mpi 2 and a '# cores:' "
              "line; saw %d rows",
              rows);
    run_free(r);
}

/* ---- the prime sums, master and workers ----------------------------- */

/* The sum of the primes below n, by a sieve (not the lab's method). */
static uint64_t sum_below(uint32_t n)
{
    static unsigned char composite[200001];
    uint64_t sum = 0;
    memset(composite, 0, sizeof composite);
    for (uint32_t i = 2; i < n; i++) {
        if (composite[i])
            continue;
        sum += i;
        for (uint64_t j = (uint64_t)i * i; j < n; j += i)
            composite[j] = 1;
    }
    return sum;
}

/* Check the "[n, sum]" lines: exactly the n of range(start, stop, step),
 * in order, each with our sum. */
static void check_sum_lines(const struct run_result *r, uint32_t start,
                            uint32_t stop, uint32_t step)
{
    char **lines = run_lines(r->out, NULL);
    uint32_t want_n = start;
    for (char **l = lines; *l != NULL; l++) {
        unsigned long n;
        unsigned long long sum;
        char end;
        /* "[n, sum]" lines only: an MPI library may add its own lines. */
        if (sscanf(*l, "[%lu, %llu%c", &n, &sum, &end) != 3 || end != ']')
            continue;
        cr_assert(want_n < stop && n == want_n,
                  "`%s`: expected '[%u, <sum>]' next, saw '%s' (sorted by "
                  "n, each n once).\nHint: TODO(15.6): store each result at "
                  "sums[index], the index that came back with it.",
                  r->desc, (unsigned)want_n, *l);
        cr_assert_eq(sum, sum_below(want_n),
                     "`%s`: the sum of the primes below %lu is %" PRIu64
                     ", the job said %llu.\nHint: TODO(15.5): send back "
                     "{index, sum} for the task received; TODO(15.6).",
                     r->desc, n, sum_below(want_n), sum);
        want_n += step;
    }
    run_free_lines(lines);
    cr_assert(want_n >= stop,
              "`%s`: the sums stop before n = %u.\nOutput:\n%.2000s\nHint: "
              "TODO(15.6): wait for every result before stopping the "
              "workers.",
              r->desc, (unsigned)want_n, r->out);
}

Test(lab15_primes, master_and_workers_give_our_sums_on_1_to_4_ranks)
{
    for (int np = 1; np <= 4; np++) {
        struct run_result *r =
            MPI_RUN(NULL, np, "mpiprimes", "1000", "30000", "1000");
        expect_ok(r, "TODO(15.5), TODO(15.6)");
        check_sum_lines(r, 1000, 30000, 1000);
        run_free(r);
    }
}

Test(lab15_primes, the_assignments_small_sums_and_more_workers_than_tasks)
{
    struct run_result *r = MPI_RUN(NULL, 3, "mpiprimes", "10", "100", "10");
    expect_ok(r, "TODO(15.5), TODO(15.6)");
    check_sum_lines(r, 10, 100, 10);
    cr_assert(strstr(r->out, "[90, 963]") != NULL,
              "`%s`: the assignment's sum below 90 is 963:\n%s", r->desc,
              r->out);
    run_free(r);
    /* 2 tasks, 3 workers: one worker never gets a task, only its stop. */
    r = MPI_RUN(NULL, 4, "mpiprimes", "10", "30", "10");
    expect_ok(r, "TODO(15.6): a worker with no task left gets its stop "
                 "at once (send_stop), or it waits forever");
    check_sum_lines(r, 10, 30, 10);
    run_free(r);
}

Test(lab15_primes, a_slow_worker_gets_fewer_tasks_dynamic_hand_out)
{
    /* Rank 1 sleeps 300 ms per task; the 30 tasks are tiny. Handed out
     * statically (15 each) or always to rank 1, the job takes 4.5 s more
     * than without the sleeps; handed to whichever worker comes back
     * first, rank 2 does nearly all of them while rank 1 sleeps through
     * one or two: well under a second more. The same job without the
     * sleeps, just before, is the yardstick (mpirun's start included). */
    struct run_opts quick = {.timeout = 30};
    struct run_result *base =
        MPI_RUN(&quick, 3, "mpiprimes", "100", "3100", "100");
    expect_ok(base, "TODO(15.5), TODO(15.6)");
    const char *const env[] = {"KIT_MPI_SLOW_RANK=1", NULL};
    struct run_opts opts = {.env = env, .timeout = 30};
    struct run_result *r = MPI_RUN(&opts, 3, "mpiprimes", "100", "3100", "100");
    expect_ok(r, "TODO(15.6)");
    check_sum_lines(r, 100, 3100, 100);
    double extra = r->elapsed - base->elapsed, static_extra = 15 * 0.3;
    cr_assert(extra < static_extra / 2,
              "`%s` with rank 1 sleeping 300 ms per task took %.2f s more "
              "than without (%.2f s); static halves (15 tasks for rank 1) "
              "would take %.1f s more, a dynamic hand-out well under %.1f "
              "s.\nHint: TODO(15.6): give the next task to the worker whose "
              "result just came (the source receive_result returns), not "
              "to a fixed worker.",
              r->desc, extra, base->elapsed, static_extra, static_extra / 2);
    run_free(base);
    run_free(r);
}

/* ---- faults: a wrong answer, a rank that dies, bad arguments -------- */

Test(lab15_faults, a_wrong_answer_stops_the_job_before_any_time)
{
    /* First the same job with every rank right: it must pass. */
    struct run_result *r = MPI_RUN(NULL, 2, "mpifactor", "-n", "21", "-s",
                                   "1000001", "-r", "1", "-p");
    expect_ok(r, "TODO(15.3), TODO(15.4)");
    check_factor_lines(r, "mpi 2", 1000001, 21);
    run_free(r);
    const char *const env[] = {"KIT_MPI_WRONG_RANK=1", NULL};
    struct run_opts opts = {.env = env};
    r = MPI_RUN(&opts, 2, "mpifactor", "-n", "21", "-r", "1");
    cr_assert(!r->timed_out && r->exit_code != 0,
              "`%s` with rank 1 giving a wrong answer should stop with an "
              "error; it %s.\nstdout:\n%s",
              r->desc, run_how_ended(r), r->out);
    cr_assert(strstr(r->out, "median") == NULL,
              "`%s` printed a time although an answer was wrong:\n%s\n"
              "Answers are compared with the serial ones before any time "
              "is reported.",
              r->desc, r->out);
    cr_assert(strstr(r->err, "differ") != NULL,
              "`%s`: stderr should say how many factorizations differ:\n%s",
              r->desc, r->err);
    run_free(r);
    r = MPI_RUN(&opts, 3, "mpiprimes", "100", "1000", "100");
    cr_assert(!r->timed_out && r->exit_code != 0 &&
                  strstr(r->out, "speedup") == NULL,
              "`%s` with rank 1 giving a wrong sum should stop with an error "
              "before any time; it %s.\nstdout:\n%s",
              r->desc, run_how_ended(r), r->out);
    run_free(r);
}

/* A rank killed by SIGKILL mid-job: mpirun must end every rank and exit
 * non-zero, saying so; nothing may be left running (the harness checks). */
static void check_crash(int np, const char *prog, const char *const *args,
                        const char *crash_rank)
{
    char var[40];
    snprintf(var, sizeof var, "KIT_MPI_CRASH_RANK=%s", crash_rank);
    const char *const env[] = {var, NULL};
    struct run_opts opts = {.env = env, .timeout = 20};
    struct run_result *r = mpi_run(&opts, np, prog, args);
    cr_assert(!r->timed_out,
              "`%s` with rank %s killed mid-job never ended: the others "
              "waited for it forever.",
              r->desc, crash_rank);
    cr_assert(r->exit_code > 0 || r->signal != 0,
              "`%s` with rank %s killed mid-job should end with an error "
              "status; it %s.",
              r->desc, crash_rank, run_how_ended(r));
    cr_assert(
        strstr(r->out, "median") == NULL && strstr(r->out, "speedup") == NULL,
        "`%s`: a rank died, yet times were reported:\n%s", r->desc, r->out);
    cr_assert(strstr(r->out, "signal 9") != NULL ||
                  strstr(r->err, "signal 9") != NULL ||
                  strstr(r->out, "Killed") != NULL ||
                  strstr(r->err, "Killed") != NULL ||
                  strstr(r->err, "SIGKILL") != NULL,
              "`%s`: mpirun should say that a rank was killed "
              "(signal 9).\nstdout:\n%s\nstderr:\n%s\nHint: the rank dies "
              "as it starts its work: every rank must call factor_block "
              "(TODO(15.4)), every worker primes_task (TODO(15.5)).",
              r->desc, r->out, r->err);
    run_free(r);
}

Test(lab15_faults, a_rank_killed_mid_job_ends_the_whole_job)
{
    check_crash(3, "mpifactor",
                (const char *const[]){"-n", "21", "-r", "1", NULL}, "1");
    check_crash(3, "mpiprimes",
                (const char *const[]){"1000", "20000", "1000", NULL}, "2");
    check_crash(4, "mpifactor",
                (const char *const[]){"-n", "21", "-r", "1", NULL}, "0");
}

Test(lab15_faults, help_once_bad_arguments_exit_2_good_ones_run)
{
    struct run_result *r = MPI_RUN(NULL, 2, "mpifactor", "-n", "5", "-s",
                                   "1000001", "-w", "2", "-r", "1", "-p");
    expect_ok(r, "TODO(15.3), TODO(15.4)");
    check_factor_lines(r, "mpi 2", 1000001, 5);
    run_free(r);
    r = MPI_RUN(NULL, 3, "mpifactor", "-h");
    expect_ok(r, "-h prints the usage on stdout and exits 0");
    cr_assert_eq(run_count_lines(r->out, "usage:"), 1,
                 "`%s`: the usage line should appear once (rank 0), not "
                 "once per rank:\n%s",
                 r->desc, r->out);
    run_free(r);
    static const char *const bad[][3] = {
        {"mpifactor", "-w", "3"}, /* more ranks than mpirun started */
        {"mpifactor", "-n", "0"},
        {"mpiprimes", "100", "10"},
        {"mpiprimes", "-x", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = mpi_run(NULL, 2, bad[i][0],
                    (const char *const[]){bad[i][1], bad[i][2], NULL});
        cr_assert(r->exit_code == 2 && strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr and exit 2; it "
                  "%s. stderr:\n%s",
                  r->desc, run_how_ended(r), r->err);
        run_free(r);
    }
}

/* ---- the student's build under the sanitizers ------------------------ */

static void check_sanitized(const char *sanitizer, const char *hint)
{
    struct run_opts opts = {
        .sanitizer = sanitizer, .hint = hint, .timeout = 30};
    struct run_result *r = MPI_RUN(&opts, 3, "mpifactor", "-n", "21", "-s",
                                   "1000001", "-w", "1,3", "-r", "1", "-p");
    expect_ok(r, hint);
    check_factor_lines(r, "mpi 3", 1000001, 21);
    run_free(r);
    r = MPI_RUN(&opts, 3, "mpiprimes", "100", "2000", "100");
    expect_ok(r, hint);
    check_sum_lines(r, 100, 2000, 100);
    run_free(r);
}

Test(lab15_faults, clean_under_asan_no_leak_no_overflow, .timeout = 120)
{
    check_sanitized(RUN_ASAN, "TODO(15.3) to TODO(15.6): free what you "
                              "allocate; counts and displacements stay "
                              "inside the buffers");
}

Test(lab15_faults, clean_under_tsan, .timeout = 120)
{
    check_sanitized(RUN_TSAN, "TODO(15.3) to TODO(15.6)");
}
