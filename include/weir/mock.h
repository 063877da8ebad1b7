/*
 * The embedded broker: librdkafka's in-process mock cluster, for the demo and fast tests.
 * Real-broker tests use scripts/kafka; this is never the only proof.
 */
#ifndef WEIR_MOCK_H
#define WEIR_MOCK_H

#include <stddef.h>

typedef struct weir_mock weir_mock;

weir_mock *weir_mock_start(int nbrokers, char *err, size_t errlen);
const char *weir_mock_bootstraps(const weir_mock *m);
int weir_mock_create_topic(weir_mock *m, const char *topic, int partitions, char *err,
                           size_t errlen);
void weir_mock_stop(weir_mock *m);

/* The underlying librdkafka mock cluster, for tests that inject broker errors. */
struct rd_kafka_mock_cluster_s *weir_mock_cluster(weir_mock *m);

#endif
