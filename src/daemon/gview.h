/*
 * The group view: what this member knows about every group on every node,
 * kept identical on all members because it changes only through messages
 * delivered in agreed order:
 *
 *  - report:  a node's state of one group (and of each of its resources);
 *  - action:  the coordinator's "start/stop group G on node N", tagged with
 *             its ring and a sequence number; applied by every member (the
 *             group is then expected to be starting/stopping there) and
 *             carried out by N;
 *  - failure: a resource failed on a node (goes into the database);
 *  - intent:  an admin's command (goes into the database, persisted, acked);
 *  - db:      a member's copy of the database after a membership change;
 *  - expire:  the coordinator: a group's failures on a node expired (the
 *             node is no longer banned for it; goes into the database);
 *  - attr:    a node attribute set or deleted (goes into the database;
 *             gview_attr.c), or the coordinator: the transient attributes
 *             of a node that left are forgotten.
 *
 * A report acknowledges the last action the reporting node had seen for that
 * group; a report sent before an action it crossed is stale and ignored, so
 * a member never forgets that a start is under way. From this view any member
 * computes the plan (the policy function) for status; the coordinator acts on
 * it. The view does no I/O except saving the database and sending messages
 * through its hooks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "config/config.h"
#include "config/diff.h"
#include "daemon/cluster.h"
#include "daemon/db.h"
#include "daemon/eventlog.h"
#include "daemon/peer.h"
#include "policy/policy.h"
#include "resource/rc.h"

struct statewrite;

#define GVIEW_INTENT_TIMEOUT_MS 10000
/*
 * A node answers an action at once with a report of the group. When it has not
 * answered a start or a stop for this long, the coordinator sends it again
 * (starting and stopping are idempotent on the node).
 */
#define GVIEW_ACTION_ANSWER_MS 10000

struct act_id {
    uint64_t ring;
    uint64_t seq;
};

struct gview_notify;

struct gview_hooks {
    /* Broadcast a group message (body borrowed). 0 or a negative errno. */
    int (*send)(void *ctx, enum peer_group_kind kind, json_t *body);
    /*
     * An action for this node was accepted: op (POL_START, POL_STOP, and for
     * promotable groups POL_PROMOTE, POL_DEMOTE; never POL_FENCE) of group g.
     */
    void (*local_action)(void *ctx, size_t g, enum pol_action_type op);
    /* This node must report group g again (g == SIZE_MAX: every group). */
    void (*rereport)(void *ctx, size_t g);
    /* The plan may have changed: the coordinator should plan again. */
    void (*replan)(void *ctx);
    /* An intent this node sent is settled: every member applied it (ok), or not. */
    void (*intent_done)(void *ctx, uint64_t id, bool ok, const char *msg);
    /* The database changed (managed flags may have changed: the local executor follows). */
    void (*db_changed)(void *ctx);
    /* The coordinator: node must be fenced (a failed stop, on_fail: fence). */
    void (*fence)(void *ctx, size_t node, const char *reason);
    /*
     * An attribute change this node sent (gview_attr_send, its id) was
     * applied here and the database saved here (ok), or refused (msg says
     * why); may be NULL.
     */
    void (*attr_done)(void *ctx, uint64_t id, bool ok, const char *msg);
    /*
     * The coordinator's notification id of group g for this node's copy
     * (groups with notify: true; gview_notify.c): run the agents' notify
     * with n (borrowed for the call), then send a report of g carrying
     * gview_report_notified(id). May be NULL (the coordinator then waits
     * for its timeout).
     */
    void (*local_notify)(void *ctx, size_t g, const struct res_notify *n, struct act_id id);
};

