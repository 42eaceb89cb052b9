/*
 * The coordinator and the group view (src/daemon/gview*.c) of three nodes over
 * the simulated transport (src/engine/sim.c), with a fake local executor per
 * node: placement, node loss and fencing, partitions, failures and restarts
 * (with their back-off, and the expiry of failures on clocks of the test's
 * own), admin intents and the database exchange, two independent groups.
 * After every delivery round, at most one node may run each group.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/cluster.h"
#include "daemon/gview.h"
#include "daemon/peer.h"
#include "engine/sim.h"

#define N 3
#define G 2

static const char *const yaml =
    "cluster: {name: sim, key: /nonexistent/authkey}\n"
    "networks: [{name: priv}]\n"
    "nodes:\n"
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"
    "fencing:\n"
    "  devices: [{name: d, agent: /bin/true}]\n"
    "  nodes:\n"
    "    n1: {levels: [[d]]}\n"
    "    n2: {levels: [[d]]}\n"
    "    n3: {levels: [[d]]}\n"
    "groups:\n"
    "  - name: web\n"
    "    domain: [n1, n2, n3]\n"
    "    restarts: {max: 2, within: 10min}\n"
    "    resources:\n"
    "      - {name: www, type: process, command: [/bin/sleep, '1000']}\n"
    "  - name: db\n"
    "    domain: [n3, n2]\n"
    "    resources:\n"
    "      - {name: pg, type: process, command: [/bin/sleep, '1000']}\n";

struct world;

struct node {
    struct world *w;
    int idx;
    bool alive;
    struct cluster cl;
    struct eventlog *events;
    struct engine *engine;
    struct gview gv;
    bool want_plan;
    /* The fake executor. */
    bool run[G];
    enum pol_obs obs[G];
    bool stop_fails[G];
    bool deaf; /* does not act on its actions (as if it had not heard them) */
    unsigned starts[G];
    /* The last settled intent. */
    uint64_t done_id;
    bool done_ok;
};

struct world {
    struct cfg *cfg;
    struct sim_net *net;
    struct node nodes[N];
    bool auto_fence;
    unsigned fences;
};

/*
 * The group views' clocks, which the tests move (gview_retry.c measures
 * back-offs and expiries with them). wall_skew shifts the wall clock of a
 * node that joins while it is set (its view places what it learns then).
 */
static uint64_t fake_mono = 5000000, fake_wall = 1700000000000;
static int64_t wall_skew;
static uint64_t mono_clock(void)
{
    return fake_mono;
}
static uint64_t wall_clock(void)
{
    return (uint64_t)((int64_t)fake_wall + wall_skew);
}

static void report(struct node *n, size_t g)
{
    if (!n->alive || !n->cl.local_id)
        return;
    uint8_t rs[1] = {(uint8_t)(n->run[g] ? RES_ST_RUNNING : RES_ST_STOPPED)};
    if (n->obs[g] == POL_OBS_STOP_FAILED)
        rs[0] = RES_ST_STOP_FAILED;
    json_t *b = gview_report_body(&n->gv, g, n->obs[g], rs, false);
    size_t len;
    char *msg = peer_encode_group(PEER_G_REPORT, b, &len);
    json_decref(b);
    engine_broadcast(n->engine, msg, len);
    free(msg);
}

static int h_send(void *ctx, enum peer_group_kind k, json_t *body)
{
    struct node *n = ctx;
    size_t len;
    char *msg = peer_encode_group(k, body, &len);
    int r = engine_broadcast(n->engine, msg, len);
    free(msg);
    return r;
}

static void h_local_action(void *ctx, size_t g, bool start)
{
    struct node *n = ctx;
    if (n->deaf)
        return;
    if (start) {
        n->starts[g]++;
        n->obs[g] = POL_OBS_STARTING;
        report(n, g);
        n->run[g] = true;
        n->obs[g] = POL_OBS_RUNNING;
    } else if (n->stop_fails[g]) {
        n->obs[g] = POL_OBS_STOP_FAILED;
    } else {
        n->run[g] = false;
        n->obs[g] = POL_OBS_STOPPED;
    }
    report(n, g);
}

