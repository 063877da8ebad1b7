"""weir run under what production does to it, against a real broker: 200,000 events over 6
partitions with a known set of attacks, and

  - a clean run (4 workers, the partitions spread 2,2,1,1 over them): the alerts topic holds
    exactly the expected alerts, in offset order per partition; consumed == events;
  - two weir processes in one group: they split the partitions and together produce every
    expected alert, with no duplicates;
  - SIGTERM mid-stream, then restart: exit 0 within 10 s, nothing lost, nothing duplicated;
  - SIGKILL mid-stream, then restart: nothing lost (at-least-once); duplicates are counted and
    reported;
  - the broker stopped for 10 s mid-stream and started again: weir recovers by itself, nothing
    lost;
  - SIGTERM while alerts wait longer than --shutdown-timeout, and SIGTERM with the broker
    frozen (both delivery modes): exit 1 within the timeout (exactly-once: within the
    watchdog's 5 s more), saying why; a restart loses nothing; a second SIGTERM exits at once.

Expected alerts come from the labelled attack lines of test_skeleton_e2e (written by reading
the rules), never from weir's own output.
"""
import collections
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from test_skeleton_e2e import ATTACKS, LOOKALIKES, benign
from weirtest import (E2E_RULES, ROOT, WEIR, Broker, committed, decode_alert, end_offsets,
                      free_port, log, produce, read_all)

N = 200_000
PARTS = 6


def build(seed):
    rng = random.Random(seed)
    events = [benign(rng, i).encode() for i in range(N)]
    expected = {}
    slots = rng.sample(range(N), 400)
    for k, s in enumerate(slots):
        if k < 300:
            line, rules = ATTACKS[k % len(ATTACKS)]
            events[s] = line.encode()
            expected[s] = rules
        else:
            events[s] = LOOKALIKES[k % len(LOOKALIKES)].encode()
    return events, expected


def weir_run(b, topic, group, alerts, *extra, exit_eof=True, env=None):
    args = [WEIR, "run", "--brokers", b.bootstrap, "--topic", topic, "--format", "iis",
            "--alerts-topic", alerts, "--group", group, "--rules", E2E_RULES, *extra]
    if exit_eof:
        args.append("--exit-eof")
    return subprocess.Popen(args, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(env or {})))


def finish(p, timeout=300):
    _, err = p.communicate(timeout=timeout)
    return p.returncode, err


def check_alerts(b, alerts_topic, events, expected, by_pos, allow_duplicates,
                 read_committed=False):
    """Every expected alert is there with the right rules; returns the duplicate count."""
    seen = collections.Counter()
    order = collections.defaultdict(list)
    for _, _, value in read_all(b.bootstrap, alerts_topic, read_committed=read_committed,
                                timeout=120):
        a = decode_alert(value)
        idx = by_pos[(a["kafka"]["partition"], a["kafka"]["offset"])]
        order[a["kafka"]["partition"]].append(a["kafka"]["offset"])
        assert idx in expected, f"unexpected alert on {events[idx]!r}"
        assert a["event.original"] == events[idx]
        assert {r["id"] for r in a["rules"]} == expected[idx]
        seen[idx] += 1
    missing = set(expected) - set(seen)
    assert not missing, f"{len(missing)} expected alerts lost"
    dups = sum(c - 1 for c in seen.values())
    assert allow_duplicates or dups == 0, f"{dups} duplicate alerts"
    if not allow_duplicates:
        # an input partition's alerts share one alerts partition (keyed by it), so they are
        # read back in the order weir produced them: offset order, whichever worker scanned them
        for part, offs in order.items():
            assert offs == sorted(offs), f"alerts of partition {part} out of order"
    return dups


