/*
 * Unit tests for src/config: loading vigil.yaml (values, defaults, every
 * diagnostic an operator can see, byte for byte), key file checks, and the
 * normalised print (load -> print -> load is equal; print is a fixed point).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* ---- Helpers ---- */

static char *data_path(const char *rel)
{
    const char *dir = getenv("VIGIL_TEST_DATA");
    assert_non_null(dir);
    return xasprintf("%s/configs/%s", dir, rel);
}

/* The diagnostics as cfg_diags_print writes them, with strip removed from each line start. */
static char *diags_text(const struct cfg_diags *d, const char *strip)
{
    char *raw = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&raw, &len);
    assert_non_null(f);
    cfg_diags_print(d, f);
    fclose(f);
    if (!strip || !*strip)
        return raw;
    size_t sl = strlen(strip);
    char *out = xmalloc(len + 1), *o = out;
    for (const char *line = raw; *line;) {
        const char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (ll >= sl && memcmp(line, strip, sl) == 0) {
            memcpy(o, line + sl, ll - sl);
            o += ll - sl;
        } else {
            memcpy(o, line, ll);
            o += ll;
        }
        line += ll;
    }
    *o = '\0';
    free(raw);
    return out;
}

/* Loads tests/unit/data/configs/<rel>; asserts the load result. */
static struct cfg *load_valid(const char *rel)
{
    _cleanup_free_ char *path = data_path(rel);
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    int r = cfg_load_file(path, 0, &c, &d);
    if (r != 0 || d.n != 0) {
        cfg_diags_print(&d, stderr);
        fail_msg("%s: expected a clean load, got %d", rel, r);
    }
    assert_non_null(c);
    assert_string_equal(c->file, path);
    cfg_diags_clear(&d);
    return c;
}

static struct cfg *load_text(const char *text, unsigned flags, int want_r, const char *want_diags)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    int r = cfg_load_string(text, strlen(text), "test.yaml", flags, &c, &d);
    _cleanup_free_ char *got = diags_text(&d, NULL);
    if (strcmp(got, want_diags) != 0) {
        /* cmocka cuts long messages short: the whole text goes to stderr first. */
        fprintf(stderr, "diagnostics differ:\n--- want\n%s--- got\n%s", want_diags, got);
        fail_msg("diagnostics differ");
    }
    assert_int_equal(r, want_r);
    if (want_r == 0)
        assert_non_null(c);
    else
        assert_null(c);
    cfg_diags_clear(&d);
    return c;
}

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
     "user, environment and directory)\n"},
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
    _cleanup_free_ char *dir = data_path("invalid/");
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
    _cleanup_free_ char *dir = data_path("invalid");
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

/* ---- Loading from memory: limits, warnings, edge cases ---- */

#define NET1  "networks: [{name: priv}]\n"
#define NODE1 "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
#define NODE2 "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
#define NODE3 "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"
#define NODE4 "  - {name: n4, id: 4, addresses: {priv: 192.0.2.4}}\n"
/* Fencing for NODE1 alone, with an agent that exists for CFG_LOAD_CHECK_FILES. */
#define FENCE1                                                                                     \
    "fencing:\n  devices: [{name: d1, agent: /bin/true}]\n  nodes: {n1: {levels: [[d1]]}}\n"
/* What a file without a fencing section gets, when it has no errors. */
#define W_NOFENCE                                                                                  \
    "test.yaml:1:1: warning: no fencing section: fencing is disabled, so the services of a "       \
    "failed node are not recovered until it comes back (add fencing:, see vigil.yaml(5))\n"

static void test_missing_file(void **state)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    assert_int_equal(cfg_load_file("/nonexistent/vigil.yaml", 0, &c, &d), -ENOENT);
    _cleanup_free_ char *got = diags_text(&d, NULL);
    assert_string_equal(got,
                        "/nonexistent/vigil.yaml: error: cannot read: No such file or directory\n");
    assert_null(c);
    cfg_diags_clear(&d);
}

