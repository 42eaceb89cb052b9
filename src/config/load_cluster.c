/*
 * The cluster in vigil.yaml: the cluster section (name, key), engine,
 * heartbeat, networks, nodes (ids, an address on every network, and their
 * capacity through load_capacity.c) and
 * quorum; then the checks across them that need the whole file. Pure: the
 * key file is checked on the disk by files.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/load.h"

#define CLUSTER_NAME_RULE "1 to 32 letters, digits, '_' or '-'"
#define NETWORK_NAME_RULE "1 to 15 letters, digits, '_' or '-'"

/* cluster: name and key (an absolute path that fits in corosync.conf). */
void load_cluster(struct loader *ld, struct ynode *n)
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

/* engine: managed or external. */
void load_cluster_engine(struct loader *ld, struct ynode *n)
{
    static const char *const names[] = {"managed", "external"};
    int i = scalar_keyword(ld, n, "engine", names, ARRAY_SIZE(names));
    if (i >= 0)
        ld->c->engine = i == 0 ? CFG_ENGINE_MANAGED : CFG_ENGINE_EXTERNAL;
}

/* heartbeat: interval, misses and link_mode. */
void load_cluster_heartbeat(struct loader *ld, struct ynode *n)
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

/* networks: a list of at most CFG_MAX_NETWORKS networks with unique names, best first. */
void load_cluster_networks(struct loader *ld, struct ynode *n)
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
        if (!walk_plain_key(ld, k))
            continue;
        int net = ld->networks_ok ? cfg_network_index(c, k->text) : -1;
        if (ld->networks_ok && net < 0) {
            static const struct unknown_name u = {.what = "address for undeclared network",
                                                  .plural = "networks"};
            report_unknown(ld, k, who, &u, names, c->n_networks);
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
    static const struct key_spec specs[] = {
        {"name", true}, {"id", true}, {"addresses", true}, {"capacity", false}};
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
    if (f[3])
        load_capacity_node(ld, ni, f[3], who);
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

/* nodes: a list of nodes; then names, ids and addresses must be unique. */
void load_cluster_nodes(struct loader *ld, struct ynode *n)
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

/* quorum: tie_breaker and no_quorum. */
void load_cluster_quorum(struct loader *ld, struct ynode *n)
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

/* Heartbeat and quorum settings that only make sense together. */
void load_cluster_check(struct loader *ld)
{
    check_token(ld);
    check_link_mode(ld);
    check_quorum(ld);
}
