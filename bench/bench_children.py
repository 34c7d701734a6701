"""The bench driver's child processes: the agent, watchers and clients, their output read line
by line with deadlines, and every child stopped on exit (run.sh reads PIDFILE after a kill)."""
import collections
import os
import selectors
import subprocess
import time

from bench_common import HOSTNAME, PREFIX, now_ns


CHILDREN = []                 # Popen objects to stop on exit
PIDFILE = None                # run.sh reads it to stop strays after a kill


class LineSource:
    """Lines from child processes (tagged), read one at a time with a deadline."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.buf = {}
        self.pending = collections.deque()

    def add(self, proc, tag):
        os.set_blocking(proc.stdout.fileno(), False)
        self.sel.register(proc.stdout.fileno(), selectors.EVENT_READ, tag)
        self.buf[tag] = b""

    def next(self, timeout):
        """The next (tag, line), or None when timeout seconds pass with nothing new."""
        if not self.pending:
            for key, _ in self.sel.select(timeout):
                tag = key.data
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    self.sel.unregister(key.fd)
                    raise RuntimeError(f"child '{tag}' closed its output")
                self.buf[tag] += chunk
                *full, self.buf[tag] = self.buf[tag].split(b"\n")
                self.pending.extend((tag, l.decode()) for l in full)
        return self.pending.popleft() if self.pending else None


def spawn(args, **kw):
    p = subprocess.Popen(args, **kw)
    CHILDREN.append(p)
    if PIDFILE:
        with open(PIDFILE, "a") as f:
            f.write(f"{p.pid}\n")
    return p


def stop(p, timeout=10):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
    if p in CHILDREN:
        CHILDREN.remove(p)


def start_watcher(a, prefix, src, tag):
    p = spawn([a.floor_tool, "watch", "--etcd", str(a.etcd), "--prefix", prefix],
              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    src.add(p, tag)
    wait_for(src, lambda t, l: t == tag and l == "READY", 10, f"watch {prefix} not created")
    return p


def wait_for(src, pred, timeout, what, on_line=None):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"timed out after {timeout} s: {what}")
        item = src.next(min(left, 1.0))
        if item is None:
            continue
        tag, line = item
        if on_line:
            on_line(tag, line)
        if pred(tag, line):
            return line


class Agent:
    n = 0

    def __init__(self, a, feed_port=None, binary=None):
        Agent.n += 1
        self.log = os.path.join(a.work, f"agent.bench{Agent.n}.log")
        args = [binary or a.agent, f"-hostname={HOSTNAME}", "-ip=127.0.0.1"]
        if feed_port:
            args.append(f"-feed=127.0.0.1:{feed_port}")
        args.append(f"etcd://127.0.0.1:{a.etcd}{PREFIX}")
        env = dict(os.environ, DOCKER_HOST="unix://" + a.sock)
        self.t0 = now_ns()
        self.proc = spawn(args, env=env, stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        stop(self.proc)
