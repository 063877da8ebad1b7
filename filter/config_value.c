/*
 * The config module's per-type parsing: one parser per key type (cfg_parse_scalar, and
 * cfg_parse_input and cfg_check_prop for list items) and the size, duration and type spellings
 * that help, the dump and the parsers' messages share. It applies nothing: every source checks a
 * value here and config.c applies it under the precedence rule, so a type reads the same in a
 * file, the environment and a flag.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_priv.h"

/* "256M", "1m", "200ms": the shortest exact spelling, for --help, errors and the dump. */
void cfg_fmt_size(char *out, size_t n, long long v)
{
    if (v && v % (1024 * MIB) == 0)
        snprintf(out, n, "%lldG", v / (1024 * MIB));
    else if (v && v % MIB == 0)
        snprintf(out, n, "%lldM", v / MIB);
    else if (v && v % KIB == 0)
        snprintf(out, n, "%lldk", v / KIB);
    else
        snprintf(out, n, "%lld", v);
}

void cfg_fmt_duration(char *out, size_t n, long long ms)
{
    if (ms && ms % 60000 == 0)
        snprintf(out, n, "%lldm", ms / 60000);
    else if (ms && ms % 1000 == 0)
        snprintf(out, n, "%llds", ms / 1000);
    else
        snprintf(out, n, "%lldms", ms);
}

