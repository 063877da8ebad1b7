/*
 * The Sigma loader: YAML files into sigma_rule trees (include/weir/sigma.h), one rule per YAML
 * document, every rejection located as "FILE:LINE: rule ID: reason".
 *
 * It owns Sigma's syntax and nothing else: modifiers, escapes and wildcards, YAML scalar typing,
 * search identifiers and (through filter/sigma_cond.c) conditions. Whatever it cannot honour
 * exactly rejects that rule, never the file and never silently; the reference being pySigma's
 * reading of the spec (rules are written against it).
 *
 * This file reads a buffer's documents and builds each rule's metadata, search identifiers and
 * condition; one `field|mods: values` entry is built by sigma_load_value.c, and files and
 * directories are walked by sigma_load_path.c. What they share is declared in sigma_priv.h.
 *
 * Why libyaml's document API: rules are small, and a tree with marks gives every node its line.
 */
#include "weir/sigma.h"
#include "sigma_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Nesting of lists inside lists under one search identifier; YAML aliases can make cycles. */
#define MAX_DET_DEPTH 32

/* Records the first error of the rule being loaded (see sigma_priv.h). */
int sl_fail(loader *l, unsigned line, const char *fmt, ...)
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

int sl_oom(loader *l, unsigned line)
{
    return sl_fail(l, line, "out of memory");
}

/* ---- YAML node helpers ---------------------------------------------------------------------- */

unsigned sl_line_of(const yaml_node_t *n)
{
    return (unsigned)n->start_mark.line + 1;
}

static yaml_node_t *node_at(const loader *l, int idx)
{
    return yaml_document_get_node(l->doc, idx);
}

bool sl_is_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE;
}

