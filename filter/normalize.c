/*
 * The semantic pass over a parsed event: what a field means, not how the line quoted it.
 *
 *   - '-' is empty in W3C/IIS and Apache/nginx logs: the field stays present with an empty
 *     normalised value (the raw view keeps the "-").
 *   - URI fields (cs-uri-stem, the query, c-uri, cs-referrer, ECP URL) are percent-decoded
 *     once (facts §0.4: Microsoft's own mitigation had to switch to {UrlDecode:...} because
 *     encoded requests bypassed it). Decoded twice, "%2541" would become "A", which no server
 *     saw.
 *   - IIS user agents and cookies: '+' is a space (facts §0.2), so rules written in either
 *     form can match, the '+' form on the raw view, the space form on the normalised one.
 *   - HttpProxy replaces the commas of a value with spaces ("(KHTML  like Gecko)", facts §0.2);
 *     that is left as logged: the comma cannot be recovered, and rules quote the logged form.
 *   - c-uri is composed as stem + "?" + query (just the stem when the query is empty or "-";
 *     no second '?' when the query brings its own, as HttpProxy UrlQuery does).
 *   - cs-uri-query, the Sigma-facing field, is the full URI, not the query alone. Facts §0.1:
 *     SigmaHQ web rules look for paths such as "/owa/auth/Current/" in cs-uri-query, while IIS
 *     keeps the path in cs-uri-stem and logs the query without its '?'; in the strict "query
 *     only" reading those rules can never fire on IIS. The query alone stays available as
 *     cs-uri-query-raw (HttpProxy/Rps_Http UrlQuery, ECS url.query).
 *   - Where a log gives the full URI instead (combined's request target, ECS url.original),
 *     stem and query are split out of it at the first '?'.
 */
#include "weir/normalize.h"

#include "parse_priv.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

int weir_norm_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t weir_norm_percent_decode(const char *src, size_t n, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '%' && i + 2 < n) {
            int hi = weir_norm_hexval(src[i + 1]), lo = weir_norm_hexval(src[i + 2]);
            if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
                dst[o++] = (char)(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        dst[o++] = src[i];
    }
    return o;
}

size_t weir_norm_plus_to_space(const char *src, size_t n, char *dst)
{
    size_t i = 0;
#if defined(__SSE2__)
    /* 16 bytes at a time: an IIS user agent is ~140 bytes on every line, and the byte loop
     * was 3 % of the engine's instructions (callgrind); the compiler does not vectorise it */
    const __m128i plus = _mm_set1_epi8('+'), space = _mm_set1_epi8(' ');
    for (; i + 16 <= n; i += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        __m128i is = _mm_cmpeq_epi8(c, plus);
        c = _mm_or_si128(_mm_andnot_si128(is, c), _mm_and_si128(is, space));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), c);
    }
#endif
    for (; i < n; i++)
        dst[i] = src[i] == '+' ? ' ' : src[i];
    return n;
}

bool weir_norm_is_dash(const char *p, size_t n)
{
    return n == 1 && p[0] == '-';
}

static bool is_uri_field(int id)
{
    return id == WEIR_F_CS_URI_STEM || id == WEIR_F_CS_URI_QUERY_RAW || id == WEIR_F_C_URI ||
           id == WEIR_F_CS_REFERRER || id == WEIR_F_ECP_URL;
}

static bool dash_is_empty(weir_format f)
{
    return f == WEIR_FMT_IIS || f == WEIR_FMT_COMBINED;
}

/* What normalising a field can change: the dash, '+' and percent rules above. */
enum { NORM_PLUS = 1, NORM_PCT = 2 };

bool weir_norm_plus_only(weir_format f, int field)
{
    return f == WEIR_FMT_IIS && (field == WEIR_F_CS_USER_AGENT || field == WEIR_F_CS_COOKIE);
}

static unsigned norm_kind(weir_format f, int id)
{
    if (weir_norm_plus_only(f, id))
        return NORM_PLUS;
    return is_uri_field(id) ? NORM_PCT : 0;
}

/* Sets the normalised view of one set field from its raw view. On a full buffer the
 * normalised view stays the raw one (and the event is marked truncated): degraded, never
 * overflowed. Kept small and branch-first: it runs for every column of every event (74 on an
 * HttpProxy line), and most columns need nothing. */
