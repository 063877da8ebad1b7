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
#include "weir/clock.h"

/* Data written by two threads gets cache lines of its own (below): a line shared with
 * another thread's data would move between cores on every write. */
#define WK_LINE 64

/* Events a worker takes from its queue per lock round (WK_TAKE, below), and the dispatcher
 * stages per push: a lock round per event on either side made the mutex and its cache line a
 * tenth of the pipeline thread's time. */
#define WK_STAGE 64

/*
 * A partition's stream: its parser (the #Fields layout it learned, so the stream outlives a
 * revocation: a partition assigned again keeps it) and the worker its events go to now. Owned
 * by the pipeline thread; a worker touches only the parser, and only while it holds one of the
 * stream's events, which inflight counts.
 */
struct wk_stream {
    _Alignas(WK_LINE) char *topic; /* a line each: inflight is written by two threads */
    int32_t partition;
    weir_parser *parser;
    size_t worker;
    atomic_size_t inflight; /* events dispatched and not yet processed */
};

typedef struct {
    rd_kafka_message_t *m;
    wk_batch *b;
    wk_stream *s;
    int64_t read_ms; /* the consumer read that returned m: the alert's event.created */
} wk_item;

/* Each group on its own lines: the dispatcher and the worker write different ones, and one
 * worker's counters do not share a line with the next worker's queue. */
typedef struct {
    /* the queue: both threads, under mu */
    _Alignas(WK_LINE) pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    wk_item *ring;
    size_t cap, head, len;
    int stopping;
    int full_waiter; /* the pipeline waits for room: wake it at half full, not per event */

    /* events dispatched to this worker and not yet queued: pipeline thread only. They go into
     * the ring WK_STAGE at a time, or when the pipeline flushes (after each consumer read, and
     * before it waits for workers), so the mutex is taken per run of events, not per event */
    _Alignas(WK_LINE) wk_item stage[WK_STAGE];
    size_t nstage;
    pthread_t thread;
    int started;

    _Alignas(WK_LINE) atomic_size_t pending; /* dispatched here and not yet processed */

    /* the worker's own */
    _Alignas(WK_LINE) struct wk_pool *pool;
    weir_scanner *scanner;
    msgpack_sbuffer sb;
    /* counters: written by this worker, read (relaxed) for progress and at the end */
    atomic_uint_least64_t consumed, bytes, matched, malformed, headers, oversized, dead;
} wk_worker;

struct wk_pool {
    const wk_shared *sh;
    wk_worker *w;
    size_t n;
    ow_table *owners; /* pipeline thread only */
    wk_stream **streams; /* pipeline thread only; each stream stays where it was allocated */
    size_t nstreams, capstreams;
    uint64_t moves;
    double full_s; /* the dispatcher's waits for room in a worker's queue */
};

/* A counter only its worker writes: a plain add published by a relaxed store, as readers need
 * no more; an atomic read-modify-write would be a locked instruction per event for nothing. */
static inline void count(atomic_uint_least64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

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
    count(&w->dead, 1);
    produce(w, b, sh->o->dead_letter_topic, m->payload, m->len, key, klen, h);
}

static void process(wk_worker *w, rd_kafka_message_t *m, wk_batch *b, weir_parser *p,
                    int64_t read_ms)
{
    const wk_shared *sh = w->pool->sh;
    const char *topic = rd_kafka_topic_name(m->rkt);
    char err[256];
    weir_hits h;
    count(&w->consumed, 1);
    count(&w->bytes, m->len);
    if (atomic_load(sh->failed))
        return; /* nothing after a failure is committed; don't add alerts to it */
    if (weir_scanner_scan(w->scanner, p, m->payload, m->len, &h, err, sizeof(err)) != 0) {
        char msg[300];
        snprintf(msg, sizeof(msg), "scan failed: %s", err);
        sh->fatal(sh->ctx, msg);
        return;
    }
    bool oversized = h.event && weir_event_truncated(h.event);
    if (oversized)
        count(&w->oversized, 1);
    if (h.parse_status == WEIR_PARSE_MALFORMED)
        count(&w->malformed, 1);
    else if (h.parse_status == WEIR_PARSE_HEADER)
        count(&w->headers, 1);
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
                          .ts_ms = rd_kafka_message_timestamp(m, NULL),
                          .read_ms = read_ms};
    if (weir_alert_encode(&w->sb, sh->eng, &h, m->payload, m->len, &src) != 0) {
        sh->fatal(sh->ctx, "out of memory encoding an alert");
        return;
    }
    count(&w->matched, 1);
    produce(w, b, sh->o->alerts_topic, w->sb.data, w->sb.size, key, (size_t)kl, NULL);
}

