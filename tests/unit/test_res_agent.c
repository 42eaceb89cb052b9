/*
 * Unit tests for resource agents (src/resource/res_agent.c): exit code
 * mapping of each kind, the environment and arguments agents get, timeouts,
 * output, cancel, validation, the real ocf:heartbeat:Dummy from Debian's
 * resource-agents, and the meta-data of every agent that package installs.
 * Promotable agents: exit codes 8 and 9, the clone and notify variables,
 * the compat directory in PATH, the refusal of an agent without promote,
 * and the meta-data of pgsqlms (resource-agents-paf).
 * The meta-data reader itself is tested in test_ocf_meta.c.
 * Test agents live in tests/unit/data/agents; LSB scripts are written to
 * /etc/init.d for the run (the tests run as root) and removed after.
 */
#include <dirent.h>
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

#include "data_helpers.h"
#include "proc_helpers.h"

#include "base/util.h"
#include "resource/res_agent.h"

#define REAL_OCF_ROOT "/usr/lib/ocf"

static char dir[] = "/tmp/vigil-agent-test-XXXXXX";
static char *ocf_root; /* dir/ocf, with provider "vigiltest" linking to the test agents */
static char *rsc_tmp;
static char *lsb_name, *lsb_path, *lsb_rc; /* /etc/init.d/vigil-test-PID and its exit code file */

static void write_text(const char *path, const char *text, unsigned mode)
{
    assert_int_equal(write_file_atomic(path, text, strlen(text), mode), 0);
}

static int setup(void **state)
{
    if (!mkdtemp(dir))
        return -1;
    ocf_root = xasprintf("%s/ocf", dir);
    rsc_tmp = xasprintf("%s/run/rsctmp", dir); /* its parent does not exist either */
    _cleanup_free_ char *prov = xasprintf("%s/resource.d/vigiltest", ocf_root);
    _cleanup_free_ char *cmd = xasprintf("mkdir -p '%s' '%s/lib/heartbeat'", prov, ocf_root);
    if (system(cmd) != 0)
        return -1;
    const char *agents[] = {"testagent", "hang", "garbage", "validator", "promotable"};
    for (size_t i = 0; i < ARRAY_SIZE(agents); i++) {
        _cleanup_free_ char *target = data_file("agents", agents[i]);
        _cleanup_free_ char *link = xasprintf("%s/%s", prov, agents[i]);
        if (symlink(target, link) < 0)
            return -1;
    }
    lsb_name = xasprintf("vigil-test-%d", (int)getpid());
    lsb_path = xasprintf("/etc/init.d/%s", lsb_name);
    lsb_rc = xasprintf("%s/lsb.rc", dir);
    _cleanup_free_ char *lsb = xasprintf("#!/bin/sh\n"
                                         "rc=$(cat '%s/lsb.rc')\n"
                                         "{ echo \"argv: $0 $*\"; env | sort; } > '%s/lsb.env'\n"
                                         "echo \"$1: exiting with $rc\"\n"
                                         "exit $rc\n",
                                         dir, dir);
    if (write_file_atomic(lsb_path, lsb, strlen(lsb), 0755) < 0) {
        fprintf(stderr, "# cannot write %s (the tests run as root)\n", lsb_path);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    unlink(lsb_path);
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    int r = system(cmd);
    free(ocf_root);
    free(rsc_tmp);
    free(lsb_name);
    free(lsb_path);
    free(lsb_rc);
    return r == 0 ? 0 : -1;
}

static char *read_text(const char *path)
{
    char *text = NULL;
    size_t n;
    int r = read_file(path, 1 << 20, &text, &n);
    if (r < 0)
        fail_msg("%s: %s", path, strerror(-r));
    return text;
}

/* ---- calls ------------------------------------------------------------------- */

struct got {
    bool start_returned;
    bool called;
    enum res_rc rc;
    int exit_code;
    char *output, *reason;
};

static void on_done(void *ctx, const struct res_agent_result *r)
{
    struct got *g = ctx;
    assert_true(g->start_returned); /* never from inside res_agent_start */
    assert_false(g->called);
    g->called = true;
    g->rc = r->rc;
    g->exit_code = r->exit_code;
    g->output = xstrdup(r->output);
    g->reason = xstrdup(r->reason);
}

static void got_clear(struct got *g)
{
    free(g->output);
    free(g->reason);
    memset(g, 0, sizeof(*g));
}

static struct res_agent_env agent_env(const char *root)
{
    return (struct res_agent_env){
        .ocf_root = root, .group = "web", .node = "n2", .rsc_tmp = rsc_tmp};
}

static void call_env(const struct res_agent_env *env, const struct cfg_resource *r, enum res_op op,
                     uint64_t timeout_ms, uint64_t interval_ms, struct got *g)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    memset(g, 0, sizeof(*g));
    struct res_agent_call *c;
    int e = res_agent_start(&loop, env, r, op, timeout_ms, interval_ms, on_done, g, &c);
    if (e < 0)
        fail_msg("res_agent_start: %s", strerror(-e));
    g->start_returned = true;
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_true(g->called);
}

static void call(const struct cfg_resource *r, enum res_op op, struct got *g)
{
    struct res_agent_env env = agent_env(ocf_root);
    call_env(&env, r, op, 5000, 0, g);
}

/* A resource of the given kind running the test agent `agent`, with params. */
struct fixture {
    struct cfg_resource r;
    struct cfg_param params[4];
    char *owned[12]; /* the strings above, freed by fixture_clear */
    size_t n_owned;
};

static char *fixture_own(struct fixture *f, char *s)
{
    assert_true(f->n_owned < ARRAY_SIZE(f->owned));
    f->owned[f->n_owned++] = s;
    return s;
}

static void fixture_init(struct fixture *f, enum cfg_res_type type, const char *agent)
{
    memset(f, 0, sizeof(*f));
    f->r.name = (char *)"app";
    f->r.type = type;
    f->r.params = f->params;
    if (type == CFG_RES_SCRIPT) {
        f->r.path = fixture_own(f, data_file("agents", agent));
    } else if (type == CFG_RES_OCF) {
        f->r.provider = (char *)"vigiltest";
        f->r.agent = fixture_own(f, xstrdup(agent));
    } else {
        f->r.agent = lsb_name;
    }
}

