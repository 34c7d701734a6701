#!/usr/bin/env python3
"""Feed latency as the kernel sees it (called by bench/bench.py; python3 stdlib only).

  feed_probe.py --feed 127.0.0.1:PORT --etcd 127.0.0.1:PORT [--clients 100] [--probes 50]
                [--pid AGENT_PID] [--out RESULT.json]

Does what bench/feed-client.mjs does (N WebSocket clients on the agent's feed, each waits for
its initial snapshot, then P etcd puts of a new detail record, each matched with the `service`
`added` message every client receives), but every client is a plain TCP socket with
SO_TIMESTAMPNS on, read with recvmsg(2). A frame's arrival time is the kernel's receive
timestamp of the read that completed it, not the moment this script got round to that socket.
On loopback the kernel stamps a segment when the sender's write(2) hands it to the loopback
device (netif_rx, in the agent's own system call), so put -> kernel timestamp is the agent's
share (plus etcd's put -> watch), whatever this single receiver is doing.

What the kernel stamp of a TCP read is: the stamp of the NEWEST segment that read drained
(segments coalesced in the receive queue keep the newest stamp). So frames that one recvmsg
returns together share one stamp, and a frame that arrived earlier than the last segment of
its read is charged the later time: the figure can overstate a delay, never understate it.

Beside it, put -> the time this script's recvmsg returned (what a user-space receiver sees,
like the Node client's figure). All times are CLOCK_REALTIME nanoseconds (the kernel's
SO_TIMESTAMPNS is realtime too). Writes one JSON object to --out (or stdout); exits non-zero
with one line on stderr on any protocol fault or missed deadline.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import select
import socket
import struct
import sys
import time

from ws_frames import FrameError, FrameReader, masked_frame, self_test

# <asm-generic/socket.h>: SO_TIMESTAMPNS (the "old" one: a struct timespec of two longs, which
# is 64-bit on x86_64 and arm64). Python's socket module does not name it.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
HOST = "benchprobe"     # the record's host; feed-client.mjs uses "benchfeed"
PREFIX = f"/portolan/services/{HOST}/"
READ_BYTES = 256 * 1024


class ProbeError(Exception):
    pass


def now_ns():
    return time.time_ns()


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def pct(values, p):
    """Nearest-rank percentile (p in 0..100), as bench_common.py and report.py compute it."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


