#!/usr/bin/env python3
"""A recording proxy between the agent and a test's dockerd (both unix sockets, standard library).

    security_dockerproxy.py LISTEN_SOCKET DOCKER_SOCKET LOG_FILE

Forwards bytes both ways unchanged and appends every HTTP request line the client sends
("GET /v1.41/containers/json HTTP/1.1") to LOG_FILE, one per line, so a scenario can list
exactly which Docker API calls the agent made. Request lines are found at the start of each
request: after the previous request's head and its Content-Length body (the agent sends no
chunked request bodies).
"""
import os
import socket
import sys
import threading


def pump(src, dst, on_data=None):
    """Copies src to dst until either side closes, or until on_data(data) returns true."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if on_data and on_data(data):
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class RequestRecorder:
    def __init__(self, log, lock):
        self.buf = b""
        self.skip = 0  # body bytes still to pass before the next request head
        self.log = log
        self.lock = lock

    def __call__(self, data):
        self.buf += data
        while True:
            if self.skip:
                n = min(self.skip, len(self.buf))
                self.buf = self.buf[n:]
                self.skip -= n
                if self.skip:
                    return
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1")
            self.buf = self.buf[end + 4:]
            lines = head.split("\r\n")
            with self.lock:
                self.log.write(lines[0] + "\n")
                self.log.flush()
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    self.skip = int(value.strip() or 0)


def main():
    listen_path, docker_path, log_path = sys.argv[1:4]
    if os.path.exists(listen_path):
        os.unlink(listen_path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(listen_path)
    server.listen(64)
    log = open(log_path, "a")
    lock = threading.Lock()
    while True:
        client, _ = server.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(docker_path)
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump, args=(client, upstream, RequestRecorder(log, lock)), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()


if __name__ == "__main__":
    main()
