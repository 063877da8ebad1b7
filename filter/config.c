/*
 * Config: the key table of `weir run` and everything that reads it — the WEIR_* environment,
 * flags (weir_config_set), cross-key validation and the typed getters. The YAML loader is
 * config_yaml.c; the per-type parsers are config_value.c; --help, the docs rows and the
 * effective-config dump are config_text.c; what they share with this file is declared in
 * config_priv.h.
 *
 * Every value, whatever its source, goes through one parser per type (cfg_parse_scalar and the
 * list item parsers, config_value.c) and then one precedence rule, here: a value from a lower
 * source than the one that set the key is checked but not applied. Keeping precedence in the
 * data rather than in call order lets cmd_run apply its flags before it knows which file to read.
 */
#include "weir/config.h"
#include "config_priv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "weir/pipeline.h"

/* ---- the table ------------------------------------------------------------------------------ */

static const char *const DELIVERY_VALUES[] = {"at-least-once", "exactly-once", NULL};
static const char *const OVERSIZE_VALUES[] = {"truncate", "dead-letter", NULL};
/* Same order as wlog_level and wlog_format: the stored index is the enum value. */
static const char *const LOG_LEVEL_VALUES[] = {"debug", "info", "warn", "error", NULL};
static const char *const LOG_FORMAT_VALUES[] = {"json", "text", NULL};

