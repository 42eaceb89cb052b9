/*
 * The policy module's private parts: the state of one plan, shared by
 * policy.c (the per-group decisions), order.c (the order groups are planned
 * in), place.c (node choice and capacity accounting) and relate.c (group
 * relationships: requires, together_with, apart_from). Nothing here is used
 * outside src/policy.
 */
#pragma once

#include "policy/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a node holds, as far as this plan knows. */
struct usage {
    /* Groups that will be here after this plan (round-robin, balanced), and their loads. */
    size_t groups;
    uint64_t planned[CFG_MAX_CAPACITIES];
    /*
     * The loads of the groups active here or planned here (capacity): a
     * group counts from the moment it is planned here until it is observed
     * stopped, so a node never holds more than its capacity, even while a
     * group leaves it and another arrives.
     */
    uint64_t held[CFG_MAX_CAPACITIES];
};

/* The dependency graph: for each group, the groups that name it in requires or together_with. */
struct graph {
    size_t *off;  /* n_groups + 1 offsets into deps */
    size_t *deps; /* dependants, in file order per group */
};

/* Planning state shared by the groups of one plan. */
struct plan {
    const struct pol_input *in;
    struct pol_output *out; /* NULL for policy_next_node */
    size_t nn, ng;
    struct usage *use; /* per node */
    bool *occupies;    /* [g * nn + n]: group g counted in use[n].held */
    struct graph graph;
    size_t *order;     /* groups in planning order */
    int32_t *prio;     /* effective priority: its own, or a higher one of a dependant */
    bool *planned;     /* decided in this plan (its entries below are final) */
    int *steady;       /* node it runs on, steadily (observed running, left alone), or -1 */
    int *runs;         /* node it runs on or is being started on after this plan, or -1 */
    int *placed;       /* node it will run on (runs, or a move or start waits there), or -1 */
    const char **verb; /* while not steady, what happens to it ("restarts"), for dependants */
    int *evicted_by;   /* the group it must stop to make room for, or -1 */
    /* The actions of the group being planned, before holds (relate_hold) apply. */
    struct pol_action *stage;
    size_t n_stage;
    /* Actions by kind, concatenated at the end: stops, fences, starts. */
    struct pol_action *by_type[POL_ACTION_MAX];
    size_t n_by_type[POL_ACTION_MAX];
    size_t cap_by_type[POL_ACTION_MAX];
};

/* Pins: where relationships allow a group to run (relate_pin). */
enum {
    PIN_ANY = -1,      /* anywhere */
    PIN_WAIT = -2,     /* nowhere for now: a group it needs does not run (steadily) */
    PIN_CONFLICT = -3, /* nowhere: the groups it must run with run on different nodes */
};

/* ---- policy.c: helpers shared by the others ---- */

