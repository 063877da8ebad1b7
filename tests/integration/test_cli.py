"""The weir command line as a user meets it: help texts, the demo, and clear errors with exit
status 2 for bad rules and unreachable brokers."""
import glob
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from weirtest import ROOT, WEIR, log


def run(*args, timeout=60):
    return subprocess.run([WEIR, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout)


def test_every_option_in_the_source_is_in_the_help():
    for cmd in ("run", "demo", "alerts", "scan", "check", "compile"):
        src = open(os.path.join(ROOT, "filter", f"cmd_{cmd}.c")).read()
        table = src[src.index("longopts[] = {"):]
        table = table[:table.index("};")]
        names = re.findall(r'\{"([a-z-]+)",', table)
        assert names, cmd
        h = run(cmd, "--help")
        assert h.returncode == 0, (cmd, h.stderr)
        for n in names:
            assert f"--{n}" in h.stdout, f"weir {cmd} --help does not describe --{n}"
        shorts = re.findall(r"getopt_long\(argc, argv, \"([^\"]+)\"", src)[0].replace(":", "")
        for s in shorts:
            assert f"-{s}" in h.stdout, f"weir {cmd} --help does not describe -{s}"
    top = run("--help")
    assert top.returncode == 0 and all(c in top.stdout for c in
                                       ("run", "demo", "alerts", "scan", "check", "compile"))


def test_unknown_command_is_usage_error():
    r = run("frobnicate")
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr


def test_version_names_the_libraries_and_the_allocator_linked():
    """jemalloc is a fixed dependency: a link change once dropped it from the executable
    unnoticed; the build says which allocator it links (libc under the sanitizers)."""
    r = run("--version")
    assert r.returncode == 0, r
    assert re.match(r"weir \S+ \(librdkafka \S+, hyperscan \S+ \S+, ", r.stdout), r.stdout
    want = os.environ.get("WEIR_EXPECT_ALLOCATOR")
    assert want, "meson sets WEIR_EXPECT_ALLOCATOR"
    assert re.search(rf", {want}( [0-9.]+)?\)$", r.stdout.strip()), (want, r.stdout)


def test_missing_rules_file_exits_2_naming_it():
    r = run("run", "--brokers", "127.0.0.1:9", "--topic", "t", "--rules", "/nonexistent/x.yml")
    assert r.returncode == 2, r
    assert "/nonexistent/x.yml" in r.stderr and "No such file" in r.stderr, r.stderr


GOOD = """title: fine
id: ok-rule
logsource: {category: webserver}
detection:
  sel:
    cs-method: POST
  condition: sel
"""


def rules_file(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
    f.write(text)
    f.close()
    return f.name


def expect_run_refuses(text, *needles):
    path = rules_file(text)
    try:
        r = run("run", "--brokers", "127.0.0.1:9", "--topic", "t", "--rules", path)
        assert r.returncode == 2, r
        for n in needles:
            n = n.replace("FILE", path)
            assert n in r.stderr, f"{n!r} not in {r.stderr!r}"
    finally:
        os.unlink(path)


def test_rejected_regex_exits_2_naming_file_line_rule_and_reason():
    expect_run_refuses(GOOD + """---
title: backref
id: bad-rule
logsource: {category: webserver}
detection:
  sel:
    cs-uri-stem|re: '(a)\\1'
  condition: sel
""", "FILE:14: rule bad-rule: Hyperscan refuses regex", "Back-references are unsupported",
                       "1 of 2 rules rejected")


def test_unknown_modifier_exits_2_naming_file_line_rule():
    expect_run_refuses(GOOD + """---
title: odd
id: odd-mod
logsource: {category: webserver}
detection:
  sel:
    cs-uri-stem|sometimes: x
  condition: sel
""", "FILE:14: rule odd-mod:", "sometimes")


def test_yaml_error_exits_2_naming_file_and_line():
    expect_run_refuses("title: x\nid: broken\ndetection:\n  sel: [a\n  condition: sel\n",
                       "FILE:", "rule broken", "YAML")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    return port


def test_unreachable_brokers_exit_2_within_30s():
    brokers = f"127.0.0.1:{closed_port()}"
    t0 = time.time()
    r = run("run", "--brokers", brokers, "--topic", "t", timeout=45)
    took = time.time() - t0
    assert r.returncode == 2, r
    assert f"cannot reach Kafka brokers '{brokers}'" in r.stderr, r.stderr
    assert took < 30, took
    a = run("alerts", "--brokers", brokers, timeout=45)
    assert a.returncode == 2 and "cannot reach Kafka brokers" in a.stderr, a.stderr


def test_bad_option_values_are_usage_errors():
    r = run("run", "--brokers", "x", "--topic", "t", "--batch", "0")
    assert r.returncode == 2 and "--batch: key 'batch.max_events'" in r.stderr, r.stderr
    r = run("alerts", "--brokers", "x", "--format", "xml")
    assert r.returncode == 2 and "--format 'xml'" in r.stderr
    r = run("run", "--brokers", "x", "--topic", "t", "-X", "consumer.enable.auto.commit=true")
    assert r.returncode == 2 and "managed by weir" in r.stderr, r.stderr


# Pinned: can only go up. Every rejection must carry a reason.
SIGMAHQ_COMPILED_AT_LEAST = 149


def test_sigmahq_corpus_compiles_and_every_rejection_says_why():
    corpus = os.path.join(ROOT, "..", "shared", "sigmahq")
    if not os.path.isdir(corpus):
        log("  (../shared/sigmahq absent: skipped)")
        return
    r = run("check", corpus)
    total = re.search(r"weir check: (\d+) rules, (\d+) compiled, (\d+) rejected", r.stdout)
    assert total, r.stdout[-2000:]
    n, ok, rejected = map(int, total.groups())
    assert ok >= SIGMAHQ_COMPILED_AT_LEAST, f"{ok} of {n} compiled"
    assert ok >= 0.95 * n
    lines = [l for l in r.stdout.splitlines() if l.startswith(("ok ", "REJECTED "))]
    assert len(lines) == n, (len(lines), n)
    for l in lines:
        if l.startswith("REJECTED"):
            assert re.match(r"REJECTED \S+:\d+: rule \S+: \S", l), l
    assert r.returncode == (2 if rejected else 0)


def test_compiled_rules_file_gives_the_same_alerts():
    e2e = os.path.join(ROOT, "tests", "fixtures", "e2e", "exchange-web.yml")
    sample = os.path.join(ROOT, "tests", "fixtures", "parse", "iis_real.log")
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "rules.db")
        c = run("compile", "--output", db, e2e)
        assert c.returncode == 0 and os.path.getsize(db) > 0, c.stderr
        a = run("scan", "--rules", e2e, sample)
        b = run("scan", "--db", db, sample)
        assert a.returncode == b.returncode == 1, (a.stderr, b.stderr)
        strip = lambda out: [re.sub(r'"(@timestamp|event.created)":"[^"]*",', "", l)
                             for l in out.splitlines()]
        assert strip(a.stdout) == strip(b.stdout) and a.stdout
        with open(db, "r+b") as f:
            f.truncate(100)
        bad = run("scan", "--db", db, sample)
        assert bad.returncode == 2 and db in bad.stderr, bad.stderr


def test_scan_exit_status_follows_grep():
    e2e = os.path.join(ROOT, "tests", "fixtures", "e2e", "exchange-web.yml")
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write("2021-03-03 07:00:00 10.0.0.11 GET /owa/ - 443 - 172.16.0.5 Mozilla/5.0 - 200 0 0 3\n")
    try:
        r = run("scan", "--rules", e2e, "--format", "iis", f.name)
        assert r.returncode == 0 and r.stdout == "", r
        with open(f.name, "a") as g:
            g.write("2021-03-03 06:49:42 10.0.0.11 POST /ecp/y.js - 443 - 198.51.100.21 x - 200 0 0 31\n")
        r = run("scan", "--rules", e2e, "--format", "iis", "--stats", f.name)
        assert r.returncode == 1, r
        import json
        a = json.loads(r.stdout.splitlines()[0])
        assert a["log.file.path"] == f.name and a["log.file.line"] == 2
        assert a["rules"][0]["id"] == "proxylogon-ssrf-ecp-js"
        assert "2 events" in r.stderr and "proxylogon-ssrf-ecp-js" in r.stderr, r.stderr
        assert run("scan", "--rules", e2e, "/nonexistent.log").returncode == 2
    finally:
        os.unlink(f.name)


def test_demo_prints_a_proxylogon_alert_and_exits_0():
    r = run("demo", timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(re.match(r"^(high|critical)\s+.*ProxyLogon.* \| weir-demo-events/\d+@\d+ \| ", l)
               for l in lines), r.stdout
    summary = [l for l in lines if "events scanned" in l]
    assert summary, r.stdout
    m = re.search(r"(\d+) events scanned, (\d+) alerts produced, (\d+) acknowledged, (\d+) read "
                  r"back", summary[0])
    assert m and m.group(1) == "20000" and m.group(2) == m.group(3) == m.group(4), summary[0]
    assert int(m.group(2)) >= 5


def run_env(env, *args, timeout=60):
    return subprocess.run([WEIR, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, env={**os.environ, **env})


def config_file(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    f.write(text)
    f.close()
    return f.name


def test_config_errors_exit_2_naming_key_and_file():
    base = "brokers: 127.0.0.1:9\ninputs:\n  - topic: iis\n    format: iis\n"
    cases = [
        # (config text, env, needles the message must hold)
        (base + "workerz: 3\n", {}, [":5: unknown key 'workerz'", "did you mean 'workers'"]),
        (base + "delivery: exactly_once\n", {}, [":5: key 'delivery'", "'exactly_once'"]),
        (base + "max_event_size: 12\n", {}, [":5: key 'max_event_size'"]),
        ("brokers: h:1\ninputs:\n  - topic: x\n    format: apache\n", {},
         [":4: key 'inputs'", "'apache'"]),
        (base + "inputs: [again]\n", {}, [":5: key 'inputs' given twice"]),
        (base + "rules: [/nonexistent/weir-rules]\n", {}, ["/nonexistent/weir-rules",
                                                            "No such file"]),
        (base + "oversize: dead-letter\n", {}, ["dead_letter.topic"]),
        (base, {"WEIR_WORKERS": "-1"}, ["WEIR_WORKERS"]),
        (base, {"WEIR_KAFKA_CONSUMER": "enable.auto.commit=true"}, ["managed by weir"]),
    ]
    for text, env, needles in cases:
        path = config_file(text)
        try:
            r = run_env(env, "run", "-c", path, timeout=30)
        finally:
            os.unlink(path)
        assert r.returncode == 2, (text, env, r.returncode, r.stderr)
        msg = r.stderr.replace(path, "FILE")
        for n in needles:
            assert n in msg, (text, env, n, r.stderr)
        if not env and "rules:" not in text and "oversize" not in text and "apache" not in text:
            assert path in r.stderr, r.stderr  # the file is named
    r = run("run", "-c", "/nonexistent/weir.yaml")
    assert r.returncode == 2 and "/nonexistent/weir.yaml" in r.stderr, r.stderr


def test_print_config_shows_precedence_origins_and_redacts_secrets():
    path = config_file("brokers: file:9092\ninputs: [iis]\nworkers: 3\ndelivery: exactly-once\n"
                       "kafka:\n  consumer:\n    sasl.password: hunter2\n")
    try:
        r = run_env({"WEIR_WORKERS": "5"}, "run", "-c", path, "--delivery", "at-least-once",
                    "--shutdown-timeout", "7", "--print-config")
    finally:
        os.unlink(path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert re.search(r'^brokers: "file:9092"\s+# .*:1$', out, re.M), out
    assert re.search(r"^workers: 5\s+# WEIR_WORKERS$", out, re.M), out
    assert re.search(r"^delivery: at-least-once\s+# command line$", out, re.M), out
    assert re.search(r"^shutdown_timeout: 7s\s+# command line$", out, re.M), out
    assert "hunter2" not in out and "[redacted]" in out, out


def test_embedded_brokers_run_and_stop_cleanly_on_sigterm():
    p = subprocess.Popen([WEIR, "run", "--brokers", "embedded", "--topic", "iis", "--format",
                          "iis"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        seen = ""
        while time.time() < deadline and '"msg":"consuming"' not in seen:
            line = p.stderr.readline()
            if not line:
                break
            seen += line
        assert "embedded mock cluster started" in seen and '"msg":"consuming"' in seen, seen
        p.send_signal(2)
        out, err = p.communicate(timeout=15)
        assert p.returncode == 0, (p.returncode, err)
        assert '"msg":"stopped"' in err, err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def main():
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_")]
    failed = 0
    for t in tests:
        try:
            t()
            log(f"ok   {t.__name__}")
        except Exception as e:  # report every failure, then fail the run
            failed += 1
            log(f"FAIL {t.__name__}: {e!r}")
    log(f"{len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
