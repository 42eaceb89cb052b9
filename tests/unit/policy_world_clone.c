/*
 * The invariants of clone and promotable groups in the policy tests' world
 * (see policy_world.h), as docs/architecture.md states them ("Clones and
 * promotable groups: placement"): never more than `copies` copies that may
 * run, counting nodes that left and are not fenced; never more than
 * `primaries` nodes that may be primary; a promote only of a replica running
 * on an eligible member with a non-negative score; once settled, every
 * eligible node with room runs a copy up to `copies`, and min(primaries,
 * promotable copies) are primary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy_world.h"

static bool unsafe_recovery(const struct world *w)
{
    return !w->cfg->fence_enabled && w->cfg->fence_unsafe_recovery;
}

static bool eligible(const struct world *w, size_t g, size_t n)
{
    const struct pol_node *N = &w->nodes[n];
    const struct pol_group *G = &w->groups[g];
    return world_in_domain(w, g, n) && N->online && N->fence == POL_NODE_CLEAN && !N->standby &&
           !N->leaving && !(G->banned && G->banned[n]);
}

static bool primary_obs(enum pol_obs o)
{
    return o == POL_OBS_PROMOTING || o == POL_OBS_PRIMARY || o == POL_OBS_DEMOTING;
}

/* A node that left and is not fenced may still run what it ran (unknown: anything). */
static bool left_unfenced(const struct world *w, size_t g, size_t n, bool *unknown)
{
    const struct pol_node *N = &w->nodes[n];
    enum pol_obs o = w->obs[g][n];
    *unknown = false;
    if (N->online || N->fence == POL_NODE_FENCED)
        return false;
    if (N->fence == POL_NODE_UNCLEAN && unsafe_recovery(w))
        return false;
    *unknown = o == POL_OBS_UNKNOWN && N->fence == POL_NODE_UNCLEAN && world_in_domain(w, g, n);
    return pol_obs_active(o) || *unknown;
}

unsigned world_copies_wanted(const struct world *w, size_t g)
{
    const struct cfg_group *cg = &w->cfg->groups[g];
    const struct pol_group *G = &w->groups[g];
    size_t nd = G->domain ? G->n_domain : cg->n_domain;
    size_t k = cg->kind == CFG_KIND_SINGLE ? 1 : cg->copies ? cg->copies : nd;
    return (unsigned)(k < nd ? k : nd);
}

unsigned world_holders(const struct world *w, size_t g)
{
    unsigned k = 0;
    for (size_t n = 0; n < w->cfg->n_nodes; n++) {
        bool unknown;
        if (w->nodes[n].fence == POL_NODE_FENCED)
            continue; /* runs nothing, a member still or not */
        if (w->nodes[n].online)
            k += pol_obs_active(w->obs[g][n]) || w->obs[g][n] == POL_OBS_UNKNOWN;
        else
            k += left_unfenced(w, g, n, &unknown);
    }
    return k;
}

unsigned world_primaries(const struct world *w, size_t g)
{
    unsigned k = 0;
    for (size_t n = 0; n < w->cfg->n_nodes; n++) {
        bool said = w->promoted[g][n] || primary_obs(w->obs[g][n]), unknown;
        if (w->nodes[n].fence == POL_NODE_FENCED)
            continue;
        if (w->nodes[n].online)
            k += said;
        else if (left_unfenced(w, g, n, &unknown))
            k += said || unknown;
    }
    return k;
}

/* How many actions of type t for group g the plan has on nodes whose obs is o. */
static unsigned count_acts(const struct world *w, const struct pol_output *out,
                           enum pol_action_type t, size_t g, enum pol_obs o)
{
    unsigned k = 0;
    for (size_t i = 0; i < out->n_actions; i++) {
        const struct pol_action *a = &out->actions[i];
        k += a->type == t && a->group == g && w->obs[g][a->node] == o;
    }
    return k;
}

/* Why a start of a copy of group g on node n is wrong, or NULL. */
static const char *start_wrong(const struct world *w, const struct pol_output *out, size_t g,
                               size_t n)
{
    const struct pol_group *G = &w->groups[g];
    enum pol_obs o = w->obs[g][n];
    if (G->halted || !G->target_started)
        return "halted or stopped";
    if (!eligible(w, g, n))
        return "ineligible node";
    if (o != POL_OBS_STOPPED && o != POL_OBS_PARTIAL && o != POL_OBS_FAILED)
        return "start over a start, a run or a stop";
    if (o == POL_OBS_FAILED && G->backing_off && G->backing_off[n])
        return "a restart in place before its back-off is over";
    /* A new copy: the copies that may run, and those it starts, within copies. */
    if (o == POL_OBS_STOPPED &&
        world_holders(w, g) + count_acts(w, out, POL_START, g, POL_OBS_STOPPED) >
            world_copies_wanted(w, g))
        return "more copies than copies (counting nodes that may still run one)";
    return world_start_breaks(w, out, g, n);
}

