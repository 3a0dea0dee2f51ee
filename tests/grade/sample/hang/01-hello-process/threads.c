/*
 * Sample class: a deadlock. The worker waits for a signal on a condition
 * variable that nobody ever sends; main joins it, so the program hangs.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static bool started;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!started)
        pthread_cond_wait(&go, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    printf("main: starting a thread\n");
    fflush(stdout);
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    /* forgot: started = true; pthread_cond_signal(&go); */
    pthread_join(t, NULL);
    return 0;
}
