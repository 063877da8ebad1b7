/*
 * Demo traffic generator. Benign lines follow the 15-field Exchange IIS layout
 *   date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent)
 *   cs(Referer) sc-status sc-substatus sc-win32-status time-taken
 * with the front end's "&CorrelationID=<empty>;&cafeReqId=<guid>;" query suffix. The attack
 * lines are modelled on published ProxyLogon, web shell and ProxyShell traces (see
 * ../shared/detection-facts.md §9.1), with addresses from documentation ranges.
 */
#include "weir/demo_data.h"

#include <stdio.h>
#include <string.h>

static const char *attacks[] = {
    /* CVE-2021-26855 SSRF: POST to a 1-3 character .js under /ecp/ */
    "2021-03-03 06:49:42 10.0.0.11 POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=5b4c1e0a-"
    "6a0b-4b8e-9d0c-2a1f3c4d5e6f; 443 - 198.51.100.21 ExchangeServicesClient/0.0.0.0 - 200 0 0 "
    "31",
    /* CVE-2021-26855 SSRF against a static OWA theme resource */
    "2021-03-03 06:50:02 10.0.0.11 POST /owa/auth/Current/themes/resources/logon.css "
    "&CorrelationID=<empty>;&cafeReqId=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0; 443 - 198.51.100.21 "
    "python-requests/2.25.1 - 200 0 0 15",
    /* web shell dropped in owa/auth, then called */
    "2021-03-05 03:06:27 10.0.0.11 GET /owa/auth/RedirSuiteServerProxy.aspx "
    "&CorrelationID=<empty>;&cafeReqId=cde28fc4-299e-4179-b3e9-de56f5c1d9ee;&encoding=; 443 - "
    "203.0.113.236 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+"
    "Gecko)+Chrome/65.0.2345+Safari/537.36 - 200 0 0 133",
    /* web shell under aspnet_client running commands */
    "2021-03-05 03:07:11 10.0.0.11 GET /aspnet_client/system_web/shell.aspx cmd=whoami+/all 443 "
    "- 203.0.113.236 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 402",
    /* ProxyShell (CVE-2021-34473): autodiscover.json path confusion reaching PowerShell */
    "2021-08-09 02:13:48 10.0.0.11 GET /autodiscover/autodiscover.json "
    "@evil.example/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dzQwBBCEtlcmJlcm9z&Email=autodiscover/"
    "autodiscover.json%3F@evil.example&CorrelationID=<empty>;&cafeReqId=3341f5aa-0d1e-4b84-a736-"
    "bd1b3245df00; 443 - 192.0.2.77 python-requests/2.26.0 - 200 0 0 64",
};
#define NATTACKS (sizeof(attacks) / sizeof(attacks[0]))

static const char *users[] = {"-", "CONTOSO\\alice", "CONTOSO\\bob", "CONTOSO\\carol",
                              "dave@contoso.com", "CONTOSO\\svc-scan"};
static const char *agents[] = {
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/"
    "88.0.4324.182+Safari/537.36+Edg/88.0.705.81",
    "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.13801;+Pro)",
    "Apple-iPhone13C2/1805.212",
    "AppleExchangeWebServices/818.0.1",
    "Outlook-iOS/709.2226530.prod.iphone+(4.2111.0)",
    "MSRPC",
};
static const struct {
    const char *method, *stem, *query;
    int status;
} reqs[] = {
    {"POST", "/owa/auth.owa", "", 302},
    {"GET", "/owa/", "", 200},
    {"POST", "/owa/service.svc", "action=GetItem&app=Mail&n=42", 200},
    {"POST", "/Microsoft-Server-ActiveSync/default.eas",
     "User=alice&DeviceId=N273TC3QE567H90G6LH4LTK89G&DeviceType=iPhone&Cmd=Sync", 200},
    {"POST", "/EWS/Exchange.asmx", "", 200},
    {"POST", "/autodiscover/autodiscover.xml", "", 200},
    {"POST", "/mapi/emsmdb/", "mailboxId=0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0@contoso.com", 200},
    {"GET", "/ecp/", "", 200},
    {"GET", "/owa/auth/logon.aspx", "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0", 200},
    {"POST", "/EWS/Exchange.asmx", "", 401},
};

static uint64_t mix(uint64_t x)
{
    /* splitmix64: cheap, deterministic, good enough to vary demo fields */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

size_t weir_demo_attack_count(size_t n)
{
    return n < NATTACKS * 10 ? n / 10 : NATTACKS;
}

size_t weir_demo_event(size_t i, size_t n, char *buf, size_t buflen, int *attack)
{
    size_t na = weir_demo_attack_count(n);
    size_t stride = na ? n / na : 0;
    /* attack k sits in the middle of the k-th stride of the stream */
    int len;
    if (na && i % stride == stride / 2 && i / stride < na) {
        *attack = 1;
        len = snprintf(buf, buflen, "%s", attacks[i / stride]);
        return len < 0 ? 0 : (size_t)len < buflen ? (size_t)len : buflen - 1;
    }
    *attack = 0;
    uint64_t r = mix(i);
    unsigned sec = (unsigned)(i % 86400);
    const char *user = users[r % (sizeof(users) / sizeof(users[0]))];
    const char *ua = agents[(r >> 8) % (sizeof(agents) / sizeof(agents[0]))];
    unsigned k = (unsigned)((r >> 16) % (sizeof(reqs) / sizeof(reqs[0])));
    unsigned ip = (unsigned)(r >> 24);
    char query[256];
    snprintf(query, sizeof(query), "%s%sCorrelationID=<empty>;&cafeReqId=%08x-%04x-4%03x-a%03x-"
             "%012llx;",
             reqs[k].query, "&", (unsigned)(r >> 32),
             (unsigned)(r >> 16) & 0xffff, (unsigned)(r >> 4) & 0xfff, (unsigned)(r >> 40) & 0xfff,
             (unsigned long long)(r & 0xffffffffffffULL));
    len = snprintf(buf, buflen,
                            "2021-03-03 %02u:%02u:%02u 10.0.0.11 %s %s %s 443 %s 172.16.%u.%u %s "
                            "- %d 0 0 %u",
                            sec / 3600, (sec / 60) % 60, sec % 60, reqs[k].method, reqs[k].stem,
                            query, user, (ip >> 8) % 256, ip % 254 + 1, ua, reqs[k].status,
                            (unsigned)(r % 900) + 3);
    return len < 0 ? 0 : (size_t)len < buflen ? (size_t)len : buflen - 1;
}
