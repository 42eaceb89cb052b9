"""The Pacemaker-compatible commands (build/src/compat: vigil-compat run as
crm_master, crm_attribute, attrd_updater, crm_node, crm_resource) against a
fake vigild: the requests they send, Pacemaker's output formats and exit
codes, and usage errors that name vigil."""

import os
import subprocess

import pytest

from fakevigild import err, ok
from test_cli_groups import BUILD, fake  # noqa: F401 (fake is a fixture)

COMPAT = os.path.join(BUILD, "src", "compat")

STATUS = {"local_node": "n2", "local_node_id": 2, "quorate": True,
          "nodes": [{"name": "n1", "id": 1, "state": "online"},
                    {"name": "n2", "id": 2, "state": "online"},
                    {"name": "n3", "id": 3, "state": "offline"}]}


def tool(name, *args, sock="/nonexistent/vigild.sock", env=None):
    e = {k: v for k, v in os.environ.items() if k != "OCF_RESOURCE_INSTANCE"}
    e["VIGIL_SOCKET"] = sock
    e.update(env or {})
    return subprocess.run([os.path.join(COMPAT, name), *args], capture_output=True, text=True,
                          env=e, timeout=30)


def test_links_exist():
    for name in ["crm_master", "crm_attribute", "crm_node", "attrd_updater", "crm_resource"]:
        assert os.readlink(os.path.join(COMPAT, name)) == "vigil-compat"


def test_crm_master_sets_and_queries_the_promotion_score(fake):
    srv = fake(ok({"message": "set"}))
    r = tool("crm_master", "-l", "reboot", "-v", "100", sock=srv.path,
             env={"OCF_RESOURCE_INSTANCE": "pgsqld"})
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert srv.requests == [{"cmd": "attr", "op": "set", "name": "master-pgsqld",
                             "value": "100", "lifetime": "reboot"}]
    # pgsqlms: crm_master --lifetime forever --node n1 --quiet --update 5 (forever by default)
    tool("crm_master", "--node", "n1", "--quiet", "--update", "5", sock=srv.path,
         env={"OCF_RESOURCE_INSTANCE": "pgsqld:1"})
    assert srv.requests[-1] == {"cmd": "attr", "op": "set", "name": "master-pgsqld",
                                "value": "5", "node": "n1", "lifetime": "forever"}
    srv = fake(ok({"node": "n2", "name": "master-pgsqld", "value": "100",
                   "lifetime": "reboot"}))
    r = tool("crm_master", "-G", "-q", sock=srv.path, env={"OCF_RESOURCE_INSTANCE": "pgsqld"})
    assert r.returncode == 0 and r.stdout == "100\n"
    assert srv.requests == [{"cmd": "attr", "op": "get", "name": "master-pgsqld"}]
    r = tool("crm_master", "-r", "other", "-G", sock=srv.path)
    assert r.stdout == "scope=status  name=master-other value=100\n"
    r = tool("crm_master", "-G")
    assert r.returncode == 1 and "No resource specified" in r.stderr


