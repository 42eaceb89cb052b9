/* Unit tests for peer messages (src/daemon/peer.c): malformed input is rejected with a reason. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/util.h"
#include "daemon/peer.h"

static void test_hello_roundtrip(void **state)
{
    size_t len;
    char *msg = peer_encode_hello(2, "n2", "0.1.0", 0x0123456789abcdefull, &len);
    struct peer_msg m;
    char *err = NULL;
    assert_int_equal(peer_decode(2, msg, len, &m, &err), 0);
    assert_null(err);
    assert_int_equal(m.type, PEER_HELLO);
    assert_int_equal(m.proto, PEER_PROTO_VERSION);
    assert_int_equal(m.hello.node_id, 2);
    assert_string_equal(m.hello.node, "n2");
    assert_string_equal(m.hello.version, "0.1.0");
    assert_true(m.hello.cfg_hash == 0x0123456789abcdefull);
    peer_msg_clear(&m);
    free(msg);
}

static void expect_reject(uint32_t from, const char *msg, size_t len, const char *want)
{
    struct peer_msg m;
    memset(&m, 0, sizeof(m));
    char *err = NULL;
    assert_int_equal(peer_decode(from, msg, len, &m, &err), -EINVAL);
    assert_non_null(err);
    if (!strstr(err, want))
        fail_msg("error '%s' does not contain '%s'", err, want);
    free(err);
}

static void test_malformed(void **state)
{
    static const struct {
        const char *msg;
        const char *want;
    } bad[] = {
        {"", "not JSON"},
        {"garbage", "not JSON"},
        {"{\"v\":1,", "not JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"type\":\"hello\"}", "protocol version"},
        {"{\"v\":\"1\",\"type\":\"hello\"}", "protocol version"},
        {"{\"v\":0,\"type\":\"hello\"}", "protocol version"},
        {"{\"v\":99,\"type\":\"hello\"}", "not supported"},
        {"{\"v\":1}", "type"},
        {"{\"v\":1,\"type\":7}", "type"},
        {"{\"v\":1,\"type\":\"launch\"}", "unknown message type 'launch'"},
        {"{\"v\":1,\"type\":\"hello\",\"id\":2}", "bad hello"},
        {"{\"v\":1,\"type\":\"hello\",\"id\":3,\"node\":\"n3\",\"version\":\"1\",\"config\":"
         "\"0123456789abcdef\"}",
         "claims node id 3 but came from node id 2"},
        {"{\"v\":1,\"type\":\"hello\",\"id\":2,\"node\":\"n2\",\"version\":\"1\",\"config\":"
         "\"xyz\"}",
         "config hash"},
        {"{\"v\":1,\"type\":\"hello\",\"id\":2,\"node\":5,\"version\":\"1\",\"config\":"
         "\"0123456789abcdef\"}",
         "bad hello"},
        {"{\"v\":1,\"v\":1,\"type\":\"hello\"}", "not JSON"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        expect_reject(2, bad[i].msg, strlen(bad[i].msg), bad[i].want);
}

static void test_binary_and_oversized(void **state)
{
    const char bin[] = {'{', 0, '\xff', '}'};
    expect_reject(1, bin, sizeof(bin), "not JSON");
    size_t big = PEER_MAX_MESSAGE + 1;
    char *buf = xmalloc(big);
    memset(buf, ' ', big);
    expect_reject(1, buf, big, "exceeds the limit");
    free(buf);
}

static void test_unknown_fields_ignored(void **state)
{
    const char *msg = "{\"v\":2,\"type\":\"hello\",\"id\":4,\"node\":\"n4\",\"version\":\"0.2\","
                      "\"config\":\"00000000000000ff\",\"future\":{\"x\":1}}";
    struct peer_msg m;
    char *err = NULL;
    assert_int_equal(peer_decode(4, msg, strlen(msg), &m, &err), 0);
    assert_true(m.hello.cfg_hash == 0xff);
    peer_msg_clear(&m);
}

static void test_hash(void **state)
{
    assert_true(peer_hash("a", 1) != peer_hash("b", 1));
    assert_true(peer_hash("abc", 3) == peer_hash("abc", 3));
}

static void test_fence_roundtrip(void **state)
{
    char *unclean[] = {(char *)"n2", (char *)"n3"};
    struct peer_msg in = {.type = PEER_FENCE};
    in.fence.op = PEER_FENCE_ATTEMPT;
    in.fence.node = (char *)"n3";
    in.fence.level = 2;
    in.fence.attempt = 1;
    in.fence.device = (char *)"pdu1";
    in.fence.outcome = (char *)"failed";
    in.fence.reason = (char *)"exited with status 1";
    size_t len;
    char *msg = peer_encode_fence(&in, &len);
    struct peer_msg m;
    char *err = NULL;
    assert_int_equal(peer_decode(1, msg, len, &m, &err), 0);
    assert_int_equal(m.type, PEER_FENCE);
    assert_int_equal(m.fence.op, PEER_FENCE_ATTEMPT);
    assert_string_equal(m.fence.node, "n3");
    assert_int_equal(m.fence.level, 2);
    assert_int_equal(m.fence.attempt, 1);
    assert_string_equal(m.fence.device, "pdu1");
    assert_string_equal(m.fence.reason, "exited with status 1");
    peer_msg_clear(&m);
    free(msg);

    struct peer_msg st = {.type = PEER_FENCE};
    st.fence.op = PEER_FENCE_STATE;
    st.fence.unclean = unclean;
    st.fence.n_unclean = 2;
    msg = peer_encode_fence(&st, &len);
    assert_int_equal(peer_decode(1, msg, len, &m, &err), 0);
    assert_int_equal(m.fence.n_unclean, 2);
    assert_string_equal(m.fence.unclean[1], "n3");
    assert_null(m.fence.node);
    peer_msg_clear(&m);
    free(msg);

    struct peer_msg res = {.type = PEER_FENCE};
    res.fence.op = PEER_FENCE_RESULT;
    res.fence.node = (char *)"n3";
    res.fence.ok = true;
    res.fence.level = 1;
    msg = peer_encode_fence(&res, &len);
    assert_int_equal(peer_decode(1, msg, len, &m, &err), 0);
    assert_true(m.fence.ok);
    peer_msg_clear(&m);
    free(msg);
}

static void test_fence_malformed(void **state)
{
    static const struct {
        const char *msg;
        const char *want;
    } bad[] = {
        {"{\"v\":1,\"type\":\"fence\"}", "missing 'op'"},
        {"{\"v\":1,\"type\":\"fence\",\"op\":\"nuke\",\"node\":\"n1\"}", "unknown op 'nuke'"},
        {"{\"v\":1,\"type\":\"fence\",\"op\":\"start\"}", "missing 'node'"},
        {"{\"v\":1,\"type\":\"fence\",\"op\":\"start\",\"node\":7}", "'node' must be a string"},
        {"{\"v\":1,\"type\":\"fence\",\"op\":\"result\",\"node\":\"n1\",\"level\":1}",
         "'ok' must be true or false"},
        {"{\"v\":1,\"type\":\"fence\",\"op\":\"result\",\"node\":\"n1\",\"level\":-4,"
         "\"ok\":true}",
         "'level' must be an integer"},
        {"{\"v\":1,\"type\":\"fence\",\"op\":\"request\",\"node\":\"n1\",\"action\":"
         "\"explode\"}",
         "'action' must be off or reboot"},
        {"{\"v\":1,\"type\":\"fence\",\"op\":\"attempt\",\"node\":\"n1\",\"level\":1,"
         "\"attempt\":1}",
         "missing 'device'"},
        {"{\"v\":1,\"type\":\"fence\",\"op\":\"state\",\"unclean\":\"n1\"}",
         "'unclean' must be a list"},
        {"{\"v\":1,\"type\":\"fence\",\"op\":\"state\",\"unclean\":[1]}",
         "'unclean' must hold node names"},
        {"{\"v\":1,\"type\":\"fence\",\"op\":\"start\",\"node\":\"n\\u0000x\"}", "not JSON"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        expect_reject(2, bad[i].msg, strlen(bad[i].msg), bad[i].want);
    char *big = xmalloc(PEER_MAX_STRING + 200);
    int n = snprintf(big, 100, "{\"v\":1,\"type\":\"fence\",\"op\":\"start\",\"node\":\"");
    memset(big + n, 'x', PEER_MAX_STRING + 1);
    strcpy(big + n + PEER_MAX_STRING + 1, "\"}");
    expect_reject(2, big, strlen(big), "at most 1024 bytes");
    free(big);
}

/* Rolling upgrades: the previous and the next protocol versions are understood. */
static void test_protocol_versions(void **state)
{
    for (int v = PEER_PROTO_MIN; v <= PEER_PROTO_VERSION + 1; v++) {
        _cleanup_free_ char *msg =
            xasprintf("{\"v\":%d,\"type\":\"config-version\",\"version\":3,\"later\":{}}", v);
        struct peer_msg m;
        char *err = NULL;
        assert_int_equal(peer_decode(2, msg, strlen(msg), &m, &err), 0);
        assert_int_equal(m.type, PEER_GROUP);
        assert_int_equal(m.group.kind, PEER_G_CFG_VER);
        assert_int_equal(m.proto, (uint32_t)v);
        peer_msg_clear(&m);
    }
    _cleanup_free_ char *newer =
        xasprintf("{\"v\":%d,\"type\":\"node-stop\"}", PEER_PROTO_VERSION + 2);
    expect_reject(2, newer, strlen(newer),
                  "is not supported (this node speaks 4 and accepts 1 to 5)");
    const char *const kinds[] = {"config",     "config-version", "config-ready",
                                 "config-ack", "config-abort",   "node-stop"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        assert_string_equal(peer_group_kind_name((enum peer_group_kind)(PEER_G_CONFIG + i)),
                            kinds[i]);
        _cleanup_free_ char *msg = xasprintf("{\"v\":2,\"type\":\"%s\"}", kinds[i]);
        struct peer_msg m;
        char *err = NULL;
        assert_int_equal(peer_decode(1, msg, strlen(msg), &m, &err), 0);
        assert_int_equal(m.group.kind, PEER_G_CONFIG + i);
        peer_msg_clear(&m);
    }
    /* Protocol 3: the coordinator's expiry of failures, a group view message. */
    assert_string_equal(peer_group_kind_name(PEER_G_EXPIRE), "expire");
    const char *exp = "{\"v\":3,\"type\":\"expire\",\"group\":\"web\"}";
    struct peer_msg m;
    char *err = NULL;
    assert_int_equal(peer_decode(1, exp, strlen(exp), &m, &err), 0);
    assert_int_equal(m.type, PEER_GROUP);
    assert_int_equal(m.group.kind, PEER_G_EXPIRE);
    assert_true(m.group.kind < PEER_G_CONFIG); /* routed to the group view, not cfgsync */
    peer_msg_clear(&m);
}

