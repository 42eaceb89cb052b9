/*
 * Unit tests for virtual IP addresses (src/resource/ip.c): netlink add, find
 * and delete, and the announcements seen on the wire and in a peer's
 * neighbour table. They run as root in network namespaces of their own
 * (netns_helpers.h): v0 in the node, where the test runs, v1 in the peer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
#include <netinet/ip6.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "netns_helpers.h"
#include "resource/ip.h"

#define BOGUS_MAC "02:00:00:00:00:99"

static const uint8_t v0_mac[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x01};

static struct ip_vaddr vaddr(const char *text)
{
    struct ip_vaddr a;
    assert_int_equal(ip_vaddr_parse(text, &a), 0);
    return a;
}

/* ---- parsing ---- */

static void test_parse_and_format(void **state)
{
    struct ip_vaddr a;
    char buf[64];
    assert_int_equal(ip_vaddr_parse("192.0.2.10/24", &a), 0);
    assert_int_equal(a.family, AF_INET);
    assert_int_equal(a.prefix, 24);
    assert_memory_equal(a.addr, ((uint8_t[]){192, 0, 2, 10}), 4);
    assert_string_equal(ip_vaddr_format(&a, buf), "192.0.2.10/24");

    assert_int_equal(ip_vaddr_parse("2001:db8::10/64", &a), 0);
    assert_int_equal(a.family, AF_INET6);
    assert_int_equal(a.prefix, 64);
    assert_string_equal(ip_vaddr_format(&a, buf), "2001:db8::10/64");
    assert_int_equal(ip_vaddr_parse("2001:db8::1/128", &a), 0);
    assert_int_equal(ip_vaddr_parse("192.0.2.1/0", &a), 0);
    assert_int_equal(a.prefix, 0);

    const char *bad[] = {"192.0.2.10",
                         "192.0.2.10/",
                         "192.0.2.10/33",
                         "2001:db8::1/129",
                         "/24",
                         "192.0.2/24",
                         "192.0.2.10/24x",
                         "192.0.2.10/+4",
                         "192.0.2.10/ 4",
                         "host/24",
                         "192.0.2.10/0024",
                         "2001:db8::1/64/1",
                         "",
                         "192.0.2.1/-1"};
    struct ip_vaddr untouched = {.family = 77};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        a = untouched;
        if (ip_vaddr_parse(bad[i], &a) != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(a.family, 77); /* ret untouched on failure */
    }
}

/* ---- netlink ---- */

static void test_ipv4_add_find_del(void **state)
{
    struct ip_vaddr a = vaddr("192.0.2.10/24");
    unsigned v0 = ifindex("v0"), found = 0;
    assert_int_equal(ip_addr_find(&a, &found), 0);

    assert_int_equal(ip_addr_add(v0, &a), 0);
    assert_int_equal(ip_addr_find(&a, &found), 1);
    assert_int_equal(found, v0);
    assert_int_equal(ip_addr_find(&a, NULL), 1);
    /* As `ip address add 192.0.2.10/24 brd + dev v0` would have it. */
    _cleanup_free_ char *out = sh_out("ip -4 -o addr show dev v0");
    if (!strstr(out, "inet 192.0.2.10/24 brd 192.0.2.255 scope global secondary v0"))
        fail_msg("unexpected addresses: %s", out);

    /* Already there: success, and still exactly one. */
    assert_int_equal(ip_addr_add(v0, &a), 0);
    _cleanup_free_ char *again = sh_out("ip -4 -o addr show dev v0 | grep -c 192.0.2.10/");
    assert_string_equal(again, "1\n");

    /* Same address, other prefix: not the same assignment. */
    struct ip_vaddr other = vaddr("192.0.2.10/25");
    assert_int_equal(ip_addr_find(&other, NULL), 0);

    assert_int_equal(ip_addr_del(v0, &a), 0);
    assert_int_equal(ip_addr_find(&a, &found), 0);
    _cleanup_free_ char *gone = sh_out("ip -4 -o addr show dev v0");
    assert_null(strstr(gone, "192.0.2.10"));
    /* Absent: success. */
    assert_int_equal(ip_addr_del(v0, &a), 0);
    /* The interface's own address is untouched. */
    assert_non_null(strstr(gone, "192.0.2.1/24"));
}

