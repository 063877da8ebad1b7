/*
 * The reference evaluator: runs a loaded Sigma rule against one event by walking its tree.
 *
 * NOT FOR THE EVENT PATH. It allocates, compiles each regex on every call and checks every
 * rule one by one: exactly the per-rule design weir exists to avoid. It is here to pin Sigma's
 * semantics in tests and to be the oracle the Hyperscan compiler's results are checked against,
 * so it is written to be obviously right rather than fast: plain string code for wildcards,
 * and PCRE2 (when the build found it) for regexes, an engine independent of Hyperscan. Without
 * PCRE2 it falls back to Hyperscan for `re` values, whose regex semantics are PCRE's.
 *
 * Every operand of and/or is evaluated (no short-circuit), so an error such as a regex that
 * does not compile surfaces whatever the event.
 */
#include "weir/sigma.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef WEIR_HAVE_PCRE2
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#else
#include <hs/hs.h>
#endif

typedef struct evalctx {
    const sigma_rule *r;
    const sigma_event *ev;
    char *err;
    size_t errlen;
} evalctx;

static int eval_fail(evalctx *ec, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int eval_fail(evalctx *ec, unsigned line, const char *fmt, ...)
{
    int n = snprintf(ec->err, ec->errlen, "%s:%u: rule %s: ", ec->r->file, line,
                     ec->r->id ? ec->r->id : "(no id)");
    if (n >= 0 && (size_t)n < ec->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ec->err + n, ec->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- Wildcards ------------------------------------------------------------------------------ */

/* Bytes in the UTF-8 character starting at s[i]; invalid bytes count as one character each. */
static size_t char_len(const char *s, size_t i, size_t len)
{
    unsigned char c = (unsigned char)s[i];
    size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    size_t n = 1;
    while (n < want && i + n < len && ((unsigned char)s[i + n] & 0xC0) == 0x80)
        n++;
    return n;
}

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

enum { C_BYTE, C_ANY, C_STAR };

typedef struct cell {
    unsigned char kind, byte;
} cell;

/*
 * Whole-value wildcard match. The pattern is flattened to cells and matched with the classic
 * greedy algorithm that remembers only the last '*': on a mismatch, that star swallows one
 * more character and matching resumes after it. Case folding is ASCII-only.
 */
static int glob_match(const sigma_value *v, const char *s, size_t len)
{
    size_t ncells = 0;
    for (size_t i = 0; i < v->u.glob.nparts; i++)
        ncells += v->u.glob.parts[i].kind == SIGMA_PART_LIT ? v->u.glob.parts[i].len : 1;
    cell *c = malloc((ncells ? ncells : 1) * sizeof(*c));
    if (!c)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < v->u.glob.nparts; i++) {
        const sigma_part *p = &v->u.glob.parts[i];
        if (p->kind == SIGMA_PART_STAR)
            c[k++] = (cell){C_STAR, 0};
        else if (p->kind == SIGMA_PART_QMARK)
            c[k++] = (cell){C_ANY, 0};
        else
            for (size_t j = 0; j < p->len; j++)
                c[k++] = (cell){C_BYTE, (unsigned char)p->lit[j]};
    }
    bool cased = v->u.glob.cased;
    size_t pi = 0, ti = 0, star_pi = 0, star_ti = 0;
    bool have_star = false;
    int rc = 0;
    while (ti < len) {
        if (pi < ncells && c[pi].kind == C_STAR) {
            have_star = true;
            star_pi = ++pi;
            star_ti = ti;
            continue;
        }
        if (pi < ncells && c[pi].kind == C_ANY) {
            pi++;
            ti += char_len(s, ti, len);
            continue;
        }
        if (pi < ncells && c[pi].kind == C_BYTE) {
            unsigned char a = c[pi].byte, b = (unsigned char)s[ti];
            if (cased ? a == b : fold(a) == fold(b)) {
                pi++;
                ti++;
                continue;
            }
        }
        if (!have_star)
            goto out;
        star_ti += char_len(s, star_ti, len);
        ti = star_ti;
        pi = star_pi;
    }
    while (pi < ncells && c[pi].kind == C_STAR)
        pi++;
    rc = pi == ncells;
out:
    free(c);
    return rc;
}

/* ---- Regexes -------------------------------------------------------------------------------- */

/*
 * Unanchored search of every field value; 1 when any matches. Byte mode in both engines (no
 * UTF-8 validation): input is not trusted to be UTF-8, and Hyperscan is compiled the same way.
 */
#ifdef WEIR_HAVE_PCRE2
static int regex_any(evalctx *ec, const sigma_value *v, const sigma_str *vals, size_t n)
{
    uint32_t opts = 0;
    if (v->u.re_flags & SIGMA_RE_I)
        opts |= PCRE2_CASELESS;
    if (v->u.re_flags & SIGMA_RE_M)
        opts |= PCRE2_MULTILINE;
    if (v->u.re_flags & SIGMA_RE_S)
        opts |= PCRE2_DOTALL;
    int code;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)v->text, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        return eval_fail(ec, v->line, "regex '%s' does not compile at offset %zu: %s", v->text,
                         (size_t)off, (const char *)msg);
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = md ? 0 : eval_fail(ec, v->line, "out of memory");
    for (size_t i = 0; md && i < n && rc == 0; i++) {
        int m =
            pcre2_match(re, (PCRE2_SPTR)(vals[i].p ? vals[i].p : ""), vals[i].len, 0, 0, md, NULL);
        if (m >= 0)
            rc = 1;
        else if (m != PCRE2_ERROR_NOMATCH)
            rc = eval_fail(ec, v->line, "regex '%s': PCRE2 match error %d", v->text, m);
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc;
}
#else
static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    (void)id, (void)from, (void)to, (void)flags;
    *(int *)ctx = 1;
    return 1; /* one match is the answer: stop scanning */
}

static int regex_any(evalctx *ec, const sigma_value *v, const sigma_str *vals, size_t n)
{
    unsigned flags = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
    if (v->u.re_flags & SIGMA_RE_I)
        flags |= HS_FLAG_CASELESS;
    if (v->u.re_flags & SIGMA_RE_M)
        flags |= HS_FLAG_MULTILINE;
    if (v->u.re_flags & SIGMA_RE_S)
        flags |= HS_FLAG_DOTALL;
    hs_database_t *db = NULL;
    hs_compile_error_t *cerr = NULL;
    hs_scratch_t *scratch = NULL;
    int rc = 0;
    if (hs_compile(v->text, flags, HS_MODE_BLOCK, NULL, &db, &cerr) != HS_SUCCESS) {
        rc = eval_fail(ec, v->line, "regex '%s' does not compile: %s", v->text,
                       cerr ? cerr->message : "unknown error");
        hs_free_compile_error(cerr);
        return rc;
    }
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
        hs_free_database(db);
        return eval_fail(ec, v->line, "out of memory");
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        int hit = 0;
        hs_error_t e = hs_scan(db, vals[i].p ? vals[i].p : "", (unsigned)vals[i].len, 0, scratch,
                               on_match, &hit);
        if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
            rc = eval_fail(ec, v->line, "regex '%s': hs_scan error %d", v->text, (int)e);
        else if (hit)
            rc = 1;
    }
    hs_free_scratch(scratch);
    hs_free_database(db);
    return rc;
}
#endif

