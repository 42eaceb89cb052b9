/*
 * Unit tests for the Corosync side of src/config: the derived timers, and
 * corosync.conf compared byte for byte with the .conf files in tests/unit/data/golden.
 * Run with VIGIL_UPDATE_GOLDEN=1 to rewrite the golden files after an
 * intended change (then review the diff). When corosync is installed, each
 * rendered file is also checked with `corosync -t`.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "config/config.h"

#define COROSYNC_BIN "/usr/sbin/corosync"

static struct cfg *load(const char *name)
{
    _cleanup_free_ char *path =
        xasprintf("%s/configs/valid/%s.yaml", getenv("VIGIL_TEST_DATA"), name);
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    if (cfg_load_file(path, 0, &c, &d) != 0) {
        cfg_diags_print(&d, stderr);
        fail_msg("%s does not load", path);
    }
    cfg_diags_clear(&d);
    return c;
}

static void check_timers(enum cfg_link_mode mode, uint64_t interval, uint32_t misses,
                         uint64_t token, uint64_t consensus, uint64_t ping_interval,
                         uint64_t ping_timeout)
{
    struct cfg c = {.interval_ms = interval, .misses = misses, .link_mode = mode};
    struct cfg_timers t;
    memset(&t, 0xff, sizeof(t));
    cfg_derive_timers(&c, &t);
    assert_int_equal(t.token_ms, token);
    assert_int_equal(t.consensus_ms, consensus);
    assert_int_equal(t.ping_interval_ms, ping_interval);
    assert_int_equal(t.ping_timeout_ms, ping_timeout);
    assert_int_equal(t.pong_count, 2);
}

static void test_derive_timers(void **state)
{
    const enum cfg_link_mode A = CFG_LINK_ACTIVE;
    check_timers(A, 100, 4, 400, 480, 100, 400);          /* the defaults */
    check_timers(A, 50, 2, 100, 120, 50, 100);            /* the shortest token */
    check_timers(A, 10, 10, 100, 120, 10, 100);           /* the shortest interval */
    check_timers(A, 333, 3, 999, 1199, 333, 999);         /* 1198.8 rounds up */
    check_timers(A, 5000, 12, 60000, 72000, 5000, 60000); /* the longest token */
    check_timers(A, 250, 3, 750, 900, 250, 750);
}

/* Passive: the link is declared down after a third of the token, pinged four times in that. */
static void test_derive_timers_passive(void **state)
{
    const enum cfg_link_mode P = CFG_LINK_PASSIVE;
    check_timers(P, 500, 6, 3000, 3600, 250, 1000);
    check_timers(P, 250, 6, 1500, 1800, 125, 500); /* the shortest without a warning */
    check_timers(P, 100, 4, 400, 480, 33, 133);    /* the defaults: 133.3 and 33.3 round down */
    check_timers(P, 40, 3, 120, 144, 10, 40);      /* exactly the 10ms floor */
    check_timers(P, 50, 2, 100, 120, 10, 33);      /* 8ms raised to the floor */
    check_timers(P, 10, 13, 130, 156, 10, 43);     /* 10.75ms rounds down to the floor */
    check_timers(P, 5000, 12, 60000, 72000, 5000, 20000); /* the longest token */
}

