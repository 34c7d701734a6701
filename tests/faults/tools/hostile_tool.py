#!/usr/bin/env python3
"""Helpers for tests/faults/hostile_labels.sh.

  hostile_tool.py body IMAGE CASE    prints the JSON body of POST /containers/create for a case
                                     too big for a command line (an argument is at most 128 KiB):
                                     big-label, many-labels, big-tags, big-env, env-100k
  hostile_tool.py check-keys MAX_VALUE_BYTES
                                     `etcdctl get --prefix -w json` on stdin: every key must be
                                     valid UTF-8 without control characters, empty, "." or ".."
                                     segments, at most 1 KiB; every value at most MAX_VALUE_BYTES
                                     and, under /portolan/, a JSON object. Prints a summary line;
                                     exit 1 (with the reasons) when one is not.
  hostile_tool.py detail NAME_FRAGMENT
                                     the same input: prints "attributes=N tags=M bytes=B" of the
                                     detail record whose key contains NAME_FRAGMENT
"""
import base64
import json
import sys

MIB = 1024 * 1024


def body(image, case):
    labels, env = {}, []
    if case == "big-label":
        labels["SERVICE_BLOB"] = "b" * MIB
        labels["com.example.big"] = "c" * MIB  # not SERVICE_*: never read
    elif case == "many-labels":
        for i in range(500):
            labels["SERVICE_A%03d" % i] = "v" * 100
    elif case == "big-tags":
        labels["SERVICE_TAGS"] = ",".join("t%d" % i for i in range(MIB // 8))[:MIB]
    elif case == "big-env":
        env = ["SERVICE_BIG=" + "e" * MIB]
    elif case == "env-100k":
        env = ["SERVICE_NOTE=" + "e" * (100 * 1024), "PLAIN=" + "p" * (100 * 1024)]
    else:
        sys.exit("unknown case " + case)
    doc = {
        "Image": image,
        "Labels": labels,
        "Env": env,
        "HostConfig": {"PublishAllPorts": True},
    }
    sys.stdout.write(json.dumps(doc))


def _kvs():
    text = sys.stdin.read().strip()
    if not text:
        return []
    return json.loads(text).get("kvs", []) or []


def check_keys(max_value):
    bad, n, biggest, biggest_key = [], 0, 0, ""
    for kv in _kvs():
        n += 1
        raw = base64.b64decode(kv["key"])
        value = base64.b64decode(kv.get("value", ""))
        try:
            key = raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.append("key is not UTF-8: %r" % raw[:80])
            continue
        if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in key):
            bad.append("key has control characters: %r" % key[:80])
        segments = key.split("/")
        if segments[0] != "" or any(s in ("", ".", "..") for s in segments[1:]):
            bad.append("key has an empty, '.' or '..' segment: %r" % key[:80])
        if len(raw) > 1024:
            bad.append("key is %d bytes: %r" % (len(raw), key[:80]))
        if len(value) > max_value:
            bad.append("value of %r is %d bytes (limit %d)" % (key[:80], len(value), max_value))
        if key.startswith("/portolan/"):
            try:
                if not isinstance(json.loads(value), dict):
                    raise ValueError
            except ValueError:
                bad.append("value of %r is not a JSON object" % key[:80])
        if len(value) > biggest:
            biggest, biggest_key = len(value), key
    print("keys=%d biggest_value=%d (%s)" % (n, biggest, biggest_key[:60]))
    for b in bad:
        print("BAD " + b)
    sys.exit(1 if bad else 0)


def detail(fragment):
    for kv in _kvs():
        key = base64.b64decode(kv["key"]).decode("utf-8", "replace")
        if fragment in key and key.startswith("/portolan/services/"):
            value = base64.b64decode(kv.get("value", ""))
            d = json.loads(value)
            print("attributes=%d tags=%d bytes=%d" % (len(d.get("attributes", {})), len(d.get("tags", [])), len(value)))
            return
    sys.exit("no detail record with %r" % fragment)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "body":
        body(sys.argv[2], sys.argv[3])
    elif cmd == "check-keys":
        check_keys(int(sys.argv[2]))
    elif cmd == "detail":
        detail(sys.argv[2])
    else:
        sys.exit(__doc__)
