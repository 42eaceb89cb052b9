/*
 * Unit tests for fence-agent calls (src/fence/agent.c): the protocol input,
 * secrets, outcomes, timeouts and output limits, with small shell-script
 * agents and a real libuv loop.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "exec/run.h"
#include "fence/agent.h"
#include "fence/fence.h"

static char dir[] = "/tmp/vigil-fence-test-XXXXXX";

static char *write_script(const char *name, const char *body, unsigned mode)
{
    char *path = xasprintf("%s/%s", dir, name);
    _cleanup_free_ char *text = xasprintf("#!/bin/sh\n%s\n", body);
    assert_int_equal(write_file_atomic(path, text, strlen(text), mode), 0);
    return path;
}

static int setup(void **state)
{
    if (!mkdtemp(dir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

struct outcome {
    bool called;
    enum fence_outcome outcome;
    char *output;
    char *reason;
    uint64_t duration_ms;
};

static void on_done(const struct fence_result *r, void *ctx)
{
    struct outcome *o = ctx;
    assert_false(o->called);
    o->called = true;
    o->outcome = r->outcome;
    o->output = xstrdup(r->output);
    o->reason = xstrdup(r->reason);
    o->duration_ms = r->duration_ms;
}

/* Runs one call to completion on a fresh loop. */
static void run_call(struct cfg_fence_device *dev, const char *action, struct outcome *o)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct fence_call *call;
    char *err = NULL;
    memset(o, 0, sizeof(*o));
    int r = fence_call_start(&loop, dev, action, "n3", "7", on_done, o, &call, &err);
    if (r < 0)
        fail_msg("fence_call_start: %s", err);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0); /* nothing left behind */
    assert_true(o->called);
}

static void outcome_clear(struct outcome *o)
{
    free(o->output);
    free(o->reason);
}

static struct cfg_param params[] = {{(char *)"ip", (char *)"192.0.2.200"},
                                    {(char *)"username", (char *)"admin"}};

static struct cfg_fence_device device(char *agent)
{
    struct cfg_fence_device d = {.name = (char *)"pdu1",
                                 .agent = agent,
                                 .params = params,
                                 .n_params = 2,
                                 .timeout_ms = 5000};
    return d;
}

static void test_build_input(void **state)
{
    struct cfg_fence_device d = device((char *)"/x");
    char *in = NULL, *err = NULL;
    assert_int_equal(fence_build_input(&d, "off", "n3", "7",
                                       "# comment\n\npassword=s3cret\r\nlogin_timeout=5\n", &in,
                                       &err),
                     0);
    assert_string_equal(in, "action=off\nnodename=n3\nplug=7\nip=192.0.2.200\nusername=admin\n"
                            "password=s3cret\nlogin_timeout=5\n");
    free(in);
    assert_int_equal(fence_build_input(&d, "status", "n1", NULL, NULL, &in, &err), 0);
    assert_string_equal(in, "action=status\nnodename=n1\nip=192.0.2.200\nusername=admin\n");
    free(in);
}

static void test_bad_secrets_never_shown(void **state)
{
    struct cfg_fence_device d = device((char *)"/x");
    d.secrets = (char *)"/etc/vigil/fence/pdu1";
    char *in = NULL, *err = NULL;
    assert_int_equal(fence_build_input(&d, "off", "n3", NULL, "password=ok\nhunter2\n", &in, &err),
                     -EINVAL);
    assert_null(in);
    assert_string_equal(err, "device pdu1: secrets file /etc/vigil/fence/pdu1, line 2, is not "
                             "key=value");
    free(err);
    assert_int_equal(fence_build_input(&d, "off", "n3", NULL, "Bad-Key=x\n", &in, &err), -EINVAL);
    assert_null(strstr(err, "Bad-Key"));
    free(err);
}

static void test_mask(void **state)
{
    char **v = fence_secret_values("password=s3cret\n#x=y\ntoken=abc\nempty=\n");
    assert_string_equal(v[0], "s3cret");
    assert_string_equal(v[1], "abc");
    assert_null(v[2]);
    char text[] = "login with s3cret failed; s3cret again; abc";
    fence_mask_secrets(text, v);
    assert_string_equal(text, "login with ****** failed; ****** again; ***");
    fence_strv_free(v);
}

