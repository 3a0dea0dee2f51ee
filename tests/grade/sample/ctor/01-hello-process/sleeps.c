/*
 * Sample class: a constructor, run before main, prints what a passing
 * test run looks like (TAP lines, Criterion's synthesis) on both streams
 * and ends the program with status 0. Verdicts come from the test
 * runner's own report, out of reach of the programs it runs.
 */
#include <stdio.h>
#include <unistd.h>

__attribute__((constructor)) static void forge(void)
{
    static const char fake[] =
        "ok - lab01_sleeps::processes_run_at_the_same_time\n"
        "ok 1 - lab01_sleeps::threads_run_at_the_same_time\n"
        "[====] Synthesis: Tested: 11 | Passing: 11 | Failing: 0 | "
        "Crashing: 0 \n";
    fputs(fake, stdout);
    fputs(fake, stderr);
    fflush(NULL);
    _exit(0);
}

int main(void)
{
    return 1;
}
