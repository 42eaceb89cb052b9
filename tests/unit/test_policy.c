/*
 * The placement policy (src/policy/), driven by a table: each row is a
 * cluster in a few short strings and the exact plan expected from it (the
 * strings are described in policy_world.h). Every row is also checked against
 * the invariants of world_plan. This file holds placement, failures, fencing,
 * moves and policies; test_policy_rel.c holds relationships, capacity,
 * priority and balanced placement; test_policy_prop.c the property test.
 * policy_next_node has a small table of its own here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "policy_world.h"

static struct scenario scenarios[] = {
    /* Initial placement. */
    ROW("initial: the first node of the domain", C1, NULL, NULL, "start web n1", "web=starting@n1",
        NULL, "start group web on n1"),
    ROW("initial: domain order, not node order", "n1 n2 n3; web: n3 n1 n2", NULL, NULL,
        "start web n3", "web=starting@n3"),
    ROW("initial: the first domain node is offline", C1, "n1:down", NULL, "start web n2",
        "web=starting@n2"),
    ROW("initial: the first two domain nodes are offline", C1, "n1:down n2:down-fenced", NULL,
        "start web n3", "web=starting@n3"),
    ROW("initial: an admin's preferred node comes first", C1, NULL, "web: prefer=n2",
        "start web n2", "web=starting@n2"),
    ROW("initial: a preferred node outside the domain is dropped", "n1 n2 n3; web: n1 n2", NULL,
        "web: prefer=n3", "start web n1", "web=starting@n1+drop"),
    ROW("initial: two groups, each on its own domain", C2, NULL, NULL, "start web n1; start db n3",
        "web=starting@n1 db=starting@n3"),
    ROW("initial: a node outside the domain is never chosen", "n1 n2 n3; web: n2 n3",
        "n2:down n3:down", NULL, "", "web=failed", "web: no eligible node: n2 offline, n3 offline"),
    ROW("running where it should: nothing to do", C1, NULL, "web: n1=running", "",
        "web=running@n1"),
    ROW("script policy: the run-time domain replaces the configured one",
        "n1 n2 n3; web: n1 n2 n3 script", NULL, "web: domain=n3,n2", "start web n3",
        "web=starting@n3"),
    ROW("script policy: running outside the run-time domain is moved",
        "n1 n2 n3; web: n1 n2 n3 script", NULL, "web: n1=running domain=n2,n3", "stop web n1",
        "web=moving@n2", "web: moving from n1 to n2", "not in the domain"),

    /* Node loss. */
    ROW("node loss: waits for the unclean node to be fenced", C1, "n1:down-unclean",
        "web: n1=running", "", "web=blocked", "web: waiting for n1 to be fenced"),
    ROW("node loss: once fenced, starts on the next domain node", C1, "n1:down-fenced",
        "web: n1=running", "start web n2", "web=starting@n2"),
    ROW("node loss: fenced, and the next domain node is offline too", C1, "n1:down-fenced n2:down",
        "web: n1=running", "start web n3", "web=starting@n3"),
    ROW("node loss, fencing disabled: waits for the node to return", C1NF, "n1:down-unclean",
        "web: n1=running", "", "web=blocked",
        "web: waiting for n1 to return (fencing is disabled)"),
    ROW("node loss, fencing disabled, unsafe_recovery: recovers", C1UR, "n1:down-unclean",
        "web: n1=running", "start web n2", "web=starting@n2"),
    ROW("node loss: stopped on the unclean node, so no wait", C1, "n1:down-unclean",
        "web: n1=stopped", "start web n2", "web=starting@n2"),
    ROW("node loss: stopped on the unclean node, running elsewhere: stays", C1, "n1:down-unclean",
        "web: n2=running", "", "web=running@n2"),
    ROW("stop while waiting for a probe: stopped at once", C1, NULL,
        "web: n2=running n3=unknown stopped", "stop web n2", "web=stopping@n2"),
    ROW("halt while waiting for fencing: the online copy is stopped", C1, "n1:down-unclean",
        "web: n1=running n2=partial halted", "stop web n2", "web=halted@n2"),
    ROW("stop with the only copy on an unclean node: blocked, nothing to do", C1, "n1:down-unclean",
        "web: n1=running stopped", "", "web=blocked", "web: waiting for n1 to be fenced"),
    ROW("node loss: unknown on an unclean node blocks", C1, "n1:down-unclean", "web: n1=unknown",
        "", "web=blocked", "web: waiting for n1 to be fenced"),
    ROW("node loss: stopping on an unclean node blocks", C1, "n1:down-unclean", "web: n1=stopping",
        "", "web=blocked", "web: waiting for n1 to be fenced"),
    ROW("node loss: unprobed on an unclean node while running elsewhere: shown where it runs", C1,
        "n1:down-unclean", "web: n1=unknown n2=running", "", "web=blocked@n2",
        "web: waiting for n1 to be fenced"),
    ROW("node loss: unknown on a node that left cleanly does not block", C1, "n1:down",
        "web: n1=unknown", "start web n2", "web=starting@n2"),
    ROW("node left cleanly with the group active: waits for its return", C1, "n1:down",
        "web: n1=running", "", "web=blocked",
        "web: n1 left while the group was running there: waiting for it to return"),
    ROW("two nodes: the survivor takes over once its peer is fenced", "n1 n2; web: n1 n2",
        "n1:down-fenced", "web: n1=running", "start web n2", "web=starting@n2"),

    /* Probes. */
    ROW("probe: a member that has not reported blocks placement", C1, NULL, "web: n3=unknown", "",
        "web=blocked", "web: waiting for n3 to probe its resources"),
    ROW("probe: pending on a member while running elsewhere: no action", C1, NULL,
        "web: n1=running n2=unknown", "", "web=blocked@n1", "web: waiting for n2 to probe"),

    /* Failed resources and the restart budget. */
    ROW("failure: restarts in place while the budget lasts", C1, NULL, "web: n1=failed",
        "start web n1", "web=recovering@n1", NULL, "restart group web"),
    ROW("failure beyond the budget: stops there, moving to the next node", C1, NULL,
        "web: n1=failed banned=n1", "stop web n1", "web=moving@n2", "web: moving from n1 to n2",
        "failed there beyond its restart budget"),
    ROW("failure beyond the budget, once stopped: starts on the next node", C1, NULL,
        "web: banned=n1", "start web n2", "web=starting@n2"),
    ROW("failure beyond the budget, next node offline: goes to the one after", C1, "n2:down",
        "web: n1=failed banned=n1", "stop web n1", "web=moving@n3"),
    ROW("failed everywhere: failed, naming each node", C1, NULL, "web: banned=n1,n2,n3", "",
        "web=failed",
        "web: no eligible node: n1 failed there (until its failures expire or cleanup), n2 failed "
        "there (until its failures expire or cleanup), n3 failed there"),
    ROW("failed on the last node: stopped there, failed", C1, NULL,
        "web: n3=failed banned=n1,n2,n3", "stop web n3", "web=failed@n3", "web: no eligible node",
        "no other node can run it"),
    ROW("single node: restarts in place", "n1; web: n1", NULL, "web: n1=failed", "start web n1",
        "web=recovering@n1"),
    ROW("single node, budget spent: stopped, failed", "n1; web: n1", NULL,
        "web: n1=failed banned=n1", "stop web n1", "web=failed@n1",
        "web: no eligible node: n1 failed there"),

    /* Failed stops. */
    ROW("stop failed on a member: fence it", C1, NULL, "web: n1=stop-failed", "fence web n1",
        "web=blocked@n1", "web: its stop failed on n1: waiting for n1 to be fenced",
        "group web: its stop failed"),
    ROW("stop failed, fencing disabled: blocked with a cleanup hint", C1NF, NULL,
        "web: n1=stop-failed", "", "web=blocked@n1",
        "web: fencing is disabled: make sure it is stopped there, then run vigil cleanup web"),
    ROW("stop failed, fencing disabled, unsafe_recovery: still blocked", C1UR, NULL,
        "web: n1=stop-failed", "", "web=blocked@n1", "web: then run vigil cleanup web"),
    ROW("stop failed, node fenced and gone: recovered elsewhere", C1, "n1:down-fenced",
        "web: n1=stop-failed", "start web n2", "web=starting@n2"),
    ROW("stop failed, node then lost: waits for its fencing", C1, "n1:down-unclean",
        "web: n1=stop-failed", "", "web=blocked", "web: waiting for n1 to be fenced"),
    ROW("stop failed while moving to an admin's node: fence, no start", C1, NULL,
        "web: n1=stop-failed prefer=n2", "fence web n1", "web=blocked@n1"),

    /* on_fail: fence. */
    ROW("on_fail fence: fences the node", C1, NULL, "web: n1=failed fencewant=n1", "fence web n1",
        "web=blocked@n1", "web: a resource failed (on_fail: fence) on n1"),
    ROW("on_fail fence, node fenced: recovered on the next node", C1, "n1:down-fenced",
        "web: n1=failed fencewant=n1", "start web n2", "web=starting@n2"),
    ROW("on_fail fence, nothing active there any more: no fence", C1, NULL,
        "web: n2=running fencewant=n1", "", "web=running@n2"),
    ROW("on_fail fence, fencing disabled: blocked with a cleanup hint", C1NF, NULL,
        "web: n1=failed fencewant=n1", "", "web=blocked@n1", "web: vigil cleanup web"),
    ROW("two groups ask to fence the same node: one action each", "n1 n2 n3; web: n1 n2; db: n1 n3",
        NULL, "web: n1=stop-failed; db: n1=failed fencewant=n1", "fence web n1; fence db n1",
        "web=blocked@n1 db=blocked@n1"),

    /* Failback. */
    ROW("failback controlled: stays on n2 when n1 is back", C1, NULL, "web: n2=running", "",
        "web=running@n2"),
    ROW("failback auto: stops on n2 to return to n1", C1A, NULL, "web: n2=running", "stop web n2",
        "web=moving@n1", "web: moving from n2 to n1", "failback"),
    ROW("failback auto: once stopped, starts on n1", C1A, NULL, NULL, "start web n1",
        "web=starting@n1"),
    ROW("failback auto: n1 in standby, stays on n2", C1A, "n1:up-standby", "web: n2=running", "",
        "web=running@n2"),
    ROW("failback auto: n1 banned, stays on n2", C1A, NULL, "web: n2=running banned=n1", "",
        "web=running@n2"),
    ROW("failback auto: n1 still probing, waits", C1A, NULL, "web: n1=unknown n2=running", "",
        "web=blocked@n2", "web: waiting for n1 to probe"),
    ROW("failback auto: failed on n2 with n1 back: moves instead of restarting", C1A, NULL,
        "web: n2=failed", "stop web n2", "web=moving@n1"),

    /* Admin moves. */
    ROW("move: stops on n1 first", C1, NULL, "web: n1=running prefer=n3", "stop web n1",
        "web=moving@n3", "web: moving from n1 to n3", "moved by an admin"),
    ROW("move: then starts on n3", C1, NULL, "web: prefer=n3", "start web n3", "web=starting@n3"),
    ROW("move: arrived, stays", C1, NULL, "web: n3=running prefer=n3", "", "web=running@n3"),
    ROW("move target offline after a clean shutdown, controlled: kept for its return", C1,
        "n3:down", "web: n1=running prefer=n3", "", "web=running@n1"),
    ROW("move target lost (unclean), controlled: the preference is dropped", C1, "n3:down-unclean",
        "web: n1=running n3=stopped prefer=n3", "", "web=running@n1+drop"),
    ROW("move target fenced, controlled: the preference is dropped", C1, "n3:down-fenced",
        "web: n1=running prefer=n3", "", "web=running@n1+drop"),
    ROW("move target back from a clean shutdown, controlled: the group returns", C1, NULL,
        "web: n1=running prefer=n3", "stop web n1", "web=moving@n3"),
    ROW("unknown on an unclean node outside the domain does not block", "n1 n2 n3; web: n1 n2",
        "n3:down-unclean", "web: n3=unknown", "start web n1", "web=starting@n1"),
    ROW("unknown on an unclean node in the domain blocks", "n1 n2 n3; web: n1 n3",
        "n3:down-unclean", "web: n3=unknown", "", "web=blocked", "web: waiting for n3"),
    ROW("move target in standby, controlled: the preference is dropped", C1, "n3:up-standby",
        "web: n1=running prefer=n3", "", "web=running@n1+drop"),
    ROW("move target stopping (planned), controlled: the group moves, the preference stays", C1,
        "n3:up-leaving", "web: n3=running prefer=n3", "stop web n3", "web=moving@n1",
        "web: moving from n3 to n1", "stopping (planned)"),
    ROW("leaving: never chosen", C1, "n1:up-leaving", NULL, "start web n2", "web=starting@n2"),
    ROW("every node leaving: stopped, failed, the preference kept", C1,
        "n1:up-leaving n2:up-leaving n3:up-leaving", "web: n3=running prefer=n3", "stop web n3",
        "web=failed@n3"),
    ROW("move target offline, auto: kept for its return", C1A, "n3:down",
        "web: n1=running prefer=n3", "", "web=running@n1"),
    ROW("preferred node lost, controlled: recovered on the next, preference dropped", C1,
        "n3:down-fenced", "web: n3=running prefer=n3", "start web n1", "web=starting@n1+drop"),

    /* Round-robin. */
    ROW("round-robin: three groups spread one per node", RR, NULL, NULL,
        "start a n1; start b n2; start c n3", "a=starting@n1 b=starting@n2 c=starting@n3"),
    ROW("round-robin: rotation after the last owner", RR, NULL,
        "a: last=n1; b: last=n1; c: last=n1", "start a n2; start b n3; start c n1",
        "a=starting@n2 b=starting@n3 c=starting@n1"),
    ROW("round-robin: stable placement stays", RR, NULL,
        "a: n1=running; b: n2=running; c: n3=running", "",
        "a=running@n1 b=running@n2 c=running@n3"),
    ROW("round-robin auto: equal loads, no move even past the last owner", RRA, NULL,
        "a: n1=running last=n1; b: n2=running last=n2; c: n3=running last=n3", "",
        "a=running@n1 b=running@n2 c=running@n3"),
    ROW("round-robin auto: one empty node is not worth a move",
        "n1 n2 n3; a: n1 n2 n3 rr auto; b: n1 n2 n3 rr auto", NULL, "a: n1=running; b: n2=running",
        "", "a=running@n1 b=running@n2"),
    ROW("round-robin: a new group goes to the least loaded node", RR, NULL,
        "a: n1=running; b: n1=running", "start c n2", "a=running@n1 b=running@n1 c=starting@n2"),
    ROW("round-robin auto: three groups on one node spread out in one plan", RRA, NULL,
        "a: n1=running; b: n1=running; c: n1=running", "stop a n1; stop b n1",
        "a=moving@n2 b=moving@n3 c=running@n1",
        "a: moving from n1 to n2 | b: moving from n1 to n3"),
    ROW("round-robin auto: two groups on one node, one moves to the empty node", RRA, NULL,
        "a: n1=running; b: n1=running; c: n2=running", "stop a n1",
        "a=moving@n3 b=running@n1 c=running@n2", "a: moving from n1 to n3"),
    ROW("round-robin controlled: an unbalanced placement stays", RR, NULL,
        "a: n1=running; b: n1=running; c: n1=running", "",
        "a=running@n1 b=running@n1 c=running@n1"),
    ROW("round-robin: a lost node's groups spread over the survivors",
        "n1 n2 n3 n4; a: n1 n2 n3 n4 rr; b: n1 n2 n3 n4 rr; c: n1 n2 n3 n4 rr; d: n1 n2 n3 n4 rr",
        "n1:down-fenced", "a: n1=running; b: n1=running; c: n2=running; d: n3=running",
        "start a n4; start b n2", "a=starting@n4 b=starting@n2 c=running@n2 d=running@n3"),

    /* Standby. */
    ROW("standby: the group moves away", C1, "n1:up-standby", "web: n1=running", "stop web n1",
        "web=moving@n2", "web: moving from n1 to n2", "in standby"),
    ROW("standby: never chosen", C1, "n1:up-standby", NULL, "start web n2", "web=starting@n2"),
    ROW("standby everywhere: failed", C1, ALL_STANDBY, NULL, "", "web=failed",
        "web: n1 in standby, n2 in standby, n3 in standby"),
    ROW("standby everywhere while running: stopped, failed", C1, ALL_STANDBY, "web: n2=running",
        "stop web n2", "web=failed@n2", "web: no eligible node"),
    ROW("standby: groups on other nodes are untouched", C2, "n1:up-standby",
        "web: n1=running; db: n3=running", "stop web n1", "web=moving@n2 db=running@n3"),

    /* Unmanaged groups. */
    ROW("unmanaged: active on two nodes, no action", C1, NULL,
        "web: unmanaged n1=running n2=running", "", "web=unmanaged@n1"),
    ROW("unmanaged: its node in standby, no action", C1, "n1:up-standby",
        "web: unmanaged n1=running", "", "web=unmanaged@n1"),
    ROW("unmanaged: stopped, not started", C1, NULL, "web: unmanaged", "", "web=unmanaged"),
    ROW("unmanaged: failed, not restarted", C1, NULL, "web: unmanaged n1=failed", "",
        "web=unmanaged@n1"),
    ROW("unmanaged: stop failed, not fenced", C1, NULL, "web: unmanaged n1=stop-failed", "",
        "web=unmanaged@n1"),
    ROW("unmanaged: its node lost, nothing started", C1, "n1:down-fenced",
        "web: unmanaged n1=running", "", "web=unmanaged"),

    /* Halted groups. */
    ROW("halted: stopped where it runs", C1, NULL, "web: halted n1=failed", "stop web n1",
        "web=halted@n1", "web: halted after a failure: vigil cleanup web", "is halted"),
    ROW("halted: stopped everywhere, nothing started", C1, NULL,
        "web: halted n1=running n2=partial", "stop web n1; stop web n2", "web=halted@n1"),
    ROW("halted and stopped: nothing to do", C1, NULL, "web: halted", "", "web=halted",
        "web: vigil group start web"),

    /* Target stopped. */
    ROW("group stop: stopped where it runs", C1, NULL, "web: stopped n2=running", "stop web n2",
        "web=stopping@n2", NULL, "stopped by an admin"),
    ROW("group stop: already stopped", C1, NULL, "web: stopped", "", "web=stopped"),
    ROW("group stop: a stop under way is not repeated", C1, NULL, "web: stopped n2=stopping", "",
        "web=stopping@n2"),

    /* Quorum. */
    ROW("no quorum: no action, every group says so", C2, "noquorum n2:down-unclean",
        "web: n1=failed; db: n3=stop-failed", "", "web=no_quorum@n1 db=no_quorum@n3",
        "web: this partition has no quorum | db: no quorum"),
    ROW("no quorum: nothing started", C1, "noquorum", NULL, "", "web=no_quorum"),
    ROW("no quorum: unmanaged and halted groups too", C2, "noquorum",
        "web: unmanaged n1=running; db: halted n3=running", "", "web=no_quorum@n1 db=no_quorum@n3"),

    /* Groups move independently. */
    ROW("independent: db's node lost, web untouched", C2, "n3:down-fenced",
        "web: n1=running; db: n3=running", "start db n2", "web=running@n1 db=starting@n2"),
    ROW("independent: web restarts in place, db untouched", C2, NULL,
        "web: n1=failed; db: n3=running", "start web n1", "web=recovering@n1 db=running@n3"),
    ROW("independent: web's stop failed on n1, db on n3 untouched", C2, NULL,
        "web: n1=stop-failed; db: n3=running", "fence web n1", "web=blocked@n1 db=running@n3"),
    ROW("independent: an unclean n1 blocks web only", C2, "n1:down-unclean",
        "web: n1=running; db: n3=running", "", "web=blocked db=running@n3"),
    ROW("independent: both groups recover in one plan", C2, "n1:down-fenced n3:down-fenced",
        "web: n1=running; db: n3=running", "start web n2; start db n2",
        "web=starting@n2 db=starting@n2"),
    ROW("independent: web banned on n1 moves, db on n1 stays", "n1 n2 n3; web: n1 n2; db: n1 n3",
        NULL, "web: n1=failed banned=n1; db: n1=running", "stop web n1",
        "web=moving@n2 db=running@n1"),

    /* Active on several nodes. */
    ROW("multi-active: keeps the preferred node, stops the other", C1, NULL,
        "web: n1=running n2=running", "stop web n2", "web=stopping@n1+multi",
        "web: active on 2 nodes: n1 (running), n2 (running)", "active on 2 nodes"),
    ROW("multi-active without the preferred node: keeps the best of them", C1, NULL,
        "web: n2=running n3=running", "stop web n3", "web=stopping@n2+multi"),
    ROW("multi-active: a copy already stopping is not stopped again", C1, NULL,
        "web: n1=running n2=stopping", "", "web=stopping@n1+multi"),
    ROW("multi-active: the admin's node is kept", C1, NULL, "web: n1=running n2=running prefer=n2",
        "stop web n1", "web=stopping@n2+multi"),
    ROW("multi-active: a whole copy beats a partial one on the preferred node", C1, NULL,
        "web: n1=partial n2=running", "stop web n1", "web=stopping@n2+multi"),
    ROW("multi-active: the copy on the last owner is kept", C1, NULL,
        "web: n1=running n2=running last=n2", "stop web n1", "web=stopping@n2+multi"),
    ROW("multi-active: the last owner is not kept where the group may not run", C1, "n2:up-standby",
        "web: n1=partial n2=partial last=n2", "stop web n2", "web=stopping@n1+multi"),
    ROW("multi-active on standby nodes only: every copy stopped", C1, "n2:up-standby n3:up-standby",
        "web: n2=running n3=running", "stop web n2; stop web n3", "web=stopping+multi"),

    /* Actions under way. */
    ROW("starting: no second start", C1, NULL, "web: n1=starting", "", "web=starting@n1"),
    ROW("stopping: no second stop", C1, NULL, "web: n1=stopping", "", "web=stopping@n1"),
    ROW("starting on a node now in standby: the start finishes first", C1, "n1:up-standby",
        "web: n1=starting", "", "web=starting@n1"),

    /* Partial groups. */
    ROW("partial on its node: completed in place", C1, NULL, "web: n1=partial", "start web n1",
        "web=starting@n1", NULL, "complete group web"),
    ROW("partial on a standby node: stopped", C1, "n1:up-standby", "web: n1=partial", "stop web n1",
        "web=moving@n2"),
    ROW("partial outside the domain: stopped", "n1 n2 n3; web: n1 n2", NULL, "web: n3=partial",
        "stop web n3", "web=moving@n1", NULL, "not in the domain"),
    /* Order of actions. */
    ROW("order: stops, then fences, then starts, across groups", "n1 n2 n3; a: n1; b: n2; c: n3",
        NULL, "b: n2=stop-failed; c: stopped n3=running", "stop c n3; fence b n2; start a n1",
        "a=starting@n1 b=blocked@n2 c=stopping@n3"),
    /* Restart back-off (restarts.backoff): the caller says which restarts are not due yet. */
    ROW("back-off: a restart in place not due yet waits, recovering", C1, NULL,
        "web: n1=failed backoff=n1", "", "web=recovering@n1", "web: restarting on n1 in back-off"),
    ROW("back-off: due, restarted in place", C1, NULL, "web: n1=failed", "start web n1",
        "web=recovering@n1", NULL, "restart group web"),
    ROW("back-off: on another node, no wait here", C1, NULL, "web: n1=failed backoff=n2",
        "start web n1", "web=recovering@n1"),
    ROW("back-off: banned there, it moves at once", C1, NULL, "web: n1=failed banned=n1 backoff=n1",
        "stop web n1", "web=moving@n2", "web: moving from n1 to n2"),
    ROW("back-off: standby there, it moves at once", C1, "n1:up-standby",
        "web: n1=failed backoff=n1", "stop web n1", "web=moving@n2"),
    ROW("back-off: failback auto to a better node moves at once", C1A, NULL,
        "web: n2=failed backoff=n2", "stop web n2", "web=moving@n1"),
    ROW("back-off: one group waits, the other restarts", C2, NULL,
        "web: n1=failed backoff=n1; db: n3=failed", "start db n3",
        "web=recovering@n1 db=recovering@n3", "web: restarting on n1 in back-off"),
    ROW("back-off: a running group is not touched", C1, NULL, "web: n1=running backoff=n1", "",
        "web=running@n1"),
};

