#!/usr/bin/env python3
"""Compares a feed client's picture with etcd (for the fault scenarios).

  feed_compare.py view ETCD_PORT STATE_FILE   exit 0 when the services the client holds
                                              (feed_watch.mjs state) equal the detail records
                                              under /portolan/services/ (id -> ip:port)
  feed_compare.py api ETCD_PORT FEED_PORT     the same for GET /api/v1/snapshot (the agent's
                                              ClusterState, as the dashboard would see it)
  feed_compare.py revision ETCD_PORT          prints etcd's current revision

Differences go to stdout, one per line.
"""
import base64
import json
import sys
import urllib.request


def etcd(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)


def etcd_services(port):
    prefix = b"/portolan/services/"
    end = prefix[:-1] + bytes([prefix[-1] + 1])
    r = etcd(port, "/v3/kv/range", {"key": base64.b64encode(prefix).decode(),
                                    "range_end": base64.b64encode(end).decode()})
    services = {}
    for kv in r.get("kvs", []):
        value = json.loads(base64.b64decode(kv.get("value", "")) or b"{}")
        services[value["id"]] = f"{value['ip']}:{value['port']}"
    return services


def diff(have, want):
    lines = []
    for sid in sorted(set(have) | set(want)):
        if sid not in have:
            lines.append(f"missing {sid} (etcd has {want[sid]})")
        elif sid not in want:
            lines.append(f"stale {sid} = {have[sid]} (not in etcd)")
        elif have[sid] != want[sid]:
            lines.append(f"wrong {sid} = {have[sid]} (etcd has {want[sid]})")
    return lines


def main():
    mode, port = sys.argv[1], sys.argv[2]
    if mode == "revision":
        print(etcd(port, "/v3/kv/range", {"key": base64.b64encode(b"/").decode(),
                                          "limit": 1})["header"]["revision"])
        return 0
    if mode == "view":
        with open(sys.argv[3]) as f:
            have = json.load(f)["services"]
    else:
        with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[3]}/api/v1/snapshot",
                                    timeout=5) as r:
            have = {s["id"]: s["address"] for s in json.load(r)["services"]}
    lines = diff(have, etcd_services(port))
    for line in lines:
        print(line)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
