/*
 * The rules reloader on its own (no Kafka): a change on disk or SIGHUP yields a new engine to
 * swap in; a build that fails keeps the engine in use and is counted; an unchanged rule set is
 * not offered; a ConfigMap-style `..data` symlink swap is seen.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weir/clock.h"
#include "weir/engine.h"
#include "weir/log.h"
#include "weir/reload.h"
#include "weir/sigma.h"

static const char *RULE_A = "title: a\nid: rule-a\nlogsource: {category: webserver}\n"
                            "detection:\n  sel:\n    cs-uri-stem|contains: aaa\n"
                            "  condition: sel\n";
static const char *RULE_B = "title: b\nid: rule-b\nlogsource: {category: webserver}\n"
                            "detection:\n  sel:\n    cs-uri-stem|contains: bbb\n"
                            "  condition: sel\n";
static const char *BROKEN = "title: broken\nid: x\ndetection: [not: valid\n";

typedef struct {
    char dir[256];
    int builds;
} ctx_t;

static weir_engine *build(void *arg, char *err, size_t errlen)
{
    ctx_t *c = arg;
    c->builds++;
    sigma_ruleset *set = sigma_ruleset_new();
    weir_engine *e = NULL;
    weir_build_report rep = {0};
    if (sigma_load_path(set, c->dir, err, errlen) >= 0 &&
        weir_engine_build(&e, set, &rep, err, errlen) == 0 && rep.nrejected) {
        snprintf(err, errlen, "rejected: %s", rep.rejected[0].message);
        weir_engine_destroy(e);
        e = NULL;
    }
    weir_build_report_free(&rep);
    sigma_ruleset_destroy(set);
    return e;
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[512], tmp[520];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0); /* how editors and kubectl cp replace files */
}

/* Waits up to 5 s for an engine to be offered. */
static const weir_engine *wait_pending(weir_reloader *r)
{
    for (double t0 = weir_now_s(); weir_now_s() - t0 < 5;) {
        const weir_engine *e = weir_reloader_pending(r);
        if (e)
            return e;
        usleep(20000);
    }
    return NULL;
}

static int setup(void **state)
{
    ctx_t *c = calloc(1, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "/tmp/weir-reload-XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    wlog_setup(WLOG_ERROR + 1, WLOG_TEXT); /* quiet: the log lines are asserted elsewhere */
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx_t *c = *state;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
    assert_int_equal(system(cmd), 0);
    free(c);
    return 0;
}

static weir_reloader *start(ctx_t *c, volatile sig_atomic_t *hup)
{
    char err[512];
    weir_engine *e = build(c, err, sizeof(err));
    assert_non_null(e);
    const char *paths[] = {c->dir};
    weir_reloader *r = weir_reloader_start(e, paths, 1, build, c, hup, err, sizeof(err));
    assert_non_null(r);
    return r;
}

static void test_a_new_file_is_offered_and_committed(void **state)
{
    ctx_t *c = *state;
    put(c->dir, "a.yml", RULE_A);
    weir_reloader *r = start(c, NULL);
    const weir_engine *old = weir_reloader_current(r);
    assert_int_equal(weir_engine_nrules(old), 1);
    put(c->dir, "b.yml", RULE_B);
    const weir_engine *ne = wait_pending(r);
    assert_non_null(ne);
    assert_int_equal(weir_engine_nrules(ne), 2);
    assert_string_not_equal(weir_engine_rules_hash(ne), weir_engine_rules_hash(old));
    weir_reloader_commit(r);
    assert_ptr_equal(weir_reloader_current(r), ne);
    assert_null(weir_reloader_pending(r));
    uint64_t n, f;
    weir_reloader_counts(r, &n, &f);
    assert_int_equal(n, 1);
    assert_int_equal(f, 0);
    weir_reloader_stop(r);
}

static void test_a_broken_file_keeps_the_rules_and_counts(void **state)
{
    ctx_t *c = *state;
    put(c->dir, "a.yml", RULE_A);
    weir_reloader *r = start(c, NULL);
    const weir_engine *old = weir_reloader_current(r);
    put(c->dir, "broken.yml", BROKEN);
    uint64_t n = 0, f = 0;
    for (double t0 = weir_now_s(); f == 0 && weir_now_s() - t0 < 5; usleep(20000))
        weir_reloader_counts(r, &n, &f);
    assert_int_equal(f, 1);
    assert_int_equal(n, 0);
    assert_null(weir_reloader_pending(r));
    assert_ptr_equal(weir_reloader_current(r), old);
    /* fixing it is a change like any other */
    put(c->dir, "broken.yml", RULE_B);
    assert_non_null(wait_pending(r));
    weir_reloader_stop(r); /* frees the pending engine too (ASan checks) */
}

static void test_sighup_rebuilds_and_unchanged_rules_are_not_offered(void **state)
{
    ctx_t *c = *state;
    volatile sig_atomic_t hup = 0;
    put(c->dir, "a.yml", RULE_A);
    weir_reloader *r = start(c, &hup);
    int before = c->builds;
    hup = 1;
    for (double t0 = weir_now_s(); hup && weir_now_s() - t0 < 5;)
        usleep(20000);
    assert_int_equal(hup, 0); /* taken */
    usleep(300000);
    assert_true(c->builds > before);
    assert_null(weir_reloader_pending(r)); /* same rules: nothing to swap */
    weir_reloader_stop(r);
}

static void test_configmap_symlink_swap_is_seen(void **state)
{
    ctx_t *c = *state;
    char p[512], q[512];
    snprintf(p, sizeof(p), "%s/..2026_01", c->dir);
    assert_int_equal(mkdir(p, 0755), 0);
    put(p, "rules.yml", RULE_A);
    snprintf(q, sizeof(q), "%s/..data", c->dir);
    assert_int_equal(symlink("..2026_01", q), 0);
    snprintf(q, sizeof(q), "%s/rules.yml", c->dir);
    assert_int_equal(symlink("..data/rules.yml", q), 0);
    weir_reloader *r = start(c, NULL);
    assert_int_equal(weir_engine_nrules(weir_reloader_current(r)), 1);

    snprintf(p, sizeof(p), "%s/..2026_02", c->dir);
    assert_int_equal(mkdir(p, 0755), 0);
    char both[1024];
    snprintf(both, sizeof(both), "%s---\n%s", RULE_A, RULE_B);
    put(p, "rules.yml", both);
    snprintf(q, sizeof(q), "%s/..data_tmp", c->dir);
    assert_int_equal(symlink("..2026_02", q), 0);
    char data[512];
    snprintf(data, sizeof(data), "%s/..data", c->dir);
    assert_int_equal(rename(q, data), 0);
    const weir_engine *ne = wait_pending(r);
    assert_non_null(ne);
    assert_int_equal(weir_engine_nrules(ne), 2);
    weir_reloader_stop(r);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_a_new_file_is_offered_and_committed),
        T(test_a_broken_file_keeps_the_rules_and_counts),
        T(test_sighup_rebuilds_and_unchanged_rules_are_not_offered),
        T(test_configmap_symlink_swap_is_seen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
