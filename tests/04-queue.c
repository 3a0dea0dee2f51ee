/*
 * Lab 04 - a bounded queue shared by processes. The module tests run the
 * driver tests/04-queue/queue_check.c (built with the student's queue.c)
 * as a separate process: it hammers the queue from several processes and
 * prints what it counted (items lost, doubled, out of order; how long a
 * get waited; how many puts fit; who a close woke). The program tests run
 * fourprocs, workqueue and queue_bench and check what they print. The
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
              "`%s` %s: it hung. Output so far:\n%s\nstderr:\n%s\n"
              "A queue hangs when a waiter is never woken: is the mapping "
              "MAP_SHARED, are the lock and conditions PTHREAD_PROCESS_SHARED, "
              "does close broadcast? Hint: %s",
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
              "`%s` printed no '%s' figure. Output:\n%s", r->desc, name,
              r->out);
    return v;
}

/* A timeout long enough for the driver's own deadline (secs) to pass
 * first, so that a stuck queue is reported, not just killed. */
static struct run_opts opts_for(double secs)
{
    return (struct run_opts){.timeout = secs + 5};
}

static char *scaled(double secs)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "%g", secs * run_timeout_scale());
    return buf;
}

/* ---- the module, through the driver -------------------------------- */

static void expect_exact(const char *p, const char *c, const char *n,
                         const char *q, const char *what)
{
    struct run_opts o = opts_for(6);
    struct run_result *r = RUN_WITH(&o, "queue_check", "-m", "exact", "-p", p,
                                    "-c", c, "-n", n, "-q", q, "-t", scaled(6));
    expect_clean_exit(r, QUEUE_TODOS);
    double items = field(r, "items"), stuck = field(r, "stuck");
    cr_assert_eq(stuck, 0,
                 "%s: %g process(es) were still blocked in put or get after "
                 "the deadline (%s). A waiter that is never woken: every put "
                 "must signal not_empty, every get not_full, close must "
                 "broadcast both, and all of it must be process-shared "
                 "(TODO 04.1-04.5).",
                 what, stuck, r->out);
    cr_assert_eq(field(r, "failed"), 0,
                 "%s: a producer or consumer got an error from put/get "
                 "(a put refused before close?). Driver said: %s",
                 what, r->out);
    double missing = field(r, "missing"), dup = field(r, "duplicated");
    double corrupt = field(r, "corrupt");
    cr_assert(missing == 0 && dup == 0 && corrupt == 0,
              "%s: %g items, expected each exactly once; %g never arrived, "
              "%g arrived more than once, %g arrived garbled. Driver said: %s"
              "Hint: every access to head/count/items[] must hold the lock "
              "(TODO 04.3, 04.4), and the wait must be a while loop: after a "
              "wakeup another process may have taken the item already.",
              what, items, missing, dup, corrupt, r->out);
    cr_assert_eq(field(r, "received"), items,
                 "%s: the consumers got %g items for %g put. Driver said: %s",
                 what, field(r, "received"), items, r->out);
    cr_assert_eq(field(r, "out_of_order"), 0,
                 "%s: a consumer got a producer's items out of the order they "
                 "were put (%g times). A queue is first in, first out: get "
                 "takes items[head], put writes items[(head + count) %% "
                 "capacity]. Driver said: %s",
                 what, field(r, "out_of_order"), r->out);
    run_free(r);
}

Test(lab04_queue, every_item_arrives_exactly_once_4_producers_4_consumers)
{
    expect_exact("4", "4", "100000", "16",
                 "4 producers, 4 consumers, 100000 items, 16 slots");
}

Test(lab04_queue, exactly_once_with_one_slot_and_many_processes)
{
    expect_exact("3", "6", "20000", "1",
                 "3 producers, 6 consumers, 20000 items, 1 slot");
}

Test(lab04_queue, a_single_producers_items_come_out_in_fifo_order)
{
    /* 3 slots and 20000 items: the ring wraps around thousands of times. */
    expect_exact("1", "1", "20000", "3",
                 "1 producer, 1 consumer, 20000 items, 3 slots");
}