const cfg_def cfg_defs[WEIR_CFG__COUNT] = {
    [WEIR_CFG_BROKERS] = {"brokers", "WEIR_BROKERS", T_STR, "", 0, 0, NULL, 0,
                          "Kafka bootstrap servers, host:port[,host:port...]. Required: here, in "
                          "WEIR_BROKERS or with --brokers."},
    [WEIR_CFG_GROUP_ID] = {"group.id", "WEIR_GROUP_ID", T_STR, "weir", 0, 0, NULL, F_NONEMPTY,
                           "Consumer group id; every replica of one deployment shares it."},
    [WEIR_CFG_INPUTS] = {"inputs", "WEIR_INPUTS", T_INPUTS, "", 0, 0, NULL, 0,
                         "Input topics, each with its log format (default auto). At least one. "
                         "Environment: topic[:format],topic[:format]..."},
    [WEIR_CFG_ALERTS_TOPIC] = {"alerts.topic", "WEIR_ALERTS_TOPIC", T_STR, "weir-alerts", 0, 0,
                               NULL, F_NONEMPTY | F_TOPIC,
                               "Topic the msgpack alerts are produced to."},
    [WEIR_CFG_DEAD_LETTER_TOPIC] = {"dead_letter.topic", "WEIR_DEAD_LETTER_TOPIC", T_STR, "", 0, 0,
                                    NULL, F_TOPIC,
                                    "Topic for events weir will not scan (see oversize); empty: "
                                    "none."},
    [WEIR_CFG_RULES] = {"rules", "WEIR_RULES", T_PATHS, "", 0, 0, NULL, 0,
                        "Sigma rule files or directories (searched for *.yml, *.yaml); neither "
                        "this nor rules_db: the bundled patterns. Environment: comma-separated."},
    [WEIR_CFG_RULES_DB] = {"rules_db", "WEIR_RULES_DB", T_STR, "", 0, 0, NULL, 0,
                           "Compiled rules from 'weir compile', instead of rules (the two "
                           "exclude each other)."},
    [WEIR_CFG_WORKERS] = {"workers", "WEIR_WORKERS", T_INT, "0", 0, 256, NULL, 0,
                          "Scanning threads; 0: one per CPU weir may use (its affinity and the "
                          "cgroup CPU limit, e.g. a Kubernetes limits.cpu)."},
    [WEIR_CFG_DELIVERY] = {"delivery", "WEIR_DELIVERY", T_ENUM, "at-least-once", 0, 0,
                           DELIVERY_VALUES, 0,
                           "at-least-once commits offsets after the alerts are acknowledged; "
                           "exactly-once commits alerts and offsets in one Kafka transaction per "
                           "batch."},
    [WEIR_CFG_MAX_EVENT_SIZE] = {"max_event_size", "WEIR_MAX_EVENT_SIZE", T_SIZE, "64k", 256,
                                 256 * MIB, NULL, 0,
                                 "Bytes of an event that are parsed into fields; see oversize."},
    [WEIR_CFG_OVERSIZE] = {"oversize", "WEIR_OVERSIZE", T_ENUM, "truncate", 0, 0, OVERSIZE_VALUES,
                           0,
                           "Longer events: truncate parses the first max_event_size bytes; "
                           "dead-letter sends them to dead_letter.topic."},
    [WEIR_CFG_BATCH_MAX_EVENTS] = {"batch.max_events", "WEIR_BATCH_MAX_EVENTS", T_INT, "100000", 1,
                                   1000000, NULL, 0,
                                   "Offsets are committed at least every this many events..."},
    [WEIR_CFG_BATCH_MAX_MS] = {"batch.max_ms", "WEIR_BATCH_MAX_MS", T_DURATION, "200ms", 1, 60000,
                               NULL, 0, "... or at least this often, whichever comes first."},
    [WEIR_CFG_CONNECT_TIMEOUT] = {"connect_timeout", "WEIR_CONNECT_TIMEOUT", T_DURATION, "10s", 100,
                                  600000, NULL, 0,
                                  "Startup fails if the brokers do not answer within this."},
    [WEIR_CFG_SHUTDOWN_TIMEOUT] = {"shutdown_timeout", "WEIR_SHUTDOWN_TIMEOUT", T_DURATION, "20s",
                                   100, 3600000, NULL, 0,
                                   "On SIGTERM, stop waiting for the brokers after this: what is "
                                   "not committed by then is read again on restart. A watchdog "
                                   "exits 5 s later if a librdkafka call still waits."},
    [WEIR_CFG_EXIT_EOF] = {"exit_eof", "WEIR_EXIT_EOF", T_BOOL, "false", 0, 0, NULL, 0,
                           "Exit once every assigned partition is drained (tests, backfills)."},
    [WEIR_CFG_LOG_LEVEL] = {"log.level", "WEIR_LOG_LEVEL", T_ENUM, "info", 0, 0, LOG_LEVEL_VALUES,
                            0, "Least severe log level written."},
    [WEIR_CFG_LOG_FORMAT] = {"log.format", "WEIR_LOG_FORMAT", T_ENUM, "json", 0, 0,
                             LOG_FORMAT_VALUES, 0,
                             "json: one object per line on stderr; text: for people."},
    [WEIR_CFG_PROGRESS_INTERVAL] = {"progress_interval", "WEIR_PROGRESS_INTERVAL", T_DURATION,
                                    "10s", 1000, 3600000, NULL, 0,
                                    "Time between progress log lines (counts, rates, lag)."},
    [WEIR_CFG_KAFKA_CONSUMER] = {"kafka.consumer", "WEIR_KAFKA_CONSUMER", T_KAFKA, "", 0, 0, NULL,
                                 0,
                                 "librdkafka consumer properties, passed through in order after "
                                 "weir's own. Environment: key=value;key=value..."},
    [WEIR_CFG_KAFKA_PRODUCER] = {"kafka.producer", "WEIR_KAFKA_PRODUCER", T_KAFKA, "", 0, 0, NULL,
                                 0,
                                 "librdkafka producer properties (alerts, dead letters), as "
                                 "kafka.consumer."},
    [WEIR_CFG_METRICS_LISTEN] = {"metrics.listen", "WEIR_METRICS_LISTEN", T_STR, "", 0, 0, NULL,
                                 F_HOSTPORT,
                                 "host:port of the Prometheus endpoint (/metrics, and /healthz "
                                 "for probes; ':9090' listens on every interface); empty: off."},
};

static bool is_list(cfg_type t)
{
    return t == T_PATHS || t == T_INPUTS || t == T_KAFKA;
}

static void list_clear(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

static void list_free(strlist *l)
{
    list_clear(l);
    free(l->v);
    free(l->aux);
    memset(l, 0, sizeof(*l));
}

/* Appends a copy of s; 0 or -1 (out of memory). */
static int list_push(strlist *l, const char *s, int aux)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 4;
        char **nv = realloc(l->v, nc * sizeof(*nv));
        if (!nv)
            return -1;
        l->v = nv;
        int *na = realloc(l->aux, nc * sizeof(*na));
        if (!na)
            return -1;
        l->aux = na;
        l->cap = nc;
    }
    char *dup = strdup(s);
    if (!dup)
        return -1;
    l->v[l->n] = dup;
    l->aux[l->n] = aux;
    l->n++;
    return 0;
}

