/*
 * Planned stops (src/daemon/drain.c): when a node that stops has moved its
 * groups away or they have nowhere to run. The plans come from the
 * coordinator's world (coord_world.h: three nodes over the simulated
 * transport), where n1 reports itself leaving; drain_settled is the
 * decision drain_check takes on them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "coord_world.h"
#include "daemon/drain.h"

/*
 * db can run on n1 only; app requires it, web requires app; other moves
 * freely. Everything starts on n1.
 */
static const char *const yaml =
    COORD_YAML_HEAD "groups:\n"
                    "  - {name: db, domain: [n1],\n"
                    "     resources: [{name: pg, type: process, command: [/bin/sleep, '1000']}]}\n"
                    "  - {name: app, domain: [n1, n2], requires: db,\n"
                    "     resources: [{name: srv, type: process, command: [/bin/sleep, '1000']}]}\n"
                    "  - {name: web, domain: [n1, n2, n3], requires: app,\n"
                    "     resources: [{name: www, type: process, command: [/bin/sleep, '1000']}]}\n"
                    "  - {name: other, domain: [n1, n2],\n"
                    "     resources: [{name: o, type: process, command: [/bin/sleep, '1000']}]}\n";

static int setup(void **state)
{
    return coord_setup_yaml(state, yaml);
}

/* n1 reports itself leaving (as drain_begin makes vigild do); the others plan. */
static void n1_leaves(struct world *w)
{
    w->nodes[0].leaving = true;
    for (size_t g = 0; g < w->ng; g++)
        report(&w->nodes[0], g);
    settle(w);
}

/* drain_settled on n1's plan, for the groups that ran there (all of them). */
static bool n1_settled(struct world *w, struct pol_output *out)
{
    bool ran[COORD_MAX_GROUPS] = {true, true, true, true};
    pol_output_clear(out);
    gview_plan(&w->nodes[0].gv, out);
    return drain_settled(w->cfg, out, ran);
}

static const char *state_of(const struct pol_output *out, struct world *w, const char *group)
{
    return pol_state_name(out->groups[coord_group(w, group)].state);
}

/*
 * db has nowhere else to run: it fails, and app and web, which need it, wait
 * for it, blocked, running nothing. The drain does not wait for them; it
 * waits for other, which moves to n2.
 */
static void test_drain_does_not_wait_for_dependants_of_a_group_that_cannot_run(void **state)
{
    struct world *w = *state;
    for (size_t g = 0; g < w->ng; g++)
        assert_int_equal(runs_on(w, g), 0);
    struct pol_output out = {0};
    w->nodes[1].deaf = true; /* n2 does not act yet: other is left starting there */
    n1_leaves(w);
    assert_false(n1_settled(w, &out));
    assert_string_equal(state_of(&out, w, "other"), "starting");
    w->nodes[1].deaf = false;
    w->nodes[0].gv.answer_ms = 1;
    usleep(5000);
    gview_check_answers(&w->nodes[0].gv, time_mono_ms());
    settle(w);
    assert_int_equal(runs_on(w, coord_group(w, "other")), 1);
    static const char *const waiting[] = {"db", "app", "web"};
    for (size_t i = 0; i < ARRAY_SIZE(waiting); i++)
        assert_int_equal(runs_on(w, coord_group(w, waiting[i])), -1);
    assert_true(n1_settled(w, &out));
    assert_string_equal(state_of(&out, w, "db"), "failed");
    assert_string_equal(state_of(&out, w, "app"), "blocked");
    assert_string_equal(state_of(&out, w, "web"), "blocked");
    assert_string_equal(out.groups[coord_group(w, "app")].why, "waiting for group db (required)");
    pol_output_clear(&out);
}

/* A dependant that waits for a group that will run soon is not settled. */
static void test_drain_waits_for_a_dependant_whose_group_starts(void **state)
{
    struct world *w = *state;
    struct pol_output out = {0};
    gview_plan(&w->nodes[0].gv, &out);
    /* As the plan is while db starts: app and web blocked waiting for it. */
    size_t db = coord_group(w, "db"), app = coord_group(w, "app"), web = coord_group(w, "web");
    out.groups[db].state = POL_ST_STARTING;
    out.groups[app].state = POL_ST_BLOCKED;
    out.groups[web].state = POL_ST_BLOCKED;
    bool ran[COORD_MAX_GROUPS] = {false};
    ran[web] = true;
    assert_false(drain_settled(w->cfg, &out, ran));
    out.groups[db].state = POL_ST_STOPPED; /* stopped by an admin: it waits as long as db does */
    assert_true(drain_settled(w->cfg, &out, ran));
    out.groups[db].state = POL_ST_RUNNING; /* db runs: app is blocked for another reason */
    assert_false(drain_settled(w->cfg, &out, ran));
    pol_output_clear(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_drain_does_not_wait_for_dependants_of_a_group_that_cannot_run, setup,
            coord_teardown),
        cmocka_unit_test_setup_teardown(test_drain_waits_for_a_dependant_whose_group_starts, setup,
                                        coord_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
