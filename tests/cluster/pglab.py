"""PostgreSQL 15 streaming replication in the lab, for the promotable-group tests.

Each lab node has its own /var/lib/postgresql (lab.NODE_BINDS), so the nodes'
data directories are as separate as on real machines. pg_setup builds what an
operator builds before handing the databases to a cluster manager (the
procedure of the PAF documentation): a primary initialised on the first node,
the others cloned from it with pg_basebackup, every node's primary_conninfo
pointing at the address the primary will hold (the group's virtual IP), with
application_name = the node's name, and every server stopped. The servers are
then vigil's to start, promote and demote (ocf:heartbeat:pgsqlms). A node's own
settings are in /var/lib/postgresql/node.conf, outside its data directory, so
that pg_rewind (which copies the source's configuration files) keeps them.

The lab's networks are the only ones trusted (pg_hba.conf): 192.0.2.0/24 and
198.51.100.0/24, without passwords, for clients and replication alike.
"""

import os
import shlex
import time

from labbase import LabError, wait_until
from labhelpers import wait_group

BINDIR = "/usr/lib/postgresql/15/bin"
PGROOT = "/var/lib/postgresql"
PGDATA = f"{PGROOT}/15/vigil"
SOCKDIR = f"{PGROOT}/run"  # per node (under the node's own /var/lib/postgresql)
PGLOG = f"{PGROOT}/pg.log"  # the server's log (logging_collector), whoever starts it
PGCTLLOG = f"{PGROOT}/pg_ctl.log"  # what a server started by pg_setup prints before that
PORT = 5432
USER = "postgres"

# The settings every node shares, in postgresql.conf: replication on, one
# synchronous standby among the others (added by pg_setup once the clones are
# made). What differs between nodes (its name, whom it streams from) is in
# NODECONF, outside the data directory: pg_rewind copies the whole data
# directory of the source, postgresql.conf included, so a rewound node keeps
# its own identity only because it lives elsewhere.
#
# wal_retrieve_retry_interval: a standby whose primary is gone tries again
# this often (5 s by default). After a failover the new primary's commits
# wait until a synchronous standby streams from it: with the default, the
# first commit after a failover came 5 s after the power-off (bench/failover,
# promotable, median of 10), with 500 ms 2.6 s (2026-12-03).
CONF = """
listen_addresses = '*'
port = {port}
unix_socket_directories = '{sockdir}'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
wal_log_hints = on
synchronous_commit = on
recovery_target_timeline = 'latest'
wal_receiver_status_interval = 1s
wal_retrieve_retry_interval = 500ms
shared_buffers = 32MB
max_connections = 50
fsync = on
logging_collector = on
log_directory = '{pgroot}'
log_filename = 'pg.log'
log_line_prefix = '%m [%p] '
include '{nodeconf}'
"""

NODECONF = f"{PGROOT}/node.conf"


def _node_conf(node, host):
    return (f"cluster_name = '{node}'\n"
            f"primary_conninfo = 'host={host} port={PORT} user={USER} application_name={node}'\n")


HBA = """local all all trust
local replication all trust
host all all 127.0.0.1/32 trust
host all all 192.0.2.0/24 trust
host all all 198.51.100.0/24 trust
host replication all 192.0.2.0/24 trust
host replication all 198.51.100.0/24 trust
"""


def as_postgres(lab, node, script, timeout=120, check=True):
    """Runs a shell script as the postgres user in a node; returns the result."""
    r = lab.exec(node, ["runuser", "-u", USER, "--", "/bin/sh", "-ec", script],
                 timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{node}: postgres script failed ({r.returncode}):\n{script}\n"
                           f"{r.stdout}{r.stderr}")
    return r


def node_addr(lab, node):
    """The node's address on the first (private) network, which replication uses for
    the initial clone."""
    return f"192.0.2.{lab.nodes.index(node) + 1}"


def _write_node_conf(lab, node, host):
    q = shlex.quote
    as_postgres(lab, node, f"printf '%s' {q(_node_conf(node, host))} > {NODECONF}")


