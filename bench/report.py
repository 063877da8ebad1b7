"""weir-bench's report: results.json -> a Markdown table (ratios first, then absolute figures with
the machine) and gnuplot PNGs. Targets are those of the bench issue; a target missed is shown as
missed."""
import os
import subprocess


def _r(x, y):
    return x / y if x and y else float("nan")


def targets(res):
    """(what, measured ratio or value, target, met)"""
    out = []
    m, e = res.get("match", {}), res.get("e2e", {})
    eng1 = next((r for r in m.get("engine", []) if r["threads"] == 1), None)
    if eng1 and "ceiling" in m:
        v = _r(eng1["events_per_s"], m["ceiling"]["events_per_s"])
        out.append(("matcher / raw hs_scan ceiling, every match (1 thread)", f"{v:.2f}x",
                    ">= 0.7x", v >= 0.7))
    if eng1 and "pcre2" in m:
        v = _r(eng1["events_per_s"], m["pcre2"]["events_per_s"])
        out.append(("matcher / PCRE2-JIT loop (1 thread)", f"{v:.1f}x", ">= 10x", v >= 10))
    sc = {r["rules"]: r for r in m.get("scaling", [])}
    if 10 in sc and 1000 in sc:
        v = _r(sc[1000]["events_per_s"], sc[10]["events_per_s"])
        out.append(("1,000 rules / 10 rules (events/s)", f"{v:.2f}x", ">= 0.5x", v >= 0.5))
    kc = e.get("kcat_consume", {}).get("events_per_s")
    if kc and "at-least-once" in e:
        v = _r(e["at-least-once"]["events_per_s"], kc)
        out.append(("e2e at-least-once / kcat consume-only", f"{v:.2f}x", ">= 0.8x", v >= 0.8))
    if "kcat_grep_kcat" in e and "at-least-once" in e:
        v = _r(e["at-least-once"]["events_per_s"], e["kcat_grep_kcat"]["events_per_s"])
        out.append(("e2e at-least-once / kcat\\|grep\\|kcat", f"{v:.1f}x", ">= 5x", v >= 5))
    if kc and "exactly-once" in e:
        v = _r(e["exactly-once"]["events_per_s"], kc)
        out.append(("e2e exactly-once / kcat consume-only", f"{v:.2f}x", ">= 0.6x", v >= 0.6))
    if "latency" in res:
        v = res["latency"]["p99_ms"]
        out.append((f"p99 latency at {res['latency']['achieved_rate']:,.0f} events/s",
                    f"{v:.1f} ms", "< 100 ms", v < 100))
    rss = [e[k]["rss_mb"] for k in ("at-least-once", "exactly-once") if k in e]
    if rss:
        out.append(("peak RSS, weir run at full speed", f"{max(rss):.0f} MB", "< 512 MB",
                    max(rss) < 512))
    if "soak" in res:
        s = res["soak"]
        v = soak_growth(s)
        out.append((f"RSS growth over a {s['minutes']:g}-minute soak (last vs first quarter, "
                    "after minute 1)", f"{v:+.0f} MB", "stable", v < 16))
    return out


