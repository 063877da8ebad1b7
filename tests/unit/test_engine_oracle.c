/*
 * The Hyperscan engine against the reference evaluator (sigma_eval), rule by rule, event by
 * event: wherever they disagree, one of them is wrong about Sigma.
 *
 * Rules: the SigmaHQ corpus in ../shared/sigmahq (skipped when absent), the pipeline-test rules
 * and the rule packs. Events: for every rule, JSON envelopes built from the rule's own values
 * (so most rules have events that match them, and the others' events that nearly do), plus the
 * parser fixtures' real and synthetic lines in their own formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "weir/engine.h"
#include "weir/logsource.h"

typedef struct {
    char *line;
    weir_format fmt;
} ev_t;

typedef struct {
    ev_t *v;
    size_t n, cap;
} evs_t;

static void ev_add(evs_t *e, const char *line, size_t len, weir_format fmt)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 256;
        e->v = realloc(e->v, e->cap * sizeof(ev_t));
    }
    e->v[e->n].line = strndup(line, len);
    e->v[e->n].fmt = fmt;
    e->n++;
}

/* ---- events from rule values -------------------------------------------------------------- */

typedef struct {
    char buf[8192];
    size_t n;
} jb;

static void jput(jb *b, const char *s, size_t n)
{
    if (b->n + n >= sizeof(b->buf))
        n = sizeof(b->buf) - b->n - 1;
    memcpy(b->buf + b->n, s, n);
    b->n += n;
    b->buf[b->n] = '\0';
}

static void jstr(jb *b, const char *s, size_t n)
{
    jput(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            jput(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            jput(b, esc, 6);
        } else {
            jput(b, (const char *)&c, 1);
        }
    }
    jput(b, "\"", 1);
}

/* A concrete string a value would match (variant 0), or a near miss (variant 1). */
static size_t sample(const sigma_value *v, int variant, char *out, size_t cap)
{
    size_t n = 0;
    if (v->kind == SIGMA_MATCH_GLOB) {
        for (size_t i = 0; i < v->u.glob.nparts && n + 8 < cap; i++) {
            const sigma_part *p = &v->u.glob.parts[i];
            if (p->kind == SIGMA_PART_LIT) {
                size_t k = p->len < cap - n - 8 ? p->len : cap - n - 8;
                memcpy(out + n, p->lit, k);
                /* the near miss: flip the case of letters (only cased values must miss) and
                 * drop the last byte of the literal */
                for (size_t j = 0; variant && j < k; j++)
                    if ((out[n + j] | 0x20) >= 'a' && (out[n + j] | 0x20) <= 'z')
                        out[n + j] ^= 0x20;
                n += variant && k ? k - 1 : k;
            } else if (p->kind == SIGMA_PART_STAR) {
                memcpy(out + n, "zz", 2);
                n += 2;
            } else {
                out[n++] = 'q';
            }
        }
    } else if (v->kind == SIGMA_MATCH_REGEX || v->kind == SIGMA_MATCH_CMP) {
        n = (size_t)snprintf(out, cap, "%s", v->text ? v->text : "1");
    } else if (v->kind == SIGMA_MATCH_CIDR) {
        n = (size_t)snprintf(out, cap, "%s", variant ? "203.0.113.250" : "10.1.2.3");
    }
    return n < cap ? n : cap - 1;
}

static void rule_events(const sigma_det *d, jb *b, int variant, int *first)
{
    if (d->kind != SIGMA_DET_ITEM) {
        for (size_t i = 0; i < d->nkids; i++)
            rule_events(&d->kids[i], b, variant, first);
        return;
    }
    const sigma_item *it = &d->item;
    char val[2048];
    size_t vn = 0;
    /* all values concatenated: satisfies |all and any OR list at once */
    for (size_t i = 0; i < it->nvalues && vn + 16 < sizeof(val); i++) {
        vn += sample(&it->values[i], variant, val + vn, sizeof(val) - vn);
        val[vn++] = ' ';
    }
    if (vn)
        vn--;
    if (!it->field) { /* keywords go into "message", which is in the raw line */
        if (!*first)
            jput(b, ",", 1);
        *first = 0;
        jput(b, "\"message\":", 10);
        jstr(b, val, vn);
        return;
    }
    if (it->nvalues && (it->values[0].kind == SIGMA_MATCH_NULL ||
                        (it->values[0].kind == SIGMA_MATCH_EXISTS && !it->values[0].u.exists)))
        return; /* satisfied by leaving the field out */
    if (!*first)
        jput(b, ",", 1);
    *first = 0;
    jstr(b, it->field, strlen(it->field));
    jput(b, ":", 1);
    jstr(b, val, vn);
}

