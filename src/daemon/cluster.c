#include "daemon/cluster.h"
#include "daemon/peer.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *engine_state_name(enum engine_state s)
{
    static const char *const names[ENGINE_STATE_MAX] = {"starting", "running", "lost", "stopped"};
    return s < ENGINE_STATE_MAX ? names[s] : "unknown";
}

void cluster_init(struct cluster *cl, const struct cfg *cfg, struct eventlog *events)
{
    memset(cl, 0, sizeof(*cl));
    cl->cfg = cfg;
    cl->events = events;
    cl->engine_state = ENGINE_STARTING;
    cl->nodes = xcalloc(cfg->n_nodes, sizeof(*cl->nodes));
    for (size_t i = 0; i < cfg->n_nodes; i++) {
        cl->nodes[i].fence = FENCE_STATE_UNCLEAN;
        cl->nodes[i].unseen = true;
    }
}

const char *fence_state_name(enum fence_state s)
{
    static const char *const names[FENCE_STATE_MAX] = {"clean", "unclean", "fenced"};
    return s < FENCE_STATE_MAX ? names[s] : "unknown";
}

static void set_note(struct node_view *nv, char *note)
{
    free(nv->fence_note);
    nv->fence_note = note;
    nv->fence_ts_ms = time_wall_ms();
}

void cluster_done(struct cluster *cl)
{
    if (cl->nodes && cl->cfg)
        for (size_t i = 0; i < cl->cfg->n_nodes; i++) {
            free(cl->nodes[i].version);
            free(cl->nodes[i].fence_note);
        }
    free(cl->nodes);
    cl->nodes = NULL;
}

int cluster_node_index_by_name(const struct cluster *cl, const char *name)
{
    const struct cfg_node *n = cfg_node_by_name(cl->cfg, name);
    return n ? (int)(n - cl->cfg->nodes) : -1;
}

static void apply_fence_result(struct cluster *cl, struct node_view *nv, const char *name,
                               const char *by, const struct peer_msg *m)
{
    nv->fencing = false;
    if (m->fence.ok) {
        if (nv->online)
            nv->fenced_online = true;
        else
            nv->fence = FENCE_STATE_FENCED;
        nv->fence_failures = 0;
        set_note(nv, xasprintf("fenced by %s: %s", by, m->fence.reason ? m->fence.reason : "ok"));
        eventlog_add(cl->events, EV_FENCE_SUCCEEDED, name, NULL, "%s",
                     m->fence.reason ? m->fence.reason : "fenced");
        return;
    }
    nv->fence_failures++;
    set_note(nv, xasprintf("fencing failed (%u time%s): %s", nv->fence_failures,
                           nv->fence_failures == 1 ? "" : "s",
                           m->fence.reason ? m->fence.reason : "every level failed"));
    eventlog_add(cl->events, EV_FENCE_FAILED, name, NULL,
                 "%s; %s stays unclean and will be tried again",
                 m->fence.reason ? m->fence.reason : "fencing failed on every level", name);
}

