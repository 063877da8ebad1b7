/*
 * JSON envelopes (Filebeat, Vector, Fluent Bit): one object per line carrying the original
 * text in "message" and ECS fields such as url.path, url.query, url.original,
 * user_agent.original, http.request.method, http.response.status_code, source.ip.
 *
 * Why a scanner of our own and not libjansson/libjson-c (both packaged in Debian 12): both
 * build a heap tree per document, and the per-event path must not allocate. What is needed is
 * small: validate the line strictly (RFC 8259 grammar; bytes >= 0x80 are passed through, not
 * UTF-8-checked) and pick out scalar values by their dotted path. Nested objects and dotted
 * keys name the same field ({"url":{"path":...}} and {"url.path":...}); a key is matched like a
 * column name (case-insensitive, aliases, parse_column_field), so an envelope that already uses
 * W3C or Exchange names works too. Values inside arrays are validated but not exposed. Nesting
 * deeper than 32 is refused, which also bounds the recursion.
 */
#include "parse_priv.h"
#include "weir/normalize.h"

#include <string.h>

#define JSON_MAX_DEPTH 32
#define JSON_MAX_PATH  256

typedef struct jscan {
    const char *s;
    size_t n, pos;
    const weir_parser *p;
    weir_event *ev;
    char path[JSON_MAX_PATH];
    size_t plen;
    bool path_ok; /* false inside arrays and under a path too long to be a field name */
    int depth;
    const char *err;
} jscan;

typedef struct jstr {
    const char *p; /* between the quotes */
    size_t len;
    bool escaped;
} jstr;

static int fail(jscan *j, const char *what)
{
    if (!j->err)
        j->err = what;
    return -1;
}

static void ws(jscan *j)
{
    while (j->pos < j->n) {
        char c = j->s[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        j->pos++;
    }
}


static long hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = weir_norm_hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static int string(jscan *j, jstr *out)
{
    if (j->pos >= j->n || j->s[j->pos] != '"')
        return fail(j, "string expected");
    size_t i = j->pos + 1;
    out->p = j->s + i;
    out->escaped = false;
    for (; i < j->n; i++) {
        unsigned char c = (unsigned char)j->s[i];
        if (c == '"') {
            out->len = (size_t)(j->s + i - out->p);
            j->pos = i + 1;
            return 0;
        }
        if (c < 0x20)
            return fail(j, "control character in a string");
        if (c != '\\')
            continue;
        out->escaped = true;
        if (++i >= j->n)
            break;
        switch (j->s[i]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            break;
        case 'u':
            if (j->n - i < 5 || hex4(j->s + i + 1) < 0)
                return fail(j, "bad \\u escape");
            i += 4;
            break;
        default:
            return fail(j, "bad escape");
        }
    }
    return fail(j, "unterminated string");
}

static size_t utf8(char *d, long cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Resolves the escapes of a validated string into dst (room for len bytes: no escape grows).
 * \u0000 stays written as "\u0000", like %00 in URIs: a NUL must not cut a value short for a
 * C consumer downstream. A lone surrogate stays literal too.
 */
static size_t unescape(const char *s, size_t len, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\' || i + 1 >= len) {
            dst[o++] = s[i];
            continue;
        }
        char e = s[++i];
        switch (e) {
        case 'b': dst[o++] = '\b'; break;
        case 'f': dst[o++] = '\f'; break;
        case 'n': dst[o++] = '\n'; break;
        case 'r': dst[o++] = '\r'; break;
        case 't': dst[o++] = '\t'; break;
        case 'u': {
            long cp = hex4(s + i + 1);
            size_t used = 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 10 < len && s[i + 5] == '\\' &&
                s[i + 6] == 'u') {
                long lo = hex4(s + i + 7);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    used = 10;
                }
            }
            if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
                memcpy(dst + o, s + i - 1, 6); /* keep "\uXXXX" as written */
                o += 6;
            } else {
                o += utf8(dst + o, cp);
            }
            i += used;
            break;
        }
        default: dst[o++] = e; break; /* \" \\ \/ */
        }
    }
    return o;
}

static void set_scalar(jscan *j, const char *p, size_t len, bool escaped)
{
    if (!j->path_ok || j->plen == 0)
        return;
    int id = parse_column_field(j->p, j->path, j->plen);
    if (!event_wants(j->ev, id))
        return; /* no name, or no rule reads it: not unescaped either */
    if (escaped) {
        char *dst = event_reserve(j->ev, len);
        if (!dst)
            return;
        len = unescape(p, len, dst);
        event_commit(j->ev, len);
        p = dst;
    }
    event_set(j->ev, id, p, len);
}

