#!/usr/bin/env python3
"""A filtering Docker socket proxy that refuses the container list (standard library only).

    docker_refusing_proxy.py LISTEN_SOCKET DOCKER_SOCKET MODE_FILE LIST_LOG

Like the socket proxies operators put in front of dockerd (tecnativa/docker-socket-proxy,
an HAProxy ACL), it forwards every request unchanged except GET .../containers/json, which it
answers itself according to the first word of MODE_FILE, read at every request:

    refuse  403 Forbidden with a small JSON message (the default)
    huge    200 OK with a chunked body of 100 MB (a hostile or broken proxy)
    pass    forwarded to dockerd like everything else

Every list request is appended to LIST_LOG as "<unix time> <mode>", so a scenario can count
the agent's attempts. The first request of each connection is filtered; a later request on a
kept-alive connection that is a list request closes the connection (never forwarded).
"""
import os
import re
import socket
import sys
import threading
import time

from security_dockerproxy import pump

LIST = re.compile(rb"^GET (/v[0-9.]+)?/containers/json(\?\S*)? HTTP/1\.[01]$")
HUGE_BYTES = 100 * 1024 * 1024
CHUNK = b"[" + b" " * (1024 * 1024 - 1)


def mode(path):
    try:
        with open(path) as f:
            return (f.read().split() or ["refuse"])[0]
    except OSError:
        return "refuse"


def read_head(conn):
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, buf
        buf += data
        if len(buf) > 1024 * 1024:
            return None, buf
    return buf[: buf.index(b"\r\n\r\n") + 4], buf


def answer_refused(conn):
    body = b'{"message":"access to /containers/json is not allowed by this proxy"}\n'
    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


def answer_huge(conn):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    sent = 0
    while sent < HUGE_BYTES:
        conn.sendall(b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n")
        sent += len(CHUNK)
    conn.sendall(b"0\r\n\r\n")


class ListWatch:
    """For pump(): stops the copy when a later request on the connection is a list request."""

    def __init__(self):
        self.buf = b""

    def __call__(self, data):
        self.buf = (self.buf + data)[-4096:]
        return any(LIST.match(line) for line in self.buf.split(b"\r\n"))


def serve(client, docker_path, mode_path, log, lock):
    try:
        head, buf = read_head(client)
        if head is None:
            client.close()
            return
        request_line = head.split(b"\r\n", 1)[0]
        m = mode(mode_path)
        if LIST.match(request_line) and m != "pass":
            with lock:
                log.write("%.3f %s\n" % (time.time(), m))
                log.flush()
            (answer_huge if m == "huge" else answer_refused)(client)
            client.close()
            return
        if LIST.match(request_line):
            with lock:
                log.write("%.3f pass\n" % time.time())
                log.flush()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(docker_path)
        upstream.sendall(buf)
    except OSError:
        client.close()
        return
    threading.Thread(target=pump, args=(client, upstream, ListWatch()), daemon=True).start()
    pump(upstream, client)


def main():
    listen_path, docker_path, mode_path, log_path = sys.argv[1:5]
    if os.path.exists(listen_path):
        os.unlink(listen_path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(listen_path)
    server.listen(64)
    log = open(log_path, "a")
    lock = threading.Lock()
    while True:
        client, _ = server.accept()
        threading.Thread(target=serve, args=(client, docker_path, mode_path, log, lock),
                         daemon=True).start()


if __name__ == "__main__":
    main()
