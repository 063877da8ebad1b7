/*
 * The Sigma → Hyperscan engine: field scoping, exact boolean logic after the whole event,
 * modifiers, log-source scoping, both views of a field, malformed lines, rejections.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weir/engine.h"

#define IIS_WEB "logsource: {category: webserver}\n"

/* Builds an engine from one YAML text; fails the test on a rejection unless allowed. */
static weir_engine *build(const char *yaml, weir_build_report *rep)
{
    char err[1024];
    sigma_ruleset *set = sigma_ruleset_new();
    int r = sigma_load_buffer(set, "mem.yml", yaml, strlen(yaml), err, sizeof(err));
    if (r < 0)
        fail_msg("load: %s", err);
    weir_engine *e = NULL;
    weir_build_report local;
    weir_build_report *rp = rep ? rep : &local;
    if (weir_engine_build(&e, set, rp, err, sizeof(err)) != 0)
        fail_msg("build: %s", err);
    if (!rep) {
        if (local.nrejected)
            fail_msg("rejected: %s", local.rejected[0].message);
        weir_build_report_free(&local);
    }
    sigma_ruleset_destroy(set);
    return e;
}

/* Scans one line in format fmt; returns the number of rules hit. */
static size_t scan_fmt(weir_engine *e, weir_format fmt, const char *line, int *status)
{
    char err[512];
    weir_scanner *s = weir_scanner_new(e, 0, err, sizeof(err));
    assert_non_null(s);
    weir_parser *p = weir_parser_new(fmt, err, sizeof(err));
    assert_non_null(p);
    weir_hits h;
    assert_int_equal(weir_scanner_scan(s, p, line, strlen(line), &h, err, sizeof(err)), 0);
    size_t n = h.n;
    if (status)
        *status = h.parse_status;
    weir_parser_destroy(p);
    weir_scanner_destroy(s);
    return n;
}

static size_t scan(weir_engine *e, const char *line)
{
    return scan_fmt(e, WEIR_FMT_IIS, line, NULL);
}

/* A 15-field Exchange IIS line with the given method, stem, query and user agent. */
static const char *iis(const char *method, const char *stem, const char *query, const char *ua)
{
    static char buf[2048];
    snprintf(buf, sizeof(buf),
             "2021-03-03 06:49:42 10.0.0.11 %s %s %s 443 - 198.51.100.21 %s - 200 0 0 31", method,
             stem, query, ua);
    return buf;
}

static void test_field_value_matches_only_inside_its_field(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: r1\n" IIS_WEB
                           "detection:\n  sel:\n    cs-uri-stem|contains: /ecp/\n"
                           "  condition: sel\n",
                           NULL);
    assert_int_equal(scan(e, iis("POST", "/ecp/y.js", "-", "curl/7")), 1);
    /* the same text in the user agent and the query is not in cs-uri-stem */
    assert_int_equal(scan(e, iis("GET", "/owa/", "x=/ecp/", "/ecp/agent")), 0);
    weir_engine_destroy(e);
}

static void test_and_not_is_decided_after_the_whole_event(void **state)
{
    (void)state;
    /* Hyperscan's logical NOT is per match offset: at the offset of "evil" it has not seen
     * "benign" yet and would fire. weir evaluates after the scan, so it must not. */
    weir_engine *e = build("title: t\nid: r1\n" IIS_WEB
                           "detection:\n  kw: [evil]\n  fp: [benign]\n"
                           "  condition: kw and not fp\n",
                           NULL);
    assert_int_equal(scan(e, iis("GET", "/evil", "-", "benign")), 0);
    assert_int_equal(scan(e, iis("GET", "/evil", "-", "curl")), 1);
    weir_engine_destroy(e);
}

