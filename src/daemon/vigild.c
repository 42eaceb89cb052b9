/*
 * vigild: the per-node daemon. One libuv loop drives everything: the
 * supervised Corosync child, the engine adapter's descriptors, the control
 * socket and the timers. Nothing in the loop blocks.
 */
#include "daemon/vigild.h"

static void shutdown_now(struct vigild *d, int code);
static void run_hooks(struct vigild *d, const struct event *ev);
static void start_corosync(struct vigild *d);
static void schedule_connect(struct vigild *d);

/* ---- events -------------------------------------------------------------- */

static void on_event(void *ctx, const struct event *ev)
{
    struct vigild *d = ctx;
    enum log_level lvl = LOG_LVL_INFO;
    if (ev->type == EV_NODE_LEFT || ev->type == EV_QUORUM_LOST || ev->type == EV_LINK_DOWN ||
        ev->type == EV_CONFIG_MISMATCH)
        lvl = LOG_LVL_WARN;
    if (ev->type == EV_RESOURCE_FAILED || ev->type == EV_GROUP_FAILED)
        lvl = LOG_LVL_WARN;
    if (ev->type == EV_ENGINE_LOST || ev->type == EV_GROUP_STOP_FAILED ||
        ev->type == EV_GROUP_MULTI_ACTIVE)
        lvl = LOG_LVL_ERROR;
    if (ev->duration_ms >= 0)
        log_msg(lvl, "event %s: %s (%lld ms)", event_type_name(ev->type), ev->message,
                (long long)ev->duration_ms);
    else
        log_msg(lvl, "event %s: %s", event_type_name(ev->type), ev->message);
    if (d->history)
        history_append(d->history, ev);
    if (d->hooks)
        run_hooks(d, ev);
    control_publish(d->control, ev);
}

/*
 * Hooks run on one node per partition, the member with the lowest node id
 * (every member sees the same cluster events), unless a hook asks for every
 * node. Before this node knows its partition it counts as that node.
 */
static void run_hooks(struct vigild *d, const struct event *ev)
{
    bool one_here = cluster_lowest_member_is_local(&d->cl);
    bool lost = false;
    if (ev->type == EV_NODE_LEFT && ev->node) {
        int n = cluster_node_index_by_name(&d->cl, ev->node);
        lost = n >= 0 && d->cl.nodes[n].fence != FENCE_STATE_CLEAN;
    }
    hooks_event(d->hooks, ev, lost, one_here);
}

/* ---- engine callbacks ---------------------------------------------------- */

static void send_hello(struct vigild *d)
{
    char buf[32];
    size_t len;
    _cleanup_free_ char *msg =
        peer_encode_hello(d->cl.local_id, cluster_node_name(&d->cl, d->cl.local_id, buf),
                          VIGIL_VERSION, d->cl.cfg_hash, &len);
    int r = engine_broadcast(d->engine, msg, len);
    if (r < 0 && r != -ENOTCONN)
        log_warn("could not send hello to the cluster: %s", strerror(-r));
}

/* ---- groups ---------------------------------------------------------------- */

static void send_report(struct vigild *d, size_t g)
{
    const struct lrm_group *G = d->lrm->groups[g];
    if (G->obs == POL_OBS_UNKNOWN || !d->cl.local_id)
        return;
    json_t *body = gview_report_body(&d->gv, g, G->obs, G->rs, d->stopping_groups);
    size_t len;
    _cleanup_free_ char *msg = peer_encode_group(PEER_G_REPORT, body, &len);
    json_decref(body);
    int r = engine_broadcast(d->engine, msg, len);
    if (r < 0 && r != -ENOTCONN)
        log_warn("could not report group %s: %s", d->cfg->groups[g].name, strerror(-r));
}

int gv_send(void *ctx, enum peer_group_kind kind, json_t *body)
{
    struct vigild *d = ctx;
    size_t len;
    _cleanup_free_ char *msg = peer_encode_group(kind, body, &len);
    return engine_broadcast(d->engine, msg, len);
}

static void gv_local_action(void *ctx, size_t g, bool start)
{
    struct vigild *d = ctx;
    if (start && (d->stopping_groups || d->stopping)) {
        log_info("not starting group %s: this node is shutting down", d->cfg->groups[g].name);
        send_report(d, g);
        return;
    }
    if (start && prep_affects(d, g)) {
        log_info("not starting group %s: a new configuration changes it", d->cfg->groups[g].name);
        send_report(d, g);
        return;
    }
    if (start)
        lrm_start(d->lrm, g);
    else
        lrm_stop(d->lrm, g);
}

void gv_rereport(void *ctx, size_t g)
{
    struct vigild *d = ctx;
    for (size_t i = 0; i < d->cfg->n_groups; i++)
        if (g == SIZE_MAX || g == i)
            send_report(d, i);
}

static void on_plan_timer(uv_timer_t *t);

void gv_replan(void *ctx)
{
    struct vigild *d = ctx;
    if (!d->stopping || d->stopping_groups)
        uv_timer_start(&d->plan_timer, on_plan_timer, 0, 0);
}

