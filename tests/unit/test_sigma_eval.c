/* Sigma semantics, pinned through the reference evaluator: one behaviour per test, each a small
 * rule run against events built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "weir/sigma.h"

#define RULE(det) "title: t\nid: r-1\nlogsource:\n    category: webserver\ndetection:\n" det

/* An event: field/value pairs (a field may repeat: a multi-valued field) and a raw line. */
typedef struct kv {
    const char *k, *v;
} kv;

typedef struct event {
    const kv *kvs;
    size_t n;
    sigma_str found[8];
} event;

static size_t lookup(void *ctx, const char *field, const sigma_str **values)
{
    event *ev = ctx;
    size_t n = 0;
    for (size_t i = 0; i < ev->n && n < 8; i++)
        if (!strcmp(ev->kvs[i].k, field))
            ev->found[n++] = (sigma_str){ev->kvs[i].v, strlen(ev->kvs[i].v)};
    *values = ev->found;
    return n;
}

/* Loads the one rule in yaml (it must load) and evaluates it; returns sigma_eval's result. */
static int run(const char *yaml, const kv *kvs, size_t n, const char *raw, char *err, size_t errlen)
{
    sigma_ruleset *set = sigma_ruleset_new();
    char lerr[1024] = "";
    if (sigma_load_buffer(set, "t.yml", yaml, strlen(yaml), lerr, sizeof(lerr)) != 0)
        fail_msg("rule did not load: %s", lerr);
    event ev = {kvs, n, {{0}}};
    sigma_event e = {lookup, &ev, raw, raw ? strlen(raw) : 0};
    int rc = sigma_eval(set->entries[0].rule, &e, err, errlen);
    sigma_ruleset_destroy(set);
    return rc;
}

static int match(const char *yaml, const kv *kvs, size_t n, const char *raw)
{
    char err[512] = "";
    int rc = run(yaml, kvs, n, raw, err, sizeof(err));
    if (rc < 0)
        fail_msg("evaluation failed: %s", err);
    return rc;
}

/* One field, one value. */
static int match1(const char *yaml, const char *field, const char *value)
{
    kv e[] = {{field, value}};
    return match(yaml, e, 1, NULL);
}

static int match_raw(const char *yaml, const char *raw)
{
    return match(yaml, NULL, 0, raw);
}

#define SEL(body) RULE("    sel:\n" body "    condition: sel\n")

/* ---- Plain values and wildcards ------------------------------------------------------------- */

static void test_plain_value_matches_whole_field_case_insensitively(void **state)
{
    (void)state;
    const char *y = SEL("        cs-method: 'post'\n");
    assert_true(match1(y, "cs-method", "POST"));
    assert_false(match1(y, "cs-method", "POSTX"));
    assert_false(match1(y, "cs-method", "XPOST"));
}

static void test_absent_field_does_not_match_a_value(void **state)
{
    (void)state;
    assert_false(match1(SEL("        cs-method: 'POST'\n"), "other", "POST"));
}

static void test_star_matches_any_run_including_empty(void **state)
{
    (void)state;
    const char *y = SEL("        u: '/ecp/*.js'\n");
    assert_true(match1(y, "u", "/ecp/y.js"));
    assert_true(match1(y, "u", "/ecp/.js"));
    assert_true(match1(y, "u", "/ecp/a/b/c.JS"));
    assert_false(match1(y, "u", "/ecp/y.jsx"));
}

static void test_question_mark_matches_exactly_one_character(void **state)
{
    (void)state;
    const char *y = SEL("        u: '/ecp/?.js'\n");
    assert_true(match1(y, "u", "/ecp/a.js"));
    assert_false(match1(y, "u", "/ecp/ab.js"));
    assert_false(match1(y, "u", "/ecp/.js"));
}

static void test_question_mark_matches_one_utf8_character(void **state)
{
    (void)state;
    const char *y = SEL("        u: 'caf?'\n");
    assert_true(match1(y, "u", "caf\xc3\xa9"));
    assert_false(match1(y, "u", "caf\xc3\xa9s"));
}

static void test_star_backtracks_to_find_a_later_match(void **state)
{
    (void)state;
    assert_true(match1(SEL("        u: '*ab*abc'\n"), "u", "xxabxabxxabc"));
}

