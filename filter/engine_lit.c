/*
 * Anchored literals without Hyperscan. Many fields are tested only for whole values or a
 * fixed start or end: the method is POST, the status 200, the user name ends with '$', the
 * client is one of a few IPs. Each hs_scan call has a fixed cost (about 100 cycles measured
 * per call on such a database, against a few for comparing a short value), and an IIS event
 * scanned three databases of that kind. When every expression of a field's database is such a
 * literal, and there are few, the scanner compares them instead. The database is still built
 * and saved as before: this is derived from the expressions after a build or a load.
 *
 * The expressions are read back from what glob_to_regex writes (engine.c): "\A" and "\z"
 * anchors around letters, digits and \xHH escapes. Anything else (a wildcard, a regex
 * construct, no anchor at all) leaves the database to Hyperscan.
 *
 * A gate does less: when every expression of a database starts with "\A" and a literal (a
 * user-agent list written with startswith, or with wildcards inside), a value that starts
 * with none of those literals cannot match, and most values are turned away by their first
 * byte or two. Only they skip the scan; the others are scanned as before. Measured on the bench
 * corpus, the user-agent database cost ~390 cycles a scan, for values nearly all of which
 * begin "Mozilla/5.0 (Windows".
 */
#include "engine_priv.h"
#include "weir/normalize.h"

#include <stdlib.h>
#include <string.h>

#define LIT_MAX_PER_DB 16  /* beyond this a comparison loop costs more than one scan */
#define GATE_MAX_PER_DB 32 /* a refused value is rejected by about one compare per prefix */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Reads the literal byte at expr[*i] (a letter, a digit or \xHH, what glob_to_regex writes)
 * into *c and moves *i past it; false at anything else. */
static bool lit_unit(const char *expr, size_t n, size_t *i, char *c)
{
    if (*i < n && is_alnum(expr[*i])) {
        *c = expr[(*i)++];
        return true;
    }
    if (*i + 3 < n && expr[*i] == '\\' && expr[*i + 1] == 'x' &&
        weir_norm_hexval(expr[*i + 2]) >= 0 && weir_norm_hexval(expr[*i + 3]) >= 0) {
        *c = (char)(weir_norm_hexval(expr[*i + 2]) * 16 + weir_norm_hexval(expr[*i + 3]));
        *i += 4;
        return true;
    }
    return false;
}

/* Reads an anchored literal out of expr; false when it is anything else. out->bytes is
 * allocated (and must be freed) only on true. */
static bool lit_parse(const char *expr, unsigned flags, lit_t *out)
{
    size_t n = strlen(expr);
    uint8_t anchor = 0;
    if (n >= 2 && expr[0] == '\\' && expr[1] == 'A') {
        anchor |= LIT_START;
        expr += 2;
        n -= 2;
    }
    /* "\z" at the very end; an escaped backslash is always \x5c, so this is the anchor */
    if (n >= 2 && expr[n - 2] == '\\' && expr[n - 1] == 'z') {
        anchor |= LIT_END;
        n -= 2;
    }
    if (!anchor)
        return false; /* a contains: Hyperscan's literal matchers do that better */
    char *b = malloc(n + 1);
    if (!b)
        return false;
    size_t len = 0;
    bool caseless = flags & HS_FLAG_CASELESS;
    for (size_t i = 0; i < n;) {
        char c;
        if (!lit_unit(expr, n, &i, &c)) {
            free(b);
            return false;
        }
        b[len++] = caseless ? lower(c) : c;
    }
    out->anchor = anchor;
    out->caseless = caseless;
    out->len = (uint32_t)len;
    out->bytes = b;
    return true;
}

bool lit_match(const lit_t *l, const char *p, size_t n)
{
    if (n < l->len || (l->anchor == (LIT_START | LIT_END) && n != l->len))
        return false;
    const char *at = l->anchor & LIT_START ? p : p + n - l->len;
    if (!l->caseless)
        return memcmp(at, l->bytes, l->len) == 0;
    for (size_t i = 0; i < l->len; i++)
        if (lower(at[i]) != l->bytes[i])
            return false;
    return true;
}

/*
 * Whether every match of expr lies in one branch that starts at its first byte: no '|' outside
 * parentheses and classes. Constructs whose extent this reading cannot follow (\Q..\E quoting,
 * comments, inline options) answer false, which only costs the gate.
 */
static bool one_top_branch(const char *x)
{
    int depth = 0;
    for (size_t i = 0; x[i]; i++) {
        if (x[i] == '\\') {
            if (x[i + 1] == 'Q' || x[i + 1] == '\0')
                return false;
            i++;
        } else if (x[i] == '[') { /* a class: ']' first (after '^') is literal */
            i++;
            if (x[i] == '^')
                i++;
            if (x[i] == ']')
                i++;
            while (x[i] && x[i] != ']')
                i += x[i] == '\\' && x[i + 1] ? 2 : 1;
            if (!x[i])
                return false;
        } else if (x[i] == '(') {
            if (x[i + 1] == '?' && x[i + 2] != ':')
                return false;
            depth++;
        } else if (x[i] == ')') {
            depth--;
        } else if (x[i] == '|' && depth == 0) {
            return false;
        }
    }
    return depth == 0;
}

