/*
 * Groups and their resources and checks in vigil.yaml (src/config/load_groups.c,
 * load_resources.c, load_checks.c): values, lookups, warnings, limits and
 * errors, ready_timeout, and the files and users a resource names
 * (CFG_LOAD_CHECK_FILES).
 */
#include <arpa/inet.h>
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
#include "config/config.h"
#include "config/diff.h"
#include "cfg_helpers.h"

/* ---- Groups ---- */

static void test_groups_values(void **state)
{
    struct cfg *c = load_valid("valid/groups-full.yaml");
    assert_int_equal(c->no_quorum, CFG_NO_QUORUM_FREEZE);
    assert_string_equal(c->ocf_root, "/opt/ocf");
    assert_int_equal(c->n_groups, 3);

    /* web: every group default; each type's defaults. */
    const struct cfg_group *g = &c->groups[0];
    assert_string_equal(g->name, "web");
    assert_int_equal(g->n_domain, 3);
    assert_int_equal(g->domain[0], 0);
    assert_int_equal(g->domain[1], 1);
    assert_int_equal(g->domain[2], 2);
    assert_int_equal(g->policy, CFG_POLICY_ORDERED);
    assert_null(g->policy_script);
    assert_int_equal(g->failback, CFG_FAILBACK_CONTROLLED);
    assert_int_equal(g->restarts_max, 2);
    assert_int_equal(g->restarts_within_ms, 600000);
    assert_int_equal(g->n_resources, 3);
    const struct cfg_resource *r = &g->resources[0];
    assert_string_equal(r->name, "vip");
    assert_int_equal(r->type, CFG_RES_IP);
    assert_int_equal(r->on_fail, CFG_ON_FAIL_RESTART);
    assert_string_equal(r->address, "198.51.100.100/24");
    assert_int_equal(r->family, AF_INET);
    assert_memory_equal(r->addr, ((uint8_t[4]){198, 51, 100, 100}), 4);
    assert_int_equal(r->prefix, 24);
    assert_int_equal(r->network, 1);
    assert_null(r->interface);
    assert_int_equal(r->start_timeout_ms, 5000);
    assert_int_equal(r->stop_timeout_ms, 5000);
    assert_int_equal(r->monitor_timeout_ms, 5000);
    assert_int_equal(r->monitor_interval_ms, 10000);
    assert_int_equal(r->n_checks, 0);
    assert_false(r->healthy_any);
    r = &g->resources[1];
    assert_int_equal(r->type, CFG_RES_FS);
    assert_string_equal(r->device, "/dev/vdb1");
    assert_string_equal(r->mountpoint, "/srv/data");
    assert_null(r->fstype);
    assert_null(r->options);
    assert_int_equal(r->start_timeout_ms, 60000);
    assert_int_equal(r->stop_timeout_ms, 60000);
    assert_int_equal(r->monitor_timeout_ms, 20000);
    assert_int_equal(r->monitor_interval_ms, 20000);
    r = &g->resources[2];
    assert_int_equal(r->type, CFG_RES_PROCESS);
    assert_int_equal(r->argc, 4);
    assert_string_equal(r->argv[0], "/usr/bin/python3");
    assert_string_equal(r->argv[3], "80");
    assert_null(r->argv[4]);
    assert_null(r->user);
    assert_int_equal(r->n_env, 0);
    assert_null(r->directory);
    assert_int_equal(r->start_timeout_ms, 10000);
    assert_int_equal(r->stop_timeout_ms, 10000);
    assert_int_equal(r->monitor_interval_ms, 0); /* its exit is seen at once */

    /* db: every key written. */
    g = &c->groups[1];
    assert_int_equal(g->domain[0], 1);
    assert_int_equal(g->domain[2], 0);
    assert_int_equal(g->policy, CFG_POLICY_ROUND_ROBIN);
    assert_int_equal(g->failback, CFG_FAILBACK_AUTO);
    assert_int_equal(g->restarts_max, 5);
    assert_int_equal(g->restarts_within_ms, 3600000);
    r = &g->resources[0];
    assert_int_equal(r->family, AF_INET6);
    assert_int_equal(r->prefix, 64);
    assert_int_equal(r->addr[0], 0x20);
    assert_int_equal(r->addr[15], 0x10);
    assert_int_equal(r->network, 0);
    assert_string_equal(r->interface, "eth1");
    assert_int_equal(r->on_fail, CFG_ON_FAIL_FAILOVER);
    assert_int_equal(r->start_timeout_ms, 3000);
    assert_int_equal(r->stop_timeout_ms, 4000);
    assert_int_equal(r->monitor_timeout_ms, 2000);
    assert_int_equal(r->monitor_interval_ms, 5000);
    r = &g->resources[1];
    assert_string_equal(r->device, "UUID=0e5a3c38-7d1c-4b0c-9a51-2c8f5e9d7a10");
    assert_string_equal(r->mountpoint, "/srv/db"); /* without the trailing slash */
    assert_string_equal(r->fstype, "ext4");
    assert_string_equal(r->options, "noatime,nodev");
    assert_int_equal(r->on_fail, CFG_ON_FAIL_HALT);
    r = &g->resources[2];
    assert_string_equal(r->user, "postgres");
    assert_int_equal(r->n_env, 3);
    assert_string_equal(r->env[0].key, "LANG");
    assert_string_equal(r->env[0].value, "C.UTF-8");
    assert_string_equal(r->env[1].value, "5432");
    assert_string_equal(r->env[2].key, "_DEBUG");
    assert_string_equal(r->env[2].value, "yes");
    assert_string_equal(r->directory, "/srv/db");
    assert_int_equal(r->monitor_interval_ms, 30000);
    assert_true(r->healthy_any);
    assert_int_equal(r->n_checks, 3);
    const struct cfg_check *ck = &r->checks[0];
    assert_int_equal(ck->type, CFG_CHECK_TCP);
    assert_string_equal(ck->host, "127.0.0.1"); /* localhost */
    assert_int_equal(ck->port, 5432);
    assert_int_equal(ck->interval_ms, 1000);
    assert_int_equal(ck->timeout_ms, 500);
    assert_int_equal(ck->failures, 2);
    ck = &r->checks[1];
    assert_int_equal(ck->type, CFG_CHECK_HTTP);
    assert_string_equal(ck->url, "http://[2001:db8::10]:8008/health?full=1");
    assert_string_equal(ck->host, "2001:db8::10");
    assert_int_equal(ck->port, 8008);
    assert_string_equal(ck->path, "/health?full=1");
    assert_int_equal(ck->status, 200);
    assert_int_equal(ck->interval_ms, CFG_DEFAULT_CHECK_INTERVAL);
    assert_int_equal(ck->timeout_ms, CFG_DEFAULT_CHECK_TIMEOUT);
    assert_int_equal(ck->failures, CFG_DEFAULT_CHECK_FAILURES);
    ck = &r->checks[2];
    assert_int_equal(ck->type, CFG_CHECK_EXEC);
    assert_int_equal(ck->argc, 2);
    assert_string_equal(ck->argv[0], "/usr/bin/pg_isready");
    assert_null(ck->argv[2]);
    assert_int_equal(ck->interval_ms, 2000);
    assert_int_equal(ck->timeout_ms, 1000); /* half the interval: the default 2s is not below it */
    r = &g->resources[3];
    assert_int_equal(r->type, CFG_RES_SCRIPT);
    assert_string_equal(r->path, "/usr/local/bin/backup-ctl");
    assert_int_equal(r->n_params, 2);
    assert_string_equal(r->params[1].key, "level");
    assert_string_equal(r->params[1].value, "3");
    assert_int_equal(r->on_fail, CFG_ON_FAIL_IGNORE);
    assert_int_equal(r->start_timeout_ms, 20000);
    assert_int_equal(r->monitor_interval_ms, 0); /* off */

    /* tools: agents and a placement script. */
    g = &c->groups[2];
    assert_int_equal(g->n_domain, 2);
    assert_int_equal(g->policy, CFG_POLICY_SCRIPT);
    assert_string_equal(g->policy_script, "/usr/local/sbin/place-tools");
    assert_int_equal(g->restarts_max, 0);
    assert_int_equal(g->restarts_within_ms, 600000);
    r = &g->resources[0];
    assert_int_equal(r->type, CFG_RES_OCF);
    assert_string_equal(r->provider, "heartbeat");
    assert_string_equal(r->agent, "Dummy");
    assert_int_equal(r->n_params, 2);
    assert_string_equal(r->params[0].key, "state");
    assert_int_equal(r->start_timeout_ms, 30000);
    assert_int_equal(r->stop_timeout_ms, 0); /* the agent's meta-data decides */
    assert_int_equal(r->monitor_timeout_ms, 0);
    assert_int_equal(r->monitor_interval_ms, 0);
    r = &g->resources[1];
    assert_int_equal(r->type, CFG_RES_LSB);
    assert_null(r->provider);
    assert_string_equal(r->agent, "cron");
    assert_int_equal(r->on_fail, CFG_ON_FAIL_FENCE);
    assert_int_equal(r->start_timeout_ms, 20000);
    assert_int_equal(r->monitor_interval_ms, 10000);
    assert_false(r->healthy_any);
    assert_int_equal(r->checks[0].port, 80);
    assert_string_equal(r->checks[0].path, "/");
    assert_int_equal(r->checks[0].status, 0);
    assert_int_equal(r->checks[0].timeout_ms, 500);
    r = &g->resources[2];
    assert_int_equal(r->network, -1);
    assert_string_equal(r->interface, "bond0.100");
    assert_int_equal(r->prefix, 32);
    assert_int_equal(r->monitor_interval_ms, 3600000);
    cfg_free(c);

    /* A file without groups has none, and the defaults of the new keys. */
    c = load_valid("valid/minimal.yaml");
    assert_int_equal(c->n_groups, 0);
    assert_null(c->groups);
    assert_int_equal(c->no_quorum, CFG_NO_QUORUM_STOP);
    assert_string_equal(c->ocf_root, CFG_DEFAULT_OCF_ROOT);
    cfg_free(c);
}

