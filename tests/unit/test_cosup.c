/*
 * The Corosync supervisor (src/daemon/cosup.c) with a real libuv loop and a
 * shell script standing in for Corosync: the configuration file is written
 * and the program started with -f -c FILE; an exit it did not ask for is
 * restarted with back-off until the sixth exit within a minute, when it gives
 * up; a stop, a kill and a refused restart start nothing again.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "base/util.h"
#include "config/config.h"
#include "daemon/cosup.h"
#include "loop_helpers.h"
#include "proc_helpers.h"

static struct cfg *cfg;

struct seen {
    int started, crashed, failed, stopped;
    int last_pid;
    bool restart; /* what crashed answers */
    char why[512];
    char desc[64];
};

static void on_started(void *ctx, int pid)
{
    struct seen *s = ctx;
    s->started++;
    s->last_pid = pid;
}

static bool on_crashed(void *ctx, const char *desc)
{
    struct seen *s = ctx;
    s->crashed++;
    snprintf(s->desc, sizeof(s->desc), "%s", desc);
    return s->restart;
}

static void on_failed(void *ctx, const char *why)
{
    struct seen *s = ctx;
    s->failed++;
    snprintf(s->why, sizeof(s->why), "%s", why);
}

static void on_stopped(void *ctx, const char *desc)
{
    struct seen *s = ctx;
    s->stopped++;
    snprintf(s->desc, sizeof(s->desc), "%s", desc);
}

static const struct cosup_hooks hooks = {
    .started = on_started, .crashed = on_crashed, .failed = on_failed, .stopped = on_stopped};

static int setup(void **state)
{
    if (loop_setup("cosup") < 0)
        return -1;
    _cleanup_free_ char *path =
        xasprintf("%s/configs/valid/minimal.yaml", getenv("VIGIL_TEST_DATA"));
    struct cfg_diags d;
    cfg_diags_init(&d);
    int r = cfg_load_file(path, 0, &cfg, &d);
    cfg_diags_clear(&d);
    return r;
}

static int teardown(void **state)
{
    cfg_free(cfg);
    return loop_teardown();
}

/* A stand-in for corosync: records its arguments, then runs body. */
static char *fake_corosync(const char *body)
{
    char *path = xasprintf("%s/corosync", test_dir);
    _cleanup_free_ char *text =
        xasprintf("#!/bin/sh\necho \"$@\" >> %s/args\n%s\n", test_dir, body);
    assert_int_equal(write_file_atomic(path, text, strlen(text), 0755), 0);
    return path;
}

static const int *count_of;
static int count_want;
static bool count_reached(void *arg)
{
    return *count_of >= count_want;
}

/* Turns the loop until *count reaches want, or 10 s pass. */
static void run_until(const int *count, int want)
{
    count_of = count;
    count_want = want;
    loop_run_until(count_reached, NULL, 10000);
}

/* Turns the loop for ms milliseconds. */
static void run_for(uint64_t ms)
{
    loop_run_until(NULL, NULL, ms);
}

static void test_start_writes_conf_and_stop(void **state)
{
    _cleanup_free_ char *bin = fake_corosync("exec sleep 60");
    _cleanup_free_ char *conf =
        xasprintf("%s/run/corosync.conf", test_dir); /* run/ does not exist */
    struct seen s = {.restart = true};
    struct cosup *c = cosup_new(&test_loop, bin, conf, &hooks, &s);
    assert_int_equal(cosup_start(c, cfg), 0);
    assert_int_equal(s.started, 1);
    assert_true(cosup_running(c));
    _cleanup_free_ char *text = NULL;
    size_t len;
    assert_int_equal(read_file(conf, 1 << 20, &text, &len), 0);
    _cleanup_free_ char *want = cfg_corosync_conf(cfg);
    assert_string_equal(text, want);
    /* The program was run as corosync -f -c FILE. */
    run_for(200);
    _cleanup_free_ char *args_path = xasprintf("%s/args", test_dir);
    _cleanup_free_ char *args = NULL;
    assert_int_equal(read_file(args_path, 4096, &args, &len), 0);
    _cleanup_free_ char *want_args = xasprintf("-f -c %s\n", conf);
    assert_string_equal(args, want_args);

    pid_t pid = s.last_pid;
    assert_true(cosup_stop(c, 5000));
    run_until(&s.stopped, 1);
    assert_int_equal(s.stopped, 1);
    assert_int_equal(s.crashed, 0);
    assert_int_equal(s.started, 1);
    assert_false(cosup_running(c));
    assert_true(wait_gone(pid));
    assert_false(cosup_stop(c, 5000)); /* not running any more */
    cosup_free(c);
}

