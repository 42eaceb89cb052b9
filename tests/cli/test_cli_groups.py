"""Tests of `vigil` for resource groups: the group, node and cleanup commands,
groups in `vigil status`, and group events in `vigil events`.

As in test_cli.py, vigild is replaced by a fake (fakevigild.py): a unix
socket that records each request line and answers with canned JSON.
Run with:

    /usr/bin/python3 -m pytest tests/cli/test_cli_groups.py -q
"""

import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from fakevigild import FakeVigild, err, line, ok

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VIGIL_BUILD", os.path.join(REPO, "build"))
VIGIL = os.path.join(BUILD, "src", "cli", "vigil")

if not os.path.exists(VIGIL):
    pytest.skip(f"{VIGIL} is not built (set VIGIL_BUILD)", allow_module_level=True)


def run(*args, env=None, timeout=60):
    """Runs vigil with args, in UTC unless env says otherwise."""
    e = dict(os.environ)
    e.pop("VIGIL_SOCKET", None)
    e["TZ"] = "UTC"
    if env:
        e.update(env)
    return subprocess.run([VIGIL, *args], capture_output=True, text=True, env=e,
                          timeout=timeout)


@pytest.fixture
def fake():
    # sockaddr_un holds 108 bytes: keep the path short whatever pytest's tmp_path is.
    d = tempfile.mkdtemp(prefix="vigil-cli-", dir="/tmp")
    servers = []

    def start(handler):
        if not callable(handler):
            reply = handler
            handler = lambda req: reply  # noqa: E731
        s = FakeVigild(os.path.join(d, f"vigild{len(servers)}.sock"),
                       lambda conn, req, h=handler: h(req))
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close()
    shutil.rmtree(d, ignore_errors=True)


# ---- What a real vigild would answer ----

VERBS = {"start": "started", "stop": "stopped", "move": "moved", "failover": "moved",
         "manage": "managed", "unmanage": "unmanaged", "standby": "put in standby",
         "online": "put online"}


def applied(req):
    """The reply of vigild once every member applied req, as gview_describe_intent words it."""
    if req["cmd"] == "group":
        msg = f"group {req['group']} {VERBS[req['op']]}"
        if req["op"] in ("move", "failover"):
            msg += " to " + req.get("to", "n2")
    elif req["cmd"] == "node":
        msg = f"node {req['node']} {VERBS[req['op']]}"
    else:
        msg = f"group {req['name']} cleaned up"
    return ok({"message": msg, "version": 12})


# ---- Help ----

def test_help_lists_the_new_commands():
    r = run("--help")
    assert r.returncode == 0
    for cmd in ("group", "node", "cleanup"):
        assert f"\n  {cmd} " in r.stdout


