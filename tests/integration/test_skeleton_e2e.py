"""Walking skeleton against a real Kafka broker: 10,000 Exchange log events with a known set of
attack lines go through `weir run`; the alerts topic must hold exactly the expected alerts
(count and content) and the group's committed offsets must account for every event.

The expected rule ids below were written by reading tests/fixtures/e2e/exchange-web.yml, not
by running weir. The stream is an IIS one, as a topic per log type is how Exchange logs are
shipped; the other Exchange log formats are covered by the rule-pack fixtures.
"""
import datetime
import json
import random
import re
import subprocess
import sys
import time

from weirtest import (ALERT_KEYS, E2E_RULES, WEIR, Broker, committed, decode_alert, end_offsets,
                      log, produce, read_all)

N_EVENTS = 10_000
PARTS = 3

# (line, expected rule ids)
ATTACKS = [
    ("2021-03-03 06:49:42 10.0.0.11 POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=5b4c1e0a-"
     "6a0b-4b8e-9d0c-2a1f3c4d5e6f; 443 - 198.51.100.21 ExchangeServicesClient/0.0.0.0 - 200 0 0 31",
     {"proxylogon-ssrf-ecp-js"}),
    ("2021-03-03 06:49:50 10.0.0.11 POST /ecp/main.css &CorrelationID=<empty>;&cafeReqId=1; 443 - "
     "198.51.100.21 python-requests/2.25.1 - 200 0 0 12",
     {"proxylogon-ssrf-static"}),
    ("2021-03-03 06:50:02 10.0.0.11 POST /owa/auth/Current/themes/resources/logon.css "
     "&CorrelationID=<empty>;&cafeReqId=2; 443 - 198.51.100.21 python-requests/2.25.1 - 200 0 0 15",
     {"proxylogon-ssrf-static"}),
    ("2021-03-03 06:50:09 10.0.0.11 POST /owa/auth/x.js &CorrelationID=<empty>;&cafeReqId=3; 443 - "
     "198.51.100.22 Mozilla/5.0+(compatible;+Baiduspider/2.0) - 200 0 0 15",
     {"proxylogon-ssrf-static"}),
    # real web shell access line (detection-facts §9.1, S18)
    ("2021-03-05 03:06:27 xxx GET /owa/auth/RedirSuiteServerProxy.aspx &CorrelationID=<empty>;"
     "&cafeReqId=cde28fc4-299e-4179-b3e9-de56f5c1d9ee;&encoding=; 443 - 139.162.202.236 "
     "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/"
     "65.0.2345+Safari/537.36 - 200 0 0 133",
     {"webshell-owa-auth"}),
    ("2021-03-05 03:07:11 10.0.0.11 GET /aspnet_client/system_web/shell.aspx cmd=whoami+/all 443 "
     "- 203.0.113.236 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 402",
     {"webshell-aspnet-client", "webshell-command"}),
    ("2021-03-05 03:07:40 10.0.0.11 GET /aspnet_client/discover.aspx - 443 - 203.0.113.236 "
     "curl/7.74.0 - 200 0 0 40",
     {"webshell-aspnet-client"}),
    # real web shell command line (detection-facts §9.1, S20)
    ("2022-10-06 18:51:06 10.0.0.11 GET /aspnet_netclient/4_0_30319/devilzShell.aspx "
     "dir=C%3A%5C&cmd=dsquery+*+-filter+%22%28adminCount%3D1%29%22&btnCommand=Execute 443 - "
     "20.106.209.84 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+"
     "Gecko)+Chrome/106.0.0.0+Safari/537.36+Edg/106.0.1370.34 https://20.62.174.61/aspnet_"
     "netclient/4_0_30319/devilzShell.aspx?dir=C%3A%5C&cmd=nltest+%2Fdomain_trusts+%2Fall_trusts"
     "&btnCommand=Execute 200 0 0 432",
     {"webshell-command"}),
    ("2021-08-09 02:13:48 10.0.0.11 GET /autodiscover/autodiscover.json @evil.example/powershell/"
     "?X-Rps-CAT=VgEAVAdXaW5kb3dzQwBBCEtlcmJlcm9z&Email=autodiscover/autodiscover.json%3F@evil."
     "example&CorrelationID=<empty>; 443 - 192.0.2.77 python-requests/2.26.0 - 200 0 0 64",
     {"proxyshell-autodiscover"}),
]

