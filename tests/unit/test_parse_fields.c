/*
 * Event parsing, the parts every format shares: the field registry (names, aliases, the
 * white-box name table of filter/event.c), format names, and the event object itself (fields
 * iterate in the order they were set; nothing of one line leaks into the next; an event told
 * to parse only some fields gives them exactly as a full one does).
 */
#include "parse_helpers.h"

/* ---- registry and format names ---------------------------------------------------------- */

static void test_field_lookup_is_case_insensitive_and_knows_aliases(void **state)
{
    (void)state;
    int ua = weir_field_lookup("cs-user-agent");
    assert_int_equal(ua, WEIR_F_CS_USER_AGENT);
    assert_int_equal(weir_field_lookup("c-useragent"), ua);
    assert_int_equal(weir_field_lookup("CS(USER-AGENT)"), ua);
    assert_int_equal(weir_field_lookup("UserAgent"), ua);
    assert_int_equal(weir_field_lookup("user_agent.original"), ua);
    assert_int_equal(weir_field_lookup("cs-referer"), weir_field_lookup("cs-referrer"));
    assert_int_equal(weir_field_lookup("r-dns"), WEIR_F_CS_HOST);
    assert_int_equal(weir_field_lookup("ANCHORMAILBOX"), WEIR_F_ANCHOR_MAILBOX);
    assert_int_equal(weir_field_lookup("UrlStem"), WEIR_F_CS_URI_STEM);
    assert_int_equal(weir_field_lookup("Method"), WEIR_F_CS_METHOD);
    assert_int_equal(weir_field_lookup("HttpStatus"), WEIR_F_SC_STATUS);
    assert_int_equal(weir_field_lookup("ClientIpAddress"), WEIR_F_C_IP);
    assert_int_equal(weir_field_lookup("UrlQuery"), WEIR_F_CS_URI_QUERY_RAW);
    assert_int_equal(weir_field_lookup("cs-uri-query"), WEIR_F_CS_URI_QUERY);
    assert_int_equal(weir_field_lookup("cmd"), WEIR_F_ECP_CMD);
    assert_int_equal(weir_field_lookupn("programXYZ", 7), WEIR_F_PROGRAM);
    assert_int_equal(weir_field_lookup("no-such-field"), -1);
    assert_int_equal(weir_field_lookup(""), -1);
}

/* White-box: the name table behind the lookups (filter/event.c). */
const char *field_name_entry(size_t i, int *id);

static void test_every_field_name_and_alias_resolves_to_its_own_id(void **state)
{
    (void)state;
    const char *name;
    int id;
    size_t n = 0;
    for (size_t i = 0; (name = field_name_entry(i, &id)) != NULL; i++, n++) {
        if (weir_field_lookup(name) != id)
            fail_msg("'%s' (id %d) resolves to %d: a name is used twice", name, id,
                     weir_field_lookup(name));
    }
    assert_true(n > WEIR_FIELD__COUNT);
    for (int f = 0; f < WEIR_FIELD__COUNT; f++)
        assert_non_null(weir_field_name(f));
    assert_null(weir_field_name(-1));
    assert_null(weir_field_name(WEIR_FIELD__COUNT));
}

static void test_format_names_round_trip_case_insensitively(void **state)
{
    (void)state;
    for (int f = 0; f < WEIR_FMT__COUNT; f++) {
        weir_format out = WEIR_FMT__COUNT;
        assert_int_equal(weir_format_parse(weir_format_name((weir_format)f), &out), 0);
        assert_int_equal(out, f);
    }
    weir_format out;
    assert_int_equal(weir_format_parse("HttpProxy", &out), 0);
    assert_int_equal(out, WEIR_FMT_HTTPPROXY);
    assert_int_equal(weir_format_parse("w3c", &out), -1);
    assert_string_equal(weir_format_name(WEIR_FMT__COUNT), "?");
}

/* ---- event object ----------------------------------------------------------------------- */

