"""Planned downtime on a 3-node lab: `vigil node stop NODE` (and SIGTERM to vigild)
moves NODE's groups to their next nodes first, waits until they run there, then
leaves the cluster cleanly: NODE is not fenced, and the clients see only the move.
`--now` stops the groups in place first instead.
"""

import os
import re
import signal

import pytest

from labhelpers import (events_since, group_running_on, holds_address, last_seq, node_entry,
                        procs_in, reset_group, vigil_ok, wait_status, www_pattern)
from vigillab import WEB_VIP, lab_fencing, make_config, wait_until, web_group
from vigilwatch import now_ms

URL = f"http://{WEB_VIP}/node"
WWW = www_pattern(WEB_VIP)
ALL = ["n1", "n2", "n3"]


def LAB_CONFIG(lab):
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[web_group()])


@pytest.fixture(autouse=True)
def web_on_n1(lab, _healthy_lab):
    reset_group(lab, "web", "n1")


def left_cleanly(lab, node, others, marks):
    """node is offline for the others, its vigild gone, and nobody fenced it."""
    wait_until(lambda: not lab.vigild_running(node), 60, f"vigild on {node} to exit")
    for other in others:
        st = wait_status(lab, other, lambda s: node_entry(s, node)["state"] == "offline",
                         f"{node} offline")
        assert node_entry(st, node)["fence"]["state"] == "clean", node_entry(st, node)
        assert events_since(lab, other, marks[other], "fence_requested") == []
        left = events_since(lab, other, marks[other], "node_left", subject=node)
        assert left and "cleanly" in left[-1]["message"], left


def test_node_stop_moves_groups_then_leaves_cleanly(lab, poller):
    p = poller("web", URL)
    p.wait_answer("n1", consecutive=3)
    marks = {n: last_seq(lab, n) for n in ("n2", "n3")}
    t = now_ms()
    out = vigil_ok(lab, "n2", "node", "stop", "n1", timeout=300)
    assert out.strip() == "node n1 left the cluster cleanly; groups now: web on n2", out
    left_cleanly(lab, "n1", ["n2", "n3"], marks)
    # The group ran on n2 before n1 left, and n1 holds nothing.
    for node in ("n2", "n3"):
        group_running_on(lab, node, "web", "n2")
    assert procs_in(lab, "n1", WWW) == [] and not holds_address(lab, "n1", WEB_VIP)
    p.wait_answer("n2", since=t, consecutive=5)
    a = p.analyse(since=t)
    assert len(a["gaps"]) <= 1 and a["nodes"] in (["n2"], ["n1", "n2"]), p.describe(since=t)
    print(f"node stop: {p.describe(since=t)}")
    # The exit status of the stopped vigild is 0 (systemd does not restart it).
    assert "vigild exits with status 0" in lab.logs("n1")


def test_node_stop_of_this_node_answers_before_leaving(lab):
    marks = {n: last_seq(lab, n) for n in ("n2", "n3")}
    out = vigil_ok(lab, "n1", "node", "stop", "n1", timeout=300)
    assert out.strip() == "node n1 leaves the cluster cleanly; its groups: web on n2", out
    left_cleanly(lab, "n1", ["n2", "n3"], marks)
    group_running_on(lab, "n2", "web", "n2")


def test_sigterm_is_a_planned_stop(lab, poller):
    p = poller("web", URL)
    p.wait_answer("n1", consecutive=3)
    marks = {n: last_seq(lab, n) for n in ("n2", "n3")}
    t = now_ms()
    os.kill(lab.vigild_pid("n1"), signal.SIGTERM)
    left_cleanly(lab, "n1", ["n2", "n3"], marks)
    group_running_on(lab, "n2", "web", "n2")
    log = lab.logs("n1")
    assert "moving this node's groups to their next nodes, then leaving" in log
    assert "every group that ran here has moved or settled; leaving" in log
    p.wait_answer("n2", since=t, consecutive=5)
    assert len(p.analyse(since=t)["gaps"]) <= 1, p.describe(since=t)


def test_node_stop_now_stops_in_place_then_leaves(lab):
    marks = {n: last_seq(lab, n) for n in ("n2", "n3")}
    out = vigil_ok(lab, "n3", "node", "stop", "n1", "--now", timeout=300)
    assert re.match(r"node n1 left the cluster cleanly", out), out
    left_cleanly(lab, "n1", ["n2", "n3"], marks)
    assert "stopping this node's groups, then leaving the cluster cleanly" in lab.logs("n1")
    group_running_on(lab, "n2", "web", "n2")


def test_node_stop_of_an_unknown_or_offline_node_is_refused(lab):
    r = lab.vigil("n1", "node", "stop", "n9")
    assert r.returncode == 1 and "unknown node 'n9'" in r.stderr, r.stderr
    lab.poweroff("n3")
    wait_status(lab, "n1", lambda s: node_entry(s, "n3")["fence"]["state"] == "fenced",
                "n3 fenced", timeout=60)
    r = lab.vigil("n1", "node", "stop", "n3")
    assert r.returncode == 1
    assert "node n3 is not a member of the cluster: nothing to stop" in r.stderr, r.stderr
    group_running_on(lab, "n1", "web", "n1")
