/*
 * Sample class: does not compile (a missing semicolon, an undeclared name).
 */
#include <stdio.h>

int main(void)
{
    printf("main: pid %ld\n", (long)getpid())
    return count;
}