/* Group g on node n. */
struct gnode {
    enum pol_obs obs;
    /*
     * Promotable groups: promoted resources may be active there (the node's
     * report; kept for a node that left, until it is fenced).
     */
    bool promoted;
    uint8_t *rs; /* per resource: enum res_state, as last reported */
    struct act_id last;
    bool have_last;
    uint64_t start_ms;    /* wall clock when a start was delivered (for durations) */
    uint64_t stop_ms;     /* wall clock when a stop was delivered */
    uint64_t role_ms;     /* wall clock when a promote or demote was delivered */
    enum pol_obs before;  /* obs before the current start (failed: it is a restart) */
    bool answered;        /* the node reported after the last action */
    uint64_t action_mono; /* monotonic clock when the last action was delivered */
    /*
     * When the group may try again here (gview_retry.c), on this member's
     * monotonic clock: the latest restart in the database (its wall-clock
     * stamp, and when it happened by this member's clock) and the ban.
     */
    uint64_t restart_ts, restart_mono;
    bool ban_on;     /* the database bans the node for the group */
    uint64_t ban_ts; /* the ban's stamp in the database (banned_ms; 0: unknown) */
    uint64_t ban_mono;
    bool expire_sent; /* the coordinator sent the expiry of this ban */
    /* The last notification sent to this copy (gview_notify.c), and it has not answered it yet. */
    struct act_id notify_id;
    bool notify_wait;
};

struct gview_pending {
    uint64_t id;
    bool *waiting; /* per node */
    bool failed;
    char *msg;
    uint64_t deadline_ms; /* monotonic */
};

struct gview {
    const struct cfg *cfg;
    struct cluster *cl;
    struct eventlog *events;
    struct db *db; /* owned */
    char *state_dir;
    const struct gview_hooks *hooks;
    void *ctx;
    struct gnode *gn; /* n_groups * n_nodes */
    /*
     * Per group: the node it last ran on, or -1; a promotable group: the node
     * last seen primary. Clones: unused.
     */
    int *last_owner;
    /*
     * Per group: wall clock since it stopped running anywhere (0: running or
     * never); a promotable group: since no primary runs. Clones: unused.
     */
    uint64_t *down_ms;
    /*
     * Per group: it went down with its node (the next start is a recovery);
     * a promotable group: its primary's node was lost. Clones: unused.
     */
    bool *lost;
    bool *db_seen; /* per node: its database copy arrived since the last membership change */
    bool *multi;   /* per group: already reported as active on several nodes */
    enum pol_state *shown; /* per group: last planned state (for failure events) */
    struct gview_pending *pend;
    size_t n_pend;
    uint64_t next_intent;
    uint64_t act_seq;   /* the coordinator's action counter */
    unsigned *inflight; /* per group: actions this node sent that have not come back yet */
    bool *leaving;      /* per node: it is shutting down (run nothing new there) */
    bool *fence_asked;  /* per node: the coordinator asked for its fencing (until it changes) */
    bool *drop_sent;    /* per group: the coordinator asked to drop its preference */
    /* per group (policy: script): the run-time domain its script printed last, if any */
    size_t **rt_domain;
    size_t *n_rt_domain;
    bool *have_rt_domain;
    bool *hold; /* per group: no actions yet (its policy script has not answered) */
    /* No actions at all: members' configurations differ, or a new one is being applied. */
    bool blocked;
    /*
     * Actions [from, body] that came from the lowest member of this ring
     * before this node learned the ring's quorum (Corosync reports quorum on
     * a channel of its own, so a joining node may see the coordinator's first
     * actions before it knows the partition is quorate). Delivered, in order,
     * once quorum is known; dropped at the next membership change.
     */
    json_t *held;
    uint64_t answer_ms; /* GVIEW_ACTION_ANSWER_MS (tests shorten it) */
    /*
     * Saving the database: one serialised writer of state.json (created at
     * the first save), off the loop when there is one.
     */
    uv_loop_t *loop;       /* NULL: save synchronously */
    struct statewrite *sw; /* owned */
    /* The clocks: time_mono_ms and time_wall_ms (tests set their own). */
    uint64_t (*mono_ms)(void);
    uint64_t (*wall_ms)(void);
    bool old_peer_logged; /* said once per membership that a member cannot take an expiry */
    /* Node attributes (gview_attr.c). */
    uint64_t next_attr; /* the id of this node's last attribute change */
    /*
     * per node: it left the membership (seen in a view) and its transient
     * attributes set up to attr_gone_ver[n] are to be forgotten (the
     * coordinator sends that; every member clears the flag when delivered)
     */
    bool *attr_gone;
    uint64_t *attr_gone_ver;
    bool *attr_forget_sent; /* per node: the coordinator sent its forget in this membership */
    /* The coordinator's notification runs, per group (gview_notify.c; NULL: none yet). */
    struct gview_notify *notify;
};

