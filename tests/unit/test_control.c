/*
 * Unit tests for the control protocol (src/daemon/ctl.c) and the status
 * object built from the cluster view (src/daemon/cluster.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/cluster.h"
#include "daemon/ctl.h"
#include "daemon/peer.h"

static const char *const yaml = "cluster: {name: demo, key: /nonexistent/authkey}\n"
                                "networks: [{name: priv}, {name: pub}]\n"
                                "nodes:\n"
                                "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1, pub: "
                                "198.51.100.1}}\n"
                                "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2, pub: "
                                "198.51.100.2}}\n"
                                "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3, pub: "
                                "198.51.100.3}}\n"
                                "groups:\n"
                                "  - name: web\n"
                                "    domain: [n1, n2]\n"
                                "    resources:\n"
                                "      - {name: vip, type: ip, address: 198.51.100.100/24, "
                                "network: pub}\n"
                                "      - {name: www, type: process, command: [/bin/sleep, "
                                "'100']}\n";

struct fixture {
    struct cfg *cfg;
    struct eventlog *events;
    struct cluster cl;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct cfg_diags d;
    cfg_diags_init(&d);
    if (cfg_load_string(yaml, strlen(yaml), "test.yaml", 0, &f->cfg, &d) < 0) {
        cfg_diags_print(&d, stderr);
        return -1;
    }
    cfg_diags_clear(&d);
    f->events = eventlog_new(100);
    cluster_init(&f->cl, f->cfg, f->events);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    cluster_done(&f->cl);
    eventlog_free(f->events);
    cfg_free(f->cfg);
    free(f);
    return 0;
}

/* Runs one request and returns the reply (caller decrefs). */
static json_t *request(struct fixture *f, const char *line, struct ctl_result *res)
{
    struct ctl_result local;
    if (!res)
        res = &local;
    ctl_handle(&f->cl, line, strlen(line), res);
    assert_non_null(res->reply);
    return res->reply;
}

static void assert_error(struct fixture *f, const char *line, const char *want)
{
    json_t *r = request(f, line, NULL);
    assert_true(json_is_false(json_object_get(r, "ok")));
    const char *err = json_string_value(json_object_get(r, "error"));
    assert_non_null(err);
    if (!strstr(err, want))
        fail_msg("request %s: error '%s' does not contain '%s'", line, err, want);
    if (strpbrk(err, "\r\n"))
        fail_msg("request %s: error '%s' is not one line", line, err);
    json_decref(r);
}

/*
 * An error quotes the request's words on one line (found by fuzzing: a
 * newline in a command's name, or in the text jansson quotes, split the
 * error), and a word cut short inside a character still makes a reply (a
 * name cut at 64 bytes in the middle of a character was no UTF-8: there was
 * no reply at all, and the client got "internal error").
 */
static void test_error_replies_one_line(void **state)
{
    struct fixture *f = *state;
    assert_error(f, "{\"cmd\":\"a\\nb\"}", "unknown command 'a?b'");
    assert_error(f, "{\"cmd\":\"\\u\n\"}", "malformed request: invalid escape");
    assert_error(f, "{\"cmd\":\"group\",\"op\":\"start\",\"group\":\"we\\r\\nb\"}",
                 "unknown group 'we??b'");
    assert_error(f, "{\"cmd\":\"status\",\"x\\ty\":1}", "unknown field 'x?y'");
    /* 'a' then 40 two-byte characters: the 64 bytes quoted end inside one. */
    char name[128] = "a";
    for (int i = 0; i < 40; i++)
        strcat(name, "\xc3\xa9");
    _cleanup_free_ char *line = xasprintf("{\"cmd\":\"%s\"}", name);
    assert_error(f, line, "unknown command 'a\xc3\xa9");
}

static void test_malformed_requests(void **state)
{
    struct fixture *f = *state;
    assert_error(f, "", "malformed request");
    assert_error(f, "not json", "malformed request");
    assert_error(f, "{\"cmd\":", "malformed request");
    assert_error(f, "[\"status\"]", "expected a JSON object");
    assert_error(f, "\"status\"", "malformed request");
    assert_error(f, "{}", "missing 'cmd'");
    assert_error(f, "{\"cmd\":42}", "'cmd' must be a string");
    assert_error(f, "{\"cmd\":null}", "'cmd' must be a string");
    assert_error(f, "{\"cmd\":\"status\",\"cmd\":\"ping\"}", "malformed request");
    assert_error(f, "{\"cmd\":\"explode\"}", "unknown command 'explode'");
    assert_error(f, "{\"cmd\":\"status\",\"verbose\":true}", "unknown field 'verbose'");
    assert_error(f, "{\"cmd\":\"events\",\"since\":-1}", "'since' must be a non-negative integer");
    assert_error(f, "{\"cmd\":\"events\",\"since\":\"5\"}", "'since' must be");
    assert_error(f, "{\"cmd\":\"events\",\"follow\":1}", "'follow' must be true or false");
    assert_error(f, "{\"cmd\":\"status\"} trailing", "malformed request");
    /* A very long unknown command name is cut in the reply. */
    char *big = xasprintf("{\"cmd\":\"%0500d\"}", 7);
    json_t *r = request(f, big, NULL);
    assert_true(strlen(json_string_value(json_object_get(r, "error"))) < 120);
    json_decref(r);
    free(big);
    /* Nothing of the cluster changed. */
    assert_int_equal(eventlog_last_seq(f->events), 0);
}

