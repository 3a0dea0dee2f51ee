/*
 * Lab 04 - a bounded queue shared by processes. The module tests run the
 * driver tests/04-queue/queue_check.c (built with the student's queue.c)
 * as a separate process: it hammers the queue from several processes (or
 * threads) and prints what happened, raw - every item each consumer got,
 * what each call returned. The verdict is the test's: it recomputes the
 * items from a seed it chose and checks each arrived exactly once, whole,
 * in order per producer (a driver line saying "all ok" would prove
 * nothing: the driver runs the student's code). Races are provoked: the
 * schedule perturber, SIGSTOP at the worst moment, ThreadSanitizer on a
 * threaded run. The program tests run fourprocs, workqueue and queue_bench,
 * also with a worker that dies, a fork that fails, and under ASan. The
 * harness fails any test whose program leaves a process, a zombie or a
 * /dev/shm object behind.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define LAB "04-queue"

TestSuite(lab04_queue, .timeout = 120);
TestSuite(lab04_fourprocs, .timeout = 40);
TestSuite(lab04_workqueue, .timeout = 120);
TestSuite(lab04_bench, .timeout = 60);

static const char *const QUEUE_TODOS =
    "TODO(04.1) to TODO(04.6) in queue.c: queue_create maps shared memory, "
    "the lock and conditions are process-shared, put/get wait in a while "
    "loop, close broadcasts";

/* Expect the program to have run to the end with status 0. */
static void expect_clean_exit(const struct run_result *r, const char *todo)
{
    cr_assert(!r->timed_out,
              "`%s` %s: it hung. Output so far:\n%.3000s\nstderr:\n%s\n"
              "A queue hangs when a waiter is never woken, or waits again "
              "for something that is already there (make check lists the "
              "TODOs to look at, most likely first, leaving out those other "
              "tests show working). Hint: %s",
              r->desc, run_how_ended(r), r->out, r->err, todo);
    run_expect_success(r, todo);
}

/* The number after "name " in text, or fail the test. */
static double field(const struct run_result *r, const char *name)
{
    char want[64];
    snprintf(want, sizeof want, " %s ", name);
    const char *p = strstr(r->out, want);
    double v = 0;
    cr_assert(p != NULL && sscanf(p + strlen(want), "%lf", &v) == 1,
              "`%s` printed no '%s' figure. Output:\n%.3000s", r->desc, name,
              r->out);
    return v;
}

/* A timeout long enough for the driver's own deadline (secs) to pass
 * first, so that a stuck queue is reported, not just killed. */
static struct run_opts opts_for(double secs)
{
    return (struct run_opts){.timeout = secs + 3};
}

static char *scaled(double secs)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "%g", secs * run_timeout_scale());
    return buf;
}

/* ---- the module, through the driver -------------------------------- */

/* What the test found in the driver's raw "got C KEY VALUE TEXT" lines. */
struct tally {
    long lines, bad, corrupt, missing, dup, disorder, first_missing;
};

/* Check one "got" line against the item the test expects for its key. */
static void tally_line(struct tally *t, const char *line, long p, long n,
                       long seed, unsigned *seen, long last[][16])
{
    long c, key, value;
    char text[64], want[64];
    t->lines++;
    if (sscanf(line, "got %ld %ld %ld %63s", &c, &key, &value, text) != 4 ||
        c < 0 || c >= 16 || key < 0 || key >= n) {
        t->bad++;
        return;
    }
    snprintf(want, sizeof want, "s%ld-k%ld", seed, key);
    if (value != seed + 3 * key || strcmp(text, want) != 0)
        t->corrupt++;
    seen[key]++;
    if (key <= last[c][key % p])
        t->disorder++;
    last[c][key % p] = key;
}

static struct tally tally_items(const char *out, long p, long n, long seed)
{
    struct tally t = {.first_missing = -1};
    unsigned *seen = calloc((size_t)n, sizeof *seen);
    long last[16][16];
    cr_assert(seen != NULL, "out of memory");
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            last[i][j] = -1;
    for (const char *l = out; l != NULL && *l != '\0';) {
        if (strncmp(l, "got ", 4) == 0)
            tally_line(&t, l, p, n, seed, seen, last);
        l = strchr(l, '\n');
        l = l != NULL ? l + 1 : NULL;
    }
    for (long k = 0; k < n; k++) {
        if (seen[k] == 0 && t.first_missing < 0)
            t.first_missing = k;
        t.missing += seen[k] == 0;
        t.dup += seen[k] > 1 ? (long)seen[k] - 1 : 0;
    }
    free(seen);
    return t;
}

/* Every item 0..n-1 arrived exactly once, whole, each producer's items in
 * the order it put them - recomputed here from the seed the test chose. */
