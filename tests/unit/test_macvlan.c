/*
 * MAC takeover (src/resource/macvlan.c, ip.c's ip_vip_*, and the ip
 * resource in resource.c): an ip resource with a fixed MAC holds its address
 * on a macvlan of its own with that MAC. Start, monitor, stop and probe as
 * the daemon runs them, on a real loop, with what a peer on the same link
 * sees: which MAC answers for the address, and which announces it.
 *
 * As root, in network namespaces of the test's own (netns_helpers.h): v0
 * (192.0.2.1/24) in the node, v1 (192.0.2.2/24) in the peer. Addresses from
 * 192.0.2.0/24 only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "base/util.h"
#include "config/config.h"
#include "loop_helpers.h"
#include "netns_helpers.h"
#include "resource/ip.h"
#include "resource/macvlan.h"
#include "resource/resource.h"

#define VIP      "192.0.2.50"
#define VIP_MAC  "02:00:c0:00:02:32"
#define TEST_MAC "02:00:c0:00:02:33"

static const uint8_t vip_mac[6] = {0x02, 0x00, 0xc0, 0x00, 0x02, 0x32};
static const uint8_t test_mac[6] = {0x02, 0x00, 0xc0, 0x00, 0x02, 0x33};

static int setup(void **state)
{
    if (loop_setup("macvlan") < 0)
        return -1;
    return setup_ns(state);
}

static int teardown(void **state)
{
    teardown_ns(state);
    return loop_teardown();
}

/* The output of `ip -d -o link show NAME` in the node, or "" when there is no such link. */
static char *link_show(const char *name)
{
    _cleanup_free_ char *cmd = xasprintf("ip -d -o link show %s 2>/dev/null", name);
    return sh_out(cmd);
}

static bool link_exists(const char *name)
{
    _cleanup_free_ char *out = link_show(name);
    return *out != '\0';
}

/* The value of net.ipv4.conf.IFNAME.KEY in the node. */
static int sysctl_conf(const char *ifname, const char *key)
{
    _cleanup_free_ char *cmd = xasprintf("cat /proc/sys/net/ipv4/conf/%s/%s", ifname, key);
    _cleanup_free_ char *out = sh_out(cmd);
    return atoi(out);
}

/* ---- names ---- */

static void test_name(void **state)
{
    char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ];
    macvlan_name("web", "vip", a);
    macvlan_name("web", "vip", b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), IFNAMSIZ - 1);
    assert_memory_equal(a, "vm-", 3);
    assert_int_equal(strspn(a + 3, "0123456789abcdef"), IFNAMSIZ - 4);
    /* The group is part of it: "ab/c" and "a/bc" differ. */
    macvlan_name("ab", "c", b);
    macvlan_name("a", "bc", c);
    assert_string_not_equal(b, c);
    macvlan_name("web", "vip2", c);
    assert_string_not_equal(a, c);
    /* Long names make no longer interface names. */
    char long_group[200];
    memset(long_group, 'g', sizeof(long_group) - 1);
    long_group[sizeof(long_group) - 1] = '\0';
    macvlan_name(long_group, long_group, c);
    assert_int_equal(strlen(c), IFNAMSIZ - 1);
}

/* ---- links ---- */

static void test_create_query_delete(void **state)
{
    struct macvlan_link l;
    assert_int_equal(macvlan_query("vm-test", &l), -ENODEV);
    unsigned idx = 0;
    assert_int_equal(macvlan_create("vm-test", ifindex("v0"), test_mac, &idx), 0);
    assert_int_equal(idx, ifindex("vm-test"));

    memset(&l, 0xff, sizeof(l));
    assert_int_equal(macvlan_query("vm-test", &l), 0);
    assert_int_equal(l.ifindex, idx);
    assert_true(l.is_macvlan);
    assert_int_equal(l.parent, ifindex("v0"));
    assert_true(l.up);
    assert_true(l.has_mac);
    assert_memory_equal(l.mac, test_mac, 6);
    assert_int_equal(l.mode, MACVLAN_MODE_PRIVATE);
    /* As ip(8) sees it. */
    _cleanup_free_ char *out = link_show("vm-test");
    if (!strstr(out, "vm-test@v0") || !strstr(out, "link/ether " TEST_MAC) ||
        !strstr(out, "macvlan mode private") || !strstr(out, "<BROADCAST,MULTICAST,UP"))
        fail_msg("unexpected link: %s", out);

    /* The name is taken. */
    assert_int_equal(macvlan_create("vm-test", ifindex("v0"), test_mac, NULL), -EEXIST);
    /* Down and up again. */
    sh("ip link set vm-test down");
    assert_int_equal(macvlan_query("vm-test", &l), 0);
    assert_false(l.up);
    assert_int_equal(macvlan_set_up(l.ifindex), 0);
    assert_int_equal(macvlan_query("vm-test", &l), 0);
    assert_true(l.up);

    assert_int_equal(macvlan_delete("vm-test"), 0);
    assert_false(link_exists("vm-test"));
    assert_int_equal(macvlan_query("vm-test", &l), -ENODEV);
    /* Absent: success. */
    assert_int_equal(macvlan_delete("vm-test"), 0);
    /* The parent is untouched. */
    assert_true(link_exists("v0"));
}

