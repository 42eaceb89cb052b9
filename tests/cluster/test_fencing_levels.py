"""Fencing levels, retries, failing and hanging agents, secrets, and a coordinator
that dies in the middle of a fence, on a 5-node lab (so that losing two nodes
still leaves a quorate majority) whose two fence devices use an agent the test
steers: each device's mode file says whether it fails, hangs, writes garbage,
or powers the node off through the lab's own agent. n5 is the node that fails.
"""

import json
import os
import textwrap

import pytest

from labhelpers import events_since, last_seq, node_entry, wait_event
from vigillab import FENCE_LAB, make_config, wait_until

FENCE_TIMEOUT = 120
NODES = 5
LAB_NODES = NODES
VICTIM = "n5"
SECRET = "Sup3rS3cretValue-7f3a"

AGENT = textwrap.dedent('''\
    #!/usr/bin/python3
    """A fence agent steered by files next to it (a test fixture)."""
    import json, os, subprocess, sys, time
    here = os.path.dirname(os.path.abspath(__file__))
    lines = sys.stdin.read().splitlines()
    kv = dict(l.split("=", 1) for l in lines if "=" in l)
    dev = kv.get("device_name", "unknown")
    try:
        mode = open(os.path.join(here, "mode-" + dev)).read().strip()
    except OSError:
        mode = "ok"
    with open(os.path.join(here, "calls-" + dev + ".jsonl"), "a") as f:
        f.write(json.dumps({"kv": kv, "argv": sys.argv, "mode": mode}) + "\\n")
    if mode == "fail":
        print("login failed for admin with password " + kv.get("password", "?"), file=sys.stderr)
        sys.exit(1)
    if mode == "hang":
        time.sleep(3600)
    if mode == "garbage":
        sys.stdout.buffer.write(b"\\xff\\xfe\\x00 garbage " * 200)
        sys.exit(3)
    keep = ("action", "nodename", "plug", "lab")
    data = "".join(k + "=" + v + "\\n" for k, v in kv.items() if k in keep)
    sys.exit(subprocess.run([FENCE_LAB], input=data, text=True).returncode)
    ''')


def set_mode(lab, device, mode):
    with open(lab.shared_path("mode-" + device), "w") as f:
        f.write(mode + "\n")


def calls(lab, device):
    try:
        with open(lab.shared_path("calls-" + device + ".jsonl")) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def LAB_CONFIG(lab):
    """Two devices on the steered agent; every node: level 1 primary, level 2 secondary."""
    agent = lab.shared_path("steered_agent")
    with open(agent, "w") as f:
        f.write(AGENT.replace("FENCE_LAB", repr(FENCE_LAB)))
    os.chmod(agent, 0o755)
    secrets = lab.shared_path("primary.secrets")
    with open(secrets, "w") as f:
        f.write(f"# the device's password\npassword={SECRET}\n")
    os.chmod(secrets, 0o600)
    fencing = {
        "retries": 0,
        "devices": [
            {"name": "primary", "agent": agent, "secrets": secrets, "timeout": "20s",
             "params": {"device_name": "primary", "lab": lab.prefix}},
            {"name": "secondary", "agent": agent, "timeout": "3s",
             "params": {"device_name": "secondary", "lab": lab.prefix}},
        ],
        "nodes": {f"n{i}": {"levels": [[{"device": "primary", "port": f"n{i}"}],
                                       [{"device": "secondary", "port": f"n{i}"}]]}
                  for i in range(1, NODES + 1)},
    }
    # A hook on every event, recording what hooks are given (environment,
    # arguments, the event on stdin): the device's password must not be there.
    hook = lab.shared_path("record-hook")
    with open(hook, "w") as f:
        f.write("#!/bin/sh\n{ echo \"argv: $*\"; env; cat; echo; } >> \"$1\"\n")
    os.chmod(hook, 0o755)
    return make_config(NODES, fencing=fencing) + (
        f"hooks:\n  - {{name: record, command: [{hook}, {lab.shared_path('hooks.log')}], "
        "events: [all], every_node: true}\n")


@pytest.fixture(autouse=True)
def _modes(lab):
    set_mode(lab, "primary", "ok")
    set_mode(lab, "secondary", "ok")
    yield
    set_mode(lab, "primary", "ok")
    set_mode(lab, "secondary", "ok")


def fence_state(lab, observer, node):
    return node_entry(lab.status(observer), node)["fence"]


def attempts(lab, observer, since, node):
    return [e["message"] for e in events_since(lab, observer, since, "fence_attempt", node)]


def test_level_two_fences_when_level_one_fails(lab):
    set_mode(lab, "primary", "fail")
    mark = last_seq(lab, "n2")
    lab.poweroff(VICTIM)
    ev = wait_event(lab, "n2", "fence_succeeded", mark, subject=VICTIM, timeout=FENCE_TIMEOUT)
    assert "by level 2" in ev["message"]
    msgs = attempts(lab, "n2", mark, VICTIM)
    assert msgs[0].startswith("fencing n5: level 1, device primary, attempt 1: failed: exited "
                              "with status 1")
    assert msgs[1].startswith("fencing n5: level 2, device secondary, attempt 1: success")
    assert fence_state(lab, "n2", VICTIM)["state"] == "fenced"
    # The device was asked about the victim's plug, with the protocol's keys.
    last = calls(lab, "secondary")[-1]["kv"]
    assert last["action"] == "off" and last["plug"] == VICTIM and last["nodename"] == VICTIM


