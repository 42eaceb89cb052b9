/* Planning from the group view, and the coordinator's actions, fencing and run-time domains. */
#include "daemon/gview_priv.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

void gview_plan_in_build(const struct gview *gv, struct gview_plan_in *p)
{
    const struct cfg *cfg = gv->cfg;
    size_t nn = cfg->n_nodes ? cfg->n_nodes : 1, ng = cfg->n_groups ? cfg->n_groups : 1;
    p->nodes = xcalloc(nn, sizeof(*p->nodes));
    p->groups = xcalloc(ng, sizeof(*p->groups));
    p->obs = xcalloc(ng * nn, sizeof(*p->obs));
    p->backing_off = xcalloc(ng * nn, sizeof(*p->backing_off));
    p->promoted = xcalloc(ng * nn, sizeof(*p->promoted));
    p->score = xcalloc(ng * nn, sizeof(*p->score));
    uint64_t now = gv->mono_ms();
    for (size_t n = 0; n < cfg->n_nodes; n++) {
        const struct node_view *v = &gv->cl->nodes[n];
        p->nodes[n].online = v->online;
        p->nodes[n].fence = v->fence == FENCE_STATE_UNCLEAN  ? POL_NODE_UNCLEAN
                            : v->fence == FENCE_STATE_FENCED ? POL_NODE_FENCED
                                                             : POL_NODE_CLEAN;
        p->nodes[n].standby = gv->db->standby[n];
        p->nodes[n].leaving = gv->leaving[n];
        p->nodes[n].unseen = v->unseen && !v->online;
    }
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct db_group *D = &gv->db->groups[g];
        struct pol_group *G = &p->groups[g];
        G->target_started = !D->stopped;
        G->managed = !D->unmanaged;
        G->prefer = D->prefer;
        G->halted = D->halted;
        G->banned = D->banned;
        G->fence_wanted = D->fence_wanted;
        G->obs = p->obs + g * nn;
        G->backing_off = p->backing_off + g * nn;
        for (size_t n = 0; n < cfg->n_nodes; n++) {
            p->obs[g * nn + n] = gview_at(gv, g, n)->obs;
            p->backing_off[g * nn + n] = gview_backing_off(gv, g, n, now);
        }
        G->last_owner = gv->last_owner[g];
        if (cfg->groups[g].kind == CFG_KIND_PROMOTABLE) {
            /* Promoted there (a node that left: its last report, until it is fenced). */
            G->promoted = p->promoted + g * nn;
            G->score = p->score + g * nn;
            for (size_t n = 0; n < cfg->n_nodes; n++) {
                p->promoted[g * nn + n] = gview_at(gv, g, n)->promoted;
                p->score[g * nn + n] = gview_score(gv, g, n);
            }
        }
        if (gv->have_rt_domain[g]) {
            G->domain = gv->rt_domain[g];
            G->n_domain = gv->n_rt_domain[g];
        }
    }
    p->in = (struct pol_input){
        .cfg = cfg, .quorate = gv->cl->quorate, .nodes = p->nodes, .groups = p->groups};
}

void gview_plan_in_free(struct gview_plan_in *p)
{
    free(p->nodes);
    free(p->groups);
    free(p->obs);
    free(p->backing_off);
    free(p->promoted);
    free(p->score);
}

void gview_plan(struct gview *gv, struct pol_output *out)
{
    struct gview_plan_in p;
    gview_plan_in_build(gv, &p);
    policy_plan(&p.in, out);
    gview_plan_in_free(&p);
    /* Events for what only the plan sees: a group no node can run, several active copies. */
    for (size_t g = 0; g < gv->cfg->n_groups; g++) {
        const struct pol_group_out *o = &out->groups[g];
        const char *gname = gv->cfg->groups[g].name;
        if (o->multi_active && !gv->multi[g] && gview_kind(gv, g) == CFG_KIND_PROMOTABLE) {
            /* A clone runs on several nodes by design: only more primaries than allowed. */
            log_error("group %s has more primaries than it allows: %s", gname, o->why);
            eventlog_add_group(gv->events, EV_GROUP_MULTI_ACTIVE, NULL, gname, NULL, -1,
                               "group %s found %s; demoting the extra primaries", gname, o->why);
        } else if (o->multi_active && !gv->multi[g]) {
            log_error("group %s is active on more than one node: %s", gname, o->why);
            eventlog_add_group(gv->events, EV_GROUP_MULTI_ACTIVE, NULL, gname, NULL, -1,
                               "group %s found %s; stopping all but one", gname, o->why);
        }
        gv->multi[g] = o->multi_active;
        if ((o->state == POL_ST_FAILED || o->state == POL_ST_HALTED) && gv->shown[g] != o->state &&
            gv->cl->quorate)
            eventlog_add_group(gv->events, EV_GROUP_FAILED, NULL, gname, NULL, -1,
                               "group %s %s: %s", gname,
                               o->state == POL_ST_HALTED ? "halted" : "cannot run", o->why);
        gv->shown[g] = o->state;
    }
}

void gview_send_action(struct gview *gv, const struct pol_action *a)
{
    int r = gview_send(gv, PEER_G_ACTION, gview_action_body(gv, a));
    if (r < 0) {
        gv->inflight[a->group]--;
        log_warn("could not send %s of group %s: %s", pol_action_name(a->type),
                 gv->cfg->groups[a->group].name, strerror(-r));
    }
}

