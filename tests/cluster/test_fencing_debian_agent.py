"""An agent from Debian's fence-agents package, run unmodified by vigild: each
node's level 1 is fence_dummy (type=file, its "power" kept in a status file)
together with the lab's own device, so that the node is really off too. A level
succeeds only if both devices do."""

import os

from labhelpers import last_seq, node_entry, wait_event
from vigillab import FENCE_LAB, make_config, wait_until

FENCE_DUMMY = "/usr/sbin/fence_dummy"
FENCE_TIMEOUT = 120


def LAB_CONFIG(lab):
    """Level 1 of every node: fence_dummy and the lab device, both required."""
    assert os.access(FENCE_DUMMY, os.X_OK), "fence-agents is not installed (scripts/setup)"
    fencing = {
        "devices": [
            {"name": "dummy", "agent": FENCE_DUMMY, "timeout": "30s",
             "params": {"type": "file", "status_file": lab.shared_path("dummy.status")}},
            {"name": "lab", "agent": FENCE_LAB, "timeout": "30s", "params": {"lab": lab.prefix}},
        ],
        "nodes": {f"n{i}": {"levels": [[{"device": "dummy"}, {"device": "lab", "port": f"n{i}"}]]}
                  for i in (1, 2, 3)},
    }
    return make_config(3, fencing=fencing)


def test_probe_runs_the_real_agents_monitor(lab):
    r = lab.vigil("n1", "verify", "-c", "/etc/vigil/vigil.yaml", "--probe-fencing", timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert any(line.startswith("fence device dummy: monitor ok")
               for line in r.stdout.splitlines()), r.stdout


def test_node_fenced_through_fence_dummy(lab):
    status_file = lab.shared_path("dummy.status")
    with open(status_file, "w") as f:
        f.write("on")
    mark = last_seq(lab, "n2")
    lab.poweroff("n3")
    ev = wait_event(lab, "n2", "fence_succeeded", mark, subject="n3", timeout=FENCE_TIMEOUT)
    assert "by level 1" in ev["message"]
    # fence_dummy switched its "power" off, and the lab device really powered n3 off.
    with open(status_file) as f:
        assert f.read().strip() == "off"
    wait_until(lambda: lab.power_state("n3")["power"] == "off", FENCE_TIMEOUT, "n3 off")
    assert node_entry(lab.status("n2"), "n3")["fence"]["state"] == "fenced"
