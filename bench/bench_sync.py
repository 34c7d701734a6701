"""Phase sync: N running containers, agent start -> all N keys seen by a watcher, and a plain
client doing the same work as the floor."""
import concurrent.futures
import json
import threading
import time

from bench_children import Agent, LineSource, start_watcher, stop, wait_for
from bench_common import HOSTNAME, PREFIX, log, now_ns
from bench_docker_etcd import Docker, clean_keys
from bench_idle import mem_kb


def create_sync_containers(docker, have, want):
    names = [f"sync{i:04d}" for i in range(have, want)]
    t0 = time.monotonic()

    def mk(chunk):
        d = Docker(docker.sock)
        for name in chunk:
            d.run(name)
    workers = 4
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        list(ex.map(mk, [names[i::workers] for i in range(workers)]))
    log(f"created {len(names)} containers in {time.monotonic() - t0:.1f} s (now {want})")


def put_tracker():
    """The keys a watcher has seen put, the time of the newest put, and the line handler that
    fills both (watcher lines are "<ns> PUT <key>")."""
    keys = set()
    last = [0]

    def note(tag, line):
        f = line.split()
        if len(f) == 3 and f[1] == "PUT":
            keys.add(f[2])
            last[0] = int(f[0])
    return keys, last, note


def m_sync_once(a, etcd, n, keep=False, binary=None):
    """Agent start (fork) -> all n registry keys seen by an independent watcher."""
    clean_keys(etcd)
    src = LineSource()
    w = start_watcher(a, PREFIX + "/", src, "w")
    keys, last, note = put_tracker()

    agent = Agent(a, binary=binary)
    try:
        wait_for(src, lambda t, l: len(keys) >= n, 60, f"sync of {n}: {len(keys)} keys", note)
        took = last[0] - agent.t0
        time.sleep(2)   # settle: the log is written, the txn acks processed
        rss = mem_kb(agent.pid)
        if not agent.alive():
            raise RuntimeError("agent exited")
    finally:
        stop(w)
        if not keep:
            agent.stop()
    return took, rss, (agent if keep else None)


def m_sync_floor(a, docker, etcd, n):
    """A plain client doing the same work: list, inspect all (16 in flight), write key +
    detail record per service in txns of 128 ops, until a watcher sees all n keys."""
    etcd.delete_prefix("/floorsync/")
    src = LineSource()
    w = start_watcher(a, "/floorsync/s/", src, "w")
    keys, last, note = put_tracker()

    local = threading.local()

    def conn():
        if not hasattr(local, "d"):
            local.d = Docker(docker.sock)
        return local.d
    try:
        t0 = now_ns()
        lst = docker.req("GET", "/containers/json")

        def inspect(cid):
            return conn().req("GET", f"/containers/{cid}/json")
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            infos = list(ex.map(inspect, [c["Id"] for c in lst]))
        kvs = []
        for c in infos:
            name = c["Name"].lstrip("/")
            image = c["Config"]["Image"].split("/")[-1].split(":")[0]
            for port, binds in (c["NetworkSettings"]["Ports"] or {}).items():
                if not binds:
                    continue
                sid = f"{HOSTNAME}:{name}:{port.split('/')[0]}"
                kvs.append((f"/floorsync/s/{image}/{sid}", f"127.0.0.1:{binds[0]['HostPort']}"))
                kvs.append((f"/floorsync/d/{sid}", json.dumps({"id": sid, "name": image, "container": c["Id"]})))
        for i in range(0, len(kvs), 128):
            etcd.txn_puts(kvs[i:i + 128])
        wait_for(src, lambda t, l: len(keys) >= n, 60, f"floor sync of {n}", note)
        return last[0] - t0
    finally:
        stop(w)
        etcd.delete_prefix("/floorsync/")
