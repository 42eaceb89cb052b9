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
    }
    memset(m, 0, sizeof(*m));
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

int peer_decode(uint32_t from_id, const void *data, size_t len, struct peer_msg *ret,
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
    if (json_integer_value(v) > PEER_PROTO_VERSION + 1)
        return fail(ret_err, j,
                    "protocol version %" PRId64 " is not supported (this node speaks %d)",
                    (int64_t)json_integer_value(v), PEER_PROTO_VERSION);
    if (!json_is_string(type))
        return fail(ret_err, j, "missing or bad message 'type'");
    memset(ret, 0, sizeof(*ret));
    if (strcmp(json_string_value(type), "hello") == 0)
        return decode_hello(from_id, j, ret, ret_err);
    return fail(ret_err, j, "unknown message type '%.32s'", json_string_value(type));
}
