/*
 * The pipeline end to end on librdkafka's mock cluster (fast; the real-broker proof is the
 * integration suite): every planted attack becomes exactly one alert, offsets are committed to
 * the end, when alert delivery fails nothing past the failure is committed, and when alerts are
 * acknowledged slowly input pauses, then resumes, with every event accounted for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weir/clock.h"
#include "weir/demo_data.h"
#include "weir/engine.h"
#include "weir/log.h"
#include "weir/metrics.h"
#include "weir/mock.h"
#include "weir/mpjson.h"
#include "weir/pipeline.h"

#define EVENTS "ev"
#define ALERTS "al"

/* A rule every demo event matches: an alert per event makes their order visible. */
static const char every_request_rule[] = "title: every request\n"
                                         "id: every-request\n"
                                         "logsource: {category: webserver}\n"
                                         "detection:\n"
                                         "  sel:\n"
                                         "    cs-uri-stem|startswith: /\n"
                                         "  condition: sel\n";

static weir_engine *load_engine_from(const char *rule)
{
    char err[512];
    sigma_ruleset *set = sigma_ruleset_new();
    if ((rule ? sigma_load_buffer(set, "every-request", rule, strlen(rule), err, sizeof(err))
              : sigma_load_path(set, FIXTURES "/e2e/exchange-web.yml", err, sizeof(err))) != 0)
        fail_msg("%s", err);
    weir_engine *e;
    weir_build_report rep;
    if (weir_engine_build(&e, set, &rep, err, sizeof(err)) != 0 || rep.nrejected)
        fail_msg("%s", err);
    weir_build_report_free(&rep);
    sigma_ruleset_destroy(set);
    return e;
}

static weir_engine *load_engine(void)
{
    return load_engine_from(NULL);
}

/* A mock cluster of nbrokers with EVENTS (nparts partitions) and ALERTS (one). */
static weir_mock *mock_with_topics(int nbrokers, int nparts)
{
    char err[512];
    weir_mock *m = weir_mock_start(nbrokers, err, sizeof(err));
    if (!m)
        fail_msg("%s", err);
    assert_int_equal(weir_mock_create_topic(m, EVENTS, nparts, err, sizeof(err)), 0);
    assert_int_equal(weir_mock_create_topic(m, ALERTS, 1, err, sizeof(err)), 0);
    return m;
}

/* Produces demo events i = 0..n-1 in order to one partition; returns the attack count.
 * linger_ms: the producer's (NULL: librdkafka's 5 ms, so a slow loop makes small batches);
 * ts_ms: the events' Kafka timestamp (0: the time of sending). */
static size_t produce_with(const char *brokers, size_t n, int32_t partition,
                           const char *linger_ms, int64_t ts_ms)
{
    char errstr[512], line[2048];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, NULL, 0);
    if (linger_ms)
        assert_int_equal(rd_kafka_conf_set(c, "linger.ms", linger_ms, errstr, sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof(errstr));
    assert_non_null(rk);
    size_t attacks = 0;
    for (size_t i = 0; i < n; i++) {
        int a;
        size_t len = weir_demo_event(i, n, line, sizeof(line), &a);
        attacks += (size_t)a;
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(EVENTS),
                                           RD_KAFKA_V_PARTITION(partition),
                                           RD_KAFKA_V_VALUE(line, len),
                                           RD_KAFKA_V_TIMESTAMP(ts_ms),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_END),
                         0);
    }
    assert_int_equal(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
    return attacks;
}

static size_t produce(const char *brokers, size_t n, int32_t partition)
{
    return produce_with(brokers, n, partition, NULL, 0);
}

/* n demo events to each of partitions 0..nparts-1; returns the attack count. */
static size_t produce_parts(const char *brokers, size_t n, int32_t nparts)
{
    size_t attacks = 0;
    for (int32_t part = 0; part < nparts; part++)
        attacks += produce(brokers, n, part);
    return attacks;
}

/* Committed offset of the group on EVENTS/partition (RD_KAFKA_OFFSET_INVALID if none). */
static int64_t committed(const char *brokers, const char *group, int32_t partition)
{
    char errstr[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, NULL, 0);
    rd_kafka_conf_set(c, "group.id", group, NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof(errstr));
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, EVENTS, partition);
    assert_int_equal(rd_kafka_committed(rk, l, 10000), 0);
    int64_t off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return off;
}

/* Reads every alert on ALERTS; checks each decodes, came from an attack line (unless every
 * event alerts), and that the alerts of each source partition are in its offset order. */
