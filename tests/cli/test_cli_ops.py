"""Tests of `vigil config`, `vigil history` and `vigil node stop` against a fake
vigild (fakevigild.py): the requests they send, what they print, their errors."""

import json
import os
import time

from fakevigild import err, ok
from test_cli_groups import fake, run  # noqa: F401 (fake is a fixture)

SHA = "5e6f7a8b9c0d" + "1" * 52


def test_config_usage_errors(fake):
    srv = fake(ok({}))
    for args, msg in [
        ([], "vigil config: what? give one of show, diff, apply, reload"),
        (["erase"], "vigil config: unknown operation 'erase' (show, diff, apply, reload)"),
        (["apply"], "vigil config: which file? give the configuration FILE to apply"),
        (["apply", "a.yaml", "--version", "3"], "vigil config: --version is only for show"),
        (["show", "--force"], "vigil config: --force is only for apply and reload"),
        (["show", "--version", "0"], "vigil config: --version wants a version number, not '0'"),
        (["show", "--version", "abc"], "vigil config: --version wants a version number"),
        (["show", "extra"], "vigil config: unexpected argument 'extra'"),
    ]:
        r = run("-s", srv.path, "config", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert msg in r.stderr, (args, r.stderr)
    assert srv.requests == []
    r = run("config", "--help")
    assert r.returncode == 0 and "vigil config apply FILE [--force]" in r.stdout


def test_config_apply_sends_the_file_and_prints_the_version(fake, tmp_path):
    f = tmp_path / "new.yaml"
    f.write_text("cluster: {name: x}\n")
    srv = fake(ok({"message": "written by every member", "version": 8, "sha256": SHA}))
    r = run("-s", srv.path, "config", "apply", str(f), "--force")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "config", "op": "apply", "text": "cluster: {name: x}\n",
                             "name": str(f), "force": True}]
    assert r.stdout == "configuration version 8 (sha256 5e6f7a8b9c0d) applied: written by " \
                       "every member\n"
    missing = run("-s", srv.path, "config", "apply", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1 and "vigil: cannot read" in missing.stderr


def test_config_apply_refused(fake, tmp_path):
    f = tmp_path / "new.yaml"
    f.write_text("x: 1\n")
    srv = fake(err("not applied: group api runs on n2: removing it stops it. Use --force to "
                   "apply it anyway"))
    r = run("-s", srv.path, "config", "apply", str(f))
    assert r.returncode == 1
    assert "vigil: not applied: group api runs on n2: removing it stops it" in r.stderr
    assert srv.requests[0]["force"] is False


def test_config_diff_lines(fake, tmp_path):
    f = tmp_path / "d.yaml"
    f.write_text("x\n")
    diff = {"groups": [
        {"name": "api", "change": "added", "settings": False, "order": False,
         "resources": [], "runs_on": []},
        {"name": "web", "change": "modified", "settings": False, "order": False,
         "resources": [{"name": "www", "change": "modified"}], "runs_on": ["n1"],
         "restart_from": "www"},
        {"name": "db", "change": "removed", "settings": False, "order": False,
         "resources": [], "runs_on": ["n3"]},
        {"name": "batch", "change": "modified", "settings": True, "order": False,
         "resources": [], "runs_on": ["n2"]},
    ], "restart_needed": [], "no_quorum": False, "hooks": True}
    srv = fake(ok({"version": 7, "sha256": SHA, "new_sha256": SHA, "diff": diff,
                   "breaking": ["group db runs on n3: removing it stops it"], "warnings": "",
                   "changed": True}))
    r = run("-s", srv.path, "config", "diff", str(f))
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "config", "op": "diff", "text": "x\n", "name": str(f)}]
    assert r.stdout.splitlines() == [
        f"{f} compared with the running configuration, version 7 (sha256 5e6f7a8b9c0d):",
        "  + group api: added (starts once applied)",
        "  ~ group web: modified: resource www modified (runs on n1: restarts from resource www)",
        "  - group db: removed (runs on n3: stops)",
        "  ~ group batch: modified: placement settings (domain, policy, failback, restarts, "
        "priority, relationships or load) (runs on n2: keeps running)",
        "  ~ hooks: modified",
        "  ! refused without --force: group db runs on n3: removing it stops it",
    ]


def test_config_show(fake):
    srv = fake(ok({"version": 3, "sha256": SHA, "text": "cluster: {name: x}\n",
                   "current": True, "applied_ms": 1795341600123, "from": "n1",
                   "file": "/etc/vigil/vigil.yaml", "versions": [3, 2, 1]}))
    r = run("-s", srv.path, "config", "show", "--version", "3")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "config", "op": "show", "version": 3}]
    assert r.stdout == "cluster: {name: x}\n"
    assert "vigil: version 3 (sha256 5e6f7a8b9c0d), applied 2026-11-22T10:00:00.123Z from n1" \
        in r.stderr
    j = run("-s", srv.path, "config", "show", "--json")
    assert json.loads(j.stdout)["versions"] == [3, 2, 1]


