/*
 * The Sigma loader: YAML files into sigma_rule trees (include/weir/sigma.h), one rule per YAML
 * document, every rejection located as "FILE:LINE: rule ID: reason".
 *
 * It owns Sigma's syntax and nothing else: modifiers, escapes and wildcards, YAML scalar typing,
 * search identifiers and (through filter/sigma_cond.c) conditions. Whatever it cannot honour
 * exactly rejects that rule, never the file and never silently; the reference being pySigma's
 * reading of the spec (rules are written against it).
 *
 * Why libyaml's document API: rules are small, and a tree with marks gives every node its line.
 * Why we type plain scalars ourselves: libyaml leaves that to the application, and Sigma tools
 * read rules with PyYAML (YAML 1.1), so `sc-status: 200` is the integer 200 while `on` is a
 * boolean there and a string in YAML 1.2; such ambiguous plain values are rejected with a hint
 * to quote them rather than guessed.
 */
#include "weir/sigma.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

/* Nesting of lists inside lists under one search identifier; YAML aliases can make cycles. */
#define MAX_DET_DEPTH 32
/* Rule files are a few KiB; this only stops a stray multi-GiB file from being slurped. */
#define MAX_FILE_BYTES (64u << 20)

typedef struct loader {
    const char *file;
    yaml_document_t *doc;
    const char *id; /* for messages; points into doc */
    char msg[1024];
    bool failed;
} loader;