# look-alikes that must stay silent
LOOKALIKES = [
    "2021-03-03 07:00:00 10.0.0.11 GET /ecp/y.js - 443 CONTOSO\\alice 172.16.0.5 Mozilla/5.0 - 200 0 0 3",
    "2021-03-03 07:00:01 10.0.0.11 POST /owa/auth.owa &CorrelationID=<empty>; 443 alice 172.16.0.5 "
    "Mozilla/5.0 - 302 0 0 14",
    "2021-03-03 07:00:02 10.0.0.11 GET /aspnet_client/system_web/4_0_30319/WebUIValidation.js - 443 "
    "- 172.16.0.9 Mozilla/5.0 - 200 0 0 2",
    "2021-03-03 07:00:03 10.0.0.11 GET /owa/auth/logon.aspx url=https%3a%2f%2fmail%2fowa 443 - "
    "172.16.0.9 Mozilla/5.0 - 200 0 0 5",
    "2021-03-03 07:00:04 10.0.0.11 POST /autodiscover/autodiscover.xml - 443 bob 172.16.0.7 "
    "Microsoft+Office/16.0 - 200 0 0 9",
]

STEMS = ["/owa/", "/owa/service.svc", "/EWS/Exchange.asmx", "/mapi/emsmdb/",
         "/Microsoft-Server-ActiveSync/default.eas", "/autodiscover/autodiscover.xml", "/ecp/"]
UAS = ["Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)",
       "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.13801;+Pro)",
       "Apple-iPhone13C2/1805.212", "AppleExchangeWebServices/818.0.1"]


def ms_of(rfc3339):
    """2021-03-03T06:49:42.162Z (an alert's time) as ms since the epoch."""
    d = datetime.datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)


def benign(rng, i):
    return (f"2021-03-04 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} 10.0.0.11 "
            f"{rng.choice(['GET', 'POST'])} {rng.choice(STEMS)} &CorrelationID=<empty>;"
            f"&cafeReqId={rng.getrandbits(64):016x}; 443 CONTOSO\\u{rng.randrange(500)} "
            f"172.16.{rng.randrange(256)}.{rng.randrange(1, 255)} {rng.choice(UAS)} - "
            f"{rng.choice([200, 200, 200, 302, 401])} 0 0 {rng.randrange(1, 900)}")


def build_events():
    rng = random.Random(20210302)
    events = [benign(rng, i).encode() for i in range(N_EVENTS)]
    expected = {}  # index -> rule ids
    slots = rng.sample(range(N_EVENTS), len(ATTACKS) * 4 + len(LOOKALIKES) * 4)
    k = 0
    for line, rules in ATTACKS:
        for _ in range(4):
            events[slots[k]] = line.encode()
            expected[slots[k]] = rules
            k += 1
    for line in LOOKALIKES:
        for _ in range(4):
            events[slots[k]] = line.encode()
            k += 1
    return events, expected