static int set_origin(slot *sl, weir_cfg_source src, const char *origin)
{
    char *o = NULL;
    if (origin && !(o = strdup(origin)))
        return -1;
    free(sl->origin);
    sl->origin = o;
    sl->src = src;
    return 0;
}

/* ---- messages ------------------------------------------------------------------------------- */

/* Writes a message into a caller's buffer; returns -1 so callers can `return cfg_say(...)`. */
int cfg_say(char *err, size_t errlen, const char *fmt, ...)
{
    if (!errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/*
 * A value as shown in a message: at most 60 bytes, control bytes as '?'. Config values come
 * from files and environments we do not control and end up in logs and terminals.
 */
const char *cfg_show(char *out, size_t outlen, const char *s)
{
    size_t n = 0, i = 0;
    for (; s[i] && n + 4 < outlen && i < 60; i++)
        out[n++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (s[i] && n + 4 <= outlen) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

size_t cfg_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[MAX_PATH + 1];
    if (la > MAX_PATH || lb > MAX_PATH)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub = diag + (a[i - 1] != b[j - 1]);
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* The key a mistyped one most likely meant, or NULL: a section name ("group" for group.id) or
 * a name within a third of its length in edits. */
static const char *suggest(const char *path)
{
    size_t plen = strlen(path), best = SIZE_MAX;
    const char *hit = NULL;
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        const char *name = cfg_defs[k].name;
        if (strncmp(name, path, plen) == 0 && name[plen] == '.')
            return name;
        size_t d = cfg_edit_distance(path, name);
        if (d < best) {
            best = d;
            hit = name;
        }
    }
    size_t limit = plen / 3 > 2 ? plen / 3 : 2;
    return best <= limit ? hit : NULL;
}

void cfg_unknown_key(char *why, size_t wl, const char *path)
{
    char shown[80];
    const char *s = suggest(path);
    if (s)
        cfg_say(why, wl, "unknown key '%s' (did you mean '%s'?)",
                cfg_show(shown, sizeof(shown), path), s);
    else
        cfg_say(why, wl, "unknown key '%s'", cfg_show(shown, sizeof(shown), path));
}

/* ---- applying values under the precedence rule ---------------------------------------------- */

/* rules and rules_db exclude each other; -1 for keys with no partner. */
static int partner(weir_cfg_key k)
{
    if (k == WEIR_CFG_RULES)
        return WEIR_CFG_RULES_DB;
    if (k == WEIR_CFG_RULES_DB)
        return WEIR_CFG_RULES;
    return -1;
}

static bool has_value(const weir_config *c, int k)
{
    return is_list(cfg_defs[k].type) ? c->s[k].l.n > 0 : c->s[k].s && c->s[k].s[0];
}

/*
 * A higher source naming one of two exclusive keys wins over a lower source naming the other:
 * `--db x` on the command line drops the file's `rules:`. Only same-source conflicts remain for
 * weir_config_validate. Returns true when k's value from src must be dropped instead.
 */
static bool excluded_by_partner(weir_config *c, weir_cfg_key k, weir_cfg_source src)
{
    int p = partner(k);
    return p >= 0 && has_value(c, p) && c->s[p].src > src;
}

static void drop_lower_partner(weir_config *c, weir_cfg_key k, weir_cfg_source src)
{
    int p = partner(k);
    if (p < 0 || !has_value(c, k) || !has_value(c, p) || c->s[p].src >= src)
        return;
    slot *sl = &c->s[p];
    if (is_list(cfg_defs[p].type))
        list_clear(&sl->l);
    else
        sl->s[0] = '\0';
    set_origin(sl, WEIR_CFG_SRC_DEFAULT, NULL);
}

/* Checks text as a value of scalar key k and applies it unless a higher source holds k. */
int cfg_set_scalar(weir_config *c, weir_cfg_key k, const char *text, weir_cfg_source src,
                   const char *origin, char *why, size_t wl)
{
    const cfg_def *d = &cfg_defs[k];
    slot *sl = &c->s[k];
    long long v = 0;
    if (cfg_parse_scalar(d, text, &v, why, wl) != 0)
        return -1;
    if (src < sl->src || (*text && excluded_by_partner(c, k, src)))
        return 0;
    if (d->type == T_STR) {
        char *dup = strdup(text);
        if (!dup)
            return cfg_say(why, wl, "out of memory");
        free(sl->s);
        sl->s = dup;
    }
    sl->i = v;
    if (set_origin(sl, src, origin) != 0)
        return cfg_say(why, wl, "out of memory");
    drop_lower_partner(c, k, src);
    return 0;
}

/*
 * Opens list key k for items from src: a higher source than the holder replaces the list, the
 * same source appends to it. Returns true when items are to be applied, false when they are
 * only to be checked.
 */
bool cfg_list_begin(weir_config *c, weir_cfg_key k, weir_cfg_source src, const char *origin)
{
    slot *sl = &c->s[k];
    if (src < sl->src)
        return false;
    if (src > sl->src)
        list_clear(&sl->l);
    if (set_origin(sl, src, origin) != 0)
        sl->src = src; /* origin stays as it was: a worse message, not a wrong value */
    return true;
}

int cfg_add_path(weir_config *c, bool apply, weir_cfg_source src, const char *path, char *why,
                 size_t wl)
{
    if (!*path)
        return cfg_say(why, wl, "an empty path");
    if (!apply || excluded_by_partner(c, WEIR_CFG_RULES, src))
        return 0;
    if (list_push(&c->s[WEIR_CFG_RULES].l, path, 0) != 0)
        return cfg_say(why, wl, "out of memory");
    drop_lower_partner(c, WEIR_CFG_RULES, src);
    return 0;
}

/* Adds a checked input. */
int cfg_add_input(weir_config *c, bool apply, const char *topic, weir_format fmt, char *why,
                  size_t wl)
{
    if (apply && list_push(&c->s[WEIR_CFG_INPUTS].l, topic, (int)fmt) != 0)
        return cfg_say(why, wl, "out of memory");
    return 0;
}

/*
 * Merges one property into kafka map k: an existing property of the same name is replaced in
 * place (order kept) unless a higher source set it. Returns 1 when the property was already set
 * by the same source (the file loader makes that an error), 0 when applied or ignored, -1 on
 * error.
 */
int cfg_add_prop(weir_config *c, weir_cfg_key k, const char *kv, weir_cfg_source src,
                 const char *origin, char *why, size_t wl)
{
    slot *sl = &c->s[k];
    if (cfg_check_prop(kv, why, wl) != 0)
        return -1;
    size_t klen = (size_t)(strchr(kv, '=') - kv) + 1; /* with the '=' */
    for (size_t i = 0; i < sl->l.n; i++) {
        if (strncmp(sl->l.v[i], kv, klen) != 0)
            continue;
        if (sl->l.aux[i] > (int)src)
            return 0;
        int same = sl->l.aux[i] == (int)src;
        char *dup = strdup(kv);
        if (!dup)
            return cfg_say(why, wl, "out of memory");
        free(sl->l.v[i]);
        sl->l.v[i] = dup;
        sl->l.aux[i] = (int)src;
        if (src >= sl->src && set_origin(sl, src, origin) != 0)
            return cfg_say(why, wl, "out of memory");
        return same;
    }
    if (list_push(&sl->l, kv, (int)src) != 0)
        return cfg_say(why, wl, "out of memory");
    if (src >= sl->src && set_origin(sl, src, origin) != 0)
        return cfg_say(why, wl, "out of memory");
    return 0;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

weir_config *weir_config_new(void)
{
    weir_config *c = calloc(1, sizeof(*c));
    char why[256];
    if (!c)
        return NULL;
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        const cfg_def *d = &cfg_defs[k];
        if (d->type == T_STR && !(c->s[k].s = strdup("")))
            goto fail;
        if (!is_list(d->type) && cfg_set_scalar(c, (weir_cfg_key)k, d->def, WEIR_CFG_SRC_DEFAULT,
                                                NULL, why, sizeof(why)))
            goto fail; /* a default the key's own parser refuses: caught by the unit tests */
    }
    return c;
fail:
    weir_config_free(c);
    return NULL;
}

void weir_config_free(weir_config *c)
{
    if (!c)
        return;
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        free(c->s[k].origin);
        free(c->s[k].s);
        list_free(&c->s[k].l);
    }
    free(c);
}

int cfg_find_key(const char *name)
{
    for (int k = 0; k < WEIR_CFG__COUNT; k++)
        if (strcmp(cfg_defs[k].name, name) == 0)
            return k;
    return -1;
}

/* "kafka.consumer.fetch.max.bytes" → WEIR_CFG_KAFKA_CONSUMER and *prop = "fetch.max.bytes". */
int cfg_find_kafka_prefix(const char *path, const char **prop)
{
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        size_t n = strlen(cfg_defs[k].name);
        if (cfg_defs[k].type == T_KAFKA && strncmp(path, cfg_defs[k].name, n) == 0 &&
            path[n] == '.' && path[n + 1]) {
            *prop = path + n + 1;
            return k;
        }
    }
    return -1;
}

/* ---- flags ---------------------------------------------------------------------------------- */

int weir_config_set(weir_config *c, const char *key, const char *value, weir_cfg_source source,
                    char *err, size_t errlen)
{
    char why[512], kv[1024], topic[256];
    const char *prop;
    const char *origin = NULL; /* weir_config_origin names the source */
    int k = cfg_find_key(key);
    weir_format fmt;
    if ((unsigned)source > WEIR_CFG_SRC_FLAG)
        return cfg_say(err, errlen, "key '%s': unknown source %d", key, (int)source);
    if (k < 0 && (k = cfg_find_kafka_prefix(key, &prop)) >= 0) {
        int n = snprintf(kv, sizeof(kv), "%s=%s", prop, value);
        if (n < 0 || (size_t)n >= sizeof(kv))
            return cfg_say(err, errlen, "key '%s': value too long", key);
        value = kv;
    }
    if (k < 0) {
        cfg_unknown_key(err, errlen, key);
        return -1;
    }
    int rc = 0;
    switch (cfg_defs[k].type) {
    case T_PATHS:
        rc = cfg_add_path(c, cfg_list_begin(c, (weir_cfg_key)k, source, origin), source, value, why,
                          sizeof(why));
        break;
    case T_INPUTS:
        rc = cfg_parse_input(value, topic, sizeof(topic), &fmt, why, sizeof(why));
        if (rc == 0)
            rc = cfg_add_input(c, cfg_list_begin(c, (weir_cfg_key)k, source, origin), topic, fmt,
                               why, sizeof(why));
        break;
    case T_KAFKA:
        rc = cfg_add_prop(c, (weir_cfg_key)k, value, source, origin, why, sizeof(why)) < 0 ? -1 : 0;
        break;
    default:
        rc = cfg_set_scalar(c, (weir_cfg_key)k, value, source, origin, why, sizeof(why));
    }
    if (rc != 0)
        return cfg_say(err, errlen, "key '%s': %s", cfg_defs[k].name, why);
    return 0;
}

/* ---- environment ---------------------------------------------------------------------------- */

static const char *env_lookup(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++)
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
            return *envp + n + 1;
    return NULL;
}

