/*
 * Events: one log line parsed into named fields, for rules that match field-scoped values
 * (Sigma taxonomy names) while keywords still match the raw line.
 *
 * Three objects, three lifetimes:
 *   - the field registry is static: field ids are small stable integers a compiled rule set
 *     can store; names are looked up case-insensitively, aliases included;
 *   - a weir_parser is per stream (file, Kafka partition): it remembers the column layout the
 *     last "#Fields:" line declared and, in auto mode, the format the headers announced;
 *   - a weir_event is per worker: it owns the field table and the normalisation buffer, sized
 *     once at creation, so parsing a line allocates nothing.
 *
 * Every field has two views: the value as logged after syntactic unquoting (CSV quotes, JSON
 * escapes) and the normalised value field matching should see (percent-decoded URIs, IIS '+'
 * as space, W3C '-' as empty; see normalize.c). Views point into the caller's line or into
 * the event's buffer and stay valid until the next parse into the same event (and, for views
 * into the line, while the caller keeps the line). Values are byte spans: never NUL-terminated,
 * never guaranteed UTF-8.
 */
#ifndef WEIR_EVENT_H
#define WEIR_EVENT_H

#include <stdbool.h>
#include <stddef.h>

/* ---- formats ---------------------------------------------------------------------------- */

typedef enum weir_format {
    WEIR_FMT_AUTO = 0,    /* detect from headers and line shape */
    WEIR_FMT_IIS,         /* W3C extended (IIS), space separated, header driven */
    WEIR_FMT_HTTPPROXY,   /* Exchange HttpProxy CSV, header driven */
    WEIR_FMT_ECP,         /* Exchange ECP Server/Activity log: EventData of S:KEY=value; pairs */
    WEIR_FMT_OAB,         /* OABGeneratorLog: layout unverified, the line is the message */
    WEIR_FMT_RPSHTTP,     /* Exchange Rps_Http CSV (PowerShell proxy) */
    WEIR_FMT_SMTPRECEIVE, /* Exchange SMTP Receive/Send protocol log CSV */
    WEIR_FMT_MSGTRACK,    /* Exchange Message Tracking CSV */
    WEIR_FMT_SYSLOG,      /* RFC 3164 or RFC 5424 */
    WEIR_FMT_COMBINED,    /* Apache/nginx combined (common accepted) */
    WEIR_FMT_JSON,        /* Filebeat/Vector-style JSON envelope with ECS fields */
    WEIR_FMT__COUNT
} weir_format;

/* The lowercase name ("iis", "httpproxy", ...); "?" for an out-of-range value. */
const char *weir_format_name(weir_format f);
/* Parses a name (case-insensitive) into *out. Returns 0, or -1 if the name is unknown. */
int weir_format_parse(const char *name, weir_format *out);

/* ---- field registry --------------------------------------------------------------------- */

/*
 * Every field weir knows, as X(ID, "canonical name"). Ids are the positions in this list:
 * APPEND ONLY, never reorder or remove, so a stored rule set keeps meaning the same fields.
 * Aliases (Sigma synonyms, native column names, ECS names) are in filter/event.c.
 */
