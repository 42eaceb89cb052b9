/*
 * Shared by the unit tests that change network interfaces (test_ip.c,
 * test_macvlan.c): a network namespace of their own to do it in.
 *
 * They run as root. Before a test touches any interface, this
 * (single-threaded) process creates two network namespaces of its own with
 * unshare(CLONE_NEWNET): a "peer" and a "node", and checks that it is no
 * longer in the namespace it started in. Only then does it create a veth
 * pair: v0 in the node, where the test runs, and v1 in the peer, which
 * plays the client's host (the kernel treats a gratuitous ARP for one of its
 * own addresses differently, so the two ends must not share a namespace).
 * Nothing is ever created in the namespace the test was started in; both
 * namespaces and the pair vanish with the last reference. Addresses:
 * 192.0.2.0/24 and 2001:db8::/32 only.
 *
 * The including file includes <cmocka.h> first. It sets start_netns = netns_inode() first thing in
 * main, and uses setup_ns / teardown_ns around each test that needs them.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define V0_MAC "02:00:00:00:00:01"
#define V1_MAC "02:00:00:00:00:02"

static ino_t start_netns;              /* the namespace the test started in: never touched */
static int node_fd = -1, peer_fd = -1; /* the namespaces of the current test */

static inline ino_t netns_inode(void)
{
    struct stat st;
    assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
    return st.st_ino;
}

static inline int open_netns(void)
{
    return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

static inline void enter(int ns_fd)
{
    assert_int_equal(setns(ns_fd, CLONE_NEWNET), 0);
    assert_true(netns_inode() != start_netns);
}

static inline void vsh(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static inline void vsh(const char *fmt, va_list ap)
{
    assert_true(netns_inode() != start_netns);
    _cleanup_free_ char *cmd = xvasprintf(fmt, ap);
    if (system(cmd) != 0)
        fail_msg("command failed: %s", cmd);
}

/* Runs a shell command in the node namespace (only ever one this test created). */
static inline void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsh(fmt, ap);
    va_end(ap);
}

/* Runs a shell command in the peer namespace. */
static inline void peer_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void peer_sh(const char *fmt, ...)
{
    enter(peer_fd);
    va_list ap;
    va_start(ap, fmt);
    vsh(fmt, ap);
    va_end(ap);
    enter(node_fd);
}

/* The whole output of a shell command, run in the current (test) namespace. */
static inline char *sh_out(const char *cmd)
{
    assert_true(netns_inode() != start_netns);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    char buf[512];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, mem);
    fclose(mem);
    pclose(f);
    return out;
}

static inline char *peer_sh_out(const char *cmd)
{
    enter(peer_fd);
    char *out = sh_out(cmd);
    enter(node_fd);
    return out;
}

/* Waits (5 s at most) until the output of cmd, run in the node or the peer, contains needle. */
static inline void wait_output(bool in_peer, const char *cmd, const char *needle)
{
    for (int i = 0; i < 500; i++) {
        _cleanup_free_ char *out = in_peer ? peer_sh_out(cmd) : sh_out(cmd);
        if (strstr(out, needle))
            return;
        if (i == 499)
            fail_msg("%s: no \"%s\" in: %s", cmd, needle, out);
        usleep(10000);
    }
}

/*
 * Fresh namespaces: the node with v0 (192.0.2.1/24, 2001:db8::1/64), the peer
 * with v1 (.2, ::2), both up. The test runs in the node.
 */
static inline int setup_ns(void **state)
{
    if (unshare(CLONE_NEWNET) < 0) {
        fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
        return -1;
    }
    peer_fd = open_netns();
    if (unshare(CLONE_NEWNET) < 0 || peer_fd < 0)
        return -1;
    node_fd = open_netns();
    if (node_fd < 0 || netns_inode() == start_netns)
        return -1;
    sh("ip link set lo up && "
       "ip link add v0 address " V0_MAC " type veth "
       "peer name v1 address " V1_MAC " netns /proc/%d/fd/%d && "
       "ip addr add 192.0.2.1/24 dev v0 && ip -6 addr add 2001:db8::1/64 dev v0 nodad && "
       "ip link set v0 up",
       (int)getpid(), peer_fd);
    peer_sh("ip link set lo up && ip addr add 192.0.2.2/24 dev v1 && "
            "ip -6 addr add 2001:db8::2/64 dev v1 nodad && ip link set v1 up");
    /*
     * Up is not yet ready: until the link's operational state is up, IPv6 is
     * not configured on it (no link-local address, no multicast route) and
     * drops what arrives. Ready when each end has its link-local address.
     */
    wait_output(false, "ip -6 -o addr show dev v0 scope link", "fe80::");
    wait_output(true, "ip -6 -o addr show dev v1 scope link", "fe80::");
    return 0;
}

/* The namespaces go with their last reference; the process stays in the node until the next. */
static inline int teardown_ns(void **state)
{
    close(peer_fd);
    close(node_fd);
    peer_fd = node_fd = -1;
    return 0;
}

static inline unsigned ifindex(const char *name)
{
    unsigned i = if_nametoindex(name);
    assert_true(i > 0);
    return i;
}
