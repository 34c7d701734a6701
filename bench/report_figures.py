"""Numbers as the report prints them: percentiles of bench.py's samples, durations, sizes,
ratios and the "Met" column."""


def pct(values, p):
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def ms(v):
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms"


def mib(kb):
    return f"{kb / 1024:.1f} MiB"


def mem_detail(m):
    """ "PSS 7.0 MiB, anonymous 2.1 MiB" from mem_kb() in bench_idle.py, or "" for older results."""
    if not m or "pss" not in m:
        return ""
    return f"PSS {mib(m['pss'])}, anonymous {mib(m.get('rssanon', 0))}"


def ratio(a, b):
    return f"×{a / b:.1f}" if b else "—"


def met(ok):
    return "yes" if ok else "**no**"


def summary(ns):
    v = [x / 1e6 for x in ns]
    return {"p50": pct(v, 50), "p90": pct(v, 90), "p99": pct(v, 99), "n": len(v)}