static size_t read_alerts_of(const char *brokers, size_t nevents, bool every)
{
    int64_t last[16];
    for (size_t i = 0; i < 16; i++)
        last[i] = -1;
    char errstr[512], line[2048];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, NULL, 0);
    rd_kafka_conf_set(c, "group.id", "reader", NULL, 0);
    rd_kafka_conf_set(c, "enable.partition.eof", "true", NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof(errstr));
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, ALERTS, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    size_t n = 0;
    for (int empty = 0; empty < 200;) { /* 20 s without a message: give up */
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            empty++;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            break;
        }
        assert_int_equal(m->err, 0);
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        assert_int_equal(msgpack_unpack_next(&u, m->payload, m->len, &off),
                         MSGPACK_UNPACK_SUCCESS);
        const msgpack_object *k = mpjson_map_get(&u.data, "kafka");
        const msgpack_object *raw = mpjson_map_get(&u.data, "event.original");
        assert_non_null(k);
        assert_non_null(raw);
        /* the offset names the event, and regenerating that event gives the same bytes */
        uint64_t evoff = mpjson_map_get(k, "offset")->via.u64;
        int64_t part = mpjson_map_get(k, "partition")->via.i64;
        assert_true(part >= 0 && part < 16);
        if ((int64_t)evoff <= last[part])
            fail_msg("partition %d: alert for offset %llu after one for %lld", (int)part,
                     (unsigned long long)evoff, (long long)last[part]);
        last[part] = (int64_t)evoff;
        int attack;
        size_t len = weir_demo_event(evoff, nevents, line, sizeof(line), &attack);
        assert_true(attack || every);
        assert_int_equal(raw->via.bin.size, len);
        assert_memory_equal(raw->via.bin.ptr, line, len);
        msgpack_unpacked_destroy(&u);
        rd_kafka_message_destroy(m);
        n++;
    }
    rd_kafka_destroy(rk);
    return n;
}

static size_t read_alerts(const char *brokers, size_t nevents)
{
    return read_alerts_of(brokers, nevents, false);
}

static void run_opts(weir_pipeline_opts *o, const char *brokers, const char **topics)
{
    weir_pipeline_opts_init(o);
    topics[0] = EVENTS;
    o->brokers = brokers;
    o->topics = topics;
    o->ntopics = 1;
    o->alerts_topic = ALERTS;
    o->group = "g";
    o->exit_eof = 1;
    o->batch_max = 100;
}

static void test_every_attack_gives_one_alert_and_offsets_reach_the_end(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_with_topics(1, 1);
    const char *b = weir_mock_bootstraps(m);
    size_t n = 3000, attacks = produce(b, n, 0);
    assert_true(attacks >= 5);

    weir_engine *e = load_engine();
    weir_pipeline_opts o;
    const char *topics[1];
    run_opts(&o, b, topics);
    weir_pipeline_stats st;
    assert_int_equal(weir_pipeline_run(&o, e, &st, err, sizeof(err)), WEIR_PIPE_OK);
    assert_int_equal(st.consumed, n);           /* count in == count accounted for */
    assert_int_equal(st.matched, attacks);
    assert_int_equal(st.alerts_acked, attacks);
    assert_int_equal(st.alerts_failed, 0);
    assert_int_equal(committed(b, "g", 0), (int64_t)n);
    assert_int_equal(read_alerts(b, n), attacks);
    weir_engine_destroy(e);
    weir_mock_stop(m);
}

static void test_several_workers_over_several_partitions_account_for_every_event(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_with_topics(1, 3);
    const char *b = weir_mock_bootstraps(m);
    size_t n = 2000, attacks = produce_parts(b, n, 3);
    weir_engine *e = load_engine();
    weir_pipeline_opts o;
    const char *topics[1];
    run_opts(&o, b, topics);
    o.workers = 2;
    o.batch_max = 250; /* many batches in flight at once */
    weir_pipeline_stats st;
    assert_int_equal(weir_pipeline_run(&o, e, &st, err, sizeof(err)), WEIR_PIPE_OK);
    assert_int_equal(st.consumed, 3 * n);
    assert_int_equal(st.matched, attacks);
    assert_int_equal(st.alerts_acked, attacks);
    for (int32_t part = 0; part < 3; part++)
        assert_int_equal(committed(b, "g", part), (int64_t)n);
    weir_engine_destroy(e);
    weir_mock_stop(m);
}

