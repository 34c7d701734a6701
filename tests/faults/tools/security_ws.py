#!/usr/bin/env python3
"""A minimal WebSocket client for the security scenarios (standard library only).

    security_ws.py URL [--header 'Name: value'] [--timeout S] [--until-type TYPE]

Opens URL (ws://127.0.0.1:PORT/ws?...), and
  - on a refused upgrade prints "refused <HTTP status>" and exits 3;
  - on success prints "accepted 101", then one line per complete text message up to and
    including the first whose JSON "type" is TYPE (default "snapshot"; the feed says "hello"
    first), and exits 0 after sending a close frame.
Only loopback URLs are accepted: the scenarios never talk to anything else.
"""
import argparse
import base64
import json
import os
import socket
import struct
import sys
from urllib.parse import urlsplit


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def read_frame(sock):
    b1, b2 = read_exact(sock, 2)
    fin, opcode = b1 & 0x80, b1 & 0x0F
    length = b2 & 0x7F
    if length == 126:
        length = struct.unpack("!H", read_exact(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", read_exact(sock, 8))[0]
    mask = read_exact(sock, 4) if b2 & 0x80 else None
    payload = read_exact(sock, length)
    if mask:
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return bool(fin), opcode, payload


def close_frame():
    mask = os.urandom(4)
    payload = struct.pack("!H", 1000)
    return bytes([0x88, 0x80 | len(payload)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--timeout", type=float, default=15)
    p.add_argument("--until-type", default="snapshot")
    a = p.parse_args()
    u = urlsplit(a.url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("security_ws.py talks to loopback only")
    path = u.path + ("?" + u.query if u.query else "")
    key = base64.b64encode(os.urandom(16)).decode()
    sock = socket.create_connection((u.hostname, u.port), timeout=a.timeout)
    lines = [f"GET {path} HTTP/1.1", f"Host: {u.hostname}:{u.port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    lines += a.header
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
    parts = status_line.split()
    status = parts[1] if len(parts) > 1 else "none"
    if status != "101":
        print(f"refused {status}")
        return 3
    print("accepted 101")
    message = b""
    while True:
        fin, opcode, payload = read_frame(sock)
        if opcode == 0x8:
            print("closed by server")
            return 4
        if opcode not in (0x1, 0x0):
            continue
        message += payload
        if not fin:
            continue
        text = message.decode(errors="replace")
        message = b""
        print(text, flush=True)
        try:
            if json.loads(text).get("type") == a.until_type:
                break
        except ValueError:
            pass
    try:
        sock.sendall(close_frame())
    except OSError:
        pass
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
