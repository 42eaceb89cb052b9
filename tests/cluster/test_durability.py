"""What operators told the cluster outlives any minority of nodes and a restart of
every node: stopped groups, standby nodes, moves, and the configuration version,
on a 3-node lab with three groups.
"""

import pytest

from labhelpers import (group_entry, group_running_on, node_entry, procs_in, restart_all_vigilds,
                        vigil_ok, wait_group, wait_status, www_pattern)
from vigillab import lab_fencing, make_config, web_group

ALL = ["n1", "n2", "n3"]
VIPS = {"web": "198.51.100.100", "api": "198.51.100.101", "batch": "198.51.100.102"}


def group(name, domain):
    return web_group(name=name, domain=domain, address=VIPS[name], vip_name=f"{name}-vip",
                     www_name=f"{name}-www")


def groups(with_batch):
    g = [group("web", ["n1", "n2", "n3"]), group("api", ["n2", "n3", "n1"])]
    if with_batch:
        g.append(group("batch", ["n3", "n1", "n2"]))
    return g


def LAB_CONFIG(lab):
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=groups(False))


def in_force(lab, node, version):
    """Everything the operators said, as node reports it."""
    st = wait_status(lab, node, lambda s: s["config"]["state"] == "in sync", "config in sync",
                     timeout=90)
    assert st["config"]["version"] == version, st["config"]
    assert node_entry(st, "n2")["standby"] is True
    web = wait_group(lab, node, "web", lambda g: g["state"] == "stopped", "web stopped")
    assert web["target_started"] is False
    # api's domain starts with n2 (in standby): it was moved to n1 by an admin.
    api = group_running_on(lab, node, "api", "n1", timeout=90)
    assert api["prefer"] == "n1"
    # batch exists only in the applied configuration.
    group_running_on(lab, node, "batch", "n3", timeout=90)


@pytest.fixture
def told(lab, _healthy_lab):
    """Apply a configuration adding batch, stop web, put n2 in standby, move api to n1."""
    path = lab.shared_path("with-batch.yaml")
    with open(path, "w") as f:
        f.write(make_config(3, fencing=lab_fencing(3, lab.prefix), groups=groups(True)))
    vigil_ok(lab, "n1", "config", "apply", path, timeout=120)
    version = lab.status("n1")["config"]["version"]
    vigil_ok(lab, "n2", "group", "stop", "web")
    vigil_ok(lab, "n3", "node", "standby", "n2")
    vigil_ok(lab, "n1", "group", "move", "api", "--to", "n1")
    for node in ALL:
        in_force(lab, node, version)
    return version


def test_everything_survives_a_restart_of_every_node(lab, told):
    restart_all_vigilds(lab, late=["n2"])
    for node in ALL:
        in_force(lab, node, told)
    assert procs_in(lab, "n1", www_pattern(VIPS["web"])) == []


def test_everything_survives_the_loss_of_a_minority(lab, told):
    # n3 (running batch) is powered off: batch goes to n1; the rest holds on n1 and n2.
    lab.poweroff("n3")
    for node in ("n1", "n2"):
        st = wait_status(lab, node, lambda s: node_entry(s, "n3")["fence"]["state"] == "fenced",
                         "n3 fenced", timeout=60)
        assert st["config"]["version"] == told
        assert node_entry(st, "n2")["standby"] is True
        assert group_entry(st, "web")["target_started"] is False
        group_running_on(lab, node, "api", "n1")
        group_running_on(lab, node, "batch", "n1", timeout=90)
    # n3 returns (its disk kept everything): it agrees with the others.
    lab.poweron("n3")
    lab.wait_formed(timeout=90)
    st = wait_status(lab, "n3", lambda s: s["config"]["state"] == "in sync", "in sync",
                     timeout=90)
    assert st["config"]["version"] == told
    assert node_entry(st, "n2")["standby"] is True
    assert group_entry(st, "web")["target_started"] is False
    assert group_entry(st, "api")["prefer"] == "n1"