static inline void norm_slot(weir_event *ev, bool dash, unsigned kind, ev_slot *s)
{
    if (dash && s->raw.len == 1 && s->raw.p[0] == '-') {
        s->val.p = s->raw.p;
        s->val.len = 0;
        return;
    }
    if (!kind || !memchr(s->raw.p, kind == NORM_PLUS ? '+' : '%', s->raw.len))
        return;
    char *dst = event_reserve(ev, s->raw.len);
    if (!dst)
        return;
    size_t len = kind == NORM_PLUS ? weir_norm_plus_to_space(s->raw.p, s->raw.len, dst)
                                   : weir_norm_percent_decode(s->raw.p, s->raw.len, dst);
    event_commit(ev, len);
    s->val.p = dst;
    s->val.len = len;
}

static void norm_field(weir_event *ev, weir_format f, int id)
{
    ev_slot *s = event_slot(ev, id);
    if (s)
        norm_slot(ev, dash_is_empty(f), norm_kind(f, id), s);
}

/* a + "?" + b into the buffer (a alone when b is empty; no '?' added when b starts with one). */
static bool join_uri(weir_event *ev, weir_view a, weir_view b, weir_view *out)
{
    if (b.len == 0) {
        *out = a;
        return true;
    }
    size_t q = b.p[0] == '?' ? 0 : 1;
    char *dst = event_reserve(ev, a.len + q + b.len);
    if (!dst)
        return false;
    memcpy(dst, a.p, a.len);
    if (q)
        dst[a.len] = '?';
    memcpy(dst + a.len + q, b.p, b.len);
    event_commit(ev, a.len + q + b.len);
    out->p = dst;
    out->len = a.len + q + b.len;
    return true;
}

/* The query as a composition input: absent, empty and "-" all mean none. */
static weir_view query_view(weir_format f, const ev_slot *q, bool raw)
{
    weir_view none = {"", 0};
    if (!q)
        return none;
    weir_view v = raw ? q->raw : q->val;
    if (dash_is_empty(f) && weir_norm_is_dash(q->raw.p, q->raw.len))
        return none;
    return v;
}

static void compose_c_uri(weir_event *ev, weir_format f)
{
    ev_slot *stem = event_slot(ev, WEIR_F_CS_URI_STEM);
    ev_slot *query = event_slot(ev, WEIR_F_CS_URI_QUERY_RAW);
    weir_view raw, val;
    if (!join_uri(ev, stem->raw, query_view(f, query, true), &raw) ||
        !join_uri(ev, stem->val, query_view(f, query, false), &val))
        return;
    event_set(ev, WEIR_F_C_URI, raw.p, raw.len);
    event_slot(ev, WEIR_F_C_URI)->val = val;
}

/* A full URI into stem and query, at the first '?'; an absolute URL's scheme://authority is
 * not part of the stem. */
static void split_c_uri(weir_event *ev, weir_format f)
{
    weir_view u = event_slot(ev, WEIR_F_C_URI)->raw;
    const char *path = u.p;
    size_t left = u.len;
    const char *scheme = left > 3 ? memchr(u.p, ':', left) : NULL;
    if (scheme && (size_t)(scheme - u.p) + 3 <= left && scheme[1] == '/' && scheme[2] == '/' &&
        !memchr(u.p, '/', (size_t)(scheme - u.p))) {
        const char *slash = memchr(scheme + 3, '/', left - (size_t)(scheme + 3 - u.p));
        path = slash ? slash : u.p + u.len;
        left = u.len - (size_t)(path - u.p);
    }
    const char *q = memchr(path, '?', left);
    size_t stem_len = q ? (size_t)(q - path) : left;
    event_set(ev, WEIR_F_CS_URI_STEM, path, stem_len);
    norm_field(ev, f, WEIR_F_CS_URI_STEM);
    if (q) {
        event_set(ev, WEIR_F_CS_URI_QUERY_RAW, q + 1, left - stem_len - 1);
        norm_field(ev, f, WEIR_F_CS_URI_QUERY_RAW);
    }
}

/* The file extension of the stem's last segment ("aspx" of /owa/auth/x.aspx), if any. */
static bool extension(weir_view stem, weir_view *out)
{
    size_t i = stem.len;
    while (i > 0 && stem.p[i - 1] != '/' && stem.p[i - 1] != '.')
        i--;
    if (i == 0 || stem.p[i - 1] != '.' || i == stem.len)
        return false;
    out->p = stem.p + i;
    out->len = stem.len - i;
    return true;
}

