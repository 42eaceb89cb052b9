"""Security of the cluster traffic in the lab (issue 13): a node without the
cluster's key is not a member.

Corosync encrypts and authenticates every packet with the cluster key
(vigil.yaml's cluster.key). n3 is started with the same configuration but
another key, made by `vigil keygen`: n1 and n2 cannot read its packets nor it
theirs. For a while many times longer than a join takes, n1 and n2 stay a
quorate cluster of two that sees n3 offline, and n3 sees only itself, without
quorum; nothing about n3 reaches their event logs. Started again with the
right key, n3 joins at once: the test can tell the two apart (and the lab's
network between them is checked to carry packets meanwhile).
"""

import os
import time

from labhelpers import DETECT_TIMEOUT, events_since, last_seq, online, wait_status
from vigillab import NODE_KEY

OTHER_KEY = "/etc/vigil/otherkey"
WATCH_S = 15  # a join takes about 1 s in this lab; nothing may happen for this long


def test_a_node_with_another_key_never_joins(lab):
    assert lab.vigil("n3", "keygen", "--key", OTHER_KEY, "--force").returncode == 0
    with open(os.path.join(lab.node_dir("n3"), "etc", "vigil.yaml")) as f:  # /etc/vigil there
        text = f.read()
    assert f"key: {NODE_KEY}" in text
    other = text.replace(f"key: {NODE_KEY}", f"key: {OTHER_KEY}")
    marks = {n: last_seq(lab, n) for n in ("n1", "n2")}
    lab.poweroff("n3")
    for n in ("n1", "n2"):
        wait_status(lab, n, lambda s: online(s) == ["n1", "n2"], "n3 gone")
    lab.poweron("n3", vigild=False)  # links up, no vigild yet
    lab.start_vigild("n3", config_text=other)
    lab.wait_answering("n3")
    # The network carries its packets (the same path its Corosync uses)...
    for n in ("n1", "n2"):
        for net in ("priv", "pub"):
            r = lab.exec("n3", ["ping", "-c", "1", "-W", "5", lab.address(n, net)])
            assert r.returncode == 0, (n, net, r.stdout, r.stderr)
    # ...and n3's Corosync runs and has made a membership of its own.
    wait_status(lab, "n3", lambda s: online(s) == ["n3"] and s["quorate"] is False,
                "n3 alone, without quorum")
    end = time.monotonic() + WATCH_S
    samples = 0
    while time.monotonic() < end:
        for n in ("n1", "n2"):
            st = lab.status(n)
            assert online(st) == ["n1", "n2"] and st["quorate"] is True, (n, st["nodes"])
        st = lab.status("n3")
        assert online(st) == ["n3"] and st["quorate"] is False, st["nodes"]
        assert not st.get("groups") or all(g["state"] != "running" for g in st["groups"])
        samples += 1
        time.sleep(0.5)
    assert samples >= 10
    for n in ("n1", "n2"):
        joined = [e for e in events_since(lab, n, marks[n], "node_joined")
                  if e.get("node") == "n3"]
        assert not joined, joined
    # The control: the same node with the cluster's key joins.
    lab.poweroff("n3")
    lab.poweron("n3")
    lab.wait_answering("n3")
    for n in ("n1", "n2", "n3"):
        wait_status(lab, n, lambda s: online(s) == ["n1", "n2", "n3"] and s["quorate"],
                    "n3 back with the cluster's key", timeout=DETECT_TIMEOUT)
