/*
 * The consume → scan → produce → commit loop.
 *
 * The pipeline thread polls the consumer and hands each event to the worker that owns its
 * partition (filter/workers.c); workers scan and produce alerts. Events are grouped into
 * batches as they are dispatched. Delivery guarantee (at-least-once): a batch's offsets are
 * committed only when every event of it was processed and every alert of it acknowledged by the
 * broker, and batches are committed in order. If an alert fails, weir stops and commits nothing
 * from that batch on, so a restart re-reads those events. The revoke callback drains every batch
 * before the partitions move on, so no partition changes hands with alerts in flight. Batches,
 * commits and transactions are filter/pipeline_batch.c; this file is the loop around them.
 *
 * Backpressure: when batches pile up waiting for acknowledgements (a slow alerts broker), the
 * assigned partitions are paused and resumed once the backlog drains; when a worker queue is
 * full, dispatch waits. Memory stays bounded and nothing is dropped.
 */
#include "weir/clock.h"
#include "weir/pipeline.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weir/kconf.h"
#include "weir/log.h"
#include "weir/metrics.h"
#include "weir/reload.h"
#include "pipeline_priv.h"
#include "workers.h"

#define MAX_PENDING_BATCHES 8 /* pause consumption beyond this many unacknowledged batches */

static void fatal_cb(void *ctx, const char *msg)
{
    pipeline *p = ctx;
    pthread_mutex_lock(&p->fatal_mu);
    if (!atomic_load(&p->failed)) { /* keep the first reason: later ones are consequences */
        snprintf(p->fatal_msg, sizeof(p->fatal_msg), "%s", msg);
        atomic_store(&p->failed, 1);
    }
    pthread_mutex_unlock(&p->fatal_mu);
}

void pipeline_set_fatal(pipeline *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fatal_cb(p, msg);
}

void weir_pipeline_opts_init(weir_pipeline_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->group = "weir";
    o->alerts_topic = "weir-alerts";
    o->batch_max = 100000;
    o->batch_ms = 200;
    o->connect_timeout_ms = 10000;
    o->shutdown_timeout_ms = 20000;
    o->format = WEIR_FMT_AUTO;
}

/* ---- delivery reports --------------------------------------------------------------------- */

/* Runs on whichever thread polls the producer: touches only atomics and the fatal slot. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    pipeline *p = opaque;
    if (m->err) {
        atomic_fetch_add(&p->nacked, 1);
        pipeline_set_fatal(p, "delivery to '%s' failed: %s", rd_kafka_topic_name(m->rkt),
                  rd_kafka_err2str(m->err));
    } else if (strcmp(rd_kafka_topic_name(m->rkt), p->o->alerts_topic) == 0) {
        atomic_fetch_add(&p->acked, 1); /* dead letters are waited for, not counted here */
    }
    wk_batch_delivered(m->_private);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    pipeline *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fstr[512];
        rd_kafka_fatal_error(rk, fstr, sizeof(fstr));
        pipeline_set_fatal(p, "fatal Kafka error in %s: %s", rd_kafka_name(rk), fstr);
        return;
    }
    /* transient: librdkafka retries by itself (broker down, rebalances); say so and go on */
    wlog(WLOG_WARN, reason, "client", rd_kafka_name(rk), "error",
         rd_kafka_err2name((rd_kafka_resp_err_t)err), NULL);
}

static void set_paused(pipeline *p, int pause)
{
    if (p->paused == pause || p->nassigned == 0)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)p->nassigned);
    for (size_t i = 0; i < p->nassigned; i++)
        rd_kafka_topic_partition_list_add(l, p->assigned[i].topic, p->assigned[i].partition);
    if (pause)
        rd_kafka_pause_partitions(p->consumer, l);
    else
        rd_kafka_resume_partitions(p->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
    p->paused = pause;
    p->st->pauses += (uint64_t)pause;
    char n[16];
    snprintf(n, sizeof(n), "%zu", p->npending);
    wlog(WLOG_INFO, pause ? "alerts are acknowledged slower than events arrive: pausing input"
                          : "backlog drained: resuming input",
         "pending_batches", n, NULL);
}

/* ---- assignment tracking ------------------------------------------------------------------ */

