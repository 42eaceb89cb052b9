"""Node capacity and group load on a 3-node lab with fencing.

Every node has `capacity: {memory: 16}`; seven groups with `policy: balanced`
have loads 8, 8, 4, 4, 4, 4, 4 (36 of 48). Balanced placement (the most room
left, ties to the first node of the domain) can only give every node 12: one
node the two 8s cannot share, so each 8 gets a 4 beside it, and the third node
the other three 4s. So the outcome of a node loss is known in advance:

- the node with the three 4s is powered off: the survivors have 4 left each,
  so two of the three go one to each survivor (spread, 16/16 each) and the third
  does not fit anywhere: it is reported, its `why` naming the capacity short on
  each node ("n1 has no room (memory: needs 4, 0 free)");
- its priority is then raised (`vigil config apply`, which restarts nothing):
  it now makes room by stopping one group of lower priority, whose `why` says
  "held by group G, priority 10" (the node's room went to it);
- the node returns: what was left out runs there again.

And `vigil group move G` without --to on a balanced group goes to the node with
the most room left. Capacity as used/total per node is read from
`vigil status --json` (nodes[].capacity) and checked against the loads of the
groups the status places on each node; `vigil status` shows "memory 12/16".
"""

import pytest

from labhelpers import (group_entry, last_seq, vigil_ok, wait_event, wait_status)
from tierlab import all_running, loads_by_node, with_capacity
from vigillab import lab_fencing, make_config

CAPACITY = 16
LOADS = {"big1": 8, "big2": 8, "small1": 4, "small2": 4, "small3": 4, "small4": 4, "small5": 4}
GROUPS = tuple(LOADS)
TIMEOUT = 120
FENCE_TIMEOUT = 90
HOME = {}  # group -> node, as first placed (the fixture puts groups back there)


def groups(priorities=None):
    out = []
    for i, (name, load) in enumerate(LOADS.items()):
        g = {"name": name, "domain": ["n1", "n2", "n3"], "policy": "balanced",
             "load": {"memory": load},
             "resources": [{"name": f"{name}-proc", "type": "process",
                            "command": ["/bin/sleep", str(2000001 + i)]}]}
        if priorities and name in priorities:
            g["priority"] = priorities[name]
        out.append(g)
    return out


def config_text(lab, priorities=None):
    text = make_config(3, fencing=lab_fencing(3, lab.prefix), groups=groups(priorities))
    return with_capacity(text, {n: {"memory": CAPACITY} for n in ("n1", "n2", "n3")})


def LAB_CONFIG(lab):
    return config_text(lab)


def apply(lab, node, text, name):
    path = lab.shared_path(name)
    with open(path, "w") as f:
        f.write(text)
    vigil_ok(lab, node, "config", "apply", path, "--force", timeout=120)


def placement(st):
    return {g["name"]: g["node"] for g in st["groups"]
            if g["name"] in LOADS and g["state"] == "running"}


def used(st):
    """{node: memory used} by the status's capacity, and checked against the loads of
    the groups it places there; no node is ever over its capacity."""
    by_loads = loads_by_node(st, {g: {"memory": v} for g, v in LOADS.items()})
    out = {}
    for n in st["nodes"]:
        cap = n.get("capacity")
        assert cap is not None and set(cap) == {"memory"}, n
        mem = cap["memory"]
        assert mem["total"] == CAPACITY, n
        assert mem["used"] == by_loads.get(n["name"], {}).get("memory", 0), (n, st["groups"])
        assert mem["used"] <= CAPACITY, f"{n['name']} over capacity: {mem}"
        out[n["name"]] = mem["used"]
    return out


def settled(lab, node, names, what, also=None, timeout=TIMEOUT):
    """Waits until `names` run and every other group of LOADS is neither starting nor
    stopping (also(st) true, if given); returns the status."""
    def ok(st):
        if not all_running(st, names):
            return False
        for g in st["groups"]:
            if g["name"] in LOADS and g["state"] in ("starting", "stopping", "moving",
                                                     "recovering"):
                return False
        return also is None or also(st)
    return wait_status(lab, node, ok, what, timeout=timeout)


def put_back(lab):
    """Puts every group back on its first node (HOME), moving only into room."""
    for _ in range(len(LOADS) * 2):
        st = settled(lab, "n1", GROUPS, "every group running")
        where = placement(st)
        free = {n: CAPACITY - u for n, u in used(st).items()}
        away = [g for g in GROUPS if where[g] != HOME[g]]
        if not away:
            return
        movable = [g for g in away if free[HOME[g]] >= LOADS[g]]
        assert movable, f"cannot put the groups back: {where}, free {free}"
        g = movable[0]
        vigil_ok(lab, "n1", "group", "move", g, "--to", HOME[g])
        settled(lab, "n1", GROUPS, f"{g} on {HOME[g]}",
                also=lambda s, g=g: placement(s).get(g) == HOME[g])
    raise AssertionError("the groups did not go back to their first nodes")


@pytest.fixture(autouse=True)
def layout(lab, _healthy_lab):
    """Every test starts from the module's configuration, every group running
    where it was first placed, no failures."""
    apply(lab, "n1", config_text(lab), "base.yaml")
    st = lab.status("n1")
    for g in GROUPS:
        e = group_entry(st, g)
        if e["failures"] or e["banned"] or e["state"] in ("failed", "halted"):
            vigil_ok(lab, "n1", "cleanup", g)
        if not e["target_started"]:
            vigil_ok(lab, "n1", "group", "start", g)
    st = settled(lab, "n1", GROUPS, "every group running")
    if not HOME:
        HOME.update(placement(st))
    put_back(lab)