static void fixture_param(struct fixture *f, const char *key, const char *value)
{
    f->params[f->r.n_params++] =
        (struct cfg_param){fixture_own(f, xstrdup(key)), fixture_own(f, xstrdup(value))};
}

static void fixture_clear(struct fixture *f)
{
    for (size_t i = 0; i < f->n_owned; i++)
        free(f->owned[i]);
}

/* Runs op with the test agent exiting with code; returns the rc. */
static enum res_rc rc_for(enum cfg_res_type type, enum res_op op, int code)
{
    struct fixture f;
    fixture_init(&f, type, "testagent");
    char num[16];
    snprintf(num, sizeof(num), "%d", code);
    if (type == CFG_RES_LSB)
        write_text(lsb_rc, num, 0644);
    else
        fixture_param(&f, "rc", num);
    struct got g;
    call(&f.r, op, &g);
    assert_int_equal(g.exit_code, code);
    enum res_rc rc = g.rc;
    got_clear(&g);
    fixture_clear(&f);
    return rc;
}

static void test_exit_codes_script(void **state)
{
    for (enum res_op op = RES_OP_START; op <= RES_OP_STOP; op++) {
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 0), RES_RC_OK);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 1), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 7), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 5), RES_RC_FAILED);
    }
    for (enum res_op op = RES_OP_MONITOR; op <= RES_OP_PROBE; op++) {
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 0), RES_RC_OK);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 7), RES_RC_NOT_RUNNING);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 1), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 3), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 6), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 8), RES_RC_RUNNING_PRIMARY);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 9), RES_RC_FAILED_PRIMARY);
    }
    for (enum res_op op = RES_OP_PROMOTE; op <= RES_OP_DEMOTE; op++) {
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 0), RES_RC_OK);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 1), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 7), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_SCRIPT, op, 8), RES_RC_FAILED);
    }
}

static void test_exit_codes_ocf(void **state)
{
    static const enum res_rc want[] = {
        [0] = RES_RC_OK,
        [1] = RES_RC_FAILED,
        [2] = RES_RC_NOT_CONFIGURED,
        [3] = RES_RC_FAILED,
        [4] = RES_RC_FAILED,
        [5] = RES_RC_NOT_INSTALLED,
        [6] = RES_RC_NOT_CONFIGURED,
        [7] = RES_RC_NOT_RUNNING,
        [8] = RES_RC_FAILED, /* running as primary: an answer of monitor and probe only */
        [9] = RES_RC_FAILED,
    };
    for (enum res_op op = RES_OP_START; op < RES_OP_MAX; op++) {
        if (op == RES_OP_NOTIFY)
            continue; /* test_notify_env */
        bool monitor = op == RES_OP_MONITOR || op == RES_OP_PROBE;
        for (int code = 0; code < (int)ARRAY_SIZE(want); code++) {
            enum res_rc w = monitor && code == 8   ? RES_RC_RUNNING_PRIMARY
                            : monitor && code == 9 ? RES_RC_FAILED_PRIMARY
                                                   : want[code];
            if (rc_for(CFG_RES_OCF, op, code) != w)
                fail_msg("ocf %s exit %d: not %s", res_op_name(op), code, res_rc_name(w));
        }
    }
    assert_int_equal(rc_for(CFG_RES_OCF, RES_OP_MONITOR, 190), RES_RC_FAILED);
}

static void test_ocf_exit_reason(void **state)
{
    /* The reason is found on its own line, the last one wins, and it is trimmed. */
    char *why = res_ocf_exit_reason("starting\nocf-exit-reason: first  \nmore\n"
                                    "ocf-exit-reason:Instance \"pgsqld\" is broken\t\nlast line\n");
    assert_string_equal(why, "Instance \"pgsqld\" is broken");
    free(why);
    assert_null(res_ocf_exit_reason("no reason here\nexit-reason: not at the start\n"));
    assert_null(res_ocf_exit_reason("ocf-exit-reason:   \n"));
    assert_null(res_ocf_exit_reason(""));
    char long_line[400] = "ocf-exit-reason:";
    memset(long_line + 16, 'x', sizeof long_line - 17);
    why = res_ocf_exit_reason(long_line);
    assert_int_equal(strlen(why), 200); /* RUN_REASON_LINE_MAX */
    free(why);

    /* A failed ocf action's reason is the agent's own, not its last line. */
    struct fixture f;
    fixture_init(&f, CFG_RES_OCF, "testagent");
    fixture_param(&f, "rc", "2");
    fixture_param(&f, "reason",
                  "Parameter \"primary_conninfo\" MUST contain 'application_name=n2'");
    struct got g;
    call(&f.r, RES_OP_STOP, &g);
    assert_int_equal(g.rc, RES_RC_NOT_CONFIGURED);
    assert_string_equal(g.reason, "exited with status 2: Parameter \"primary_conninfo\" MUST "
                                  "contain 'application_name=n2'");
    got_clear(&g);
    /* A success keeps no reason of its own; a script's reason stays its last line. */
    fixture_clear(&f);
    fixture_init(&f, CFG_RES_SCRIPT, "testagent");
    fixture_param(&f, "rc", "1");
    fixture_param(&f, "reason", "ignored for scripts");
    call(&f.r, RES_OP_STOP, &g);
    assert_string_equal(g.reason, "exited with status 1: stop: exiting with 1");
    got_clear(&g);
    fixture_clear(&f);
    (void)state;
}

