/*
 * One `field|mods: value(s)` entry of a search identifier into a sigma_item: the modifier list
 * checked against pySigma's rules, each value typed as YAML would type it, its escapes and
 * wildcards split into parts, and the modifiers applied (contains/startswith/endswith as '*'
 * at the ends, re, cidr, exists, gt/gte/lt/lte).
 *
 * Why we type plain scalars ourselves: libyaml leaves that to the application, and Sigma tools
 * read rules with PyYAML (YAML 1.1), so `sc-status: 200` is the integer 200 while `on` is a
 * boolean there and a string in YAML 1.2; such ambiguous plain values are rejected with a hint
 * to quote them rather than guessed.
 */
#include "weir/sigma.h"
#include "sigma_priv.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

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
            return sl_fail(l, line, "unknown modifier '%.*s' in '%s'", (int)(len > 40 ? 40 : len),
                           p, key);
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
            return sl_fail(l, line, "unknown modifier '%s' in '%s'", name, key);
        if (m == M_UNSUPPORTED)
            return sl_fail(l, line, "modifier '%s' not supported", name);

        if ((m == M_RE || m == M_CIDR || m == M_EXISTS) && pos != 0)
            return sl_fail(l, line,
                           "modifier '%s' must come first in '%s' (it applies to the value "
                           "as written)",
                           name, key);
        if ((m == M_RE_I || m == M_RE_M || m == M_RE_S) && !(ms->bits & SIGMA_MOD_RE))
            return sl_fail(l, line, "modifier '%s' is a regex flag and needs 're' before it", name);
        if (is_value_transform(m) && !ms->string_mod)
            ms->string_mod = mod_name(m);
        if (m >= M_GT && m <= M_LTE) {
            if (ms->cmp)
                return sl_fail(l, line, "more than one comparison modifier in '%s'", key);
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
            return sl_fail(l, line, "modifier 'exists' takes no other modifiers ('%s')", key);
        if (keyword && (m == M_STARTSWITH || m == M_ENDSWITH || m == M_EXISTS || m == M_CIDR ||
                        (m >= M_GT && m <= M_LTE)))
            return sl_fail(l, line, "modifier '%s' needs a field name (keyword search '%s')", name,
                           key);
        ms->bits |= mod_bit(m);
    }

    /* Combinations no backend gives one meaning to. `re|contains` would only add '.*' around
     * an already unanchored search in pySigma, but would anchor it in backends with anchored
     * regexes (Lucene): rejected rather than guessed. */
    unsigned type_bits =
        ms->bits & (SIGMA_MOD_RE | SIGMA_MOD_CIDR | SIGMA_MOD_EXISTS | SIGMA_MOD_CMP);
    if (type_bits & (type_bits - 1))
        return sl_fail(l, line, "modifiers of '%s' mix value types (re, cidr, exists, gt/lt)", key);
    if (type_bits && ms->string_mod)
        return sl_fail(l, line, "modifier '%s' cannot combine with '%s' in '%s'", ms->string_mod,
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
    unsigned line = sl_line_of(n);
    const char *s = sl_sval(n);
    v->line = line;
    if (strlen(s) != n->data.scalar.length)
        return sl_fail(l, line, "value of '%s' contains a NUL byte", key);
    if (n->tag && strcmp((const char *)n->tag, YAML_STR_TAG) != 0)
        return sl_fail(l, line, "explicit YAML tag '%s' not supported", (const char *)n->tag);

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
        return sl_oom(l, line);

    if ((ms->bits & SIGMA_MOD_EXISTS) && r != R_BOOL)
        return sl_fail(l, line, "modifier 'exists' of '%s' needs true or false, got '%s'", key, s);
    if (r == R_AMBIGUOUS && !(ms->bits & SIGMA_MOD_RE))
        return sl_fail(l, line, "plain value '%s' of '%s' is %s; quote it", s, key, why);

    if (ms->bits & SIGMA_MOD_RE) {
        if (r == R_NULL)
            return sl_fail(l, line, "modifier 're' of '%s' needs a regex, got null", key);
        free(v->text);
        if (!(v->text = strdup(s))) /* the regex exactly as written */
            return sl_oom(l, line);
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
            return sl_fail(l, line, "modifier 'cidr' of '%s' needs a network, got %s '%s'", key,
                           vtype_name(v->vtype), s);
        v->kind = SIGMA_MATCH_CIDR;
        if (!parse_cidr(s, v, &why))
            return sl_fail(l, line, "invalid CIDR '%s' for '%s': %s", s, key, why);
        return 0;
    }
    if (ms->cmp) {
        if (r != R_INT && r != R_FLOAT)
            return sl_fail(l, line, "modifier '%s' of '%s' needs a number, got %s '%s'",
                           ms->cmp_name, key, vtype_name(v->vtype), s);
        v->kind = SIGMA_MATCH_CMP;
        v->u.cmp.op = ms->op;
        v->u.cmp.num = strtod(s, NULL);
        return 0;
    }
    if (r == R_NULL) {
        if (keyword)
            return sl_fail(l, line, "keyword value is null (null needs a field)");
        if (nvalues > 1)
            return sl_fail(l, line,
                           "null in a list of values of '%s' (Sigma requires null to be its own "
                           "search identifier)",
                           key);
        if (ms->string_mod)
            return sl_fail(l, line, "modifier '%s' of '%s' needs a string, got null",
                           ms->string_mod, key);
        v->kind = SIGMA_MATCH_NULL;
        return 0;
    }
    if (r == R_FLOAT)
        return sl_fail(l, line,
                       "plain value '%s' of '%s' is a float, whose text YAML readers normalise; "
                       "quote it to match text, or compare it with gt/gte/lt/lte",
                       s, key);
    if ((r == R_INT || r == R_BOOL) && ms->string_mod)
        return sl_fail(l, line, "modifier '%s' of '%s' needs a string, got %s %s; quote it",
                       ms->string_mod, key, vtype_name(v->vtype), s);

    v->kind = SIGMA_MATCH_GLOB;
    v->u.glob.cased = (ms->bits & SIGMA_MOD_CASED) != 0;
    int rc =
        r == R_STRING ? parse_wildcards(v, s) : parts_push(v, SIGMA_PART_LIT, text, strlen(text));
    if (rc == 0 && (keyword || (ms->bits & (SIGMA_MOD_CONTAINS | SIGMA_MOD_ENDSWITH))))
        rc = prepend_star(v);
    if (rc == 0 && (keyword || (ms->bits & (SIGMA_MOD_CONTAINS | SIGMA_MOD_STARTSWITH))))
        rc = append_star(v);
    return rc ? sl_oom(l, line) : 0;
}