static int fail(loader *l, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error of the rule being loaded; returns -1 so callers can `return fail(..)`. */
static int fail(loader *l, unsigned line, const char *fmt, ...)
{
    if (l->failed)
        return -1;
    l->failed = true;
    int n = snprintf(l->msg, sizeof(l->msg), "%s:%u: rule %s: ", l->file, line,
                     l->id ? l->id : "(no id)");
    if (n < 0 || (size_t)n >= sizeof(l->msg))
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->msg + n, sizeof(l->msg) - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(loader *l, unsigned line)
{
    return fail(l, line, "out of memory");
}

/* ---- YAML node helpers ---------------------------------------------------------------------- */

static unsigned line_of(const yaml_node_t *n)
{
    return (unsigned)n->start_mark.line + 1;
}

static yaml_node_t *node_at(const loader *l, int idx)
{
    return yaml_document_get_node(l->doc, idx);
}

static bool is_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE;
}

static const char *sval(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A plain scalar YAML reads as null: `key:`, `key: ~`, `key: null`. */
static bool is_null_scalar(const yaml_node_t *n)
{
    if (!is_scalar(n) || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = sval(n);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static size_t map_len(const yaml_node_t *m)
{
    return (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
}

static size_t seq_len(const yaml_node_t *s)
{
    return (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
}

static yaml_node_t *seq_item(const loader *l, const yaml_node_t *s, size_t i)
{
    return node_at(l, s->data.sequence.items.start[i]);
}

/*
 * Keys must be scalars and unique: PyYAML silently keeps the last of two `selection:` keys,
 * which would drop half a rule without a word.
 */
static int check_map(loader *l, const yaml_node_t *m)
{
    size_t n = map_len(m);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *k = node_at(l, m->data.mapping.pairs.start[i].key);
        if (!is_scalar(k))
            return fail(l, k ? line_of(k) : line_of(m), "mapping key is not a plain string");
        if (!strcmp(sval(k), "<<"))
            return fail(l, line_of(k), "YAML merge key '<<' not supported");
        for (size_t j = 0; j < i; j++) {
            yaml_node_t *p = node_at(l, m->data.mapping.pairs.start[j].key);
            if (!strcmp(sval(p), sval(k)))
                return fail(l, line_of(k), "duplicate key '%s' (first at line %u)", sval(k),
                            line_of(p));
        }
    }
    return 0;
}

static yaml_node_t *map_get(const loader *l, const yaml_node_t *m, const char *key,
                            yaml_node_t **keynode)
{
    size_t n = map_len(m);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *k = node_at(l, m->data.mapping.pairs.start[i].key);
        if (is_scalar(k) && !strcmp(sval(k), key)) {
            if (keynode)
                *keynode = k;
            return node_at(l, m->data.mapping.pairs.start[i].value);
        }
    }
    return NULL;
}

/* ---- Metadata ------------------------------------------------------------------------------- */

/* An optional (or required) string attribute; a null value counts as absent. */
static int get_str(loader *l, const yaml_node_t *root, const char *key, bool required, char **out)
{
    yaml_node_t *k = NULL;
    yaml_node_t *v = map_get(l, root, key, &k);
    if (!v || is_null_scalar(v)) {
        if (required)
            return fail(l, v ? line_of(v) : line_of(root), "missing '%s'", key);
        return 0;
    }
    if (!is_scalar(v))
        return fail(l, line_of(v), "'%s' must be a string", key);
    if (!(*out = strdup(sval(v))))
        return oom(l, line_of(v));
    return 0;
}

static int strlist_push(sigma_strlist *sl, const char *s)
{
    char **v = realloc(sl->v, (sl->n + 1) * sizeof(*v));
    if (!v)
        return -1;
    sl->v = v;
    if (!(v[sl->n] = strdup(s)))
        return -1;
    sl->n++;
    return 0;
}

static void strlist_clear(sigma_strlist *sl)
{
    for (size_t i = 0; i < sl->n; i++)
        free(sl->v[i]);
    free(sl->v);
}

/* A list of strings; a single string is taken as a list of one. */
static int get_list(loader *l, const yaml_node_t *root, const char *key, sigma_strlist *out)
{
    yaml_node_t *v = map_get(l, root, key, NULL);
    if (!v || is_null_scalar(v))
        return 0;
    if (is_scalar(v))
        return strlist_push(out, sval(v)) ? oom(l, line_of(v)) : 0;
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(l, line_of(v), "'%s' must be a list of strings", key);
    for (size_t i = 0; i < seq_len(v); i++) {
        yaml_node_t *it = seq_item(l, v, i);
        if (!is_scalar(it))
            return fail(l, it ? line_of(it) : line_of(v), "'%s' must be a list of strings", key);
        if (strlist_push(out, sval(it)) != 0)
            return oom(l, line_of(it));
    }
    return 0;
}

static int check_one_of(loader *l, const yaml_node_t *root, const char *key, const char *val,
                        const char *const *allowed, const char *allowed_text)
{
    if (!val)
        return 0;
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp(val, allowed[i]))
            return 0;
    yaml_node_t *v = map_get(l, root, key, NULL);
    return fail(l, line_of(v), "%s '%s' is not one of %s", key, val, allowed_text);
}

/* ---- Values --------------------------------------------------------------------------------- */

typedef enum resolved { R_STRING, R_NULL, R_BOOL, R_INT, R_FLOAT, R_AMBIGUOUS } resolved;

static bool all_in(const char *s, const char *set)
{
    return *s && strspn(s, set) == strlen(s);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

#define DIGITS "0123456789"

static const char *skip_sign(const char *p)
{
    return (*p == '-' || *p == '+') ? p + 1 : p;
}

/* An exponent [eE][-+]?[0-9]+ (sign required by PyYAML): the end of it, p when there is none,
 * NULL when it is malformed. */
static const char *skip_exponent(const char *p, bool need_sign)
{
    if (*p != 'e' && *p != 'E')
        return p;
    p++;
    if (*p == '-' || *p == '+')
        p++;
    else if (need_sign)
        return NULL;
    size_t n = strspn(p, DIGITS);
    return n ? p + n : NULL;
}

/* (:[0-5]?[0-9])+, the sexagesimal tail PyYAML reads 1:30 with (as 90). */
static bool skip_sexagesimal(const char **pp)
{
    const char *p = *pp;
    int groups = 0;
    while (*p == ':') {
        p++;
        if (p[0] >= '0' && p[0] <= '5' && is_digit(p[1]))
            p += 2;
        else if (is_digit(p[0]))
            p++;
        else
            return false;
        groups++;
    }
    *pp = p;
    return groups > 0;
}

static bool is_inf_or_nan(const char *s)
{
    const char *p = skip_sign(s);
    return !strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF") || !strcmp(s, ".nan") ||
           !strcmp(s, ".NaN") || !strcmp(s, ".NAN");
}

/* PyYAML's (YAML 1.1) int resolver: 0b.., 0.. (octal), decimal with '_', 0x.., sexagesimal. */
static bool pyyaml_int(const char *s)
{
    const char *p = skip_sign(s);
    if (p[0] == '0' && p[1] == 'b')
        return all_in(p + 2, "01_");
    if (p[0] == '0' && p[1] == 'x')
        return all_in(p + 2, DIGITS "abcdefABCDEF_");
    if (p[0] == '0')
        return !p[1] || all_in(p + 1, "01234567_");
    if (p[0] < '1' || p[0] > '9')
        return false;
    const char *q = p + strspn(p, DIGITS "_");
    return !*q || (skip_sexagesimal(&q) && !*q);
}

/* PyYAML's float resolver: 1.5, 1., 1_0.5e+3, .5, 1:30.5, .inf, .nan */
static bool pyyaml_float(const char *s)
{
    if (is_inf_or_nan(s))
        return true;
    if (s[0] == '.' && is_digit(s[1])) {
        const char *q = skip_exponent(s + 1 + strspn(s + 1, DIGITS "_"), true);
        return q && !*q;
    }
    const char *p = skip_sign(s);
    if (!is_digit(*p))
        return false;
    const char *q = p + strspn(p, DIGITS "_");
    if (*q == '.') {
        const char *e = skip_exponent(q + 1 + strspn(q + 1, DIGITS "_"), true);
        return e && !*e;
    }
    if (!skip_sexagesimal(&q) || *q != '.')
        return false;
    q++;
    return !q[strspn(q, DIGITS "_")];
}

/* YAML 1.2 core schema numbers: 0o17, 0x1F, [-+]?(.5|1|1.|1.5)(e[-+]?5)?, .inf, .nan */
static bool yaml12_number(const char *s)
{
    if (!strncmp(s, "0o", 2))
        return all_in(s + 2, "01234567");
    if (!strncmp(s, "0x", 2))
        return all_in(s + 2, DIGITS "abcdefABCDEF");
    if (is_inf_or_nan(s))
        return true;
    const char *p = skip_sign(s);
    const char *q;
    if (*p == '.') {
        size_t n = strspn(p + 1, DIGITS);
        if (!n)
            return false;
        q = p + 1 + n;
    } else {
        size_t n = strspn(p, DIGITS);
        if (!n)
            return false;
        q = p + n;
        if (*q == '.')
            q += 1 + strspn(q + 1, DIGITS);
    }
    q = skip_exponent(q, false);
    return q && !*q;
}

/* PyYAML's timestamp resolver: 2021-03-03, or a date with a time after 'T' or blanks. */
static bool pyyaml_timestamp(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!is_digit(s[i]))
            return false;
    if (s[4] != '-' || !is_digit(s[5]))
        return false;
    if (is_digit(s[6]) && s[7] == '-' && is_digit(s[8]) && is_digit(s[9]) && !s[10])
        return true;
    const char *p = s + 6 + is_digit(s[6]);
    if (*p != '-' || !is_digit(p[1]))
        return false;
    p += 2 + is_digit(p[2]);
    if (*p == 'T' || *p == 't')
        p++;
    else if (*p == ' ' || *p == '\t')
        p += strspn(p, " \t");
    else
        return false;
    /* [0-9][0-9]?:[0-9][0-9]:[0-9][0-9], then fraction and zone, not checked further */
    if (!is_digit(*p))
        return false;
    p += 1 + is_digit(p[1]);
    return p[0] == ':' && is_digit(p[1]) && is_digit(p[2]) && p[3] == ':';
}

/*
 * How a plain (unquoted) scalar is typed. Accepted types are those PyYAML (YAML 1.1, what
 * Sigma tools read rules with) and YAML 1.2 agree on in their canonical spelling. Anything a
 * YAML reader would turn into something other than the text as written, or that the two
 * versions read differently (yes/on booleans, 007, 0x1F, 1_000, 10:30, 1e5, 08, dates), is
 * R_AMBIGUOUS with *why saying so: the rule author must quote it.
 */
static resolved resolve_plain(const char *s, const char **why)
{
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE", NULL};
    static const char *const bools11[] = {"yes", "Yes", "YES", "no",  "No",  "NO", "on",
                                          "On",  "ON",  "off", "Off", "OFF", NULL};
    if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
        return R_NULL;
    for (size_t i = 0; bools[i]; i++)
        if (!strcmp(s, bools[i]))
            return R_BOOL;
    for (size_t i = 0; bools11[i]; i++)
        if (!strcmp(s, bools11[i])) {
            *why = "a boolean in YAML 1.1 (PyYAML) and a string in YAML 1.2";
            return R_AMBIGUOUS;
        }
    const char *d = skip_sign(s);
    if (!strcmp(d, "0") || (d[0] >= '1' && d[0] <= '9' && all_in(d, DIGITS)))
        return R_INT;
    size_t intd = strspn(d, DIGITS);
    if (intd && d[intd] == '.' && is_digit(d[intd + 1])) {
        const char *e = skip_exponent(d + intd + 1 + strspn(d + intd + 1, DIGITS), true);
        if (e && !*e)
            return R_FLOAT;
    }
    if (pyyaml_int(s) || pyyaml_float(s) || yaml12_number(s)) {
        *why = "a number to YAML, not the text as written (or read differently by YAML 1.1 "
               "and 1.2)";
        return R_AMBIGUOUS;
    }
    if (pyyaml_timestamp(s)) {
        *why = "a timestamp to PyYAML";
        return R_AMBIGUOUS;
    }
    if (!strcmp(s, "=") || !strcmp(s, "<<")) {
        *why = "a special YAML value PyYAML cannot load";
        return R_AMBIGUOUS;
    }
    return R_STRING;
}

static int parts_push(sigma_value *v, sigma_part_kind kind, const char *lit, size_t len)
{
    sigma_part *p = realloc(v->u.glob.parts, (v->u.glob.nparts + 1) * sizeof(*p));
    if (!p)
        return -1;
    v->u.glob.parts = p;
    sigma_part *np = &p[v->u.glob.nparts];
    np->kind = kind;
    np->lit = NULL;
    np->len = 0;
    if (kind == SIGMA_PART_LIT) {
        if (!(np->lit = malloc(len + 1)))
            return -1;
        memcpy(np->lit, lit, len);
        np->lit[len] = '\0';
        np->len = len;
    }
    v->u.glob.nparts++;
    return 0;
}

/*
 * Splits a Sigma string into literal runs and wildcards. Backslash escapes only '*', '?' and
 * itself; before any other character it is a literal backslash (so `C:\Windows` needs no
 * doubling), and a trailing one is literal too.
 */
static int parse_wildcards(sigma_value *v, const char *s)
{
    size_t n = strlen(s);
    char *acc = malloc(n + 1);
    if (!acc)
        return -1;
    size_t alen = 0;
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\') {
            char next = s[i + 1];
            if (next == '*' || next == '?' || next == '\\') {
                acc[alen++] = next;
                i++;
            } else {
                acc[alen++] = '\\';
            }
        } else if (c == '*' || c == '?') {
            if (alen && parts_push(v, SIGMA_PART_LIT, acc, alen) != 0)
                goto out;
            alen = 0;
            if (parts_push(v, c == '*' ? SIGMA_PART_STAR : SIGMA_PART_QMARK, NULL, 0) != 0)
                goto out;
        } else {
            acc[alen++] = c;
        }
    }
    if (alen && parts_push(v, SIGMA_PART_LIT, acc, alen) != 0)
        goto out;
    rc = 0;
out:
    free(acc);
    return rc;
}

static bool starts_with_star(const sigma_value *v)
{
    return v->u.glob.nparts && v->u.glob.parts[0].kind == SIGMA_PART_STAR;
}

static bool ends_with_star(const sigma_value *v)
{
    return v->u.glob.nparts && v->u.glob.parts[v->u.glob.nparts - 1].kind == SIGMA_PART_STAR;
}

static int prepend_star(sigma_value *v)
{
    if (starts_with_star(v))
        return 0;
    if (parts_push(v, SIGMA_PART_STAR, NULL, 0) != 0)
        return -1;
    sigma_part star = v->u.glob.parts[v->u.glob.nparts - 1];
    memmove(v->u.glob.parts + 1, v->u.glob.parts, (v->u.glob.nparts - 1) * sizeof(sigma_part));
    v->u.glob.parts[0] = star;
    return 0;
}

static int append_star(sigma_value *v)
{
    return ends_with_star(v) ? 0 : parts_push(v, SIGMA_PART_STAR, NULL, 0);
}

/* Strict network parse, as Python's ip_network: no host bits set below the prefix. */
static bool parse_cidr(const char *s, sigma_value *v, const char **why)
{
    char buf[INET6_ADDRSTRLEN + 8];
    size_t n = strlen(s);
    if (n >= sizeof(buf)) {
        *why = "too long";
        return false;
    }
    memcpy(buf, s, n + 1);
    char *slash = strchr(buf, '/');
    int family = strchr(buf, ':') ? AF_INET6 : AF_INET;
    unsigned maxbits = family == AF_INET ? 32 : 128;
    unsigned prefix = maxbits;
    if (slash) {
        *slash = '\0';
        const char *q = slash + 1;
        if (!*q || strspn(q, "0123456789") != strlen(q) || strlen(q) > 3) {
            *why = "prefix length is not a number";
            return false;
        }
        prefix = (unsigned)atoi(q);
        if (prefix > maxbits) {
            *why = "prefix length too large";
            return false;
        }
    }
    unsigned char addr[16] = {0};
    if (inet_pton(family, buf, addr) != 1) {
        *why = "not an IP address";
        return false;
    }
    for (unsigned bit = prefix; bit < maxbits; bit++)
        if (addr[bit / 8] & (0x80u >> (bit % 8))) {
            *why = "host bits set below the prefix length";
            return false;
        }
    v->u.cidr.family = family;
    memcpy(v->u.cidr.addr, addr, sizeof(addr));
    v->u.cidr.prefix = prefix;
    return true;
}

/* ---- Modifiers ------------------------------------------------------------------------------ */

typedef enum mod {
    M_CONTAINS,
    M_STARTSWITH,
    M_ENDSWITH,
    M_ALL,
    M_RE,
    M_RE_I,
    M_RE_M,
    M_RE_S,
    M_CASED,
    M_EXISTS,
    M_CIDR,
    M_GT,
    M_GTE,
    M_LT,
    M_LTE,
    M_NEQ,
    M_UNSUPPORTED,
} mod;

static const struct {
    const char *name;
    mod m;
} modtab[] = {
    {"contains", M_CONTAINS},
    {"startswith", M_STARTSWITH},
    {"endswith", M_ENDSWITH},
    {"all", M_ALL},
    {"re", M_RE},
    {"i", M_RE_I},
    {"ignorecase", M_RE_I},
    {"m", M_RE_M},
    {"multiline", M_RE_M},
    {"s", M_RE_S},
    {"dotall", M_RE_S},
    {"cased", M_CASED},
    {"exists", M_EXISTS},
    {"cidr", M_CIDR},
    {"gt", M_GT},
    {"gte", M_GTE},
    {"lt", M_LT},
    {"lte", M_LTE},
    {"neq", M_NEQ},
    /* Known to Sigma, not honoured here: encodings (base64*, utf16*, wide) and windash expand
     * one value into several byte forms, expand needs placeholder values we do not have,
     * fieldref compares two fields, and the time parts need a timestamp parser. */
    {"windash", M_UNSUPPORTED},
    {"base64", M_UNSUPPORTED},
    {"base64offset", M_UNSUPPORTED},
    {"utf16", M_UNSUPPORTED},
    {"utf16le", M_UNSUPPORTED},
    {"utf16be", M_UNSUPPORTED},
    {"wide", M_UNSUPPORTED},
    {"expand", M_UNSUPPORTED},
    {"fieldref", M_UNSUPPORTED},
    {"minute", M_UNSUPPORTED},
    {"hour", M_UNSUPPORTED},
    {"day", M_UNSUPPORTED},
    {"week", M_UNSUPPORTED},
    {"month", M_UNSUPPORTED},
    {"year", M_UNSUPPORTED},
};

/* The canonical spelling of a modifier (the first in modtab), for messages. */
static const char *mod_name(mod m)
{
    for (size_t i = 0; i < sizeof(modtab) / sizeof(modtab[0]); i++)
        if (modtab[i].m == m)
            return modtab[i].name;
    return "?";
}

static unsigned mod_bit(mod m)
{
    switch (m) {
    case M_CONTAINS:
        return SIGMA_MOD_CONTAINS;
    case M_STARTSWITH:
        return SIGMA_MOD_STARTSWITH;
    case M_ENDSWITH:
        return SIGMA_MOD_ENDSWITH;
    case M_ALL:
        return SIGMA_MOD_ALL;
    case M_RE:
    case M_RE_I:
    case M_RE_M:
    case M_RE_S:
        return SIGMA_MOD_RE;
    case M_CASED:
        return SIGMA_MOD_CASED;
    case M_EXISTS:
        return SIGMA_MOD_EXISTS;
    case M_CIDR:
        return SIGMA_MOD_CIDR;
    case M_GT:
    case M_GTE:
    case M_LT:
    case M_LTE:
        return SIGMA_MOD_CMP;
    case M_NEQ:
        return SIGMA_MOD_NEQ;
    case M_UNSUPPORTED:
        break;
    }
    return 0;
}

/* What the modifier list of one key asks for, after validation. */
typedef struct modset {
    unsigned bits;
    unsigned re_flags;
    bool cmp;
    sigma_cmp_op op;
    const char *cmp_name;
    const char *string_mod; /* first modifier that needs a string value, for messages */
} modset;

static bool is_value_transform(mod m)
{
    return m == M_CONTAINS || m == M_STARTSWITH || m == M_ENDSWITH || m == M_CASED;
}

/*
 * Parses and checks `mods` (the part of a key after the field name). Order rules follow
 * pySigma: `re`, `cidr` and `exists` apply to unmodified values only (they come first), the
 * regex flags only after `re`, and the type modifiers do not mix with string transforms.
 */
static int parse_mods(loader *l, unsigned line, const char *key, const char *mods, bool keyword,
                      modset *ms)
{
    memset(ms, 0, sizeof(*ms));
    size_t pos = 0;
    for (const char *p = mods; p; pos++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        char name[32];
        if (len >= sizeof(name) || len == 0) {
            return fail(l, line, "unknown modifier '%.*s' in '%s'", (int)(len > 40 ? 40 : len), p,
                        key);
        }
        memcpy(name, p, len);
        name[len] = '\0';
        p = bar ? bar + 1 : NULL;

        mod m = M_UNSUPPORTED;
        bool known = false;
        for (size_t i = 0; i < sizeof(modtab) / sizeof(modtab[0]); i++)
            if (!strcmp(modtab[i].name, name)) {
                m = modtab[i].m;
                known = true;
                break;
            }
        if (!known)
            return fail(l, line, "unknown modifier '%s' in '%s'", name, key);
        if (m == M_UNSUPPORTED)
            return fail(l, line, "modifier '%s' not supported", name);

        if ((m == M_RE || m == M_CIDR || m == M_EXISTS) && pos != 0)
            return fail(l, line,
                        "modifier '%s' must come first in '%s' (it applies to the value "
                        "as written)",
                        name, key);
        if ((m == M_RE_I || m == M_RE_M || m == M_RE_S) && !(ms->bits & SIGMA_MOD_RE))
            return fail(l, line, "modifier '%s' is a regex flag and needs 're' before it", name);
        if (is_value_transform(m) && !ms->string_mod)
            ms->string_mod = mod_name(m);
        if (m >= M_GT && m <= M_LTE) {
            if (ms->cmp)
                return fail(l, line, "more than one comparison modifier in '%s'", key);
            ms->cmp = true;
            ms->op = m == M_GT    ? SIGMA_CMP_GT
                     : m == M_GTE ? SIGMA_CMP_GTE
                     : m == M_LT  ? SIGMA_CMP_LT
                                  : SIGMA_CMP_LTE;
            ms->cmp_name = mod_name(m);
        }
        if (m == M_RE_I)
            ms->re_flags |= SIGMA_RE_I;
        if (m == M_RE_M)
            ms->re_flags |= SIGMA_RE_M;
        if (m == M_RE_S)
            ms->re_flags |= SIGMA_RE_S;
        if (m == M_EXISTS && p)
            return fail(l, line, "modifier 'exists' takes no other modifiers ('%s')", key);
        if (keyword && (m == M_STARTSWITH || m == M_ENDSWITH || m == M_EXISTS || m == M_CIDR ||
                        (m >= M_GT && m <= M_LTE)))
            return fail(l, line, "modifier '%s' needs a field name (keyword search '%s')", name,
                        key);
        ms->bits |= mod_bit(m);
    }

    /* Combinations no backend gives one meaning to. `re|contains` would only add '.*' around
     * an already unanchored search in pySigma, but would anchor it in backends with anchored
     * regexes (Lucene): rejected rather than guessed. */
    unsigned type_bits =
        ms->bits & (SIGMA_MOD_RE | SIGMA_MOD_CIDR | SIGMA_MOD_EXISTS | SIGMA_MOD_CMP);
    if (type_bits & (type_bits - 1))
        return fail(l, line, "modifiers of '%s' mix value types (re, cidr, exists, gt/lt)", key);
    if (type_bits && ms->string_mod)
        return fail(l, line, "modifier '%s' cannot combine with '%s' in '%s'", ms->string_mod,
                    (ms->bits & SIGMA_MOD_RE)     ? "re"
                    : (ms->bits & SIGMA_MOD_CIDR) ? "cidr"
                    : (ms->bits & SIGMA_MOD_CMP)  ? ms->cmp_name
                                                  : "exists",
                    key);
    return 0;
}

static void value_clear(sigma_value *v)
{
    free(v->text);
    if (v->kind == SIGMA_MATCH_GLOB) {
        for (size_t i = 0; i < v->u.glob.nparts; i++)
            free(v->u.glob.parts[i].lit);
        free(v->u.glob.parts);
    }
}

static const char *vtype_name(sigma_vtype t)
{
    switch (t) {
    case SIGMA_VT_STRING:
        return "string";
    case SIGMA_VT_INT:
        return "integer";
    case SIGMA_VT_FLOAT:
        return "float";
    case SIGMA_VT_BOOL:
        return "boolean";
    case SIGMA_VT_NULL:
        return "null";
    }
    return "?";
}

/* Builds one value of an item from its YAML scalar, applying the item's modifiers. */
static int build_value(loader *l, const yaml_node_t *n, const char *key, const modset *ms,
                       bool keyword, size_t nvalues, sigma_value *v)
{
    unsigned line = line_of(n);
    const char *s = sval(n);
    v->line = line;
    if (strlen(s) != n->data.scalar.length)
        return fail(l, line, "value of '%s' contains a NUL byte", key);
    if (n->tag && strcmp((const char *)n->tag, YAML_STR_TAG) != 0)
        return fail(l, line, "explicit YAML tag '%s' not supported", (const char *)n->tag);

    const char *why = NULL;
    resolved r =
        n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? resolve_plain(s, &why) : R_STRING;
    v->vtype = r == R_NULL    ? SIGMA_VT_NULL
               : r == R_BOOL  ? SIGMA_VT_BOOL
               : r == R_INT   ? SIGMA_VT_INT
               : r == R_FLOAT ? SIGMA_VT_FLOAT
                              : SIGMA_VT_STRING;
    /* integers are kept in canonical decimal: PyYAML's int('+07') reads back as "7" */
    const char *text = s;
    if (r == R_INT) {
        text = (*s == '+') ? s + 1 : s;
        if (!strcmp(text, "-0"))
            text = "0";
    }
    if (r == R_BOOL)
        text = (*s == 't' || *s == 'T') ? "true" : "false";
    if (!(v->text = strdup(text)))
        return oom(l, line);

    if ((ms->bits & SIGMA_MOD_EXISTS) && r != R_BOOL)
        return fail(l, line, "modifier 'exists' of '%s' needs true or false, got '%s'", key, s);
    if (r == R_AMBIGUOUS && !(ms->bits & SIGMA_MOD_RE))
        return fail(l, line, "plain value '%s' of '%s' is %s; quote it", s, key, why);

    if (ms->bits & SIGMA_MOD_RE) {
        if (r == R_NULL)
            return fail(l, line, "modifier 're' of '%s' needs a regex, got null", key);
        free(v->text);
        if (!(v->text = strdup(s))) /* the regex exactly as written */
            return oom(l, line);
        v->kind = SIGMA_MATCH_REGEX;
        v->u.re_flags = ms->re_flags;
        return 0;
    }
    if (ms->bits & SIGMA_MOD_EXISTS) {
        v->kind = SIGMA_MATCH_EXISTS;
        v->u.exists = !strcmp(text, "true");
        return 0;
    }
    if (ms->bits & SIGMA_MOD_CIDR) {
        if (r != R_STRING)
            return fail(l, line, "modifier 'cidr' of '%s' needs a network, got %s '%s'", key,
                        vtype_name(v->vtype), s);
        v->kind = SIGMA_MATCH_CIDR;
        if (!parse_cidr(s, v, &why))
            return fail(l, line, "invalid CIDR '%s' for '%s': %s", s, key, why);
        return 0;
    }
    if (ms->cmp) {
        if (r != R_INT && r != R_FLOAT)
            return fail(l, line, "modifier '%s' of '%s' needs a number, got %s '%s'", ms->cmp_name,
                        key, vtype_name(v->vtype), s);
        v->kind = SIGMA_MATCH_CMP;
        v->u.cmp.op = ms->op;
        v->u.cmp.num = strtod(s, NULL);
        return 0;
    }
    if (r == R_NULL) {
        if (keyword)
            return fail(l, line, "keyword value is null (null needs a field)");
        if (nvalues > 1)
            return fail(l, line,
                        "null in a list of values of '%s' (Sigma requires null to be its own "
                        "search identifier)",
                        key);
        if (ms->string_mod)
            return fail(l, line, "modifier '%s' of '%s' needs a string, got null", ms->string_mod,
                        key);
        v->kind = SIGMA_MATCH_NULL;
        return 0;
    }
    if (r == R_FLOAT)
        return fail(l, line,
                    "plain value '%s' of '%s' is a float, whose text YAML readers normalise; "
                    "quote it to match text, or compare it with gt/gte/lt/lte",
                    s, key);
    if ((r == R_INT || r == R_BOOL) && ms->string_mod)
        return fail(l, line, "modifier '%s' of '%s' needs a string, got %s %s; quote it",
                    ms->string_mod, key, vtype_name(v->vtype), s);

    v->kind = SIGMA_MATCH_GLOB;
    v->u.glob.cased = (ms->bits & SIGMA_MOD_CASED) != 0;
    int rc =
        r == R_STRING ? parse_wildcards(v, s) : parts_push(v, SIGMA_PART_LIT, text, strlen(text));
    if (rc == 0 && (keyword || (ms->bits & (SIGMA_MOD_CONTAINS | SIGMA_MOD_ENDSWITH))))
        rc = prepend_star(v);
    if (rc == 0 && (keyword || (ms->bits & (SIGMA_MOD_CONTAINS | SIGMA_MOD_STARTSWITH))))
        rc = append_star(v);
    return rc ? oom(l, line) : 0;
}

static void item_clear(sigma_item *it)
{
    free(it->field);
    for (size_t i = 0; i < it->nvalues; i++)
        value_clear(&it->values[i]);
    free(it->values);
}

/*
 * One `field|mods: value(s)` entry. keynode NULL means a bare keyword value or list (no key at
 * all); a key of only modifiers ('|all') is a keyword search with modifiers.
 */
static int build_item(loader *l, const yaml_node_t *keynode, const yaml_node_t *valnode,
                      sigma_item *it)
{
    const char *key = keynode ? sval(keynode) : "";
    unsigned line = keynode ? line_of(keynode) : line_of(valnode);
    it->line = line;
    const char *bar = strchr(key, '|');
    size_t flen = bar ? (size_t)(bar - key) : strlen(key);
    bool keyword = flen == 0;
    if (!keyword && !(it->field = strndup(key, flen)))
        return oom(l, line);
    modset ms;
    if (bar && parse_mods(l, line, key, bar + 1, keyword, &ms) != 0)
        return -1;
    if (!bar)
        memset(&ms, 0, sizeof(ms));
    it->mods = ms.bits;
    it->all = (ms.bits & SIGMA_MOD_ALL) != 0;
    it->negated = (ms.bits & SIGMA_MOD_NEQ) != 0;
    const char *what = keyword ? "keyword search" : key;

    size_t n;
    if (is_scalar(valnode)) {
        n = 1;
    } else if (valnode->type == YAML_SEQUENCE_NODE) {
        n = seq_len(valnode);
        if (n == 0)
            return fail(l, line_of(valnode),
                        "empty list of values for '%s' (write null to match an absent field)",
                        what);
    } else {
        return fail(l, line_of(valnode), "value of '%s' must be a scalar or a list of scalars",
                    what);
    }
    if ((ms.bits & SIGMA_MOD_EXISTS) && n != 1)
        return fail(l, line, "modifier 'exists' of '%s' takes a single true or false", key);
    if (!(it->values = calloc(n, sizeof(*it->values))))
        return oom(l, line);
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *vn = is_scalar(valnode) ? valnode : seq_item(l, valnode, i);
        if (!is_scalar(vn))
            return fail(l, vn ? line_of(vn) : line,
                        "values of '%s' must be scalars (a list of maps belongs directly under "
                        "the search identifier)",
                        what);
        it->nvalues = i + 1; /* counted before building, so a half-built value is freed too */
        if (build_value(l, vn, key, &ms, keyword, n, &it->values[i]) != 0)
            return -1;
    }
    return 0;
}