static void test_escaped_star_is_a_literal_star(void **state)
{
    (void)state;
    const char *y = SEL("        u: 'a\\*b'\n");
    assert_true(match1(y, "u", "a*b"));
    assert_false(match1(y, "u", "axxb"));
}

static void test_escaped_question_mark_is_literal(void **state)
{
    (void)state;
    const char *y = SEL("        u: 'what\\?'\n");
    assert_true(match1(y, "u", "what?"));
    assert_false(match1(y, "u", "whats"));
}

static void test_lone_backslash_before_a_letter_is_literal(void **state)
{
    (void)state;
    const char *y = SEL("        p: 'C:\\Windows\\cmd.exe'\n");
    assert_true(match1(y, "p", "c:\\windows\\cmd.exe"));
}

static void test_escaped_backslash_before_star_leaves_the_star_a_wildcard(void **state)
{
    (void)state;
    const char *y = SEL("        p: 'C:\\\\*'\n");
    assert_true(match1(y, "p", "C:\\Windows"));
    assert_false(match1(y, "p", "C:Windows"));
}

static void test_three_backslashes_and_star_are_backslash_and_literal_star(void **state)
{
    (void)state;
    const char *y = SEL("        p: 'a\\\\\\*'\n");
    assert_true(match1(y, "p", "a\\*"));
    assert_false(match1(y, "p", "a\\x"));
}

static void test_empty_string_matches_only_an_empty_field(void **state)
{
    (void)state;
    const char *y = SEL("        q: ''\n");
    assert_true(match1(y, "q", ""));
    assert_false(match1(y, "q", "x"));
    assert_false(match1(y, "other", ""));
}

/* ---- Lists and maps ------------------------------------------------------------------------- */

static void test_list_of_values_is_or(void **state)
{
    (void)state;
    const char *y = SEL("        m:\n            - GET\n            - HEAD\n");
    assert_true(match1(y, "m", "head"));
    assert_false(match1(y, "m", "POST"));
}

static void test_map_entries_are_and(void **state)
{
    (void)state;
    const char *y = SEL("        m: POST\n        u|contains: '/ecp/'\n");
    kv both[] = {{"m", "POST"}, {"u", "/ecp/x"}};
    kv one[] = {{"m", "POST"}, {"u", "/owa/x"}};
    assert_true(match(y, both, 2, NULL));
    assert_false(match(y, one, 2, NULL));
}

static void test_list_of_maps_is_or_of_maps(void **state)
{
    (void)state;
    const char *y = SEL("        - m: PUT\n        - m: POST\n          u: '/x'\n");
    kv put[] = {{"m", "PUT"}, {"u", "/y"}};
    kv post_wrong[] = {{"m", "POST"}, {"u", "/y"}};
    assert_true(match(y, put, 2, NULL));
    assert_false(match(y, post_wrong, 2, NULL));
}

static void test_multi_valued_field_matches_when_any_value_does(void **state)
{
    (void)state;
    kv e[] = {{"h", "a.example"}, {"h", "evil.example"}};
    assert_true(match(SEL("        h: 'evil.*'\n"), e, 2, NULL));
}

/* ---- Modifiers ------------------------------------------------------------------------------ */

static void test_contains_matches_anywhere_case_insensitively(void **state)
{
    (void)state;
    const char *y = SEL("        q|contains: 'autodiscover.json%3f@'\n");
    assert_true(match1(y, "q", "/autodiscover/autodiscover.json%3F@foo.com/mapi"));
    assert_false(match1(y, "q", "/autodiscover/autodiscover.json"));
}

static void test_startswith_anchors_at_the_start_only(void **state)
{
    (void)state;
    const char *y = SEL("        u|startswith: '/owa/auth/'\n");
    assert_true(match1(y, "u", "/owa/auth/x.aspx"));
    assert_false(match1(y, "u", "/x/owa/auth/"));
}

static void test_endswith_anchors_at_the_end_only(void **state)
{
    (void)state;
    const char *y = SEL("        u|endswith: '.aspx'\n");
    assert_true(match1(y, "u", "/owa/auth/x.ASPX"));
    assert_false(match1(y, "u", "/x.aspx/y"));
}

static void test_cased_makes_matching_case_sensitive(void **state)
{
    (void)state;
    const char *y = SEL("        u|contains|cased: '/OWA/'\n");
    assert_true(match1(y, "u", "/OWA/x"));
    assert_false(match1(y, "u", "/owa/x"));
}

