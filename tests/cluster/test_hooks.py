"""Hooks on a 3-node lab: an admin's move with a hook failing on every event
(logged on the lowest member only) goes through; the node serving a group is
powered off; a hook (run on one node of the partition) sees node_lost,
node_fenced and group_recovered in that order with the right variables; a
hanging hook is killed at its timeout and a failing one is logged; neither holds
anything up: the service answers again from another node."""

import json
import os
import re

from labhelpers import (group_running_on, node_entry, online, reset_group, vigil_ok,
                        wait_status)
from vigillab import WEB_VIP, lab_fencing, make_config, wait_until, web_group
from vigilwatch import now_ms

URL = f"http://{WEB_VIP}/node"


def hooks_yaml(lab):
    rec = lab.shared_path("rec-hook")
    with open(rec, "w") as f:
        f.write("#!/bin/sh\n"
                "json=$(cat)\n"
                "exec 9>>\"$1.lock\"; flock 9\n"
                "printf '%s|%s|%s|%s|%s\\n' \"$VIGIL_LOCAL_NODE\" \"$VIGIL_EVENT\" "
                "\"$VIGIL_NODE\" \"$VIGIL_GROUP\" \"$VIGIL_SEQ\" >> \"$1\"\n"
                "printf '%s\\n' \"$json\" >> \"$1.json\"\n")
    hang = lab.shared_path("hang-hook")
    with open(hang, "w") as f:
        f.write("#!/bin/sh\necho \"$VIGIL_LOCAL_NODE $VIGIL_EVENT\" >> \"$1\"\nexec sleep 1000\n")
    fail = lab.shared_path("fail-hook")
    with open(fail, "w") as f:
        f.write("#!/bin/sh\necho 'no pager reachable' >&2\nexit 1\n")
    for p in (rec, hang, fail):
        os.chmod(p, 0o755)
    log, hlog = lab.shared_path("events.log"), lab.shared_path("hang.log")
    return ("hooks:\n"
            f"  - {{name: rec, command: [{rec}, {log}], "
            "events: [node_lost, node_fenced, group_recovered]}\n"
            f"  - {{name: hang, command: [{hang}, {hlog}], events: [node_lost], "
            "timeout: 1s, every_node: true}\n"
            f"  - {{name: fail, command: [{fail}], events: [all]}}\n")


def LAB_CONFIG(lab):
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[web_group()]) \
        + hooks_yaml(lab)


def records(lab):
    try:
        with open(lab.shared_path("events.log")) as f:
            return [ln.split("|") for ln in f.read().splitlines()]
    except FileNotFoundError:
        return []


def test_failing_hook_changes_nothing(lab, _healthy_lab, poller):
    """The fail hook (exit 1, every event) runs on n1, the lowest member, and only
    there: each run is logged with the event and its reason; the move it is told
    of goes through and the service answers from n2."""
    reset_group(lab, "web", "n1")
    p = poller("web", URL)
    p.wait_answer("n1", consecutive=3)
    nodes = ("n1", "n2", "n3")
    mark = {n: len(lab.logs(n)) for n in nodes}
    recorded = len(records(lab))
    t = now_ms()
    vigil_ok(lab, "n3", "group", "move", "web", "--to", "n2")
    group_running_on(lab, "n3", "web", "n2")
    p.wait_answer("n2", since=t, consecutive=5)
    wait_until(lambda: "hook fail: group_moved" in lab.logs("n1")[mark["n1"]:], 30,
               "n1: the fail hook on group_moved")
    new = lab.logs("n1")[mark["n1"]:]
    assert re.search(r"warning: hook fail: group_moved \(event \d+\): exited with status 1: "
                     r"no pager reachable\n", new), new
    assert re.search(r"warning: hook fail: admin \(event \d+\): exited with status 1", new), new
    for node in ("n2", "n3"):
        assert "hook fail:" not in lab.logs(node)[mark[node]:], node
    # The rec hook asks for none of these events; the hang hook only for node_lost.
    assert len(records(lab)) == recorded
    assert "hook hang:" not in "".join(lab.logs(n)[mark[n]:] for n in nodes)
    st = lab.status("n1")
    assert st["quorate"] and len(online(st)) == 3


def test_hooks_on_a_node_loss(lab, _healthy_lab, poller):
    reset_group(lab, "web", "n1")
    p = poller("web", URL)
    p.wait_answer("n1", consecutive=3)
    t = now_ms()
    lab.poweroff("n1")
    wait_until(lambda: len([r for r in records(lab) if r[1] == "group_recovered"]) >= 1, 90,
               "the group_recovered hook")
    recs = records(lab)
    events = [r[1] for r in recs]
    assert events == ["node_lost", "node_fenced", "group_recovered"], recs
    # One node ran them: the lowest member of the partition left (n2).
    assert {r[0] for r in recs} == {"n2"}, recs
    assert recs[0][2] == "n1" and recs[1][2] == "n1", recs
    assert recs[2][3] == "web", recs
    assert [int(r[4]) for r in recs] == sorted(int(r[4]) for r in recs)
    with open(lab.shared_path("events.log.json")) as f:
        js = [json.loads(ln) for ln in f.read().splitlines()]
    assert js[2]["event"] == "group_recovered" and js[2]["group"] == "web"
    assert js[2]["type"] == "group_recovered" and js[2]["local_node"] == "n2"
    # The hanging hook ran on both survivors and was killed; the failing one was logged.
    for node in ("n2", "n3"):
        wait_until(lambda: "hook hang: node_lost" in lab.logs(node)
                   and "timed out after 1s" in lab.logs(node), 30, f"{node}: hang timed out")
    assert "hook fail: " in lab.logs("n2") and "no pager reachable" in lab.logs("n2")
    with open(lab.shared_path("hang.log")) as f:
        assert sorted(f.read().split("\n")[:2]) == ["n2 node_lost", "n3 node_lost"]
    # Nothing waited for them: the service answers from n2.
    group_running_on(lab, "n2", "web", "n2")
    p.wait_answer("n2", since=t, consecutive=5)
    st = wait_status(lab, "n3", lambda s: node_entry(s, "n1")["fence"]["state"] == "fenced",
                     "n1 fenced")
    assert st["quorate"]
    print(f"poweroff with hooks: {p.describe(since=t)}")
