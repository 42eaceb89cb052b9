"""Tests of `vigil attr` against a fake vigild (fakevigild.py): the requests it
sends, what it prints, its usage errors and the daemon's refusals."""

import json

from fakevigild import err, ok
from test_cli_groups import fake, run  # noqa: F401 (fake is a fixture)

LIST = [{"node": "n1", "name": "master-pg", "value": "100", "lifetime": "reboot"},
        {"node": "n2", "name": "site", "value": "paris", "lifetime": "forever"}]


def test_usage_errors(fake):
    srv = fake(ok({}))
    for args, msg in [
        ([], "vigil attr: which operation? give one of set, get, delete, list"),
        (["put", "x", "1"], "vigil attr: unknown operation 'put' (did you mean 'set'?)"),
        (["query", "x"], "vigil attr: unknown operation 'query' (did you mean 'get'?)"),
        (["wipe"], "vigil attr: unknown operation 'wipe' (set, get, delete, list)"),
        (["set"], "vigil attr: which attribute? give its NAME to set"),
        (["set", "x"], "vigil attr: which value? give NAME and VALUE to set"),
        (["set", "x", "1", "2"], "vigil attr: unexpected argument '2'"),
        (["get", ""], "vigil attr: the attribute name is empty"),
        (["get", "x", "--lifetime", "reboot"], "vigil attr: --lifetime is only for set and delete"),
        (["set", "x", "1", "--lifetime", "boot"],
         "vigil attr: --lifetime must be reboot or forever, not 'boot'"),
        (["set", "x", "1", "--json"], "vigil attr: --json is only for get and list"),
        (["list", "extra"], "vigil attr: unexpected argument 'extra'"),
        (["get", "x", "--node"], "vigil attr: option '--node' requires an argument"),
        (["get", "x", "--colour"], "vigil attr: unknown option '--colour'"),
    ]:
        r = run("-s", srv.path, "attr", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert msg in r.stderr, (args, r.stderr)
    assert srv.requests == []
    r = run("attr", "--help")
    assert r.returncode == 0
    assert "vigil attr set NAME VALUE [--node NODE] [--lifetime reboot|forever]" in r.stdout
    r = run("help", "attr")
    assert r.returncode == 0 and "vigil attr list [--node NODE] [--json]" in r.stdout
    assert "attr" in run("--help").stdout


def test_set_and_delete_send_and_print(fake):
    srv = fake(ok({"message": "attribute master-pg of node n2 set to '100' (forever)"}))
    r = run("-s", srv.path, "attr", "set", "master-pg", "100", "--node", "n2", "-l", "forever")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "attribute master-pg of node n2 set to '100' (forever)\n"
    assert srv.requests == [{"cmd": "attr", "op": "set", "name": "master-pg", "value": "100",
                             "node": "n2", "lifetime": "forever"}]
    srv = fake(ok({"message": "attribute x of node n1 deleted"}))
    r = run("-s", srv.path, "attr", "delete", "x")
    assert r.returncode == 0 and r.stdout == "attribute x of node n1 deleted\n"
    assert srv.requests == [{"cmd": "attr", "op": "delete", "name": "x"}]
    # An empty value is a value.
    srv = fake(ok({"message": "set"}))
    assert run("-s", srv.path, "attr", "set", "x", "").returncode == 0
    assert srv.requests[0]["value"] == ""


def test_a_negative_value_is_a_value_not_an_option(fake):
    """Promotion scores are often negative (-1000, -INFINITY)."""
    for args, want in [(["master-pg", "-1000", "--node", "n2"], "-1000"),
                       (["--node", "n2", "master-pg", "-INFINITY"], "-INFINITY"),
                       (["-N", "n2", "master-pg", "--", "-5"], "-5")]:
        srv = fake(ok({"message": "set"}))
        r = run("-s", srv.path, "attr", "set", *args)
        assert r.returncode == 0, (args, r.stderr)
        assert srv.requests == [{"cmd": "attr", "op": "set", "name": "master-pg", "value": want,
                                 "node": "n2"}], args
    # A node name or lifetime is still an option's argument, and a real unknown option fails.
    srv = fake(ok({"message": "set"}))
    assert run("-s", srv.path, "attr", "set", "x", "-7", "--bogus").returncode == 2


def test_get(fake):
    srv = fake(ok({"node": "n1", "name": "master-pg", "value": "100", "lifetime": "reboot"}))
    r = run("-s", srv.path, "attr", "get", "master-pg")
    assert r.returncode == 0 and r.stdout == "100\n"
    assert srv.requests == [{"cmd": "attr", "op": "get", "name": "master-pg"}]
    r = run("-s", srv.path, "attr", "get", "master-pg", "--node", "n1", "--json")
    assert json.loads(r.stdout) == {"node": "n1", "name": "master-pg", "value": "100",
                                    "lifetime": "reboot"}
    assert srv.requests[-1]["node"] == "n1"
    # Not set: an error naming the node and the attribute.
    srv = fake(ok({"node": "n3", "name": "nope"}))
    r = run("-s", srv.path, "attr", "get", "nope", "--node", "n3")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == "vigil: node n3 has no attribute nope\n"


def test_list(fake):
    srv = fake(ok({"attributes": LIST}))
    r = run("-s", srv.path, "attr", "list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "NODE  NAME       VALUE  LIFETIME",
        "n1    master-pg  100    reboot",
        "n2    site       paris  forever",
    ]
    assert srv.requests == [{"cmd": "attr", "op": "list"}]
    r = run("-s", srv.path, "attr", "list", "--json")
    assert json.loads(r.stdout) == LIST
    srv = fake(ok({"attributes": []}))
    r = run("-s", srv.path, "attr", "list", "-N", "n2")
    assert r.stdout == "node n2 has no attributes\n"
    assert srv.requests == [{"cmd": "attr", "op": "list", "node": "n2"}]
    srv = fake(ok({"attributes": 7}))
    r = run("-s", srv.path, "attr", "list")
    assert r.returncode == 1 and "malformed reply from vigild" in r.stderr


def test_refusals(fake):
    srv = fake(err("refused: attribute x of node n2: this node's partition has no quorum; "
                   "attributes change only in a quorate cluster"))
    r = run("-s", srv.path, "attr", "set", "x", "1", "--node", "n2")
    assert r.returncode == 1
    assert r.stderr == ("vigil: refused: attribute x of node n2: this node's partition has no "
                        "quorum; attributes change only in a quorate cluster\n")
    srv = fake(err("unknown node 'n9'; did you mean 'n1'?"))
    r = run("-s", srv.path, "attr", "get", "x", "--node", "n9")
    assert r.returncode == 1 and "unknown node 'n9'" in r.stderr
    r = run("-s", "/nonexistent/vigild.sock", "attr", "list")
    assert r.returncode == 3 and "cannot reach vigild" in r.stderr
