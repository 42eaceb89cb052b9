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

The Lab class is made of parts, one module each, combined as mixins over
LabBase (a lab's identity: prefix, directories, parameters, nodes, names):

  labbase.py    constants, LabError, helpers (run, wait_until, pid_alive,
                ns_pids, parse_mountinfo, ...) and LabBase
  labconfig.py  vigil.yaml for a lab (make_config, web_group, lab_fencing, ...)
  labnet.py     LabNet: building namespaces, bridges, ports, private mounts and
                config files; links and partitions; a node's addresses and mounts
  labprocs.py   LabProcs: entering nodes (node_argv, exec, spawn), the vigil CLI,
                vigild, the node's init, ending processes by PID
  labpower.py   LabPower: poweroff, poweron, power_state, the BMC
  labclient.py  LabClient: pollers and samplers (see vigilwatch.py)
  labdisk.py    LabDisk: shared disks (loop devices)
  vigillab.py   Lab itself (up, restore, down, describe), the CLI, and every
                public name of the parts, so `from vigillab import ...` is all
                a user needs.

The parts are parts of one object, not separate objects: a method of one part
calls those of the others through self (poweroff halts the node's init, which
LabProcs runs; down undoes what every part made).
"""

import argparse
import os
import re
import shutil
import sys

# Every name of the lab's modules that tests, benchmarks and scripts use comes from
# here (from vigillab import Lab, make_config, wait_until, ...).
from labbase import (  # noqa: F401 - re-exported
    _ROOT_NETNS_INO, CLIENT_HOST, CLIENT_NETWORK, FENCE_LAB, LAB_DIR, MAX_NODES, NETNS_DIR,
    NETWORKS, NODE_BINDS, NODE_CONFIG, NODE_KEY, NODE_SCRIPT, NODE_SOCKET, PYTHON, REPO,
    SHARED_ROOT, STATE_ROOT, LabError, Mount, _clear_dir, _is_mountpoint, _mountpoints,
    _proc_stat, _unescape_mountinfo, entered_pid, node_local_pid, ns_pids, parse_mountinfo,
    pid_alive, run, wait_until)
from labclient import POLL, LabClient  # noqa: F401 - re-exported
from labconfig import (  # noqa: F401 - re-exported
    _NOT_STRING, _PLAIN, NODE_FILE, WEB_ROOT, WEB_VIP, _yaml_flow, fencing_yaml, groups_yaml,
    lab_fencing, make_config, web_group)
from labdisk import DISK_NAME, LabDisk  # noqa: F401 - re-exported
from labnet import NFT_TABLE, LabNet  # noqa: F401 - re-exported
from labpower import (  # noqa: F401 - re-exported
    _GOINGDOWN, BMC_SCRIPT, BMC_SOCKET, POWER_LOCK_TIMEOUT, SHUTDOWN_FSTYPES, LabPower)
from labprocs import LabProcs


# ---------------------------------------------------------------- the lab


class Lab(LabNet, LabProcs, LabPower, LabClient, LabDisk):
    """One namespace lab, identified by its prefix.

    All methods are safe to call again after a failure. A Lab object keeps no
    state that the state directory does not also hold, so several objects (or
    CLI runs) can act on the same lab one after another.

    Most methods come from its parts: LabNet (building, links, partitions),
    LabProcs (processes in the nodes, vigild, the node's init), LabPower (power
    and the BMC), LabClient (pollers, samplers) and LabDisk (shared disks), over
    LabBase (names and parameters); see the module docstring.
    """

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

    # ---------------------------------------------------------- undoing faults

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
