/* The Sigma loader: what the tree holds for each construct, and that every rejection names
 * file, line, rule id and the construct. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "weir/sigma.h"

#define FX(name) FIXTURES "/sigma/" name

/* A rule around a detection body; the body's first line is line 6 of the buffer. */
#define RULE(det) "title: t\nid: r-1\nlogsource:\n    category: webserver\ndetection:\n" det

static sigma_ruleset *load_buf(const char *yaml, int *rc)
{
    char err[1024] = "";
    sigma_ruleset *set = sigma_ruleset_new();
    assert_non_null(set);
    *rc = sigma_load_buffer(set, "t.yml", yaml, strlen(yaml), err, sizeof(err));
    return set;
}

/* Loads a one-rule buffer that must load; the set owns the rule. */
static const sigma_rule *load_ok(sigma_ruleset **set, const char *yaml)
{
    int rc;
    *set = load_buf(yaml, &rc);
    if (rc != 0)
        fail_msg("expected the rule to load, got: %s",
                 (*set)->nentries ? (*set)->entries[0].error : "(nothing)");
    assert_int_equal((*set)->nloaded, 1);
    return (*set)->entries[0].rule;
}

static void expect_reject(const char *yaml, const char *needle1, const char *needle2)
{
    int rc;
    sigma_ruleset *set = load_buf(yaml, &rc);
    assert_int_equal(rc, 1);
    assert_int_equal(set->nloaded, 0);
    const char *e = set->entries[0].error;
    assert_non_null(e);
    if (!strstr(e, needle1) || (needle2 && !strstr(e, needle2)))
        fail_msg("error '%s' lacks '%s' / '%s'", e, needle1, needle2 ? needle2 : "");
    sigma_ruleset_destroy(set);
}

static void expect_file_error(const char *path, const char *where, const char *what)
{
    char err[1024] = "";
    sigma_ruleset *set = sigma_ruleset_new();
    assert_int_equal(sigma_load_file(set, path, err, sizeof(err)), 1);
    assert_int_equal(set->nloaded, 0);
    if (!strstr(err, where) || !strstr(err, what))
        fail_msg("error '%s' lacks '%s' / '%s'", err, where, what);
    assert_string_equal(set->entries[0].error, err);
    sigma_ruleset_destroy(set);
}

static const sigma_item *item_of(const sigma_rule *r, size_t search, size_t kid)
{
    const sigma_det *d = &r->searches[search].det;
    if (d->kind == SIGMA_DET_ITEM)
        return &d->item;
    assert_true(kid < d->nkids);
    assert_int_equal(d->kids[kid].kind, SIGMA_DET_ITEM);
    return &d->kids[kid].item;
}

static void assert_parts(const sigma_value *v, const char *expect)
{
    /* expect: the parts written back with '*' and '?' for wildcards and '<lit>' for literals */
    char buf[256] = "";
    assert_int_equal(v->kind, SIGMA_MATCH_GLOB);
    for (size_t i = 0; i < v->u.glob.nparts; i++) {
        const sigma_part *p = &v->u.glob.parts[i];
        size_t n = strlen(buf);
        if (p->kind == SIGMA_PART_STAR)
            snprintf(buf + n, sizeof(buf) - n, "*");
        else if (p->kind == SIGMA_PART_QMARK)
            snprintf(buf + n, sizeof(buf) - n, "?");
        else
            snprintf(buf + n, sizeof(buf) - n, "<%s>", p->lit);
    }
    assert_string_equal(buf, expect);
}

/* ---- Files and documents -------------------------------------------------------------------- */