/* Runs `corosync -t` on text with its keyfile pointing at a fresh key; skips without corosync. */
static void corosync_accepts(const char *name, const char *text)
{
    if (access(COROSYNC_BIN, X_OK) != 0)
        return;
    char dir[] = "/tmp/vigil-cs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    _cleanup_free_ char *key = xasprintf("%s/authkey", dir);
    _cleanup_free_ char *conf = xasprintf("%s/corosync.conf", dir);
    char keybuf[256];
    for (size_t i = 0; i < sizeof(keybuf); i++)
        keybuf[i] = (char)(i * 7 + 1);
    assert_int_equal(write_file_atomic(key, keybuf, sizeof(keybuf), 0400), 0);

    /* Point keyfile at the test key; everything else is checked as rendered. */
    const char *k = strstr(text, "\tkeyfile: ");
    assert_non_null(k);
    const char *eol = strchr(k, '\n');
    _cleanup_free_ char *patched =
        xasprintf("%.*s\tkeyfile: %s%s", (int)(k - text), text, key, eol);
    assert_int_equal(write_file_atomic(conf, patched, strlen(patched), 0600), 0);

    _cleanup_free_ char *cmd = xasprintf("%s -t -c %s >%s/out 2>&1", COROSYNC_BIN, conf, dir);
    int st = system(cmd);
    _cleanup_free_ char *out = xasprintf("%s/out", dir);
    char *log = NULL;
    size_t log_len = 0;
    assert_int_equal(read_file(out, 1 << 20, &log, &log_len), 0);
    /*
     * corosync -t also looks for this machine in the node list, which the
     * test files cannot know; that complaint comes after the file was
     * parsed and checked, so it is not a failure here.
     */
    bool only_local = strstr(log, "No valid name found for local host") != NULL;
    free(log);
    if (!only_local && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
        _cleanup_free_ char *cat = xasprintf("cat %s/out >&2", dir);
        if (system(cat) < 0)
            perror("system");
        fail_msg("%s: corosync -t rejects the rendered file", name);
    }
    unlink(out);
    unlink(conf);
    unlink(key);
    rmdir(dir);
}

static void check_golden(const char *name)
{
    struct cfg *c = load(name);
    char *text = cfg_corosync_conf(c);
    _cleanup_free_ char *golden = xasprintf("%s/golden/%s.conf", getenv("VIGIL_TEST_DATA"), name);
    const char *update = getenv("VIGIL_UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0) {
        assert_int_equal(write_file_atomic(golden, text, strlen(text), 0644), 0);
        fprintf(stderr, "# rewrote %s\n", golden);
    }
    char *want = NULL;
    size_t len = 0;
    int r = read_file(golden, 1 << 20, &want, &len);
    if (r < 0)
        fail_msg("%s: %s (run with VIGIL_UPDATE_GOLDEN=1 to create it)", golden, strerror(-r));
    if (strcmp(want, text) != 0)
        fail_msg("%s differs from the rendered file:\n%s", golden, text);
    corosync_accepts(name, text);
    free(want);
    free(text);
    cfg_free(c);
}

static void test_golden_three_node(void **state)
{
    check_golden("three-node");
}

static void test_golden_two_node(void **state)
{
    check_golden("two-node");
}

static void test_golden_one_network(void **state)
{
    check_golden("one-network");
}

static void test_golden_tie_node(void **state)
{
    check_golden("tie-node");
}

static void test_golden_tie_highest(void **state)
{
    check_golden("tie-highest");
}

static void test_golden_ipv6(void **state)
{
    check_golden("ipv6");
}

static void test_golden_full(void **state)
{
    check_golden("full");
}

static void test_golden_four_node(void **state)
{
    check_golden("four-node");
}

static void test_golden_four_node_named(void **state)
{
    check_golden("four-node-named");
}

