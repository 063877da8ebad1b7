/*
 * The consume → scan → produce → commit loop.
 *
 * Delivery guarantee (at-least-once): events are scanned as they arrive and their alerts handed
 * to the idempotent producer at once, but offsets are committed only at a batch boundary, after
 * the producer has reported every alert of the batch as acknowledged. If an alert fails, nothing
 * of that batch is committed and weir stops, so a restart re-reads those events. Finishing the
 * batch inside the revoke callback as well means no partition is handed to another consumer
 * while alerts for it are still in flight or its offsets uncommitted.
 */
#include "weir/clock.h"
#include "weir/pipeline.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weir/alert.h"
#include "weir/kconf.h"
#include "weir/log.h"

/* One assigned partition: a stream of lines with its own parser state (a "#Fields:" header
 * in a partition governs the lines after it in that partition only). */
typedef struct {
    char *topic;
    int32_t partition;
    int eof; /* reached the end and nothing newer seen since */
    weir_parser *parser;
} assigned_t;

typedef struct pipeline {
    const weir_pipeline_opts *o;
    const weir_engine *eng;
    weir_pipeline_stats *st;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    weir_scanner *scanner;
    msgpack_sbuffer sb;

    /* current batch */
    size_t batch_events;
    uint64_t inflight;                         /* alerts produced, no delivery report yet */
    rd_kafka_topic_partition_list_t *to_commit; /* next offset per partition in this batch */
    struct timespec batch_start;

    double t_first;          /* when the first event arrived */
    int fatal;               /* stop: an alert failed or a fatal Kafka error */
    char fatal_msg[512];

    assigned_t *assigned;
    size_t nassigned, capassigned;
} pipeline;

__attribute__((format(printf, 2, 3))) static void set_fatal(pipeline *p, const char *fmt, ...)
{
    if (p->fatal)
        return; /* keep the first reason: later ones are usually consequences */
    p->fatal = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->fatal_msg, sizeof(p->fatal_msg), fmt, ap);
    va_end(ap);
}

void weir_pipeline_opts_init(weir_pipeline_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->group = "weir";
    o->alerts_topic = "weir-alerts";
    o->batch_max = 10000;
    o->batch_ms = 200;
    o->connect_timeout_ms = 10000;
    o->format = WEIR_FMT_AUTO;
}

/* ---- delivery reports --------------------------------------------------------------------- */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    pipeline *p = m->_private;
    p->inflight--;
    if (m->err) {
        p->st->alerts_failed++;
        set_fatal(p, "alert delivery to '%s' failed: %s", p->o->alerts_topic,
                  rd_kafka_err2str(m->err));
    } else {
        p->st->alerts_acked++;
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    pipeline *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fstr[512];
        rd_kafka_fatal_error(rk, fstr, sizeof(fstr));
        set_fatal(p, "fatal Kafka error in %s: %s", rd_kafka_name(rk), fstr);
        return;
    }
    /* transient: librdkafka retries by itself (broker down, rebalances); say so and go on */
    wlog(WLOG_WARN, reason, "client", rd_kafka_name(rk), "error",
         rd_kafka_err2name((rd_kafka_resp_err_t)err), NULL);
}

/* ---- batch boundary ------------------------------------------------------------------------ */

/*
 * Waits for every in-flight alert of the batch, then commits the batch's offsets.
 * Returns -1 (and leaves offsets uncommitted) if any alert failed.
 */
static int finish_batch(pipeline *p)
{
    while (p->inflight > 0 && !p->fatal)
        rd_kafka_poll(p->producer, 100);
    if (p->fatal)
        return -1;
    if (p->to_commit->cnt > 0) {
        rd_kafka_resp_err_t e = rd_kafka_commit(p->consumer, p->to_commit, 0 /* sync */);
        if (e) {
            /* e.g. a rebalance fenced this generation: the events will be re-read by their new
             * owner, so this costs duplicates, never loss */
            p->st->commit_errors++;
            wlog(WLOG_WARN, "offset commit failed; events after the last commit will be re-read",
                 "error", rd_kafka_err2str(e), NULL);
        } else {
            p->st->commits++;
        }
        rd_kafka_topic_partition_list_destroy(p->to_commit);
        p->to_commit = rd_kafka_topic_partition_list_new(16);
    }
    p->batch_events = 0;
    clock_gettime(CLOCK_MONOTONIC, &p->batch_start);
    return 0;
}

/* ---- assignment tracking (for --exit-eof) ------------------------------------------------ */

static assigned_t *find_assigned(pipeline *p, const char *topic, int32_t part)
{
    for (size_t i = 0; i < p->nassigned; i++)
        if (p->assigned[i].partition == part && strcmp(p->assigned[i].topic, topic) == 0)
            return &p->assigned[i];
    return NULL;
}

