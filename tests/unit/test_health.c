/*
 * Unit tests for the health of a resource (src/resource/health.c): its
 * checks run at their intervals, the all / any thresholds, consecutive
 * failures, stop and free (also from within the callback), on a real libuv
 * loop with real programs and sockets on the loopback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
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

#include "proc_helpers.h"

#include "base/util.h"
#include "resource/health.h"

static char dir[] = "/tmp/vigil-health-test-XXXXXX";

#include "check_helpers.h"

static int setup(void **state)
{
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- checks ---- */

/* ---- health ---- */

struct unhealthy {
    int calls;
    char *reason;
    struct health **free_me; /* freed from within the callback when set */
};

static void on_unhealthy(void *ctx, const char *reason)
{
    struct unhealthy *u = ctx;
    u->calls++;
    free(u->reason);
    u->reason = xstrdup(reason);
    if (u->free_me) {
        health_free(*u->free_me);
        *u->free_me = NULL;
    }
}

/* A check script that counts its runs in NAME.count and succeeds while NAME.ok exists. */
static char *counted_script(const char *name)
{
    _cleanup_free_ char *file = xasprintf("%s.sh", name);
    _cleanup_free_ char *body =
        xasprintf("echo x >> %s/%s.count\ntest -e %s/%s.ok", dir, name, dir, name);
    return write_script(file, body);
}

static void set_ok(const char *name, bool ok)
{
    _cleanup_free_ char *path = xasprintf("%s/%s.ok", dir, name);
    if (ok)
        assert_int_equal(write_file_atomic(path, "", 0, 0644), 0);
    else
        unlink(path);
}

static int runs(const char *name)
{
    _cleanup_free_ char *path = xasprintf("%s/%s.count", dir, name);
    char *buf = NULL;
    size_t len = 0;
    if (read_file(path, 1 << 20, &buf, &len) < 0)
        return 0;
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    free(buf);
    return n;
}

struct two_checks {
    char *a_path, *b_path;
    char *a_argv[2], *b_argv[2];
    struct cfg_check checks[2];
    struct cfg_resource r;
};

/* Checks a and b (scripts from counted_script, every 20 ms), with b's failure threshold. */
static void two_checks(struct two_checks *t, const char *a, const char *b, uint32_t b_failures,
                       bool any)
{
    memset(t, 0, sizeof(*t));
    t->a_path = counted_script(a);
    t->b_path = counted_script(b);
    t->a_argv[0] = t->a_path;
    t->b_argv[0] = t->b_path;
    t->checks[0] = exec_check(t->a_argv, 10000);
    t->checks[1] = exec_check(t->b_argv, 10000);
    t->checks[0].interval_ms = t->checks[1].interval_ms = 20;
    t->checks[1].failures = b_failures;
    t->r.checks = t->checks;
    t->r.n_checks = 2;
    t->r.healthy_any = any;
}

static void two_checks_free(struct two_checks *t)
{
    free(t->a_path);
    free(t->b_path);
}

static void test_health_all(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct two_checks t;
    two_checks(&t, "all_a", "all_b", 3, false);
    set_ok("all_a", true);
    struct unhealthy u = {0};
    struct health *h = health_new(&loop, &t.r, on_unhealthy, &u);
    assert_false(health_running(h));
    assert_null(health_last_failure(h));
    health_start(h);
    assert_true(health_running(h));
    assert_true(run_until(&loop, &u.calls, 1, 10000));
    /* One check down is enough; only after its third failure in a row. */
    _cleanup_free_ char *want =
        xasprintf("exec %s: exited with status 1 (3 failures in a row)", t.b_path);
    assert_string_equal(u.reason, want);
    assert_int_equal(runs("all_b"), 3);
    assert_false(health_running(h));
    _cleanup_free_ char *last = xasprintf("exec %s: exited with status 1", t.b_path);
    assert_string_equal(health_last_failure(h), last);

    /* Stopped: nothing runs any more, the callback does not come again. */
    run_for(&loop, 30); /* a run of a that was cancelled may have counted itself first */
    int a_runs = runs("all_a");
    run_for(&loop, 150);
    assert_int_equal(u.calls, 1);
    assert_int_equal(runs("all_b"), 3);
    assert_int_equal(runs("all_a"), a_runs);

    /* Started again: counters from zero, three more failures before it fires again. */
    health_start(h);
    assert_true(run_until(&loop, &u.calls, 2, 10000));
    assert_int_equal(runs("all_b"), 6);
    assert_string_equal(health_last_failure(h), last);

    health_free(h);
    loop_done(&loop);
    free(u.reason);
    two_checks_free(&t);
}