static void test_errors(void **state)
{
    struct macvlan_link l = {.ifindex = 77};
    /* Not a macvlan: looked up as what it is, never deleted. */
    sh("ip link add vm-other type veth peer name vm-otherp");
    assert_int_equal(macvlan_query("vm-other", &l), 0);
    assert_false(l.is_macvlan);
    assert_int_equal(l.mode, 0);
    assert_int_equal(macvlan_delete("vm-other"), -EMEDIUMTYPE);
    assert_true(link_exists("vm-other"));
    /* Names Linux cannot have, a parent that does not exist, a MAC that is multicast. */
    l.ifindex = 77;
    assert_int_equal(macvlan_query("a-name-much-too-long-for-linux", &l), -ENODEV);
    assert_int_equal(l.ifindex, 77); /* untouched on failure */
    assert_int_equal(macvlan_create("a-name-much-too-long", ifindex("v0"), test_mac, NULL),
                     -EINVAL);
    assert_int_equal(macvlan_create("vm-test", 99999, test_mac, NULL), -ENODEV);
    static const uint8_t multicast[6] = {0x03, 0, 0, 0, 0, 1};
    assert_true(macvlan_create("vm-test", ifindex("v0"), multicast, NULL) < 0);
    assert_false(link_exists("vm-test"));
}

static void test_arp_setup(void **state)
{
    unsigned idx = 0;
    assert_int_equal(macvlan_create("vm-test", ifindex("v0"), test_mac, &idx), 0);
    assert_int_equal(sysctl_conf("v0", "arp_ignore"), 0);
    assert_int_equal(sysctl_conf("v0", "arp_announce"), 0);
    int rp_filter = sysctl_conf("v0", "rp_filter");
    bool raised = false;
    assert_int_equal(macvlan_arp_setup(idx, ifindex("v0"), &raised), 0);
    assert_true(raised);
    assert_int_equal(sysctl_conf("vm-test", "arp_ignore"), 1);
    assert_int_equal(sysctl_conf("vm-test", "arp_announce"), 2);
    assert_int_equal(sysctl_conf("vm-test", "rp_filter"), 2);
    assert_int_equal(sysctl_conf("v0", "arp_ignore"), 1);
    assert_int_equal(sysctl_conf("v0", "arp_announce"), 2);
    /* Already so: nothing raised. */
    assert_int_equal(macvlan_arp_setup(idx, ifindex("v0"), &raised), 0);
    assert_false(raised);
    /* Never lowered: a stricter arp_ignore stays; only arp_announce is raised. */
    sh("sysctl -qw net.ipv4.conf.v0.arp_ignore=2 net.ipv4.conf.v0.arp_announce=1");
    assert_int_equal(macvlan_arp_setup(idx, ifindex("v0"), &raised), 0);
    assert_true(raised);
    assert_int_equal(sysctl_conf("v0", "arp_ignore"), 2);
    assert_int_equal(sysctl_conf("v0", "arp_announce"), 2);
    assert_int_equal(sysctl_conf("v0", "rp_filter"), rp_filter); /* the parent's is left alone */
    assert_int_equal(macvlan_arp_setup(idx, 99999, NULL), -ENODEV);
}

/* ---- the ip resource with a MAC ---- */