/* Both busy partitions start on worker 0 (partitions 0 and 2 of 4, spread 0,1,0,1) and the
 * other two are empty. Worker 0 is made to fall behind for certain, not by the luck of
 * scheduling (a CI run where it kept up saw no move): every event alerts, the producer holds
 * at most 100 unacknowledged alerts and the alerts broker answers after 20 ms, so the worker
 * waits on the producer while its queue fills and the dispatcher waits on that. When the
 * other partition's first events come, over 500 wait on worker 0, none of the newcomer's, so
 * it must move to the idle worker; with an alert for every event, each partition's alerts keep
 * their offset order. (40 runs beside four CPU burners on 2 cores: one move in each.) */
static void test_a_busy_partition_moves_to_an_idle_worker_and_keeps_its_order(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_with_topics(2, 4);
    const char *b = weir_mock_bootstraps(m);
    rd_kafka_mock_cluster_t *mc = weir_mock_cluster(m);
    for (int32_t part = 0; part < 4; part++)
        assert_int_equal(rd_kafka_mock_partition_set_leader(mc, EVENTS, part, 1), 0);
    assert_int_equal(rd_kafka_mock_partition_set_leader(mc, ALERTS, 0, 2), 0);
    assert_int_equal(rd_kafka_mock_coordinator_set(mc, "group", "g", 1), 0);
    size_t n = 2000;
    /* large record batches (the flush sends them; the linger keeps a slow loop from cutting
     * them small): the mock answers a fetch with one batch per partition, so the consumer's
     * queue holds long runs of one partition, not alternating small ones */
    produce_with(b, n, 0, "10000", 0);
    produce_with(b, n, 2, "10000", 0);
    assert_int_equal(rd_kafka_mock_broker_set_rtt(mc, 2, 20), 0);
    weir_engine *e = load_engine_from(every_request_rule);
    weir_pipeline_opts o;
    const char *topics[1];
    run_opts(&o, b, topics);
    const char *prod[] = {"queue.buffering.max.messages=100"};
    o.producer_props = prod;
    o.nproducer_props = 1;
    /* the partitions' fetches may start apart (each looks up its start offset); a fetch
     * with nothing new waits 500 ms by default, long enough for worker 0 to catch up */
    const char *cons[] = {"fetch.wait.max.ms=10"};
    o.consumer_props = cons;
    o.nconsumer_props = 1;
    o.workers = 2;
    o.batch_max = 1000;
    weir_pipeline_stats st;
    assert_int_equal(weir_pipeline_run(&o, e, &st, err, sizeof(err)), WEIR_PIPE_OK);
    assert_int_equal(st.consumed, 2 * n);
    assert_int_equal(st.matched, 2 * n);
    assert_int_equal(st.alerts_acked, 2 * n);
    assert_true(st.partition_moves > 0);
    assert_true(st.worker_queue_full_s > 0); /* the reader waited for room on worker 0 */
    assert_int_equal(committed(b, "g", 0), (int64_t)n);
    assert_int_equal(committed(b, "g", 2), (int64_t)n);
    assert_int_equal(read_alerts_of(b, n, true), 2 * n);
    weir_engine_destroy(e);
    weir_mock_stop(m);
}

static void test_oversized_events_are_counted_and_still_scanned(void **state)
{
    (void)state;
    char err[512], line[2048];
    weir_mock *m = mock_with_topics(1, 1);
    const char *b = weir_mock_bootstraps(m);
    size_t n = 1000, attacks = produce(b, n, 0), longer = 0;
    for (size_t i = 0; i < n; i++) {
        int a;
        longer += weir_demo_event(i, n, line, sizeof(line), &a) > 256;
    }
    assert_true(longer > 0);
    weir_engine *e = load_engine();
    weir_pipeline_opts o;
    const char *topics[1];
    run_opts(&o, b, topics);
    o.max_event = 256; /* the attack lines' paths are in their first 256 bytes */
    weir_pipeline_stats st;
    assert_int_equal(weir_pipeline_run(&o, e, &st, err, sizeof(err)), WEIR_PIPE_OK);
    assert_int_equal(st.consumed, n);
    assert_int_equal(st.oversized, longer);
    assert_int_equal(st.matched, attacks);
    assert_int_equal(committed(b, "g", 0), (int64_t)n);
    weir_engine_destroy(e);
    weir_mock_stop(m);
}

/* Alerts acknowledged slowly (the alerts partition's leader answers after 500 ms) while every
 * event alerts: unacknowledged batches pile up, so input must pause instead of reading on, and
 * resume as acknowledgements come; nothing is dropped on the way. */
