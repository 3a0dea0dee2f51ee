/*
 * Sample class: an output flood. The greeting loop never ends.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("parent: pid %ld, starting a child\n", (long)getpid());
    for (long i = 0; i >= 0; i += 0)
        printf("child: Hello World! pid %ld, parent %ld\n", (long)getpid(),
               (long)getppid());
    return 0;
}
