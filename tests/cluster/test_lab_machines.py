"""The lab's nodes behave like separate machines: each has its own hostname, sees
and signals only its own processes, and a power-off leaves no process of it
behind, not even a zombie (issue 11; PostgreSQL refused to start on the
takeover node while the dead node's postmaster was still a visible zombie)."""

import os
import subprocess

import pytest

from labhelpers import procs_in
from vigillab import NETNS_DIR, LabError, wait_until

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARK = "4711"

# What postgres does with postmaster.pid (miscinit.c, CreateLockFile): if the
# file names a PID that is not ours and kill(PID, 0) succeeds, refuse to start.
PIDLOCK = r"""#!/bin/sh
f=$1
if [ -s "$f" ]; then
    old=$(head -n 1 "$f")
    if [ "$old" != "$$" ] && kill -0 "$old" 2>/dev/null; then
        echo "FATAL: lock file \"$f\" already exists" >&2
        echo "HINT: Is another postmaster (PID $old) running?" >&2
        exit 1
    fi
fi
echo $$ > "$f"
echo "started as PID $$"
if [ "$2" = stay ]; then exec sleep 4711; fi
"""


def node_ids(lab, node):
    """The readlink() forms of the node's namespaces, as /proc/PID/ns/* shows them."""
    init = lab.init_pid(node)
    return {"pid": lab.pidns_id(node), "uts": os.readlink(f"/proc/{init}/ns/uts"),
            "net": lab.netns_id(node), "mnt": os.readlink(f"/proc/{init}/ns/mnt")}


