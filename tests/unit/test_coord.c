/*
 * The coordinator and the group view (src/daemon/gview*.c) of three nodes over
 * the simulated transport, with a fake local executor per node (the world of
 * coord_world.h): placement, node loss and fencing, partitions, failures and
 * restarts (with their back-off, and the expiry of failures on clocks of the
 * test's own), stale and early actions, malformed messages. Admin intents and
 * the database exchange are in test_coord_intents.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "coord_world.h"

static void test_placement(void **state)
{
    struct world *w = *state;
    assert_int_equal(runs_on(w, 0), 0); /* web: first of its domain, n1 */
    assert_int_equal(runs_on(w, 1), 2); /* db: n3 */
    assert_int_equal(w->nodes[0].starts[0], 1);
    assert_obs_everywhere(w, 0, 0, POL_OBS_RUNNING);
    assert_obs_everywhere(w, 1, 2, POL_OBS_RUNNING);
    assert_int_equal(w->fences, 0);
}

static void test_node_loss_waits_for_fencing(void **state)
{
    struct world *w = *state;
    w->auto_fence = false;
    sim_crash(w->net, 1);
    w->nodes[0].alive = false;
    w->nodes[0].run[0] = true; /* it may still run: nobody knows */
    settle(w);
    /* Not fenced: web must not start anywhere else; db is not disturbed. */
    w->nodes[0].run[0] = false;
    assert_int_equal(runs_on(w, 0), -1);
    assert_int_equal(runs_on(w, 1), 2);
    assert_int_equal(w->nodes[2].starts[1], 1);
    struct pol_output out = {0};
    gview_plan(&w->nodes[1].gv, &out);
    assert_int_equal(out.groups[0].state, POL_ST_BLOCKED);
    assert_non_null(strstr(out.groups[0].why, "waiting for n1 to be fenced"));
    pol_output_clear(&out);
    /* Fenced: web recovers on the next node of its domain. */
    w->auto_fence = true;
    settle(w);
    assert_int_equal(runs_on(w, 0), 1);
    assert_int_equal(runs_on(w, 1), 2);
    assert_int_equal(w->fences, 1);
}

static void test_partition_minority_stops(void **state)
{
    struct world *w = *state;
    sim_partition(w->net, 1, 1);
    settle(w);
    /* n1 lost quorum and stopped web; the majority fenced it and runs web on n2. */
    assert_int_equal(runs_on(w, 0), 1);
    assert_int_equal(runs_on(w, 1), 2);
    assert_true(w->fences >= 1);
}

/* Resource www of web fails on node `at`: its executor stops it and reports it (kind). */
static void fail_web(struct world *w, int at, enum db_fail_kind kind)
{
    struct node *n = &w->nodes[at];
    n->run[0] = false;
    n->obs[0] = POL_OBS_FAILED;
    json_t *f = gview_failure_body(&n->gv, 0, 0, kind, "exited with status 1");
    h_send(n, PEER_G_FAILURE, f);
    json_decref(f);
    report(n, 0);
    settle(w);
}

/* The clocks move on by ms; each member whose retry timer would fire plans again. */
static void advance(struct world *w, uint64_t ms)
{
    uint64_t wake[N];
    for (int i = 0; i < N; i++)
        wake[i] = w->nodes[i].alive ? gview_next_wake(&w->nodes[i].gv) : 0;
    fake_mono += ms;
    fake_wall += ms;
    for (int i = 0; i < N; i++)
        if (wake[i] && wake[i] <= fake_mono)
            w->nodes[i].want_plan = true;
    settle(w);
}

/* Group g's entry in node i's status (borrowed from *ret_all, which the caller frees). */
static json_t *status_of(struct world *w, int i, size_t g, json_t **ret_all)
{
    *ret_all = gview_status_json(&w->nodes[i].gv);
    return json_array_get(*ret_all, g);
}

static int64_t next_try_in(struct world *w, int i, size_t g, const char **ret_node)
{
    json_t *all;
    json_t *jg = status_of(w, i, g, &all);
    json_t *in = json_object_get(jg, "next_try_in_ms");
    int64_t r = in ? (int64_t)json_integer_value(in) : -1;
    static char node[16];
    snprintf(node, sizeof(node), "%s",
             in ? json_string_value(json_object_get(jg, "next_try_node")) : "");
    *ret_node = node;
    json_decref(all);
    return r;
}

