"""vigil-lab: an N-node vigil cluster on one Linux machine, in namespaces.

Layout of a lab with prefix P (default "vl", or $VIGIL_LAB_PREFIX):

  netns P-net        one bridge per network: "priv" and "pub"
  netns P-nI         node nI: lo, priv0 = 192.0.2.I/24, pub0 = 198.51.100.I/24
                     (veth; the peer ends nI-priv / nI-pub sit on the bridges)
  netns P-client     pub0 = 198.51.100.250/24 on the pub bridge
  /run/vigil-lab/P/  the lab's state:
      lab.json             the parameters the lab was built with
      vigil.yaml, authkey  the cluster configuration and key (mode 0400)
      pins/nI              the node's private mount namespace, bind-mounted
                           (it lives on with no process in it)
      nI/run               the node's /run               (cleared before each start)
      nI/shm               the node's /dev/shm, a tmpfs  (cleared before each start)
      nI/corosync          the node's /var/lib/corosync
      nI/vigil             the node's /var/lib/vigil
      nI/etc               the node's /etc/vigil (vigil.yaml, authkey)
      nI/log               the node's /var/log/corosync
      nI/srv               the node's /srv (mount points of fs resources)
      nI/mounts.base       the mounts the lab made in the node (a power loss keeps
                           these, and takes away every other)
      nI/vigild.log        vigild's stdout and stderr (Corosync's output too)
      nI/vigild.pid        "PID STARTTIME" of the running vigild
      nI/init.pid          "PID STARTTIME" of the node's init (PID 1 of its PID
                           namespace; none while the node is off); nI/init.log
      nI/power.lock        flock(2)ed during poweroff and poweron
      bmc.pid              "PID STARTTIME" of the lab's power controller (BMC)
      bmc.log              the BMC's log: one line per request, with a timestamp
      pollers/NAME.{pid,log}  clients polling a URL from the client namespace
                           (lab/vigil-poll; Lab.start_poller)
      disks.json           the lab's shared disks (loop devices; Lab.create_disk)
  /var/lib/vigil-lab/P/  shared with the nodes (outside their private directories):
      bmc.sock             the BMC's Unix socket (mode 0600), for fence agents
                           running inside the nodes (lab/fence_lab)
      disks/NAME.img       the files behind the shared disks (loop devices)
      ...                  anything else tests want both sides to see (recordings)

The web root: every node's /var/lib/vigil holds a file `node` with the node's
name, so a web server of the standard web group (web_group) answers GET /node
with the name of the node that serves it.

A power-off (Lab.poweroff, the BMC's "off") is a power loss: every process of
the node is killed, its links go down, and it loses every address but the
lab's own and every mount the lab did not make (ext4/xfs are first shut down
without a log flush, as a power cut leaves them).

The power controller (vigilbmc.py) is a long-lived process in the root
namespaces, in a session of its own, that powers nodes off and on with the very
Lab.poweroff/Lab.poweron/Lab.power_state used by tests and the CLI.

No interface is ever created in the root network namespace: veths are created
in the bridge namespace with their peer placed straight into the node's. IPv6
is disabled in every lab namespace, so nothing but the two IPv4 documentation
ranges is ever addressed.

Every process of a node runs in the node's network namespace, its private
mount namespace, and its PID and UTS namespaces, which the node's init makes at
each boot (lab/vigilnode.py: PID 1 of the node, which only reaps; hostname nI; a
fresh /proc). A power-off SIGKILLs the init, so the kernel kills every process
of the node at once, and waits until none is left, not even a zombie. Commands
enter a node with `vigilnode.py enter` (node_argv). Processes are only ever ended
by PID: the init's, or the PIDs of a lab namespace, found by comparing
/proc/PID/ns/{net,mnt,pid} with the lab's namespaces, as `ip netns pids` does.

Python 3 standard library only. Use the Lab class from tests and benchmarks;
`lab/vigil-lab` is the command-line front end (see main()).
"""

import argparse
import collections
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(LAB_DIR)
STATE_ROOT = "/run/vigil-lab"
# Not under /run, /var/lib/vigil or any other directory private to a node, so
# that processes in the nodes see it too (the BMC socket, test recordings).
SHARED_ROOT = "/var/lib/vigil-lab"
NETNS_DIR = "/run/netns"
PYTHON = "/usr/bin/python3"
BMC_SCRIPT = os.path.join(LAB_DIR, "vigilbmc.py")
FENCE_LAB = os.path.join(LAB_DIR, "fence_lab")
NODE_SCRIPT = os.path.join(LAB_DIR, "vigilnode.py")  # a node's init; entering a node
BMC_SOCKET = "bmc.sock"  # in the lab's shared directory
POWER_LOCK_TIMEOUT = 120  # seconds one power operation may wait for another

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
)

NFT_TABLE = "vigil_lab"

POLL = os.path.join(LAB_DIR, "vigil-poll")

# Filesystems a power cut is simulated on: the ioctl EXT4_IOC_SHUTDOWN (ext4) =
# XFS_IOC_GOINGDOWN (xfs) = _IOR('X', 125, __u32), flag NOLOGFLUSH (2).
SHUTDOWN_FSTYPES = ("ext4", "ext3", "xfs")
_GOINGDOWN = ("import fcntl, os, struct, sys\n"
              "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
              "fcntl.ioctl(fd, 0x8004587D, struct.pack('I', 2))\n")
DISK_NAME = re.compile(r"[a-z][a-z0-9]{0,15}")

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


# Plain YAML scalars that stay strings under YAML 1.2's core schema.
_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./@+-]*")
_NOT_STRING = re.compile(r"(?i)null|~|true|false|[-+]?(\d[\d_]*)?\.?\d*(e[-+]?\d+)?|"
                         r"0x[0-9a-f]+|0o[0-7]+|[-+]?\.(inf|nan)")


