/*
 * The `vigil config` requests (src/daemon/cfgctl.c) on one node that runs a
 * configuration: what `vigil config diff` is told of a new file, as JSON,
 * and what an apply of a file that changes nothing answers. The cluster is
 * a single node that never joined (no quorum): a diff needs none.
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
#include "cfg_helpers.h"
#include "daemon/cfgctl.h"
#include "daemon/cluster.h"
#include "daemon/eventlog.h"
#include "daemon/gview.h"

struct node {
    char dir[64];
    char *key, *path, *text;
    struct cfg *cfg;
    struct eventlog *events;
    struct cluster cl;
    struct gview gv;
    struct cfgsync cs;
    struct cfgctl cc;
};

static const struct gview_hooks no_gview_hooks;
static const struct cfgsync_hooks no_cfgsync_hooks;

static void no_send(void *ctx, uint64_t token, json_t *reply)
{
    json_decref(reply);
}

/*
 * The file the node runs, or a variant: capacity is n1's capacity line
 * ("" for none), hook adds a hook.
 */
static char *config_text(const struct node *n, const char *capacity, bool hook)
{
    return xasprintf("cluster: {name: t, key: %s}\n"
                     "networks: [{name: priv}]\n"
                     "nodes:\n"
                     "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}%s}\n"
                     "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
                     "fencing: {enabled: false}\n"
                     "%s"
                     "groups:\n"
                     "  - name: web\n"
                     "    domain: [n1, n2]\n"
                     "    resources:\n"
                     "      - {name: www, type: process, command: [/bin/sleep, '1000']}\n",
                     n->key, capacity,
                     hook ? "hooks: [{name: h, command: [/bin/true], events: [node_left]}]\n" : "");
}

static int setup(void **state)
{
    struct node *n = xcalloc(1, sizeof(*n));
    snprintf(n->dir, sizeof(n->dir), "/tmp/vigil-cfgctl-XXXXXX");
    if (!mkdtemp(n->dir))
        return -1;
    n->key = write_key(n->dir, "authkey", 128, 0400);
    n->path = xasprintf("%s/vigil.yaml", n->dir);
    n->text = config_text(n, ", capacity: {memory: 16}", false);
    n->cfg = load_yaml(n->text);
    n->events = eventlog_new(100);
    cluster_init(&n->cl, n->cfg, n->events);
    gview_init(&n->gv, n->cfg, &n->cl, n->events, db_new(n->cfg), NULL, &no_gview_hooks, n);
    char *err = NULL;
    if (cfgsync_init(&n->cs, NULL, &n->cl, n->cfg, n->path, n->text, n->dir, &no_cfgsync_hooks, n,
                     &err) < 0) {
        fprintf(stderr, "cfgsync_init: %s\n", err);
        free(err);
        return -1;
    }
    cfgctl_init(&n->cc, &n->cs, &n->gv, n->path, no_send, n);
    *state = n;
    return 0;
}

static int teardown(void **state)
{
    struct node *n = *state;
    cfgctl_done(&n->cc);
    cfgsync_done(&n->cs);
    gview_done(&n->gv);
    cluster_done(&n->cl);
    eventlog_free(n->events);
    cfg_free(n->cfg);
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", n->dir);
    int r = system(cmd);
    free(n->key);
    free(n->path);
    free(n->text);
    free(n);
    return r == 0 ? 0 : -1;
}

/* The reply to `config OP` of text (named new.yaml); asserted ok; owned by the caller. */
static json_t *request(struct node *n, const char *op, const char *text)
{
    json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "cmd", "config", "op", op, "text", text, "name",
                            "new.yaml");
    bool defer = false;
    json_t *reply = cfgctl_request(&n->cc, req, 1, &defer);
    json_decref(req);
    assert_false(defer);
    assert_non_null(reply);
    if (!json_is_true(json_object_get(reply, "ok")))
        fail_msg("refused: %s", json_string_value(json_object_get(reply, "error")));
    return reply;
}

static bool flag(json_t *reply, const char *key)
{
    json_t *v = json_object_get(json_object_get(json_object_get(reply, "result"), "diff"), key);
    assert_true(json_is_boolean(v));
    return json_is_true(v);
}

static bool changed(json_t *reply)
{
    return json_is_true(json_object_get(json_object_get(reply, "result"), "changed"));
}

/* A node's capacity changed, nothing else: the diff says so (and nothing of the groups). */
static void test_diff_of_a_capacity_change_alone(void **state)
{
    struct node *n = *state;
    _cleanup_free_ char *text = config_text(n, ", capacity: {memory: 32}", false);
    json_t *reply = request(n, "diff", text);
    assert_true(changed(reply));
    assert_true(flag(reply, "capacity"));
    assert_false(flag(reply, "hooks"));
    assert_false(flag(reply, "no_quorum"));
    json_t *diff = json_object_get(json_object_get(reply, "result"), "diff");
    assert_int_equal(json_array_size(json_object_get(diff, "groups")), 0);
    assert_int_equal(json_array_size(json_object_get(diff, "restart_needed")), 0);
    json_decref(reply);
    /* Without the capacity (unlimited) is a change too. */
    _cleanup_free_ char *none = config_text(n, "", false);
    reply = request(n, "diff", none);
    assert_true(changed(reply));
    assert_true(flag(reply, "capacity"));
    json_decref(reply);
}

static void test_diff_of_hooks_and_of_nothing(void **state)
{
    struct node *n = *state;
    _cleanup_free_ char *text = config_text(n, ", capacity: {memory: 16}", true);
    json_t *reply = request(n, "diff", text);
    assert_true(changed(reply));
    assert_true(flag(reply, "hooks"));
    assert_false(flag(reply, "capacity"));
    json_decref(reply);
    reply = request(n, "diff", n->text);
    assert_false(changed(reply));
    assert_false(flag(reply, "capacity"));
    json_decref(reply);
    /* An apply of the same content changes nothing, and says so. */
    reply = request(n, "apply", n->text);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(reply, "result"), "message")),
        "no change: version 1 already has this content");
    json_decref(reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_diff_of_a_capacity_change_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_of_hooks_and_of_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
