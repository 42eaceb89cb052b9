"""Small helpers over `vigil status --json` and `vigil events --json` for the lab tests,
for running fence agents inside lab nodes, and for resource groups."""

import json
import os
import re
import signal

from vigillab import FENCE_LAB, wait_until

DETECT_TIMEOUT = 60  # node loss, link loss, quorum changes: generous, never asserted

# Fake fence agents (fence_record, fence_fail, fence_hang, fence_garbage): see
# agents/fakeagent.py. Their log= files belong in lab.shared_path(NAME).
AGENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "agents")


def agent(name):
    """The absolute path of a fake fence agent, or of fence_lab for "fence_lab"."""
    return FENCE_LAB if name == "fence_lab" else os.path.join(AGENTS, name)


def fence(lab, node, stdin, agent_path=FENCE_LAB, args=(), timeout=90):
    """Runs a fence agent inside `node`, as vigild would, with `stdin` (key=value
    lines) on its standard input; returns the CompletedProcess."""
    return lab.exec(node, [agent_path, *args], input=stdin, timeout=timeout)


def read_records(path):
    """The calls a fake fence agent recorded in its log= file (a list of dicts,
    oldest first; [] if none)."""
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def node_entry(st, name):
    """The entry for node `name` in a parsed status, or None."""
    for n in st.get("nodes", []):
        if n.get("name") == name:
            return n
    return None


def node_state(st, name):
    n = node_entry(st, name)
    return n.get("state") if n else None


def online(st):
    """Sorted names of the nodes a status reports online."""
    return sorted(n["name"] for n in st.get("nodes", []) if n.get("state") == "online")


def link_up(st, name, network):
    """Whether a status reports the link to node `name` on `network` up (None if absent)."""
    n = node_entry(st, name) or {}
    for link in n.get("links", []):
        if link.get("network") == network:
            return link.get("up")
    return None


def last_seq(lab, node):
    """The highest event sequence number the node has, or 0."""
    return max((e.get("seq", 0) for e in lab.events(node)), default=0)


def events_since(lab, node, seq, type=None, subject=None):
    """The node's events after seq, optionally of one type and about one node."""
    return [e for e in lab.events(node)
            if e.get("seq", 0) > seq
            and (type is None or e.get("type") == type)
            and (subject is None or e.get("node") == subject)]


def wait_event(lab, node, type, since, subject=None, timeout=DETECT_TIMEOUT):
    """Waits until the node has an event of this type (about subject) after seq
    `since`; returns the first such event."""
    about = f" about {subject}" if subject else ""
    found = wait_until(lambda: events_since(lab, node, since, type, subject), timeout,
                       f"event {type}{about} on {node} after seq {since}")
    return found[0]


def wait_status(lab, node, predicate, what, timeout=DETECT_TIMEOUT):
    """Waits until predicate(status of node) holds; returns that status."""
    def check():
        st = lab.status(node)
        return st if predicate(st) else None
    return wait_until(check, timeout, f"{node}: {what}")


# ---------------------------------------------------------------- resource groups

GROUP_TIMEOUT = 90  # a group start, stop, move or recovery: generous, never asserted


def group_entry(st, name):
    """The entry for group `name` in a parsed status, or None."""
    for g in st.get("groups", []):
        if g.get("name") == name:
            return g
    return None


def resource_entry(st, group, name):
    """The entry for resource `name` of `group` in a parsed status, or None."""
    for r in (group_entry(st, group) or {}).get("resources", []):
        if r.get("name") == name:
            return r
    return None


def group_at(st, name):
    """(state, node) of group `name` in a parsed status."""
    g = group_entry(st, name) or {}
    return g.get("state"), g.get("node")


def group_running_on(lab, node, group, where, timeout=GROUP_TIMEOUT, also=None):
    """Waits until `node` reports `group` running on `where`, every resource running
    (and also(entry) true, if given); returns the group's status entry."""
    def ok(st):
        g = group_entry(st, group)
        return (g is not None and g["state"] == "running" and g["node"] == where
                and all(r["state"] == "running" for r in g["resources"])
                and (also is None or also(g)))
    st = wait_status(lab, node, ok, f"group {group} running on {where}", timeout=timeout)
    return group_entry(st, group)


def wait_group(lab, node, group, predicate, what, timeout=GROUP_TIMEOUT):
    """Waits until predicate(group's status entry on node) holds; returns the entry."""
    st = wait_status(lab, node, lambda s: group_entry(s, group) is not None
                     and predicate(group_entry(s, group)), f"group {group}: {what}",
                     timeout=timeout)
    return group_entry(st, group)