/* Copies [b, e) without surrounding blanks into out; false when it is too long. */
static bool trimmed(const char *b, const char *e, char *out, size_t outlen)
{
    while (b < e && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    if ((size_t)(e - b) >= outlen)
        return false;
    memcpy(out, b, (size_t)(e - b));
    out[e - b] = '\0';
    return true;
}

/*
 * A list variable, split on seps. Lists of paths and inputs split on ',' (topic names have no
 * comma); librdkafka values do (debug=broker,topic; partition.assignment.strategy=range,
 * roundrobin), so properties split on ';' or newlines.
 */
static int env_list(weir_config *c, weir_cfg_key k, const char *val, char *why, size_t wl)
{
    const cfg_def *d = &cfg_defs[k];
    const char *seps = d->type == T_KAFKA ? ";\n" : ",";
    bool apply = d->type == T_KAFKA || cfg_list_begin(c, k, WEIR_CFG_SRC_ENV, d->env);
    char item[4096], topic[256];
    weir_format fmt;
    size_t items = 0;
    for (const char *p = val;;) {
        const char *e = p + strcspn(p, seps);
        if (!trimmed(p, e, item, sizeof(item)))
            return cfg_say(why, wl, "an item longer than %zu bytes", sizeof(item) - 1);
        if (*item) {
            int rc;
            items++;
            if (d->type == T_PATHS)
                rc = cfg_add_path(c, apply, WEIR_CFG_SRC_ENV, item, why, wl);
            else if (d->type == T_INPUTS)
                rc = cfg_parse_input(item, topic, sizeof(topic), &fmt, why, wl) ||
                     cfg_add_input(c, apply, topic, fmt, why, wl);
            else
                rc = cfg_add_prop(c, k, item, WEIR_CFG_SRC_ENV, d->env, why, wl) < 0;
            if (rc)
                return -1;
        }
        if (!*e)
            return items ? 0
                         : cfg_say(why, wl, "no items in '%s'", cfg_show(item, sizeof(item), val));
        p = e + 1;
    }
}

int weir_config_load_env(weir_config *c, char *const *envp, char *err, size_t errlen)
{
    char why[512];
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        const cfg_def *d = &cfg_defs[k];
        const char *val = env_lookup(envp, d->env);
        if (!val || !*val) /* empty = unset: a Helm template renders absent values as "" */
            continue;
        int rc = is_list(d->type) ? env_list(c, (weir_cfg_key)k, val, why, sizeof(why))
                                  : cfg_set_scalar(c, (weir_cfg_key)k, val, WEIR_CFG_SRC_ENV,
                                                   d->env, why, sizeof(why));
        if (rc != 0)
            return cfg_say(err, errlen, "%s: %s", d->env, why);
    }
    return 0;
}