static void gv_intent_done(void *ctx, uint64_t id, bool ok, const char *msg)
{
    struct vigild *d = ctx;
    for (size_t i = 0; i < d->n_waiters; i++) {
        struct waiter *w = &d->waiters[i];
        if (w->intent != id)
            continue;
        json_t *reply;
        if (ok) {
            reply = json_pack("{s:b, s:{s:s, s:I}}", "ok", 1, "result", "message", w->what,
                              "version", (json_int_t)d->gv.db->version);
            log_info("%s: applied and saved by every member", w->what);
        } else {
            reply = ctl_error("%s: %s", w->what, msg);
            log_warn("%s: %s", w->what, msg);
        }
        control_reply(d->control, w->token, reply);
        free(w->what);
        d->waiters[i] = d->waiters[--d->n_waiters];
        return;
    }
}

void gv_db_changed(void *ctx)
{
    struct vigild *d = ctx;
    if (!d->lrm)
        return;
    for (size_t g = 0; g < d->cfg->n_groups; g++)
        lrm_set_managed(d->lrm, g, !d->gv.db->groups[g].unmanaged);
}

static void gv_fence(void *ctx, size_t node, const char *reason);

static const struct gview_hooks gview_hooks = {
    .fence = gv_fence,
    .send = gv_send,
    .local_action = gv_local_action,
    .rereport = gv_rereport,
    .replan = gv_replan,
    .intent_done = gv_intent_done,
    .db_changed = gv_db_changed,
};

static void check_quorum_stop(struct vigild *d);

static void lrm_report(void *ctx, size_t g)
{
    struct vigild *d = ctx;
    send_report(d, g);
    cs_check_ready(d);
    drain_check(d);
    /* A probe may find something running while this node has no quorum. */
    check_quorum_stop(d);
}

static void lrm_failure(void *ctx, size_t g, size_t r, enum db_fail_kind kind, const char *reason)
{
    struct vigild *d = ctx;
    json_t *body = gview_failure_body(&d->gv, g, r, kind, reason);
    int e = gv_send(d, PEER_G_FAILURE, body);
    json_decref(body);
    if (e < 0 && e != -ENOTCONN)
        log_warn("could not report the failure of %s: %s", d->cfg->groups[g].resources[r].name,
                 strerror(-e));
}

static void leave_cluster(struct vigild *d);

static void lrm_all_stopped(void *ctx, bool ok)
{
    struct vigild *d = ctx;
    if (!d->stopping_groups)
        return;
    d->stopping_groups = false;
    if (ok) {
        log_info("every group is stopped on this node");
        leave_cluster(d);
        return;
    }
    /* A stop failed: leave without the clean goodbye, so that the others fence this node. */
    log_error("a group could not be stopped on this node; leaving the cluster uncleanly so that "
              "it is fenced before the group runs elsewhere");
    if (d->corosync && proc_running(d->corosync))
        proc_signal(d->corosync, SIGKILL);
    shutdown_now(d, EXIT_FATAL);
}

static const struct lrm_hooks lrm_hooks = {
    .report = lrm_report,
    .failure = lrm_failure,
    .all_stopped = lrm_all_stopped,
};

/* Without quorum (or without the engine), a node stops its groups unless told to freeze. */
static void check_quorum_stop(struct vigild *d)
{
    if (d->cl.quorate || d->cfg->no_quorum != CFG_NO_QUORUM_STOP || !d->lrm)
        return;
    for (size_t g = 0; g < d->cfg->n_groups; g++) {
        const struct lrm_group *G = d->lrm->groups[g];
        if (!G->managed || (!pol_obs_active(G->obs) && G->op != LRM_STARTING))
            continue;
        if (G->op == LRM_STOPPING || G->obs == POL_OBS_STOPPING)
            continue;
        log_warn("no quorum: stopping group %s on this node", d->cfg->groups[g].name);
        lrm_stop(d->lrm, g);
    }
}

/* Every member plans (for events); the coordinator acts on the plan. */
static void on_plan_timer(uv_timer_t *t)
{
    struct vigild *d = t->data;
    if (!d->lrm)
        return;
    if (d->cl.quorate && d->cl.coordinator == d->cl.local_id && !d->stopping)
        placer_update(d->placer);
    d->gv.blocked = cfgsync_blocked(&d->cs);
    gview_coordinate(&d->gv, !d->stopping || d->stopping_groups);
    drain_check(d);
}

static void gv_fence(void *ctx, size_t node, const char *reason)
{
    struct vigild *d = ctx;
    if ((int)node == d->local_node) {
        /* The coordinator cannot fence itself: it leaves uncleanly, so another member does. */
        log_error("%s, and this node coordinates: leaving the cluster uncleanly so that another "
                  "member fences it",
                  reason);
        if (d->corosync && proc_running(d->corosync))
            proc_signal(d->corosync, SIGKILL);
        shutdown_now(d, EXIT_FATAL);
        return;
    }
    fencer_request(d->fencer, node, false);
    fencer_reconcile(d->fencer);
}

static void on_intent_timer(uv_timer_t *t)
{
    struct vigild *d = t->data;
    gview_expire_intents(&d->gv, time_mono_ms());
    gview_check_answers(&d->gv, time_mono_ms());
    cfgsync_tick(&d->cs, time_mono_ms());
    free_retired(d);
    node_stop_expire(d, time_mono_ms());
    drain_check(d);
}

