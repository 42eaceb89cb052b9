/*
 * The world of the coordinator's tests (test_coord.c, test_coord_intents.c):
 * three nodes, each with a cluster view, a group view (src/daemon/gview*.c)
 * and a fake local executor, over the simulated transport
 * (src/engine/sim.c), with clocks of the test's own. After every delivery
 * round (settle), at most one node may run each single group, at most
 * `copies` nodes each clone, and at most `primaries` nodes (counting nodes
 * lost and not fenced yet) may be primary for each promotable group.
 *
 * The default configuration (COORD_YAML) has two independent groups: web
 * (n1, n2, n3; restarts max 2 within 10min) and db (n3, n2). A test file may
 * set up a world on another configuration of three nodes and at most
 * COORD_MAX_GROUPS groups (coord_setup_yaml). The fake executor runs a
 * group's resources all at once; a promotable copy's promote and demote
 * report promoting / demoting, then primary / running.
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "daemon/cluster.h"
#include "daemon/gview.h"
#include "daemon/peer.h"
#include "engine/sim.h"

#define N                3
#define COORD_MAX_GROUPS 4

/*
 * The cluster every coordinator test runs: three nodes n1..n3 on one network,
 * fenced by /bin/true; a test's configuration is this, then its "groups:".
 */
#define COORD_YAML_HEAD                                                                            \
    "cluster: {name: sim, key: /nonexistent/authkey}\n"                                            \
    "networks: [{name: priv}]\n"                                                                   \
    "nodes:\n"                                                                                     \
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"                                        \
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"                                        \
    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"                                        \
    "fencing:\n"                                                                                   \
    "  devices: [{name: d, agent: /bin/true}]\n"                                                   \
    "  nodes:\n"                                                                                   \
    "    n1: {levels: [[d]]}\n"                                                                    \
    "    n2: {levels: [[d]]}\n"                                                                    \
    "    n3: {levels: [[d]]}\n"

extern const char *const COORD_YAML;

struct world;

struct node {
    struct world *w;
    int idx;
    bool alive;
    struct cluster cl;
    struct eventlog *events;
    struct engine *engine;
    struct gview gv;
    bool want_plan;
    /* The fake executor. */
    bool run[COORD_MAX_GROUPS];
    bool prom[COORD_MAX_GROUPS]; /* promoted (promotable groups) */
    enum pol_obs obs[COORD_MAX_GROUPS];
    bool stop_fails[COORD_MAX_GROUPS];
    bool deaf;    /* does not act on its actions (as if it had not heard them) */
    bool leaving; /* its reports say it is leaving (a planned stop) */
    unsigned starts[COORD_MAX_GROUPS];
    unsigned promotes[COORD_MAX_GROUPS], demotes[COORD_MAX_GROUPS];
    /* Notifications (groups with notify: true): not answered while notify_deaf. */
    bool notify_deaf;
    unsigned notifies[COORD_MAX_GROUPS];
    char notified[COORD_MAX_GROUPS][256]; /* the last one: "pre-promote active=n1,n2 ..." */
    /* The last settled intent. */
    uint64_t done_id;
    bool done_ok;
    /* The last answered attribute change (attr_done). */
    uint64_t attr_id;
    bool attr_ok;
    char attr_msg[256];
};

struct world {
    struct cfg *cfg;
    size_t ng; /* cfg->n_groups */
    struct sim_net *net;
    struct node nodes[N];
    bool auto_fence;
    unsigned fences;
    /*
     * What the nodes did to groups whose copies are notified (notify: true
     * and an ocf resource), in order:
     * "n1:pre-promote n1:promote ..." (every notification, promote, demote,
     * start and stop carried out; stops of copies that do not run are not
     * written).
     */
    char trace[4096];
};

/* Appends "nI:what" to w->trace. */
void coord_trace(struct world *w, int i, const char *what);

/*
 * The group views' clocks, which the tests move (gview_retry.c measures
 * back-offs and expiries with them). wall_skew shifts the wall clock of a
 * node that joins while it is set (its view places what it learns then).
 */
extern uint64_t fake_mono, fake_wall;
extern int64_t wall_skew;

/* cmocka setup: the world on COORD_YAML, every node up, settled. */
int coord_setup(void **state);
/* The same on another configuration (as the one above: see the top of this file). */
int coord_setup_yaml(void **state, const char *yaml);
/* cmocka teardown of either. */
int coord_teardown(void **state);

/* Node i's view and executor, joining the cluster (its groups probed: stopped). */
void node_up(struct world *w, int i);
/* Node n's vigild is gone (its groups no longer run). */
void node_down(struct node *n);
/* Delivers, plans and acts until nothing happens any more. */
void settle(struct world *w);
/* Node n reports group g as its executor has it. */
void report(struct node *n, size_t g);
/* Broadcasts a group message from node n (the gview send hook). */
int h_send(void *ctx, enum peer_group_kind k, json_t *body);

/* The node group g runs on, or -1. */
int runs_on(struct world *w, size_t g);
/* How many nodes run group g (a copy each), and how many are promoted (lost ones too). */
int copies_running(struct world *w, size_t g);
int primaries_now(struct world *w, size_t g);
/* The node whose copy of group g is promoted, or -1 (the last one when several). */
int primary_of(struct world *w, size_t g);
/* How many events of type t node i's log holds for group g (NULL: any) on node (NULL: any). */
int events_of(struct node *n, int type, const char *group, const char *node);
/* Every live member's view of group g on node n. */
void assert_obs_everywhere(struct world *w, size_t g, int n, enum pol_obs obs);
/* Group index of name in the world's configuration (asserted to exist). */
size_t coord_group(struct world *w, const char *name);
