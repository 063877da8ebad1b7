/*
 * Engine: Sigma rule trees → atoms → per-field Hyperscan databases + per-rule programs.
 *
 * Build:
 *   1. Each rule's condition is flattened into a postfix program over atoms (AND/OR/NOT with
 *      child counts), so evaluation is a loop over a small array, no recursion, no allocation.
 *   2. Atoms are deduplicated: the same test on the same field, written in many rules, is one
 *      Hyperscan expression whose match lights every rule that uses it.
 *   3. Hyperscan atoms are grouped by field into block-mode databases, plus keyword databases
 *      for the raw event (engine_db.c). A field value is its own buffer, so `^`/`$` anchors mean
 *      "start/end of the value" and a value can never match across two fields.
 *
 * Why per-field databases rather than one per log source: rules are scoped to log sources at
 * evaluation time (a rule only fires on formats its logsource names), so formats that test a
 * field alike share its database; a field gets a second one only for formats whose rules test
 * a different set on it (an IIS line need not scan the ECP rules' keywords).
 *
 * Scan: parse → hs_scan each field value that has a database → evaluate the rules whose atoms
 * matched (plus the few that can match with no atom, e.g. `not filter` or `exists`) → hits.
 */
#include "weir/engine.h"

#include <hs/hs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weir/logsource.h"
#include "engine_priv.h"


/* ---- small helpers ------------------------------------------------------------------------ */

static void report_reject(weir_build_report *rep, const char *file, unsigned line, const char *id,
                          const char *fmt, const char *reason)
{
    weir_rejection *nr = realloc(rep->rejected, (rep->nrejected + 1) * sizeof(*nr));
    if (!nr)
        return;
    rep->rejected = nr;
    weir_rejection *r = &nr[rep->nrejected++];
    char msg[1024];
    if (fmt)
        snprintf(msg, sizeof(msg), "%s:%u: rule %s: %s", file, line, id ? id : "(no id)", reason);
    else
        snprintf(msg, sizeof(msg), "%s", reason);
    r->file = strdup(file ? file : "");
    r->line = line;
    r->id = id ? strdup(id) : NULL;
    r->message = strdup(msg);
}

void weir_build_report_free(weir_build_report *rep)
{
    for (size_t i = 0; i < rep->nrejected; i++) {
        free(rep->rejected[i].file);
        free(rep->rejected[i].id);
        free(rep->rejected[i].message);
    }
    free(rep->rejected);
    memset(rep, 0, sizeof(*rep));
}

typedef struct {
    op_t *v;
    size_t n, cap;
    int oom;
} prog_t;

static void emit(prog_t *p, unsigned op, size_t arg)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 16;
        op_t *nv = realloc(p->v, nc * sizeof(op_t));
        if (!nv) {
            p->oom = 1;
            return;
        }
        p->v = nv;
        p->cap = nc;
    }
    p->v[p->n].op = op;
    p->v[p->n].arg = (uint32_t)arg;
    p->n++;
}

/* ---- glob → Hyperscan regex ---------------------------------------------------------------- */

typedef struct {
    char *s;
    size_t n, cap;
} sbuf;

static int sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t nc = (b->n + n + 1) * 2;
        char *ns = realloc(b->s, nc);
        if (!ns)
            return -1;
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
    return 0;
}

static int sb_lit(sbuf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char tmp[8];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            tmp[0] = (char)c;
            if (sb_put(b, tmp, 1))
                return -1;
        } else { /* every other byte escaped: no metacharacter can leak from a value */
            snprintf(tmp, sizeof(tmp), "\\x%02x", c);
            if (sb_put(b, tmp, 4))
                return -1;
        }
    }
    return 0;
}

/*
 * A glob matches the whole value, so it is anchored with \A and \z (not ^ and $: PCRE's $ also
 * matches before a final newline); leading or trailing '*' simply drop the anchor.
 * '?' is one UTF-8 character (a lead byte and its continuation bytes), or one stray byte.
 */
#define QMARK_RE "(?:[\\x00-\\xbf]|[\\xc0-\\xff][\\x80-\\xbf]*)"