#define HEAD                                                                                       \
    "cluster: {name: t}\n"                                                                         \
    "networks: [{name: lan}]\n"                                                                    \
    "nodes:\n"                                                                                     \
    "  - {name: n1, id: 1, addresses: {lan: 192.0.2.1}}\n"                                         \
    "  - {name: n2, id: 2, addresses: {lan: 192.0.2.3}}\n"                                         \
    "fencing: {enabled: false}\n"                                                                  \
    "groups:\n"                                                                                    \
    "  - name: web\n"                                                                              \
    "    domain: [n1, n2]\n"                                                                       \
    "    resources:\n"

/* Group web with resource vip (VIP/24 on network lan, so on v0), with the MAC VIP_MAC. */
static struct cfg *load_vip(void)
{
    const char *text = HEAD "      - {name: vip, type: ip, address: " VIP "/24, network: lan}\n";
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    int r = cfg_load_string(text, strlen(text), "test.yaml", 0, &c, &d);
    if (r < 0)
        cfg_diags_print(&d, stderr);
    cfg_diags_clear(&d);
    assert_int_equal(r, 0);
    struct cfg_resource *rc = &c->groups[0].resources[0];
    rc->has_mac = true;
    memcpy(rc->mac, vip_mac, sizeof(rc->mac));
    return c;
}

struct outcome {
    bool done;
    enum res_rc rc;
    char *reason;
};

static void on_done(void *ctx, enum res_rc rc, const char *reason)
{
    struct outcome *o = ctx;
    o->done = true;
    o->rc = rc;
    o->reason = xstrdup(reason);
}

static void on_failed(void *ctx, const char *reason)
{
    char **why = ctx;
    free(*why);
    *why = xstrdup(reason);
}

static bool is_done(void *arg)
{
    return ((struct outcome *)arg)->done;
}

struct fixture {
    struct cfg *c;
    struct res *res;
    char link[IFNAMSIZ];
    char *failed; /* the watch's failure, once it fired */
    struct outcome o;
};

/* A fresh resource web/vip, monitored every 50 ms while it is watched. */
static void fixture_init(struct fixture *f)
{
    *f = (struct fixture){.c = load_vip()};
    f->c->groups[0].resources[0].monitor_interval_ms = 50;
    struct res_env env = {.loop = &test_loop, .cfg = f->c, .node = 0, .run_dir = test_dir};
    f->res = res_new(&env, 0, 0, on_failed, &f->failed);
    macvlan_name("web", "vip", f->link);
}

static void fixture_clear(struct fixture *f)
{
    res_free(f->res);
    uv_run(&test_loop, UV_RUN_DEFAULT);
    cfg_free(f->c);
    free(f->o.reason);
    free(f->failed);
}

/* Runs op and waits for its outcome (10 s at most); the outcome's rc. */
static enum res_rc run_op(struct fixture *f, enum res_op op)
{
    free(f->o.reason);
    f->o = (struct outcome){0};
    assert_int_equal(res_run(f->res, op, on_done, &f->o), 0);
    assert_true(loop_run_until(is_done, &f->o, 10000));
    return f->o.rc;
}

/* Runs op and checks its outcome: rc, and a reason containing `reason` ("" for any). */
static void expect(struct fixture *f, enum res_op op, enum res_rc rc, const char *reason)
{
    enum res_rc got = run_op(f, op);
    if (got != rc || !strstr(f->o.reason, reason))
        fail_msg("%s: %s (%s), expected %s (%s)", res_op_name(op), res_rc_name(got), f->o.reason,
                 res_rc_name(rc), reason);
}

/* Whether the node holds VIP on interface ifname. */
static bool holds(const char *ifname)
{
    _cleanup_free_ char *cmd = xasprintf("ip -4 -o addr show dev %s 2>/dev/null", ifname);
    _cleanup_free_ char *out = sh_out(cmd);
    return strstr(out, "inet " VIP "/24") != NULL;
}

static void expect_running(struct fixture *f)
{
    _cleanup_free_ char *out = link_show(f->link);
    if (!strstr(out, "link/ether " VIP_MAC) || !strstr(out, "macvlan mode private") ||
        !strstr(out, ",UP"))
        fail_msg("macvlan %s: %s", f->link, out);
    assert_true(holds(f->link));
    assert_false(holds("v0"));
}

