"""Restart back-off and the expiry of failures, on a 3-node lab with fencing.

Group `flaky` (domain n1, n2) runs one process that exits at once unless the
node has the flag file /run/flaky-ok, which no node has at first: on every
node it fails within milliseconds of each start. Its restarts back off (the
first is immediate, the second waits restarts.backoff, 1s by default), its
budget (max 2) runs out on n1, then on n2, and it is failed everywhere;
`vigil status` says when it tries next and where. restarts.within (5s here)
after each ban the node may run it again, so the group keeps trying by itself
(the event group_failures_expired each time). Once the flag file exists on the
nodes, the next try succeeds: the group runs again without `vigil cleanup`.

Written for the loader's defaults of restarts.backoff (1s) and backoff_max
(1min): the test does not set them.
"""

import json

import pytest

from labhelpers import group_entry, group_events, wait_group
from vigillab import lab_fencing, make_config, wait_until

FLAG = "/run/flaky-ok"
WITHIN_MS = 5000
TIMEOUT = 120  # generous: waited for, never asserted


def LAB_CONFIG(lab):
    flaky = {"name": "flaky", "domain": ["n1", "n2"],
             "restarts": {"max": 2, "within": "5s"},
             "resources": [
                 {"name": "app", "type": "process",
                  "command": ["/bin/sh", "-c", f"test -e {FLAG} || exit 1; exec sleep 3600"]},
             ]}
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[flaky])


@pytest.fixture(autouse=True)
def healthy(lab, _healthy_lab):
    pass


def note_of(out, first):
    """The NOTE cell of the row of `first` in `vigil status` text, continuation lines joined."""
    lines = out.splitlines()
    header = next(ln for ln in lines if ln.startswith("GROUP"))
    col = header.index("NOTE")
    i = next(i for i, ln in enumerate(lines) if ln.split() and ln.split()[0] == first
             and ln.startswith(first))
    parts = [lines[i][col:]]
    for ln in lines[i + 1:]:
        if ln[:col].strip() or not ln.strip():
            break
        parts.append(ln[col:])
    return " ".join(p.strip() for p in parts)


def failed_with_next_try(lab):
    """(status text row note, json entry) while flaky is failed everywhere and says when it
    tries next; None otherwise."""
    r = lab.vigil("n3", "status")
    if r.returncode != 0 or "flaky" not in r.stdout:
        return None
    row = next((ln.split() for ln in r.stdout.splitlines() if ln.startswith("flaky ")), [])
    if row[:2] != ["flaky", "FAILED"]:
        return None
    note = note_of(r.stdout, "flaky")
    if "next try in" not in note:
        return None
    j = lab.vigil("n3", "status", "--json")
    g = group_entry(json.loads(j.stdout), "flaky") if j.returncode == 0 else None
    if not g or g["state"] != "failed" or "next_try_in_ms" not in g:
        return None
    return note, g


def test_fails_fast_backs_off_fails_then_recovers_by_itself(lab):
    # It fails on every node from the start: a failure on n1 first is restarted at
    # once, the next one within the window backs off for 1s. (n1's own events: it is
    # a member whenever the group runs there.)
    def failures_on(node):
        return [e for e in group_events(lab, node, 0, "flaky", ("resource_failed",))
                if e.get("node") == node]
    first = wait_until(lambda: (lambda f: f if len(f) >= 3 else None)(failures_on("n1")),
                       TIMEOUT, "three failures of flaky on n1")
    for e in first[:3]:
        print(f"seq {e['seq']} ts {e['ts_ms']}: {e['message']}")
    assert first[0]["message"].endswith("; restarting in place"), first[0]
    assert first[1]["message"].endswith("; restarting in place in 1s (back-off)"), first[1]
    assert first[2]["message"].endswith("; restart budget used up: failing over"), first[2]
    assert "process exited with status 1" in first[0]["message"], first[0]
    # The restart after the second failure waited its back-off (the third failure
    # comes after it; a lower bound with room for clocks, never an upper one).
    assert first[2]["ts_ms"] - first[1]["ts_ms"] >= 900, first[:3]
    restarted = group_events(lab, "n1", 0, "flaky", ("group_restarted",))
    assert restarted, "no restart in place"

    # Failed everywhere: the status says when it tries next, in text and JSON.
    note, g = wait_until(lambda: failed_with_next_try(lab), TIMEOUT,
                         "flaky failed everywhere, with its next try")
    print(f"status note: {note}")
    print(f"status json: state {g['state']}, banned {g['banned']}, next try in "
          f"{g['next_try_in_ms']} ms on {g['next_try_node']}")
    assert sorted(g["banned"]) == ["n1", "n2"], g
    assert g["next_try_node"] in ("n1", "n2"), g
    assert 0 <= g["next_try_in_ms"] <= WITHIN_MS, g
    assert f"on {g['next_try_node']}" in note.split("next try in", 1)[1], note
    assert any(e["type"] == "group_failed"
               for e in group_events(lab, "n3", 0, "flaky", ("group_failed",)))

    # Its failures expire and it tries again by itself (still failing for now).
    ev = wait_until(lambda: group_events(lab, "n3", 0, "flaky", ("group_failures_expired",)),
                    TIMEOUT, "the expiry of flaky's failures")
    print(f"expired: {ev[0]['message']}")
    assert ev[0]["message"] in (f"group flaky: failures on {n} expired; it may run there again"
                                for n in ("n1", "n2")), ev[0]
    seen = ev[-1]["seq"]
    wait_until(lambda: [e for e in group_events(lab, "n3", seen, "flaky", ("resource_failed",))],
               TIMEOUT, "flaky tried again after the expiry")

    # Fixed on the nodes: the next try succeeds, without vigil cleanup.
    for node in ("n1", "n2"):
        lab.exec(node, ["touch", FLAG], check=True)
    g = wait_group(lab, "n3", "flaky", lambda e: e["state"] == "running", "running again",
                   timeout=TIMEOUT)
    print(f"running on {g['node']}: failures {g['failures']}, banned {g['banned']}")
    assert g["failures"] >= 6, g  # counted until a cleanup, which nobody ran
    assert "next_try_in_ms" not in g, g
    assert not any(e["type"] == "admin"
                   for e in group_events(lab, "n3", 0, "flaky", ("admin",)))
    # The other node's ban expires too: nothing is left banned.
    g = wait_group(lab, "n3", "flaky", lambda e: e["banned"] == [] and e["state"] == "running",
                   "no node banned", timeout=TIMEOUT)
    r = lab.vigil("n3", "status")
    assert "next try" not in r.stdout, r.stdout
