/* What changes between two configurations (see diff.h). Pure: no I/O. */
#include "config/diff.h"
#include "base/util.h"

#include <string.h>

/* The name of a change as `vigil config diff` shows it (a static string). */
const char *cfg_change_name(enum cfg_change c)
{
    static const char *const names[CFG_CHANGE_MAX] = {
        [CFG_CHANGE_NONE] = "unchanged",
        [CFG_CHANGE_ADDED] = "added",
        [CFG_CHANGE_REMOVED] = "removed",
        [CFG_CHANGE_MODIFIED] = "modified",
    };
    return (unsigned)c < CFG_CHANGE_MAX ? names[c] : "unknown";
}

static int res_index(const struct cfg_group *g, const char *name)
{
    for (size_t r = 0; r < g->n_resources; r++)
        if (strcmp(g->resources[r].name, name) == 0)
            return (int)r;
    return -1;
}

/*
 * The settings of group a (of old) and b (of new) that decide where and how
 * it runs, not what it runs: changing them restarts none of its resources.
 * The kind, copies, primaries and notify are among them: a copy runs the
 * same resources (a change of kind that changes a resource's role changes
 * that resource).
 */
static bool settings_equal(const struct cfg *old, const struct cfg_group *a, const struct cfg *new,
                           const struct cfg_group *b)
{
    if (a->n_domain != b->n_domain || a->policy != b->policy ||
        !streq_null(a->policy_script, b->policy_script) || a->failback != b->failback ||
        a->restarts_max != b->restarts_max || a->restarts_within_ms != b->restarts_within_ms ||
        a->backoff_ms != b->backoff_ms || a->backoff_max_ms != b->backoff_max_ms ||
        a->kind != b->kind || a->copies != b->copies || a->primaries != b->primaries ||
        a->notify != b->notify || !cfg_group_placement_equal(old, a, new, b))
        return false;
    return memcmp(a->domain, b->domain, a->n_domain * sizeof(*a->domain)) == 0;
}

static void add_res(struct cfg_group_diff *gd, const char *name, enum cfg_change c)
{
    gd->res = xrealloc(gd->res, (gd->n_res + 1) * sizeof(*gd->res));
    gd->res[gd->n_res++] = (struct cfg_res_diff){name, c};
}

/* Fills the details of a group present in both. */
static void diff_group(const struct cfg *old, const struct cfg_group *a, const struct cfg *new,
                       const struct cfg_group *b, struct cfg_group_diff *gd)
{
    gd->settings = !settings_equal(old, a, new, b);
    bool same_set = a->n_resources == b->n_resources;
    for (size_t r = 0; r < a->n_resources; r++) {
        int k = res_index(b, a->resources[r].name);
        if (k < 0) {
            add_res(gd, a->resources[r].name, CFG_CHANGE_REMOVED);
            same_set = false;
        } else if (!cfg_resource_equal(&a->resources[r], &b->resources[k])) {
            add_res(gd, a->resources[r].name, CFG_CHANGE_MODIFIED);
        } else if ((size_t)k != r) {
            gd->order = true;
        }
    }
    for (size_t r = 0; r < b->n_resources; r++)
        if (res_index(a, b->resources[r].name) < 0)
            add_res(gd, b->resources[r].name, CFG_CHANGE_ADDED);
    if (!same_set)
        gd->order = false; /* only meaningful for the same resources */
    while (gd->keep < a->n_resources && gd->keep < b->n_resources &&
           cfg_resource_equal(&a->resources[gd->keep], &b->resources[gd->keep]))
        gd->keep++;
    bool changed = gd->settings || gd->order || gd->n_res || !cfg_group_equal(a, b);
    gd->change = changed ? CFG_CHANGE_MODIFIED : CFG_CHANGE_NONE;
}

static void core_changes(const struct cfg *a, const struct cfg *b, struct cfg_diff *d)
{
#define CORE(cond, name)                                                                           \
    do {                                                                                           \
        if ((cond) && d->n_core < CFG_DIFF_MAX_CORE)                                               \
            d->core[d->n_core++] = (name);                                                         \
    } while (0)
    CORE(!streq_null(a->cluster_name, b->cluster_name), "cluster.name");
    CORE(!streq_null(a->key_path, b->key_path), "cluster.key");
    CORE(a->engine != b->engine, "engine");
    CORE(a->interval_ms != b->interval_ms || a->misses != b->misses || a->link_mode != b->link_mode,
         "heartbeat");
    bool nets = a->n_networks != b->n_networks;
    for (size_t i = 0; !nets && i < a->n_networks; i++)
        nets = !streq_null(a->networks[i].name, b->networks[i].name);
    CORE(nets, "networks");
    bool nodes = a->n_nodes != b->n_nodes || nets;
    for (size_t i = 0; !nodes && i < a->n_nodes; i++) {
        const struct cfg_node *x = &a->nodes[i], *y = &b->nodes[i];
        nodes = !streq_null(x->name, y->name) || x->id != y->id;
        for (size_t j = 0; !nodes && j < a->n_networks; j++)
            nodes = !streq_null(x->addr[j], y->addr[j]);
    }
    CORE(nodes, "nodes");
    CORE(a->tie_breaker != b->tie_breaker ||
             (a->tie_breaker == CFG_TIE_NODE && a->tie_breaker_node_id != b->tie_breaker_node_id),
         "quorum.tie_breaker");
    CORE(!nodes && !cfg_fencing_equal(a, b), "fencing");
    CORE(!streq_null(a->ocf_root ? a->ocf_root : CFG_DEFAULT_OCF_ROOT,
                     b->ocf_root ? b->ocf_root : CFG_DEFAULT_OCF_ROOT),
         "resources.ocf_root");
#undef CORE
}

