/*
 * Event parsing, malformed and hostile input in every format: empty lines, binary garbage,
 * truncated lines, every prefix of every fixture line, random structural bytes, one-megabyte
 * lines against the max-line cut, and a max-line above the limit. Every line is handed to the
 * parser as an exact-size heap copy with no NUL after it, so a read past the line's end shows
 * under ASan. Lines with no quote take a one-pass split (tok_split_plain): random lines check it
 * against the column-by-column tokenizer, and against the same line with a column quoted.
 */
#include "parse_helpers.h"
#include "parse_priv.h"

static void test_empty_line_is_malformed_in_every_format(void **state)
{
    (void)state;
    weir_event *ev = new_event(0);
    for (int f = 0; f < WEIR_FMT__COUNT; f++) {
        weir_parser *p = new_parser((weir_format)f);
        assert_int_equal(weir_parser_parse(p, "", 0, ev), WEIR_PARSE_MALFORMED);
        expect_malformed(ev, "empty line");
        assert_int_equal(weir_parser_parse(p, "\r\n", 2, ev), WEIR_PARSE_MALFORMED);
        assert_int_equal(weir_parser_parse(p, NULL, 0, ev), WEIR_PARSE_MALFORMED);
        weir_parser_destroy(p);
    }
    weir_event_destroy(ev);
}

static void test_binary_garbage_is_malformed_except_as_oab_text(void **state)
{
    (void)state;
    static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xff\xfe\x00\x7f"
                                  "\x80\x81\xc3\x28\xa0\xa1\xe2\x28\xa1\x00\x00\x01";
    weir_event *ev = new_event(0);
    for (int f = 0; f < WEIR_FMT__COUNT; f++) {
        weir_parser *p = new_parser((weir_format)f);
        int rc = weir_parser_parse(p, garbage, sizeof(garbage) - 1, ev);
        if (f == WEIR_FMT_OAB) {
            assert_int_equal(rc, WEIR_PARSE_OK); /* free text: the bytes are the message */
            assert_int_equal(weir_event_get(ev, WEIR_F_MESSAGE)->len, sizeof(garbage) - 1);
        } else {
            if (rc != WEIR_PARSE_MALFORMED)
                fail_msg("format %s accepted garbage", weir_format_name((weir_format)f));
            assert_int_equal(weir_event_line(ev).len, sizeof(garbage) - 1);
        }
        weir_parser_destroy(p);
    }
    weir_event_destroy(ev);
}

static void test_truncated_iis_line_is_malformed(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "iis_real.log");
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0);
    assert_int_equal(weir_parser_parse(p, fx.line[6], 120, ev), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "6 columns, the layout has 15");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

/* Every prefix of every real and synthetic line, in its own format and in auto: whatever the
 * cut, the parse ends in a defined status and never reads past the prefix (ASan watches). */
