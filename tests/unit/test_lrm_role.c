/*
 * Copies of promotable groups in the local resource manager (src/daemon/lrm.c,
 * lrm_role.c), on a real loop with the promotable test agent
 * (tests/unit/data/agents/promotable): it keeps its role in a state file,
 * answers monitor 7, 0, 8 or 9, and logs each action, so that the order of
 * starts, promotions, demotions and stops is what the log shows.
 *
 * The group: db (role promotable), web (role all), vip (role primary), all
 * three the test agent as script resources, each with its own state file.
 * The loader of the promotable keys is not needed: the tests set the kind
 * and the roles on the loaded configuration.
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
#include <uv.h>

#include "base/util.h"
#include "config/config.h"
#include "daemon/lrm.h"
#include "data_helpers.h"
#include "loop_helpers.h"
#include "resource/resource.h"

static char *agent; /* the promotable test agent */
static struct lrm *the_lrm;
static struct cfg *the_cfg; /* the_lrm's, freed by teardown when a test failed midway */

static int setup(void **state)
{
    if (loop_setup("lrmrole") < 0)
        return -1;
    agent = data_file("agents", "promotable");
    return 0;
}

static int teardown(void **state)
{
    free(agent);
    if (the_lrm) {
        /* A test that failed midway: its timers would keep the loop turning. */
        lrm_free(the_lrm);
        cfg_free(the_cfg);
        the_lrm = NULL;
    }
    return loop_teardown();
}

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

#define RES(name, type, extra)                                                                     \
    "      - {name: " name ", type: " type ", monitor: 1s, " extra "params: {state: %s/" name      \
    ".state, log: %s/log}}\n"

/*
 * The group pg as a promotable group of 2 copies, 1 primary: db (promotable),
 * web (all), vip (primary); db is of type `db_type` (script, or ocf with the
 * test agent as ocf:vigiltest:promotable).
 */
static struct cfg *pg_cfg(const char *db_type, bool notify)
{
    _cleanup_free_ char *prov = xasprintf("%s/ocf/resource.d/vigiltest", test_dir);
    _cleanup_free_ char *cmd =
        xasprintf("mkdir -p '%s' && ln -sf '%s' '%s/promotable'", prov, agent, prov);
    assert_int_equal(system(cmd), 0);
    bool ocf = strcmp(db_type, "script") != 0;
    _cleanup_free_ char *db_path = ocf ? xstrdup("") : xasprintf("path: %s, ", agent);
    _cleanup_free_ char *path = xasprintf("path: %s, ", agent);
    _cleanup_free_ char *db =
        xasprintf(RES("db", "%s", "%s"), db_type, db_path, test_dir, test_dir);
    _cleanup_free_ char *web = xasprintf(RES("web", "script", "%s"), path, test_dir, test_dir);
    _cleanup_free_ char *vip = xasprintf(RES("vip", "script", "%s"), path, test_dir, test_dir);
    _cleanup_free_ char *text = xasprintf("cluster: {name: t}\n"
                                          "networks: [{name: lan}]\n"
                                          "nodes:\n"
                                          "  - {name: n1, id: 1, addresses: {lan: 192.0.2.1}}\n"
                                          "  - {name: n2, id: 2, addresses: {lan: 192.0.2.2}}\n"
                                          "fencing: {enabled: false}\n"
                                          "resources: {ocf_root: %s/ocf}\n"
                                          "groups:\n"
                                          "  - name: pg\n"
                                          "    domain: [n1, n2]\n"
                                          "    resources:\n%s%s%s",
                                          test_dir, db, web, vip);
    struct cfg *c = load(text);
    struct cfg_group *g = &c->groups[0];
    g->kind = CFG_KIND_PROMOTABLE;
    g->copies = 2;
    g->primaries = 1;
    g->notify = notify;
    g->resources[0].role = CFG_ROLE_PROMOTABLE;
    g->resources[1].role = CFG_ROLE_ALL;
    g->resources[2].role = CFG_ROLE_PRIMARY;
    return c;
}

/* ---- hooks ---- */

static int failures;
static size_t failed_res;
static enum db_fail_kind failed_kind;
static char failure_reason[256];
static char reported[512]; /* every state reported, "starting running promoting ..." */

