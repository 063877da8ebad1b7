/*
 * The engine's Hyperscan databases: which atoms go into which database, and which events scan
 * which database.
 *
 * A field's atoms are tested by rules of different formats: the keyword database held the ECP,
 * OAB and Exchange management rules' keywords, `.*` patterns among them, and every IIS line
 * scanned it whole for the two keywords web rules have (about 440 cycles a call against 100
 * for a small literal set). So the atoms of a field are split by the set each format's rules
 * test: formats testing the same set share one database, and an event scans, per field, the
 * database of its own format only. A rule is evaluated only on its formats, so an atom left out
 * of a format's database could not change a verdict there.
 *
 * Which database serves which format is derived, not stored: per format and field, the
 * smallest database holding every atom the format's rules test. That holds for a file compiled
 * before the split too (one database per field, every format picks it).
 */
#include "engine_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Marks in need[] the Hyperscan atoms on field that rules of format fmt test, under NOT too
 * (a filter's atom unscanned would read as "no match"); returns how many. */
static size_t atoms_needed(const weir_engine *e, int field, unsigned fmt, unsigned char *need)
{
    size_t n = 0;
    memset(need, 0, e->natoms ? e->natoms : 1);
    for (size_t i = 0; i < e->nrules; i++) {
        const rule_t *r = &e->rules[i];
        if (!(r->formats & (1u << fmt)))
            continue;
        for (size_t j = 0; j < r->nprog; j++) {
            if (r->prog[j].op != OP_ATOM)
                continue;
            uint32_t a = r->prog[j].arg;
            if (e->atoms[a].kind == ATOM_HS && e->atoms[a].field == field && !need[a]) {
                need[a] = 1;
                n++;
            }
        }
    }
    return n;
}

static bool same_set(const unsigned char *x, const unsigned char *y, size_t n)
{
    return memcmp(x, y, n ? n : 1) == 0;
}

/* Compiles the atoms marked in set (count of them: n) into a new database for field. */
static int compile_one(weir_engine *e, int field, const unsigned char *set, size_t n, char *err,
                       size_t errlen)
{
    fielddb_t *d = &e->dbs[e->ndbs];
    memset(d, 0, sizeof(*d));
    d->field = field;
    const char **exprs = calloc(n, sizeof(char *));
    unsigned *flags = calloc(n, sizeof(unsigned));
    unsigned *ids = calloc(n, sizeof(unsigned));
    d->atom_of = calloc(n, sizeof(uint32_t));
    if (!exprs || !flags || !ids || !d->atom_of) {
        free(exprs);
        free(flags);
        free(ids);
        free(d->atom_of);
        snprintf(err, errlen, "out of memory building databases");
        return -1;
    }
    for (size_t i = 0; i < e->natoms; i++) {
        if (!set[i])
            continue;
        exprs[d->nexprs] = e->atoms[i].expr;
        flags[d->nexprs] = e->atoms[i].flags;
        ids[d->nexprs] = (unsigned)d->nexprs;
        d->atom_of[d->nexprs++] = (uint32_t)i;
    }
    hs_compile_error_t *cerr = NULL;
    hs_error_t he = hs_compile_multi(exprs, flags, ids, (unsigned)d->nexprs, HS_MODE_BLOCK, NULL,
                                     &d->db, &cerr);
    free(exprs);
    free(flags);
    free(ids);
    if (he != HS_SUCCESS) {
        /* every regex was checked alone, so this is a resource limit, not a bad rule */
        snprintf(err, errlen, "Hyperscan cannot build the database for field '%s': %s",
                 field == FIELD_RAW ? "(keywords)" : weir_field_name(field),
                 cerr ? cerr->message : "unknown error");
        hs_free_compile_error(cerr);
        free(d->atom_of);
        d->atom_of = NULL;
        return -1;
    }
    size_t sz = 0;
    hs_database_size(d->db, &sz);
    e->db_bytes += sz;
    e->ndbs++;
    return 0;
}

int engine_compile_dbs(weir_engine *e, char *err, size_t errlen)
{
    size_t na = e->natoms ? e->natoms : 1;
    /* at most one database per field and format; the raw event's keywords first */
    size_t cap = (size_t)(WEIR_FIELD__COUNT + 1) * WEIR_FMT__COUNT;
    unsigned char *sets = calloc(WEIR_FMT__COUNT, na); /* this field's distinct sets */
    size_t *counts = calloc(WEIR_FMT__COUNT, sizeof(size_t));
    e->dbs = calloc(cap, sizeof(fielddb_t));
    if (!sets || !counts || !e->dbs) {
        free(sets);
        free(counts);
        snprintf(err, errlen, "out of memory building databases");
        return -1;
    }
    int rc = 0;
    for (int f = FIELD_RAW; f < WEIR_FIELD__COUNT && rc == 0; f++) {
        size_t nsets = 0;
        for (unsigned fmt = 0; fmt < WEIR_FMT__COUNT; fmt++) {
            unsigned char *cand = sets + nsets * na;
            size_t n = atoms_needed(e, f, fmt, cand);
            if (n == 0)
                continue;
            bool seen = false;
            for (size_t k = 0; k < nsets && !seen; k++)
                seen = same_set(sets + k * na, cand, e->natoms);
            if (!seen)
                counts[nsets++] = n;
        }
        for (size_t k = 0; k < nsets && rc == 0; k++)
            rc = compile_one(e, f, sets + k * na, counts[k], err, errlen);
    }
    free(sets);
    free(counts);
    return rc;
}

/*
 * A Sigma text value without a '+' (glob_to_regex escapes it as \x2b) matches a value with
 * a '+' only through a wildcard, which matches a space as well: so wherever it matches the
 * logged "a+b" it matches the normalised "a b" too, at the same place, and scanning the
 * logged form as well could not add a match. A regex value may test for '+' in any way
 * (\+, [+], \x2B, \S): regexes (the only atoms that allow an empty match) are never blind.
 */
static bool plus_blind(const weir_engine *e, const fielddb_t *d)
{
    for (size_t x = 0; x < d->nexprs; x++) {
        const atom_t *a = &e->atoms[d->atom_of[x]];
        if ((a->flags & HS_FLAG_ALLOWEMPTY) || strstr(a->expr, "\\x2b") || strchr(a->expr, '+'))
            return false;
    }
    return true;
}

/* Per format and field, the smallest database holding every atom the format's rules test. */
static void db_formats(weir_engine *e)
{
    unsigned char *need = malloc(e->natoms ? e->natoms : 1);
    for (size_t k = 0; k < e->ndbs; k++)
        e->dbs[k].formats = 0;
    if (!need) { /* every database for every format: slower, never wrong */
        for (size_t k = 0; k < e->ndbs; k++)
            e->dbs[k].formats = ~0u;
        return;
    }
    for (size_t k = 0; k < e->ndbs; k++) {
        int f = e->dbs[k].field;
        bool first = true; /* a field's formats are settled once, at its first database */
        for (size_t j = 0; j < k && first; j++)
            first = e->dbs[j].field != f;
        if (!first)
            continue;
        for (unsigned fmt = 0; fmt < WEIR_FMT__COUNT; fmt++) {
            size_t n = atoms_needed(e, f, fmt, need);
            if (n == 0)
                continue;
            fielddb_t *best = NULL;
            for (size_t j = k; j < e->ndbs; j++) {
                fielddb_t *d = &e->dbs[j];
                if (d->field != f || d->nexprs < n || (best && d->nexprs >= best->nexprs))
                    continue;
                size_t held = 0;
                for (size_t x = 0; x < d->nexprs; x++)
                    held += need[d->atom_of[x]];
                if (held == n)
                    best = d;
            }
            if (best) {
                best->formats |= 1u << fmt;
                continue;
            }
            for (size_t j = k; j < e->ndbs; j++) /* no one holds them all: their union does */
                if (e->dbs[j].field == f)
                    e->dbs[j].formats |= 1u << fmt;
        }
    }
    free(need);
}

/* Which databases each format's events scan, so that an event does not test every database. */
static void db_scan_lists(weir_engine *e)
{
    free(e->fmt_dbs);
    memset(e->fmt_ndbs, 0, sizeof(e->fmt_ndbs));
    if (!(e->fmt_dbs = malloc((e->ndbs ? e->ndbs : 1) * WEIR_FMT__COUNT * sizeof(uint32_t))))
        return;
    for (unsigned fmt = 0; fmt < WEIR_FMT__COUNT; fmt++) {
        weir_fmt_mask want = fmt == WEIR_FMT_AUTO ? ~0u : 1u << fmt;
        for (size_t k = 0; k < e->ndbs; k++)
            if (e->dbs[k].formats & want)
                e->fmt_dbs[fmt * e->ndbs + e->fmt_ndbs[fmt]++] = (uint32_t)k;
    }
}

void engine_db_derive(weir_engine *e)
{
    db_formats(e);
    db_scan_lists(e);
    for (size_t k = 0; k < e->ndbs; k++)
        e->dbs[k].plus_blind = plus_blind(e, &e->dbs[k]);
    engine_db_literals(e);
}
