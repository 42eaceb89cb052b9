/*
 * The placement policy with group relationships (requires, colocated,
 * together_with, apart_from), capacity and load, priority with preemption,
 * and balanced placement: table rows as in test_policy.c, then sequences,
 * where each plan is carried out and the next one checked until the cluster
 * settles.
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

static struct scenario rows[] = {
    /* requires: start order, and stop order when a required group is disturbed. */
    ROW("requires: only the group nothing else is needed for starts", CHAIN, NULL, NULL,
        "start db n1", "db=starting@n1 app=blocked web=blocked",
        "app: waiting for group db (required) | web: waiting for group app (required)"),
    ROW("requires: a required group still starting is waited for", CHAIN, NULL, "db: n1=starting",
        "", "db=starting@n1 app=blocked web=blocked", "app: waiting for group db (required)"),
    ROW("requires: once db runs, app starts", CHAIN, NULL, "db: n1=running", "start app n1",
        "db=running@n1 app=starting@n1 web=blocked", "web: waiting for group app (required)"),
    ROW("requires: without colocated, the dependant goes where its own policy says", CHAIN, NULL,
        "db: n2=running", "start app n1", "db=running@n2 app=starting@n1 web=blocked"),
    ROW("requires: dependency order, not file order", "n1 n2; web: n1 n2 req=app; app: n1 n2", NULL,
        NULL, "start app n1", "web=blocked app=starting@n1"),
    ROW("requires: db fails, the last dependant is stopped first", CHAIN, NULL,
        "db: n1=failed; app: n1=running; web: n1=running", "stop web n1",
        "db=blocked@n1 app=blocked@n1 web=stopping@n1",
        "db: waiting for group app to stop first (it requires db) | app: waiting for group web to "
        "stop first (it requires app), stopped while group db restarts | web: stopped while "
        "group app stops",
        "group web stopped while group app stops"),
    ROW("requires: web stopped, then app", CHAIN, NULL, "db: n1=failed; app: n1=running",
        "stop app n1", "db=blocked@n1 app=stopping@n1 web=blocked",
        "app: stopped while group db restarts | web: waiting for group app (required)"),
    ROW("requires: dependants stopped, db restarts", CHAIN, NULL, "db: n1=failed", "start db n1",
        "db=recovering@n1 app=blocked web=blocked"),
    ROW("requires: an admin stops db: its dependants stop first and wait", CHAIN, NULL,
        "db: stopped n1=running; app: n1=running", "stop app n1",
        "db=blocked@n1 app=stopping@n1 web=blocked",
        "db: waiting for group app to stop first | app: stopped while group db stops"),
    ROW("requires: db stopped by an admin, app waits", CHAIN, NULL, "db: stopped", "",
        "db=stopped app=blocked web=blocked", "app: waiting for group db (required)"),
    ROW("requires: an unmanaged dependant does not hold its required group",
        "n1 n2; db: n1 n2; app: n1 n2 req=db", NULL, "db: n1=failed; app: unmanaged n1=running",
        "start db n1", "db=recovering@n1 app=unmanaged@n1"),
    ROW("requires: a dependant's failed stop is fenced, the required group waits", CHAIN, NULL,
        "db: n1=failed; app: n2=stop-failed", "fence app n2",
        "db=blocked@n1 app=blocked@n2 web=blocked", "db: waiting for group app to stop first"),
    ROW("requires: the dependant's node fenced, the required group restarts", CHAIN,
        "n2:down-fenced", "db: n1=failed; app: n2=stop-failed", "start db n1",
        "db=recovering@n1 app=blocked web=blocked"),
    ROW("requires: a required group lost with its node: dependants stop while it waits", CHAIN,
        "n1:down-unclean", "db: n1=running; app: n2=running", "stop app n2",
        "db=blocked app=stopping@n2 web=blocked", "app: stopped while group db is blocked"),
    ROW("requires: running steadily while a member probes counts as running", CHAIN, NULL,
        "db: n1=running n3=unknown; app: n1=running", "start web n1",
        "db=blocked@n1 app=running@n1 web=starting@n1", "db: waiting for n3 to probe"),
    ROW("requires colocated: placed where the required group runs", CHAINC, NULL, "db: n2=running",
        "start app n2", "db=running@n2 app=starting@n2 web=blocked"),
    ROW("requires colocated: running elsewhere, it moves to the required group", CHAINC, NULL,
        "db: n2=running; app: n1=running", "stop app n1", "db=running@n2 app=moving@n2 web=blocked",
        "app: moving from n1 to n2", "group db runs on n2"),
    ROW("requires colocated: the required group's node cannot take it: failed, says why",
        "n1 n2; db: n1 n2; app: n2 req=db coloc", NULL, "db: n1=running", "",
        "db=running@n1 app=failed", "app: no eligible node: n2 not where group db runs"),
    ROW("requires colocated: a move of the required group stops the dependant first", CHAINC, NULL,
        "db: n1=running prefer=n2; app: n1=running; web: n1=running", "stop web n1",
        "db=blocked@n2 app=blocked@n1 web=stopping@n1",
        "db: waiting for group app to stop first (it requires db), moving from n1 to n2 | web: "
        "stopped while group app stops"),
    ROW("requires colocated: a multi-active copy is stopped only after the dependant there",
        "n1 n2; db: n1 n2; app: n1 n2 req=db coloc", NULL,
        "db: n1=running n2=running; app: n2=running", "stop app n2",
        "db=blocked@n1+multi app=moving@n1", "db: waiting for group app to stop first"),

    /* together_with */
    ROW("together_with: started with the group, in the same plan", TOG, NULL, NULL,
        "start db n3; start cache n3", "cache=starting@n3 db=starting@n3"),
    ROW("together_with: the group stopped, it waits", TOG, NULL, "db: stopped", "",
        "cache=blocked db=stopped", "cache: waiting for group db (together_with)"),
    ROW("together_with: the group moves, it stops too and follows", TOG, NULL,
        "db: n3=running prefer=n2; cache: n3=running", "stop db n3; stop cache n3",
        "cache=stopping@n3 db=moving@n2", "cache: stopped while group db moves"),
    ROW("together_with: the group is starting on n2: it starts there", TOG, NULL, "db: n2=starting",
        "start cache n2", "cache=starting@n2 db=starting@n2"),
    ROW("together_with: requires and together_with on different nodes: waits, says why",
        "n1 n2; db: n1 n2; q: n2 n1; app: n1 n2 req=db coloc with=q", NULL,
        "db: n1=running; q: n2=running", "", "db=running@n1 q=running@n2 app=blocked",
        "app: group db runs on n1 but group q (together_with) on n2"),

    /* apart_from (soft) */
    ROW("apart_from: another node is chosen", "n1 n2; a: n1 n2; b: n1 n2 apart=a", NULL, NULL,
        "start a n1; start b n2", "a=starting@n1 b=starting@n2"),
    ROW("apart_from: either way round", "n1 n2; b: n1 n2 apart=a; a: n1 n2", NULL, NULL,
        "start b n1; start a n2", "b=starting@n1 a=starting@n2"),
    ROW("apart_from: shares the node when no other can take it",
        "n1 n2; a: n1 n2; b: n1 n2 apart=a", "n2:up-standby", NULL, "start a n1; start b n1",
        "a=starting@n1 b=starting@n1"),
    ROW("apart_from: sharing that was forced is kept (controlled failback)",
        "n1 n2; a: n1 n2; b: n1 n2 apart=a", NULL, "a: n1=running; b: n1=running", "",
        "a=running@n1 b=running@n1"),
    ROW("apart_from: with failback auto, it moves away when it can",
        "n1 n2; a: n1 n2; b: n1 n2 apart=a auto", NULL, "a: n1=running; b: n1=running", "stop b n1",
        "a=running@n1 b=moving@n2"),
    ROW("apart_from: a node the other group moves to is avoided",
        "n1 n2 n3; a: n1 n2 n3; b: n2 n3 apart=a", NULL, "a: n1=running prefer=n2",
        "stop a n1; start b n3", "a=moving@n2 b=starting@n3"),

    /* capacity and load */
    ROW("capacity: a second group goes where there is room", CAP, NULL, NULL,
        "start a n1; start b n2", "a=starting@n1 b=starting@n2"),
    ROW("capacity: a group that fits nowhere says why", "n1=mem:8 n2=mem:8; big: n1 n2 load=mem:10",
        NULL, NULL, "", "big=failed",
        "big: no eligible node: n1 has no room (mem: needs 10, 8 free), n2 has no room (mem: "
        "needs 10, 8 free)"),
    ROW("capacity: a name a node does not list is 0 there",
        "n1=cpu:4 n2=mem:16; a: n1 n2 load=mem:8", NULL, NULL, "start a n2", "a=starting@n2"),
    ROW("capacity: a node without capacity is unlimited", "n1 n2=mem:1; a: n2 n1 load=mem:8", NULL,
        NULL, "start a n1", "a=starting@n1"),
    ROW("capacity: a group without load fits anywhere", "n1=mem:0; a: n1", NULL, NULL, "start a n1",
        "a=starting@n1"),
    ROW("capacity: a group leaving a node still holds it until stopped",
        "n1=mem:16 n2=mem:16; a: n1 n2 load=mem:10; b: n2 n1 load=mem:10", "n1:up-standby",
        "a: n1=running; b: n2=running", "stop a n1", "a=failed@n1 b=running@n2",
        "a: n2 has no room (mem: needs 10, 6 free)"),
    ROW("capacity: two groups moving to one node with room for one",
        "n1=mem:16 n2=mem:16 n3=mem:16; a: n1 n3 load=mem:10; b: n2 n3 load=mem:10",
        "n1:up-standby n2:up-standby", "a: n1=running; b: n2=running", "stop a n1; stop b n2",
        "a=moving@n3 b=failed@n2", "b: n3 has no room (mem: needs 10, 6 free)"),
    ROW("capacity: an admin's move to a full node is not carried out", CAP, NULL,
        "a: n1=running prefer=n2; b: n2=running", "", "a=running@n1 b=running@n2"),

    /* priority */
    ROW("priority: the higher one is placed first when both cannot fit",
        "n1=mem:10; a: n1 load=mem:10; b: n1 load=mem:10 prio=5", NULL, NULL, "start b n1",
        "a=failed b=starting@n1",
        "a: n1 has no room (mem: needs 10, 0 free; held by group b, priority 5)"),
    ROW("priority: a lower group is stopped to make room", PRI, NULL, "low: n1=running",
        "stop low n1", "low=stopping@n1 high=blocked@n1",
        "low: stopped to make room for group high (priority 10) | high: waiting for room on n1: "
        "stopping group low (priority 1)",
        "group low stopped to make room for group high (priority 10)"),
    ROW("priority: once it is stopped, the higher group starts", PRI, NULL, NULL, "start high n1",
        "low=failed high=starting@n1", "low: n1 has no room (mem: needs"),
    ROW("priority: once settled, the displaced group names the group holding the room", PRI, NULL,
        "high: n1=running", "", "low=failed high=running@n1",
        "low: held by group high, priority 10"),
    ROW("priority: while it stops, nothing more is stopped", PRI, NULL, "low: n1=stopping", "",
        "low=stopping@n1 high=blocked@n1", "high: waiting for room on n1 (groups are stopping"),
    ROW("priority: the lowest first, only as many as needed",
        "n1=mem:30; a: n1 load=mem:10 prio=2; b: n1 load=mem:10 prio=1; c: n1 load=mem:10 prio=3; "
        "h: n1 load=mem:10 prio=5",
        NULL, "a: n1=running; b: n1=running; c: n1=running", "stop b n1",
        "a=running@n1 b=stopping@n1 c=running@n1 h=blocked@n1",
        "b: stopped to make room for group h (priority 5)"),
    ROW("priority: an equal priority is never stopped",
        "n1=mem:10; a: n1 load=mem:10 prio=5; b: n1 load=mem:10 prio=5", NULL, "a: n1=running", "",
        "a=running@n1 b=failed", "b: n1 has no room"),
    ROW("priority: an unmanaged group is never stopped for room",
        "n1=mem:10; a: n1 load=mem:10; b: n1 load=mem:10 prio=5", NULL, "a: unmanaged n1=running",
        "", "a=unmanaged@n1 b=failed"),
    ROW("priority: a required group inherits its dependant's priority",
        "n1=mem:15; batch: n1 load=mem:10 prio=5; db: n1 load=mem:10; app: n1 req=db prio=10", NULL,
        "batch: n1=running", "stop batch n1", "batch=stopping@n1 db=blocked@n1 app=blocked",
        "batch: stopped to make room for group db (priority 10)"),
    ROW("priority: a group that must move makes room on the next node",
        "n1=mem:10 n2=mem:10; high: n1 n2 load=mem:10 prio=10; low: n2 load=mem:10",
        "n1:up-standby", "high: n1=running; low: n2=running", "stop high n1; stop low n2",
        "high=moving@n2 low=stopping@n2", "high: moving from n1 to n2, waiting for room on n2"),

    /* balanced */
    ROW("balanced: a lost node's four groups spread over three survivors",
        "n1=mem:16 n2=mem:16 n3=mem:16 n4=mem:16; a: n1 n2 n3 n4 bal load=mem:4; b: n1 n2 n3 n4 "
        "bal load=mem:4; c: n1 n2 n3 n4 bal load=mem:4; d: n1 n2 n3 n4 bal load=mem:4; e: n2 "
        "load=mem:4; f: n3 load=mem:4",
        "n1:down-fenced",
        "a: n1=running; b: n1=running; c: n1=running; d: n1=running; e: n2=running; f: n3=running",
        "start a n4; start b n2; start c n3; start d n4",
        "a=starting@n4 b=starting@n2 c=starting@n3 d=starting@n4 e=running@n2 f=running@n3"),
    ROW("balanced: by share of capacity, never over it",
        "n1=mem:16 n2=mem:8 n3=mem:16 n4=mem:32; a: n1 n2 n3 n4 bal load=mem:4; b: n1 n2 n3 n4 "
        "bal load=mem:4; c: n1 n2 n3 n4 bal load=mem:4; d: n1 n2 n3 n4 bal load=mem:4; e: n2 "
        "load=mem:4",
        "n1:down-fenced",
        "a: n1=running; b: n1=running; c: n1=running; d: n1=running; e: n2=running",
        "start a n4; start b n3; start c n4; start d n4",
        "a=starting@n4 b=starting@n3 c=starting@n4 d=starting@n4 e=running@n2"),
    ROW("balanced: without loads, the fewest groups", "n1 n2 n3; x: n1; y: n1; a: n1 n2 n3 bal",
        NULL, "x: n1=running; y: n1=running", "start a n2",
        "x=running@n1 y=running@n1 a=starting@n2"),
    ROW("balanced auto: an equal spread is not worth a move",
        "n1 n2; a: n1 n2 bal auto; b: n1 n2 bal auto", NULL, "a: n2=running; b: n1=running", "",
        "a=running@n2 b=running@n1"),
};

