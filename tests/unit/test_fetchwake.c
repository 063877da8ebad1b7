/*
 * The fetch waker (filter/fetchwake.h): a wake-up request goes out each time the consuming
 * thread has taken half of what stops librdkafka's fetching (queued.max.messages.kbytes in
 * bytes, or queued.min.messages in messages), read from the consumer's own configuration;
 * none before, none without an assignment; stopping is quick. Against the mock cluster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "fetchwake.h"
#include "weir/mock.h"

#define TOPIC "fw-events"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A consumer of the mock cluster with the given prefetch limits; assigned TOPIC [0] unless
 * assign is 0. */
static rd_kafka_t *consumer(const char *brokers, const char *kbytes, const char *min_msgs,
                            int assign)
{
    char errstr[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", brokers, errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(c, "group.id", "fw", errstr, sizeof(errstr)), 0);
    assert_int_equal(rd_kafka_conf_set(c, "queued.max.messages.kbytes", kbytes, errstr,
                                       sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(c, "queued.min.messages", min_msgs, errstr,
                                       sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof(errstr));
    assert_non_null(rk);
    if (assign) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, TOPIC, 0);
        assert_int_equal(rd_kafka_assign(rk, l), 0);
        rd_kafka_topic_partition_list_destroy(l);
    }
    return rk;
}

/* Waits up to 10 s for the waker to have sent `want` wake-ups; returns how many it had. */
static uint64_t wait_wakeups(fw_waker *w, uint64_t want)
{
    double until = now_s() + 10;
    while (fw_wakeups(w) < want && now_s() < until)
        usleep(10000);
    return fw_wakeups(w);
}

static weir_mock *mock_cluster(void)
{
    char err[512];
    weir_mock *m = weir_mock_start(1, err, sizeof(err));
    if (!m)
        fail_msg("%s", err);
    assert_int_equal(weir_mock_create_topic(m, TOPIC, 1, err, sizeof(err)), 0);
    return m;
}

static void test_a_wakeup_every_half_queue_of_bytes(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_cluster();
    rd_kafka_t *rk = consumer(weir_mock_bootstraps(m), "4", "1000000", 1); /* 4 KB */
    fw_waker *w = fw_start(rk, err, sizeof(err));
    assert_non_null(w);
    for (int i = 0; i < 20; i++) /* 2,000 bytes: under half of 4 KB */
        fw_consumed(w, 1, 100);
    usleep(200000);
    assert_int_equal(fw_wakeups(w), 0);
    fw_consumed(w, 1, 100); /* 2,100 bytes >= 2,048 */
    assert_int_equal(wait_wakeups(w, 1), 1);
    fw_consumed(w, 1, 2047); /* the count started again at the wake-up */
    usleep(200000);
    assert_int_equal(fw_wakeups(w), 1);
    fw_consumed(w, 1, 1);
    assert_int_equal(wait_wakeups(w, 2), 2);
    fw_stop(w);
    rd_kafka_destroy(rk);
    weir_mock_stop(m);
}

static void test_a_wakeup_every_half_queue_of_messages(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_cluster();
    rd_kafka_t *rk = consumer(weir_mock_bootstraps(m), "1000000", "10", 1);
    fw_waker *w = fw_start(rk, err, sizeof(err));
    assert_non_null(w);
    fw_consumed(w, 4, 40);
    usleep(200000);
    assert_int_equal(fw_wakeups(w), 0);
    fw_consumed(w, 1, 10); /* 5 messages: half of queued.min.messages */
    assert_int_equal(wait_wakeups(w, 1), 1);
    fw_stop(w);
    rd_kafka_destroy(rk);
    weir_mock_stop(m);
}

static void test_no_wakeup_without_an_assignment_and_a_quick_stop(void **state)
{
    (void)state;
    char err[512];
    weir_mock *m = mock_cluster();
    rd_kafka_t *rk = consumer(weir_mock_bootstraps(m), "1", "1000000", 0);
    fw_waker *w = fw_start(rk, err, sizeof(err));
    assert_non_null(w);
    fw_consumed(w, 1, 4096); /* due, but there is no broker to wake */
    usleep(300000);
    assert_int_equal(fw_wakeups(w), 0);
    fw_consumed(w, 1, 4096); /* due again while the thread may be busy: stop still ends it */
    double t0 = now_s();
    fw_stop(w);
    assert_true(now_s() - t0 < 2 * FW_TIMEOUT_MS / 1000.0 + 0.5);
    fw_stop(NULL); /* a no-op */
    assert_int_equal(fw_wakeups(NULL), 0);
    rd_kafka_destroy(rk);
    weir_mock_stop(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_wakeup_every_half_queue_of_bytes),
        cmocka_unit_test(test_a_wakeup_every_half_queue_of_messages),
        cmocka_unit_test(test_no_wakeup_without_an_assignment_and_a_quick_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
