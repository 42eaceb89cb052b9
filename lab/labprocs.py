"""vigil-lab, processes in the nodes: entering a node (node_argv, exec, spawn), the
vigil CLI, vigild, each node's init (PID 1 of its PID namespace) and ending
processes by PID.

Part of vigillab: LabProcs is one of the parts of Lab. Python 3 standard library only.
"""

import contextlib
import json
import os
import shlex
import signal
import subprocess
import time

from labbase import (NETNS_DIR, NODE_CONFIG, NODE_SCRIPT, NODE_SOCKET, PYTHON, _ROOT_NETNS_INO,
                     LabBase, LabError, _clear_dir, _is_mountpoint, _proc_stat, ns_pids,
                     pid_alive, run, wait_until)


class LabProcs(LabBase):
    """Processes in the nodes: see Lab."""


    # ---------------------------------------------------------- running things in nodes

    def _env(self):
        env = dict(os.environ)
        env["PATH"] = ":".join([os.path.join(self.build_dir, "src/cli"),
                                os.path.join(self.build_dir, "src/daemon"),
                                env.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")])
        return env

    def node_argv(self, node, argv, cwd="/", pidfile=None):
        """argv prefixed so that it runs inside the node (or the client).

        In a node, that is `vigilnode.py enter`: the command runs in the node's PID,
        UTS, network and mount namespaces, as a child of a process that stays
        outside, forwards signals to it and exits as it does (the PID the caller
        sees is that process's; killing it kills the command). With pidfile,
        "PID STARTTIME" of the command itself is written there. Raises LabError if
        the node is powered off (a machine that is off runs nothing)."""
        if node == "client":
            if not self._ns_exists(self.client_ns):
                raise LabError(f"lab {self.prefix} has no client namespace")
            return ["nsenter", f"--net={os.path.join(NETNS_DIR, self.client_ns)}", "--"] + argv
        self._check_node(node)
        init = self._init(node)
        if init is None:
            raise LabError(f"{node} is powered off (poweron first)")
        out = [PYTHON, "-I", "-S", NODE_SCRIPT, "enter", "--node", node,
               "--init", f"{init[0]}:{init[1]}", "--wd", cwd]
        if pidfile:
            out += ["--pidfile", pidfile]
        return out + ["--"] + argv

    def exec(self, node, argv, check=False, timeout=30, input=None):
        """Runs argv in the node, captured; returns the CompletedProcess."""
        return run(self.node_argv(node, list(argv)), check=check, timeout=timeout,
                   input=input, env=self._env())

    def spawn(self, node, argv, logfile, pidfile=None):
        """Starts a long-lived process in the node, in a new session, output appended
        to logfile (a host path). Returns the Popen of the process that entered the
        node for it (see node_argv): signals sent to it reach the process, SIGKILL
        kills both, and it exits as the process does. With pidfile, returns once
        "PID STARTTIME" of the process itself (its PID on the host) is written there
        (or the Popen has exited)."""
        if pidfile:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(pidfile)
        with open(logfile, "ab") as out:
            out.write(f"=== vigil-lab {time.strftime('%Y-%m-%dT%H:%M:%S')}: "
                      f"{shlex.join(argv)}\n".encode())
            out.flush()
            p = subprocess.Popen(self.node_argv(node, argv, pidfile=pidfile),
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                 start_new_session=True, env=self._env())
        self._procs[p.pid] = p
        if pidfile:
            wait_until(lambda: os.path.exists(pidfile) or p.poll() is not None, 30,
                       f"{node}: {argv[0]} to start")
        return p

    def _reap(self):
        # May run in several threads at once (the BMC's): pop, never del.
        for pid, p in list(self._procs.items()):
            if p.poll() is not None:
                self._procs.pop(pid, None)

    def vigil(self, node, *args, timeout=15, check=False):
        """Runs the vigil CLI in a node; returns the CompletedProcess."""
        return self.exec(node, [self.vigil_bin, *args], check=check, timeout=timeout)

    def status(self, node, timeout=15):
        """`vigil status --json` of a node, parsed. Raises LabError if it fails."""
        p = self.vigil(node, "status", "--json", timeout=timeout)
        if p.returncode != 0:
            raise LabError(f"{node}: vigil status: exit {p.returncode}: {p.stderr.strip()}")
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            raise LabError(f"{node}: vigil status --json: not JSON: {p.stdout!r}") from e

    def events(self, node, timeout=15):
        """`vigil events --json` of a node: a list of dicts. Raises LabError if it fails."""
        p = self.vigil(node, "events", "--json", timeout=timeout)
        if p.returncode != 0:
            raise LabError(f"{node}: vigil events: exit {p.returncode}: {p.stderr.strip()}")
        try:
            return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        except ValueError as e:
            raise LabError(f"{node}: vigil events --json: not JSON lines: {p.stdout!r}") from e

    def node_of_pid(self, pid):
        """The node (or "client") whose network namespace process pid is in, "root"
        for the root namespace, None if unknown (or pid is gone). A zombie has no
        network namespace any more: it is placed by its PID namespace."""
        try:
            ino = os.stat(f"/proc/{pid}/ns/net").st_ino
        except OSError:
            try:
                ino = os.stat(f"/proc/{pid}/ns/pid").st_ino
            except OSError:
                return None
            for name in self.nodes:
                if self.pidns_id(name) == f"pid:[{ino}]":
                    return name
            return None
        if ino == _ROOT_NETNS_INO:
            return "root"
        for name in self.nodes + ["client"]:
            ns = self.client_ns if name == "client" else self.node_ns(name)
            try:
                if os.stat(os.path.join(NETNS_DIR, ns)).st_ino == ino:
                    return name
            except OSError:
                pass
        return None

    # ---------------------------------------------------------- vigild

    def log_path(self, node):
        return os.path.join(self.node_dir(node), "vigild.log")

    def _pidfile(self, node):
        return os.path.join(self.node_dir(node), "vigild.pid")

    def vigild_pid(self, node):
        """PID of the node's running vigild (the one the lab started), or None."""
        self._reap()
        try:
            with open(self._pidfile(node)) as f:
                pid, start = (int(x) for x in f.read().split())
        except (OSError, ValueError):
            return None
        # The start time guards against PID reuse.
        return pid if pid_alive(pid, starttime=start) else None

    def vigild_running(self, node):
        return self.vigild_pid(node) is not None

    def daemon_pids(self, node, comm):
        """PIDs of the node's processes whose name (/proc/PID/comm) is comm."""
        pids = ns_pids(os.path.join(NETNS_DIR, self.node_ns(node)))
        return [p for p in pids if pid_alive(p, comm=comm)]

    def start_vigild(self, node, config=NODE_CONFIG, config_text=None, extra_args=()):
        """Clears the node's /run and starts vigild there; returns its Popen (see
        spawn: it exits as vigild does). Boots the node's init first if it has none
        (links, addresses and mounts are left as they are: see poweron).

        With config_text, that text is written to /etc/vigil/custom.yaml in the
        node and used instead. Refuses if processes other than the init still run
        in the node.
        """
        self._check_node(node)
        init = self._init(node)
        left = sorted((set(ns_pids(os.path.join(NETNS_DIR, self.node_ns(node))))
                       | set(ns_pids(self.pin(node), "mnt"))) - {init and init[0]})
        if left:
            raise LabError(f"{node}: processes still running ({left}); poweroff first")
        if init is None:
            self._boot(node)
        if config_text is not None:
            self._write(os.path.join(self.node_dir(node), "etc", "custom.yaml"),
                        config_text, 0o644)
            config = "/etc/vigil/custom.yaml"
        for sub in ("run", "shm"):  # as a reboot would
            _clear_dir(os.path.join(self.node_dir(node), sub))
        args = [self.vigild_bin, "-c", config]
        if self.params and self.params.get("verbose"):
            args.append("-v")
        return self.spawn(node, args + list(extra_args), self.log_path(node),
                          pidfile=self._pidfile(node))

    def wait_answering(self, node, timeout=60):
        """Waits until the node's vigild answers `vigil status`; fails early if it exits."""
        sock = os.path.join(self.node_dir(node), "run", os.path.relpath(NODE_SOCKET, "/run"))

        def answering():
            if not self.vigild_running(node):
                raise LabError(f"{node}: vigild is not running; log tail:\n"
                               + self.log_tail(node, 20))
            if not os.path.exists(sock):
                return False
            return self.vigil(node, "status", "--json", timeout=10).returncode == 0

        deadline = time.monotonic() + timeout
        while True:
            try:
                if answering():
                    return
            except LabError:
                raise
            if time.monotonic() >= deadline:
                raise LabError(f"{node}: vigild did not answer on {NODE_SOCKET} within "
                               f"{timeout}s; log tail:\n" + self.log_tail(node, 20))
            time.sleep(0.2)

    def formed(self, nodes=None):
        """True if every given node (default: all) reports a quorate cluster in
        which exactly the given nodes are online and all of the lab's nodes are known."""
        nodes = nodes or self.nodes
        for node in nodes:
            s = self.status(node)
            if not s.get("quorate"):
                return False
            online = sorted(n["name"] for n in s.get("nodes", []) if n.get("state") == "online")
            if online != sorted(nodes):
                return False
        return True

    def wait_formed(self, nodes=None, timeout=90):
        wait_until(lambda: self.formed(nodes), timeout,
                   f"a quorate cluster of {', '.join(nodes or self.nodes)}")

    def run_vigild(self, node, config_text, timeout=30, name="check.yaml"):
        """Runs one extra vigild in the node with config_text (written to
        /etc/vigil/NAME there), next to the node's running one, and waits for it
        to exit. Returns (returncode, output, path); returncode is None if it was
        still running after timeout (it and its children are then killed by PID)."""
        self._check_node(node)
        self._write(os.path.join(self.node_dir(node), "etc", name), config_text, 0o644)
        path = f"/etc/vigil/{name}"
        p = subprocess.Popen(self.node_argv(node, [self.vigild_bin, "-c", path]),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True, env=self._env())
        try:
            out, _ = p.communicate(timeout=timeout)
            return p.returncode, out.decode(errors="replace"), path
        except subprocess.TimeoutExpired:
            self._kill_tree(p.pid)
            out, _ = p.communicate(timeout=10)
            return None, out.decode(errors="replace"), path

    def _kill_tree(self, pid):
        """SIGKILLs pid and its descendants (found by PPID), by PID."""
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        data = f.read()
                    ppid = int(data[data.rindex(")") + 2:].split()[1])
                    children.setdefault(ppid, []).append(int(entry))
                except (OSError, ValueError):
                    pass
        todo, victims = [pid], []
        while todo:
            p = todo.pop()
            victims.append(p)
            todo.extend(children.get(p, []))
        for p in victims:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def log_tail(self, node, lines=50):
        return self._tail(self.log_path(node), lines)

    def logs(self, node):
        self._check_node(node)
        with open(self.log_path(node), errors="replace") as f:
            return f.read()

    # ---------------------------------------------------------- the node's init

    def _init_pidfile(self, node):
        return os.path.join(self.node_dir(node), "init.pid")

    def _init(self, node):
        """(host PID, start time) of the node's running init, or None when it is off."""
        try:
            with open(self._init_pidfile(node)) as f:
                pid, start = (int(x) for x in f.read().split())
        except (OSError, ValueError):
            return None
        return (pid, start) if pid_alive(pid, starttime=start) else None

    def init_pid(self, node):
        """Host PID of the node's init (PID 1 of its PID namespace), or None."""
        self._check_node(node)
        init = self._init(node)
        return init and init[0]

    def pidns_id(self, node):
        """The node's current PID namespace as readlink("/proc/PID/ns/pid") shows it
        ("pid:[INODE]"), or None when the node is off. Each boot makes a new one."""
        init = self._init(node)
        try:
            return os.readlink(f"/proc/{init[0]}/ns/pid") if init else None
        except OSError:
            return None

    def node_pids(self, node, pidns=None, zombies=False):
        """Host PIDs of the processes in the node's PID namespace (its init included),
        or in the PID namespace `pidns` ("pid:[INODE]", e.g. an earlier pidns_id),
        zombies too if asked."""
        pidns = pidns or self.pidns_id(node)
        if pidns is None:
            return []
        out = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.readlink(f"/proc/{entry}/ns/pid") == pidns and \
                            (zombies or pid_alive(int(entry))):
                        out.append(int(entry))
                except OSError:
                    pass
        return sorted(out)

    def _restore_proc(self, node):
        """Takes the /proc of gone PID namespaces off the node's mount namespace (the
        host's is left), so that the lab's tools entering it alone see a /proc."""
        if _is_mountpoint(self.pin(node)):
            run([PYTHON, "-I", "-S", NODE_SCRIPT, "restore-proc", "--mnt", self.pin(node)])

    def _boot(self, node):
        """Starts the node's init (vigilnode.py boot: PID 1 of a new PID namespace, a
        UTS namespace named after the node, a fresh /proc) and waits until it is
        ready. Only when the node has no init. Starts nothing else."""
        self._restore_proc(node)
        pidfile = self._init_pidfile(node)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(pidfile)
        i = int(node[1:])
        # Node i's pids start at i * step (step = pid_max / (nodes + 1)), so that two
        # nodes' pids seldom collide, as on machines with large pid spaces.
        try:
            with open("/proc/sys/kernel/pid_max") as f:
                step = int(f.read()) // (len(self.nodes) + 1)
        except (OSError, ValueError):
            step = 0
        argv = [PYTHON, "-I", "-S", NODE_SCRIPT, "boot", "--node", node,
                "--net", os.path.join(NETNS_DIR, self.node_ns(node)), "--mnt", self.pin(node),
                "--pidfile", pidfile, "--pid-base", str(i * step)]
        log = os.path.join(self.node_dir(node), "init.log")
        with open(log, "ab") as out:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                 start_new_session=True, cwd="/")
        self._procs[p.pid] = p
        wait_until(lambda: self._init(node) or p.poll() is not None, 30, f"{node}'s init")
        if self._init(node) is None:
            raise LabError(f"{node}: init did not start; log tail:\n" + self._tail(log, 5))

    def _halt(self, node):
        """Kills the node's init, so the kernel kills every process of its PID
        namespace, and waits until none is left, zombies included (the launcher
        reaps the init, which reaps the rest). Then ends anything else left in its
        network or mount namespace (entered without the PID namespace) and restores
        the host's /proc in the mount namespace. Returns the wall-clock ms just
        before the kill."""
        init = self._init(node)
        pidns = self.pidns_id(node)
        t0 = time.time() * 1000.0
        if init:
            try:
                os.kill(init[0], signal.SIGKILL)
            except ProcessLookupError:
                pass

            def gone():
                self._reap()
                return _proc_stat(init[0]) is None or _proc_stat(init[0])[2] != init[1]
            wait_until(gone, 30, f"{node}'s init to be gone", interval=0.01)
        if pidns:
            wait_until(lambda: not self.node_pids(node, pidns, zombies=True), 30,
                       f"{node}'s processes to be gone", interval=0.01)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._init_pidfile(node))
        self._kill_ns(os.path.join(NETNS_DIR, self.node_ns(node)), "net", f"{node} halt")
        self._kill_ns(self.pin(node), "mnt", f"{node} halt")
        self._restore_proc(node)
        return t0

    # ---------------------------------------------------------- ending processes

    def _kill_pids(self, pids, what, deadline=10.0):
        """SIGKILLs the given PIDs and waits until none is alive (bounded)."""
        end = time.monotonic() + deadline
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while any(pid_alive(p) for p in pids):
            self._reap()
            if time.monotonic() > end:
                raise LabError(f"{what}: processes survive SIGKILL: "
                               f"{[p for p in pids if pid_alive(p)]}")
            time.sleep(0.02)
        self._reap()

    def _kill_ns(self, ns_file, kind, what, rounds=50):
        """Kills every process in a namespace, again until none is left (bounded)."""
        for _ in range(rounds):
            pids = ns_pids(ns_file, kind)
            if not pids:
                return
            self._kill_pids(pids, what)
        raise LabError(f"{what}: processes keep appearing: {ns_pids(ns_file, kind)}")

    def kill(self, node, daemon):
        """SIGKILLs the node's vigild or corosync; returns the PIDs killed."""
        self._check_node(node)
        if daemon not in ("vigild", "corosync"):
            raise LabError(f"kill: want vigild or corosync, not {daemon!r}")
        pids = self.daemon_pids(node, daemon)
        if not pids:
            raise LabError(f"{node}: no {daemon} is running")
        self._kill_pids(pids, f"{node} {daemon}")
        return pids
