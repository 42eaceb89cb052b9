/* The capacity of each node in vigil status: what the groups there use of it. */
#include "daemon/gview.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/* The index of the node named name, or -1. */
static int node_index(const struct cfg *cfg, const char *name)
{
    for (size_t n = 0; name && n < cfg->n_nodes; n++)
        if (strcmp(cfg->nodes[n].name, name) == 0)
            return (int)n;
    return -1;
}

/* The index of the group named name, or -1. */
static int group_index(const struct cfg *cfg, const char *name)
{
    for (size_t g = 0; name && g < cfg->n_groups; g++)
        if (strcmp(cfg->groups[g].name, name) == 0)
            return (int)g;
    return -1;
}

/* Whether a state name (pol_obs_name) says something of the group may run there. */
static bool active_name(const char *state)
{
    for (int o = 0; state && o < POL_OBS_MAX; o++)
        if (strcmp(pol_obs_name((enum pol_obs)o), state) == 0)
            return pol_obs_active((enum pol_obs)o);
    return false;
}

/* Adds group g's load to node n's use (n < 0: nothing). */
static void add_load(const struct cfg *cfg, uint64_t (*used)[CFG_MAX_CAPACITIES], size_t g, int n)
{
    if (n < 0)
        return;
    for (size_t k = 0; k < cfg->n_capacity_names; k++)
        used[n][k] += cfg->groups[g].load[k];
}

void gview_status_capacity(const struct gview *gv, json_t *groups, json_t *nodes)
{
    const struct cfg *cfg = gv->cfg;
    if (!cfg->n_capacity_names || !cfg->n_nodes)
        return;
    uint64_t(*used)[CFG_MAX_CAPACITIES] = xcalloc(cfg->n_nodes, sizeof(*used));
    size_t i;
    json_t *jg;
    json_array_foreach(groups, i, jg)
    {
        int g = group_index(cfg, json_string_value(json_object_get(jg, "name")));
        if (g < 0)
            continue;
        json_t *copies = json_object_get(jg, "copies");
        if (!json_is_array(copies)) {
            add_load(cfg, used, (size_t)g,
                     node_index(cfg, json_string_value(json_object_get(jg, "node"))));
            continue;
        }
        /* A clone: each copy that is active on its node, or that the plan starts there. */
        size_t j;
        json_t *jc;
        json_array_foreach(copies, j, jc)
        {
            const char *action = json_string_value(json_object_get(jc, "action"));
            if (active_name(json_string_value(json_object_get(jc, "state"))) ||
                streq_null(action, "start"))
                add_load(cfg, used, (size_t)g,
                         node_index(cfg, json_string_value(json_object_get(jc, "node"))));
        }
    }
    json_t *jn;
    json_array_foreach(nodes, i, jn)
    {
        int n = node_index(cfg, json_string_value(json_object_get(jn, "name")));
        if (n < 0 || !cfg->nodes[n].has_capacity)
            continue;
        json_t *cap = json_object();
        for (size_t k = 0; k < cfg->n_capacity_names; k++)
            json_object_set_new(cap, cfg->capacity_names[k],
                                json_pack("{s:I, s:I}", "used", (json_int_t)used[n][k], "total",
                                          (json_int_t)cfg->nodes[n].capacity[k]));
        json_object_set_new(jn, "capacity", cap);
    }
    free(used);
}
