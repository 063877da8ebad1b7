/*
 * The parser object: per-stream state, dispatch to the format families, and auto-detection.
 *
 * Auto-detection, in order (the first match wins):
 *   1. '#' lines are W3C/Exchange directives; "#Log-type:" / "#Software:" announce the format
 *      and "#Fields:" fixes it and its columns for the stream (PowerShell Export-Csv's header
 *      row "DateTime",... does the same);
 *   2. otherwise the line's shape: '{' JSON; "<PRI>" or "Mmm dd hh:mm:ss " syslog;
 *      "YYYY-MM-DD hh:mm:ss " IIS; "YYYY-MM-DDThh:mm:ss" followed by ',' (optionally quoted)
 *      an Exchange CSV log; "host ident user [dd/Mon/yyyy:hh:mm:ss zone] \"" combined.
 * What stays ambiguous, and how it is settled:
 *   - Exchange CSV logs all start with an ISO timestamp. After a header the stream's format is
 *     kept; without one the column count picks it (74 HttpProxy, 38 Rps_Http, 30 Message
 *     Tracking, 9 SMTP Receive, >= 4 with "S:" EventData ECP); any other count is malformed.
 *   - An ISO timestamp followed by a space is read as syslog (rsyslog's RFC 3339 file format),
 *     not CSV.
 *   - OABGeneratorLog has no known shape: only a "#Log-type" naming OAB selects it.
 *   - A line whose shape matches nothing uses the stream's header format if there is one (an
 *     IIS #Fields whose first column is not the date), else it is malformed.
 *   - Syslog carrying an IIS or JSON payload is syslog: the prefix decides.
 * Lines of different families may interleave (a Kafka topic fed by many shippers): the header
 * format is used only for lines of its own family, so one stray line does not derail it.
 */
#include "parse_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- column/key names -> field ids ------------------------------------------------------ */

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c |= 0x20; /* ASCII fold: names are ASCII, and a locale must not change ids */
        h = (h ^ c) * 16777619u;
    }
    return h;
}

static void names_build(weir_parser *p)
{
    const char *e;
    int id;
    for (size_t i = 0; (e = field_name_entry(i, &id)) != NULL; i++) {
        uint32_t h = name_hash(e, strlen(e)) & (PARSE_NAME_HASH - 1);
        while (p->names[h])
            h = (h + 1) & (PARSE_NAME_HASH - 1);
        p->names[h] = (uint16_t)(i + 1);
    }
}

int parse_column_field(const weir_parser *p, const char *name, size_t len)
{
    /* The W3C column cs-uri-query holds the query alone; the field rules call cs-uri-query is
     * the full URI composed in normalize.c (facts §0.1). */
    if ((len == 12 && strncasecmp(name, "cs-uri-query", 12) == 0) ||
        (len == 11 && strncasecmp(name, "c-uri-query", 11) == 0))
        return WEIR_F_CS_URI_QUERY_RAW;
    uint32_t h = name_hash(name, len) & (PARSE_NAME_HASH - 1);
    while (p->names[h]) {
        int id;
        const char *e = field_name_entry(p->names[h] - 1u, &id);
        if (strlen(e) == len && strncasecmp(e, name, len) == 0)
            return id;
        h = (h + 1) & (PARSE_NAME_HASH - 1);
    }
    return -1;
}

/* ---- parser object ---------------------------------------------------------------------- */

weir_parser *weir_parser_new(weir_format fmt, char *err, size_t errlen)
{
    if ((unsigned)fmt >= WEIR_FMT__COUNT) {
        snprintf(err, errlen, "unknown log format %d", (int)fmt);
        return NULL;
    }
    weir_parser *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory for a %s parser", weir_format_name(fmt));
        return NULL;
    }
    p->fmt = fmt;
    names_build(p);
    for (int f = 0; f < WEIR_FMT__COUNT; f++) {
        const char *hdr = parse_default_header((weir_format)f);
        const char *reason = NULL;
        if (hdr && parse_layout_from_header(p, &p->defaults[f], hdr, strlen(hdr),
                                            f == WEIR_FMT_IIS ? ' ' : ',', &reason) != 0) {
            snprintf(err, errlen, "built-in %s layout rejected: %s",
                     weir_format_name((weir_format)f), reason);
            free(p);
            return NULL;
        }
    }
    weir_parser_reset(p);
    return p;
}

void weir_parser_destroy(weir_parser *p)
{
    free(p);
}

void weir_parser_reset(weir_parser *p)
{
    p->cur = WEIR_FMT_AUTO;
    p->hint = WEIR_FMT_AUTO;
    p->layout.ncols = 0;
}

/* ---- shapes ----------------------------------------------------------------------------- */

static bool digits(const char *s, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool iso_date(const char *s) /* YYYY-MM-DD, 10 bytes available */
{
    return digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' && digits(s + 8, 2);
}

static bool clock_time(const char *s) /* hh:mm:ss, 8 bytes available */
{
    return digits(s, 2) && s[2] == ':' && digits(s + 3, 2) && s[5] == ':' && digits(s + 6, 2);
}

static bool month_name(const char *s) /* 3 bytes available */
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (size_t i = 0; i < 36; i += 3)
        if (memcmp(s, months + i, 3) == 0)
            return true;
    return false;
}

