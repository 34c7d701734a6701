#!/usr/bin/env python3
"""Hostile WebSocket clients for tests/faults/ws_hostile.sh, on raw sockets so that every byte is
under our control (no library refuses to send invalid UTF-8 or a 4 MiB frame).

  ws_hostile.py PORT probe KIND         one connection: handshake, read hello/snapshot/status,
                                        send the KIND of bad frame, then read until the server's
                                        close frame; prints "KIND close=CODE reason=..." (or
                                        close=none with what happened instead)
  ws_hostile.py PORT pingflood N        N protocol pings and N control pings in one burst, then
                                        reads until N pongs or a close; prints the counts
  ws_hostile.py PORT neverread SECONDS  SO_RCVBUF 4 KiB, upgrade, then never reads for SECONDS;
                                        afterwards reads what is left and prints whether the
                                        server closed or cut the connection ("local=PORT ...")
  ws_hostile.py PORT idle N SECONDS     N TCP connections that send nothing (half of them half
                                        an HTTP upgrade) for SECONDS; prints how many the server
                                        closed meanwhile
Only 127.0.0.1.
"""
import base64
import json
import os
import select
import socket
import struct
import sys
import time

HOST = "127.0.0.1"


def upgrade_request(path="/ws"):
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


def frame(opcode, payload, fin=True):
    """A masked client frame."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    return head + mask + masked(payload, mask)


def masked(payload, mask):
    """XOR with the repeated key, through one big integer (fast enough for a few MiB)."""
    if not payload:
        return b""
    key = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(len(payload), "big")


class Conn:
    def __init__(self, port, rcvbuf=None, timeout=10):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect((HOST, port))
        self.buf = b""
        self.opcode, self.parts = None, []  # a message arriving in fragments

    def handshake(self):
        self.s.sendall(upgrade_request())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                raise RuntimeError("closed during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status + " ":
            raise RuntimeError(f"upgrade refused: {status}")

    def read_frame(self):
        """(opcode, payload) of the next whole message (fragments joined; the server sends
        messages over 64 KiB as several frames), or None at EOF."""
        while True:
            parsed = self._parse()
            if not parsed:
                chunk = self.s.recv(65536)
                if not chunk:
                    return None
                self.buf += chunk
                continue
            fin, op, payload = parsed
            if op >= 0x8:  # control frames may come between fragments
                return op, payload
            if op != 0x0:
                self.opcode, self.parts = op, []
            self.parts.append(payload)
            if fin:
                return self.opcode, b"".join(self.parts)

    def _parse(self):
        b = self.buf
        if len(b) < 2:
            return None
        fin, opcode, n, at = bool(b[0] & 0x80), b[0] & 0x0F, b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, at = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, at = struct.unpack("!Q", b[2:10])[0], 10
        if len(b) < at + n:
            return None
        self.buf = b[at + n:]
        return fin, opcode, b[at:at + n]

    def read_until_close(self):
        """Reads messages until the close frame: (code, reason, texts seen) or (None, why, texts)."""
        texts = []
        try:
            while True:
                f = self.read_frame()
                if f is None:
                    return None, "eof without a close frame", texts
                opcode, payload = f
                if opcode == 0x8:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    return code, payload[2:].decode("utf-8", "replace"), texts
                if opcode == 0x1:
                    texts.append(payload)
        except (ConnectionResetError, BrokenPipeError) as e:
            return None, f"reset ({e.__class__.__name__})", texts
        except socket.timeout:
            return None, "timeout", texts


def probe(port, kind):
    c = Conn(port)
    c.handshake()
    for _ in range(3):  # hello, snapshot, status
        f = c.read_frame()
        assert f and f[0] == 0x1, f"expected the greeting, got {f!r}"[:200]
    payloads = {
        "text-garbage": (0x1, b"hello, this is not JSON"),
        "non-object": (0x1, b"[1,2,3]"),
        "unknown-type": (0x1, b'{"type":"subscribe","topic":"*"}'),
        "ping-no-id": (0x1, b'{"type":"ping"}'),
        "binary": (0x2, b"\x00\x01\x02binary"),
        "big-1k": (0x1, json.dumps({"type": "ping", "id": 1, "pad": "x" * 1500}).encode()),
        "bad-utf8": (0x1, b'{"type":"ping","id":1,"x":"\xc3\x28\xff"}'),
        "big-4m": (0x1, b'{"type":"ping","id":1,"pad":"' + b"y" * (4 << 20) + b'"}'),
    }
    opcode, payload = payloads[kind]
    sent_all = True
    try:
        c.s.sendall(frame(opcode, payload))
    except (ConnectionResetError, BrokenPipeError):
        sent_all = False
    code, reason, _ = c.read_until_close()
    c.s.close()
    note = "" if sent_all else " (server stopped reading before the whole frame was sent)"
    if code is None:
        print(f"{kind} close=none {reason}{note}")
    else:
        print(f"{kind} close={code} reason={reason!r}{note}")


def pingflood(port, n):
    c = Conn(port, timeout=30)
    c.handshake()
    burst = b"".join(frame(0x1, json.dumps({"type": "ping", "id": i}).encode()) + frame(0x9, b"p")
                     for i in range(n))
    t0 = time.monotonic()
    c.s.sendall(burst)
    pongs = control_pongs = 0
    code = None
    try:
        # Every protocol ping is answered; control pings may be answered by fewer pongs while
        # the agent's socket is full (RFC 6455 5.5.3: only the latest must be), so after the
        # last protocol pong, read until the control pongs stop.
        while True:
            if pongs >= n:
                c.s.settimeout(1.0)
            f = c.read_frame()
            if f is None:
                break
            opcode, payload = f
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                break
            if opcode == 0xA:
                control_pongs += 1
            elif opcode == 0x1 and b'"pong"' in payload and json.loads(payload).get("type") == "pong":
                pongs += 1
    except socket.timeout:
        if pongs < n:
            print("pingflood error=TimeoutError")
    except ConnectionResetError as e:
        print(f"pingflood error={e.__class__.__name__}")
    c.s.close()
    print(f"pingflood sent={n}+{n} pongs={pongs} control_pongs={control_pongs} close={code} "
          f"ms={1000 * (time.monotonic() - t0):.0f}")


def neverread(port, seconds):
    c = Conn(port, rcvbuf=4096)
    c.handshake()
    print(f"neverread local={c.s.getsockname()[1]} upgraded", flush=True)
    time.sleep(seconds)
    got, outcome = 0, "still open"
    c.s.settimeout(0.5)
    try:
        while True:
            chunk = c.s.recv(1 << 20)
            if not chunk:
                outcome = "closed by the server (eof)"
                break
            got += len(chunk)
    except socket.timeout:
        pass
    except ConnectionResetError:
        outcome = "cut by the server (reset)"
    print(f"neverread local={c.s.getsockname()[1] if outcome == 'still open' else '-'} read_after={got} {outcome}")


def idle(port, n, seconds):
    socks = []
    for i in range(n):
        s = socket.create_connection((HOST, port), timeout=5)
        if i % 2:
            s.sendall(upgrade_request()[:40])  # half a request line and headers, never finished
        socks.append(s)
    time.sleep(seconds)
    closed = 0
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        if r:
            try:
                if not s.recv(4096):
                    closed += 1
                else:
                    closed += 1  # an answer (e.g. 408) counts as the server dealing with it
            except ConnectionResetError:
                closed += 1
        s.close()
    print(f"idle connections={n} held={seconds}s closed_by_server={closed}")


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    if mode == "probe":
        probe(port, sys.argv[3])
    elif mode == "pingflood":
        pingflood(port, int(sys.argv[3]))
    elif mode == "neverread":
        neverread(port, float(sys.argv[3]))
    elif mode == "idle":
        idle(port, int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