static void test_too_large(void **state)
{
    size_t len = CFG_MAX_FILE_SIZE + 1;
    char *big = xmalloc(len + 1);
    memset(big, '#', len);
    big[len] = '\0';
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    assert_int_equal(cfg_load_string(big, len, "big.yaml", 0, &c, &d), -EFBIG);
    _cleanup_free_ char *got = diags_text(&d, NULL);
    assert_string_equal(got, "big.yaml: error: the file is too large (4194305 bytes; the limit is "
                             "4194304)\n");
    cfg_diags_clear(&d);

    char tmpl[] = "/tmp/vigil-test-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, big, len), (ssize_t)len);
    close(fd);
    assert_int_equal(cfg_load_file(tmpl, 0, &c, &d), -EFBIG);
    _cleanup_free_ char *want =
        xasprintf("%s: error: the file is too large (more than 4194304 bytes)\n", tmpl);
    _cleanup_free_ char *got2 = diags_text(&d, NULL);
    assert_string_equal(got2, want);
    assert_null(c);
    unlink(tmpl);
    cfg_diags_clear(&d);
    free(big);
}

static void test_directory_as_file(void **state)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    assert_int_equal(cfg_load_file("/", 0, &c, &d), -EISDIR);
    _cleanup_free_ char *got = diags_text(&d, NULL);
    assert_string_equal(got, "/: error: cannot read: Is a directory\n");
    cfg_diags_clear(&d);
}

static void test_two_node_tie_breaker_warning(void **state)
{
    struct cfg *c = load_text(
        "cluster: {name: p}\n" NET1 "nodes:\n" NODE1 NODE2 "quorum: {tie_breaker: highest}\n", 0, 0,
        W_NOFENCE "test.yaml:6:23: warning: quorum.tie_breaker is ignored in a "
                  "two-node cluster: two-node mode decides instead (see "
                  "vigil.yaml(5))\n");
    assert_int_equal(c->tie_breaker, CFG_TIE_HIGHEST);
    cfg_free(c);
    /* The default says nothing. */
    c = load_text("cluster: {name: p}\n" NET1 "nodes:\n" NODE1 NODE2
                  "quorum: {tie_breaker: lowest}\n",
                  0, 0, W_NOFENCE);
    cfg_free(c);
}

static void test_even_none_warning(void **state)
{
    struct cfg *c =
        load_text("cluster: {name: p}\n" NET1 "nodes:\n" NODE1 NODE2 NODE3 NODE4
                  "quorum:\n  tie_breaker: none\n",
                  0, 0,
                  W_NOFENCE "test.yaml:9:16: warning: quorum.tie_breaker is none with an even "
                            "number of nodes (4): after an exact half split no partition has "
                            "quorum and every group stops\n");
    assert_int_equal(c->tie_breaker, CFG_TIE_NONE);
    cfg_free(c);
    /* Three nodes cannot split in half. */
    c = load_text("cluster: {name: p}\n" NET1 "nodes:\n" NODE1 NODE2 NODE3
                  "quorum:\n  tie_breaker: none\n",
                  0, 0, W_NOFENCE);
    cfg_free(c);
}

static void test_link_mode_values(void **state)
{
    /* Written out as active. */
    struct cfg *c = load_valid("valid/three-node.yaml");
    assert_int_equal(c->link_mode, CFG_LINK_ACTIVE);
    cfg_free(c);
    /* Passive, with a heartbeat timeout long enough to need no warning. */
    c = load_text(
        "cluster: {name: p}\nheartbeat: {interval: 500ms, misses: 6, link_mode: passive}\n" NET1
        "nodes:\n" NODE1,
        0, 0, "");
    assert_int_equal(c->link_mode, CFG_LINK_PASSIVE);
    cfg_free(c);
    /* The default, also when heartbeat is given without it. */
    c = load_text("cluster: {name: p}\nheartbeat: {misses: 5}\n" NET1 "nodes:\n" NODE1, 0, 0, "");
    assert_int_equal(c->link_mode, CFG_LINK_ACTIVE);
    cfg_free(c);
    /* Not a keyword, and not text at all. */
    load_text("cluster: {name: p}\nheartbeat: {link_mode: Active}\n" NET1 "nodes:\n" NODE1, 0,
              -EINVAL,
              "test.yaml:2:24: error: heartbeat.link_mode must be active or passive, not 'Active'; "
              "did you mean 'active'?\n");
    load_text("cluster: {name: p}\nheartbeat: {link_mode: [active]}\n" NET1 "nodes:\n" NODE1, 0,
              -EINVAL,
              "test.yaml:2:24: error: heartbeat.link_mode must be active or passive, not a "
              "list\n");
}

