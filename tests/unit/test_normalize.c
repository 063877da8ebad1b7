/*
 * Normalisation: the pure helpers (percent-decoding, '+', '-') and what the parser composes
 * from them (c-uri, the Sigma-facing cs-uri-query, c-uri-extension, the IIS timestamp), per
 * facts §0.1, §0.2 and §0.4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "weir/event.h"
#include "weir/normalize.h"

static void expect_decoded(const char *in, const char *want)
{
    size_t n = strlen(in);
    char *src = malloc(n ? n : 1); /* exact size: a read past the end shows under ASan */
    char *dst = malloc(n ? n : 1);
    memcpy(src, in, n);
    size_t len = weir_norm_percent_decode(src, n, dst);
    if (len != strlen(want) || memcmp(dst, want, len) != 0)
        fail_msg("decode('%s') = '%.*s', want '%s'", in, (int)len, dst, want);
    free(src);
    free(dst);
}

static void test_percent_decode_turns_valid_escapes_into_bytes(void **state)
{
    (void)state;
    expect_decoded("autodiscover.json%3f@foo.com", "autodiscover.json?@foo.com");
    expect_decoded("%2Fecp%2fDDI", "/ecp/DDI");
    expect_decoded("%41%42c", "ABc");
    expect_decoded("%e9%FF", "\xe9\xff");
    expect_decoded("", "");
}

static void test_percent_decode_keeps_invalid_escapes_literally(void **state)
{
    (void)state;
    expect_decoded("%zz", "%zz");
    expect_decoded("a%4", "a%4");
    expect_decoded("a%", "a%");
    expect_decoded("%%41", "%A");
    expect_decoded("%u0041", "%u0041"); /* IIS %u escapes are not percent-encoding */
    expect_decoded("%4g%g4", "%4g%g4");
}

static void test_percent_decode_keeps_percent_00_visible(void **state)
{
    (void)state;
    expect_decoded("shell.aspx%00.jpg", "shell.aspx%00.jpg");
    expect_decoded("%00%41", "%00A");
}

static void test_percent_decode_decodes_only_once(void **state)
{
    (void)state;
    expect_decoded("%2541", "%41");
    expect_decoded("%252e%252e", "%2e%2e");
}

static void test_percent_decode_leaves_plus_alone(void **state)
{
    (void)state;
    expect_decoded("cmd=dsquery+*+-filter", "cmd=dsquery+*+-filter");
}

static void test_percent_decode_works_in_place(void **state)
{
    (void)state;
    char buf[] = "a%2Fb%3Fc";
    size_t len = weir_norm_percent_decode(buf, strlen(buf), buf);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "a/b?c", 5);
}

static void test_plus_to_space_turns_every_plus_into_a_space(void **state)
{
    (void)state;
    const char *in = "Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html";
    char out[128];
    size_t len = weir_norm_plus_to_space(in, strlen(in), out);
    const char *want = "Mozilla/5.0 (compatible; Googlebot/2.1;  http://www.google.com/bot.html";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
}

/* Every length from 0 to 80 (16-byte blocks and every tail) at every alignment, random bytes
 * with many '+': each '+' and nothing else becomes a space, and nothing past n is written. */
static void test_plus_to_space_at_every_length_and_alignment(void **state)
{
    (void)state;
    uint32_t x = 12345;
    char src[100], out[100];
    for (size_t off = 0; off < 16; off++) {
        for (size_t n = 0; n <= 80; n++) {
            for (size_t i = 0; i < n; i++) {
                x = x * 1103515245u + 12345u;
                src[off + i] = (x >> 16) % 3 == 0 ? '+' : (char)(x >> 8);
            }
            memset(out, '#', sizeof(out));
            assert_int_equal(weir_norm_plus_to_space(src + off, n, out + off), n);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(out[off + i], src[off + i] == '+' ? ' ' : src[off + i]);
            assert_int_equal(out[off + n], '#');
        }
    }
}

static void test_dash_is_the_empty_marker_only_when_alone(void **state)
{
    (void)state;
    assert_true(weir_norm_is_dash("-", 1));
    assert_false(weir_norm_is_dash("--", 2));
    assert_false(weir_norm_is_dash("-x", 2));
    assert_false(weir_norm_is_dash("", 0));
}

/* ---- composed fields, through the parser -------------------------------------------------- */

typedef struct ctx {
    weir_event *ev;
    char *copy;
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof(*c));
    char err[256];
    c->ev = weir_event_new(0, err, sizeof(err));
    *state = c;
    return c->ev ? 0 : -1;
}

static int teardown(void **state)
{
    ctx *c = *state;
    weir_event_destroy(c->ev);
    free(c->copy);
    free(c);
    return 0;
}

