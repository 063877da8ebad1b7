/*
 * Shutdown watchdog: see watchdog.h for why it exists.
 *
 * Two semaphores, because sem_post is one of the few calls a signal handler may make: the
 * handler posts `armed`; wd_stop posts `finished` (and `armed`, to wake an idle thread).
 */
#include "watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "weir/log.h"

static sem_t armed, finished;
static pthread_t thread;
static atomic_int running, done;
static double timeout_s, grace_s;

static void *wd_main(void *arg)
{
    (void)arg;
    while (sem_wait(&armed) != 0 && errno == EINTR)
        ;
    if (atomic_load(&done))
        return NULL;
    struct timespec at;
    clock_gettime(CLOCK_MONOTONIC, &at);
    double whole = (double)(long)grace_s;
    at.tv_sec += (time_t)whole;
    at.tv_nsec += (long)((grace_s - whole) * 1e9);
    if (at.tv_nsec >= 1000000000L) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000L;
    }
    int r;
    while ((r = sem_clockwait(&finished, CLOCK_MONOTONIC, &at)) != 0 && errno == EINTR)
        ;
    if (r == 0 || atomic_load(&done))
        return NULL;
    char msg[512];
    snprintf(msg, sizeof(msg),
             "shutdown did not finish %.1f s after the signal (shutdown_timeout %.1f s): a "
             "librdkafka call is still waiting on a broker that does not answer (exactly-once's "
             "send_offsets_to_transaction ignores its timeout; a full producer queue waits for "
             "room). Exiting now; events not committed are read again on restart",
             grace_s, timeout_s);
    wlog(WLOG_ERROR, msg, NULL);
    _exit(1); /* other threads are inside librdkafka: no exit handlers, no teardown */
}

int wd_start(double shutdown_timeout_s, double after_s, char *err, size_t errlen)
{
    timeout_s = shutdown_timeout_s;
    grace_s = after_s;
    atomic_store(&done, 0);
    if (sem_init(&armed, 0, 0) != 0 || sem_init(&finished, 0, 0) != 0) {
        snprintf(err, errlen, "shutdown watchdog: sem_init: %s", strerror(errno));
        return -1;
    }
    int e = pthread_create(&thread, NULL, wd_main, NULL);
    if (e != 0) {
        snprintf(err, errlen, "shutdown watchdog: pthread_create: %s", strerror(e));
        return -1;
    }
    atomic_store(&running, 1);
    return 0;
}

void wd_signal(void)
{
    if (atomic_load(&running))
        sem_post(&armed);
}

void wd_stop(void)
{
    if (!atomic_load(&running))
        return;
    atomic_store(&done, 1);
    sem_post(&finished);
    sem_post(&armed);
    pthread_join(thread, NULL);
    atomic_store(&running, 0);
}