int cluster_apply_fence(struct cluster *cl, uint32_t from, const struct peer_msg *m)
{
    char buf[32];
    const char *by = cluster_node_name(cl, from, buf);
    if (m->fence.op == PEER_FENCE_STATE) {
        if (from != cl->coordinator)
            return 0;
        /*
         * The coordinator's list is the truth for offline nodes: listed ones are
         * unclean (still unseen if it says so); a node this member never saw
         * but the coordinator did not list is clean (the coordinator saw it).
         */
        bool *listed = xcalloc(cl->cfg->n_nodes ? cl->cfg->n_nodes : 1, sizeof(bool));
        for (size_t k = 0; k < m->fence.n_unclean; k++) {
            int i = cluster_node_index_by_name(cl, m->fence.unclean[k]);
            if (i < 0 || cl->nodes[i].online)
                continue;
            listed[i] = true;
            if (cl->nodes[i].fence == FENCE_STATE_CLEAN)
                cl->nodes[i].fence = FENCE_STATE_UNCLEAN;
            bool unseen = false;
            for (size_t u = 0; u < m->fence.n_unseen; u++)
                unseen |= strcmp(m->fence.unseen[u], m->fence.unclean[k]) == 0;
            cl->nodes[i].unseen = cl->nodes[i].unseen && unseen;
        }
        for (size_t i = 0; i < cl->cfg->n_nodes; i++) {
            if (!listed[i] && !cl->nodes[i].online && cl->nodes[i].unseen) {
                cl->nodes[i].unseen = false;
                cl->nodes[i].fence = FENCE_STATE_CLEAN;
            }
        }
        free(listed);
        return 0;
    }
    int i = cluster_node_index_by_name(cl, m->fence.node);
    if (i < 0)
        return -ENOENT;
    struct node_view *nv = &cl->nodes[i];
    const char *name = cl->cfg->nodes[i].name;
    switch (m->fence.op) {
    case PEER_FENCE_REQUEST:
        eventlog_add(cl->events, EV_FENCE_REQUESTED, name, NULL,
                     "an administrator on %s asked to fence %s (%s)", by, name,
                     m->fence.action ? m->fence.action : "off");
        break;
    case PEER_FENCE_START:
        nv->fencing = true;
        eventlog_add(cl->events, EV_FENCE_REQUESTED, name, NULL, "%s is fencing %s (%s)", by, name,
                     m->fence.action ? m->fence.action : "off");
        break;
    case PEER_FENCE_ATTEMPT:
        eventlog_add(cl->events, EV_FENCE_ATTEMPT, name, NULL,
                     "fencing %s: level %u, device %s, attempt %u: %s%s%s", name, m->fence.level,
                     m->fence.device, m->fence.attempt, m->fence.outcome,
                     m->fence.reason ? ": " : "", m->fence.reason ? m->fence.reason : "");
        break;
    case PEER_FENCE_RESULT:
        apply_fence_result(cl, nv, name, by, m);
        break;
    case PEER_FENCE_CONFIRM:
        nv->fencing = false;
        if (!nv->online)
            nv->fence = FENCE_STATE_FENCED;
        set_note(nv, xasprintf("confirmed off by an administrator on %s", by));
        eventlog_add(cl->events, EV_FENCE_CONFIRMED, name, NULL,
                     "an administrator on %s confirmed that %s is off; it counts as fenced", by,
                     name);
        break;
    default:
        break;
    }
    return 0;
}

int cluster_node_index(const struct cluster *cl, uint32_t id)
{
    const struct cfg_node *n = cfg_node_by_id(cl->cfg, id);
    return n ? (int)(n - cl->cfg->nodes) : -1;
}

const char *cluster_node_name(const struct cluster *cl, uint32_t id, char buf[static 32])
{
    int i = cluster_node_index(cl, id);
    if (i >= 0)
        return cl->cfg->nodes[i].name;
    snprintf(buf, 32, "node-id-%u", id);
    return buf;
}

/* The coordinator is the lowest node id among the members of a quorate partition. */
static void recompute_coordinator(struct cluster *cl)
{
    uint32_t c = 0;
    if (cl->quorate && cl->engine_state == ENGINE_RUNNING)
        for (size_t i = 0; i < cl->cfg->n_nodes; i++)
            if (cl->nodes[i].online && (c == 0 || cl->cfg->nodes[i].id < c))
                c = cl->cfg->nodes[i].id;
    if (c == cl->coordinator)
        return;
    cl->coordinator = c;
    /* An operation of the old coordinator ends with it; the new one starts afresh. */
    for (size_t i = 0; i < cl->cfg->n_nodes; i++)
        cl->nodes[i].fencing = false;
    char buf[32];
    if (c)
        eventlog_add(cl->events, EV_COORDINATOR_CHANGED, cluster_node_name(cl, c, buf), NULL,
                     "%s is now the coordinator", cluster_node_name(cl, c, buf));
    else
        eventlog_add(cl->events, EV_COORDINATOR_CHANGED, NULL, NULL,
                     "no coordinator: this partition is not quorate");
}

