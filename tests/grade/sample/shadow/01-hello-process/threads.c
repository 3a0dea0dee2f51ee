/*
 * Sample class: tries to read a file only root may read through the
 * compiler, whose errors are quoted in the feedback. The compiler runs in
 * the box, as the box's user, where /etc/shadow does not even exist.
 */
#include "/etc/shadow"

int main(void)
{
    return 0;
}
