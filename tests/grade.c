/*
 * grade.c - class grading (tests/grade/grade.sh) on the sample class of
 * tests/grade/sample/.
 *
 * grading_quick (every `make test`): the reference and the untouched
 * starter on lab 02 (the smallest lab) score full marks and 0.
 *
 * grading_class (`make test-grading`, its own CI step; skipped unless
 * KIT_GRADING_FULL is set): the whole sample class on lab 01 with two
 * jobs: badly behaved submissions (a fork bomb, a deadlock, a flood, a
 * fake summary, ...) and attacks on the box and on the grader (special
 * files, links to the reference, snooping for the kit's .git, planted .d
 * files, #include "/etc/shadow", leftovers of every kind, the network,
 * output that breaks the feedback, a forging constructor, student names no
 * grader may trust). Every score and reason must be what
 * tests/grade/sample/EXPECTED says; the kit's files, the machine's /tmp,
 * /var/tmp, /run/lock, /dev/shm, message queues and IPC tables must come
 * out as they were, with no process of the box's users left.
 *
 * The submissions run only inside grade.sh's box, never in this process.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAB01_HEADER "student,01-hello-process,total,note\n"
#define UID_BASE 64000 /* grade.sh's GRADE_UID_BASE default */
#define UID_SPAN 1000
#define NET_PORT 47613   /* what tests/grade/sample/net tries to reach */
#define REFUSED_NAMES 11 /* linkstudent and the ten names of make-class.sh */

TestSuite(grading_quick, .timeout = 240);
TestSuite(grading_class, .timeout = 3600);

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

/* What a shell command prints on stdout (NUL-terminated; never NULL). */
static char *command_output(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL, "popen %s", cmd);
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                free(buf);
            buf = bigger;
        }
    }
    pclose(p);
    cr_assert(buf != NULL, "out of memory");
    buf[n] = '\0';
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

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p != '\0'; p++)
        n += *p == '\n';
    return n;
}

/* The first control character of text (but newline and tab), or 0. */
static int control_char(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
            return *p;
    return 0;
}

/* Assemble the sample class (all of it, or the students named) and grade
 * it on lab 01; returns grade.sh's output, fails the test on an error. */
static char *grade_sample(const char *dir, const char *students, int jobs)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "rm -rf %s && mkdir -p %s && "
             "bash tests/grade/sample/make-class.sh %s/class %s",
             dir, dir, dir, students);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);
    snprintf(cmd, sizeof cmd,
             "bash tests/grade/grade.sh --fresh -j %d --labs 01 %s/class "
             "%s/out >%s/grade.log 2>&1",
             jobs, dir, dir, dir);
    int status = system(cmd);
    snprintf(cmd, sizeof cmd, "%s/grade.log", dir);
    char *log = slurp(cmd, NULL);
    cr_assert_eq(status, 0, "grade.sh failed (status %d). Its output:\n%s",
                 status, log != NULL ? log : "(none)");
    cr_assert(log != NULL, "no %s", cmd);
    return log;
}

/* Check every EXPECTED line (of the students named, or all); returns how
 * many students it checked. */
static int check_expected(const char *out, const char *only)
{
    char path[512];
    snprintf(path, sizeof path, "%s/gradebook.csv", out);
    char *book = slurp(path, NULL);
    char *expected = slurp("tests/grade/sample/EXPECTED", NULL);
    cr_assert(expected != NULL && book != NULL,
              "tests/grade/sample/EXPECTED or %s missing", path);
    cr_assert(strncmp(book, LAB01_HEADER, strlen(LAB01_HEADER)) == 0,
              "the gradebook's header is not '%s':\n%s", LAB01_HEADER, book);
    cr_expect(control_char(book) == 0,
              "the gradebook holds a control character:\n%s", book);
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
        if (only != NULL) {
            char word[80];
            snprintf(word, sizeof word, " %s ", student);
            if (strstr(only, word) == NULL)
                continue;
        }
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
                         student, got, points, out, student);
        cr_expect_str_eq(total, points, "%s: total %s, expected %s", student,
                         total, points);

        snprintf(path, sizeof path, "%s/feedback/%s.md", out, student);
        char *feedback = slurp(path, NULL);
        cr_assert(feedback != NULL, "no feedback file %s", path);
        cr_expect(control_char(feedback) == 0,
                  "%s: the feedback holds control character %d", student,
                  control_char(feedback));
        /* Reasons: '|'-separated texts the feedback must contain ('!':
         * must not). */
        char want[1024];
        snprintf(want, sizeof want, "%s", reasons);
        char *save2 = NULL;
        for (char *r = strtok_r(want, "|", &save2); r != NULL;
             r = strtok_r(NULL, "|", &save2)) {
            while (*r == ' ')
                r++;
            size_t n = strlen(r);
            while (n > 0 && r[n - 1] == ' ')
                r[--n] = '\0';
            if (n > 1 && r[0] == '!')
                cr_expect(strstr(feedback, r + 1) == NULL,
                          "%s: the feedback (%s) says '%s'", student, path,
                          r + 1);
            else if (n > 0)
                cr_expect(strstr(feedback, r) != NULL,
                          "%s: the feedback (%s) does not say '%s'", student,
                          path, r);
        }
        /* One total, at the top: program output cannot add another. */
        int totals = 0;
        for (const char *p = feedback; (p = strstr(p, "\n**Total: ")) != NULL;
             p++)
            totals++;
        cr_expect_eq(totals, 1, "%s: %d lines '**Total: ' in %s", student,
                     totals, path);
        free(feedback);

        snprintf(path, sizeof path, "%s/results/%s.tsv", out, student);
        char *results = slurp(path, NULL);
        cr_assert(results != NULL, "no results file %s", path);
        cr_expect(strncmp(results, "lab\ttest\tstatus\tpoints\tmax\tmessage\n",
                          35) == 0,
                  "%s: the results file has no header", student);
        cr_expect(control_char(results) == 0,
                  "%s: the results hold a control character", student);
        free(results);
    }
    free(expected);
    free(book);
    return students;
}

