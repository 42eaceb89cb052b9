/*
 * Notifications of a promotable group with notify: true in the
 * coordinator's world (coord_world.h): the copies start (post-start to
 * every copy), then a promotion score makes the coordinator send
 * pre-promote to every running copy, the promote only once all of them
 * answered, and post-promote after the promote is observed; a copy that
 * does not answer holds the promote until the notify timeout; the lists
 * each agent is given.
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
                    "  - name: pg\n"
                    "    domain: [n1, n2, n3]\n"
                    "    promotable: {notify: true}\n"
                    "    resources:\n"
                    "      - {name: pgsql, type: 'ocf:heartbeat:pgsqlms', notify_timeout: 30s}\n"
                    "      - {name: vip, type: ip, address: 192.0.2.100/24, network: priv}\n"
                    "  - name: plain\n"
                    "    domain: [n1, n2, n3]\n"
                    "    promotable: {notify: true}\n"
                    "    resources:\n"
                    "      - {name: s, type: script, path: /bin/s}\n";

enum { PG, PLAIN };

static int setup(void **state)
{
    return coord_setup_yaml(state, YAML);
}

/* Sets node n's attribute name (from node 0) without settling. */
static void set_attr(struct world *w, size_t n, const char *name, const char *value)
{
    struct gview_attr_req r = {.node = n, .name = name, .value = value, .life = DB_ATTR_REBOOT};
    char *err = NULL;
    if (!gview_attr_send(&w->nodes[0].gv, &r, &err))
        fail_msg("not sent: %s", err);
}

/* Where "nI:what" is in the trace (asserted to be there once). */
static const char *at(struct world *w, const char *what)
{
    const char *p = strstr(w->trace, what);
    if (!p)
        fail_msg("'%s' not in the trace: %s", what, w->trace);
    if (strstr(p + 1, what))
        fail_msg("'%s' twice in the trace: %s", what, w->trace);
    return p;
}

/* The copies start with no copy running: no pre-start; every copy gets post-start after. */
static void test_start_notified_after(void **state)
{
    struct world *w = *state;
    assert_int_equal(copies_running(w, PG), 3);
    assert_null(strstr(w->trace, "pre-start"));
    for (int i = 0; i < N; i++) {
        char s[32], p[32];
        snprintf(s, sizeof(s), "n%d:start", i + 1);
        assert_true(at(w, s) < at(w, "n1:post-start"));
        assert_true(at(w, s) < at(w, "n3:post-start"));
        snprintf(p, sizeof(p), "n%d:post-start", i + 1);
        at(w, p);
        assert_string_equal(w->nodes[i].notified[PG],
                            "post-start active=n1,n2,n3 start=n1,n2,n3 unpromoted=n1,n2,n3");
        /* A group whose notify is ignored (no ocf resource) is never notified. */
        assert_int_equal(w->nodes[i].starts[PLAIN], 1);
        assert_false(gview_at(&w->nodes[i].gv, PG, (size_t)i)->notify_wait);
    }
    assert_int_equal(w->nodes[0].notifies[PLAIN], 0);
}

/* pre-promote on every copy, answered, then the promote, then post-promote on every copy. */
static void test_promote_between_notifications(void **state)
{
    struct world *w = *state;
    w->trace[0] = '\0';
    set_attr(w, 1, "master-pgsql", "10");
    settle(w);
    assert_int_equal(primary_of(w, PG), 1);
    const char *promote = at(w, "n2:promote");
    for (int i = 0; i < N; i++) {
        char pre[32], post[32];
        snprintf(pre, sizeof(pre), "n%d:pre-promote", i + 1);
        snprintf(post, sizeof(post), "n%d:post-promote", i + 1);
        assert_true(at(w, pre) < promote);
        assert_true(at(w, post) > promote);
        assert_string_equal(w->nodes[i].notified[PG],
                            "post-promote active=n1,n2,n3 promote=n2 promoted=n2 unpromoted=n1,n3");
        assert_int_equal(w->nodes[i].promotes[PG], i == 1);
    }
    assert_int_equal(gview_at(&w->nodes[0].gv, PG, 1)->obs, POL_OBS_PRIMARY);
}

