/* The groups of vigil status. */
#include "daemon/gview_priv.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static json_t *res_type_json(const struct cfg_resource *r)
{
    if (r->type == CFG_RES_OCF)
        return json_sprintf("ocf:%s:%s", r->provider, r->agent);
    if (r->type == CFG_RES_LSB)
        return json_sprintf("lsb:%s", r->agent);
    return json_string(cfg_res_type_name(r->type));
}

/* The copy on x holds promoted resources, or may: promoted, or being promoted or demoted. */
static bool copy_promoted(const struct gnode *x)
{
    return x->promoted || x->obs == POL_OBS_PROMOTING || x->obs == POL_OBS_PRIMARY ||
           x->obs == POL_OBS_DEMOTING;
}

/* A copy's role in a promotable group: "primary", "replica", or NULL (no copy runs there). */
static const char *copy_role(const struct cfg_group *cg, const struct gnode *x)
{
    if (cg->kind != CFG_KIND_PROMOTABLE)
        return NULL;
    if (copy_promoted(x))
        return "primary";
    switch (x->obs) {
    case POL_OBS_STARTING:
    case POL_OBS_RUNNING:
    case POL_OBS_PARTIAL:
    case POL_OBS_STOPPING:
        return "replica";
    default:
        return NULL;
    }
}

/*
 * How much a resource state wants an operator's eye, for the one state a
 * clone's resource shows: the worst of its copies.
 */
static int res_state_rank(enum res_state s)
{
    static const int rank[RES_ST_MAX] = {
        [RES_ST_STOPPED] = 0,     [RES_ST_UNKNOWN] = 1,  [RES_ST_RUNNING] = 2,
        [RES_ST_STARTING] = 3,    [RES_ST_STOPPING] = 4, [RES_ST_FAILED] = 5,
        [RES_ST_STOP_FAILED] = 6,
    };
    return (unsigned)s < RES_ST_MAX ? rank[s] : 0;
}

/* Whether node n is in the (configured) domain of cg. */
static bool in_domain(const struct cfg_group *cg, size_t n)
{
    for (size_t i = 0; i < cg->n_domain; i++)
        if (cg->domain[i] == n)
            return true;
    return false;
}

/* The plan's action for group g on node n ("start", "promote", ...), or NULL. */
static const char *planned_action(const struct pol_output *out, size_t g, size_t n)
{
    for (size_t i = 0; i < out->n_actions; i++)
        if (out->actions[i].group == g && out->actions[i].node == n &&
            out->actions[i].type != POL_FENCE)
            return pol_action_name(out->actions[i].type);
    return NULL;
}

/* One entry of a clone's "copies": {node, role, state, score, resources[, action]}. */
static json_t *copy_json(const struct gview *gv, const struct pol_output *out, size_t g, size_t n)
{
    const struct cfg_group *cg = &gv->cfg->groups[g];
    const struct gnode *x = gview_at(gv, g, n);
    const char *role = copy_role(cg, x);
    int64_t score = gview_score(gv, g, n);
    json_t *res = json_object();
    for (size_t r = 0; r < cg->n_resources; r++)
        json_object_set_new(res, cg->resources[r].name,
                            json_string(res_state_name((enum res_state)x->rs[r])));
    json_t *jc = json_pack(
        "{s:s, s:o, s:s, s:o, s:o}", "node", nname(gv, n), "role",
        role ? json_string(role) : json_null(), "state", pol_obs_name(x->obs), "score",
        score == POL_NO_SCORE ? json_null() : json_integer((json_int_t)score), "resources", res);
    const char *act = planned_action(out, g, n);
    if (act)
        json_object_set_new(jc, "action", json_string(act));
    return jc;
}

/*
 * Where group g shows as running: a single group, the node it is active on
 * (or will run on); a promotable group, its primary (a member whose copy is
 * promoted, else the one the plan promotes); a clone, nowhere (-1: its
 * copies say where).
 */
static int group_node(const struct gview *gv, size_t g, const struct pol_group_out *o)
{
    const struct cfg_group *cg = &gv->cfg->groups[g];
    if (cg->kind == CFG_KIND_CLONE)
        return -1;
    int at = -1;
    for (size_t n = 0; n < n_nodes(gv); n++) {
        if (!gv->cl->nodes[n].online)
            continue;
        const struct gnode *x = gview_at(gv, g, n);
        if (cg->kind == CFG_KIND_PROMOTABLE ? copy_promoted(x) && at < 0 : pol_obs_active(x->obs))
            at = (int)n;
    }
    return at >= 0 ? at : o->node;
}

/*
 * Resource r's state for the group's list: a single group's at its node; a
 * clone's or promotable group's, the worst over the copies on members (a
 * failure anywhere shows; "running" when it runs on some copy).
 */
static enum res_state group_res_state(const struct gview *gv, size_t g, size_t r, int at)
{
    if (gv->cfg->groups[g].kind == CFG_KIND_SINGLE)
        return at >= 0 ? (enum res_state)gview_at(gv, g, (size_t)at)->rs[r] : RES_ST_STOPPED;
    enum res_state worst = RES_ST_STOPPED;
    for (size_t n = 0; n < n_nodes(gv); n++) {
        enum res_state s = (enum res_state)gview_at(gv, g, n)->rs[r];
        if (gv->cl->nodes[n].online && res_state_rank(s) > res_state_rank(worst))
            worst = s;
    }
    return worst;
}