/*
 * Sets up the view. db is taken over (loaded from state_dir by the caller);
 * cfg, cl, events and hooks are borrowed and must outlive the view;
 * state_dir is copied (NULL: the database is never saved, for tests). Every
 * group is unknown on every node. Undo with gview_done.
 */
void gview_init(struct gview *gv, const struct cfg *cfg, struct cluster *cl,
                struct eventlog *events, struct db *db, const char *state_dir,
                const struct gview_hooks *hooks, void *ctx);
/*
 * Saves the database on loop's worker threads from now on (acknowledgements
 * of intents are sent once the change is on disk); without it (loop NULL),
 * saving is synchronous. Call it before the first save, or when no write is
 * pending: a change of loop drops the acks that wait for a write.
 */
void gview_set_loop(struct gview *gv, uv_loop_t *loop);
/*
 * Frees what the view owns (the database, the pending intents, the held
 * actions) and zeroes gv; a zeroed gv is accepted. Acks that wait for a
 * database write are dropped at once; a write in flight still lands, with
 * no callback into gv afterwards (keep running the loop until it ends).
 * Pending intents are not reported through intent_done.
 */
void gview_done(struct gview *gv);
/*
 * Takes over configuration next (borrowed: it must outlive the view or the
 * next reconfiguration; d: cfg_diff of the current one and next, borrowed
 * for the call): what is known of unchanged groups stays; added and changed
 * groups are unknown everywhere until reported; the database keeps what it
 * says about groups, resources and nodes that still exist (if it cannot be
 * carried over, that is logged and an empty one of the same version is
 * used). Then asks for a new plan.
 */
void gview_reconfigure(struct gview *gv, const struct cfg *next, const struct cfg_diff *d);

/* Group g on node n (both in range). */
static inline struct gnode *gview_at(const struct gview *gv, size_t g, size_t n)
{
    return &gv->gn[g * gv->cfg->n_nodes + n];
}

/*
 * A new membership view (after cluster_apply_view; v borrowed): groups on
 * joiners are unknown; on nodes that left cleanly, stopped; held actions
 * are dropped; pending intents stop waiting for nodes that left; this node
 * sends its database copy and asks the rereport hook for its groups.
 */
void gview_membership(struct gview *gv, const struct engine_view *v);
/*
 * The engine was lost: nothing is known about the other nodes any more;
 * held actions are dropped and every pending intent fails (intent_done).
 */
void gview_engine_lost(struct gview *gv);
/*
 * Quorum changed (after cluster_apply_quorum): actions held until quorum
 * was known are delivered, in order, once it is there.
 */
void gview_quorum(struct gview *gv);
/*
 * Node n was fenced (or confirmed off): it runs nothing, its groups'
 * next starts are recoveries, and (with quorum) its fence requests are
 * done in the database. n out of range is ignored.
 */
void gview_node_fenced(struct gview *gv, size_t n);

/*
 * A group message from node `from`, in agreed order (body borrowed).
 * Returns 0 when it was applied or ignored (stale, not from the coordinator,
 * held until quorum is known), or -EINVAL with a reason in *ret_err (owned
 * by the caller) for a malformed one, which changes nothing.
 */
int gview_deliver(struct gview *gv, uint32_t from, enum peer_group_kind kind, json_t *body,
                  char **ret_err);

/* True when every member's database copy arrived since the last membership change. */
bool gview_synced(const struct gview *gv);

