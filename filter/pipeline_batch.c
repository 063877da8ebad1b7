/*
 * Batches: the events dispatched between two commits, and what it takes to commit them.
 *
 * A batch is open while the pipeline thread dispatches events into it, sealed when it reaches
 * --batch events or --batch-ms, and committed when every event of it was processed and every
 * alert of it acknowledged: its offsets with an (asynchronous) consumer commit, in order behind
 * every earlier batch (at-least-once), or with its alerts in one Kafka transaction
 * (exactly-once). Everything here runs on the pipeline thread; workers only count a batch's
 * events down (filter/workers.c).
 */
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "weir/clock.h"
#include "weir/log.h"
#include "pipeline_priv.h"

/* ---- batches ------------------------------------------------------------------------------- */

wk_batch *pipeline_batch_new(void)
{
    wk_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    atomic_init(&b->remaining, 1); /* the "open" token, given back by seal */
    atomic_init(&b->inflight, 0);
    b->opened = weir_now_s();
    if (!(b->offsets = rd_kafka_topic_partition_list_new(16))) {
        free(b);
        return NULL;
    }
    return b;
}

void pipeline_batch_free(wk_batch *b)
{
    rd_kafka_topic_partition_list_destroy(b->offsets);
    free(b);
}

static void txn_commit_batch(pipeline *p);

static int batch_done(wk_batch *b)
{
    return atomic_load(&b->remaining) == 0 && atomic_load(&b->inflight) == 0;
}

void pipeline_seal(pipeline *p)
{
    /* every wait for workers (a transaction's commit, a drain, a reload) starts here, and a
     * staged event would never be processed */
    wk_pool_flush(p->pool, pipeline_idle, p);
    wk_batch *b = p->open;
    if (!b)
        return;
    p->open = NULL;
    atomic_fetch_sub(&b->remaining, 1);
    if (p->pending_tail)
        p->pending_tail->next = b;
    else
        p->pending = b;
    p->pending_tail = b;
    p->npending++;
    if (p->o->exactly_once)
        txn_commit_batch(p);
}

/* A synchronous commit that gives up at the shutdown deadline: rd_kafka_commit waits for an
 * unreachable coordinator as long as librdkafka does. The result is told apart from those of
 * earlier commits that gave up by its sequence number. */
static rd_kafka_resp_err_t commit_wait(pipeline *p, const rd_kafka_topic_partition_list_t *offs)
{
    if (!p->commitq && !(p->commitq = rd_kafka_queue_new(p->consumer)))
        return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
    uintptr_t seq = ++p->commit_seq;
    rd_kafka_resp_err_t e = rd_kafka_commit_queue(p->consumer, offs, p->commitq, NULL,
                                                  (void *)seq);
    if (e)
        return e;
    for (;;) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(p->commitq, pipeline_left_ms(p, -1, 0));
        if (!ev)
            return RD_KAFKA_RESP_ERR__TIMED_OUT;
        uintptr_t got = (uintptr_t)rd_kafka_event_opaque(ev);
        e = rd_kafka_event_error(ev);
        rd_kafka_event_destroy(ev);
        if (got == seq)
            return e;
    }
}

/*
 * Commits in flow are asynchronous: librdkafka sends them in order on the coordinator
 * connection, a later commit covers an earlier one that failed, and a failed later one only
 * means re-reading (duplicates, never loss). A synchronous commit per batch would cost a broker
 * round trip per batch. While draining (revoke, shutdown) commits are synchronous, so they have
 * landed before the partitions move on, or the shutdown deadline passed.
 */
static void commit(pipeline *p, wk_batch *b)
{
    if (b->offsets->cnt == 0)
        return;
    rd_kafka_resp_err_t e = p->draining ? commit_wait(p, b->offsets)
                                        : rd_kafka_commit(p->consumer, b->offsets, 1);
    /* an asynchronous commit's result comes later, to offset_commit_cb */
    if (e || p->draining)
        pipeline_commit_result(p, e, b->offsets);
    if (e) {
        /* e.g. a rebalance fenced this generation: the events will be re-read by their new
         * owner, so this costs duplicates, never loss */
        p->st->commit_errors++;
        wlog(WLOG_WARN, "offset commit failed; events after the last commit will be re-read",
             "error", rd_kafka_err2str(e), NULL);
    } else {
        p->st->commits++;
    }
}

/* Commits the complete batches at the head of the queue, in order. */
void pipeline_settle(pipeline *p)
{
    if (p->o->exactly_once)
        return; /* offsets go with the transaction (txn_commit_batch) */
    while (p->pending && batch_done(p->pending)) {
        wk_batch *b = p->pending;
        if (atomic_load(&p->failed))
            return; /* nothing from the failed batch on may be committed */
        commit(p, b);
        p->pending = b->next;
        if (!p->pending)
            p->pending_tail = NULL;
        p->npending--;
        pipeline_batch_free(b);
    }
}

void pipeline_stopping(pipeline *p)
{
    if (p->deadline == 0)
        p->deadline = weir_now_s() + p->o->shutdown_timeout_ms / 1000.0;
}