/* The lists of the pre-promote: nothing promoted yet. */
static void test_pre_promote_lists(void **state)
{
    struct world *w = *state;
    for (int i = 0; i < N; i++)
        w->nodes[i].notify_deaf = true; /* the run stops after the pre-promote */
    set_attr(w, 2, "master-pgsql", "3");
    settle(w);
    assert_int_equal(primaries_now(w, PG), 0);
    for (int i = 0; i < N; i++)
        assert_string_equal(w->nodes[i].notified[PG],
                            "pre-promote active=n1,n2,n3 promote=n3 unpromoted=n1,n2,n3");
}

/* A copy that does not answer holds the promote back until the notify timeout (30 s + 10 s). */
static void test_unanswered_notification_times_out(void **state)
{
    struct world *w = *state;
    w->nodes[2].notify_deaf = true;
    w->trace[0] = '\0';
    set_attr(w, 0, "master-pgsql", "5");
    settle(w);
    assert_int_equal(primaries_now(w, PG), 0);
    at(w, "n3:pre-promote");
    assert_true(gview_at(&w->nodes[0].gv, PG, 2)->notify_wait);
    assert_false(gview_at(&w->nodes[1].gv, PG, 1)->notify_wait);
    /* Not yet at 39 s. */
    fake_mono += 39000;
    for (int i = 0; i < N; i++)
        gview_check_answers(&w->nodes[i].gv, 0);
    settle(w);
    assert_int_equal(primaries_now(w, PG), 0);
    fake_mono += 1000;
    for (int i = 0; i < N; i++)
        gview_check_answers(&w->nodes[i].gv, 0);
    settle(w);
    assert_int_equal(primary_of(w, PG), 0);
    assert_true(at(w, "n3:pre-promote") < at(w, "n1:promote"));
    assert_true(at(w, "n1:promote") < at(w, "n1:post-promote"));
}

/* A notified copy whose node leaves is not waited for. */
static void test_node_leaving_not_waited_for(void **state)
{
    struct world *w = *state;
    w->auto_fence = true;
    w->nodes[2].notify_deaf = true;
    set_attr(w, 0, "master-pgsql", "5");
    settle(w);
    assert_int_equal(primaries_now(w, PG), 0);
    node_down(&w->nodes[2]);
    settle(w);
    assert_int_equal(primary_of(w, PG), 0);
}

/* The trace entry of step on node i: "nI:step" for a notification; an action names its node. */
static void step_at(char *buf, size_t sz, const char *step, int i)
{
    if (step[0] == 'n')
        snprintf(buf, sz, "%s", step);
    else
        snprintf(buf, sz, "n%d:%s", i + 1, step);
}

/* A switchover: pre-demote, demote, post-demote, then pre-promote, promote, post-promote. */
static void test_switchover_order(void **state)
{
    struct world *w = *state;
    set_attr(w, 0, "master-pgsql", "10");
    set_attr(w, 2, "master-pgsql", "5");
    settle(w);
    assert_int_equal(primary_of(w, PG), 0);
    w->trace[0] = '\0';
    struct db_intent in = {.op = DB_INTENT_MOVE, .group = PG, .node = 2, .resource = -1};
    char *err = NULL;
    assert_true(gview_send_intent(&w->nodes[1].gv, &in, &err) > 0);
    settle(w);
    assert_int_equal(primary_of(w, PG), 2);
    /* Each step ("nI:" + a notification on every copy, or an action on its node) comes
     * entirely after the one before it. */
    const char *steps[] = {"pre-demote",  "n1:demote",  "post-demote",
                           "pre-promote", "n3:promote", "post-promote"};
    size_t ns = sizeof(steps) / sizeof(steps[0]);
    for (size_t k = 0; k + 1 < ns; k++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                char a[48], b[48];
                step_at(a, sizeof(a), steps[k], i);
                step_at(b, sizeof(b), steps[k + 1], j);
                if (at(w, a) > at(w, b))
                    fail_msg("%s after %s: %s", a, b, w->trace);
            }
    assert_string_equal(w->nodes[1].notified[PG],
                        "post-promote active=n1,n2,n3 promote=n3 promoted=n3 unpromoted=n1,n2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_notified_after, setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_promote_between_notifications, setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_pre_promote_lists, setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_notification_times_out, setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_node_leaving_not_waited_for, setup, coord_teardown),
        cmocka_unit_test_setup_teardown(test_switchover_order, setup, coord_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