/* The members of a clone's or promotable group's status entry jg. */
static void add_copies(const struct gview *gv, const struct pol_output *out, size_t g, json_t *jg)
{
    const struct cfg_group *cg = &gv->cfg->groups[g];
    json_t *copies = json_array();
    /* The domain's nodes in its order, then any other node that runs something of it. */
    for (size_t i = 0; i < cg->n_domain; i++)
        json_array_append_new(copies, copy_json(gv, out, g, cg->domain[i]));
    for (size_t n = 0; n < n_nodes(gv); n++)
        if (!in_domain(cg, n) && pol_obs_active(gview_at(gv, g, n)->obs))
            json_array_append_new(copies, copy_json(gv, out, g, n));
    json_object_set_new(jg, "copies", copies);
    json_object_set_new(jg, "copies_wanted", json_integer(cg->copies));
    json_object_set_new(jg, "primaries_wanted", json_integer(cg->primaries));
    if (cg->kind == CFG_KIND_PROMOTABLE)
        json_object_set_new(jg, "primary", json_incref(json_object_get(jg, "node")));
}

json_t *gview_status_json(struct gview *gv)
{
    const struct cfg *cfg = gv->cfg;
    struct pol_output out = {0};
    struct gview_plan_in p;
    gview_plan_in_build(gv, &p);
    policy_plan(&p.in, &out);
    json_t *arr = json_array();
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct cfg_group *cg = &cfg->groups[g];
        const struct db_group *D = &gv->db->groups[g];
        const struct pol_group_out *o = &out.groups[g];
        int at = group_node(gv, g, o);
        json_t *res = json_array();
        uint32_t total = 0;
        for (size_t r = 0; r < cg->n_resources; r++) {
            enum res_state rs = group_res_state(gv, g, r, at);
            total += D->res_failures[r];
            json_t *jr = json_pack("{s:s, s:o, s:s, s:i}", "name", cg->resources[r].name, "type",
                                   res_type_json(&cg->resources[r]), "state", res_state_name(rs),
                                   "failures", (int)D->res_failures[r]);
            if (cg->kind == CFG_KIND_PROMOTABLE)
                json_object_set_new(jr, "role",
                                    json_string(cfg_res_role_name(cg->resources[r].role)));
            for (size_t i = D->n_history; i-- > 0;) {
                const struct db_failure *f = &D->history[i];
                if (f->resource != r)
                    continue;
                char ts[32];
                json_object_set_new(jr, "last_failure",
                                    json_pack("{s:s, s:s, s:I, s:s, s:s}", "node",
                                              nname(gv, f->node), "reason", f->reason, "ts_ms",
                                              (json_int_t)f->ts_ms, "time",
                                              time_format_wall_ms(f->ts_ms, ts), "kind",
                                              db_fail_kind_name(f->kind)));
                break;
            }
            json_array_append_new(res, jr);
        }
        json_t *nodes = json_object();
        for (size_t n = 0; n < cfg->n_nodes; n++)
            json_object_set_new(nodes, nname(gv, n),
                                json_string(pol_obs_name(gview_at(gv, g, n)->obs)));
        json_t *banned = json_array();
        for (size_t n = 0; n < cfg->n_nodes; n++)
            if (D->banned[n])
                json_array_append_new(banned, json_string(nname(gv, n)));
        json_t *jg = json_pack(
            "{s:s, s:s, s:o, s:b, s:b, s:o, s:o, s:i, s:o, s:o}", "name", cg->name, "state",
            pol_state_name(o->state), "node",
            at >= 0 ? json_string(nname(gv, (size_t)at)) : json_null(), "managed", !D->unmanaged,
            "target_started", !D->stopped, "prefer",
            D->prefer >= 0 ? json_string(nname(gv, (size_t)D->prefer)) : json_null(), "banned",
            banned, "failures", (int)total, "resources", res, "on_nodes", nodes);
        json_object_set_new(jg, "kind", json_string(cfg_group_kind_name(cg->kind)));
        if (cg->kind != CFG_KIND_SINGLE)
            add_copies(gv, &out, g, jg);
        if (o->why[0])
            json_object_set_new(jg, "why", json_string(o->why));
        /* Waiting for its back-off, or failed everywhere until a ban expires. */
        uint64_t in_ms;
        size_t at_node;
        if (gview_next_try(gv, &p, g, o, &in_ms, &at_node)) {
            json_object_set_new(jg, "next_try_in_ms", json_integer((json_int_t)in_ms));
            json_object_set_new(jg, "next_try_node", json_string(nname(gv, at_node)));
        }
        if (D->n_history) {
            const struct db_failure *f = &D->history[D->n_history - 1];
            char ts[32];
            json_object_set_new(
                jg, "last_failure",
                json_pack("{s:s, s:s, s:s, s:I, s:s}", "resource", cg->resources[f->resource].name,
                          "node", nname(gv, f->node), "reason", f->reason, "ts_ms",
                          (json_int_t)f->ts_ms, "time", time_format_wall_ms(f->ts_ms, ts)));
        }
        json_array_append_new(arr, jg);
    }
    gview_plan_in_free(&p);
    pol_output_clear(&out);
    return arr;
}
