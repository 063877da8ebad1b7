/*
 * Syslog lines: RFC 5424 ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG") and RFC 3164
 * ("<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG", PRI optional as files written by a local daemon
 * drop it). Postfix logs through the latter: "Mar 16 00:01:25 evita postfix/smtpd[1713]: connect
 * from camomile.cloud9.net[168.100.1.3]" gives program "postfix/smtpd", pid "1713".
 *
 * The 3164 header is a convention more than a grammar, so two readings are settled here:
 *   - a token after the timestamp that ends with ':' or holds '[' is the tag, not a hostname
 *     ("Mar 16 00:01:25 kernel: ..." has no hostname);
 *   - rsyslog's file format writes an RFC 3339 timestamp instead of "Mmm dd hh:mm:ss"; both
 *     are accepted.
 * A line with neither PRI nor timestamp is malformed: the caller asked for syslog.
 * RFC 5424 NILVALUE ('-') leaves the field unset.
 */
#include "parse_priv.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of a timestamp at s: "Mmm dd hh:mm:ss" (15) or an RFC 3339 token; 0 if neither. */
static size_t timestamp_len(const char *s, size_t n)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (n >= 15 && s[3] == ' ' && s[6] == ' ' && s[9] == ':' && s[12] == ':') {
        for (size_t m = 0; m < 36; m += 3) {
            if (memcmp(s, months + m, 3) == 0 && (s[4] == ' ' || is_digit(s[4])) &&
                is_digit(s[5]) && is_digit(s[7]) && is_digit(s[8]) && is_digit(s[10]) &&
                is_digit(s[11]) && is_digit(s[13]) && is_digit(s[14]))
                return 15;
        }
        return 0;
    }
    if (n >= 19 && is_digit(s[0]) && is_digit(s[3]) && s[4] == '-' && s[7] == '-' &&
        s[10] == 'T' && s[13] == ':' && s[16] == ':') {
        const char *sp = memchr(s, ' ', n);
        return sp ? (size_t)(sp - s) : n;
    }
    return 0;
}

/* A space-free token from *pos; NILVALUE '-' is reported as unset. Advances past one space. */
static bool header_token(const char *s, size_t n, size_t *pos, weir_event *ev, int id)
{
    if (*pos >= n)
        return false;
    const char *sp = memchr(s + *pos, ' ', n - *pos);
    if (!sp || sp == s + *pos)
        return false;
    size_t len = (size_t)(sp - (s + *pos));
    if (!(len == 1 && s[*pos] == '-'))
        event_set(ev, id, s + *pos, len);
    *pos += len + 1;
    return true;
}

/* STRUCTURED-DATA: '-' or one or more [id param="value" ...], values escaping \" \\ \]. */
static int structured_data(const char *s, size_t n, size_t *pos, weir_event *ev)
{
    size_t i = *pos;
    if (i < n && s[i] == '-') {
        *pos = i + 1;
        return 0;
    }
    if (i >= n || s[i] != '[')
        return event_malformed(ev, "syslog: RFC 5424 structured data is neither '-' nor '['");
    size_t start = i;
    while (i < n && s[i] == '[') {
        bool quoted = false;
        for (i++; i < n; i++) {
            if (quoted && s[i] == '\\') {
                i++;
                continue;
            }
            if (s[i] == '"')
                quoted = !quoted;
            else if (!quoted && s[i] == ']')
                break;
        }
        if (i >= n)
            return event_malformed(ev, "syslog: unterminated structured data");
        i++; /* past ']' */
    }
    event_set(ev, WEIR_F_STRUCTURED_DATA, s + start, i - start);
    *pos = i;
    return 0;
}

