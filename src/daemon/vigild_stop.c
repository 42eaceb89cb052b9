/*
 * vigild: planned stops (vigil node stop, SIGTERM). The node says it is
 * leaving, the coordinator moves its groups, and the node leaves cleanly once
 * each group runs elsewhere or has nowhere to run, or stops them in place
 * after DRAIN_TIMEOUT_MS.
 */
#include "daemon/vigild.h"

/*
 * Where groups are, by the plan: "web on n2, db failed". which: the groups to
 * name (NULL: every group that runs somewhere). Caller frees.
 */
static char *groups_summary(struct vigild *d, const bool *which)
{
    char *out = xstrdup("");
    struct pol_output plan = {0};
    gview_plan(&d->gv, &plan);
    for (size_t g = 0; g < d->cfg->n_groups; g++) {
        const struct pol_group_out *o = &plan.groups[g];
        bool runs = o->state == POL_ST_RUNNING && o->node >= 0;
        if (which ? !which[g] : !runs)
            continue;
        char *one = runs
                        ? xasprintf("%s on %s", d->cfg->groups[g].name, d->cfg->nodes[o->node].name)
                        : xasprintf("%s %s", d->cfg->groups[g].name, pol_state_name(o->state));
        char *joined = xasprintf("%s%s%s", out, *out ? ", " : "", one);
        free(one);
        free(out);
        out = joined;
    }
    pol_output_clear(&plan);
    return out;
}

void node_stop_reply_local(struct vigild *d)
{
    if (!d->stop_token)
        return;
    /* begin_node_stop noted the groups that ran here before any reply is due. */
    _cleanup_free_ char *where = groups_summary(d, d->drained_groups);
    const char *self = d->cfg->nodes[d->local_node].name;
    json_t *msg =
        *where ? json_sprintf("node %s leaves the cluster cleanly; its groups: %s", self, where)
               : json_sprintf("node %s leaves the cluster cleanly; it ran no group", self);
    json_t *reply =
        json_pack("{s:b, s:{s:o, s:s}}", "ok", 1, "result", "message", msg, "node", self);
    control_reply(d->control, d->stop_token, reply);
    d->stop_token = 0;
}

/* Whether every group that ran here has settled elsewhere (running, or nowhere to run). */
static bool drained(struct vigild *d)
{
    for (size_t g = 0; g < d->cfg->n_groups; g++)
        if (managed_active_here(d, g))
            return false;
    struct pol_output plan = {0};
    gview_plan(&d->gv, &plan);
    bool done = true;
    for (size_t g = 0; done && g < d->cfg->n_groups; g++) {
        if (!d->drained_groups[g])
            continue;
        enum pol_state st = plan.groups[g].state;
        done = st != POL_ST_STARTING && st != POL_ST_STOPPING && st != POL_ST_MOVING &&
               st != POL_ST_RECOVERING && st != POL_ST_BLOCKED;
    }
    pol_output_clear(&plan);
    return done;
}

/* While draining: once the groups settled elsewhere (or time is up), leave. */
void drain_check(struct vigild *d)
{
    if (!d->draining || !d->lrm)
        return;
    bool late = time_mono_ms() >= d->drain_deadline_ms;
    if (!late && d->cl.quorate && !drained(d))
        return;
    d->draining = false;
    if (late)
        log_warn("planned stop: the groups did not move away within %d s; stopping what is left "
                 "here",
                 DRAIN_TIMEOUT_MS / 1000);
    else if (!d->cl.quorate)
        log_warn("planned stop: no quorum, so nothing can move; stopping the groups here");
    else
        log_info("planned stop: every group that ran here has moved or settled; leaving");
    lrm_stop_all(d->lrm); /* nothing left to stop in the usual case: leaves at once */
}

/*
 * Stops this node: with now, its groups are stopped here and it leaves;
 * otherwise it first asks to run nothing (the coordinator moves its groups to
 * their next nodes) and leaves once they run there. token: a local `vigil
 * node stop` waiting for the outcome, or 0.
 */
void begin_node_stop(struct vigild *d, bool now, uint64_t token, const char *why)
{
    d->stop_token = token;
    free(d->drained_groups);
    d->drained_groups = xcalloc(d->cfg->n_groups ? d->cfg->n_groups : 1, sizeof(bool));
    bool any = false;
    for (size_t g = 0; g < d->cfg->n_groups; g++) {
        d->drained_groups[g] = managed_active_here(d, g);
        any |= d->drained_groups[g];
    }
    if (now || !any || !d->cl.quorate) {
        if (!now && any)
            log_warn("%s: no quorum: the groups cannot move; stopping them here", why);
        begin_shutdown(d, why);
        return;
    }
    notify_send("STOPPING=1\nSTATUS=moving this node's groups away before leaving");
    d->stopping = true;
    d->stopping_groups = true; /* reported as leaving: the coordinator runs nothing new here */
    d->draining = true;
    d->drain_deadline_ms = time_mono_ms() + DRAIN_TIMEOUT_MS;
    log_info("%s: moving this node's groups to their next nodes, then leaving the cluster "
             "cleanly",
             why);
    gv_rereport(d, SIZE_MAX);
    gv_replan(d);
}

