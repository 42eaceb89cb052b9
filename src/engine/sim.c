#include "engine/sim.h"
#include "base/util.h"

#include <errno.h>
#include <string.h>

struct sim_engine;

enum ev_kind { EV_CONNECTED, EV_VIEW, EV_QUORUM, EV_DELIVER, EV_LINKS, EV_LOST };

/* One queued callback for one node. */
struct sim_ev {
    struct sim_ev *next;
    enum ev_kind kind;
    uint32_t to;   /* nodeid of the receiver */
    uint64_t gen;  /* the receiver's connection generation it belongs to */
    uint32_t from; /* EV_DELIVER */
    struct engine_quorum q;
    uint32_t members[SIM_MAX_NODES], joined[SIM_MAX_NODES], left[SIM_MAX_NODES];
    enum engine_leave left_reason[SIM_MAX_NODES];
    size_t n_members, n_joined, n_left;
    uint32_t nodes[SIM_MAX_NODES]; /* EV_LINKS */
    bool up[SIM_MAX_NODES * ENGINE_MAX_LINKS];
    size_t n_nodes;
    size_t len;
    char *data;
};

struct sim_engine {
    struct engine base;
    struct sim_net *net;
    uint32_t id;
    int group;
    bool connected;
    uint64_t gen;                 /* bumped at every (dis)connection: stale callbacks are dropped */
    uint32_t view[SIM_MAX_NODES]; /* the last view queued for it */
    size_t n_view;
    bool quorate;
    bool have_quorum;
};

struct sim_net {
    uint32_t expected;
    struct sim_engine *nodes[SIM_MAX_NODES];
    size_t n;
    struct sim_ev *head, *tail;
};

static void push(struct sim_net *net, struct sim_ev *ev)
{
    struct sim_engine *to = NULL;
    for (size_t i = 0; i < net->n; i++)
        if (net->nodes[i]->id == ev->to)
            to = net->nodes[i];
    ev->gen = to ? to->gen : 0;
    if (net->tail)
        net->tail->next = ev;
    else
        net->head = ev;
    net->tail = ev;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static bool has(const uint32_t *v, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == id)
            return true;
    return false;
}

/*
 * Recomputes every connected node's view and quorum; queues a view for each
 * node whose members changed and a quorum event where quorum changed.
 * why_left says how the nodes that left this round went.
 */
static void reconcile(struct sim_net *net, uint32_t gone, enum engine_leave gone_reason)
{
    for (size_t i = 0; i < net->n; i++) {
        struct sim_engine *me = net->nodes[i];
        if (!me->connected)
            continue;
        uint32_t members[SIM_MAX_NODES];
        size_t n = 0;
        for (size_t k = 0; k < net->n; k++)
            if (net->nodes[k]->connected && net->nodes[k]->group == me->group)
                members[n++] = net->nodes[k]->id;
        qsort(members, n, sizeof(*members), cmp_u32);
        bool same = n == me->n_view && memcmp(members, me->view, n * sizeof(*members)) == 0;
        if (!same) {
            struct sim_ev *ev = xcalloc(1, sizeof(*ev));
            ev->kind = EV_VIEW;
            ev->to = me->id;
            memcpy(ev->members, members, n * sizeof(*members));
            ev->n_members = n;
            for (size_t k = 0; k < n; k++)
                if (!has(me->view, me->n_view, members[k]))
                    ev->joined[ev->n_joined++] = members[k];
            for (size_t k = 0; k < me->n_view; k++)
                if (!has(members, n, me->view[k])) {
                    ev->left[ev->n_left] = me->view[k];
                    ev->left_reason[ev->n_left++] =
                        me->view[k] == gone ? gone_reason : ENGINE_LEAVE_NODEDOWN;
                }
            memcpy(me->view, members, n * sizeof(*members));
            me->n_view = n;
            push(net, ev);
        }
        uint32_t needed = net->expected / 2 + 1;
        bool quorate = n >= needed;
        if (!me->have_quorum || quorate != me->quorate || !same) {
            me->have_quorum = true;
            me->quorate = quorate;
            struct sim_ev *ev = xcalloc(1, sizeof(*ev));
            ev->kind = EV_QUORUM;
            ev->to = me->id;
            ev->q = (struct engine_quorum){.quorate = quorate,
                                           .total_votes = (uint32_t)n,
                                           .expected_votes = net->expected,
                                           .needed_votes = needed};
            push(net, ev);
        }
    }
}

static struct sim_engine *by_id(struct sim_net *net, uint32_t id)
{
    for (size_t i = 0; i < net->n; i++)
        if (net->nodes[i]->id == id)
            return net->nodes[i];
    return NULL;
}

static int sim_connect(struct engine *e)
{
    struct sim_engine *se = (struct sim_engine *)e;
    if (se->connected)
        return 0;
    se->connected = true;
    se->gen++;
    se->n_view = 0;
    se->have_quorum = false;
    struct sim_ev *ev = xcalloc(1, sizeof(*ev));
    ev->kind = EV_CONNECTED;
    ev->to = se->id;
    push(se->net, ev);
    reconcile(se->net, 0, ENGINE_LEAVE_OTHER);
    return 0;
}

static void drop(struct sim_engine *se)
{
    se->connected = false;
    se->gen++; /* callbacks queued for the old connection are dropped */
    se->n_view = 0;
    se->have_quorum = false;
}

static void sim_disconnect(struct engine *e)
{
    struct sim_engine *se = (struct sim_engine *)e;
    if (!se->connected)
        return;
    drop(se);
    reconcile(se->net, se->id, ENGINE_LEAVE_CLEAN);
}