static void test_every_prefix_of_every_fixture_line_parses_or_is_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        weir_format f;
    } files[] = {
        {"iis_real.log", WEIR_FMT_IIS},
        {"iis_synthetic.log", WEIR_FMT_IIS},
        {"httpproxy_real.log", WEIR_FMT_HTTPPROXY},
        {"httpproxy_testproxylogon.csv", WEIR_FMT_HTTPPROXY},
        {"ecp_real.log", WEIR_FMT_ECP},
        {"ecp_synthetic.log", WEIR_FMT_ECP},
        {"rpshttp_synthetic.log", WEIR_FMT_RPSHTTP},
        {"smtpreceive_synthetic.log", WEIR_FMT_SMTPRECEIVE},
        {"msgtrack_synthetic.log", WEIR_FMT_MSGTRACK},
        {"syslog_postfix.log", WEIR_FMT_SYSLOG},
        {"syslog_synthetic.log", WEIR_FMT_SYSLOG},
        {"combined_synthetic.log", WEIR_FMT_COMBINED},
        {"json_synthetic.log", WEIR_FMT_JSON},
    };
    weir_event *ev = new_event(0);
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        fixture fx;
        fx_load(&fx, files[k].file);
        weir_format fmts[2] = {files[k].f, WEIR_FMT_AUTO};
        for (int m = 0; m < 2; m++) {
            weir_parser *p = new_parser(fmts[m]);
            for (size_t i = 0; i < fx.n; i++) {
                for (size_t cut = 0; cut <= fx.len[i]; cut++) {
                    char *copy = malloc(cut ? cut : 1);
                    memcpy(copy, fx.line[i], cut);
                    int rc = weir_parser_parse(p, copy, cut, ev);
                    assert_true(rc == WEIR_PARSE_OK || rc == WEIR_PARSE_HEADER ||
                                rc == WEIR_PARSE_MALFORMED);
                    for (size_t j = 0; j < weir_event_nfields(ev); j++) {
                        int id = weir_event_field_id(ev, j);
                        const weir_view *r = weir_event_get_raw(ev, id);
                        if (r->p >= copy && r->p <= copy + cut)
                            assert_true(r->p + r->len <= copy + cut);
                    }
                    free(copy);
                }
                /* restore the stream state the full line leaves (headers) */
                weir_parser_parse(p, fx.line[i], fx.len[i], ev);
            }
            weir_parser_destroy(p);
        }
        fx_free(&fx);
    }
    weir_event_destroy(ev);
}

/* Random bytes drawn mostly from the characters the grammars care about. */
static void test_random_structural_bytes_never_break_a_parser(void **state)
{
    (void)state;
    static const char alphabet[] = " ,;\"'[]{}<>:#%+-\\0123456789TZaSx\x00\xff\t\r.?/=";
    uint32_t seed = 0x9e3779b9u;
    weir_event *ev = new_event(256);
    char line[320];
    for (int f = 0; f < WEIR_FMT__COUNT; f++) {
        weir_parser *p = new_parser((weir_format)f);
        for (int iter = 0; iter < 3000; iter++) {
            seed = seed * 1664525u + 1013904223u;
            size_t len = (seed >> 8) % sizeof(line);
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1664525u + 1013904223u;
                line[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
            }
            if (iter % 7 == 0 && len > 20)
                memcpy(line, "2021-03-05 03:06:27 ", 20);
            if (iter % 11 == 0 && len > 24)
                memcpy(line, "2021-03-03T06:49:53.772Z", 24);
            char *copy = malloc(len ? len : 1);
            memcpy(copy, line, len);
            int rc = weir_parser_parse(p, copy, len, ev);
            assert_true(rc == WEIR_PARSE_OK || rc == WEIR_PARSE_HEADER ||
                        rc == WEIR_PARSE_MALFORMED);
            if (len <= 256)
                assert_false(weir_event_truncated(ev));
            free(copy);
        }
        weir_parser_destroy(p);
    }
    weir_event_destroy(ev);
}

static const char big_head[] = "2021-03-05 03:06:27 10.0.0.1 GET /owa/auth/x.aspx ";

static char *big_iis_line(size_t query_len, size_t *len)
{
    const char *head = big_head;
    const char *tail = " 443 - 1.2.3.4 UA - 200 0 0 1";
    size_t h = strlen(head), t = strlen(tail);
    char *s = malloc(h + query_len + t);
    memcpy(s, head, h);
    memset(s + h, 'A', query_len);
    memcpy(s + h + query_len, tail, t);
    *len = h + query_len + t;
    return s;
}

static void test_one_megabyte_line_is_cut_at_max_line_and_flagged(void **state)
{
    (void)state;
    size_t len;
    char *s = big_iis_line(1024 * 1024, &len);
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(0); /* 64 KiB */
    assert_int_equal(weir_parser_parse(p, s, len, ev), WEIR_PARSE_OK);
    assert_true(weir_event_truncated(ev));
    assert_int_equal(weir_event_line(ev).len, len); /* keywords still see the whole line */
    expect_field(ev, WEIR_F_CS_METHOD, "GET");
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/auth/x.aspx");
    assert_int_equal(weir_event_get(ev, WEIR_F_CS_URI_QUERY_RAW)->len,
                     WEIR_EVENT_DEFAULT_MAX_LINE - strlen(big_head));
    expect_absent(ev, WEIR_F_C_IP); /* beyond the cut */
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    free(s);
}

