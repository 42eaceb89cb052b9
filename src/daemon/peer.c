#include "daemon/peer.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

uint64_t peer_hash(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

char *peer_encode_hello(uint32_t node_id, const char *node, const char *version, uint64_t cfg_hash,
                        size_t *ret_len)
{
    char hash[17];
    snprintf(hash, sizeof(hash), "%016" PRIx64, cfg_hash);
    json_t *j =
        json_pack("{s:i, s:s, s:I, s:s, s:s, s:s}", "v", PEER_PROTO_VERSION, "type", "hello", "id",
                  (json_int_t)node_id, "node", node, "version", version, "config", hash);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        s = xstrdup("{}");
    *ret_len = strlen(s);
    return s;
}

void peer_msg_clear(struct peer_msg *m)
{
    if (m->type == PEER_HELLO) {
        free(m->hello.node);
        free(m->hello.version);
    } else if (m->type == PEER_FENCE) {
        free(m->fence.node);
        free(m->fence.action);
        free(m->fence.device);
        free(m->fence.outcome);
        free(m->fence.reason);
        for (size_t i = 0; i < m->fence.n_unclean; i++)
            free(m->fence.unclean[i]);
        free(m->fence.unclean);
        for (size_t i = 0; i < m->fence.n_unseen; i++)
            free(m->fence.unseen[i]);
        free(m->fence.unseen);
    } else if (m->type == PEER_GROUP) {
        json_decref(m->group.body);
    }
    memset(m, 0, sizeof(*m));
}

static const char *const fence_op_names[PEER_FENCE_OP_MAX] = {"request", "start",   "attempt",
                                                              "result",  "confirm", "state"};

const char *peer_fence_op_name(enum peer_fence_op op)
{
    return op < PEER_FENCE_OP_MAX ? fence_op_names[op] : "unknown";
}

static const char *const group_kind_names[PEER_G_KIND_MAX] = {[PEER_G_REPORT] = "report",
                                                              [PEER_G_ACTION] = "action",
                                                              [PEER_G_FAILURE] = "failure",
                                                              [PEER_G_INTENT] = "intent",
                                                              [PEER_G_ACK] = "ack",
                                                              [PEER_G_DB] = "db",
                                                              [PEER_G_EXPIRE] = "expire",
                                                              [PEER_G_ATTR] = "attr",
                                                              [PEER_G_CONFIG] = "config",
                                                              [PEER_G_CFG_VER] = "config-version",
                                                              [PEER_G_CFG_READY] = "config-ready",
                                                              [PEER_G_CFG_ACK] = "config-ack",
                                                              [PEER_G_CFG_ABORT] = "config-abort",
                                                              [PEER_G_NODE_STOP] = "node-stop"};

const char *peer_group_kind_name(enum peer_group_kind k)
{
    return (unsigned)k < PEER_G_KIND_MAX ? group_kind_names[k] : "unknown";
}

char *peer_encode_group(enum peer_group_kind kind, void *body, size_t *ret_len)
{
    json_t *j = body;
    json_object_set_new(j, "v", json_integer(PEER_PROTO_VERSION));
    json_object_set_new(j, "type", json_string(group_kind_names[kind]));
    char *s = json_dumps(j, JSON_COMPACT);
    if (!s)
        s = xstrdup("{}");
    *ret_len = strlen(s);
    return s;
}

static void set_opt_string(json_t *j, const char *key, const char *value)
{
    if (value)
        json_object_set_new(j, key, json_string(value));
}

char *peer_encode_fence(const struct peer_msg *m, size_t *ret_len)
{
    json_t *j = json_pack("{s:i, s:s, s:s}", "v", PEER_PROTO_VERSION, "type", "fence", "op",
                          peer_fence_op_name(m->fence.op));
    set_opt_string(j, "node", m->fence.node);
    set_opt_string(j, "action", m->fence.action);
    set_opt_string(j, "device", m->fence.device);
    set_opt_string(j, "outcome", m->fence.outcome);
    set_opt_string(j, "reason", m->fence.reason);
    if (m->fence.op == PEER_FENCE_ATTEMPT || m->fence.op == PEER_FENCE_RESULT)
        json_object_set_new(j, "level", json_integer(m->fence.level));
    if (m->fence.op == PEER_FENCE_ATTEMPT)
        json_object_set_new(j, "attempt", json_integer(m->fence.attempt));
    if (m->fence.op == PEER_FENCE_RESULT)
        json_object_set_new(j, "ok", json_boolean(m->fence.ok));
    if (m->fence.op == PEER_FENCE_STATE) {
        json_t *a = json_array();
        for (size_t i = 0; i < m->fence.n_unclean; i++)
            json_array_append_new(a, json_string(m->fence.unclean[i]));
        json_object_set_new(j, "unclean", a);
        json_t *u = json_array();
        for (size_t i = 0; i < m->fence.n_unseen; i++)
            json_array_append_new(u, json_string(m->fence.unseen[i]));
        json_object_set_new(j, "unseen", u);
    }
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        s = xstrdup("{}");
    *ret_len = strlen(s);
    return s;
}

/* A string field: absent is fine unless required; present must be a short string. */
static int get_string(json_t *j, const char *key, bool required, char **ret, char **ret_err)
{
    json_t *v = json_object_get(j, key);
    if (!v) {
        if (!required)
            return 0;
        *ret_err = xasprintf("bad fence message: missing '%s'", key);
        return -EINVAL;
    }
    if (!json_is_string(v) || json_string_length(v) > PEER_MAX_STRING ||
        json_string_length(v) != strlen(json_string_value(v))) {
        *ret_err = xasprintf("bad fence message: '%s' must be a string of at most %d bytes", key,
                             PEER_MAX_STRING);
        return -EINVAL;
    }
    *ret = xstrdup(json_string_value(v));
    return 0;
}

static int get_uint(json_t *j, const char *key, uint32_t max, uint32_t *ret, char **ret_err)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
        *ret_err = xasprintf("bad fence message: '%s' must be an integer from 0 to %u", key, max);
        return -EINVAL;
    }
    *ret = (uint32_t)json_integer_value(v);
    return 0;
}

