/*
 * The cluster database (src/daemon/db.c): intents, failures and their
 * budgets, the restart back-off, bans dated and expired, cleanup, the JSON
 * form by names (surviving configuration changes, and files of earlier
 * releases without ban times), loading and saving, and malformed input.
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
        "{\"version\": 1, \"src\": 1, \"groups\": {\"web\": {\"banned_at\": []}}}",
        "{\"version\": 1, \"src\": 1, \"groups\": {\"web\": {\"banned_at\": {\"n1\": \"x\"}}}}",
        "{\"version\": 1, \"src\": 1, \"groups\": {\"web\": {\"banned\": [\"n1\"], "
        "\"banned_at\": {\"n1\": -5}}}}",
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

/* The back-off of restarts in place: none for the first, then backoff, doubling, capped. */
static void test_backoff_schedule(void **state)
{
    struct cfg *c = load("cluster: {name: t, key: /nonexistent/authkey}\n"
                         "networks: [{name: priv}]\n"
                         "nodes:\n"
                         "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
                         "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
                         "groups:\n"
                         "  - name: web\n"
                         "    domain: [n1, n2]\n"
                         "    restarts: {max: 10, within: 1h}\n"
                         "    resources:\n"
                         "      - {name: www, type: process, command: [/bin/sleep, '1000']}\n");
    /* The loader's defaults (restarts.backoff 1s, backoff_max 1min). */
    assert_int_equal(c->groups[0].backoff_ms, 1000);
    assert_int_equal(c->groups[0].backoff_max_ms, 60000);
    struct db *db = db_new(c);
    assert_int_equal(db_restart_delay_ms(db, 0, 0), 0);
    assert_int_equal(db_last_restart_ms(db, 0, 0), 0);
    static const uint64_t want[] = {0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
    uint64_t t = 100000;
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        t += 10;
        assert_false(db_apply_failure(db, 0, 0, 0, DB_FAIL_RESTART, t, "exit 1", 1));
        assert_int_equal(db_last_restart_ms(db, 0, 0), t);
        assert_int_equal(db_restart_delay_ms(db, 0, 0), want[i]);
    }
    /* Per node: n2's first restart is immediate. */
    assert_false(db_apply_failure(db, 0, 0, 1, DB_FAIL_RESTART, t, "exit 1", 2));
    assert_int_equal(db_restart_delay_ms(db, 0, 1), 0);
    /* Restarts older than the window no longer count: the back-off starts over. */
    t += 3600000;
    assert_false(db_apply_failure(db, 0, 0, 0, DB_FAIL_RESTART, t, "exit 1", 1));
    assert_int_equal(db_restart_delay_ms(db, 0, 0), 0);
    assert_false(db_apply_failure(db, 0, 0, 0, DB_FAIL_RESTART, t + 5, "exit 1", 1));
    assert_int_equal(db_restart_delay_ms(db, 0, 0), 1000);
    /* Other values, and a cap below the doubling. */
    c->groups[0].backoff_ms = 300;
    c->groups[0].backoff_max_ms = 1000;
    assert_int_equal(db_restart_delay_ms(db, 0, 0), 300);
    for (uint64_t i = 2; i <= 4; i++)
        db_apply_failure(db, 0, 0, 0, DB_FAIL_RESTART, t + 5 + i, "exit 1", 1);
    assert_int_equal(db_restart_delay_ms(db, 0, 0), 1000); /* 300, 600, 1200 -> 1000 */
    /* A cleanup forgets it. */
    struct db_intent in = {.op = DB_INTENT_CLEANUP, .group = 0, .node = -1, .resource = -1};
    assert_true(db_apply_intent(db, &in, 1));
    assert_int_equal(db_restart_delay_ms(db, 0, 0), 0);
    db_free(db);
    cfg_free(c);
}

