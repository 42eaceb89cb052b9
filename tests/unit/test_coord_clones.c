/*
 * Clone and promotable groups in the coordinator's world (coord_world.h:
 * three nodes over the simulated transport, a fake executor each): copies
 * started on several nodes at once, reports carrying the promoted bit,
 * promote and demote actions delivered and carried out, promotion scores
 * from the master-RESOURCE node attributes choosing the primary, a lost
 * primary replaced only after its node is fenced, a clone of two copies
 * moving off a lost node after fencing, a switchover by an admin's move,
 * the events, and gview_score.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "coord_world.h"

static const char *const YAML =
    COORD_YAML_HEAD "groups:\n"
                    "  - name: www\n"
                    "    domain: [n1, n2, n3]\n"
                    "    clone: {}\n"
                    "    resources:\n"
                    "      - {name: httpd, type: process, command: [/bin/sleep, '1000']}\n"
                    "  - name: two\n"
                    "    domain: [n1, n2, n3]\n"
                    "    clone: {copies: 2}\n"
                    "    resources:\n"
                    "      - {name: job, type: process, command: [/bin/sleep, '1000']}\n"
                    "  - name: pg\n"
                    "    domain: [n1, n2, n3]\n"
                    "    promotable: {}\n"
                    "    resources:\n"
                    "      - {name: pgsql, type: script, path: /bin/s}\n"
                    "      - {name: meta, type: script, path: /bin/s}\n"
                    "      - {name: vip, type: ip, address: 192.0.2.100/24, "
                    "network: priv}\n";

enum { WWW, TWO, PG };

static int setup(void **state)
{
    return coord_setup_yaml(state, YAML);
}

/* Sets node n's attribute name (from node i, which must be alive) and settles. */
static void set_attr(struct world *w, int i, size_t n, const char *name, const char *value)
{
    struct gview_attr_req r = {.node = n, .name = name, .value = value, .life = DB_ATTR_REBOOT};
    char *err = NULL;
    if (!gview_attr_send(&w->nodes[i].gv, &r, &err))
        fail_msg("not sent: %s", err);
    settle(w);
}

/* Both promotable resources of pg scored on node n: its score is their sum. */
static void score(struct world *w, int from, size_t n, const char *pgsql, const char *meta)
{
    set_attr(w, from, n, "master-pgsql", pgsql);
    set_attr(w, from, n, "master-meta", meta);
}

static struct pol_group_out plan_of(struct world *w, int i, size_t g)
{
    struct pol_output out = {0};
    gview_plan(&w->nodes[i].gv, &out);
    struct pol_group_out o = out.groups[g];
    pol_output_clear(&out);
    return o;
}

/* Every copy starts at once; without scores pg has replicas only, and says why. */
static void test_copies_start_everywhere(void **state)
{
    struct world *w = *state;
    assert_int_equal(copies_running(w, WWW), 3);
    assert_int_equal(copies_running(w, TWO), 2);
    assert_true(w->nodes[0].run[TWO] && w->nodes[1].run[TWO]); /* domain order */
    assert_int_equal(copies_running(w, PG), 3);
    assert_int_equal(primaries_now(w, PG), 0);
    for (int i = 0; i < N; i++) {
        assert_obs_everywhere(w, WWW, i, POL_OBS_RUNNING);
        assert_obs_everywhere(w, PG, i, POL_OBS_RUNNING);
        assert_int_equal(w->nodes[i].starts[WWW], 1);
        /* Each copy's start is an event with its node; no multi-active alarm. */
        assert_int_equal(events_of(&w->nodes[0], EV_GROUP_STARTED, "www", NULL), 3);
        assert_int_equal(events_of(&w->nodes[i], EV_GROUP_MULTI_ACTIVE, NULL, NULL), 0);
    }
    assert_int_equal(events_of(&w->nodes[2], EV_GROUP_STARTED, "www", "n3"), 1);
    struct pol_group_out o = plan_of(w, 0, PG);
    assert_int_equal(o.state, POL_ST_BLOCKED);
    assert_non_null(strstr(o.why, "no promotion score on n1, n2, n3"));
    o = plan_of(w, 0, WWW);
    assert_int_equal(o.state, POL_ST_RUNNING);
}

