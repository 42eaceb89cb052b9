/*
 * The placement policy (src/policy/policy.c), driven by a table: each row is a
 * cluster in a few short strings (configuration, node states, intents, failure
 * state and observed state) and the exact plan expected from it: the actions
 * in order, each group's state and node, and for some rows a part of `why` or
 * of an action's reason. Every row is also checked against the safety
 * invariants of DESIGN.md, like the random scenarios of the property test,
 * which then replans each of them as its actions complete until the plan
 * settles. policy_next_node has a small table of its own.
 *
 * The strings:
 *   config  "n1 n2 n3 [nofence] [unsafe]; GROUP: NODE... [rr|script] [auto]; ..."
 *           (nodes, then groups with their domain, policy and failback;
 *           defaults: fencing on, ordered, controlled)
 *   nodes   "n1:up n2:down-unclean n3:up-standby [noquorum]"
 *           (up|down, clean|unclean|fenced, standby, leaving; unlisted: up and clean)
 *   groups  "GROUP: n1=running n2=unknown prefer=n3 last=n1 banned=n1,n2
 *            fencewant=n1 backoff=n1 domain=n3,n2 stopped halted unmanaged; GROUP: ..."
 *           (backoff: the restart in place there is not due yet)
 *           (obs per node, default stopped; stop failed is written stop-failed)
 *   actions "stop web n1; fence web n1; start db n2" ("" for none)
 *   result  "web=moving@n3 db=running@n2 mail=stopping@n1+multi+drop"
 *           (every group, in order; "no quorum" is written no_quorum)
 *   why     "GROUP: part of its why | GROUP: ..."
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "config/config.h"
#include "policy/policy.h"

#define MAX_GROUPS 8

/* ---- a configuration built in C ---- */

static void cfg_destroy(struct cfg *c)
{
    if (!c)
        return;
    for (size_t n = 0; n < c->n_nodes; n++)
        free(c->nodes[n].name);
    for (size_t g = 0; g < c->n_groups; g++) {
        free(c->groups[g].name);
        free(c->groups[g].domain);
    }
    free(c->nodes);
    free(c->groups);
    free(c);
}

static int node_index(const struct cfg *c, const char *name)
{
    for (size_t n = 0; n < c->n_nodes; n++)
        if (!strcmp(c->nodes[n].name, name))
            return (int)n;
    fail_msg("unknown node '%s'", name);
    return -1;
}

static int group_index(const struct cfg *c, const char *name)
{
    for (size_t g = 0; g < c->n_groups; g++)
        if (!strcmp(c->groups[g].name, name))
            return (int)g;
    fail_msg("unknown group '%s'", name);
    return -1;
}

/* Parses the config string (see the top of the file). Owned by the caller: cfg_destroy. */
static struct cfg *cfg_build(const char *spec)
{
    struct cfg *c = xcalloc(1, sizeof(*c));
    c->fence_enabled = true;
    _cleanup_free_ char *copy = xstrdup(spec);
    char *save = NULL;
    bool first = true;
    for (char *sec = strtok_r(copy, ";", &save); sec; sec = strtok_r(NULL, ";", &save)) {
        char *wsave = NULL;
        char *w = strtok_r(sec, " ", &wsave);
        if (first) {
            size_t cap = 0;
            for (; w; w = strtok_r(NULL, " ", &wsave)) {
                if (!strcmp(w, "nofence")) {
                    c->fence_enabled = false;
                } else if (!strcmp(w, "unsafe")) {
                    c->fence_unsafe_recovery = true;
                } else {
                    xgrow((void **)&c->nodes, &cap, c->n_nodes + 1, sizeof(*c->nodes));
                    c->nodes[c->n_nodes] =
                        (struct cfg_node){.name = xstrdup(w), .id = (uint32_t)c->n_nodes + 1};
                    c->n_nodes++;
                }
            }
            first = false;
            continue;
        }
        assert_non_null(w);
        size_t len = strlen(w);
        assert_true(len > 1 && w[len - 1] == ':');
        assert_true(c->n_groups < MAX_GROUPS);
        c->groups = xrealloc(c->groups, (c->n_groups + 1) * sizeof(*c->groups));
        struct cfg_group *cg = &c->groups[c->n_groups++];
        *cg = (struct cfg_group){.name = xstrndup(w, len - 1)};
        cg->domain = xcalloc(c->n_nodes ? c->n_nodes : 1, sizeof(size_t));
        while ((w = strtok_r(NULL, " ", &wsave))) {
            if (!strcmp(w, "rr"))
                cg->policy = CFG_POLICY_ROUND_ROBIN;
            else if (!strcmp(w, "script"))
                cg->policy = CFG_POLICY_SCRIPT;
            else if (!strcmp(w, "auto"))
                cg->failback = CFG_FAILBACK_AUTO;
            else
                cg->domain[cg->n_domain++] = (size_t)node_index(c, w);
        }
    }
    return c;
}

/* ---- the policy's input, from strings ---- */

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
    struct pol_input in;
};

static enum pol_obs obs_parse(const char *s)
{
    for (int o = 0; o < POL_OBS_MAX; o++) {
        char name[32];
        snprintf(name, sizeof(name), "%s", pol_obs_name((enum pol_obs)o));
        for (char *p = name; *p; p++)
            if (*p == ' ')
                *p = '-';
        if (!strcmp(name, s))
            return (enum pol_obs)o;
    }
    fail_msg("unknown observed state '%s'", s);
    return POL_OBS_MAX;
}

static void nodes_parse(struct world *w, const char *spec)
{
    if (!spec)
        return;
    _cleanup_free_ char *copy = xstrdup(spec);
    char *save = NULL;
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (!strcmp(t, "noquorum")) {
            w->quorate = false;
            continue;
        }
        char *colon = strchr(t, ':');
        assert_non_null(colon);
        *colon = '\0';
        struct pol_node *N = &w->nodes[node_index(w->cfg, t)];
        char *wsave = NULL;
        for (char *s = strtok_r(colon + 1, "-", &wsave); s; s = strtok_r(NULL, "-", &wsave)) {
            if (!strcmp(s, "up"))
                N->online = true;
            else if (!strcmp(s, "down"))
                N->online = false;
            else if (!strcmp(s, "clean"))
                N->fence = POL_NODE_CLEAN;
            else if (!strcmp(s, "unclean"))
                N->fence = POL_NODE_UNCLEAN;
            else if (!strcmp(s, "fenced"))
                N->fence = POL_NODE_FENCED;
            else if (!strcmp(s, "standby"))
                N->standby = true;
            else if (!strcmp(s, "leaving"))
                N->leaving = true;
            else
                fail_msg("unknown node state '%s'", s);
        }
    }
}

/* Sets flags[n] for each node of a "n1,n2" list. */
static void node_list(const struct cfg *c, char *list, bool *flags)
{
    char *save = NULL;
    for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save))
        flags[node_index(c, s)] = true;
}

