/*
 * The placement policy of clone and promotable groups (src/policy/clone.c),
 * driven by a table as test_policy.c (the strings are described in
 * policy_world.h; every row is also checked against the invariants of
 * world_plan and policy_world_clone.c). Then multi-plan sequences carried
 * out until settled, policy_next_node and policy_node_refusal.
 */
#include <errno.h>
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

#define CL  "n1 n2 n3; www: n1 n2 n3 clone"
#define CL2 "n1 n2 n3; www: n1 n2 n3 clone copies=2"
#define PG  "n1 n2 n3; pg: n1 n2 n3 prom"
#define PG2 "n1 n2 n3; pg: n1 n2 n3 prom copies=2"
#define RUN "n1=running n2=running n3=running"

static struct scenario scenarios[] = {
    /* Clones: copies. */
    ROW("clone: a copy starts on every node of the domain", CL, NULL, NULL,
        "start www n1; start www n2; start www n3", "www=starting", NULL,
        "start a copy of group www on n1"),
    ROW("clone: every copy runs, nothing to do", CL, NULL, "www: " RUN, "", "www=running"),
    ROW("clone copies 2 of 3: the first two nodes of the domain", CL2, NULL, NULL,
        "start www n1; start www n2", "www=starting"),
    ROW("clone copies 2 of 3: the nodes that run a copy keep it", CL2, NULL,
        "www: n2=running n3=running", "", "www=running"),
    ROW("clone copies 2 of 3, one copy runs: one more starts", CL2, NULL, "www: n3=running",
        "start www n1", "www=starting"),
    ROW("clone on every node, a node lost: the others serve on", CL, "n1:down-unclean", "www: " RUN,
        "", "www=running"),
    ROW("clone copies 2 of 3, a node lost: its copy moves only after fencing", CL2,
        "n1:down-unclean", "www: n1=running n2=running", "", "www=blocked",
        "www: waiting for n1 to be fenced (its copy may still run)"),
    ROW("clone copies 2 of 3, the lost node fenced: its copy starts elsewhere", CL2,
        "n1:down-fenced", "www: n1=running n2=running", "start www n3", "www=starting"),
    ROW("clone copies 2 of 3, fencing disabled: waits for the node's return",
        "n1 n2 n3 nofence; www: n1 n2 n3 clone copies=2", "n1:down-unclean",
        "www: n1=running n2=running", "", "www=blocked",
        "www: waiting for n1 to return (fencing is disabled; its copy may still run)"),
    ROW("clone copies 2 of 3, a node not probed yet holds a slot", CL2, NULL,
        "www: n1=running n3=unknown", "", "www=blocked",
        "www: waiting for n3 to probe its resources"),
    ROW("clone: a failed copy restarts in place", CL, NULL, "www: n1=failed n2=running n3=running",
        "start www n1", "www=recovering", NULL, "restart group www on n1"),
    ROW("clone: a failed copy in back-off waits", CL, NULL,
        "www: n1=failed n2=running n3=running backoff=n1", "", "www=recovering",
        "www: restarting on n1 in back-off"),
    ROW("clone: failed beyond its budget, the copy stops there", CL, NULL,
        "www: n1=failed n2=running n3=running banned=n1", "stop www n1", "www=running", NULL,
        "failed there beyond its restart budget"),
    ROW("clone: banned nodes get no copy", CL2, NULL, "www: banned=n1",
        "start www n2; start www n3", "www=starting"),
    ROW("clone copies 2 of 3, standby: the copy moves, stop first", CL2, "n1:up-standby",
        "www: n1=running n2=running", "stop www n1", "www=moving",
        "www: moving a copy from n1 to n3", "(n1: in standby)"),
    ROW("clone copies 2 of 3, standby, once stopped: starts on the third node", CL2,
        "n1:up-standby", "www: n2=running", "start www n3", "www=starting"),
    ROW("clone on every node, leaving: its copy stops, no other starts", CL, "n2:up-leaving",
        "www: " RUN, "stop www n2", "www=running", NULL, "stopping (planned)"),
    ROW("clone: standby everywhere, every copy stops, failed", CL,
        "n1:up-standby n2:up-standby n3:up-standby", "www: n1=running", "stop www n1", "www=failed",
        "www: no eligible node: n1 in standby"),
    ROW("clone: more copies than copies (a healed partition): the last stops", CL2, NULL,
        "www: " RUN, "stop www n3", "www=running", NULL, "a copy runs on 3 nodes, copies: 2"),
    ROW("clone: a stop failed: fenced, its copy replaced once fenced", CL2, NULL,
        "www: n1=stop-failed n2=running", "fence www n1", "www=blocked",
        "www: its stop failed on n1: waiting for n1 to be fenced"),
    ROW("clone: on_fail fence, the copy is not restarted: fenced", CL, NULL,
        "www: n1=failed n2=running n3=running fencewant=n1", "fence www n1", "www=blocked",
        "www: a resource failed (on_fail: fence) on n1: waiting for n1 to be fenced"),
    ROW("clone: stopped by an admin, every copy stops", CL, NULL,
        "www: stopped n1=running n2=running", "stop www n1; stop www n2", "www=stopping", NULL,
        "is stopped by an admin"),
    ROW("clone: halted, every copy stops", CL, NULL, "www: halted n2=failed n3=running",
        "stop www n2; stop www n3", "www=halted", "www: halted after a failure"),
    ROW("clone: stopped, a copy on an unfenced node: blocked", CL, "n1:down-unclean",
        "www: stopped n1=running", "", "www=blocked",
        "www: waiting for n1 to be fenced (its copy may still run)"),
    ROW("clone: unmanaged, nothing touched", CL, NULL, "www: unmanaged n1=failed n2=stop-failed",
        "", "www=unmanaged"),
    ROW("clone: no quorum, nothing started", CL, "noquorum", "www: n1=running", "", "www=no_quorum",
        "www: this partition has no quorum"),
    ROW("clone: each copy counts its load; a full node gets none",
        "n1=mem:16 n2=mem:16 n3=mem:16; big: n1 load=mem:10; www: n1 n2 n3 clone load=mem:8", NULL,
        "big: n1=running", "start www n2; start www n3", "big=running@n1 www=starting"),
    ROW("clone: a single group planned after it sees its copies' loads",
        "n1=mem:16 n2=mem:16; www: n1 n2 clone load=mem:8 prio=5; web: n1 n2 load=mem:10", NULL,
        "www: n1=running", "start www n2", "www=starting web=failed",
        "web: n1 has no room (mem: needs 10, 8 free; held by group www, priority 5), n2 has no "
        "room"),
    ROW("clone: a copy is never stopped to make room",
        "n1=mem:16; www: n1 clone load=mem:10; web: n1 load=mem:10 prio=9", NULL, "www: n1=running",
        "", "www=running web=failed", "web: n1 has no room"),