static assigned_t *find_assigned(pipeline *p, const char *topic, int32_t part)
{
    for (size_t i = 0; i < p->nassigned; i++)
        if (p->assigned[i].partition == part && strcmp(p->assigned[i].topic, topic) == 0)
            return &p->assigned[i];
    return NULL;
}

static void track_assign(pipeline *p, const rd_kafka_topic_partition_list_t *parts)
{
    p->last_a = NULL; /* realloc may move the array */
    for (int i = 0; i < parts->cnt; i++) {
        if (find_assigned(p, parts->elems[i].topic, parts->elems[i].partition))
            continue;
        if (p->nassigned == p->capassigned) {
            size_t nc = p->capassigned ? p->capassigned * 2 : 16;
            assigned_t *na = realloc(p->assigned, nc * sizeof(*na));
            if (!na) {
                pipeline_set_fatal(p, "out of memory tracking partitions");
                return;
            }
            p->assigned = na;
            p->capassigned = nc;
        }
        assigned_t *a = &p->assigned[p->nassigned];
        if (!(a->topic = strdup(parts->elems[i].topic))) {
            pipeline_set_fatal(p, "out of memory tracking partitions");
            return;
        }
        a->partition = parts->elems[i].partition;
        a->eof = 0;
        a->commit_failed = 0;
        p->nassigned++;
        if (!(a->stream = wk_pool_stream(p->pool, a->topic, a->partition, 1))) {
            pipeline_set_fatal(p, "out of memory tracking partitions");
            return;
        }
    }
}

/* drained: none of the revoked partitions' events is queued any more, so their workers may
 * take new ones; a lost partition keeps its worker, whose queue may still hold its events */
static void track_revoke(pipeline *p, const rd_kafka_topic_partition_list_t *parts, int drained)
{
    p->last_a = NULL; /* entries move into the holes */
    for (int i = 0; i < parts->cnt; i++) {
        assigned_t *a = find_assigned(p, parts->elems[i].topic, parts->elems[i].partition);
        if (!a)
            continue;
        if (drained)
            wk_pool_release(p->pool, a->topic, a->partition);
        if (a->commit_failed && p->deadline > 0)
            p->commits_unconfirmed++;
        free(a->topic);
        *a = p->assigned[--p->nassigned];
    }
}

static int all_drained(const pipeline *p)
{
    if (p->nassigned == 0)
        return 0;
    for (size_t i = 0; i < p->nassigned; i++)
        if (!p->assigned[i].eof)
            return 0;
    return 1;
}

void pipeline_commit_result(pipeline *p, rd_kafka_resp_err_t err,
                            const rd_kafka_topic_partition_list_t *offsets)
{
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) /* nothing to commit */
        err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        const rd_kafka_topic_partition_t *t = &offsets->elems[i];
        rd_kafka_resp_err_t e = err ? err : t->err;
        if (e)
            p->last_commit_err = e;
        assigned_t *a = find_assigned(p, t->topic, t->partition);
        if (a)
            a->commit_failed = e != RD_KAFKA_RESP_ERR_NO_ERROR;
        else if (e && p->deadline > 0) /* arrived after the close revoked it */
            p->commits_unconfirmed++;
    }
}

/* Partitions whose offsets the run could not commit last: a stop that leaves them is not
 * clean (the next start re-reads from their last committed offsets). */
static size_t commits_unconfirmed(const pipeline *p)
{
    size_t n = p->commits_unconfirmed;
    for (size_t i = 0; i < p->nassigned; i++)
        n += p->assigned[i].commit_failed != 0;
    return n;
}

static void offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    pipeline *p = opaque;
    pipeline_commit_result(p, err, offsets);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return;
    p->st->commit_errors++;
    wlog(WLOG_WARN, "offset commit failed; events after the last commit will be re-read",
         "error", rd_kafka_err2str(err), NULL);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    pipeline *p = opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    char n[16];
    snprintf(n, sizeof(n), "%d", parts->cnt);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        track_assign(p, parts);
        char spread[256];
        wk_pool_per_worker(p->pool, WK_PARTITIONS, spread, sizeof(spread));
        wlog(WLOG_INFO, "partitions assigned", "count", n, "per_worker", spread, NULL);
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        p->paused = 0; /* a new assignment starts unpaused */
        return;
    }
    /* revoked or lost: settle what we hold before the partitions move on */
    wlog(WLOG_INFO, "partitions revoked", "count", n, NULL);
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
        pipeline_drain(p);
    track_revoke(p, parts, err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && !p->pending &&
                               !atomic_load(&p->failed));
    if (cooperative)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}

