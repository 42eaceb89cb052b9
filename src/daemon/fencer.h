/*
 * The coordinator's fencer. While this node is the coordinator of a quorate
 * partition, it fences every node that is unclean (and every node an admin
 * asked to fence): the node's delay first, then its levels; each attempt and
 * the outcome are broadcast in agreed order, so every member records the same
 * states and events. A failed operation is retried with back-off (1 s
 * doubling to 30 s) and the node stays unclean meanwhile. When this node stops
 * being the coordinator, everything under way is cancelled; the next
 * coordinator, which knows the same unclean nodes, takes over.
 */
#pragma once

#include <stdbool.h>

#include <uv.h>

#include "daemon/cluster.h"
#include "engine/engine.h"

#define FENCER_BACKOFF_MIN_MS 1000
#define FENCER_BACKOFF_MAX_MS 30000

struct fencer;

/* Creates a fencer for cl (both cl and e must outlive it). Owned by the caller. */
struct fencer *fencer_new(uv_loop_t *loop, struct cluster *cl, struct engine *e);
/* Cancels everything under way and frees; accepts NULL. */
void fencer_free(struct fencer *f);

/* Looks at the cluster again: starts, schedules or cancels fencing as needed. */
void fencer_reconcile(struct fencer *f);

/*
 * An admin's request to fence node (index into cfg->nodes) was delivered;
 * reboot asks for a reboot instead of the configured action.
 */
void fencer_request(struct fencer *f, size_t node, bool reboot);

/*
 * A fence result for node was delivered. Until our own result comes back in
 * agreed order (possibly after the fenced node's departure), the node is not
 * fenced again.
 */
void fencer_result_seen(struct fencer *f, size_t node);

/* Broadcasts the list of unclean nodes if this node is the coordinator (for new members). */
void fencer_share_state(struct fencer *f);