static void test_contains_all_requires_every_value(void **state)
{
    (void)state;
    const char *y = SEL("        u|contains|all:\n            - '/ecp/'\n            - '.js'\n");
    assert_true(match1(y, "u", "/ecp/y.js"));
    assert_false(match1(y, "u", "/ecp/y.css"));
}

static void test_re_is_an_unanchored_case_sensitive_search(void **state)
{
    (void)state;
    const char *y = SEL("        u|re: 'ab+c'\n");
    assert_true(match1(y, "u", "xxabbbcxx"));
    assert_false(match1(y, "u", "ABBC"));
}

static void test_re_i_ignores_case(void **state)
{
    (void)state;
    assert_true(match1(SEL("        u|re|i: 'ab+c'\n"), "u", "xABBCx"));
}

static void test_re_m_anchors_at_line_breaks(void **state)
{
    (void)state;
    assert_false(match1(SEL("        u|re: '^b$'\n"), "u", "a\nb\nc"));
    assert_true(match1(SEL("        u|re|m: '^b$'\n"), "u", "a\nb\nc"));
}

static void test_re_s_lets_dot_match_newline(void **state)
{
    (void)state;
    assert_false(match1(SEL("        u|re: 'a.c'\n"), "u", "a\nc"));
    assert_true(match1(SEL("        u|re|s: 'a.c'\n"), "u", "a\nc"));
}

static void test_regex_that_does_not_compile_is_an_error_naming_rule_and_line(void **state)
{
    (void)state;
    char err[512] = "";
    kv e[] = {{"u", "x"}};
    assert_int_equal(run(SEL("        u|re: 'a(b'\n"), e, 1, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "t.yml:7: rule r-1: regex 'a(b'"));
}

static void test_exists_true_needs_the_field_even_if_empty(void **state)
{
    (void)state;
    const char *y = SEL("        r|exists: true\n");
    assert_true(match1(y, "r", ""));
    assert_false(match1(y, "other", "x"));
}

static void test_exists_false_needs_the_field_absent(void **state)
{
    (void)state;
    const char *y = SEL("        r|exists: false\n");
    assert_false(match1(y, "r", ""));
    assert_true(match1(y, "other", "x"));
}

static void test_cidr_matches_addresses_inside_the_network(void **state)
{
    (void)state;
    const char *y =
        SEL("        ip|cidr:\n            - '10.0.0.0/8'\n            - 'fe80::/10'\n");
    assert_true(match1(y, "ip", "10.200.3.4"));
    assert_true(match1(y, "ip", "fe80::1"));
    assert_false(match1(y, "ip", "11.0.0.1"));
    assert_false(match1(y, "ip", "10.0.0.1x"));
}

static void test_gt_compares_numerically(void **state)
{
    (void)state;
    const char *y = SEL("        bytes|gt: 1000\n");
    assert_true(match1(y, "bytes", "1001"));
    assert_true(match1(y, "bytes", "10000"));
    assert_false(match1(y, "bytes", "1000"));
    assert_false(match1(y, "bytes", "lots"));
}

static void test_gte_lt_lte_bound_inclusively_as_named(void **state)
{
    (void)state;
    assert_true(match1(SEL("        n|gte: 5\n"), "n", "5"));
    assert_true(match1(SEL("        n|lt: 5\n"), "n", "4.5"));
    assert_false(match1(SEL("        n|lt: 5\n"), "n", "5"));
    assert_true(match1(SEL("        n|lte: 5\n"), "n", "5"));
}

static void test_neq_matches_values_other_than_those_listed(void **state)
{
    (void)state;
    const char *y = SEL("        m|neq:\n            - GET\n            - HEAD\n");
    assert_true(match1(y, "m", "POST"));
    assert_false(match1(y, "m", "get"));
}

/* ---- Null, numbers, booleans ---------------------------------------------------------------- */

static void test_null_matches_an_absent_or_empty_field(void **state)
{
    (void)state;
    const char *y = SEL("        ref: null\n");
    assert_true(match1(y, "other", "x"));
    assert_true(match1(y, "ref", ""));
    assert_false(match1(y, "ref", "http://x"));
}