static void test_passive_warning(void **state)
{
    /* The default heartbeat (400ms) is far too short for passive failover. */
    struct cfg *c = load_text(
        "cluster: {name: p}\nheartbeat:\n  link_mode: passive\n" NET1 "nodes:\n" NODE1, 0, 0,
        "test.yaml:3:14: warning: heartbeat.link_mode is passive with a "
        "heartbeat timeout of 400ms: on a busy or virtualised machine knet "
        "links then flap, and losing the best network can be mistaken for a "
        "node failure; use link_mode: active, or a heartbeat timeout "
        "(interval x misses) of at least 1500ms\n");
    assert_int_equal(c->link_mode, CFG_LINK_PASSIVE);
    cfg_free(c);
    /* Just below the limit, and at it. */
    c = load_text(
        "cluster: {name: p}\nheartbeat: {interval: 214ms, misses: 7, link_mode: passive}\n" NET1
        "nodes:\n" NODE1,
        0, 0,
        "test.yaml:2:52: warning: heartbeat.link_mode is passive with a heartbeat "
        "timeout of 1498ms: on a busy or virtualised machine knet links then flap, and "
        "losing the best network can be mistaken for a node failure; use link_mode: "
        "active, or a heartbeat timeout (interval x misses) of at least 1500ms\n");
    cfg_free(c);
    c = load_text(
        "cluster: {name: p}\nheartbeat: {interval: 500ms, misses: 3, link_mode: passive}\n" NET1
        "nodes:\n" NODE1,
        0, 0, "");
    cfg_free(c);
    /* Active mode with the same short heartbeat says nothing. */
    c = load_text("cluster: {name: p}\nheartbeat: {link_mode: active}\n" NET1 "nodes:\n" NODE1, 0,
                  0, "");
    cfg_free(c);
    /* A heartbeat timeout out of range is reported as such, without the warning. */
    load_text(
        "cluster: {name: p}\nheartbeat: {interval: 20ms, misses: 4, link_mode: passive}\n" NET1
        "nodes:\n" NODE1,
        0, -EINVAL,
        "test.yaml:2:12: error: heartbeat timeout (interval x misses) is 20ms x 4 = 80ms; it "
        "must be from 100ms to 60s\n");
}

