/*
 * Event parsing, auto-detection and the parser object (filter/parse_auto.c): each format picked
 * from the line's shape, #Fields and #Log-type headers and export CSV header rows selecting
 * format and layout, a header format applying only to lines of its family, CSV lines that need
 * a header, and parser reset. Every fixture line is handed to the parser as an exact-size heap
 * copy with no NUL after it, so a read past the line's end shows under ASan.
 */
#include "parse_helpers.h"

static void test_auto_detects_each_format_from_the_line_shape(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        size_t line;
        weir_format want;
    } cases[] = {
        {"iis_real.log", 6, WEIR_FMT_IIS},
        {"httpproxy_real.log", 5, WEIR_FMT_HTTPPROXY},
        {"ecp_synthetic.log", 0, WEIR_FMT_ECP},
        {"rpshttp_synthetic.log", 0, WEIR_FMT_RPSHTTP},
        {"smtpreceive_synthetic.log", 0, WEIR_FMT_SMTPRECEIVE},
        {"msgtrack_synthetic.log", 0, WEIR_FMT_MSGTRACK},
        {"syslog_postfix.log", 0, WEIR_FMT_SYSLOG},
        {"syslog_synthetic.log", 0, WEIR_FMT_SYSLOG},
        {"syslog_synthetic.log", 1, WEIR_FMT_SYSLOG},
        {"syslog_synthetic.log", 3, WEIR_FMT_SYSLOG},
        {"combined_synthetic.log", 0, WEIR_FMT_COMBINED},
        {"combined_synthetic.log", 2, WEIR_FMT_COMBINED},
        {"json_synthetic.log", 0, WEIR_FMT_JSON},
    };
    weir_event *ev = new_event(0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fixture fx;
        fx_load(&fx, cases[i].file);
        weir_parser *p = new_parser(WEIR_FMT_AUTO); /* fresh: no header seen */
        int rc = parse_fx(p, ev, &fx, cases[i].line);
        if (rc != WEIR_PARSE_OK || weir_event_format(ev) != cases[i].want)
            fail_msg("%s:%zu: rc %d format %s (%s), want %s", cases[i].file, cases[i].line, rc,
                     weir_format_name(weir_event_format(ev)),
                     weir_event_reason(ev) ? weir_event_reason(ev) : "",
                     weir_format_name(cases[i].want));
        weir_parser_destroy(p);
        fx_free(&fx);
    }
    weir_event_destroy(ev);
}

static void test_auto_fields_header_selects_format_and_layout(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_AUTO);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_HEADER);
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_HEADER);
    assert_int_equal(weir_event_format(ev), WEIR_FMT_IIS);
    assert_int_equal(parse_fx(p, ev, &fx, 2), WEIR_PARSE_OK);
    assert_int_equal(weir_event_format(ev), WEIR_FMT_IIS);
    expect_field(ev, WEIR_F_SC_STATUS, "500"); /* 8th custom column */
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_auto_reads_exchange_headers_and_export_csv_rows(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        size_t first_data;
        weir_format want;
    } cases[] = {
        {"httpproxy_real.log", 5, WEIR_FMT_HTTPPROXY},
        {"httpproxy_testproxylogon.csv", 1, WEIR_FMT_HTTPPROXY},
        {"ecp_real.log", 1, WEIR_FMT_ECP},
    };
    weir_event *ev = new_event(0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fixture fx;
        fx_load(&fx, cases[i].file);
        weir_parser *p = new_parser(WEIR_FMT_AUTO);
        for (size_t k = 0; k < cases[i].first_data; k++)
            assert_int_equal(parse_fx(p, ev, &fx, k), WEIR_PARSE_HEADER);
        for (size_t k = cases[i].first_data; k < fx.n; k++) {
            assert_int_equal(parse_fx(p, ev, &fx, k), WEIR_PARSE_OK);
            assert_int_equal(weir_event_format(ev), cases[i].want);
        }
        weir_parser_destroy(p);
        fx_free(&fx);
    }
    weir_event_destroy(ev);
}

static void test_auto_log_type_alone_selects_oab(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "oab_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_AUTO);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_MALFORMED); /* no shape, no header */
    expect_malformed(ev, "format not recognised");
    assert_int_equal(parse_str(p, ev, "#Log-type: OAB Generator Log"), WEIR_PARSE_HEADER);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    assert_int_equal(weir_event_format(ev), WEIR_FMT_OAB);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_auto_header_format_applies_only_to_lines_of_its_family(void **state)
{
    (void)state;
    fixture hp, js;
    fx_load(&hp, "httpproxy_real.log");
    fx_load(&js, "json_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_AUTO);
    weir_event *ev = new_event(0);
    for (size_t k = 0; k < 5; k++)
        parse_fx(p, ev, &hp, k);
    assert_int_equal(parse_fx(p, ev, &js, 0), WEIR_PARSE_OK);
    assert_int_equal(weir_event_format(ev), WEIR_FMT_JSON);
    assert_int_equal(parse_fx(p, ev, &hp, 5), WEIR_PARSE_OK);
    assert_int_equal(weir_event_format(ev), WEIR_FMT_HTTPPROXY);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&hp);
    fx_free(&js);
}

static void test_auto_csv_line_with_unknown_column_count_needs_a_header(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_AUTO);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_str(p, ev, "2023-01-01T00:00:00.000Z,a,b"), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "needs its #Fields");
    assert_int_equal(parse_str(p, ev, "hello world"), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "format not recognised");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

static void test_parser_reset_forgets_the_header_layout(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    parse_str(p, ev, "#Fields: date time cs-method");
    assert_int_equal(parse_fx(p, ev, &fx, 6), WEIR_PARSE_MALFORMED);
    weir_parser_reset(p);
    assert_int_equal(parse_fx(p, ev, &fx, 6), WEIR_PARSE_OK);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_detects_each_format_from_the_line_shape),
        cmocka_unit_test(test_auto_fields_header_selects_format_and_layout),
        cmocka_unit_test(test_auto_reads_exchange_headers_and_export_csv_rows),
        cmocka_unit_test(test_auto_log_type_alone_selects_oab),
        cmocka_unit_test(test_auto_header_format_applies_only_to_lines_of_its_family),
        cmocka_unit_test(test_auto_csv_line_with_unknown_column_count_needs_a_header),
        cmocka_unit_test(test_parser_reset_forgets_the_header_layout),
    };
    return parse_tests_done(cmocka_run_group_tests(tests, NULL, NULL));
}