static void test_equality_is_the_whole_value_case_insensitive(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: r1\n" IIS_WEB
                           "detection:\n  sel:\n    cs-method: post\n  condition: sel\n",
                           NULL);
    assert_int_equal(scan(e, iis("POST", "/", "-", "a")), 1);
    assert_int_equal(scan(e, iis("POSTX", "/", "-", "a")), 0);
    assert_int_equal(scan(e, iis("XPOST", "/", "-", "a")), 0);
    weir_engine_destroy(e);
}

static void test_cased_respects_case(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: r1\n" IIS_WEB
                           "detection:\n  sel:\n    cs-uri-stem|cased|contains: /OWA/\n"
                           "  condition: sel\n",
                           NULL);
    assert_int_equal(scan(e, iis("GET", "/OWA/x", "-", "a")), 1);
    assert_int_equal(scan(e, iis("GET", "/owa/x", "-", "a")), 0);
    weir_engine_destroy(e);
}

static void test_startswith_endswith_and_wildcards_anchor_in_the_field(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: r1\n" IIS_WEB
                           "detection:\n  a:\n    cs-uri-stem|startswith: /aspnet_client/\n"
                           "  b:\n    cs-uri-stem|endswith: .aspx\n"
                           "  c:\n    cs-uri-stem: '/owa/auth/?.js'\n"
                           "  condition: (a and b) or c\n",
                           NULL);
    assert_int_equal(scan(e, iis("GET", "/aspnet_client/s.aspx", "-", "a")), 1);
    assert_int_equal(scan(e, iis("GET", "/x/aspnet_client/s.aspx", "-", "a")), 0);
    assert_int_equal(scan(e, iis("GET", "/aspnet_client/s.aspx.txt", "-", "a")), 0);
    assert_int_equal(scan(e, iis("GET", "/owa/auth/x.js", "-", "a")), 1);
    assert_int_equal(scan(e, iis("GET", "/owa/auth/xy.js", "-", "a")), 0);
    weir_engine_destroy(e);
}

static void test_numeric_value_matches_the_field_text(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: r1\n" IIS_WEB
                           "detection:\n  sel:\n    sc-status: 200\n  condition: sel\n",
                           NULL);
    const char *ok = "2021-03-03 06:49:42 10.0.0.11 GET / - 443 - 1.2.3.4 a - 200 0 0 31";
    const char *no = "2021-03-03 06:49:42 10.0.0.11 GET / - 443 - 1.2.3.4 a - 2001 0 0 31";
    assert_int_equal(scan(e, ok), 1);
    assert_int_equal(scan(e, no), 0);
    weir_engine_destroy(e);
}

static void test_regex_is_case_sensitive_unless_i(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: r1\n" IIS_WEB
                           "detection:\n  sel:\n    cs-uri-stem|re: '/ecp/[a-z]{1,3}\\.js'\n"
                           "  condition: sel\n---\n"
                           "title: t2\nid: r2\n" IIS_WEB
                           "detection:\n  sel:\n    cs-uri-stem|re|i: '/ECP/[a-z]{1,3}\\.JS'\n"
                           "  condition: sel\n",
                           NULL);
    assert_int_equal(scan(e, iis("POST", "/ecp/y.js", "-", "a")), 2);
    assert_int_equal(scan(e, iis("POST", "/ECP/y.js", "-", "a")), 1); /* only r2 */
    weir_engine_destroy(e);
}

static void test_regex_hyperscan_refuses_rejects_that_rule_only(void **state)
{
    (void)state;
    weir_build_report rep;
    weir_engine *e = build("title: t\nid: good\n" IIS_WEB
                           "detection:\n  sel:\n    cs-method: POST\n  condition: sel\n---\n"
                           "title: t2\nid: backref\n" IIS_WEB
                           "detection:\n  sel:\n    cs-uri-stem|re: '(a)\\1'\n"
                           "  condition: sel\n---\n"
                           "title: t3\nid: lookahead\n" IIS_WEB
                           "detection:\n  sel:\n    cs-uri-stem|re: '(?=.*autodiscover)x'\n"
                           "  condition: sel\n",
                           &rep);
    assert_int_equal(rep.ncompiled, 1);
    assert_int_equal(rep.nrejected, 2);
    if (!strstr(rep.rejected[0].message, "mem.yml:") ||
        !strstr(rep.rejected[0].message, "rule backref") ||
        !strstr(rep.rejected[0].message, "Back-references"))
        fail_msg("%s", rep.rejected[0].message);
    if (!strstr(rep.rejected[1].message, "rule lookahead") ||
        !strstr(rep.rejected[1].message, "Hyperscan refuses"))
        fail_msg("%s", rep.rejected[1].message);
    weir_build_report_free(&rep);
    weir_engine_destroy(e);
}