/* ---- Entries --------------------------------------------------------------------------------- */

void sl_item_clear(sigma_item *it)
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
int sl_build_item(loader *l, const yaml_node_t *keynode, const yaml_node_t *valnode, sigma_item *it)
{
    const char *key = keynode ? sl_sval(keynode) : "";
    unsigned line = keynode ? sl_line_of(keynode) : sl_line_of(valnode);
    it->line = line;
    const char *bar = strchr(key, '|');
    size_t flen = bar ? (size_t)(bar - key) : strlen(key);
    bool keyword = flen == 0;
    if (!keyword && !(it->field = strndup(key, flen)))
        return sl_oom(l, line);
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
    if (sl_is_scalar(valnode)) {
        n = 1;
    } else if (valnode->type == YAML_SEQUENCE_NODE) {
        n = sl_seq_len(valnode);
        if (n == 0)
            return sl_fail(l, sl_line_of(valnode),
                           "empty list of values for '%s' (write null to match an absent field)",
                           what);
    } else {
        return sl_fail(l, sl_line_of(valnode),
                       "value of '%s' must be a scalar or a list of scalars", what);
    }
    if ((ms.bits & SIGMA_MOD_EXISTS) && n != 1)
        return sl_fail(l, line, "modifier 'exists' of '%s' takes a single true or false", key);
    if (!(it->values = calloc(n, sizeof(*it->values))))
        return sl_oom(l, line);
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *vn = sl_is_scalar(valnode) ? valnode : sl_seq_item(l, valnode, i);
        if (!sl_is_scalar(vn))
            return sl_fail(l, vn ? sl_line_of(vn) : line,
                           "values of '%s' must be scalars (a list of maps belongs directly under "
                           "the search identifier)",
                           what);
        it->nvalues = i + 1; /* counted before building, so a half-built value is freed too */
        if (build_value(l, vn, key, &ms, keyword, n, &it->values[i]) != 0)
            return -1;
    }
    return 0;
}