static int sim_broadcast(struct engine *e, const void *msg, size_t len)
{
    struct sim_engine *se = (struct sim_engine *)e;
    if (!se->connected)
        return -ENOTCONN;
    /* Delivered, in this view, to every member of the sender's view (itself included). */
    for (size_t k = 0; k < se->n_view; k++) {
        struct sim_ev *ev = xcalloc(1, sizeof(*ev));
        ev->kind = EV_DELIVER;
        ev->to = se->view[k];
        ev->from = se->id;
        ev->len = len;
        ev->data = xmalloc(len + 1);
        memcpy(ev->data, msg, len);
        ev->data[len] = '\0';
        push(se->net, ev);
    }
    return 0;
}

static int sim_query_links(struct engine *e, const uint32_t *nodes, size_t n_nodes,
                           unsigned n_links)
{
    struct sim_engine *se = (struct sim_engine *)e;
    if (!se->connected)
        return -ENOTCONN;
    if (n_nodes > SIM_MAX_NODES || n_links > ENGINE_MAX_LINKS)
        return -EINVAL;
    struct sim_ev *ev = xcalloc(1, sizeof(*ev));
    ev->kind = EV_LINKS;
    ev->to = se->id;
    ev->n_nodes = n_nodes;
    for (size_t i = 0; i < n_nodes; i++) {
        ev->nodes[i] = nodes[i];
        struct sim_engine *peer = by_id(se->net, nodes[i]);
        bool up = peer && peer->connected && peer->group == se->group;
        for (unsigned k = 0; k < n_links; k++)
            ev->up[i * ENGINE_MAX_LINKS + k] = up;
    }
    push(se->net, ev);
    return 0;
}

static void sim_free(struct engine *e)
{
    struct sim_engine *se = (struct sim_engine *)e;
    struct sim_net *net = se->net;
    sim_disconnect(e);
    for (size_t i = 0; i < net->n; i++)
        if (net->nodes[i] == se) {
            net->nodes[i] = net->nodes[--net->n];
            break;
        }
    free(se);
}

static const struct engine_ops sim_ops = {
    .connect = sim_connect,
    .disconnect = sim_disconnect,
    .broadcast = sim_broadcast,
    .query_links = sim_query_links,
    .free = sim_free,
};

struct sim_net *sim_net_new(uint32_t expected_votes)
{
    struct sim_net *net = xcalloc(1, sizeof(*net));
    net->expected = expected_votes;
    return net;
}

static void ev_free(struct sim_ev *ev)
{
    free(ev->data);
    free(ev);
}

void sim_net_free(struct sim_net *net)
{
    if (!net)
        return;
    while (net->head) {
        struct sim_ev *ev = net->head;
        net->head = ev->next;
        ev_free(ev);
    }
    free(net);
}

struct engine *sim_engine_new(struct sim_net *net, uint32_t nodeid,
                              const struct engine_callbacks *cb, void *ctx)
{
    if (nodeid == 0 || net->n >= SIM_MAX_NODES || by_id(net, nodeid))
        return NULL;
    struct sim_engine *se = xcalloc(1, sizeof(*se));
    se->base.ops = &sim_ops;
    se->base.cb = cb;
    se->base.ctx = ctx;
    se->net = net;
    se->id = nodeid;
    net->nodes[net->n++] = se;
    return &se->base;
}

void sim_partition(struct sim_net *net, uint32_t nodeid, int group)
{
    struct sim_engine *se = by_id(net, nodeid);
    if (!se || se->group == group)
        return;
    se->group = group;
    reconcile(net, 0, ENGINE_LEAVE_NODEDOWN);
}

void sim_heal(struct sim_net *net)
{
    for (size_t i = 0; i < net->n; i++)
        net->nodes[i]->group = 0;
    reconcile(net, 0, ENGINE_LEAVE_NODEDOWN);
}

void sim_crash(struct sim_net *net, uint32_t nodeid)
{
    struct sim_engine *se = by_id(net, nodeid);
    if (!se || !se->connected)
        return;
    drop(se);
    struct sim_ev *ev = xcalloc(1, sizeof(*ev));
    ev->kind = EV_LOST;
    ev->to = se->id;
    ev->gen = se->gen; /* for the new generation: the loss itself is delivered */
    if (net->tail)
        net->tail->next = ev;
    else
        net->head = ev;
    net->tail = ev;
    reconcile(net, se->id, ENGINE_LEAVE_NODEDOWN);
}

size_t sim_run(struct sim_net *net)
{
    size_t delivered = 0;
    while (net->head) {
        struct sim_ev *ev = net->head;
        net->head = ev->next;
        if (!net->head)
            net->tail = NULL;
        struct sim_engine *to = by_id(net, ev->to);
        if (to && ev->gen == to->gen) {
            const struct engine_callbacks *cb = to->base.cb;
            void *ctx = to->base.ctx;
            delivered++;
            switch (ev->kind) {
            case EV_CONNECTED:
                cb->connected(ctx, to->id);
                break;
            case EV_VIEW: {
                struct engine_view v = {ev->members, ev->n_members,   ev->joined, ev->n_joined,
                                        ev->left,    ev->left_reason, ev->n_left};
                cb->view(ctx, &v);
                break;
            }
            case EV_QUORUM:
                cb->quorum(ctx, &ev->q);
                break;
            case EV_DELIVER:
                cb->deliver(ctx, ev->from, ev->data, ev->len);
                break;
            case EV_LINKS: {
                struct engine_links l = {ev->nodes, ev->n_nodes, ev->up};
                cb->links(ctx, &l);
                break;
            }
            case EV_LOST:
                cb->lost(ctx, -ECONNRESET);
                break;
            }
        }
        ev_free(ev);
    }
    return delivered;
}
