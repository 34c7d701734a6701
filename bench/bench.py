#!/usr/bin/env python3
"""Portolan benchmark driver (see bench/run.sh, which sets up dockerd and etcd and calls this).

  bench.py run --sock S --etcd PORT --agent BIN --floor-tool BIN --work DIR --out results.json
                                               every measurement, in order; results as JSON

The watchers, the Docker event reader and every floor are bench/floor (a plain C++ client on
raw sockets, built by run.sh): it stamps each message right after the read(2) that completed it.

Every wait is bounded; every child (watchers, agents, the feed client) is stopped on exit.
Times are CLOCK_REALTIME nanoseconds (Docker's timeNano is too), all on this one machine.
"""
import argparse
import json
import os
import signal
import sys
import time

# The phases live in bench_*.py next to this file: found by path even under -P, and no
# __pycache__ is left in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_children  # noqa: E402
from bench_children import CHILDREN, stop  # noqa: E402
from bench_common import loadavg, log  # noqa: E402
from bench_docker_etcd import Docker, Etcd  # noqa: E402
from bench_feed import m_feed  # noqa: E402
from bench_idle import m_idle  # noqa: E402
from bench_latency import m_floor, m_latency  # noqa: E402
from bench_sync import create_sync_containers, m_sync_floor, m_sync_once  # noqa: E402

PHASES = ("floor", "latency", "plain", "sync", "idle", "feed")   # in the order they run


def cmd_run(a):
    bench_children.PIDFILE = os.path.join(a.work, "bench-children.pids")
    docker, etcd = Docker(a.sock), Etcd(a.etcd)
    R = {"phases": {}}

    def phase(name, fn):
        log(f"phase {name} ...")
        la0, t0 = loadavg(), time.monotonic()
        v = fn()
        R["phases"][name] = {"loadavg_start": la0, "loadavg_end": loadavg(),
                             "seconds": round(time.monotonic() - t0, 1)}
        log(f"phase {name} done in {time.monotonic() - t0:.1f} s, load {loadavg()}")
        return v

    def save():
        with open(a.out + ".partial", "w") as f:
            json.dump(R, f, indent=1)

    # BENCH_PHASES (run.sh) measures a subset, e.g. only the feed; the report then shows only those.
    want = set(a.phases.split(",")) if a.phases else set(PHASES)
    if want - set(PHASES):
        raise SystemExit(f"unknown phase(s) {','.join(sorted(want - set(PHASES)))}; known: {','.join(PHASES)}")
    if "idle" in want and "sync" not in want:
        raise SystemExit("phase idle measures the agent that synced the last N: it needs phase sync")
    R["phases_selected"] = [p for p in PHASES if p in want]
    if "floor" in want:
        R["floor_ns"], R["floor_delete_ns"] = phase("floor", lambda: m_floor(a, etcd, a.floor_n))
        save()
    if "latency" in want:
        R["latency"] = phase("latency", lambda: m_latency(a, docker, etcd, a.latency_n))
        save()
    if "plain" in want:
        R["plain"] = phase("plain", lambda: m_latency(a, docker, etcd, min(a.latency_n, a.before_latency_n),
                                                      plain=True))
        save()
    if a.agent_before and "latency" in want:
        # The same measurements of an earlier build, in the same run and under the same load.
        R["before"] = {"agent": a.agent_before}
        R["before"]["latency"] = phase("latency_before", lambda: m_latency(
            a, docker, etcd, min(a.latency_n, a.before_latency_n), binary=a.agent_before))
        save()

    R["sync"] = {}
    have = 0
    agent = None
    for n in (a.sync if "sync" in want else []):
        def one(n=n):
            nonlocal have, agent
            create_sync_containers(docker, have, n)
            have = n
            runs, before = [], []
            for rep in range(a.reps):
                if a.agent_before:   # interleaved, so both builds see the same load
                    took, mem, _ = m_sync_once(a, etcd, n, binary=a.agent_before)
                    before.append({"ns": took, "rss_kb": mem["vmrss"], "mem_kb": mem})
                keep = (n == a.sync[-1] and rep == a.reps - 1)
                took, mem, ag = m_sync_once(a, etcd, n, keep=keep)
                runs.append({"ns": took, "rss_kb": mem["vmrss"], "mem_kb": mem})
                if ag:
                    agent = ag
            floors = [m_sync_floor(a, docker, etcd, n) for _ in range(a.reps)]
            out = {"runs": runs, "floor_ns": floors}
            if before:
                out["runs_before"] = before
            return out
        R["sync"][str(n)] = phase(f"sync{n}", one)
        save()
    if "feed" in want and "sync" not in want:   # the feed's agent syncs the largest N, as in a full run
        create_sync_containers(docker, 0, a.sync[-1])
    if "idle" in want:
        R["idle"] = phase("idle", lambda: m_idle(a, agent))
        save()
    elif agent:
        agent.stop()
    a.services = a.sync[-1]
    if "feed" in want:
        # BENCH_FEED_REPS: the feed phase again with a fresh agent, each under its own load;
        # the table's feed rows are the first repetition's, every one is listed below them.
        reps = []
        for rep in range(a.feed_reps):
            reps.append(phase("feed" if rep == 0 else f"feed{rep + 1}",
                              lambda: m_feed(a, docker, etcd, a.clients, a.probes)))
            reps[-1]["services"] = a.services
        R["feed"] = reps[0]
        if a.feed_reps > 1:
            R["feed_reps"] = reps
    with open(a.out, "w") as f:
        json.dump(R, f, indent=1)
    log("results in", a.out)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--sock", required=True)
    r.add_argument("--etcd", type=int, required=True)
    r.add_argument("--agent", required=True)
    r.add_argument("--floor-tool", required=True, help="bench/floor, built")
    r.add_argument("--work", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--feed-port", type=int, required=True)
    r.add_argument("--floor-n", type=int, default=200)
    r.add_argument("--latency-n", type=int, default=200)
    r.add_argument("--sync", default="100,300,1000")
    r.add_argument("--reps", type=int, default=3)
    r.add_argument("--idle-s", type=int, default=60)
    r.add_argument("--clients", type=int, default=100)
    r.add_argument("--probes", type=int, default=50)
    r.add_argument("--agent-before", default="",
                   help="an earlier build: its sync and latency are measured in the same run")
    r.add_argument("--before-latency-n", type=int, default=100)
    r.add_argument("--feed-reps", type=int, default=1)
    r.add_argument("--phases", default="", help=f"comma-separated subset of {','.join(PHASES)} (default all)")
    a = ap.parse_args()

    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    try:
        a.sync = [int(x) for x in a.sync.split(",")]
        cmd_run(a)
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        for p in list(CHILDREN):
            stop(p, 5)


if __name__ == "__main__":
    main()
