/*
 * Capacity and load in vigil.yaml: a node's capacity ({memory: 16, cpu: 8})
 * and a group's load of the same names. The names are free-form; the file
 * declares them in the nodes, in order of first appearance, at most
 * CFG_MAX_CAPACITIES of them (cfg.capacity_names). A load may only name a
 * capacity that some node declares. Pure: no I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/load.h"

#define CAPACITY_NAME_RULE "1 to 32 lower-case letters, digits, '_' or '-', starting with a letter"

/* A capacity name: [a-z][a-z0-9_-]*, at most 32 bytes. Reports nothing. */
static bool capacity_name_ok(const struct ynode *k)
{
    if (k->len < 1 || k->len > 32 || ytree_has_nul(k) || k->text[0] < 'a' || k->text[0] > 'z')
        return false;
    for (size_t i = 0; i < k->len; i++) {
        char ch = k->text[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* The index of name in c->capacity_names, or -1. */
static int capacity_index(const struct cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_capacity_names; i++)
        if (strcmp(c->capacity_names[i], name) == 0)
            return (int)i;
    return -1;
}

/* k, a key of a capacity or load mapping, is plain text and a capacity name; else reported. */
static bool amount_key_ok(struct loader *ld, const struct ynode *k, const char *label)
{
    if (!walk_plain_key(ld, k))
        return false;
    if (capacity_name_ok(k))
        return true;
    _cleanup_free_ char *q = report_quote_node(k);
    report_error(ld, k, "%s: %s is not a valid capacity name: use %s", label, q,
                 CAPACITY_NAME_RULE);
    return false;
}

/* Reports k when seen (the first key of the same name) is set; returns whether it was. */
static bool amount_dup(struct loader *ld, const struct ynode *k, const struct ynode *seen,
                       const char *label)
{
    if (!seen)
        return false;
    report_error(ld, k, "duplicate key '%s' in %s (first at line %d)", k->text, label, seen->line);
    return true;
}

/*
 * capacity: {NAME: AMOUNT, ...} of node ni: new names join
 * ld->c->capacity_names; a name past CFG_MAX_CAPACITIES is refused.
 * ld->capacity_bad is set when some key could not be taken, so that a load
 * naming it is not called undeclared.
 */
void load_capacity_node(struct loader *ld, size_t ni, struct ynode *n, const char *who)
{
    struct cfg *c = ld->c;
    struct cfg_node *node = &c->nodes[ni];
    _cleanup_free_ char *label = xasprintf("%s: capacity", who);
    _cleanup_free_ char *where = xasprintf("the capacity of %s", who);
    if (n->type != YN_MAPPING) {
        report_type(ld, n, label, "a mapping of capacity name to amount, such as {memory: 64}");
        ld->capacity_bad = true;
        return;
    }
    node->has_capacity = true;
    const struct ynode *seen[CFG_MAX_CAPACITIES] = {0};
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        struct ynode *k = n->items[i], *v = n->items[i + 1];
        if (!amount_key_ok(ld, k, label)) {
            ld->capacity_bad = true;
            continue;
        }
        int ci = capacity_index(c, k->text);
        if (ci < 0 && c->n_capacity_names == CFG_MAX_CAPACITIES) {
            _cleanup_free_ char *all =
                report_join((const char *const *)c->capacity_names, c->n_capacity_names, " and ");
            report_error(ld, k,
                         "%s: too many capacity names: '%s' would be the %dth; at most %d are "
                         "supported in the file (%s are declared)",
                         label, k->text, CFG_MAX_CAPACITIES + 1, CFG_MAX_CAPACITIES, all);
            ld->capacity_bad = true;
            continue;
        }
        if (ci >= 0 && amount_dup(ld, k, seen[ci], where))
            continue;
        _cleanup_free_ char *vlabel = xasprintf("%s: capacity.%s", who, k->text);
        uint64_t amount;
        bool ok = scalar_uint(ld, v, vlabel, 0, CFG_MAX_CAPACITY, &amount);
        if (ci < 0) {
            ci = (int)c->n_capacity_names;
            c->capacity_names[c->n_capacity_names++] = xstrdup(k->text);
        }
        seen[ci] = k;
        if (ok)
            node->capacity[ci] = amount;
    }
}

/*
 * load: {NAME: AMOUNT, ...} of group g: each name must be one the nodes
 * declare (load the nodes first).
 */
void load_capacity_load(struct loader *ld, struct cfg_group *g, struct ynode *n, const char *who)
{
    struct cfg *c = ld->c;
    _cleanup_free_ char *label = xasprintf("%s: load", who);
    _cleanup_free_ char *where = xasprintf("the load of %s", who);
    if (n->type != YN_MAPPING) {
        report_type(ld, n, label, "a mapping of capacity name to amount, such as {memory: 8}");
        return;
    }
    const struct ynode *seen[CFG_MAX_CAPACITIES] = {0};
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        struct ynode *k = n->items[i], *v = n->items[i + 1];
        if (!amount_key_ok(ld, k, label))
            continue;
        int ci = capacity_index(c, k->text);
        if (ci < 0) {
            static const struct unknown_name u = {
                .what = "load of",
                .context = ", a capacity no node declares",
                .plural = "capacities",
                .none = "no node declares a capacity: add capacity: {NAME: AMOUNT} to the nodes"};
            if (!ld->capacity_bad)
                report_unknown(ld, k, who, &u, (const char *const *)c->capacity_names,
                               c->n_capacity_names);
            continue;
        }
        if (amount_dup(ld, k, seen[ci], where))
            continue;
        seen[ci] = k;
        _cleanup_free_ char *vlabel = xasprintf("%s: load.%s", who, k->text);
        uint64_t amount;
        if (scalar_uint(ld, v, vlabel, 0, CFG_MAX_CAPACITY, &amount))
            g->load[ci] = amount;
    }
}