static void track_assign(pipeline *p, const rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        if (find_assigned(p, parts->elems[i].topic, parts->elems[i].partition))
            continue;
        if (p->nassigned == p->capassigned) {
            size_t nc = p->capassigned ? p->capassigned * 2 : 16;
            assigned_t *na = realloc(p->assigned, nc * sizeof(*na));
            if (!na)
                continue; /* only --exit-eof bookkeeping is lost; it then never exits early */
            p->assigned = na;
            p->capassigned = nc;
        }
        assigned_t *a = &p->assigned[p->nassigned];
        char err[256];
        if (!(a->topic = strdup(parts->elems[i].topic)))
            continue;
        if (!(a->parser = weir_parser_new(p->o->format, err, sizeof(err)))) {
            free(a->topic);
            set_fatal(p, "cannot create parser: %s", err);
            continue;
        }
        a->partition = parts->elems[i].partition;
        a->eof = 0;
        p->nassigned++;
    }
}

static void track_revoke(pipeline *p, const rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        assigned_t *a = find_assigned(p, parts->elems[i].topic, parts->elems[i].partition);
        if (!a)
            continue;
        free(a->topic);
        weir_parser_destroy(a->parser);
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

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    pipeline *p = opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    char n[16];
    snprintf(n, sizeof(n), "%d", parts->cnt);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        wlog(WLOG_INFO, "partitions assigned", "count", n, NULL);
        track_assign(p, parts);
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        return;
    }
    /* revoked or lost: settle what we hold before the partitions move on */
    wlog(WLOG_INFO, "partitions revoked", "count", n, NULL);
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && !p->fatal)
        finish_batch(p);
    track_revoke(p, parts);
    if (cooperative)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}

/* ---- per event ----------------------------------------------------------------------------- */

static void note_offset(pipeline *p, const char *topic, int32_t part, int64_t next)
{
    rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(p->to_commit, topic, part);
    if (!tp)
        tp = rd_kafka_topic_partition_list_add(p->to_commit, topic, part);
    tp->offset = next;
}

static int produce_alert(pipeline *p, const char *key, size_t keylen)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            p->producer, RD_KAFKA_V_TOPIC(p->o->alerts_topic),
            RD_KAFKA_V_VALUE(p->sb.data, p->sb.size), RD_KAFKA_V_KEY(key, keylen),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(p), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            p->inflight++;
            return 0;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            set_fatal(p, "cannot produce alert to '%s': %s", p->o->alerts_topic,
                      rd_kafka_err2str(e));
            return -1;
        }
        /* backpressure: the producer queue is full, so wait for deliveries instead of
         * dropping or buffering without bound */
        rd_kafka_poll(p->producer, 100);
        if (p->fatal)
            return -1;
    }
}