/*
 * Sets group g's run-time domain (node indices, most preferred first), as its
 * policy script printed it; n 0 with d NULL forgets it (the configured domain
 * applies again).
 */
void gview_set_domain(struct gview *gv, size_t g, const size_t *d, size_t n);

/*
 * Computes the plan from the view into out (zeroed by the caller; cleared
 * with pol_output_clear) and raises the events only a plan sees: a group
 * active on several nodes, a group that failed or halted.
 */
void gview_plan(struct gview *gv, struct pol_output *out);

/*
 * Every member calls this after changes (coalesced): it computes the plan
 * (raising plan events) and, when this node is the coordinator of a quorate
 * partition whose members all shared their database, sends the plan's
 * actions, asks for fencing and drops stale preferences. `may_act` false
 * (shutting down) only plans.
 */
void gview_coordinate(struct gview *gv, bool may_act);

/*
 * The body of this node's report of group g: its state obs, each resource's
 * state (res_states: one per resource of g, borrowed), whether promoted
 * resources may be active here (promotable groups: lrm_promoted; sent only
 * when true, so that an older peer's report, without it, means false),
 * whether this node is leaving, and the last action it saw for g. New JSON
 * owned by the caller.
 */
json_t *gview_report_body(const struct gview *gv, size_t g, enum pol_obs obs,
                          const uint8_t *res_states, bool promoted, bool leaving);
/*
 * Marks report (a gview_report_body) as the answer to notification id:
 * this node's agents were notified (whatever they answered).
 */
void gview_report_notified(json_t *report, struct act_id id);
/*
 * The body of a failure of resource r of group g on this node, of a kind
 * and with a reason (may be NULL), stamped with the wall clock. New JSON
 * owned by the caller.
 */
json_t *gview_failure_body(const struct gview *gv, size_t g, size_t r, enum db_fail_kind kind,
                           const char *reason);
/*
 * The body of the coordinator's action a, with this ring and the next
 * action number; the action counts as in flight for its group until it is
 * delivered back (so the group gets no second action meanwhile). New JSON
 * owned by the caller.
 */
json_t *gview_action_body(struct gview *gv, const struct pol_action *a);
/* The body holding this node's copy of the database. New JSON owned by the caller. */
json_t *gview_db_body(const struct gview *gv);

/*
 * Checks an admin's intent against the cluster as it is now (quorum, a node
 * able to run the group, ...), completing it (move without a target: the
 * next eligible node). A move to a node is refused when the policy would not
 * carry it out (policy_node_refusal: no room, a group it must run with runs
 * elsewhere, ...); one that gives way on apart_from is accepted with a note
 * for the admin in *ret_note ("group web2, which it is apart from, runs on
 * n2; apart_from gives way to an admin's move";
 * owned by the caller; ret_note may be NULL; untouched otherwise). Returns
 * 0, or -EINVAL with a message for the admin in *ret_err (owned by the
 * caller).
 */
int gview_check_intent(const struct gview *gv, struct db_intent *in, char **ret_err,
                       char **ret_note);
/*
 * Sends an intent (in borrowed); the intent_done hook reports, with its id,
 * when every member applied and saved it, or why not (a refusal, the loss
 * of the engine, GVIEW_INTENT_TIMEOUT_MS without every acknowledgement).
 * Returns its id (> 0), or 0 with *ret_err (owned by the caller) when it
 * could not be sent; then intent_done is never called for it (nor for a
 * DB_INTENT_DROP_PREFER, which is not waited for).
 */
uint64_t gview_send_intent(struct gview *gv, const struct db_intent *in, char **ret_err);
/* An attribute change an admin or an agent asks for (gview_attr_send). */
struct gview_attr_req {
    bool del;          /* delete (else set) */
    size_t node;       /* the node whose attribute it is */
    const char *name;  /* borrowed */
    const char *value; /* set: borrowed */
    int life;          /* set: enum db_attr_life; delete: that lifetime only, or -1 for any */
};

