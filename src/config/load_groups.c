/*
 * The groups section of vigil.yaml: each group with its domain (the nodes
 * that may run it, most preferred first), placement policy, failback,
 * priority, restart budget and back-off, load (load_capacity.c), clone or
 * promotable copies (load_clone.c) and resources (load_resources.c). Relationships with other
 * groups are recorded here and resolved once every group is loaded (load_relations.c). Pure: a
 * policy script is checked on the disk through files.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/load.h"

static void load_domain(struct loader *ld, struct cfg_group *g, struct ynode *n, const char *who)
{
    struct cfg *c = ld->c;
    _cleanup_free_ char *label = xasprintf("%s: domain", who);
    if (n->type == YN_SCALAR && n->plain && scalar_name_ok(n, 63, "._-", true)) {
        _cleanup_free_ char *q = report_quote_node(n);
        report_error(ld, n, "%s must be a list of nodes, not %s; write [%s]", label, q, n->text);
        return;
    }
    if (n->type != YN_SEQUENCE) {
        report_type(ld, n, label, "a list of node names, most preferred first, such as [n1, n2]");
        return;
    }
    if (n->n == 0) {
        report_error(ld, n, "%s is empty; name at least one node", label);
        return;
    }
    size_t count = walk_cap(ld, n, CFG_MAX_NODES, who, "nodes in the domain");
    bool names_ok = c->n_nodes > 0;
    const char **names = xcalloc(c->n_nodes + 1, sizeof(*names));
    for (size_t i = 0; i < c->n_nodes; i++) {
        names_ok = names_ok && ld->src[i].name_ok;
        names[i] = ld->src[i].name_ok ? c->nodes[i].name : NULL;
    }
    const struct ynode **at = xcalloc(count, sizeof(*at));
    g->domain = xcalloc(count, sizeof(*g->domain));
    for (size_t i = 0; i < count; i++) {
        const struct ynode *v = n->items[i];
        _cleanup_free_ char *ilabel = xasprintf("%s: domain entry #%zu", who, i + 1);
        if (!scalar_ok(ld, v, ilabel, "a node name"))
            continue;
        size_t ni = 0;
        while (ni < c->n_nodes &&
               !(names[ni] && !ytree_has_nul(v) && strcmp(names[ni], v->text) == 0))
            ni++;
        if (ni == c->n_nodes) {
            static const struct unknown_name u = {
                .what = "undeclared node", .context = " in the domain", .plural = "nodes"};
            if (names_ok)
                report_unknown(ld, v, who, &u, names, c->n_nodes);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < g->n_domain && !dup; j++) {
            if (g->domain[j] == ni) {
                report_error(ld, v, "%s: the domain names node '%s' twice (first at line %d)", who,
                             names[ni], at[j]->line);
                dup = true;
            }
        }
        if (dup)
            continue;
        at[g->n_domain] = v;
        g->domain[g->n_domain++] = ni;
    }
    if (count == 1 && g->n_domain == 1 && c->n_nodes > 1)
        report_warning(ld, n, "%s: the domain has only one node, so the group cannot fail over",
                       who);
    ld->gsrc[g - c->groups].domain_ok = g->n_domain == n->n;
    free(at);
    free(names);
}

static void load_policy(struct loader *ld, struct cfg_group *g, struct ynode *n, const char *who)
{
    static const char *const names[] = {"ordered", "round-robin", "balanced"};
    static const enum cfg_policy values[] = {CFG_POLICY_ORDERED, CFG_POLICY_ROUND_ROBIN,
                                             CFG_POLICY_BALANCED};
    static const char expected[] = "ordered, round-robin, balanced or {script: PATH}";
    _cleanup_free_ char *label = xasprintf("%s: policy", who);
    if (n->type == YN_MAPPING) {
        static const struct key_spec specs[] = {{"script", true}};
        struct ynode *f[1];
        _cleanup_free_ char *where = xasprintf("in the policy of %s", who);
        walk_mapping(ld, n, label, where, specs, 1, f);
        if (!f[0])
            return;
        _cleanup_free_ char *slabel = xasprintf("%s: policy.script", who);
        const char *p = scalar_path(ld, f[0], slabel, "a placement script", NULL);
        if (!p)
            return;
        g->policy = CFG_POLICY_SCRIPT;
        g->policy_script = xstrdup(p);
        if (ld->flags & CFG_LOAD_CHECK_FILES) {
            _cleanup_free_ char *what = xasprintf("%s: policy script", who);
            files_check_executable(ld, f[0], what, p);
        }
        return;
    }
    if (!scalar_ok(ld, n, label, expected))
        return;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (!ytree_has_nul(n) && strcmp(n->text, names[i]) == 0) {
            g->policy = values[i];
            return;
        }
    }
    _cleanup_free_ char *q = report_quote_node(n);
    const char *sug = ytree_has_nul(n) ? NULL : report_suggest(n->text, names, ARRAY_SIZE(names));
    if (!ytree_has_nul(n) && strcmp(n->text, "script") == 0)
        report_error(
            ld, n, "%s: policy script needs the script's path: write policy: {script: PATH}", who);
    else if (sug)
        report_error(ld, n, "%s must be %s, not %s; did you mean '%s'?", label, expected, q, sug);
    else
        report_error(ld, n, "%s must be %s, not %s", label, expected, q);
}

static void load_restarts(struct loader *ld, struct cfg_group *g, struct ynode *n, const char *who)
{
    static const struct key_spec specs[] = {
        {"max", false}, {"within", false}, {"backoff", false}, {"backoff_max", false}};
    struct ynode *f[ARRAY_SIZE(specs)];
    _cleanup_free_ char *label = xasprintf("%s: restarts", who);
    _cleanup_free_ char *where = xasprintf("in the restarts of %s", who);
    if (!walk_mapping(ld, n, label, where, specs, ARRAY_SIZE(specs), f))
        return;
    uint64_t v;
    if (f[0]) {
        _cleanup_free_ char *l = xasprintf("%s: restarts.max", who);
        if (scalar_uint(ld, f[0], l, 0, CFG_MAX_RESTARTS, &v))
            g->restarts_max = (uint32_t)v;
    }
    if (f[1]) {
        _cleanup_free_ char *l = xasprintf("%s: restarts.within", who);
        if (scalar_duration(ld, f[1], l, CFG_MIN_RESTARTS_WITHIN_MS, CFG_MAX_RESTARTS_WITHIN_MS,
                            &v))
            g->restarts_within_ms = v;
    }
    bool ok[2] = {true, true};
    for (size_t i = 0; i < 2; i++) {
        if (!f[2 + i])
            continue;
        _cleanup_free_ char *l = xasprintf("%s: restarts.%s", who, specs[2 + i].name);
        ok[i] = scalar_duration(ld, f[2 + i], l, 0, CFG_MAX_BACKOFF_MS, &v);
        if (ok[i])
            *(i == 0 ? &g->backoff_ms : &g->backoff_max_ms) = v;
    }
    if (ok[0] && ok[1] && g->backoff_ms > g->backoff_max_ms) {
        char a[32], b[32];
        report_error(ld, f[2] ? f[2] : f[3],
                     "%s: restarts.backoff (%s%s) is longer than restarts.backoff_max (%s%s); the "
                     "delay doubles from backoff up to backoff_max",
                     who, dur_format(g->backoff_ms, a), f[2] ? "" : ", the default",
                     dur_format(g->backoff_max_ms, b), f[3] ? "" : ", the default");
    }
}

static void load_group_resources(struct loader *ld, size_t gi, struct ynode *n, const char *who)
{
    struct cfg_group *g = &ld->c->groups[gi];
    _cleanup_free_ char *label = xasprintf("%s: resources", who);
    if (n->type != YN_SEQUENCE) {
        report_type(ld, n, label, "a list of resources (- name: NAME, type: TYPE, ...)");
        return;
    }
    if (n->n == 0) {
        report_error(ld, n, "%s is empty; a group holds at least one resource", label);
        return;
    }
    size_t count = walk_cap(ld, n, CFG_MAX_RESOURCES, who, "resources");
    g->resources = xcalloc(count, sizeof(*g->resources));
    g->n_resources = count;
    for (size_t i = 0; i < count; i++)
        load_resource(ld, gi, i, n->items[i]);
}

static void load_group(struct loader *ld, size_t gi, struct ynode *e)
{
    enum {
        GK_NAME,
        GK_DOMAIN,
        GK_POLICY,
        GK_FAILBACK,
        GK_RESTARTS,
        GK_RESOURCES,
        GK_REQUIRES,
        GK_COLOCATED,
        GK_TOGETHER_WITH,
        GK_APART_FROM,
        GK_LOAD,
        GK_PRIORITY,
        GK_CLONE,
        GK_PROMOTABLE,
        GK_MAX
    };
    static const struct key_spec specs[GK_MAX] = {
        [GK_NAME] = {"name", true},
        [GK_DOMAIN] = {"domain", true},
        [GK_POLICY] = {"policy", false},
        [GK_FAILBACK] = {"failback", false},
        [GK_RESTARTS] = {"restarts", false},
        [GK_RESOURCES] = {"resources", true},
        [GK_REQUIRES] = {"requires", false},
        [GK_COLOCATED] = {"colocated", false},
        [GK_TOGETHER_WITH] = {"together_with", false},
        [GK_APART_FROM] = {"apart_from", false},
        [GK_LOAD] = {"load", false},
        [GK_PRIORITY] = {"priority", false},
        [GK_CLONE] = {"clone", false},
        [GK_PROMOTABLE] = {"promotable", false},
    };
    static const char *const failback[] = {"controlled", "auto"};
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg_group *g = &ld->c->groups[gi];
    g->policy = CFG_POLICY_ORDERED;
    g->failback = CFG_FAILBACK_CONTROLLED;
    g->restarts_max = CFG_DEFAULT_RESTARTS_MAX;
    g->restarts_within_ms = CFG_DEFAULT_RESTARTS_WITHIN;
    g->backoff_ms = CFG_DEFAULT_BACKOFF_MS;
    g->backoff_max_ms = CFG_DEFAULT_BACKOFF_MAX_MS;
    g->copies = 1;
    ld->gsrc[gi].entry = e;
    _cleanup_free_ char *who = walk_label(e, gi, "group");
    _cleanup_free_ char *where = xasprintf("in %s", who);
    if (e->type != YN_MAPPING) {
        report_type(ld, e, who, "a mapping with name, domain and resources");
        return;
    }
    walk_mapping(ld, e, who, where, specs, ARRAY_SIZE(specs), f);
    if (f[GK_NAME]) {
        _cleanup_free_ char *label = xasprintf("%s: name", who);
        const char *name =
            scalar_name(ld, f[GK_NAME], label, "group name", 63, "._-", true, NODE_NAME_RULE);
        if (name) {
            g->name = xstrdup(name);
            load_resources_claim_name(ld, f[GK_NAME], gi, true);
        }
    }
    if (f[GK_DOMAIN])
        load_domain(ld, g, f[GK_DOMAIN], who);
    if (f[GK_POLICY])
        load_policy(ld, g, f[GK_POLICY], who);
    if (f[GK_FAILBACK]) {
        _cleanup_free_ char *label = xasprintf("%s: failback", who);
        int i = scalar_keyword(ld, f[GK_FAILBACK], label, failback, ARRAY_SIZE(failback));
        if (i >= 0)
            g->failback = i == 0 ? CFG_FAILBACK_CONTROLLED : CFG_FAILBACK_AUTO;
    }
    if (f[GK_RESTARTS])
        load_restarts(ld, g, f[GK_RESTARTS], who);
    if (f[GK_PRIORITY]) {
        _cleanup_free_ char *label = xasprintf("%s: priority", who);
        int64_t v;
        if (scalar_int(ld, f[GK_PRIORITY], label, -CFG_MAX_PRIORITY, CFG_MAX_PRIORITY, &v))
            g->priority = (int32_t)v;
    }
    if (f[GK_LOAD])
        load_capacity_load(ld, g, f[GK_LOAD], who);
    if (f[GK_COLOCATED]) {
        _cleanup_free_ char *label = xasprintf("%s: colocated", who);
        if (scalar_bool(ld, f[GK_COLOCATED], label, &g->colocated) && g->colocated)
            ld->gsrc[gi].colocated = f[GK_COLOCATED];
    }
    ld->gsrc[gi].rel[REL_REQUIRES] = f[GK_REQUIRES];
    ld->gsrc[gi].rel[REL_TOGETHER_WITH] = f[GK_TOGETHER_WITH];
    ld->gsrc[gi].rel[REL_APART_FROM] = f[GK_APART_FROM];
    load_clone_group(ld, gi, f[GK_CLONE], f[GK_PROMOTABLE], f[GK_POLICY], who);
    if (f[GK_RESOURCES])
        load_group_resources(ld, gi, f[GK_RESOURCES], who);
    load_clone_check(ld, gi, who);
}

/* groups: a list of groups, each with a name, a domain and its resources. */
void load_groups(struct loader *ld, struct ynode *n)
{
    if (n->type == YN_SEQUENCE && n->n == 0)
        return; /* no groups: a cluster of nodes only */
    size_t count = walk_list(ld, n, "groups",
                             "a list of groups (- name: NAME, domain: [NODES], resources: "
                             "[RESOURCES])",
                             "group", CFG_MAX_GROUPS, "");
    if (count == 0)
        return;
    struct cfg *c = ld->c;
    c->groups = xcalloc(count, sizeof(*c->groups));
    c->n_groups = count;
    ld->gsrc = xcalloc(count, sizeof(*ld->gsrc));
    ld->groups_all = count == n->n;
    for (size_t i = 0; i < count; i++)
        load_group(ld, i, n->items[i]);
    load_relations(ld);
}
