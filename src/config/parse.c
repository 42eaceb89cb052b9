/*
 * Loading vigil.yaml: the YAML tree (ytree.c) is checked against the schema
 * and turned into a struct cfg. Every problem is reported, each at the node it
 * concerns, and the walk goes on after a problem so that one run of `vigil
 * verify` shows them all. Nothing here logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "config/load.h"

#define CLUSTER_NAME_RULE "1 to 32 letters, digits, '_' or '-'"
#define NETWORK_NAME_RULE "1 to 15 letters, digits, '_' or '-'"

/* ---- Sections ---- */

static void load_cluster(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {{"name", true}, {"key", false}};
    struct ynode *f[ARRAY_SIZE(specs)];
    ld->cluster = n;
    if (!walk_mapping(ld, n, "cluster", "in cluster", specs, ARRAY_SIZE(specs), f))
        return;
    if (f[0]) {
        const char *name = scalar_name(ld, f[0], "cluster.name", "cluster name", 32, "_-", false,
                                       CLUSTER_NAME_RULE);
        if (name)
            ld->c->cluster_name = xstrdup(name);
    }
    if (f[1] && scalar_ok(ld, f[1], "cluster.key", "the absolute path of the key file")) {
        const struct ynode *k = f[1];
        bool ok = k->len > 1 && k->len <= KEY_PATH_MAX && k->text[0] == '/' && !ytree_has_nul(k);
        for (size_t i = 0; ok && i < k->len; i++) {
            unsigned char ch = (unsigned char)k->text[i];
            if (ch <= ' ' || ch == 0x7f || strchr("{}#\"'\\", ch))
                ok = false;
        }
        _cleanup_free_ char *q = report_quote_node(k);
        if (k->text[0] != '/') {
            report_error(ld, k, "cluster.key %s must be an absolute path (starting with /)", q);
        } else if (!ok) {
            report_error(
                ld, k,
                "cluster.key %s is not a usable key file path: write an absolute path without "
                "spaces, control characters or any of {}#\"'\\",
                q);
        } else {
            free(ld->c->key_path);
            ld->c->key_path = xstrdup(k->text);
            ld->key = f[1];
        }
    }
}

static void load_cluster_engine(struct loader *ld, struct ynode *n)
{
    static const char *const names[] = {"managed", "external"};
    int i = scalar_keyword(ld, n, "engine", names, ARRAY_SIZE(names));
    if (i >= 0)
        ld->c->engine = i == 0 ? CFG_ENGINE_MANAGED : CFG_ENGINE_EXTERNAL;
}

static void load_cluster_heartbeat(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {
        {"interval", false}, {"misses", false}, {"link_mode", false}};
    static const char *const modes[] = {"active", "passive"};
    struct ynode *f[ARRAY_SIZE(specs)];
    ld->heartbeat = n;
    if (!walk_mapping(ld, n, "heartbeat", "in heartbeat", specs, ARRAY_SIZE(specs), f)) {
        ld->interval_ok = ld->misses_ok = false;
        return;
    }
    ld->interval = f[0];
    ld->misses = f[1];
    uint64_t v;
    if (f[0]) {
        ld->interval_ok = scalar_duration(ld, f[0], "heartbeat.interval", CFG_MIN_INTERVAL_MS,
                                          CFG_MAX_INTERVAL_MS, &v);
        if (ld->interval_ok)
            ld->c->interval_ms = v;
    }
    if (f[1]) {
        ld->misses_ok =
            scalar_uint(ld, f[1], "heartbeat.misses", CFG_MIN_MISSES, CFG_MAX_MISSES, &v);
        if (ld->misses_ok)
            ld->c->misses = (uint32_t)v;
    }
    if (f[2]) {
        int i = scalar_keyword(ld, f[2], "heartbeat.link_mode", modes, ARRAY_SIZE(modes));
        if (i >= 0) {
            ld->c->link_mode = i == 0 ? CFG_LINK_ACTIVE : CFG_LINK_PASSIVE;
            ld->link_mode = f[2];
        }
    }
}

static void load_cluster_networks(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {{"name", true}};
    size_t count = walk_list(ld, n, "networks", "a list of networks (- name: NAME)", "network",
                             CFG_MAX_NETWORKS, " (knet's link limit)");
    if (count == 0)
        return;
    struct cfg *c = ld->c;
    c->networks = xcalloc(count, sizeof(*c->networks));
    ld->net_name = xcalloc(count, sizeof(*ld->net_name));
    c->n_networks = count;
    ld->networks_ok = true;
    for (size_t i = 0; i < count; i++) {
        struct ynode *e = n->items[i];
        struct ynode *f[1];
        _cleanup_free_ char *label = xasprintf("network #%zu", i + 1);
        _cleanup_free_ char *where = xasprintf("in network #%zu", i + 1);
        if (e->type != YN_MAPPING) {
            report_type(ld, e, label, "a mapping such as {name: priv}");
            continue;
        }
        walk_mapping(ld, e, label, where, specs, 1, f);
        if (!f[0])
            continue;
        _cleanup_free_ char *nlabel = xasprintf("network #%zu: name", i + 1);
        const char *name =
            scalar_name(ld, f[0], nlabel, "network name", 15, "_-", false, NETWORK_NAME_RULE);
        if (!name)
            continue;
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) {
            if (ld->net_name[j] && strcmp(c->networks[j].name, name) == 0) {
                report_error(ld, f[0], "duplicate network name '%s' (first at line %d)", name,
                             ld->net_name[j]->line);
                dup = true;
            }
        }
        if (dup)
            continue;
        c->networks[i].name = xstrdup(name);
        ld->net_name[i] = f[0];
    }
    /* Without every name, node addresses cannot be matched to links: skip those checks. */
    for (size_t i = 0; i < count; i++)
        if (!c->networks[i].name)
            ld->networks_ok = false;
    if (n->n > count)
        ld->networks_ok = false;
}

/* "node 'n1'" when the entry has a usable name, else "node #3"; owned by the caller. */
static char *node_label(const struct ynode *e, size_t idx)
{
    return walk_label(e, idx, "node");
}