static void test_unknown_field_and_logsource_are_rejected_by_name(void **state)
{
    (void)state;
    weir_build_report rep;
    weir_engine *e = build("title: t\nid: good\n" IIS_WEB
                           "detection:\n  sel:\n    cs-method: POST\n  condition: sel\n---\n"
                           "title: t2\nid: nofield\n" IIS_WEB
                           "detection:\n  sel:\n    no-such-field: x\n  condition: sel\n---\n"
                           "title: t3\nid: nolog\nlogsource: {category: process_creation, "
                           "product: windows}\n"
                           "detection:\n  sel:\n    Image: x\n  condition: sel\n",
                           &rep);
    assert_int_equal(rep.nrejected, 2);
    assert_non_null(strstr(rep.rejected[0].message, "field 'no-such-field'"));
    assert_non_null(strstr(rep.rejected[1].message, "process_creation"));
    weir_build_report_free(&rep);
    weir_engine_destroy(e);
}

static void test_web_rule_stays_silent_on_a_mail_line_quoting_the_url(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: r1\n" IIS_WEB
                           "detection:\n  kw: ['/owa/auth/Current/themes/resources/']\n"
                           "  condition: kw\n",
                           NULL);
    const char *mail = "Mar 16 00:01:25 mx postfix/cleanup[1713]: 4F2: warning: header Subject: "
                       "POST /owa/auth/Current/themes/resources/logon.css from x";
    assert_int_equal(scan_fmt(e, WEIR_FMT_SYSLOG, mail, NULL), 0);
    assert_int_equal(scan(e, iis("POST", "/owa/auth/Current/themes/resources/a.css", "-", "a")), 1);
    weir_engine_destroy(e);
}

static void test_user_agent_matches_in_plus_and_space_form(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: plus\n" IIS_WEB
                           "detection:\n  sel:\n    cs-user-agent: 'python-requests/2.25.1+x'\n"
                           "  condition: sel\n---\n"
                           "title: t\nid: space\n" IIS_WEB
                           "detection:\n  sel:\n    cs-user-agent: 'python-requests/2.25.1 x'\n"
                           "  condition: sel\n",
                           NULL);
    assert_int_equal(scan(e, iis("GET", "/", "-", "python-requests/2.25.1+x")), 2);
    weir_engine_destroy(e);
}

/* Text values without a '+' are not scanned against the logged '+' form as well (it could add
 * no match, engine_db.c); a wildcard still matches either, and a regex, which can tell '+' from
 * a space without writing a '+' (\S here), keeps the logged form scanned. */
static void test_plus_form_rescan_is_skipped_only_when_it_cannot_match(void **state)
{
    (void)state;
    weir_engine *blind = build("title: t\nid: glob\n" IIS_WEB
                               "detection:\n  sel:\n    cs-user-agent: 'curl?7 *'\n"
                               "  condition: sel\n",
                               NULL);
    assert_int_equal(scan(blind, iis("GET", "/", "-", "curl+7+x")), 1);
    assert_int_equal(scan(blind, iis("GET", "/", "-", "curl+7")), 0);
    weir_engine *re = build("title: t\nid: glob\n" IIS_WEB
                            "detection:\n  sel:\n    cs-user-agent: 'curl?7 *'\n"
                            "  condition: sel\n---\ntitle: t\nid: re\n" IIS_WEB
                            "detection:\n  sel:\n    cs-user-agent|re: '^curl\\S7\\S'\n"
                            "  condition: sel\n",
                            NULL);
    assert_int_equal(scan(re, iis("GET", "/", "-", "curl+7+x")), 2);
    weir_engine_destroy(blind);
    weir_engine_destroy(re);
}

