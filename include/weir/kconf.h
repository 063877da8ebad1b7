/*
 * librdkafka configuration helpers: every failing property is reported with its key and
 * librdkafka's reason, and librdkafka's own log lines are routed into weir's structured log.
 */
#ifndef WEIR_KCONF_H
#define WEIR_KCONF_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* A new conf with bootstrap.servers set and logging wired to wlog. NULL with err on failure. */
rd_kafka_conf_t *weir_kconf_new(const char *brokers, char *err, size_t errlen);

/* Sets one property; on failure err reads "kafka property 'key': reason". */
int weir_kconf_set(rd_kafka_conf_t *conf, const char *key, const char *val, char *err,
                   size_t errlen);

/* Applies "key=value" strings in order (later ones win). */
int weir_kconf_set_kv(rd_kafka_conf_t *conf, const char *const *kv, size_t n, char *err,
                      size_t errlen);

/*
 * Asks the cluster for metadata within timeout_ms: the cheapest proof that the brokers are
 * reachable. With topic != NULL, also reports whether that topic exists (*exists) and its
 * partition count (*partitions). Returns 0, or -1 with err naming the brokers and the reason.
 */
int weir_kafka_probe(rd_kafka_t *rk, const char *brokers, const char *topic, int timeout_ms,
                     int *exists, int *partitions, char *err, size_t errlen);

#endif
