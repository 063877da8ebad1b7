"""weir-bench gen: a seeded corpus of Exchange and mail logs with known attacks.

One file per log format (a topic per log type is how these logs are shipped): IIS (W3C),
Exchange HttpProxy, SMTP receive, message tracking, postfix (syslog) and Apache/nginx combined
make the volume; the Exchange management JSON envelope, ECP server logs, Rps_Http and OAB
generator logs are present in small amounts, because some rule packs only fire there.

Background lines are generated from realistic field pools (Exchange endpoints, clients, status
codes, sizes), with long-tailed lengths (user agents, query strings, cookies of varying size).
Attack lines are the labelled must-fire lines of the rule packs' fixtures
(tests/fixtures/packs/*.tsv), each format's attacks inserted into its own file at the attack rate
(default 1 in 1,000), and any rule the draw missed inserted once, so every rule is checked. The manifest lists every attack line and the rule that must fire on it;
background lines must fire nothing, and `weir-bench` checks both against weir's output.
"""
import json
import os
import random

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "packs")

# share of the events per format (the rest of the formats: 0.5 % each)
SHARES = {"iis": 0.50, "httpproxy": 0.20, "smtpreceive": 0.09, "msgtrack": 0.08,
          "syslog": 0.06, "combined": 0.05}
MINOR = ("json", "ecp", "rpshttp", "oab")
MINOR_SHARE = 0.005

OWA = ["/owa/", "/owa/service.svc", "/owa/auth/logon.aspx", "/owa/sessiondata.ashx",
       "/owa/ev.owa2", "/owa/prem/15.1.2176.2/resources/styles/0/fabric.min.css",
       "/owa/auth/15.1.2176/themes/resources/favicon.ico"]
STEMS = OWA + ["/EWS/Exchange.asmx", "/mapi/emsmdb/", "/mapi/nspi/",
               "/Microsoft-Server-ActiveSync/default.eas", "/autodiscover/autodiscover.xml",
               "/rpc/rpcproxy.dll", "/OAB/8a3d2c1e-0000-4000-8000-000000000001/oab.xml",
               "/ecp/", "/ecp/PersonalSettings/HomePage.aspx"]
UAS = ["Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+"
       "Chrome/88.0.4324.182+Safari/537.36+Edg/88.0.705.81",
       "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.13801;+Pro)",
       "Apple-iPhone13C2/1805.212", "AppleExchangeWebServices/818.0.1",
       "Outlook-iOS/709.2189947.prod.iphone+(4.2122.0)", "MSRPC", "MSEXCHMON",
       "Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10_15_7)+AppleWebKit/605.1.15+(KHTML,+like+Gecko)"
       "+Version/14.0.3+Safari/605.1.15", "ExchangeWebServicesProxy/CrossSite/EXCH/15.01.2176.002"]
QUERIES = ["-", "&CorrelationID=<empty>;&cafeReqId={rid};", "action=GetItem&EP=1&UA=0&ID=-35&AC=1",
           "Cmd=Ping&User=CONTOSO%5Cu{u}&DeviceId=ApplEA{d:08X}&DeviceType=iPhone",
           "&CorrelationID=<empty>;&ClientId={rid}&cafeReqId={rid};&encoding=;",
           "mailboxId={rid}@contoso.com&CorrelationID=<empty>;&cafeReqId={rid};"]
MAILERS = ["mx.example.net", "mail-ed1-f68.google.com", "mail.partner.example",
           "smtp.vendor.example", "mx01.supplier.example"]
SUBJECTS = ["Invoice", "Weekly report", "RE: meeting", "Quarterly numbers", "Lunch?",
            "Your order has shipped", "FW: contract draft"]


def pub_ip(rng):
    # documentation and private ranges only: no real address, no accidental IOC match
    return rng.choice(["198.51.100.", "203.0.113.", "192.0.2.", "172.16.9."]) + \
        str(rng.randrange(1, 255))


def ts_iso(i):
    return f"2021-03-04T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z"


def gen_iis(rng, i):
    q = rng.choice(QUERIES).format(rid=f"{rng.getrandbits(64):016x}", u=rng.randrange(5000),
                                   d=rng.getrandbits(32))
    user = rng.choice(["-", f"CONTOSO\\u{rng.randrange(5000)}", f"u{rng.randrange(5000)}@contoso.com"])
    return (f"2021-03-04 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} 10.0.0.11 "
            f"{rng.choice(['GET', 'GET', 'POST'])} {rng.choice(STEMS)} {q} 443 {user} "
            f"172.16.{rng.randrange(256)}.{rng.randrange(1, 255)} {rng.choice(UAS)} "
            f"{rng.choice(['-', 'https://mail.contoso.com/owa/'])} "
            f"{rng.choice([200, 200, 200, 200, 302, 401, 440])} 0 0 {int(rng.paretovariate(1.2) * 8)}")