static char *glob_to_regex(const sigma_value *v)
{
    const sigma_part *parts = v->u.glob.parts;
    size_t n = v->u.glob.nparts, lo = 0, hi = n;
    while (lo < hi && parts[lo].kind == SIGMA_PART_STAR)
        lo++;
    while (hi > lo && parts[hi - 1].kind == SIGMA_PART_STAR)
        hi--;
    sbuf b = {0};
    int e = 0;
    if (lo == 0)
        e |= sb_put(&b, "\\A", 2);
    for (size_t i = lo; i < hi && !e; i++) {
        if (parts[i].kind == SIGMA_PART_LIT)
            e |= sb_lit(&b, parts[i].lit, parts[i].len);
        else if (parts[i].kind == SIGMA_PART_STAR)
            e |= sb_put(&b, ".*", 2);
        else
            e |= sb_put(&b, QMARK_RE, strlen(QMARK_RE));
    }
    if (hi == n)
        e |= sb_put(&b, "\\z", 2);
    if (e) {
        free(b.s);
        return NULL;
    }
    return b.s ? b.s : strdup("");
}

static int glob_is_all_stars(const sigma_value *v)
{
    for (size_t i = 0; i < v->u.glob.nparts; i++)
        if (v->u.glob.parts[i].kind != SIGMA_PART_STAR)
            return 0;
    return v->u.glob.nparts > 0;
}

static int glob_is_empty(const sigma_value *v)
{
    for (size_t i = 0; i < v->u.glob.nparts; i++)
        if (v->u.glob.parts[i].kind != SIGMA_PART_LIT || v->u.glob.parts[i].len)
            return 0;
    return 1;
}

/* ---- atoms --------------------------------------------------------------------------------- */

static int atom_add(weir_engine *e, const atom_t *a)
{
    if (a->kind == ATOM_HS) { /* dedupe identical expressions on the same field */
        for (size_t i = 0; i < e->natoms; i++) {
            const atom_t *x = &e->atoms[i];
            if (x->kind == ATOM_HS && x->field == a->field && x->flags == a->flags &&
                strcmp(x->expr, a->expr) == 0) {
                free(a->expr);
                return (int)i;
            }
        }
    }
    if (e->natoms == e->capatoms) {
        size_t nc = e->capatoms ? e->capatoms * 2 : 64;
        atom_t *na = realloc(e->atoms, nc * sizeof(atom_t));
        if (!na)
            return -1;
        e->atoms = na;
        e->capatoms = nc;
    }
    e->atoms[e->natoms] = *a;
    return (int)e->natoms++;
}

/* Builds the atom for one value of an item; returns its index or -1 with why set. */
static int value_atom(weir_engine *e, int field, const sigma_value *v, const char **why,
                      char *hserr, size_t hserrlen)
{
    atom_t a;
    memset(&a, 0, sizeof(a));
    a.field = field;
    switch (v->kind) {
    case SIGMA_MATCH_GLOB:
        if (glob_is_all_stars(v)) { /* '*' alone: any value, i.e. the field is there */
            if (field == FIELD_RAW) {
                a.kind = ATOM_EXISTS; /* keyword '*': every event */
                a.want = true;
                break;
            }
            a.kind = ATOM_EXISTS;
            a.want = true;
            break;
        }
        if (glob_is_empty(v)) {
            if (field == FIELD_RAW) {
                *why = "an empty keyword matches every event";
                return -1;
            }
            a.kind = ATOM_EMPTY;
            break;
        }
        a.kind = ATOM_HS;
        a.flags = HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL | (v->u.glob.cased ? 0 : HS_FLAG_CASELESS);
        if (!(a.expr = glob_to_regex(v))) {
            *why = "out of memory";
            return -1;
        }
        break;
    case SIGMA_MATCH_REGEX: {
        a.kind = ATOM_HS;
        a.flags = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
        if (v->u.re_flags & SIGMA_RE_I)
            a.flags |= HS_FLAG_CASELESS;
        if (v->u.re_flags & SIGMA_RE_M)
            a.flags |= HS_FLAG_MULTILINE;
        if (v->u.re_flags & SIGMA_RE_S)
            a.flags |= HS_FLAG_DOTALL;
        /* check it alone first, so a refused regex rejects its rule, not the whole build */
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *cerr = NULL;
        if (hs_expression_info(v->text, a.flags, &info, &cerr) != HS_SUCCESS) {
            snprintf(hserr, hserrlen, "Hyperscan refuses regex '%s': %s", v->text,
                     cerr ? cerr->message : "unknown error");
            hs_free_compile_error(cerr);
            *why = hserr;
            return -1;
        }
        free(info);
        if (!(a.expr = strdup(v->text))) {
            *why = "out of memory";
            return -1;
        }
        break;
    }
    case SIGMA_MATCH_NULL:
        if (field == FIELD_RAW) {
            *why = "a null keyword has no meaning";
            return -1;
        }
        a.kind = ATOM_NULL;
        break;
    case SIGMA_MATCH_EXISTS:
        a.kind = ATOM_EXISTS;
        a.want = v->u.exists;
        break;
    case SIGMA_MATCH_CIDR:
        a.kind = ATOM_CIDR;
        a.family = v->u.cidr.family;
        memcpy(a.addr, v->u.cidr.addr, sizeof(a.addr));
        a.prefix = v->u.cidr.prefix;
        break;
    case SIGMA_MATCH_CMP:
        a.kind = ATOM_CMP;
        a.op = v->u.cmp.op;
        a.num = v->u.cmp.num;
        break;
    }
    if (field == FIELD_RAW && a.kind != ATOM_HS && a.kind != ATOM_EXISTS) {
        *why = "only text and regex values can be keywords";
        return -1;
    }
    int idx = atom_add(e, &a);
    if (idx < 0) {
        free(a.expr);
        *why = "out of memory";
    }
    return idx;
}

