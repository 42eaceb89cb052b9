/*
 * Admin intents in the coordinator's world (coord_world.h: three nodes over
 * the simulated transport, a fake executor each): an intent is agreed by
 * every member and acknowledged once each saved it, starts and moves the
 * cluster could not carry out are refused with the reason (no room, a group
 * it must run with, ...), and a node back with an older database adopts the
 * cluster's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "coord_world.h"

static void test_intent_replicated_and_acked(void **state)
{
    struct world *w = *state;
    struct db_intent in = {.op = DB_INTENT_STOP, .group = 0, .node = -1, .resource = -1};
    char *err = NULL;
    uint64_t id = gview_send_intent(&w->nodes[1].gv, &in, &err);
    assert_true(id > 0);
    settle(w);
    assert_int_equal(w->nodes[1].done_id, id);
    assert_true(w->nodes[1].done_ok);
    assert_int_equal(runs_on(w, 0), -1);
    uint64_t v = w->nodes[0].gv.db->version;
    for (int i = 0; i < N; i++) {
        assert_true(w->nodes[i].gv.db->groups[0].stopped);
        assert_int_equal(w->nodes[i].gv.db->version, v);
    }
    /* Started again by an admin on another node. */
    in.op = DB_INTENT_START;
    id = gview_send_intent(&w->nodes[2].gv, &in, &err);
    settle(w);
    assert_true(w->nodes[2].done_ok);
    assert_int_equal(runs_on(w, 0), 0);
}