static void test_crash_restarts_then_gives_up(void **state)
{
    _cleanup_free_ char *bin = fake_corosync("exit 3");
    _cleanup_free_ char *conf = xasprintf("%s/corosync.conf", test_dir);
    struct seen s = {.restart = true};
    struct cosup *c = cosup_new(&test_loop, bin, conf, &hooks, &s);
    uint64_t t0 = time_mono_ms();
    assert_int_equal(cosup_start(c, cfg), 0);
    run_until(&s.failed, 1);
    uint64_t took = time_mono_ms() - t0;
    /* The first start, then five restarts; the sixth exit gives up. */
    assert_int_equal(s.started, 1 + COSUP_RESTART_MAX);
    assert_int_equal(s.crashed, 1 + COSUP_RESTART_MAX);
    assert_int_equal(s.failed, 1);
    assert_string_equal(s.desc, "exited with status 3");
    assert_non_null(strstr(s.why, "Corosync failed 6 times within 60 s; giving up"));
    assert_non_null(strstr(s.why, conf));
    /* Back-off: 0 + 100 + 200 + 400 + 800 ms between the restarts. */
    assert_true(took >= 1500);
    run_for(300);
    assert_int_equal(s.started, 1 + COSUP_RESTART_MAX); /* nothing more */
    cosup_free(c);
}

static void test_crash_refused_restart(void **state)
{
    _cleanup_free_ char *bin = fake_corosync("exit 0");
    _cleanup_free_ char *conf = xasprintf("%s/corosync.conf", test_dir);
    struct seen s = {.restart = false};
    struct cosup *c = cosup_new(&test_loop, bin, conf, &hooks, &s);
    assert_int_equal(cosup_start(c, cfg), 0);
    run_until(&s.crashed, 1);
    run_for(300);
    assert_int_equal(s.crashed, 1);
    assert_int_equal(s.started, 1);
    assert_int_equal(s.failed, 0);
    cosup_free(c);
}

static void test_restart_then_kill(void **state)
{
    _cleanup_free_ char *bin = fake_corosync("exec sleep 60");
    _cleanup_free_ char *conf = xasprintf("%s/corosync.conf", test_dir);
    struct seen s = {.restart = true};
    struct cosup *c = cosup_new(&test_loop, bin, conf, &hooks, &s);
    assert_int_equal(cosup_start(c, cfg), 0);
    pid_t first = s.last_pid;
    cosup_restart(c); /* as when the connection to it broke */
    run_until(&s.started, 2);
    assert_int_equal(s.crashed, 1);
    assert_non_null(strstr(s.desc, "killed by signal 9"));
    assert_int_equal(s.started, 2);
    assert_true(wait_gone(first));
    pid_t second = s.last_pid;
    assert_int_not_equal(first, second);
    cosup_kill(c); /* leaving uncleanly: no restart */
    run_until(&s.stopped, 1);
    run_for(200);
    assert_int_equal(s.stopped, 1);
    assert_int_equal(s.started, 2);
    assert_true(wait_gone(second));
    cosup_free(c);
}

static void test_unwritable_conf(void **state)
{
    _cleanup_free_ char *bin = fake_corosync("exec sleep 60");
    _cleanup_free_ char *file = xasprintf("%s/plain", test_dir);
    assert_int_equal(write_file_atomic(file, "x", 1, 0644), 0);
    _cleanup_free_ char *conf = xasprintf("%s/plain/corosync.conf", test_dir); /* under a file */
    struct seen s = {.restart = true};
    struct cosup *c = cosup_new(&test_loop, bin, conf, &hooks, &s);
    assert_true(cosup_start(c, cfg) < 0);
    assert_int_equal(s.started, 0);
    assert_false(cosup_running(c));
    cosup_free(c);
    cosup_free(NULL);
    cosup_kill(NULL);
    cosup_restart(NULL);
    assert_false(cosup_stop(NULL, 1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_writes_conf_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_restarts_then_gives_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_refused_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_then_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_conf, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