/* ---- rule → program ------------------------------------------------------------------------ */

typedef struct {
    weir_engine *e;
    const sigma_rule *r;
    prog_t prog;
    const char *why;
    unsigned line; /* of the item or value at fault, for the message */
    char buf[768];
} cctx;

static int emit_item(cctx *c, const sigma_item *it)
{
    int field = FIELD_RAW;
    if (it->field) {
        field = weir_field_lookup(it->field);
        if (field < 0) {
            snprintf(c->buf, sizeof(c->buf), "field '%s' is not produced by any weir parser",
                     it->field);
            c->why = c->buf;
            c->line = it->line;
            return -1;
        }
    }
    if (it->nvalues == 0) {
        c->why = "an item without values";
        return -1;
    }
    for (size_t i = 0; i < it->nvalues; i++) {
        char hserr[512];
        int a = value_atom(c->e, field, &it->values[i], &c->why, hserr, sizeof(hserr));
        if (a < 0) {
            snprintf(c->buf, sizeof(c->buf), "%s", c->why);
            c->why = c->buf;
            c->line = it->values[i].line ? it->values[i].line : it->line;
            return -1;
        }
        emit(&c->prog, OP_ATOM, (size_t)a);
    }
    if (it->nvalues > 1)
        emit(&c->prog, it->all ? OP_AND : OP_OR, it->nvalues);
    if (it->negated)
        emit(&c->prog, OP_NOT, 1);
    return 0;
}

static int emit_det(cctx *c, const sigma_det *d)
{
    if (d->kind == SIGMA_DET_ITEM)
        return emit_item(c, &d->item);
    if (d->nkids == 0) { /* an empty map or list: Sigma has no such search; be explicit */
        emit(&c->prog, d->kind == SIGMA_DET_AND ? OP_TRUE : OP_FALSE, 0);
        return 0;
    }
    for (size_t i = 0; i < d->nkids; i++)
        if (emit_det(c, &d->kids[i]) != 0)
            return -1;
    if (d->nkids > 1)
        emit(&c->prog, d->kind == SIGMA_DET_AND ? OP_AND : OP_OR, d->nkids);
    return 0;
}

static int emit_cond(cctx *c, const sigma_cond *k)
{
    switch (k->kind) {
    case SIGMA_COND_REF:
        return emit_det(c, &c->r->searches[k->ref].det);
    case SIGMA_COND_NOT:
        if (emit_cond(c, &k->kids[0]) != 0)
            return -1;
        emit(&c->prog, OP_NOT, 1);
        return 0;
    case SIGMA_COND_AND:
    case SIGMA_COND_OR:
        for (size_t i = 0; i < k->nkids; i++)
            if (emit_cond(c, &k->kids[i]) != 0)
                return -1;
        if (k->nkids > 1)
            emit(&c->prog, k->kind == SIGMA_COND_AND ? OP_AND : OP_OR, k->nkids);
        else if (k->nkids == 0)
            emit(&c->prog, k->kind == SIGMA_COND_AND ? OP_TRUE : OP_FALSE, 0);
        return 0;
    }
    return -1;
}


/* ---- build --------------------------------------------------------------------------------- */

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

