/*
 * Placement: a pure function from what the cluster knows to what it must do.
 *
 * The coordinator feeds it the configuration, membership, quorum, each node's
 * fence state, the groups' observed state on every node, their failure state
 * and the admin's intents, and gets back an ordered list of actions: stops
 * first, then fences, then starts, then demotes and promotes (clone and
 * promotable groups: clone.c). It performs no I/O and keeps no state, so
 * the coordinator calls it again after every change, the same code can answer
 * "what if" questions, and it is tested with tables of scenarios.
 *
 * Groups are planned one at a time, in dependency order (a group after those
 * it requires or runs together with), then by priority, then in file order;
 * each decision accounts for where the groups before it run or will run, and
 * for what nodes hold (capacity). See docs/architecture.md, "Placement".
 *
 * A move takes two plans: the first stops the group where it runs; once every
 * node reports it stopped, the next plan starts it on the new node. A group is
 * never started while any node may still run it: not while a node reports it
 * active, not while an unreported member has not probed it, and not while a
 * node that left uncleanly with it active is not fenced.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* A group's state on one node, as that node reported it (or as expected after an action). */
enum pol_obs {
    POL_OBS_UNKNOWN,  /* not reported since the node joined: it is still probing */
    POL_OBS_STOPPED,  /* every resource is stopped */
    POL_OBS_STARTING, /* a start is under way */
    POL_OBS_RUNNING,  /* every resource runs */
    POL_OBS_STOPPING, /* a stop is under way */
    POL_OBS_PARTIAL,  /* some resources run (found by a probe, or left after an ignored failure) */
    POL_OBS_FAILED,   /* a resource failed; the node stopped it and those after it, and waits */
    POL_OBS_STOP_FAILED, /* a stop failed: the node cannot be trusted to have stopped it */
    /* Promotable groups: a copy that runs (POL_OBS_RUNNING is then a replica)... */
    POL_OBS_PROMOTING, /* ...being promoted */
    POL_OBS_PRIMARY,   /* ...promoted: every resource runs, the promotable ones as primary */
    POL_OBS_DEMOTING,  /* ...being demoted */
    POL_OBS_MAX
};

enum pol_fence {
    POL_NODE_CLEAN,   /* a member, or it left cleanly, or it is fenced and back */
    POL_NODE_UNCLEAN, /* it left without a clean shutdown and is not fenced yet */
    POL_NODE_FENCED,  /* fenced since it left: it runs nothing */
    POL_FENCE_MAX
};

struct pol_node {
    bool online; /* a member of this (quorate) partition */
    enum pol_fence fence;
    bool standby; /* admin intent: run no groups here */
    bool unseen;  /* unclean because never seen since start-up (not lost while a member) */
    bool leaving; /* a planned stop: its groups move away, then it leaves cleanly */
};

struct pol_group {
    /* Admin intents. */
    bool target_started; /* group start (true, default) or group stop */
    bool managed;        /* false: unmanaged, vigil neither starts, stops nor moves it */
    int prefer;          /* node index an admin moved it to, or -1 */
    /* Failure state (replicated). */
    bool halted;        /* a resource with on_fail: halt failed: keep it stopped */
    const bool *banned; /* per node: failed there beyond its budget, until cleanup; may be NULL */
    const bool
        *fence_wanted; /* per node: a resource with on_fail: fence failed there; may be NULL */
    /*
     * per node: the restart in place there is not due yet (restarts.backoff:
     * the caller knows the time); a group failed there waits, recovering.
     * May be NULL.
     */
    const bool *backing_off;
    /* Observed state, per node (n_nodes entries). */
    const enum pol_obs *obs;
    int last_owner; /* node index where it last ran, or -1 (round-robin rotates after it) */
    /*
     * The run-time domain (policy: script), node indices in preference order;
     * NULL means the configured domain.
     */
    const size_t *domain;
    size_t n_domain;
    /*
     * Clone and promotable groups (cfg_group.kind), per node; NULL for none.
     * promoted: promoted resources may be active there, from the moment a
     * promote begins until its demote or stop completed (for a node that
     * left: its last report). score: the copy's promotion score there, or
     * POL_NO_SCORE. A promotable group's prefer is the node an admin asked to
     * promote (vigil group promote --on), and its last_owner the node that
     * was primary last.
     */
    const bool *promoted;
    const int64_t *score;
};

/* No promotion score: the copy is never promoted. */
#define POL_NO_SCORE INT64_MIN

struct pol_input {
    const struct cfg *cfg;
    bool quorate;
    const struct pol_node *nodes;   /* cfg->n_nodes entries */
    const struct pol_group *groups; /* cfg->n_groups entries */
};

