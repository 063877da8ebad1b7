/*
 * The pipeline's state, shared by the files that make it up: pipeline.c (the consumer loop,
 * rebalances, reload, setup) and pipeline_batch.c (batches, commits, transactions). Private to
 * filter/: nothing outside includes it.
 */
#ifndef WEIR_PIPELINE_PRIV_H
#define WEIR_PIPELINE_PRIV_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "weir/pipeline.h"
#include "fetchwake.h"
#include "workers.h"

typedef struct {
    char *topic;
    int32_t partition;
    int eof;       /* reached the end and nothing newer seen since */
    int commit_failed; /* its latest offset commit failed (a later one that lands covers it) */
    wk_stream *stream; /* its parser and the worker its events go to */
} assigned_t;

typedef struct pipeline {
    const weir_pipeline_opts *o;
    const weir_engine *eng;
    weir_pipeline_stats *st;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    fw_waker *waker; /* wakes librdkafka's fetching while weir drains a full queue */
    wk_pool *pool;
    wk_shared sh;

    wk_batch *open;                   /* collecting events */
    wk_batch *pending, *pending_tail; /* sealed, waiting for processing and acks, in order */
    size_t npending;
    int paused;
    int draining; /* commits are synchronous while draining */
    /* stopping: the time (weir_now_s) at which waiting for the brokers ends, 0 while running.
     * Every wait of the shutdown (alerts, commits, transactions, leaving the group) checks it:
     * with the brokers unreachable, librdkafka would wait minutes, or without end. */
    double deadline;
    rd_kafka_queue_t *commitq; /* results of the commits made while draining */
    uintptr_t commit_seq;
    /* partitions whose latest commit failed and that were revoked while stopping (the close
     * revokes before the last asynchronous results arrive), and the latest failure's error:
     * what the end of a run reports as not committed */
    size_t commits_unconfirmed;
    rd_kafka_resp_err_t last_commit_err;

    double t_first;
    int64_t read_ms; /* wall clock at the latest consumer read: its events' event.created */
    atomic_int failed; /* an alert failed or a fatal Kafka error: stop, commit no more */
    atomic_uint_least64_t acked, nacked; /* alerts acknowledged / refused by the broker */
    pthread_mutex_t fatal_mu;
    char fatal_msg[512];

    assigned_t *assigned;
    /* the previous event's partition: events come in runs, and a search per event is a strcmp
     * per assigned partition. Forgotten whenever the array changes. */
    assigned_t *last_a;
    const rd_kafka_topic_t *last_rkt;
    size_t nassigned, capassigned;
    /* the open batch's offset entry for the previous event's partition, for the same reason;
     * an index, as adding entries may move them. Forgotten whenever a batch opens. */
    const wk_batch *off_b;
    const rd_kafka_topic_t *off_rkt;
    int32_t off_part;
    int off_idx;
} pipeline;

__attribute__((format(printf, 2, 3))) void pipeline_set_fatal(pipeline *p, const char *fmt, ...);

/* pipeline.c: records an offset commit's result (err, or each partition's) per partition */
void pipeline_commit_result(pipeline *p, rd_kafka_resp_err_t err,
                            const rd_kafka_topic_partition_list_t *offsets);

/* pipeline_batch.c */
wk_batch *pipeline_batch_new(void);
void pipeline_batch_free(wk_batch *b);
/* Closes the open batch (after pushing every staged event to its worker) and queues it behind
 * the earlier ones; with exactly-once, waits for it and commits its transaction. */
void pipeline_seal(pipeline *p);
/* Commits the complete batches at the head of the queue, in order (at-least-once). */
void pipeline_settle(pipeline *p);
/* What the pipeline thread does while it waits for a worker: delivery reports, then settle. */
void pipeline_idle(void *ctx);
void pipeline_txn_begin(pipeline *p);
/* Seals the open batch and waits until every batch is committed or something failed; at the
 * deadline, gives up (pipeline_give_up). */
void pipeline_drain(pipeline *p);
/* Whether the shutdown deadline has passed (it starts once a stop is requested); milliseconds
 * left of it (cap without one, never below floor). */
int pipeline_overdue(pipeline *p);
/* Starts the shutdown deadline, unless it runs already. */
void pipeline_stopping(pipeline *p);
/* Stops waiting at the deadline: commits nothing more, and says what is left uncommitted. */
void pipeline_give_up(pipeline *p);
int pipeline_left_ms(const pipeline *p, int cap, int floor);

#endif
