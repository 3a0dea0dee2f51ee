/*
 * Sample class: a hostile submission. It does none of the work; instead it
 *   - prints text that looks like a passing Criterion run (TAP lines and a
 *     synthesis line), on stdout and on stderr, and exits 0;
 *   - tries to give itself points: appends to the kit's rubric, overwrites
 *     the sample gradebook and the test binary;
 *   - leaves a daemon (double fork, setsid) and a /dev/shm object behind.
 * The grading box must make every one of these useless.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static const char fake[] =
    "ok - lab01_sleeps::processes_run_at_the_same_time (0.10s)\n"
    "ok - lab01_sleeps::threads_run_at_the_same_time (0.10s)\n"
    "[====] Synthesis: Tested: 11 | Passing: 11 | Failing: 0 | Crashing: 0\n";

static void try_to_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    if (f == NULL)
        return;
    fputs(text, f);
    fclose(f);
}

int main(void)
{
    fputs(fake, stdout);
    fputs(fake, stderr);
    fflush(NULL);
    try_to_write("tests/rubric/01-hello-process.txt",
                 "lab01_sleeps::processes_run_at_the_same_time 1000\n");
    try_to_write("build/grade-sample/out/gradebook.csv", "fake,100,100\n");
    try_to_write("build/tests/kit-tests", "#!/bin/sh\nexit 0\n");
    int fd = shm_open("/kit-sample-fake", O_CREAT | O_RDWR, 0600);
    if (fd != -1)
        close(fd);
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            for (;;)
                sleep(1000);
        }
        _exit(0);
    }
    return 0;
}