/* The action that leaves group g in state obs on a node (starting: start, ...), or -1. */
static int action_of(enum pol_obs obs)
{
    switch (obs) {
    case POL_OBS_STARTING:
        return POL_START;
    case POL_OBS_STOPPING:
        return POL_STOP;
    case POL_OBS_PROMOTING:
        return POL_PROMOTE;
    case POL_OBS_DEMOTING:
        return POL_DEMOTE;
    default:
        return -1;
    }
}

/*
 * The coordinator's start, stop, promote or demote of group g on node n,
 * delivered but not answered in time.
 */
static bool unanswered(const struct gview *gv, size_t g, size_t n, uint64_t now)
{
    const struct gnode *x = gview_at(gv, g, n);
    return action_of(x->obs) >= 0 && x->have_last && !x->answered && gv->cl->nodes[n].online &&
           now >= x->action_mono + gv->answer_ms;
}

static void ask_again(struct gview *gv, size_t g, size_t n)
{
    struct gnode *x = gview_at(gv, g, n);
    struct pol_action a = {.type = (enum pol_action_type)action_of(x->obs), .group = g, .node = n};
    const char *op = pol_action_name(a.type);
    snprintf(a.reason, sizeof(a.reason), "%s group %s on %s again: it did not answer in %u s", op,
             gv->cfg->groups[g].name, nname(gv, n), (unsigned)(gv->answer_ms / 1000));
    log_warn("%s has not answered the %s of group %s in %u s: sending it again", nname(gv, n), op,
             gv->cfg->groups[g].name, (unsigned)(gv->answer_ms / 1000));
    x->action_mono = time_mono_ms(); /* not again before this one is delivered */
    gview_send_action(gv, &a);
}

void gview_check_answers(struct gview *gv, uint64_t now_ms)
{
    const struct cluster *cl = gv->cl;
    if (!cl->quorate || !cl->local_id || cl->coordinator != cl->local_id)
        return;
    for (size_t g = 0; g < gv->cfg->n_groups; g++)
        for (size_t n = 0; n < n_nodes(gv); n++)
            if (unanswered(gv, g, n, now_ms)) {
                gview_replan(gv);
                return;
            }
    if (gview_notify_overdue(gv))
        gview_replan(gv);
}

void gview_coordinate(struct gview *gv, bool may_act)
{
    struct pol_output out = {0};
    gview_plan(gv, &out);
    const struct cluster *cl = gv->cl;
    bool coord = may_act && cl->quorate && cl->local_id && cl->coordinator == cl->local_id &&
                 gview_synced(gv) && !gv->blocked;
    /*
     * A group's actions go out together, as one plan made them (a clone
     * starts its copies at once), and none while an earlier one is in
     * flight: a plan made before it comes back does not see it (a promote
     * elsewhere meanwhile would make two primaries).
     */
    size_t ng = gv->cfg->n_groups;
    bool *busy = xcalloc(ng ? ng : 1, sizeof(bool));
    for (size_t g = 0; g < ng; g++)
        busy[g] = gv->inflight[g] || gv->hold[g];
    for (size_t i = 0; coord && i < out.n_actions; i++) {
        const struct pol_action *a = &out.actions[i];
        if (a->type == POL_FENCE) {
            if (gv->fence_asked[a->node] || cl->nodes[a->node].fencing)
                continue;
            gv->fence_asked[a->node] = true;
            log_warn("fencing %s: %s", nname(gv, a->node), a->reason);
            if (gv->hooks && gv->hooks->fence)
                gv->hooks->fence(gv->ctx, a->node, a->reason);
            continue;
        }
        if (busy[a->group] || gview_notify_wanted(gv, a->group))
            continue;
        gview_send_action(gv, a);
    }
    /* Groups whose copies are notified: their actions go out between the notifications. */
    for (size_t g = 0; coord && g < ng; g++)
        if (gview_notify_wanted(gv, g))
            gview_notify_step(gv, g, &out, busy[g]);
    free(busy);
    uint64_t now = time_mono_ms();
    for (size_t g = 0; coord && g < gv->cfg->n_groups; g++)
        for (size_t n = 0; n < n_nodes(gv); n++)
            if (unanswered(gv, g, n, now) && !gv->inflight[g])
                ask_again(gv, g, n);
    if (coord) {
        gview_retry_expire(gv);
        gview_attr_coordinate(gv);
    }
    for (size_t g = 0; coord && g < gv->cfg->n_groups; g++) {
        if (gv->db->groups[g].prefer < 0)
            gv->drop_sent[g] = false;
        if (!out.groups[g].drop_prefer || gv->drop_sent[g])
            continue;
        gv->drop_sent[g] = true;
        struct db_intent in = {
            .op = DB_INTENT_DROP_PREFER, .group = (int)g, .node = -1, .resource = -1};
        _cleanup_free_ char *err = NULL;
        if (!gview_send_intent(gv, &in, &err))
            log_warn("%s", err);
    }
    pol_output_clear(&out);
}

void gview_set_domain(struct gview *gv, size_t g, const size_t *d, size_t n)
{
    free(gv->rt_domain[g]);
    gv->rt_domain[g] = NULL;
    gv->n_rt_domain[g] = 0;
    gv->have_rt_domain[g] = d != NULL;
    if (d) {
        gv->rt_domain[g] = xcalloc(n ? n : 1, sizeof(size_t));
        memcpy(gv->rt_domain[g], d, n * sizeof(size_t));
        gv->n_rt_domain[g] = n;
    }
    gview_replan(gv);
}
