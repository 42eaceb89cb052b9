/* The configuration object: freeing it, lookups and names. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/config.h"

/* Frees c and everything it owns; accepts NULL. */
void cfg_free(struct cfg *c)
{
    if (!c)
        return;
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
        for (size_t p = 0; p < d->n_params; p++) {
            free(d->params[p].key);
            free(d->params[p].value);
        }
        free(d->params);
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
