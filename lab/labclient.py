"""vigil-lab, watching a test: clients polling a URL (lab/vigil-poll) or committing
rows to a database (lab/vigil-sql) from the client namespace, and samplers of the single-copy rule (vigilwatch.Sampler).

Part of vigillab: LabClient is one of the parts of Lab. Python 3 standard library only.
"""

import fcntl
import os
import re
import subprocess

from labbase import LAB_DIR, PYTHON, LabBase, LabError, _proc_stat, pid_alive, wait_until

POLL = os.path.join(LAB_DIR, "vigil-poll")
SQL = os.path.join(LAB_DIR, "vigil-sql")


class LabClient(LabBase):
    """Pollers and samplers: see Lab."""


    # ---------------------------------------------------------- pollers (clients)

    def _pollers_dir(self):
        return os.path.join(self.state, "pollers")

    def poller_pid(self, name):
        """PID of the lab's running poller `name`, or None."""
        self._reap()
        try:
            with open(os.path.join(self._pollers_dir(), f"{name}.pid")) as f:
                pid, start = (int(x) for x in f.read().split())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid, starttime=start) else None

    def start_poller(self, name, url, interval_ms=10, timeout_ms=200, max_seconds=1800):
        """Starts lab/vigil-poll in the client namespace, in the background: a GET of
        url every interval_ms, each step bounded by timeout_ms, for at most
        max_seconds. Its log is STATE/pollers/NAME.log (see vigil-poll); a poller of
        the same name that runs is stopped first, and its log replaced. Returns a
        vigilwatch.Poller (read, analyse, wait for answers, stop). Stopped by
        stop_poller(s) and by down()."""
        return self._start_client(name, lambda log: [
            POLL, url, "--interval-ms", str(interval_ms), "--timeout-ms", str(timeout_ms),
            "--max-seconds", str(max_seconds), "--log", log])

    def start_sql_client(self, name, host, port=5432, interval_ms=20, timeout_ms=2000,
                         max_seconds=1800, first_id=1):
        """Starts lab/vigil-sql in the client namespace: one committed row per
        transaction into host:port, every interval_ms, for at most max_seconds. Its
        attempts are logged as a poller's (STATE/pollers/NAME.log: ok lines name the
        node whose server committed), the ids of acknowledged commits in NAME.acked
        (the first attempt's id is first_id, then one more per attempt). Returns a
        vigilwatch.Poller; acked_ids(name) reads the ids."""
        return self._start_client(name, lambda log: [
            SQL, "--host", host, "--port", str(port), "--interval-ms", str(interval_ms),
            "--timeout-ms", str(timeout_ms), "--max-seconds", str(max_seconds),
            "--first-id", str(first_id), "--log", log,
            "--acked", log[:-len(".log")] + ".acked"])

    def acked_ids(self, name):
        """The ids whose commit a vigil-sql client `name` saw acknowledged, in order."""
        try:
            with open(os.path.join(self._pollers_dir(), f"{name}.acked")) as f:
                lines = f.read().split("\n")
        except FileNotFoundError:
            return []
        return [int(x) for x in lines[:-1] if x.strip().isdigit()]  # the last may be partial

    def _start_client(self, name, argv_of_log):
        """Starts a client program (argv_of_log(log) -> argv, run by PYTHON) in the client
        namespace in the background, as poller `name` (see start_poller)."""
        import vigilwatch  # noqa: PLC0415 - only the tests need it
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", name):
            raise LabError(f"bad poller name {name!r}")
        if not self._ns_exists(self.client_ns):
            raise LabError(f"lab {self.prefix} has no client namespace (run up)")
        self.stop_poller(name)
        d = self._pollers_dir()
        os.makedirs(d, exist_ok=True)
        log = os.path.join(d, f"{name}.log")
        open(log, "w").close()
        argv = self.node_argv("client", [PYTHON] + argv_of_log(log))
        with open(os.path.join(d, f"{name}.err"), "ab") as err:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                 start_new_session=True, cwd="/")
        self._procs[p.pid] = p
        st = _proc_stat(p.pid)
        with open(os.path.join(d, f"{name}.pid"), "w") as f:
            f.write(f"{p.pid} {st[2] if st else 0}\n")
        poller = vigilwatch.Poller(self, name, log, p.pid)
        # Started once it has written its header line.
        wait_until(lambda: os.path.getsize(log) > 0 or p.poll() is not None, 10,
                   f"poller {name} to start")
        if p.poll() is not None:
            raise LabError(f"poller {name} exited with {p.returncode}: "
                           + self._tail(os.path.join(d, f"{name}.err"), 5))
        return poller

    def poller(self, name):
        """The vigilwatch.Poller of an earlier start_poller (running or not)."""
        import vigilwatch  # noqa: PLC0415
        return vigilwatch.Poller(self, name, os.path.join(self._pollers_dir(), f"{name}.log"),
                                 self.poller_pid(name))

    def stop_poller(self, name):
        """Stops the poller `name` (SIGKILL by PID, checked to be in the client
        namespace); its log stays."""
        pid = self.poller_pid(name)
        if pid and self.node_of_pid(pid) in ("client", None):
            self._kill_pids([pid], f"poller {name}")
        try:
            os.unlink(os.path.join(self._pollers_dir(), f"{name}.pid"))
        except FileNotFoundError:
            pass

    def stop_pollers(self):
        d = self._pollers_dir()
        if os.path.isdir(d):
            for entry in sorted(os.listdir(d)):
                if entry.endswith(".pid"):
                    self.stop_poller(entry[:-4])

    # ---------------------------------------------------------- samplers (invariants)

    def start_sampler(self, addresses=None, processes=None, mounts=None, **kw):
        """Starts a vigilwatch.Sampler of this lab (a thread of this process): every
        100 ms, which nodes hold each address, run each process, have each
        mount point mounted; samples with two holders are violations. Stopped by
        its stop(), and by down()."""
        import vigilwatch  # noqa: PLC0415
        s = vigilwatch.Sampler(self, addresses=addresses, processes=processes, mounts=mounts,
                               **kw)
        self._samplers.append(s)
        return s.start()

    def stop_samplers(self):
        for s in self._samplers:
            s.stop()
        self._samplers = []

    def mounts_if_idle(self, node):
        """The mount points of the node's mount namespace, read with a short-lived
        process while holding the node's power lock, or None if a power operation
        holds it (so that this never puts a process into a node being powered off
        or on)."""
        d = self.node_dir(node)
        try:
            fd = os.open(os.path.join(d, "power.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                         0o600)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            try:
                return {m.point for m in self.node_mounts(node)}
            except LabError:
                return None
        finally:
            os.close(fd)
