/* Sigma conditions: precedence, selectors, and the errors a condition can produce. Trees are
 * checked through sigma_cond_format, which writes every and/or group in parentheses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "weir/sigma.h"

/* Search identifiers as a rule would declare them; only their names matter here. */
static sigma_search searches[] = {
    {.name = "a"},        {.name = "b"},       {.name = "c"},         {.name = "d"},
    {.name = "sel_1"},    {.name = "sel_2"},   {.name = "sel_x_end"}, {.name = "filter_1"},
    {.name = "filter_2"}, {.name = "_filter"}, {.name = "_helper"},
};
#define NSEARCH (sizeof(searches) / sizeof(searches[0]))

static void expect_tree(const char *cond, size_t nsearch, const char *tree)
{
    char err[256] = "", buf[512];
    sigma_cond *c = NULL;
    if (sigma_cond_parse(cond, searches, nsearch, &c, err, sizeof(err)) != 0)
        fail_msg("'%s' did not parse: %s", cond, err);
    sigma_cond_format(c, searches, buf, sizeof(buf));
    assert_string_equal(buf, tree);
    sigma_cond_free(c);
}

static void expect_error(const char *cond, const char *needle)
{
    char err[256] = "";
    sigma_cond *c = NULL;
    assert_int_equal(sigma_cond_parse(cond, searches, NSEARCH, &c, err, sizeof(err)), -1);
    assert_null(c);
    if (!strstr(err, needle))
        fail_msg("error for '%s' is '%s', lacks '%s'", cond, err, needle);
}

static void test_not_binds_tighter_than_and_which_binds_tighter_than_or(void **state)
{
    (void)state;
    expect_tree("a or b and not c", NSEARCH, "(a or (b and not c))");
}

static void test_and_chain_is_one_flat_node(void **state)
{
    (void)state;
    expect_tree("a and b and c", NSEARCH, "(a and b and c)");
}

static void test_parentheses_override_precedence(void **state)
{
    (void)state;
    expect_tree("(a or b) and c", NSEARCH, "((a or b) and c)");
}

static void test_nested_parentheses(void **state)
{
    (void)state;
    expect_tree("((a or (b)) and not (c or d))", NSEARCH, "((a or b) and not (c or d))");
}

static void test_double_not_is_kept(void **state)
{
    (void)state;
    expect_tree("not not a", NSEARCH, "not not a");
}

static void test_one_of_pattern_is_or_of_matching_identifiers(void **state)
{
    (void)state;
    expect_tree("1 of sel*", NSEARCH, "(sel_1 or sel_2 or sel_x_end)");
}

static void test_any_of_is_the_same_as_one_of(void **state)
{
    (void)state;
    expect_tree("any of filter_*", NSEARCH, "(filter_1 or filter_2)");
}

static void test_all_of_pattern_is_and_of_matching_identifiers(void **state)
{
    (void)state;
    expect_tree("all of filter_*", NSEARCH, "(filter_1 and filter_2)");
}

static void test_star_matches_inside_a_pattern(void **state)
{
    (void)state;
    expect_tree("1 of sel_*_end", NSEARCH, "sel_x_end");
}

static void test_all_of_them_leaves_out_underscore_identifiers(void **state)
{
    (void)state;
    expect_tree("all of them", NSEARCH,
                "(a and b and c and d and sel_1 and sel_2 and sel_x_end and filter_1 and "
                "filter_2)");
}

static void test_one_of_them_is_or_of_all_but_underscore_identifiers(void **state)
{
    (void)state;
    expect_tree("1 of them", 3, "(a or b or c)");
}

static void test_pattern_not_starting_with_underscore_skips_underscore_identifiers(void **state)
{
    (void)state;
    expect_tree("1 of *filter*", NSEARCH, "(filter_1 or filter_2)");
}

static void test_pattern_starting_with_underscore_reaches_underscore_identifiers(void **state)
{
    (void)state;
    expect_tree("1 of _*", NSEARCH, "(_filter or _helper)");
}

static void test_underscore_identifier_can_be_named_directly(void **state)
{
    (void)state;
    expect_tree("a and not _filter", NSEARCH, "(a and not _filter)");
}

static void test_x_of_binds_tighter_than_not(void **state)
{
    (void)state;
    expect_tree("a and not 1 of filter_*", NSEARCH, "(a and not (filter_1 or filter_2))");
}