/* ---- per event (pipeline thread) --------------------------------------------------------- */

static void note_offset(pipeline *p, const rd_kafka_message_t *m, const char *topic)
{
    wk_batch *b = p->open;
    if (p->off_b != b || p->off_rkt != m->rkt || p->off_part != m->partition) {
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(b->offsets, topic, m->partition);
        if (!tp)
            tp = rd_kafka_topic_partition_list_add(b->offsets, topic, m->partition);
        p->off_b = b;
        p->off_rkt = m->rkt;
        p->off_part = m->partition;
        p->off_idx = (int)(tp - b->offsets->elems);
    }
    b->offsets->elems[p->off_idx].offset = m->offset + 1;
}

static void dispatch(pipeline *p, rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    assigned_t *a = p->last_a;
    if (!a || p->last_rkt != m->rkt || a->partition != m->partition) {
        a = find_assigned(p, topic, m->partition);
        p->last_a = a;
        p->last_rkt = m->rkt;
    }
    if (a)
        a->eof = 0;
    wk_stream *s = a && a->stream ? a->stream : wk_pool_stream(p->pool, topic, m->partition, 0);
    if (!s) {
        pipeline_set_fatal(p, "out of memory creating a parser");
        rd_kafka_message_destroy(m);
        return;
    }
    if (!p->open) {
        if (!(p->open = pipeline_batch_new())) {
            pipeline_set_fatal(p, "out of memory opening a batch");
            rd_kafka_message_destroy(m);
            return;
        }
        p->off_b = NULL; /* a new batch may sit where a freed one was */
        pipeline_txn_begin(p);
    }
    if (p->t_first == 0)
        p->t_first = weir_now_s(); /* rates count from the first event, not the group join */
    note_offset(p, m, topic);
    p->open->nevents++;
    /* m now belongs to the worker */
    wk_pool_dispatch(p->pool, s, m, p->read_ms, p->open, pipeline_idle, p);
    if (p->open->nevents >= p->o->batch_max) /* here, not after the whole consumer read */
        pipeline_seal(p);
}

/*
 * The next events from the consumer queue, many per call: a call per event made this thread the
 * bottleneck. The queue also carries the rebalance events, served by these same calls. A batch
 * call with a timeout waits for the whole batch (librdkafka: "the maximum amount of time to wait
 * for all of rkmessages_size messages"), which at 10,000 events/s held each event about 25 ms
 * for nothing; so take what is there, and only when nothing is, wait for the first event.
 */
static ssize_t consume(rd_kafka_queue_t *cq, rd_kafka_message_t **msgs, size_t cap)
{
    ssize_t n = rd_kafka_consume_batch_queue(cq, 0, msgs, cap);
    if (n != 0)
        return n;
    if (!(msgs[0] = rd_kafka_consume_queue(cq, 50)))
        return 0;
    n = rd_kafka_consume_batch_queue(cq, 0, msgs + 1, cap - 1);
    return n < 0 ? 1 : n + 1;
}

/* ---- hot reload ------------------------------------------------------------------------------
 *
 * A new engine is swapped in between batches, when no event is in flight: the open batch is
 * sealed, and the swap waits until the workers have processed every event dispatched so far
 * (their alerts may still be unacknowledged: they were encoded already). So every event is
 * scanned exactly once, by the old rules or the new, and each alert names the version that
 * produced it.
 */
static void maybe_swap(pipeline *p)
{
    const weir_engine *ne = weir_reloader_pending(p->o->reload);
    if (!ne)
        return;
    pipeline_seal(p);
    for (;;) {
        int busy = 0;
        for (wk_batch *b = p->pending; b; b = b->next)
            if (atomic_load(&b->remaining) > 0)
                busy = 1;
        if (!busy || atomic_load(&p->failed))
            break;
        pipeline_idle(p);
        usleep(200);
    }
    if (atomic_load(&p->failed))
        return;
    char err[512];
    if (wk_pool_swap_engine(p->pool, &p->sh, ne, err, sizeof(err)) != 0) {
        weir_reloader_refuse(p->o->reload, err);
        return;
    }
    p->eng = ne;
    weir_reloader_commit(p->o->reload);
}

/* ---- setup --------------------------------------------------------------------------------- */