void engine_rule_meta_free(weir_rule *m)
{
    free(m->id);
    free(m->title);
    free(m->level);
    free(m->file);
    for (size_t t = 0; t < m->ntags; t++)
        free(m->tags[t]);
    free(m->tags);
}

static int fill_meta(weir_rule *m, const sigma_rule *r)
{
    char idbuf[512];
    const char *id = r->id;
    if (!id) { /* alerts need an id: derive a stable one from where the rule lives */
        snprintf(idbuf, sizeof(idbuf), "%s:%u", r->file ? r->file : "?", r->line);
        id = idbuf;
    }
    m->id = strdup(id);
    m->title = dup_or_empty(r->title);
    m->level = dup_or_empty(r->level ? r->level : "medium");
    m->file = dup_or_empty(r->file);
    m->line = r->line;
    m->tags = calloc(r->tags.n ? r->tags.n : 1, sizeof(char *));
    if (!m->id || !m->title || !m->level || !m->file || !m->tags)
        return -1;
    for (size_t t = 0; t < r->tags.n; t++) {
        if (!(m->tags[t] = strdup(r->tags.v[t])))
            return -1;
        m->ntags++;
    }
    return 0;
}

static int collect_fields(const weir_engine *e, rule_t *rt)
{
    rt->fields = calloc(rt->nprog ? rt->nprog : 1, sizeof(int));
    if (!rt->fields)
        return -1;
    for (size_t k = 0; k < rt->nprog; k++) {
        if (rt->prog[k].op != OP_ATOM)
            continue;
        int f = e->atoms[rt->prog[k].arg].field;
        int seen = f == FIELD_RAW;
        for (size_t j = 0; j < rt->nfields && !seen; j++)
            seen = rt->fields[j] == f;
        if (!seen)
            rt->fields[rt->nfields++] = f;
    }
    return 0;
}

/*
 * Which atoms make a rule worth evaluating. For each program node, a "trigger set": atoms one of
 * which must match for the node to be true, or "none" when it can be true with no Hyperscan
 * atom matching (NOT, exists, null, cidr, numeric tests). AND needs all its children, so one
 * child's set suffices: the most selective one is taken, so `cs-method: POST and uri contains
 * /ecp/` is evaluated when the URI atom matches, not on every POST. OR needs the union. A rule
 * whose root is "none" is evaluated on every event.
 */
typedef struct {
    uint32_t *v;
    size_t n;
    int none;
    double cost; /* rough likelihood of matching an ordinary event: lower is more selective */
} tset;

static double atom_cost(const atom_t *a)
{
    switch (a->field) {
    case WEIR_F_CS_METHOD: /* few distinct values: a test on them matches many events */
    case WEIR_F_SC_STATUS:
    case WEIR_F_S_PORT:
    case WEIR_F_SC_SUBSTATUS:
    case WEIR_F_SC_WIN32_STATUS:
    case WEIR_F_CS_VERSION:
        return 100.0;
    default:
        return 1.0 + 8.0 / (1.0 + (double)strlen(a->expr ? a->expr : ""));
    }
}

static int rule_triggers(const weir_engine *e, const rule_t *r, tset *out)
{
    tset *st = calloc(r->nprog + 1, sizeof(tset));
    size_t sp = 0;
    int rc = -1;
    if (!st)
        return -1;
    for (size_t i = 0; i < r->nprog; i++) {
        const op_t o = r->prog[i];
        tset t = {0};
        if (o.op == OP_ATOM && e->atoms[o.arg].kind == ATOM_HS) {
            if (!(t.v = malloc(sizeof(uint32_t))))
                goto out;
            t.v[t.n++] = o.arg;
            t.cost = atom_cost(&e->atoms[o.arg]);
        } else if (o.op == OP_ATOM || o.op == OP_TRUE) {
            t.none = 1;
        } else if (o.op == OP_FALSE) {
            /* never true: an empty set, no atom ever makes it a candidate */
        } else if (o.op == OP_NOT) {
            free(st[sp - 1].v);
            st[--sp] = (tset){0};
            t.none = 1;
        } else { /* AND / OR over the top o.arg sets */
            tset *kids = &st[sp - o.arg];
            if (o.op == OP_OR) {
                size_t total = 0;
                for (size_t k = 0; k < o.arg; k++) {
                    t.none |= kids[k].none;
                    total += kids[k].n;
                    t.cost += kids[k].cost;
                }
                if (!t.none && total && !(t.v = malloc(total * sizeof(uint32_t))))
                    goto out;
                for (size_t k = 0; !t.none && k < o.arg; k++) {
                    memcpy(t.v + t.n, kids[k].v, kids[k].n * sizeof(uint32_t));
                    t.n += kids[k].n;
                }
                for (size_t k = 0; k < o.arg; k++)
                    free(kids[k].v);
            } else {
                size_t best = o.arg;
                for (size_t k = 0; k < o.arg; k++)
                    if (!kids[k].none && (best == o.arg || kids[k].cost < kids[best].cost))
                        best = k;
                if (best == o.arg) {
                    t.none = 1;
                } else {
                    t = kids[best];
                    kids[best].v = NULL;
                }
                for (size_t k = 0; k < o.arg; k++)
                    free(kids[k].v);
            }
            sp -= o.arg;
        }
        st[sp++] = t;
    }
    if (sp != 1)
        goto out;
    *out = st[0];
    st[0].v = NULL;
    rc = 0;
out:
    for (size_t k = 0; k < sp; k++)
        free(st[k].v);
    free(st);
    return rc;
}

