/*
 * Compiled rules files: what is saved loads back to an engine that behaves the same, and a file
 * from another weir, Hyperscan or platform, or a damaged one, is refused with a clear reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weir/engine.h"

static char path[256];

static weir_engine *build_e2e(void)
{
    char err[512];
    sigma_ruleset *set = sigma_ruleset_new();
    assert_int_equal(sigma_load_path(set, FIXTURES "/e2e", err, sizeof(err)), 0);
    weir_engine *e;
    weir_build_report rep;
    assert_int_equal(weir_engine_build(&e, set, &rep, err, sizeof(err)), 0);
    weir_build_report_free(&rep);
    sigma_ruleset_destroy(set);
    return e;
}

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/weir-test-%d.db", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static size_t hits(weir_engine *e, const char *line)
{
    char err[256];
    weir_scanner *s = weir_scanner_new(e, 0, err, sizeof(err));
    weir_parser *p = weir_parser_new(WEIR_FMT_IIS, err, sizeof(err));
    weir_hits h;
    assert_int_equal(weir_scanner_scan(s, p, line, strlen(line), &h, err, sizeof(err)), 0);
    size_t n = h.n;
    weir_parser_destroy(p);
    weir_scanner_destroy(s);
    return n;
}

static const char *ATTACK = "2021-03-05 03:07:11 10.0.0.11 GET /aspnet_client/system_web/shell.aspx "
                            "cmd=whoami+/all 443 - 203.0.113.236 Mozilla/5.0 - 200 0 0 402";

static void test_saved_engine_loads_back_the_same(void **state)
{
    (void)state;
    char err[512];
    weir_engine *e = build_e2e();
    assert_int_equal(weir_engine_save(e, path, err, sizeof(err)), 0);
    weir_engine *l = NULL;
    if (weir_engine_load(&l, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(weir_engine_rules_hash(l), weir_engine_rules_hash(e));
    assert_int_equal(weir_engine_nrules(l), weir_engine_nrules(e));
    assert_string_equal(weir_engine_rule(l, 3)->id, weir_engine_rule(e, 3)->id);
    assert_int_equal(hits(l, ATTACK), 2);
    assert_int_equal(hits(l, ATTACK), hits(e, ATTACK));
    weir_engine_destroy(l);
    weir_engine_destroy(e);
}

/* Rewrites the first occurrence of from (same length) in the saved file. */
static void patch_file(const char *from, const char *to)
{
    FILE *fp = fopen(path, "rb");
    char *buf = malloc(4 << 20);
    size_t n = fread(buf, 1, 4 << 20, fp);
    fclose(fp);
    char *at = memmem(buf, n, from, strlen(from));
    assert_non_null(at);
    memcpy(at, to, strlen(to));
    fp = fopen(path, "wb");
    fwrite(buf, 1, n, fp);
    fclose(fp);
    free(buf);
}

static void expect_refused(const char *needle)
{
    char err[512];
    weir_engine *l = NULL;
    assert_int_equal(weir_engine_load(&l, path, err, sizeof(err)), -1);
    assert_null(l);
    if (!strstr(err, needle) || !strstr(err, path))
        fail_msg("'%s' lacks '%s'", err, needle);
}

static void save_e2e(void)
{
    char err[512];
    weir_engine *e = build_e2e();
    assert_int_equal(weir_engine_save(e, path, err, sizeof(err)), 0);
    weir_engine_destroy(e);
}

static void test_file_from_another_weir_version_is_refused(void **state)
{
    (void)state;
    save_e2e();
    patch_file(WEIR_VERSION, "9.9.9" + (5 - strlen(WEIR_VERSION)));
    expect_refused("recompile with weir compile");
}

static void test_file_for_another_platform_is_refused(void **state)
{
    (void)state;
    save_e2e();
    patch_file("tune=", "tunx=");
    expect_refused("compiled for platform");
}

static void test_damaged_or_foreign_file_is_refused(void **state)
{
    (void)state;
    save_e2e();
    FILE *fp = fopen(path, "r+b");
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    assert_int_equal(ftruncate(fileno(fp), n / 2), 0);
    fclose(fp);
    expect_refused("compiled rules file");
    fp = fopen(path, "wb");
    fputs("title: not a compiled file\n", fp);
    fclose(fp);
    expect_refused("not a weir compiled rules file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_saved_engine_loads_back_the_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_from_another_weir_version_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_file_for_another_platform_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_damaged_or_foreign_file_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
