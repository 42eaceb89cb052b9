/*
 * Hooks (src/daemon/hooks.c) with a real libuv loop and small shell scripts:
 * events reach a hook in order with their variables and JSON, never two at
 * once for one hook; a hanging hook is killed at its timeout and a failing one
 * stops nothing; filters, where a hook runs, the queue bound, a new
 * configuration.
 */
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
#include "daemon/hooks.h"

static char dir[64];
static uv_loop_t loop;

static int setup(void **state)
{
    uv_loop_init(&loop);
    snprintf(dir, sizeof(dir), "/tmp/vigil-hooks-test-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static void write_script(const char *name, const char *body)
{
    _cleanup_free_ char *path = path_of(name);
    _cleanup_free_ char *text = xasprintf("#!/bin/sh\n%s\n", body);
    assert_int_equal(write_file_atomic(path, text, strlen(text), 0755), 0);
}

static char *slurp(const char *name)
{
    _cleanup_free_ char *path = path_of(name);
    char *buf = NULL;
    size_t len;
    if (read_file(path, 1 << 20, &buf, &len) < 0)
        return xstrdup("");
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void on_deadline(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

/* Turns the loop until name has at least lines lines (or 10 s pass). */
static char *wait_lines(const char *name, size_t lines)
{
    bool late = false;
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &late;
    uv_timer_start(&t, on_deadline, 10000, 0);
    char *s = NULL;
    for (;;) {
        free(s);
        s = slurp(name);
        if (count_lines(s) >= lines || late)
            break;
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return s;
}

static struct cfg *load(const char *hooks)
{
    _cleanup_free_ char *text =
        xasprintf("cluster: {name: hk}\nnetworks: [{name: priv}]\nnodes:\n"
                  "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
                  "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\nhooks:\n%s",
                  hooks);
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    if (cfg_load_string(text, strlen(text), "h.yaml", 0, &c, &d) != 0)
        cfg_diags_print(&d, stderr);
    assert_non_null(c);
    cfg_diags_clear(&d);
    return c;
}

/* Events point at these (struct event's strings are not const). */
static char s_n1[] = "n1", s_n2[] = "n2", s_web[] = "web",
            s_msg[] = "group web moved from n2 to n1";

static struct event ev_of(enum event_type type, uint64_t seq, char *node, char *group, char *msg)
{
    static char empty[] = "";
    return (struct event){.seq = seq,
                          .ts_ms = 1795341600123,
                          .type = type,
                          .node = node,
                          .group = group,
                          .duration_ms = -1,
                          .message = msg ? msg : empty};
}

/* In order, one at a time, with the variables and the JSON. */
static void test_order_variables_and_json(void **state)
{
    write_script("rec", "echo \"start $VIGIL_SEQ $VIGIL_EVENT node=$VIGIL_NODE "
                        "group=$VIGIL_GROUP hook=$VIGIL_HOOK local=$VIGIL_LOCAL_NODE "
                        "cluster=$VIGIL_CLUSTER mail=$MAIL_TO\" >> \"$1/rec.log\"\n"
                        "cat > \"$1/stdin.$VIGIL_SEQ\"\n"
                        "sleep 0.2\n"
                        "echo \"end $VIGIL_SEQ\" >> \"$1/rec.log\"");
    _cleanup_free_ char *hooks = xasprintf("  - name: rec\n    command: [%s/rec, %s]\n"
                                           "    events: [node_lost, group_moved]\n"
                                           "    environment: {MAIL_TO: ops}\n",
                                           dir, dir);
    struct cfg *c = load(hooks);
    struct hooks *h = hooks_new(&loop, c, "n1");
    struct event a = ev_of(EV_NODE_LEFT, 7, s_n2, NULL, NULL);
    struct event b = ev_of(EV_GROUP_MOVED, 8, s_n1, s_web, s_msg);
    struct event skip = ev_of(EV_GROUP_STARTED, 9, s_n1, s_web, NULL);
    struct event c3 = ev_of(EV_NODE_LEFT, 10, s_n2, NULL, NULL);
    hooks_event(h, &a, true, true);
    hooks_event(h, &b, false, true);
    hooks_event(h, &skip, false, true);
    hooks_event(h, &c3, false, true); /* node_left, not node_lost: not asked for */
    _cleanup_free_ char *log = wait_lines("rec.log", 4);
    assert_string_equal(log, "start 7 node_lost node=n2 group= hook=rec local=n1 cluster=hk "
                             "mail=ops\nend 7\n"
                             "start 8 group_moved node=n1 group=web hook=rec local=n1 cluster=hk "
                             "mail=ops\nend 8\n");
    _cleanup_free_ char *in = slurp("stdin.8");
    json_t *j = json_loads(in, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "event")), "group_moved");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "group_moved");
    assert_string_equal(json_string_value(json_object_get(j, "group")), "web");
    assert_string_equal(json_string_value(json_object_get(j, "message")),
                        "group web moved from n2 to n1");
    assert_string_equal(json_string_value(json_object_get(j, "local_node")), "n1");
    json_decref(j);
    hooks_free(h);
    cfg_free(c);
}

/* A hanging hook is killed at its timeout; a failing one; the next events still run. */
static void test_timeout_and_failure_do_not_block(void **state)
{
    write_script("hang", "echo \"$VIGIL_SEQ\" >> \"$1/hang.log\"\n"
                         "[ \"$VIGIL_SEQ\" = 1 ] && exec sleep 30\n"
                         "[ \"$VIGIL_SEQ\" = 2 ] && exit 1\n"
                         "exit 0");
    _cleanup_free_ char *hooks = xasprintf(
        "  - {name: hang, command: [%s/hang, %s], events: [all], timeout: 300ms}\n", dir, dir);
    struct cfg *c = load(hooks);
    struct hooks *h = hooks_new(&loop, c, "n1");
    for (uint64_t seq = 1; seq <= 3; seq++) {
        struct event e = ev_of(EV_QUORUM_LOST, seq, NULL, NULL, NULL);
        hooks_event(h, &e, false, true);
    }
    /* Within wait_lines' 10 s: the sleep 30 did not hold the queue. */
    _cleanup_free_ char *log = wait_lines("hang.log", 3);
    assert_string_equal(log, "1\n2\n3\n");
    hooks_free(h);
    cfg_free(c);
}

/* Where it runs: a hook for one node per partition runs only there; every_node everywhere. */
static void test_one_node_or_every_node(void **state)
{
    write_script("one", "echo one >> \"$1/where.log\"");
    /* every writes late: had one run too, its line would come first. */
    write_script("every", "sleep 0.3; echo every >> \"$1/where.log\"");
    _cleanup_free_ char *hooks =
        xasprintf("  - {name: one, command: [%s/one, %s], events: [quorum_lost]}\n"
                  "  - {name: every, command: [%s/every, %s], events: [quorum_lost], "
                  "every_node: true}\n",
                  dir, dir, dir, dir);
    struct cfg *c = load(hooks);
    struct hooks *h = hooks_new(&loop, c, "n2");
    struct event e = ev_of(EV_QUORUM_LOST, 1, NULL, NULL, NULL);
    hooks_event(h, &e, false, false); /* not the node that runs them */
    _cleanup_free_ char *log = wait_lines("where.log", 1);
    assert_string_equal(log, "every\n");
    hooks_free(h);
    cfg_free(c);
}

/* A new configuration: a removed hook's queue goes, a kept one carries on. */
static void test_new_configuration(void **state)
{
    write_script("slow", "echo \"$VIGIL_HOOK $VIGIL_SEQ\" >> \"$1/cfg.log\"; sleep 0.3");
    _cleanup_free_ char *both =
        xasprintf("  - {name: keep, command: [%s/slow, %s], events: [all]}\n"
                  "  - {name: gone, command: [%s/slow, %s], events: [all]}\n",
                  dir, dir, dir, dir);
    _cleanup_free_ char *one =
        xasprintf("  - {name: keep, command: [%s/slow, %s], events: [all]}\n", dir, dir);
    struct cfg *c1 = load(both), *c2 = load(one);
    struct hooks *h = hooks_new(&loop, c1, "n1");
    for (uint64_t seq = 1; seq <= 2; seq++) {
        struct event e = ev_of(EV_ADMIN, seq, NULL, NULL, NULL);
        hooks_event(h, &e, false, true);
    }
    hooks_set_cfg(h, c2);
    cfg_free(c1);
    _cleanup_free_ char *log = wait_lines("cfg.log", 3);
    /* keep ran both events; gone's first run was killed before or after it wrote. */
    assert_non_null(strstr(log, "keep 1\n"));
    assert_non_null(strstr(log, "keep 2\n"));
    assert_null(strstr(log, "gone 2"));
    hooks_free(h);
    cfg_free(c2);
}

static void test_event_mapping(void **state)
{
    struct event e = ev_of(EV_NODE_LEFT, 1, s_n2, NULL, NULL);
    assert_int_equal(hooks_event_of(&e, true), CFG_HOOK_NODE_LOST);
    assert_int_equal(hooks_event_of(&e, false), CFG_HOOK_NODE_LEFT);
    e.type = EV_FENCE_CONFIRMED;
    assert_int_equal(hooks_event_of(&e, false), CFG_HOOK_NODE_FENCED);
    e.type = EV_FENCE_FAILED;
    assert_int_equal(hooks_event_of(&e, false), CFG_HOOK_FENCE_FAILED);
    e.type = EV_LINK_DOWN;
    assert_int_equal(hooks_event_of(&e, false), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_variables_and_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_and_failure_do_not_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_node_or_every_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_configuration, setup, teardown),
        cmocka_unit_test(test_event_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