static void test_uri_is_percent_decoded_and_query_holds_the_full_uri(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: r1\n" IIS_WEB
                           "detection:\n  sel:\n"
                           "    cs-uri-query|contains|all: ['/autodiscover/autodiscover.json', "
                           "'powershell']\n"
                           "  condition: sel\n",
                           NULL);
    assert_int_equal(
        scan(e, iis("GET", "/autodiscover/autodiscover.json", "@x/%50owershell/?&Email=a", "a")),
        1);
    weir_engine_destroy(e);
}

static void test_exists_null_and_cidr(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: user\n" IIS_WEB
                           "detection:\n  sel:\n    cs-username: null\n  condition: not sel\n---\n"
                           "title: t\nid: net\n" IIS_WEB
                           "detection:\n  sel:\n    c-ip|cidr: 198.51.100.0/24\n"
                           "  condition: sel\n---\n"
                           "title: t\nid: ref\n" IIS_WEB
                           "detection:\n  sel:\n    cs-referrer|exists: true\n"
                           "  condition: sel\n",
                           NULL);
    /* iis(): user '-' (empty), client 198.51.100.21, referrer '-' (present but empty) */
    assert_int_equal(scan(e, iis("GET", "/", "-", "a")), 2); /* net, ref */
    const char *other = "2021-03-03 06:49:42 10.0.0.11 GET / - 443 bob 203.0.113.9 a - 200 0 0 1";
    assert_int_equal(scan(e, other), 2); /* user, ref */
    weir_engine_destroy(e);
}

static void test_malformed_line_is_still_scanned_by_keywords(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: kw\n" IIS_WEB
                           "detection:\n  kw: ['RedirSuiteServerProxy.aspx']\n  condition: kw\n---\n"
                           "title: t\nid: fld\n" IIS_WEB
                           "detection:\n  sel:\n    cs-uri-stem|contains: RedirSuite\n"
                           "  condition: sel\n",
                           NULL);
    int st;
    size_t n = scan_fmt(e, WEIR_FMT_IIS, "garbage GET /owa/auth/RedirSuiteServerProxy.aspx", &st);
    assert_int_equal(st, WEIR_PARSE_MALFORMED);
    assert_int_equal(n, 1); /* the keyword rule; the field rule has no field to look at */
    assert_int_equal(scan_fmt(e, WEIR_FMT_IIS, "#Fields: date time cs-method", &st), 0);
    assert_int_equal(st, WEIR_PARSE_HEADER);
    weir_engine_destroy(e);
}

/* A field's database is skipped for events of formats none of its rules apply to. A field
 * tested only under NOT (a filter) must still count as used by the rule: skipped, the filter
 * would read as "no match" and the rule would fire on what it excludes. */
static void test_field_used_only_by_a_filter_is_still_scanned(void **state)
{
    (void)state;
    weir_engine *e = build("title: t\nid: web\n" IIS_WEB
                           "detection:\n  sel:\n    cs-uri-stem|contains: /ecp/\n"
                           "  filter:\n    cs-user-agent|contains: healthcheck\n"
                           "  condition: sel and not filter\n---\n"
                           "title: t\nid: mail\nlogsource: {product: linux, service: postfix}\n"
                           "detection:\n  kw: ['/ecp/']\n  condition: kw\n",
                           NULL);
    assert_int_equal(scan(e, iis("GET", "/ecp/a.js", "-", "healthcheck/1.0")), 0);
    assert_int_equal(scan(e, iis("GET", "/ecp/a.js", "-", "curl/7")), 1);
    /* the keyword rule is the mail one's: an IIS line quoting it fires the web rule only, a
     * mail line the mail rule only */
    const char *mail = "Mar 16 00:01:25 mx postfix/cleanup[1713]: 4F2: warning: header Subject: "
                       "GET /ecp/a.js from x";
    assert_int_equal(scan_fmt(e, WEIR_FMT_SYSLOG, mail, NULL), 1);
    weir_engine_destroy(e);
}