static void status_extra(void *ctx, json_t *st)
{
    struct vigild *d = ctx;
    json_object_set_new(st, "groups", gview_status_json(&d->gv));
    json_object_set_new(st, "config", cfgsync_status_json(&d->cs));
    json_t *nodes = json_object_get(st, "nodes");
    for (size_t n = 0; n < json_array_size(nodes) && n < d->cfg->n_nodes; n++) {
        json_t *jn = json_array_get(nodes, n);
        json_object_set_new(jn, "standby", json_boolean(d->gv.db->standby[n]));
        json_t *v = cfgsync_node_json(&d->cs, n);
        if (v)
            json_object_set_new(jn, "config", v);
    }
}

/* The node this machine is: the one whose configured address is on a local interface. */
static int find_local_node(const struct cfg *cfg)
{
    for (size_t n = 0; n < cfg->n_nodes; n++) {
        for (size_t k = 0; k < cfg->n_networks; k++) {
            const char *a = cfg->nodes[n].addr[k];
            unsigned ifindex;
            if (a && ip_ifindex_by_local_text(a, &ifindex) == 0)
                return (int)n;
        }
    }
    return -1;
}

static void on_connected(void *ctx, uint32_t local_id)
{
    struct vigild *d = ctx;
    int idx = cluster_node_index(&d->cl, local_id);
    if (idx < 0)
        log_error("Corosync says this is node id %u, which vigil.yaml does not list", local_id);
    else
        log_info("connected to Corosync as node %s (id %u)", d->cfg->nodes[idx].name, local_id);
    uv_timer_stop(&d->connect_timer);
    if (idx >= 0 && d->local_node >= 0 && idx != d->local_node) {
        log_error("Corosync says this is node %s, but this machine holds the addresses of %s",
                  d->cfg->nodes[idx].name, d->cfg->nodes[d->local_node].name);
        shutdown_now(d, EXIT_FATAL);
        return;
    }
    bool again = d->cl.engine_state == ENGINE_LOST;
    cluster_engine_connected(&d->cl, local_id);
    /* Back after losing the engine: learn again what really runs here before reporting. */
    if (again && d->lrm)
        lrm_probe_all(d->lrm);
}

static void on_view(void *ctx, const struct engine_view *v)
{
    struct vigild *d = ctx;
    for (size_t i = 0; i < v->n_members; i++)
        if (cluster_node_index(&d->cl, v->members[i]) < 0)
            log_warn("node id %u is a member of the cluster but is not in %s; ignoring it",
                     v->members[i], d->cfg_path);
    cluster_apply_view(&d->cl, v);
    if (v->n_joined > 0) {
        send_hello(d);
        fencer_share_state(d->fencer);
    }
    gview_membership(&d->gv, v);
    cfgsync_membership(&d->cs);
    node_stop_left(d, v);
    fencer_reconcile(d->fencer);
    check_quorum_stop(d);
}

static void on_ring(void *ctx, uint32_t ring_nodeid, uint64_t ring_seq)
{
    struct vigild *d = ctx;
    d->cl.ring_nodeid = ring_nodeid;
    d->cl.ring_seq = ring_seq;
    log_debug("ring %u.%llu", ring_nodeid, (unsigned long long)ring_seq);
}

static void on_quorum(void *ctx, const struct engine_quorum *q)
{
    struct vigild *d = ctx;
    cluster_apply_quorum(&d->cl, q);
    gview_quorum(&d->gv);
    cfgsync_quorum(&d->cs);
    fencer_reconcile(d->fencer);
    check_quorum_stop(d);
    gv_replan(d);
}

static void on_deliver(void *ctx, uint32_t from, const void *msg, size_t len)
{
    struct vigild *d = ctx;
    struct peer_msg m;
    _cleanup_free_ char *err = NULL;
    char buf[32];
    if (peer_decode(from, msg, len, &m, &err) < 0) {
        log_warn("dropped a malformed message from %s: %s", cluster_node_name(&d->cl, from, buf),
                 err);
        return;
    }
    if (m.type == PEER_HELLO)
        cluster_apply_hello(&d->cl, from, m.hello.version, m.hello.cfg_hash, m.proto);
    if (m.type == PEER_FENCE) {
        if (cluster_apply_fence(&d->cl, from, &m) < 0)
            log_warn("dropped a fence %s from %s about unknown node '%s'",
                     peer_fence_op_name(m.fence.op), cluster_node_name(&d->cl, from, buf),
                     m.fence.node);
        else if (m.fence.op == PEER_FENCE_RESULT || m.fence.op == PEER_FENCE_CONFIRM) {
            size_t n = (size_t)cluster_node_index_by_name(&d->cl, m.fence.node);
            fencer_result_seen(d->fencer, n);
            if (d->cl.nodes[n].fence == FENCE_STATE_FENCED)
                gview_node_fenced(&d->gv, n);
        } else if (m.fence.op == PEER_FENCE_REQUEST)
            fencer_request(d->fencer, (size_t)cluster_node_index_by_name(&d->cl, m.fence.node),
                           m.fence.action && strcmp(m.fence.action, "reboot") == 0);
        fencer_reconcile(d->fencer);
    }
    if (m.type == PEER_GROUP && m.group.kind == PEER_G_NODE_STOP) {
        deliver_node_stop(d, from, m.group.body);
    } else if (m.type == PEER_GROUP && m.group.kind >= PEER_G_CONFIG) {
        _cleanup_free_ char *cerr = NULL;
        if (cfgsync_deliver(&d->cs, from, m.group.kind, m.group.body, &cerr) < 0)
            log_warn("dropped a malformed %s message from %s: %s",
                     peer_group_kind_name(m.group.kind), cluster_node_name(&d->cl, from, buf),
                     cerr);
    } else if (m.type == PEER_GROUP) {
        _cleanup_free_ char *gerr = NULL;
        if (gview_deliver(&d->gv, from, m.group.kind, m.group.body, &gerr) < 0)
            log_warn("dropped a malformed %s message from %s: %s",
                     peer_group_kind_name(m.group.kind), cluster_node_name(&d->cl, from, buf),
                     gerr);
    }
    peer_msg_clear(&m);
}

