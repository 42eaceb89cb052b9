"""Tests of `vigil config show|diff|apply|reload` against a fake vigild
(fakevigild.py): its usage errors, the request each operation sends, how the
answers are printed, and the exit status of every failure.

    /usr/bin/python3 -m pytest tests/cli/test_cli_config.py -q
"""

import json

import pytest

from fakevigild import err, ok
from test_cli_groups import fake, run  # noqa: F401 (fake is a fixture)

SHA = "5e6f7a8b9c0d" + "1" * 52
NEW_SHA = "0a1b2c3d4e5f" + "2" * 52
TEXT = "cluster: {name: demo}\nnodes: []\n"


def usage(msg):
    """What vigil prints on stderr for a usage error of `vigil config`."""
    return f"vigil config: {msg}\nTry 'vigil config --help' for more information.\n"


@pytest.fixture
def yaml_file(tmp_path):
    f = tmp_path / "new.yaml"
    f.write_text(TEXT)
    return f


# ---- usage ----

def test_help():
    for flag in ("--help", "-h"):
        r = run("config", flag)
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""
        assert r.stdout.startswith(
            "Usage: vigil config show [--version N] [--json]\n"
            "       vigil config diff FILE [--json]\n"
            "       vigil config apply FILE [--force] [--json]\n"
            "       vigil config reload [--force] [--json]\n")
        assert "      --version N    show kept version N instead of the current one\n" in r.stdout
        assert r.stdout.endswith(
            "Exit status: 0 done (diff: whether or not anything changes), 1 invalid,\n"
            "refused or failed (the reason on stderr), 2 usage error, 3 vigild unreachable.\n")


@pytest.mark.parametrize("args, msg", [
    ([], "what? give one of show, diff, apply, reload"),
    (["erase"], "unknown operation 'erase' (show, diff, apply, reload)"),
    (["SHOW"], "unknown operation 'SHOW' (show, diff, apply, reload)"),
    (["apply"], "which file? give the configuration FILE to apply"),
    (["diff"], "which file? give the configuration FILE to diff"),
    (["apply", "a.yaml", "--force", "--json"] + ["--version", "3"],
     "--version is only for show"),
    (["diff", "a.yaml", "--version", "3"], "--version is only for show"),
    (["reload", "--version=3"], "--version is only for show"),
    (["show", "--force"], "--force is only for apply and reload"),
    (["show", "-f"], "--force is only for apply and reload"),
    (["diff", "a.yaml", "--force"], "--force is only for apply and reload"),
    (["show", "--version", "0"], "--version wants a version number, not '0'"),
    (["show", "--version", "abc"], "--version wants a version number, not 'abc'"),
    (["show", "--version", "-3"], "--version wants a version number, not '-3'"),
    (["show", "--version", "3x"], "--version wants a version number, not '3x'"),
    (["show", "--version", ""], "--version wants a version number, not ''"),
    (["show", "--version", "99999999999999999999"],
     "--version wants a version number, not '99999999999999999999'"),
    (["show", "--version"], "option '--version' requires an argument"),
    (["show", "extra"], "unexpected argument 'extra'"),
    (["apply", "a.yaml", "b.yaml"], "unexpected argument 'b.yaml'"),
    (["diff", "a.yaml", "b.yaml"], "unexpected argument 'b.yaml'"),
    (["reload", "now"], "unexpected argument 'now'"),
    (["show", "--all"], "unknown option '--all'"),
    (["apply", "a.yaml", "--force=yes"], "option '--force' does not take an argument"),
    (["show", "-x"], "unknown option '-x'"),
])
def test_usage_errors(fake, args, msg):
    srv = fake(ok({}))
    r = run("-s", srv.path, "config", *args)
    assert r.returncode == 2, r.stderr
    assert r.stderr == usage(msg)
    assert r.stdout == ""
    assert srv.requests == []