static void det_clear(sigma_det *d)
{
    if (d->kind == SIGMA_DET_ITEM) {
        item_clear(&d->item);
        return;
    }
    for (size_t i = 0; i < d->nkids; i++)
        det_clear(&d->kids[i]);
    free(d->kids);
}

static int det_kids(loader *l, sigma_det *d, size_t n, unsigned line)
{
    if (!(d->kids = calloc(n, sizeof(*d->kids))))
        return oom(l, line);
    return 0;
}

/*
 * The body of a search identifier: a map (AND of its entries), a list of plain values (one
 * keyword item, values OR'ed), a list containing maps (OR of its elements), or one plain value.
 */
static int build_det(loader *l, const yaml_node_t *n, const char *name, unsigned depth,
                     sigma_det *d)
{
    d->line = line_of(n);
    if (depth > MAX_DET_DEPTH)
        return fail(l, d->line, "search identifier '%s' nested deeper than %d lists", name,
                    MAX_DET_DEPTH);
    if (n->type == YAML_MAPPING_NODE) {
        d->kind = SIGMA_DET_AND;
        size_t cnt = map_len(n);
        if (cnt == 0)
            return fail(l, d->line, "search identifier '%s' is empty", name);
        if (check_map(l, n) != 0 || det_kids(l, d, cnt, d->line) != 0)
            return -1;
        for (size_t i = 0; i < cnt; i++) {
            const yaml_node_t *k = node_at(l, n->data.mapping.pairs.start[i].key);
            const yaml_node_t *v = node_at(l, n->data.mapping.pairs.start[i].value);
            d->nkids = i + 1;
            d->kids[i].kind = SIGMA_DET_ITEM;
            d->kids[i].line = line_of(k);
            if (build_item(l, k, v, &d->kids[i].item) != 0)
                return -1;
        }
        return 0;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        size_t cnt = seq_len(n);
        if (cnt == 0)
            return fail(l, d->line, "search identifier '%s' is empty", name);
        bool plain = true;
        for (size_t i = 0; i < cnt; i++)
            if (!is_scalar(seq_item(l, n, i)))
                plain = false;
        if (plain) {
            d->kind = SIGMA_DET_ITEM;
            return build_item(l, NULL, n, &d->item);
        }
        d->kind = SIGMA_DET_OR;
        if (det_kids(l, d, cnt, d->line) != 0)
            return -1;
        for (size_t i = 0; i < cnt; i++) {
            d->nkids = i + 1;
            if (build_det(l, seq_item(l, n, i), name, depth + 1, &d->kids[i]) != 0)
                return -1;
        }
        return 0;
    }
    if (is_null_scalar(n))
        return fail(l, d->line, "search identifier '%s' is empty", name);
    d->kind = SIGMA_DET_ITEM;
    return build_item(l, NULL, n, &d->item);
}