static void test_one_megabyte_line_parses_whole_when_max_line_allows(void **state)
{
    (void)state;
    size_t len;
    char *s = big_iis_line(1024 * 1024, &len);
    weir_parser *p = new_parser(WEIR_FMT_IIS);
    weir_event *ev = new_event(2 * 1024 * 1024);
    assert_int_equal(weir_parser_parse(p, s, len, ev), WEIR_PARSE_OK);
    assert_false(weir_event_truncated(ev));
    expect_field(ev, WEIR_F_C_IP, "1.2.3.4");
    assert_int_equal(weir_event_get(ev, WEIR_F_C_URI)->len, 17 + 1024 * 1024);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    free(s);
}

static void test_one_megabyte_json_line_is_malformed_as_cut(void **state)
{
    (void)state;
    size_t n = 1024 * 1024;
    char *s = malloc(n);
    memset(s, ' ', n);
    memcpy(s, "{\"message\":\"", 12);
    memset(s + 12, 'x', n - 14);
    memcpy(s + n - 2, "\"}", 2);
    weir_parser *p = new_parser(WEIR_FMT_JSON);
    weir_event *ev = new_event(0);
    assert_int_equal(weir_parser_parse(p, s, n, ev), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "line cut at 65536 bytes");
    assert_true(weir_event_truncated(ev));
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    free(s);
}

static void test_max_line_above_the_limit_is_refused_with_a_reason(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(weir_event_new((size_t)1 << 40, err, sizeof(err)));
    assert_non_null(strstr(err, "above the limit"));
    assert_null(weir_parser_new(WEIR_FMT__COUNT, err, sizeof(err)));
    assert_non_null(strstr(err, "unknown log format"));
}

/* ---- the one-pass split of lines without quotes ------------------------------------------- */

static uint32_t rnd_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (uint32_t)*x;
}

/* Random lines of delimiters, spaces, letters and dashes, 0-300 bytes (the 16-byte blocks and
 * the tail both), split in one pass and column by column: the same boundaries, and a cap on
 * the offsets kept that does not change the count. */
static void test_one_pass_split_finds_the_columns_the_tokenizer_finds(void **state)
{
    (void)state;
    static const char alphabet[] = ",, a-x%";
    static const tok_spec comma = {.delim = ','}, space = {.delim = ' '};
    uint64_t seed = 0x5EEDF00Dull;
    char line[300];
    uint32_t at[64];
    for (int round = 0; round < 20000; round++) {
        size_t n = rnd_next(&seed) % sizeof(line);
        for (size_t i = 0; i < n; i++)
            line[i] = alphabet[rnd_next(&seed) % (sizeof(alphabet) - 1)];
        const tok_spec *spec = round % 2 ? &space : &comma;
        size_t max = round % 3 ? 64 : 5;
        char *copy = malloc(n ? n : 1); /* exact size: a read past the end shows under ASan */
        memcpy(copy, line, n);
        ptrdiff_t nd = tok_split_plain(spec, copy, n, at, max);
        assert_true(nd >= 0);
        tok_iter it;
        tok t;
        const char *reason = NULL;
        size_t col = 0;
        tok_init(&it, spec, copy, n);
        while (tok_next(&it, &t, &reason) == 1) {
            size_t start = (size_t)(t.p - copy);
            if (col > 0 && col - 1 < max)
                assert_int_equal(at[col - 1] + 1, start);
            if (col < (size_t)nd && col < max)
                assert_int_equal(at[col], start + t.len);
            col++;
        }
        assert_int_equal(col, (size_t)nd + 1);
        free(copy);
    }
    static const tok_spec quoted = {.delim = ',', .quote = '"'};
    assert_int_equal(tok_split_plain(&quoted, "a,b\",c", 6, at, 64), -1);
    assert_int_equal(tok_split_plain(&quoted, "a,b,c", 5, at, 64), 2);
}

