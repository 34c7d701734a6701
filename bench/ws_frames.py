"""Server-to-client WebSocket frames (RFC 6455) for bench/feed_probe.py, read strictly, and a
client's masked frame. `python3 ws_frames.py` (or `feed_probe.py --self-test`) checks the reader."""
import os
import struct

MAX_MESSAGE = 64 * 1024 * 1024   # a snapshot of 1000 services is about 0.4 MB


class FrameError(Exception):
    pass


class FrameReader:
    """Server-to-client WebSocket frames (RFC 6455), strictly: unmasked, no RSV bits (no
    extension is negotiated), known opcodes, minimal length encoding, control frames unfragmented
    and at most 125 bytes, continuations only inside a fragmented message, text valid UTF-8."""

    def __init__(self):
        self.buf = bytearray()
        self.parts = None      # (opcode, [payloads]) of a fragmented message in progress

    def feed(self, data):
        """Appends data; returns the complete messages [(opcode, payload bytes), ...]."""
        self.buf += data
        out = []
        while True:
            m = self._frame()
            if m is None:
                return out
            if m[0] is not None:
                out.append(m)

    def _frame(self):
        b = self.buf
        if len(b) < 2:
            return None
        fin, rsv, opcode = b[0] & 0x80, b[0] & 0x70, b[0] & 0x0F
        masked, n, head = b[1] & 0x80, b[1] & 0x7F, 2
        if rsv:
            raise FrameError(f"frame with RSV bits 0x{rsv:02x} (no extension was negotiated)")
        if masked:
            raise FrameError("masked frame from the server (RFC 6455 5.1 forbids it)")
        if opcode not in (0, 1, 2, 8, 9, 10):
            raise FrameError(f"unknown opcode {opcode}")
        if n == 126:
            if len(b) < 4:
                return None
            n, head = struct.unpack_from("!H", b, 2)[0], 4
            if n < 126:
                raise FrameError(f"16-bit length {n} where 7 bits suffice")
        elif n == 127:
            if len(b) < 10:
                return None
            n, head = struct.unpack_from("!Q", b, 2)[0], 10
            if n >> 63 or n < 65536:
                raise FrameError(f"64-bit length {n} (top bit set or 16 bits suffice)")
        if opcode >= 8 and (not fin or n > 125):
            raise FrameError(f"control frame (opcode {opcode}) fragmented or over 125 bytes")
        if n > MAX_MESSAGE:
            raise FrameError(f"frame of {n} bytes, over the probe's {MAX_MESSAGE}")
        if len(b) < head + n:
            return None
        payload = bytes(b[head:head + n])
        del b[:head + n]
        if opcode >= 8:
            return opcode, payload
        if opcode == 0:
            if self.parts is None:
                raise FrameError("continuation frame outside a fragmented message")
            self.parts[1].append(payload)
        else:
            if self.parts is not None:
                raise FrameError("new data frame inside a fragmented message")
            self.parts = (opcode, [payload])
        if sum(len(p) for p in self.parts[1]) > MAX_MESSAGE:
            raise FrameError("fragmented message over the probe's limit")
        if not fin:
            return None, None
        op, parts = self.parts
        self.parts = None
        return op, b"".join(parts)


def masked_frame(opcode, payload):
    """A client frame: FIN, masked as RFC 6455 requires of a client."""
    mask = os.urandom(4)
    body = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


def self_test():
    """Checks FrameReader on crafted frames (--self-test): several frames in one read, a frame
    split at every byte, 16- and 64-bit lengths, fragments, and each fault it must refuse."""
    def frame(op, payload, fin=True, first=None):
        n = len(payload)
        b0 = first if first is not None else (0x80 if fin else 0) | op
        if n < 126:
            return bytes([b0, n]) + payload
        if n < 65536:
            return bytes([b0, 126]) + struct.pack("!H", n) + payload
        return bytes([b0, 127]) + struct.pack("!Q", n) + payload
    small, mid, big = b'{"type":"a"}', b"x" * 300, b"y" * 70000
    stream = frame(1, small) + frame(1, mid) + frame(9, b"p") + frame(1, big) + \
        frame(1, b"ab", fin=False) + frame(0, b"cd", fin=False) + frame(0, b"ef")
    want = [(1, small), (1, mid), (9, b"p"), (1, big), (1, b"abcdef")]
    r = FrameReader()
    assert r.feed(stream) == want, "several frames in one read"
    for cut in range(1, 40):
        r, got = FrameReader(), []
        got += r.feed(stream[:cut])
        got += r.feed(stream[cut:])
        assert got == want, f"split at byte {cut}"
    r, got = FrameReader(), []
    for i in range(len(stream[:400])):
        got += r.feed(stream[i:i + 1])
    assert got == want[:3], "one byte per read"
    bad = {"masked": bytes([0x81, 0x81, 1, 2, 3, 4, 5]), "RSV": bytes([0xC1, 0]),
           "opcode": bytes([0x83, 0]), "16-bit length": bytes([0x81, 126, 0, 5]) + b"x" * 5,
           "64-bit length": bytes([0x81, 127]) + struct.pack("!Q", 5) + b"x" * 5,
           "control frame": bytes([0x09, 0]), "continuation": frame(0, b"x"),
           "new data frame": frame(1, b"a", fin=False) + frame(1, b"b")}
    for what, data in bad.items():
        try:
            FrameReader().feed(data)
        except FrameError:
            continue
        raise AssertionError(f"accepted a bad frame: {what}")
    print("ws_frames: self-test passed")


if __name__ == "__main__":
    self_test()
