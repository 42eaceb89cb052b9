"""Two-node clusters: in a split both halves keep quorum (two-node mode) and each
would fence the other; n1's fencing delay makes n2 lose the race every time, so
exactly one node survives."""

from labhelpers import last_seq, node_entry, wait_event, wait_status
from vigillab import wait_until

LAB_NODES = 2
LAB_FENCING = True
REPETITIONS = 10
FENCE_TIMEOUT = 90


def test_split_leaves_exactly_one_survivor(lab):
    survivors = []
    for i in range(REPETITIONS):
        mark = last_seq(lab, "n1")
        lab.partition([["n1"], ["n2"]])
        wait_event(lab, "n1", "fence_succeeded", mark, subject="n2", timeout=FENCE_TIMEOUT)
        wait_until(lambda: lab.power_state("n2")["power"] == "off", FENCE_TIMEOUT,
                   f"run {i + 1}: n2 powered off")
        st = wait_status(lab, "n1", lambda s: node_entry(s, "n2")["fence"]["state"] == "fenced",
                         f"run {i + 1}: n1 records n2 fenced")
        assert st["quorate"] is True
        power = {n: lab.power_state(n)["power"] for n in ("n1", "n2")}
        survivors.append(tuple(n for n, p in power.items() if p == "on"))
        lab.restore()
    assert survivors == [("n1",)] * REPETITIONS, survivors
