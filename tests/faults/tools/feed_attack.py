#!/usr/bin/env python3
"""Attacks on the agent's feed HTTP boundary for tests/faults/feed_boundary.sh and
feed_slow_clients.sh (issue 15). Standard library only, raw sockets, our own WebSocket framing
(the mask bit is ours to set). Every subcommand talks to 127.0.0.1 only and prints one summary
line ("key=value ..."), which the scripts parse and quote.

  feed_attack.py PORT request [--method M] [--target T] [--version V] [--host H | --no-host]
                 [--header 'N: v']... [--body N] [--ws] [--eof-within S]
        one raw request; prints "status=NNN" (or status=none and why), the response headers
        it got and, with --eof-within, whether the server closed within S seconds after it.
  feed_attack.py PORT bighead --kind header|url|many [--conns 3] [--mb 200] [--min-seconds 3]
                 [--max-seconds 60] [--pid PID] [--rss-cap-mb 1500]
        header: "GET /api/v1/hosts", a Host, then "X-A: " and MB MiB of 'a' on each connection;
        url: a request target of MB MiB; many: 70,000 small header fields. Sends until the
        server answers or closes (EPIPE/ECONNRESET tolerated), opening a new connection in that
        slot (0.2 s later) until --min-seconds have passed, so the attack lasts at least that
        long. Stops at --max-seconds or when the agent's RSS passes --rss-cap-mb.
  feed_attack.py PORT pingflood [--mb 1024] [--max-seconds 60] [--stall-seconds 15] [--pid PID]
                 [--rss-cap-mb 1500]
        upgrades /ws, never reads (4 KiB receive buffer), sends masked 125-byte pings until MB MiB
        are sent, the server cuts the connection, nothing moves for --stall-seconds, or a cap.
  feed_attack.py PORT slowloris [--conns 100] [--interval 5] [--check-at 20]
        each connection sends "GET / HTTP/1.1" and a Host, then one byte every --interval s;
        prints how many the server cut and when (seconds after the first byte), and how many
        were still open at --check-at seconds.
  feed_attack.py PORT pipeline --targets T1,T2,...
        all requests in one write on one connection; reads the answers by Content-Length and
        prints which target each answer belongs to, in arrival order.
  feed_attack.py PORT pipeflood [--n 20000] [--target T] [--send-seconds 5] [--hold 5]
        N pipelined requests sent (non-blocking, for at most --send-seconds) on a connection
        that never reads (4 KiB receive buffer), held for --hold s, then closed.
  feed_attack.py PORT upgrades [--n 200] [--query Q] [--header 'N: v']...
        N WebSocket upgrades one after the other; prints the count of each status.
  feed_attack.py PORT hold [--n 256] [--query Q] [--seconds 60] [--stop-file F]
        holds N upgraded clients (prints "held=N" once they are all up) until F exists or S s.
  feed_attack.py PORT head [--target /]
        HEAD then GET on one connection; compares status and headers with a separate GET and
        checks that the HEAD answer has no body (the GET's answer follows right after it).
  feed_attack.py PORT unmasked [--query Q]
        upgrades /ws, reads the greeting, sends an unmasked text frame, prints the close code.
"""
import argparse
import base64
import errno
import os
import selectors
import socket
import struct
import sys
import time

HOST = "127.0.0.1"
RESET_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def now():
    return time.monotonic()


