/*
 * The links of MAC takeover: a macvlan interface of its own, with a fixed MAC
 * address, on top of a node's interface, for a virtual IP address that must
 * keep its MAC address when it moves (rtnetlink over libmnl, see nl.h).
 *
 * A macvlan is created in private mode: it exists only to carry one address
 * with its own MAC on the wire, never to talk to sibling macvlans of the same
 * interface (local addresses are reached through the loopback anyway), and
 * private mode keeps one service's broadcasts, such as its gratuitous ARP,
 * off the others' interfaces.
 *
 * Like ip.c, the module keeps no state and acts in the network namespace of
 * the calling thread.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#define MACVLAN_NAME_PREFIX "vm-"

/*
 * The name of the macvlan of resource `resource` of group `group`:
 * "vm-" and the first 12 hex digits of the SHA-256 of "group/resource", 15
 * characters (the most Linux allows). The same on every node, and distinct
 * for distinct resources (resource names are unique in a configuration; two
 * of them sharing 48 bits of a hash is not a practical concern). Written to
 * ret, NUL-terminated.
 */
void macvlan_name(const char *group, const char *resource, char ret[static IFNAMSIZ]);

/* mac as "02:00:c0:00:02:32" into buf (18 bytes); returns buf. */
const char *macvlan_mac_format(const uint8_t mac[6], char buf[static 18]);

/* What macvlan_query finds under a name. */
struct macvlan_link {
    unsigned ifindex;
    bool is_macvlan; /* of kind "macvlan" (else some other interface has the name) */
    unsigned parent; /* the interface it sits on (IFLA_LINK), 0 when none */
    bool up;         /* administratively up (IFF_UP) */
    bool has_mac;
    uint8_t mac[6];
    uint32_t mode; /* MACVLAN_MODE_*, 0 when not a macvlan */
};

/*
 * The interface named name: 0 and *ret, -ENODEV when there is none, or
 * another negative errno (ret untouched then).
 */
int macvlan_query(const char *name, struct macvlan_link *ret);

/*
 * Creates the macvlan name on parent, in private mode, with MAC mac, and
 * brings it up. 0 and its index in *ret_ifindex (may be NULL); -EEXIST when
 * an interface has that name already; or another negative errno (-ENODEV: no
 * interface parent).
 */
int macvlan_create(const char *name, unsigned parent, const uint8_t mac[6], unsigned *ret_ifindex);

/* Brings the interface ifindex up (IFF_UP). 0 or a negative errno. */
int macvlan_set_up(unsigned ifindex);

/*
 * Deletes the macvlan named name. 0, also when there is no interface of that
 * name; -EMEDIUMTYPE when the interface of that name is not a macvlan (it is
 * left alone: vigil deletes only what it could have made); or a negative
 * errno.
 */
int macvlan_delete(const char *name);

/*
 * The IPv4 settings that make the macvlan ifindex the only interface
 * answering for its addresses, so that clients learn its MAC and no other,
 * and let it receive:
 *
 * - on the macvlan: arp_ignore 1 (answer only for addresses it holds itself,
 *   never for the node's own address), arp_announce 2 (never name another
 *   interface's address in its requests), and rp_filter 2 (loose: the route
 *   back to a sender goes through the parent, so a strict filter, even one
 *   set for "all", would drop all that arrives on the macvlan);
 * - on parent, raised if lower (never lowered): arp_ignore to 1, or the
 *   parent, which sees the same broadcast requests, would answer first for
 *   the macvlan's address with its own MAC; and arp_announce to 2, or the
 *   parent's own ARP requests, sent for replies from the virtual address,
 *   would name that address with the parent's MAC. Its rp_filter is left
 *   alone.
 *
 * The parent's settings are left raised afterwards (other macvlans may need
 * them; they are what a host with several addresses on one network wants).
 * 0 and in *ret_raised (may be NULL) whether the parent's settings had to be
 * raised; or a negative errno.
 */
int macvlan_arp_setup(unsigned ifindex, unsigned parent, bool *ret_raised);