static void on_links(void *ctx, const struct engine_links *links)
{
    struct vigild *d = ctx;
    cluster_apply_links(&d->cl, links);
}

static void on_lost(void *ctx, int err)
{
    struct vigild *d = ctx;
    if (d->stopping)
        return;
    cluster_engine_lost(&d->cl, strerror(-err));
    gview_engine_lost(&d->gv);
    cfgsync_engine_lost(&d->cs);
    fencer_reconcile(d->fencer);
    check_quorum_stop(d);
    if (d->cfg->engine == CFG_ENGINE_MANAGED && d->corosync && proc_running(d->corosync)) {
        /* Never carry on beside a Corosync we cannot talk to: restart it. */
        log_error("the connection to Corosync broke while it still runs; restarting it");
        proc_signal(d->corosync, SIGKILL);
        return;
    }
    if (d->cfg->engine == CFG_ENGINE_EXTERNAL)
        schedule_connect(d);
}

static const struct engine_callbacks engine_cb = {
    .connected = on_connected,
    .view = on_view,
    .ring = on_ring,
    .quorum = on_quorum,
    .deliver = on_deliver,
    .links = on_links,
    .lost = on_lost,
};

/* The answer to a `vigil history` request (token), once its files are read. */
static void history_answered(void *ctx, uint64_t token, json_t *events, size_t skipped,
                             const char *err)
{
    struct vigild *d = ctx;
    json_t *reply = events ? json_pack("{s:b, s:{s:o, s:I, s:s}}", "ok", 1, "result", "events",
                                       events, "skipped", (json_int_t)skipped, "node",
                                       d->local_node >= 0 ? d->cfg->nodes[d->local_node].name : "?")
                           : ctl_error("%s", err);
    if (!events)
        log_warn("%s", err);
    control_reply(d->control, token, reply);
}

/* vigil history: this node's files are read on the thread pool (a few MB), then answered. */
static json_t *control_history(struct vigild *d, json_t *req, uint64_t token, bool *ret_defer)
{
    struct history_filter f = {
        .since_ms = (uint64_t)json_integer_value(json_object_get(req, "since")),
        .until_ms = (uint64_t)json_integer_value(json_object_get(req, "until")),
        .group = json_string_value(json_object_get(req, "group")),
        .node = json_string_value(json_object_get(req, "node")),
        .type = json_string_value(json_object_get(req, "type")),
        .limit = (size_t)json_integer_value(json_object_get(req, "limit")),
    };
    int r = d->history ? history_query_async(d->history, &f, history_answered, d, token) : -EINVAL;
    if (r < 0)
        return ctl_error("cannot read the event history: %s", strerror(-r));
    *ret_defer = true;
    return NULL;
}

/* An admin's intent: check it, send it, reply once every member applied and saved it. */
static json_t *control_intent(struct vigild *d, const struct ctl_result *res, uint64_t token,
                              bool *ret_defer)
{
    struct db_intent in = res->intent;
    _cleanup_free_ char *err = NULL;
    if (gview_check_intent(&d->gv, &in, &err) < 0)
        return ctl_error("%s", err);
    uint64_t id = gview_send_intent(&d->gv, &in, &err);
    if (!id)
        return ctl_error("%s", err);
    char what[256];
    gview_describe_intent(&d->gv, &in, what, sizeof(what));
    d->waiters = xrealloc(d->waiters, (d->n_waiters + 1) * sizeof(*d->waiters));
    d->waiters[d->n_waiters++] =
        (struct waiter){.intent = id, .token = token, .what = xstrdup(what)};
    log_info("an administrator asked: %s", what);
    *ret_defer = true;
    return NULL;
}