static void expect_items(const struct run_result *r, long p, long n, long seed,
                         const char *what)
{
    cr_assert_eq(field(r, "stuck"), 0,
                 "%s: %g process(es) were still blocked in put or get after "
                 "the deadline. A waiter that is never woken: every put "
                 "must signal not_empty, every get not_full, close must "
                 "broadcast both, and all of it must be process-shared "
                 "(TODO 04.1-04.5).",
                 what, field(r, "stuck"));
    cr_assert_eq(field(r, "failed"), 0,
                 "%s: a producer or consumer got an error from put/get (a "
                 "put refused before close? a get that said closed while "
                 "items were left?). Last line: %s",
                 what, run_line_starting(r->out, "end:"));
    struct tally t = tally_items(r->out, p, n, seed);
    cr_assert(t.bad == 0 && t.corrupt == 0,
              "%s: %ld of the items the consumers got were not items that "
              "were put (a key out of range), %ld were garbled (value or "
              "text not as put). Hint: copy whole items into and out of the "
              "slot under the lock (TODO 04.3, 04.4).",
              what, t.bad, t.corrupt);
    cr_assert(t.missing == 0 && t.dup == 0,
              "%s: expected each of %ld items exactly once; %ld never "
              "arrived (the first: %ld), %ld arrived more than once. Hint: "
              "every access to head/count/items[] must hold the lock "
              "(TODO 04.3, 04.4), and the wait must be a while loop: after a "
              "wakeup another process may have taken the item already.",
              what, n, t.missing, t.first_missing, t.dup);
    cr_assert_eq(t.disorder, 0,
                 "%s: a consumer got a producer's items out of the order "
                 "they were put (%ld times). A queue is first in, first out: "
                 "get takes items[head], put writes items[(head + count) %% "
                 "capacity].",
                 what, t.disorder);
}

static void expect_exact(const char *p, const char *c, const char *n,
                         const char *q, const char *what)
{
    struct run_opts o = opts_for(6);
    const char *seed = "40417";
    struct run_result *r =
        RUN_WITH(&o, "queue_check", "-m", "exact", "-p", p, "-c", c, "-n", n,
                 "-q", q, "-s", seed, "-t", scaled(6));
    expect_clean_exit(r, QUEUE_TODOS);
    expect_items(r, atol(p), atol(n), atol(seed), what);
    run_free(r);
}

Test(lab04_queue, every_item_arrives_exactly_once_4_producers_4_consumers)
{
    expect_exact("4", "4", "20000", "16",
                 "4 producers, 4 consumers, 20000 items, 16 slots");
}

Test(lab04_queue, exactly_once_with_one_slot_and_many_processes)
{
    expect_exact("3", "6", "5000", "1",
                 "3 producers, 6 consumers, 5000 items, 1 slot");
}

Test(lab04_queue, a_single_producers_items_come_out_in_fifo_order)
{
    /* 3 slots and 10000 items: the ring wraps around thousands of times. */
    expect_exact("1", "1", "10000", "3",
                 "1 producer, 1 consumer, 10000 items, 3 slots");
}

Test(lab04_queue, exactly_once_when_the_schedule_is_perturbed)
{
    /* Random yields and sleeps around every lock, wait and wake-up: an
     * update outside the lock or a wait under `if` shows on every run. */
    struct run_opts o = opts_for(6);
    o.perturb = true;
    struct run_result *r =
        RUN_WITH(&o, "queue_check", "-m", "exact", "-p", "3", "-c", "4", "-n",
                 "3000", "-q", "2", "-s", "7321", "-t", scaled(6));
    expect_clean_exit(r, QUEUE_TODOS);
    expect_items(r, 3, 3000, 7321,
                 "3 producers, 4 consumers, 3000 items, 2 slots, perturbed");
    run_free(r);
}

Test(lab04_queue, threads_sharing_the_queue_race_free_under_tsan)
{
    /* The queue works between threads too; ThreadSanitizer sees every
     * access that two threads make without the lock between them. First
     * the plain build, so that a queue that hangs fails fast. */
    struct run_opts plain = opts_for(3);
    struct run_result *r =
        RUN_WITH(&plain, "queue_check", "-m", "threads", "-p", "2", "-c", "3",
                 "-n", "3000", "-q", "4", "-s", "911", "-t", scaled(3));
    expect_clean_exit(r, QUEUE_TODOS);
    run_free(r);
    struct run_opts o = {.timeout = 4,
                         .sanitizer = RUN_TSAN,
                         .hint = "ThreadSanitizer saw two threads touch the "
                                 "queue without the lock between them: "
                                 "every read and write of head, count, "
                                 "closed and items[] must hold q->lock "
                                 "(TODO 04.3, 04.4, 04.5)."};
    r = RUN_WITH(&o, "queue_check", "-m", "threads", "-p", "2", "-c", "3", "-n",
                 "3000", "-q", "4", "-s", "911", "-t", "30");
    expect_clean_exit(r, QUEUE_TODOS);
    expect_items(r, 2, 3000, 911,
                 "2 producer threads, 3 consumer threads, 3000 items");
    run_free(r);
}

