"""A three-tier chain on a 3-node lab with fencing: db -> app -> web, as in
examples/three-tier.yaml (app `requires: [db]`, web `requires: [app]`, the
example's capacities, loads, priorities, `policy: balanced` and virtual IPs),
each tier a small server (tierlab.TIER_SERVER) that answers only when the tier
it needs answers, with a check, so each is ready only once the chain below it
works. A client polls web through its VIP.

Layout. With every node at {memory: 64, cpu: 16} and loads db 32/8, app 16/4,
web 4/2, balanced placement puts db first (it is required, and has the highest
priority) on n1 (all empty: the first of the domain), app where most room is
left, n2, and web on n3: three nodes, one tier each. So powering off db's node
loses db alone: app and web, on the survivors, must then be stopped (they may
not run without db), web before app, and started again after db, in order;
the client sees one gap.

Also: `vigil group stop db` stops web, then app, then db, and they say why;
`vigil group start db` brings the three back in order. And a colocated pair
(cdb, capp: `requires: [cdb]`, `colocated: true`) runs on one node and moves
together.

The order of starts is read from the tier servers' own start times (a shared
log, wall clock) against the coordinator's events (group X started at ts_ms):
a tier's server starts only after the tier it requires is running.
"""

import time

import pytest

from labhelpers import (group_entry, group_events, last_seq, procs_in, reset_group, vigil_ok,
                        wait_event, wait_status)
from tierlab import (RUNNING_EVENTS, all_running, example_capacities, first_event,
                     started_after, tier_groups, tier_pattern, tier_vips, with_capacity)
from vigillab import lab_fencing, make_config
from vigilwatch import now_ms

TIERS = ("db", "app", "web")
WEB_VIP = "198.51.100.100"
URL = f"http://{WEB_VIP}/chain"
TIMEOUT = 120  # a chain start, stop or recovery: generous, never asserted
FENCE_TIMEOUT = 90


def LAB_CONFIG(lab):
    pair = [{"name": "cdb", "domain": ["n3", "n2", "n1"], "resources": [
                {"name": "cdb-proc", "type": "process", "command": ["/bin/sleep", "1000007"]}]},
            {"name": "capp", "domain": ["n3", "n2", "n1"], "requires": ["cdb"],
             "colocated": True, "resources": [
                {"name": "capp-proc", "type": "process", "command": ["/bin/sleep", "1000008"]}]}]
    text = make_config(3, fencing=lab_fencing(3, lab.prefix), groups=tier_groups(lab) + pair)
    return with_capacity(text, example_capacities())


def tier_log_path(lab):
    return lab.shared_path("tiers.log")


def coordinator(lab, node="n1"):
    st = lab.status(node)
    return st.get("coordinator") or node


def chain_running(lab, node, timeout=TIMEOUT, names=TIERS):
    return wait_status(lab, node, lambda st: all_running(st, names),
                       f"{', '.join(names)} running", timeout=timeout)


@pytest.fixture(autouse=True)
def chain_up(lab, _healthy_lab):
    """Every test starts with the chain and the pair running, without failures."""
    st = lab.status("n1")
    for name in TIERS + ("cdb", "capp"):
        g = group_entry(st, name)
        if g["failures"] or g["banned"] or g["state"] in ("failed", "halted"):
            vigil_ok(lab, "n1", "cleanup", name)
        if not g["target_started"]:
            vigil_ok(lab, "n1", "group", "start", name)
    chain_running(lab, "n1", names=TIERS + ("cdb", "capp"))


def running_order(events):
    """{tier: the first event saying it runs} among events (in agreed order)."""
    return {t: first_event(events, t, RUNNING_EVENTS) for t in TIERS}


