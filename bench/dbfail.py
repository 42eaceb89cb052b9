"""bench/failover's database scenarios: PostgreSQL 15 losing its node, replicated
and on a shared disk (imported by bench/failover; not a program of its own).

  promotable   three nodes, each with its own copy of the database, streaming
               replication with one synchronous standby, run by vigil as a
               promotable group (Debian's ocf:heartbeat:pgsqlms; the address
               198.51.100.130 follows the primary; tests/cluster/pglab.py
               builds it). The primary's node is powered off: it is fenced,
               then the standby with the most WAL is promoted: a hot standby.
               After each run the old primary is rewound and rejoins as a
               standby (pglab.rejoin, the operator's procedure).
  shared-disk  the same database on one shared disk, as
               examples/shared-disk-db.yaml runs it (fs, the address, postgres
               as a process, ready once pg_isready answers): the node running it
               is powered off; once it is fenced, the disk is mounted on another
               node and postgres starts there from cold (crash recovery).

A client in the lab's client namespace (lab/vigil-sql) commits one row per
transaction through the address every 10 ms, each step bounded by 1 s. Per
run: "first commit" is the time from the power-off to the end of the client's
first acknowledged commit after it; "gap" is, as for the web scenarios, from
the start of the last acknowledged commit before the first failure to the start
of the first one after it.
"""

import os
import shlex
import statistics
import time

import vigillab
from vigillab import LabError, wait_until

import pglab
from labhelpers import group_entry

VIP = "198.51.100.130"
SCENARIOS = ("promotable", "shared-disk")
FORM_TIMEOUT = 120
RECOVER_TIMEOUT = 180
SQL_INTERVAL_MS = 10
SQL_TIMEOUT_MS = 1000
MOUNT = "/srv/pg"
SHARED_DATA = f"{MOUNT}/data"


def _apply(lab, text):
    path = lab.shared_path("vigil-db.yaml")
    with open(path, "w") as f:
        f.write(text)
    r = lab.vigil("n1", "config", "apply", path, timeout=120)
    if r.returncode != 0:
        raise LabError(f"config apply: {r.stderr.strip()}")


def _base(lab, interval, misses):
    return vigillab.make_config(3, interval=interval, misses=misses,
                                fencing=vigillab.lab_fencing(3, lab.prefix))


def _up(lab, interval, misses):
    path = f"/tmp/vigil-bench-dbfail-{lab.prefix}.yaml"
    with open(path, "w") as f:
        f.write(_base(lab, interval, misses))
    lab.up(nodes=3, config=path, wait=True, timeout=FORM_TIMEOUT)


# ---------------------------------------------------------------- promotable

def promotable_lab(lab, interval, misses):
    """The lab with the replicated databases under vigil, primary on n1."""
    _up(lab, interval, misses)
    pglab.pg_setup(lab, VIP, primary="n1")
    _apply(lab, _base(lab, interval, misses)
           + vigillab.groups_yaml([pglab.pg_group(VIP, lab.nodes)]))
    pglab.wait_settled(lab, "n1", primary="n1")


def promotable_owner(lab):
    return pglab.wait_settled(lab, _observer(lab))


def promotable_after(lab, victim, observer):
    """After a run: the old primary rejoins (rewound) as a standby of the new one."""
    def promoted():
        p = pglab.primary_of(group_entry(lab.status(observer), pglab.GROUP)["on_nodes"])
        return p if p not in (None, victim) else None
    new = wait_until(promoted, RECOVER_TIMEOUT, "a new primary")
    pglab.rejoin(lab, victim, new, VIP)
    return new


# ---------------------------------------------------------------- shared disk

def shared_group(dev):
    pg = os.path.join(pglab.BINDIR, "postgres")
    return {"name": pglab.GROUP, "domain": ["n1", "n2", "n3"],
            "restarts": {"max": 2, "within": "30min"},
            "resources": [
                {"name": "pg-disk", "type": "fs", "device": dev, "mountpoint": MOUNT,
                 "fstype": "ext4", "options": "noatime"},
                {"name": "pg-vip", "type": "ip", "address": f"{VIP}/24", "network": "pub"},
                {"name": "postgres", "type": "process", "user": "postgres",
                 "command": [pg, "-D", SHARED_DATA],
                 "timeouts": {"stop": "1min"}, "ready_timeout": "5min",
                 "checks": [{"type": "exec", "command": ["/usr/bin/pg_isready", "-q", "-h", VIP,
                                                         "-p", str(pglab.PORT)],
                             "interval": "5s", "timeout": "3s", "failures": 2}]}]}


SHARED_CONF = f"""
listen_addresses = '{VIP}'
port = {pglab.PORT}
unix_socket_directories = ''
synchronous_commit = on
fsync = on
shared_buffers = 32MB
max_connections = 50
"""