static void h_rereport(void *ctx, size_t g)
{
    struct node *n = ctx;
    for (size_t i = 0; i < G; i++)
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
    for (size_t g = 0; g < G; g++) {
        int running = 0;
        for (int i = 0; i < N; i++)
            running += w->nodes[i].run[g];
        if (running > 1)
            fail_msg("group %zu runs on %d nodes", g, running);
    }
}

/* Delivers, plans and acts until nothing happens any more. */
static void settle(struct world *w)
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
                for (size_t g = 0; g < G; g++)
                    if (n->run[g]) {
                        n->run[g] = false;
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

static void node_up(struct world *w, int i)
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
    for (size_t g = 0; g < G; g++)
        n->obs[g] = POL_OBS_STOPPED; /* probed: nothing runs */
    n->engine = sim_engine_new(w->net, (uint32_t)i + 1, &cb, n);
    engine_connect(n->engine);
}

static void node_down(struct node *n)
{
    engine_free(n->engine);
    gview_done(&n->gv);
    cluster_done(&n->cl);
    eventlog_free(n->events);
    memset(n->run, 0, sizeof(n->run));
    n->alive = false;
    n->engine = NULL;
    n->events = NULL;
}

static int setup(void **state)
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

static int teardown(void **state)
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

static int runs_on(struct world *w, size_t g)
{
    int at = -1;
    for (int i = 0; i < N; i++)
        if (w->nodes[i].run[g])
            at = i;
    return at;
}

/* Every live member's view of group g on node n. */
static void assert_obs_everywhere(struct world *w, size_t g, int n, enum pol_obs obs)
{
    for (int i = 0; i < N; i++)
        if (w->nodes[i].alive && w->nodes[i].cl.quorate)
            assert_int_equal(gview_at(&w->nodes[i].gv, g, (size_t)n)->obs, obs);
}

static void test_placement(void **state)
{
    struct world *w = *state;
    assert_int_equal(runs_on(w, 0), 0); /* web: first of its domain, n1 */
    assert_int_equal(runs_on(w, 1), 2); /* db: n3 */
    assert_int_equal(w->nodes[0].starts[0], 1);
    assert_obs_everywhere(w, 0, 0, POL_OBS_RUNNING);
    assert_obs_everywhere(w, 1, 2, POL_OBS_RUNNING);
    assert_int_equal(w->fences, 0);
}

static void test_node_loss_waits_for_fencing(void **state)
{
    struct world *w = *state;
    w->auto_fence = false;
    sim_crash(w->net, 1);
    w->nodes[0].alive = false;
    w->nodes[0].run[0] = true; /* it may still run: nobody knows */
    settle(w);
    /* Not fenced: web must not start anywhere else; db is not disturbed. */
    w->nodes[0].run[0] = false;
    assert_int_equal(runs_on(w, 0), -1);
    assert_int_equal(runs_on(w, 1), 2);
    assert_int_equal(w->nodes[2].starts[1], 1);
    struct pol_output out = {0};
    gview_plan(&w->nodes[1].gv, &out);
    assert_int_equal(out.groups[0].state, POL_ST_BLOCKED);
    assert_non_null(strstr(out.groups[0].why, "waiting for n1 to be fenced"));
    pol_output_clear(&out);
    /* Fenced: web recovers on the next node of its domain. */
    w->auto_fence = true;
    settle(w);
    assert_int_equal(runs_on(w, 0), 1);
    assert_int_equal(runs_on(w, 1), 2);
    assert_int_equal(w->fences, 1);
}

static void test_partition_minority_stops(void **state)
{
    struct world *w = *state;
    sim_partition(w->net, 1, 1);
    settle(w);
    /* n1 lost quorum and stopped web; the majority fenced it and runs web on n2. */
    assert_int_equal(runs_on(w, 0), 1);
    assert_int_equal(runs_on(w, 1), 2);
    assert_true(w->fences >= 1);
}