#define WK_TAKE 64 /* see WK_STAGE */

/* Counts a run of processed items off their batches, streams and the worker, once per run of
 * the same batch or stream rather than per event (the counters are shared with the pipeline
 * thread, so each atomic is a cache-line transfer). Later is safe: a batch or a stream only
 * waits longer to be seen finished. */
static void release_items(wk_worker *w, const wk_item *it, size_t k)
{
    for (size_t i = 0, j; i < k; i = j) {
        for (j = i + 1; j < k && it[j].b == it[i].b; j++)
            ;
        atomic_fetch_sub(&it[i].b->remaining, j - i); /* after their alerts were counted */
    }
    for (size_t i = 0, j; i < k; i = j) {
        for (j = i + 1; j < k && it[j].s == it[i].s; j++)
            ;
        /* release: the stream's next worker, which the pipeline picks only once this reaches
         * 0, sees everything this one did to the parser (and its alerts are handed to
         * librdkafka after this one's) */
        atomic_fetch_sub_explicit(&it[i].s->inflight, j - i, memory_order_release);
    }
    atomic_fetch_sub_explicit(&w->pending, k, memory_order_relaxed);
}

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
            process(w, in_hand[i].m, in_hand[i].b, in_hand[i].s->parser, in_hand[i].read_ms);
            rd_kafka_message_destroy(in_hand[i].m);
        }
        release_items(w, in_hand, k);
    }
}

wk_pool *wk_pool_start(size_t n, const wk_shared *sh, size_t queue_cap, char *err, size_t errlen)
{
    wk_pool *p = calloc(1, sizeof(*p));
    if (!p || !(p->w = aligned_alloc(WK_LINE, n * sizeof(wk_worker))) ||
        !(p->owners = ow_new(n))) {
        if (p)
            free(p->w);
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memset(p->w, 0, n * sizeof(wk_worker));
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

static wk_stream *find_stream(const wk_pool *p, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < p->nstreams; i++)
        if (p->streams[i]->partition == partition && strcmp(p->streams[i]->topic, topic) == 0)
            return p->streams[i];
    return NULL;
}

wk_stream *wk_pool_stream(wk_pool *p, const char *topic, int32_t partition, int claim)
{
    if (claim && ow_claim(p->owners, topic, partition) != 0)
        return NULL;
    wk_stream *s = find_stream(p, topic, partition);
    if (s) {
        /* assigned again: start on the worker the spread gives it, unless its events from
         * before (a lost partition) are still being processed where they are */
        if (claim && atomic_load_explicit(&s->inflight, memory_order_acquire) == 0)
            s->worker = ow_worker(p->owners, topic, partition);
        return s;
    }
    if (p->nstreams == p->capstreams) {
        size_t nc = p->capstreams ? p->capstreams * 2 : 16;
        wk_stream **ns = realloc(p->streams, nc * sizeof(*ns));
        if (!ns)
            return NULL;
        p->streams = ns;
        p->capstreams = nc;
    }
    char err[256];
    if (!(s = aligned_alloc(WK_LINE, sizeof(*s))) || !memset(s, 0, sizeof(*s)) ||
        !(s->topic = strdup(topic)) ||
        !(s->parser = weir_parser_new(topic_format(p->sh->o, topic), err, sizeof(err)))) {
        if (s)
            free(s->topic);
        free(s);
        return NULL;
    }
    s->partition = partition;
    s->worker = ow_worker(p->owners, topic, partition); /* a stray: hashed, always the same */
    atomic_init(&s->inflight, 0);
    p->streams[p->nstreams++] = s;
    return s;
}

void wk_pool_release(wk_pool *p, const char *topic, int32_t partition)
{
    ow_release(p->owners, topic, partition);
}

void wk_pool_per_worker(const wk_pool *p, wk_count what, char *buf, size_t len)
{
    size_t off = 0;
    if (!len)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        uint64_t v = what == WK_PARTITIONS
                         ? (uint64_t)ow_load(p->owners, i)
                         : atomic_load_explicit(&p->w[i].consumed, memory_order_relaxed);
        char one[32];
        int k = snprintf(one, sizeof(one), "%s%" PRIu64, i ? "," : "", v);
        if (off + (size_t)k + 4 > len) { /* keep room for "..." and the NUL */
            snprintf(buf + off, len - off, "...");
            return;
        }
        memcpy(buf + off, one, (size_t)k + 1);
        off += (size_t)k;
    }
}

