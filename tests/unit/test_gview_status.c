/*
 * The groups of vigil status for clone and promotable groups
 * (src/daemon/gview_status.c): kind, copies with role, state, score and the
 * plan's action, primary, the wanted counts, the resources' summary state,
 * and the capacity each copy uses (gview_capacity.c). The view is set by
 * hand (as the nodes' reports would set it); single groups keep their
 * fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/gview.h"

/* Three nodes with memory; web single, www a clone of 2 on n1..n3, pg promotable on n3, n2, n1. */
static const char *const yaml =
    "cluster: {name: t, key: /nonexistent/authkey}\n"
    "networks: [{name: priv}]\n"
    "nodes:\n"
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: {memory: 16}}\n"
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: {memory: 16}}\n"
    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}, capacity: {memory: 16}}\n"
    "groups:\n"
    "  - name: web\n"
    "    domain: [n1, n2, n3]\n"
    "    load: {memory: 1}\n"
    "    resources: [{name: w, type: process, command: [/bin/sleep, '1000']}]\n"
    "  - name: www\n"
    "    domain: [n1, n2, n3]\n"
    "    clone: {copies: 2}\n"
    "    load: {memory: 2}\n"
    "    resources: [{name: httpd, type: process, command: [/bin/sleep, '1000']}]\n"
    "  - name: pg\n"
    "    domain: [n3, n2, n1]\n"
    "    promotable: {}\n"
    "    load: {memory: 4}\n"
    "    resources:\n"
    "      - {name: pgsqld, type: script, path: /bin/true}\n"
    "      - {name: pgvip, type: ip, address: 198.51.100.50/24, network: priv}\n";

enum { WEB, WWW, PG };

struct fix {
    struct cfg *cfg;
    struct eventlog *events;
    struct cluster cl;
    struct gview gv;
    json_t *all; /* the last status */
};

/* Group g runs on node n as obs, every resource in state rs. */
static void put(struct fix *f, size_t g, size_t n, enum pol_obs obs, enum res_state rs)
{
    struct gnode *x = gview_at(&f->gv, g, n);
    x->obs = obs;
    x->promoted = obs == POL_OBS_PRIMARY || obs == POL_OBS_PROMOTING || obs == POL_OBS_DEMOTING;
    for (size_t r = 0; r < f->cfg->groups[g].n_resources; r++)
        x->rs[r] = (uint8_t)rs;
}

static const struct gview_hooks hooks = {0};

static int setup(void **state)
{
    struct fix *f = xcalloc(1, sizeof(*f));
    struct cfg_diags d;
    cfg_diags_init(&d);
    int r = cfg_load_string(yaml, strlen(yaml), "t.yaml", 0, &f->cfg, &d);
    if (r < 0)
        cfg_diags_print(&d, stderr);
    cfg_diags_clear(&d);
    assert_int_equal(r, 0);
    f->events = eventlog_new(64);
    cluster_init(&f->cl, f->cfg, f->events);
    f->cl.quorate = true;
    for (size_t n = 0; n < f->cfg->n_nodes; n++) {
        f->cl.nodes[n].online = true;
        f->cl.nodes[n].unseen = false;
        f->cl.nodes[n].fence = FENCE_STATE_CLEAN;
    }
    gview_init(&f->gv, f->cfg, &f->cl, f->events, db_new(f->cfg), NULL, &hooks, NULL);
    *state = f;
    for (size_t g = 0; g < f->cfg->n_groups; g++)
        for (size_t n = 0; n < f->cfg->n_nodes; n++)
            put(f, g, n, POL_OBS_STOPPED, RES_ST_STOPPED);
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    json_decref(f->all);
    gview_done(&f->gv);
    cluster_done(&f->cl);
    eventlog_free(f->events);
    cfg_free(f->cfg);
    free(f);
    return 0;
}

/* Node n's attribute master-pgsqld (the copy's promotion score). */
static void score(struct fix *f, size_t n, const char *value)
{
    char *err = NULL;
    int r = db_attr_set(f->gv.db, n, "master-pgsqld", value, DB_ATTR_REBOOT, (uint32_t)n + 1, &err);
    assert_int_equal(r, 1);
    free(err);
}