static void test_ping(void **state)
{
    struct fixture *f = *state;
    json_t *r = request(f, "{\"cmd\":\"ping\"}", NULL);
    assert_true(json_is_true(json_object_get(r, "ok")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "result"), "version")),
                        VIGIL_VERSION);
    json_decref(r);
}

static void test_status_follows_view(void **state)
{
    struct fixture *f = *state;
    cluster_engine_connected(&f->cl, 2);
    uint32_t members[] = {1, 2};
    struct engine_view v = {.members = members, .n_members = 2, .joined = members, .n_joined = 2};
    cluster_apply_view(&f->cl, &v);
    struct engine_quorum q = {
        .quorate = true, .total_votes = 2, .expected_votes = 3, .needed_votes = 2};
    cluster_apply_quorum(&f->cl, &q);

    json_t *r = request(f, "{\"cmd\":\"status\"}", NULL);
    json_t *s = json_object_get(r, "result");
    assert_string_equal(json_string_value(json_object_get(s, "cluster")), "demo");
    assert_true(json_is_true(json_object_get(s, "quorate")));
    assert_string_equal(json_string_value(json_object_get(s, "local_node")), "n2");
    assert_string_equal(json_string_value(json_object_get(s, "coordinator")), "n1");
    json_t *votes = json_object_get(s, "votes");
    assert_int_equal(json_integer_value(json_object_get(votes, "total")), 2);
    assert_int_equal(json_integer_value(json_object_get(votes, "expected")), 3);
    assert_int_equal(json_integer_value(json_object_get(votes, "needed")), 2);
    json_t *nodes = json_object_get(s, "nodes");
    assert_int_equal(json_array_size(nodes), 3);
    json_t *n3 = json_array_get(nodes, 2);
    assert_string_equal(json_string_value(json_object_get(n3, "name")), "n3");
    assert_string_equal(json_string_value(json_object_get(n3, "state")), "offline");
    json_t *n1 = json_array_get(nodes, 0);
    assert_string_equal(json_string_value(json_object_get(n1, "state")), "online");
    json_t *links = json_object_get(n1, "links");
    assert_int_equal(json_array_size(links), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(links, 1), "network")),
                        "pub");
    json_decref(r);

    /* n1 leaves: n2 becomes the coordinator; losing quorum removes it. */
    uint32_t rest[] = {2};
    uint32_t gone[] = {1};
    enum engine_leave why[] = {ENGINE_LEAVE_NODEDOWN};
    struct engine_view v2 = {
        .members = rest, .n_members = 1, .left = gone, .left_reason = why, .n_left = 1};
    cluster_apply_view(&f->cl, &v2);
    assert_int_equal(f->cl.coordinator, 2);
    q.quorate = false;
    q.total_votes = 1;
    cluster_apply_quorum(&f->cl, &q);
    assert_int_equal(f->cl.coordinator, 0);

    struct ctl_result res;
    r = request(f, "{\"cmd\":\"events\",\"since\":0}", &res);
    json_t *evs = json_object_get(json_object_get(r, "result"), "events");
    const char *want[] = {"node_joined",         "node_joined",        "quorum_gained",
                          "coordinator_changed", "node_left",          "coordinator_changed",
                          "quorum_lost",         "coordinator_changed"};
    assert_int_equal(json_array_size(evs), ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(evs, i), "type")),
                            want[i]);
    assert_string_equal(json_string_value(json_object_get(json_array_get(evs, 4), "message")),
                        "node n1 (id 1) left: node lost; it is unclean: nothing of it is "
                        "recovered until it is fenced");
    assert_false(res.follow);
    json_decref(r);

    r = request(f, "{\"cmd\":\"events\",\"follow\":true,\"since\":6}", &res);
    assert_true(res.follow);
    assert_int_equal(res.since, 8);
    assert_int_equal(json_array_size(json_object_get(json_object_get(r, "result"), "events")), 2);
    json_decref(r);
}

