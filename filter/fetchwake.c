/*
 * Fetch wake-ups: see fetchwake.h for why. The consuming thread counts what it takes out of the
 * queue and, every half queue, raises `due`; the waker thread sends the request, so the
 * consuming thread never waits for a broker. Requests do not pile up: a wake-up asked for
 * while one is in flight is sent once, after it.
 */
#include "fetchwake.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fw_waker {
    rd_kafka_t *rk;
    uint64_t half_bytes, half_msgs; /* thresholds: half of what stops librdkafka's fetching */
    uint64_t bytes, msgs;           /* consumed since the last wake-up (consuming thread) */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int due, stop; /* under mu */
    atomic_uint_fast64_t wakeups;
};

/* The consumer's value of a numeric property, or dflt if librdkafka does not report it. */
static uint64_t conf_u64(rd_kafka_t *rk, const char *name, uint64_t dflt)
{
    char v[32];
    size_t sz = sizeof(v);
    if (rd_kafka_conf_get(rd_kafka_conf(rk), name, v, &sz) != RD_KAFKA_CONF_OK)
        return dflt;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    return end == v || x == 0 ? dflt : (uint64_t)x;
}

/* One ListOffsets request per leader of the assigned partitions (librdkafka groups them). */
static void wake(fw_waker *w)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    if (rd_kafka_assignment(w->rk, &l) != RD_KAFKA_RESP_ERR_NO_ERROR || !l)
        return;
    if (l->cnt > 0) {
        for (int i = 0; i < l->cnt; i++)
            l->elems[i].offset = RD_KAFKA_OFFSET_END; /* "latest": the cheapest lookup */
        /* the answer does not matter, nor does a timeout: queuing the request woke the
         * broker thread */
        (void)rd_kafka_offsets_for_times(w->rk, l, FW_TIMEOUT_MS);
        atomic_fetch_add(&w->wakeups, 1);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

static void *fw_main(void *arg)
{
    fw_waker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->due && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        w->due = 0;
        pthread_mutex_unlock(&w->mu);
        wake(w);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

fw_waker *fw_start(rd_kafka_t *rk, char *err, size_t errlen)
{
    fw_waker *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory starting the fetch waker");
        return NULL;
    }
    w->rk = rk;
    /* librdkafka's defaults, should it not report a value */
    w->half_bytes = conf_u64(rk, "queued.max.messages.kbytes", 65536) * 1024 / 2;
    w->half_msgs = conf_u64(rk, "queued.min.messages", 100000) / 2;
    if (w->half_msgs == 0)
        w->half_msgs = 1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    int e = pthread_create(&w->thread, NULL, fw_main, w);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the fetch waker thread: %s", strerror(e));
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void fw_consumed(fw_waker *w, size_t n, size_t bytes)
{
    w->bytes += bytes;
    w->msgs += n;
    if (w->bytes < w->half_bytes && w->msgs < w->half_msgs)
        return;
    w->bytes = w->msgs = 0;
    pthread_mutex_lock(&w->mu);
    w->due = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

uint64_t fw_wakeups(fw_waker *w)
{
    return w ? atomic_load(&w->wakeups) : 0;
}

void fw_stop(fw_waker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
