/*
 * The field registry (canonical names and their aliases), format names, and the per-worker
 * event: a field table indexed by id plus one normalisation buffer, both sized at creation.
 */
#include "parse_priv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- formats ---------------------------------------------------------------------------- */

static const char *const format_names[WEIR_FMT__COUNT] = {
    [WEIR_FMT_AUTO] = "auto",
    [WEIR_FMT_IIS] = "iis",
    [WEIR_FMT_HTTPPROXY] = "httpproxy",
    [WEIR_FMT_ECP] = "ecp",
    [WEIR_FMT_OAB] = "oab",
    [WEIR_FMT_RPSHTTP] = "rpshttp",
    [WEIR_FMT_SMTPRECEIVE] = "smtpreceive",
    [WEIR_FMT_MSGTRACK] = "msgtrack",
    [WEIR_FMT_SYSLOG] = "syslog",
    [WEIR_FMT_COMBINED] = "combined",
    [WEIR_FMT_JSON] = "json",
};

const char *weir_format_name(weir_format f)
{
    if ((unsigned)f >= WEIR_FMT__COUNT)
        return "?";
    return format_names[f];
}

int weir_format_parse(const char *name, weir_format *out)
{
    for (int i = 0; i < WEIR_FMT__COUNT; i++) {
        if (strcasecmp(name, format_names[i]) == 0) {
            *out = (weir_format)i;
            return 0;
        }
    }
    return -1;
}

/* ---- field registry --------------------------------------------------------------------- */

static const char *const canonical_names[WEIR_FIELD__COUNT] = {
#define CANONICAL_NAME_(id, name) [WEIR_F_##id] = name,
    WEIR_FIELD_LIST(CANONICAL_NAME_)
#undef CANONICAL_NAME_
};

/*
 * Other names for the same field. Three kinds:
 *   - Sigma synonyms: the webserver taxonomy spells some fields differently from the proxy
 *     taxonomy (cs-user-agent / c-useragent, cs-referer / cs-referrer, cs-host / r-dns, ...);
 *   - native column names a log writes for a taxonomy field (IIS cs(User-Agent), HttpProxy
 *     UserAgent, UrlStem, Method, HttpStatus, ClientIpAddress, UrlQuery, ...), so a #Fields
 *     line maps onto the taxonomy by name and a rule may use either spelling;
 *   - ECS names a JSON envelope carries (url.path, user_agent.original, source.ip, ...).
 * A name must appear once in the whole table, case-insensitively (a unit test checks).
 */
static const struct {
    const char *name;
    int id;
} aliases[] = {
    {"DateTime", WEIR_F_TIMESTAMP},
    {"date-time", WEIR_F_TIMESTAMP},
    {"@timestamp", WEIR_F_TIMESTAMP},
    {"Method", WEIR_F_CS_METHOD},
    {"http.request.method", WEIR_F_CS_METHOD},
    {"c-uri-stem", WEIR_F_CS_URI_STEM},
    {"UrlStem", WEIR_F_CS_URI_STEM},
    {"url.path", WEIR_F_CS_URI_STEM},
    {"c-uri-query", WEIR_F_CS_URI_QUERY},
    {"UrlQuery", WEIR_F_CS_URI_QUERY_RAW},
    {"url.query", WEIR_F_CS_URI_QUERY_RAW},
    {"cs-uri", WEIR_F_C_URI},
    {"url.original", WEIR_F_C_URI},
    {"url.extension", WEIR_F_C_URI_EXTENSION},
    {"c-useragent", WEIR_F_CS_USER_AGENT},
    {"cs(User-Agent)", WEIR_F_CS_USER_AGENT},
    {"UserAgent", WEIR_F_CS_USER_AGENT},
    {"user_agent.original", WEIR_F_CS_USER_AGENT},
    {"AuthenticatedUser", WEIR_F_CS_USERNAME},
    {"user.name", WEIR_F_CS_USERNAME},
    {"ClientIpAddress", WEIR_F_C_IP},
    {"src_ip", WEIR_F_C_IP},
    {"source.ip", WEIR_F_C_IP},
    {"client.ip", WEIR_F_C_IP},
    {"dst_ip", WEIR_F_S_IP},
    {"destination.ip", WEIR_F_S_IP},
    {"server.ip", WEIR_F_S_IP},
    {"destination.port", WEIR_F_S_PORT},
    {"server.port", WEIR_F_S_PORT},
    {"HttpStatus", WEIR_F_SC_STATUS},
    {"http.response.status_code", WEIR_F_SC_STATUS},
    {"SubStatus", WEIR_F_SC_SUBSTATUS},
    {"cs-referer", WEIR_F_CS_REFERRER},
    {"cs(Referer)", WEIR_F_CS_REFERRER},
    {"http.request.referrer", WEIR_F_CS_REFERRER},
    {"r-dns", WEIR_F_CS_HOST},
    {"cs(Host)", WEIR_F_CS_HOST},
    {"UrlHost", WEIR_F_CS_HOST},
    {"url.domain", WEIR_F_CS_HOST},
    {"cs(Cookie)", WEIR_F_CS_COOKIE},
    {"cs(Content-Type)", WEIR_F_CS_CONTENT_TYPE},
    {"RequestBytes", WEIR_F_CS_BYTES},
    {"http.request.bytes", WEIR_F_CS_BYTES},
    {"ResponseBytes", WEIR_F_SC_BYTES},
    {"http.response.bytes", WEIR_F_SC_BYTES},
    {"http.version", WEIR_F_CS_VERSION},
    {"ServerHostName", WEIR_F_S_COMPUTERNAME},
    {"host.name", WEIR_F_HOSTNAME},
    {"log.syslog.hostname", WEIR_F_HOSTNAME},
    {"app-name", WEIR_F_PROGRAM},
    {"log.syslog.appname", WEIR_F_PROGRAM},
    {"process.name", WEIR_F_PROGRAM},
    {"procid", WEIR_F_PID},
    {"process.pid", WEIR_F_PID},
    {"log.syslog.priority", WEIR_F_PRI},
    {"log.syslog.msgid", WEIR_F_MSGID},
};