static void test_engine_lost_clears_view(void **state)
{
    struct fixture *f = *state;
    cluster_engine_connected(&f->cl, 1);
    uint32_t members[] = {1, 2, 3};
    struct engine_view v = {.members = members, .n_members = 3};
    cluster_apply_view(&f->cl, &v);
    struct engine_quorum q = {
        .quorate = true, .total_votes = 3, .expected_votes = 3, .needed_votes = 2};
    cluster_apply_quorum(&f->cl, &q);
    assert_int_equal(f->cl.coordinator, 1);
    cluster_engine_lost(&f->cl, "killed by signal 9");
    json_t *r = request(f, "{\"cmd\":\"status\"}", NULL);
    json_t *s = json_object_get(r, "result");
    assert_true(json_is_false(json_object_get(s, "quorate")));
    assert_true(json_is_null(json_object_get(s, "coordinator")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(s, "engine"), "state")),
                        "lost");
    json_t *nodes = json_object_get(s, "nodes");
    for (size_t i = 0; i < json_array_size(nodes); i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, i), "state")),
                            "offline");
    json_decref(r);
    cluster_engine_connected(&f->cl, 1);
    assert_int_equal(f->cl.engine_state, ENGINE_RUNNING);
}

static void test_dump_line(void **state)
{
    json_t *e = ctl_error("bad \"%s\"", "x\ny");
    size_t n;
    char *line = ctl_dump_line(e, &n);
    assert_int_equal(strlen(line), n);
    assert_int_equal(line[n - 1], '\n');
    assert_null(memchr(line, '\n', n - 1)); /* exactly one line */
    free(line);
    json_decref(e);
}

/* Sends a fence message as node `from` would broadcast it. */
static void fence_msg(struct fixture *f, uint32_t from, enum peer_fence_op op, char *node, bool ok,
                      char *reason)
{
    struct peer_msg m = {.type = PEER_FENCE};
    m.fence.op = op;
    m.fence.node = node;
    m.fence.ok = ok;
    m.fence.level = ok ? 1 : 0;
    m.fence.reason = reason;
    m.fence.device = (char *)"lab";
    m.fence.outcome = (char *)(ok ? "success" : "failed");
    assert_int_equal(cluster_apply_fence(&f->cl, from, &m), 0);
}

static const char *fence_state_of(struct fixture *f, const char *node)
{
    return fence_state_name(f->cl.nodes[cluster_node_index_by_name(&f->cl, node)].fence);
}

static void view(struct fixture *f, uint32_t *members, size_t n, uint32_t left,
                 enum engine_leave why)
{
    struct engine_view v = {.members = members, .n_members = n};
    if (left) {
        v.left = &left;
        v.left_reason = &why;
        v.n_left = 1;
    }
    cluster_apply_view(&f->cl, &v);
}

static void test_fence_states(void **state)
{
    struct fixture *f = *state;
    cluster_engine_connected(&f->cl, 1);
    uint32_t all[] = {1, 2, 3}, two[] = {1, 2};
    view(f, all, 3, 0, 0);
    struct engine_quorum q = {
        .quorate = true, .total_votes = 3, .expected_votes = 3, .needed_votes = 2};
    cluster_apply_quorum(&f->cl, &q);
    assert_string_equal(fence_state_of(f, "n3"), "clean");

    /* Lost: unclean until fenced; a failed fence keeps it unclean and says why. */
    view(f, two, 2, 3, ENGINE_LEAVE_NODEDOWN);
    assert_string_equal(fence_state_of(f, "n3"), "unclean");
    fence_msg(f, 1, PEER_FENCE_START, "n3", false, NULL);
    assert_true(f->cl.nodes[2].fencing);
    fence_msg(f, 1, PEER_FENCE_RESULT, "n3", false, "fencing n3 failed on every level (1)");
    assert_string_equal(fence_state_of(f, "n3"), "unclean");
    assert_false(f->cl.nodes[2].fencing);
    assert_int_equal(f->cl.nodes[2].fence_failures, 1);
    fence_msg(f, 1, PEER_FENCE_RESULT, "n3", true, "n3 fenced (off) by level 1");
    assert_string_equal(fence_state_of(f, "n3"), "fenced");

    json_t *r = request(f, "{\"cmd\":\"status\"}", NULL);
    json_t *s = json_object_get(r, "result");
    json_t *n3 = json_array_get(json_object_get(s, "nodes"), 2);
    json_t *fence = json_object_get(n3, "fence");
    assert_string_equal(json_string_value(json_object_get(fence, "state")), "fenced");
    assert_string_equal(json_string_value(json_object_get(fence, "note")),
                        "fenced by n1: n3 fenced (off) by level 1");
    assert_true(json_is_boolean(json_object_get(json_object_get(s, "fencing"), "enabled")));
    json_decref(r);

    /* Back: clean again. */
    view(f, all, 3, 0, 0);
    assert_string_equal(fence_state_of(f, "n3"), "clean");

    /* A clean shutdown is not unclean. */
    view(f, two, 2, 3, ENGINE_LEAVE_CLEAN);
    assert_string_equal(fence_state_of(f, "n3"), "clean");
    view(f, all, 3, 0, 0);

    /* Fenced while still a member (on demand): its leaving then is not unclean. */
    fence_msg(f, 1, PEER_FENCE_RESULT, "n3", true, "n3 fenced (off) by level 1");
    view(f, two, 2, 3, ENGINE_LEAVE_NODEDOWN);
    assert_string_equal(fence_state_of(f, "n3"), "fenced");
    view(f, all, 3, 0, 0);

    /* A vigild that died leaves its node unclean too; an admin may confirm it off. */
    view(f, two, 2, 3, ENGINE_LEAVE_PROCDOWN);
    assert_string_equal(fence_state_of(f, "n3"), "unclean");
    fence_msg(f, 2, PEER_FENCE_CONFIRM, "n3", false, NULL);
    assert_string_equal(fence_state_of(f, "n3"), "fenced");

    /* A fence message about an unknown node is refused. */
    struct peer_msg m = {.type = PEER_FENCE};
    m.fence.op = PEER_FENCE_START;
    m.fence.node = (char *)"n9";
    assert_int_equal(cluster_apply_fence(&f->cl, 1, &m), -ENOENT);

    /* Event types, in order, from the first loss on. */
    r = request(f, "{\"cmd\":\"events\"}", NULL);
    json_t *evs = json_object_get(json_object_get(r, "result"), "events");
    size_t n = json_array_size(evs);
    assert_string_equal(json_string_value(json_object_get(json_array_get(evs, n - 1), "type")),
                        "fence_confirmed");
    json_decref(r);
}

