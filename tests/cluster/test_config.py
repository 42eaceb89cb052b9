"""The replicated configuration on a 3-node lab: `vigil config apply` adds, changes
and removes groups on a running cluster, touching only what changed; every node
gets the new version on disk; a node that was down receives it when it comes
back; a file edited by hand is refused with both versions named; bad files and
changes that need a restart change nothing.
"""

import json
import os
import re
import signal

import pytest

from labhelpers import (group_entry, group_running_on, holds_address, node_entry, procs_in,
                        restart_all_vigilds, vigil_ok, wait_group, wait_status, www_pattern)
from vigillab import (WEB_VIP, groups_yaml, lab_fencing, make_config, wait_until,
                      web_group)
from vigilwatch import now_ms

URL = f"http://{WEB_VIP}/node"
API_VIP = "198.51.100.101"
API_URL = f"http://{API_VIP}/node"
ALL = ["n1", "n2", "n3"]


def base_groups():
    return [web_group(domain=["n1", "n2", "n3"])]


def LAB_CONFIG(lab):
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=base_groups())


def config_text(lab, groups):
    return make_config(3, fencing=lab_fencing(3, lab.prefix), groups=groups)


def api_group(**kw):
    return web_group(name="api", domain=["n2", "n3", "n1"], address=API_VIP, vip_name="api-vip",
                     www_name="api-www", **kw)


def write(lab, name, text):
    path = lab.shared_path(name)
    with open(path, "w") as f:
        f.write(text)
    return path


def node_file(lab, node, rel):
    with open(os.path.join(lab.node_dir(node), rel)) as f:
        return f.read()


def power_off_fenced(lab, node):
    """Powers node off and waits until the others have fenced it (the lab's fence agent
    powers it off again: nothing may be started there before that)."""
    lab.poweroff(node)
    for other in ALL:
        if other != node:
            wait_status(lab, other, lambda s: node_entry(s, node)["fence"]["state"] == "fenced",
                        f"{node} fenced", timeout=60)


def config_state(lab, node):
    return lab.status(node)["config"]


def apply(lab, node, text, *extra, name="new.yaml", check=True):
    path = write(lab, name, text)
    r = lab.vigil(node, "config", "apply", path, *extra, timeout=120)
    if check:
        assert r.returncode == 0, (r.stdout, r.stderr)
    return r


@pytest.fixture(autouse=True)
def base_config(lab, _healthy_lab):
    """Every test starts from the module's configuration (applying it is a no-op when
    it runs already), web running."""
    for node in ALL:
        wait_status(lab, node, lambda s: s["config"]["state"] == "in sync", "in sync",
                    timeout=90)
    apply(lab, "n1", config_text(lab, base_groups()), "--force", name="base.yaml")
    for node in ALL:
        wait_group(lab, node, "web", lambda g: g["state"] == "running", "web running")


def test_apply_adds_a_group_without_touching_the_running_one(lab, poller):
    web = poller("web", URL)
    owner = group_entry(lab.status("n1"), "web")["node"]
    web.wait_answer(owner, consecutive=5)
    before = {n: config_state(lab, n)["version"] for n in ALL}
    assert len(set(before.values())) == 1
    pid_before = procs_in(lab, owner, www_pattern(WEB_VIP))
    t = now_ms()
    out = vigil_ok(lab, "n2", "config", "apply",
                   write(lab, "add-api.yaml", config_text(lab, base_groups() + [api_group()])),
                   timeout=120)
    v = before["n1"] + 1
    assert f"configuration version {v} " in out and "written by every member" in out, out
    # Every node runs the new version, and has it on disk.
    for node in ALL:
        st = config_state(lab, node)
        assert st["version"] == v and st["state"] == "in sync", (node, st)
        assert "name: api" in node_file(lab, node, "etc/vigil.yaml")
        rec = json.loads(node_file(lab, node, "vigil/config.json"))
        assert rec["version"] == v and rec["sha256"] == st["sha256"]
        assert os.path.exists(os.path.join(lab.node_dir(node), "vigil/config", f"{v}.yaml"))
        assert "name: api" not in node_file(lab, node, "etc/vigil.yaml.bak")
    # The new group starts on its first node; the web group never blinked.
    api = poller("api", API_URL)
    for node in ALL:
        group_running_on(lab, node, "api", "n2")
    api.wait_answer("n2", consecutive=3)
    a = web.analyse(since=t)
    assert a["failed"] == 0 and a["nodes"] == [owner], web.describe(since=t)
    assert procs_in(lab, owner, www_pattern(WEB_VIP)) == pid_before
    print(f"web during the apply: {web.describe(since=t)}")


