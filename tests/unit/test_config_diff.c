/* What changes between two configurations (src/config/diff.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "config/diff.h"

#define HEAD                                                                                       \
    "cluster: {name: d}\n"                                                                         \
    "networks: [{name: priv}]\n"                                                                   \
    "nodes:\n"                                                                                     \
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"                                        \
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"                                        \
    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"
#define WEB                                                                                        \
    "  - name: web\n    domain: [n1, n2]\n    resources:\n"                                        \
    "      - {name: vip, type: ip, address: 192.0.2.100/24, network: priv}\n"                      \
    "      - {name: www, type: process, command: [/bin/sleep, '100']}\n"
#define DB                                                                                         \
    "  - name: db\n    domain: [n2, n3]\n    resources:\n"                                         \
    "      - {name: db-vip, type: ip, address: 192.0.2.101/24, network: priv}\n"

static struct cfg *load(const char *text)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    int r = cfg_load_string(text, strlen(text), "t.yaml", 0, &c, &d);
    if (r != 0)
        cfg_diags_print(&d, stderr);
    assert_int_equal(r, 0);
    cfg_diags_clear(&d);
    return c;
}

static const struct cfg_group_diff *group(const struct cfg_diff *d, const char *name)
{
    for (size_t i = 0; i < d->n_groups; i++)
        if (strcmp(d->groups[i].name, name) == 0)
            return &d->groups[i];
    fail_msg("group %s not in the diff", name);
    return NULL;
}

static void test_identical(void **state)
{
    (void)state;
    struct cfg *a = load(HEAD "groups:\n" WEB DB), *b = load(HEAD "groups:\n" WEB DB);
    struct cfg_diff d;
    cfg_diff(a, b, &d);
    assert_true(cfg_diff_empty(&d));
    assert_int_equal(d.n_groups, 2);
    assert_int_equal(group(&d, "web")->change, CFG_CHANGE_NONE);
    cfg_diff_clear(&d);
    cfg_free(a);
    cfg_free(b);
}

static void test_group_added_removed_reordered(void **state)
{
    (void)state;
    /* db removed, web moved from first to second place behind a new group. */
    struct cfg *a = load(HEAD "groups:\n" WEB DB);
    struct cfg *b =
        load(HEAD "groups:\n"
                  "  - name: mail\n    domain: [n3]\n    resources:\n"
                  "      - {name: mta, type: process, command: [/bin/sleep, '7']}\n" WEB);
    struct cfg_diff d;
    cfg_diff(a, b, &d);
    assert_false(cfg_diff_empty(&d));
    assert_int_equal(d.n_groups, 3);
    assert_int_equal(cfg_diff_n_changed(&d), 2);
    const struct cfg_group_diff *w = group(&d, "web");
    assert_int_equal(w->change, CFG_CHANGE_NONE);
    assert_int_equal(w->old_index, 0);
    assert_int_equal(w->new_index, 1);
    assert_int_equal(group(&d, "db")->change, CFG_CHANGE_REMOVED);
    assert_int_equal(group(&d, "db")->new_index, -1);
    assert_int_equal(group(&d, "mail")->change, CFG_CHANGE_ADDED);
    assert_int_equal(group(&d, "mail")->old_index, -1);
    assert_int_equal(d.n_core, 0);
    cfg_diff_clear(&d);
    cfg_free(a);
    cfg_free(b);
}

static void test_resources_modified(void **state)
{
    (void)state;
    struct cfg *a = load(HEAD "groups:\n" WEB DB);
    struct cfg *b =
        load(HEAD "groups:\n"
                  "  - name: web\n    domain: [n1, n2]\n    resources:\n"
                  "      - {name: vip, type: ip, address: 192.0.2.100/24, network: priv}\n"
                  "      - {name: www, type: process, command: [/bin/sleep, '200']}\n"
                  "      - {name: cron, type: process, command: [/bin/sleep, '9']}\n"
                  "  - name: db\n    domain: [n3, n2]\n    resources:\n"
                  "      - {name: db-vip, type: ip, address: 192.0.2.101/24, network: "
                  "priv}\n");
    struct cfg_diff d;
    cfg_diff(a, b, &d);
    const struct cfg_group_diff *w = group(&d, "web");
    assert_int_equal(w->change, CFG_CHANGE_MODIFIED);
    assert_false(w->settings);
    assert_int_equal(w->n_res, 2);
    assert_string_equal(w->res[0].name, "www");
    assert_int_equal(w->res[0].change, CFG_CHANGE_MODIFIED);
    assert_string_equal(w->res[1].name, "cron");
    assert_int_equal(w->res[1].change, CFG_CHANGE_ADDED);
    assert_int_equal(w->keep, 1); /* vip is kept running */
    const struct cfg_group_diff *g = group(&d, "db");
    assert_int_equal(g->keep, 1); /* only the domain changed */
    assert_int_equal(g->change, CFG_CHANGE_MODIFIED);
    assert_true(g->settings); /* the domain's order */
    assert_int_equal(g->n_res, 0);
    cfg_diff_clear(&d);
    cfg_free(a);
    cfg_free(b);
}

