/*
 * Resources in vigil.yaml: the top-level resources section (settings for
 * every resource), and each resource of a group, whose keys depend on its
 * type (ip, process, fs, script, ocf, lsb). Names are unique among groups
 * and resources together; the ledger of names lives here. Pure: agents,
 * scripts and users are checked on this node through files.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/load.h"

#define IFNAME_RULE    "1 to 15 characters, without '/', ':', white space or control characters"
#define USER_NAME_RULE "1 to 32 letters, digits, '.', '_' or '-', not starting with '.' or '-'"
#define FSTYPE_RULE    "1 to 32 letters, digits, '.', '_' or '-'"
#define RES_TYPES      "ip, process, fs, script, ocf:PROVIDER:AGENT or lsb:NAME"
#define RES_TYPES_AND  "ip, process, fs, script, ocf:PROVIDER:AGENT and lsb:NAME"
#define OPTIONS_MAX    4096

/* The keys of a resource; res_masks[t] has bit k set for each key that type t accepts. */
enum {
    RK_NAME,
    RK_TYPE,
    RK_ON_FAIL,
    RK_TIMEOUTS,
    RK_MONITOR,
    RK_HEALTHY,
    RK_CHECKS,
    RK_READY_TIMEOUT,
    RK_ADDRESS,
    RK_NETWORK,
    RK_INTERFACE,
    RK_COMMAND,
    RK_USER,
    RK_ENVIRONMENT,
    RK_DIRECTORY,
    RK_DEVICE,
    RK_MOUNTPOINT,
    RK_FSTYPE,
    RK_OPTIONS,
    RK_PATH,
    RK_PARAMS,
    RK_MAC,
    RK_ROLE,
    RK_PROMOTE_TIMEOUT,
    RK_DEMOTE_TIMEOUT,
    RK_NOTIFY_TIMEOUT,
    RK_MAX
};

static const char *const res_keys[RK_MAX] = {
    "name",           "type",           "on_fail",   "timeouts", "monitor",    "healthy",
    "checks",         "ready_timeout",  "address",   "network",  "interface",  "command",
    "user",           "environment",    "directory", "device",   "mountpoint", "fstype",
    "options",        "path",           "params",    "mac",      "role",       "promote_timeout",
    "demote_timeout", "notify_timeout",
};
#define RK_COMMON                                                                                  \
    (BIT(RK_NAME) | BIT(RK_TYPE) | BIT(RK_ON_FAIL) | BIT(RK_TIMEOUTS) | BIT(RK_MONITOR) |          \
     BIT(RK_HEALTHY) | BIT(RK_CHECKS) | BIT(RK_READY_TIMEOUT) | BIT(RK_ROLE))
/* The types that can be promoted (load_clone.c), and the one that is notified. */
#define RK_PROMOTE (BIT(RK_PROMOTE_TIMEOUT) | BIT(RK_DEMOTE_TIMEOUT))
static const uint32_t res_masks[CFG_RES_TYPE_MAX] = {
    [CFG_RES_IP] = RK_COMMON | BIT(RK_ADDRESS) | BIT(RK_NETWORK) | BIT(RK_INTERFACE) | BIT(RK_MAC),
    [CFG_RES_PROCESS] =
        RK_COMMON | BIT(RK_COMMAND) | BIT(RK_USER) | BIT(RK_ENVIRONMENT) | BIT(RK_DIRECTORY),
    [CFG_RES_FS] =
        RK_COMMON | BIT(RK_DEVICE) | BIT(RK_MOUNTPOINT) | BIT(RK_FSTYPE) | BIT(RK_OPTIONS),
    [CFG_RES_SCRIPT] = RK_COMMON | BIT(RK_PATH) | BIT(RK_PARAMS) | RK_PROMOTE,
    [CFG_RES_OCF] = RK_COMMON | BIT(RK_PARAMS) | RK_PROMOTE | BIT(RK_NOTIFY_TIMEOUT),
    [CFG_RES_LSB] = RK_COMMON,
};
/* The keys each type cannot do without (name and type aside). */
static const uint32_t res_needs[CFG_RES_TYPE_MAX] = {
    [CFG_RES_IP] = BIT(RK_ADDRESS),
    [CFG_RES_PROCESS] = BIT(RK_COMMAND),
    [CFG_RES_FS] = BIT(RK_DEVICE) | BIT(RK_MOUNTPOINT),
    [CFG_RES_SCRIPT] = BIT(RK_PATH),
};
static const char *const res_types[CFG_RES_TYPE_MAX] = {"ip",     "process", "fs",
                                                        "script", "ocf",     "lsb"};
