/*
 * shm_worker.c - the other program: it finds the shared memory by name.
 *
 * Python:  SharedMemory(name=...) without create: attach to an existing
 *          block that another process made.
 * C:       shm_open() without O_CREAT opens the object shm_squares made,
 *          fstat() tells its size, mmap(MAP_SHARED) maps it. We write the
 *          squares and their sum into it - Array('i') and Value('i') again
 *          - and set its done flag last. We never remove the name: the
 *          object belongs to the owner, who removes it.
 *
 * Usage:   shm_worker -n /name [-d seconds]
 *          -n /name    the object to fill (shm_squares prints it)
 *          -d seconds  work this long before writing, 0..60 (default 0)
 *
 * Observe: this process is not a fork of the owner; it shares nothing
 *          with it but the name - and then the memory.
 * Try:     shm_worker -n /nothing-here (no such object)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "numbers.h"
#include "squares_shm.h"
#include "timing.h"

#define USAGE "-n /name [-d seconds]"

/* Open the existing object called name, check that it is the size of a
 * struct squares_shm, and map it. Exits with a message on failure. */
static struct squares_shm *attach_object(const char *name)
{
    /* TODO(05.7): Open the object with shm_open(name, O_RDWR, 0): no
     * O_CREAT - the owner made it; if we created it, nobody would remove
     * it. With fstat(), check that st_size is sizeof(struct squares_shm);
     * if not, stop with a message saying how many bytes it has and how
     * many we expected (die_msg, exit status 1): an object nobody sized has 0
     * bytes, and touching it would kill us with SIGBUS. Then mmap(...,
     * MAP_SHARED, fd, 0) and close fd.
     * Hint: die(name) prints "shm_worker: /name: No such file or
     * directory" when the object does not exist. */
    /* BEGIN SOLUTION */
    int fd = shm_open(name, O_RDWR, 0);
    if (fd == -1)
        die(name);
    struct stat st;
    if (fstat(fd, &st) == -1)
        die("fstat");
    if (st.st_size != (off_t)sizeof(struct squares_shm))
        die_msg("%s has %lld bytes, expected %zu: was it sized with "
                "ftruncate?",
                name, (long long)st.st_size, sizeof(struct squares_shm));
    struct squares_shm *shm =
        mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shm == MAP_FAILED)
        die("mmap");
    if (close(fd) == -1)
        die("close");
    return shm;
    /* END SOLUTION */
    /* STARTER
    (void)name;
    die_msg("attach_object is not written yet (TODO 05.7)");
    STARTER */
}

/* What the command line asks for. */
struct options {
    const char *name;
    double delay;
};

static struct options parse_options(int argc, char *argv[])
{
    struct options o = {.name = NULL, .delay = 0};
    if (args_help_requested(argc, argv))
        args_help(USAGE);
    int opt;
    while ((opt = getopt(argc, argv, "hn:d:")) != -1) {
        switch (opt) {
        case 'h':
            args_help(USAGE);
        case 'n':
            o.name = optarg;
            break;
        case 'd':
            o.delay = arg_double(optarg, 0, 60, "seconds", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (o.name == NULL)
        die_usage(USAGE, "which object? give its name with -n");
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
    return o;
}

/* Array('i') and Value('i'): the squares of the owner's numbers and
 * their sum; then, last, the done flag. */
static int fill(struct squares_shm *shm, int count)
{
    int sum = 0;
    for (int i = 0; i < count; i++) {
        shm->squares[i] = shm->numbers[i] * shm->numbers[i];
        sum += shm->squares[i];
    }
    shm->sum = sum;
    /* Last: whoever sees done == 1 finds everything above written. */
    atomic_store(&shm->done, 1);
    return sum;
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    struct options o = parse_options(argc, argv);
    struct squares_shm *shm = attach_object(o.name);
    int count = shm->count;
    if (count < 1 || count > NUMBERS_MAX)
        die_msg("%s holds %d numbers, want 1 to %d", o.name, count,
                NUMBERS_MAX);
    printf("worker: pid %ld attached %s holding %d numbers\n", (long)getpid(),
           o.name, count);
    if (fflush(stdout) == EOF)
        die("fflush");

    timing_sleep(o.delay); /* a task that takes a while */
    int sum = fill(shm, count);
    char text[NUMBERS_TEXT];
    printf("worker: wrote squares %s and their sum %d\n",
           numbers_format(text, sizeof text, shm->squares, (size_t)count), sum);
    if (munmap(shm, sizeof *shm) == -1)
        die("munmap");
    return EXIT_SUCCESS;
}
