"""MAC takeover on a 3-node lab with fencing: the standard web group whose virtual
IP has a fixed MAC (`mac:`), so that its address is held by a macvlan with that
MAC on the node that runs it. The client pins the VIP to that MAC with a
permanent neighbour entry, so it ignores every gratuitous ARP; it still reaches
the web server at the VIP after a clean move and after the node holding the
group loses power, and its entry is never changed. A clean move leaves no
macvlan behind, and a leftover macvlan (as a vigild that crashed would leave it)
is found by the probe when vigild starts, and removed.
"""

import json
import os
import signal

import pytest

from labhelpers import group_running_on, last_seq, reset_group, vigil_ok, wait_event
from vigillab import (CLIENT_NETWORK, WEB_VIP, lab_fencing, make_config, run, wait_until,
                      web_group)
from vigilwatch import now_ms

URL = f"http://{WEB_VIP}/node"
MAC = "02:00:c6:33:64:64"  # locally administered, unicast
OTHER_MAC = "02:00:c6:33:64:65"
CLIENT_IF = f"{CLIENT_NETWORK}0"
FENCE_TIMEOUT = 90


def LAB_CONFIG(lab):
    web = web_group(failback="controlled")
    vip = web["resources"][0]
    assert vip["type"] == "ip"
    vip["mac"] = MAC
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=[web])


@pytest.fixture(autouse=True)
def web_on_n1(lab, _healthy_lab):
    """Every test starts with web running on n1, and the client without a neighbour
    entry for the VIP (it is removed again at the end)."""
    forget_vip(lab)
    reset_group(lab, "web", "n1")
    yield
    forget_vip(lab)


def client(lab, *argv, check=True):
    return lab.exec("client", list(argv), check=check)


def forget_vip(lab):
    client(lab, "ip", "neigh", "del", WEB_VIP, "dev", CLIENT_IF, check=False)


def pin_vip(lab, mac):
    """The client's neighbour entry for the VIP: permanent, with mac."""
    client(lab, "ip", "neigh", "replace", WEB_VIP, "lladdr", mac, "dev", CLIENT_IF,
           "nud", "permanent")
    assert client_entry(lab) == (mac, ["PERMANENT"])


def client_entry(lab):
    """(lladdr, state) of the client's neighbour entry for the VIP, or None."""
    out = client(lab, "ip", "-j", "neigh", "show", WEB_VIP, "dev", CLIENT_IF).stdout
    entries = json.loads(out or "[]")
    if not entries:
        return None
    e = entries[0]
    return e.get("lladdr"), e.get("state")