enum pol_action_type {
    POL_STOP,    /* stop group on node */
    POL_FENCE,   /* fence node (group: the group that asks for it) */
    POL_START,   /* start group on node (also completes a partial or failed group in place) */
    POL_DEMOTE,  /* promotable: demote the copy on node to a replica */
    POL_PROMOTE, /* promotable: promote the (replica) copy on node */
    POL_ACTION_MAX
};

struct pol_action {
    enum pol_action_type type;
    size_t group;
    size_t node;
    char reason[128];
};

/* What the plan says about one group, for status and events. */
enum pol_state {
    POL_ST_STOPPED,    /* stopped, as asked */
    POL_ST_RUNNING,    /* running where it should */
    POL_ST_STARTING,   /* being started */
    POL_ST_STOPPING,   /* being stopped (asked to stop, or halted) */
    POL_ST_MOVING,     /* being stopped here to start elsewhere */
    POL_ST_RECOVERING, /* restarting in place after a failure */
    POL_ST_BLOCKED,    /* waiting: for fencing, for probes, for a node to return */
    POL_ST_FAILED,     /* no eligible node can run it */
    POL_ST_HALTED,     /* stopped after a failure with on_fail: halt, until cleanup or start */
    POL_ST_UNMANAGED,  /* maintenance: vigil does not touch it */
    POL_ST_NO_QUORUM,  /* this partition has no quorum */
    POL_ST_MAX
};

struct pol_group_out {
    enum pol_state state;
    /*
     * Where it runs or will run, -1 for none. A promotable group: its
     * primary's node (promoted, being promoted, or to be promoted once an
     * admin's switchover has demoted the old one); a clone: -1.
     */
    int node;
    /*
     * Found active on more than one node: all but one are being stopped (a
     * promotable group: promoted on more nodes than `primaries`, the extra
     * ones are being demoted).
     */
    bool multi_active;
    /*
     * The node an admin moved it to (prefer) can no longer run it and failback
     * is controlled: the coordinator should drop the preference, so the group
     * stays where it goes next instead of returning.
     */
    bool drop_prefer;
    char why[192]; /* one line for operators when blocked, failed or moving; "" otherwise */
};

struct pol_output {
    struct pol_action *actions; /* stops, then fences, then starts, demotes, promotes */
    size_t n_actions;
    size_t cap;
    struct pol_group_out *groups; /* cfg->n_groups entries */
};

/* Computes the plan. out must be zeroed or cleared with pol_output_clear before reuse. */
void policy_plan(const struct pol_input *in, struct pol_output *out);
/* Frees what policy_plan allocated; out may be reused. */
void pol_output_clear(struct pol_output *out);

/*
 * Where group g would go if its current node failed: the first eligible node
 * (by its policy) other than `exclude`, or -1. Used to answer `vigil group
 * move GROUP` without --to, and `vigil group failover`. A promotable group:
 * the copy that would be promoted (a running replica with the highest
 * non-negative score on an eligible member other than `exclude`); a clone:
 * -1 (its copies are not moved).
 */
int policy_next_node(const struct pol_input *in, size_t g, int exclude);

/*
 * Whether node n can take group g now, for `vigil group move GROUP --to
 * NODE`. 0 if it can (buf empty); 1 if it can, but only by giving way on
 * apart_from (soft: an admin's move wins), with buf naming the group ("group
 * web2, which it is apart from, runs on n2"); -EINVAL if it cannot, with the
 * reason in buf: "n3 has no room (memory: needs 8, 4 free)", "it must run
 * with group db, which runs on n1", "it is waiting for group db (required)",
 * "n3 in standby". buf is truncated to size. A promotable group: whether
 * the copy on n can be promoted (vigil group promote --on): it must be a
 * replica running on an eligible member with a non-negative score ("n3 has no
 * promotion score"); 0 too where it is primary already. A clone: always
 * -EINVAL ("group www is a clone: ...").
 */
int policy_node_refusal(const struct pol_input *in, size_t g, size_t n, char *buf, size_t size);

/* True if obs means the group may have something running on that node. */
bool pol_obs_active(enum pol_obs o);

/* The name of an observation ("running", "stop failed"); "invalid" out of range. Static. */
const char *pol_obs_name(enum pol_obs o);
/* The name of a group's state ("recovering", "no quorum"); "invalid" out of range. Static. */
const char *pol_state_name(enum pol_state s);
/* "stop", "fence", "start", "demote" or "promote"; "invalid" out of range. Static. */
const char *pol_action_name(enum pol_action_type t);
