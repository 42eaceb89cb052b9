/* The configuration object: freeing it, lookups and names. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/config.h"

static void free_params(struct cfg_param *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].key);
        free(p[i].value);
    }
    free(p);
}

/* Frees a NULL-terminated argument vector of argc entries (entries may be NULL). */
static void free_argv(char **argv, size_t argc)
{
    for (size_t i = 0; argv && i < argc; i++)
        free(argv[i]);
    free(argv);
}

static void free_resource(struct cfg_resource *r)
{
    free(r->name);
    for (size_t i = 0; i < r->n_checks; i++) {
        struct cfg_check *ck = &r->checks[i];
        free(ck->host);
        free(ck->url);
        free(ck->path);
        free_argv(ck->argv, ck->argc);
    }
    free(r->checks);
    free(r->address);
    free(r->interface);
    free_argv(r->argv, r->argc);
    free(r->user);
    free_params(r->env, r->n_env);
    free(r->directory);
    free(r->device);
    free(r->mountpoint);
    free(r->fstype);
    free(r->options);
    free(r->path);
    free(r->provider);
    free(r->agent);
    free_params(r->params, r->n_params);
}

static void free_groups(struct cfg_group *groups, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct cfg_group *g = &groups[i];
        free(g->name);
        free(g->domain);
        free(g->policy_script);
        free(g->requires);
        free(g->together_with);
        free(g->apart_from);
        for (size_t r = 0; r < g->n_resources; r++)
            free_resource(&g->resources[r]);
        free(g->resources);
    }
    free(groups);
}

static void free_hooks(struct cfg_hook *hooks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(hooks[i].name);
        free_argv(hooks[i].argv, hooks[i].argc);
        free_params(hooks[i].env, hooks[i].n_env);
    }
    free(hooks);
}

/* Frees c and everything it owns; accepts NULL. */
void cfg_free(struct cfg *c)
{
    if (!c)
        return;
    free_groups(c->groups, c->n_groups);
    free_hooks(c->hooks, c->n_hooks);
    free(c->ocf_root);
    for (size_t i = 0; i < c->n_capacity_names; i++)
        free(c->capacity_names[i]);
    for (size_t i = 0; i < c->n_nodes; i++) {
        free(c->nodes[i].name);
        if (c->nodes[i].addr)
            for (size_t j = 0; j < c->n_networks; j++)
                free(c->nodes[i].addr[j]);
        free(c->nodes[i].addr);
    }
    free(c->nodes);
    for (size_t i = 0; c->fence_nodes && i < c->n_nodes; i++) {
        struct cfg_fence_node *fn = &c->fence_nodes[i];
        for (size_t l = 0; l < fn->n_levels; l++) {
            for (size_t r = 0; r < fn->levels[l].n_refs; r++)
                free(fn->levels[l].refs[r].port);
            free(fn->levels[l].refs);
        }
        free(fn->levels);
    }
    free(c->fence_nodes);
    for (size_t i = 0; i < c->n_fence_devices; i++) {
        struct cfg_fence_device *d = &c->fence_devices[i];
        free_params(d->params, d->n_params);
        free(d->name);
        free(d->agent);
        free(d->secrets);
    }
    free(c->fence_devices);
    for (size_t i = 0; i < c->n_networks; i++)
        free(c->networks[i].name);
    free(c->networks);
    free(c->file);
    free(c->cluster_name);
    free(c->key_path);
    free(c);
}

/* The node with this id, pointing into c (valid while c lives), or NULL. */
const struct cfg_node *cfg_node_by_id(const struct cfg *c, uint32_t id)
{
    for (size_t i = 0; i < c->n_nodes; i++)
        if (c->nodes[i].id == id)
            return &c->nodes[i];
    return NULL;
}

/* The node with this name, pointing into c (valid while c lives), or NULL. */
const struct cfg_node *cfg_node_by_name(const struct cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_nodes; i++)
        if (streq_null(c->nodes[i].name, name))
            return &c->nodes[i];
    return NULL;
}

/* The index of the network named name in c->networks, or -1. */
int cfg_network_index(const struct cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_networks; i++)
        if (streq_null(c->networks[i].name, name))
            return (int)i;
    return -1;
}

