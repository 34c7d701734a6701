"""The machine the bench ran on and the load it saw."""
import os
import platform
import re
import statistics
import subprocess


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""


def machine(agent, repo, commit, dirty):
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
    mem = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    osr = re.search(r'PRETTY_NAME="(.*)"', open("/etc/os-release").read())
    qt = sh("dpkg-query -W -f '${Version}' libqt6core6 2>/dev/null") or sh("qtpaths6 --qt-version")
    dirty = ", ".join(dirty.split())
    return [
        ("CPU", f"{cpu.group(1) if cpu else '?'}, nproc {os.cpu_count()}"),
        ("Memory", f"{mem / 1024 / 1024:.1f} GiB"),
        ("Kernel / OS", f"{platform.release()} / {osr.group(1) if osr else '?'}"),
        ("Docker", sh("dockerd --version")),
        ("etcd", sh("etcd --version | head -1")),
        ("Qt", qt),
        ("Node / Python", f"{sh('node --version')} / {platform.python_version()}"),
        ("Agent", f"`{agent}` (RelWithDebInfo), built from the working tree at commit {commit}"
                  + (f"; files differing from that commit (other engineers' work in progress): {dirty}"
                     if dirty else " (clean)")),
    ]


def load_summary(path, R):
    samples = []
    if os.path.exists(path):
        for line in open(path):
            f = line.split()
            if len(f) >= 2:
                samples.append(float(f[1]))
    parts = []
    if samples:
        parts.append(f"1-minute load average sampled every 5 s during the run: min {min(samples):.2f}, "
                     f"mean {statistics.fmean(samples):.2f}, max {max(samples):.2f} "
                     f"({len(samples)} samples) on {os.cpu_count()} cores.")
    ph = ", ".join(f"{k} {v['loadavg_start'][0]:.2f}→{v['loadavg_end'][0]:.2f} ({v['seconds']:.0f} s)"
                   for k, v in R["phases"].items())
    parts.append(f"Per phase (1-minute load at start→end, duration): {ph}.")
    return samples, " ".join(parts)