def test_unreadable_file(fake, tmp_path):
    srv = fake(ok({}))
    missing = tmp_path / "nope.yaml"
    for op in ("apply", "diff"):
        r = run("-s", srv.path, "config", op, str(missing))
        assert r.returncode == 1
        assert r.stderr == f"vigil: cannot read {missing}: No such file or directory\n"
        assert r.stdout == ""
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"cluster: {name: x}\n\0nodes: []\n")
    r = run("-s", srv.path, "config", "apply", str(nul))
    assert r.returncode == 1
    assert r.stderr == f"vigil: {nul} contains a NUL byte: not a configuration file\n"
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"cluster: {name: caf\xe9}\n")
    r = run("-s", srv.path, "config", "diff", str(latin))
    assert r.returncode == 1
    assert r.stderr == f"vigil: {latin} is not valid UTF-8: not a configuration file\n"
    # Nothing reached vigild; an unreadable file is reported before vigild is tried.
    assert srv.requests == []
    r = run("-s", str(tmp_path / "no.sock"), "config", "apply", str(missing))
    assert r.returncode == 1
    assert r.stderr == f"vigil: cannot read {missing}: No such file or directory\n"


# ---- the requests ----

def test_requests(fake, yaml_file):
    srv = fake(ok({"version": 8, "sha256": SHA, "message": "written by every member",
                   "text": TEXT, "current": True, "diff": {"groups": []}, "changed": False}))
    cases = [
        (["show"], {"cmd": "config", "op": "show"}),
        (["show", "--version", "3"], {"cmd": "config", "op": "show", "version": 3}),
        (["show", "--version=12", "--json"], {"cmd": "config", "op": "show", "version": 12}),
        (["diff", str(yaml_file)],
         {"cmd": "config", "op": "diff", "text": TEXT, "name": str(yaml_file)}),
        (["apply", str(yaml_file)],
         {"cmd": "config", "op": "apply", "text": TEXT, "name": str(yaml_file), "force": False}),
        (["apply", "--force", str(yaml_file)],
         {"cmd": "config", "op": "apply", "text": TEXT, "name": str(yaml_file), "force": True}),
        (["apply", str(yaml_file), "-f"],
         {"cmd": "config", "op": "apply", "text": TEXT, "name": str(yaml_file), "force": True}),
        (["reload"], {"cmd": "config", "op": "reload", "force": False}),
        (["reload", "--force"], {"cmd": "config", "op": "reload", "force": True}),
    ]
    for args, want in cases:
        n = len(srv.requests)
        r = run("-s", srv.path, "config", *args)
        assert r.returncode == 0, (args, r.stderr)
        assert srv.requests[n:] == [want], args
        assert srv.raw[n].endswith(b"\n") and srv.raw[n].count(b"\n") == 1


def test_request_carries_the_file_byte_for_byte(fake, tmp_path):
    f = tmp_path / "u.yaml"
    text = "# caf\u00e9 \u2014 \"quoted\" \\ tab\there\ncluster: {name: x}\n\n"
    f.write_text(text, encoding="utf-8")
    srv = fake(ok({"version": 2, "sha256": SHA, "message": "written by every member"}))
    r = run("-s", srv.path, "config", "apply", str(f))
    assert r.returncode == 0, r.stderr
    assert srv.requests[0]["text"] == text


# ---- apply and reload ----

def test_apply_success(fake, yaml_file):
    srv = fake(ok({"message": "written by every member", "version": 8, "sha256": SHA}))
    r = run("-s", srv.path, "config", "apply", str(yaml_file))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("configuration version 8 (sha256 5e6f7a8b9c0d) applied: "
                        "written by every member\n")
    assert r.stderr == ""
    r = run("-s", srv.path, "config", "reload")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("configuration version 8 (sha256 5e6f7a8b9c0d) applied: "
                        "written by every member\n")


def test_apply_no_change(fake, yaml_file):
    msg = "no change: version 7 already has this content"
    srv = fake(ok({"diff": {"groups": [], "restart_needed": []}, "message": msg,
                   "version": 7, "sha256": SHA, "changed": False}))
    r = run("-s", srv.path, "config", "apply", str(yaml_file))
    assert r.returncode == 0, r.stderr
    assert r.stdout == msg + "\n"
    assert r.stderr == ""
    # Without a message: just that.
    srv2 = fake(ok({"diff": {"groups": []}, "version": 7, "sha256": SHA}))
    r = run("-s", srv2.path, "config", "reload")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "no change\n"


def test_apply_json(fake, yaml_file):
    result = {"message": "written by every member", "version": 8, "sha256": SHA,
              "from": "n1", "nested": {"a": [1, 2]}}
    srv = fake(ok(result))
    for args in (["apply", str(yaml_file), "--json"], ["reload", "-j"]):
        r = run("-s", srv.path, "config", *args)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == result
        assert r.stdout.startswith("{\n  ")  # indented, for people too
        assert r.stdout.endswith("}\n")
        assert r.stderr == ""


