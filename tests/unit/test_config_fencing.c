/*
 * The fencing section of vigil.yaml (src/config/load_fencing.c): values,
 * defaults, the warnings of a cluster without fencing or with one node, every
 * error with its file:line:col, and the agent and secrets files
 * (CFG_LOAD_CHECK_FILES).
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
#include "config/config.h"
#include "cfg_helpers.h"

/* ---- Fencing ---- */

#define HEAD3 "cluster: {name: f}\n" NET1 NODES3 /* fencing starts on line 7 */
#define HEAD2 "cluster: {name: f}\n" NET1 "nodes:\n" NODE1 NODE2
/* A device for each of three nodes and a level for each (lines 8 to 15 after HEAD3). */
#define DEVS3                                                                                      \
    "  devices:\n"                                                                                 \
    "    - {name: d1, agent: /bin/true}\n"                                                         \
    "    - {name: d2, agent: /bin/true}\n"                                                         \
    "    - {name: d3, agent: /bin/true}\n"
#define LEVELS3                                                                                    \
    "  nodes:\n"                                                                                   \
    "    n1: {levels: [[d1]]}\n"                                                                   \
    "    n2: {levels: [[d2]]}\n"                                                                   \
    "    n3: {levels: [[d3]]}\n"

static void test_fencing_values(void **state)
{
    struct cfg *c = load_valid("valid/three-node.yaml");
    assert_true(c->fence_enabled);
    assert_false(c->fence_unsafe_recovery);
    assert_int_equal(c->fence_action, CFG_FENCE_OFF);
    assert_int_equal(c->fence_retries, 1);
    assert_int_equal(c->fence_startup_wait_ms, CFG_DEFAULT_STARTUP_WAIT_MS);
    assert_int_equal(c->n_fence_devices, 5);
    const struct cfg_fence_device *d = &c->fence_devices[0];
    assert_string_equal(d->name, "ipmi-n1");
    assert_string_equal(d->agent, "/usr/sbin/fence_ipmilan");
    assert_int_equal(d->n_params, 3); /* in file order */
    assert_string_equal(d->params[0].key, "ip");
    assert_string_equal(d->params[0].value, "203.0.113.1");
    assert_string_equal(d->params[1].key, "username");
    assert_string_equal(d->params[1].value, "admin");
    assert_string_equal(d->params[2].key, "lanplus");
    assert_string_equal(d->params[2].value, "1");
    assert_string_equal(d->secrets, "/etc/vigil/fence/ipmi");
    assert_int_equal(d->timeout_ms, 20000);
    d = &c->fence_devices[3];
    assert_string_equal(d->name, "pdu1");
    assert_null(d->secrets);
    assert_int_equal(d->timeout_ms, 20000); /* the default */
    /* Levels in order; each device by its index; a port only where one is given. */
    for (size_t i = 0; i < 3; i++) {
        const struct cfg_fence_node *fn = &c->fence_nodes[i];
        assert_int_equal(fn->delay_ms, 0);
        assert_int_equal(fn->n_levels, 2);
        assert_int_equal(fn->levels[0].n_refs, 1);
        assert_int_equal(fn->levels[0].refs[0].device, i);
        assert_null(fn->levels[0].refs[0].port);
        assert_int_equal(fn->levels[1].n_refs, 2);
        assert_int_equal(fn->levels[1].refs[0].device, 3);
        assert_int_equal(fn->levels[1].refs[1].device, 4);
        char port[2] = {(char)('1' + i), '\0'};
        assert_string_equal(fn->levels[1].refs[0].port, port);
        assert_string_equal(fn->levels[1].refs[1].port, port);
    }
    assert_ptr_equal(cfg_fence_device_by_name(c, "pdu2"), &c->fence_devices[4]);
    assert_null(cfg_fence_device_by_name(c, "pdu3"));
    assert_string_equal(cfg_fence_action_name(CFG_FENCE_OFF), "off");
    assert_string_equal(cfg_fence_action_name(CFG_FENCE_REBOOT), "reboot");
    assert_null(cfg_fence_action_name(CFG_FENCE_ACTION_MAX));
    cfg_free(c);

    c = load_valid("valid/full.yaml");
    assert_int_equal(c->fence_action, CFG_FENCE_REBOOT);
    assert_int_equal(c->fence_retries, 0);
    assert_int_equal(c->fence_startup_wait_ms, 45000);
    assert_int_equal(c->fence_nodes[0].delay_ms, 300000);
    assert_int_equal(c->fence_nodes[1].delay_ms, 2000);
    assert_int_equal(c->fence_nodes[2].delay_ms, 0);
    assert_int_equal(c->fence_devices[0].timeout_ms, 45000);
    assert_string_equal(c->fence_devices[3].name, "sbd");
    assert_int_equal(c->fence_devices[3].n_params, 0);
    assert_int_equal(c->fence_devices[3].timeout_ms, 600000);
    assert_int_equal(c->fence_nodes[2].levels[1].refs[0].device, 3);
    cfg_free(c);

    c = load_valid("valid/quoting.yaml");
    d = &c->fence_devices[0];
    assert_string_equal(d->name, "true");
    assert_string_equal(d->params[2].value, "5");
    assert_string_equal(d->params[3].value, "true");
    assert_string_equal(d->params[4].value, "a \"quoted\" #value");
    assert_string_equal(c->fence_nodes[1].levels[0].refs[0].port, "2");
    assert_string_equal(c->fence_nodes[2].levels[0].refs[0].port, "yes");
    cfg_free(c);

    c = load_valid("valid/flow.yaml");
    assert_int_equal(c->fence_retries, 2);
    assert_int_equal(c->fence_devices[0].timeout_ms, 60000);
    cfg_free(c);

    c = load_valid("valid/two-node.yaml");
    assert_int_equal(c->fence_nodes[0].delay_ms, 10000);
    assert_int_equal(c->fence_nodes[1].delay_ms, 0);
    cfg_free(c);
}