Test(lab04_queue, get_on_an_empty_queue_waits_for_a_put_without_spinning)
{
    struct run_opts o = opts_for(3);
    struct run_result *r =
        RUN_WITH(&o, "queue_check", "-m", "block-get", "-t", scaled(3));
    expect_clean_exit(r, QUEUE_TODOS);
    cr_assert_eq(field(r, "stuck"), 0,
                 "A child blocked in get on an empty queue was not woken by "
                 "the parent's put (%s). put must signal not_empty, and the "
                 "condition must be process-shared (TODO 04.2, 04.3).",
                 r->out);
    cr_assert_eq(field(r, "returned_before_put"), 0,
                 "get on an empty queue returned before anything was put "
                 "(%s). It must wait while the queue is empty and open "
                 "(TODO 04.4).",
                 r->out);
    cr_assert(field(r, "rc") == 0 && field(r, "key") == 42,
              "After the put, get should return 0 with the item put (key "
              "42). Driver said: %s",
              r->out);
    double waited = field(r, "waited"), delay = field(r, "delay");
    cr_assert_geq(waited, 0.8 * delay,
                  "get returned after %.3f s, but the item was put only after "
                  "%.3f s. Driver said: %s",
                  waited, delay, r->out);
    /* The parent sleeps and the child should sleep in get: CPU time far
     * below the wall time. A loop that polls burns a core meanwhile. */
    if (run_cpu_is_measurable())
        cr_assert_lt(
            r->cpu_seconds, 0.05 * r->elapsed + 0.05 * run_timeout_scale(),
            "The program used %.3f s of CPU in %.3f s while its child "
            "waited in get for %.3f s: a busy loop. Wait with "
            "pthread_cond_wait, which sleeps until a signal (TODO 04.4).",
            r->cpu_seconds, r->elapsed, waited);
    run_free(r);
}

Test(lab04_queue, put_on_a_full_queue_waits_and_capacity_is_respected)
{
    struct run_opts o = opts_for(3);
    struct run_result *r =
        RUN_WITH(&o, "queue_check", "-m", "block-put", "-t", scaled(3));
    expect_clean_exit(r, QUEUE_TODOS);
    double cap = field(r, "capacity");
    double before = field(r, "done_before_get");
    double after = field(r, "done_after_one_get");
    cr_assert_eq(field(r, "stuck"), 0,
                 "A producer blocked on a full queue was never woken after "
                 "the gets (%s): get must signal not_full (TODO 04.4).",
                 r->out);
    cr_assert_eq(before, cap,
                 "A producer putting 10 items into a queue of %g slots, with "
                 "nobody getting, completed %g puts: expected exactly %g, the "
                 "rest waiting for room. %s (TODO 04.3)",
                 cap, before, cap,
                 before > cap ? "More than the capacity: put must wait WHILE "
                                "count == capacity."
                              : "Fewer: put waits although there is room.");
    cr_assert_eq(after, cap + 1,
                 "After one get from the full queue, exactly one more put "
                 "should complete: expected %g puts done, saw %g. get must "
                 "signal not_full (TODO 04.4).",
                 cap + 1, after);
    cr_assert(strstr(r->out, " keys 0 1 2 3 4 5 6 7 8 9 ") != NULL,
              "The 10 items should come out in the order they were put, "
              "keys 0 to 9 (first in, first out). Driver said: %s",
              r->out);
    if (run_cpu_is_measurable())
        cr_assert_lt(
            r->cpu_seconds, 0.05 * r->elapsed + 0.05 * run_timeout_scale(),
            "The program used %.3f s of CPU in %.3f s while a producer "
            "was blocked on a full queue: a busy loop. Use "
            "pthread_cond_wait (TODO 04.3).",
            r->cpu_seconds, r->elapsed);
    run_free(r);
}

Test(lab04_queue, close_wakes_every_waiting_consumer_and_producer)
{
    struct run_opts o = opts_for(2);
    struct run_result *r =
        RUN_WITH(&o, "queue_check", "-m", "close", "-t", scaled(2));
    expect_clean_exit(r, QUEUE_TODOS);
    cr_assert_eq(field(r, "returned_before_close"), 0,
                 "A get on an empty queue or a put on a full one returned "
                 "before the close (%s): both must wait (TODO 04.3, 04.4).",
                 r->out);
    cr_assert(strstr(r->out, " get_rc -1 -1 -1 ") != NULL,
              "3 consumers were waiting in get on an empty queue; after "
              "queue_close each should return QUEUE_CLOSED (-1). Driver "
              "said: %s\nclose must wake them ALL: pthread_cond_broadcast, "
              "not signal, on not_empty (TODO 04.5); get returns "
              "QUEUE_CLOSED when the queue is closed and empty (TODO 04.4). "
              "(99: the call never returned.)",
              r->out);
    cr_assert(strstr(r->out, " put_rc -1 -1 ") != NULL,
              "2 producers were waiting in put on a full queue; after "
              "queue_close each should return QUEUE_CLOSED (-1). Driver "
              "said: %s\nclose must broadcast not_full too, and put must "
              "return QUEUE_CLOSED on a closed queue (TODO 04.3, 04.5).",
              r->out);
    cr_assert(field(r, "drain_rc") == 0 && field(r, "drain_key") == 7,
              "An item put before the close must still come out: get on a "
              "closed queue that is not empty returns the item (TODO "
              "04.4). Driver said: %s",
              r->out);
    cr_assert(field(r, "then_rc") == -1 && field(r, "put_after_rc") == -1,
              "After the close, get on the empty queue must return "
              "QUEUE_CLOSED and put must be refused with QUEUE_CLOSED. "
              "Driver said: %s",
              r->out);
    run_free(r);
}

