/*
 * Alerts topic reader. It assigns partitions itself instead of joining a group, so reading
 * alerts never disturbs (or is disturbed by) the group of the weir instances that write them.
 */
#include "weir/clock.h"
#include "weir/reader.h"

#include <librdkafka/rdkafka.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weir/kconf.h"
#include "weir/mpjson.h"

void weir_reader_opts_init(weir_reader_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->topic = "weir-alerts";
    o->out = stdout;
}

static void print_one(const weir_reader_opts *o, weir_reader_stats *st, const rd_kafka_message_t *m)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack_next(&u, m->payload, m->len, &off);
    if (r != MSGPACK_UNPACK_SUCCESS || off != m->len || u.data.type != MSGPACK_OBJECT_MAP) {
        st->undecodable++;
        /* still show it: a reader that hides what it cannot parse hides problems */
        fputs("{\"undecodable\":", o->out);
        mpjson_write_str(o->out, m->payload, m->len);
        fprintf(o->out, ",\"kafka\":{\"partition\":%d,\"offset\":%lld}}\n", (int)m->partition,
                (long long)m->offset);
    } else if (o->format == WEIR_READER_COMPACT) {
        if (mpjson_write_alert_compact(o->out, &u.data, 160) != 0) {
            mpjson_write(o->out, &u.data);
            fputc('\n', o->out);
        }
    } else {
        mpjson_write(o->out, &u.data);
        fputc('\n', o->out);
    }
    st->alerts++;
    msgpack_unpacked_destroy(&u);
}

int weir_reader_run(const weir_reader_opts *o, weir_reader_stats *st, char *err, size_t errlen)
{
    char rerr[512];
    int rc = 2;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    memset(st, 0, sizeof(*st));

    rd_kafka_conf_t *c = weir_kconf_new(o->brokers, err, errlen);
    if (!c)
        return 2;
    /* a group id is required by librdkafka's consumer, but with assign() and no commits this
     * group never joins or stores anything */
    if (weir_kconf_set(c, "group.id", "weir-alerts-reader", err, errlen) ||
        weir_kconf_set(c, "enable.auto.commit", "false", err, errlen) ||
        weir_kconf_set(c, "enable.partition.eof", "true", err, errlen) ||
        weir_kconf_set(c, "client.id", "weir-alerts-reader", err, errlen) ||
        (o->read_committed &&
         weir_kconf_set(c, "isolation.level", "read_committed", err, errlen)) ||
        weir_kconf_set_kv(c, o->props, o->nprops, err, errlen)) {
        rd_kafka_conf_destroy(c);
        return 2;
    }
    if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, rerr, sizeof(rerr)))) {
        snprintf(err, errlen, "cannot create consumer: %s", rerr);
        rd_kafka_conf_destroy(c);
        return 2;
    }
    int exists = 0, nparts = 0;
    if (weir_kafka_probe(rk, o->brokers, o->topic, 10000, &exists, &nparts, err, errlen) != 0)
        goto out;
    if (!exists) {
        snprintf(err, errlen, "alerts topic '%s' does not exist on '%s'", o->topic, o->brokers);
        goto out;
    }
    parts = rd_kafka_topic_partition_list_new(nparts);
    for (int i = 0; i < nparts; i++)
        rd_kafka_topic_partition_list_add(parts, o->topic, i)->offset =
            o->from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, parts);
    if (e) {
        snprintf(err, errlen, "cannot assign '%s': %s", o->topic, rd_kafka_err2str(e));
        goto out;
    }

    rc = 0;
    int eofs = 0;
    char *at_eof = calloc((size_t)nparts + 1, 1);
    double last = weir_now_s();
    while (!(o->stop && *o->stop)) {
        if (o->count && st->alerts >= o->count)
            break;
        if (o->exit_eof && eofs == nparts)
            break;
        if (o->timeout_ms && (weir_now_s() - last) * 1000 >= o->timeout_ms) {
            rc = 1;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->partition >= 0 && m->partition < nparts && at_eof && !at_eof[m->partition]) {
                at_eof[m->partition] = 1;
                eofs++;
            }
        } else if (m->err) {
            fprintf(stderr, "weir alerts: %s\n", rd_kafka_message_errstr(m));
            if (rd_kafka_fatal_error(rk, NULL, 0)) {
                snprintf(err, errlen, "fatal consumer error: %s", rd_kafka_message_errstr(m));
                rc = 3;
                rd_kafka_message_destroy(m);
                break;
            }
        } else {
            if (m->partition >= 0 && m->partition < nparts && at_eof && at_eof[m->partition]) {
                at_eof[m->partition] = 0;
                eofs--;
            }
            print_one(o, st, m);
            last = weir_now_s();
        }
        rd_kafka_message_destroy(m);
    }
    free(at_eof);
    fflush(o->out);

out:
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    return rc;
}
