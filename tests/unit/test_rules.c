/* The interim .rules loader: what it accepts, and that every error names file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "weir/rules.h"

#define FX(name) FIXTURES "/rules/" name

static void test_good_file_loads_every_rule_with_metadata(void **state)
{
    (void)state;
    char err[512] = "";
    weir_ruleset *rs = weir_ruleset_new();
    assert_int_equal(weir_rules_load_file(rs, FX("good.rules"), err, sizeof(err)), 0);
    assert_int_equal(rs->nrules, 2);
    assert_int_equal(rs->nexprs, 2);
    assert_string_equal(rs->rules[0].id, "r-ecp-js");
    assert_string_equal(rs->rules[0].level, "high");
    assert_string_equal(rs->rules[0].title, "POST to short js under ecp");
    assert_int_equal(rs->rules[0].line, 3);
    /* everything after the third '|' is the regex, pipes included */
    assert_string_equal(rs->exprs[1].expr, "(whoami|nltest)");
    assert_int_equal(rs->exprs[1].rule, 1);
    weir_ruleset_destroy(rs);
}

static void expect_error(const char *file, const char *needle1, const char *needle2)
{
    char err[512] = "";
    weir_ruleset *rs = weir_ruleset_new();
    assert_int_equal(weir_rules_load_path(rs, file, err, sizeof(err)), -1);
    if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2)))
        fail_msg("error '%s' lacks '%s' / '%s'", err, needle1, needle2 ? needle2 : "");
    weir_ruleset_destroy(rs);
}

static void test_missing_file_error_names_the_path(void **state)
{
    (void)state;
    expect_error(FX("nope.rules"), "nope.rules", "No such file");
}

static void test_bad_level_error_names_file_line_and_rule(void **state)
{
    (void)state;
    expect_error(FX("bad_level.rules"), "bad_level.rules:2:", "rule r-bad-level: level 'severe'");
}

static void test_duplicate_id_error_points_at_first_definition(void **state)
{
    (void)state;
    expect_error(FX("duplicate.rules"), "duplicate.rules:2: rule r-x: duplicate id",
                 "duplicate.rules:1");
}

static void test_line_with_three_fields_is_rejected(void **state)
{
    (void)state;
    expect_error(FX("missing_field.rules"), "missing_field.rules:1:", "id | level | title | regex");
}

static void test_directory_loads_rules_files_in_name_order(void **state)
{
    (void)state;
    char err[512] = "";
    weir_ruleset *rs = weir_ruleset_new();
    assert_int_equal(weir_rules_load_path(rs, FX("dir"), err, sizeof(err)), 0);
    assert_int_equal(rs->nrules, 2); /* ignored.txt is not a .rules file */
    assert_string_equal(rs->rules[0].id, "r-two"); /* a.rules before b.rules */
    assert_string_equal(rs->rules[1].id, "r-one");
    weir_ruleset_destroy(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file_loads_every_rule_with_metadata),
        cmocka_unit_test(test_missing_file_error_names_the_path),
        cmocka_unit_test(test_bad_level_error_names_file_line_and_rule),
        cmocka_unit_test(test_duplicate_id_error_points_at_first_definition),
        cmocka_unit_test(test_line_with_three_fields_is_rejected),
        cmocka_unit_test(test_directory_loads_rules_files_in_name_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
