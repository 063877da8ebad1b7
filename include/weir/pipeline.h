/*
 * The streaming pipeline behind `weir run` and `weir demo`: consume events from Kafka in a
 * consumer group, scan each one, produce one alert per matching event, and commit offsets only
 * once every alert up to them has been acknowledged by the broker (at-least-once).
 */
#ifndef WEIR_PIPELINE_H
#define WEIR_PIPELINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "weir/engine.h"
#include "weir/event.h"

#define WEIR_PIPE_MAX_TOPICS 64

struct weir_reloader;
struct weir_metrics;

typedef struct weir_pipeline_opts {
    const char *brokers;
    const char *group;
    const char *const *topics;
    size_t ntopics;
    const char *alerts_topic;
    const char *const *consumer_props; /* "key=value", applied after weir's defaults */
    size_t nconsumer_props;
    const char *const *producer_props;
    size_t nproducer_props;
    int exit_eof;           /* stop once every assigned partition is drained */
    size_t batch_max;       /* commit after this many events ... */
    int batch_ms;           /* ... or this many milliseconds, whichever comes first */
    int connect_timeout_ms; /* startup: fail if the brokers do not answer within this */
    int shutdown_timeout_ms; /* stopping: give up on unacknowledged alerts and the group
                              * leave after this (what is not committed is read again) */
    weir_format format;     /* log format of the input topics (WEIR_FMT_AUTO: detect) ... */
    /* ... unless per_topic_format: formats[i] is the format of topics[i] */
    int per_topic_format;
    weir_format formats[WEIR_PIPE_MAX_TOPICS];
    /* dead letters: oversized events (when oversize_dead_letter) and malformed ones are also
     * produced, whole, to this topic with a weir.reason header; NULL or "": none */
    const char *dead_letter_topic;
    int oversize_dead_letter;
    /* hot reload: when set, a new engine it offers is swapped in between batches */
    struct weir_reloader *reload;
    /* when set, a snapshot of the counters is published to it about once a second */
    struct weir_metrics *metrics;
    size_t workers;         /* scanning threads (0: one per online CPU) */
    int exactly_once;       /* one Kafka transaction per batch: alerts + consumed offsets */
    double progress_s;      /* seconds between progress log lines (0: 10) */
    size_t max_event;       /* bytes of an event that are parsed (0: the default, 64 KiB) */
    volatile sig_atomic_t *stop; /* set by a signal handler: finish the batch, commit, leave */
} weir_pipeline_opts;

typedef struct weir_pipeline_stats {
    uint64_t consumed;       /* events read from the input topics */
    uint64_t bytes;
    uint64_t matched;        /* events with at least one rule hit = alerts produced */
    uint64_t malformed;      /* events that did not parse as their format (scanned raw) */
    uint64_t headers;        /* header lines (#Fields, …): stream state, not events */
    uint64_t oversized;      /* events longer than max_event: parsed up to it, flagged */
    uint64_t dead_lettered;  /* events copied to the dead-letter topic */
    uint64_t reloads;        /* rule sets swapped in while running */
    uint64_t reload_failures; /* reloads that failed: the rules in use kept running */
    uint64_t alerts_acked;   /* alerts the broker acknowledged */
    uint64_t alerts_failed;  /* alerts the broker refused (fatal) */
    uint64_t commits;        /* successful offset commits */
    uint64_t commit_errors;  /* failed commits (events will be re-read: duplicates, not loss) */
    uint64_t consume_errors; /* error events from the consumer */
    uint64_t pauses;         /* times input was paused for alerts acknowledged too slowly */
    uint64_t partition_moves; /* partitions handed to a less busy worker (nothing in flight) */
    uint64_t fetch_wakeups;  /* requests that woke librdkafka's fetching (filter/fetchwake.h) */
    /* at the latest consumer read: its oldest event's age, the read's wall-clock time minus the
     * event's Kafka timestamp, in ms (-1 before any event with a timestamp was read) */
    int64_t read_delay_ms;
    /* seconds the reading thread waited for room in a worker's queue: the workers (scanning)
     * could not keep up, so events waited in librdkafka's queue instead */
    double worker_queue_full_s;
    double elapsed_s;        /* from the first event to the end */
    /* the consumer could not leave its group before shutdown_timeout (brokers unreachable):
     * librdkafka cannot destroy it until they answer, so it is left to the process's exit */
    int consumer_abandoned;
} weir_pipeline_stats;

typedef enum {
    WEIR_PIPE_OK = 0,       /* stopped on request or drained */
    WEIR_PIPE_RUNTIME = 1,  /* failed while running (alert delivery, fatal Kafka error) */
    WEIR_PIPE_STARTUP = 2,  /* bad configuration or unreachable brokers */
} weir_pipe_status;

void weir_pipeline_opts_init(weir_pipeline_opts *o);

weir_pipe_status weir_pipeline_run(const weir_pipeline_opts *o, const weir_engine *eng,
                                   weir_pipeline_stats *st, char *err, size_t errlen);

#endif
