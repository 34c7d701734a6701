#!/usr/bin/env python3
"""Timing probes for bench/lb.sh (portolan-lb), loopback only.

  keyready ETCD_PORT ADMIN_SOCK HOST N TEMPLATE_JSON BACKEND_PORT
      N times: put a detail record for service "web" through etcd's gateway on a kept-alive
      connection, then poll HAProxy's Runtime API until the new server is ready; delete it and
      wait until it is gone. Prints the put-acknowledged -> ready latencies (ms), one per line.
  firstanswer URL NAME TIMEOUT_MS
      Polls URL (2 ms apart) until the body is NAME; prints the elapsed ms since start.
  bulk ETCD_PORT HOST N TEMPLATE_JSON BACKEND_PORT put|delete
      Writes (or deletes) N records of service "web" on other-host in one txn per 100.
"""
import base64
import http.client
import json
import socket
import sys
import time


def b64(s):
    return base64.b64encode(s.encode()).decode()


def gateway(port):
    return http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)


def call(conn, path, body):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f"etcd {path}: {r.status} {data[:200]!r}")
    return json.loads(data)


def record(template, host, i, port):
    sid = f"{host}:web.b{i}:80"
    rec = dict(template, host=host, name="web", id=sid, ip="127.0.0.1", port=int(port),
               containerName=f"web.b{i}", registryKey=f"/services/web/{sid}", health="none")
    return f"/portolan/services/{host}/{sid}", json.dumps(rec)


def admin(sock_path, command):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    s.connect(sock_path)
    s.sendall(command.encode() + b"\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out.decode()


def ready_servers(sock_path, backend):
    # show servers state: be_id be_name srv_id srv_name srv_addr srv_op_state ... srv_port
    names = set()
    for line in admin(sock_path, f"show servers state {backend}").splitlines()[2:]:
        f = line.split()
        if len(f) > 6 and f[5] == "2" and f[6] == "0":  # SRV_ST_RUNNING, not in maintenance
            names.add(f[3])
    return names


def keyready(port, sock, host, n, template, backend_port):
    conn = gateway(port)
    tpl = json.loads(template)
    for i in range(int(n)):
        key, value = record(tpl, host, i, backend_port)
        before = ready_servers(sock, "portolan_web")
        call(conn, "/v3/kv/put", {"key": b64(key), "value": b64(value)})
        t0 = time.perf_counter()
        deadline = t0 + 5
        while True:
            now_ready = ready_servers(sock, "portolan_web")
            if len(now_ready - before) > 0:
                break
            if time.perf_counter() > deadline:
                raise SystemExit(f"server {i} not ready within 5 s")
            time.sleep(0.0002)
        print(f"{(time.perf_counter() - t0) * 1000:.3f}", flush=True)
        call(conn, "/v3/kv/deleterange", {"key": b64(key)})
        deadline = time.perf_counter() + 5
        while ready_servers(sock, "portolan_web") != before:
            if time.perf_counter() > deadline:
                raise SystemExit(f"server {i} not removed within 5 s")
            time.sleep(0.001)


def firstanswer(url, name, timeout_ms):
    hostport = url.split("/")[2]
    h, p = hostport.split(":")
    t0 = time.perf_counter()
    while (time.perf_counter() - t0) * 1000 < int(timeout_ms):
        try:
            c = http.client.HTTPConnection(h, int(p), timeout=1)
            c.request("GET", "/")
            body = c.getresponse().read().decode().strip()
            c.close()
            if body == name:
                print(f"{(time.perf_counter() - t0) * 1000:.3f}")
                return
        except OSError:
            pass
        time.sleep(0.002)
    raise SystemExit(f"{name} did not answer within {timeout_ms} ms")


def bulk(port, host, n, template, backend_port, op):
    conn = gateway(port)
    tpl = json.loads(template)
    ops = []
    for i in range(int(n)):
        key, value = record(tpl, host, i, backend_port)
        if op == "put":
            ops.append({"request_put": {"key": b64(key), "value": b64(value)}})
        else:
            ops.append({"request_delete_range": {"key": b64(key)}})
        if len(ops) == 100:
            call(conn, "/v3/kv/txn", {"success": ops})
            ops = []
    if ops:
        call(conn, "/v3/kv/txn", {"success": ops})


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"keyready": keyready, "firstanswer": firstanswer, "bulk": bulk}[cmd](*args)
