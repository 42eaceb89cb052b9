/*
 * Messages between vigild peers, carried by the engine's agreed-order
 * broadcast. Each message is one JSON object with a protocol version "v" and
 * a "type". Anything malformed is rejected with a reason and never acted on.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PEER_PROTO_VERSION 1
#define PEER_MAX_MESSAGE   (256u * 1024)

enum peer_type { PEER_HELLO, PEER_TYPE_MAX };

struct peer_msg {
    enum peer_type type;
    uint32_t proto;
    union {
        struct {
            uint32_t node_id;
            char *node;    /* owned */
            char *version; /* owned */
            uint64_t cfg_hash;
        } hello;
    };
};

/* Encodes a hello; returns a buffer owned by the caller and its length. */
char *peer_encode_hello(uint32_t node_id, const char *node, const char *version, uint64_t cfg_hash,
                        size_t *ret_len);

/*
 * Decodes a message that node from_id broadcast. Returns 0 and fills *ret
 * (free with peer_msg_clear) or -EINVAL and sets *ret_err to a reason owned by
 * the caller. A message claiming to come from another node than from_id is
 * rejected.
 */
int peer_decode(uint32_t from_id, const void *data, size_t len, struct peer_msg *ret,
                char **ret_err);

/* Frees what peer_decode stored; accepts a zeroed msg. */
void peer_msg_clear(struct peer_msg *m);

/* 64-bit FNV-1a hash, used to compare configurations between nodes (not a security hash). */
uint64_t peer_hash(const void *data, size_t len);