    /* Promotable groups: copies, then the promotion. */
    ROW("promotable: replicas start everywhere first", PG, NULL, NULL,
        "start pg n1; start pg n2; start pg n3", "pg=starting"),
    ROW("promotable: the highest score is promoted", PG, NULL, "pg: " RUN " score=n1:10,n2:20,n3:5",
        "promote pg n2", "pg=starting@n2", NULL, "promote group pg on n2 (score 20)"),
    ROW("promotable: no score: blocked, naming the nodes", PG, NULL, "pg: " RUN, "", "pg=blocked",
        "pg: no copy can be promoted: no promotion score on n1, n2, n3"),
    ROW("promotable: a negative score is never promoted", PG, NULL, "pg: " RUN " score=n1:-1,n2:-5",
        "", "pg=blocked",
        "pg: no copy can be promoted: no promotion score on n3; a negative score on n1 (-1), n2 "
        "(-5)"),
    ROW("promotable: a zero score beats a negative one", PG, NULL, "pg: " RUN " score=n1:-1,n2:0",
        "promote pg n2", "pg=starting@n2"),
    ROW("promotable: equal scores, the last primary first", PG, NULL,
        "pg: " RUN " score=n1:7,n2:7,n3:7 last=n3", "promote pg n3", "pg=starting@n3"),
    ROW("promotable: equal scores, no last primary: domain order", "n1 n2 n3; pg: n3 n2 n1 prom",
        NULL, "pg: " RUN " score=n1:7,n2:7,n3:7", "promote pg n3", "pg=starting@n3"),
    ROW("promotable: a copy still starting does not hold the promotion", PG, NULL,
        "pg: n1=running n2=starting score=n1:5", "start pg n3; promote pg n1", "pg=starting@n1"),
    ROW("promotable: the last primary restarting holds the promotion", PG, NULL,
        "pg: n1=starting n2=running n3=running last=n1 score=n2:5", "", "pg=starting"),
    ROW("promotable: two primaries, the two best", "n1 n2 n3; pg: n1 n2 n3 prom primaries=2", NULL,
        "pg: " RUN " score=n1:1,n2:2,n3:3", "promote pg n3; promote pg n2", "pg=starting@n3"),
    ROW("promotable: a healthy primary stays when scores change", PG, NULL,
        "pg: n1=primary n2=running n3=running promoted=n1 score=n1:1,n2:50,n3:5 last=n1", "",
        "pg=running@n1"),
    ROW("promotable: a member still probing may be primary: no promotion", PG, NULL,
        "pg: n1=running n2=running n3=unknown score=n1:5,n2:5", "", "pg=blocked",
        "pg: waiting for n3 to probe its resources (it may be primary)"),
    ROW("promotable: a primary found partial by a probe is completed as primary", PG, NULL,
        "pg: n1=partial promoted=n1 n2=running n3=running score=n2:9", "promote pg n1",
        "pg=starting@n1", NULL, "complete group pg on n1 as primary"),