EVENTS = [
    {"seq": 5, "ts_ms": 1795341600123, "time": "2026-11-22T10:00:00.123Z",
     "type": "group_moved", "node": "n2", "group": "web", "network": None,
     "message": "group web moved from n1 to n2", "duration_ms": 221, "seen_by": "n3"},
]


def test_history_request_and_output(fake):
    srv = fake(ok({"events": EVENTS, "skipped": 2, "node": "n3"}))
    r = run("-s", srv.path, "history", "--since", "2026-11-22T09:00:00Z", "--group", "web",
            "--node", "n2", "--type", "group_moved", "--limit", "5", "--utc")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "history", "since": 1795338000000, "group": "web",
                             "node": "n2", "type": "group_moved", "limit": 5}]
    assert r.stdout.startswith("2026-11-22T10:00:00.123Z  group_moved")
    assert "group web moved from n1 to n2  [221 ms]" in r.stdout
    assert "vigil: 2 damaged line(s) of the history skipped" in r.stderr
    j = run("-s", srv.path, "history", "--json")
    assert json.loads(j.stdout) == EVENTS


def test_history_usage_errors(fake):
    srv = fake(ok({"events": []}))
    for args, msg in [
        (["--since", "yesterday"], "--since: cannot read 'yesterday' as a time"),
        (["--until", "5x"], "--until: cannot read '5x' as a time"),
        (["--limit", "0"], "--limit wants a number from 1 to 100000"),
        (["--group", ""], "--group wants a name"),
        (["now"], "unexpected argument 'now'"),
    ]:
        r = run("-s", srv.path, "history", *args)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)
    assert srv.requests == []
    r = run("-s", srv.path, "history", "--since", "2h")
    assert r.returncode == 0 and "since" in srv.requests[0]


def test_history_times_and_json(fake):
    srv = fake(ok({"events": EVENTS, "skipped": 1, "node": "n3"}))
    # Local time when no zone is given: TZ decides.
    r = run("-s", srv.path, "history", "--since", "2026-11-22 10:00", "--until",
            "2026-11-22T11:30:15", env={"TZ": "EST+5"})
    assert r.returncode == 0, r.stderr
    assert srv.requests[-1] == {"cmd": "history", "since": 1795341600000 + 5 * 3600000,
                                "until": 1795347015000 + 5 * 3600000}
    # How long ago: now minus the duration.
    before = int(time.time() * 1000)
    r = run("-s", srv.path, "history", "--since", "90s", "--until", "3d")
    after = int(time.time() * 1000)
    req = srv.requests[-1]
    assert before - 90000 <= req["since"] <= after - 90000, req
    assert before - 3 * 86400000 <= req["until"] <= after - 3 * 86400000, req
    # --json: the events as an array; damaged lines are still reported on stderr.
    j = run("-s", srv.path, "history", "--json", "--type", "group_moved")
    assert j.returncode == 0 and json.loads(j.stdout) == EVENTS
    assert srv.requests[-1] == {"cmd": "history", "type": "group_moved"}
    assert j.stderr == "vigil: 1 damaged line(s) of the history skipped\n"


def test_history_help_options_and_refusals(fake):
    h = run("history", "--help")
    assert h.returncode == 0 and h.stdout.startswith("Usage: vigil history [--since T]")
    assert "2026-11-22T10:00:00Z" in h.stdout and "15m" in h.stdout
    srv = fake(err("history: unknown event type 'group_move'; did you mean 'group_moved'?"))
    bad = run("-s", srv.path, "history", "--bogus")
    assert bad.returncode == 2 and "vigil history: unknown option '--bogus'" in bad.stderr
    assert "--help" in bad.stderr and srv.requests == []
    r = run("-s", srv.path, "history", "--type", "group_move")
    assert r.returncode == 1 and r.stdout == ""
    assert ("vigil: history: unknown event type 'group_move'; did you mean 'group_moved'?"
            in r.stderr)
    gone = run("-s", srv.path + ".missing", "history")
    assert gone.returncode == 3, gone.stderr


def test_node_stop(fake):
    srv = fake(ok({"message": "node n1 left the cluster cleanly; groups now: web on n2",
                   "node": "n1"}))
    r = run("-s", srv.path, "node", "stop", "n1", "--now")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "node", "op": "stop", "node": "n1", "now": True}]
    assert r.stdout == "node n1 left the cluster cleanly; groups now: web on n2\n"
    bad = run("-s", srv.path, "node", "standby", "n1", "--now")
    assert bad.returncode == 2 and "--now is only for stop" in bad.stderr
    srv2 = fake(err("node n3 is not a member of the cluster: nothing to stop"))
    r = run("-s", srv2.path, "node", "stop", "n3")
    assert r.returncode == 1 and "nothing to stop" in r.stderr
