/*
 * Sigma logsource → weir formats.
 *
 * Matching is on the fields a logsource sets; a field the table entry leaves NULL may be
 * anything. The first matching entry wins, so specific entries come first.
 */
#include "weir/logsource.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define F(x) (1u << WEIR_FMT_##x)

typedef struct {
    const char *category, *product, *service;
    weir_fmt_mask mask;
    const char *what;
} ls_entry;

static const ls_entry table[] = {
    /* Exchange's own logs, one service per log family */
    {NULL, "exchange", "httpproxy", F(HTTPPROXY), "Exchange HttpProxy logs"},
    {NULL, "exchange", "ecp", F(ECP), "Exchange ECP Server logs"},
    {NULL, "exchange", "oab", F(OAB), "Exchange OABGeneratorLog"},
    {NULL, "exchange", "rpshttp", F(RPSHTTP), "Exchange Rps_Http (PowerShell proxy) logs"},
    {NULL, "exchange", "smtpreceive", F(SMTPRECEIVE), "Exchange SMTP Receive protocol logs"},
    {NULL, "exchange", "msgtrack", F(MSGTRACK), "Exchange Message Tracking logs"},
    {NULL, "exchange", "iis", F(IIS), "Exchange IIS (W3C) logs"},
    /* MSExchange Management event log: shipped as JSON envelopes (Winlogbeat-style) */
    {NULL, "exchange", "management", F(JSON), "Exchange management (cmdlet) logs as JSON"},
    {NULL, "windows", "msexchange-management", F(JSON),
     "MSExchange Management event log as JSON"},
    /* mail on Unix: postfix and friends through syslog */
    {NULL, "linux", "postfix", F(SYSLOG), "postfix via syslog"},
    {NULL, NULL, "postfix", F(SYSLOG), "postfix via syslog"},
    {NULL, "linux", "syslog", F(SYSLOG), "syslog"},
    /* web: every format that logs HTTP requests */
    {"webserver", NULL, NULL, F(IIS) | F(COMBINED) | F(JSON) | F(HTTPPROXY),
     "web server logs (IIS, combined, JSON, Exchange HttpProxy)"},
    {"proxy", NULL, NULL, F(IIS) | F(COMBINED) | F(JSON) | F(HTTPPROXY),
     "proxy logs (IIS, combined, JSON, Exchange HttpProxy)"},
};

static int field_ok(const char *want, const char *have)
{
    return !want || (have && strcasecmp(want, have) == 0);
}

int weir_logsource_formats(const sigma_logsource *ls, weir_fmt_mask *mask, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const ls_entry *e = &table[i];
        if (field_ok(e->category, ls->category) && field_ok(e->product, ls->product) &&
            field_ok(e->service, ls->service)) {
            *mask = e->mask;
            return 0;
        }
    }
    snprintf(err, errlen,
             "logsource {category: %s, product: %s, service: %s} is not a log weir reads "
             "(see 'weir check --help')",
             ls->category ? ls->category : "-", ls->product ? ls->product : "-",
             ls->service ? ls->service : "-");
    return -1;
}

const char *weir_logsource_table(void)
{
    return "  category: webserver | proxy      iis, combined, json, httpproxy\n"
           "  product: exchange, service:\n"
           "    httpproxy | ecp | oab | rpshttp | smtpreceive | msgtrack | iis\n"
           "                                    that Exchange log\n"
           "    management                      json (MSExchange Management events)\n"
           "  product: windows, service: msexchange-management      json\n"
           "  product: linux, service: postfix | syslog             syslog\n";
}