/* How many processes run as one of the boxes' users. */
static int box_processes(void)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && st.st_uid >= UID_BASE &&
            st.st_uid < UID_BASE + UID_SPAN)
            n++;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

/* The points of a lab: the sum of its rubric's lines. */
static int rubric_points(const char *lab)
{
    char path[256], line[512];
    snprintf(path, sizeof path, "tests/rubric/%s.txt", lab);
    FILE *f = fopen(path, "r");
    cr_assert(f != NULL, "no rubric %s", path);
    int sum = 0, points;
    while (fgets(line, sizeof line, f) != NULL)
        if (line[0] != '#' && sscanf(line, "%*s %d", &points) == 1)
            sum += points;
    fclose(f);
    return sum;
}

/* make test's check of the real box, kept cheap: a class of two, the
 * reference and the untouched starter, on the smallest lab (02: seven
 * tests, two boxes each). The sample class's every case is
 * grading_class's, in make test-grading. */
Test(grading_quick, reference_full_marks_and_starter_zero_on_lab_02)
{
    const char *lab = "02-father-sons";
    if (access("solutions/02-father-sons", F_OK) != 0)
        cr_skip_test("the class is built from solutions/, absent here");
    if (geteuid() != 0)
        cr_skip_test("grading runs student code only as root (or with "
                     "GRADE_UNSAFE=1); this test checks the real box");
    const char *dir = "build/grade-quick";
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "rm -rf %1$s && mkdir -p %1$s/class/reference/%2$s "
             "%1$s/class/starter/%2$s && cd labs/%2$s && "
             "for f in *.[ch]; do cp ../../solutions/%2$s/$f "
             "../../%1$s/class/reference/%2$s/ && "
             "cp $f ../../%1$s/class/starter/%2$s/ || exit 1; done",
             dir, lab);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);
    snprintf(cmd, sizeof cmd,
             "bash tests/grade/grade.sh --fresh -j 2 --labs 02 %1$s/class "
             "%1$s/out >%1$s/grade.log 2>&1",
             dir);
    int status = system(cmd);
    snprintf(cmd, sizeof cmd, "%s/grade.log", dir);
    char *log = slurp(cmd, NULL);
    cr_assert_eq(status, 0, "grade.sh failed (status %d). Its output:\n%s",
                 status, log != NULL ? log : "(none)");
    snprintf(cmd, sizeof cmd, "%s/out/gradebook.csv", dir);
    char *book = slurp(cmd, NULL);
    cr_assert(book != NULL, "no gradebook %s; grade.sh said:\n%s", cmd, log);
    char want[256];
    int max = rubric_points(lab);
    snprintf(want, sizeof want,
             "student,%s,total,note\nreference,%d,%d,\nstarter,0,0,\n", lab,
             max, max);
    cr_expect_str_eq(book, want,
                     "the gradebook should give the reference all %d points "
                     "of lab %s and the starter 0. grade.sh said:\n%s",
                     max, lab, log);
    free(book);
    free(log);
}

/* What a grading may not change on the machine, as text: every name in
 * /tmp and /dev/shm (private to this test run), and in /var/tmp,
 * /run/lock, /dev/mqueue and the SysV IPC tables whatever is the boxes'
 * (by owner) or the sample class's (by name: other work shares them). */
static char *machine_state(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ls -A /tmp /dev/shm; "
             "find /var/tmp /run/lock /dev/mqueue -mindepth 1 -maxdepth 1 "
             "\\( -uid +%d -uid -%d -o -name '*kit-sample*' \\) -print "
             "2>/dev/null; "
             "for t in shm:8 sem:5 msg:8; do awk -v c=${t#*:} "
             "'$1 ~ /^12630968/ || ($c >= %d && $c < %d)' "
             "/proc/sysvipc/${t%%:*}; done",
             UID_BASE - 1, UID_BASE + UID_SPAN, UID_BASE, UID_BASE + UID_SPAN);
    return command_output(cmd);
}

