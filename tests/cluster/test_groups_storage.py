"""Shared storage on a 3-node lab with fencing: a group with an fs resource on a
disk every node sees (a loop device with ext4, Lab.create_disk), a virtual IP,
and a web server serving the filesystem. A file written through the mount on
one node is there on the node that takes over after a power loss (the lab
shuts the filesystem down without a log flush, as a power cut would), the
filesystem is consistent afterwards (fsck), and it is never mounted on two
nodes at once.
"""

import pytest

from labhelpers import (group_running_on, last_seq, reset_group, vigil_ok, wait_event,
                        wait_group, www_pattern)
from vigillab import lab_fencing, make_config, web_group
from vigilwatch import now_ms

VIP = "198.51.100.103"
MOUNT = "/srv/data"
FENCE_TIMEOUT = 90
WRITE = ("import os, sys\n"
         "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
         "os.write(fd, sys.argv[2].encode())\n"
         "os.fsync(fd)\n"
         "os.close(fd)\n")


def LAB_CONFIG(lab):
    dev = lab.create_disk("data", size_mb=64)
    fs = {"name": "data", "type": "fs", "device": dev, "mountpoint": MOUNT, "fstype": "ext4"}
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[
        web_group(name="store", address=VIP, vip_name="store-vip", www_name="store-www",
                  directory=MOUNT, before=[fs])])


@pytest.fixture(autouse=True)
def store_on_n1(lab, _healthy_lab):
    reset_group(lab, "store", "n1")


def mounted_on(lab):
    """The nodes that have MOUNT mounted."""
    return [n for n in lab.nodes if any(m.point == MOUNT for m in lab.node_mounts(n))]


def read(lab, node, path):
    r = lab.exec(node, ["cat", path])
    return r.stdout if r.returncode == 0 else None


def test_file_written_on_n1_survives_its_power_loss_on_n2(lab, poller, sampler):
    samp = sampler(addresses={"vip": VIP}, processes={"www": www_pattern(VIP)},
                   mounts={"data": MOUNT})
    assert mounted_on(lab) == ["n1"]
    dev = lab.disk("data")
    assert any(m.point == MOUNT and m.source == dev and m.fstype == "ext4"
               for m in lab.node_mounts("n1"))
    r = lab.exec("n1", ["/usr/bin/python3", "-c", WRITE, f"{MOUNT}/hello.txt", "written on n1"])
    assert r.returncode == 0, r.stderr
    p = poller("store", f"http://{VIP}/hello.txt")
    p.wait_answer("written_on_n1")  # the poller records the body's first line

    mark = last_seq(lab, "n2")
    t = now_ms()
    lab.poweroff("n1")
    wait_event(lab, "n2", "fence_succeeded", mark, subject="n1", timeout=FENCE_TIMEOUT)
    group_running_on(lab, "n2", "store", "n2")
    assert read(lab, "n2", f"{MOUNT}/hello.txt") == "written on n1"
    p.wait_answer("written_on_n1", since=t, consecutive=5)
    print(f"poweroff n1: {p.describe(since=t)}")
    assert mounted_on(lab) == ["n2"]

    # A clean move: unmounted on n2, mounted on n3, the file still there.
    lab.poweron("n1")
    lab.wait_formed()
    vigil_ok(lab, "n2", "group", "move", "store", "--to", "n3")
    group_running_on(lab, "n1", "store", "n3")
    assert read(lab, "n3", f"{MOUNT}/hello.txt") == "written on n1"
    assert mounted_on(lab) == ["n3"]

    # Stopped: mounted nowhere, and the filesystem is consistent.
    vigil_ok(lab, "n1", "group", "stop", "store")
    wait_group(lab, "n1", "store", lambda g: g["state"] == "stopped", "stopped")
    assert mounted_on(lab) == []
    samp.stop()
    fsck = lab.fsck_disk("data")
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    samp.check()
    assert samp.held_by("data") == ["n1", "n2", "n3"], samp.report()
