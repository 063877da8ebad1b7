/*
 * Event parsing, JSON envelopes (filter/parse_json.c): nested and dotted ECS keys mapped to
 * fields, string escapes, url.original, every way a document can fail the grammar, and the
 * nesting limit. Every fixture line is handed to the parser as an exact-size heap copy with no
 * NUL after it, so a read past the line's end shows under ASan.
 */
#include "parse_helpers.h"

static void test_json_envelope_maps_nested_ecs_fields(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "json_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_JSON);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_TIMESTAMP, "2021-03-03T06:49:42.162Z");
    expect_field(ev, WEIR_F_CS_URI_STEM, "/ecp/y.js");
    expect_field(ev, WEIR_F_CS_URI_QUERY_RAW, "a=1");
    expect_field(ev, WEIR_F_C_URI, "/ecp/y.js?a=1");
    expect_field(ev, WEIR_F_CS_URI_QUERY, "/ecp/y.js?a=1");
    expect_field(ev, WEIR_F_CS_USER_AGENT, "python-requests/2.25.1");
    expect_field(ev, WEIR_F_CS_METHOD, "POST");
    expect_field(ev, WEIR_F_SC_STATUS, "241");
    expect_field(ev, WEIR_F_C_IP, "130.255.189.21");
    expect_field(ev, WEIR_F_HOSTNAME, "exch01");
    expect_field(ev, WEIR_F_MESSAGE, "2021-03-03 06:49:42 10.0.0.11 POST /ecp/y.js a=1 443 - "
                                     "130.255.189.21 python-requests/2.25.1 - 241 0 0 5");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_json_dotted_keys_escapes_and_url_original(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "json_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_JSON);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_OK);
    /* \u00e9 and a surrogate pair become UTF-8; \u0000 stays visible, like %00 */
    expect_field(ev, WEIR_F_CS_USER_AGENT,
                 "Mozilla/5.0 caf\xc3\xa9 \"q\" nul\\u0000end \xf0\x9f\x98\x80");
    expect_field(ev, WEIR_F_C_URI,
                 "https://mail.example.org/owa/auth/Current/themes/resources/logon.css?x=/ecp");
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/auth/Current/themes/resources/logon.css");
    expect_field(ev, WEIR_F_CS_URI_QUERY_RAW, "x=/ecp");
    expect_raw(ev, WEIR_F_CS_URI_QUERY_RAW, "x=%2Fecp");
    expect_field(ev, WEIR_F_CS_METHOD, "GET");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_json_that_does_not_parse_is_malformed(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"{\"a\":1,}", "string expected"},
        {"{\"a\":\"open}", "unterminated string"},
        {"{\"a\":tru}", "unexpected character"},
        {"{\"a\":1} x", "bytes after the object"},
        {"{\"a\":\"tab\there\"}", "control character"},
        {"{\"a\":01}", "',' or '}' expected"},
        {"{\"a\":\"\\q\"}", "bad escape"},
        {"{\"a\":\"\\u12\"}", "bad \\u escape"},
        {"{\"a\" 1}", "':' expected"},
        {"[1,2]", "not an object"},
        {"{\"a\":[1,2}", "',' or ']' expected"},
        {"{\"a\":-}", "bad number"},
    };
    weir_parser *p = new_parser(WEIR_FMT_JSON);
    weir_event *ev = new_event(0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse_str(p, ev, bad[i][0]), WEIR_PARSE_MALFORMED);
        expect_malformed(ev, bad[i][1]);
    }
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

static void test_json_nested_deeper_than_32_is_malformed(void **state)
{
    (void)state;
    char doc[256] = "";
    for (int i = 0; i < 40; i++)
        strcat(doc, "{\"a\":");
    strcat(doc, "1");
    for (int i = 0; i < 40; i++)
        strcat(doc, "}");
    weir_parser *p = new_parser(WEIR_FMT_JSON);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_str(p, ev, doc), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "nested deeper than 32");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_envelope_maps_nested_ecs_fields),
        cmocka_unit_test(test_json_dotted_keys_escapes_and_url_original),
        cmocka_unit_test(test_json_that_does_not_parse_is_malformed),
        cmocka_unit_test(test_json_nested_deeper_than_32_is_malformed),
    };
    return parse_tests_done(cmocka_run_group_tests(tests, NULL, NULL));
}