@pytest.mark.parametrize("op", ["apply", "reload", "diff", "show"])
def test_daemon_error(fake, yaml_file, op):
    msg = ("not applied: group api runs on n2: removing it stops it. Use --force to apply "
           "it anyway")
    srv = fake(err(msg))
    args = [op, str(yaml_file)] if op in ("apply", "diff") else [op]
    r = run("-s", srv.path, "config", *args)
    assert r.returncode == 1
    assert r.stderr == f"vigil: {msg}\n"
    assert r.stdout == ""
    # --json changes nothing for errors.
    r = run("-s", srv.path, "config", *args, "--json")
    assert r.returncode == 1
    assert r.stderr == f"vigil: {msg}\n"
    assert r.stdout == ""


def test_daemon_error_is_sanitised(fake):
    srv = fake(err("bad\x1b[31m file\x07"))
    r = run("-s", srv.path, "config", "show")
    assert r.returncode == 1
    assert r.stderr == "vigil: bad?[31m file?\n"


@pytest.mark.parametrize("op", ["show", "diff", "apply", "reload"])
def test_unreachable(tmp_path, yaml_file, op):
    sock = tmp_path / "vigild.sock"
    args = [op, str(yaml_file)] if op in ("apply", "diff") else [op]
    r = run("-s", str(sock), "config", *args)
    assert r.returncode == 3
    assert r.stderr == (f"vigil: cannot reach vigild at {sock}: No such file or directory "
                        "(is vigild running?)\n")
    assert r.stdout == ""


def test_connection_closed_without_reply(fake, yaml_file):
    srv = fake(b"")
    r = run("-s", srv.path, "config", "apply", str(yaml_file))
    assert r.returncode == 1
    assert r.stderr == f"vigil: vigild at {srv.path} closed the connection without replying\n"


# ---- diff ----

def diff_result(groups, changed=True, breaking=(), warnings="", no_quorum=False, hooks=False,
                capacity=False):
    return ok({"version": 7, "sha256": SHA, "new_sha256": NEW_SHA,
               "diff": {"groups": groups, "restart_needed": [], "no_quorum": no_quorum,
                        "hooks": hooks, "capacity": capacity},
               "breaking": list(breaking), "warnings": warnings, "changed": changed})


def group(name, change, runs_on=(), resources=(), settings=False, order=False,
          restart_from=None):
    g = {"name": name, "change": change, "settings": settings, "order": order,
         "resources": [{"name": n, "change": c} for n, c in resources],
         "runs_on": list(runs_on)}
    if restart_from:
        g["restart_from"] = restart_from
    return g


def test_diff_lines(fake, yaml_file):
    srv = fake(diff_result([
        group("api", "added"),
        group("web", "modified", ["n1"], [("www", "modified")], restart_from="www"),
        group("db", "removed", ["n3"]),
        group("batch", "modified", ["n2"], settings=True),
        group("mail", "modified", ["n1", "n2"], [("smtp", "added"), ("old", "removed")],
              order=True, restart_from="smtp"),
        group("idle", "modified", [], [("x", "modified")]),
    ], breaking=["group db runs on n3: removing it stops it"], no_quorum=True, hooks=True,
        capacity=True))
    r = run("-s", srv.path, "config", "diff", str(yaml_file))
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        f"{yaml_file} compared with the running configuration, version 7 "
        "(sha256 5e6f7a8b9c0d):\n"
        "  + group api: added (starts once applied)\n"
        "  ~ group web: modified: resource www modified (runs on n1: restarts from resource "
        "www)\n"
        "  - group db: removed (runs on n3: stops)\n"
        "  ~ group batch: modified: placement settings (domain, policy, failback, restarts, "
        "priority, relationships or load) (runs on n2: keeps running)\n"
        "  ~ group mail: modified: resource order, resource smtp added, resource old removed "
        "(runs on n1, n2: restarts from resource smtp)\n"
        "  ~ group idle: modified: resource x modified\n"
        "  ~ quorum.no_quorum: modified\n"
        "  ~ hooks: modified\n"
        "  ~ nodes.capacity: modified (placement only: nothing restarts)\n"
        "  ! refused without --force: group db runs on n3: removing it stops it\n")
    assert r.stderr == ""