/* ---- sequences: a plan carried out, then the next, until it settles ---- */

struct sequence {
    const char *name, *cfg, *nodes, *groups;
    const char *plans;  /* each plan's actions, " | " between plans */
    const char *result; /* once settled */
};

static const struct sequence sequences[] = {
    {"requires: a chain starts in order", CHAIN, NULL, NULL,
     "start db n1 | start app n1 | start web n1", "db=running@n1 app=running@n1 web=running@n1"},
    {"requires: db fails in place: web, then app stop; db restarts; app, then web start", CHAIN,
     NULL, "db: n1=failed; app: n1=running; web: n1=running",
     "stop web n1 | stop app n1 | start db n1 | start app n1 | start web n1",
     "db=running@n1 app=running@n1 web=running@n1"},
    {"requires colocated: db fails over: web, app, db stop; db, app, web start on n2", CHAINC, NULL,
     "db: n1=failed banned=n1; app: n1=running; web: n1=running",
     "stop web n1 | stop app n1 | stop db n1 | start db n2 | start app n2 | start web n2",
     "db=running@n2 app=running@n2 web=running@n2"},
    {"requires colocated: the node of the chain is lost: it starts again in order elsewhere",
     CHAINC, "n1:down-fenced", "db: n1=running; app: n1=running; web: n1=running",
     "start db n2 | start app n2 | start web n2", "db=running@n2 app=running@n2 web=running@n2"},
    {"requires: an admin's move of db restarts its dependants after it", CHAIN, NULL,
     "db: n1=running prefer=n3; app: n2=running; web: n2=running",
     "stop web n2 | stop app n2 | stop db n1 | start db n3 | start app n1 | start web n1",
     "db=running@n3 app=running@n1 web=running@n1"},
    {"together_with: follows a move", TOG, NULL, "db: n3=running prefer=n2; cache: n3=running",
     "stop db n3; stop cache n3 | start db n2; start cache n2", "cache=running@n2 db=running@n2"},
    {"priority: room is made, then the lower group goes where it still fits",
     "n1=mem:16 n2=mem:10; low: n1 n2 load=mem:10 prio=1; high: n1 load=mem:10 prio=10", NULL,
     "low: n1=running", "stop low n1 | start high n1; start low n2",
     "low=running@n2 high=running@n1"},
    {"capacity: a node lost, what fits moves, the rest waits without exceeding it",
     "n1=mem:16 n2=mem:16 n3=mem:16; a: n1 n2 n3 load=mem:10; b: n1 n2 n3 load=mem:10; c: n2 "
     "load=mem:10; d: n3 load=mem:10",
     "n1:down-fenced", "a: n1=running; b: n1=running; c: n2=running; d: n3=running", "",
     "a=failed b=failed c=running@n2 d=running@n3"},
};