/* Resource www of web fails on node `at`: its executor stops it and reports it (kind). */
static void fail_web(struct world *w, int at, enum db_fail_kind kind)
{
    struct node *n = &w->nodes[at];
    n->run[0] = false;
    n->obs[0] = POL_OBS_FAILED;
    json_t *f = gview_failure_body(&n->gv, 0, 0, kind, "exited with status 1");
    h_send(n, PEER_G_FAILURE, f);
    json_decref(f);
    report(n, 0);
    settle(w);
}

/* The clocks move on by ms; each member whose retry timer would fire plans again. */
static void advance(struct world *w, uint64_t ms)
{
    uint64_t wake[N];
    for (int i = 0; i < N; i++)
        wake[i] = w->nodes[i].alive ? gview_next_wake(&w->nodes[i].gv) : 0;
    fake_mono += ms;
    fake_wall += ms;
    for (int i = 0; i < N; i++)
        if (wake[i] && wake[i] <= fake_mono)
            w->nodes[i].want_plan = true;
    settle(w);
}

/* Group g's entry in node i's status (borrowed from *ret_all, which the caller frees). */
static json_t *status_of(struct world *w, int i, size_t g, json_t **ret_all)
{
    *ret_all = gview_status_json(&w->nodes[i].gv);
    return json_array_get(*ret_all, g);
}

static int64_t next_try_in(struct world *w, int i, size_t g, const char **ret_node)
{
    json_t *all;
    json_t *jg = status_of(w, i, g, &all);
    json_t *in = json_object_get(jg, "next_try_in_ms");
    int64_t r = in ? (int64_t)json_integer_value(in) : -1;
    static char node[16];
    snprintf(node, sizeof(node), "%s",
             in ? json_string_value(json_object_get(jg, "next_try_node")) : "");
    *ret_node = node;
    json_decref(all);
    return r;
}

static void test_failure_restart_then_failover(void **state)
{
    struct world *w = *state;
    struct node *n1 = &w->nodes[0];
    /* The first failure: restarted in place at once. */
    fail_web(w, 0, DB_FAIL_RESTART);
    assert_int_equal(runs_on(w, 0), 0);
    assert_int_equal(n1->starts[0], 2);
    /* The second within the window: restarts.backoff (the default 1s) first. */
    fail_web(w, 0, DB_FAIL_RESTART);
    assert_int_equal(runs_on(w, 0), -1);
    assert_int_equal(n1->starts[0], 2);
    for (int i = 0; i < N; i++) {
        json_t *all;
        json_t *jg = status_of(w, i, 0, &all);
        assert_string_equal(json_string_value(json_object_get(jg, "state")), "recovering");
        assert_string_equal(json_string_value(json_object_get(jg, "why")),
                            "restarting on n1 in back-off");
        json_decref(all);
        const char *at;
        assert_int_equal(next_try_in(w, i, 0, &at), 1000);
        assert_string_equal(at, "n1");
        assert_int_equal(gview_next_wake(&w->nodes[i].gv), fake_mono + 1000);
    }
    advance(w, 600);
    assert_int_equal(runs_on(w, 0), -1);
    const char *at;
    assert_int_equal(next_try_in(w, 1, 0, &at), 400);
    advance(w, 400);
    assert_int_equal(runs_on(w, 0), 0); /* restarted in place, once the back-off is over */
    assert_int_equal(n1->starts[0], 3);
    assert_int_equal(gview_next_wake(&n1->gv), 0); /* running, nothing banned: no wait */
    /* The third failure within the window uses up max: 2: web moves to n2 at once. */
    fail_web(w, 0, DB_FAIL_RESTART);
    assert_int_equal(runs_on(w, 0), 1);
    for (int i = 0; i < N; i++) {
        assert_true(w->nodes[i].gv.db->groups[0].banned[0]);
        assert_int_equal(w->nodes[i].gv.db->groups[0].res_failures[0], 3);
    }
    assert_int_equal(w->fences, 0);
}

