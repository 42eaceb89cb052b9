/*
 * Fencing one node: its levels in order. A level succeeds only if every one
 * of its devices succeeds (devices of a level run one after another); a
 * failed level is tried again up to `retries` times before the next level.
 * The whole operation fails when every level has failed; retrying it later,
 * with back-off, is the caller's decision.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "config/config.h"
#include "fence/agent.h"

struct fence_op;

struct fence_op_callbacks {
    /* One device call of one level finished (level is 1-based, as operators count). */
    void (*attempt)(void *ctx, size_t level, unsigned attempt, const char *device,
                    const struct fence_result *r);
    /*
     * The operation finished. On success, level is the level that fenced the
     * node; on failure, 0. summary is one line for operators.
     */
    void (*done)(void *ctx, bool success, size_t level, const char *summary);
};

/*
 * Starts fencing node `node` (an index into cfg->nodes) with `action`
 * (CFG_FENCE_OFF or CFG_FENCE_REBOOT). cfg must outlive the operation. Returns 0 and the operation
 * in *ret, or -EINVAL if the node has no fencing levels (then no callback
 * fires). Callbacks run from the loop; the operation is freed after `done`.
 */
int fence_op_start(uv_loop_t *loop, const struct cfg *cfg, size_t node,
                   enum cfg_fence_action action, const struct fence_op_callbacks *cb, void *ctx,
                   struct fence_op **ret);

/* Stops the operation (killing a running agent); no further callback fires. */
void fence_op_cancel(struct fence_op *op);