#define NALIASES (sizeof(aliases) / sizeof(aliases[0]))

const char *field_name_entry(size_t i, int *id)
{
    if (i < WEIR_FIELD__COUNT) {
        *id = (int)i;
        return canonical_names[i];
    }
    i -= WEIR_FIELD__COUNT;
    if (i < NALIASES) {
        *id = aliases[i].id;
        return aliases[i].name;
    }
    return NULL;
}

int weir_field_lookupn(const char *name, size_t len)
{
    /* A linear scan: this serves rule compilation and tests; per-line lookups (JSON keys,
     * #Fields columns) go through the parser's hash instead. */
    const char *e;
    int id;
    for (size_t i = 0; (e = field_name_entry(i, &id)) != NULL; i++)
        if (strlen(e) == len && strncasecmp(e, name, len) == 0)
            return id;
    return -1;
}

int weir_field_lookup(const char *name)
{
    return weir_field_lookupn(name, strlen(name));
}

const char *weir_field_name(int id)
{
    if (id < 0 || id >= WEIR_FIELD__COUNT)
        return NULL;
    return canonical_names[id];
}

const char *weir_field_ecs_name(int id)
{
    if (id < 0 || id >= WEIR_FIELD__COUNT)
        return NULL;
    /* the ECS spelling is the alias with a dot in it ("url.path"), except "@timestamp" */
    for (size_t i = 0; i < NALIASES; i++)
        if (aliases[i].id == id && strchr(aliases[i].name, '.') && aliases[i].name[0] != '@')
            return aliases[i].name;
    return canonical_names[id];
}

/* ---- events ----------------------------------------------------------------------------- */

/* Beyond this a "line" is not a log line; refusing it keeps 4 * max_line from overflowing. */
#define EVENT_MAX_LINE_LIMIT ((size_t)256 * 1024 * 1024)

weir_event *weir_event_new(size_t max_line, char *err, size_t errlen)
{
    if (max_line == 0)
        max_line = WEIR_EVENT_DEFAULT_MAX_LINE;
    if (max_line > EVENT_MAX_LINE_LIMIT) {
        snprintf(err, errlen, "max line %zu bytes is above the limit of %zu", max_line,
                 EVENT_MAX_LINE_LIMIT);
        return NULL;
    }
    weir_event *ev = calloc(1, sizeof(*ev));
    /*
     * Why 4x: every normalised value is at most as long as its source, the unquoted copies of
     * all columns together are at most the line, and the composed URI is written twice (raw
     * and normalised). So 4x the parsed prefix bounds the worst case; writes are still checked.
     */
    size_t cap = 4 * max_line + 4096;
    char *buf = malloc(cap);
    if (!ev || !buf) {
        snprintf(err, errlen, "out of memory for an event of %zu bytes", cap);
        free(ev);
        free(buf);
        return NULL;
    }
    ev->buf = buf;
    ev->cap = cap;
    ev->max_line = max_line;
    ev->gen = 1; /* slots start at 0: nothing is set before the first parse */
    memset(ev->want, 1, sizeof(ev->want));
    ev->status = WEIR_PARSE_MALFORMED;
    ev->reason = "nothing parsed yet";
    return ev;
}

