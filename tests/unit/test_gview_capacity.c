/*
 * The nodes' capacity in vigil status (src/daemon/gview_capacity.c): per node
 * with a capacity, each name's total and the loads of the groups the status
 * shows there.
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

/* Three nodes, n3 without capacity; loads of memory and cpu; c is unlimited on n3. */
static const char *const yaml =
    "cluster: {name: t, key: /nonexistent/authkey}\n"
    "networks: [{name: priv}]\n"
    "nodes:\n"
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: {memory: 16, cpu: 8}}\n"
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: {memory: 16}}\n"
    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"
    "groups:\n"
    "  - name: a\n"
    "    domain: [n1, n2, n3]\n"
    "    load: {memory: 8, cpu: 2}\n"
    "    resources: [{name: ra, type: process, command: [/bin/sleep, '1000']}]\n"
    "  - name: b\n"
    "    domain: [n1, n2, n3]\n"
    "    load: {memory: 4}\n"
    "    resources: [{name: rb, type: process, command: [/bin/sleep, '1000']}]\n"
    "  - name: c\n"
    "    domain: [n1, n2, n3]\n"
    "    load: {memory: 4, cpu: 1}\n"
    "    resources: [{name: rc, type: process, command: [/bin/sleep, '1000']}]\n";

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

/* The status's node array: one {"name": N} per node. */
static json_t *nodes_json(const struct cfg *c)
{
    json_t *a = json_array();
    for (size_t n = 0; n < c->n_nodes; n++)
        json_array_append_new(a, json_pack("{s:s}", "name", c->nodes[n].name));
    return a;
}

/* {"name": G, "node": N or null} */
static json_t *group(const char *name, const char *node)
{
    return json_pack("{s:s, s:o}", "name", name, "node", node ? json_string(node) : json_null());
}

static void assert_cap(json_t *nodes, size_t n, const char *name, json_int_t used, json_int_t total)
{
    json_t *v = json_object_get(json_object_get(json_array_get(nodes, n), "capacity"), name);
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_object_get(v, "used")), used);
    assert_int_equal(json_integer_value(json_object_get(v, "total")), total);
}

static void test_used_is_the_sum_of_loads_there(void **state)
{
    (void)state;
    struct cfg *c = load(yaml);
    struct gview gv = {.cfg = c};
    json_t *nodes = nodes_json(c);
    json_t *groups = json_array();
    json_array_append_new(groups, group("a", "n1"));
    json_array_append_new(groups, group("b", "n1"));
    json_array_append_new(groups, group("c", "n3"));
    gview_status_capacity(&gv, groups, nodes);

    assert_cap(nodes, 0, "memory", 12, 16);
    assert_cap(nodes, 0, "cpu", 2, 8);
    /* n2 lists no cpu: 0 of it there. */
    assert_cap(nodes, 1, "memory", 0, 16);
    assert_cap(nodes, 1, "cpu", 0, 0);
    /* n3 declares no capacity: not limited, nothing shown. */
    assert_null(json_object_get(json_array_get(nodes, 2), "capacity"));
    /* Names in the file's order. */
    const char *key;
    json_t *v;
    const char *order[2];
    size_t i = 0;
    json_object_foreach(json_object_get(json_array_get(nodes, 0), "capacity"), key, v)
    {
        assert_true(i < 2);
        order[i++] = key;
    }
    assert_int_equal(i, 2);
    assert_string_equal(order[0], "memory");
    assert_string_equal(order[1], "cpu");
    json_decref(groups);
    json_decref(nodes);
    cfg_free(c);
}

static void test_groups_nowhere_or_unknown_count_nothing(void **state)
{
    (void)state;
    struct cfg *c = load(yaml);
    struct gview gv = {.cfg = c};
    json_t *nodes = nodes_json(c);
    json_array_append_new(nodes, json_pack("{s:s}", "name", "ghost"));
    json_t *groups = json_array();
    json_array_append_new(groups, group("a", NULL));
    json_array_append_new(groups, group("zz", "n1"));
    json_array_append_new(groups, group("b", "ghost"));
    json_array_append_new(groups, json_integer(3));
    gview_status_capacity(&gv, groups, nodes);
    assert_cap(nodes, 0, "memory", 0, 16);
    assert_cap(nodes, 0, "cpu", 0, 8);
    assert_null(json_object_get(json_array_get(nodes, 3), "capacity"));
    json_decref(groups);
    json_decref(nodes);
    cfg_free(c);
}

static void test_no_capacity_anywhere_adds_nothing(void **state)
{
    (void)state;
    struct cfg *c = load("cluster: {name: t, key: /nonexistent/authkey}\n"
                         "networks: [{name: priv}]\n"
                         "nodes:\n"
                         "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n");
    struct gview gv = {.cfg = c};
    json_t *nodes = nodes_json(c);
    json_t *groups = json_array();
    gview_status_capacity(&gv, groups, nodes);
    assert_null(json_object_get(json_array_get(nodes, 0), "capacity"));
    json_decref(groups);
    json_decref(nodes);
    cfg_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_used_is_the_sum_of_loads_there),
        cmocka_unit_test(test_groups_nowhere_or_unknown_count_nothing),
        cmocka_unit_test(test_no_capacity_anywhere_adds_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
