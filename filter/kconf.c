/*
 * librdkafka configuration and connectivity helpers shared by run, demo and alerts.
 */
#include "weir/kconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weir/log.h"

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* syslog levels: 0-3 error, 4 warning, 5-6 notice/info, 7 debug */
    wlog_level l = level <= 3 ? WLOG_ERROR : level == 4 ? WLOG_WARN : level <= 6 ? WLOG_INFO
                                                                                : WLOG_DEBUG;
    wlog(l, buf, "component", "librdkafka", "facility", fac, "client", rd_kafka_name(rk), NULL);
}

rd_kafka_conf_t *weir_kconf_new(const char *brokers, char *err, size_t errlen)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(c, log_cb);
    if (weir_kconf_set(c, "bootstrap.servers", brokers, err, errlen) != 0) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    return c;
}

int weir_kconf_set(rd_kafka_conf_t *conf, const char *key, const char *val, char *err,
                   size_t errlen)
{
    char rerr[512];
    if (rd_kafka_conf_set(conf, key, val, rerr, sizeof(rerr)) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "kafka property '%s': %s", key, rerr);
        return -1;
    }
    return 0;
}

int weir_kconf_set_kv(rd_kafka_conf_t *conf, const char *const *kv, size_t n, char *err,
                      size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(kv[i], '=');
        if (!eq || eq == kv[i]) {
            snprintf(err, errlen, "kafka property '%s': expected key=value", kv[i]);
            return -1;
        }
        char key[256];
        size_t kl = (size_t)(eq - kv[i]);
        if (kl >= sizeof(key)) {
            snprintf(err, errlen, "kafka property '%.40s…': key too long", kv[i]);
            return -1;
        }
        memcpy(key, kv[i], kl);
        key[kl] = '\0';
        if (weir_kconf_set(conf, key, eq + 1, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int weir_kafka_probe(rd_kafka_t *rk, const char *brokers, const char *topic, int timeout_ms,
                     int *exists, int *partitions, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    /* all_topics=1: a metadata request for one named topic would auto-create it on brokers
     * with auto.create.topics.enable, and a probe must not change the cluster */
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, errlen, "cannot reach Kafka brokers '%s' within %d s: %s", brokers,
                 timeout_ms / 1000, rd_kafka_err2str(e));
        return -1;
    }
    if (exists)
        *exists = 0;
    if (partitions)
        *partitions = 0;
    for (int i = 0; topic && i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, topic) == 0 &&
            md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (exists)
                *exists = 1;
            if (partitions)
                *partitions = md->topics[i].partition_cnt;
        }
    }
    rd_kafka_metadata_destroy(md);
    return 0;
}
