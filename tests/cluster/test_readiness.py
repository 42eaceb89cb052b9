"""A resource is started when it is ready (issue 11), on a 3-node lab with fencing.

Group `slow`: its first resource `db` is a process that starts listening on
127.0.0.1:7001 only about 2 s after it is executed, with a tcp check of that
port; its second resource `after` is a process that notes when it started.
`after` starts only once `db` listens, `db` shows `starting` meanwhile, and
group_started's duration includes the wait.

Group `broken`: its process exits at once on n1 (and listens elsewhere), with a
tcp check: on n1 that is a failed start ("exited with status 1 before it was
ready"), so the group fails over to n2.
"""

import pytest

from labhelpers import (group_entry, group_events, group_running_on, last_seq, resource_entry,
                        vigil_ok, wait_group, wait_group_event)
from vigillab import PYTHON, lab_fencing, make_config, wait_until
from vigilwatch import now_ms

DELAY_S = 2
DB_MARK = "/run/ready-db-listening"
AFTER_MARK = "/run/ready-after-started"


def listener(port, delay_s=0, mark=None):
    """Python code that sleeps delay_s, listens on 127.0.0.1:port, writes the wall
    time in ns to `mark` (if given) and accepts for ever."""
    code = (f"import socket, time; time.sleep({delay_s}); s = socket.socket(); "
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            f"s.bind(('127.0.0.1', {port})); s.listen(16); ")
    if mark:
        code += f"open('{mark}', 'w').write(str(time.time_ns())); "
    code += "[s.accept()[0].close() for _ in iter(int, 1)]"
    return code


def tcp_check(port):
    return [{"type": "tcp", "host": "127.0.0.1", "port": port, "interval": "1s",
             "timeout": "500ms"}]


def LAB_CONFIG(lab):
    slow = {"name": "slow", "domain": ["n1", "n2", "n3"], "resources": [
        {"name": "db", "type": "process",
         "command": [PYTHON, "-c", listener(7001, DELAY_S, DB_MARK)],
         "ready_timeout": "30s", "checks": tcp_check(7001)},
        {"name": "after", "type": "process",
         "command": ["/bin/sh", "-c", f"date +%s%N > {AFTER_MARK}; exec sleep 3600"]},
    ]}
    broken = {"name": "broken", "domain": ["n1", "n2"], "resources": [
        {"name": "flaky", "type": "process",
         "command": ["/bin/sh", "-c",
                     'if [ "$VIGIL_NODE" = n1 ]; then exit 1; fi; exec "$0" -c "$1"',
                     PYTHON, listener(7002)],
         "ready_timeout": "20s", "checks": tcp_check(7002)},
        {"name": "tail", "type": "process", "command": ["/bin/sleep", "3600"]},
    ]}
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[slow, broken])


@pytest.fixture(autouse=True)
def healthy(lab, _healthy_lab):
    pass


def read_ns(lab, node, path):
    r = lab.exec(node, ["cat", path])
    return int(r.stdout.strip()) if r.returncode == 0 and r.stdout.strip() else None


def test_next_resource_waits_until_ready(lab):
    g = wait_group(lab, "n1", "slow", lambda e: e["state"] == "running", "running")
    where = g["node"]
    vigil_ok(lab, "n1", "group", "stop", "slow")
    wait_group(lab, "n1", "slow", lambda e: e["state"] == "stopped"
               and all(r["state"] == "stopped" for r in e["resources"]), "stopped")
    lab.exec(where, ["rm", "-f", DB_MARK, AFTER_MARK], check=True)
    mark = last_seq(lab, "n1")
    t0 = now_ms()
    vigil_ok(lab, "n1", "group", "start", "slow")

    # While db is executed but not listening: db starting, after not started.
    seen = wait_until(lambda: (lambda s: s if s and resource_entry(s, "slow", "db")["state"]
                               == "starting" else None)(lab.status("n1")),
                      30, "db starting")
    assert resource_entry(seen, "slow", "after")["state"] == "stopped", group_entry(seen, "slow")
    assert group_entry(seen, "slow")["state"] == "starting", group_entry(seen, "slow")
    assert read_ns(lab, where, AFTER_MARK) is None

    ev = wait_group_event(lab, "n1", "group_started", mark, "slow")
    took = now_ms() - t0
    g = group_running_on(lab, "n1", "slow", where)
    listening = read_ns(lab, where, DB_MARK)
    after = read_ns(lab, where, AFTER_MARK)
    print(f"slow on {where}: group_started duration_ms={ev['duration_ms']}, "
          f"after started {(after - listening) / 1e6:.0f} ms after db listened; "
          f"start to running seen in {took} ms")
    assert listening is not None and after is not None
    assert after >= listening, (after, listening)
    assert ev["duration_ms"] >= DELAY_S * 1000, ev
    assert g["failures"] == 0 and g["banned"] == [], g
    # The vigild log shows the order too.
    with open(lab.log_path(where), errors="replace") as f:
        log = f.read()
    ready = log.rfind("slow/db: ready: its checks pass")
    started = log.rfind("slow/after: started")
    assert 0 <= ready < started, (ready, started)


def test_exit_before_ready_fails_start_and_fails_over(lab):
    g = group_running_on(lab, "n1", "broken", "n2")
    flaky = resource_entry(lab.status("n1"), "broken", "flaky")
    print(f"broken: {g['state']} on {g['node']}, banned {g['banned']}, "
          f"flaky last_failure {flaky.get('last_failure')}")
    assert g["banned"] == ["n1"], g
    lf = flaky["last_failure"]
    assert lf["node"] == "n1", lf
    assert "exited with status 1 before it was ready" in lf["reason"], lf
    assert lf["reason"].startswith("start failed"), lf

    # Again, on demand: clean up (n1 allowed again), move it to n1: it fails there
    # as a start and comes back to n2.
    mark = last_seq(lab, "n2")
    vigil_ok(lab, "n1", "cleanup", "broken")
    r = lab.vigil("n1", "group", "move", "broken", "--to", "n1", timeout=120)
    print(f"move: exit {r.returncode}: {r.stdout.strip()} {r.stderr.strip()}")
    ev = wait_group_event(lab, "n2", "resource_failed", mark, "broken")
    assert ev.get("resource") == "flaky", ev
    assert "exited with status 1 before it was ready" in ev["message"], ev
    g = group_running_on(lab, "n2", "broken", "n2")
    assert "n1" in g["banned"], g
    types = [e["type"] for e in group_events(lab, "n2", mark, "broken")]
    print(f"broken events after the move: {types}")