@pytest.mark.parametrize("cmd,words", [
    ("group", ["start", "stop", "move", "failover", "promote", "manage", "unmanage", "--to",
               "--on", "--json",
               "--socket", "--help", "30 s"]),
    ("node", ["standby", "online", "--json", "--socket", "--help"]),
    ("cleanup", ["GROUP|RESOURCE", "--json", "--socket", "--help"]),
])
def test_command_help(cmd, words):
    r = run(cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Usage: vigil {cmd} ")
    for w in words:
        assert w in r.stdout
    assert all(len(ln) <= 80 for ln in r.stdout.splitlines())
    assert run("help", cmd).stdout == r.stdout
    # --help wins wherever it is, and sends nothing.
    assert run(cmd, "stop", "web", "--help").stdout == r.stdout


# ---- Requests and their outcome ----

@pytest.mark.parametrize("args,request_,out", [
    (["group", "start", "web"], {"cmd": "group", "op": "start", "group": "web"},
     "group web started"),
    (["group", "stop", "web"], {"cmd": "group", "op": "stop", "group": "web"},
     "group web stopped"),
    (["group", "move", "web"], {"cmd": "group", "op": "move", "group": "web"},
     "group web moved to n2"),
    (["group", "move", "web", "--to", "n3"],
     {"cmd": "group", "op": "move", "group": "web", "to": "n3"}, "group web moved to n3"),
    (["group", "--to=n3", "move", "web"],
     {"cmd": "group", "op": "move", "group": "web", "to": "n3"}, "group web moved to n3"),
    (["group", "failover", "web"], {"cmd": "group", "op": "failover", "group": "web"},
     "group web moved to n2"),
    (["group", "manage", "db"], {"cmd": "group", "op": "manage", "group": "db"},
     "group db managed"),
    (["group", "unmanage", "db"], {"cmd": "group", "op": "unmanage", "group": "db"},
     "group db unmanaged"),
    (["node", "standby", "n2"], {"cmd": "node", "op": "standby", "node": "n2"},
     "node n2 put in standby"),
    (["node", "online", "n2"], {"cmd": "node", "op": "online", "node": "n2"},
     "node n2 put online"),
    (["cleanup", "web"], {"cmd": "cleanup", "name": "web"}, "group web cleaned up"),
])
def test_change_requests(fake, args, request_, out):
    srv = fake(applied)
    r = run("-s", srv.path, *args)
    assert r.returncode == 0, r.stderr
    assert srv.requests == [request_]
    assert r.stdout == f"{out} (cluster database version 12)\n"
    assert r.stderr == ""
    # One compact line, as the daemon reads them.
    assert srv.raw[0].count(b"\n") == 1 and b": " not in srv.raw[0]


def test_socket_option_after_the_command(fake):
    srv = fake(applied)
    for args in (["group", "stop", "web", "-s", srv.path], ["node", "-s", srv.path, "online", "n1"],
                 ["cleanup", "--socket", srv.path, "web/vip"]):
        r = run(*args, env={"VIGIL_SOCKET": "/nonexistent.sock"})
        assert r.returncode == 0, (args, r.stderr)
    assert [q["cmd"] for q in srv.requests] == ["group", "node", "cleanup"]
    assert srv.requests[2]["name"] == "web/vip"


def test_cleanup_of_a_resource(fake):
    srv = fake(ok({"message": "resource vip of group web cleaned up", "version": 3}))
    r = run("-s", srv.path, "cleanup", "vip")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "cleanup", "name": "vip"}]
    assert r.stdout == "resource vip of group web cleaned up (cluster database version 3)\n"


@pytest.mark.parametrize("args", [
    ["group", "move", "web", "--to", "n3", "--json"],
    ["group", "-j", "stop", "web"],
    ["node", "standby", "n2", "--json"],
    ["cleanup", "--json", "web"],
])
def test_json_prints_the_result_object(fake, args):
    result = {"message": "whatever vigild says", "version": 41, "extra": [1, {"a": None}]}
    srv = fake(ok(result))
    r = run("-s", srv.path, *args)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == result
    assert r.stdout == json.dumps(result, indent=2, separators=(",", ": ")) + "\n"
    assert "--json" not in json.dumps(srv.requests) and "json" not in srv.requests[0]


@pytest.mark.parametrize("args,error", [
    (["group", "stop", "wbe"], "unknown group 'wbe'; did you mean 'web'?"),
    (["group", "start", "web"],
     "refused: this node's partition has no quorum; an intent needs a quorate cluster to be "
     "agreed"),
    (["group", "move", "web", "--to", "n3"], "refused: n3 is offline for group web"),
    (["group", "move", "db", "--to", "n3"],
     "refused: group db cannot move to n3 now: n3 has no room (memory: needs 8, 4 free)"),
    (["group", "move", "app", "--to", "n2"],
     "refused: group app cannot move to n2 now: it must run with group db, which runs on n1"),
    (["group", "move", "web", "--to", "n3"],
     "group web moved to n3: not acknowledged within 10 s by: n2"),
    (["group", "failover", "web"], "refused: no other node can run group web now"),
    (["node", "standby", "n9"], "unknown node 'n9'"),
    (["cleanup", "vpi"], "unknown group or resource 'vpi'; did you mean 'vip'?"),
])
def test_refused_or_failed(fake, args, error):
    srv = fake(err(error))
    r = run("-s", srv.path, *args)
    assert r.returncode == 1
    assert r.stderr == f"vigil: {error}\n"
    assert r.stdout == ""
    assert len(srv.requests) == 1