/*
 * Found by fuzzing: masking one secret hid an overlapping occurrence of
 * another (admin in admin123 left "123"), or of itself ("aa" in "aaa" left an
 * "a"); a secret with a control byte was never found in the safe output,
 * which shows that byte as '?', so all of it stayed.
 */
static void test_mask_overlapping_and_control_bytes(void **state)
{
    char **v = fence_secret_values("login=admin\npasswd=admin123\n");
    char text[] = "Unable to connect as admin with admin123";
    fence_mask_secrets(text, v);
    assert_string_equal(text, "Unable to connect as ***** with ********");
    fence_strv_free(v);

    v = fence_secret_values("password=aa\n");
    char twice[] = "aaa a";
    fence_mask_secrets(twice, v);
    assert_string_equal(twice, "*** a");
    fence_strv_free(v);

    v = fence_secret_values("password=pa\x01ss\ntoken=t\tk\n");
    assert_string_equal(v[0], "pa?ss"); /* as the safe output shows it */
    assert_string_equal(v[1], "t\tk");
    char raw[] = "echo pa\x01ss t\tk";
    run_sanitize(raw, strlen(raw));
    fence_mask_secrets(raw, v);
    assert_string_equal(raw, "echo ***** ***");
    fence_strv_free(v);
}

static void test_success_gets_input_on_stdin(void **state)
{
    _cleanup_free_ char *log = xasprintf("%s/stdin.txt", dir);
    _cleanup_free_ char *body = xasprintf("cat > '%s'\necho \"args: $# $0\"\nexit 0", log);
    _cleanup_free_ char *agent = write_script("fence_ok", body, 0755);
    _cleanup_free_ char *secrets = xasprintf("%s/secrets", dir);
    assert_int_equal(write_file_atomic(secrets, "password=topsecret\n", 19, 0600), 0);
    struct cfg_fence_device d = device(agent);
    d.secrets = secrets;
    struct outcome o;
    run_call(&d, "off", &o);
    assert_int_equal(o.outcome, FENCE_SUCCESS);
    char *got;
    size_t n;
    assert_int_equal(read_file(log, 4096, &got, &n), 0);
    assert_string_equal(got, "action=off\nnodename=n3\nplug=7\nip=192.0.2.200\nusername=admin\n"
                             "password=topsecret\n");
    free(got);
    /* No arguments at all: secrets never reach an argument list. */
    _cleanup_free_ char *want = xasprintf("args: 0 %s\n", agent);
    assert_string_equal(o.output, want);
    assert_non_null(strstr(o.reason, "succeeded in"));
    outcome_clear(&o);
}

static void test_failure_reason_and_masking(void **state)
{
    _cleanup_free_ char *agent = write_script(
        "fence_fail",
        "cat >/dev/null\necho 'connecting'\necho 'login failed for admin/topsecret' >&2\nexit 1",
        0755);
    _cleanup_free_ char *secrets = xasprintf("%s/secrets2", dir);
    assert_int_equal(write_file_atomic(secrets, "password=topsecret\n", 19, 0600), 0);
    struct cfg_fence_device d = device(agent);
    d.secrets = secrets;
    struct outcome o;
    run_call(&d, "off", &o);
    assert_int_equal(o.outcome, FENCE_FAILED);
    assert_string_equal(o.reason, "exited with status 1: login failed for admin/*********");
    assert_null(strstr(o.output, "topsecret"));
    assert_non_null(strstr(o.output, "connecting"));
    outcome_clear(&o);
}

static void test_status_off(void **state)
{
    _cleanup_free_ char *agent =
        write_script("fence_status", "cat >/dev/null\necho off\nexit 2", 0755);
    struct cfg_fence_device d = device(agent);
    struct outcome o;
    run_call(&d, "status", &o);
    assert_int_equal(o.outcome, FENCE_POWERED_OFF);
    outcome_clear(&o);
}