/* How many events of type t node i's log holds. */
static size_t count_events(struct world *w, int i, enum event_type t, const char *message)
{
    json_t *all = eventlog_since_json(w->nodes[i].events, 0);
    size_t k = 0, j;
    json_t *e;
    json_array_foreach(all, j, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "type")), event_type_name(t)) != 0)
            continue;
        if (message)
            assert_string_equal(json_string_value(json_object_get(e, "message")), message);
        k++;
    }
    json_decref(all);
    return k;
}

#define WITHIN (10 * 60000) /* web's restarts.within */

/*
 * web fails on every node of its domain (on_fail: failover), a minute apart:
 * failed everywhere. restarts.within after its failure there, n1's ban
 * expires: the coordinator says so, every member lifts it alike (an event
 * each), and web runs on n1 again without a cleanup.
 */
static void test_failures_expire_and_the_group_tries_again(void **state)
{
    struct world *w = *state;
    for (int at = 0; at < N; at++) {
        assert_int_equal(runs_on(w, 0), at);
        fail_web(w, at, DB_FAIL_FAILOVER);
        if (at < N - 1)
            advance(w, 60000);
    }
    assert_int_equal(runs_on(w, 0), -1);
    /* n1's ban ends first: two minutes from now; every member says so. */
    for (int i = 0; i < N; i++) {
        json_t *all;
        json_t *jg = status_of(w, i, 0, &all);
        assert_string_equal(json_string_value(json_object_get(jg, "state")), "failed");
        json_decref(all);
        const char *at;
        assert_int_equal(next_try_in(w, i, 0, &at), WITHIN - 2 * 60000);
        assert_string_equal(at, "n1");
    }
    /* A member that is not the coordinator cannot lift it. */
    json_t *b = json_pack("{s:s, s:s, s:I}", "group", "web", "node", "n1", "banned_at",
                          (json_int_t)w->nodes[1].gv.db->groups[0].banned_ms[0]);
    char *err = NULL;
    assert_int_equal(gview_deliver(&w->nodes[2].gv, 2, PEER_G_EXPIRE, b, &err), 0);
    json_decref(b);
    assert_true(w->nodes[2].gv.db->groups[0].banned[0]);
    advance(w, WITHIN - 2 * 60000 - 1);
    assert_int_equal(runs_on(w, 0), -1);
    uint64_t v = w->nodes[0].gv.db->version;
    advance(w, 1);
    assert_int_equal(runs_on(w, 0), 0);
    for (int i = 0; i < N; i++) {
        const struct db_group *D = &w->nodes[i].gv.db->groups[0];
        assert_false(D->banned[0]);
        assert_true(D->banned[1]);
        assert_true(D->banned[2]);
        assert_int_equal(D->res_failures[0], 3); /* kept until cleanup */
        assert_int_equal(w->nodes[i].gv.db->version, v + 1);
        assert_int_equal(count_events(w, i, EV_GROUP_FAILURES_EXPIRED,
                                      "group web: failures on n1 expired; it may run there again"),
                         1);
    }
    /* n2's ban expires a minute later; web stays on n1 (controlled failback), n2 may run it. */
    advance(w, 60000);
    assert_int_equal(runs_on(w, 0), 0);
    for (int i = 0; i < N; i++) {
        assert_false(w->nodes[i].gv.db->groups[0].banned[1]);
        assert_int_equal(count_events(w, i, EV_GROUP_FAILURES_EXPIRED, NULL), 2);
    }
    /* A failure on n1 now counts as the first again: restarted in place at once. */
    unsigned starts = w->nodes[0].starts[0];
    fail_web(w, 0, DB_FAIL_RESTART);
    assert_int_equal(runs_on(w, 0), 0);
    assert_int_equal(w->nodes[0].starts[0], starts + 1);
}