void cluster_engine_connected(struct cluster *cl, uint32_t local_id)
{
    bool was_lost = cl->engine_state == ENGINE_LOST;
    cl->local_id = local_id;
    cl->engine_state = ENGINE_RUNNING;
    if (was_lost)
        eventlog_add(cl->events, EV_ENGINE_RESTORED, NULL, NULL,
                     "connection to Corosync restored (restart %u)", cl->engine_restarts);
}

void cluster_engine_lost(struct cluster *cl, const char *why)
{
    if (cl->engine_state == ENGINE_LOST || cl->engine_state == ENGINE_STOPPED)
        return;
    bool was_running = cl->engine_state == ENGINE_RUNNING;
    cl->engine_state = ENGINE_LOST;
    if (was_running)
        eventlog_add(cl->events, EV_ENGINE_LOST, NULL, NULL,
                     "lost the connection to Corosync: %s; this node is out of the cluster", why);
    for (size_t i = 0; i < cl->cfg->n_nodes; i++) {
        cl->nodes[i].online = false;
        memset(cl->nodes[i].link_up, 0, sizeof(cl->nodes[i].link_up));
    }
    if (cl->quorate) {
        cl->quorate = false;
        eventlog_add(cl->events, EV_QUORUM_LOST, NULL, NULL, "quorum lost: the engine is gone");
    }
    memset(&cl->votes, 0, sizeof(cl->votes));
    cl->lowest_member = 0;
    recompute_coordinator(cl);
}

static bool id_in(uint32_t id, const uint32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == id)
            return true;
    return false;
}

void cluster_apply_view(struct cluster *cl, const struct engine_view *v)
{
    cl->lowest_member = 0;
    for (size_t i = 0; i < cl->cfg->n_nodes; i++) {
        uint32_t id = cl->cfg->nodes[i].id;
        if (id_in(id, v->members, v->n_members) && (!cl->lowest_member || id < cl->lowest_member))
            cl->lowest_member = id;
    }
    for (size_t i = 0; i < cl->cfg->n_nodes; i++) {
        struct node_view *nv = &cl->nodes[i];
        const struct cfg_node *cn = &cl->cfg->nodes[i];
        bool now = id_in(cn->id, v->members, v->n_members);
        if (now == nv->online)
            continue;
        nv->online = now;
        if (now) {
            /* Links start as up for a peer we can hear; the next poll corrects them. */
            for (size_t k = 0; k < cl->cfg->n_networks; k++)
                nv->link_up[k] = true;
            const char *was = nv->fence == FENCE_STATE_UNCLEAN  ? " (it had not been fenced)"
                              : nv->fence == FENCE_STATE_FENCED ? " after being fenced"
                                                                : "";
            eventlog_add(cl->events, EV_NODE_JOINED, cn->name, NULL,
                         "node %s (id %u) joined the cluster%s", cn->name, cn->id, was);
            nv->fence = FENCE_STATE_CLEAN;
            nv->unseen = false;
            nv->fencing = nv->fenced_online = false;
            nv->fence_failures = 0;
            continue;
        }
        memset(nv->link_up, 0, sizeof(nv->link_up));
        free(nv->version);
        nv->version = NULL;
        const char *why = "left the membership";
        bool clean = false;
        for (size_t k = 0; k < v->n_left; k++)
            if (v->left[k] == cn->id) {
                clean = v->left_reason[k] == ENGINE_LEAVE_CLEAN;
                why = clean                                        ? "left cleanly"
                      : v->left_reason[k] == ENGINE_LEAVE_PROCDOWN ? "left: its vigild died"
                      : v->left_reason[k] == ENGINE_LEAVE_NODEDOWN ? "left: node lost"
                                                                   : "left the membership";
            }
        /* Anything but a clean shutdown leaves the node unclean until it is fenced. */
        nv->fence = clean               ? FENCE_STATE_CLEAN
                    : nv->fenced_online ? FENCE_STATE_FENCED
                                        : FENCE_STATE_UNCLEAN;
        nv->fenced_online = false;
        eventlog_add(cl->events, EV_NODE_LEFT, cn->name, NULL, "node %s (id %u) %s%s", cn->name,
                     cn->id, why,
                     nv->fence == FENCE_STATE_UNCLEAN
                         ? "; it is unclean: nothing of it is recovered until it is fenced"
                         : "");
    }
    recompute_coordinator(cl);
}

