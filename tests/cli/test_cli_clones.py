"""Tests of `vigil` for clone and promotable groups: how `vigil status` shows
their copies (and `--json` passes them through), and `vigil group promote`
(its request, its refusals, its bad arguments), against the fake vigild of
fakevigild.py. Run with:

    /usr/bin/python3 -m pytest tests/cli/test_cli_clones.py -q
"""

import json
import time

from fakevigild import err, ok
from test_cli_groups import STATUS, cells, fake, notes_of, run  # noqa: F401 (fake: a fixture)


def copy(node, state, role=None, score=None, **extra):
    c = {"node": node, "role": role, "state": state, "score": score,
         "resources": {}}
    c.update(extra)
    return c


def clone_status():
    """STATUS with a clone www (2 copies of 3) and a promotable group pgdb, every node online."""
    st = json.loads(json.dumps(STATUS))
    for g in st["groups"]:
        g["kind"] = "single"
    st["nodes"][1]["standby"] = False
    st["groups"] += [
        {"name": "www", "kind": "clone", "state": "running", "node": None, "managed": True,
         "target_started": True, "prefer": None, "banned": [], "failures": 0,
         "resources": [{"name": "httpd", "type": "process", "state": "running",
                        "failures": 0}],
         "on_nodes": {"n1": "running", "n2": "running", "n3": "stopped"},
         "copies": [copy("n1", "running"), copy("n2", "running"), copy("n3", "stopped")],
         "copies_wanted": 2, "primaries_wanted": 0},
        {"name": "pgdb", "kind": "promotable", "state": "running", "node": "n1",
         "primary": "n1", "managed": True, "target_started": True, "prefer": None,
         "banned": [], "failures": 0,
         "resources": [
             {"name": "pgsqld", "type": "ocf:heartbeat:pgsqlms", "role": "promotable",
              "state": "running", "failures": 0},
             {"name": "pgvip", "type": "ip", "role": "primary", "state": "running",
              "failures": 0}],
         "on_nodes": {"n1": "primary", "n2": "running", "n3": "running"},
         "copies": [copy("n1", "primary", "primary", 1000), copy("n2", "running", "replica", 990),
                    copy("n3", "running", "replica", -1)],
         "copies_wanted": 3, "primaries_wanted": 1},
    ]
    st["nodes"][2]["state"] = "online"
    return st


def status_text(fake, st):
    srv = fake(ok(st))
    r = run("-s", srv.path, "status")
    assert r.returncode == 0, r.stderr
    return r.stdout


def group_lines(out):
    lines = out.splitlines()
    start = lines.index(next(ln for ln in lines if ln.startswith("GROUP")))
    return lines[start:]


# ---- vigil status ----

def test_status_clone_and_promotable_rows(fake):
    out = status_text(fake, clone_status())
    assert cells(out, "GROUP") == ["GROUP", "TYPE", "STATE", "NODE", "FAILURES", "NOTE"]
    # The kind in TYPE, where the copies run in NODE, the primary first.
    assert cells(out, "www") == ["www", "clone", "running", "running n1 n2, stopped n3", "0"]
    assert cells(out, "pgdb") == ["pgdb", "promotable", "running", "primary n1, replicas n2 n3", "0"]
    # Single groups as before: no TYPE, their node.
    assert cells(out, "web")[:4] == ["web", "running", "n2", "3"]
    # Resources under their group.
    assert cells(out, "pgsqld") == ["pgsqld", "ocf:heartbeat:pgsqlms", "running", "0"]
    assert cells(out, "httpd") == ["httpd", "process", "running", "0"]
    assert not any(ln.endswith(" ") for ln in out.splitlines())
    # The layout: the columns line up, the group rows carry the kind.
    assert group_lines(out)[-5:] == [
        "www       clone                     running    running n1 n2, stopped n3   0",
        "  httpd   process                   running                                0",
        "pgdb      promotable                running    primary n1, replicas n2 n3  0",
        "  pgsqld  ocf:heartbeat:pgsqlms     running                                0",
        "  pgvip   ip                        running                                0",
    ]


def set_copies(st, name, copies, **fields):
    g = next(g for g in st["groups"] if g["name"] == name)
    g["copies"] = copies
    g.update(fields)
    return g


