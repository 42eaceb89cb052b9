"""What an administrator does with resource groups, on a 3-node lab: move a group,
put a node in standby, unmanage and manage a group, clean up failures, stop and
start a group; each does what it says, and each is still in force after every
vigild has been stopped cleanly and started again (the intents are replicated
and saved on every node). And commands with a typo change nothing.
"""

import os
import re
import signal

import pytest

from labhelpers import (group_entry, group_events, group_running_on, holds_address,
                        kill_procs, last_seq, procs_in, reset_group, restart_all_vigilds,
                        vigil_ok, wait_group, wait_group_event, www_pattern)
from vigillab import WEB_VIP, lab_fencing, make_config, wait_until, web_group
from vigilwatch import now_ms

URL = f"http://{WEB_VIP}/node"
WWW = www_pattern(WEB_VIP)
ALL = ["n1", "n2", "n3"]


def LAB_CONFIG(lab):
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[
        web_group(restarts={"max": 1, "within": "10min"})])


@pytest.fixture(autouse=True)
def web_on_n1(lab, _healthy_lab):
    """Every test starts with web running on n1, no failures, every node online."""
    reset_group(lab, "web", "n1")


def web(lab, node="n1"):
    return group_entry(lab.status(node), "web")


def settle(seconds=3):
    """Leaves the cluster time to do something wrong (a start, a move) before a test
    checks that it did not."""
    end = now_ms() + seconds * 1000
    wait_until(lambda: now_ms() >= end, seconds + 5, f"{seconds}s to pass")


def test_move_to_n3(lab, poller):
    p = poller("web", URL)
    p.wait_answer("n1")
    t = now_ms()
    out = vigil_ok(lab, "n2", "group", "move", "web", "--to", "n3")
    assert re.search(r"cluster database version \d+", out), out
    for node in ALL:
        g = group_running_on(lab, node, "web", "n3")
        assert g["prefer"] == "n3"
    p.wait_answer("n3", since=t, consecutive=5)
    assert procs_in(lab, "n1", WWW) == [] and not holds_address(lab, "n1", WEB_VIP)
    assert procs_in(lab, "n3", WWW) and holds_address(lab, "n3", WEB_VIP)
    print(f"move to n3: {p.describe(since=t)}")


def test_move_to_n3_survives_a_restart_of_every_vigild(lab, poller):
    vigil_ok(lab, "n2", "group", "move", "web", "--to", "n3")
    group_running_on(lab, "n1", "web", "n3")
    p = poller("web", URL)
    p.wait_answer("n3")
    # Every vigild stops cleanly; they start again, n3 a moment after the others
    # (when all start at once, n3 is last about one time in five).
    restart_all_vigilds(lab, late=["n3"])
    t = now_ms()
    for node in ALL:
        g = group_running_on(lab, node, "web", "n3", timeout=60)
        assert g["prefer"] == "n3"
    p.wait_answer("n3", since=t, consecutive=5)
    assert procs_in(lab, "n1", WWW) == [] and procs_in(lab, "n2", WWW) == []


def test_group_waits_for_the_fencing_of_a_node_not_seen_since_a_crash_of_every_vigild(
        lab, sampler):
    vigil_ok(lab, "n2", "group", "move", "web", "--to", "n3")
    group_running_on(lab, "n1", "web", "n3")
    samp = sampler(addresses={"vip": WEB_VIP}, processes={"www": WWW})
    # Every vigild dies at once. n3 stays up (its address with it), and its vigild
    # does not come back; n1's and n2's do.
    for node in ALL:
        os.kill(lab.vigild_pid(node), signal.SIGKILL)
    wait_until(lambda: not any(lab.vigild_running(n) for n in ALL), 30, "every vigild dead")
    assert holds_address(lab, "n3", WEB_VIP)
    for node in ("n1", "n2"):
        lab.start_vigild(node)
    lab.wait_formed(nodes=["n1", "n2"])
    # n1 and n2 know nothing of n3 but that web last ran there: n3 must be fenced
    # before web starts anywhere else.
    g = wait_group(lab, "n1", "web", lambda g: g["state"] == "running", "running", timeout=120)
    samp.stop()
    samp.check()
    assert lab.power_state("n3")["power"] == "off"
    assert g["node"] in ("n1", "n2")


