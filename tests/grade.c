/*
 * grade.c - class grading (tests/grade/grade.sh) on the sample class of
 * tests/grade/sample/: the reference, the untouched starter and badly
 * behaved submissions (a fork bomb, a deadlock, an output flood, a fake
 * "Synthesis: ... Passing" printer that also tries to rewrite the kit, one
 * that does not compile, one that exits 0 early, one that hands in a single
 * file, one that runs the reference binary instead of its own code). Every
 * score and every reason must be what
 * tests/grade/sample/EXPECTED says, and the kit must come out unchanged.
 *
 * The submissions run only inside grade.sh's box, never in this process.
 * Grading the class takes a minute or two (the deadlock and the flood each
 * use up their tests' timeouts), hence the long .timeout.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLASS "build/grade-sample/class"
#define OUT "build/grade-sample/out"

TestSuite(grading_sample, .timeout = 900);

/* The whole file, NUL-terminated, or NULL; *len may be NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

/* The field (0-based) of a CSV line without quotes, into out. */
static bool csv_field(const char *line, int field, char *out, size_t size)
{
    for (int i = 0; i < field; i++) {
        line = strpbrk(line, ",\n");
        if (line == NULL || *line != ',')
            return false;
        line++;
    }
    size_t n = strcspn(line, ",\n");
    if (n >= size)
        return false;
    memcpy(out, line, n);
    out[n] = '\0';
    return true;
}

/* The line of text that starts with prefix, or NULL. */
static const char *line_with_prefix(const char *text, const char *prefix)
{
    size_t len = strlen(prefix);
    for (const char *p = text; p != NULL && *p != '\0';) {
        if (strncmp(p, prefix, len) == 0)
            return p;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return NULL;
}

/* How many processes run as the box's user (grade.sh says which uid). */
static int box_processes(long box_uid)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        char *status = slurp(path, NULL);
        const char *uid = status != NULL ? strstr(status, "\nUid:") : NULL;
        long real = uid != NULL ? strtol(uid + 5, NULL, 10) : -1;
        if (real == box_uid)
            n++;
        free(status);
    }
    if (d != NULL)
        closedir(d);
    return n;
}

Test(grading_sample, every_score_and_reason_of_the_sample_class)
{
    if (access("solutions/01-hello-process", F_OK) != 0)
        cr_skip_test("the sample class is built from solutions/, absent here");
    if (geteuid() != 0)
        cr_skip_test("the full box needs root (grading works without, with "
                     "weaker limits; this test checks the full box)");

    size_t rubric_len, bin_len;
    char *rubric = slurp("tests/rubric/01-hello-process.txt", &rubric_len);
    char *bin = slurp("build/tests/kit-tests", &bin_len);
    cr_assert(rubric != NULL && bin != NULL, "cannot read the rubric or "
                                             "build/tests/kit-tests");

    cr_assert_eq(system("bash tests/grade/sample/make-class.sh " CLASS), 0,
                 "tests/grade/sample/make-class.sh failed");
    int status = system("bash tests/grade/grade.sh "
                        "--fresh -j 1 --labs 01 " CLASS " " OUT
                        " >build/grade-sample/grade.log 2>&1");
    char *log = slurp("build/grade-sample/grade.log", NULL);
    cr_assert_eq(status, 0, "grade.sh failed (status %d). Its output:\n%s",
                 status, log != NULL ? log : "(none)");

    /* Every score and reason. */
    char *expected = slurp("tests/grade/sample/EXPECTED", NULL);
    char *book = slurp(OUT "/gradebook.csv", NULL);
    cr_assert(expected != NULL && book != NULL,
              "tests/grade/sample/EXPECTED or " OUT "/gradebook.csv missing");
    cr_assert(strncmp(book, "student,01-hello-process,total\n", 31) == 0,
              "the gradebook's header is not 'student,01-hello-process,"
              "total':\n%s",
              book);
    int students = 0;
    char *save = NULL;
    for (char *line = strtok_r(expected, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char student[64], points[16];
        int used = 0;
        cr_assert(sscanf(line, "%63s %15s %n", student, points, &used) == 2,
                  "EXPECTED: bad line '%s'", line);
        const char *reasons = line + used;
        students++;

        char prefix[80], got[16], total[16];
        snprintf(prefix, sizeof prefix, "%s,", student);
        const char *row = line_with_prefix(book, prefix);
        cr_assert(row != NULL, "%s has no row in the gradebook:\n%s", student,
                  book);
        cr_assert(csv_field(row, 1, got, sizeof got) &&
                      csv_field(row, 2, total, sizeof total),
                  "bad gradebook row for %s", student);
        cr_expect_str_eq(got, points,
                         "%s: lab 01 scored %s, expected %s. Feedback in "
                         "%s/feedback/%s.md",
                         student, got, points, OUT, student);
        cr_expect_str_eq(total, points, "%s: total %s, expected %s", student,
                         total, points);

        char path[256];
        snprintf(path, sizeof path, "%s/feedback/%s.md", OUT, student);
        char *feedback = slurp(path, NULL);
        cr_assert(feedback != NULL, "no feedback file %s", path);
        /* Reasons: '|'-separated texts the feedback must contain. */
        char want[512];
        snprintf(want, sizeof want, "%s", reasons);
        char *save2 = NULL;
        for (char *r = strtok_r(want, "|", &save2); r != NULL;
             r = strtok_r(NULL, "|", &save2)) {
            while (*r == ' ')
                r++;
            size_t n = strlen(r);
            while (n > 0 && r[n - 1] == ' ')
                r[--n] = '\0';
            if (n > 0)
                cr_expect(strstr(feedback, r) != NULL,
                          "%s: the feedback (%s) does not say '%s'", student,
                          path, r);
        }
        free(feedback);

        snprintf(path, sizeof path, "%s/results/%s.tsv", OUT, student);
        char *results = slurp(path, NULL);
        cr_assert(results != NULL, "no results file %s", path);
        cr_expect(strncmp(results, "lab\ttest\tstatus\tpoints\tmax\tmessage\n",
                          35) == 0,
                  "%s: the results file has no header", student);
        free(results);
    }
    int rows = 0;
    for (const char *p = book; *p != '\0'; p++)
        rows += *p == '\n';
    cr_expect_eq(rows, students + 1,
                 "the gradebook has %d rows, expected a header and %d "
                 "students:\n%s",
                 rows, students, book);

    /* Nothing of the kit changed, nothing of the submissions is left. */
    size_t len;
    char *rubric_after = slurp("tests/rubric/01-hello-process.txt", &len);
    cr_expect(rubric_after != NULL && len == rubric_len &&
                  memcmp(rubric, rubric_after, len) == 0,
              "a submission changed tests/rubric/01-hello-process.txt");
    char *bin_after = slurp("build/tests/kit-tests", &len);
    cr_expect(bin_after != NULL && len == bin_len &&
                  memcmp(bin, bin_after, len) == 0,
              "a submission changed build/tests/kit-tests");
    cr_expect(access("/dev/shm/kit-sample-fake", F_OK) != 0,
              "the fake submission's /dev/shm object outlived grading");
    const char *box = line_with_prefix(log, "Box: uid ");
    long box_uid = box != NULL ? strtol(box + 9, NULL, 10) : 0;
    cr_expect(box_uid > 0, "grade.sh did not say which uid the box ran as:\n%s",
              log);
    cr_expect_eq(box_processes(box_uid), 0,
                 "processes of the box's user (uid %ld) outlived grading",
                 box_uid);
    free(rubric);
    free(rubric_after);
    free(bin);
    free(bin_after);
    free(expected);
    free(book);
    free(log);
}
