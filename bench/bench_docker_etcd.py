"""Docker (over its unix socket) and etcd (its JSON gateway) as the bench driver uses them,
each on one kept-alive connection that is reopened once on a broken pipe."""
import concurrent.futures
import http.client
import json
import socket

from bench_common import API, IMAGE, PREFIX, b64, log, prefix_end


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Docker:
    def __init__(self, sock):
        self.sock = sock
        self.conn = UnixHTTPConnection(sock)

    def req(self, method, path, body=None, ok=(200, 201, 204, 304)):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in range(2):
            try:
                self.conn.request(method, API + path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = UnixHTTPConnection(self.sock)
                if attempt:
                    raise
        if r.status not in ok:
            raise RuntimeError(f"docker {method} {path}: {r.status} {raw[:400]!r}")
        return json.loads(raw) if raw and raw[:1] in (b"{", b"[") else None

    def run(self, name):
        c = self.req("POST", "/containers/create?name=" + name,
                     {"Image": IMAGE, "HostConfig": {"PublishAllPorts": True}})
        for attempt in range(200):
            try:
                self.req("POST", f"/containers/{c['Id']}/start")
                break
            except RuntimeError as e:
                # Another daemon on this machine (a test's) holds the host port this one picked;
                # a second start picks the next free port.
                if "address already in use" not in str(e) or attempt == 199:
                    raise
                log(f"{name}: host port taken by another process, starting again")
        return c["Id"]


class Etcd:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)

    def call(self, path, body):
        data = json.dumps(body).encode()
        for attempt in range(2):
            try:
                self.conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                if attempt:
                    raise
        if r.status != 200:
            raise RuntimeError(f"etcd {path}: {r.status} {raw[:200]!r}")
        return json.loads(raw)

    def put(self, key, value):
        return self.call("/v3/kv/put", {"key": b64(key), "value": b64(value)})

    def delete_prefix(self, p):
        return self.call("/v3/kv/deleterange", {"key": b64(p), "range_end": b64(prefix_end(p))})

    def count(self, p):
        r = self.call("/v3/kv/range", {"key": b64(p), "range_end": b64(prefix_end(p)), "count_only": True})
        return int(r.get("count", 0))

    def txn_puts(self, kvs):
        ops = [{"request_put": {"key": b64(k), "value": b64(v)}} for k, v in kvs]
        return self.call("/v3/kv/txn", {"success": ops})


def remove_containers(docker, ids):
    def rm(cid):
        Docker(docker.sock).req("DELETE", f"/containers/{cid}?force=1&v=1", ok=(204, 404))
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        list(ex.map(rm, ids))


def clean_keys(etcd):
    etcd.delete_prefix(PREFIX + "/")
    etcd.delete_prefix("/portolan/")


def service_name_of_key(key):
    # /services/sleeper/benchhost:lat-0001:6379 -> lat-0001
    return key.rsplit("/", 1)[1].split(":")[1]