/* The line on which needle starts in text (1-based). */
static int line_of(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    assert_non_null(at);
    int line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    return line;
}

static void test_fencing_missing_section(void **state)
{
    /* No section: fencing is off, with a warning at the top of the file. */
    struct cfg *c = load_text(HEAD3, 0, 0, W_NOFENCE);
    assert_false(c->fence_enabled);
    assert_false(c->fence_unsafe_recovery);
    assert_int_equal(c->n_fence_devices, 0);
    assert_non_null(c->fence_nodes);
    assert_int_equal(c->fence_nodes[2].n_levels, 0);
    /* It prints as enabled: false, which reloads equal with that setting's own warning. */
    char *text = cfg_print(c);
    assert_non_null(strstr(text, "  tie_breaker: lowest\n"
                                 "  no_quorum: stop\n"
                                 "fencing:\n"
                                 "  enabled: false\n"
                                 "  unsafe_recovery: false\n"
                                 "  action: \"off\"\n"
                                 "  retries: 1\n"
                                 "  startup_wait: 20s\n"
                                 "  devices: []\n"
                                 "  nodes: {}\n"));
    _cleanup_free_ char *want =
        xasprintf("test.yaml:%d:12: warning: fencing is disabled: a failed node's services are not "
                  "recovered until it returns, unless unsafe_recovery is set\n",
                  line_of(text, "  enabled: false"));
    struct cfg *again = load_text(text, 0, 0, want);
    assert_true(cfg_equal(c, again));
    free(text);
    cfg_free(again);
    cfg_free(c);
    /* A file with errors does not get the warning: it is about a cluster that runs. */
    load_text("cluster: {name: f}\nheartbeat: {misses: 1}\n" NET1 NODES3, 0, -EINVAL,
              "test.yaml:2:21: error: heartbeat.misses is 1; it must be from 2 to 60\n");
    /* Without networks or nodes, there is nothing to check fencing against. */
    load_text("cluster: {name: f}\n", 0, -EINVAL,
              "test.yaml:1:1: error: missing required key 'networks' at the top level\n"
              "test.yaml:1:1: error: missing required key 'nodes' at the top level\n");
}