Test(lab04_queue, a_woken_get_checks_again_that_an_item_is_there)
{
    struct run_opts o = opts_for(2);
    struct run_result *r =
        RUN_WITH(&o, "queue_check", "-m", "steal", "-t", scaled(2));
    expect_clean_exit(r, QUEUE_TODOS);
    cr_assert_eq(field(r, "stuck"), 0,
                 "A consumer waiting in get was never woken by a put (%s): "
                 "put must signal not_empty (TODO 04.3).",
                 r->out);
    cr_assert_eq(field(r, "second_key"), 1,
                 "A consumer arriving at a queue holding one item should get "
                 "it at once. Driver said: %s",
                 r->out);
    cr_assert(
        field(r, "first_returned_early") == 0 && field(r, "first_key") == 2,
        "Consumer A waited in get; a put woke it, but before A ran, "
        "consumer B took the item. A must then wait again and get the "
        "next item (key 2); instead it returned %s with key %g. Wait "
        "in a WHILE loop, not an if: after pthread_cond_wait returns, "
        "check again that the queue holds an item (TODO 04.4). "
        "Driver said: %s",
        field(r, "first_returned_early") != 0 ? "before that put" : "after it",
        field(r, "first_key"), r->out);
    run_free(r);
}

Test(lab04_queue, every_put_wakes_a_waiting_consumer)
{
    /* 6 consumers wait; all are stopped; 6 puts; all continue. */
    struct run_opts o = opts_for(2);
    struct run_result *r = RUN_WITH(&o, "queue_check", "-m", "waiters", "-c",
                                    "6", "-t", scaled(2));
    expect_clean_exit(r, QUEUE_TODOS);
    const char *line = run_line_starting(r->out, "waiters:");
    long keys[6] = {0};
    int seen = 0;
    cr_assert(line != NULL &&
                  sscanf(line, "waiters: 6 keys %ld %ld %ld %ld %ld %ld",
                         &keys[0], &keys[1], &keys[2], &keys[3], &keys[4],
                         &keys[5]) == 6,
              "The driver printed no 'waiters:' line. Output:\n%s", r->out);
    for (int i = 0; i < 6; i++)
        if (keys[i] >= 1000 && keys[i] < 1006)
            seen |= 1 << (keys[i] - 1000);
    cr_assert(seen == 0x3f && field(r, "stuck") == 0,
              "6 consumers were waiting in get; 6 items were put (keys "
              "1000-1005) while they could not run; then they went on. Each "
              "should have got one distinct item, without any close; got "
              "keys (-1: none): %s\nA lost wake-up: every put must signal "
              "not_empty - not only when the queue was empty - because each "
              "item can feed one waiter (TODO 04.3).",
              line);
    run_free(r);
}

Test(lab04_queue, close_races_with_many_short_lived_waiters)
{
    /* Round after round, consumers start waiting as the queue is closed,
     * with the schedule perturbed: a close outside the lock loses them. */
    struct run_opts o = opts_for(4);
    o.perturb = true;
    struct run_result *r = RUN_WITH(&o, "queue_check", "-m", "close-race", "-c",
                                    "4", "-r", "40", "-t", scaled(4));
    expect_clean_exit(r, QUEUE_TODOS);
    cr_assert_eq(field(r, "stuck_rounds"), 0,
                 "Consumers that called get as the queue was being closed "
                 "were never woken, or got something else than QUEUE_CLOSED "
                 "(%s). Set closed and broadcast both WITH the lock held: a "
                 "consumer looks at `closed` and then waits, and a close "
                 "that slips between the two is lost (TODO 04.5).",
                 r->out);
    cr_assert_geq(field(r, "rounds"), 10,
                  "The driver ran too few rounds to tell (%s).", r->out);
    run_free(r);
}

Test(lab04_queue, destroy_releases_the_mapping_and_descriptors)
{
    struct run_result *r = RUN("queue_check", "-m", "unmap");
    expect_clean_exit(r, "TODO(04.1) and TODO(04.6)");
    double before = field(r, "maps_before"), after = field(r, "maps_after");
    cr_assert_leq(after, before + 20,
                  "After 300 queue_create/queue_destroy pairs the process has "
                  "%g mappings, %g before (a leak leaves one per queue): "
                  "queue_destroy must munmap the whole block (TODO 04.6).",
                  after, before);
    cr_assert_eq(field(r, "fds_after"), field(r, "fds_before"),
                 "After 300 queue_create/queue_destroy pairs the process has "
                 "%g open descriptors, %g before: a queue must not keep a "
                 "descriptor open (an anonymous mapping needs none; with "
                 "shm_open, close the descriptor once it is mapped) "
                 "(TODO 04.1, 04.6).",
                 field(r, "fds_after"), field(r, "fds_before"));
    run_free(r);
}

