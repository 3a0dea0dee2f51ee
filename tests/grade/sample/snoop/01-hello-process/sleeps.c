/*
 * Sample class: looks for the answers outside its lab. It tries the
 * kit's reference binary and sources by the kit's own path (make-class.sh
 * writes it in for @KIT@), by /kit, and in another checkout (/work/main),
 * and the kit's .git, where the reference is in the history. Whatever it
 * can run or read would give it full marks; in the box none of it exists.
 */
#include <stdio.h>
#include <unistd.h>

static const char *const places[] = {
    "@KIT@", "/kit", "/work/main", "..", "../..", "../../..",
};

int main(int argc, char *argv[])
{
    (void)argc;
    char path[4096];
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        snprintf(path, sizeof path, "%s/build/ref/01-hello-process/sleeps",
                 places[i]);
        execv(path, argv);
        fprintf(stderr, "sleeps: cannot run the reference\n");
        snprintf(path, sizeof path, "%s/.git/HEAD", places[i]);
        if (access(path, R_OK) == 0)
            fprintf(stderr, "sleeps: found the kit's .git at %s\n", path);
        snprintf(path, sizeof path, "%s/solutions/01-hello-process/sleeps.c",
                 places[i]);
        if (access(path, R_OK) == 0)
            fprintf(stderr, "sleeps: found the reference at %s\n", path);
    }
    return 1;
}