static void expect_gone(struct fixture *f)
{
    assert_false(link_exists(f->link));
    _cleanup_free_ char *out = sh_out("ip -4 -o addr show");
    assert_null(strstr(out, VIP "/"));
    /* The parent and its own address stay. */
    assert_non_null(strstr(out, "192.0.2.1/24"));
}

/*
 * What the peer learns for addr when it asks (its entry flushed first, then
 * a ping): the MAC that answered, or "" when nothing did.
 */
static char *peer_resolves(const char *addr)
{
    _cleanup_free_ char *cmd = xasprintf(
        "ip neigh flush dev v1; ping -c 1 -W 2 %s >/dev/null 2>&1; "
        "ip neigh show %s dev v1 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2 | tr -d '\\n'",
        addr, addr);
    return peer_sh_out(cmd);
}

static void test_start_monitor_stop(void **state)
{
    struct fixture f;
    fixture_init(&f);
    /* A host with strict reverse-path filtering (the macvlan's own setting makes it loose). */
    sh("sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.v0.rp_filter=1");
    /* The peer believes VIP is elsewhere (as after a failover) until it is announced. */
    peer_sh("ip neigh add " VIP " lladdr 02:00:00:00:00:99 dev v1 nud stale");
    expect(&f, RES_OP_PROBE, RES_RC_NOT_RUNNING, "address not present");

    expect(&f, RES_OP_START, RES_RC_OK, "");
    expect_running(&f);
    /* The announcement came from the macvlan: the peer's entry now has the MAC. */
    wait_output(true, "ip neigh show " VIP " dev v1", "lladdr " VIP_MAC);
    expect(&f, RES_OP_MONITOR, RES_RC_OK, "");
    expect(&f, RES_OP_PROBE, RES_RC_OK, "");

    /* The peer reaches it; only the macvlan answers for VIP, and for nothing else. */
    peer_sh("ping -c 1 -W 5 " VIP " >/dev/null");
    _cleanup_free_ char *mac = peer_resolves(VIP);
    assert_string_equal(mac, VIP_MAC);
    _cleanup_free_ char *own = peer_resolves("192.0.2.1");
    assert_string_equal(own, V0_MAC);
    assert_int_equal(sysctl_conf("v0", "arp_ignore"), 1);

    /* A second start finds it all there. */
    expect(&f, RES_OP_START, RES_RC_OK, "");
    expect_running(&f);

    expect(&f, RES_OP_STOP, RES_RC_OK, "");
    expect_gone(&f);
    expect(&f, RES_OP_MONITOR, RES_RC_NOT_RUNNING, "address not present");
    /* Stop is idempotent. */
    expect(&f, RES_OP_STOP, RES_RC_OK, "");
    expect_gone(&f);
    fixture_clear(&f);
}

static bool has_failed(void *arg)
{
    return ((struct fixture *)arg)->failed != NULL;
}

static void test_monitor_sees_what_happens_behind_its_back(void **state)
{
    struct fixture f;
    fixture_init(&f);
    expect(&f, RES_OP_START, RES_RC_OK, "");

    /* Down. */
    sh("ip link set %s down", f.link);
    expect(&f, RES_OP_MONITOR, RES_RC_FAILED, "macvlan vm-");
    expect(&f, RES_OP_MONITOR, RES_RC_FAILED, " is down");
    sh("ip link set %s up", f.link);
    expect(&f, RES_OP_MONITOR, RES_RC_OK, "");

    /* The address moved to the parent. */
    sh("ip addr del " VIP "/24 dev %s && ip addr add " VIP "/24 dev v0", f.link);
    expect(&f, RES_OP_MONITOR, RES_RC_FAILED, " has no address " VIP "/24");
    /* A start puts it back where it belongs, and only there. */
    expect(&f, RES_OP_START, RES_RC_OK, "");
    expect_running(&f);

    /* Another MAC. */
    sh("ip link set %s address " TEST_MAC, f.link);
    expect(&f, RES_OP_MONITOR, RES_RC_FAILED, " has MAC " TEST_MAC ", not " VIP_MAC);
    expect(&f, RES_OP_START, RES_RC_OK, "");
    expect_running(&f);

    /* Deleted: the address goes with it. */
    sh("ip link del %s", f.link);
    expect(&f, RES_OP_MONITOR, RES_RC_NOT_RUNNING, "address not present");

    /* The watch's own monitor reports it as the resource's failure. */
    expect(&f, RES_OP_START, RES_RC_OK, "");
    res_watch(f.res, true);
    assert_false(loop_run_until(has_failed, &f, 300)); /* several monitors pass */
    sh("ip link del %s", f.link);
    assert_true(loop_run_until(has_failed, &f, 10000));
    assert_string_equal(f.failed, "monitor: not running: address not present");
    res_watch(f.res, false);
    expect(&f, RES_OP_STOP, RES_RC_OK, "");
    expect_gone(&f);
    fixture_clear(&f);
}