/* ---- Rules ---------------------------------------------------------------------------------- */

void sigma_rule_free(sigma_rule *r)
{
    if (!r)
        return;
    free(r->file);
    free(r->title);
    free(r->id);
    free(r->status);
    free(r->level);
    free(r->description);
    free(r->author);
    free(r->date);
    free(r->modified);
    strlist_clear(&r->tags);
    strlist_clear(&r->references);
    strlist_clear(&r->falsepositives);
    strlist_clear(&r->fields);
    free(r->logsource.category);
    free(r->logsource.product);
    free(r->logsource.service);
    free(r->logsource.definition);
    for (size_t i = 0; i < r->nsearches; i++) {
        free(r->searches[i].name);
        det_clear(&r->searches[i].det);
    }
    free(r->searches);
    sigma_cond_free(r->cond);
    free(r);
}

static int build_condition(loader *l, sigma_rule *r, const yaml_node_t *cn)
{
    r->cond_line = line_of(cn);
    size_t n = 1;
    if (cn->type == YAML_SEQUENCE_NODE) {
        n = seq_len(cn);
        if (n == 0)
            return fail(l, r->cond_line, "condition list is empty");
    } else if (!is_scalar(cn) || is_null_scalar(cn)) {
        return fail(l, r->cond_line, "condition must be a string or a list of strings");
    }
    /* A list of conditions means any of them (OR). */
    if (!(r->cond = calloc(1, sizeof(*r->cond))))
        return oom(l, r->cond_line);
    r->cond->kind = SIGMA_COND_OR;
    if (!(r->cond->kids = calloc(n, sizeof(*r->cond->kids))))
        return oom(l, r->cond_line);
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *s = cn->type == YAML_SEQUENCE_NODE ? seq_item(l, cn, i) : cn;
        if (!is_scalar(s))
            return fail(l, s ? line_of(s) : r->cond_line, "condition must be a string");
        char cerr[512];
        sigma_cond *c = NULL;
        if (sigma_cond_parse(sval(s), r->searches, r->nsearches, &c, cerr, sizeof(cerr)) != 0)
            return fail(l, line_of(s), "condition: %s", cerr);
        r->cond->kids[r->cond->nkids++] = *c;
        free(c);
    }
    if (n == 1) { /* no list: the condition itself, not an OR of one */
        sigma_cond *only = r->cond;
        sigma_cond inner = only->kids[0];
        free(only->kids);
        *only = inner;
    }
    return 0;
}