/* A ban is dated by the failure that caused it and lifted by an expiry of that very ban. */
static void test_ban_expiry(void **state)
{
    struct cfg *c = load(yaml);
    struct db *db = db_new(c);
    /* max 2: the third restart within the window bans n1, dated by that failure. */
    db_apply_failure(db, 0, 1, 0, DB_FAIL_RESTART, 1000, "exit 1", 1);
    db_apply_failure(db, 0, 1, 0, DB_FAIL_RESTART, 2000, "exit 1", 1);
    assert_int_equal(db->groups[0].banned_ms[0], 0);
    assert_true(db_apply_failure(db, 0, 1, 0, DB_FAIL_RESTART, 3000, "exit 1", 1));
    assert_true(db->groups[0].banned[0]);
    assert_int_equal(db->groups[0].banned_ms[0], 3000);
    /* A failed start or on_fail: failover ban at once, dated too. */
    assert_true(db_apply_failure(db, 0, 0, 1, DB_FAIL_START, 4000, "start failed", 2));
    assert_int_equal(db->groups[0].banned_ms[1], 4000);
    assert_true(db_apply_failure(db, 1, 0, 1, DB_FAIL_FAILOVER, 4500, "exit 1", 2));
    assert_int_equal(db->groups[1].banned_ms[1], 4500);
    /* An expiry of another ban (an older one, or of a node not banned) changes nothing. */
    uint64_t v = db->version;
    assert_false(db_apply_expiry(db, 0, 0, 2000, 1));
    assert_false(db_apply_expiry(db, 1, 0, 0, 1));
    assert_false(db_apply_expiry(db, 7, 0, 3000, 1));
    assert_int_equal(db->version, v);
    /* The expiry of this ban lifts it and forgets the node's restarts; history and counts stay. */
    assert_true(db_apply_expiry(db, 0, 0, 3000, 1));
    assert_int_equal(db->version, v + 1);
    assert_int_equal(db->src, 1);
    assert_false(db->groups[0].banned[0]);
    assert_int_equal(db->groups[0].banned_ms[0], 0);
    assert_int_equal(db->groups[0].n_restarts[0], 0);
    assert_int_equal(db_restart_delay_ms(db, 0, 0), 0);
    assert_int_equal(db->groups[0].res_failures[1], 3);
    assert_int_equal(db->groups[0].n_history, 4);
    assert_true(db->groups[0].banned[1]); /* the other node's ban is its own */
    /* Applied twice (a second message of the same decision): nothing more. */
    assert_false(db_apply_expiry(db, 0, 0, 3000, 1));
    assert_int_equal(db->version, v + 1);
    /* Banned again later: dated by the new failure, so the old expiry cannot lift it. */
    assert_true(db_apply_failure(db, 0, 1, 0, DB_FAIL_FAILOVER, 9000, "exit 1", 1));
    assert_false(db_apply_expiry(db, 0, 0, 3000, 1));
    assert_true(db->groups[0].banned[0]);
    /* A cleanup clears the date with the ban. */
    struct db_intent in = {.op = DB_INTENT_CLEANUP, .group = 0, .node = -1, .resource = -1};
    assert_true(db_apply_intent(db, &in, 1));
    assert_int_equal(db->groups[0].banned_ms[0], 0);
    assert_int_equal(db->groups[0].banned_ms[1], 0);
    db_free(db);
    cfg_free(c);
}

/*
 * The ban's time goes through JSON; a database of an earlier release (no
 * "banned_at") reads its bans with an unknown time (0), kept so through a
 * save and a load, and an expiry of a ban of unknown time lifts them.
 */