static rd_kafka_t *make_producer(pipeline *p, char *err, size_t errlen)
{
    char rerr[512];
    rd_kafka_conf_t *c = weir_kconf_new(p->o->brokers, err, errlen);
    if (!c)
        return NULL;
    /* idempotence: broker-side dedup of retries and per-partition order, so a retried alert
     * is neither duplicated nor reordered */
    char txid[512];
    if (p->o->exactly_once) {
        /* stable per group and host, so a restarted instance fences its own zombie; rebalances
         * are fenced by the consumer group metadata sent with the offsets (KIP-447) */
        char host[256] = "host";
        gethostname(host, sizeof(host) - 1);
        snprintf(txid, sizeof(txid), "weir-%s-%s", p->o->group, host);
    }
    /* linger.ms 5, librdkafka's default, on purpose. Alerts are a trickle, so nearly every
     * produce request carries what one linger gathered: 20 ms cut the broker's CPU for draining
     * 2M events from 0.59 to 0.42 CPU-s, but added ~12 ms to every alert's latency, the
     * tighter of the two targets (bench/RESULTS.md). -X producer.linger.ms=20 makes the other
     * trade. */
    if (weir_kconf_set(c, "enable.idempotence", "true", err, errlen) ||
        (p->o->exactly_once && weir_kconf_set(c, "transactional.id", txid, err, errlen)) ||
        weir_kconf_set(c, "linger.ms", "5", err, errlen) ||
        weir_kconf_set(c, "client.id", "weir-alerts", err, errlen) ||
        weir_kconf_set_kv(c, p->o->producer_props, p->o->nproducer_props, err, errlen)) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    rd_kafka_conf_set_error_cb(c, error_cb);
    rd_kafka_conf_set_opaque(c, p);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, rerr, sizeof(rerr));
    if (!rk) {
        snprintf(err, errlen, "cannot create producer: %s", rerr);
        rd_kafka_conf_destroy(c);
    }
    return rk;
}

/* Refuses overrides that would silently break the delivery guarantee. */
static int check_consumer_props(const weir_pipeline_opts *o, char *err, size_t errlen)
{
    static const char *owned[] = {"enable.auto.commit=", "enable.auto.offset.store="};
    for (size_t i = 0; i < o->nconsumer_props; i++)
        for (size_t k = 0; k < sizeof(owned) / sizeof(owned[0]); k++)
            if (strncmp(o->consumer_props[i], owned[k], strlen(owned[k])) == 0) {
                snprintf(err, errlen,
                         "kafka property '%s' is managed by weir: offsets are committed only "
                         "after alerts are acknowledged",
                         o->consumer_props[i]);
                return -1;
            }
    return 0;
}

static rd_kafka_t *make_consumer(pipeline *p, char *err, size_t errlen)
{
    char rerr[512];
    rd_kafka_conf_t *c = weir_kconf_new(p->o->brokers, err, errlen);
    if (!c)
        return NULL;
    if (weir_kconf_set(c, "group.id", p->o->group, err, errlen) ||
        weir_kconf_set(c, "client.id", "weir-events", err, errlen) ||
        weir_kconf_set(c, "enable.auto.commit", "false", err, errlen) ||
        weir_kconf_set(c, "enable.auto.offset.store", "false", err, errlen) ||
        weir_kconf_set(c, "auto.offset.reset", "earliest", err, errlen) ||
        weir_kconf_set(c, "enable.partition.eof", p->o->exit_eof ? "true" : "false", err,
                       errlen) ||
        weir_kconf_set_kv(c, p->o->consumer_props, p->o->nconsumer_props, err, errlen)) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(c, offset_commit_cb);
    rd_kafka_conf_set_error_cb(c, error_cb);
    rd_kafka_conf_set_opaque(c, p);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, rerr, sizeof(rerr));
    if (!rk) {
        snprintf(err, errlen, "cannot create consumer: %s", rerr);
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

/* ---- stopping --------------------------------------------------------------------------- */

/*
 * Leaves the group as rd_kafka_consumer_close does, serving the revoke callback, but gives up
 * at the shutdown deadline: with the group coordinator unreachable, that call waited without
 * end (measured with librdkafka 2.0.2: still waiting after 400 s). Returns 1 when closed.
 */
static int close_consumer(pipeline *p)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(p->consumer);
    rd_kafka_error_t *e = q ? rd_kafka_consumer_close_queue(p->consumer, q) : NULL;
    if (!q || e) {
        wlog(WLOG_WARN, "could not leave the consumer group", "error",
             e ? rd_kafka_error_string(e) : "out of memory", NULL);
        if (e)
            rd_kafka_error_destroy(e);
        if (q)
            rd_kafka_queue_destroy(q);
        return 0;
    }
    /* at least 2 s even when the drain used up the deadline: a group left late stalls the
     * other members for session.timeout.ms */
    double until = p->deadline > weir_now_s() + 2 ? p->deadline : weir_now_s() + 2;
    int closed;
    while (!(closed = rd_kafka_consumer_closed(p->consumer)) && weir_now_s() < until) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
        /* the queue is served as events, not callbacks: the revoke comes as an event, and
         * until it is answered (unassign) the group waits for it, and close with it */
        if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
            rebalance_cb(p->consumer, rd_kafka_event_error(ev),
                         rd_kafka_event_topic_partition_list(ev), p);
        /* so are the results of the asynchronous commits still in flight, which the group
         * waits for before it leaves: a failed one must not pass for a clean stop */
        if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT)
            offset_commit_cb(p->consumer, rd_kafka_event_error(ev),
                             rd_kafka_event_topic_partition_list(ev), p);
        if (ev)
            rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    return closed;
}