/* ---- Other value kinds ---------------------------------------------------------------------- */

/* Copies a field value into a NUL-terminated buffer; false when it cannot fit (no match). */
static bool small_copy(const sigma_str *s, char *buf, size_t len)
{
    if (s->len >= len || memchr(s->p, '\0', s->len))
        return false;
    memcpy(buf, s->p, s->len);
    buf[s->len] = '\0';
    return true;
}

static bool cidr_contains(const sigma_value *v, const sigma_str *s)
{
    char buf[64];
    unsigned char addr[16] = {0};
    if (!small_copy(s, buf, sizeof(buf)) || inet_pton(v->u.cidr.family, buf, addr) != 1)
        return false;
    for (unsigned bit = 0; bit < v->u.cidr.prefix; bit++) {
        unsigned char m = (unsigned char)(0x80u >> (bit % 8));
        if ((addr[bit / 8] & m) != (v->u.cidr.addr[bit / 8] & m))
            return false;
    }
    return true;
}

/* A decimal number as text: [-+]digits[.digits][e[-+]digits]; nothing else (no hex, no inf). */
static bool parse_number(const sigma_str *s, double *out)
{
    char buf[64];
    if (!small_copy(s, buf, sizeof(buf)))
        return false;
    const char *p = buf;
    if (*p == '-' || *p == '+')
        p++;
    size_t d = strspn(p, "0123456789");
    if (!d)
        return false;
    p += d;
    if (*p == '.') {
        size_t f = strspn(p + 1, "0123456789");
        if (!f)
            return false;
        p += 1 + f;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        size_t e = strspn(p, "0123456789");
        if (!e)
            return false;
        p += e;
    }
    if (*p)
        return false;
    *out = strtod(buf, NULL);
    return true;
}

