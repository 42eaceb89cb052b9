#include "resource/macvlan.h"
#include "base/sha256.h"
#include "base/util.h"
#include "resource/nl.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define NAME_HASH_DIGITS (IFNAMSIZ - 1 - (sizeof(MACVLAN_NAME_PREFIX) - 1))

void macvlan_name(const char *group, const char *resource, char ret[static IFNAMSIZ])
{
    _cleanup_free_ char *key = xasprintf("%s/%s", group, resource);
    char hex[SHA256_HEX_LEN + 1];
    sha256_hex(key, strlen(key), hex);
    snprintf(ret, IFNAMSIZ, "%s%.*s", MACVLAN_NAME_PREFIX, (int)NAME_HASH_DIGITS, hex);
}

const char *macvlan_mac_format(const uint8_t mac[6], char buf[static 18])
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
    return buf;
}

/* A link request of type with flags for ifindex (0: by name), in buf. */
static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, unsigned ifindex)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = (int)ifindex;
    return nlh;
}

/* ---- query ---- */

/* One level of attributes, by type (types past max are skipped). */
struct attr_table {
    const struct nlattr **tb;
    uint16_t max;
};

static int table_cb(const struct nlattr *attr, void *data)
{
    struct attr_table *t = data;
    uint16_t type = mnl_attr_get_type(attr);
    if (type <= t->max)
        t->tb[type] = attr;
    return MNL_CB_OK;
}

static void parse_nested(const struct nlattr *nest, const struct nlattr **tb, uint16_t max)
{
    struct attr_table t = {tb, max};
    mnl_attr_parse_nested(nest, table_cb, &t);
}

/* What a link query answers: the link, and its IPv4 settings when asked for. */
struct link_answer {
    bool seen;
    struct macvlan_link link;
    uint32_t *conf; /* IPV4_DEVCONF_MAX values (index i - 1 for setting i), or NULL */
    bool has_conf;
};

static void read_kind(const struct nlattr *linkinfo, struct macvlan_link *l)
{
    const struct nlattr *info[IFLA_INFO_MAX + 1] = {0};
    parse_nested(linkinfo, info, IFLA_INFO_MAX);
    if (!info[IFLA_INFO_KIND] || strcmp(mnl_attr_get_str(info[IFLA_INFO_KIND]), "macvlan") != 0)
        return;
    l->is_macvlan = true;
    if (!info[IFLA_INFO_DATA])
        return;
    const struct nlattr *data[IFLA_MACVLAN_MAX + 1] = {0};
    parse_nested(info[IFLA_INFO_DATA], data, IFLA_MACVLAN_MAX);
    if (data[IFLA_MACVLAN_MODE] && mnl_attr_get_payload_len(data[IFLA_MACVLAN_MODE]) == 4)
        l->mode = mnl_attr_get_u32(data[IFLA_MACVLAN_MODE]);
}

/* The IPv4 settings in IFLA_AF_SPEC: a nest per family, AF_INET's holding IFLA_INET_CONF. */
static void read_conf(const struct nlattr *af_spec, struct link_answer *ans)
{
    const struct nlattr *fam[AF_INET + 1] = {0};
    parse_nested(af_spec, fam, AF_INET);
    if (!fam[AF_INET])
        return;
    const struct nlattr *in[IFLA_INET_MAX + 1] = {0};
    parse_nested(fam[AF_INET], in, IFLA_INET_MAX);
    if (!in[IFLA_INET_CONF])
        return;
    size_t len = mnl_attr_get_payload_len(in[IFLA_INET_CONF]);
    size_t want = IPV4_DEVCONF_MAX * sizeof(uint32_t);
    memset(ans->conf, 0, want);
    memcpy(ans->conf, mnl_attr_get_payload(in[IFLA_INET_CONF]), len < want ? len : want);
    ans->has_conf = len >= IPV4_DEVCONF_ARP_IGNORE * sizeof(uint32_t);
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
    struct link_answer *ans = data;
    if (nlh->nlmsg_type != RTM_NEWLINK || ans->seen)
        return MNL_CB_OK;
    const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    const struct nlattr *tb[IFLA_MAX + 1] = {0};
    struct attr_table t = {tb, IFLA_MAX};
    if (mnl_attr_parse(nlh, sizeof(*ifi), table_cb, &t) < 0)
        return MNL_CB_ERROR;
    struct macvlan_link *l = &ans->link;
    ans->seen = true;
    l->ifindex = (unsigned)ifi->ifi_index;
    l->up = ifi->ifi_flags & IFF_UP;
    if (tb[IFLA_LINK] && mnl_attr_get_payload_len(tb[IFLA_LINK]) == 4)
        l->parent = mnl_attr_get_u32(tb[IFLA_LINK]);
    if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(l->mac)) {
        l->has_mac = true;
        memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof(l->mac));
    }
    if (tb[IFLA_LINKINFO])
        read_kind(tb[IFLA_LINKINFO], l);
    if (tb[IFLA_AF_SPEC] && ans->conf)
        read_conf(tb[IFLA_AF_SPEC], ans);
    return MNL_CB_OK;
}

