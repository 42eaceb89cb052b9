#include "resource/ip.h"
#include "base/util.h"
#include "resource/macvlan.h"
#include "resource/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t family_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

int ip_vaddr_parse(const char *text, struct ip_vaddr *ret)
{
    const char *slash = strchr(text, '/');
    if (!slash || slash == text || (size_t)(slash - text) >= INET6_ADDRSTRLEN)
        return -EINVAL;
    char host[INET6_ADDRSTRLEN];
    memcpy(host, text, (size_t)(slash - text));
    host[slash - text] = '\0';

    struct ip_vaddr a = {0};
    if (inet_pton(AF_INET, host, a.addr) == 1)
        a.family = AF_INET;
    else if (inet_pton(AF_INET6, host, a.addr) == 1)
        a.family = AF_INET6;
    else
        return -EINVAL;

    /* The prefix: 1 to 3 decimal digits, nothing else. */
    const char *p = slash + 1;
    unsigned prefix = 0;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
        prefix = prefix * 10 + (unsigned)(*p - '0');
    if (digits == 0 || digits > 3 || *p != '\0' || prefix > family_len(a.family) * 8)
        return -EINVAL;
    a.prefix = (uint8_t)prefix;
    *ret = a;
    return 0;
}

const char *ip_vaddr_format(const struct ip_vaddr *a, char buf[static 64])
{
    char host[INET6_ADDRSTRLEN];
    if (!inet_ntop(a->family, a->addr, host, sizeof(host)))
        snprintf(host, sizeof(host), "?");
    snprintf(buf, 64, "%s/%u", host, (unsigned)a->prefix);
    return buf;
}

int ip_ifindex_by_name(const char *name, unsigned *ret_ifindex)
{
    if (strlen(name) >= IFNAMSIZ)
        return -ENODEV;
    unsigned i = if_nametoindex(name);
    if (i == 0)
        return -ENODEV;
    *ret_ifindex = i;
    return 0;
}

/* ---- netlink ---- */

/* An address request for a on ifindex (0 for a dump), in buf. */
static struct nlmsghdr *addr_msg(char *buf, uint16_t type, uint16_t flags, int family,
                                 unsigned ifindex, uint8_t prefix)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = (uint8_t)family;
    ifa->ifa_prefixlen = prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = ifindex;
    return nlh;
}

struct addr_attrs {
    const struct nlattr *local, *address;
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
    struct addr_attrs *t = data;
    uint16_t type = mnl_attr_get_type(attr);
    if (type == IFA_LOCAL)
        t->local = attr;
    else if (type == IFA_ADDRESS)
        t->address = attr;
    return MNL_CB_OK;
}

/*
 * What a dump of addresses looks for: addr of family, with prefix unless
 * any_prefix. found and ifindex: the first interface holding it. With `on`
 * set, also whether that interface holds it (on_found) and the first other
 * one that does (other, 0: none).
 */
struct addr_query {
    int family;
    const uint8_t *addr;
    uint8_t prefix;
    bool any_prefix;
    unsigned on;
    bool found;
    unsigned ifindex;
    bool on_found;
    unsigned other;
};

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
    struct addr_query *q = data;
    if ((q->found && !q->on) || nlh->nlmsg_type != RTM_NEWADDR)
        return MNL_CB_OK;
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    if (ifa->ifa_family != q->family || (!q->any_prefix && ifa->ifa_prefixlen != q->prefix))
        return MNL_CB_OK;
    struct addr_attrs t = {0};
    if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, &t) < 0)
        return MNL_CB_OK;
    /* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer's on point-to-point links. */
    const struct nlattr *a = t.local ? t.local : t.address;
    size_t len = family_len(q->family);
    if (a && mnl_attr_get_payload_len(a) == len &&
        memcmp(mnl_attr_get_payload(a), q->addr, len) == 0) {
        if (!q->found)
            q->ifindex = ifa->ifa_index;
        q->found = true;
        if (q->on && ifa->ifa_index == q->on)
            q->on_found = true;
        else if (!q->other)
            q->other = ifa->ifa_index;
    }
    /* Keep reading: the rest of the dump must be consumed, not left on the socket. */
    return MNL_CB_OK;
}

/* Runs an address dump for q. 0 or a negative errno. */
static int addr_lookup(struct addr_query *q)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    int r = -EINTR;
    for (int i = 0; i < NL_DUMP_TRIES && r == -EINTR; i++) {
        q->found = q->on_found = false;
        q->ifindex = q->other = 0;
        struct nlmsghdr *nlh = addr_msg(buf, RTM_GETADDR, NLM_F_DUMP, q->family, 0, 0);
        r = nl_talk(nlh, addr_dump_cb, q);
    }
    return r;
}

