/*
 * Header-driven column formats: IIS W3C extended (space separated) and the Exchange CSV logs
 * (HttpProxy, ECP Server/Activity, OABGenerator, Rps_Http, SMTP Receive/Send, Message Tracking).
 *
 * Why header-driven: IIS writes only the fields an administrator selected, and Exchange changed
 * its CSV columns between versions (facts §2: "Parse by header, not by position"). A "#Fields:"
 * line redefines the layout for the rest of the stream; with no header yet, the documented
 * default layout of the format applies (facts §2, §8).
 */
#include "parse_priv.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const tok_spec iis_spec = {.delim = ' '};
static const tok_spec csv_spec = {.delim = ',', .quote = '"', .esc = TOK_ESC_DOUBLE};
/* ECP EventData: "S:KEY=value;..." where a pair holding ';' is wrapped in single quotes with
 * '' inside, e.g. 'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://f/...''' (facts §9.1). */
static const tok_spec ecp_spec = {.delim = ';', .quote = '\'', .esc = TOK_ESC_DOUBLE};

/* Default layouts, as the logs declare them (facts §8 and §2). */
static const char *const default_headers[WEIR_FMT__COUNT] = {
    [WEIR_FMT_IIS] = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
                     "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
    [WEIR_FMT_HTTPPROXY] =
        "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,"
        "ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,"
        "IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,"
        "ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,"
        "TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,"
        "ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,"
        "AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,"
        "GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,"
        "ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,"
        "SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,"
        "ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,"
        "BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,"
        "BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,"
        "HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,"
        "CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,"
        "UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,"
        "UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus",
    [WEIR_FMT_ECP] = "TimeStamp,ServerName,EventId,EventData",
    /* OABGeneratorLog's layout is unverified (facts §8, §11): without a header the whole line
     * is the message, which is what Test-ProxyLogon's Select-String reads anyway. */
    [WEIR_FMT_OAB] = "message",
    [WEIR_FMT_RPSHTTP] =
        "DateTime,StartTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,"
        "ClientRequestId,UrlHost,UrlStem,AuthenticationType,IsAuthenticated,AuthenticatedUser,"
        "Organization,ManagedOrganization,ClientIpAddress,ServerHostName,FrontEndServer,"
        "HttpStatus,SubStatus,ErrorCode,Action,CommandId,CommandName,SessionId,ShellId,FailFast,"
        "ContributeToFailFast,RequestBytes,ClientInfo,CPU,Memory,ActivityContextLifeTime,"
        "TotalTime,UrlQuery,GenericLatency,GenericInfo,GenericErrors",
    [WEIR_FMT_SMTPRECEIVE] = "date-time,connector-id,session-id,sequence-number,local-endpoint,"
                             "remote-endpoint,event,data,context",
    [WEIR_FMT_MSGTRACK] =
        "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
        "connector-id,source,event-id,internal-message-id,message-id,network-message-id,"
        "recipient-address,recipient-status,total-bytes,recipient-count,"
        "related-recipient-address,reference,message-subject,sender-address,return-path,"
        "message-info,directionality,tenant-id,original-client-ip,original-server-ip,"
        "custom-data,transport-traffic-type,log-id,schema-version",
};

bool parse_is_columnar(weir_format f)
{
    return f == WEIR_FMT_IIS || parse_is_exchange_csv(f);
}

bool parse_is_exchange_csv(weir_format f)
{
    switch (f) {
    case WEIR_FMT_HTTPPROXY:
    case WEIR_FMT_ECP:
    case WEIR_FMT_OAB:
    case WEIR_FMT_RPSHTTP:
    case WEIR_FMT_SMTPRECEIVE:
    case WEIR_FMT_MSGTRACK:
        return true;
    default:
        return false;
    }
}

const char *parse_default_header(weir_format f)
{
    return (unsigned)f < WEIR_FMT__COUNT ? default_headers[f] : NULL;
}

/* A free-text last column (ECP EventData, the OAB message) takes the rest of the line, commas
 * included: a reduced export can leave it unquoted (helsecert's ECP lines, facts §9.1). */
static bool rest_last(weir_format f)
{
    return f == WEIR_FMT_ECP || f == WEIR_FMT_OAB;
}

static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

