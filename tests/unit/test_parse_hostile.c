/*
 * Event parsing, malformed and hostile input in every format: empty lines, binary garbage,
 * truncated lines, every prefix of every fixture line, random structural bytes, one-megabyte
 * lines against the max-line cut, and a max-line above the limit. Every line is handed to the
 * parser as an exact-size heap copy with no NUL after it, so a read past the line's end shows
 * under ASan.
 */
#include "parse_helpers.h"

static void test_empty_line_is_malformed_in_every_format(void **state)
{
    (void)state;
    weir_event *ev = new_event(0);
    for (int f = 0; f < WEIR_FMT__COUNT; f++) {
        weir_parser *p = new_parser((weir_format)f);
        assert_int_equal(weir_parser_parse(p, "", 0, ev), WEIR_PARSE_MALFORMED);
        expect_malformed(ev, "empty line");
        assert_int_equal(weir_parser_parse(p, "\r\n", 2, ev), WEIR_PARSE_MALFORMED);
        assert_int_equal(weir_parser_parse(p, NULL, 0, ev), WEIR_PARSE_MALFORMED);
        weir_parser_destroy(p);
    }
    weir_event_destroy(ev);
}

static void test_binary_garbage_is_malformed_except_as_oab_text(void **state)
{
    (void)state;
    static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xff\xfe\x00\x7f"
                                  "\x80\x81\xc3\x28\xa0\xa1\xe2\x28\xa1\x00\x00\x01";
    weir_event *ev = new_event(0);
    for (int f = 0; f < WEIR_FMT__COUNT; f++) {
        weir_parser *p = new_parser((weir_format)f);
        int rc = weir_parser_parse(p, garbage, sizeof(garbage) - 1, ev);
        if (f == WEIR_FMT_OAB) {
            assert_int_equal(rc, WEIR_PARSE_OK); /* free text: the bytes are the message */
            assert_int_equal(weir_event_get(ev, WEIR_F_MESSAGE)->len, sizeof(garbage) - 1);
        } else {
            if (rc != WEIR_PARSE_MALFORMED)
                fail_msg("format %s accepted garbage", weir_format_name((weir_format)f));
            assert_int_equal(weir_event_line(ev).len, sizeof(garbage) - 1);
        }
        weir_parser_destroy(p);
    }
    weir_event_destroy(ev);
}

static void test_truncated_iis_line_is_malformed(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(weir_parser_parse(p, fx.line[6], 120, ev), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "6 columns, the layout has 15");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

/* Every prefix of every real and synthetic line, in its own format and in auto: whatever the
 * cut, the parse ends in a defined status and never reads past the prefix (ASan watches). */
static void test_every_prefix_of_every_fixture_line_parses_or_is_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        weir_format f;
    } files[] = {
        {"iis_real.log", WEIR_FMT_IIS},
        {"iis_synthetic.log", WEIR_FMT_IIS},
        {"httpproxy_real.log", WEIR_FMT_HTTPPROXY},
        {"httpproxy_testproxylogon.csv", WEIR_FMT_HTTPPROXY},
        {"ecp_real.log", WEIR_FMT_ECP},
        {"ecp_synthetic.log", WEIR_FMT_ECP},
        {"rpshttp_synthetic.log", WEIR_FMT_RPSHTTP},
        {"smtpreceive_synthetic.log", WEIR_FMT_SMTPRECEIVE},
        {"msgtrack_synthetic.log", WEIR_FMT_MSGTRACK},
        {"syslog_postfix.log", WEIR_FMT_SYSLOG},
        {"syslog_synthetic.log", WEIR_FMT_SYSLOG},
        {"combined_synthetic.log", WEIR_FMT_COMBINED},
        {"json_synthetic.log", WEIR_FMT_JSON},
    };
    weir_event *ev = new_event(0);
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        fixture fx;
        fx_load(&fx, files[k].file);
        weir_format fmts[2] = {files[k].f, WEIR_FMT_AUTO};
        for (int m = 0; m < 2; m++) {
            weir_parser *p = new_parser(fmts[m]);
            for (size_t i = 0; i < fx.n; i++) {
                for (size_t cut = 0; cut <= fx.len[i]; cut++) {
                    char *copy = malloc(cut ? cut : 1);
                    memcpy(copy, fx.line[i], cut);
                    int rc = weir_parser_parse(p, copy, cut, ev);
                    assert_true(rc == WEIR_PARSE_OK || rc == WEIR_PARSE_HEADER ||
                                rc == WEIR_PARSE_MALFORMED);
                    for (size_t j = 0; j < weir_event_nfields(ev); j++) {
                        int id = weir_event_field_id(ev, j);
                        const weir_view *r = weir_event_get_raw(ev, id);
                        if (r->p >= copy && r->p <= copy + cut)
                            assert_true(r->p + r->len <= copy + cut);
                    }
                    free(copy);
                }
                /* restore the stream state the full line leaves (headers) */
                weir_parser_parse(p, fx.line[i], fx.len[i], ev);
            }
            weir_parser_destroy(p);
        }
        fx_free(&fx);
    }
    weir_event_destroy(ev);
}