/* An admin's request to act: intents, fence requests and confirmations. */
static json_t *on_control_action(void *ctx, const struct ctl_result *res, uint64_t token,
                                 bool *ret_defer)
{
    struct vigild *d = ctx;
    if (res->has_intent)
        return control_intent(d, res, token, ret_defer);
    const char *cmd = res->request ? json_string_value(json_object_get(res->request, "cmd")) : "";
    if (strcmp(cmd, "node") == 0)
        return control_node_stop(d, res->request, token, ret_defer);
    if (strcmp(cmd, "history") == 0)
        return control_history(d, res->request, token, ret_defer);
    if (res->request)
        return control_config(d, res->request, token, ret_defer);
    struct peer_msg m = {.type = PEER_FENCE};
    m.fence.op = res->fence_confirm ? PEER_FENCE_CONFIRM : PEER_FENCE_REQUEST;
    m.fence.node = d->cfg->nodes[res->fence_node].name;
    char off[] = "off", reboot[] = "reboot";
    m.fence.action = res->fence_reboot ? reboot : off;
    size_t len;
    _cleanup_free_ char *msg = peer_encode_fence(&m, &len);
    int r = engine_broadcast(d->engine, msg, len);
    if (r < 0)
        return ctl_error("could not send the request to the cluster: %s", strerror(-r));
    log_info("an administrator %s %s", res->fence_confirm ? "confirmed as off" : "asked to fence",
             m.fence.node);
    return NULL;
}

/* ---- connecting and supervising Corosync --------------------------------- */

static void on_connect_timer(uv_timer_t *t)
{
    struct vigild *d = t->data;
    if (d->stopping)
        return;
    int r = engine_connect(d->engine);
    if (r < 0 && r != -EBUSY)
        log_debug("connecting to Corosync: %s", strerror(-r));
}

static void schedule_connect(struct vigild *d)
{
    uint64_t every = d->cfg->engine == CFG_ENGINE_MANAGED ? CONNECT_RETRY_MS : EXTERNAL_RETRY_MS;
    uv_timer_start(&d->connect_timer, on_connect_timer, every, every);
}

static void on_restart_timer(uv_timer_t *t)
{
    start_corosync(t->data);
}

/* Counts a restart; returns false if there were too many in the window. */
static bool restart_allowed(struct vigild *d, uint64_t *ret_delay)
{
    uint64_t now = time_mono_ms();
    unsigned k = 0;
    for (unsigned i = 0; i < d->n_restart_at; i++)
        if (now - d->restart_at[i] < RESTART_WINDOW_MS)
            d->restart_at[k++] = d->restart_at[i];
    d->n_restart_at = k;
    if (k >= RESTART_MAX_IN_WINDOW)
        return false;
    d->restart_at[d->n_restart_at++] = now;
    *ret_delay = k == 0 ? 0 : 100u << (k - 1); /* 0, 100, 200, 400, 800 ms */
    return true;
}

static void on_corosync_exit(struct proc *p, int ws, void *ctx)
{
    struct vigild *d = ctx;
    char desc[64];
    proc_describe_status(ws, desc);
    if (d->stopping) {
        log_info("Corosync stopped (%s)", desc);
        shutdown_now(d, d->exit_code);
        return;
    }
    log_error("Corosync (pid %d) %s", (int)proc_pid(p), desc);
    engine_disconnect(d->engine);
    cluster_engine_lost(&d->cl, desc);
    gview_engine_lost(&d->gv);
    cfgsync_engine_lost(&d->cs);
    fencer_reconcile(d->fencer);
    check_quorum_stop(d);
    uv_timer_stop(&d->connect_timer);
    uint64_t delay;
    if (!restart_allowed(d, &delay)) {
        log_error("Corosync failed %d times within %d s; giving up. See the Corosync messages "
                  "above and %s",
                  RESTART_MAX_IN_WINDOW, RESTART_WINDOW_MS / 1000, d->corosync_conf);
        shutdown_now(d, EXIT_FATAL);
        return;
    }
    d->cl.engine_restarts++;
    log_info("restarting Corosync in %llu ms", (unsigned long long)delay);
    uv_timer_start(&d->restart_timer, on_restart_timer, delay, 0);
}

static void start_corosync(struct vigild *d)
{
    proc_free(d->corosync);
    d->corosync = NULL;
    char flag_f[] = "-f", flag_c[] = "-c";
    char *argv[] = {d->corosync_bin, flag_f, flag_c, d->corosync_conf, NULL};
    struct proc_opts o = {.new_pgrp = true,
                          .die_with_parent = true,
                          .fd_in = PROC_INHERIT,
                          .fd_out = PROC_INHERIT,
                          .fd_err = PROC_INHERIT};
    int r = proc_spawn(d->loop, argv, &o, on_corosync_exit, d, &d->corosync);
    if (r < 0) {
        log_error("cannot start %s: %s", d->corosync_bin, strerror(-r));
        shutdown_now(d, EXIT_FATAL);
        return;
    }
    log_info("started Corosync (pid %d) with %s", (int)proc_pid(d->corosync), d->corosync_conf);
    schedule_connect(d);
}

static int write_corosync_conf(struct vigild *d)
{
    int r = mkdir(d->run_dir, 0755);
    if (r < 0 && errno != EEXIST) {
        log_error("cannot create %s: %s", d->run_dir, strerror(errno));
        return -errno;
    }
    _cleanup_free_ char *text = cfg_corosync_conf(d->cfg);
    r = write_file_atomic(d->corosync_conf, text, strlen(text), 0644);
    if (r < 0)
        log_error("cannot write %s: %s", d->corosync_conf, strerror(-r));
    return r;
}