/* ---- validation ----------------------------------------------------------------------------- */

const char *weir_config_origin(const weir_config *c, weir_cfg_key k)
{
    static const char *const by_source[] = {"default", "file", "environment", "command line"};
    if ((unsigned)k >= WEIR_CFG__COUNT)
        return "?";
    return c->s[k].origin ? c->s[k].origin : by_source[c->s[k].src];
}

weir_cfg_source weir_config_source(const weir_config *c, weir_cfg_key k)
{
    return (unsigned)k < WEIR_CFG__COUNT ? c->s[k].src : WEIR_CFG_SRC_DEFAULT;
}

int weir_config_validate(const weir_config *c, char *err, size_t errlen)
{
    const strlist *in = &c->s[WEIR_CFG_INPUTS].l;
    const char *alerts = c->s[WEIR_CFG_ALERTS_TOPIC].s, *dlq = c->s[WEIR_CFG_DEAD_LETTER_TOPIC].s;
    if (!has_value(c, WEIR_CFG_BROKERS))
        return cfg_say(err, errlen,
                       "key 'brokers' is required: set it in the file, in WEIR_BROKERS or with "
                       "--brokers");
    if (in->n == 0)
        return cfg_say(
            err, errlen,
            "key 'inputs' needs at least one topic: set it in the file, in WEIR_INPUTS or "
            "with --topic");
    if (has_value(c, WEIR_CFG_RULES) && has_value(c, WEIR_CFG_RULES_DB))
        return cfg_say(
            err, errlen, "keys 'rules' (%s) and 'rules_db' (%s) exclude each other: give one",
            weir_config_origin(c, WEIR_CFG_RULES), weir_config_origin(c, WEIR_CFG_RULES_DB));
    if (c->s[WEIR_CFG_OVERSIZE].i == WEIR_CFG_OVERSIZE_DEAD_LETTER && !*dlq)
        return cfg_say(
            err, errlen,
            "key 'oversize' is dead-letter (%s) but key 'dead_letter.topic' is empty: set "
            "a dead-letter topic or use oversize: truncate",
            weir_config_origin(c, WEIR_CFG_OVERSIZE));
    if (*dlq && !strcmp(dlq, alerts))
        return cfg_say(
            err, errlen,
            "keys 'alerts.topic' and 'dead_letter.topic' are both '%s': dead letters would "
            "reach alert consumers",
            alerts);
    for (size_t i = 0; i < in->n; i++) {
        if (!strcmp(in->v[i], alerts))
            return cfg_say(
                err, errlen,
                "key 'alerts.topic' '%s' is also an input: weir would scan its own alerts", alerts);
        if (*dlq && !strcmp(in->v[i], dlq))
            return cfg_say(err, errlen,
                           "key 'dead_letter.topic' '%s' is also an input: weir would re-read its "
                           "dead letters",
                           dlq);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(in->v[i], in->v[j]))
                return cfg_say(err, errlen, "key 'inputs': topic '%s' is listed twice (%s)",
                               in->v[i], weir_config_origin(c, WEIR_CFG_INPUTS));
    }
    return 0;
}