def test_refused_with_json_still_goes_to_stderr(fake):
    srv = fake(err("refused: n3 is offline for group web"))
    r = run("-s", srv.path, "group", "move", "web", "--to", "n3", "--json")
    assert r.returncode == 1
    assert r.stderr == "vigil: refused: n3 is offline for group web\n"
    assert r.stdout == ""


def test_waits_for_the_acknowledgements(fake):
    # vigild answers a change only once every member applied it: up to its own 10 s
    # deadline and more. The status timeout (10 s) would give up too early here.
    srv = fake(lambda req: [11.0, applied(req)])
    t0 = time.monotonic()
    r = run("-s", srv.path, "group", "stop", "web")
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 >= 11.0
    assert r.stdout == "group web stopped (cluster database version 12)\n"


def test_daemon_not_running(fake):
    path = "/tmp/vigil-no-such-dir/vigild.sock"
    for args in (["group", "stop", "web"], ["node", "standby", "n2"], ["cleanup", "web"]):
        r = run("-s", path, *args)
        assert r.returncode == 3
        assert r.stderr == (f"vigil: cannot reach vigild at {path}: "
                            "No such file or directory (is vigild running?)\n")


def test_daemon_hangs_up(fake):
    srv = fake(b"")
    r = run("-s", srv.path, "group", "stop", "web")
    assert r.returncode == 1
    assert "closed the connection without replying" in r.stderr


def test_result_without_message_or_version(fake):
    srv = fake(ok({}))
    r = run("-s", srv.path, "group", "stop", "web")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "group web: stop done\n"
    r = run("-s", srv.path, "node", "standby", "n2")
    assert r.stdout == "node n2 put standby\n"


def test_message_control_characters_are_neutralised(fake):
    srv = fake(ok({"message": "group \x1b[2Jweb\nstopped", "version": 1}))
    r = run("-s", srv.path, "group", "stop", "web")
    assert r.returncode == 0
    assert r.stdout == "group ?[2Jweb?stopped (cluster database version 1)\n"
    srv = fake(err("bad\x1b]0;title\x07 thing"))
    r = run("-s", srv.path, "group", "stop", "web")
    assert r.stderr == "vigil: bad?]0;title? thing\n"


# ---- Bad command lines: a clear error, exit 2, and nothing sent ----