static void test_groups_lookups(void **state)
{
    struct cfg *c = load_valid("valid/groups-full.yaml");
    const struct cfg_group *g = cfg_group_by_name(c, "db");
    assert_ptr_equal(g, &c->groups[1]);
    assert_int_equal(cfg_group_index(c, g), 1);
    assert_null(cfg_group_by_name(c, "vip")); /* a resource, not a group */
    const struct cfg_group *in = NULL;
    assert_ptr_equal(cfg_resource_by_name(c, "cron", &in), &c->groups[2].resources[1]);
    assert_ptr_equal(in, &c->groups[2]);
    assert_ptr_equal(cfg_resource_by_name(c, "vip", NULL), &c->groups[0].resources[0]);
    in = NULL;
    assert_null(cfg_resource_by_name(c, "web", &in));
    assert_null(in);
    cfg_free(c);

    assert_string_equal(cfg_res_type_name(CFG_RES_IP), "ip");
    assert_string_equal(cfg_res_type_name(CFG_RES_PROCESS), "process");
    assert_string_equal(cfg_res_type_name(CFG_RES_FS), "fs");
    assert_string_equal(cfg_res_type_name(CFG_RES_SCRIPT), "script");
    assert_string_equal(cfg_res_type_name(CFG_RES_OCF), "ocf");
    assert_string_equal(cfg_res_type_name(CFG_RES_LSB), "lsb");
    assert_null(cfg_res_type_name(CFG_RES_TYPE_MAX));
    assert_string_equal(cfg_on_fail_name(CFG_ON_FAIL_IGNORE), "ignore");
    assert_string_equal(cfg_on_fail_name(CFG_ON_FAIL_RESTART), "restart");
    assert_string_equal(cfg_on_fail_name(CFG_ON_FAIL_FAILOVER), "failover");
    assert_string_equal(cfg_on_fail_name(CFG_ON_FAIL_HALT), "halt");
    assert_string_equal(cfg_on_fail_name(CFG_ON_FAIL_FENCE), "fence");
    assert_null(cfg_on_fail_name(CFG_ON_FAIL_MAX));
    assert_string_equal(cfg_check_type_name(CFG_CHECK_TCP), "tcp");
    assert_string_equal(cfg_check_type_name(CFG_CHECK_HTTP), "http");
    assert_string_equal(cfg_check_type_name(CFG_CHECK_EXEC), "exec");
    assert_null(cfg_check_type_name(CFG_CHECK_TYPE_MAX));
    assert_string_equal(cfg_policy_name(CFG_POLICY_ORDERED), "ordered");
    assert_string_equal(cfg_policy_name(CFG_POLICY_ROUND_ROBIN), "round-robin");
    assert_string_equal(cfg_policy_name(CFG_POLICY_SCRIPT), "script");
    assert_null(cfg_policy_name(CFG_POLICY_MAX));
    assert_string_equal(cfg_failback_name(CFG_FAILBACK_CONTROLLED), "controlled");
    assert_string_equal(cfg_failback_name(CFG_FAILBACK_AUTO), "auto");
    assert_null(cfg_failback_name(CFG_FAILBACK_MAX));
    assert_string_equal(cfg_no_quorum_name(CFG_NO_QUORUM_STOP), "stop");
    assert_string_equal(cfg_no_quorum_name(CFG_NO_QUORUM_FREEZE), "freeze");
    assert_null(cfg_no_quorum_name(CFG_NO_QUORUM_MAX));
}