static void test_fields_iterate_in_the_order_they_were_set(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "syslog_postfix.log");
    weir_parser *p = new_parser(WEIR_FMT_SYSLOG);
    weir_event *ev = new_event(0);
    parse_fx(p, ev, &fx, 0);
    static const char *const want[] = {"timestamp", "hostname", "program", "pid", "message"};
    assert_int_equal(weir_event_nfields(ev), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(weir_field_name(weir_event_field_id(ev, i)), want[i]);
    assert_int_equal(weir_event_field_id(ev, 5), -1);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_fields_of_a_previous_line_do_not_leak_into_the_next(void **state)
{
    (void)state;
    fixture iis, pf;
    fx_load(&iis, "iis_real.log");
    fx_load(&pf, "syslog_postfix.log");
    weir_parser *pi = new_parser(WEIR_FMT_IIS), *ps = new_parser(WEIR_FMT_SYSLOG);
    weir_event *ev = new_event(0);
    assert_null(weir_event_get(ev, WEIR_F_TIMESTAMP)); /* nothing before the first parse */
    parse_fx(pi, ev, &iis, 6);
    assert_non_null(weir_event_get(ev, WEIR_F_C_IP));
    parse_fx(ps, ev, &pf, 0);
    expect_absent(ev, WEIR_F_C_IP);
    expect_absent(ev, WEIR_F_C_URI);
    expect_field(ev, WEIR_F_HOSTNAME, "evita");
    assert_null(weir_event_get(ev, -1));
    assert_null(weir_event_get(ev, WEIR_FIELD__COUNT));
    weir_event_destroy(ev);
    weir_parser_destroy(pi);
    weir_parser_destroy(ps);
    fx_free(&iis);
    fx_free(&pf);
}

/* ---- parsing only some fields ------------------------------------------------------------ */

static const char *const every_fixture[] = {
    "combined_synthetic.log", "ecp_real.log",          "ecp_synthetic.log",
    "httpproxy_real.log",     "httpproxy_testproxylogon.csv", "iis_proxyshell_edited.log",
    "iis_real.log",           "iis_synthetic.log",     "json_synthetic.log",
    "msgtrack_synthetic.log", "oab_synthetic.log",     "rpshttp_synthetic.log",
    "smtpreceive_synthetic.log", "syslog_postfix.log", "syslog_synthetic.log",
};

static void expect_same_view(const weir_view *got, const weir_view *want, int id, size_t line)
{
    if (!want && !got)
        return;
    if (!want || !got)
        fail_msg("line %zu, %s: %s in the full parse, %s in the restricted one", line,
                 weir_field_name(id), want ? "present" : "absent", got ? "present" : "absent");
    if (got->len != want->len || memcmp(got->p, want->p, got->len) != 0)
        fail_msg("line %zu, %s: '%.*s' restricted, '%.*s' full", line, weir_field_name(id),
                 (int)got->len, got->p, (int)want->len, want->p);
}

/* Every field, asked for alone, over every fixture line of every format: the restricted event
 * has the same verdict (status, reason) as a full one, the field's value and raw bytes the
 * same, and no field the full event lacks. Derived fields (c-uri, the IIS timestamp, the ECP
 * pairs) only come out right if what they are made from is parsed too. */
static void test_an_event_parsing_one_field_gives_it_as_a_full_parse_does(void **state)
{
    (void)state;
    weir_event *full = new_event(0), *one = new_event(0);
    for (size_t fi = 0; fi < sizeof(every_fixture) / sizeof(every_fixture[0]); fi++) {
        fixture fx;
        fx_load(&fx, every_fixture[fi]);
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "%.*s", (int)strcspn(every_fixture[fi], "_"),
                 every_fixture[fi]);
        weir_format f;
        assert_int_equal(weir_format_parse(prefix, &f), 0);
        for (int id = 0; id < WEIR_FIELD__COUNT; id++) {
            weir_parser *pf = new_parser(f), *po = new_parser(f);
            weir_event_parse_only(one, &id, 1);
            for (size_t i = 0; i < fx.n; i++) {
                int sf = parse_fx(pf, full, &fx, i), so = parse_fx(po, one, &fx, i);
                assert_int_equal(so, sf);
                const char *rf = weir_event_reason(full), *ro = weir_event_reason(one);
                if (rf || ro)
                    assert_string_equal(ro ? ro : "(none)", rf ? rf : "(none)");
                expect_same_view(weir_event_get(one, id), weir_event_get(full, id), id, i);
                expect_same_view(weir_event_get_raw(one, id), weir_event_get_raw(full, id), id,
                                 i);
                for (size_t k = 0; k < weir_event_nfields(one); k++)
                    assert_non_null(weir_event_get(full, weir_event_field_id(one, k)));
                assert_true(weir_event_nfields(one) <= weir_event_nfields(full));
            }
            weir_parser_destroy(pf);
            weir_parser_destroy(po);
        }
        fx_free(&fx);
    }
    weir_event_destroy(full);
    weir_event_destroy(one);
}

/* What the restriction is for: of an HttpProxy line's 74 columns only those asked for are set,
 * and the line is still counted whole, so a column too many is still malformed. */
static void test_an_event_parsing_some_fields_skips_the_rest_and_still_counts_columns(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "httpproxy_real.log");
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    int ids[] = {WEIR_F_C_IP, WEIR_F_CS_USER_AGENT};
    weir_event_parse_only(ev, ids, 2);
    size_t data = fx.n;
    for (size_t i = 0; i < fx.n; i++)
        if (parse_fx(p, ev, &fx, i) == WEIR_PARSE_OK) {
            data = i;
            break;
        }
    assert_true(data < fx.n);
    assert_int_equal(weir_event_nfields(ev), 2);
    assert_non_null(weir_event_get(ev, WEIR_F_C_IP));
    expect_absent(ev, WEIR_F_ANCHOR_MAILBOX);
    expect_absent(ev, WEIR_F_CS_URI_STEM);

    char *longer = malloc(fx.len[data] + 3);
    memcpy(longer, fx.line[data], fx.len[data]);
    memcpy(longer + fx.len[data], ",x", 2);
    assert_int_equal(weir_parser_parse(p, longer, fx.len[data] + 2, ev), WEIR_PARSE_MALFORMED);
    assert_int_equal(weir_event_nfields(ev), 0);
    free(longer);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_lookup_is_case_insensitive_and_knows_aliases),
        cmocka_unit_test(test_every_field_name_and_alias_resolves_to_its_own_id),
        cmocka_unit_test(test_format_names_round_trip_case_insensitively),
        cmocka_unit_test(test_fields_iterate_in_the_order_they_were_set),
        cmocka_unit_test(test_fields_of_a_previous_line_do_not_leak_into_the_next),
        cmocka_unit_test(test_an_event_parsing_one_field_gives_it_as_a_full_parse_does),
        cmocka_unit_test(test_an_event_parsing_some_fields_skips_the_rest_and_still_counts_columns),
    };
    return parse_tests_done(cmocka_run_group_tests(tests, NULL, NULL));
}
