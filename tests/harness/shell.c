/*
 * shell.c - see run.h: how a run is written down as a shell command that
 * runs it again exactly (the failure messages' `desc` and the reproduction
 * line make check shows). Quoting rules are POSIX sh's: inside single
 * quotes nothing is special, and a single quote itself cannot appear, so
 * it is written '\'' (close, an escaped quote, reopen).
 */
#include "run.h"

#include <string.h>

/* Characters no POSIX shell treats specially anywhere in a word (an '=' or
 * '@' is safe in an argument; '~' and '#' only in the middle, which the
 * caller does not know, so they are quoted). */
static bool shell_safe(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("_-+=./:,@%", c) != NULL;
}

/* Append c to buf if it fits (one byte kept for the NUL); count it anyway. */
static void put(char *buf, size_t size, size_t *len, char c)
{
    if (*len + 1 < size)
        buf[*len] = c;
    (*len)++;
}

size_t run_shell_quote(char *buf, size_t size, const char *arg)
{
    size_t len = 0;
    bool plain = arg[0] != '\0';
    for (const char *p = arg; *p != '\0' && plain; p++)
        plain = shell_safe(*p);
    if (!plain)
        put(buf, size, &len, '\'');
    for (const char *p = arg; *p != '\0'; p++) {
        if (*p == '\'' && !plain) {
            for (const char *q = "'\\''"; *q != '\0'; q++)
                put(buf, size, &len, *q);
        } else {
            put(buf, size, &len, *p);
        }
    }
    if (!plain)
        put(buf, size, &len, '\'');
    if (size > 0)
        buf[len < size ? len : size - 1] = '\0';
    return len;
}

size_t run_shell_input(char *buf, size_t size, const char *input, size_t len)
{
    /* printf 'FORMAT': every byte a shell or printf would change, or that
     * is not printable, as a three-digit octal escape. */
    static const char digits[] = "01234567";
    size_t n = 0;
    for (const char *q = "printf '"; *q != '\0'; q++)
        put(buf, size, &n, *q);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)input[i];
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\' && c != '%') {
            put(buf, size, &n, (char)c);
            continue;
        }
        put(buf, size, &n, '\\');
        put(buf, size, &n, digits[c >> 6]);
        put(buf, size, &n, digits[(c >> 3) & 7]);
        put(buf, size, &n, digits[c & 7]);
    }
    put(buf, size, &n, '\'');
    if (size > 0)
        buf[n < size ? n : size - 1] = '\0';
    return n;
}