    /* Promotable groups: the primary's node dies. */
    ROW("primary's node lost: no promotion until it is fenced", PG, "n1:down-unclean",
        "pg: n1=primary n2=running n3=running promoted=n1 last=n1 score=n2:10,n3:20", "",
        "pg=blocked", "pg: waiting for n1 to be fenced (it may still be primary)"),
    ROW("primary's node lost, copies 2 of 3: the primary's wait is shown", PG2, "n1:down-unclean",
        "pg: n1=primary n2=running promoted=n1 last=n1 score=n2:10", "", "pg=blocked",
        "pg: waiting for n1 to be fenced (it may still be primary)"),
    ROW("primary's node lost while promoting: no promotion until fenced", PG, "n1:down-unclean",
        "pg: n1=promoting n2=running n3=running score=n2:10,n3:20", "", "pg=blocked",
        "pg: waiting for n1 to be fenced (it may still be primary)"),
    ROW("primary's node lost, fencing disabled: waits for its return",
        "n1 n2 n3 nofence; pg: n1 n2 n3 prom", "n1:down-unclean",
        "pg: n1=primary n2=running n3=running promoted=n1 score=n2:10,n3:20", "", "pg=blocked",
        "pg: waiting for n1 to return (fencing is disabled; it may still be primary)"),
    ROW("primary's node fenced: the best replica is promoted", PG, "n1:down-fenced",
        "pg: n1=primary n2=running n3=running promoted=n1 last=n1 score=n2:10,n3:20",
        "promote pg n3", "pg=starting@n3"),
    ROW("primary's node fenced, copies 2 of 3: a new copy does not hold the promotion", PG2,
        "n1:down-fenced", "pg: n1=primary n2=running promoted=n1 last=n1 score=n2:10",
        "start pg n3; promote pg n2", "pg=starting@n2"),
    ROW("a replica's node lost: the primary serves on", PG, "n3:down-unclean",
        "pg: n1=primary n2=running n3=running promoted=n1", "", "pg=running@n1"),

    /* Promotable groups: the primary fails in place. */
    ROW("primary fails in place: restarted there first", PG, NULL,
        "pg: n1=failed n2=running n3=running last=n1 score=n1:30,n2:20,n3:10", "start pg n1",
        "pg=recovering", NULL, "restart group pg on n1"),
    ROW("primary fails in place, promoted still set: restarted there, no other promotion", PG, NULL,
        "pg: n1=failed promoted=n1 n2=running n3=running last=n1 score=n2:20,n3:10", "start pg n1",
        "pg=recovering@n1"),
    ROW("primary failed in place, restarted as a replica: promoted again", PG, NULL,
        "pg: " RUN " last=n1 score=n1:30,n2:20,n3:10", "promote pg n1", "pg=starting@n1"),
    ROW("primary fails beyond its budget: stopped there, the best replica promoted", PG, NULL,
        "pg: n1=failed banned=n1 n2=running n3=running last=n1 score=n2:20,n3:10",
        "stop pg n1; promote pg n2", "pg=starting@n2"),
    ROW("primary fails in back-off: another copy is promoted meanwhile", PG, NULL,
        "pg: n1=failed backoff=n1 n2=running n3=running last=n1 score=n2:20,n3:10", "promote pg n2",
        "pg=recovering@n2", "pg: restarting on n1 in back-off"),
    ROW("primary fails with on_fail fence: fenced, no promotion before", PG, NULL,
        "pg: n1=failed promoted=n1 fencewant=n1 n2=running n3=running score=n2:20,n3:10",
        "fence pg n1", "pg=blocked@n1",
        "pg: a resource failed (on_fail: fence) on n1: waiting for n1 to be fenced (it may still "
        "be primary)"),
    ROW("primary's stop failed: fenced, no promotion before", PG, NULL,
        "pg: n1=stop-failed promoted=n1 n2=running n3=running score=n2:20,n3:10", "fence pg n1",
        "pg=blocked@n1", "pg: its stop failed on n1: waiting for n1 to be fenced"),

