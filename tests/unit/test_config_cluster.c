/*
 * Loading vigil.yaml from memory (src/config/load.c, load_cluster.c, files.c,
 * diag.c): size and nesting limits, warnings about the cluster section,
 * edge cases, the printed form of diagnostics, and the checks of the key file
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

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