static void test_failure_restart_then_failover(void **state)
{
    struct world *w = *state;
    struct node *n1 = &w->nodes[0];
    /* The first failure: restarted in place at once. */
    fail_web(w, 0, DB_FAIL_RESTART);
    assert_int_equal(runs_on(w, 0), 0);
    assert_int_equal(n1->starts[0], 2);
    /* The second within the window: restarts.backoff (the default 1s) first. */
    fail_web(w, 0, DB_FAIL_RESTART);
    assert_int_equal(runs_on(w, 0), -1);
    assert_int_equal(n1->starts[0], 2);
    for (int i = 0; i < N; i++) {
        json_t *all;
        json_t *jg = status_of(w, i, 0, &all);
        assert_string_equal(json_string_value(json_object_get(jg, "state")), "recovering");
        assert_string_equal(json_string_value(json_object_get(jg, "why")),
                            "restarting on n1 in back-off");
        json_decref(all);
        const char *at;
        assert_int_equal(next_try_in(w, i, 0, &at), 1000);
        assert_string_equal(at, "n1");
        assert_int_equal(gview_next_wake(&w->nodes[i].gv), fake_mono + 1000);
    }
    advance(w, 600);
    assert_int_equal(runs_on(w, 0), -1);
    const char *at;
    assert_int_equal(next_try_in(w, 1, 0, &at), 400);
    advance(w, 400);
    assert_int_equal(runs_on(w, 0), 0); /* restarted in place, once the back-off is over */
    assert_int_equal(n1->starts[0], 3);
    assert_int_equal(gview_next_wake(&n1->gv), 0); /* running, nothing banned: no wait */
    /* The third failure within the window uses up max: 2: web moves to n2 at once. */
    fail_web(w, 0, DB_FAIL_RESTART);
    assert_int_equal(runs_on(w, 0), 1);
    for (int i = 0; i < N; i++) {
        assert_true(w->nodes[i].gv.db->groups[0].banned[0]);
        assert_int_equal(w->nodes[i].gv.db->groups[0].res_failures[0], 3);
    }
    assert_int_equal(w->fences, 0);
}

/* How many events of type t node i's log holds. */
static size_t count_events(struct world *w, int i, enum event_type t, const char *message)
{
    json_t *all = eventlog_since_json(w->nodes[i].events, 0);
    size_t k = 0, j;
    json_t *e;
    json_array_foreach(all, j, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "type")), event_type_name(t)) != 0)
            continue;
        if (message)
            assert_string_equal(json_string_value(json_object_get(e, "message")), message);
        k++;
    }
    json_decref(all);
    return k;
}

#define WITHIN (10 * 60000) /* web's restarts.within */

/*
 * web fails on every node of its domain (on_fail: failover), a minute apart:
 * failed everywhere. restarts.within after its failure there, n1's ban
 * expires: the coordinator says so, every member lifts it alike (an event
 * each), and web runs on n1 again without a cleanup.
 */
