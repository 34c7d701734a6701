"""Our own WebSocket framing for feed_attack.py: the mask bit is ours to set, so a test can send
the unmasked frames a browser never would."""
import os
import struct
import socket

from feed_attack_http import RESET_ERRORS, build_request, connect

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
