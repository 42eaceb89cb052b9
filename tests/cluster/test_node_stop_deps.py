"""Planned stops of a node whose groups depend on each other, on a 3-node lab:
db can run on n1 only, app requires db (and stops slowly), web moves freely.

- `vigil node stop n1`: web moves to n2; db has nowhere else to run, and app,
  which waits for db, has nowhere to run either: n1 leaves as soon as web runs
  on n2, without waiting for app (it used to wait 2 minutes for it).
- `vigil node stop n1 --now`: n1 stops its groups in place, in dependency
  order: app's stop ends before db's begins.
"""

import os

import pytest

from labhelpers import group_entry, group_running_on, reset_group, vigil_ok
from vigillab import lab_fencing, make_config, wait_until, web_group

# A script resource: start and stop log "NODE GROUP ACTION" to a shared file; the
# state is a file in the node's private /var/lib/vigil; app's stop takes 1 s.
SCRIPT = """#!/bin/sh
state=/var/lib/vigil/$VIGIL_GROUP.state
case "$1" in
start) touch "$state"; echo "$VIGIL_NODE $VIGIL_GROUP start" >> "{log}" ;;
stop) echo "$VIGIL_NODE $VIGIL_GROUP stop" >> "{log}"
      [ "$VIGIL_GROUP" = app ] && sleep 1
      rm -f "$state"; echo "$VIGIL_NODE $VIGIL_GROUP stopped" >> "{log}" ;;
monitor) [ -e "$state" ] && exit 0; exit 7 ;;
*) exit 3 ;;
esac
"""


def LAB_CONFIG(lab):
    script = lab.shared_path("deps.sh")
    with open(script, "w") as f:
        f.write(SCRIPT.format(log=lab.shared_path("deps.log")))
    os.chmod(script, 0o755)

    def scripted(name, domain, **keys):
        return {"name": name, "domain": domain, **keys,
                "resources": [{"name": f"{name}-s", "type": "script", "path": script}]}

    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[
        scripted("db", ["n1"]),
        scripted("app", ["n1", "n2"], requires="db"),
        web_group(domain=["n1", "n2", "n3"]),
    ])


@pytest.fixture(autouse=True)
def all_on_n1(lab, _healthy_lab):
    reset_group(lab, "db", "n1")
    reset_group(lab, "app", "n1")
    reset_group(lab, "web", "n1")
    log = lab.shared_path("deps.log")
    if os.path.exists(log):
        os.unlink(log)


def stops(lab, node):
    """The stop lines the scripts logged on node, in order ("app stop", ...)."""
    with open(lab.shared_path("deps.log")) as f:
        lines = [line.split(None, 1) for line in f.read().splitlines()]
    return [rest for n, rest in lines if n == node and " stop" in rest]


def test_node_stop_does_not_wait_for_a_dependant_of_a_group_that_cannot_run(lab):
    out = vigil_ok(lab, "n1", "node", "stop", "n1", timeout=300)
    assert out.strip() == ("node n1 leaves the cluster cleanly; its groups: db failed, "
                           "app blocked, web on n2"), out
    wait_until(lambda: not lab.vigild_running("n1"), 60, "vigild on n1 to exit")
    log = lab.logs("n1")
    assert "every group that ran here has moved or settled; leaving" in log, log
    assert "did not move away" not in log, log
    group_running_on(lab, "n2", "web", "n2")
    app = group_entry(lab.status("n2"), "app")
    assert app["state"] == "blocked" and app["why"] == "waiting for group db (required)", app
    # The coordinator stopped app before db, as always.
    assert stops(lab, "n1") == ["app stop", "app stopped", "db stop", "db stopped"]


def test_node_stop_now_stops_in_dependency_order(lab):
    out = vigil_ok(lab, "n2", "node", "stop", "n1", "--now", timeout=300)
    assert out.startswith("node n1 left the cluster cleanly"), out
    wait_until(lambda: not lab.vigild_running("n1"), 60, "vigild on n1 to exit")
    assert "stopping this node's groups, then leaving the cluster cleanly" in lab.logs("n1")
    # app (1 s to stop) has stopped before db's stop begins.
    assert stops(lab, "n1") == ["app stop", "app stopped", "db stop", "db stopped"]
    group_running_on(lab, "n2", "web", "n2")