static void on_failure(void *ctx, size_t g, size_t r, enum db_fail_kind kind, const char *reason)
{
    failures++;
    failed_res = r;
    failed_kind = kind;
    snprintf(failure_reason, sizeof(failure_reason), "%s", reason);
}

static void on_report(void *ctx, size_t g)
{
    if (!the_lrm)
        return;
    const char *name = pol_obs_name(lrm_obs(the_lrm, g));
    size_t len = strlen(reported);
    const char *last = len ? strrchr(reported, ' ') : NULL;
    if (last && strcmp(last + 1, name) == 0)
        return; /* the same state reported again */
    snprintf(reported + len, sizeof(reported) - len, " %s", name);
}

static const struct lrm_hooks hooks = {.report = on_report, .failure = on_failure};

static struct lrm *new_lrm(struct cfg *c)
{
    the_lrm = NULL;
    struct lrm *l = lrm_new(&test_loop, c, 0, test_dir, &hooks, NULL);
    the_lrm = l;
    the_cfg = c;
    failures = 0;
    reported[0] = '\0';
    return l;
}

static void free_lrm(struct lrm *l, struct cfg *c)
{
    the_lrm = NULL;
    lrm_free(l);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

static bool probed(void *arg)
{
    return lrm_probed(arg);
}

static enum pol_obs want_obs;
static bool idle_in(void *arg)
{
    return lrm_idle(arg, 0) && lrm_obs(arg, 0) == want_obs;
}

/* Turns the loop until group 0 is idle in state obs (or fails the test). */
static void wait_idle_in(struct lrm *l, enum pol_obs obs)
{
    want_obs = obs;
    if (!loop_run_until(idle_in, l, 15000))
        fail_msg("group pg is %s%s, not idle and %s", pol_obs_name(lrm_obs(l, 0)),
                 lrm_idle(l, 0) ? "" : " (busy)", pol_obs_name(obs));
}

static int want_failures;
static bool failed_enough(void *arg)
{
    return failures >= want_failures;
}

/* ---- files ---- */

static void write_state(const char *name, const char *text)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", test_dir, name);
    assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static bool state_exists(const char *name)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", test_dir, name);
    return access(path, F_OK) == 0;
}

/* The actions logged since the last call, but monitors, as "db start, web start". Owned. */
static char *take_log(void)
{
    _cleanup_free_ char *path = xasprintf("%s/log", test_dir);
    char *text = NULL;
    size_t len;
    char *out = xstrdup("");
    if (read_file(path, 1 << 16, &text, &len) == 0) {
        char *save = NULL;
        for (char *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
            if (strstr(t, " monitor"))
                continue;
            char *more = xasprintf("%s%s%s", out, *out ? ", " : "", t);
            free(out);
            out = more;
        }
        free(text);
        unlink(path);
    }
    return out;
}

static void assert_log(const char *want)
{
    _cleanup_free_ char *got = take_log();
    if (strcmp(got, want) != 0)
        fail_msg("log \"%s\", not \"%s\"", got, want);
}

/* A copy started as a replica here: db and web run, vip does not. */
static struct lrm *replica(struct cfg *c)
{
    struct lrm *l = new_lrm(c);
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 10000));
    assert_int_equal(lrm_obs(l, 0), POL_OBS_STOPPED);
    _cleanup_free_ char *ignored = take_log();
    lrm_start(l, 0);
    wait_idle_in(l, POL_OBS_RUNNING);
    assert_log("db start, web start");
    assert_false(state_exists("vip.state"));
    assert_false(lrm_promoted(l, 0));
    return l;
}

/* ---- tests ---- */

/*
 * A replica starts without vip; a promotion promotes db, then starts vip; a
 * demotion demotes db, then stops vip (replicas reach the primary at vip
 * until it is demoted); a stop of a primary demotes first.
 */