/* While a member runs a vigild too old to apply an expiry, the coordinator sends none. */
static void test_no_expiry_while_a_member_is_old(void **state)
{
    struct world *w = *state;
    fail_web(w, 0, DB_FAIL_FAILOVER);
    assert_int_equal(runs_on(w, 0), 1);
    for (int i = 0; i < N; i++)
        assert_int_equal(w->nodes[i].cl.nodes[2].protocol, PEER_PROTO_VERSION);
    w->nodes[0].cl.nodes[2].protocol = PEER_PROTO_EXPIRE - 1; /* as its hello would say */
    advance(w, WITHIN + 1000);
    advance(w, 1000);
    for (int i = 0; i < N; i++)
        assert_true(w->nodes[i].gv.db->groups[0].banned[0]);
    /* Upgraded (its hello again): expired. */
    w->nodes[0].cl.nodes[2].protocol = PEER_PROTO_VERSION;
    w->nodes[0].want_plan = true;
    settle(w);
    for (int i = 0; i < N; i++)
        assert_false(w->nodes[i].gv.db->groups[0].banned[0]);
}

/*
 * A coordinator that learns of a ban from the others' database, with a wall
 * clock an hour behind theirs, waits at most restarts.within from then: its
 * clock neither makes the ban older nor holds it an hour longer.
 */
static void test_ban_learned_with_a_skewed_clock(void **state)
{
    struct world *w = *state;
    fail_web(w, 0, DB_FAIL_FAILOVER);
    assert_int_equal(runs_on(w, 0), 1);
    advance(w, 60000);
    /* n1 (the coordinator) restarts, its clock an hour behind; it adopts the database. */
    node_down(&w->nodes[0]);
    settle(w);
    wall_skew = -3600000;
    node_up(w, 0);
    settle(w);
    wall_skew = 0;
    assert_true(w->nodes[0].gv.db->groups[0].banned[0]);
    assert_int_equal(w->nodes[0].cl.coordinator, 1);
    const char *at;
    assert_int_equal(next_try_in(w, 0, 0, &at), -1); /* web runs on n2: nothing to wait for */
    /* At the ban's own expiry by the others' clocks, n1 still counts from when it learned it. */
    advance(w, WITHIN - 60000);
    assert_true(w->nodes[1].gv.db->groups[0].banned[0]);
    advance(w, 60000 - 1);
    assert_true(w->nodes[1].gv.db->groups[0].banned[0]);
    advance(w, 1);
    for (int i = 0; i < N; i++)
        assert_false(w->nodes[i].gv.db->groups[0].banned[0]);
}

static void test_stop_failure_fences(void **state)
{
    struct world *w = *state;
    w->nodes[0].stop_fails[0] = true;
    /* An admin moves web to n3: the stop on n1 fails, n1 is fenced, web starts on n3. */
    struct db_intent in = {.op = DB_INTENT_MOVE, .group = 0, .node = 2, .resource = -1};
    assert_true(gview_send_intent(&w->nodes[1].gv, &in, &(char *){NULL}) > 0);
    settle(w);
    assert_int_equal(w->fences, 1);
    assert_false(w->nodes[0].alive);
    assert_int_equal(runs_on(w, 0), 2);
}

static void test_intent_replicated_and_acked(void **state)
{
    struct world *w = *state;
    struct db_intent in = {.op = DB_INTENT_STOP, .group = 0, .node = -1, .resource = -1};
    char *err = NULL;
    uint64_t id = gview_send_intent(&w->nodes[1].gv, &in, &err);
    assert_true(id > 0);
    settle(w);
    assert_int_equal(w->nodes[1].done_id, id);
    assert_true(w->nodes[1].done_ok);
    assert_int_equal(runs_on(w, 0), -1);
    uint64_t v = w->nodes[0].gv.db->version;
    for (int i = 0; i < N; i++) {
        assert_true(w->nodes[i].gv.db->groups[0].stopped);
        assert_int_equal(w->nodes[i].gv.db->version, v);
    }
    /* Started again by an admin on another node. */
    in.op = DB_INTENT_START;
    id = gview_send_intent(&w->nodes[2].gv, &in, &err);
    settle(w);
    assert_true(w->nodes[2].done_ok);
    assert_int_equal(runs_on(w, 0), 0);
}