def gen_httpproxy(rng, i):
    stem = rng.choice(STEMS)
    proto = {"/owa": "Owa", "/EWS": "Ews", "/map": "Mapi", "/Mic": "Eas", "/aut": "Autodiscover",
             "/rpc": "RpcHttp", "/OAB": "Oab", "/ecp": "Ecp"}[stem[:4]]
    user = f"u{rng.randrange(5000)}@contoso.com"
    ua = rng.choice(UAS).replace("+", " ").replace(",", " ")
    t = ts_iso(i)
    cols = [t, f"{rng.getrandbits(128):032x}", "15", "1", "2176", "2", "", proto,
            "mail.contoso.com", stem, "", rng.choice(["Negotiate", "Basic", "FBA"]), "true", user,
            "", f"SMTP:{user}", ua, f"172.16.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "EXCH01", str(rng.choice([200, 200, 200, 302, 401])), "", "", rng.choice(["GET", "POST"]),
            "", "exch01.contoso.local", "15.01.2176.002", "Database", "", "", "", "0",
            str(rng.randrange(100, 9000)), str(rng.randrange(100, 90000))]
    cols += [""] * 30 + [str(rng.randrange(1, 900)), "", "", "",
                         f"BeginRequest={t};CorrelationID=<empty>;EndRequest={t};"] + [""] * 6
    return ",".join(cols)


def gen_smtpreceive(rng, i):
    sid = f"08D8DE1A{rng.getrandbits(32):08X}"
    ev, data = rng.choice([("+", ""), ("*", "SMTPSubmit SMTPAcceptAnySender"),
                           (">", "220 EXCH01 Microsoft ESMTP MAIL Service ready"),
                           ("<", f"EHLO {rng.choice(MAILERS)}"),
                           ("<", f"MAIL FROM:<n{rng.randrange(900)}@partner.example> SIZE={rng.randrange(2000, 90000)}"),
                           (">", "250 2.1.0 Sender OK"), ("<", "RCPT TO:<alice@contoso.com>"),
                           (">", "250 2.1.5 Recipient OK"), ("-", "")])
    return (f"{ts_iso(i)},EXCH01\\Default Frontend EXCH01,{sid},{rng.randrange(30)},"
            f"10.0.0.11:25,{pub_ip(rng)}:{rng.randrange(1024, 65535)},{ev},{data},")


def gen_msgtrack(rng, i):
    mid = f"<{rng.getrandbits(64):016x}@partner.example>"
    return (f"{ts_iso(i)},{pub_ip(rng)},{rng.choice(MAILERS)},10.0.0.11,EXCH01,"
            f"08D8DE1A{rng.getrandbits(32):08X};250 2.6.0,EXCH01\\Default Frontend EXCH01,SMTP,"
            f"{rng.choice(['RECEIVE', 'DELIVER', 'SEND', 'HAREDIRECT'])},{rng.randrange(9999)},"
            f"{mid},{rng.getrandbits(128):032x},u{rng.randrange(5000)}@contoso.com,"
            f"250 2.1.5 Recipient OK,{rng.randrange(2000, 900000)},1,,,{rng.choice(SUBJECTS)},"
            f"n{rng.randrange(900)}@partner.example,n{rng.randrange(900)}@partner.example,,"
            f"Incoming,,,,,Email,{rng.getrandbits(128):032x},15.01.2176.002")


def gen_syslog(rng, i):
    pid = rng.randrange(1000, 30000)
    host = rng.choice(MAILERS)
    msg = rng.choice([f"connect from {host}[{pub_ip(rng)}]",
                      f"disconnect from {host}[{pub_ip(rng)}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
                      f"{rng.getrandbits(40):010X}: client={host}[{pub_ip(rng)}]",
                      f"{rng.getrandbits(40):010X}: message-id=<{rng.getrandbits(64):x}@{host}>"])
    proc = "smtpd" if "client" in msg or "connect" in msg else "cleanup"
    return f"Mar  4 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} mx1 postfix/{proc}[{pid}]: {msg}"


def gen_combined(rng, i):
    path = rng.choice(["/", "/index.html", "/static/app.js", "/api/v1/items?page=" +
                       str(rng.randrange(50)), "/images/logo.png", "/login"])
    ua = rng.choice(UAS).replace("+", " ")
    return (f'{pub_ip(rng)} - - [04/Mar/2021:{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} '
            f'+0000] "{rng.choice(["GET", "GET", "POST"])} {path} HTTP/1.1" '
            f'{rng.choice([200, 200, 304, 404])} {rng.randrange(100, 90000)} "-" "{ua}"')


def fixture_lines():
    """{format: {"fire": [(rule, line)], "quiet": [line]}} from the rule packs' fixtures."""
    out = {}
    for name in sorted(os.listdir(FIXTURES)):
        if not name.endswith(".tsv"):
            continue
        for row in open(os.path.join(FIXTURES, name), encoding="utf-8"):
            row = row.rstrip("\n")
            if not row or row.startswith("#"):
                continue
            parts = row.split("\t", 3)
            if len(parts) != 4:
                continue
            rule, kind, fmt, line = parts
            d = out.setdefault(fmt, {"fire": [], "quiet": []})
            d[kind].append((rule, line) if kind == "fire" else line)
    return out