/* A checksum of the kit's files (not build/), and git's view of them. */
static char *kit_state(void)
{
    return command_output(
        "{ git status --porcelain 2>/dev/null; find Makefile README.md "
        "common labs tests solutions plots -type f -print0 | sort -z | "
        "xargs -0 sha256sum; } | sha256sum");
}

Test(grading_class, every_score_reason_and_leftover_of_the_sample_class)
{
    if (getenv("KIT_GRADING_FULL") == NULL)
        cr_skip_test("the whole sample class: make test-grading");
    if (access("solutions/01-hello-process", F_OK) != 0)
        cr_skip_test("the sample class is built from solutions/, absent here");
    if (geteuid() != 0)
        cr_skip_test("grading runs student code only as root");

    size_t bin_len;
    char *bin = slurp("build/tests/kit-tests", &bin_len);
    cr_assert(bin != NULL, "cannot read build/tests/kit-tests");
    char *kit_before = kit_state();
    char *machine_before = machine_state();

    /* The net submission tries to reach this. */
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(NET_PORT),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    bool listening =
        listener != -1 &&
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
        bind(listener, (struct sockaddr *)&a, sizeof a) == 0 &&
        listen(listener, 8) == 0;
    if (!listening)
        cr_log_warn("port %d is taken: the network check is left out",
                    NET_PORT);

    char *log = grade_sample("build/grade-sample", "", 2);
    const char *out = "build/grade-sample/out";
    int students = check_expected(out, NULL);

    /* The rows of refused names: one line each, no formula, no control. */
    char *book = slurp("build/grade-sample/out/gradebook.csv", NULL);
    cr_assert(book != NULL);
    cr_expect_eq(count_lines(book), 1 + students + REFUSED_NAMES,
                 "the gradebook should have a header, %d students and %d "
                 "refused names:\n%s",
                 students, REFUSED_NAMES, book);
    int refused = 0;
    for (const char *p = book; (p = strstr(p, ",\"refused: ")) != NULL; p++)
        refused++;
    cr_expect_eq(refused, REFUSED_NAMES, "%d rows say 'refused', not %d:\n%s",
                 refused, REFUSED_NAMES, book);
    cr_expect(line_with_prefix(book, "linkstudent,,,\"refused: a symbolic "
                                     "link") != NULL,
              "no refused row for the linked student folder:\n%s", book);
    for (const char *p = book; p != NULL && *p != '\0';) {
        const char *cell = *p == '"' ? p + 1 : p;
        cr_expect(strchr("=+-@", *cell) == NULL || *cell == '\0',
                  "a gradebook row starts with a formula:\n%s", book);
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    cr_expect(control_char(log) == 0,
              "grade.sh printed control character %d:\n%s", control_char(log),
              log);

    /* Nothing outlived the grading, nothing of the kit changed. */
    char *machine_after = machine_state();
    cr_expect_str_eq(machine_after, machine_before,
                     "grading changed /tmp, /dev/shm, /var/tmp, /run/lock, "
                     "/dev/mqueue or the IPC tables (before, then after)");
    cr_expect_eq(box_processes(), 0,
                 "processes of the boxes' users outlived grading");
    char *kit_after = kit_state();
    cr_expect_str_eq(kit_after, kit_before,
                     "the kit's files changed while grading (git status)");
    size_t len;
    char *bin_after = slurp("build/tests/kit-tests", &len);
    cr_expect(bin_after != NULL && len == bin_len &&
                  memcmp(bin, bin_after, len) == 0,
              "a submission changed build/tests/kit-tests");
    char *planted = command_output(
        "find build -name 'kit-sample-evil.d'; ls /tmp/kit-sample-pwned-by-d "
        "2>/dev/null");
    cr_expect_str_empty(planted, "planted files outlived grading:\n%s",
                        planted);
    const char *scratch = strstr(log, "scratch ");
    char dir[256] = "";
    cr_expect(scratch != NULL && sscanf(scratch, "scratch %255s", dir) == 1,
              "grade.sh did not name its scratch folder:\n%s", log);
    cr_expect(dir[0] != '\0' && access(dir, F_OK) != 0,
              "the scratch folder %s outlived grading", dir);
    /* grade.sh names the lock of OUT after a hash of its path */
    char *lock = command_output(
        "out=$(cd build/grade-sample/out && pwd -P) && "
        "ls ${GRADE_STATE:-/var/lib/kit-grade}/out.$(printf %s \"$out\" | "
        "sha256sum | cut -c1-16).lock 2>/dev/null");
    cr_expect_str_empty(lock, "the lock of the grading's OUT outlived it:\n%s",
                        lock);
    if (listening) {
        int c = accept(listener, NULL, NULL);
        cr_expect(c == -1 && (errno == EAGAIN || errno == EWOULDBLOCK),
                  "a submission reached the machine's loopback (port %d)",
                  NET_PORT);
        if (c != -1)
            close(c);
    }
    if (listener != -1)
        close(listener);
    free(planted);
    free(lock);
    free(bin);
    free(bin_after);
    free(kit_before);
    free(kit_after);
    free(machine_before);
    free(machine_after);
    free(book);
    free(log);
}