static void group_token(struct world *w, size_t g, char *t)
{
    struct pol_group *G = &w->groups[g];
    if (!strcmp(t, "stopped")) {
        G->target_started = false;
        return;
    }
    if (!strcmp(t, "halted")) {
        G->halted = true;
        return;
    }
    if (!strcmp(t, "unmanaged")) {
        G->managed = false;
        return;
    }
    char *eq = strchr(t, '=');
    if (!eq)
        fail_msg("unknown group token '%s'", t);
    *eq = '\0';
    char *v = eq + 1;
    if (!strcmp(t, "prefer")) {
        G->prefer = node_index(w->cfg, v);
    } else if (!strcmp(t, "last")) {
        G->last_owner = node_index(w->cfg, v);
    } else if (!strcmp(t, "banned")) {
        G->banned = w->banned[g];
        node_list(w->cfg, v, w->banned[g]);
    } else if (!strcmp(t, "fencewant")) {
        G->fence_wanted = w->fence_wanted[g];
        node_list(w->cfg, v, w->fence_wanted[g]);
    } else if (!strcmp(t, "backoff")) {
        G->backing_off = w->backing_off[g];
        node_list(w->cfg, v, w->backing_off[g]);
    } else if (!strcmp(t, "domain")) {
        G->domain = w->domain[g];
        char *save = NULL;
        for (char *s = strtok_r(v, ",", &save); s; s = strtok_r(NULL, ",", &save))
            w->domain[g][G->n_domain++] = (size_t)node_index(w->cfg, s);
    } else {
        w->obs[g][node_index(w->cfg, t)] = obs_parse(v);
    }
}

static void groups_parse(struct world *w, const char *spec)
{
    if (!spec)
        return;
    _cleanup_free_ char *copy = xstrdup(spec);
    char *save = NULL;
    for (char *sec = strtok_r(copy, ";", &save); sec; sec = strtok_r(NULL, ";", &save)) {
        char *wsave = NULL;
        char *name = strtok_r(sec, " ", &wsave);
        assert_non_null(name);
        size_t len = strlen(name);
        assert_true(len > 1 && name[len - 1] == ':');
        name[len - 1] = '\0';
        size_t g = (size_t)group_index(w->cfg, name);
        for (char *t = strtok_r(NULL, " ", &wsave); t; t = strtok_r(NULL, " ", &wsave))
            group_token(w, g, t);
    }
}

/* Builds the world from the strings; release it with world_free. */
static struct world *world_new(const char *cfg, const char *nodes, const char *groups)
{
    struct world *w = xcalloc(1, sizeof(*w));
    w->cfg = cfg_build(cfg);
    assert_true(w->cfg->n_nodes >= 1 && w->cfg->n_nodes <= CFG_MAX_NODES);
    w->quorate = true;
    for (size_t n = 0; n < w->cfg->n_nodes; n++)
        w->nodes[n] = (struct pol_node){.online = true, .fence = POL_NODE_CLEAN};
    for (size_t g = 0; g < w->cfg->n_groups; g++) {
        w->groups[g] = (struct pol_group){
            .target_started = true, .managed = true, .prefer = -1, .last_owner = -1};
        w->groups[g].obs = w->obs[g];
        for (size_t n = 0; n < w->cfg->n_nodes; n++)
            w->obs[g][n] = POL_OBS_STOPPED;
    }
    nodes_parse(w, nodes);
    groups_parse(w, groups);
    w->in = (struct pol_input){
        .cfg = w->cfg, .quorate = w->quorate, .nodes = w->nodes, .groups = w->groups};
    return w;
}

static void world_free(struct world *w)
{
    if (!w)
        return;
    cfg_destroy(w->cfg);
    free(w);
}

/* ---- the plan, as strings ---- */

static void render_actions(const struct world *w, const struct pol_output *out, char *buf,
                           size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < out->n_actions && len < size; i++) {
        const struct pol_action *a = &out->actions[i];
        len += (size_t)snprintf(buf + len, size - len, "%s%s %s %s", i ? "; " : "",
                                pol_action_name(a->type), w->cfg->groups[a->group].name,
                                w->cfg->nodes[a->node].name);
    }
}

static void render_groups(const struct world *w, const struct pol_output *out, char *buf,
                          size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t g = 0; g < w->cfg->n_groups && len < size; g++) {
        const struct pol_group_out *o = &out->groups[g];
        char state[32];
        snprintf(state, sizeof(state), "%s", pol_state_name(o->state));
        for (char *p = state; *p; p++)
            if (*p == ' ')
                *p = '_';
        len += (size_t)snprintf(buf + len, size - len, "%s%s=%s", g ? " " : "",
                                w->cfg->groups[g].name, state);
        if (o->node >= 0 && len < size)
            len += (size_t)snprintf(buf + len, size - len, "@%s", w->cfg->nodes[o->node].name);
        if (o->multi_active && len < size)
            len += (size_t)snprintf(buf + len, size - len, "+multi");
        if (o->drop_prefer && len < size)
            len += (size_t)snprintf(buf + len, size - len, "+drop");
    }
}

/* ---- invariants, checked on every plan ---- */

static bool in_domain(const struct world *w, size_t g, size_t n)
{
    const struct pol_group *G = &w->groups[g];
    const size_t *d = G->domain ? G->domain : w->cfg->groups[g].domain;
    size_t nd = G->domain ? G->n_domain : w->cfg->groups[g].n_domain;
    for (size_t i = 0; i < nd; i++)
        if (d[i] == n)
            return true;
    return false;
}

/*
 * Returns NULL if group g may be started on node t in this input, else why
 * not: the safety rules of DESIGN.md ("at most one active copy", "a failed
 * stop is followed by a fence, never by a start elsewhere") and eligibility.
 */
static const char *start_forbidden(const struct world *w, size_t g, size_t t)
{
    const struct cfg *c = w->cfg;
    const struct pol_group *G = &w->groups[g];
    const struct pol_node *T = &w->nodes[t];
    if (!w->quorate)
        return "no quorum";
    if (!G->managed)
        return "unmanaged";
    if (G->halted || !G->target_started)
        return "halted or stopped";
    if (!in_domain(w, g, t) || !T->online || T->fence != POL_NODE_CLEAN || T->standby ||
        T->leaving || (G->banned && G->banned[t]))
        return "ineligible node";
    if (G->obs[t] != POL_OBS_STOPPED && G->obs[t] != POL_OBS_PARTIAL && G->obs[t] != POL_OBS_FAILED)
        return "start over a start, a run or a stop";
    if (G->obs[t] == POL_OBS_FAILED && G->backing_off && G->backing_off[t])
        return "a restart in place before its back-off is over";
    bool unsafe = !c->fence_enabled && c->fence_unsafe_recovery;
    for (size_t n = 0; n < c->n_nodes; n++) {
        const struct pol_node *N = &w->nodes[n];
        enum pol_obs o = G->obs[n];
        bool active = pol_obs_active(o);
        if (o == POL_OBS_STOP_FAILED && N->fence != POL_NODE_FENCED)
            return "a stop failed and its node is not fenced";
        if (G->fence_wanted && G->fence_wanted[n] && active && N->fence != POL_NODE_FENCED)
            return "a node to fence first";
        if (n == t)
            continue;
        if (N->online && active)
            return "active on another member";
        if (N->online && o == POL_OBS_UNKNOWN)
            return "a member has not probed it";
        if (!N->online && N->fence == POL_NODE_CLEAN && active)
            return "a node that left with it active has not returned";
        /* Unknown on an unclean node counts only within the domain: a group runs nowhere else. */
        if (!N->online && N->fence == POL_NODE_UNCLEAN &&
            (active || (o == POL_OBS_UNKNOWN && in_domain(w, g, n))) && !unsafe)
            return "an unclean node may run it";
    }
    return NULL;
}

static void check_invariants(const struct world *w, const struct pol_output *out)
{
    const struct cfg *c = w->cfg;
    unsigned starts[MAX_GROUPS] = {0}, stops[MAX_GROUPS] = {0};
    if (!w->quorate)
        assert_int_equal(out->n_actions, 0);
    for (size_t i = 0; i < out->n_actions; i++) {
        const struct pol_action *a = &out->actions[i];
        assert_true((unsigned)a->type < POL_ACTION_MAX);
        assert_true(a->group < c->n_groups);
        assert_true(a->node < c->n_nodes);
        if (i)
            assert_true(out->actions[i - 1].type <= a->type); /* stops, fences, starts */
        assert_true(a->reason[0] != '\0');
        const struct pol_group *G = &w->groups[a->group];
        const struct pol_node *N = &w->nodes[a->node];
        assert_true(G->managed);
        switch (a->type) {
        case POL_STOP:
            assert_true(N->online);
            assert_true(pol_obs_active(G->obs[a->node]));
            assert_int_not_equal(G->obs[a->node], POL_OBS_STOPPING);
            stops[a->group]++;
            break;
        case POL_FENCE:
            assert_true(c->fence_enabled);
            assert_true(N->online);
            assert_int_not_equal(N->fence, POL_NODE_FENCED);
            assert_true(
                G->obs[a->node] == POL_OBS_STOP_FAILED ||
                (G->fence_wanted && G->fence_wanted[a->node] && pol_obs_active(G->obs[a->node])));
            break;
        case POL_START: {
            const char *no = start_forbidden(w, a->group, a->node);
            if (no)
                fail_msg("start %s %s: %s", c->groups[a->group].name, c->nodes[a->node].name, no);
            starts[a->group]++;
            assert_int_equal(out->groups[a->group].node, (int)a->node);
            break;
        }
        case POL_ACTION_MAX:
            break;
        }
    }
    for (size_t g = 0; g < c->n_groups; g++) {
        const struct pol_group_out *o = &out->groups[g];
        const struct pol_group *G = &w->groups[g];
        assert_true(starts[g] <= 1);
        assert_false(starts[g] && stops[g]); /* a move takes two plans */
        assert_true((unsigned)o->state < POL_ST_MAX);
        assert_true(o->node >= -1 && o->node < (int)c->n_nodes);
        if (!w->quorate) {
            assert_int_equal(o->state, POL_ST_NO_QUORUM);
            continue;
        }
        if (!G->managed)
            assert_int_equal(o->state, POL_ST_UNMANAGED);
        if (o->state == POL_ST_RUNNING) {
            assert_true(o->node >= 0);
            assert_int_equal(G->obs[o->node], POL_OBS_RUNNING);
        }
        if (o->drop_prefer)
            assert_true(G->prefer >= 0 && c->groups[g].failback == CFG_FAILBACK_CONTROLLED);
        bool explained = o->state == POL_ST_BLOCKED || o->state == POL_ST_FAILED ||
                         o->state == POL_ST_MOVING || o->state == POL_ST_HALTED || o->multi_active;
        /* Recovering says why only while it waits for its back-off. */
        bool waits = o->state == POL_ST_RECOVERING && o->node >= 0 && G->backing_off &&
                     G->backing_off[o->node];
        explained |= waits;
        bool quiet = o->state == POL_ST_RUNNING || o->state == POL_ST_STOPPED ||
                     o->state == POL_ST_STARTING || (o->state == POL_ST_RECOVERING && !waits) ||
                     o->state == POL_ST_UNMANAGED;
        if (explained)
            assert_true(o->why[0] != '\0');
        else if (quiet)
            assert_string_equal(o->why, "");
    }
}

/* Plans twice (the function is pure: the same input gives the same plan), checks invariants. */
static void plan(const struct world *w, struct pol_output *out)
{
    struct pol_output again = {0};
    policy_plan(&w->in, out);
    policy_plan(&w->in, &again);
    assert_int_equal(out->n_actions, again.n_actions);
    if (out->n_actions)
        assert_memory_equal(out->actions, again.actions, out->n_actions * sizeof(*out->actions));
    if (w->cfg->n_groups)
        assert_memory_equal(out->groups, again.groups, w->cfg->n_groups * sizeof(*out->groups));
    pol_output_clear(&again);
    check_invariants(w, out);
}

/* ---- the table ---- */

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

/* One row: name, cfg, nodes, groups, actions, result, then optionally why and reason. */
#define ROW(...)                                                                                   \
    {                                                                                              \
        .name = __VA_ARGS__                                                                        \
    }

static struct scenario scenarios[] = {
    /* Initial placement. */
    ROW("initial: the first node of the domain", C1, NULL, NULL, "start web n1", "web=starting@n1",
        NULL, "start group web on n1"),
    ROW("initial: domain order, not node order", "n1 n2 n3; web: n3 n1 n2", NULL, NULL,
        "start web n3", "web=starting@n3"),
    ROW("initial: the first domain node is offline", C1, "n1:down", NULL, "start web n2",
        "web=starting@n2"),
    ROW("initial: the first two domain nodes are offline", C1, "n1:down n2:down-fenced", NULL,
        "start web n3", "web=starting@n3"),
    ROW("initial: an admin's preferred node comes first", C1, NULL, "web: prefer=n2",
        "start web n2", "web=starting@n2"),
    ROW("initial: a preferred node outside the domain is dropped", "n1 n2 n3; web: n1 n2", NULL,
        "web: prefer=n3", "start web n1", "web=starting@n1+drop"),
    ROW("initial: two groups, each on its own domain", C2, NULL, NULL, "start web n1; start db n3",
        "web=starting@n1 db=starting@n3"),
    ROW("initial: a node outside the domain is never chosen", "n1 n2 n3; web: n2 n3",
        "n2:down n3:down", NULL, "", "web=failed", "web: no eligible node: n2 offline, n3 offline"),
    ROW("running where it should: nothing to do", C1, NULL, "web: n1=running", "",
        "web=running@n1"),
    ROW("script policy: the run-time domain replaces the configured one",
        "n1 n2 n3; web: n1 n2 n3 script", NULL, "web: domain=n3,n2", "start web n3",
        "web=starting@n3"),
    ROW("script policy: running outside the run-time domain is moved",
        "n1 n2 n3; web: n1 n2 n3 script", NULL, "web: n1=running domain=n2,n3", "stop web n1",
        "web=moving@n2", "web: moving from n1 to n2", "not in the domain"),

    /* Node loss. */
    ROW("node loss: waits for the unclean node to be fenced", C1, "n1:down-unclean",
        "web: n1=running", "", "web=blocked", "web: waiting for n1 to be fenced"),
    ROW("node loss: once fenced, starts on the next domain node", C1, "n1:down-fenced",
        "web: n1=running", "start web n2", "web=starting@n2"),
    ROW("node loss: fenced, and the next domain node is offline too", C1, "n1:down-fenced n2:down",
        "web: n1=running", "start web n3", "web=starting@n3"),
    ROW("node loss, fencing disabled: waits for the node to return", C1NF, "n1:down-unclean",
        "web: n1=running", "", "web=blocked",
        "web: waiting for n1 to return (fencing is disabled)"),
    ROW("node loss, fencing disabled, unsafe_recovery: recovers", C1UR, "n1:down-unclean",
        "web: n1=running", "start web n2", "web=starting@n2"),
    ROW("node loss: stopped on the unclean node, so no wait", C1, "n1:down-unclean",
        "web: n1=stopped", "start web n2", "web=starting@n2"),
    ROW("node loss: stopped on the unclean node, running elsewhere: stays", C1, "n1:down-unclean",
        "web: n2=running", "", "web=running@n2"),
    ROW("stop while waiting for a probe: stopped at once", C1, NULL,
        "web: n2=running n3=unknown stopped", "stop web n2", "web=stopping@n2"),
    ROW("halt while waiting for fencing: the online copy is stopped", C1, "n1:down-unclean",
        "web: n1=running n2=partial halted", "stop web n2", "web=halted@n2"),
    ROW("stop with the only copy on an unclean node: blocked, nothing to do", C1, "n1:down-unclean",
        "web: n1=running stopped", "", "web=blocked", "web: waiting for n1 to be fenced"),
    ROW("node loss: unknown on an unclean node blocks", C1, "n1:down-unclean", "web: n1=unknown",
        "", "web=blocked", "web: waiting for n1 to be fenced"),
    ROW("node loss: stopping on an unclean node blocks", C1, "n1:down-unclean", "web: n1=stopping",
        "", "web=blocked", "web: waiting for n1 to be fenced"),
    ROW("node loss: unprobed on an unclean node while running elsewhere: shown where it runs", C1,
        "n1:down-unclean", "web: n1=unknown n2=running", "", "web=blocked@n2",
        "web: waiting for n1 to be fenced"),
    ROW("node loss: unknown on a node that left cleanly does not block", C1, "n1:down",
        "web: n1=unknown", "start web n2", "web=starting@n2"),
    ROW("node left cleanly with the group active: waits for its return", C1, "n1:down",
        "web: n1=running", "", "web=blocked",
        "web: n1 left while the group was running there: waiting for it to return"),
    ROW("two nodes: the survivor takes over once its peer is fenced", "n1 n2; web: n1 n2",
        "n1:down-fenced", "web: n1=running", "start web n2", "web=starting@n2"),

    /* Probes. */
    ROW("probe: a member that has not reported blocks placement", C1, NULL, "web: n3=unknown", "",
        "web=blocked", "web: waiting for n3 to probe its resources"),
    ROW("probe: pending on a member while running elsewhere: no action", C1, NULL,
        "web: n1=running n2=unknown", "", "web=blocked@n1", "web: waiting for n2 to probe"),

    /* Failed resources and the restart budget. */
    ROW("failure: restarts in place while the budget lasts", C1, NULL, "web: n1=failed",
        "start web n1", "web=recovering@n1", NULL, "restart group web"),
    ROW("failure beyond the budget: stops there, moving to the next node", C1, NULL,
        "web: n1=failed banned=n1", "stop web n1", "web=moving@n2", "web: moving from n1 to n2",
        "failed there beyond its restart budget"),
    ROW("failure beyond the budget, once stopped: starts on the next node", C1, NULL,
        "web: banned=n1", "start web n2", "web=starting@n2"),
    ROW("failure beyond the budget, next node offline: goes to the one after", C1, "n2:down",
        "web: n1=failed banned=n1", "stop web n1", "web=moving@n3"),
    ROW("failed everywhere: failed, naming each node", C1, NULL, "web: banned=n1,n2,n3", "",
        "web=failed",
        "web: no eligible node: n1 failed there (cleanup to retry), n2 failed there (cleanup to "
        "retry), n3 failed there"),
    ROW("failed on the last node: stopped there, failed", C1, NULL,
        "web: n3=failed banned=n1,n2,n3", "stop web n3", "web=failed@n3", "web: no eligible node",
        "no other node can run it"),
    ROW("single node: restarts in place", "n1; web: n1", NULL, "web: n1=failed", "start web n1",
        "web=recovering@n1"),
    ROW("single node, budget spent: stopped, failed", "n1; web: n1", NULL,
        "web: n1=failed banned=n1", "stop web n1", "web=failed@n1",
        "web: no eligible node: n1 failed there"),

    /* Failed stops. */
    ROW("stop failed on a member: fence it", C1, NULL, "web: n1=stop-failed", "fence web n1",
        "web=blocked@n1", "web: its stop failed on n1: waiting for n1 to be fenced",
        "group web: its stop failed"),
    ROW("stop failed, fencing disabled: blocked with a cleanup hint", C1NF, NULL,
        "web: n1=stop-failed", "", "web=blocked@n1",
        "web: fencing is disabled: make sure it is stopped there, then run vigil cleanup web"),
    ROW("stop failed, fencing disabled, unsafe_recovery: still blocked", C1UR, NULL,
        "web: n1=stop-failed", "", "web=blocked@n1", "web: then run vigil cleanup web"),
    ROW("stop failed, node fenced and gone: recovered elsewhere", C1, "n1:down-fenced",
        "web: n1=stop-failed", "start web n2", "web=starting@n2"),
    ROW("stop failed, node then lost: waits for its fencing", C1, "n1:down-unclean",
        "web: n1=stop-failed", "", "web=blocked", "web: waiting for n1 to be fenced"),
    ROW("stop failed while moving to an admin's node: fence, no start", C1, NULL,
        "web: n1=stop-failed prefer=n2", "fence web n1", "web=blocked@n1"),

    /* on_fail: fence. */
    ROW("on_fail fence: fences the node", C1, NULL, "web: n1=failed fencewant=n1", "fence web n1",
        "web=blocked@n1", "web: a resource failed (on_fail: fence) on n1"),
    ROW("on_fail fence, node fenced: recovered on the next node", C1, "n1:down-fenced",
        "web: n1=failed fencewant=n1", "start web n2", "web=starting@n2"),
    ROW("on_fail fence, nothing active there any more: no fence", C1, NULL,
        "web: n2=running fencewant=n1", "", "web=running@n2"),
    ROW("on_fail fence, fencing disabled: blocked with a cleanup hint", C1NF, NULL,
        "web: n1=failed fencewant=n1", "", "web=blocked@n1", "web: vigil cleanup web"),
    ROW("two groups ask to fence the same node: one action each", "n1 n2 n3; web: n1 n2; db: n1 n3",
        NULL, "web: n1=stop-failed; db: n1=failed fencewant=n1", "fence web n1; fence db n1",
        "web=blocked@n1 db=blocked@n1"),

    /* Failback. */
    ROW("failback controlled: stays on n2 when n1 is back", C1, NULL, "web: n2=running", "",
        "web=running@n2"),
    ROW("failback auto: stops on n2 to return to n1", C1A, NULL, "web: n2=running", "stop web n2",
        "web=moving@n1", "web: moving from n2 to n1", "failback"),
    ROW("failback auto: once stopped, starts on n1", C1A, NULL, NULL, "start web n1",
        "web=starting@n1"),
    ROW("failback auto: n1 in standby, stays on n2", C1A, "n1:up-standby", "web: n2=running", "",
        "web=running@n2"),
    ROW("failback auto: n1 banned, stays on n2", C1A, NULL, "web: n2=running banned=n1", "",
        "web=running@n2"),
    ROW("failback auto: n1 still probing, waits", C1A, NULL, "web: n1=unknown n2=running", "",
        "web=blocked@n2", "web: waiting for n1 to probe"),
    ROW("failback auto: failed on n2 with n1 back: moves instead of restarting", C1A, NULL,
        "web: n2=failed", "stop web n2", "web=moving@n1"),

    /* Admin moves. */
    ROW("move: stops on n1 first", C1, NULL, "web: n1=running prefer=n3", "stop web n1",
        "web=moving@n3", "web: moving from n1 to n3", "moved by an admin"),
    ROW("move: then starts on n3", C1, NULL, "web: prefer=n3", "start web n3", "web=starting@n3"),
    ROW("move: arrived, stays", C1, NULL, "web: n3=running prefer=n3", "", "web=running@n3"),
    ROW("move target offline after a clean shutdown, controlled: kept for its return", C1,
        "n3:down", "web: n1=running prefer=n3", "", "web=running@n1"),
    ROW("move target lost (unclean), controlled: the preference is dropped", C1, "n3:down-unclean",
        "web: n1=running n3=stopped prefer=n3", "", "web=running@n1+drop"),
    ROW("move target fenced, controlled: the preference is dropped", C1, "n3:down-fenced",
        "web: n1=running prefer=n3", "", "web=running@n1+drop"),
    ROW("move target back from a clean shutdown, controlled: the group returns", C1, NULL,
        "web: n1=running prefer=n3", "stop web n1", "web=moving@n3"),
    ROW("unknown on an unclean node outside the domain does not block", "n1 n2 n3; web: n1 n2",
        "n3:down-unclean", "web: n3=unknown", "start web n1", "web=starting@n1"),
    ROW("unknown on an unclean node in the domain blocks", "n1 n2 n3; web: n1 n3",
        "n3:down-unclean", "web: n3=unknown", "", "web=blocked", "web: waiting for n3"),
    ROW("move target in standby, controlled: the preference is dropped", C1, "n3:up-standby",
        "web: n1=running prefer=n3", "", "web=running@n1+drop"),
    ROW("move target stopping (planned), controlled: the group moves, the preference stays", C1,
        "n3:up-leaving", "web: n3=running prefer=n3", "stop web n3", "web=moving@n1",
        "web: moving from n3 to n1", "stopping (planned)"),
    ROW("leaving: never chosen", C1, "n1:up-leaving", NULL, "start web n2", "web=starting@n2"),
    ROW("every node leaving: stopped, failed, the preference kept", C1,
        "n1:up-leaving n2:up-leaving n3:up-leaving", "web: n3=running prefer=n3", "stop web n3",
        "web=failed@n3"),
    ROW("move target offline, auto: kept for its return", C1A, "n3:down",
        "web: n1=running prefer=n3", "", "web=running@n1"),
    ROW("preferred node lost, controlled: recovered on the next, preference dropped", C1,
        "n3:down-fenced", "web: n3=running prefer=n3", "start web n1", "web=starting@n1+drop"),

    /* Round-robin. */
    ROW("round-robin: three groups spread one per node", RR, NULL, NULL,
        "start a n1; start b n2; start c n3", "a=starting@n1 b=starting@n2 c=starting@n3"),
    ROW("round-robin: rotation after the last owner", RR, NULL,
        "a: last=n1; b: last=n1; c: last=n1", "start a n2; start b n3; start c n1",
        "a=starting@n2 b=starting@n3 c=starting@n1"),
    ROW("round-robin: stable placement stays", RR, NULL,
        "a: n1=running; b: n2=running; c: n3=running", "",
        "a=running@n1 b=running@n2 c=running@n3"),
    ROW("round-robin auto: equal loads, no move even past the last owner", RRA, NULL,
        "a: n1=running last=n1; b: n2=running last=n2; c: n3=running last=n3", "",
        "a=running@n1 b=running@n2 c=running@n3"),
    ROW("round-robin auto: one empty node is not worth a move",
        "n1 n2 n3; a: n1 n2 n3 rr auto; b: n1 n2 n3 rr auto", NULL, "a: n1=running; b: n2=running",
        "", "a=running@n1 b=running@n2"),
    ROW("round-robin: a new group goes to the least loaded node", RR, NULL,
        "a: n1=running; b: n1=running", "start c n2", "a=running@n1 b=running@n1 c=starting@n2"),
    ROW("round-robin auto: three groups on one node spread out in one plan", RRA, NULL,
        "a: n1=running; b: n1=running; c: n1=running", "stop a n1; stop b n1",
        "a=moving@n2 b=moving@n3 c=running@n1",
        "a: moving from n1 to n2 | b: moving from n1 to n3"),
    ROW("round-robin auto: two groups on one node, one moves to the empty node", RRA, NULL,
        "a: n1=running; b: n1=running; c: n2=running", "stop a n1",
        "a=moving@n3 b=running@n1 c=running@n2", "a: moving from n1 to n3"),
    ROW("round-robin controlled: an unbalanced placement stays", RR, NULL,
        "a: n1=running; b: n1=running; c: n1=running", "",
        "a=running@n1 b=running@n1 c=running@n1"),
    ROW("round-robin: a lost node's groups spread over the survivors",
        "n1 n2 n3 n4; a: n1 n2 n3 n4 rr; b: n1 n2 n3 n4 rr; c: n1 n2 n3 n4 rr; d: n1 n2 n3 n4 rr",
        "n1:down-fenced", "a: n1=running; b: n1=running; c: n2=running; d: n3=running",
        "start a n4; start b n2", "a=starting@n4 b=starting@n2 c=running@n2 d=running@n3"),

    /* Standby. */
    ROW("standby: the group moves away", C1, "n1:up-standby", "web: n1=running", "stop web n1",
        "web=moving@n2", "web: moving from n1 to n2", "in standby"),
    ROW("standby: never chosen", C1, "n1:up-standby", NULL, "start web n2", "web=starting@n2"),
    ROW("standby everywhere: failed", C1, ALL_STANDBY, NULL, "", "web=failed",
        "web: n1 in standby, n2 in standby, n3 in standby"),
    ROW("standby everywhere while running: stopped, failed", C1, ALL_STANDBY, "web: n2=running",
        "stop web n2", "web=failed@n2", "web: no eligible node"),
    ROW("standby: groups on other nodes are untouched", C2, "n1:up-standby",
        "web: n1=running; db: n3=running", "stop web n1", "web=moving@n2 db=running@n3"),

    /* Unmanaged groups. */
    ROW("unmanaged: active on two nodes, no action", C1, NULL,
        "web: unmanaged n1=running n2=running", "", "web=unmanaged@n1"),
    ROW("unmanaged: its node in standby, no action", C1, "n1:up-standby",
        "web: unmanaged n1=running", "", "web=unmanaged@n1"),
    ROW("unmanaged: stopped, not started", C1, NULL, "web: unmanaged", "", "web=unmanaged"),
    ROW("unmanaged: failed, not restarted", C1, NULL, "web: unmanaged n1=failed", "",
        "web=unmanaged@n1"),
    ROW("unmanaged: stop failed, not fenced", C1, NULL, "web: unmanaged n1=stop-failed", "",
        "web=unmanaged@n1"),
    ROW("unmanaged: its node lost, nothing started", C1, "n1:down-fenced",
        "web: unmanaged n1=running", "", "web=unmanaged"),

    /* Halted groups. */
    ROW("halted: stopped where it runs", C1, NULL, "web: halted n1=failed", "stop web n1",
        "web=halted@n1", "web: halted after a failure: vigil cleanup web", "is halted"),
    ROW("halted: stopped everywhere, nothing started", C1, NULL,
        "web: halted n1=running n2=partial", "stop web n1; stop web n2", "web=halted@n1"),
    ROW("halted and stopped: nothing to do", C1, NULL, "web: halted", "", "web=halted",
        "web: vigil group start web"),

    /* Target stopped. */
    ROW("group stop: stopped where it runs", C1, NULL, "web: stopped n2=running", "stop web n2",
        "web=stopping@n2", NULL, "stopped by an admin"),
    ROW("group stop: already stopped", C1, NULL, "web: stopped", "", "web=stopped"),
    ROW("group stop: a stop under way is not repeated", C1, NULL, "web: stopped n2=stopping", "",
        "web=stopping@n2"),

    /* Quorum. */
    ROW("no quorum: no action, every group says so", C2, "noquorum n2:down-unclean",
        "web: n1=failed; db: n3=stop-failed", "", "web=no_quorum@n1 db=no_quorum@n3",
        "web: this partition has no quorum | db: no quorum"),
    ROW("no quorum: nothing started", C1, "noquorum", NULL, "", "web=no_quorum"),
    ROW("no quorum: unmanaged and halted groups too", C2, "noquorum",
        "web: unmanaged n1=running; db: halted n3=running", "", "web=no_quorum@n1 db=no_quorum@n3"),

    /* Groups move independently. */
    ROW("independent: db's node lost, web untouched", C2, "n3:down-fenced",
        "web: n1=running; db: n3=running", "start db n2", "web=running@n1 db=starting@n2"),
    ROW("independent: web restarts in place, db untouched", C2, NULL,
        "web: n1=failed; db: n3=running", "start web n1", "web=recovering@n1 db=running@n3"),
    ROW("independent: web's stop failed on n1, db on n3 untouched", C2, NULL,
        "web: n1=stop-failed; db: n3=running", "fence web n1", "web=blocked@n1 db=running@n3"),
    ROW("independent: an unclean n1 blocks web only", C2, "n1:down-unclean",
        "web: n1=running; db: n3=running", "", "web=blocked db=running@n3"),
    ROW("independent: both groups recover in one plan", C2, "n1:down-fenced n3:down-fenced",
        "web: n1=running; db: n3=running", "start web n2; start db n2",
        "web=starting@n2 db=starting@n2"),
    ROW("independent: web banned on n1 moves, db on n1 stays", "n1 n2 n3; web: n1 n2; db: n1 n3",
        NULL, "web: n1=failed banned=n1; db: n1=running", "stop web n1",
        "web=moving@n2 db=running@n1"),

    /* Active on several nodes. */
    ROW("multi-active: keeps the preferred node, stops the other", C1, NULL,
        "web: n1=running n2=running", "stop web n2", "web=stopping@n1+multi",
        "web: active on 2 nodes: n1 (running), n2 (running)", "active on 2 nodes"),
    ROW("multi-active without the preferred node: keeps the best of them", C1, NULL,
        "web: n2=running n3=running", "stop web n3", "web=stopping@n2+multi"),
    ROW("multi-active: a copy already stopping is not stopped again", C1, NULL,
        "web: n1=running n2=stopping", "", "web=stopping@n1+multi"),
    ROW("multi-active: the admin's node is kept", C1, NULL, "web: n1=running n2=running prefer=n2",
        "stop web n1", "web=stopping@n2+multi"),
    ROW("multi-active: a whole copy beats a partial one on the preferred node", C1, NULL,
        "web: n1=partial n2=running", "stop web n1", "web=stopping@n2+multi"),
    ROW("multi-active: the copy on the last owner is kept", C1, NULL,
        "web: n1=running n2=running last=n2", "stop web n1", "web=stopping@n2+multi"),
    ROW("multi-active: the last owner is not kept where the group may not run", C1, "n2:up-standby",
        "web: n1=partial n2=partial last=n2", "stop web n2", "web=stopping@n1+multi"),
    ROW("multi-active on standby nodes only: every copy stopped", C1, "n2:up-standby n3:up-standby",
        "web: n2=running n3=running", "stop web n2; stop web n3", "web=stopping+multi"),

    /* Actions under way. */
    ROW("starting: no second start", C1, NULL, "web: n1=starting", "", "web=starting@n1"),
    ROW("stopping: no second stop", C1, NULL, "web: n1=stopping", "", "web=stopping@n1"),
    ROW("starting on a node now in standby: the start finishes first", C1, "n1:up-standby",
        "web: n1=starting", "", "web=starting@n1"),

    /* Partial groups. */
    ROW("partial on its node: completed in place", C1, NULL, "web: n1=partial", "start web n1",
        "web=starting@n1", NULL, "complete group web"),
    ROW("partial on a standby node: stopped", C1, "n1:up-standby", "web: n1=partial", "stop web n1",
        "web=moving@n2"),
    ROW("partial outside the domain: stopped", "n1 n2 n3; web: n1 n2", NULL, "web: n3=partial",
        "stop web n3", "web=moving@n1", NULL, "not in the domain"),

    /* Order of actions. */
    ROW("order: stops, then fences, then starts, across groups", "n1 n2 n3; a: n1; b: n2; c: n3",
        NULL, "b: n2=stop-failed; c: stopped n3=running", "stop c n3; fence b n2; start a n1",
        "a=starting@n1 b=blocked@n2 c=stopping@n3"),

    /* Restart back-off (restarts.backoff): the caller says which restarts are not due yet. */
    ROW("back-off: a restart in place not due yet waits, recovering", C1, NULL,
        "web: n1=failed backoff=n1", "", "web=recovering@n1", "web: restarting on n1 in back-off"),
    ROW("back-off: due, restarted in place", C1, NULL, "web: n1=failed", "start web n1",
        "web=recovering@n1", NULL, "restart group web"),
    ROW("back-off: on another node, no wait here", C1, NULL, "web: n1=failed backoff=n2",
        "start web n1", "web=recovering@n1"),
    ROW("back-off: banned there, it moves at once", C1, NULL, "web: n1=failed banned=n1 backoff=n1",
        "stop web n1", "web=moving@n2", "web: moving from n1 to n2"),
    ROW("back-off: standby there, it moves at once", C1, "n1:up-standby",
        "web: n1=failed backoff=n1", "stop web n1", "web=moving@n2"),
    ROW("back-off: failback auto to a better node moves at once", C1A, NULL,
        "web: n2=failed backoff=n2", "stop web n2", "web=moving@n1"),
    ROW("back-off: one group waits, the other restarts", C2, NULL,
        "web: n1=failed backoff=n1; db: n3=failed", "start db n3",
        "web=recovering@n1 db=recovering@n3", "web: restarting on n1 in back-off"),
    ROW("back-off: a running group is not touched", C1, NULL, "web: n1=running backoff=n1", "",
        "web=running@n1"),
};

static void check_why(const struct world *w, const struct pol_output *out, const char *spec)
{
    _cleanup_free_ char *copy = xstrdup(spec);
    for (char *item = copy; item;) {
        char *next = strstr(item, " | ");
        if (next) {
            *next = '\0';
            next += 3;
        }
        char *sep = strstr(item, ": ");
        assert_non_null(sep);
        *sep = '\0';
        const char *want = sep + 2;
        const char *got = out->groups[group_index(w->cfg, item)].why;
        if (!strstr(got, want))
            fail_msg("why of %s is \"%s\", expected it to contain \"%s\"", item, got, want);
        item = next;
    }
}

static void test_scenario(void **state)
{
    const struct scenario *s = *state;
    struct world *w = world_new(s->cfg, s->nodes, s->groups);
    struct pol_output out = {0};
    plan(w, &out);
    char got[1024];
    render_actions(w, &out, got, sizeof(got));
    if (strcmp(got, s->actions))
        print_error("scenario: %s\n", s->name);
    assert_string_equal(got, s->actions);
    render_groups(w, &out, got, sizeof(got));
    if (strcmp(got, s->result))
        print_error("scenario: %s\n", s->name);
    assert_string_equal(got, s->result);
    if (s->why)
        check_why(w, &out, s->why);
    if (s->reason) {
        assert_true(out.n_actions > 0);
        if (!strstr(out.actions[0].reason, s->reason))
            fail_msg("reason \"%s\" lacks \"%s\"", out.actions[0].reason, s->reason);
    }
    pol_output_clear(&out);
    world_free(w);
}

/* ---- policy_next_node ---- */

struct next_case {
    const char *cfg, *nodes, *groups;
    const char *group;
    const char *exclude; /* NULL: none */
    const char *expect;  /* NULL: none */
};

static const struct next_case next_cases[] = {
    {C1, NULL, NULL, "web", NULL, "n1"},
    {C1, NULL, NULL, "web", "n1", "n2"},
    {C1, NULL, "web: n2=running", "web", "n2", "n1"},
    {C1, "n2:up-standby", NULL, "web", "n1", "n3"},
    {C1, NULL, "web: banned=n2", "web", "n1", "n3"},
    {C1, "n2:down-unclean", NULL, "web", "n1", "n3"},
    {C1, "n2:down-fenced n3:up-standby", NULL, "web", "n1", NULL},
    {C1, NULL, "web: banned=n2,n3", "web", "n1", NULL},
    {C1, NULL, "web: prefer=n3", "web", "n1", "n2"}, /* an admin's move is not "next" */
    {"n1 n2 n3; web: n2 n3", NULL, NULL, "web", "n2", "n3"},
    {"n1 n2 n3; web: n2 n3", NULL, NULL, "web", "n3", "n2"},
    {"n1; web: n1", NULL, NULL, "web", "n1", NULL},
    {"n1 n2 n3; web: n1 n2 n3 script", NULL, "web: domain=n3,n1", "web", "n3", "n1"},
    {RR, NULL, "a: last=n2", "a", NULL, "n3"},
    {RR, NULL, "a: last=n2", "a", "n3", "n1"},
    {RR, NULL, "a: last=n3", "a", "n1", "n2"},
    {RR, "n2:up-standby", "a: last=n1", "a", NULL, "n3"},
    {C2, NULL, NULL, "db", "n3", "n2"},
    {C2, NULL, NULL, "db", "n2", "n3"},
};

static void test_next_node(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(next_cases); i++) {
        const struct next_case *c = &next_cases[i];
        struct world *w = world_new(c->cfg, c->nodes, c->groups);
        int ex = c->exclude ? node_index(w->cfg, c->exclude) : -1;
        int want = c->expect ? node_index(w->cfg, c->expect) : -1;
        int got = policy_next_node(&w->in, (size_t)group_index(w->cfg, c->group), ex);
        if (got != want)
            fail_msg("case %zu (%s / %s / %s, exclude %s): got %s, expected %s", i, c->cfg,
                     c->nodes ?: "-", c->groups ?: "-", c->exclude ?: "none",
                     got >= 0 ? w->cfg->nodes[got].name : "none", c->expect ?: "none");
        world_free(w);
    }
}

/* ---- helpers' own behaviour ---- */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(pol_state_name(POL_ST_NO_QUORUM), "no quorum");
    assert_string_equal(pol_state_name(POL_ST_MAX), "invalid");
    assert_string_equal(pol_obs_name(POL_OBS_STOP_FAILED), "stop failed");
    assert_string_equal(pol_obs_name(POL_OBS_MAX), "invalid");
    assert_string_equal(pol_action_name(POL_FENCE), "fence");
    assert_string_equal(pol_action_name(POL_ACTION_MAX), "invalid");
    assert_false(pol_obs_active(POL_OBS_UNKNOWN));
    assert_false(pol_obs_active(POL_OBS_STOPPED));
    for (int o = POL_OBS_STARTING; o < POL_OBS_MAX; o++)
        assert_true(pol_obs_active((enum pol_obs)o));
}

/* An output reused after pol_output_clear, and a configuration without groups. */
static void test_output_reuse(void **state)
{
    (void)state;
    struct world *w = world_new(C2, NULL, "web: n1=failed banned=n1");
    struct pol_output out = {0};
    for (int i = 0; i < 3; i++) {
        plan(w, &out);
        assert_int_equal(out.n_actions, 2); /* stop web n1; start db n3 */
        pol_output_clear(&out);
        assert_null(out.actions);
        assert_int_equal(out.n_actions, 0);
    }
    pol_output_clear(&out); /* twice is fine */
    world_free(w);

    w = world_new("n1 n2", NULL, NULL);
    plan(w, &out);
    assert_int_equal(out.n_actions, 0);
    pol_output_clear(&out);
    world_free(w);
}