/* The fence device named name, pointing into c (valid while c lives), or NULL. */
const struct cfg_fence_device *cfg_fence_device_by_name(const struct cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_fence_devices; i++)
        if (streq_null(c->fence_devices[i].name, name))
            return &c->fence_devices[i];
    return NULL;
}

/* The engine's name as written in vigil.yaml (a static string), or NULL if out of range. */
const char *cfg_engine_name(enum cfg_engine e)
{
    switch (e) {
    case CFG_ENGINE_MANAGED:
        return "managed";
    case CFG_ENGINE_EXTERNAL:
        return "external";
    default:
        return NULL;
    }
}

/* The link mode's name as written in vigil.yaml (a static string), or NULL if out of range. */
const char *cfg_link_mode_name(enum cfg_link_mode m)
{
    switch (m) {
    case CFG_LINK_ACTIVE:
        return "active";
    case CFG_LINK_PASSIVE:
        return "passive";
    default:
        return NULL;
    }
}

/* The tie-breaker's keyword (a static string; "node" for CFG_TIE_NODE), or NULL. */
const char *cfg_tie_breaker_name(enum cfg_tie_breaker t)
{
    switch (t) {
    case CFG_TIE_LOWEST:
        return "lowest";
    case CFG_TIE_HIGHEST:
        return "highest";
    case CFG_TIE_NODE:
        return "node";
    case CFG_TIE_NONE:
        return "none";
    default:
        return NULL;
    }
}

/* The fencing action's name as written in vigil.yaml (a static string), or NULL if out of range. */
const char *cfg_fence_action_name(enum cfg_fence_action a)
{
    switch (a) {
    case CFG_FENCE_OFF:
        return "off";
    case CFG_FENCE_REBOOT:
        return "reboot";
    default:
        return NULL;
    }
}

/* The group named name, pointing into c (valid while c lives), or NULL. */
const struct cfg_group *cfg_group_by_name(const struct cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_groups; i++)
        if (streq_null(c->groups[i].name, name))
            return &c->groups[i];
    return NULL;
}

/*
 * The resource named name, pointing into c (valid while c lives), or NULL;
 * its group goes to *ret_group when ret_group is not NULL (untouched when
 * there is no such resource).
 */
const struct cfg_resource *cfg_resource_by_name(const struct cfg *c, const char *name,
                                                const struct cfg_group **ret_group)
{
    for (size_t i = 0; i < c->n_groups; i++) {
        const struct cfg_group *g = &c->groups[i];
        for (size_t r = 0; r < g->n_resources; r++) {
            if (!streq_null(g->resources[r].name, name))
                continue;
            if (ret_group)
                *ret_group = g;
            return &g->resources[r];
        }
    }
    return NULL;
}

/* The index of g in c->groups; g must point into that array. */
size_t cfg_group_index(const struct cfg *c, const struct cfg_group *g)
{
    return (size_t)(g - c->groups);
}

/* The type's name as written in vigil.yaml, without ocf's or lsb's suffix (static), or NULL. */
const char *cfg_res_type_name(enum cfg_res_type t)
{
    switch (t) {
    case CFG_RES_IP:
        return "ip";
    case CFG_RES_PROCESS:
        return "process";
    case CFG_RES_FS:
        return "fs";
    case CFG_RES_SCRIPT:
        return "script";
    case CFG_RES_OCF:
        return "ocf";
    case CFG_RES_LSB:
        return "lsb";
    default:
        return NULL;
    }
}

/* The on_fail keyword (a static string), or NULL if out of range. */
const char *cfg_on_fail_name(enum cfg_on_fail f)
{
    switch (f) {
    case CFG_ON_FAIL_IGNORE:
        return "ignore";
    case CFG_ON_FAIL_RESTART:
        return "restart";
    case CFG_ON_FAIL_FAILOVER:
        return "failover";
    case CFG_ON_FAIL_HALT:
        return "halt";
    case CFG_ON_FAIL_FENCE:
        return "fence";
    default:
        return NULL;
    }
}

/* The check type's name as written in vigil.yaml (a static string), or NULL if out of range. */
const char *cfg_check_type_name(enum cfg_check_type t)
{
    switch (t) {
    case CFG_CHECK_TCP:
        return "tcp";
    case CFG_CHECK_HTTP:
        return "http";
    case CFG_CHECK_EXEC:
        return "exec";
    default:
        return NULL;
    }
}