const char *sl_sval(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A plain scalar YAML reads as null: `key:`, `key: ~`, `key: null`. */
static bool is_null_scalar(const yaml_node_t *n)
{
    if (!sl_is_scalar(n) || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = sl_sval(n);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static size_t map_len(const yaml_node_t *m)
{
    return (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
}

size_t sl_seq_len(const yaml_node_t *s)
{
    return (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
}

yaml_node_t *sl_seq_item(const loader *l, const yaml_node_t *s, size_t i)
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
        if (!sl_is_scalar(k))
            return sl_fail(l, k ? sl_line_of(k) : sl_line_of(m),
                           "mapping key is not a plain string");
        if (!strcmp(sl_sval(k), "<<"))
            return sl_fail(l, sl_line_of(k), "YAML merge key '<<' not supported");
        for (size_t j = 0; j < i; j++) {
            yaml_node_t *p = node_at(l, m->data.mapping.pairs.start[j].key);
            if (!strcmp(sl_sval(p), sl_sval(k)))
                return sl_fail(l, sl_line_of(k), "duplicate key '%s' (first at line %u)",
                               sl_sval(k), sl_line_of(p));
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
        if (sl_is_scalar(k) && !strcmp(sl_sval(k), key)) {
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
            return sl_fail(l, v ? sl_line_of(v) : sl_line_of(root), "missing '%s'", key);
        return 0;
    }
    if (!sl_is_scalar(v))
        return sl_fail(l, sl_line_of(v), "'%s' must be a string", key);
    if (!(*out = strdup(sl_sval(v))))
        return sl_oom(l, sl_line_of(v));
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
    if (sl_is_scalar(v))
        return strlist_push(out, sl_sval(v)) ? sl_oom(l, sl_line_of(v)) : 0;
    if (v->type != YAML_SEQUENCE_NODE)
        return sl_fail(l, sl_line_of(v), "'%s' must be a list of strings", key);
    for (size_t i = 0; i < sl_seq_len(v); i++) {
        yaml_node_t *it = sl_seq_item(l, v, i);
        if (!sl_is_scalar(it))
            return sl_fail(l, it ? sl_line_of(it) : sl_line_of(v), "'%s' must be a list of strings",
                           key);
        if (strlist_push(out, sl_sval(it)) != 0)
            return sl_oom(l, sl_line_of(it));
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
    return sl_fail(l, sl_line_of(v), "%s '%s' is not one of %s", key, val, allowed_text);
}

/* ---- Search identifiers ---------------------------------------------------------------------- */

static void det_clear(sigma_det *d)
{
    if (d->kind == SIGMA_DET_ITEM) {
        sl_item_clear(&d->item);
        return;
    }
    for (size_t i = 0; i < d->nkids; i++)
        det_clear(&d->kids[i]);
    free(d->kids);
}

static int det_kids(loader *l, sigma_det *d, size_t n, unsigned line)
{
    if (!(d->kids = calloc(n, sizeof(*d->kids))))
        return sl_oom(l, line);
    return 0;
}

/*
 * The body of a search identifier: a map (AND of its entries), a list of plain values (one
 * keyword item, values OR'ed), a list containing maps (OR of its elements), or one plain value.
 */
static int build_det(loader *l, const yaml_node_t *n, const char *name, unsigned depth,
                     sigma_det *d)
{
    d->line = sl_line_of(n);
    if (depth > MAX_DET_DEPTH)
        return sl_fail(l, d->line, "search identifier '%s' nested deeper than %d lists", name,
                       MAX_DET_DEPTH);
    if (n->type == YAML_MAPPING_NODE) {
        d->kind = SIGMA_DET_AND;
        size_t cnt = map_len(n);
        if (cnt == 0)
            return sl_fail(l, d->line, "search identifier '%s' is empty", name);
        if (check_map(l, n) != 0 || det_kids(l, d, cnt, d->line) != 0)
            return -1;
        for (size_t i = 0; i < cnt; i++) {
            const yaml_node_t *k = node_at(l, n->data.mapping.pairs.start[i].key);
            const yaml_node_t *v = node_at(l, n->data.mapping.pairs.start[i].value);
            d->nkids = i + 1;
            d->kids[i].kind = SIGMA_DET_ITEM;
            d->kids[i].line = sl_line_of(k);
            if (sl_build_item(l, k, v, &d->kids[i].item) != 0)
                return -1;
        }
        return 0;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        size_t cnt = sl_seq_len(n);
        if (cnt == 0)
            return sl_fail(l, d->line, "search identifier '%s' is empty", name);
        bool plain = true;
        for (size_t i = 0; i < cnt; i++)
            if (!sl_is_scalar(sl_seq_item(l, n, i)))
                plain = false;
        if (plain) {
            d->kind = SIGMA_DET_ITEM;
            return sl_build_item(l, NULL, n, &d->item);
        }
        d->kind = SIGMA_DET_OR;
        if (det_kids(l, d, cnt, d->line) != 0)
            return -1;
        for (size_t i = 0; i < cnt; i++) {
            d->nkids = i + 1;
            if (build_det(l, sl_seq_item(l, n, i), name, depth + 1, &d->kids[i]) != 0)
                return -1;
        }
        return 0;
    }
    if (is_null_scalar(n))
        return sl_fail(l, d->line, "search identifier '%s' is empty", name);
    d->kind = SIGMA_DET_ITEM;
    return sl_build_item(l, NULL, n, &d->item);
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
    r->cond_line = sl_line_of(cn);
    size_t n = 1;
    if (cn->type == YAML_SEQUENCE_NODE) {
        n = sl_seq_len(cn);
        if (n == 0)
            return sl_fail(l, r->cond_line, "condition list is empty");
    } else if (!sl_is_scalar(cn) || is_null_scalar(cn)) {
        return sl_fail(l, r->cond_line, "condition must be a string or a list of strings");
    }
    /* A list of conditions means any of them (OR). */
    if (!(r->cond = calloc(1, sizeof(*r->cond))))
        return sl_oom(l, r->cond_line);
    r->cond->kind = SIGMA_COND_OR;
    if (!(r->cond->kids = calloc(n, sizeof(*r->cond->kids))))
        return sl_oom(l, r->cond_line);
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *s = cn->type == YAML_SEQUENCE_NODE ? sl_seq_item(l, cn, i) : cn;
        if (!sl_is_scalar(s))
            return sl_fail(l, s ? sl_line_of(s) : r->cond_line, "condition must be a string");
        char cerr[512];
        sigma_cond *c = NULL;
        if (sigma_cond_parse(sl_sval(s), r->searches, r->nsearches, &c, cerr, sizeof(cerr)) != 0)
            return sl_fail(l, sl_line_of(s), "condition: %s", cerr);
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
        return sl_fail(l, sl_line_of(root), "missing 'detection'");
    if (dn->type != YAML_MAPPING_NODE)
        return sl_fail(l, sl_line_of(dn), "'detection' must be a mapping");
    if (check_map(l, dn) != 0)
        return -1;
    yaml_node_t *tk = NULL;
    if (map_get(l, dn, "timeframe", &tk))
        return sl_fail(l, sl_line_of(tk), "'timeframe' (aggregation over time) not supported");
    yaml_node_t *cn = map_get(l, dn, "condition", NULL);
    if (!cn)
        return sl_fail(l, sl_line_of(dn), "detection has no 'condition'");

    size_t cnt = map_len(dn);
    if (!(r->searches = calloc(cnt, sizeof(*r->searches))))
        return sl_oom(l, sl_line_of(dn));
    for (size_t i = 0; i < cnt; i++) {
        const yaml_node_t *k = node_at(l, dn->data.mapping.pairs.start[i].key);
        const yaml_node_t *v = node_at(l, dn->data.mapping.pairs.start[i].value);
        if (!strcmp(sl_sval(k), "condition"))
            continue;
        sigma_search *s = &r->searches[r->nsearches++];
        s->line = sl_line_of(k);
        if (!(s->name = strdup(sl_sval(k))))
            return sl_oom(l, s->line);
        s->det.kind = SIGMA_DET_ITEM; /* what an unbuilt det holds, so it frees cleanly */
        if (build_det(l, v, s->name, 0, &s->det) != 0)
            return -1;
    }
    if (r->nsearches == 0)
        return sl_fail(l, sl_line_of(dn), "detection has no search identifiers");
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
        return sl_fail(l, sl_line_of(k), "Sigma correlation rules not supported");
    if (map_get(l, root, "filter", &k))
        return sl_fail(l, sl_line_of(k), "Sigma filter documents not supported");
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
        return sl_fail(l, sl_line_of(root), "missing 'logsource'");
    if (ls->type != YAML_MAPPING_NODE)
        return sl_fail(l, sl_line_of(ls), "'logsource' must be a mapping");
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
int sl_add_entry(sigma_ruleset *set, const char *file, unsigned line, const char *id,
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
        sl_oom(l, sl_line_of(root));
        return NULL;
    }
    r->line = sl_line_of(root);
    if (!(r->file = strdup(l->file))) {
        sl_oom(l, r->line);
        goto fail;
    }
    if (check_map(l, root) != 0 || build_rule(l, root, r) != 0)
        goto fail;
    const sigma_entry *dup = r->id ? find_loaded(set, r->id) : NULL;
    if (dup) {
        sl_fail(l, r->line, "duplicate id (first defined at %s:%u)", dup->file, dup->line);
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
    return sl_is_scalar(v) && !is_null_scalar(v) ? sl_sval(v) : NULL;
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
            sl_fail(&l, sl_line_of(root), "YAML document is not a mapping");
        else if (collection)
            sl_fail(&l, sl_line_of(root),
                    "Sigma rule collections (multi-document files with 'action: global/reset/"
                    "repeat') not supported; split them into one rule per document");
        else
            r = load_document(&l, set, root);
        if (!r && !first[0])
            snprintf(first, sizeof(first), "%s", l.msg);
        if (sl_add_entry(set, name, sl_line_of(root), l.id, r, r ? NULL : l.msg) != 0) {
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
        int arc = sl_add_entry(set, name, line, id, NULL, msg);
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