static void test_ipv4_host_prefix_has_no_broadcast(void **state)
{
    struct ip_vaddr a = vaddr("192.0.2.20/32");
    assert_int_equal(ip_addr_add(ifindex("v0"), &a), 0);
    _cleanup_free_ char *out = sh_out("ip -4 -o addr show dev v0");
    const char *line = strstr(out, "192.0.2.20/32");
    assert_non_null(line);
    assert_null(strstr(line, "brd"));
    assert_int_equal(ip_addr_find(&a, NULL), 1);
    assert_int_equal(ip_addr_del(ifindex("v0"), &a), 0);
    assert_int_equal(ip_addr_find(&a, NULL), 0);
}

static void test_ipv6_add_find_del(void **state)
{
    struct ip_vaddr a = vaddr("2001:db8::10/64");
    unsigned v0 = ifindex("v0"), found = 0;
    assert_int_equal(ip_addr_find(&a, NULL), 0);

    assert_int_equal(ip_addr_add(v0, &a), 0);
    assert_int_equal(ip_addr_find(&a, &found), 1);
    assert_int_equal(found, v0);
    /* Without DAD: usable at once, never tentative. */
    _cleanup_free_ char *out = sh_out("ip -6 -o addr show dev v0");
    const char *line = strstr(out, "2001:db8::10/64");
    if (!line)
        fail_msg("not added: %s", out);
    _cleanup_free_ char *first = xstrndup(line, strcspn(line, "\n"));
    assert_non_null(strstr(first, "nodad"));
    assert_null(strstr(first, "tentative"));

    assert_int_equal(ip_addr_add(v0, &a), 0);
    _cleanup_free_ char *again = sh_out("ip -6 -o addr show dev v0 | grep -c 2001:db8::10/");
    assert_string_equal(again, "1\n");

    assert_int_equal(ip_addr_del(v0, &a), 0);
    assert_int_equal(ip_addr_find(&a, NULL), 0);
    assert_int_equal(ip_addr_del(v0, &a), 0);
    _cleanup_free_ char *gone = sh_out("ip -6 -o addr show dev v0");
    assert_null(strstr(gone, "2001:db8::10/"));
    assert_non_null(strstr(gone, "2001:db8::1/64"));
}

static void test_errors(void **state)
{
    struct ip_vaddr a = vaddr("192.0.2.10/24");
    unsigned none = 0;
    assert_int_equal(ip_ifindex_by_name("vigil-none", &none), -ENODEV);
    assert_int_equal(none, 0);
    assert_int_equal(ip_ifindex_by_name("a-name-much-too-long-for-linux", &none), -ENODEV);
    /* An interface index that does not exist. */
    assert_int_equal(ip_addr_add(99999, &a), -ENODEV);
    struct ip_vaddr bad = a;
    bad.family = AF_UNIX;
    assert_int_equal(ip_addr_add(ifindex("v0"), &bad), -EAFNOSUPPORT);
    assert_int_equal(ip_addr_find(&bad, NULL), -EAFNOSUPPORT);
    assert_int_equal(ip_addr_find(&a, NULL), 0);
}