def _yaml_flow(v):
    """v (dict, list, str, number, bool, None) as one line of flow-style YAML."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_yaml_flow(k)}: {_yaml_flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_yaml_flow(x) for x in v) + "]"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    v = str(v)
    if _PLAIN.fullmatch(v) and not _NOT_STRING.fullmatch(v):
        return v
    return json.dumps(v)  # a JSON string is a YAML double-quoted scalar


def lab_fencing(nodes, prefix, agent=FENCE_LAB, timeout="30s", delay="5s"):
    """The lab's standard fencing (a dict for make_config): one device "lab" using
    lab/fence_lab on the lab's BMC, one level per node, the node's name as port.

    In a two-node lab, n1 gets `delay` (so that of two nodes fencing each other
    at once, n2 is shot first and n1 survives), as is usual for two-node clusters.
    """
    out = {"devices": [{"name": "lab", "agent": agent, "params": {"lab": prefix},
                        "timeout": timeout}],
           "nodes": {}}
    for i in range(1, nodes + 1):
        entry = {"levels": [[{"device": "lab", "port": f"n{i}"}]]}
        if nodes == 2 and i == 1 and delay:
            entry["delay"] = delay
        out["nodes"][f"n{i}"] = entry
    return out


def fencing_yaml(fencing):
    """The `fencing:` section of vigil.yaml for a fencing dict (see make_config).

    Keys other than devices and nodes (enabled, action, retries, ...) come first,
    one per line; then each device as a block of `key: value` lines (name first if
    given, the rest in dict order); then one flow-style line per node. A str is
    returned as it is (newline-terminated), for deliberately bad sections.
    """
    if isinstance(fencing, str):
        return fencing if fencing.endswith("\n") else fencing + "\n"
    lines = ["fencing:"]
    for k, v in fencing.items():
        if k not in ("devices", "nodes"):
            lines.append(f"  {k}: {_yaml_flow(v)}")
    if "devices" in fencing:
        devices = fencing["devices"]
        if not devices:
            lines.append("  devices: []")
        else:
            lines.append("  devices:")
        for dev in devices:
            if not isinstance(dev, dict) or not dev:
                lines.append(f"    - {_yaml_flow(dev)}")
                continue
            keys = sorted(dev, key=lambda k: k != "name")  # stable: name first
            for j, k in enumerate(keys):
                lines.append(f"{'    - ' if j == 0 else '      '}{k}: {_yaml_flow(dev[k])}")
    if "nodes" in fencing:
        if not fencing["nodes"]:
            lines.append("  nodes: {}")
        else:
            lines.append("  nodes:")
        for node, entry in fencing["nodes"].items():
            lines.append(f"    {node}: {_yaml_flow(entry)}")
    return "\n".join(lines) + "\n"


WEB_VIP = "198.51.100.100"
WEB_ROOT = "/var/lib/vigil"  # what the lab's web servers serve: each node's private dir
NODE_FILE = "node"  # WEB_ROOT/node in every node holds the node's name (GET /node)


def web_group(name="web", domain=("n1", "n2", "n3"), address=WEB_VIP, port=80,
              failback=None, restarts=None, policy=None, before=(), after=(),
              check=True, vip_name="vip", www_name="www", on_fail=None, directory=WEB_ROOT,
              **extra):
    """The standard web group (a dict for groups_yaml / make_config(groups=...)):
    an ip resource `vip_name` (ADDRESS/24 on the pub network), then a process
    `www_name` running Python's http.server on ADDRESS:PORT serving WEB_ROOT
    (each node's private /var/lib/vigil, where the lab writes the node's name to
    `node`: GET /node tells which node answered; or `directory`), with an http
    check of it (1s interval, 500ms timeout, 2 failures) unless check=False.
    The server's stderr (its access log) goes to /run/www-WWW_NAME.log in the node.

    failback ("auto" | "controlled"), restarts ({"max": 2, "within": "10min"}),
    policy, on_fail (of the process) are written only when given. before/after
    are resource dicts put before the ip resource or after the process (an fs
    resource the server needs goes in before). Other keyword arguments become
    keys of the group.
    """
    # The server's access log (a line per request, on stderr) goes to the node's
    # /run/www-NAME.log rather than to vigild's log, which it would drown; sh
    # execs the server, so the supervised process is the server itself.
    www = {"name": www_name, "type": "process",
           "command": ["/bin/sh", "-c", f'exec "$0" "$@" 2>>/run/www-{www_name}.log',
                       PYTHON, "-m", "http.server", str(port), "--bind", address,
                       "--directory", directory]}
    if on_fail is not None:
        www["on_fail"] = on_fail
    if check:
        url = f"http://{address}/" if port == 80 else f"http://{address}:{port}/"
        www["checks"] = [{"type": "http", "url": url, "interval": "1s",
                          "timeout": "500ms", "failures": 2}]
    group = {"name": name, "domain": list(domain)}
    for k, v in (("policy", policy), ("failback", failback), ("restarts", restarts)):
        if v is not None:
            group[k] = v
    group.update(extra)
    group["resources"] = (list(before)
                          + [{"name": vip_name, "type": "ip", "address": f"{address}/24",
                              "network": "pub"}, www]
                          + list(after))
    return group


def groups_yaml(groups):
    """The `groups:` section of vigil.yaml for a list of group dicts (see web_group):
    each group as a block (name first, resources last), each resource as one
    flow-style line. A str is returned as it is (newline-terminated), for
    sections written by hand or deliberately bad ones."""
    if isinstance(groups, str):
        return groups if groups.endswith("\n") else groups + "\n"
    if not groups:
        return "groups: []\n"
    lines = ["groups:"]
    for g in groups:
        if not isinstance(g, dict) or not g:
            lines.append(f"  - {_yaml_flow(g)}")
            continue
        keys = sorted(g, key=lambda k: (k != "name", k == "resources"))
        for j, k in enumerate(keys):
            lead = "  - " if j == 0 else "    "
            if k == "resources" and isinstance(g[k], (list, tuple)) and g[k]:
                lines.append(f"{lead}resources:")
                lines.extend(f"      - {_yaml_flow(r)}" for r in g[k])
            else:
                lines.append(f"{lead}{k}: {_yaml_flow(g[k])}")
    return "\n".join(lines) + "\n"


def make_config(nodes, networks=2, name="lab", key=NODE_KEY, interval=None, misses=None,
                tie_breaker="lowest", overrides=None, fencing=None, groups=None):
    """Returns vigil.yaml text for a standard lab of `nodes` nodes.

    networks is how many of NETWORKS (priv, pub) carry heartbeat. interval is a
    duration string ("100ms") or a number of milliseconds; interval and misses
    are left out (vigild's defaults apply) when None. overrides maps a node
    name to a dict of address overrides, e.g. {"n2": {"priv": "192.0.2.300"}},
    to build deliberately bad configurations.

    fencing, if not None, adds a `fencing:` section (see fencing_yaml): a dict
    such as lab_fencing(nodes, prefix) returns, e.g.
        {"devices": [{"name": "rec", "agent": PATH, "params": {"log": F}, "timeout": "5s"}],
         "nodes": {"n1": {"levels": [[{"device": "rec", "port": "n1"}],
                                     [{"device": "lab", "port": "n1"}]]}, ...}}
    or the section's text itself.

    groups, if not None, adds a `groups:` section (see groups_yaml): a list of
    group dicts such as web_group() returns, or the section's text.
    """
    overrides = overrides or {}
    nets = [n for n, _ in NETWORKS[:networks]]
    lines = [f"cluster: {{name: {name}, key: {key}}}"]
    hb = []
    if interval is not None:
        hb.append(f"interval: {interval}ms" if isinstance(interval, (int, float))
                  else f"interval: {interval}")
    if misses is not None:
        hb.append(f"misses: {misses}")
    if hb:
        lines.append("heartbeat: {" + ", ".join(hb) + "}")
    lines.append("networks: [" + ", ".join(f"{{name: {n}}}" for n in nets) + "]")
    lines.append("nodes:")
    for i in range(1, nodes + 1):
        node = f"n{i}"
        addrs = {n: f"{p}.{i}" for n, p in NETWORKS[:networks]}
        addrs.update(overrides.get(node, {}))
        a = ", ".join(f"{n}: {v}" for n, v in addrs.items())
        lines.append(f"  - {{name: {node}, id: {i}, addresses: {{{a}}}}}")
    lines.append(f"quorum: {{tie_breaker: {tie_breaker}}}")
    text = "\n".join(lines) + "\n"
    if fencing is not None:
        text += fencing_yaml(fencing)
    if groups is not None:
        text += groups_yaml(groups)
    return text


# ---------------------------------------------------------------- the lab


class Lab:
    """One namespace lab, identified by its prefix.

    All methods are safe to call again after a failure. A Lab object keeps no
    state that the state directory does not also hold, so several objects (or
    CLI runs) can act on the same lab one after another.
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

    @property
    def bmc_socket(self):
        """The BMC's socket: the same path in the root namespaces and in every node."""
        return os.path.join(self.shared_dir, BMC_SOCKET)

    @property
    def bmc_log(self):
        return os.path.join(self.state, "bmc.log")

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

    # ---------------------------------------------------------- up

    def up(self, nodes=3, networks=2, config=None, interval=None, misses=None, wait=False,
           timeout=90, verbose=False, log=None, fencing=False):
        """Builds the lab (or completes a half-built one), starts the lab's power
        controller (BMC) and vigild everywhere.

        config is a vigil.yaml to use instead of the generated one (its nodes must
        use the standard lab addresses; the lab key is at /etc/vigil/authkey in every
        node). fencing=True adds the standard fencing section to the generated
        config (lab_fencing: lab/fence_lab on this lab's BMC for every node).
        Waits until every vigild answers on its control socket, and with wait=True
        until every node reports a quorate cluster with all nodes online.
        """
        log = log or (lambda msg: None)
        if os.geteuid() != 0:
            raise LabError("the lab needs root")
        if not 1 <= nodes <= MAX_NODES:
            raise LabError(f"--nodes must be 1..{MAX_NODES}")
        if not 1 <= networks <= len(NETWORKS):
            raise LabError(f"--networks must be 1..{len(NETWORKS)} "
                           f"({', '.join(n for n, _ in NETWORKS)})")
        if config is not None and (interval is not None or misses is not None):
            raise LabError("--config and --heartbeat-interval/--misses exclude each other")
        if config is not None and fencing:
            raise LabError("--config and --fencing exclude each other (put a fencing "
                           "section in your config; see lab_fencing in vigillab.py)")
        for b in (self.vigild_bin, self.vigil_bin):
            if not os.access(b, os.X_OK):
                raise LabError(f"{b}: missing; build first (ninja -C {self.build_dir}) "
                               "or set VIGIL_BUILD")
        config_text = None
        if config is not None:
            with open(config) as f:
                config_text = f.read()
        self.build(nodes, networks, interval=interval, misses=misses, verbose=verbose,
                   config_path=config, config_text=config_text, log=log, fencing=fencing)
        self._ensure_config(config_text)
        self.heal()
        if not self.bmc_running():
            log("starting the BMC")
            self.start_bmc()
        for node in self.nodes:
            if not self.vigild_running(node):
                log(f"{node}: starting vigild")
                self.poweron(node)  # ends what is left of an earlier run first
        for node in self.nodes:
            self.wait_answering(node, timeout=timeout)
        if wait:
            self.wait_formed(timeout=timeout)

    def build(self, nodes=3, networks=2, interval=None, misses=None, verbose=False,
              config_path=None, config_text=None, log=None, fencing=False):
        """Builds (or completes) the lab's namespaces, links and mounts; starts nothing.

        A lab of this prefix built with other parameters is torn down first.
        """
        log = log or (lambda msg: None)
        want = {"nodes": nodes, "networks": networks, "interval": interval,
                "misses": misses, "verbose": verbose, "fencing": bool(fencing),
                "config": os.path.abspath(config_path) if config_path else None,
                "config_sha256": hashlib.sha256(config_text.encode()).hexdigest()
                if config_text is not None else None}
        have = self.params
        if (have is not None and have != want) or (have is None and self._lab_namespaces()):
            log(f"lab {self.prefix} exists with other settings: tearing it down first")
            self.down()
        os.makedirs(self.state, exist_ok=True)
        with open(os.path.join(self.state, "lab.json"), "w") as f:
            json.dump(want, f)
        self._ensure_network()
        for node in self.nodes:
            self._ensure_node(node)
        self._ensure_client()

    def _ensure_netns(self, ns):
        if not self._ns_exists(ns):
            run(["ip", "netns", "add", ns])
        elif not _is_mountpoint(os.path.join(NETNS_DIR, ns)):
            # A stale file (e.g. left by a reboot): replace it.
            run(["ip", "netns", "delete", ns], check=False)
            run(["ip", "netns", "add", ns])
        for key in ("all", "default"):
            run(self._in_net(ns, ["sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"]))
        run(["ip", "-n", ns, "link", "set", "lo", "up"])

    @staticmethod
    def _in_net(ns, argv):
        """argv run in network namespace ns only (for nft, sysctl)."""
        return ["nsenter", f"--net={os.path.join(NETNS_DIR, ns)}", "--"] + argv

    def _links(self, ns):
        """{ifname: link JSON} of a namespace."""
        p = run(["ip", "-n", ns, "-j", "-d", "link", "show"])
        return {link["ifname"]: link for link in json.loads(p.stdout or "[]")}

    def _ensure_network(self):
        self._ensure_netns(self.net_ns)
        links = self._links(self.net_ns)
        for net, _ in NETWORKS:
            if net not in links:
                run(["ip", "-n", self.net_ns, "link", "add", net, "type", "bridge",
                     "stp_state", "0", "forward_delay", "0"])
            run(["ip", "-n", self.net_ns, "link", "set", net, "up"])

    def _ensure_port(self, ns, ifname, peer, net, addr):
        """Connects ns to bridge `net`: ifname in ns (with addr), peer on the bridge."""
        have = self._links(ns)
        if ifname not in have:
            # Remove a half-made peer, then create the pair inside the bridge
            # namespace with the node end moved straight into the node's.
            run(["ip", "-n", self.net_ns, "link", "del", peer], check=False)
            run(["ip", "-n", self.net_ns, "link", "add", peer, "type", "veth",
                 "peer", "name", ifname, "netns", ns])
        run(["ip", "-n", self.net_ns, "link", "set", peer, "master", net, "up"])
        run(["ip", "-n", ns, "addr", "replace", f"{addr}/24", "dev", ifname])
        run(["ip", "-n", ns, "link", "set", ifname, "up"])

    def _ensure_node(self, node):
        ns = self.node_ns(node)
        if not self._ns_exists(ns) and _is_mountpoint(self.pin(node)):
            # Processes left in the node's mount namespace belong to a network
            # namespace that is gone: end them before the node is rebuilt.
            self._kill_ns(self.pin(node), "mnt", f"{node} rebuild")
        self._ensure_netns(ns)
        for net, _ in NETWORKS:
            self._ensure_port(ns, f"{net}0", f"{node}-{net}", net, self.address(node, net))
        self._ensure_mounts(node)
        # GET /node from a web server serving the node's /var/lib/vigil names the node.
        self._write(os.path.join(self.node_dir(node), "vigil", NODE_FILE), f"{node}\n", 0o644)

    def _ensure_client(self):
        self._ensure_netns(self.client_ns)
        net = CLIENT_NETWORK
        self._ensure_port(self.client_ns, f"{net}0", f"client-{net}", net,
                          f"{dict(NETWORKS)[net]}.{CLIENT_HOST}")

    def _ensure_pins_dir(self):
        """The pins directory is a private mount, so mount namespaces can be bound there."""
        pins = os.path.join(self.state, "pins")
        os.makedirs(pins, exist_ok=True)
        if not _is_mountpoint(pins):
            run(["mount", "--bind", pins, pins])
        run(["mount", "--make-private", pins])

    def _ensure_mounts(self, node):
        """Creates the node's private mount namespace with its own /run and state dirs."""
        d = self.node_dir(node)
        pin = self.pin(node)
        ok = os.path.join(d, "mounts.ok")
        if _is_mountpoint(pin) and os.path.exists(ok):
            return
        self._ensure_pins_dir()
        if _is_mountpoint(pin):
            # Half set up by a failed run: start that namespace again.
            self._kill_pids(ns_pids(pin, "mnt"), f"{node} mount namespace")
            run(["umount", pin])
        for host_dir, sub in NODE_BINDS:
            os.makedirs(host_dir, exist_ok=True)  # the mount point, on the host
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        os.makedirs(os.path.join(d, "run"), exist_ok=True)
        # The node's /dev/shm: a tmpfs of its own, mounted here (privately) so the
        # lab can clear it between starts, as a reboot would. Killed Corosyncs
        # leave their IPC rings and 8 MB blackbox files behind in it.
        shm = os.path.join(d, "shm")
        os.makedirs(shm, exist_ok=True)
        if not _is_mountpoint(shm):
            run(["mount", "-t", "tmpfs", "-o", "mode=1777,size=256m",
                 f"vigil-lab-{self.prefix}-{node}-shm", shm])
            run(["mount", "--make-private", shm])
        open(pin, "a").close()
        run(["unshare", f"--mount={pin}", "--propagation", "private", "true"])
        q = shlex.quote
        script = ["set -e"]
        for host_dir, sub in NODE_BINDS:
            script.append(f"mount --bind {q(os.path.join(d, sub))} {q(host_dir)}")
        script.append(f"mount --bind {q(shm)} /dev/shm")
        # Drop the copies of namespace files (/run/netns/...) this mount namespace
        # inherited: they would keep other namespaces alive after their deletion.
        script.append("for m in $(findmnt -rn -t nsfs -o TARGET | sort -r); do "
                      "umount -l \"$m\"; done")
        # Last: /run hides the lab state directory (and /run/netns) in the node.
        script.append(f"mount --bind {q(os.path.join(d, 'run'))} /run")
        run(["nsenter", f"--mount={pin}", f"--net={os.path.join(NETNS_DIR, self.node_ns(node))}",
             "--", "/bin/sh", "-c", "\n".join(script)])
        # The mounts the lab made (and inherited): a power loss keeps these and
        # loses every other (see _unmount_foreign).
        self._write(os.path.join(d, "mounts.base"),
                    "".join(f"{m.id} {m.point}\n" for m in self.node_mounts(node)),
                    0o644)
        open(ok, "w").close()

    def _ensure_config(self, config_text):
        key = os.path.join(self.state, "authkey")
        if not os.path.exists(key):
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(256))
        p = self.params
        if config_text is None:
            fencing = lab_fencing(p["nodes"], self.prefix) if p.get("fencing") else None
            config_text = make_config(p["nodes"], p["networks"], interval=p["interval"],
                                      misses=p["misses"], fencing=fencing)
        with open(os.path.join(self.state, "vigil.yaml"), "w") as f:
            f.write(config_text)
        for node in self.nodes:
            etc = os.path.join(self.node_dir(node), "etc")
            self._write(os.path.join(etc, "vigil.yaml"), config_text, 0o644)
            with open(key, "rb") as f:
                self._write(os.path.join(etc, "authkey"), f.read(), 0o400)

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

    # ---------------------------------------------------------- faults

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

    def node_mounts(self, node):
        """[Mount(id, point, fstype, source)] of the node's mount namespace: its init's
        mountinfo, or, when it is off, read by a short-lived process that enters the
        mount namespace alone."""
        self._check_node(node)
        init = self._init(node)
        if init:
            try:
                with open(f"/proc/{init[0]}/mountinfo") as f:
                    text = f.read()
                if self._init(node) == init:
                    return parse_mountinfo(text)
            except OSError:
                pass
        p = run([PYTHON, "-I", "-S", NODE_SCRIPT, "mountinfo", "--mnt", self.pin(node)])
        return parse_mountinfo(p.stdout)

    def _base_mounts(self, node):
        """{(mount id, mount point)} the lab made in the node (nI/mounts.base), or None."""
        try:
            with open(os.path.join(self.node_dir(node), "mounts.base")) as f:
                return {(int(mid), point) for mid, point in
                        (line.rstrip("\n").split(" ", 1) for line in f if line.strip())}
        except (OSError, ValueError):
            return None

    def foreign_mounts(self, node):
        """Mounts (Mount tuples) in the node's mount namespace that the lab did not
        make (a resource's filesystem, say), in mount order."""
        base = self._base_mounts(node)
        if base is None:
            return []
        # The node's own /proc (its init mounts it at boot) is not foreign either.
        return [m for m in self.node_mounts(node) if (m.id, m.point) not in base
                and not (m.point == "/proc" and m.fstype == "proc")]

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

    @staticmethod
    def base_links():
        """The interfaces the lab gives every node: {"lo", "priv0", "pub0"}."""
        return {"lo"} | {f"{net}0" for net, _ in NETWORKS}

    def foreign_links(self, node):
        """Sorted names of the node's interfaces that the lab did not make (such as
        the macvlan of an ip resource with a fixed MAC)."""
        self._check_node(node)
        return sorted(set(self._links(self.node_ns(node))) - self.base_links())

    def _flush_links(self, node):
        """Deletes every interface of the node that the lab did not make: software
        interfaces do not survive a power loss. Raises LabError if one survives."""
        for name in self.foreign_links(node):
            run(["ip", "-n", self.node_ns(node), "link", "del", name], check=False)
        left = self.foreign_links(node)
        if left:
            raise LabError(f"{node}: interfaces survive the power loss: {left}")

    def base_addresses(self, node):
        """{(ifname, "ADDR/PLEN")} the lab gives the node (lo, priv0, pub0)."""
        out = {("lo", "127.0.0.1/8")}
        for net, _ in NETWORKS:
            out.add((f"{net}0", f"{self.address(node, net)}/24"))
        return out

    def node_addresses(self, node):
        """{(ifname, "ADDR/PLEN")}: every IPv4 address in the node's network namespace."""
        self._check_node(node)
        p = run(["ip", "-n", self.node_ns(node), "-j", "-4", "addr", "show"])
        return {(link["ifname"], f"{a['local']}/{a['prefixlen']}")
                for link in json.loads(p.stdout or "[]") for a in link.get("addr_info", [])
                if a.get("family") == "inet"}

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

    def poweron(self, node):
        """Brings the node's links up, clears its /run and starts vigild (nothing if
        its vigild runs already). This is what the BMC does for {"op": "on"} and
        `vigil-lab poweron`. Returns once vigild is started, not once it answers.
        A node that is on without a vigild is rebooted: a new init, a new PID
        namespace."""
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
            self.start_vigild(node)

    # ---------------------------------------------------------- the BMC

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

    def link(self, node, network, up):
        """Takes one node's interface on one network down (up=False) or up."""
        self._check_node(node)
        if network not in dict(NETWORKS):
            raise LabError(f"no network {network!r} (networks: "
                           f"{', '.join(n for n, _ in NETWORKS)})")
        run(["ip", "-n", self.node_ns(node), "link", "set", f"{network}0",
             "up" if up else "down"])

    def partition(self, sets):
        """Cuts the cluster into sets of nodes that cannot reach each other on any
        network (nftables in the node namespaces). sets is a list of lists of node
        names; nodes in no set keep talking to everyone."""
        seen = set()
        for s in sets:
            for node in s:
                self._check_node(node)
                if node in seen:
                    raise LabError(f"partition: {node} is in two sets")
                seen.add(node)
        self.heal()
        for s in sets:
            others = [n for other in sets if other is not s for n in other]
            addrs = ", ".join(self.address(n, net) for n in others for net, _ in NETWORKS)
            if not addrs:
                continue
            ruleset = "\n".join([
                f"table inet {NFT_TABLE} {{",
                "    chain input {",
                "        type filter hook input priority 0; policy accept;",
                f"        ip saddr {{ {addrs} }} drop",
                "    }",
                "    chain output {",
                "        type filter hook output priority 0; policy accept;",
                f"        ip daddr {{ {addrs} }} drop",
                "    }",
                "}",
                "",
            ])
            for node in s:
                run(self._in_net(self.node_ns(node), ["nft", "-f", "-"]),
                    input=ruleset)

    def heal(self):
        """Removes every partition rule."""
        for node in self.nodes:
            ns = self.node_ns(node)
            if not self._ns_exists(ns):
                continue
            # Declaring the table first makes the delete succeed when it is absent.
            run(self._in_net(ns, ["nft", "-f", "-"]),
                input=f"table inet {NFT_TABLE}\ndelete table inet {NFT_TABLE}\n")

    def restore(self, timeout=120):
        """Undoes every fault: BMC running, heal, all links up, every node powered
        on; then waits for one quorate cluster of all nodes."""
        self.start_bmc()
        self.heal()
        for node in self.nodes:
            for net, _ in NETWORKS:
                self.link(node, net, True)
        for node in self.nodes:
            if not self.vigild_running(node):
                self.poweroff(node)  # whatever is left of it
                self.poweron(node)
        for node in self.nodes:
            self.wait_answering(node, timeout=timeout)
        self.wait_formed(timeout=timeout)

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
        argv = self.node_argv("client", [PYTHON, POLL, url, "--interval-ms", str(interval_ms),
                                         "--timeout-ms", str(timeout_ms), "--max-seconds",
                                         str(max_seconds), "--log", log])
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

    # ---------------------------------------------------------- shared disks

    def _disks_file(self):
        return os.path.join(self.state, "disks.json")

    def _disk_dir(self):
        return os.path.join(self.shared_dir, "disks")

    def disks(self):
        """{name: {"dev": "/dev/loopN", "file": IMAGE}} of the lab's shared disks."""
        try:
            with open(self._disks_file()) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def disk(self, name="disk"):
        """The device of the lab's shared disk `name`."""
        d = self.disks().get(name)
        if not d:
            raise LabError(f"lab {self.prefix} has no disk {name!r}")
        return d["dev"]

    def create_disk(self, name="disk", size_mb=64, fstype="ext4"):
        """Creates a shared disk: a file of size_mb MiB in the lab's shared
        directory, attached to a free loop device (losetup --find) and formatted
        (mkfs.FSTYPE -q). Every node sees the device (they share /dev). Recorded in
        STATE/disks.json; down() detaches it (even after a failure: it also
        detaches any loop device backed by a file in the lab's disk directory).
        Returns the device path. An existing disk of that name is returned as it is."""
        if not DISK_NAME.fullmatch(name):
            raise LabError(f"bad disk name {name!r}: want {DISK_NAME.pattern}")
        if not 1 <= size_mb <= 1024:
            raise LabError("disk size must be 1..1024 MiB")
        have = self.disks().get(name)
        if have and self._loop_backing(have["dev"]) == have["file"]:
            return have["dev"]
        os.makedirs(self.state, exist_ok=True)
        os.makedirs(self._disk_dir(), mode=0o755, exist_ok=True)
        image = os.path.join(self._disk_dir(), f"{name}.img")
        with open(image, "wb") as f:
            f.truncate(size_mb << 20)
        dev = run(["losetup", "--find", "--show", image]).stdout.strip()
        disks = self.disks()
        disks[name] = {"dev": dev, "file": image}
        self._write(self._disks_file(), json.dumps(disks), 0o644)
        run([f"mkfs.{fstype}", "-q", dev], timeout=120)
        return dev

    def fsck_disk(self, name="disk"):
        """fsck.ext4 -n -f of the disk (read-only check); the CompletedProcess."""
        return run(["fsck.ext4", "-n", "-f", self.disk(name)], check=False, timeout=120)

    @staticmethod
    def _loop_backing(dev):
        """The backing file of a loop device (/dev/loopN), or None."""
        try:
            with open(f"/sys/block/{os.path.basename(dev)}/loop/backing_file") as f:
                return f.read().strip()
        except OSError:
            return None

    def _lab_loop_devices(self):
        """Loop devices backed by a file in this lab's disk directory."""
        prefix = os.path.realpath(self._disk_dir()) + "/"
        out = []
        try:
            entries = os.listdir("/sys/block")
        except OSError:
            return out
        for entry in sorted(entries):
            if entry.startswith("loop"):
                backing = self._loop_backing(f"/dev/{entry}")
                if backing and backing.startswith(prefix):
                    out.append(f"/dev/{entry}")
        return out

    def detach_disks(self):
        """Detaches (losetup -d) every loop device of the lab; returns the problems."""
        problems = []
        for dev in self._lab_loop_devices():
            p = run(["losetup", "-d", dev], check=False)
            if p.returncode != 0:
                problems.append(f"losetup -d {dev}: {p.stderr.strip()}")
        try:
            os.unlink(self._disks_file())
        except FileNotFoundError:
            pass
        return problems

    # ---------------------------------------------------------- down

    def down(self):
        """Kills every process of the lab, unmounts, deletes namespaces and state."""
        problems = []
        self.stop_samplers()
        try:
            self.stop_bmc()  # first: it must not power nodes on meanwhile
        except LabError as e:
            problems.append(str(e))
        try:
            self.stop_pollers()
        except LabError as e:
            problems.append(str(e))
        # Every node's init first: that ends its PID namespace, every process in it.
        inits = []
        if os.path.isdir(self.state):
            for entry in sorted(os.listdir(self.state)):
                if re.fullmatch(r"n\d+", entry):
                    init = self._init(entry)
                    if init:
                        inits.append(init[0])
        try:
            self._kill_pids(inits, "node inits")
        except LabError as e:
            problems.append(str(e))
        names = set(self._lab_namespaces())
        for ns in sorted(names):
            try:
                self._kill_ns(os.path.join(NETNS_DIR, ns), "net", ns)
            except LabError as e:
                problems.append(str(e))
        pins = os.path.join(self.state, "pins")
        if os.path.isdir(pins):
            for entry in sorted(os.listdir(pins)):
                pin = os.path.join(pins, entry)
                try:
                    self._kill_ns(pin, "mnt", f"{entry} mount namespace")
                except LabError as e:
                    problems.append(str(e))
        # Unmount everything under the state dir, deepest (latest) first.
        prefix = os.path.realpath(self.state) + "/"
        for point in reversed(_mountpoints()):
            if point.startswith(prefix) or point == prefix[:-1]:
                p = run(["umount", point], check=False)
                if p.returncode != 0:
                    p = run(["umount", "-l", point], check=False)
                    if p.returncode != 0:
                        problems.append(f"umount {point}: {p.stderr.strip()}")
        for ns in sorted(names):
            p = run(["ip", "netns", "delete", ns], check=False)
            if p.returncode != 0:
                problems.append(f"ip netns delete {ns}: {p.stderr.strip()}")
        self._reap()
        # Shared disks: the mount namespaces that had them mounted are gone now.
        problems.extend(self.detach_disks())
        if os.path.exists(self.state):
            if any(m.startswith(prefix) for m in _mountpoints()):
                problems.append(f"{self.state}: still has mounts; left in place")
            else:
                shutil.rmtree(self.state, ignore_errors=True)
                try:
                    os.rmdir(os.path.dirname(self.state))  # only if no other lab is left
                except OSError:
                    pass
        if os.path.isdir(self.shared_dir):
            shutil.rmtree(self.shared_dir, ignore_errors=True)
            try:
                os.rmdir(self.shared_root)  # only if no other lab is left
            except OSError:
                pass
        if problems:
            raise LabError("down: " + "; ".join(problems))

    # ---------------------------------------------------------- reporting

    @staticmethod
    def _tail(path, lines):
        try:
            with open(path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)\n"

    def log_tail(self, node, lines=50):
        return self._tail(self.log_path(node), lines)

    def bmc_log_tail(self, lines=50):
        return self._tail(self.bmc_log, lines)

    def logs(self, node):
        self._check_node(node)
        with open(self.log_path(node), errors="replace") as f:
            return f.read()

    def link_states(self, ns):
        try:
            links = self._links(ns)
        except LabError:
            return {}
        return {name: ("up" if "UP" in link.get("flags", []) else "down")
                for name, link in links.items() if name != "lo"}

    def describe(self):
        """Human-readable status of the lab."""
        p = self.params
        if p is None and not self._lab_namespaces():
            return f"lab {self.prefix}: not up\n"
        out = []
        if p:
            out.append(f"lab {self.prefix}: {p['nodes']} nodes, heartbeat networks "
                       f"{', '.join(self.networks)}; state in {self.state}")
        else:
            out.append(f"lab {self.prefix}: broken (no lab.json); "
                       f"namespaces: {' '.join(self._lab_namespaces())}; run down")
        live = None
        for node in self.nodes:
            ns = self.node_ns(node)
            if not self._ns_exists(ns):
                out.append(f"  {node}: no namespace")
                continue
            vpid = self.vigild_pid(node)
            ipid = self._init(node)
            cpids = self.daemon_pids(node, "corosync")
            links = " ".join(f"{k}:{v}" for k, v in sorted(self.link_states(ns).items()))
            try:
                power = self.power_state(node)["power"]
            except LabError:
                power = "?"
            out.append(f"  {node}: power {power}  vigild {vpid or '-'}  corosync "
                       f"{','.join(map(str, cpids)) or '-'}  init {ipid[0] if ipid else '-'}  "
                       f"links {links}")
            if vpid and live is None:
                live = node
        if self._ns_exists(self.client_ns):
            out.append(f"  client: {dict(NETWORKS)[CLIENT_NETWORK]}."
                       f"{CLIENT_HOST} on {CLIENT_NETWORK}")
        bmc = self.bmc_pid()
        out.append(f"  bmc: running, pid {bmc}, socket {self.bmc_socket}, log {self.bmc_log}"
                   if bmc else "  bmc: not running (vigil-lab up starts it)")
        if live:
            r = self.vigil(live, "status")
            out.append(f"--- vigil status on {live} (exit {r.returncode}) ---")
            out.append((r.stdout + r.stderr).rstrip())
        else:
            out.append("no live node")
        return "\n".join(out) + "\n"