static void test_slow_alert_broker_pauses_input_and_loses_nothing(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_with_topics(2, 1);
    const char *b = weir_mock_bootstraps(m);
    rd_kafka_mock_cluster_t *mc = weir_mock_cluster(m);
    assert_int_equal(rd_kafka_mock_partition_set_leader(mc, EVENTS, 0, 1), 0);
    assert_int_equal(rd_kafka_mock_partition_set_leader(mc, ALERTS, 0, 2), 0);
    assert_int_equal(rd_kafka_mock_coordinator_set(mc, "group", "g", 1), 0);
    size_t n = 3000;
    produce(b, n, 0);
    assert_int_equal(rd_kafka_mock_broker_set_rtt(mc, 2, 500), 0);

    weir_engine *e = load_engine_from(every_request_rule); /* one alert per event */

    weir_pipeline_opts o;
    const char *topics[1];
    run_opts(&o, b, topics);
    o.batch_max = 50; /* 60 batches, against 8 that may wait unacknowledged */
    weir_pipeline_stats st;
    assert_int_equal(weir_pipeline_run(&o, e, &st, err, sizeof(err)), WEIR_PIPE_OK);
    assert_true(st.pauses >= 1);
    assert_int_equal(st.consumed, n);
    assert_int_equal(st.matched + st.headers, n);
    assert_int_equal(st.alerts_acked, st.matched);
    assert_int_equal(st.alerts_failed, 0);
    assert_int_equal(committed(b, "g", 0), (int64_t)n);
    weir_engine_destroy(e);
    weir_mock_stop(m);
}

