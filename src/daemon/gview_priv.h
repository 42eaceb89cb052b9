/*
 * Private to the group view (gview.c, gview_wire.c, gview_intent.c,
 * gview_plan.c, gview_status.c): the helpers its files share. The view's
 * state is struct gview (gview.h). Nothing else includes this header.
 */
#pragma once

#include "daemon/gview.h"

static inline size_t n_nodes(const struct gview *gv)
{
    return gv->cfg->n_nodes;
}

/* This node's index, or -1 before the engine told its id. */
static inline int local_index(const struct gview *gv)
{
    return gv->cl->local_id ? cluster_node_index(gv->cl, gv->cl->local_id) : -1;
}

static inline const char *nname(const struct gview *gv, size_t n)
{
    return gv->cfg->nodes[n].name;
}

static inline enum cfg_group_kind gview_kind(const struct gview *gv, size_t g)
{
    return gv->cfg->groups[g].kind;
}

/*
 * Whether group g serves on x's node, for the gaps and recovery events: a
 * single group starting or running; a promotable group primary there (or
 * promoted resources may be active); a clone: never (its copies have no
 * group-wide gap).
 */
static inline bool gview_serving(const struct gview *gv, size_t g, const struct gnode *x)
{
    switch (gview_kind(gv, g)) {
    case CFG_KIND_PROMOTABLE:
        return x->promoted || x->obs == POL_OBS_PRIMARY || x->obs == POL_OBS_PROMOTING ||
               x->obs == POL_OBS_DEMOTING;
    case CFG_KIND_CLONE:
        return false;
    default:
        return x->obs == POL_OBS_RUNNING || x->obs == POL_OBS_STARTING;
    }
}

/* ---- gview.c ---- */

/* Tells the owner, through the replan hook, that the plan may have changed. */
void gview_replan(struct gview *gv);
/*
 * Broadcasts a group message through the send hook; takes body. Returns 0
 * or a negative errno (-ENOTCONN without a send hook).
 */
int gview_send(struct gview *gv, enum peer_group_kind k, json_t *body);
/*
 * The database changed: hands its text to the serialised writer (when the
 * view has a state directory; a failed write is logged there) and tells the
 * db_changed hook.
 */
void gview_save_db(struct gview *gv);
/*
 * Sends ack (taken) once every database change before it is on disk, with
 * ok false and the error when that write failed; at once when no write is
 * pending. Dropped when the view is torn down first.
 */
void gview_send_ack_saved(struct gview *gv, json_t *ack);
/*
 * Group g stopped being available (for the gap of the next start event);
 * node_lost: it went down with its node, so its next start is a recovery.
 */
void gview_went_down(struct gview *gv, size_t g, bool node_lost);

/* ---- gview_wire.c: message fields ---- */

/*
 * The fields of a message body. On a missing or malformed field each
 * returns NULL, false or -1 and sets *err (owned by the caller) unless it
 * is already set.
 */

/* j[key], a string of at most PEER_MAX_STRING bytes; absent and not required: NULL, no error. */
const char *gview_get_str(json_t *j, const char *key, bool required, char **err);
/* j[key], a non-negative integer, into *ret (untouched on failure). */
bool gview_get_u64(json_t *j, const char *key, uint64_t *ret, char **err);
/* A node's index from its name in j[key]; an unknown name is an error. */
int gview_get_node(const struct gview *gv, json_t *j, const char *key, char **err);
/* A group's index from its name in j["group"]; an unknown name is an error. */
int gview_get_group(const struct gview *gv, json_t *j, char **err);
/* The index of resource name in group cg, or -1. */
int gview_res_index(const struct cfg_group *cg, const char *name);
/*
 * An action from node `from` (see gview_deliver); also delivers the ones
 * held until quorum was known (gview_quorum). 0, or -EINVAL with *err.
 */
int gview_deliver_action(struct gview *gv, uint32_t from, json_t *j, char **err);

/* ---- gview_intent.c ---- */

/*
 * An intent from node `from` (see gview_deliver): applied to the database
 * with quorum (saved, an admin event), then acknowledged once saved (a
 * refusal without quorum). 0, or -EINVAL with *err.
 */
int gview_deliver_intent(struct gview *gv, uint32_t from, json_t *j, char **err);
/*
 * A member's acknowledgement of an intent (see gview_deliver): for one this
 * node sent, that member no longer holds it up (a refusal fails it). 0, or
 * -EINVAL with *err.
 */
