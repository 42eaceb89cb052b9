/*
 * A configuration change on this node (src/daemon/cfgchange.c) with the real
 * local resource manager and real processes: the groups a new configuration
 * removes stop, a changed group stops only from its first changed resource,
 * an untouched group keeps running, and the node is ready only once all of
 * that has happened. Replaced configurations are kept while a node is being
 * fenced.
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
#include <uv.h>

#include "base/util.h"
#include "cfg_helpers.h"
#include "config/config.h"
#include "config/diff.h"
#include "daemon/cfgchange.h"
#include "daemon/cluster.h"
#include "daemon/eventlog.h"
#include "daemon/lrm.h"
#include "loop_helpers.h"

#define HEAD                                                                                       \
    "cluster: {name: t}\n"                                                                         \
    "networks: [{name: lan}]\n"                                                                    \
    "nodes:\n"                                                                                     \
    "  - {name: n1, id: 1, addresses: {lan: 192.0.2.1}}\n"                                         \
    "  - {name: n2, id: 2, addresses: {lan: 192.0.2.2}}\n"                                         \
    "fencing: {enabled: false}\n"                                                                  \
    "groups:\n"

#define SLEEP(name) "      - {name: " name ", type: process, command: [/bin/sleep, '60']}\n"

static const char *old_text =
    HEAD "  - name: app\n"
         "    domain: [n1, n2]\n"
         "    resources:\n" SLEEP("first")
             SLEEP("second") "  - name: gone\n"
                             "    domain: [n1, n2]\n"
                             "    resources:\n" SLEEP("only") "  - name: calm\n"
                                                              "    domain: [n1, n2]\n"
                                                              "    resources:\n" SLEEP("still");

/* app's second resource changes; gone is removed; calm is untouched. */
static const char *new_text =
    HEAD "  - name: app\n"
         "    domain: [n1, n2]\n"
         "    resources:\n" SLEEP("first") "      - {name: second, type: process, command: "
                                           "[/bin/sleep, '61']}\n"
                                           "  - name: calm\n"
                                           "    domain: [n1, n2]\n"
                                           "    resources:\n" SLEEP("still");

static int reports;
static void on_report(void *ctx, size_t g)
{
    reports++;
}
static void on_failure(void *ctx, size_t g, size_t r, enum db_fail_kind kind, const char *reason)
{
    fail_msg("unexpected failure of group %zu resource %zu: %s", g, r, reason);
}
static void on_all_stopped(void *ctx, bool ok)
{
}
static const struct lrm_hooks lrm_hooks = {
    .report = on_report, .failure = on_failure, .all_stopped = on_all_stopped};

/* Turns the loop until done(arg) or 10 s pass; returns done(arg). */
static bool run_until(bool (*done)(void *arg), void *arg)
{
    return loop_run_until(done, arg, 10000);
}

static bool probed(void *arg)
{
    return lrm_probed(arg);
}

static bool all_running(void *arg)
{
    struct lrm *l = arg;
    for (size_t g = 0; g < l->cfg->n_groups; g++)
        if (lrm_obs(l, g) != POL_OBS_RUNNING || !lrm_idle(l, g))
            return false;
    return true;
}

struct ready_arg {
    struct cfgchange *c;
    const struct cfg *cfg;
    struct lrm *l;
};

static bool is_ready(void *arg)
{
    struct ready_arg *a = arg;
    char *err = NULL;
    enum cfgchange_ready r = cfgchange_ready(a->c, a->cfg, a->l, "n1", &err);
    free(err);
    return r == CFGCHANGE_READY;
}

static int setup(void **state)
{
    return loop_setup("cfgchange");
}

static int teardown(void **state)
{
    return loop_teardown();
}

