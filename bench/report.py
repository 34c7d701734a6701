#!/usr/bin/env python3
"""Turns bench.py's results.json into the one table: printed, and written with the machine's
description to a Markdown file (docs/performance.md for a full run)."""
import argparse
import datetime
import os

from report_agent import build_rows, table
from report_before_after import before_after_section
from report_dashboard import dashboard_section
from report_machine import load_summary, machine


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
    ap.add_argument("--dashboard", default="", help="bench/out/dashboard.json, if any")
    a = ap.parse_args()
    import json
    R = json.load(open(a.results))
    rows = build_rows(R)
    t = table(rows)
    samples, load = load_summary(a.loadavg, R)
    extra = before_after_section(R)
    dash = dashboard_section(a.dashboard)
    print(t)
    print()
    print(extra)
    print(dash)
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

**Load.** {load} Part of the load is the bench's own work (dockerd creating and starting up to
1000 containers between phases) and part is whatever else ran on the host, so latency tails
include scheduling delays that an idle host would not show; the floor was measured in the same
run under the same load.

## Results

{t}

{extra}
{dash}
{notes}"""
    # Sections written by hand or by other benches (portolan-lb, issue 14) follow this marker in
    # the file and survive a new run.
    marker = "<!-- below: kept by bench/report.py -->"
    try:
        with open(a.out) as f:
            old = f.read()
        if marker in old:
            doc = doc.rstrip("\n") + "\n\n" + old[old.index(marker):]
    except FileNotFoundError:
        pass
    with open(a.out, "w") as f:
        f.write(doc)


if __name__ == "__main__":
    main()