# ---------------------------------------------------------------- CLI


def _parser():
    ap = argparse.ArgumentParser(
        prog="vigil-lab",
        description="An N-node vigil cluster in network namespaces on this machine. "
                    "Lab prefix: $VIGIL_LAB_PREFIX (default vl); build dir: $VIGIL_BUILD.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("up", help="build the lab and start vigild on every node")
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--networks", type=int, default=2,
                   help="heartbeat networks: 1 = priv, 2 = priv and pub")
    p.add_argument("--config", help="use this vigil.yaml (standard lab addresses; "
                   "the key is /etc/vigil/authkey)")
    p.add_argument("--heartbeat-interval", metavar="D", help="e.g. 100ms")
    p.add_argument("--misses", type=int, metavar="M")
    p.add_argument("--wait", action="store_true",
                   help="wait until every node reports a quorate cluster of all nodes")
    p.add_argument("-v", "--verbose", action="store_true", help="run vigild with -v")
    p.add_argument("--fencing", action="store_true",
                   help="add a fencing section to the generated config: lab/fence_lab "
                        "on the lab's BMC for every node (default: no fencing)")
    p.add_argument("--timeout", type=float, default=90)
    sub.add_parser("down", help="kill, unmount and delete everything of the lab")
    sub.add_parser("status", help="show the lab's nodes (power, daemons, links), "
                   "its BMC and vigil status")
    p = sub.add_parser("exec", help="run a command inside a node or the client")
    p.add_argument("node")
    p.add_argument("argv", nargs=argparse.REMAINDER)
    for name, hlp in (("poweroff", "kill every process of a node, links down"),
                      ("poweron", "links up, start vigild"),
                      ("logs", "print the node's vigild log")):
        sub.add_parser(name, help=hlp).add_argument("node")
    p = sub.add_parser("kill", help="SIGKILL a node's vigild or corosync")
    p.add_argument("node")
    p.add_argument("daemon", choices=["vigild", "corosync"])
    p = sub.add_parser("link", help="take a node's link on one network down or up")
    p.add_argument("state", choices=["down", "up"])
    p.add_argument("node")
    p.add_argument("network")
    p = sub.add_parser("partition", help="e.g. partition n1 n2,n3")
    p.add_argument("sets", nargs="+")
    sub.add_parser("heal", help="remove every partition")
    p = sub.add_parser("poll", help="a client in the client namespace GETting a URL "
                       "every few ms (lab/vigil-poll): start NAME URL, stop NAME, report NAME")
    p.add_argument("op", choices=["start", "stop", "report"])
    p.add_argument("name")
    p.add_argument("url", nargs="?")
    p.add_argument("--interval-ms", type=float, default=10)
    p.add_argument("--timeout-ms", type=float, default=200)
    p.add_argument("--max-seconds", type=float, default=1800)
    p = sub.add_parser("disk", help="a shared disk (loop device, ext4) every node sees; "
                       "detached by down")
    p.add_argument("name", nargs="?", default="disk")
    p.add_argument("--size-mb", type=int, default=64)
    return ap