static int build_detection(loader *l, sigma_rule *r, const yaml_node_t *root)
{
    yaml_node_t *dn = map_get(l, root, "detection", NULL);
    if (!dn)
        return fail(l, line_of(root), "missing 'detection'");
    if (dn->type != YAML_MAPPING_NODE)
        return fail(l, line_of(dn), "'detection' must be a mapping");
    if (check_map(l, dn) != 0)
        return -1;
    yaml_node_t *tk = NULL;
    if (map_get(l, dn, "timeframe", &tk))
        return fail(l, line_of(tk), "'timeframe' (aggregation over time) not supported");
    yaml_node_t *cn = map_get(l, dn, "condition", NULL);
    if (!cn)
        return fail(l, line_of(dn), "detection has no 'condition'");

    size_t cnt = map_len(dn);
    if (!(r->searches = calloc(cnt, sizeof(*r->searches))))
        return oom(l, line_of(dn));
    for (size_t i = 0; i < cnt; i++) {
        const yaml_node_t *k = node_at(l, dn->data.mapping.pairs.start[i].key);
        const yaml_node_t *v = node_at(l, dn->data.mapping.pairs.start[i].value);
        if (!strcmp(sval(k), "condition"))
            continue;
        sigma_search *s = &r->searches[r->nsearches++];
        s->line = line_of(k);
        if (!(s->name = strdup(sval(k))))
            return oom(l, s->line);
        s->det.kind = SIGMA_DET_ITEM; /* what an unbuilt det holds, so it frees cleanly */
        if (build_det(l, v, s->name, 0, &s->det) != 0)
            return -1;
    }
    if (r->nsearches == 0)
        return fail(l, line_of(dn), "detection has no search identifiers");
    return build_condition(l, r, cn);
}

