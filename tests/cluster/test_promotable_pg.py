"""PostgreSQL 15 streaming replication under vigil: a promotable group (issue 12).

Three lab nodes, each with its own database (tests/cluster/pglab.py builds them
as an operator would: a primary, two clones made with pg_basebackup, one
synchronous standby among them, `synchronous_commit = on`). vigil runs them
with Debian's unmodified promotable agent ocf:heartbeat:pgsqlms (package
resource-agents-paf), which learns the node's name from crm_node, keeps the
promotion scores with crm_master and elects the standby with the most WAL in
its pre-promote notifications: vigil's Pacemaker-compatible commands and its
notifications are what make it run. The address VIP follows the primary.

A client in the client namespace (lab/vigil-sql) commits one row per
transaction through VIP and records each acknowledged commit. A sampler asks
every node that is powered on, again and again, whether its server is a
primary (`pg_is_in_recovery()` false): two at once would be two writable
primaries.

- The primary's node loses power: it is fenced, a standby is promoted, the
  client commits again through VIP on the new primary, the other standby
  follows the new primary, and every acknowledged commit is there. The old
  primary then rejoins as a standby by the operator's procedure (pg_rewind, one
  start and clean stop as a standby, `vigil cleanup pg`).
- The primary's postmaster is killed (SIGKILL): the agent reports a crashed
  primary, which cannot be stopped cleanly; vigil fences its node and promotes
  a standby. Every acknowledged commit is there.
- `vigil group promote pg --on NODE`: a switchover; the old primary is demoted
  first and goes on as a standby of the new one; no commit is lost.
"""


import pytest

from labhelpers import (group_entry, group_events, holds_address, last_seq, vigil_ok,
                        wait_event, wait_group_event)
from pglab import (PGDATA, in_recovery, pg_group, pg_log_tail, pg_setup, pg_stop_all, psql,
                   rejoin, streaming, wait_settled)
from vigillab import LabError, lab_fencing, make_config, wait_until
from vigilwatch import PrimarySampler, now_ms

VIP = "198.51.100.130"
ALL = ["n1", "n2", "n3"]
FENCE_TIMEOUT = 90
PG_TIMEOUT = 180  # PostgreSQL's starts and promotions on a loaded machine


def LAB_CONFIG(lab):
    # The databases are built once the lab runs (they need its nodes): the group
    # comes with a configuration applied then (the `pg` fixture).
    return make_config(3, fencing=lab_fencing(3, lab.prefix))


def writable(lab, node):
    """Whether node's server is a primary (False when it cannot answer)."""
    try:
        return in_recovery(lab, node) is False
    except LabError:  # powered off meanwhile: no server runs there
        return False


def watched(lab, sampler, client, first):
    """The start of every test: pg settled, samplers of the VIP and of writable
    primaries running, and a client committing through the VIP (ids from
    first) on the primary. Returns (primary, VIP sampler, primary sampler, client)."""
    old = wait_settled(lab, "n2")
    samp = sampler(addresses={"vip": VIP})
    prim = PrimarySampler(ALL, lambda n: writable(lab, n))
    c = lab.start_sql_client(client, VIP, first_id=first)
    c.wait_answer(old, timeout=60, consecutive=5)
    return old, samp, prim, c


def committed_ids(lab, node, first):
    out = psql(lab, node, f"SELECT id FROM acked WHERE id >= {first} ORDER BY id", timeout=60)
    return {int(x) for x in out.split()}


def check_no_acked_commit_lost(lab, client, first, primary):
    acked = lab.acked_ids(client)
    assert acked, "the client never committed"
    rows = committed_ids(lab, primary, first)
    lost = sorted(set(acked) - rows)
    print(f"{client}: {len(acked)} acknowledged commits, {len(rows)} rows on {primary}, "
          f"lost {len(lost)}")
    assert not lost, f"acknowledged commits missing on {primary}: {lost[:20]}"


@pytest.fixture(scope="module")
def pg(lab):
    """The databases built, and the pg group configured: primary on n1."""
    pg_setup(lab, VIP, primary="n1")
    path = lab.shared_path("vigil-pg.yaml")
    with open(path, "w") as f:
        f.write(make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[pg_group(VIP, ALL)]))
    vigil_ok(lab, "n1", "config", "apply", path, timeout=120)
    try:
        wait_settled(lab, "n1", primary="n1")
    except BaseException:
        for n in ALL:
            print(f"--- {n}: PostgreSQL log ---\n{pg_log_tail(lab, n)}")
        raise
    yield
    pg_stop_all(lab)