/* Parses lines (the last is the event; earlier ones are headers) in format f. */
static const weir_event *parse(void **state, weir_format f, const char *const *lines, size_t n)
{
    ctx *c = *state;
    char err[256];
    weir_parser *p = weir_parser_new(f, err, sizeof(err));
    assert_non_null(p);
    int rc = WEIR_PARSE_MALFORMED;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lines[i]);
        free(c->copy);
        c->copy = malloc(len ? len : 1);
        memcpy(c->copy, lines[i], len);
        rc = weir_parser_parse(p, c->copy, len, c->ev);
    }
    weir_parser_destroy(p);
    if (rc != WEIR_PARSE_OK)
        fail_msg("parse failed: %s", weir_event_reason(c->ev));
    return c->ev;
}

static void expect_view(const weir_view *v, int id, const char *want)
{
    if (!v)
        fail_msg("%s absent, want '%s'", weir_field_name(id), want);
    if (v->len != strlen(want) || memcmp(v->p, want, v->len) != 0)
        fail_msg("%s: got '%.*s', want '%s'", weir_field_name(id), (int)v->len, v->p, want);
}

#define IIS_LINE(query, ua)                                                                        \
    "2021-03-05 03:06:27 10.0.0.1 GET /owa/auth/x.aspx " query " 443 - 1.2.3.4 " ua              \
    " - 200 0 0 133"

static void test_c_uri_is_the_stem_alone_when_the_iis_query_is_dash(void **state)
{
    const char *lines[] = {IIS_LINE("-", "UA")};
    const weir_event *ev = parse(state, WEIR_FMT_IIS, lines, 1);
    expect_view(weir_event_get(ev, WEIR_F_C_URI), WEIR_F_C_URI, "/owa/auth/x.aspx");
    expect_view(weir_event_get_raw(ev, WEIR_F_C_URI), WEIR_F_C_URI, "/owa/auth/x.aspx");
    expect_view(weir_event_get(ev, WEIR_F_CS_URI_QUERY), WEIR_F_CS_URI_QUERY, "/owa/auth/x.aspx");
    expect_view(weir_event_get(ev, WEIR_F_CS_URI_QUERY_RAW), WEIR_F_CS_URI_QUERY_RAW, "");
}

static void test_c_uri_is_the_stem_alone_when_the_csv_query_is_empty(void **state)
{
    const char *lines[] = {"#Fields: DateTime,UrlStem,UrlQuery",
                           "2023-01-01T00:00:00.000Z,/owa/auth/logon.aspx,"};
    const weir_event *ev = parse(state, WEIR_FMT_HTTPPROXY, lines, 2);
    expect_view(weir_event_get(ev, WEIR_F_C_URI), WEIR_F_C_URI, "/owa/auth/logon.aspx");
}

static void test_raw_c_uri_keeps_escapes_that_the_normalised_one_decodes(void **state)
{
    /* ProxyShell's PoC form (facts §3.7): Sigma lists both "%3f@" and "?@" spellings */
    const char *lines[] = {IIS_LINE("@evil.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@"
                                    "evil.com",
                                    "python-requests/2.26.0")};
    const weir_event *ev = parse(state, WEIR_FMT_IIS, lines, 1);
    expect_view(weir_event_get(ev, WEIR_F_C_URI), WEIR_F_C_URI,
                "/owa/auth/x.aspx?@evil.com/mapi/nspi/?&Email=autodiscover/autodiscover.json?@"
                "evil.com");
    expect_view(weir_event_get_raw(ev, WEIR_F_CS_URI_QUERY), WEIR_F_CS_URI_QUERY,
                "/owa/auth/x.aspx?@evil.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@"
                "evil.com");
}

static void test_percent_00_in_a_query_stays_visible_in_c_uri(void **state)
{
    const char *lines[] = {IIS_LINE("f=shell.aspx%00.jpg&g=%2e", "UA")};
    const weir_event *ev = parse(state, WEIR_FMT_IIS, lines, 1);
    expect_view(weir_event_get(ev, WEIR_F_C_URI), WEIR_F_C_URI,
                "/owa/auth/x.aspx?f=shell.aspx%00.jpg&g=.");
}

static void test_iis_stem_is_decoded_before_composition(void **state)
{
    const char *lines[] = {"#Fields: date time cs-method cs-uri-stem cs-uri-query",
                           "2021-03-03 06:49:43 GET /owa/auth/%2e%2e/y.aspx p=%2541"};
    const weir_event *ev = parse(state, WEIR_FMT_IIS, lines, 2);
    expect_view(weir_event_get(ev, WEIR_F_CS_URI_STEM), WEIR_F_CS_URI_STEM, "/owa/auth/../y.aspx");
    expect_view(weir_event_get(ev, WEIR_F_C_URI), WEIR_F_C_URI, "/owa/auth/../y.aspx?p=%41");
}