static void test_same_test_in_many_rules_is_one_atom(void **state)
{
    (void)state;
    weir_build_report rep;
    weir_engine *e = build("title: t\nid: a\n" IIS_WEB
                           "detection:\n  sel:\n    cs-method: POST\n  condition: sel\n---\n"
                           "title: t\nid: b\n" IIS_WEB
                           "detection:\n  sel:\n    cs-method: POST\n"
                           "    cs-uri-stem|contains: /ecp/\n  condition: sel\n",
                           &rep);
    assert_int_equal(rep.natoms, 2);
    assert_int_equal(rep.ndatabases, 2);
    assert_int_equal(scan(e, iis("POST", "/ecp/", "-", "a")), 2);
    weir_build_report_free(&rep);
    weir_engine_destroy(e);
}

/* Equals, startswith and endswith on a field whose every test is such a literal are compared
 * without Hyperscan (engine_lit.c); with one wildcard beside them the field is scanned. Both
 * ways must give the same verdicts, and the right ones. */
#define LIT_RULES                                                                              \
    "title: t\nid: eq\n" IIS_WEB "detection:\n  s:\n    cs-username: 'Admin$'\n"               \
    "  condition: s\n---\ntitle: t\nid: pre\n" IIS_WEB                                        \
    "detection:\n  s:\n    cs-username|startswith: 'svc-'\n  condition: s\n---\n"             \
    "title: t\nid: suf\n" IIS_WEB "detection:\n  s:\n    cs-username|endswith: '$'\n"         \
    "  condition: s\n---\ntitle: t\nid: cased\n" IIS_WEB                                      \
    "detection:\n  s:\n    cs-username|cased: HealthMailbox\n  condition: s\n---\n"           \
    "title: t\nid: ua\n" IIS_WEB "detection:\n  s:\n    cs-user-agent: 'Mozilla/5.0 (X)'\n"   \
    "  condition: s\n"

static const char *iis_user(const char *user, const char *ua)
{
    static char buf[512];
    snprintf(buf, sizeof(buf),
             "2021-03-03 06:49:42 10.0.0.11 GET / - 443 %s 198.51.100.21 %s - 200 0 0 31", user,
             ua);
    return buf;
}

