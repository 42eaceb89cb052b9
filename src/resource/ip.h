/*
 * Virtual IP addresses over netlink (libmnl), and their announcement:
 * gratuitous ARP for IPv4, unsolicited neighbour advertisements for IPv6, so
 * that clients and switches move to this node at once.
 *
 * The netlink calls are synchronous requests to the local kernel; they never
 * wait on the network, so the daemon may call them from its loop. Each call
 * opens a netlink socket of its own and waits for the kernel's answer (its ACK
 * and errno, or the end of a dump), so the module keeps no state, and a call
 * acts on the network namespace of the calling thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

struct ip_vaddr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    uint8_t prefix;
};

/* Parses "ADDRESS/PREFIX" (IPv4 or IPv6). 0 or -EINVAL. */
int ip_vaddr_parse(const char *text, struct ip_vaddr *ret);
/* Formats a as "ADDRESS/PREFIX" into buf (64 bytes). */
const char *ip_vaddr_format(const struct ip_vaddr *a, char buf[static 64]);

/*
 * The index of the interface carrying the local address `addr` of `family`
 * (the node's own address on a heartbeat network). 0, -ENODEV when no
 * interface has it, or another negative errno.
 */
int ip_ifindex_by_local_addr(int family, const uint8_t addr[16], unsigned *ret_ifindex);
/* The same for an address written as text ("192.0.2.1", "2001:db8::1"). */
int ip_ifindex_by_local_text(const char *addr, unsigned *ret_ifindex);
/* The index of the interface named name. 0 or -ENODEV. */
int ip_ifindex_by_name(const char *name, unsigned *ret_ifindex);

/*
 * Adds a to ifindex (IPv6 without duplicate address detection, so it is usable
 * at once). Already present on that interface counts as success. 0 or a
 * negative errno.
 */
int ip_addr_add(unsigned ifindex, const struct ip_vaddr *a);
/* Removes a from ifindex. Absent counts as success. 0 or a negative errno. */
int ip_addr_del(unsigned ifindex, const struct ip_vaddr *a);
/*
 * Whether a (address and prefix) is assigned to any interface: 1 and its
 * index in *ret_ifindex (may be NULL), 0 when absent, or a negative errno.
 */
int ip_addr_find(const struct ip_vaddr *a, unsigned *ret_ifindex);

/*
 * Sends one gratuitous ARP request (IPv4) or one unsolicited neighbour
 * advertisement to all nodes (IPv6, override flag set) for a from ifindex.
 * The interface must have an Ethernet address (else -EOPNOTSUPP); an IPv6
 * advertisement is sent from a itself, so a must be assigned (as
 * ip_addr_add does, without DAD). 0 or a negative errno.
 */
int ip_announce_once(unsigned ifindex, const struct ip_vaddr *a);

struct ip_announcer;

/*
 * Announces a on ifindex `count` times: at once, then every interval_ms.
 * The announcer stops by itself after the last one; ip_announcer_free stops
 * it early. Failures are counted, not fatal (the address is up either way).
 *
 * Ownership: the announcer is owned by the caller, who must call
 * ip_announcer_free exactly once, whether it has finished or not. After the
 * last announcement it only stops its timer and stays allocated (it never
 * frees itself), so the caller's pointer stays valid until the free. The
 * memory is released when the loop has closed the timer: run the loop after
 * the free (uv_loop_close needs it anyway). a is copied. Never NULL.
 */
struct ip_announcer *ip_announcer_start(uv_loop_t *loop, unsigned ifindex, const struct ip_vaddr *a,
                                        unsigned count, uint64_t interval_ms);
/* Whether the last announcement has been sent. */
bool ip_announcer_finished(const struct ip_announcer *an);
/*
 * How many announcements went out; the failed ones in *ret_failed and the
 * last failure's negative errno (0: none) in *ret_error, both may be NULL.
 */
unsigned ip_announcer_sent(const struct ip_announcer *an, unsigned *ret_failed, int *ret_error);
/* Stops the announcer (if it still runs) and frees it. Accepts NULL. */
void ip_announcer_free(struct ip_announcer *an);

#define IP_ANNOUNCE_COUNT       5
#define IP_ANNOUNCE_INTERVAL_MS 200
