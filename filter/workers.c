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

#include "owners.h"
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
    wk_stream *last; /* the stream of the previous event (see stream_parser) */
    rd_kafka_topic_t *last_rkt;
    /* counters: written by this worker, read (relaxed) for progress and at the end */
    atomic_uint_least64_t consumed, bytes, matched, malformed, headers, oversized, dead;
} wk_worker;

struct wk_pool {
    const wk_shared *sh;
    wk_worker *w;
    size_t n;
    ow_table *owners; /* pipeline thread only */
};

void wk_batch_delivered(wk_batch *b)
{
    atomic_fetch_sub(&b->inflight, 1);
}

static weir_format topic_format(const weir_pipeline_opts *o, const char *topic)
{
    if (o->per_topic_format)
        for (size_t i = 0; i < o->ntopics; i++)
            if (strcmp(o->topics[i], topic) == 0)
                return o->formats[i];
    return o->format;
}

static weir_parser *stream_parser(wk_worker *w, rd_kafka_topic_t *rkt, int32_t partition)
{
    /* events of a partition arrive in runs: the last stream is nearly always the one, and a
     * search per event (a strcmp per stream) cost as much as parsing short lines */
    if (w->last && w->last_rkt == rkt && w->last->partition == partition)
        return w->last->parser;
    const char *topic = rd_kafka_topic_name(rkt);
    for (size_t i = 0; i < w->nstreams; i++)
        if (w->streams[i].partition == partition && strcmp(w->streams[i].topic, topic) == 0) {
            w->last = &w->streams[i];
            w->last_rkt = rkt;
            return w->last->parser;
        }
    /* a new partition for this worker: once per partition, not per event */
    char err[256];
    wk_stream *ns = realloc(w->streams, (w->nstreams + 1) * sizeof(*ns));
    if (!ns)
        return NULL;
    w->streams = ns;
    w->last = NULL; /* it pointed into the array realloc may just have moved */
    wk_stream *s = &ns[w->nstreams];
    s->topic = strdup(topic);
    s->partition = partition;
    s->parser = weir_parser_new(topic_format(w->pool->sh->o, topic), err, sizeof(err));
    if (!s->topic || !s->parser) {
        free(s->topic);
        weir_parser_destroy(s->parser);
        return NULL;
    }
    w->nstreams++;
    w->last = s; /* the realloc above may have moved the array: point at the new element */
    w->last_rkt = rkt;
    return s->parser;
}

/*
 * Produces one message that the batch waits for: counted in flight before it can be delivered,
 * so a batch is never seen complete too early. hdrs, when not NULL, passes to librdkafka.
 */
static void produce(wk_worker *w, wk_batch *b, const char *to, const void *val, size_t len,
                    const char *key, size_t klen, rd_kafka_headers_t *hdrs)
{
    const wk_shared *sh = w->pool->sh;
    char msg[512];
    atomic_fetch_add(&b->inflight, 1);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            sh->producer, RD_KAFKA_V_TOPIC(to), RD_KAFKA_V_VALUE((void *)val, len),
            RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(b), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return; /* librdkafka owns hdrs now */
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || atomic_load(sh->failed)) {
            atomic_fetch_sub(&b->inflight, 1);
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            snprintf(msg, sizeof(msg), "cannot produce to '%s': %s", to, rd_kafka_err2str(e));
            sh->fatal(sh->ctx, msg);
            return;
        }
        /* backpressure: the producer queue is full; serve delivery reports (their callback
         * only touches atomics) instead of dropping or buffering without bound */
        rd_kafka_poll(sh->producer, 10);
    }
}

/*
 * Copies the whole event to the dead-letter topic, keyed like its alerts, with headers saying
 * why and where it came from. The headers are allocated here, but only for the rare event that
 * is malformed or oversized, never on the common path.
 */
static void dead_letter(wk_worker *w, wk_batch *b, rd_kafka_message_t *m, const char *reason,
                        const char *key, size_t klen)
{
    const wk_shared *sh = w->pool->sh;
    rd_kafka_headers_t *h = rd_kafka_headers_new(4);
    char part[16], off[24];
    snprintf(part, sizeof(part), "%" PRId32, m->partition);
    snprintf(off, sizeof(off), "%" PRId64, m->offset);
    if (!h || rd_kafka_header_add(h, "weir.reason", -1, reason, -1) ||
        rd_kafka_header_add(h, "weir.source.topic", -1, rd_kafka_topic_name(m->rkt), -1) ||
        rd_kafka_header_add(h, "weir.source.partition", -1, part, -1) ||
        rd_kafka_header_add(h, "weir.source.offset", -1, off, -1)) {
        if (h)
            rd_kafka_headers_destroy(h);
        sh->fatal(sh->ctx, "out of memory building dead-letter headers");
        return;
    }
    atomic_fetch_add_explicit(&w->dead, 1, memory_order_relaxed);
    produce(w, b, sh->o->dead_letter_topic, m->payload, m->len, key, klen, h);
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
    weir_parser *p = stream_parser(w, m->rkt, m->partition);
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
    bool oversized = h.event && weir_event_truncated(h.event);
    if (oversized)
        atomic_fetch_add_explicit(&w->oversized, 1, memory_order_relaxed);
    if (h.parse_status == WEIR_PARSE_MALFORMED)
        atomic_fetch_add_explicit(&w->malformed, 1, memory_order_relaxed);
    else if (h.parse_status == WEIR_PARSE_HEADER)
        atomic_fetch_add_explicit(&w->headers, 1, memory_order_relaxed);
    const char *dl_reason = NULL;
    /* a dead letter is a copy for inspection: the event is still scanned (raw, or up to the
     * size limit), so an attack hidden in a broken or huge line still raises its alert */
    if (sh->o->dead_letter_topic && *sh->o->dead_letter_topic) {
        if (h.parse_status == WEIR_PARSE_MALFORMED)
            dl_reason = "malformed";
        else if (oversized && sh->o->oversize_dead_letter)
            dl_reason = "oversize";
    }
    if (h.n == 0 && !dl_reason)
        return; /* the common case: nothing to produce, not even a key to format */
    char key[300];
    int kl = snprintf(key, sizeof(key), "%s:%" PRId32, topic, m->partition);
    if (kl < 0 || (size_t)kl >= sizeof(key))
        kl = (int)sizeof(key) - 1;
    if (dl_reason)
        dead_letter(w, b, m, dl_reason, key, (size_t)kl);
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
    produce(w, b, sh->o->alerts_topic, w->sb.data, w->sb.size, key, (size_t)kl, NULL);
}

