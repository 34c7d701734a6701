#!/usr/bin/env python3
"""Turns bench.py's results.json into the one table: printed, and written with the machine's
description to a Markdown file (docs/performance.md for a full run)."""
import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess

# Registrator, measured by the team earlier on this kind of machine (issue 6).
REGISTRATOR = {
    "start_p50": "3.0 ms", "start_p99": "8.6 ms", "die_p50": "2.0 ms",
    "sync100": "125 ms", "sync300": "340 ms", "rss100": "15 MB", "rss300": "16.6 MB",
}


def pct(values, p):
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""


def machine(agent, repo, commit, dirty):
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
    mem = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    osr = re.search(r'PRETTY_NAME="(.*)"', open("/etc/os-release").read())
    qt = sh("dpkg-query -W -f '${Version}' libqt6core6 2>/dev/null") or sh("qtpaths6 --qt-version")
    dirty = ", ".join(dirty.split())
    return [
        ("CPU", f"{cpu.group(1) if cpu else '?'}, nproc {os.cpu_count()}"),
        ("Memory", f"{mem / 1024 / 1024:.1f} GiB"),
        ("Kernel / OS", f"{platform.release()} / {osr.group(1) if osr else '?'}"),
        ("Docker", sh("dockerd --version")),
        ("etcd", sh("etcd --version | head -1")),
        ("Qt", qt),
        ("Node / Python", f"{sh('node --version')} / {platform.python_version()}"),
        ("Agent", f"`{agent}` (RelWithDebInfo), built from the working tree at commit {commit}"
                  + (f"; files differing from that commit (other engineers' work in progress): {dirty}"
                     if dirty else " (clean)")),
    ]


def ms(v):
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms"


def mib(kb):
    return f"{kb / 1024:.1f} MiB"


def ratio(a, b):
    return f"×{a / b:.1f}" if b else "—"


def met(ok):
    return "yes" if ok else "**no**"


def summary(ns):
    v = [x / 1e6 for x in ns]
    return {"p50": pct(v, 50), "p90": pct(v, 90), "p99": pct(v, 99), "n": len(v)}


def build_rows(R):
    rows = []
    floor = summary(R["floor_ns"])
    lat = R["latency"]
    st, die = summary(lat["start_to_key_ns"]), summary(lat["die_to_removal_ns"])
    n = st["n"]
    for q in ("p50", "p90", "p99"):
        tgt = "≤ 5 ms" if q == "p99" else "—"
        ok = met(st[q] <= 5) if q == "p99" else ""
        rows.append((f"Registration: `start` event → key in a watch, {q} (n={n})", ms(st[q]), ms(floor[q]),
                     ratio(st[q], floor[q]), tgt, ok, REGISTRATOR.get(f"start_{q}", "—")))
    for q in ("p50", "p90", "p99"):
        rows.append((f"Removal: `die` event → key deletion in a watch, {q} (n={die['n']})", ms(die[q]),
                     ms(floor[q]), ratio(die[q], floor[q]), "—", "", REGISTRATOR.get(f"die_{q}", "—")))
    for ev, key, total in (("start", "start_event_delivery_ns", "start_to_key_ns"),
                           ("die", "die_event_delivery_ns", "die_to_removal_ns")):
        if key in lat:
            e = summary(lat[key])
            rest = summary([t - d for t, d in zip(lat[total], lat[key])])
            rows.append((f"↳ {ev}, Docker's part: `timeNano` → a plain reader of the event stream has "
                         f"the event, p50 / p99", f"{ms(e['p50'])} / {ms(e['p99'])}", "", "", "", "", ""))
            rows.append((f"↳ {ev}, agent + etcd part: the plain reader has the event → key "
                         f"{'in' if ev == 'start' else 'gone from'} the watch, p50 / p99",
                         f"{ms(rest['p50'])} / {ms(rest['p99'])}", f"{ms(floor['p50'])} / {ms(floor['p99'])}",
                         f"{ratio(rest['p50'], floor['p50'])} / {ratio(rest['p99'], floor['p99'])}",
                         "", "", ""))
    targets = {"300": 120, "1000": 400}
    for N, s in R["sync"].items():
        runs = [r["ns"] / 1e6 for r in s["runs"]]
        floors = [f / 1e6 for f in s["floor_ns"]]
        med, fmed = statistics.median(runs), statistics.median(floors)
        rng = f" ({ms(min(runs))}–{ms(max(runs))})" if len(runs) > 1 else ""
        tgt = targets.get(N)
        rows.append((f"Startup sync of {N} running containers: agent start → all {N} keys seen, "
                     f"median of {len(runs)}", ms(med) + rng, ms(fmed), ratio(med, fmed),
                     f"≤ {tgt} ms" if tgt else "—", met(med <= tgt) if tgt else "",
                     REGISTRATOR.get(f"sync{N}", "—")))
    rows.append(("Agent RSS idle (started, 0 containers)", mib(lat["rss_idle_kb"]), "—", "", "—", "", "—"))
    for N, s in R["sync"].items():
        rss = statistics.median(r["rss_kb"] for r in s["runs"])
        big = N == list(R["sync"])[-1]
        rows.append((f"Agent RSS after syncing {N} services", mib(rss), "—", "",
                     "≤ 12 MB" if big else "—", met(rss / 1024 <= 12) if big else "",
                     REGISTRATOR.get(f"rss{N}", "—")))
    idle = R["idle"]
    rows.append((f"Agent CPU over {idle['window_s']:.0f} idle s with {idle['services']} services "
                 f"(schedstat; ticks: {idle['cpu_pct_ticks']:.3f} %)", f"{idle['cpu_pct_schedstat']:.3f} %",
                 "—", "", "< 0.1 %", met(idle["cpu_pct_schedstat"] < 0.1), "—"))
    f = R["feed"]
    d = f["delays_ms"]
    c = f["clients"]
    for q in (50, 99):
        v = pct(d, q)
        fl = floor[f"p{q}"]
        rows.append((f"Feed: etcd put → {c} WebSocket clients receive it, p{q} "
                     f"(n={len(d)}; {f['probes']} puts, {f['services'] if 'services' in f else R['idle']['services']} "
                     f"services known)", ms(v), ms(fl), ratio(v, fl),
                     "≤ 20 ms" if q == 99 else "—", met(v <= 20) if q == 99 else "", "—"))
    per = (f["rss_with_clients_kb"] - f["rss_before_clients_kb"]) / c
    rows.append((f"Feed memory per connected client (RSS {mib(f['rss_before_clients_kb'])} → "
                 f"{mib(f['rss_with_clients_kb'])} with {c} clients)", f"{per:.0f} KiB", "—", "", "—", "", "—"))
    rows.append(("Dashboard figures", "not measured: dashboard bench pending", "", "", "", "", "—"))
    return rows


