"""A cluster of one node (issue 11): it has quorum on its own, runs its groups,
restarts a crashed resource in place up to the restart budget, and then keeps
the group failed (there is nowhere to fail over to) until `vigil cleanup` (or
until its failures expire, restarts.within later: 10min here, longer than the test).
vigil verify and vigil status say what a one-node cluster means."""

from labhelpers import (group_events, group_running_on, kill_procs, last_seq, procs_in,
                        reset_group, restart_all_vigilds, vigil_ok, wait_group, www_pattern)
from vigillab import WEB_VIP, make_config, wait_until, web_group
from vigilwatch import now_ms

LAB_NODES = 1
URL = f"http://{WEB_VIP}/node"
WWW = www_pattern(WEB_VIP)
TIMEOUT = 60


def LAB_CONFIG(lab):
    return make_config(1, groups=[web_group(domain=("n1",),
                                            restarts={"max": 2, "within": "10min"})])


def test_verify_and_status_say_what_one_node_means(lab):
    r = lab.vigil("n1", "verify", "-c", "/etc/vigil/vigil.yaml")
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stdout + r.stderr  # no fencing is no cause for alarm here
    assert ("a one-node cluster: node n1 always has quorum; its groups restart in place up "
            "to their restart budget, then stay failed until their failures expire "
            "(restarts.within) or 'vigil cleanup'") in r.stdout
    st = lab.status("n1")
    assert st["quorate"] and st["coordinator"] == "n1"
    out = lab.vigil("n1", "status").stdout
    assert "Fencing:     not used: a one-node cluster restarts its groups in place" in out


def test_crash_restarts_in_place_then_stays_failed(lab, poller):
    reset_group(lab, "web", "n1")
    p = poller("web", URL)
    p.wait_answer("n1")
    mark = last_seq(lab, "n1")
    for i in (1, 2):
        t = now_ms()
        old = kill_procs(lab, "n1", WWW)
        wait_until(lambda: len(group_events(lab, "n1", mark, "web", ("group_restarted",))) >= i,
                   TIMEOUT, f"restart {i} of web")
        p.wait_answer("n1", since=t, consecutive=5)
        new = procs_in(lab, "n1", WWW)
        assert new and not set(new) & set(old)
        g = group_running_on(lab, "n1", "web", "n1")
        assert g["failures"] == i
    # Past the budget: nowhere else to go, so the group stays failed and says why.
    kill_procs(lab, "n1", WWW)
    g = wait_group(lab, "n1", "web", lambda e: e["state"] == "failed", "web failed",
                   timeout=TIMEOUT)
    assert g["banned"] == ["n1"], g
    assert g["why"], g
    print(f"why: {g['why']}")
    wait_until(lambda: procs_in(lab, "n1", WWW) == [], TIMEOUT, "no server left")
    assert any(e["type"] == "group_failed"
               for e in group_events(lab, "n1", mark, "web", ("group_failed",)))
    # An operator's cleanup brings it back on the same node.
    t = now_ms()
    vigil_ok(lab, "n1", "cleanup", "web")
    group_running_on(lab, "n1", "web", "n1", timeout=TIMEOUT)
    p.wait_answer("n1", since=t, consecutive=5)


def test_group_comes_back_after_a_restart_of_the_only_vigild(lab, poller):
    """Stopping the only vigild stops its groups; started again, alone, it has
    quorum at once and starts them again."""
    reset_group(lab, "web", "n1")
    p = poller("web", URL)
    p.wait_answer("n1")
    restart_all_vigilds(lab)
    t = now_ms()
    group_running_on(lab, "n1", "web", "n1", timeout=TIMEOUT)
    p.wait_answer("n1", since=t, consecutive=5)