def test_crm_attribute(fake):
    srv = fake(ok({"node": "n1", "name": "pgsql-status", "value": "HS:sync",
                   "lifetime": "reboot"}))
    r = tool("crm_attribute", "-l", "reboot", "-N", "n1", "-n", "pgsql-status", "-G", "-q",
             sock=srv.path)
    assert r.returncode == 0 and r.stdout == "HS:sync\n"
    assert srv.requests == [{"cmd": "attr", "op": "get", "name": "pgsql-status", "node": "n1"}]
    r = tool("crm_attribute", "--node", "n1", "--name", "pgsql-status", "--query", sock=srv.path)
    assert r.stdout == "scope=status  name=pgsql-status value=HS:sync\n"
    srv = fake(ok({"node": "n1", "name": "site", "value": "paris", "lifetime": "forever"}))
    r = tool("crm_attribute", "-N", "n1", "-n", "site", "-G", sock=srv.path)
    assert r.stdout == "scope=nodes  name=site value=paris\n"
    # Missing: Pacemaker's error and exit code 105; -d gives a default instead.
    srv = fake(ok({"node": "n1", "name": "nope"}))
    r = tool("crm_attribute", "-N", "n1", "-n", "nope", "-G", "-q", sock=srv.path)
    assert r.returncode == 105 and r.stdout == ""
    assert "Error performing operation: No such device or address" in r.stderr
    r = tool("crm_attribute", "-N", "n1", "-n", "nope", "-G", "-q", "-d", "0", sock=srv.path)
    assert r.returncode == 0 and r.stdout == "0\n"
    # Stateful: crm_attribute --promotion -v 5 / -D (reboot by default).
    srv = fake(ok({"message": "done"}))
    r = tool("crm_attribute", "--promotion", "-v", "5", sock=srv.path,
             env={"OCF_RESOURCE_INSTANCE": "state"})
    assert r.returncode == 0, r.stderr
    r = tool("crm_attribute", "--promotion=other", "-D", sock=srv.path)
    assert srv.requests == [
        {"cmd": "attr", "op": "set", "name": "master-state", "value": "5", "lifetime": "reboot"},
        {"cmd": "attr", "op": "delete", "name": "master-other"}]
    # pgsql: crm_attribute -l forever -N n1 -n X -v V
    tool("crm_attribute", "-l", "forever", "-N", "n1", "-n", "pgsql-data-status", "-v", "LATEST",
         sock=srv.path)
    assert srv.requests[-1] == {"cmd": "attr", "op": "set", "name": "pgsql-data-status",
                                "value": "LATEST", "node": "n1", "lifetime": "forever"}


def test_refused_and_unreachable(fake):
    srv = fake(err("refused: attribute x of node n1: this node's partition has no quorum"))
    r = tool("crm_attribute", "-N", "n1", "-n", "x", "-v", "1", sock=srv.path)
    assert r.returncode == 1
    assert "crm_attribute: refused: attribute x of node n1" in r.stderr
    r = tool("crm_node", "-n")
    assert r.returncode == 102 and "crm_node: cannot reach vigild at /nonexistent" in r.stderr


def test_attrd_updater(fake):
    srv = fake(ok({"message": "set"}))
    r = tool("attrd_updater", "--private", "--lifetime", "reboot", "--name", "lsn_location-pg",
             "--update", "0/3000060", sock=srv.path)
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "attr", "op": "set", "name": "lsn_location-pg",
                             "value": "0/3000060", "lifetime": "reboot"}]
    tool("attrd_updater", "-p", "-n", "x", "-D", sock=srv.path)
    assert srv.requests[-1] == {"cmd": "attr", "op": "delete", "name": "x"}
    srv = fake(ok({"node": "n2", "name": "x", "value": "5", "lifetime": "reboot"}))
    r = tool("attrd_updater", "--private", "-n", "x", "-Q", sock=srv.path)
    assert r.returncode == 0 and r.stdout == 'name="x" host="n2" value="5"\n'
    r = tool("attrd_updater", "-n", "x", "-Q", "-N", "n2", sock=srv.path)
    assert srv.requests[-1] == {"cmd": "attr", "op": "get", "name": "x", "node": "n2"}
    srv = fake(ok({"node": "n2", "name": "x"}))
    r = tool("attrd_updater", "-n", "x", "-Q", sock=srv.path)
    assert r.returncode == 105 and r.stdout == ""
    assert "Could not query value of x: attribute does not exist" in r.stderr
    srv = fake(ok({"attributes": [
        {"node": "n1", "name": "x", "value": "1", "lifetime": "reboot"},
        {"node": "n1", "name": "y", "value": "2", "lifetime": "reboot"},
        {"node": "n3", "name": "x", "value": "3", "lifetime": "reboot"}]}))
    r = tool("attrd_updater", "-n", "x", "-Q", "-A", sock=srv.path)
    assert r.stdout == 'name="x" host="n1" value="1"\nname="x" host="n3" value="3"\n'


def test_crm_node(fake):
    srv = fake(ok(STATUS))
    assert tool("crm_node", "-n", sock=srv.path).stdout == "n2\n"
    assert tool("crm_node", "--name", sock=srv.path).stdout == "n2\n"
    assert tool("crm_node", "-p", sock=srv.path).stdout == "n1 n2\n"
    assert tool("crm_node", "--partition", sock=srv.path).stdout == "n1 n2\n"
    assert tool("crm_node", "-l", sock=srv.path).stdout == \
        "1 n1 member\n2 n2 member\n3 n3 lost\n"
    assert tool("crm_node", "-q", sock=srv.path).stdout == "1\n"
    assert tool("crm_node", "-i", sock=srv.path).stdout == "2\n"
    assert tool("crm_node", "-N", "3", sock=srv.path).stdout == "n3\n"
    r = tool("crm_node", "-N", "9", sock=srv.path)
    assert r.returncode == 105
    assert srv.requests[0] == {"cmd": "status"}