static void test_intent_acked_once_saved_everywhere(void **state)
{
    struct world *w = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    char dirs[N][64];
    for (int i = 0; i < N; i++) {
        snprintf(dirs[i], sizeof(dirs[i]), "/tmp/vigil-test-coord-XXXXXX");
        assert_non_null(mkdtemp(dirs[i]));
        free(w->nodes[i].gv.state_dir);
        w->nodes[i].gv.state_dir = xstrdup(dirs[i]);
        gview_set_loop(&w->nodes[i].gv, &loop);
    }
    struct db_intent in = {.op = DB_INTENT_STOP, .group = 0, .node = -1, .resource = -1};
    char *err = NULL;
    uint64_t id = gview_send_intent(&w->nodes[1].gv, &in, &err);
    assert_true(id > 0);
    /* Acks leave only once the worker threads have written each copy. */
    for (int i = 0; i < 1000 && w->nodes[1].done_id != id; i++) {
        settle(w);
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
    assert_int_equal(w->nodes[1].done_id, id);
    assert_true(w->nodes[1].done_ok);
    for (int i = 0; i < N; i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dirs[i], DB_FILE);
        char *text = NULL;
        size_t len;
        assert_int_equal(read_file(path, 1 << 20, &text, &len), 0);
        assert_non_null(strstr(text, "\"stopped\": true"));
        free(text);
        unlink(path);
        rmdir(dirs[i]);
        gview_set_loop(&w->nodes[i].gv, NULL);
    }
    settle(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/*
 * A view torn down while its database write is in flight, with an ack
 * waiting for it: the ack is dropped at once, nothing calls back into the
 * freed view, and the write still lands.
 */
static void test_done_with_a_save_in_flight(void **state)
{
    struct world *w = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/vigil-test-coord-XXXXXX");
    assert_non_null(mkdtemp(dir));
    struct gview *gv = &w->nodes[0].gv;
    free(gv->state_dir);
    gv->state_dir = xstrdup(dir);
    gview_set_loop(gv, &loop);
    struct db_intent in = {.op = DB_INTENT_STOP, .group = 0, .node = -1, .resource = -1};
    char *err = NULL;
    assert_true(gview_send_intent(&w->nodes[1].gv, &in, &err) > 0);
    for (int i = 0; i < 1000 && !gv->sw; i++)
        settle(w);
    assert_non_null(gv->sw); /* n1 saves: its ack waits for the write */
    node_down(&w->nodes[0]);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, DB_FILE);
    char *text = NULL;
    size_t len;
    assert_int_equal(read_file(path, 1 << 20, &text, &len), 0);
    assert_non_null(strstr(text, "\"stopped\": true"));
    free(text);
    unlink(path);
    rmdir(dir);
}

static void test_start_refused_when_no_node_can_run_it(void **state)
{
    struct world *w = *state;
    struct gview *gv = &w->nodes[0].gv;
    struct db_intent in = {.op = DB_INTENT_START, .group = 1, .node = -1, .resource = -1};
    char *err = NULL;
    assert_int_equal(gview_check_intent(gv, &in, &err, NULL), 0);
    /* db failed on both nodes of its domain (n3, n2). */
    db_apply_failure(gv->db, 1, 0, 2, DB_FAIL_FAILOVER, 1000, "x", 3);
    db_apply_failure(gv->db, 1, 0, 1, DB_FAIL_FAILOVER, 1000, "x", 2);
    assert_int_equal(gview_check_intent(gv, &in, &err, NULL), -EINVAL);
    assert_non_null(strstr(err, "group db cannot start: no eligible node: n3 failed there"));
    assert_non_null(strstr(err, "n2 failed there"));
    assert_non_null(strstr(err, "vigil cleanup db"));
    free(err);
}

static void test_rejoin_adopts_newer_database(void **state)
{
    struct world *w = *state;
    /* n3 leaves cleanly (its groups stopped), the others change the database. */
    w->nodes[2].run[1] = false;
    w->nodes[2].obs[1] = POL_OBS_STOPPED;
    report(&w->nodes[2], 1);
    sim_run(w->net);
    node_down(&w->nodes[2]);
    settle(w);
    assert_int_equal(runs_on(w, 1), 1); /* db moved to n2 */
    struct db_intent in = {.op = DB_INTENT_STANDBY, .group = -1, .node = 0, .resource = -1};
    char *err = NULL;
    assert_true(gview_send_intent(&w->nodes[1].gv, &in, &err) > 0);
    settle(w);
    assert_int_equal(runs_on(w, 0), 1); /* web drained from n1 (standby) to n2 */
    /* n3 comes back with an empty database: it adopts the cluster's. */
    node_up(w, 2);
    settle(w);
    assert_true(w->nodes[2].gv.db->standby[0]);
    assert_int_equal(w->nodes[2].gv.db->version, w->nodes[0].gv.db->version);
    /* db is not moved back (controlled failback); web stays off the standby node. */
    assert_int_equal(runs_on(w, 1), 1);
    assert_int_equal(runs_on(w, 0), 1);
}

/* ---- Moves the policy would not carry out ---- */

/*
 * Capacity and relationships: db (memory 8) and app (requires db,
 * colocated) on n1, big (memory 12) on n2, solo (apart_from db) on n3,
 * which has room for 4.
 */
static const char *const rel_yaml =
    "cluster: {name: sim, key: /nonexistent/authkey}\n"
    "networks: [{name: priv}]\n"
    "nodes:\n"
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: {memory: 16}}\n"
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: {memory: 16}}\n"
    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}, capacity: {memory: 4}}\n"
    "fencing:\n"
    "  devices: [{name: d, agent: /bin/true}]\n"
    "  nodes:\n"
    "    n1: {levels: [[d]]}\n"
    "    n2: {levels: [[d]]}\n"
    "    n3: {levels: [[d]]}\n"
    "groups:\n"
    "  - {name: db, domain: [n1, n2, n3], load: {memory: 8},\n"
    "     resources: [{name: pg, type: process, command: [/bin/sleep, '1000']}]}\n"
    "  - {name: app, domain: [n1, n2, n3], requires: db, colocated: true,\n"
    "     resources: [{name: srv, type: process, command: [/bin/sleep, '1000']}]}\n"
    "  - {name: big, domain: [n2, n1, n3], load: {memory: 12},\n"
    "     resources: [{name: b, type: process, command: [/bin/sleep, '1000']}]}\n"
    "  - {name: solo, domain: [n3, n2, n1], apart_from: db,\n"
    "     resources: [{name: s, type: process, command: [/bin/sleep, '1000']}]}\n";

static int setup_rel(void **state)
{
    return coord_setup_yaml(state, rel_yaml);
}

/*
 * `vigil group move GROUP --to NODE` asked on n2: gview_check_intent's
 * answer, with its error or note (NULL when none; owned by the caller).
 */
static int check_move(struct world *w, const char *group, const char *node, char **ret_err,
                      char **ret_note)
{
    const struct cfg_node *nd = cfg_node_by_name(w->cfg, node);
    assert_non_null(nd);
    struct db_intent in = {.op = DB_INTENT_MOVE,
                           .group = (int)coord_group(w, group),
                           .node = (int)(nd - w->cfg->nodes),
                           .resource = -1};
    *ret_err = *ret_note = NULL;
    return gview_check_intent(&w->nodes[1].gv, &in, ret_err, ret_note);
}

/* A move asked on n2 that must be refused with exactly this message. */
static void assert_move_refused(struct world *w, const char *group, const char *node,
                                const char *want)
{
    char *err, *note;
    assert_int_equal(check_move(w, group, node, &err, &note), -EINVAL);
    assert_non_null(err);
    assert_string_equal(err, want);
    assert_null(note);
    free(err);
}

