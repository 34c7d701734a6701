"""Phase feed: the agent's WebSocket feed under N clients, measured by bench/feed-client.mjs and
by bench/feed_probe.py (kernel-stamped plain sockets)."""
import http.client
import json
import os
import subprocess
import sys
import time

from bench_children import Agent
from bench_common import HOSTNAME, loadavg, log, wait_until
from bench_idle import rss_kb


def m_feed(a, docker, etcd, clients, probes):
    feed_port = a.feed_port
    agent = Agent(a, feed_port=feed_port)
    res = {}
    try:
        def services():
            c = http.client.HTTPConnection("127.0.0.1", feed_port, timeout=10)
            try:
                c.request("GET", f"/api/v1/services?host={HOSTNAME}")
                r = c.getresponse()
                return len(json.loads(r.read()).get("services", [])) if r.status == 200 else -1
            except OSError:
                return -1
            finally:
                c.close()
        wait_until(lambda: services() >= a.services, 90, f"feed shows {a.services} services", every=0.5)
        time.sleep(3)
        res["rss_before_clients_kb"] = rss_kb(agent.pid)
        res["loadavg_node_start"] = loadavg()
        out = subprocess.run(
            ["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "feed-client.mjs"),
             "--feed", f"127.0.0.1:{feed_port}", "--etcd", f"127.0.0.1:{a.etcd}",
             "--clients", str(clients), "--probes", str(probes), "--pid", str(agent.pid),
             "--out", os.path.join(a.work, "feed-client.json")],
            capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError("feed client failed: " + out.stderr[-2000:])
        with open(os.path.join(a.work, "feed-client.json")) as f:
            res.update(json.load(f))
        res["loadavg_node_end"] = loadavg()
        if not agent.alive():
            raise RuntimeError("agent exited")
        # The same puts, received by plain sockets stamped by the kernel (bench/feed_probe.py):
        # the agent's share, without the single Node receiver's queueing.
        la0 = loadavg()
        out = subprocess.run(
            [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "feed_probe.py"),
             "--feed", f"127.0.0.1:{feed_port}", "--etcd", f"127.0.0.1:{a.etcd}",
             "--clients", str(clients), "--probes", str(probes), "--pid", str(agent.pid),
             "--out", os.path.join(a.work, "feed-probe.json")],
            capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError("feed probe failed: " + out.stderr[-2000:])
        log(out.stderr.strip())
        with open(os.path.join(a.work, "feed-probe.json")) as f:
            res["probe"] = json.load(f)
        res["probe"]["loadavg_start"], res["probe"]["loadavg_end"] = la0, loadavg()
        if not agent.alive():
            raise RuntimeError("agent exited")
    finally:
        agent.stop()
    return res
