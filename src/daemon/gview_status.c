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
        /* Where it is: the node it is active on (or will run on). */
        int at = -1;
        for (size_t n = 0; n < cfg->n_nodes; n++)
            if (gv->cl->nodes[n].online && pol_obs_active(gview_at(gv, g, n)->obs))
                at = (int)n;
        if (at < 0)
            at = o->node;
        json_t *res = json_array();
        uint32_t total = 0;
        for (size_t r = 0; r < cg->n_resources; r++) {
            enum res_state rs =
                at >= 0 ? (enum res_state)gview_at(gv, g, (size_t)at)->rs[r] : RES_ST_STOPPED;
            total += D->res_failures[r];
            json_t *jr = json_pack("{s:s, s:o, s:s, s:i}", "name", cg->resources[r].name, "type",
                                   res_type_json(&cg->resources[r]), "state", res_state_name(rs),
                                   "failures", (int)D->res_failures[r]);
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
