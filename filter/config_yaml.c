/*
 * The YAML source of the configuration: one document, a mapping, nested maps and dotted keys
 * meaning the same thing. Every value goes through the same per-key parsers and precedence rule
 * as the environment and the flags (config_value.c, config.c); this file only walks the document
 * and says where in the file a problem is.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_priv.h"

/* A config is a few hundred bytes; this only stops a stray large file from being slurped. */
#define MAX_FILE_BYTES (1u << 20)

typedef struct yload {
    weir_config *c;
    const char *file;
    yaml_document_t *doc;
    char *err;
    size_t errlen;
    unsigned first_line[WEIR_CFG__COUNT]; /* where this file gave each key; 0: not yet */
} yload;

static int yfail(yload *l, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "file:line: message" into the caller's buffer; returns -1. */
static int yfail(yload *l, unsigned line, const char *fmt, ...)
{
    if (!l->errlen)
        return -1;
    int n = snprintf(l->err, l->errlen, "%s:%u: ", l->file, line);
    if (n < 0 || (size_t)n >= l->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static unsigned line_of(const yaml_node_t *n)
{
    return (unsigned)n->start_mark.line + 1;
}

static yaml_node_t *node_at(const yload *l, int idx)
{
    return yaml_document_get_node(l->doc, idx);
}

static const char *kind_of(const yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE ? "a mapping" : "a list";
}

/* A plain scalar YAML reads as null: `key:`, `key: ~`, `key: null`. */
static bool is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = (const char *)n->data.scalar.value;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* The text of a scalar node ("" for null), or NULL with the error set for an embedded NUL
 * ("\0" in a double-quoted string), which C strings would silently cut. */
static const char *scalar_text(yload *l, const yaml_node_t *n, const char *what)
{
    const char *s = (const char *)n->data.scalar.value;
    if (strlen(s) != n->data.scalar.length) {
        yfail(l, line_of(n), "%s: a NUL byte in the value", what);
        return NULL;
    }
    return is_null(n) ? "" : s;
}

static char *file_origin(const yload *l, unsigned line)
{
    size_t n = strlen(l->file) + 16;
    char *o = malloc(n);
    if (o)
        snprintf(o, n, "%s:%u", l->file, line);
    return o;
}

static int load_scalar_key(yload *l, weir_cfg_key k, const yaml_node_t *v, const char *origin)
{
    char why[512], type[128];
    const cfg_def *d = &cfg_defs[k];
    if (v->type != YAML_SCALAR_NODE) {
        cfg_type_text(d, type, sizeof(type));
        return yfail(l, line_of(v), "key '%s': expected a single value (%s), got %s", d->name, type,
                     kind_of(v));
    }
    const char *s = scalar_text(l, v, d->name);
    if (!s)
        return -1;
    if (cfg_set_scalar(l->c, k, s, WEIR_CFG_SRC_FILE, origin, why, sizeof(why)) != 0)
        return yfail(l, line_of(v), "key '%s': %s", d->name, why);
    return 0;
}

/* rules: a list of paths, or one path as a scalar. */
static int load_paths(yload *l, const yaml_node_t *v, const char *origin)
{
    char why[512];
    bool apply = cfg_list_begin(l->c, WEIR_CFG_RULES, WEIR_CFG_SRC_FILE, origin);
    if (v->type == YAML_MAPPING_NODE)
        return yfail(l, line_of(v), "key 'rules': expected a list of paths, got a mapping");
    if (v->type == YAML_SCALAR_NODE) {
        const char *s = scalar_text(l, v, "rules");
        if (!s)
            return -1;
        if (*s && cfg_add_path(l->c, apply, WEIR_CFG_SRC_FILE, s, why, sizeof(why)) != 0)
            return yfail(l, line_of(v), "key 'rules': %s", why);
        return 0;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *item = node_at(l, *it);
        if (item->type != YAML_SCALAR_NODE)
            return yfail(l, line_of(item), "key 'rules': expected a path, got %s", kind_of(item));
        const char *s = scalar_text(l, item, "rules");
        if (!s)
            return -1;
        if (cfg_add_path(l->c, apply, WEIR_CFG_SRC_FILE, s, why, sizeof(why)) != 0)
            return yfail(l, line_of(item), "key 'rules': %s", why);
    }
    return 0;
}

/* One inputs item: {topic: t, format: f}, or the shorthand scalar "topic[:format]". */
static int load_input(yload *l, bool apply, const yaml_node_t *item)
{
    char why[512], topic[256];
    weir_format fmt = WEIR_FMT_AUTO;
    if (item->type == YAML_SEQUENCE_NODE)
        return yfail(l, line_of(item), "key 'inputs': expected {topic, format}, got a list");
    if (item->type == YAML_SCALAR_NODE) {
        const char *s = scalar_text(l, item, "inputs");
        if (!s)
            return -1;
        if (cfg_parse_input(s, topic, sizeof(topic), &fmt, why, sizeof(why)) != 0 ||
            cfg_add_input(l->c, apply, topic, fmt, why, sizeof(why)) != 0)
            return yfail(l, line_of(item), "key 'inputs': %s", why);
        return 0;
    }
    const yaml_node_t *tnode = NULL, *fnode = NULL;
    for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = node_at(l, p->key), *v = node_at(l, p->value);
        const char *name = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
        bool is_topic = !strcmp(name, "topic"), is_format = !strcmp(name, "format");
        char shown[80];
        if (!is_topic && !is_format) {
            const char *hint = cfg_edit_distance(name, "topic") <= 2 ? " (did you mean 'topic'?)"
                               : cfg_edit_distance(name, "format") <= 2
                                   ? " (did you mean 'format'?)"
                                   : "";
            return yfail(l, line_of(k), "key 'inputs': unknown key '%s' in an input%s",
                         cfg_show(shown, sizeof(shown), name), hint);
        }
        if ((is_topic && tnode) || (is_format && fnode))
            return yfail(l, line_of(k), "key 'inputs': '%s' given twice in one input", name);
        if (v->type != YAML_SCALAR_NODE)
            return yfail(l, line_of(v), "key 'inputs': '%s' expected a scalar, got %s", name,
                         kind_of(v));
        const char *s = scalar_text(l, v, "inputs");
        if (!s)
            return -1;
        if (is_topic) {
            tnode = v;
            if (cfg_check_topic(s, why, sizeof(why)) != 0)
                return yfail(l, line_of(v), "key 'inputs': %s", why);
            snprintf(topic, sizeof(topic), "%s", s); /* fits: check_topic bounds it */
        } else {
            fnode = v;
            if (cfg_parse_format(s, &fmt, why, sizeof(why)) != 0)
                return yfail(l, line_of(v), "key 'inputs': %s", why);
        }
    }
    if (!tnode)
        return yfail(l, line_of(item), "key 'inputs': an input without 'topic'");
    if (cfg_add_input(l->c, apply, topic, fmt, why, sizeof(why)) != 0)
        return yfail(l, line_of(item), "key 'inputs': %s", why);
    return 0;
}

static int load_inputs(yload *l, const yaml_node_t *v, const char *origin)
{
    bool apply = cfg_list_begin(l->c, WEIR_CFG_INPUTS, WEIR_CFG_SRC_FILE, origin);
    if (is_null(v))
        return 0;
    if (v->type != YAML_SEQUENCE_NODE)
        return yfail(l, line_of(v), "key 'inputs': expected a list of {topic, format}, got %s",
                     v->type == YAML_MAPPING_NODE ? "a mapping" : "a scalar");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
        if (load_input(l, apply, node_at(l, *it)) != 0)
            return -1;
    return 0;
}

/* One librdkafka property from the file; the value is the scalar's text as written, so
 * `enable.auto.commit: false` passes "false" and `fetch.wait.max.ms: 100` passes "100". */
static int load_prop(yload *l, weir_cfg_key k, const char *prop, const yaml_node_t *v,
                     unsigned line)
{
    char why[512], kv[4096], shown[80];
    const char *name = cfg_defs[k].name;
    if (v->type != YAML_SCALAR_NODE)
        return yfail(l, line_of(v), "key '%s': property '%s' expected a scalar, got %s", name,
                     cfg_show(shown, sizeof(shown), prop), kind_of(v));
    const char *s = scalar_text(l, v, name);
    if (!s)
        return -1;
    if (is_null(v))
        return yfail(l, line_of(v), "key '%s': property '%s' has no value", name,
                     cfg_show(shown, sizeof(shown), prop));
    int n = snprintf(kv, sizeof(kv), "%s=%s", prop, s);
    if (n < 0 || (size_t)n >= sizeof(kv))
        return yfail(l, line_of(v), "key '%s': property '%s' is too long", name,
                     cfg_show(shown, sizeof(shown), prop));
    char *origin = file_origin(l, line);
    if (!origin)
        return yfail(l, line, "out of memory");
    int rc = cfg_add_prop(l->c, k, kv, WEIR_CFG_SRC_FILE, origin, why, sizeof(why));
    free(origin);
    if (rc < 0)
        return yfail(l, line_of(v), "key '%s': %s", name, why);
    if (rc > 0)
        return yfail(l, line, "key '%s': property '%s' given twice", name,
                     cfg_show(shown, sizeof(shown), prop));
    return 0;
}

static int load_kafka(yload *l, weir_cfg_key k, const yaml_node_t *v)
{
    if (is_null(v))
        return 0;
    if (v->type != YAML_MAPPING_NODE)
        return yfail(l, line_of(v), "key '%s': expected a map of librdkafka properties, got %s",
                     cfg_defs[k].name, v->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = node_at(l, p->key);
        if (kn->type != YAML_SCALAR_NODE || is_null(kn))
            return yfail(l, line_of(kn), "key '%s': property names are plain strings",
                         cfg_defs[k].name);
        const char *prop = scalar_text(l, kn, cfg_defs[k].name);
        if (!prop || load_prop(l, k, prop, node_at(l, p->value), line_of(kn)) != 0)
            return -1;
    }
    return 0;
}

/* The value v of table key k, given on `line`. */
static int load_key(yload *l, weir_cfg_key k, unsigned line, const yaml_node_t *v)
{
    const cfg_def *d = &cfg_defs[k];
    if (d->type == T_KAFKA) /* a map may be given in parts: kafka.consumer.x and kafka: {...} */
        return load_kafka(l, k, v);
    if (l->first_line[k])
        return yfail(l, line, "key '%s' given twice (first at line %u)", d->name, l->first_line[k]);
    l->first_line[k] = line;
    char *origin = file_origin(l, line);
    if (!origin)
        return yfail(l, line, "out of memory");
    int rc = d->type == T_PATHS    ? load_paths(l, v, origin)
             : d->type == T_INPUTS ? load_inputs(l, v, origin)
                                   : load_scalar_key(l, k, v, origin);
    free(origin);
    return rc;
}

/* True when some key lives under the section `path` ("kafka" for kafka.consumer). */
static bool is_section(const char *path)
{
    size_t n = strlen(path);
    for (int k = 0; k < WEIR_CFG__COUNT; k++)
        if (strncmp(cfg_defs[k].name, path, n) == 0 && cfg_defs[k].name[n] == '.')
            return true;
    return false;
}

/*
 * Walks a mapping whose keys extend `prefix`. Nested and dotted spellings meet here:
 * `group: {id: x}` reaches path "group.id" just as `group.id: x` does. Recursion is bounded by
 * the depth of the table's names (a path that is no key and no section is an error), so YAML
 * aliases cannot make it loop.
 */
static int load_map(yload *l, const yaml_node_t *m, const char *prefix)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = node_at(l, p->key), *v = node_at(l, p->value);
        char path[MAX_PATH], why[512];
        const char *prop;
        if (kn->type != YAML_SCALAR_NODE || is_null(kn))
            return yfail(l, line_of(kn), "keys are plain names, got %s",
                         kn->type == YAML_SCALAR_NODE ? "an empty one" : kind_of(kn));
        const char *key = scalar_text(l, kn, "key");
        if (!key)
            return -1;
        int n = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
        if (n < 0 || (size_t)n >= sizeof(path)) {
            cfg_unknown_key(why, sizeof(why), key);
            return yfail(l, line_of(kn), "%s", why);
        }
        int k = cfg_find_key(path);
        int rc;
        if (k >= 0)
            rc = load_key(l, (weir_cfg_key)k, line_of(kn), v);
        else if ((k = cfg_find_kafka_prefix(path, &prop)) >= 0)
            rc = load_prop(l, (weir_cfg_key)k, prop, v, line_of(kn));
        else if (v->type == YAML_MAPPING_NODE && is_section(path))
            rc = load_map(l, v, path);
        else {
            cfg_unknown_key(why, sizeof(why), path);
            rc = yfail(l, line_of(kn), "%s", why);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* libyaml's reader errors carry a byte offset, not a mark: count the lines ourselves. */
static void offset_to_mark(const char *buf, size_t len, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int syntax_error(const yaml_parser_t *parser, const char *name, const char *buf, size_t len,
                        char *err, size_t errlen)
{
    size_t line = parser->problem_mark.line + 1, col = parser->problem_mark.column + 1;
    char ctx[160] = "";
    if (parser->error == YAML_READER_ERROR)
        offset_to_mark(buf, len, parser->problem_offset, &line, &col);
    if (parser->context)
        snprintf(ctx, sizeof(ctx), " (%s at line %zu)", parser->context,
                 (size_t)parser->context_mark.line + 1);
    return cfg_say(err, errlen, "%s:%zu:%zu: YAML syntax error: %s%s", name, line, col,
                   parser->problem ? parser->problem : "unknown problem", ctx);
}

int weir_config_load_buffer(weir_config *c, const char *name, const char *buf, size_t len,
                            char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    bool have_doc = false, have_extra = false;
    int rc = -1;
    if (!yaml_parser_initialize(&parser))
        return cfg_say(err, errlen, "%s: out of memory", name);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(&parser, name, buf, len, err, errlen);
        goto out;
    }
    have_doc = true;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || is_null(root)) { /* an empty file: every default stands */
        rc = 0;
        goto out;
    }
    if (root->type != YAML_MAPPING_NODE) {
        cfg_say(err, errlen,
                "%s:%u: expected a mapping of keys (brokers: ..., inputs: ...), got %s", name,
                line_of(root), root->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar");
        goto out;
    }
    /* A second document would be ignored by the loader; a stray '---' is more likely a merge
     * of two files than a wish to have half of them ignored. */
    if (!yaml_parser_load(&parser, &extra)) {
        syntax_error(&parser, name, buf, len, err, errlen);
        goto out;
    }
    have_extra = true;
    yaml_node_t *xroot = yaml_document_get_root_node(&extra);
    if (xroot && !is_null(xroot)) {
        cfg_say(err, errlen, "%s:%u: a second YAML document; weir reads one", name, line_of(xroot));
        goto out;
    }
    yload l = {.c = c, .file = name, .doc = &doc, .err = err, .errlen = errlen};
    rc = load_map(&l, root, "");
out:
    if (have_extra)
        yaml_document_delete(&extra);
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int weir_config_load_file(weir_config *c, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    int rc = -1;
    if (!fp)
        return cfg_say(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    buf = malloc(MAX_FILE_BYTES + 1);
    if (!buf) {
        cfg_say(err, errlen, "%s: out of memory", path);
        goto out;
    }
    len = fread(buf, 1, MAX_FILE_BYTES + 1, fp);
    if (ferror(fp)) {
        cfg_say(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto out;
    }
    if (len > MAX_FILE_BYTES) {
        cfg_say(err, errlen, "%s: larger than %u bytes; is this the config file?", path,
                MAX_FILE_BYTES);
        goto out;
    }
    rc = weir_config_load_buffer(c, path, buf, len, err, errlen);
out:
    free(buf);
    fclose(fp);
    return rc;
}
