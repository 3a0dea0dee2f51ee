/*
 * Lab 08 - factorization: the threads-vs-processes benchmark. The tests
 * check the ANSWERS, never the times: every factorization multiplies back
 * to its number and has only prime factors (checked here with our own
 * Miller-Rabin test, independent of the lab's trial division), the
 * lecture's numbers factor as `factor` (coreutils) says, every thread and
 * process count gives the serial answers, and a wrong answer is caught.
 */
#include <criterion/criterion.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

#define LAB "08-factorization"

TestSuite(lab08_serial, .timeout = 60);
TestSuite(lab08_threads, .timeout = 60);
TestSuite(lab08_processes, .timeout = 60);
TestSuite(lab08_compare, .timeout = 30);
TestSuite(lab08_bench, .timeout = 60);

/* ---- an independent primality test (deterministic for 64 bits) ---- */

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    return (uint64_t)((unsigned __int128)a * b % m);
}

static uint64_t powmod(uint64_t a, uint64_t e, uint64_t m)
{
    uint64_t r = 1;
    a %= m;
    for (; e > 0; e >>= 1) {
        if (e & 1)
            r = mulmod(r, a, m);
        a = mulmod(a, a, m);
    }
    return r;
}

static bool is_prime(uint64_t n)
{
    static const uint64_t bases[] = {2,  3,  5,  7,  11, 13,
                                     17, 19, 23, 29, 31, 37};
    if (n < 2)
        return false;
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
        if (n % bases[i] == 0)
            return n == bases[i];
    uint64_t d = n - 1;
    int s = 0;
    while (d % 2 == 0) {
        d /= 2;
        s++;
    }
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        uint64_t x = powmod(bases[i], d, n);
        if (x == 1 || x == n - 1)
            continue;
        bool composite = true;
        for (int r = 1; r < s && composite; r++) {
            x = mulmod(x, x, n);
            composite = x != n - 1;
        }
        if (composite)
            return false;
    }
    return true;
}

/* ---- reading the program's "N = p * q * ..." lines ------------------- */

#define MAX_NUMS 400

struct fact {
    uint64_t n;
    int count;
    uint64_t f[64];
};

/* Parse every line "<prefix>N = f1 * f2 ..." (or "<prefix>N =" for no
 * factors) of out, as `factorize -p` prints them. Returns how many. */
static int parse_facts(const char *out, const char *prefix, struct fact *facts,
                       int max)
{
    int found = 0;
    size_t plen = strlen(prefix);
    char **lines = run_lines(out, NULL);
    for (char **l = lines; *l != NULL && found < max; l++) {
        if (strncmp(*l, prefix, plen) != 0)
            continue;
        char *num = *l + plen;
        char *eq = strstr(num, " =");
        if (eq == NULL || strspn(num, "0123456789") != (size_t)(eq - num))
            continue;
        struct fact *f = &facts[found++];
        f->n = strtoull(num, NULL, 10);
        f->count = 0;
        for (char *p = eq + 2; *p != '\0' && f->count < 64;) {
            p += strspn(p, " *");
            if (*p == '\0')
                break;
            char *end;
            f->f[f->count++] = strtoull(p, &end, 10);
            if (end == p)
                break;
            p = end;
        }
    }
    run_free_lines(lines);
    return found;
}

/* Check one factorization: factors prime, smallest first, product n. */
static void check_fact(const struct fact *f, const char *desc)
{
    unsigned __int128 product = 1;
    for (int k = 0; k < f->count; k++) {
        cr_assert(is_prime(f->f[k]),
                  "`%s`: %" PRIu64 " was factorized with %" PRIu64
                  ", which is not prime. Hint: TODO(08.1): divide each "
                  "divisor out completely before moving on (12 = 2 * 2 * 3), "
                  "and try 2, 3, 5, 7, 9, ... (every odd number after 2).",
                  desc, f->n, f->f[k]);
        cr_assert(k == 0 || f->f[k - 1] <= f->f[k],
                  "`%s`: the factors of %" PRIu64
                  " are not smallest first. Hint: TODO(08.1).",
                  desc, f->n);
        product *= f->f[k];
    }
    if (f->n < 2)
        cr_assert_eq(f->count, 0,
                     "`%s`: %" PRIu64 " has no prime factors; the program "
                     "gave %d. Hint: TODO(08.1).",
                     desc, f->n, f->count);
    else
        cr_assert(product == f->n,
                  "`%s`: the factors given for %" PRIu64
                  " do not multiply back to it (%d factors). A prime left "
                  "at the end must be added too. Hint: TODO(08.1).",
                  desc, f->n, f->count);
}