static const char *const res_kinds[CFG_RES_TYPE_MAX] = {
    "an ip resource",    "a process resource", "an fs resource",
    "a script resource", "an ocf resource",    "an lsb resource",
};
static const struct typed_schema res_schema = {
    res_keys,
    RK_MAX,
    res_masks,
    res_types,
    CFG_RES_TYPE_MAX,
    "resources",
    BIT(RK_NAME) | BIT(RK_TYPE),
};

/*
 * Timeouts (start, stop, monitor) and monitor interval of each type when not
 * written; vigil.yaml(5) documents them. ocf keeps 0: the agent's meta-data
 * decides, else 20s and 10s.
 */
static const struct {
    uint64_t start, stop, monitor, interval;
} res_defaults[CFG_RES_TYPE_MAX] = {
    [CFG_RES_IP] = {5000, 5000, 5000, 10000},
    [CFG_RES_PROCESS] = {10000, 10000, 10000, 0},
    [CFG_RES_FS] = {60000, 60000, 20000, 20000},
    [CFG_RES_SCRIPT] = {20000, 20000, 20000, 10000},
    [CFG_RES_OCF] = {0, 0, 0, 0},
    [CFG_RES_LSB] = {20000, 20000, 20000, 10000},
};

/* ---- Names: one namespace for groups and resources ---- */

/* "group 'web'", or "group #2" when it has no usable name; owned by the caller. */
static char *group_ref(struct loader *ld, size_t gi)
{
    const struct cfg_group *g = &ld->c->groups[gi];
    return g->name ? xasprintf("group '%s'", g->name) : xasprintf("group #%zu", gi + 1);
}

/*
 * Records the name at (a group's when is_group, else a resource's of group
 * gi): names are unique among all groups and resources together. Reports a
 * clash with the first holder of the name and returns false.
 */
bool load_resources_claim_name(struct loader *ld, const struct ynode *at, size_t gi, bool is_group)
{
    const char *name = at->text;
    for (size_t i = 0; i < ld->n_gnames; i++) {
        const struct gname *o = &ld->gnames[i];
        if (strcmp(o->name, name) != 0)
            continue;
        _cleanup_free_ char *og = group_ref(ld, o->group);
        if (is_group && o->is_group)
            report_error(ld, at, "duplicate group name '%s' (first at line %d)", name, o->at->line);
        else if (!is_group && !o->is_group)
            report_error(ld, at, "resource '%s' is already defined in %s at line %d", name, og,
                         o->at->line);
        else if (!is_group)
            report_error(ld, at,
                         "resource '%s' has the name of %s (line %d); groups and resources need "
                         "different names",
                         name, og, o->at->line);
        else
            report_error(ld, at,
                         "group '%s' has the name of resource '%s' in %s (line %d); groups and "
                         "resources need different names",
                         name, name, og, o->at->line);
        return false;
    }
    xgrow((void **)&ld->gnames, &ld->gnames_cap, ld->n_gnames + 1, sizeof(*ld->gnames));
    ld->gnames[ld->n_gnames++] = (struct gname){name, at, gi, is_group};
    return true;
}

/* ---- Resources ---- */

/* A provider, agent or init script name: a path component, as a node name. */
static bool agent_part_ok(const char *s, size_t len)
{
    return scalar_chars_ok(s, len, 63, "._-", true);
}

/* Parses the type into r (provider and agent for ocf and lsb); -1 after reporting. */
static int load_res_type(struct loader *ld, struct cfg_resource *r, const struct ynode *n,
                         const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: type", who);
    if (!scalar_ok(ld, n, label, RES_TYPES))
        return -1;
    _cleanup_free_ char *q = report_quote_node(n);
    const char *s = ytree_has_nul(n) ? "" : n->text;
    for (size_t i = 0; i <= CFG_RES_SCRIPT; i++) {
        if (strcmp(s, res_types[i]) == 0) {
            r->type = (enum cfg_res_type)i;
            return (int)i;
        }
    }
    if (strcmp(s, "ocf") == 0 || strncmp(s, "ocf:", 4) == 0) {
        const char *p = s[3] ? s + 4 : s + 3, *colon = strchr(p, ':');
        if (!colon || !agent_part_ok(p, (size_t)(colon - p)) ||
            !agent_part_ok(colon + 1, strlen(colon + 1))) {
            report_error(ld, n,
                         "%s: type %s is not a valid OCF type: write ocf:PROVIDER:AGENT, such as "
                         "ocf:heartbeat:IPaddr2 (each part: %s)",
                         who, q, NODE_NAME_RULE);
            return -1;
        }
        r->type = CFG_RES_OCF;
        r->provider = xstrndup(p, (size_t)(colon - p));
        r->agent = xstrdup(colon + 1);
        return CFG_RES_OCF;
    }
    if (strcmp(s, "lsb") == 0 || strncmp(s, "lsb:", 4) == 0) {
        const char *p = s[3] ? s + 4 : s + 3;
        if (!agent_part_ok(p, strlen(p))) {
            report_error(ld, n,
                         "%s: type %s is not a valid LSB type: write lsb:NAME for the init script "
                         "%s/NAME, such as lsb:cron (NAME: %s)",
                         who, q, CFG_DEFAULT_LSB_DIR, NODE_NAME_RULE);
            return -1;
        }
        r->type = CFG_RES_LSB;
        r->agent = xstrdup(p);
        return CFG_RES_LSB;
    }
    const char *sug = report_suggest(s, res_types, CFG_RES_SCRIPT + 1);
    if (sug)
        report_error(ld, n, "%s: unknown type %s; did you mean '%s'?", who, q, sug);
    else
        report_error(ld, n, "%s: unknown type %s (the types are %s)", who, q, RES_TYPES_AND);
    return -1;
}

