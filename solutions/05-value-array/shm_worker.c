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
     * if not, print a message saying how many bytes it has and how many
     * we expected, and exit(EXIT_FAILURE): an object nobody sized has 0
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
    if (st.st_size != (off_t)sizeof(struct squares_shm)) {
        (void)fprintf(stderr,
                      "%s: %s has %lld bytes, expected %zu: was it sized with "
                      "ftruncate?\n",
                      errors_progname(), name, (long long)st.st_size,
                      sizeof(struct squares_shm));
        exit(EXIT_FAILURE);
    }
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
    (void)fprintf(stderr, "%s: attach_object is not written yet (TODO 05.7)\n",
                  errors_progname());
    exit(EXIT_FAILURE);
    STARTER */
}

int main(int argc, char *argv[])
{
    errors_set_progname(argv[0]);
    const char *name = NULL;
    double delay = 0;
    int opt;
    while ((opt = getopt(argc, argv, "n:d:")) != -1) {
        switch (opt) {
        case 'n':
            name = optarg;
            break;
        case 'd':
            delay = arg_double(optarg, 0, 60, "seconds", USAGE);
            break;
        default:
            die_bad_option(USAGE);
        }
    }
    if (name == NULL)
        die_usage(USAGE, "which object? give its name with -n");
    if (optind != argc)
        die_usage(USAGE, "unexpected argument '%s'", argv[optind]);

    struct squares_shm *shm = attach_object(name);
    int count = shm->count;
    if (count < 1 || count > NUMBERS_MAX) {
        (void)fprintf(stderr, "%s: %s holds %d numbers, want 1 to %d\n",
                      errors_progname(), name, count, NUMBERS_MAX);
        exit(EXIT_FAILURE);
    }
    printf("worker: pid %ld attached %s holding %d numbers\n", (long)getpid(),
           name, count);
    if (fflush(stdout) == EOF)
        die("fflush");

    timing_sleep(delay); /* a task that takes a while */
    int sum = 0;
    for (int i = 0; i < count; i++) {
        shm->squares[i] = shm->numbers[i] * shm->numbers[i];
        sum += shm->squares[i];
    }
    shm->sum = sum;
    /* Last: whoever sees done == 1 finds everything above written. */
    atomic_store(&shm->done, 1);

    char text[NUMBERS_TEXT];
    printf("worker: wrote squares %s and their sum %d\n",
           numbers_format(text, sizeof text, shm->squares, (size_t)count), sum);
    if (munmap(shm, sizeof *shm) == -1)
        die("munmap");
    return EXIT_SUCCESS;
}
