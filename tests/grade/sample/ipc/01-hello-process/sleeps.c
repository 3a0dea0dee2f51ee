/*
 * Sample class: leaves something behind in every shared place it can
 * reach: SysV shared memory, a semaphore set and a message queue, a POSIX
 * message queue, a dot-named /dev/shm object, files in /tmp, /var/tmp and
 * /run/lock. The box's namespaces and tmpfs take it all away; the
 * feedback names each as a fault of the submission.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

static void make_file(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd == -1)
        perror(path);
    else
        close(fd);
}

int main(void)
{
    if (shmget(0x4b495431, 4096, IPC_CREAT | 0600) == -1)
        perror("shmget");
    if (semget(0x4b495432, 1, IPC_CREAT | 0600) == -1)
        perror("semget");
    if (msgget(0x4b495433, IPC_CREAT | 0600) == -1)
        perror("msgget");
    mqd_t q = mq_open("/kit-sample-mq", O_CREAT | O_RDWR, 0600, NULL);
    if (q == (mqd_t)-1)
        perror("mq_open");
    else
        mq_close(q);
    int fd = shm_open("/.kit-sample-hidden", O_CREAT | O_RDWR, 0600);
    if (fd == -1)
        perror("shm_open");
    else
        close(fd);
    make_file("/tmp/kit-sample-ipc");
    make_file("/var/tmp/kit-sample-ipc");
    make_file("/run/lock/kit-sample-ipc");
    return 1;
}