/* Events a worker takes from its queue per lock round: one round per event also contended with
 * the dispatcher, which pushes every event under the same mutex. */
#define WK_TAKE 64

static void *worker_main(void *arg)
{
    wk_worker *w = arg;
    wk_item in_hand[WK_TAKE];
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (w->len == 0 && !w->stopping)
            pthread_cond_wait(&w->not_empty, &w->mu);
        if (w->len == 0) { /* stopping and drained */
            pthread_mutex_unlock(&w->mu);
            return NULL;
        }
        size_t k = 0;
        for (; k < WK_TAKE && w->len > 0; k++) {
            in_hand[k] = w->ring[w->head];
            w->head = (w->head + 1) % w->cap;
            w->len--;
        }
        /* wake the dispatcher only once there is room for many events: a wake-up per event
         * would cost two context switches per event */
        if (w->full_waiter && w->len <= w->cap / 2) {
            w->full_waiter = 0;
            pthread_cond_signal(&w->not_full);
        }
        pthread_mutex_unlock(&w->mu);

        /* in order; each batch's count drops only after its event is processed, so a batch
         * (and a reload, which waits for every count to reach 0) never sees one in hand */
        for (size_t i = 0; i < k; i++) {
            process(w, in_hand[i].m, in_hand[i].b);
            rd_kafka_message_destroy(in_hand[i].m);
            atomic_fetch_sub(&in_hand[i].b->remaining, 1); /* after its alert was counted */
        }
    }
}

wk_pool *wk_pool_start(size_t n, const wk_shared *sh, size_t queue_cap, char *err, size_t errlen)
{
    wk_pool *p = calloc(1, sizeof(*p));
    if (!p || !(p->w = calloc(n, sizeof(wk_worker))) || !(p->owners = ow_new(n))) {
        if (p)
            free(p->w);
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
        /* named, so top -H and perf tell the scanning threads from librdkafka's (rdk:*) and
         * from the dispatching main thread; 15 characters at most */
        char name[16];
        snprintf(name, sizeof(name), "weir-scan-%zu", i % 100000);
        pthread_setname_np(w->thread, name);
        w->started = 1;
    }
    return p;
}

int wk_pool_claim(wk_pool *p, const char *topic, int32_t partition, size_t *worker)
{
    if (ow_claim(p->owners, topic, partition) != 0)
        return -1;
    *worker = ow_worker(p->owners, topic, partition);
    return 0;
}

size_t wk_pool_owner(const wk_pool *p, const char *topic, int32_t partition)
{
    return ow_worker(p->owners, topic, partition);
}

void wk_pool_release(wk_pool *p, const char *topic, int32_t partition)
{
    ow_release(p->owners, topic, partition);
}

void wk_pool_spread(const wk_pool *p, char *buf, size_t len)
{
    size_t off = 0;
    if (!len)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        char one[32];
        int k = snprintf(one, sizeof(one), "%s%zu", i ? "," : "", ow_load(p->owners, i));
        if (off + (size_t)k + 4 > len) { /* keep room for "..." and the NUL */
            snprintf(buf + off, len - off, "...");
            return;
        }
        memcpy(buf + off, one, (size_t)k + 1);
        off += (size_t)k;
    }
}

void wk_pool_dispatch(wk_pool *p, size_t worker, rd_kafka_message_t *m, wk_batch *b,
                      void (*idle)(void *), void *ctx)
{
    wk_worker *w = &p->w[worker];
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

int wk_pool_swap_engine(wk_pool *p, wk_shared *sh, const weir_engine *eng, char *err,
                        size_t errlen)
{
    weir_scanner **fresh = calloc(p->n, sizeof(*fresh));
    if (!fresh) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* every scanner first, so a failure leaves all workers on the old engine */
    for (size_t i = 0; i < p->n; i++) {
        if (!(fresh[i] = weir_scanner_new(eng, sh->max_event, err, errlen))) {
            for (size_t k = 0; k < i; k++)
                weir_scanner_destroy(fresh[k]);
            free(fresh);
            return -1;
        }
    }
    sh->eng = eng;
    for (size_t i = 0; i < p->n; i++) {
        wk_worker *w = &p->w[i];
        /* the worker is idle; its next item is taken under this mutex, which also publishes
         * sh->eng to it */
        pthread_mutex_lock(&w->mu);
        weir_scanner *old = w->scanner;
        w->scanner = fresh[i];
        pthread_mutex_unlock(&w->mu);
        weir_scanner_destroy(old);
    }
    free(fresh);
    return 0;
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
        st->dead_lettered += atomic_load_explicit(&w->dead, memory_order_relaxed);
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
    ow_free(p->owners);
    free(p);
}
