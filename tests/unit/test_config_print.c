/*
 * The normalised print of a configuration (src/config/print.c, equal.c): load ->
 * print -> load is equal, print is a fixed point, the exact text, and what
 * cfg_equal tells apart.
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
#include "cfg_helpers.h"

/* ---- Printing ---- */

static const char *const valid_files[] = {
    "valid/minimal.yaml",     "valid/three-node.yaml",  "valid/full.yaml",
    "valid/flow.yaml",        "valid/two-node.yaml",    "valid/one-network.yaml",
    "valid/tie-node.yaml",    "valid/tie-highest.yaml", "valid/ipv6.yaml",
    "valid/quoting.yaml",     "valid/four-node.yaml",   "valid/four-node-named.yaml",
    "valid/groups-full.yaml", "valid/clones.yaml",
};

static void test_print_roundtrip(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(valid_files); i++) {
        struct cfg *a = load_valid(valid_files[i]);
        char *text = cfg_print(a);
        struct cfg_diags d;
        cfg_diags_init(&d);
        struct cfg *b = NULL;
        if (cfg_load_string(text, strlen(text), "printed.yaml", 0, &b, &d) != 0) {
            cfg_diags_print(&d, stderr);
            fail_msg("%s: printed form does not load:\n%s", valid_files[i], text);
        }
        assert_int_equal(d.n, 0);
        assert_true(cfg_equal(a, b));
        char *again = cfg_print(b);
        assert_string_equal(text, again); /* a fixed point */
        free(again);
        free(text);
        cfg_free(b);
        cfg_free(a);
        cfg_diags_clear(&d);
    }
}

static void test_print_exact(void **state)
{
    struct cfg *c = load_valid("valid/minimal.yaml");
    char *text = cfg_print(c);
    assert_string_equal(text, "cluster:\n"
                              "  name: solo\n"
                              "  key: /etc/vigil/authkey\n"
                              "engine: managed\n"
                              "heartbeat:\n"
                              "  interval: 100ms\n"
                              "  misses: 4\n"
                              "  link_mode: active\n"
                              "networks:\n"
                              "  - name: lan\n"
                              "nodes:\n"
                              "  - name: n1\n"
                              "    id: 1\n"
                              "    addresses:\n"
                              "      lan: 192.0.2.1\n"
                              "quorum:\n"
                              "  tie_breaker: lowest\n"
                              "  no_quorum: stop\n"
                              "fencing:\n"
                              "  enabled: true\n"
                              "  unsafe_recovery: false\n"
                              "  action: \"off\"\n"
                              "  retries: 1\n"
                              "  startup_wait: 20s\n"
                              "  devices:\n"
                              "    - name: ipmi-n1\n"
                              "      agent: /usr/sbin/fence_ipmilan\n"
                              "      params: {}\n"
                              "      timeout: 20s\n"
                              "  nodes:\n"
                              "    n1:\n"
                              "      delay: 0ms\n"
                              "      levels:\n"
                              "        - [ipmi-n1]\n"
                              "resources:\n"
                              "  ocf_root: /usr/lib/ocf\n"
                              "groups: []\n");
    free(text);
    cfg_free(c);

    c = load_valid("valid/quoting.yaml");
    text = cfg_print(c);
    assert_non_null(strstr(text, "  name: \"2024\"\n"));
    assert_non_null(strstr(text, "  - name: \"true\"\n"));
    assert_non_null(strstr(text, "      \"1\": \"::ffff:198.51.100.1\"\n"));
    assert_non_null(strstr(text, "  tie_breaker: \"yes\"\n"));
    /* Parameter values print as text, whatever YAML type they were written as. */
    assert_non_null(strstr(text, "        lanplus: \"1\"\n        ip: 192.0.2.100\n"
                                 "        port_timeout: \"5\"\n        verbose: \"true\"\n"
                                 "        x: \"a \\\"quoted\\\" #value\"\n"));
    assert_non_null(strstr(text, "    \"yes\":\n      delay: 0ms\n      levels:\n"
                                 "        - [{device: \"true\", port: \"2\"}]\n"));
    free(text);
    cfg_free(c);

    c = load_valid("valid/full.yaml");
    text = cfg_print(c);
    assert_non_null(strstr(text, "engine: external\nheartbeat:\n  interval: 250ms\n  misses: 6\n"
                                 "  link_mode: passive\nnetworks:\n"));
    assert_non_null(strstr(text, "  tie_breaker: db2.example.org\n"));
    free(text);
    cfg_free(c);
}

