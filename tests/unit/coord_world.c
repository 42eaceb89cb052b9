/* The world of the coordinator's tests: see coord_world.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "coord_world.h"

const char *const COORD_YAML =
    COORD_YAML_HEAD "groups:\n"
                    "  - name: web\n"
                    "    domain: [n1, n2, n3]\n"
                    "    restarts: {max: 2, within: 10min}\n"
                    "    resources:\n"
                    "      - {name: www, type: process, command: [/bin/sleep, '1000']}\n"
                    "  - name: db\n"
                    "    domain: [n3, n2]\n"
                    "    resources:\n"
                    "      - {name: pg, type: process, command: [/bin/sleep, '1000']}\n";

uint64_t fake_mono = 5000000, fake_wall = 1700000000000;
int64_t wall_skew;
static uint64_t mono_clock(void)
{
    return fake_mono;
}
static uint64_t wall_clock(void)
{
    return (uint64_t)((int64_t)fake_wall + wall_skew);
}

void report(struct node *n, size_t g)
{
    if (!n->alive || !n->cl.local_id)
        return;
    const struct cfg_group *cg = &n->w->cfg->groups[g];
    uint8_t rs[CFG_MAX_RESOURCES];
    for (size_t r = 0; r < cg->n_resources; r++) {
        bool on = n->run[g] && (cg->resources[r].role != CFG_ROLE_PRIMARY || n->prom[g]);
        rs[r] = (uint8_t)(on ? RES_ST_RUNNING : RES_ST_STOPPED);
        if (n->obs[g] == POL_OBS_STOP_FAILED)
            rs[r] = RES_ST_STOP_FAILED;
    }
    json_t *b = gview_report_body(&n->gv, g, n->obs[g], rs, n->prom[g], n->leaving);
    size_t len;
    char *msg = peer_encode_group(PEER_G_REPORT, b, &len);
    json_decref(b);
    engine_broadcast(n->engine, msg, len);
    free(msg);
}

int h_send(void *ctx, enum peer_group_kind k, json_t *body)
{
    struct node *n = ctx;
    size_t len;
    char *msg = peer_encode_group(k, body, &len);
    int r = engine_broadcast(n->engine, msg, len);
    free(msg);
    return r;
}

void coord_trace(struct world *w, int i, const char *what)
{
    size_t len = strlen(w->trace);
    snprintf(w->trace + len, sizeof(w->trace) - len, "%sn%d:%s", len ? " " : "", i + 1, what);
}

/* Whether the trace has group cg's actions: its copies are notified (notify and an ocf agent). */
static bool traced(const struct cfg_group *cg)
{
    for (size_t r = 0; cg->notify && r < cg->n_resources; r++)
        if (cg->resources[r].type == CFG_RES_OCF)
            return true;
    return false;
}

static void h_local_action(void *ctx, size_t g, enum pol_action_type op)
{
    struct node *n = ctx;
    if (n->deaf)
        return;
    if (traced(&n->w->cfg->groups[g]) && (op != POL_STOP || n->run[g]))
        coord_trace(n->w, n->idx, pol_action_name(op));
    if (op == POL_PROMOTE) {
        assert_int_equal(n->obs[g], POL_OBS_RUNNING); /* only a running replica is promoted */
        n->promotes[g]++;
        n->obs[g] = POL_OBS_PROMOTING;
        n->prom[g] = true;
        report(n, g);
        n->obs[g] = POL_OBS_PRIMARY;
    } else if (op == POL_DEMOTE) {
        n->demotes[g]++;
        n->obs[g] = POL_OBS_DEMOTING;
        report(n, g);
        n->prom[g] = false;
        n->obs[g] = POL_OBS_RUNNING;
    } else if (op == POL_START) {
        n->starts[g]++;
        n->obs[g] = POL_OBS_STARTING;
        report(n, g);
        n->run[g] = true;
        n->obs[g] = POL_OBS_RUNNING;
    } else if (n->stop_fails[g]) {
        n->obs[g] = POL_OBS_STOP_FAILED;
    } else {
        n->run[g] = false;
        n->prom[g] = false;
        n->obs[g] = POL_OBS_STOPPED;
    }
    report(n, g);
}