def rss_kb(pid):
    if not pid:
        return 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def connect(port, rcvbuf=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((HOST, port))
    return s


def ws_key():
    return base64.b64encode(os.urandom(16)).decode()


def build_request(port, method="GET", target="/", version="HTTP/1.1", host=None, no_host=False,
                  headers=(), body=0, ws=False):
    lines = [f"{method} {target} {version}"]
    if not no_host:
        lines.append(f"Host: {host if host is not None else f'{HOST}:{port}'}")
    if ws:
        lines += ["Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {ws_key()}",
                  "Sec-WebSocket-Version: 13"]
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + b"b" * body


class Reader:
    """Reads HTTP/1.1 answers off a blocking socket: head, then a body framed by
    Content-Length (none for 1xx, 204, 304 and answers to HEAD)."""

    def __init__(self, sock):
        self.s = sock
        self.buf = b""
        self.eof = False
        self.error = None

    def _fill(self):
        try:
            chunk = self.s.recv(65536)
        except socket.timeout:
            self.error = "timeout"
            return False
        except RESET_ERRORS as e:
            self.error = f"reset ({e.__class__.__name__})"
            return False
        if not chunk:
            self.eof = True
            self.error = "eof"
            return False
        self.buf += chunk
        return True

    def response(self, head_request=False):
        """(status, [(name, value)], body) or None (see .error)."""
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        try:
            status = int(parts[1])
        except (IndexError, ValueError):
            self.error = f"bad status line {lines[0][:80]!r}"
            return None
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        length = 0
        if not head_request and status >= 200 and status not in (204, 304):
            for name, value in headers:
                if name == "content-length":
                    length = int(value)
            if any(n == "transfer-encoding" for n, _ in headers):
                self.error = "chunked answer (the contract says Content-Length only)"
                return status, headers, None
        while len(self.buf) < length:
            if not self._fill():
                return status, headers, None
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def eof_within(self, seconds):
        """Seconds until the server closed (EOF or reset), or None when it kept it open."""
        t0 = now()
        self.s.settimeout(0.2)
        while now() - t0 < seconds:
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                continue
            except RESET_ERRORS:
                return now() - t0
            if not chunk:
                return now() - t0
            self.buf += chunk
        return None


def header(headers, name):
    for n, v in headers:
        if n == name:
            return v
    return None


# ------------------------------------------------------------------ request


def cmd_request(a):
    if a.target is None:
        a.target = "/ws" if a.ws else "/"
    s = connect(a.port, timeout=a.timeout)
    data = build_request(a.port, a.method, a.target, a.version, a.host, a.no_host, a.header,
                         a.body, a.ws)
    try:
        s.sendall(data)
    except RESET_ERRORS as e:
        print(f"status=none send-{e.__class__.__name__}")
        return
    r = Reader(s)
    got = r.response(head_request=a.method == "HEAD")
    if got is None:
        print(f"status=none {r.error}")
        return
    status, headers, body = got
    out = f"status={status}"
    if a.show_body and body is not None:
        out += f" body={body[:200].decode('utf-8', 'replace')!r}"
    if a.eof_within is not None:
        if status == 101:
            out += " eof=n/a"
        else:
            t = r.eof_within(a.eof_within)
            out += f" eof={'none' if t is None else f'{t:.2f}s'}"
    out += " headers=" + ",".join(f"{n}:{v}" for n, v in headers if n in
                                   ("content-length", "connection", "allow", "retry-after",
                                    "transfer-encoding", "upgrade"))
    print(out)
    s.close()


# ------------------------------------------------------------------ bighead


class Slot:
    pass


def bighead_stream(kind, port, mb):
    """(prefix, filler_bytes, suffix) of one oversized request."""
    # The header line and the request line never end: that is the attack (the bytes keep
    # coming, so an idle cut never fires), and it keeps an unfixed agent from parsing a
    # 200 MB line, which costs it several times that (a 50 MB URL took it to 730 MB).
    host = f"Host: {HOST}:{port}\r\n".encode()
    if kind == "header":
        return b"GET /api/v1/hosts HTTP/1.1\r\n" + host + b"X-A: ", mb << 20, b""
    if kind == "url":
        return b"GET /", mb << 20, b""
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(70000))
    return b"GET /api/v1/hosts HTTP/1.1\r\n" + host + many, 0, b"\r\n"