static int build_rule(loader *l, const yaml_node_t *root, sigma_rule *r)
{
    static const char *const levels[] = {"informational", "low",      "medium",
                                         "high",          "critical", NULL};
    static const char *const statuses[] = {"stable",     "test",        "experimental",
                                           "deprecated", "unsupported", NULL};
    yaml_node_t *k = NULL;
    if (map_get(l, root, "correlation", &k))
        return fail(l, line_of(k), "Sigma correlation rules not supported");
    if (map_get(l, root, "filter", &k))
        return fail(l, line_of(k), "Sigma filter documents not supported");
    if (get_str(l, root, "title", true, &r->title) || get_str(l, root, "id", false, &r->id) ||
        get_str(l, root, "status", false, &r->status) ||
        get_str(l, root, "level", false, &r->level) ||
        get_str(l, root, "description", false, &r->description) ||
        get_str(l, root, "author", false, &r->author) ||
        get_str(l, root, "date", false, &r->date) ||
        get_str(l, root, "modified", false, &r->modified) || get_list(l, root, "tags", &r->tags) ||
        get_list(l, root, "references", &r->references) ||
        get_list(l, root, "falsepositives", &r->falsepositives) ||
        get_list(l, root, "fields", &r->fields))
        return -1;
    if (check_one_of(l, root, "level", r->level, levels,
                     "informational, low, medium, high, critical") ||
        check_one_of(l, root, "status", r->status, statuses,
                     "stable, test, experimental, deprecated, unsupported"))
        return -1;

    yaml_node_t *ls = map_get(l, root, "logsource", NULL);
    if (!ls)
        return fail(l, line_of(root), "missing 'logsource'");
    if (ls->type != YAML_MAPPING_NODE)
        return fail(l, line_of(ls), "'logsource' must be a mapping");
    if (check_map(l, ls) || get_str(l, ls, "category", false, &r->logsource.category) ||
        get_str(l, ls, "product", false, &r->logsource.product) ||
        get_str(l, ls, "service", false, &r->logsource.service) ||
        get_str(l, ls, "definition", false, &r->logsource.definition))
        return -1;
    return build_detection(l, r, root);
}