#define WEIR_FIELD_LIST(X)                                                                         \
    /* Sigma webserver/proxy taxonomy and W3C columns */                                          \
    X(TIMESTAMP, "timestamp")                                                                      \
    X(DATE, "date")                                                                                \
    X(TIME, "time")                                                                                \
    X(CS_METHOD, "cs-method")                                                                      \
    X(CS_URI_STEM, "cs-uri-stem")                                                                  \
    X(CS_URI_QUERY, "cs-uri-query")         /* Sigma-facing: the full URI, see normalize.c */    \
    X(CS_URI_QUERY_RAW, "cs-uri-query-raw") /* the query only, as the log split it */            \
    X(C_URI, "c-uri")                       /* stem + "?" + query */                               \
    X(C_URI_EXTENSION, "c-uri-extension")                                                          \
    X(CS_USER_AGENT, "cs-user-agent")                                                              \
    X(CS_USERNAME, "cs-username")                                                                  \
    X(C_IP, "c-ip")                                                                                \
    X(S_IP, "s-ip")                                                                                \
    X(S_PORT, "s-port")                                                                            \
    X(SC_STATUS, "sc-status")                                                                      \
    X(SC_SUBSTATUS, "sc-substatus")                                                                \
    X(SC_WIN32_STATUS, "sc-win32-status")                                                          \
    X(TIME_TAKEN, "time-taken")                                                                    \
    X(CS_REFERRER, "cs-referrer")                                                                  \
    X(CS_HOST, "cs-host")                                                                          \
    X(CS_COOKIE, "cs-cookie")                                                                      \
    X(CS_CONTENT_TYPE, "cs-content-type")                                                          \
    X(CS_BYTES, "cs-bytes")                                                                        \
    X(SC_BYTES, "sc-bytes")                                                                        \
    X(CS_VERSION, "cs-version")                                                                    \
    X(S_SITENAME, "s-sitename")                                                                    \
    X(S_COMPUTERNAME, "s-computername")                                                            \
    /* syslog, JSON envelope, OAB */                                                               \
    X(MESSAGE, "message")                                                                          \
    X(HOSTNAME, "hostname")                                                                        \
    X(PROGRAM, "program")                                                                          \
    X(PID, "pid")                                                                                  \
    X(PRI, "pri")                                                                                  \
    X(MSGID, "msgid")                                                                              \
    X(STRUCTURED_DATA, "structured-data")                                                          \
    /* Exchange HttpProxy (facts §2) and Rps_Http (facts §8) native columns */                     \
    X(REQUEST_ID, "RequestId")                                                                     \
    X(MAJOR_VERSION, "MajorVersion")                                                               \
    X(MINOR_VERSION, "MinorVersion")                                                               \
    X(BUILD_VERSION, "BuildVersion")                                                               \
    X(REVISION_VERSION, "RevisionVersion")                                                         \
    X(CLIENT_REQUEST_ID, "ClientRequestId")                                                        \
    X(PROTOCOL, "Protocol")                                                                        \
    X(PROTOCOL_ACTION, "ProtocolAction")                                                           \
    X(AUTHENTICATION_TYPE, "AuthenticationType")                                                   \
    X(IS_AUTHENTICATED, "IsAuthenticated")                                                         \
    X(ORGANIZATION, "Organization")                                                                \
    X(ANCHOR_MAILBOX, "AnchorMailbox")                                                             \
    X(BACKEND_STATUS, "BackEndStatus")                                                             \
    X(ERROR_CODE, "ErrorCode")                                                                     \
    X(PROXY_ACTION, "ProxyAction")                                                                 \
    X(TARGET_SERVER, "TargetServer")                                                               \
    X(TARGET_SERVER_VERSION, "TargetServerVersion")                                                \
    X(ROUTING_TYPE, "RoutingType")                                                                 \
    X(ROUTING_HINT, "RoutingHint")                                                                 \
    X(BACKEND_COOKIE, "BackEndCookie")                                                             \
    X(SERVER_LOCATOR_HOST, "ServerLocatorHost")                                                    \
    X(SERVER_LOCATOR_LATENCY, "ServerLocatorLatency")                                              \
    X(TARGET_OUTSTANDING_REQUESTS, "TargetOutstandingRequests")                                    \
    X(AUTH_MODULE_PERF_CONTEXT, "AuthModulePerfContext")                                           \
    X(HTTP_PIPELINE_LATENCY, "HttpPipelineLatency")                                                \
    X(CALCULATE_TARGET_BACKEND_LATENCY, "CalculateTargetBackEndLatency")                           \
    X(GLS_LATENCY_BREAKUP, "GlsLatencyBreakup")                                                    \
    X(TOTAL_GLS_LATENCY, "TotalGlsLatency")                                                        \
    X(ACCOUNT_FOREST_LATENCY_BREAKUP, "AccountForestLatencyBreakup")                               \
    X(TOTAL_ACCOUNT_FOREST_LATENCY, "TotalAccountForestLatency")                                   \
    X(RESOURCE_FOREST_LATENCY_BREAKUP, "ResourceForestLatencyBreakup")                             \
    X(TOTAL_RESOURCE_FOREST_LATENCY, "TotalResourceForestLatency")                                 \
    X(AD_LATENCY, "ADLatency")                                                                     \
    X(SHARED_CACHE_LATENCY_BREAKUP, "SharedCacheLatencyBreakup")                                   \
    X(TOTAL_SHARED_CACHE_LATENCY, "TotalSharedCacheLatency")                                       \
    X(ACTIVITY_CONTEXT_LIFETIME, "ActivityContextLifeTime")                                        \
    X(MODULE_TO_HANDLER_SWITCHING_LATENCY, "ModuleToHandlerSwitchingLatency")                      \
    X(CLIENT_REQ_STREAM_LATENCY, "ClientReqStreamLatency")                                         \
    X(BACKEND_REQ_INIT_LATENCY, "BackendReqInitLatency")                                           \
    X(BACKEND_REQ_STREAM_LATENCY, "BackendReqStreamLatency")                                       \
    X(BACKEND_PROCESSING_LATENCY, "BackendProcessingLatency")                                      \
    X(BACKEND_RESP_INIT_LATENCY, "BackendRespInitLatency")                                         \
    X(BACKEND_RESP_STREAM_LATENCY, "BackendRespStreamLatency")                                     \
    X(CLIENT_RESP_STREAM_LATENCY, "ClientRespStreamLatency")                                       \
    X(KERBEROS_AUTH_HEADER_LATENCY, "KerberosAuthHeaderLatency")                                   \
    X(HANDLER_COMPLETION_LATENCY, "HandlerCompletionLatency")                                      \
    X(REQUEST_HANDLER_LATENCY, "RequestHandlerLatency")                                            \
    X(HANDLER_TO_MODULE_SWITCHING_LATENCY, "HandlerToModuleSwitchingLatency")                      \
    X(PROXY_TIME, "ProxyTime")                                                                     \
    X(CORE_LATENCY, "CoreLatency")                                                                 \
    X(ROUTING_LATENCY, "RoutingLatency")                                                           \
    X(HTTP_PROXY_OVERHEAD, "HttpProxyOverhead")                                                    \
    X(TOTAL_REQUEST_TIME, "TotalRequestTime")                                                      \
    X(ROUTE_REFRESHER_LATENCY, "RouteRefresherLatency")                                            \
    X(BACKEND_GENERIC_INFO, "BackEndGenericInfo")                                                  \
    X(GENERIC_INFO, "GenericInfo")                                                                 \
    X(GENERIC_ERRORS, "GenericErrors")                                                             \
    X(EDGE_TRACE_ID, "EdgeTraceId")                                                                \
    X(DATABASE_GUID, "DatabaseGuid")                                                               \
    X(USER_AD_OBJECT_GUID, "UserADObjectGuid")                                                     \
    X(PARTITION_ENDPOINT_LOOKUP_LATENCY, "PartitionEndpointLookupLatency")                         \
    X(ROUTING_STATUS, "RoutingStatus")                                                             \
    X(START_TIME, "StartTime")                                                                     \
    X(MANAGED_ORGANIZATION, "ManagedOrganization")                                                 \
    X(FRONT_END_SERVER, "FrontEndServer")                                                          \
    X(ACTION, "Action")                                                                            \
    X(COMMAND_ID, "CommandId")                                                                     \
    X(COMMAND_NAME, "CommandName")                                                                 \
    X(SESSION_ID, "SessionId")                                                                     \
    X(SHELL_ID, "ShellId")                                                                         \
    X(FAIL_FAST, "FailFast")                                                                       \
    X(CONTRIBUTE_TO_FAIL_FAST, "ContributeToFailFast")                                             \
    X(CLIENT_INFO, "ClientInfo")                                                                   \
    X(CPU, "CPU")                                                                                  \
    X(MEMORY, "Memory")                                                                            \
    X(TOTAL_TIME, "TotalTime")                                                                     \
    X(GENERIC_LATENCY, "GenericLatency")                                                           \
    /* Exchange ECP Server log: columns, then the S:KEY=value pairs of EventData */               \
    X(SERVER_NAME, "ServerName")                                                                   \
    X(EVENT_ID, "EventId")                                                                         \
    X(EVENT_DATA, "EventData")                                                                     \
    X(ECP_CMD, "CMD")                                                                              \
    X(ECP_URL, "URL")                                                                              \
    X(ECP_SID, "SID")                                                                              \
    X(ECP_REQID, "REQID")                                                                          \
    X(ECP_REFERRER, "REFERRER")                                                                    \
    X(ECP_EX, "EX")                                                                                \
    /* Exchange SMTP Receive/Send protocol log */                                                  \
    X(CONNECTOR_ID, "connector-id")                                                                \
    X(SMTP_SESSION_ID, "session-id")                                                               \
    X(SEQUENCE_NUMBER, "sequence-number")                                                          \
    X(LOCAL_ENDPOINT, "local-endpoint")                                                            \
    X(REMOTE_ENDPOINT, "remote-endpoint")                                                          \
    X(SMTP_EVENT, "event")                                                                         \
    X(SMTP_DATA, "data")                                                                           \
    X(SMTP_CONTEXT, "context")                                                                     \
    /* Exchange Message Tracking */                                                                \
    X(CLIENT_IP, "client-ip")                                                                      \
    X(CLIENT_HOSTNAME, "client-hostname")                                                          \
    X(SERVER_IP, "server-ip")                                                                      \
    X(SERVER_HOSTNAME, "server-hostname")                                                          \
    X(SOURCE_CONTEXT, "source-context")                                                            \
    X(SOURCE, "source")                                                                            \
    X(TRACK_EVENT_ID, "event-id")                                                                  \
    X(INTERNAL_MESSAGE_ID, "internal-message-id")                                                  \
    X(MESSAGE_ID, "message-id")                                                                    \
    X(NETWORK_MESSAGE_ID, "network-message-id")                                                    \
    X(RECIPIENT_ADDRESS, "recipient-address")                                                      \
    X(RECIPIENT_STATUS, "recipient-status")                                                        \
    X(TOTAL_BYTES, "total-bytes")                                                                  \
    X(RECIPIENT_COUNT, "recipient-count")                                                          \
    X(RELATED_RECIPIENT_ADDRESS, "related-recipient-address")                                      \
    X(REFERENCE, "reference")                                                                      \
    X(MESSAGE_SUBJECT, "message-subject")                                                          \
    X(SENDER_ADDRESS, "sender-address")                                                            \
    X(RETURN_PATH, "return-path")                                                                  \
    X(MESSAGE_INFO, "message-info")                                                                \
    X(DIRECTIONALITY, "directionality")                                                            \
    X(TENANT_ID, "tenant-id")                                                                      \
    X(ORIGINAL_CLIENT_IP, "original-client-ip")                                                    \
    X(ORIGINAL_SERVER_IP, "original-server-ip")                                                    \
    X(CUSTOM_DATA, "custom-data")                                                                  \
    X(TRANSPORT_TRAFFIC_TYPE, "transport-traffic-type")                                            \
    X(LOG_ID, "log-id")                                                                            \
    X(SCHEMA_VERSION, "schema-version")

