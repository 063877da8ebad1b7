/*
 * Helpers shared by the event-parsing tests (test_parse_*.c): fixture loading from
 * tests/fixtures/parse, parser and event construction, and the field expectations. Every
 * fixture line is kept as an exact-size heap copy with no NUL after it, and parse_str() hands a
 * C string over the same way, so a read past the line's end shows under ASan. All static
 * inline: each test program uses some of them and must build clean under -Wall -Wextra.
 */
#ifndef WEIR_TESTS_PARSE_HELPERS_H
#define WEIR_TESTS_PARSE_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weir/event.h"

#define FX_MAX_LINES 32

typedef struct fixture {
    size_t n;
    char *line[FX_MAX_LINES]; /* exact-size copies, not NUL-terminated */
    size_t len[FX_MAX_LINES];
} fixture;

static inline void fx_load(fixture *fx, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/parse/%s", FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    char buf[8192];
    fx->n = 0;
    while (fgets(buf, sizeof(buf), f)) {
        size_t len = strlen(buf);
        if (len == sizeof(buf) - 1)
            fail_msg("fixture line too long in %s", path);
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        if (len >= 3 && memcmp(buf, "## ", 3) == 0)
            continue; /* fixture notes (REAL/SYNTHETIC labels) */
        assert_true(fx->n < FX_MAX_LINES);
        fx->line[fx->n] = malloc(len ? len : 1);
        memcpy(fx->line[fx->n], buf, len);
        fx->len[fx->n++] = len;
    }
    fclose(f);
}

static inline void fx_free(fixture *fx)
{
    for (size_t i = 0; i < fx->n; i++)
        free(fx->line[i]);
    fx->n = 0;
}

static inline weir_event *new_event(size_t max_line)
{
    char err[256] = "";
    weir_event *ev = weir_event_new(max_line, err, sizeof(err));
    if (!ev)
        fail_msg("weir_event_new: %s", err);
    return ev;
}

static inline weir_parser *new_parser(weir_format f)
{
    char err[256] = "";
    weir_parser *p = weir_parser_new(f, err, sizeof(err));
    if (!p)
        fail_msg("weir_parser_new: %s", err);
    return p;
}

/* Parses a C string through an exact-size heap copy; the copy lives until the next call. */
static char *str_copy;
static inline int parse_str(weir_parser *p, weir_event *ev, const char *s)
{
    size_t n = strlen(s);
    free(str_copy);
    str_copy = malloc(n ? n : 1);
    memcpy(str_copy, s, n);
    return weir_parser_parse(p, str_copy, n, ev);
}

static inline int parse_fx(weir_parser *p, weir_event *ev, const fixture *fx, size_t i)
{
    assert_true(i < fx->n);
    return weir_parser_parse(p, fx->line[i], fx->len[i], ev);
}

static inline void expect_view(const weir_view *v, const char *what, int id, const char *want)
{
    if (!v)
        fail_msg("%s of %s: absent, want '%s'", what, weir_field_name(id), want);
    if (v->len != strlen(want) || memcmp(v->p, want, v->len) != 0)
        fail_msg("%s of %s: got '%.*s', want '%s'", what, weir_field_name(id), (int)v->len, v->p,
                 want);
}

static inline void expect_field(const weir_event *ev, int id, const char *want)
{
    expect_view(weir_event_get(ev, id), "value", id, want);
}

static inline void expect_raw(const weir_event *ev, int id, const char *want)
{
    expect_view(weir_event_get_raw(ev, id), "raw", id, want);
}

static inline void expect_absent(const weir_event *ev, int id)
{
    const weir_view *v = weir_event_get(ev, id);
    if (v)
        fail_msg("%s: present ('%.*s'), want absent", weir_field_name(id), (int)v->len, v->p);
}

static inline void expect_malformed(const weir_event *ev, const char *reason_part)
{
    assert_int_equal(weir_event_status(ev), WEIR_PARSE_MALFORMED);
    const char *r = weir_event_reason(ev);
    if (!r || !strstr(r, reason_part))
        fail_msg("reason '%s' lacks '%s'", r ? r : "(null)", reason_part);
    assert_int_equal(weir_event_nfields(ev), 0);
}

/* main() returns through this: frees parse_str()'s last copy. */
static inline int parse_tests_done(int rc)
{
    free(str_copy);
    str_copy = NULL;
    return rc;
}

#endif