    /* Promotable groups: switchover by an admin (vigil group promote --on). */
    ROW("admin promote: the primary is demoted first", PG, NULL,
        "pg: n1=primary n2=running n3=running promoted=n1 prefer=n3 score=n1:30,n2:20,n3:10",
        "demote pg n1", "pg=moving@n3", "pg: demoting n1 to promote n3 (admin)",
        "demote group pg on n1 to promote n3 (admin)"),
    ROW("admin promote: while the demote runs, nothing more", PG, NULL,
        "pg: n1=demoting promoted=n1 n2=running n3=running prefer=n3 score=n1:30,n2:20,n3:10", "",
        "pg=moving@n3", "pg: demoting n1 to promote n3 (admin)"),
    ROW("admin promote: once demoted, the admin's node is promoted (not the best score)", PG, NULL,
        "pg: " RUN " prefer=n3 score=n1:30,n2:20,n3:10", "promote pg n3", "pg=starting@n3", NULL,
        "promote group pg on n3 (admin)"),
    ROW("admin promote: done, it stays", PG, NULL,
        "pg: n1=running n2=running n3=primary promoted=n3 prefer=n3 score=n1:30,n2:20,n3:10", "",
        "pg=running@n3"),
    ROW("admin promote to a node with a negative score: nothing happens", PG, NULL,
        "pg: n1=primary n2=running n3=running promoted=n1 prefer=n3 score=n1:30,n3:-1", "",
        "pg=running@n1"),
    ROW("admin promote to a node in standby: the preference is dropped", PG, "n3:up-standby",
        "pg: n1=primary n2=running n3=running promoted=n1 prefer=n3 score=n1:30,n3:10",
        "stop pg n3", "pg=running@n1+drop"),

    /* Promotable groups: two primaries after a healed partition. */
    ROW("two primaries after a heal: the lower score is demoted", PG, NULL,
        "pg: n1=primary n2=primary n3=running promoted=n1,n2 score=n1:10,n2:20", "demote pg n1",
        "pg=stopping@n2+multi",
        "pg: promoted on 2 nodes (primaries: 1): n1 (primary), n2 (primary)"),
    ROW("two primaries after a heal, equal scores: the last primary is kept", PG, NULL,
        "pg: n1=primary n2=primary n3=running promoted=n1,n2 last=n2", "demote pg n1",
        "pg=stopping@n2+multi"),

    /* Promotable groups: standby, leaving. */
    ROW("standby with the primary: demoted first", PG, "n1:up-standby",
        "pg: n1=primary n2=running n3=running promoted=n1 score=n2:10,n3:20", "demote pg n1",
        "pg=moving@n1", "pg: demoting n1 (in standby) to promote another copy",
        "demote group pg on n1 (n1: in standby), then stop it there"),
    ROW("standby with the primary, demoted: stopped, the best replica promoted", PG,
        "n1:up-standby", "pg: " RUN " score=n2:10,n3:20", "stop pg n1; promote pg n3",
        "pg=starting@n3"),
    ROW("leaving with the primary: demoted first", PG, "n1:up-leaving",
        "pg: n1=primary n2=running n3=running promoted=n1 score=n2:10,n3:20", "demote pg n1",
        "pg=moving@n1", "pg: demoting n1 (stopping (planned)) to promote another copy"),
    ROW("standby with the primary, copies 2 of 3: stop, promote, then the copy moves", PG2,
        "n1:up-standby", "pg: n1=running n2=running score=n2:10", "stop pg n1; promote pg n2",
        "pg=moving@n2", "pg: moving a copy from n1 to n3"),