static void test_promote_demote_order(void **state)
{
    struct cfg *c = pg_cfg("script", false);
    struct lrm *l = replica(c);
    reported[0] = '\0';
    lrm_promote(l, 0);
    assert_true(lrm_promoted(l, 0)); /* from the moment its promote begins */
    wait_idle_in(l, POL_OBS_PRIMARY);
    assert_log("db promote, vip start");
    assert_string_equal(reported, " promoting primary");
    assert_true(lrm_promoted(l, 0));
    lrm_promote(l, 0); /* already primary: nothing */
    wait_idle_in(l, POL_OBS_PRIMARY);
    assert_log("");

    reported[0] = '\0';
    lrm_demote(l, 0);
    wait_idle_in(l, POL_OBS_RUNNING);
    assert_log("db demote, vip stop");
    assert_string_equal(reported, " demoting running");
    assert_false(lrm_promoted(l, 0));

    lrm_promote(l, 0);
    wait_idle_in(l, POL_OBS_PRIMARY);
    assert_log("db promote, vip start");
    lrm_stop(l, 0);
    wait_idle_in(l, POL_OBS_STOPPED);
    assert_log("db demote, vip stop, web stop, db stop");
    assert_false(lrm_promoted(l, 0));
    assert_int_equal(failures, 0);
    free_lrm(l, c);
}

/*
 * A promote asked for while the start runs waits for it; a copy that is not
 * a running replica is not promoted.
 */
static void test_promote_waits_and_needs_a_replica(void **state)
{
    struct cfg *c = pg_cfg("script", false);
    struct lrm *l = new_lrm(c);
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 10000));
    lrm_promote(l, 0); /* stopped: nothing to promote */
    wait_idle_in(l, POL_OBS_STOPPED);
    assert_false(lrm_promoted(l, 0));
    _cleanup_free_ char *ignored = take_log();
    lrm_start(l, 0);
    lrm_promote(l, 0);
    wait_idle_in(l, POL_OBS_PRIMARY);
    assert_log("db start, web start, db promote, vip start");
    lrm_stop(l, 0);
    wait_idle_in(l, POL_OBS_STOPPED);
    free_lrm(l, c);
}

/*
 * The monitor of a promoted resource expects 8, of a replica 0: the wrong
 * role is a failure, and the copy is recovered (stopped from db on).
 */
static void test_monitor_role_mismatch(void **state)
{
    struct cfg *c = pg_cfg("script", false);
    struct lrm *l = replica(c);
    lrm_promote(l, 0);
    wait_idle_in(l, POL_OBS_PRIMARY);
    write_state("db.state", "replica\n"); /* the primary says it is a replica */
    want_failures = 1;
    assert_true(loop_run_until(failed_enough, NULL, 10000));
    assert_int_equal(failed_res, 0);
    assert_int_equal(failed_kind, DB_FAIL_RESTART);
    assert_string_equal(failure_reason, "monitor: running as a replica, not as primary");
    wait_idle_in(l, POL_OBS_FAILED);
    assert_false(lrm_promoted(l, 0));
    assert_false(state_exists("vip.state"));
    assert_false(state_exists("db.state"));

    /* A replica that says it is primary. */
    _cleanup_free_ char *ignored = take_log();
    lrm_start(l, 0);
    wait_idle_in(l, POL_OBS_RUNNING);
    assert_log("db start, web start");
    write_state("db.state", "primary\n");
    want_failures = 2;
    assert_true(loop_run_until(failed_enough, NULL, 10000));
    assert_string_equal(failure_reason, "monitor: running as primary, not as a replica");
    wait_idle_in(l, POL_OBS_FAILED);
    free_lrm(l, c);
}

/* 9 from the monitor of the primary: failed as primary. */
static void test_failed_as_primary(void **state)
{
    struct cfg *c = pg_cfg("script", false);
    struct lrm *l = replica(c);
    lrm_promote(l, 0);
    wait_idle_in(l, POL_OBS_PRIMARY);
    _cleanup_free_ char *ignored = take_log();
    write_state("db.state", "failed\n");
    want_failures = 1;
    assert_true(loop_run_until(failed_enough, NULL, 10000));
    assert_int_equal(failed_res, 0);
    if (strncmp(failure_reason, "monitor: failed as primary", 26) != 0)
        fail_msg("reason: %s", failure_reason);
    wait_idle_in(l, POL_OBS_FAILED);
    /* A failed resource is stopped, not demoted, after those after it. */
    assert_log("vip stop, web stop, db stop");
    assert_false(lrm_promoted(l, 0));
    free_lrm(l, c);
}