/* HttpProxy lines of 72 to 76 random columns, each parsed as is (the one-pass split) and with
 * one column wrapped in quotes (column by column): the same verdict and the same fields. */
static void test_a_plain_line_and_its_quoted_twin_parse_the_same(void **state)
{
    (void)state;
    static const char *const words[] = {"", "-", "GET", "/owa/auth/x.js", "200", "a b", "%41"};
    uint64_t seed = 0xC0FFEEull;
    weir_parser *pp = new_parser(WEIR_FMT_HTTPPROXY), *pq = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ep = new_event(0), *eq = new_event(0);
    char plain[2048], quoted[2100]; /* 76 columns of at most 14 bytes, and 2 quotes */
    for (int round = 0; round < 2000; round++) {
        size_t cols = 72 + rnd_next(&seed) % 5, qcol = rnd_next(&seed) % cols;
        size_t np = 0, nq = 0;
        for (size_t c = 0; c < cols; c++) {
            const char *w = words[rnd_next(&seed) % (sizeof(words) / sizeof(words[0]))];
            size_t k = strlen(w);
            if (c) {
                plain[np++] = ',';
                quoted[nq++] = ',';
            }
            memcpy(plain + np, w, k);
            np += k;
            if (c == qcol)
                quoted[nq++] = '"';
            memcpy(quoted + nq, w, k);
            nq += k;
            if (c == qcol)
                quoted[nq++] = '"';
        }
        char *cp = malloc(np), *cq = malloc(nq); /* exact size, both alive while compared */
        memcpy(cp, plain, np);
        memcpy(cq, quoted, nq);
        int rp = weir_parser_parse(pp, cp, np, ep), rq = weir_parser_parse(pq, cq, nq, eq);
        assert_int_equal(rp, rq);
        assert_int_equal(rp, cols == 74 ? WEIR_PARSE_OK : WEIR_PARSE_MALFORMED);
        if (rp != WEIR_PARSE_OK)
            assert_string_equal(weir_event_reason(ep), weir_event_reason(eq));
        assert_int_equal(weir_event_nfields(ep), weir_event_nfields(eq));
        assert_true(rp == WEIR_PARSE_OK ? weir_event_nfields(ep) >= 60 : weir_event_nfields(ep) == 0);
        for (size_t i = 0; i < weir_event_nfields(ep); i++) {
            int id = weir_event_field_id(ep, i);
            const weir_view *a = weir_event_get_raw(ep, id), *b = weir_event_get_raw(eq, id);
            assert_non_null(b);
            assert_int_equal(a->len, b->len);
            assert_memory_equal(a->p, b->p, a->len);
            a = weir_event_get(ep, id);
            b = weir_event_get(eq, id);
            assert_int_equal(a->len, b->len);
            assert_memory_equal(a->p, b->p, a->len);
        }
        free(cp);
        free(cq);
    }
    weir_event_destroy(ep);
    weir_event_destroy(eq);
    weir_parser_destroy(pp);
    weir_parser_destroy(pq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_line_is_malformed_in_every_format),
        cmocka_unit_test(test_binary_garbage_is_malformed_except_as_oab_text),
        cmocka_unit_test(test_truncated_iis_line_is_malformed),
        cmocka_unit_test(test_every_prefix_of_every_fixture_line_parses_or_is_malformed),
        cmocka_unit_test(test_random_structural_bytes_never_break_a_parser),
        cmocka_unit_test(test_one_megabyte_line_is_cut_at_max_line_and_flagged),
        cmocka_unit_test(test_one_megabyte_line_parses_whole_when_max_line_allows),
        cmocka_unit_test(test_one_megabyte_json_line_is_malformed_as_cut),
        cmocka_unit_test(test_max_line_above_the_limit_is_refused_with_a_reason),
        cmocka_unit_test(test_one_pass_split_finds_the_columns_the_tokenizer_finds),
        cmocka_unit_test(test_a_plain_line_and_its_quoted_twin_parse_the_same),
    };
    return parse_tests_done(cmocka_run_group_tests(tests, NULL, NULL));
}
