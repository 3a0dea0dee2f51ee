/*
 * bench.c - see bench.h.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "timing.h"

/* CPU seconds used so far by this process (every thread) and by the
 * children it has waited for. */
static double cpu_seconds(void)
{
    struct rusage self, children;
    if (getrusage(RUSAGE_SELF, &self) == -1)
        die("getrusage");
    if (getrusage(RUSAGE_CHILDREN, &children) == -1)
        die("getrusage");
    const struct timeval *tv[] = {&self.ru_utime, &self.ru_stime,
                                  &children.ru_utime, &children.ru_stime};
    double total = 0;
    for (size_t i = 0; i < sizeof tv / sizeof tv[0]; i++)
        total += (double)tv[i]->tv_sec + (double)tv[i]->tv_usec / 1e6;
    return total;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *values, size_t count)
{
    qsort(values, count, sizeof values[0], compare_doubles);
    if (count % 2 == 1)
        return values[count / 2];
    return (values[count / 2 - 1] + values[count / 2]) / 2;
}

/* Median, minimum and maximum of count values (sorts them). */
static void summarize(double *values, int count, double *median, double *min,
                      double *max)
{
    *median = bench_median(values, (size_t)count);
    *min = values[0];
    *max = values[count - 1];
}

void bench_run(void (*work)(void *arg), void *arg, int warmups, int runs,
               bool cpu, struct bench_result *out)
{
    if (runs < 1 || runs > BENCH_MAX_RUNS || warmups < 0) {
        (void)fprintf(stderr, "%s: bench_run: %d runs, %d warm-ups\n",
                      errors_progname(), runs, warmups);
        exit(EXIT_FAILURE);
    }
    double *wall = malloc(2 * (size_t)runs * sizeof *wall);
    if (wall == NULL)
        die("malloc");
    double *cpus = wall + runs;

    for (int i = 0; i < warmups; i++)
        work(arg);
    for (int i = 0; i < runs; i++) {
        double c0 = cpu ? cpu_seconds() : 0;
        double t0 = timing_now();
        work(arg);
        wall[i] = timing_now() - t0;
        cpus[i] = cpu ? cpu_seconds() - c0 : -1;
    }

    out->runs = runs;
    summarize(wall, runs, &out->median, &out->min, &out->max);
    summarize(cpus, runs, &out->cpu_median, &out->cpu_min, &out->cpu_max);
    free(wall);
}

int bench_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

/* Copy text into buf (len > 0), cut short if it does not fit. */
static void copy_text(char *buf, size_t len, const char *text)
{
    size_t n = strlen(text);
    if (n >= len)
        n = len - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
}

/* The CPU model from /proc/cpuinfo ("model name" on x86, "Model" or
 * "Processor" elsewhere), or "unknown CPU". */
static void cpu_model(char *buf, size_t len)
{
    copy_text(buf, len, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return; /* not Linux: the model stays unknown */
    static const char *const keys[] = {"model name", "Model", "Processor"};
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            size_t n = strlen(keys[k]);
            char *colon = strchr(line, ':');
            if (strncmp(line, keys[k], n) != 0 || colon == NULL)
                continue;
            char *value = colon + 1 + strspn(colon + 1, " \t");
            value[strcspn(value, "\n")] = '\0';
            if (*value != '\0') {
                copy_text(buf, len, value);
                found = true;
            }
            break;
        }
    }
    if (fclose(f) == EOF)
        warn_errno("/proc/cpuinfo");
}

void bench_machine(char *buf, size_t len)
{
    char model[256];
    cpu_model(model, sizeof model);
    int cores = bench_cores();
    if (snprintf(buf, len, "%d core%s, %s", cores, cores == 1 ? "" : "s",
                 model) < 0)
        die("snprintf");
}

int bench_parse_list(const char *s, long min, long max, long *out,
                     int max_count, const char *name, const char *usage)
{
    int count = 0;
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, ",");
        char item[32];
        if (n == 0 || n >= sizeof item)
            die_usage(usage, "%s: '%s' is not a list like 2,4,8", name, s);
        if (count == max_count)
            die_usage(usage, "%s: '%s' has more than %d items", name, s,
                      max_count);
        memcpy(item, p, n);
        item[n] = '\0';
        out[count++] = arg_long(item, min, max, name, usage);
        if (p[n] == '\0')
            return count;
        p += n + 1;
    }
}

/* What the compiler lets the program know of how it was compiled. */
static const char *compiled_with(void)
{
    const char *env = getenv("BENCH_CFLAGS");
    if (env != NULL && *env != '\0')
        return env;
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
    return "a sanitizer build (timings are not representative)";
#elif defined(__OPTIMIZE__)
    return "optimized (-O1 or more; set BENCH_CFLAGS to record the flags)";
#else
    return "not optimized (-O0)";
#endif
}

FILE *bench_data_open(const char *path, const char *title, int warmups,
                      int runs)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die(path);
    char host[256] = "unknown";
    if (gethostname(host, sizeof host) == -1)
        warn_errno("gethostname");
    host[sizeof host - 1] = '\0';
    char model[256];
    cpu_model(model, sizeof model);
    char date[64] = "unknown";
    time_t now = time(NULL);
    struct tm utc;
    if (now != (time_t)-1 && gmtime_r(&now, &utc) != NULL)
        (void)strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc);
#if defined(__clang__)
    const char *compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    const char *compiler = "gcc " __VERSION__;
#else
    const char *compiler = "unknown compiler";
#endif
    if (fprintf(f,
                "# kit-bench data file (format: common/bench.h)\n"
                "# title: %s\n"
                "# host: %s\n"
                "# cores: %d\n"
                "# cpu: %s\n"
                "# compiler: %s\n"
                "# flags: %s\n"
                "# date: %s\n"
                "# runs: %d timed after %d warm-up\n"
                "# columns: variant workers median min max "
                "cpu_median cpu_min cpu_max\n",
                title, host, bench_cores(), model, compiler, compiled_with(),
                date, runs, warmups) < 0)
        die(path);
    return f;
}

void bench_data_row(FILE *file, const char *variant, int workers,
                    const struct bench_result *r)
{
    if (fprintf(file, "%s %d %.6f %.6f %.6f %.6f %.6f %.6f\n", variant, workers,
                r->median, r->min, r->max, r->cpu_median, r->cpu_min,
                r->cpu_max) < 0)
        die("writing the data file");
    /* Written at once, so that a run stopped halfway leaves its rows. */
    if (fflush(file) == EOF)
        die("writing the data file");
}

void bench_data_close(FILE *file, const char *path)
{
    if (fclose(file) == EOF)
        die(path);
}
