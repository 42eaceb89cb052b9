/*
 * The world of the placement policy's tests (test_policy*.c): a cluster in a
 * few short strings (configuration, node states, intents, failure state and
 * observed state), the plan as strings, and the invariants every plan is
 * checked against (world_plan): the safety rules of DESIGN.md, relationships
 * and capacity. A table row gives the exact plan expected: the actions in
 * order, each group's state and node, and for some rows a part of `why` or of
 * an action's reason.
 *
 * The strings:
 *   config  "n1 n2=mem:16,cpu:8 n3 [nofence] [unsafe]; GROUP: NODE... [rr|script|bal] [auto]
 *            [req=G,G] [coloc] [with=G] [apart=G] [load=mem:8,cpu:2] [prio=N]
 *            [clone|prom] [copies=N] [primaries=N]; ..."
 *           (nodes, with a capacity if given, then groups with their domain,
 *           policy (bal: balanced), failback, requires (coloc: colocated),
 *           together_with, apart_from, load and priority, clone or
 *           promotable (prom) with copies (default: the domain) and primaries
 *           (default 1); defaults: fencing on, ordered, controlled, no
 *           capacity, no load, priority 0, single)
 *   nodes   "n1:up n2:down-unclean n3:up-standby [noquorum]"
 *           (up|down, clean|unclean|fenced, standby, leaving; unlisted: up and clean)
 *   groups  "GROUP: n1=running n2=unknown prefer=n3 last=n1 banned=n1,n2
 *            fencewant=n1 backoff=n1 domain=n3,n2 stopped halted unmanaged
 *            promoted=n1 score=n1:10,n2:-5; GROUP: ..."
 *           (backoff: the restart in place there is not due yet; promoted and
 *           score: promotable groups, score unset = none)
 *           (obs per node, default stopped; stop failed is written stop-failed)
 *   actions "stop web n1; fence web n1; start db n2" ("" for none)
 *   result  "web=moving@n3 db=running@n2 mail=stopping@n1+multi+drop"
 *           (every group, in order; "no quorum" is written no_quorum)
 *   why     "GROUP: part of its why | GROUP: ..."
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config/config.h"
#include "policy/policy.h"

#define MAX_GROUPS 8

struct world {
    struct cfg *cfg;
    bool quorate;
    struct pol_node nodes[CFG_MAX_NODES];
    struct pol_group groups[MAX_GROUPS];
    enum pol_obs obs[MAX_GROUPS][CFG_MAX_NODES];
    bool banned[MAX_GROUPS][CFG_MAX_NODES];
    bool fence_wanted[MAX_GROUPS][CFG_MAX_NODES];
    bool backing_off[MAX_GROUPS][CFG_MAX_NODES];
    size_t domain[MAX_GROUPS][CFG_MAX_NODES];
    bool promoted[MAX_GROUPS][CFG_MAX_NODES]; /* promotable groups: always their promoted */
    int64_t score[MAX_GROUPS][CFG_MAX_NODES]; /* their score, once a row sets one */
    struct pol_input in;
};

struct scenario {
    const char *name;
    const char *cfg;
    const char *nodes;   /* NULL: every node up and clean, quorate */
    const char *groups;  /* NULL: every group started, managed, stopped everywhere */
    const char *actions; /* exactly, in order */
    const char *result;  /* exactly, every group */
    const char *why;     /* NULL, or "GROUP: substring | GROUP: substring" */
    const char *reason;  /* NULL, or a substring of the first action's reason */
};

#define C1          "n1 n2 n3; web: n1 n2 n3"
#define C1A         "n1 n2 n3; web: n1 n2 n3 auto"
#define C1NF        "n1 n2 n3 nofence; web: n1 n2 n3"
#define C1UR        "n1 n2 n3 nofence unsafe; web: n1 n2 n3"
#define C2          "n1 n2 n3; web: n1 n2 n3; db: n3 n2"
#define RR          "n1 n2 n3; a: n1 n2 n3 rr; b: n1 n2 n3 rr; c: n1 n2 n3 rr"
#define RRA         "n1 n2 n3; a: n1 n2 n3 rr auto; b: n1 n2 n3 rr auto; c: n1 n2 n3 rr auto"
#define ALL_STANDBY "n1:up-standby n2:up-standby n3:up-standby"
#define CHAIN       "n1 n2 n3; db: n1 n2 n3; app: n1 n2 n3 req=db; web: n1 n2 n3 req=app"
#define CHAINC      "n1 n2 n3; db: n1 n2 n3; app: n1 n2 n3 req=db coloc; web: n1 n2 n3 req=app coloc"
#define TOG         "n1 n2 n3; cache: n1 n2 n3 with=db; db: n3 n2 n1"
#define CAP         "n1=mem:16 n2=mem:16; a: n1 n2 load=mem:10; b: n1 n2 load=mem:10"
#define PRI         "n1=mem:16; low: n1 load=mem:10 prio=1; high: n1 load=mem:10 prio=10"