void cluster_apply_quorum(struct cluster *cl, const struct engine_quorum *q)
{
    bool was = cl->quorate;
    cl->votes = *q;
    cl->quorate = q->quorate;
    if (q->quorate && !was)
        eventlog_add(cl->events, EV_QUORUM_GAINED, NULL, NULL,
                     "quorum gained: %u of %u votes (%u needed)", q->total_votes, q->expected_votes,
                     q->needed_votes);
    else if (!q->quorate && was)
        eventlog_add(cl->events, EV_QUORUM_LOST, NULL, NULL,
                     "quorum lost: %u of %u votes (%u needed); this partition may not run or "
                     "recover services",
                     q->total_votes, q->expected_votes, q->needed_votes);
    recompute_coordinator(cl);
}

static void set_link(struct cluster *cl, size_t node, size_t net, bool up)
{
    struct node_view *nv = &cl->nodes[node];
    if (nv->link_up[net] == up)
        return;
    nv->link_up[net] = up;
    const char *name = cl->cfg->nodes[node].name, *netname = cl->cfg->networks[net].name;
    bool local = cl->cfg->nodes[node].id == cl->local_id;
    eventlog_add(cl->events, up ? EV_LINK_UP : EV_LINK_DOWN, name, netname,
                 local ? "this node's heartbeat network %s is %s" : "link to %s on %s is %s",
                 local ? netname : name, local ? (up ? "up" : "down") : netname,
                 up ? "up" : "down");
}

int cluster_query_links(struct cluster *cl, struct engine *e)
{
    if (cl->engine_state != ENGINE_RUNNING)
        return -ENOTCONN;
    uint32_t ids[CFG_MAX_NODES];
    size_t n = 0;
    for (size_t i = 0; i < cl->cfg->n_nodes && n < CFG_MAX_NODES; i++)
        if (cl->nodes[i].online && cl->cfg->nodes[i].id != cl->local_id)
            ids[n++] = cl->cfg->nodes[i].id;
    return engine_query_links(e, ids, n, (unsigned)cl->cfg->n_networks);
}

void cluster_apply_links(struct cluster *cl, const struct engine_links *l)
{
    if (cl->engine_state != ENGINE_RUNNING)
        return;
    bool any_up[CFG_MAX_NETWORKS] = {false};
    bool any_peer = false;
    for (size_t j = 0; j < l->n_nodes; j++) {
        int i = cluster_node_index(cl, l->nodes[j]);
        /* A node that left while the query ran keeps its links down. */
        if (i < 0 || !cl->nodes[i].online || l->nodes[j] == cl->local_id)
            continue;
        any_peer = true;
        for (size_t k = 0; k < cl->cfg->n_networks; k++) {
            bool up = l->up[j * ENGINE_MAX_LINKS + k];
            any_up[k] |= up;
            set_link(cl, (size_t)i, k, up);
        }
    }
    /* Our own side of a network counts as up while any peer is reachable over it. */
    int local = cluster_node_index(cl, cl->local_id);
    if (local >= 0)
        for (size_t k = 0; k < cl->cfg->n_networks; k++)
            set_link(cl, (size_t)local, k, any_peer ? any_up[k] : true);
}