/* An address with its prefix length ("198.51.100.100/24"), parsed into r. */
static bool load_ip_address(struct loader *ld, struct cfg_resource *r, const struct ynode *n,
                            const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: address", who);
    if (!scalar_ok(ld, n, label, "an address with a prefix length, such as 198.51.100.100/24"))
        return false;
    _cleanup_free_ char *q = report_quote_node(n);
    const char *slash = ytree_has_nul(n) ? NULL : strchr(n->text, '/');
    size_t alen = slash ? (size_t)(slash - n->text) : n->len;
    char buf[64];
    int family = 0;
    uint8_t bytes[16] = {0};
    if (!ytree_has_nul(n) && alen < sizeof(buf)) {
        memcpy(buf, n->text, alen);
        buf[alen] = '\0';
        if (inet_pton(AF_INET, buf, bytes) == 1)
            family = AF_INET;
        else if (inet_pton(AF_INET6, buf, bytes) == 1)
            family = AF_INET6;
    }
    if (!family) {
        report_error(ld, n,
                     "%s %s is not an IPv4 or IPv6 address with a prefix length (such as "
                     "198.51.100.100/24 or 2001:db8::100/64)",
                     label, q);
        return false;
    }
    if (!slash) {
        report_error(ld, n, "%s %s needs a prefix length, such as %s/%d", label, q, n->text,
                     family == AF_INET ? 24 : 64);
        return false;
    }
    unsigned max = family == AF_INET ? 32 : 128;
    size_t digits = strspn(slash + 1, "0123456789");
    unsigned long prefix =
        digits >= 1 && digits <= 3 && slash[1 + digits] == '\0' ? strtoul(slash + 1, NULL, 10) : 0;
    if (prefix < 1 || prefix > max) {
        report_error(ld, n,
                     "%s %s: the prefix length must be a number from 1 to %u for an %s address",
                     label, q, max, report_family(family));
        return false;
    }
    r->address = xstrdup(n->text);
    r->family = family;
    memcpy(r->addr, bytes, sizeof(r->addr));
    r->prefix = (uint8_t)prefix;
    return true;
}

/* No address may be two ip resources', nor a node's own address on a network. */
static void check_ip_unique(struct loader *ld, const struct cfg_resource *r, const struct ynode *at,
                            const char *who)
{
    struct cfg *c = ld->c;
    for (size_t i = 0; i < ld->n_ips; i++) {
        const struct cfg_resource *o = ld->ips[i].r;
        if (o->family == r->family && memcmp(o->addr, r->addr, sizeof(r->addr)) == 0) {
            report_error(ld, at, "%s: address %s is already used by resource '%s' (line %d)", who,
                         r->address, o->name ? o->name : "?", ld->ips[i].at->line);
            return;
        }
    }
    for (size_t i = 0; ld->bin && i < c->n_nodes; i++) {
        for (size_t j = 0; j < c->n_networks; j++) {
            const struct addr_bin *b = &ld->bin[i * c->n_networks + j];
            if (!ld->src[i].name_ok || b->family != r->family ||
                memcmp(b->bytes, r->addr, sizeof(r->addr)) != 0)
                continue;
            report_error(
                ld, at, "%s: address %s is the address of node '%s' on network '%s' (line %d)", who,
                r->address, c->nodes[i].name, c->networks[j].name, ld->src[i].addr[j]->line);
            return;
        }
    }
    xgrow((void **)&ld->ips, &ld->ips_cap, ld->n_ips + 1, sizeof(*ld->ips));
    ld->ips[ld->n_ips++] = (struct res_at){r, at};
}