static void test_state_message_only_from_coordinator(void **state)
{
    struct fixture *f = *state;
    cluster_engine_connected(&f->cl, 2);
    uint32_t members[] = {1, 2};
    view(f, members, 2, 0, 0);
    struct engine_quorum q = {
        .quorate = true, .total_votes = 2, .expected_votes = 3, .needed_votes = 2};
    cluster_apply_quorum(&f->cl, &q);
    /* n3 was never seen since start-up: unclean until it joins or is fenced. */
    assert_string_equal(fence_state_of(f, "n3"), "unclean");
    assert_true(f->cl.nodes[2].unseen);
    struct peer_msg m = {.type = PEER_FENCE};
    m.fence.op = PEER_FENCE_STATE;
    assert_int_equal(cluster_apply_fence(&f->cl, 2, &m), 0); /* n2 is not the coordinator */
    assert_string_equal(fence_state_of(f, "n3"), "unclean");
    /* The coordinator has seen n3 leave cleanly (it does not list it): clean. */
    assert_int_equal(cluster_apply_fence(&f->cl, 1, &m), 0);
    assert_string_equal(fence_state_of(f, "n3"), "clean");
    assert_false(f->cl.nodes[2].unseen);
    /* Listed as unclean by the coordinator: unclean (and not unseen: it saw it). */
    char *unclean[] = {(char *)"n3"};
    m.fence.unclean = unclean;
    m.fence.n_unclean = 1;
    assert_int_equal(cluster_apply_fence(&f->cl, 1, &m), 0);
    assert_string_equal(fence_state_of(f, "n3"), "unclean");
    assert_false(f->cl.nodes[2].unseen);
}

static void test_unseen_from_coordinator(void **state)
{
    struct fixture *f = *state;
    cluster_engine_connected(&f->cl, 2);
    uint32_t members[] = {1, 2};
    view(f, members, 2, 0, 0);
    /* Joined: seen and clean. */
    assert_string_equal(fence_state_of(f, "n1"), "clean");
    assert_false(f->cl.nodes[0].unseen);
    /* The coordinator never saw n3 either: it stays unseen (fenced after the start-up wait). */
    char *names[] = {(char *)"n3"};
    struct peer_msg m = {.type = PEER_FENCE};
    m.fence.op = PEER_FENCE_STATE;
    m.fence.unclean = names;
    m.fence.n_unclean = 1;
    m.fence.unseen = names;
    m.fence.n_unseen = 1;
    assert_int_equal(cluster_apply_fence(&f->cl, 1, &m), 0);
    assert_string_equal(fence_state_of(f, "n3"), "unclean");
    assert_true(f->cl.nodes[2].unseen);
    /* The state message survives encoding. */
    size_t len;
    char *text = peer_encode_fence(&m, &len);
    struct peer_msg back;
    char *err = NULL;
    assert_int_equal(peer_decode(1, text, len, &back, &err), 0);
    assert_int_equal(back.fence.n_unseen, 1);
    assert_string_equal(back.fence.unseen[0], "n3");
    peer_msg_clear(&back);
    free(text);
}

