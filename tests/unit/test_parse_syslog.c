/*
 * Event parsing, syslog (filter/parse_syslog.c): postfix lines as real logs write them, RFC
 * 3164 with and without PRI, RFC 5424 with structured data and NILVALUEs, rsyslog's RFC 3339
 * file format, and the headers that are malformed. Every fixture line is handed to the parser
 * as an exact-size heap copy with no NUL after it, so a read past the line's end shows under
 * ASan.
 */
#include "parse_helpers.h"

static void test_syslog_postfix_line_yields_host_program_pid_and_message(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "syslog_postfix.log");
    weir_parser *p = new_parser(WEIR_FMT_SYSLOG);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_TIMESTAMP, "Mar 16 00:01:25");
    expect_field(ev, WEIR_F_HOSTNAME, "evita");
    expect_field(ev, WEIR_F_PROGRAM, "postfix/smtpd");
    expect_field(ev, WEIR_F_PID, "1713");
    expect_field(ev, WEIR_F_MESSAGE, "connect from camomile.cloud9.net[168.100.1.3]");
    expect_absent(ev, WEIR_F_PRI);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_syslog_rfc3164_with_pri_and_padded_day(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "syslog_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_SYSLOG);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_PRI, "22");
    expect_field(ev, WEIR_F_TIMESTAMP, "Mar  6 01:02:03");
    expect_field(ev, WEIR_F_HOSTNAME, "mx1");
    expect_field(ev, WEIR_F_PID, "2024");
    expect_field(ev, WEIR_F_MESSAGE, "NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 "
                                     "<x@example.org>: Relay access denied");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_syslog_rfc5424_with_structured_data(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "syslog_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_SYSLOG);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_PRI, "165");
    expect_field(ev, WEIR_F_TIMESTAMP, "2023-03-01T09:12:44.501Z");
    expect_field(ev, WEIR_F_HOSTNAME, "mx2.example.org");
    expect_field(ev, WEIR_F_PROGRAM, "postfix/smtp");
    expect_field(ev, WEIR_F_PID, "4242");
    expect_field(ev, WEIR_F_MSGID, "ID47");
    expect_field(ev, WEIR_F_STRUCTURED_DATA,
                 "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\"]"
                 "[meta note=\"a \\\"q\\\" \\] b\"]");
    expect_field(ev, WEIR_F_MESSAGE, "status=sent");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_syslog_rfc5424_nil_values_leave_fields_unset(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "syslog_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_SYSLOG);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 2), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_TIMESTAMP, "2023-03-01T09:12:45Z");
    expect_absent(ev, WEIR_F_HOSTNAME);
    expect_absent(ev, WEIR_F_PROGRAM);
    expect_absent(ev, WEIR_F_STRUCTURED_DATA);
    expect_absent(ev, WEIR_F_MESSAGE);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_syslog_rfc3339_file_format_is_accepted(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "syslog_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_SYSLOG);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 3), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_TIMESTAMP, "2023-03-01T09:12:44.501234+00:00");
    expect_field(ev, WEIR_F_PROGRAM, "dovecot");
    expect_field(ev, WEIR_F_MESSAGE, "imap-login: Login: user=<bob>");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_syslog_without_pri_or_timestamp_is_malformed(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_SYSLOG);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_str(p, ev, "evita postfix/smtpd[1713]: connect from x"),
                     WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "no PRI and no timestamp");
    assert_int_equal(parse_str(p, ev, "<13>hello"), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "no RFC 3164 or RFC 5424 header after PRI");
    assert_int_equal(parse_str(p, ev, "<192>Mar 16 00:01:25 h p: m"), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "invalid PRI");
    assert_int_equal(parse_str(p, ev, "<13"), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "invalid PRI");
    assert_int_equal(parse_str(p, ev, "<13>1 2023-03-01T09:12:45Z host"), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "RFC 5424 header incomplete");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

static void test_syslog_unterminated_structured_data_is_malformed(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_SYSLOG);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_str(p, ev, "<13>1 2023-03-01T09:12:45Z h a 1 m [id k=\"v] msg"),
                     WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "unterminated structured data");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syslog_postfix_line_yields_host_program_pid_and_message),
        cmocka_unit_test(test_syslog_rfc3164_with_pri_and_padded_day),
        cmocka_unit_test(test_syslog_rfc5424_with_structured_data),
        cmocka_unit_test(test_syslog_rfc5424_nil_values_leave_fields_unset),
        cmocka_unit_test(test_syslog_rfc3339_file_format_is_accepted),
        cmocka_unit_test(test_syslog_without_pri_or_timestamp_is_malformed),
        cmocka_unit_test(test_syslog_unterminated_structured_data_is_malformed),
    };
    return parse_tests_done(cmocka_run_group_tests(tests, NULL, NULL));
}