static void test_ban_time_json(void **state)
{
    struct cfg *c = load(yaml);
    struct db *db = db_new(c);
    db_apply_failure(db, 0, 1, 0, DB_FAIL_FAILOVER, 1234, "exit 1", 1);
    json_t *j = db_to_json(db);
    json_t *at = json_object_get(json_object_get(json_object_get(j, "groups"), "web"), "banned_at");
    assert_non_null(at);
    assert_int_equal(json_integer_value(json_object_get(at, "n1")), 1234);
    assert_null(json_object_get(at, "n2"));
    struct db *back = NULL;
    char *err = NULL;
    assert_int_equal(db_from_json(c, j, &back, &err), 0);
    assert_true(back->groups[0].banned[0]);
    assert_int_equal(back->groups[0].banned_ms[0], 1234);
    assert_int_equal(back->groups[0].banned_ms[1], 0);
    db_free(back);
    json_decref(j);
    db_free(db);

    /* As an earlier release wrote it. */
    static const char *const old =
        "{\"version\": 7, \"src\": 1, \"standby\": [], \"groups\": {\"web\": {\"stopped\": "
        "false, \"unmanaged\": false, \"halted\": false, \"prefer\": null, \"banned\": "
        "[\"n1\", \"n2\"], \"fence_wanted\": [], \"restarts\": {\"n1\": [1000, 2000, 3000]}, "
        "\"failures\": {\"www\": 3}, \"history\": []}}}\n";
    char dir[] = "/tmp/vigil-test-db-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, DB_FILE);
    FILE *f = fopen(path, "w");
    fputs(old, f);
    fclose(f);
    assert_int_equal(db_load(c, dir, &back, &err), 0);
    assert_int_equal(back->version, 7);
    assert_true(back->groups[0].banned[0]);
    assert_true(back->groups[0].banned[1]);
    assert_int_equal(back->groups[0].banned_ms[0], 0);
    assert_int_equal(back->groups[0].banned_ms[1], 0);
    assert_int_equal(back->groups[0].n_restarts[0], 3);
    /* Saved and loaded again: still banned, still of unknown time. */
    assert_int_equal(db_save(back, dir), 0);
    db_free(back);
    assert_int_equal(db_load(c, dir, &back, &err), 0);
    assert_true(back->groups[0].banned[0]);
    assert_int_equal(back->groups[0].banned_ms[0], 0);
    /* Expired as a ban of unknown time. */
    assert_false(db_apply_expiry(back, 0, 0, 1000, 1));
    assert_true(db_apply_expiry(back, 0, 0, 0, 1));
    assert_false(back->groups[0].banned[0]);
    assert_int_equal(back->groups[0].n_restarts[0], 0);
    assert_true(back->groups[0].banned[1]);
    assert_int_equal(back->version, 8);
    db_free(back);
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

/* A database read back from JSON text (asserted to load). */
static struct db *from_text(const struct cfg *c, const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    struct db *db = NULL;
    char *err = NULL;
    if (db_from_json(c, j, &db, &err) < 0)
        fail_msg("%s", err);
    json_decref(j);
    return db;
}

static void test_attr_set_get_delete(void **state)
{
    struct cfg *c = load(yaml);
    struct db *db = db_new(c);
    char *err = NULL;
    assert_int_equal(db_attr_set(db, 0, "master-pg", "100", DB_ATTR_REBOOT, 1, &err), 1);
    assert_int_equal(db->version, 1);
    assert_int_equal(db->src, 1);
    const struct db_attr *a = db_attr_get(db, 0, "master-pg");
    assert_non_null(a);
    assert_string_equal(a->value, "100");
    assert_int_equal(a->life, DB_ATTR_REBOOT);
    assert_int_equal(a->since, 1);
    assert_null(db_attr_get(db, 1, "master-pg"));
    /* The same again: nothing changes; a new value or lifetime does. */
    assert_int_equal(db_attr_set(db, 0, "master-pg", "100", DB_ATTR_REBOOT, 2, &err), 0);
    assert_int_equal(db->version, 1);
    assert_int_equal(db_attr_set(db, 0, "master-pg", "100", DB_ATTR_FOREVER, 2, &err), 1);
    assert_int_equal(db_attr_get(db, 0, "master-pg")->life, DB_ATTR_FOREVER);
    assert_int_equal(db_attr_set(db, 0, "a", "", DB_ATTR_REBOOT, 2, &err), 1);
    assert_int_equal(db_attr_set(db, 0, "z", "last", DB_ATTR_REBOOT, 2, &err), 1);
    /* Kept sorted by name. */
    assert_int_equal(db->attrs[0].n, 3);
    assert_string_equal(db->attrs[0].a[0].name, "a");
    assert_string_equal(db->attrs[0].a[2].name, "z");
    /* Delete: only with the lifetime asked for, when one is. */
    uint64_t v = db->version;
    assert_false(db_attr_delete(db, 0, "master-pg", DB_ATTR_REBOOT, 1));
    assert_false(db_attr_delete(db, 0, "nope", -1, 1));
    assert_int_equal(db->version, v);
    assert_true(db_attr_delete(db, 0, "master-pg", DB_ATTR_FOREVER, 1));
    assert_null(db_attr_get(db, 0, "master-pg"));
    assert_int_equal(db->version, v + 1);
    /* Bad names and values: refused, nothing changes, the node and attribute named. */
    v = db->version;
    assert_int_equal(db_attr_set(db, 1, "bad name", "1", DB_ATTR_REBOOT, 1, &err), -EINVAL);
    assert_string_equal(err, "node n2: bad attribute name 'bad name': use letters, digits, '_', "
                             "'-', '.' and ':' (not starting with '-')");
    free(err);
    err = NULL;
    assert_int_equal(db_attr_set(db, 1, "x", "a\tb", DB_ATTR_REBOOT, 1, &err), -EINVAL);
    assert_string_equal(err, "node n2: the value of attribute x holds a control character "
                             "(byte 2)");
    free(err);
    err = NULL;
    assert_int_equal(db->version, v);
    db_free(db);
    cfg_free(c);
}

static void test_attr_limits(void **state)
{
    struct cfg *c = load(yaml);
    struct db *db = db_new(c);
    char *err = NULL, name[32];
    for (int i = 0; i < DB_ATTR_MAX_COUNT; i++) {
        snprintf(name, sizeof(name), "a%02d", i);
        assert_int_equal(db_attr_set(db, 0, name, "1", DB_ATTR_REBOOT, 1, &err), 1);
    }
    assert_int_equal(db_attr_set(db, 0, "one-more", "1", DB_ATTR_REBOOT, 1, &err), -E2BIG);
    assert_string_equal(err, "node n1 has 64 attributes already (the limit): attribute one-more "
                             "not set");
    free(err);
    err = NULL;
    /* An existing one may still change. */
    assert_int_equal(db_attr_set(db, 0, "a00", "2", DB_ATTR_REBOOT, 1, &err), 1);
    /* Bytes: values of 1024 bytes fill DB_ATTR_MAX_BYTES on n2. */
    char *big = xcalloc(1, DB_ATTR_MAX_VALUE + 1);
    memset(big, 'v', DB_ATTR_MAX_VALUE);
    int set = 0;
    for (int i = 0; i < 16; i++) {
        snprintf(name, sizeof(name), "b%d", i);
        int r = db_attr_set(db, 1, name, big, DB_ATTR_FOREVER, 1, &err);
        if (r == -E2BIG)
            break;
        assert_int_equal(r, 1);
        set++;
    }
    assert_int_equal(set, DB_ATTR_MAX_BYTES / (DB_ATTR_MAX_VALUE + 2));
    assert_non_null(strstr(err, "the attributes of node n2 would take more than 8192 bytes"));
    free(err);
    err = NULL;
    free(big);
    db_free(db);
    cfg_free(c);
}

static void test_attr_json_and_disk(void **state)
{
    struct cfg *c = load(yaml);
    struct db *db = db_new(c);
    char *err = NULL;
    assert_int_equal(db_attr_set(db, 0, "master-pg", "100", DB_ATTR_REBOOT, 1, &err), 1);
    assert_int_equal(db_attr_set(db, 1, "site", "paris", DB_ATTR_FOREVER, 2, &err), 1);
    /* The complete copy (what members exchange) has both. */
    json_t *j = db_to_json(db);
    char *text = json_dumps(j, JSON_SORT_KEYS);
    json_decref(j);
    struct db *back = from_text(c, text);
    free(text);
    assert_true(back->complete);
    assert_string_equal(db_attr_get(back, 0, "master-pg")->value, "100");
    assert_int_equal(db_attr_get(back, 0, "master-pg")->since, 1);
    assert_string_equal(db_attr_get(back, 1, "site")->value, "paris");
    db_free(back);
    /* The disk: only the forever ones, and a partial copy once loaded. */
    char dir[] = "/tmp/vigil-test-db-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(db_save(db, dir), 0);
    char *path = xasprintf("%s/%s", dir, DB_FILE);
    char *file = NULL;
    size_t len;
    assert_int_equal(read_file(path, 1 << 20, &file, &len), 0);
    assert_null(strstr(file, "master-pg"));
    assert_non_null(strstr(file, "paris"));
    assert_null(strstr(file, "complete"));
    free(file);
    struct db *loaded = NULL;
    assert_int_equal(db_load(c, dir, &loaded, &err), 0);
    assert_false(loaded->complete);
    assert_null(db_attr_get(loaded, 0, "master-pg"));
    assert_string_equal(db_attr_get(loaded, 1, "site")->value, "paris");
    assert_int_equal(loaded->version, db->version);
    /* At the same version, the complete copy replaces the partial one, not the other way. */
    assert_true(db_should_adopt(loaded, db));
    assert_false(db_should_adopt(db, loaded));
    assert_false(db_should_adopt(db, db));
    unlink(path);
    rmdir(dir);
    free(path);
    db_free(loaded);
    db_free(db);
    cfg_free(c);
}

static void test_attr_forget(void **state)
{
    struct cfg *c = load(yaml);
    struct db *db = db_new(c);
    char *err = NULL;
    assert_int_equal(db_attr_set(db, 1, "old", "1", DB_ATTR_REBOOT, 2, &err), 1);
    assert_int_equal(db_attr_set(db, 1, "kept", "1", DB_ATTR_FOREVER, 2, &err), 1);
    uint64_t left = db->version; /* n2 leaves here */
    assert_int_equal(db_attr_set(db, 1, "new", "1", DB_ATTR_REBOOT, 2, &err), 1);
    assert_int_equal(db_attr_set(db, 0, "other", "1", DB_ATTR_REBOOT, 1, &err), 1);
    assert_true(db_attr_has_transient(db, 1, left));
    assert_true(db_attr_forget(db, 1, left, 1));
    assert_null(db_attr_get(db, 1, "old"));
    assert_non_null(db_attr_get(db, 1, "kept"));
    assert_non_null(db_attr_get(db, 1, "new")); /* set again after it came back */
    assert_non_null(db_attr_get(db, 0, "other"));
    assert_false(db_attr_has_transient(db, 1, left));
    uint64_t v = db->version;
    assert_false(db_attr_forget(db, 1, left, 1));
    assert_int_equal(db->version, v);
    db_free(db);
    cfg_free(c);
}

static void test_attr_json_malformed(void **state)
{
    struct cfg *c = load(yaml);
    static const struct {
        const char *attrs;
        const char *want;
    } bad[] = {
        {"[]", "attributes: wrong type"},
        {"{\"n1\": 5}", "attributes: node n1: wrong type"},
        {"{\"n1\": {\"x\": 5}}", "attributes: node n1: attribute x is malformed"},
        {"{\"n1\": {\"x\": {\"value\": \"1\"}}}", "attribute x is malformed"},
        {"{\"n1\": {\"x\": {\"value\": \"1\", \"lifetime\": \"week\"}}}",
         "attribute x: unknown lifetime 'week'"},
        {"{\"n1\": {\"x y\": {\"value\": \"1\", \"lifetime\": \"reboot\"}}}",
         "attributes: node n1: bad attribute name 'x y'"},
        {"{\"n1\": {\"x\": {\"value\": \"1\", \"lifetime\": \"reboot\", \"since\": -1}}}",
         "attribute x is malformed"},
        /* Words of the input are quoted on one line (found by fuzzing). */
        {"{\"n1\": {\"x\": {\"value\": \"1\", \"lifetime\": \"fo\\nrever\"}}}",
         "attribute x: unknown lifetime 'fo?rever'"},
        {"{\"n\\r\\n1\": 5}", "attributes: node n??1: wrong type"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *text = xasprintf("{\"version\": 3, \"src\": 1, \"attributes\": %s}", bad[i].attrs);
        json_t *j = json_loads(text, 0, NULL);
        assert_non_null(j);
        struct db *db = NULL;
        char *err = NULL;
        assert_int_equal(db_from_json(c, j, &db, &err), -EINVAL);
        assert_null(db);
        if (!strstr(err, bad[i].want) || strpbrk(err, "\r\n"))
            fail_msg("%s: error '%s' does not contain '%s' on one line", bad[i].attrs, err,
                     bad[i].want);
        free(err);
        free(text);
        json_decref(j);
    }
    /* A node the configuration no longer has: dropped. */
    struct db *db = from_text(c, "{\"version\": 3, \"src\": 1, \"attributes\": {\"gone\": "
                                 "{\"x\": {\"value\": \"1\", \"lifetime\": \"forever\"}}}}");
    assert_int_equal(db->attrs[0].n + db->attrs[1].n, 0);
    db_free(db);
    cfg_free(c);
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
        cmocka_unit_test(test_backoff_schedule),
        cmocka_unit_test(test_ban_expiry),
        cmocka_unit_test(test_ban_time_json),
        cmocka_unit_test(test_attr_set_get_delete),
        cmocka_unit_test(test_attr_limits),
        cmocka_unit_test(test_attr_json_and_disk),
        cmocka_unit_test(test_attr_forget),
        cmocka_unit_test(test_attr_json_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