def cmd_bighead(a):
    sel = selectors.DefaultSelector()
    block = memoryview(b"a" * (256 << 10))
    t0 = now()
    stats = {"connections": 0, "statuses": {}, "max_sent": 0, "total_sent": 0,
             "completed": 0, "stopped": ""}
    prefix, fill, suffix = bighead_stream(a.kind, a.port, a.mb)
    total_len = len(prefix) + fill + len(suffix)

    def open_slot(i):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect((HOST, a.port))
        s.setblocking(False)
        c = Slot()
        c.i, c.s, c.sent, c.resp, c.done_sending, c.t0 = i, s, 0, b"", False, now()
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
        stats["connections"] += 1
        return c

    def finish(c, outcome):
        if outcome == "reset" and not c.resp:
            try:  # an answer queued before the reset is still readable
                c.resp = c.s.recv(65536)
            except (OSError, BlockingIOError):
                pass
        sel.unregister(c.s)
        c.s.close()
        status = outcome
        if c.resp.startswith(b"HTTP/"):
            try:
                status = c.resp.split(b" ", 2)[1].decode()
            except IndexError:
                pass
            if outcome in ("answered-not-closed", "open-when-stopped"):
                status += "-kept-open"
        stats["statuses"][status] = stats["statuses"].get(status, 0) + 1
        stats["max_sent"] = max(stats["max_sent"], c.sent)
        stats["total_sent"] += c.sent
        if c.sent >= total_len:
            stats["completed"] += 1
        if now() - t0 < a.min_seconds and not stats["stopped"]:
            pending.append((now() + a.reopen_delay, c.i))

    pending = []  # (when, slot): a cut slot reconnects after --reopen-delay
    for i in range(a.conns):
        open_slot(i)
    print(f"attacking kind={a.kind} conns={a.conns} mb={a.mb}", flush=True)
    last_rss = 0
    peak_rss = rss_kb(a.pid)
    while sel.get_map() or pending:
        for when, i in [p for p in pending if p[0] <= now()]:
            pending.remove((when, i))
            open_slot(i)
        if now() - t0 > a.max_seconds:
            stats["stopped"] = f"max-seconds {a.max_seconds}"
        if now() - last_rss > 0.1:
            last_rss = now()
            r = rss_kb(a.pid)
            peak_rss = max(peak_rss, r)
            if a.pid and r > a.rss_cap_mb * 1024:
                stats["stopped"] = f"rss-cap {r // 1024} MB"
        if stats["stopped"]:
            for key in list(sel.get_map().values()):
                finish(key.data, "open-when-stopped")
            pending.clear()
            break
        if not sel.get_map():
            time.sleep(0.02)
            continue
        for key, ev in sel.select(timeout=0.1):
            c = key.data
            if ev & selectors.EVENT_READ:
                try:
                    chunk = c.s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    chunk = None
                except RESET_ERRORS:
                    finish(c, "reset")
                    continue
                if chunk == b"":
                    finish(c, "closed")
                    continue
                if chunk:
                    c.resp += chunk
                    if b"\r\n\r\n" in c.resp and not getattr(c, "answered_at", None):
                        # answered: stop sending, give the server 2 s to close
                        if not c.done_sending:
                            sel.modify(c.s, selectors.EVENT_READ, c)
                        c.done_sending, c.answered_at = True, now()
                    continue
            if c.done_sending:
                continue
            if ev & selectors.EVENT_WRITE:
                try:
                    if c.sent < len(prefix):
                        n = c.s.send(prefix[c.sent:c.sent + (256 << 10)])
                    elif c.sent < len(prefix) + fill:
                        left = len(prefix) + fill - c.sent
                        n = c.s.send(block[:min(left, len(block))])
                    elif c.sent < total_len:
                        n = c.s.send(suffix[c.sent - len(prefix) - fill:])
                    else:
                        n = 0
                    c.sent += n
                    if c.sent >= total_len:
                        c.done_sending, c.sent_all_at = True, now()
                        sel.modify(c.s, selectors.EVENT_READ, c)
                except (BlockingIOError, InterruptedError):
                    pass
                except RESET_ERRORS:
                    finish(c, "reset")
        # a fully sent request the server never answers: give it 5 s
        for key in list(sel.get_map().values()):
            c = key.data
            if getattr(c, "answered_at", None):
                if now() - c.answered_at > 2:
                    finish(c, "answered-not-closed")
            elif getattr(c, "sent_all_at", None) and now() - c.sent_all_at > 5:
                finish(c, "sent-all-no-answer")
    sts = ",".join(f"{k}:{v}" for k, v in sorted(stats["statuses"].items()))
    print(f"bighead kind={a.kind} connections={stats['connections']} statuses={sts} "
          f"max_sent_mb={stats['max_sent'] / 1048576:.1f} total_sent_mb={stats['total_sent'] / 1048576:.1f} "
          f"completed={stats['completed']} seconds={now() - t0:.1f} peak_rss_kb={peak_rss} "
          f"stopped={stats['stopped'] or 'no'}")