def pg_setup(lab, vip, primary="n1"):
    """Builds the replicated databases (see the module's docstring) and leaves every
    server stopped. The primary's database holds a table `acked (id bigint primary
    key, at timestamptz)` for the committing client."""
    q = shlex.quote
    for node in lab.nodes:
        r = lab.exec(node, ["sh", "-c", f"rm -rf {PGROOT}/15 {SOCKDIR} {PGLOG} {PGCTLLOG} "
                     f"{NODECONF}; "
                     f"mkdir -p {PGROOT}/15 {SOCKDIR}; chown -R {USER}: {PGROOT}"])
        assert r.returncode == 0, r.stderr
    conf = CONF.format(port=PORT, sockdir=SOCKDIR, nodeconf=NODECONF, pgroot=PGROOT)
    _write_node_conf(lab, primary, vip)
    as_postgres(lab, primary, f"""
{BINDIR}/initdb -D {PGDATA} -U {USER} --auth=trust --data-checksums >/dev/null
printf '%s' {q(conf)} >> {PGDATA}/postgresql.conf
printf '%s' {q(HBA)} > {PGDATA}/pg_hba.conf
{BINDIR}/pg_ctl -D {PGDATA} -l {PGCTLLOG} -w -t 60 start >/dev/null
{BINDIR}/psql -h {SOCKDIR} -U {USER} -d postgres -qAtc \
  "CREATE TABLE acked (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"
""")
    for node in lab.nodes:
        if node == primary:
            continue
        _write_node_conf(lab, node, node_addr(lab, primary))
        as_postgres(lab, node, f"""
{BINDIR}/pg_basebackup -h {node_addr(lab, primary)} -p {PORT} -U {USER} -D {PGDATA} \
  -X stream -c fast
touch {PGDATA}/standby.signal
{BINDIR}/pg_ctl -D {PGDATA} -l {PGCTLLOG} -w -t 60 start >/dev/null
""")
    # Every clone streams from the primary; then the primary stops first (its
    # last WAL reaches the standbys), then the standbys: all end at the same point.
    for node in lab.nodes:
        if node != primary:
            for _ in range(300):
                if psql(lab, node, "SELECT status FROM pg_stat_wal_receiver") == "streaming":
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError(f"{node}: not streaming from {primary}:\n"
                                   + pg_log_tail(lab, node))
    as_postgres(lab, primary, f"{BINDIR}/pg_ctl -D {PGDATA} -w -t 60 -m fast stop >/dev/null")
    for node in lab.nodes:
        if node != primary:
            as_postgres(lab, node, f"{BINDIR}/pg_ctl -D {PGDATA} -w -t 60 -m fast stop >/dev/null")
            _write_node_conf(lab, node, vip)
    # Synchronous replication from now on (set last: the clones were made without it).
    sync = f"synchronous_standby_names = 'ANY 1 ({', '.join(lab.nodes)})'"
    for node in lab.nodes:
        as_postgres(lab, node, f"echo {q(sync)} >> {PGDATA}/postgresql.conf")
        state = as_postgres(lab, node, f"{BINDIR}/pg_controldata {PGDATA}").stdout
        assert "Database cluster state:" in state and "shut down" in state, (node, state)


def pg_running(lab, node):
    """Whether a postmaster runs in node (its pid file names a live process there)."""
    r = as_postgres(lab, node, f"{BINDIR}/pg_ctl -D {PGDATA} status >/dev/null", check=False)
    return r.returncode == 0


def psql(lab, node, sql, timeout=30, check=True):
    """Runs SQL on node's own server through its local socket; returns the output
    (unaligned, tuples only)."""
    r = as_postgres(lab, node, f"{BINDIR}/psql -h {SOCKDIR} -U {USER} -d postgres -qAtX -c "
                    f"{shlex.quote(sql)}", timeout=timeout, check=check)
    return r.stdout.strip()


def in_recovery(lab, node):
    """True (a standby), False (a primary), or None (no answer)."""
    r = as_postgres(lab, node, f"{BINDIR}/psql -h {SOCKDIR} -U {USER} -d postgres -qAtX -c "
                    "'SELECT pg_is_in_recovery()'", check=False, timeout=15)
    out = r.stdout.strip()
    return {"t": True, "f": False}.get(out) if r.returncode == 0 else None


def pg_log_tail(lab, node, lines=40):
    """The end of node's server log (a note instead when the node is powered off)."""
    try:
        r = lab.exec(node, ["tail", "-n", str(lines), PGLOG])
    except LabError as e:
        return f"({e})"
    return r.stdout


def pg_stop_all(lab):
    """Stops every node's server (immediate): the end of a test module."""
    for node in lab.nodes:
        try:
            as_postgres(lab, node, f"{BINDIR}/pg_ctl -D {PGDATA} -m immediate -w -t 30 stop "
                        ">/dev/null 2>&1 || true", check=False)
        except LabError:
            pass  # powered off: nothing runs there


def pgsqlms_params():
    """The ocf:heartbeat:pgsqlms parameters for these databases."""
    return {"bindir": BINDIR, "pgdata": PGDATA, "datadir": PGDATA, "pghost": SOCKDIR,
            "pgport": str(PORT), "system_user": USER}


# ---------------------------------------------------------------- under vigil

