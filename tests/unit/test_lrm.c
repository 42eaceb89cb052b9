/*
 * The local resource manager (src/daemon/lrm.c) and the process resource
 * (src/resource/resource.c) never miss the exit of a process, on a real loop
 * with real processes: one that exits within milliseconds of its exec, one
 * whose exit is processed before it is watched, and one that exits while a
 * later resource of its group is still starting. Each is a failure of the
 * kind its on_fail asks for, and the group ends failed (stopped from the
 * failed resource on), never "running" with a dead process.
 *
 * Stops of every group at once (a shutdown, a planned stop, the loss of
 * quorum) go in dependency order, as script resources that log their
 * actions show: a group stops only after the groups here that require it or
 * run together with it have stopped, or failed to stop.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "base/util.h"
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

static struct cfg *load(const char *text)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    int r = cfg_load_string(text, strlen(text), "test.yaml", 0, &c, &d);
    if (r < 0)
        cfg_diags_print(&d, stderr);
    cfg_diags_clear(&d);
    assert_int_equal(r, 0);
    return c;
}

static int setup(void **state)
{
    return loop_setup("lrm");
}

static int teardown(void **state)
{
    return loop_teardown();
}

/* ---- the process resource alone ---- */

struct outcome {
    bool done;
    enum res_rc rc;
};

static void on_done(void *ctx, enum res_rc rc, const char *reason)
{
    struct outcome *o = ctx;
    o->done = true;
    o->rc = rc;
}

static int res_failures;
static char res_reason[128];
static void on_res_failed(void *ctx, const char *reason)
{
    res_failures++;
    snprintf(res_reason, sizeof(res_reason), "%s", reason);
}

static bool is_done(void *arg)
{
    return ((struct outcome *)arg)->done;
}

static bool res_failed(void *arg)
{
    return res_failures >= *(int *)arg;
}

/*
 * A process that exits at once, its exit processed by the loop before the
 * resource is watched: turning the watch on reports it (from the loop,
 * never inside res_watch), once.
 */
static void test_exit_before_watch(void **state)
{
    struct cfg *c =
        load(HEAD "      - {name: r, type: process, command: [/bin/sh, -c, 'exit 3']}\n");
    struct res_env env = {.loop = &test_loop, .cfg = c, .node = 0, .run_dir = test_dir};
    struct res *res = res_new(&env, 0, 0, on_res_failed, NULL);
    struct outcome o = {0};
    res_failures = 0;
    assert_int_equal(res_run(res, RES_OP_START, on_done, &o), 0);
    assert_true(loop_run_until(is_done, &o, 5000));
    assert_int_equal(o.rc, RES_RC_OK);
    /* Long enough for the exit to be seen and reaped while nobody watches. */
    loop_run_until(NULL, NULL, 500);
    assert_int_equal(res_failures, 0);
    res_watch(res, true);
    assert_int_equal(res_failures, 0); /* not inside the call */
    int want = 1;
    assert_true(loop_run_until(res_failed, &want, 2000));
    assert_string_equal(res_reason, "process exited with status 3");
    loop_run_until(NULL, NULL, 200);
    assert_int_equal(res_failures, 1);
    /* Watching again after a stop of the watch reports it again: it is still not running. */
    res_watch(res, false);
    res_watch(res, true);
    want = 2;
    assert_true(loop_run_until(res_failed, &want, 2000));
    res_watch(res, false);
    o = (struct outcome){0};
    assert_int_equal(res_run(res, RES_OP_STOP, on_done, &o), 0);
    assert_true(loop_run_until(is_done, &o, 5000));
    assert_int_equal(o.rc, RES_RC_OK);
    res_free(res);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

/* ---- through the local resource manager ---- */

static int failures;
static size_t failed_res;
static enum db_fail_kind failed_kind;
static char failure_reason[128];
static void on_failure(void *ctx, size_t g, size_t r, enum db_fail_kind kind, const char *reason)
{
    failures++;
    failed_res = r;
    failed_kind = kind;
    snprintf(failure_reason, sizeof(failure_reason), "%s", reason);
}
static void on_report(void *ctx, size_t g)
{
}
static int all_stopped_calls;
static bool all_stopped_ok;
static void on_all_stopped(void *ctx, bool ok)
{
    all_stopped_calls++;
    all_stopped_ok = ok;
}
static const struct lrm_hooks lrm_hooks = {
    .report = on_report, .failure = on_failure, .all_stopped = on_all_stopped};

static bool probed(void *arg)
{
    return lrm_probed(arg);
}

static bool settled(void *arg)
{
    return lrm_idle(arg, 0) && lrm_obs(arg, 0) != POL_OBS_STARTING;
}

static bool failed_idle(void *arg)
{
    return lrm_idle(arg, 0) && lrm_obs(arg, 0) == POL_OBS_FAILED;
}

static bool stopped(void *arg)
{
    return lrm_idle(arg, 0) && lrm_obs(arg, 0) == POL_OBS_STOPPED;
}

static bool two_failures(void *arg)
{
    return failures >= 2;
}

/*
 * A process that exits within milliseconds of its exec, started again and
 * again as a restart in place does: every exit is a failure and leaves the
 * group failed, whatever the order in which the loop sees the start's end
 * and the exit.
 */
static void test_exit_at_once_always_seen(void **state)
{
    struct cfg *c = load(HEAD "      - {name: r, type: process, command: [/bin/false]}\n");
    struct lrm *l = lrm_new(&test_loop, c, 0, test_dir, &lrm_hooks, NULL);
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 5000));
    failures = 0;
    for (int i = 1; i <= 20; i++) {
        lrm_start(l, 0);
        assert_true(loop_run_until(failed_idle, l, 5000));
        assert_int_equal(failures, i);
        assert_int_equal(failed_kind, DB_FAIL_RESTART);
        assert_string_equal(failure_reason, "process exited with status 1");
        assert_int_equal(l->groups[0]->rs[0], RES_ST_STOPPED);
    }
    lrm_stop(l, 0);
    assert_true(loop_run_until(stopped, l, 5000));
    lrm_free(l);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

