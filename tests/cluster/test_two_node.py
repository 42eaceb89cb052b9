"""A two-node cluster: it forms, and the survivor of a peer's death keeps quorum."""

from labhelpers import last_seq, node_state, online, wait_event, wait_status

LAB_NODES = 2


def test_two_nodes_form_a_quorate_cluster(lab, status):
    for node in ("n1", "n2"):
        st = status(node)
        assert st["quorate"] is True
        assert online(st) == ["n1", "n2"]
        assert st["coordinator"] == "n1"
        assert st["votes"]["total"] == 2 and st["votes"]["expected"] == 2


def test_survivor_keeps_quorum_after_peer_poweroff(lab, status):
    mark = last_seq(lab, "n1")
    lab.poweroff("n2")
    st = wait_status(lab, "n1", lambda s: node_state(s, "n2") == "offline", "n2 offline")
    assert st["quorate"] is True
    assert st["coordinator"] == "n1"
    assert online(st) == ["n1"]
    wait_event(lab, "n1", "node_left", mark, subject="n2")
    assert status("n1")["quorate"] is True
