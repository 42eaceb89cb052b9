/*
 * A resource is started when it is ready (src/resource/resource.c and
 * health.c), on a real loop with real processes and a real TCP check on
 * 127.0.0.1: a start completes only once the port listens; a process that
 * exits first, or is not ready within ready_timeout, is a failed start with
 * its reason; a process without checks is started as soon as it is
 * executed. Through the local resource manager, the next resource of a
 * group starts only once the one before it is ready.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "base/util.h"
#include "cfg_helpers.h"
#include "config/config.h"
#include "daemon/lrm.h"
#include "loop_helpers.h"
#include "resource/resource.h"

#define HEAD                                                                                       \
    "cluster: {name: t}\n"                                                                         \
    "networks: [{name: lan}]\n"                                                                    \
    "nodes:\n"                                                                                     \
    "  - {name: n1, id: 1, addresses: {lan: 192.0.2.1}}\n"                                         \
    "  - {name: n2, id: 2, addresses: {lan: 192.0.2.2}}\n"                                         \
    "fencing: {enabled: false}\n"                                                                  \
    "groups:\n"                                                                                    \
    "  - name: app\n"                                                                              \
    "    domain: [n1, n2]\n"                                                                       \
    "    resources:\n"

/* A TCP socket bound to a free port of 127.0.0.1, not listening yet (connections are refused). */
static int bound_socket(uint16_t *ret_port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *ret_port = ntohs(sa.sin_port);
    return fd;
}

struct outcome {
    bool done;
    enum res_rc rc;
    char *reason;
    uint64_t at_ms;
};

static void on_done(void *ctx, enum res_rc rc, const char *reason)
{
    struct outcome *o = ctx;
    o->done = true;
    o->rc = rc;
    o->reason = xstrdup(reason);
    o->at_ms = uv_now(&test_loop);
}

static void on_failed(void *ctx, const char *reason)
{
    fail_msg("unexpected failure: %s", reason);
}

static bool is_done(void *arg)
{
    return ((struct outcome *)arg)->done;
}

/* Runs op on res and waits for its outcome (at most max_ms). */
static void run_op(struct res *res, enum res_op op, struct outcome *o, uint64_t max_ms)
{
    free(o->reason);
    *o = (struct outcome){0};
    assert_int_equal(res_run(res, op, on_done, o), 0);
    assert_true(loop_run_until(is_done, o, max_ms));
}

/*
 * One resource under test: "r", a process of group app, and a port of 127.0.0.1 bound for
 * its checks but not listening (connections are refused until the test listens on fd).
 */
struct ready_case {
    int fd;
    uint16_t port;
    struct cfg *cfg;
    struct res *res;
    struct outcome o; /* of the last operation */
};

/*
 * Sets t up: binds the port, then makes r with keys, the rest of its mapping, in which every
 * PORT is that port.
 */
static void ready_case(struct ready_case *t, const char *keys)
{
    *t = (struct ready_case){0};
    t->fd = bound_socket(&t->port);
    _cleanup_free_ char *port = xasprintf("%u", (unsigned)t->port);
    _cleanup_free_ char *mapping = xstrdup("");
    for (const char *p = keys;;) {
        const char *k = strstr(p, "PORT");
        char *next = k ? xasprintf("%s%.*s%s", mapping, (int)(k - p), p, port)
                       : xasprintf("%s%s", mapping, p);
        free(mapping);
        mapping = next;
        if (!k)
            break;
        p = k + 4;
    }
    _cleanup_free_ char *text = xasprintf(HEAD "      - {name: r, type: process, %s}\n", mapping);
    t->cfg = load_yaml(text);
    /* The resource of the only group on this node (res_new copies the environment). */
    struct res_env env = {.loop = &test_loop, .cfg = t->cfg, .node = 0, .run_dir = test_dir};
    t->res = res_new(&env, 0, 0, on_failed, NULL);
}

/*
 * Ends t: stops r (which must succeed and leave nothing running), then frees what ready_case
 * made and lets the loop finish closing.
 */
static void ready_case_end(struct ready_case *t)
{
    run_op(t->res, RES_OP_STOP, &t->o, 15000);
    assert_int_equal(t->o.rc, RES_RC_OK);
    run_op(t->res, RES_OP_PROBE, &t->o, 5000);
    assert_int_equal(t->o.rc, RES_RC_NOT_RUNNING);
    free(t->o.reason);
    res_free(t->res);
    close(t->fd);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(t->cfg);
}

static uint64_t now_ms(void)
{
    uv_update_time(&test_loop);
    return uv_now(&test_loop);
}

static int setup(void **state)
{
    return loop_setup("res-ready");
}

static int teardown(void **state)
{
    return loop_teardown();
}

