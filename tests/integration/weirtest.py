"""Helpers for weir's integration tests: a real Kafka broker started with scripts/kafka, a
producer that records where each event landed, and readers for alerts and committed offsets.

Only Debian packages are used (python3-confluent-kafka, python3-msgpack), so the tests decode
weir's alerts with a msgpack library that weir itself does not use.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Consumer, Producer, TopicPartition, KafkaError
from confluent_kafka.admin import AdminClient, NewTopic
import msgpack

ROOT = os.environ.get("WEIR_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
WEIR = os.environ.get("WEIR_BIN") or os.path.join(ROOT, "build", "filter", "weir")
PATTERNS = os.path.join(ROOT, "patterns")
E2E_RULES = os.path.join(ROOT, "tests", "fixtures", "e2e", "exchange-web.yml")
ALERT_KEYS = {"@timestamp", "event.created", "event.original", "rules", "fields", "kafka",
              "weir.rules_version"}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    """A free loopback port (for weir's metrics endpoint)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A single-node KRaft broker in its own temp dir, stopped on exit (even on failure)."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="weir-kafka-")
        t0 = time.time()
        out = subprocess.run([os.path.join(ROOT, "scripts", "kafka"), "start", "--dir", self.dir],
                             check=True, stdout=subprocess.PIPE, text=True, timeout=300)
        self.bootstrap = out.stdout.strip().splitlines()[-1]
        log(f"broker up on {self.bootstrap} in {time.time() - t0:.1f} s")
        return self

    def __exit__(self, *exc):
        subprocess.run([os.path.join(ROOT, "scripts", "kafka"), "stop", "--dir", self.dir],
                       check=False, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)  # start kept it: the dir was ours

    def create_topics(self, **topics):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        fs = admin.create_topics([NewTopic(t, num_partitions=p, replication_factor=1)
                                  for t, p in topics.items()])
        for f in fs.values():
            f.result(timeout=60)


def produce(bootstrap, topic, events, partitions, seconds=0):
    """Produces events (bytes) round-robin over partitions; returns [(partition, offset)] in
    input order, from the broker's delivery reports. With seconds > 0 the events are spread
    over about that long, like a live stream."""
    where = [None] * len(events)
    chunk = max(1, len(events) // max(1, int(seconds * 20))) if seconds else 0
    t0 = time.time()
    errors = []

    def dr(err, msg, i):
        if err:
            errors.append(err)
        else:
            where[i] = (msg.partition(), msg.offset())

    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 20})
    for i, ev in enumerate(events):
        if chunk and i % chunk == 0:
            lag = t0 + seconds * i / len(events) - time.time()
            if lag > 0:
                time.sleep(lag)
        while True:
            try:
                p.produce(topic, ev, partition=i % partitions,
                          on_delivery=lambda err, msg, i=i: dr(err, msg, i))
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    assert p.flush(60) == 0, "producer could not flush"
    assert not errors, errors
    return where


def wait_stable(bootstrap, topic, partitions, timeout=60):
    """Waits until no partition of topic has a transaction still open: its last stable offset
    (the end a read_committed reader sees) equals its high watermark. commit_transaction
    returns once the coordinator has logged the commit; the markers that make the alerts
    visible are written after that, so a reader started right after weir exits can reach
    the end before the last transaction's alerts (a bench run once saw 36 of 52)."""
    deadline = time.time() + timeout
    while True:
        lso = end_offsets(bootstrap, topic, partitions, "read_committed")
        hwm = end_offsets(bootstrap, topic, partitions)
        still = [p for p in lso if lso[p] != hwm[p]]
        if not still:
            return
        assert time.time() < deadline, (f"{topic}: a transaction is still open on partitions "
                                        f"{still} after {timeout} s (LSO {lso}, HWM {hwm})")
        time.sleep(0.1)


def read_all(bootstrap, topic, read_committed=False, timeout=60):
    """Every message on topic, as (partition, offset, value), read to the end of each
    partition. read_committed: only committed transactions' messages, read once no
    transaction is left open (wait_stable)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-test-reader",
                  "enable.auto.commit": False, "enable.partition.eof": True,
                  "isolation.level": "read_committed" if read_committed else "read_uncommitted"})
    md = c.list_topics(topic, timeout=30)
    parts = list(md.topics[topic].partitions)
    if read_committed:
        wait_stable(bootstrap, topic, len(parts), timeout)
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    at_eof, out = set(), []
    deadline = time.time() + timeout
    while len(at_eof) < len(parts):
        assert time.time() < deadline, f"timed out reading {topic}"
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                at_eof.add(m.partition())
                continue
            raise RuntimeError(m.error())
        at_eof.discard(m.partition())
        out.append((m.partition(), m.offset(), m.value()))
    c.close()
    return out


def committed(bootstrap, group, topic, partitions):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    tps = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=30)
    c.close()
    return {tp.partition: tp.offset for tp in tps}


def end_offsets(bootstrap, topic, partitions, isolation="read_uncommitted"):
    """{partition: end offset}: the high watermark, or with read_committed the last stable
    offset (where a read_committed reader's partition ends)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-test-wm",
                  "isolation.level": isolation})
    out = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
           for p in range(partitions)}
    c.close()
    return out


def decode_alert(value):
    """Decodes one alert with python-msgpack (raw=False: str stays str, bin becomes bytes)."""
    a = msgpack.unpackb(value, raw=False)
    assert isinstance(a, dict), type(a)
    return a