static void test_all_of_combined_with_or(void **state)
{
    (void)state;
    expect_tree("all of sel_* or a", NSEARCH, "((sel_1 and sel_2 and sel_x_end) or a)");
}

static void test_undefined_identifier_is_named(void **state)
{
    (void)state;
    expect_error("a and nope", "identifier 'nope' (column 7) is not defined");
}

static void test_pattern_matching_nothing_is_an_error(void **state)
{
    (void)state;
    expect_error("1 of nothing*", "'1 of nothing*' (column 1) matches no search identifier");
}

static void test_wildcard_identifier_without_quantifier_is_an_error(void **state)
{
    (void)state;
    expect_error("sel*", "wildcard identifier 'sel*' (column 1) needs '1 of' or 'all of'");
}

static void test_quantifier_other_than_one_is_rejected(void **state)
{
    (void)state;
    expect_error("2 of sel*", "'2 of' (column 1) not supported");
}

static void test_aggregation_pipe_is_rejected(void **state)
{
    (void)state;
    expect_error("a | count() > 5", "aggregation '| count() > 5' not supported");
}

static void test_missing_close_paren_is_reported_at_the_open_paren(void **state)
{
    (void)state;
    expect_error("a and (b or c", "missing ')' for '(' at column 7");
}

static void test_stray_close_paren_is_reported(void **state)
{
    (void)state;
    expect_error("a)", "got ')' at column 2");
}

static void test_dangling_operator_is_reported(void **state)
{
    (void)state;
    expect_error("a and", "got end of condition");
}

static void test_upper_case_operator_is_not_an_operator(void **state)
{
    (void)state;
    expect_error("a AND b", "got 'AND' at column 3");
}

static void test_empty_condition_is_rejected(void **state)
{
    (void)state;
    expect_error("   ", "condition is empty");
}

static void test_unexpected_character_is_reported(void **state)
{
    (void)state;
    expect_error("a & b", "character '&' at column 3");
}

static void test_deep_nesting_is_refused_not_overflowed(void **state)
{
    (void)state;
    char buf[4096];
    memset(buf, '(', 2000);
    strcpy(buf + 2000, "a");
    expect_error(buf, "nested deeper");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_binds_tighter_than_and_which_binds_tighter_than_or),
        cmocka_unit_test(test_and_chain_is_one_flat_node),
        cmocka_unit_test(test_parentheses_override_precedence),
        cmocka_unit_test(test_nested_parentheses),
        cmocka_unit_test(test_double_not_is_kept),
        cmocka_unit_test(test_one_of_pattern_is_or_of_matching_identifiers),
        cmocka_unit_test(test_any_of_is_the_same_as_one_of),
        cmocka_unit_test(test_all_of_pattern_is_and_of_matching_identifiers),
        cmocka_unit_test(test_star_matches_inside_a_pattern),
        cmocka_unit_test(test_all_of_them_leaves_out_underscore_identifiers),
        cmocka_unit_test(test_one_of_them_is_or_of_all_but_underscore_identifiers),
        cmocka_unit_test(test_pattern_not_starting_with_underscore_skips_underscore_identifiers),
        cmocka_unit_test(test_pattern_starting_with_underscore_reaches_underscore_identifiers),
        cmocka_unit_test(test_underscore_identifier_can_be_named_directly),
        cmocka_unit_test(test_x_of_binds_tighter_than_not),
        cmocka_unit_test(test_all_of_combined_with_or),
        cmocka_unit_test(test_undefined_identifier_is_named),
        cmocka_unit_test(test_pattern_matching_nothing_is_an_error),
        cmocka_unit_test(test_wildcard_identifier_without_quantifier_is_an_error),
        cmocka_unit_test(test_quantifier_other_than_one_is_rejected),
        cmocka_unit_test(test_aggregation_pipe_is_rejected),
        cmocka_unit_test(test_missing_close_paren_is_reported_at_the_open_paren),
        cmocka_unit_test(test_stray_close_paren_is_reported),
        cmocka_unit_test(test_dangling_operator_is_reported),
        cmocka_unit_test(test_upper_case_operator_is_not_an_operator),
        cmocka_unit_test(test_empty_condition_is_rejected),
        cmocka_unit_test(test_unexpected_character_is_reported),
        cmocka_unit_test(test_deep_nesting_is_refused_not_overflowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