@pytest.mark.parametrize("args,message", [
    (["group"], "vigil group: which operation? give one of start, stop, move, failover, "
                "promote, manage, unmanage"),
    (["group", "strat", "web"], "vigil group: unknown operation 'strat' (did you mean 'start'?)"),
    (["group", "web", "stop"],
     "vigil group: unknown operation 'web' (did you mean 'vigil group stop web'?)"),
    (["group", "restart", "web"], "vigil group: unknown operation 'restart' (start, stop, move, "
                                   "failover, promote, manage, unmanage)"),
    (["group", "migrate", "web"], "vigil group: unknown operation 'migrate' (did you mean 'move'?)"),
    (["group", "disable", "web"], "vigil group: unknown operation 'disable' (did you mean 'stop'?)"),
    (["group", "stop"], "vigil group: which group? give one GROUP to stop"),
    (["group", "move", "--to", "n3"], "vigil group: which group? give one GROUP to move"),
    (["group", "stop", "web", "db"], "vigil group: unexpected argument 'db'"),
    (["group", "stop", ""], "vigil group: the group name is empty"),
    (["group", "stop", "web", "--to", "n3"], "vigil group: --to is only for move, not for stop"),
    (["group", "start", "web", "--to", "n3"], "vigil group: --to is only for move, not for start"),
    (["group", "failover", "web", "--to", "n3"],
     "vigil group: --to is only for move; failover picks the next eligible node "
     "(use 'vigil group move web --to n3')"),
    (["group", "move", "web", "--to"], "vigil group: option '--to' requires an argument"),
    (["group", "move", "web", "--to", ""], "vigil group: --to wants a node name"),
    (["group", "move", "web", "--to", "n2", "--to", "n3"], "vigil group: --to is given twice"),
    (["group", "move", "web", "--node", "n3"], "vigil group: unknown option '--node'"),
    (["group", "stop", "web", "-f"], "vigil group: unknown option '-f'"),
    (["node"], "vigil node: which operation? give standby, online or stop"),
    (["node", "stanby", "n2"], "vigil node: unknown operation 'stanby' (did you mean 'standby'?)"),
    (["node", "n2", "standby"],
     "vigil node: unknown operation 'n2' (did you mean 'vigil node standby n2'?)"),
    (["node", "offline", "n2"], "vigil node: unknown operation 'offline' (did you mean 'standby'?)"),
    (["node", "drain", "n2"], "vigil node: unknown operation 'drain' (standby, online or stop)"),
    (["node", "standby"], "vigil node: which node? give one NODE to put standby"),
    (["node", "standby", "n2", "n3"], "vigil node: unexpected argument 'n3'"),
    (["node", "online", ""], "vigil node: the node name is empty"),
    (["node", "standby", "n2", "--to", "n3"], "vigil node: unknown option '--to'"),
    (["cleanup"], "vigil cleanup: which group or resource? give one name"),
    (["cleanup", "web", "vip"], "vigil cleanup: unexpected argument 'vip'"),
    (["cleanup", ""], "vigil cleanup: the group or resource name is empty"),
    (["cleanup", "--json=yes", "web"], "vigil cleanup: option '--json' does not take an argument"),
    (["grup", "stop", "web"], "vigil: unknown command 'grup' (did you mean 'group'?)"),
    (["cleanpu", "web"], "vigil: unknown command 'cleanpu' (did you mean 'cleanup'?)"),
])
def test_usage_errors_send_nothing(fake, args, message):
    srv = fake(applied)
    r = run("-s", srv.path, *args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines()[0] == message
    assert "--help' for more information" in r.stderr
    assert r.stdout == ""
    time.sleep(0.05)
    assert srv.requests == []


# ---- status ----

NODE = {"links": [{"network": "priv", "up": True}],
        "fence": {"state": "clean", "running": False, "note": None, "failures": 0}}

FAILURE = {"node": "n1", "reason": "monitor: exited with status 7 (not running)",
           "ts_ms": 1795341600123, "time": "2026-11-22T10:00:00.123Z", "kind": "restart"}

STATUS = {
    "cluster": "demo", "version": "0.1.0",
    "engine": {"mode": "managed", "state": "running", "restarts": 0},
    "quorate": True, "votes": {"total": 2, "expected": 3, "needed": 2},
    "local_node": "n1", "local_node_id": 1, "coordinator": "n1",
    "heartbeat": {"interval_ms": 100, "misses": 4, "token_ms": 400},
    "networks": ["priv"],
    "fencing": {"enabled": True, "unsafe_recovery": False, "action": "off"},
    "nodes": [
        dict(NODE, name="n1", id=1, state="online", local=True, standby=False),
        dict(NODE, name="n2", id=2, state="online", local=False, standby=True),
        dict(NODE, name="n3", id=3, state="offline", local=False, standby=True),
    ],
    "groups": [
        {"name": "web", "state": "running", "node": "n2", "managed": True,
         "target_started": True, "prefer": None, "banned": ["n1"], "failures": 3,
         "last_failure": dict(FAILURE, resource="app"),
         "resources": [
             {"name": "vip", "type": "ip", "state": "running", "failures": 0},
             {"name": "data", "type": "ocf:heartbeat:Filesystem", "state": "running",
              "failures": 0},
             {"name": "app", "type": "process", "state": "running", "failures": 3,
              "last_failure": FAILURE},
         ],
         "on_nodes": {"n1": "stopped", "n2": "running", "n3": "unknown"}},
        {"name": "db", "state": "unmanaged", "node": None, "managed": False,
         "target_started": False, "prefer": "n3", "banned": [], "failures": 0,
         "why": "the group is unmanaged: vigil leaves its resources alone",
         "resources": [
             {"name": "pg", "type": "lsb:postgresql", "state": "stopped", "failures": 0},
         ],
         "on_nodes": {"n1": "stopped", "n2": "stopped", "n3": "unknown"}},
    ],
}


def cells(out, first):
    """The cells (split at runs of 2+ spaces) of the line whose first cell is first."""
    for ln in out.splitlines():
        parts = [p for p in ln.strip().split("  ") if p]
        parts = [p.strip() for p in parts]
        if parts and parts[0] == first:
            return parts
    raise AssertionError(f"no line for {first!r} in:\n{out}")


def status_of(fake, st):
    srv = fake(ok(st))
    r = run("-s", srv.path, "status")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "status"}]
    return r.stdout