int parse_layout_from_header(const weir_parser *p, parse_layout *lay, const char *s, size_t n,
                             char delim, const char **reason)
{
    lay->ncols = 0;
    trim(&s, &n);
    if (n == 0) {
        *reason = "#Fields: no columns";
        return -1;
    }
    tok_iter it;
    tok t;
    tok_init(&it, delim == ',' ? &csv_spec : &iis_spec, s, n);
    int rc;
    while ((rc = tok_next(&it, &t, reason)) > 0) {
        const char *name = t.p;
        size_t len = t.len;
        trim(&name, &len);
        if (delim == ' ' && len == 0)
            continue; /* runs of spaces separate W3C names */
        if (lay->ncols == PARSE_MAX_COLS) {
            *reason = "#Fields: more than 128 columns";
            return -1;
        }
        lay->col[lay->ncols++] = (int16_t)parse_column_field(p, name, len);
    }
    if (rc < 0)
        return -1;
    return 0;
}

static bool ci_contains(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(s + i, needle, k) == 0)
            return true;
    return false;
}

static bool ci_prefix(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && strncasecmp(s, prefix, k) == 0;
}

/* What "#Log-type:" says, in auto mode. The Rps_Http text is unverified, hence the loose match. */
static weir_format format_of_log_type(const char *v, size_t n)
{
    if (ci_contains(v, n, "HttpProxy"))
        return WEIR_FMT_HTTPPROXY;
    if (ci_contains(v, n, "SMTP Receive") || ci_contains(v, n, "SMTP Send"))
        return WEIR_FMT_SMTPRECEIVE;
    if (ci_contains(v, n, "Message Tracking"))
        return WEIR_FMT_MSGTRACK;
    if (ci_contains(v, n, "ECP"))
        return WEIR_FMT_ECP; /* "ECP Server Log" and "ECP Activity Context Log": same layout */
    if (ci_contains(v, n, "Rps") && ci_contains(v, n, "Http"))
        return WEIR_FMT_RPSHTTP;
    if (ci_contains(v, n, "OAB"))
        return WEIR_FMT_OAB;
    return WEIR_FMT_AUTO;
}

static bool layout_has(const parse_layout *lay, int id)
{
    for (size_t i = 0; i < lay->ncols; i++)
        if (lay->col[i] == id)
            return true;
    return false;
}

/* A comma-separated header with no #Log-type before it: name the family by a telling column.
 * Other Exchange CSV logs (EWS, AgentLog, Rps_Cmdlet) still parse by their header, under the
 * httpproxy label. */
static weir_format format_of_columns(const parse_layout *lay)
{
    if (layout_has(lay, WEIR_F_ANCHOR_MAILBOX))
        return WEIR_FMT_HTTPPROXY;
    if (layout_has(lay, WEIR_F_EVENT_DATA))
        return WEIR_FMT_ECP;
    if (layout_has(lay, WEIR_F_CLIENT_INFO) || layout_has(lay, WEIR_F_COMMAND_NAME))
        return WEIR_FMT_RPSHTTP;
    if (layout_has(lay, WEIR_F_SEQUENCE_NUMBER))
        return WEIR_FMT_SMTPRECEIVE;
    if (layout_has(lay, WEIR_F_TRACK_EVENT_ID) || layout_has(lay, WEIR_F_MESSAGE_ID))
        return WEIR_FMT_MSGTRACK;
    return WEIR_FMT_HTTPPROXY;
}

/* Installs the layout a header declares. The old layout survives a header that fails. */
static int apply_header(weir_parser *p, const char *v, size_t n, const char *what, weir_event *ev)
{
    weir_format f = p->fmt != WEIR_FMT_AUTO ? p->fmt : p->hint;
    if (f == WEIR_FMT_AUTO)
        f = memchr(v, ',', n) ? WEIR_FMT_HTTPPROXY : WEIR_FMT_IIS;
    parse_layout lay;
    const char *reason = NULL;
    if (parse_layout_from_header(p, &lay, v, n, f == WEIR_FMT_IIS ? ' ' : ',', &reason) != 0)
        return event_malformed(ev, reason);
    if (p->fmt == WEIR_FMT_AUTO && p->hint == WEIR_FMT_AUTO && f != WEIR_FMT_IIS)
        f = format_of_columns(&lay);
    p->layout = lay;
    p->cur = f;
    p->hint = WEIR_FMT_AUTO;
    ev->format = f;
    ev->status = WEIR_PARSE_HEADER;
    ev->reason = what;
    return WEIR_PARSE_HEADER;
}