static void test_metadata_logsource_and_lines_are_kept(void **state)
{
    (void)state;
    char err[1024] = "";
    sigma_ruleset *set = sigma_ruleset_new();
    assert_int_equal(sigma_load_file(set, FX("multi.yml"), err, sizeof(err)), 1);
    const sigma_rule *r = set->entries[0].rule;
    assert_non_null(r);
    assert_string_equal(r->file, FX("multi.yml"));
    assert_int_equal(r->line, 1);
    assert_string_equal(r->id, "6f1c0b8f-2a01-4b53-9c1e-5b0f7a520d01");
    assert_string_equal(r->title, "Web shell names under the OWA auth folder");
    assert_string_equal(r->status, "experimental");
    assert_string_equal(r->level, "high");
    assert_string_equal(r->author, "weir tests");
    assert_string_equal(r->date, "2021-03-03");
    assert_string_equal(r->modified, "2021-03-10");
    assert_non_null(strstr(r->description, "/owa/auth/"));
    assert_int_equal(r->tags.n, 3);
    assert_string_equal(r->tags.v[2], "cve.2021-26855");
    assert_int_equal(r->references.n, 1);
    assert_int_equal(r->fields.n, 2);
    assert_string_equal(r->fields.v[1], "cs-uri-stem");
    assert_int_equal(r->falsepositives.n, 1);
    assert_string_equal(r->logsource.category, "webserver");
    assert_string_equal(r->logsource.product, "windows");
    assert_string_equal(r->logsource.service, "iis");
    assert_non_null(r->logsource.definition);
    assert_int_equal(r->nsearches, 2);
    assert_string_equal(r->searches[0].name, "selection");
    assert_int_equal(r->searches[0].line, 20);
    assert_int_equal(item_of(r, 0, 2)->line, 23);
    assert_int_equal(item_of(r, 1, 0)->values[1].line, 27);
    assert_int_equal(r->cond_line, 28);
    sigma_ruleset_destroy(set);
}

static void test_one_bad_document_does_not_stop_the_others(void **state)
{
    (void)state;
    char err[1024] = "";
    sigma_ruleset *set = sigma_ruleset_new();
    assert_int_equal(sigma_load_file(set, FX("multi.yml"), err, sizeof(err)), 1);
    assert_int_equal(set->nentries, 3);
    assert_int_equal(set->nloaded, 2);
    assert_int_equal(set->nrejected, 1);
    assert_null(set->entries[1].rule);
    assert_string_equal(set->entries[1].id, "6f1c0b8f-2a01-4b53-9c1e-5b0f7a520d02");
    assert_non_null(strstr(set->entries[1].error,
                           "multi.yml:42: rule 6f1c0b8f-2a01-4b53-9c1e-5b0f7a520d02: modifier "
                           "'windash' not supported"));
    assert_string_equal(err, set->entries[1].error);
    assert_int_equal(set->entries[2].rule->line, 46);
    /* a single string is a list of one */
    assert_int_equal(set->entries[2].rule->falsepositives.n, 1);
    sigma_ruleset_destroy(set);
}

static void test_yaml_syntax_error_names_file_line_and_rule(void **state)
{
    (void)state;
    expect_file_error(
        FX("bad/syntax_error.yml"),
        "syntax_error.yml:9: rule 5b0f7a52-0d7e-4a53-9c1e-6f1c0b8f2a01:", "YAML syntax error");
}

static void test_unknown_modifier_names_file_line_and_rule(void **state)
{
    (void)state;
    expect_file_error(FX("bad/unknown_modifier.yml"),
                      "unknown_modifier.yml:9: rule 0c6d8f4e-7b7a-4d0e-8a51-2f9b3e6c1d02:",
                      "unknown modifier 'contians'");
}

static void test_undefined_condition_identifier_names_file_line_and_rule(void **state)
{
    (void)state;
    expect_file_error(FX("bad/undefined_identifier.yml"),
                      "undefined_identifier.yml:11: rule 9e2a4c1b-3f5d-4e6a-b7c8-1d2e3f4a5b03:",
                      "identifier 'filtre'");
}

static void test_unsupported_modifier_names_the_modifier(void **state)
{
    (void)state;
    expect_file_error(FX("bad/unsupported_modifier.yml"),
                      "unsupported_modifier.yml:7: rule 3f2a6b1c-8d9e-4f0a-9b1c-2d3e4f5a6b04:",
                      "modifier 'base64offset' not supported");
}

static void test_aggregation_in_condition_is_rejected(void **state)
{
    (void)state;
    expect_file_error(FX("bad/aggregation.yml"), "aggregation.yml:8: rule 7a8b9c0d",
                      "aggregation '| count() by c-ip > 50' not supported");
}

static void test_rule_collection_rejects_every_document(void **state)
{
    (void)state;
    char err[1024] = "";
    sigma_ruleset *set = sigma_ruleset_new();
    assert_int_equal(sigma_load_file(set, FX("bad/collection.yml"), err, sizeof(err)), 3);
    assert_int_equal(set->nloaded, 0);
    assert_non_null(strstr(set->entries[2].error, "collection.yml:13: rule "
                                                  "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c07:"));
    assert_non_null(strstr(set->entries[2].error, "action: global"));
    sigma_ruleset_destroy(set);
}

