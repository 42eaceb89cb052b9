/*
 * Messages between vigild peers, carried by the engine's agreed-order
 * broadcast. Each message is one JSON object with a protocol version "v" and
 * a "type". Anything malformed is rejected with a reason and never acted on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The protocol version every message carries as "v". A node accepts messages
 * from PEER_PROTO_MIN (the oldest version it understands) up to one version
 * newer than its own, and ignores fields it does not know, so that nodes can
 * be upgraded one at a time (vigild(8), UPGRADING). Version 2 added the
 * replicated configuration and planned stops; version 3 the expiry of
 * failures (expire), which a coordinator sends only when every member speaks
 * version 3 or later (an older node would drop it and keep the ban); version
 * 4 node attributes (attr), which a node sends only when every member speaks
 * version 4 or later.
 */
#define PEER_PROTO_VERSION 4
#define PEER_PROTO_EXPIRE  3 /* the first version that understands "expire" */
#define PEER_PROTO_ATTR    4 /* the first version that understands "attr" */
#define PEER_PROTO_MIN     1
#define PEER_MAX_MESSAGE   (256u * 1024)

enum peer_type {
    PEER_HELLO,
    PEER_FENCE,
    PEER_GROUP, /* report, action, failure, intent, ack, db, expire, attr: decoded by the group view
                 */
    PEER_TYPE_MAX
};

/* Messages about groups; their bodies are checked field by field by gview_wire.c. */
enum peer_group_kind {
    PEER_G_REPORT,  /* a node's state of one group */
    PEER_G_ACTION,  /* the coordinator: start or stop a group on a node */
    PEER_G_FAILURE, /* a node: a resource failed */
    PEER_G_INTENT,  /* an admin's command, to apply and persist */
    PEER_G_ACK,     /* a member applied and persisted an intent */
    PEER_G_DB,      /* a member's copy of the cluster database, after a membership change */
    PEER_G_EXPIRE,  /* the coordinator: a group's failures on a node expired (protocol 3) */
    PEER_G_ATTR,    /* a node attribute set or deleted, or a node's transient ones forgotten (4) */
    /* The replicated configuration (src/daemon/cfgsync.c): */
    PEER_G_CONFIG,  /* a new configuration: an admin's apply, or the current one for a late node */
    PEER_G_CFG_VER, /* a member's configuration version, after a membership change */
    PEER_G_CFG_READY, /* a member stopped what an apply removes or changes, and is ready */
    PEER_G_CFG_ACK,   /* a member wrote the applied configuration to its disk */
    PEER_G_CFG_ABORT, /* the node applying gives up (a member was not ready in time) */
    PEER_G_NODE_STOP, /* an admin asks a node to move its groups away and leave (node stop) */
    PEER_G_KIND_MAX
};

/* What a fence message says; every member applies them in the same order. */
enum peer_fence_op {
    PEER_FENCE_REQUEST, /* an admin asked for a fence (any member may send it) */
    PEER_FENCE_START,   /* the coordinator starts fencing node */
    PEER_FENCE_ATTEMPT, /* one device call of one level finished */
    PEER_FENCE_RESULT,  /* the operation finished: ok or not */
    PEER_FENCE_CONFIRM, /* an admin confirmed by hand that node is off */
    PEER_FENCE_STATE,   /* the coordinator's list of unclean nodes, for members that join */
    PEER_FENCE_OP_MAX
};

#define PEER_MAX_STRING 1024
#define PEER_MAX_LIST   64

struct peer_msg {
    enum peer_type type;
    uint32_t proto;
    union {
        struct {
            uint32_t node_id;
            char *node;    /* owned */
            char *version; /* owned: the vigild release */
            uint64_t cfg_hash;
        } hello;
        struct {
            enum peer_fence_op op;
            char *node;       /* owned; NULL only for PEER_FENCE_STATE */
            char *action;     /* REQUEST: "off" or "reboot"; owned, may be NULL */
            uint32_t level;   /* ATTEMPT, RESULT (0: every level failed) */
            uint32_t attempt; /* ATTEMPT */
            char *device;     /* ATTEMPT; owned, may be NULL */
            char *outcome;    /* ATTEMPT; owned, may be NULL */
            char *reason;     /* ATTEMPT, RESULT, CONFIRM; owned, may be NULL */
            bool ok;          /* RESULT */
            char **unclean;   /* STATE: node names; owned */
            size_t n_unclean;
            char **unseen; /* STATE: those of unclean never seen since start-up; owned */
            size_t n_unseen;
        } fence;
        struct {
            enum peer_group_kind kind;
            void *body; /* json_t *, owned: the whole message object */
        } group;
    };
};

/* Encodes a hello; returns a buffer owned by the caller and its length. */
char *peer_encode_hello(uint32_t node_id, const char *node, const char *version, uint64_t cfg_hash,
                        size_t *ret_len);

/*
 * Encodes a fence message from the fields of m->fence that its op uses.
 * Returns a buffer owned by the caller and its length.
 */
char *peer_encode_fence(const struct peer_msg *m, size_t *ret_len);

/*
 * The wire name of a fence op ("request", ...), or "unknown" out of
 * range: a constant string.
 */
const char *peer_fence_op_name(enum peer_fence_op op);
/*
 * The wire name of a group message kind ("report", ...), or "unknown" out of
 * range: a constant string.
 */
const char *peer_group_kind_name(enum peer_group_kind k);

/*
 * Encodes a group message: body (a JSON object, borrowed) gets "v" and
 * "type" added. Returns a buffer owned by the caller and its length.
 */
char *peer_encode_group(enum peer_group_kind kind, void *body, size_t *ret_len);

/*
 * Decodes a message that node from_id broadcast. Returns 0 and fills *ret
 * (free with peer_msg_clear) or -EINVAL, leaving *ret untouched, and sets
 * *ret_err to a reason owned by the caller: one line, control bytes of what
 * it quotes shown as '?'. A message claiming to come from another node than
 * from_id is rejected.
 */
int peer_decode(uint32_t from_id, const void *data, size_t len, struct peer_msg *ret,
                char **ret_err);

/* Frees what peer_decode stored; accepts a zeroed msg. */
void peer_msg_clear(struct peer_msg *m);

/* 64-bit FNV-1a hash, used to compare configurations between nodes (not a security hash). */
uint64_t peer_hash(const void *data, size_t len);