/* A list of node names (at most PEER_MAX_LIST). */
static int get_names(json_t *j, const char *key, bool required, char ***ret, size_t *ret_n,
                     char **ret_err)
{
    json_t *a = json_object_get(j, key);
    if (!a && !required)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > PEER_MAX_LIST) {
        *ret_err = xasprintf("bad fence message: '%s' must be a list of at most %d names", key,
                             PEER_MAX_LIST);
        return -EINVAL;
    }
    *ret = xcalloc(json_array_size(a) + 1, sizeof(char *));
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_string(v) || json_string_length(v) > PEER_MAX_STRING) {
            *ret_err = xasprintf("bad fence message: '%s' must hold node names", key);
            return -EINVAL;
        }
        (*ret)[(*ret_n)++] = xstrdup(json_string_value(v));
    }
    return 0;
}

static int decode_fence_fields(json_t *j, struct peer_msg *m, char **ret_err)
{
    int r = 0;
    bool need_node = m->fence.op != PEER_FENCE_STATE;
    r = get_string(j, "node", need_node, &m->fence.node, ret_err);
    if (r == 0)
        r = get_string(j, "action", false, &m->fence.action, ret_err);
    if (r == 0)
        r = get_string(j, "device", m->fence.op == PEER_FENCE_ATTEMPT, &m->fence.device, ret_err);
    if (r == 0)
        r = get_string(j, "outcome", m->fence.op == PEER_FENCE_ATTEMPT, &m->fence.outcome, ret_err);
    if (r == 0)
        r = get_string(j, "reason", false, &m->fence.reason, ret_err);
    if (r == 0 && (m->fence.op == PEER_FENCE_ATTEMPT || m->fence.op == PEER_FENCE_RESULT))
        r = get_uint(j, "level", 1000, &m->fence.level, ret_err);
    if (r == 0 && m->fence.op == PEER_FENCE_ATTEMPT)
        r = get_uint(j, "attempt", 1000, &m->fence.attempt, ret_err);
    if (r == 0 && m->fence.op == PEER_FENCE_RESULT) {
        json_t *ok = json_object_get(j, "ok");
        if (!json_is_boolean(ok)) {
            *ret_err = xstrdup("bad fence message: 'ok' must be true or false");
            r = -EINVAL;
        } else {
            m->fence.ok = json_is_true(ok);
        }
    }
    if (r == 0 && m->fence.action && strcmp(m->fence.action, "off") != 0 &&
        strcmp(m->fence.action, "reboot") != 0) {
        *ret_err = xstrdup("bad fence message: 'action' must be off or reboot");
        r = -EINVAL;
    }
    if (r == 0 && m->fence.op == PEER_FENCE_STATE) {
        r = get_names(j, "unclean", true, &m->fence.unclean, &m->fence.n_unclean, ret_err);
        if (r == 0) /* absent in messages of older peers */
            r = get_names(j, "unseen", false, &m->fence.unseen, &m->fence.n_unseen, ret_err);
    }
    return r;
}