static void test_exit_codes_lsb(void **state)
{
    for (enum res_op op = RES_OP_MONITOR; op <= RES_OP_PROBE; op++) {
        assert_int_equal(rc_for(CFG_RES_LSB, op, 0), RES_RC_OK);
        assert_int_equal(rc_for(CFG_RES_LSB, op, 1), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_LSB, op, 2), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_LSB, op, 3), RES_RC_NOT_RUNNING);
        assert_int_equal(rc_for(CFG_RES_LSB, op, 4), RES_RC_FAILED);
    }
    for (enum res_op op = RES_OP_START; op <= RES_OP_STOP; op++) {
        assert_int_equal(rc_for(CFG_RES_LSB, op, 0), RES_RC_OK);
        assert_int_equal(rc_for(CFG_RES_LSB, op, 1), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_LSB, op, 3), RES_RC_FAILED);
        assert_int_equal(rc_for(CFG_RES_LSB, op, 7), RES_RC_FAILED);
    }
}

/* The dump the test agent wrote, without the PWD that /bin/sh exports itself. */
static char *read_dump(const char *path)
{
    char *text = read_text(path);
    char *pwd = strstr(text, "\nPWD=");
    if (pwd) {
        char *nl = strchr(pwd + 1, '\n');
        memmove(pwd + 1, nl + 1, strlen(nl + 1) + 1);
    }
    return text;
}

static void test_environment_script(void **state)
{
    setenv("VIGIL_TEST_CANARY", "must not leak", 1);
    _cleanup_free_ char *out = xasprintf("%s/script.env", dir);
    struct fixture f;
    fixture_init(&f, CFG_RES_SCRIPT, "testagent");
    fixture_param(&f, "out", out);
    fixture_param(&f, "port", "8080");
    struct got g;
    call(&f.r, RES_OP_PROBE, &g);
    assert_int_equal(g.rc, RES_RC_OK);
    _cleanup_free_ char *dump = read_dump(out);
    _cleanup_free_ char *want = xasprintf("argv: %s monitor\n"
                                          "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
                                          "VIGIL_GROUP=web\n"
                                          "VIGIL_NODE=n2\n"
                                          "VIGIL_PARAM_out=%s\n"
                                          "VIGIL_PARAM_port=8080\n"
                                          "VIGIL_RESOURCE=app\n",
                                          f.r.path, out);
    assert_string_equal(dump, want);
    got_clear(&g);
    fixture_clear(&f);
    unsetenv("VIGIL_TEST_CANARY");
}