/* ---- timers, signals, shutdown ------------------------------------------- */

static void on_link_timer(uv_timer_t *t)
{
    struct vigild *d = t->data;
    cluster_query_links(&d->cl, d->engine);
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void shutdown_now(struct vigild *d, int code)
{
    d->exit_code = code;
    d->stopping = true;
    fencer_free(d->fencer);
    d->fencer = NULL;
    lrm_free(d->lrm);
    d->lrm = NULL;
    placer_free(d->placer);
    d->placer = NULL;
    engine_free(d->engine);
    d->engine = NULL;
    proc_free(d->corosync);
    d->corosync = NULL;
    control_close(d->control);
    d->control = NULL;
    history_close(d->history);
    d->history = NULL;
    hooks_free(d->hooks);
    d->hooks = NULL;
    close_handle((uv_handle_t *)&d->connect_timer);
    close_handle((uv_handle_t *)&d->link_timer);
    close_handle((uv_handle_t *)&d->restart_timer);
    close_handle((uv_handle_t *)&d->plan_timer);
    close_handle((uv_handle_t *)&d->intent_timer);
    close_handle((uv_handle_t *)&d->watchdog_timer);
    close_handle((uv_handle_t *)&d->sig_chld);
    close_handle((uv_handle_t *)&d->sig_term);
    close_handle((uv_handle_t *)&d->sig_int);
    close_handle((uv_handle_t *)&d->sig_hup);
}

/* Leaves the group cleanly and stops Corosync; the process exits when it is gone. */
static void leave_cluster(struct vigild *d)
{
    d->stopping = true;
    node_stop_reply_local(d);
    engine_disconnect(d->engine);
    d->cl.engine_state = ENGINE_STOPPED;
    if (d->corosync && proc_running(d->corosync))
        proc_stop(d->corosync, COROSYNC_STOP_MS);
    else
        shutdown_now(d, d->exit_code);
}

/* Stops this node's groups, then leaves the cluster cleanly and exits (why: for the log). */
void begin_shutdown(struct vigild *d, const char *why)
{
    notify_send("STOPPING=1");
    d->stopping = true;
    if (d->lrm && lrm_any_active(d->lrm)) {
        log_info("%s: stopping this node's groups, then leaving the cluster cleanly", why);
        d->stopping_groups = true;
        gv_rereport(d, SIZE_MAX); /* tell the others: run nothing new here */
        lrm_stop_all(d->lrm);
        return;
    }
    log_info("%s: leaving the cluster cleanly", why);
    leave_cluster(d);
}

static void on_stop_signal(uv_signal_t *s, int sig)
{
    struct vigild *d = s->data;
    if (d->stopping) {
        log_warn("second %s: stopping at once", strsignal(sig));
        shutdown_now(d, d->exit_code);
        return;
    }
    begin_node_stop(d, false, 0, strsignal(sig));
}

/* systemd's watchdog: a ping at half its interval while the loop turns. */
static void on_watchdog_timer(uv_timer_t *t)
{
    notify_send("WATCHDOG=1");
}

static void on_sigchld(uv_signal_t *s, int sig)
{
    proc_reap_orphans();
}

static void on_hup(uv_signal_t *s, int sig)
{
    struct vigild *d = s->data;
    log_info("SIGHUP: reloading %s", d->cfg_path);
    json_t *reply = config_reload(d, false, 0, NULL);
    if (!reply)
        return; /* sent: the outcome is logged when every member has it */
    if (json_is_true(json_object_get(reply, "ok")))
        log_info("SIGHUP: %s",
                 json_string_value(json_object_get(json_object_get(reply, "result"), "message")));
    else
        log_warn("SIGHUP: %s", json_string_value(json_object_get(reply, "error")));
    json_decref(reply);
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vigild [OPTIONS]\n"
            "The vigil cluster daemon: one per node.\n\n"
            "  -c, --config FILE   configuration (default %s)\n"
            "  -n, --check         check the configuration and exit (0 valid, 1 invalid)\n"
            "  -s, --socket PATH   control socket (default %s)\n"
            "      --run-dir DIR   runtime files, such as the generated corosync.conf\n"
            "                      (default /run/vigil)\n"
            "      --state-dir DIR persistent state (default /var/lib/vigil)\n"
            "  -v, --verbose       log debug messages\n"
            "      --syslog        log to syslog instead of stderr\n"
            "  -h, --help          show this help\n"
            "  -V, --version       show the version\n\n"
            "See vigild(8), vigil(8) and vigil.yaml(5).\n",
            CFG_DEFAULT_PATH, CTL_DEFAULT_SOCKET);
}