static void load_addresses(struct loader *ld, size_t ni, struct ynode *n, const char *who)
{
    struct cfg *c = ld->c;
    struct cfg_node *node = &c->nodes[ni];
    struct node_src *src = &ld->src[ni];
    _cleanup_free_ char *label = xasprintf("%s: addresses", who);
    if (n->type != YN_MAPPING) {
        report_type(ld, n, label, "a mapping of network name to address ({priv: 192.0.2.1})");
        return;
    }
    const char **names = xcalloc(c->n_networks + 1, sizeof(*names));
    const struct ynode **seen = xcalloc(c->n_networks + 1, sizeof(*seen)); /* key per network */
    for (size_t j = 0; j < c->n_networks; j++)
        names[j] = c->networks[j].name;
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        struct ynode *k = n->items[i], *v = n->items[i + 1];
        if (k->type != YN_SCALAR || ytree_has_nul(k)) {
            _cleanup_free_ char *got = report_describe(k);
            report_error(ld, k, "keys must be plain text, not %s", got);
            continue;
        }
        int net = ld->networks_ok ? cfg_network_index(c, k->text) : -1;
        if (ld->networks_ok && net < 0) {
            _cleanup_free_ char *q = report_quote_node(k);
            const char *sug = report_suggest(k->text, names, c->n_networks);
            _cleanup_free_ char *all = report_join(names, c->n_networks, " and ");
            if (sug)
                report_error(ld, k, "%s: address for undeclared network %s; did you mean '%s'?",
                             who, q, sug);
            else
                report_error(ld, k, "%s: address for undeclared network %s (the networks are %s)",
                             who, q, all);
            continue;
        }
        if (net >= 0 && seen[net]) {
            report_error(ld, k, "duplicate key '%s' in the addresses of %s (first at line %d)",
                         k->text, who, seen[net]->line);
            continue;
        }
        if (net >= 0)
            seen[net] = k;
        _cleanup_free_ char *qk = report_quote_node(k);
        _cleanup_free_ char *vlabel = xasprintf("%s: the address on network %s", who, qk);
        if (!scalar_ok(ld, v, vlabel, "an IPv4 or IPv6 address"))
            continue;
        struct addr_bin bin = {0};
        if (!scalar_addr(v, &bin)) {
            _cleanup_free_ char *q = report_quote_node(v);
            report_error(ld, v, "%s: address %s on network %s is not a valid IPv4 or IPv6 address",
                         who, q, qk);
            continue;
        }
        if (net < 0)
            continue;
        src->addr[net] = v;
        node->addr[net] = xstrdup(v->text);
        ld->bin[ni * c->n_networks + (size_t)net] = bin;
    }
    /* A gap is reported when the key is absent, not when its value was bad. */
    for (size_t j = 0; ld->networks_ok && j < c->n_networks; j++)
        if (!seen[j])
            report_error(ld, n, "%s has no address on network '%s'", who, c->networks[j].name);
    free(seen);
    free(names);
}

static void load_node(struct loader *ld, size_t ni, struct ynode *e)
{
    static const struct key_spec specs[] = {{"name", true}, {"id", true}, {"addresses", true}};
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg *c = ld->c;
    struct node_src *src = &ld->src[ni];
    _cleanup_free_ char *who = node_label(e, ni);
    _cleanup_free_ char *where = xasprintf("in %s", who);
    src->entry = e;
    if (e->type != YN_MAPPING) {
        report_type(ld, e, who, "a mapping with name, id and addresses");
        return;
    }
    walk_mapping(ld, e, who, where, specs, ARRAY_SIZE(specs), f);
    if (f[0]) {
        _cleanup_free_ char *label = xasprintf("%s: name", who);
        const char *name =
            scalar_name(ld, f[0], label, "node name", 63, "._-", true, NODE_NAME_RULE);
        if (name) {
            c->nodes[ni].name = xstrdup(name);
            src->name = f[0];
            src->name_ok = true;
        }
    }
    if (f[1]) {
        _cleanup_free_ char *label = xasprintf("%s: id", who);
        uint64_t id;
        if (scalar_uint(ld, f[1], label, 1, CFG_MAX_NODE_ID, &id)) {
            c->nodes[ni].id = (uint32_t)id;
            src->id = f[1];
            src->id_ok = true;
        }
    }
    if (f[2])
        load_addresses(ld, ni, f[2], who);
}

/* Names, ids and addresses must be unique across nodes; a network uses one address family. */
static void check_nodes_unique(struct loader *ld)
{
    struct cfg *c = ld->c;
    for (size_t i = 0; i < c->n_nodes; i++) {
        struct node_src *s = &ld->src[i];
        _cleanup_free_ char *who = node_label(s->entry, i);
        for (size_t j = 0; j < i; j++) {
            struct node_src *t = &ld->src[j];
            if (s->name_ok && t->name_ok && strcmp(c->nodes[i].name, c->nodes[j].name) == 0) {
                report_error(ld, s->name, "duplicate node name '%s' (first at line %d)",
                             c->nodes[i].name, t->name->line);
                break;
            }
        }
        for (size_t j = 0; j < i; j++) {
            struct node_src *t = &ld->src[j];
            if (s->id_ok && t->id_ok && c->nodes[i].id == c->nodes[j].id) {
                _cleanup_free_ char *other = node_label(t->entry, j);
                report_error(ld, s->id, "%s: id %u is already used by %s (line %d)", who,
                             c->nodes[i].id, other, t->id->line);
                break;
            }
        }
        for (size_t a = 0; a < c->n_networks; a++) {
            struct addr_bin *x = &ld->bin[i * c->n_networks + a];
            if (!x->family)
                continue;
            bool found = false;
            for (size_t j = 0; j <= i && !found; j++) {
                for (size_t b = 0; b < c->n_networks && !found; b++) {
                    struct addr_bin *y = &ld->bin[j * c->n_networks + b];
                    if ((j == i && b >= a) || y->family != x->family ||
                        memcmp(x->bytes, y->bytes, sizeof(x->bytes)) != 0)
                        continue;
                    _cleanup_free_ char *other = node_label(ld->src[j].entry, j);
                    const char *first = c->nodes[j].addr[b];
                    bool same = strcmp(first, c->nodes[i].addr[a]) == 0;
                    _cleanup_free_ char *as = same ? xstrdup("") : xasprintf(", as %s", first);
                    report_error(ld, s->addr[a],
                                 "%s: address %s is already used by %s on network '%s' (line %d%s)",
                                 who, c->nodes[i].addr[a], other, c->networks[b].name,
                                 ld->src[j].addr[b]->line, as);
                    found = true;
                }
            }
            for (size_t j = 0; j < i && !found; j++) {
                struct addr_bin *y = &ld->bin[j * c->n_networks + a];
                if (!y->family || y->family == x->family)
                    continue;
                _cleanup_free_ char *other = node_label(ld->src[j].entry, j);
                report_error(
                    ld, s->addr[a],
                    "%s: address %s on network '%s' is %s, but %s uses %s there (line %d); all "
                    "nodes on a network must use the same address family",
                    who, c->nodes[i].addr[a], c->networks[a].name, report_family(x->family), other,
                    report_family(y->family), ld->src[j].addr[a]->line);
                found = true;
            }
        }
    }
}