/* Scores from attributes choose the primary; the report's promoted bit reaches every member. */
static void test_scores_choose_the_primary(void **state)
{
    struct world *w = *state;
    score(w, 0, 0, "5", "0");
    /* n1 alone has a score: it is promoted at once. */
    assert_int_equal(primary_of(w, PG), 0);
    score(w, 1, 1, "10", "5");
    score(w, 2, 2, "INFINITY", "0");
    /* A running primary stays when scores change. */
    assert_int_equal(primary_of(w, PG), 0);
    assert_int_equal(w->nodes[0].promotes[PG], 1);
    for (int i = 0; i < N; i++) {
        assert_true(gview_at(&w->nodes[i].gv, PG, 0)->promoted);
        assert_false(gview_at(&w->nodes[i].gv, PG, 1)->promoted);
        assert_int_equal(gview_at(&w->nodes[i].gv, PG, 0)->obs, POL_OBS_PRIMARY);
        assert_int_equal(w->nodes[i].gv.last_owner[PG], 0);
        assert_int_equal(events_of(&w->nodes[i], EV_GROUP_PROMOTED, "pg", "n1"), 1);
        assert_int_equal(gview_score(&w->nodes[i].gv, PG, 1), 15);
        assert_int_equal(gview_score(&w->nodes[i].gv, PG, 2), 1000000);
    }
    assert_int_equal(plan_of(w, 1, PG).state, POL_ST_RUNNING);
    assert_int_equal(plan_of(w, 1, PG).node, 0);
}

/* Without a primary yet, the highest score wins. */
static void test_highest_score_promoted(void **state)
{
    struct world *w = *state;
    /* Set n1's and n2's scores while n3 has none: nothing runs as primary... */
    struct gview_attr_req r = {
        .node = 0, .name = "master-pgsql", .value = "1", .life = DB_ATTR_REBOOT};
    char *err = NULL;
    const char *names[2] = {"master-pgsql", "master-meta"};
    const char *vals[N] = {"1", "20", "7"};
    /* ...all in one round: the plan sees every score at once. */
    for (size_t n = 0; n < N; n++)
        for (int k = 0; k < 2; k++) {
            r.node = n;
            r.name = names[k];
            r.value = k ? "0" : vals[n];
            assert_true(gview_attr_send(&w->nodes[0].gv, &r, &err) > 0);
        }
    settle(w);
    assert_int_equal(primary_of(w, PG), 1);
    assert_int_equal(primaries_now(w, PG), 1);
}

/*
 * The primary's node is lost: nobody is promoted while it may still be
 * primary (not fenced); the clone of two keeps its copy there too. Once
 * fenced, the best replica is promoted and the clone's copy moves to n3;
 * the clone on every node served on throughout.
 */
static void test_lost_primary_replaced_after_fencing(void **state)
{
    struct world *w = *state;
    score(w, 0, 1, "10", "0");
    assert_int_equal(primary_of(w, PG), 1);
    score(w, 0, 0, "5", "0");
    score(w, 0, 2, "1", "0");
    w->auto_fence = false;
    sim_crash(w->net, 2); /* n2: the primary, and a copy of two */
    w->nodes[1].alive = false;
    settle(w);
    /* check_one_copy counted n2 as primary all along: nobody else was promoted. */
    assert_int_equal(primary_of(w, PG), 1);
    assert_int_equal(w->nodes[0].promotes[PG] + w->nodes[2].promotes[PG], 0);
    assert_false(w->nodes[2].run[TWO]);
    assert_true(w->nodes[0].run[WWW] && w->nodes[2].run[WWW]);
    struct pol_group_out o = plan_of(w, 0, PG);
    assert_int_equal(o.state, POL_ST_BLOCKED);
    assert_non_null(strstr(o.why, "waiting for n2 to be fenced"));
    for (int i = 0; i < N; i += 2)
        assert_true(gview_at(&w->nodes[i].gv, PG, 1)->promoted); /* its last report */
    /* Fenced: n1 (5 beats 1) is promoted, two's copy moves to n3. */
    w->auto_fence = true;
    settle(w);
    assert_int_equal(w->fences, 1);
    assert_int_equal(primary_of(w, PG), 0);
    assert_true(w->nodes[2].run[TWO]);
    assert_int_equal(copies_running(w, TWO), 2);
    assert_int_equal(copies_running(w, WWW), 2);
    for (int i = 0; i < N; i += 2) {
        assert_false(gview_at(&w->nodes[i].gv, PG, 1)->promoted);
        assert_int_equal(events_of(&w->nodes[i], EV_GROUP_PROMOTED, "pg", "n1"), 1);
        assert_int_equal(events_of(&w->nodes[i], EV_GROUP_MULTI_ACTIVE, NULL, NULL), 0);
        assert_int_equal(events_of(&w->nodes[i], EV_GROUP_RECOVERED, NULL, NULL), 0);
    }
    json_t *all = eventlog_since_json(w->nodes[0].events, 0);
    size_t j;
    json_t *e;
    bool seen = false;
    json_array_foreach(all, j, e)
    {
        const char *m = json_string_value(json_object_get(e, "message"));
        if (strstr(m, "group pg promoted on n1 after the loss of n2"))
            seen = true;
    }
    json_decref(all);
    assert_true(seen);
    /* n2 comes back (a new vigild): its copies start again, as a replica for pg. */
    node_down(&w->nodes[1]);
    node_up(w, 1);
    settle(w);
    assert_true(w->nodes[1].run[WWW]);
    assert_true(w->nodes[1].run[PG]);
    assert_int_equal(primary_of(w, PG), 0);
    assert_int_equal(copies_running(w, TWO), 2);
}