def test_balanced_fills_every_node_alike(lab):
    st = settled(lab, "n1", GROUPS, "every group running")
    where = placement(st)
    u = used(st)
    print(f"placement {where}; used {u}")
    assert u == {"n1": 12, "n2": 12, "n3": 12}, u
    # Each 8 with a 4 beside it, the other three 4s together.
    per = {n: sorted(LOADS[g] for g in GROUPS if where[g] == n) for n in u}
    assert sorted(per.values()) == [[4, 4, 4], [4, 8], [4, 8]], per
    # What the operator reads.
    out = vigil_ok(lab, "n2", "status")
    header = next(ln for ln in out.splitlines() if ln.startswith("NODE"))
    col = header.index("CAPACITY")
    for n in ("n1", "n2", "n3"):
        row = next(ln for ln in out.splitlines() if ln.split()[:1] == [n])
        assert row[col:].startswith("memory 12/16"), out


def test_node_loss_spreads_reports_what_does_not_fit_and_priority_makes_room(lab):
    st = settled(lab, "n1", GROUPS, "every group running")
    where = placement(st)
    victim = next(n for n in ("n1", "n2", "n3") if sum(1 for g in GROUPS if where[g] == n) == 3)
    lost = [g for g in GROUPS if where[g] == victim]
    survivors = [n for n in ("n1", "n2", "n3") if n != victim]
    observer = survivors[0]
    print(f"placement {where}; powering off {victim} with {lost}")
    mark = last_seq(lab, observer)
    lab.poweroff(victim)
    try:
        wait_event(lab, observer, "fence_succeeded", mark, subject=victim,
                   timeout=FENCE_TIMEOUT)
        # Two of the three fit, one on each survivor; the third is left out.
        st = settled(lab, observer, [g for g in GROUPS if g not in lost], "the survivors' groups",
                     also=lambda s: sum(1 for g in lost if placement(s).get(g)) == 2)
        after = placement(st)
        moved = [g for g in lost if g in after]
        [left] = [g for g in lost if g not in after]
        print(f"after the loss of {victim}: {after}; left out: {left}")
        assert sorted(after[g] for g in moved) == sorted(survivors), after
        assert used(st) == {victim: 0, survivors[0]: 16, survivors[1]: 16}
        e = group_entry(st, left)
        print(f"{left}: {e['state']}: {e.get('why')}")
        assert e["node"] is None and e["state"] != "running", e
        # The why names the capacity that is short, on each survivor.
        for n in survivors:
            assert f"{n} has no room (memory: needs 4, 0 free)" in e.get("why", ""), e
        # Every group of the survivors kept running where it was.
        assert all(after[g] == where[g] for g in GROUPS if g not in lost), (where, after)

        # Priority: the left-out group now outranks the others and makes room.
        apply(lab, observer, config_text(lab, priorities={left: 10}), "priority.yaml")
        st = settled(lab, observer, [left], f"{left} running",
                     also=lambda s: len(placement(s)) == len(GROUPS) - 1)
        after2 = placement(st)
        stopped = [g for g in GROUPS if g not in after2]
        print(f"priority 10 for {left}: {after2}; stopped {stopped}: "
              + "; ".join(f"{g}: {group_entry(st, g).get('why')}" for g in stopped))
        assert after2[left] in survivors
        assert len(stopped) == 1, stopped
        # While it stays down, it says why: not merely that no node has room.
        why = group_entry(st, stopped[0]).get("why", "")
        assert f"held by group {left}, priority 10" in why, why
        used(st)
    finally:
        lab.poweron(victim)
    # The node is back: what was left out runs again, there.
    lab.wait_formed(timeout=TIMEOUT)
    st = settled(lab, observer, GROUPS, "every group running again")
    final = placement(st)
    print(f"{victim} back: {final}; used {used(st)}")
    assert final[stopped[0]] == victim, final


def test_move_without_to_goes_where_most_room_is_left(lab):
    st = settled(lab, "n1", GROUPS, "every group running")
    where = placement(st)
    crowded = next(n for n in ("n1", "n2", "n3") if sum(1 for g in GROUPS if where[g] == n) == 3)
    # Free 4 on the node of the three 4s: it is then the least loaded (8 of 16).
    idle = next(g for g in GROUPS if where[g] == crowded)
    vigil_ok(lab, "n1", "group", "stop", idle)
    settled(lab, "n1", [g for g in GROUPS if g != idle], f"{idle} stopped",
            also=lambda s: group_entry(s, idle)["state"] == "stopped")
    # A 4 beside an 8 elsewhere: moved, it goes to the least loaded node, not the other.
    mover = next(g for g in GROUPS if LOADS[g] == 4 and where[g] != crowded)
    other = next(n for n in ("n1", "n2", "n3") if n not in (crowded, where[mover]))
    out = vigil_ok(lab, "n1", "group", "move", mover)
    print(f"vigil group move {mover} (from {where[mover]}): {out.strip()}")
    st = settled(lab, "n1", [g for g in GROUPS if g != idle], f"{mover} moved",
                 also=lambda s: placement(s).get(mover) not in (None, where[mover]))
    print(f"{mover}: {where[mover]} -> {placement(st)[mover]} (not {other}); used {used(st)}")
    assert placement(st)[mover] == crowded
    assert used(st)[crowded] == 12 and used(st)[other] == 12