def test_status_marks_standby_nodes(fake):
    out = status_of(fake, STATUS)
    assert cells(out, "n1") == ["n1", "1", "online", "-", "up", "?", "-", "(local, coordinator)"]
    assert cells(out, "n2") == ["n2", "2", "standby", "-", "up", "?", "-"]
    # An offline node shows OFFLINE, and its standby as a note.
    assert cells(out, "n3") == ["n3", "3", "OFFLINE", "-", "-", "-", "-", "(standby)"]


def test_status_groups(fake):
    out = status_of(fake, STATUS)
    lines = out.splitlines()
    start = lines.index(next(ln for ln in lines if ln.startswith("GROUP")))
    assert lines[start - 1] == ""
    assert cells(out, "GROUP") == ["GROUP", "TYPE", "STATE", "NODE", "FAILURES", "NOTE"]
    pad = " " * 61
    assert lines[start:] == [
        "GROUP   TYPE                      STATE      NODE  FAILURES  NOTE",
        "web                               running    n2    3         banned on n1",
        "  vip   ip                        running          0",
        "  data  ocf:heartbeat:Filesystem  running          0",
        "  app   process                   running          3         last failure 2026-11-22 "
        "10:00:00 on n1:",
        pad + "monitor: exited with status 7 (not",
        pad + "running)",
        "db                                unmanaged  -     0         stopped by admin; moved to "
        "n3; the",
        pad + "group is unmanaged: vigil leaves its",
        pad + "resources alone",
        "  pg    lsb:postgresql            stopped          0",
    ]
    # Group rows: name, state, node, failures, then the notes.
    assert cells(out, "web")[:4] == ["web", "running", "n2", "3"]
    assert cells(out, "db")[:4] == ["db", "unmanaged", "-", "0"]
    # Resources are indented under their group, in order.
    assert [ln.split()[0] for ln in lines[start + 1:] if ln.startswith("  ")
            and ln.split()[0] in ("vip", "data", "app", "pg")] == ["vip", "data", "app", "pg"]
    assert cells(out, "vip") == ["vip", "ip", "running", "0"]
    assert cells(out, "pg") == ["pg", "lsb:postgresql", "stopped", "0"]
    # Notes: a ban, and what an admin decided; the state already says "unmanaged".
    assert "banned on n1" in cells(out, "web")[-1]
    db_note = notes_of(out, "db")
    assert db_note == ("stopped by admin; moved to n3; the group is unmanaged: vigil leaves "
                       "its resources alone")
    assert notes_of(out, "app") == ("last failure 2026-11-22 10:00:00 on n1: monitor: exited "
                                    "with status 7 (not running)")
    assert all(len(ln) <= 100 for ln in lines)
    assert not any(ln.endswith(" ") for ln in lines)


def notes_of(out, first):
    """The NOTE of a row, with its continuation lines joined again."""
    lines = out.splitlines()
    header = next(ln for ln in lines if ln.startswith("GROUP"))
    col = header.index("NOTE")
    i = next(i for i, ln in enumerate(lines) if ln.strip().split() and
             ln.strip().split()[0] == first and ln.startswith(("  " + first, first)))
    parts = [lines[i][col:]]
    for ln in lines[i + 1:]:
        if ln[:col].strip() or not ln.strip():
            break
        parts.append(ln[col:])
    return " ".join(parts)


def test_status_group_notes(fake):
    st = json.loads(json.dumps(STATUS))
    web, db = st["groups"]
    web.update(state="halted", node=None, target_started=False, banned=["n1", "n3"],
               why="halted after a failure: vigil cleanup web or vigil group start web")
    web["resources"][2]["state"] = "failed"
    db.update(state="running", node="n1", managed=False, prefer=None)
    del db["why"]
    out = status_of(fake, st)
    assert cells(out, "web")[:4] == ["web", "HALTED", "-", "3"]
    assert notes_of(out, "web") == ("stopped by admin; banned on n1, n3; halted after a failure: "
                                    "vigil cleanup web or vigil group start web")
    assert cells(out, "app")[:3] == ["app", "process", "FAILED"]
    # Unmanaged while its state says otherwise: the note says it.
    assert cells(out, "db") == ["db", "running", "n1", "0", "unmanaged; stopped by admin"]