static void test_environment_ocf(void **state)
{
    _cleanup_free_ char *out = xasprintf("%s/ocf.env", dir);
    struct fixture f;
    fixture_init(&f, CFG_RES_OCF, "testagent");
    fixture_param(&f, "out", out);
    fixture_param(&f, "config", "/etc/app.conf");
    struct res_agent_env env = agent_env(ocf_root);
    struct got g;
    call_env(&env, &f.r, RES_OP_MONITOR, 15000, 30000, &g);
    assert_int_equal(g.rc, RES_RC_OK);
    _cleanup_free_ char *dump = read_dump(out);
    _cleanup_free_ char *want = xasprintf("argv: %s/resource.d/vigiltest/testagent monitor\n"
                                          "HA_RSCTMP=%s\n"
                                          "OCF_FUNCTIONS_DIR=%s/lib/heartbeat\n"
                                          "OCF_RA_VERSION_MAJOR=1\n"
                                          "OCF_RA_VERSION_MINOR=0\n"
                                          "OCF_RESKEY_CRM_meta_interval=30000\n"
                                          "OCF_RESKEY_CRM_meta_on_node=n2\n"
                                          "OCF_RESKEY_CRM_meta_timeout=15000\n"
                                          "OCF_RESKEY_config=/etc/app.conf\n"
                                          "OCF_RESKEY_out=%s\n"
                                          "OCF_RESOURCE_INSTANCE=app\n"
                                          "OCF_RESOURCE_PROVIDER=vigiltest\n"
                                          "OCF_RESOURCE_TYPE=testagent\n"
                                          "OCF_ROOT=%s\n"
                                          "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n",
                                          ocf_root, rsc_tmp, ocf_root, out, ocf_root);
    assert_string_equal(dump, want);
    got_clear(&g);

    /* HA_RSCTMP exists for the agent (created with its parents). */
    struct stat st;
    assert_int_equal(stat(rsc_tmp, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0755);

    /* A probe is a monitor with interval 0; a start has interval 0 too. */
    call_env(&env, &f.r, RES_OP_PROBE, 15000, 30000, &g);
    free(dump);
    dump = read_dump(out);
    assert_non_null(strstr(dump, " monitor\n"));
    assert_non_null(strstr(dump, "\nOCF_RESKEY_CRM_meta_interval=0\n"));
    got_clear(&g);
    call_env(&env, &f.r, RES_OP_START, 15000, 30000, &g);
    free(dump);
    dump = read_dump(out);
    assert_non_null(strstr(dump, " start\n"));
    assert_non_null(strstr(dump, "\nOCF_RESKEY_CRM_meta_interval=0\n"));
    got_clear(&g);
    fixture_clear(&f);
}

static void test_environment_lsb(void **state)
{
    write_text(lsb_rc, "3", 0644);
    struct fixture f;
    fixture_init(&f, CFG_RES_LSB, NULL);
    struct got g;
    call(&f.r, RES_OP_PROBE, &g);
    assert_int_equal(g.rc, RES_RC_NOT_RUNNING);
    assert_string_equal(g.reason, "exited with status 3: status: exiting with 3");
    _cleanup_free_ char *envfile = xasprintf("%s/lsb.env", dir);
    _cleanup_free_ char *dump = read_dump(envfile);
    _cleanup_free_ char *want =
        xasprintf("argv: %s status\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n", lsb_path);
    assert_string_equal(dump, want);
    got_clear(&g);
}

static void test_not_installed(void **state)
{
    struct fixture f;
    fixture_init(&f, CFG_RES_OCF, "NoSuchAgent");
    struct got g;
    call(&f.r, RES_OP_START, &g); /* the callback still comes later, once */
    assert_int_equal(g.rc, RES_RC_NOT_INSTALLED);
    assert_int_equal(g.exit_code, -1);
    _cleanup_free_ char *want = xasprintf(
        "cannot run %s/resource.d/vigiltest/NoSuchAgent: No such file or directory", ocf_root);
    assert_string_equal(g.reason, want);
    got_clear(&g);

    f.r.type = CFG_RES_LSB;
    f.r.agent = (char *)"vigil-no-such-service";
    call(&f.r, RES_OP_PROBE, &g);
    assert_int_equal(g.rc, RES_RC_NOT_INSTALLED);
    assert_string_equal(g.reason,
                        "cannot run /etc/init.d/vigil-no-such-service: No such file or directory");
    got_clear(&g);

    /* A script that is not executable cannot run on this node either. */
    _cleanup_free_ char *noexec = xasprintf("%s/noexec", dir);
    write_text(noexec, "#!/bin/sh\nexit 0\n", 0644);
    f.r.type = CFG_RES_SCRIPT;
    f.r.path = noexec;
    call(&f.r, RES_OP_STOP, &g);
    assert_int_equal(g.rc, RES_RC_NOT_INSTALLED);
    _cleanup_free_ char *want2 = xasprintf("cannot run %s: Permission denied", noexec);
    assert_string_equal(g.reason, want2);
    got_clear(&g);
    fixture_clear(&f);
}

static void test_refused_resources(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct res_agent_env env = agent_env(ocf_root);
    struct got g = {0};
    struct res_agent_call *c = NULL;
    struct fixture f;

    fixture_init(&f, CFG_RES_OCF, "../../../bin/true");
    assert_int_equal(res_agent_start(&loop, &env, &f.r, RES_OP_START, 1000, 0, on_done, &g, &c),
                     -EINVAL);
    f.r.agent = (char *)"testagent";
    f.r.provider = (char *)"..";
    assert_int_equal(res_agent_start(&loop, &env, &f.r, RES_OP_START, 1000, 0, on_done, &g, &c),
                     -EINVAL);
    f.r.provider = (char *)"vigiltest";
    fixture_param(&f, "bad-name", "x");
    assert_int_equal(res_agent_start(&loop, &env, &f.r, RES_OP_START, 1000, 0, on_done, &g, &c),
                     -EINVAL);
    f.r.n_params = 0;
    assert_int_equal(res_agent_start(&loop, &env, &f.r, RES_OP_MAX, 1000, 0, on_done, &g, &c),
                     -EINVAL);
    f.r.type = CFG_RES_IP;
    assert_int_equal(res_agent_start(&loop, &env, &f.r, RES_OP_START, 1000, 0, on_done, &g, &c),
                     -EINVAL);
    assert_null(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_false(g.called);
    assert_int_equal(uv_loop_close(&loop), 0);
    fixture_clear(&f);
}

static void read_pids(const char *path, pid_t *self, pid_t *child)
{
    _cleanup_free_ char *text = read_text(path);
    int a = 0, b = 0;
    assert_int_equal(sscanf(text, "%d %d", &a, &b), 2);
    *self = a;
    *child = b;
}

static void test_timeout_kills_the_group(void **state)
{
    _cleanup_free_ char *pids = xasprintf("%s/hang.pids", dir);
    struct fixture f;
    fixture_init(&f, CFG_RES_OCF, "hang");
    fixture_param(&f, "pids", pids);
    struct res_agent_env env = agent_env(ocf_root);
    struct got g;
    call_env(&env, &f.r, RES_OP_STOP, 500, 0, &g);
    assert_int_equal(g.rc, RES_RC_TIMEOUT);
    assert_int_equal(g.exit_code, -1);
    assert_string_equal(g.reason, "timed out after 500ms");
    assert_string_equal(g.output, "hanging\n");
    pid_t self, child;
    read_pids(pids, &self, &child);
    assert_true(wait_gone(self));
    assert_true(wait_gone(child));
    got_clear(&g);
    fixture_clear(&f);
}

static void test_output_is_safe_and_bounded(void **state)
{
    struct fixture f;
    fixture_init(&f, CFG_RES_SCRIPT, "garbage");
    struct got g;
    call(&f.r, RES_OP_MONITOR, &g);
    assert_int_equal(g.rc, RES_RC_FAILED);
    assert_int_equal(g.exit_code, 1);
    assert_string_equal(g.output, "first line\nbad ??? caf\xc3\xa9 ?[2J end\n");
    assert_string_equal(g.reason, "exited with status 1: bad ??? caf\xc3\xa9 ?[2J end");
    got_clear(&g);
    fixture_clear(&f);

    /* The tail is kept: where an agent says what went wrong. */
    _cleanup_free_ char *loud = xasprintf("%s/loud", dir);
    write_text(loud,
               "#!/bin/sh\ni=0\nwhile [ $i -lt 3000 ]; do echo noise $i; i=$((i+1)); done\n"
               "echo 'error: disk full'\nexit 1\n",
               0755);
    fixture_init(&f, CFG_RES_SCRIPT, "garbage");
    f.r.path = loud;
    call(&f.r, RES_OP_START, &g);
    assert_int_equal(strlen(g.output), RES_AGENT_MAX_OUTPUT);
    assert_non_null(strstr(g.output, "noise 2999\nerror: disk full\n"));
    assert_string_equal(g.reason, "exited with status 1: error: disk full");
    got_clear(&g);
    fixture_clear(&f);
}

static void test_cancel(void **state)
{
    _cleanup_free_ char *pids = xasprintf("%s/cancel.pids", dir);
    struct fixture f;
    fixture_init(&f, CFG_RES_SCRIPT, "hang");
    fixture_param(&f, "pids", pids);
    struct res_agent_env env = agent_env(ocf_root);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = {.start_returned = true};
    struct res_agent_call *c;
    assert_int_equal(res_agent_start(&loop, &env, &f.r, RES_OP_START, 60000, 0, on_done, &g, &c),
                     0);
    for (int i = 0; i < 500 && access(pids, F_OK) != 0; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(10000);
    }
    res_agent_cancel(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_false(g.called);
    assert_int_equal(uv_loop_close(&loop), 0);
    pid_t self, child;
    read_pids(pids, &self, &child);
    assert_true(wait_gone(self));
    assert_true(wait_gone(child));

    /* A call whose program is missing is cancelled before its report. */
    uv_loop_init(&loop);
    f.r.path = (char *)"/nonexistent/agent";
    assert_int_equal(res_agent_start(&loop, &env, &f.r, RES_OP_START, 60000, 0, on_done, &g, &c),
                     0);
    res_agent_cancel(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_false(g.called);
    assert_int_equal(uv_loop_close(&loop), 0);
    res_agent_cancel(NULL);
    fixture_clear(&f);
}

static void test_real_ocf_dummy(void **state)
{
    _cleanup_free_ char *statefile = xasprintf("%s/dummy.state", dir);
    struct cfg_param params[] = {{(char *)"state", statefile}};
    struct cfg_resource r = {.name = (char *)"dummy1",
                             .type = CFG_RES_OCF,
                             .provider = (char *)"heartbeat",
                             .agent = (char *)"Dummy",
                             .params = params,
                             .n_params = 1};
    struct res_agent_env env = agent_env(REAL_OCF_ROOT);
    static const struct {
        enum res_op op;
        enum res_rc rc;
    } steps[] = {
        {RES_OP_PROBE, RES_RC_NOT_RUNNING},   {RES_OP_START, RES_RC_OK},
        {RES_OP_MONITOR, RES_RC_OK},          {RES_OP_STOP, RES_RC_OK},
        {RES_OP_MONITOR, RES_RC_NOT_RUNNING},
    };
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        struct got g;
        call_env(&env, &r, steps[i].op, 20000, 10000, &g);
        if (g.rc != steps[i].rc)
            fail_msg("Dummy %s: %s (%s), not %s", res_op_name(steps[i].op), res_rc_name(g.rc),
                     g.reason, res_rc_name(steps[i].rc));
        if (steps[i].op == RES_OP_START)
            assert_int_equal(access(statefile, F_OK), 0);
        got_clear(&g);
    }
    assert_int_not_equal(access(statefile, F_OK), 0);
}

/* ---- validation -------------------------------------------------------------- */

static void test_validate_real_agents(void **state)
{
    _cleanup_free_ char *statefile = xasprintf("%s/v.state", dir);
    struct cfg_param params[] = {{(char *)"state", statefile}};
    struct cfg_resource r = {.name = (char *)"dummy1",
                             .type = CFG_RES_OCF,
                             .provider = (char *)"heartbeat",
                             .agent = (char *)"Dummy",
                             .params = params,
                             .n_params = 1};
    struct res_agent_env env = agent_env(REAL_OCF_ROOT);
    struct ocf_meta m;
    char *err = NULL;
    if (res_agent_validate_sync(&env, &r, 20000, &m, &err) < 0)
        fail_msg("Dummy: %s", err);
    assert_int_equal(m.start_timeout_ms, 20000);
    assert_int_equal(m.monitor_interval_ms, 10000);
    ocf_meta_clear(&m);

    r.agent = (char *)"IPaddr2";
    r.n_params = 0;
    assert_int_equal(res_agent_validate_sync(&env, &r, 20000, &m, &err), -EINVAL);
    assert_string_equal(err, "ocf:heartbeat:IPaddr2 requires parameters that are not set: ip");
    free(err);
}

/* The required parameters in m, joined by ","; owned by the caller. */
static char *required_list(const struct ocf_meta *m)
{
    char *list = xstrdup("");
    for (char **p = m->required; *p; p++) {
        char *more = xasprintf("%s%s%s", list, *list ? "," : "", *p);
        free(list);
        list = more;
    }
    return list;
}

/*
 * The meta-data of every agent Debian's resource-agents installs is read
 * (run as vigild runs it, with only PATH and the OCF variables), and a few
 * say what they are known to say.
 */
static void test_meta_real_agents(void **state)
{
    static const struct {
        const char *agent, *required;
    } known[] = {
        {"Dummy", ""},
        {"IPaddr2", "ip"},
        {"Filesystem", "device,directory,fstype"},
        {"apache", ""},
    };
    const char *dir_path = REAL_OCF_ROOT "/resource.d/heartbeat";
    DIR *d = opendir(dir_path);
    if (!d)
        fail_msg("%s: %s (Debian's resource-agents is needed)", dir_path, strerror(errno));
    struct res_agent_env env = agent_env(REAL_OCF_ROOT);
    size_t n = 0, n_known = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue; /* ., .. and the shell libraries (.ocf-shellfuncs) */
        struct cfg_resource r = {.name = (char *)"meta1",
                                 .type = CFG_RES_OCF,
                                 .provider = (char *)"heartbeat",
                                 .agent = de->d_name};
        struct ocf_meta m;
        char *err = NULL;
        if (res_agent_meta_sync(&env, &r, 20000, &m, &err) < 0)
            fail_msg("ocf:heartbeat:%s: %s", de->d_name, err);
        n++;
        for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
            if (strcmp(known[i].agent, de->d_name) != 0)
                continue;
            n_known++;
            _cleanup_free_ char *req = required_list(&m);
            if (strcmp(req, known[i].required) != 0)
                fail_msg("%s requires \"%s\", expected \"%s\"", de->d_name, req, known[i].required);
            assert_true(m.start_timeout_ms > 0);
            assert_true(m.stop_timeout_ms > 0);
            assert_true(m.monitor_timeout_ms > 0);
            assert_true(m.monitor_interval_ms > 0);
        }
        ocf_meta_clear(&m);
    }
    closedir(d);
    assert_int_equal(n_known, ARRAY_SIZE(known));
    assert_true(n >= 50); /* resource-agents 4.12 installs 141 */
}

static void test_validate(void **state)
{
    struct fixture f;
    fixture_init(&f, CFG_RES_OCF, "validator");
    struct res_agent_env env = agent_env(ocf_root);
    struct ocf_meta m = {0};
    char *err = NULL;

    /* Stderr is not part of the XML; the required parameter is missing. */
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, &m, &err), -EINVAL);
    assert_string_equal(err,
                        "ocf:vigiltest:validator requires parameters that are not set: needed");
    free(err);

    fixture_param(&f, "needed", "yes");
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, &m, &err), 0);
    assert_int_equal(m.start_timeout_ms, 30000);
    assert_int_equal(m.stop_timeout_ms, 60000);
    assert_int_equal(m.monitor_timeout_ms, 15000);
    assert_int_equal(m.monitor_interval_ms, 5000);
    assert_string_equal(m.required[0], "needed");
    ocf_meta_clear(&m);
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, NULL, &err), 0);

    fixture_param(&f, "validate_rc", "6");
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, &m, &err), -EINVAL);
    assert_string_equal(err, "validate-all exited with status 6: needed=yes makes no sense");
    free(err);
    assert_null(m.required); /* untouched */

    f.r.n_params = 1;
    fixture_param(&f, "meta", "garbage");
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, &m, &err), -EINVAL);
    assert_string_equal(err, "meta-data is not the XML of an OCF agent: line 1: Start tag "
                             "expected, '<' not found");
    free(err);
    f.params[1].value = (char *)"fail";
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, &m, &err), -EINVAL);
    assert_string_equal(err, "meta-data exited with status 1: cannot describe myself");
    free(err);

    f.r.agent = (char *)"missing";
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, &m, &err), -ENOENT);
    _cleanup_free_ char *want = xasprintf(
        "cannot run %s/resource.d/vigiltest/missing: No such file or directory", ocf_root);
    assert_string_equal(err, want);
    free(err);
    fixture_clear(&f);

    /* A script or an init script: only that it can run. */
    fixture_init(&f, CFG_RES_SCRIPT, "testagent");
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, &m, &err), 0);
    assert_null(m.required[0]);
    ocf_meta_clear(&m);
    fixture_clear(&f);
    fixture_init(&f, CFG_RES_LSB, NULL);
    f.r.agent = (char *)"vigil-no-such-service";
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, NULL, &err), -ENOENT);
    assert_string_equal(err,
                        "cannot run /etc/init.d/vigil-no-such-service: No such file or directory");
    free(err);
    fixture_clear(&f);
}

