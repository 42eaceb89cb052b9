/*
 * This node's view of the cluster: which nodes are members, quorum and votes,
 * link status, the coordinator, and the engine's health. It is fed by the
 * engine's callbacks and turns every change into events. It does no I/O of
 * its own (links are read through the engine handed to cluster_poll_links).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "config/config.h"
#include "daemon/eventlog.h"
#include "engine/engine.h"

enum engine_state {
    ENGINE_STARTING, /* not connected yet since the daemon started */
    ENGINE_RUNNING,  /* connected */
    ENGINE_LOST,     /* the connection was lost; being restored */
    ENGINE_STOPPED,  /* shut down on purpose */
    ENGINE_STATE_MAX
};

/*
 * Whether a node's work may be recovered elsewhere. Every member derives it
 * identically from the agreed membership and the fence messages.
 */
enum fence_state {
    FENCE_STATE_CLEAN,   /* a member, or it left cleanly */
    FENCE_STATE_UNCLEAN, /* it left without a clean shutdown and is not fenced yet */
    FENCE_STATE_FENCED,  /* fenced (or confirmed off) since it left */
    FENCE_STATE_MAX
};

struct node_view {
    bool online; /* its vigild is a member of the process group */
    bool link_up[CFG_MAX_NETWORKS];
    char *version;     /* from its hello message; NULL until heard */
    uint64_t cfg_hash; /* from its hello message */
    uint32_t protocol; /* the protocol version of its hello message (0 until heard) */
    enum fence_state fence;
    bool fencing;       /* a fence operation on it is under way */
    bool fenced_online; /* fenced while still a member: its leaving is not unclean */
    /*
     * Never a member since this vigild started (and no coordinator said
     * otherwise): it may still hold resources of an earlier run, so it counts
     * as unclean until it joins or is fenced (after fencing.startup_wait).
     */
    bool unseen;
    char *fence_note;        /* the last fence outcome, for operators; may be NULL */
    uint64_t fence_ts_ms;    /* wall clock of fence_note */
    unsigned fence_failures; /* failed operations since it became unclean */
};

struct cluster {
    const struct cfg *cfg;   /* not owned */
    struct eventlog *events; /* not owned */
    enum engine_state engine_state;
    unsigned engine_restarts;
    uint32_t local_id; /* 0 until the engine told us */
    bool quorate;
    struct engine_quorum votes;
    uint32_t coordinator; /* 0: none (not quorate) */
    /*
     * The lowest node id of the newest view (0: none yet, or the engine is
     * lost), set before that view's events are raised.
     */
    uint32_t lowest_member;
    uint32_t ring_nodeid;
    uint64_t ring_seq;
    uint64_t cfg_hash;       /* hash of our configuration's normalised form */
    struct node_view *nodes; /* indexed like cfg->nodes */
    /* Adds what other modules know (groups, standby) to a status object; may be NULL. */
    void (*status_extra)(void *ctx, json_t *status);
    void *status_ctx;
};

/* Sets up a view of cfg's nodes, all offline; events go to events. */
void cluster_init(struct cluster *cl, const struct cfg *cfg, struct eventlog *events);
/* Frees what cluster_init allocated; accepts a zeroed cl. */
void cluster_done(struct cluster *cl);

/* The engine connected: record our id, mark the engine running. */
void cluster_engine_connected(struct cluster *cl, uint32_t local_id);
/*
 * The engine was lost: everything we knew is void. Every node is offline,
 * quorum is lost and there is no coordinator until the engine is back.
 */
void cluster_engine_lost(struct cluster *cl, const char *why);
/* A new process-group view. Unknown node ids are ignored (the caller logs them). */
void cluster_apply_view(struct cluster *cl, const struct engine_view *v);
/* A new quorum state. */
void cluster_apply_quorum(struct cluster *cl, const struct engine_quorum *q);
/*
 * Asks the engine for the link status of every online peer (answered later
 * through cluster_apply_links). Returns 0 or a negative errno (-EBUSY: the
 * previous query is still under way).
 */
int cluster_query_links(struct cluster *cl, struct engine *e);
/* Records link status from the engine and reports changes as events. */
void cluster_apply_links(struct cluster *cl, const struct engine_links *links);
/* Records a node's hello (version and configuration hash); reports a mismatch. */
void cluster_apply_hello(struct cluster *cl, uint32_t nodeid, const char *version,
                         uint64_t cfg_hash, uint32_t protocol);

struct peer_msg;

/*
 * Applies a fence message broadcast by node `from` (agreed order): states,
 * notes and events. Messages naming unknown nodes are ignored (returns
 * -ENOENT so the caller can log it); a state list from another node than the
 * coordinator is ignored.
 */
int cluster_apply_fence(struct cluster *cl, uint32_t from, const struct peer_msg *m);

/*
 * Whether this node is the member with the lowest id of its partition (the
 * one that runs hooks for it), judged by the newest view, so that events
 * raised while a view is applied already see the whole of it. True before
 * this node knows its id or any view, and while the engine is lost (then
 * this node is a partition of its own).
 */
bool cluster_lowest_member_is_local(const struct cluster *cl);

/* Index of node name in cfg->nodes, or -1. */
int cluster_node_index_by_name(const struct cluster *cl, const char *name);

/* The name of a fence state ("clean", "unclean", "fenced"); "unknown" out of range (constant
 * strings). */
const char *fence_state_name(enum fence_state s);

/* Index of node id in cfg->nodes, or -1. */
int cluster_node_index(const struct cluster *cl, uint32_t id);
/* The name of node id, or "node <id>" style fallback in buf (32 bytes). */
const char *cluster_node_name(const struct cluster *cl, uint32_t id, char buf[static 32]);

/* The status object of the control protocol (caller owns it). */
json_t *cluster_status_json(const struct cluster *cl);

/* The name of an engine state ("starting", "running", ...); "unknown" out of range (constant
 * strings). */
const char *engine_state_name(enum engine_state s);
