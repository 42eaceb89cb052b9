"""The lab tools the group tests rely on, tested on a 3-node lab without groups:
the sampler sees two holders of an address, a process or a mount; a power-off
is a power loss (virtual addresses and resource mounts gone, an ext4 journal
left as a power cut leaves it); the poller measures a gap and names the node
that answered; down detaches the lab's shared disks.
"""

import os
import signal

import pytest

from labhelpers import procs_in
from vigillab import PYTHON, Lab, run, wait_until
from vigilwatch import analyse_poll, now_ms, parse_poll_log

ADDR = "198.51.100.120"
MOUNT = "/srv/lab-x"


def add_addr(lab, node, addr=ADDR):
    lab.exec(node, ["ip", "addr", "add", f"{addr}/24", "dev", "pub0"], check=True)


def tmpfs(lab, node, point=MOUNT):
    lab.exec(node, ["sh", "-c", f"mkdir -p {point} && mount -t tmpfs lab-x {point}"],
             check=True)


def test_sampler_records_two_holders_of_an_address_a_process_and_a_mount(lab, sampler):
    samp = sampler(addresses={"addr": ADDR}, processes={"proc": r"^sleep 4711$"},
                   mounts={"mnt": MOUNT})
    sleeps = []
    try:
        add_addr(lab, "n1")
        sleeps.append(lab.spawn("n1", ["sleep", "4711"], lab.shared_path("sleep.log")))
        tmpfs(lab, "n2")
        wait_until(lambda: samp.holders() == {"addr": ["n1"], "proc": ["n1"], "mnt": ["n2"]},
                   10, "one holder of each")
        assert samp.n_violations == 0
        add_addr(lab, "n3")
        sleeps.append(lab.spawn("n2", ["sleep", "4711"], lab.shared_path("sleep.log")))
        tmpfs(lab, "n3")
        wait_until(lambda: samp.holders() == {"addr": ["n1", "n3"], "proc": ["n1", "n2"],
                                              "mnt": ["n2", "n3"]}, 10, "two holders of each")
        samp.stop()
        assert {label for _, label, _ in samp.violations} == {"addr", "proc", "mnt"}
        with pytest.raises(AssertionError, match="two holders at once"):
            samp.check()
        assert samp.held_by("addr") == ["n1", "n3"]
    finally:
        for p in sleeps:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
        for node in lab.nodes:
            lab.exec(node, ["ip", "addr", "del", f"{ADDR}/24", "dev", "pub0"])
            lab.exec(node, ["umount", MOUNT])


def test_poweroff_takes_virtual_addresses_and_resource_mounts_away(lab):
    dev = lab.create_disk("t", size_mb=16)
    add_addr(lab, "n2")
    tmpfs(lab, "n2")
    r = lab.exec("n2", ["sh", "-c", f"mkdir -p /srv/t && mount {dev} /srv/t && "
                        "echo kept > /srv/t/synced && sync /srv/t/synced"])
    assert r.returncode == 0, r.stderr
    foreign = {m.point for m in lab.foreign_mounts("n2")}
    assert foreign == {MOUNT, "/srv/t"}, foreign
    on = lab.power_state("n2")
    lab.poweroff("n2")
    off = lab.power_state("n2")
    assert on["power"] == "on" and off["power"] == "off", off
    assert lab.node_addresses("n2") == lab.base_addresses("n2")
    assert lab.foreign_mounts("n2") == []
    # The lab's own mounts are still there (the node's /var/lib/vigil, say).
    assert any(m.point == "/var/lib/vigil" for m in lab.node_mounts("n2"))
    # The filesystem was cut off as by a power loss: its journal needs a replay,
    # which the next mount does; what was synced is there.
    r = lab.exec("n3", ["sh", "-c", f"mkdir -p /srv/t && mount {dev} /srv/t && "
                        "cat /srv/t/synced; umount /srv/t"])
    assert r.stdout == "kept\n", r.stdout + r.stderr
    fsck = lab.fsck_disk("t")
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    # A node that still holds a virtual address is not off, whatever else.
    run(["ip", "-n", lab.node_ns("n2"), "addr", "add", f"{ADDR}/24", "dev", "pub0"])
    st = lab.power_state("n2")
    assert st["power"] == "on" and st["addresses"] == [f"pub0 {ADDR}/24"], st
    lab.poweroff("n2")
    assert lab.power_state("n2")["power"] == "off"


def test_poller_measures_a_gap_and_names_the_node(lab, poller):
    argv = [PYTHON, "-m", "http.server", "8080", "--bind", lab.address("n1", "pub"),
            "--directory", "/var/lib/vigil"]
    log = lab.shared_path("server.log")
    srv = lab.spawn("n1", argv, log)
    try:
        p = poller("n1", f"http://{lab.address('n1', 'pub')}:8080/node", interval_ms=10)
        p.wait_answer("n1", consecutive=3)
        t = now_ms()
        os.kill(srv.pid, signal.SIGKILL)
        srv.wait()
        wait_until(lambda: any(not a.ok for a in p.attempts(since=t)), 10, "a failure")
        srv = lab.spawn("n1", argv, log)
        wait_until(lambda: procs_in(lab, "n1", r"http\.server 8080"), 10, "the server")
        p.wait_answer("n1", since=now_ms(), consecutive=3)
        a = p.analyse(since=t)
        print(p.describe(since=t))
        assert not a["open_gap"] and len(a["gaps"]) == 1, a
        g = a["gaps"][0]
        assert g["before"] == "n1" and g["after"] == "n1" and g["failures"] >= 1
        assert g["ms"] == a["longest_gap_ms"] > 0
        assert set(g["reasons"]) <= {"refused", "reset", "timeout"}, g
        assert a["nodes"] == ["n1"]
    finally:
        os.kill(srv.pid, signal.SIGKILL)
        srv.wait()


def test_poll_analysis():
    text = "\n".join([
        "# vigil-poll header",
        "100.0 101.0 1 ok n1", "110.0 111.0 1 fail refused", "120.0 320.0 1 fail timeout",
        "330.0 331.0 1 ok n2", "340.0 341.0 1 ok n2", "350.0 351.0 1 fail reset",
        "360.0 36"])  # a line being written
    att = parse_poll_log(text)
    assert len(att) == 6
    a = analyse_poll(att)
    assert [(g["from"], g["to"], g["ms"], g["before"], g["after"], g["failures"])
            for g in a["gaps"]] == [(100.0, 330.0, 230.0, "n1", "n2", 2),
                                    (340.0, None, None, "n2", None, 1)]
    assert a["longest_gap_ms"] == 230.0 and a["open_gap"]
    assert [(s["node"], s["count"]) for s in a["segments"]] == [("n1", 1), ("n2", 2)]
    # A window that starts inside a gap still measures it from the success before.
    b = analyse_poll(att, since=115.0, until=345.0)
    assert b["gaps"][0]["from"] == 100.0 and b["gaps"][0]["ms"] == 230.0
    assert b["nodes"] == ["n2"] and not b["open_gap"]


def test_down_detaches_the_shared_disks(lab):
    other = Lab(prefix=lab.prefix + "x")  # test prefixes have 7 characters
    try:
        dev = other.create_disk("d", size_mb=8)
        assert Lab._loop_backing(dev) == other.disks()["d"]["file"]
    finally:
        other.down()
    assert Lab._loop_backing(dev) is None or not Lab._loop_backing(dev).startswith(
        other.shared_dir)
    assert not os.path.exists(other.shared_dir) and not os.path.exists(other.state)
