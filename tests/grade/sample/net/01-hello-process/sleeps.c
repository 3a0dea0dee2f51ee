/*
 * Sample class: reaches for the network. It tries to send a line to a
 * server on the machine's loopback (tests/grade.c listens on port 47613
 * while it grades, and fails if anything arrives), then serves on a port
 * of its own. The box has a network namespace of its own: its loopback is
 * not the machine's, and nothing outside the box can be reached.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(47613);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s == -1 || connect(s, (struct sockaddr *)&a, sizeof a) == -1) {
        perror("sleeps: connect to 127.0.0.1:47613");
    } else {
        static const char msg[] = "kit-sample-net: out of the box\n";
        if (write(s, msg, sizeof msg - 1) == -1)
            perror("sleeps: write");
    }
    if (s != -1)
        close(s);
    a.sin_port = htons(47614);
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    if (srv == -1 || bind(srv, (struct sockaddr *)&a, sizeof a) == -1 ||
        listen(srv, 1) == -1)
        perror("sleeps: serve on 127.0.0.1:47614");
    return 1;
}