static void test_anchored_literals_compared_directly_agree_with_hyperscan(void **state)
{
    (void)state;
    weir_engine *direct = build(LIT_RULES, NULL);
    /* a '?' wildcard on both fields: their databases go back to Hyperscan */
    weir_engine *hs = build(LIT_RULES "---\ntitle: t\nid: wild\n" IIS_WEB
                                      "detection:\n  s:\n    cs-username: 'zz?zz'\n"
                                      "    cs-user-agent: 'zz?zz'\n  condition: s\n",
                            NULL);
    static const struct {
        const char *user, *ua;
        size_t hits;
    } cases[] = {
        {"Admin$", "a", 2},      {"ADMIN$", "a", 2},          {"xAdmin$", "a", 1},
        {"Admin", "a", 0},       {"svc-backup", "a", 1},      {"SVC-x$", "a", 2},
        {"svc", "a", 0},         {"-", "a", 0},               {"$", "a", 1},
        {"HealthMailbox", "a", 1}, {"healthmailbox", "a", 0}, {"u", "Mozilla/5.0+(X)", 1},
        {"u", "mozilla/5.0+(x)", 1}, {"u", "Mozilla/5.0+(X)+Y", 0}, {"u", "Mozilla/5.0", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *line = iis_user(cases[i].user, cases[i].ua);
        if (scan(direct, line) != cases[i].hits || scan(hs, line) != cases[i].hits)
            fail_msg("%s / %s: %zu hits compared, %zu scanned, %zu expected", cases[i].user,
                     cases[i].ua, scan(direct, line), scan(hs, line), cases[i].hits);
    }
    weir_engine_destroy(direct);
    weir_engine_destroy(hs);
}

/* A field whose every expression starts with an anchored literal (startswith with wildcards
 * after it, a regex opening with \A) is scanned only when the value starts with one of those
 * literals (engine_lit.c's gate). Verdicts must be those of a scan of every value: the same
 * rules plus one contains, which leaves no gate. A regex whose first literal is optional, or
 * which has a second branch, must still match where that literal is missing. */
#define GATE_RULES                                                                             \
    "title: t\nid: bot\n" IIS_WEB "detection:\n  s:\n    cs-user-agent: "                   \
    "'Mozilla/5.0 (compatible; Bot*http://bot.example/x)'\n  condition: s\n---\n"             \
    "title: t\nid: py\n" IIS_WEB                                                              \
    "detection:\n  s:\n    cs-user-agent|startswith: 'python-requests/2.'\n"                 \
    "  condition: s\n---\ntitle: t\nid: ant\n" IIS_WEB                                        \
    "detection:\n  s:\n    cs-user-agent|cased|startswith: 'AntSword/'\n  condition: s\n---\n"  \
    "title: t\nid: curl\n" IIS_WEB                                                            \
    "detection:\n  s:\n    cs-user-agent|re: '\\Acurl/[0-9]+'\n  condition: s\n---\n"        \
    "title: t\nid: opt\n" IIS_WEB                                                             \
    "detection:\n  s:\n    cs-user-agent|re: '\\Axy*z'\n  condition: s\n"

static void test_prefix_gate_skips_only_values_no_expression_can_match(void **state)
{
    (void)state;
    weir_engine *gated = build(GATE_RULES, NULL);
    weir_engine *all = build(GATE_RULES "---\ntitle: t\nid: any\n" IIS_WEB
                                        "detection:\n  s:\n    cs-user-agent|contains: "
                                        "'zzqq'\n  condition: s\n",
                             NULL);
    weir_engine *alt = build(GATE_RULES "---\ntitle: t\nid: alt\n" IIS_WEB
                                        "detection:\n  s:\n    cs-user-agent|re: "
                                        "'\\Afoo|bar'\n  condition: s\n",
                             NULL);
    static const struct {
        const char *ua;
        size_t hits;
    } cases[] = {
        {"Mozilla/5.0+(compatible;+Bot/1.0;++http://bot.example/x)", 1},
        {"MOZILLA/5.0+(COMPATIBLE;+BOT+http://BOT.EXAMPLE/X)", 1},
        {"Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)", 0},
        {"Mozilla/5.0+(compatible;+Bot", 0},
        {"python-requests/2.25.1", 1},
        {"Python-Requests/2.x", 1},
        {"python-requests/", 0},
        {"python-requests/3.0", 0},
        {"AntSword/v2.1", 1},
        {"antsword/v2.1", 0},
        {"curl/7.68.0", 1},
        {"CURL/7", 0}, /* the regex is case-sensitive */
        {"curl/", 0},
        {"xz", 1},
        {"xyyyz", 1},
        {"x", 0},
        {"-", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *line = iis("GET", "/", "-", cases[i].ua);
        if (scan(gated, line) != cases[i].hits || scan(all, line) != cases[i].hits)
            fail_msg("%s: %zu hits gated, %zu scanned, %zu expected", cases[i].ua,
                     scan(gated, line), scan(all, line), cases[i].hits);
    }
    assert_int_equal(scan(alt, iis("GET", "/", "-", "foo")), 1);
    assert_int_equal(scan(alt, iis("GET", "/", "-", "Xbar")), 1); /* not anchored */
    assert_int_equal(scan(alt, iis("GET", "/", "-", "curl/1")), 1);
    weir_engine_destroy(gated);
    weir_engine_destroy(all);
    weir_engine_destroy(alt);
}

/* One scanner over many lines remembers what short values matched (engine_memo.c). Its
 * verdicts must be those the rules give each line on its own: while values repeat (hits),
 * while they are all new (the memo rests, then is tried again), when slots are reused by
 * other values, and for a value matching more atoms than an entry keeps. The expected count is
 * computed here from the rules' meaning, not by the engine. */
#define MEMO_RULES                                                                             \
    "title: t\nid: ecp\n" IIS_WEB                                                             \
    "detection:\n  s:\n    cs-uri-stem|contains: /ecp/\n  condition: s\n---\n"              \
    "title: t\nid: aspx\n" IIS_WEB                                                            \
    "detection:\n  s:\n    cs-uri-stem|endswith: .aspx\n    cs-method: POST\n"               \
    "  condition: s\n---\ntitle: t\nid: num\n" IIS_WEB                                         \
    "detection:\n  s:\n    cs-uri-stem|re: '/x[0-9]+/'\n  condition: s\n---\n"              \
    "title: t\nid: kw\n" IIS_WEB                                                              \
    "detection:\n  s:\n    cs-uri-stem|contains|all: [k1, k2, k3, k4, k5]\n  condition: s\n"

static size_t memo_expected(const char *method, const char *stem)
{
    size_t n = strstr(stem, "/ecp/") != NULL;
    size_t len = strlen(stem);
    n += len >= 5 && strcmp(stem + len - 5, ".aspx") == 0 && strcmp(method, "POST") == 0;
    for (const char *x = strstr(stem, "/x"); x; x = strstr(x + 1, "/x")) {
        const char *d = x + 2;
        while (*d >= '0' && *d <= '9')
            d++;
        if (d > x + 2 && *d == '/') {
            n++;
            break;
        }
    }
    n += strstr(stem, "k1") && strstr(stem, "k2") && strstr(stem, "k3") && strstr(stem, "k4") &&
         strstr(stem, "k5");
    return n;
}

static void test_one_scanner_over_repeated_values_gives_each_lines_verdict(void **state)
{
    (void)state;
    weir_engine *e = build(MEMO_RULES, NULL);
    char err[512];
    weir_scanner *s = weir_scanner_new(e, 0, err, sizeof(err));
    weir_parser *p = weir_parser_new(WEIR_FMT_IIS, err, sizeof(err));
    assert_non_null(s);
    assert_non_null(p);
    static const char *parts[] = {"/ecp/", "/owa/", "/x12/", "/x/", "a.aspx", "b.js", "/k1k2k3k4k5/",
                                  "k1/k2", "/EWS/"};
    uint32_t rnd = 12345;
    for (size_t i = 0; i < 76000; i++) {
        rnd = rnd * 1103515245u + 12345u;
        char stem[128];
        /* 5,000 values never seen again, then 71,000 drawn from 300 */
        unsigned id = i < 5000 ? (unsigned)i + 100000 : (rnd >> 8) % 300;
        snprintf(stem, sizeof(stem), "%s%u%s%s", parts[id % 9], id, parts[(id / 9) % 9],
                 parts[(id / 81) % 9]);
        const char *method = (rnd >> 4) & 1 ? "POST" : "GET";
        const char *line = iis(method, stem, "-", "a");
        weir_hits h;
        assert_int_equal(weir_scanner_scan(s, p, line, strlen(line), &h, err, sizeof(err)), 0);
        if (h.n != memo_expected(method, stem))
            fail_msg("line %zu, %s %s: %zu hits, %zu expected", i, method, stem, h.n,
                     memo_expected(method, stem));
    }
    weir_parser_destroy(p);
    weir_scanner_destroy(s);
    weir_engine_destroy(e);
}

/* Keywords of web rules and of mail rules land in different databases (engine_db.c): each
 * format scans only what its rules test, a line of no known format every keyword. */
static void test_keyword_databases_split_by_format_and_malformed_lines_scan_all(void **state)
{
    (void)state;
    weir_build_report rep;
    weir_engine *e = build("title: t\nid: web\n" IIS_WEB
                           "detection:\n  kw: [evilweb, evilboth]\n  condition: kw\n---\n"
                           "title: t\nid: mail\nlogsource: {product: linux, service: postfix}\n"
                           "detection:\n  kw: [evilmail, evilboth]\n  condition: kw\n",
                           &rep);
    assert_int_equal(rep.nrejected, 0);
    assert_int_equal(rep.ndatabases, 2); /* {evilweb, evilboth} and {evilmail, evilboth} */
    assert_int_equal(scan(e, iis("GET", "/evilweb", "-", "evilmail")), 1);
    assert_int_equal(scan(e, iis("GET", "/x", "-", "evilmail")), 0);
    assert_int_equal(scan(e, iis("GET", "/evilboth", "-", "a")), 1);
    const char *mail = "Mar 16 00:01:25 mx postfix/smtpd[1713]: connect from evilmail evilweb";
    assert_int_equal(scan_fmt(e, WEIR_FMT_SYSLOG, mail, NULL), 1);
    const char *both = "Mar 16 00:01:25 mx postfix/smtpd[1713]: connect from evilboth";
    assert_int_equal(scan_fmt(e, WEIR_FMT_SYSLOG, both, NULL), 1);
    /* a line no format recognises is tested by every rule's keywords; a malformed IIS line
     * stays an IIS event, scanned by the web keywords */
    int st;
    assert_int_equal(scan_fmt(e, WEIR_FMT_AUTO, "garbage evilmail", &st), 1);
    assert_int_equal(st, WEIR_PARSE_MALFORMED);
    assert_int_equal(scan_fmt(e, WEIR_FMT_AUTO, "garbage evilweb evilmail", &st), 2);
    assert_int_equal(scan_fmt(e, WEIR_FMT_IIS, "garbage evilweb evilmail", &st), 1);
    assert_int_equal(st, WEIR_PARSE_MALFORMED);
    weir_build_report_free(&rep);
    weir_engine_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_value_matches_only_inside_its_field),
        cmocka_unit_test(test_and_not_is_decided_after_the_whole_event),
        cmocka_unit_test(test_equality_is_the_whole_value_case_insensitive),
        cmocka_unit_test(test_cased_respects_case),
        cmocka_unit_test(test_startswith_endswith_and_wildcards_anchor_in_the_field),
        cmocka_unit_test(test_numeric_value_matches_the_field_text),
        cmocka_unit_test(test_regex_is_case_sensitive_unless_i),
        cmocka_unit_test(test_regex_hyperscan_refuses_rejects_that_rule_only),
        cmocka_unit_test(test_unknown_field_and_logsource_are_rejected_by_name),
        cmocka_unit_test(test_web_rule_stays_silent_on_a_mail_line_quoting_the_url),
        cmocka_unit_test(test_user_agent_matches_in_plus_and_space_form),
        cmocka_unit_test(test_plus_form_rescan_is_skipped_only_when_it_cannot_match),
        cmocka_unit_test(test_uri_is_percent_decoded_and_query_holds_the_full_uri),
        cmocka_unit_test(test_exists_null_and_cidr),
        cmocka_unit_test(test_malformed_line_is_still_scanned_by_keywords),
        cmocka_unit_test(test_field_used_only_by_a_filter_is_still_scanned),
        cmocka_unit_test(test_same_test_in_many_rules_is_one_atom),
        cmocka_unit_test(test_anchored_literals_compared_directly_agree_with_hyperscan),
        cmocka_unit_test(test_keyword_databases_split_by_format_and_malformed_lines_scan_all),
        cmocka_unit_test(test_prefix_gate_skips_only_values_no_expression_can_match),
        cmocka_unit_test(test_one_scanner_over_repeated_values_gives_each_lines_verdict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