static void test_groups_warnings(void **state)
{
    /* on_fail: fence without fencing. */
    struct cfg *c = load_text(GHEAD "  - {name: web, domain: [n1, n2], resources: [{name: job, "
                                    "type: lsb:cron, on_fail: fence}]}\n",
                              0, 0,
                              W_NOFENCE "test.yaml:8:84: warning: resource 'job': on_fail: fence "
                                        "needs fencing; with fencing disabled the group is halted "
                                        "instead\n");
    assert_int_equal(c->groups[0].resources[0].on_fail, CFG_ON_FAIL_FENCE);
    cfg_free(c);
    /* With fencing on, nothing to say. */
    c = load_text("cluster: {name: g}\n" NET1 "nodes:\n" NODE1 NODE2
                  "fencing:\n  devices: [{name: d1, agent: /bin/true}]\n"
                  "  nodes: {n1: {levels: [[d1]]}, n2: {levels: [[d1]], delay: 1s}}\n"
                  "groups:\n  - {name: web, domain: [n1, n2], resources: [{name: job, type: "
                  "lsb:cron, on_fail: fence}]}\n",
                  0, 0, "");
    cfg_free(c);
    /* healthy with fewer than two checks is ignored (and prints no healthy). */
    c = load_text(GHEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n"
                        "      - {name: a, type: lsb:a, healthy: any}\n"
                        "      - {name: b, type: lsb:b, healthy: any, checks: [{type: tcp, host: "
                        "::1, port: 1}]}\n"
                        "      - {name: c, type: lsb:c, healthy: any, checks: [{type: tcp, host: "
                        "::1, port: 1}, {type: tcp, host: ::1, port: 2}]}\n",
                  0, 0,
                  W_NOFENCE "test.yaml:11:41: warning: resource 'a': healthy is ignored: it "
                            "chooses between any and all of two or more checks, and the "
                            "resource has none\n"
                            "test.yaml:12:41: warning: resource 'b': healthy is ignored: it "
                            "chooses between any and all of two or more checks, and the "
                            "resource has one\n");
    assert_false(c->groups[0].resources[0].healthy_any);
    assert_false(c->groups[0].resources[1].healthy_any);
    assert_true(c->groups[0].resources[2].healthy_any);
    char *text = cfg_print(c);
    assert_non_null(strstr(text, "        monitor: 10s\n        checks: []\n"));
    assert_non_null(strstr(text,
                           "        monitor: 10s\n        healthy: any\n        ready_timeout: "
                           "20s\n        checks:\n"));
    free(text);
    cfg_free(c);
    /* ready_timeout: without checks it means nothing (a warning, not kept). */
    c = load_text(GHEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n"
                        "      - {name: a, type: lsb:a, ready_timeout: 5s}\n"
                        "      - {name: b, type: lsb:b, ready_timeout: 5s, checks: []}\n",
                  0, 0,
                  W_NOFENCE "test.yaml:11:47: warning: resource 'a': ready_timeout is ignored: the "
                            "resource has no checks, so it is started as soon as its start "
                            "action succeeds\n"
                            "test.yaml:12:47: warning: resource 'b': ready_timeout is ignored: the "
                            "resource has no checks, so it is started as soon as its start "
                            "action succeeds\n");
    assert_int_equal(c->groups[0].resources[0].ready_timeout_ms, 0);
    assert_int_equal(c->groups[0].resources[1].ready_timeout_ms, 0);
    text = cfg_print(c);
    assert_null(strstr(text, "ready_timeout"));
    free(text);
    cfg_free(c);
    /* A one-node domain, unless the cluster has one node. */
    c = load_text(GHEAD "  - {name: web, domain: [n3], resources: [{name: x, type: lsb:x}]}\n", 0,
                  0,
                  W_NOFENCE "test.yaml:8:25: warning: group 'web': the domain has only one node, "
                            "so the group cannot fail over\n");
    cfg_free(c);
    c = load_text("cluster: {name: g}\n" NET1 "nodes:\n" NODE1 FENCE1
                  "groups: [{name: web, domain: [n1], resources: [{name: x, type: lsb:x}]}]\n",
                  0, 0, "");
    assert_int_equal(c->groups[0].n_domain, 1);
    cfg_free(c);
}