static void test_timeout_kills_the_whole_group(void **state)
{
    _cleanup_free_ char *pidfile = xasprintf("%s/child.pid", dir);
    _cleanup_free_ char *body =
        xasprintf("sleep 60 &\necho $! > '%s'\ntrap '' TERM\nwhile :; do sleep 1; done", pidfile);
    _cleanup_free_ char *agent = write_script("fence_hang", body, 0755);
    struct cfg_fence_device d = device(agent);
    d.timeout_ms = 300;
    struct outcome o;
    run_call(&d, "off", &o);
    assert_int_equal(o.outcome, FENCE_TIMED_OUT);
    assert_string_equal(o.reason, "timed out after 300ms");
    assert_true(o.duration_ms < 300 + FENCE_KILL_GRACE_MS + 3000);
    /* The agent's own child went with it (the agent's process group was killed). */
    char *pid;
    size_t n;
    assert_int_equal(read_file(pidfile, 64, &pid, &n), 0);
    _cleanup_free_ char *proc = xasprintf("/proc/%d", atoi(pid));
    free(pid);
    for (int i = 0; i < 100 && access(proc, F_OK) == 0; i++)
        usleep(20000);
    assert_int_not_equal(access(proc, F_OK), 0);
    outcome_clear(&o);
}

static void test_output_is_bounded(void **state)
{
    _cleanup_free_ char *agent =
        write_script("fence_loud", "head -c 2000000 /dev/zero | tr '\\0' 'x'\nexit 1", 0755);
    struct cfg_fence_device d = device(agent);
    struct outcome o;
    run_call(&d, "off", &o);
    assert_int_equal(o.outcome, FENCE_FAILED);
    assert_int_equal(strlen(o.output), FENCE_MAX_OUTPUT);
    assert_true(strlen(o.reason) < 300);
    outcome_clear(&o);
}

static void test_garbage_output_is_made_safe(void **state)
{
    _cleanup_free_ char *agent = write_script(
        "fence_garbage", "printf 'ok\\000\\377\\376 caf\\303\\251 \\033[2J end\\n'\nexit 3", 0755);
    struct cfg_fence_device d = device(agent);
    struct outcome o;
    run_call(&d, "off", &o);
    assert_int_equal(o.outcome, FENCE_FAILED);
    assert_string_equal(o.output, "ok??? caf\xc3\xa9 ?[2J end\n");
    assert_string_equal(o.reason, "exited with status 3: ok??? caf\xc3\xa9 ?[2J end");
    outcome_clear(&o);
}