static bool cmp_holds(const sigma_value *v, const sigma_str *s)
{
    double x;
    if (!parse_number(s, &x))
        return false;
    switch (v->u.cmp.op) {
    case SIGMA_CMP_LT:
        return x < v->u.cmp.num;
    case SIGMA_CMP_LTE:
        return x <= v->u.cmp.num;
    case SIGMA_CMP_GT:
        return x > v->u.cmp.num;
    case SIGMA_CMP_GTE:
        return x >= v->u.cmp.num;
    }
    return false;
}

/* 1 when value v matches the field (any of its n values), 0 when not, -1 on error. */
static int value_matches(evalctx *ec, const sigma_value *v, const sigma_str *vals, size_t n)
{
    switch (v->kind) {
    case SIGMA_MATCH_NULL:
        for (size_t i = 0; i < n; i++)
            if (vals[i].len)
                return 0;
        return 1;
    case SIGMA_MATCH_EXISTS:
        return (n > 0) == v->u.exists;
    case SIGMA_MATCH_REGEX:
        return regex_any(ec, v, vals, n);
    case SIGMA_MATCH_GLOB:
        for (size_t i = 0; i < n; i++) {
            int m = glob_match(v, vals[i].p, vals[i].len);
            if (m)
                return m < 0 ? eval_fail(ec, v->line, "out of memory") : 1;
        }
        return 0;
    case SIGMA_MATCH_CIDR:
        for (size_t i = 0; i < n; i++)
            if (cidr_contains(v, &vals[i]))
                return 1;
        return 0;
    case SIGMA_MATCH_CMP:
        for (size_t i = 0; i < n; i++)
            if (cmp_holds(v, &vals[i]))
                return 1;
        return 0;
    }
    return 0;
}

static int eval_item(evalctx *ec, const sigma_item *it)
{
    const sigma_str *vals = NULL;
    size_t n;
    sigma_str raw;
    if (it->field) {
        n = ec->ev->lookup ? ec->ev->lookup(ec->ev->ctx, it->field, &vals) : 0;
    } else {
        if (!ec->ev->raw)
            return eval_fail(ec, it->line, "keyword search needs the raw event, none given");
        raw = (sigma_str){ec->ev->raw, ec->ev->rawlen};
        vals = &raw;
        n = 1;
    }
    int acc = it->all ? 1 : 0;
    for (size_t i = 0; i < it->nvalues; i++) {
        int m = value_matches(ec, &it->values[i], vals, n);
        if (m < 0)
            return -1;
        acc = it->all ? (acc && m) : (acc || m);
    }
    return it->negated ? !acc : acc;
}

static int eval_det(evalctx *ec, const sigma_det *d)
{
    if (d->kind == SIGMA_DET_ITEM)
        return eval_item(ec, &d->item);
    bool is_and = d->kind == SIGMA_DET_AND;
    int acc = is_and ? 1 : 0;
    for (size_t i = 0; i < d->nkids; i++) {
        int m = eval_det(ec, &d->kids[i]);
        if (m < 0)
            return -1;
        acc = is_and ? (acc && m) : (acc || m);
    }
    return acc;
}

static int eval_cond(evalctx *ec, const sigma_cond *c)
{
    switch (c->kind) {
    case SIGMA_COND_REF:
        return eval_det(ec, &ec->r->searches[c->ref].det);
    case SIGMA_COND_NOT: {
        int m = eval_cond(ec, &c->kids[0]);
        return m < 0 ? -1 : !m;
    }
    case SIGMA_COND_AND:
    case SIGMA_COND_OR: {
        bool is_and = c->kind == SIGMA_COND_AND;
        int acc = is_and ? 1 : 0;
        for (size_t i = 0; i < c->nkids; i++) {
            int m = eval_cond(ec, &c->kids[i]);
            if (m < 0)
                return -1;
            acc = is_and ? (acc && m) : (acc || m);
        }
        return acc;
    }
    }
    return 0;
}

int sigma_eval(const sigma_rule *r, const sigma_event *ev, char *err, size_t errlen)
{
    evalctx ec = {r, ev, err, errlen};
    if (errlen)
        err[0] = '\0';
    return eval_cond(&ec, r->cond);
}
