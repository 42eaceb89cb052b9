"""Membership, quorum and fault handling of a 3-node cluster, as the operator sees it
in `vigil status --json` and `vigil events --json`.

One lab for the module; the conftest restores it (healed, links up, all nodes on,
one quorate cluster) before and after every test.
"""

import json
import re
import signal
import time

from labhelpers import (DETECT_TIMEOUT, events_since, last_seq, link_up, node_state, online,
                        wait_event, wait_status)
import vigillab
from vigillab import make_config, wait_until

LAB_NODES = 3
ALL = ["n1", "n2", "n3"]
LINK_SETTLE_S = 15


def _view(st):
    """What every member of one partition must agree on."""
    return (st["quorate"], st["coordinator"], tuple(online(st)), st["votes"]["total"],
            st["votes"]["expected"])


def test_three_nodes_form_one_quorate_cluster(lab, status):
    views = {}
    for node in ALL:
        st = status(node)
        assert st["local_node"] == node
        assert st["local_node_id"] == int(node[1:])
        assert st["quorate"] is True
        assert st["coordinator"] == "n1"
        assert online(st) == ALL
        assert st["votes"] == {"total": 3, "expected": 3, "needed": 2}
        assert st["engine"]["state"] == "running"
        assert sorted(n["id"] for n in st["nodes"]) == [1, 2, 3]
        views[node] = _view(st)
    assert len(set(views.values())) == 1, f"nodes disagree: {views}"
    assert len({status(n)["cluster"] for n in ALL}) == 1
    # The quorum event quotes the votes present then: a quorate partition has at least 2.
    for node in ALL:
        gained = [e for e in lab.events(node) if e["type"] == "quorum_gained"]
        assert gained, f"{node} logged no quorum_gained"
        m = re.fullmatch(r"quorum gained: (\d) of 3 votes \(2 needed\)", gained[-1]["message"])
        assert m and int(m.group(1)) >= 2, gained[-1]["message"]


def test_poweroff_node_is_seen_offline_and_poweron_rejoins(lab, status):
    marks = {n: last_seq(lab, n) for n in ALL}
    lab.poweroff("n3")
    for node in ("n1", "n2"):
        st = wait_status(lab, node, lambda s: node_state(s, "n3") == "offline",
                         "n3 reported offline")
        assert st["quorate"] is True
        assert st["coordinator"] == "n1"
        assert online(st) == ["n1", "n2"]
    for node in ("n1", "n2"):
        wait_event(lab, node, "node_left", marks[node], subject="n3")
        assert status(node)["quorate"] is True

    marks = {n: last_seq(lab, n) for n in ("n1", "n2")}
    lab.poweron("n3")
    lab.wait_answering("n3")
    for node in ALL:
        st = wait_status(lab, node, lambda s: online(s) == ALL and s["quorate"],
                         "all nodes online and quorate after poweron n3")
        assert st["coordinator"] == "n1"
    for node in ("n1", "n2"):
        wait_event(lab, node, "node_joined", marks[node], subject="n3")


def test_partition_minority_loses_quorum_and_heal_reunites(lab, status):
    lab.partition([["n1"], ["n2", "n3"]])
    st = wait_status(lab, "n1", lambda s: s["quorate"] is False, "n1 without quorum")
    # Only a quorate partition has a coordinator.
    assert st["coordinator"] is None
    for node in ("n2", "n3"):
        st = wait_status(lab, node,
                         lambda s: s["quorate"] and node_state(s, "n1") == "offline",
                         "quorate with n1 offline")
        assert st["coordinator"] == "n2"
        assert online(st) == ["n2", "n3"]
    assert status("n1")["quorate"] is False  # the minority stays without quorum
    # Without quorum a node may not fence anyone, even on an admin's request.
    r = lab.vigil("n1", "fence", "n2")
    assert r.returncode == 1
    assert "refused: this node's partition has no quorum" in r.stderr

    lab.heal()
    for node in ALL:
        st = wait_status(lab, node, lambda s: s["quorate"] and online(s) == ALL,
                         "one quorate cluster of 3 after heal")
        assert st["coordinator"] == "n1"


def test_link_down_moves_heartbeat_without_losing_a_node(lab, status):
    # knet watches a link that has just come up with a 10x longer pong timeout,
    # shrinking it over the next pings. Links in production have been up for
    # long, so let them settle (the previous test may have just restarted nodes).
    time.sleep(LINK_SETTLE_S)
    marks = {n: last_seq(lab, n) for n in ALL}
    violations = []
    saw_link_down = set()
    lab.link("n2", "priv", False)
    try:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            tick = time.monotonic()
            for node in ALL:
                try:
                    st = status(node)
                except Exception as e:  # noqa: BLE001 - recorded and asserted below
                    violations.append(f"{node}: status failed: {e}")
                    continue
                if online(st) != ALL:
                    violations.append(f"{node}: online {online(st)} quorate {st['quorate']}")
                if node != "n2" and link_up(st, "n2", "priv") is False:
                    saw_link_down.add(node)
            time.sleep(max(0.0, 0.2 - (time.monotonic() - tick)))
        assert violations == [], "a node was declared offline during a single link failure"
        for node in ("n1", "n3"):
            st = wait_status(lab, node, lambda s: link_up(s, "n2", "priv") is False,
                             "priv link to n2 reported down")
            assert link_up(st, "n2", "pub") is True
            assert online(st) == ALL
    finally:
        lab.link("n2", "priv", True)
    for node in ("n1", "n3"):
        wait_status(lab, node, lambda s: link_up(s, "n2", "priv") is True,
                    "priv link to n2 reported up again")
    for node in ALL:
        assert events_since(lab, node, marks[node], "node_left") == []
        assert events_since(lab, node, marks[node], "quorum_lost") == []