static void test_fencing_disabled(void **state)
{
    /* Off: nodes need no levels, and devices and levels may stay in the file. */
    struct cfg *c = load_text(HEAD3 "fencing:\n  enabled: false\n", 0, 0,
                              "test.yaml:8:12: warning: fencing is disabled: a failed node's "
                              "services are not recovered until it returns, unless "
                              "unsafe_recovery is set\n");
    assert_false(c->fence_enabled);
    cfg_free(c);
    c = load_text(HEAD3 "fencing:\n  enabled: False\n" DEVS3 "  nodes:\n    n1: {levels: [[d1]]}\n"
                        "    n2: {delay: 1s}\n",
                  0, 0,
                  "test.yaml:8:12: warning: fencing is disabled: a failed node's services are "
                  "not recovered until it returns, unless unsafe_recovery is set\n"
                  "test.yaml:11:14: warning: device 'd2' is not used by any node's levels\n"
                  "test.yaml:12:14: warning: device 'd3' is not used by any node's levels\n");
    assert_false(c->fence_enabled);
    assert_int_equal(c->fence_nodes[0].n_levels, 1);
    assert_int_equal(c->fence_nodes[1].delay_ms, 1000);
    char *text = cfg_print(c);
    assert_non_null(strstr(text, "    n2:\n      delay: 1s\n      levels: []\n"));
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *again = NULL;
    assert_int_equal(cfg_load_string(text, strlen(text), "p.yaml", 0, &again, &d), 0);
    assert_true(cfg_equal(c, again));
    cfg_diags_clear(&d);
    cfg_free(again);
    free(text);
    cfg_free(c);
    /* Recovery without fencing: a second warning. */
    c = load_text(HEAD3 "fencing: {enabled: false, unsafe_recovery: true}\n", 0, 0,
                  "test.yaml:7:20: warning: fencing is disabled: a failed node's services are "
                  "not recovered until it returns, unless unsafe_recovery is set\n"
                  "test.yaml:7:44: warning: unsafe_recovery is set: services of a failed node "
                  "may be started elsewhere while it still runs them (data corruption risk)\n");
    assert_true(c->fence_unsafe_recovery);
    cfg_free(c);
    /* unsafe_recovery with fencing on, explicitly or by default, is an error; false is fine. */
    load_text(HEAD3 "fencing:\n  enabled: true\n  unsafe_recovery: true\n" DEVS3 LEVELS3, 0,
              -EINVAL,
              "test.yaml:9:20: error: unsafe_recovery only applies with fencing.enabled: false\n");
    c = load_text(HEAD3 "fencing:\n  enabled: TRUE\n  unsafe_recovery: false\n" DEVS3 LEVELS3, 0, 0,
                  "");
    assert_true(c->fence_enabled);
    cfg_free(c);
    /* Booleans: YAML 1.2 spellings only, with a hint for the others. */
    load_text(HEAD3 "fencing: {enabled: \"false\"}\n", 0, -EINVAL,
              "test.yaml:7:20: error: fencing.enabled must be true or false, not the quoted "
              "string \"false\" (write it without quotes)\n");
    load_text(HEAD3 "fencing: {enabled: off}\n", 0, -EINVAL,
              "test.yaml:7:20: error: fencing.enabled must be true or false, not 'off'; did you "
              "mean 'false'?\n");
    load_text(HEAD3 "fencing: {enabled: 0}\n", 0, -EINVAL,
              "test.yaml:7:20: error: fencing.enabled must be true or false, not '0'\n");
    load_text(HEAD3 "fencing: {enabled: false, unsafe_recovery: []}\n", 0, -EINVAL,
              "test.yaml:7:20: warning: fencing is disabled: a failed node's services are not "
              "recovered until it returns, unless unsafe_recovery is set\n"
              "test.yaml:7:44: error: fencing.unsafe_recovery must be true or false, not a "
              "list\n");
    /* An empty or empty-valued section is on, so every node needs levels. */
    load_text(HEAD3 "fencing: {}\n", 0, -EINVAL,
              "test.yaml:7:1: error: node 'n1' has no fencing levels; every node needs at least "
              "one level, or set fencing.enabled: false\n"
              "test.yaml:7:1: error: node 'n2' has no fencing levels; every node needs at least "
              "one level, or set fencing.enabled: false\n"
              "test.yaml:7:1: error: node 'n3' has no fencing levels; every node needs at least "
              "one level, or set fencing.enabled: false\n");
    load_text(HEAD3 "fencing:\n", 0, -EINVAL,
              "test.yaml:7:1: error: fencing must be a mapping (key: value lines), not an empty "
              "value\n");
}