def group_events(lab, node, since, group=None, types=None):
    """The node's events after seq `since` about `group` (if given), of `types` (if given)."""
    return [e for e in lab.events(node)
            if e.get("seq", 0) > since
            and (group is None or e.get("group") == group)
            and (types is None or e.get("type") in types)]


def wait_group_event(lab, node, type, since, group=None, timeout=GROUP_TIMEOUT):
    """Waits until the node has an event of this type (about group) after seq `since`;
    returns the first such event."""
    about = f" about {group}" if group else ""
    found = wait_until(lambda: group_events(lab, node, since, group, (type,)), timeout,
                       f"event {type}{about} on {node} after seq {since}")
    return found[0]


def vigil_ok(lab, node, *args, timeout=60):
    """Runs `vigil ARGS` in node; asserts it exits 0; returns its stdout."""
    r = lab.vigil(node, *args, timeout=timeout)
    assert r.returncode == 0, f"vigil {' '.join(args)} on {node}: exit {r.returncode}: " \
                              f"{r.stderr.strip()} {r.stdout.strip()}"
    return r.stdout


def procs_in(lab, node, pattern):
    """PIDs of live processes in the node's network namespace whose command line
    (arguments joined by spaces) matches the regex `pattern`."""
    from vigillab import NETNS_DIR, ns_pids
    rx = re.compile(pattern)
    out = []
    for pid in ns_pids(os.path.join(NETNS_DIR, lab.node_ns(node))):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if cmd and rx.search(cmd):
            out.append(pid)
    return out


def www_pattern(address):
    """The command-line regex of the standard web group's server on address."""
    return r"http\.server \d+ --bind " + re.escape(address) + r"( |$)"


def kill_procs(lab, node, pattern):
    """SIGKILLs (by PID) the node's processes matching pattern; returns their PIDs.
    Fails if there is none."""
    pids = procs_in(lab, node, pattern)
    assert pids, f"{node}: no process matches {pattern!r}"
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pids


def holds_address(lab, node, address):
    """Whether the node has address (without /PLEN) on any interface."""
    return any(a.split("/")[0] == address for _, a in lab.node_addresses(node))


def stop_all_vigilds(lab, timeout=GROUP_TIMEOUT):
    """SIGTERMs every node's vigild at once (a clean stop: each stops its groups and
    leaves), and waits until every one has exited."""
    pids = {n: lab.vigild_pid(n) for n in lab.nodes}
    for node, pid in pids.items():
        assert pid, f"{node}: no vigild running"
        os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not any(lab.vigild_running(n) for n in lab.nodes), timeout,
               "every vigild to exit after SIGTERM")


def restart_all_vigilds(lab, timeout=GROUP_TIMEOUT, late=()):
    """Stops every vigild cleanly (stop_all_vigilds), starts them all again, and waits
    for one quorate cluster of every node. Nodes in `late` are started only once
    the others form a quorate cluster (as when one machine is slower to boot)."""
    stop_all_vigilds(lab, timeout)
    first = [n for n in lab.nodes if n not in late]
    for node in first:
        # Not poweron: a daemon restart, not a reboot. Addresses and mounts stay;
        # /run is fresh (start_vigild refuses if a process is left in the node).
        lab.start_vigild(node)
    if late:
        for node in first:
            lab.wait_answering(node, timeout=timeout)
        lab.wait_formed(nodes=first, timeout=timeout)
        for node in late:
            lab.start_vigild(node)
    for node in lab.nodes:
        lab.wait_answering(node, timeout=timeout)
    lab.wait_formed(timeout=timeout)


def reset_group(lab, group, home, node="n1", timeout=GROUP_TIMEOUT):
    """Brings a group back to where a test expects it: every node online (not in
    standby), the group managed, started, its failures cleaned up, running on
    `home`. Asked of `node`'s vigild."""
    st = lab.status(node)
    for n in st.get("nodes", []):
        if n.get("standby"):
            vigil_ok(lab, node, "node", "online", n["name"])
    g = group_entry(st, group)
    assert g is not None, f"no group {group} in the status"
    if not g["managed"]:
        vigil_ok(lab, node, "group", "manage", group)
    if g["failures"] or g["banned"] or g["state"] in ("failed", "halted") \
            or any(r["failures"] for r in g["resources"]):
        vigil_ok(lab, node, "cleanup", group)
    if not g["target_started"] or g["state"] == "halted":
        vigil_ok(lab, node, "group", "start", group)
    g = wait_group(lab, node, group, lambda e: e["state"] == "running"
                   and all(r["state"] == "running" for r in e["resources"]),
                   "running again", timeout=timeout)
    if g["node"] != home:
        vigil_ok(lab, node, "group", "move", group, "--to", home)
    return group_running_on(lab, node, group, home, timeout=timeout)
