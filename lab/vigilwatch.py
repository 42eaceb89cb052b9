"""What a test watches while it breaks a lab: clients' view and the single-copy rule.

- Poller: a lab/vigil-poll process in the client namespace, GETting a URL every
  few milliseconds (Lab.start_poller); read and analyse its log here: gaps (the
  longest run of failures, from the last success before it to the first
  success after it) and which node answered when.
- PrimarySampler: a thread asking every node, round after round, whether it
  is a primary (a test-given question); two at once is a violation.
- Sampler: a thread of the test process that, every 100 ms, looks into every
  node of the lab and records which nodes hold an address, run a process or
  have a filesystem mounted (Lab.start_sampler). A sample in which two nodes
  hold the same thing breaks vigil's first safety invariant ("at most one
  active copy") and is kept as a violation.

The sampler only reads: the kernel's address lists over rtnetlink (one socket
per node, opened in the node's network namespace by the sampler thread,
which enters the namespace for that moment only, then returns), /proc for
processes (matched by network namespace and command line), and
/proc/PID/mountinfo of a process in the node's mount namespace for mounts.

Python 3 standard library only. Times are CLOCK_MONOTONIC milliseconds
(now_ms(), time.monotonic() * 1000), the clock vigil-poll writes too.
"""

import collections
import ctypes
import os
import re
import socket
import struct
import threading
import time

SAMPLE_INTERVAL_S = 0.1
SAMPLER_MAX_S = 1800  # a sampler stops on its own after this long (a bound)


def now_ms():
    """CLOCK_MONOTONIC in ms: the clock of poll logs and samples."""
    return time.monotonic() * 1000.0


# ---------------------------------------------------------------- poller logs

Attempt = collections.namedtuple("Attempt", "start end wall ok detail")
Attempt.__doc__ = """One GET by vigil-poll: start/end (monotonic ms), wall (ms since the
epoch), ok (bool), detail (the node that answered, or why it failed)."""


def parse_poll_log(text):
    """The attempts in a vigil-poll log (text), oldest first. A partly written last
    line is ignored."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        f = line.split(" ", 4)
        if len(f) != 5 or f[3] not in ("ok", "fail"):
            continue
        try:
            out.append(Attempt(float(f[0]), float(f[1]), float(f[2]), f[3] == "ok", f[4]))
        except ValueError:
            continue
    return out


def analyse_poll(attempts, since=None, until=None):
    """What a client saw, from a list of Attempts (those starting in [since, until]):

    {"attempts": N, "ok": N, "failed": N,
     "gaps": [{"from": MS | None, "to": MS | None, "ms": MS | None, "failures": N,
               "reasons": {reason: count}, "before": NODE | None, "after": NODE | None}],
     "longest_gap_ms": MS | None (the longest closed gap; None if there is none),
     "open_gap": bool (it was still failing at the end),
     "segments": [{"node": NODE, "from": MS, "to": MS, "count": N}]
                 (runs of successes answered by one node, in order),
     "nodes": [NODE, ...] (the distinct nodes that answered, in order),
     "last": Attempt | None}

    A gap is a run of failed attempts; it lasts from the start of the last success
    before it (which may be before `since`) to the start of the first success
    after it ("from"/"to"; None at an end of the log).
    """
    sel = [a for a in attempts if (since is None or a.start >= since)
           and (until is None or a.start <= until)]
    gaps, segments, nodes = [], [], []
    # The last success before the window, for a gap that begins at its start.
    last_ok = None
    if since is not None:
        for a in attempts:
            if a.start >= since:
                break
            if a.ok:
                last_ok = a
    run = None  # the gap being built
    for a in sel:
        if a.ok:
            if run is not None:
                run["to"] = a.start
                run["after"] = a.detail
                if run["from"] is not None:
                    run["ms"] = run["to"] - run["from"]
                gaps.append(run)
                run = None
            if segments and segments[-1]["node"] == a.detail and segments[-1]["closed"] is False:
                segments[-1]["to"] = a.start
                segments[-1]["count"] += 1
            else:
                if segments:
                    segments[-1]["closed"] = True
                segments.append({"node": a.detail, "from": a.start, "to": a.start, "count": 1,
                                 "closed": False})
            if a.detail not in nodes:
                nodes.append(a.detail)
            last_ok = a
        else:
            if segments:
                segments[-1]["closed"] = True
            if run is None:
                run = {"from": last_ok.start if last_ok else None, "to": None, "ms": None,
                       "failures": 0, "reasons": {},
                       "before": last_ok.detail if last_ok else None, "after": None}
            run["failures"] += 1
            run["reasons"][a.detail] = run["reasons"].get(a.detail, 0) + 1
    if run is not None:
        gaps.append(run)
    for s in segments:
        del s["closed"]
    closed = [g["ms"] for g in gaps if g["ms"] is not None]
    return {"attempts": len(sel), "ok": sum(1 for a in sel if a.ok),
            "failed": sum(1 for a in sel if not a.ok), "gaps": gaps,
            "longest_gap_ms": max(closed) if closed else None,
            "open_gap": bool(sel) and not sel[-1].ok,
            "segments": segments, "nodes": nodes, "last": sel[-1] if sel else None}


def describe_poll(analysis):
    """One line summing up analyse_poll's result, for test output."""
    a = analysis
    def one(g):
        why = f"{g['failures']} failed: {','.join(sorted(g['reasons']))}"
        if g["to"] is None:
            return f"still failing ({why})"
        if g["from"] is None:
            return f"failing from the start until {g['to']:.0f} ({why})"
        return f"{g['ms']:.0f} ms ({g['before']}->{g['after']}, {why})"
    gaps = ", ".join(one(g) for g in a["gaps"]) or "none"
    return (f"{a['attempts']} attempts, {a['ok']} ok, {a['failed']} failed; answered by "
            f"{' -> '.join(s['node'] for s in a['segments']) or 'nobody'}; gaps: {gaps}")