static void test_directory_is_walked_recursively_in_name_order(void **state)
{
    (void)state;
    char err[1024] = "";
    sigma_ruleset *set = sigma_ruleset_new();
    /* bad/ (6 files, 8 documents, none loads) sorts before multi.yml (3 documents, 2 load) */
    assert_int_equal(sigma_load_path(set, FX(""), err, sizeof(err)), 9);
    assert_int_equal(set->nentries, 11);
    assert_int_equal(set->nloaded, 2);
    assert_non_null(strstr(set->entries[0].file, "bad/aggregation.yml"));
    assert_non_null(strstr(set->entries[10].file, "multi.yml"));
    sigma_ruleset_destroy(set);
}

static void test_missing_file_is_an_error_not_a_rejection(void **state)
{
    (void)state;
    char err[1024] = "";
    sigma_ruleset *set = sigma_ruleset_new();
    assert_int_equal(sigma_load_file(set, FX("nope.yml"), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "nope.yml"));
    assert_int_equal(set->nentries, 0);
    sigma_ruleset_destroy(set);
}

static void test_duplicate_key_is_rejected_not_overwritten(void **state)
{
    (void)state;
    expect_reject(RULE("    selection:\n        a: 1\n    selection:\n        b: 2\n"
                       "    condition: selection\n"),
                  "t.yml:8: rule r-1:", "duplicate key 'selection' (first at line 6)");
}

static void test_duplicate_rule_id_points_at_first_definition(void **state)
{
    (void)state;
    const char *y = RULE("    s:\n        a: 1\n    condition: s\n") "---\n" RULE(
        "    s:\n        a: 2\n    condition: s\n");
    int rc;
    sigma_ruleset *set = load_buf(y, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(set->entries[1].error, "t.yml:10: rule r-1: duplicate id (first "
                                                  "defined at t.yml:1)"));
    sigma_ruleset_destroy(set);
}

static void test_missing_title_is_rejected(void **state)
{
    (void)state;
    expect_reject("id: r-1\nlogsource:\n    category: w\ndetection:\n    s:\n        a: 1\n"
                  "    condition: s\n",
                  "t.yml:1: rule r-1:", "missing 'title'");
}

static void test_missing_condition_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        a: 1\n"), "rule r-1:", "no 'condition'");
}

static void test_level_outside_the_spec_is_rejected(void **state)
{
    (void)state;
    expect_reject("title: t\nid: r-1\nlevel: severe\nlogsource:\n    category: w\ndetection:\n"
                  "    s:\n        a: 1\n    condition: s\n",
                  "t.yml:3: rule r-1:", "level 'severe'");
}

static void test_timeframe_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        a: 1\n    timeframe: 5m\n    condition: s\n"),
                  "t.yml:8:", "'timeframe'");
}

/* ---- Detection shapes ----------------------------------------------------------------------- */

static void test_map_is_and_of_items(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        a: 1\n        b: x\n"
                                             "    condition: s\n"));
    assert_int_equal(r->searches[0].det.kind, SIGMA_DET_AND);
    assert_int_equal(r->searches[0].det.nkids, 2);
    assert_string_equal(item_of(r, 0, 1)->field, "b");
    sigma_ruleset_destroy(set);
}

static void test_list_of_maps_is_or_of_ands(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        - a: 1\n        - b: 2\n          "
                                             "c: 3\n    condition: s\n"));
    const sigma_det *d = &r->searches[0].det;
    assert_int_equal(d->kind, SIGMA_DET_OR);
    assert_int_equal(d->nkids, 2);
    assert_int_equal(d->kids[1].kind, SIGMA_DET_AND);
    assert_int_equal(d->kids[1].nkids, 2);
    sigma_ruleset_destroy(set);
}

static void test_list_of_plain_values_is_one_keyword_item(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    k:\n        - 'whoami'\n        - 'net user'\n"
                                             "    condition: k\n"));
    const sigma_item *it = item_of(r, 0, 0);
    assert_null(it->field);
    assert_false(it->all);
    assert_int_equal(it->nvalues, 2);
    /* a keyword is searched anywhere in the event */
    assert_parts(&it->values[1], "*<net user>*");
    sigma_ruleset_destroy(set);
}

static void test_all_key_makes_a_keyword_list_and(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    k:\n        '|all':\n            - 'Oab'\n"
                                             "            - ' -ExternalUrl '\n"
                                             "    condition: k\n"));
    const sigma_item *it = item_of(r, 0, 0);
    assert_null(it->field);
    assert_true(it->all);
    assert_int_equal(it->nvalues, 2);
    sigma_ruleset_destroy(set);
}