/* The fake executor notifies at once, writes down what it was told, and answers. */
static void h_local_notify(void *ctx, size_t g, const struct res_notify *rn, struct act_id id)
{
    struct node *n = ctx;
    static const char *const lists[RES_NL_MAX] = {"active",  "inactive", "start",    "stop",
                                                  "promote", "demote",   "promoted", "unpromoted"};
    char what[32], *b = n->notified[g];
    size_t sz = sizeof(n->notified[g]), len;
    snprintf(what, sizeof(what), "%s-%s", rn->post ? "post" : "pre", res_op_name(rn->op));
    coord_trace(n->w, n->idx, what);
    n->notifies[g]++;
    snprintf(b, sz, "%s", what);
    for (int l = 0; l < RES_NL_MAX; l++) {
        if (!rn->n[l])
            continue;
        len = strlen(b);
        snprintf(b + len, sz - len, " %s=", lists[l]);
        for (size_t i = 0; i < rn->n[l]; i++) {
            len = strlen(b);
            snprintf(b + len, sz - len, "%s%s", i ? "," : "",
                     n->w->cfg->nodes[rn->nodes[l][i]].name);
        }
    }
    if (n->notify_deaf || n->deaf)
        return;
    const struct cfg_group *cg = &n->w->cfg->groups[g];
    uint8_t rs[CFG_MAX_RESOURCES];
    for (size_t r = 0; r < cg->n_resources; r++)
        rs[r] = (uint8_t)(n->run[g] && (cg->resources[r].role != CFG_ROLE_PRIMARY || n->prom[g])
                              ? RES_ST_RUNNING
                              : RES_ST_STOPPED);
    json_t *body = gview_report_body(&n->gv, g, n->obs[g], rs, n->prom[g], n->leaving);
    gview_report_notified(body, id);
    size_t mlen;
    char *msg = peer_encode_group(PEER_G_REPORT, body, &mlen);
    json_decref(body);
    engine_broadcast(n->engine, msg, mlen);
    free(msg);
}

static void h_rereport(void *ctx, size_t g)
{
    struct node *n = ctx;
    for (size_t i = 0; i < n->w->ng; i++)
        if (g == SIZE_MAX || g == i)
            report(n, i);
}

static void h_replan(void *ctx)
{
    ((struct node *)ctx)->want_plan = true;
}

static void h_intent_done(void *ctx, uint64_t id, bool ok, const char *msg)
{
    struct node *n = ctx;
    n->done_id = id;
    n->done_ok = ok;
}

static void h_attr_done(void *ctx, uint64_t id, bool ok, const char *msg)
{
    struct node *n = ctx;
    n->attr_id = id;
    n->attr_ok = ok;
    snprintf(n->attr_msg, sizeof(n->attr_msg), "%s", msg ? msg : "");
}

/* Fencing, as the fencer would do it: power the node off, broadcast the result. */
static void fence_node(struct node *by, size_t target)
{
    struct world *w = by->w;
    struct node *t = &w->nodes[target];
    w->fences++;
    if (t->alive) {
        sim_crash(w->net, (uint32_t)target + 1);
        t->alive = false;
    }
    memset(t->run, 0, sizeof(t->run));
    memset(t->prom, 0, sizeof(t->prom));
    struct peer_msg m = {.type = PEER_FENCE};
    m.fence.op = PEER_FENCE_RESULT;
    m.fence.node = (char *)(uintptr_t)w->cfg->nodes[target].name;
    m.fence.ok = true;
    m.fence.level = 1;
    size_t len;
    char *msg = peer_encode_fence(&m, &len);
    engine_broadcast(by->engine, msg, len);
    free(msg);
}

static void h_fence(void *ctx, size_t node, const char *reason)
{
    struct node *n = ctx;
    if ((int)node == n->idx) {
        /* The coordinator cannot fence itself: it leaves uncleanly (still running). */
        sim_crash(n->w->net, (uint32_t)node + 1);
        n->alive = false;
        return;
    }
    fence_node(n, node);
}

static const struct gview_hooks hooks = {
    .send = h_send,
    .local_action = h_local_action,
    .rereport = h_rereport,
    .replan = h_replan,
    .intent_done = h_intent_done,
    .fence = h_fence,
    .attr_done = h_attr_done,
    .local_notify = h_local_notify,
};