/* The policy's keyword (a static string; "script" for CFG_POLICY_SCRIPT), or NULL. */
const char *cfg_policy_name(enum cfg_policy p)
{
    switch (p) {
    case CFG_POLICY_ORDERED:
        return "ordered";
    case CFG_POLICY_ROUND_ROBIN:
        return "round-robin";
    case CFG_POLICY_SCRIPT:
        return "script";
    case CFG_POLICY_BALANCED:
        return "balanced";
    default:
        return NULL;
    }
}

/* The failback keyword (a static string), or NULL if out of range. */
const char *cfg_failback_name(enum cfg_failback f)
{
    switch (f) {
    case CFG_FAILBACK_CONTROLLED:
        return "controlled";
    case CFG_FAILBACK_AUTO:
        return "auto";
    default:
        return NULL;
    }
}

/* The no_quorum keyword (a static string), or NULL if out of range. */
const char *cfg_no_quorum_name(enum cfg_no_quorum q)
{
    switch (q) {
    case CFG_NO_QUORUM_STOP:
        return "stop";
    case CFG_NO_QUORUM_FREEZE:
        return "freeze";
    default:
        return NULL;
    }
}

/* The group kind's name (a static string), or NULL if out of range. */
const char *cfg_group_kind_name(enum cfg_group_kind k)
{
    switch (k) {
    case CFG_KIND_SINGLE:
        return "single";
    case CFG_KIND_CLONE:
        return "clone";
    case CFG_KIND_PROMOTABLE:
        return "promotable";
    default:
        return NULL;
    }
}

/* The role's name as written in vigil.yaml (a static string), or NULL if out of range. */
const char *cfg_res_role_name(enum cfg_res_role r)
{
    switch (r) {
    case CFG_ROLE_ALL:
        return "all";
    case CFG_ROLE_PROMOTABLE:
        return "promotable";
    case CFG_ROLE_PRIMARY:
        return "primary";
    default:
        return NULL;
    }
}

static const char *const hook_event_names[CFG_HOOK_EVENT_MAX] = {
    [CFG_HOOK_NODE_LOST] = "node_lost",
    [CFG_HOOK_NODE_LEFT] = "node_left",
    [CFG_HOOK_NODE_JOINED] = "node_joined",
    [CFG_HOOK_NODE_FENCED] = "node_fenced",
    [CFG_HOOK_FENCE_FAILED] = "fence_failed",
    [CFG_HOOK_QUORUM_LOST] = "quorum_lost",
    [CFG_HOOK_QUORUM_GAINED] = "quorum_gained",
    [CFG_HOOK_GROUP_FAILED] = "group_failed",
    [CFG_HOOK_GROUP_MOVED] = "group_moved",
    [CFG_HOOK_GROUP_RECOVERED] = "group_recovered",
    [CFG_HOOK_GROUP_STARTED] = "group_started",
    [CFG_HOOK_GROUP_STOPPED] = "group_stopped",
    [CFG_HOOK_GROUP_RESTARTED] = "group_restarted",
    [CFG_HOOK_GROUP_STOP_FAILED] = "group_stop_failed",
    [CFG_HOOK_GROUP_MULTI_ACTIVE] = "group_multi_active",
    [CFG_HOOK_GROUP_PROMOTED] = "group_promoted",
    [CFG_HOOK_GROUP_DEMOTED] = "group_demoted",
    [CFG_HOOK_RESOURCE_FAILED] = "resource_failed",
    [CFG_HOOK_ADMIN] = "admin",
    [CFG_HOOK_CONFIG_CHANGED] = "config_changed",
};

/* The event's name as written in vigil.yaml (a static string), or NULL if out of range. */
const char *cfg_hook_event_name(enum cfg_hook_event e)
{
    return (unsigned)e < CFG_HOOK_EVENT_MAX ? hook_event_names[e] : NULL;
}

/* The event named name (as in vigil.yaml), or -1 if there is none. */
int cfg_hook_event_parse(const char *name)
{
    for (int i = 0; i < CFG_HOOK_EVENT_MAX; i++)
        if (strcmp(hook_event_names[i], name) == 0)
            return i;
    return -1;
}