static void test_agent_not_runnable(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct outcome o = {0};
    struct fence_call *call;
    char *err = NULL;
    _cleanup_free_ char *missing = xasprintf("%s/fence_missing", dir);
    struct cfg_fence_device d = device(missing);
    assert_int_equal(fence_call_start(&loop, &d, "off", "n3", NULL, on_done, &o, &call, &err),
                     -ENOENT);
    _cleanup_free_ char *want = xasprintf("cannot run %s: No such file or directory", missing);
    assert_string_equal(err, want);
    free(err);
    _cleanup_free_ char *noexec = write_script("fence_noexec", "exit 0", 0644);
    d.agent = noexec;
    assert_int_equal(fence_call_start(&loop, &d, "off", "n3", NULL, on_done, &o, &call, &err),
                     -EACCES);
    free(err);
    d.agent = noexec;
    d.secrets = (char *)"/nonexistent/secrets";
    assert_int_equal(fence_call_start(&loop, &d, "off", "n3", NULL, on_done, &o, &call, &err),
                     -ENOENT);
    assert_string_equal(err, "device pdu1: cannot read secrets file /nonexistent/secrets: No such "
                             "file or directory");
    free(err);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_false(o.called);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_cancel(void **state)
{
    _cleanup_free_ char *agent = write_script("fence_slow", "sleep 30", 0755);
    struct cfg_fence_device d = device(agent);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct outcome o = {0};
    struct fence_call *call;
    char *err = NULL;
    assert_int_equal(fence_call_start(&loop, &d, "off", "n3", NULL, on_done, &o, &call, &err), 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    fence_call_cancel(call);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_false(o.called);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- levels ---------------------------------------------------------------- */

struct op_log {
    char text[2048];
    bool done, success;
    size_t level;
    char summary[512];
};

static void on_attempt(void *ctx, size_t level, unsigned attempt, const char *device,
                       const struct fence_result *r)
{
    struct op_log *l = ctx;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof(l->text) - n, "L%zu.%u %s %s; ", level, attempt, device,
             fence_outcome_name(r->outcome));
}

static void on_op_done(void *ctx, bool success, size_t level, const char *summary)
{
    struct op_log *l = ctx;
    assert_false(l->done);
    l->done = true;
    l->success = success;
    l->level = level;
    snprintf(l->summary, sizeof(l->summary), "%s", summary);
}

static const struct fence_op_callbacks op_cb = {.attempt = on_attempt, .done = on_op_done};

/* A cluster of one node (n3) with devices ok, fail and the given levels. */
struct op_fixture {
    struct cfg cfg;
    struct cfg_node node;
    struct cfg_fence_device devs[2];
    struct cfg_fence_node fnode;
    char *ok, *fail;
};

static void op_fixture_init(struct op_fixture *f, struct cfg_fence_level *levels, size_t n_levels,
                            unsigned retries)
{
    memset(f, 0, sizeof(*f));
    f->ok = write_script("fence_lvl_ok", "cat >/dev/null; exit 0", 0755);
    f->fail =
        write_script("fence_lvl_fail", "cat >/dev/null; echo 'PDU unreachable'; exit 1", 0755);
    f->devs[0] =
        (struct cfg_fence_device){.name = (char *)"ok", .agent = f->ok, .timeout_ms = 5000};
    f->devs[1] =
        (struct cfg_fence_device){.name = (char *)"fail", .agent = f->fail, .timeout_ms = 5000};
    f->node = (struct cfg_node){.name = (char *)"n3", .id = 3};
    f->fnode = (struct cfg_fence_node){.levels = levels, .n_levels = n_levels};
    f->cfg.nodes = &f->node;
    f->cfg.n_nodes = 1;
    f->cfg.fence_enabled = true;
    f->cfg.fence_retries = retries;
    f->cfg.fence_devices = f->devs;
    f->cfg.n_fence_devices = 2;
    f->cfg.fence_nodes = &f->fnode;
}

static void run_op(struct op_fixture *f, struct op_log *l)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    memset(l, 0, sizeof(*l));
    struct fence_op *op;
    assert_int_equal(fence_op_start(&loop, &f->cfg, 0, CFG_FENCE_OFF, &op_cb, l, &op), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_true(l->done);
    free(f->ok);
    free(f->fail);
}

static void test_level_two_after_level_one_fails(void **state)
{
    struct cfg_fence_ref r_fail = {.device = 1}, r_ok = {.device = 0, .port = (char *)"7"};
    struct cfg_fence_level levels[] = {{&r_fail, 1}, {&r_ok, 1}};
    struct op_fixture f;
    op_fixture_init(&f, levels, 2, 1);
    struct op_log l;
    run_op(&f, &l);
    assert_true(l.success);
    assert_int_equal(l.level, 2);
    assert_string_equal(l.text, "L1.1 fail failed; L1.2 fail failed; L2.1 ok success; ");
    assert_string_equal(l.summary, "n3 fenced (off) by level 2");
}

static void test_level_needs_every_device(void **state)
{
    struct cfg_fence_ref both[] = {{.device = 0}, {.device = 1}};
    struct cfg_fence_level levels[] = {{both, 2}};
    struct op_fixture f;
    op_fixture_init(&f, levels, 1, 0);
    struct op_log l;
    run_op(&f, &l);
    assert_false(l.success);
    assert_int_equal(l.level, 0);
    assert_string_equal(l.text, "L1.1 ok success; L1.1 fail failed; ");
    assert_string_equal(l.summary, "fencing n3 failed on every level (1); last error: fail: exited "
                                   "with status 1: PDU unreachable");
}

static void test_unrunnable_device_falls_through(void **state)
{
    struct cfg_fence_ref r_missing = {.device = 1}, r_ok = {.device = 0};
    struct cfg_fence_level levels[] = {{&r_missing, 1}, {&r_ok, 1}};
    struct op_fixture f;
    op_fixture_init(&f, levels, 2, 0);
    f.devs[1].agent = (char *)"/nonexistent/fence_x";
    struct op_log l;
    run_op(&f, &l);
    assert_true(l.success);
    assert_string_equal(l.text, "L1.1 fail not run; L2.1 ok success; ");
}

static void test_reboot_of_two_devices_is_all_off_then_all_on(void **state)
{
    _cleanup_free_ char *log = xasprintf("%s/order.log", dir);
    _cleanup_free_ char *body = xasprintf(
        "a=$(grep '^action=' | cut -d= -f2)\necho \"$(basename $0) $a\" >> '%s'\nexit 0", log);
    _cleanup_free_ char *psu1 = write_script("psu1", body, 0755);
    _cleanup_free_ char *psu2 = write_script("psu2", body, 0755);
    struct cfg_fence_ref both[] = {{.device = 0}, {.device = 1}};
    struct cfg_fence_level levels[] = {{both, 2}};
    struct op_fixture f;
    op_fixture_init(&f, levels, 1, 0);
    f.devs[0].agent = psu1;
    f.devs[1].agent = psu2;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct fence_op *op;
    struct op_log l = {0};
    assert_int_equal(fence_op_start(&loop, &f.cfg, 0, CFG_FENCE_REBOOT, &op_cb, &l, &op), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_true(l.success);
    char *order;
    size_t n;
    assert_int_equal(read_file(log, 4096, &order, &n), 0);
    assert_string_equal(order, "psu1 off\npsu2 off\npsu1 on\npsu2 on\n");
    free(order);
    free(f.ok);
    free(f.fail);
}

static void test_node_without_levels(void **state)
{
    struct op_fixture f;
    op_fixture_init(&f, NULL, 0, 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct fence_op *op;
    struct op_log l = {0};
    assert_int_equal(fence_op_start(&loop, &f.cfg, 0, CFG_FENCE_OFF, &op_cb, &l, &op), -EINVAL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_false(l.done);
    free(f.ok);
    free(f.fail);
}

static void test_op_cancel(void **state)
{
    struct cfg_fence_ref r = {.device = 0};
    struct cfg_fence_level levels[] = {{&r, 1}};
    struct op_fixture f;
    op_fixture_init(&f, levels, 1, 0);
    _cleanup_free_ char *slow = write_script("fence_lvl_slow", "sleep 30", 0755);
    f.devs[0].agent = slow;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct fence_op *op;
    struct op_log l = {0};
    assert_int_equal(fence_op_start(&loop, &f.cfg, 0, CFG_FENCE_OFF, &op_cb, &l, &op), 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_run(&loop, UV_RUN_NOWAIT);
    fence_op_cancel(op);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_false(l.done);
    free(f.ok);
    free(f.fail);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_input),
        cmocka_unit_test(test_bad_secrets_never_shown),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_mask_overlapping_and_control_bytes),
        cmocka_unit_test(test_success_gets_input_on_stdin),
        cmocka_unit_test(test_failure_reason_and_masking),
        cmocka_unit_test(test_status_off),
        cmocka_unit_test(test_timeout_kills_the_whole_group),
        cmocka_unit_test(test_output_is_bounded),
        cmocka_unit_test(test_garbage_output_is_made_safe),
        cmocka_unit_test(test_agent_not_runnable),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_level_two_after_level_one_fails),
        cmocka_unit_test(test_level_needs_every_device),
        cmocka_unit_test(test_unrunnable_device_falls_through),
        cmocka_unit_test(test_reboot_of_two_devices_is_all_off_then_all_on),
        cmocka_unit_test(test_node_without_levels),
        cmocka_unit_test(test_op_cancel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