GROUP = "pg"
SETTLE_TIMEOUT = 180  # PostgreSQL's starts and promotions on a loaded machine


def pg_group(vip, domain, network="pub"):
    """The promotable group of these databases (a dict for make_config's groups):
    pgsqld (ocf:heartbeat:pgsqlms, unmodified, notify on: it elects the standby
    with the most WAL in its pre-promote notifications) and the address vip that
    follows the primary."""
    return {"name": GROUP, "domain": list(domain), "promotable": {"notify": True},
            "restarts": {"max": 2, "within": "30min"},
            "resources": [
                {"name": "pgsqld", "type": "ocf:heartbeat:pgsqlms", "params": pgsqlms_params(),
                 "monitor": "2s", "timeouts": {"start": "60s", "stop": "60s"},
                 "promote_timeout": "60s", "demote_timeout": "120s", "notify_timeout": "60s"},
                {"name": "pg-vip", "type": "ip", "address": f"{vip}/24", "network": network}]}


def primary_of(on_nodes):
    """The node whose copy is primary in a status's on_nodes, or None (none or several)."""
    p = [n for n, v in on_nodes.items() if v == "primary"]
    return p[0] if len(p) == 1 else None


def streaming(lab, node):
    """Whether node's server is a standby receiving WAL (from whichever primary)."""
    return psql(lab, node, "SELECT status FROM pg_stat_wal_receiver", check=False) == \
        "streaming"


def score(lab, node, of):
    """The promotion score (master-pgsqld) of node `of` in node's status; -inf if none."""
    st = lab.status(node)
    n = [x for x in st["nodes"] if x["name"] == of][0]
    v = n.get("attributes", {}).get("master-pgsqld")
    return int(v["value"]) if v else float("-inf")


def wait_settled(lab, node="n2", primary=None, timeout=SETTLE_TIMEOUT):
    """Waits until the group has a primary (on `primary` if given) and a running
    standby on every other node, each streaming and with a promotion score, as
    node's status shows; returns the primary's name."""
    want = sorted(["primary"] + ["running"] * (len(lab.nodes) - 1))

    def ok(g):
        p = primary_of(g["on_nodes"])
        return (p is not None and (primary is None or p == primary)
                and sorted(g["on_nodes"].values()) == want)
    g = wait_group(lab, node, GROUP, ok, f"a primary{' on ' + primary if primary else ''} "
                   "and a standby on every other node", timeout=timeout)
    p = primary_of(g["on_nodes"])
    others = [n for n in lab.nodes if n != p]
    wait_until(lambda: all(streaming(lab, n) for n in others), timeout,
               f"the standbys stream from {p}")
    # The primary's monitor gives each streaming standby its promotion score
    # (pgsqlms, through crm_master): until then none could be promoted.
    wait_until(lambda: all(score(lab, node, n) > 0 for n in others), timeout,
               "the standbys' promotion scores")
    return p


def rejoin(lab, node, primary, vip):
    """The operator's procedure for an old primary that was fenced (it is off):
    start the machine without vigild, rewind its database from the new primary
    (at vip), start it once as a standby and stop it cleanly (the agent starts
    only a cleanly stopped server), then start vigild: the copy comes back as a
    standby of `primary`."""
    lab.poweron(node, vigild=False)
    as_postgres(lab, node, f"""
{BINDIR}/pg_rewind --target-pgdata={PGDATA} \
  --source-server={shlex.quote(f'host={vip} port={PORT} user={USER} dbname=postgres')}
touch {PGDATA}/standby.signal
{BINDIR}/pg_ctl -D {PGDATA} -l {PGCTLLOG} -w -t 120 start >/dev/null
{BINDIR}/pg_ctl -D {PGDATA} -m fast -w -t 60 stop >/dev/null
""", timeout=300)
    # The server's last processes (its logger) may outlive pg_ctl's return by a
    # moment; vigild starts on a node that runs nothing else.
    print(f"{node} before vigild: " + lab.exec(node, ["ps", "-e", "-o", "pid=,comm="]).stdout
          .replace("\n", "; "))
    wait_until(lambda: lab.start_vigild(node), 30, f"vigild started on {node}")
    lab.wait_answering(node)
    lab.wait_formed()
    wait_settled(lab, primary, primary=primary)


__all__ = ["BINDIR", "PGDATA", "SOCKDIR", "PORT", "USER", "GROUP", "pg_setup", "pg_running",
           "psql", "in_recovery", "pg_log_tail", "pg_stop_all", "pgsqlms_params", "as_postgres",
           "node_addr", "pg_group", "primary_of", "streaming", "score", "wait_settled",
           "rejoin"]
assert os.path.isabs(PGDATA)