/* IIS splits the timestamp into date and time columns; rules and alerts want one. */
static void compose_timestamp(weir_event *ev)
{
    ev_slot *d = event_slot(ev, WEIR_F_DATE), *t = event_slot(ev, WEIR_F_TIME);
    if (!d || !t || !event_wants(ev, WEIR_F_TIMESTAMP) || event_slot(ev, WEIR_F_TIMESTAMP))
        return;
    char *dst = event_reserve(ev, d->raw.len + 1 + t->raw.len);
    if (!dst)
        return;
    memcpy(dst, d->raw.p, d->raw.len);
    dst[d->raw.len] = ' ';
    memcpy(dst + d->raw.len + 1, t->raw.p, t->raw.len);
    event_commit(ev, d->raw.len + 1 + t->raw.len);
    event_set(ev, WEIR_F_TIMESTAMP, dst, d->raw.len + 1 + t->raw.len);
}

void parse_normalize(weir_event *ev, weir_format f)
{
    size_t n = ev->n; /* the fields the parser set; derived ones are normalised as made */
    bool dash = dash_is_empty(f);
    for (size_t i = 0; i < n; i++) {
        int id = ev->order[i];
        norm_slot(ev, dash, norm_kind(f, id), &ev->slot[id]);
    }

    bool have_uri = event_slot(ev, WEIR_F_C_URI) != NULL;
    bool have_stem = event_slot(ev, WEIR_F_CS_URI_STEM) != NULL;
    if (have_uri && !have_stem)
        split_c_uri(ev, f);
    else if (have_stem && !have_uri)
        compose_c_uri(ev, f);

    ev_slot *uri = event_slot(ev, WEIR_F_C_URI);
    if (uri) {
        weir_view raw = uri->raw, val = uri->val;
        event_set(ev, WEIR_F_CS_URI_QUERY, raw.p, raw.len);
        event_slot(ev, WEIR_F_CS_URI_QUERY)->val = val;
    }
    ev_slot *stem = event_slot(ev, WEIR_F_CS_URI_STEM);
    weir_view raw_ext, val_ext;
    if (stem && !event_slot(ev, WEIR_F_C_URI_EXTENSION) && extension(stem->val, &val_ext)) {
        if (!extension(stem->raw, &raw_ext))
            raw_ext = val_ext;
        event_set(ev, WEIR_F_C_URI_EXTENSION, raw_ext.p, raw_ext.len);
        event_slot(ev, WEIR_F_C_URI_EXTENSION)->val = val_ext;
    }
    if (f == WEIR_FMT_IIS)
        compose_timestamp(ev);
}

void parse_want_sources(uint8_t *want)
{
    /* The URI fields are made from one another both ways (IIS: c-uri from stem and query;
     * combined, JSON: stem and query from c-uri; cs-uri-query and the extension from those),
     * and the code above sets each one's normalised view right after setting it: wanting one
     * wants them all. */
    static const int uri[] = {WEIR_F_CS_URI_STEM, WEIR_F_CS_URI_QUERY_RAW, WEIR_F_C_URI,
                              WEIR_F_CS_URI_QUERY, WEIR_F_C_URI_EXTENSION};
    static const int ecp[] = {WEIR_F_ECP_CMD, WEIR_F_ECP_URL,      WEIR_F_ECP_SID,
                              WEIR_F_ECP_REQID, WEIR_F_ECP_REFERRER, WEIR_F_ECP_EX};
    bool any = false;
    for (size_t i = 0; i < sizeof(uri) / sizeof(uri[0]); i++)
        any = any || want[uri[i]];
    for (size_t i = 0; any && i < sizeof(uri) / sizeof(uri[0]); i++)
        want[uri[i]] = 1;
    if (want[WEIR_F_TIMESTAMP])
        want[WEIR_F_DATE] = want[WEIR_F_TIME] = 1;
    for (size_t i = 0; i < sizeof(ecp) / sizeof(ecp[0]); i++)
        if (want[ecp[i]])
            want[WEIR_F_EVENT_DATA] = 1; /* the pairs are split from it (parse_w3c.c) */
}
