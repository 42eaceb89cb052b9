/*
 * Comparing two configurations: cfg_equal and its parts, which tell the
 * replicated configuration (diff.c) what changed. Pure: no I/O.
 */
#include <string.h>

#include "base/util.h"
#include "config/config.h"

static bool fence_device_equal(const struct cfg_fence_device *x, const struct cfg_fence_device *y)
{
    if (!streq_null(x->name, y->name) || !streq_null(x->agent, y->agent) ||
        !streq_null(x->secrets, y->secrets) || x->timeout_ms != y->timeout_ms ||
        x->n_params != y->n_params)
        return false;
    for (size_t p = 0; p < x->n_params; p++)
        if (!streq_null(x->params[p].key, y->params[p].key) ||
            !streq_null(x->params[p].value, y->params[p].value))
            return false;
    return true;
}

/* Node i's fencing; a missing array reads as no levels and no delay. */
static const struct cfg_fence_node *fence_node(const struct cfg *c, size_t i)
{
    static const struct cfg_fence_node none = {0};
    return c->fence_nodes ? &c->fence_nodes[i] : &none;
}

static bool fence_node_equal(const struct cfg_fence_node *x, const struct cfg_fence_node *y)
{
    if (x->delay_ms != y->delay_ms || x->n_levels != y->n_levels)
        return false;
    for (size_t l = 0; l < x->n_levels; l++) {
        const struct cfg_fence_level *p = &x->levels[l], *q = &y->levels[l];
        if (p->n_refs != q->n_refs)
            return false;
        for (size_t r = 0; r < p->n_refs; r++)
            if (p->refs[r].device != q->refs[r].device ||
                !streq_null(p->refs[r].port, q->refs[r].port))
                return false;
    }
    return true;
}

static bool fencing_equal(const struct cfg *a, const struct cfg *b)
{
    if (a->fence_enabled != b->fence_enabled ||
        a->fence_unsafe_recovery != b->fence_unsafe_recovery ||
        a->fence_action != b->fence_action || a->fence_retries != b->fence_retries ||
        a->fence_startup_wait_ms != b->fence_startup_wait_ms ||
        a->n_fence_devices != b->n_fence_devices)
        return false;
    for (size_t i = 0; i < a->n_fence_devices; i++)
        if (!fence_device_equal(&a->fence_devices[i], &b->fence_devices[i]))
            return false;
    for (size_t i = 0; i < a->n_nodes; i++) /* the caller checked that n_nodes match */
        if (!fence_node_equal(fence_node(a, i), fence_node(b, i)))
            return false;
    return true;
}

static bool params_equal(const struct cfg_param *x, size_t nx, const struct cfg_param *y, size_t ny)
{
    if (nx != ny)
        return false;
    for (size_t i = 0; i < nx; i++)
        if (!streq_null(x[i].key, y[i].key) || !streq_null(x[i].value, y[i].value))
            return false;
    return true;
}

static bool argv_equal(char *const *x, size_t nx, char *const *y, size_t ny)
{
    if (nx != ny)
        return false;
    for (size_t i = 0; i < nx; i++)
        if (!streq_null(x ? x[i] : NULL, y ? y[i] : NULL))
            return false;
    return true;
}

static bool check_equal(const struct cfg_check *x, const struct cfg_check *y)
{
    return x->type == y->type && streq_null(x->host, y->host) && x->port == y->port &&
           streq_null(x->url, y->url) && streq_null(x->path, y->path) && x->status == y->status &&
           argv_equal(x->argv, x->argc, y->argv, y->argc) && x->interval_ms == y->interval_ms &&
           x->timeout_ms == y->timeout_ms && x->failures == y->failures;
}