static void test_empty_search_identifier_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n    condition: s\n"), "t.yml:6:", "search identifier 's' is empty");
}

static void test_self_referencing_alias_is_rejected_not_followed(void **state)
{
    (void)state;
    expect_reject(RULE("    s: &a\n        - *a\n    condition: s\n"), "rule r-1:", "deeper");
}

/* ---- Values and escapes --------------------------------------------------------------------- */

static void test_plain_integer_is_an_integer_matching_its_decimal_text(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        sc-status: 200\n"
                                             "    condition: s\n"));
    const sigma_value *v = &item_of(r, 0, 0)->values[0];
    assert_int_equal(v->vtype, SIGMA_VT_INT);
    assert_string_equal(v->text, "200");
    assert_parts(v, "<200>");
    sigma_ruleset_destroy(set);
}

static void test_quoted_number_is_a_string(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        sc-status: '0x17'\n"
                                             "    condition: s\n"));
    assert_int_equal(item_of(r, 0, 0)->values[0].vtype, SIGMA_VT_STRING);
    sigma_ruleset_destroy(set);
}

static void test_plain_address_and_version_are_strings(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        c-ip: 10.0.0.1\n"
                                             "        ua|contains: python-requests/2.19.1\n"
                                             "    condition: s\n"));
    assert_int_equal(item_of(r, 0, 0)->values[0].vtype, SIGMA_VT_STRING);
    assert_parts(&item_of(r, 0, 0)->values[0], "<10.0.0.1>");
    assert_int_equal(item_of(r, 0, 1)->values[0].vtype, SIGMA_VT_STRING);
    sigma_ruleset_destroy(set);
}

static void test_time_of_day_is_rejected_as_a_sexagesimal_integer(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        t: 10:30\n    condition: s\n"),
                  "t.yml:7:", "is a number to YAML");
}

static void test_yaml11_boolean_word_is_rejected_as_ambiguous(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        flag: on\n    condition: s\n"),
                  "t.yml:7: rule r-1:", "plain value 'on' of 'flag' is a boolean in YAML 1.1");
}

static void test_hex_integer_is_rejected_as_ambiguous(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        opts: 0x17\n    condition: s\n"), "t.yml:7:", "quote it");
}

static void test_float_equality_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        v: 1.50\n    condition: s\n"), "t.yml:7:", "is a float");
}

static void test_string_modifier_on_integer_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        sc-status|startswith: 40\n    condition: s\n"),
                  "t.yml:7:", "modifier 'startswith' of 'sc-status|startswith' needs a string");
}

static void test_nul_byte_in_value_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        a: \"x\\0y\"\n    condition: s\n"), "t.yml:7:", "NUL byte");
}

static void test_backslash_escapes_only_wildcards_and_itself(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        a:\n"
                                             "            - 'x\\*y\\?z'\n"
                                             "            - 'C:\\Windows\\*'\n"
                                             "            - 'C:\\\\*'\n"
                                             "            - 'a\\\\\\*'\n"
                                             "            - 'a\\\\\\\\b'\n"
                                             "            - 'end\\'\n"
                                             "    condition: s\n"));
    const sigma_item *it = item_of(r, 0, 0);
    assert_parts(&it->values[0], "<x*y?z>");        /* \* and \? are literal */
    assert_parts(&it->values[1], "<C:\\Windows*>"); /* \W stays a backslash; \* literal */
    assert_parts(&it->values[2], "<C:\\>*");        /* \\* is a backslash, then a wildcard */
    assert_parts(&it->values[3], "<a\\*>");         /* \\\* is a backslash and a star */
    assert_parts(&it->values[4], "<a\\\\b>");       /* \\\\ is two backslashes */
    assert_parts(&it->values[5], "<end\\>");        /* a trailing backslash is literal */
    sigma_ruleset_destroy(set);
}

static void test_wildcards_split_into_parts(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        a: '/ecp/*.js?v=?'\n"
                                             "    condition: s\n"));
    assert_parts(&item_of(r, 0, 0)->values[0], "</ecp/>*<.js>?<v=>?");
    sigma_ruleset_destroy(set);
}