def wait_for_progress(b, topic, group, minimum, timeout=60):
    """Waits until the group has committed at least `minimum` offsets in total."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = sum(max(o, 0) for o in committed(b.bootstrap, group, topic, PARTS).values())
        if done >= minimum:
            return done
        time.sleep(0.2)
    raise AssertionError(f"group {group} committed fewer than {minimum} offsets in {timeout} s")


def resume(b, name, events, expected, t, allow_duplicates=True, exactly_once=False):
    """After a stop mid-stream: waits for the stream `t`, runs weir again over what is left and
    checks that the alerts topic holds every expected alert and everything is committed
    (exactly_once: in that mode, read with read_committed, no duplicate allowed). Returns the
    duplicate count."""
    t.join()
    by_pos = {t.where[i]: i for i in range(N)}
    extra = ("--delivery", "exactly-once") if exactly_once else ()
    rc, err = finish(weir_run(b, f"iis-{name}", name, f"alerts-{name}", *extra))
    assert rc == 0, err[-2000:]
    dups = check_alerts(b, f"alerts-{name}", events, expected, by_pos,
                        allow_duplicates and not exactly_once, read_committed=exactly_once)
    assert committed(b.bootstrap, name, f"iis-{name}", PARTS) == \
        end_offsets(b.bootstrap, f"iis-{name}", PARTS)
    return dups


def wait_assigned(p, timeout=60):
    """Reads weir's log until it holds partitions; returns what it read."""
    lines, deadline = [], time.time() + timeout
    for line in p.stderr:
        lines.append(line)
        if '"msg":"partitions assigned"' in line:
            return "".join(lines)
        assert time.time() < deadline, "".join(lines)[-3000:]
    raise AssertionError("weir exited before it was assigned partitions: " +
                         "".join(lines)[-3000:])