/* ---- policy_next_node ---- */

struct next_case {
    const char *cfg, *nodes, *groups;
    const char *group;
    const char *exclude; /* NULL: none */
    const char *expect;  /* NULL: none */
};

static const struct next_case next_cases[] = {
    {C1, NULL, NULL, "web", NULL, "n1"},
    {C1, NULL, NULL, "web", "n1", "n2"},
    {C1, NULL, "web: n2=running", "web", "n2", "n1"},
    {C1, "n2:up-standby", NULL, "web", "n1", "n3"},
    {C1, NULL, "web: banned=n2", "web", "n1", "n3"},
    {C1, "n2:down-unclean", NULL, "web", "n1", "n3"},
    {C1, "n2:down-fenced n3:up-standby", NULL, "web", "n1", NULL},
    {C1, NULL, "web: banned=n2,n3", "web", "n1", NULL},
    {C1, NULL, "web: prefer=n3", "web", "n1", "n2"}, /* an admin's move is not "next" */
    {"n1 n2 n3; web: n2 n3", NULL, NULL, "web", "n2", "n3"},
    {"n1 n2 n3; web: n2 n3", NULL, NULL, "web", "n3", "n2"},
    {"n1; web: n1", NULL, NULL, "web", "n1", NULL},
    {"n1 n2 n3; web: n1 n2 n3 script", NULL, "web: domain=n3,n1", "web", "n3", "n1"},
    {RR, NULL, "a: last=n2", "a", NULL, "n3"},
    {RR, NULL, "a: last=n2", "a", "n3", "n1"},
    {RR, NULL, "a: last=n3", "a", "n1", "n2"},
    {RR, "n2:up-standby", "a: last=n1", "a", NULL, "n3"},
    {C2, NULL, NULL, "db", "n3", "n2"},
    {C2, NULL, NULL, "db", "n2", "n3"},
    /* capacity: a full node is skipped */
    {"n1=mem:16 n2=mem:16 n3=mem:16; a: n1 n2 n3 load=mem:10; x: n2 load=mem:10", NULL,
     "a: n1=running; x: n2=running", "a", "n1", "n3"},
    {"n1=mem:16 n2=mem:16; a: n1 n2 load=mem:10; x: n2 load=mem:10", NULL,
     "a: n1=running; x: n2=running", "a", "n1", NULL},
    /* balanced: the least loaded node, by share of capacity, else by groups */
    {"n1 n2 n3; a: n1 n2 n3 bal; b: n1 n2 n3 bal; c: n1 n2 n3 bal", NULL,
     "a: n1=running; b: n1=running; c: n2=running", "c", "n2", "n3"},
    {"n1 n2 n3; a: n1 n2 n3; b: n1 n2 n3; c: n1 n2 n3", NULL,
     "a: n1=running; b: n1=running; c: n2=running", "c", "n2", "n1"}, /* ordered: domain order */
    {"n1=mem:16 n2=mem:16 n3=mem:16; a: n1 n2 n3 bal load=mem:4; x: n2 load=mem:8; y: n3 "
     "load=mem:4",
     NULL, "a: n1=running; x: n2=running; y: n3=running", "a", "n1", "n3"},
    {"n1=mem:16 n2=mem:8 n3=mem:32; a: n1 n2 n3 bal load=mem:4; x: n2 load=mem:2; y: n3 "
     "load=mem:8",
     NULL, "a: n1=running; x: n2=running; y: n3=running", "a", "n1", "n3"},
    /* together_with and colocated requires: only where the other group runs */
    {TOG, NULL, "db: n3=running; cache: n3=running", "cache", "n3", NULL},
    {TOG, NULL, "db: n2=running; cache: n3=running", "cache", "n3", "n2"},
    {CHAINC, NULL, "db: n2=running; app: n2=running", "app", "n2", NULL},
    {CHAIN, NULL, "db: n1=running; app: n1=running", "app", "n1", "n2"},
    {CHAIN, NULL, "app: n1=running", "app", "n1", NULL}, /* db runs nowhere */
    /* apart_from: another node while one can take it */
    {"n1 n2 n3; a: n1 n2 n3; b: n1 n2 n3 apart=a", NULL, "a: n2=running; b: n1=running", "b", "n1",
     "n3"},
    {"n1 n2 n3; a: n1 n2 n3; b: n1 n2 n3 apart=a", "n3:up-standby", "a: n2=running; b: n1=running",
     "b", "n1", "n2"},
};

