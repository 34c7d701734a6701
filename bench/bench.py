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
import base64
import collections
import concurrent.futures
import http.client
import json
import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

API = "/v1.41"
HOSTNAME = "benchhost"
PREFIX = "/services"          # the agent's registry prefix
IMAGE = "bench/sleeper"       # service name "sleeper"
CHILDREN = []                 # Popen objects to stop on exit
PHASES = ("floor", "latency", "plain", "sync", "idle", "feed")   # in the order they run
PIDFILE = None                # run.sh reads it to stop strays after a kill


# ------------------------------------------------------------------ small helpers

def now_ns():
    return time.time_ns()


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def prefix_end(p):
    b = bytearray(p.encode())
    b[-1] += 1
    return bytes(b)


def pct(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def summary_ms(samples_ns):
    ms = [s / 1e6 for s in samples_ns]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50": pct(ms, 50), "p90": pct(ms, 90), "p99": pct(ms, 99),
            "min": min(ms), "max": max(ms), "mean": statistics.fmean(ms)}


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def log(*a):
    print(time.strftime("%H:%M:%S"), "[bench]", *a, file=sys.stderr, flush=True)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Docker:
    def __init__(self, sock):
        self.sock = sock
        self.conn = UnixHTTPConnection(sock)

    def req(self, method, path, body=None, ok=(200, 201, 204, 304)):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in range(2):
            try:
                self.conn.request(method, API + path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = UnixHTTPConnection(self.sock)
                if attempt:
                    raise
        if r.status not in ok:
            raise RuntimeError(f"docker {method} {path}: {r.status} {raw[:400]!r}")
        return json.loads(raw) if raw and raw[:1] in (b"{", b"[") else None

    def run(self, name):
        c = self.req("POST", "/containers/create?name=" + name,
                     {"Image": IMAGE, "HostConfig": {"PublishAllPorts": True}})
        for attempt in range(200):
            try:
                self.req("POST", f"/containers/{c['Id']}/start")
                break
            except RuntimeError as e:
                # Another daemon on this machine (a test's) holds the host port this one picked;
                # a second start picks the next free port.
                if "address already in use" not in str(e) or attempt == 199:
                    raise
                log(f"{name}: host port taken by another process, starting again")
        return c["Id"]


class Etcd:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)

    def call(self, path, body):
        data = json.dumps(body).encode()
        for attempt in range(2):
            try:
                self.conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                if attempt:
                    raise
        if r.status != 200:
            raise RuntimeError(f"etcd {path}: {r.status} {raw[:200]!r}")
        return json.loads(raw)

    def put(self, key, value):
        return self.call("/v3/kv/put", {"key": b64(key), "value": b64(value)})

    def delete_prefix(self, p):
        return self.call("/v3/kv/deleterange", {"key": b64(p), "range_end": b64(prefix_end(p))})

    def count(self, p):
        r = self.call("/v3/kv/range", {"key": b64(p), "range_end": b64(prefix_end(p)), "count_only": True})
        return int(r.get("count", 0))

    def txn_puts(self, kvs):
        ops = [{"request_put": {"key": b64(k), "value": b64(v)}} for k, v in kvs]
        return self.call("/v3/kv/txn", {"success": ops})


# ------------------------------------------------------------------ child processes

class LineSource:
    """Lines from child processes (tagged), read one at a time with a deadline."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.buf = {}
        self.pending = collections.deque()

    def add(self, proc, tag):
        os.set_blocking(proc.stdout.fileno(), False)
        self.sel.register(proc.stdout.fileno(), selectors.EVENT_READ, tag)
        self.buf[tag] = b""

    def next(self, timeout):
        """The next (tag, line), or None when timeout seconds pass with nothing new."""
        if not self.pending:
            for key, _ in self.sel.select(timeout):
                tag = key.data
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    self.sel.unregister(key.fd)
                    raise RuntimeError(f"child '{tag}' closed its output")
                self.buf[tag] += chunk
                *full, self.buf[tag] = self.buf[tag].split(b"\n")
                self.pending.extend((tag, l.decode()) for l in full)
        return self.pending.popleft() if self.pending else None


def spawn(args, **kw):
    p = subprocess.Popen(args, **kw)
    CHILDREN.append(p)
    if PIDFILE:
        with open(PIDFILE, "a") as f:
            f.write(f"{p.pid}\n")
    return p


def stop(p, timeout=10):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
    if p in CHILDREN:
        CHILDREN.remove(p)


def start_watcher(a, prefix, src, tag):
    p = spawn([a.floor_tool, "watch", "--etcd", str(a.etcd), "--prefix", prefix],
              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    src.add(p, tag)
    wait_for(src, lambda t, l: t == tag and l == "READY", 10, f"watch {prefix} not created")
    return p


def wait_for(src, pred, timeout, what, on_line=None):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"timed out after {timeout} s: {what}")
        item = src.next(min(left, 1.0))
        if item is None:
            continue
        tag, line = item
        if on_line:
            on_line(tag, line)
        if pred(tag, line):
            return line


# ------------------------------------------------------------------ /proc

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def mem_kb(pid):
    """VmRSS, anonymous RSS and PSS (kB). PSS splits shared library pages between the processes
    mapping them; anonymous RSS is the agent's own heap and stacks."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "RssAnon:", "RssFile:")):
                out[line.split(":")[0].lower()] = int(line.split()[1])
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Pss:", "Pss_Anon:", "Pss_File:")):
                    out[line.split(":")[0].lower()] = int(line.split()[1])
    except OSError:
        pass
    return out


