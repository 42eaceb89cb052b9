#include "fence/fence.h"
#include "base/util.h"

#include <errno.h>
#include <string.h>

struct fence_op {
    uv_loop_t *loop;
    const struct cfg *cfg;
    size_t node;
    enum cfg_fence_action action;
    size_t level; /* 0-based */
    unsigned attempt;
    size_t ref;    /* device within the level */
    bool on_phase; /* reboot of a multi-device level: the "on" pass after every "off" */
    struct fence_call *call;
    const struct fence_op_callbacks *cb;
    void *ctx;
    char *last_reason; /* of the last failed device call */
    uv_idle_t idle;    /* to finish outside a callback of the call */
    bool finished, success;
};

static const char *action_name(enum cfg_fence_action a)
{
    return a == CFG_FENCE_REBOOT ? "reboot" : "off";
}

static void step(struct fence_op *op);

static void on_idle(uv_idle_t *h)
{
    step(h->data);
}

static void on_idle_closed(uv_handle_t *h)
{
    struct fence_op *op = h->data;
    free(op->last_reason);
    free(op);
}

static void finish(struct fence_op *op, bool success)
{
    op->finished = true;
    op->success = success;
    const struct cfg_fence_node *fn = &op->cfg->fence_nodes[op->node];
    const char *name = op->cfg->nodes[op->node].name;
    _cleanup_free_ char *summary =
        success
            ? xasprintf("%s fenced (%s) by level %zu", name, action_name(op->action), op->level + 1)
            : xasprintf("fencing %s failed on every level (%zu); last error: %s", name,
                        fn->n_levels, op->last_reason ? op->last_reason : "none");
    op->cb->done(op->ctx, success, success ? op->level + 1 : 0, summary);
    uv_close((uv_handle_t *)&op->idle, on_idle_closed);
}

static void on_call_done(const struct fence_result *r, void *ctx)
{
    struct fence_op *op = ctx;
    op->call = NULL;
    const struct cfg_fence_level *lvl = &op->cfg->fence_nodes[op->node].levels[op->level];
    const struct cfg_fence_device *dev = &op->cfg->fence_devices[lvl->refs[op->ref].device];
    op->cb->attempt(op->ctx, op->level + 1, op->attempt + 1, dev->name, r);
    if (r->outcome == FENCE_SUCCESS) {
        op->ref++;
    } else {
        free(op->last_reason);
        op->last_reason = xasprintf("%s: %s", dev->name, r->reason);
        op->ref = lvl->n_refs + 1; /* marks the level attempt as failed */
    }
    /* Continue from the loop, not from inside the call's callback. */
    uv_idle_start(&op->idle, on_idle);
}

/* Runs the next device call, or moves to the next attempt, level, or the end. */
static void step(struct fence_op *op)
{
    uv_idle_stop(&op->idle);
    const struct cfg_fence_node *fn = &op->cfg->fence_nodes[op->node];
    for (;;) {
        if (op->level >= fn->n_levels) {
            finish(op, false);
            return;
        }
        const struct cfg_fence_level *lvl = &fn->levels[op->level];
        /*
         * A reboot through several devices (two power supplies) is every
         * device off, then every device on: rebooting them one at a time would
         * never cut the node's power.
         */
        bool split = op->action == CFG_FENCE_REBOOT && lvl->n_refs > 1;
        if (op->ref == lvl->n_refs && split && !op->on_phase) {
            op->on_phase = true;
            op->ref = 0;
        }
        if (op->ref == lvl->n_refs) {
            finish(op, true);
            return;
        }
        if (op->ref > lvl->n_refs) { /* this attempt of the level failed */
            op->ref = 0;
            op->on_phase = false;
            if (++op->attempt > op->cfg->fence_retries) {
                op->attempt = 0;
                op->level++;
            }
            continue;
        }
        const struct cfg_fence_ref *ref = &lvl->refs[op->ref];
        const struct cfg_fence_device *dev = &op->cfg->fence_devices[ref->device];
        char *err = NULL;
        const char *action = !split ? action_name(op->action) : op->on_phase ? "on" : "off";
        int r = fence_call_start(op->loop, dev, action, op->cfg->nodes[op->node].name, ref->port,
                                 on_call_done, op, &op->call, &err);
        if (r == 0)
            return;
        /* Could not even run: report it like a failed call, then go on. */
        struct fence_result res = {.outcome = FENCE_NOT_RUN, .output = (char *)"", .reason = err};
        op->cb->attempt(op->ctx, op->level + 1, op->attempt + 1, dev->name, &res);
        free(op->last_reason);
        op->last_reason = xasprintf("%s: %s", dev->name, err);
        free(err);
        op->ref = lvl->n_refs + 1;
    }
}

int fence_op_start(uv_loop_t *loop, const struct cfg *cfg, size_t node,
                   enum cfg_fence_action action, const struct fence_op_callbacks *cb, void *ctx,
                   struct fence_op **ret)
{
    if (node >= cfg->n_nodes || !cfg->fence_nodes || cfg->fence_nodes[node].n_levels == 0)
        return -EINVAL;
    struct fence_op *op = xcalloc(1, sizeof(*op));
    op->loop = loop;
    op->cfg = cfg;
    op->node = node;
    op->action = action;
    op->cb = cb;
    op->ctx = ctx;
    uv_idle_init(loop, &op->idle);
    op->idle.data = op;
    uv_idle_start(&op->idle, on_idle);
    *ret = op;
    return 0;
}

void fence_op_cancel(struct fence_op *op)
{
    if (!op || op->finished)
        return;
    op->finished = true;
    fence_call_cancel(op->call);
    op->call = NULL;
    uv_idle_stop(&op->idle);
    uv_close((uv_handle_t *)&op->idle, on_idle_closed);
}