def main(argv=None):
    args = _parser().parse_args(argv)
    if os.geteuid() != 0:
        print("vigil-lab: needs root", file=sys.stderr)
        return 1
    lab = Lab()
    try:
        if args.cmd == "up":
            lab.up(nodes=args.nodes, networks=args.networks, config=args.config,
                   interval=args.heartbeat_interval, misses=args.misses, wait=args.wait,
                   timeout=args.timeout, verbose=args.verbose, fencing=args.fencing,
                   log=lambda m: print(f"vigil-lab: {m}", file=sys.stderr))
            print(lab.describe(), end="")
        elif args.cmd == "down":
            lab.down()
        elif args.cmd == "status":
            print(lab.describe(), end="")
        elif args.cmd == "exec":
            if not args.argv:
                print("vigil-lab exec: no command", file=sys.stderr)
                return 2
            cwd = os.getcwd()
            if cwd == "/run" or cwd.startswith("/run/"):
                cwd = "/"  # the node has its own /run
            argv = lab.node_argv(args.node, args.argv, cwd=cwd)
            sys.stdout.flush()
            os.execvpe(argv[0], argv, lab._env())
        elif args.cmd == "poweroff":
            lab.poweroff(args.node)
        elif args.cmd == "poweron":
            lab.poweron(args.node)
        elif args.cmd == "logs":
            sys.stdout.write(lab.logs(args.node))
        elif args.cmd == "kill":
            pids = lab.kill(args.node, args.daemon)
            print(f"killed {args.daemon} {' '.join(map(str, pids))} on {args.node}")
        elif args.cmd == "link":
            lab.link(args.node, args.network, args.state == "up")
        elif args.cmd == "partition":
            lab.partition([s.split(",") for s in args.sets])
        elif args.cmd == "heal":
            lab.heal()
        elif args.cmd == "poll":
            if args.op == "start":
                if not args.url:
                    print("vigil-lab poll start: NAME URL", file=sys.stderr)
                    return 2
                pl = lab.start_poller(args.name, args.url, interval_ms=args.interval_ms,
                                      timeout_ms=args.timeout_ms, max_seconds=args.max_seconds)
                print(f"poller {args.name}: pid {pl.pid}, log {pl.log}")
            elif args.op == "stop":
                lab.stop_poller(args.name)
            else:
                print(lab.poller(args.name).describe())
        elif args.cmd == "disk":
            print(lab.create_disk(args.name, size_mb=args.size_mb))
    except (LabError, TimeoutError, OSError) as e:
        print(f"vigil-lab: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
