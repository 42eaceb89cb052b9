/*
 * Loading vigil.yaml files (src/config/load.c, load_cluster.c): the values and
 * defaults of the valid files under tests/unit/data/configs/valid and of the
 * examples, and every diagnostic of each file under configs/invalid, byte for
 * byte (each such file has its expected text here).
 */
#include <dirent.h>
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

/* ---- Valid files ---- */

static void test_minimal_defaults(void **state)
{
    struct cfg *c = load_valid("valid/minimal.yaml");
    assert_string_equal(c->cluster_name, "solo");
    assert_string_equal(c->key_path, "/etc/vigil/authkey");
    assert_int_equal(c->engine, CFG_ENGINE_MANAGED);
    assert_int_equal(c->interval_ms, 100);
    assert_int_equal(c->misses, 4);
    assert_int_equal(c->link_mode, CFG_LINK_ACTIVE);
    assert_int_equal(c->tie_breaker, CFG_TIE_LOWEST);
    assert_int_equal(c->n_networks, 1);
    assert_string_equal(c->networks[0].name, "lan");
    assert_int_equal(c->n_nodes, 1);
    assert_string_equal(c->nodes[0].name, "n1");
    assert_int_equal(c->nodes[0].id, 1);
    assert_string_equal(c->nodes[0].addr[0], "192.0.2.1");
    cfg_free(c);
}

static void test_full_values(void **state)
{
    struct cfg *c = load_valid("valid/full.yaml");
    assert_string_equal(c->cluster_name, "prod_db-1");
    assert_string_equal(c->key_path, "/srv/vigil/cluster.key");
    assert_int_equal(c->engine, CFG_ENGINE_EXTERNAL);
    assert_int_equal(c->interval_ms, 250);
    assert_int_equal(c->misses, 6);
    assert_int_equal(c->link_mode, CFG_LINK_PASSIVE);
    assert_int_equal(c->n_networks, 3);
    assert_string_equal(c->networks[0].name, "backbone");
    assert_string_equal(c->networks[1].name, "svc");
    assert_string_equal(c->networks[2].name, "mgmt");
    assert_int_equal(c->n_nodes, 3);
    /* Addresses are stored in network order whatever order the file used. */
    assert_string_equal(c->nodes[0].name, "db1.example.org");
    assert_int_equal(c->nodes[0].id, 10);
    assert_string_equal(c->nodes[0].addr[0], "192.0.2.10");
    assert_string_equal(c->nodes[0].addr[1], "198.51.100.10");
    assert_string_equal(c->nodes[0].addr[2], "203.0.113.10");
    assert_int_equal(c->nodes[2].id, 65535);
    assert_int_equal(c->tie_breaker, CFG_TIE_NODE);
    assert_int_equal(c->tie_breaker_node_id, 20);
    cfg_free(c);
}

static void test_flow_style(void **state)
{
    struct cfg *c = load_valid("valid/flow.yaml");
    assert_string_equal(c->cluster_name, "flowy");
    assert_int_equal(c->interval_ms, 1000);
    assert_int_equal(c->misses, 2);
    assert_int_equal(c->n_nodes, 3);
    assert_string_equal(c->nodes[1].name, "y");
    assert_string_equal(c->nodes[1].addr[0], "192.0.2.6");
    assert_string_equal(c->nodes[1].addr[1], "198.51.100.6");
    assert_int_equal(c->tie_breaker, CFG_TIE_NONE);
    cfg_free(c);
}

static void test_ipv6_and_quoting(void **state)
{
    struct cfg *c = load_valid("valid/ipv6.yaml");
    assert_string_equal(c->nodes[0].addr[0], "2001:db8::1");
    assert_string_equal(c->nodes[1].addr[0], "2001:db8::2");
    assert_string_equal(c->nodes[2].addr[0], "2001:db8:0:0:0:0:0:3");
    assert_string_equal(c->nodes[2].addr[1], "192.0.2.3");
    assert_int_equal(c->interval_ms, 250);
    cfg_free(c);

    c = load_valid("valid/quoting.yaml");
    assert_string_equal(c->cluster_name, "2024");
    assert_string_equal(c->networks[0].name, "true");
    assert_string_equal(c->nodes[0].name, "007");
    assert_int_equal(c->tie_breaker, CFG_TIE_NODE);
    assert_int_equal(c->tie_breaker_node_id, 2);
    cfg_free(c);
}

