/*
 * The cluster database (src/daemon/db.c): intents, failures and their
 * budgets, cleanup, the JSON form by names (surviving configuration
 * changes), loading and saving, and malformed input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/db.h"

static const char *const yaml =
    "cluster: {name: t, key: /nonexistent/authkey}\n"
    "networks: [{name: priv}]\n"
    "nodes:\n"
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
    "groups:\n"
    "  - name: web\n"
    "    domain: [n1, n2]\n"
    "    restarts: {max: 2, within: 1min}\n"
    "    resources:\n"
    "      - {name: vip, type: ip, address: 198.51.100.100/24, network: priv}\n"
    "      - {name: www, type: process, command: [/bin/sleep, '1000']}\n"
    "  - name: db\n"
    "    domain: [n2]\n"
    "    resources:\n"
    "      - {name: pg, type: process, command: [/bin/sleep, '1000']}\n";

static struct cfg *load(const char *text)
{
    struct cfg *c = NULL;
    struct cfg_diags d;
    cfg_diags_init(&d);
    int r = cfg_load_string(text, strlen(text), "t.yaml", 0, &c, &d);
    if (r < 0)
        cfg_diags_print(&d, stderr);
    cfg_diags_clear(&d);
    assert_int_equal(r, 0);
    return c;
}

static void test_intents(void **state)
{
    struct cfg *c = load(yaml);
    struct db *db = db_new(c);
    assert_int_equal(db->version, 0);
    struct db_intent in = {.op = DB_INTENT_STOP, .group = 0, .node = -1, .resource = -1};
    assert_true(db_apply_intent(db, &in, 2));
    assert_true(db->groups[0].stopped);
    assert_int_equal(db->version, 1);
    assert_int_equal(db->src, 2);
    /* Already so: no new version. */
    assert_false(db_apply_intent(db, &in, 1));
    assert_int_equal(db->version, 1);
    in = (struct db_intent){.op = DB_INTENT_MOVE, .group = 0, .node = 1, .resource = -1};
    assert_true(db_apply_intent(db, &in, 1));
    assert_int_equal(db->groups[0].prefer, 1);
    in = (struct db_intent){.op = DB_INTENT_STANDBY, .group = -1, .node = 0, .resource = -1};
    assert_true(db_apply_intent(db, &in, 1));
    assert_true(db->standby[0]);
    in.op = DB_INTENT_UNMANAGE;
    in.group = 1;
    assert_true(db_apply_intent(db, &in, 1));
    assert_true(db->groups[1].unmanaged);
    in = (struct db_intent){.op = DB_INTENT_DROP_PREFER, .group = 0, .node = -1, .resource = -1};
    assert_true(db_apply_intent(db, &in, 1));
    assert_int_equal(db->groups[0].prefer, -1);
    /* Out of range: ignored. */
    in = (struct db_intent){.op = DB_INTENT_MOVE, .group = 7, .node = 0, .resource = -1};
    assert_false(db_apply_intent(db, &in, 1));
    assert_int_equal(db->version, 5);
    db_free(db);
    cfg_free(c);
}

static void test_failures_and_budget(void **state)
{
    struct cfg *c = load(yaml);
    struct db *db = db_new(c);
    /* max 2 within 1 min: the third failure within the window bans the node. */
    assert_false(db_apply_failure(db, 0, 1, 0, DB_FAIL_RESTART, 1000, "exit 1", 1));
    assert_false(db_apply_failure(db, 0, 1, 0, DB_FAIL_RESTART, 2000, "exit 1", 1));
    assert_int_equal(db_restarts_within(db, 0, 0, 3000), 2);
    assert_true(db_apply_failure(db, 0, 1, 0, DB_FAIL_RESTART, 3000, "exit 1", 1));
    assert_true(db->groups[0].banned[0]);
    assert_false(db->groups[0].banned[1]);
    assert_int_equal(db->groups[0].res_failures[1], 3);
    assert_int_equal(db->groups[0].n_history, 3);
    /* Failures outside the window do not count. */
    assert_false(db_apply_failure(db, 0, 1, 1, DB_FAIL_RESTART, 1000, "x", 2));
    assert_false(db_apply_failure(db, 0, 1, 1, DB_FAIL_RESTART, 70000, "x", 2));
    assert_false(db_apply_failure(db, 0, 1, 1, DB_FAIL_RESTART, 140000, "x", 2));
    assert_false(db->groups[0].banned[1]);
    /* Other kinds. */
    assert_true(db_apply_failure(db, 1, 0, 1, DB_FAIL_HALT, 5000, "halt", 2));
    assert_true(db->groups[1].halted);
    assert_true(db_apply_failure(db, 1, 0, 1, DB_FAIL_FENCE, 5000, "fence", 2));
    assert_true(db->groups[1].fence_wanted[1]);
    assert_true(db_apply_fenced(db, 1, 1));
    assert_false(db->groups[1].fence_wanted[1]);
    assert_false(db_apply_failure(db, 1, 0, 1, DB_FAIL_IGNORE, 5000, "ignored", 2));
    assert_int_equal(db->groups[1].res_failures[0], 3);
    /* The history keeps the newest DB_MAX_HISTORY. */
    for (int i = 0; i < DB_MAX_HISTORY + 5; i++)
        db_apply_failure(db, 1, 0, 1, DB_FAIL_IGNORE, 6000 + (uint64_t)i, "again", 2);
    assert_int_equal(db->groups[1].n_history, DB_MAX_HISTORY);
    assert_int_equal(db->groups[1].history[DB_MAX_HISTORY - 1].ts_ms, 6000 + DB_MAX_HISTORY + 4);
    /* Cleanup of one resource keeps the others' history; of the group, everything. */
    struct db_intent in = {.op = DB_INTENT_CLEANUP, .group = 0, .node = -1, .resource = 0};
    assert_true(db_apply_intent(db, &in, 1));
    assert_false(db->groups[0].banned[0]);
    assert_int_equal(db->groups[0].res_failures[1], 6);
    in.resource = -1;
    assert_true(db_apply_intent(db, &in, 1));
    assert_int_equal(db->groups[0].res_failures[1], 0);
    assert_int_equal(db->groups[0].n_history, 0);
    assert_false(db_apply_intent(db, &in, 1));
    db_free(db);
    cfg_free(c);
}