static int parse_5424(const char *s, size_t n, size_t pos, weir_event *ev)
{
    if (!header_token(s, n, &pos, ev, WEIR_F_TIMESTAMP) ||
        !header_token(s, n, &pos, ev, WEIR_F_HOSTNAME) ||
        !header_token(s, n, &pos, ev, WEIR_F_PROGRAM) ||
        !header_token(s, n, &pos, ev, WEIR_F_PID) || !header_token(s, n, &pos, ev, WEIR_F_MSGID))
        return event_malformed(ev, "syslog: RFC 5424 header incomplete");
    if (structured_data(s, n, &pos, ev) != 0)
        return WEIR_PARSE_MALFORMED;
    if (pos < n) {
        if (s[pos] != ' ')
            return event_malformed(ev, "syslog: no space after RFC 5424 structured data");
        pos++;
        if (n - pos >= 3 && memcmp(s + pos, "\xEF\xBB\xBF", 3) == 0)
            pos += 3; /* MSG may start with a BOM to say it is UTF-8 */
        event_set(ev, WEIR_F_MESSAGE, s + pos, n - pos);
    }
    return WEIR_PARSE_OK;
}

/* "TAG[PID]: " at pos: sets program/pid and returns where MSG starts, or pos if no tag. */
static size_t tag(const char *s, size_t n, size_t pos, weir_event *ev)
{
    size_t i = pos;
    while (i < n && s[i] != '[' && s[i] != ':' && s[i] != ' ')
        i++;
    if (i == pos || i >= n)
        return pos;
    size_t name_end = i, pid = 0, pid_len = 0;
    if (s[i] == '[') {
        const char *close = memchr(s + i, ']', n - i);
        if (!close)
            return pos;
        pid = i + 1;
        pid_len = (size_t)(close - (s + pid));
        i = (size_t)(close - s) + 1;
    }
    if (i >= n || s[i] != ':')
        return pos;
    event_set(ev, WEIR_F_PROGRAM, s + pos, name_end - pos);
    if (pid_len)
        event_set(ev, WEIR_F_PID, s + pid, pid_len);
    i++;
    if (i < n && s[i] == ' ')
        i++;
    return i;
}

static int parse_3164(const char *s, size_t n, size_t pos, size_t ts, weir_event *ev)
{
    event_set(ev, WEIR_F_TIMESTAMP, s + pos, ts);
    pos += ts;
    if (pos >= n || s[pos] != ' ')
        return event_malformed(ev, "syslog: nothing after the timestamp");
    pos++;
    const char *sp = memchr(s + pos, ' ', n - pos);
    size_t tok_len = sp ? (size_t)(sp - (s + pos)) : n - pos;
    bool is_tag = tok_len && (s[pos + tok_len - 1] == ':' || memchr(s + pos, '[', tok_len));
    if (!is_tag && sp) {
        event_set(ev, WEIR_F_HOSTNAME, s + pos, tok_len);
        pos += tok_len + 1;
    }
    pos = tag(s, n, pos, ev);
    event_set(ev, WEIR_F_MESSAGE, s + pos, n - pos);
    return WEIR_PARSE_OK;
}

int parse_syslog_line(const char *s, size_t n, weir_event *ev)
{
    size_t pos = 0;
    bool pri = false;
    if (n && s[0] == '<') {
        unsigned v = 0;
        size_t i = 1;
        while (i < n && i <= 3 && is_digit(s[i]))
            v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == 1 || i >= n || s[i] != '>' || v > 191)
            return event_malformed(ev, "syslog: invalid PRI");
        event_set(ev, WEIR_F_PRI, s + 1, i - 1);
        pos = i + 1;
        pri = true;
    }
    /* RFC 5424: VERSION (1-2 digits, not 0) and a space right after the PRI. */
    if (pri && pos + 1 < n && s[pos] >= '1' && s[pos] <= '9') {
        size_t v = pos + 1;
        if (v < n && is_digit(s[v]))
            v++;
        if (v < n && s[v] == ' ')
            return parse_5424(s, n, v + 1, ev);
    }
    size_t ts = timestamp_len(s + pos, n - pos);
    if (ts)
        return parse_3164(s, n, pos, ts, ev);
    return event_malformed(ev, pri ? "syslog: no RFC 3164 or RFC 5424 header after PRI"
                                   : "syslog: no PRI and no timestamp");
}