static void load_cluster_nodes(struct loader *ld, struct ynode *n)
{
    size_t count =
        walk_list(ld, n, "nodes", "a list of nodes (- name: NAME, id: ID, addresses: ...)", "node",
                  CFG_MAX_NODES, "");
    if (count == 0)
        return;
    struct cfg *c = ld->c;
    c->nodes = xcalloc(count, sizeof(*c->nodes));
    c->n_nodes = count;
    ld->src = xcalloc(count, sizeof(*ld->src));
    ld->bin = xcalloc(count * (c->n_networks ? c->n_networks : 1), sizeof(*ld->bin));
    for (size_t i = 0; i < count; i++) {
        c->nodes[i].addr = xcalloc(c->n_networks ? c->n_networks : 1, sizeof(char *));
        ld->src[i].addr = xcalloc(c->n_networks ? c->n_networks : 1, sizeof(struct ynode *));
    }
    for (size_t i = 0; i < count; i++)
        load_node(ld, i, n->items[i]);
    check_nodes_unique(ld);
}

static void load_cluster_quorum(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {{"tie_breaker", false}, {"no_quorum", false}};
    static const char *const no_quorum[] = {"stop", "freeze"};
    struct ynode *f[ARRAY_SIZE(specs)];
    if (!walk_mapping(ld, n, "quorum", "in quorum", specs, ARRAY_SIZE(specs), f))
        return;
    if (f[1]) {
        int i = scalar_keyword(ld, f[1], "quorum.no_quorum", no_quorum, ARRAY_SIZE(no_quorum));
        if (i >= 0)
            ld->c->no_quorum = i == 0 ? CFG_NO_QUORUM_STOP : CFG_NO_QUORUM_FREEZE;
    }
    if (!f[0])
        return;
    ld->tie_breaker = f[0];
    static const char expected[] = "lowest, highest, none or the name of a node";
    if (!scalar_ok(ld, f[0], "quorum.tie_breaker", expected))
        return;
    const struct ynode *v = f[0];
    static const char *const kw[] = {"lowest", "highest", "none"};
    static const enum cfg_tie_breaker kv[] = {CFG_TIE_LOWEST, CFG_TIE_HIGHEST, CFG_TIE_NONE};
    for (size_t i = 0; i < ARRAY_SIZE(kw); i++) {
        if (!ytree_has_nul(v) && strcmp(v->text, kw[i]) == 0) {
            ld->c->tie_breaker = kv[i];
            ld->tie_ok = true;
            return;
        }
    }
    struct cfg *c = ld->c;
    for (size_t i = 0; i < c->n_nodes; i++) {
        if (ld->src[i].name_ok && !ytree_has_nul(v) && strcmp(c->nodes[i].name, v->text) == 0) {
            if (ld->src[i].id_ok) {
                c->tie_breaker = CFG_TIE_NODE;
                c->tie_breaker_node_id = c->nodes[i].id;
                ld->tie_ok = true;
            }
            return;
        }
    }
    const char **cand = xcalloc(c->n_nodes + ARRAY_SIZE(kw), sizeof(*cand));
    for (size_t i = 0; i < ARRAY_SIZE(kw); i++)
        cand[i] = kw[i];
    for (size_t i = 0; i < c->n_nodes; i++)
        cand[ARRAY_SIZE(kw) + i] = c->nodes[i].name;
    const char *sug =
        ytree_has_nul(v) ? NULL : report_suggest(v->text, cand, c->n_nodes + ARRAY_SIZE(kw));
    _cleanup_free_ char *q = report_quote_node(v);
    if (sug)
        report_error(ld, v, "quorum.tie_breaker %s is not %s; did you mean '%s'?", q, expected,
                     sug);
    else
        report_error(ld, v, "quorum.tie_breaker %s is not %s", q, expected);
    free(cand);
}

/* ---- fencing ---- */

#define PLUG_FROM_LEVELS                                                                           \
    "vigil passes plug= itself, from the port given in a node's levels ({device: NAME, port: "     \
    "PORT})"

/* The keys vigil writes to an agent's input itself, and what to do instead. */
static const struct {
    const char *key;
    const char *why;
} reserved_params[] = {
    {"action", "vigil passes action= itself (set fencing.action)"},
    {"nodename", "vigil passes nodename= itself: the name of the node being fenced"},
    {"plug", PLUG_FROM_LEVELS},
    {"port", PLUG_FROM_LEVELS},
};