/* ---- Rule sets ------------------------------------------------------------------------------ */

sigma_ruleset *sigma_ruleset_new(void)
{
    return calloc(1, sizeof(sigma_ruleset));
}

void sigma_ruleset_destroy(sigma_ruleset *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->nentries; i++) {
        sigma_entry *e = &set->entries[i];
        free(e->file);
        free(e->id);
        free(e->error);
        sigma_rule_free(e->rule);
    }
    free(set->entries);
    free(set);
}

/* Appends an entry; takes ownership of rule. On allocation failure the rule is freed. */
static int add_entry(sigma_ruleset *set, const char *file, unsigned line, const char *id,
                     sigma_rule *rule, const char *error)
{
    if (set->nentries == set->capentries) {
        size_t ncap = set->capentries ? set->capentries * 2 : 64;
        sigma_entry *e = realloc(set->entries, ncap * sizeof(*e));
        if (!e) {
            sigma_rule_free(rule);
            return -1;
        }
        set->entries = e;
        set->capentries = ncap;
    }
    sigma_entry *e = &set->entries[set->nentries];
    memset(e, 0, sizeof(*e));
    e->file = strdup(file);
    e->id = id ? strdup(id) : NULL;
    e->error = error ? strdup(error) : NULL;
    e->line = line;
    e->rule = rule;
    if (!e->file || (id && !e->id) || (error && !e->error)) {
        free(e->file);
        free(e->id);
        free(e->error);
        sigma_rule_free(rule);
        return -1;
    }
    set->nentries++;
    if (rule)
        set->nloaded++;
    else
        set->nrejected++;
    return 0;
}

static const sigma_entry *find_loaded(const sigma_ruleset *set, const char *id)
{
    for (size_t i = 0; i < set->nentries; i++)
        if (set->entries[i].rule && set->entries[i].id && !strcmp(set->entries[i].id, id))
            return &set->entries[i];
    return NULL;
}

/* Loads one document's rule, or fills l->msg. */
static sigma_rule *load_document(loader *l, sigma_ruleset *set, const yaml_node_t *root)
{
    sigma_rule *r = calloc(1, sizeof(*r));
    if (!r) {
        oom(l, line_of(root));
        return NULL;
    }
    r->line = line_of(root);
    if (!(r->file = strdup(l->file))) {
        oom(l, r->line);
        goto fail;
    }
    if (check_map(l, root) != 0 || build_rule(l, root, r) != 0)
        goto fail;
    const sigma_entry *dup = r->id ? find_loaded(set, r->id) : NULL;
    if (dup) {
        fail(l, r->line, "duplicate id (first defined at %s:%u)", dup->file, dup->line);
        goto fail;
    }
    return r;
fail:
    sigma_rule_free(r);
    return NULL;
}

/* The document's top-level `id:` value as a string, if it is one. */
static const char *doc_id(const loader *l, const yaml_node_t *root)
{
    if (root->type != YAML_MAPPING_NODE)
        return NULL;
    yaml_node_t *v = map_get(l, root, "id", NULL);
    return is_scalar(v) && !is_null_scalar(v) ? sval(v) : NULL;
}

/*
 * After a YAML syntax error there is no tree to ask for the rule id, so take it from the text:
 * the top-level `id:` line of the document (between '---' separators) holding the error.
 */
