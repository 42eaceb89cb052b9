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

#include "config/config.h"

#include <net/if.h>
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
/*
 * The node of cfg that this machine is: the first whose address on some
 * network is one of this machine's; -1 when none is.
 */
int ip_local_node(const struct cfg *cfg);
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

/*
 * A virtual IP address as an ip resource holds it: on an interface of the
 * node (the parent), or, with a fixed MAC address (MAC takeover), on a
 * macvlan of its own with that MAC on top of the parent (see macvlan.h), so
 * that a client that ignores gratuitous ARP still reaches it after a move.
 */
struct ip_vip {
    struct ip_vaddr a;
    bool has_mac;
    uint8_t mac[6];
    char link[IFNAMSIZ]; /* with has_mac: the macvlan's name (macvlan_name) */
};

enum ip_vip_state {
    IP_VIP_UP,      /* all of it is there */
    IP_VIP_DOWN,    /* nothing of it is there */
    IP_VIP_PARTIAL, /* some of it, not all (with has_mac only): a leftover, or broken */
};

/*
 * Where v stands on this node: an ip_vip_state, or a negative errno. Without
 * a MAC, up when the address is assigned to any interface. With a MAC, up
 * when its macvlan exists, sits on parent (0: on any), is up, has the MAC and
 * holds the address, which no other interface holds; down when there is
 * neither the macvlan nor the address; partial otherwise, and then *ret_why
 * says what is wrong ("macvlan vm-... has no address 192.0.2.50/24"; owned by
 * the caller; may be NULL).
 */
int ip_vip_state(const struct ip_vip *v, unsigned parent, char **ret_why);

/*
 * Puts v up on parent. Without a MAC: adds the address to parent. With a MAC:
 * makes sure its macvlan is there as it should be on parent (created, or an
 * earlier one of the wrong kind of MAC, parent or mode replaced, and up),
 * gives it and parent the ARP settings of macvlan_arp_setup (IPv4), removes
 * the address from any other interface, and adds it to the macvlan.
 *
 * 0, with the index of the interface holding the address (where to announce
 * it from) in *ret_ifindex, and whether the parent's ARP settings were raised
 * in *ret_arp_raised (may be NULL). Or a negative errno and, in *ret_err, one
 * line for operators (owned by the caller).
 */
int ip_vip_up(const struct ip_vip *v, unsigned parent, unsigned *ret_ifindex, bool *ret_arp_raised,
              char **ret_err);

/*
 * Takes v down: removes the address from every interface holding it, then,
 * with a MAC, deletes its macvlan (an interface of that name that is not a
 * macvlan is left alone: vigil never made it). Nothing there is success.
 * 0, or a negative errno and one line in *ret_err (owned by the caller).
 */
int ip_vip_down(const struct ip_vip *v, char **ret_err);