static void test_fencing_two_node_delay(void **state)
{
    static const char devs[] = "  devices:\n"
                               "    - {name: d1, agent: /bin/true}\n"
                               "    - {name: d2, agent: /bin/true}\n";
    char *text = xasprintf("%sfencing:\n%s  nodes:\n    n1: {levels: [[d1]]}\n"
                           "    n2: {levels: [[d2]]}\n",
                           HEAD2, devs);
    struct cfg *c = load_text(text, 0, 0,
                              "test.yaml:10:3: warning: two-node cluster with no fencing delay: in "
                              "a split both nodes may fence each other at once; give one node a "
                              "delay\n");
    cfg_free(c);
    free(text);
    text = xasprintf("%sfencing:\n%s  nodes:\n    n1: {levels: [[d1]]}\n"
                     "    n2: {levels: [[d2]], delay: 5s}\n",
                     HEAD2, devs);
    c = load_text(text, 0, 0, "");
    assert_int_equal(c->fence_nodes[1].delay_ms, 5000);
    cfg_free(c);
    free(text);
    /* Fencing off: no delay needed. */
    c = load_text(HEAD2 "fencing:\n  enabled: false\n", 0, 0,
                  "test.yaml:7:12: warning: fencing is disabled: a failed node's services are not "
                  "recovered until it returns, unless unsafe_recovery is set\n");
    cfg_free(c);
}

/*
 * One node: no fencing section, or fencing off, is no cause for a warning (no
 * other node could run its groups); a fencing section is not used, and said so.
 */
static void test_fencing_one_node(void **state)
{
#define HEAD1 "cluster: {name: f}\n" NET1 "nodes:\n" NODE1
    struct cfg *c = load_text(HEAD1, 0, 0, "");
    assert_int_equal(c->n_nodes, 1);
    cfg_free(c);
    c = load_text(HEAD1 "fencing:\n  enabled: false\n", 0, 0, "");
    cfg_free(c);
    c = load_text(HEAD1 "fencing:\n  enabled: false\n  unsafe_recovery: true\n", 0, 0,
                  "test.yaml:7:20: warning: unsafe_recovery means nothing in a one-node cluster: "
                  "there is no other node to recover on\n");
    cfg_free(c);
    /* Enabled without levels for its node is no error: the section is not used. */
    c = load_text(HEAD1 "fencing:\n  devices:\n    - {name: d1, agent: /bin/true}\n", 0, 0, "");
    cfg_free(c);
#undef HEAD1
}

static void test_fencing_unused_device(void **state)
{
    struct cfg *c =
        load_text(HEAD3 "fencing:\n" DEVS3 "    - {name: spare, agent: /bin/true}\n" LEVELS3, 0, 0,
                  "test.yaml:12:14: warning: device 'spare' is not used by any node's levels\n");
    cfg_free(c);
    /* Not repeated when a node has no levels at all: that is the problem to fix. */
    load_text(HEAD3 "fencing:\n" DEVS3 "  nodes:\n    n1: {levels: [[d1]]}\n"
                    "    n2: {levels: [[d2]]}\n",
              0, -EINVAL,
              "test.yaml:12:3: error: node 'n3' has no fencing levels; every node needs at least "
              "one level, or set fencing.enabled: false\n");
}

