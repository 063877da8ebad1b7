/* The Hyperscan engine: which rules an event hits, and how compile errors are reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <hs/hs.h>
#include <stdio.h>
#include <string.h>

#include "weir/engine.h"

static weir_engine *engine_of(const char *const *regexes, size_t n)
{
    char err[512];
    weir_ruleset *rs = weir_ruleset_new();
    for (size_t i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof(id), "r%zu", i);
        int r = weir_ruleset_add_rule(rs, id, "t", "high", "mem.rules", (unsigned)i + 1);
        assert_true(r >= 0);
        assert_int_equal(weir_ruleset_add_expr(rs, (uint32_t)r, regexes[i],
                                               HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH,
                                               "mem.rules", (unsigned)i + 1),
                         0);
    }
    weir_engine *e = NULL;
    if (weir_engine_new(&e, rs, err, sizeof(err)) != 0)
        fail_msg("compile failed: %s", err);
    return e;
}

static size_t scan(weir_scanner *s, const char *line, size_t len, uint32_t *out)
{
    char err[256];
    weir_hits h;
    assert_int_equal(weir_scanner_scan(s, line, len, &h, err, sizeof(err)), 0);
    for (size_t i = 0; i < h.n; i++)
        out[i] = h.rules[i];
    return h.n;
}

static void test_hits_are_sorted_unique_rule_indices(void **state)
{
    (void)state;
    const char *re[] = {"whoami", "/ecp/[a-z]{1,3}\\.js", "POST", "nomatch-xyz"};
    weir_engine *e = engine_of(re, 4);
    char err[256];
    weir_scanner *s = weir_scanner_new(e, err, sizeof(err));
    uint32_t hits[8];
    const char *line = "POST /ecp/y.js cmd=whoami whoami POST";
    size_t n = scan(s, line, strlen(line), hits);
    assert_int_equal(n, 3); /* each rule once, though "POST" and "whoami" occur twice */
    assert_int_equal(hits[0], 0);
    assert_int_equal(hits[1], 1);
    assert_int_equal(hits[2], 2);
    weir_scanner_destroy(s);
    weir_engine_destroy(e);
}

static void test_matching_is_case_insensitive(void **state)
{
    (void)state;
    const char *re[] = {"/owa/auth/current/themes/resources/"};
    weir_engine *e = engine_of(re, 1);
    char err[256];
    weir_scanner *s = weir_scanner_new(e, err, sizeof(err));
    uint32_t hits[4];
    const char *line = "POST /OWA/Auth/Current/themes/resources/logon.css";
    assert_int_equal(scan(s, line, strlen(line), hits), 1);
    weir_scanner_destroy(s);
    weir_engine_destroy(e);
}

static void test_a_second_scan_forgets_the_first(void **state)
{
    (void)state;
    const char *re[] = {"alpha", "beta"};
    weir_engine *e = engine_of(re, 2);
    char err[256];
    weir_scanner *s = weir_scanner_new(e, err, sizeof(err));
    uint32_t hits[4];
    assert_int_equal(scan(s, "alpha beta", 10, hits), 2);
    assert_int_equal(scan(s, "beta", 4, hits), 1);
    assert_int_equal(hits[0], 1);
    assert_int_equal(scan(s, "gamma", 5, hits), 0);
    weir_scanner_destroy(s);
    weir_engine_destroy(e);
}

static void test_bytes_after_a_nul_are_scanned(void **state)
{
    (void)state;
    const char *re[] = {"shell\\.aspx"};
    weir_engine *e = engine_of(re, 1);
    char err[256];
    weir_scanner *s = weir_scanner_new(e, err, sizeof(err));
    uint32_t hits[4];
    const char line[] = "GET /x\0/aspnet_client/shell.aspx";
    assert_int_equal(scan(s, line, sizeof(line) - 1, hits), 1);
    /* and nothing past the given length is read */
    assert_int_equal(scan(s, line, 8, hits), 0);
    weir_scanner_destroy(s);
    weir_engine_destroy(e);
}

static void test_empty_event_hits_nothing(void **state)
{
    (void)state;
    const char *re[] = {"a"};
    weir_engine *e = engine_of(re, 1);
    char err[256];
    weir_scanner *s = weir_scanner_new(e, err, sizeof(err));
    uint32_t hits[4];
    assert_int_equal(scan(s, NULL, 0, hits), 0);
    weir_scanner_destroy(s);
    weir_engine_destroy(e);
}

static void test_rejected_regex_error_names_file_line_rule_and_reason(void **state)
{
    (void)state;
    char err[512] = "";
    weir_ruleset *rs = weir_ruleset_new();
    assert_int_equal(weir_rules_load_file(rs, FIXTURES "/rules/hs_reject.rules", err,
                                          sizeof(err)),
                     0);
    weir_engine *e = NULL;
    assert_int_equal(weir_engine_new(&e, rs, err, sizeof(err)), -1);
    assert_null(e);
    if (!strstr(err, "hs_reject.rules:1: rule r-backref: Hyperscan rejected") ||
        !strstr(err, "Back-references are unsupported"))
        fail_msg("unexpected error: %s", err);
    weir_ruleset_destroy(rs); /* still the caller's after a failed compile */
}

static void test_empty_rule_set_is_an_error(void **state)
{
    (void)state;
    char err[512] = "";
    weir_ruleset *rs = weir_ruleset_new();
    weir_engine *e = NULL;
    assert_int_equal(weir_engine_new(&e, rs, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no rules"));
    weir_ruleset_destroy(rs);
}

static void test_rules_hash_changes_with_the_rules(void **state)
{
    (void)state;
    const char *a[] = {"alpha"}, *b[] = {"alphb"};
    weir_engine *ea = engine_of(a, 1), *ea2 = engine_of(a, 1), *eb = engine_of(b, 1);
    assert_string_equal(weir_engine_rules_hash(ea), weir_engine_rules_hash(ea2));
    assert_string_not_equal(weir_engine_rules_hash(ea), weir_engine_rules_hash(eb));
    weir_engine_destroy(ea);
    weir_engine_destroy(ea2);
    weir_engine_destroy(eb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hits_are_sorted_unique_rule_indices),
        cmocka_unit_test(test_matching_is_case_insensitive),
        cmocka_unit_test(test_a_second_scan_forgets_the_first),
        cmocka_unit_test(test_bytes_after_a_nul_are_scanned),
        cmocka_unit_test(test_empty_event_hits_nothing),
        cmocka_unit_test(test_rejected_regex_error_names_file_line_rule_and_reason),
        cmocka_unit_test(test_empty_rule_set_is_an_error),
        cmocka_unit_test(test_rules_hash_changes_with_the_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