enum {
#define WEIR_FIELD_ENUM_(id, name) WEIR_F_##id,
    WEIR_FIELD_LIST(WEIR_FIELD_ENUM_)
#undef WEIR_FIELD_ENUM_
        WEIR_FIELD__COUNT
};

/* Field id for a name or alias (case-insensitive), or -1. */
int weir_field_lookup(const char *name);
/* Same, for a name that is not NUL-terminated. */
int weir_field_lookupn(const char *name, size_t len);
/* Canonical name of a field id, or NULL if out of range. */
const char *weir_field_name(int id);
/* The field's ECS name when it has one (cs-uri-stem → url.path), else its canonical name. */
const char *weir_field_ecs_name(int id);

/* ---- events ----------------------------------------------------------------------------- */

typedef struct weir_event weir_event;

typedef struct weir_view {
    const char *p;
    size_t len;
} weir_view;

/* Parse outcomes; also what weir_event_status() returns afterwards. */
enum {
    WEIR_PARSE_OK = 0,        /* an event with fields */
    WEIR_PARSE_HEADER = 1,    /* a header/directive line (#Fields, #Software, ...): not an event */
    WEIR_PARSE_MALFORMED = 2, /* not parseable as the format: no fields, raw line kept */
};

#define WEIR_EVENT_DEFAULT_MAX_LINE ((size_t)64 * 1024)