def test_crm_resource_meta(fake):
    srv = fake(ok({"resource": "pgsqld", "group": "pg", "kind": "promotable",
                   "meta": {"notify": "true", "promoted-max": "1"}}))
    r = tool("crm_resource", "--resource", "pgsqld", "--meta", "--get-parameter", "notify",
             sock=srv.path)
    assert r.returncode == 0 and r.stdout == "true\n"
    assert srv.requests == [{"cmd": "resource", "name": "pgsqld"}]
    r = tool("crm_resource", "-r", "pgsqld", "-m", "-g", "target-role", sock=srv.path)
    assert r.returncode == 105
    assert "Attribute 'target-role' not found for 'pgsqld'" in r.stderr


def test_an_agent_asking_about_itself_is_answered_from_its_environment():
    """Without vigild (vigil verify runs validate-all where it may not run): an agent's
    own meta variables and node, which vigil gives it as Pacemaker does."""
    env = {"OCF_RESOURCE_INSTANCE": "pgsqld", "OCF_RESKEY_CRM_meta_notify": "true",
           "OCF_RESKEY_CRM_meta_promoted_max": "1", "OCF_RESKEY_CRM_meta_on_node": "n3"}
    r = tool("crm_resource", "--resource", "pgsqld", "--meta", "--get-parameter", "notify",
             env=env)
    assert r.returncode == 0 and r.stdout == "true\n", r.stderr
    r = tool("crm_resource", "-r", "pgsqld:2", "-m", "-g", "promoted-max", env=env)
    assert r.returncode == 0 and r.stdout == "1\n", r.stderr
    assert tool("crm_node", "-n", env=env).stdout == "n3\n"
    # Anything else is vigild's to answer (unreachable here).
    assert tool("crm_resource", "-r", "pgsqld", "-m", "-g", "clone-max", env=env).returncode \
        == 102
    assert tool("crm_resource", "-r", "other", "-m", "-g", "notify", env=env).returncode == 102
    assert tool("crm_resource", "-r", "pgsqld2", "-m", "-g", "notify", env=env).returncode \
        == 102
    assert tool("crm_node", "-p", env=env).returncode == 102


@pytest.mark.parametrize("name, args, code", [
    ("crm_attribute", ["--bogus"], 64),
    ("crm_attribute", ["-n", "x", "-G"], 64),  # a cluster option
    ("crm_attribute", ["-t", "crm_config", "-n", "x", "-G"], 64),
    ("crm_attribute", ["-N", "n1", "-n", "x", "-G", "-v", "1"], 64),
    ("crm_attribute", ["-N", "n1", "-n", "x", "-l", "week"], 64),
    ("crm_master", ["--bogus"], 1),
    ("attrd_updater", ["--bogus"], 64),
    ("attrd_updater", ["-Q"], 64),
    ("attrd_updater", ["-n", "x"], 64),
    ("crm_node", ["--remove=n1"], 64),
    ("crm_node", [], 64),
    ("crm_resource", ["--ban", "-r", "x"], 64),
    ("crm_resource", ["-r", "x", "--meta"], 64),
])
def test_usage_errors_name_vigil(name, args, code):
    r = tool(name, *args)
    assert r.returncode == code, (args, r.stderr)
    assert r.stderr.startswith(f"{name} (vigil): ")
    assert "see vigil(8), COMPATIBLE COMMANDS" in r.stderr


def test_help_and_dispatch():
    r = tool("crm_attribute", "--help")
    assert r.returncode == 0 and "crm_attribute -n NAME" in r.stdout
    r = subprocess.run([os.path.join(COMPAT, "vigil-compat")], capture_output=True, text=True)
    assert r.returncode == 64 and "crm_master" in r.stderr
    r = subprocess.run([os.path.join(COMPAT, "vigil-compat"), "crm_node", "--help"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "crm_node" in r.stdout
