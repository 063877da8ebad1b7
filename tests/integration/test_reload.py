"""Rules changed under a running `weir run`, and events it will not parse, against a real broker.

reload: a live stream of 48,000 IIS events over 6 partitions with known attacks and a "canary"
line every 97 events that only a rule added later matches. The rules directory has the layout
of a Kubernetes ConfigMap volume (timestamped directory, `..data` symlink, one symlink per key),
and is updated the way the kubelet does it (rename of `..data`):
  1. mid-stream, a canary rule is added: it takes effect without a restart; per partition the
     canary alerts start at one offset and never stop after it; every other expected alert is
     there exactly once; every event is consumed and committed once (no loss, none scanned
     twice); alerts carry the old or the new rules version, as the log said;
  2. then a broken rules file is added: the reload fails, is logged naming the file and is
     counted, and the canary rule keeps firing to the end;
  3. then the broken file is removed, and SIGHUP makes weir rebuild (and find nothing new).

The run also serves Prometheus metrics, scraped at the end: they must agree with the counts.

dead letters: malformed and oversized events with --dead-letter-topic and --oversize
dead-letter: each is copied, whole, to the dead-letter topic with a weir.reason header naming
why and where it came from; an oversized attack still raises its alert, flagged
weir.truncated.
"""
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from test_skeleton_e2e import ATTACKS, benign
from weirtest import (E2E_RULES, WEIR, Broker, committed, decode_alert, end_offsets, free_port,
                      log, produce, read_all)

N = 48_000
PARTS = 6
CANARY_EVERY = 97
CANARY = ("2021-03-06 10:00:00 10.0.0.11 GET /owa/weir-reload-canary.aspx - 443 - 192.0.2.9 "
          "Mozilla/5.0 - 404 0 0 3")
CANARY_RULE = """title: reload canary
id: reload-canary
level: low
tags: [attack.discovery]
logsource: {category: webserver}
detection:
  sel:
    cs-uri-stem|contains: weir-reload-canary
  condition: sel
"""
BROKEN = "title: broken\nid: broken-rule\ndetection: [this is: not: valid\n"


class Stderr(threading.Thread):
    """Collects weir's log lines as they come, with the time each arrived."""

    def __init__(self, proc):
        super().__init__(daemon=True)
        self.proc, self.lines, self.cv = proc, [], threading.Condition()

    def run(self):
        for line in self.proc.stderr:
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()

    def wait_for(self, needle, after=0, timeout=60):
        deadline = time.time() + timeout
        with self.cv:
            while True:
                for i in range(after, len(self.lines)):
                    if needle in self.lines[i]:
                        return i
                left = deadline - time.time()
                assert left > 0, f"no log line with {needle!r} in {timeout} s:\n" + \
                    "".join(self.lines[-20:])
                self.cv.wait(left)


def field(line, key):
    return line.split(f'"{key}":"')[1].split('"')[0]


class ConfigMapDir:
    """A directory laid out and updated like a Kubernetes ConfigMap volume."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="weir-rules-")
        self.gen = 0
        self.keys = set()

    def update(self, files):
        self.gen += 1
        ts = os.path.join(self.dir, f"..2026_11_24_00_00_{self.gen:02d}.{os.getpid()}")
        os.mkdir(ts)
        for name, text in files.items():
            with open(os.path.join(ts, name), "w") as f:
                f.write(text)
        tmp = os.path.join(self.dir, "..data_tmp")
        os.symlink(os.path.basename(ts), tmp)
        os.rename(tmp, os.path.join(self.dir, "..data"))  # the atomic swap
        for name in files:
            if name not in self.keys:
                os.symlink(os.path.join("..data", name), os.path.join(self.dir, name))
        for name in self.keys - set(files):
            os.unlink(os.path.join(self.dir, name))
        self.keys = set(files)


def scrape(port, path):
    """The samples of a Prometheus text page, as {name{labels}: value}."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read().decode()
    return {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1])
            for l in body.splitlines() if l and not l.startswith("#")}


def build_stream(seed):
    rng = random.Random(seed)
    events = [benign(rng, i).encode() for i in range(N)]
    expected = {}
    canaries = set()
    for i in range(0, N, CANARY_EVERY):
        events[i] = CANARY.encode()
        canaries.add(i)
    free = [i for i in range(N) if i not in canaries]
    for k, s in enumerate(rng.sample(free, 240)):
        line, rules = ATTACKS[k % len(ATTACKS)]
        events[s] = line.encode()
        expected[s] = rules
    return events, expected, canaries


