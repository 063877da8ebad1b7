/*
 * Engine: compile a rule set into one Hyperscan block-mode database; scan events with a
 * per-thread scanner.
 *
 * Why one database for all rules: Hyperscan's cost is roughly one pass over the input whatever
 * the number of patterns, which is the whole point of weir (a per-rule engine slows down
 * linearly with the rule count).
 *
 * Why block mode and one hs_scan per event: vectored mode matches across the pieces as if they
 * were one buffer, so a pattern could straddle two events.
 */
#include "weir/engine.h"

#include <hs/hs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct weir_engine {
    weir_ruleset *rs;
    hs_database_t *db;
    size_t db_bytes;
    double compile_ms;
    char hash[17];
};

struct weir_scanner {
    const weir_engine *e;
    hs_scratch_t *scratch;
    uint32_t gen;        /* stamp of the current scan */
    uint32_t *rule_seen; /* per rule: gen of the last scan that hit it */
    uint32_t *hits;      /* rule indices hit by the current scan */
    size_t nhits;
};

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void compute_hash(weir_engine *e)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < e->rs->nexprs; i++) {
        const weir_expr *x = &e->rs->exprs[i];
        const char *id = e->rs->rules[x->rule].id;
        h = fnv1a(h, id, strlen(id) + 1);
        h = fnv1a(h, x->expr, strlen(x->expr) + 1);
        h = fnv1a(h, &x->flags, sizeof(x->flags));
    }
    snprintf(e->hash, sizeof(e->hash), "%016" PRIx64, h);
}

int weir_engine_new(weir_engine **out, weir_ruleset *rs, char *err, size_t errlen)
{
    *out = NULL;
    if (rs->nexprs == 0) {
        snprintf(err, errlen, "no rules loaded: nothing to compile");
        return -1;
    }
    if (rs->nexprs > UINT32_MAX) {
        snprintf(err, errlen, "too many expressions (%zu)", rs->nexprs);
        return -1;
    }
    weir_engine *e = calloc(1, sizeof(*e));
    const char **exprs = calloc(rs->nexprs, sizeof(char *));
    unsigned *flags = calloc(rs->nexprs, sizeof(unsigned));
    unsigned *ids = calloc(rs->nexprs, sizeof(unsigned));
    int rc = -1;
    if (!e || !exprs || !flags || !ids) {
        snprintf(err, errlen, "out of memory compiling %zu expressions", rs->nexprs);
        goto out;
    }
    for (size_t i = 0; i < rs->nexprs; i++) {
        exprs[i] = rs->exprs[i].expr;
        flags[i] = rs->exprs[i].flags;
        ids[i] = (unsigned)i; /* the id is the expression index: the callback maps it back */
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    hs_compile_error_t *cerr = NULL;
    if (hs_compile_multi(exprs, flags, ids, (unsigned)rs->nexprs, HS_MODE_BLOCK, NULL, &e->db,
                         &cerr) != HS_SUCCESS) {
        if (cerr && cerr->expression >= 0 && (size_t)cerr->expression < rs->nexprs) {
            const weir_expr *x = &rs->exprs[cerr->expression];
            snprintf(err, errlen, "%s:%u: rule %s: Hyperscan rejected /%s/: %s", x->file, x->line,
                     rs->rules[x->rule].id, x->expr, cerr->message);
        } else {
            snprintf(err, errlen, "Hyperscan compile failed: %s",
                     cerr ? cerr->message : "unknown error");
        }
        hs_free_compile_error(cerr);
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    e->compile_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    hs_database_size(e->db, &e->db_bytes);
    e->rs = rs;
    compute_hash(e);
    *out = e;
    e = NULL;
    rc = 0;
out:
    if (e) {
        hs_free_database(e->db);
        free(e);
    }
    free(exprs);
    free(flags);
    free(ids);
    return rc;
}

void weir_engine_destroy(weir_engine *e)
{
    if (!e)
        return;
    hs_free_database(e->db);
    weir_ruleset_destroy(e->rs);
    free(e);
}

const weir_ruleset *weir_engine_rules(const weir_engine *e)
{
    return e->rs;
}

const char *weir_engine_rules_hash(const weir_engine *e)
{
    return e->hash;
}

size_t weir_engine_db_bytes(const weir_engine *e)
{
    return e->db_bytes;
}

double weir_engine_compile_ms(const weir_engine *e)
{
    return e->compile_ms;
}

weir_scanner *weir_scanner_new(const weir_engine *e, char *err, size_t errlen)
{
    weir_scanner *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->e = e;
    s->rule_seen = calloc(e->rs->nrules, sizeof(uint32_t));
    s->hits = calloc(e->rs->nrules, sizeof(uint32_t));
    hs_error_t he = hs_alloc_scratch(e->db, &s->scratch);
    if (!s->rule_seen || !s->hits || he != HS_SUCCESS) {
        snprintf(err, errlen, "cannot allocate scanner (hs_alloc_scratch: %d)", (int)he);
        weir_scanner_destroy(s);
        return NULL;
    }
    return s;
}

void weir_scanner_destroy(weir_scanner *s)
{
    if (!s)
        return;
    hs_free_scratch(s->scratch);
    free(s->rule_seen);
    free(s->hits);
    free(s);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    weir_scanner *s = ctx;
    uint32_t rule = s->e->rs->exprs[id].rule;
    if (s->rule_seen[rule] != s->gen) {
        s->rule_seen[rule] = s->gen;
        s->hits[s->nhits++] = rule;
    }
    return 0; /* keep scanning: other rules may match too */
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int weir_scanner_scan(weir_scanner *s, const void *data, size_t len, weir_hits *hits, char *err,
                      size_t errlen)
{
    if (++s->gen == 0) { /* stamp wrapped: forget every old stamp once per 2^32 scans */
        memset(s->rule_seen, 0, s->e->rs->nrules * sizeof(uint32_t));
        s->gen = 1;
    }
    s->nhits = 0;
    hits->rules = s->hits;
    hits->n = 0;
    if (len > UINT32_MAX)
        len = UINT32_MAX; /* hs_scan takes an unsigned int; the caller caps events far lower */
    hs_error_t he = hs_scan(s->e->db, data ? data : "", (unsigned)len, 0, s->scratch, on_match, s);
    if (he != HS_SUCCESS) {
        snprintf(err, errlen, "hs_scan failed: error %d", (int)he);
        return -1;
    }
    if (s->nhits > 1)
        qsort(s->hits, s->nhits, sizeof(uint32_t), cmp_u32);
    hits->n = s->nhits;
    return 0;
}