/* The configured or run-time domain of group g. */
void policy_domain(const struct pol_input *in, size_t g, const size_t **ret, size_t *ret_n);
bool policy_in_domain(const struct pol_input *in, size_t g, size_t n);
/* Why node n cannot run group g (membership, fencing, standby, bans), or NULL if it can. */
const char *policy_ineligible(const struct pol_input *in, size_t g, size_t n);
/* True if group g is active on member n (reported so by an online node). */
bool policy_active_on(const struct pol_input *in, size_t g, size_t n);
/* Stages an action of the group being planned (see relate_commit); reason is printf-like. */
void policy_emit(struct plan *p, enum pol_action_type t, size_t g, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Appends an action to the plan's output lists. */
void policy_push(struct plan *p, const struct pol_action *a);
/*
 * Fences every member whose stop of group g failed or whose failure asks for
 * fencing (on_fail: fence), as long as fencing is enabled; blocked gets what
 * the group waits for because of the first such node ("its stop failed on
 * n1: waiting for n1 to be fenced"), or "" when there is none.
 */
void policy_fence_failed(struct plan *p, size_t g, char *blocked, size_t size);
/*
 * Stops group g on each of the n_current members in current where it can be
 * stopped (not where its stop failed: that node is being fenced; not where a
 * stop is under way), the reason being "group NAME " + reason. Returns how
 * many copies are stopping. forget: they no longer count for round-robin and
 * balanced.
 */
size_t policy_stop_everywhere(struct plan *p, size_t g, const int *current, size_t n_current,
                              bool forget, const char *reason);
/*
 * The node an admin moved group g to (prefer) can no longer run it: it failed
 * it, is in standby, was lost (unclean or fenced) or left the domain (a node
 * merely away after a clean shutdown, leaving, or not seen yet keeps it).
 */
bool policy_prefer_lost(const struct pol_input *in, size_t g);
/* True if group g is a clone or promotable group (planned by clone.c). */
bool policy_is_clone(const struct cfg *cfg, size_t g);
/* Appends to a why buffer, separated by ", ", as long as it fits. */
void policy_why_add(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- order.c ---- */

/*
 * Fills p->graph, p->prio and p->order: groups are planned so that each comes
 * after the groups it requires or runs together with (Kahn's algorithm); among
 * those ready, the highest effective priority first, then file order. A
 * cycle (refused by the loader) cannot hang it: what is left is appended in
 * file order.
 */
void order_build(struct plan *p);

/* ---- place.c ---- */

/* Sets up p->use and p->occupies from what the members report. */
void place_init(struct plan *p);
/* Group g is planned on node n (a start, or a move or start waiting there). */
void place_reserve(struct plan *p, size_t g, size_t n);
/* Group g leaves node `from` for `to` (-1: for nowhere), as far as round-robin and balanced see. */
void place_move(struct plan *p, size_t g, int from, int to);
/* True if group g fits on node n: already counted there, or room for its load in every name. */
bool place_fits(const struct plan *p, size_t g, size_t n);

/* What constrains a choice of node for one group. */
struct want {
    int exclude;     /* a node not to choose, or -1 */
    int pin;         /* the only node allowed (relate_pin), or PIN_ANY */
    bool use_prefer; /* an admin's move comes first */
    int current;     /* the node it runs on: it wins a tie and is counted there already; or -1 */
    bool no_counts;  /* round-robin by rotation alone (choosing which copy to keep) */
};

/*
 * The node group g should run on, or -1: an admin's node first (if wanted and
 * it can take it), then by its policy among eligible nodes that fit and
 * satisfy the pin, avoiding nodes of groups it is apart from while another
 * node can take it.
 */
int place_choose(const struct plan *p, size_t g, const struct want *w);
/* True if group g may go to node n under w (eligible, pin, not excluded) and fits there. */
bool place_can_take(const struct plan *p, size_t g, size_t n, const struct want *w);
/*
 * When no node has room for group g: the first node allowed by w (an admin's,
 * then domain order; nodes of groups it is apart from last) where stopping
 * running groups of a strictly lower effective priority makes room, lowest
 * first and only as many as needed (with the groups that need them, which
 * stop too). Marks them in p->evicted_by, writes "waiting for room on n1:
 * stopping group batch (priority 0)" to why and returns the node; -1 if no
 * node can be freed. Groups already stopping there count as gone.
 */
int place_preempt(struct plan *p, size_t g, const struct want *w, char *why, size_t size);
/* "has no room (memory: needs 8, 4 free)": why group g does not fit on node n. */
void place_explain_room(const struct plan *p, size_t g, size_t n, char *buf, size_t size);
/*
 * Explains in buf why no node of the domain can take group g: "no eligible
 * node: n1 offline, n2 has no room (memory: needs 8, 4 free), n3 not where
 * group db runs" (pin_group: the group that decided the pin, if pin >= 0).
 */
void place_explain_none(const struct plan *p, size_t g, int pin, const char *pin_group, char *buf,
                        size_t size);

/* ---- relate.c ---- */

/*
 * Where group g may run, from the groups it requires (all must run steadily;
 * with colocated, on one node) and those it runs together with (on the node
 * where they run or are being started): PIN_ANY, a node, PIN_WAIT or
 * PIN_CONFLICT. For the last two, wait gets the why while it waits
 * ("waiting for group db (required)") and stop the why while it is stopped
 * for it ("stopped while group db restarts"). *ret_by gets the group that
 * decided the pin or the wait, or -1.
 */
int relate_pin(const struct plan *p, size_t g, char *wait, char *stop, size_t size, int *ret_by);
/*
 * True if a managed group that requires group g or runs together with it is
 * active: moving g would stop it too.
 */
bool relate_needed_here(const struct plan *p, size_t g);
/* How much a node is to be avoided for apart_from (relate_avoid). */
enum {
    AVOID_NOT,
    AVOID_LIKELY, /* a group it is apart from, stopped, can go nowhere else */
    AVOID_THERE,  /* a group it is apart from runs or is placed there */
};
/* Fills avoid[] (CFG_MAX_NODES entries) with an AVOID_* per node, for group g. */
void relate_avoid(const struct plan *p, size_t g, unsigned char *avoid);
/*
 * A group that group g is apart from (either way round; not one that needs
 * g) and that is active on member n, or -1.
 */
int relate_apart_on(const struct plan *p, size_t g, size_t n);
/*
 * Applies the requires rule to the staged actions of group g, then fills its
 * steady, runs, placed and verb entries: a group that does not run steadily
 * has its stops and starts held while a managed group that requires it is
 * active on a member (only those on the node concerned, for colocated
 * dependants of a steady group). Held starts leave it blocked; held stops
 * keep its state. The why says which group it waits for.
 */
void relate_commit(struct plan *p, size_t g);

/* ---- clone.c: clone and promotable groups ---- */

/* The node of a promotable group's (first) primary as observed, or -1; -1 for a clone. */
int clone_primary(const struct pol_input *in, size_t g);
/*
 * Plans a managed clone or promotable group g, active on the n_current
 * members in current: copies on up to `copies` eligible nodes, and for a
 * promotable group `primaries` of them promoted. Stages its actions and fills
 * its output (docs/architecture.md, "Clones and promotable groups").
 */
void clone_plan(struct plan *p, size_t g, const int *current, size_t n_current);
/* policy_next_node for a clone or promotable group. */
int clone_next_node(const struct plan *p, size_t g, int exclude);
/* policy_node_refusal for a clone or promotable group. */
int clone_node_refusal(const struct plan *p, size_t g, size_t n, char *buf, size_t size);
