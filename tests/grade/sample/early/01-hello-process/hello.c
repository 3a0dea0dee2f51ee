/*
 * Sample class: exits with success before doing any of the work.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("parent: pid %ld, starting a child\n", (long)getpid());
    return 0; /* TODO: fork, greet, wait ... later */
}