static void test_equal(void **state)
{
    struct cfg *a = load_valid("valid/full.yaml");
    struct cfg *b = load_valid("valid/full.yaml");
    assert_true(cfg_equal(a, b));
    free(b->file);
    b->file = xstrdup("elsewhere.yaml"); /* the file name does not count */
    assert_true(cfg_equal(a, b));
    b->misses++;
    assert_false(cfg_equal(a, b));
    b->misses--;
    b->link_mode = CFG_LINK_ACTIVE;
    assert_false(cfg_equal(a, b));
    b->link_mode = CFG_LINK_PASSIVE;
    assert_true(cfg_equal(a, b));
    b->tie_breaker_node_id = 10;
    assert_false(cfg_equal(a, b));
    b->tie_breaker_node_id = 20;
    free(b->nodes[1].addr[2]);
    b->nodes[1].addr[2] = xstrdup("203.0.113.21");
    assert_false(cfg_equal(a, b));
    cfg_free(a);
    cfg_free(b);
    cfg_free(NULL);
}

/* Changes field of b, checks that a and b now differ, and puts it back. */
#define DIFFERS(field, value)                                                                      \
    do {                                                                                           \
        __typeof__(field) saved_ = (field);                                                        \
        (field) = (value);                                                                         \
        assert_false(cfg_equal(a, b));                                                             \
        (field) = saved_;                                                                          \
        assert_true(cfg_equal(a, b));                                                              \
    } while (0)

static void test_equal_groups(void **state)
{
    struct cfg *a = load_valid("valid/groups-full.yaml");
    struct cfg *b = load_valid("valid/groups-full.yaml");
    assert_true(cfg_equal(a, b));
    DIFFERS(b->no_quorum, CFG_NO_QUORUM_STOP);
    DIFFERS(b->ocf_root, "/usr/lib/ocf");
    DIFFERS(b->n_groups, 2);
    struct cfg_group *g = &b->groups[1];
    DIFFERS(g->name, "db2");
    DIFFERS(g->domain[1], 0);
    DIFFERS(g->n_domain, 2);
    DIFFERS(g->policy, CFG_POLICY_ORDERED);
    DIFFERS(g->failback, CFG_FAILBACK_CONTROLLED);
    DIFFERS(g->restarts_max, 4);
    DIFFERS(g->restarts_within_ms, 1000);
    DIFFERS(g->n_resources, 3);
    DIFFERS(b->groups[2].policy_script, "/usr/local/sbin/other");

    struct cfg_resource *r = &g->resources[0]; /* db-vip */
    DIFFERS(r->name, "db-vip2");
    DIFFERS(r->type, CFG_RES_FS);
    DIFFERS(r->on_fail, CFG_ON_FAIL_RESTART);
    DIFFERS(r->start_timeout_ms, 1);
    DIFFERS(r->stop_timeout_ms, 1);
    DIFFERS(r->monitor_timeout_ms, 1);
    DIFFERS(r->monitor_interval_ms, 1);
    DIFFERS(r->address, "2001:db8::11/64");
    DIFFERS(r->family, AF_INET);
    DIFFERS(r->addr[15], 0x11);
    DIFFERS(r->prefix, 48);
    DIFFERS(r->network, 1);
    DIFFERS(r->interface, "eth2");
    r = &g->resources[1]; /* db-data */
    DIFFERS(r->device, "/dev/vdc");
    DIFFERS(r->mountpoint, "/srv/db2");
    DIFFERS(r->fstype, "xfs");
    DIFFERS(r->options, "ro");
    r = &g->resources[2]; /* postgres */
    DIFFERS(r->argv[1], "-d");
    DIFFERS(r->argc, 2);
    DIFFERS(r->user, "root");
    DIFFERS(r->env[1].key, "PGPORT2");
    DIFFERS(r->env[1].value, "5433");
    DIFFERS(r->n_env, 2);
    DIFFERS(r->directory, "/srv");
    DIFFERS(r->healthy_any, false);
    DIFFERS(r->n_checks, 2);
    struct cfg_check *ck = &r->checks[0];
    DIFFERS(ck->type, CFG_CHECK_HTTP);
    DIFFERS(ck->host, "127.0.0.2");
    DIFFERS(ck->port, 5433);
    DIFFERS(ck->interval_ms, 2000);
    DIFFERS(ck->timeout_ms, 600);
    DIFFERS(ck->failures, 3);
    ck = &r->checks[1];
    DIFFERS(ck->url, "http://[2001:db8::10]:8008/");
    DIFFERS(ck->path, "/");
    DIFFERS(ck->status, 0);
    DIFFERS(r->checks[2].argv[1], "-v");
    r = &g->resources[3]; /* backup */
    DIFFERS(r->path, "/usr/local/bin/other");
    DIFFERS(r->params[0].value, "/srv/other");
    DIFFERS(r->n_params, 1);
    r = &b->groups[2].resources[0]; /* dummy */
    DIFFERS(r->provider, "pacemaker");
    DIFFERS(r->agent, "Stateful");
    cfg_free(a);
    cfg_free(b);
}

