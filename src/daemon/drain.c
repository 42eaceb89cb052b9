/* Planned stops: see drain.h. */
#include "daemon/drain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/notify.h"
#include "base/util.h"
#include "daemon/ctl.h"

void drain_init(struct drain *dr, const struct cluster *cl, struct gview *gv, struct lrm *lrm,
                int local_node, const struct drain_hooks *hooks, replies_send_fn send, void *ctx)
{
    *dr = (struct drain){
        .cl = cl, .gv = gv, .lrm = lrm, .local_node = local_node, .hooks = hooks, .ctx = ctx};
    replies_init(&dr->stops, send, ctx);
}

void drain_done(struct drain *dr)
{
    free(dr->ran_here);
    dr->ran_here = NULL;
    replies_done(&dr->stops);
}

/*
 * Where groups are, by the plan: "web on n2, db failed". which: the groups to
 * name (NULL: every group that runs somewhere). Caller frees.
 */
static char *groups_summary(struct drain *dr, const bool *which)
{
    const struct cfg *cfg = dr->cl->cfg;
    char *out = xstrdup("");
    struct pol_output plan = {0};
    gview_plan(dr->gv, &plan);
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct pol_group_out *o = &plan.groups[g];
        bool runs = o->state == POL_ST_RUNNING && o->node >= 0;
        if (which ? !which[g] : !runs)
            continue;
        char *one = runs ? xasprintf("%s on %s", cfg->groups[g].name, cfg->nodes[o->node].name)
                         : xasprintf("%s %s", cfg->groups[g].name, pol_state_name(o->state));
        char *joined = xasprintf("%s%s%s", out, *out ? ", " : "", one);
        free(one);
        free(out);
        out = joined;
    }
    pol_output_clear(&plan);
    return out;
}

void drain_reply_local(struct drain *dr)
{
    if (!dr->stop_token)
        return;
    /* drain_begin noted the groups that ran here before any reply is due. */
    _cleanup_free_ char *where = groups_summary(dr, dr->ran_here);
    const char *self = dr->cl->cfg->nodes[dr->local_node].name;
    json_t *msg =
        *where ? json_sprintf("node %s leaves the cluster cleanly; its groups: %s", self, where)
               : json_sprintf("node %s leaves the cluster cleanly; it ran no group", self);
    json_t *reply =
        json_pack("{s:b, s:{s:o, s:s}}", "ok", 1, "result", "message", msg, "node", self);
    dr->stops.send(dr->stops.ctx, dr->stop_token, reply);
    dr->stop_token = 0;
}

/*
 * Whether group g has settled by the plan: nothing is under way for it. A
 * blocked group has settled when it waits for a group it requires or runs
 * together with that does not run and has settled itself (failed, stopped,
 * halted, or blocked so in turn): it would wait as long. depth bounds the
 * walk (the loader refuses cycles).
 */
static bool settled(const struct cfg *cfg, const struct pol_output *plan, size_t g, size_t depth)
{
    enum pol_state st = plan->groups[g].state;
    if (st == POL_ST_STARTING || st == POL_ST_STOPPING || st == POL_ST_MOVING ||
        st == POL_ST_RECOVERING)
        return false;
    if (st != POL_ST_BLOCKED)
        return true;
    if (depth >= cfg->n_groups)
        return false;
    const struct cfg_group *cg = &cfg->groups[g];
    for (size_t k = 0; k < cg->n_requires + cg->n_together_with; k++) {
        size_t h = k < cg->n_requires ? cg->requires[k] : cg->together_with[k - cg->n_requires];
        if (h < cfg->n_groups && plan->groups[h].state != POL_ST_RUNNING &&
            settled(cfg, plan, h, depth + 1))
            return true;
    }
    return false;
}

bool drain_settled(const struct cfg *cfg, const struct pol_output *plan, const bool *which)
{
    for (size_t g = 0; g < cfg->n_groups; g++)
        if (which[g] && !settled(cfg, plan, g, 0))
            return false;
    return true;
}

/* Whether nothing runs here any more and every group that ran here has settled elsewhere. */
static bool drained(struct drain *dr)
{
    size_t n_groups = dr->cl->cfg->n_groups;
    for (size_t g = 0; g < n_groups; g++)
        if (lrm_managed_active(dr->lrm, g))
            return false;
    struct pol_output plan = {0};
    gview_plan(dr->gv, &plan);
    bool done = drain_settled(dr->cl->cfg, &plan, dr->ran_here);
    pol_output_clear(&plan);
    return done;
}

void drain_check(struct drain *dr)
{
    if (!dr->draining || !dr->lrm)
        return;
    bool late = time_mono_ms() >= dr->deadline_ms;
    if (!late && dr->cl->quorate && !drained(dr))
        return;
    dr->draining = false;
    if (late)
        log_warn("planned stop: the groups did not move away within %d s; stopping what is left "
                 "here",
                 DRAIN_TIMEOUT_MS / 1000);
    else if (!dr->cl->quorate)
        log_warn("planned stop: no quorum, so nothing can move; stopping the groups here");
    else
        log_info("planned stop: every group that ran here has moved or settled; leaving");
    lrm_stop_all(dr->lrm); /* nothing left to stop in the usual case: leaves at once */
}

