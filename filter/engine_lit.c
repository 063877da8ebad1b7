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
 */
#include "engine_priv.h"
#include "weir/normalize.h"

#include <stdlib.h>
#include <string.h>

#define LIT_MAX_PER_DB 16 /* beyond this a comparison loop costs more than one scan */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
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
        if (is_alnum(expr[i])) {
            c = expr[i++];
        } else if (expr[i] == '\\' && i + 3 < n && expr[i + 1] == 'x' &&
                   weir_norm_hexval(expr[i + 2]) >= 0 && weir_norm_hexval(expr[i + 3]) >= 0) {
            c = (char)(weir_norm_hexval(expr[i + 2]) * 16 + weir_norm_hexval(expr[i + 3]));
            i += 4;
        } else {
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

void engine_db_literals_free(fielddb_t *d)
{
    for (size_t i = 0; i < d->nlits; i++)
        free(d->lits[i].bytes);
    free(d->lits);
    d->lits = NULL;
    d->nlits = 0;
}

void engine_db_literals(weir_engine *e)
{
    for (size_t k = 0; k < e->ndbs; k++) {
        fielddb_t *d = &e->dbs[k];
        engine_db_literals_free(d);
        if (d->nexprs == 0 || d->nexprs > LIT_MAX_PER_DB)
            continue;
        lit_t *lits = calloc(d->nexprs, sizeof(lit_t));
        if (!lits)
            continue;
        size_t n = 0;
        for (; n < d->nexprs; n++) {
            const atom_t *a = &e->atoms[d->atom_of[n]];
            if (!lit_parse(a->expr, a->flags, &lits[n]))
                break;
            lits[n].atom = d->atom_of[n];
        }
        d->lits = lits;
        d->nlits = n;
        if (n < d->nexprs) /* one is not a plain anchored literal: Hyperscan does them all */
            engine_db_literals_free(d);
    }
}