static int number(jscan *j)
{
    size_t i = j->pos, start = i;
    const char *s = j->s;
    if (i < j->n && s[i] == '-')
        i++;
    if (i < j->n && s[i] == '0') {
        i++;
    } else if (i < j->n && s[i] >= '1' && s[i] <= '9') {
        while (i < j->n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return fail(j, "bad number");
    }
    if (i < j->n && s[i] == '.') {
        size_t d = ++i;
        while (i < j->n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return fail(j, "bad number");
    }
    if (i < j->n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < j->n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < j->n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return fail(j, "bad number");
    }
    set_scalar(j, s + start, i - start, false);
    j->pos = i;
    return 0;
}

static int literal(jscan *j, const char *word, bool expose)
{
    size_t k = strlen(word);
    if (j->n - j->pos < k || memcmp(j->s + j->pos, word, k) != 0)
        return fail(j, "unexpected character");
    if (expose)
        set_scalar(j, j->s + j->pos, k, false);
    j->pos += k;
    return 0;
}

static int value(jscan *j);

/* Appends ".key" (or "key" at the top) to the path; a path that does not fit disables
 * mapping below it rather than matching a truncated name. */
static void path_push(jscan *j, const jstr *key)
{
    size_t need = key->len + (j->plen ? 1 : 0);
    if (!j->path_ok || need > sizeof(j->path) - j->plen) {
        j->path_ok = false;
        return;
    }
    if (j->plen)
        j->path[j->plen++] = '.';
    if (key->escaped)
        j->plen += unescape(key->p, key->len, j->path + j->plen);
    else {
        memcpy(j->path + j->plen, key->p, key->len);
        j->plen += key->len;
    }
}

static int object(jscan *j)
{
    if (++j->depth > JSON_MAX_DEPTH)
        return fail(j, "nested deeper than 32");
    j->pos++; /* '{' */
    ws(j);
    if (j->pos < j->n && j->s[j->pos] == '}') {
        j->pos++;
        j->depth--;
        return 0;
    }
    for (;;) {
        jstr key;
        ws(j);
        if (string(j, &key) != 0)
            return -1;
        ws(j);
        if (j->pos >= j->n || j->s[j->pos] != ':')
            return fail(j, "':' expected");
        j->pos++;
        size_t saved_len = j->plen;
        bool saved_ok = j->path_ok;
        path_push(j, &key);
        if (value(j) != 0)
            return -1;
        j->plen = saved_len;
        j->path_ok = saved_ok;
        ws(j);
        if (j->pos < j->n && j->s[j->pos] == ',') {
            j->pos++;
            continue;
        }
        if (j->pos < j->n && j->s[j->pos] == '}') {
            j->pos++;
            j->depth--;
            return 0;
        }
        return fail(j, "',' or '}' expected");
    }
}

static int array(jscan *j)
{
    if (++j->depth > JSON_MAX_DEPTH)
        return fail(j, "nested deeper than 32");
    bool saved_ok = j->path_ok;
    j->path_ok = false;
    j->pos++; /* '[' */
    ws(j);
    if (j->pos < j->n && j->s[j->pos] == ']') {
        j->pos++;
    } else {
        for (;;) {
            if (value(j) != 0)
                return -1;
            ws(j);
            if (j->pos < j->n && j->s[j->pos] == ',') {
                j->pos++;
                continue;
            }
            if (j->pos < j->n && j->s[j->pos] == ']') {
                j->pos++;
                break;
            }
            return fail(j, "',' or ']' expected");
        }
    }
    j->path_ok = saved_ok;
    j->depth--;
    return 0;
}

static int value(jscan *j)
{
    ws(j);
    if (j->pos >= j->n)
        return fail(j, "value expected");
    switch (j->s[j->pos]) {
    case '{':
        return object(j);
    case '[':
        return array(j);
    case '"': {
        jstr v;
        if (string(j, &v) != 0)
            return -1;
        set_scalar(j, v.p, v.len, v.escaped);
        return 0;
    }
    case 't':
        return literal(j, "true", true);
    case 'f':
        return literal(j, "false", true);
    case 'n':
        return literal(j, "null", false); /* null: the field is absent */
    default:
        return number(j);
    }
}

int parse_json_line(const weir_parser *p, const char *s, size_t n, weir_event *ev)
{
    jscan j = {.s = s, .n = n, .p = p, .ev = ev, .path_ok = true};
    ws(&j);
    if (j.pos >= n || s[j.pos] != '{')
        return event_malformed(ev, "JSON: not an object");
    if (object(&j) == 0) {
        ws(&j);
        if (j.pos == n)
            return WEIR_PARSE_OK;
        j.err = "bytes after the object";
    }
    if (ev->truncated)
        return event_malformedf(ev, "JSON: line cut at %zu bytes: %s", n, j.err);
    return event_malformedf(ev, "JSON: %s at byte %zu", j.err, j.pos + 1);
}
