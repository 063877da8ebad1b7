/*
 * Sigma condition expressions: text such as "selection and not 1 of filter_*" parsed into a
 * sigma_cond tree whose leaves are indices of the rule's search identifiers.
 *
 * Grammar (precedence from loosest to tightest, as the Sigma spec orders it: or, and, not,
 * "x of", parentheses):
 *
 *   expr    := and_e ('or' and_e)*
 *   and_e   := not_e ('and' not_e)*
 *   not_e   := 'not' not_e | primary
 *   primary := '(' expr ')' | ('1' | 'any' | 'all') 'of' (pattern | 'them') | identifier
 *
 * "x of" selectors are resolved here, against the identifiers that exist, into OR / AND nodes,
 * so a consumer only ever sees and / or / not / ref. Like pySigma, `them` and patterns leave out
 * identifiers starting with '_' unless the pattern itself starts with '_'. Keywords are
 * lower-case only, as in pySigma's grammar. Aggregations ("| count() by x") are rejected.
 */
#include "weir/sigma.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any real rule, shallow enough that a hostile one cannot exhaust the stack. */
#define MAX_DEPTH 200

typedef enum tok_kind { T_END, T_LPAREN, T_RPAREN, T_WORD, T_PIPE } tok_kind;

typedef struct tok {
    tok_kind kind;
    const char *p;
    size_t len;
    size_t col; /* 1-based */
} tok;

typedef struct parser {
    const char *text;
    size_t pos; /* where the token after `cur` starts */
    tok cur;
    const sigma_search *searches;
    size_t nsearches;
    unsigned depth;
    char *err;
    size_t errlen;
    bool failed;
} parser;

static void fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return; /* the innermost, first reason is the useful one */
    ps->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err, ps->errlen, fmt, ap);
    va_end(ap);
}

static bool is_word_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '*';
}

