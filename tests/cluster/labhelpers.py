"""Small helpers over `vigil status --json` and `vigil events --json` for the lab tests,
and for running fence agents inside lab nodes."""

import json
import os

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
