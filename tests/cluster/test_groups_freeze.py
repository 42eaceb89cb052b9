"""quorum.no_quorum: freeze on a 3-node lab with fencing: a node cut off from the
majority keeps its groups running (it starts and stops nothing) until the
majority fences it; only then does the group run elsewhere, so there is never a
second copy. n1 has a fencing delay of 6 s, which is the window in which the
test looks at the frozen node.
"""

import time

import pytest

from labhelpers import (group_running_on, holds_address, last_seq, procs_in, reset_group,
                        wait_event, www_pattern)
from vigillab import WEB_VIP, lab_fencing, make_config, wait_until, web_group

WWW = www_pattern(WEB_VIP)
FENCE_TIMEOUT = 90


def LAB_CONFIG(lab):
    fencing = lab_fencing(3, lab.prefix)
    fencing["nodes"]["n1"]["delay"] = "6s"
    text = make_config(3, fencing=fencing, groups=[web_group(failback="controlled")])
    assert "quorum: {tie_breaker: lowest}" in text
    return text.replace("quorum: {tie_breaker: lowest}",
                        "quorum: {tie_breaker: lowest, no_quorum: freeze}")


@pytest.fixture(autouse=True)
def web_on_n1(lab, _healthy_lab):
    reset_group(lab, "web", "n1")


def test_cut_off_node_keeps_running_until_fenced(lab, sampler):
    samp = sampler(addresses={"vip": WEB_VIP}, processes={"www": WWW})
    before = procs_in(lab, "n1", WWW)
    assert before and holds_address(lab, "n1", WEB_VIP)
    mark = last_seq(lab, "n2")
    lab.partition([["n1"], ["n2", "n3"]])
    # n1 loses quorum; with freeze it keeps web as it is.
    wait_until(lambda: lab.status("n1").get("quorate") is False, FENCE_TIMEOUT,
               "n1 to lose quorum")
    time.sleep(1.5)
    assert lab.power_state("n1")["power"] == "on", "n1 was fenced before the check"
    assert procs_in(lab, "n1", WWW) == before
    assert holds_address(lab, "n1", WEB_VIP)
    g = [g for g in lab.status("n1")["groups"] if g["name"] == "web"][0]
    assert g["state"] == "no quorum" and g["node"] == "n1", g
    assert "no quorum: stopping group" not in lab.logs("n1")
    # The majority fences n1 (after its 6 s delay), then runs web on n2.
    wait_event(lab, "n2", "fence_succeeded", mark, subject="n1", timeout=FENCE_TIMEOUT)
    group_running_on(lab, "n2", "web", "n2")
    samp.stop()
    samp.check()