static void test_fence_requests(void **state)
{
    struct fixture *f = *state;
    /* Not quorate yet: refused. */
    assert_error(f, "{\"cmd\":\"fence\",\"node\":\"n3\"}",
                 "refused: this node's partition has no quorum");
    cluster_engine_connected(&f->cl, 1);
    uint32_t two[] = {1, 2};
    view(f, two, 2, 0, 0);
    struct engine_quorum q = {
        .quorate = true, .total_votes = 2, .expected_votes = 3, .needed_votes = 2};
    cluster_apply_quorum(&f->cl, &q);

    assert_error(f, "{\"cmd\":\"fence\"}", "'node' must be a node name");
    assert_error(f, "{\"cmd\":\"fence\",\"node\":\"n9\"}", "unknown node 'n9'");
    assert_error(f, "{\"cmd\":\"fence\",\"node\":\"n3\",\"action\":\"melt\"}",
                 "'action' must be off or reboot");
    assert_error(f, "{\"cmd\":\"fence\",\"node\":\"n3\",\"confirm\":\"yes\"}",
                 "'confirm' must be true or false");
    assert_error(f, "{\"cmd\":\"fence\",\"node\":\"n3\",\"force\":true}", "unknown field 'force'");
    assert_error(f, "{\"cmd\":\"fence\",\"node\":\"n2\",\"confirm\":true}",
                 "refused: n2 is online; --confirm is only for a node known to be off");

    /* Fencing disabled (the fixture's config has no fencing section). */
    assert_false(f->cfg->fence_enabled);
    assert_error(f, "{\"cmd\":\"fence\",\"node\":\"n3\"}", "refused: fencing is disabled");
    struct ctl_result res;
    json_t *r = request(f, "{\"cmd\":\"fence\",\"node\":\"n3\",\"confirm\":true}", &res);
    assert_true(json_is_true(json_object_get(r, "ok")));
    assert_int_equal(res.fence_node, 2);
    assert_true(res.fence_confirm);
    json_decref(r);

    f->cfg->fence_enabled = true;
    assert_error(f, "{\"cmd\":\"fence\",\"node\":\"n1\"}", "refused: n1 is this node");
    r = request(f, "{\"cmd\":\"fence\",\"node\":\"n2\",\"action\":\"reboot\"}", &res);
    assert_true(json_is_true(json_object_get(r, "ok")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "result"), "requested")), "reboot");
    assert_int_equal(res.fence_node, 1);
    assert_true(res.fence_reboot);
    assert_false(res.fence_confirm);
    json_decref(r);
    f->cfg->fence_enabled = false;

    /* Plain requests never ask the daemon to act. */
    r = request(f, "{\"cmd\":\"status\"}", &res);
    assert_int_equal(res.fence_node, -1);
    json_decref(r);
}

static void test_group_commands(void **state)
{
    struct fixture *f = *state;
    struct ctl_result res;
    json_t *r =
        request(f, "{\"cmd\":\"group\",\"op\":\"move\",\"group\":\"web\",\"to\":\"n2\"}", &res);
    assert_true(json_is_true(json_object_get(r, "ok")));
    assert_true(res.has_intent);
    assert_int_equal(res.intent.op, DB_INTENT_MOVE);
    assert_int_equal(res.intent.group, 0);
    assert_int_equal(res.intent.node, 1);
    json_decref(r);
    /* failover is a move without a target. */
    r = request(f, "{\"cmd\":\"group\",\"op\":\"failover\",\"group\":\"web\"}", &res);
    assert_true(res.has_intent);
    assert_int_equal(res.intent.op, DB_INTENT_MOVE);
    assert_int_equal(res.intent.node, -1);
    json_decref(r);
    r = request(f, "{\"cmd\":\"node\",\"op\":\"standby\",\"node\":\"n3\"}", &res);
    assert_int_equal(res.intent.op, DB_INTENT_STANDBY);
    assert_int_equal(res.intent.node, 2);
    json_decref(r);
    r = request(f, "{\"cmd\":\"cleanup\",\"name\":\"www\"}", &res);
    assert_int_equal(res.intent.op, DB_INTENT_CLEANUP);
    assert_int_equal(res.intent.group, 0);
    assert_int_equal(res.intent.resource, 1);
    json_decref(r);
    r = request(f, "{\"cmd\":\"cleanup\",\"name\":\"web\"}", &res);
    assert_int_equal(res.intent.resource, -1);
    json_decref(r);
}

