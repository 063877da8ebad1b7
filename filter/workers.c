/*
 * Worker threads: scan events, produce alerts.
 *
 * Queues are bounded rings guarded by a mutex and two condition variables; the per-event work
 * happens outside the lock. A worker allocates nothing per event: its scanner, parsers and
 * msgpack buffer are reused (librdkafka copies the alert, as RD_KAFKA_MSG_F_COPY says).
 */
#include "workers.h"

#include <inttypes.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weir/alert.h"

typedef struct {
    rd_kafka_message_t *m;
    wk_batch *b;
} wk_item;

typedef struct {
    char *topic;
    int32_t partition;
    weir_parser *parser;
} wk_stream;

typedef struct {
    struct wk_pool *pool;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    wk_item *ring;
    size_t cap, head, len;
    int stopping;
    int full_waiter; /* the pipeline waits for room: wake it at half full, not per event */

    weir_scanner *scanner;
    msgpack_sbuffer sb;
    wk_stream *streams;
    size_t nstreams;
    /* counters: written by this worker, read (relaxed) for progress and at the end */
    atomic_uint_least64_t consumed, bytes, matched, malformed, headers, oversized;
} wk_worker;

struct wk_pool {
    const wk_shared *sh;
    wk_worker *w;
    size_t n;
};

void wk_batch_delivered(wk_batch *b)
{
    atomic_fetch_sub(&b->inflight, 1);
}

static weir_parser *stream_parser(wk_worker *w, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < w->nstreams; i++)
        if (w->streams[i].partition == partition && strcmp(w->streams[i].topic, topic) == 0)
            return w->streams[i].parser;
    /* a new partition for this worker: once per partition, not per event */
    char err[256];
    wk_stream *ns = realloc(w->streams, (w->nstreams + 1) * sizeof(*ns));
    if (!ns)
        return NULL;
    w->streams = ns;
    wk_stream *s = &ns[w->nstreams];
    s->topic = strdup(topic);
    s->partition = partition;
    s->parser = weir_parser_new(w->pool->sh->format, err, sizeof(err));
    if (!s->topic || !s->parser) {
        free(s->topic);
        weir_parser_destroy(s->parser);
        return NULL;
    }
    w->nstreams++;
    return s->parser;
}

static void produce(wk_worker *w, wk_batch *b, const char *topic, int32_t partition)
{
    const wk_shared *sh = w->pool->sh;
    char key[300], msg[512];
    int kl = snprintf(key, sizeof(key), "%s:%" PRId32, topic, partition);
    if (kl < 0 || (size_t)kl >= sizeof(key))
        kl = (int)sizeof(key) - 1;
    /* counted before it can be delivered, so a batch is never seen complete too early */
    atomic_fetch_add(&b->inflight, 1);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            sh->producer, RD_KAFKA_V_TOPIC(sh->alerts_topic),
            RD_KAFKA_V_VALUE(w->sb.data, w->sb.size), RD_KAFKA_V_KEY(key, (size_t)kl),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(b), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || atomic_load(sh->failed)) {
            atomic_fetch_sub(&b->inflight, 1);
            snprintf(msg, sizeof(msg), "cannot produce alert to '%s': %s", sh->alerts_topic,
                     rd_kafka_err2str(e));
            sh->fatal(sh->ctx, msg);
            return;
        }
        /* backpressure: the producer queue is full; serve delivery reports (their callback
         * only touches atomics) instead of dropping or buffering without bound */
        rd_kafka_poll(sh->producer, 10);
    }
}

static void process(wk_worker *w, rd_kafka_message_t *m, wk_batch *b)
{
    const wk_shared *sh = w->pool->sh;
    const char *topic = rd_kafka_topic_name(m->rkt);
    char err[256];
    weir_hits h;
    atomic_fetch_add_explicit(&w->consumed, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->bytes, m->len, memory_order_relaxed);
    if (atomic_load(sh->failed))
        return; /* nothing after a failure is committed; don't add alerts to it */
    weir_parser *p = stream_parser(w, topic, m->partition);
    if (!p) {
        sh->fatal(sh->ctx, "out of memory creating a parser");
        return;
    }
    if (weir_scanner_scan(w->scanner, p, m->payload, m->len, &h, err, sizeof(err)) != 0) {
        char msg[300];
        snprintf(msg, sizeof(msg), "scan failed: %s", err);
        sh->fatal(sh->ctx, msg);
        return;
    }
    if (h.event && weir_event_truncated(h.event))
        atomic_fetch_add_explicit(&w->oversized, 1, memory_order_relaxed);
    if (h.parse_status == WEIR_PARSE_MALFORMED)
        atomic_fetch_add_explicit(&w->malformed, 1, memory_order_relaxed);
    else if (h.parse_status == WEIR_PARSE_HEADER)
        atomic_fetch_add_explicit(&w->headers, 1, memory_order_relaxed);
    if (h.n == 0)
        return;
    weir_alert_src src = {.topic = topic,
                          .partition = m->partition,
                          .offset = m->offset,
                          .ts_ms = rd_kafka_message_timestamp(m, NULL)};
    if (weir_alert_encode(&w->sb, sh->eng, &h, m->payload, m->len, &src) != 0) {
        sh->fatal(sh->ctx, "out of memory encoding an alert");
        return;
    }
    atomic_fetch_add_explicit(&w->matched, 1, memory_order_relaxed);
    produce(w, b, topic, m->partition);
}

