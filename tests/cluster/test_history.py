"""`vigil history` on a 3-node lab: the events are on every node's disk, the same
cluster events on each, and still there after every vigild restarted; the filters
select what they say."""

import json
import time

from labhelpers import (group_running_on, reset_group, restart_all_vigilds, vigil_ok,
                        wait_group)
from vigillab import lab_fencing, make_config, web_group

ALL = ["n1", "n2", "n3"]


def LAB_CONFIG(lab):
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[web_group()])


def history(lab, node, *args):
    return json.loads(vigil_ok(lab, node, "history", "--json", *args))


def cluster_events(evs, since_ms, until_ms):
    """The events every member records alike (from agreed-order messages): moves and
    admin commands between the two times, without who recorded them or when."""
    return [(e["type"], e.get("group"), e.get("node"), e["message"]) for e in evs
            if e["type"] in ("group_moved", "admin") and since_ms <= e["ts_ms"] < until_ms]


def test_history_survives_a_restart_of_every_vigild(lab, _healthy_lab):
    reset_group(lab, "web", "n1")
    start_ms = int(time.time() * 1000) - 1000
    # A move asked on n2, then n3 in standby (web leaves it), then online again.
    vigil_ok(lab, "n2", "group", "move", "web", "--to", "n3")
    group_running_on(lab, "n1", "web", "n3")
    vigil_ok(lab, "n1", "node", "standby", "n3")
    st = wait_group(lab, "n1", "web", lambda g: g["state"] == "running" and g["node"] != "n3"
                    and all(r["state"] == "running" for r in g["resources"]),
                    "running away from n3 in standby")
    elsewhere = st["node"]
    vigil_ok(lab, "n1", "node", "online", "n3")
    time.sleep(1)  # what the online brings is recorded before the restart
    restart_ms = int(time.time() * 1000)

    restart_all_vigilds(lab)

    seen = {}
    for node in ALL:
        evs = history(lab, node)
        moves = [e for e in evs if e["type"] == "group_moved" and e.get("group") == "web"
                 and start_ms <= e["ts_ms"] < restart_ms]
        # The two moves, with the group and the node it moved to, recorded by this node.
        assert [(m["node"], m["message"]) for m in moves] == [
            ("n3", "group web moved from n1 to n3"),
            (elsewhere, f"group web moved from n3 to {elsewhere}"),
        ], (node, moves)
        assert all(m["seen_by"] == node for m in moves), moves
        admin = [e for e in evs if e["type"] == "admin" and e["ts_ms"] >= start_ms]
        assert any(e["node"] == "n2" and "web" in e["message"] for e in admin), admin
        assert any(e["node"] == "n1" and e["message"].startswith("node n3 put in standby")
                   for e in admin), admin
        # Then this node's own restart.
        assert any(e["type"] == "daemon_started" and e["ts_ms"] > restart_ms for e in evs), node
        seen[node] = cluster_events(evs, start_ms, restart_ms)
    assert seen["n1"] == seen["n2"] == seen["n3"], seen

    # Filters, on the lab's real history.
    by_group = history(lab, "n2", "--group", "web", "--since", "15m")
    assert by_group and all(e["group"] == "web" for e in by_group)
    assert any(e["type"] == "group_moved" and e["node"] == "n3" for e in by_group)
    by_node = history(lab, "n2", "--node", "n3")
    assert by_node and all(e["node"] == "n3" for e in by_node)
    assert any(e["type"] == "group_moved" and e["group"] == "web" for e in by_node)
    both = history(lab, "n3", "--type", "group_moved", "--node", elsewhere, "--group", "web")
    assert both and both[-1]["message"] == f"group web moved from n3 to {elsewhere}"
    last2 = history(lab, "n2", "--limit", "2")
    assert len(last2) == 2 and last2[-1]["seq"] >= last2[0]["seq"]
    assert history(lab, "n2", "--since", "2099-01-01 00:00") == []

    # The table, as `vigil events` prints it.
    text = vigil_ok(lab, "n2", "history", "--type", "group_moved", "--group", "web")
    assert any("group_moved" in ln and "web" in ln and "group web moved from n1 to n3" in ln
               for ln in text.splitlines()), text
    r = lab.vigil("n2", "history", "--since", "yesterday-ish")
    assert r.returncode == 2 and "--since: cannot read 'yesterday-ish' as a time" in r.stderr
    r = lab.vigil("n2", "history", "--type", "group_move")
    assert r.returncode == 1 and "did you mean 'group_moved'?" in r.stderr