/* ---- reading -------------------------------------------------------------------------------- */

const char *weir_config_str(const weir_config *c, weir_cfg_key k)
{
    if ((unsigned)k >= WEIR_CFG__COUNT)
        return NULL;
    if (cfg_defs[k].type == T_STR)
        return c->s[k].s;
    if (cfg_defs[k].type == T_ENUM)
        return cfg_defs[k].values[c->s[k].i];
    return NULL;
}

long long weir_config_int(const weir_config *c, weir_cfg_key k)
{
    if ((unsigned)k >= WEIR_CFG__COUNT || cfg_defs[k].type == T_STR || is_list(cfg_defs[k].type))
        return 0;
    return c->s[k].i;
}

const char *const *weir_config_list(const weir_config *c, weir_cfg_key k, size_t *n)
{
    if ((unsigned)k >= WEIR_CFG__COUNT || !is_list(cfg_defs[k].type)) {
        *n = 0;
        return NULL;
    }
    *n = c->s[k].l.n;
    return (const char *const *)c->s[k].l.v;
}

weir_format weir_config_input_format(const weir_config *c, size_t i)
{
    const strlist *in = &c->s[WEIR_CFG_INPUTS].l;
    return i < in->n ? (weir_format)in->aux[i] : WEIR_FMT_AUTO;
}

