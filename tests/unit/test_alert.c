/* The alert encoder: decode with msgpack-c what was encoded and check every documented key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weir/alert.h"
#include "weir/clock.h"
#include "weir/mpjson.h"

typedef struct {
    weir_engine *eng;
    weir_scanner *sc;
    weir_parser *parser;
    msgpack_sbuffer sb;
    msgpack_unpacked u;
} fx;

static const char *RULES =
    "title: ProxyLogon SSRF\nid: proxylogon-ssrf\nlevel: high\n"
    "logsource: {category: webserver}\n"
    "detection:\n  sel:\n    cs-method: POST\n    cs-uri-stem|contains: /ecp/\n"
    "  condition: sel\n---\n"
    "title: Web shell\nid: webshell\nlevel: critical\n"
    "tags: [attack.t1505.003, cve.2021-27065]\n"
    "logsource: {category: webserver}\n"
    "detection:\n  kw: ['GET', 'POST']\n  condition: kw\n";

static const char *LINE = "2021-03-03 06:49:42 10.0.0.11 POST /ecp/y.js - 443 - 198.51.100.21 "
                          "curl/7 - 200 0 0 31";

static int setup(void **state)
{
    char err[512];
    fx *f = calloc(1, sizeof(*f));
    sigma_ruleset *set = sigma_ruleset_new();
    if (sigma_load_buffer(set, "mem.yml", RULES, strlen(RULES), err, sizeof(err)) != 0)
        fail_msg("%s", err);
    weir_build_report rep;
    if (weir_engine_build(&f->eng, set, &rep, err, sizeof(err)) != 0 || rep.nrejected)
        fail_msg("%s", err);
    weir_build_report_free(&rep);
    sigma_ruleset_destroy(set);
    f->sc = weir_scanner_new(f->eng, 0, err, sizeof(err));
    f->parser = weir_parser_new(WEIR_FMT_IIS, err, sizeof(err));
    msgpack_sbuffer_init(&f->sb);
    msgpack_unpacked_init(&f->u);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    weir_parser_destroy(f->parser);
    weir_scanner_destroy(f->sc);
    weir_engine_destroy(f->eng);
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

static void assert_bin(const msgpack_object *o, const char *s)
{
    assert_int_equal(o->type, MSGPACK_OBJECT_BIN);
    assert_int_equal(o->via.bin.size, strlen(s));
    assert_memory_equal(o->via.bin.ptr, s, strlen(s));
}

/* Scans line (both rules hit LINE), encodes with src, decodes with msgpack-c. */
static const msgpack_object *encode_src(fx *f, const char *line, size_t len,
                                        const weir_alert_src *src)
{
    char err[256];
    weir_hits h;
    assert_int_equal(weir_scanner_scan(f->sc, f->parser, line, len, &h, err, sizeof(err)), 0);
    assert_int_equal(weir_alert_encode(&f->sb, f->eng, &h, line, len, src), 0);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&f->u, f->sb.data, f->sb.size, &off),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, f->sb.size); /* exactly one object, nothing trailing */
    return &f->u.data;
}

static const msgpack_object *encode_decode(fx *f, const char *raw, size_t rawlen)
{
    weir_alert_src src = {.topic = "iis", .partition = 4, .offset = 1234567890123LL,
                          .ts_ms = 1614754182162LL, .read_ms = 1614754182400LL};
    return encode_src(f, raw, rawlen, &src);
}

static void test_alert_has_exactly_the_documented_keys(void **state)
{
    fx *f = *state;
    const msgpack_object *a = encode_decode(f, LINE, strlen(LINE));
    assert_int_equal(a->type, MSGPACK_OBJECT_MAP);
    const char *keys[] = {"@timestamp", "event.created", "event.original", "rules",
                          "fields", "kafka", "weir.rules_version"};
    assert_int_equal(a->via.map.size, 7);
    for (size_t i = 0; i < 7; i++)
        get(a, keys[i]);
}

static void test_timestamp_is_rfc3339_utc_with_millis(void **state)
{
    fx *f = *state;
    const msgpack_object *a = encode_decode(f, LINE, strlen(LINE));
    assert_str(get(a, "@timestamp"), "2021-03-03T06:49:42.162Z");
}

static void test_event_created_is_when_weir_read_the_event(void **state)
{
    fx *f = *state;
    const msgpack_object *a = encode_decode(f, LINE, strlen(LINE));
    assert_str(get(a, "event.created"), "2021-03-03T06:49:42.400Z");
}