static void test_lookups(void **state)
{
    struct cfg *c = load_valid("valid/full.yaml");
    assert_ptr_equal(cfg_node_by_id(c, 20), &c->nodes[1]);
    assert_null(cfg_node_by_id(c, 21));
    assert_ptr_equal(cfg_node_by_name(c, "db3.example.org"), &c->nodes[2]);
    assert_null(cfg_node_by_name(c, "db4"));
    assert_int_equal(cfg_network_index(c, "mgmt"), 2);
    assert_int_equal(cfg_network_index(c, "nope"), -1);
    assert_string_equal(cfg_engine_name(CFG_ENGINE_EXTERNAL), "external");
    assert_null(cfg_engine_name(CFG_ENGINE_MAX));
    assert_string_equal(cfg_tie_breaker_name(CFG_TIE_HIGHEST), "highest");
    assert_string_equal(cfg_link_mode_name(CFG_LINK_ACTIVE), "active");
    assert_string_equal(cfg_link_mode_name(CFG_LINK_PASSIVE), "passive");
    assert_null(cfg_link_mode_name(CFG_LINK_MODE_MAX));
    cfg_free(c);
}

static void test_examples_load(void **state)
{
    const char *dir = getenv("VIGIL_TEST_DATA");
    static const char *const ex[] = {"vigil.yaml", "two-node.yaml"};
    for (size_t i = 0; i < ARRAY_SIZE(ex); i++) {
        _cleanup_free_ char *path = xasprintf("%s/../../../examples/%s", dir, ex[i]);
        struct cfg_diags d;
        cfg_diags_init(&d);
        struct cfg *c = NULL;
        assert_int_equal(cfg_load_file(path, 0, &c, &d), 0);
        assert_int_equal(d.n, 0);
        cfg_free(c);
        cfg_diags_clear(&d);
    }
}

/* ---- Invalid files: the exact diagnostics ---- */