static void test_fencing_edges(void **state)
{
    /* Every limit at its edge. */
    struct cfg *c = load_text(HEAD3 "fencing:\n  retries: 10\n  action: reboot\n"
                                    "  devices:\n"
                                    "    - {name: d1, agent: /bin/true, timeout: 1s}\n"
                                    "    - {name: d2, agent: /bin/true, timeout: 10min}\n"
                                    "    - {name: d3, agent: /bin/true}\n"
                                    "  nodes:\n"
                                    "    n1: {levels: [[d1]], delay: 0s}\n"
                                    "    n2: {levels: [[d2]], delay: 5min}\n"
                                    "    n3: {levels: [[d3], [d1, d2], [d3]]}\n",
                              0, 0, "");
    assert_int_equal(c->fence_retries, 10);
    assert_int_equal(c->fence_devices[0].timeout_ms, 1000);
    assert_int_equal(c->fence_devices[1].timeout_ms, 600000);
    assert_int_equal(c->fence_nodes[1].delay_ms, 300000);
    assert_int_equal(c->fence_nodes[2].n_levels, 3);
    cfg_free(c);
    load_text(HEAD3 "fencing:\n  retries: -1\n" DEVS3 LEVELS3, 0, -EINVAL,
              "test.yaml:8:12: error: fencing.retries must be a whole number from 0 to 10, not "
              "'-1'\n");
    load_text(HEAD3 "fencing:\n  devices:\n    - {name: d1, agent: /bin/true, timeout: 11min}\n"
                    "  nodes: {n1: {levels: [[d1]]}, n2: {levels: [[d1]]}, n3: {levels: [[d1]], "
                    "delay: 1.5s}}\n",
              0, -EINVAL,
              "test.yaml:9:45: error: fencing device 'd1': timeout is 11min; it must be from 1s "
              "to 10min\n"
              "test.yaml:10:83: error: fencing of node 'n3': delay: '1.5s' is not a duration: "
              "fractions are not accepted; write 1500ms\n");
    /* The same device twice in a level is an error only with the same port (or none). */
    c = load_text(HEAD3
                  "fencing:\n  devices: [{name: pdu, agent: /bin/true}]\n  nodes:\n"
                  "    n1: {levels: [[{device: pdu, port: \"1\"}, {device: pdu, port: 2}]]}\n"
                  "    n2: {levels: [[{device: pdu, port: \"3\"}]]}\n"
                  "    n3: {levels: [[{device: pdu, port: \"4\"}, {device: pdu, port: 4}]]}\n",
                  0, -EINVAL,
                  "test.yaml:12:55: error: fencing level 1 of node 'n3' names device 'pdu' with "
                  "port '4' twice (first at line 12)\n");
    /* Unknown devices: without a close name, and with no devices at all. */
    load_text(HEAD3 "fencing:\n" DEVS3 "  nodes:\n    n1: {levels: [[d1], [bmc]]}\n"
                    "    n2: {levels: [[d2]]}\n    n3: {levels: [[d3]]}\n",
              0, -EINVAL,
              "test.yaml:13:26: error: fencing level 2 of node 'n1': unknown fencing device 'bmc' "
              "(the devices are d1, d2 and d3)\n");
    load_text(HEAD3 "fencing:\n  nodes:\n    n1: {levels: [[d1]]}\n", 0, -EINVAL,
              "test.yaml:8:3: error: node 'n2' has no fencing levels; every node needs at least "
              "one level, or set fencing.enabled: false\n"
              "test.yaml:8:3: error: node 'n3' has no fencing levels; every node needs at least "
              "one level, or set fencing.enabled: false\n"
              "test.yaml:9:20: error: fencing level 1 of node 'n1': unknown fencing device 'd1' "
              "(fencing.devices declares none)\n");
    /* A device without a usable name: levels naming it are not called unknown. */
    load_text(HEAD3 "fencing:\n  devices:\n    - {name: -d1, agent: /bin/true}\n" LEVELS3, 0,
              -EINVAL,
              "test.yaml:9:14: error: fencing device #1: name '-d1' is not a valid device name: "
              "use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit\n");
    /* fencing.nodes: duplicates, not a mapping, unknown nodes without a close name. */
    load_text(HEAD3 "fencing:\n" DEVS3 LEVELS3 "    n1: {levels: [[d2]]}\n", 0, -EINVAL,
              "test.yaml:16:5: error: duplicate key 'n1' in fencing.nodes (first at line 13)\n");
    load_text(HEAD3 "fencing:\n" DEVS3 "  nodes: [n1, n2, n3]\n", 0, -EINVAL,
              "test.yaml:12:10: error: fencing.nodes must be a mapping of node name to its "
              "fencing ({n1: {levels: [[ipmi-n1]]}}), not a list\n");
    load_text(HEAD3 "fencing:\n" DEVS3 LEVELS3 "    web7: {levels: [[d1]]}\n", 0, -EINVAL,
              "test.yaml:16:5: error: fencing.nodes: undeclared node 'web7' (the nodes are n1, n2 "
              "and n3)\n");
    load_text(HEAD3 "fencing:\n" DEVS3 "  nodes:\n    n1: [[d1]]\n    n2: {levels: [[d2]]}\n"
                    "    n3: {levels: [[d3]]}\n",
              0, -EINVAL,
              "test.yaml:13:9: error: fencing of node 'n1' must be a mapping with levels and an "
              "optional delay ({levels: [[ipmi-n1]]}), not a list\n");
    /* An empty list of levels is pointed at. */
    load_text(HEAD3 "fencing:\n" DEVS3 "  nodes:\n    n1: {levels: []}\n    n2: {levels: [[d2]]}\n"
                    "    n3: {levels: [[d3]]}\n",
              0, -EINVAL,
              "test.yaml:13:18: error: node 'n1' has no fencing levels; every node needs at least "
              "one level, or set fencing.enabled: false\n");
    /* A level entry that is neither a name nor {device, port}; a bad port. */
    load_text(HEAD3 "fencing:\n" DEVS3 "  nodes:\n    n1: {levels: [[[d1]]]}\n"
                    "    n2: {levels: [[{device: d2, port: \"\"}]]}\n    n3: {levels: [[d3]]}\n",
              0, -EINVAL,
              "test.yaml:13:20: error: device #1 of fencing level 1 of node 'n1' must be a device "
              "name or {device: NAME, port: PORT}, not a list\n"
              "test.yaml:14:39: error: device #1 of fencing level 1 of node 'n2': port '' is not "
              "a valid port: use 1 to 255 characters, without line breaks or control "
              "characters\n");
    /* Too many levels. */
    load_text(HEAD3 "fencing:\n" DEVS3 "  nodes:\n"
                    "    n1: {levels: [[d1], [d1], [d1], [d1], [d1], [d1], [d1], [d1], [d1], [d1], "
                    "[d1]]}\n"
                    "    n2: {levels: [[d2]]}\n    n3: {levels: [[d3]]}\n",
              0, -EINVAL,
              "test.yaml:13:79: error: fencing of node 'n1': too many levels: 11 are given, at "
              "most 10 are supported\n");
    /* Params: names, reserved names, duplicates, values. */
    load_text(HEAD3 "fencing:\n  devices:\n    - name: d1\n      agent: /bin/true\n"
                    "      params:\n        IP: 192.0.2.1\n        action: reboot\n"
                    "        nodename: n1\n        plug: \"1\"\n        ip: 192.0.2.1\n"
                    "        ip: 192.0.2.2\n        login:\n"
                    "  nodes: {n1: {levels: [[d1]]}, n2: {levels: [[d1]]}, n3: {levels: [[d1]]}}\n",
              0, -EINVAL,
              "test.yaml:12:9: error: fencing device 'd1': parameter name 'IP' is not valid: use "
              "1 to 64 lowercase letters, digits or '_'\n"
              "test.yaml:13:9: error: fencing device 'd1': params.action is reserved: vigil "
              "passes action= itself (set fencing.action)\n"
              "test.yaml:14:9: error: fencing device 'd1': params.nodename is reserved: vigil "
              "passes nodename= itself: the name of the node being fenced\n"
              "test.yaml:15:9: error: fencing device 'd1': params.plug is reserved: vigil passes "
              "plug= itself, from the port given in a node's levels ({device: NAME, port: "
              "PORT})\n"
              "test.yaml:17:9: error: duplicate key 'ip' in the params of fencing device 'd1' "
              "(first at line 16)\n"
              "test.yaml:18:9: error: fencing device 'd1': params.login must be text, a number "
              "or true/false, not an empty value\n");
    load_text(HEAD3 "fencing:\n  devices: [{name: d1, agent: /bin/true, params: [ip]}]\n"
                    "  nodes: {n1: {levels: [[d1]]}, n2: {levels: [[d1]]}, n3: {levels: [[d1]]}}\n",
              0, -EINVAL,
              "test.yaml:8:50: error: fencing device 'd1': params must be a mapping of agent "
              "parameters such as {ip: 192.0.2.101, username: admin}, not a list\n");
    /* Paths: relative secrets, a control character, a bare agent name that is not a name. */
    load_text(HEAD3 "fencing:\n  devices:\n"
                    "    - {name: d1, agent: /bin/true, secrets: fence/d1}\n"
                    "    - {name: d2, agent: \"/bin/t\\true\"}\n"
                    "    - {name: d3, agent: ./fence_x}\n" LEVELS3,
              0, -EINVAL,
              "test.yaml:9:45: error: fencing device 'd1': secrets 'fence/d1' must be an "
              "absolute path (starting with /)\n"
              "test.yaml:10:25: error: fencing device 'd2': agent '/bin/t\\x09rue' is not a "
              "usable path: write at most 4096 bytes, without control characters\n"
              "test.yaml:11:25: error: fencing device 'd3': agent './fence_x' must be an "
              "absolute path (starting with /)\n");
    /* Shapes of the section's lists. */
    load_text(HEAD3 "fencing:\n  devices: {name: d1}\n" LEVELS3, 0, -EINVAL,
              "test.yaml:8:12: error: fencing.devices must be a list of fence devices (- name: "
              "NAME, agent: PATH), not a mapping\n");
    load_text(HEAD3 "fencing:\n  devices: [d1]\n" LEVELS3, 0, -EINVAL,
              "test.yaml:8:13: error: fencing device #1 must be a mapping with name, agent and "
              "optional params, secrets and timeout, not 'd1'\n");
    load_text(HEAD3 "fencing:\n  action: [off]\n" DEVS3 LEVELS3, 0, -EINVAL,
              "test.yaml:8:11: error: fencing.action must be off or reboot, not a list\n");
    load_text(HEAD3 "fencing:\n  action: reboto\n" DEVS3 LEVELS3, 0, -EINVAL,
              "test.yaml:8:11: error: fencing.action must be off or reboot, not 'reboto'; did you "
              "mean 'reboot'?\n");
    /* Unknown keys without a close match list the keys. */
    load_text(HEAD3 "fencing:\n" DEVS3 "  nodes:\n    n1: {levels: [[{device: d1, outlet: 3}]]}\n"
                    "    n2: {levels: [[d2]]}\n    n3: {levels: [[d3]]}\n",
              0, -EINVAL,
              "test.yaml:13:33: error: unknown key 'outlet' in device #1 of fencing level 1 of "
              "node 'n1' (the keys here are device and port)\n");
}