@pytest.fixture(autouse=True)
def settled(lab, pg, _healthy_lab):
    """Every test starts with one primary and two streaming standbys, and nothing
    failed; prints the PostgreSQL logs when it fails."""
    st = lab.status("n2")
    e = group_entry(st, "pg")
    if e["failures"] or e["banned"]:
        vigil_ok(lab, "n2", "cleanup", "pg")
    wait_settled(lab, "n2")
    yield
    for n in ALL:
        print(f"--- {n}: PostgreSQL log ---\n{pg_log_tail(lab, n, 25)}")


def test_primary_poweroff_loses_no_acknowledged_commit(lab, sampler):
    first = 1_000_000
    old, samp, prim, client = watched(lab, sampler, "sql-poweroff", first)
    watch = lab.nodes[(lab.nodes.index(old) + 1) % 3]
    mark = last_seq(lab, watch)
    t = now_ms()
    prim.off.add(old)
    lab.poweroff(old)
    fenced = wait_event(lab, watch, "fence_succeeded", mark, subject=old, timeout=FENCE_TIMEOUT)
    ev = wait_group_event(lab, watch, "group_promoted", mark, "pg", timeout=PG_TIMEOUT)
    new = ev["node"]
    assert new != old and ev["seq"] > fenced["seq"], ev
    client.wait_answer(new, since=t, timeout=PG_TIMEOUT, consecutive=5)
    print(f"poweroff of {old}: {client.describe(since=t)}")
    assert holds_address(lab, new, VIP)
    # The third node follows the new primary (pgsqlms's standbys point at VIP).
    third = [n for n in ALL if n not in (old, new)][0]
    wait_until(lambda: in_recovery(lab, third) is True and streaming(lab, third), PG_TIMEOUT,
               f"{third} streams from {new}")
    client.stop()
    check_no_acked_commit_lost(lab, "sql-poweroff", first, new)
    # The fenced node stays off (fencing action off). Its server stopped as a
    # primary would crash: the agent would not start it. The operator rewinds it.
    assert lab.power_state(old)["power"] == "off"
    prim.off.discard(old)
    rejoin(lab, old, new, VIP)
    assert in_recovery(lab, old) is True
    check_no_acked_commit_lost(lab, "sql-poweroff", first, old)  # replicated to it too
    samp.stop()
    samp.check()
    prim.stop()
    assert not any(e["type"] == "group_multi_active" for e in group_events(lab, watch, mark))


def test_postmaster_killed_fences_and_promotes(lab, sampler):
    first = 2_000_000
    old, samp, prim, client = watched(lab, sampler, "sql-kill", first)
    watch = lab.nodes[(lab.nodes.index(old) + 1) % 3]
    mark = last_seq(lab, watch)
    t = now_ms()
    r = lab.exec(old, ["sh", "-c", f"kill -KILL $(head -n 1 {PGDATA}/postmaster.pid)"])
    assert r.returncode == 0, r.stderr
    ev = wait_group_event(lab, watch, "group_promoted", mark, "pg", timeout=PG_TIMEOUT)
    new = ev["node"]
    client.wait_answer(new, since=t, timeout=PG_TIMEOUT, consecutive=5)
    print(f"SIGKILL of {old}'s postmaster: {client.describe(since=t)}")
    for e in group_events(lab, watch, mark):
        print(f"event {e['seq']} {e['type']} {e.get('subject', '')} {e.get('message', '')}")
    client.stop()
    check_no_acked_commit_lost(lab, "sql-kill", first, new)
    if new != old:
        # The crashed primary could not be stopped cleanly: its node was fenced.
        fenced = [e for e in group_events(lab, watch, mark, types=("fence_succeeded",))]
        print(fenced)
        wait_until(lambda: lab.power_state(old)["power"] == "off", FENCE_TIMEOUT,
                   f"{old} fenced (off)")
        prim.off.discard(old)
        rejoin(lab, old, new, VIP)
    samp.stop()
    samp.check()
    prim.stop()


def test_switchover_with_group_promote(lab, sampler):
    first = 3_000_000
    old, samp, prim, client = watched(lab, sampler, "sql-switch", first)
    target = lab.nodes[(lab.nodes.index(old) + 1) % 3]
    mark = last_seq(lab, target)
    t = now_ms()
    vigil_ok(lab, target, "group", "promote", "pg", "--on", target, timeout=PG_TIMEOUT)
    wait_settled(lab, target, primary=target)
    dem = wait_group_event(lab, target, "group_demoted", mark, "pg")
    prom = wait_group_event(lab, target, "group_promoted", mark, "pg")
    assert dem["node"] == old and prom["node"] == target and dem["seq"] < prom["seq"]
    client.wait_answer(target, since=t, timeout=PG_TIMEOUT, consecutive=5)
    print(f"switchover {old} -> {target}: {client.describe(since=t)}")
    assert in_recovery(lab, old) is True and holds_address(lab, target, VIP)
    client.stop()
    check_no_acked_commit_lost(lab, "sql-switch", first, target)
    samp.stop()
    samp.check()
    prim.stop()