/* One row: name, cfg, nodes, groups, actions, result, then optionally why and reason. */
#define ROW(...)                                                                                   \
    {                                                                                              \
        .name = __VA_ARGS__                                                                        \
    }

/* What a failing invariant prints first (the property test puts its random cluster here). */
extern char world_fail_ctx[4096];

/* The index of a node or group by name; fails the test if unknown. */
int node_index(const struct cfg *c, const char *name);
int group_index(const struct cfg *c, const char *name);
/* Builds the world from the strings (NULL: defaults); release it with world_free. */
struct world *world_new(const char *cfg, const char *nodes, const char *groups);
void world_free(struct world *w);
/* The actions ("stop web n1; start db n2") and every group ("web=moving@n3") as strings. */
void render_actions(const struct world *w, const struct pol_output *out, char *buf, size_t size);
void render_groups(const struct world *w, const struct pol_output *out, char *buf, size_t size);
/* Group g is active on member n (as reported). */
bool world_active_on(const struct world *w, size_t g, size_t n);
/*
 * Whether node n holds more than its capacity: the groups active there plus
 * those out starts there (out may be NULL), in every name (only those group
 * `only` uses, if only >= 0).
 */
bool world_over_capacity(const struct world *w, const struct pol_output *out, size_t n, int only);
/* Group g may run on node n (its run-time domain, else its configured one). */
bool world_in_domain(const struct world *w, size_t g, size_t n);
/* The plan has an action of type t for group g on node n. */
bool world_acts(const struct pol_output *out, enum pol_action_type t, size_t g, size_t n);
/* Why a start of group g on node t breaks a relationship or a capacity, or NULL. */
const char *world_start_breaks(const struct world *w, const struct pol_output *out, size_t g,
                               size_t t);

/* ---- clone and promotable groups (policy_world_clone.c) ---- */

/* The copies group g wants: copies, within its domain (a single group: 1). */
unsigned world_copies_wanted(const struct world *w, size_t g);
/*
 * Nodes that may hold a copy of group g: members where it is active or not
 * probed yet, nodes that left with it active (or unclean and unknown, in the
 * domain) and are not fenced (unclean ones not with unsafe recovery).
 */
unsigned world_holders(const struct world *w, size_t g);
/*
 * Nodes that may be primary: members with obs promoting, primary or
 * demoting, or promoted; unfenced nodes that left so (unclean ones not with
 * unsafe recovery).
 */
unsigned world_primaries(const struct world *w, size_t g);
/* Checks one action of a clone or promotable group (not fences: as for single groups). */
void world_check_clone_action(const struct world *w, const struct pol_output *out,
                              const struct pol_action *a);
/* Checks a clone or promotable group's output and its actions taken together. */
void world_check_clone_group(const struct world *w, const struct pol_output *out, size_t g);
/*
 * A settled plan (no actions, nothing under way): every eligible node with
 * room for sure (no capacity, or no load) runs a copy, up to copies, and
 * exactly min(primaries, promotable copies) are primary; ctx is printed on
 * failure.
 */
void world_check_clone_settled(const struct world *w, const struct pol_output *out, size_t g,
                               const char *ctx);

/* Plans twice (the same input gives the same plan) and checks every invariant. */
void world_plan(const struct world *w, struct pol_output *out);
/* Carries a plan out as the nodes would (stops stop, starts run, fences power off). */
void world_carry_out(struct world *w, const struct pol_output *out);
/* True while a member has a start or stop under way, or has not probed yet. */
bool world_in_flight(const struct world *w);
/* Runs one table row (the state is a struct scenario). */
void world_test_scenario(void **state);
/* Runs the rows, then the extra tests, as one cmocka group; returns its result. */
int world_run(const char *name, struct scenario *rows, size_t n_rows,
              const struct CMUnitTest *extra, size_t n_extra);