class Client:
    def __init__(self, cid, feed_host, feed_port):
        self.id = cid
        self.sock = socket.create_connection((feed_host, feed_port), timeout=10)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setblocking(False)
        self.key = b64(os.urandom(16))
        self.head = bytearray()     # the upgrade answer until its blank line
        self.upgraded = False
        self.reader = FrameReader()
        self.snapshot = False
        req = (f"GET /ws HTTP/1.1\r\nHost: {feed_host}:{feed_port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())

    def _upgrade(self, data):
        """Bytes after the upgrade answer's head, or None while the head is incomplete."""
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            if len(self.head) > 16384:
                raise ProbeError(f"client {self.id}: upgrade answer head over 16 KiB")
            return None
        lines = bytes(self.head[:end]).decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101 "):
            raise ProbeError(f"client {self.id}: upgrade refused: {lines[0]!r}")
        hdr = {}
        for line in lines[1:]:
            k, sep, v = line.partition(":")
            if not sep:
                raise ProbeError(f"client {self.id}: malformed header line {line!r}")
            hdr[k.strip().lower()] = v.strip()
        want = base64.b64encode(hashlib.sha1(self.key.encode() + WS_GUID).digest()).decode()
        if hdr.get("upgrade", "").lower() != "websocket" or \
                "upgrade" not in hdr.get("connection", "").lower() or \
                hdr.get("sec-websocket-accept") != want:
            raise ProbeError(f"client {self.id}: bad upgrade headers {hdr}")
        if "sec-websocket-extensions" in hdr:
            raise ProbeError(f"client {self.id}: server chose an extension we did not offer")
        self.upgraded = True
        rest = bytes(self.head[end + 4:])
        self.head = bytearray()
        return rest

    def read(self):
        """One recvmsg: ([text payloads completed by it], kernel_ns, read_ns); read_ns None when
        nothing was there. Control frames are handled here."""
        try:
            data, anc, flags, _ = self.sock.recvmsg(READ_BYTES, socket.CMSG_SPACE(16))
        except BlockingIOError:
            return [], None, None
        t_read = now_ns()
        if not data:
            raise ProbeError(f"client {self.id}: the agent closed the connection")
        t_kernel = kernel_stamp(anc, flags, f"client {self.id}")
        if not self.upgraded:
            data = self._upgrade(data)
            if data is None:
                return [], t_kernel, t_read
        msgs = self.reader.feed(data)
        for op, payload in msgs:
            if op == 9:       # the agent pings after 30 s of silence; answer like a client
                self.sock.sendall(masked_frame(10, payload))
            elif op == 8:
                raise ProbeError(f"client {self.id}: the agent sent a close frame {payload[:2]!r}")
            elif op == 2:
                raise ProbeError(f"client {self.id}: binary frame (the feed sends text only)")
        return [p for op, p in msgs if op == 1], t_kernel, t_read


def kernel_stamp(anc, flags, who):
    if flags & socket.MSG_CTRUNC:
        raise ProbeError(f"{who}: control data truncated")
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(cdata) >= 16:
            sec, nsec = struct.unpack_from("qq", cdata)
            return sec * 1_000_000_000 + nsec
    return None


class EtcdWatch:
    """An independent etcd watch of the probe's prefix (JSON gateway), stamped by the kernel
    like the feed sockets: put -> its stamp is etcd's share, the first feed socket's stamp minus
    it the agent's."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        body = json.dumps({"create_request": {"key": b64(PREFIX), "range_end": b64(PREFIX[:-1] + "0")}})
        self.sock.sendall((f"POST /v3/watch HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n{body}").encode())
        self.sock.setblocking(False)
        self.raw = bytearray()      # as read: head, then chunked framing
        self.body = bytearray()     # de-chunked
        self.head_done = self.chunked = self.created = False

    def read(self):
        """One recvmsg: [(key, kernel_ns)] of the PUT events it completed; None when nothing was there."""
        try:
            data, anc, flags, _ = self.sock.recvmsg(READ_BYTES, socket.CMSG_SPACE(16))
        except BlockingIOError:
            return None
        if not data:
            raise ProbeError("etcd closed the watch")
        t_kernel = kernel_stamp(anc, flags, "etcd watch")
        self.raw += data
        if not self.head_done:
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return []
            head = bytes(self.raw[:end]).decode("latin-1").lower()
            if not head.startswith("http/1.1 200"):
                raise ProbeError(f"etcd refused the watch: {head.splitlines()[0]!r}")
            self.chunked = "transfer-encoding: chunked" in head
            del self.raw[:end + 4]
            self.head_done = True
        if self.chunked:
            while (eol := self.raw.find(b"\r\n")) >= 0:
                size = int(bytes(self.raw[:eol]).split(b";")[0], 16)
                if len(self.raw) < eol + 2 + size + 2:
                    break
                self.body += self.raw[eol + 2:eol + 2 + size]
                del self.raw[:eol + 2 + size + 2]
        else:
            self.body += self.raw
            self.raw.clear()
        out = []
        while (eol := self.body.find(b"\n")) >= 0:
            line = bytes(self.body[:eol]).strip()
            del self.body[:eol + 1]
            if not line:
                continue
            res = json.loads(line).get("result", {})
            self.created |= bool(res.get("created"))
            for ev in res.get("events", []):
                if ev.get("type", "PUT") == "PUT":
                    out.append((base64.b64decode(ev["kv"]["key"]).decode(), t_kernel))
        return out


def schedstat(pid):
    """(CPU ns, run-queue wait ns) summed over the agent's threads (/proc/PID/task/*/schedstat)."""
    run = wait = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                r, w, _ = f.read().split()
        except (OSError, ValueError):
            continue     # a thread that ended meanwhile
        run, wait = run + int(r), wait + int(w)
    return run, wait


class Probe:
    def __init__(self, a):
        self.a = a
        fh, fp = a.feed.rsplit(":", 1)
        eh, ep = a.etcd.rsplit(":", 1)
        self.etcd = http.client.HTTPConnection(eh, int(ep), timeout=10)
        self.ep = select.epoll()
        t0 = now_ns()
        self.clients = [Client(i, fh, int(fp)) for i in range(a.clients)]
        for c in self.clients:
            self.ep.register(c.sock.fileno(), select.EPOLLIN)
        self.by_fd = {c.sock.fileno(): c for c in self.clients}
        self.watch = EtcdWatch(eh, int(ep))
        self.ep.register(self.watch.sock.fileno(), select.EPOLLIN)
        self.watch_seen = {}      # probe key -> kernel ns
        self.t_connect = t0
        self.current = None       # (probe number, put ns, {client id})
        self.kernel_ns, self.read_ns, self.lag_ns = [], [], []
        self.frames_per_read = {}   # frames in the read that completed a probe message -> count
        self.no_stamp = 0
        self.before_put = 0       # kernel stamp earlier than the put stamp: a clock fault

    def etcd_call(self, path, body):
        data = json.dumps(body).encode()
        for attempt in range(2):
            try:
                self.etcd.request("POST", path, body=data, headers={"Content-Type": "application/json"})
                r = self.etcd.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.etcd.close()
                if attempt:
                    raise
        if r.status != 200:
            raise ProbeError(f"etcd {path}: {r.status} {raw[:200]!r}")

    def pump(self, timeout):
        """Reads whatever is ready within timeout seconds (one epoll wait)."""
        for fd, _ in self.ep.poll(timeout):
            if fd == self.watch.sock.fileno():
                while (events := self.watch.read()) is not None:
                    for key, t in events:
                        self.watch_seen.setdefault(key, t)
                continue
            c = self.by_fd[fd]
            while True:
                texts, t_kernel, t_read = c.read()
                if t_read is None:
                    break
                for payload in texts:
                    self.message(c, payload, t_kernel, t_read, len(texts))

    def message(self, c, payload, t_kernel, t_read, frames_in_read):
        try:
            m = json.loads(payload.decode("utf-8"))   # strict UTF-8, as RFC 6455 requires
        except (UnicodeDecodeError, ValueError) as e:
            raise ProbeError(f"client {c.id}: a text frame that is not JSON: {e}")
        if not isinstance(m, dict) or "type" not in m:
            raise ProbeError(f"client {c.id}: a message without a type")
        if m["type"] == "snapshot":
            c.snapshot = True
            return
        if self.current is None or m["type"] != "service" or m.get("op") != "added":
            return
        probe, t_put, seen = self.current
        if m.get("service", {}).get("id") != f"{HOST}:probe-{probe}:1" or c.id in seen:
            return
        seen.add(c.id)
        if t_kernel is None:
            self.no_stamp += 1
        else:
            self.kernel_ns.append(t_kernel - t_put)
            self.lag_ns.append(t_read - t_kernel)
            if t_kernel < t_put:
                self.before_put += 1
        self.read_ns.append(t_read - t_put)
        self.frames_per_read[frames_in_read] = self.frames_per_read.get(frames_in_read, 0) + 1

    def wait(self, cond, seconds, what):
        deadline = time.monotonic() + seconds
        while not cond():
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProbeError(f"timed out after {seconds} s: {what}")
            self.pump(min(left, 0.5))

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.pump(left)

    def run(self):
        a = self.a
        n = len(self.clients)
        self.wait(lambda: self.watch.created, 10, "etcd did not confirm the watch")
        self.wait(lambda: all(c.snapshot for c in self.clients), 60,
                  f"only {sum(c.snapshot for c in self.clients)} of {n} clients got a snapshot")
        connect_ms = (now_ns() - self.t_connect) / 1e6
        self.drain(a.settle_s)
        la0 = os.getloadavg()
        missed, per_probe_first, per_probe_last, per_probe_watch = 0, [], [], []
        per_probe_cpu, per_probe_wait = [], []
        for p in range(a.probes):
            key = f"{PREFIX}{HOST}:probe-{p}:1"
            sid = f"{HOST}:probe-{p}:1"
            t0 = now_ns()
            value = json.dumps({"id": sid, "name": "probe", "host": HOST, "ip": "127.0.0.1", "port": 1,
                                "protocol": "tcp", "tags": [], "attributes": {"benchPutNs": str(t0)},
                                "containerId": "bench", "containerName": f"probe-{p}",
                                "image": "bench/probe", "key": f"/services/probe/{sid}",
                                "registeredAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t0 / 1e9))},
                               separators=(",", ":"))
            seen = set()
            s0 = schedstat(a.pid) if a.pid else None
            self.current = (p, t0, seen)
            got_before = len(self.kernel_ns)
            self.etcd_call("/v3/kv/put", {"key": b64(key), "value": b64(value)})
            try:
                self.wait(lambda: len(seen) == n and key in self.watch_seen, 5, f"probe {p}")
            except ProbeError:
                missed += n - len(seen)
            if key not in self.watch_seen:
                raise ProbeError(f"the independent etcd watch never saw {key}")
            per_probe_watch.append((self.watch_seen[key] - t0) / 1e6)
            if s0:   # the agent's CPU time and its time waiting for a CPU while this put went out
                s1 = schedstat(a.pid)
                per_probe_cpu.append((s1[0] - s0[0]) / 1e6)
                per_probe_wait.append((s1[1] - s0[1]) / 1e6)
            mine = self.kernel_ns[got_before:]
            # The first and last socket to get this put (None if none did): etcd + the agent's
            # reaction, and its fan-out.
            per_probe_first.append(min(mine) / 1e6 if mine else None)
            per_probe_last.append(max(mine) / 1e6 if mine else None)
            self.current = None
            self.drain((50 + random.random() * 30) / 1000)
        la1 = os.getloadavg()
        self.etcd_call("/v3/kv/deleterange", {"key": b64(PREFIX), "range_end": b64(PREFIX[:-1] + "0")})
        for c in self.clients:
            c.sock.close()
        self.watch.sock.close()
        ms = lambda v: [x / 1e6 for x in v]   # noqa: E731
        return {"tool": "bench/feed_probe.py", "clients": n, "probes": a.probes, "connect_ms": connect_ms,
                "missed": missed, "kernel_delays_ms": ms(self.kernel_ns), "read_delays_ms": ms(self.read_ns),
                "receiver_lag_ms": ms(self.lag_ns), "per_probe_watch_kernel_ms": per_probe_watch, "per_probe_first_kernel_ms": per_probe_first,
                "per_probe_last_kernel_ms": per_probe_last,
                "per_probe_agent_cpu_ms": per_probe_cpu, "per_probe_agent_runqueue_wait_ms": per_probe_wait,
                "frames_per_read": {str(k): v for k, v in sorted(self.frames_per_read.items())}, "frames_without_kernel_stamp": self.no_stamp,
                "kernel_stamp_before_put": self.before_put,
                "loadavg_probes_start": list(la0), "loadavg_probes_end": list(la1)}


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feed", required=True, help="the agent's feed, 127.0.0.1:PORT")
    ap.add_argument("--etcd", required=True, help="etcd's client URL host:port (JSON gateway)")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--probes", type=int, default=50)
    ap.add_argument("--settle-s", type=float, default=3.0, help="quiet time after every snapshot")
    ap.add_argument("--out", default="", help="result file (default: stdout)")
    ap.add_argument("--pid", type=int, default=0,
                    help="the agent: its CPU time and run-queue wait per put (schedstat)")
    a = ap.parse_args()
    if a.clients < 1 or a.probes < 1:
        sys.exit("feed_probe: --clients and --probes must be at least 1")
    try:
        r = Probe(a).run()
    except (ProbeError, FrameError, OSError, http.client.HTTPException) as e:
        sys.exit(f"feed_probe: {e}")
    if r["kernel_stamp_before_put"] or r["frames_without_kernel_stamp"]:
        sys.exit(f"feed_probe: {r['frames_without_kernel_stamp']} frames without a kernel timestamp, "
                 f"{r['kernel_stamp_before_put']} stamped before their put: the timestamps cannot be trusted")
    text = json.dumps(r) + "\n"
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    k, d, w = r["kernel_delays_ms"], r["read_delays_ms"], r["per_probe_watch_kernel_ms"]
    a1 = [f - x for f, x in zip(r["per_probe_first_kernel_ms"], w) if f is not None] or [0]
    if k:
        print(f"feed_probe: {r['clients']} clients, {r['probes']} puts, {len(k)} receipts, missed {r['missed']}: "
              f"put -> kernel receive p50 {pct(k, 50):.2f} / p99 {pct(k, 99):.2f} / max {max(k):.2f} ms; "
              f"put -> script read p50 {pct(d, 50):.2f} / p99 {pct(d, 99):.2f} / max {max(d):.2f} ms; "
              f"per put, put -> etcd watch p50 {pct(w, 50):.2f} / max {max(w):.2f} ms, "
              f"watch -> first feed socket p50 {pct(a1, 50):.2f} / max {max(a1):.2f} ms",
              file=sys.stderr)


if __name__ == "__main__":
    main()
