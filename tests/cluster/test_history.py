"""`vigil history` on a 3-node lab: the events are on every node's disk, and still
there after every vigild restarted; the filters select what they say."""

import json

from labhelpers import reset_group, restart_all_vigilds, vigil_ok
from vigillab import lab_fencing, make_config, web_group

ALL = ["n1", "n2", "n3"]


def LAB_CONFIG(lab):
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[web_group()])


def history(lab, node, *args):
    return json.loads(vigil_ok(lab, node, "history", "--json", *args))


def test_history_survives_a_restart_of_every_vigild(lab, _healthy_lab):
    reset_group(lab, "web", "n1")
    vigil_ok(lab, "n2", "group", "move", "web", "--to", "n3")
    reset_group(lab, "web", "n3")
    moved = [e for e in history(lab, "n1", "--type", "group_moved") if e.get("group") == "web"]
    assert moved and "n3" in moved[-1]["message"], moved
    mark = moved[-1]["seq"], moved[-1]["ts_ms"]
    restart_all_vigilds(lab)
    for node in ALL:
        evs = history(lab, node)
        # Every node still has the move (each its own copy, same message), then the restart.
        same = [e for e in evs if e["type"] == "group_moved" and e.get("group") == "web"
                and e["message"] == moved[-1]["message"]]
        assert same, (node, evs[-20:])
        assert same[-1]["seen_by"] == node
        started = [e for e in evs if e["type"] == "daemon_started" and e["ts_ms"] > mark[1]]
        assert started, node
    # Filters: by group, by node, by type; the human form prints one line per event.
    by_group = history(lab, "n2", "--group", "web")
    assert by_group and all(e.get("group") == "web" for e in by_group)
    by_node = history(lab, "n2", "--node", "n3")
    assert by_node and all(e.get("node") == "n3" for e in by_node)
    last2 = history(lab, "n2", "--limit", "2")
    assert len(last2) == 2 and last2[-1]["seq"] >= last2[0]["seq"]
    future = history(lab, "n2", "--since", "2099-01-01 00:00")
    assert future == []
    text = vigil_ok(lab, "n2", "history", "--type", "group_moved", "--group", "web")
    assert any("group_moved" in ln and "web" in ln for ln in text.splitlines()), text
    r = lab.vigil("n2", "history", "--since", "yesterday-ish")
    assert r.returncode == 2 and "--since: cannot read 'yesterday-ish' as a time" in r.stderr