/* Why a promotion of group g on node n is wrong, or NULL. */
static const char *promote_wrong(const struct world *w, const struct pol_output *out, size_t g,
                                 size_t n)
{
    const struct pol_group *G = &w->groups[g];
    enum pol_obs o = w->obs[g][n];
    if (w->cfg->groups[g].kind != CFG_KIND_PROMOTABLE)
        return "not a promotable group";
    if (G->halted || !G->target_started)
        return "halted or stopped";
    if (!eligible(w, g, n))
        return "ineligible node";
    if (o == POL_OBS_PARTIAL && w->promoted[g][n])
        return NULL; /* completes a primary found partial: its seat is counted */
    if (o != POL_OBS_RUNNING || w->promoted[g][n])
        return "not a running replica";
    int64_t s = G->score ? G->score[n] : POL_NO_SCORE;
    if (s == POL_NO_SCORE || s < 0)
        return "no score, or a negative one";
    for (size_t m = 0; m < w->cfg->n_nodes; m++)
        if (w->nodes[m].online && w->nodes[m].fence != POL_NODE_FENCED &&
            w->obs[g][m] == POL_OBS_UNKNOWN)
            return "a member has not probed it (it may be primary)";
    if (world_primaries(w, g) + count_acts(w, out, POL_PROMOTE, g, POL_OBS_RUNNING) >
        w->cfg->groups[g].primaries)
        return "more primaries than primaries (counting nodes that may still be one)";
    return NULL;
}

void world_check_clone_action(const struct world *w, const struct pol_output *out,
                              const struct pol_action *a)
{
    const struct cfg *c = w->cfg;
    size_t g = a->group, n = a->node;
    enum pol_obs o = w->obs[g][n];
    const char *no = NULL;
    switch (a->type) {
    case POL_STOP:
        if (!w->nodes[n].online || !pol_obs_active(o) || o == POL_OBS_STOPPING ||
            o == POL_OBS_STOP_FAILED)
            no = "a stop of nothing, of a stop, or of a failed stop";
        break;
    case POL_START:
        no = start_wrong(w, out, g, n);
        break;
    case POL_DEMOTE:
        if (c->groups[g].kind != CFG_KIND_PROMOTABLE)
            no = "not a promotable group";
        else if (!w->nodes[n].online ||
                 !(o == POL_OBS_PRIMARY || (o == POL_OBS_PARTIAL && w->promoted[g][n])))
            no = "a demote of a copy that is not primary";
        break;
    case POL_PROMOTE:
        no = promote_wrong(w, out, g, n);
        break;
    case POL_FENCE:
    case POL_ACTION_MAX:
        break;
    }
    if (no)
        fail_msg("%s%s %s %s: %s", world_fail_ctx, pol_action_name(a->type), c->groups[g].name,
                 c->nodes[n].name, no);
}

