/*
 * vigild: the per-node daemon, and the one file that wires its parts
 * together. One libuv loop drives everything: the Corosync supervisor
 * (cosup), the engine adapter's descriptors, the control socket and the
 * timers. Every part is a module that owns its state and reports upward
 * through a hooks struct whose functions are defined here, so the calls form
 * a star around this file (docs/architecture.md has the map). Nothing in the
 * loop blocks. It is about a thousand lines because every module's hooks are
 * defined here, by design; logic beyond calling one module from another
 * belongs in a module of its own.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "base/log.h"
#include "base/notify.h"
#include "base/util.h"
#include "config/config.h"
#include "config/diff.h"
#include "daemon/adminctl.h"
#include "daemon/cfgchange.h"
#include "daemon/cfgctl.h"
#include "daemon/cfgsync.h"
#include "daemon/cluster.h"
#include "resource/compatdir.h"
#include "daemon/control.h"
#include "daemon/cosup.h"
#include "daemon/ctl.h"
#include "daemon/db.h"
#include "daemon/drain.h"
#include "daemon/eventlog.h"
#include "daemon/fencer.h"
#include "daemon/gview.h"
#include "daemon/history.h"
#include "daemon/hooks.h"
#include "daemon/lrm.h"
#include "daemon/options.h"
#include "daemon/peer.h"
#include "daemon/placer.h"
#include "daemon/replies.h"
#include "engine/engine.h"
#include "exec/proc.h"
#include "resource/ip.h"

#define CPG_GROUP         "vigil"
#define CONNECT_RETRY_MS  100
#define EXTERNAL_RETRY_MS 500
#define LINK_POLL_MS      250
#define COROSYNC_STOP_MS  10000
#define EVENTLOG_CAPACITY 10000
#define INTENT_CHECK_MS   1000

enum { EXIT_OK = 0, EXIT_CONFIG = 1, EXIT_FATAL = 2 };

struct vigild {
    uv_loop_t *loop;
    /* Per group: the coordinator's notification its agents here are being told (to answer it). */
    struct act_id notify_id[CFG_MAX_GROUPS];
    const char *cfg_path, *socket_path, *run_dir, *state_dir;
    char *cfg_text; /* the configuration file's content at start-up */
    char *corosync_bin;
    struct cfg *cfg;
    struct eventlog *events;
    struct history *history; /* the persisted event log (vigil history) */
    struct hooks *hooks;     /* the operator's programs run on events */
    struct cluster cl;
    struct engine *engine;
    struct cosup *corosync; /* managed mode only */
    struct control *control;
    struct fencer *fencer;
    struct gview gv;
    struct lrm *lrm;
    struct placer *placer;
    int local_node;          /* index in cfg->nodes, found from this machine's addresses */
    struct cfgsync cs;       /* the replicated configuration */
    struct cfgchange change; /* a configuration change under way here */
    struct cfgctl cfgctl;    /* vigil config requests */
    struct drain drain;      /* planned stops */
    struct adminctl admin;   /* admins' intents and attribute changes waiting for the cluster */
    bool stopping_groups;    /* groups are being stopped (or moved away) before leaving */
    uv_timer_t connect_timer, link_timer, plan_timer, intent_timer, watchdog_timer;
    uv_timer_t retry_timer; /* a failed group may try again: plan then (gview_next_wake) */
    uv_signal_t sig_term, sig_int, sig_hup, sig_chld;
    bool stopping;
    int exit_code;
};

static void shutdown_now(struct vigild *d, int code);
static void run_hooks(struct vigild *d, const struct event *ev);
static void begin_shutdown(struct vigild *d, const char *why);
static int gv_send(void *ctx, enum peer_group_kind kind, json_t *body);
static void gv_replan(void *ctx);
static void gv_rereport(void *ctx, size_t g);
static void gv_db_changed(void *ctx);
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