static void load_ip_network(struct loader *ld, struct cfg_resource *r, const struct ynode *n,
                            const char *who)
{
    struct cfg *c = ld->c;
    _cleanup_free_ char *label = xasprintf("%s: network", who);
    if (!scalar_ok(ld, n, label, "the name of a network"))
        return;
    int net = ytree_has_nul(n) ? -1 : cfg_network_index(c, n->text);
    if (net >= 0) {
        r->network = net;
        return;
    }
    if (!ld->networks_ok)
        return;
    static const struct unknown_name u = {.what = "undeclared network", .plural = "networks"};
    const char **names = xcalloc(c->n_networks + 1, sizeof(*names));
    for (size_t j = 0; j < c->n_networks; j++)
        names[j] = c->networks[j].name;
    report_unknown(ld, n, who, &u, names, c->n_networks);
    free(names);
}

/* An interface name as the kernel accepts it (dev_valid_name), in printable ASCII. */
static bool ifname_ok(const struct ynode *n)
{
    if (n->len < 1 || n->len > 15 || ytree_has_nul(n) || strcmp(n->text, ".") == 0 ||
        strcmp(n->text, "..") == 0)
        return false;
    for (size_t i = 0; i < n->len; i++) {
        unsigned char ch = (unsigned char)n->text[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == ':')
            return false;
    }
    return true;
}

/* Parses "02:00:c0:00:02:32" (six hex bytes, ':' between them) into mac; reports nothing. */
static bool mac_parse(const struct ynode *n, uint8_t mac[static 6])
{
    if (n->len != 17 || ytree_has_nul(n))
        return false;
    for (size_t i = 0; i < 6; i++) {
        const char *p = n->text + 3 * i;
        if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
            (i < 5 && p[2] != ':'))
            return false;
        char hex[3] = {p[0], p[1], '\0'};
        mac[i] = (uint8_t)strtoul(hex, NULL, 16);
    }
    return true;
}

/*
 * mac: a unicast MAC address that no other resource uses; one that is not
 * locally administered gets a warning (it may be some device's own).
 */
static void load_ip_mac(struct loader *ld, struct cfg_resource *r, const struct ynode *n,
                        const char *who)
{
    static const char form[] = "six hexadecimal bytes separated by ':', such as "
                               "\"02:00:c0:00:02:32\"";
    _cleanup_free_ char *label = xasprintf("%s: mac", who);
    if (!scalar_ok(ld, n, label, form))
        return;
    _cleanup_free_ char *q = report_quote_node(n);
    uint8_t mac[6];
    if (!mac_parse(n, mac)) {
        report_error(ld, n, "%s %s is not a MAC address: write %s", label, q, form);
        return;
    }
    static const uint8_t zero[6] = {0};
    if (memcmp(mac, zero, sizeof(mac)) == 0) {
        report_error(ld, n, "%s %s is the all-zero address; use a unicast address such as %s",
                     label, q, "02:00:c0:00:02:32");
        return;
    }
    if (mac[0] & 1) {
        report_error(ld, n,
                     "%s %s is a multicast address (the first byte is odd); a service needs a "
                     "unicast address, such as 02:%02x:%02x:%02x:%02x:%02x",
                     label, q, mac[1], mac[2], mac[3], mac[4], mac[5]);
        return;
    }
    for (size_t i = 0; i < ld->n_macs; i++) {
        const struct cfg_resource *o = ld->macs[i].r;
        if (memcmp(o->mac, mac, sizeof(mac)) == 0) {
            report_error(ld, n, "%s: mac %s is already used by resource '%s' (line %d)", who, q,
                         o->name ? o->name : "?", ld->macs[i].at->line);
            return;
        }
    }
    if (!(mac[0] & 2))
        report_warning(ld, n,
                       "%s %s is not locally administered (the second bit of the first byte is "
                       "clear): it may be the burnt-in address of some device; addresses such as "
                       "02:xx:xx:xx:xx:xx are free for local use",
                       label, q);
    r->has_mac = true;
    memcpy(r->mac, mac, sizeof(mac));
    xgrow((void **)&ld->macs, &ld->macs_cap, ld->n_macs + 1, sizeof(*ld->macs));
    ld->macs[ld->n_macs++] = (struct res_at){r, n};
}

