#include "daemon/fencer.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/peer.h"
#include "fence/fence.h"

#include <errno.h>
#include <string.h>

struct slot {
    struct fencer *f;
    size_t node;
    struct fence_op *op;
    uv_timer_t timer;
    bool manual;          /* an admin asked for it */
    bool reboot;          /* the admin asked for a reboot rather than the configured action */
    uint64_t not_before;  /* monotonic ms: no new operation before this */
    uint64_t backoff_ms;  /* after the last failure */
    bool delayed;         /* the node's own delay has been waited already */
    bool awaiting_result; /* succeeded; until our own result comes back in agreed order */
};

struct fencer {
    uv_loop_t *loop;
    struct cluster *cl;
    struct engine *engine;
    struct slot *slots; /* one per node */
    size_t n;
    int closing;
    bool freeing;
    uint64_t started_ms; /* monotonic: when this fencer (this vigild) started */
};

static void broadcast(struct fencer *f, const struct peer_msg *m)
{
    size_t len;
    _cleanup_free_ char *msg = peer_encode_fence(m, &len);
    int r = engine_broadcast(f->engine, msg, len);
    if (r < 0)
        log_warn("could not broadcast fence %s for %s: %s", peer_fence_op_name(m->fence.op),
                 m->fence.node ? m->fence.node : "-", strerror(-r));
}

static enum cfg_fence_action slot_action(const struct slot *s)
{
    return s->manual && s->reboot ? CFG_FENCE_REBOOT : s->f->cl->cfg->fence_action;
}

static const char *action_name(enum cfg_fence_action a)
{
    return a == CFG_FENCE_REBOOT ? "reboot" : "off";
}

static void on_attempt(void *ctx, size_t level, unsigned attempt, const char *device,
                       const struct fence_result *r)
{
    struct slot *s = ctx;
    const char *name = s->f->cl->cfg->nodes[s->node].name;
    log_info("fencing %s: level %zu, device %s, attempt %u: %s", name, level, device, attempt,
             r->reason);
    struct peer_msg m = {.type = PEER_FENCE};
    m.fence.op = PEER_FENCE_ATTEMPT;
    m.fence.node = (char *)(uintptr_t)name;
    m.fence.level = (uint32_t)level;
    m.fence.attempt = attempt;
    m.fence.device = (char *)(uintptr_t)device;
    m.fence.outcome = (char *)(uintptr_t)fence_outcome_name(r->outcome);
    m.fence.reason = r->reason;
    broadcast(s->f, &m);
}

static void on_done(void *ctx, bool success, size_t level, const char *summary)
{
    struct slot *s = ctx;
    struct fencer *f = s->f;
    s->op = NULL;
    if (success) {
        log_info("%s", summary);
        s->manual = false;
        s->backoff_ms = 0;
        s->awaiting_result = true;
    } else {
        s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : FENCER_BACKOFF_MIN_MS;
        if (s->backoff_ms > FENCER_BACKOFF_MAX_MS)
            s->backoff_ms = FENCER_BACKOFF_MAX_MS;
        s->not_before = time_mono_ms() + s->backoff_ms;
        log_error("%s; trying again in %llu ms", summary, (unsigned long long)s->backoff_ms);
    }
    struct peer_msg m = {.type = PEER_FENCE};
    m.fence.op = PEER_FENCE_RESULT;
    m.fence.node = f->cl->cfg->nodes[s->node].name;
    m.fence.ok = success;
    m.fence.level = (uint32_t)level;
    m.fence.reason = (char *)(uintptr_t)summary;
    broadcast(f, &m);
    fencer_reconcile(f);
}

static const struct fence_op_callbacks op_cb = {.attempt = on_attempt, .done = on_done};

static void start_op(uv_timer_t *t)
{
    struct slot *s = t->data;
    struct fencer *f = s->f;
    const struct cfg *c = f->cl->cfg;
    struct peer_msg m = {.type = PEER_FENCE};
    m.fence.op = PEER_FENCE_START;
    m.fence.node = c->nodes[s->node].name;
    enum cfg_fence_action action = slot_action(s);
    m.fence.action = (char *)(uintptr_t)action_name(action);
    broadcast(f, &m);
    log_warn("fencing %s (%s)", c->nodes[s->node].name, action_name(action));
    if (fence_op_start(f->loop, c, s->node, action, &op_cb, s, &s->op) < 0) {
        log_error("%s has no fencing levels; it cannot be fenced", c->nodes[s->node].name);
        s->not_before = time_mono_ms() + FENCER_BACKOFF_MAX_MS;
    }
}

