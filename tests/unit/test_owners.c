/*
 * Partition ownership: partitions spread evenly over workers, a partition keeps its worker until
 * released, and the table stays right through growth and deletions (a wrong lookup would send a
 * partition's events to two workers and its alerts out of order).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "owners.h"

static void even_spread(void **state)
{
    (void)state;
    ow_table *t = ow_new(2);
    assert_non_null(t);
    for (int32_t p = 0; p < 6; p++)
        assert_int_equal(ow_claim(t, "iis", p), 0);
    assert_int_equal(ow_load(t, 0), 3);
    assert_int_equal(ow_load(t, 1), 3);
    size_t seen[2] = {0, 0};
    for (int32_t p = 0; p < 6; p++)
        seen[ow_worker(t, "iis", p)]++;
    assert_int_equal(seen[0], 3);
    assert_int_equal(seen[1], 3);
    ow_free(t);

    /* two topics, 4 workers: 12 partitions are 3 each, whatever the topic names hash to */
    t = ow_new(4);
    const char *topics[2] = {"exchange-iis", "exchange-httpproxy"};
    for (int k = 0; k < 2; k++)
        for (int32_t p = 0; p < 6; p++)
            assert_int_equal(ow_claim(t, topics[k], p), 0);
    for (size_t w = 0; w < 4; w++)
        assert_int_equal(ow_load(t, w), 3);
    size_t per[4] = {0};
    for (int k = 0; k < 2; k++)
        for (int32_t p = 0; p < 6; p++) {
            size_t w = ow_worker(t, topics[k], p);
            assert_true(w < 4);
            per[w]++;
        }
    for (size_t w = 0; w < 4; w++)
        assert_int_equal(per[w], 3);
    ow_free(t);
}

/* Topics carry different traffic, so each must be spread, whatever order a rebalance lists the
 * partitions in: here partition by partition across 10 topics (p0 of every topic, then p1...),
 * where counting all partitions alone gave each topic to one worker of 2. */
static void each_topic_spread_over_the_workers(void **state)
{
    (void)state;
    for (size_t nw = 2; nw <= 4; nw++) {
        ow_table *t = ow_new(nw);
        char topics[10][16];
        for (int k = 0; k < 10; k++)
            snprintf(topics[k], sizeof(topics[k]), "bench-%d", k);
        for (int32_t p = 0; p < 6; p++)
            for (int k = 0; k < 10; k++)
                assert_int_equal(ow_claim(t, topics[k], p), 0);
        for (int k = 0; k < 10; k++) {
            size_t per[4] = {0};
            for (int32_t p = 0; p < 6; p++)
                per[ow_worker(t, topics[k], p)]++;
            for (size_t w = 0; w < nw; w++) /* 6 over nw: as even as it divides */
                if (per[w] < 6 / nw || per[w] > (6 + nw - 1) / nw)
                    fail_msg("%zu workers: topic %d has %zu partitions on worker %zu", nw, k,
                             per[w], w);
        }
        size_t total = 0;
        for (size_t w = 0; w < nw; w++) {
            assert_true(ow_load(t, w) >= 60 / nw && ow_load(t, w) <= (60 + nw - 1) / nw);
            total += ow_load(t, w);
        }
        assert_int_equal(total, 60);
        ow_free(t);
    }
}

static void claim_is_idempotent(void **state)
{
    (void)state;
    ow_table *t = ow_new(3);
    assert_int_equal(ow_claim(t, "a", 0), 0);
    size_t w = ow_worker(t, "a", 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ow_claim(t, "a", 0), 0);
    assert_int_equal(ow_worker(t, "a", 0), w);
    assert_int_equal(ow_load(t, 0) + ow_load(t, 1) + ow_load(t, 2), 1);
    /* same partition number, other topic: another partition */
    assert_int_equal(ow_claim(t, "b", 0), 0);
    assert_int_not_equal(ow_worker(t, "b", 0), w);
    ow_free(t);
}

static void unclaimed_is_stable(void **state)
{
    (void)state;
    ow_table *t = ow_new(5);
    size_t w = ow_worker(t, "stray", 7);
    assert_true(w < 5);
    for (int i = 0; i < 10; i++)
        assert_int_equal(ow_worker(t, "stray", 7), w);
    assert_int_equal(ow_load(t, w), 0); /* a lookup claims nothing */
    ow_free(t);
}

static void release_frees_the_worker(void **state)
{
    (void)state;
    ow_table *t = ow_new(2);
    for (int32_t p = 0; p < 4; p++)
        ow_claim(t, "iis", p);
    size_t w1 = ow_worker(t, "iis", 1), w3 = ow_worker(t, "iis", 3);
    assert_int_equal(w1, w3); /* 0,2 on one worker, 1,3 on the other */
    ow_release(t, "iis", 1);
    ow_release(t, "iis", 3);
    ow_release(t, "iis", 3); /* twice: no effect */
    ow_release(t, "never", 0);
    assert_int_equal(ow_load(t, w1), 0);
    assert_int_equal(ow_claim(t, "httpproxy", 0), 0);
    assert_int_equal(ow_claim(t, "httpproxy", 1), 0);
    /* the freed worker takes the new topic's first partition; the second goes where that
     * topic has none, so the topic is spread rather than the partition counts evened */
    assert_int_equal(ow_worker(t, "httpproxy", 0), w1);
    assert_int_not_equal(ow_worker(t, "httpproxy", 1), w1);
    ow_free(t);
}

/* Many partitions (the table grows several times), then half released in a scattered order:
 * every partition left must still be found on its first worker. */
static void growth_and_deletion_keep_lookups(void **state)
{
    (void)state;
    enum { NT = 7, NP = 150, NW = 6 };
    ow_table *t = ow_new(NW);
    static size_t first[NT][NP];
    char topic[32];
    for (int k = 0; k < NT; k++)
        for (int32_t p = 0; p < NP; p++) {
            snprintf(topic, sizeof(topic), "topic-%d", k);
            assert_int_equal(ow_claim(t, topic, p), 0);
        }
    for (int k = 0; k < NT; k++)
        for (int32_t p = 0; p < NP; p++) {
            snprintf(topic, sizeof(topic), "topic-%d", k);
            first[k][p] = ow_worker(t, topic, p);
        }
    size_t total = 0;
    for (size_t w = 0; w < NW; w++) {
        assert_int_equal(ow_load(t, w), NT * NP / NW);
        total += ow_load(t, w);
    }
    assert_int_equal(total, NT * NP);

    unsigned seed = 12345;
    static int gone[NT][NP];
    for (int i = 0; i < NT * NP / 2; i++) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 8) % NT);
        int32_t p = (int32_t)((seed >> 16) % NP);
        snprintf(topic, sizeof(topic), "topic-%d", k);
        ow_release(t, topic, p);
        gone[k][p] = 1;
    }
    size_t left = 0;
    for (int k = 0; k < NT; k++)
        for (int32_t p = 0; p < NP; p++) {
            if (gone[k][p])
                continue;
            snprintf(topic, sizeof(topic), "topic-%d", k);
            assert_int_equal(ow_worker(t, topic, p), first[k][p]);
            left++;
        }
    total = 0;
    for (size_t w = 0; w < NW; w++)
        total += ow_load(t, w);
    assert_int_equal(total, left);
    ow_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(even_spread),
        cmocka_unit_test(each_topic_spread_over_the_workers),
        cmocka_unit_test(claim_is_idempotent),
        cmocka_unit_test(unclaimed_is_stable),
        cmocka_unit_test(release_frees_the_worker),
        cmocka_unit_test(growth_and_deletion_keep_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