static int parse_args(struct vigild *d, int argc, char **argv, bool *check_only, bool *verbose,
                      bool *use_syslog)
{
    enum { OPT_RUN_DIR = 256, OPT_STATE_DIR, OPT_SYSLOG };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'n'},
        {"socket", required_argument, NULL, 's'},
        {"run-dir", required_argument, NULL, OPT_RUN_DIR},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"verbose", no_argument, NULL, 'v'},
        {"syslog", no_argument, NULL, OPT_SYSLOG},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:ns:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            d->cfg_path = optarg;
            break;
        case 'n':
            *check_only = true;
            break;
        case 's':
            d->socket_path = optarg;
            break;
        case OPT_RUN_DIR:
            d->run_dir = optarg;
            break;
        case OPT_STATE_DIR:
            d->state_dir = optarg;
            break;
        case 'v':
            *verbose = true;
            break;
        case OPT_SYSLOG:
            *use_syslog = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("vigild %s\n", VIGIL_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'vigild --help'.\n");
            return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vigild: unexpected argument '%s'\nTry 'vigild --help'.\n", argv[optind]);
        return -EINVAL;
    }
    return 1;
}

static int load_config(struct vigild *d, bool check_only)
{
    struct cfg_diags diags;
    cfg_diags_init(&diags);
    size_t len;
    int r = read_file(d->cfg_path, CFG_MAX_FILE_SIZE, &d->cfg_text, &len);
    if (r < 0) {
        fprintf(stderr, "vigild: cannot read %s: %s\n", d->cfg_path,
                r == -EFBIG ? "file too large" : strerror(-r));
        return r;
    }
    r = cfg_load_string(d->cfg_text, len, d->cfg_path, CFG_LOAD_CHECK_FILES, &d->cfg, &diags);
    cfg_diags_print(&diags, stderr);
    cfg_diags_clear(&diags);
    if (r < 0) {
        fprintf(stderr, "vigild: %s is not valid; nothing was started\n", d->cfg_path);
        return r;
    }
    if (check_only)
        printf("%s: configuration is valid\n", d->cfg_path);
    return 0;
}

static void init_handles(struct vigild *d)
{
    uv_timer_t *timers[] = {&d->connect_timer, &d->link_timer,   &d->restart_timer,
                            &d->plan_timer,    &d->intent_timer, &d->watchdog_timer};
    for (size_t i = 0; i < ARRAY_SIZE(timers); i++) {
        uv_timer_init(d->loop, timers[i]);
        timers[i]->data = d;
    }
    uv_signal_t *sigs[] = {&d->sig_term, &d->sig_int, &d->sig_hup, &d->sig_chld};
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
        uv_signal_init(d->loop, sigs[i]);
        sigs[i]->data = d;
    }
    uv_signal_start(&d->sig_term, on_stop_signal, SIGTERM);
    uv_signal_start(&d->sig_int, on_stop_signal, SIGINT);
    uv_signal_start(&d->sig_hup, on_hup, SIGHUP);
    uv_signal_start(&d->sig_chld, on_sigchld, SIGCHLD);
    uv_timer_start(&d->intent_timer, on_intent_timer, INTENT_CHECK_MS, INTENT_CHECK_MS);
    uint64_t wd = notify_watchdog_usec() / 1000 / 2;
    if (wd > 0)
        uv_timer_start(&d->watchdog_timer, on_watchdog_timer, wd, wd);
    uv_timer_start(&d->link_timer, on_link_timer, LINK_POLL_MS, LINK_POLL_MS);
}

static void start_engine(struct vigild *d)
{
    if (d->cfg->engine == CFG_ENGINE_EXTERNAL) {
        log_info("engine: external; connecting to the Corosync that runs on this node");
        engine_connect(d->engine);
        schedule_connect(d);
        return;
    }
    /* In managed mode a Corosync that already runs here would fight ours: refuse. */
    if (engine_corosync_running()) {
        log_error("a Corosync not started by vigild already runs on this node; stop it, or set "
                  "'engine: external' in %s",
                  d->cfg_path);
        shutdown_now(d, EXIT_FATAL);
    } else if (write_corosync_conf(d) < 0) {
        shutdown_now(d, EXIT_FATAL);
    } else {
        start_corosync(d);
    }
}