/* A TCP socket bound to a free port of 127.0.0.1, not listening (connections are refused). */
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

/*
 * The first resource exits while the second one still waits to be ready:
 * its failure is not lost in the start under way. The start is abandoned,
 * the group is stopped from the failed resource on and ends failed; it
 * never reports running with the first process dead.
 */
static void test_exit_while_next_starts(void **state)
{
    uint16_t port;
    int fd = bound_socket(&port);
    _cleanup_free_ char *text =
        xasprintf(HEAD "      - {name: db, type: process, command: [/bin/sh, -c, 'sleep 0.3; exit "
                       "3']}\n"
                       "      - {name: web, type: process, command: [/bin/sleep, '60'], "
                       "ready_timeout: 20s, checks: [{type: tcp, host: 127.0.0.1, port: %u}]}\n",
                  (unsigned)port);
    struct cfg *c = load(text);
    struct lrm *l = lrm_new(&test_loop, c, 0, test_dir, &lrm_hooks, NULL);
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 5000));
    failures = 0;
    lrm_start(l, 0);
    /* web waits for its port for up to 20 s; db exits after 0.3 s. */
    assert_true(loop_run_until(settled, l, 10000));
    assert_int_equal(lrm_obs(l, 0), POL_OBS_FAILED);
    assert_int_equal(failures, 1);
    assert_int_equal(failed_res, 0);
    assert_int_equal(failed_kind, DB_FAIL_RESTART);
    assert_string_equal(failure_reason, "process exited with status 3");
    assert_int_equal(l->groups[0]->rs[0], RES_ST_STOPPED);
    assert_int_equal(l->groups[0]->rs[1], RES_ST_STOPPED);
    /* The port listening now changes nothing: the start was abandoned. */
    assert_int_equal(listen(fd, 8), 0);
    loop_run_until(NULL, NULL, 500);
    assert_int_equal(lrm_obs(l, 0), POL_OBS_FAILED);
    assert_int_equal(failures, 1);
    lrm_stop(l, 0);
    assert_true(loop_run_until(stopped, l, 5000));
    lrm_free(l);
    close(fd);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

/*
 * A resource kept running while the group is failed (a later one failed and
 * was stopped) fails in turn: that is a failure too, and the group is then
 * stopped from it on. It used to be dropped, leaving it "running" for the
 * restart in place that followed.
 */