def shared_lab(lab, interval, misses):
    """The lab with one database on a shared disk (made on n1) under vigil."""
    _up(lab, interval, misses)
    dev = lab.create_disk("pg", size_mb=256)
    q = shlex.quote
    b = pglab.BINDIR
    r = lab.exec("n1", ["/bin/sh", "-ec", f"mkdir -p {MOUNT} && mount {dev} {MOUNT} && "
                        f"mkdir -p {SHARED_DATA} && chown postgres: {SHARED_DATA} && "
                        f"chmod 700 {SHARED_DATA}"])
    if r.returncode != 0:
        raise LabError(f"shared disk: {r.stderr.strip()}")
    try:
        pglab.as_postgres(lab, "n1", f"""
{b}/initdb -D {SHARED_DATA} -U postgres --auth=trust >/dev/null
printf '%s' {q(SHARED_CONF)} >> {SHARED_DATA}/postgresql.conf
printf '%s' {q(pglab.HBA)} > {SHARED_DATA}/pg_hba.conf
{b}/pg_ctl -D {SHARED_DATA} -l {SHARED_DATA}/setup.log -w -t 60 \
  -o "-c listen_addresses= -c unix_socket_directories={SHARED_DATA}" start >/dev/null
{b}/psql -h {SHARED_DATA} -U postgres -d postgres -qAtc \
  "CREATE TABLE acked (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"
{b}/pg_ctl -D {SHARED_DATA} -w -t 60 -m fast stop >/dev/null
""", timeout=300)
    finally:
        lab.exec("n1", ["umount", MOUNT])
    _apply(lab, _base(lab, interval, misses) + vigillab.groups_yaml([shared_group(dev)]))
    shared_owner(lab)


def shared_owner(lab):
    def running():
        g = group_entry(lab.status(_observer(lab)), pglab.GROUP)
        return g["node"] if g and g["state"] == "running" else None
    return wait_until(running, RECOVER_TIMEOUT, "the database group to run")


def shared_after(lab, victim, observer):
    """After a run: the victim powers on again and joins."""
    lab.poweron(victim)
    lab.wait_answering(victim, timeout=FORM_TIMEOUT)
    lab.wait_formed(timeout=FORM_TIMEOUT)
    return shared_owner(lab)


# ---------------------------------------------------------------- runs

KINDS = {"promotable": (promotable_lab, promotable_owner, promotable_after),
         "shared-disk": (shared_lab, shared_owner, shared_after)}


def _observer(lab):
    for n in lab.nodes:
        if lab.vigild_running(n):
            return n
    raise LabError("no node runs vigild")


def measure(client, t0, timeout=RECOVER_TIMEOUT):
    """(first commit, gap) in ms after a fault at t0 (see the module's docstring)."""
    deadline = time.monotonic() + timeout
    while True:
        att = client.attempts(since=t0 - 5000)
        fail = next((a for a in att if a.start >= t0 and not a.ok), None)
        after = fail and [a for a in att if a.start > fail.start]
        if after and len(after) >= 5 and all(a.ok for a in after[-5:]):
            break
        if time.monotonic() > deadline:
            raise LabError("the client commits nothing after the fault")
        time.sleep(0.1)
    first = next(a for a in att if a.ok and a.start > fail.start)
    last_ok = next((a for a in reversed(att) if a.ok and a.start < fail.start), None)
    if last_ok is None:
        raise LabError("no acknowledged commit before the fault")
    return first.end - t0, first.start - last_ok.start


def bench_kind(lab, kind, interval, misses, runs, log):
    """Runs one database scenario `runs` times on a lab of its own; returns
    ({"first commit": [ms], "gap": [ms]}, notes, heartbeat as vigil status shows it)."""
    build, owner, after = KINDS[kind]
    out = {"first commit": [], "gap": []}
    notes = []
    log(f"{kind}: building the lab")
    build(lab, interval, misses)
    hb = lab.status("n1").get("heartbeat", {})
    try:
        client = lab.start_sql_client("bench-sql", VIP, interval_ms=SQL_INTERVAL_MS,
                                      timeout_ms=SQL_TIMEOUT_MS, max_seconds=3 * 3600)
        client.wait_answer(timeout=RECOVER_TIMEOUT, consecutive=5)
        for i in range(1, runs + 1):
            try:
                victim = owner(lab)
                observer = [n for n in lab.nodes if n != victim][0]
                time.sleep(2)
                t0 = time.monotonic() * 1000
                lab.poweroff(victim)
                first, gap = measure(client, t0)
                now = after(lab, victim, observer)
                out["first commit"].append(first)
                out["gap"].append(gap)
                log(f"{kind} run {i}/{runs}: first commit {first:.0f} ms, gap {gap:.0f} ms "
                    f"({victim}->{now})")
            except (LabError, TimeoutError) as e:
                notes.append(f"run {i}: {e}")
                log(f"{kind} run {i}/{runs} failed: {e}")
                break
    finally:
        lab.stop_pollers()
        lab.down()
    return out, notes, hb


def summary(values):
    if not values:
        return "no data"
    return (f"median {statistics.median(values):6.0f} ms   min {min(values):6.0f} ms   "
            f"max {max(values):6.0f} ms   (n={len(values)})")