static void test_failures_expire_and_the_group_tries_again(void **state)
{
    struct world *w = *state;
    for (int at = 0; at < N; at++) {
        assert_int_equal(runs_on(w, 0), at);
        fail_web(w, at, DB_FAIL_FAILOVER);
        if (at < N - 1)
            advance(w, 60000);
    }
    assert_int_equal(runs_on(w, 0), -1);
    /* n1's ban ends first: two minutes from now; every member says so. */
    for (int i = 0; i < N; i++) {
        json_t *all;
        json_t *jg = status_of(w, i, 0, &all);
        assert_string_equal(json_string_value(json_object_get(jg, "state")), "failed");
        json_decref(all);
        const char *at;
        assert_int_equal(next_try_in(w, i, 0, &at), WITHIN - 2 * 60000);
        assert_string_equal(at, "n1");
    }
    /* A member that is not the coordinator cannot lift it. */
    json_t *b = json_pack("{s:s, s:s, s:I}", "group", "web", "node", "n1", "banned_at",
                          (json_int_t)w->nodes[1].gv.db->groups[0].banned_ms[0]);
    char *err = NULL;
    assert_int_equal(gview_deliver(&w->nodes[2].gv, 2, PEER_G_EXPIRE, b, &err), 0);
    json_decref(b);
    assert_true(w->nodes[2].gv.db->groups[0].banned[0]);
    advance(w, WITHIN - 2 * 60000 - 1);
    assert_int_equal(runs_on(w, 0), -1);
    uint64_t v = w->nodes[0].gv.db->version;
    advance(w, 1);
    assert_int_equal(runs_on(w, 0), 0);
    for (int i = 0; i < N; i++) {
        const struct db_group *D = &w->nodes[i].gv.db->groups[0];
        assert_false(D->banned[0]);
        assert_true(D->banned[1]);
        assert_true(D->banned[2]);
        assert_int_equal(D->res_failures[0], 3); /* kept until cleanup */
        assert_int_equal(w->nodes[i].gv.db->version, v + 1);
        assert_int_equal(count_events(w, i, EV_GROUP_FAILURES_EXPIRED,
                                      "group web: failures on n1 expired; it may run there again"),
                         1);
    }
    /* n2's ban expires a minute later; web stays on n1 (controlled failback), n2 may run it. */
    advance(w, 60000);
    assert_int_equal(runs_on(w, 0), 0);
    for (int i = 0; i < N; i++) {
        assert_false(w->nodes[i].gv.db->groups[0].banned[1]);
        assert_int_equal(count_events(w, i, EV_GROUP_FAILURES_EXPIRED, NULL), 2);
    }
    /* A failure on n1 now counts as the first again: restarted in place at once. */
    unsigned starts = w->nodes[0].starts[0];
    fail_web(w, 0, DB_FAIL_RESTART);
    assert_int_equal(runs_on(w, 0), 0);
    assert_int_equal(w->nodes[0].starts[0], starts + 1);
}

/* While a member runs a vigild too old to apply an expiry, the coordinator sends none. */
static void test_no_expiry_while_a_member_is_old(void **state)
{
    struct world *w = *state;
    fail_web(w, 0, DB_FAIL_FAILOVER);
    assert_int_equal(runs_on(w, 0), 1);
    for (int i = 0; i < N; i++)
        assert_int_equal(w->nodes[i].cl.nodes[2].protocol, PEER_PROTO_VERSION);
    w->nodes[0].cl.nodes[2].protocol = PEER_PROTO_EXPIRE - 1; /* as its hello would say */
    advance(w, WITHIN + 1000);
    advance(w, 1000);
    for (int i = 0; i < N; i++)
        assert_true(w->nodes[i].gv.db->groups[0].banned[0]);
    /* Upgraded (its hello again): expired. */
    w->nodes[0].cl.nodes[2].protocol = PEER_PROTO_VERSION;
    w->nodes[0].want_plan = true;
    settle(w);
    for (int i = 0; i < N; i++)
        assert_false(w->nodes[i].gv.db->groups[0].banned[0]);
}

/*
 * A coordinator that learns of a ban from the others' database, with a wall
 * clock an hour behind theirs, waits at most restarts.within from then: its
 * clock neither makes the ban older nor holds it an hour longer.
 */
static void test_ban_learned_with_a_skewed_clock(void **state)
{
    struct world *w = *state;
    fail_web(w, 0, DB_FAIL_FAILOVER);
    assert_int_equal(runs_on(w, 0), 1);
    advance(w, 60000);
    /* n1 (the coordinator) restarts, its clock an hour behind; it adopts the database. */
    node_down(&w->nodes[0]);
    settle(w);
    wall_skew = -3600000;
    node_up(w, 0);
    settle(w);
    wall_skew = 0;
    assert_true(w->nodes[0].gv.db->groups[0].banned[0]);
    assert_int_equal(w->nodes[0].cl.coordinator, 1);
    const char *at;
    assert_int_equal(next_try_in(w, 0, 0, &at), -1); /* web runs on n2: nothing to wait for */
    /* At the ban's own expiry by the others' clocks, n1 still counts from when it learned it. */
    advance(w, WITHIN - 60000);
    assert_true(w->nodes[1].gv.db->groups[0].banned[0]);
    advance(w, 60000 - 1);
    assert_true(w->nodes[1].gv.db->groups[0].banned[0]);
    advance(w, 1);
    for (int i = 0; i < N; i++)
        assert_false(w->nodes[i].gv.db->groups[0].banned[0]);
}

