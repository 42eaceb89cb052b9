"""Clone and promotable groups on a 3-node lab with fencing (issue 12).

- www: a clone on every node (a web server on port 8080 of each node, serving
  the node's name): a node's power-off leaves the others serving; back, it runs
  its copy again.
- two: a clone of two copies: the copy of a lost node moves to the spare node
  once the lost one is fenced, not before.
- pgx: a promotable group of a script resource (tests/cluster/agents/promotable,
  its role in the node's /var/lib/vigil/db.role) and a virtual IP of role
  primary. Scores are node attributes (master-db) set with `vigil attr set`:
  n1 10, n2 5, n3 1. The primary holds the VIP; powering it off promotes n2
  after the fencing, and the VIP answers there; `vigil group move pgx --to n3`
  demotes n2 and promotes n3. Never two primaries: the sampler checks that one
  node at most holds the VIP, and a thread samples the role files of the nodes
  that are powered on. A primary whose monitor says it failed (OCF 9) is
  recovered in place: stopped, started again and promoted again on its node
  (the highest score), the VIP back there, never a second primary meanwhile.
"""

import os

import pytest

from labhelpers import (group_entry, group_events, holds_address, last_seq, procs_in,
                        vigil_ok, wait_event, wait_group, wait_group_event)
from vigillab import PYTHON, WEB_ROOT, lab_fencing, make_config, wait_until
from vigilwatch import PrimarySampler, now_ms

AGENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "agents", "promotable")
VIP = "198.51.100.120"
ALL = ["n1", "n2", "n3"]
SCORES = {"n1": "10", "n2": "5", "n3": "1"}
FENCE_TIMEOUT = 90
JOB = r"sleep 100002"


def LAB_CONFIG(lab):
    www = {"name": "www", "domain": ALL, "clone": {}, "resources": [
        {"name": "httpd", "type": "process",
         "command": ["/bin/sh", "-c", 'exec "$0" "$@" 2>>/run/www-clone.log', PYTHON, "-m",
                     "http.server", "8080", "--directory", WEB_ROOT]}]}
    two = {"name": "two", "domain": ALL, "clone": {"copies": 2}, "resources": [
        {"name": "job", "type": "process", "command": ["/bin/sleep", "100002"]}]}
    pgx = {"name": "pgx", "domain": ALL, "promotable": {}, "resources": [
        {"name": "db", "type": "script", "path": AGENT, "monitor": "1s"},
        {"name": "vip", "type": "ip", "address": f"{VIP}/24", "network": "pub"}]}
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[www, two, pgx])


def on_nodes(lab, node, group):
    return group_entry(lab.status(node), group)["on_nodes"]


def wait_copies(lab, node, group, want, what, timeout=120):
    """Waits until node's status shows group in these states on these nodes."""
    return wait_group(lab, node, group, lambda g: g["on_nodes"] == want, what, timeout=timeout)


def role(lab, node):
    try:
        with open(os.path.join(lab.node_dir(node), "vigil", "db.role")) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


@pytest.fixture(autouse=True)
def settled(lab, _healthy_lab):
    """Every test starts with the scores set, every copy running and pgx primary on n1."""
    for n, s in SCORES.items():
        vigil_ok(lab, "n1", "attr", "set", "master-db", s, "--node", n, "--lifetime", "forever")
    st = lab.status("n1")
    for g in ("www", "two", "pgx"):
        e = group_entry(st, g)
        if e["failures"] or e["banned"]:
            vigil_ok(lab, "n1", "cleanup", g)
    wait_copies(lab, "n1", "www", {n: "running" for n in ALL}, "a copy on every node")
    e = wait_group(lab, "n1", "pgx", lambda g: "primary" in g["on_nodes"].values()
                   and all(v in ("running", "primary") for v in g["on_nodes"].values()),
                   "a primary and two replicas")
    primary = [n for n, v in e["on_nodes"].items() if v == "primary"][0]
    if primary != "n1":
        vigil_ok(lab, "n1", "group", "move", "pgx", "--to", "n1")
    wait_copies(lab, "n1", "pgx", {"n1": "primary", "n2": "running", "n3": "running"},
                "primary on n1")
    wait_group(lab, "n1", "two", lambda g: list(g["on_nodes"].values()).count("running") == 2,
               "two copies")