def table(rows):
    head = ("Measure", "Portolan", "Floor", "Ratio to floor", "Target", "Met", "Registrator")
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def load_summary(path, R):
    samples = []
    if os.path.exists(path):
        for line in open(path):
            f = line.split()
            if len(f) >= 2:
                samples.append(float(f[1]))
    parts = []
    if samples:
        parts.append(f"1-minute load average sampled every 5 s during the run: min {min(samples):.2f}, "
                     f"mean {statistics.fmean(samples):.2f}, max {max(samples):.2f} "
                     f"({len(samples)} samples) on {os.cpu_count()} cores.")
    ph = ", ".join(f"{k} {v['loadavg_start'][0]:.2f}→{v['loadavg_end'][0]:.2f} ({v['seconds']:.0f} s)"
                   for k, v in R["phases"].items())
    parts.append(f"Per phase (1-minute load at start→end, duration): {ph}.")
    return samples, " ".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--loadavg", required=True)
    ap.add_argument("--agent", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--started", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--build-commit", default="unknown")
    ap.add_argument("--build-dirty", default="")
    a = ap.parse_args()
    import json
    R = json.load(open(a.results))
    rows = build_rows(R)
    t = table(rows)
    samples, load = load_summary(a.loadavg, R)
    print(t)
    print()
    print(load)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    mach = "\n".join(f"| {k} | {v} |" for k, v in machine(a.agent, a.repo, a.build_commit, a.build_dirty))
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "performance-notes.md")) as f:
        notes = f.read()
    doc = f"""# Performance

Measured by `bench/run.sh` (issue 6) on {date} (run started {a.started}). The runner starts its
own dockerd and etcd on loopback, measures the agent, and rewrites this file; raw samples are in
`bench/out/results.json`. Causes of missed targets are in [bench/FINDINGS.md](../bench/FINDINGS.md).

## Machine

| | |
|---|---|
{mach}

**Load.** {load} The machine was shared with other engineers' builds during the run, so
latency tails include scheduling delays that an idle host would not show; the floor was measured
in the same run under the same load.

## Results

{t}

{notes}"""
    with open(a.out, "w") as f:
        f.write(doc)


if __name__ == "__main__":
    main()