static int subscribe(pipeline *p, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)p->o->ntopics);
    for (size_t i = 0; i < p->o->ntopics; i++)
        rd_kafka_topic_partition_list_add(l, p->o->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(p->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(err, errlen, "cannot subscribe: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* Connectivity and topic checks before joining the group, so a typo fails fast and clearly. */
static int probe(pipeline *p, char *err, size_t errlen)
{
    int exists = 0;
    if (weir_kafka_probe(p->producer, p->o->brokers, p->o->alerts_topic,
                         p->o->connect_timeout_ms, &exists, NULL, err, errlen) != 0)
        return -1;
    if (!exists)
        wlog(WLOG_WARN, "alerts topic does not exist yet; the broker must auto-create it",
             "topic", p->o->alerts_topic, NULL);
    if (p->o->dead_letter_topic && *p->o->dead_letter_topic) {
        if (weir_kafka_probe(p->producer, p->o->brokers, p->o->dead_letter_topic,
                             p->o->connect_timeout_ms, &exists, NULL, err, errlen) != 0)
            return -1;
        if (!exists)
            wlog(WLOG_WARN, "dead-letter topic does not exist yet; the broker must auto-create "
                 "it", "topic", p->o->dead_letter_topic, NULL);
    }
    for (size_t i = 0; i < p->o->ntopics; i++) {
        if (weir_kafka_probe(p->producer, p->o->brokers, p->o->topics[i],
                             p->o->connect_timeout_ms, &exists, NULL, err, errlen) != 0)
            return -1;
        if (!exists)
            wlog(WLOG_WARN, "input topic does not exist (yet); waiting for it", "topic",
                 p->o->topics[i], NULL);
    }
    return 0;
}

/* Events not yet consumed on the assigned partitions, from the watermarks librdkafka caches
 * from fetch responses (no broker round trip). */
static int64_t consumer_lag(pipeline *p)
{
    int64_t lag = 0;
    if (p->nassigned == 0)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)p->nassigned);
    for (size_t i = 0; i < p->nassigned; i++)
        rd_kafka_topic_partition_list_add(l, p->assigned[i].topic, p->assigned[i].partition);
    if (rd_kafka_position(p->consumer, l) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < l->cnt; i++) {
            int64_t lo, hi;
            if (l->elems[i].offset >= 0 &&
                rd_kafka_get_watermark_offsets(p->consumer, l->elems[i].topic,
                                               l->elems[i].partition, &lo, &hi) == 0 &&
                hi > l->elems[i].offset)
                lag += hi - l->elems[i].offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    return lag;
}

static void log_progress(pipeline *p, double t0)
{
    weir_pipeline_stats now = {0};
    wk_pool_stats(p->pool, &now);
    char ev[32], al[32], rate[32], pend[16], lag[32], per[256];
    snprintf(lag, sizeof(lag), "%" PRId64, consumer_lag(p));
    wk_pool_per_worker(p->pool, WK_EVENTS, per, sizeof(per));
    double el = weir_now_s() - (p->t_first > 0 ? p->t_first : t0);
    snprintf(ev, sizeof(ev), "%" PRIu64, now.consumed);
    snprintf(al, sizeof(al), "%" PRIu64, now.matched);
    snprintf(rate, sizeof(rate), "%.0f", el > 0 ? (double)now.consumed / el : 0.0);
    snprintf(pend, sizeof(pend), "%zu", p->npending);
    wlog(WLOG_INFO, "progress", "events", ev, "alerts", al, "events_per_s", rate, "lag", lag,
         "pending_batches", pend, "events_per_worker", per, NULL);
}

/* The counters as they are now, for the metrics endpoint (pipeline thread). */
static void publish(pipeline *p)
{
    weir_pipeline_stats now = *p->st;
    /* wk_pool_stats adds these: from zero, not onto whatever st holds */
    now.consumed = now.bytes = now.matched = now.malformed = now.headers = now.oversized = 0;
    now.dead_lettered = now.partition_moves = 0;
    now.worker_queue_full_s = 0;
    wk_pool_stats(p->pool, &now);
    now.alerts_acked = atomic_load(&p->acked);
    now.alerts_failed = atomic_load(&p->nacked);
    if (p->waker) /* once it is stopped, st holds its count */
        now.fetch_wakeups = fw_wakeups(p->waker);
    if (p->o->reload)
        weir_reloader_counts(p->o->reload, &now.reloads, &now.reload_failures);
    weir_metrics_publish(p->o->metrics, &now, consumer_lag(p), weir_engine_rules_hash(p->eng));
}

/*
 * CPUs this process may use: its affinity mask, further capped by a cgroup v2 CPU quota
 * (cpu.max), which is how Kubernetes applies resources.limits.cpu. Online CPUs alone would start
 * 64 threads in a pod limited to 2 CPUs of a 64-core node.
 */
static size_t default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        n = CPU_COUNT(&set);
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (f) {
        char quota[32];
        long period;
        if (fscanf(f, "%31s %ld", quota, &period) == 2 && strcmp(quota, "max") != 0 &&
            period > 0) {
            long q = strtol(quota, NULL, 10);
            long cap = (q + period - 1) / period; /* 1.5 CPUs: two threads */
            if (cap >= 1 && cap < n)
                n = cap;
        }
        fclose(f);
    }
    return n > 0 ? (size_t)n : 1;
}

weir_pipe_status weir_pipeline_run(const weir_pipeline_opts *o, const weir_engine *eng,
                                   weir_pipeline_stats *st, char *err, size_t errlen)
{
    pipeline p = {.o = o, .eng = eng, .st = st};
    weir_pipe_status rc = WEIR_PIPE_STARTUP;
    memset(st, 0, sizeof(*st));
    st->read_delay_ms = -1;
    atomic_init(&p.failed, 0);
    atomic_init(&p.acked, 0);
    atomic_init(&p.nacked, 0);
    double t0 = weir_now_s();
    pthread_mutex_init(&p.fatal_mu, NULL);
    size_t nworkers = o->workers ? o->workers : default_workers();

    if (o->ntopics == 0) {
        snprintf(err, errlen, "no input topic given");
        goto out;
    }
    if (check_consumer_props(o, err, errlen) != 0) /* before any connection: fail fast */
        goto out;
    if (!(p.producer = make_producer(&p, err, errlen)))
        goto out;
    if (probe(&p, err, errlen) != 0)
        goto out;
    if (o->exactly_once) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(p.producer, o->connect_timeout_ms);
        if (e) {
            snprintf(err, errlen, "cannot initialise transactions: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            goto out;
        }
    }
    p.sh = (wk_shared){.eng = eng,
                       .producer = p.producer,
                       .o = o,
                       .max_event = o->max_event,
                       .fatal = fatal_cb,
                       .ctx = &p,
                       .failed = &p.failed};
    /* a queue holds about one batch's share per worker, enough to keep workers busy, but no
     * more than 4096 events: beyond that it only holds memory */
    size_t qcap = o->batch_max / nworkers + 64;
    if (qcap > 4096)
        qcap = 4096;
    if (!(p.pool = wk_pool_start(nworkers, &p.sh, qcap, err, errlen)))
        goto out;
    if (!(p.consumer = make_consumer(&p, err, errlen)))
        goto out;
    if (subscribe(&p, err, errlen) != 0)
        goto out;
    /* The prefetch stays at librdkafka's defaults (100,000 events or 64 MB, whichever first):
     * with the waker, a deeper one (weir set 1,000,000 before it) bought no speed and cost
     * about 80 MB (2M events: 0.70-0.99M events/s at 100,000, 0.72-1.06M at 1,000,000; peak
     * RSS 120-139 MB against 211-215 MB). Without it, librdkafka 2.0.2 waits up to 1 s each
     * time the queue fills (fetchwake.h), and only a deep queue hid that. */
    if (!(p.waker = fw_start(p.consumer, err, errlen)))
        goto out;

    char nw[24];
    snprintf(nw, sizeof(nw), "%zu", nworkers);
    wlog(WLOG_INFO, "consuming", "topic", o->topics[0], "group", o->group, "alerts_topic",
         o->alerts_topic, "workers", nw, "rules_version", weir_engine_rules_hash(eng), NULL);
    /* p.eng follows reloads; eng is the caller's first engine */
    rc = WEIR_PIPE_OK;
    double last_progress = t0, last_publish = 0;
    rd_kafka_queue_t *cq = rd_kafka_queue_get_consumer(p.consumer);
    rd_kafka_message_t *msgs[1024];
    while (!atomic_load(&p.failed) && !(o->stop && *o->stop)) {
        ssize_t n = consume(cq, msgs, sizeof(msgs) / sizeof(msgs[0]));
        if (n > 0)
            p.read_ms = weir_wall_ms(); /* one clock read per read, not per event */
        size_t taken = 0; /* counted as librdkafka counts its queue: payload bytes */
        int64_t oldest = INT64_MAX; /* Kafka timestamp of the read's oldest event */
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            taken += m->len;
            if (!m->err) {
                int64_t ts = rd_kafka_message_timestamp(m, NULL);
                if (ts > 0 && ts < oldest)
                    oldest = ts;
            }
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                assigned_t *a = find_assigned(&p, rd_kafka_topic_name(m->rkt), m->partition);
                if (a)
                    a->eof = 1;
                rd_kafka_message_destroy(m);
            } else if (m->err) {
                st->consume_errors++;
                wlog(WLOG_WARN, "consumer error", "error", rd_kafka_message_errstr(m), "topic",
                     m->rkt ? rd_kafka_topic_name(m->rkt) : "", NULL);
                rd_kafka_message_destroy(m);
            } else if (atomic_load(&p.failed)) {
                rd_kafka_message_destroy(m); /* nothing after a failure is processed */
            } else {
                dispatch(&p, m);
            }
        }
        if (n > 0)
            fw_consumed(p.waker, (size_t)n, taken);
        if (oldest != INT64_MAX) /* a clock behind the producers' reads as 0, not negative */
            st->read_delay_ms = p.read_ms > oldest ? p.read_ms - oldest : 0;
        wk_pool_flush(p.pool, pipeline_idle, &p);
        rd_kafka_poll(p.producer, 0); /* delivery reports */
        double tn = weir_now_s();
        if (p.open && (p.open->nevents >= o->batch_max ||
                       (tn - p.open->opened) * 1000 >= o->batch_ms || n <= 0))
            pipeline_seal(&p);
        pipeline_settle(&p);
        /* backpressure: too many batches waiting for acknowledgements */
        if (!p.paused && p.npending >= MAX_PENDING_BATCHES)
            set_paused(&p, 1);
        else if (p.paused && p.npending <= MAX_PENDING_BATCHES / 2)
            set_paused(&p, 0);
        if (o->reload)
            maybe_swap(&p);
        if (o->exit_eof && all_drained(&p)) {
            pipeline_drain(&p);
            if (all_drained(&p)) /* nothing new arrived while draining */
                break;
        }
        if (o->metrics && tn - last_publish >= 1.0) {
            publish(&p);
            last_publish = tn;
        }
        if (tn - last_progress >= (o->progress_s > 0 ? o->progress_s : 10.0)) {
            log_progress(&p, t0);
            last_progress = tn;
        }
    }
    rd_kafka_queue_destroy(cq);
    st->fetch_wakeups = fw_wakeups(p.waker);
    fw_stop(p.waker); /* nothing more is read */
    p.waker = NULL;
    /* from here on every wait for the brokers ends at the deadline (running already when a
     * wait inside the loop saw the signal) */
    pipeline_stopping(&p);
    if (!atomic_load(&p.failed))
        pipeline_drain(&p);
    /* the final counts, which the last scrape before exit should agree with the stopped line
     * on (the loop publishes once a second) */
    if (o->metrics)
        publish(&p);
    if (atomic_load(&p.failed)) {
        snprintf(err, errlen, "%s", p.fatal_msg);
        rc = WEIR_PIPE_RUNTIME;
    }