/*
 * A per-worker event. Bytes of a line beyond max_line (0: the default) are not parsed: the
 * event says so with weir_event_truncated() and exposes the fields of the prefix. The raw line
 * (weir_event_line) is always the whole line as given.
 */
weir_event *weir_event_new(size_t max_line, char *err, size_t errlen);
void weir_event_destroy(weir_event *ev);
/*
 * From the next parse on, sets only these fields (ids, n of them) and those they are made from
 * (the c-uri of IIS from its stem and query, the timestamp from date and time, the ECP pairs
 * from EventData); every other field is absent. The line is still read whole: columns are
 * counted and quoting checked as before, so a malformed line stays malformed. Why: a scanner's
 * rules read a handful of an HttpProxy line's 74 columns, and setting and normalising the rest
 * was a third of its cost. Until this is called, every field is parsed.
 */
void weir_event_parse_only(weir_event *ev, const int *ids, size_t n);

int weir_event_status(const weir_event *ev);
/* MALFORMED: a short reason naming what failed ("13 columns, the layout has 15"). HEADER: the
 * directive ("Fields", "Software", "Log-type", "csv-header", ...). OK: NULL. Valid until the
 * next parse into this event. */
const char *weir_event_reason(const weir_event *ev);
/* The format the line was parsed as (auto resolved); WEIR_FMT_AUTO when none could be. */
weir_format weir_event_format(const weir_event *ev);
weir_view weir_event_line(const weir_event *ev);
/* True when the line was longer than max_line, or a normalised value did not fit. */
bool weir_event_truncated(const weir_event *ev);