/* The start completes only once the port listens, and is then watched like any start. */
static void test_ready_once_listening(void **state)
{
    struct ready_case t;
    ready_case(&t, "command: [/bin/sleep, '60'], ready_timeout: 20s, checks: [{type: tcp, host: "
                   "127.0.0.1, port: PORT, interval: 1s}]");
    uint64_t t0 = now_ms();
    assert_int_equal(res_run(t.res, RES_OP_START, on_done, &t.o), 0);
    /* Executed, refused: still starting after 700 ms. */
    assert_false(loop_run_until(is_done, &t.o, 700));
    assert_true(res_busy(t.res));
    assert_true(res_waiting_ready(t.res));
    uint64_t listen_at = now_ms();
    assert_int_equal(listen(t.fd, 8), 0);
    assert_true(loop_run_until(is_done, &t.o, 5000));
    assert_int_equal(t.o.rc, RES_RC_OK);
    assert_string_equal(t.o.reason, "");
    assert_false(res_waiting_ready(t.res));
    assert_true(t.o.at_ms >= listen_at);
    assert_true(t.o.at_ms - t0 >= 700);
    /* Retried every 200 ms at the most: seen within a second of the listen. */
    assert_true(t.o.at_ms - listen_at < 1000);
    /* It runs, and its checks now watch it: nothing fails while it listens. */
    res_watch(t.res, true);
    loop_run_until(NULL, NULL, 300);
    res_watch(t.res, false);
    ready_case_end(&t);
}

/* A process that exits before its checks pass: a failed start, with its exit status. */
static void test_exits_before_ready(void **state)
{
    struct ready_case t;
    ready_case(&t, "command: [/bin/sh, -c, 'sleep 0.3; exit 3'], ready_timeout: 20s, checks: "
                   "[{type: tcp, host: 127.0.0.1, port: PORT}]");
    uint64_t t0 = now_ms();
    run_op(t.res, RES_OP_START, &t.o, 5000);
    assert_int_equal(t.o.rc, RES_RC_FAILED);
    assert_string_equal(t.o.reason, "exited with status 3 before it was ready");
    assert_true(t.o.at_ms - t0 >= 250);
    assert_true(t.o.at_ms - t0 < 15000); /* at its exit, not at ready_timeout (20s) */
    assert_false(res_waiting_ready(t.res));
    ready_case_end(&t);
}

/* Never ready: a failed start at ready_timeout, naming the check and why; the stop kills it. */
static void test_not_ready_in_time(void **state)
{
    struct ready_case t;
    ready_case(&t, "command: [/bin/sleep, '60'], ready_timeout: 800ms, checks: [{type: tcp, host: "
                   "127.0.0.1, port: PORT}]");
    uint64_t t0 = now_ms();
    run_op(t.res, RES_OP_START, &t.o, 5000);
    assert_int_equal(t.o.rc, RES_RC_FAILED);
    _cleanup_free_ char *want = xasprintf(
        "not ready within 800ms: check tcp 127.0.0.1:%u: connection refused", (unsigned)t.port);
    assert_string_equal(t.o.reason, want);
    assert_true(t.o.at_ms - t0 >= 800);
    assert_true(t.o.at_ms - t0 < 10000); /* at ready_timeout, not at the stop that follows */
    /* The process still runs until the start's failure stops it. */
    run_op(t.res, RES_OP_PROBE, &t.o, 5000);
    assert_int_equal(t.o.rc, RES_RC_OK);
    ready_case_end(&t);
}

/* healthy: any is ready when one check passes; all waits for every one. */
static void test_healthy_rule(void **state)
{
    uint16_t up;
    int fd_up = bound_socket(&up);
    assert_int_equal(listen(fd_up, 8), 0);
    for (int any = 1; any >= 0; any--) {
        /* The case's port (refused) first, the listening one second. */
        _cleanup_free_ char *keys = xasprintf(
            "command: [/bin/sleep, '60'], ready_timeout: 600ms, healthy: %s, checks: [{type: "
            "tcp, host: 127.0.0.1, port: PORT}, {type: tcp, host: 127.0.0.1, port: %u}]",
            any ? "any" : "all", (unsigned)up);
        struct ready_case t;
        ready_case(&t, keys);
        run_op(t.res, RES_OP_START, &t.o, 5000);
        if (any) {
            assert_int_equal(t.o.rc, RES_RC_OK);
        } else {
            assert_int_equal(t.o.rc, RES_RC_FAILED);
            _cleanup_free_ char *want =
                xasprintf("not ready within 600ms: check tcp 127.0.0.1:%u: connection refused",
                          (unsigned)t.port);
            assert_string_equal(t.o.reason, want);
        }
        ready_case_end(&t);
    }
    close(fd_up);
}

/* Without checks a process is started as soon as it is executed, as before. */
static void test_no_checks_started_at_exec(void **state)
{
    struct ready_case t;
    ready_case(&t, "command: [/bin/sleep, '60']");
    run_op(t.res, RES_OP_START, &t.o, 5000);
    assert_int_equal(t.o.rc, RES_RC_OK);
    assert_false(res_waiting_ready(t.res));
    ready_case_end(&t);
}

