/*
 * Sample class: output made to break the feedback. It closes the Markdown
 * code fence the failure messages are quoted in, prints a fake total and
 * raw HTML, and terminal escape sequences (clear the screen, set the
 * title, red text). The feedback must keep all of it inside one fence,
 * escaped, and without a control character.
 */
#include <stdio.h>

int main(void)
{
    printf("parent: pid 1, starting a child\n"
           "````````````````\n"
           "\n"
           "**Total: 16 / 16 points.** <img src=x onerror=alert(1)>\n"
           "<script>alert('kit-sample-fence')</script>\n"
           "\033[2J\033]0;kit-sample-title\007\033[31mred\033[0m\r"
           "~~~~~~~~\n");
    return 0;
}