static void test_group_commands_refused(void **state)
{
    struct fixture *f = *state;
    assert_error(f, "{\"cmd\":\"group\",\"op\":\"stop\",\"group\":\"wbe\"}",
                 "unknown group 'wbe'; did you mean 'web'?");
    assert_error(f, "{\"cmd\":\"group\",\"op\":\"explode\",\"group\":\"web\"}",
                 "unknown group operation 'explode'");
    assert_error(f, "{\"cmd\":\"group\",\"op\":\"stop\",\"group\":\"web\",\"to\":\"n2\"}",
                 "'to' is only for move");
    assert_error(f, "{\"cmd\":\"group\",\"op\":\"move\",\"group\":\"web\",\"to\":\"n9\"}",
                 "unknown node 'n9'");
    assert_error(f, "{\"cmd\":\"group\",\"op\":\"move\",\"group\":\"web\",\"to\":2}",
                 "'to' must be a node name");
    assert_error(f, "{\"cmd\":\"group\",\"op\":\"stop\"}", "'group' must be a group name");
    assert_error(f, "{\"cmd\":\"group\",\"op\":\"stop\",\"group\":\"web\",\"force\":true}",
                 "unknown field 'force'");
    assert_error(f, "{\"cmd\":\"node\",\"op\":\"offline\",\"node\":\"n1\"}",
                 "'op' must be standby, online or stop");
    assert_error(f, "{\"cmd\":\"node\",\"op\":\"standby\",\"node\":\"n7\"}", "unknown node 'n7'");
    assert_error(f, "{\"cmd\":\"cleanup\",\"name\":\"vpi\"}",
                 "unknown group or resource 'vpi'; did you mean 'vip'?");
    assert_error(f, "{\"cmd\":\"cleanup\"}", "'name' must be a group or resource name");
    struct ctl_result res;
    json_t *r = request(f, "{\"cmd\":\"cleanup\",\"name\":\"vpi\"}", &res);
    assert_false(res.has_intent);
    json_decref(r);
}

/* Requests vigild answers itself: checked here, then handed over whole. */
static void assert_handed_over(struct fixture *f, const char *line)
{
    struct ctl_result res;
    json_t *r = request(f, line, &res);
    assert_true(json_is_true(json_object_get(r, "ok")));
    assert_non_null(res.request);
    json_t *want = json_loads(line, 0, NULL);
    assert_true(json_equal(res.request, want));
    json_decref(want);
    json_decref(res.request);
    json_decref(r);
}

static void test_daemon_requests(void **state)
{
    struct fixture *f = *state;
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"show\"}");
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"show\",\"version\":3}");
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"diff\",\"text\":\"x\",\"name\":\"a\"}");
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":\"x\",\"force\":true}");
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"reload\"}");
    assert_handed_over(f, "{\"cmd\":\"history\"}");
    assert_handed_over(f, "{\"cmd\":\"history\",\"since\":1,\"until\":2,\"group\":\"web\","
                          "\"node\":\"n1\",\"type\":\"group_moved\",\"limit\":5}");
    assert_handed_over(f, "{\"cmd\":\"node\",\"op\":\"stop\",\"node\":\"n2\"}");
    assert_handed_over(f, "{\"cmd\":\"node\",\"op\":\"stop\",\"node\":\"n2\",\"now\":true}");
}

static void test_daemon_requests_refused(void **state)
{
    struct fixture *f = *state;
    assert_error(f, "{\"cmd\":\"config\"}",
                 "config: 'op' must be one of show, diff, apply, reload");
    assert_error(f, "{\"cmd\":\"config\",\"op\":\"erase\"}", "'op' must be one of");
    assert_error(f, "{\"cmd\":\"config\",\"op\":\"show\",\"version\":0}",
                 "'version' must be a positive integer");
    assert_error(f, "{\"cmd\":\"config\",\"op\":\"show\",\"text\":\"x\"}", "unknown field 'text'");
    assert_error(f, "{\"cmd\":\"config\",\"op\":\"apply\"}",
                 "config apply: 'text' must be the configuration, as a string");
    assert_error(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":7}",
                 "config apply: 'text' must be the configuration");
    assert_error(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":\"x\",\"force\":1}",
                 "'force' must be true or false");
    assert_error(f, "{\"cmd\":\"config\",\"op\":\"diff\",\"text\":\"x\",\"force\":true}",
                 "unknown field 'force'");
    assert_error(f, "{\"cmd\":\"history\",\"since\":-1}",
                 "history: 'since' must be a non-negative integer");
    assert_error(f, "{\"cmd\":\"history\",\"limit\":\"ten\"}",
                 "history: 'limit' must be a non-negative integer");
    assert_error(f, "{\"cmd\":\"history\",\"group\":5}", "history: 'group' must be a string");
    assert_error(f, "{\"cmd\":\"history\",\"follow\":true}", "unknown field 'follow'");
    assert_error(f, "{\"cmd\":\"node\",\"op\":\"stop\",\"node\":\"n9\"}", "unknown node 'n9'");
    assert_error(f, "{\"cmd\":\"node\",\"op\":\"stop\",\"node\":\"n1\",\"now\":\"yes\"}",
                 "'now' is only for stop, and must be true or false");
    assert_error(f, "{\"cmd\":\"node\",\"op\":\"standby\",\"node\":\"n1\",\"now\":true}",
                 "'now' is only for stop");
}