/* ---- fourprocs -------------------------------------------------------- */

/* Count the "parent: got (pos, "Hello name")" lines for each position;
 * expect each position of want (a string of '1' = arrives, '0' = must
 * not) accordingly, and no other got lines. */
static void expect_got_lines(const struct run_result *r, const char *want,
                             const char *name)
{
    int n = (int)strlen(want), expected = 0;
    for (int pos = 0; pos < n; pos++) {
        char line[128];
        snprintf(line, sizeof line, "parent: got (%d, \"Hello %s\") from pid ",
                 pos, name);
        int times = (int)run_count_lines(r->out, line);
        expected += want[pos] == '1';
        cr_assert_eq(times, want[pos] == '1',
                     "`%s`: position %d should arrive %s as (%d, \"Hello "
                     "%s\"); it arrived %d times. Output:\n%s\nHint: each "
                     "worker puts one item (TODO 04.7); the parent gets one "
                     "per live worker (TODO 04.8).",
                     r->desc, pos, want[pos] == '1' ? "exactly once" : "never",
                     pos, name, times, r->out);
    }
    cr_assert_eq(run_count_lines(r->out, "parent: got ("), (size_t)expected,
                 "`%s`: expected %d 'parent: got' lines. Output:\n%s", r->desc,
                 expected, r->out);
}

/* The sorted results line: position i holds "Hello name" if want[i] is
 * '1', else '' (a worker that died). */
static void expect_sorted(const struct run_result *r, const char *want,
                          const char *name)
{
    char sorted[4096] = "parent: results by position: [";
    for (int pos = 0; want[pos] != '\0'; pos++) {
        char one[64];
        snprintf(one, sizeof one, "%s(%d, '%s%s')", pos ? ", " : "", pos,
                 want[pos] == '1' ? "Hello " : "",
                 want[pos] == '1' ? name : "");
        strncat(sorted, one, sizeof sorted - strlen(sorted) - 1);
    }
    strncat(sorted, "]\n", sizeof sorted - strlen(sorted) - 1);
    cr_assert(strstr(r->out, sorted) != NULL,
              "Expected the results put back in order:\n%sOutput was:\n%s\n"
              "Hint: copy each item's text into results[key] (TODO 04.8).",
              sorted, r->out);
}

/* Check one good fourprocs run of n workers. */
static void check_fourprocs(const struct run_result *r, int n, const char *name)
{
    expect_clean_exit(r, "TODO(04.7), TODO(04.8), and the queue");
    char want[80];
    memset(want, '1', (size_t)n);
    want[n] = '\0';
    expect_got_lines(r, want, name);
    expect_sorted(r, want, name);
}

/* -h and --help: the usage on stdout, status 0. */
static void expect_help(const char *prog, const char *opt)
{
    struct run_result *r =
        run_program(LAB, (const char *const[]){prog, opt, NULL}, NULL);
    cr_assert(r->exit_code == 0 && strncmp(r->out, "usage: ", 7) == 0,
              "`%s` should print its usage line on stdout and exit with "
              "status 0 (asking for help is not an error); it %s. stdout:\n"
              "%s\nstderr:\n%s",
              r->desc, run_how_ended(r), r->out, r->err);
    run_free(r);
}

Test(lab04_fourprocs, the_lecture_example_collects_four_results)
{
    struct run_result *r = RUN("fourprocs");
    check_fourprocs(r, 4, "World");
    run_free(r);
    expect_help("fourprocs", "-h");
    expect_help("fourprocs", "--help");
}