def test_reload(b):
    events, expected, canaries = build_stream(2021)
    b.create_topics(**{"iis-reload": PARTS, "alerts-reload": 3})
    base = open(E2E_RULES).read()
    rules = ConfigMapDir()
    rules.update({"exchange-web.yml": base})
    port = free_port()
    weir = subprocess.Popen([WEIR, "run", "--brokers", b.bootstrap, "--topic", "iis-reload",
                             "--format", "iis", "--alerts-topic", "alerts-reload", "--group",
                             "weir-reload", "--rules", rules.dir, "--batch-ms", "100",
                             "--metrics", f"127.0.0.1:{port}"],
                            stderr=subprocess.PIPE, text=True)
    logs = Stderr(weir)
    logs.start()
    try:
        start = logs.wait_for('"msg":"consuming"')
        v_old = field(logs.lines[start], "rules_version")
        producer = threading.Thread(target=lambda: setattr(
            producer, "where", produce(b.bootstrap, "iis-reload", events, PARTS, seconds=24)))
        producer.start()
        time.sleep(6)
        rules.update({"exchange-web.yml": base, "canary.yml": CANARY_RULE})
        i = logs.wait_for('"msg":"rules reloaded"', after=start, timeout=30)
        v_new = field(logs.lines[i], "rules_version")
        assert field(logs.lines[i], "previous_version") == v_old and v_new != v_old
        log(f"reloaded {v_old} -> {v_new} while the stream ran")
        time.sleep(3)
        rules.update({"exchange-web.yml": base, "canary.yml": CANARY_RULE, "broken.yml": BROKEN})
        j = logs.wait_for('"msg":"rules reload failed', after=i, timeout=30)
        assert "broken.yml" in logs.lines[j], logs.lines[j]
        time.sleep(3)
        rules.update({"exchange-web.yml": base, "canary.yml": CANARY_RULE})
        k = logs.wait_for('"msg":"rules unchanged', after=j, timeout=30)
        weir.send_signal(signal.SIGHUP)
        h = logs.wait_for('"trigger":"SIGHUP"', after=k, timeout=30)
        assert "rules unchanged" in logs.lines[h], logs.lines[h]
        producer.join()
        where = producer.where
        ends = end_offsets(b.bootstrap, "iis-reload", PARTS)
        assert sum(ends.values()) == N
        deadline = time.time() + 120
        while committed(b.bootstrap, "weir-reload", "iis-reload", PARTS) != ends:
            assert time.time() < deadline, "weir did not commit every event"
            time.sleep(0.5)
        # the Prometheus endpoint tells the same story as the logs
        deadline = time.time() + 10
        while True:
            metrics = scrape(port, "/metrics")
            if metrics.get("weir_events_total") == N or time.time() > deadline:
                break
            time.sleep(0.5)
        assert metrics["weir_events_total"] == N, metrics
        assert metrics["weir_rules_reloads_total"] == 1, metrics
        assert metrics["weir_rules_reload_failures_total"] >= 1, metrics
        assert metrics[f'weir_rules_info{{version="{v_new}"}}'] == 1, metrics
        assert metrics["weir_alerts_acked_total"] == metrics["weir_alerts_total"] > 0, metrics
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status == 200
        weir.send_signal(signal.SIGTERM)
        assert weir.wait(timeout=15) == 0
        logs.join(timeout=10)
    finally:
        if weir.poll() is None:
            weir.kill()
        shutil.rmtree(rules.dir, ignore_errors=True)

    stopped = [l for l in logs.lines if '"msg":"stopped"' in l][-1]
    assert field(stopped, "events") == str(N), stopped
    assert field(stopped, "reloads") == "1", stopped
    assert int(field(stopped, "reload_failures")) >= 1, stopped

    by_pos = {w: i for i, w in enumerate(where)}
    seen = collections.Counter()
    canary_alerted = collections.defaultdict(set)
    for _, _, value in read_all(b.bootstrap, "alerts-reload", timeout=120):
        a = decode_alert(value)
        pos = (a["kafka"]["partition"], a["kafka"]["offset"])
        idx = by_pos[pos]
        seen[idx] += 1
        ids = {r["id"] for r in a["rules"]}
        if idx in canaries:
            assert ids == {"reload-canary"}, ids
            assert a["weir.rules_version"] == v_new
            canary_alerted[pos[0]].add(pos[1])
        else:
            assert idx in expected, f"unexpected alert on {events[idx]!r}"
            assert ids == expected[idx], (ids, expected[idx])
            assert a["weir.rules_version"] in (v_old, v_new)
    assert not set(expected) - set(seen), "expected alerts lost across the reload"
    assert all(c == 1 for c in seen.values()), "an event was scanned (alerted) twice"
    # per partition the canary alerts are a suffix: one cut-over, never undone by the failure
    cut_somewhere = False
    for part in range(PARTS):
        offs = sorted(where[i][1] for i in canaries if where[i][0] == part)
        got = canary_alerted[part]
        assert got, f"partition {part}: the new rule never fired"
        first = offs.index(min(got))
        assert set(offs[first:]) == got, f"partition {part}: canary alerts are not a suffix"
        cut_somewhere |= first > 0
    assert cut_somewhere, "every canary alerted: the reload did not happen mid-stream"
    log(f"reload: {sum(len(v) for v in canary_alerted.values())} of {len(canaries)} canaries "
        f"alerted after the swap; {len(expected)} attacks alerted once each")