int ip_ifindex_by_local_addr(int family, const uint8_t addr[16], unsigned *ret_ifindex)
{
    if (family != AF_INET && family != AF_INET6)
        return -EAFNOSUPPORT;
    struct addr_query q = {.family = family, .addr = addr, .any_prefix = true};
    int r = addr_lookup(&q);
    if (r < 0)
        return r;
    if (!q.found)
        return -ENODEV;
    *ret_ifindex = q.ifindex;
    return 0;
}

int ip_addr_find(const struct ip_vaddr *a, unsigned *ret_ifindex)
{
    if (a->family != AF_INET && a->family != AF_INET6)
        return -EAFNOSUPPORT;
    struct addr_query q = {.family = a->family, .addr = a->addr, .prefix = a->prefix};
    int r = addr_lookup(&q);
    if (r < 0)
        return r;
    if (q.found && ret_ifindex)
        *ret_ifindex = q.ifindex;
    return q.found ? 1 : 0;
}

/* The IPv4 broadcast address of a as `ip address add ... brd +` sets it; false for /31 and /32. */
static bool ipv4_broadcast(const struct ip_vaddr *a, uint8_t ret[4])
{
    if (a->prefix > 30)
        return false;
    uint32_t v;
    memcpy(&v, a->addr, 4);
    uint32_t host = a->prefix == 0 ? 0xffffffffu : (1u << (32 - a->prefix)) - 1;
    v = htonl(ntohl(v) | host);
    memcpy(ret, &v, 4);
    return true;
}

/*
 * A new address is added with NLM_F_EXCL: when it is already on ifindex the
 * kernel answers EEXIST and leaves it as it is (an address the admin set up
 * keeps its own flags and lifetimes), and that counts as success.
 */
int ip_addr_add(unsigned ifindex, const struct ip_vaddr *a)
{
    if (a->family != AF_INET && a->family != AF_INET6)
        return -EAFNOSUPPORT;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    size_t len = family_len(a->family);
    struct nlmsghdr *nlh = addr_msg(buf, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
                                    a->family, ifindex, a->prefix);
    mnl_attr_put(nlh, IFA_LOCAL, len, a->addr);
    mnl_attr_put(nlh, IFA_ADDRESS, len, a->addr);
    if (a->family == AF_INET) {
        uint8_t brd[4];
        if (ipv4_broadcast(a, brd))
            mnl_attr_put(nlh, IFA_BROADCAST, sizeof(brd), brd);
    } else {
        /* No duplicate address detection: usable at once, and as a source address. */
        struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        ifa->ifa_flags = IFA_F_NODAD;
        mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
    }
    int r = nl_talk(nlh, NULL, NULL);
    return r == -EEXIST ? 0 : r;
}

int ip_addr_del(unsigned ifindex, const struct ip_vaddr *a)
{
    if (a->family != AF_INET && a->family != AF_INET6)
        return -EAFNOSUPPORT;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    size_t len = family_len(a->family);
    struct nlmsghdr *nlh = addr_msg(buf, RTM_DELADDR, NLM_F_ACK, a->family, ifindex, a->prefix);
    mnl_attr_put(nlh, IFA_LOCAL, len, a->addr);
    mnl_attr_put(nlh, IFA_ADDRESS, len, a->addr);
    int r = nl_talk(nlh, NULL, NULL);
    return r == -EADDRNOTAVAIL || r == -ENOENT ? 0 : r;
}

/* ---- announcements ---- */

/* The Ethernet address of ifindex. 0, -EOPNOTSUPP when it has none, or a negative errno. */
static int if_ether_addr(int sock, unsigned ifindex, uint8_t ret[ETH_ALEN])
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    if (!if_indextoname(ifindex, ifr.ifr_name))
        return -ENODEV;
    if (ioctl(sock, SIOCGIFHWADDR, &ifr) < 0)
        return -errno;
    if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
        return -EOPNOTSUPP;
    memcpy(ret, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
    return 0;
}

/*
 * A gratuitous ARP request: "who has VIP? tell VIP", from the interface's
 * MAC to the broadcast MAC. An AF_PACKET datagram socket with protocol 0
 * receives nothing; the kernel writes the Ethernet header (source: the
 * interface's MAC) from the destination given to sendto.
 */