static void test_kept_resource_fails_while_failed(void **state)
{
    struct cfg *c =
        load(HEAD "      - {name: db, type: process, command: [/bin/sh, -c, 'sleep 0.6; "
                  "exit 4']}\n"
                  "      - {name: web, type: process, command: [/bin/false]}\n");
    struct lrm *l = lrm_new(&test_loop, c, 0, test_dir, &lrm_hooks, NULL);
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 5000));
    failures = 0;
    lrm_start(l, 0);
    assert_true(loop_run_until(failed_idle, l, 5000));
    if (failures == 1) { /* web failed first, as it should; db still runs */
        assert_int_equal(failed_res, 1);
        assert_int_equal(l->groups[0]->rs[0], RES_ST_RUNNING);
    }
    assert_true(loop_run_until(two_failures, NULL, 5000));
    assert_true(loop_run_until(failed_idle, l, 5000));
    assert_int_equal(failed_res, 0);
    assert_string_equal(failure_reason, "process exited with status 4");
    assert_int_equal(l->groups[0]->rs[0], RES_ST_STOPPED);
    assert_int_equal(l->groups[0]->rs[1], RES_ST_STOPPED);
    lrm_stop(l, 0);
    assert_true(loop_run_until(stopped, l, 5000));
    lrm_free(l);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

/* ---- stops in dependency order ---- */

/*
 * One script resource per group: it logs "GROUP stop" when its stop begins
 * and "GROUP stopped" (or "GROUP stop failed") when it ends; a stop takes
 * 0.3 s when DIR/GROUP.slow exists and fails when DIR/GROUP.failstop does.
 */
static const char order_script[] =
    "#!/bin/sh\n"
    "d=$(dirname \"$0\"); g=$VIGIL_GROUP\n"
    "case $1 in\n"
    "start) touch \"$d/$g.on\";;\n"
    "stop) echo \"$g stop\" >> \"$d/log\"\n"
    "      [ -e \"$d/$g.slow\" ] && sleep 0.3\n"
    "      if [ -e \"$d/$g.failstop\" ]; then echo \"$g stop failed\" >> \"$d/log\"; exit 1; fi\n"
    "      rm -f \"$d/$g.on\"; echo \"$g stopped\" >> \"$d/log\";;\n"
    "monitor) [ -e \"$d/$g.on\" ] && exit 0; exit 7;;\n"
    "esac\n"
    "exit 0\n";

#define ORDER_GROUP(name, keys)                                                                    \
    "  - {name: " name ", domain: [n1, n2], " keys "resources: [{name: " name                      \
    "-s, type: script, path: %s/order.sh}]}\n"

/* db <- app (requires db) <- web (together_with app); misc needs nothing. */
static struct cfg *order_cfg(void)
{
    _cleanup_free_ char *script = xasprintf("%s/order.sh", test_dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs(order_script, f);
    fclose(f);
    assert_int_equal(chmod(script, 0755), 0);
    _cleanup_free_ char *text =
        xasprintf("cluster: {name: t}\n"
                  "networks: [{name: lan}]\n"
                  "nodes:\n"
                  "  - {name: n1, id: 1, addresses: {lan: 192.0.2.1}}\n"
                  "  - {name: n2, id: 2, addresses: {lan: 192.0.2.2}}\n"
                  "fencing: {enabled: false}\n"
                  "groups:\n" ORDER_GROUP("web", "together_with: app, ") ORDER_GROUP("misc", "")
                      ORDER_GROUP("app", "requires: db, ") ORDER_GROUP("db", ""),
                  test_dir, test_dir, test_dir, test_dir);
    return load(text);
}

static void touch(const char *name)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", test_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

/* The stop log, one line each; *ret_n lines. Owned by the caller (free each, then the array). */
static char **stop_log(size_t *ret_n)
{
    _cleanup_free_ char *path = xasprintf("%s/log", test_dir);
    char *text = NULL;
    size_t len;
    char **lines = xcalloc(64, sizeof(char *));
    size_t n = 0;
    if (read_file(path, 1 << 16, &text, &len) == 0) {
        char *save = NULL;
        for (char *t = strtok_r(text, "\n", &save); t && n < 64; t = strtok_r(NULL, "\n", &save))
            lines[n++] = xstrdup(t);
        free(text);
    }
    *ret_n = n;
    return lines;
}

/* Where line appears in the log, or fails the test. */
static size_t log_at(char **lines, size_t n, const char *line)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(lines[i], line) == 0)
            return i;
    fail_msg("'%s' is not in the stop log", line);
    return 0;
}