void weir_event_destroy(weir_event *ev)
{
    if (!ev)
        return;
    free(ev->buf);
    free(ev);
}

static void event_clear_fields(weir_event *ev)
{
    if (++ev->gen == 0) { /* stamp wrapped: forget every old stamp once per 2^32 events */
        for (size_t i = 0; i < WEIR_FIELD__COUNT; i++)
            ev->slot[i].gen = 0;
        ev->gen = 1;
    }
    ev->n = 0;
    ev->used = 0;
}

void event_begin(weir_event *ev, const char *line, size_t len)
{
    event_clear_fields(ev);
    ev->line.p = line;
    ev->line.len = len;
    ev->status = WEIR_PARSE_OK;
    ev->reason = NULL;
    ev->format = WEIR_FMT_AUTO;
    ev->truncated = false;
}

int event_malformed(weir_event *ev, const char *reason)
{
    event_clear_fields(ev);
    ev->status = WEIR_PARSE_MALFORMED;
    ev->reason = reason;
    return WEIR_PARSE_MALFORMED;
}

int event_malformedf(weir_event *ev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->reason_buf, sizeof(ev->reason_buf), fmt, ap);
    va_end(ap);
    return event_malformed(ev, ev->reason_buf);
}

void weir_event_parse_only(weir_event *ev, const int *ids, size_t n)
{
    memset(ev->want, 0, sizeof(ev->want));
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < WEIR_FIELD__COUNT)
            ev->want[ids[i]] = 1;
    parse_want_sources(ev->want);
}

void event_set(weir_event *ev, int id, const char *p, size_t len)
{
    if (!event_wants(ev, id))
        return;
    ev_slot *s = &ev->slot[id];
    if (s->gen != ev->gen) { /* first time in this event: keep set order for iteration */
        s->gen = ev->gen;
        ev->order[ev->n++] = (uint16_t)id;
    }
    /* member by member: copying val from the raw view just written made the compiler reload
     * two 8-byte stores as one 16-byte load, a store-forwarding stall on every field (perf:
     * 16 % of engine time) */
    s->raw.p = p;
    s->raw.len = len;
    s->val.p = p;
    s->val.len = len;
}

ev_slot *event_slot(weir_event *ev, int id)
{
    if (id < 0 || id >= WEIR_FIELD__COUNT || ev->slot[id].gen != ev->gen)
        return NULL;
    return &ev->slot[id];
}

char *event_reserve(weir_event *ev, size_t n)
{
    if (n > ev->cap - ev->used) {
        ev->truncated = true;
        return NULL;
    }
    return ev->buf + ev->used;
}

void event_commit(weir_event *ev, size_t n)
{
    ev->used += n;
}

int weir_event_status(const weir_event *ev)
{
    return ev->status;
}

const char *weir_event_reason(const weir_event *ev)
{
    return ev->reason;
}

weir_format weir_event_format(const weir_event *ev)
{
    return ev->format;
}

weir_view weir_event_line(const weir_event *ev)
{
    return ev->line;
}

bool weir_event_truncated(const weir_event *ev)
{
    return ev->truncated;
}

const weir_view *weir_event_get(const weir_event *ev, int id)
{
    if (id < 0 || id >= WEIR_FIELD__COUNT || ev->slot[id].gen != ev->gen)
        return NULL;
    return &ev->slot[id].val;
}

const weir_view *weir_event_get_raw(const weir_event *ev, int id)
{
    if (id < 0 || id >= WEIR_FIELD__COUNT || ev->slot[id].gen != ev->gen)
        return NULL;
    return &ev->slot[id].raw;
}

size_t weir_event_nfields(const weir_event *ev)
{
    return ev->n;
}

int weir_event_field_id(const weir_event *ev, size_t i)
{
    if (i >= ev->n)
        return -1;
    return ev->order[i];
}
