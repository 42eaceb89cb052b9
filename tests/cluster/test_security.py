"""Security of the cluster traffic in the lab (issue 13): a node without the
cluster's key is not a member, and a member's malformed messages change
nothing.

Corosync encrypts and authenticates every packet with the cluster key
(vigil.yaml's cluster.key). n3 is started with the same configuration but
another key, made by `vigil keygen`: n1 and n2 cannot read its packets nor it
theirs. For a while many times longer than a join takes, n1 and n2 stay a
quorate cluster of two that sees n3 offline, and n3 sees only itself, without
quorum; nothing about n3 reaches their event logs. Started again with the
right key, n3 joins at once: the test can tell the two apart (and the lab's
network between them is checked to carry packets meanwhile).

A process of n1 (as root there, so with the cluster's key) joins vigild's
process group and sends malformed messages (lab/vigil-inject): bytes that
are not JSON, JSON that is not an object, unknown versions and types,
messages claiming to come from another node, every kind of message with
missing or wrongly typed fields, an unknown node to fence, 200 KB of junk,
words with a forged log line in them. Every vigild drops each with one log
line (no forged line gets into a log) and goes on: same processes, same
members, the web group still answers on its node, no event of any change.
"""

import json
import os
import time

from labhelpers import DETECT_TIMEOUT, events_since, last_seq, online, wait_status
from vigillab import LAB_DIR, NODE_KEY, WEB_VIP, make_config, wait_until, web_group

OTHER_KEY = "/etc/vigil/otherkey"
INJECT = os.path.join(LAB_DIR, "vigil-inject")
KINDS = ("report", "action", "failure", "intent", "ack", "db", "expire", "attr", "config",
         "config-version", "config-ready", "config-ack", "config-abort", "node-stop")


def LAB_CONFIG(lab):
    return make_config(3, groups=[web_group(domain=("n1", "n2", "n3"))])
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


FORGED = "x\n2026-01-01T00:00:00.000Z vigild info: FORGED LINE"


def malformed():
    """Messages no vigild may act on."""
    out = [b"", b"\x00", b"{", b"}", b"[]", b'"hello"', b"123", b"null", bytes(range(256)),
           b'{"v":4}', b'{"type":"hello"}', b'{"v":999,"type":"hello"}',
           b'{"v":"4","type":"hello"}', b'{"v":4,"type":"nope"}', b'{"v":4,"type":7}',
           b'{"v":4,"type":"hello","id":"x"}',
           b'{"v":4,"type":"hello","id":2,"name":"n2","version":"0.1.0","cfg":"0"}',
           b'{"v":4,"type":"fence"}', b'{"v":4,"type":"fence","op":"zap","node":"n2"}',
           b'{"v":4,"type":"fence","op":"request","node":"n9"}',
           b'{"v":4,"type":"fence","op":"confirm","node":["n2"]}',
           b'{"v":4,"type":"hello","id":1' + b"\x00" + b'}',
           b'{"v":4,"type":"' + b"A" * 200000 + b'"}']
    # Words of the peer that a refusal may quote, with a forged log line in them.
    for k in ("hello", "fence", "report", "intent", "attr", "config"):
        out.append(json.dumps({"v": 4, "type": k, "op": FORGED, "group": FORGED,
                               "node": FORGED, "name": FORGED}).encode())
    for k in KINDS:
        out.append(json.dumps({"v": 4, "type": k}).encode())
        out.append(json.dumps({"v": 4, "type": k, "group": 7, "node": [], "ring": "x",
                               "seq": -1, "id": {}, "origin": "n1", "version": "x",
                               "text": 5, "op": None, "name": 3, "value": [],
                               "members": "n1"}).encode())
    return out


def test_malformed_messages_from_a_member_change_nothing(lab):
    web = wait_status(lab, "n1", lambda s: any(g["name"] == "web" and g["state"] == "running"
                                               for g in s["groups"]), "web running")
    where = [g["node"] for g in web["groups"] if g["name"] == "web"][0]
    pids = {n: lab.vigild_pid(n) for n in ("n1", "n2", "n3")}
    marks = {n: last_seq(lab, n) for n in ("n1", "n2", "n3")}
    logs = {n: len(lab.logs(n)) for n in ("n1", "n2", "n3")}
    msgs = malformed()
    path = lab.shared_path("malformed.hex")
    with open(path, "w") as f:
        f.write("".join(m.hex() + "\n" for m in msgs))
    r = lab.exec("n1", [INJECT, path], timeout=120)
    assert r.returncode == 0 and f"{len(msgs)} messages sent" in r.stdout, (r.stdout, r.stderr)
    # Every node dropped every one of them, saying so.
    for n in ("n1", "n2", "n3"):
        wait_until(lambda: lab.logs(n)[logs[n]:].count("dropped a") >= len(msgs), 60,
                   f"{n} to drop the {len(msgs)} messages")
        new = lab.logs(n)[logs[n]:]
        print(f"{n}: {new.count('dropped a')} messages dropped; first lines:\n"
              + "\n".join([line for line in new.splitlines() if "dropped a" in line][:5]))
    # No peer wrote a line of its own into a log (its words are quoted on one line).
    for n in ("n1", "n2", "n3"):
        quoted = [ln for ln in lab.logs(n).splitlines()
                  if "dropped a" in ln and "?2026-01-01" in ln]
        print(f"{n}: {len(quoted)} refusals quote the forged words on their own line")
        assert quoted
        assert not [ln for ln in lab.logs(n).splitlines() if "FORGED LINE" in ln
                    and not ln.startswith(("20", "Dec", "Jan", "Feb", "Mar", "Apr", "May",
                                           "Jun", "Jul", "Aug", "Sep", "Oct", "Nov"))]
        assert not any(ln.startswith("2026-01-01T00:00:00.000Z") for ln in
                       lab.logs(n).splitlines())
    # ...and nothing changed: same processes, members, group; no event.
    for n in ("n1", "n2", "n3"):
        assert lab.vigild_pid(n) == pids[n]
        st = lab.status(n)
        assert online(st) == ["n1", "n2", "n3"] and st["quorate"] is True
        g = [x for x in st["groups"] if x["name"] == "web"][0]
        assert g["state"] == "running" and g["node"] == where, g
        assert events_since(lab, n, marks[n]) == [], events_since(lab, n, marks[n])
    r = lab.exec("client", ["curl", "-s", "-m", "5", f"http://{WEB_VIP}/node"])
    assert r.returncode == 0 and r.stdout.strip() == where, (r.stdout, r.stderr)