static void test_attr_requests(void **state)
{
    struct fixture *f = *state;
    assert_handed_over(
        f, "{\"cmd\":\"attr\",\"op\":\"set\",\"name\":\"master-pg\",\"value\":\"100\"}");
    assert_handed_over(f, "{\"cmd\":\"attr\",\"op\":\"set\",\"node\":\"n2\",\"name\":\"x\","
                          "\"value\":\"\",\"lifetime\":\"forever\"}");
    assert_handed_over(f, "{\"cmd\":\"attr\",\"op\":\"get\",\"name\":\"x\",\"node\":\"n3\"}");
    assert_handed_over(
        f, "{\"cmd\":\"attr\",\"op\":\"delete\",\"name\":\"x\",\"lifetime\":\"reboot\"}");
    assert_handed_over(f, "{\"cmd\":\"attr\",\"op\":\"list\"}");
    assert_handed_over(f, "{\"cmd\":\"attr\",\"op\":\"list\",\"node\":\"n1\"}");
    /* Malformed: refused here, nothing reaches the cluster. */
    assert_error(f, "{\"cmd\":\"attr\"}", "attr: 'op' must be one of set, get, delete, list");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"put\",\"name\":\"x\"}", "'op' must be one of");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"get\"}",
                 "attr get: 'name' must be an attribute name");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"get\",\"name\":7}",
                 "'name' must be an attribute name");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"get\",\"name\":\"a b\"}",
                 "attr get: bad attribute name 'a b': use letters, digits");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"get\",\"name\":\"-x\"}", "not starting with '-'");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"get\",\"name\":\"x\",\"node\":\"n9\"}",
                 "unknown node 'n9'");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"get\",\"name\":\"x\",\"node\":1}",
                 "attr: 'node' must be a node name");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"set\",\"name\":\"x\"}",
                 "attr set: 'value' must be given");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"set\",\"name\":\"x\",\"value\":5}",
                 "attr set: 'value' must be a string");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"set\",\"name\":\"x\",\"value\":\"a\\nb\"}",
                 "attr set: the value of attribute x holds a control character (byte 2)");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"get\",\"name\":\"x\",\"value\":\"1\"}",
                 "attr get: 'value' is only for set");
    assert_error(
        f, "{\"cmd\":\"attr\",\"op\":\"set\",\"name\":\"x\",\"value\":\"1\",\"lifetime\":\"boot\"}",
        "attr set: 'lifetime' must be reboot or forever");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"get\",\"name\":\"x\",\"lifetime\":\"reboot\"}",
                 "attr get: 'lifetime' is only for set and delete");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"list\",\"name\":\"x\"}", "'name' is not for list");
    assert_error(f, "{\"cmd\":\"attr\",\"op\":\"list\",\"force\":true}", "unknown field 'force'");
    char *big = xcalloc(1, DB_ATTR_MAX_VALUE + 64);
    strcpy(big, "{\"cmd\":\"attr\",\"op\":\"set\",\"name\":\"x\",\"value\":\"");
    memset(big + strlen(big), 'v', DB_ATTR_MAX_VALUE + 1);
    strcat(big, "\"}");
    assert_error(f, big, "attr set: the value of attribute x is longer than 1024 bytes");
    free(big);
}

static void test_resource_request(void **state)
{
    struct fixture *f = *state;
    json_t *r = request(f, "{\"cmd\":\"resource\",\"name\":\"www\"}", NULL);
    json_t *res = json_object_get(r, "result");
    assert_string_equal(json_string_value(json_object_get(res, "group")), "web");
    assert_string_equal(json_string_value(json_object_get(res, "kind")), "single");
    json_t *meta = json_object_get(res, "meta");
    assert_string_equal(json_string_value(json_object_get(meta, "notify")), "false");
    assert_null(json_object_get(meta, "clone-max"));
    json_decref(r);
    /* A promotable group (as its loader sets it up). */
    struct cfg_group *cg = &f->cfg->groups[0];
    cg->kind = CFG_KIND_PROMOTABLE;
    cg->copies = 2;
    cg->primaries = 1;
    cg->notify = true;
    r = request(f, "{\"cmd\":\"resource\",\"name\":\"www\"}", NULL);
    meta = json_object_get(json_object_get(r, "result"), "meta");
    assert_string_equal(json_string_value(json_object_get(meta, "notify")), "true");
    assert_string_equal(json_string_value(json_object_get(meta, "clone-max")), "2");
    assert_string_equal(json_string_value(json_object_get(meta, "promoted-max")), "1");
    assert_string_equal(json_string_value(json_object_get(meta, "master-max")), "1");
    json_decref(r);
    cg->kind = CFG_KIND_SINGLE;
    cg->notify = false;
    assert_error(f, "{\"cmd\":\"resource\",\"name\":\"nope\"}",
                 "resource: no resource nope in the configuration");
    assert_error(f, "{\"cmd\":\"resource\"}", "resource: 'name' must be a resource name");
    assert_error(f, "{\"cmd\":\"resource\",\"name\":\"www\",\"meta\":1}", "unknown field 'meta'");
}

