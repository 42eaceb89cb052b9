/*
 * A configuration change on this node. Between cfgsync's prepare and its
 * activation, the groups that a new configuration removes or changes are
 * stopped here (a changed group only from its first changed resource: the
 * ones before keep running), nothing new starts in them, and this node is
 * ready once they have stopped. After activation the replaced configuration
 * is kept (retired) while a fence operation may still point into its fencing
 * section. The module owns that state; vigild calls it from cfgsync's hooks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "config/diff.h"
#include "daemon/cluster.h"
#include "daemon/lrm.h"

#define CFGCHANGE_MAX_RETIRED 16

enum cfgchange_ready { CFGCHANGE_WAIT, CFGCHANGE_READY, CFGCHANGE_FAILED };

struct cfgchange {
    /*
     * A change under way (or NULL): per group of the running configuration,
     * how many leading resources keep running through it, or
     * CFGCHANGE_UNTOUCHED.
     */
    size_t *keep;
    struct cfg *retired[CFGCHANGE_MAX_RETIRED]; /* owned */
    size_t n_retired;
};

#define CFGCHANGE_UNTOUCHED SIZE_MAX

/*
 * A change from cur to the configuration diff describes is coming: records
 * what each group keeps and stops, here (lrm may be NULL: nothing runs here),
 * what the change removes or alters, logging each. Replaces a previous
 * prepared change.
 */
void cfgchange_prepare(struct cfgchange *c, const struct cfg *cur, const struct cfg_diff *diff,
                       struct lrm *lrm);

/* Whether the change under way stops or restarts group g (false when none is under way). */
bool cfgchange_affects(const struct cfgchange *c, size_t g);

/* Whether a change is prepared and not yet activated or aborted. */
bool cfgchange_pending(const struct cfgchange *c);

/*
 * Whether this node is ready for the prepared change: every group it stops
 * has stopped here (WAIT: not yet; FAILED: a stop failed, *ret_err says which
 * group on which node, owned by the caller). local: this node's name.
 * Without a prepared change, WAIT.
 */
enum cfgchange_ready cfgchange_ready(const struct cfgchange *c, const struct cfg *cur,
                                     const struct lrm *lrm, const char *local, char **ret_err);

/* Forgets the prepared change (activated or aborted). */
void cfgchange_clear(struct cfgchange *c);

/*
 * Keeps old (ownership passes) while fence operations of cl may point into
 * it; frees it at once when too many are kept already.
 */
void cfgchange_retire(struct cfgchange *c, struct cfg *old, const struct cluster *cl);

/* Frees the retired configurations once no node of cl is being fenced. */
void cfgchange_free_retired(struct cfgchange *c, const struct cluster *cl);

/* Frees everything; accepts a zeroed c. */
void cfgchange_done(struct cfgchange *c);
