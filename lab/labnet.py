"""vigil-lab, the layout: building a lab's namespaces, bridges, ports, the nodes'
private mount namespaces and configuration files; links and partitions; the
addresses and mounts a node has.

Part of vigillab: LabNet is one of the parts of Lab. Python 3 standard library only.
"""

import hashlib
import json
import os
import shlex

from labbase import (CLIENT_HOST, CLIENT_NETWORK, NETNS_DIR, NETWORKS, NODE_BINDS, NODE_SCRIPT,
                     PYTHON, LabBase, LabError, _is_mountpoint, ns_pids, parse_mountinfo, run)
from labconfig import NODE_FILE, lab_fencing, make_config

NFT_TABLE = "vigil_lab"


class LabNet(LabBase):
    """Building the lab and its network: see Lab."""


    # ---------------------------------------------------------- building

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

    # ---------------------------------------------------------- links and partitions

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

    def link_states(self, ns):
        try:
            links = self._links(ns)
        except LabError:
            return {}
        return {name: ("up" if "UP" in link.get("flags", []) else "down")
                for name, link in links.items() if name != "lo"}

    # ---------------------------------------------------------- a node's addresses and mounts

    @staticmethod
    def base_links():
        """The interfaces the lab gives every node: {"lo", "priv0", "pub0"}."""
        return {"lo"} | {f"{net}0" for net, _ in NETWORKS}

    def foreign_links(self, node):
        """Sorted names of the node's interfaces that the lab did not make (such as
        the macvlan of an ip resource with a fixed MAC)."""
        self._check_node(node)
        return sorted(set(self._links(self.node_ns(node))) - self.base_links())

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