def test_standby_drains_a_node_and_refuses_moves_to_it_after_a_restart(lab):
    vigil_ok(lab, "n1", "group", "move", "web", "--to", "n2")
    group_running_on(lab, "n1", "web", "n2")
    vigil_ok(lab, "n3", "node", "standby", "n2")
    # The group leaves n2 (it goes back to the first eligible node of its domain).
    g = wait_group(lab, "n1", "web", lambda g: g["state"] == "running" and g["node"] != "n2",
                   "off n2")
    assert g["node"] == "n1"
    assert procs_in(lab, "n2", WWW) == [] and not holds_address(lab, "n2", WEB_VIP)
    for node in ALL:
        st = lab.status(node)
        assert [n["standby"] for n in st["nodes"]] == [False, True, False], node
    r = lab.vigil("n1", "group", "move", "web", "--to", "n2")
    assert r.returncode == 1
    assert "n2 is in standby" in r.stderr, r.stderr

    restart_all_vigilds(lab)
    for node in ALL:
        st = lab.status(node)
        assert [n["standby"] for n in st["nodes"]] == [False, True, False], node
    # Running again, not on n2 (on n1, or on n3 if n1 was the last to join).
    g = wait_group(lab, "n1", "web", lambda g: g["state"] == "running", "running")
    assert g["node"] in ("n1", "n3"), g
    r = lab.vigil("n3", "group", "move", "web", "--to", "n2")
    assert r.returncode == 1 and "n2 is in standby" in r.stderr, r.stderr
    assert procs_in(lab, "n2", WWW) == []

    vigil_ok(lab, "n3", "node", "online", "n2")
    vigil_ok(lab, "n3", "group", "move", "web", "--to", "n2")
    group_running_on(lab, "n1", "web", "n2")


def test_unmanaged_group_is_left_alone_then_taken_back(lab, poller):
    p = poller("web", URL)
    p.wait_answer("n1")
    mark = last_seq(lab, "n2")
    vigil_ok(lab, "n2", "group", "unmanage", "web")
    g = wait_group(lab, "n1", "web", lambda g: not g["managed"], "unmanaged")
    assert g["state"] == "unmanaged"
    t = now_ms()
    kill_procs(lab, "n1", WWW)
    settle()
    # Not restarted, not moved: what the admin asked for.
    assert procs_in(lab, "n1", WWW) == [] and procs_in(lab, "n2", WWW) == [] \
        and procs_in(lab, "n3", WWW) == []
    g = web(lab)
    assert g["state"] == "unmanaged" and not g["managed"], g
    assert p.analyse(since=t)["open_gap"]
    assert group_events(lab, "n2", mark, "web", ("group_restarted", "group_moved",
                                                  "group_started", "resource_failed")) == []

    # A restart of every vigild leaves it unmanaged, and its address where it was.
    restart_all_vigilds(lab)
    settle()
    for node in ALL:
        g = web(lab, node)
        assert g["state"] == "unmanaged" and not g["managed"], (node, g)
    assert holds_address(lab, "n1", WEB_VIP)
    assert all(procs_in(lab, n, WWW) == [] for n in ALL)

    # Managed again: probed, found incomplete, and completed where it is.
    t = now_ms()
    vigil_ok(lab, "n3", "group", "manage", "web")
    g = group_running_on(lab, "n1", "web", "n1", also=lambda g: g["managed"])
    p.wait_answer("n1", since=t, consecutive=5)
    assert procs_in(lab, "n1", WWW)


def test_cleanup_forgets_failures_and_bans(lab):
    # restarts: max 1 -> the first crash is restarted, the second fails over (n1 banned).
    mark = last_seq(lab, "n2")
    kill_procs(lab, "n1", WWW)
    wait_group_event(lab, "n2", "group_restarted", mark, "web")
    group_running_on(lab, "n2", "web", "n1")
    kill_procs(lab, "n1", WWW)
    g = group_running_on(lab, "n2", "web", "n2")
    assert g["banned"] == ["n1"] and g["failures"] == 2, g
    r = lab.vigil("n2", "group", "move", "web", "--to", "n1")
    assert r.returncode == 1 and "n1 has failed it" in r.stderr, r.stderr

    vigil_ok(lab, "n3", "cleanup", "web")
    for node in ALL:
        g = wait_group(lab, node, "web", lambda g: g["failures"] == 0 and g["banned"] == [],
                       "failures forgotten")
        assert all(r["failures"] == 0 for r in g["resources"]), g
        assert "last_failure" not in g
    restart_all_vigilds(lab)
    for node in ALL:
        g = wait_group(lab, node, "web", lambda g: g["state"] == "running", "running")
        assert g["failures"] == 0 and g["banned"] == [], (node, g)
    # n1 may run it again.
    vigil_ok(lab, "n2", "group", "move", "web", "--to", "n1")
    group_running_on(lab, "n3", "web", "n1")


