/*
 * The groups section of vigil.yaml: each group with its domain (the nodes
 * that may run it, most preferred first), placement policy, failback,
 * restart budget and resources (load_resources.c). Pure: a policy script is
 * checked on the disk through files.c.
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
    free(at);
    free(names);
}

static void load_policy(struct loader *ld, struct cfg_group *g, struct ynode *n, const char *who)
{
    static const char *const names[] = {"ordered", "round-robin"};
    static const char expected[] = "ordered, round-robin or {script: PATH}";
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
            g->policy = i == 0 ? CFG_POLICY_ORDERED : CFG_POLICY_ROUND_ROBIN;
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
    static const struct key_spec specs[] = {{"max", false}, {"within", false}};
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
    static const struct key_spec specs[] = {
        {"name", true},      {"domain", true},    {"policy", false},
        {"failback", false}, {"restarts", false}, {"resources", true},
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
    _cleanup_free_ char *who = walk_label(e, gi, "group");
    _cleanup_free_ char *where = xasprintf("in %s", who);
    if (e->type != YN_MAPPING) {
        report_type(ld, e, who, "a mapping with name, domain and resources");
        return;
    }
    walk_mapping(ld, e, who, where, specs, ARRAY_SIZE(specs), f);
    if (f[0]) {
        _cleanup_free_ char *label = xasprintf("%s: name", who);
        const char *name =
            scalar_name(ld, f[0], label, "group name", 63, "._-", true, NODE_NAME_RULE);
        if (name) {
            g->name = xstrdup(name);
            load_resources_claim_name(ld, f[0], gi, true);
        }
    }
    if (f[1])
        load_domain(ld, g, f[1], who);
    if (f[2])
        load_policy(ld, g, f[2], who);
    if (f[3]) {
        _cleanup_free_ char *label = xasprintf("%s: failback", who);
        int i = scalar_keyword(ld, f[3], label, failback, ARRAY_SIZE(failback));
        if (i >= 0)
            g->failback = i == 0 ? CFG_FAILBACK_CONTROLLED : CFG_FAILBACK_AUTO;
    }
    if (f[4])
        load_restarts(ld, g, f[4], who);
    if (f[5])
        load_group_resources(ld, gi, f[5], who);
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
    for (size_t i = 0; i < count; i++)
        load_group(ld, i, n->items[i]);
}
