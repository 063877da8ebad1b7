/*
 * Event parsing, Apache/nginx combined and common access logs (filter/parse_combined.c): the
 * request line split into method, URI, stem and query, backslash-escaped quotes, the common
 * prefix without referer and agent, a request line that is not one, and the malformed cases.
 * Every fixture line is handed to the parser as an exact-size heap copy with no NUL after it,
 * so a read past the line's end shows under ASan.
 */
#include "parse_helpers.h"

static void test_combined_request_gives_method_uri_stem_and_query(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "combined_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_COMBINED);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_C_IP, "203.0.113.7");
    expect_field(ev, WEIR_F_CS_USERNAME, "");
    expect_field(ev, WEIR_F_TIMESTAMP, "05/Mar/2021:03:06:27 +0000");
    expect_field(ev, WEIR_F_CS_METHOD, "GET");
    expect_field(ev, WEIR_F_C_URI, "/owa/auth/x.js?a=/ecp/");
    expect_raw(ev, WEIR_F_C_URI, "/owa/auth/x.js?a=%2Fecp%2F");
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/auth/x.js");
    expect_field(ev, WEIR_F_CS_URI_QUERY_RAW, "a=/ecp/");
    expect_field(ev, WEIR_F_CS_URI_QUERY, "/owa/auth/x.js?a=/ecp/");
    expect_field(ev, WEIR_F_CS_VERSION, "HTTP/1.1");
    expect_field(ev, WEIR_F_SC_STATUS, "200");
    expect_field(ev, WEIR_F_SC_BYTES, "512");
    expect_field(ev, WEIR_F_CS_REFERRER, "");
    expect_field(ev, WEIR_F_CS_USER_AGENT, "python-requests/2.25.1");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_combined_backslash_escaped_quote_in_user_agent(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "combined_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_COMBINED);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64) \"quoted\"");
    expect_field(ev, WEIR_F_CS_USERNAME, "alice");
    expect_field(ev, WEIR_F_CS_REFERRER, "https://mail.example.org/owa/");
    expect_field(ev, WEIR_F_C_URI, "/autodiscover/autodiscover.json?@evil.com/mapi/nspi/?&Email="
                                   "autodiscover/autodiscover.json?@evil.com");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_common_log_without_referer_and_agent_parses(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "combined_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_COMBINED);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 2), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_SC_STATUS, "404");
    expect_field(ev, WEIR_F_SC_BYTES, "");
    expect_absent(ev, WEIR_F_CS_REFERRER);
    expect_absent(ev, WEIR_F_CS_USER_AGENT);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_combined_garbage_request_line_leaves_uri_unset(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_COMBINED);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_str(p, ev,
                               "192.0.2.1 - - [05/Mar/2021:03:08:00 +0000] "
                               "\"\\x16\\x03\\x01\\x00\" 400 157 \"-\" \"-\""),
                     WEIR_PARSE_OK);
    expect_absent(ev, WEIR_F_C_URI);
    expect_absent(ev, WEIR_F_CS_METHOD);
    expect_field(ev, WEIR_F_SC_STATUS, "400");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

static void test_combined_without_bracketed_time_is_malformed(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_COMBINED);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_str(p, ev, "192.0.2.1 - - 05/Mar/2021 \"GET / HTTP/1.1\" 200 1"),
                     WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "no [time]");
    assert_int_equal(parse_str(p, ev, "192.0.2.1 - - [05/Mar/2021:03:08:00 +0000] \"GET / HTTP"),
                     WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "unterminated quote");
    assert_int_equal(parse_str(p, ev, "192.0.2.1 - - [05/Mar/2021:03:08:00 +0000] \"GET /\" OK 1"),
                     WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "status");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_combined_request_gives_method_uri_stem_and_query),
        cmocka_unit_test(test_combined_backslash_escaped_quote_in_user_agent),
        cmocka_unit_test(test_common_log_without_referer_and_agent_parses),
        cmocka_unit_test(test_combined_garbage_request_line_leaves_uri_unset),
        cmocka_unit_test(test_combined_without_bracketed_time_is_malformed),
    };
    return parse_tests_done(cmocka_run_group_tests(tests, NULL, NULL));
}