def test_stop_keeps_it_stopped_across_a_restart_and_start_runs_it(lab, poller):
    p = poller("web", URL)
    p.wait_answer("n1")
    vigil_ok(lab, "n2", "group", "stop", "web")
    for node in ALL:
        g = wait_group(lab, node, "web", lambda g: g["state"] == "stopped", "stopped")
        assert not g["target_started"] and g["node"] is None, g
    assert all(procs_in(lab, n, WWW) == [] and not holds_address(lab, n, WEB_VIP) for n in ALL)
    t = now_ms()
    settle(1)
    assert p.analyse(since=t)["ok"] == 0

    restart_all_vigilds(lab)
    settle()
    for node in ALL:
        g = web(lab, node)
        assert g["state"] == "stopped" and not g["target_started"], (node, g)
    assert all(procs_in(lab, n, WWW) == [] and not holds_address(lab, n, WEB_VIP) for n in ALL)

    t = now_ms()
    vigil_ok(lab, "n3", "group", "start", "web")
    group_running_on(lab, "n2", "web", "n1")
    p.wait_answer("n1", since=t, consecutive=5)


# ---------------------------------------------------------------- bad input


def db_files(lab):
    """{node: {file: bytes}}: what each node saved in /var/lib/vigil (the cluster
    database), without the lab's own `node` file."""
    out = {}
    for node in ALL:
        d = os.path.join(lab.node_dir(node), "vigil")
        out[node] = {}
        for name in sorted(os.listdir(d)):
            full = os.path.join(d, name)
            if name != "node" and os.path.isfile(full):
                with open(full, "rb") as f:
                    out[node][name] = f.read()
    return out


def test_unknown_group_is_refused_with_a_suggestion_and_changes_nothing(lab):
    # A change (web stays on n1, now preferred there), so there is a saved database
    # to compare.
    vigil_ok(lab, "n1", "group", "move", "web", "--to", "n1")
    wait_until(lambda: all(db_files(lab)[n] for n in ALL), 30, "every node to save")
    before = db_files(lab)
    assert all(before[n] for n in ALL), before
    mark = last_seq(lab, "n2")
    for args in (("group", "stop", "wbe"), ("group", "move", "wbe", "--to", "n2"),
                 ("cleanup", "wbe")):
        r = lab.vigil("n1", *args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert "did you mean 'web'" in r.stderr, (args, r.stderr)
    settle(1)
    assert db_files(lab) == before
    assert group_events(lab, "n2", mark) == []
    g = group_running_on(lab, "n2", "web", "n1")
    assert g["target_started"] and g["prefer"] == "n1"


def test_invalid_group_config_is_refused_at_start_and_starts_nothing(lab):
    good = open(os.path.join(lab.node_dir("n1"), "etc", "vigil.yaml")).read()
    bad = good + "\n".join([
        "  - name: extra",
        "    domain: [n1, n9]",
        "    resources:",
        "      - {name: extra-vip, type: ip, address: 198.51.100.110/24, network: pub}",
        "      - {name: extra-sleep, type: process, command: [/bin/sleep, \"4242\"]}",
        ""])
    lines = bad.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "n9" in text)
    col = lines[line - 1].index("n9") + 1
    code, out, path = lab.run_vigild("n1", bad, name="bad-groups.yaml")
    assert code not in (0, None), out
    assert f"{path}:{line}:{col}: error: group 'extra': undeclared node 'n9'" in out, out
    assert procs_in(lab, "n1", r"sleep 4242") == []
    assert not holds_address(lab, "n1", "198.51.100.110")
    # The running cluster is untouched.
    group_running_on(lab, "n1", "web", "n1")
    assert lab.formed()