/* ---- clones and promotable agents -------------------------------------------- */

/* The lines of text that begin with prefix, each ending with a newline. Owned by the caller. */
static char *lines_with(const char *text, const char *prefix)
{
    char *out = xstrdup("");
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            char *more = xasprintf("%s%.*s\n", out, (int)len, p);
            free(out);
            out = more;
        }
        p += len + (nl ? 1 : 0);
    }
    return out;
}

/*
 * An OCF agent of a promotable group gets Pacemaker's clone meta variables
 * (those of promotable clones too); one of a plain clone the clone ones only.
 */
static void test_environment_clone(void **state)
{
    _cleanup_free_ char *out = xasprintf("%s/clone.env", dir);
    struct fixture f;
    fixture_init(&f, CFG_RES_OCF, "testagent");
    fixture_param(&f, "out", out);
    struct res_agent_env env = agent_env(ocf_root);
    env.clone_max = 3;
    env.promoted_max = 1;
    env.clone_notify = true;
    struct got g;
    call_env(&env, &f.r, RES_OP_START, 15000, 0, &g);
    assert_int_equal(g.rc, RES_RC_OK);
    _cleanup_free_ char *dump = read_dump(out);
    _cleanup_free_ char *meta = lines_with(dump, "OCF_RESKEY_CRM_meta_");
    assert_string_equal(meta, "OCF_RESKEY_CRM_meta_clone_max=3\n"
                              "OCF_RESKEY_CRM_meta_clone_node_max=1\n"
                              "OCF_RESKEY_CRM_meta_globally_unique=false\n"
                              "OCF_RESKEY_CRM_meta_interval=0\n"
                              "OCF_RESKEY_CRM_meta_master_max=1\n"
                              "OCF_RESKEY_CRM_meta_master_node_max=1\n"
                              "OCF_RESKEY_CRM_meta_notify=true\n"
                              "OCF_RESKEY_CRM_meta_on_node=n2\n"
                              "OCF_RESKEY_CRM_meta_promoted_max=1\n"
                              "OCF_RESKEY_CRM_meta_promoted_node_max=1\n"
                              "OCF_RESKEY_CRM_meta_timeout=15000\n");
    _cleanup_free_ char *fs = lines_with(dump, "OCF_RESKEY_crm_feature_set=");
    assert_string_equal(fs, "OCF_RESKEY_crm_feature_set=3.16.2\n");
    got_clear(&g);

    env.promoted_max = 0;
    env.clone_notify = false;
    env.clone_max = 2;
    call_env(&env, &f.r, RES_OP_STOP, 15000, 0, &g);
    free(dump);
    dump = read_dump(out);
    _cleanup_free_ char *meta2 = lines_with(dump, "OCF_RESKEY_CRM_meta_");
    assert_string_equal(meta2, "OCF_RESKEY_CRM_meta_clone_max=2\n"
                               "OCF_RESKEY_CRM_meta_clone_node_max=1\n"
                               "OCF_RESKEY_CRM_meta_globally_unique=false\n"
                               "OCF_RESKEY_CRM_meta_interval=0\n"
                               "OCF_RESKEY_CRM_meta_notify=false\n"
                               "OCF_RESKEY_CRM_meta_on_node=n2\n"
                               "OCF_RESKEY_CRM_meta_timeout=15000\n");
    got_clear(&g);
    fixture_clear(&f);
}