    /* Promotable groups: quorum, intents. */
    ROW("promotable: no quorum, nothing promoted", PG, "noquorum", "pg: " RUN " score=n1:9", "",
        "pg=no_quorum", "pg: no quorum"),
    ROW("promotable: no quorum, the primary shown", PG, "noquorum",
        "pg: n1=primary n2=running promoted=n1", "", "pg=no_quorum@n1"),
    ROW("promotable: stopped by an admin, the primary stops too", PG, NULL,
        "pg: stopped n1=primary n2=running promoted=n1", "stop pg n1; stop pg n2",
        "pg=stopping@n1"),
    ROW("promotable: halted, every copy stops", PG, NULL, "pg: halted n1=primary promoted=n1",
        "stop pg n1", "pg=halted@n1"),
    ROW("promotable: unmanaged, nothing promoted", PG, NULL, "pg: unmanaged " RUN " score=n1:1", "",
        "pg=unmanaged"),
    ROW("promotable: single groups beside it plan as before",
        "n1 n2 n3; web: n1 n2 n3; pg: n1 n2 n3 prom", NULL, "pg: " RUN " score=n2:1",
        "start web n1; promote pg n2", "web=starting@n1 pg=starting@n2"),
};

/* ---- multi-plan sequences, carried out until settled ---- */

/* Plans and carries out until nothing is left to do; returns the last plan's groups. */
static void settle(struct world *w, char *groups, size_t size, char *trail, size_t tsize)
{
    trail[0] = '\0';
    for (int step = 0; step < 10; step++) {
        struct pol_output out = {0};
        world_plan(w, &out);
        if (!out.n_actions && !world_in_flight(w)) {
            render_groups(w, &out, groups, size);
            pol_output_clear(&out);
            return;
        }
        char acts[256];
        render_actions(w, &out, acts, sizeof(acts));
        snprintf(trail + strlen(trail), tsize - strlen(trail), "%s[%s]", step ? " " : "", acts);
        world_carry_out(w, &out);
        pol_output_clear(&out);
    }
    fail_msg("does not settle: %s", trail);
}

struct sequence {
    const char *cfg, *nodes, *groups;
    const char *trail; /* the plans' actions, each in [] */
    const char *end;   /* render_groups once settled */
};

static const struct sequence sequences[] = {
    /* Cold start: replicas, then the best promoted. */
    {PG, NULL, "pg: score=n1:1,n2:9,n3:5",
     "[start pg n1; start pg n2; start pg n3] [promote pg n2]", "pg=running@n2"},
    /* Admin promote: demote, then promote, over two plans. */
    {PG, NULL, "pg: n1=primary n2=running n3=running promoted=n1 prefer=n2 score=n1:9,n2:1",
     "[demote pg n1] [promote pg n2]", "pg=running@n2"},
    /* Standby with the primary: demote; stop and promote elsewhere. */
    {PG, "n1:up-standby", "pg: n1=primary n2=running n3=running promoted=n1 score=n2:1,n3:2",
     "[demote pg n1] [stop pg n1; promote pg n3]", "pg=running@n3"},
    /* Copies 2 of 3, standby with the primary: the copy moves after the stop. */
    {PG2, "n1:up-standby", "pg: n1=primary n2=running promoted=n1 score=n2:1,n3:2",
     "[demote pg n1] [stop pg n1; promote pg n2] [start pg n3]", "pg=running@n2"},
    /* Two primaries: one demoted. */
    {PG, NULL, "pg: n1=primary n2=primary n3=running promoted=n1,n2 score=n1:3,n2:2",
     "[demote pg n2]", "pg=running@n1"},
    /* A clone's copy moves off a standby node. */
    {CL2, "n2:up-standby", "www: n1=running n2=running", "[stop www n2] [start www n3]",
     "www=running"},
};

static void test_sequences(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(sequences); i++) {
        const struct sequence *s = &sequences[i];
        struct world *w = world_new(s->cfg, s->nodes, s->groups);
        char groups[256], trail[1024];
        settle(w, groups, sizeof(groups), trail, sizeof(trail));
        if (strcmp(trail, s->trail) || strcmp(groups, s->end))
            fail_msg("sequence %zu: %s -> %s, expected %s -> %s", i, trail, groups, s->trail,
                     s->end);
        world_free(w);
    }
}