static void test_plus_is_a_space_in_iis_cookies_too(void **state)
{
    const char *lines[] = {"#Fields: date time cs-uri-stem cs(Cookie)",
                           "2021-03-03 06:49:42 /owa/auth/x.js X-AnonResource=true;"
                           "+X-AnonResource-Backend=localhost/ecp/default.flt?~3"};
    const weir_event *ev = parse(state, WEIR_FMT_IIS, lines, 2);
    expect_view(weir_event_get(ev, WEIR_F_CS_COOKIE), WEIR_F_CS_COOKIE,
                "X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3");
}

static void test_plus_stays_a_plus_outside_iis(void **state)
{
    const char *lines[] = {"#Fields: DateTime,UserAgent,UrlStem",
                           "2023-01-01T00:00:00.000Z,Mozilla/5.0+(compatible),/owa/"};
    const weir_event *ev = parse(state, WEIR_FMT_HTTPPROXY, lines, 2);
    expect_view(weir_event_get(ev, WEIR_F_CS_USER_AGENT), WEIR_F_CS_USER_AGENT,
                "Mozilla/5.0+(compatible)");
}

static void test_httpproxy_double_space_for_a_comma_is_left_as_logged(void **state)
{
    const char *lines[] = {"#Fields: DateTime,UserAgent",
                           "2023-01-06T02:20:32.841Z,Mozilla/5.0 (KHTML  like Gecko) Chrome/62"};
    const weir_event *ev = parse(state, WEIR_FMT_HTTPPROXY, lines, 2);
    expect_view(weir_event_get(ev, WEIR_F_CS_USER_AGENT), WEIR_F_CS_USER_AGENT,
                "Mozilla/5.0 (KHTML  like Gecko) Chrome/62");
}

static void test_dash_is_a_literal_value_outside_w3c(void **state)
{
    const char *lines[] = {"#Fields: DateTime,AuthenticatedUser,UrlStem",
                           "2023-01-01T00:00:00.000Z,-,/owa/"};
    const weir_event *ev = parse(state, WEIR_FMT_HTTPPROXY, lines, 2);
    expect_view(weir_event_get(ev, WEIR_F_CS_USERNAME), WEIR_F_CS_USERNAME, "-");
}

static void test_uri_extension_is_the_suffix_of_the_last_segment(void **state)
{
    const char *lines[] = {IIS_LINE("-", "UA")};
    const weir_event *ev = parse(state, WEIR_FMT_IIS, lines, 1);
    expect_view(weir_event_get(ev, WEIR_F_C_URI_EXTENSION), WEIR_F_C_URI_EXTENSION, "aspx");
    const char *dir[] = {"#Fields: date time cs-uri-stem", "2021-03-03 06:49:43 /owa.v2/auth/"};
    ev = parse(state, WEIR_FMT_IIS, dir, 2);
    assert_null(weir_event_get(ev, WEIR_F_C_URI_EXTENSION));
    const char *enc[] = {"#Fields: date time cs-uri-stem", "2021-03-03 06:49:43 /x/shell%2Easpx"};
    ev = parse(state, WEIR_FMT_IIS, enc, 2);
    expect_view(weir_event_get(ev, WEIR_F_C_URI_EXTENSION), WEIR_F_C_URI_EXTENSION, "aspx");
}

static void test_iis_timestamp_joins_date_and_time(void **state)
{
    const char *lines[] = {IIS_LINE("-", "UA")};
    const weir_event *ev = parse(state, WEIR_FMT_IIS, lines, 1);
    expect_view(weir_event_get(ev, WEIR_F_TIMESTAMP), WEIR_F_TIMESTAMP, "2021-03-05 03:06:27");
    expect_view(weir_event_get(ev, WEIR_F_DATE), WEIR_F_DATE, "2021-03-05");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_decode_turns_valid_escapes_into_bytes),
        cmocka_unit_test(test_percent_decode_keeps_invalid_escapes_literally),
        cmocka_unit_test(test_percent_decode_keeps_percent_00_visible),
        cmocka_unit_test(test_percent_decode_decodes_only_once),
        cmocka_unit_test(test_percent_decode_leaves_plus_alone),
        cmocka_unit_test(test_percent_decode_works_in_place),
        cmocka_unit_test(test_plus_to_space_turns_every_plus_into_a_space),
        cmocka_unit_test(test_plus_to_space_at_every_length_and_alignment),
        cmocka_unit_test(test_dash_is_the_empty_marker_only_when_alone),
        cmocka_unit_test_setup_teardown(test_c_uri_is_the_stem_alone_when_the_iis_query_is_dash,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_c_uri_is_the_stem_alone_when_the_csv_query_is_empty,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_raw_c_uri_keeps_escapes_that_the_normalised_one_decodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_percent_00_in_a_query_stays_visible_in_c_uri, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_iis_stem_is_decoded_before_composition, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_plus_is_a_space_in_iis_cookies_too, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plus_stays_a_plus_outside_iis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_httpproxy_double_space_for_a_comma_is_left_as_logged,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_dash_is_a_literal_value_outside_w3c, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uri_extension_is_the_suffix_of_the_last_segment,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_iis_timestamp_joins_date_and_time, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