/* The normalised value of a field, or NULL if the event lacks it. Empty values are present. */
const weir_view *weir_event_get(const weir_event *ev, int id);
/* The value as logged (after CSV/JSON unquoting only), or NULL. */
const weir_view *weir_event_get_raw(const weir_event *ev, int id);
/* Iteration in the order fields were set: ids of the i-th field, i < weir_event_nfields(). */
size_t weir_event_nfields(const weir_event *ev);
int weir_event_field_id(const weir_event *ev, size_t i);

/* ---- parsers ---------------------------------------------------------------------------- */

typedef struct weir_parser weir_parser;

/* A parser for one stream of lines in format fmt (WEIR_FMT_AUTO to detect). Not thread-safe:
 * one stream, one thread at a time. */
weir_parser *weir_parser_new(weir_format fmt, char *err, size_t errlen);
void weir_parser_destroy(weir_parser *p);
/* Forgets what headers taught (layout, detected format): call at the start of a new file. */
void weir_parser_reset(weir_parser *p);

/*
 * Parses one line (without its newline; a trailing CR/LF is ignored) into ev. line need not be
 * NUL-terminated. Returns WEIR_PARSE_OK, WEIR_PARSE_HEADER or WEIR_PARSE_MALFORMED; header lines
 * update the parser's state for the lines after them.
 */
int weir_parser_parse(weir_parser *p, const char *line, size_t len, weir_event *ev);

#endif