static int announce_arp(unsigned ifindex, const struct ip_vaddr *a)
{
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct ether_arp arp;
    memset(&arp, 0, sizeof(arp));
    int r = if_ether_addr(fd, ifindex, arp.arp_sha);
    if (r < 0)
        goto out;
    arp.arp_hrd = htons(ARPHRD_ETHER);
    arp.arp_pro = htons(ETHERTYPE_IP);
    arp.arp_hln = ETH_ALEN;
    arp.arp_pln = 4;
    arp.arp_op = htons(ARPOP_REQUEST);
    memcpy(arp.arp_spa, a->addr, 4);
    memcpy(arp.arp_tpa, a->addr, 4); /* arp_tha stays zero: unknown */

    struct sockaddr_ll to;
    memset(&to, 0, sizeof(to));
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_ARP);
    to.sll_ifindex = (int)ifindex;
    to.sll_halen = ETH_ALEN;
    memset(to.sll_addr, 0xff, ETH_ALEN);
    if (sendto(fd, &arp, sizeof(arp), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
        r = -errno;
out:
    close(fd);
    return r;
}

/* An ICMPv6 neighbour advertisement with its target link-layer address option. */
struct na_packet {
    struct nd_neighbor_advert na;
    struct nd_opt_hdr opt;
    uint8_t lladdr[ETH_ALEN];
};
_Static_assert(sizeof(struct na_packet) == 32, "no padding in a neighbour advertisement");

/*
 * An unsolicited neighbour advertisement (RFC 4861 7.2.6) to all nodes,
 * ff02::1: override set, solicited clear, hop limit 255, from the VIP itself
 * (usable at once: it was added without DAD). The kernel computes the ICMPv6
 * checksum of raw ICMPv6 sockets.
 */
static int announce_na(unsigned ifindex, const struct ip_vaddr *a)
{
    int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (fd < 0)
        return -errno;
    struct na_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    int r = if_ether_addr(fd, ifindex, pkt.lladdr);
    if (r < 0)
        goto out;
    pkt.na.nd_na_type = ND_NEIGHBOR_ADVERT;
    pkt.na.nd_na_code = 0;
    pkt.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
    memcpy(&pkt.na.nd_na_target, a->addr, 16);
    pkt.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
    pkt.opt.nd_opt_len = 1; /* in units of 8 bytes: type, length and 6 bytes of address */

    int ifi = (int)ifindex, hops = 255;
    struct sockaddr_in6 src = {.sin6_family = AF_INET6};
    memcpy(&src.sin6_addr, a->addr, 16);
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi, sizeof(ifi)) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
        bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
        r = -errno;
        goto out;
    }
    struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = ifindex};
    inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
    if (sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
        r = -errno;
out:
    close(fd);
    return r;
}

int ip_announce_once(unsigned ifindex, const struct ip_vaddr *a)
{
    if (a->family == AF_INET)
        return announce_arp(ifindex, a);
    if (a->family == AF_INET6)
        return announce_na(ifindex, a);
    return -EAFNOSUPPORT;
}

/* ---- the announcer ---- */

struct ip_announcer {
    uv_timer_t timer;
    unsigned ifindex;
    struct ip_vaddr a;
    unsigned left; /* announcements still to send */
    unsigned sent, failed;
    int last_error;
};

static void announce(struct ip_announcer *an)
{
    int r = ip_announce_once(an->ifindex, &an->a);
    if (r < 0) {
        an->failed++;
        an->last_error = r;
    } else {
        an->sent++;
    }
    an->left--;
}

static void on_announce_timer(uv_timer_t *t)
{
    struct ip_announcer *an = t->data;
    announce(an);
    if (an->left == 0)
        uv_timer_stop(&an->timer);
}

struct ip_announcer *ip_announcer_start(uv_loop_t *loop, unsigned ifindex, const struct ip_vaddr *a,
                                        unsigned count, uint64_t interval_ms)
{
    struct ip_announcer *an = xcalloc(1, sizeof(*an));
    uv_timer_init(loop, &an->timer);
    an->timer.data = an;
    an->ifindex = ifindex;
    an->a = *a;
    an->left = count;
    if (an->left > 0)
        announce(an);
    if (an->left > 0)
        uv_timer_start(&an->timer, on_announce_timer, interval_ms, interval_ms);
    return an;
}

bool ip_announcer_finished(const struct ip_announcer *an)
{
    return an->left == 0;
}

unsigned ip_announcer_sent(const struct ip_announcer *an, unsigned *ret_failed, int *ret_error)
{
    if (ret_failed)
        *ret_failed = an->failed;
    if (ret_error)
        *ret_error = an->last_error;
    return an->sent;
}