int pipeline_overdue(pipeline *p)
{
    /* the deadline runs from the signal, whichever wait notices it first: an exactly-once
     * batch waiting for its alerts would otherwise hold the signal up for message.timeout.ms */
    if (p->o->stop && *p->o->stop)
        pipeline_stopping(p);
    return p->deadline > 0 && weir_now_s() >= p->deadline;
}

/* The brokers did not acknowledge everything by the shutdown deadline: stop waiting, commit
 * nothing more, and say what that costs. */
void pipeline_give_up(pipeline *p)
{
    size_t events = 0;
    long alerts = 0;
    for (wk_batch *b = p->pending; b; b = b->next) {
        events += b->nevents;
        alerts += atomic_load(&b->inflight);
    }
    pipeline_set_fatal(p,
                       "shutdown_timeout (%.1f s) passed with %zu events in %zu batches not "
                       "committed (%ld of their alerts not acknowledged by the broker): they "
                       "will be read again on restart",
                       p->o->shutdown_timeout_ms / 1000.0, events, p->npending, alerts);
}

int pipeline_left_ms(const pipeline *p, int cap, int floor)
{
    if (p->deadline <= 0)
        return cap;
    double ms = (p->deadline - weir_now_s()) * 1000;
    if (cap >= 0 && ms > cap)
        ms = cap;
    return ms < floor ? floor : (int)ms;
}

void pipeline_idle(void *ctx)
{
    pipeline *p = ctx;
    rd_kafka_poll(p->producer, 0); /* delivery reports; never block: a worker may free a slot */
    pipeline_settle(p);
}

/* ---- exactly-once -------------------------------------------------------------------------
 *
 * With delivery: exactly-once, each batch is one Kafka transaction: its alerts and its consumed
 * offsets (send_offsets_to_transaction, with the consumer group metadata so a rebalance fences
 * a zombie) are committed together. A read_committed reader of the alerts topic then sees each
 * alert once, even when weir is killed mid-batch: the open transaction is aborted by the broker
 * (or by the next instance with the same transactional.id) and its events are re-read. Batches
 * are therefore strictly one after another in this mode.
 */

/* Handles a transactional call's error. Returns 1 to retry, 0 on success, -1 when fatal. */
static int txn_error(pipeline *p, rd_kafka_error_t *e, const char *what)
{
    if (!e)
        return 0;
    int rc;
    if (rd_kafka_error_is_retriable(e)) {
        rc = 1;
    } else {
        if (rd_kafka_error_txn_requires_abort(e)) {
            /* the alerts of this batch become invisible to read_committed readers and its
             * offsets are not committed: a restart re-reads the batch */
            rd_kafka_error_t *ae =
                rd_kafka_abort_transaction(p->producer, pipeline_left_ms(p, 30000, 500));
            if (ae)
                rd_kafka_error_destroy(ae);
        }
        pipeline_set_fatal(p, "%s failed: %s", what, rd_kafka_error_string(e));
        rc = -1;
    }
    rd_kafka_error_destroy(e);
    return rc;
}

void pipeline_txn_begin(pipeline *p)
{
    if (p->o->exactly_once && txn_error(p, rd_kafka_begin_transaction(p->producer),
                                        "begin_transaction") != 0)
        pipeline_set_fatal(p, "cannot begin a transaction");
}

/* Waits for the sealed batch, then commits its alerts and offsets as one transaction. */
static void txn_commit_batch(pipeline *p)
{
    while (p->pending && !batch_done(p->pending) && !atomic_load(&p->failed) &&
           !pipeline_overdue(p))
        rd_kafka_poll(p->producer, 5);
    if (!p->pending || atomic_load(&p->failed))
        return;
    if (!batch_done(p->pending)) { /* overdue */
        pipeline_give_up(p);
        return;
    }
    wk_batch *b = p->pending;
    rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(p->consumer);
    int r;
    /* retriable errors are retried until the shutdown deadline, if there is one */
    while ((r = txn_error(p, rd_kafka_send_offsets_to_transaction(
                                 p->producer, b->offsets, cgmd, pipeline_left_ms(p, 5000, 1)),
                          "send_offsets_to_transaction")) == 1 &&
           !pipeline_overdue(p))
        ;
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    while (r == 0 && (r = txn_error(p, rd_kafka_commit_transaction(
                                           p->producer, pipeline_left_ms(p, 5000, 1)),
                                    "commit_transaction")) == 1 &&
           !pipeline_overdue(p))
        ;
    if (r == 1) /* retriable, but overdue */
        pipeline_give_up(p);
    if (r != 0)
        return;
    p->st->commits++;
    p->pending = NULL;
    p->pending_tail = NULL;
    p->npending = 0;
    pipeline_batch_free(b);
}

/* Seals the open batch and waits until every batch is processed, acknowledged and committed
 * (or something failed). */
void pipeline_drain(pipeline *p)
{
    pipeline_seal(p);
    p->draining = 1;
    while (p->pending && !atomic_load(&p->failed) && !pipeline_overdue(p)) {
        rd_kafka_poll(p->producer, 10);
        pipeline_settle(p);
    }
    p->draining = 0;
    if (p->pending && !atomic_load(&p->failed)) /* overdue */
        pipeline_give_up(p);
}
