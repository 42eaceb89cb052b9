/*
 * The simulated transport (src/engine/sim.c) driving the real cluster view
 * (src/daemon/cluster.c) of three nodes: formation, partitions, agreed order,
 * crashes and healing, deterministically.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/cluster.h"
#include "engine/sim.h"

#define N 3

static const char *const yaml = "cluster: {name: sim, key: /nonexistent/authkey}\n"
                                "networks: [{name: priv}]\n"
                                "nodes:\n"
                                "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
                                "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
                                "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n";

struct node {
    struct cluster cl;
    struct eventlog *events;
    struct engine *engine;
    char got[512]; /* messages delivered, in order */
    bool lost;
};

struct world {
    struct cfg *cfg;
    struct sim_net *net;
    struct node nodes[N];
};

static void on_connected(void *ctx, uint32_t id)
{
    struct node *n = ctx;
    n->lost = false;
    cluster_engine_connected(&n->cl, id);
}
static void on_view(void *ctx, const struct engine_view *v)
{
    cluster_apply_view(&((struct node *)ctx)->cl, v);
}
static void on_ring(void *ctx, uint32_t a, uint64_t b)
{
}
static void on_quorum(void *ctx, const struct engine_quorum *q)
{
    cluster_apply_quorum(&((struct node *)ctx)->cl, q);
}
static void on_deliver(void *ctx, uint32_t from, const void *msg, size_t len)
{
    struct node *n = ctx;
    size_t used = strlen(n->got);
    snprintf(n->got + used, sizeof(n->got) - used, "%u:%.*s ", from, (int)len, (const char *)msg);
}
static void on_links(void *ctx, const struct engine_links *l)
{
    cluster_apply_links(&((struct node *)ctx)->cl, l);
}
static void on_lost(void *ctx, int err)
{
    struct node *n = ctx;
    n->lost = true;
    cluster_engine_lost(&n->cl, strerror(-err));
}

static const struct engine_callbacks cb = {on_connected, on_view,  on_ring, on_quorum,
                                           on_deliver,   on_links, on_lost};

static int setup(void **state)
{
    struct world *w = xcalloc(1, sizeof(*w));
    struct cfg_diags d;
    cfg_diags_init(&d);
    if (cfg_load_string(yaml, strlen(yaml), "sim.yaml", 0, &w->cfg, &d) < 0)
        return -1;
    cfg_diags_clear(&d);
    w->net = sim_net_new(N);
    for (int i = 0; i < N; i++) {
        w->nodes[i].events = eventlog_new(1000);
        cluster_init(&w->nodes[i].cl, w->cfg, w->nodes[i].events);
        w->nodes[i].engine = sim_engine_new(w->net, (uint32_t)i + 1, &cb, &w->nodes[i]);
        engine_connect(w->nodes[i].engine);
    }
    sim_run(w->net);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    for (int i = 0; i < N; i++) {
        engine_free(w->nodes[i].engine);
        cluster_done(&w->nodes[i].cl);
        eventlog_free(w->nodes[i].events);
    }
    sim_net_free(w->net);
    cfg_free(w->cfg);
    free(w);
    return 0;
}

static int online_count(const struct cluster *cl)
{
    int n = 0;
    for (size_t i = 0; i < cl->cfg->n_nodes; i++)
        n += cl->nodes[i].online;
    return n;
}

static void test_formation(void **state)
{
    struct world *w = *state;
    for (int i = 0; i < N; i++) {
        const struct cluster *cl = &w->nodes[i].cl;
        assert_int_equal(cl->local_id, i + 1);
        assert_true(cl->quorate);
        assert_int_equal(cl->coordinator, 1);
        assert_int_equal(online_count(cl), 3);
        assert_int_equal(cl->votes.total_votes, 3);
        assert_int_equal(cl->votes.needed_votes, 2);
    }
    assert_int_equal(sim_run(w->net), 0); /* quiescent */
}

