"""The "before -> after" section, when bench/run.sh also measured an earlier build."""
import statistics

from report_figures import ms, mib, summary


def before_after(R):
    """Rows of (measure, before, after, change) when the run also measured an earlier build."""
    B = R.get("before")
    if not B:
        return []
    rows = []

    def add(what, b, a, fmt):
        if b is None or a is None:
            return
        rows.append((what, fmt(b), fmt(a), f"{(a - b) / b * 100:+.0f} %" if b else "—"))
    if "latency" in B:
        lb, la = B["latency"], R["latency"]
        for key, label in (("start_to_key_ns", "`start` → key"), ("die_to_removal_ns", "`die` → removal")):
            sb, sa = summary(lb[key]), summary(la[key])
            for q in ("p50", "p99"):
                add(f"{label}, {q} (before n={sb['n']}, after n={sa['n']})", sb[q], sa[q], ms)
        add("RSS idle", lb["rss_idle_kb"], la["rss_idle_kb"], mib)
        for k, label in (("pss", "PSS"), ("rssanon", "anonymous RSS (own memory)")):
            if k in lb.get("mem_idle_kb", {}) and k in la.get("mem_idle_kb", {}):
                add(f"{label} idle", lb["mem_idle_kb"][k], la["mem_idle_kb"][k], mib)
        for k, label in (("vmrss", "RSS"), ("pss", "PSS"), ("rssanon", "anonymous RSS")):
            if k in lb.get("mem_after_events_kb", {}) and k in la.get("mem_after_events_kb", {}):
                add(f"{label} after the latency series' events (0 services left)",
                    lb["mem_after_events_kb"][k], la["mem_after_events_kb"][k], mib)
    for N, s in R.get("sync", {}).items():
        if "runs_before" not in s:
            continue
        b = statistics.median(r["ns"] / 1e6 for r in s["runs_before"])
        a = statistics.median(r["ns"] / 1e6 for r in s["runs"])
        add(f"Startup sync of {N}, median of {len(s['runs'])} (interleaved runs)", b, a, ms)
        add(f"RSS after syncing {N}", statistics.median(r["rss_kb"] for r in s["runs_before"]),
            statistics.median(r["rss_kb"] for r in s["runs"]), mib)
        pb = [r["mem_kb"]["pss"] for r in s["runs_before"] if "pss" in r.get("mem_kb", {})]
        pa = [r["mem_kb"]["pss"] for r in s["runs"] if "pss" in r.get("mem_kb", {})]
        if pb and pa:
            add(f"PSS after syncing {N}", statistics.median(pb), statistics.median(pa), mib)
        ab = [r["mem_kb"]["rssanon"] for r in s["runs_before"] if "rssanon" in r.get("mem_kb", {})]
        aa = [r["mem_kb"]["rssanon"] for r in s["runs"] if "rssanon" in r.get("mem_kb", {})]
        if ab and aa:
            add(f"anonymous RSS after syncing {N}", statistics.median(ab), statistics.median(aa), mib)
    # Own memory per service: anonymous RSS after the largest sync minus idle, and the slope
    # between the smallest and the largest sync (fixed costs of a sync cancel out).
    sync = R.get("sync", {})
    if len(sync) >= 2 and "latency" in B:
        Ns = sorted(sync, key=int)
        lo, hi = Ns[0], Ns[-1]

        def anon(runs):
            v = [r["mem_kb"]["rssanon"] for r in runs if "rssanon" in r.get("mem_kb", {})]
            return statistics.median(v) if v else None

        def kib(v):
            return f"{v:.2f} KiB"
        hb, ha = anon(sync[hi].get("runs_before", [])), anon(sync[hi]["runs"])
        lb_, la_ = anon(sync[lo].get("runs_before", [])), anon(sync[lo]["runs"])
        ib = B["latency"].get("mem_idle_kb", {}).get("rssanon")
        ia = R["latency"].get("mem_idle_kb", {}).get("rssanon")
        if None not in (hb, ha, ib, ia):
            add(f"own (anonymous) memory per service: (after {hi} − idle) / {hi}",
                (hb - ib) / int(hi), (ha - ia) / int(hi), kib)
        if None not in (hb, ha, lb_, la_):
            add(f"own (anonymous) memory per service: (after {hi} − after {lo}) / {int(hi) - int(lo)}",
                (hb - lb_) / (int(hi) - int(lo)), (ha - la_) / (int(hi) - int(lo)), kib)
    return rows


def before_after_section(R):
    rows = before_after(R)
    if not rows:
        return ""
    out = ["## Before → after (same run)", "",
           f"The earlier build `{R['before']['agent']}` was measured in the same run: its startup "
           "syncs interleaved with the current build's (same containers, same load), its latency "
           "series right after the current one. Change = (after − before) / before.", "",
           "| Measure | Before | After | Change |", "|---|---|---|---|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"
