"""feed_attack.py request, pipeline, upgrades, hold, head and unmasked: single requests and
short exchanges whose answers are compared with what the contract says."""
import os
import selectors
import socket
import struct
import time

from feed_attack_http import RESET_ERRORS, Reader, build_request, connect, header, now
from feed_attack_ws import frame, read_frames, upgrade

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