Test(lab04_fourprocs, more_workers_than_slots_and_bad_arguments)
{
    static const char *const bad[][4] = {
        {"fourprocs", "-n", "0", NULL},  {"fourprocs", "-n", "65", NULL},
        {"fourprocs", "-q", "x", NULL},  {"fourprocs", "-q", "0", NULL},
        {"fourprocs", "-q", "65", NULL}, {"fourprocs", "-k", "64", NULL},
        {"fourprocs", "extra", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = run_program(LAB, bad[i], NULL);
        cr_assert_eq(r->exit_code, 2, "`%s` should exit with status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", r->desc);
        run_free(r);
    }
    /* 12 workers, 2 slots: the parent must get while workers still run. */
    struct run_opts o = {.timeout = 4};
    struct run_result *r =
        RUN_WITH(&o, "fourprocs", "-n", "12", "-q", "2", "-m", "Ada");
    cr_assert(!r->timed_out,
              "`%s` hung. With 12 workers and 2 slots, 10 workers wait in put "
              "until the parent gets: the parent must get every result "
              "BEFORE it waits for the workers (TODO 04.8).",
              r->desc);
    check_fourprocs(r, 12, "Ada");
    run_free(r);
    /* The limits themselves: 64 workers through one slot, and 1 worker. */
    r = RUN_WITH(&o, "fourprocs", "-n", "64", "-q", "1", "-m", "Bo");
    check_fourprocs(r, 64, "Bo");
    run_free(r);
    r = RUN_WITH(&o, "fourprocs", "-n", "1", "-q", "64");
    check_fourprocs(r, 1, "World");
    run_free(r);
}

Test(lab04_fourprocs, a_worker_that_dies_before_its_put_is_reported_not_awaited)
{
    /* -k 2: worker 2 is killed (SIGKILL) before its put. Its result will
     * never come: the parent must notice, not wait for ever. */
    struct run_opts o = {.timeout = 4};
    struct run_result *r =
        RUN_WITH(&o, "fourprocs", "-n", "5", "-q", "2", "-k", "2");
    cr_assert(!r->timed_out,
              "`%s` hung: worker 2 died before its put, and the parent "
              "waited for its result for ever. Get with "
              "queue_get_timed(q, &item, LOOK_EVERY) and, when it times "
              "out, look for dead workers with dead_workers() (TODO 04.8). "
              "Output so far:\n%s",
              r->desc, r->out);
    cr_assert_eq(r->exit_code, 1,
                 "`%s` %s: a worker died, so it should exit with status 1. "
                 "stderr:\n%s",
                 r->desc, run_how_ended(r), r->err);
    cr_assert(strstr(r->err, "worker 2 (pid ") != NULL &&
                  strstr(r->err, "was killed by signal 9") != NULL,
              "`%s`: stderr should say 'fourprocs: worker 2 (pid P) was "
              "killed by signal 9 (Killed)'. stderr:\n%s\nHint: TODO(04.8) "
              "calls dead_workers(), which says how each one ended.",
              r->desc, r->err);
    expect_got_lines(r, "11011", "World");
    expect_sorted(r, "11011", "World");
    run_free(r);
}

Test(lab04_fourprocs, a_failed_fork_stops_and_reaps_the_workers_started)
{
    /* The 5th fork fails: workers 0-3 run, 2 of them blocked in put on a
     * full queue (2 slots) that nobody will empty. */
    static const char *const env[] = {"KIT_FAIL_FORK_AT=5", NULL};
    struct run_opts o = {
        .timeout = 4, .perturb = true, .env = env, .allow_leftovers = true};
    struct run_result *r = RUN_WITH(&o, "fourprocs", "-n", "8", "-q", "2");
    cr_assert(!r->timed_out, "`%s` (5th fork fails) hung. Output:\n%s", r->desc,
              r->out);
    cr_assert(strstr(r->out, "parent: pid ") != NULL,
              "`%s` did not start: %s. stderr:\n%s (the queue, TODO 04.1-6)",
              r->desc, run_how_ended(r), r->err);
    cr_assert(r->left_running == 0 && r->left_zombies == 0,
              "`%s`: the 5th fork failed and the program ended, leaving %d "
              "worker(s) running (blocked in put for ever) and %d unreaped. "
              "Before giving up, stop the workers already started - close "
              "the queue, so their puts return QUEUE_CLOSED (TODO 04.7: end "
              "quietly then) - and reap them. stderr:\n%s",
              r->desc, r->left_running, r->left_zombies, r->err);
    cr_assert(r->exit_code == 1 && strstr(r->err, "fork: ") != NULL,
              "`%s` should report the failed fork on stderr and exit with "
              "status 1; it %s. stderr:\n%s",
              r->desc, run_how_ended(r), r->err);
    run_free(r);
}

/* ---- workqueue -------------------------------------------------------- */

/* Sum of the "consumer k: N items" lines; count of such lines in *lines. */
static long consumer_total(const char *out, int *lines)
{
    long total = 0;
    *lines = 0;
    for (const char *p = strstr(out, "consumer "); p != NULL;
         p = strstr(p + 1, "consumer ")) {
        int k;
        long items;
        if ((p == out || p[-1] == '\n') &&
            sscanf(p, "consumer %d: %ld items", &k, &items) == 2) {
            total += items;
            (*lines)++;
        }
    }
    return total;
}

Test(lab04_workqueue, many_producers_and_consumers_deliver_every_item_once)
{
    static const char *const bad[][3] = {
        {"workqueue", "-p", "0"},  {"workqueue", "-p", "17"},
        {"workqueue", "-c", "17"}, {"workqueue", "-n", "ten"},
        {"workqueue", "-n", "0"},  {"workqueue", "-e", "-1"},
        {"workqueue", "-q", "0"},  {"workqueue", "-k", "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = run_program(
            LAB, (const char *const[]){bad[i][0], bad[i][1], bad[i][2], NULL},
            NULL);
        cr_assert_eq(r->exit_code, 2, "`%s` should exit with status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", r->desc);
        run_free(r);
    }
    struct run_opts o = {.timeout = 8};
    struct run_result *r = RUN_WITH(&o, "workqueue", "-p", "3", "-c", "5", "-n",
                                    "20000", "-q", "32");
    expect_clean_exit(r, "TODO(04.9) (consumers get until QUEUE_CLOSED) and "
                         "TODO(04.10) (close once every producer is done)");
    int lines;
    long total = consumer_total(r->out, &lines);
    cr_assert_eq(lines, 5,
                 "Expected a 'consumer k: N items' line for each of "
                 "5 consumers. Output:\n%s",
                 r->out);
    cr_assert_eq(total, 20000,
                 "The consumers got %ld items in all; 20000 were put. "
                 "Output:\n%s",
                 total, r->out);
    cr_assert(strstr(r->out, "total: 20000 of 20000 items delivered, "
                             "checksum ok\n") != NULL,
              "Expected 'total: 20000 of 20000 items delivered, checksum "
              "ok'. Output:\n%s",
              r->out);
    cr_assert_eq(run_count_lines(r->out, "every producer is done"), 1,
                 "The parent should close the queue once, when the last "
                 "producer has ended, and say so. Output:\n%s\nHint: "
                 "TODO(04.10).",
                 r->out);
    run_free(r);
    expect_help("workqueue", "-h");
    expect_help("workqueue", "--help");
}

Test(lab04_workqueue, a_consumer_that_ends_early_leaves_the_rest_to_others)
{
    struct run_opts o = {.timeout = 5};
    struct run_result *r = RUN_WITH(&o, "workqueue", "-c", "3", "-n", "3000",
                                    "-q", "4", "-e", "7");
    expect_clean_exit(r, "TODO(04.9): stop after `early` items; the other "
                         "consumers carry on until QUEUE_CLOSED");
    const char *line = run_line_starting(r->out, "consumer 1: ");
    long first = -1;
    cr_assert(line != NULL && sscanf(line, "consumer 1: %ld", &first) == 1 &&
                  first == 7,
              "With -e 7 and 3000 items, consumer 1 should stop after "
              "exactly 7 items. Output:\n%s",
              r->out);
    cr_assert(strstr(r->out, "total: 3000 of 3000 items delivered, checksum "
                             "ok\n") != NULL,
              "Consumer 1 left early, but consumers 2 and 3 should still get "
              "every other item. Output:\n%s",
              r->out);
    run_free(r);
}

Test(lab04_workqueue, when_every_consumer_ends_early_producers_do_not_hang)
{
    struct run_opts o = {.timeout = 5};
    struct run_result *r = RUN_WITH(&o, "workqueue", "-p", "2", "-c", "1", "-n",
                                    "5000", "-q", "4", "-e", "10");
    cr_assert(!r->timed_out,
              "`%s` hung. Its only consumer leaves after 10 items; the "
              "producers then wait forever for room in a full queue unless "
              "the parent closes it when no consumer is left (TODO 04.10), "
              "and close wakes producers waiting in put (TODO 04.5). Output "
              "so far:\n%s",
              r->desc, r->out);
    cr_assert_eq(r->exit_code, 1,
                 "`%s` %s: with items undelivered it should report the "
                 "failure with exit status 1. stderr:\n%s",
                 r->desc, run_how_ended(r), r->err);
    cr_assert(strstr(r->out, "parent: no consumer left: closing the queue") !=
                  NULL,
              "Expected 'parent: no consumer left: closing the queue'. "
              "Output:\n%s\nstderr:\n%s\nHint: TODO(04.10).",
              r->out, r->err);
    cr_assert(strstr(r->out, "total: 10 of 5000 items delivered, 4990 "
                             "missing\n") != NULL,
              "Expected 'total: 10 of 5000 items delivered, 4990 missing'. "
              "Output:\n%s",
              r->out);
    run_free(r);
}

Test(lab04_workqueue, a_crashed_consumer_is_reported_with_how_it_ended)
{
    /* -k 5: consumer 1 gets 5 items, then is killed (SIGKILL): its items
     * and its report are lost, the others carry on. */
    struct run_opts o = {.timeout = 5};
    struct run_result *r = RUN_WITH(&o, "workqueue", "-c", "3", "-n", "2000",
                                    "-q", "4", "-k", "5");
    cr_assert(!r->timed_out, "`%s` hung. Output so far:\n%s", r->desc, r->out);
    cr_assert_eq(r->exit_code, 1,
                 "`%s` %s: a consumer crashed, so it should exit with status "
                 "1. stderr:\n%s",
                 r->desc, run_how_ended(r), r->err);
    cr_assert(strstr(r->err, "consumer 1 (pid ") != NULL &&
                  strstr(r->err, "was killed by signal 9 (Killed)") != NULL,
              "`%s`: stderr should say 'workqueue: consumer 1 (pid P) was "
              "killed by signal 9 (Killed)', decoded from the status "
              "waitpid gave. stderr:\n%s\nHint: TODO(04.10) calls note_end() "
              "for every child it reaps.",
              r->desc, r->err);
    cr_assert(strstr(r->out, "total: 1995 of 2000 items delivered, 5 "
                             "missing\n") != NULL,
              "Expected 'total: 1995 of 2000 items delivered, 5 missing': "
              "the 5 items the crashed consumer held are lost, every other "
              "arrives. Output:\n%s",
              r->out);
    run_free(r);
}

Test(lab04_workqueue, a_failed_fork_stops_and_reaps_every_child_started)
{
    /* The 3rd fork fails: consumers 1 and 2 run, waiting in get on a
     * queue that nobody will fill or close. */
    static const char *const env[] = {"KIT_FAIL_FORK_AT=3", NULL};
    struct run_opts o = {
        .timeout = 5, .perturb = true, .env = env, .allow_leftovers = true};
    struct run_result *r = RUN_WITH(&o, "workqueue", "-p", "2", "-c", "3");
    cr_assert(!r->timed_out, "`%s` (3rd fork fails) hung. Output:\n%s", r->desc,
              r->out);
    cr_assert(r->left_running == 0 && r->left_zombies == 0,
              "`%s`: the 3rd fork failed and the program ended, leaving %d "
              "child(ren) running (waiting in get for ever) and %d unreaped. "
              "Stop the children already started - close the work queue - "
              "and reap them (TODO 04.10) before giving up. stderr:\n%s",
              r->desc, r->left_running, r->left_zombies, r->err);
    cr_assert(r->exit_code == 1 && strstr(r->err, "fork: ") != NULL,
              "`%s` should report the failed fork on stderr and exit with "
              "status 1; it %s. stderr:\n%s",
              r->desc, run_how_ended(r), r->err);
    cr_assert(strstr(r->out, "parent: a fork failed: closing the queue\n") !=
                      NULL &&
                  strstr(r->out, "total: 0 of 400 items delivered, 400 "
                                 "missing\n") != NULL,
              "`%s`: expected 'parent: a fork failed: closing the queue' and "
              "'total: 0 of 400 items delivered, 400 missing'. Output:\n%s",
              r->desc, r->out);
    run_free(r);
}

Test(lab04_workqueue, programs_are_clean_under_asan_and_ubsan)
{
    /* First the plain build, so that a program that hangs fails fast. */
    struct run_opts plain = {.timeout = 4};
    struct run_result *r = RUN_WITH(&plain, "workqueue", "-p", "2", "-c", "3",
                                    "-n", "2000", "-q", "4");
    expect_clean_exit(r, "TODO(04.9) and TODO(04.10)");
    run_free(r);
    struct run_opts o = {.timeout = 3,
                         .sanitizer = RUN_ASAN,
                         .hint = "see the report: the line in your code "
                                 "it names (TODO 04.7-04.10)"};
    r = RUN_WITH(&o, "workqueue", "-p", "2", "-c", "3", "-n", "2000", "-q",
                 "4");
    expect_clean_exit(r, "TODO(04.9) and TODO(04.10)");
    cr_assert(strstr(r->out, "total: 2000 of 2000 items delivered, checksum "
                             "ok\n") != NULL,
              "Expected 'total: 2000 of 2000 items delivered, checksum ok'. "
              "Output:\n%s",
              r->out);
    run_free(r);
    r = RUN_WITH(&o, "fourprocs", "-n", "6", "-q", "2");
    check_fourprocs(r, 6, "World");
    run_free(r);
}

/* ---- queue_bench ------------------------------------------------------ */

Test(lab04_bench, reports_median_min_max_for_queue_and_pipe)
{
    struct run_opts o = {.timeout = 5};
    struct run_result *r = RUN_WITH(&o, "queue_bench", "-n", "3000", "-r", "3");
    expect_clean_exit(r, "the queue (TODO 04.1-04.6)");
    cr_assert(strstr(r->out, "cores online") != NULL,
              "The benchmark should say how many cores the machine has. "
              "Output:\n%s",
              r->out);
    const char *labels[] = {"queue (capacity 1024):", "pipe:"};
    for (int i = 0; i < 2; i++) {
        const char *p = strstr(r->out, labels[i]);
        double med = 0, lo = 0, hi = 0;
        cr_assert(p != NULL && sscanf(p + strlen(labels[i]),
                                      " median %lf items/s (min %lf, max %lf)",
                                      &med, &lo, &hi) == 3,
                  "Expected a line '%s median R items/s (min A, max B)'. "
                  "Output:\n%s",
                  labels[i], r->out);
        cr_assert(lo > 0 && lo <= med && med <= hi,
                  "%s min %.0f <= median %.0f <= max %.0f should hold.",
                  labels[i], lo, med, hi);
    }
    run_free(r);
    expect_help("queue_bench", "-h");
    expect_help("queue_bench", "--help");
}