static void test_integer_matches_the_field_text(void **state)
{
    (void)state;
    const char *y = SEL("        sc-status: 200\n");
    assert_true(match1(y, "sc-status", "200"));
    assert_false(match1(y, "sc-status", "2000"));
    assert_false(match1(y, "sc-status", "200.0"));
}

static void test_integer_list_is_or_of_texts(void **state)
{
    (void)state;
    const char *y = SEL("        sc-status:\n            - 200\n            - 302\n");
    assert_true(match1(y, "sc-status", "302"));
    assert_false(match1(y, "sc-status", "404"));
}

static void test_boolean_matches_its_text_case_insensitively(void **state)
{
    (void)state;
    assert_true(match1(SEL("        ok: true\n"), "ok", "True"));
    assert_false(match1(SEL("        ok: true\n"), "ok", "1"));
}

/* ---- Keywords ------------------------------------------------------------------------------- */

static void test_keyword_list_searches_the_raw_event_for_any(void **state)
{
    (void)state;
    const char *y = RULE("    kw:\n        - 'whoami'\n        - 'net user'\n"
                         "    condition: kw\n");
    assert_true(match_raw(y, "GET /x?c=NET%20USER&d=1 net user 200"));
    assert_false(match_raw(y, "GET /x 200"));
}

static void test_keyword_all_needs_every_keyword(void **state)
{
    (void)state;
    const char *y = RULE("    kw:\n        '|all':\n            - 'OabVirtualDirectory'\n"
                         "            - ' -ExternalUrl '\n    condition: kw\n");
    assert_true(match_raw(y, "Set-OabVirtualDirectory -ExternalUrl 'http://x'"));
    assert_false(match_raw(y, "Set-OabVirtualDirectory -InternalUrl 'http://x'"));
}

static void test_keyword_wildcard_matches_inside_the_event(void **state)
{
    (void)state;
    const char *y = RULE("    kw: 'select*from'\n    condition: kw\n");
    assert_true(match_raw(y, "q=1 UNION SELECT a FROM b--"));
    assert_false(match_raw(y, "q=1 FROM b SELECT"));
}

static void test_keyword_without_a_raw_event_is_an_error(void **state)
{
    (void)state;
    char err[512] = "";
    assert_int_equal(
        run(RULE("    kw:\n        - 'x'\n    condition: kw\n"), NULL, 0, NULL, err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "rule r-1: keyword search needs the raw event"));
}

/* ---- Conditions ----------------------------------------------------------------------------- */

#define ABC                                                                                        \
    RULE("    a:\n        f: a\n    b:\n        g: b\n    c:\n        h: c\n"                      \
         "    condition: a or b and not c\n")

static void test_or_of_and_not_follows_precedence(void **state)
{
    (void)state;
    kv b_and_c[] = {{"g", "b"}, {"h", "c"}};
    kv a_and_c[] = {{"f", "a"}, {"h", "c"}};
    kv b_only[] = {{"g", "b"}};
    assert_false(match(ABC, b_and_c, 2, NULL)); /* a false, b and not c false */
    assert_true(match(ABC, a_and_c, 2, NULL));
    assert_true(match(ABC, b_only, 1, NULL));
}

#define SELS(cond)                                                                                 \
    RULE("    sel_a:\n        f: a\n    sel_b:\n        g: b\n    _filter:\n        h: x\n"        \
         "    condition: " cond "\n")

static void test_one_of_pattern_needs_any_match(void **state)
{
    (void)state;
    kv b[] = {{"g", "b"}};
    kv none[] = {{"z", "z"}};
    assert_true(match(SELS("1 of sel_*"), b, 1, NULL));
    assert_false(match(SELS("1 of sel_*"), none, 1, NULL));
}

static void test_all_of_pattern_needs_every_match(void **state)
{
    (void)state;
    kv ab[] = {{"f", "a"}, {"g", "b"}};
    kv b[] = {{"g", "b"}};
    assert_true(match(SELS("all of sel_*"), ab, 2, NULL));
    assert_false(match(SELS("all of sel_*"), b, 1, NULL));
}

static void test_all_of_them_ignores_underscore_identifiers(void **state)
{
    (void)state;
    kv ab[] = {{"f", "a"}, {"g", "b"}}; /* _filter does not match, and need not */
    assert_true(match(SELS("all of them"), ab, 2, NULL));
}