static int run(struct vigild *d)
{
    d->loop = uv_default_loop();
    d->events = eventlog_new(EVENTLOG_CAPACITY);
    cluster_init(&d->cl, d->cfg, d->events);
    _cleanup_free_ char *printed = cfg_print(d->cfg);
    d->cl.cfg_hash = peer_hash(printed, strlen(printed));
    eventlog_set_notify(d->events, on_event, d);
    d->engine = engine_corosync_new(d->loop, CPG_GROUP, &engine_cb, d);
    d->fencer = fencer_new(d->loop, &d->cl, d->engine);
    init_handles(d);

    /* Groups: the cluster database as this node last saved it, and what runs here. */
    if (mkdir(d->state_dir, 0700) < 0 && errno != EEXIST)
        log_error("cannot create %s: %s", d->state_dir, strerror(errno));
    struct db *db = NULL;
    _cleanup_free_ char *err = NULL;
    int lr = db_load(d->cfg, d->state_dir, &db, &err);
    if (lr < 0 && lr != -ENOENT) {
        /* Keep the bad file for the admin; never overwrite it. */
        _cleanup_free_ char *path = xasprintf("%s/%s", d->state_dir, DB_FILE);
        _cleanup_free_ char *kept =
            xasprintf("%s.bad-%llu", path, (unsigned long long)(time_wall_ms() / 1000));
        bool moved = rename(path, kept) == 0;
        log_error("%s; starting from an empty copy (the cluster's copy will be adopted)%s%s", err,
                  moved ? "; the file was kept as " : "", moved ? kept : "");
        db = db_new(d->cfg);
    }
    d->local_node = find_local_node(d->cfg);
    d->history = history_open(d->loop, d->state_dir,
                              d->local_node >= 0 ? d->cfg->nodes[d->local_node].name : NULL, 0);
    d->hooks =
        hooks_new(d->loop, d->cfg, d->local_node >= 0 ? d->cfg->nodes[d->local_node].name : NULL);
    gview_init(&d->gv, d->cfg, &d->cl, d->events, db, d->state_dir, &gview_hooks, d);
    gview_set_loop(&d->gv, d->loop);
    _cleanup_free_ char *cerr = NULL;
    if (cfgsync_init(&d->cs, d->loop, &d->cl, d->cfg, d->cfg_path, d->cfg_text, d->state_dir,
                     &cfgsync_hooks, d, &cerr) < 0) {
        log_error("%s; remove or repair it to start", cerr);
        shutdown_now(d, EXIT_CONFIG);
        uv_run(d->loop, UV_RUN_DEFAULT);
        return d->exit_code;
    }
    d->cl.status_extra = status_extra;
    d->cl.status_ctx = d;
    int r0 = proc_become_subreaper();
    if (r0 < 0)
        log_warn("cannot become a child subreaper: %s", strerror(-r0));
    d->local_node = find_local_node(d->cfg);
    if (d->local_node < 0 && d->cfg->n_groups) {
        log_error("this machine has none of the node addresses listed in %s; cannot run groups",
                  d->cfg_path);
    } else if (d->local_node >= 0) {
        d->lrm = lrm_new(d->loop, d->cfg, (size_t)d->local_node, d->run_dir, &lrm_hooks, d);
        d->placer = placer_new(d->loop, &d->gv, d->cfg->nodes[d->local_node].name);
        for (size_t g = 0; g < d->cfg->n_groups; g++)
            lrm_set_managed(d->lrm, g, !db->groups[g].unmanaged);
        lrm_probe_all(d->lrm);
    }

    int r = control_open(d->loop, d->socket_path, &d->cl, &d->control);
    if (r < 0) {
        if (r == -EADDRINUSE)
            log_error("another vigild already answers on %s", d->socket_path);
        else
            log_error("cannot open the control socket %s: %s", d->socket_path, strerror(-r));
        shutdown_now(d, EXIT_FATAL);
    } else {
        control_set_action(d->control, on_control_action, d);
        eventlog_add(d->events, EV_DAEMON_STARTED, NULL, NULL, "vigild %s started (cluster %s, %s)",
                     VIGIL_VERSION, d->cfg->cluster_name, d->cfg_path);
        start_engine(d);
        if (!d->stopping) {
            _cleanup_free_ char *ready = xasprintf(
                "READY=1\nSTATUS=cluster %s, node %s, %zu groups", d->cfg->cluster_name,
                d->local_node >= 0 ? d->cfg->nodes[d->local_node].name : "?", d->cfg->n_groups);
            notify_send(ready);
        }
    }
    uv_run(d->loop, UV_RUN_DEFAULT);
    return d->exit_code;
}

int main(int argc, char **argv)
{
    struct vigild d = {
        .cfg_path = CFG_DEFAULT_PATH,
        .socket_path = CTL_DEFAULT_SOCKET,
        .run_dir = "/run/vigil",
        .state_dir = "/var/lib/vigil",
    };
    bool check_only = false, verbose = false, use_syslog = false;
    int r = parse_args(&d, argc, argv, &check_only, &verbose, &use_syslog);
    if (r <= 0)
        return r == 0 ? EXIT_OK : EXIT_CONFIG;
    log_init("vigild", verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO, use_syslog);
    signal(SIGPIPE, SIG_IGN);

    if (load_config(&d, check_only) < 0)
        return EXIT_CONFIG;
    if (check_only) {
        cfg_free(d.cfg);
        free(d.cfg_text);
        return EXIT_OK;
    }
    const char *bin = getenv("VIGIL_COROSYNC");
    d.corosync_bin = xstrdup(bin && *bin ? bin : "/usr/sbin/corosync");
    d.corosync_conf = xasprintf("%s/corosync.conf", d.run_dir);

    int code = run(&d);
    uv_run(d.loop, UV_RUN_DEFAULT); /* let closing handles finish */
    gview_done(&d.gv);
    cfgsync_done(&d.cs);
    free(d.prep_keep);
    free(d.drained_groups);
    for (size_t i = 0; i < d.n_retired; i++)
        cfg_free(d.retired[i]);
    free(d.cfg_text);
    for (size_t i = 0; i < d.n_waiters; i++)
        free(d.waiters[i].what);
    free(d.waiters);
    cluster_done(&d.cl);
    eventlog_free(d.events);
    cfg_free(d.cfg);
    free(d.corosync_conf);
    free(d.corosync_bin);
    uv_loop_close(d.loop);
    log_info("vigild exits with status %d", code);
    return code;
}
