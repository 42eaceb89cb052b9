"""vigil-lab, the basics every part of the lab uses: paths and constants, LabError,
helpers for processes, namespaces and mounts, and LabBase: a lab's identity (its
prefix, state and shared directories, parameters, nodes and names).

Part of vigillab (see its docstring for the layout of a lab). Python 3 standard
library only.
"""

import collections
import json
import os
import re
import shlex
import shutil
import subprocess
import time

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(LAB_DIR)
STATE_ROOT = "/run/vigil-lab"
# Not under /run, /var/lib/vigil or any other directory private to a node, so
# that processes in the nodes see it too (the BMC socket, test recordings).
SHARED_ROOT = "/var/lib/vigil-lab"
NETNS_DIR = "/run/netns"
PYTHON = "/usr/bin/python3"
FENCE_LAB = os.path.join(LAB_DIR, "fence_lab")
NODE_SCRIPT = os.path.join(LAB_DIR, "vigilnode.py")  # a node's init; entering a node

# Heartbeat networks, best first: (name, /24 prefix). Node i is PREFIX.i.
NETWORKS = (("priv", "192.0.2"), ("pub", "198.51.100"))
CLIENT_HOST = 250
CLIENT_NETWORK = "pub"
MAX_NODES = 32

# Paths inside a node (its private mount namespace).
NODE_CONFIG = "/etc/vigil/vigil.yaml"
NODE_KEY = "/etc/vigil/authkey"
NODE_SOCKET = "/run/vigil/vigild.sock"
# Host directory -> node state subdirectory bound over it.
NODE_BINDS = (
    ("/var/lib/corosync", "corosync"),
    ("/var/lib/vigil", "vigil"),
    ("/etc/vigil", "etc"),
    ("/var/log/corosync", "log"),
    ("/srv", "srv"),  # mount points for shared disks (fs resources), per node
    ("/var/lib/postgresql", "postgresql"),  # each node's own PostgreSQL data
)

# The network namespace the lab is run from (the root one: no lab command runs
# inside a lab namespace). Read from /proc/self: /proc/1/ns may be out of reach.
try:
    _ROOT_NETNS_INO = os.stat("/proc/self/ns/net").st_ino
except OSError:
    _ROOT_NETNS_INO = None


class LabError(Exception):
    """A lab operation failed; the message says what and why."""


# ---------------------------------------------------------------- helpers


def wait_until(predicate, timeout, what, interval=0.2):
    """Calls predicate() until it returns a true value, and returns that value.

    Exceptions raised by predicate count as "not yet". Raises TimeoutError
    naming `what` (and the last exception, if any) after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last_exc = None
        except Exception as e:  # noqa: BLE001 - the predicate may fail while waiting
            last_exc = e
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_exc!r})" if last_exc else ""
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}{detail}")
        time.sleep(interval)


def run(argv, check=True, input=None, timeout=30, env=None):
    """Runs argv, capturing text output; raises LabError on failure if check."""
    try:
        p = subprocess.run(argv, input=input, capture_output=True, text=True,
                           timeout=timeout, env=env, stdin=None if input is not None
                           else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"{shlex.join(argv)}: timed out after {timeout}s") from e
    except FileNotFoundError as e:
        raise LabError(f"{argv[0]}: not found") from e
    if check and p.returncode != 0:
        msg = (p.stderr or p.stdout).strip()
        raise LabError(f"{shlex.join(argv)}: exit {p.returncode}: {msg}")
    return p


def _proc_stat(pid):
    """Returns (comm, state, starttime) of pid, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    lp, rp = data.index("("), data.rindex(")")
    rest = data[rp + 2:].split()
    return data[lp + 1:rp], rest[0], int(rest[19])


def pid_alive(pid, comm=None, starttime=None):
    """True if pid exists, is not a zombie, and matches comm/starttime if given."""
    st = _proc_stat(pid)
    if st is None or st[1] in ("Z", "X"):
        return False
    if comm is not None and st[0] != comm:
        return False
    if starttime is not None and st[2] != starttime:
        return False
    return True


def ns_pids(ns_file, kind="net"):
    """PIDs of live processes whose `kind` namespace is the one at ns_file.

    This is what `ip netns pids` does (same device and inode), for any kind.
    """
    try:
        st = os.stat(ns_file)
    except OSError:
        return []
    ident = (st.st_dev, st.st_ino)
    me = os.getpid()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        if pid == me:
            continue
        try:
            s = os.stat(f"/proc/{pid}/ns/{kind}")
        except OSError:
            continue
        if (s.st_dev, s.st_ino) == ident and pid_alive(pid):
            pids.append(pid)
    return sorted(pids)


def entered_pid(pid):
    """The host PID of the command that a node_argv process `pid` (vigilnode.py
    enter, outside the node) runs inside the node: its only child. None if none."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    data = f.read()
            except OSError:
                continue
            if int(data[data.rindex(")") + 2:].split()[1]) == pid:
                return int(entry)
    return None


def node_local_pid(pid):
    """The PID that host process `pid` has in its own PID namespace (what getpid()
    returns inside a node: the last field of NSpid), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except OSError:
        pass
    return None


