"""bash completion for vigil (dist/vigil.bash-completion): commands, options,
operations, and names of groups, resources and nodes from a (fake) vigild."""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from fakevigild import FakeVigild, ok

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VIGIL_BUILD", os.path.join(ROOT, "build"))
SCRIPT = os.path.join(ROOT, "dist", "vigil.bash-completion")

STATUS = {"nodes": [{"name": "n1"}, {"name": "n2"}, {"name": "db3"}],
          "groups": [{"name": "web", "resources": [{"name": "vip"}, {"name": "www"}]},
                     {"name": "db", "resources": [{"name": "pg"}]}]}


@pytest.fixture(scope="module")
def daemon():
    d = tempfile.mkdtemp(prefix="vigil-comp-", dir="/tmp")
    s = FakeVigild(os.path.join(d, "vigild.sock"), lambda conn, req: ok(STATUS))
    yield s
    s.close()
    shutil.rmtree(d, ignore_errors=True)


def complete(daemon, line):
    """COMPREPLY for the command line `line` (the cursor at its end)."""
    words = line.split(" ")
    script = (f"source {SCRIPT}\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\n"
              "_vigil\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    env = dict(os.environ, PATH=os.path.join(BUILD, "src", "cli") + ":" + os.environ["PATH"],
               VIGIL_SOCKET=daemon.path)
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    return sorted(w for w in r.stdout.split("\n") if w)


def test_commands(daemon):
    assert complete(daemon, "vigil gr") == ["group"]
    assert "cleanup" in complete(daemon, "vigil ")
    assert complete(daemon, "vigil -s /x n") == ["node"]


def test_group_operations_and_names(daemon):
    assert complete(daemon, "vigil group m") == ["manage", "move"]
    assert complete(daemon, "vigil group p") == ["promote"]
    assert complete(daemon, "vigil group move ") == ["db", "web"]
    assert complete(daemon, "vigil group move web --to ") == ["db3", "n1", "n2"]
    assert complete(daemon, "vigil group move web --to n") == ["n1", "n2"]
    assert complete(daemon, "vigil group stop web ") == []


def test_group_promote():
    # promote: only the promotable groups, then the node of the copy to promote.
    st = {"nodes": [{"name": "n1"}, {"name": "n2"}],
          "groups": [{"name": "web", "kind": "single", "resources": []},
                     {"name": "pgc", "kind": "promotable", "resources": [{"name": "pgsqld"}]},
                     {"name": "pgd", "kind": "promotable", "resources": []},
                     {"name": "www", "kind": "clone", "resources": [{"name": "httpd"}]}]}
    d = tempfile.mkdtemp(prefix="vigil-comp-", dir="/tmp")
    s = FakeVigild(os.path.join(d, "vigild.sock"), lambda conn, req: ok(st))
    try:
        assert complete(s, "vigil group move ") == ["pgc", "pgd", "web", "www"]
        assert complete(s, "vigil group promote ") == ["pgc", "pgd"]
        assert complete(s, "vigil group promote pgc --o") == ["--on"]
        assert complete(s, "vigil group promote pgc --on ") == ["n1", "n2"]
        assert complete(s, "vigil group promote pgc --on n1 ") == []
        assert complete(s, "vigil group promote --on n1 p") == ["pgc", "pgd"]
    finally:
        s.close()
        shutil.rmtree(d, ignore_errors=True)


def test_nodes_cleanup_fence_and_options(daemon):
    assert complete(daemon, "vigil node s") == ["standby", "stop"]
    assert complete(daemon, "vigil node stop ") == ["db3", "n1", "n2"]
    assert complete(daemon, "vigil node stop n1 --n") == ["--now"]
    assert complete(daemon, "vigil node standby ") == ["db3", "n1", "n2"]
    assert complete(daemon, "vigil cleanup w") == ["web", "www"]
    assert complete(daemon, "vigil fence --c") == ["--confirm"]
    assert complete(daemon, "vigil fence d") == ["db3"]
    assert complete(daemon, "vigil events --s") == ["--since", "--socket"]


def test_config_and_history(daemon, tmp_path):
    assert complete(daemon, "vigil con") == ["config"]
    assert complete(daemon, "vigil config ") == ["apply", "diff", "reload", "show"]
    assert complete(daemon, "vigil config show --v") == ["--version"]
    assert complete(daemon, "vigil hi") == ["history"]
    assert complete(daemon, "vigil history --g") == ["--group"]
    assert complete(daemon, "vigil history --group ") == ["db", "web"]
    assert complete(daemon, "vigil history --node n") == ["n1", "n2"]
    assert complete(daemon, "vigil history --type group_m") == ["group_moved",
                                                                "group_multi_active"]
    assert complete(daemon, "vigil history --since 2h --type fence_c") == ["fence_confirmed"]
    # Every event type vigild has (src/daemon/eventlog.c), no more.
    with open(os.path.join(ROOT, "src", "daemon", "eventlog.c")) as f:
        types = re.findall(r'\[EV_[A-Z_]+\] = "([a-z_]+)"', f.read())
    assert len(types) > 20
    assert complete(daemon, "vigil history --type ") == sorted(types)


def test_names_from_the_file_without_a_daemon(tmp_path):
    cfg = tmp_path / "vigil.yaml"
    cfg.write_text("cluster: {name: c, key: /k}\n"
                   "nodes:\n"
                   "  - {name: n7, id: 7, addresses: {priv: 192.0.2.7}}\n"
                   "  - name: n8\n"
                   "    id: 8\n"
                   "groups:\n"
                   "  - name: mail\n"
                   "    domain: [n7, n8]\n")
    words = "vigil node standby ".split(" ")
    script = (f"source {SCRIPT}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\n_vigil\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    env = dict(os.environ, PATH=os.path.join(BUILD, "src", "cli") + ":" + os.environ["PATH"],
               VIGIL_SOCKET=str(tmp_path / "nothing.sock"), VIGIL_CONFIG=str(cfg))
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == ["n7", "n8"], r.stdout


def test_attr(tmp_path):
    d = tempfile.mkdtemp(prefix="vigil-comp-", dir="/tmp")
    status = dict(STATUS, nodes=[{"name": "n1", "attributes": {"master-pg": {}, "site": {}}},
                                 {"name": "n2", "attributes": {"master-pg": {}}}])
    s = FakeVigild(os.path.join(d, "vigild.sock"), lambda conn, req: ok(status))
    try:
        assert complete(s, "vigil at") == ["attr"]
        assert complete(s, "vigil attr ") == ["delete", "get", "list", "set"]
        assert complete(s, "vigil attr get ") == ["master-pg", "site"]
        assert complete(s, "vigil attr get --node n1 m") == ["master-pg"]
        assert complete(s, "vigil attr set x 1 --lifetime ") == ["forever", "reboot"]
        assert complete(s, "vigil attr list --node ") == ["n1", "n2"]
        assert complete(s, "vigil attr list ") == []
        assert complete(s, "vigil attr --l") == ["--lifetime"]
    finally:
        s.close()
        shutil.rmtree(d, ignore_errors=True)