static void test_stop_failure_fences(void **state)
{
    struct world *w = *state;
    w->nodes[0].stop_fails[0] = true;
    /* An admin moves web to n3: the stop on n1 fails, n1 is fenced, web starts on n3. */
    struct db_intent in = {.op = DB_INTENT_MOVE, .group = 0, .node = 2, .resource = -1};
    assert_true(gview_send_intent(&w->nodes[1].gv, &in, &(char *){NULL}) > 0);
    settle(w);
    assert_int_equal(w->fences, 1);
    assert_false(w->nodes[0].alive);
    assert_int_equal(runs_on(w, 0), 2);
}

static void test_stale_report_ignored(void **state)
{
    struct world *w = *state;
    /* A report from n2 that has not seen the latest action for web is stale. */
    struct node *n2 = &w->nodes[1];
    struct gnode *x = gview_at(&w->nodes[0].gv, 0, 1);
    x->last = (struct act_id){7, 7};
    x->have_last = true;
    uint8_t rs[1] = {RES_ST_RUNNING};
    json_t *b = gview_report_body(&n2->gv, 0, POL_OBS_RUNNING, rs, false, false);
    char *err = NULL;
    assert_int_equal(gview_deliver(&w->nodes[0].gv, 2, PEER_G_REPORT, b, &err), 0);
    json_decref(b);
    assert_int_equal(x->obs, POL_OBS_STOPPED);
}

/*
 * Corosync reports quorum on a channel of its own: a node that just joined may
 * get the coordinator's actions before it learns that its partition is
 * quorate. An action from the lowest member of its ring waits for quorum
 * instead of being lost (the coordinator would wait for it forever).
 */
static void deliver_start(struct world *w, int to, uint32_t from, size_t g, size_t node)
{
    struct pol_action a = {.type = POL_START, .group = g, .node = node};
    json_t *b = gview_action_body(&w->nodes[from - 1].gv, &a);
    char *err = NULL;
    assert_int_equal(gview_deliver(&w->nodes[to].gv, from, PEER_G_ACTION, b, &err), 0);
    assert_null(err);
    json_decref(b);
}

static void test_action_before_quorum_is_held_until_quorum(void **state)
{
    struct world *w = *state;
    struct node *n3 = &w->nodes[2];
    int web_at = runs_on(w, 0);
    assert_true(web_at >= 0 && web_at != 2);
    /* n3 has not heard of quorum yet; n1 (the lowest member) starts web there. */
    struct engine_quorum q = n3->cl.votes;
    q.quorate = false;
    cluster_apply_quorum(&n3->cl, &q);
    deliver_start(w, 2, 1, 0, 2);
    assert_int_equal(n3->starts[0], 0);
    assert_int_equal(json_array_size(n3->gv.held), 1);
    /* Not from the lowest member: ignored, never held. */
    deliver_start(w, 2, 2, 0, 2);
    assert_int_equal(json_array_size(n3->gv.held), 1);
    q.quorate = true;
    cluster_apply_quorum(&n3->cl, &q);
    gview_quorum(&n3->gv);
    assert_int_equal(n3->starts[0], 1);
    assert_true(n3->run[0]);
    assert_int_equal(json_array_size(n3->gv.held), 0);
}

static void test_held_action_dropped_at_membership_change(void **state)
{
    struct world *w = *state;
    struct node *n3 = &w->nodes[2];
    struct engine_quorum q = n3->cl.votes;
    q.quorate = false;
    cluster_apply_quorum(&n3->cl, &q);
    deliver_start(w, 2, 1, 0, 2);
    assert_int_equal(json_array_size(n3->gv.held), 1);
    static const uint32_t members[] = {1, 2, 3};
    struct engine_view v = {.members = members, .n_members = 3};
    gview_membership(&n3->gv, &v);
    assert_int_equal(json_array_size(n3->gv.held), 0);
    q.quorate = true;
    cluster_apply_quorum(&n3->cl, &q);
    gview_quorum(&n3->gv);
    assert_int_equal(n3->starts[0], 0);
}