class PrimarySampler:
    """A thread asking, round after round, which of `nodes` is a primary
    (is_primary(node) -> bool), leaving out the nodes in .off (powered off by
    the test); any round with two primaries is a violation. Stops on its own
    after SAMPLER_MAX_S. stop() prints the primaries over time and asserts
    that there were rounds and no violation."""

    def __init__(self, nodes, is_primary, interval_s=0.05):
        self.nodes, self.is_primary, self.interval_s = list(nodes), is_primary, interval_s
        self.off = set()
        self.rounds = 0
        self.violations = []
        self.seen = []  # the primaries, whenever they change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        end = time.monotonic() + SAMPLER_MAX_S
        while not self._stop.is_set() and time.monotonic() < end:
            prim = [n for n in self.nodes if n not in self.off and self.is_primary(n)]
            self.rounds += 1
            if len(prim) > 1:
                self.violations.append((now_ms(), prim))
            if not self.seen or self.seen[-1] != prim:
                self.seen.append(prim)
            time.sleep(self.interval_s)

    def stop(self):
        self._stop.set()
        self._thread.join(30)
        print(f"primary sampler: {self.rounds} rounds, primaries over time: {self.seen}")
        assert self.rounds > 0
        assert not self.violations, f"two primaries at once: {self.violations}"