def test_diff_lists_what_would_change_and_changes_nothing(lab):
    # api added, web's server modified (another check interval).
    web2 = web_group(domain=["n1", "n2", "n3"])
    web2["resources"][1]["checks"][0]["interval"] = "2s"
    path = write(lab, "diff.yaml", config_text(lab, [web2, api_group()]))
    v = config_state(lab, "n1")["version"]
    r = lab.vigil("n3", "config", "diff", path)
    assert r.returncode == 0, r.stderr
    assert f"version {v} " in r.stdout
    assert re.search(r"\+ group api: added \(starts once applied\)", r.stdout), r.stdout
    assert re.search(r"~ group web: modified: resource www modified \(runs on n\d: restarts "
                     r"from resource www\)", r.stdout), r.stdout
    j = json.loads(vigil_ok(lab, "n3", "config", "diff", path, "--json"))
    assert j["changed"] is True
    assert {g["name"]: g["change"] for g in j["diff"]["groups"]} == {"web": "modified",
                                                                      "api": "added"}
    assert config_state(lab, "n1")["version"] == v
    assert "api" not in [g["name"] for g in lab.status("n1")["groups"]]


def test_invalid_file_is_refused_with_its_line_and_nothing_changes(lab):
    good = config_text(lab, base_groups())
    bad = good + "  - {name: broken, domain: [n1, n9], resources: []}\n"
    line = len(good.splitlines()) + 1
    v = config_state(lab, "n1")["version"]
    r = apply(lab, "n1", bad, name="bad.yaml", check=False)
    assert r.returncode == 1
    assert re.search(rf"bad\.yaml:{line}:\d+: error: group 'broken': undeclared node 'n9'",
                     r.stderr), r.stderr
    assert "nothing was changed" in r.stderr
    for node in ALL:
        assert config_state(lab, node)["version"] == v


def test_change_that_needs_a_restart_is_refused(lab):
    text = make_config(3, fencing=lab_fencing(3, lab.prefix), groups=base_groups(),
                       interval="50ms")
    v = config_state(lab, "n1")["version"]
    r = apply(lab, "n1", text, name="hb.yaml", check=False)
    assert r.returncode == 1
    assert "heartbeat" in r.stderr and "cannot change while the cluster runs" in r.stderr, r.stderr
    assert config_state(lab, "n1")["version"] == v


def test_removing_a_running_group_needs_force_then_stops_it(lab):
    apply(lab, "n1", config_text(lab, base_groups() + [api_group()]), name="with-api.yaml")
    for node in ALL:
        group_running_on(lab, node, "api", "n2")
    r = apply(lab, "n1", config_text(lab, base_groups()), name="without-api.yaml", check=False)
    assert r.returncode == 1
    assert "group api runs on n2: removing it stops it" in r.stderr, r.stderr
    assert "--force" in r.stderr
    group_running_on(lab, "n1", "api", "n2")
    apply(lab, "n1", config_text(lab, base_groups()), "--force", name="without-api.yaml")
    for node in ALL:
        assert "api" not in [g["name"] for g in lab.status(node)["groups"]]
    assert procs_in(lab, "n2", www_pattern(API_VIP)) == []
    assert not holds_address(lab, "n2", API_VIP)