static void events_from_rules(const sigma_ruleset *set, evs_t *evs)
{
    for (size_t i = 0; i < set->nentries; i++) {
        const sigma_rule *r = set->entries[i].rule;
        if (!r)
            continue;
        for (size_t s = 0; s < r->nsearches; s++) {
            for (int variant = 0; variant < 2; variant++) {
                jb b = {.n = 0};
                int first = 1;
                jput(&b, "{", 1);
                rule_events(&r->searches[s].det, &b, variant, &first);
                jput(&b, "}", 1);
                ev_add(evs, b.buf, b.n, WEIR_FMT_JSON);
            }
        }
    }
}

/* ---- events from the parser fixtures ------------------------------------------------------ */

static void events_from_file(const char *path, weir_format fmt, evs_t *evs)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, fp)) != -1) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n >= 3 && strncmp(line, "## ", 3) == 0)
            continue;
        ev_add(evs, line, (size_t)n, fmt);
    }
    free(line);
    fclose(fp);
}

/* ---- the oracle's view of a parsed event --------------------------------------------------- */

typedef struct {
    const weir_event *ev;
    sigma_str vals[2];
} oracle_ctx;

/* Both views of a field, as the engine matches both: the oracle's "any value matches". */
static size_t lookup(void *vctx, const char *field, const sigma_str **values)
{
    oracle_ctx *c = vctx;
    if (!c->ev)
        return 0; /* a malformed line has no fields */
    int id = weir_field_lookup(field);
    const weir_view *v = id >= 0 ? weir_event_get(c->ev, id) : NULL;
    if (!v)
        return 0;
    const weir_view *r = weir_event_get_raw(c->ev, id);
    c->vals[0] = (sigma_str){v->p, v->len};
    size_t n = 1;
    if (r && (r->len != v->len || memcmp(r->p, v->p, v->len) != 0) && r->len && v->len)
        c->vals[n++] = (sigma_str){r->p, r->len};
    *values = c->vals;
    return n;
}

static int fmt_applies(const sigma_rule *r, weir_format f)
{
    weir_fmt_mask m;
    char err[256];
    if (weir_logsource_formats(&r->logsource, &m, err, sizeof(err)) != 0)
        return 0;
    return f == WEIR_FMT_AUTO || (m & (1u << f));
}

static int compiler_rejected(const weir_build_report *rep, const sigma_rule *r)
{
    for (size_t q = 0; q < rep->nrejected; q++)
        if (strcmp(rep->rejected[q].file, r->file) == 0 && rep->rejected[q].id && r->id &&
            strcmp(rep->rejected[q].id, r->id) == 0)
            return 1;
    return 0;
}

static void compare(const char *what, sigma_ruleset *set, evs_t *evs, size_t *nfired)
{
    char err[1024];
    weir_engine *e = NULL;
    weir_build_report rep;
    assert_int_equal(weir_engine_build(&e, set, &rep, err, sizeof(err)), 0);
    /* engine rule i = i-th rule in load order that both the loader and the compiler kept */
    const sigma_rule **by_idx = calloc(weir_engine_nrules(e), sizeof(*by_idx));
    size_t nr = 0;
    for (size_t i = 0; i < set->nentries; i++)
        if (set->entries[i].rule && !compiler_rejected(&rep, set->entries[i].rule))
            by_idx[nr++] = set->entries[i].rule;
    assert_int_equal(nr, weir_engine_nrules(e));
    for (size_t i = 0; i < nr; i++)
        assert_string_equal(weir_engine_rule(e, (uint32_t)i)->file, by_idx[i]->file);

    weir_scanner *sc = weir_scanner_new(e, 0, err, sizeof(err));
    weir_event *oev = weir_event_new(0, err, sizeof(err));
    size_t disagree = 0, fired = 0;
    for (size_t k = 0; k < evs->n; k++) {
        weir_parser *p = weir_parser_new(evs->v[k].fmt, err, sizeof(err));
        weir_parser *po = weir_parser_new(evs->v[k].fmt, err, sizeof(err));
        const char *line = evs->v[k].line;
        weir_hits h;
        assert_int_equal(weir_scanner_scan(sc, p, line, strlen(line), &h, err, sizeof(err)), 0);
        int st = weir_parser_parse(po, line, strlen(line), oev);
        weir_format f = weir_event_format(oev);
        size_t hi = 0;
        for (size_t i = 0; st != WEIR_PARSE_HEADER && i < nr; i++) {
            const sigma_rule *r = by_idx[i];
            oracle_ctx oc = {.ev = st == WEIR_PARSE_OK ? oev : NULL};
            sigma_event se = {.lookup = lookup, .ctx = &oc, .raw = line, .rawlen = strlen(line)};
            int want = fmt_applies(r, f) ? sigma_eval(r, &se, err, sizeof(err)) : 0;
            if (want < 0)
                fail_msg("oracle error: %s", err);
            int got = hi < h.n && h.rules[hi] == i;
            hi += (size_t)got;
            fired += (size_t)got;
            if (got != want && disagree++ < 10)
                print_message("%s: rule %s (%s:%u) engine=%d oracle=%d on [%s] %s\n", what,
                              r->id ? r->id : "-", r->file, r->line, got, want,
                              weir_format_name(evs->v[k].fmt), line);
        }
        weir_parser_destroy(p);
        weir_parser_destroy(po);
    }
    print_message("%s: %zu events x %zu rules, %zu hits, %zu disagreements\n", what, evs->n, nr,
                  fired, disagree);
    free(by_idx);
    weir_event_destroy(oev);
    weir_scanner_destroy(sc);
    weir_engine_destroy(e);
    weir_build_report_free(&rep);
    *nfired = fired;
    assert_int_equal(disagree, 0);
}