/* An alert's time string back to ms since the epoch. */
static int64_t alert_ms(const msgpack_object *o)
{
    char buf[40];
    struct tm tm = {0};
    int ms;
    assert_int_equal(o->type, MSGPACK_OBJECT_STR);
    assert_true(o->via.str.size < sizeof(buf));
    memcpy(buf, o->via.str.ptr, o->via.str.size);
    buf[o->via.str.size] = '\0';
    assert_int_equal(sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms),
                     7);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static void test_event_original_is_bin_with_raw_bytes_including_nul(void **state)
{
    fx *f = *state;
    const char raw[] = "x GET /a\0b\xff\xfe end";
    const msgpack_object *o = get(encode_decode(f, raw, sizeof(raw) - 1), "event.original");
    assert_int_equal(o->type, MSGPACK_OBJECT_BIN);
    assert_int_equal(o->via.bin.size, sizeof(raw) - 1);
    assert_memory_equal(o->via.bin.ptr, raw, sizeof(raw) - 1);
}

static void test_rules_carry_id_title_level_tags_in_hit_order(void **state)
{
    fx *f = *state;
    const msgpack_object *r = get(encode_decode(f, LINE, strlen(LINE)), "rules");
    assert_int_equal(r->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(r->via.array.size, 2);
    assert_str(get(&r->via.array.ptr[0], "id"), "proxylogon-ssrf");
    assert_str(get(&r->via.array.ptr[0], "title"), "ProxyLogon SSRF");
    assert_str(get(&r->via.array.ptr[0], "level"), "high");
    assert_str(get(&r->via.array.ptr[1], "id"), "webshell");
    assert_int_equal(get(&r->via.array.ptr[0], "tags")->via.array.size, 0);
    const msgpack_object *tags = get(&r->via.array.ptr[1], "tags");
    assert_int_equal(tags->via.array.size, 2);
    assert_str(&tags->via.array.ptr[1], "cve.2021-27065");
    assert_str(get(&r->via.array.ptr[1], "level"), "critical");
}

static void test_kafka_source_is_topic_partition_offset(void **state)
{
    fx *f = *state;
    const msgpack_object *k = get(encode_decode(f, LINE, strlen(LINE)), "kafka");
    assert_str(get(k, "topic"), "iis");
    assert_int_equal(get(k, "partition")->via.u64, 4);
    assert_true(get(k, "offset")->via.u64 == 1234567890123ULL);
    assert_str(get(&f->u.data, "weir.rules_version"), weir_engine_rules_hash(f->eng));
    assert_int_equal(strlen(weir_engine_rules_hash(f->eng)), 16);
}

static void test_fields_carry_the_tested_fields_by_ecs_name(void **state)
{
    fx *f = *state;
    const msgpack_object *fl = get(encode_decode(f, LINE, strlen(LINE)), "fields");
    assert_int_equal(fl->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(fl->via.map.size, 2); /* cs-method, cs-uri-stem; keywords add none */
    assert_bin(get(fl, "http.request.method"), "POST");
    assert_bin(get(fl, "url.path"), "/ecp/y.js");
}

static void test_file_source_replaces_kafka_with_log_file(void **state)
{
    fx *f = *state;
    /* a file line has no Kafka timestamp and is read as it is scanned: both times are now */
    weir_alert_src src = {.file_path = "/var/log/iis/u_ex210303.log", .file_line = 42, .ts_ms = -1};
    int64_t before = weir_wall_ms();
    const msgpack_object *a = encode_src(f, LINE, strlen(LINE), &src);
    int64_t after = weir_wall_ms();
    assert_null(mpjson_map_get(a, "kafka"));
    assert_str(get(a, "log.file.path"), "/var/log/iis/u_ex210303.log");
    assert_int_equal(get(a, "log.file.line")->via.u64, 42);
    assert_int_equal(a->via.map.size, 8);
    int64_t ts = alert_ms(get(a, "@timestamp")), created = alert_ms(get(a, "event.created"));
    assert_true(ts >= before && ts <= after);
    assert_true(created >= before && created <= after);
}

static void test_reusing_the_buffer_gives_identical_bytes(void **state)
{
    fx *f = *state;
    encode_decode(f, LINE, strlen(LINE));
    size_t n1 = f->sb.size;
    char *copy = malloc(n1);
    memcpy(copy, f->sb.data, n1);
    encode_decode(f, LINE, strlen(LINE));
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
        cmocka_unit_test_setup_teardown(test_event_created_is_when_weir_read_the_event, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_event_original_is_bin_with_raw_bytes_including_nul,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_carry_id_title_level_tags_in_hit_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kafka_source_is_topic_partition_offset, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reusing_the_buffer_gives_identical_bytes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fields_carry_the_tested_fields_by_ecs_name, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_file_source_replaces_kafka_with_log_file, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