static char *scan_id(const char *buf, size_t len, unsigned errline)
{
    unsigned line = 1;
    bool in_doc = true;
    char *found = NULL;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && buf[end] != '\n')
            end++;
        const char *s = buf + i;
        size_t n = end - i;
        if (n >= 3 && !memcmp(s, "---", 3) && (n == 3 || s[3] == ' ' || s[3] == '\r')) {
            if (line > errline)
                break;
            free(found); /* a new document starts: an earlier id belongs to another rule */
            found = NULL;
            in_doc = true;
        } else if (in_doc && !found && n > 3 && !memcmp(s, "id:", 3)) {
            size_t a = 3, b = n;
            while (a < b && (s[a] == ' ' || s[a] == '\t'))
                a++;
            for (size_t c = a; c < b; c++)
                if (s[c] == '#' && (s[c - 1] == ' ' || s[c - 1] == '\t')) {
                    b = c;
                    break;
                }
            while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r'))
                b--;
            if (b - a >= 2 && (s[a] == '\'' || s[a] == '"') && s[b - 1] == s[a]) {
                a++;
                b--;
            }
            if (b > a)
                found = strndup(s + a, b - a);
        }
        i = end + 1;
        line++;
    }
    return found;
}

typedef struct doclist {
    yaml_document_t *v;
    size_t n, cap;
} doclist;

static void doclist_clear(doclist *dl)
{
    for (size_t i = 0; i < dl->n; i++)
        yaml_document_delete(&dl->v[i]);
    free(dl->v);
}

int sigma_load_buffer(sigma_ruleset *set, const char *name, const char *buf, size_t len, char *err,
                      size_t errlen)
{
    yaml_parser_t parser;
    doclist docs = {0};
    size_t before = set->nrejected;
    int rc = -1;
    bool syntax_error = false;
    char first[1024] = "";
    if (errlen)
        err[0] = '\0';
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

    /* Read every document first: a collection's `action: global` in document 1 changes what
     * the documents after it mean. */
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            syntax_error = true;
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (!root) { /* end of stream */
            yaml_document_delete(&doc);
            break;
        }
        if (is_null_scalar(root)) { /* an empty document, e.g. a trailing '---' */
            yaml_document_delete(&doc);
            continue;
        }
        if (docs.n == docs.cap) {
            size_t ncap = docs.cap ? docs.cap * 2 : 4;
            yaml_document_t *v = realloc(docs.v, ncap * sizeof(*v));
            if (!v) {
                yaml_document_delete(&doc);
                snprintf(err, errlen, "%s: out of memory", name);
                goto out;
            }
            docs.v = v;
            docs.cap = ncap;
        }
        docs.v[docs.n++] = doc;
    }

    bool collection = false;
    for (size_t i = 0; i < docs.n; i++) {
        loader l = {.file = name, .doc = &docs.v[i]};
        yaml_node_t *root = yaml_document_get_root_node(&docs.v[i]);
        if (root->type == YAML_MAPPING_NODE && map_get(&l, root, "action", NULL))
            collection = true;
    }

    for (size_t i = 0; i < docs.n; i++) {
        loader l = {.file = name, .doc = &docs.v[i]};
        yaml_node_t *root = yaml_document_get_root_node(&docs.v[i]);
        l.id = doc_id(&l, root);
        sigma_rule *r = NULL;
        if (root->type != YAML_MAPPING_NODE)
            fail(&l, line_of(root), "YAML document is not a mapping");
        else if (collection)
            fail(&l, line_of(root),
                 "Sigma rule collections (multi-document files with 'action: global/reset/"
                 "repeat') not supported; split them into one rule per document");
        else
            r = load_document(&l, set, root);
        if (!r && !first[0])
            snprintf(first, sizeof(first), "%s", l.msg);
        if (add_entry(set, name, line_of(root), l.id, r, r ? NULL : l.msg) != 0) {
            snprintf(err, errlen, "%s: out of memory", name);
            goto out;
        }
    }

    if (syntax_error) {
        unsigned line = (unsigned)parser.problem_mark.line + 1;
        char *id = scan_id(buf, len, line);
        char msg[1024];
        char ctx[160] = "";
        if (parser.context)
            snprintf(ctx, sizeof(ctx), " (%s at line %u)", parser.context,
                     (unsigned)parser.context_mark.line + 1);
        snprintf(msg, sizeof(msg), "%s:%u: rule %s: YAML syntax error: %s%s; rest of file skipped",
                 name, line, id ? id : "(no id)", parser.problem ? parser.problem : "unknown", ctx);
        if (!first[0])
            snprintf(first, sizeof(first), "%s", msg);
        int arc = add_entry(set, name, line, id, NULL, msg);
        free(id);
        if (arc != 0) {
            snprintf(err, errlen, "%s: out of memory", name);
            goto out;
        }
    }
    if (first[0])
        snprintf(err, errlen, "%s", first);
    rc = (int)(set->nrejected - before);
out:
    doclist_clear(&docs);
    yaml_parser_delete(&parser);
    return rc;
}

int sigma_load_file(sigma_ruleset *set, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    int rc = -1;
    if (!fp) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            if (ncap > MAX_FILE_BYTES) {
                snprintf(err, errlen, "%s: larger than %u MiB, not a rule file", path,
                         MAX_FILE_BYTES >> 20);
                goto out;
            }
            char *nb = realloc(buf, ncap);
            if (!nb) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto out;
    }
    rc = sigma_load_buffer(set, path, buf, len, err, errlen);
out:
    free(buf);
    fclose(fp);
    return rc;
}

static bool has_rule_suffix(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && !strcmp(name + n - 4, ".yml")) || (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks a directory in name order; unreadable files become rejected entries, not failures. */
static int load_dir(sigma_ruleset *set, const char *dir, unsigned depth, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open directory: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **nn = realloc(names, ncap * sizeof(*nn));
            if (!nn)
                goto out;
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = strdup(de->d_name)))
            goto out;
        n++;
    }
    qsort(names, n, sizeof(*names), cmp_names);
    int total = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        size_t dl = strlen(dir);
        const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
        if ((size_t)snprintf(path, sizeof(path), "%s%s%s", dir, sep, names[i]) >= sizeof(path))
            continue;
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        char sub[1024] = "";
        int r = 0;
        if (S_ISDIR(st.st_mode) && depth < 16)
            r = load_dir(set, path, depth + 1, sub, sizeof(sub));
        else if (S_ISREG(st.st_mode) && has_rule_suffix(names[i]))
            r = sigma_load_file(set, path, sub, sizeof(sub));
        if (r < 0) { /* unreadable: reported like a rejected rule, the walk goes on */
            if (add_entry(set, path, 0, NULL, NULL, sub) != 0)
                goto out;
            r = 1;
        }
        if (r > 0 && total == 0)
            snprintf(err, errlen, "%s", sub);
        total += r;
    }
    rc = total;
out:
    if (rc == -1 && errlen && !err[0])
        snprintf(err, errlen, "%s: out of memory", dir);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int sigma_load_path(sigma_ruleset *set, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (errlen)
        err[0] = '\0';
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return load_dir(set, path, 0, err, errlen);
    return sigma_load_file(set, path, err, errlen);
}