static void expect_clean_exit(const struct run_result *r, const char *todo)
{
    /* Every variant is checked against the serial answers: those first. */
    if (strstr(r->err, "serial factorization") != NULL)
        todo = "TODO(08.1) first: the serial answers, which every other "
               "variant is compared with, are wrong";
    run_expect_success(r, todo);
}

/* Run, expect success, parse the printed factorizations of the numbers
 * first, first + 2, ..., and check each one. */
static void check_serial_run(const char *first, int count, struct fact *facts)
{
    char n[16];
    snprintf(n, sizeof n, "%d", count);
    struct run_result *r =
        RUN("factorize", "-m", "serial", "-r", "1", "-p", "-s", first, "-n", n);
    expect_clean_exit(r, "TODO(08.1): factorize_naive");
    int found = parse_facts(r->out, "serial 1: ", facts, MAX_NUMS);
    cr_assert_eq(found, count,
                 "`%s` should print %d lines 'serial 1: N = p * q ...'; "
                 "found %d. "
                 "Output:\n%s",
                 r->desc, count, found, r->out);
    uint64_t start = strtoull(first, NULL, 10);
    for (int i = 0; i < count; i++) {
        cr_assert_eq(facts[i].n, start + 2 * (uint64_t)i,
                     "`%s`: line %d is for %" PRIu64 ", expected %" PRIu64
                     " (numbers from -s in steps of 2).",
                     r->desc, i + 1, facts[i].n, start + 2 * (uint64_t)i);
        check_fact(&facts[i], r->desc);
    }
    run_free(r);
}

Test(lab08_serial, small_numbers_factor_into_primes)
{
    static struct fact facts[MAX_NUMS];
    /* 1, 3, ..., 199: squares of primes (9, 25, 49, 121, 169), primes,
     * 1 with no factors. Then even numbers 2, 4, ..., 200: powers of 2. */
    check_serial_run("1", 100, facts);
    cr_assert(facts[4].count == 2 && facts[4].f[0] == 3 && facts[4].f[1] == 3,
              "9 should be 3 * 3. Hint: TODO(08.1): when p * p equals what is "
              "left, p still divides it.");
    check_serial_run("2", 100, facts);
    cr_assert_eq(facts[63].count, 7, "128 is 2 to the 7th: 7 factors, not %d",
                 facts[63].count);
}