def test_status_copies_in_trouble(fake):
    st = clone_status()
    set_copies(st, "www", [copy("n1", "running"), copy("n2", "failed"),
                           copy("n3", "stop failed")], state="recovering",
               why="restarting on n2")
    set_copies(st, "pgdb", [copy("n1", "primary", "primary", 5), copy("n2", "promoting",
                                                                      "primary", 7),
                            copy("n3", "unknown")], state="blocked")
    st["nodes"][0]["state"] = "offline"
    out = status_text(fake, st)
    # Failures in capitals, as elsewhere in the status; a copy on a node that is not
    # online is marked so.
    assert cells(out, "www")[:5] == ["www", "clone", "recovering",
                                    "running n1 (offline), FAILED n2, STOP FAILED n3", "0"]
    assert notes_of(out, "www") == "restarting on n2"
    assert cells(out, "pgdb")[:4] == ["pgdb", "promotable", "BLOCKED",
                                     "primary n1 (offline), promoting n2, unknown n3"]


def test_status_copies_order_and_plurals(fake):
    st = clone_status()
    # Listed by how they are, primaries and replicas first, whatever the domain's order.
    set_copies(st, "pgdb", [copy("n3", "stopped"), copy("n2", "starting", "replica"),
                            copy("n1", "running", "replica", 3), copy("n4", "primary", "primary"),
                            copy("n5", "primary", "primary"), copy("n6", "demoting", "primary"),
                            copy("n7", "running", "primary")])
    set_copies(st, "www", [copy("n1", "stopping"), copy("n2", "running"),
                           copy("n3", "weird\x1b[31m")])
    out = status_text(fake, st)
    assert cells(out, "pgdb")[3] == ("primaries n4 n5 n7, replica n1, demoting n6, starting n2, "
                                     "stopped n3")
    # An unexpected state is shown as it is, last, and neutralised.
    assert cells(out, "www")[3] == "running n2, stopping n1, weird?[31m n3"
    assert "\x1b" not in out


def test_status_odd_copies(fake):
    st = clone_status()
    set_copies(st, "www", "n1")
    set_copies(st, "pgdb", [5, {"node": 7}, {"state": "running"}])
    out = status_text(fake, st)
    assert cells(out, "www")[:4] == ["www", "clone", "running", "-"]
    assert cells(out, "pgdb")[3] == "replica ?, ? ? ?"
    # A group without kind (an older vigild) is a single group.
    st = clone_status()
    for g in st["groups"]:
        del g["kind"]
    out = status_text(fake, st)
    assert cells(out, "www")[:3] == ["www", "running", "-"]
    assert cells(out, "pgdb")[:3] == ["pgdb", "running", "n1"]


def test_status_json_passes_copies_through(fake):
    st = clone_status()
    srv = fake(ok(st))
    r = run("-s", srv.path, "status", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == st


def test_status_help_mentions_copies():
    r = run("status", "--help")
    assert r.returncode == 0
    assert "primary" in r.stdout and "copies" in r.stdout
    assert all(len(ln) <= 80 for ln in r.stdout.splitlines())


# ---- vigil group promote ----

def daemon(st, answer=None):
    """A vigild that answers status with st, and a change with answer (default: applied)."""
    def handle(req):
        if req["cmd"] == "status":
            return ok(st)
        if answer is not None:
            return answer
        return ok({"message": f"group {req['group']} moved to {req['to']}", "version": 12})
    return handle


def test_promote_sends_the_move(fake):
    srv = fake(daemon(clone_status()))
    r = run("-s", srv.path, "group", "promote", "pgdb", "--on", "n2")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "status"},
                            {"cmd": "group", "op": "move", "group": "pgdb", "to": "n2"}]
    assert r.stdout == ("group pgdb: switchover to n2 agreed: its primary is demoted, then n2's "
                        "copy promoted (follow it with 'vigil events --follow') (cluster "
                        "database version 12)\n")
    assert r.stderr == ""
    # --on before the operation, and --json: the daemon's result object.
    r = run("-s", srv.path, "group", "--on=n3", "promote", "pgdb", "--json")
    assert r.returncode == 0, r.stderr
    assert srv.requests[-1] == {"cmd": "group", "op": "move", "group": "pgdb", "to": "n3"}
    assert json.loads(r.stdout) == {"message": "group pgdb moved to n3", "version": 12}