/* Group g's status entry (borrowed; valid until the next call). */
static json_t *status(struct fix *f, size_t g)
{
    json_decref(f->all);
    f->all = gview_status_json(&f->gv);
    assert_int_equal(json_array_size(f->all), f->cfg->n_groups);
    return json_array_get(f->all, g);
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

/* Copy i of a status entry: node, role (NULL: null), state, score (INT64_MIN: null). */
static void assert_copy(json_t *jg, size_t i, const char *node, const char *role, const char *state,
                        int64_t sc)
{
    json_t *c = json_array_get(json_object_get(jg, "copies"), i);
    assert_non_null(c);
    assert_string_equal(str(c, "node"), node);
    json_t *r = json_object_get(c, "role");
    if (role)
        assert_string_equal(json_string_value(r), role);
    else
        assert_true(json_is_null(r));
    assert_string_equal(str(c, "state"), state);
    json_t *s = json_object_get(c, "score");
    if (sc == INT64_MIN)
        assert_true(json_is_null(s));
    else
        assert_int_equal(json_integer_value(s), sc);
}

static void test_single_groups_unchanged(void **state)
{
    struct fix *f = *state;
    put(f, WEB, 1, POL_OBS_RUNNING, RES_ST_RUNNING);
    json_t *jg = status(f, WEB);
    assert_string_equal(str(jg, "kind"), "single");
    assert_string_equal(str(jg, "node"), "n2");
    assert_null(json_object_get(jg, "copies"));
    assert_null(json_object_get(jg, "primary"));
    assert_null(json_object_get(jg, "copies_wanted"));
    json_t *r0 = json_array_get(json_object_get(jg, "resources"), 0);
    assert_string_equal(str(r0, "state"), "running");
    assert_null(json_object_get(r0, "role"));
}

static void test_clone_copies(void **state)
{
    struct fix *f = *state;
    put(f, WWW, 0, POL_OBS_RUNNING, RES_ST_RUNNING);
    put(f, WWW, 1, POL_OBS_RUNNING, RES_ST_RUNNING);
    json_t *jg = status(f, WWW);
    assert_string_equal(str(jg, "kind"), "clone");
    assert_string_equal(str(jg, "state"), "running");
    assert_true(json_is_null(json_object_get(jg, "node")));
    assert_null(json_object_get(jg, "primary"));
    assert_int_equal(json_integer_value(json_object_get(jg, "copies_wanted")), 2);
    assert_int_equal(json_integer_value(json_object_get(jg, "primaries_wanted")), 0);
    assert_int_equal(json_array_size(json_object_get(jg, "copies")), 3);
    assert_copy(jg, 0, "n1", NULL, "running", INT64_MIN);
    assert_copy(jg, 1, "n2", NULL, "running", INT64_MIN);
    assert_copy(jg, 2, "n3", NULL, "stopped", INT64_MIN);
    json_t *c0 = json_array_get(json_object_get(jg, "copies"), 0);
    assert_string_equal(str(json_object_get(c0, "resources"), "httpd"), "running");
    /* Settled: the plan has nothing for any copy. */
    for (size_t i = 0; i < 3; i++)
        assert_null(json_object_get(json_array_get(json_object_get(jg, "copies"), i), "action"));

    /* The copy on n1 failed: the worst state shows on the resource. */
    put(f, WWW, 0, POL_OBS_FAILED, RES_ST_FAILED);
    jg = status(f, WWW);
    assert_copy(jg, 0, "n1", NULL, "failed", INT64_MIN);
    assert_string_equal(str(json_array_get(json_object_get(jg, "resources"), 0), "state"),
                        "failed");
}

static void test_clone_planned_starts(void **state)
{
    struct fix *f = *state;
    /* Nothing runs yet: the plan starts a copy on the first two nodes of the domain. */
    json_t *jg = status(f, WWW);
    assert_string_equal(str(jg, "state"), "starting");
    json_t *copies = json_object_get(jg, "copies");
    assert_string_equal(str(json_array_get(copies, 0), "action"), "start");
    assert_string_equal(str(json_array_get(copies, 1), "action"), "start");
    assert_null(json_object_get(json_array_get(copies, 2), "action"));
    assert_string_equal(str(json_array_get(json_object_get(jg, "resources"), 0), "state"),
                        "stopped");
}

static void test_promotable_copies(void **state)
{
    struct fix *f = *state;
    put(f, PG, 0, POL_OBS_RUNNING, RES_ST_RUNNING);
    put(f, PG, 1, POL_OBS_PRIMARY, RES_ST_RUNNING);
    put(f, PG, 2, POL_OBS_RUNNING, RES_ST_RUNNING);
    gview_at(&f->gv, PG, 0)->rs[1] = RES_ST_STOPPED; /* the address runs with the primary */
    gview_at(&f->gv, PG, 2)->rs[1] = RES_ST_STOPPED;
    score(f, 0, "5");
    score(f, 1, "1000");
    score(f, 2, "-INFINITY");
    json_t *jg = status(f, PG);
    assert_string_equal(str(jg, "kind"), "promotable");
    assert_string_equal(str(jg, "node"), "n2");
    assert_string_equal(str(jg, "primary"), "n2");
    assert_int_equal(json_integer_value(json_object_get(jg, "copies_wanted")), 3);
    assert_int_equal(json_integer_value(json_object_get(jg, "primaries_wanted")), 1);
    /* In the domain's order: n3, n2, n1. */
    assert_copy(jg, 0, "n3", "replica", "running", -1000000);
    assert_copy(jg, 1, "n2", "primary", "primary", 1000);
    assert_copy(jg, 2, "n1", "replica", "running", 5);
    json_t *c0 = json_array_get(json_object_get(jg, "copies"), 0);
    assert_string_equal(str(json_object_get(c0, "resources"), "pgvip"), "stopped");
    /* Each resource says its role. */
    json_t *res = json_object_get(jg, "resources");
    assert_string_equal(str(json_array_get(res, 0), "role"), "promotable");
    assert_string_equal(str(json_array_get(res, 1), "role"), "primary");
    assert_string_equal(str(json_array_get(res, 1), "state"), "running");

    /* A copy being promoted is the primary already; a stopped one has no role. */
    put(f, PG, 1, POL_OBS_STOPPED, RES_ST_STOPPED);
    put(f, PG, 2, POL_OBS_PROMOTING, RES_ST_RUNNING);
    jg = status(f, PG);
    assert_string_equal(str(jg, "primary"), "n3");
    assert_copy(jg, 0, "n3", "primary", "promoting", -1000000);
    assert_copy(jg, 1, "n2", NULL, "stopped", 1000);

    /* A demoted copy whose promoted resources may still run counts as primary. */
    put(f, PG, 2, POL_OBS_RUNNING, RES_ST_RUNNING);
    gview_at(&f->gv, PG, 2)->promoted = true;
    jg = status(f, PG);
    assert_copy(jg, 0, "n3", "primary", "running", -1000000);
}

static void test_promotable_without_primary(void **state)
{
    struct fix *f = *state;
    put(f, PG, 2, POL_OBS_STARTING, RES_ST_STARTING);
    json_t *jg = status(f, PG);
    /* No score anywhere: no copy can be promoted, and no primary. */
    assert_copy(jg, 0, "n3", "replica", "starting", INT64_MIN);
    assert_copy(jg, 2, "n1", NULL, "stopped", INT64_MIN);
    assert_true(json_is_null(json_object_get(jg, "primary")));
    assert_true(json_is_null(json_object_get(jg, "node")));
    /* The plan starts the other copies. */
    assert_string_equal(str(json_array_get(json_object_get(jg, "copies"), 1), "action"), "start");
}

/* The capacity status of node n for memory: used. */
static json_int_t mem_used(json_t *nodes, size_t n)
{
    json_t *v = json_object_get(
        json_object_get(json_object_get(json_array_get(nodes, n), "capacity"), "memory"), "used");
    assert_non_null(v);
    return json_integer_value(v);
}

static void test_capacity_counts_every_copy(void **state)
{
    struct fix *f = *state;
    put(f, WEB, 0, POL_OBS_RUNNING, RES_ST_RUNNING);
    put(f, WWW, 0, POL_OBS_RUNNING, RES_ST_RUNNING); /* n2's copy: a start is planned */
    put(f, PG, 0, POL_OBS_RUNNING, RES_ST_RUNNING);
    put(f, PG, 1, POL_OBS_PRIMARY, RES_ST_RUNNING);
    put(f, PG, 2, POL_OBS_FAILED, RES_ST_FAILED);
    json_decref(f->all);
    f->all = gview_status_json(&f->gv);
    json_t *nodes = json_array();
    for (size_t n = 0; n < 3; n++)
        json_array_append_new(nodes, json_pack("{s:s}", "name", f->cfg->nodes[n].name));
    gview_status_capacity(&f->gv, f->all, nodes);
    assert_int_equal(mem_used(nodes, 0), 1 + 2 + 4);
    assert_int_equal(mem_used(nodes, 1), 2 + 4);
    assert_int_equal(mem_used(nodes, 2), 4); /* a failed copy may still hold its memory */
    json_decref(nodes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_single_groups_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone_planned_starts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promotable_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promotable_without_primary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capacity_counts_every_copy, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