static void test_sequences(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(sequences); i++) {
        const struct sequence *q = &sequences[i];
        struct world *w = world_new(q->cfg, q->nodes, q->groups);
        char got[2048] = "", acts[1024];
        for (size_t step = 0;; step++) {
            struct pol_output out = {0};
            world_plan(w, &out);
            if (!out.n_actions && !world_in_flight(w)) {
                render_groups(w, &out, acts, sizeof(acts));
                pol_output_clear(&out);
                if (strcmp(got, q->plans) || strcmp(acts, q->result))
                    fail_msg("%s:\n  plans  \"%s\"\n  wanted \"%s\"\n  result \"%s\"\n"
                             "  wanted \"%s\"",
                             q->name, got, q->plans, acts, q->result);
                break;
            }
            assert_true(step < 20);
            render_actions(w, &out, acts, sizeof(acts));
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", step ? " | " : "", acts);
            world_carry_out(w, &out);
            pol_output_clear(&out);
        }
        world_free(w);
    }
}

/* ---- policy_node_refusal: can an admin move a group there now? ---- */

struct refusal_case {
    const char *cfg, *nodes, *groups;
    const char *group, *node;
    int want;           /* 0 accepted, 1 accepted giving way on apart_from, -EINVAL refused */
    const char *expect; /* the reason, exactly ("" when accepted) */
};