static const struct {
    const char *file;
    const char *diags; /* every line, with the directory stripped */
} invalid_cases[] = {
    {"syntax-unclosed-flow.yaml",
     "syntax-unclosed-flow.yaml:4:1: error: wrongly indented flow sequence\n"},
    {"syntax-bad-indent.yaml",
     "syntax-bad-indent.yaml:3:2: error: invalid indentation in mapping\n"},
    {"syntax-tab.yaml",
     "syntax-tab.yaml:2:1: error: tab character may not be used as indentation\n"},
    {"syntax-then-semantic.yaml",
     "syntax-then-semantic.yaml:5:1: error: flow sequence without a closing bracket\n"},
    {"invalid-utf8.yaml",
     "invalid-utf8.yaml:2:10: error: invalid UTF-8 (byte 0xc3); vigil.yaml must be UTF-8 text\n"},
    {"control-char.yaml",
     "control-char.yaml:2:13: error: character U+0001 is not allowed in YAML text\n"},
    {"two-documents.yaml",
     "two-documents.yaml:2:1: error: a second YAML document starts here; vigil.yaml holds "
     "exactly one\n"},
    {"not-a-mapping.yaml",
     "not-a-mapping.yaml:1:1: error: the file must be a mapping with the keys cluster, networks "
     "and nodes, not a list\n"},
    {"scalar-document.yaml",
     "scalar-document.yaml:1:1: error: the file must be a mapping with the keys cluster, "
     "networks and nodes, not 'just some text'\n"},
    {"empty.yaml",
     "empty.yaml: error: the file is empty; it needs at least cluster, networks and nodes\n"},
    {"only-comments.yaml",
     "only-comments.yaml: error: the file is empty; it needs at least cluster, networks and "
     "nodes\n"},
    {"unknown-key-suggest.yaml",
     "unknown-key-suggest.yaml:4:3: error: unknown key 'intervall' in heartbeat; did you mean "
     "'interval'?\n"},
    {"unknown-top-key.yaml",
     "unknown-top-key.yaml:3:1: error: unknown key 'services' at the top level (the keys here are "
     "cluster, engine, fencing, groups, heartbeat, hooks, networks, nodes, quorum and resources)\n"
     "unknown-top-key.yaml:10:5: error: unknown key 'adresses' in node 'n1'; did you mean "
     "'addresses'?\n"},
    {"misses-not-integer.yaml",
     "misses-not-integer.yaml:4:11: error: heartbeat.misses must be a whole number from 2 to 60, "
     "not 'four'\n"},
    {"quoted-integer.yaml",
     "quoted-integer.yaml:4:20: error: node 'n1': id must be a whole number from 1 to "
     "65535, not the quoted string \"1\" (write it without quotes)\n"},
    {"networks-scalar.yaml",
     "networks-scalar.yaml:3:11: error: networks must be a list of networks (- name: NAME), not "
     "'priv'\n"},
    {"cluster-sequence.yaml",
     "cluster-sequence.yaml:2:3: error: cluster must be a mapping (key: value lines), not a "
     "list\n"},
    {"mixed-types.yaml",
     "mixed-types.yaml:1:10: error: cluster must be a mapping (key: value lines), not 'demo'\n"
     "mixed-types.yaml:2:9: error: engine must be managed or external, not a list\n"
     "mixed-types.yaml:3:12: error: heartbeat must be a mapping (key: value lines), not "
     "'100ms'\n"
     "mixed-types.yaml:5:5: error: network #1 must be a mapping such as {name: priv}, not "
     "'priv'\n"
     "mixed-types.yaml:7:5: error: node #1 must be a mapping with name, id and addresses, not "
     "'n1'\n"
     "mixed-types.yaml:9:3: error: quorum must be a mapping (key: value lines), not a list\n"},
    {"durations.yaml",
     "durations.yaml:4:13: error: heartbeat.interval: '100 ms' is not a duration; write a whole "
     "number followed by ms, s, min or h, with no space (e.g. 100ms, 5s, 2min)\n"},
    {"duration-negative.yaml",
     "duration-negative.yaml:2:23: error: heartbeat.interval: '-1s' is not a duration; write a "
     "whole number followed by ms, s, min or h, with no space (e.g. 100ms, 5s, 2min)\n"},
    {"duration-word.yaml",
     "duration-word.yaml:2:23: error: heartbeat.interval: 'abc' is not a duration; write a whole "
     "number followed by ms, s, min or h, with no space (e.g. 100ms, 5s, 2min)\n"},
    {"duration-fraction.yaml",
     "duration-fraction.yaml:2:23: error: heartbeat.interval: '1.5s' is not a duration: "
     "fractions are not accepted; write 1500ms\n"},
    {"duration-bare-number.yaml",
     "duration-bare-number.yaml:2:23: error: heartbeat.interval: '100' is not a duration: it "
     "needs a unit; write 100ms (or s, min, h)\n"},
    {"interval-range.yaml",
     "interval-range.yaml:3:13: error: heartbeat.interval is 5ms; it must be from 10ms to 5s\n"
     "interval-range.yaml:4:11: error: heartbeat.misses is 61; it must be from 2 to 60\n"},
    {"token-range.yaml",
     "token-range.yaml:3:3: error: heartbeat timeout (interval x misses) is 20ms x 4 = 80ms; it "
     "must be from 100ms to 60s\n"},
    {"token-too-long.yaml",
     "token-too-long.yaml:3:3: error: heartbeat timeout (interval x misses) is 5s x 20 = 100s; "
     "it must be from 100ms to 60s\n"},
    {"dup-node-name.yaml",
     "dup-node-name.yaml:7:11: error: duplicate node name 'n1' (first at line 4)\n"},
    {"dup-node-id.yaml",
     "dup-node-id.yaml:8:9: error: node 'n2': id 7 is already used by node 'n1' (line 5)\n"},
    {"dup-address.yaml",
     "dup-address.yaml:12:13: error: node 'n2': address 192.0.2.1 is already used by node 'n1' "
     "on network 'priv' (line 7)\n"},
    {"dup-address-ipv6-spelling.yaml",
     "dup-address-ipv6-spelling.yaml:9:23: error: node 'n2': address 2001:0db8:0::1 is already "
     "used by node 'n1' on network 'priv' (line 6, as 2001:db8::1)\n"},
    {"dup-network.yaml",
     "dup-network.yaml:4:11: error: duplicate network name 'priv' (first at line 3)\n"},
    {"dup-key.yaml",
     "dup-key.yaml:3:3: error: duplicate key 'name' in cluster (first at line 2)\n"},
    {"undeclared-network.yaml",
     "undeclared-network.yaml:7:34: error: node 'n1': address for undeclared network 'pirv'; did "
     "you mean 'priv'?\n"},
    {"missing-address.yaml",
     "missing-address.yaml:12:7: error: node 'n2' has no address on network 'pub'\n"},
    {"bad-ip.yaml",
     "bad-ip.yaml:6:23: error: node 'n1': address '192.0.2.300' on network 'priv' is not a valid "
     "IPv4 or IPv6 address\n"},
    {"family-mismatch.yaml",
     "family-mismatch.yaml:9:23: error: node 'n2': address 2001:db8::2 on network 'priv' is "
     "IPv6, but node 'n1' uses IPv4 there (line 6); all nodes on a network must use the same "
     "address family\n"},
    {"no-nodes.yaml", "no-nodes.yaml:3:8: error: nodes is empty; declare at least one node\n"},
    {"missing-required.yaml",
     "missing-required.yaml:1:1: error: missing required key 'networks' at the top level\n"
     "missing-required.yaml:1:1: error: missing required key 'nodes' at the top level\n"
     "missing-required.yaml:2:3: error: missing required key 'name' in cluster\n"},
    {"link-mode-unknown.yaml",
     "link-mode-unknown.yaml:4:14: error: heartbeat.link_mode must be active or passive, not "
     "'fast'\n"},
    {"tie-breaker-unknown.yaml",
     "tie-breaker-unknown.yaml:8:16: error: quorum.tie_breaker 'n4' is not lowest, highest, none "
     "or the name of a node; did you mean 'n1'?\n"},
    {"bad-names.yaml",
     "bad-names.yaml:1:17: error: cluster.name 'my cluster' is not a valid cluster name: use 1 "
     "to 32 letters, digits, '_' or '-'\n"
     "bad-names.yaml:2:19: error: network #1: name 'a-network-name-too-long' is not a valid "
     "network name: use 1 to 15 letters, digits, '_' or '-'\n"
     "bad-names.yaml:4:12: error: node #1: name '-n1' is not a valid node name: use 1 to 63 "
     "letters, digits, '.', '_' or '-', starting with a letter or digit\n"
     "bad-names.yaml:4:21: error: node #1: id is 0; it must be from 1 to 65535\n"},
    {"engine-typo.yaml",
     "engine-typo.yaml:2:9: error: engine must be managed or external, not 'manged'; did you "
     "mean 'managed'?\n"},
    {"key-relative.yaml",
     "key-relative.yaml:1:28: error: cluster.key 'etc/vigil/authkey' must be an absolute path "
     "(starting with /)\n"},
    {"alias.yaml",
     "alias.yaml:4:13: error: node #1: name must be a node name (1 to 63 letters, digits, '.', "
     "'_' or '-', starting with a letter or digit), not the alias *n (anchors and aliases are "
     "not supported)\n"},
    {"too-many-networks.yaml",
     "too-many-networks.yaml:2:100: error: too many networks: 9 are declared, at most 8 are "
     "supported (knet's link limit)\n"},
    {"node-errors.yaml",
     "node-errors.yaml:6:16: error: node 'n1': addresses must be a mapping of network name to "
     "address ({priv: 192.0.2.1}), not '192.0.2.1'\n"
     "node-errors.yaml:10:13: error: node 'n2': the address on network 'priv' must be an IPv4 or "
     "IPv6 address, not a list\n"
     "node-errors.yaml:12:7: error: duplicate key 'priv' in the addresses of node 'n2' (first at "
     "line 10)\n"
     "node-errors.yaml:13:5: error: missing required key 'name' in node #3\n"
     "node-errors.yaml:16:9: error: node 'n4': id is 99999999999; it must be from 1 to "
     "65535\n"},
    /* fencing: one file per problem. */
    {"fencing-action.yaml",
     "fencing-action.yaml:8:11: error: fencing.action must be off or reboot, not "
     "'poweroff'\n"},
    {"fencing-agent-missing.yaml",
     "fencing-agent-missing.yaml:9:7: error: missing required key 'agent' in fencing device "
     "'pdu1'\n"},
    {"fencing-agent-relative.yaml",
     "fencing-agent-relative.yaml:10:14: error: fencing device 'pdu1': agent "
     "'fence_apc_snmp' must be an absolute path (starting with /), such as "
     "/usr/sbin/fence_apc_snmp\n"},
    {"fencing-delay-range.yaml",
     "fencing-delay-range.yaml:13:56: error: fencing of node 'n1': delay is 6min; it must "
     "be from 0ms to 5min\n"},
    {"fencing-device-unknown-key.yaml",
     "fencing-device-unknown-key.yaml:10:7: error: unknown key 'agnet' in fencing device "
     "'pdu1'; did you mean 'agent'?\n"},
    {"fencing-dup-device.yaml",
     "fencing-dup-device.yaml:12:13: error: duplicate fencing device name 'pdu1' (first at "
     "line 9)\n"},
    {"fencing-empty-level.yaml",
     "fencing-empty-level.yaml:16:11: error: fencing level 2 of node 'n1' is empty; a level "
     "names at least one device\n"},
    {"fencing-enabled-yes.yaml",
     "fencing-enabled-yes.yaml:8:12: error: fencing.enabled must be true or false, not "
     "'yes'; did you mean 'true'?\n"},
    {"fencing-level-dup-device.yaml",
     "fencing-level-dup-device.yaml:15:56: error: fencing level 1 of node 'n1' names device "
     "'ipmi-n1' twice (first at line 15)\n"},
    {"fencing-level-not-list.yaml",
     "fencing-level-not-list.yaml:16:11: error: fencing level 1 of node 'n1' must be a list "
     "of devices, not 'ipmi-n1'; write [ipmi-n1]\n"},
    {"fencing-levels-not-list.yaml",
     "fencing-levels-not-list.yaml:13:18: error: fencing of node 'n1': levels must be a "
     "list of levels, each a list of devices (- [ipmi-n1]), not 'pdu1'\n"},
    {"fencing-no-levels.yaml",
     "fencing-no-levels.yaml:12:3: error: node 'n2' has no fencing levels; every node needs "
     "at least one level, or set fencing.enabled: false\n"
     "fencing-no-levels.yaml:14:5: error: node 'n3' has no fencing levels; every node needs "
     "at least one level, or set fencing.enabled: false\n"},
    {"fencing-no-nodes.yaml",
     "fencing-no-nodes.yaml:7:1: error: node 'n1' has no fencing levels; every node needs "
     "at least one level, or set fencing.enabled: false\n"
     "fencing-no-nodes.yaml:7:1: error: node 'n2' has no fencing levels; every node needs "
     "at least one level, or set fencing.enabled: false\n"
     "fencing-no-nodes.yaml:7:1: error: node 'n3' has no fencing levels; every node needs "
     "at least one level, or set fencing.enabled: false\n"},
    {"fencing-node-unknown-key.yaml",
     "fencing-node-unknown-key.yaml:15:7: error: unknown key 'dealy' in the fencing of node "
     "'n2'; did you mean 'delay'?\n"},
    {"fencing-not-a-mapping.yaml",
     "fencing-not-a-mapping.yaml:7:10: error: fencing must be a mapping (key: value lines), "
     "not 'off'; to turn fencing off, write fencing: {enabled: false}\n"},
    {"fencing-param-newline.yaml",
     "fencing-param-newline.yaml:12:20: error: fencing device 'pdu1': params.community "
     "'private\\x0alogin=root' contains a line break or control character; an agent reads "
     "one key=value per line\n"},
    {"fencing-param-not-scalar.yaml",
     "fencing-param-not-scalar.yaml:12:13: error: fencing device 'pdu1': params.ip must be "
     "text, a number or true/false, not a list\n"},
    {"fencing-ref-unknown-key.yaml",
     "fencing-ref-unknown-key.yaml:13:35: error: unknown key 'prot' in device #1 of fencing "
     "level 1 of node 'n1'; did you mean 'port'?\n"},
    {"fencing-reserved-param.yaml",
     "fencing-reserved-param.yaml:13:9: error: fencing device 'pdu1': params.port is "
     "reserved: vigil passes plug= itself, from the port given in a node's levels ({device: "
     "NAME, port: PORT})\n"},
    {"fencing-retries-range.yaml",
     "fencing-retries-range.yaml:8:12: error: fencing.retries is 11; it must be from 0 to "
     "10\n"},
    {"fencing-timeout-no-unit.yaml",
     "fencing-timeout-no-unit.yaml:11:16: error: fencing device 'pdu1': timeout: '30' is "
     "not a duration: it needs a unit; write 30ms (or s, min, h)\n"},
    {"fencing-timeout-range.yaml",
     "fencing-timeout-range.yaml:11:16: error: fencing device 'pdu1': timeout is 500ms; it "
     "must be from 1s to 10min\n"},
    {"fencing-unknown-device.yaml",
     "fencing-unknown-device.yaml:17:12: error: fencing level 1 of node 'n1': unknown "
     "fencing device 'ipmi-1'; did you mean 'ipmi-n1'?\n"},
    {"fencing-unknown-key.yaml",
     "fencing-unknown-key.yaml:8:3: error: unknown key 'retires' in fencing; did you mean "
     "'retries'?\n"},
    {"fencing-unknown-node.yaml",
     "fencing-unknown-node.yaml:16:5: error: fencing.nodes: undeclared node 'n4'; did you "
     "mean 'n1'?\n"},
    {"fencing-unsafe-enabled.yaml",
     "fencing-unsafe-enabled.yaml:8:20: error: unsafe_recovery only applies with "
     "fencing.enabled: false\n"},
    /* groups: a few related problems per file. */
    {"groups-bad-agent-type.yaml",
     "groups-bad-agent-type.yaml:11:25: error: resource 'a': type 'ocf:heartbeat' is not a "
     "valid OCF type: write ocf:PROVIDER:AGENT, such as ocf:heartbeat:IPaddr2 (each part: 1 to "
     "63 letters, digits, '.', '_' or '-', starting with a letter or digit)\n"
     "groups-bad-agent-type.yaml:12:25: error: resource 'b': type 'ocf::Dummy' is not a valid "
     "OCF type: write ocf:PROVIDER:AGENT, such as ocf:heartbeat:IPaddr2 (each part: 1 to 63 "
     "letters, digits, '.', '_' or '-', starting with a letter or digit)\n"
     "groups-bad-agent-type.yaml:13:25: error: resource 'c': type 'lsb:' is not a valid LSB "
     "type: write lsb:NAME for the init script /etc/init.d/NAME, such as lsb:cron (NAME: 1 to "
     "63 letters, digits, '.', '_' or '-', starting with a letter or digit)\n"
     "groups-bad-agent-type.yaml:14:25: error: resource 'd': type 'lsb:../../bin/sh' is not a "
     "valid LSB type: write lsb:NAME for the init script /etc/init.d/NAME, such as lsb:cron "
     "(NAME: 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit)\n"},
    {"groups-check-errors.yaml",
     "groups-check-errors.yaml:15:48: error: check #1 of resource 'www': port is 0; it must be "
     "from 1 to 65535\n"
     "groups-check-errors.yaml:16:31: error: check #2 of resource 'www': host 'db.example.org' "
     "must be a numeric IPv4 or IPv6 address, or localhost (checks do not look up names)\n"
     "groups-check-errors.yaml:17:13: error: check #3 of resource 'www' (tcp) needs 'host'\n"
     "groups-check-errors.yaml:17:58: error: check #3 of resource 'www': timeout 1s must be "
     "shorter than the interval (1s)\n"
     "groups-check-errors.yaml:18:20: error: check #4 of resource 'www': unknown check type "
     "'htp'; did you mean 'http'?\n"
     "groups-check-errors.yaml:19:36: error: check #5 of resource 'www': the program 'test' "
     "must be an absolute path (starting with /), such as /usr/bin/test\n"
     "groups-check-errors.yaml:19:51: error: check #5 of resource 'www': 'url' is not a key of "
     "an exec check (it is a key of http checks)\n"
     "groups-check-errors.yaml:20:61: error: check #6 of resource 'www': timeout 5s must be "
     "shorter than the interval (5s, the default)\n"
     "groups-check-errors.yaml:21:56: error: check #7 of resource 'www': interval is 50ms; it "
     "must be from 100ms to 1h\n"
     "groups-check-errors.yaml:21:72: error: check #7 of resource 'www': failures is 0; it "
     "must be from 1 to 100\n"},
    {"groups-check-url.yaml",
     "groups-check-url.yaml:15:31: error: check #1 of resource 'www': url "
     "'https://127.0.0.1/': https checks are not supported; use a tcp check or an exec check "
     "with curl\n"
     "groups-check-url.yaml:16:31: error: check #2 of resource 'www': url "
     "'http://www.example.org/' is not usable: the host must be a numeric IPv4 address, an "
     "IPv6 address in brackets or localhost (checks do not look up names)\n"
     "groups-check-url.yaml:17:31: error: check #3 of resource 'www': url "
     "'http://127.0.0.1:0/' is not usable: the port must be a number from 1 to 65535\n"
     "groups-check-url.yaml:18:31: error: check #4 of resource 'www': url 'ftp://127.0.0.1/' "
     "is not usable: it must start with http://\n"
     "groups-check-url.yaml:19:31: error: check #5 of resource 'www': url "
     "'http://[2001:db8::1/' is not usable: the host must be a numeric IPv4 address, an IPv6 "
     "address in brackets or localhost (checks do not look up names)\n"
     "groups-check-url.yaml:20:31: error: check #6 of resource 'www': url 'http://127.0.0.1/a "
     "b' is not usable: the path may contain only printable ASCII characters, without spaces "
     "(percent-encode the others)\n"},
    {"groups-command.yaml",
     "groups-command.yaml:11:43: error: resource 'a': command must be a list of the program "
     "and its arguments, such as [/usr/bin/python3, -m, http.server], not 'python3 -m "
     "http.server'\n"
     "groups-command.yaml:12:44: error: resource 'b': the program 'python3' must be an "
     "absolute path (starting with /), such as /usr/bin/python3\n"
     "groups-command.yaml:13:43: error: resource 'c': command is empty; it needs at least the "
     "program\n"
     "groups-command.yaml:14:52: error: resource 'd': command argument #1 must be text (write "
     "an empty argument as \"\"), not a list\n"
     "groups-command.yaml:14:57: error: resource 'd': command argument #2 must be text (write "
     "an empty argument as \"\"), not an empty value\n"
     "groups-command.yaml:14:67: error: resource 'd': user '-x' is not a valid user name: use "
     "1 to 32 letters, digits, '.', '_' or '-', not starting with '.' or '-'\n"
     "groups-command.yaml:15:67: error: resource 'e': variable name '1X' is not valid: use 1 "
     "to 64 letters, digits or '_', not starting with a digit\n"
     "groups-command.yaml:15:77: error: resource 'e': environment.Y must be text, a number or "
     "true/false, not a list\n"
     "groups-command.yaml:15:82: error: duplicate key 'Y' in the environment of resource 'e' "
     "(first at line 15)\n"},
    {"groups-domain-dup-node.yaml",
     "groups-domain-dup-node.yaml:9:22: error: group 'web': the domain names node 'n1' twice "
     "(first at line 9)\n"},
    {"groups-domain-unknown-node.yaml",
     "groups-domain-unknown-node.yaml:9:18: error: group 'web': undeclared node 'n4' in the "
     "domain; did you mean 'n1'?\n"},
    {"groups-dup-group.yaml",
     "groups-dup-group.yaml:11:11: error: duplicate group name 'web' (first at line 8)\n"},
    {"groups-foreign-key.yaml",
     "groups-foreign-key.yaml:15:9: error: resource 'vip': 'mountpoint' is not a key of an ip "
     "resource (it is a key of fs resources)\n"
     "groups-foreign-key.yaml:19:9: error: resource 'www': 'params' is not a key of a process "
     "resource (it is a key of script and ocf resources)\n"},
    {"groups-fs-dup-mountpoint.yaml",
     "groups-fs-dup-mountpoint.yaml:12:66: error: resource 'data2': mountpoint /srv/data is "
     "already used by resource 'data' (line 11)\n"
     "groups-fs-dup-mountpoint.yaml:13:41: error: resource 'data3': device 'vdb3' must be an "
     "absolute path (such as /dev/vdb1), UUID=... or LABEL=..., on one line\n"
     "groups-fs-dup-mountpoint.yaml:13:59: error: resource 'data3': mountpoint 'srv/data3' "
     "must be an absolute path (starting with /)\n"},
    {"groups-group-keys.yaml",
     "groups-group-keys.yaml:9:13: error: group 'web': domain must be a list of nodes, not "
     "'n1'; write [n1]\n"
     "groups-group-keys.yaml:10:13: error: group 'web': policy must be ordered, round-robin, "
     "balanced or {script: PATH}, not 'ordred'; did you mean 'ordered'?\n"
     "groups-group-keys.yaml:11:15: error: group 'web': failback must be controlled or auto, "
     "not 'automatic'\n"
     "groups-group-keys.yaml:12:21: error: group 'web': restarts.max is 101; it must be from 0 "
     "to 100\n"
     "groups-group-keys.yaml:12:34: error: group 'web': restarts.within is 0s; it must be from "
     "1s to 24h\n"
     "groups-group-keys.yaml:16:13: error: group 'db': policy script needs the script's path: "
     "write policy: {script: PATH}\n"
     "groups-group-keys.yaml:20:22: error: group 'mail': policy.script 'place' must be an "
     "absolute path (starting with /)\n"
     "groups-group-keys.yaml:22:87: error: resource 'mail-vip': monitor is 0s; write off for "
     "no periodic monitor, or a duration from 1s to 1h\n"
     "groups-group-keys.yaml:23:55: error: resource 'm': monitor: off is not supported for ocf "
     "resources; leave monitor out to use the interval the agent advertises\n"
     "groups-group-keys.yaml:23:69: error: resource 'm': on_fail must be ignore, restart, "
     "failover, halt or fence, not 'reboot'\n"
     "groups-group-keys.yaml:23:95: error: resource 'm': timeouts.start is 50ms; it must be "
     "from 100ms to 1h\n"},
    {"groups-ip-address.yaml",
     "groups-ip-address.yaml:11:38: error: resource 'a': address '198.51.100.100' needs a "
     "prefix length, such as 198.51.100.100/24\n"
     "groups-ip-address.yaml:12:38: error: resource 'b': address '198.51.100.101/33': the "
     "prefix length must be a number from 1 to 32 for an IPv4 address\n"
     "groups-ip-address.yaml:13:38: error: resource 'c': address '2001:db8::c/0': the prefix "
     "length must be a number from 1 to 128 for an IPv6 address\n"
     "groups-ip-address.yaml:14:38: error: resource 'd': address '198.51.100.300/24' is not an "
     "IPv4 or IPv6 address with a prefix length (such as 198.51.100.100/24 or "
     "2001:db8::100/64)\n"
     "groups-ip-address.yaml:15:68: error: resource 'e': interface 'eth0:1' is not a valid "
     "interface name: use 1 to 15 characters, without '/', ':', white space or control "
     "characters\n"},
    {"groups-ip-dup-address.yaml",
     "groups-ip-dup-address.yaml:15:43: error: resource 'db-vip': address 2001:0db8:0::10/96 "
     "is already used by resource 'vip' (line 11)\n"
     "groups-ip-dup-address.yaml:16:41: error: resource 'oops': address 198.51.100.2/24 is the "
     "address of node 'n2' on network 'pub' (line 5)\n"},
    {"groups-ip-undeclared-network.yaml",
     "groups-ip-undeclared-network.yaml:10:76: error: resource 'vip': undeclared network "
     "'pbu'; did you mean 'pub'?\n"},
    {"groups-missing-keys.yaml",
     "groups-missing-keys.yaml:8:5: error: missing required key 'domain' in group 'web'\n"
     "groups-missing-keys.yaml:10:9: error: resource 'vip' (ip) needs 'address'\n"
     "groups-missing-keys.yaml:10:9: error: resource 'vip' (ip) needs 'network' or "
     "'interface'\n"
     "groups-missing-keys.yaml:12:9: error: resource 'data' (fs) needs 'mountpoint'\n"
     "groups-missing-keys.yaml:15:9: error: missing required key 'name' in resource #3 of "
     "group 'web'\n"
     "groups-missing-keys.yaml:15:9: error: resource #3 of group 'web' (script) needs 'path'\n"
     "groups-missing-keys.yaml:16:5: error: missing required key 'name' in group #2\n"
     "groups-missing-keys.yaml:16:13: warning: group #2: the domain has only one node, so the "
     "group cannot fail over\n"
     "groups-missing-keys.yaml:17:16: error: group #2: resources is empty; a group holds at "
     "least one resource\n"},
    {"groups-name-clash.yaml",
     "groups-name-clash.yaml:11:16: error: resource 'web' has the name of group 'web' (line "
     "8); groups and resources need different names\n"
     "groups-name-clash.yaml:13:11: error: group 'db' has the name of resource 'db' in group "
     "'web' (line 12); groups and resources need different names\n"},
    {"groups-not-a-list.yaml",
     "groups-not-a-list.yaml:8:3: error: groups must be a list of groups (- name: NAME, "
     "domain: [NODES], resources: [RESOURCES]), not a mapping\n"
     "groups-not-a-list.yaml:10:3: error: resources must be a mapping (key: value lines), not "
     "a list; resources themselves are listed in each group (groups: - name: NAME ... "
     "resources: [...])\n"
     "groups-not-a-list.yaml:11:21: error: quorum.no_quorum must be stop or freeze, not "
     "'fraeze'; did you mean 'freeze'?\n"},
    {"groups-resource-in-two-groups.yaml",
     "groups-resource-in-two-groups.yaml:18:15: error: resource 'vip' is already defined in "
     "group 'web' at line 11\n"},
    {"groups-unknown-key.yaml",
     "groups-unknown-key.yaml:10:5: error: unknown key 'polcy' in group 'web'; did you mean "
     "'policy'?\n"
     "groups-unknown-key.yaml:14:9: error: unknown key 'adress' in resource 'vip'; did you "
     "mean 'address'?\n"
     "groups-unknown-key.yaml:19:9: error: unknown key 'colour' in resource 'www' (the keys "
     "here are name, type, on_fail, timeouts, monitor, healthy, checks, ready_timeout, command, "
     "user, environment, directory and role)\n"},
    {"groups-unknown-type.yaml",
     "groups-unknown-type.yaml:12:15: error: resource 'www': unknown type 'proces'; did you "
     "mean 'process'?\n"
     "groups-unknown-type.yaml:15:15: error: resource 'nfs': unknown type 'nfs'; did you mean "
     "'fs'?\n"},

    /* Several problems in one file: all of them, in the order of the file. */
    {"many-errors.yaml",
     "many-errors.yaml:2:9: error: cluster.name 'demo!' is not a valid cluster name: use 1 to 32 "
     "letters, digits, '_' or '-'\n"
     "many-errors.yaml:3:3: error: unknown key 'colour' in cluster (the keys here are name and "
     "key)\n"
     "many-errors.yaml:5:13: error: heartbeat.interval: '1.5s' is not a duration: fractions are "
     "not accepted; write 1500ms\n"
     "many-errors.yaml:6:11: error: heartbeat.misses is 1; it must be from 2 to 60\n"
     "many-errors.yaml:9:11: error: duplicate network name 'priv' (first at line 8)\n"
     "many-errors.yaml:15:9: error: node 'n2': id 1 is already used by node 'n1' (line 12)\n"
     "many-errors.yaml:19:23: error: node 'n3': address '192.0.2.256' on network 'priv' is not a "
     "valid IPv4 or IPv6 address\n"
     "many-errors.yaml:21:16: error: quorum.tie_breaker 'n9' is not lowest, highest, none or the "
     "name of a node; did you mean 'n1'?\n"},
};