static int decode_fence(json_t *j, struct peer_msg *ret, char **ret_err)
{
    const char *op = json_string_value(json_object_get(j, "op"));
    if (!op) {
        json_decref(j);
        *ret_err = xstrdup("bad fence message: missing 'op'");
        return -EINVAL;
    }
    ret->type = PEER_FENCE;
    ret->fence.op = PEER_FENCE_OP_MAX;
    for (int i = 0; i < PEER_FENCE_OP_MAX; i++)
        if (strcmp(op, fence_op_names[i]) == 0)
            ret->fence.op = (enum peer_fence_op)i;
    if (ret->fence.op == PEER_FENCE_OP_MAX) {
        *ret_err = xasprintf("bad fence message: unknown op '%.32s'", op);
        json_decref(j);
        memset(ret, 0, sizeof(*ret));
        return -EINVAL;
    }
    int r = decode_fence_fields(j, ret, ret_err);
    json_decref(j);
    if (r < 0)
        peer_msg_clear(ret);
    return r;
}

static int fail(char **ret_err, json_t *j, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char **ret_err, json_t *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *ret_err = xvasprintf(fmt, ap);
    va_end(ap);
    json_decref(j);
    return -EINVAL;
}

static int decode_hello(uint32_t from_id, json_t *j, struct peer_msg *ret, char **ret_err)
{
    /* Unknown fields are ignored, so that a newer peer can add some. */
    json_int_t id, proto;
    const char *node, *version, *hash;
    json_error_t jerr;
    if (json_unpack_ex(j, &jerr, 0, "{s:I, s:I, s:s, s:s, s:s}", "v", &proto, "id", &id, "node",
                       &node, "version", &version, "config", &hash) < 0)
        return fail(ret_err, j, "bad hello: %s", jerr.text);
    if (id != (json_int_t)from_id)
        return fail(ret_err, j, "hello claims node id %" PRId64 " but came from node id %" PRIu32,
                    (int64_t)id, from_id);
    char *end = NULL;
    if (strlen(hash) != 16)
        return fail(ret_err, j, "bad hello: config hash is not 16 hex digits");
    uint64_t h = strtoull(hash, &end, 16);
    if (*end)
        return fail(ret_err, j, "bad hello: config hash is not 16 hex digits");
    if (strlen(node) > 255 || strlen(version) > 64)
        return fail(ret_err, j, "bad hello: node name or version too long");
    ret->type = PEER_HELLO;
    ret->proto = (uint32_t)proto;
    ret->hello.node_id = from_id;
    ret->hello.node = xstrdup(node);
    ret->hello.version = xstrdup(version);
    ret->hello.cfg_hash = h;
    json_decref(j);
    return 0;
}

static int decode(uint32_t from_id, const void *data, size_t len, struct peer_msg *ret,
                  char **ret_err)
{
    if (len > PEER_MAX_MESSAGE)
        return fail(ret_err, NULL, "message of %zu bytes exceeds the limit of %u", len,
                    PEER_MAX_MESSAGE);
    json_error_t jerr;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return fail(ret_err, NULL, "not JSON: %s", jerr.text);
    if (!json_is_object(j))
        return fail(ret_err, j, "not a JSON object");
    json_t *v = json_object_get(j, "v");
    json_t *type = json_object_get(j, "type");
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return fail(ret_err, j, "missing or bad protocol version 'v'");
    if (json_integer_value(v) < PEER_PROTO_MIN || json_integer_value(v) > PEER_PROTO_VERSION + 1)
        return fail(ret_err, j,
                    "protocol version %" PRId64 " is not supported (this node speaks %d and "
                    "accepts %d to %d)",
                    (int64_t)json_integer_value(v), PEER_PROTO_VERSION, PEER_PROTO_MIN,
                    PEER_PROTO_VERSION + 1);
    if (!json_is_string(type))
        return fail(ret_err, j, "missing or bad message 'type'");
    memset(ret, 0, sizeof(*ret));
    if (strcmp(json_string_value(type), "hello") == 0)
        return decode_hello(from_id, j, ret, ret_err);
    if (strcmp(json_string_value(type), "fence") == 0) {
        ret->proto = (uint32_t)json_integer_value(v);
        return decode_fence(j, ret, ret_err);
    }
    for (int k = 0; k < PEER_G_KIND_MAX; k++) {
        if (strcmp(json_string_value(type), group_kind_names[k]) == 0) {
            ret->type = PEER_GROUP;
            ret->proto = (uint32_t)json_integer_value(v);
            ret->group.kind = (enum peer_group_kind)k;
            ret->group.body = j;
            return 0;
        }
    }
    return fail(ret_err, j, "unknown message type '%.32s'", json_string_value(type));
}

int peer_decode(uint32_t from_id, const void *data, size_t len, struct peer_msg *ret,
                char **ret_err)
{
    struct peer_msg m;
    memset(&m, 0, sizeof(m));
    int r = decode(from_id, data, len, &m, ret_err);
    if (r == 0) {
        *ret = m;
        return 0;
    }
    str_one_line(*ret_err); /* it quotes the peer's words (a type, an op) */
    return r;
}