static void test_prepare_stops_only_what_changes(void **state)
{
    struct cfg *old = load_yaml(old_text), *next = load_yaml(new_text);
    struct lrm *l = lrm_new(&test_loop, old, 0, test_dir, &lrm_hooks, NULL);
    lrm_probe_all(l);
    assert_true(run_until(probed, l));
    for (size_t g = 0; g < old->n_groups; g++)
        lrm_start(l, g);
    assert_true(run_until(all_running, l));

    struct cfg_diff diff;
    cfg_diff(old, next, &diff);
    struct cfgchange c = {0};
    assert_false(cfgchange_pending(&c));
    cfgchange_prepare(&c, old, &diff, l);
    assert_true(cfgchange_pending(&c));
    assert_true(cfgchange_affects(&c, 0));  /* app: from "second" on */
    assert_true(cfgchange_affects(&c, 1));  /* gone */
    assert_false(cfgchange_affects(&c, 2)); /* calm */
    char *err = NULL;
    assert_int_equal(cfgchange_ready(&c, old, l, "n1", &err), CFGCHANGE_WAIT);
    assert_null(err);

    struct ready_arg a = {.c = &c, .cfg = old, .l = l};
    assert_true(run_until(is_ready, &a));
    /* app keeps its first resource; only the second stopped. */
    assert_int_equal(l->groups[0]->rs[0], RES_ST_RUNNING);
    assert_int_equal(l->groups[0]->rs[1], RES_ST_STOPPED);
    assert_true(lrm_stopped_from(l, 0, 1));
    assert_int_equal(lrm_obs(l, 1), POL_OBS_STOPPED);
    assert_int_equal(lrm_obs(l, 2), POL_OBS_RUNNING);

    cfgchange_clear(&c);
    assert_false(cfgchange_pending(&c));
    assert_false(cfgchange_affects(&c, 0));
    assert_int_equal(cfgchange_ready(&c, old, l, "n1", &err), CFGCHANGE_WAIT);

    cfg_diff_clear(&diff);
    lrm_free(l);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfgchange_done(&c);
    cfg_free(next);
    cfg_free(old);
}

static void test_without_lrm_ready_at_once(void **state)
{
    struct cfg *old = load_yaml(old_text), *next = load_yaml(new_text);
    struct cfg_diff diff;
    cfg_diff(old, next, &diff);
    struct cfgchange c = {0};
    cfgchange_prepare(&c, old, &diff, NULL);
    char *err = NULL;
    assert_int_equal(cfgchange_ready(&c, old, NULL, "n1", &err), CFGCHANGE_READY);
    cfg_diff_clear(&diff);
    cfgchange_done(&c);
    cfg_free(next);
    cfg_free(old);
}

static void test_retired_kept_while_fencing(void **state)
{
    struct cfg *cur = load_yaml(new_text);
    struct eventlog *ev = eventlog_new(16);
    struct cluster cl;
    cluster_init(&cl, cur, ev);
    struct cfgchange c = {0};

    cl.nodes[1].fencing = true;
    cfgchange_retire(&c, load_yaml(old_text), &cl);
    cfgchange_retire(&c, load_yaml(old_text), &cl);
    assert_int_equal(c.n_retired, 2);
    cfgchange_free_retired(&c, &cl);
    assert_int_equal(c.n_retired, 2); /* a fence operation may point into them */
    cl.nodes[1].fencing = false;
    cfgchange_free_retired(&c, &cl);
    assert_int_equal(c.n_retired, 0);
    /* Nobody fencing: freed at once. */
    cfgchange_retire(&c, load_yaml(old_text), &cl);
    assert_int_equal(c.n_retired, 0);
    /* Full: the oldest are not kept beyond the bound (no leak either way). */
    cl.nodes[0].fencing = true;
    for (int i = 0; i < CFGCHANGE_MAX_RETIRED + 2; i++)
        cfgchange_retire(&c, load_yaml(old_text), &cl);
    assert_int_equal(c.n_retired, CFGCHANGE_MAX_RETIRED);
    cfgchange_done(&c);
    assert_int_equal(c.n_retired, 0);
    cluster_done(&cl);
    eventlog_free(ev);
    cfg_free(cur);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prepare_stops_only_what_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_lrm_ready_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retired_kept_while_fencing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