def assert_started_in_order(lab, events, since_ns):
    """Each tier's running event comes after the one of the tier it requires, and
    its server started (shared log, wall clock) at or after since_ns only after
    that tier was running."""
    ev = running_order(events)
    for t in TIERS:
        assert ev[t] is not None, f"no running event of {t} in {events}"
    assert ev["db"]["seq"] < ev["app"]["seq"] < ev["web"]["seq"], ev
    log = tier_log_path(lab)
    for before, after in (("db", "app"), ("app", "web")):
        starts = started_after(log, after, since_ns)
        assert starts, f"{after}'s server did not start after {since_ns}"
        ran = ev[before]["ts_ms"]
        first = starts[0]["ns"] / 1e6
        print(f"{after} started {first - ran:.0f} ms after {before} ran "
              f"({before} on {ev[before]['node']}, {after} on {starts[0]['node']})")
        assert first >= ran, (f"{after}'s server started at {first:.0f}, before {before} "
                              f"was running ({ran})")


def test_chain_starts_in_order_one_tier_per_node(lab):
    st = chain_running(lab, "n1")
    where = {t: group_entry(st, t)["node"] for t in TIERS}
    print(f"placement: {where}")
    # Balanced by load: three tiers, three nodes (see the module's docstring).
    assert where == {"db": "n1", "app": "n2", "web": "n3"}, where
    # From the cluster's start: db ran before app was started, app before web.
    events = [e for e in lab.events(coordinator(lab)) if e.get("group") in TIERS]
    assert_started_in_order(lab, events, 0)
    # The client gets the whole chain through web's VIP.
    r = lab.exec("n1", ["/usr/bin/curl", "-s", "--max-time", "5", URL])
    assert r.stdout.strip() == "web@n3/app@n2/db@n1", r.stdout
    # Capacity in the status: each node's used is the load of the tier there.
    nodes = {n["name"]: n.get("capacity") for n in st["nodes"]}
    assert nodes["n1"] == {"memory": {"used": 32, "total": 64}, "cpu": {"used": 8, "total": 16}}
    assert nodes["n2"] == {"memory": {"used": 16, "total": 64}, "cpu": {"used": 4, "total": 16}}
    assert nodes["n3"] == {"memory": {"used": 4, "total": 64}, "cpu": {"used": 2, "total": 16}}


def test_stop_db_stops_web_then_app_then_db_and_start_brings_them_back(lab):
    coord = coordinator(lab)
    mark = last_seq(lab, coord)
    vigil_ok(lab, "n1", "group", "stop", "db")
    def down(s, t):
        g = group_entry(s, t)
        return g["node"] is None and all(r["state"] == "stopped" for r in g["resources"])
    # db stopped; app and web down too, waiting for it (shown blocked or stopped).
    st = wait_status(lab, coord, lambda s: group_entry(s, "db")["state"] == "stopped"
                     and all(down(s, t) for t in TIERS), "db, app and web stopped",
                     timeout=TIMEOUT)
    app, web = group_entry(st, "app"), group_entry(st, "web")
    print(f"app: {app['state']}: {app.get('why')}; web: {web['state']}: {web.get('why')}")
    assert app["state"] in ("stopped", "blocked") and web["state"] in ("stopped", "blocked")
    assert "waiting for group db (required)" in app.get("why", ""), app
    assert "(required)" in web.get("why", ""), web
    # Their own target is unchanged: they wait for db, they were not stopped by the admin.
    assert app["target_started"] and web["target_started"]
    assert not group_entry(st, "db")["target_started"]
    stops = group_events(lab, coord, mark, types=("group_stopped",))
    order = [e["group"] for e in stops if e.get("group") in TIERS]
    print(f"stopped in the order {order}")
    assert order == ["web", "app", "db"], stops
    for t in TIERS:
        assert not any(procs_in(lab, n, tier_pattern(t)) for n in lab.nodes), \
            f"{t}'s server still runs"

    mark = last_seq(lab, coord)
    t0 = time.time_ns()
    vigil_ok(lab, "n1", "group", "start", "db")
    chain_running(lab, coord)
    assert_started_in_order(lab, [e for e in group_events(lab, coord, mark)
                                  if e.get("group") in TIERS], t0)