/* One group in full: the exact normalised text. */
static void test_print_groups_exact(void **state)
{
    struct cfg *c = load_text(
        GHEAD "  - name: web\n    domain: [n2, n1]\n    resources:\n"
              "      - {name: vip, type: ip, address: 192.0.2.100/24, network: priv}\n"
              "      - name: www\n        type: process\n        command: [/usr/bin/python3, -m, "
              "http.server, 80]\n        environment: {PORT: 80}\n"
              "        checks: [{type: http, url: \"http://localhost/\"}, {type: tcp, host: "
              "localhost, port: 80, interval: 1s}]\n"
              "      - {name: d, type: ocf:heartbeat:Dummy, timeouts: {stop: 1min}}\n",
        0, 0, W_NOFENCE);
    char *text = cfg_print(c);
    const char *groups = strstr(text, "groups:\n");
    assert_non_null(groups);
    assert_string_equal(groups, "groups:\n"
                                "  - name: web\n"
                                "    domain: [n2, n1]\n"
                                "    policy: ordered\n"
                                "    failback: controlled\n"
                                "    restarts:\n"
                                "      max: 2\n"
                                "      within: 10min\n"
                                "    resources:\n"
                                "      - name: vip\n"
                                "        type: ip\n"
                                "        address: \"192.0.2.100/24\"\n"
                                "        network: priv\n"
                                "        on_fail: restart\n"
                                "        timeouts:\n"
                                "          start: 5s\n"
                                "          stop: 5s\n"
                                "          monitor: 5s\n"
                                "        monitor: 10s\n"
                                "        checks: []\n"
                                "      - name: www\n"
                                "        type: process\n"
                                "        command: [/usr/bin/python3, \"-m\", http.server, \"80\"]\n"
                                "        environment:\n"
                                "          PORT: \"80\"\n"
                                "        on_fail: restart\n"
                                "        timeouts:\n"
                                "          start: 10s\n"
                                "          stop: 10s\n"
                                "          monitor: 10s\n"
                                "        monitor: \"off\"\n"
                                "        healthy: all\n"
                                "        ready_timeout: 10s\n"
                                "        checks:\n"
                                "          - type: http\n"
                                "            url: \"http://localhost/\"\n"
                                "            interval: 5s\n"
                                "            timeout: 2s\n"
                                "            failures: 1\n"
                                "          - type: tcp\n"
                                "            host: 127.0.0.1\n"
                                "            port: 80\n"
                                "            interval: 1s\n"
                                "            timeout: 500ms\n"
                                "            failures: 1\n"
                                "      - name: d\n"
                                "        type: ocf:heartbeat:Dummy\n"
                                "        params: {}\n"
                                "        on_fail: restart\n"
                                "        timeouts:\n"
                                "          stop: 1min\n"
                                "        checks: []\n");
    free(text);
    cfg_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print_roundtrip),
        cmocka_unit_test(test_print_exact),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_equal_groups),
        cmocka_unit_test(test_print_groups_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
