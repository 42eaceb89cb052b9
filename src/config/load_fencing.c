/*
 * The fencing section of vigil.yaml: whether fencing is on, the action and
 * retries, the fence devices (agent, parameters, secrets, timeout) and each
 * node's levels and delay; then the checks across sections that need the
 * whole file. Pure: agents and secrets are checked on the disk by files.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/load.h"

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
        if (!walk_plain_key(ld, k))
            continue;
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
    static const struct unknown_name u = {.what = "unknown fencing device",
                                          .plural = "devices",
                                          .none = "fencing.devices declares none"};
    const char **names = xcalloc(c->n_fence_devices + 1, sizeof(*names));
    for (size_t i = 0; i < c->n_fence_devices; i++)
        names[i] = c->fence_devices[i].name;
    report_unknown(ld, n, who, &u, names, c->n_fence_devices);
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
        if (!walk_plain_key(ld, k))
            continue;
        size_t ni = 0;
        while (ni < c->n_nodes && !(names[ni] && strcmp(names[ni], k->text) == 0))
            ni++;
        if (ni == c->n_nodes) {
            static const struct unknown_name u = {.what = "undeclared node", .plural = "nodes"};
            if (names_ok)
                report_unknown(ld, k, "fencing.nodes", &u, names, c->n_nodes);
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

/* fencing: enabled, unsafe_recovery, action, retries, startup_wait, devices and nodes. */
void load_fencing(struct loader *ld, struct ynode *n)
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

/*
 * Fencing across sections: enabled and unsafe_recovery, levels for every
 * node, devices no level uses, and the delay a two-node cluster needs.
 */
void load_fencing_check(struct loader *ld)
{
    struct cfg *c = ld->c;
    if (!ld->fencing_ok)
        return;
    bool enabled = c->fence_enabled && !ld->fence_enabled_bad;
    if (c->n_nodes == 1 && ld->src[0].name_ok) {
        /*
         * Nobody else can fence it, nor run its groups: fencing has no use, so
         * neither its absence nor missing levels are worth a word (vigil verify
         * says what a one-node cluster does).
         */
        if (ld->fence_unsafe)
            report_warning(ld, ld->fence_unsafe,
                           "unsafe_recovery means nothing in a one-node cluster: there is no "
                           "other node to recover on");
        return;
    }
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