static void load_ip(struct loader *ld, struct cfg_resource *r, struct ynode **f, const char *who)
{
    if (f[RK_MAC])
        load_ip_mac(ld, r, f[RK_MAC], who);
    if (f[RK_ADDRESS] && load_ip_address(ld, r, f[RK_ADDRESS], who))
        check_ip_unique(ld, r, f[RK_ADDRESS], who);
    if (f[RK_NETWORK])
        load_ip_network(ld, r, f[RK_NETWORK], who);
    if (f[RK_INTERFACE]) {
        _cleanup_free_ char *label = xasprintf("%s: interface", who);
        const struct ynode *n = f[RK_INTERFACE];
        _cleanup_free_ char *expected = xasprintf("an interface name (%s)", IFNAME_RULE);
        if (!scalar_ok(ld, n, label, expected))
            return;
        if (!ifname_ok(n)) {
            _cleanup_free_ char *q = report_quote_node(n);
            report_error(ld, n, "%s %s is not a valid interface name: use %s", label, q,
                         IFNAME_RULE);
            return;
        }
        r->interface = xstrdup(n->text);
    }
}

static void load_process(struct loader *ld, struct cfg_resource *r, struct ynode **f,
                         const char *who)
{
    if (f[RK_COMMAND])
        walk_command(ld, f[RK_COMMAND], who, &r->argv, &r->argc);
    if (f[RK_USER]) {
        _cleanup_free_ char *label = xasprintf("%s: user", who);
        const struct ynode *n = f[RK_USER];
        const char *name = scalar_name(ld, n, label, "user name", 32, "._-", false, USER_NAME_RULE);
        if (name && (name[0] == '-' || name[0] == '.')) {
            _cleanup_free_ char *q = report_quote_node(n);
            report_error(ld, n, "%s %s is not a valid user name: use %s", label, q, USER_NAME_RULE);
            name = NULL;
        }
        if (name && (ld->flags & CFG_LOAD_CHECK_FILES))
            files_check_user(ld, n, who, name);
        if (name)
            r->user = xstrdup(name);
    }
    if (f[RK_ENVIRONMENT])
        walk_params(ld, f[RK_ENVIRONMENT], who, "environment", "variable", "{LANG: C.UTF-8}",
                    &r->env, &r->n_env);
    if (f[RK_DIRECTORY]) {
        _cleanup_free_ char *label = xasprintf("%s: directory", who);
        const char *p = scalar_path(ld, f[RK_DIRECTORY], label, "a directory", NULL);
        if (p)
            r->directory = xstrdup(p);
    }
}

/* Network filesystems, whose device is a remote source (server:/export, //server/share). */
static bool fs_network(const struct ynode *fstype)
{
    static const char *const names[] = {"nfs", "nfs4", "cifs", "ceph", "glusterfs"};
    for (size_t i = 0; fstype && fstype->type == YN_SCALAR && i < ARRAY_SIZE(names); i++)
        if (!ytree_has_nul(fstype) && strcmp(fstype->text, names[i]) == 0)
            return true;
    return false;
}

/*
 * device: an absolute path, UUID=... or LABEL=...; with a network fstype
 * (fstype: its value node, or NULL), also a remote source such as
 * nas:/export or //server/share, passed to mount as written.
 */
static void load_fs_device(struct loader *ld, struct cfg_resource *r, const struct ynode *n,
                           const struct ynode *fstype, const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: device", who);
    if (!scalar_ok(ld, n, label, "a device: an absolute path, UUID=... or LABEL=..."))
        return;
    if (n->text[0] == '/') {
        const char *p = scalar_path(ld, n, label, "a device", NULL);
        if (p)
            r->device = xstrdup(p);
        return;
    }
    bool tagged = (strncmp(n->text, "UUID=", 5) == 0 && n->len > 5) ||
                  (strncmp(n->text, "LABEL=", 6) == 0 && n->len > 6);
    _cleanup_free_ char *q = report_quote_node(n);
    if (!tagged && fs_network(fstype)) {
        if (n->text[0] == '-' || n->len > KEY_PATH_MAX || ytree_has_nul(n) || !scalar_one_line(n) ||
            strpbrk(n->text, " \t")) {
            report_error(ld, n,
                         "%s %s must be a remote source such as nas:/export or //server/share, on "
                         "one line, without spaces and not starting with '-'",
                         label, q);
            return;
        }
        r->device = xstrdup(n->text);
        return;
    }
    if (!tagged || n->len > KEY_PATH_MAX || ytree_has_nul(n) || !scalar_one_line(n)) {
        bool remote = !tagged && !ytree_has_nul(n) &&
                      (strstr(n->text, ":/") || strncmp(n->text, "//", 2) == 0);
        report_error(
            ld, n,
            "%s %s must be an absolute path (such as /dev/vdb1), UUID=... or LABEL=..., on one "
            "line%s",
            label, q,
            remote ? "; a remote source needs fstype nfs, nfs4, cifs, ceph or glusterfs" : "");
        return;
    }
    r->device = xstrdup(n->text);
}

