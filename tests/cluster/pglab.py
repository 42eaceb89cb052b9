"""PostgreSQL 15 streaming replication in the lab, for the promotable-group tests.

Each lab node has its own /var/lib/postgresql (lab.NODE_BINDS), so the nodes'
data directories are as separate as on real machines. pg_setup builds what an
operator builds before handing the databases to a cluster manager (the
procedure of the PAF documentation): a primary initialised on the first node,
the others cloned from it with pg_basebackup, every node's primary_conninfo
pointing at the address the primary will hold (the group's virtual IP), with
application_name = the node's name, and every server stopped. The servers are
then vigil's to start, promote and demote (ocf:heartbeat:pgsqlms).

The lab's networks are the only ones trusted (pg_hba.conf): 192.0.2.0/24 and
198.51.100.0/24, without passwords, for clients and replication alike.
"""

import os
import shlex
import time

BINDIR = "/usr/lib/postgresql/15/bin"
PGROOT = "/var/lib/postgresql"
PGDATA = f"{PGROOT}/15/vigil"
SOCKDIR = f"{PGROOT}/run"  # per node (under the node's own /var/lib/postgresql)
PGLOG = f"{PGROOT}/pg.log"
PORT = 5432
USER = "postgres"

# Every node's settings: replication on, one synchronous standby among the
# others (whichever node is primary, ANY 1 of the rest must have the commit).
CONF = """
listen_addresses = '*'
cluster_name = '{node}'
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
primary_conninfo = 'host={vip} port={port} user={user} application_name={node}'
wal_receiver_status_interval = 1s
shared_buffers = 32MB
max_connections = 50
fsync = on
"""

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


def _conf(lab, node, vip):
    return CONF.format(port=PORT, sockdir=SOCKDIR, names=", ".join(lab.nodes), vip=vip,
                       user=USER, node=node)


def pg_setup(lab, vip, primary="n1"):
    """Builds the replicated databases (see the module's docstring) and leaves every
    server stopped. The primary's database holds a table `acked (id bigint primary
    key, at timestamptz)` for the committing client."""
    q = shlex.quote
    for node in lab.nodes:
        r = lab.exec(node, ["sh", "-c", f"rm -rf {PGROOT}/15 {SOCKDIR} {PGLOG}; "
                     f"mkdir -p {PGROOT}/15 {SOCKDIR}; chown -R {USER}: {PGROOT}"])
        assert r.returncode == 0, r.stderr
    as_postgres(lab, primary, f"""
{BINDIR}/initdb -D {PGDATA} -U {USER} --auth=trust --data-checksums >/dev/null
printf '%s' {q(_conf(lab, primary, vip))} >> {PGDATA}/postgresql.conf
printf '%s' {q(HBA)} > {PGDATA}/pg_hba.conf
{BINDIR}/pg_ctl -D {PGDATA} -l {PGLOG} -w -t 60 start >/dev/null
{BINDIR}/psql -h {SOCKDIR} -U {USER} -d postgres -qAtc \
  "CREATE TABLE acked (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"
""")
    for node in lab.nodes:
        if node == primary:
            continue
        as_postgres(lab, node, f"""
{BINDIR}/pg_basebackup -h {node_addr(lab, primary)} -p {PORT} -U {USER} -D {PGDATA} \
  -X stream -c fast
sed -i '/^primary_conninfo/d' {PGDATA}/postgresql.conf
echo {q(f"primary_conninfo = 'host={node_addr(lab, primary)} port={PORT} user={USER} application_name={node}'")} \
  >> {PGDATA}/postgresql.conf
touch {PGDATA}/standby.signal
{BINDIR}/pg_ctl -D {PGDATA} -l {PGLOG} -w -t 60 start >/dev/null
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
            as_postgres(lab, node, f"""
{BINDIR}/pg_ctl -D {PGDATA} -w -t 60 -m fast stop >/dev/null
sed -i '/^primary_conninfo/d' {PGDATA}/postgresql.conf
echo {q(f"primary_conninfo = 'host={vip} port={PORT} user={USER} application_name={node}'")} \
  >> {PGDATA}/postgresql.conf
""")
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
    r = lab.exec(node, ["tail", "-n", str(lines), PGLOG])
    return r.stdout


def pg_stop_all(lab):
    """Stops every node's server (immediate): the end of a test module."""
    for node in lab.nodes:
        as_postgres(lab, node, f"{BINDIR}/pg_ctl -D {PGDATA} -m immediate -w -t 30 stop "
                    ">/dev/null 2>&1 || true", check=False)


def pgsqlms_params():
    """The ocf:heartbeat:pgsqlms parameters for these databases."""
    return {"bindir": BINDIR, "pgdata": PGDATA, "datadir": PGDATA, "pghost": SOCKDIR,
            "pgport": str(PORT), "system_user": USER}


__all__ = ["BINDIR", "PGDATA", "SOCKDIR", "PORT", "pg_setup", "pg_running", "psql",
           "in_recovery", "pg_log_tail", "pg_stop_all", "pgsqlms_params", "as_postgres",
           "node_addr"]
assert os.path.isabs(PGDATA)