CMDLETS = ["Get-Mailbox -ResultSize 100", "Get-MailboxStatistics -Identity u{u}",
           'Get-MessageTrackingLog -Start \\"03/04/2021\\" -EventId RECEIVE',
           "Set-Mailbox -Identity u{u} -ProhibitSendQuota 9GB", "Get-MailboxExportRequest -Status Completed",
           "Get-TransportService", "Get-ExchangeServer", "Test-ServiceHealth",
           'Get-ManagementRoleAssignment -Role \\"Mailbox Import Export\\"']


def gen_json(rng, i):
    cmd = rng.choice(CMDLETS).format(u=rng.randrange(5000))
    return ('{"@timestamp":"' + ts_iso(i) + '","host":{"name":"EXCH0' + str(rng.randrange(1, 4)) +
            '"},"winlog":{"channel":"MSExchange Management","provider_name":"MSExchange '
            'CmdletLogs","event_id":1},"message":"' + cmd + '"}')


def gen_ecp(rng, i):
    cmd = rng.choice(["Get-OABVirtualDirectory", "Get-Mailbox", "Get-InboxRule",
                      "Get-MailboxRegionalConfiguration", "Get-CalendarProcessing"])
    return (f"{ts_iso(i)},EXCH01,ECP.Request,S:TIME={rng.randrange(10, 3000)};"
            f"S:SID=S-1-5-21-1004336348-1177238915-682003330-{rng.randrange(1000, 9000)};"
            f"S:CMD={cmd};S:REQID=;S:URL=/ecp/DDI/DDIService.svc/GetList?schema="
            f"{cmd[4:]};S:REFERRER=;S:EX=;S:ACTID={rng.getrandbits(128):032x}")


def gen_rpshttp(rng, i):
    t = ts_iso(i)
    return (f"{t},{t},{rng.getrandbits(128):032x},15,1,2507,6,,exch01.contoso.local,/powershell,"
            f"Kerberos,true,CONTOSO\\admin{rng.randrange(5)},,,10.0.0.{rng.randrange(11, 20)},"
            f"EXCH01,EXCH01.contoso.local,200,0,,,,,,,,,{rng.randrange(100, 9000)},Microsoft WinRM "
            f"Client,0,0,18,19,?PSVersion=5.1.17763.3770,,,")


def gen_oab(rng, i):
    return (f"{ts_iso(i)},EXCH01,Generating OAB 'Default Offline Address Book' into "
            f"'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp'")


GENERATORS = {"iis": gen_iis, "httpproxy": gen_httpproxy, "smtpreceive": gen_smtpreceive,
              "msgtrack": gen_msgtrack, "syslog": gen_syslog, "combined": gen_combined,
              "json": gen_json, "ecp": gen_ecp, "rpshttp": gen_rpshttp, "oab": gen_oab}


def generate(outdir, events, seed=1, attack_rate=0.001):
    """Writes outdir/<format>.log and outdir/manifest.jsonl; returns the manifest summary."""
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(seed)
    fx = fixture_lines()
    shares = dict(SHARES)
    for f in MINOR:
        shares[f] = MINOR_SHARE
    total_share = sum(shares.values())
    files, manifest = {}, []
    for fmt, share in shares.items():
        n = max(1, int(events * share / total_share))
        gen = GENERATORS[fmt]
        attacks = fx.get(fmt, {}).get("fire", [])
        lines = []
        for i in range(n):
            if attacks and rng.random() < attack_rate:
                rule, line = attacks[rng.randrange(len(attacks))]
                lines.append(line)
                manifest.append({"format": fmt, "file": f"{fmt}.log", "line": i + 1,
                                 "rule": rule})
            else:
                lines.append(gen(rng, i))
        # every rule at least once, on a background line, so that every rule is checked: the
        # small formats draw only a handful of attacks at the default rate
        drawn = {m["rule"] for m in manifest if m["format"] == fmt}
        taken = {m["line"] for m in manifest if m["format"] == fmt}
        for rule in sorted({r for r, _ in attacks} - drawn):
            k = rng.randrange(n)
            while k + 1 in taken and len(taken) < n:
                k = rng.randrange(n)
            taken.add(k + 1)
            lines[k] = rng.choice([l for r, l in attacks if r == rule])
            manifest.append({"format": fmt, "file": f"{fmt}.log", "line": k + 1, "rule": rule})
        path = os.path.join(outdir, f"{fmt}.log")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        files[fmt] = {"path": path, "events": n,
                      "bytes": sum(len(l.encode()) + 1 for l in lines)}
    manifest.sort(key=lambda m: (m["file"], m["line"]))
    with open(os.path.join(outdir, "manifest.jsonl"), "w") as f:
        for m in manifest:
            f.write(json.dumps(m) + "\n")
    summary = {"seed": seed, "attack_rate": attack_rate, "files": files,
               "events": sum(v["events"] for v in files.values()),
               "bytes": sum(v["bytes"] for v in files.values()),
               "attacks": len(manifest),
               "rules_drawn": sorted({m["rule"] for m in manifest})}
    with open(os.path.join(outdir, "corpus.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary
