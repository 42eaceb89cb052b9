/*
 * The policy tests' world (see policy_world.h): clusters built from short
 * strings, plans rendered as strings, and the invariants every plan is
 * checked against.
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
#include "policy_world.h"

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
        free(c->groups[g].requires);
        free(c->groups[g].together_with);
        free(c->groups[g].apart_from);
    }
    for (size_t i = 0; i < c->n_capacity_names; i++)
        free(c->capacity_names[i]);
    free(c->nodes);
    free(c->groups);
    free(c);
}

int node_index(const struct cfg *c, const char *name)
{
    for (size_t n = 0; n < c->n_nodes; n++)
        if (!strcmp(c->nodes[n].name, name))
            return (int)n;
    fail_msg("unknown node '%s'", name);
    return -1;
}

int group_index(const struct cfg *c, const char *name)
{
    for (size_t g = 0; g < c->n_groups; g++)
        if (!strcmp(c->groups[g].name, name))
            return (int)g;
    fail_msg("unknown group '%s'", name);
    return -1;
}

/* The index of a capacity name, added on first use. */
static size_t capacity_index(struct cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_capacity_names; i++)
        if (!strcmp(c->capacity_names[i], name))
            return i;
    assert_true(c->n_capacity_names < CFG_MAX_CAPACITIES);
    c->capacity_names[c->n_capacity_names] = xstrdup(name);
    return c->n_capacity_names++;
}

/* Parses "mem:16,cpu:8" into amounts[] by capacity name. */
static void amounts_parse(struct cfg *c, char *list, uint64_t *amounts)
{
    char *save = NULL;
    for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(s, ':');
        assert_non_null(colon);
        *colon = '\0';
        amounts[capacity_index(c, s)] = strtoull(colon + 1, NULL, 10);
    }
}

/* A relationship token waiting for every group to be known: "req=db,app". */
struct pending_rel {
    size_t group;
    char kind; /* 'r'equires, 'w'ith (together_with), 'a'part_from */
    char *list;
};

static void rel_resolve(struct cfg *c, const struct pending_rel *r)
{
    struct cfg_group *cg = &c->groups[r->group];
    size_t **v = r->kind == 'r'   ? &cg->requires
                 : r->kind == 'w' ? &cg->together_with
                                  : &cg->apart_from;
    size_t *n = r->kind == 'r'   ? &cg->n_requires
                : r->kind == 'w' ? &cg->n_together_with
                                 : &cg->n_apart_from;
    char *save = NULL;
    for (char *s = strtok_r(r->list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        *v = xrealloc(*v, (*n + 1) * sizeof(size_t));
        (*v)[(*n)++] = (size_t)group_index(c, s);
    }
}

/* Parses the config string (see the top of the file). Owned by the caller: cfg_destroy. */
static struct cfg *cfg_build(const char *spec)
{
    struct pending_rel rels[MAX_GROUPS * 3];
    size_t n_rels = 0;
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
                    char *eq = strchr(w, '=');
                    if (eq)
                        *eq = '\0';
                    struct cfg_node *cn = &c->nodes[c->n_nodes];
                    *cn = (struct cfg_node){.name = xstrdup(w), .id = (uint32_t)c->n_nodes + 1};
                    if (eq) {
                        cn->has_capacity = true;
                        amounts_parse(c, eq + 1, cn->capacity);
                    }
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
            else if (!strcmp(w, "bal"))
                cg->policy = CFG_POLICY_BALANCED;
            else if (!strcmp(w, "auto"))
                cg->failback = CFG_FAILBACK_AUTO;
            else if (!strcmp(w, "coloc"))
                cg->colocated = true;
            else if (!strncmp(w, "load=", 5))
                amounts_parse(c, w + 5, cg->load);
            else if (!strncmp(w, "prio=", 5))
                cg->priority = (int32_t)strtol(w + 5, NULL, 10);
            else if (!strcmp(w, "clone"))
                cg->kind = CFG_KIND_CLONE;
            else if (!strcmp(w, "prom"))
                cg->kind = CFG_KIND_PROMOTABLE;
            else if (!strncmp(w, "copies=", 7))
                cg->copies = (uint32_t)strtoul(w + 7, NULL, 10);
            else if (!strncmp(w, "primaries=", 10))
                cg->primaries = (uint32_t)strtoul(w + 10, NULL, 10);
            else if (!strncmp(w, "req=", 4) || !strncmp(w, "with=", 5) || !strncmp(w, "apart=", 6))
                rels[n_rels++] = (struct pending_rel){
                    .group = c->n_groups - 1, .kind = w[0], .list = strchr(w, '=') + 1};
            else
                cg->domain[cg->n_domain++] = (size_t)node_index(c, w);
        }
    }
    for (size_t i = 0; i < n_rels; i++)
        rel_resolve(c, &rels[i]);
    /*
     * As the loader: a clone's copies default to its domain, a promotable
     * group's primaries to 1. A single group keeps copies 0 (as loaded from
     * YAML before the loader knew the key): the policy counts it as one.
     */
    for (size_t g = 0; g < c->n_groups; g++) {
        struct cfg_group *cg = &c->groups[g];
        if (cg->kind != CFG_KIND_SINGLE && !cg->copies)
            cg->copies = (uint32_t)cg->n_domain;
        if (cg->kind == CFG_KIND_PROMOTABLE && !cg->primaries)
            cg->primaries = 1;
    }
    return c;
}

/* ---- the policy's input, from strings ---- */

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
    } else if (!strcmp(t, "promoted")) {
        node_list(w->cfg, v, w->promoted[g]);
    } else if (!strcmp(t, "score")) {
        G->score = w->score[g];
        char *save = NULL;
        for (char *s = strtok_r(v, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
            char *colon = strchr(s, ':');
            assert_non_null(colon);
            *colon = '\0';
            w->score[g][node_index(w->cfg, s)] = strtoll(colon + 1, NULL, 10);
        }
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
struct world *world_new(const char *cfg, const char *nodes, const char *groups)
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
        if (w->cfg->groups[g].kind == CFG_KIND_PROMOTABLE)
            w->groups[g].promoted = w->promoted[g];
        for (size_t n = 0; n < w->cfg->n_nodes; n++) {
            w->obs[g][n] = POL_OBS_STOPPED;
            w->score[g][n] = POL_NO_SCORE;
        }
    }
    nodes_parse(w, nodes);
    groups_parse(w, groups);
    w->in = (struct pol_input){
        .cfg = w->cfg, .quorate = w->quorate, .nodes = w->nodes, .groups = w->groups};
    return w;
}

void world_free(struct world *w)
{
    if (!w)
        return;
    cfg_destroy(w->cfg);
    free(w);
}

/* ---- the plan, as strings ---- */

void render_actions(const struct world *w, const struct pol_output *out, char *buf, size_t size)
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

void render_groups(const struct world *w, const struct pol_output *out, char *buf, size_t size)
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

bool world_in_domain(const struct world *w, size_t g, size_t n)
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
    if (!world_in_domain(w, g, t) || !T->online || T->fence != POL_NODE_CLEAN || T->standby ||
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
            (active || (o == POL_OBS_UNKNOWN && world_in_domain(w, g, n))) && !unsafe)
            return "an unclean node may run it";
    }
    return NULL;
}

char world_fail_ctx[4096];

/* ---- relationships and capacity, as DESIGN.md rule 6 and vigil.yaml(5) state them ---- */

static bool lists(const size_t *v, size_t n, size_t g)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == g)
            return true;
    return false;
}

bool world_acts(const struct pol_output *out, enum pol_action_type t, size_t g, size_t n)
{
    for (size_t i = 0; i < out->n_actions; i++)
        if (out->actions[i].type == t && out->actions[i].group == g && out->actions[i].node == n)
            return true;
    return false;
}

/* Group g is active on member n (as reported). */
bool world_active_on(const struct world *w, size_t g, size_t n)
{
    return w->nodes[n].online && pol_obs_active(w->obs[g][n]);
}

/* After this plan, group g is (or may be) on node n: active there, started or reserved there. */
static bool on_after(const struct world *w, const struct pol_output *out, size_t g, size_t n)
{
    const struct pol_group_out *o = &out->groups[g];
    bool reserved = o->node == (int)n && (o->state == POL_ST_MOVING || o->state == POL_ST_BLOCKED);
    return world_active_on(w, g, n) || world_acts(out, POL_START, g, n) || reserved;
}

/* Room on node n for group g after this plan: every name of its load fits. */
static bool room_for(const struct world *w, const struct pol_output *out, size_t g, size_t n)
{
    const struct cfg *c = w->cfg;
    if (!c->nodes[n].has_capacity)
        return true;
    for (size_t k = 0; k < c->n_capacity_names; k++) {
        uint64_t used = c->groups[g].load[k];
        for (size_t h = 0; h < c->n_groups; h++)
            if (h != g && on_after(w, out, h, n))
                used += c->groups[h].load[k];
        if (used > c->nodes[n].capacity[k])
            return false;
    }
    return true;
}

/*
 * Whether the loads on node n of the groups active there plus those started
 * there by the plan (out may be NULL) exceed its capacity in a name (only in
 * the names group `only` uses, if only >= 0).
 */
bool world_over_capacity(const struct world *w, const struct pol_output *out, size_t n, int only)
{
    const struct cfg *c = w->cfg;
    if (!c->nodes[n].has_capacity)
        return false;
    for (size_t k = 0; k < c->n_capacity_names; k++) {
        if (only >= 0 && !c->groups[only].load[k])
            continue;
        uint64_t used = 0;
        for (size_t h = 0; h < c->n_groups; h++)
            if (world_active_on(w, h, n) || (out && world_acts(out, POL_START, h, n)))
                used += c->groups[h].load[k];
        if (used > c->nodes[n].capacity[k])
            return true;
    }
    return false;
}

/* Group h needs group g, directly or through others (requires, together_with). */
static bool needs(const struct cfg *c, size_t h, size_t g, unsigned depth)
{
    const struct cfg_group *ch = &c->groups[h];
    if (depth > MAX_GROUPS)
        return false;
    for (size_t i = 0; i < ch->n_requires + ch->n_together_with; i++) {
        size_t r = i < ch->n_requires ? ch->requires[i] : ch->together_with[i - ch->n_requires];
        if (r == g || needs(c, r, g, depth + 1))
            return true;
    }
    return false;
}

/* g is to keep apart from h (either names the other), unless h needs g: h then follows g. */
static bool apart(const struct cfg *c, size_t g, size_t h)
{
    return (lists(c->groups[g].apart_from, c->groups[g].n_apart_from, h) ||
            lists(c->groups[h].apart_from, c->groups[h].n_apart_from, g)) &&
           !needs(c, h, g, 0);
}

/*
 * Whether group g, placed on node t by this plan, could have gone to another
 * node free of the groups it is apart from: not pinned by together_with or
 * colocated requires, not an admin's node, and another eligible node with
 * room exists without them.
 */
static bool apart_choice(const struct world *w, const struct pol_output *out, size_t g, size_t t)
{
    const struct cfg *c = w->cfg;
    const struct cfg_group *cg = &c->groups[g];
    if (cg->n_together_with || (cg->colocated && cg->n_requires) || w->groups[g].prefer == (int)t)
        return false;
    for (size_t u = 0; u < c->n_nodes; u++) {
        const struct pol_node *U = &w->nodes[u];
        if (u == t || !world_in_domain(w, g, u) || !U->online || U->fence != POL_NODE_CLEAN ||
            U->standby || U->leaving || (w->groups[g].banned && w->groups[g].banned[u]) ||
            !room_for(w, out, g, u))
            continue;
        bool partner = false;
        for (size_t h = 0; h < c->n_groups; h++)
            partner |= h != g && apart(c, g, h) && on_after(w, out, h, u);
        if (!partner)
            return true;
    }
    return false;
}

/* Why a start of group g on node t breaks a relationship or a capacity, or NULL. */
const char *world_start_breaks(const struct world *w, const struct pol_output *out, size_t g,
                               size_t t)
{
    const struct cfg *c = w->cfg;
    const struct cfg_group *cg = &c->groups[g];
    if (!world_active_on(w, g, t) &&
        world_over_capacity(w, out, t, (int)g)) /* in place adds nothing */
        return "over the node's capacity";
    for (size_t i = 0; i < cg->n_requires; i++) {
        size_t r = cg->requires[i];
        bool runs = false;
        for (size_t n = 0; n < c->n_nodes; n++)
            runs |= (!cg->colocated || n == t) && w->nodes[n].online &&
                    w->obs[r][n] == POL_OBS_RUNNING && !world_acts(out, POL_STOP, r, n);
        if (!runs)
            return "a required group does not run (there)";
    }
    for (size_t i = 0; i < cg->n_together_with; i++) {
        size_t h = cg->together_with[i];
        enum pol_obs o = w->obs[h][t];
        bool there = (world_active_on(w, h, t) && o != POL_OBS_STOPPING &&
                      o != POL_OBS_STOP_FAILED && !world_acts(out, POL_STOP, h, t)) ||
                     world_acts(out, POL_START, h, t);
        if (!there)
            return "a together_with group does not run there";
    }
    /* A managed group that requires it is active: it must stop first. */
    for (size_t d = 0; d < c->n_groups; d++)
        for (size_t n = 0; n < c->n_nodes; n++)
            if (w->groups[d].managed && world_active_on(w, d, n) &&
                lists(c->groups[d].requires, c->groups[d].n_requires, g))
                return "a group that requires it is still active";
    /* apart_from is soft: sharing only when no other node could take it. */
    if (world_active_on(w, g, t) || !apart_choice(w, out, g, t))
        return NULL;
    for (size_t h = 0; h < c->n_groups; h++) {
        if (h == g || !apart(c, g, h) || !on_after(w, out, h, t))
            continue;
        if (!world_active_on(w, h, t) && w->groups[h].prefer == (int)t)
            continue; /* an admin moved it there: an admin's move wins over apart_from */
        /*
         * Both placed there by this plan: the first one placed could not know
         * where the other would go; fine if the other had no choice.
         */
        if (!world_active_on(w, h, t) && !apart_choice(w, out, h, t))
            continue;
        return "shares a node with a group it is apart from while another node could take it";
    }
    return NULL;
}

/* Why a stop of group g on node s comes before its dependants stopped, or NULL. */
static const char *stop_breaks(const struct world *w, const struct pol_output *out, size_t g,
                               size_t s)
{
    const struct cfg *c = w->cfg;
    bool keeps = false; /* a running copy stays elsewhere */
    for (size_t k = 0; k < c->n_nodes; k++)
        keeps |= k != s && w->nodes[k].online && w->obs[g][k] == POL_OBS_RUNNING &&
                 !world_acts(out, POL_STOP, g, k);
    for (size_t d = 0; d < c->n_groups; d++) {
        const struct cfg_group *cd = &c->groups[d];
        if (!w->groups[d].managed || !lists(cd->requires, cd->n_requires, g))
            continue;
        for (size_t n = 0; n < c->n_nodes; n++)
            if (world_active_on(w, d, n) && ((cd->colocated && n == s) || !keeps))
                return "a group that requires it is still active";
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
        const char *no = NULL;
        assert_true(G->managed);
        if (c->groups[a->group].kind != CFG_KIND_SINGLE && a->type != POL_FENCE) {
            world_check_clone_action(w, out, a); /* policy_world_clone.c */
            continue;
        }
        switch (a->type) {
        case POL_STOP:
            assert_true(N->online);
            assert_true(pol_obs_active(G->obs[a->node]));
            assert_int_not_equal(G->obs[a->node], POL_OBS_STOPPING);
            stops[a->group]++;
            if ((no = stop_breaks(w, out, a->group, a->node)))
                fail_msg("%sstop %s %s: %s", world_fail_ctx, c->groups[a->group].name,
                         c->nodes[a->node].name, no);
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
            no = start_forbidden(w, a->group, a->node);
            if (!no)
                no = world_start_breaks(w, out, a->group, a->node);
            if (no)
                fail_msg("%sstart %s %s: %s", world_fail_ctx, c->groups[a->group].name,
                         c->nodes[a->node].name, no);
            starts[a->group]++;
            assert_int_equal(out->groups[a->group].node, (int)a->node);
            break;
        }
        case POL_DEMOTE:
        case POL_PROMOTE:
            fail_msg("%s%s %s %s: a single group is not promotable", world_fail_ctx,
                     pol_action_name(a->type), c->groups[a->group].name, c->nodes[a->node].name);
            break;
        case POL_ACTION_MAX:
            break;
        }
    }
    for (size_t g = 0; g < c->n_groups; g++) {
        const struct pol_group_out *o = &out->groups[g];
        const struct pol_group *G = &w->groups[g];
        if (c->groups[g].kind != CFG_KIND_SINGLE) {
            world_check_clone_group(w, out, g); /* policy_world_clone.c */
            continue;
        }
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
void world_plan(const struct world *w, struct pol_output *out)
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

/*
 * Carries the plan out as the nodes would: stops stop, starts run, fences
 * power the node off; actions under way complete and members finish probing
 * (finding nothing); a dropped preference is dropped, as the coordinator does.
 */
void world_carry_out(struct world *w, const struct pol_output *out)
{
    for (size_t i = 0; i < out->n_actions; i++) {
        const struct pol_action *a = &out->actions[i];
        switch (a->type) {
        case POL_STOP: /* a primary's stop demotes it first */
            w->obs[a->group][a->node] = POL_OBS_STOPPED;
            w->promoted[a->group][a->node] = false;
            break;
        case POL_FENCE:
            w->nodes[a->node].online = false;
            w->nodes[a->node].fence = POL_NODE_FENCED;
            break;
        case POL_START: /* a failed primary is stopped (demoted), then started as a replica */
            w->obs[a->group][a->node] = POL_OBS_RUNNING;
            w->promoted[a->group][a->node] = false;
            if (w->cfg->groups[a->group].kind == CFG_KIND_SINGLE)
                w->groups[a->group].last_owner = (int)a->node;
            break;
        case POL_DEMOTE:
            w->obs[a->group][a->node] = POL_OBS_RUNNING;
            w->promoted[a->group][a->node] = false;
            break;
        case POL_PROMOTE: /* a promotable group's last owner is its last primary */
            w->obs[a->group][a->node] = POL_OBS_PRIMARY;
            w->promoted[a->group][a->node] = true;
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
            if (*o == POL_OBS_STARTING || *o == POL_OBS_DEMOTING) {
                *o = POL_OBS_RUNNING;
                w->promoted[g][n] = false;
            } else if (*o == POL_OBS_PROMOTING) {
                *o = POL_OBS_PRIMARY;
                w->promoted[g][n] = true;
                w->groups[g].last_owner = (int)n;
            } else if (*o == POL_OBS_STOPPING || *o == POL_OBS_UNKNOWN) {
                *o = POL_OBS_STOPPED;
                w->promoted[g][n] = false;
            }
        }
    }
}

/* True while a member has a start or stop under way, or has not probed yet. */
bool world_in_flight(const struct world *w)
{
    for (size_t g = 0; g < w->cfg->n_groups; g++)
        for (size_t n = 0; n < w->cfg->n_nodes; n++)
            if (w->nodes[n].online &&
                (w->obs[g][n] == POL_OBS_STARTING || w->obs[g][n] == POL_OBS_STOPPING ||
                 w->obs[g][n] == POL_OBS_UNKNOWN || w->obs[g][n] == POL_OBS_PROMOTING ||
                 w->obs[g][n] == POL_OBS_DEMOTING))
                return true;
    return false;
}

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

void world_test_scenario(void **state)
{
    const struct scenario *s = *state;
    struct world *w = world_new(s->cfg, s->nodes, s->groups);
    struct pol_output out = {0};
    world_plan(w, &out);
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

int world_run(const char *name, struct scenario *rows, size_t n_rows,
              const struct CMUnitTest *extra, size_t n_extra)
{
    size_t n = n_rows + n_extra;
    struct CMUnitTest *tests = xcalloc(n ? n : 1, sizeof(*tests));
    for (size_t i = 0; i < n_rows; i++)
        tests[i] = (struct CMUnitTest){
            .name = rows[i].name, .test_func = world_test_scenario, .initial_state = &rows[i]};
    for (size_t i = 0; i < n_extra; i++)
        tests[n_rows + i] = extra[i];
    int r = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    free(tests);
    return r;
}