/* Reads the token starting at or after *pos. */
static tok lex_at(const char *text, size_t *pos)
{
    size_t i = *pos;
    while (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')
        i++;
    tok t = {T_END, text + i, 0, i + 1};
    unsigned char c = (unsigned char)text[i];
    if (c == '\0') {
        *pos = i;
        return t;
    }
    if (c == '(' || c == ')' || c == '|') {
        t.kind = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : T_PIPE;
        t.len = 1;
        *pos = i + 1;
        return t;
    }
    size_t j = i;
    while (is_word_char((unsigned char)text[j]))
        j++;
    t.kind = T_WORD;
    t.len = j - i; /* 0 for a character no token starts with: the caller reports it */
    *pos = j;
    return t;
}

static void advance(parser *ps)
{
    ps->cur = lex_at(ps->text, &ps->pos);
}

static tok peek(const parser *ps)
{
    size_t pos = ps->pos;
    return lex_at(ps->text, &pos);
}

static bool word_is(const tok *t, const char *w)
{
    return t->kind == T_WORD && t->len == strlen(w) && memcmp(t->p, w, t->len) == 0;
}

static bool is_keyword(const tok *t)
{
    return word_is(t, "and") || word_is(t, "or") || word_is(t, "not") || word_is(t, "of") ||
           word_is(t, "them");
}

static void describe(const tok *t, char *buf, size_t len)
{
    switch (t->kind) {
    case T_END:
        snprintf(buf, len, "end of condition");
        break;
    case T_LPAREN:
    case T_RPAREN:
        snprintf(buf, len, "'%c' at column %zu", *t->p, t->col);
        break;
    case T_PIPE:
        snprintf(buf, len, "'|' at column %zu", t->col);
        break;
    case T_WORD:
        if (t->len == 0)
            snprintf(buf, len, "character '%c' at column %zu", *t->p, t->col);
        else
            snprintf(buf, len, "'%.*s' at column %zu", (int)t->len, t->p, t->col);
        break;
    }
}

static void fail_unexpected(parser *ps, const char *expected)
{
    if (ps->cur.kind == T_PIPE) {
        fail(ps, "aggregation '%s' not supported (column %zu)", ps->cur.p, ps->cur.col);
        return;
    }
    char what[128];
    describe(&ps->cur, what, sizeof(what));
    fail(ps, "expected %s, got %s", expected, what);
}

static sigma_cond *node_new(sigma_cond_kind kind)
{
    sigma_cond *c = calloc(1, sizeof(*c));
    if (c)
        c->kind = kind;
    return c;
}

static void cond_clear(sigma_cond *c)
{
    for (size_t i = 0; i < c->nkids; i++)
        cond_clear(&c->kids[i]);
    free(c->kids);
}

void sigma_cond_free(sigma_cond *c)
{
    if (!c)
        return;
    cond_clear(c);
    free(c);
}

/* Moves *kid into parent's kid array (kid's shell is freed, its contents now belong to parent). */
static int node_adopt(sigma_cond *parent, sigma_cond *kid)
{
    sigma_cond *k = realloc(parent->kids, (parent->nkids + 1) * sizeof(*k));
    if (!k)
        return -1;
    parent->kids = k;
    parent->kids[parent->nkids++] = *kid;
    free(kid);
    return 0;
}

/* '*' matches any run of characters; everything else matches itself. */
static bool name_matches(const char *pat, size_t patlen, const char *name)
{
    if (patlen == 0)
        return *name == '\0';
    if (*pat == '*') {
        for (const char *n = name;; n++) {
            if (name_matches(pat + 1, patlen - 1, n))
                return true;
            if (!*n)
                return false;
        }
    }
    return *name == *pat && name_matches(pat + 1, patlen - 1, name + 1);
}

static sigma_cond *parse_selector(parser *ps)
{
    tok quant = ps->cur;
    advance(ps); /* the quantifier */
    advance(ps); /* 'of' */
    tok pat = ps->cur;
    if (pat.kind != T_WORD || pat.len == 0 || (is_keyword(&pat) && !word_is(&pat, "them"))) {
        fail_unexpected(ps, "an identifier pattern or 'them' after 'of'");
        return NULL;
    }
    advance(ps);
    bool them = word_is(&pat, "them");
    bool all = word_is(&quant, "all");
    sigma_cond *c = node_new(all ? SIGMA_COND_AND : SIGMA_COND_OR);
    if (!c) {
        fail(ps, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < ps->nsearches; i++) {
        const char *name = ps->searches[i].name;
        if (name[0] == '_' && (them || pat.p[0] != '_'))
            continue;
        if (!them && !name_matches(pat.p, pat.len, name))
            continue;
        sigma_cond *ref = node_new(SIGMA_COND_REF);
        if (!ref || node_adopt(c, ref) != 0) {
            free(ref);
            sigma_cond_free(c);
            fail(ps, "out of memory");
            return NULL;
        }
        c->kids[c->nkids - 1].ref = i;
    }
    if (c->nkids == 0) {
        fail(ps, "'%.*s of %.*s' (column %zu) matches no search identifier", (int)quant.len,
             quant.p, (int)pat.len, pat.p, quant.col);
        sigma_cond_free(c);
        return NULL;
    }
    return c;
}

static sigma_cond *parse_or(parser *ps);

static sigma_cond *parse_primary(parser *ps)
{
    tok t = ps->cur;
    if (t.kind == T_LPAREN) {
        advance(ps);
        sigma_cond *c = parse_or(ps);
        if (!c)
            return NULL;
        if (ps->cur.kind != T_RPAREN) {
            char what[128];
            describe(&ps->cur, what, sizeof(what));
            if (ps->cur.kind == T_PIPE)
                fail_unexpected(ps, "')'");
            else
                fail(ps, "missing ')' for '(' at column %zu, got %s", t.col, what);
            sigma_cond_free(c);
            return NULL;
        }
        advance(ps);
        return c;
    }
    if (t.kind != T_WORD || t.len == 0 || is_keyword(&t)) {
        fail_unexpected(ps, "an identifier, 'not', '(' or 'x of'");
        return NULL;
    }
    tok next = peek(ps);
    if (word_is(&next, "of")) {
        if (word_is(&t, "1") || word_is(&t, "any") || word_is(&t, "all"))
            return parse_selector(ps);
        fail(ps, "'%.*s of' (column %zu) not supported: only '1 of', 'any of' and 'all of'",
             (int)t.len, t.p, t.col);
        return NULL;
    }
    if (memchr(t.p, '*', t.len)) {
        fail(ps, "wildcard identifier '%.*s' (column %zu) needs '1 of' or 'all of'", (int)t.len,
             t.p, t.col);
        return NULL;
    }
    for (size_t i = 0; i < ps->nsearches; i++) {
        const char *name = ps->searches[i].name;
        if (strlen(name) == t.len && memcmp(name, t.p, t.len) == 0) {
            sigma_cond *c = node_new(SIGMA_COND_REF);
            if (!c) {
                fail(ps, "out of memory");
                return NULL;
            }
            c->ref = i;
            advance(ps);
            return c;
        }
    }
    fail(ps, "identifier '%.*s' (column %zu) is not defined in detection", (int)t.len, t.p, t.col);
    return NULL;
}

static sigma_cond *parse_not(parser *ps)
{
    if (++ps->depth > MAX_DEPTH) {
        fail(ps, "condition nested deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    sigma_cond *r;
    if (word_is(&ps->cur, "not")) {
        advance(ps);
        sigma_cond *inner = parse_not(ps);
        r = inner ? node_new(SIGMA_COND_NOT) : NULL;
        if (inner && (!r || node_adopt(r, inner) != 0)) {
            sigma_cond_free(inner);
            free(r);
            r = NULL;
            fail(ps, "out of memory");
        }
    } else {
        r = parse_primary(ps);
    }
    ps->depth--;
    return r;
}

/* One precedence level of a left-associative n-ary operator: `and` over not_e, `or` over and_e. */
static sigma_cond *parse_nary(parser *ps, const char *op, sigma_cond_kind kind,
                              sigma_cond *(*operand)(parser *))
{
    sigma_cond *first = operand(ps);
    if (!first || !word_is(&ps->cur, op))
        return first;
    sigma_cond *n = node_new(kind);
    if (!n || node_adopt(n, first) != 0) {
        free(n);
        sigma_cond_free(first);
        fail(ps, "out of memory");
        return NULL;
    }
    while (word_is(&ps->cur, op)) {
        advance(ps);
        sigma_cond *k = operand(ps);
        if (!k || node_adopt(n, k) != 0) {
            if (k) {
                sigma_cond_free(k);
                fail(ps, "out of memory");
            }
            sigma_cond_free(n);
            return NULL;
        }
    }
    return n;
}

static sigma_cond *parse_and(parser *ps)
{
    return parse_nary(ps, "and", SIGMA_COND_AND, parse_not);
}

static sigma_cond *parse_or(parser *ps)
{
    if (++ps->depth > MAX_DEPTH) {
        fail(ps, "condition nested deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    sigma_cond *r = parse_nary(ps, "or", SIGMA_COND_OR, parse_and);
    ps->depth--;
    return r;
}

int sigma_cond_parse(const char *text, const sigma_search *searches, size_t nsearches,
                     sigma_cond **out, char *err, size_t errlen)
{
    parser ps = {
        .text = text, .searches = searches, .nsearches = nsearches, .err = err, .errlen = errlen};
    *out = NULL;
    advance(&ps);
    if (ps.cur.kind == T_END) {
        fail(&ps, "condition is empty");
        return -1;
    }
    sigma_cond *c = parse_or(&ps);
    if (c && ps.cur.kind != T_END) {
        fail_unexpected(&ps, "'and', 'or' or end of condition");
        sigma_cond_free(c);
        c = NULL;
    }
    if (!c)
        return -1;
    *out = c;
    return 0;
}

typedef struct outbuf {
    char *buf;
    size_t len, need;
} outbuf;

static void put(outbuf *o, const char *s)
{
    size_t n = strlen(s);
    if (o->need < o->len) {
        size_t room = o->len - o->need - 1;
        memcpy(o->buf + o->need, s, n < room ? n : room);
        o->buf[o->need + (n < room ? n : room)] = '\0';
    }
    o->need += n;
}

static void format_node(outbuf *o, const sigma_cond *c, const sigma_search *searches)
{
    switch (c->kind) {
    case SIGMA_COND_REF:
        put(o, searches[c->ref].name);
        return;
    case SIGMA_COND_NOT:
        put(o, "not ");
        format_node(o, &c->kids[0], searches);
        return;
    case SIGMA_COND_AND:
    case SIGMA_COND_OR:
        if (c->nkids == 1) {
            format_node(o, &c->kids[0], searches);
            return;
        }
        put(o, "(");
        for (size_t i = 0; i < c->nkids; i++) {
            if (i)
                put(o, c->kind == SIGMA_COND_AND ? " and " : " or ");
            format_node(o, &c->kids[i], searches);
        }
        put(o, ")");
        return;
    }
}

size_t sigma_cond_format(const sigma_cond *c, const sigma_search *searches, char *buf, size_t len)
{
    outbuf o = {buf, len, 0};
    if (len)
        buf[0] = '\0';
    format_node(&o, c, searches);
    return o.need;
}