/* ---- property test: random clusters against the invariants ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32) % n;
}

static bool chance(unsigned pct)
{
    return rnd(100) < pct;
}

struct spec {
    char cfg[512];
    char nodes[256];
    char groups[2048];
};

#define APPEND(buf, ...) snprintf((buf) + strlen(buf), sizeof(buf) - strlen(buf), __VA_ARGS__)

/* Appends a random list of distinct nodes (random order) of at least min entries. */
static void random_nodes(char *buf, size_t size, size_t n_nodes, size_t min, const char *sep)
{
    size_t perm[CFG_MAX_NODES];
    for (size_t i = 0; i < n_nodes; i++)
        perm[i] = i;
    for (size_t i = n_nodes; i > 1; i--) {
        size_t j = rnd((uint32_t)i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    size_t k = min + rnd((uint32_t)(n_nodes - min + 1));
    for (size_t i = 0; i < k; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%sn%zu", i ? sep : "", perm[i] + 1);
}

static const char *random_active(void)
{
    static const char *const a[] = {"starting", "running", "running", "running",
                                    "stopping", "partial", "failed",  "stop-failed"};
    return a[rnd(ARRAY_SIZE(a))];
}

static void random_spec(struct spec *s)
{
    memset(s, 0, sizeof(*s));
    size_t nn = 1 + rnd(5), ng = 1 + rnd(4);
    for (size_t n = 0; n < nn; n++)
        APPEND(s->cfg, "%sn%zu", n ? " " : "", n + 1);
    if (chance(35))
        APPEND(s->cfg, " nofence%s", chance(50) ? " unsafe" : "");
    bool script[MAX_GROUPS] = {false};
    for (size_t g = 0; g < ng; g++) {
        APPEND(s->cfg, "; g%zu: ", g + 1);
        random_nodes(s->cfg + strlen(s->cfg), sizeof(s->cfg) - strlen(s->cfg), nn, 1, " ");
        unsigned p = rnd(100);
        if (p < 35)
            APPEND(s->cfg, " rr");
        else if (p < 45)
            APPEND(s->cfg, " script");
        script[g] = p >= 35 && p < 45;
        if (chance(50))
            APPEND(s->cfg, " auto");
    }

    if (chance(8))
        APPEND(s->nodes, "noquorum");
    for (size_t n = 0; n < nn; n++) {
        bool up = chance(75);
        const char *fence = "clean";
        if (up) {
            if (chance(4))
                fence = "fenced"; /* fenced while still a member */
        } else {
            unsigned f = rnd(100);
            fence = f < 40 ? "clean" : f < 75 ? "unclean" : "fenced";
        }
        APPEND(s->nodes, " n%zu:%s-%s%s", n + 1, up ? "up" : "down", fence,
               chance(15) ? "-standby" : "");
    }

    for (size_t g = 0; g < ng; g++) {
        APPEND(s->groups, "%sg%zu:", g ? "; " : "", g + 1);
        if (chance(8))
            APPEND(s->groups, " unmanaged");
        if (chance(10))
            APPEND(s->groups, " stopped");
        if (chance(8))
            APPEND(s->groups, " halted");
        if (chance(25))
            APPEND(s->groups, " prefer=n%u", 1 + rnd((uint32_t)nn));
        if (chance(35))
            APPEND(s->groups, " last=n%u", 1 + rnd((uint32_t)nn));
        if (chance(25)) {
            APPEND(s->groups, " banned=");
            random_nodes(s->groups + strlen(s->groups), sizeof(s->groups) - strlen(s->groups), nn,
                         1, ",");
        }
        if (chance(8)) {
            APPEND(s->groups, " fencewant=");
            random_nodes(s->groups + strlen(s->groups), sizeof(s->groups) - strlen(s->groups), nn,
                         1, ",");
        }
        if (script[g] && chance(70)) {
            APPEND(s->groups, " domain=");
            random_nodes(s->groups + strlen(s->groups), sizeof(s->groups) - strlen(s->groups), nn,
                         0, ",");
        }
        unsigned mode = rnd(100);
        size_t one = rnd((uint32_t)nn);
        for (size_t n = 0; n < nn; n++) {
            const char *o = "stopped";
            if (mode < 40)
                o = chance(10) ? "unknown" : "stopped";
            else if (mode < 85)
                o = n == one ? random_active() : chance(8) ? "unknown" : "stopped";
            else
                o = chance(50) ? (chance(30) ? "unknown" : "stopped") : random_active();
            APPEND(s->groups, " n%zu=%s", n + 1, o);
        }
    }
}

/* Copies the parts of a world that a plan must not change. */
struct snapshot {
    struct pol_node nodes[CFG_MAX_NODES];
    struct pol_group groups[MAX_GROUPS];
    enum pol_obs obs[MAX_GROUPS][CFG_MAX_NODES];
};

/*
 * Nodes where group g may really be active: reported active and not fenced
 * since (an unclean node's last report counts; a fenced node runs nothing).
 */
static unsigned copies(const struct world *w, size_t g)
{
    unsigned k = 0;
    for (size_t n = 0; n < w->cfg->n_nodes; n++)
        k += pol_obs_active(w->obs[g][n]) && w->nodes[n].fence != POL_NODE_FENCED;
    return k;
}

/*
 * Carries the plan out as the nodes would: stops stop, starts run, fences
 * power the node off; actions under way complete and members finish probing
 * (finding nothing); a dropped preference is dropped, as the coordinator does.
 */
static void carry_out(struct world *w, const struct pol_output *out)
{
    for (size_t i = 0; i < out->n_actions; i++) {
        const struct pol_action *a = &out->actions[i];
        switch (a->type) {
        case POL_STOP:
            w->obs[a->group][a->node] = POL_OBS_STOPPED;
            break;
        case POL_FENCE:
            w->nodes[a->node].online = false;
            w->nodes[a->node].fence = POL_NODE_FENCED;
            break;
        case POL_START:
            w->obs[a->group][a->node] = POL_OBS_RUNNING;
            w->groups[a->group].last_owner = (int)a->node;
            break;
        case POL_ACTION_MAX:
            break;
        }
    }
    for (size_t g = 0; g < w->cfg->n_groups; g++) {
        if (out->groups[g].drop_prefer)
            w->groups[g].prefer = -1;
        for (size_t n = 0; n < w->cfg->n_nodes; n++) {
            enum pol_obs *o = &w->obs[g][n];
            if (!w->nodes[n].online)
                continue;
            if (*o == POL_OBS_STARTING)
                *o = POL_OBS_RUNNING;
            else if (*o == POL_OBS_STOPPING || *o == POL_OBS_UNKNOWN)
                *o = POL_OBS_STOPPED;
        }
    }
}

/* True while a member has a start or stop under way, or has not probed yet. */
static bool in_flight(const struct world *w)
{
    for (size_t g = 0; g < w->cfg->n_groups; g++)
        for (size_t n = 0; n < w->cfg->n_nodes; n++)
            if (w->nodes[n].online &&
                (w->obs[g][n] == POL_OBS_STARTING || w->obs[g][n] == POL_OBS_STOPPING ||
                 w->obs[g][n] == POL_OBS_UNKNOWN))
                return true;
    return false;
}

/*
 * A settled plan (no actions, nothing under way) leaves a group on at most one member, unless it
 * waits (blocked), is not vigil's to touch (unmanaged), or has no quorum.
 */
static void check_settled(const struct world *w, const struct pol_output *out, unsigned run,
                          const struct spec *s)
{
    for (size_t g = 0; g < w->cfg->n_groups; g++) {
        enum pol_state st = out->groups[g].state;
        if (st == POL_ST_BLOCKED || st == POL_ST_UNMANAGED || st == POL_ST_NO_QUORUM)
            continue;
        unsigned k = 0;
        for (size_t n = 0; n < w->cfg->n_nodes; n++)
            k += w->nodes[n].online && pol_obs_active(w->obs[g][n]);
        if (k > 1)
            fail_msg("run %u: settled with group %s %s on %u members\n"
                     "  cfg:    %s\n  nodes:  %s\n  groups: %s",
                     run, w->cfg->groups[g].name, pol_state_name(st), k, s->cfg, s->nodes,
                     s->groups);
    }
}

#define PROPERTY_RUNS 5000
#define MAX_STEPS     12

static void test_property(void **state)
{
    (void)state;
    unsigned settled_with_actions = 0, started = 0, fenced = 0;
    for (unsigned run = 0; run < PROPERTY_RUNS; run++) {
        struct spec s;
        random_spec(&s);
        struct world *w = world_new(s.cfg, s.nodes, s.groups);
        bool unsafe = !w->cfg->fence_enabled && w->cfg->fence_unsafe_recovery;
        bool had_actions = false;
        size_t step = 0;
        for (;; step++) {
            struct snapshot before;
            memcpy(before.nodes, w->nodes, sizeof(before.nodes));
            memcpy(before.groups, w->groups, sizeof(before.groups));
            memcpy(before.obs, w->obs, sizeof(before.obs));
            struct pol_output out = {0};
            plan(w, &out); /* the invariants */
            /* Pure: the input is left as it was. */
            assert_memory_equal(before.nodes, w->nodes, sizeof(before.nodes));
            assert_memory_equal(before.groups, w->groups, sizeof(before.groups));
            assert_memory_equal(before.obs, w->obs, sizeof(before.obs));
            if (!out.n_actions && !in_flight(w)) {
                check_settled(w, &out, run, &s);
                pol_output_clear(&out);
                break;
            }
            had_actions |= out.n_actions > 0;
            if (step >= MAX_STEPS) {
                char acts[1024];
                render_actions(w, &out, acts, sizeof(acts));
                fail_msg("run %u does not settle after %d plans (still: %s)\n"
                         "  cfg:    %s\n  nodes:  %s\n  groups: %s",
                         run, MAX_STEPS, acts, s.cfg, s.nodes, s.groups);
            }
            unsigned c0[MAX_GROUPS];
            for (size_t g = 0; g < w->cfg->n_groups; g++)
                c0[g] = copies(w, g);
            for (size_t i = 0; i < out.n_actions; i++) {
                started += out.actions[i].type == POL_START;
                fenced += out.actions[i].type == POL_FENCE;
            }
            carry_out(w, &out);
            pol_output_clear(&out);
            /* Following the plan never adds a second copy. */
            for (size_t g = 0; g < w->cfg->n_groups && !unsafe; g++) {
                unsigned c1 = copies(w, g), lim = c0[g] > 1 ? c0[g] : 1;
                if (c1 > lim)
                    fail_msg("run %u step %zu: group %s now on %u nodes\n"
                             "  cfg:    %s\n  nodes:  %s\n  groups: %s",
                             run, step, w->cfg->groups[g].name, c1, s.cfg, s.nodes, s.groups);
            }
        }
        settled_with_actions += had_actions;
        world_free(w);
    }
    /* The generator reaches the interesting cases. */
    assert_true(settled_with_actions > PROPERTY_RUNS / 4);
    assert_true(started > PROPERTY_RUNS / 4);
    assert_true(fenced > PROPERTY_RUNS / 50);
}

int main(void)
{
    size_t n_extra = 4, n = ARRAY_SIZE(scenarios) + n_extra;
    struct CMUnitTest *tests = xcalloc(n, sizeof(*tests));
    for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
        tests[i] = (struct CMUnitTest){.name = scenarios[i].name,
                                       .test_func = test_scenario,
                                       .initial_state = (void *)&scenarios[i]};
    size_t i = ARRAY_SIZE(scenarios);
    tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_next_node);
    tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_names);
    tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_output_reuse);
    tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_property);
    int r = _cmocka_run_group_tests("policy", tests, n, NULL, NULL);
    free(tests);
    return r;
}