def test_clone_copies_survive_a_node_loss(lab, poller):
    polls = {n: poller(f"www-{n}", f"http://{lab.address(n, 'pub')}:8080/node") for n in ALL}
    for n, p in polls.items():
        p.wait_answer(n)
    two = [n for n, v in on_nodes(lab, "n1", "two").items() if v == "running"]
    lost = "n2" if "n2" in two else two[-1]
    spare = [n for n in ALL if n not in two][0]
    mark = last_seq(lab, "n1")
    t = now_ms()
    lab.poweroff(lost)
    # Until the fencing, the lost node's copy of two may still run: no copy on the spare.
    ev = wait_event(lab, "n1", "fence_succeeded", mark, subject=lost, timeout=FENCE_TIMEOUT)
    assert not any(e["type"] == "group_started" and e.get("node") == spare
                   for e in group_events(lab, "n1", mark, "two")
                   if e["seq"] < ev["seq"]), "two started on the spare before the fencing"
    started = wait_group_event(lab, "n1", "group_started", mark, "two")
    assert started["node"] == spare and started["seq"] > ev["seq"], started
    wait_until(lambda: procs_in(lab, spare, JOB), 60, f"two's copy on {spare}")
    want = {n: ("running" if n != lost else "stopped") for n in ALL}
    wait_copies(lab, "n1", "www", want, f"www on every node but {lost}")
    # The others served throughout.
    for n in ALL:
        if n == lost:
            continue
        a = polls[n].analyse(since=t)
        print(f"poweroff {lost}: {polls[n].describe(since=t)}")
        assert a["failed"] == 0 and a["nodes"] == [n], a
    assert not any(e["type"] in ("group_multi_active", "group_moved", "group_recovered")
                   for e in group_events(lab, "n1", mark))
    # Back: its copy of www runs again; two stays where it is.
    lab.poweron(lost)
    lab.wait_formed()
    wait_copies(lab, "n1", "www", {n: "running" for n in ALL}, "www on every node again")
    polls[lost].wait_answer(lost, since=now_ms())
    assert sorted(n for n, v in on_nodes(lab, "n1", "two").items() if v == "running") == \
        sorted(set(two) - {lost} | {spare})


def test_promotable_failover_and_switchover(lab, sampler, poller):
    samp = sampler(addresses={"vip": VIP})
    roles = PrimarySampler(ALL, lambda n: role(lab, n) == "primary")
    p = poller("pgx", f"http://{VIP}:8080/node")
    p.wait_answer("n1")
    assert role(lab, "n1") == "primary" and holds_address(lab, "n1", VIP)
    assert role(lab, "n2") == role(lab, "n3") == "replica"
    # The primary's node loses power: n2 (score 5) is promoted once n1 is fenced.
    mark = last_seq(lab, "n2")
    t = now_ms()
    roles.off.add("n1")
    lab.poweroff("n1")
    fenced = wait_event(lab, "n2", "fence_succeeded", mark, subject="n1", timeout=FENCE_TIMEOUT)
    ev = wait_group_event(lab, "n2", "group_promoted", mark, "pgx")
    assert ev["node"] == "n2" and ev["seq"] > fenced["seq"], ev
    assert "after the loss of n1" in ev["message"], ev
    p.wait_answer("n2", since=t, consecutive=3)
    print(f"poweroff n1: {p.describe(since=t)}")
    assert role(lab, "n2") == "primary" and holds_address(lab, "n2", VIP)
    # n1 comes back as a replica; n2 stays primary.
    lab.poweron("n1")
    lab.wait_formed()
    roles.off.discard("n1")
    wait_copies(lab, "n2", "pgx", {"n1": "running", "n2": "primary", "n3": "running"},
                "n1 back as a replica")
    assert role(lab, "n1") == "replica"
    # A switchover: demote n2, then promote n3.
    mark = last_seq(lab, "n2")
    t = now_ms()
    vigil_ok(lab, "n2", "group", "move", "pgx", "--to", "n3")
    wait_copies(lab, "n2", "pgx", {"n1": "running", "n2": "running", "n3": "primary"},
                "primary on n3")
    dem = wait_group_event(lab, "n2", "group_demoted", mark, "pgx")
    prom = wait_group_event(lab, "n2", "group_promoted", mark, "pgx")
    assert dem["node"] == "n2" and prom["node"] == "n3" and dem["seq"] < prom["seq"]
    p.wait_answer("n3", since=t, consecutive=3)
    assert role(lab, "n3") == "primary" and role(lab, "n2") == "replica"
    # A move to a node with a negative score is refused with the policy's reason.
    vigil_ok(lab, "n2", "attr", "set", "--node", "n1", "master-db", "--", "-5")
    r = lab.vigil("n2", "group", "move", "pgx", "--to", "n1")
    assert r.returncode != 0 and "negative promotion score" in r.stderr, r.stderr
    samp.stop()
    samp.check()
    roles.stop()
    assert samp.held_by("vip")[:3] == ["n1", "n2", "n3"]


def test_failed_primary_recovered_in_place(lab, sampler):
    samp = sampler(addresses={"vip": VIP})
    roles = PrimarySampler(ALL, lambda n: role(lab, n) == "primary")
    assert role(lab, "n1") == "primary"
    mark = last_seq(lab, "n2")
    with open(os.path.join(lab.node_dir("n1"), "vigil", "db.role"), "w") as f:
        f.write("failed\n")
    failed = wait_group_event(lab, "n2", "resource_failed", mark, "pgx")
    assert failed["node"] == "n1" and "failed as primary" in failed["message"], failed
    prom = wait_group_event(lab, "n2", "group_promoted", mark, "pgx")
    assert prom["node"] == "n1" and prom["seq"] > failed["seq"], prom
    wait_copies(lab, "n2", "pgx", {"n1": "primary", "n2": "running", "n3": "running"},
                "primary on n1 again")
    assert role(lab, "n1") == "primary" and holds_address(lab, "n1", VIP)
    # Recovered in place: never fenced, never promoted elsewhere.
    assert not any(e["type"] in ("fence_requested", "group_stop_failed")
                   or (e["type"] == "group_promoted" and e.get("node") != "n1")
                   for e in group_events(lab, "n2", mark))
    samp.stop()
    samp.check()
    roles.stop()