def host_members(ids):
    """{pid: state} of every process on the host in any of these namespaces,
    zombies included (a zombie still shows its PID namespace)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        for kind, ident in ids.items():
            try:
                if os.readlink(f"/proc/{entry}/ns/{kind}") == ident:
                    with open(f"/proc/{entry}/stat") as f:
                        out[int(entry)] = f.read().rsplit(")", 1)[1].split()[0]
                    break
            except OSError:
                continue
    return out


def ps(lab, node):
    r = lab.exec(node, ["ps", "-e", "-o", "pid=,args="], check=True)
    return r.stdout


def test_hostname_is_the_node_name(lab):
    for node in lab.nodes:
        assert lab.exec(node, ["hostname"], check=True).stdout.strip() == node
    env = dict(os.environ, VIGIL_LAB_PREFIX=lab.prefix)
    r = subprocess.run([os.path.join(REPO, "lab/vigil-lab"), "exec", "n2", "uname", "-n"],
                       capture_output=True, text=True, env=env, timeout=30)
    assert (r.returncode, r.stdout) == (0, "n2\n"), r.stderr


def test_a_node_sees_and_signals_only_its_own_processes(lab):
    pidfile = lab.shared_path("n2-sleep.pid")
    p = lab.spawn("n2", ["sh", "-c", f"echo $$ > {pidfile}; exec sleep {MARK}"],
                  lab.shared_path("sleep.log"))
    try:
        wait_until(lambda: os.path.getsize(pidfile) > 0 if os.path.exists(pidfile) else False,
                   10, "the pid file")
        pid = open(pidfile).read().strip()
        assert f"sleep {MARK}" in ps(lab, "n2")
        n1 = ps(lab, "n1")
        assert f"sleep {MARK}" not in n1 and "vigild" in n1 and "corosync" in n1, n1
        # PID 1 of every node is the lab's init; /proc shows the node's processes only.
        assert lab.exec("n1", ["cat", "/proc/1/comm"]).stdout == "vigil-init\n"
        inside = lab.exec("n1", ["sh", "-c", "ls /proc | grep -c '^[0-9]'"]).stdout
        assert int(inside) <= len(lab.node_pids("n1")) + 10  # + ls, grep, sh, checks
        assert lab.exec("n2", ["test", "-e", f"/proc/{pid}"]).returncode == 0
        assert lab.exec("n1", ["test", "-e", f"/proc/{pid}"]).returncode != 0
        assert lab.exec("n2", ["kill", "-0", pid]).returncode == 0
        r = lab.exec("n1", ["kill", "-0", pid])
        assert r.returncode != 0 and "No such process" in r.stderr, r
        r = lab.exec("n1", ["kill", "-9", pid])
        assert r.returncode != 0
        assert lab.exec("n2", ["kill", "-0", pid]).returncode == 0, "n1 killed n2's process"
    finally:
        p.kill()
        p.wait(timeout=10)
    wait_until(lambda: not procs_in(lab, "n2", f"sleep {MARK}"), 10, "the sleep to die with p")


def test_poweroff_leaves_no_process_and_no_zombie(lab):
    pidfile = lab.shared_path("n1-sleep.pid")
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    # A sleep in n1 whose child is a zombie it never reaps (exec'd sh does not wait).
    lab.spawn("n1", ["sh", "-c", f"sleep 0 & echo $$ > {pidfile}; exec sleep {MARK}"],
              lab.shared_path("sleep.log"))
    wait_until(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), 10,
               "the pid file")
    pid = open(pidfile).read().strip()
    ids = node_ids(lab, "n1")
    wait_until(lambda: "Z" in host_members(ids).values(), 10, "a zombie in n1")
    before = host_members(ids)
    assert lab.init_pid("n1") in before and len(before) > 3, before
    lab.poweroff("n1")
    assert host_members(ids) == {}, "processes of n1 left after its power-off"
    assert lab.node_pids("n1", ids["pid"], zombies=True) == []
    assert lab.init_pid("n1") is None and lab.power_state("n1")["power"] == "off"
    # From another node, the PID in the file names nothing.
    r = lab.exec("n2", ["kill", "-0", pid])
    assert r.returncode != 0 and "No such process" in r.stderr, r
    # A machine that is off runs nothing.
    r = subprocess.run(lab.node_argv("n2", ["true"]), timeout=30)
    assert r.returncode == 0
    with pytest.raises(LabError, match="n1 is powered off"):
        lab.node_argv("n1", ["true"])

    # Powered on again, it starts cleanly: a new PID namespace, its name, its daemons.
    lab.poweron("n1")
    lab.wait_answering("n1")
    lab.wait_formed()
    assert lab.init_pid("n1") not in before  # a new init (nsfs inode numbers are reused)
    assert lab.exec("n1", ["hostname"], check=True).stdout.strip() == "n1"
    out = ps(lab, "n1")
    assert f"sleep {MARK}" not in out and "vigild" in out, out
    assert os.stat(os.path.join(NETNS_DIR, lab.node_ns("n1"))).st_ino == \
        int(ids["net"][5:-1]), "the network namespace outlives power cycles"


def test_takeover_after_a_poweroff_is_not_blocked_by_the_dead_nodes_pid_file(lab):
    """PostgreSQL's lock file, without PostgreSQL: n1 runs the 'server', whose PID
    is in a file on shared storage; n1 loses power; n2 starts it."""
    script = lab.shared_path("pidlock.sh")
    with open(script, "w") as f:
        f.write(PIDLOCK)
    lockfile = lab.shared_path("postmaster.pid")
    if os.path.exists(lockfile):
        os.unlink(lockfile)
    log = lab.shared_path("pidlock.log")
    lab.spawn("n1", ["sh", script, lockfile, "stay"], log)
    wait_until(lambda: os.path.exists(lockfile) and open(lockfile).read().strip(), 10,
               "n1's server to write its pid")
    n1_pid = open(lockfile).read().strip()
    # The check works: a second server on n1 refuses, as postgres does.
    r = lab.exec("n1", ["sh", script, lockfile])
    assert r.returncode == 1 and f"Is another postmaster (PID {n1_pid}) running?" in r.stderr
    lab.poweroff("n1")
    r = lab.exec("n2", ["sh", script, lockfile])
    assert r.returncode == 0, f"the takeover node refused to start: {r.stderr}"
    assert r.stdout.startswith("started as PID ")
    assert open(lockfile).read().strip() != n1_pid