int weir_config_pipeline_opts(const weir_config *c, weir_pipeline_opts *o, char *err, size_t errlen)
{
    size_t n;
    const char *const *topics = weir_config_list(c, WEIR_CFG_INPUTS, &n);
    if (n > WEIR_PIPE_MAX_TOPICS)
        return cfg_say(err, errlen, "key 'inputs': %zu topics; one weir reads at most %d", n,
                       WEIR_PIPE_MAX_TOPICS);
    o->per_topic_format = 1;
    for (size_t i = 0; i < n; i++)
        o->formats[i] = weir_config_input_format(c, i);
    o->format = n ? o->formats[0] : WEIR_FMT_AUTO;
    o->brokers = c->s[WEIR_CFG_BROKERS].s;
    o->group = c->s[WEIR_CFG_GROUP_ID].s;
    o->topics = topics;
    o->ntopics = n;
    o->alerts_topic = c->s[WEIR_CFG_ALERTS_TOPIC].s;
    o->dead_letter_topic = c->s[WEIR_CFG_DEAD_LETTER_TOPIC].s;
    o->oversize_dead_letter = c->s[WEIR_CFG_OVERSIZE].i == WEIR_CFG_OVERSIZE_DEAD_LETTER;
    o->consumer_props = weir_config_list(c, WEIR_CFG_KAFKA_CONSUMER, &o->nconsumer_props);
    o->producer_props = weir_config_list(c, WEIR_CFG_KAFKA_PRODUCER, &o->nproducer_props);
    o->exit_eof = (int)c->s[WEIR_CFG_EXIT_EOF].i;
    o->batch_max = (size_t)c->s[WEIR_CFG_BATCH_MAX_EVENTS].i;
    o->batch_ms = (int)c->s[WEIR_CFG_BATCH_MAX_MS].i;
    o->connect_timeout_ms = (int)c->s[WEIR_CFG_CONNECT_TIMEOUT].i;
    o->shutdown_timeout_ms = (int)c->s[WEIR_CFG_SHUTDOWN_TIMEOUT].i;
    o->workers = (size_t)c->s[WEIR_CFG_WORKERS].i;
    o->exactly_once = c->s[WEIR_CFG_DELIVERY].i == WEIR_CFG_DELIVERY_EXACTLY_ONCE;
    o->progress_s = (double)c->s[WEIR_CFG_PROGRESS_INTERVAL].i / 1000.0;
    o->max_event = (size_t)c->s[WEIR_CFG_MAX_EVENT_SIZE].i;
    return 0;
}