/* An admin's move of pg switches the primary: demote first, then promote there. */
static void test_move_switches_the_primary(void **state)
{
    struct world *w = *state;
    score(w, 0, 0, "10", "0");
    score(w, 0, 1, "5", "0");
    assert_int_equal(primary_of(w, PG), 0);
    struct gview *gv = &w->nodes[2].gv;
    /* n3 has no score yet: refused, with the policy's words. */
    struct db_intent in = {.op = DB_INTENT_MOVE, .group = PG, .node = 2, .resource = -1};
    char *err = NULL;
    assert_int_equal(gview_check_intent(gv, &in, &err, NULL), -EINVAL);
    assert_non_null(strstr(err, "group pg cannot be promoted on n3 now"));
    assert_non_null(strstr(err, "no promotion score"));
    free(err);
    err = NULL;
    /* A clone's copies are not moved. */
    struct db_intent mw = {.op = DB_INTENT_MOVE, .group = WWW, .node = 2, .resource = -1};
    assert_int_equal(gview_check_intent(gv, &mw, &err, NULL), -EINVAL);
    assert_non_null(strstr(err, "group www is a clone"));
    free(err);
    err = NULL;
    mw.node = -1;
    assert_int_equal(gview_check_intent(gv, &mw, &err, NULL), -EINVAL);
    assert_non_null(strstr(err, "group www is a clone"));
    free(err);
    err = NULL;
    /* Without a target: the copy that would be promoted next (n2). */
    struct db_intent any = {.op = DB_INTENT_MOVE, .group = PG, .node = -1, .resource = -1};
    assert_int_equal(gview_check_intent(gv, &any, &err, NULL), 0);
    assert_int_equal(any.node, 1);
    score(w, 0, 2, "1", "0");
    assert_int_equal(gview_check_intent(gv, &in, &err, NULL), 0);
    char said[128];
    gview_describe_intent(gv, &in, said, sizeof said);
    assert_string_equal(said, "group pg's primary moved to n3");
    mw.node = 2; /* only a promotable group's move names its primary */
    gview_describe_intent(gv, &mw, said, sizeof said);
    assert_string_equal(said, "group www moved to n3");
    assert_true(gview_send_intent(gv, &in, &err) > 0);
    settle(w);
    assert_true(w->nodes[2].done_ok);
    assert_int_equal(primary_of(w, PG), 2);
    assert_int_equal(w->nodes[0].demotes[PG], 1);
    assert_int_equal(w->nodes[0].obs[PG], POL_OBS_RUNNING); /* n1 runs on as a replica */
    assert_int_equal(w->nodes[2].promotes[PG], 1);
    for (int i = 0; i < N; i++) {
        assert_int_equal(events_of(&w->nodes[i], EV_GROUP_DEMOTED, "pg", "n1"), 1);
        assert_int_equal(events_of(&w->nodes[i], EV_GROUP_PROMOTED, "pg", "n3"), 1);
        assert_int_equal(w->nodes[i].gv.last_owner[PG], 2);
    }
    /* It stays there although n1 scores higher. */
    score(w, 0, 0, "100", "0");
    assert_int_equal(primary_of(w, PG), 2);
}

