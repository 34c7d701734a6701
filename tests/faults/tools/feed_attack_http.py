"""Plain HTTP/1.1 over raw sockets for feed_attack.py: connecting to 127.0.0.1, building
requests byte by byte (so a test can send what no client library would) and reading answers
framed by Content-Length."""
import base64
import os
import selectors
import socket
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



def wait_writable(s, t):
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_WRITE)
    sel.select(t)
    sel.close()