static void test_partition_and_heal(void **state)
{
    struct world *w = *state;
    sim_partition(w->net, 1, 1);
    sim_run(w->net);
    const struct cluster *c1 = &w->nodes[0].cl, *c2 = &w->nodes[1].cl, *c3 = &w->nodes[2].cl;
    assert_false(c1->quorate);
    assert_int_equal(c1->coordinator, 0);
    assert_true(c2->quorate && c3->quorate);
    assert_int_equal(c2->coordinator, 2);
    assert_int_equal(c3->coordinator, 2);
    /* The majority sees n1 leave uncleanly; the minority sees both others leave. */
    assert_int_equal(c2->nodes[0].fence, FENCE_STATE_UNCLEAN);
    assert_int_equal(c1->nodes[1].fence, FENCE_STATE_UNCLEAN);
    sim_heal(w->net);
    sim_run(w->net);
    for (int i = 0; i < N; i++) {
        assert_true(w->nodes[i].cl.quorate);
        assert_int_equal(w->nodes[i].cl.coordinator, 1);
        assert_int_equal(online_count(&w->nodes[i].cl), 3);
        assert_int_equal(w->nodes[i].cl.nodes[0].fence, FENCE_STATE_CLEAN);
    }
}

static void test_agreed_order(void **state)
{
    struct world *w = *state;
    engine_broadcast(w->nodes[1].engine, "a", 1);
    engine_broadcast(w->nodes[2].engine, "b", 1);
    engine_broadcast(w->nodes[0].engine, "c", 1);
    engine_broadcast(w->nodes[1].engine, "d", 1);
    sim_run(w->net);
    for (int i = 0; i < N; i++)
        assert_string_equal(w->nodes[i].got, "2:a 3:b 1:c 2:d ");
    /* Sent in a partition: only that partition's members get it. */
    sim_partition(w->net, 3, 1);
    engine_broadcast(w->nodes[0].engine, "e", 1);
    sim_run(w->net);
    assert_string_equal(w->nodes[0].got, "2:a 3:b 1:c 2:d 1:e ");
    assert_string_equal(w->nodes[1].got, "2:a 3:b 1:c 2:d 1:e ");
    assert_string_equal(w->nodes[2].got, "2:a 3:b 1:c 2:d ");
}

static void test_crash_and_restart(void **state)
{
    struct world *w = *state;
    sim_crash(w->net, 3);
    sim_run(w->net);
    assert_true(w->nodes[2].lost);
    assert_int_equal(w->nodes[2].cl.engine_state, ENGINE_LOST);
    assert_false(w->nodes[2].cl.quorate);
    for (int i = 0; i < 2; i++) {
        const struct cluster *cl = &w->nodes[i].cl;
        assert_true(cl->quorate);
        assert_false(cl->nodes[2].online);
        assert_int_equal(cl->nodes[2].fence, FENCE_STATE_UNCLEAN);
    }
    /* A message sent by the crashed node is refused; the engine comes back. */
    assert_int_equal(engine_broadcast(w->nodes[2].engine, "x", 1), -ENOTCONN);
    engine_connect(w->nodes[2].engine);
    sim_run(w->net);
    for (int i = 0; i < N; i++) {
        assert_int_equal(online_count(&w->nodes[i].cl), 3);
        assert_int_equal(w->nodes[i].cl.coordinator, 1);
    }
    assert_int_equal(w->nodes[2].cl.engine_state, ENGINE_RUNNING);
}

static void test_clean_leave_and_links(void **state)
{
    struct world *w = *state;
    engine_disconnect(w->nodes[2].engine);
    sim_run(w->net);
    assert_int_equal(w->nodes[0].cl.nodes[2].fence, FENCE_STATE_CLEAN);
    assert_false(w->nodes[0].cl.nodes[2].online);
    /* Links as the first node sees them: up to n2, n3 is not asked about. */
    assert_int_equal(cluster_query_links(&w->nodes[0].cl, w->nodes[0].engine), 0);
    sim_run(w->net);
    assert_true(w->nodes[0].cl.nodes[1].link_up[0]);
    assert_false(w->nodes[0].cl.nodes[2].link_up[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_formation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_and_heal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agreed_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_leave_and_links, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
