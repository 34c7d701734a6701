"""The feed's rows of the agent's table: the kernel-stamped probe (bench/feed_probe.py), which
measures the agent, and the Node client (bench/feed-client.mjs), which includes its receiver."""
from report_figures import pct, ms, mib, ratio, met


def feed_rows(R, floor):
    """The feed's delay, two ways. The kernel-stamped probe (bench/feed_probe.py) measures the
    agent: put -> the agent's write reaches each client's socket. The Node client and the
    probe's own read time add the receiver (one process reading 100 sockets on 2 shared cores).
    The target is judged on the kernel-stamped figure; results without a probe judge the Node
    figure as before."""
    rows = []
    f = R["feed"]
    d = f["delays_ms"]
    c = f["clients"]
    services = f.get("services") or R.get("idle", {}).get("services", "?")
    P = f.get("probe")

    def fl(q, v):   # the floor column and the ratio to it
        return (ms(floor[f"p{q}"]), ratio(v, floor[f"p{q}"])) if floor else ("—", "")
    if P:
        k, r = P["kernel_delays_ms"], P["read_delays_ms"]
        q_v = {50: pct(k, 50), 99: pct(k, 99)}
        for q in (50, 99):
            rows.append((f"Feed, the agent's share: etcd put → the agent's frame reaches each of {P['clients']} "
                         f"client sockets (kernel receive timestamp, `bench/feed_probe.py`), p{q} "
                         f"(n={len(k)}; {P['probes']} puts, {services} services known, missed {P['missed']})",
                         ms(q_v[q]), *fl(q, q_v[q]), "≤ 20 ms" if q == 99 else "—", met(q_v[q] <= 20) if q == 99 else "",
                         "—"))
        fpr = P.get("frames_per_read", {})
        rows.append(("↳ the same, max; frames in the read that completed each receipt (frames read together "
                     "share that read's one stamp, the newest segment's)",
                     f"{ms(max(k))}; " + ", ".join(f"{v}× {c} frames" for c, v in fpr.items()), "", "", "", "", ""))
        rows += probe_split_rows(P)
        rows.append(("↳ the same puts, put → the probe's own `recvmsg` returned (one Python process reading "
                     f"{P['clients']} sockets: the receiver's queueing included), p50 / p99",
                     f"{ms(pct(r, 50))} / {ms(pct(r, 99))}", "", "", "", "", ""))
    for q in (50, 99):
        v = pct(d, q)
        judged = not P and q == 99
        rows.append((f"Feed{', the receiver included' if P else ''}: etcd put → {c} WebSocket clients in one Node "
                     f"process (`bench/feed-client.mjs`) stamp it, p{q} "
                     f"(n={len(d)}; {f['probes']} puts, {services} services known)", ms(v), *fl(q, v),
                     "≤ 20 ms" if judged else ("— (not the agent's share)" if q == 99 and P else "—"),
                     met(v <= 20) if judged else "", "—"))
    per = (f["rss_with_clients_kb"] - f["rss_before_clients_kb"]) / c
    rows.append((f"Feed memory per connected client (RSS {mib(f['rss_before_clients_kb'])} → "
                 f"{mib(f['rss_with_clients_kb'])} with {c} clients)", f"{per:.0f} KiB", "—", "", "—", "", "—"))
    return rows


def probe_split_rows(P):
    """Per put, from the probe's kernel stamps: put -> an independent etcd watch (etcd's share),
    that watch -> the first feed socket (the agent's reaction), last - first socket (fan-out)."""
    if not P.get("per_probe_watch_kernel_ms"):
        return []
    trip = [(w, f, la, i) for i, (w, f, la) in enumerate(zip(
        P["per_probe_watch_kernel_ms"], P["per_probe_first_kernel_ms"], P["per_probe_last_kernel_ms"]))
        if f is not None]
    watch = [t[0] for t in trip]
    react = [f - w for w, f, _, _ in trip]
    spread = [la - f for _, f, la, _ in trip]

    def q3(v):
        return f"{ms(pct(v, 50))} / {ms(pct(v, 99))} / {ms(max(v))}"
    return [
        (f"↳ per put (n={len(trip)}), p50 / p99 / max: put → an independent etcd watch has it (kernel stamp; "
         "etcd's share)", q3(watch), "", "", "", "", ""),
        ("↳ per put: that watch → the first feed socket has it (the agent reads its own watch, "
         "builds the message, writes)", q3(react), "", "", "", "", ""),
        ("↳ per put: the first → the last of the feed sockets (the agent's fan-out)", q3(spread),
         "", "", "", "", ""),
    ] + agent_sched_rows(P, trip)


def agent_sched_rows(P, trip):
    """Whether the agent's slow puts were work or waiting: its CPU time and run-queue wait
    (schedstat, all threads) from just before each put until every socket had it."""
    cpu, wait = P.get("per_probe_agent_cpu_ms"), P.get("per_probe_agent_runqueue_wait_ms")
    if not cpu or len(cpu) != len(P["per_probe_watch_kernel_ms"]):
        return []
    agent = sorted(((la - w, i) for w, _, la, i in trip), reverse=True)   # watch -> last socket
    worst = "; ".join(f"{ms(d)}: CPU {ms(cpu[i])}, waited {ms(wait[i])}" for d, i in agent[:3])
    return [("↳ per put: the agent's CPU time / its time runnable but waiting for a CPU (schedstat), "
             "p50 / max", f"{ms(pct(cpu, 50))} / {ms(max(cpu))}; {ms(pct(wait, 50))} / {ms(max(wait))}",
             "", "", "", "", ""),
            ("↳ the 3 slowest puts (watch → last socket): the agent's CPU time and run-queue wait", worst,
             "", "", "", "", "")]


def feed_rep_rows(R):
    """One line per repetition of the feed phase (BENCH_FEED_REPS), each with its load."""
    rows = []
    for i, f in enumerate(R.get("feed_reps", [])):
        P = f.get("probe")
        if not P:
            continue
        k, r, d = P["kernel_delays_ms"], P["read_delays_ms"], f["delays_ms"]
        la = f"{P['loadavg_start'][0]:.1f}→{P['loadavg_end'][0]:.1f}"
        rows.append((f"Feed repetition {i + 1} (fresh agent; 1-minute load {la} during the probe): "
                     "kernel-stamped p50 / p99 / max; probe's read p99; Node p50 / p99",
                     f"{ms(pct(k, 50))} / {ms(pct(k, 99))} / {ms(max(k))}; {ms(pct(r, 99))}; "
                     f"{ms(pct(d, 50))} / {ms(pct(d, 99))}", "", "", "≤ 20 ms (p99)", met(pct(k, 99) <= 20), "—"))
    return rows