def _mountpoints():
    """Mount points of this mount namespace, in mount order."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4]
            # mountinfo escapes space, tab, newline and backslash as octal.
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), point))
    return points


def _unescape_mountinfo(field):
    # mountinfo escapes space, tab, newline and backslash as octal.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


Mount = collections.namedtuple("Mount", "id point fstype source")


def parse_mountinfo(text):
    """[Mount(id, point, fstype, source)] of /proc/PID/mountinfo text, in mount order."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 10 or "-" not in f[6:]:
            continue
        sep = f.index("-", 6)
        out.append(Mount(int(f[0]), _unescape_mountinfo(f[4]), f[sep + 1],
                         _unescape_mountinfo(f[sep + 2])))
    return out


def _is_mountpoint(path):
    return os.path.realpath(path) in _mountpoints()


def _clear_dir(path):
    """Removes everything inside path (not path itself, which may be bound)."""
    for entry in os.listdir(path):
        full = os.path.join(path, entry)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        else:
            os.unlink(full)


# ---------------------------------------------------------------- the lab's identity


class LabBase:
    """Who a lab is: its prefix, its directories, the parameters it was built with,
    its nodes and the names of its namespaces. A Lab object keeps no state that the
    state directory does not also hold. The other parts of Lab (labnet, labprocs,
    labpower, labclient, labdisk) build on these.
    """

    def __init__(self, prefix=None, build_dir=None, state_root=STATE_ROOT,
                 shared_root=SHARED_ROOT):
        self.prefix = prefix or os.environ.get("VIGIL_LAB_PREFIX") or "vl"
        if not re.fullmatch(r"[a-z][a-z0-9]{0,11}", self.prefix):
            raise LabError(f"bad lab prefix {self.prefix!r}: want [a-z][a-z0-9]{{0,11}}")
        self.build_dir = os.path.abspath(
            build_dir or os.environ.get("VIGIL_BUILD") or os.path.join(REPO, "build"))
        self.state_root = os.path.abspath(state_root)
        self.state = os.path.join(self.state_root, self.prefix)
        self.shared_root = os.path.abspath(shared_root)
        self.shared_dir = os.path.join(self.shared_root, self.prefix)
        self.vigild_bin = os.path.join(self.build_dir, "src/daemon/vigild")
        self.vigil_bin = os.path.join(self.build_dir, "src/cli/vigil")
        self._procs = {}  # pid -> Popen, for daemons this object started (reaping)
        self._samplers = []  # Samplers this object started (threads of this process)

    # ---------------------------------------------------------- names

    @property
    def net_ns(self):
        return f"{self.prefix}-net"

    @property
    def client_ns(self):
        return f"{self.prefix}-client"

    def node_ns(self, node):
        return f"{self.prefix}-{node}"

    def node_dir(self, node):
        return os.path.join(self.state, node)

    def pin(self, node):
        return os.path.join(self.state, "pins", node)

    def shared_path(self, name):
        """A path in the lab's shared directory (created if need be), seen alike by
        tests in the root namespaces and by processes in the nodes: for recordings
        of fake fence agents, for instance. Removed by down()."""
        os.makedirs(self.shared_dir, mode=0o755, exist_ok=True)
        return os.path.join(self.shared_dir, name)

    @property
    def params(self):
        """The parameters the lab was built with, or None if there is no lab."""
        try:
            with open(os.path.join(self.state, "lab.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    @property
    def nodes(self):
        p = self.params
        return [f"n{i}" for i in range(1, p["nodes"] + 1)] if p else []

    @property
    def networks(self):
        """Heartbeat networks of the lab, best first."""
        p = self.params
        return [n for n, _ in NETWORKS[:p["networks"]]] if p else []

    def address(self, node, network):
        i = int(self._check_node(node)[1:])
        return f"{dict(NETWORKS)[network]}.{i}"

    def _check_node(self, node):
        if node not in self.nodes:
            raise LabError(f"no node {node!r} in lab {self.prefix} (nodes: "
                           f"{', '.join(self.nodes) or 'none'})")
        return node

    def _lab_namespaces(self):
        """Names of the existing network namespaces that belong to this lab."""
        pat = re.compile(rf"{re.escape(self.prefix)}-(n\d+|net|client)")
        try:
            names = os.listdir(NETNS_DIR)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if pat.fullmatch(n))

    def _ns_exists(self, ns):
        return os.path.exists(os.path.join(NETNS_DIR, ns))

    def netns_id(self, node):
        """The node's network namespace as readlink("/proc/PID/ns/net") shows it
        ("net:[INODE]"), to tell which node a process (a fence agent) ran in."""
        self._check_node(node)
        return f"net:[{os.stat(os.path.join(NETNS_DIR, self.node_ns(node))).st_ino}]"

    # ---------------------------------------------------------- files

    @staticmethod
    def _write(path, data, mode):
        """Writes a file atomically with the given mode."""
        tmp = path + ".tmp"
        if os.path.exists(tmp):
            os.unlink(tmp)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.rename(tmp, path)

    @staticmethod
    def _tail(path, lines):
        try:
            with open(path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)\n"
