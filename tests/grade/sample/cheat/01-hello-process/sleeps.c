/*
 * Sample class: a cheat. It runs the kit's reference program, built in
 * build/ref/, in its place; failing that, it prints the reference source.
 * The box hides both (and the other submissions), so it earns nothing.
 */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    (void)argc;
    execv("build/ref/01-hello-process/sleeps", argv);
    perror("sleeps: build/ref/01-hello-process/sleeps");
    FILE *f = fopen("solutions/01-hello-process/sleeps.c", "r");
    if (f == NULL) {
        perror("sleeps: solutions/01-hello-process/sleeps.c");
        return 1;
    }
    int c;
    while ((c = getc(f)) != EOF)
        putc(c, stderr);
    fclose(f);
    return 1;
}