static void test_null_value_is_a_null_match(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        cs-referer: null\n"
                                             "    condition: s\n"));
    assert_int_equal(item_of(r, 0, 0)->values[0].kind, SIGMA_MATCH_NULL);
    sigma_ruleset_destroy(set);
}

static void test_null_inside_a_value_list_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        a:\n            - ''\n            - null\n"
                       "    condition: s\n"),
                  "t.yml:9:", "null in a list of values");
}

/* ---- Modifiers ------------------------------------------------------------------------------ */

static void test_contains_startswith_endswith_add_wildcards(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        a|contains: 'x'\n"
                                             "        b|startswith: 'x'\n"
                                             "        c|endswith: 'x'\n"
                                             "        d|contains: '*x'\n"
                                             "    condition: s\n"));
    assert_parts(&item_of(r, 0, 0)->values[0], "*<x>*");
    assert_parts(&item_of(r, 0, 1)->values[0], "<x>*");
    assert_parts(&item_of(r, 0, 2)->values[0], "*<x>");
    assert_parts(&item_of(r, 0, 3)->values[0], "*<x>*"); /* no doubled star */
    assert_int_equal(item_of(r, 0, 0)->mods, SIGMA_MOD_CONTAINS);
    sigma_ruleset_destroy(set);
}

static void test_cased_marks_values_case_sensitive(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        a|contains|cased: 'X'\n"
                                             "    condition: s\n"));
    assert_true(item_of(r, 0, 0)->values[0].u.glob.cased);
    sigma_ruleset_destroy(set);
}

static void test_re_flags_are_collected(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        a|re|i|m|s: '^x.y$'\n"
                                             "    condition: s\n"));
    const sigma_value *v = &item_of(r, 0, 0)->values[0];
    assert_int_equal(v->kind, SIGMA_MATCH_REGEX);
    assert_string_equal(v->text, "^x.y$");
    assert_int_equal(v->u.re_flags, SIGMA_RE_I | SIGMA_RE_M | SIGMA_RE_S);
    sigma_ruleset_destroy(set);
}

static void test_re_after_another_modifier_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        a|contains|re: 'x'\n    condition: s\n"),
                  "t.yml:7:", "modifier 're' must come first");
}

static void test_regex_flag_without_re_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        a|contains|i: 'x'\n    condition: s\n"),
                  "t.yml:7:", "needs 're' before it");
}

static void test_re_with_contains_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        a|re|contains: 'x'\n    condition: s\n"),
                  "t.yml:7:", "'contains' cannot combine with 're'");
}

static void test_exists_needs_a_boolean(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        a|exists: 'yes'\n    condition: s\n"),
                  "t.yml:7:", "'exists' of 'a|exists' needs true or false");
}

static void test_cidr_with_host_bits_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        ip|cidr: '10.1.0.0/8'\n    condition: s\n"),
                  "t.yml:7:", "host bits set");
}

static void test_cidr_parses_v4_and_v6(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        ip|cidr:\n"
                                             "            - '192.168.0.0/16'\n"
                                             "            - 'fe80::/10'\n"
                                             "    condition: s\n"));
    const sigma_item *it = item_of(r, 0, 0);
    assert_int_equal(it->values[0].u.cidr.prefix, 16);
    assert_int_equal(it->values[1].u.cidr.prefix, 10);
    assert_int_equal(it->values[1].u.cidr.addr[0], 0xfe);
    sigma_ruleset_destroy(set);
}

static void test_comparison_needs_a_number(void **state)
{
    (void)state;
    expect_reject(RULE("    s:\n        bytes|gt: 'many'\n    condition: s\n"),
                  "t.yml:7:", "modifier 'gt' of 'bytes|gt' needs a number");
}

static void test_neq_negates_the_item(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    s:\n        m|neq: 'GET'\n"
                                             "    condition: s\n"));
    assert_true(item_of(r, 0, 0)->negated);
    sigma_ruleset_destroy(set);
}

static void test_keyword_with_startswith_is_rejected(void **state)
{
    (void)state;
    expect_reject(RULE("    k:\n        '|startswith': 'x'\n    condition: k\n"),
                  "t.yml:7:", "modifier 'startswith' needs a field name");
}

static void test_encoding_and_expansion_modifiers_are_rejected_by_name(void **state)
{
    (void)state;
    const char *mods[] = {"base64",  "base64offset", "utf16le", "wide",
                          "windash", "expand",       "fieldref"};
    for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
        char y[512], want[64];
        snprintf(y, sizeof(y), RULE("    s:\n        a|%s: 'x'\n    condition: s\n"), mods[i]);
        snprintf(want, sizeof(want), "modifier '%s' not supported", mods[i]);
        expect_reject(y, "t.yml:7: rule r-1:", want);
    }
}