static void test_intent_acked_once_saved_everywhere(void **state)
{
    struct world *w = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    char dirs[N][64];
    for (int i = 0; i < N; i++) {
        snprintf(dirs[i], sizeof(dirs[i]), "/tmp/vigil-test-coord-XXXXXX");
        assert_non_null(mkdtemp(dirs[i]));
        free(w->nodes[i].gv.state_dir);
        w->nodes[i].gv.state_dir = xstrdup(dirs[i]);
        gview_set_loop(&w->nodes[i].gv, &loop);
    }
    struct db_intent in = {.op = DB_INTENT_STOP, .group = 0, .node = -1, .resource = -1};
    char *err = NULL;
    uint64_t id = gview_send_intent(&w->nodes[1].gv, &in, &err);
    assert_true(id > 0);
    /* Acks leave only once the worker threads have written each copy. */
    for (int i = 0; i < 1000 && w->nodes[1].done_id != id; i++) {
        settle(w);
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
    assert_int_equal(w->nodes[1].done_id, id);
    assert_true(w->nodes[1].done_ok);
    for (int i = 0; i < N; i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dirs[i], DB_FILE);
        char *text = NULL;
        size_t len;
        assert_int_equal(read_file(path, 1 << 20, &text, &len), 0);
        assert_non_null(strstr(text, "\"stopped\": true"));
        free(text);
        unlink(path);
        rmdir(dirs[i]);
        gview_set_loop(&w->nodes[i].gv, NULL);
    }
    settle(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/*
 * A view torn down while its database write is in flight, with an ack
 * waiting for it: the ack is dropped at once, nothing calls back into the
 * freed view, and the write still lands.
 */
static void test_done_with_a_save_in_flight(void **state)
{
    struct world *w = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/vigil-test-coord-XXXXXX");
    assert_non_null(mkdtemp(dir));
    struct gview *gv = &w->nodes[0].gv;
    free(gv->state_dir);
    gv->state_dir = xstrdup(dir);
    gview_set_loop(gv, &loop);
    struct db_intent in = {.op = DB_INTENT_STOP, .group = 0, .node = -1, .resource = -1};
    char *err = NULL;
    assert_true(gview_send_intent(&w->nodes[1].gv, &in, &err) > 0);
    for (int i = 0; i < 1000 && !gv->sw; i++)
        settle(w);
    assert_non_null(gv->sw); /* n1 saves: its ack waits for the write */
    node_down(&w->nodes[0]);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, DB_FILE);
    char *text = NULL;
    size_t len;
    assert_int_equal(read_file(path, 1 << 20, &text, &len), 0);
    assert_non_null(strstr(text, "\"stopped\": true"));
    free(text);
    unlink(path);
    rmdir(dir);
}

static void test_start_refused_when_no_node_can_run_it(void **state)
{
    struct world *w = *state;
    struct gview *gv = &w->nodes[0].gv;
    struct db_intent in = {.op = DB_INTENT_START, .group = 1, .node = -1, .resource = -1};
    char *err = NULL;
    assert_int_equal(gview_check_intent(gv, &in, &err), 0);
    /* db failed on both nodes of its domain (n3, n2). */
    db_apply_failure(gv->db, 1, 0, 2, DB_FAIL_FAILOVER, 1000, "x", 3);
    db_apply_failure(gv->db, 1, 0, 1, DB_FAIL_FAILOVER, 1000, "x", 2);
    assert_int_equal(gview_check_intent(gv, &in, &err), -EINVAL);
    assert_non_null(strstr(err, "group db cannot start: no eligible node: n3 failed there"));
    assert_non_null(strstr(err, "n2 failed there"));
    assert_non_null(strstr(err, "vigil cleanup db"));
    free(err);
}

static void test_rejoin_adopts_newer_database(void **state)
{
    struct world *w = *state;
    /* n3 leaves cleanly (its groups stopped), the others change the database. */
    w->nodes[2].run[1] = false;
    w->nodes[2].obs[1] = POL_OBS_STOPPED;
    report(&w->nodes[2], 1);
    sim_run(w->net);
    node_down(&w->nodes[2]);
    settle(w);
    assert_int_equal(runs_on(w, 1), 1); /* db moved to n2 */
    struct db_intent in = {.op = DB_INTENT_STANDBY, .group = -1, .node = 0, .resource = -1};
    char *err = NULL;
    assert_true(gview_send_intent(&w->nodes[1].gv, &in, &err) > 0);
    settle(w);
    assert_int_equal(runs_on(w, 0), 1); /* web drained from n1 (standby) to n2 */
    /* n3 comes back with an empty database: it adopts the cluster's. */
    node_up(w, 2);
    settle(w);
    assert_true(w->nodes[2].gv.db->standby[0]);
    assert_int_equal(w->nodes[2].gv.db->version, w->nodes[0].gv.db->version);
    /* db is not moved back (controlled failback); web stays off the standby node. */
    assert_int_equal(runs_on(w, 1), 1);
    assert_int_equal(runs_on(w, 0), 1);
}

static void test_stale_report_ignored(void **state)
{
    struct world *w = *state;
    /* A report from n2 that has not seen the latest action for web is stale. */
    struct node *n2 = &w->nodes[1];
    struct gnode *x = gview_at(&w->nodes[0].gv, 0, 1);
    x->last = (struct act_id){7, 7};
    x->have_last = true;
    uint8_t rs[1] = {RES_ST_RUNNING};
    json_t *b = gview_report_body(&n2->gv, 0, POL_OBS_RUNNING, rs, false);
    char *err = NULL;
    assert_int_equal(gview_deliver(&w->nodes[0].gv, 2, PEER_G_REPORT, b, &err), 0);
    json_decref(b);
    assert_int_equal(x->obs, POL_OBS_STOPPED);
}

/*
 * Corosync reports quorum on a channel of its own: a node that just joined may
 * get the coordinator's actions before it learns that its partition is
 * quorate. An action from the lowest member of its ring waits for quorum
 * instead of being lost (the coordinator would wait for it forever).
 */
static void deliver_start(struct world *w, int to, uint32_t from, size_t g, size_t node)
{
    struct pol_action a = {.type = POL_START, .group = g, .node = node};
    json_t *b = gview_action_body(&w->nodes[from - 1].gv, &a);
    char *err = NULL;
    assert_int_equal(gview_deliver(&w->nodes[to].gv, from, PEER_G_ACTION, b, &err), 0);
    assert_null(err);
    json_decref(b);
}

static void test_action_before_quorum_is_held_until_quorum(void **state)
{
    struct world *w = *state;
    struct node *n3 = &w->nodes[2];
    int web_at = runs_on(w, 0);
    assert_true(web_at >= 0 && web_at != 2);
    /* n3 has not heard of quorum yet; n1 (the lowest member) starts web there. */
    struct engine_quorum q = n3->cl.votes;
    q.quorate = false;
    cluster_apply_quorum(&n3->cl, &q);
    deliver_start(w, 2, 1, 0, 2);
    assert_int_equal(n3->starts[0], 0);
    assert_int_equal(json_array_size(n3->gv.held), 1);
    /* Not from the lowest member: ignored, never held. */
    deliver_start(w, 2, 2, 0, 2);
    assert_int_equal(json_array_size(n3->gv.held), 1);
    q.quorate = true;
    cluster_apply_quorum(&n3->cl, &q);
    gview_quorum(&n3->gv);
    assert_int_equal(n3->starts[0], 1);
    assert_true(n3->run[0]);
    assert_int_equal(json_array_size(n3->gv.held), 0);
}

static void test_held_action_dropped_at_membership_change(void **state)
{
    struct world *w = *state;
    struct node *n3 = &w->nodes[2];
    struct engine_quorum q = n3->cl.votes;
    q.quorate = false;
    cluster_apply_quorum(&n3->cl, &q);
    deliver_start(w, 2, 1, 0, 2);
    assert_int_equal(json_array_size(n3->gv.held), 1);
    static const uint32_t members[] = {1, 2, 3};
    struct engine_view v = {.members = members, .n_members = 3};
    gview_membership(&n3->gv, &v);
    assert_int_equal(json_array_size(n3->gv.held), 0);
    q.quorate = true;
    cluster_apply_quorum(&n3->cl, &q);
    gview_quorum(&n3->gv);
    assert_int_equal(n3->starts[0], 0);
}

/* A node that did not answer a start is asked again, and the group runs. */
static void test_unanswered_action_is_sent_again(void **state)
{
    struct world *w = *state;
    struct node *n1 = &w->nodes[0], *n2 = &w->nodes[1];
    assert_int_equal(runs_on(w, 0), 0);
    n2->deaf = true;
    struct db_intent in = {.op = DB_INTENT_MOVE, .group = 0, .node = 1, .resource = -1};
    char *err = NULL;
    assert_true(gview_send_intent(&n1->gv, &in, &err) > 0);
    settle(w);
    /* Stopped on n1; n2 never acted on its start: nothing runs, and nothing more is sent. */
    assert_int_equal(runs_on(w, 0), -1);
    assert_int_equal(n2->starts[0], 0);
    assert_int_equal(gview_at(&n1->gv, 0, 1)->obs, POL_OBS_STARTING);
    gview_check_answers(&n1->gv, time_mono_ms());
    settle(w);
    assert_int_equal(runs_on(w, 0), -1);
    /* Past the time to answer, the coordinator sends the start again. */
    n2->deaf = false;
    n1->gv.answer_ms = 1;
    usleep(5000);
    gview_check_answers(&n1->gv, time_mono_ms());
    assert_true(n1->want_plan);
    settle(w);
    assert_int_equal(runs_on(w, 0), 1);
    assert_int_equal(n2->starts[0], 1);
    assert_obs_everywhere(w, 0, 1, POL_OBS_RUNNING);
}

static void test_malformed_messages_change_nothing(void **state)
{
    struct world *w = *state;
    struct gview *gv = &w->nodes[0].gv;
    uint64_t v = gv->db->version;
    static const char *const bad[] = {
        "{\"node\":\"n2\",\"group\":\"web\",\"state\":\"flying\",\"resources\":[\"running\"]}",
        "{\"node\":\"n2\",\"group\":\"nope\",\"state\":\"running\",\"resources\":[\"running\"]}",
        "{\"node\":\"n3\",\"group\":\"web\",\"state\":\"running\",\"resources\":[\"running\"]}",
        "{\"node\":\"n2\",\"group\":\"web\",\"state\":\"running\",\"resources\":[]}",
        ("{\"node\":\"n2\",\"group\":\"web\",\"resource\":\"www\",\"kind\":\"explode\","
         "\"reason\":\"x\",\"ts\":1}"),
        "{\"origin\":3,\"id\":1,\"op\":\"stop\",\"group\":\"web\"}",
        "{\"db\":{\"version\":\"x\"}}",
    };
    static const enum peer_group_kind kinds[] = {PEER_G_REPORT, PEER_G_REPORT,  PEER_G_REPORT,
                                                 PEER_G_REPORT, PEER_G_FAILURE, PEER_G_INTENT,
                                                 PEER_G_DB};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        assert_non_null(j);
        char *err = NULL;
        assert_int_equal(gview_deliver(gv, 2, kinds[i], j, &err), -EINVAL);
        assert_non_null(err);
        free(err);
        json_decref(j);
    }
    assert_int_equal(gv->db->version, v);
    assert_int_equal(gview_at(gv, 0, 1)->obs, POL_OBS_STOPPED);
    assert_int_equal(runs_on(w, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_placement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_loss_waits_for_fencing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_minority_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_restart_then_failover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures_expire_and_the_group_tries_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_expiry_while_a_member_is_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ban_learned_with_a_skewed_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_failure_fences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intent_replicated_and_acked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intent_acked_once_saved_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_done_with_a_save_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_refused_when_no_node_can_run_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rejoin_adopts_newer_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_report_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_action_before_quorum_is_held_until_quorum, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_held_action_dropped_at_membership_change, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_action_is_sent_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_messages_change_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