static void test_ifindex_lookups(void **state)
{
    unsigned i = 0;
    assert_int_equal(ip_ifindex_by_name("v0", &i), 0);
    assert_int_equal(i, ifindex("v0"));
    assert_int_equal(ip_ifindex_by_name("lo", &i), 0);
    assert_int_equal(i, ifindex("lo"));

    struct ip_vaddr v0_4 = vaddr("192.0.2.1/32"), v0_6 = vaddr("2001:db8::1/128");
    struct ip_vaddr lo_4 = vaddr("127.0.0.1/32"), lo_6 = vaddr("::1/128");
    struct ip_vaddr absent = vaddr("192.0.2.99/32"), peers = vaddr("192.0.2.2/32");
    assert_int_equal(ip_ifindex_by_local_addr(AF_INET, v0_4.addr, &i), 0);
    assert_int_equal(i, ifindex("v0"));
    assert_int_equal(ip_ifindex_by_local_addr(AF_INET6, v0_6.addr, &i), 0);
    assert_int_equal(i, ifindex("v0"));
    assert_int_equal(ip_ifindex_by_local_addr(AF_INET, lo_4.addr, &i), 0);
    assert_int_equal(i, ifindex("lo"));
    assert_int_equal(ip_ifindex_by_local_addr(AF_INET6, lo_6.addr, &i), 0);
    assert_int_equal(i, ifindex("lo"));
    i = 12345;
    assert_int_equal(ip_ifindex_by_local_addr(AF_INET, absent.addr, &i), -ENODEV);
    /* The peer's address is in another namespace: not local here. */
    assert_int_equal(ip_ifindex_by_local_addr(AF_INET, peers.addr, &i), -ENODEV);
    assert_int_equal(i, 12345);
    assert_int_equal(ip_ifindex_by_local_addr(AF_UNIX, absent.addr, &i), -EAFNOSUPPORT);
    /* The same, from an address as written in vigil.yaml. */
    i = 0;
    assert_int_equal(ip_ifindex_by_local_text("192.0.2.1", &i), 0);
    assert_int_equal(i, ifindex("v0"));
    assert_int_equal(ip_ifindex_by_local_text("2001:db8::1", &i), 0);
    assert_int_equal(i, ifindex("v0"));
    assert_int_equal(ip_ifindex_by_local_text("192.0.2.99", &i), -ENODEV);
    assert_int_equal(ip_ifindex_by_local_text("not-an-address", &i), -EINVAL);
    /* A virtual address counts as soon as it is there. */
    struct ip_vaddr vip = vaddr("2001:db8::10/64");
    assert_int_equal(ip_ifindex_by_local_addr(AF_INET6, vip.addr, &i), -ENODEV);
    assert_int_equal(ip_addr_add(ifindex("v0"), &vip), 0);
    assert_int_equal(ip_ifindex_by_local_addr(AF_INET6, vip.addr, &i), 0);
    assert_int_equal(i, ifindex("v0"));
}

/* ---- capture on v1 ---- */

/* A socket receiving every frame that arrives on the peer's v1. */
static int capture_open(void)
{
    enter(peer_fd);
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL),
                              .sll_ifindex = (int)ifindex("v1")};
    assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
    enter(node_fd);
    return fd;
}

typedef bool (*frame_pred)(const uint8_t *f, size_t len, const void *arg);

/* Waits up to timeout_ms for an incoming frame that pred accepts; true if one came. */
static bool capture_wait(int fd, frame_pred pred, const void *arg, int timeout_ms)
{
    uint8_t f[2048];
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, timeout_ms) <= 0)
            return false;
        struct sockaddr_ll from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, f, sizeof(f), 0, (struct sockaddr *)&from, &fl);
        assert_true(n >= 0);
        if (from.sll_pkttype != PACKET_OUTGOING && pred(f, (size_t)n, arg))
            return true;
    }
}

/* How many frames pred accepts among those already received. */
static int capture_count(int fd, frame_pred pred, const void *arg)
{
    int n = 0;
    while (capture_wait(fd, pred, arg, 0))
        n++;
    return n;
}

/* A gratuitous ARP request for the VIP arg, from v0, checked field by field. */
static bool is_garp(const uint8_t *f, size_t len, const void *arg)
{
    const struct ip_vaddr *a = arg;
    struct ether_header eh;
    struct ether_arp arp;
    if (len < sizeof(eh) + sizeof(arp))
        return false;
    memcpy(&eh, f, sizeof(eh));
    memcpy(&arp, f + sizeof(eh), sizeof(arp));
    if (ntohs(eh.ether_type) != ETHERTYPE_ARP || memcmp(arp.arp_spa, a->addr, 4) != 0)
        return false;
    static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[ETH_ALEN];
    assert_memory_equal(eh.ether_dhost, bcast, ETH_ALEN);
    assert_memory_equal(eh.ether_shost, v0_mac, ETH_ALEN);
    assert_int_equal(ntohs(arp.arp_hrd), ARPHRD_ETHER);
    assert_int_equal(ntohs(arp.arp_pro), ETHERTYPE_IP);
    assert_int_equal(arp.arp_hln, 6);
    assert_int_equal(arp.arp_pln, 4);
    assert_int_equal(ntohs(arp.arp_op), ARPOP_REQUEST);
    assert_memory_equal(arp.arp_sha, v0_mac, ETH_ALEN);
    assert_memory_equal(arp.arp_tpa, a->addr, 4);
    assert_memory_equal(arp.arp_tha, zero, ETH_ALEN);
    return true;
}

