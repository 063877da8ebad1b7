"""The consumer a SOC engineer would script: confluent-kafka + Python's re, one process.

  py_baseline.py BOOTSTRAP PATTERNS_FILE ALERTS_TOPIC EVENTS KEY=VALUE[,KEY=VALUE...] TOPIC...

Reads every topic from the beginning in a consumer group, tries every pattern of PATTERNS_FILE
(the same expressions weir compiles, as POSIX ERE, matched case-insensitively like Sigma) against
each event, produces each matching event to ALERTS_TOPIC, and commits at the end. Stops after
EVENTS events; prints how many it consumed and how many matched. The KEY=VALUE list is more
consumer properties (weir-bench passes those it gives every consumer it times).
"""
import re
import sys

from confluent_kafka import Consumer, Producer

bootstrap, patterns, alerts, want, props, topics = sys.argv[1], sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), dict(kv.split("=", 1) for kv in sys.argv[5].split(",")), sys.argv[6:]
# one compiled regex per rule expression, tried in turn: what such scripts do
res = [re.compile(p.encode(), re.I) for p in open(patterns).read().split("\n") if p]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-python",
              "auto.offset.reset": "earliest", "enable.auto.commit": False, **props})
p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
c.subscribe(topics)
n = hits = 0
while n < want:
    for m in c.consume(1000, 1.0):
        if m.error():
            continue
        n += 1
        v = m.value()
        if any(r.search(v) for r in res):
            hits += 1
            while True:
                try:
                    p.produce(alerts, v)
                    break
                except BufferError:
                    p.poll(0.05)
    p.poll(0)
p.flush(60)
c.commit(asynchronous=False)
c.close()
print(n, hits)