def test_all_levels_fail_then_the_fixed_device_succeeds(lab):
    set_mode(lab, "primary", "fail")
    set_mode(lab, "secondary", "fail")
    mark = last_seq(lab, "n1")
    lab.poweroff(VICTIM)
    # Retried with back-off; the node stays unclean, and status says why.
    wait_until(lambda: len(events_since(lab, "n1", mark, "fence_failed", VICTIM)) >= 2,
               FENCE_TIMEOUT, "two failed fence operations on n5")
    f = fence_state(lab, "n1", VICTIM)
    assert f["state"] == "unclean"
    assert f["failures"] >= 2
    assert "fencing failed" in f["note"] and "secondary" in f["note"]
    r = lab.vigil("n1", "status")
    assert "UNCLEAN" in r.stdout and "n5 is unclean: fencing failed" in r.stdout
    # The device is repaired: the next retry fences the victim.
    set_mode(lab, "secondary", "ok")
    wait_event(lab, "n1", "fence_succeeded", mark, subject=VICTIM, timeout=FENCE_TIMEOUT)
    assert fence_state(lab, "n1", VICTIM)["state"] == "fenced"


def test_garbage_and_hanging_agents(lab):
    set_mode(lab, "primary", "garbage")
    set_mode(lab, "secondary", "hang")
    mark = last_seq(lab, "n2")
    lab.poweroff(VICTIM)
    wait_until(lambda: len(attempts(lab, "n2", mark, VICTIM)) >= 2, FENCE_TIMEOUT,
               "both levels tried")
    msgs = attempts(lab, "n2", mark, VICTIM)
    assert "level 1, device primary, attempt 1: failed: exited with status 3" in msgs[0]
    assert "level 2, device secondary, attempt 1: timed out: timed out after 3s" in msgs[1]
    # The daemon is unaffected: it answers, and fences once a device works again.
    set_mode(lab, "secondary", "ok")
    wait_event(lab, "n2", "fence_succeeded", mark, subject=VICTIM, timeout=FENCE_TIMEOUT)


def test_secrets_never_shown(lab):
    set_mode(lab, "primary", "fail")  # it prints the password it was given
    mark = last_seq(lab, "n1")
    lab.poweroff(VICTIM)
    wait_event(lab, "n1", "fence_succeeded", mark, subject=VICTIM, timeout=FENCE_TIMEOUT)
    rec = [c for c in calls(lab, "primary") if c["kv"].get("plug") == VICTIM][-1]
    assert rec["kv"]["password"] == SECRET  # the agent did get it, on stdin
    assert not any(SECRET in a for a in rec["argv"])
    msgs = attempts(lab, "n1", mark, VICTIM)
    assert "login failed for admin with password " + "*" * len(SECRET) in msgs[0]
    for node in ("n1", "n2"):
        assert SECRET not in json.dumps(lab.events(node))
        assert SECRET not in json.dumps(lab.status(node))
        assert SECRET not in lab.logs(node)
        assert SECRET not in lab.vigil(node, "status").stdout
        hist = lab.vigil(node, "history", "--json")
        assert hist.returncode == 0 and "fence_attempt" in hist.stdout
        assert SECRET not in hist.stdout
    # Hooks ran for the fencing, and were given no secret.
    wait_until(lambda: f"{VICTIM} fenced" in open(lab.shared_path("hooks.log")).read(),
               30, "the hooks of the fencing")
    with open(lab.shared_path("hooks.log")) as f:
        assert SECRET not in f.read()


def test_new_coordinator_finishes_a_fence(lab):
    """n1 (the coordinator) is stuck fencing n5 when it dies itself: n2 takes over and
    fences both n5 and n1 (n2, n3, n4 keep 3 of 5 votes)."""
    set_mode(lab, "primary", "hang")
    mark = last_seq(lab, "n2")
    lab.poweroff(VICTIM)
    wait_until(lambda: any("n1 is fencing n5" in e["message"]
                           for e in events_since(lab, "n2", mark, "fence_requested", VICTIM)),
               FENCE_TIMEOUT, "n1 fencing n5")
    set_mode(lab, "primary", "ok")
    lab.poweroff("n1")
    for node in (VICTIM, "n1"):
        ev = wait_event(lab, "n2", "fence_succeeded", mark, subject=node, timeout=FENCE_TIMEOUT)
        assert "by level 1" in ev["message"]
        started = [e["message"] for e in events_since(lab, "n2", mark, "fence_requested", node)]
        assert f"n2 is fencing {node} (off)" in started
    st = lab.status("n2")
    assert st["coordinator"] == "n2"
    assert node_entry(st, VICTIM)["fence"]["state"] == "fenced"
    assert node_entry(st, "n1")["fence"]["state"] == "fenced"