class Poller:
    """A running (or finished) vigil-poll of a lab; see Lab.start_poller."""

    def __init__(self, lab, name, log, pid):
        self.lab, self.name, self.log, self.pid = lab, name, log, pid

    def __repr__(self):
        return f"Poller({self.name!r}, pid {self.pid}, log {self.log})"

    def running(self):
        return self.lab.poller_pid(self.name) == self.pid

    def stop(self):
        """Stops it (by PID); its log stays readable until the lab goes down."""
        self.lab.stop_poller(self.name)

    def attempts(self, since=None, until=None):
        try:
            with open(self.log, errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            return []
        return [a for a in parse_poll_log(text) if (since is None or a.start >= since)
                and (until is None or a.start <= until)]

    def analyse(self, since=None, until=None):
        return analyse_poll(self.attempts(), since, until)

    def describe(self, since=None, until=None):
        return f"poller {self.name}: " + describe_poll(self.analyse(since, until))

    def answered_by(self, node, since=None):
        """The first success answered by node (any node if None) starting at or after
        since, or None."""
        for a in self.attempts(since=since):
            if a.ok and (node is None or a.detail == node):
                return a
        return None

    def wait_answer(self, node=None, since=None, timeout=60, consecutive=1):
        """Waits until `consecutive` successes in a row answered by node (any if None)
        start at or after since; returns the first of them. Raises TimeoutError
        (naming what the poller saw last)."""
        deadline = time.monotonic() + timeout
        while True:
            streak = []
            for a in self.attempts(since=since):
                if a.ok and (node is None or a.detail == node):
                    streak.append(a)
                    if len(streak) >= consecutive:
                        return streak[0]
                else:
                    streak = []
            if time.monotonic() > deadline:
                last = self.attempts()[-1:] or ["nothing"]
                raise TimeoutError(f"poller {self.name}: no answer from {node or 'any node'} "
                                   f"within {timeout:g}s (last attempt: {last[0]}; running: "
                                   f"{self.running()})")
            time.sleep(0.1)


# ---------------------------------------------------------------- sampler

_CLONE_NEWNET = 0x40000000
_NETLINK_ROUTE = 0
_RTM_NEWADDR, _RTM_GETADDR = 20, 22
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_IFA_ADDRESS, _IFA_LOCAL = 1, 2


def _libc():
    lib = ctypes.CDLL(None, use_errno=True)
    lib.setns.argtypes = (ctypes.c_int, ctypes.c_int)
    return lib


def _setns(lib, fd):
    if lib.setns(fd, _CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"setns: {os.strerror(e)}")


def open_netlink_in(ns_files):
    """{key: rtnetlink socket} opened inside each network namespace of ns_files
    ({key: /run/netns/NAME}). Must run in the thread that will use the sockets or
    any thread: a socket stays in the namespace it was made in. The calling thread
    enters each namespace (setns applies to one thread) and always comes back;
    raises OSError if it cannot."""
    lib = _libc()
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    home_ino = os.fstat(home).st_ino
    socks = {}
    try:
        for key, path in ns_files.items():
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                _setns(lib, fd)
                try:
                    socks[key] = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                               _NETLINK_ROUTE)
                finally:
                    _setns(lib, home)
            finally:
                os.close(fd)
            if os.stat("/proc/thread-self/ns/net").st_ino != home_ino:
                raise OSError("setns: did not come back to the original network namespace")
    except BaseException:
        for s in socks.values():
            s.close()
        raise
    finally:
        os.close(home)
    for s in socks.values():
        s.settimeout(2.0)
    return socks


def netlink_ipv4_addresses(sock, seq=1):
    """{"ADDR/PLEN", ...}: the IPv4 addresses of the namespace of an rtnetlink socket."""
    req = struct.pack("=IHHII", 24, _RTM_GETADDR, _NLM_F_REQUEST | _NLM_F_DUMP, seq, 0)
    req += struct.pack("=BBBBI", socket.AF_INET, 0, 0, 0, 0)
    sock.send(req)
    out = set()
    while True:
        data = sock.recv(1 << 16)
        off = 0
        while off + 16 <= len(data):
            length, typ, _flags, rseq, _pid = struct.unpack_from("=IHHII", data, off)
            if length < 16:
                raise OSError("rtnetlink: bad message length")
            if rseq == seq:
                if typ == _NLMSG_DONE:
                    return out
                if typ == _NLMSG_ERROR:
                    err = struct.unpack_from("=i", data, off + 16)[0]
                    raise OSError(-err, f"rtnetlink: {os.strerror(-err)}")
                if typ == _RTM_NEWADDR:
                    fam, plen = struct.unpack_from("=BB", data, off + 16)
                    a, end, addr = off + 24, off + length, None
                    while a + 4 <= end:
                        alen, atyp = struct.unpack_from("=HH", data, a)
                        if alen < 4:
                            break
                        if fam == socket.AF_INET and atyp in (_IFA_LOCAL, _IFA_ADDRESS) \
                                and alen >= 8 and (addr is None or atyp == _IFA_LOCAL):
                            addr = socket.inet_ntoa(data[a + 4:a + 8])
                        a += (alen + 3) & ~3
                    if addr:
                        out.add(f"{addr}/{plen}")
            off += (length + 3) & ~3