void drain_begin(struct drain *dr, bool now, uint64_t token, const char *why)
{
    size_t n_groups = dr->cl->cfg->n_groups;
    dr->stop_token = token;
    free(dr->ran_here);
    dr->ran_here = xcalloc(n_groups ? n_groups : 1, sizeof(bool));
    bool any = false;
    for (size_t g = 0; g < n_groups; g++) {
        dr->ran_here[g] = lrm_managed_active(dr->lrm, g);
        any |= dr->ran_here[g];
    }
    if (now || !any || !dr->cl->quorate) {
        if (!now && any)
            log_warn("%s: no quorum: the groups cannot move; stopping them here", why);
        dr->hooks->shutdown(dr->ctx, why);
        return;
    }
    notify_send("STOPPING=1\nSTATUS=moving this node's groups away before leaving");
    dr->draining = true;
    dr->deadline_ms = time_mono_ms() + DRAIN_TIMEOUT_MS;
    log_info("%s: moving this node's groups to their next nodes, then leaving the cluster "
             "cleanly",
             why);
    dr->hooks->leaving(dr->ctx);
}

void drain_deliver(struct drain *dr, uint32_t from, json_t *body)
{
    char buf[32];
    const char *node = json_string_value(json_object_get(body, "node"));
    json_t *now = json_object_get(body, "now");
    if (!node || (now && !json_is_boolean(now))) {
        log_warn("dropped a malformed node-stop message from %s: 'node' must be a node name and "
                 "'now' true or false",
                 cluster_node_name(dr->cl, from, buf));
        return;
    }
    if (dr->local_node < 0 || strcmp(node, dr->cl->cfg->nodes[dr->local_node].name) != 0 ||
        dr->hooks->stopping(dr->ctx))
        return;
    _cleanup_free_ char *why =
        xasprintf("%s asked this node to stop", cluster_node_name(dr->cl, from, buf));
    drain_begin(dr, json_is_true(now), 0, why);
}

/* The answer to `vigil node stop` of a node that left cleanly: where the groups are now. */
static json_t *left_cleanly(void *ctx, const struct reply_wait *w)
{
    struct drain *dr = ctx;
    _cleanup_free_ char *where = groups_summary(dr, NULL);
    json_t *reply = json_pack("{s:b, s:{s:s}}", "ok", 1, "result", "node", w->what);
    json_object_set_new(json_object_get(reply, "result"), "message",
                        json_sprintf("node %s left the cluster cleanly%s%s", w->what,
                                     *where ? "; groups now: " : "", where));
    return reply;
}

static json_t *left_uncleanly(void *ctx, const struct reply_wait *w)
{
    return ctl_error("node %s left the cluster without a clean shutdown; it will be fenced",
                     w->what);
}

void drain_view(struct drain *dr, const struct engine_view *v)
{
    for (size_t i = 0; i < v->n_left; i++) {
        int n = cluster_node_index(dr->cl, v->left[i]);
        if (n < 0)
            continue;
        replies_answer_all(&dr->stops, (uint64_t)n,
                           v->left_reason[i] == ENGINE_LEAVE_CLEAN ? left_cleanly : left_uncleanly,
                           dr);
    }
}

static json_t *too_late(void *ctx, const struct reply_wait *w)
{
    return ctl_error("node %s did not leave within %d s; see its log", w->what,
                     DRAIN_NODE_STOP_WAIT_MS / 1000);
}

void drain_expire(struct drain *dr, uint64_t now_ms)
{
    replies_expire(&dr->stops, now_ms, too_late, dr);
}

json_t *drain_request(struct drain *dr, json_t *req, uint64_t token, bool *ret_defer)
{
    const char *node = json_string_value(json_object_get(req, "node"));
    bool now = json_is_true(json_object_get(req, "now"));
    int n = cluster_node_index_by_name(dr->cl, node);
    if (n < 0)
        return ctl_error("unknown node '%s'", node);
    if (dr->hooks->stopping(dr->ctx))
        return ctl_error("this node is already stopping");
    if (n == dr->local_node) {
        log_info("an administrator asked this node to stop%s", now ? " now" : "");
        *ret_defer = true;
        drain_begin(dr, now, token, "vigil node stop");
        return NULL;
    }
    if (!dr->cl->nodes[n].online)
        return ctl_error("node %s is not a member of the cluster: nothing to stop", node);
    json_t *body = json_pack("{s:s, s:b}", "node", node, "now", now);
    int r = dr->hooks->send(dr->ctx, PEER_G_NODE_STOP, body);
    json_decref(body);
    if (r < 0)
        return ctl_error("could not send the request to the cluster: %s", strerror(-r));
    log_info("an administrator asked node %s to stop%s", node, now ? " now" : "");
    replies_add(&dr->stops, (uint64_t)n, token, dr->cl->cfg->nodes[n].name,
                time_mono_ms() + DRAIN_NODE_STOP_WAIT_MS);
    *ret_defer = true;
    return NULL;
}