/* What operators rely on, stated directly rather than only through the golden files. */
static void test_conf_properties(void **state)
{
    struct cfg *c = load("three-node");
    char *text = cfg_corosync_conf(c);
    /* The first network is knet link 0 and has the highest priority. */
    const char *l0 = strstr(text, "linknumber: 0\n\t\tknet_link_priority: 2\n");
    const char *l1 = strstr(text, "linknumber: 1\n\t\tknet_link_priority: 1\n");
    assert_non_null(l0);
    assert_non_null(l1);
    assert_true(l0 < l1);
    assert_non_null(strstr(text, "\tring1_addr: 198.51.100.2\n"));
    assert_non_null(strstr(text, "\ttoken: 400\n\ttoken_coefficient: 0\n\tconsensus: 480\n"));
    /* No one-line blocks: Corosync 3.1.7's parser rejects them. */
    for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{'))
        assert_int_equal(p[1], '\n');
    assert_null(strstr(text, "two_node"));
    assert_non_null(strstr(text, "\ttransport: knet\n\tlink_mode: active\n"));
    /* Three nodes cannot tie: no tie-breaker (Corosync would disable it with a critical log). */
    assert_null(strstr(text, "auto_tie_breaker"));
    free(text);
    cfg_free(c);

    /* Passive mode keeps the priorities (they decide the order) and shortens the ping timeout. */
    c = load("full");
    text = cfg_corosync_conf(c);
    assert_non_null(strstr(text, "\ttransport: knet\n\tlink_mode: passive\n"));
    assert_non_null(strstr(text, "\t\tlinknumber: 0\n\t\tknet_link_priority: 3\n"
                                 "\t\tknet_ping_interval: 125\n\t\tknet_ping_timeout: 500\n"));
    assert_non_null(strstr(text, "\t\tlinknumber: 2\n\t\tknet_link_priority: 1\n"));
    assert_null(strstr(text, "auto_tie_breaker")); /* three nodes, a named tie-breaker */
    free(text);
    cfg_free(c);

    c = load("four-node-named");
    text = cfg_corosync_conf(c);
    assert_non_null(strstr(text, "\tauto_tie_breaker: 1\n\tauto_tie_breaker_node: 20\n"));
    free(text);
    cfg_free(c);

    c = load("two-node");
    text = cfg_corosync_conf(c);
    assert_non_null(strstr(text, "\ttwo_node: 1\n"));
    assert_null(strstr(text, "auto_tie_breaker"));
    free(text);
    cfg_free(c);

    c = load("flow"); /* tie_breaker: none */
    text = cfg_corosync_conf(c);
    assert_null(strstr(text, "auto_tie_breaker"));
    assert_null(strstr(text, "two_node"));
    free(text);
    cfg_free(c);
}

/* A cluster of n nodes on one network, with the given tie_breaker. */
static struct cfg *load_nodes(size_t n, const char *tie_breaker)
{
    char *text =
        xasprintf("cluster: {name: n}\nnetworks: [{name: lan}]\nquorum: {tie_breaker: %s}\n"
                  "nodes:\n",
                  tie_breaker);
    for (size_t i = 1; i <= n; i++) {
        char *t = xasprintf("%s  - {name: n%zu, id: %zu, addresses: {lan: 192.0.2.%zu}}\n", text, i,
                            i, i);
        free(text);
        text = t;
    }
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    if (cfg_load_string(text, strlen(text), "n.yaml", 0, &c, &d) != 0) {
        cfg_diags_print(&d, stderr);
        fail_msg("%zu nodes do not load", n);
    }
    cfg_diags_clear(&d);
    free(text);
    return c;
}

/* auto_tie_breaker appears exactly for an even number of nodes from four on. */
static void test_tie_breaker_only_even(void **state)
{
    static const char *const ties[] = {"lowest", "highest", "n1", "none"};
    for (size_t t = 0; t < ARRAY_SIZE(ties); t++) {
        for (size_t n = 1; n <= CFG_MAX_NODES; n++) {
            struct cfg *c = load_nodes(n, ties[t]);
            char *text = cfg_corosync_conf(c);
            bool want = n >= 4 && n % 2 == 0 && strcmp(ties[t], "none") != 0;
            if ((strstr(text, "auto_tie_breaker") != NULL) != want)
                fail_msg("%zu nodes, tie_breaker %s: auto_tie_breaker %s expected:\n%s", n, ties[t],
                         want ? "is" : "is not", text);
            assert_int_equal(strstr(text, "\ttwo_node: 1\n") != NULL, n == 2);
            free(text);
            cfg_free(c);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derive_timers),
        cmocka_unit_test(test_derive_timers_passive),
        cmocka_unit_test(test_golden_three_node),
        cmocka_unit_test(test_golden_two_node),
        cmocka_unit_test(test_golden_one_network),
        cmocka_unit_test(test_golden_tie_node),
        cmocka_unit_test(test_golden_tie_highest),
        cmocka_unit_test(test_golden_ipv6),
        cmocka_unit_test(test_golden_full),
        cmocka_unit_test(test_golden_four_node),
        cmocka_unit_test(test_golden_four_node_named),
        cmocka_unit_test(test_conf_properties),
        cmocka_unit_test(test_tie_breaker_only_even),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