Test(lab04_queue, get_on_an_empty_queue_waits_for_a_put)
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
    cr_assert_lt(field(r, "cpu"), 0.1 * run_timeout_scale() + 0.02,
                 "The child used %.3f s of CPU while it waited %.3f s: a busy "
                 "loop. Wait with pthread_cond_wait, which sleeps until a "
                 "signal (TODO 04.4).",
                 field(r, "cpu"), waited);
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
    cr_assert_eq(field(r, "in_order"), 1,
                 "The 10 items came out of the queue in another order than "
                 "they were put (first in, first out). Driver said: %s",
                 r->out);
    cr_assert_lt(field(r, "cpu"), 0.1 * run_timeout_scale() + 0.02,
                 "The producer used %.3f s of CPU while blocked on a full "
                 "queue: a busy loop. Use pthread_cond_wait (TODO 04.3).",
                 field(r, "cpu"));
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
    double woke = field(r, "consumers_closed");
    cr_assert_eq(woke, 3,
                 "3 consumers were waiting in get on an empty queue; after "
                 "queue_close only %g returned QUEUE_CLOSED (%s). close must "
                 "wake them ALL: pthread_cond_broadcast, not signal, on "
                 "not_empty (TODO 04.5); get returns QUEUE_CLOSED when the "
                 "queue is closed and empty (TODO 04.4).",
                 woke, r->out);
    cr_assert_eq(field(r, "producers_closed"), 2,
                 "2 producers were waiting in put on a full queue; after "
                 "queue_close only %g returned QUEUE_CLOSED (%s). close must "
                 "broadcast not_full too, and put must return QUEUE_CLOSED "
                 "on a closed queue (TODO 04.3, 04.5).",
                 field(r, "producers_closed"), r->out);
    cr_assert_eq(field(r, "drained"), 1,
                 "An item put before the close must still come out: get on a "
                 "closed queue that is not empty returns the item (TODO "
                 "04.4). Driver said: %s",
                 r->out);
    cr_assert(field(r, "then_closed") == 1 && field(r, "put_refused") == 1,
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

Test(lab04_queue, destroy_releases_the_mapping)
{
    struct run_result *r = RUN("queue_check", "-m", "unmap");
    expect_clean_exit(r, "TODO(04.1) and TODO(04.6)");
    double before = field(r, "maps_before"), after = field(r, "maps_after");
    cr_assert_leq(after, before + 20,
                  "After 300 queue_create/queue_destroy pairs the process has "
                  "%g mappings, %g before (a leak leaves one per queue): "
                  "queue_destroy must munmap the "
                  "whole block (TODO 04.6).",
                  after, before);
    run_free(r);
}

/* ---- fourprocs -------------------------------------------------------- */

/* Check one fourprocs run: every position 0..n-1 arrives exactly once with
 * the greeting, and the sorted list is complete. */
static void check_fourprocs(const struct run_result *r, int n, const char *name)
{
    expect_clean_exit(r, "TODO(04.7), TODO(04.8), and the queue");
    char msg[64];
    snprintf(msg, sizeof msg, "\"Hello %s\")", name);
    cr_assert_eq(run_count_lines(r->out, "parent: got ("), (size_t)n,
                 "Expected %d lines 'parent: got (pos, \"Hello %s\") from pid "
                 "P', one per worker; saw %zu. Output:\n%s\nHint: each worker "
                 "puts one item (TODO 04.7); the parent gets one per worker "
                 "(TODO 04.8).",
                 n, name, run_count_lines(r->out, "parent: got ("), r->out);
    for (int pos = 0; pos < n; pos++) {
        char want[128];
        snprintf(want, sizeof want, "parent: got (%d, %s", pos, msg);
        cr_assert_eq(run_count_lines(r->out, want), 1,
                     "Position %d should arrive exactly once as (%d, \"Hello "
                     "%s\"); it arrived %zu times. Output:\n%s",
                     pos, pos, name, run_count_lines(r->out, want), r->out);
    }
    char sorted[4096] = "parent: results by position: [";
    for (int pos = 0; pos < n; pos++) {
        char one[64];
        snprintf(one, sizeof one, "%s(%d, 'Hello %s')", pos ? ", " : "", pos,
                 name);
        strncat(sorted, one, sizeof sorted - strlen(sorted) - 1);
    }
    strncat(sorted, "]\n", sizeof sorted - strlen(sorted) - 1);
    cr_assert(strstr(r->out, sorted) != NULL,
              "Expected the results put back in order:\n%sOutput was:\n%s\n"
              "Hint: copy each item's text into results[key] (TODO 04.8).",
              sorted, r->out);
}

Test(lab04_fourprocs, the_lecture_example_collects_four_results)
{
    struct run_result *r = RUN("fourprocs");
    check_fourprocs(r, 4, "World");
    run_free(r);
}

Test(lab04_fourprocs, more_workers_than_slots_and_bad_arguments)
{
    static const char *const bad[][3] = {
        {"fourprocs", "-n", "0"},     {"fourprocs", "-n", "65"},
        {"fourprocs", "-q", "x"},     {"fourprocs", "-q", "0"},
        {"fourprocs", "extra", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = run_program(
            LAB,
            bad[i][2] ? bad[i]
                      : (const char *const[]){bad[i][0], bad[i][1], NULL},
            NULL);
        cr_assert_eq(r->exit_code, 2, "`%s` should exit with status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", r->desc);
        run_free(r);
    }
    /* 12 workers, 2 slots: the parent must get while workers still run. */
    struct run_opts o = {.timeout = 6};
    struct run_result *r =
        RUN_WITH(&o, "fourprocs", "-n", "12", "-q", "2", "-m", "Ada");
    cr_assert(!r->timed_out,
              "`%s` hung. With 12 workers and 2 slots, 10 workers wait in put "
              "until the parent gets: the parent must get every result "
              "BEFORE it waits for the workers (TODO 04.8).",
              r->desc);
    check_fourprocs(r, 12, "Ada");
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
        {"workqueue", "-p", "0"},
        {"workqueue", "-c", "17"},
        {"workqueue", "-n", "ten"},
        {"workqueue", "-e", "-1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result *r = run_program(LAB, bad[i], NULL);
        cr_assert_eq(r->exit_code, 2, "`%s` should exit with status 2; it %s.",
                     r->desc, run_how_ended(r));
        cr_assert(strstr(r->err, "usage:") != NULL,
                  "`%s` should print a usage line on stderr.", r->desc);
        run_free(r);
    }
    struct run_opts o = {.timeout = 10};
    struct run_result *r = RUN_WITH(&o, "workqueue", "-p", "3", "-c", "5", "-n",
                                    "100000", "-q", "32");
    expect_clean_exit(r, "TODO(04.9) (consumers get until QUEUE_CLOSED) and "
                         "TODO(04.10) (close once every producer is done)");
    int lines;
    long total = consumer_total(r->out, &lines);
    cr_assert_eq(lines, 5,
                 "Expected a 'consumer k: N items' line for each of "
                 "5 consumers. Output:\n%s",
                 r->out);
    cr_assert_eq(total, 100000,
                 "The consumers got %ld items in all; 100000 were put. "
                 "Output:\n%s",
                 total, r->out);
    cr_assert(strstr(r->out, "total: 100000 of 100000 items delivered, "
                             "checksum ok") != NULL,
              "Expected 'total: 100000 of 100000 items delivered, checksum "
              "ok'. Output:\n%s",
              r->out);
    cr_assert_eq(run_count_lines(r->out, "every producer is done"), 1,
                 "The parent should close the queue once, when the last "
                 "producer has ended, and say so. Output:\n%s\nHint: "
                 "TODO(04.10).",
                 r->out);
    run_free(r);
}

Test(lab04_workqueue, a_consumer_that_ends_early_leaves_the_rest_to_others)
{
    struct run_opts o = {.timeout = 8};
    struct run_result *r = RUN_WITH(&o, "workqueue", "-c", "3", "-n", "3000",
                                    "-q", "4", "-e", "7");
    expect_clean_exit(r, "TODO(04.9): stop after `early` items; the other "
                         "consumers carry on until QUEUE_CLOSED");
    const char *line = strstr(r->out, "consumer 1: ");
    long first = -1;
    cr_assert(line != NULL && sscanf(line, "consumer 1: %ld", &first) == 1 &&
                  first <= 7,
              "With -e 7, consumer 1 should stop after at most 7 items. "
              "Output:\n%s",
              r->out);
    cr_assert(strstr(r->out, "total: 3000 of 3000 items delivered, checksum "
                             "ok") != NULL,
              "Consumer 1 left early, but consumers 2 and 3 should still get "
              "every other item. Output:\n%s",
              r->out);
    run_free(r);
}

Test(lab04_workqueue, when_every_consumer_ends_early_producers_do_not_hang)
{
    struct run_opts o = {.timeout = 10};
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
    cr_assert(strstr(r->out, "total: 10 of 5000 items delivered") != NULL,
              "Expected 'total: 10 of 5000 items delivered ...'. Output:\n%s",
              r->out);
    run_free(r);
}

/* ---- queue_bench ------------------------------------------------------ */

Test(lab04_bench, reports_median_min_max_for_queue_and_pipe)
{
    struct run_result *r = RUN("queue_bench", "-n", "3000", "-r", "3");
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
}