static void test_limits_and_edges(void **state)
{
    /* 32 nodes load; 33 do not. */
    char *text = xstrdup("cluster: {name: big}\n" NET1 "nodes:\n");
    for (int i = 1; i <= 33; i++) {
        char *t =
            xasprintf("%s  - {name: n%d, id: %d, addresses: {priv: 192.0.2.%d}}\n", text, i, i, i);
        free(text);
        text = t;
        if (i == 32) {
            struct cfg *c = load_text(text, 0, 0, W_NOFENCE);
            assert_int_equal(c->n_nodes, 32);
            cfg_free(c);
        }
    }
    load_text(text, 0, -EINVAL,
              "test.yaml:36:5: error: too many nodes: 33 are declared, at most 32 are "
              "supported\n");
    free(text);

    /* Boundaries of the heartbeat settings. */
    struct cfg *c = load_text("cluster: {name: b}\nheartbeat: {interval: 10ms, misses: 10}\n" NET1
                              "nodes:\n" NODE1,
                              0, 0, "");
    assert_int_equal(c->interval_ms, 10);
    cfg_free(c);
    c = load_text("cluster: {name: b}\nheartbeat: {interval: 5s, misses: 12}\n" NET1
                  "nodes:\n" NODE1,
                  0, 0, "");
    assert_int_equal(c->interval_ms * c->misses, 60000);
    cfg_free(c);
    load_text("cluster: {name: b}\nheartbeat: {interval: 1min}\n" NET1 "nodes:\n" NODE1, 0, -EINVAL,
              "test.yaml:2:23: error: heartbeat.interval is 1min; it must be from 10ms to 5s\n");
    load_text("cluster: {name: b}\nheartbeat: {interval: 99999999999999999999h}\n" NET1
              "nodes:\n" NODE1,
              0, -EINVAL,
              "test.yaml:2:23: error: heartbeat.interval is 99999999999999999999h; it must be "
              "from 10ms to 5s\n");
    /* A name of exactly the maximum length, and one longer. */
    c = load_text("cluster: {name: abcdefghijklmnopqrstuvwxyz012345}\n" NET1 "nodes:\n" NODE1, 0, 0,
                  "");
    cfg_free(c);
    load_text("cluster: {name: abcdefghijklmnopqrstuvwxyz0123456}\n" NET1 "nodes:\n" NODE1, 0,
              -EINVAL,
              "test.yaml:1:17: error: cluster.name 'abcdefghijklmnopqrstuvwxyz0123456' is not a "
              "valid cluster name: use 1 to 32 letters, digits, '_' or '-'\n");
    /* An empty value, a null key path, a non-text key. */
    load_text("cluster: {name: }\n" NET1 "nodes:\n" NODE1, 0, -EINVAL,
              "test.yaml:1:11: error: cluster.name must be a cluster name (1 to 32 letters, "
              "digits, '_' or '-'), not an empty value\n");
    load_text("cluster: {name: a, key: ~}\n" NET1 "nodes:\n" NODE1 "[x]: 1\n", 0, -EINVAL,
              "test.yaml:1:25: error: cluster.key must be the absolute path of the key file, not "
              "an empty value\n"
              "test.yaml:5:1: error: keys must be plain text, not a list\n");
    /* Escapes in a message stay on one line; long values are cut. */
    load_text("cluster: {name: \"a\\nb\"}\n" NET1 "nodes:\n" NODE1, 0, -EINVAL,
              "test.yaml:1:17: error: cluster.name 'a\\x0ab' is not a valid cluster name: use 1 "
              "to 32 letters, digits, '_' or '-'\n");
    load_text(
        "cluster: {name: a}\n" NET1 "nodes:\n" NODE1
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq: 1\n",
        0, -EINVAL,
        "test.yaml:5:1: error: unknown key 'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq...' "
        "at the top level (the keys here are cluster, engine, fencing, groups, heartbeat, "
        "hooks, networks, nodes, quorum and resources)\n");
    /* A single-quoted scalar with '' escapes (libfyaml 0.7.12 leaks those: see ytree.c). */
    load_text("cluster: {name: 'a''''''''''''b'}\n" NET1 "nodes:\n" NODE1, 0, -EINVAL,
              "test.yaml:1:17: error: cluster.name 'a''''''b' is not a valid cluster name: use 1 "
              "to 32 letters, digits, '_' or '-'\n");
    /* Two addresses of one node may not be the same either. */
    load_text("cluster: {name: a}\nnetworks: [{name: x}, {name: y}]\nnodes:\n"
              "  - {name: n1, id: 1, addresses: {x: 192.0.2.1, y: 192.0.2.1}}\n",
              0, -EINVAL,
              "test.yaml:4:52: error: node 'n1': address 192.0.2.1 is already used by node 'n1' "
              "on network 'x' (line 4)\n");
    /* Network names keep their meaning even without networks: only the address is checked. */
    load_text("cluster: {name: a}\nnodes:\n  - {name: n1, id: 1, addresses: {x: 300.1.1.1}}\n", 0,
              -EINVAL,
              "test.yaml:1:1: error: missing required key 'networks' at the top level\n"
              "test.yaml:3:38: error: node 'n1': address '300.1.1.1' on network 'x' is not a "
              "valid IPv4 or IPv6 address\n");
    /* A tie_breaker naming a node selects that node's id. */
    c = load_text("cluster: {name: a}\n" NET1 "nodes:\n" NODE1 NODE2 NODE3
                  "quorum: {tie_breaker: n3}\n",
                  0, 0, W_NOFENCE);
    assert_int_equal(c->tie_breaker, CFG_TIE_NODE);
    assert_int_equal(c->tie_breaker_node_id, 3);
    cfg_free(c);
}

static void test_null_name_and_string_load(void **state)
{
    /* No name: diagnostics carry no file; the loaded file name is empty. */
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    static const char bad[] = "cluster: {name: a}\n";
    assert_int_equal(cfg_load_string(bad, sizeof(bad) - 1, NULL, 0, &c, &d), -EINVAL);
    _cleanup_free_ char *got = diags_text(&d, NULL);
    assert_string_equal(got, "1:1: error: missing required key 'networks' at the top level\n"
                             "1:1: error: missing required key 'nodes' at the top level\n");
    cfg_diags_clear(&d);
    /* Not NUL-terminated: only len bytes are read. */
    static const char good[] = "cluster: {name: a}\n" NET1 "nodes:\n" NODE1 "garbage: [";
    size_t len = strlen(good) - strlen("garbage: [");
    assert_int_equal(cfg_load_string(good, len, "mem", 0, &c, &d), 0);
    assert_string_equal(c->file, "mem");
    cfg_free(c);
    cfg_diags_clear(&d);
}