/* A resource's ready_timeout: its default, its values, and where it means nothing. */
static void test_ready_timeout(void **state)
{
#define RT_HEAD GHEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n"
#define RT_TCP  "checks: [{type: tcp, host: 127.0.0.1, port: 5432}]"
    /* Default: the start timeout (written, or the type's); ocf without one: 0 (the agent's). */
    struct cfg *c =
        load_text(RT_HEAD "      - {name: a, type: process, command: [/bin/x], " RT_TCP "}\n"
                          "      - {name: b, type: process, command: [/bin/x], "
                          "timeouts: {start: 45s}, " RT_TCP "}\n"
                          "      - {name: d, type: ocf:heartbeat:Dummy, " RT_TCP "}\n"
                          "      - {name: e, type: process, command: [/bin/x], "
                          "ready_timeout: 2min, " RT_TCP "}\n"
                          "      - {name: f, type: ocf:heartbeat:Dummy, "
                          "ready_timeout: 90s, " RT_TCP "}\n",
                  0, 0, W_NOFENCE);
    const struct cfg_resource *r = c->groups[0].resources;
    assert_int_equal(r[0].ready_timeout_ms, 10000);
    assert_int_equal(r[1].ready_timeout_ms, 45000);
    assert_int_equal(r[2].ready_timeout_ms, 0);
    assert_int_equal(r[3].ready_timeout_ms, 120000);
    assert_int_equal(r[4].ready_timeout_ms, 90000);
    /* Printed (spelled out but for the agent's default), loaded back equal, a fixed point. */
    char *text = cfg_print(c);
    assert_non_null(strstr(text, "        monitor: \"off\"\n        ready_timeout: 10s\n"));
    assert_non_null(strstr(text, "        monitor: \"off\"\n        ready_timeout: 45s\n"));
    assert_non_null(strstr(text, "        monitor: \"off\"\n        ready_timeout: 2min\n"));
    assert_non_null(strstr(text, "        ready_timeout: 90s\n"));
    assert_null(strstr(text, "ready_timeout: 0"));
    struct cfg_diags dg;
    cfg_diags_init(&dg);
    struct cfg *b = NULL;
    assert_int_equal(cfg_load_string(text, strlen(text), "printed.yaml", 0, &b, &dg), 0);
    assert_int_equal(dg.n_errors, 0);
    cfg_diags_clear(&dg);
    assert_true(cfg_equal(c, b));
    char *again = cfg_print(b);
    assert_string_equal(text, again);
    free(again);
    free(text);
    /* A different ready_timeout is a different resource: compared and diffed. */
    struct cfg *e =
        load_text(RT_HEAD "      - {name: a, type: process, command: [/bin/x], " RT_TCP "}\n"
                          "      - {name: b, type: process, command: [/bin/x], "
                          "timeouts: {start: 45s}, " RT_TCP "}\n"
                          "      - {name: d, type: ocf:heartbeat:Dummy, " RT_TCP "}\n"
                          "      - {name: e, type: process, command: [/bin/x], "
                          "ready_timeout: 3min, " RT_TCP "}\n"
                          "      - {name: f, type: ocf:heartbeat:Dummy, "
                          "ready_timeout: 90s, " RT_TCP "}\n",
                  0, 0, W_NOFENCE);
    assert_false(cfg_equal(c, e));
    assert_false(cfg_resource_equal(&c->groups[0].resources[3], &e->groups[0].resources[3]));
    assert_true(cfg_resource_equal(&c->groups[0].resources[2], &e->groups[0].resources[2]));
    struct cfg_diff d;
    cfg_diff(c, e, &d);
    assert_int_equal(d.n_groups, 1);
    assert_int_equal(d.groups[0].change, CFG_CHANGE_MODIFIED);
    assert_int_equal(d.groups[0].keep, 3); /* a, b and d keep running; e on restarts */
    cfg_diff_clear(&d);
    cfg_free(e);
    cfg_free(b);
    cfg_free(c);
    /* Bad values, with their line and column. */
    load_text(
        RT_HEAD
        "      - {name: a, type: process, command: [/bin/x], " RT_TCP "}\n"
        "      - name: b\n        type: process\n        command: [/bin/x]\n"
        "        ready_timeout: 1.5s\n        " RT_TCP "\n"
        "      - {name: c, type: process, command: [/bin/x], ready_timeout: 0s, " RT_TCP "}\n"
        "      - {name: d, type: process, command: [/bin/x], ready_timeout: soon, " RT_TCP "}\n"
        "      - {name: e, type: process, command: [/bin/x], ready_timeout: [1s], " RT_TCP "}\n",
        0, -EINVAL,
        "test.yaml:15:24: error: resource 'b': ready_timeout: '1.5s' is not a duration: "
        "fractions are not accepted; write 1500ms\n"
        "test.yaml:17:68: error: resource 'c': ready_timeout is 0s; it must be from 100ms "
        "to 1h\n"
        "test.yaml:18:68: error: resource 'd': ready_timeout: 'soon' is not a duration; "
        "write a whole number followed by ms, s, min or h, with no space (e.g. 100ms, 5s, "
        "2min)\n"
        "test.yaml:19:68: error: resource 'e': ready_timeout must be a duration such as "
        "100ms, 5s or 2min, not a list\n");
#undef RT_TCP
#undef RT_HEAD
}