/* A node that did not answer a start is asked again, and the group runs. */
static void test_unanswered_action_is_sent_again(void **state)
{
    struct world *w = *state;
    struct node *n1 = &w->nodes[0], *n2 = &w->nodes[1];
    assert_int_equal(runs_on(w, 0), 0);
    n2->deaf = true;
    struct db_intent in = {.op = DB_INTENT_MOVE, .group = 0, .node = 1, .resource = -1};
    char *err = NULL;
    assert_true(gview_send_intent(&n1->gv, &in, &err) > 0);
    settle(w);
    /* Stopped on n1; n2 never acted on its start: nothing runs, and nothing more is sent. */
    assert_int_equal(runs_on(w, 0), -1);
    assert_int_equal(n2->starts[0], 0);
    assert_int_equal(gview_at(&n1->gv, 0, 1)->obs, POL_OBS_STARTING);
    gview_check_answers(&n1->gv, time_mono_ms());
    settle(w);
    assert_int_equal(runs_on(w, 0), -1);
    /* Past the time to answer, the coordinator sends the start again. */
    n2->deaf = false;
    n1->gv.answer_ms = 1;
    usleep(5000);
    gview_check_answers(&n1->gv, time_mono_ms());
    assert_true(n1->want_plan);
    settle(w);
    assert_int_equal(runs_on(w, 0), 1);
    assert_int_equal(n2->starts[0], 1);
    assert_obs_everywhere(w, 0, 1, POL_OBS_RUNNING);
}

static void test_malformed_messages_change_nothing(void **state)
{
    struct world *w = *state;
    struct gview *gv = &w->nodes[0].gv;
    uint64_t v = gv->db->version;
    static const char *const bad[] = {
        "{\"node\":\"n2\",\"group\":\"web\",\"state\":\"flying\",\"resources\":[\"running\"]}",
        "{\"node\":\"n2\",\"group\":\"nope\",\"state\":\"running\",\"resources\":[\"running\"]}",
        "{\"node\":\"n3\",\"group\":\"web\",\"state\":\"running\",\"resources\":[\"running\"]}",
        "{\"node\":\"n2\",\"group\":\"web\",\"state\":\"running\",\"resources\":[]}",
        ("{\"node\":\"n2\",\"group\":\"web\",\"resource\":\"www\",\"kind\":\"explode\","
         "\"reason\":\"x\",\"ts\":1}"),
        "{\"origin\":3,\"id\":1,\"op\":\"stop\",\"group\":\"web\"}",
        "{\"db\":{\"version\":\"x\"}}",
    };
    static const enum peer_group_kind kinds[] = {PEER_G_REPORT, PEER_G_REPORT,  PEER_G_REPORT,
                                                 PEER_G_REPORT, PEER_G_FAILURE, PEER_G_INTENT,
                                                 PEER_G_DB};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        assert_non_null(j);
        char *err = NULL;
        assert_int_equal(gview_deliver(gv, 2, kinds[i], j, &err), -EINVAL);
        assert_non_null(err);
        free(err);
        json_decref(j);
    }
    assert_int_equal(gv->db->version, v);
    assert_int_equal(gview_at(gv, 0, 1)->obs, POL_OBS_STOPPED);
    assert_int_equal(runs_on(w, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_placement, coord_setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_node_loss_waits_for_fencing, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_partition_minority_stops, coord_setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_failure_restart_then_failover, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_failures_expire_and_the_group_tries_again, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_no_expiry_while_a_member_is_old, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_ban_learned_with_a_skewed_clock, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_stop_failure_fences, coord_setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_stale_report_ignored, coord_setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_action_before_quorum_is_held_until_quorum, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_held_action_dropped_at_membership_change, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_action_is_sent_again, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_messages_change_nothing, coord_setup,
                                        coord_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