def _soak_quarters(s):
    """The soak's RSS samples (MB) of its first and last quarter, after minute 1."""
    later = [m for t, m in s["rss_mb"] if t >= 60] or [m for _, m in s["rss_mb"]]
    q = max(1, len(later) // 4)
    return later[:q], later[-q:]


def soak_growth(s):
    """What a leak would show: the median RSS of the soak's last quarter minus that of its first
    (after minute 1). The range alone is not it: jemalloc hands memory back and takes it again,
    so RSS swings by tens of MB (19-55 MB in one run) with no trend."""
    first, last = _soak_quarters(s)
    med = lambda xs: sorted(xs)[len(xs) // 2]
    return med(last) - med(first)


def soak_floors(s):
    """The lowest RSS of the soak's first and last quarter (after minute 1). When weir falls
    behind, librdkafka's prefetch and the queues fill and RSS rises with the backlog (bounded by
    their settings), then falls back once weir has caught up; a median then says how long weir
    was behind. A leak raises the floor, the RSS of a caught-up weir."""
    first, last = _soak_quarters(s)
    return min(first), min(last)


def _table(head, rows):
    """Markdown table lines: head is the column names, rows lists of already formatted cells."""
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + \
        ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


E2E = (("kcat_consume", "kcat consume-only (ceiling)"),
       ("kcat_default", "kcat consume-only, librdkafka's default prefetch (not the ceiling)"),
       ("at-least-once", "weir run, at-least-once"),
       ("exactly-once", "weir run, exactly-once"),
       ("pipeline_floor", "weir run, one rule that never fires (no matching work)"),
       ("kcat_grep_kcat", "kcat -C \\| grep -E -f \\| kcat -P"),
       ("kcat_grep_count", "kcat -C \\| grep -E -f \\| wc -l (no produce)"),
       ("python_re", "Python confluent-kafka + re"))


def _e2e_row(name, r):
    out = r.get("alerts", r.get("forwarded"))
    cpu = lambda k: f"{r[k]:.2f}" if k in r else "-"  # noqa: E731 (older results lack them)
    return [name, f"{r['seconds']:.2f}", f"{r['events_per_s']:,.0f}",
            f"{out:,}" if out is not None else "-",
            f"{r['rss_mb']:.0f}" if "rss_mb" in r else "-", cpu("cpu_s"), cpu("broker_cpu_s")]


def _latency_lines(res):
    lt = res["latency"]
    codec = res.get("settings", {}).get("load_compression")  # absent before 745bba2
    L = ["", f"Latency, event produced -> alert received, at {lt['achieved_rate']:,.0f} events/s "
         f"({lt['samples']} alerts after a {lt.get('warmup_s', 0):g} s warm-up" +
         (f"; the generator's batches {codec}-compressed" if codec and codec != "none" else
          "; the generator's batches uncompressed" if codec else "") + "): p50 "
         f"{lt['p50_ms']:.1f} ms, p99 {lt['p99_ms']:.1f} ms, p99.9 {lt['p999_ms']:.1f} ms, max "
         f"{lt['max_ms']:.1f} ms" +
         (f"; p99 with the warm-up counted {lt['p99_ms_with_warmup']:.1f} ms."
          if "p99_ms_with_warmup" in lt else ".") +
         (f" The broker had first carried {lt['broker_warmup_s']:g} s of the same load through "
          "another weir, untimed, so that its JIT was warm." if lt.get("broker_warmup_s") else "")]
    if "split_tail_ms" in lt:
        a, b = lt["split_p50_ms"], lt["split_tail_ms"]
        what = {"to the broker's append": "until the broker appended the event (the generator's "
                "linger, the broker taking it)",
                "to weir's read": "until weir's consumer read returned it (waiting for weir's "
                "fetch, in librdkafka's queue)",
                "in weir": "until weir called produce (its worker queue, the scan)",
                "to weir's produce call": "until weir called produce (waiting for weir's fetch, "
                "in weir's queue, scanned)",
                "to arrival": "until the alert arrived (weir's linger, the broker, the alert "
                "reader)"}
        parts = lt.get("split_parts") or ["to the broker's append", "to weir's produce call",
                                          "to arrival"]
        L += ["", "Where the time went, from the times inside each alert (to the millisecond), "
              "median: " + ", ".join(f"{v:g} ms {'more ' if i else ''}{what.get(n, n)}"
                                     for i, (n, v) in enumerate(zip(parts, a))) +
              "; for the slowest 1 % of alerts " +
              ", ".join(f"{v:g}" for v in b) + " ms."]
    if "weir_worker_queue_full_s" in lt:
        L += ["", f"Over the {lt.get('seconds', 0):g} s of load, weir's reading thread waited "
              f"{lt['weir_worker_queue_full_s']:.1f} s in all for room in its workers' queues "
              "(events meanwhile wait in librdkafka's queue, so that time counts before weir's "
              "read; near 0: the workers kept up)."]
    if lt.get("p99_ms_by_5s"):
        L += ["", "p99 of each 5-second window (seconds from the first event produced, warm-up "
              "included): " +
              ", ".join(f"{w}-{w + 5} s: {v:g} ms" for w, v in lt["p99_ms_by_5s"]) + "."]
    cores = res.get("machine", {}).get("cores") or 1
    if res.get("latency_sweep"):
        L += ["", "Latency at each rate (the first row is the one above); cores = CPU seconds per "
              "second of weir, the broker and the load generator during the load, busy = their "
              f"sum over the machine's {cores} cores, stolen = the share of the VM's CPU time "
              "its hypervisor gave to other guests meanwhile (/proc/stat):", ""] + _table(
            ["events/s", "p50 ms", "p99 ms", "p99.9 ms", "weir cores", "broker cores",
             "generator cores", "busy", "stolen"],
            [_latency_row(x, cores) for x in [lt] + res["latency_sweep"]])
    return L


def _latency_row(x, cores):
    row = [f"{x['achieved_rate']:,.0f}", f"{x['p50_ms']:.1f}", f"{x['p99_ms']:.1f}",
           f"{x['p999_ms']:.1f}"]
    c, sec = x.get("cpu_s"), x.get("seconds")
    if not c or not sec:  # results from before the CPU was recorded
        return row + ["-"] * 5
    per = [c[k] / sec for k in ("weir", "broker", "generator")]
    steal = f"{x['steal_share']:.0%}" if "steal_share" in x else "-"
    return row + [f"{v:.2f}" for v in per] + [f"{sum(per) / cores:.0%}", steal]


def markdown(res):
    mc, c = res.get("machine", {}), res.get("corpus", {})
    L = ["## weir-bench results", "",
         f"Machine: {mc.get('cpu')}, {mc.get('cores')} cores, {mc.get('memory_mb', 0) / 1024:.0f} "
         f"GiB, Linux {mc.get('kernel')}, {mc.get('os')}; {mc.get('weir')}; Kafka "
         f"{mc.get('kafka')} (single local broker, KRaft).",
         f"Corpus: {c.get('events', 0):,} events, {c.get('bytes', 0) / 1e6:.0f} MB in "
         f"{len(c.get('files', {}))} log formats, {c.get('attacks', 0)} attacks drawn from "
         f"{len(c.get('rules_drawn', []))} rules (seed {c.get('seed')}).", ""]
    L += _table(["target", "measured", "goal", "met"],
                [[what, v, goal, "yes" if met else "**no**"] for what, v, goal, met in targets(res)])
    m = res.get("match", {})
    if m:
        rows = [["weir engine (parse + match)", r["threads"], f"{r['events_per_s']:,.0f}",
                 f"{r['mb_per_s']:.0f}"] for r in m.get("engine", [])]
        for k, name in (("ceiling", "raw hs_scan, one database, no parsing (ceiling)"),
                        ("ceiling_first", "raw hs_scan, stopping at a line's first match"),
                        ("pcre2", "PCRE2-JIT loop over the same expressions"),
                        ("rg", "rg -f (count only)"), ("grep", "grep -E -i -f (count only)")):
            if k in m:
                rows.append([name, m[k].get("threads", 1), f"{m[k]['events_per_s']:,.0f}",
                             f"{m[k]['mb_per_s']:.0f}"])
        nr = len(m.get("ceiling", {}).get("runs_events_per_s", [0]))
        L += ["", "Matcher (events/s over the whole corpus, lines in memory; one thread: median "
              f"of {nr} interleaved rounds):", ""] + _table(
            ["contender", "threads", "events/s", "MB/s"], rows)
        e1 = m.get("engine", [{}])[0]
        if e1.get("memo_lookups"):
            L += ["", f"weir's memo of short field values (`filter/engine_memo.c`, 1 thread): "
                  f"{e1['memo_hits'] / e1['memo_lookups']:.0%} of {e1['memo_lookups']:,} lookups "
                  "found a value already scanned; the fewer values repeat in your logs, the "
                  "less it saves."]
        if m.get("scaling"):
            L += ["", "Rule count (generated webserver rules, IIS corpus, 1 thread):", ""] + _table(
                ["rules", "events/s", "compile ms", "database KiB", "scratch KiB"],
                [[f"{r['rules']:,}", f"{r['events_per_s']:,.0f}", f"{r['compile_ms']:.0f}",
                  f"{r['db_bytes'] / 1024:.0f}", f"{r['scratch_bytes'] / 1024:.0f}"]
                 for r in m["scaling"]])
    e = res.get("e2e", {})
    if e:
        rounds = len(e.get("at-least-once", {}).get("runs_s", [0]))
        L += ["", "End to end through the broker (wall clock, group join and startup included; "
              f"median of {rounds} interleaved runs, the Python one run once; peak RSS the highest; "
              "events out = alerts, or lines the script forwarded; CPU = user + system seconds "
              "of the contender's processes, and of the broker's JVM during the run):", ""] + _table(
            ["contender", "seconds", "events/s", "events out", "peak RSS MB", "CPU s",
             "broker CPU s"],
            [_e2e_row(name, e[k]) for k, name in E2E if k in e])
    if "latency" in res:
        L += _latency_lines(res)
    if "soak" in res:
        s = res["soak"]
        L += ["", f"Soak: {s['minutes']:g} minutes at {s['rate']:,.0f} events/s: RSS after the "
              f"first minute {s['rss_after_1min_min']:.0f}..{s['rss_after_1min_max']:.0f} MB, "
              f"{soak_growth(s):+.0f} MB from its first quarter to its last (medians); lowest "
              "RSS {:.0f} MB in the first quarter, {:.0f} MB in the last; ".format(*soak_floors(s)) +
              f"p99 latency {s['p99_ms']:.1f} ms" +
              (f"; CPU cores used: weir {s['cpu_s']['weir'] / (s['minutes'] * 60):.2f}, broker "
               f"{s['cpu_s']['broker'] / (s['minutes'] * 60):.2f}, load generator "
               f"{s['cpu_s']['generator'] / (s['minutes'] * 60):.2f}" if "cpu_s" in s else "") +
              (f"; {s['steal_share']:.0%} stolen" if "steal_share" in s else "") + "."]
    return "\n".join(L) + "\n"


def _plot(out, name, script, data):
    dat = os.path.join(out, name + ".dat")
    with open(dat, "w") as f:
        f.write(data)
    png = os.path.join(out, name + ".png")
    subprocess.run(["gnuplot"], input=f"set terminal pngcairo size 800,480 noenhanced\n"
                   f"set output '{png}'\nset grid\n" + script.replace("DATA", dat),
                   text=True, check=True, stderr=subprocess.DEVNULL)
    os.unlink(dat)
    return png


def plots(res, out):
    pngs = []
    m, e = res.get("match", {}), res.get("e2e", {})
    if m.get("engine"):
        data = "".join(f"{r['threads']} {r['events_per_s']}\n" for r in m["engine"])
        pngs.append(_plot(out, "threads", "set title 'weir engine: events/s vs threads'\n"
                          "set xlabel 'threads'\nset ylabel 'events/s'\nset xtics 1\n"
                          "set yrange [0:*]\nplot 'DATA' using 1:2 with linespoints lw 2 "
                          "title 'weir engine'\n", data))
    if m.get("scaling"):
        data = "".join(f"{r['rules']} {r['events_per_s']} {r['compile_ms']}\n"
                       for r in m["scaling"])
        pngs.append(_plot(out, "rules", "set title 'events/s and compile time vs rule count'\n"
                          "set logscale x\nset xlabel 'rules'\nset ylabel 'events/s'\n"
                          "set y2label 'compile ms'\nset ytics nomirror\nset y2tics\n"
                          "set yrange [0:*]\nplot 'DATA' using 1:2 with linespoints lw 2 title "
                          "'events/s', '' using 1:3 axes x1y2 with linespoints title "
                          "'compile ms'\n", data))
    rows = []
    for k, name in (("ceiling", "hs_scan ceiling"), ("pcre2", "PCRE2-JIT loop"), ("rg", "rg"),
                    ("grep", "grep -E")):
        if k in m:
            rows.append((name, m[k]["events_per_s"]))
    eng1 = next((r for r in m.get("engine", []) if r["threads"] == 1), None)
    if eng1:
        rows.insert(0, ("weir engine", eng1["events_per_s"]))
    for k, name in (("at-least-once", "weir e2e ALO"), ("exactly-once", "weir e2e EOS"),
                    ("pipeline_floor", "weir e2e, no matching"),
                    ("kcat_consume", "kcat consume"), ("kcat_grep_kcat", "kcat|grep|kcat"),
                    ("kcat_grep_count", "kcat|grep|wc"),
                    ("python_re", "python + re")):
        if k in e:
            rows.append((name, e[k]["events_per_s"]))
    if rows:
        data = "".join(f'"{n}" {v}\n' for n, v in rows)
        pngs.append(_plot(out, "baselines", "set title 'events/s, weir and baselines (same run)'\n"
                          "set style fill solid\nset boxwidth 0.6\nset logscale y\n"
                          "set xtics rotate by -30\nset ylabel 'events/s (log)'\n"
                          "plot 'DATA' using 0:2:xtic(1) with boxes notitle\n", data))
    return pngs