/* A configuration for NODE1 with one device using agent and secrets; owned by the caller. */
static char *yaml_with_fence_files(const char *key, const char *agent, const char *secrets)
{
    return xasprintf("cluster:\n  name: k\n  key: %s\n" NET1 "nodes:\n" NODE1
                     "fencing:\n  devices:\n    - name: d1\n      agent: %s\n      secrets: %s\n"
                     "  nodes: {n1: {levels: [[d1]]}}\n",
                     key, agent, secrets);
}

/* Loads with CFG_LOAD_CHECK_FILES and expects want_tmpl ("PATH" replaced by path). */
static void check_fence_file(const char *key, const char *agent, const char *secrets, int want_r,
                             const char *path, const char *want_tmpl)
{
    _cleanup_free_ char *yaml = yaml_with_fence_files(key, agent, secrets);
    char *want = xstrdup("");
    for (const char *p = want_tmpl;;) {
        const char *k = strstr(p, "PATH");
        char *next =
            k ? xasprintf("%s%.*s%s", want, (int)(k - p), p, path) : xasprintf("%s%s", want, p);
        free(want);
        want = next;
        if (!k)
            break;
        p = k + 4;
    }
    cfg_free(load_text(yaml, CFG_LOAD_CHECK_FILES, want_r, want));
    free(want);
    cfg_free(load_text(yaml, 0, 0, "")); /* without the flag the files are not looked at */
}