static void on_connected(void *ctx, uint32_t id)
{
    cluster_engine_connected(&((struct node *)ctx)->cl, id);
}
static void on_view(void *ctx, const struct engine_view *v)
{
    struct node *n = ctx;
    cluster_apply_view(&n->cl, v);
    gview_membership(&n->gv, v);
    if (v->n_joined) { /* as vigild does: a hello whenever a member joins */
        size_t len;
        char *msg = peer_encode_hello(n->cl.local_id, n->w->cfg->nodes[n->idx].name, "test",
                                      n->cl.cfg_hash, &len);
        engine_broadcast(n->engine, msg, len);
        free(msg);
    }
}
static void on_ring(void *ctx, uint32_t a, uint64_t b)
{
}
static void on_quorum(void *ctx, const struct engine_quorum *q)
{
    struct node *n = ctx;
    cluster_apply_quorum(&n->cl, q);
    gview_quorum(&n->gv);
    n->want_plan = true;
}
static void on_deliver(void *ctx, uint32_t from, const void *data, size_t len)
{
    struct node *n = ctx;
    struct peer_msg m;
    char *err = NULL;
    if (peer_decode(from, data, len, &m, &err) < 0) {
        fail_msg("undecodable message: %s", err);
        return;
    }
    if (m.type == PEER_HELLO)
        cluster_apply_hello(&n->cl, from, m.hello.version, m.hello.cfg_hash, m.proto);
    if (m.type == PEER_FENCE) {
        cluster_apply_fence(&n->cl, from, &m);
        int i = cluster_node_index_by_name(&n->cl, m.fence.node);
        if (i >= 0 && n->cl.nodes[i].fence == FENCE_STATE_FENCED)
            gview_node_fenced(&n->gv, (size_t)i);
    } else if (m.type == PEER_GROUP) {
        if (gview_deliver(&n->gv, from, m.group.kind, m.group.body, &err) < 0)
            fail_msg("group message refused: %s", err);
    }
    free(err);
    peer_msg_clear(&m);
}
static void on_links(void *ctx, const struct engine_links *l)
{
}
static void on_lost(void *ctx, int err)
{
    struct node *n = ctx;
    cluster_engine_lost(&n->cl, strerror(-err));
    gview_engine_lost(&n->gv);
}

static const struct engine_callbacks cb = {on_connected, on_view,  on_ring, on_quorum,
                                           on_deliver,   on_links, on_lost};

static void check_one_copy(struct world *w)
{
    for (size_t g = 0; g < w->ng; g++) {
        const struct cfg_group *cg = &w->cfg->groups[g];
        int running = copies_running(w, g),
            most = cg->kind == CFG_KIND_SINGLE ? 1 : (int)cg->copies;
        if (running > most)
            fail_msg("group %s runs on %d nodes", cg->name, running);
        int prim = primaries_now(w, g);
        if (prim > (cg->kind == CFG_KIND_PROMOTABLE ? (int)cg->primaries : 0))
            fail_msg("group %s is primary on %d nodes", cg->name, prim);
    }
}

int copies_running(struct world *w, size_t g)
{
    int k = 0;
    for (int i = 0; i < N; i++)
        k += w->nodes[i].run[g];
    return k;
}

int primaries_now(struct world *w, size_t g)
{
    int k = 0;
    for (int i = 0; i < N; i++) /* a crashed node not fenced yet keeps its role */
        k += w->nodes[i].prom[g];
    return k;
}

int primary_of(struct world *w, size_t g)
{
    int at = -1;
    for (int i = 0; i < N; i++)
        if (w->nodes[i].prom[g])
            at = i;
    return at;
}

void settle(struct world *w)
{
    for (int iter = 0; iter < 500; iter++) {
        size_t moved = sim_run(w->net);
        check_one_copy(w);
        bool any = false;
        for (int i = 0; i < N; i++) {
            struct node *n = &w->nodes[i];
            if (!n->alive)
                continue;
            /* A node without quorum stops its groups (no_quorum: stop). */
            if (!n->cl.quorate)
                for (size_t g = 0; g < w->ng; g++)
                    if (n->run[g]) {
                        n->run[g] = false;
                        n->prom[g] = false;
                        n->obs[g] = POL_OBS_STOPPED;
                        report(n, g);
                        any = true;
                    }
            if (n->want_plan) {
                n->want_plan = false;
                gview_coordinate(&n->gv, true);
                any = true;
            }
            /* The coordinator's fencer fences unclean nodes. */
            if (w->auto_fence && n->cl.quorate && n->cl.coordinator == n->cl.local_id)
                for (size_t t = 0; t < N; t++)
                    if (!n->cl.nodes[t].online && n->cl.nodes[t].fence == FENCE_STATE_UNCLEAN) {
                        fence_node(n, t);
                        any = true;
                    }
        }
        if (!moved && !any)
            return;
    }
    fail_msg("the cluster did not settle");
}