def wait_for_alert(port, timeout=60):
    """Waits until weir's metrics count an alert produced (published about once a second)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                for line in r.read().decode().splitlines():
                    if line.startswith("weir_alerts_total ") and float(line.split()[1]) >= 1:
                        return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise AssertionError(f"weir produced no alert in {timeout} s")


def term_frozen(b, p, pause=0):
    """Freezes the broker (SIGSTOP: connections stay open, nothing answers), SIGTERMs weir
    `pause` seconds later, waits for it (60 s at most) and thaws the broker. Returns weir's
    exit status, its log and the seconds from the signal to its exit."""
    broker_pid = int(open(os.path.join(b.dir, "pid")).read())
    os.kill(broker_pid, signal.SIGSTOP)
    try:
        time.sleep(pause)
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        rc, err = finish(p, timeout=60)
        return rc, err, time.time() - t0
    finally:
        os.kill(broker_pid, signal.SIGCONT)


def live(b, topic, events, seconds):
    """Produces in the background over `seconds`; join() the thread, then read .where."""
    class T(threading.Thread):
        def run(self):
            self.where = produce(b.bootstrap, topic, events, PARTS, seconds=seconds)
    t = T()
    t.start()
    return t


def stopped_events(err):
    line = [l for l in err.splitlines() if '"msg":"stopped"' in l][-1]
    return int(line.split('"events":"')[1].split('"')[0])


def group_members(b, group):
    r = subprocess.run([os.path.join(ROOT, "scripts", "kafka"), "groups", "--dir", b.dir,
                        "--describe", "--group", group, "--members"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=60)
    # members that hold partitions (a member still joining shows 0)
    return sum(1 for l in r.stdout.splitlines()
               if l.startswith(group + " ") and l.split()[-1].isdigit() and int(l.split()[-1]))


def main():
    events, expected = build(20210302)
    phases = ("clean", "two", "term", "kill", "eos", "outage", "slow", "second", "frozen",
              "frozen-eos")
    topics = {f"iis-{k}": PARTS for k in phases}
    topics.update({f"alerts-{k}": 3 for k in phases})
    with Broker() as b:
        b.create_topics(**topics)

        # clean run over a preloaded topic
        where = produce(b.bootstrap, "iis-clean", events, PARTS)
        by_pos = {where[i]: i for i in range(N)}
        t0 = time.time()
        # more workers than partitions divide evenly: 6 partitions over 4 workers are 2,2,1,1
        # (a hash of topic and partition once left a worker with half the partitions)
        rc, err = finish(weir_run(b, "iis-clean", "clean", "alerts-clean", "--workers", "4"))
        assert rc == 0, err[-3000:]
        assert '"per_worker":"2,2,1,1"' in err, \
            [l for l in err.splitlines() if "partitions assigned" in l]
        assert stopped_events(err) == N
        # each worker's events, for seeing the load once partitions moved: they add up
        per = [l for l in err.splitlines() if '"msg":"workers"' in l]
        assert per, err[-3000:]
        counts = per[-1].split('"events_per_worker":"')[1].split('"')[0].split(",")
        assert len(counts) == 4 and sum(int(c) for c in counts) == N, per[-1]
        assert committed(b.bootstrap, "clean", "iis-clean", PARTS) == \
            end_offsets(b.bootstrap, "iis-clean", PARTS)
        check_alerts(b, "alerts-clean", events, expected, by_pos, allow_duplicates=False)
        log(f"clean: {N} events, {len(expected)} alerts, exact, {time.time() - t0:.1f} s")

        # two processes in one group: both joined before the events arrive
        p1 = weir_run(b, "iis-two", "two", "alerts-two", "--workers", "1", exit_eof=False)
        p2 = weir_run(b, "iis-two", "two", "alerts-two", "--workers", "1", exit_eof=False)
        deadline = time.time() + 60
        while group_members(b, "two") < 2:
            assert time.time() < deadline, "the two weir processes never both joined"
            time.sleep(1)
        where = produce(b.bootstrap, "iis-two", events, PARTS)
        by_pos = {where[i]: i for i in range(N)}
        ends = end_offsets(b.bootstrap, "iis-two", PARTS)
        wait_for_progress(b, "iis-two", "two", N, timeout=120)
        for p in (p1, p2):
            p.send_signal(signal.SIGTERM)
        (rc1, e1), (rc2, e2) = finish(p1, 30), finish(p2, 30)
        assert rc1 == 0 and rc2 == 0, (e1[-2000:], e2[-2000:])
        n1, n2 = stopped_events(e1), stopped_events(e2)
        assert n1 > 0 and n2 > 0 and n1 + n2 == N, (n1, n2)
        assert committed(b.bootstrap, "two", "iis-two", PARTS) == ends
        check_alerts(b, "alerts-two", events, expected, by_pos, allow_duplicates=False)
        log(f"two processes: {n1} + {n2} events, every alert once")

        # SIGTERM mid-stream: graceful, then resume
        t = live(b, "iis-term", events, seconds=8)
        p = weir_run(b, "iis-term", "term", "alerts-term", "--batch", "2000", exit_eof=False)
        wait_for_progress(b, "iis-term", "term", 20_000)
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        rc, err = finish(p, timeout=30)
        took = time.time() - t0
        assert rc == 0 and took < 10, (rc, took, err[-2000:])
        first = stopped_events(err)
        t.join()
        assert first < N, "SIGTERM came after the stream had ended: not mid-stream"
        by_pos = {t.where[i]: i for i in range(N)}
        rc, err = finish(weir_run(b, "iis-term", "term", "alerts-term"))
        assert rc == 0, err[-2000:]
        check_alerts(b, "alerts-term", events, expected, by_pos, allow_duplicates=False)
        log(f"SIGTERM after {first} events: exit 0 in {took:.1f} s; resumed, no loss, "
            "no duplicates")

        # SIGKILL mid-stream: at-least-once
        t = live(b, "iis-kill", events, seconds=8)
        p = weir_run(b, "iis-kill", "kill", "alerts-kill", "--batch", "2000", exit_eof=False)
        done = wait_for_progress(b, "iis-kill", "kill", 20_000)
        p.kill()
        p.wait()
        assert done < N, "SIGKILL came after the stream had ended: not mid-stream"
        dups = resume(b, "kill", events, expected, t)
        log(f"SIGKILL after {done} committed events: nothing lost, {dups} duplicate alerts "
            "(at-least-once)")

        # exactly-once: SIGKILL mid-stream, restart; a read_committed reader sees every alert
        # exactly once
        t = live(b, "iis-eos", events, seconds=8)
        p = weir_run(b, "iis-eos", "eos", "alerts-eos", "--delivery", "exactly-once",
                     "--batch", "2000", exit_eof=False)
        done = wait_for_progress(b, "iis-eos", "eos", 20_000)
        p.kill()
        p.wait()
        t.join()
        assert done < N, "SIGKILL came after the stream had ended: not mid-stream"
        by_pos = {t.where[i]: i for i in range(N)}
        rc, err = finish(weir_run(b, "iis-eos", "eos", "alerts-eos", "--delivery",
                                  "exactly-once"))
        assert rc == 0, err[-2000:]
        check_alerts(b, "alerts-eos", events, expected, by_pos, allow_duplicates=False,
                     read_committed=True)
        assert committed(b.bootstrap, "eos", "iis-eos", PARTS) == \
            end_offsets(b.bootstrap, "iis-eos", PARTS)
        # weir alerts --read-committed shows the same: every alert once, the killed run's
        # aborted ones left out (a read_uncommitted reader would see those too)
        r = subprocess.run([WEIR, "alerts", "--brokers", b.bootstrap, "--topic", "alerts-eos",
                            "--from-beginning", "--exit-eof", "--read-committed"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr[-2000:]
        shown = r.stdout.splitlines()
        assert len(shown) == len(expected), (len(shown), len(expected))
        log(f"exactly-once, SIGKILL after {done} committed events: read_committed sees every "
            f"alert once (weir alerts --read-committed: {len(shown)})")

        # broker outage mid-stream: a live stream, the broker stopped for 10 s in the middle
        t = live(b, "iis-outage", events, seconds=20)
        p = weir_run(b, "iis-outage", "outage", "alerts-outage", "--batch", "2000",
                     exit_eof=False)
        done = wait_for_progress(b, "iis-outage", "outage", 10_000)
        subprocess.run([os.path.join(ROOT, "scripts", "kafka"), "stop", "--dir", b.dir],
                       check=True, timeout=60)
        time.sleep(10)
        subprocess.run([os.path.join(ROOT, "scripts", "kafka"), "start", "--dir", b.dir],
                       check=True, timeout=180, stdout=subprocess.DEVNULL)
        t.join()
        assert done < N, "the outage came after the stream had ended"
        by_pos = {t.where[i]: i for i in range(N)}
        wait_for_progress(b, "iis-outage", "outage", N, timeout=300)  # caught up by itself
        assert p.poll() is None, "weir exited during the outage"
        p.send_signal(signal.SIGTERM)
        rc, err = finish(p, timeout=30)
        assert rc == 0, err[-3000:]
        dups = check_alerts(b, "alerts-outage", events, expected, by_pos, allow_duplicates=True)
        assert committed(b.bootstrap, "outage", "iis-outage", PARTS) == \
            end_offsets(b.bootstrap, "iis-outage", PARTS)
        log(f"broker down 10 s after {done} committed events: recovered by itself, nothing "
            f"lost, {dups} duplicates")

        # SIGTERM while the broker takes longer than --shutdown-timeout to acknowledge alerts
        # (held back by the producer's linger.ms): weir gives up at the deadline, exits 1 saying
        # what it left uncommitted, and a restart reads those events again; nothing lost
        t = live(b, "iis-slow", events, seconds=6)
        port = free_port()
        p = weir_run(b, "iis-slow", "slow", "alerts-slow", "--batch", "2000",
                     "--shutdown-timeout", "3", "--metrics", f"127.0.0.1:{port}",
                     exit_eof=False, env={"WEIR_KAFKA_PRODUCER": "linger.ms=20000"})
        head = wait_assigned(p)
        wait_for_alert(port)  # produced, and held by linger.ms: none acknowledged
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        rc, err = finish(p, timeout=60)
        err = head + err
        took = time.time() - t0
        assert rc == 1 and took < 3 + 5, (rc, took, err[-3000:])
        assert "shutdown_timeout (3.0 s) passed with" in err and "not committed" in err, \
            err[-3000:]
        dups = resume(b, "slow", events, expected, t)
        log(f"SIGTERM with alerts unacknowledged: exit 1 in {took:.1f} s (shutdown timeout "
            f"3 s); restarted, nothing lost, {dups} duplicates")

        # a second signal exits at once, whatever the shutdown is still waiting for
        port = free_port()
        p = weir_run(b, "iis-slow", "second", "alerts-second", "--shutdown-timeout", "60",
                     "--metrics", f"127.0.0.1:{port}", exit_eof=False,
                     env={"WEIR_KAFKA_PRODUCER": "linger.ms=20000"})
        head = wait_assigned(p)
        wait_for_alert(port)  # its alerts wait out linger.ms
        p.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert p.poll() is None, "weir did not wait for its alerts: nothing to interrupt"
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        rc, err = finish(p, timeout=30)
        took = time.time() - t0
        assert rc == 128 + signal.SIGTERM and took < 2, (rc, took, (head + err)[-3000:])
        log(f"second SIGTERM during a shutdown that waits: exit {rc} in {took:.2f} s")

        # SIGTERM with the broker frozen (SIGSTOP: connections open, nothing answers), where
        # leaving the group waited without end (librdkafka 2.0.2): exit 1 within the timeout
        t = live(b, "iis-frozen", events, seconds=6)
        p = weir_run(b, "iis-frozen", "frozen", "alerts-frozen", "--batch", "2000",
                     "--shutdown-timeout", "3", exit_eof=False)
        wait_for_progress(b, "iis-frozen", "frozen", 20_000)
        rc, err, took = term_frozen(b, p)
        assert rc == 1 and took < 3 + 5, (rc, took, err[-3000:])
        # with an alert in flight when it froze, the drain gives up first and says so; either
        # way the group could not be left
        assert "could not leave the consumer group" in err and \
            ("within shutdown_timeout (3.0 s)" in err or
             "shutdown_timeout (3.0 s) passed with" in err), err[-3000:]
        dups = resume(b, "frozen", events, expected, t)
        log(f"SIGTERM with the broker frozen: exit 1 in {took:.1f} s (shutdown timeout 3 s); "
            f"restarted, nothing lost, {dups} duplicates")

        # the same with exactly-once, where librdkafka's send_offsets_to_transaction ignores
        # its timeout while the coordinator is silent (librdkafka #5456): the watchdog ends
        # the process 5 s past the timeout where the pipeline's own bound cannot. Small
        # batches, most without an alert, and a second between the freeze and the signal: the
        # pipeline is then inside that call (5 runs of 7 on 2026-12-02; the others gave up
        # waiting for the alerts of a batch, in time, which is accepted too)
        t = live(b, "iis-frozen-eos", events, seconds=6)
        p = weir_run(b, "iis-frozen-eos", "frozen-eos", "alerts-frozen-eos", "--batch", "100",
                     "--delivery", "exactly-once", "--shutdown-timeout", "3", exit_eof=False)
        wait_for_progress(b, "iis-frozen-eos", "frozen-eos", 20_000)
        rc, err, took = term_frozen(b, p, pause=1)
        assert rc == 1 and took < 3 + 5 + 2, (rc, took, err[-3000:])
        why = ("shutdown did not finish 8.0 s after the signal" in err and "watchdog") or \
            ("shutdown_timeout (3.0 s) passed with" in err and "drain") or \
            ("could not leave the consumer group" in err and "group")
        assert why, err[-3000:]
        resume(b, "frozen-eos", events, expected, t, exactly_once=True)
        log(f"SIGTERM with the broker frozen, exactly-once: exit 1 in {took:.1f} s ({why}); "
            "restarted, read_committed sees every alert once")
    print("ok: streaming under faults")


if __name__ == "__main__":
    sys.exit(main())