def fetch(lab):
    """One GET of the VIP from the client: the node that answered, or None."""
    r = client(lab, "curl", "-s", "-m", "2", URL, check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def macvlans(lab, node):
    """The node's macvlan interfaces: [{"name", "mac", "parent", "up", "addresses"}]."""
    ns = lab.node_ns(node)
    links = json.loads(run(["ip", "-n", ns, "-j", "-d", "link", "show", "type", "macvlan"])
                       .stdout or "[]")
    out = []
    for link in links:
        addrs = json.loads(run(["ip", "-n", ns, "-j", "-4", "addr", "show", "dev",
                                link["ifname"]]).stdout or "[]")
        out.append({"name": link["ifname"], "mac": link.get("address"),
                    "parent": link.get("link"), "up": "UP" in link.get("flags", []),
                    "mode": link.get("linkinfo", {}).get("info_data", {}).get("mode"),
                    "addresses": [f"{a['local']}/{a['prefixlen']}" for x in addrs
                                  for a in x.get("addr_info", [])]})
    return out


def assert_holds_vip(lab, node):
    """node holds the VIP on a macvlan with MAC, on pub0, up; nowhere else there."""
    links = macvlans(lab, node)
    assert len(links) == 1, links
    m = links[0]
    assert m["name"].startswith("vm-") and len(m["name"]) == 15, m
    assert (m["mac"], m["parent"], m["up"], m["mode"], m["addresses"]) == \
        (MAC, "pub0", True, "private", [f"{WEB_VIP}/24"]), m
    assert [a for a in lab.node_addresses(node) if a[1].startswith(WEB_VIP + "/")] == \
        [(m["name"], f"{WEB_VIP}/24")]


def test_the_client_uses_its_permanent_entry(lab):
    """The premise of the other tests: with the VIP pinned to another MAC, the client
    gets no answer; pinned to the group's MAC, it does."""
    assert_holds_vip(lab, "n1")
    pin_vip(lab, OTHER_MAC)
    assert fetch(lab) is None
    pin_vip(lab, MAC)
    assert fetch(lab) == "n1"


def test_clean_move_keeps_the_mac_and_leaves_no_macvlan(lab, poller, sampler):
    samp = sampler(addresses={"vip": WEB_VIP})
    pin_vip(lab, MAC)
    p = poller("web", URL)
    p.wait_answer("n1")
    t = now_ms()
    vigil_ok(lab, "n2", "group", "move", "web", "--to", "n2")
    group_running_on(lab, "n1", "web", "n2")
    p.wait_answer("n2", since=t, consecutive=5)
    print(f"move to n2: {p.describe(since=t)}")
    assert client_entry(lab) == (MAC, ["PERMANENT"])
    assert_holds_vip(lab, "n2")
    assert macvlans(lab, "n1") == [] and lab.foreign_links("n1") == []
    assert macvlans(lab, "n3") == []
    # Nothing answers from n1 once n2 has.
    a = p.analyse(since=p.answered_by("n2", since=t).start)
    assert a["nodes"] == ["n2"], a
    samp.stop()
    samp.check()


def test_poweroff_fails_over_and_the_client_keeps_its_entry(lab, poller, sampler):
    samp = sampler(addresses={"vip": WEB_VIP})
    pin_vip(lab, MAC)
    p = poller("web", URL)
    p.wait_answer("n1")
    mark = last_seq(lab, "n2")
    t = now_ms()
    lab.poweroff("n1")
    wait_event(lab, "n2", "fence_succeeded", mark, subject="n1", timeout=FENCE_TIMEOUT)
    group_running_on(lab, "n2", "web", "n2")
    p.wait_answer("n2", since=t, consecutive=5)
    print(f"poweroff n1: {p.describe(since=t)}")
    assert client_entry(lab) == (MAC, ["PERMANENT"])
    assert_holds_vip(lab, "n2")
    assert fetch(lab) == "n2"
    samp.stop()
    samp.check()


def test_a_leftover_macvlan_is_removed_when_vigild_starts(lab):
    """n3 has a macvlan with the group's MAC but without its address, as a vigild
    that crashed while it started the group would leave it. Once n3's vigild
    starts again, its probe finds it and n3 stops the group there: the macvlan
    goes; web stays on n1 and keeps answering."""
    name = macvlans(lab, "n1")[0]["name"]
    ns = lab.node_ns("n3")
    run(["ip", "-n", ns, "link", "add", name, "link", "pub0", "address", MAC,
         "type", "macvlan", "mode", "private"])
    run(["ip", "-n", ns, "link", "set", name, "up"])
    assert [m["name"] for m in macvlans(lab, "n3")] == [name]
    pid = lab.vigild_pid("n3")
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not lab.vigild_running("n3"), 60, "n3's vigild to exit")
    lab.start_vigild("n3")
    lab.wait_answering("n3")
    lab.wait_formed()
    wait_until(lambda: macvlans(lab, "n3") == [], 60, "n3 to remove the leftover macvlan")
    log = lab.logs("n3")
    assert f"macvlan {name} has no address {WEB_VIP}/24" in log, log[-3000:]
    assert f"web/vip: removed {WEB_VIP}/24 and its macvlan {name}" in log
    group_running_on(lab, "n3", "web", "n1")
    assert_holds_vip(lab, "n1")
    pin_vip(lab, MAC)
    assert fetch(lab) == "n1"