void world_check_clone_group(const struct world *w, const struct pol_output *out, size_t g)
{
    const struct cfg *c = w->cfg;
    const struct pol_group_out *o = &out->groups[g];
    const struct pol_group *G = &w->groups[g];
    bool prom = c->groups[g].kind == CFG_KIND_PROMOTABLE;
    assert_true((unsigned)o->state < POL_ST_MAX);
    assert_true(o->node >= -1 && o->node < (int)c->n_nodes);
    if (!prom)
        assert_int_equal(o->node, -1);
    if (!w->quorate) {
        assert_int_equal(o->state, POL_ST_NO_QUORUM);
        return;
    }
    if (!G->managed)
        assert_int_equal(o->state, POL_ST_UNMANAGED);
    /* One action per copy and plan (a fence aside: a halted group's stop goes with it). */
    for (size_t n = 0; n < c->n_nodes; n++) {
        unsigned k = 0;
        for (size_t i = 0; i < out->n_actions; i++)
            k += out->actions[i].group == g && out->actions[i].node == n &&
                 out->actions[i].type != POL_FENCE;
        if (k > 1)
            fail_msg("%sgroup %s: %u actions on %s", world_fail_ctx, c->groups[g].name, k,
                     c->nodes[n].name);
    }
    if (o->state == POL_ST_RUNNING) {
        bool runs = false;
        for (size_t n = 0; n < c->n_nodes; n++)
            runs |= w->nodes[n].online && w->obs[g][n] == POL_OBS_RUNNING;
        if (prom) {
            assert_true(o->node >= 0);
            assert_true(w->nodes[o->node].online);
            assert_int_equal(G->obs[o->node], POL_OBS_PRIMARY);
        } else if (!runs) {
            fail_msg("%sgroup %s running without a running copy", world_fail_ctx,
                     c->groups[g].name);
        }
    }
    if (o->drop_prefer)
        assert_true(prom && G->prefer >= 0 && c->groups[g].failback == CFG_FAILBACK_CONTROLLED);
    bool backoff = false;
    for (size_t n = 0; n < c->n_nodes; n++)
        backoff |= G->backing_off && G->backing_off[n] && G->obs[n] == POL_OBS_FAILED;
    bool waits = o->state == POL_ST_RECOVERING && backoff;
    bool explained = o->state == POL_ST_BLOCKED || o->state == POL_ST_FAILED ||
                     o->state == POL_ST_MOVING || o->state == POL_ST_HALTED || o->multi_active ||
                     waits;
    bool quiet = o->state == POL_ST_RUNNING || o->state == POL_ST_STOPPED ||
                 o->state == POL_ST_STARTING || (o->state == POL_ST_RECOVERING && !waits) ||
                 o->state == POL_ST_UNMANAGED;
    if (explained && !o->why[0])
        fail_msg("%sgroup %s is %s without a why", world_fail_ctx, c->groups[g].name,
                 pol_state_name(o->state));
    if (!explained && quiet && o->why[0])
        fail_msg("%sgroup %s is %s with a why: %s", world_fail_ctx, c->groups[g].name,
                 pol_state_name(o->state), o->why);
}

/*
 * Node n has room for a copy of group g whatever else is planned: it runs
 * one, or the node has no capacity, or the group no load. (Elsewhere room
 * may be held for a group that waits, which the world does not see.)
 */
static bool sure_room(const struct world *w, size_t g, size_t n)
{
    const struct cfg *c = w->cfg;
    bool load = false;
    for (size_t k = 0; k < c->n_capacity_names; k++)
        load |= c->groups[g].load[k] != 0;
    return !c->nodes[n].has_capacity || !load || world_active_on(w, g, n);
}

void world_check_clone_settled(const struct world *w, const struct pol_output *out, size_t g,
                               const char *ctx)
{
    const struct cfg *c = w->cfg;
    const struct pol_group *G = &w->groups[g];
    enum pol_state st = out->groups[g].state;
    if (st == POL_ST_BLOCKED || st == POL_ST_UNMANAGED || st == POL_ST_NO_QUORUM ||
        st == POL_ST_RECOVERING)
        return;
    unsigned want = world_copies_wanted(w, g), active = 0, served = 0, cand = 0;
    unsigned primary = 0, promotable = 0;
    for (size_t n = 0; n < c->n_nodes; n++) {
        enum pol_obs o = w->obs[g][n];
        bool member = w->nodes[n].online && w->nodes[n].fence != POL_NODE_FENCED;
        /* A failed stop with fencing disabled waits for an admin's cleanup. */
        active += member && pol_obs_active(o) && (c->fence_enabled || o != POL_OBS_STOP_FAILED);
        if (!eligible(w, g, n))
            continue;
        cand += sure_room(w, g, n);
        served += o == POL_OBS_RUNNING || o == POL_OBS_PRIMARY;
        primary += o == POL_OBS_PRIMARY;
        int64_t s = G->score ? G->score[n] : POL_NO_SCORE;
        promotable += o == POL_OBS_PRIMARY ||
                      (o == POL_OBS_RUNNING && !w->promoted[g][n] && s != POL_NO_SCORE && s >= 0);
    }
    unsigned expect = want < cand ? want : cand;
    if (!G->target_started || G->halted)
        expect = 0;
    if (active > want || served < expect || served > want)
        fail_msg("settled with group %s %s: %u copies active, %u served by eligible nodes, "
                 "expected %u (copies %u, %u eligible nodes with room for sure)\n%s",
                 c->groups[g].name, pol_state_name(st), active, served, expect, want, cand, ctx);
    if (c->groups[g].kind != CFG_KIND_PROMOTABLE)
        return;
    unsigned seats = c->groups[g].primaries;
    unsigned expect_p = seats < promotable ? seats : promotable;
    if (!G->target_started || G->halted)
        expect_p = 0;
    if (primary != expect_p)
        fail_msg("settled with group %s %s: %u primaries, expected %u (primaries %u, %u "
                 "promotable copies)\n%s",
                 c->groups[g].name, pol_state_name(st), primary, expect_p, seats, promotable, ctx);
}