static void test_health_any(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct two_checks t;
    two_checks(&t, "any_a", "any_b", 1, true);
    set_ok("any_a", true);
    struct unhealthy u = {0};
    struct health *h = health_new(&loop, &t.r, on_unhealthy, &u);
    health_start(h);
    /* b fails every time, a keeps the resource healthy. */
    for (int i = 0; i < 1000 && (runs("any_a") < 5 || runs("any_b") < 5); i++)
        run_for(&loop, 10);
    assert_true(runs("any_b") >= 5);
    assert_int_equal(u.calls, 0);
    assert_true(health_running(h));
    _cleanup_free_ char *b_fail = xasprintf("exec %s: exited with status 1", t.b_path);
    assert_string_equal(health_last_failure(h), b_fail);

    /* Both down: unhealthy, naming both. */
    set_ok("any_a", false);
    assert_true(run_until(&loop, &u.calls, 1, 10000));
    assert_non_null(strstr(u.reason, t.a_path));
    assert_non_null(strstr(u.reason, t.b_path));
    assert_non_null(strstr(u.reason, "; "));
    run_for(&loop, 100);
    assert_int_equal(u.calls, 1);

    health_free(h);
    loop_done(&loop);
    free(u.reason);
    two_checks_free(&t);
}

static void test_health_success_resets_the_count(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    /* Fails on every other run: never two in a row. */
    _cleanup_free_ char *body =
        xasprintf("echo x >> %s/alt.count\nexit $(( $(wc -l < %s/alt.count) %% 2 ))", dir, dir);
    _cleanup_free_ char *path = write_script("alt.sh", body);
    char *argv[] = {path, NULL};
    struct cfg_check c = exec_check(argv, 10000);
    c.interval_ms = 20;
    c.failures = 2;
    struct cfg_resource r = {.checks = &c, .n_checks = 1};
    struct unhealthy u = {0};
    struct health *h = health_new(&loop, &r, on_unhealthy, &u);
    health_start(h);
    for (int i = 0; i < 1000 && runs("alt") < 8; i++)
        run_for(&loop, 10);
    assert_true(runs("alt") >= 8);
    assert_int_equal(u.calls, 0);
    assert_non_null(health_last_failure(h));
    health_stop(h);
    assert_false(health_running(h));
    health_free(h);
    loop_done(&loop);
}

static void test_health_stop_cancels_probes(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    _cleanup_free_ char *pidfile = xasprintf("%s/stop.pid", dir);
    _cleanup_free_ char *body =
        xasprintf("echo $$ > %s.tmp\nmv %s.tmp %s\nexec sleep 30", pidfile, pidfile, pidfile);
    _cleanup_free_ char *path = write_script("stop.sh", body);
    char *argv[] = {path, NULL};
    struct cfg_check c = exec_check(argv, 10000);
    c.interval_ms = 20;
    struct cfg_resource r = {.checks = &c, .n_checks = 1};
    struct unhealthy u = {0};
    struct health *h = health_new(&loop, &r, on_unhealthy, &u);
    health_start(h);
    for (int i = 0; i < 500 && access(pidfile, F_OK) < 0; i++)
        run_for(&loop, 10);
    pid_t pid = read_pid(pidfile, 100);
    health_stop(h);
    assert_true(wait_gone(pid));
    run_for(&loop, 100);
    assert_int_equal(u.calls, 0);
    assert_null(health_last_failure(h));
    health_free(h);
    health_free(NULL);
    loop_done(&loop);
}

static void test_health_freed_in_callback(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint16_t port;
    int fd = tcp_socket(-1, &port);
    struct cfg_check c[2] = {tcp_check("127.0.0.1", port, 1000),
                             tcp_check("127.0.0.1", port, 1000)};
    c[0].interval_ms = 20;
    c[1].interval_ms = 5000; /* its first probe is still to come: only its timer runs */
    struct cfg_resource r = {.checks = c, .n_checks = 2};
    struct health *h = NULL;
    struct unhealthy u = {.free_me = &h};
    h = health_new(&loop, &r, on_unhealthy, &u);
    health_start(h);
    assert_true(run_until(&loop, &u.calls, 1, 10000));
    assert_null(h);
    _cleanup_free_ char *want = xasprintf("tcp 127.0.0.1:%u: connection refused", port);
    assert_string_equal(u.reason, want);
    loop_done(&loop);
    free(u.reason);
    close(fd);
}

static void test_health_without_checks(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct cfg_resource r = {0};
    struct unhealthy u = {0};
    struct health *h = health_new(&loop, &r, on_unhealthy, &u);
    health_start(h);
    run_for(&loop, 50);
    assert_int_equal(u.calls, 0);
    health_free(h);
    loop_done(&loop);
}

/* Waiting for readiness: 20 ms after the first failed probe, doubling up to 200 ms. */
static void test_ready_retry_schedule(void **state)
{
    const uint64_t want[] = {20, 40, 80, 160, 200, 200, 200, 200, 200, 200};
    for (uint32_t t = 0; t < sizeof(want) / sizeof(want[0]); t++)
        assert_int_equal(health_ready_retry_ms(t, 1000), want[t]);
    assert_int_equal(health_ready_retry_ms(1000000, 1000), 200);
    /* Never longer than the check's own interval; 0 is the default interval. */
    assert_int_equal(health_ready_retry_ms(0, 10), 10);
    assert_int_equal(health_ready_retry_ms(3, 100), 100);
    assert_int_equal(health_ready_retry_ms(3, 0), 160);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_retry_schedule),
        cmocka_unit_test(test_health_all),
        cmocka_unit_test(test_health_any),
        cmocka_unit_test(test_health_success_resets_the_count),
        cmocka_unit_test(test_health_stop_cancels_probes),
        cmocka_unit_test(test_health_freed_in_callback),
        cmocka_unit_test(test_health_without_checks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
