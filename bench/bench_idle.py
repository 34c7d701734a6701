"""Memory and CPU of a running agent, read from /proc, and the idle phase that uses them."""
import os
import time

from bench_common import now_ns


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def mem_kb(pid):
    """VmRSS, anonymous RSS and PSS (kB). PSS splits shared library pages between the processes
    mapping them; anonymous RSS is the agent's own heap and stacks."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "RssAnon:", "RssFile:")):
                out[line.split(":")[0].lower()] = int(line.split()[1])
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Pss:", "Pss_Anon:", "Pss_File:")):
                    out[line.split(":")[0].lower()] = int(line.split()[1])
    except OSError:
        pass
    return out


def cpu_ns(pid):
    """Run time of all threads, ns (schedstat), and utime+stime in clock ticks."""
    with open(f"/proc/{pid}/schedstat") as f:
        sched = int(f.read().split()[0])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])   # utime, stime (fields 14 and 15)
    return sched, ticks


def m_idle(a, agent):
    """The agent that synced the last N, left alone: memory, then CPU over a.idle_s seconds."""
    time.sleep(3)
    rss = rss_kb(agent.pid)
    mem = mem_kb(agent.pid)
    s0, k0, w0 = *cpu_ns(agent.pid), now_ns()
    time.sleep(a.idle_s)
    s1, k1, w1 = *cpu_ns(agent.pid), now_ns()
    hz = os.sysconf("SC_CLK_TCK")
    r = {"rss_kb": rss, "mem_kb": mem, "services": a.sync[-1], "window_s": (w1 - w0) / 1e9,
         "cpu_pct_schedstat": 100.0 * (s1 - s0) / (w1 - w0),
         "cpu_pct_ticks": 100.0 * (k1 - k0) / hz / ((w1 - w0) / 1e9)}
    agent.stop()
    return r