# ------------------------------------------------------------------ WebSocket bits


def frame(opcode, payload, mask=True, fin=True, key=None):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = key or os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def upgrade(port, query="", headers=(), rcvbuf=None, timeout=10):
    """A socket upgraded to /ws, or raises RuntimeError with the status."""
    s = connect(port, rcvbuf=rcvbuf, timeout=timeout)
    s.sendall(build_request(port, target="/ws" + (f"?{query}" if query else ""), headers=headers,
                            ws=True))
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("closed during the handshake")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    if " 101 " not in status + " ":
        s.close()
        raise RuntimeError(status)
    return s, rest


def read_frames(s, buf, want, timeout=10):
    """Reads frames until `want(opcode, payload)` is true; returns (opcode, payload, buf) or
    (None, why, buf)."""
    s.settimeout(timeout)
    while True:
        while len(buf) >= 2:
            op, n, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, at = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, at = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) < at + n:
                break
            payload, buf = buf[at:at + n], buf[at + n:]
            if want(op, payload):
                return op, payload, buf
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return None, "timeout", buf
        except RESET_ERRORS as e:
            return None, f"reset ({e.__class__.__name__})", buf
        if not chunk:
            return None, "eof without a close frame", buf
        buf += chunk


# ------------------------------------------------------------------ pingflood


def cmd_pingflood(a):
    try:
        s, _ = upgrade(a.port, query=a.query, rcvbuf=4096)
    except RuntimeError as e:
        print(f"pingflood upgrade-refused {e}")
        return
    s.setblocking(False)
    key = os.urandom(4)
    one = frame(0x9, b"p" * 125, key=key)
    batch = one * ((1 << 20) // len(one))
    total = a.mb << 20
    sent, t0, last_progress = 0, now(), now()
    outcome = "complete"
    peak = rss_kb(a.pid)
    last_rss = 0
    view = memoryview(batch)
    off = 0
    print(f"attacking pingflood local={s.getsockname()[1]}", flush=True)
    while sent < total:
        if now() - last_rss > 0.1:
            last_rss = now()
            r = rss_kb(a.pid)
            peak = max(peak, r)
            if a.pid and r > a.rss_cap_mb * 1024:
                outcome = f"rss-cap ({r // 1024} MB)"
                break
        if now() - t0 > a.max_seconds:
            outcome = f"max-seconds ({a.max_seconds} s)"
            break
        if now() - last_progress > a.stall_seconds:
            outcome = f"stalled (nothing accepted for {a.stall_seconds} s)"
            break
        try:
            n = s.send(view[off:])
        except (BlockingIOError, InterruptedError):
            _wait_writable(s, 0.1)
            continue
        except RESET_ERRORS as e:
            outcome = f"cut ({e.__class__.__name__})"
            break
        sent += n
        off = (off + n) % len(batch)
        last_progress = now()
    if outcome == "complete":
        time.sleep(a.hold)  # the agent still holds what it owes us
        peak = max(peak, rss_kb(a.pid))
    # cut detection without reading the pongs: a reset shows on send or as a socket error
    if outcome == "complete" or outcome.startswith("stalled") or outcome.startswith("max"):
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            outcome += f" then cut ({errno.errorcode.get(err, err)})"
    s.close()
    print(f"pingflood sent_mb={sent / 1048576:.1f} pings={sent // len(one)} outcome={outcome} "
          f"seconds={now() - t0:.1f} peak_rss_kb={peak}")


def _wait_writable(s, t):
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_WRITE)
    sel.select(t)
    sel.close()


# ------------------------------------------------------------------ slowloris


