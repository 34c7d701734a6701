"""Shared by the bench driver's modules: what the agent is started with, the clock, load,
logging, bounded waits and percentiles (python3 stdlib only)."""
import base64
import statistics
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


def pct(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def summary_ms(samples_ns):
    ms = [s / 1e6 for s in samples_ns]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50": pct(ms, 50), "p90": pct(ms, 90), "p99": pct(ms, 99),
            "min": min(ms), "max": max(ms), "mean": statistics.fmean(ms)}


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