int parse_w3c_directive(weir_parser *p, const char *s, size_t n, weir_event *ev)
{
    /* "#Name: value"; Qazeer's IIS sample writes "# Fields:", so spaces after '#' are allowed. */
    size_t i = 1;
    while (i < n && s[i] == ' ')
        i++;
    const char *name = s + i;
    const char *colon = memchr(name, ':', n - i);
    ev->status = WEIR_PARSE_HEADER;
    ev->format = p->cur != WEIR_FMT_AUTO ? p->cur : p->fmt;
    if (!colon) {
        ev->reason = "comment"; /* e.g. PowerShell Export-Csv's "#TYPE ..." */
        return WEIR_PARSE_HEADER;
    }
    size_t nlen = (size_t)(colon - name);
    const char *v = colon + 1;
    size_t vn = n - (size_t)(v - s);
    trim(&v, &vn);
    if (nlen == 6 && strncasecmp(name, "Fields", 6) == 0)
        return apply_header(p, v, vn, "Fields", ev);
    if (nlen == 8 && strncasecmp(name, "Log-type", 8) == 0) {
        if (p->fmt == WEIR_FMT_AUTO)
            p->hint = format_of_log_type(v, vn);
        ev->reason = "Log-type";
    } else if (nlen == 8 && strncasecmp(name, "Software", 8) == 0) {
        if (p->fmt == WEIR_FMT_AUTO && ci_prefix(v, vn, "Microsoft Internet Information Services"))
            p->hint = WEIR_FMT_IIS;
        ev->reason = "Software";
    } else if (nlen == 7 && strncasecmp(name, "Version", 7) == 0) {
        ev->reason = "Version";
    } else if (nlen == 4 && strncasecmp(name, "Date", 4) == 0) {
        ev->reason = "Date";
    } else {
        ev->reason = "directive"; /* #Start-Date, #End-Date, #Remark, ... */
    }
    if (ev->format == WEIR_FMT_AUTO)
        ev->format = p->hint; /* what the headers announced so far, if anything */
    return WEIR_PARSE_HEADER;
}

/* PowerShell Export-Csv output (Test-ProxyLogon's reports, facts §9.1) starts with a quoted
 * header row instead of #Fields. A timestamp column can never hold these names. */
bool parse_w3c_is_csv_header(const char *s, size_t n)
{
    static const char *const first[] = {"DateTime", "TimeStamp", "date-time"};
    if (n && s[0] == '"') {
        s++;
        n--;
    }
    for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
        size_t k = strlen(first[i]);
        if (n > k && strncasecmp(s, first[i], k) == 0 && (s[k] == ',' || s[k] == '"'))
            return true;
    }
    return false;
}

int parse_w3c_csv_header(weir_parser *p, const char *s, size_t n, weir_event *ev)
{
    weir_format hint = p->hint;
    int rc = apply_header(p, s, n, "csv-header", ev);
    if (rc == WEIR_PARSE_HEADER && hint == WEIR_FMT_AUTO && p->fmt == WEIR_FMT_AUTO &&
        p->cur == WEIR_FMT_IIS) {
        p->cur = WEIR_FMT_HTTPPROXY; /* a one-column header has no comma to tell */
        ev->format = p->cur;
    }
    return rc;
}

/* Splits ECP EventData into its S:KEY=value pairs and exposes the ones rules use. */
static void ecp_pairs(weir_event *ev)
{
    static const struct {
        const char *key;
        int id;
    } keys[] = {
        {"CMD", WEIR_F_ECP_CMD},     {"URL", WEIR_F_ECP_URL},
        {"SID", WEIR_F_ECP_SID},     {"REQID", WEIR_F_ECP_REQID},
        {"REFERRER", WEIR_F_ECP_REFERRER}, {"EX", WEIR_F_ECP_EX},
    };
    ev_slot *data = event_slot(ev, WEIR_F_EVENT_DATA);
    if (!data)
        return;
    tok_iter it;
    tok t;
    const char *reason;
    tok_init(&it, &ecp_spec, data->raw.p, data->raw.len);
    for (;;) {
        weir_view v;
        int rc = tok_next(&it, &t, &reason);
        if (rc == 0)
            break;
        if (rc < 0) {
            /* EventData is free text: an unbalanced quote ends pair parsing, not the line. */
            break;
        }
        if (!tok_value(ev, &ecp_spec, &t, &v))
            break;
        if (v.len < 2 || v.p[0] != 'S' || v.p[1] != ':')
            continue;
        const char *eq = memchr(v.p + 2, '=', v.len - 2);
        if (!eq)
            continue;
        size_t klen = (size_t)(eq - (v.p + 2));
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            if (strlen(keys[k].key) == klen && strncasecmp(v.p + 2, keys[k].key, klen) == 0) {
                event_set(ev, keys[k].id, eq + 1, v.len - klen - 3);
                break;
            }
        }
    }
}

/* The last column of a rest_last format: a single "quoted" field is unquoted, anything else is
 * taken literally. */