/* A parameter name as fence agents spell them: 1 to 64 of [a-z0-9_]. */
static bool param_key_ok(const struct ynode *k)
{
    if (k->len < 1 || k->len > 64 || ytree_has_nul(k))
        return false;
    for (size_t i = 0; i < k->len; i++) {
        char ch = k->text[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return true;
}

static void load_fence_params(struct loader *ld, struct cfg_fence_device *dev, struct ynode *n,
                              const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: params", who);
    if (n->type != YN_MAPPING) {
        report_type(ld, n, label,
                    "a mapping of agent parameters such as {ip: 192.0.2.101, username: admin}");
        return;
    }
    size_t pairs = n->n / 2;
    if (pairs > CFG_MAX_FENCE_PARAMS) {
        report_error(ld, n->items[2 * CFG_MAX_FENCE_PARAMS],
                     "%s: too many params: %zu are given, at most %d are supported", who, pairs,
                     CFG_MAX_FENCE_PARAMS);
        pairs = CFG_MAX_FENCE_PARAMS;
    }
    dev->params = xcalloc(pairs ? pairs : 1, sizeof(*dev->params));
    const struct ynode **keys = xcalloc(pairs ? pairs : 1, sizeof(*keys)); /* valid keys so far */
    size_t n_keys = 0;
    for (size_t i = 0; i < pairs; i++) {
        struct ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        if (k->type != YN_SCALAR || ytree_has_nul(k)) {
            _cleanup_free_ char *got = report_describe(k);
            report_error(ld, k, "keys must be plain text, not %s", got);
            continue;
        }
        _cleanup_free_ char *qk = report_quote_node(k);
        if (!param_key_ok(k)) {
            report_error(
                ld, k,
                "%s: parameter name %s is not valid: use 1 to 64 lowercase letters, digits or "
                "'_'",
                who, qk);
            continue;
        }
        bool bad = false;
        for (size_t r = 0; r < ARRAY_SIZE(reserved_params) && !bad; r++) {
            if (strcmp(k->text, reserved_params[r].key) == 0) {
                report_error(ld, k, "%s: params.%s is reserved: %s", who, k->text,
                             reserved_params[r].why);
                bad = true;
            }
        }
        for (size_t j = 0; j < n_keys && !bad; j++) {
            if (strcmp(keys[j]->text, k->text) == 0) {
                report_error(ld, k, "duplicate key '%s' in the params of %s (first at line %d)",
                             k->text, who, keys[j]->line);
                bad = true;
            }
        }
        if (bad)
            continue;
        keys[n_keys++] = k;
        _cleanup_free_ char *vlabel = xasprintf("%s: params.%s", who, k->text);
        if (v->type != YN_SCALAR || ytree_is_null(v)) {
            report_type(ld, v, vlabel, "text, a number or true/false");
            continue;
        }
        if (!scalar_one_line(v)) {
            _cleanup_free_ char *qv = report_quote_node(v);
            report_error(ld, v,
                         "%s %s contains a line break or control character; an agent reads one "
                         "key=value per line",
                         vlabel, qv);
            continue;
        }
        dev->params[dev->n_params].key = xstrdup(k->text);
        dev->params[dev->n_params].value = xstrdup(v->text);
        dev->n_params++;
    }
    free(keys);
}

static void load_fence_device(struct loader *ld, size_t di, struct ynode *e)
{
    static const struct key_spec specs[] = {
        {"name", true}, {"agent", true}, {"params", false}, {"secrets", false}, {"timeout", false},
    };
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg *c = ld->c;
    struct cfg_fence_device *dev = &c->fence_devices[di];
    struct fdev_src *src = &ld->fdev[di];
    _cleanup_free_ char *who = walk_label(e, di, "fencing device");
    _cleanup_free_ char *where = xasprintf("in %s", who);
    dev->timeout_ms = CFG_DEFAULT_FENCE_TIMEOUT_MS;
    if (e->type != YN_MAPPING) {
        report_type(ld, e, who,
                    "a mapping with name, agent and optional params, secrets and timeout");
        ld->fdevs_ok = false;
        return;
    }
    walk_mapping(ld, e, who, where, specs, ARRAY_SIZE(specs), f);
    const char *name = NULL;
    if (f[0]) {
        _cleanup_free_ char *label = xasprintf("%s: name", who);
        name = scalar_name(ld, f[0], label, "device name", 63, "._-", true, NODE_NAME_RULE);
    }
    if (!name)
        ld->fdevs_ok = false; /* a level may name it: do not call that name unknown */
    for (size_t j = 0; name && j < di; j++) {
        if (ld->fdev[j].name && strcmp(c->fence_devices[j].name, name) == 0) {
            report_error(ld, f[0], "duplicate fencing device name '%s' (first at line %d)", name,
                         ld->fdev[j].name->line);
            name = NULL; /* levels naming it resolve to the first */
        }
    }
    if (name) {
        dev->name = xstrdup(name);
        src->name = f[0];
    }
    if (f[1]) {
        _cleanup_free_ char *label = xasprintf("%s: agent", who);
        const char *p = scalar_path(ld, f[1], label, "a fence agent", "/usr/sbin/");
        if (p) {
            dev->agent = xstrdup(p);
            src->agent = f[1];
        }
    }
    if (f[2])
        load_fence_params(ld, dev, f[2], who);
    if (f[3]) {
        _cleanup_free_ char *label = xasprintf("%s: secrets", who);
        const char *p = scalar_path(ld, f[3], label, "a file of key=value lines", NULL);
        if (p) {
            dev->secrets = xstrdup(p);
            src->secrets = f[3];
        }
    }
    if (f[4]) {
        _cleanup_free_ char *label = xasprintf("%s: timeout", who);
        uint64_t v;
        if (scalar_duration(ld, f[4], label, CFG_MIN_FENCE_TIMEOUT_MS, CFG_MAX_FENCE_TIMEOUT_MS,
                            &v))
            dev->timeout_ms = v;
    }
}

static void load_fence_devices(struct loader *ld, struct ynode *n)
{
    if (n->type == YN_SEQUENCE && n->n == 0)
        return; /* no devices: fine while fencing is disabled */
    size_t count =
        walk_list(ld, n, "fencing.devices", "a list of fence devices (- name: NAME, agent: PATH)",
                  "device", CFG_MAX_FENCE_DEVICES, "");
    if (count == 0 || n->n > count)
        ld->fdevs_ok = false;
    if (count == 0)
        return;
    struct cfg *c = ld->c;
    c->fence_devices = xcalloc(count, sizeof(*c->fence_devices));
    c->n_fence_devices = count;
    ld->fdev = xcalloc(count, sizeof(*ld->fdev));
    for (size_t i = 0; i < count; i++)
        load_fence_device(ld, i, n->items[i]);
}

/*
 * The index in c->fence_devices of the device n names, or -1 after reporting
 * an unknown name (unless some device has no usable name: n may be that one).
 */
static int find_fence_device(struct loader *ld, const struct ynode *n, const char *who)
{
    struct cfg *c = ld->c;
    for (size_t i = 0; i < c->n_fence_devices; i++)
        if (ld->fdev[i].name && !ytree_has_nul(n) && strcmp(c->fence_devices[i].name, n->text) == 0)
            return (int)i;
    if (!ld->fdevs_ok)
        return -1;
    _cleanup_free_ char *q = report_quote_node(n);
    if (c->n_fence_devices == 0) {
        report_error(ld, n, "%s: unknown fencing device %s (fencing.devices declares none)", who,
                     q);
        return -1;
    }
    const char **names = xcalloc(c->n_fence_devices, sizeof(*names));
    for (size_t i = 0; i < c->n_fence_devices; i++)
        names[i] = c->fence_devices[i].name;
    const char *sug = ytree_has_nul(n) ? NULL : report_suggest(n->text, names, c->n_fence_devices);
    if (sug) {
        report_error(ld, n, "%s: unknown fencing device %s; did you mean '%s'?", who, q, sug);
    } else {
        _cleanup_free_ char *all = report_join(names, c->n_fence_devices, " and ");
        report_error(ld, n, "%s: unknown fencing device %s (the devices are %s)", who, q, all);
    }
    free(names);
    return -1;
}

/*
 * One device of a level: a device name, or {device: NAME, port: PORT}.
 * Appends it to lv; at[] holds the position of each ref already in lv.
 */
static void load_fence_ref(struct loader *ld, struct cfg_fence_level *lv, const struct ynode **at,
                           struct ynode *r, const char *lw, size_t ri)
{
    static const struct key_spec specs[] = {{"device", true}, {"port", false}};
    struct cfg *c = ld->c;
    _cleanup_free_ char *rw = xasprintf("device #%zu of %s", ri + 1, lw);
    struct ynode *dn = NULL, *pn = NULL;
    if (r->type == YN_MAPPING) {
        struct ynode *f[ARRAY_SIZE(specs)];
        _cleanup_free_ char *where = xasprintf("in %s", rw);
        walk_mapping(ld, r, rw, where, specs, ARRAY_SIZE(specs), f);
        dn = f[0];
        pn = f[1];
        if (!dn)
            return;
        _cleanup_free_ char *dlabel = xasprintf("%s: device", rw);
        if (!scalar_ok(ld, dn, dlabel, "the name of a fencing device"))
            return;
    } else if (r->type == YN_SCALAR && !ytree_is_null(r)) {
        dn = r;
    } else {
        report_type(ld, r, rw, "a device name or {device: NAME, port: PORT}");
        return;
    }
    int di = find_fence_device(ld, dn, lw);
    if (pn) {
        _cleanup_free_ char *plabel = xasprintf("%s: port", rw);
        if (!scalar_ok(ld, pn, plabel, "the node's port (plug) on the device, such as \"3\""))
            return;
        if (pn->len == 0 || pn->len > 255 || !scalar_one_line(pn)) {
            _cleanup_free_ char *q = report_quote_node(pn);
            report_error(
                ld, pn,
                "%s %s is not a valid port: use 1 to 255 characters, without line breaks or "
                "control characters",
                plabel, q);
            return;
        }
    }
    if (di < 0)
        return;
    const char *port = pn ? pn->text : NULL;
    for (size_t j = 0; j < lv->n_refs; j++) {
        if (lv->refs[j].device != (size_t)di || !streq_null(lv->refs[j].port, port))
            continue;
        if (port) {
            _cleanup_free_ char *q = report_quote_node(pn);
            report_error(ld, dn, "%s names device '%s' with port %s twice (first at line %d)", lw,
                         c->fence_devices[di].name, q, at[j]->line);
        } else {
            report_error(ld, dn, "%s names device '%s' twice (first at line %d)", lw,
                         c->fence_devices[di].name, at[j]->line);
        }
        return;
    }
    at[lv->n_refs] = dn;
    lv->refs[lv->n_refs].device = (size_t)di;
    lv->refs[lv->n_refs].port = port ? xstrdup(port) : NULL;
    lv->n_refs++;
    ld->fdev[di].used = true;
}

static void load_fence_level(struct loader *ld, struct cfg_fence_level *lv, struct ynode *n,
                             size_t ni, size_t li)
{
    _cleanup_free_ char *lw =
        xasprintf("fencing level %zu of node '%s'", li + 1, ld->c->nodes[ni].name);
    if (n->type != YN_SEQUENCE) {
        if (n->type == YN_SCALAR && n->plain && scalar_name_ok(n, 63, "._-", true)) {
            _cleanup_free_ char *q = report_quote_node(n);
            report_error(ld, n, "%s must be a list of devices, not %s; write [%s]", lw, q, n->text);
        } else {
            report_type(ld, n, lw,
                        "a list of devices such as [ipmi-n1] or [{device: pdu1, port: \"3\"}]");
        }
        return;
    }
    if (n->n == 0) {
        report_error(ld, n, "%s is empty; a level names at least one device", lw);
        return;
    }
    size_t count = walk_cap(ld, n, CFG_MAX_FENCE_LEVEL_DEVICES, lw, "devices");
    lv->refs = xcalloc(count, sizeof(*lv->refs));
    const struct ynode **at = xcalloc(count, sizeof(*at));
    for (size_t ri = 0; ri < count; ri++)
        load_fence_ref(ld, lv, at, n->items[ri], lw, ri);
    free(at);
}

static void load_fence_levels(struct loader *ld, size_t ni, struct ynode *n, const char *who)
{
    struct cfg_fence_node *fn = &ld->c->fence_nodes[ni];
    _cleanup_free_ char *label = xasprintf("%s: levels", who);
    if (n->type != YN_SEQUENCE) {
        report_type(ld, n, label, "a list of levels, each a list of devices (- [ipmi-n1])");
        return;
    }
    if (n->n == 0) {
        ld->fnode_at[ni] = n; /* "has no fencing levels" points here */
        return;
    }
    size_t count = walk_cap(ld, n, CFG_MAX_FENCE_LEVELS, who, "levels");
    fn->levels = xcalloc(count, sizeof(*fn->levels));
    fn->n_levels = count;
    for (size_t li = 0; li < count; li++)
        load_fence_level(ld, &fn->levels[li], n->items[li], ni, li);
}

static void load_fence_node(struct loader *ld, size_t ni, struct ynode *v)
{
    static const struct key_spec specs[] = {{"delay", false}, {"levels", false}};
    struct ynode *f[ARRAY_SIZE(specs)];
    _cleanup_free_ char *who = xasprintf("fencing of node '%s'", ld->c->nodes[ni].name);
    _cleanup_free_ char *where = xasprintf("in the %s", who);
    if (v->type != YN_MAPPING) {
        report_type(ld, v, who,
                    "a mapping with levels and an optional delay ({levels: [[ipmi-n1]]})");
        return;
    }
    walk_mapping(ld, v, who, where, specs, ARRAY_SIZE(specs), f);
    if (f[0]) {
        _cleanup_free_ char *label = xasprintf("%s: delay", who);
        uint64_t ms;
        if (scalar_duration(ld, f[0], label, 0, CFG_MAX_FENCE_DELAY_MS, &ms))
            ld->c->fence_nodes[ni].delay_ms = ms;
    }
    if (f[1])
        load_fence_levels(ld, ni, f[1], who);
}

static void load_fence_nodes(struct loader *ld, struct ynode *n)
{
    struct cfg *c = ld->c;
    size_t errors = ld->d->n_errors;
    if (n->type != YN_MAPPING) {
        report_type(ld, n, "fencing.nodes",
                    "a mapping of node name to its fencing ({n1: {levels: [[ipmi-n1]]}})");
        ld->fence_nodes_bad = true;
        return;
    }
    bool names_ok = c->n_nodes > 0; /* every node has a name to match keys against */
    const char **names = xcalloc(c->n_nodes + 1, sizeof(*names));
    for (size_t i = 0; i < c->n_nodes; i++) {
        names_ok = names_ok && ld->src[i].name_ok;
        names[i] = ld->src[i].name_ok ? c->nodes[i].name : NULL;
    }
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        struct ynode *k = n->items[i], *v = n->items[i + 1];
        if (k->type != YN_SCALAR || ytree_has_nul(k)) {
            _cleanup_free_ char *got = report_describe(k);
            report_error(ld, k, "keys must be plain text, not %s", got);
            continue;
        }
        size_t ni = 0;
        while (ni < c->n_nodes && !(names[ni] && strcmp(names[ni], k->text) == 0))
            ni++;
        if (ni == c->n_nodes) {
            if (!names_ok)
                continue;
            _cleanup_free_ char *q = report_quote_node(k);
            const char *sug = report_suggest(k->text, names, c->n_nodes);
            if (sug) {
                report_error(ld, k, "fencing.nodes: undeclared node %s; did you mean '%s'?", q,
                             sug);
            } else {
                _cleanup_free_ char *all = report_join(names, c->n_nodes, " and ");
                report_error(ld, k, "fencing.nodes: undeclared node %s (the nodes are %s)", q, all);
            }
            continue;
        }
        if (ld->fnode_key[ni]) {
            report_error(ld, k, "duplicate key '%s' in fencing.nodes (first at line %d)", k->text,
                         ld->fnode_key[ni]->line);
            continue;
        }
        ld->fnode_key[ni] = k;
        size_t before = ld->d->n_errors;
        load_fence_node(ld, ni, v);
        ld->fnode_bad[ni] = ld->d->n_errors > before;
    }
    free(names);
    if (ld->d->n_errors > errors)
        ld->fence_refs_ok = false;
}

static void load_fencing(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {
        {"enabled", false}, {"unsafe_recovery", false}, {"action", false},       {"retries", false},
        {"devices", false}, {"nodes", false},           {"startup_wait", false},
    };
    static const char *const actions[] = {"off", "reboot"};
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg *c = ld->c;
    if (n->type == YN_SCALAR && !ytree_is_null(n)) {
        _cleanup_free_ char *got = report_describe(n);
        report_error(
            ld, n,
            "fencing must be a mapping (key: value lines), not %s; to turn fencing off, write "
            "fencing: {enabled: false}",
            got);
        return;
    }
    size_t errors = ld->d->n_errors;
    if (!walk_mapping(ld, n, "fencing", "in fencing", specs, ARRAY_SIZE(specs), f))
        return;
    ld->fencing_ok = true;
    if (!f[5] && ld->d->n_errors > errors)
        ld->fence_nodes_bad = true; /* perhaps misspelt: do not also ask for every node's levels */
    bool b;
    if (f[0]) {
        if (scalar_bool(ld, f[0], "fencing.enabled", &b)) {
            c->fence_enabled = b;
            ld->fence_enabled = f[0];
        } else {
            ld->fence_enabled_bad = true;
        }
    }
    if (f[1] && scalar_bool(ld, f[1], "fencing.unsafe_recovery", &b)) {
        c->fence_unsafe_recovery = b;
        ld->fence_unsafe = b ? f[1] : NULL;
    }
    if (f[2]) {
        int i = scalar_keyword(ld, f[2], "fencing.action", actions, ARRAY_SIZE(actions));
        if (i >= 0)
            c->fence_action = i == 0 ? CFG_FENCE_OFF : CFG_FENCE_REBOOT;
    }
    uint64_t v;
    if (f[3] && scalar_uint(ld, f[3], "fencing.retries", 0, CFG_MAX_FENCE_RETRIES, &v))
        c->fence_retries = (uint32_t)v;
    if (f[6] && scalar_duration(ld, f[6], "fencing.startup_wait", 0, CFG_MAX_STARTUP_WAIT_MS, &v))
        c->fence_startup_wait_ms = v;
    if (f[4])
        load_fence_devices(ld, f[4]);
    if (f[5]) {
        load_fence_nodes(ld, f[5]);
        if (f[5]->type == YN_MAPPING)
            ld->fence_nodes_map = walk_key_of(n, f[5]);
    }
}

/* ---- Checks across sections ---- */

static void check_token(struct loader *ld)
{
    struct cfg *c = ld->c;
    if ((ld->interval && !ld->interval_ok) || (ld->misses && !ld->misses_ok))
        return;
    uint64_t token = c->interval_ms * c->misses;
    if (token >= CFG_MIN_TOKEN_MS && token <= CFG_MAX_TOKEN_MS)
        return;
    char iv[32], tk[32];
    report_error(
        ld, ld->heartbeat,
        "heartbeat timeout (interval x misses) is %s x %u = %s; it must be from %ums to %us",
        dur_format(c->interval_ms, iv), c->misses, dur_format(token, tk), CFG_MIN_TOKEN_MS,
        CFG_MAX_TOKEN_MS / 1000);
}

/* Passive link mode needs a long token to fail over between links in time (config.h). */
static void check_link_mode(struct loader *ld)
{
    struct cfg *c = ld->c;
    if (!ld->link_mode || c->link_mode != CFG_LINK_PASSIVE || (ld->interval && !ld->interval_ok) ||
        (ld->misses && !ld->misses_ok))
        return;
    uint64_t token = c->interval_ms * c->misses;
    if (token < CFG_MIN_TOKEN_MS || token >= CFG_PASSIVE_MIN_TOKEN_MS)
        return; /* a token out of range is an error of its own */
    char tk[32], min[32];
    report_warning(
        ld, ld->link_mode,
        "heartbeat.link_mode is passive with a heartbeat timeout of %s: on a busy or "
        "virtualised machine knet links then flap, and losing the best network can be mistaken "
        "for a node failure; use link_mode: active, or a heartbeat timeout (interval x misses) "
        "of at least %s",
        dur_format(token, tk), dur_format(CFG_PASSIVE_MIN_TOKEN_MS, min));
}

static void check_quorum(struct loader *ld)
{
    struct cfg *c = ld->c;
    if (!ld->tie_breaker || !ld->tie_ok)
        return;
    if (c->n_nodes == 2 && c->tie_breaker != CFG_TIE_LOWEST)
        report_warning(ld, ld->tie_breaker,
                       "quorum.tie_breaker is ignored in a two-node cluster: two-node mode decides "
                       "instead (see vigil.yaml(5))");
    if (c->n_nodes >= 4 && c->n_nodes % 2 == 0 && c->tie_breaker == CFG_TIE_NONE)
        report_warning(
            ld, ld->tie_breaker,
            "quorum.tie_breaker is none with an even number of nodes (%zu): after an exact "
            "half split no partition has quorum and every group stops",
            c->n_nodes);
}

/*
 * Fencing across sections: enabled and unsafe_recovery, levels for every
 * node, devices no level uses, and the delay a two-node cluster needs.
 */
static void load_fencing_check(struct loader *ld)
{
    struct cfg *c = ld->c;
    if (!ld->fencing_ok)
        return;
    bool enabled = c->fence_enabled && !ld->fence_enabled_bad;
    if (ld->fence_enabled && !c->fence_enabled)
        report_warning(
            ld, ld->fence_enabled,
            "fencing is disabled: a failed node's services are not recovered until it returns, "
            "unless unsafe_recovery is set");
    if (ld->fence_unsafe && ld->fence_enabled && !c->fence_enabled)
        report_warning(
            ld, ld->fence_unsafe,
            "unsafe_recovery is set: services of a failed node may be started elsewhere while it "
            "still runs them (data corruption risk)");
    else if (ld->fence_unsafe && enabled)
        report_error(ld, ld->fence_unsafe,
                     "unsafe_recovery only applies with fencing.enabled: false");

    bool missing = false; /* some node has no levels: its devices may look unused */
    for (size_t i = 0; enabled && !ld->fence_nodes_bad && i < c->n_nodes; i++) {
        if (!ld->src[i].name_ok || ld->fnode_bad[i] || c->fence_nodes[i].n_levels > 0)
            continue;
        const struct ynode *at = ld->fnode_at[i]       ? ld->fnode_at[i]
                                 : ld->fnode_key[i]    ? ld->fnode_key[i]
                                 : ld->fence_nodes_map ? ld->fence_nodes_map
                                                       : ld->fencing;
        report_error(ld, at,
                     "node '%s' has no fencing levels; every node needs at least one level, or set "
                     "fencing.enabled: false",
                     c->nodes[i].name);
        missing = true;
    }
    bool refs_ok = ld->fdevs_ok && ld->fence_refs_ok && !ld->fence_nodes_bad && !missing;
    for (size_t i = 0; refs_ok && i < c->n_fence_devices; i++)
        if (ld->fdev[i].name && !ld->fdev[i].used)
            report_warning(ld, ld->fdev[i].name, "device '%s' is not used by any node's levels",
                           c->fence_devices[i].name);
    if (enabled && c->n_nodes == 2 && ld->fence_nodes_map && ld->fence_refs_ok && !missing &&
        c->fence_nodes[0].delay_ms == 0 && c->fence_nodes[1].delay_ms == 0)
        report_warning(
            ld, ld->fence_nodes_map,
            "two-node cluster with no fencing delay: in a split both nodes may fence each other "
            "at once; give one node a delay");
}

/* ---- Top level ---- */

/* The keys of the top level, in the order of specs in load_root. */
enum {
    TOP_CLUSTER,
    TOP_ENGINE,
    TOP_FENCING,
    TOP_GROUPS,
    TOP_HEARTBEAT,
    TOP_HOOKS,
    TOP_NETWORKS,
    TOP_NODES,
    TOP_QUORUM,
    TOP_RESOURCES
};

static void load_root(struct loader *ld, struct ynode *root, unsigned flags)
{
    static const struct key_spec specs[] = {
        [TOP_CLUSTER] = {"cluster", true},      [TOP_ENGINE] = {"engine", false},
        [TOP_FENCING] = {"fencing", false},     [TOP_GROUPS] = {"groups", false},
        [TOP_HEARTBEAT] = {"heartbeat", false}, [TOP_HOOKS] = {"hooks", false},
        [TOP_NETWORKS] = {"networks", true},    [TOP_NODES] = {"nodes", true},
        [TOP_QUORUM] = {"quorum", false},       [TOP_RESOURCES] = {"resources", false},
    };
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg *c = ld->c;
    size_t errors = ld->d->n_errors;
    if (root->type != YN_MAPPING) {
        _cleanup_free_ char *got = report_describe(root);
        report_error(ld, root,
                     "the file must be a mapping with the keys cluster, networks and nodes, not %s",
                     got);
        return;
    }
    walk_mapping(ld, root, "the top level", "at the top level", specs, ARRAY_SIZE(specs), f);
    if (f[TOP_CLUSTER])
        load_cluster(ld, f[TOP_CLUSTER]);
    if (f[TOP_ENGINE])
        load_cluster_engine(ld, f[TOP_ENGINE]);
    if (f[TOP_HEARTBEAT])
        load_cluster_heartbeat(ld, f[TOP_HEARTBEAT]);
    if (f[TOP_NETWORKS])
        load_cluster_networks(ld, f[TOP_NETWORKS]);
    if (f[TOP_NODES])
        load_cluster_nodes(ld, f[TOP_NODES]);
    if (f[TOP_QUORUM])
        load_cluster_quorum(ld, f[TOP_QUORUM]);
    if (c->n_nodes > 0) {
        c->fence_nodes = xcalloc(c->n_nodes, sizeof(*c->fence_nodes));
        ld->fnode_key = xcalloc(c->n_nodes, sizeof(*ld->fnode_key));
        ld->fnode_at = xcalloc(c->n_nodes, sizeof(*ld->fnode_at));
        ld->fnode_bad = xcalloc(c->n_nodes, sizeof(*ld->fnode_bad));
    }
    if (f[TOP_FENCING]) {
        ld->fencing = walk_key_of(root, f[TOP_FENCING]);
        load_fencing(ld, f[TOP_FENCING]);
    } else
        c->fence_enabled = false; /* existing configurations stay valid; warned below */
    /* Groups last: they refer to nodes, networks, fencing and resources.ocf_root. */
    if (f[TOP_RESOURCES])
        load_resources(ld, f[TOP_RESOURCES]);
    if (f[TOP_GROUPS])
        load_groups(ld, f[TOP_GROUPS]);
    if (f[TOP_HOOKS])
        load_hooks(ld, f[TOP_HOOKS]);
    if (!ld->heartbeat)
        ld->heartbeat = root;
    check_token(ld);
    check_link_mode(ld);
    check_quorum(ld);
    load_fencing_check(ld);
    if ((flags & CFG_LOAD_CHECK_FILES) && c->key_path && (ld->key || ld->cluster))
        files_check_key(ld);
    if (flags & CFG_LOAD_CHECK_FILES)
        files_check_fencing(ld);
    /* Only for a file that otherwise loads: it is about what the cluster will do. */
    if (!f[TOP_FENCING] && ld->d->n_errors == errors)
        cfg_diags_add(ld->d, CFG_SEV_WARNING, ld->file, 1, 1,
                      "no fencing section: fencing is disabled, so the services of a failed node "
                      "are not recovered until it comes back (add fencing:, see vigil.yaml(5))");
}

static struct cfg *cfg_new(const char *name)
{
    struct cfg *c = xcalloc(1, sizeof(*c));
    c->file = xstrdup(name ? name : "");
    c->key_path = xstrdup(CFG_DEFAULT_KEY_PATH);
    c->engine = CFG_ENGINE_MANAGED;
    c->interval_ms = CFG_DEFAULT_INTERVAL_MS;
    c->misses = CFG_DEFAULT_MISSES;
    c->link_mode = CFG_LINK_ACTIVE;
    c->tie_breaker = CFG_TIE_LOWEST;
    c->fence_enabled = true;
    c->fence_action = CFG_FENCE_OFF;
    c->fence_retries = CFG_DEFAULT_FENCE_RETRIES;
    c->fence_startup_wait_ms = CFG_DEFAULT_STARTUP_WAIT_MS;
    c->no_quorum = CFG_NO_QUORUM_STOP;
    c->ocf_root = xstrdup(CFG_DEFAULT_OCF_ROOT);
    return c;
}

/*
 * Loads a configuration from len bytes at buf (not necessarily NUL-terminated).
 * All problems go to diags, sorted by position; on success *ret gets a new
 * configuration owned by the caller. Returns 0, -EINVAL (errors in the text)
 * or -EFBIG (larger than CFG_MAX_FILE_SIZE); *ret is untouched on failure.
 */
int cfg_load_string(const char *buf, size_t len, const char *name, unsigned flags, struct cfg **ret,
                    struct cfg_diags *diags)
{
    size_t first = diags->n, errors = diags->n_errors;
    if (len > CFG_MAX_FILE_SIZE) {
        cfg_diags_add(diags, CFG_SEV_ERROR, name, 0, 0,
                      "the file is too large (%zu bytes; the limit is %u)", len, CFG_MAX_FILE_SIZE);
        return -EFBIG;
    }
    struct ynode *root = NULL;
    if (ytree_parse(buf, len, name, diags, &root) < 0)
        return -EINVAL;
    if (!root || (root->type == YN_SCALAR && ytree_is_null(root))) {
        cfg_diags_add(diags, CFG_SEV_ERROR, name, 0, 0,
                      "the file is empty; it needs at least cluster, networks and nodes");
        ytree_free(root);
        return -EINVAL;
    }

    struct loader ld = {.file = name,
                        .d = diags,
                        .c = cfg_new(name),
                        .flags = flags,
                        .fdevs_ok = true,
                        .fence_refs_ok = true};
    load_root(&ld, root, flags);
    cfg_diags_sort_from(diags, first);

    for (size_t i = 0; ld.src && i < ld.c->n_nodes; i++)
        free(ld.src[i].addr);
    free(ld.src);
    free(ld.bin);
    free(ld.net_name);
    free(ld.fdev);
    free(ld.fnode_key);
    free(ld.fnode_at);
    free(ld.fnode_bad);
    free(ld.gnames);
    free(ld.ips);
    free(ld.mounts);
    ytree_free(root);

    if (diags->n_errors > errors) {
        cfg_free(ld.c);
        return -EINVAL;
    }
    *ret = ld.c;
    return 0;
}

/*
 * Reads path and loads it with cfg_load_string. A file that cannot be read
 * gives one diagnostic without a position and its negative errno (-ENOENT,
 * -EACCES, -EISDIR, -EFBIG, ...). Ownership as for cfg_load_string.
 */
int cfg_load_file(const char *path, unsigned flags, struct cfg **ret, struct cfg_diags *diags)
{
    char *buf = NULL;
    size_t len = 0;
    int r = files_read(path, diags, &buf, &len);
    if (r < 0)
        return r;
    r = cfg_load_string(buf, len, path, flags, ret, diags);
    free(buf);
    return r;
}