/* Reports group g; notified: the notification it answers, or NULL. */
static void send_report_notified(struct vigild *d, size_t g, const struct act_id *notified)
{
    const struct lrm_group *G = d->lrm->groups[g];
    if (G->obs == POL_OBS_UNKNOWN || !d->cl.local_id)
        return;
    json_t *body =
        gview_report_body(&d->gv, g, G->obs, G->rs, lrm_promoted(d->lrm, g), d->stopping_groups);
    if (notified)
        gview_report_notified(body, *notified);
    size_t len;
    _cleanup_free_ char *msg = peer_encode_group(PEER_G_REPORT, body, &len);
    json_decref(body);
    int r = engine_broadcast(d->engine, msg, len);
    if (r < 0 && r != -ENOTCONN)
        log_warn("could not report group %s: %s", d->cfg->groups[g].name, strerror(-r));
}

static void send_report(struct vigild *d, size_t g)
{
    send_report_notified(d, g, NULL);
}

/* The agents of group g here were notified (ok or not): the coordinator hears it. */
static void on_notified(void *ctx, size_t g, bool ok, const char *reason)
{
    struct vigild *d = ctx;
    if (g >= d->cfg->n_groups)
        return;
    if (!ok)
        log_warn("notification of group %s: %s (ignored, as Pacemaker does)",
                 d->cfg->groups[g].name, reason ? reason : "failed");
    send_report_notified(d, g, &d->notify_id[g]);
}

static void gv_local_notify(void *ctx, size_t g, const struct res_notify *n, struct act_id id)
{
    struct vigild *d = ctx;
    d->notify_id[g] = id;
    int r = lrm_notify(d->lrm, g, n, on_notified, d);
    if (r < 0) {
        /* Another operation of the group runs here: answer, so the coordinator goes on. */
        log_warn("not notifying group %s here: %s", d->cfg->groups[g].name,
                 r == -EBUSY ? "an operation of the group is under way" : strerror(-r));
        send_report_notified(d, g, &id);
    }
}

static int gv_send(void *ctx, enum peer_group_kind kind, json_t *body)
{
    struct vigild *d = ctx;
    size_t len;
    _cleanup_free_ char *msg = peer_encode_group(kind, body, &len);
    return engine_broadcast(d->engine, msg, len);
}

static void gv_local_action(void *ctx, size_t g, enum pol_action_type op)
{
    struct vigild *d = ctx;
    /* Nothing new runs here while this node shuts down or a new configuration changes g. */
    bool grows = op == POL_START || op == POL_PROMOTE;
    if (grows && (d->stopping_groups || d->stopping)) {
        log_info("not %s group %s: this node is shutting down",
                 op == POL_START ? "starting" : "promoting", d->cfg->groups[g].name);
        send_report(d, g);
        return;
    }
    if (grows && cfgchange_affects(&d->change, g)) {
        log_info("not %s group %s: a new configuration changes it",
                 op == POL_START ? "starting" : "promoting", d->cfg->groups[g].name);
        send_report(d, g);
        return;
    }
    switch (op) {
    case POL_START:
        lrm_start(d->lrm, g);
        break;
    case POL_PROMOTE:
        lrm_promote(d->lrm, g);
        break;
    case POL_DEMOTE:
        lrm_demote(d->lrm, g);
        break;
    default:
        lrm_stop(d->lrm, g);
        break;
    }
}

static void gv_rereport(void *ctx, size_t g)
{
    struct vigild *d = ctx;
    for (size_t i = 0; i < d->cfg->n_groups; i++)
        if (g == SIZE_MAX || g == i)
            send_report(d, i);
}

static void on_plan_timer(uv_timer_t *t);

static void gv_replan(void *ctx)
{
    struct vigild *d = ctx;
    if (!d->stopping || d->stopping_groups)
        uv_timer_start(&d->plan_timer, on_plan_timer, 0, 0);
}

static void gv_intent_done(void *ctx, uint64_t id, bool ok, const char *msg)
{
    struct vigild *d = ctx;
    adminctl_intent_done(&d->admin, id, ok, msg);
}

static void gv_db_changed(void *ctx)
{
    struct vigild *d = ctx;
    if (!d->lrm)
        return;
    for (size_t g = 0; g < d->cfg->n_groups; g++)
        lrm_set_managed(d->lrm, g, !d->gv.db->groups[g].unmanaged);
}