static bool resource_equal(const struct cfg_resource *x, const struct cfg_resource *y)
{
    if (!streq_null(x->name, y->name) || x->type != y->type || x->on_fail != y->on_fail ||
        x->start_timeout_ms != y->start_timeout_ms || x->stop_timeout_ms != y->stop_timeout_ms ||
        x->monitor_timeout_ms != y->monitor_timeout_ms ||
        x->monitor_interval_ms != y->monitor_interval_ms || x->healthy_any != y->healthy_any ||
        x->ready_timeout_ms != y->ready_timeout_ms || x->n_checks != y->n_checks ||
        x->role != y->role || x->promote_timeout_ms != y->promote_timeout_ms ||
        x->demote_timeout_ms != y->demote_timeout_ms ||
        x->notify_timeout_ms != y->notify_timeout_ms)
        return false;
    for (size_t i = 0; i < x->n_checks; i++)
        if (!check_equal(&x->checks[i], &y->checks[i]))
            return false;
    if (!streq_null(x->address, y->address) || x->family != y->family ||
        memcmp(x->addr, y->addr, sizeof(x->addr)) != 0 || x->prefix != y->prefix ||
        x->network != y->network || !streq_null(x->interface, y->interface) ||
        x->has_mac != y->has_mac || (x->has_mac && memcmp(x->mac, y->mac, sizeof(x->mac)) != 0))
        return false;
    if (!argv_equal(x->argv, x->argc, y->argv, y->argc) || !streq_null(x->user, y->user) ||
        !params_equal(x->env, x->n_env, y->env, y->n_env) ||
        !streq_null(x->directory, y->directory))
        return false;
    if (!streq_null(x->device, y->device) || !streq_null(x->mountpoint, y->mountpoint) ||
        !streq_null(x->fstype, y->fstype) || !streq_null(x->options, y->options))
        return false;
    return streq_null(x->path, y->path) && streq_null(x->provider, y->provider) &&
           streq_null(x->agent, y->agent) &&
           params_equal(x->params, x->n_params, y->params, y->n_params);
}

static bool group_equal(const struct cfg_group *x, const struct cfg_group *y)
{
    if (!streq_null(x->name, y->name) || x->n_domain != y->n_domain || x->policy != y->policy ||
        !streq_null(x->policy_script, y->policy_script) || x->failback != y->failback ||
        x->restarts_max != y->restarts_max || x->restarts_within_ms != y->restarts_within_ms ||
        x->backoff_ms != y->backoff_ms || x->backoff_max_ms != y->backoff_max_ms ||
        x->kind != y->kind || x->copies != y->copies || x->primaries != y->primaries ||
        x->notify != y->notify || x->n_resources != y->n_resources)
        return false;
    for (size_t i = 0; i < x->n_domain; i++)
        if (x->domain[i] != y->domain[i])
            return false;
    for (size_t i = 0; i < x->n_resources; i++)
        if (!resource_equal(&x->resources[i], &y->resources[i]))
            return false;
    return true;
}

static bool groups_equal(const struct cfg *a, const struct cfg *b)
{
    if (a->no_quorum != b->no_quorum ||
        !streq_null(a->ocf_root ? a->ocf_root : CFG_DEFAULT_OCF_ROOT,
                    b->ocf_root ? b->ocf_root : CFG_DEFAULT_OCF_ROOT) ||
        a->n_groups != b->n_groups)
        return false;
    for (size_t i = 0; i < a->n_groups; i++)
        if (!group_equal(&a->groups[i], &b->groups[i]) ||
            !cfg_group_placement_equal(a, &a->groups[i], b, &b->groups[i]))
            return false;
    return true;
}

/* ---- Capacity, load and relationships: compared by name, not by index ---- */

/* The amount of capacity name in v (indexed like c->capacity_names); 0 if c has no such name. */
static uint64_t amount_of(const struct cfg *c, const uint64_t *v, const char *name)
{
    for (size_t i = 0; i < c->n_capacity_names; i++)
        if (streq_null(c->capacity_names[i], name))
            return v[i];
    return 0;
}

/* v (of a) and w (of b) hold the same amount of every capacity name either declares. */
static bool amounts_equal(const struct cfg *a, const uint64_t *v, const struct cfg *b,
                          const uint64_t *w)
{
    for (size_t i = 0; i < a->n_capacity_names; i++)
        if (amount_of(b, w, a->capacity_names[i]) != v[i])
            return false;
    for (size_t i = 0; i < b->n_capacity_names; i++)
        if (amount_of(a, v, b->capacity_names[i]) != w[i])
            return false;
    return true;
}

static const char *group_name(const struct cfg *c, size_t g)
{
    return g < c->n_groups ? c->groups[g].name : NULL;
}