static void load_fs(struct loader *ld, struct cfg_resource *r, struct ynode **f, const char *who)
{
    if (f[RK_DEVICE])
        load_fs_device(ld, r, f[RK_DEVICE], f[RK_FSTYPE], who);
    if (f[RK_MOUNTPOINT]) {
        _cleanup_free_ char *label = xasprintf("%s: mountpoint", who);
        const char *p = scalar_path(ld, f[RK_MOUNTPOINT], label, "a directory", NULL);
        /* Stored without trailing slashes, so that /srv/db/ and /srv/db are one place. */
        _cleanup_free_ char *dir = p ? xstrdup(p) : NULL;
        for (size_t len = dir ? strlen(dir) : 0; len > 1 && dir[len - 1] == '/'; len--)
            dir[len - 1] = '\0';
        for (size_t i = 0; dir && i < ld->n_mounts; i++) {
            const struct cfg_resource *o = ld->mounts[i].r;
            if (strcmp(o->mountpoint, dir) == 0) {
                report_error(ld, f[RK_MOUNTPOINT],
                             "%s: mountpoint %s is already used by resource '%s' (line %d)", who,
                             dir, o->name ? o->name : "?", ld->mounts[i].at->line);
                free(dir);
                dir = NULL;
            }
        }
        if (dir) {
            r->mountpoint = xstrdup(dir);
            xgrow((void **)&ld->mounts, &ld->mounts_cap, ld->n_mounts + 1, sizeof(*ld->mounts));
            ld->mounts[ld->n_mounts++] = (struct res_at){r, f[RK_MOUNTPOINT]};
        }
    }
    if (f[RK_FSTYPE]) {
        _cleanup_free_ char *label = xasprintf("%s: fstype", who);
        const char *t =
            scalar_name(ld, f[RK_FSTYPE], label, "filesystem type", 32, "._-", false, FSTYPE_RULE);
        if (t)
            r->fstype = xstrdup(t);
    }
    if (f[RK_OPTIONS]) {
        _cleanup_free_ char *label = xasprintf("%s: options", who);
        const struct ynode *n = f[RK_OPTIONS];
        if (!scalar_ok(ld, n, label, "mount options such as noatime,nodev"))
            return;
        if (n->len > OPTIONS_MAX || ytree_has_nul(n) || !scalar_one_line(n)) {
            _cleanup_free_ char *q = report_quote_node(n);
            report_error(
                ld, n,
                "%s %s are not usable: write at most %d bytes on one line, without control "
                "characters",
                label, q, OPTIONS_MAX);
            return;
        }
        r->options = xstrdup(n->text);
    }
}

static void load_script(struct loader *ld, struct cfg_resource *r, struct ynode **f,
                        const char *who)
{
    if (!f[RK_PATH])
        return;
    _cleanup_free_ char *label = xasprintf("%s: path", who);
    const char *p = scalar_path(ld, f[RK_PATH], label, "an action script", "/usr/local/bin/");
    if (!p)
        return;
    r->path = xstrdup(p);
    if (ld->flags & CFG_LOAD_CHECK_FILES) {
        _cleanup_free_ char *what = xasprintf("%s: script", who);
        files_check_executable(ld, f[RK_PATH], what, p);
    }
}

static void load_res_timeouts(struct loader *ld, struct cfg_resource *r, struct ynode *n,
                              const char *who)
{
    static const struct key_spec specs[] = {{"start", false}, {"stop", false}, {"monitor", false}};
    uint64_t *dst[] = {&r->start_timeout_ms, &r->stop_timeout_ms, &r->monitor_timeout_ms};
    struct ynode *f[ARRAY_SIZE(specs)];
    _cleanup_free_ char *label = xasprintf("%s: timeouts", who);
    _cleanup_free_ char *where = xasprintf("in the timeouts of %s", who);
    if (!walk_mapping(ld, n, label, where, specs, ARRAY_SIZE(specs), f))
        return;
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        if (!f[i])
            continue;
        _cleanup_free_ char *klabel = xasprintf("%s: timeouts.%s", who, specs[i].name);
        uint64_t v;
        if (scalar_duration(ld, f[i], klabel, CFG_MIN_TIMEOUT_MS, CFG_MAX_TIMEOUT_MS, &v))
            *dst[i] = v;
    }
}

