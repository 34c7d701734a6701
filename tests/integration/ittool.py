#!/usr/bin/env python3
"""Small helpers for the integration scenarios that would be painful in bash.

  ittool.py free-ports N            N free TCP ports on 127.0.0.1, outside the ephemeral range
                                    dockerd hands out for -P (so a restarted etcd cannot lose
                                    its port to a container started meanwhile)
  ittool.py v3-flatten              `etcdctl get -w json` on stdin -> "key<TAB>value" lines
  ittool.py v3-leases               `etcdctl get -w json` on stdin -> "key<TAB>lease-hex" lines
  ittool.py v2-flatten              GET /v2/keys/...?recursive=true on stdin -> "key<TAB>value"
  ittool.py v2-get                  GET /v2/keys/<key> on stdin -> value (exit 1 when absent)
  ittool.py v2-ttl                  GET /v2/keys/<key> on stdin -> ttl (exit 1 when absent/none)
  ittool.py expected --hostname H --prefix P [--ip IP]
                                    `docker inspect` JSON of running containers on stdin ->
                                    the "key<TAB>value" lines registrator would write
  ittool.py compare --hostname H --prefix P [--ip IP] INSPECT_JSON ACTUAL_LINES
                                    prints differences, exit 1 when etcd != Docker
  ittool.py detail-check --container C [--name N] [--tag T]... [--no-tag T]...
                                    "key<TAB>value" detail records on stdin; finds the JSON
                                    record of container C and checks its name and tags
  ittool.py health-latency EVENTS WATCH
                                    EVENTS: "<timeNano> <container> <health>" lines from
                                    `docker events`; WATCH: "<epoch-us> <line>" lines of
                                    `etcdctl watch`; prints, per event, the ms until a detail
                                    record of that container with that health was seen
"""
import argparse
import base64
import json
import random
import socket
import sys


def free_ports(n):
    ports, socks = [], []
    candidates = list(range(20000, 31000))
    random.shuffle(candidates)
    for p in candidates:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            s.close()
            continue
        socks.append(s)
        ports.append(p)
        if len(ports) == n:
            break
    for s in socks:
        s.close()
    if len(ports) < n:
        sys.exit("no free ports on 127.0.0.1 between 20000 and 31000")
    print(" ".join(map(str, ports)))


def _b64(s):
    return base64.b64decode(s).decode("utf-8", "replace")


def v3_flatten(leases=False):
    text = sys.stdin.read().strip()
    if not text:
        return
    doc = json.loads(text)
    for kv in doc.get("kvs", []) or []:
        key = _b64(kv["key"])
        if leases:
            print("%s\t%x" % (key, int(kv.get("lease", 0))))
        else:
            value = _b64(kv.get("value", "")) if kv.get("value") else ""
            print("%s\t%s" % (key, value.replace("\n", "\\n")))


def _v2_walk(node, out):
    if node.get("dir"):
        for child in node.get("nodes", []) or []:
            _v2_walk(child, out)
    elif "key" in node:
        out.append((node["key"], node.get("value", "")))


def v2_flatten():
    text = sys.stdin.read().strip()
    if not text:
        return
    doc = json.loads(text)
    if "node" not in doc:
        return  # errorCode 100: key not found
    out = []
    _v2_walk(doc["node"], out)
    for k, v in sorted(out):
        print("%s\t%s" % (k, v.replace("\n", "\\n")))


def v2_get(field):
    text = sys.stdin.read().strip()
    try:
        doc = json.loads(text)
    except ValueError:
        sys.exit(1)
    node = doc.get("node")
    if not node or node.get("dir") or field not in node:
        sys.exit(1)
    print(node[field])