/* A promote that fails is a failure of the resource (kind by on_fail); vip never starts. */
static void test_promote_fails(void **state)
{
    struct cfg *c = pg_cfg("script", false);
    struct lrm *l = replica(c);
    write_state("db.state.failpromote", "");
    lrm_promote(l, 0);
    wait_idle_in(l, POL_OBS_FAILED);
    assert_int_equal(failures, 1);
    assert_int_equal(failed_res, 0);
    assert_int_equal(failed_kind, DB_FAIL_RESTART);
    assert_string_equal(failure_reason, "promote failed: exited with status 1: cannot promote");
    assert_log("db promote, web stop, db stop");
    assert_false(lrm_promoted(l, 0)); /* stopped */
    free_lrm(l, c);
}

/*
 * A probe that finds db answering 8 counts it primary: the copy is primary
 * when vip runs too, else partial with promoted set; its stop demotes first.
 */
static void test_probe_finds_primary(void **state)
{
    struct cfg *c = pg_cfg("script", false);
    write_state("db.state", "primary\n");
    write_state("web.state", "replica\n");
    write_state("vip.state", "replica\n");
    struct lrm *l = new_lrm(c);
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 10000));
    wait_idle_in(l, POL_OBS_PRIMARY);
    assert_true(lrm_promoted(l, 0));
    loop_run_until(NULL, NULL, 1500); /* a monitor or so: the primary is watched as primary */
    assert_int_equal(failures, 0);
    free_lrm(l, c);

    /* Without vip: partial, promoted; a stop demotes db before it stops. */
    c = pg_cfg("script", false);
    _cleanup_free_ char *vip = xasprintf("%s/vip.state", test_dir);
    unlink(vip);
    l = new_lrm(c);
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 10000));
    wait_idle_in(l, POL_OBS_PARTIAL);
    assert_true(lrm_promoted(l, 0));
    _cleanup_free_ char *ignored = take_log();
    lrm_stop(l, 0);
    wait_idle_in(l, POL_OBS_STOPPED);
    assert_log("db demote, web stop, db stop");
    assert_false(lrm_promoted(l, 0));
    free_lrm(l, c);
}

/* ---- notify ---- */

static int notified;
static bool notified_ok;
static char notified_reason[256];
static void on_notified(void *ctx, size_t g, bool ok, const char *reason)
{
    notified++;
    notified_ok = ok;
    snprintf(notified_reason, sizeof(notified_reason), "%s", reason);
}

static bool notified_once(void *arg)
{
    return notified > 0;
}

/*
 * lrm_notify runs the agent's notify on the running ocf resources (db here)
 * with the notify variables, the clone meta variables of the group, and the
 * compat directory first in PATH; a busy group is refused.
 */
static void test_notify(void **state)
{
    struct cfg *c = pg_cfg("ocf:vigiltest:promotable", true);
    struct lrm *l = new_lrm(c);
    lrm_set_compat_dir(l, "/opt/vigil-compat");
    lrm_probe_all(l);
    assert_true(loop_run_until(probed, l, 10000));
    lrm_start(l, 0);
    size_t active[] = {0}, start[] = {1}, inactive[] = {1};
    struct res_notify n = {.post = false, .op = RES_OP_START};
    n.nodes[RES_NL_ACTIVE] = active;
    n.n[RES_NL_ACTIVE] = 1;
    n.nodes[RES_NL_START] = start;
    n.n[RES_NL_START] = 1;
    n.nodes[RES_NL_INACTIVE] = inactive;
    n.n[RES_NL_INACTIVE] = 1;
    notified = 0;
    assert_int_equal(lrm_notify(l, 0, &n, on_notified, NULL), -EBUSY); /* starting */
    wait_idle_in(l, POL_OBS_RUNNING);
    assert_int_equal(lrm_notify(l, 0, &n, on_notified, NULL), 0);
    assert_int_equal(notified, 0); /* from the loop */
    assert_false(lrm_idle(l, 0));
    lrm_promote(l, 0); /* waits for the notify */
    assert_true(loop_run_until(notified_once, NULL, 10000));
    assert_true(notified_ok);
    assert_string_equal(notified_reason, "");
    wait_idle_in(l, POL_OBS_PRIMARY);
    _cleanup_free_ char *path = xasprintf("%s/db.state.notify", test_dir);
    char *text = NULL;
    size_t len;
    assert_int_equal(read_file(path, 1 << 16, &text, &len), 0);
    const char *want[] = {
        "HA_SBIN_DIR=/opt/vigil-compat\n",
        "PATH=/opt/vigil-compat:/usr/sbin:/usr/bin:/sbin:/bin\n",
        "OCF_RESKEY_CRM_meta_clone_max=2\n",
        "OCF_RESKEY_CRM_meta_notify=true\n",
        "OCF_RESKEY_CRM_meta_promoted_max=1\n",
        "OCF_RESKEY_CRM_meta_master_max=1\n",
        "OCF_RESKEY_CRM_meta_notify_type=pre\n",
        "OCF_RESKEY_CRM_meta_notify_operation=start\n",
        "OCF_RESKEY_CRM_meta_notify_active_uname=n1\n",
        "OCF_RESKEY_CRM_meta_notify_active_resource=db:0\n",
        "OCF_RESKEY_CRM_meta_notify_start_uname=n2\n",
        "OCF_RESKEY_CRM_meta_notify_inactive_uname=n2\n",
        "OCF_RESKEY_CRM_meta_notify_promote_uname=\n",
    };
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        if (!strstr(text, want[i]))
            fail_msg("the agent did not get %s in:\n%s", want[i], text);
    free(text);
    /* Only db, the ocf resource, was notified (web and vip are scripts). */
    _cleanup_free_ char *log = take_log();
    assert_non_null(strstr(log, "db notify"));
    assert_null(strstr(log, "web notify"));
    assert_null(strstr(log, "vip notify"));
    lrm_stop(l, 0);
    wait_idle_in(l, POL_OBS_STOPPED);
    free_lrm(l, c);
}

