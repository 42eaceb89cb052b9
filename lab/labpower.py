"""vigil-lab, power: powering a node off (a power loss: processes, links, virtual
IPs and foreign mounts gone) and on, its power state, the per-node power lock,
and the lab's power controller (the BMC, lab/vigilbmc.py).

Part of vigillab: LabPower is one of the parts of Lab. Python 3 standard library only.
"""

import contextlib
import fcntl
import json
import os
import socket
import subprocess
import time

from labbase import LAB_DIR, NETNS_DIR, NETWORKS, PYTHON, LabBase, LabError, ns_pids, pid_alive, run

BMC_SCRIPT = os.path.join(LAB_DIR, "vigilbmc.py")
BMC_SOCKET = "bmc.sock"  # in the lab's shared directory
POWER_LOCK_TIMEOUT = 120  # seconds one power operation may wait for another

# Filesystems a power cut is simulated on: the ioctl EXT4_IOC_SHUTDOWN (ext4) =
# XFS_IOC_GOINGDOWN (xfs) = _IOR('X', 125, __u32), flag NOLOGFLUSH (2).
SHUTDOWN_FSTYPES = ("ext4", "ext3", "xfs")
_GOINGDOWN = ("import fcntl, os, struct, sys\n"
              "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
              "fcntl.ioctl(fd, 0x8004587D, struct.pack('I', 2))\n")