static void on_announcer_closed(uv_handle_t *h)
{
    free(h->data);
}

void ip_announcer_free(struct ip_announcer *an)
{
    if (!an)
        return;
    uv_timer_stop(&an->timer);
    uv_close((uv_handle_t *)&an->timer, on_announcer_closed);
}

int ip_ifindex_by_local_text(const char *addr, unsigned *ret_ifindex)
{
    char withlen[INET6_ADDRSTRLEN + 8];
    snprintf(withlen, sizeof(withlen), "%s/%d", addr, strchr(addr, ':') ? 128 : 32);
    struct ip_vaddr a;
    int r = ip_vaddr_parse(withlen, &a);
    return r < 0 ? r : ip_ifindex_by_local_addr(a.family, a.addr, ret_ifindex);
}

/* ---- the virtual IP as a resource holds it ---- */

/* Whether `on` (0: none) holds a, and another interface that does (0: none) in *ret_other. */
static int addr_where(const struct ip_vaddr *a, unsigned on, bool *ret_on, unsigned *ret_other)
{
    if (a->family != AF_INET && a->family != AF_INET6)
        return -EAFNOSUPPORT;
    struct addr_query q = {.family = a->family, .addr = a->addr, .prefix = a->prefix, .on = on};
    int r = addr_lookup(&q);
    if (r < 0)
        return r;
    *ret_on = q.on_found;
    *ret_other = q.other;
    return 0;
}

/* The name of interface ifindex for messages ("#7" when it has none). */
static const char *if_label(unsigned ifindex, char buf[static IFNAMSIZ])
{
    if (!if_indextoname(ifindex, buf))
        snprintf(buf, IFNAMSIZ, "#%u", ifindex);
    return buf;
}