/* Reads the first bytes (up to 16) every match of expr has: "\A" then literal bytes, the last
 * one dropped when a quantifier follows it. False when there are none. */
static bool gate_parse(const char *expr, unsigned flags, gate_t *out)
{
    size_t n = strlen(expr);
    if (n < 3 || expr[0] != '\\' || expr[1] != 'A' || (flags & HS_FLAG_UCP) ||
        !one_top_branch(expr))
        return false;
    unsigned char want[16] = {0}, fold[16] = {0}, keep[16] = {0};
    size_t len = 0, i = 2;
    bool caseless = flags & HS_FLAG_CASELESS;
    char c;
    while (len < 16 && lit_unit(expr, n, &i, &c)) {
        want[len] = (unsigned char)(caseless ? lower(c) : c);
        fold[len] = caseless && want[len] >= 'a' && want[len] <= 'z' ? 0x20 : 0;
        keep[len++] = 0xFF;
    }
    if (len > 0 && i < n && strchr("*+?{", expr[i])) {
        len--; /* "\Aab*": the b may be absent */
        want[len] = fold[len] = keep[len] = 0;
    }
    if (len == 0)
        return false;
    memcpy(out->want, want, 16); /* the same layout as the value's bytes loaded by memcpy */
    memcpy(out->fold, fold, 16);
    memcpy(out->keep, keep, 16);
    out->len = (uint32_t)len;
    return true;
}

bool lit_gate_pass(const fielddb_t *d, const char *p, size_t n)
{
    if (!d->gate)
        return true;
    uint64_t v[2] = {0, 0};
    memcpy(v, p, n < 16 ? n : 16);
    for (size_t i = 0; i < d->ngate; i++) {
        const gate_t *g = &d->gate[i];
        if (((v[0] | g->fold[0]) & g->keep[0]) == g->want[0] &&
            ((v[1] | g->fold[1]) & g->keep[1]) == g->want[1] && n >= g->len)
            return true;
    }
    return false;
}

static void lits_free(lit_t *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i].bytes);
    free(l);
}

void engine_db_literals_free(fielddb_t *d)
{
    lits_free(d->lits, d->nlits);
    d->lits = NULL;
    d->nlits = 0;
    free(d->gate);
    d->gate = NULL;
    d->ngate = 0;
}

static bool gate_eq(const gate_t *a, const gate_t *b)
{
    for (int w = 0; w < 2; w++)
        if (a->want[w] != b->want[w] || a->fold[w] != b->fold[w] || a->keep[w] != b->keep[w])
            return false;
    return a->len == b->len;
}

/* The gate of a database not made only of literals, when every expression has a prefix. Equal
 * prefixes (a list of user agents beginning "Mozilla/5.0 (compatible; ") are kept once. */
static void db_gate(const weir_engine *e, fielddb_t *d)
{
    if (d->nexprs == 0 || d->nexprs > GATE_MAX_PER_DB)
        return;
    gate_t *g = calloc(d->nexprs, sizeof(gate_t));
    if (!g)
        return;
    size_t n = 0;
    for (size_t k = 0; k < d->nexprs; k++) {
        const atom_t *a = &e->atoms[d->atom_of[k]];
        if (!gate_parse(a->expr, a->flags, &g[n])) { /* one may match anywhere */
            free(g);
            return;
        }
        size_t j = 0;
        while (j < n && !gate_eq(&g[j], &g[n]))
            j++;
        n += j == n;
    }
    d->gate = g;
    d->ngate = n;
}

/* The literals of a database made only of a few anchored ones; false when it is not. */
static bool db_literals(const weir_engine *e, fielddb_t *d)
{
    if (d->nexprs == 0 || d->nexprs > LIT_MAX_PER_DB)
        return false;
    lit_t *lits = calloc(d->nexprs, sizeof(lit_t));
    if (!lits)
        return false;
    size_t n = 0;
    for (; n < d->nexprs; n++) {
        const atom_t *a = &e->atoms[d->atom_of[n]];
        if (!lit_parse(a->expr, a->flags, &lits[n]))
            break;
        lits[n].atom = d->atom_of[n];
    }
    if (n < d->nexprs) { /* one is not a plain anchored literal: Hyperscan does them all */
        lits_free(lits, n);
        return false;
    }
    d->lits = lits;
    d->nlits = n;
    return true;
}

void engine_db_literals(weir_engine *e)
{
    for (size_t k = 0; k < e->ndbs; k++) {
        fielddb_t *d = &e->dbs[k];
        engine_db_literals_free(d);
        if (!db_literals(e, d))
            db_gate(e, d);
    }
}