/* The ICMPv6 checksum over the IPv6 pseudo-header and the message; 0 when it is right. */
static uint16_t icmp6_sum(const struct ip6_hdr *ip, const uint8_t *msg, size_t len)
{
    uint32_t sum = 0;
    const uint8_t *addrs = (const uint8_t *)&ip->ip6_src;
    for (size_t i = 0; i < 32; i += 2)
        sum += (uint32_t)(addrs[i] << 8 | addrs[i + 1]);
    sum += (uint32_t)len + IPPROTO_ICMPV6;
    for (size_t i = 0; i < len; i += 2)
        sum += (uint32_t)(msg[i] << 8 | (i + 1 < len ? msg[i + 1] : 0));
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* An unsolicited neighbour advertisement for the VIP arg, from v0 to all nodes. */
static bool is_na(const uint8_t *f, size_t len, const void *arg)
{
    const struct ip_vaddr *a = arg;
    struct ether_header eh;
    struct ip6_hdr ip;
    struct nd_neighbor_advert na;
    if (len < sizeof(eh) + sizeof(ip) + sizeof(na) + 8)
        return false;
    memcpy(&eh, f, sizeof(eh));
    memcpy(&ip, f + sizeof(eh), sizeof(ip));
    const uint8_t *icmp = f + sizeof(eh) + sizeof(ip);
    memcpy(&na, icmp, sizeof(na));
    if (ntohs(eh.ether_type) != ETHERTYPE_IPV6 || ip.ip6_nxt != IPPROTO_ICMPV6 ||
        na.nd_na_type != ND_NEIGHBOR_ADVERT || memcmp(&na.nd_na_target, a->addr, 16) != 0)
        return false;
    static const uint8_t all_nodes_mac[ETH_ALEN] = {0x33, 0x33, 0, 0, 0, 1};
    struct in6_addr all_nodes;
    inet_pton(AF_INET6, "ff02::1", &all_nodes);
    assert_memory_equal(eh.ether_dhost, all_nodes_mac, ETH_ALEN);
    assert_memory_equal(eh.ether_shost, v0_mac, ETH_ALEN);
    assert_int_equal(ip.ip6_hlim, 255);
    assert_memory_equal(&ip.ip6_dst, &all_nodes, 16);
    assert_memory_equal(&ip.ip6_src, a->addr, 16);
    assert_int_equal(na.nd_na_code, 0);
    assert_true(na.nd_na_flags_reserved & ND_NA_FLAG_OVERRIDE);
    assert_false(na.nd_na_flags_reserved & ND_NA_FLAG_SOLICITED);
    assert_false(na.nd_na_flags_reserved & ND_NA_FLAG_ROUTER);
    size_t plen = ntohs(ip.ip6_plen);
    assert_int_equal(plen, sizeof(na) + 8);
    assert_int_equal(icmp6_sum(&ip, icmp, plen), 0);
    const uint8_t *opt = icmp + sizeof(na);
    assert_int_equal(opt[0], ND_OPT_TARGET_LINKADDR);
    assert_int_equal(opt[1], 1);
    assert_memory_equal(opt + 2, v0_mac, ETH_ALEN);
    return true;
}

/* Waits (5 s at most) until v1's neighbour entry for addr has v0's MAC. */
static void wait_neighbour_moved(const char *family, const char *addr)
{
    _cleanup_free_ char *cmd = xasprintf("ip %s neigh show %s dev v1", family, addr);
    wait_output(true, cmd, "lladdr " V0_MAC);
}

static void test_gratuitous_arp(void **state)
{
    struct ip_vaddr a = vaddr("192.0.2.10/24");
    assert_int_equal(ip_addr_add(ifindex("v0"), &a), 0);
    /* The peer believes the VIP is elsewhere, as after a failover. */
    peer_sh("ip neigh add 192.0.2.10 lladdr " BOGUS_MAC " dev v1 nud stale");
    int fd = capture_open();
    assert_int_equal(ip_announce_once(ifindex("v0"), &a), 0);
    assert_true(capture_wait(fd, is_garp, &a, 5000));
    close(fd);
    wait_neighbour_moved("-4", "192.0.2.10");
}

static void test_unsolicited_na(void **state)
{
    struct ip_vaddr a = vaddr("2001:db8::10/64");
    assert_int_equal(ip_addr_add(ifindex("v0"), &a), 0);
    peer_sh("ip -6 neigh add 2001:db8::10 lladdr " BOGUS_MAC " dev v1 nud stale");
    int fd = capture_open();
    assert_int_equal(ip_announce_once(ifindex("v0"), &a), 0);
    assert_true(capture_wait(fd, is_na, &a, 5000));
    close(fd);
    wait_neighbour_moved("-6", "2001:db8::10");
}

static void test_announce_errors(void **state)
{
    struct ip_vaddr a = vaddr("192.0.2.10/24"), a6 = vaddr("2001:db8::10/64");
    /* The loopback has no Ethernet address. */
    assert_int_equal(ip_announce_once(ifindex("lo"), &a), -EOPNOTSUPP);
    assert_int_equal(ip_announce_once(99999, &a), -ENODEV);
    /* An IPv6 announcement needs the address to be there. */
    assert_int_equal(ip_announce_once(ifindex("v0"), &a6), -EADDRNOTAVAIL);
}

/* ---- the announcer ---- */

static void test_announcer_sends_count_then_stops(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct ip_vaddr a = vaddr("192.0.2.10/24");
    assert_int_equal(ip_addr_add(ifindex("v0"), &a), 0);
    int fd = capture_open();

    struct ip_announcer *an = ip_announcer_start(&loop, ifindex("v0"), &a, 3, 20);
    assert_false(ip_announcer_finished(an));
    assert_int_equal(ip_announcer_sent(an, NULL, NULL), 1); /* the first one at once */
    /* The loop ends by itself: the announcer stops after the third. */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(ip_announcer_finished(an));
    unsigned failed = 9;
    int err = 9;
    assert_int_equal(ip_announcer_sent(an, &failed, &err), 3);
    assert_int_equal(failed, 0);
    assert_int_equal(err, 0);
    assert_int_equal(capture_count(fd, is_garp, &a), 3);

    /* Freed after it finished: no double free, nothing left on the loop. */
    ip_announcer_free(an);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    close(fd);
}

static void test_announcer_freed_early(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct ip_vaddr a = vaddr("2001:db8::10/64");
    assert_int_equal(ip_addr_add(ifindex("v0"), &a), 0);
    int fd = capture_open();
    struct ip_announcer *an = ip_announcer_start(&loop, ifindex("v0"), &a, 5, 60000);
    ip_announcer_free(an);
    uv_run(&loop, UV_RUN_DEFAULT); /* returns at once: the timer is gone */
    assert_int_equal(uv_loop_close(&loop), 0);
    usleep(100000);
    assert_int_equal(capture_count(fd, is_na, &a), 1);
    close(fd);
    ip_announcer_free(NULL);
}

static void test_announcer_counts_failures(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct ip_vaddr a = vaddr("192.0.2.10/24");
    struct ip_announcer *an = ip_announcer_start(&loop, ifindex("lo"), &a, 2, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    unsigned failed = 0;
    int err = 0;
    assert_int_equal(ip_announcer_sent(an, &failed, &err), 0);
    assert_int_equal(failed, 2);
    assert_int_equal(err, -EOPNOTSUPP);
    assert_true(ip_announcer_finished(an));
    ip_announcer_free(an);

    /* No announcement at all: finished from the start, still freed by its owner. */
    an = ip_announcer_start(&loop, ifindex("v0"), &a, 0, 10);
    assert_true(ip_announcer_finished(an));
    assert_int_equal(ip_announcer_sent(an, NULL, NULL), 0);
    ip_announcer_free(an);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    start_netns = netns_inode();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format),
        cmocka_unit_test_setup_teardown(test_ipv4_add_find_del, setup_ns, teardown_ns),
        cmocka_unit_test_setup_teardown(test_ipv4_host_prefix_has_no_broadcast, setup_ns,
                                        teardown_ns),
        cmocka_unit_test_setup_teardown(test_ipv6_add_find_del, setup_ns, teardown_ns),
        cmocka_unit_test_setup_teardown(test_errors, setup_ns, teardown_ns),
        cmocka_unit_test_setup_teardown(test_ifindex_lookups, setup_ns, teardown_ns),
        cmocka_unit_test_setup_teardown(test_gratuitous_arp, setup_ns, teardown_ns),
        cmocka_unit_test_setup_teardown(test_unsolicited_na, setup_ns, teardown_ns),
        cmocka_unit_test_setup_teardown(test_announce_errors, setup_ns, teardown_ns),
        cmocka_unit_test_setup_teardown(test_announcer_sends_count_then_stops, setup_ns,
                                        teardown_ns),
        cmocka_unit_test_setup_teardown(test_announcer_freed_early, setup_ns, teardown_ns),
        cmocka_unit_test_setup_teardown(test_announcer_counts_failures, setup_ns, teardown_ns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