def test_poweroff_of_db_node_stops_dependants_and_restarts_the_chain_in_order(
        lab, poller, sampler):
    st = chain_running(lab, "n1")
    where = {t: group_entry(st, t)["node"] for t in TIERS}
    victim = where["db"]
    observer = min(n for n in lab.nodes if n != victim)
    print(f"placement before: {where}; powering off {victim}")
    vips = tier_vips()
    samp = sampler(addresses={t: vips[t] for t in TIERS},
                   processes={t: tier_pattern(t) for t in TIERS})
    p = poller("web", URL)
    p.wait_answer(consecutive=5)
    mark = last_seq(lab, observer)
    t, wall = now_ms(), time.time_ns()
    lab.poweroff(victim)
    wait_event(lab, observer, "fence_succeeded", mark, subject=victim, timeout=FENCE_TIMEOUT)
    st = chain_running(lab, observer)
    after = {t_: group_entry(st, t_)["node"] for t_ in TIERS}
    p.wait_answer(since=t, consecutive=5, timeout=TIMEOUT)
    print(f"placement after: {after}; client: {p.describe(since=t)}")
    assert victim not in after.values(), after

    events = [e for e in group_events(lab, observer, mark) if e.get("group") in TIERS]
    print("events: " + "; ".join(f"{e['type']} {e['group']}@{e.get('node')}" for e in events))
    # The dependants that ran on the survivors were stopped (web before app), and
    # only then started again: nothing of them ran while db was down.
    stop = {tier: next((e for e in events if e["group"] == tier and e["type"] == "group_stopped"),
                       None) for tier in ("app", "web")}
    db_back = first_event(events, "db", RUNNING_EVENTS)
    assert db_back is not None and db_back["type"] == "group_recovered", db_back
    for tier in ("app", "web"):
        if where[tier] != victim:
            assert stop[tier] is not None, f"{tier} (on {where[tier]}) was not stopped"
            assert stop[tier]["seq"] < db_back["seq"], (stop[tier], db_back)
    if stop["app"] and stop["web"]:
        assert stop["web"]["seq"] < stop["app"]["seq"], stop
    assert_started_in_order(lab, events, wall)
    # One gap for the client, then the whole chain again.
    a = p.analyse(since=t)
    assert not a["open_gap"] and len(a["gaps"]) == 1, p.describe(since=t)
    last = a["last"].detail
    assert last == f"web@{after['web']}/app@{after['app']}/db@{after['db']}", last
    samp.stop()
    samp.check()


def test_colocated_runs_on_the_node_of_what_it_requires_and_follows_it(lab):
    st = wait_status(lab, "n1", lambda s: all_running(s, ("cdb", "capp")), "pair running")
    home = group_entry(st, "cdb")["node"]
    assert group_entry(st, "capp")["node"] == home, st["groups"]
    target = next(n for n in ("n2", "n1", "n3") if n != home)
    coord = coordinator(lab)
    mark = last_seq(lab, coord)
    vigil_ok(lab, "n1", "group", "move", "cdb", "--to", target)
    wait_status(lab, coord, lambda s: all_running(
        s, ("cdb", "capp"), also=lambda g: g["node"] == target), f"the pair on {target}",
        timeout=TIMEOUT)
    events = [e for e in group_events(lab, coord, mark) if e["group"] in ("cdb", "capp")]
    kinds = [(e["type"], e["group"]) for e in events]
    print(f"move cdb {home} -> {target}: {kinds}")
    stop = {g: next(e for e in events if e["group"] == g and e["type"] == "group_stopped")
            for g in ("cdb", "capp")}
    run = {g: first_event(events, g, RUNNING_EVENTS) for g in ("cdb", "capp")}
    assert stop["capp"]["seq"] < stop["cdb"]["seq"] < run["cdb"]["seq"] < run["capp"]["seq"], kinds
    assert run["capp"]["node"] == target
    # Put it back for the next test.
    reset_group(lab, "cdb", home)
    wait_status(lab, "n1", lambda s: all_running(s, ("cdb", "capp"), also=lambda g: g["node"]
                                                 == home), "the pair back home", timeout=TIMEOUT)