static void test_next_node(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(next_cases); i++) {
        const struct next_case *c = &next_cases[i];
        struct world *w = world_new(c->cfg, c->nodes, c->groups);
        int ex = c->exclude ? node_index(w->cfg, c->exclude) : -1;
        int want = c->expect ? node_index(w->cfg, c->expect) : -1;
        int got = policy_next_node(&w->in, (size_t)group_index(w->cfg, c->group), ex);
        if (got != want)
            fail_msg("case %zu (%s / %s / %s, exclude %s): got %s, expected %s", i, c->cfg,
                     c->nodes ?: "-", c->groups ?: "-", c->exclude ?: "none",
                     got >= 0 ? w->cfg->nodes[got].name : "none", c->expect ?: "none");
        world_free(w);
    }
}

/* ---- helpers' own behaviour ---- */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(pol_state_name(POL_ST_NO_QUORUM), "no quorum");
    assert_string_equal(pol_state_name(POL_ST_MAX), "invalid");
    assert_string_equal(pol_obs_name(POL_OBS_STOP_FAILED), "stop failed");
    assert_string_equal(pol_obs_name(POL_OBS_MAX), "invalid");
    assert_string_equal(pol_action_name(POL_FENCE), "fence");
    assert_string_equal(pol_action_name(POL_ACTION_MAX), "invalid");
    assert_false(pol_obs_active(POL_OBS_UNKNOWN));
    assert_false(pol_obs_active(POL_OBS_STOPPED));
    for (int o = POL_OBS_STARTING; o < POL_OBS_MAX; o++)
        assert_true(pol_obs_active((enum pol_obs)o));
}

/* An output reused after pol_output_clear, and a configuration without groups. */
static void test_output_reuse(void **state)
{
    (void)state;
    struct world *w = world_new(C2, NULL, "web: n1=failed banned=n1");
    struct pol_output out = {0};
    for (int i = 0; i < 3; i++) {
        world_plan(w, &out);
        assert_int_equal(out.n_actions, 2); /* stop web n1; start db n3 */
        pol_output_clear(&out);
        assert_null(out.actions);
        assert_int_equal(out.n_actions, 0);
    }
    pol_output_clear(&out); /* twice is fine */
    world_free(w);

    w = world_new("n1 n2", NULL, NULL);
    world_plan(w, &out);
    assert_int_equal(out.n_actions, 0);
    pol_output_clear(&out);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_next_node),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_output_reuse),
    };
    return world_run("policy", scenarios, ARRAY_SIZE(scenarios), extra, ARRAY_SIZE(extra));
}
