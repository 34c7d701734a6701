"""The dashboard bench's section, from bench/out/dashboard.json."""
import os

from report_figures import ms, met


def dashboard_section(path):
    """The dashboard bench's figures (bench/dashboard/README.md describes dashboard.json)."""
    import json
    if not path or not os.path.exists(path):
        return ("## Dashboard\n\nNot measured in this run: `bench/out/dashboard.json` is missing "
                "(`bench/dashboard/run.sh` writes it).\n")
    try:
        D = json.load(open(path))
    except ValueError as e:
        return f"## Dashboard\n\n`{path}` is unreadable: {e}\n"
    me, q, ld, tr = D.get("model_events", {}), D.get("qml", {}), D.get("load", {}), D.get("tree", {})
    lay = D.get("layout", {})
    rows = []

    def row(what, value, target="—", ok=""):
        rows.append((what, value, target, ok))
    if "events_per_s" in me:
        row(f"Models: events applied per second with {lay.get('services', '?')} services loaded "
            "(ClusterState + the list models)", f"{me['events_per_s']:.0f}/s", "≥ 5000/s",
            met(me["events_per_s"] >= 5000))
    if "state_only_events_per_s" in me:
        row("↳ ClusterState alone, no model", f"{me['state_only_events_per_s']:.0f}/s")
    if "batch_ms_p50" in me:
        row("↳ one model's batch flush, p50 / p99 / max",
            f"{ms(me['batch_ms_p50'])} / {ms(me['batch_ms_p99'])} / {ms(me['batch_ms_max'])}")
    if "frame_ms_max" in q:
        row("QML views under the writer's event rate: worst frame (beforeSynchronizing → frameSwapped)",
            ms(q["frame_ms_max"]), "≤ 50 ms", met(q["frame_ms_max"] <= 50))
    if "frame_interval_ms_max" in q:
        # What a person sees: a blocked GUI thread (TableView's rebuild happens in polish, outside
        # the frame above) shows up only here. Wall time, so it also holds waiting for a core.
        row("Worst interval between two frames (what a person sees; wall time, load-dependent)",
            ms(q["frame_interval_ms_max"]), "≤ 50 ms", met(q["frame_interval_ms_max"] <= 50))
    for name, v in sorted(q.get("views", {}).items()):
        if "events_per_s" in v:
            row(f"↳ {name} view: events/s received, frame p50 / p99 / max",
                f"{v['events_per_s']:.0f}/s; {ms(v.get('frame_ms_p50', 0))} / {ms(v.get('frame_ms_p99', 0))}"
                f" / {ms(v.get('frame_ms_max', 0))}")
            if "frame_interval_ms_max" in v:
                row(f"↳ {name} view: interval p99 / max; GUI-thread CPU in polish per frame p99 / max",
                    f"{ms(v.get('frame_interval_ms_p99', 0))} / {ms(v['frame_interval_ms_max'])}; "
                    + (f"{ms(v['polish_cpu_ms_p99'])} / {ms(v['polish_cpu_ms_max'])}"
                       if "polish_cpu_ms_max" in v else "not measured"))
            if "gui_timer_gap_cpu_ms" in v:
                row(f"↳ {name} view: longest hold-up of the GUI thread's 16 ms timer; its CPU time in it",
                    f"{ms(v['gui_timer_gap_ms_max'])}; {ms(v['gui_timer_gap_cpu_ms'])}")
            cpu = [(m["flush_cpu_ms_max"], name_) for name_, m in v.get("per_model", {}).items()
                   if "flush_cpu_ms_max" in m]
            if cpu:
                worst, model = max(cpu)
                row(f"↳ {name} view: GUI-thread CPU of the slowest model batch (one flush)",
                    f"{ms(worst)} ({model})")
    if "models_loaded_ms" in ld:
        row("Load: connect → every model shows all services", ms(ld["models_loaded_ms"]))
    if "worst_ms" in tr:
        row("Keys view (KeyTreeModel): slowest page shown", ms(tr["worst_ms"]))
    m = D.get("machine", {})
    shown = "bench/out/dashboard.json" if path.endswith("bench/out/dashboard.json") else path
    head = (f"From `{shown}` "
            f"(`bench/dashboard/run.sh`, generated {D.get('generated_at', '?')}, commit "
            f"{D.get('commit', '?')}, load {m.get('loadavg_at_start', '?')} at start, "
            f"{D.get('loadavg_at_end', '?')} at end; {m.get('qpa', '?')} platform). "
            "See bench/dashboard/README.md for each phase.")
    out = ["## Dashboard", "", head, "", "| Measure | Value | Target | Met |", "|---|---|---|---|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"