static int add_posting(atom_t *a, uint32_t rule)
{
    if (a->nrules && a->rules[a->nrules - 1] == rule)
        return 0;
    uint32_t *nr = realloc(a->rules, (a->nrules + 1) * sizeof(uint32_t));
    if (!nr)
        return -1;
    nr[a->nrules++] = rule;
    a->rules = nr;
    return 0;
}

int engine_finish(weir_engine *e)
{
    for (size_t i = 0; i < e->natoms; i++) { /* derived here, whatever a file said */
        free(e->atoms[i].rules);
        e->atoms[i].rules = NULL;
        e->atoms[i].nrules = 0;
    }
    free(e->always);
    e->nalways = 0;
    e->always = calloc(e->nrules ? e->nrules : 1, sizeof(uint32_t));
    if (!e->always)
        return -1;
    for (size_t i = 0; i < e->nrules; i++) {
        tset t;
        if (rule_triggers(e, &e->rules[i], &t) != 0)
            return -1;
        if (t.none)
            e->always[e->nalways++] = (uint32_t)i;
        for (size_t k = 0; !t.none && k < t.n; k++)
            if (add_posting(&e->atoms[t.v[k]], (uint32_t)i) != 0) {
                free(t.v);
                return -1;
            }
        free(t.v);
    }
    return 0;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void engine_compute_hash(weir_engine *e)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < e->nrules; i++) {
        const rule_t *r = &e->rules[i];
        h = fnv1a(h, r->meta.id, strlen(r->meta.id) + 1);
        h = fnv1a(h, &r->formats, sizeof(r->formats));
        for (size_t k = 0; k < r->nprog; k++) {
            op_t o = r->prog[k];
            h = fnv1a(h, &o, sizeof(o));
            if (o.op == OP_ATOM) {
                const atom_t *a = &e->atoms[o.arg];
                h = fnv1a(h, &a->kind, sizeof(a->kind));
                h = fnv1a(h, &a->field, sizeof(a->field));
                h = fnv1a(h, &a->flags, sizeof(a->flags));
                if (a->expr)
                    h = fnv1a(h, a->expr, strlen(a->expr) + 1);
            }
        }
    }
    snprintf(e->hash, sizeof(e->hash), "%016" PRIx64, h);
}