static void test_condition_list_is_an_or(void **state)
{
    (void)state;
    sigma_ruleset *set;
    const sigma_rule *r = load_ok(&set, RULE("    a:\n        x: 1\n    b:\n        y: 2\n"
                                             "    condition:\n        - a\n        - b\n"));
    char buf[64];
    sigma_cond_format(r->cond, r->searches, buf, sizeof(buf));
    assert_string_equal(buf, "(a or b)");
    sigma_ruleset_destroy(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_logsource_and_lines_are_kept),
        cmocka_unit_test(test_one_bad_document_does_not_stop_the_others),
        cmocka_unit_test(test_yaml_syntax_error_names_file_line_and_rule),
        cmocka_unit_test(test_unknown_modifier_names_file_line_and_rule),
        cmocka_unit_test(test_undefined_condition_identifier_names_file_line_and_rule),
        cmocka_unit_test(test_unsupported_modifier_names_the_modifier),
        cmocka_unit_test(test_aggregation_in_condition_is_rejected),
        cmocka_unit_test(test_rule_collection_rejects_every_document),
        cmocka_unit_test(test_directory_is_walked_recursively_in_name_order),
        cmocka_unit_test(test_missing_file_is_an_error_not_a_rejection),
        cmocka_unit_test(test_duplicate_key_is_rejected_not_overwritten),
        cmocka_unit_test(test_duplicate_rule_id_points_at_first_definition),
        cmocka_unit_test(test_missing_title_is_rejected),
        cmocka_unit_test(test_missing_condition_is_rejected),
        cmocka_unit_test(test_level_outside_the_spec_is_rejected),
        cmocka_unit_test(test_timeframe_is_rejected),
        cmocka_unit_test(test_map_is_and_of_items),
        cmocka_unit_test(test_list_of_maps_is_or_of_ands),
        cmocka_unit_test(test_list_of_plain_values_is_one_keyword_item),
        cmocka_unit_test(test_all_key_makes_a_keyword_list_and),
        cmocka_unit_test(test_empty_search_identifier_is_rejected),
        cmocka_unit_test(test_self_referencing_alias_is_rejected_not_followed),
        cmocka_unit_test(test_plain_integer_is_an_integer_matching_its_decimal_text),
        cmocka_unit_test(test_quoted_number_is_a_string),
        cmocka_unit_test(test_plain_address_and_version_are_strings),
        cmocka_unit_test(test_time_of_day_is_rejected_as_a_sexagesimal_integer),
        cmocka_unit_test(test_yaml11_boolean_word_is_rejected_as_ambiguous),
        cmocka_unit_test(test_hex_integer_is_rejected_as_ambiguous),
        cmocka_unit_test(test_float_equality_is_rejected),
        cmocka_unit_test(test_string_modifier_on_integer_is_rejected),
        cmocka_unit_test(test_nul_byte_in_value_is_rejected),
        cmocka_unit_test(test_backslash_escapes_only_wildcards_and_itself),
        cmocka_unit_test(test_wildcards_split_into_parts),
        cmocka_unit_test(test_null_value_is_a_null_match),
        cmocka_unit_test(test_null_inside_a_value_list_is_rejected),
        cmocka_unit_test(test_contains_startswith_endswith_add_wildcards),
        cmocka_unit_test(test_cased_marks_values_case_sensitive),
        cmocka_unit_test(test_re_flags_are_collected),
        cmocka_unit_test(test_re_after_another_modifier_is_rejected),
        cmocka_unit_test(test_regex_flag_without_re_is_rejected),
        cmocka_unit_test(test_re_with_contains_is_rejected),
        cmocka_unit_test(test_exists_needs_a_boolean),
        cmocka_unit_test(test_cidr_with_host_bits_is_rejected),
        cmocka_unit_test(test_cidr_parses_v4_and_v6),
        cmocka_unit_test(test_comparison_needs_a_number),
        cmocka_unit_test(test_neq_negates_the_item),
        cmocka_unit_test(test_keyword_with_startswith_is_rejected),
        cmocka_unit_test(test_encoding_and_expansion_modifiers_are_rejected_by_name),
        cmocka_unit_test(test_condition_list_is_an_or),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