/* "a, b or c" (last_sep " or ") or "a, b, c" (last_sep ", ") from a NULL-terminated list. */
static void join_values(char *out, size_t n, const char *const *v, const char *last_sep)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; v[i] && len < n; i++) {
        const char *sep = i == 0 ? "" : v[i + 1] ? ", " : last_sep;
        int w = snprintf(out + len, n - len, "%s%s", sep, v[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

/* The human form of a key's type, as --help, the docs and the type errors say it. */
void cfg_type_text(const cfg_def *d, char *out, size_t n)
{
    char lo[32], hi[32];
    switch (d->type) {
    case T_STR:
        snprintf(out, n, "%s",
                 (d->flags & F_TOPIC)      ? "topic name"
                 : (d->flags & F_HOSTPORT) ? "host:port"
                                           : "string");
        break;
    case T_INT:
        snprintf(out, n, "whole number %lld..%lld", d->min, d->max);
        break;
    case T_BOOL:
        snprintf(out, n, "true or false");
        break;
    case T_ENUM:
        join_values(out, n, d->values, " or ");
        break;
    case T_SIZE:
        cfg_fmt_size(lo, sizeof(lo), d->min);
        cfg_fmt_size(hi, sizeof(hi), d->max);
        snprintf(out, n, "size %s..%s", lo, hi);
        break;
    case T_DURATION:
        cfg_fmt_duration(lo, sizeof(lo), d->min);
        cfg_fmt_duration(hi, sizeof(hi), d->max);
        snprintf(out, n, "duration %s..%s", lo, hi);
        break;
    case T_PATHS:
        snprintf(out, n, "list of paths");
        break;
    case T_INPUTS:
        snprintf(out, n, "list of {topic, format}");
        break;
    case T_KAFKA:
        snprintf(out, n, "map of librdkafka properties");
        break;
    }
}

/* Decimal digits with an optional sign, then whatever follows in *end. -1 on no digits or
 * overflow. */
static int parse_digits(const char *s, long long *out, const char **end)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    errno = 0;
    char *e;
    long long v = strtoll(s, &e, 10);
    if (errno == ERANGE)
        return -1;
    *out = v;
    *end = e;
    return 0;
}

static int parse_int(const cfg_def *d, const char *s, long long *out, char *why, size_t wl)
{
    long long v;
    const char *end;
    char shown[80];
    if (parse_digits(s, &v, &end) != 0 || *end || v < d->min || v > d->max)
        return cfg_say(why, wl, "expected a whole number from %lld to %lld, got '%s'", d->min,
                       d->max, cfg_show(shown, sizeof(shown), s));
    *out = v;
    return 0;
}

static int parse_bool(const char *s, long long *out, char *why, size_t wl)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    char shown[80];
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return cfg_say(why, wl, "expected true or false, got '%s'", cfg_show(shown, sizeof(shown), s));
}

static int parse_enum(const cfg_def *d, const char *s, long long *out, char *why, size_t wl)
{
    char shown[80], list[160];
    for (long long i = 0; d->values[i]; i++) {
        if (strcasecmp(s, d->values[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    join_values(list, sizeof(list), d->values, ", ");
    return cfg_say(why, wl, "'%s' is not one of %s", cfg_show(shown, sizeof(shown), s), list);
}

/* Multiplies with an overflow check; the bounds check that follows rejects the result. */
static int scale(long long v, long long unit, long long *out)
{
    if (v > LLONG_MAX / unit || v < LLONG_MIN / unit)
        return -1;
    *out = v * unit;
    return 0;
}

static int parse_size(const cfg_def *d, const char *s, long long *out, char *why, size_t wl)
{
    long long v, unit = 0;
    const char *end;
    char shown[80], lo[32], hi[32];
    if (parse_digits(s, &v, &end) == 0) {
        if (!*end)
            unit = 1;
        else if (!strcmp(end, "k") || !strcmp(end, "K"))
            unit = KIB;
        else if (!strcmp(end, "M"))
            unit = MIB;
        else if (!strcmp(end, "G"))
            unit = 1024 * MIB;
    }
    if (unit && scale(v, unit, &v) == 0 && v >= d->min && v <= d->max) {
        *out = v;
        return 0;
    }
    cfg_fmt_size(lo, sizeof(lo), d->min);
    cfg_fmt_size(hi, sizeof(hi), d->max);
    return cfg_say(why, wl,
                   "expected a size from %s to %s (bytes, or a number with k, M or G), got '%s'",
                   lo, hi, cfg_show(shown, sizeof(shown), s));
}

static int parse_duration(const cfg_def *d, const char *s, long long *out, char *why, size_t wl)
{
    long long v, unit = 0;
    const char *end;
    char shown[80], lo[32], hi[32];
    /* A bare number is refused: "10" is ten seconds to whoever wrote --connect-timeout 10 and
     * ten milliseconds to whoever wrote batch.max_ms: 10. */
    if (parse_digits(s, &v, &end) == 0) {
        if (!strcmp(end, "ms"))
            unit = 1;
        else if (!strcmp(end, "s"))
            unit = 1000;
        else if (!strcmp(end, "m"))
            unit = 60000;
    }
    if (unit && scale(v, unit, &v) == 0 && v >= d->min && v <= d->max) {
        *out = v;
        return 0;
    }
    cfg_fmt_duration(lo, sizeof(lo), d->min);
    cfg_fmt_duration(hi, sizeof(hi), d->max);
    return cfg_say(why, wl,
                   "expected a duration from %s to %s (a number with ms, s or m), got '%s'", lo, hi,
                   cfg_show(shown, sizeof(shown), s));
}

/* Kafka's rule for topic names: 1 to 249 of [a-zA-Z0-9._-], and not "." or "..". */
static bool topic_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 249 || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

int cfg_check_topic(const char *s, char *why, size_t wl)
{
    char shown[80];
    if (topic_ok(s))
        return 0;
    return cfg_say(why, wl, "'%s' is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)",
                   cfg_show(shown, sizeof(shown), s));
}

/* host:port with port 1..65535; host empty (every interface), a name, IPv4, or [IPv6]. */
static bool hostport_ok(const char *s)
{
    const char *colon = strrchr(s, ':');
    if (!colon)
        return false;
    size_t hlen = (size_t)(colon - s);
    if (hlen && s[0] == '[') {
        if (hlen < 3 || s[hlen - 1] != ']')
            return false;
        for (size_t i = 1; i + 1 < hlen; i++)
            if (!strchr("0123456789abcdefABCDEF:.", s[i]))
                return false;
    } else {
        for (size_t i = 0; i < hlen; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'))
                return false;
        }
    }
    const char *p = colon + 1;
    long port = 0;
    if (!*p || strlen(p) > 5)
        return false;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        port = port * 10 + (*p - '0');
    }
    return port >= 1 && port <= 65535;
}

static int parse_string(const cfg_def *d, const char *s, char *why, size_t wl)
{
    char shown[80];
    if (!*s) {
        if (d->flags & F_NONEMPTY)
            return cfg_say(why, wl, "must not be empty");
        return 0;
    }
    if ((d->flags & F_TOPIC) && cfg_check_topic(s, why, wl) != 0)
        return -1;
    if ((d->flags & F_HOSTPORT) && !hostport_ok(s))
        return cfg_say(why, wl, "expected host:port (e.g. ':9090' or '0.0.0.0:9090'), got '%s'",
                       cfg_show(shown, sizeof(shown), s));
    return 0;
}

/* Parses text as a value of d's scalar type into *out (strings are only checked). */
int cfg_parse_scalar(const cfg_def *d, const char *s, long long *out, char *why, size_t wl)
{
    switch (d->type) {
    case T_STR:
        return parse_string(d, s, why, wl);
    case T_INT:
        return parse_int(d, s, out, why, wl);
    case T_BOOL:
        return parse_bool(s, out, why, wl);
    case T_ENUM:
        return parse_enum(d, s, out, why, wl);
    case T_SIZE:
        return parse_size(d, s, out, why, wl);
    case T_DURATION:
        return parse_duration(d, s, out, why, wl);
    default:
        return cfg_say(why, wl, "is a list");
    }
}

/* A weir_format name; "" is auto. */
int cfg_parse_format(const char *s, weir_format *fmt, char *why, size_t wl)
{
    char shown[80], list[256];
    const char *names[WEIR_FMT__COUNT + 1];
    *fmt = WEIR_FMT_AUTO;
    if (!*s || weir_format_parse(s, fmt) == 0)
        return 0;
    for (int f = 0; f < WEIR_FMT__COUNT; f++)
        names[f] = weir_format_name((weir_format)f);
    names[WEIR_FMT__COUNT] = NULL;
    join_values(list, sizeof(list), names, ", ");
    return cfg_say(why, wl, "format '%s' is not one of %s", cfg_show(shown, sizeof(shown), s),
                   list);
}

/* An inputs item, "topic" or "topic:format" (topic names cannot hold ':'), into topic (at
 * least 250 bytes) and *fmt. */
int cfg_parse_input(const char *item, char *topic, size_t tlen, weir_format *fmt, char *why,
                    size_t wl)
{
    const char *colon = strchr(item, ':');
    size_t n = colon ? (size_t)(colon - item) : strlen(item);
    if (n >= tlen)
        n = tlen - 1; /* too long for a topic name: check_topic says so */
    memcpy(topic, item, n);
    topic[n] = '\0';
    if (cfg_check_topic(topic, why, wl) != 0)
        return -1;
    return cfg_parse_format(colon ? colon + 1 : "", fmt, why, wl);
}

/* A librdkafka property "key=value": the key is non-empty and free of '=' and spaces. */
int cfg_check_prop(const char *kv, char *why, size_t wl)
{
    char shown[80];
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return cfg_say(why, wl, "expected key=value, got '%s'", cfg_show(shown, sizeof(shown), kv));
    for (const char *p = kv; p < eq; p++)
        if ((unsigned char)*p <= ' ')
            return cfg_say(why, wl, "property name in '%s' has a space or control character",
                           cfg_show(shown, sizeof(shown), kv));
    return 0;
}