def _metadata(config, port):
    """registrator's serviceMetaData: SERVICE_* from Env then Labels (labels win);
    SERVICE_<port>_X overrides SERVICE_X for that port."""
    meta, from_port = {}, set()
    items = []
    for kv in config.get("Env") or []:
        if "=" in kv:
            items.append(tuple(kv.split("=", 1)))
    for k, v in (config.get("Labels") or {}).items():
        items.append((k, v))
    for k, v in items:
        if not k.startswith("SERVICE_"):
            continue
        rest = k[len("SERVICE_"):].lower()
        parts = rest.split("_", 1)
        if len(parts) == 2 and parts[0].isdigit():
            if parts[0] == port:
                meta[parts[1]] = v
                from_port.add(parts[1])
        elif rest not in from_port:
            meta[rest] = v
    return meta, from_port


def expected(inspects, hostname, prefix, ip):
    """The keys gliderlabs/registrator writes for bridge-networked containers with published
    ports (the integration scenarios use only those)."""
    out = {}
    for c in inspects:
        if not (c.get("State") or {}).get("Running"):
            continue
        ports = (c.get("NetworkSettings") or {}).get("Ports") or {}
        published = {}
        for spec, bindings in ports.items():
            # registrator took bindings[0]; Portolan takes the first IPv4 (or empty HostIp)
            # binding with a host port, else any with a host port (docs/compatibility.md)
            usable = [b for b in bindings or [] if b.get("HostPort")]
            v4 = [b for b in usable if ":" not in (b.get("HostIp") or "")]
            if usable:
                published[spec] = (v4 or usable)[0]
        is_group = len(published) > 1
        default_name = c["Config"]["Image"].split("/")[-1].split("@")[0].split(":")[0]
        cname = c["Name"].lstrip("/")
        for spec, binding in published.items():
            port, proto = spec.split("/")
            meta, from_port = _metadata(c["Config"], port)
            if meta.get("ignore"):
                continue
            name = meta.get("name") or default_name
            if is_group and "name" not in from_port:
                name += "-" + port
            sid = meta.get("id") or "%s:%s:%s" % (hostname, cname, port)
            if proto == "udp" and not meta.get("id"):
                sid += ":udp"
            host_ip = ip or binding.get("HostIp") or "0.0.0.0"  # wildcards: pass --ip
            addr = ("[%s]:%s" if ":" in host_ip else "%s:%s") % (host_ip, binding["HostPort"])
            out["%s/%s/%s" % (prefix.rstrip("/"), name, sid)] = addr
    return out


def compare(args):
    with open(args.inspect) as f:
        text = f.read().strip()
    inspects = json.loads(text) if text else []
    want = expected(inspects, args.hostname, args.prefix, args.ip)
    have = {}
    with open(args.actual) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            k, _, v = line.partition("\t")
            # Only this agent's keys: the last path element is "<hostname>:<container>:<port>"
            # (or a SERVICE_ID, which the scenarios do not use).
            if k.rsplit("/", 1)[-1].startswith(args.hostname + ":"):
                have[k] = v
    bad = 0
    for k in sorted(set(want) | set(have)):
        if k not in have:
            print("missing in etcd: %s = %s" % (k, want[k]))
            bad += 1
        elif k not in want:
            print("extra in etcd (no running container publishes it): %s = %s" % (k, have[k]))
            bad += 1
        elif want[k] != have[k]:
            print("wrong value: %s = %s, Docker says %s" % (k, have[k], want[k]))
            bad += 1
    if not bad:
        print("etcd matches Docker: %d service(s)" % len(want))
    sys.exit(1 if bad else 0)


def _find_keys(obj, wanted):
    """All values in a JSON tree whose key matches one of `wanted` (case-insensitive)."""
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.lower() in wanted:
                found.append(v)
            found.extend(_find_keys(v, wanted))
    elif isinstance(obj, list):
        for v in obj:
            found.extend(_find_keys(v, wanted))
    return found