/* Lists of groups (indices into a's and b's groups) naming the same groups in the same order. */
static bool group_names_equal(const struct cfg *a, const size_t *x, size_t nx, const struct cfg *b,
                              const size_t *y, size_t ny)
{
    if (nx != ny)
        return false;
    for (size_t i = 0; i < nx; i++)
        if (!streq_null(group_name(a, x[i]), group_name(b, y[i])))
            return false;
    return true;
}

/* Groups x of a and y of b: the same priority, relationships (by name) and load (by name). */
bool cfg_group_placement_equal(const struct cfg *a, const struct cfg_group *x, const struct cfg *b,
                               const struct cfg_group *y)
{
    return x->priority == y->priority && x->colocated == y->colocated &&
           group_names_equal(a, x->requires, x->n_requires, b, y->requires, y->n_requires) &&
           group_names_equal(a, x->together_with, x->n_together_with, b, y->together_with,
                             y->n_together_with) &&
           group_names_equal(a, x->apart_from, x->n_apart_from, b, y->apart_from,
                             y->n_apart_from) &&
           amounts_equal(a, x->load, b, y->load);
}

/* Every node has the same capacity (by name) in a and b, which have as many nodes. */
bool cfg_capacity_equal(const struct cfg *a, const struct cfg *b)
{
    if (a->n_nodes != b->n_nodes)
        return false;
    for (size_t i = 0; i < a->n_nodes; i++) {
        const struct cfg_node *x = &a->nodes[i], *y = &b->nodes[i];
        if (x->has_capacity != y->has_capacity || !amounts_equal(a, x->capacity, b, y->capacity))
            return false;
    }
    return true;
}

/* True if a and b describe the same cluster; c->file is ignored. */
bool cfg_equal(const struct cfg *a, const struct cfg *b)
{
    if (!streq_null(a->cluster_name, b->cluster_name) || !streq_null(a->key_path, b->key_path) ||
        a->engine != b->engine || a->interval_ms != b->interval_ms || a->misses != b->misses ||
        a->link_mode != b->link_mode || a->n_networks != b->n_networks ||
        a->n_nodes != b->n_nodes || a->tie_breaker != b->tie_breaker)
        return false;
    if (a->tie_breaker == CFG_TIE_NODE && a->tie_breaker_node_id != b->tie_breaker_node_id)
        return false;
    for (size_t i = 0; i < a->n_networks; i++)
        if (!streq_null(a->networks[i].name, b->networks[i].name))
            return false;
    for (size_t i = 0; i < a->n_nodes; i++) {
        const struct cfg_node *x = &a->nodes[i], *y = &b->nodes[i];
        if (!streq_null(x->name, y->name) || x->id != y->id)
            return false;
        for (size_t j = 0; j < a->n_networks; j++)
            if (!streq_null(x->addr ? x->addr[j] : NULL, y->addr ? y->addr[j] : NULL))
                return false;
    }
    return cfg_capacity_equal(a, b) && fencing_equal(a, b) && groups_equal(a, b) &&
           cfg_hooks_equal(a, b);
}

/* Same hooks in the same order: names, commands, events, timeouts, every_node, environment. */
bool cfg_hooks_equal(const struct cfg *a, const struct cfg *b)
{
    if (a->n_hooks != b->n_hooks)
        return false;
    for (size_t i = 0; i < a->n_hooks; i++) {
        const struct cfg_hook *x = &a->hooks[i], *y = &b->hooks[i];
        if (!streq_null(x->name, y->name) || !argv_equal(x->argv, x->argc, y->argv, y->argc) ||
            x->events != y->events || x->timeout_ms != y->timeout_ms ||
            x->every_node != y->every_node || !params_equal(x->env, x->n_env, y->env, y->n_env))
            return false;
    }
    return true;
}

/* Two groups, with their resources (see config.h). */
bool cfg_group_equal(const struct cfg_group *a, const struct cfg_group *b)
{
    return group_equal(a, b);
}

/* Two resources, with their checks (see config.h). */
bool cfg_resource_equal(const struct cfg_resource *a, const struct cfg_resource *b)
{
    return resource_equal(a, b);
}

/* The fencing sections of two configurations with as many nodes (see config.h). */
bool cfg_fencing_equal(const struct cfg *a, const struct cfg *b)
{
    return a->n_nodes == b->n_nodes && fencing_equal(a, b);
}