static void gv_fence(void *ctx, size_t node, const char *reason);

/* An attribute change asked here was applied and saved here, or refused: answer it. */
static void gv_attr_done(void *ctx, uint64_t id, bool ok, const char *msg)
{
    struct vigild *d = ctx;
    adminctl_attr_done(&d->admin, id, ok, msg);
}

static const struct gview_hooks gview_hooks = {
    .attr_done = gv_attr_done,
    .fence = gv_fence,
    .send = gv_send,
    .local_action = gv_local_action,
    .rereport = gv_rereport,
    .replan = gv_replan,
    .intent_done = gv_intent_done,
    .db_changed = gv_db_changed,
    .local_notify = gv_local_notify,
};

static void check_quorum_stop(struct vigild *d);
static void cs_check_ready(struct vigild *d);

static void lrm_report(void *ctx, size_t g)
{
    struct vigild *d = ctx;
    send_report(d, g);
    cs_check_ready(d);
    drain_check(&d->drain);
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
    cosup_kill(d->corosync);
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
    if (!d->cl.quorate && d->cfg->no_quorum == CFG_NO_QUORUM_STOP)
        lrm_stop_running(d->lrm, "no quorum");
}

static void on_retry_timer(uv_timer_t *t)
{
    gv_replan(t->data);
}

/*
 * Every member plans (for events); the coordinator acts on the plan. Then
 * one timer waits for the earliest back-off or ban to end, to plan again.
 */
static void on_plan_timer(uv_timer_t *t)
{
    struct vigild *d = t->data;
    if (!d->lrm)
        return;
    if (d->cl.quorate && d->cl.coordinator == d->cl.local_id && !d->stopping)
        placer_update(d->placer);
    d->gv.blocked = cfgsync_blocked(&d->cs);
    gview_coordinate(&d->gv, !d->stopping || d->stopping_groups);
    drain_check(&d->drain);
    uint64_t wake = gview_next_wake(&d->gv), now = d->gv.mono_ms();
    if (wake > now) {
        uv_update_time(d->loop); /* the wait counts from now */
        uv_timer_start(&d->retry_timer, on_retry_timer, wake - now, 0);
    } else {
        uv_timer_stop(&d->retry_timer);
    }
}