def cmd_slowloris(a):
    start = f"GET / HTTP/1.1\r\nHost: {HOST}:{a.port}\r\n".encode()
    drip = b"X-Slow: " + b"a" * 1000
    conns = []
    for _ in range(a.conns):
        s = connect(a.port, timeout=5)
        s.sendall(start)
        conns.append({"s": s, "t0": now(), "cut": None, "status": None, "dripped": 0})
    t0 = now()
    print(f"attacking slowloris conns={a.conns}", flush=True)
    next_drip = t0 + a.interval
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c["s"], selectors.EVENT_READ, c)
    open_at_check = None
    while True:
        t = now()
        if open_at_check is None and t - t0 >= a.check_at:
            open_at_check = sum(1 for c in conns if c["cut"] is None)
            break
        if t >= next_drip:
            next_drip += a.interval
            for c in conns:
                if c["cut"] is None:
                    try:
                        c["s"].send(drip[c["dripped"] % len(drip):][:1])
                        c["dripped"] += 1
                    except RESET_ERRORS:
                        c["cut"] = now() - c["t0"]
                        sel.unregister(c["s"])
        for key, _ in sel.select(timeout=max(0.0, min(next_drip, t0 + a.check_at) - now())):
            c = key.data
            try:
                chunk = c["s"].recv(4096)
            except RESET_ERRORS:
                chunk = b""
            if chunk.startswith(b"HTTP/") and c["status"] is None:
                c["status"] = chunk.split(b" ", 2)[1].decode()
            if not chunk:
                c["cut"] = now() - c["t0"]
                sel.unregister(c["s"])
    cuts = sorted(c["cut"] for c in conns if c["cut"] is not None)
    statuses = {}
    for c in conns:
        if c["cut"] is not None:
            k = c["status"] or "none"
            statuses[k] = statuses.get(k, 0) + 1
        c["s"].close()
    sts = ",".join(f"{k}:{v}" for k, v in sorted(statuses.items())) or "-"
    print(f"slowloris conns={a.conns} interval={a.interval}s cut={len(cuts)} "
          f"open_at_{a.check_at:g}s={open_at_check} "
          f"first_cut_s={cuts[0] if cuts else -1:.1f} last_cut_s={cuts[-1] if cuts else -1:.1f} "
          f"statuses={sts}")


# ------------------------------------------------------------------ pipelining


def classify(target, status, headers, body):
    """Which request an answer belongs to, from what it holds."""
    ctype = header(headers, "content-type") or ""
    if body is None:
        return "?"
    text = body.decode("utf-8", "replace")
    if "text/html" in ctype:
        return "/index.html"
    if "javascript" in ctype:
        return "/assets/app.js"
    if "text/css" in ctype:
        return "/assets/style.css"
    if '"createRevision"' in text:
        return "/api/v1/key"
    if '"children"' in text:
        return "/api/v1/tree"
    if '"hosts"' in text and '"services"' not in text:
        return "/api/v1/hosts"
    if '"services"' in text and '"hosts"' not in text:
        return "/api/v1/services"
    if '"events"' in text and '"hosts"' not in text:
        return "/api/v1/events"
    return f"?{status}"


def cmd_pipeline(a):
    targets = a.targets.split(",")
    s = connect(a.port, timeout=10)
    s.sendall(b"".join(build_request(a.port, target=t) for t in targets))
    r = Reader(s)
    got = []
    for _ in targets:
        resp = r.response()
        if resp is None:
            got.append(f"none({r.error})")
            break
        status, headers, body = resp
        got.append(classify(None, status, headers, body) + f"={status}")
    want = [t.split("?", 1)[0] for t in targets]
    seen = [g.split("=")[0] for g in got]
    order = "ok" if seen == want else "wrong"
    print(f"pipeline order={order} answers={len(got)}/{len(targets)} got={' '.join(got)}")