/* Cancelling a start that waits for readiness (a stop of the group) ends the wait quietly. */
static void test_cancel_while_waiting(void **state)
{
    struct ready_case t;
    ready_case(&t, "command: [/bin/sleep, '60'], ready_timeout: 500ms, checks: [{type: tcp, host: "
                   "127.0.0.1, port: PORT}]");
    assert_int_equal(res_run(t.res, RES_OP_START, on_done, &t.o), 0);
    assert_false(loop_run_until(is_done, &t.o, 200));
    assert_true(res_waiting_ready(t.res));
    res_cancel(t.res);
    assert_false(res_waiting_ready(t.res));
    assert_false(loop_run_until(is_done, &t.o, 800)); /* no callback, not even at the deadline */
    ready_case_end(&t);
}

/* ---- through the local resource manager ---- */

/* What the last report said of the group's first resource. */
static struct lrm *reporting;
static int reported_first = -1;
static void on_report(void *ctx, size_t g)
{
    if (reporting)
        reported_first = reporting->groups[g]->rs[0];
}
static int failures;
static char *failure_reason;
static void on_failure(void *ctx, size_t g, size_t r, enum db_fail_kind kind, const char *reason)
{
    failures++;
    free(failure_reason);
    failure_reason = xstrdup(reason);
}
static void on_all_stopped(void *ctx, bool ok)
{
}
static const struct lrm_hooks lrm_hooks = {
    .report = on_report, .failure = on_failure, .all_stopped = on_all_stopped};

static bool probed(void *arg)
{
    return lrm_probed(arg);
}

static bool running(void *arg)
{
    return lrm_obs(arg, 0) == POL_OBS_RUNNING && lrm_idle(arg, 0);
}

static bool stopped(void *arg)
{
    return lrm_obs(arg, 0) == POL_OBS_STOPPED && lrm_idle(arg, 0);
}

/* The second resource of the group starts only once the first is ready. */
static void test_lrm_next_waits(void **state)
{
    uint16_t port;
    int fd = bound_socket(&port);
    _cleanup_free_ char *text =
        xasprintf(HEAD "      - {name: db, type: process, command: [/bin/sleep, '60'], "
                       "ready_timeout: 20s, checks: [{type: tcp, host: 127.0.0.1, port: %u}]}\n"
                       "      - {name: web, type: process, command: [/bin/sleep, '61']}\n",
                  (unsigned)port);
    struct cfg *c = load_yaml(text);
    struct lrm *l = lrm_new(&test_loop, c, 0, test_dir, &lrm_hooks, NULL);
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 5000));
    reporting = l;
    lrm_start(l, 0);
    assert_false(loop_run_until(running, l, 700));
    /* Reported while it waits: the cluster's status shows it starting. */
    assert_int_equal(reported_first, RES_ST_STARTING);
    assert_int_equal(lrm_obs(l, 0), POL_OBS_STARTING);
    assert_int_equal(l->groups[0]->rs[0], RES_ST_STARTING);
    assert_int_equal(l->groups[0]->rs[1], RES_ST_STOPPED);
    assert_true(lrm_waiting_ready(l, 0, 0));
    assert_false(lrm_waiting_ready(l, 0, 1));
    assert_int_equal(listen(fd, 8), 0);
    assert_true(loop_run_until(running, l, 5000));
    assert_int_equal(l->groups[0]->rs[1], RES_ST_RUNNING);
    assert_false(lrm_waiting_ready(l, 0, 0));
    assert_int_equal(reported_first, RES_ST_RUNNING);
    assert_int_equal(failures, 0);
    reporting = NULL;
    lrm_stop(l, 0);
    assert_true(loop_run_until(stopped, l, 15000));
    lrm_free(l);
    close(fd);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

/* A first resource never ready: a failed start, reported with its reason; nothing after it ran. */
static void test_lrm_not_ready_fails_start(void **state)
{
    uint16_t port;
    int fd = bound_socket(&port);
    _cleanup_free_ char *text =
        xasprintf(HEAD "      - {name: db, type: process, command: [/bin/sleep, '60'], "
                       "ready_timeout: 500ms, checks: [{type: tcp, host: 127.0.0.1, port: %u}]}\n"
                       "      - {name: web, type: process, command: [/bin/sleep, '61']}\n",
                  (unsigned)port);
    struct cfg *c = load_yaml(text);
    struct lrm *l = lrm_new(&test_loop, c, 0, test_dir, &lrm_hooks, NULL);
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 5000));
    failures = 0;
    lrm_start(l, 0);
    assert_true(loop_run_until(stopped, l, 10000));
    assert_int_equal(failures, 1);
    _cleanup_free_ char *want = xasprintf(
        "start failed: not ready within 500ms: check tcp 127.0.0.1:%u: connection refused",
        (unsigned)port);
    assert_string_equal(failure_reason, want);
    assert_int_equal(l->groups[0]->rs[0], RES_ST_STOPPED);
    assert_int_equal(l->groups[0]->rs[1], RES_ST_STOPPED);
    free(failure_reason);
    failure_reason = NULL;
    lrm_free(l);
    close(fd);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ready_once_listening, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exits_before_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_ready_in_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_healthy_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_checks_started_at_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_while_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lrm_next_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lrm_not_ready_fails_start, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
