"""Resources that are not built in, on a 3-node lab with fencing:

- ocf: Debian's resource-agents, run unmodified: ocf:heartbeat:Dummy (its state
  file in the node's private /var/lib/vigil) and ocf:heartbeat:IPaddr2 (a
  second virtual IP on pub0), with a web server on that VIP;
- fragile: the user's own script, whose stop fails when the test asks it to:
  a failed stop gets its node fenced, and the group recovers elsewhere;
- dead: a process whose http check points where nothing listens (on_fail:
  halt): the failure names the URL and "connection refused";
- placed: a group placed by a placement script (policy: {script: ...}) whose
  run-time domain differs from the configured one.
"""

import os

import pytest

from labhelpers import (group_entry, group_events, group_running_on, holds_address,
                        last_seq, procs_in, reset_group, vigil_ok, wait_event, wait_group,
                        wait_group_event, www_pattern)
from vigillab import PYTHON, WEB_ROOT, lab_fencing, make_config
from vigilwatch import now_ms

OCF_VIP = "198.51.100.101"
OCF_DIR = "/usr/lib/ocf/resource.d/heartbeat"
DEAD_URL = "http://127.0.0.1:9/"
FENCE_TIMEOUT = 90

pytestmark = pytest.mark.skipif(
    not all(os.access(os.path.join(OCF_DIR, a), os.X_OK) for a in ("Dummy", "IPaddr2")),
    reason=f"Debian's resource-agents is not installed ({OCF_DIR}): scripts/setup installs it")

FRAGILE = """#!/bin/sh
# A script resource: start writes the node's name to a state file in the node's
# private /var/lib/vigil; stop fails while the file FAILSTOP exists.
state=/var/lib/vigil/fragile.state
case "$1" in
start) echo "$VIGIL_NODE" > "$state" ;;
stop) if [ -e "{failstop}" ]; then echo "stop refused: {failstop} exists" >&2; exit 1; fi
      rm -f "$state" ;;
monitor) [ -e "$state" ] && exit 0; exit 7 ;;
*) exit 3 ;;
esac
"""


PLACE = """#!/bin/sh
# A placement script: prints the run-time domain written in {order} (default
# n3 n2 n1, the configured domain reversed); logs what it was told.
echo "$VIGIL_GROUP owner=$VIGIL_OWNER members=$VIGIL_MEMBERS standby=$VIGIL_STANDBY" >> "{log}"
cat "{order}" 2>/dev/null || echo "n3 n2 n1"
"""


def LAB_CONFIG(lab):
    place = lab.shared_path("place.sh")
    with open(place, "w") as f:
        f.write(PLACE.format(order=lab.shared_path("order"), log=lab.shared_path("place.log")))
    os.chmod(place, 0o755)
    script = lab.shared_path("fragile.sh")
    with open(script, "w") as f:
        f.write(FRAGILE.format(failstop=lab.shared_path("failstop")))
    os.chmod(script, 0o755)
    ocf = {"name": "ocf", "domain": ["n2", "n3", "n1"], "resources": [
        {"name": "dummy", "type": "ocf:heartbeat:Dummy", "monitor": "1s",
         "params": {"state": f"{WEB_ROOT}/dummy.state"}},
        {"name": "vip2", "type": "ocf:heartbeat:IPaddr2",
         "params": {"ip": OCF_VIP, "cidr_netmask": "24", "nic": "pub0"}},
        {"name": "www2", "type": "process",
         "command": ["/bin/sh", "-c", 'exec "$0" "$@" 2>>/run/www2.log', PYTHON, "-m",
                     "http.server", "80", "--bind", OCF_VIP, "--directory", WEB_ROOT]}]}
    fragile = {"name": "fragile", "domain": ["n3", "n1", "n2"], "resources": [
        {"name": "fragile-script", "type": "script", "path": script}]}
    dead = {"name": "dead", "domain": ["n1", "n2", "n3"], "resources": [
        {"name": "idle", "type": "process", "command": ["/bin/sleep", "100000"],
         "on_fail": "halt",
         "checks": [{"type": "http", "url": DEAD_URL, "interval": "1s", "failures": 1}]}]}
    placed = {"name": "placed", "domain": ["n1", "n2", "n3"], "policy": {"script": place},
              "resources": [{"name": "marker", "type": "ocf:heartbeat:Dummy",
                             "params": {"state": f"{WEB_ROOT}/placed.state"}}]}
    return make_config(3, fencing=lab_fencing(3, lab.prefix),
                       groups=[ocf, fragile, dead, placed])


@pytest.fixture(autouse=True)
def homes(lab, _healthy_lab):
    try:
        os.unlink(lab.shared_path("failstop"))
    except FileNotFoundError:
        pass
    reset_group(lab, "ocf", "n2")
    reset_group(lab, "fragile", "n3")


def state_file(lab, node, name):
    """The content of a file in the node's private /var/lib/vigil, or None."""
    try:
        with open(os.path.join(lab.node_dir(node), "vigil", name)) as f:
            return f.read()
    except FileNotFoundError:
        return None