def test_modifying_a_group_restarts_only_that_group(lab, poller):
    apply(lab, "n1", config_text(lab, base_groups() + [api_group()]), name="with-api.yaml")
    for node in ALL:
        group_running_on(lab, node, "api", "n2")
    web = poller("web", URL)
    owner = group_entry(lab.status("n1"), "web")["node"]
    web.wait_answer(owner, consecutive=3)
    api_pid = procs_in(lab, "n2", www_pattern(API_VIP))
    t = now_ms()
    changed = api_group()
    changed["resources"][1]["checks"][0]["interval"] = "2s"
    apply(lab, "n1", config_text(lab, base_groups() + [changed]), name="api-changed.yaml")
    for node in ALL:
        group_running_on(lab, node, "api", "n2")
    wait_until(lambda: procs_in(lab, "n2", www_pattern(API_VIP)) not in ([], api_pid), 30,
               "api's server restarted")
    # Only the changed resource restarted: the address before it stayed.
    log = lab.logs("n2").split("group api: stopping it from resource api-www on")
    assert len(log) == 2, "the partial stop is not in n2's log"
    assert "api/api-www: started" in log[1]
    assert f"api/api-vip: removed {API_VIP}" not in log[1]
    assert f"api/api-vip: added {API_VIP}" not in log[1]
    a = web.analyse(since=t)
    assert a["failed"] == 0 and a["nodes"] == [owner], web.describe(since=t)


def test_node_down_during_an_apply_receives_the_new_version(lab):
    power_off_fenced(lab, "n3")
    v = config_state(lab, "n1")["version"]
    apply(lab, "n1", config_text(lab, base_groups() + [api_group()]), name="while-down.yaml")
    assert config_state(lab, "n2")["version"] == v + 1
    assert "name: api" not in node_file(lab, "n3", "etc/vigil.yaml")
    lab.poweron("n3")
    wait_until(lambda: lab.vigild_running("n3"), 30, "vigild on n3")
    wait_until(lambda: config_state(lab, "n3")["version"] == v + 1, 90,
               "n3 taking over the new version")
    assert "name: api" in node_file(lab, "n3", "etc/vigil.yaml")
    st = lab.status("n3")
    assert "api" in [g["name"] for g in st["groups"]]
    for node in ALL:
        wait_status(lab, node, lambda s: s["config"]["state"] == "in sync", "in sync")


def test_hand_edited_file_is_refused_naming_both_versions(lab):
    v = config_state(lab, "n1")["version"]
    path = os.path.join(lab.node_dir("n3"), "etc", "vigil.yaml")
    good = node_file(lab, "n3", "etc/vigil.yaml")
    power_off_fenced(lab, "n3")
    try:
        with open(path, "a") as f:
            f.write("  - {name: rogue, domain: [n3], resources: [{name: rogue-sleep, type: "
                    "process, command: [/bin/sleep, '4343']}]}\n")
        for net in ("priv", "pub"):
            lab.link("n3", net, True)
        proc = lab.start_vigild("n3")
        rc = proc.wait(timeout=90)
        assert rc == 1
        log = lab.logs("n3")
        assert re.search(rf"vigil\.yaml is version {v} \(sha256 [0-9a-f]{{12}}, edited by hand\), "
                         rf"but the cluster runs version {v} \(sha256 [0-9a-f]{{12}}\)", log), \
            lab.log_tail("n3", 30)
        assert procs_in(lab, "n3", r"sleep 4343") == []
        for node in ("n1", "n2"):
            st = lab.status(node)
            assert st["quorate"] and "rogue" not in [g["name"] for g in st["groups"]]
    finally:
        with open(path, "w") as f:
            f.write(good)
        lab.poweroff("n3")
        lab.poweron("n3")
    for node in ALL:
        wait_status(lab, node, lambda s: s["config"]["state"] == "in sync", "in sync",
                    timeout=90)