void cluster_apply_hello(struct cluster *cl, uint32_t nodeid, const char *version,
                         uint64_t cfg_hash, uint32_t protocol)
{
    int i = cluster_node_index(cl, nodeid);
    if (i < 0)
        return;
    struct node_view *nv = &cl->nodes[i];
    free(nv->version);
    nv->version = xstrdup(version);
    /* Kept for status; configuration versions are compared by the replicated configuration. */
    nv->cfg_hash = cfg_hash;
    nv->protocol = protocol;
}

json_t *cluster_status_json(const struct cluster *cl)
{
    const struct cfg *c = cl->cfg;
    struct cfg_timers t;
    cfg_derive_timers(c, &t);
    char buf[32];

    json_t *nets = json_array();
    for (size_t k = 0; k < c->n_networks; k++)
        json_array_append_new(nets, json_string(c->networks[k].name));

    json_t *nodes = json_array();
    for (size_t i = 0; i < c->n_nodes; i++) {
        const struct node_view *nv = &cl->nodes[i];
        json_t *links = json_array();
        for (size_t k = 0; k < c->n_networks; k++)
            json_array_append_new(links, json_pack("{s:s, s:b}", "network", c->networks[k].name,
                                                   "up", nv->online && nv->link_up[k]));
        json_t *node = json_pack(
            "{s:s, s:I, s:s, s:b, s:s?, s:o}", "name", c->nodes[i].name, "id",
            (json_int_t)c->nodes[i].id, "state", nv->online ? "online" : "offline", "local",
            c->nodes[i].id == cl->local_id, "version", nv->version, "links", links);
        if (nv->protocol)
            json_object_set_new(node, "protocol", json_integer(nv->protocol));
        json_object_set_new(node, "fence",
                            json_pack("{s:s, s:b, s:s?, s:I}", "state", fence_state_name(nv->fence),
                                      "running", nv->fencing, "note", nv->fence_note, "failures",
                                      (json_int_t)nv->fence_failures));
        json_array_append_new(nodes, node);
    }

    const char *local = cl->local_id ? cluster_node_name(cl, cl->local_id, buf) : NULL;
    char cbuf[32];
    const char *coord = cl->coordinator ? cluster_node_name(cl, cl->coordinator, cbuf) : NULL;
    json_t *st = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:I}, s:b, s:{s:I, s:I, s:I}, s:s?, s:I, s:s?, s:{s:I, s:I, "
        "s:I}, s:o, s:o}",
        "cluster", c->cluster_name, "version", VIGIL_VERSION, "engine", "mode",
        cfg_engine_name(c->engine), "state", engine_state_name(cl->engine_state), "restarts",
        (json_int_t)cl->engine_restarts, "quorate", cl->quorate, "votes", "total",
        (json_int_t)cl->votes.total_votes, "expected", (json_int_t)cl->votes.expected_votes,
        "needed", (json_int_t)cl->votes.needed_votes, "local_node", local, "local_node_id",
        (json_int_t)cl->local_id, "coordinator", coord, "heartbeat", "interval_ms",
        (json_int_t)c->interval_ms, "misses", (json_int_t)c->misses, "token_ms",
        (json_int_t)t.token_ms, "networks", nets, "nodes", nodes);
    json_object_set_new(st, "protocol", json_integer(PEER_PROTO_VERSION));
    json_object_set_new(st, "fencing",
                        json_pack("{s:b, s:b, s:s}", "enabled", c->fence_enabled, "unsafe_recovery",
                                  c->fence_unsafe_recovery, "action",
                                  c->fence_action == CFG_FENCE_REBOOT ? "reboot" : "off"));
    if (cl->status_extra)
        cl->status_extra(cl->status_ctx, st);
    else
        json_object_set_new(st, "groups", json_array());
    return st;
}

bool cluster_lowest_member_is_local(const struct cluster *cl)
{
    return !cl->local_id || !cl->lowest_member || cl->lowest_member == cl->local_id;
}
