/*
 * The rule packs in patterns/: every rule compiles, carries what a SOC needs (level, ATT&CK
 * tags, false-positive notes), and is proven by its fixtures (tests/fixtures/packs, one .tsv
 * per pack):
 * at least one line it must fire on and one look-alike it must stay silent on.
 *
 * Fixture format (one case per line, '#' comments):
 *   rule-id <TAB> fire|quiet <TAB> format <TAB> raw log line
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weir/engine.h"

typedef struct {
    weir_engine *e;
    sigma_ruleset *set;
    weir_scanner *sc;
} fx;

static int setup(void **state)
{
    char err[1024];
    fx *f = calloc(1, sizeof(*f));
    f->set = sigma_ruleset_new();
    if (sigma_load_path(f->set, PATTERNS, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    weir_build_report rep;
    if (weir_engine_build(&f->e, f->set, &rep, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    for (size_t i = 0; i < rep.nrejected; i++)
        print_message("REJECTED %s\n", rep.rejected[i].message);
    assert_int_equal(rep.nrejected, 0);
    weir_build_report_free(&rep);
    f->sc = weir_scanner_new(f->e, 0, err, sizeof(err));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    weir_scanner_destroy(f->sc);
    weir_engine_destroy(f->e);
    sigma_ruleset_destroy(f->set);
    free(f);
    return 0;
}

static int rule_index(const weir_engine *e, const char *id)
{
    for (size_t i = 0; i < weir_engine_nrules(e); i++)
        if (strcmp(weir_engine_rule(e, (uint32_t)i)->id, id) == 0)
            return (int)i;
    return -1;
}

static void test_every_rule_carries_level_attack_tags_and_falsepositives(void **state)
{
    fx *f = *state;
    size_t bad = 0;
    for (size_t i = 0; i < f->set->nentries; i++) {
        const sigma_rule *r = f->set->entries[i].rule;
        int attack = 0;
        for (size_t t = 0; r && t < r->tags.n; t++)
            attack |= strncmp(r->tags.v[t], "attack.", 7) == 0;
        if (!r || !r->id || !r->level || !attack || r->falsepositives.n == 0 || !r->title) {
            print_message("%s:%u: rule %s lacks id, level, attack.* tag or falsepositives\n",
                          r ? r->file : "?", r ? r->line : 0, r && r->id ? r->id : "?");
            bad++;
        }
    }
    assert_true(f->set->nentries >= 20);
    assert_int_equal(bad, 0);
}

static void test_every_rule_fires_and_stays_quiet_on_its_fixtures(void **state)
{
    fx *f = *state;
    char err[512];
    size_t nrules = weir_engine_nrules(f->e);
    unsigned *fires = calloc(nrules, sizeof(unsigned)), *quiets = calloc(nrules, sizeof(unsigned));
    size_t cases = 0, failures = 0;
    DIR *d = opendir(FIXTURES "/packs");
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl < 5 || strcmp(de->d_name + nl - 4, ".tsv") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/packs/%s", FIXTURES, de->d_name);
        FILE *fp = fopen(path, "r");
        assert_non_null(fp);
        char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, fp)) != -1) {
            lineno++;
            while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            if (!n || line[0] == '#')
                continue;
            char *id = line, *kind = strchr(id, '\t');
            char *fmt = kind ? strchr(kind + 1, '\t') : NULL;
            char *raw = fmt ? strchr(fmt + 1, '\t') : NULL;
            if (!raw)
                fail_msg("%s:%u: expected id<TAB>fire|quiet<TAB>format<TAB>line", path, lineno);
            *kind++ = *fmt++ = *raw++ = '\0';
            int ri = rule_index(f->e, id);
            weir_format wf;
            if (ri < 0 || weir_format_parse(fmt, &wf) != 0 ||
                (strcmp(kind, "fire") && strcmp(kind, "quiet")))
                fail_msg("%s:%u: unknown rule '%s', format '%s' or kind '%s'", path, lineno, id,
                         fmt, kind);
            weir_parser *p = weir_parser_new(wf, err, sizeof(err));
            weir_hits h;
            assert_int_equal(weir_scanner_scan(f->sc, p, raw, strlen(raw), &h, err, sizeof(err)),
                             0);
            int hit = 0;
            for (size_t k = 0; k < h.n; k++)
                hit |= h.rules[k] == (uint32_t)ri;
            weir_parser_destroy(p);
            int want = strcmp(kind, "fire") == 0;
            (want ? fires : quiets)[ri]++;
            cases++;
            if (hit != want) {
                failures++;
                print_message("%s:%u: rule %s should %s on [%s] %s (parse status %d)\n", path,
                              lineno, id, want ? "fire" : "stay quiet", fmt, raw, h.parse_status);
            }
        }
        free(line);
        fclose(fp);
    }
    closedir(d);
    size_t unproven = 0;
    for (size_t i = 0; i < nrules; i++)
        if (!fires[i] || !quiets[i]) {
            unproven++;
            print_message("rule %s has %u fire and %u quiet fixtures (needs both)\n",
                          weir_engine_rule(f->e, (uint32_t)i)->id, fires[i], quiets[i]);
        }
    print_message("%zu fixture cases over %zu rules\n", cases, nrules);
    free(fires);
    free(quiets);
    assert_int_equal(failures, 0);
    assert_int_equal(unproven, 0);
}

/* shared/detection-facts.md §9.1: the real lines fire, or stay silent, as labelled there. */
static void test_real_lines_of_the_facts_fire_as_labelled(void **state)
{
    fx *f = *state;
    char err[512], prev_fmt[32] = "";
    FILE *fp = fopen(FIXTURES "/facts-9.1.tsv", "r");
    assert_non_null(fp);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0, attacks = 0, benign = 0, failures = 0;
    weir_parser *p = NULL;
    while ((n = getline(&line, &cap, fp)) != -1) {
        lineno++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (!n || line[0] == '#')
            continue;
        char *label = line, *fmt = strchr(label, '\t');
        char *raw = fmt ? strchr(fmt + 1, '\t') : NULL;
        assert_non_null(raw);
        *fmt++ = *raw++ = '\0';
        if (strcmp(fmt, prev_fmt) != 0) { /* a new stream */
            weir_format wf;
            assert_int_equal(weir_format_parse(fmt, &wf), 0);
            weir_parser_destroy(p);
            p = weir_parser_new(wf, err, sizeof(err));
            snprintf(prev_fmt, sizeof(prev_fmt), "%s", fmt);
        }
        weir_hits h;
        assert_int_equal(weir_scanner_scan(f->sc, p, raw, strlen(raw), &h, err, sizeof(err)), 0);
        if (strcmp(label, "header") == 0)
            continue;
        int want = strcmp(label, "attack") == 0;
        attacks += want;
        benign += !want;
        if ((h.n > 0) != want) {
            failures++;
            print_message("facts-9.1.tsv:%u: %s line raised %zu alerts: %s\n", lineno, label, h.n,
                          raw);
        }
        for (size_t k = 0; k < h.n; k++)
            print_message("facts-9.1.tsv:%u: %s -> %s\n", lineno, label,
                          weir_engine_rule(f->e, h.rules[k])->id);
    }
    weir_parser_destroy(p);
    free(line);
    fclose(fp);
    assert_true(attacks >= 9 && benign >= 4);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_rule_carries_level_attack_tags_and_falsepositives),
        cmocka_unit_test(test_every_rule_fires_and_stays_quiet_on_its_fixtures),
        cmocka_unit_test(test_real_lines_of_the_facts_fire_as_labelled),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
