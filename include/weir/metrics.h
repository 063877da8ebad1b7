/*
 * A Prometheus endpoint for `weir run`: GET /metrics in the text exposition format, GET /healthz
 * for liveness probes. One small thread serves it; the pipeline publishes a snapshot of its
 * counters about once a second (weir_metrics_publish), so a scrape never touches the hot path.
 */
#ifndef WEIR_METRICS_H
#define WEIR_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "weir/pipeline.h"

typedef struct weir_metrics weir_metrics;

/*
 * Listens on addr ("host:port", ":port" for every interface, "[::1]:port") and serves from a
 * thread. NULL with err when the address cannot be bound.
 */
weir_metrics *weir_metrics_start(const char *addr, char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
int weir_metrics_port(const weir_metrics *m);

/* Replaces the snapshot served; any thread. lag < 0: unknown. */
void weir_metrics_publish(weir_metrics *m, const weir_pipeline_stats *st, int64_t lag,
                          const char *rules_version);

/* Stops the thread and closes the socket. NULL is ignored. */
void weir_metrics_stop(weir_metrics *m);

#endif