static void expect_reject_str(const char *msg, const char *want)
{
    expect_reject(2, msg, strlen(msg), want);
}

/* The replicated configuration's messages: encoded and decoded whole, unknown fields kept. */
static void test_config_kinds_roundtrip(void **state)
{
    static const struct {
        enum peer_group_kind kind;
        const char *name;
        const char *body;
    } msgs[] = {
        {PEER_G_CONFIG, "config",
         "{\"mode\":\"apply\",\"version\":8,\"sha256\":"
         "\"5e6f7a8b9c0d1111111111111111111111111111111111111111111111111111\","
         "\"text\":\"cluster: {name: x}\\n\",\"id\":3}"},
        {PEER_G_CFG_VER, "config-version", "{\"version\":7,\"sha256\":\"5e6f\",\"edited\":true}"},
        {PEER_G_CFG_READY, "config-ready", "{\"version\":8,\"ok\":false,\"error\":\"busy\"}"},
        {PEER_G_CFG_ACK, "config-ack", "{\"version\":8,\"ok\":true}"},
        {PEER_G_CFG_ABORT, "config-abort", "{\"version\":8,\"reason\":\"n2 did not stop\"}"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(msgs); i++) {
        assert_string_equal(peer_group_kind_name(msgs[i].kind), msgs[i].name);
        json_t *body = json_loads(msgs[i].body, 0, NULL);
        assert_non_null(body);
        json_t *want = json_deep_copy(body);
        json_object_set_new(body, "from_a_later_release", json_pack("{s:i}", "x", 1));
        size_t len;
        char *wire = peer_encode_group(msgs[i].kind, body, &len);
        json_decref(body);
        struct peer_msg m;
        char *err = NULL;
        if (peer_decode(3, wire, len, &m, &err) < 0)
            fail_msg("%s: %s", msgs[i].name, err);
        assert_int_equal(m.type, PEER_GROUP);
        assert_int_equal(m.group.kind, msgs[i].kind);
        assert_int_equal(m.proto, PEER_PROTO_VERSION);
        json_t *got = m.group.body;
        assert_string_equal(json_string_value(json_object_get(got, "type")), msgs[i].name);
        assert_int_equal(json_integer_value(json_object_get(got, "v")), PEER_PROTO_VERSION);
        assert_non_null(json_object_get(got, "from_a_later_release"));
        const char *key;
        json_t *val;
        json_object_foreach(want, key, val)
        {
            if (!json_equal(json_object_get(got, key), val))
                fail_msg("%s: field '%s' changed on the way", msgs[i].name, key);
        }
        json_decref(want);
        peer_msg_clear(&m);
        free(wire);
    }
    assert_string_equal(peer_group_kind_name(PEER_G_KIND_MAX), "unknown");
    assert_string_equal(peer_group_kind_name((enum peer_group_kind)(PEER_G_KIND_MAX + 5)),
                        "unknown");
    expect_reject_str("{\"v\":2,\"type\":\"config-versions\"}",
                      "unknown message type 'config-versions'");
    expect_reject_str("{\"v\":2,\"type\":\"CONFIG\"}", "unknown message type 'CONFIG'");
}

/* The previous protocol version is understood; one far ahead is refused, saying which. */
static void test_protocol_version_bounds(void **state)
{
    if (PEER_PROTO_VERSION - 1 >= 1) {
        _cleanup_free_ char *prev = xasprintf(
            "{\"v\":%d,\"type\":\"config-ack\",\"version\":4,\"ok\":true,\"extra\":[1,2]}",
            PEER_PROTO_VERSION - 1);
        struct peer_msg m;
        char *err = NULL;
        assert_int_equal(peer_decode(2, prev, strlen(prev), &m, &err), 0);
        assert_null(err);
        assert_int_equal(m.proto, PEER_PROTO_VERSION - 1);
        assert_int_equal(m.group.kind, PEER_G_CFG_ACK);
        assert_int_equal(json_integer_value(json_object_get(m.group.body, "version")), 4);
        peer_msg_clear(&m);
    }
    _cleanup_free_ char *far =
        xasprintf("{\"v\":%d,\"type\":\"config\",\"version\":4}", PEER_PROTO_VERSION + 10);
    _cleanup_free_ char *want = xasprintf(
        "protocol version %d is not supported (this node speaks %d and accepts %d to %d)",
        PEER_PROTO_VERSION + 10, PEER_PROTO_VERSION, PEER_PROTO_MIN, PEER_PROTO_VERSION + 1);
    struct peer_msg m;
    char *err = NULL;
    assert_int_equal(peer_decode(2, far, strlen(far), &m, &err), -EINVAL);
    assert_non_null(err);
    assert_string_equal(err, want);
    free(err);
    expect_reject_str("{\"v\":-2,\"type\":\"config\"}", "missing or bad protocol version 'v'");
    expect_reject_str("{\"v\":2.0,\"type\":\"config\"}", "missing or bad protocol version 'v'");
}

/*
 * A refusal quotes the peer's words on one line (found by fuzzing: a type or
 * op holding a newline made a log line of its own), and leaves the message
 * as it was (found by fuzzing: a fence message without its op kept "v").
 */
static void test_refusal_one_line_untouched(void **state)
{
    static const char *const bad[] = {
        "{\"v\":4,\"type\":\"report\\n\"}",
        "{\"v\":4,\"type\":\"fence\",\"op\":\"start\\nvigild: all is well\",\"node\":\"n1\"}",
        "{\"v\":4,\"type\":\"fence\",\"opl\":1}",
        "{\"v\":4,\"type\":\"hello\",\"id\":3}",
        "{\"v\":4,\"type\":\"x\",\"\r\":1}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct peer_msg m, untouched;
        memset(&untouched, 0x5a, sizeof(untouched));
        memset(&m, 0x5a, sizeof(m));
        char *err = NULL;
        assert_int_equal(peer_decode(2, bad[i], strlen(bad[i]), &m, &err), -EINVAL);
        if (strpbrk(err, "\r\n"))
            fail_msg("%s: the reason is not one line: %s", bad[i], err);
        assert_memory_equal(&m, &untouched, sizeof(m));
        free(err);
    }
    struct peer_msg m;
    char *err = NULL;
    assert_int_equal(peer_decode(2, bad[0], strlen(bad[0]), &m, &err), -EINVAL);
    assert_string_equal(err, "unknown message type 'report?'");
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_roundtrip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_binary_and_oversized),
        cmocka_unit_test(test_unknown_fields_ignored),
        cmocka_unit_test(test_protocol_versions),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_fence_roundtrip),
        cmocka_unit_test(test_fence_malformed),
        cmocka_unit_test(test_config_kinds_roundtrip),
        cmocka_unit_test(test_protocol_version_bounds),
        cmocka_unit_test(test_refusal_one_line_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