/* With a compat directory, every kind of agent finds it first in PATH and as HA_SBIN_DIR. */
static void test_compat_dir(void **state)
{
    const char *want = "HA_SBIN_DIR=/usr/libexec/vigil/compat\n"
                       "PATH=/usr/libexec/vigil/compat:/usr/sbin:/usr/bin:/sbin:/bin\n";
    static const enum cfg_res_type types[] = {CFG_RES_SCRIPT, CFG_RES_OCF, CFG_RES_LSB};
    struct res_agent_env env = agent_env(ocf_root);
    env.compat_dir = "/usr/libexec/vigil/compat";
    _cleanup_free_ char *out = xasprintf("%s/compat.env", dir);
    _cleanup_free_ char *lsb_env = xasprintf("%s/lsb.env", dir);
    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        struct fixture f;
        fixture_init(&f, types[i], "testagent");
        if (types[i] == CFG_RES_LSB)
            write_text(lsb_rc, "0", 0644);
        else
            fixture_param(&f, "out", out);
        struct got g;
        call_env(&env, &f.r, RES_OP_PROBE, 5000, 0, &g);
        assert_int_equal(g.rc, RES_RC_OK);
        _cleanup_free_ char *dump = read_dump(types[i] == CFG_RES_LSB ? lsb_env : out);
        _cleanup_free_ char *ha = lines_with(dump, "HA_SBIN_DIR=");
        _cleanup_free_ char *path = lines_with(dump, "PATH=");
        _cleanup_free_ char *both = xasprintf("%s%s", ha, path);
        if (strcmp(both, want) != 0)
            fail_msg("%s: %s", cfg_res_type_name(types[i]), both);
        got_clear(&g);
        fixture_clear(&f);
    }
}

