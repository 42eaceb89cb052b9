/*
 * Planned stops (vigil node stop, SIGTERM). Stopping this node: it reports
 * itself leaving, the coordinator moves its groups to their next nodes, and
 * it leaves cleanly once each group that ran here runs elsewhere or has
 * nowhere to run, or stops what is left in place after DRAIN_TIMEOUT_MS (at
 * once without quorum, or with --now). Stopping another node: the request is
 * broadcast, and the reply waits until that node has left. The module owns
 * the drain's state and the waiting replies; it reports upward through
 * struct drain_hooks.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/cluster.h"
#include "daemon/gview.h"
#include "daemon/lrm.h"
#include "daemon/peer.h"
#include "daemon/replies.h"
#include "engine/engine.h"

/* How long the groups get to move away before they are stopped here anyway. */
#define DRAIN_TIMEOUT_MS 120000
/* How long `vigil node stop` of another node waits for it to leave. */
#define DRAIN_NODE_STOP_WAIT_MS (DRAIN_TIMEOUT_MS + 120000)

struct drain_hooks {
    /* Stop this node's groups in place, then leave the cluster (why: for the log). */
    void (*shutdown)(void *ctx, const char *why);
    /*
     * This node begins to move its groups away: it is stopping, must report
     * itself leaving (the coordinator runs nothing new here) and plan again.
     */
    void (*leaving)(void *ctx);
    /* Whether this node is already stopping. */
    bool (*stopping)(void *ctx);
    /* Broadcast a message (body borrowed). 0 or a negative errno. */
    int (*send)(void *ctx, enum peer_group_kind kind, json_t *body);
};

struct drain {
    const struct cluster *cl; /* membership, quorum and (cl->cfg) the running configuration */
    struct gview *gv;         /* where the plan puts groups */
    struct lrm *lrm;          /* what runs here; NULL when this node runs no group */
    int local_node;           /* this node's index, or -1 */
    const struct drain_hooks *hooks;
    void *ctx;
    bool draining;
    uint64_t deadline_ms;
    bool *ran_here;       /* per group: ran here when the stop began */
    uint64_t stop_token;  /* a `vigil node stop` of this node waiting for the outcome, or 0 */
    struct replies stops; /* `vigil node stop` of other nodes, keyed by node index */
};

/*
 * Sets dr up. cl, gv and lrm (which may be NULL) are borrowed and must
 * outlive it; replies go out through send(ctx, token, reply), hooks with
 * ctx.
 */
void drain_init(struct drain *dr, const struct cluster *cl, struct gview *gv, struct lrm *lrm,
                int local_node, const struct drain_hooks *hooks, replies_send_fn send, void *ctx);
/* Frees dr's state; waiting replies are dropped unanswered. Accepts a zeroed dr. */
void drain_done(struct drain *dr);

/*
 * Stops this node: with now, its groups are stopped here and it leaves;
 * otherwise they move away first. token: a local `vigil node stop` waiting
 * for the outcome (answered when the node leaves), or 0. why: for the log.
 */
void drain_begin(struct drain *dr, bool now, uint64_t token, const char *why);

/*
 * While draining: once the groups settled elsewhere (or time is up, or
 * quorum is lost), stops what is left here (lrm_stop_all), after which the
 * node leaves. Call whenever the plan, quorum or local state changes, and
 * every second.
 */
void drain_check(struct drain *dr);

/*
 * Whether each group in which[] (cfg->n_groups entries) has settled by plan
 * (of cfg): running, or with nowhere to run, nothing under way for it. A
 * group blocked while it waits for a group it requires or runs together
 * with, which itself runs nowhere and has settled (failed, stopped, ...),
 * has settled too: it runs nothing and would wait as long (drain_check
 * does not wait for it).
 */
bool drain_settled(const struct cfg *cfg, const struct pol_output *plan, const bool *which);

/* This node leaves the cluster: answers the local `vigil node stop` with where its groups went. */
void drain_reply_local(struct drain *dr);

/*
 * The control request `node stop NODE [--now]` (req borrowed). Returns a
 * reply (new reference) or NULL with *ret_defer set: answered under token
 * when the node has left, or failed to leave in time.
 */
json_t *drain_request(struct drain *dr, json_t *req, uint64_t token, bool *ret_defer);

/* A PEER_G_NODE_STOP message from node id from (body borrowed): stop if it names this node. */
void drain_deliver(struct drain *dr, uint32_t from, json_t *body);

/* A new view: answers `vigil node stop` of each node that left (cleanly, or not). */
void drain_view(struct drain *dr, const struct engine_view *v);

/* Answers `vigil node stop` requests that waited too long (call every second). */
void drain_expire(struct drain *dr, uint64_t now_ms);