static void set_msg(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(char **ret, const char *fmt, ...)
{
    if (!ret)
        return;
    va_list ap;
    va_start(ap, fmt);
    free(*ret);
    *ret = xvasprintf(fmt, ap);
    va_end(ap);
}

static int vip_mac_state(const struct ip_vip *v, unsigned parent, char **ret_why)
{
    char addr[64], want[18], have[18], n1[IFNAMSIZ], n2[IFNAMSIZ];
    ip_vaddr_format(&v->a, addr);
    struct macvlan_link l = {0};
    int r = macvlan_query(v->link, &l);
    if (r < 0 && r != -ENODEV)
        return r;
    bool exists = r == 0, on = false;
    unsigned other = 0;
    r = addr_where(&v->a, exists && l.is_macvlan ? l.ifindex : 0, &on, &other);
    if (r < 0)
        return r;
    if (!exists) {
        if (!other)
            return IP_VIP_DOWN;
        set_msg(ret_why, "%s is on %s, without its macvlan %s", addr, if_label(other, n1), v->link);
    } else if (!l.is_macvlan) {
        set_msg(ret_why, "interface %s is not a macvlan", v->link);
    } else if (parent && l.parent != parent) {
        set_msg(ret_why, "macvlan %s is on %s, not on %s", v->link, if_label(l.parent, n1),
                if_label(parent, n2));
    } else if (!l.has_mac || memcmp(l.mac, v->mac, sizeof(v->mac)) != 0) {
        set_msg(ret_why, "macvlan %s has MAC %s, not %s", v->link,
                l.has_mac ? macvlan_mac_format(l.mac, have) : "none",
                macvlan_mac_format(v->mac, want));
    } else if (!l.up) {
        set_msg(ret_why, "macvlan %s is down", v->link);
    } else if (!on) {
        set_msg(ret_why, "macvlan %s has no address %s", v->link, addr);
    } else if (other) {
        set_msg(ret_why, "%s is also on %s", addr, if_label(other, n1));
    } else {
        return IP_VIP_UP;
    }
    return IP_VIP_PARTIAL;
}

int ip_vip_state(const struct ip_vip *v, unsigned parent, char **ret_why)
{
    if (v->has_mac)
        return vip_mac_state(v, parent, ret_why);
    int r = ip_addr_find(&v->a, NULL);
    return r < 0 ? r : r ? IP_VIP_UP : IP_VIP_DOWN;
}

/* The macvlan of v on parent, as it should be and up: its index in *ret_ifindex. */
static int vip_link_up(const struct ip_vip *v, unsigned parent, unsigned *ret_ifindex,
                       char **ret_err)
{
    char mac[18], pname[IFNAMSIZ];
    struct macvlan_link l = {0};
    int r = macvlan_query(v->link, &l);
    if (r == 0 && !l.is_macvlan) {
        set_msg(ret_err, "interface %s exists and is not a macvlan", v->link);
        return -EEXIST;
    }
    if (r == 0 &&
        (l.parent != parent || !l.has_mac || memcmp(l.mac, v->mac, sizeof(v->mac)) != 0)) {
        /* Left by an earlier run with another MAC or interface: made again. */
        r = macvlan_delete(v->link);
        if (r < 0) {
            set_msg(ret_err, "cannot delete macvlan %s: %s", v->link, strerror(-r));
            return r;
        }
        r = -ENODEV;
    }
    if (r == -ENODEV) {
        r = macvlan_create(v->link, parent, v->mac, &l.ifindex);
        if (r < 0)
            set_msg(ret_err, "cannot create macvlan %s with MAC %s on %s: %s", v->link,
                    macvlan_mac_format(v->mac, mac), if_label(parent, pname), strerror(-r));
    } else if (r < 0) {
        set_msg(ret_err, "cannot look up interface %s: %s", v->link, strerror(-r));
    } else if (!l.up) {
        r = macvlan_set_up(l.ifindex);
        if (r < 0)
            set_msg(ret_err, "cannot bring macvlan %s up: %s", v->link, strerror(-r));
    }
    if (r == 0)
        *ret_ifindex = l.ifindex;
    return r;
}

int ip_vip_up(const struct ip_vip *v, unsigned parent, unsigned *ret_ifindex, bool *ret_arp_raised,
              char **ret_err)
{
    char addr[64], name[IFNAMSIZ];
    ip_vaddr_format(&v->a, addr);
    bool raised = false;
    int r;
    if (!v->has_mac) {
        r = ip_addr_add(parent, &v->a);
        if (r < 0) {
            set_msg(ret_err, "cannot add %s: %s", addr, strerror(-r));
            return r;
        }
        *ret_ifindex = parent;
        if (ret_arp_raised)
            *ret_arp_raised = false;
        return 0;
    }
    unsigned ifindex = 0;
    r = vip_link_up(v, parent, &ifindex, ret_err);
    if (r < 0)
        return r;
    /* Before the address is there, so that only the macvlan ever answers for it. */
    if (v->a.family == AF_INET) {
        r = macvlan_arp_setup(ifindex, parent, &raised);
        if (r < 0) {
            set_msg(ret_err, "cannot set the ARP settings of %s and %s: %s", v->link,
                    if_label(parent, name), strerror(-r));
            return r;
        }
    }
    /* The address answers from the macvlan's MAC only: a copy elsewhere goes. */
    bool on = false;
    unsigned other = 0;
    for (int i = 0; i < 4 && (r = addr_where(&v->a, ifindex, &on, &other)) == 0 && other; i++)
        r = ip_addr_del(other, &v->a);
    if (r < 0) {
        set_msg(ret_err, "cannot remove %s from %s: %s", addr, if_label(other, name), strerror(-r));
        return r;
    }
    r = ip_addr_add(ifindex, &v->a);
    if (r < 0) {
        set_msg(ret_err, "cannot add %s to %s: %s", addr, v->link, strerror(-r));
        return r;
    }
    *ret_ifindex = ifindex;
    if (ret_arp_raised)
        *ret_arp_raised = raised;
    return 0;
}

int ip_vip_down(const struct ip_vip *v, char **ret_err)
{
    char addr[64];
    ip_vaddr_format(&v->a, addr);
    unsigned ifindex = 0;
    int r = 0;
    for (int i = 0; i < 4 && (r = ip_addr_find(&v->a, &ifindex)) == 1; i++)
        r = ip_addr_del(ifindex, &v->a);
    if (r < 0) {
        set_msg(ret_err, "cannot remove %s: %s", addr, strerror(-r));
        return r;
    }
    if (!v->has_mac)
        return 0;
    r = macvlan_delete(v->link);
    if (r == -EMEDIUMTYPE)
        return 0; /* not ours */
    if (r < 0) {
        set_msg(ret_err, "cannot delete macvlan %s: %s", v->link, strerror(-r));
        return r;
    }
    return 0;
}

int ip_local_node(const struct cfg *cfg)
{
    for (size_t n = 0; n < cfg->n_nodes; n++) {
        for (size_t k = 0; k < cfg->n_networks; k++) {
            const char *a = cfg->nodes[n].addr[k];
            unsigned ifindex;
            if (a && ip_ifindex_by_local_text(a, &ifindex) == 0)
                return (int)n;
        }
    }
    return -1;
}