def test_placement_script_sets_the_run_time_domain(lab):
    # The first test of the module: the group's first placement. Configured
    # domain n1, n2, n3; the script says n3, n2, n1: it runs on n3.
    g = group_running_on(lab, "n1", "placed", "n3")
    assert g["prefer"] is None
    with open(lab.shared_path("place.log")) as f:
        told = f.read()
    assert "placed owner= members=n1 n2 n3" in told, told
    order = lab.shared_path("order")
    with open(order, "w") as f:
        f.write("n2 n1 n3\n")
    try:
        # Standby changes what the script is told, so it runs again: the group
        # leaves n3 for n2, the first of its new run-time domain (n1 would be
        # the first of the configured one).
        vigil_ok(lab, "n1", "node", "standby", "n3")
        group_running_on(lab, "n1", "placed", "n2")
        with open(lab.shared_path("place.log")) as f:
            assert "standby=n3" in f.read()
    finally:
        vigil_ok(lab, "n1", "node", "online", "n3")
        os.unlink(order)


def test_ocf_agents_run_a_group_end_to_end(lab, poller, sampler):
    samp = sampler(addresses={"vip2": OCF_VIP}, processes={"www2": www_pattern(OCF_VIP)})
    p = poller("ocf", f"http://{OCF_VIP}/node")
    p.wait_answer("n2")
    assert state_file(lab, "n2", "dummy.state") is not None
    assert holds_address(lab, "n2", OCF_VIP)
    st = lab.status("n1")
    assert [r["type"] for r in group_entry(st, "ocf")["resources"]] == [
        "ocf:heartbeat:Dummy", "ocf:heartbeat:IPaddr2", "process"]

    # Dummy's monitor finds its state file gone: the group is restarted in place.
    mark = last_seq(lab, "n1")
    t = now_ms()
    os.unlink(os.path.join(lab.node_dir("n2"), "vigil", "dummy.state"))
    ev = wait_group_event(lab, "n1", "resource_failed", mark, "ocf")
    assert ev["resource"] == "dummy" and ev["node"] == "n2", ev
    wait_group_event(lab, "n1", "group_restarted", mark, "ocf")
    group_running_on(lab, "n1", "ocf", "n2")
    p.wait_answer("n2", since=now_ms(), consecutive=5)
    print(f"Dummy restarted: {p.describe(since=t)}")
    assert state_file(lab, "n2", "dummy.state") is not None

    # Moved: the agents stop on n2 (state file and address gone) and start on n3.
    t = now_ms()
    vigil_ok(lab, "n1", "group", "move", "ocf", "--to", "n3")
    group_running_on(lab, "n1", "ocf", "n3")
    p.wait_answer("n3", since=t, consecutive=5)
    print(f"move ocf to n3: {p.describe(since=t)}")
    assert state_file(lab, "n2", "dummy.state") is None
    assert state_file(lab, "n3", "dummy.state") is not None
    assert not holds_address(lab, "n2", OCF_VIP) and holds_address(lab, "n3", OCF_VIP)
    samp.stop()
    samp.check()
    assert samp.held_by("vip2") == ["n2", "n3"]


def test_failed_stop_fences_the_node_and_the_group_recovers_elsewhere(lab):
    assert state_file(lab, "n3", "fragile.state") == "n3\n"
    mark = last_seq(lab, "n1")
    open(lab.shared_path("failstop"), "w").close()
    try:
        vigil_ok(lab, "n1", "group", "move", "fragile", "--to", "n1")
        ev = wait_group_event(lab, "n1", "group_stop_failed", mark, "fragile")
        assert ev["node"] == "n3", ev
        wait_event(lab, "n1", "fence_succeeded", mark, subject="n3", timeout=FENCE_TIMEOUT)
        g = group_running_on(lab, "n1", "fragile", "n1")
    finally:
        os.unlink(lab.shared_path("failstop"))
    assert lab.power_state("n3")["power"] == "off"
    assert state_file(lab, "n1", "fragile.state") == "n1\n"
    types = [e["type"] for e in group_events(lab, "n1", mark, "fragile")]
    # Never started on n1 before n3 was fenced.
    assert types.index("group_stop_failed") < types.index("group_recovered"), types
    fenced = [e for e in lab.events("n1") if e["seq"] > mark and e["type"] == "fence_succeeded"]
    started = [e for e in group_events(lab, "n1", mark, "fragile")
               if e["type"] in ("group_recovered", "group_started", "group_moved")]
    assert fenced[0]["seq"] < started[0]["seq"], (fenced, started)
    assert g["state"] == "running"


def test_check_pointing_nowhere_fails_with_the_url_and_connection_refused(lab):
    mark = last_seq(lab, "n2")
    # Halted since the lab started; start it again to see it fail now.
    vigil_ok(lab, "n2", "group", "start", "dead")
    ev = wait_group_event(lab, "n2", "resource_failed", mark, "dead")
    assert ev["resource"] == "idle"
    assert DEAD_URL in ev["message"] and "connection refused" in ev["message"], ev
    g = wait_group(lab, "n2", "dead", lambda g: g["state"] == "halted", "halted")
    r = g["resources"][0]
    assert r["state"] != "running" and r["failures"] >= 1, r
    reason = r["last_failure"]["reason"]
    assert DEAD_URL in reason and "connection refused" in reason, reason
    assert "vigil cleanup dead" in g["why"], g
    assert all(procs_in(lab, n, r"^/bin/sleep 100000$") == [] for n in lab.nodes)