def main():
    events, expected = build_events()
    with Broker() as b:
        b.create_topics(**{"iis": PARTS, "alerts": PARTS})
        where = produce(b.bootstrap, "iis", events, PARTS)
        by_pos = {where[i]: i for i in range(len(events))}

        t0 = time.time()
        r = subprocess.run([WEIR, "run", "--brokers", b.bootstrap, "--topic", "iis",
                            "--alerts-topic", "alerts", "--group", "skeleton",
                            "--rules", E2E_RULES, "--exit-eof"],
                           stderr=subprocess.PIPE, text=True, timeout=180)
        ran_until = int(time.time() * 1000)
        log(f"weir run exited {r.returncode} after {time.time() - t0:.1f} s")
        if r.returncode != 0:
            log(r.stderr[-4000:])
        assert r.returncode == 0

        # every event accounted for: the group's committed offsets reach the end of the topic
        assert committed(b.bootstrap, "skeleton", "iis", PARTS) == \
            end_offsets(b.bootstrap, "iis", PARTS)
        stopped = [l for l in r.stderr.splitlines() if '"msg":"stopped"' in l]
        assert stopped and f'"events":"{N_EVENTS}"' in stopped[-1], stopped

        alerts = read_all(b.bootstrap, "alerts")
        log(f"{len(alerts)} alerts on the alerts topic, {len(expected)} expected")
        seen = {}
        for part, off, value in alerts:
            a = decode_alert(value)
            assert set(a) == ALERT_KEYS, sorted(a)
            for t in ("@timestamp", "event.created"):
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", a[t]), a[t]
            # the event's Kafka timestamp (its producer's clock, this machine's), then weir's
            # read of it, within this run
            assert ms_of(a["@timestamp"]) <= ms_of(a["event.created"]) <= ran_until, a
            k = a["kafka"]
            assert k["topic"] == "iis"
            idx = by_pos[(k["partition"], k["offset"])]
            assert idx not in seen, f"duplicate alert for event {idx}"
            seen[idx] = a
            assert isinstance(a["event.original"], bytes)
            assert a["event.original"] == events[idx]
            assert idx in expected, f"unexpected alert on event {idx}: {events[idx]!r}"
            got = {r["id"] for r in a["rules"]}
            assert got == expected[idx], (idx, got, expected[idx])
            for rule in a["rules"]:
                assert set(rule) == {"id", "title", "level", "tags"}
                assert rule["level"] in {"low", "medium", "high", "critical"}
                assert rule["tags"] and all(isinstance(t, str) for t in rule["tags"])
            # the parsed fields the rules tested, by ECS name, e.g. url.path for cs-uri-stem
            f = a["fields"]
            assert f and set(f) <= {"http.request.method", "url.path", "cs-uri-query"}, f
            if "url.path" in f:
                assert f["url.path"] in events[idx], (f, events[idx])
            # alerts of one input partition are keyed to one alerts partition, in order
        missing = set(expected) - set(seen)
        assert not missing, f"{len(missing)} expected alerts missing, e.g. {events[min(missing)]!r}"
        assert len(alerts) == len(expected)

        # weir alerts prints the same alerts as JSON, one per line
        r = subprocess.run([WEIR, "alerts", "--brokers", b.bootstrap, "--topic", "alerts",
                            "--from-beginning", "--exit-eof"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        js = [json.loads(l) for l in r.stdout.splitlines()]
        assert len(js) == len(alerts)
        assert sorted(j["event.original"] for j in js) == \
            sorted(decode_alert(v)["event.original"].decode() for _, _, v in alerts)
        assert all(set(j) == ALERT_KEYS for j in js)
        r = subprocess.run([WEIR, "alerts", "--brokers", b.bootstrap, "--topic", "alerts",
                            "--from-beginning", "--count", "5", "--format", "compact"],
                           stdout=subprocess.PIPE, text=True, timeout=120)
        assert r.returncode == 0 and len(r.stdout.splitlines()) == 5, r.stdout

        # per input partition, alerts appear in offset order
        order = {}
        for part, off, value in alerts:
            k = decode_alert(value)["kafka"]
            order.setdefault(k["partition"], []).append(k["offset"])
        for p, offs in order.items():
            assert offs == sorted(offs), f"alerts of partition {p} out of order"
    print(f"ok: {N_EVENTS} events, {len(expected)} alerts, exact match")


if __name__ == "__main__":
    sys.exit(main())
