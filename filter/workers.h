/*
 * The worker pool behind the pipeline (private to filter/): N threads, each with its own
 * Hyperscan scratch and alert buffer. A partition's events go to one worker at a time, so they
 * are scanned, and their alerts produced, in offset order; partitions start spread so that each
 * worker owns as many as the others, give or take one, and a partition with nothing in flight
 * moves off a worker that has fallen behind (partitions carry unequal traffic).
 *
 * Batches tie workers to commits: an open batch counts the events dispatched for it and the
 * alerts produced for them; it is complete when every event was processed and every alert was
 * acknowledged, and only then are its offsets committed (by the pipeline, in batch order).
 */
#ifndef WEIR_WORKERS_H
#define WEIR_WORKERS_H

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "weir/engine.h"
#include "weir/pipeline.h"

typedef struct wk_batch {
    struct wk_batch *next;
    atomic_size_t remaining; /* events not yet processed, +1 while the batch is open */
    atomic_long inflight;    /* alerts produced and not yet acknowledged */
    size_t nevents;
    double opened;
    rd_kafka_topic_partition_list_t *offsets; /* next offset per partition: pipeline thread only */
} wk_batch;

typedef struct wk_shared {
    const weir_engine *eng; /* changed only by wk_pool_swap_engine */
    rd_kafka_t *producer;
    const weir_pipeline_opts *o; /* topics and their formats, alerts and dead-letter topics */
    size_t max_event;
    /* first fatal error wins; workers stop producing once it is set */
    void (*fatal)(void *ctx, const char *msg);
    void *ctx;
    atomic_int *failed;
} wk_shared;

typedef struct wk_pool wk_pool;

/* Starts n workers (n >= 1). The pool keeps a pointer to sh. */
wk_pool *wk_pool_start(size_t n, const wk_shared *sh, size_t queue_cap, char *err, size_t errlen);

/* One partition's events: its parser and the worker they go to (workers.c). */
typedef struct wk_stream wk_stream;

/*
 * The partition's stream, made on first use (NULL if out of memory). claim: a partition just
 * assigned, which starts on the worker owning fewest of its topic's partitions (owners.h); a
 * stray message's partition (never assigned) starts on a worker chosen by hash. Streams live
 * as long as the pool, so a partition assigned again keeps its parser's #Fields layout.
 */
wk_stream *wk_pool_stream(wk_pool *p, const char *topic, int32_t partition, int claim);
void wk_pool_release(wk_pool *p, const char *topic, int32_t partition);

/* Per worker, comma-separated, for the log: the partitions it was given when they were
 * assigned (WK_PARTITIONS, "3,3,2"), or the events it has processed (WK_EVENTS), which shows
 * the load once partitions have moved. Cut short with "..." when buf is too small. */
typedef enum { WK_PARTITIONS, WK_EVENTS } wk_count;
void wk_pool_per_worker(const wk_pool *p, wk_count what, char *buf, size_t len);

/*
 * Hands m to the worker of its stream (ownership of m passes); read_ms is when the consumer
 * read returned it (wall clock, ms since the epoch), which its alert carries. When none of the stream's
 * events is in flight, that may first become another worker with clearly fewer events waiting:
 * order is kept, since one worker at a time has the stream's events. The event is staged and
 * reaches the worker's queue with the next few, or at wk_pool_flush: call that before waiting
 * for workers to finish events. While the worker's queue is full, calls idle(ctx) every few
 * milliseconds: the pipeline serves delivery reports there, so a slow broker slows consumption
 * instead of deadlocking it.
 */
void wk_pool_dispatch(wk_pool *p, wk_stream *s, rd_kafka_message_t *m, int64_t read_ms,
                      wk_batch *b, void (*idle)(void *), void *ctx);

/* Queues every staged event (idle as for wk_pool_dispatch; may be NULL). */
void wk_pool_flush(wk_pool *p, void (*idle)(void *), void *ctx);
/*
 * Gives every worker a scanner for eng and makes eng the one alerts are encoded with. Only
 * while no event is in flight (every dispatched event processed): the pipeline guarantees it.
 * Returns -1 with err, the old engine still in place, if a scanner cannot be made.
 */
int wk_pool_swap_engine(wk_pool *p, wk_shared *sh, const weir_engine *eng, char *err,
                        size_t errlen);

/* Adds the workers' counters (consumed, bytes, matched, malformed, headers, oversized,
 * dead_lettered) and the pool's (partition_moves, worker_queue_full_s) into st. */
void wk_pool_stats(wk_pool *p, weir_pipeline_stats *st);

/* Processes what is queued, stops the threads, frees the pool. */
void wk_pool_stop(wk_pool *p);

/* Called for each delivery report: the message's opaque is its batch. */
void wk_batch_delivered(wk_batch *b);

#endif