int weir_engine_build(weir_engine **out, const sigma_ruleset *set, weir_build_report *rep,
                      char *err, size_t errlen)
{
    *out = NULL;
    memset(rep, 0, sizeof(*rep));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    weir_engine *e = calloc(1, sizeof(*e));
    if (!e || !(e->rules = calloc(set->nentries ? set->nentries : 1, sizeof(rule_t)))) {
        free(e);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rep->nrules = set->nentries;
    for (size_t i = 0; i < set->nentries; i++) {
        const sigma_entry *en = &set->entries[i];
        if (!en->rule) {
            report_reject(rep, en->file, en->line, en->id, NULL, en->error ? en->error : "");
            continue;
        }
        const sigma_rule *r = en->rule;
        rule_t *rt = &e->rules[e->nrules];
        memset(rt, 0, sizeof(*rt));
        char why[512];
        size_t natoms_before = e->natoms;
        if (weir_logsource_formats(&r->logsource, &rt->formats, why, sizeof(why)) != 0) {
            report_reject(rep, r->file, r->line, r->id, "", why);
            continue;
        }
        int dup = 0;
        for (size_t k = 0; r->id && k < e->nrules; k++)
            if (strcmp(e->rules[k].meta.id, r->id) == 0) {
                snprintf(why, sizeof(why), "duplicate id (first defined at %s:%u)",
                         e->rules[k].meta.file, e->rules[k].meta.line);
                dup = 1;
                break;
            }
        if (dup) {
            report_reject(rep, r->file, r->line, r->id, "", why);
            continue;
        }
        cctx c = {.e = e, .r = r};
        if (emit_cond(&c, r->cond) != 0 || c.prog.oom) {
            report_reject(rep, r->file, c.line ? c.line : r->line, r->id, "",
                          c.prog.oom ? "out of memory" : c.why);
            free(c.prog.v);
            /* atoms this rule added and nobody else uses would still be compiled: drop them */
            for (size_t k = natoms_before; k < e->natoms; k++)
                free(e->atoms[k].expr);
            e->natoms = natoms_before;
            continue;
        }
        if (fill_meta(&rt->meta, r) != 0) {
            engine_rule_meta_free(&rt->meta);
            free(c.prog.v);
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        rt->prog = c.prog.v;
        rt->nprog = c.prog.n;
        if (collect_fields(e, rt) != 0) {
            snprintf(err, errlen, "out of memory");
            e->nrules++; /* so destroy frees this rule too */
            goto fail;
        }
        if (rt->nprog > e->max_prog)
            e->max_prog = rt->nprog;
        e->nrules++;
    }
    rep->ncompiled = e->nrules;
    if (e->nrules == 0) {
        snprintf(err, errlen, "no rule could be compiled (%zu rejected)", rep->nrejected);
        goto fail;
    }
    /* which rules to evaluate when an atom matches, and which on every event */
    if (engine_finish(e) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (engine_compile_dbs(e, err, errlen) != 0)
        goto fail;
    engine_db_derive(e);
    for (size_t i = 0; i < e->natoms; i++)
        rep->natoms += e->atoms[i].kind == ATOM_HS;
    rep->ndatabases = e->ndbs;
    engine_compute_hash(e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    e->compile_ms =
        (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    *out = e;
    return 0;
fail:
    weir_engine_destroy(e);
    return -1;
}

void weir_engine_destroy(weir_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nrules; i++) {
        engine_rule_meta_free(&e->rules[i].meta);
        free(e->rules[i].prog);
        free(e->rules[i].fields);
    }
    for (size_t i = 0; i < e->natoms; i++) {
        free(e->atoms[i].expr);
        free(e->atoms[i].rules);
    }
    for (size_t i = 0; i < e->ndbs; i++) {
        hs_free_database(e->dbs[i].db);
        free(e->dbs[i].atom_of);
        engine_db_literals_free(&e->dbs[i]);
    }
    free(e->dbs);
    free(e->fmt_dbs);
    free(e->atoms);
    free(e->rules);
    free(e->always);
    free(e);
}

size_t weir_engine_nrules(const weir_engine *e)
{
    return e->nrules;
}

const weir_rule *weir_engine_rule(const weir_engine *e, uint32_t idx)
{
    return &e->rules[idx].meta;
}

size_t weir_engine_rule_fields(const weir_engine *e, uint32_t idx, const int **fields)
{
    *fields = e->rules[idx].fields;
    return e->rules[idx].nfields;
}

const char *weir_engine_rules_hash(const weir_engine *e)
{
    return e->hash;
}

size_t weir_engine_db_bytes(const weir_engine *e)
{
    return e->db_bytes;
}

size_t weir_engine_ndatabases(const weir_engine *e)
{
    return e->ndbs;
}

double weir_engine_compile_ms(const weir_engine *e)
{
    return e->compile_ms;
}

size_t weir_engine_nexprs(const weir_engine *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->natoms; i++)
        n += e->atoms[i].kind == ATOM_HS;
    return n;
}

int weir_engine_expr(const weir_engine *e, size_t i, const char **expr, unsigned *flags)
{
    for (size_t a = 0; a < e->natoms; a++) {
        if (e->atoms[a].kind != ATOM_HS)
            continue;
        if (i-- == 0) {
            *expr = e->atoms[a].expr;
            *flags = e->atoms[a].flags;
            return 0;
        }
    }
    return -1;
}