/* A lost primary, step by step: blocked, fenced by the coordinator (here), then promoted. */
static void test_lost_primary(void **state)
{
    (void)state;
    struct world *w = world_new(PG, "n1:down-unclean",
                                "pg: n1=primary n2=running n3=running promoted=n1 last=n1 "
                                "score=n2:10,n3:20");
    struct pol_output out = {0};
    world_plan(w, &out);
    assert_int_equal(out.n_actions, 0);
    assert_int_equal(out.groups[0].state, POL_ST_BLOCKED);
    pol_output_clear(&out);
    w->nodes[0].fence = POL_NODE_FENCED; /* the coordinator's fencing succeeded */
    char groups[256], trail[256];
    settle(w, groups, sizeof(groups), trail, sizeof(trail));
    assert_string_equal(trail, "[promote pg n3]");
    assert_string_equal(groups, "pg=running@n3");
    /* n1 returns, clean: it gets a replica; the primary stays on n3. */
    w->nodes[0] = (struct pol_node){.online = true, .fence = POL_NODE_CLEAN};
    w->obs[0][0] = POL_OBS_STOPPED;
    w->promoted[0][0] = false;
    w->score[0][0] = 100;
    settle(w, groups, sizeof(groups), trail, sizeof(trail));
    assert_string_equal(trail, "[start pg n1]");
    assert_string_equal(groups, "pg=running@n3");
    world_free(w);
}

/* ---- policy_next_node and policy_node_refusal ---- */

static void test_next_node(void **state)
{
    (void)state;
    struct world *w = world_new(PG, NULL,
                                "pg: n1=primary n2=running n3=running promoted=n1 prefer=n2 "
                                "score=n1:50,n2:10,n3:20");
    assert_int_equal(policy_next_node(&w->in, 0, 0), 2); /* the best replica, not the admin's */
    assert_int_equal(policy_next_node(&w->in, 0, 2), 1);
    w->score[0][2] = -1;
    assert_int_equal(policy_next_node(&w->in, 0, 0), 1);
    w->score[0][1] = POL_NO_SCORE;
    assert_int_equal(policy_next_node(&w->in, 0, 0), -1);
    world_free(w);

    w = world_new(CL, NULL, "www: " RUN);
    assert_int_equal(policy_next_node(&w->in, 0, 0), -1); /* a clone's copies are not moved */
    world_free(w);
}

static void test_node_refusal(void **state)
{
    (void)state;
    char buf[192];
    struct world *w = world_new(PG, "n3:up-standby",
                                "pg: n1=primary n2=running n3=running promoted=n1 "
                                "score=n2:-4");
    assert_int_equal(policy_node_refusal(&w->in, 0, 1, buf, sizeof(buf)), -EINVAL);
    assert_string_equal(buf, "n2 has a negative promotion score (-4): its data may be behind");
    assert_int_equal(policy_node_refusal(&w->in, 0, 2, buf, sizeof(buf)), -EINVAL);
    assert_string_equal(buf, "n3 in standby");
    assert_int_equal(policy_node_refusal(&w->in, 0, 0, buf, sizeof(buf)), 0);
    assert_string_equal(buf, ""); /* primary there already */
    w->score[0][1] = 3;
    assert_int_equal(policy_node_refusal(&w->in, 0, 1, buf, sizeof(buf)), 0);
    w->score[0][1] = POL_NO_SCORE;
    assert_int_equal(policy_node_refusal(&w->in, 0, 1, buf, sizeof(buf)), -EINVAL);
    assert_string_equal(buf, "n2 has no promotion score");
    w->obs[0][1] = POL_OBS_STOPPED;
    assert_int_equal(policy_node_refusal(&w->in, 0, 1, buf, sizeof(buf)), -EINVAL);
    assert_string_equal(buf, "n2 runs no replica of group pg (its copy is stopped there)");
    world_free(w);

    w = world_new(CL2, NULL, "www: n1=running n2=running");
    assert_int_equal(policy_node_refusal(&w->in, 0, 2, buf, sizeof(buf)), -EINVAL);
    assert_string_equal(buf, "group www is a clone: its copies are not moved (they run on up to 2 "
                             "nodes of its domain; put a node in standby to move its copy away)");
    world_free(w);
}

/* A single group loaded before the loader knew copies (0) plans as one copy. */
static void test_single_copies_zero(void **state)
{
    (void)state;
    struct world *w = world_new("n1 n2 n3; web: n1 n2 n3", NULL, NULL);
    assert_int_equal(w->cfg->groups[0].copies, 0);
    struct pol_output out = {0};
    world_plan(w, &out);
    char got[128];
    render_actions(w, &out, got, sizeof(got));
    assert_string_equal(got, "start web n1");
    pol_output_clear(&out);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_sequences),          cmocka_unit_test(test_lost_primary),
        cmocka_unit_test(test_next_node),          cmocka_unit_test(test_node_refusal),
        cmocka_unit_test(test_single_copies_zero),
    };
    return world_run("policy clone", scenarios, ARRAY_SIZE(scenarios), extra, ARRAY_SIZE(extra));
}