class LabPower(LabBase):
    """Power and the BMC: see Lab."""


    # ---------------------------------------------------------- power

    @contextlib.contextmanager
    def _power_lock(self, node):
        """Holds the node's power lock (flock on nI/power.lock), so that power
        operations on one node never interleave, whoever runs them: tests, the
        CLI, the BMC's threads. Not re-entrant. Bounded wait."""
        d = self.node_dir(node)
        os.makedirs(d, exist_ok=True)
        fd = os.open(os.path.join(d, "power.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            end = time.monotonic() + POWER_LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > end:
                        raise LabError(f"{node}: another power operation has held the "
                                       f"power lock for {POWER_LOCK_TIMEOUT}s") from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _unmount_foreign(self, node):
        """Takes away, latest first, every mount of the node's mount namespace that
        the lab did not make: a machine that loses power loses its mounts. A
        filesystem that can be shut down (ext4, xfs) is first shut down without
        flushing its log (the GOINGDOWN ioctl, NOLOGFLUSH), as a power cut leaves
        it: what was not committed is lost, and the next mount replays the
        journal. Then it is unmounted. Call only when no process is left in the
        node. Raises LabError if a mount survives."""
        enter = ["nsenter", f"--mount={self.pin(node)}", "--"]
        for m in reversed(self.foreign_mounts(node)):
            if m.fstype in SHUTDOWN_FSTYPES:
                run(enter + [PYTHON, "-c", _GOINGDOWN, m.point], check=False)
            if run(enter + ["umount", m.point], check=False).returncode != 0:
                run(enter + ["umount", "-l", m.point], check=False)
        left = [m.point for m in self.foreign_mounts(node)]
        if left:
            raise LabError(f"{node}: mounts survive the power loss: {left}")

    def _flush_links(self, node):
        """Deletes every interface of the node that the lab did not make: software
        interfaces do not survive a power loss. Raises LabError if one survives."""
        for name in self.foreign_links(node):
            run(["ip", "-n", self.node_ns(node), "link", "del", name], check=False)
        left = self.foreign_links(node)
        if left:
            raise LabError(f"{node}: interfaces survive the power loss: {left}")

    def _flush_addresses(self, node):
        """Deletes every address of the node that the lab did not give it (virtual
        IPs): a machine that loses power loses them. Raises LabError if one survives."""
        base = self.base_addresses(node)
        for ifname, addr in sorted(self.node_addresses(node) - base):
            run(["ip", "-n", self.node_ns(node), "addr", "del", addr, "dev", ifname], check=False)
        left = self.node_addresses(node) - base
        if left:
            raise LabError(f"{node}: addresses survive the power loss: {sorted(left)}")

    def power_state(self, node):
        """The node's power, as the BMC reports it, with the evidence.

        A node is "off" when (1) its init is gone (and with it its PID namespace)
        and no live process is left in its network namespace or in its mount
        namespace, (2) the vigild the lab started for it is not running, and (3)
        each of its interfaces (priv0, pub0) is administratively down, and (4) it
        holds no address but the lab's own (no virtual IP left). Anything else is
        "on": a node that is only half off is not safely fenced, and a node whose
        daemons died but whose links are up is a machine that is on.

        Returns {"power": "on" | "off", "pids": [...], "links": {ifname: "up" | "down"}},
        plus "addresses": ["IFNAME ADDR/PLEN", ...] when it holds addresses beyond
        the lab's own.
        Raises LabError if the node is unknown or its namespace is missing.
        """
        self._check_node(node)
        ns = self.node_ns(node)
        if not self._ns_exists(ns):
            raise LabError(f"{node}: no network namespace {ns} (lab {self.prefix} is "
                           "broken; run up)")
        pids = set(ns_pids(os.path.join(NETNS_DIR, ns))) | set(ns_pids(self.pin(node), "mnt"))
        init = self._init(node)
        if init:
            pids.add(init[0])
        vigild = self.vigild_pid(node)
        if vigild:
            pids.add(vigild)
        links = {name: ("up" if "UP" in link.get("flags", []) else "down")
                 for name, link in self._links(ns).items() if name != "lo"}
        extra = sorted(f"{i} {a}" for i, a in self.node_addresses(node) - self.base_addresses(node))
        off = (not pids and bool(links) and all(v == "down" for v in links.values())
               and not extra)
        state = {"power": "off" if off else "on", "pids": sorted(pids), "links": links}
        if extra:
            state["addresses"] = extra
        return state

    def poweroff(self, node):
        """Kills every process of the node (SIGKILL, by PID), takes its links down, and
        removes what a machine loses with its power: every interface the lab did
        not make (macvlans of virtual IPs with a fixed MAC), every address but the
        lab's own (virtual IPs) and every mount the lab did not make (resources'
        filesystems). Returns once power_state(node) says "off" (raises LabError if
        it does not).

        This is what the BMC does for {"op": "off"} and `vigil-lab poweroff`.
        The processes go at once: SIGKILL to the node's init makes the kernel kill
        every process of its PID namespace; this returns once none is left, not even
        a zombie (see _halt).

        Returns the wall-clock time (ms) taken just before the first kill.
        """
        self._check_node(node)
        with self._power_lock(node):
            t0 = self._halt(node)
            for net, _ in NETWORKS:
                run(["ip", "-n", self.node_ns(node), "link", "set", f"{net}0", "down"])
            # What a power loss takes away besides the processes: software interfaces,
            # addresses and mounts (the lab's own ones stay, as a machine's
            # configuration would).
            self._flush_links(node)
            self._flush_addresses(node)
            self._unmount_foreign(node)
            try:
                os.unlink(self._pidfile(node))
            except FileNotFoundError:
                pass
            state = self.power_state(node)
            if state["power"] != "off":
                raise LabError(f"{node}: still on after poweroff: processes {state['pids']}, "
                               f"links {state['links']}, addresses {state.get('addresses')}")
        return t0

    def poweron(self, node, vigild=True):
        """Brings the node's links up, clears its /run and starts vigild (nothing if
        its vigild runs already). This is what the BMC does for {"op": "on"} and
        `vigil-lab poweron`. Returns once vigild is started, not once it answers.
        A node that is on without a vigild is rebooted: a new init, a new PID
        namespace.

        With vigild=False the node boots without vigild, as a machine whose
        operator keeps the cluster software from starting at boot: commands run
        there (exec), and start_vigild(node) starts it later."""
        self._check_node(node)
        with self._power_lock(node):
            if self.vigild_running(node):
                return
            self._halt(node)
            # A machine boots with its own interfaces, addresses and mounts only
            # (whatever its last run left, e.g. after its vigild alone was killed).
            self._flush_links(node)
            self._flush_addresses(node)
            self._unmount_foreign(node)
            for net, _ in NETWORKS:
                run(["ip", "-n", self.node_ns(node), "link", "set", f"{net}0", "up"])
            if vigild:
                self.start_vigild(node)
            else:
                self._boot(node)

    # ---------------------------------------------------------- the BMC

    @property
    def bmc_socket(self):
        """The BMC's socket: the same path in the root namespaces and in every node."""
        return os.path.join(self.shared_dir, BMC_SOCKET)

    @property
    def bmc_log(self):
        return os.path.join(self.state, "bmc.log")

    def _bmc_pidfile(self):
        return os.path.join(self.state, "bmc.pid")

    def bmc_pid(self):
        """PID of the lab's running BMC, or None. The BMC writes bmc.pid itself."""
        self._reap()
        try:
            with open(self._bmc_pidfile()) as f:
                pid, start = (int(x) for x in f.read().split())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid, starttime=start) else None

    def bmc_running(self):
        return self.bmc_pid() is not None

    def bmc_request(self, request, timeout=60):
        """Sends one request to the BMC and returns its answer, parsed.

        request is a dict (sent as one JSON line) or bytes (sent as they are, for
        tests of bad requests). Raises LabError if the BMC cannot be reached or
        its answer is not one JSON object; an answer {"ok": false, ...} is returned.
        """
        data = request if isinstance(request, bytes) else (json.dumps(request) + "\n").encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                s.connect(self.bmc_socket)
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                buf = b""
                while not buf.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
        except OSError as e:
            raise LabError(f"BMC at {self.bmc_socket}: {e.strerror or e}") from e
        try:
            answer = json.loads(buf.decode())
        except ValueError as e:
            raise LabError(f"BMC at {self.bmc_socket}: bad answer {buf[:200]!r}") from e
        if not isinstance(answer, dict):
            raise LabError(f"BMC at {self.bmc_socket}: bad answer {buf[:200]!r}")
        return answer

    def start_bmc(self, timeout=20):
        """Starts the lab's power controller (lab/vigilbmc.py) unless it runs, in a
        session of its own in the root namespaces, and waits until it answers.
        Returns its PID."""
        pid = self.bmc_pid()
        if pid:
            return pid
        if self.params is None:
            raise LabError(f"lab {self.prefix} is not built: no BMC without a lab")
        os.makedirs(self.shared_dir, mode=0o755, exist_ok=True)
        argv = [PYTHON, BMC_SCRIPT, "--prefix", self.prefix, "--build", self.build_dir,
                "--state-root", self.state_root, "--shared-root", self.shared_root]
        with open(self.bmc_log, "ab") as out:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                 start_new_session=True, cwd="/")
        self._procs[p.pid] = p

        def ready():
            if p.poll() is not None:
                raise LabError(f"the BMC exited with {p.returncode}; log tail:\n"
                               + self._tail(self.bmc_log, 20))
            if self.bmc_pid() != p.pid:
                return False
            return self.bmc_request({"op": "list"}, timeout=5).get("ok")

        end = time.monotonic() + timeout
        while True:
            try:
                if ready():
                    return p.pid
            except LabError as e:
                if p.poll() is not None:
                    raise
                last = e
            else:
                last = None
            if time.monotonic() > end:
                self._kill_pids([p.pid], "BMC")
                raise LabError(f"the BMC did not answer on {self.bmc_socket} within "
                               f"{timeout}s ({last}); log tail:\n" + self._tail(self.bmc_log, 20))
            time.sleep(0.1)

    def stop_bmc(self):
        """Kills the lab's BMC (by PID) and removes its socket and pid file."""
        pid = self.bmc_pid()
        if pid:
            self._kill_pids([pid], "BMC")
        for path in (self.bmc_socket, self._bmc_pidfile()):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def bmc_log_tail(self, lines=50):
        return self._tail(self.bmc_log, lines)