static void test_invalid_files(void **state)
{
    _cleanup_free_ char *dir = config_path("invalid/");
    for (size_t i = 0; i < ARRAY_SIZE(invalid_cases); i++) {
        _cleanup_free_ char *path = xasprintf("%s%s", dir, invalid_cases[i].file);
        struct cfg_diags d;
        cfg_diags_init(&d);
        struct cfg *c = (struct cfg *)&d; /* must stay untouched */
        int r = cfg_load_file(path, 0, &c, &d);
        _cleanup_free_ char *got = diags_text(&d, dir);
        if (strcmp(got, invalid_cases[i].diags) != 0)
            fail_msg("%s: diagnostics differ:\n--- want\n%s--- got\n%s", invalid_cases[i].file,
                     invalid_cases[i].diags, got);
        assert_int_equal(r, -EINVAL);
        assert_ptr_equal(c, (struct cfg *)&d);
        assert_true(d.n_errors > 0);
        cfg_diags_clear(&d);
    }
}

/* Every file in the invalid directory has a case in the table above. */
static void test_invalid_files_all_covered(void **state)
{
    _cleanup_free_ char *dir = config_path("invalid");
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        bool found = false;
        for (size_t i = 0; i < ARRAY_SIZE(invalid_cases) && !found; i++)
            found = strcmp(invalid_cases[i].file, de->d_name) == 0;
        if (!found)
            fail_msg("invalid/%s has no expected diagnostics", de->d_name);
        n++;
    }
    closedir(dh);
    assert_int_equal(n, ARRAY_SIZE(invalid_cases));
    assert_true(n >= 25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_defaults), cmocka_unit_test(test_full_values),
        cmocka_unit_test(test_flow_style),       cmocka_unit_test(test_ipv6_and_quoting),
        cmocka_unit_test(test_lookups),          cmocka_unit_test(test_examples_load),
        cmocka_unit_test(test_invalid_files),    cmocka_unit_test(test_invalid_files_all_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
