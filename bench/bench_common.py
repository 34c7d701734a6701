"""Shared by the bench driver's modules: what the agent is started with, the clock, load,
logging and bounded waits (python3 stdlib only)."""
import base64
import sys
import time


API = "/v1.41"
HOSTNAME = "benchhost"
PREFIX = "/services"          # the agent's registry prefix
IMAGE = "bench/sleeper"       # service name "sleeper"


def now_ns():
    return time.time_ns()


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def prefix_end(p):
    b = bytearray(p.encode())
    b[-1] += 1
    return bytes(b)


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def log(*a):
    print(time.strftime("%H:%M:%S"), "[bench]", *a, file=sys.stderr, flush=True)


def wait_until(cond, timeout, what, every=0.05):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s: {what}")
        time.sleep(every)