static void gv_fence(void *ctx, size_t node, const char *reason)
{
    struct vigild *d = ctx;
    if ((int)node == d->local_node) {
        /* The coordinator cannot fence itself: it leaves uncleanly, so another member does. */
        log_error("%s, and this node coordinates: leaving the cluster uncleanly so that another "
                  "member fences it",
                  reason);
        cosup_kill(d->corosync);
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
    adminctl_expire(&d->admin, time_mono_ms());
    gview_check_answers(&d->gv, time_mono_ms());
    cfgsync_tick(&d->cs, time_mono_ms());
    cfgchange_free_retired(&d->change, &d->cl);
    drain_expire(&d->drain, time_mono_ms());
    drain_check(&d->drain);
}

static void status_extra(void *ctx, json_t *st)
{
    struct vigild *d = ctx;
    json_t *groups = gview_status_json(&d->gv);
    json_object_set_new(st, "groups", groups);
    json_object_set_new(st, "config", cfgsync_status_json(&d->cs));
    json_t *nodes = json_object_get(st, "nodes");
    gview_status_capacity(&d->gv, groups, nodes);
    for (size_t n = 0; n < json_array_size(nodes) && n < d->cfg->n_nodes; n++) {
        json_t *jn = json_array_get(nodes, n);
        json_object_set_new(jn, "standby", json_boolean(d->gv.db->standby[n]));
        json_object_set_new(jn, "attributes", gview_attr_node_json(&d->gv, n));
        json_t *v = cfgsync_node_json(&d->cs, n);
        if (v)
            json_object_set_new(jn, "config", v);
    }
}

/* The node this machine is: the one whose configured address is on a local interface. */
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
    drain_view(&d->drain, v);
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
        drain_deliver(&d->drain, from, m.group.body);
    } else if (m.type == PEER_GROUP && m.group.kind >= PEER_G_CONFIG) {
        _cleanup_free_ char *cerr = NULL;
        if (cfgsync_deliver(&d->cs, from, m.group.kind, m.group.body, &cerr) < 0)
            log_warn("dropped a malformed %s message from %s: %s",
                     peer_group_kind_name(m.group.kind), cluster_node_name(&d->cl, from, buf),
                     str_one_line(cerr)); /* it may quote the peer's words */
    } else if (m.type == PEER_GROUP) {
        _cleanup_free_ char *gerr = NULL;
        if (gview_deliver(&d->gv, from, m.group.kind, m.group.body, &gerr) < 0)
            log_warn("dropped a malformed %s message from %s: %s",
                     peer_group_kind_name(m.group.kind), cluster_node_name(&d->cl, from, buf),
                     str_one_line(gerr));
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
    if (cosup_running(d->corosync)) {
        /* Never carry on beside a Corosync we cannot talk to: restart it. */
        log_error("the connection to Corosync broke while it still runs; restarting it");
        cosup_restart(d->corosync);
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

/* An admin's request to act: intents, fence requests and confirmations. */
static json_t *on_control_action(void *ctx, const struct ctl_result *res, uint64_t token,
                                 bool *ret_defer)
{
    struct vigild *d = ctx;
    if (res->has_intent)
        return adminctl_intent(&d->admin, &res->intent, token, ret_defer);
    const char *cmd = res->request ? json_string_value(json_object_get(res->request, "cmd")) : "";
    if (strcmp(cmd, "node") == 0)
        return drain_request(&d->drain, res->request, token, ret_defer);
    if (strcmp(cmd, "history") == 0)
        return control_history(d, res->request, token, ret_defer);
    if (strcmp(cmd, "attr") == 0)
        return adminctl_attr(&d->admin, res->request, d->local_node, token, ret_defer);
    if (res->request)
        return cfgctl_request(&d->cfgctl, res->request, token, ret_defer);
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

/* ---- the replicated configuration (cfgsync's hooks) ----------------------- */

static const char *local_name(const struct vigild *d)
{
    return d->local_node >= 0 ? d->cfg->nodes[d->local_node].name : "?";
}

/* Once every group a configuration change stops is stopped here, this node is ready for it. */
static void cs_check_ready(struct vigild *d)
{
    _cleanup_free_ char *err = NULL;
    enum cfgchange_ready r = cfgchange_ready(&d->change, d->cfg, d->lrm, local_name(d), &err);
    if (r != CFGCHANGE_WAIT)
        cfgsync_local_ready(&d->cs, r == CFGCHANGE_READY, err);
}

static void cs_prepare(void *ctx, const struct cfg *next, const struct cfg_diff *diff)
{
    struct vigild *d = ctx;
    cfgchange_prepare(&d->change, d->cfg, diff, d->lrm);
    gv_replan(d);
    cs_check_ready(d);
}

static void cs_abort(void *ctx)
{
    struct vigild *d = ctx;
    cfgchange_clear(&d->change);
    gv_replan(d);
}

/* Every member switches to next at the same point of the message order. */
static void cs_activate(void *ctx, struct cfg *next, const struct cfg_diff *diff)
{
    struct vigild *d = ctx;
    struct cfg *old = d->cfg;
    cfg_transplant_unchanged(next, old, diff);
    cfgchange_clear(&d->change);
    placer_free(d->placer);
    d->placer = NULL;
    if (d->lrm)
        lrm_reconfigure(d->lrm, next, diff);
    gview_reconfigure(&d->gv, next, diff);
    d->cfg = next;
    d->cl.cfg = next;
    d->cs.cfg = next;
    _cleanup_free_ char *printed = cfg_print(next);
    d->cl.cfg_hash = peer_hash(printed, strlen(printed));
    if (d->lrm) {
        d->placer = placer_new(d->loop, &d->gv, next->nodes[d->local_node].name);
        gv_db_changed(d);
    }
    hooks_set_cfg(d->hooks, next);
    /* A fence operation under way points into the old fencing section: keep it until done. */
    cfgchange_retire(&d->change, old, &d->cl);
    gv_rereport(d, SIZE_MAX);
    gv_replan(d);
}

static void cs_refused(void *ctx, const char *msg)
{
    struct vigild *d = ctx;
    log_error("%s", msg);
    if (d->stopping)
        return;
    d->exit_code = EXIT_CONFIG;
    begin_shutdown(d, "configuration refused by the cluster");
}

static void cs_done(void *ctx, uint64_t id, bool ok, uint64_t version, const char *msg)
{
    struct vigild *d = ctx;
    if (ok)
        log_info("configuration version %llu: %s", (unsigned long long)version, msg);
    else
        log_warn("configuration version %llu: %s", (unsigned long long)version, msg);
    cfgctl_applied(&d->cfgctl, id, ok, version, msg);
}

static void cs_changed(void *ctx)
{
    gv_replan(ctx);
}

static const struct cfgsync_hooks cfgsync_hooks = {
    .send = gv_send,
    .prepare = cs_prepare,
    .activate = cs_activate,
    .abort = cs_abort,
    .refused = cs_refused,
    .done = cs_done,
    .changed = cs_changed,
};

/* ---- planned stops (drain's hooks) ----------------------------------------- */

static void dr_shutdown(void *ctx, const char *why)
{
    begin_shutdown(ctx, why);
}

/* The groups move away first: report this node leaving, so the coordinator runs nothing new here.
 */
static void dr_leaving(void *ctx)
{
    struct vigild *d = ctx;
    d->stopping = true;
    d->stopping_groups = true;
    gv_rereport(d, SIZE_MAX);
    gv_replan(d);
}

static bool dr_stopping(void *ctx)
{
    const struct vigild *d = ctx;
    return d->stopping;
}

static const struct drain_hooks drain_hooks = {
    .shutdown = dr_shutdown,
    .leaving = dr_leaving,
    .stopping = dr_stopping,
    .send = gv_send,
};

/* Deferred replies of every module go out on the control socket (dropped once it is closed). */
static void send_reply(void *ctx, uint64_t token, json_t *reply)
{
    struct vigild *d = ctx;
    if (d->control)
        control_reply(d->control, token, reply);
    else
        json_decref(reply);
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

/* Corosync runs (started or restarted): connect to it. */
static void co_started(void *ctx, int pid)
{
    schedule_connect(ctx);
}

/* Corosync exited unasked: everything known from it is void until it is back. */
static bool co_crashed(void *ctx, const char *desc)
{
    struct vigild *d = ctx;
    if (d->stopping) {
        shutdown_now(d, d->exit_code);
        return false;
    }
    engine_disconnect(d->engine);
    cluster_engine_lost(&d->cl, desc);
    gview_engine_lost(&d->gv);
    cfgsync_engine_lost(&d->cs);
    fencer_reconcile(d->fencer);
    check_quorum_stop(d);
    uv_timer_stop(&d->connect_timer);
    d->cl.engine_restarts++;
    return true;
}

static void co_failed(void *ctx, const char *why)
{
    log_error("%s", why);
    shutdown_now(ctx, EXIT_FATAL);
}

static void co_stopped(void *ctx, const char *desc)
{
    struct vigild *d = ctx;
    shutdown_now(d, d->exit_code);
}

static const struct cosup_hooks cosup_hooks = {
    .started = co_started,
    .crashed = co_crashed,
    .failed = co_failed,
    .stopped = co_stopped,
};

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
    cosup_free(d->corosync);
    d->corosync = NULL;
    control_close(d->control);
    d->control = NULL;
    history_close(d->history);
    d->history = NULL;
    hooks_free(d->hooks);
    d->hooks = NULL;
    close_handle((uv_handle_t *)&d->connect_timer);
    close_handle((uv_handle_t *)&d->link_timer);
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
    drain_reply_local(&d->drain);
    engine_disconnect(d->engine);
    d->cl.engine_state = ENGINE_STOPPED;
    if (!cosup_stop(d->corosync, COROSYNC_STOP_MS))
        shutdown_now(d, d->exit_code);
}

/* Stops this node's groups, then leaves the cluster cleanly and exits (why: for the log). */
static void begin_shutdown(struct vigild *d, const char *why)
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
    drain_begin(&d->drain, false, 0, strsignal(sig));
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
    json_t *reply = cfgctl_reload(&d->cfgctl, false, 0, NULL);
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

static void init_handles(struct vigild *d)
{
    uv_timer_t *timers[] = {&d->connect_timer, &d->link_timer,     &d->plan_timer,
                            &d->intent_timer,  &d->watchdog_timer, &d->retry_timer};
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
    } else {
        _cleanup_free_ char *conf = xasprintf("%s/corosync.conf", d->run_dir);
        d->corosync = cosup_new(d->loop, d->corosync_bin, conf, &cosup_hooks, d);
        if (cosup_start(d->corosync, d->cfg) < 0)
            shutdown_now(d, EXIT_FATAL);
    }
}

static int run(struct vigild *d)
{
    d->loop = uv_default_loop();
    d->events = eventlog_new(EVENTLOG_CAPACITY);
    adminctl_init(&d->admin, &d->gv, send_reply, d);
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
    d->local_node = ip_local_node(d->cfg);
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
    cfgctl_init(&d->cfgctl, &d->cs, &d->gv, d->cfg_path, send_reply, d);
    d->cl.status_extra = status_extra;
    d->cl.status_ctx = d;
    int r0 = proc_become_subreaper();
    if (r0 < 0)
        log_warn("cannot become a child subreaper: %s", strerror(-r0));
    d->local_node = ip_local_node(d->cfg);
    if (d->local_node < 0 && d->cfg->n_groups) {
        log_error("this machine has none of the node addresses listed in %s; cannot run groups",
                  d->cfg_path);
    } else if (d->local_node >= 0) {
        d->lrm = lrm_new(d->loop, d->cfg, (size_t)d->local_node, d->run_dir, &lrm_hooks, d);
        /* Agents find crm_master & co (the Pacemaker-compatible commands) first in PATH. */
        const char *compat = compat_dir();
        if (compat)
            lrm_set_compat_dir(d->lrm, compat);
        else
            log_warn("the Pacemaker-compatible commands (crm_master, crm_attribute, ...) are "
                     "not installed: agents that call them will fail");
        d->placer = placer_new(d->loop, &d->gv, d->cfg->nodes[d->local_node].name);
        for (size_t g = 0; g < d->cfg->n_groups; g++)
            lrm_set_managed(d->lrm, g, !db->groups[g].unmanaged);
        lrm_probe_all(d->lrm);
    }
    drain_init(&d->drain, &d->cl, &d->gv, d->lrm, d->local_node, &drain_hooks, send_reply, d);

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
    struct options o;
    int r = options_parse(argc, argv, &o);
    if (r <= 0)
        return r == 0 ? EXIT_OK : EXIT_CONFIG;
    log_init("vigild", o.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO, o.use_syslog);
    signal(SIGPIPE, SIG_IGN);

    struct vigild d = {
        .cfg_path = o.cfg_path,
        .socket_path = o.socket_path,
        .run_dir = o.run_dir,
        .state_dir = o.state_dir,
    };
    if (options_load_config(&o, &d.cfg, &d.cfg_text) < 0)
        return EXIT_CONFIG;
    if (o.check_only) {
        cfg_free(d.cfg);
        free(d.cfg_text);
        return EXIT_OK;
    }
    const char *bin = getenv("VIGIL_COROSYNC");
    d.corosync_bin = xstrdup(bin && *bin ? bin : "/usr/sbin/corosync");

    int code = run(&d);
    uv_run(d.loop, UV_RUN_DEFAULT); /* let closing handles finish */
    gview_done(&d.gv);
    cfgsync_done(&d.cs);
    cfgchange_done(&d.change);
    cfgctl_done(&d.cfgctl);
    drain_done(&d.drain);
    adminctl_done(&d.admin);
    free(d.cfg_text);
    cluster_done(&d.cl);
    eventlog_free(d.events);
    cfg_free(d.cfg);
    free(d.corosync_bin);
    uv_loop_close(d.loop);
    log_info("vigild exits with status %d", code);
    return code;
}
