/*
 * Lab 08 - factorization: the threads-vs-processes benchmark. The tests
 * check the ANSWERS, never the times: every factorization multiplies back
 * to its number and has only prime factors (checked here with our own
 * Miller-Rabin test, independent of the lab's trial division), the
 * lecture's numbers factor as `factor` (coreutils) says, every thread and
 * process count gives the serial answers, and a wrong answer is caught.
 * Where a driver runs the student's functions (factor-check), the test
 * chooses the inputs and recomputes the answers itself: nothing a process
 * with student code in it prints is taken as a verdict.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "killer.h"
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
     * 1 with no factors (-s 1: the smallest first the program accepts). */
    check_serial_run("1", 100, facts);
    cr_assert(facts[4].count == 2 && facts[4].f[0] == 3 && facts[4].f[1] == 3,
              "9 should be 3 * 3. Hint: TODO(08.1): when p * p equals what is "
              "left, p still divides it.");
    cr_assert_eq(facts[0].count, 0, "1 has no prime factors, not %d",
                 facts[0].count);
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
    /* Bad arguments are refused with a usage line and status 2: among
     * them an even first number (the numbers are odd), at both ends of
     * the range, and the first past the biggest (2^61 - 1). */
    static const char *const bad[][3] = {{"-n", "0"},
                                         {"-w", "2,0"},
                                         {"-m", "fibers"},
                                         {"-r", "x"},
                                         {"-s", "2"},
                                         {"-s", "0"},
                                         {"-s", "2305843009213693950"},
                                         {"-s", "2305843009213693952"},
                                         {"-n", "100001"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = RUN("factorize", bad[i][0], bad[i][1]);
        cr_assert_eq(r->exit_code, 2, "`%s` should exit with status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", r->desc);
        run_free(r);
    }
    /* Help is not an error: the usage on stdout, status 0. */
    static const char *const help[] = {"-h", "--help"};
    for (size_t i = 0; i < 2; i++) {
        struct run_result *r = RUN("factorize", help[i]);
        cr_assert(r->exit_code == 0 && strncmp(r->out, "usage: ", 7) == 0,
                  "`%s` should print 'usage: ...' on stdout and exit with "
                  "status 0; it %s, stdout:\n%s",
                  r->desc, run_how_ended(r), r->out);
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

/* ---- factor_compare and factorize_naive, on the test's own inputs ---- */

/* A small xorshift generator: the cases change from run to run, so that
 * no answer can be learnt by heart; the seed is in every message. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void seed_rng(void)
{
    rng_state = (uint64_t)time(NULL) * 2654435761u + (uint64_t)getpid();
    if (rng_state == 0)
        rng_state = 1;
}

/* Append a table row "n count f..." to buf. */
static void put_row(char *buf, size_t size, const struct fact *f)
{
    size_t len = strlen(buf);
    len += (size_t)snprintf(buf + len, size - len, "%" PRIu64 " %d", f->n,
                            f->count);
    for (int k = 0; k < f->count; k++)
        len += (size_t)snprintf(buf + len, size - len, " %" PRIu64, f->f[k]);
    snprintf(buf + len, size - len, "\n");
}

#define CMP_CASES 24
#define CMP_ROWS 12

/* Change row b in one way the comparison must see (kind 0..3). */
static void spoil(struct fact *b, int kind)
{
    switch (kind) {
    case 0: /* another number */
        b->n += 2;
        break;
    case 1: /* another count: one factor more (a 1) */
        b->f[b->count++] = 1;
        break;
    case 2: /* one factor fewer */
        b->count--;
        break;
    default: /* another factor, the last or one before it */
        b->f[b->count - 1 - (int)(rng() % (uint64_t)b->count)] += 2;
    }
}

Test(lab08_compare, a_wrong_answer_is_counted_and_located)
{
    seed_rng();
    unsigned long long seed = (unsigned long long)rng_state;
    static char input[CMP_CASES * 2 * CMP_ROWS * 200];
    static struct fact ta[CMP_CASES][CMP_ROWS], tb[CMP_CASES][CMP_ROWS];
    size_t want_differ[CMP_CASES], want_first[CMP_CASES], rows[CMP_CASES];
    input[0] = '\0';
    for (int c = 0; c < CMP_CASES; c++) {
        rows[c] = 1 + rng() % CMP_ROWS;
        for (size_t i = 0; i < rows[c]; i++) {
            struct fact *f = &ta[c][i];
            f->count = 1 + (int)(rng() % 6);
            f->n = 1 + 2 * (rng() % 1000000);
            for (int k = 0; k < f->count; k++)
                f->f[k] = 3 + 2 * (rng() % 1000);
            tb[c][i] = *f;
        }
        /* Case 0 is identical; the others spoil 1..3 rows (or none). */
        want_differ[c] = 0;
        want_first[c] = SIZE_MAX;
        size_t spoilt = c == 0 ? 0 : rng() % 4;
        for (size_t k = 0; k < spoilt; k++) {
            size_t i = rng() % rows[c];
            if (memcmp(&ta[c][i], &tb[c][i], sizeof ta[c][i]) != 0)
                continue; /* already spoilt */
            spoil(&tb[c][i], (int)(rng() % 4));
            want_differ[c]++;
            if (i < want_first[c])
                want_first[c] = i;
        }
        size_t len = strlen(input);
        snprintf(input + len, sizeof input - len, "c %zu\n", rows[c]);
        for (size_t i = 0; i < rows[c]; i++)
            put_row(input, sizeof input, &ta[c][i]);
        for (size_t i = 0; i < rows[c]; i++)
            put_row(input, sizeof input, &tb[c][i]);
    }
    struct run_opts opts = {.input = input};
    struct run_result *r = RUN_WITH(&opts, "factor-check");
    expect_clean_exit(r, "TODO(08.5)");
    char **lines = run_lines(r->out, NULL);
    for (int c = 0; c < CMP_CASES; c++) {
        unsigned long long differ = 0, first = 0;
        char firstword[24] = "";
        cr_assert(lines[c] != NULL &&
                      sscanf(lines[c], "%llu %23s", &differ, firstword) == 2,
                  "factor-check printed no answer for case %d (seed %llu). "
                  "Output:\n%s",
                  c + 1, seed, r->out);
        bool first_ok =
            want_differ[c] == 0 ||
            (sscanf(firstword, "%llu", &first) == 1 && first == want_first[c]);
        cr_assert(differ == want_differ[c] && first_ok,
                  "factor_compare on two tables of %zu rows with %zu rows "
                  "changed (another n, count or factor; case %d, seed %llu) "
                  "answered %llu differences, the first at %s; expected %zu, "
                  "the first at index %zu. Hint: TODO(08.5): compare n, "
                  "count and every factor of every entry, and store the "
                  "index of the first that differs.",
                  rows[c], want_differ[c], c + 1, seed, differ, firstword,
                  want_differ[c], want_differ[c] ? want_first[c] : 0);
    }
    run_free_lines(lines);
    run_free(r);
}

Test(lab08_serial, chosen_numbers_even_ones_too_factor_into_primes)
{
    /* The program takes only odd numbers; the driver calls
     * factorize_naive on these, and on random 40-bit ones: each answer
     * is checked by multiplying back and by a primality test of ours. */
    static const struct {
        uint64_t n;
        int count;
    } exact[] = {
        {0, 0},
        {1, 0},
        {2, 1},
        {3, 1},
        {4, 2},
        {9, 2},
        {128, 7},
        {9223372036854775808ull, 63},  /* 2^63: the most factors */
        {12157665459056928801ull, 40}, /* 3^40, near 2^64 */
        {614889782588491410ull, 15},   /* 2 * 3 * 5 * ... * 47 */
        {999966000289ull, 2},          /* 999983 squared */
    };
    size_t nexact = sizeof exact / sizeof exact[0];
    seed_rng();
    unsigned long long seed = (unsigned long long)rng_state;
    static char input[4096];
    uint64_t nums[64];
    size_t count = 0, len = 0;
    for (size_t i = 0; i < nexact; i++)
        nums[count++] = exact[i].n;
    while (count < 40)
        nums[count++] = rng() >> 24; /* 40 bits, even ones too */
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(input + len, sizeof input - len,
                                "f %" PRIu64 "\n", nums[i]);
    struct run_opts opts = {.input = input};
    struct run_result *r = RUN_WITH(&opts, "factor-check");
    expect_clean_exit(r, "TODO(08.1)");
    static struct fact facts[64];
    int found = parse_facts(r->out, "", facts, 64);
    cr_assert_eq((size_t)found, count,
                 "factor-check should print %zu factorizations; it printed "
                 "%d. Output:\n%s",
                 count, found, r->out);
    for (size_t i = 0; i < count; i++) {
        cr_assert_eq(facts[i].n, nums[i],
                     "answer %zu is for %" PRIu64 ", not %" PRIu64
                     " (seed %llu). Hint: TODO(08.1).",
                     i + 1, facts[i].n, nums[i], seed);
        check_fact(&facts[i], "factorize_naive");
        if (i < nexact)
            cr_assert_eq(facts[i].count, exact[i].count,
                         "%" PRIu64 " has %d prime factors (with repeats); "
                         "factorize_naive gave %d. Hint: TODO(08.1).",
                         nums[i], exact[i].count, facts[i].count);
    }
    run_free(r);
}

/* ---- a worker process that dies ------------------------------------- */

Test(lab08_processes, a_killed_worker_is_an_error_not_a_result, .timeout = 60)
{
    char path[] = "/tmp/kit-lab08-kill-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1, "mkstemp failed");
    close(fd);
    unlink(path); /* the program must not create it */
    struct run_killer *k = run_killer_start("factorize", SIGTERM);
    /* Two workers with 300 numbers each: they work for a tenth of a
     * second or more, time enough to be found; the test kills the first
     * it finds (usually the first started), and the other one must still
     * be waited for. */
    struct run_result *r = RUN("factorize", "-m", "processes", "-w", "2", "-n",
                               "600", "-r", "1", "-o", path);
    pid_t victim = run_killer_stop(k);
    cr_assert(victim != 0,
              "`%s` never started a worker process (a child of factorize) "
              "that the test could kill. It %s. Hint: TODO(08.3).",
              r->desc, run_how_ended(r));
    cr_assert(r->exit_code == 1,
              "`%s`: the test killed worker %d with SIGTERM; the program "
              "should stop with status 1 and a message. It %s; stderr:\n%s\n"
              "Hint: TODO(08.4): look at every child's status.",
              r->desc, (int)victim, run_how_ended(r), r->err);
    cr_assert(strstr(r->err, "signal 15") != NULL,
              "`%s`: a worker was killed by signal 15 (SIGTERM); the message "
              "should say so ('... killed by signal 15'), decoded from the "
              "status waitpid gave (WIFSIGNALED, WTERMSIG). stderr:\n%s\n"
              "Hint: TODO(08.4).",
              r->desc, r->err);
    cr_assert(strstr(r->out, "processes  2 workers") == NULL &&
                  strstr(r->out, "gave the same") == NULL,
              "`%s`: a worker died, yet the program printed a result for "
              "the processes. stdout:\n%s\nHint: TODO(08.4): a missing "
              "answer must never pass as a result.",
              r->desc, r->out);
    cr_assert(access(path, F_OK) != 0,
              "`%s` wrote the data file although a worker died.", r->desc);
    run_free(r);
}

/* ---- a worker process that fails ------------------------------------ */

Test(lab08_processes, a_worker_that_exits_with_a_failure_is_an_error,
     .timeout = 60)
{
    /* The schedule perturber (KIT_CHILD_EXIT=3, KIT_CHILD_EXIT_ONLY=2)
     * turns the _exit(0) of the parent's 2nd child - worker 2 of 3 - into
     * _exit(3): it sent all its answers, then failed. No signal, and no
     * answer missing: only its status says so. (Not under a sanitizer,
     * whose builds do not take the preloaded library.) */
    if (run_sanitizer() != NULL)
        cr_skip_test("the preloaded library that makes a worker fail is "
                     "not used under a sanitizer");
    /* The same run with no worker failing must work first: else this test
     * would blame the failure path for what another TODO breaks. */
    struct run_result *r =
        RUN("factorize", "-m", "processes", "-w", "3", "-n", "60", "-r", "1");
    expect_clean_exit(r, "TODO(08.3) and TODO(08.4) first: the processes "
                         "must work before a failing one can be noticed");
    run_free(r);
    char path[] = "/tmp/kit-lab08-fail-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1, "mkstemp failed");
    close(fd);
    unlink(path); /* the program must not create it */
    static const char *const env[] = {"KIT_CHILD_EXIT=3",
                                      "KIT_CHILD_EXIT_ONLY=2", NULL};
    struct run_opts opts = {.perturb = true, .env = env};
    r = RUN_WITH(&opts, "factorize", "-m", "processes", "-w", "3", "-n", "60",
                 "-r", "1", "-o", path);
    cr_assert(r->exit_code == 1,
              "`%s`: worker 2 of 3 sent all its answers, then exited with "
              "status 3 (the test turned its _exit(0) into _exit(3)). That "
              "is a failed worker: the program should stop with status 1 "
              "and a message. It %s; stderr:\n%s\nHint: TODO(08.4): a child "
              "succeeded only if WIFEXITED(status) and WEXITSTATUS(status) "
              "is 0 (status_ok) - not whenever no signal killed it "
              "(WIFSIGNALED).",
              r->desc, run_how_ended(r), r->err);
    cr_assert(run_says_status(r->err, 3),
              "`%s`: worker 2 exited with status 3; the message should say "
              "so ('worker process 2 exited with status 3'), decoded from "
              "the status waitpid gave: WIFEXITED, then WEXITSTATUS "
              "(status_describe does both). The raw status would be 768 "
              "(3 << 8), and a status you expected (1, say) is not the one "
              "that came. stderr:\n%s\nHint: TODO(08.4).",
              r->desc, r->err);
    cr_assert(strstr(r->out, "processes  3 workers") == NULL &&
                  strstr(r->out, "gave the same") == NULL,
              "`%s`: a worker failed, yet the program printed a result for "
              "the processes. stdout:\n%s\nHint: TODO(08.4): a failed "
              "child is an error, even when its answers all came.",
              r->desc, r->out);
    cr_assert(access(path, F_OK) != 0,
              "`%s` wrote the data file although a worker failed.", r->desc);
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

/* ---- the student's own build under the race and leak detectors ------ */

/* Run factorize's threads (TSan) or every variant (ASan) on a few
 * numbers: a report fails the test with the report in the message. */
static void check_sanitized(const char *sanitizer, const char *mode,
                            const char *hint)
{
    struct run_opts opts = {.sanitizer = sanitizer, .hint = hint};
    struct run_result *r =
        RUN_WITH(&opts, "factorize", "-m", mode, "-w", "1,3,8", "-n", "21",
                 "-s", "1000000001", "-r", "1");
    expect_clean_exit(r, hint);
    cr_assert(strstr(r->out, "all ") != NULL &&
                  strstr(r->out, "gave the same 21 factorizations") != NULL,
              "`%s` (%s build) should end with 'all N variants gave the same "
              "21 factorizations'. Output:\n%s\nHint: %s",
              r->desc, sanitizer, r->out, hint);
    run_free(r);
}

Test(lab08_threads, threads_race_free_under_tsan, .timeout = 120)
{
    check_sanitized(RUN_TSAN, "threads",
                    "TODO(08.2): every thread writes only its own chunk of "
                    "results (chunks must not overlap), and main reads the "
                    "table only after pthread_join of every thread");
}

Test(lab08_processes, no_leak_or_overflow_under_asan, .timeout = 120)
{
    check_sanitized(RUN_ASAN, "all",
                    "TODO(08.2) to TODO(08.4): free what you allocate, stay "
                    "inside results[0..count-1] and the records' size");
}

/* ---- a fork that fails ---------------------------------------------- */

Test(lab08_processes, a_failed_fork_stops_cleanly, .timeout = 60)
{
    /* The schedule perturber makes the parent's 3rd fork() fail with
     * EAGAIN: two workers are running by then. They must be ended and
     * reaped (the harness fails the test on any left behind), and the
     * program must stop with status 1 and fork's error, printing no
     * result for the processes. */
    static const char *const env[] = {"KIT_FAIL_FORK_AT=3", NULL};
    struct run_opts opts = {.perturb = true, .env = env};
    struct run_result *r = RUN_WITH(&opts, "factorize", "-m", "processes", "-w",
                                    "4", "-n", "200", "-r", "1");
    cr_assert(r->exit_code == 1 && strstr(r->err, "fork") != NULL,
              "`%s` with the 3rd fork failing (EAGAIN) should stop with "
              "status 1 and 'factorize: fork: ...' on stderr; it %s. "
              "stderr:\n%s\nHint: TODO(08.3): check fork's result; the "
              "children already started must not be left behind (abandon).",
              r->desc, run_how_ended(r), r->err);
    cr_assert(strstr(r->out, "processes  4 workers") == NULL,
              "`%s`: a fork failed, yet the program printed a result for 4 "
              "processes. stdout:\n%s\nHint: TODO(08.3).",
              r->desc, r->out);
    run_free(r);
}