static void test_groups_edges(void **state)
{
    /* An empty list of groups is no groups. */
    struct cfg *c = load_text(GHEAD_EMPTY, 0, 0, W_NOFENCE);
    assert_int_equal(c->n_groups, 0);
    cfg_free(c);
    /* Check timeouts: below the interval, half of it when the default would not be. */
    c = load_text(GHEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n"
                        "      - name: www\n        type: process\n        command: [/bin/x]\n"
                        "        checks:\n"
                        "          - {type: exec, command: [/bin/true], interval: 100ms}\n"
                        "          - {type: exec, command: [/bin/true], interval: 3s}\n"
                        "          - {type: exec, command: [/bin/true], interval: 1h, timeout: "
                        "1h}\n"
                        "          - {type: http, url: \"http://localhost:8080\"}\n"
                        "          - {type: tcp, host: \"2001:db8::1\", port: 65535}\n",
                  0, -EINVAL,
                  "test.yaml:17:71: error: check #3 of resource 'www': timeout 1h must be shorter "
                  "than the interval (1h)\n");
    c = load_text(GHEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n"
                        "      - name: www\n        type: process\n        command: [/bin/x]\n"
                        "        checks:\n"
                        "          - {type: exec, command: [/bin/true], interval: 100ms}\n"
                        "          - {type: exec, command: [/bin/true], interval: 3s}\n"
                        "          - {type: exec, command: [/bin/true], interval: 1h, timeout: "
                        "59min}\n"
                        "          - {type: http, url: \"http://localhost:8080\"}\n"
                        "          - {type: tcp, host: \"2001:db8::1\", port: 65535}\n",
                  0, 0, W_NOFENCE);
    const struct cfg_resource *r = &c->groups[0].resources[0];
    assert_int_equal(r->checks[0].timeout_ms, 50);
    assert_int_equal(r->checks[1].timeout_ms, 2000);
    assert_int_equal(r->checks[2].timeout_ms, 3540000);
    assert_string_equal(r->checks[3].host, "127.0.0.1");
    assert_int_equal(r->checks[3].port, 8080);
    assert_string_equal(r->checks[3].path, "/");
    assert_string_equal(r->checks[4].host, "2001:db8::1");
    assert_int_equal(r->checks[4].port, 65535);
    cfg_free(c);
    /* Limits: 9 checks, 257 arguments, 65 params, 65 resources, 257 groups. */
    char *text =
        xstrdup(GHEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n"
                      "      - name: www\n        type: process\n        command: [/bin/x");
    for (int i = 1; i < 257; i++) {
        char *t = xasprintf("%s, a%d", text, i);
        free(text);
        text = t;
    }
    char *t = xasprintf("%s]\n        checks:\n", text);
    free(text);
    text = t;
    for (int i = 0; i < 9; i++) {
        t = xasprintf("%s          - {type: tcp, host: 127.0.0.1, port: %d}\n", text, i + 1);
        free(text);
        text = t;
    }
    load_text(text, 0, -EINVAL,
              "test.yaml:13:1449: error: resource 'www': command: too many arguments: 257 are "
              "given, at most 256 are supported\n"
              "test.yaml:23:13: error: resource 'www': too many checks: 9 are given, at most 8 "
              "are supported\n");
    free(text);
    text = xstrdup(GHEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n");
    for (int i = 0; i < 65; i++) {
        t = xasprintf("%s      - {name: r%d, type: lsb:r}\n", text, i);
        free(text);
        text = t;
    }
    load_text(text, 0, -EINVAL,
              "test.yaml:75:9: error: group 'web': too many resources: 65 are given, at most 64 "
              "are supported\n");
    free(text);
    text = xstrdup(GHEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n"
                         "      - name: r\n        type: ocf:p:a\n        params:\n");
    for (int i = 0; i < 65; i++) {
        t = xasprintf("%s          p%d: x\n", text, i);
        free(text);
        text = t;
    }
    load_text(text, 0, -EINVAL,
              "test.yaml:78:11: error: resource 'r': too many params: 65 are given, at most 64 "
              "are supported\n");
    free(text);
    text = xstrdup(GHEAD);
    for (int i = 0; i < 257; i++) {
        t = xasprintf("%s  - {name: g%d, domain: [n1, n2], resources: [{name: r%d, type: "
                      "lsb:x}]}\n",
                      text, i, i);
        free(text);
        text = t;
    }
    load_text(text, 0, -EINVAL,
              "test.yaml:264:5: error: too many groups: 257 are declared, at most 256 are "
              "supported\n");
    free(text);
    /* Shapes: groups and their parts of the wrong kind. */
    load_text(GHEAD "  - web\n", 0, -EINVAL,
              "test.yaml:8:5: error: group #1 must be a mapping with name, domain and resources, "
              "not 'web'\n");
    load_text(GHEAD "  - {name: web, domain: [n1, [n2]], restarts: 3, resources: {vip: x}}\n", 0,
              -EINVAL,
              "test.yaml:8:30: error: group 'web': domain entry #2 must be a node name, not a "
              "list\n"
              "test.yaml:8:47: error: group 'web': restarts must be a mapping (key: value "
              "lines), not '3'\n"
              "test.yaml:8:61: error: group 'web': resources must be a list of resources (- "
              "name: NAME, type: TYPE, ...), not a mapping\n");
    load_text(GHEAD "  - {name: web, domain: [], resources: [vip, {name: db, type: [ip]}]}\n", 0,
              -EINVAL,
              "test.yaml:8:25: error: group 'web': domain is empty; name at least one node\n"
              "test.yaml:8:41: error: resource #1 of group 'web' must be a mapping with name, "
              "type and the keys of that type, not 'vip'\n"
              "test.yaml:8:63: error: resource 'db': type must be ip, process, fs, script, "
              "ocf:PROVIDER:AGENT or lsb:NAME, not a list\n");
    /* Unknown domain nodes without a close name; a node named like a keyword. */
    load_text(GHEAD "  - {name: web, domain: [web7], resources: [{name: x, type: lsb:x}]}\n", 0,
              -EINVAL,
              "test.yaml:8:26: error: group 'web': undeclared node 'web7' in the domain (the "
              "nodes are n1, n2 and n3)\n");
    /* Unknown types and keys without a close match. */
    load_text(GHEAD "  - {name: web, domain: [n1, n2], resources: [{name: x, type: docker, "
                    "image: nginx}]}\n",
              0, -EINVAL,
              "test.yaml:8:63: error: resource 'x': unknown type 'docker' (the types are ip, "
              "process, fs, script, ocf:PROVIDER:AGENT and lsb:NAME)\n"
              "test.yaml:8:71: error: unknown key 'image' in resource 'x' (the keys here are "
              "name, type, on_fail, timeouts, monitor, healthy, checks, ready_timeout, address, "
              "network, interface, command, user, environment, directory, device, mountpoint, "
              "fstype, options, path, params, mac, role, promote_timeout, demote_timeout and "
              "notify_timeout)\n");
    load_text(GHEAD "  - {name: web, domain: [n1, n2], resources: [{name: x, type: lsb:x, "
                    "checks: [{type: ping, host: ::1}, {host: ::1}, tcp]}]}\n",
              0, -EINVAL,
              "test.yaml:8:86: error: check #1 of resource 'x': unknown check type 'ping' (the "
              "types are tcp, http and exec)\n"
              "test.yaml:8:104: error: missing required key 'type' in check #2 of resource "
              "'x'\n"
              "test.yaml:8:117: error: check #3 of resource 'x' must be a mapping such as "
              "{type: tcp, host: 127.0.0.1, port: 80}, not 'tcp'\n");
    /* A name that is not a name; an interface where no network is declared. */
    load_text(GHEAD "  - {name: \"web site\", domain: [n1, n2], resources: [{name: -x, type: ip, "
                    "address: 192.0.2.9/24, interface: eth0}]}\n",
              0, -EINVAL,
              "test.yaml:8:12: error: group #1: name 'web site' is not a valid group name: use 1 "
              "to 63 letters, digits, '.', '_' or '-', starting with a letter or digit\n"
              "test.yaml:8:61: error: resource #1 of group #1: name '-x' is not a valid resource "
              "name: use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or "
              "digit\n");
    /* An ip on its own interface needs no network, and prints without one. */
    c = load_text(GHEAD "  - {name: web, domain: [n1, n2], resources: [{name: v, type: ip, "
                        "address: 192.0.2.9/24, interface: eth0, monitor: \"off\"}]}\n",
                  0, 0, W_NOFENCE);
    assert_int_equal(c->groups[0].resources[0].network, -1);
    assert_int_equal(c->groups[0].resources[0].monitor_interval_ms, 0);
    text = cfg_print(c);
    assert_non_null(strstr(text, "        address: \"192.0.2.9/24\"\n        interface: eth0\n"
                                 "        on_fail: restart\n"));
    assert_non_null(strstr(text, "        monitor: \"off\"\n"));
    free(text);
    cfg_free(c);
    /* resources.ocf_root and quorum.no_quorum. */
    c = load_text(GHEAD_EMPTY "resources: {ocf_root: /srv/ocf}\nquorum: {no_quorum: stop}\n", 0, 0,
                  W_NOFENCE);
    assert_string_equal(c->ocf_root, "/srv/ocf");
    assert_int_equal(c->no_quorum, CFG_NO_QUORUM_STOP);
    cfg_free(c);
    load_text(GHEAD_EMPTY "resources: {ocf_root: lib/ocf, ocf: x}\nquorum: {no_quorum: [stop]}\n",
              0, -EINVAL,
              "test.yaml:8:23: error: resources.ocf_root 'lib/ocf' must be an absolute path "
              "(starting with /)\n"
              "test.yaml:8:32: error: unknown key 'ocf' in resources (the keys here are "
              "ocf_root)\n"
              "test.yaml:9:21: error: quorum.no_quorum must be stop or freeze, not a list\n");
    /* A resource's address may not be a node's, even spelt differently. */
    load_text(GHEAD "  - {name: web, domain: [n1, n2], resources: [{name: v, type: ip, address: "
                    "\"::ffff:192.0.2.3/120\", network: priv}, {name: w, type: ip, address: "
                    "192.0.2.3/24, network: priv}]}\n",
              0, -EINVAL,
              "test.yaml:8:145: error: resource 'w': address 192.0.2.3/24 is the address of node "
              "'n3' on network 'priv' (line 6)\n");
}

/* A file, under dir, with mode; its path is owned by the caller. */
static char *make_file(const char *dir, const char *name, mode_t mode)
{
    return write_key(dir, name, 10, mode);
}

static void test_groups_files(void **state)
{
    char dir[] = "/tmp/vigil-groups-XXXXXX";
    assert_non_null(mkdtemp(dir));
    _cleanup_free_ char *key = write_key(dir, "key", 256, 0600);
    _cleanup_free_ char *script = make_file(dir, "script", 0755);
    _cleanup_free_ char *plain = make_file(dir, "plain", 0644);
    _cleanup_free_ char *rd = xasprintf("%s/resource.d", dir);
    _cleanup_free_ char *hb = xasprintf("%s/resource.d/heartbeat", dir);
    assert_int_equal(mkdir(rd, 0755), 0);
    assert_int_equal(mkdir(hb, 0755), 0);
    _cleanup_free_ char *dummy = make_file(hb, "Dummy", 0755);
    _cleanup_free_ char *stale = make_file(hb, "Stale", 0644);

    _cleanup_free_ char *good = xasprintf(
        "cluster: {name: g, key: %s}\n" NET1 "nodes:\n" NODE1 FENCE1 "resources: {ocf_root: %s}\n"
        "groups:\n  - name: web\n    domain: [n1]\n    policy: {script: %s}\n    resources:\n"
        "      - {name: s, type: script, path: %s}\n"
        "      - {name: o, type: ocf:heartbeat:Dummy}\n"
        "      - {name: p, type: process, command: [/nonexistent/on/shared/fs], user: root}\n",
        key, dir, script, script);
    cfg_free(load_text(good, CFG_LOAD_CHECK_FILES, 0, ""));

    _cleanup_free_ char *bad = xasprintf(
        "cluster: {name: g, key: %s}\n" NET1 "nodes:\n" NODE1 FENCE1 "resources: {ocf_root: %s}\n"
        "groups:\n  - name: web\n    domain: [n1]\n    policy: {script: %s/none}\n"
        "    resources:\n"
        "      - {name: s, type: script, path: %s}\n"
        "      - {name: o, type: ocf:heartbeat:IPaddr9}\n"
        "      - {name: q, type: ocf:heartbeat:Stale}\n"
        "      - {name: r, type: ocf:pacemaker:Dummy}\n"
        "      - {name: l, type: lsb:vigil-no-such-script}\n"
        "      - {name: p, type: process, command: [/bin/true], user: vigil-no-such-user}\n",
        key, dir, dir, plain);
    _cleanup_free_ char *want = xasprintf(
        "test.yaml:12:22: error: group 'web': policy script %s/none: No such file or directory\n"
        "test.yaml:14:39: error: resource 's': script %s is not executable\n"
        "test.yaml:15:25: error: resource 'o': unknown agent ocf:heartbeat:IPaddr9 (there is no "
        "%s/resource.d/heartbeat/IPaddr9)\n"
        "test.yaml:16:25: error: resource 'q': OCF agent %s/resource.d/heartbeat/Stale is not "
        "executable\n"
        "test.yaml:17:25: error: resource 'r': unknown agent ocf:pacemaker:Dummy (there is no "
        "%s/resource.d/pacemaker/Dummy)\n"
        "test.yaml:18:25: error: resource 'l': unknown init script lsb:vigil-no-such-script "
        "(there is no /etc/init.d/vigil-no-such-script)\n"
        "test.yaml:19:62: error: resource 'p': unknown user 'vigil-no-such-user' (not in the "
        "user database of this node)\n",
        dir, plain, dir, dir, dir);
    load_text(bad, CFG_LOAD_CHECK_FILES, -EINVAL, want);
    /* Without the flag no file or user is looked at. */
    cfg_free(load_text(bad, 0, 0, ""));

    const char *const files[] = {dummy, stale};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++)
        unlink(files[i]);
    const char *const files2[] = {key, script, plain};
    for (size_t i = 0; i < ARRAY_SIZE(files2); i++)
        unlink(files2[i]);
    assert_int_equal(rmdir(hb), 0);
    assert_int_equal(rmdir(rd), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_values),   cmocka_unit_test(test_groups_lookups),
        cmocka_unit_test(test_groups_warnings), cmocka_unit_test(test_groups_edges),
        cmocka_unit_test(test_ready_timeout),   cmocka_unit_test(test_groups_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