/* A copy that does not answer its promote is asked again; the group gets no other action. */
static void test_unanswered_promote_sent_again(void **state)
{
    struct world *w = *state;
    w->nodes[1].deaf = true;
    score(w, 0, 1, "10", "0");
    assert_int_equal(primaries_now(w, PG), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(gview_at(&w->nodes[i].gv, PG, 1)->obs, POL_OBS_PROMOTING);
    score(w, 0, 0, "50", "0"); /* the seat is taken: n1 is not promoted meanwhile */
    assert_int_equal(primaries_now(w, PG), 0);
    w->nodes[1].deaf = false;
    w->nodes[0].gv.answer_ms = 1;
    usleep(5000);
    gview_check_answers(&w->nodes[0].gv, time_mono_ms());
    assert_true(w->nodes[0].want_plan);
    settle(w);
    assert_int_equal(primary_of(w, PG), 1);
    assert_int_equal(w->nodes[1].promotes[PG], 1);
}

/* Reports: promoted must be a boolean; without it (an older peer) the copy is not promoted. */
static void test_promoted_in_reports(void **state)
{
    struct world *w = *state;
    struct node *n2 = &w->nodes[1];
    uint8_t rs[3] = {RES_ST_RUNNING, RES_ST_RUNNING, RES_ST_STOPPED};
    json_t *b = gview_report_body(&n2->gv, PG, POL_OBS_RUNNING, rs, false, false);
    assert_null(json_object_get(b, "promoted"));
    json_object_set_new(b, "promoted", json_string("yes"));
    char *err = NULL;
    assert_int_equal(gview_deliver(&w->nodes[0].gv, 2, PEER_G_REPORT, b, &err), -EINVAL);
    assert_string_equal(err, "'promoted' must be true or false");
    free(err);
    json_decref(b);
    /* A single group's report never makes it promoted; an action promote of a clone is refused. */
    b = gview_report_body(&n2->gv, WWW, POL_OBS_RUNNING, rs, true, false);
    assert_true(json_is_true(json_object_get(b, "promoted")));
    assert_int_equal(gview_deliver(&w->nodes[0].gv, 2, PEER_G_REPORT, b, &err), 0);
    assert_false(gview_at(&w->nodes[0].gv, WWW, 1)->promoted);
    json_decref(b);
    json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "op", "promote", "group", "www", "node",
                          "n2", "ring", (json_int_t)w->nodes[0].cl.ring_seq, "seq", 99);
    assert_int_equal(gview_deliver(&w->nodes[0].gv, 1, PEER_G_ACTION, a, &err), -EINVAL);
    assert_non_null(strstr(err, "a promote of group www, which is not promotable"));
    free(err);
    json_decref(a);
}

/* gview_score: the sum over the promotable resources, INFINITY, missing and bad values. */
/* Sets node n's attribute in this view's database only. */
static void put(struct gview *gv, size_t n, const char *name, const char *value)
{
    char *err = NULL;
    assert_int_equal(db_attr_set(gv->db, n, name, value, DB_ATTR_REBOOT, 1, &err), 1);
}

static void test_gview_score(void **state)
{
    struct world *w = *state;
    struct gview *gv = &w->nodes[0].gv;
    assert_int_equal(gview_score(gv, PG, 0), POL_NO_SCORE); /* none set */
    put(gv, 0, "master-pgsql", "7");
    assert_int_equal(gview_score(gv, PG, 0), POL_NO_SCORE); /* meta's is missing */
    put(gv, 0, "master-meta", "-3");
    assert_int_equal(gview_score(gv, PG, 0), 4);
    put(gv, 0, "master-meta", "INFINITY");
    assert_int_equal(gview_score(gv, PG, 0), 1000000); /* capped */
    put(gv, 0, "master-meta", "-INFINITY");
    assert_int_equal(gview_score(gv, PG, 0), -1000000 + 7);
    put(gv, 0, "master-meta", "lots");
    assert_int_equal(gview_score(gv, PG, 0), POL_NO_SCORE);
    put(gv, 0, "master-meta", "12abc");
    assert_int_equal(gview_score(gv, PG, 0), POL_NO_SCORE);
    /* Not a promotable group: no score; another node's attributes are its own. */
    assert_int_equal(gview_score(gv, WWW, 0), POL_NO_SCORE);
    assert_int_equal(gview_score(gv, PG, 1), POL_NO_SCORE);
    /* master-vip (role primary) does not count. */
    put(gv, 0, "master-meta", "+2");
    put(gv, 0, "master-vip", "-50");
    assert_int_equal(gview_score(gv, PG, 0), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_copies_start_everywhere, setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_scores_choose_the_primary, setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_highest_score_promoted, setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_lost_primary_replaced_after_fencing, setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_move_switches_the_primary, setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_promote_sent_again, setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_promoted_in_reports, setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_gview_score, setup, coord_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
