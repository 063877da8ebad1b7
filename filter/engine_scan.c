/*
 * Scanning: one scanner per thread, owning its Hyperscan scratch, its parsed event and the
 * stamps that record which atoms and rules the current event touched. Parse the line, scan each
 * field that has a database (both its normalised and its logged form), then evaluate exactly the
 * rules whose trigger atoms matched, plus those evaluated on every event. Nothing here
 * allocates per event.
 */
#include "engine_priv.h"
#include "weir/normalize.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct weir_scanner {
    const weir_engine *e;
    hs_scratch_t *scratch;
    weir_event *ev;
    uint32_t gen;
    uint32_t *atom_hit;   /* per atom: gen when it matched this scan */
    uint32_t *rule_cand;  /* per rule: gen when it became a candidate */
    uint32_t *cands;
    size_t ncands;
    uint32_t *hits;
    size_t nhits;
    uint8_t *stack;
    scan_memo *memo; /* repeated short values are looked up, not scanned (engine_memo.c) */
};

/* Postfix evaluation; truth(atom) supplied by the caller. stack holds >= nprog entries. */
typedef int (*truth_fn)(void *ctx, uint32_t atom);

static int eval_prog(const op_t *prog, size_t n, uint8_t *stack, truth_fn truth, void *ctx)
{
    size_t sp = 0;
    for (size_t i = 0; i < n; i++) {
        const op_t o = prog[i];
        switch (o.op) {
        case OP_ATOM:
            stack[sp++] = (uint8_t)truth(ctx, o.arg);
            break;
        case OP_TRUE:
            stack[sp++] = 1;
            break;
        case OP_FALSE:
            stack[sp++] = 0;
            break;
        case OP_NOT:
            stack[sp - 1] = !stack[sp - 1];
            break;
        case OP_AND:
        case OP_OR: {
            uint8_t v = o.op == OP_AND;
            for (size_t k = 0; k < o.arg; k++)
                v = o.op == OP_AND ? (v && stack[sp - 1 - k]) : (v || stack[sp - 1 - k]);
            sp -= o.arg;
            stack[sp++] = v;
            break;
        }
        }
    }
    return sp == 1 ? stack[0] : 0;
}

/* ---- scanner ------------------------------------------------------------------------------- */

/* The scanner's event parses only the fields some atom tests: nothing else of an event can
 * change a verdict, and a rule's alert fields are its atoms' fields (collect_fields). */
static void scanner_parse_only(weir_scanner *s)
{
    const weir_engine *e = s->e;
    bool seen[WEIR_FIELD__COUNT] = {false};
    int ids[WEIR_FIELD__COUNT];
    size_t n = 0;
    for (size_t i = 0; i < e->natoms; i++) {
        int f = e->atoms[i].field; /* FIELD_RAW for keywords: the line is always there */
        if (f >= 0 && f < WEIR_FIELD__COUNT && !seen[f]) {
            seen[f] = true;
            ids[n++] = f;
        }
    }
    weir_event_parse_only(s->ev, ids, n);
}

weir_scanner *weir_scanner_new(const weir_engine *e, size_t max_line, char *err, size_t errlen)
{
    weir_scanner *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->e = e;
    s->atom_hit = calloc(e->natoms ? e->natoms : 1, sizeof(uint32_t));
    s->rule_cand = calloc(e->nrules, sizeof(uint32_t));
    s->cands = calloc(e->nrules, sizeof(uint32_t));
    s->hits = calloc(e->nrules, sizeof(uint32_t));
    s->stack = malloc(e->max_prog + 1);
    s->memo = scan_memo_new(e->ndbs);
    if (!s->atom_hit || !s->rule_cand || !s->cands || !s->hits || !s->stack || !s->memo) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!(s->ev = weir_event_new(max_line, err, errlen)))
        goto fail;
    scanner_parse_only(s);
    for (size_t i = 0; i < e->ndbs; i++) {
        hs_error_t he = hs_alloc_scratch(e->dbs[i].db, &s->scratch);
        if (he != HS_SUCCESS) {
            snprintf(err, errlen, "cannot allocate Hyperscan scratch: error %d", (int)he);
            goto fail;
        }
    }
    return s;
fail:
    weir_scanner_destroy(s);
    return NULL;
}

void weir_scanner_destroy(weir_scanner *s)
{
    if (!s)
        return;
    hs_free_scratch(s->scratch);
    weir_event_destroy(s->ev);
    free(s->atom_hit);
    free(s->rule_cand);
    free(s->cands);
    free(s->hits);
    free(s->stack);
    scan_memo_free(s->memo);
    free(s);
}

typedef struct {
    weir_scanner *s;
    const fielddb_t *d;
    uint32_t found[MEMO_ATOMS]; /* the distinct atoms this scan matched, for the memo */
    size_t nfound;              /* MEMO_ATOMS + 1: more than it keeps */
} match_ctx;

/* Atom a matched this event: its rules become candidates (each once). */
static void atom_matched(weir_scanner *s, uint32_t a)
{
    if (s->atom_hit[a] == s->gen)
        return;
    s->atom_hit[a] = s->gen;
    const atom_t *at = &s->e->atoms[a];
    for (size_t i = 0; i < at->nrules; i++) {
        uint32_t r = at->rules[i];
        if (s->rule_cand[r] != s->gen) {
            s->rule_cand[r] = s->gen;
            s->cands[s->ncands++] = r;
        }
    }
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    match_ctx *m = ctx;
    uint32_t a = m->d->atom_of[id];
    atom_matched(m->s, a);
    if (m->nfound > MEMO_ATOMS)
        return 0; /* already more than the memo keeps */
    size_t i = 0;
    while (i < m->nfound && m->found[i] != a)
        i++;
    if (i == m->nfound) { /* new to this scan */
        if (i < MEMO_ATOMS)
            m->found[i] = a;
        m->nfound++;
    }
    return 0;
}

/* Copies a field value into buf as a C string (for inet_pton/strtod); 0 if it does not fit. */
static int cstr(const weir_view *v, char *buf, size_t buflen)
{
    if (v->len >= buflen)
        return 0;
    memcpy(buf, v->p, v->len);
    buf[v->len] = '\0';
    return 1;
}

static int cidr_match(const atom_t *a, const weir_view *v)
{
    char buf[64];
    unsigned char addr[16];
    if (!cstr(v, buf, sizeof(buf)) || inet_pton(a->family, buf, addr) != 1)
        return 0;
    unsigned bits = a->prefix, nbytes = bits / 8, rem = bits % 8;
    if (memcmp(addr, a->addr, nbytes) != 0)
        return 0;
    if (rem) {
        unsigned char mask = (unsigned char)(0xFF << (8 - rem));
        if ((addr[nbytes] & mask) != (a->addr[nbytes] & mask))
            return 0;
    }
    return 1;
}

static int cmp_match(const atom_t *a, const weir_view *v)
{
    char buf[64], *end;
    if (!cstr(v, buf, sizeof(buf)) || !buf[0])
        return 0;
    double x = strtod(buf, &end);
    if (*end)
        return 0;
    switch (a->op) {
    case SIGMA_CMP_LT:
        return x < a->num;
    case SIGMA_CMP_LTE:
        return x <= a->num;
    case SIGMA_CMP_GT:
        return x > a->num;
    case SIGMA_CMP_GTE:
        return x >= a->num;
    }
    return 0;
}

