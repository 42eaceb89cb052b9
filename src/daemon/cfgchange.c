/* A configuration change on this node: see cfgchange.h. */
#include "daemon/cfgchange.h"

#include <stdlib.h>

#include "base/log.h"
#include "base/util.h"

bool cfgchange_affects(const struct cfgchange *c, size_t g)
{
    return c->keep && c->keep[g] != CFGCHANGE_UNTOUCHED;
}

bool cfgchange_pending(const struct cfgchange *c)
{
    return c->keep != NULL;
}

void cfgchange_clear(struct cfgchange *c)
{
    free(c->keep);
    c->keep = NULL;
}

/* Stops what the change alters of group g here, if it runs here (log names the group). */
static void stop_changed(const struct cfg_group *cg, const struct cfg_group_diff *gd, size_t keep,
                         struct lrm *lrm, size_t g)
{
    if (keep >= cg->n_resources) {
        log_info("group %s: the new configuration changes none of its resources: it keeps running",
                 gd->name);
    } else if (keep > 0) {
        log_info("group %s: stopping it from resource %s on (the new configuration changes it); "
                 "the resources before keep running",
                 gd->name, cg->resources[keep].name);
        lrm_stop_from(lrm, g, keep);
    } else {
        log_info("group %s: stopping it on this node: the new configuration %s it", gd->name,
                 gd->change == CFG_CHANGE_REMOVED ? "removes" : "changes");
        lrm_stop(lrm, g);
    }
}

void cfgchange_prepare(struct cfgchange *c, const struct cfg *cur, const struct cfg_diff *diff,
                       struct lrm *lrm)
{
    cfgchange_clear(c);
    c->keep = xcalloc(cur->n_groups ? cur->n_groups : 1, sizeof(size_t));
    for (size_t g = 0; g < cur->n_groups; g++)
        c->keep[g] = CFGCHANGE_UNTOUCHED;
    for (size_t i = 0; i < diff->n_groups; i++) {
        const struct cfg_group_diff *gd = &diff->groups[i];
        if (gd->change != CFG_CHANGE_REMOVED && gd->change != CFG_CHANGE_MODIFIED)
            continue;
        size_t g = (size_t)gd->old_index;
        c->keep[g] = gd->change == CFG_CHANGE_MODIFIED ? gd->keep : 0;
        if (lrm && lrm_active(lrm, g))
            stop_changed(&cur->groups[g], gd, c->keep[g], lrm, g);
    }
}

enum cfgchange_ready cfgchange_ready(const struct cfgchange *c, const struct cfg *cur,
                                     const struct lrm *lrm, const char *local, char **ret_err)
{
    if (!c->keep)
        return CFGCHANGE_WAIT;
    for (size_t g = 0; lrm && g < cur->n_groups; g++) {
        if (!cfgchange_affects(c, g))
            continue;
        if (!lrm_idle(lrm, g))
            return CFGCHANGE_WAIT;
        enum pol_obs obs = lrm_obs(lrm, g);
        if (obs == POL_OBS_STOP_FAILED) {
            *ret_err = xasprintf("group %s could not be stopped on %s", cur->groups[g].name, local);
            return CFGCHANGE_FAILED;
        }
        if (c->keep[g] > 0) {
            if (!lrm_stopped_from(lrm, g, c->keep[g]))
                return CFGCHANGE_WAIT;
            continue;
        }
        if (pol_obs_active(obs))
            return CFGCHANGE_WAIT;
    }
    return CFGCHANGE_READY;
}

void cfgchange_free_retired(struct cfgchange *c, const struct cluster *cl)
{
    for (size_t n = 0; n < cl->cfg->n_nodes; n++)
        if (cl->nodes[n].fencing)
            return;
    for (size_t i = 0; i < c->n_retired; i++)
        cfg_free(c->retired[i]);
    c->n_retired = 0;
}

void cfgchange_retire(struct cfgchange *c, struct cfg *old, const struct cluster *cl)
{
    if (c->n_retired >= CFGCHANGE_MAX_RETIRED) {
        cfg_free(old);
        return;
    }
    c->retired[c->n_retired++] = old;
    cfgchange_free_retired(c, cl);
}

void cfgchange_done(struct cfgchange *c)
{
    cfgchange_clear(c);
    for (size_t i = 0; i < c->n_retired; i++)
        cfg_free(c->retired[i]);
    c->n_retired = 0;
}