static const struct {
    const char *file;
    weir_format fmt;
} fixture_files[] = {
    {"parse/iis_real.log", WEIR_FMT_IIS},
    {"parse/iis_synthetic.log", WEIR_FMT_IIS},
    {"parse/iis_proxyshell_edited.log", WEIR_FMT_IIS},
    {"parse/httpproxy_real.log", WEIR_FMT_HTTPPROXY},
    {"parse/httpproxy_testproxylogon.csv", WEIR_FMT_HTTPPROXY},
    {"parse/ecp_real.log", WEIR_FMT_ECP},
    {"parse/ecp_synthetic.log", WEIR_FMT_ECP},
    {"parse/combined_synthetic.log", WEIR_FMT_COMBINED},
    {"parse/json_synthetic.log", WEIR_FMT_JSON},
    {"parse/syslog_postfix.log", WEIR_FMT_SYSLOG},
    {"parse/msgtrack_synthetic.log", WEIR_FMT_MSGTRACK},
    {"parse/smtpreceive_synthetic.log", WEIR_FMT_SMTPRECEIVE},
    {"parse/rpshttp_synthetic.log", WEIR_FMT_RPSHTTP},
    {"parse/oab_synthetic.log", WEIR_FMT_OAB},
};

static void fixture_events(evs_t *evs)
{
    char path[1024];
    for (size_t i = 0; i < sizeof(fixture_files) / sizeof(fixture_files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", FIXTURES, fixture_files[i].file);
        events_from_file(path, fixture_files[i].fmt, evs);
        events_from_file(path, WEIR_FMT_AUTO, evs);
    }
}

static void run_set(const char *what, const char *path, size_t min_hits)
{
    char err[1024];
    struct stat st;
    if (stat(path, &st) != 0) {
        print_message("%s: %s not found, skipped\n", what, path);
        skip();
    }
    sigma_ruleset *set = sigma_ruleset_new();
    assert_true(sigma_load_path(set, path, err, sizeof(err)) >= 0);
    evs_t evs = {0};
    events_from_rules(set, &evs);
    fixture_events(&evs);
    size_t fired;
    compare(what, set, &evs, &fired);
    /* the generated events must really exercise the rules, or agreement proves little */
    assert_true(fired >= min_hits);
    for (size_t i = 0; i < evs.n; i++)
        free(evs.v[i].line);
    free(evs.v);
    sigma_ruleset_destroy(set);
}

static void test_engine_agrees_with_oracle_on_sigmahq(void **state)
{
    (void)state;
    run_set("sigmahq", SIGMAHQ, 90);
}

static void test_engine_agrees_with_oracle_on_pipeline_rules(void **state)
{
    (void)state;
    run_set("e2e", FIXTURES "/e2e", 8);
}

static void test_engine_agrees_with_oracle_on_the_packs(void **state)
{
    (void)state;
    run_set("patterns", PATTERNS, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_agrees_with_oracle_on_sigmahq),
        cmocka_unit_test(test_engine_agrees_with_oracle_on_pipeline_rules),
        cmocka_unit_test(test_engine_agrees_with_oracle_on_the_packs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
