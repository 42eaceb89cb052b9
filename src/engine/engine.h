/*
 * The transport interface: membership events plus agreed-order broadcast.
 *
 * vigild sees the cluster only through this interface. In production the
 * Corosync adapter (engine_corosync_new) implements it with libcpg,
 * libvotequorum and libcmap; tests can implement it in memory. Callbacks are
 * invoked from the event loop, never from inside a call the daemon makes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define ENGINE_MAX_LINKS 8

/* Why a member left the process group. */
enum engine_leave {
    ENGINE_LEAVE_CLEAN,    /* the daemon left the group on purpose (clean shutdown) */
    ENGINE_LEAVE_NODEDOWN, /* the node dropped out of the membership */
    ENGINE_LEAVE_PROCDOWN, /* the daemon's process died while its node stayed */
    ENGINE_LEAVE_OTHER,
    ENGINE_LEAVE_MAX
};

/* A membership view: the daemons currently in the group, in agreed order. */
struct engine_view {
    const uint32_t *members; /* node ids, ascending */
    size_t n_members;
    const uint32_t *joined;
    size_t n_joined;
    const uint32_t *left;
    const enum engine_leave *left_reason; /* one per left entry */
    size_t n_left;
};

/* Quorum as the engine's vote counting sees it. */
struct engine_quorum {
    bool quorate;
    uint32_t total_votes;
    uint32_t expected_votes;
    uint32_t needed_votes; /* votes a partition needs to be quorate */
};

struct engine_callbacks {
    /* The engine is connected; local_nodeid is this node's id. */
    void (*connected)(void *ctx, uint32_t local_nodeid);
    /* The process group's membership changed (or the initial view). */
    void (*view)(void *ctx, const struct engine_view *view);
    /* The underlying ring changed; ring_seq increases with every change. */
    void (*ring)(void *ctx, uint32_t ring_nodeid, uint64_t ring_seq);
    /* Quorum or votes changed. */
    void (*quorum)(void *ctx, const struct engine_quorum *q);
    /* A message broadcast by a member (including ourselves), in agreed order. */
    void (*deliver)(void *ctx, uint32_t from_nodeid, const void *msg, size_t len);
    /*
     * The connection to the engine is gone (the engine died or dropped us).
     * Every view and quorum known before is void. err is a negative errno.
     */
    void (*lost)(void *ctx, int err);
};

struct engine;

struct engine_ops {
    /* Tries to connect; returns 0, -EAGAIN if the engine is not up yet, or another error. */
    int (*connect)(struct engine *e);
    /* Leaves the group cleanly and disconnects; a no-op if not connected. */
    void (*disconnect)(struct engine *e);
    /* Broadcasts msg to every member in agreed order; 0 or a negative errno. */
    int (*broadcast)(struct engine *e, const void *msg, size_t len);
    /*
     * Whether this node's link number `link` to `nodeid` is connected.
     * Returns 0 and sets *ret_up, or a negative errno (-ENOENT: no such link).
     */
    int (*link_up)(struct engine *e, uint32_t nodeid, unsigned link, bool *ret_up);
    /* Disconnects and frees; accepts NULL through engine_free. */
    void (*free)(struct engine *e);
};

struct engine {
    const struct engine_ops *ops;
    const struct engine_callbacks *cb;
    void *ctx;
};

/*
 * Creates the Corosync adapter on loop. group is the process-group name
 * (vigild uses "vigil"). Nothing is connected until ops->connect succeeds.
 * The returned engine is owned by the caller (engine_free).
 */
struct engine *engine_corosync_new(uv_loop_t *loop, const char *group,
                                   const struct engine_callbacks *cb, void *ctx);

static inline int engine_connect(struct engine *e)
{
    return e->ops->connect(e);
}
static inline void engine_disconnect(struct engine *e)
{
    e->ops->disconnect(e);
}
static inline int engine_broadcast(struct engine *e, const void *msg, size_t len)
{
    return e->ops->broadcast(e, msg, len);
}
static inline int engine_link_up(struct engine *e, uint32_t nodeid, unsigned link, bool *ret_up)
{
    return e->ops->link_up(e, nodeid, link, ret_up);
}
static inline void engine_free(struct engine *e)
{
    if (e)
        e->ops->free(e);
}

const char *engine_leave_name(enum engine_leave r);
