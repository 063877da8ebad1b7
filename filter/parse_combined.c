/*
 * Apache/nginx access logs: combined
 *   host ident user [dd/Mon/yyyy:hh:mm:ss zone] "request" status bytes "referer" "user-agent"
 * and its prefix, common (no referer/user agent). Columns after the user agent (nginx and
 * vhost variants append some) are ignored rather than refused: the standard nine are all
 * rules use, and a deployment's extra column must not blind the filter.
 *
 * The request target is the full URI as sent (path?query), so it becomes c-uri and
 * normalize.c splits it into stem and query; a request line that is not "METHOD TARGET
 * [PROTOCOL]" (TLS bytes sent to a plain port, say) leaves those fields unset.
 */
#include "parse_priv.h"

#include <string.h>

static const tok_spec combined_spec = {
    .delim = ' ', .quote = '"', .open = '[', .close = ']', .esc = TOK_ESC_BACKSLASH};

enum { COL_HOST, COL_IDENT, COL_USER, COL_TIME, COL_REQUEST, COL_STATUS, COL_BYTES, COL_REFERER,
       COL_UA, COL_N };

static void request_line(weir_event *ev, weir_view r)
{
    const char *sp1 = memchr(r.p, ' ', r.len);
    if (!sp1 || sp1 == r.p)
        return;
    const char *target = sp1 + 1;
    size_t rest = r.len - (size_t)(target - r.p);
    const char *sp2 = memchr(target, ' ', rest);
    size_t tlen = sp2 ? (size_t)(sp2 - target) : rest;
    if (tlen == 0)
        return;
    if (sp2 && memchr(sp2 + 1, ' ', rest - tlen - 1))
        return; /* more than three words: not a request line */
    event_set(ev, WEIR_F_CS_METHOD, r.p, (size_t)(sp1 - r.p));
    event_set(ev, WEIR_F_C_URI, target, tlen);
    if (sp2)
        event_set(ev, WEIR_F_CS_VERSION, sp2 + 1, rest - tlen - 1);
}

static bool status_ok(const tok *t)
{
    if (t->len == 1 && t->p[0] == '-')
        return true;
    if (t->len == 0 || t->len > 3)
        return false;
    for (size_t i = 0; i < t->len; i++)
        if (t->p[i] < '0' || t->p[i] > '9')
            return false;
    return true;
}

int parse_combined_line(const char *s, size_t n, weir_event *ev)
{
    static const int ids[COL_N] = {
        [COL_HOST] = WEIR_F_C_IP,         [COL_IDENT] = -1,
        [COL_USER] = WEIR_F_CS_USERNAME,  [COL_TIME] = WEIR_F_TIMESTAMP,
        [COL_REQUEST] = -1,               [COL_STATUS] = WEIR_F_SC_STATUS,
        [COL_BYTES] = WEIR_F_SC_BYTES,    [COL_REFERER] = WEIR_F_CS_REFERRER,
        [COL_UA] = WEIR_F_CS_USER_AGENT,
    };
    tok col[COL_N];
    tok_iter it;
    const char *reason = NULL;
    size_t k = 0;
    tok_init(&it, &combined_spec, s, n);
    while (k < COL_N) {
        int rc = tok_next(&it, &col[k], &reason);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (ev->truncated)
                break;
            return event_malformedf(ev, "combined: %s in field %zu", reason, k + 1);
        }
        k++;
    }
    if (k <= COL_BYTES)
        return event_malformedf(ev, "combined: %zu fields, at least 7 expected", k);
    if (!col[COL_TIME].bracketed)
        return event_malformed(ev, "combined: no [time] in field 4");
    if (!col[COL_REQUEST].quoted)
        return event_malformed(ev, "combined: request in field 5 is not quoted");
    if (!status_ok(&col[COL_STATUS]))
        return event_malformed(ev, "combined: status in field 6 is not a number");
    for (size_t i = 0; i < k; i++) {
        weir_view v;
        if (!tok_value(ev, &combined_spec, &col[i], &v))
            continue;
        if (i == COL_REQUEST)
            request_line(ev, v);
        else
            event_set(ev, ids[i], v.p, v.len);
    }
    return WEIR_PARSE_OK;
}