out:
    fw_stop(p.waker); /* before the consumer closes: it uses the handle */
    pipeline_stopping(&p);
    if (o->exactly_once && p.producer && atomic_load(&p.failed)) {
        /* don't leave read_committed readers waiting for the transaction timeout */
        rd_kafka_error_t *ae =
            rd_kafka_abort_transaction(p.producer, pipeline_left_ms(&p, 10000, 500));
        if (ae)
            rd_kafka_error_destroy(ae);
    }
    /* leave the group now rather than after session.timeout.ms (the revoke callback finds the
     * batches settled, or not to be committed) */
    int left = p.consumer ? close_consumer(&p) : 1;
    size_t unconfirmed = commits_unconfirmed(&p);
    if (p.commitq)
        rd_kafka_queue_destroy(p.commitq);
    if (!left && rc == WEIR_PIPE_OK) {
        snprintf(err, errlen, "could not leave the consumer group within shutdown_timeout "
                 "(%.1f s): the brokers did not answer. Offsets committed since they stopped "
                 "answering may not have landed; those events are read again on restart",
                 o->shutdown_timeout_ms / 1000.0);
        rc = WEIR_PIPE_RUNTIME;
    } else if (!left) {
        wlog(WLOG_WARN, "could not leave the consumer group either: the group coordinator "
             "will notice after session.timeout.ms", NULL);
    } else if (rc == WEIR_PIPE_OK && unconfirmed > 0) {
        /* e.g. the brokers went away with the last commits in flight: nothing is lost, but
         * the stop was not clean, and the next start re-reads */
        snprintf(err, errlen, "the last offset commit failed for %zu partition(s) (%s): their "
                 "events after the last committed offset are read again on restart",
                 unconfirmed, rd_kafka_err2str(p.last_commit_err));
        rc = WEIR_PIPE_RUNTIME;
    }
    wk_pool_stats(p.pool, st);
    if (p.pool && st->consumed > 0) { /* the load each worker carried, moves included */
        char per[256];
        wk_pool_per_worker(p.pool, WK_EVENTS, per, sizeof(per));
        wlog(WLOG_INFO, "workers", "events_per_worker", per, NULL);
    }
    /* the workers may still hold messages of the consumer after a failure: they are
     * processed (skipped) and released before the consumer is destroyed */
    wk_pool_stop(p.pool);
    /* not closed in time: librdkafka 2.0.2's destroy then waits for the group's requests to
     * the silent brokers (measured: over 40 s with the broker frozen), so the handle is left
     * to the process's exit (cmd_run) */
    if (p.consumer && left)
        rd_kafka_destroy(p.consumer);
    st->consumer_abandoned = p.consumer && !left;
    if (p.producer) {
        /* after a failure nothing waits for these alerts any more: their events' offsets are
         * not committed. What the broker does not take in time is dropped here, and produced
         * again when the events are read again. */
        if (rd_kafka_flush(p.producer, pipeline_left_ms(&p, 10000, 500)) != 0) {
            rd_kafka_purge(p.producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            rd_kafka_poll(p.producer, 0);
        }
        rd_kafka_destroy(p.producer);
    }
    if (o->reload)
        weir_reloader_counts(o->reload, &st->reloads, &st->reload_failures);
    st->alerts_acked = atomic_load(&p.acked);
    st->alerts_failed = atomic_load(&p.nacked);
    st->elapsed_s = weir_now_s() - (p.t_first > 0 ? p.t_first : t0);
    for (wk_batch *b = p.pending, *nb; b; b = nb) {
        nb = b->next;
        pipeline_batch_free(b);
    }
    if (p.open)
        pipeline_batch_free(p.open);
    for (size_t i = 0; i < p.nassigned; i++)
        free(p.assigned[i].topic);
    free(p.assigned);
    pthread_mutex_destroy(&p.fatal_mu);
    return rc;
}