/* Asks for the link named name (ifindex 0) or of index ifindex. 0 or a negative errno. */
static int link_get(const char *name, unsigned ifindex, struct link_answer *ans)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0, ifindex);
    if (name) {
        if (strlen(name) >= IFNAMSIZ)
            return -ENODEV;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    }
    int r = nl_talk(nlh, link_cb, ans);
    if (r == 0 && !ans->seen)
        r = -ENODEV;
    return r;
}

int macvlan_query(const char *name, struct macvlan_link *ret)
{
    struct link_answer ans = {0};
    int r = link_get(name, 0, &ans);
    if (r < 0)
        return r;
    *ret = ans.link;
    return 0;
}

/* ---- create, up, delete ---- */

int macvlan_create(const char *name, unsigned parent, const uint8_t mac[6], unsigned *ret_ifindex)
{
    if (strlen(name) >= IFNAMSIZ || parent == 0)
        return -EINVAL;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
    mnl_attr_put_u32(nlh, IFLA_LINK, parent);
    struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
    struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_PRIVATE);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, linkinfo);
    int r = nl_talk(nlh, NULL, NULL);
    if (r < 0)
        return r;
    if (ret_ifindex) {
        struct macvlan_link l;
        r = macvlan_query(name, &l);
        if (r < 0)
            return r;
        *ret_ifindex = l.ifindex;
    }
    return 0;
}

int macvlan_set_up(unsigned ifindex)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, ifindex);
    struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return nl_talk(nlh, NULL, NULL);
}

int macvlan_delete(const char *name)
{
    struct macvlan_link l;
    int r = macvlan_query(name, &l);
    if (r == -ENODEV)
        return 0;
    if (r < 0)
        return r;
    if (!l.is_macvlan)
        return -EMEDIUMTYPE;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_DELLINK, 0, l.ifindex);
    r = nl_talk(nlh, NULL, NULL);
    return r == -ENODEV ? 0 : r;
}

/* ---- ARP settings ---- */

/*
 * Sets arp_ignore and arp_announce of ifindex, and rp_filter unless it is
 * negative (IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF).
 */
static int set_conf(unsigned ifindex, uint32_t ignore, uint32_t announce, int rp_filter)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, ifindex);
    struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
    struct nlattr *inet = mnl_attr_nest_start(nlh, AF_INET);
    struct nlattr *conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
    mnl_attr_put_u32(nlh, IPV4_DEVCONF_ARP_IGNORE, ignore);
    mnl_attr_put_u32(nlh, IPV4_DEVCONF_ARP_ANNOUNCE, announce);
    if (rp_filter >= 0)
        mnl_attr_put_u32(nlh, IPV4_DEVCONF_RP_FILTER, (uint32_t)rp_filter);
    mnl_attr_nest_end(nlh, conf);
    mnl_attr_nest_end(nlh, inet);
    mnl_attr_nest_end(nlh, spec);
    return nl_talk(nlh, NULL, NULL);
}

#define ARP_IGNORE_MIN   1u /* answer only for addresses of the receiving interface */
#define ARP_ANNOUNCE_MIN 2u /* name only the sending interface's own addresses */
/*
 * Loose reverse-path filtering on the macvlan. Replies from its address leave
 * through the parent's route to the network (the first of the two), so a
 * strict filter would drop all that arrives on the macvlan; the kernel uses
 * the larger of "all" and the interface's value, and 2 is the largest.
 */
#define RP_FILTER_LOOSE 2

int macvlan_arp_setup(unsigned ifindex, unsigned parent, bool *ret_raised)
{
    int r = set_conf(ifindex, ARP_IGNORE_MIN, ARP_ANNOUNCE_MIN, RP_FILTER_LOOSE);
    if (r < 0)
        return r;
    uint32_t conf[IPV4_DEVCONF_MAX];
    struct link_answer ans = {.conf = conf};
    r = link_get(NULL, parent, &ans);
    if (r < 0)
        return r;
    if (!ans.has_conf)
        return -EAFNOSUPPORT; /* no IPv4 on the parent */
    uint32_t ignore = conf[IPV4_DEVCONF_ARP_IGNORE - 1];
    uint32_t announce = conf[IPV4_DEVCONF_ARP_ANNOUNCE - 1];
    bool raise = ignore < ARP_IGNORE_MIN || announce < ARP_ANNOUNCE_MIN;
    if (raise) {
        r = set_conf(parent, ignore < ARP_IGNORE_MIN ? ARP_IGNORE_MIN : ignore,
                     announce < ARP_ANNOUNCE_MIN ? ARP_ANNOUNCE_MIN : announce, -1);
        if (r < 0)
            return r;
    }
    if (ret_raised)
        *ret_raised = raise;
    return 0;
}