static const struct refusal_case refusals[] = {
    {CAP, NULL, "a: n1=running", "a", "n2", 0, ""},
    {CAP, NULL, "a: n1=running; b: n2=running", "a", "n2", -EINVAL,
     "n2 has no room (mem: needs 10, 6 free)"},
    {CAP, "n2:up-standby", "a: n1=running", "a", "n2", -EINVAL, "n2 in standby"},
    {CAP, "n2:up-leaving", "a: n1=running", "a", "n2", -EINVAL, "n2 stopping (planned)"},
    {"n1 n2 n3; a: n1 n2", NULL, NULL, "a", "n3", -EINVAL, "n3 not in the domain"},
    {CHAINC, NULL, "db: n1=running; app: n1=running", "app", "n2", -EINVAL,
     "it must run with group db, which runs on n1"},
    {CHAINC, NULL, "app: n1=running", "app", "n2", -EINVAL,
     "it is waiting for group db (required)"},
    {CHAIN, NULL, "db: n1=running; app: n1=running", "app", "n2", 0, ""},
    {TOG, NULL, "db: n3=running; cache: n3=running", "cache", "n1", -EINVAL,
     "it must run with group db, which runs on n3"},
    {TOG, NULL, NULL, "cache", "n1", -EINVAL, "it is waiting for group db (together_with)"},
    /* apart_from is soft: an admin's move wins, and the caller is told (either way round). */
    {"n1 n2; a: n1 n2; b: n1 n2 apart=a", NULL, "a: n2=running; b: n1=running", "b", "n2", 1,
     "group a, which it is apart from, runs on n2"},
    {"n1 n2; a: n1 n2; b: n1 n2 apart=a", NULL, "a: n2=running; b: n1=running", "a", "n1", 1,
     "group b, which it is apart from, runs on n1"},
    {"n1 n2; a: n1 n2; b: n1 n2 apart=a", NULL, "a: n2=running; b: n1=running", "a", "n2", 0, ""},
};

static void test_refusal(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(refusals); i++) {
        const struct refusal_case *c = &refusals[i];
        struct world *w = world_new(c->cfg, c->nodes, c->groups);
        char why[128] = "?";
        int r = policy_node_refusal(&w->in, (size_t)group_index(w->cfg, c->group),
                                    (size_t)node_index(w->cfg, c->node), why, sizeof(why));
        if (r != c->want || strcmp(why, c->expect))
            fail_msg("case %zu (%s / %s, %s to %s): got %d \"%s\", expected %d \"%s\"", i, c->cfg,
                     c->groups ?: "-", c->group, c->node, r, why, c->want, c->expect);
        world_free(w);
    }
}

int main(void)
{
    const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_refusal),
    };
    return world_run("policy relationships", rows, ARRAY_SIZE(rows), extra, ARRAY_SIZE(extra));
}