static void assert_placement(struct world *w, int db, int app, int big, int solo)
{
    assert_int_equal(runs_on(w, coord_group(w, "db")), db);
    assert_int_equal(runs_on(w, coord_group(w, "app")), app);
    assert_int_equal(runs_on(w, coord_group(w, "big")), big);
    assert_int_equal(runs_on(w, coord_group(w, "solo")), solo);
}

static void test_move_refused_to_a_full_node(void **state)
{
    struct world *w = *state;
    assert_placement(w, 0, 0, 1, 2);
    uint64_t v = w->nodes[0].gv.db->version;
    assert_move_refused(w, "db", "n3",
                        "refused: group db cannot move to n3 now: n3 has no room (memory: needs "
                        "8, 4 free)");
    assert_move_refused(w, "big", "n1",
                        "refused: group big cannot move to n1 now: n1 has no room (memory: needs "
                        "12, 8 free)");
    assert_move_refused(w, "db", "n2",
                        "refused: group db cannot move to n2 now: n2 has no room (memory: needs "
                        "8, 4 free)");
    /* Once big is stopped, n2 has room: db moves there, and app (colocated) follows it. */
    struct db_intent stop = {
        .op = DB_INTENT_STOP, .group = (int)coord_group(w, "big"), .node = -1, .resource = -1};
    char *err = NULL, *note = NULL;
    assert_true(gview_send_intent(&w->nodes[1].gv, &stop, &err) > 0);
    settle(w);
    assert_placement(w, 0, 0, -1, 2);
    assert_int_equal(check_move(w, "db", "n2", &err, &note), 0);
    assert_null(err);
    assert_null(note);
    struct db_intent in = {
        .op = DB_INTENT_MOVE, .group = (int)coord_group(w, "db"), .node = 1, .resource = -1};
    assert_true(gview_send_intent(&w->nodes[1].gv, &in, &err) > 0);
    settle(w);
    assert_true(w->nodes[1].done_ok);
    assert_placement(w, 1, 1, -1, 2);
    assert_int_equal(w->nodes[0].gv.db->version, v + 2);
}

static void test_move_refused_away_from_a_group_it_must_run_with(void **state)
{
    struct world *w = *state;
    assert_move_refused(w, "app", "n2",
                        "refused: group app cannot move to n2 now: it must run with group db, "
                        "which runs on n1");
    /* While db is stopped, app waits for it: a move cannot be carried out either. */
    struct db_intent stop = {
        .op = DB_INTENT_STOP, .group = (int)coord_group(w, "db"), .node = -1, .resource = -1};
    char *err = NULL;
    assert_true(gview_send_intent(&w->nodes[1].gv, &stop, &err) > 0);
    settle(w);
    assert_placement(w, -1, -1, 1, 2);
    assert_move_refused(w, "app", "n2",
                        "refused: group app cannot move to n2 now: it is waiting for group db "
                        "(required)");
}

/* apart_from is soft: an admin's move wins, and the answer says what it gives way to. */
static void test_move_beside_an_apart_from_group_is_noted(void **state)
{
    struct world *w = *state;
    char *err, *note;
    assert_int_equal(check_move(w, "solo", "n1", &err, &note), 0);
    assert_null(err);
    assert_non_null(note);
    assert_string_equal(note, "group db, which it is apart from, runs on n1; apart_from gives way "
                              "to an admin's move");
    free(note);
    struct db_intent in = {
        .op = DB_INTENT_MOVE, .group = (int)coord_group(w, "solo"), .node = 0, .resource = -1};
    assert_true(gview_send_intent(&w->nodes[1].gv, &in, &err) > 0);
    settle(w);
    assert_true(w->nodes[1].done_ok);
    assert_placement(w, 0, 0, 1, 0);
    /* Elsewhere, no note. */
    assert_int_equal(check_move(w, "solo", "n3", &err, &note), 0);
    assert_null(note);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_intent_replicated_and_acked, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_intent_acked_once_saved_everywhere, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_done_with_a_save_in_flight, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_start_refused_when_no_node_can_run_it, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_rejoin_adopts_newer_database, coord_setup,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_move_refused_to_a_full_node, setup_rel,
                                        coord_teardown),
        cmocka_unit_test_setup_teardown(test_move_refused_away_from_a_group_it_must_run_with,
                                        setup_rel, coord_teardown),
        cmocka_unit_test_setup_teardown(test_move_beside_an_apart_from_group_is_noted, setup_rel,
                                        coord_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
