"""Two resource groups with different domains on a 3-node lab with fencing, each
watched by its own client: web (domain n1, n2, n3; failback: auto) and db
(domain n3, n2). Losing one group's node moves that group only: the other
group gets no event and its client sees no gap. With failback: auto, web
returns to n1 once n1 is back.
"""

import pytest

from labhelpers import (group_events, group_running_on, last_seq, reset_group, wait_event,
                        wait_group_event, www_pattern)
from vigillab import WEB_VIP, lab_fencing, make_config, wait_until, web_group
from vigilwatch import now_ms

DB_VIP = "198.51.100.102"
FENCE_TIMEOUT = 90


def LAB_CONFIG(lab):
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[
        web_group(failback="auto"),
        web_group(name="db", domain=["n3", "n2"], address=DB_VIP, vip_name="db-vip",
                  www_name="db-www")])


@pytest.fixture(autouse=True)
def homes(lab, _healthy_lab):
    """Every test starts with web on n1 and db on n3."""
    reset_group(lab, "web", "n1")
    reset_group(lab, "db", "n3")


def watch(poller, sampler):
    web = poller("web", f"http://{WEB_VIP}/node")
    db = poller("db", f"http://{DB_VIP}/node")
    web.wait_answer("n1")
    db.wait_answer("n3")
    samp = sampler(addresses={"web-vip": WEB_VIP, "db-vip": DB_VIP},
                   processes={"web-www": www_pattern(WEB_VIP), "db-www": www_pattern(DB_VIP)})
    return web, db, samp


def test_losing_web_node_leaves_db_alone_and_web_fails_back(lab, poller, sampler):
    web, db, samp = watch(poller, sampler)
    mark = {n: last_seq(lab, n) for n in ("n2", "n3")}
    t = now_ms()
    lab.poweroff("n1")
    wait_event(lab, "n2", "fence_succeeded", mark["n2"], subject="n1", timeout=FENCE_TIMEOUT)
    group_running_on(lab, "n2", "web", "n2")
    web.wait_answer("n2", since=t, consecutive=5)
    print(f"poweroff n1: web {web.describe(since=t)}")

    # failback: auto: back to n1 as soon as n1 can run it again.
    t2 = now_ms()
    lab.poweron("n1")
    lab.wait_formed()
    group_running_on(lab, "n1", "web", "n1")
    web.wait_answer("n1", since=t2, consecutive=5)
    print(f"poweron n1: web {web.describe(since=t2)}")
    ev = wait_group_event(lab, "n2", "group_moved", mark["n2"], "web")
    assert "n1" in ev["message"], ev

    # db never noticed.
    a = db.analyse(since=t)
    print(f"db: {db.describe(since=t)}")
    assert a["failed"] == 0 and a["nodes"] == ["n3"] and a["ok"] > 0, a
    for node in ("n2", "n3"):
        assert group_events(lab, node, mark[node], "db") == [], node
    group_running_on(lab, "n3", "db", "n3")
    samp.stop()
    samp.check()
    assert samp.held_by("db-vip") == ["n3"] and samp.held_by("db-www") == ["n3"]


def test_losing_db_node_leaves_web_alone(lab, poller, sampler):
    web, db, samp = watch(poller, sampler)
    mark = {n: last_seq(lab, n) for n in ("n1", "n2")}
    t = now_ms()
    lab.poweroff("n3")
    wait_event(lab, "n1", "fence_succeeded", mark["n1"], subject="n3", timeout=FENCE_TIMEOUT)
    group_running_on(lab, "n1", "db", "n2")
    db.wait_answer("n2", since=t, consecutive=5)
    print(f"poweroff n3: db {db.describe(since=t)}")
    ev = wait_group_event(lab, "n1", "group_recovered", mark["n1"], "db")
    assert ev["node"] == "n2"
    # db's failback is controlled: it stays on n2 when n3 returns.
    lab.poweron("n3")
    lab.wait_formed()
    group_running_on(lab, "n3", "db", "n2",
                     also=lambda g: g["on_nodes"]["n3"] == "stopped")
    wait_until(lambda: now_ms() - t > 2000, 10, "a moment for a wrong move")
    group_running_on(lab, "n1", "db", "n2")

    a = web.analyse(since=t)
    print(f"web: {web.describe(since=t)}")
    assert a["failed"] == 0 and a["nodes"] == ["n1"] and a["ok"] > 0, a
    for node in ("n1", "n2"):
        assert group_events(lab, node, mark[node], "web") == [], node
    samp.stop()
    samp.check()
    assert samp.held_by("web-vip") == ["n1"] and samp.held_by("web-www") == ["n1"]