def cpu_ns(pid):
    """Run time of all threads, ns (schedstat), and utime+stime in clock ticks."""
    with open(f"/proc/{pid}/schedstat") as f:
        sched = int(f.read().split()[0])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])   # utime, stime (fields 14 and 15)
    return sched, ticks


# ------------------------------------------------------------------ the agent

class Agent:
    n = 0

    def __init__(self, a, feed_port=None, binary=None):
        Agent.n += 1
        self.log = os.path.join(a.work, f"agent.bench{Agent.n}.log")
        args = [binary or a.agent, f"-hostname={HOSTNAME}", "-ip=127.0.0.1"]
        if feed_port:
            args.append(f"-feed=127.0.0.1:{feed_port}")
        args.append(f"etcd://127.0.0.1:{a.etcd}{PREFIX}")
        env = dict(os.environ, DOCKER_HOST="unix://" + a.sock)
        self.t0 = now_ns()
        self.proc = spawn(args, env=env, stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        stop(self.proc)


def clean_keys(etcd):
    etcd.delete_prefix(PREFIX + "/")
    etcd.delete_prefix("/portolan/")


def service_name_of_key(key):
    # /services/sleeper/benchhost:lat-0001:6379 -> lat-0001
    return key.rsplit("/", 1)[1].split(":")[1]


# ------------------------------------------------------------------ measurements

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


def wait_until(cond, timeout, what, every=0.05):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s: {what}")
        time.sleep(every)


def remove_containers(docker, ids):
    def rm(cid):
        Docker(docker.sock).req("DELETE", f"/containers/{cid}?force=1&v=1", ok=(204, 404))
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        list(ex.map(rm, ids))


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


def m_sync_once(a, etcd, n, keep=False, binary=None):
    """Agent start (fork) -> all n registry keys seen by an independent watcher."""
    clean_keys(etcd)
    src = LineSource()
    w = start_watcher(a, PREFIX + "/", src, "w")
    keys = set()
    last = [0]

    def note(tag, line):
        f = line.split()
        if len(f) == 3 and f[1] == "PUT":
            keys.add(f[2])
            last[0] = int(f[0])

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
    keys = set()
    last = [0]

    def note(tag, line):
        f = line.split()
        if len(f) == 3 and f[1] == "PUT":
            keys.add(f[2])
            last[0] = int(f[0])

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


def cmd_run(a):
    global PIDFILE
    PIDFILE = os.path.join(a.work, "bench-children.pids")
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

    def idle():
        time.sleep(3)
        rss = rss_kb(agent.pid)
        mem = mem_kb(agent.pid)
        s0, k0, w0 = *cpu_ns(agent.pid), now_ns()
        time.sleep(a.idle_s)
        s1, k1, w1 = *cpu_ns(agent.pid), now_ns()
        hz = os.sysconf("SC_CLK_TCK")
        r = {"rss_kb": rss, "mem_kb": mem, "services": a.sync[-1], "window_s": (w1 - w0) / 1e9,
             "cpu_pct_schedstat": 100.0 * (s1 - s0) / (w1 - w0),
             "cpu_pct_ticks": 100.0 * (k1 - k0) / hz / ((w1 - w0) / 1e9)}
        agent.stop()
        return r
    if "idle" in want:
        R["idle"] = phase("idle", idle)
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