int gview_deliver_ack(struct gview *gv, uint32_t from, json_t *j, char **err);

/* ---- gview_plan.c ---- */

/* The policy function's input, built from the view. */
struct gview_plan_in {
    struct pol_input in;
    struct pol_node *nodes;
    struct pol_group *groups;
    enum pol_obs *obs;
    bool *backing_off; /* n_groups * n_nodes */
    bool *promoted;    /* n_groups * n_nodes (promotable groups) */
    int64_t *score;    /* n_groups * n_nodes (promotable groups) */
};

/*
 * Sends the coordinator's action a (gview_action_body: in flight until it
 * comes back); a failure to send is logged.
 */
void gview_send_action(struct gview *gv, const struct pol_action *a);
/* Builds p from the view (p's arrays are owned by p: gview_plan_in_free). */
void gview_plan_in_build(const struct gview *gv, struct gview_plan_in *p);
/* Frees the arrays gview_plan_in_build allocated. */
void gview_plan_in_free(struct gview_plan_in *p);

/* ---- gview_retry.c: when failed groups try again ---- */

/*
 * The database changed (or was loaded, adopted, carried over): each
 * restart and ban whose stamp changed is placed on this member's monotonic
 * clock, from its wall-clock stamp (see gview_retry.c).
 */
void gview_retry_update(struct gview *gv);
/*
 * A failure of group g on node n stamped ts was just delivered and applied:
 * the restart and the ban it made (when they are the database's latest)
 * happened now.
 */
void gview_retry_delivered(struct gview *gv, size_t g, size_t n, uint64_t ts);
/* Whether group g's restart in place on node n is not due yet at now (monotonic). */
bool gview_backing_off(const struct gview *gv, size_t g, size_t n, uint64_t now);
/* The coordinator: sends the expiry of every ban that is due (once each). */
void gview_retry_expire(struct gview *gv);
/*
 * When group g, in state o (its plan), tries next: in *ret_in_ms from now,
 * on node *ret_node; false when it does not wait for a back-off or a ban.
 * p is the plan's input (borrowed; put back as it was).
 */
bool gview_next_try(const struct gview *gv, struct gview_plan_in *p, size_t g,
                    const struct pol_group_out *o, uint64_t *ret_in_ms, size_t *ret_node);
/* An expiry from node `from` (see gview_deliver). 0, or -EINVAL with *err. */
int gview_deliver_expire(struct gview *gv, uint32_t from, json_t *j, char **err);

/* ---- gview_attr.c: node attributes ---- */

/* An attribute message from node `from` (see gview_deliver). 0, or -EINVAL with *err. */
int gview_deliver_attr(struct gview *gv, uint32_t from, json_t *j, char **err);
/*
 * The coordinator: sends the forget of the transient attributes of every
 * node that left (once per membership), or that is offline and still has
 * some.
 */
void gview_attr_coordinate(struct gview *gv);
/* A new membership: nodes in v->left leave their transient attributes behind. */
void gview_attr_membership(struct gview *gv, const struct engine_view *v);

/* ---- gview_notify.c: notifications of clone and promotable groups (notify: true) ---- */

/*
 * Whether group g's copies are notified around its operations: notify: true
 * on a clone or promotable group with an ocf resource.
 */
bool gview_notify_wanted(const struct gview *gv, size_t g);
/*
 * The coordinator, for group g that gview_notify_wanted: carries out the
 * group's actions of plan out (the coordinator's current plan) with their
 * notifications, pre-OP, OP, post-OP one operation type at a time (demote,
 * stop, start, promote), sending what is due now. busy: an action of g is
 * in flight (nothing new begins).
 */
void gview_notify_step(struct gview *gv, size_t g, const struct pol_output *out, bool busy);
/* A notification from node `from` (an action with op "notify"). 0, or -EINVAL with *err. */
int gview_notify_deliver(struct gview *gv, uint32_t from, json_t *j, char **err);
/* A report of group g from node n answered notification id (the report's "notified"). */
void gview_notify_answered(struct gview *gv, size_t g, size_t n, struct act_id id);
/* Whether a notification run waits past its deadline (the view's monotonic clock). */
bool gview_notify_overdue(const struct gview *gv);
/*
 * Forgets the coordinator's runs (a new membership, configuration, or the
 * end): the next plan begins afresh. Frees what they hold.
 */
void gview_notify_reset(struct gview *gv);