def test_status_next_try(fake):
    # A group waiting for its restart back-off, and one failed everywhere until a ban expires:
    # the note says when it tries next, and where; --json passes the daemon's fields on.
    st = json.loads(json.dumps(STATUS))
    web, db = st["groups"]
    web.update(state="recovering", why="restarting on n2 in back-off", next_try_in_ms=3200,
               next_try_node="n2")
    db.update(state="failed", node=None, managed=True, target_started=True, prefer=None,
              banned=["n1", "n2"], next_try_in_ms=(9 * 60 + 57) * 1000 + 1, next_try_node="n1",
              why="no eligible node: n1 failed there (until its failures expire or cleanup), "
                  "n2 failed there (until its failures expire or cleanup)")
    out = status_of(fake, st)
    assert cells(out, "web")[:4] == ["web", "recovering", "n2", "3"]
    assert notes_of(out, "web") == ("banned on n1; restarting on n2 in back-off; next try in 4s "
                                    "on n2")
    assert cells(out, "db")[:4] == ["db", "FAILED", "-", "0"]
    assert notes_of(out, "db").endswith("; next try in 9min 58s on n1")
    # Under a second is "1s"; an hour or more drops the seconds.
    web["next_try_in_ms"] = 20
    db["next_try_in_ms"] = 3725 * 1000
    out = status_of(fake, st)
    assert notes_of(out, "web").endswith("next try in 1s on n2")
    assert notes_of(out, "db").endswith("next try in 1h 2min on n1")
    # Without a node, or with a bad value, nothing is said.
    del web["next_try_node"]
    db["next_try_in_ms"] = "soon"
    out = status_of(fake, st)
    assert "next try" not in out
    srv = fake(ok(st))
    r = run("-s", srv.path, "status", "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["groups"][0]["next_try_in_ms"] == 20
    assert got["groups"][1]["next_try_node"] == "n1"


def test_status_long_why_wraps_at_100_columns(fake):
    st = json.loads(json.dumps(STATUS))
    why = ("no eligible node: " + ", ".join(f"node{i} is in standby" for i in range(12)))
    st["groups"][1]["why"] = why
    out = status_of(fake, st)
    assert all(len(ln) <= 100 for ln in out.splitlines())
    assert notes_of(out, "db") == "stopped by admin; moved to n3; " + why


def test_status_without_groups(fake):
    st = json.loads(json.dumps(STATUS))
    st["groups"] = []
    assert "GROUP" not in status_of(fake, st)
    del st["groups"]
    assert "GROUP" not in status_of(fake, st)


def test_status_odd_groups(fake):
    # Missing and mistyped members show as '?', never crash the CLI.
    st = json.loads(json.dumps(STATUS))
    st["groups"] = [5, {"name": "x\x1b[31m", "resources": [7, {"name": 3}], "banned": "n1",
                        "last_failure": "no", "failures": "many"}]
    out = status_of(fake, st)
    assert "\x1b" not in out
    assert cells(out, "x?[31m") == ["x?[31m", "?", "?", "?"]


def test_status_json_passes_groups_through(fake):
    srv = fake(ok(STATUS))
    r = run("-s", srv.path, "status", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == STATUS
    assert r.stdout == json.dumps(STATUS, indent=2, separators=(",", ": ")) + "\n"


# ---- events ----

def ev(seq, type_, message, node=None, group=None, resource=None, duration_ms=None):
    e = {"seq": seq, "ts_ms": 1795341600123 + 1000 * seq, "time": "(unused)", "type": type_,
         "node": node, "network": None, "message": message}
    if group is not None:
        e["group"] = group
    if resource is not None:
        e["resource"] = resource
    if duration_ms is not None:
        e["duration_ms"] = duration_ms
    return e


EVENTS = [
    ev(1, "admin", "group web moved to n3 by an admin on n1", node="n1", group="web"),
    ev(2, "group_stopped", "group web stopped on n2 (820 ms)", node="n2", group="web",
       duration_ms=820),
    ev(3, "group_moved", "group web moved from n2 to n3 (unavailable for 1777 ms)", node="n3",
       group="web", duration_ms=1777),
    ev(4, "group_started", "group db started on n1 (12345 ms)", node="n1", group="db",
       duration_ms=12345),
    ev(5, "resource_failed", "app of group web failed on n3: monitor: exited with status 7; "
       "restarting the group", node="n3", group="web", resource="app"),
    ev(6, "group_restarted", "group web restarted on n3 (unavailable for 75000 ms)", node="n3",
       group="web", duration_ms=75000),
    ev(7, "group_recovered", "group db recovered on n2 after the loss of n1 (unavailable for "
       "4000000 ms)", node="n2", group="db", duration_ms=4000000),
    ev(8, "group_failed", "group db halted: halted after a failure", group="db"),
    ev(9, "group_stop_failed", "group db could not be stopped on n2: the node will be fenced",
       node="n2", group="db"),
    ev(10, "group_multi_active", "group web found active on 2 nodes: n1 (running), n3 (running); "
       "stopping all but one", group="web"),
    ev(11, "admin", "node n2 put in standby by an admin on n1", node="n1"),
    ev(12, "node_left", "node n3 (id 3) left the membership", node="n3"),
]


def test_events_group_types(fake):
    srv = fake(ok({"events": EVENTS}))
    r = run("-s", srv.path, "events")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "2026-11-22 10:00:01.123  admin                web     group web moved to n3 by an "
        "admin on n1",
        "2026-11-22 10:00:02.123  group_stopped        web     group web stopped on n2 (820 ms)"
        "  [820 ms]",
        "2026-11-22 10:00:03.123  group_moved          web     group web moved from n2 to n3 "
        "(unavailable for 1777 ms)  [1.777 s]",
        "2026-11-22 10:00:04.123  group_started        db      group db started on n1 "
        "(12345 ms)  [12.3 s]",
        "2026-11-22 10:00:05.123  resource_failed      web/app  app of group web failed on n3: "
        "monitor: exited with status 7; restarting the group",
        "2026-11-22 10:00:06.123  group_restarted      web     group web restarted on n3 "
        "(unavailable for 75000 ms)  [1 min 15 s]",
        "2026-11-22 10:00:07.123  group_recovered      db      group db recovered on n2 after the "
        "loss of n1 (unavailable for 4000000 ms)  [1 h 6 min]",
        "2026-11-22 10:00:08.123  group_failed         db      group db halted: halted after a "
        "failure",
        "2026-11-22 10:00:09.123  group_stop_failed    db      group db could not be stopped on "
        "n2: the node will be fenced",
        "2026-11-22 10:00:10.123  group_multi_active   web     group web found active on 2 nodes: "
        "n1 (running), n3 (running); stopping all but one",
        "2026-11-22 10:00:11.123  admin                n1      node n2 put in standby by an "
        "admin on n1",
        "2026-11-22 10:00:12.123  node_left            n3      node n3 (id 3) left the membership",
    ]


def test_events_odd_group_fields(fake):
    evs = [ev(1, "group_started", "m", node="n1", group="", duration_ms=-1),
           ev(2, "group_started", "m", group=5, resource="r", duration_ms="12"),
           ev(3, "resource_failed", "m", node="n1", group="w\x1b[1m", resource="r\n")]
    srv = fake(ok({"events": evs}))
    r = run("-s", srv.path, "events")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "2026-11-22 10:00:01.123  group_started        n1      m",
        "2026-11-22 10:00:02.123  group_started        -       m",
        "2026-11-22 10:00:03.123  resource_failed      w?[1m/r?  m",
    ]


def test_events_json_stays_raw(fake):
    srv = fake(ok({"events": EVENTS}))
    r = run("-s", srv.path, "events", "--json")
    assert r.returncode == 0, r.stderr
    assert [json.loads(ln) for ln in r.stdout.splitlines()] == EVENTS


def test_events_follow_shows_group_events(fake):
    def handler(req):
        return [ok({"events": EVENTS[:1]}), line({"event": EVENTS[2]}), 0.1]
    srv = fake(handler)
    r = run("-s", srv.path, "events", "--follow")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1].endswith("(unavailable for 1777 ms)  [1.777 s]")
    assert " web " in r.stdout.splitlines()[1]
