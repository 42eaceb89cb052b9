"""Fencing on a 3-node lab with the lab's fence agent (lab/fence_lab through the
lab's BMC): what the operator sees in `vigil status`, `vigil events`, and what
the power controller was asked to do, and by whom.
"""

import json
import os
import re
import signal
import time

from labhelpers import (events_since, last_seq, node_entry, node_state, online,
                        wait_event, wait_status)
from vigillab import wait_until

LAB_FENCING = True
ALL = ["n1", "n2", "n3"]
FENCE_TIMEOUT = 90  # generous: detection, the agent, the BMC; never asserted as a time


def bmc_offs(lab):
    """(caller node, target node) for every successful "off" the BMC carried out."""
    out = []
    for line in lab.bmc_log_tail(100000).splitlines():
        m = re.search(r" in (\S+) (\{.*?\}) -> (\{.*\})", line)
        if not m:
            continue
        try:
            req, ans = json.loads(m.group(2)), json.loads(m.group(3))
        except ValueError:
            continue
        if req.get("op") == "off" and ans.get("ok"):
            out.append((m.group(1), req.get("node")))
    return out


def fence_of(st, name):
    return node_entry(st, name)["fence"]


def test_lost_node_is_fenced_by_the_coordinator(lab, status):
    marks = {n: last_seq(lab, n) for n in ("n1", "n2")}
    before = len(bmc_offs(lab))
    lab.poweroff("n3")
    for node in ("n1", "n2"):
        ev = wait_event(lab, node, "fence_succeeded", marks[node], subject="n3",
                        timeout=FENCE_TIMEOUT)
        assert "n3 fenced (off) by level 1" in ev["message"]
        st = wait_status(lab, node, lambda s: fence_of(s, "n3")["state"] == "fenced",
                         "n3 recorded as fenced")
        assert "fenced by n1" in fence_of(st, "n3")["note"]
        types = [e["type"] for e in events_since(lab, node, marks[node], subject="n3")]
        # node_left (unclean), then the coordinator's start, the attempt, the outcome.
        order = [t for t in types if t in ("node_left", "fence_requested", "fence_attempt",
                                            "fence_succeeded")]
        assert order == ["node_left", "fence_requested", "fence_attempt", "fence_succeeded"], \
            (node, types)
    # The coordinator (n1), and only it, asked the power controller.
    assert bmc_offs(lab)[before:] == [("n1", "n3")]
    assert lab.power_state("n3")["power"] == "off"


def test_poweron_after_fence_rejoins_clean(lab, status):
    lab.poweroff("n3")
    wait_status(lab, "n1", lambda s: fence_of(s, "n3")["state"] == "fenced", "n3 fenced",
                timeout=FENCE_TIMEOUT)
    mark = last_seq(lab, "n1")
    lab.poweron("n3")
    ev = wait_event(lab, "n1", "node_joined", mark, subject="n3", timeout=FENCE_TIMEOUT)
    assert "after being fenced" in ev["message"]
    for node in ALL:
        st = wait_status(lab, node, lambda s: online(s) == ALL and s["quorate"], "whole again")
        assert fence_of(st, "n3")["state"] == "clean"


def test_killed_corosync_gets_its_node_fenced(lab, status):
    """Corosync dying on n3 takes n3 out of the membership uncleanly: the majority
    cannot know what n3 still runs, so n3 is fenced (powered off)."""
    mark = last_seq(lab, "n1")
    lab.kill("n3", "corosync")
    wait_event(lab, "n1", "fence_succeeded", mark, subject="n3", timeout=FENCE_TIMEOUT)
    wait_until(lambda: lab.power_state("n3")["power"] == "off", FENCE_TIMEOUT,
               "n3 powered off by the fence")


def test_partition_majority_fences_minority_never_does(lab, status):
    before = len(bmc_offs(lab))
    mark = last_seq(lab, "n1")
    lab.partition([["n3"], ["n1", "n2"]])
    wait_event(lab, "n1", "fence_succeeded", mark, subject="n3", timeout=FENCE_TIMEOUT)
    for node in ("n1", "n2"):
        st = wait_status(lab, node, lambda s: fence_of(s, "n3")["state"] == "fenced",
                         "n3 fenced")
        assert st["quorate"] and online(st) == ["n1", "n2"]
    offs = bmc_offs(lab)[before:]
    assert offs == [("n1", "n3")], offs
    assert not any(caller == "n3" for caller, _ in offs), "the minority must never fence"


def test_fence_on_demand_and_refusals(lab, status):
    r = lab.vigil("n1", "fence", "n1")
    assert r.returncode == 1 and "n1 is this node" in r.stderr
    r = lab.vigil("n1", "fence", "n9")
    assert r.returncode == 1 and "unknown node 'n9'" in r.stderr
    r = lab.vigil("n1", "fence", "--confirm", "n2")
    assert r.returncode == 1 and "n2 is online" in r.stderr

    mark = last_seq(lab, "n3")
    r = lab.vigil("n1", "fence", "n2")
    assert r.returncode == 0, r.stderr
    ev = wait_event(lab, "n3", "fence_requested", mark, subject="n2")
    assert "an administrator on n1 asked to fence n2" in ev["message"]
    wait_event(lab, "n3", "fence_succeeded", mark, subject="n2", timeout=FENCE_TIMEOUT)
    wait_until(lambda: lab.power_state("n2")["power"] == "off", FENCE_TIMEOUT, "n2 off")
    st = wait_status(lab, "n3", lambda s: node_state(s, "n2") == "offline", "n2 offline")
    # Fenced on demand while a member: its leaving is not unclean, it is not fenced twice.
    assert fence_of(st, "n2")["state"] == "fenced"
    assert [e for e in events_since(lab, "n3", mark, "fence_requested", "n2")
            if "is fencing" in e["message"]].__len__() == 1

    # An admin confirms the (fenced) node off by hand: recorded on every member.
    r = lab.vigil("n3", "fence", "--confirm", "n2")
    assert r.returncode == 0, r.stderr
    for node in ("n1", "n3"):
        ev = wait_event(lab, node, "fence_confirmed", mark, subject="n2")
        assert "an administrator on n3 confirmed that n2 is off" in ev["message"]


def test_clean_shutdown_is_not_fenced(lab, status):
    """SIGTERM makes vigild leave the group first: the others see a clean leave and
    fence nothing."""
    marks = {n: last_seq(lab, n) for n in ("n1", "n2")}
    before = len(bmc_offs(lab))
    pid = lab.vigild_pid("n3")
    assert pid
    os.kill(pid, signal.SIGTERM)
    for node in ("n1", "n2"):
        ev = wait_event(lab, node, "node_left", marks[node], subject="n3")
        assert ev["message"] == "node n3 (id 3) left cleanly"
        st = wait_status(lab, node, lambda s: node_state(s, "n3") == "offline", "n3 offline")
        assert fence_of(st, "n3")["state"] == "clean"
    wait_until(lambda: not lab.vigild_running("n3"), 30, "n3's vigild to exit")
    # Give a wrong fence every chance to happen: the coordinator would start at once.
    time.sleep(3)
    assert events_since(lab, "n1", marks["n1"], "fence_requested") == []
    assert bmc_offs(lab)[before:] == []