/* "Mmm dd hh:mm:ss " (RFC 3164; the day is space-padded). */
static bool bsd_timestamp(const char *s, size_t n)
{
    return n >= 16 && month_name(s) && s[3] == ' ' &&
           (s[4] == ' ' || (s[4] >= '0' && s[4] <= '9')) && digits(s + 5, 1) && s[6] == ' ' &&
           clock_time(s + 7) && s[15] == ' ';
}

/* "host ident user [dd/Mon/yyyy:hh:mm:ss zone] \"" */
static bool combined_shape(const char *s, size_t n)
{
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        const char *sp = memchr(s + i, ' ', n - i);
        if (!sp || sp == s + i)
            return false;
        i = (size_t)(sp - s) + 1;
    }
    if (n - i < 22 || s[i] != '[')
        return false;
    const char *t = s + i + 1;
    if (!(digits(t, 2) && t[2] == '/' && month_name(t + 3) && t[6] == '/' && digits(t + 7, 4) &&
          t[11] == ':' && clock_time(t + 12)))
        return false;
    const char *close = memchr(t, ']', n - i - 1);
    return close && (size_t)(close - s) + 2 < n && close[1] == ' ' && close[2] == '"';
}

/* The format a line's first bytes name; AUTO with *csv set for the Exchange CSV family. */
static weir_format shape_of(const char *s, size_t n, bool *csv)
{
    *csv = false;
    size_t ws = 0;
    while (ws < n && (s[ws] == ' ' || s[ws] == '\t'))
        ws++;
    if (ws < n && s[ws] == '{')
        return WEIR_FMT_JSON;
    if (n >= 2 && s[0] == '<' && s[1] >= '0' && s[1] <= '9')
        return WEIR_FMT_SYSLOG;
    if (bsd_timestamp(s, n))
        return WEIR_FMT_SYSLOG;
    size_t q = s[0] == '"' ? 1 : 0;
    if (n >= q + 20 && iso_date(s + q) && clock_time(s + q + 11)) {
        if (!q && s[10] == ' ' && s[19] == ' ')
            return WEIR_FMT_IIS;
        if (s[q + 10] == 'T') {
            size_t i = q + 19;
            while (i < n && s[i] != ',' && s[i] != ' ' && s[i] != '"')
                i++;
            if (!q && i < n && s[i] == ' ')
                return WEIR_FMT_SYSLOG;
            *csv = true;
            return WEIR_FMT_AUTO;
        }
    }
    if (combined_shape(s, n))
        return WEIR_FMT_COMBINED;
    return WEIR_FMT_AUTO;
}

/* Auto mode: the format of one data line, or AUTO with ev's reason set. */
static weir_format auto_pick(weir_parser *p, const char *s, size_t n, weir_event *ev)
{
    bool csv;
    weir_format f = shape_of(s, n, &csv);
    /* What the headers said: #Fields, else a #Log-type with no #Fields yet (default layout). */
    weir_format said = p->cur != WEIR_FMT_AUTO ? p->cur : p->hint;
    if (csv) {
        if (parse_is_exchange_csv(said))
            return said;
        f = parse_w3c_guess_csv(p, s, n);
        if (f == WEIR_FMT_AUTO)
            event_malformed(ev, "Exchange CSV line matching no known layout; needs its #Fields");
        return f;
    }
    if (f == WEIR_FMT_AUTO && said != WEIR_FMT_AUTO)
        return said;
    if (f == WEIR_FMT_AUTO)
        event_malformed(ev, "format not recognised");
    return f;
}

/* ---- dispatch --------------------------------------------------------------------------- */

int weir_parser_parse(weir_parser *p, const char *line, size_t len, weir_event *ev)
{
    event_begin(ev, line, len);
    const char *s = line ? line : "";
    size_t n = line ? len : 0;
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--; /* Exchange and IIS logs end lines with CRLF */
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3; /* a UTF-8 BOM before a file's first header */
        n -= 3;
    }
    if (n > ev->max_line) {
        n = ev->max_line;
        ev->truncated = true;
    }
    if (n == 0)
        return event_malformed(ev, "empty line");

    weir_format f = p->fmt;
    if (f == WEIR_FMT_AUTO || parse_is_columnar(f)) {
        if (s[0] == '#')
            return parse_w3c_directive(p, s, n, ev);
        if ((f == WEIR_FMT_AUTO || parse_is_exchange_csv(f)) && parse_w3c_is_csv_header(s, n))
            return parse_w3c_csv_header(p, s, n, ev);
    }
    if (f == WEIR_FMT_AUTO && (f = auto_pick(p, s, n, ev)) == WEIR_FMT_AUTO)
        return WEIR_PARSE_MALFORMED;
    ev->format = f;

    int rc;
    switch (f) {
    case WEIR_FMT_SYSLOG:
        rc = parse_syslog_line(s, n, ev);
        break;
    case WEIR_FMT_COMBINED:
        rc = parse_combined_line(s, n, ev);
        break;
    case WEIR_FMT_JSON:
        rc = parse_json_line(p, s, n, ev);
        break;
    default:
        rc = parse_w3c_line(p, f, s, n, ev);
        break;
    }
    if (rc == WEIR_PARSE_OK)
        parse_normalize(ev, f);
    return rc;
}
