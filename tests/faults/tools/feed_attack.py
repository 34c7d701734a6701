#!/usr/bin/env python3
"""Attacks on the agent's feed HTTP boundary for tests/faults/feed_boundary.sh and
feed_slow_clients.sh (issue 15). Standard library only, raw sockets, our own WebSocket framing
(the mask bit is ours to set). Every subcommand talks to 127.0.0.1 only and prints one summary
line ("key=value ..."), which the scripts parse and quote.

  feed_attack.py PORT request [--method M] [--target T] [--version V] [--host H | --no-host]
                 [--header 'N: v']... [--body N] [--ws] [--eof-within S]
        one raw request; prints "status=NNN" (or status=none and why), the response headers
        it got and, with --eof-within, whether the server closed within S seconds after it.
  feed_attack.py PORT bighead --kind header|url|many [--conns 3] [--mb 200] [--min-seconds 3]
                 [--max-seconds 60] [--pid PID] [--rss-cap-mb 1500]
        header: "GET /api/v1/hosts", a Host, then "X-A: " and MB MiB of 'a' on each connection;
        url: a request target of MB MiB; many: 70,000 small header fields. Sends until the
        server answers or closes (EPIPE/ECONNRESET tolerated), opening a new connection in that
        slot (0.2 s later) until --min-seconds have passed, so the attack lasts at least that
        long. Stops at --max-seconds or when the agent's RSS passes --rss-cap-mb.
  feed_attack.py PORT pingflood [--mb 1024] [--max-seconds 60] [--stall-seconds 15] [--pid PID]
                 [--rss-cap-mb 1500]
        upgrades /ws, never reads (4 KiB receive buffer), sends masked 125-byte pings until MB MiB
        are sent, the server cuts the connection, nothing moves for --stall-seconds, or a cap.
  feed_attack.py PORT slowloris [--conns 100] [--interval 5] [--check-at 20]
        each connection sends "GET / HTTP/1.1" and a Host, then one byte every --interval s;
        prints how many the server cut and when (seconds after the first byte), and how many
        were still open at --check-at seconds.
  feed_attack.py PORT pipeline --targets T1,T2,...
        all requests in one write on one connection; reads the answers by Content-Length and
        prints which target each answer belongs to, in arrival order.
  feed_attack.py PORT pipeflood [--n 20000] [--target T] [--send-seconds 5] [--hold 5]
        N pipelined requests sent (non-blocking, for at most --send-seconds) on a connection
        that never reads (4 KiB receive buffer), held for --hold s, then closed.
  feed_attack.py PORT upgrades [--n 200] [--query Q] [--header 'N: v']...
        N WebSocket upgrades one after the other; prints the count of each status.
  feed_attack.py PORT hold [--n 256] [--query Q] [--seconds 60] [--stop-file F]
        holds N upgraded clients (prints "held=N" once they are all up) until F exists or S s.
  feed_attack.py PORT head [--target /]
        HEAD then GET on one connection; compares status and headers with a separate GET and
        checks that the HEAD answer has no body (the GET's answer follows right after it).
  feed_attack.py PORT unmasked [--query Q]
        upgrades /ws, reads the greeting, sends an unmasked text frame, prints the close code.
"""
import argparse
import os
import sys

# The attacks are in parts next to this file, by theme: feed_attack_http.py (requests, answers),
# feed_attack_ws.py (WebSocket frames), feed_attack_requests.py (request, pipeline, upgrades,
# hold, head, unmasked), feed_attack_bighead.py and feed_attack_slow.py (pingflood, slowloris,
# pipeflood). Found by path even under -P; no __pycache__ is left in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from feed_attack_bighead import cmd_bighead  # noqa: E402
from feed_attack_requests import (cmd_head, cmd_hold, cmd_pipeline, cmd_request,  # noqa: E402
                                  cmd_unmasked, cmd_upgrades)
from feed_attack_slow import cmd_pingflood, cmd_pipeflood, cmd_slowloris  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("port", type=int)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("request")
    r.add_argument("--method", default="GET")
    r.add_argument("--target", help="default / (/ws with --ws)")
    r.add_argument("--version", default="HTTP/1.1")
    r.add_argument("--host")
    r.add_argument("--no-host", action="store_true")
    r.add_argument("--header", action="append", default=[])
    r.add_argument("--body", type=int, default=0)
    r.add_argument("--ws", action="store_true")
    r.add_argument("--eof-within", type=float)
    r.add_argument("--show-body", action="store_true")
    r.add_argument("--timeout", type=float, default=5)
    b = sub.add_parser("bighead")
    b.add_argument("--kind", choices=("header", "url", "many"), default="header")
    b.add_argument("--conns", type=int, default=3)
    b.add_argument("--mb", type=int, default=200)
    b.add_argument("--min-seconds", type=float, default=3)
    b.add_argument("--reopen-delay", type=float, default=0.2)
    b.add_argument("--max-seconds", type=float, default=60)
    b.add_argument("--pid", type=int, default=0)
    b.add_argument("--rss-cap-mb", type=int, default=1500)
    f = sub.add_parser("pingflood")
    f.add_argument("--mb", type=int, default=1024)
    f.add_argument("--query", default="")
    f.add_argument("--max-seconds", type=float, default=60)
    f.add_argument("--stall-seconds", type=float, default=15)
    f.add_argument("--hold", type=float, default=1, help="seconds to stay connected after sending all")
    f.add_argument("--pid", type=int, default=0)
    f.add_argument("--rss-cap-mb", type=int, default=1500)
    s = sub.add_parser("slowloris")
    s.add_argument("--conns", type=int, default=100)
    s.add_argument("--interval", type=float, default=5)
    s.add_argument("--check-at", type=float, default=20)
    pl = sub.add_parser("pipeline")
    pl.add_argument("--targets", required=True)
    pf = sub.add_parser("pipeflood")
    pf.add_argument("--n", type=int, default=20000)
    pf.add_argument("--target", default="/api/v1/snapshot")
    pf.add_argument("--send-seconds", type=float, default=5)
    pf.add_argument("--hold", type=float, default=5)
    u = sub.add_parser("upgrades")
    u.add_argument("--n", type=int, default=200)
    u.add_argument("--query", default="")
    u.add_argument("--header", action="append", default=[])
    h = sub.add_parser("hold")
    h.add_argument("--n", type=int, default=256)
    h.add_argument("--query", default="")
    h.add_argument("--seconds", type=float, default=60)
    h.add_argument("--stop-file")
    hd = sub.add_parser("head")
    hd.add_argument("--target", default="/")
    um = sub.add_parser("unmasked")
    um.add_argument("--query", default="")
    a = p.parse_args()
    {"request": cmd_request, "bighead": cmd_bighead, "pingflood": cmd_pingflood,
     "slowloris": cmd_slowloris, "pipeline": cmd_pipeline, "pipeflood": cmd_pipeflood,
     "upgrades": cmd_upgrades, "hold": cmd_hold, "head": cmd_head,
     "unmasked": cmd_unmasked}[a.cmd](a)


if __name__ == "__main__":
    main()