/* Random bytes drawn mostly from the characters the grammars care about. */
static void test_random_structural_bytes_never_break_a_parser(void **state)
{
    (void)state;
    static const char alphabet[] = " ,;\"'[]{}<>:#%+-\\0123456789TZaSx\x00\xff\t\r.?/=";
    uint32_t seed = 0x9e3779b9u;
    weir_event *ev = new_event(256);
    char line[320];
    for (int f = 0; f < WEIR_FMT__COUNT; f++) {
        weir_parser *p = new_parser((weir_format)f);
        for (int iter = 0; iter < 3000; iter++) {
            seed = seed * 1664525u + 1013904223u;
            size_t len = (seed >> 8) % sizeof(line);
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1664525u + 1013904223u;
                line[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
            }
            if (iter % 7 == 0 && len > 20)
                memcpy(line, "2021-03-05 03:06:27 ", 20);
            if (iter % 11 == 0 && len > 24)
                memcpy(line, "2021-03-03T06:49:53.772Z", 24);
            char *copy = malloc(len ? len : 1);
            memcpy(copy, line, len);
            int rc = weir_parser_parse(p, copy, len, ev);
            assert_true(rc == WEIR_PARSE_OK || rc == WEIR_PARSE_HEADER ||
                        rc == WEIR_PARSE_MALFORMED);
            if (len <= 256)
                assert_false(weir_event_truncated(ev));
            free(copy);
        }
        weir_parser_destroy(p);
    }
    weir_event_destroy(ev);
}

static const char big_head[] = "2021-03-05 03:06:27 10.0.0.1 GET /owa/auth/x.aspx ";

static char *big_iis_line(size_t query_len, size_t *len)
{
    const char *head = big_head;
    const char *tail = " 443 - 1.2.3.4 UA - 200 0 0 1";
    size_t h = strlen(head), t = strlen(tail);
    char *s = malloc(h + query_len + t);
    memcpy(s, head, h);
    memset(s + h, 'A', query_len);
    memcpy(s + h + query_len, tail, t);
    *len = h + query_len + t;
    return s;
}

static void test_one_megabyte_line_is_cut_at_max_line_and_flagged(void **state)
{
    (void)state;
    size_t len;
    char *s = big_iis_line(1024 * 1024, &len);
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0); /* 64 KiB */
    assert_int_equal(weir_parser_parse(p, s, len, ev), WEIR_PARSE_OK);
    assert_true(weir_event_truncated(ev));
    assert_int_equal(weir_event_line(ev).len, len); /* keywords still see the whole line */
    expect_field(ev, WEIR_F_CS_METHOD, "GET");
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/auth/x.aspx");
    assert_int_equal(weir_event_get(ev, WEIR_F_CS_URI_QUERY_RAW)->len,
                     WEIR_EVENT_DEFAULT_MAX_LINE - strlen(big_head));
    expect_absent(ev, WEIR_F_C_IP); /* beyond the cut */
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    free(s);
}

static void test_one_megabyte_line_parses_whole_when_max_line_allows(void **state)
{
    (void)state;
    size_t len;
    char *s = big_iis_line(1024 * 1024, &len);
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(2 * 1024 * 1024);
    assert_int_equal(weir_parser_parse(p, s, len, ev), WEIR_PARSE_OK);
    assert_false(weir_event_truncated(ev));
    expect_field(ev, WEIR_F_C_IP, "1.2.3.4");
    assert_int_equal(weir_event_get(ev, WEIR_F_C_URI)->len, 17 + 1024 * 1024);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    free(s);
}

static void test_one_megabyte_json_line_is_malformed_as_cut(void **state)
{
    (void)state;
    size_t n = 1024 * 1024;
    char *s = malloc(n);
    memset(s, ' ', n);
    memcpy(s, "{\"message\":\"", 12);
    memset(s + 12, 'x', n - 14);
    memcpy(s + n - 2, "\"}", 2);
    weir_parser *p = new_parser(WEIR_FMT_JSON);
    weir_event *ev = new_event(0);
    assert_int_equal(weir_parser_parse(p, s, n, ev), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "line cut at 65536 bytes");
    assert_true(weir_event_truncated(ev));
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    free(s);
}

static void test_max_line_above_the_limit_is_refused_with_a_reason(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(weir_event_new((size_t)1 << 40, err, sizeof(err)));
    assert_non_null(strstr(err, "above the limit"));
    assert_null(weir_parser_new(WEIR_FMT__COUNT, err, sizeof(err)));
    assert_non_null(strstr(err, "unknown log format"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_line_is_malformed_in_every_format),
        cmocka_unit_test(test_binary_garbage_is_malformed_except_as_oab_text),
        cmocka_unit_test(test_truncated_iis_line_is_malformed),
        cmocka_unit_test(test_every_prefix_of_every_fixture_line_parses_or_is_malformed),
        cmocka_unit_test(test_random_structural_bytes_never_break_a_parser),
        cmocka_unit_test(test_one_megabyte_line_is_cut_at_max_line_and_flagged),
        cmocka_unit_test(test_one_megabyte_line_parses_whole_when_max_line_allows),
        cmocka_unit_test(test_one_megabyte_json_line_is_malformed_as_cut),
        cmocka_unit_test(test_max_line_above_the_limit_is_refused_with_a_reason),
    };
    return parse_tests_done(cmocka_run_group_tests(tests, NULL, NULL));
}