static int atom_truth(void *ctx, uint32_t idx)
{
    weir_scanner *s = ctx;
    const atom_t *a = &s->e->atoms[idx];
    if (a->kind == ATOM_HS)
        return s->atom_hit[idx] == s->gen;
    if (a->field == FIELD_RAW) /* keyword '*' */
        return 1;
    const weir_view *v = weir_event_get(s->ev, a->field);
    switch (a->kind) {
    case ATOM_EXISTS:
        return (v != NULL) == a->want;
    case ATOM_NULL:
        return !v || v->len == 0;
    case ATOM_EMPTY:
        return v && v->len == 0;
    case ATOM_CIDR:
        return v && cidr_match(a, v);
    case ATOM_CMP:
        return v && cmp_match(a, v);
    default:
        return 0;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int scan_view(weir_scanner *s, const fielddb_t *d, const char *p, size_t len, char *err,
                     size_t errlen)
{
    if (d->lits) { /* anchored literals only: compared, no scan (engine_lit.c) */
        for (size_t i = 0; i < d->nlits; i++)
            if (lit_match(&d->lits[i], p ? p : "", len))
                atom_matched(s, d->lits[i].atom);
        return 0;
    }
    if (!p)
        p = "";
    if (d->gate && !lit_gate_pass(d, p, len))
        return 0; /* starts with none of the literals every expression starts with */
    uint32_t di = (uint32_t)(d - s->e->dbs);
    uint64_t h;
    const uint32_t *seen;
    size_t nseen;
    if (scan_memo_get(s->memo, di, p, len, &h, &seen, &nseen)) {
        for (size_t i = 0; i < nseen; i++)
            atom_matched(s, seen[i]);
        return 0;
    }
    match_ctx m = {.s = s, .d = d};
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    hs_error_t he = hs_scan(d->db, p, (unsigned)len, 0, s->scratch, on_match, &m);
    if (he != HS_SUCCESS) {
        snprintf(err, errlen, "hs_scan failed: error %d", (int)he);
        return -1;
    }
    scan_memo_put(s->memo, di, h, p, len, m.found, m.nfound);
    return 0;
}

int weir_scanner_scan(weir_scanner *s, weir_parser *p, const void *data, size_t len,
                      weir_hits *hits, char *err, size_t errlen)
{
    const weir_engine *e = s->e;
    if (++s->gen == 0) { /* stamps wrapped: forget them all once per 2^32 scans */
        memset(s->atom_hit, 0, (e->natoms ? e->natoms : 1) * sizeof(uint32_t));
        memset(s->rule_cand, 0, e->nrules * sizeof(uint32_t));
        s->gen = 1;
    }
    s->ncands = 0;
    s->nhits = 0;
    hits->rules = s->hits;
    hits->n = 0;
    hits->event = s->ev;
    int st = weir_parser_parse(p, data, len, s->ev);
    hits->parse_status = st;
    if (st == WEIR_PARSE_HEADER)
        return 0;
    weir_format fmt = weir_event_format(s->ev);
    /* a malformed line has no format: its keyword matches count for any rule (the raw bytes
     * are all there is, and dropping them would hide an attack in a broken line) */
    weir_fmt_mask want = fmt == WEIR_FMT_AUTO ? ~0u : 1u << fmt;
    /* only the databases some rule of this event's format tests: another's matches could not
     * change a verdict (rules of other formats are not evaluated). The keyword database is
     * scanned over the whole line: skipping it saves the most. */
    const uint32_t *order = e->fmt_dbs ? e->fmt_dbs + (size_t)fmt * e->ndbs : NULL;
    size_t nscan = order ? e->fmt_ndbs[fmt] : e->ndbs;
    for (size_t i = 0; i < nscan; i++) {
        const fielddb_t *d = &e->dbs[order ? order[i] : i];
        if (!(d->formats & want))
            continue; /* without the lists: every database is tried */
        if (d->field == FIELD_RAW) {
            if (scan_view(s, d, data, len, err, errlen) != 0)
                return -1;
            continue;
        }
        if (st != WEIR_PARSE_OK)
            continue;
        const weir_view *v = weir_event_get(s->ev, d->field);
        if (!v)
            continue;
        if (scan_view(s, d, v->p, v->len, err, errlen) != 0)
            return -1;
        /* the value as logged too, when normalisation changed it: published indicators are
         * written both ways (the Hafnium user-agent lists keep IIS's '+' for spaces, other
         * rules use spaces; ProxyShell's %3f@ is an encoded form) */
        if (d->plus_blind && weir_norm_plus_only(fmt, d->field))
            continue; /* it could only find again what the normalised value gave */
        const weir_view *r = weir_event_get_raw(s->ev, d->field);
        if (r && (r->len != v->len || memcmp(r->p, v->p, v->len) != 0) &&
            scan_view(s, d, r->p, r->len, err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; i < e->nalways; i++) {
        uint32_t r = e->always[i];
        if (s->rule_cand[r] != s->gen) {
            s->rule_cand[r] = s->gen;
            s->cands[s->ncands++] = r;
        }
    }
    for (size_t i = 0; i < s->ncands; i++) {
        const rule_t *r = &e->rules[s->cands[i]];
        if (!(r->formats & want))
            continue;
        if (eval_prog(r->prog, r->nprog, s->stack, atom_truth, s))
            s->hits[s->nhits++] = s->cands[i];
    }
    if (s->nhits > 1)
        qsort(s->hits, s->nhits, sizeof(uint32_t), cmp_u32);
    hits->n = s->nhits;
    return 0;
}

void weir_scanner_memo_counts(const weir_scanner *s, uint64_t *lookups, uint64_t *hits)
{
    scan_memo_counts(s->memo, lookups, hits);
}

size_t weir_scanner_scratch_bytes(const weir_scanner *s)
{
    size_t n = 0;
    return hs_scratch_size(s->scratch, &n) == HS_SUCCESS ? n : 0;
}
