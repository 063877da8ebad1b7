/*
 * The one tokenizer behind every delimited format: IIS (space, no quoting), the Exchange CSV
 * logs (comma, "..." with doubled quotes), ECP EventData pairs (semicolon, '...' with doubled
 * quotes) and Apache/nginx combined (space, "..." with backslash escapes, [bracketed] time).
 * They differ only in a tok_spec, so a quoting fix lands in every format at once.
 *
 * It never copies: a column is a view into the line, flagged when it holds escapes, and
 * tok_value() resolves those into the event's buffer only for the columns that are used.
 */
#include "parse_priv.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void tok_init(tok_iter *it, const tok_spec *spec, const char *s, size_t n)
{
    it->s = s;
    it->n = n;
    it->pos = 0;
    it->spec = spec;
    it->more = true;
}

weir_view tok_rest(const tok_iter *it)
{
    weir_view v = {it->s + it->pos, it->n - it->pos};
    return v;
}

ptrdiff_t tok_split_plain(const tok_spec *spec, const char *s, size_t n, uint32_t *at,
                          size_t max)
{
    if (spec->open || (spec->quote && memchr(s, spec->quote, n)))
        return -1;
    size_t count = 0, i = 0;
#if defined(__SSE2__)
    /* 16 bytes per compare, then one step per delimiter found: an HttpProxy line is ~450
     * bytes and 74 mostly empty columns, where a memchr call per column cost 40-odd
     * instructions each (callgrind). SSE2 is in every x86-64. */
    const __m128i d = _mm_set1_epi8(spec->delim);
    for (; i + 16 <= n; i += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, d));
        while (m) {
            if (count < max)
                at[count] = (uint32_t)(i + (size_t)__builtin_ctz(m));
            count++;
            m &= m - 1;
        }
    }
#endif
    for (; i < n; i++) {
        if (s[i] == spec->delim) {
            if (count < max)
                at[count] = (uint32_t)i;
            count++;
        }
    }
    return (ptrdiff_t)count;
}

/* After a closing quote or bracket only a delimiter or the end may follow. */
static int tok_close(tok_iter *it, size_t after, const char **reason)
{
    if (after < it->n && it->s[after] != it->spec->delim) {
        *reason = "character after a closing quote";
        return -1;
    }
    it->pos = after;
    return 1;
}

static int tok_quoted(tok_iter *it, tok *t, const char **reason)
{
    const tok_spec *sp = it->spec;
    const char *s = it->s;
    size_t i = it->pos + 1;
    t->quoted = true;
    t->p = s + i;
    for (; i < it->n; i++) {
        if (sp->esc == TOK_ESC_BACKSLASH && s[i] == '\\') {
            t->escaped = true;
            i++; /* the next byte is literal, whatever it is */
            continue;
        }
        if (s[i] != sp->quote)
            continue;
        if (sp->esc == TOK_ESC_DOUBLE && i + 1 < it->n && s[i + 1] == sp->quote) {
            t->escaped = true;
            i++;
            continue;
        }
        t->len = (size_t)(s + i - t->p);
        return tok_close(it, i + 1, reason);
    }
    *reason = "unterminated quote";
    return -1;
}

static int tok_bracketed(tok_iter *it, tok *t, const char **reason)
{
    const char *s = it->s;
    const char *end = memchr(s + it->pos + 1, it->spec->close, it->n - it->pos - 1);
    if (!end) {
        *reason = "unterminated bracket";
        return -1;
    }
    t->bracketed = true;
    t->p = s + it->pos + 1;
    t->len = (size_t)(end - t->p);
    return tok_close(it, (size_t)(end - s) + 1, reason);
}

/* A column that opens with the quote or the bracket (tok_next has handled the rest). */
int tok_next_special(tok_iter *it, tok *t, const char **reason)
{
    const tok_spec *sp = it->spec;
    memset(t, 0, sizeof(*t));
    int rc = sp->quote && it->s[it->pos] == sp->quote ? tok_quoted(it, t, reason)
                                                       : tok_bracketed(it, t, reason);
    if (rc < 0) {
        it->more = false;
        return rc;
    }
    tok_step(it); /* tok_close stopped on a delimiter or the end */
    return 1;
}

bool tok_value_escaped(weir_event *ev, const tok_spec *spec, const tok *t, weir_view *out)
{
    char *dst = event_reserve(ev, t->len);
    if (!dst)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->p[i];
        if (spec->esc == TOK_ESC_BACKSLASH && c == '\\' && i + 1 < t->len) {
            /* Only \" and \\ are unquoting; \xHH (nginx) stays literal, as logged. */
            char nx = t->p[i + 1];
            if (nx == '"' || nx == '\\') {
                dst[o++] = nx;
                i++;
                continue;
            }
        } else if (spec->esc == TOK_ESC_DOUBLE && c == spec->quote && i + 1 < t->len &&
                   t->p[i + 1] == spec->quote) {
            i++;
        }
        dst[o++] = c;
    }
    event_commit(ev, o);
    out->p = dst;
    out->len = o;
    return true;
}