static void test_json_round_trip_and_rename(void **state)
{
    struct cfg *c = load(yaml);
    struct db *db = db_new(c);
    struct db_intent in = {.op = DB_INTENT_MOVE, .group = 0, .node = 1, .resource = -1};
    db_apply_intent(db, &in, 1);
    in = (struct db_intent){.op = DB_INTENT_STANDBY, .group = -1, .node = 1, .resource = -1};
    db_apply_intent(db, &in, 1);
    db_apply_failure(db, 0, 1, 0, DB_FAIL_FAILOVER, 1234, "bad \"quote\"\n", 1);
    json_t *j = db_to_json(db);
    struct db *back = NULL;
    char *err = NULL;
    assert_int_equal(db_from_json(c, j, &back, &err), 0);
    assert_int_equal(back->version, db->version);
    assert_int_equal(back->groups[0].prefer, 1);
    assert_true(back->standby[1]);
    assert_true(back->groups[0].banned[0]);
    assert_int_equal(back->groups[0].res_failures[1], 1);
    assert_string_equal(back->groups[0].history[0].reason, "bad \"quote\"\n");
    db_free(back);
    /* A configuration without group web and node n2: those names are dropped. */
    struct cfg *c2 = load("cluster: {name: t, key: /nonexistent/authkey}\n"
                          "networks: [{name: priv}]\n"
                          "nodes:\n"
                          "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
                          "groups:\n"
                          "  - name: db\n"
                          "    domain: [n1]\n"
                          "    resources:\n"
                          "      - {name: pg, type: process, command: [/bin/true]}\n");
    assert_int_equal(db_from_json(c2, j, &back, &err), 0);
    assert_int_equal(back->version, db->version);
    assert_false(back->standby[0]);
    db_free(back);
    cfg_free(c2);
    json_decref(j);
    db_free(db);
    cfg_free(c);
}

static void test_malformed(void **state)
{
    struct cfg *c = load(yaml);
    static const char *const bad[] = {
        "[]",
        "{}",
        "{\"version\": -1, \"src\": 1}",
        "{\"version\": 1, \"src\": \"x\"}",
        "{\"version\": 1, \"src\": 1, \"standby\": \"n1\"}",
        "{\"version\": 1, \"src\": 1, \"groups\": {\"web\": {\"stopped\": 1}}}",
        "{\"version\": 1, \"src\": 1, \"groups\": {\"web\": {\"restarts\": {\"n1\": [\"x\"]}}}}",
        "{\"version\": 1, \"src\": 1, \"groups\": {\"web\": {\"history\": [{\"node\": 1}]}}}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        assert_non_null(j);
        struct db *db = NULL;
        char *err = NULL;
        assert_int_equal(db_from_json(c, j, &db, &err), -EINVAL);
        assert_null(db);
        assert_non_null(err);
        free(err);
        json_decref(j);
    }
    cfg_free(c);
}

static void test_save_and_load(void **state)
{
    struct cfg *c = load(yaml);
    char dir[] = "/tmp/vigil-test-db-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct db *db = NULL;
    char *err = NULL;
    assert_int_equal(db_load(c, dir, &db, &err), -ENOENT);
    assert_non_null(db);
    assert_int_equal(db->version, 0);
    struct db_intent in = {.op = DB_INTENT_STOP, .group = 1, .node = -1, .resource = -1};
    db_apply_intent(db, &in, 2);
    assert_int_equal(db_save(db, dir), 0);
    db_free(db);
    assert_int_equal(db_load(c, dir, &db, &err), 0);
    assert_true(db->groups[1].stopped);
    assert_int_equal(db->version, 1);
    db_free(db);
    /* A corrupt file is an error with the file's name, not a crash. */
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, DB_FILE);
    FILE *f = fopen(path, "w");
    fputs("{\"version\": 1, ", f);
    fclose(f);
    db = NULL;
    assert_int_equal(db_load(c, dir, &db, &err), -EINVAL);
    assert_non_null(strstr(err, path));
    free(err);
    unlink(path);
    rmdir(dir);
    cfg_free(c);
}

static void test_newer(void **state)
{
    assert_true(db_newer(2, 5, 1, 1));
    assert_false(db_newer(1, 1, 2, 5));
    assert_true(db_newer(3, 1, 3, 2));
    assert_false(db_newer(3, 2, 3, 1));
    assert_false(db_newer(3, 2, 3, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intents),
        cmocka_unit_test(test_failures_and_budget),
        cmocka_unit_test(test_json_round_trip_and_rename),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_save_and_load),
        cmocka_unit_test(test_newer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