/* The monitor interval: a duration, or off (no periodic monitor; not for ocf). */
static void load_res_monitor(struct loader *ld, struct cfg_resource *r, int type,
                             const struct ynode *n, const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: monitor", who);
    if (n->type == YN_SCALAR && !ytree_has_nul(n) && strcmp(n->text, "off") == 0) {
        if (type == CFG_RES_OCF)
            report_error(
                ld, n,
                "%s: monitor: off is not supported for ocf resources; leave monitor out to use "
                "the interval the agent advertises",
                who);
        else
            r->monitor_interval_ms = 0;
        return;
    }
    uint64_t v;
    if (n->type == YN_SCALAR && !ytree_has_nul(n) && dur_parse(n->text, &v) == 0 && v == 0) {
        char lo[32], hi[32];
        report_error(ld, n,
                     "%s is %s; write off for no periodic monitor, or a duration from %s to %s",
                     label, n->text, dur_format(CFG_MIN_MONITOR_INTERVAL_MS, lo),
                     dur_format(CFG_MAX_MONITOR_INTERVAL_MS, hi));
        return;
    }
    if (scalar_duration(ld, n, label, CFG_MIN_MONITOR_INTERVAL_MS, CFG_MAX_MONITOR_INTERVAL_MS, &v))
        r->monitor_interval_ms = v;
}

/*
 * ready_timeout: how long a resource with checks may take, once its start
 * action succeeded, to pass them. Default: its start timeout (0 for an ocf
 * resource without one: the agent's, known only at run time). Without
 * checks it means nothing: a warning, and it is not kept.
 */
static void load_res_ready(struct loader *ld, struct cfg_resource *r, struct ynode **f,
                           const char *who)
{
    if (f[RK_READY_TIMEOUT]) {
        _cleanup_free_ char *label = xasprintf("%s: ready_timeout", who);
        uint64_t v;
        if (!scalar_duration(ld, f[RK_READY_TIMEOUT], label, CFG_MIN_TIMEOUT_MS, CFG_MAX_TIMEOUT_MS,
                             &v))
            return;
        if (r->n_checks) {
            r->ready_timeout_ms = v;
            return;
        }
        if (!f[RK_CHECKS] || f[RK_CHECKS]->type == YN_SEQUENCE)
            report_warning(ld, f[RK_READY_TIMEOUT],
                           "%s: ready_timeout is ignored: the resource has no checks, so it is "
                           "started as soon as its start action succeeds",
                           who);
        return;
    }
    if (r->n_checks)
        r->ready_timeout_ms = r->start_timeout_ms;
}

/* on_fail, timeouts, monitor, healthy, checks and ready_timeout: the keys of every type. */
static void load_res_common(struct loader *ld, struct cfg_resource *r, int type, struct ynode **f,
                            const char *who)
{
    static const char *const on_fail[] = {"ignore", "restart", "failover", "halt", "fence"};
    static const char *const healthy[] = {"all", "any"};
    struct cfg *c = ld->c;
    if (type >= 0) {
        r->start_timeout_ms = res_defaults[type].start;
        r->stop_timeout_ms = res_defaults[type].stop;
        r->monitor_timeout_ms = res_defaults[type].monitor;
        r->monitor_interval_ms = res_defaults[type].interval;
    }
    if (f[RK_ON_FAIL]) {
        _cleanup_free_ char *label = xasprintf("%s: on_fail", who);
        int i = scalar_keyword(ld, f[RK_ON_FAIL], label, on_fail, ARRAY_SIZE(on_fail));
        if (i >= 0)
            r->on_fail = (enum cfg_on_fail)i;
        if (r->on_fail == CFG_ON_FAIL_FENCE && !c->fence_enabled && !ld->fence_enabled_bad)
            report_warning(
                ld, f[RK_ON_FAIL],
                "%s: on_fail: fence needs fencing; with fencing disabled the group is halted "
                "instead",
                who);
    }
    if (f[RK_TIMEOUTS])
        load_res_timeouts(ld, r, f[RK_TIMEOUTS], who);
    if (f[RK_MONITOR])
        load_res_monitor(ld, r, type, f[RK_MONITOR], who);
    if (f[RK_CHECKS])
        load_checks(ld, r, f[RK_CHECKS], who);
    if (f[RK_HEALTHY]) {
        _cleanup_free_ char *label = xasprintf("%s: healthy", who);
        int i = scalar_keyword(ld, f[RK_HEALTHY], label, healthy, ARRAY_SIZE(healthy));
        if (i >= 0 && r->n_checks >= 2)
            r->healthy_any = i == 1;
        else if (i >= 0 && (!f[RK_CHECKS] || f[RK_CHECKS]->type == YN_SEQUENCE))
            report_warning(
                ld, f[RK_HEALTHY],
                "%s: healthy is ignored: it chooses between any and all of two or more checks, "
                "and the resource has %s",
                who, r->n_checks == 1 ? "one" : "none");
    }
    load_res_ready(ld, r, f, who);
}