def test_diff_of_a_capacity_change_alone(fake, yaml_file):
    srv = fake(diff_result([], capacity=True))
    r = run("-s", srv.path, "config", "diff", str(yaml_file))
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        f"{yaml_file} compared with the running configuration, version 7 "
        "(sha256 5e6f7a8b9c0d):\n"
        "  ~ nodes.capacity: modified (placement only: nothing restarts)\n")
    assert r.stderr == ""


def test_diff_no_change(fake, yaml_file):
    srv = fake(diff_result([], changed=False))
    r = run("-s", srv.path, "config", "diff", str(yaml_file))
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        f"{yaml_file} compared with the running configuration, version 7 "
        "(sha256 5e6f7a8b9c0d):\n"
        "  no change\n")
    assert r.stderr == ""


def test_diff_warnings_go_to_stderr(fake, yaml_file):
    w = f"{yaml_file}:2:3: warning: group web has no resources"
    srv = fake(diff_result([group("web", "added")], warnings=w))
    r = run("-s", srv.path, "config", "diff", str(yaml_file))
    assert r.returncode == 0, r.stderr
    assert r.stderr == w + "\n"
    assert r.stdout.splitlines()[1:] == ["  + group web: added (starts once applied)"]


def test_diff_names_are_sanitised(fake, yaml_file):
    srv = fake(diff_result([group("we\x1bb", "added")],
                           breaking=["group x\ny runs on n1: removing it stops it"]))
    r = run("-s", srv.path, "config", "diff", str(yaml_file))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1:] == [
        "  + group we?b: added (starts once applied)",
        "  ! refused without --force: group x?y runs on n1: removing it stops it",
    ]


def test_diff_json(fake, yaml_file):
    srv = fake(diff_result([group("api", "added")]))
    r = run("-s", srv.path, "config", "diff", str(yaml_file), "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["diff"]["groups"][0]["name"] == "api"
    assert got["new_sha256"] == NEW_SHA
    assert got["breaking"] == []
    assert r.stderr == ""


# ---- show ----

SHOW = {"version": 3, "sha256": SHA, "text": TEXT, "current": True,
        "applied_ms": 1795341600123, "from": "n1", "file": "/etc/vigil/vigil.yaml",
        "versions": [3, 2, 1]}


def test_show_current(fake):
    srv = fake(ok(SHOW))
    r = run("-s", srv.path, "config", "show")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "config", "op": "show"}]
    assert r.stdout == TEXT
    assert r.stderr == ("vigil: version 3 (sha256 5e6f7a8b9c0d), applied 2026-11-22T10:00:00.123Z "
                        "from n1; the file is /etc/vigil/vigil.yaml\n")


def test_show_prints_the_text_exactly(fake):
    # No newline added at the end, none taken away, nothing escaped.
    text = "cluster: {name: x}  \n\n# caf\u00e9\n  nodes: []"
    srv = fake(ok(dict(SHOW, text=text)))
    r = run("-s", srv.path, "config", "show")
    assert r.returncode == 0, r.stderr
    assert r.stdout == text


def test_show_kept_version(fake):
    srv = fake(ok({"version": 2, "sha256": SHA, "text": "old: 1\n", "current": False,
                   "versions": [3, 2, 1]}))
    r = run("-s", srv.path, "config", "show", "--version", "2")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "config", "op": "show", "version": 2}]
    assert r.stdout == "old: 1\n"
    assert r.stderr == ("vigil: version 2 (sha256 5e6f7a8b9c0d), kept on this node; "
                        "not the current version\n")


def test_show_missing_version(fake):
    srv = fake(err("version 9 is not kept on this node (kept: 3, 2, 1)"))
    r = run("-s", srv.path, "config", "show", "--version", "9")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == "vigil: version 9 is not kept on this node (kept: 3, 2, 1)\n"


def test_show_json(fake):
    srv = fake(ok(SHOW))
    r = run("-s", srv.path, "config", "show", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == SHOW
    assert r.stderr == ""


def test_socket_from_environment(fake):
    srv = fake(ok(SHOW))
    r = run("config", "show", env={"VIGIL_SOCKET": srv.path})
    assert r.returncode == 0, r.stderr
    assert r.stdout == TEXT
    assert srv.requests == [{"cmd": "config", "op": "show"}]