/* ---- the agent cannot promote ---- */

static void on_res_failed(void *ctx, const char *reason)
{
}

struct outcome {
    bool done;
    enum res_rc rc;
    char reason[512];
};

static void on_done(void *ctx, enum res_rc rc, const char *reason)
{
    struct outcome *o = ctx;
    o->done = true;
    o->rc = rc;
    snprintf(o->reason, sizeof(o->reason), "%s", reason);
}

static bool is_done(void *arg)
{
    return ((struct outcome *)arg)->done;
}

/*
 * vigild reads the meta-data of an ocf resource when it makes it: one of
 * role promotable whose agent has no promote action is never promoted
 * ("not configured", the reason naming the agent).
 */
static void test_agent_without_promote(void **state)
{
    _cleanup_free_ char *prov = xasprintf("%s/ocf/resource.d/vigiltest", test_dir);
    _cleanup_free_ char *validator = data_file("agents", "validator");
    _cleanup_free_ char *cmd =
        xasprintf("mkdir -p '%s' && ln -sf '%s' '%s/validator'", prov, validator, prov);
    assert_int_equal(system(cmd), 0);
    _cleanup_free_ char *text =
        xasprintf("cluster: {name: t}\n"
                  "networks: [{name: lan}]\n"
                  "nodes:\n"
                  "  - {name: n1, id: 1, addresses: {lan: 192.0.2.1}}\n"
                  "fencing: {enabled: false}\n"
                  "resources: {ocf_root: %s/ocf}\n"
                  "groups:\n"
                  "  - name: pg\n"
                  "    domain: [n1]\n"
                  "    resources:\n"
                  "      - {name: pgsqld, type: 'ocf:vigiltest:validator', params: {needed: x}}\n",
                  test_dir);
    struct cfg *c = load(text);
    c->groups[0].kind = CFG_KIND_PROMOTABLE;
    c->groups[0].copies = 1;
    c->groups[0].primaries = 1;
    c->groups[0].resources[0].role = CFG_ROLE_PROMOTABLE;
    struct res_env env = {.loop = &test_loop, .cfg = c, .node = 0, .run_dir = test_dir};
    struct res *res = res_new(&env, 0, 0, on_res_failed, NULL);
    struct outcome o = {0};
    assert_int_equal(res_run(res, RES_OP_PROMOTE, on_done, &o), 0);
    assert_true(loop_run_until(is_done, &o, 5000));
    assert_int_equal(o.rc, RES_RC_NOT_CONFIGURED);
    assert_string_equal(o.reason, "agent ocf:vigiltest:validator has no promote and demote "
                                  "actions; a resource of role promotable is promoted and demoted "
                                  "by its agent: give it role all or primary, or use an agent "
                                  "that implements promote and demote");
    res_free(res);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_promote_demote_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promote_waits_and_needs_a_replica, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_role_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_as_primary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promote_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_finds_primary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agent_without_promote, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