/* Runs cmd in the node with every @ replaced by link. */
static void sh_link(const char *cmd, const char *link)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (const char *p = cmd; *p; p++) {
        if (*p == '@')
            fputs(link, f);
        else
            fputc(*p, f);
    }
    fclose(f);
    sh("%s", out);
    free(out);
}

/* A probe finds leftovers (after a crash, or made by hand), and a stop clears them. */
static void test_probe_leftovers(void **state)
{
    struct fixture f;
    fixture_init(&f);
    struct {
        const char *make; /* in the node; @ stands for the macvlan's name */
        const char *why;
    } cases[] = {
        {"ip link add @ link v0 address " VIP_MAC " type macvlan mode private && "
         "ip link set @ up",
         " has no address " VIP "/24"},
        {"ip link add @ link v0 address " VIP_MAC " type macvlan mode private && "
         "ip addr add " VIP "/24 dev @",
         " is down"},
        {"ip link add @ link v0 address " TEST_MAC " type macvlan mode bridge && "
         "ip link set @ up && ip addr add " VIP "/24 dev @",
         " has MAC " TEST_MAC ", not " VIP_MAC},
        {"ip addr add " VIP "/24 dev v0", VIP "/24 is on v0, without its macvlan vm-"},
        {"ip link add @ link v0 address " VIP_MAC " type macvlan && ip link set @ up && "
         "ip addr add " VIP "/24 dev @ && ip addr add " VIP "/24 dev v0",
         VIP "/24 is also on v0"},
        {"ip link add vm-x type veth peer name vm-y && ip link add @ link vm-x address " VIP_MAC
         " type macvlan && ip link set @ up && ip addr add " VIP "/24 dev @",
         " is on vm-x, not on v0"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        sh_link(cases[i].make, f.link);
        expect(&f, RES_OP_PROBE, RES_RC_FAILED, cases[i].why);
        expect(&f, RES_OP_STOP, RES_RC_OK, "");
        expect_gone(&f);
        expect(&f, RES_OP_PROBE, RES_RC_NOT_RUNNING, "address not present");
        sh("ip link del vm-x 2>/dev/null || true");
    }
    /* A start over a leftover with another MAC makes it again, as it should be. */
    sh_link("ip link add @ link v0 address " TEST_MAC " type macvlan && ip link set @ up", f.link);
    expect(&f, RES_OP_START, RES_RC_OK, "");
    expect_running(&f);
    expect(&f, RES_OP_PROBE, RES_RC_OK, "");
    expect(&f, RES_OP_STOP, RES_RC_OK, "");
    expect_gone(&f);

    /* An interface of that name that is not a macvlan: never deleted, and no start. */
    sh("ip link add %s type veth peer name vm-peer", f.link);
    expect(&f, RES_OP_PROBE, RES_RC_FAILED, " is not a macvlan");
    expect(&f, RES_OP_START, RES_RC_FAILED, " exists and is not a macvlan");
    expect(&f, RES_OP_STOP, RES_RC_OK, "");
    assert_true(link_exists(f.link));
    sh("ip link del %s", f.link);
    fixture_clear(&f);
}

/* Without its parent interface the resource cannot start here. */
static void test_no_parent(void **state)
{
    struct fixture f;
    fixture_init(&f);
    sh("ip addr del 192.0.2.1/24 dev v0");
    expect(&f, RES_OP_START, RES_RC_NOT_INSTALLED, "no interface holds this node's address");
    expect(&f, RES_OP_PROBE, RES_RC_NOT_RUNNING, "address not present");
    assert_false(link_exists(f.link));
    fixture_clear(&f);
}

int main(void)
{
    start_netns = netns_inode();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name),
        cmocka_unit_test_setup_teardown(test_create_query_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arp_setup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_monitor_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_sees_what_happens_behind_its_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_probe_leftovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_parent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