static void test_and_not_filter_suppresses_a_match(void **state)
{
    (void)state;
    kv hit[] = {{"f", "a"}};
    kv filtered[] = {{"f", "a"}, {"h", "x"}};
    assert_true(match(SELS("sel_a and not _filter"), hit, 1, NULL));
    assert_false(match(SELS("sel_a and not _filter"), filtered, 2, NULL));
}

static void test_condition_list_matches_when_any_condition_does(void **state)
{
    (void)state;
    const char *y = RULE("    a:\n        f: a\n    b:\n        g: b\n"
                         "    condition:\n        - a\n        - b\n");
    kv b[] = {{"g", "b"}};
    kv none[] = {{"z", "z"}};
    assert_true(match(y, b, 1, NULL));
    assert_false(match(y, none, 1, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_value_matches_whole_field_case_insensitively),
        cmocka_unit_test(test_absent_field_does_not_match_a_value),
        cmocka_unit_test(test_star_matches_any_run_including_empty),
        cmocka_unit_test(test_question_mark_matches_exactly_one_character),
        cmocka_unit_test(test_question_mark_matches_one_utf8_character),
        cmocka_unit_test(test_star_backtracks_to_find_a_later_match),
        cmocka_unit_test(test_escaped_star_is_a_literal_star),
        cmocka_unit_test(test_escaped_question_mark_is_literal),
        cmocka_unit_test(test_lone_backslash_before_a_letter_is_literal),
        cmocka_unit_test(test_escaped_backslash_before_star_leaves_the_star_a_wildcard),
        cmocka_unit_test(test_three_backslashes_and_star_are_backslash_and_literal_star),
        cmocka_unit_test(test_empty_string_matches_only_an_empty_field),
        cmocka_unit_test(test_list_of_values_is_or),
        cmocka_unit_test(test_map_entries_are_and),
        cmocka_unit_test(test_list_of_maps_is_or_of_maps),
        cmocka_unit_test(test_multi_valued_field_matches_when_any_value_does),
        cmocka_unit_test(test_contains_matches_anywhere_case_insensitively),
        cmocka_unit_test(test_startswith_anchors_at_the_start_only),
        cmocka_unit_test(test_endswith_anchors_at_the_end_only),
        cmocka_unit_test(test_cased_makes_matching_case_sensitive),
        cmocka_unit_test(test_contains_all_requires_every_value),
        cmocka_unit_test(test_re_is_an_unanchored_case_sensitive_search),
        cmocka_unit_test(test_re_i_ignores_case),
        cmocka_unit_test(test_re_m_anchors_at_line_breaks),
        cmocka_unit_test(test_re_s_lets_dot_match_newline),
        cmocka_unit_test(test_regex_that_does_not_compile_is_an_error_naming_rule_and_line),
        cmocka_unit_test(test_exists_true_needs_the_field_even_if_empty),
        cmocka_unit_test(test_exists_false_needs_the_field_absent),
        cmocka_unit_test(test_cidr_matches_addresses_inside_the_network),
        cmocka_unit_test(test_gt_compares_numerically),
        cmocka_unit_test(test_gte_lt_lte_bound_inclusively_as_named),
        cmocka_unit_test(test_neq_matches_values_other_than_those_listed),
        cmocka_unit_test(test_null_matches_an_absent_or_empty_field),
        cmocka_unit_test(test_integer_matches_the_field_text),
        cmocka_unit_test(test_integer_list_is_or_of_texts),
        cmocka_unit_test(test_boolean_matches_its_text_case_insensitively),
        cmocka_unit_test(test_keyword_list_searches_the_raw_event_for_any),
        cmocka_unit_test(test_keyword_all_needs_every_keyword),
        cmocka_unit_test(test_keyword_wildcard_matches_inside_the_event),
        cmocka_unit_test(test_keyword_without_a_raw_event_is_an_error),
        cmocka_unit_test(test_or_of_and_not_follows_precedence),
        cmocka_unit_test(test_one_of_pattern_needs_any_match),
        cmocka_unit_test(test_all_of_pattern_needs_every_match),
        cmocka_unit_test(test_all_of_them_ignores_underscore_identifiers),
        cmocka_unit_test(test_and_not_filter_suppresses_a_match),
        cmocka_unit_test(test_condition_list_matches_when_any_condition_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
