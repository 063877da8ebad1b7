/*
 * Embedded mock cluster. librdkafka ties a mock cluster to a client handle, so a bare producer
 * handle with no brokers of its own owns it for as long as the cluster lives.
 */
#include "weir/mock.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct weir_mock {
    rd_kafka_t *owner;
    rd_kafka_mock_cluster_t *mc;
    char *bootstraps;
};

weir_mock *weir_mock_start(int nbrokers, char *err, size_t errlen)
{
    char rerr[512];
    weir_mock *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "client.id", "weir-mock-owner", NULL, 0);
    /* quiet: the owner handle has no brokers and would otherwise log that it has none */
    rd_kafka_conf_set(c, "log_level", "0", NULL, 0);
    if (!(m->owner = rd_kafka_new(RD_KAFKA_PRODUCER, c, rerr, sizeof(rerr)))) {
        snprintf(err, errlen, "cannot create mock cluster owner: %s", rerr);
        rd_kafka_conf_destroy(c);
        free(m);
        return NULL;
    }
    if (!(m->mc = rd_kafka_mock_cluster_new(m->owner, nbrokers))) {
        snprintf(err, errlen, "cannot create librdkafka mock cluster");
        rd_kafka_destroy(m->owner);
        free(m);
        return NULL;
    }
    m->bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(m->mc));
    return m;
}

const char *weir_mock_bootstraps(const weir_mock *m)
{
    return m->bootstraps;
}

int weir_mock_create_topic(weir_mock *m, const char *topic, int partitions, char *err,
                           size_t errlen)
{
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(m->mc, topic, partitions, 1);
    if (e) {
        snprintf(err, errlen, "mock cluster: cannot create topic '%s': %s", topic,
                 rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

void weir_mock_stop(weir_mock *m)
{
    if (!m)
        return;
    rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->owner);
    free(m->bootstraps);
    free(m);
}

rd_kafka_mock_cluster_t *weir_mock_cluster(weir_mock *m)
{
    return m->mc;
}