def test_killed_corosync_is_restarted_by_vigild(lab, status):
    vigild = lab.vigild_pid("n2")
    old = lab.daemon_pids("n2", "corosync")
    assert vigild and old
    mark = last_seq(lab, "n2")
    lab.kill("n2", "corosync")
    wait_event(lab, "n2", "engine_lost", mark)
    wait_event(lab, "n2", "engine_restored", mark)
    for node in ALL:
        wait_status(lab, node, lambda s: s["quorate"] and online(s) == ALL,
                    "n2 back online after its corosync was restarted")
    assert status("n2")["engine"]["state"] == "running"
    assert lab.vigild_pid("n2") == vigild, "vigild itself must survive its engine's death"
    new = lab.daemon_pids("n2", "corosync")
    assert new and not set(new) & set(old)


def test_killed_vigild_takes_its_corosync_along(lab, status):
    """A node whose vigild dies must leave the membership: its Corosync may not linger
    in the ring without a daemon (vigild starts it with PR_SET_PDEATHSIG)."""
    old = lab.daemon_pids("n2", "corosync")
    assert old
    marks = {n: last_seq(lab, n) for n in ("n1", "n3")}
    lab.kill("n2", "vigild")
    wait_until(lambda: not any(vigillab.pid_alive(p) for p in old), DETECT_TIMEOUT,
               "n2's corosync to die with its vigild")
    for node in ("n1", "n3"):
        ev = wait_event(lab, node, "node_left", marks[node], subject="n2")
        assert "n2" in ev["message"]
        st = wait_status(lab, node, lambda s: node_state(s, "n2") == "offline",
                         "n2 offline after its vigild was killed")
        assert st["quorate"] is True and st["coordinator"] == "n1"
    lab.poweron("n2")
    lab.wait_answering("n2")
    for node in ALL:
        wait_status(lab, node, lambda s: s["quorate"] and online(s) == ALL,
                    "n2 back after vigild was started again")


def test_events_follow_streams_a_node_loss(lab, tmp_path):
    """`vigil events --follow --json` on n1 prints n3's node_left as it happens."""
    out = tmp_path / "follow.jsonl"
    mark = last_seq(lab, "n1")
    follower = lab.spawn("n1", ["vigil", "events", "--follow", "--json", "--since", str(mark)],
                         str(out))
    try:
        time.sleep(1)  # let it subscribe; a missed event would make the test fail, not pass
        lab.poweroff("n3")

        def streamed():
            for line in out.read_text().splitlines():
                if line.startswith("{"):
                    ev = json.loads(line)
                    if ev["type"] == "node_left" and ev["node"] == "n3":
                        return ev
            return None
        ev = wait_until(streamed, DETECT_TIMEOUT, "node_left for n3 on the follow stream")
        assert ev["seq"] > mark
        assert follower.poll() is None, "the follower must keep running"
    finally:
        if follower.poll() is None:
            follower.send_signal(signal.SIGINT)
            assert follower.wait(timeout=15) == 0
        lab.poweron("n3")
        lab.wait_answering("n3")


def _bad_address_config(node="n2"):
    """A lab config whose `node` has an impossible priv address; returns (text, line)."""
    text = make_config(3, 2, overrides={node: {"priv": "192.0.2.300"}})
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "192.0.2.300" in s)
    return text, line


def test_invalid_config_is_rejected_and_cluster_unaffected(lab, status):
    text, line = _bad_address_config()
    marks = {n: last_seq(lab, n) for n in ALL}
    pids = {n: lab.vigild_pid(n) for n in ALL}
    # A second vigild, in n2 next to the running one, with the bad file.
    rc, out, path = lab.run_vigild("n2", text, timeout=30)
    assert rc is not None, f"vigild kept running with an invalid config:\n{out}"
    assert rc != 0, f"vigild accepted an invalid config:\n{out}"
    assert re.search(rf"^{re.escape(path)}:{line}:\d+: error: ", out, re.M), \
        f"error does not name {path} line {line}:\n{out}"
    assert "192.0.2.300" in out
    # The running cluster did not notice.
    for node in ALL:
        st = status(node)
        assert st["quorate"] and online(st) == ALL
        assert lab.vigild_pid(node) == pids[node]
        assert events_since(lab, node, marks[node], "node_left") == []
        assert events_since(lab, node, marks[node], "engine_lost") == []


def test_node_restarted_with_invalid_config_refuses_to_start(lab, status):
    text, line = _bad_address_config()
    lab.poweroff("n3")
    for node in ("n1", "n2"):
        wait_status(lab, node, lambda s: node_state(s, "n3") == "offline", "n3 offline")
    for net in ("priv", "pub"):
        lab.link("n3", net, True)
    proc = lab.start_vigild("n3", config_text=text)
    rc = proc.wait(timeout=30)
    assert rc != 0
    log = lab.logs("n3")
    assert re.search(rf"^/etc/vigil/custom\.yaml:{line}:\d+: error: ", log, re.M), \
        f"error does not name line {line}:\n{lab.log_tail('n3', 30)}"
    assert lab.daemon_pids("n3", "corosync") == []
    # The other two carry on, quorate, n3 still offline.
    time.sleep(2)
    for node in ("n1", "n2"):
        st = status(node)
        assert st["quorate"] and online(st) == ["n1", "n2"]
    # Back with the good config (the conftest's restore would do it too).
    lab.poweron("n3")
    for node in ALL:
        wait_status(lab, node, lambda s: s["quorate"] and online(s) == ALL,
                    "n3 back with a good config", timeout=DETECT_TIMEOUT * 2)
    wait_until(lambda: lab.vigild_running("n3"), 10, "vigild running on n3")
