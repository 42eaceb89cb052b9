"""`vigil status` shows each node's capacity: what the groups placed there use
of it ("memory 12/16"), in a CAPACITY column, and `--json` carries vigild's
nodes[].capacity ({NAME: {used, total}}) as it is.

vigild is replaced by a fake (fakevigild.py), as in test_cli.py. Run with:

    /usr/bin/python3 -m pytest tests/cli/test_cli_capacity.py -q
"""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

from fakevigild import FakeVigild, ok

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VIGIL_BUILD", os.path.join(REPO, "build"))
VIGIL = os.path.join(BUILD, "src", "cli", "vigil")

if not os.path.exists(VIGIL):
    pytest.skip(f"{VIGIL} is not built (set VIGIL_BUILD)", allow_module_level=True)


def run(*args):
    e = dict(os.environ)
    e.pop("VIGIL_SOCKET", None)
    e["TZ"] = "UTC"
    return subprocess.run([VIGIL, *args], capture_output=True, text=True, env=e, timeout=30)


@pytest.fixture
def fake():
    d = tempfile.mkdtemp(prefix="vigil-cli-", dir="/tmp")
    servers = []

    def start(reply):
        s = FakeVigild(os.path.join(d, f"vigild{len(servers)}.sock"), lambda conn, req: reply)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close()
    shutil.rmtree(d, ignore_errors=True)


def node(name, i, state="online", capacity=None):
    n = {"name": name, "id": i, "state": state, "local": i == 1,
         "version": "0.1.0" if state == "online" else None, "protocol": 2,
         "links": [{"network": "priv", "up": state == "online"}],
         "fence": {"state": "clean", "running": False, "note": None, "failures": 0},
         "standby": False}
    if capacity is not None:
        n["capacity"] = capacity
    return n


def status(nodes):
    return {
        "cluster": "demo", "version": "0.1.0", "protocol": 2,
        "engine": {"mode": "managed", "state": "running", "restarts": 0},
        "quorate": True, "votes": {"total": 3, "expected": 3, "needed": 2},
        "local_node": "n1", "local_node_id": 1, "coordinator": "n1",
        "heartbeat": {"interval_ms": 100, "misses": 4, "token_ms": 400},
        "networks": ["priv"],
        "fencing": {"enabled": True, "unsafe_recovery": False, "action": "off"},
        "nodes": nodes, "groups": [],
    }


def lines_of(out, name):
    """The line of the node table that starts with name."""
    for ln in out.splitlines():
        if ln.split()[:1] == [name]:
            return ln
    raise AssertionError(f"no line for {name} in:\n{out}")


CAPS = status([
    node("n1", 1, capacity={"memory": {"used": 12, "total": 16}, "cpu": {"used": 2, "total": 8}}),
    node("n2", 2, capacity={"memory": {"used": 0, "total": 16}, "cpu": {"used": 0, "total": 0}}),
    node("n3", 3),  # no capacity: not limited
])


def test_status_shows_used_and_total_per_capacity_name(fake):
    srv = fake(ok(CAPS))
    r = run("-s", srv.path, "status")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    header = lines_of(out, "NODE")
    assert header.split() == ["NODE", "ID", "STATE", "FENCE", "priv", "VIGILD", "CONFIG",
                              "CAPACITY"]
    col = header.index("CAPACITY")
    n1, n2, n3 = (lines_of(out, n) for n in ("n1", "n2", "n3"))
    assert n1[col:].startswith("memory 12/16, cpu 2/8"), out
    assert n2[col:].startswith("memory 0/16, cpu 0/0"), out
    assert n3[col:].startswith("-"), out
    # The notes column comes after the capacity.
    assert n1.rstrip().endswith("memory 12/16, cpu 2/8  (local, coordinator)"), n1
    assert not any(ln.endswith(" ") for ln in out.splitlines())


def test_no_capacity_column_without_capacities(fake):
    srv = fake(ok(status([node("n1", 1), node("n2", 2), node("n3", 3, state="offline")])))
    r = run("-s", srv.path, "status")
    assert r.returncode == 0, r.stderr
    assert "CAPACITY" not in r.stdout
    assert lines_of(r.stdout, "NODE").split() == ["NODE", "ID", "STATE", "FENCE", "priv",
                                                  "VIGILD", "CONFIG"]


def test_status_json_carries_capacity(fake):
    srv = fake(ok(CAPS))
    r = run("-s", srv.path, "status", "--json")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["nodes"][0]["capacity"] == {"memory": {"used": 12, "total": 16},
                                          "cpu": {"used": 2, "total": 8}}
    assert "capacity" not in st["nodes"][2]


def test_odd_capacity_is_shown_as_unknown(fake):
    srv = fake(ok(status([node("n1", 1, capacity={"memory": {"used": "x"}, "cpu": 3}),
                          node("n2", 2, capacity=[1, 2])])))
    r = run("-s", srv.path, "status")
    assert r.returncode == 0, r.stderr
    col = lines_of(r.stdout, "NODE").index("CAPACITY")
    assert lines_of(r.stdout, "n1")[col:].startswith("memory ?/?, cpu ?/?"), r.stdout
    assert lines_of(r.stdout, "n2")[col:].startswith("-"), r.stdout