static void test_fencing_files(void **state)
{
    char dir[] = "/tmp/vigil-fence-XXXXXX";
    assert_non_null(mkdtemp(dir));
    _cleanup_free_ char *key = write_key(dir, "key", 256, 0600);
    _cleanup_free_ char *secrets = write_key(dir, "secrets", 20, 0600);
    _cleanup_free_ char *shared = write_key(dir, "shared", 20, 0640);
    _cleanup_free_ char *agent = write_key(dir, "agent", 20, 0755);
    _cleanup_free_ char *plain = write_key(dir, "plain", 20, 0644);
    _cleanup_free_ char *missing = xasprintf("%s/missing", dir);

    check_fence_file(key, agent, secrets, 0, NULL, "");
    check_fence_file(key, "/bin/true", secrets, 0, NULL, "");
    check_fence_file(key, missing, secrets, -EINVAL, missing,
                     "test.yaml:10:14: error: fence agent PATH: No such file or directory\n");
    check_fence_file(key, dir, secrets, -EINVAL, dir,
                     "test.yaml:10:14: error: fence agent PATH is not a regular file\n");
    check_fence_file(key, plain, secrets, -EINVAL, plain,
                     "test.yaml:10:14: error: fence agent PATH is not executable\n");
    check_fence_file(key, agent, missing, -EINVAL, missing,
                     "test.yaml:11:16: error: fence secrets file PATH cannot be read: No such file "
                     "or directory\n");
    check_fence_file(key, agent, dir, -EINVAL, dir,
                     "test.yaml:11:16: error: fence secrets file PATH is not a regular file\n");
    check_fence_file(key, agent, shared, 0, shared,
                     "test.yaml:11:16: warning: fence secrets file PATH is readable by group or "
                     "others (mode 0640); run chmod 600 PATH\n");
    if (geteuid() != 0) { /* root reads any file */
        _cleanup_free_ char *locked = write_key(dir, "locked", 20, 0000);
        check_fence_file(key, agent, locked, -EINVAL, locked,
                         "test.yaml:11:16: error: fence secrets file PATH cannot be read: "
                         "Permission denied\n");
        unlink(locked);
    }
    const char *const files[] = {key, secrets, shared, agent, plain};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++)
        unlink(files[i]);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fencing_values),   cmocka_unit_test(test_fencing_missing_section),
        cmocka_unit_test(test_fencing_disabled), cmocka_unit_test(test_fencing_two_node_delay),
        cmocka_unit_test(test_fencing_one_node), cmocka_unit_test(test_fencing_unused_device),
        cmocka_unit_test(test_fencing_edges),    cmocka_unit_test(test_fencing_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