/*
 * notify: the type, the operation, and per list the node names and the
 * copies ("RESOURCE:INDEX"); promoted and unpromoted also as master and slave.
 */
static void test_notify_env(void **state)
{
    _cleanup_free_ char *st = xasprintf("%s/notify.state", dir);
    struct fixture f;
    fixture_init(&f, CFG_RES_OCF, "promotable");
    fixture_param(&f, "state", st);
    struct cfg_node nodes[] = {
        {.name = (char *)"n1"}, {.name = (char *)"n2"}, {.name = (char *)"n3"}};
    size_t active[] = {0, 1}, inactive[] = {2}, promote[] = {1}, demote[] = {0}, promoted[] = {0},
           unpromoted[] = {1};
    struct res_notify n = {.post = false, .op = RES_OP_PROMOTE};
    n.nodes[RES_NL_ACTIVE] = active;
    n.n[RES_NL_ACTIVE] = 2;
    n.nodes[RES_NL_INACTIVE] = inactive;
    n.n[RES_NL_INACTIVE] = 1;
    n.nodes[RES_NL_PROMOTE] = promote;
    n.n[RES_NL_PROMOTE] = 1;
    n.nodes[RES_NL_DEMOTE] = demote;
    n.n[RES_NL_DEMOTE] = 1;
    n.nodes[RES_NL_PROMOTED] = promoted;
    n.n[RES_NL_PROMOTED] = 1;
    n.nodes[RES_NL_UNPROMOTED] = unpromoted;
    n.n[RES_NL_UNPROMOTED] = 1;
    struct res_agent_env env = agent_env(ocf_root);
    env.clone_max = 3;
    env.promoted_max = 1;
    env.clone_notify = true;
    env.nodes = nodes;
    env.n_nodes = 3;

    /* Without the notification, there is nothing to run. */
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct res_agent_call *c = NULL;
    struct got g = {0};
    assert_int_equal(res_agent_start(&loop, &env, &f.r, RES_OP_NOTIFY, 5000, 0, on_done, &g, &c),
                     -EINVAL);
    assert_int_equal(uv_loop_close(&loop), 0);

    env.notify = &n;
    call_env(&env, &f.r, RES_OP_NOTIFY, 5000, 0, &g);
    assert_int_equal(g.rc, RES_RC_OK);
    got_clear(&g);
    _cleanup_free_ char *nf = xasprintf("%s.notify", st);
    _cleanup_free_ char *dump = read_text(nf);
    _cleanup_free_ char *vars = lines_with(dump, "OCF_RESKEY_CRM_meta_notify_");
    assert_string_equal(vars, "OCF_RESKEY_CRM_meta_notify_active_resource=app:0 app:1\n"
                              "OCF_RESKEY_CRM_meta_notify_active_uname=n1 n2\n"
                              "OCF_RESKEY_CRM_meta_notify_demote_resource=app:0\n"
                              "OCF_RESKEY_CRM_meta_notify_demote_uname=n1\n"
                              "OCF_RESKEY_CRM_meta_notify_inactive_resource=app:2\n"
                              "OCF_RESKEY_CRM_meta_notify_inactive_uname=n3\n"
                              "OCF_RESKEY_CRM_meta_notify_master_resource=app:0\n"
                              "OCF_RESKEY_CRM_meta_notify_master_uname=n1\n"
                              "OCF_RESKEY_CRM_meta_notify_operation=promote\n"
                              "OCF_RESKEY_CRM_meta_notify_promote_resource=app:1\n"
                              "OCF_RESKEY_CRM_meta_notify_promote_uname=n2\n"
                              "OCF_RESKEY_CRM_meta_notify_promoted_resource=app:0\n"
                              "OCF_RESKEY_CRM_meta_notify_promoted_uname=n1\n"
                              "OCF_RESKEY_CRM_meta_notify_slave_resource=app:1\n"
                              "OCF_RESKEY_CRM_meta_notify_slave_uname=n2\n"
                              "OCF_RESKEY_CRM_meta_notify_start_resource=\n"
                              "OCF_RESKEY_CRM_meta_notify_start_uname=\n"
                              "OCF_RESKEY_CRM_meta_notify_stop_resource=\n"
                              "OCF_RESKEY_CRM_meta_notify_stop_uname=\n"
                              "OCF_RESKEY_CRM_meta_notify_type=pre\n"
                              "OCF_RESKEY_CRM_meta_notify_unpromoted_resource=app:1\n"
                              "OCF_RESKEY_CRM_meta_notify_unpromoted_uname=n2\n");

    /* Scripts are not notified. */
    _cleanup_free_ char *path = data_file("agents", "promotable");
    f.r.type = CFG_RES_SCRIPT;
    f.r.path = path;
    uv_loop_init(&loop);
    assert_int_equal(res_agent_start(&loop, &env, &f.r, RES_OP_NOTIFY, 5000, 0, on_done, &g, &c),
                     -EINVAL);
    assert_int_equal(uv_loop_close(&loop), 0);
    fixture_clear(&f);
}