static void free_log(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static bool all_idle(void *arg)
{
    struct lrm *l = arg;
    for (size_t g = 0; g < l->cfg->n_groups; g++)
        if (!lrm_idle(l, g))
            return false;
    return true;
}

static bool all_stopped_called(void *arg)
{
    return all_stopped_calls > 0;
}

/* An lrm on order_cfg with every group probed and started (everything runs here). */
static struct lrm *order_lrm(struct cfg *c)
{
    struct lrm *l = lrm_new(&test_loop, c, 0, test_dir, &lrm_hooks, NULL);
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 5000));
    for (size_t g = 0; g < c->n_groups; g++)
        lrm_start(l, g);
    assert_true(loop_run_until(all_idle, l, 10000));
    for (size_t g = 0; g < c->n_groups; g++)
        assert_int_equal(lrm_obs(l, g), POL_OBS_RUNNING);
    return l;
}

static size_t gi(const struct cfg *c, const char *name)
{
    return cfg_group_index(c, cfg_group_by_name(c, name));
}

/*
 * lrm_stop_all: web (slow to stop) first, then app, then db, each once the
 * one that needs it has stopped; misc at once.
 */
static void test_stop_all_in_dependency_order(void **state)
{
    struct cfg *c = order_cfg();
    struct lrm *l = order_lrm(c);
    touch("web.slow");
    touch("app.slow");
    all_stopped_calls = 0;
    lrm_stop_all(l);
    assert_true(loop_run_until(all_stopped_called, NULL, 10000));
    assert_true(all_stopped_ok);
    for (size_t g = 0; g < c->n_groups; g++)
        assert_int_equal(lrm_obs(l, g), POL_OBS_STOPPED);
    size_t n;
    char **log = stop_log(&n);
    assert_int_equal(n, 8);
    assert_true(log_at(log, n, "web stopped") < log_at(log, n, "app stop"));
    assert_true(log_at(log, n, "app stopped") < log_at(log, n, "db stop"));
    assert_true(log_at(log, n, "misc stop") < log_at(log, n, "web stopped"));
    free_log(log, n);
    lrm_free(l);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

/* A dependant that fails to stop no longer holds what it requires: db still stops. */
static void test_stop_all_goes_on_after_a_failed_stop(void **state)
{
    struct cfg *c = order_cfg();
    struct lrm *l = order_lrm(c);
    touch("app.failstop");
    all_stopped_calls = 0;
    lrm_stop_all(l);
    assert_true(loop_run_until(all_stopped_called, NULL, 10000));
    assert_false(all_stopped_ok);
    assert_int_equal(lrm_obs(l, gi(c, "app")), POL_OBS_STOP_FAILED);
    assert_int_equal(lrm_obs(l, gi(c, "db")), POL_OBS_STOPPED);
    size_t n;
    char **log = stop_log(&n);
    assert_true(log_at(log, n, "web stopped") < log_at(log, n, "app stop"));
    assert_true(log_at(log, n, "app stop failed") < log_at(log, n, "db stop"));
    free_log(log, n);
    lrm_free(l);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

/*
 * lrm_stop_running (no quorum) orders its stops alike; a group that does not
 * run here and an unmanaged one hold nothing: with web unmanaged (left
 * running) and misc stopped, app stops at once, then db.
 */
static void test_stop_running_in_dependency_order(void **state)
{
    struct cfg *c = order_cfg();
    struct lrm *l = order_lrm(c);
    lrm_stop(l, gi(c, "misc"));
    assert_true(loop_run_until(all_idle, l, 5000));
    lrm_set_managed(l, gi(c, "web"), false);
    _cleanup_free_ char *path = xasprintf("%s/log", test_dir);
    unlink(path);
    touch("app.slow");
    lrm_stop_running(l, "no quorum");
    assert_true(loop_run_until(all_idle, l, 10000));
    assert_int_equal(lrm_obs(l, gi(c, "app")), POL_OBS_STOPPED);
    assert_int_equal(lrm_obs(l, gi(c, "db")), POL_OBS_STOPPED);
    assert_int_equal(lrm_obs(l, gi(c, "web")), POL_OBS_RUNNING);
    size_t n;
    char **log = stop_log(&n);
    assert_int_equal(n, 4);
    assert_string_equal(log[0], "app stop");
    assert_string_equal(log[1], "app stopped");
    assert_string_equal(log[2], "db stop");
    assert_string_equal(log[3], "db stopped");
    free_log(log, n);
    lrm_free(l);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exit_before_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_at_once_always_seen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_while_next_starts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kept_resource_fails_while_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_all_in_dependency_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_all_goes_on_after_a_failed_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_running_in_dependency_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