/* A stream moves only when its owner has this many more events waiting than another worker:
 * about one take (WK_TAKE), so streams do not hop between workers that are both keeping up. */
#define WK_MOVE_MARGIN 64

/* The worker for the next event of a stream none of whose events is in flight: its own,
 * unless another has clearly less waiting. */
static size_t least_busy(const wk_pool *p, size_t cur)
{
    size_t best = cur;
    size_t best_load = atomic_load_explicit(&p->w[cur].pending, memory_order_relaxed);
    size_t cur_load = best_load;
    for (size_t i = 0; i < p->n; i++) {
        size_t l = atomic_load_explicit(&p->w[i].pending, memory_order_relaxed);
        if (l < best_load) {
            best = i;
            best_load = l;
        }
    }
    return best_load + WK_MOVE_MARGIN < cur_load ? best : cur;
}

/* Moves the worker's staged events into its ring, in order, waiting for room as needed. */
static void push_staged(wk_worker *w, void (*idle)(void *), void *ctx)
{
    size_t done = 0;
    double full_since = 0; /* the clock is read only when the queue is full */
    pthread_mutex_lock(&w->mu);
    while (done < w->nstage) {
        if (w->len == w->cap) {
            if (full_since == 0)
                full_since = weir_now_s();
            pthread_mutex_unlock(&w->mu);
            if (idle)
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
            continue;
        }
        int was_empty = w->len == 0; /* only an empty queue can have its worker asleep */
        for (; done < w->nstage && w->len < w->cap; done++, w->len++)
            w->ring[(w->head + w->len) % w->cap] = w->stage[done];
        if (was_empty)
            pthread_cond_signal(&w->not_empty);
    }
    pthread_mutex_unlock(&w->mu);
    w->nstage = 0;
    if (full_since > 0)
        w->pool->full_s += weir_now_s() - full_since;
}

void wk_pool_dispatch(wk_pool *p, wk_stream *s, rd_kafka_message_t *m, int64_t read_ms,
                      wk_batch *b, void (*idle)(void *), void *ctx)
{
    /* Nothing of the stream in flight: its next event may go to any worker without changing
     * the order of its events or their alerts. Partitions carry unequal traffic (a producer's
     * sticky partitioner fills one partition per batch: 100,750 and 6 events in two
     * partitions of one bench topic), so an even count of partitions per worker is not an
     * even load; this moves the busy ones off a worker that has fallen behind. */
    if (p->n > 1 && atomic_load_explicit(&s->inflight, memory_order_acquire) == 0) {
        size_t to = least_busy(p, s->worker);
        p->moves += to != s->worker;
        s->worker = to;
    }
    wk_worker *w = &p->w[s->worker];
    atomic_fetch_add(&b->remaining, 1);
    atomic_fetch_add_explicit(&s->inflight, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->pending, 1, memory_order_relaxed);
    w->stage[w->nstage++] = (wk_item){.m = m, .b = b, .s = s, .read_ms = read_ms};
    if (w->nstage == WK_STAGE)
        push_staged(w, idle, ctx);
}

void wk_pool_flush(wk_pool *p, void (*idle)(void *), void *ctx)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->w[i].nstage)
            push_staged(&p->w[i], idle, ctx);
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
    if (p) {
        st->partition_moves += p->moves;
        st->worker_queue_full_s += p->full_s;
    }
}

void wk_pool_stop(wk_pool *p)
{
    if (!p)
        return;
    wk_pool_flush(p, NULL, NULL); /* the pipeline flushed already, unless it failed */
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
        free(w->ring);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->not_empty);
        pthread_cond_destroy(&w->not_full);
    }
    free(p->w);
    for (size_t k = 0; k < p->nstreams; k++) {
        free(p->streams[k]->topic);
        weir_parser_destroy(p->streams[k]->parser);
        free(p->streams[k]);
    }
    free(p->streams);
    ow_free(p->owners);
    free(p);
}