static bool is_coordinator(const struct cluster *cl)
{
    return cl->engine_state == ENGINE_RUNNING && cl->quorate && cl->local_id != 0 &&
           cl->coordinator == cl->local_id;
}

static void stand_down(struct slot *s)
{
    fence_op_cancel(s->op);
    s->op = NULL;
    uv_timer_stop(&s->timer);
}

void fencer_reconcile(struct fencer *f)
{
    const struct cfg *c = f->cl->cfg;
    bool coord = is_coordinator(f->cl);
    uint64_t now = time_mono_ms();
    for (size_t i = 0; i < f->n; i++) {
        struct slot *s = &f->slots[i];
        const struct node_view *nv = &f->cl->nodes[i];
        if (!coord)
            s->manual = false;
        bool unclean = nv->fence == FENCE_STATE_UNCLEAN && !nv->online;
        bool wants = coord && c->fence_enabled && c->fence_nodes && (unclean || s->manual);
        if (!coord)
            s->awaiting_result = false;
        if (!wants) {
            stand_down(s);
            if (!unclean) {
                s->delayed = false;
                s->backoff_ms = 0;
                s->not_before = 0;
            }
            continue;
        }
        if (s->op || s->awaiting_result || uv_is_active((uv_handle_t *)&s->timer))
            continue;
        uint64_t delay = s->not_before > now ? s->not_before - now : 0;
        if (!s->delayed && c->fence_nodes[i].delay_ms > delay)
            delay = c->fence_nodes[i].delay_ms;
        /* A node never seen gets fencing.startup_wait (from our start) to join first. */
        uint64_t grace = f->started_ms + c->fence_startup_wait_ms;
        if (nv->unseen && !s->manual && grace > now + delay)
            delay = grace - now;
        s->delayed = true;
        if (delay > 0)
            log_info("fencing %s in %llu ms", c->nodes[i].name, (unsigned long long)delay);
        uv_timer_start(&s->timer, start_op, delay, 0);
    }
}

void fencer_request(struct fencer *f, size_t node, bool reboot)
{
    if (node >= f->n || !is_coordinator(f->cl))
        return;
    f->slots[node].manual = true;
    f->slots[node].reboot = reboot;
    f->slots[node].not_before = 0;
    fencer_reconcile(f);
}

void fencer_result_seen(struct fencer *f, size_t node)
{
    if (node < f->n)
        f->slots[node].awaiting_result = false;
}

void fencer_share_state(struct fencer *f)
{
    if (!is_coordinator(f->cl))
        return;
    char **names = xcalloc(f->n + 1, sizeof(*names));
    char **unseen = xcalloc(f->n + 1, sizeof(*unseen));
    size_t k = 0, u = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (f->cl->nodes[i].fence == FENCE_STATE_UNCLEAN && !f->cl->nodes[i].online) {
            names[k++] = f->cl->cfg->nodes[i].name;
            if (f->cl->nodes[i].unseen)
                unseen[u++] = f->cl->cfg->nodes[i].name;
        }
    }
    struct peer_msg m = {.type = PEER_FENCE};
    m.fence.op = PEER_FENCE_STATE;
    m.fence.unclean = names;
    m.fence.n_unclean = k;
    m.fence.unseen = unseen;
    m.fence.n_unseen = u;
    broadcast(f, &m);
    free(names);
    free(unseen);
}

struct fencer *fencer_new(uv_loop_t *loop, struct cluster *cl, struct engine *e)
{
    struct fencer *f = xcalloc(1, sizeof(*f));
    f->loop = loop;
    f->cl = cl;
    f->engine = e;
    f->started_ms = time_mono_ms();
    f->n = cl->cfg->n_nodes;
    f->slots = xcalloc(f->n, sizeof(*f->slots));
    for (size_t i = 0; i < f->n; i++) {
        f->slots[i].f = f;
        f->slots[i].node = i;
        uv_timer_init(loop, &f->slots[i].timer);
        f->slots[i].timer.data = &f->slots[i];
    }
    return f;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct slot *s = h->data;
    struct fencer *f = s->f;
    if (--f->closing == 0) {
        free(f->slots);
        free(f);
    }
}

void fencer_free(struct fencer *f)
{
    if (!f)
        return;
    f->closing = (int)f->n;
    for (size_t i = 0; i < f->n; i++) {
        stand_down(&f->slots[i]);
        uv_close((uv_handle_t *)&f->slots[i].timer, on_timer_closed);
    }
    if (f->n == 0) {
        free(f->slots);
        free(f);
    }
}
