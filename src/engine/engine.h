/*
 * The transport interface: membership events plus agreed-order broadcast.
 *
 * vigild sees the cluster only through this interface. In production the
 * Corosync adapter (engine_corosync_new) implements it with libcpg,
 * libvotequorum and libcmap; tests can implement it in memory. Callbacks are
 * invoked from the event loop, never from inside a call the daemon makes.
 * Nothing here blocks the loop: requests that wait for the engine's answer
 * run on a worker thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define ENGINE_MAX_LINKS  8
#define ENGINE_MAX_QUEUED 4096 /* broadcasts waiting for the engine to take them */
#define ENGINE_RETRY_MS   10   /* retry of a broadcast the engine asked to try again */

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

/* The result of a link query: up[i * ENGINE_MAX_LINKS + k] is link k to nodes[i]. */
struct engine_links {
    const uint32_t *nodes;
    size_t n_nodes;
    const bool *up;
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
    /* The answer to engine_query_links. */
    void (*links)(void *ctx, const struct engine_links *links);
    /*
     * The connection to the engine is gone (the engine died or dropped us).
     * Every view and quorum known before is void. err is a negative errno.
     */
    void (*lost)(void *ctx, int err);
};

struct engine;

struct engine_ops {
    /*
     * Starts an attempt to connect, off the event loop. Returns 0 when the
     * attempt started or the engine is already connected, -EBUSY while an
     * earlier attempt is still under way. The connected callback reports
     * success; a failed attempt (the engine is not up yet) reports nothing and
     * may simply be tried again.
     */
    int (*connect)(struct engine *e);
    /* Leaves the group cleanly and disconnects; a no-op if not connected. */
    void (*disconnect)(struct engine *e);
    /*
     * Broadcasts msg to every member in agreed order. Returns 0 once the
     * message is accepted: it is queued (in order) while the engine asks to
     * try again, as it does during a membership change. -ENOTCONN when not
     * connected, -ENOBUFS when ENGINE_MAX_QUEUED messages already wait.
     */
    int (*broadcast)(struct engine *e, const void *msg, size_t len);
    /*
     * Asks, off the event loop, whether this node's links 0..n_links-1 to
     * each of nodes are connected; the links callback answers. Returns 0, or
     * -EBUSY while an earlier query is still under way, or -ENOTCONN.
     */
    int (*query_links)(struct engine *e, const uint32_t *nodes, size_t n_nodes, unsigned n_links);
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
static inline int engine_query_links(struct engine *e, const uint32_t *nodes, size_t n_nodes,
                                     unsigned n_links)
{
    return e->ops->query_links(e, nodes, n_nodes, n_links);
}
static inline void engine_free(struct engine *e)
{
    if (e)
        e->ops->free(e);
}

/*
 * True if a Corosync answers on this node. Blocks briefly: for start-up
 * checks, before the event loop runs.
 */
bool engine_corosync_running(void);