static void *worker_main(void *arg)
{
    wk_worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (w->len == 0 && !w->stopping)
            pthread_cond_wait(&w->not_empty, &w->mu);
        if (w->len == 0) { /* stopping and drained */
            pthread_mutex_unlock(&w->mu);
            return NULL;
        }
        wk_item it = w->ring[w->head];
        w->head = (w->head + 1) % w->cap;
        w->len--;
        /* wake the dispatcher only once there is room for many events: a wake-up per event
         * would cost two context switches per event */
        if (w->full_waiter && w->len <= w->cap / 2) {
            w->full_waiter = 0;
            pthread_cond_signal(&w->not_full);
        }
        pthread_mutex_unlock(&w->mu);

        process(w, it.m, it.b);
        rd_kafka_message_destroy(it.m);
        atomic_fetch_sub(&it.b->remaining, 1); /* after the alert was counted in flight */
    }
}

wk_pool *wk_pool_start(size_t n, const wk_shared *sh, size_t queue_cap, char *err, size_t errlen)
{
    wk_pool *p = calloc(1, sizeof(*p));
    if (!p || !(p->w = calloc(n, sizeof(wk_worker)))) {
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->sh = sh;
    p->n = n;
    for (size_t i = 0; i < n; i++) {
        wk_worker *w = &p->w[i];
        w->pool = p;
        w->cap = queue_cap ? queue_cap : 1024;
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->not_empty, NULL);
        pthread_cond_init(&w->not_full, NULL);
        msgpack_sbuffer_init(&w->sb);
        if (!(w->ring = calloc(w->cap, sizeof(wk_item))) ||
            !(w->scanner = weir_scanner_new(sh->eng, sh->max_event, err, errlen))) {
            if (!w->ring)
                snprintf(err, errlen, "out of memory");
            wk_pool_stop(p);
            return NULL;
        }
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            snprintf(err, errlen, "cannot start worker thread %zu", i);
            wk_pool_stop(p);
            return NULL;
        }
        w->started = 1;
    }
    return p;
}

static size_t owner(const wk_pool *p, const char *topic, int32_t partition)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over topic and partition */
    for (const char *c = topic; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    h = (h ^ (uint32_t)partition) * 1099511628211ULL;
    return (size_t)(h % p->n);
}

void wk_pool_dispatch(wk_pool *p, rd_kafka_message_t *m, wk_batch *b, void (*idle)(void *),
                      void *ctx)
{
    wk_worker *w = &p->w[owner(p, rd_kafka_topic_name(m->rkt), m->partition)];
    atomic_fetch_add(&b->remaining, 1);
    pthread_mutex_lock(&w->mu);
    while (w->len == w->cap) {
        pthread_mutex_unlock(&w->mu);
        idle(ctx);
        pthread_mutex_lock(&w->mu);
        if (w->len == w->cap) {
            w->full_waiter = 1;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 5 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&w->not_full, &w->mu, &ts);
        }
    }
    w->ring[(w->head + w->len) % w->cap] = (wk_item){.m = m, .b = b};
    if (w->len++ == 0) /* only an empty queue can have its worker asleep */
        pthread_cond_signal(&w->not_empty);
    pthread_mutex_unlock(&w->mu);
}

void wk_pool_stats(wk_pool *p, weir_pipeline_stats *st)
{
    for (size_t i = 0; p && i < p->n; i++) {
        wk_worker *w = &p->w[i];
        st->consumed += atomic_load_explicit(&w->consumed, memory_order_relaxed);
        st->bytes += atomic_load_explicit(&w->bytes, memory_order_relaxed);
        st->matched += atomic_load_explicit(&w->matched, memory_order_relaxed);
        st->malformed += atomic_load_explicit(&w->malformed, memory_order_relaxed);
        st->headers += atomic_load_explicit(&w->headers, memory_order_relaxed);
        st->oversized += atomic_load_explicit(&w->oversized, memory_order_relaxed);
    }
}

void wk_pool_stop(wk_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        wk_worker *w = &p->w[i];
        pthread_mutex_lock(&w->mu);
        w->stopping = 1;
        pthread_cond_signal(&w->not_empty);
        pthread_mutex_unlock(&w->mu);
    }
    for (size_t i = 0; i < p->n; i++) {
        wk_worker *w = &p->w[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        weir_scanner_destroy(w->scanner);
        msgpack_sbuffer_destroy(&w->sb);
        for (size_t k = 0; k < w->nstreams; k++) {
            free(w->streams[k].topic);
            weir_parser_destroy(w->streams[k].parser);
        }
        free(w->streams);
        free(w->ring);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->not_empty);
        pthread_cond_destroy(&w->not_full);
    }
    free(p->w);
    free(p);
}