/* libfyaml's own messages are collected into diagnostics, never printed. */
static void test_syntax_error_is_silent(void **state)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    static const char *const bad[] = {"a: [1, 2\n", "a: 1\n  b: 2\n",  "%TAG !x\n---\n",
                                      "a: *nope\n", "'unterminated\n", "? - x\n: y\n"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct cfg_diags d;
        cfg_diags_init(&d);
        struct cfg *c = NULL;
        assert_int_equal(cfg_load_string(bad[i], strlen(bad[i]), "s.yaml", 0, &c, &d), -EINVAL);
        assert_true(d.n_errors > 0);
        cfg_diags_clear(&d);
    }
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    assert_int_equal(ftell(tmp), 0);
    fclose(tmp);
}

static void test_deep_nesting(void **state)
{
    char *text = xstrdup("a: ");
    for (int i = 0; i < 70; i++) {
        char *t = xasprintf("%s[", text);
        free(text);
        text = t;
    }
    load_text(text, 0, -EINVAL, "test.yaml:1:67: error: nesting deeper than 64 levels\n");
    free(text);
}

/* ---- Diagnostics ---- */

static void test_diags_print_format(void **state)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    cfg_diags_add(&d, CFG_SEV_ERROR, "f.yaml", 3, 7, "bad %s", "thing");
    cfg_diags_add(&d, CFG_SEV_WARNING, "f.yaml", 4, 0, "line only");
    cfg_diags_add(&d, CFG_SEV_ERROR, "f.yaml", 0, 9, "no position");
    cfg_diags_add(&d, CFG_SEV_WARNING, NULL, 0, 0, "nothing at all");
    assert_int_equal(d.n, 4);
    assert_int_equal(d.n_errors, 2);
    _cleanup_free_ char *got = diags_text(&d, NULL);
    assert_string_equal(got, "f.yaml:3:7: error: bad thing\n"
                             "f.yaml:4: warning: line only\n"
                             "f.yaml: error: no position\n"
                             "warning: nothing at all\n");
    cfg_diags_clear(&d);
    assert_int_equal(d.n, 0);
    cfg_diags_clear(&d); /* twice is fine */
    cfg_diags_clear(NULL);
}

/* ---- Key file checks (CFG_LOAD_CHECK_FILES) ---- */