/* A request refused with exactly this message, and nothing handed over to vigild. */
static void assert_refused(struct fixture *f, const char *line, const char *want)
{
    struct ctl_result res;
    json_t *r = request(f, line, &res);
    assert_true(json_is_false(json_object_get(r, "ok")));
    const char *err = json_string_value(json_object_get(r, "error"));
    if (!err || strcmp(err, want) != 0)
        fail_msg("request %s: error '%s', want '%s'", line, err ? err : "(none)", want);
    assert_null(res.request);
    assert_false(res.has_intent);
    json_decref(r);
}

static void test_config_requests(void **state)
{
    struct fixture *f = *state;
    /* Each operation with every field it takes. */
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"show\",\"version\":12}");
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"diff\",\"text\":\"nodes: []\\n\"}");
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"diff\",\"text\":\"\",\"name\":\"b.yaml\"}");
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":\"x: 1\\n\","
                          "\"name\":\"/etc/vigil/new.yaml\",\"force\":false}");
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":\"x\"}");
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"reload\",\"force\":true}");
    assert_handed_over(f, "{\"cmd\":\"config\",\"op\":\"reload\",\"force\":false}");
    /* The operation. */
    const char *ops = "config: 'op' must be one of show, diff, apply, reload";
    assert_refused(f, "{\"cmd\":\"config\"}", ops);
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"erase\"}", ops);
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"SHOW\"}", ops);
    assert_refused(f, "{\"cmd\":\"config\",\"op\":7}", ops);
    assert_refused(f, "{\"cmd\":\"config\",\"op\":null}", ops);
    /* Fields another operation takes, or none does. */
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"show\",\"text\":\"x\"}",
                   "unknown field 'text' in request");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"show\",\"force\":true}",
                   "unknown field 'force' in request");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"diff\",\"text\":\"x\",\"force\":true}",
                   "unknown field 'force' in request");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":\"x\",\"version\":2}",
                   "unknown field 'version' in request");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"reload\",\"text\":\"x\"}",
                   "unknown field 'text' in request");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"reload\",\"name\":\"a\"}",
                   "unknown field 'name' in request");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"show\",\"verbose\":true}",
                   "unknown field 'verbose' in request");
    /* The version to show. */
    const char *version = "config: 'version' must be a positive integer";
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"show\",\"version\":0}", version);
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"show\",\"version\":-4}", version);
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"show\",\"version\":\"3\"}", version);
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"show\",\"version\":2.5}", version);
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"show\",\"version\":null}", version);
    /* force. */
    const char *force = "config: 'force' must be true or false";
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":\"x\",\"force\":1}", force);
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":\"x\",\"force\":\"yes\"}",
                   force);
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"reload\",\"force\":null}", force);
    /* The text to compare or apply, and its name. */
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"apply\"}",
                   "config apply: 'text' must be the configuration, as a string");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":7}",
                   "config apply: 'text' must be the configuration, as a string");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":[\"x\"],\"force\":true}",
                   "config apply: 'text' must be the configuration, as a string");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"diff\"}",
                   "config diff: 'text' must be the configuration, as a string");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"diff\",\"text\":null,\"name\":\"a\"}",
                   "config diff: 'text' must be the configuration, as a string");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"diff\",\"text\":\"x\",\"name\":5}",
                   "config diff: 'name' must be a string");
    assert_refused(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":\"x\",\"name\":false}",
                   "config apply: 'name' must be a string");
    /* A NUL byte cannot reach the configuration parser. */
    struct ctl_result res;
    json_t *r = request(f, "{\"cmd\":\"config\",\"op\":\"apply\",\"text\":\"a\\u0000b\"}", &res);
    assert_true(json_is_false(json_object_get(r, "ok")));
    assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "malformed request"));
    assert_null(res.request);
    json_decref(r);
    /* Nothing of the cluster changed. */
    assert_int_equal(eventlog_last_seq(f->events), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_malformed_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_replies_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_follows_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_lost_clears_view, setup, teardown),
        cmocka_unit_test(test_dump_line),
        cmocka_unit_test_setup_teardown(test_fence_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_message_only_from_coordinator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fence_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unseen_from_coordinator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commands_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_daemon_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_daemon_requests_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attr_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resource_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_requests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
