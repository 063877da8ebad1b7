/*
 * Event parsing, IIS W3C extended logs (filter/parse_w3c.c, space separated): the documented
 * default layout on real lines where the facts quote them (tests/fixtures/parse, README there
 * says which are real), #Fields headers that redefine the layout, '-' and '+' and percent
 * decoding with the raw value kept, the c-uri / cs-uri-query joins, and lines with too few or
 * too many columns. Every fixture line is handed to the parser as an exact-size heap copy with
 * no NUL after it, so a read past the line's end shows under ASan.
 */
#include "parse_helpers.h"

static void test_iis_default_layout_parses_real_webshell_command_line(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 6), WEIR_PARSE_OK); /* S20 devilzShell, no header */
    assert_int_equal(weir_event_format(ev), WEIR_FMT_IIS);
    expect_field(ev, WEIR_F_TIMESTAMP, "2022-10-06 18:51:06");
    expect_field(ev, WEIR_F_S_IP, "10.0.0.11");
    expect_field(ev, WEIR_F_CS_METHOD, "GET");
    expect_field(ev, WEIR_F_CS_URI_STEM, "/aspnet_netclient/4_0_30319/devilzShell.aspx");
    expect_field(ev, WEIR_F_S_PORT, "443");
    expect_field(ev, WEIR_F_C_IP, "20.106.209.84");
    expect_field(ev, WEIR_F_CS_USER_AGENT,
                 "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/106.0.0.0 Safari/537.36 Edg/106.0.1370.34");
    expect_field(ev, WEIR_F_SC_STATUS, "200");
    expect_field(ev, WEIR_F_SC_SUBSTATUS, "0");
    expect_field(ev, WEIR_F_SC_WIN32_STATUS, "0");
    expect_field(ev, WEIR_F_TIME_TAKEN, "432");
    expect_field(ev, WEIR_F_C_URI_EXTENSION, "aspx");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_iis_header_lines_are_reported_not_scanned(void **state)
{
    (void)state;
    static const char *const reasons[] = {"Software", "Version", "Date", "Fields"};
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(parse_fx(p, ev, &fx, i), WEIR_PARSE_HEADER);
        assert_string_equal(weir_event_reason(ev), reasons[i]);
        assert_int_equal(weir_event_nfields(ev), 0);
    }
    for (size_t i = 4; i < fx.n; i++)
        assert_int_equal(parse_fx(p, ev, &fx, i), WEIR_PARSE_OK);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_iis_fields_header_redefines_the_layout_for_later_lines(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_HEADER);
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_HEADER); /* 8 custom columns */
    assert_int_equal(parse_fx(p, ev, &fx, 2), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_METHOD, "GET");
    expect_field(ev, WEIR_F_C_IP, "203.0.113.9");
    expect_field(ev, WEIR_F_SC_STATUS, "500");
    expect_absent(ev, WEIR_F_S_IP);
    /* back to the 15 standard columns: the 8-column line no longer fits */
    assert_int_equal(parse_fx(p, ev, &fx, 4), WEIR_PARSE_HEADER);
    assert_int_equal(parse_fx(p, ev, &fx, 2), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "8 columns, the layout has 15");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_iis_dash_is_an_empty_value_and_the_raw_dash_is_kept(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 4), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_USERNAME, "");
    expect_raw(ev, WEIR_F_CS_USERNAME, "-");
    expect_field(ev, WEIR_F_CS_REFERRER, "");
    expect_field(ev, WEIR_F_S_IP, "xxx"); /* anonymised by S18, kept as is */
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_iis_user_agent_plus_signs_are_spaces(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 4), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_USER_AGENT,
                 "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/65.0.2345 Safari/537.36");
    expect_raw(ev, WEIR_F_CS_USER_AGENT,
               "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+"
               "Chrome/65.0.2345+Safari/537.36");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_c_uri_joins_iis_stem_and_query_with_a_question_mark(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 4), WEIR_PARSE_OK);
    const char *want = "/owa/auth/RedirSuiteServerProxy.aspx?&CorrelationID=<empty>;&cafeReqId="
                       "cde28fc4-299e-4179-b3e9-de56f5c1d9ee;&encoding=;";
    expect_field(ev, WEIR_F_C_URI, want);
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/auth/RedirSuiteServerProxy.aspx");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_cs_uri_query_is_the_full_uri_and_the_query_alone_stays_raw(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 7), WEIR_PARSE_OK); /* S21 OWA login */
    const char *query =
        "&CorrelationID=<empty>;&cafeReqId=370783e0-b245-4649-84ec-66858324fcb2;&encoding=;";
    char full[256];
    snprintf(full, sizeof(full), "/owa/auth.owa?%s", query);
    expect_field(ev, weir_field_lookup("cs-uri-query"), full);
    expect_field(ev, weir_field_lookup("cs-uri-query-raw"), query);
    expect_field(ev, weir_field_lookup("c-uri"), full);
    expect_field(ev, WEIR_F_CS_USERNAME, "joergs");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_iis_uri_fields_are_percent_decoded_and_raw_kept(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 6), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_URI_QUERY_RAW,
                 "dir=C:\\&cmd=dsquery+*+-filter+\"(adminCount=1)\"&btnCommand=Execute");
    expect_raw(ev, WEIR_F_CS_URI_QUERY_RAW,
               "dir=C%3A%5C&cmd=dsquery+*+-filter+%22%28adminCount%3D1%29%22&btnCommand=Execute");
    expect_field(ev, WEIR_F_CS_REFERRER,
                 "https://20.62.174.61/aspnet_netclient/4_0_30319/devilzShell.aspx?dir=C:\\&cmd="
                 "nltest+/domain_trusts+/all_trusts&btnCommand=Execute");
    expect_field(ev, WEIR_F_CS_URI_QUERY,
                 "/aspnet_netclient/4_0_30319/devilzShell.aspx?dir=C:\\&cmd=dsquery+*+-filter+"
                 "\"(adminCount=1)\"&btnCommand=Execute");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_iis_real_benign_lines_parse(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 8), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_USERNAME, "XXXXXXX\\seanryan");
    expect_field(ev, WEIR_F_CS_USER_AGENT, "Apple-iPad7C2/1805.212");
    assert_int_equal(parse_fx(p, ev, &fx, 9), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_SC_STATUS, "401");
    expect_field(ev, WEIR_F_SC_WIN32_STATUS, "2148074254");
    expect_field(ev, WEIR_F_S_IP, "10.7x.xx.2x");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_iis_line_with_too_few_columns_is_malformed(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_proxyshell_edited.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "13 columns, the layout has 15");
    weir_view line = weir_event_line(ev);
    assert_ptr_equal(line.p, fx.line[0]);
    assert_int_equal(line.len, fx.len[0]);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_iis_line_with_too_many_columns_is_malformed(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 5), WEIR_PARSE_MALFORMED); /* UA not '+'-encoded */
    expect_malformed(ev, "20 columns, the layout has 15");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_crlf_line_ending_is_not_part_of_the_last_column(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_str(p, ev,
                               "2021-01-01 00:00:00 10.0.0.1 GET /owa/ - 443 - 1.2.3.4 UA - "
                               "200 0 0 7\r\n"),
                     WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_TIME_TAKEN, "7");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iis_default_layout_parses_real_webshell_command_line),
        cmocka_unit_test(test_iis_header_lines_are_reported_not_scanned),
        cmocka_unit_test(test_iis_fields_header_redefines_the_layout_for_later_lines),
        cmocka_unit_test(test_iis_dash_is_an_empty_value_and_the_raw_dash_is_kept),
        cmocka_unit_test(test_iis_user_agent_plus_signs_are_spaces),
        cmocka_unit_test(test_c_uri_joins_iis_stem_and_query_with_a_question_mark),
        cmocka_unit_test(test_cs_uri_query_is_the_full_uri_and_the_query_alone_stays_raw),
        cmocka_unit_test(test_iis_uri_fields_are_percent_decoded_and_raw_kept),
        cmocka_unit_test(test_iis_real_benign_lines_parse),
        cmocka_unit_test(test_iis_line_with_too_few_columns_is_malformed),
        cmocka_unit_test(test_iis_line_with_too_many_columns_is_malformed),
        cmocka_unit_test(test_crlf_line_ending_is_not_part_of_the_last_column),
    };
    return parse_tests_done(cmocka_run_group_tests(tests, NULL, NULL));
}