def detail_check(args):
    records = []
    for line in sys.stdin:
        k, _, v = line.rstrip("\n").partition("\t")
        try:
            doc = json.loads(v.replace("\\n", "\n"))
        except ValueError:
            continue
        names = [x for x in _find_keys(doc, {"containername", "container_name", "container"})
                 if isinstance(x, str)]
        if any(n.lstrip("/") == args.container for n in names) or \
                (":%s:" % args.container) in k or (":%s:" % args.container) in v:
            records.append((k, doc))
    if not records:
        print("no detail record mentions container %s" % args.container)
        sys.exit(1)
    errors = []
    for k, doc in records:
        if args.name and args.name not in [x for x in _find_keys(doc, {"name", "servicename"})
                                           if isinstance(x, str)]:
            errors.append("%s: name %r not found in %s" % (k, args.name, json.dumps(doc)))
        tags = []
        for t in _find_keys(doc, {"tags"}):
            if isinstance(t, list):
                tags.extend(t)
            elif isinstance(t, str):
                tags.extend(x for x in t.split(",") if x)
        for t in args.tag or []:
            if t not in tags:
                errors.append("%s: tag %r missing (tags %s)" % (k, t, tags))
        for t in args.no_tag or []:
            if t in tags:
                errors.append("%s: tag %r must not be there (tags %s)" % (k, t, tags))
    for e in errors:
        print(e)
    if errors:
        sys.exit(1)
    print("detail record %s: %s" % (records[0][0], json.dumps(records[0][1], sort_keys=True)))


def health_latency(events_path, watch_path):
    watch = []
    for line in open(watch_path, encoding="utf-8", errors="replace"):
        stamp, _, text = line.rstrip("\n").partition(" ")
        if stamp.isdigit() and text.startswith("{"):
            try:
                record = json.loads(text)
            except ValueError:
                continue
            watch.append((int(stamp), record.get("containerName"), record.get("health")))
    for line in open(events_path, encoding="utf-8"):
        parts = line.split()
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        at_us, container, health = int(parts[0]) // 1000, parts[1], parts[-1]
        seen = [t for t, c, h in watch if c == container and h == health and t >= at_us]
        if seen:
            print("%s %s %.1f" % (container, health, (min(seen) - at_us) / 1000.0))
        else:
            print("%s %s never" % (container, health))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("free-ports").add_argument("n", type=int)
    sub.add_parser("v3-flatten")
    sub.add_parser("v3-leases")
    sub.add_parser("v2-flatten")
    sub.add_parser("v2-get")
    sub.add_parser("v2-ttl")
    for name in ("expected", "compare"):
        sp = sub.add_parser(name)
        sp.add_argument("--hostname", required=True)
        sp.add_argument("--prefix", required=True)
        sp.add_argument("--ip", default="")
        if name == "compare":
            sp.add_argument("inspect")
            sp.add_argument("actual")
    dc = sub.add_parser("detail-check")
    dc.add_argument("--container", required=True)
    dc.add_argument("--name")
    dc.add_argument("--tag", action="append")
    dc.add_argument("--no-tag", action="append")
    hl = sub.add_parser("health-latency")
    hl.add_argument("events")
    hl.add_argument("watch")
    a = p.parse_args()
    if a.cmd == "free-ports":
        free_ports(a.n)
    elif a.cmd == "v3-flatten":
        v3_flatten()
    elif a.cmd == "v3-leases":
        v3_flatten(leases=True)
    elif a.cmd == "v2-flatten":
        v2_flatten()
    elif a.cmd == "v2-get":
        v2_get("value")
    elif a.cmd == "v2-ttl":
        v2_get("ttl")
    elif a.cmd == "expected":
        text = sys.stdin.read().strip()
        for k, v in sorted(expected(json.loads(text) if text else [], a.hostname, a.prefix,
                                    a.ip).items()):
            print("%s\t%s" % (k, v))
    elif a.cmd == "compare":
        compare(a)
    elif a.cmd == "detail-check":
        detail_check(a)
    elif a.cmd == "health-latency":
        health_latency(a.events, a.watch)


if __name__ == "__main__":
    main()