def test_config_survives_a_restart_of_every_vigild(lab):
    apply(lab, "n1", config_text(lab, base_groups() + [api_group()]), name="with-api.yaml")
    v = config_state(lab, "n1")["version"]
    restart_all_vigilds(lab)
    for node in ALL:
        wait_status(lab, node, lambda s: s["config"]["state"] == "in sync", "in sync",
                    timeout=90)
        assert config_state(lab, node)["version"] == v
        group_running_on(lab, node, "api", "n2", timeout=90)


def test_show_prints_the_running_configuration_and_kept_versions(lab):
    text = config_text(lab, base_groups() + [api_group()])
    apply(lab, "n1", text, name="with-api.yaml")
    v = config_state(lab, "n1")["version"]
    r = lab.vigil("n2", "config", "show")
    assert r.returncode == 0 and r.stdout == text
    assert re.search(rf"version {v} \(sha256 [0-9a-f]{{12}}\), applied .* from n1", r.stderr)
    old = lab.vigil("n2", "config", "show", "--version", str(v - 1))
    assert old.returncode == 0 and "name: api" not in old.stdout
    missing = lab.vigil("n2", "config", "show", "--version", "999")
    assert missing.returncode == 1 and "version 999 is not kept on this node" in missing.stderr


def test_reload_applies_a_file_edited_in_place(lab):
    v = config_state(lab, "n1")["version"]
    path = os.path.join(lab.node_dir("n2"), "etc", "vigil.yaml")
    with open(path, "w") as f:
        f.write(config_text(lab, base_groups() + [api_group()]))
    st = config_state(lab, "n2")
    assert st["version"] == v  # vigild does not notice by itself
    out = vigil_ok(lab, "n2", "config", "reload", timeout=120)
    assert f"configuration version {v + 1} " in out, out
    for node in ALL:
        assert config_state(lab, node)["version"] == v + 1
        assert "name: api" in node_file(lab, node, "etc/vigil.yaml")
        group_running_on(lab, node, "api", "n2")


def test_sighup_reloads_and_a_bad_edit_changes_nothing(lab):
    v = config_state(lab, "n1")["version"]
    path = os.path.join(lab.node_dir("n1"), "etc", "vigil.yaml")
    good = node_file(lab, "n1", "etc/vigil.yaml")
    with open(path, "w") as f:
        f.write(good + "  - {name: broken, domain: [n1, n9], resources: []}\n")
    os.kill(lab.vigild_pid("n1"), signal.SIGHUP)
    wait_until(lambda: "undeclared node 'n9'" in lab.logs("n1"), 30, "the reload's error logged")
    assert config_state(lab, "n1")["version"] == v
    with open(path, "w") as f:
        f.write(config_text(lab, base_groups() + [api_group()]))
    os.kill(lab.vigild_pid("n1"), signal.SIGHUP)
    for node in ALL:
        wait_status(lab, node, lambda s: s["config"]["version"] == v + 1, "the new version",
                    timeout=60)
        group_running_on(lab, node, "api", "n2")


def test_changing_only_group_settings_restarts_nothing(lab, poller):
    web = poller("web", URL)
    owner = group_entry(lab.status("n1"), "web")["node"]
    web.wait_answer(owner, consecutive=3)
    pid = procs_in(lab, owner, www_pattern(WEB_VIP))
    t = now_ms()
    changed = web_group(domain=["n1", "n2", "n3"], restarts={"max": 5, "within": "1h"})
    out = vigil_ok(lab, "n3", "config", "diff", write(lab, "restarts.yaml",
                                                       config_text(lab, [changed])))
    assert re.search(r"~ group web: modified: placement settings \(domain, policy, failback, "
                     r"restarts, priority, relationships or load\) \(runs on n\d: keeps "
                     r"running\)", out), out
    apply(lab, "n3", config_text(lab, [changed]), name="restarts.yaml")
    for node in ALL:
        group_running_on(lab, node, "web", owner)
    assert procs_in(lab, owner, www_pattern(WEB_VIP)) == pid
    a = web.analyse(since=t)
    assert a["failed"] == 0 and a["nodes"] == [owner], web.describe(since=t)