static void test_resource_order_only(void **state)
{
    (void)state;
    struct cfg *a = load(HEAD "groups:\n" WEB);
    struct cfg *b = load(HEAD "groups:\n"
                              "  - name: web\n    domain: [n1, n2]\n    resources:\n"
                              "      - {name: www, type: process, command: [/bin/sleep, '100']}\n"
                              "      - {name: vip, type: ip, address: 192.0.2.100/24, network: "
                              "priv}\n");
    struct cfg_diff d;
    cfg_diff(a, b, &d);
    const struct cfg_group_diff *w = group(&d, "web");
    assert_int_equal(w->change, CFG_CHANGE_MODIFIED);
    assert_true(w->order);
    assert_int_equal(w->n_res, 0);
    assert_int_equal(w->keep, 0);
    cfg_diff_clear(&d);
    cfg_free(a);
    cfg_free(b);
}

static void test_core_sections(void **state)
{
    (void)state;
    struct cfg *a = load(HEAD "groups:\n" WEB);
    struct cfg *b = load("cluster: {name: d}\n"
                         "heartbeat: {interval: 50ms}\n"
                         "networks: [{name: priv}]\n"
                         "nodes:\n"
                         "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
                         "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
                         "  - {name: n4, id: 4, addresses: {priv: 192.0.2.4}}\n"
                         "quorum: {no_quorum: freeze}\n"
                         "groups:\n" WEB);
    struct cfg_diff d;
    cfg_diff(a, b, &d);
    assert_int_equal(d.n_core, 2);
    assert_string_equal(d.core[0], "heartbeat");
    assert_string_equal(d.core[1], "nodes");
    assert_true(d.no_quorum);
    assert_int_equal(cfg_diff_n_changed(&d), 0);
    cfg_diff_clear(&d);
    cfg_free(a);
    cfg_free(b);
}

/* Unchanged definitions move into the new configuration; pointers into them survive. */
static void test_transplant(void **state)
{
    (void)state;
    struct cfg *a = load(HEAD "groups:\n" DB WEB);
    struct cfg *b = load(HEAD "groups:\n" WEB "  - name: db\n    domain: [n3]\n    resources:\n"
                              "      - {name: db-vip, type: ip, address: 192.0.2.101/24, network: "
                              "priv}\n");
    const struct cfg_resource *www = &a->groups[1].resources[1];
    const struct cfg_resource *dbvip = &a->groups[0].resources[0];
    const char *dbvip_name = dbvip->name;
    struct cfg_diff d;
    cfg_diff(a, b, &d);
    cfg_transplant_unchanged(b, a, &d);
    cfg_diff_clear(&d);
    cfg_free(a);
    /* web was unchanged: b now holds the very definition www pointed into. */
    assert_ptr_equal(&b->groups[0].resources[1], www);
    assert_string_equal(www->name, "www");
    assert_string_equal(www->argv[1], "100");
    /* db changed (its domain) but keeps its resource: the definition's contents moved. */
    assert_ptr_not_equal(&b->groups[1].resources[0], dbvip);
    assert_int_equal(b->groups[1].n_domain, 1);
    assert_ptr_equal(b->groups[1].resources[0].name, dbvip_name);
    assert_string_equal(b->groups[1].resources[0].address, "192.0.2.101/24");
    cfg_free(b);
}

static void test_change_names(void **state)
{
    (void)state;
    assert_string_equal(cfg_change_name(CFG_CHANGE_ADDED), "added");
    assert_string_equal(cfg_change_name(CFG_CHANGE_REMOVED), "removed");
    assert_string_equal(cfg_change_name(CFG_CHANGE_MODIFIED), "modified");
    assert_string_equal(cfg_change_name(CFG_CHANGE_MAX), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical),
        cmocka_unit_test(test_group_added_removed_reordered),
        cmocka_unit_test(test_resources_modified),
        cmocka_unit_test(test_resource_order_only),
        cmocka_unit_test(test_core_sections),
        cmocka_unit_test(test_transplant),
        cmocka_unit_test(test_change_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