static bool take_rest(weir_event *ev, const tok_iter *it, int id)
{
    weir_view rest = tok_rest(it);
    if (rest.len >= 2 && rest.p[0] == '"') {
        tok_iter one;
        tok t;
        const char *reason;
        tok_init(&one, &csv_spec, rest.p, rest.len);
        if (tok_next(&one, &t, &reason) == 1 && !one.more) {
            weir_view v;
            if (!tok_value(ev, &csv_spec, &t, &v))
                return false;
            event_set(ev, id, v.p, v.len);
            return true;
        }
    }
    event_set(ev, id, rest.p, rest.len);
    return true;
}

/* A line with no quote in it: columns are what lies between delimiters, found in one pass
 * (tok_split_plain), and only the ones some rule reads are set. Same verdicts as the column by
 * column loop below, which every other line takes. */
static int plain_line(const parse_layout *lay, const char *s, size_t n, const uint32_t *at,
                      size_t ndelims, weir_event *ev)
{
    size_t cols = ndelims + 1;
    if (cols != lay->ncols && !ev->truncated)
        return event_malformedf(ev, "%zu columns, the layout has %zu", cols, lay->ncols);
    size_t take = cols < lay->ncols ? cols : lay->ncols;
    for (size_t i = 0; i < take; i++) {
        int id = lay->col[i];
        if (!event_wants(ev, id))
            continue;
        size_t start = i ? at[i - 1] + 1 : 0, end = i < ndelims ? at[i] : n;
        event_set(ev, id, s + start, end - start);
    }
    return WEIR_PARSE_OK;
}

int parse_w3c_line(weir_parser *p, weir_format f, const char *s, size_t n, weir_event *ev)
{
    const parse_layout *lay = p->cur == f ? &p->layout : &p->defaults[f];
    const tok_spec *spec = f == WEIR_FMT_IIS ? &iis_spec : &csv_spec;
    if (!rest_last(f)) {
        uint32_t at[PARSE_MAX_COLS];
        ptrdiff_t nd = tok_split_plain(spec, s, n, at, PARSE_MAX_COLS);
        if (nd >= 0)
            return plain_line(lay, s, n, at, (size_t)nd, ev);
    }
    tok_iter it;
    tok t;
    const char *reason = NULL;
    size_t i = 0;
    tok_init(&it, spec, s, n);
    while (i < lay->ncols) {
        if (rest_last(f) && i + 1 == lay->ncols) {
            if (!it.more)
                break; /* the line ended a column early: no free-text column at all */
            if (event_wants(ev, lay->col[i]))
                take_rest(ev, &it, lay->col[i]);
            i++;
            it.more = false;
            break;
        }
        int rc = tok_next(&it, &t, &reason);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (ev->truncated)
                break; /* the cut fell inside a quoted column: keep the columns before it */
            return event_malformedf(ev, "%s in column %zu", reason, i + 1);
        }
        weir_view v;
        if (event_wants(ev, lay->col[i]) && tok_value(ev, spec, &t, &v))
            event_set(ev, lay->col[i], v.p, v.len);
        i++;
    }
    if (it.more && !ev->truncated) {
        size_t extra = 0;
        while (tok_next(&it, &t, &reason) == 1)
            extra++;
        if (extra || !reason)
            return event_malformedf(ev, "%zu columns, the layout has %zu", i + extra,
                                    lay->ncols);
        return event_malformedf(ev, "%s after column %zu", reason, i);
    }
    if (i < lay->ncols && !ev->truncated)
        return event_malformedf(ev, "%zu columns, the layout has %zu", i, lay->ncols);
    if (f == WEIR_FMT_ECP)
        ecp_pairs(ev);
    return WEIR_PARSE_OK;
}

weir_format parse_w3c_guess_csv(const weir_parser *p, const char *s, size_t n)
{
    static const weir_format exact[] = {WEIR_FMT_HTTPPROXY, WEIR_FMT_RPSHTTP, WEIR_FMT_MSGTRACK,
                                        WEIR_FMT_SMTPRECEIVE};
    tok_iter it;
    tok t;
    const char *reason;
    size_t cols = 0;
    bool ecp_data = false;
    tok_init(&it, &csv_spec, s, n);
    while (cols <= PARSE_MAX_COLS && tok_next(&it, &t, &reason) == 1) {
        if (cols == 3)
            ecp_data = (t.len >= 2 && memcmp(t.p, "S:", 2) == 0) ||
                       (t.len >= 3 && memcmp(t.p, "'S:", 3) == 0);
        cols++;
    }
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (cols == p->defaults[exact[i]].ncols)
            return exact[i];
    if (cols >= 4 && ecp_data)
        return WEIR_FMT_ECP;
    return WEIR_FMT_AUTO;
}
