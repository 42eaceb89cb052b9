/*
 * Node attributes in the coordinator's world (coord_world.h: three nodes
 * over the simulated transport): a change is applied by every member in
 * order and answered on the node that asked once applied there; refused
 * without quorum or over the limits; the transient attributes of a node
 * that leaves are forgotten by every member at the same point, the forever
 * ones stay; malformed attribute messages change nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "coord_world.h"

/* Sends a change from node i and settles; returns its id. */
static uint64_t send_attr(struct world *w, int i, bool del, size_t node, const char *name,
                          const char *value, int life)
{
    struct gview_attr_req r = {
        .del = del, .node = node, .name = name, .value = value, .life = life};
    char *err = NULL;
    uint64_t id = gview_attr_send(&w->nodes[i].gv, &r, &err);
    if (!id)
        fail_msg("not sent: %s", err);
    settle(w);
    return id;
}

/* Every live member's value of node n's attribute name (NULL: none), all alike. */
static const char *value_everywhere(struct world *w, size_t n, const char *name)
{
    const char *v = NULL;
    bool first = true;
    uint64_t version = 0;
    for (int i = 0; i < N; i++) {
        if (!w->nodes[i].alive)
            continue;
        const struct db_attr *a = db_attr_get(w->nodes[i].gv.db, n, name);
        if (first) {
            v = a ? a->value : NULL;
            version = w->nodes[i].gv.db->version;
            first = false;
            continue;
        }
        assert_int_equal(w->nodes[i].gv.db->version, version);
        if ((a == NULL) != (v == NULL) || (a && strcmp(a->value, v) != 0))
            fail_msg("members disagree on attribute %s of node %zu", name, n);
    }
    return v;
}

static void test_set_applied_everywhere_and_answered(void **state)
{
    struct world *w = *state;
    uint64_t id = send_attr(w, 1, false, 0, "master-web", "100", DB_ATTR_REBOOT);
    assert_int_equal(w->nodes[1].attr_id, id);
    assert_true(w->nodes[1].attr_ok);
    assert_int_equal(w->nodes[0].attr_id, 0); /* only the node that asked is answered */
    assert_string_equal(value_everywhere(w, 0, "master-web"), "100");
    /* Applied in order: the later change wins everywhere. */
    struct gview_attr_req r = {.node = 0, .name = "master-web", .value = "5", .life = 0};
    char *err = NULL;
    assert_true(gview_attr_send(&w->nodes[2].gv, &r, &err) > 0);
    r.value = "7";
    assert_true(gview_attr_send(&w->nodes[0].gv, &r, &err) > 0);
    settle(w);
    assert_string_equal(value_everywhere(w, 0, "master-web"), "7");
    id = send_attr(w, 0, true, 0, "master-web", NULL, -1);
    assert_true(w->nodes[0].attr_ok);
    assert_null(value_everywhere(w, 0, "master-web"));
}

static void test_refused_over_limit_and_without_quorum(void **state)
{
    struct world *w = *state;
    char name[16];
    for (int i = 0; i < DB_ATTR_MAX_COUNT; i++) {
        snprintf(name, sizeof(name), "a%d", i);
        send_attr(w, 2, false, 2, name, "1", DB_ATTR_FOREVER);
    }
    uint64_t v = w->nodes[0].gv.db->version;
    uint64_t id = send_attr(w, 2, false, 2, "more", "1", DB_ATTR_FOREVER);
    assert_int_equal(w->nodes[2].attr_id, id);
    assert_false(w->nodes[2].attr_ok);
    assert_string_equal(w->nodes[2].attr_msg,
                        "node n3 has 64 attributes already (the limit): attribute more not set");
    assert_int_equal(w->nodes[0].gv.db->version, v);
    /* Refused before sending: a bad name, and no quorum. */
    struct gview_attr_req r = {.node = 1, .name = "a b", .value = "1", .life = 0};
    char *err = NULL;
    assert_int_equal(gview_attr_send(&w->nodes[0].gv, &r, &err), 0);
    assert_non_null(strstr(err, "node n2: bad attribute name 'a b'"));
    free(err);
    err = NULL;
    node_down(&w->nodes[1]);
    node_down(&w->nodes[2]);
    settle(w);
    r.name = "x";
    assert_int_equal(gview_attr_send(&w->nodes[0].gv, &r, &err), 0);
    assert_string_equal(err, "refused: attribute x of node n2: this node's partition has no "
                             "quorum; attributes change only in a quorate cluster");
    free(err);
}