void deliver_node_stop(struct vigild *d, uint32_t from, json_t *body)
{
    char buf[32];
    const char *node = json_string_value(json_object_get(body, "node"));
    json_t *now = json_object_get(body, "now");
    if (!node || (now && !json_is_boolean(now))) {
        log_warn("dropped a malformed node-stop message from %s: 'node' must be a node name and "
                 "'now' true or false",
                 cluster_node_name(&d->cl, from, buf));
        return;
    }
    if (d->local_node < 0 || strcmp(node, d->cfg->nodes[d->local_node].name) != 0 || d->stopping)
        return;
    _cleanup_free_ char *why =
        xasprintf("%s asked this node to stop", cluster_node_name(&d->cl, from, buf));
    begin_node_stop(d, json_is_true(now), 0, why);
}

/* A node left: answer `vigil node stop` of it. */
void node_stop_left(struct vigild *d, const struct engine_view *v)
{
    for (size_t i = 0; i < v->n_left; i++) {
        int n = cluster_node_index(&d->cl, v->left[i]);
        for (size_t k = 0; n >= 0 && k < d->n_waiters;) {
            struct waiter *w = &d->waiters[k];
            if (!w->node_stop || w->intent != (uint64_t)n) {
                k++;
                continue;
            }
            const char *name = d->cfg->nodes[n].name;
            json_t *reply;
            if (v->left_reason[i] == ENGINE_LEAVE_CLEAN) {
                _cleanup_free_ char *where = groups_summary(d, NULL);
                reply = json_pack("{s:b, s:{s:s}}", "ok", 1, "result", "node", name);
                json_object_set_new(json_object_get(reply, "result"), "message",
                                    json_sprintf("node %s left the cluster cleanly%s%s", name,
                                                 *where ? "; groups now: " : "", where));
            } else {
                reply = ctl_error("node %s left the cluster without a clean shutdown; it will be "
                                  "fenced",
                                  name);
            }
            control_reply(d->control, w->token, reply);
            free(w->what);
            d->waiters[k] = d->waiters[--d->n_waiters];
        }
    }
}

void node_stop_expire(struct vigild *d, uint64_t now_ms)
{
    for (size_t k = 0; k < d->n_waiters;) {
        struct waiter *w = &d->waiters[k];
        if (!w->node_stop || now_ms < w->deadline_ms) {
            k++;
            continue;
        }
        control_reply(d->control, w->token,
                      ctl_error("node %s did not leave within %d s; see its log",
                                d->cfg->nodes[w->intent].name, NODE_STOP_WAIT_MS / 1000));
        free(w->what);
        d->waiters[k] = d->waiters[--d->n_waiters];
    }
}

json_t *control_node_stop(struct vigild *d, json_t *req, uint64_t token, bool *ret_defer)
{
    const char *node = json_string_value(json_object_get(req, "node"));
    bool now = json_is_true(json_object_get(req, "now"));
    int n = cluster_node_index_by_name(&d->cl, node);
    if (n < 0)
        return ctl_error("unknown node '%s'", node);
    if (d->stopping)
        return ctl_error("this node is already stopping");
    if (n == d->local_node) {
        log_info("an administrator asked this node to stop%s", now ? " now" : "");
        *ret_defer = true;
        begin_node_stop(d, now, token, "vigil node stop");
        return NULL;
    }
    if (!d->cl.nodes[n].online)
        return ctl_error("node %s is not a member of the cluster: nothing to stop", node);
    json_t *body = json_pack("{s:s, s:b}", "node", node, "now", now);
    int r = gv_send(d, PEER_G_NODE_STOP, body);
    json_decref(body);
    if (r < 0)
        return ctl_error("could not send the request to the cluster: %s", strerror(-r));
    log_info("an administrator asked node %s to stop%s", node, now ? " now" : "");
    d->waiters = xrealloc(d->waiters, (d->n_waiters + 1) * sizeof(*d->waiters));
    d->waiters[d->n_waiters++] = (struct waiter){.intent = (uint64_t)n,
                                                 .token = token,
                                                 .what = xstrdup(node),
                                                 .node_stop = true,
                                                 .deadline_ms = time_mono_ms() + NODE_STOP_WAIT_MS};
    *ret_defer = true;
    return NULL;
}