def test_dead_letters(b):
    rng = random.Random(7)
    events, expect_dl, attack_big = [], {}, None
    for i in range(3000):
        if i % 250 == 10:
            events.append(b"garbage that is not an IIS line " + str(i).encode())
            expect_dl[i] = "malformed"
        elif i % 250 == 20:
            pad = "https://x.example/" + "A" * 3000
            line = (f"2021-03-05 03:07:11 10.0.0.11 GET /aspnet_client/system_web/shell.aspx "
                    f"cmd=whoami+/all 443 - 203.0.113.236 Mozilla/5.0 {pad} 200 0 0 402")
            events.append(line.encode())
            expect_dl[i] = "oversize"
            attack_big = attack_big or i
        else:
            events.append(benign(rng, i).encode())
    b.create_topics(**{"iis-dl": 3, "alerts-dl": 1, "dead-dl": 1})
    where = produce(b.bootstrap, "iis-dl", events, 3)
    r = subprocess.run([WEIR, "run", "--brokers", b.bootstrap, "--topic", "iis-dl", "--format",
                        "iis", "--alerts-topic", "alerts-dl", "--group", "weir-dl", "--rules",
                        E2E_RULES, "--dead-letter-topic", "dead-dl", "--oversize", "dead-letter",
                        "--max-event", "1024", "--exit-eof"],
                       stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    stopped = [l for l in r.stderr.splitlines() if '"msg":"stopped"' in l][-1]
    assert field(stopped, "dead_lettered") == str(len(expect_dl)), stopped
    assert field(stopped, "malformed") == str(sum(v == "malformed" for v in expect_dl.values()))
    assert field(stopped, "oversized") == str(sum(v == "oversize" for v in expect_dl.values()))

    by_pos = {w: i for i, w in enumerate(where)}
    from confluent_kafka import Consumer, KafkaError, TopicPartition
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "dl-reader",
                  "enable.partition.eof": True})
    c.assign([TopicPartition("dead-dl", 0, 0)])
    got = {}
    deadline = time.time() + 60
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            assert m.error().code() == KafkaError._PARTITION_EOF
            break
        h = {k: v.decode() for k, v in m.headers()}
        idx = by_pos[(int(h["weir.source.partition"]), int(h["weir.source.offset"]))]
        assert h["weir.source.topic"] == "iis-dl"
        assert m.value() == events[idx], "the dead letter is not the whole event"
        assert idx not in got, "dead-lettered twice"
        got[idx] = h["weir.reason"]
    c.close()
    assert got == expect_dl, (len(got), len(expect_dl))

    big = [decode_alert(v) for _, _, v in read_all(b.bootstrap, "alerts-dl")]
    big = [a for a in big if by_pos[(a["kafka"]["partition"], a["kafka"]["offset"])] in expect_dl]
    assert len(big) == sum(v == "oversize" for v in expect_dl.values()), len(big)
    for a in big:
        assert a.get("weir.truncated") is True
        assert {x["id"] for x in a["rules"]} == {"webshell-aspnet-client", "webshell-command"}
        assert len(a["event.original"]) > 3000  # the alert carries the whole event
    log(f"dead letters: {len(got)} events with their reason; {len(big)} oversized attacks alerted")


def main():
    failed = 0
    with Broker() as b:
        for t in (test_reload, test_dead_letters):
            try:
                t(b)
                log(f"ok   {t.__name__}")
            except Exception as e:  # report each, fail the run
                failed += 1
                log(f"FAIL {t.__name__}: {e!r}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
