"""Phases floor, latency and plain: bare etcd and Docker floors, and Docker event -> registry key
latency of the agent or of bench/floor react standing in for it."""
import json
import subprocess
import time

from bench_children import Agent, LineSource, spawn, start_watcher, stop, wait_for
from bench_common import HOSTNAME, IMAGE, PREFIX, loadavg, log, wait_until
from bench_docker_etcd import clean_keys, remove_containers, service_name_of_key
from bench_idle import mem_kb, rss_kb


def m_floor(a, etcd, n):
    """Bare etcd (bench/floor etcd): put -> an independent watch has it, then delete -> the watch
    has the deletion, n keys one after another on one kept-alive connection."""
    out = subprocess.run([a.floor_tool, "etcd", "--etcd", str(a.etcd), "--n", str(n)],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError("floor etcd failed: " + out.stderr[-2000:])
    etcd.delete_prefix("/benchfloor/")
    r = json.loads(out.stdout)
    return r["put_ns"], r["delete_ns"]


def m_inspect_floor(a, ids):
    """One bare inspect per running container (bench/floor inspect, one kept-alive connection)."""
    out = subprocess.run([a.floor_tool, "inspect", "--sock", a.sock, *ids],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError("floor inspect failed: " + out.stderr[-2000:])
    return json.loads(out.stdout)["inspect_ns"]


class PlainClient:
    """bench/floor react: the least an agent can do, as a process the latency series can measure
    like the agent (on start one inspect and one put, on die one delete)."""

    def __init__(self, a, src):
        self.proc = spawn([a.floor_tool, "react", "--sock", a.sock, "--etcd", str(a.etcd),
                           "--prefix", f"{PREFIX}/{IMAGE.split('/')[-1]}/{HOSTNAME}:"],
                          stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        src.add(self.proc, "r")
        wait_for(src, lambda t, l: t == "r" and l == "READY", 10, "plain client ready")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        stop(self.proc)


def m_latency(a, docker, etcd, n, binary=None, plain=False):
    """Docker start event -> key seen by a watcher; die event -> key deletion seen. With plain,
    bench/floor react stands in for the agent (the end-to-end floor under the same conditions)."""
    clean_keys(etcd)
    src = LineSource()
    w = start_watcher(a, PREFIX + "/", src, "w")
    ev = spawn([a.floor_tool, "events", "--sock", a.sock], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    src.add(ev, "e")
    wait_for(src, lambda t, l: t == "e" and l == "READY", 10, "docker events stream")
    agent = PlainClient(a, src) if plain else Agent(a, binary=binary)
    res = {}
    ids = {}
    try:
        if not plain:
            wait_until(lambda: etcd.count(f"/portolan/hosts/{HOSTNAME}") == 1, 20, "agent host record")
            time.sleep(3)
            res["rss_idle_kb"] = rss_kb(agent.pid)
            res["mem_idle_kb"] = mem_kb(agent.pid)
            res["agent_idle_loadavg"] = loadavg()
        seen = {}   # (kind, name) -> ns

        def note(tag, line):
            f = line.split()
            if tag == "e" and len(f) == 4:
                seen[(f[2], f[3])] = int(f[0])
                seen[("recv-" + f[2], f[3])] = int(f[1])
            elif tag == "w" and len(f) == 3 and f[2].startswith(PREFIX + "/"):
                seen[(f[1], service_name_of_key(f[2]))] = int(f[0])

        start_s, die_s, start_ev, die_ev = [], [], [], []
        for i in range(n):
            name = f"lat-{i:04d}"
            ids[name] = docker.run(name)
            wait_for(src, lambda t, l: ("start", name) in seen and ("PUT", name) in seen, 15,
                     f"{name}: start event and key", note)
            start_s.append(seen[("PUT", name)] - seen[("start", name)])
            start_ev.append(seen[("recv-start", name)] - seen[("start", name)])
            if not agent.alive():
                raise RuntimeError("agent exited")
        log(f"latency: {n} starts done")
        if not plain:   # Docker is idle now: one bare inspect of each running container
            res["inspect_floor_ns"] = m_inspect_floor(a, list(ids.values()))
        for i in range(n):
            name = f"lat-{i:04d}"
            docker.req("POST", f"/containers/{ids[name]}/kill")
            wait_for(src, lambda t, l: ("die", name) in seen and ("DELETE", name) in seen, 15,
                     f"{name}: die event and key removal", note)
            die_s.append(seen[("DELETE", name)] - seen[("die", name)])
            die_ev.append(seen[("recv-die", name)] - seen[("die", name)])
        log(f"latency: {n} kills done")
        if not plain:   # what stays resident once events have flowed (pages fault back in)
            time.sleep(1)
            res["mem_after_events_kb"] = mem_kb(agent.pid)
        res["start_to_key_ns"] = start_s
        res["die_to_removal_ns"] = die_s
        # Docker's own part: timeNano -> a plain reader of the event stream has the event
        res["start_event_delivery_ns"] = start_ev
        res["die_event_delivery_ns"] = die_ev
    finally:
        agent.stop()
        stop(w)
        stop(ev)
    remove_containers(docker, list(ids.values()))
    return res