Test(lab08_serial, lecture_numbers_factor_as_coreutils_says)
{
    static struct fact facts[MAX_NUMS];
    check_serial_run("9999999999999", 300, facts);
    /* From coreutils `factor`, a different algorithm (Pollard rho). */
    static const struct {
        int index;
        int count;
        uint64_t f[6];
    } known[] = {
        {0, 5, {3, 3, 53, 79, 265371653}}, {1, 3, {11, 859, 1058313049}},
        {2, 4, {13, 29, 547, 48492137}},   {4, 4, {167, 619, 6959, 13901}},
        {8, 2, {5, 2000000000003}},        {9, 4, {3, 3, 3, 370370370371}},
        {150, 2, {3, 3333333333433}},      {299, 2, {1123349, 8901953}},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const struct fact *f = &facts[known[i].index];
        bool same = f->count == known[i].count;
        for (int k = 0; same && k < f->count; k++)
            same = f->f[k] == known[i].f[k];
        cr_assert(same,
                  "%" PRIu64 " should factor as coreutils' factor says "
                  "(%d factors, the first %" PRIu64 "); the program gave %d "
                  "factors. Hint: TODO(08.1).",
                  f->n, known[i].count, known[i].f[0], f->count);
    }
    /* Bad arguments are refused with a usage line and status 2. */
    static const char *const bad[][3] = {
        {"-n", "0"}, {"-w", "2,0"}, {"-m", "fibers"}, {"-r", "x"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = RUN("factorize", bad[i][0], bad[i][1]);
        cr_assert_eq(r->exit_code, 2, "`%s` should exit with status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", r->desc);
        run_free(r);
    }
}

/* The line the program printed for variant with workers, or NULL. */
static const char *variant_line(const char *out, const char *variant,
                                int workers)
{
    size_t len = strlen(variant);
    for (const char *p = out; p != NULL && *p != '\0';) {
        char *end;
        if (strncmp(p, variant, len) == 0 && p[len] == ' ' &&
            strtol(p + len, &end, 10) == workers && end != p + len &&
            strncmp(end, " worker", 7) == 0)
            return p;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return NULL;
}

/* Run one parallel mode with many worker counts (more workers than
 * numbers too) and an awkward count. The program compares every variant
 * with the serial answers and must say they are the same; the test also
 * checks each variant's printed answers itself. */
static void check_parallel(const char *mode, const char *todo)
{
    struct run_result *r =
        RUN("factorize", "-m", mode, "-w", "1,2,3,4,7,8,50", "-n", "37", "-s",
            "1000000000001", "-r", "1", "-p");
    expect_clean_exit(r, todo);
    static struct fact serial[MAX_NUMS], mine[MAX_NUMS];
    cr_assert_eq(parse_facts(r->out, "serial 1: ", serial, MAX_NUMS), 37,
                 "`%s` should print the 37 serial factorizations. Output:\n%s",
                 r->desc, r->out);
    static const int counts[] = {1, 2, 3, 4, 7, 8, 50};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        const char *line = variant_line(r->out, mode, counts[i]);
        cr_assert(line != NULL,
                  "`%s` printed no line for %s with %d workers. Output:\n%s",
                  r->desc, mode, counts[i], r->out);
        const char *eol = strchr(line, '\n');
        const char *same = strstr(line, "same 37 factorizations as serial");
        cr_assert(same != NULL && (eol == NULL || same < eol),
                  "`%s`: %s with %d workers did not give the serial answers. "
                  "Output:\n%s\nHint: %s; every number must be in exactly one "
                  "chunk, including the last ones when the count does not "
                  "divide evenly.",
                  r->desc, mode, counts[i], r->out, todo);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s %d: ", mode, counts[i]);
        int found = parse_facts(r->out, prefix, mine, MAX_NUMS);
        cr_assert_eq(found, 37,
                     "`%s` should print 37 lines '%sN = ...'; saw %d. Hint: %s",
                     r->desc, prefix, found, todo);
        for (int k = 0; k < 37; k++) {
            bool equal =
                mine[k].n == serial[k].n && mine[k].count == serial[k].count;
            for (int j = 0; equal && j < mine[k].count; j++)
                equal = mine[k].f[j] == serial[k].f[j];
            cr_assert(equal,
                      "`%s`: %s with %d workers gave another factorization "
                      "of %" PRIu64 " (or none) than serial, and the program "
                      "did not notice. Hint: %s, and TODO(08.5) to catch it.",
                      r->desc, mode, counts[i], serial[k].n, todo);
            check_fact(&mine[k], r->desc);
        }
    }
    run_free(r);
}

Test(lab08_threads, every_thread_count_gives_the_serial_answers)
{
    check_parallel("threads", "TODO(08.2)");
}

Test(lab08_processes, every_process_count_gives_the_serial_answers)
{
    check_parallel("processes", "TODO(08.3) and TODO(08.4)");
}

Test(lab08_processes, lecture_numbers_come_back_from_eight_children)
{
    struct run_result *r =
        RUN("factorize", "-m", "processes", "-w", "8", "-r", "1");
    expect_clean_exit(r, "TODO(08.3) and TODO(08.4)");
    cr_assert(strstr(r->out, "same 300 factorizations as serial") != NULL,
              "8 processes on the lecture's 300 numbers should give the "
              "serial answers. Output:\n%s\nHint: TODO(08.4): read records "
              "until end of file (read returns 0), which comes only once "
              "every write end is closed - the parent's too.",
              r->out);
    run_free(r);
}

Test(lab08_compare, a_wrong_answer_is_counted_and_located)
{
    struct run_result *r = RUN("compare-check");
    expect_clean_exit(r, "TODO(08.5)");
    static const struct {
        const char *name;
        unsigned differ, first;
        const char *what;
    } want[] = {
        {"identical", 0, 99, "identical tables have no differences"},
        {"factor", 1, 1, "35 = 5 * 7 against 35 = 5 * 11"},
        {"count", 1, 2, "97 against 97 * 1 (another count)"},
        {"number", 1, 0, "an answer for 14 where 12 was asked"},
        {"two", 2, 0, "two entries differ, the first is entry 0"},
        {"last", 1, 2, "97 against 89"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%s ", want[i].name);
        const char *line = strstr(r->out, prefix);
        unsigned differ = 1000, first = 1000;
        cr_assert(line != NULL && sscanf(line + strlen(prefix), "%u %u",
                                         &differ, &first) == 2,
                  "compare-check printed no '%s' line. Output:\n%s",
                  want[i].name, r->out);
        cr_assert(differ == want[i].differ &&
                      (want[i].differ == 0 || first == want[i].first),
                  "factor_compare, case '%s' (%s): expected %u differences, "
                  "the first at index %u; got %u, first %u. Hint: TODO(08.5): "
                  "compare n, count and every factor.",
                  want[i].name, want[i].what, want[i].differ, want[i].first,
                  differ, first);
    }
    run_free(r);
}

Test(lab08_bench, data_file_has_a_row_per_variant_and_the_machine)
{
    char path[] = "/tmp/kit-lab08-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1, "mkstemp failed");
    /* The program may run as another user (make grade's box): let it
     * write the file mkstemp made for us (mode 600). */
    cr_assert_eq(fchmod(fd, 0666), 0, "fchmod failed");
    close(fd);
    struct run_result *r = RUN("factorize", "-n", "30", "-r", "2", "-o", path);
    expect_clean_exit(r, "TODO(08.1) to TODO(08.5)");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "no data file %s", path);
    char line[512];
    bool cores = false, cpu = false;
    int rows = 0;
    static const char *const want[] = {
        "serial 1",    "threads 2", "processes 2", "threads 4",
        "processes 4", "threads 8", "processes 8"};
    while (fgets(line, sizeof line, f) != NULL) {
        cores = cores || strncmp(line, "# cores: ", 9) == 0;
        cpu = cpu || strncmp(line, "# cpu: ", 7) == 0;
        if (line[0] == '#')
            continue;
        double med, lo, hi;
        char var[32];
        int w;
        cr_assert(
            sscanf(line, "%31s %d %lf %lf %lf", var, &w, &med, &lo, &hi) == 5 &&
                rows < 7,
            "unexpected data row: %s", line);
        char got[64];
        snprintf(got, sizeof got, "%s %d", var, w);
        cr_assert_str_eq(got, want[rows], "row %d should be '%s ...'", rows + 1,
                         want[rows]);
        cr_assert(lo <= med && med <= hi, "row '%s': min <= median <= max",
                  got);
        rows++;
    }
    fclose(f);
    unlink(path);
    cr_assert_eq(rows, 7,
                 "expected 7 rows (serial, 2/4/8 threads and "
                 "processes), saw %d",
                 rows);
    cr_assert(cores && cpu, "the data file must say the core count and CPU");
    run_free(r);
}
