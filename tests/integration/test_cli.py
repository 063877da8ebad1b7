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
    for cmd in ("run", "demo", "alerts"):
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
    assert top.returncode == 0 and all(c in top.stdout for c in ("run", "demo", "alerts"))


def test_unknown_command_is_usage_error():
    r = run("frobnicate")
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr


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
    assert r.returncode == 2 and "--batch '0'" in r.stderr
    r = run("alerts", "--brokers", "x", "--format", "xml")
    assert r.returncode == 2 and "--format 'xml'" in r.stderr
    r = run("run", "--brokers", "x", "--topic", "t", "-X", "consumer.enable.auto.commit=true")
    assert r.returncode == 2 and "managed by weir" in r.stderr, r.stderr


def test_demo_prints_a_proxylogon_alert_and_exits_0():
    r = run("demo", timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(re.match(r"^(high|critical)\s+proxylogon-", l) for l in lines), r.stdout
    summary = [l for l in lines if "events scanned" in l]
    assert summary, r.stdout
    m = re.search(r"(\d+) events scanned, (\d+) alerts produced, (\d+) acknowledged, (\d+) read "
                  r"back", summary[0])
    assert m and m.group(1) == "20000" and m.group(2) == m.group(3) == m.group(4), summary[0]
    assert int(m.group(2)) >= 5


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