/*
 * Sends an attribute change (r borrowed) after checking it here: quorum,
 * every member able to take it (protocol PEER_PROTO_ATTR), the name and the
 * value. Every member applies it in the agreed order (in a quorate
 * partition); the attr_done hook reports, with its id, once it was applied
 * and saved here, or refused. Returns its id (> 0), or 0 with *ret_err
 * (owned by the caller; it names the node and attribute) when it was not
 * sent; then attr_done is never called for it.
 */
uint64_t gview_attr_send(struct gview *gv, const struct gview_attr_req *r, char **ret_err);
/*
 * Node n's attributes as {NAME: {"value": V, "lifetime": L}} (caller owns it).
 */
json_t *gview_attr_node_json(const struct gview *gv, size_t n);
/*
 * The attributes of node n (or every node, n < 0) as a list of
 * {"node", "name", "value", "lifetime"}, by node then name (caller owns it).
 */
json_t *gview_attr_list_json(const struct gview *gv, int n);

/*
 * On the coordinator, plans again when a node has not answered an action in
 * time, so that it is sent again (call about every second).
 */
void gview_check_answers(struct gview *gv, uint64_t now_ms);
/*
 * Settles pending intents: those every member acknowledged, and (now_ms on
 * the monotonic clock, 0: none) those whose deadline passed, naming the
 * members that did not answer (call about every second).
 */
void gview_expire_intents(struct gview *gv, uint64_t now_ms);

/* "group web stopped", "node n2 put in standby", ... into buf (size bytes, truncated). */
void gview_describe_intent(const struct gview *gv, const struct db_intent *in, char *buf,
                           size_t size);

/*
 * When this member should plan again because a failed group may try again:
 * the earliest restart in place whose back-off ends, or ban that expires,
 * after now, on the view's monotonic clock (mono_ms); 0 when none is
 * pending. The owner arms one timer for it after each plan.
 */
uint64_t gview_next_wake(const struct gview *gv);

/*
 * The "groups" array of the status: each group's planned state and why,
 * where it runs, its intents and failures, and when a group waiting for its
 * back-off or failed everywhere tries next (next_try_in_ms, next_try_node)
 * (caller owns it). Raises no events. Every group has "kind" ("single",
 * "clone", "promotable"). Clone and promotable groups also have "copies":
 * one {"node", "role" ("primary", "replica" or null; always null in a
 * clone), "state" (the node's observation), "score" (promotion score or
 * null), "resources" {NAME: state}, and "action" when the plan has one
 * for that copy} per node of the domain (then any other node running
 * something of it), "copies_wanted", "primaries_wanted", and for promotable
 * groups "primary" (= "node": the member whose copy is promoted, else the
 * one the plan promotes; null for none). A clone's "node" is null; its
 * resources' states are the worst over the copies on members.
 */
json_t *gview_status_json(struct gview *gv);

/*
 * The promotion score of group g's copy on node n: the sum of the node
 * attributes master-R over the group's resources R of role promotable (set
 * by their agents with crm_master, or by `vigil attr set`); "INFINITY" counts
 * as 1000000, "-INFINITY" as -1000000, as in Pacemaker, and the sum is kept
 * within those bounds. POL_NO_SCORE when one of them is not set or is not a
 * number, or when g is not promotable.
 */
int64_t gview_score(const struct gview *gv, size_t g, size_t n);

/*
 * Adds "capacity": {NAME: {"used": U, "total": T}, ...} to each entry of
 * `nodes` (the status's node array, entries named by "name") whose node
 * declares a capacity, with every capacity name of the configuration (a name
 * the node does not list has total 0). U is the sum of the loads of the
 * groups that `groups` (gview_status_json's array) shows on that node: active
 * there, or placed there by the plan; for a clone or promotable group, each
 * of its "copies" whose state is active or whose action is "start" counts
 * its load on its node. Both arrays are borrowed; entries
 * naming an unknown node or group are skipped.
 */
void gview_status_capacity(const struct gview *gv, json_t *groups, json_t *nodes);