void node_up(struct world *w, int i)
{
    struct node *n = &w->nodes[i];
    n->w = w;
    n->idx = i;
    n->alive = true;
    n->events = eventlog_new(1000);
    cluster_init(&n->cl, w->cfg, n->events);
    gview_init(&n->gv, w->cfg, &n->cl, n->events, db_new(w->cfg), NULL, &hooks, n);
    n->gv.mono_ms = mono_clock;
    n->gv.wall_ms = wall_clock;
    for (size_t g = 0; g < w->ng; g++)
        n->obs[g] = POL_OBS_STOPPED; /* probed: nothing runs */
    n->engine = sim_engine_new(w->net, (uint32_t)i + 1, &cb, n);
    engine_connect(n->engine);
}

void node_down(struct node *n)
{
    engine_free(n->engine);
    gview_done(&n->gv);
    cluster_done(&n->cl);
    eventlog_free(n->events);
    memset(n->run, 0, sizeof(n->run));
    memset(n->prom, 0, sizeof(n->prom));
    n->alive = false;
    n->engine = NULL;
    n->events = NULL;
}

int coord_setup_yaml(void **state, const char *yaml)
{
    struct world *w = xcalloc(1, sizeof(*w));
    struct cfg_diags d;
    cfg_diags_init(&d);
    if (cfg_load_string(yaml, strlen(yaml), "sim.yaml", 0, &w->cfg, &d) < 0) {
        cfg_diags_print(&d, stderr);
        cfg_diags_clear(&d);
        free(w);
        return -1;
    }
    cfg_diags_clear(&d);
    assert_int_equal(w->cfg->n_nodes, N);
    assert_true(w->cfg->n_groups <= COORD_MAX_GROUPS);
    w->ng = w->cfg->n_groups;
    w->net = sim_net_new(N);
    w->auto_fence = true;
    fake_mono = 5000000;
    fake_wall = 1700000000000;
    wall_skew = 0;
    for (int i = 0; i < N; i++)
        node_up(w, i);
    settle(w);
    *state = w;
    return 0;
}

int coord_setup(void **state)
{
    return coord_setup_yaml(state, COORD_YAML);
}

int coord_teardown(void **state)
{
    struct world *w = *state;
    for (int i = 0; i < N; i++)
        if (w->nodes[i].engine || w->nodes[i].events)
            node_down(&w->nodes[i]);
    sim_net_free(w->net);
    cfg_free(w->cfg);
    free(w);
    return 0;
}

int runs_on(struct world *w, size_t g)
{
    int at = -1;
    for (int i = 0; i < N; i++)
        if (w->nodes[i].run[g])
            at = i;
    return at;
}

void assert_obs_everywhere(struct world *w, size_t g, int n, enum pol_obs obs)
{
    for (int i = 0; i < N; i++)
        if (w->nodes[i].alive && w->nodes[i].cl.quorate)
            assert_int_equal(gview_at(&w->nodes[i].gv, g, (size_t)n)->obs, obs);
}

size_t coord_group(struct world *w, const char *name)
{
    const struct cfg_group *g = cfg_group_by_name(w->cfg, name);
    assert_non_null(g);
    return cfg_group_index(w->cfg, g);
}

int events_of(struct node *n, int type, const char *group, const char *node)
{
    json_t *arr = eventlog_since_json(n->events, 0);
    int k = 0;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        const char *t = json_string_value(json_object_get(e, "type"));
        const char *gr = json_string_value(json_object_get(e, "group"));
        const char *nd = json_string_value(json_object_get(e, "node"));
        if (strcmp(t, event_type_name((enum event_type)type)) == 0 &&
            (!group || (gr && strcmp(gr, group) == 0)) && (!node || (nd && strcmp(nd, node) == 0)))
            k++;
    }
    json_decref(arr);
    return k;
}