static void handle_event(pipeline *p, rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    char err[256];
    weir_hits hits;
    if (p->st->consumed++ == 0)
        p->t_first = weir_now_s(); /* rates count from the first event, not from the group join */
    p->st->bytes += m->len;
    assigned_t *a = find_assigned(p, topic, m->partition);
    if (!a) {
        /* librdkafka only delivers assigned partitions; being defensive costs nothing here */
        set_fatal(p, "event from unassigned partition %s [%d]", topic, (int)m->partition);
        return;
    }
    a->eof = 0;
    if (weir_scanner_scan(p->scanner, a->parser, m->payload, m->len, &hits, err, sizeof(err)) !=
        0) {
        /* Hyperscan runtime errors mean a broken database or scratch, not a bad event */
        set_fatal(p, "scan failed: %s", err);
        return;
    }
    if (hits.parse_status == WEIR_PARSE_MALFORMED)
        p->st->malformed++; /* still scanned: its raw bytes against the keyword rules */
    else if (hits.parse_status == WEIR_PARSE_HEADER)
        p->st->headers++;
    if (hits.n > 0) {
        weir_alert_src src = {.topic = topic,
                              .partition = m->partition,
                              .offset = m->offset,
                              .ts_ms = rd_kafka_message_timestamp(m, NULL)};
        if (weir_alert_encode(&p->sb, p->eng, &hits, m->payload, m->len, &src) != 0) {
            set_fatal(p, "out of memory encoding an alert");
            return;
        }
        /* key = source partition, so one input partition's alerts stay in order on one
         * alerts partition */
        char key[300];
        int kl = snprintf(key, sizeof(key), "%s:%" PRId32, topic, m->partition);
        if (produce_alert(p, key, (size_t)kl < sizeof(key) ? (size_t)kl : sizeof(key) - 1) != 0)
            return;
        p->st->matched++;
    }
    note_offset(p, topic, m->partition, m->offset + 1);
    p->batch_events++;
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
    if (weir_kconf_set(c, "enable.idempotence", "true", err, errlen) ||
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

static void log_progress(pipeline *p, double t0)
{
    char ev[32], al[32], rate[32];
    double el = weir_now_s() - t0;
    snprintf(ev, sizeof(ev), "%" PRIu64, p->st->consumed);
    snprintf(al, sizeof(al), "%" PRIu64, p->st->matched);
    snprintf(rate, sizeof(rate), "%.0f", el > 0 ? (double)p->st->consumed / el : 0.0);
    wlog(WLOG_INFO, "progress", "events", ev, "alerts", al, "events_per_s", rate, NULL);
}

weir_pipe_status weir_pipeline_run(const weir_pipeline_opts *o, const weir_engine *eng,
                                   weir_pipeline_stats *st, char *err, size_t errlen)
{
    pipeline p = {.o = o, .eng = eng, .st = st};
    weir_pipe_status rc = WEIR_PIPE_STARTUP;
    memset(st, 0, sizeof(*st));
    msgpack_sbuffer_init(&p.sb);
    p.to_commit = rd_kafka_topic_partition_list_new(16);
    clock_gettime(CLOCK_MONOTONIC, &p.batch_start);

    if (o->ntopics == 0) {
        snprintf(err, errlen, "no input topic given");
        goto out;
    }
    if (check_consumer_props(o, err, errlen) != 0) /* before any connection: fail fast */
        goto out;
    if (!(p.scanner = weir_scanner_new(eng, o->max_event, err, errlen)))
        goto out;
    if (!(p.producer = make_producer(&p, err, errlen)))
        goto out;
    if (probe(&p, err, errlen) != 0)
        goto out;
    if (!(p.consumer = make_consumer(&p, err, errlen)))
        goto out;
    if (subscribe(&p, err, errlen) != 0)
        goto out;

    wlog(WLOG_INFO, "consuming", "topic", o->topics[0], "group", o->group, "alerts_topic",
         o->alerts_topic, "rules_version", weir_engine_rules_hash(eng), NULL);
    rc = WEIR_PIPE_OK;
    double t0 = weir_now_s(), last_progress = t0;
    while (!p.fatal && !(o->stop && *o->stop)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(p.consumer, 100);
        if (m) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                assigned_t *a = find_assigned(&p, rd_kafka_topic_name(m->rkt), m->partition);
                if (a)
                    a->eof = 1;
            } else if (m->err) {
                st->consume_errors++;
                wlog(WLOG_WARN, "consumer error", "error", rd_kafka_message_errstr(m), "topic",
                     m->rkt ? rd_kafka_topic_name(m->rkt) : "", NULL);
            } else {
                handle_event(&p, m);
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_poll(p.producer, 0); /* serve delivery reports */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double batch_age_ms = (double)(ts.tv_sec - p.batch_start.tv_sec) * 1e3 +
                              (double)(ts.tv_nsec - p.batch_start.tv_nsec) / 1e6;
        int drained = o->exit_eof && all_drained(&p);
        if (p.batch_events >= o->batch_max || batch_age_ms >= o->batch_ms || drained) {
            if (finish_batch(&p) != 0)
                break;
        }
        if (drained)
            break;
        double tn = weir_now_s();
        if (tn - last_progress >= 10.0) {
            log_progress(&p, t0);
            last_progress = tn;
        }
    }
    if (!p.fatal)
        finish_batch(&p);
    st->elapsed_s = weir_now_s() - (p.t_first > 0 ? p.t_first : t0);
    if (p.fatal) {
        snprintf(err, errlen, "%s", p.fatal_msg);
        rc = WEIR_PIPE_RUNTIME;
    }

out:
    if (p.consumer) {
        /* leave the group now rather than after session.timeout.ms; the revoke callback
         * settles nothing here because the last batch is already finished (or must not be) */
        rd_kafka_consumer_close(p.consumer);
        rd_kafka_destroy(p.consumer);
    }
    if (p.producer) {
        rd_kafka_flush(p.producer, 10000);
        rd_kafka_destroy(p.producer);
    }
    weir_scanner_destroy(p.scanner);
    msgpack_sbuffer_destroy(&p.sb);
    rd_kafka_topic_partition_list_destroy(p.to_commit);
    for (size_t i = 0; i < p.nassigned; i++) {
        free(p.assigned[i].topic);
        weir_parser_destroy(p.assigned[i].parser);
    }
    free(p.assigned);
    return rc;
}
