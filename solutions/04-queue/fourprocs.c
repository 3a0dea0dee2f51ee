/*
 * fourprocs.c - workers hand their results back through a queue.
 *
 * Python:  output = Queue(); each Process(target=hello, args=(pos, name))
 *          does output.put((pos, "Hello " + name)); the parent gathers
 *          [output.get() for p in processes].
 * C:       the queue of queue.c, created before fork(). Each worker puts
 *          one (position, message) item and ends; the parent gets one item
 *          per worker - in whatever order they arrive - and then reaps the
 *          workers. The position says where each result belongs, so the
 *          parent can put them back in order.
 *
 * Usage:   fourprocs [-n workers] [-q capacity] [-m name]
 *          -n workers   how many workers, 1..64 (default 4)
 *          -q capacity  queue capacity in items, 1..64 (default 4)
 *          -m name      who the workers greet (default World)
 *
 * Observe: the arrival order changes from run to run; the results sorted
 *          by position do not.
 * Try:     fourprocs -n 16 -q 2 (more workers than slots: the parent must
 *          get before it waits, or the workers blocked in put never end).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "queue.h"

#define USAGE "[-n workers] [-q capacity] [-m name]"
#define MAX_WORKERS 64

/* A worker's task: Python's hello(pos, name). Runs in the child. */
static void worker(struct queue *q, long pos, const char *name)
{
    struct queue_item item = {.key = pos, .value = (long)getpid()};
    /* main() checked that the name fits: no truncation here. */
    if (snprintf(item.text, sizeof item.text, "Hello %s", name) < 0)
        die_child("snprintf");
    /* TODO(04.7): Put the item in the queue. A put that does not return 0
     * is a failure of this child: die_child_errnum(err, "queue_put") (a
     * closed queue is not expected here). */
    /* BEGIN SOLUTION */
    int err = queue_put(q, &item);
    if (err != 0)
        die_child_errnum(err == QUEUE_CLOSED ? EPIPE : err, "queue_put");
    /* END SOLUTION */
    /* STARTER
    (void)q;
    STARTER */
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    long workers = 4, capacity = 4;
    const char *name = "World";
    int opt;
    while ((opt = getopt(argc, argv, "n:q:m:")) != -1) {
        switch (opt) {
        case 'n':
            workers = arg_long(optarg, 1, MAX_WORKERS, "workers", USAGE);
            break;
        case 'q':
            capacity = arg_long(optarg, 1, 64, "capacity", USAGE);
            break;
        case 'm':
            if (strlen(optarg) > QUEUE_TEXT_MAX - sizeof "Hello ")
                die_usage(USAGE, "name: '%s' is too long (at most %zu bytes)",
                          optarg, QUEUE_TEXT_MAX - sizeof "Hello ");
            name = optarg;
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);

    struct queue *q = queue_create((size_t)capacity);
    if (q == NULL)
        die("queue_create");
    printf("parent: pid %ld, %ld workers, queue of %ld slots\n", (long)getpid(),
           workers, capacity);
    if (fflush(stdout) == EOF)
        die("fflush");

    pid_t pids[MAX_WORKERS];
    for (long i = 0; i < workers; i++) {
        if ((pids[i] = fork()) == -1)
            die("fork");
        if (pids[i] == 0) {
            worker(q, i, name);
            _exit(EXIT_SUCCESS);
        }
    }

    /* Results by position; a slot stays empty ("") until its result comes.
     */
    char results[MAX_WORKERS][QUEUE_TEXT_MAX] = {{0}};
    /* TODO(04.8): Get one item per worker, BEFORE waiting for any worker:
     * with fewer slots than workers, a worker blocked in put cannot end
     * until the parent gets. For each item print, in arrival order,
     *     parent: got (<key>, "<text>") from pid <value>
     * and copy its text into results[key] (check 0 <= key < workers first:
     * never trust an index that came from another process). A get that does
     * not return 0 is fatal here: die_errnum(err, "queue_get"). */
    /* BEGIN SOLUTION */
    for (long i = 0; i < workers; i++) {
        struct queue_item item;
        int err = queue_get(q, &item);
        if (err != 0)
            die_errnum(err == QUEUE_CLOSED ? EPIPE : err, "queue_get");
        item.text[QUEUE_TEXT_MAX - 1] = '\0';
        printf("parent: got (%ld, \"%s\") from pid %ld\n", item.key, item.text,
               item.value);
        if (item.key < 0 || item.key >= workers) {
            (void)fprintf(stderr, "fourprocs: a worker sent position %ld\n",
                          item.key);
            exit(EXIT_FAILURE);
        }
        memcpy(results[item.key], item.text, sizeof item.text);
    }
    /* END SOLUTION */

    /* Python's join(): every worker has put its result; reap them all. */
    int failed = 0;
    for (long i = 0; i < workers; i++) {
        int status;
        if (waitpid(pids[i], &status, 0) == -1)
            die("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    }
    int err = queue_destroy(q);
    if (err != 0)
        die_errnum(err, "queue_destroy");

    printf("parent: results by position: [");
    for (long i = 0; i < workers; i++)
        printf("%s(%ld, '%s')", i > 0 ? ", " : "", i, results[i]);
    printf("]\n");
    if (failed > 0) {
        (void)fprintf(stderr, "fourprocs: %d worker(s) failed\n", failed);
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
