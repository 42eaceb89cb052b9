/*
 * The `vigil config` requests on this node: show (the running text or a kept
 * version), diff (what a new file changes, and what happens to running
 * copies), apply and reload (checked as vigil verify checks, refused without
 * --force when they would stop or move running groups, then sent through
 * cfgsync; the reply waits until every member wrote the new version). It
 * owns the applies' waiting replies; vigild tells it how each apply ended
 * (cfgctl_applied, from cfgsync's done hook).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/cfgsync.h"
#include "daemon/gview.h"
#include "daemon/replies.h"

struct cfgctl {
    struct cfgsync *cs;     /* the replicated configuration (cs->cfg: the running one) */
    const struct gview *gv; /* where groups run, and whether they are managed */
    const char *cfg_path;   /* the file vigild runs (reload, SIGHUP); not owned */
    struct replies applies; /* keyed by apply id */
};

/*
 * Sets cc up. cs, gv and cfg_path are borrowed and must outlive it; replies
 * go out through send(ctx, token, reply).
 */
void cfgctl_init(struct cfgctl *cc, struct cfgsync *cs, const struct gview *gv,
                 const char *cfg_path, replies_send_fn send, void *ctx);
/* Frees the waiting replies without answering them; accepts a zeroed cc. */
void cfgctl_done(struct cfgctl *cc);

/*
 * A `config` control request (req: {"op": "show"|"diff"|"apply"|"reload",
 * ...}, already checked by ctl_parse). Returns the reply (a new reference),
 * or NULL with *ret_defer set when the reply comes later under token.
 */
json_t *cfgctl_request(struct cfgctl *cc, json_t *req, uint64_t token, bool *ret_defer);

/*
 * Applies the file vigild runs, as edited in place (vigil config reload,
 * SIGHUP). ret_defer NULL: nobody waits for the outcome (it is logged).
 * Returns a reply as cfgctl_request does; NULL once sent.
 */
json_t *cfgctl_reload(struct cfgctl *cc, bool force, uint64_t token, bool *ret_defer);

/* The apply id is over (from cfgsync's done hook): answers whoever waits for it. */
void cfgctl_applied(struct cfgctl *cc, uint64_t id, bool ok, uint64_t version, const char *msg);