/*
 * A resource of role promotable needs an agent with promote and demote:
 * vigil verify (res_agent_validate_sync) refuses one without, naming the
 * agent; the fake promotable agent passes, its actions' timeouts read.
 */
static void test_promotable_needs_promote(void **state)
{
    struct fixture f;
    fixture_init(&f, CFG_RES_OCF, "validator");
    fixture_param(&f, "needed", "yes");
    f.r.role = CFG_ROLE_PROMOTABLE;
    struct res_agent_env env = agent_env(ocf_root);
    struct ocf_meta m = {0};
    char *err = NULL;
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, &m, &err), -EINVAL);
    assert_string_equal(err, "agent ocf:vigiltest:validator has no promote and demote actions; a "
                             "resource of role promotable is promoted and demoted by its agent: "
                             "give it role all or primary, or use an agent that implements "
                             "promote and demote");
    free(err);
    assert_null(m.required); /* untouched */
    /* Of role all (or primary), the same agent is fine. */
    f.r.role = CFG_ROLE_ALL;
    assert_int_equal(res_agent_validate_sync(&env, &f.r, 5000, NULL, &err), 0);
    fixture_clear(&f);

    /* One action missing is named alone. */
    struct cfg_resource r = {.name = (char *)"pgsqld",
                             .type = CFG_RES_OCF,
                             .provider = (char *)"heartbeat",
                             .agent = (char *)"IPaddr2",
                             .role = CFG_ROLE_PROMOTABLE};
    struct ocf_meta half = {.has_demote = true};
    assert_int_equal(res_agent_check_role(&r, &half, &err), -EINVAL);
    assert_non_null(strstr(err, "agent ocf:heartbeat:IPaddr2 has no promote action; "));
    free(err);
    half = (struct ocf_meta){.has_promote = true};
    assert_int_equal(res_agent_check_role(&r, &half, &err), -EINVAL);
    assert_non_null(strstr(err, "agent ocf:heartbeat:IPaddr2 has no demote action; "));
    free(err);
    half.has_demote = true;
    assert_int_equal(res_agent_check_role(&r, &half, &err), 0);
    r.type = CFG_RES_SCRIPT; /* scripts: their promote and demote are the user's */
    assert_int_equal(res_agent_check_role(&r, &(struct ocf_meta){0}, &err), 0);

    fixture_init(&f, CFG_RES_OCF, "promotable");
    fixture_param(&f, "state", "/nonexistent");
    f.r.role = CFG_ROLE_PROMOTABLE;
    if (res_agent_validate_sync(&env, &f.r, 5000, &m, &err) < 0)
        fail_msg("promotable: %s", err);
    assert_true(m.has_promote && m.has_demote && m.has_notify);
    assert_int_equal(m.promote_timeout_ms, 31000);
    assert_int_equal(m.demote_timeout_ms, 32000);
    assert_int_equal(m.notify_timeout_ms, 33000);
    assert_int_equal(m.monitor_interval_ms, 11000);
    ocf_meta_clear(&m);
    fixture_clear(&f);
}

/* The real pgsqlms (Debian's resource-agents-paf) is a promotable agent with notify. */
static void test_meta_pgsqlms(void **state)
{
    struct cfg_resource r = {.name = (char *)"pgsqld",
                             .type = CFG_RES_OCF,
                             .provider = (char *)"heartbeat",
                             .agent = (char *)"pgsqlms",
                             .role = CFG_ROLE_PROMOTABLE};
    struct res_agent_env env = agent_env(REAL_OCF_ROOT);
    struct ocf_meta m;
    char *err = NULL;
    if (res_agent_meta_sync(&env, &r, 20000, &m, &err) < 0)
        fail_msg("ocf:heartbeat:pgsqlms (package resource-agents-paf): %s", err);
    assert_true(m.has_promote);
    assert_true(m.has_demote);
    assert_true(m.has_notify);
    assert_int_equal(m.promote_timeout_ms, 30000);
    assert_int_equal(m.demote_timeout_ms, 120000);
    assert_int_equal(m.notify_timeout_ms, 60000);
    assert_int_equal(res_agent_check_role(&r, &m, &err), 0);
    ocf_meta_clear(&m);
}

static void test_paths(void **state)
{
    struct cfg_resource r = {
        .type = CFG_RES_OCF, .provider = (char *)"heartbeat", .agent = (char *)"IPaddr2"};
    char *p = res_agent_path("/usr/lib/ocf", &r);
    assert_string_equal(p, "/usr/lib/ocf/resource.d/heartbeat/IPaddr2");
    free(p);
    r.type = CFG_RES_LSB;
    r.agent = (char *)"nginx";
    p = res_agent_path("/usr/lib/ocf", &r);
    assert_string_equal(p, "/etc/init.d/nginx");
    free(p);
    r.type = CFG_RES_SCRIPT;
    r.path = (char *)"/opt/app/ctl";
    p = res_agent_path("/usr/lib/ocf", &r);
    assert_string_equal(p, "/opt/app/ctl");
    free(p);
    r.type = CFG_RES_FS;
    assert_null(res_agent_path("/usr/lib/ocf", &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_codes_script),
        cmocka_unit_test(test_exit_codes_ocf),
        cmocka_unit_test(test_ocf_exit_reason),
        cmocka_unit_test(test_exit_codes_lsb),
        cmocka_unit_test(test_environment_script),
        cmocka_unit_test(test_environment_ocf),
        cmocka_unit_test(test_environment_lsb),
        cmocka_unit_test(test_not_installed),
        cmocka_unit_test(test_refused_resources),
        cmocka_unit_test(test_timeout_kills_the_group),
        cmocka_unit_test(test_output_is_safe_and_bounded),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_real_ocf_dummy),
        cmocka_unit_test(test_validate_real_agents),
        cmocka_unit_test(test_meta_real_agents),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_environment_clone),
        cmocka_unit_test(test_compat_dir),
        cmocka_unit_test(test_notify_env),
        cmocka_unit_test(test_promotable_needs_promote),
        cmocka_unit_test(test_meta_pgsqlms),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