static void test_failed_alert_delivery_stops_and_commits_nothing_past_it(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_with_topics(1, 1);
    const char *b = weir_mock_bootstraps(m);
    size_t n = 3000;
    produce(b, n, 0);
    /* the first attack sits at offset n/attacks/2; the broker refuses its alert for good
     * (ApiKey 0 = Produce; authorization errors are not retried) */
    rd_kafka_mock_push_request_errors(weir_mock_cluster(m), 0, 20,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    int64_t first_attack = -1;
    char line[2048];
    for (size_t i = 0; i < n && first_attack < 0; i++) {
        int a;
        weir_demo_event(i, n, line, sizeof(line), &a);
        if (a)
            first_attack = (int64_t)i;
    }

    weir_engine *e = load_engine();
    weir_pipeline_opts o;
    const char *topics[1];
    run_opts(&o, b, topics);
    weir_pipeline_stats st;
    assert_int_equal(weir_pipeline_run(&o, e, &st, err, sizeof(err)), WEIR_PIPE_RUNTIME);
    if (!strstr(err, "Authorization") && !strstr(err, "authoriz"))
        fail_msg("error does not give the broker's reason: %s", err);
    int64_t c = committed(b, "g", 0);
    /* batches before the failing one may be committed; the failing event's offset must not */
    assert_true(c <= first_attack);
    weir_engine_destroy(e);
    weir_mock_stop(m);
}

/* Every offset commit refused (ApiKey 8 = OffsetCommit): the run still ends, but not as a
 * clean stop: it says that the events will be read again, and nothing was committed. */
static void test_failed_final_commit_is_not_a_clean_stop(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_with_topics(1, 1);
    const char *b = weir_mock_bootstraps(m);
    size_t n = 1000;
    produce(b, n, 0);
    rd_kafka_resp_err_t refused[200];
    for (size_t i = 0; i < 200; i++)
        refused[i] = RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
    rd_kafka_mock_push_request_errors_array(weir_mock_cluster(m), 8, 200, refused);

    weir_engine *e = load_engine();
    weir_pipeline_opts o;
    const char *topics[1];
    run_opts(&o, b, topics);
    weir_pipeline_stats st;
    assert_int_equal(weir_pipeline_run(&o, e, &st, err, sizeof(err)), WEIR_PIPE_RUNTIME);
    assert_int_equal(st.consumed, n); /* every event read and scanned all the same */
    assert_true(st.commit_errors >= 1);
    if (!strstr(err, "the last offset commit failed for 1 partition(s)") ||
        !strstr(err, "read again on restart"))
        fail_msg("error does not say the commits failed: %s", err);
    assert_int_equal(committed(b, "g", 0), RD_KAFKA_OFFSET_INVALID);
    weir_engine_destroy(e);
    weir_mock_stop(m);
}

/* The value of one sample in the Prometheus text served on 127.0.0.1:port; -1 if absent. */
static double scrape(int port, const char *name)
{
    static char body[16384];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    size_t got = 0;
    ssize_t r;
    while (got < sizeof(body) - 1 && (r = read(fd, body + got, sizeof(body) - 1 - got)) > 0)
        got += (size_t)r;
    body[got] = 0;
    close(fd);
    char key[128];
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *at = strstr(body, key);
    return at ? strtod(at + strlen(key), NULL) : -1;
}

/* With a prefetch queue far smaller than the input (1 KB), librdkafka stops fetching again and
 * again; weir wakes its fetching each half queue (filter/fetchwake.h) and reads everything.
 * Three brokers, each leading one partition: the wake-up requests go to three leaders. */
static void test_a_tiny_prefetch_queue_is_woken_and_every_event_read(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_with_topics(3, 3);
    for (int32_t part = 0; part < 3; part++) /* the mock picks leaders at random */
        assert_int_equal(rd_kafka_mock_partition_set_leader(weir_mock_cluster(m), EVENTS, part,
                                                            part + 1),
                         0);
    const char *b = weir_mock_bootstraps(m);
    size_t n = 1000, attacks = produce_parts(b, n, 3);
    weir_engine *e = load_engine();
    weir_pipeline_opts o;
    const char *topics[1];
    run_opts(&o, b, topics);
    static const char *props[] = {"queued.max.messages.kbytes=1"};
    o.consumer_props = props;
    o.nconsumer_props = 1;
    o.metrics = weir_metrics_start("127.0.0.1:0", err, sizeof(err));
    assert_non_null(o.metrics);
    weir_pipeline_stats st;
    assert_int_equal(weir_pipeline_run(&o, e, &st, err, sizeof(err)), WEIR_PIPE_OK);
    /* the metrics endpoint serves the same counts */
    assert_int_equal(scrape(weir_metrics_port(o.metrics), "weir_events_total"), 3 * n);
    assert_int_equal(scrape(weir_metrics_port(o.metrics), "weir_fetch_wakeups_total"),
                     st.fetch_wakeups);
    weir_metrics_stop(o.metrics);
    assert_int_equal(st.consumed, 3 * n);
    assert_int_equal(st.alerts_acked, attacks);
    /* each read from the consumer queue (up to 1,024 events, over 100 KB here) is more than
     * half of the queue, so a wake-up is due after every one (those due while one is being
     * sent are sent once); without the waker, or reading the limit wrong, there are none */
    assert_true(st.fetch_wakeups >= 1);
    for (int32_t part = 0; part < 3; part++)
        assert_int_equal(committed(b, "g", part), (int64_t)n);
    weir_engine_destroy(e);
    weir_mock_stop(m);
}

/* Events an hour old (their Kafka timestamp) are read an hour late: the run's read delay and
 * weir_read_delay_seconds on /metrics say so, within the run's own length. */
static void test_read_delay_is_the_age_of_the_events_read(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_with_topics(1, 1);
    const char *b = weir_mock_bootstraps(m);
    int64_t hour = 3600 * 1000, t0 = weir_wall_ms();
    size_t n = 500;
    produce_with(b, n, 0, NULL, t0 - hour);
    weir_engine *e = load_engine();
    weir_pipeline_opts o;
    const char *topics[1];
    run_opts(&o, b, topics);
    assert_non_null(o.metrics = weir_metrics_start("127.0.0.1:0", err, sizeof(err)));
    weir_pipeline_stats st;
    assert_int_equal(weir_pipeline_run(&o, e, &st, err, sizeof(err)), WEIR_PIPE_OK);
    int64_t ran = weir_wall_ms() - t0;
    double scraped = scrape(weir_metrics_port(o.metrics), "weir_read_delay_seconds");
    weir_metrics_stop(o.metrics);
    assert_int_equal(st.consumed, n);
    assert_true(st.read_delay_ms >= hour && st.read_delay_ms <= hour + ran);
    assert_true(scraped * 1000 >= (double)hour && scraped * 1000 <= (double)(hour + ran));
    weir_engine_destroy(e);
    weir_mock_stop(m);
}

int main(void)
{
    wlog_setup(WLOG_ERROR, WLOG_TEXT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_attack_gives_one_alert_and_offsets_reach_the_end),
        cmocka_unit_test(test_several_workers_over_several_partitions_account_for_every_event),
        cmocka_unit_test(test_a_busy_partition_moves_to_an_idle_worker_and_keeps_its_order),
        cmocka_unit_test(test_oversized_events_are_counted_and_still_scanned),
        cmocka_unit_test(test_failed_alert_delivery_stops_and_commits_nothing_past_it),
        cmocka_unit_test(test_slow_alert_broker_pauses_input_and_loses_nothing),
        cmocka_unit_test(test_failed_final_commit_is_not_a_clean_stop),
        cmocka_unit_test(test_a_tiny_prefetch_queue_is_woken_and_every_event_read),
        cmocka_unit_test(test_read_delay_is_the_age_of_the_events_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