static char *write_key(const char *dir, const char *name, size_t size, mode_t mode)
{
    char *path = xasprintf("%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char *buf = xcalloc(1, size + 1);
    memset(buf, 'k', size);
    assert_int_equal(write(fd, buf, size), (ssize_t)size);
    free(buf);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

static char *yaml_with_key(const char *key)
{
    return xasprintf("cluster:\n  name: k\n  key: %s\n" NET1 "nodes:\n" NODE1 FENCE1, key);
}

/* tmpl with every "KEY" replaced by key; owned by the caller. */
static char *subst_key(const char *tmpl, const char *key)
{
    char *out = xstrdup("");
    for (const char *p = tmpl;;) {
        const char *k = strstr(p, "KEY");
        char *next =
            k ? xasprintf("%s%.*s%s", out, (int)(k - p), p, key) : xasprintf("%s%s", out, p);
        free(out);
        out = next;
        if (!k)
            return out;
        p = k + 3;
    }
}

static void check_key(const char *key, int want_r, const char *want_tmpl)
{
    _cleanup_free_ char *yaml = yaml_with_key(key);
    _cleanup_free_ char *want = subst_key(want_tmpl ? want_tmpl : "", key);
    struct cfg *c = load_text(yaml, CFG_LOAD_CHECK_FILES, want_r, want);
    cfg_free(c);
    /* Without the flag, the key file is not looked at. */
    c = load_text(yaml, 0, 0, "");
    cfg_free(c);
}

static void test_key_file(void **state)
{
    char tmpl[] = "/tmp/vigil-key-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    _cleanup_free_ char *good = write_key(tmpl, "good", 256, 0600);
    _cleanup_free_ char *min = write_key(tmpl, "min", 128, 0400);
    _cleanup_free_ char *max = write_key(tmpl, "max", 4096, 0600);
    _cleanup_free_ char *small = write_key(tmpl, "small", 127, 0600);
    _cleanup_free_ char *large = write_key(tmpl, "large", 4097, 0600);
    _cleanup_free_ char *empty = write_key(tmpl, "empty", 0, 0600);
    _cleanup_free_ char *group = write_key(tmpl, "group", 256, 0640);
    _cleanup_free_ char *world = write_key(tmpl, "world", 256, 0644);
    _cleanup_free_ char *missing = xasprintf("%s/missing", tmpl);

    check_key(good, 0, NULL);
    check_key(min, 0, NULL);
    check_key(max, 0, NULL);
    check_key(small, -EINVAL,
              "test.yaml:3:8: error: key file KEY has 127 bytes; a key has 128 to 4096 bytes "
              "(create one with corosync-keygen -k KEY)\n");
    check_key(large, -EINVAL,
              "test.yaml:3:8: error: key file KEY has 4097 bytes; a key has 128 to 4096 bytes "
              "(create one with corosync-keygen -k KEY)\n");
    check_key(empty, -EINVAL,
              "test.yaml:3:8: error: key file KEY has 0 bytes; a key has 128 to 4096 bytes "
              "(create one with corosync-keygen -k KEY)\n");
    check_key(group, 0,
              "test.yaml:3:8: warning: key file KEY is readable by group or others (mode 0640); "
              "run chmod 600 KEY\n");
    check_key(world, 0,
              "test.yaml:3:8: warning: key file KEY is readable by group or others (mode 0644); "
              "run chmod 600 KEY\n");
    check_key(missing, -EINVAL,
              "test.yaml:3:8: error: key file KEY cannot be read: No such file or directory\n");
    check_key(tmpl, -EINVAL, "test.yaml:3:8: error: key file KEY is not a regular file\n");

    if (geteuid() != 0) { /* root reads any file */
        _cleanup_free_ char *locked = write_key(tmpl, "locked", 256, 0000);
        check_key(locked, -EINVAL,
                  "test.yaml:3:8: error: key file KEY cannot be read: Permission denied\n");
        unlink(locked);
    }

    /* The default path is named as such, at the cluster mapping. */
    if (access(CFG_DEFAULT_KEY_PATH, F_OK) != 0) {
        load_text("cluster:\n  name: k\n" NET1 "nodes:\n" NODE1, CFG_LOAD_CHECK_FILES, -EINVAL,
                  "test.yaml:2:3: error: key file /etc/vigil/authkey (the default) cannot be "
                  "read: No such file or directory\n");
    }

    const char *const files[] = {good, min, max, small, large, empty, group, world};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++)
        unlink(files[i]);
    assert_int_equal(rmdir(tmpl), 0);
}

/* ---- Fencing ---- */

#define NODES3 "nodes:\n" NODE1 NODE2 NODE3
#define HEAD3  "cluster: {name: f}\n" NET1 NODES3 /* fencing starts on line 7 */
#define HEAD2  "cluster: {name: f}\n" NET1 "nodes:\n" NODE1 NODE2
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

/* Three nodes on one network (priv), no fencing section; groups start on line 8. */
#define GHEAD       "cluster: {name: g}\n" NET1 NODES3 "groups:\n"
#define GHEAD_EMPTY "cluster: {name: g}\n" NET1 NODES3 "groups: []\n"
/* A one-resource group "web" on n1 and n2 (line 8), its resource "vip" on line 9. */
#define GWEB                                                                                       \
    "  - name: web\n    domain: [n1, n2]\n    resources:\n"                                        \
    "      - {name: vip, type: ip, address: 192.0.2.100/24, network: priv}\n"

/* hooks: lines 6 on, after a one-node head with fencing. */
#define HHEAD "cluster: {name: h}\n" NET1 "nodes:\n" NODE1 FENCE1 "hooks:\n"

static void test_hooks(void **state)
{
    struct cfg *c = load_text(HHEAD "  - name: mail\n"
                                    "    command: [/bin/true, root@example.org]\n"
                                    "  - name: log\n"
                                    "    command: [/bin/echo]\n"
                                    "    events: [node_lost, group_moved, config_changed]\n"
                                    "    timeout: 2s\n"
                                    "    every_node: true\n"
                                    "    environment: {LOG_FILE: /var/log/vigil-events.log}\n",
                              0, 0, "");
    assert_int_equal(c->n_hooks, 2);
    const struct cfg_hook *h = &c->hooks[0];
    assert_string_equal(h->name, "mail");
    assert_int_equal(h->argc, 2);
    assert_string_equal(h->argv[1], "root@example.org");
    assert_int_equal(h->events, CFG_HOOK_DEFAULT_EVENTS);
    assert_int_equal(h->timeout_ms, CFG_DEFAULT_HOOK_TIMEOUT_MS);
    assert_false(h->every_node);
    h = &c->hooks[1];
    assert_int_equal(h->events, (1u << CFG_HOOK_NODE_LOST) | (1u << CFG_HOOK_GROUP_MOVED) |
                                    (1u << CFG_HOOK_CONFIG_CHANGED));
    assert_int_equal(h->timeout_ms, 2000);
    assert_true(h->every_node);
    assert_int_equal(h->n_env, 1);
    assert_string_equal(h->env[0].key, "LOG_FILE");
    /* The printed form loads back equal; a change to one hook is seen. */
    _cleanup_free_ char *text = cfg_print(c);
    assert_non_null(strstr(text, "hooks:\n  - name: mail\n    command: [/bin/true, "
                                 "\"root@example.org\"]\n    events: [node_lost, node_fenced,"));
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *again = NULL;
    assert_int_equal(cfg_load_string(text, strlen(text), "p.yaml", 0, &again, &d), 0);
    assert_true(cfg_equal(c, again));
    assert_true(cfg_hooks_equal(c, again));
    again->hooks[1].every_node = false;
    assert_false(cfg_hooks_equal(c, again));
    assert_false(cfg_equal(c, again));
    cfg_free(again);
    cfg_diags_clear(&d);
    cfg_free(c);
    /* all */
    c = load_text(HHEAD "  - {name: all, command: [/bin/true], events: [all]}\n", 0, 0, "");
    assert_int_equal(c->hooks[0].events, (1u << CFG_HOOK_EVENT_MAX) - 1);
    cfg_free(c);
    /* A name next to all is not listed twice; PATH and other names are the hook's to set. */
    c = load_text(HHEAD "  - {name: all, command: [/bin/true], events: [all, node_lost], "
                        "environment: {PATH: /opt/bin, VIGIL_MAIL_TO: ops}}\n",
                  0, 0, "");
    assert_int_equal(c->hooks[0].events, (1u << CFG_HOOK_EVENT_MAX) - 1);
    assert_int_equal(c->hooks[0].n_env, 2);
    cfg_free(c);
    assert_string_equal(cfg_hook_event_name(CFG_HOOK_GROUP_RECOVERED), "group_recovered");
    assert_null(cfg_hook_event_name(CFG_HOOK_EVENT_MAX));
    assert_int_equal(cfg_hook_event_parse("fence_failed"), CFG_HOOK_FENCE_FAILED);
    assert_int_equal(cfg_hook_event_parse("fencing_failed"), -1);
}

static void test_hooks_invalid(void **state)
{
    load_text(HHEAD "  - {name: mail, command: [/bin/true], events: [node_lots]}\n", 0, -EINVAL,
              "test.yaml:9:49: error: hook 'mail': events: unknown event 'node_lots'; did you "
              "mean 'node_lost'?\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], events: [zzzzzz]}\n", 0, -EINVAL,
              "test.yaml:9:46: error: hook 'a': events: unknown event 'zzzzzz' (the events are "
              "node_lost, node_left, node_joined, node_fenced, fence_failed, quorum_lost, "
              "quorum_gained, group_failed, group_moved, group_recovered, group_started, "
              "group_stopped, group_restarted, group_stop_failed, group_multi_active, "
              "resource_failed, admin, config_changed and all)\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], events: [node_lost, node_lost]}\n", 0,
              -EINVAL, "test.yaml:9:57: error: hook 'a': events: 'node_lost' is listed twice\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], events: []}\n", 0, -EINVAL,
              "test.yaml:9:45: error: hook 'a': events is empty; name at least one event, or "
              "leave events out for the default ones\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], events: node_lost}\n", 0, -EINVAL,
              "test.yaml:9:45: error: hook 'a': events must be a list of event names, such as "
              "[node_lost, group_failed], not 'node_lost'\n");
    /* vigild sets the VIGIL_ variables of the event; PATH and other names are the hook's. */
    load_text(HHEAD "  - {name: a, command: [/bin/true], environment: {PATH: /opt/bin, "
                    "VIGIL_NODE: x, VIGIL_MAIL_TO: ops}}\n",
              0, -EINVAL,
              "test.yaml:9:67: error: hook 'a': environment: VIGIL_NODE is set by vigild for each "
              "event; use another name\n");
    load_text(HHEAD "  - {name: mail, command: [mail.sh]}\n", 0, -EINVAL,
              "test.yaml:9:28: error: hook 'mail': the program 'mail.sh' must be an absolute path "
              "(starting with /), such as /usr/bin/mail.sh\n");
    load_text(HHEAD "  - {name: mail}\n", 0, -EINVAL,
              "test.yaml:9:5: error: missing required key 'command' in hook 'mail'\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], timeout: 50ms}\n", 0, -EINVAL,
              "test.yaml:9:46: error: hook 'a': timeout is 50ms; it must be from 100ms to 10min\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true]}\n  - {name: a, command: [/bin/true]}\n", 0,
              -EINVAL, "test.yaml:10:12: error: hook 'a': the name 'a' is used by another hook\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], timeout: 1h}\n", 0, -EINVAL,
              "test.yaml:9:46: error: hook 'a': timeout is 1h; it must be from 100ms to 10min\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], every_node: yes}\n", 0, -EINVAL,
              "test.yaml:9:49: error: hook 'a': every_node must be true or false, not 'yes'; did "
              "you mean 'true'?\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], on: [node_lost]}\n", 0, -EINVAL,
              "test.yaml:9:37: error: unknown key 'on' in hook 'a' (the keys here are name, "
              "command, events, timeout, every_node and environment)\n");
    /* With CFG_LOAD_CHECK_FILES the program must exist (a key is needed for that load). */
    char dir[] = "/tmp/vigil-hook-XXXXXX";
    assert_non_null(mkdtemp(dir));
    _cleanup_free_ char *key = write_key(dir, "authkey", 256, 0400);
    _cleanup_free_ char *yaml =
        xasprintf("cluster: {name: h, key: %s}\n" NET1 "nodes:\n" NODE1 FENCE1 "hooks:\n"
                  "  - {name: a, command: [/nonexistent/hook]}\n",
                  key);
    load_text(yaml, CFG_LOAD_CHECK_FILES, -EINVAL,
              "test.yaml:9:25: error: hook 'a': command /nonexistent/hook: No such file or "
              "directory\n");
    unlink(key);
    rmdir(dir);
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
              "fstype, options, path, params and mac)\n");
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

/* ---- Printing ---- */

static const char *const valid_files[] = {
    "valid/minimal.yaml",     "valid/three-node.yaml",  "valid/full.yaml",
    "valid/flow.yaml",        "valid/two-node.yaml",    "valid/one-network.yaml",
    "valid/tie-node.yaml",    "valid/tie-highest.yaml", "valid/ipv6.yaml",
    "valid/quoting.yaml",     "valid/four-node.yaml",   "valid/four-node-named.yaml",
    "valid/groups-full.yaml",
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
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_full_values),
        cmocka_unit_test(test_flow_style),
        cmocka_unit_test(test_ipv6_and_quoting),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_examples_load),
        cmocka_unit_test(test_invalid_files),
        cmocka_unit_test(test_invalid_files_all_covered),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_directory_as_file),
        cmocka_unit_test(test_two_node_tie_breaker_warning),
        cmocka_unit_test(test_even_none_warning),
        cmocka_unit_test(test_link_mode_values),
        cmocka_unit_test(test_passive_warning),
        cmocka_unit_test(test_limits_and_edges),
        cmocka_unit_test(test_null_name_and_string_load),
        cmocka_unit_test(test_syntax_error_is_silent),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_diags_print_format),
        cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_fencing_values),
        cmocka_unit_test(test_fencing_missing_section),
        cmocka_unit_test(test_fencing_disabled),
        cmocka_unit_test(test_fencing_two_node_delay),
        cmocka_unit_test(test_fencing_one_node),
        cmocka_unit_test(test_fencing_unused_device),
        cmocka_unit_test(test_fencing_edges),
        cmocka_unit_test(test_fencing_files),
        cmocka_unit_test(test_groups_values),
        cmocka_unit_test(test_groups_lookups),
        cmocka_unit_test(test_groups_warnings),
        cmocka_unit_test(test_hooks),
        cmocka_unit_test(test_hooks_invalid),
        cmocka_unit_test(test_groups_edges),
        cmocka_unit_test(test_ready_timeout),
        cmocka_unit_test(test_groups_files),
        cmocka_unit_test(test_print_roundtrip),
        cmocka_unit_test(test_print_exact),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_equal_groups),
        cmocka_unit_test(test_print_groups_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