def cmd_pipeflood(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((HOST, a.port))
    s.setblocking(False)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    one = build_request(a.port, target=a.target)
    # one request per send (one segment each, as a client pipelining as it goes would): a
    # server that handles one request per read wakeup gets 20,000 wakeups, not 17 big reads
    sent, t0, outcome = 0, now(), "all sent"
    print(f"attacking pipeflood n={a.n}", flush=True)
    for _ in range(a.n):
        view = memoryview(one)
        while view:
            if now() - t0 > a.send_seconds:
                outcome = f"server stopped taking requests after {a.send_seconds:g} s (backpressure)"
                break
            try:
                n = s.send(view)
                sent += n
                view = view[n:]
            except (BlockingIOError, InterruptedError):
                _wait_writable(s, 0.1)
            except RESET_ERRORS as e:
                outcome = f"cut ({e.__class__.__name__})"
                break
        if view:
            break
    send_s = now() - t0
    time.sleep(a.hold)
    s.close()
    print(f"pipeflood requests_sent={sent // len(one)}/{a.n} bytes={sent} send_s={send_s:.1f} "
          f"outcome={outcome!r} held={a.hold}s")


# ------------------------------------------------------------------ upgrades, hold, head, unmasked


def cmd_upgrades(a):
    counts = {}
    t0 = now()
    for _ in range(a.n):
        s = connect(a.port, timeout=5)
        try:
            s.sendall(build_request(a.port, target="/ws" + (f"?{a.query}" if a.query else ""),
                                    headers=a.header, ws=True))
            r = Reader(s)
            resp = r.response()
            k = str(resp[0]) if resp else f"none-{r.error}"
        except RESET_ERRORS:
            k = "reset"
        counts[k] = counts.get(k, 0) + 1
        s.close()
    print(f"upgrades n={a.n} statuses=" + ",".join(f"{k}:{v}" for k, v in sorted(counts.items()))
          + f" seconds={now() - t0:.1f}")


def cmd_hold(a):
    socks, refused = [], {}
    for _ in range(a.n):
        try:
            s, _ = upgrade(a.port, query=a.query)
            socks.append(s)
        except RuntimeError as e:
            refused[str(e)] = refused.get(str(e), 0) + 1
    print(f"held={len(socks)} refused={refused or 0}", flush=True)
    t0 = now()
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    while now() - t0 < a.seconds and not (a.stop_file and os.path.exists(a.stop_file)):
        for key, _ in sel.select(0.2):  # drain what the server sends, so nobody falls behind
            try:
                if not key.fileobj.recv(65536):
                    sel.unregister(key.fileobj)
            except (BlockingIOError, *RESET_ERRORS):
                pass
    for s in socks:
        s.close()
    print("released", flush=True)


def cmd_head(a):
    # a separate GET for reference
    s = connect(a.port)
    s.sendall(build_request(a.port, target=a.target))
    ref = Reader(s).response()
    s.close()
    s = connect(a.port)
    s.sendall(build_request(a.port, method="HEAD", target=a.target))
    r = Reader(s)
    h = r.response(head_request=True)
    if h is None or ref is None:
        print(f"head status=none {r.error}")
        return
    time.sleep(0.3)  # a body sent after the head (wrongly) would be here by now
    s.settimeout(0.2)
    try:
        extra = s.recv(65536)
        r.buf += extra
        eof_after_head = extra == b""
    except socket.timeout:
        eof_after_head = False
    except RESET_ERRORS:
        eof_after_head = True
    body_bytes = len(r.buf)
    second = "none"
    if not eof_after_head:
        try:
            s.sendall(build_request(a.port, target=a.target))
            s.settimeout(5)
            g = r.response()
            second = "none" if g is None else str(g[0])
            if g is None and r.buf:
                second = f"garbled({r.buf[:20]!r})"
        except RESET_ERRORS:
            second = "reset"
    ignore = {"date"}
    hh = sorted((n, v) for n, v in h[1] if n not in ignore)
    gh = sorted((n, v) for n, v in ref[1] if n not in ignore)
    same = "yes" if (h[0] == ref[0] and hh == gh) else "no"
    diff = ""
    if same == "no":
        diff = " diff=" + repr(sorted(set(hh) ^ set(gh)))[:300]
    s.close()
    print(f"head head_status={h[0]} get_status={ref[0]} same_headers={same} "
          f"body_after_head={body_bytes} closed_after_head={'yes' if eof_after_head else 'no'} "
          f"second_request={second}{diff}")


def cmd_unmasked(a):
    try:
        s, buf = upgrade(a.port, query=a.query)
    except RuntimeError as e:
        print(f"unmasked upgrade-refused {e}")
        return
    # greeting: hello, snapshot, status
    seen = [0]

    def greeting(op, payload):
        if op == 0x1:
            seen[0] += 1
        return seen[0] >= 3
    op, payload, buf = read_frames(s, buf, greeting)
    try:
        s.sendall(frame(0x1, b'{"type":"ping","id":7}', mask=False))
    except RESET_ERRORS as e:
        print(f"unmasked close=none send-{e.__class__.__name__}")
        return
    answers = []

    def until_close(op, payload):
        if op == 0x8:
            return True
        answers.append(payload[:40])
        return False
    op, payload, buf = read_frames(s, buf, until_close, timeout=5)
    if op == 0x8:
        code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        print(f"unmasked close={code} reason={payload[2:].decode('utf-8', 'replace')!r}")
    else:
        pong = any(b'"pong"' in x for x in answers)
        print(f"unmasked close=none ({payload}) answered_pong={'yes' if pong else 'no'}")
    s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("port", type=int)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("request")
    r.add_argument("--method", default="GET")
    r.add_argument("--target", help="default / (/ws with --ws)")
    r.add_argument("--version", default="HTTP/1.1")
    r.add_argument("--host")
    r.add_argument("--no-host", action="store_true")
    r.add_argument("--header", action="append", default=[])
    r.add_argument("--body", type=int, default=0)
    r.add_argument("--ws", action="store_true")
    r.add_argument("--eof-within", type=float)
    r.add_argument("--show-body", action="store_true")
    r.add_argument("--timeout", type=float, default=5)
    b = sub.add_parser("bighead")
    b.add_argument("--kind", choices=("header", "url", "many"), default="header")
    b.add_argument("--conns", type=int, default=3)
    b.add_argument("--mb", type=int, default=200)
    b.add_argument("--min-seconds", type=float, default=3)
    b.add_argument("--reopen-delay", type=float, default=0.2)
    b.add_argument("--max-seconds", type=float, default=60)
    b.add_argument("--pid", type=int, default=0)
    b.add_argument("--rss-cap-mb", type=int, default=1500)
    f = sub.add_parser("pingflood")
    f.add_argument("--mb", type=int, default=1024)
    f.add_argument("--query", default="")
    f.add_argument("--max-seconds", type=float, default=60)
    f.add_argument("--stall-seconds", type=float, default=15)
    f.add_argument("--hold", type=float, default=1, help="seconds to stay connected after sending all")
    f.add_argument("--pid", type=int, default=0)
    f.add_argument("--rss-cap-mb", type=int, default=1500)
    s = sub.add_parser("slowloris")
    s.add_argument("--conns", type=int, default=100)
    s.add_argument("--interval", type=float, default=5)
    s.add_argument("--check-at", type=float, default=20)
    pl = sub.add_parser("pipeline")
    pl.add_argument("--targets", required=True)
    pf = sub.add_parser("pipeflood")
    pf.add_argument("--n", type=int, default=20000)
    pf.add_argument("--target", default="/api/v1/snapshot")
    pf.add_argument("--send-seconds", type=float, default=5)
    pf.add_argument("--hold", type=float, default=5)
    u = sub.add_parser("upgrades")
    u.add_argument("--n", type=int, default=200)
    u.add_argument("--query", default="")
    u.add_argument("--header", action="append", default=[])
    h = sub.add_parser("hold")
    h.add_argument("--n", type=int, default=256)
    h.add_argument("--query", default="")
    h.add_argument("--seconds", type=float, default=60)
    h.add_argument("--stop-file")
    hd = sub.add_parser("head")
    hd.add_argument("--target", default="/")
    um = sub.add_parser("unmasked")
    um.add_argument("--query", default="")
    a = p.parse_args()
    {"request": cmd_request, "bighead": cmd_bighead, "pingflood": cmd_pingflood,
     "slowloris": cmd_slowloris, "pipeline": cmd_pipeline, "pipeflood": cmd_pipeflood,
     "upgrades": cmd_upgrades, "hold": cmd_hold, "head": cmd_head,
     "unmasked": cmd_unmasked}[a.cmd](a)


if __name__ == "__main__":
    main()