def test_promote_refuses_groups_that_are_not_promotable(fake):
    srv = fake(daemon(clone_status()))
    r = run("-s", srv.path, "group", "promote", "www", "--on", "n2")
    assert r.returncode == 1
    assert r.stderr == ("vigil: group www is a clone, not promotable: its copies are alike and "
                        "none is promoted\n")
    assert r.stdout == ""
    r = run("-s", srv.path, "group", "promote", "web", "--on", "n3", "--json")
    assert r.returncode == 1
    assert r.stderr == ("vigil: group web is not promotable: it runs one copy (to run it on n3, "
                        "use 'vigil group move web --to n3')\n")
    assert r.stdout == ""
    # Only the status was asked: nothing was changed.
    assert srv.requests == [{"cmd": "status"}, {"cmd": "status"}]
    # A vigild that does not say the kind has single groups only.
    st = clone_status()
    del st["groups"][3]["kind"]
    srv = fake(daemon(st))
    r = run("-s", srv.path, "group", "promote", "pgdb", "--on", "n2")
    assert r.returncode == 1
    assert "group pgdb is not promotable" in r.stderr
    assert srv.requests == [{"cmd": "status"}]


def test_promote_refused_by_vigild(fake):
    # An unknown group is vigild's to name; so is a copy that cannot be promoted.
    for group, error in [
            ("pgx", "unknown group 'pgx'; did you mean 'pgdb'?"),
            ("pgdb", "refused: group pgdb cannot move to n3 now: n3 has no promotion score"),
            ("pgdb", "refused: n3 is offline for group pgdb"),
            ("pgdb", "group pgdb moved to n3: not acknowledged within 10 s by: n2")]:
        srv = fake(daemon(clone_status(), err(error)))
        r = run("-s", srv.path, "group", "promote", group, "--on", "n3")
        assert r.returncode == 1
        assert r.stderr == f"vigil: {error}\n"
        assert r.stdout == ""
        assert srv.requests[-1] == {"cmd": "group", "op": "move", "group": group, "to": "n3"}


def test_promote_daemon_unreachable_or_failing(fake):
    path = "/tmp/vigil-no-such-dir/vigild.sock"
    r = run("-s", path, "group", "promote", "pgdb", "--on", "n2")
    assert r.returncode == 3
    assert r.stderr == (f"vigil: cannot reach vigild at {path}: "
                        "No such file or directory (is vigild running?)\n")
    srv = fake(err("internal error"))
    r = run("-s", srv.path, "group", "promote", "pgdb", "--on", "n2")
    assert r.returncode == 1
    assert r.stderr == "vigil: internal error\n"
    assert srv.requests == [{"cmd": "status"}]


def test_move_of_a_clone_shows_the_policy_reason(fake):
    # vigild refuses to move a clone, with the policy's reason: shown as it is.
    error = ("refused: group www cannot move to n2 now: group www is a clone: its copies are not "
             "moved (they run on up to 2 nodes of its domain; put a node in standby to move its "
             "copy away)")
    srv = fake(err(error))
    r = run("-s", srv.path, "group", "move", "www", "--to", "n2")
    assert r.returncode == 1
    assert r.stderr == f"vigil: {error}\n"
    assert r.stdout == ""
    assert srv.requests == [{"cmd": "group", "op": "move", "group": "www", "to": "n2"}]


def test_promote_usage_errors_send_nothing(fake):
    srv = fake(daemon(clone_status()))
    for args, message in [
            (["group", "promote", "pgdb"],
             "vigil group: promote wants --on NODE: the node whose copy of group pgdb to promote"),
            (["group", "promote", "--on", "n2"], "vigil group: which group? give one GROUP to "
                                                 "promote"),
            (["group", "promote", "pgdb", "--to", "n2"],
             "vigil group: promote takes --on NODE, not --to ('vigil group promote pgdb --on "
             "n2')"),
            (["group", "move", "pgdb", "--on", "n2"],
             "vigil group: move takes --to NODE, not --on ('vigil group move pgdb --to n2')"),
            (["group", "stop", "pgdb", "--on", "n2"],
             "vigil group: --on is only for promote, not for stop"),
            (["group", "promote", "pgdb", "--on"], "vigil group: option '--on' requires an "
                                                   "argument"),
            (["group", "promote", "pgdb", "--on", ""], "vigil group: --on wants a node name"),
            (["group", "promote", "pgdb", "--on", "n2", "--on", "n3"],
             "vigil group: --on is given twice"),
            (["group", "promote", "pgdb", "n2"], "vigil group: unexpected argument 'n2'"),
            (["group", "switchover", "pgdb"],
             "vigil group: unknown operation 'switchover' (did you mean 'promote'?)"),
            (["group", "pgdb", "promote"],
             "vigil group: unknown operation 'pgdb' (did you mean 'vigil group promote pgdb'?)")]:
        r = run("-s", srv.path, *args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.splitlines()[0] == message
        assert "--help' for more information" in r.stderr
        assert r.stdout == ""
    time.sleep(0.05)
    assert srv.requests == []
