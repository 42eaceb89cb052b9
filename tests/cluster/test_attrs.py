"""Node attributes on a 3-node lab (issue 12): `vigil attr set` on one node is
seen on every node; a transient attribute of a node is forgotten once the node
is powered off while its forever ones stay, and these survive a restart of
every vigild; and the Pacemaker-compatible commands (build/src/compat) work
inside a node: crm_master, crm_node, attrd_updater.
"""

import os

from labhelpers import restart_all_vigilds, vigil_ok
from vigillab import wait_until

ALL = ["n1", "n2", "n3"]
TIMEOUT = 60


def compat(lab, node, tool, *args, env=()):
    """Runs a compatible command in node (with env: NAME=VALUE strings)."""
    path = os.path.join(os.path.dirname(os.path.dirname(lab.vigil_bin)), "compat", tool)
    return lab.exec(node, ["env", *env, path, *args], timeout=60)


def attr_value(lab, node, name, on):
    """The value `vigil attr get NAME --node on` prints in node, or None when it is not set."""
    r = lab.vigil(node, "attr", "get", name, "--node", on)
    if r.returncode == 1 and f"node {on} has no attribute {name}" in r.stderr:
        return None
    assert r.returncode == 0, f"{node}: vigil attr get {name}: {r.returncode} {r.stderr}"
    return r.stdout.rstrip("\n")


def wait_value(lab, nodes, name, on, value):
    for node in nodes:
        wait_until(lambda: attr_value(lab, node, name, on) == value, TIMEOUT,
                   f"{node} to see attribute {name} of {on} = {value!r}")


def test_set_seen_everywhere_transient_forgotten_forever_kept(lab):
    out = vigil_ok(lab, "n1", "attr", "set", "site", "paris", "--lifetime", "forever")
    assert out == "attribute site of node n1 set to 'paris' (forever)\n"
    # Answered once applied on n1: a get there sees it at once.
    assert attr_value(lab, "n1", "site", "n1") == "paris"
    wait_value(lab, ["n2", "n3"], "site", "n1", "paris")
    vigil_ok(lab, "n3", "attr", "set", "master-db", "7")  # transient (reboot) by default
    vigil_ok(lab, "n3", "attr", "set", "rack", "r3", "--lifetime", "forever")
    vigil_ok(lab, "n2", "attr", "set", "note", "from n2", "--node", "n3", "-l", "reboot")
    wait_value(lab, ALL, "master-db", "n3", "7")
    wait_value(lab, ALL, "note", "n3", "from n2")
    listed = vigil_ok(lab, "n2", "attr", "list", "--node", "n3").splitlines()
    assert listed[0].split() == ["NODE", "NAME", "VALUE", "LIFETIME"]
    assert sorted(" ".join(l.split()) for l in listed[1:]) == [
        "n3 master-db 7 reboot", "n3 note from n2 reboot", "n3 rack r3 forever"]

    lab.poweroff("n3")
    wait_value(lab, ["n1", "n2"], "master-db", "n3", None)
    wait_value(lab, ["n1", "n2"], "note", "n3", None)
    for node in ["n1", "n2"]:
        assert attr_value(lab, node, "rack", "n3") == "r3"
        assert attr_value(lab, node, "site", "n1") == "paris"

    lab.poweron("n3")
    lab.wait_answering("n3", timeout=120)
    lab.wait_formed(timeout=120)
    wait_value(lab, ["n3"], "rack", "n3", "r3")
    assert attr_value(lab, "n3", "master-db", "n3") is None
    vigil_ok(lab, "n1", "attr", "set", "gone-soon", "1")  # transient: lost with the restart
    restart_all_vigilds(lab)
    for node in ALL:
        wait_value(lab, [node], "site", "n1", "paris")
        assert attr_value(lab, node, "rack", "n3") == "r3"
        assert attr_value(lab, node, "gone-soon", "n1") is None
    vigil_ok(lab, "n2", "attr", "delete", "rack", "--node", "n3")
    wait_value(lab, ALL, "rack", "n3", None)
    vigil_ok(lab, "n1", "attr", "delete", "site")


def test_compatible_commands_in_a_node(lab):
    env = ["OCF_RESOURCE_INSTANCE=pgsqld"]
    r = compat(lab, "n2", "crm_master", "-l", "reboot", "-v", "100", env=env)
    assert r.returncode == 0, r.stderr
    r = compat(lab, "n2", "crm_master", "-G", "-q", env=env)
    assert (r.returncode, r.stdout) == (0, "100\n"), r.stderr
    r = compat(lab, "n2", "crm_master", "-l", "reboot", "-G", env=env)
    assert r.stdout == "scope=status  name=master-pgsqld value=100\n"
    wait_value(lab, ["n1"], "master-pgsqld", "n2", "100")
    assert vigil_ok(lab, "n1", "attr", "get", "master-pgsqld", "--node", "n2") == "100\n"

    r = compat(lab, "n1", "crm_node", "-n")
    assert (r.returncode, r.stdout) == (0, "n1\n"), r.stderr
    r = compat(lab, "n3", "crm_node", "--name")
    assert r.stdout == "n3\n"
    r = compat(lab, "n1", "crm_node", "-p")
    assert (r.returncode, r.stdout) == (0, "n1 n2 n3\n"), r.stderr
    r = compat(lab, "n1", "crm_node", "-l")
    assert r.stdout.splitlines() == ["1 n1 member", "2 n2 member", "3 n3 member"]

    r = compat(lab, "n3", "attrd_updater", "--private", "-n", "x", "-U", "5")
    assert r.returncode == 0, r.stderr
    r = compat(lab, "n3", "attrd_updater", "--private", "-n", "x", "-Q")
    assert (r.returncode, r.stdout) == (0, 'name="x" host="n3" value="5"\n'), r.stderr
    wait_value(lab, ["n1"], "x", "n3", "5")
    r = lab.vigil("n1", "attr", "get", "x", "--node", "n3", "--json")
    assert '"lifetime": "reboot"' in r.stdout
    r = compat(lab, "n3", "attrd_updater", "-n", "x", "-D")
    assert r.returncode == 0, r.stderr
    r = compat(lab, "n3", "attrd_updater", "-n", "x", "-Q")
    assert r.returncode == 105 and "attribute does not exist" in r.stderr
    r = compat(lab, "n2", "crm_master", "-D", env=env)
    assert r.returncode == 0, r.stderr
    r = compat(lab, "n2", "crm_master", "-G", "-q", env=env)
    assert r.returncode == 105