class Sampler:
    """Samples, every 100 ms, which nodes of a lab hold each watched thing:

      addresses: {label: "ADDR"} (with or without /PLEN): the address is on any
                 interface of the node;
      processes: {label: REGEX}: a live process in the node's network namespace
                 whose command line (arguments joined by spaces) matches (re.search);
      mounts:    {label: MOUNTPOINT}: the mount point is mounted in the node's
                 mount namespace.

    A node with no process left in its mount namespace (powered off) is looked
    at by a short-lived process entering that namespace alone
    (Lab.mounts_if_idle) under the node's power lock; if the lock is busy, that node's mounts are unknown for the
    sample (counted in `unknown`). Every sample in which a label has two or
    more holders is a violation, kept in `violations` (at most 1000 kept; all
    counted). Changes of holders are kept in `timeline`.

    Use as a context manager or start()/stop(); stops on its own after
    max_seconds. check() raises AssertionError describing the violations.
    """

    def __init__(self, lab, addresses=None, processes=None, mounts=None,
                 interval=SAMPLE_INTERVAL_S, max_seconds=SAMPLER_MAX_S):
        self.lab = lab
        self.addresses = {k: v.split("/")[0] for k, v in (addresses or {}).items()}
        self.processes = {k: re.compile(v) for k, v in (processes or {}).items()}
        self.mounts = {k: v.rstrip("/") or "/" for k, v in (mounts or {}).items()}
        self.interval = interval
        self.max_seconds = max_seconds
        self.nodes = list(lab.nodes)
        self.samples = 0
        self.violations = []
        self.n_violations = 0
        self.timeline = []  # (ms, label, [holders]) whenever the holders change
        self.unknown = collections.Counter()  # node -> samples with mounts unknown
        self.errors = []
        self.first_ms = self.last_ms = None
        self._last = {}
        self._stop = threading.Event()
        self._thread = None
        self._ready = threading.Event()

    # -- control

    def start(self):
        self._thread = threading.Thread(target=self._run, name="vigil-sampler", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("sampler did not start")
        if self.errors and not self.samples:
            raise RuntimeError(f"sampler failed: {self.errors[0]}")
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        return self

    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- results

    def holders(self):
        """The latest sample: {label: [nodes]}."""
        return {k: list(v) for k, v in self._last.items()}

    def held_by(self, label):
        """Every node that held label at some sample (in order of first appearance)."""
        seen = []
        for _, lab_, nodes in self.timeline:
            if lab_ == label:
                for n in nodes:
                    if n not in seen:
                        seen.append(n)
        return seen

    def report(self):
        lines = [f"sampler: {self.samples} samples over "
                 f"{((self.last_ms or 0) - (self.first_ms or 0)) / 1000:.1f}s, "
                 f"{self.n_violations} with two holders, errors {len(self.errors)}, "
                 f"unknown mounts {dict(self.unknown) or 0}"]
        for t, label, nodes in self.timeline:
            lines.append(f"  {t:.0f} {label}: {','.join(nodes) or '-'}")
        for t, label, nodes in self.violations[:20]:
            lines.append(f"  VIOLATION {t:.0f} {label}: {','.join(nodes)}")
        for e in self.errors[:5]:
            lines.append(f"  error: {e}")
        return "\n".join(lines)

    def check(self, min_samples=1):
        """Asserts that no sample had two holders of anything, and that sampling
        ran (at least min_samples samples)."""
        assert self.samples >= min_samples, f"too few samples\n{self.report()}"
        assert self.n_violations == 0, f"two holders at once\n{self.report()}"

    # -- sampling

    def _run(self):
        socks = {}
        try:
            if self.addresses:
                socks = open_netlink_in({n: os.path.join("/run/netns", self.lab.node_ns(n))
                                         for n in self.nodes})
            pins = {n: os.stat(self.lab.pin(n)).st_ino for n in self.nodes}
            nets = {os.stat(os.path.join("/run/netns", self.lab.node_ns(n))).st_ino: n
                    for n in self.nodes}
        except Exception as e:  # noqa: BLE001 - reported by start()
            self.errors.append(f"setup: {e!r}")
            self._ready.set()
            for s in socks.values():
                s.close()
            return
        end = time.monotonic() + self.max_seconds
        seq = 1
        try:
            while not self._stop.is_set() and time.monotonic() < end:
                t0 = time.monotonic()
                seq += 1
                try:
                    self._sample(socks, pins, nets, seq)
                except Exception as e:  # noqa: BLE001 - keep sampling; report later
                    if len(self.errors) < 100:
                        self.errors.append(f"{now_ms():.0f}: {e!r}")
                self._ready.set()
                self._stop.wait(max(0.0, self.interval - (time.monotonic() - t0)))
        finally:
            self._ready.set()
            for s in socks.values():
                s.close()

    def _scan_proc(self, pins, nets):
        """({node: set of labels of matching processes}, {node: a pid in its mount ns})."""
        procs = {n: set() for n in self.nodes}
        mnt_pid = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                node = nets.get(os.stat(f"/proc/{entry}/ns/net").st_ino)
                if node is None:
                    continue
                if self.mounts and node not in mnt_pid \
                        and os.stat(f"/proc/{entry}/ns/mnt").st_ino == pins[node]:
                    mnt_pid[node] = entry
                if self.processes:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        cmd = f.read().rstrip(b"\0").replace(b"\0", b" ").decode("utf-8",
                                                                                 "replace")
                    if not cmd:
                        continue  # a zombie, or a kernel thread
                    for label, rx in self.processes.items():
                        if rx.search(cmd):
                            procs[node].add(label)
            except OSError:
                continue
        return procs, mnt_pid

    def _mounted(self, node, pid):
        """The set of mount points mounted in the node, or None if unknown."""
        from vigillab import parse_mountinfo  # noqa: PLC0415 - avoid an import cycle
        if pid is not None:
            try:
                with open(f"/proc/{pid}/mountinfo") as f:
                    return {m.point for m in parse_mountinfo(f.read())}
            except OSError:
                pass
        # No process there: look with nsenter, holding the power lock so as never to
        # be a process in a node that is being powered off or on.
        return self.lab.mounts_if_idle(node)

    def _sample(self, socks, pins, nets, seq):
        t = now_ms()
        held = {}
        for label, addr in self.addresses.items():
            held[label] = []
        for node in self.nodes:
            if self.addresses:
                addrs = {a.split("/")[0] for a in netlink_ipv4_addresses(socks[node], seq)}
                for label, addr in self.addresses.items():
                    if addr in addrs:
                        held[label].append(node)
        if self.processes or self.mounts:
            procs, mnt_pid = self._scan_proc(pins, nets)
            for label in self.processes:
                held[label] = [n for n in self.nodes if label in procs[n]]
            for label in self.mounts:
                held[label] = []
            if self.mounts:
                for node in self.nodes:
                    points = self._mounted(node, mnt_pid.get(node))
                    if points is None:
                        self.unknown[node] += 1
                        continue
                    for label, point in self.mounts.items():
                        if point in points:
                            held[label].append(node)
        self.samples += 1
        if self.first_ms is None:
            self.first_ms = t
        self.last_ms = t
        for label, nodes in held.items():
            if self._last.get(label) != nodes:
                self.timeline.append((t, label, list(nodes)))
            if len(nodes) > 1:
                self.n_violations += 1
                if len(self.violations) < 1000:
                    self.violations.append((t, label, list(nodes)))
        self._last = held