/*
 * Groups are matched by name: the old ones in order, then the added ones;
 * names are borrowed from old and new.
 */
void cfg_diff(const struct cfg *old, const struct cfg *new, struct cfg_diff *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->groups = xcalloc(old->n_groups + new->n_groups + 1, sizeof(*ret->groups));
    for (size_t g = 0; g < old->n_groups; g++) {
        struct cfg_group_diff *gd = &ret->groups[ret->n_groups++];
        const struct cfg_group *a = &old->groups[g];
        const struct cfg_group *b = cfg_group_by_name(new, a->name);
        gd->name = a->name;
        gd->old_index = (int)g;
        gd->new_index = b ? (int)cfg_group_index(new, b) : -1;
        if (!b)
            gd->change = CFG_CHANGE_REMOVED;
        else
            diff_group(old, a, new, b, gd);
    }
    for (size_t g = 0; g < new->n_groups; g++) {
        if (cfg_group_by_name(old, new->groups[g].name))
            continue;
        struct cfg_group_diff *gd = &ret->groups[ret->n_groups++];
        gd->name = new->groups[g].name;
        gd->change = CFG_CHANGE_ADDED;
        gd->old_index = -1;
        gd->new_index = (int)g;
    }
    core_changes(old, new, ret);
    ret->no_quorum = old->no_quorum != new->no_quorum;
    ret->hooks = !cfg_hooks_equal(old, new);
    ret->capacity = old->n_nodes == new->n_nodes && !cfg_capacity_equal(old, new);
}

/* Frees the arrays of d and leaves it empty; accepts a zeroed d. */
void cfg_diff_clear(struct cfg_diff *d)
{
    for (size_t g = 0; g < d->n_groups; g++)
        free(d->groups[g].res);
    free(d->groups);
    memset(d, 0, sizeof(*d));
}

/* The number of groups whose change is not CFG_CHANGE_NONE. */
size_t cfg_diff_n_changed(const struct cfg_diff *d)
{
    size_t n = 0;
    for (size_t g = 0; g < d->n_groups; g++)
        n += d->groups[g].change != CFG_CHANGE_NONE;
    return n;
}

/* No group changes, no core section, no quorum.no_quorum, no hooks, no capacity. */
bool cfg_diff_empty(const struct cfg_diff *d)
{
    return !cfg_diff_n_changed(d) && !d->n_core && !d->no_quorum && !d->hooks && !d->capacity;
}

/*
 * Swaps back what a group refers to by index into its own configuration:
 * its relationships (group indices) and load (capacity indices) are equal
 * by name only, and the indices may differ between old and new.
 */
static void swap_placement(struct cfg_group *x, struct cfg_group *y)
{
#define SWAP(field)                                                                                \
    do {                                                                                           \
        __typeof__(x->field) t_ = x->field;                                                        \
        x->field = y->field;                                                                       \
        y->field = t_;                                                                             \
    } while (0)
    SWAP(requires);
    SWAP(n_requires);
    SWAP(together_with);
    SWAP(n_together_with);
    SWAP(apart_from);
    SWAP(n_apart_from);
#undef SWAP
    uint64_t load[CFG_MAX_CAPACITIES];
    memcpy(load, x->load, sizeof(load));
    memcpy(x->load, y->load, sizeof(load));
    memcpy(y->load, load, sizeof(load));
}

/*
 * Swaps unchanged groups whole, and the first gd->keep resources of modified
 * ones, between old and new (see diff.h for what then belongs to whom).
 */
void cfg_transplant_unchanged(struct cfg *new, struct cfg *old, const struct cfg_diff *d)
{
    for (size_t i = 0; i < d->n_groups; i++) {
        const struct cfg_group_diff *gd = &d->groups[i];
        if (gd->change == CFG_CHANGE_MODIFIED) {
            struct cfg_resource *x = new->groups[gd->new_index].resources;
            struct cfg_resource *y = old->groups[gd->old_index].resources;
            for (size_t r = 0; r < gd->keep; r++) {
                struct cfg_resource tmp = x[r];
                x[r] = y[r];
                y[r] = tmp;
            }
        }
        if (gd->change != CFG_CHANGE_NONE)
            continue;
        struct cfg_group *x = &new->groups[gd->new_index], *y = &old->groups[gd->old_index];
        struct cfg_group tmp = *x;
        *x = *y;
        *y = tmp;
        swap_placement(x, y);
    }
}
