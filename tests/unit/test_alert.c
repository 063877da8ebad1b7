/* The alert encoder: decode with msgpack-c what was encoded and check every documented key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <hs/hs.h>
#include <stdlib.h>
#include <string.h>

#include "weir/alert.h"
#include "weir/mpjson.h"

typedef struct {
    weir_ruleset *rs;
    msgpack_sbuffer sb;
    msgpack_unpacked u;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->rs = weir_ruleset_new();
    weir_ruleset_add_rule(f->rs, "proxylogon-ssrf", "ProxyLogon SSRF", "high", "a.rules", 1);
    weir_ruleset_add_rule(f->rs, "webshell", "Web shell", "critical", "a.rules", 2);
    weir_ruleset_add_tag(f->rs, 1, "attack.t1505.003");
    weir_ruleset_add_tag(f->rs, 1, "cve.2021-27065");
    msgpack_sbuffer_init(&f->sb);
    msgpack_unpacked_init(&f->u);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    weir_ruleset_destroy(f->rs);
    msgpack_sbuffer_destroy(&f->sb);
    msgpack_unpacked_destroy(&f->u);
    free(f);
    return 0;
}

static const msgpack_object *get(const msgpack_object *m, const char *k)
{
    const msgpack_object *v = mpjson_map_get(m, k);
    if (!v)
        fail_msg("key '%s' missing", k);
    return v;
}

static void assert_str(const msgpack_object *o, const char *s)
{
    assert_int_equal(o->type, MSGPACK_OBJECT_STR);
    assert_int_equal(o->via.str.size, strlen(s));
    assert_memory_equal(o->via.str.ptr, s, strlen(s));
}

static const msgpack_object *encode_decode(fx *f, const char *raw, size_t rawlen)
{
    uint32_t idx[] = {0, 1};
    weir_hits h = {.rules = idx, .n = 2};
    weir_alert_src src = {.topic = "iis", .partition = 4, .offset = 1234567890123LL,
                          .ts_ms = 1614754182162LL};
    assert_int_equal(weir_alert_encode(&f->sb, f->rs, "00ff00ff00ff00ff", &h, raw, rawlen, &src),
                     0);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&f->u, f->sb.data, f->sb.size, &off),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, f->sb.size); /* exactly one object, nothing trailing */
    return &f->u.data;
}

static void test_alert_has_exactly_the_documented_keys(void **state)
{
    fx *f = *state;
    const msgpack_object *a = encode_decode(f, "GET /x", 6);
    assert_int_equal(a->type, MSGPACK_OBJECT_MAP);
    const char *keys[] = {"@timestamp", "event.original", "rules", "kafka", "weir.rules_version"};
    assert_int_equal(a->via.map.size, 5);
    for (size_t i = 0; i < 5; i++)
        get(a, keys[i]);
}

static void test_timestamp_is_rfc3339_utc_with_millis(void **state)
{
    fx *f = *state;
    const msgpack_object *a = encode_decode(f, "x", 1);
    assert_str(get(a, "@timestamp"), "2021-03-03T06:49:42.162Z");
}

static void test_event_original_is_bin_with_raw_bytes_including_nul(void **state)
{
    fx *f = *state;
    const char raw[] = "GET /a\0b\xff\xfe end";
    const msgpack_object *o = get(encode_decode(f, raw, sizeof(raw) - 1), "event.original");
    assert_int_equal(o->type, MSGPACK_OBJECT_BIN);
    assert_int_equal(o->via.bin.size, sizeof(raw) - 1);
    assert_memory_equal(o->via.bin.ptr, raw, sizeof(raw) - 1);
}

static void test_rules_carry_id_title_level_tags_in_hit_order(void **state)
{
    fx *f = *state;
    const msgpack_object *r = get(encode_decode(f, "x", 1), "rules");
    assert_int_equal(r->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(r->via.array.size, 2);
    assert_str(get(&r->via.array.ptr[0], "id"), "proxylogon-ssrf");
    assert_str(get(&r->via.array.ptr[0], "title"), "ProxyLogon SSRF");
    assert_str(get(&r->via.array.ptr[0], "level"), "high");
    assert_int_equal(get(&r->via.array.ptr[0], "tags")->via.array.size, 0);
    const msgpack_object *tags = get(&r->via.array.ptr[1], "tags");
    assert_int_equal(tags->via.array.size, 2);
    assert_str(&tags->via.array.ptr[1], "cve.2021-27065");
    assert_str(get(&r->via.array.ptr[1], "level"), "critical");
}

static void test_kafka_source_is_topic_partition_offset(void **state)
{
    fx *f = *state;
    const msgpack_object *k = get(encode_decode(f, "x", 1), "kafka");
    assert_str(get(k, "topic"), "iis");
    assert_int_equal(get(k, "partition")->via.u64, 4);
    assert_true(get(k, "offset")->via.u64 == 1234567890123ULL);
    assert_str(get(&f->u.data, "weir.rules_version"), "00ff00ff00ff00ff");
}

static void test_reusing_the_buffer_gives_identical_bytes(void **state)
{
    fx *f = *state;
    encode_decode(f, "same event", 10);
    size_t n1 = f->sb.size;
    char *copy = malloc(n1);
    memcpy(copy, f->sb.data, n1);
    encode_decode(f, "same event", 10);
    assert_int_equal(f->sb.size, n1);
    assert_memory_equal(f->sb.data, copy, n1);
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alert_has_exactly_the_documented_keys, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timestamp_is_rfc3339_utc_with_millis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_original_is_bin_with_raw_bytes_including_nul,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_carry_id_title_level_tags_in_hit_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kafka_source_is_topic_partition_offset, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reusing_the_buffer_gives_identical_bytes, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