static void test_transient_forgotten_when_node_leaves(void **state)
{
    struct world *w = *state;
    send_attr(w, 2, false, 2, "master-db", "10", DB_ATTR_REBOOT);
    send_attr(w, 2, false, 2, "site", "paris", DB_ATTR_FOREVER);
    send_attr(w, 0, false, 0, "master-web", "3", DB_ATTR_REBOOT);
    assert_string_equal(value_everywhere(w, 2, "master-db"), "10");
    node_down(&w->nodes[2]); /* n3 is lost (and fenced) */
    settle(w);
    assert_null(value_everywhere(w, 2, "master-db"));
    assert_string_equal(value_everywhere(w, 2, "site"), "paris");
    assert_string_equal(value_everywhere(w, 0, "master-web"), "3"); /* n1 did not leave */
    /* Back: it adopts the cluster's copy; what it sets now stays. */
    node_up(w, 2);
    settle(w);
    send_attr(w, 2, false, 2, "master-db", "20", DB_ATTR_REBOOT);
    assert_string_equal(value_everywhere(w, 2, "master-db"), "20");
    assert_string_equal(value_everywhere(w, 2, "site"), "paris");
}

/* A malformed attribute message from node from (text), refused; the database unchanged. */
static void expect_malformed(struct world *w, uint32_t from, const char *text, const char *want)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    for (int i = 0; i < N; i++) {
        if (!w->nodes[i].alive)
            continue;
        uint64_t v = w->nodes[i].gv.db->version;
        char *err = NULL;
        assert_int_equal(gview_deliver(&w->nodes[i].gv, from, PEER_G_ATTR, j, &err), -EINVAL);
        if (!err || !strstr(err, want))
            fail_msg("%s: error '%s' does not contain '%s'", text, err ? err : "(none)", want);
        free(err);
        assert_int_equal(w->nodes[i].gv.db->version, v);
    }
    json_decref(j);
}

static void test_malformed_messages_change_nothing(void **state)
{
    struct world *w = *state;
    send_attr(w, 0, false, 0, "x", "1", DB_ATTR_REBOOT);
    expect_malformed(w, 1, "{}", "'op' must be a string");
    expect_malformed(w, 1, "{\"op\":\"wipe\"}", "unknown attribute operation 'wipe'");
    expect_malformed(w, 1,
                     "{\"op\":\"set\",\"node\":\"n1\",\"name\":\"x\",\"value\":\"2\","
                     "\"lifetime\":\"reboot\"}",
                     "'origin' must be a non-negative integer");
    expect_malformed(w, 1,
                     "{\"op\":\"set\",\"origin\":2,\"id\":1,\"node\":\"n1\",\"name\":\"x\","
                     "\"value\":\"2\",\"lifetime\":\"reboot\"}",
                     "an attribute change of node id 2 came from node id 1");
    expect_malformed(w, 1,
                     "{\"op\":\"set\",\"origin\":1,\"id\":1,\"node\":\"n9\",\"name\":\"x\","
                     "\"value\":\"2\",\"lifetime\":\"reboot\"}",
                     "unknown node 'n9'");
    expect_malformed(w, 1,
                     "{\"op\":\"set\",\"origin\":1,\"id\":1,\"node\":\"n1\",\"name\":\"x y\","
                     "\"value\":\"2\",\"lifetime\":\"reboot\"}",
                     "node n1: bad attribute name 'x y'");
    expect_malformed(w, 1,
                     "{\"op\":\"set\",\"origin\":1,\"id\":1,\"node\":\"n1\",\"name\":\"x\","
                     "\"value\":\"a\\nb\",\"lifetime\":\"reboot\"}",
                     "holds a control character");
    expect_malformed(w, 1,
                     "{\"op\":\"set\",\"origin\":1,\"id\":1,\"node\":\"n1\",\"name\":\"x\","
                     "\"value\":\"2\"}",
                     "'lifetime' must be a string");
    expect_malformed(w, 1,
                     "{\"op\":\"set\",\"origin\":1,\"id\":1,\"node\":\"n1\",\"name\":\"x\","
                     "\"value\":\"2\",\"lifetime\":\"week\"}",
                     "unknown lifetime 'week'");
    expect_malformed(w, 1,
                     "{\"op\":\"set\",\"origin\":1,\"id\":1,\"node\":\"n1\",\"name\":\"x\","
                     "\"value\":2,\"lifetime\":\"reboot\"}",
                     "'value' must be a string");
    expect_malformed(w, 1,
                     "{\"op\":\"delete\",\"origin\":1,\"id\":1,\"node\":\"n1\","
                     "\"name\":\"x\",\"value\":\"1\"}",
                     "a delete has no 'value'");
    expect_malformed(w, 1, "{\"op\":\"forget\",\"node\":\"n1\"}",
                     "'before' must be a non-negative integer");
    assert_string_equal(value_everywhere(w, 0, "x"), "1");
    /* A forget from a member that is not the coordinator: ignored. */
    json_t *j = json_pack("{s:s, s:s, s:I}", "op", "forget", "node", "n1", "before", 1000);
    for (int i = 0; i < N; i++) {
        char *err = NULL;
        assert_int_equal(gview_deliver(&w->nodes[i].gv, 3, PEER_G_ATTR, j, &err), 0);
        assert_null(err);
    }
    json_decref(j);
    assert_string_equal(value_everywhere(w, 0, "x"), "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_set_applied_everywhere_and_answered, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_refused_over_limit_and_without_quorum, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_transient_forgotten_when_node_leaves, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_messages_change_nothing, coord_setup,
                                        coord_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