/* "resource 'vip'", or "resource #2 of group 'web'" when it has no usable name. */
static char *res_label(struct loader *ld, size_t gi, size_t ri, const struct ynode *e)
{
    _cleanup_free_ char *l = walk_label(e, ri, "resource");
    if (l[strlen("resource ")] == '\'')
        return xstrdup(l);
    _cleanup_free_ char *g = group_ref(ld, gi);
    return xasprintf("resource #%zu of %s", ri + 1, g);
}

/* One resource of a group: its type first, then the keys of that type. */
void load_resource(struct loader *ld, size_t gi, size_t ri, struct ynode *e)
{
    struct cfg_resource *r = &ld->c->groups[gi].resources[ri];
    r->on_fail = CFG_ON_FAIL_RESTART;
    r->network = -1;
    _cleanup_free_ char *who = res_label(ld, gi, ri, e);
    _cleanup_free_ char *where = xasprintf("in %s", who);
    if (e->type != YN_MAPPING) {
        report_type(ld, e, who, "a mapping with name, type and the keys of that type");
        return;
    }
    struct ynode *tn = walk_find(e, "type");
    int type = tn ? load_res_type(ld, r, tn, who) : -1;
    struct ynode *f[RK_MAX];
    uint32_t suggested;
    walk_typed(ld, e, who, where, &res_schema, type, type >= 0 ? res_kinds[type] : NULL, f,
               &suggested);
    if (f[RK_NAME]) {
        _cleanup_free_ char *label = xasprintf("%s: name", who);
        const char *name =
            scalar_name(ld, f[RK_NAME], label, "resource name", 63, "._-", true, NODE_NAME_RULE);
        if (name) {
            r->name = xstrdup(name);
            load_resources_claim_name(ld, f[RK_NAME], gi, false);
        }
    }
    load_res_common(ld, r, type, f, who);
    struct clone_res_keys ck = {e,
                                tn,
                                f[RK_ROLE],
                                f[RK_PROMOTE_TIMEOUT],
                                f[RK_DEMOTE_TIMEOUT],
                                f[RK_NOTIFY_TIMEOUT],
                                f[RK_FSTYPE]};
    if (type < 0) {
        load_clone_resource(ld, gi, r, type, &ck, who);
        return;
    }
    for (size_t k = 0; k < RK_MAX; k++)
        if ((res_needs[type] & BIT(k)) && !f[k] && !(suggested & BIT(k)))
            report_error(ld, e, "%s (%s) needs '%s'", who, res_types[type], res_keys[k]);
    if (type == CFG_RES_IP && !f[RK_NETWORK] && !f[RK_INTERFACE] &&
        !(suggested & (BIT(RK_NETWORK) | BIT(RK_INTERFACE))))
        report_error(ld, e, "%s (ip) needs 'network' or 'interface'", who);
    switch (type) {
    case CFG_RES_IP:
        load_ip(ld, r, f, who);
        break;
    case CFG_RES_PROCESS:
        load_process(ld, r, f, who);
        break;
    case CFG_RES_FS:
        load_fs(ld, r, f, who);
        break;
    case CFG_RES_SCRIPT:
        load_script(ld, r, f, who);
        break;
    default:
        if (ld->flags & CFG_LOAD_CHECK_FILES)
            files_check_agent(ld, r, tn, who);
        break;
    }
    if (f[RK_PARAMS])
        walk_params(ld, f[RK_PARAMS], who, "params", "parameter", "{state: /run/vigil/x}",
                    &r->params, &r->n_params);
    load_clone_resource(ld, gi, r, type, &ck, who);
}

/* The top-level resources section: settings for every resource (not the resources). */
void load_resources(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {{"ocf_root", false}};
    struct ynode *f[ARRAY_SIZE(specs)];
    if (n->type == YN_SEQUENCE) {
        report_error(
            ld, n,
            "resources must be a mapping (key: value lines), not a list; resources themselves "
            "are listed in each group (groups: - name: NAME ... resources: [...])");
        return;
    }
    if (!walk_mapping(ld, n, "resources", "in resources", specs, ARRAY_SIZE(specs), f) || !f[0])
        return;
    const char *p = scalar_path(ld, f[0], "resources.ocf_root", "the OCF root directory", NULL);
    if (p) {
        free(ld->c->ocf_root);
        ld->c->ocf_root = xstrdup(p);
    }
}
