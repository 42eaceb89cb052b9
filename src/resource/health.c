#include "resource/health.h"
#include "base/util.h"
#include "resource/check.h"

#include <errno.h>

struct health_check {
    struct health *h;
    const struct cfg_check *c;
    struct check *ck;
    uv_timer_t timer;
    uint32_t fails; /* consecutive */
    char *last;     /* this check's last failure */
    /* While waiting for readiness: the latest probe's outcome (none yet: not answered). */
    bool answered, passed;
    uint32_t ready_tries; /* probes that did not make it ready (the next retry doubles) */
};

struct health {
    uv_loop_t *loop;
    const struct cfg_resource *r;
    health_fn cb;
    void *ctx;
    struct health_check *hc;
    size_t n;
    bool running;
    bool waiting; /* for readiness */
    health_ready_fn ready_cb;
    void *ready_ctx;
    char *last_failure;
    size_t closing;
};

static uint32_t threshold(const struct cfg_check *c)
{
    return c->failures ? c->failures : 1;
}

static bool hc_failed(const struct health_check *hc)
{
    return hc->fails >= threshold(hc->c);
}

/* "REASON (N failures in a row)" for every failed check, joined by "; ". */
static char *unhealthy_reason(const struct health *h)
{
    char *out = NULL;
    for (size_t i = 0; i < h->n; i++) {
        const struct health_check *hc = &h->hc[i];
        if (!hc_failed(hc))
            continue;
        char *one = hc->fails > 1 ? xasprintf("%s (%u failures in a row)", hc->last, hc->fails)
                                  : xstrdup(hc->last);
        char *joined = out ? xasprintf("%s; %s", out, one) : xstrdup(one);
        free(out);
        free(one);
        out = joined;
    }
    return out ? out : xstrdup("health checks failed");
}

uint64_t health_ready_retry_ms(uint32_t tries, uint64_t interval_ms)
{
    uint64_t iv = interval_ms ? interval_ms : CFG_DEFAULT_CHECK_INTERVAL;
    uint64_t wait = HEALTH_READY_RETRY_MS;
    if (tries < 8)
        wait = (uint64_t)HEALTH_READY_FIRST_RETRY_MS << tries;
    if (wait > HEALTH_READY_RETRY_MS)
        wait = HEALTH_READY_RETRY_MS;
    return iv < wait ? iv : wait;
}

/* The wait before hc's next probe while waiting for readiness; counts the probe. */
static uint64_t ready_retry(struct health_check *hc)
{
    return health_ready_retry_ms(hc->ready_tries++, hc->c->interval_ms);
}

static void on_ready_timer(uv_timer_t *t);

/* A probe answered while waiting for readiness. */
static void ready_probe(struct health_check *hc, bool ok, const char *reason)
{
    struct health *h = hc->h;
    hc->answered = true;
    hc->passed = ok;
    if (!ok) {
        free(hc->last);
        hc->last = xstrdup(reason);
    }
    size_t passed = 0;
    for (size_t i = 0; i < h->n; i++)
        passed += h->hc[i].answered && h->hc[i].passed;
    bool ready = h->r->healthy_any ? passed > 0 : passed == h->n;
    if (!ready) {
        uv_timer_start(&hc->timer, on_ready_timer, ready_retry(hc), 0);
        return;
    }
    health_ready_fn cb = h->ready_cb;
    void *cb_ctx = h->ready_ctx;
    health_stop(h);
    /* Last: the callback may free h. */
    cb(cb_ctx);
}

static void on_health_probe(void *ctx, bool ok, const char *reason)
{
    struct health_check *hc = ctx;
    struct health *h = hc->h;
    if (h->waiting) {
        ready_probe(hc, ok, reason);
        return;
    }
    if (!h->running)
        return;
    if (ok) {
        hc->fails = 0;
    } else {
        hc->fails++;
        free(hc->last);
        hc->last = xstrdup(reason);
        free(h->last_failure);
        h->last_failure = xstrdup(reason);
    }
    size_t failed = 0;
    for (size_t i = 0; i < h->n; i++)
        failed += hc_failed(&h->hc[i]);
    bool unhealthy = h->r->healthy_any ? failed == h->n : failed > 0;
    if (!unhealthy)
        return;
    _cleanup_free_ char *why = unhealthy_reason(h);
    health_stop(h);
    /* Last: the callback may free h. */
    h->cb(h->ctx, why);
}

static void on_health_timer(uv_timer_t *t)
{
    struct health_check *hc = t->data;
    /* A probe still under way (timeout close to the interval) is not doubled. */
    if (hc->h->running && !check_busy(hc->ck))
        check_run(hc->ck, on_health_probe, hc);
}

static void on_ready_timer(uv_timer_t *t)
{
    struct health_check *hc = t->data;
    if (hc->h->waiting && !check_busy(hc->ck) && check_run(hc->ck, on_health_probe, hc) < 0)
        uv_timer_start(&hc->timer, on_ready_timer, ready_retry(hc), 0);
}

int health_wait_ready(struct health *h, health_ready_fn cb, void *ctx)
{
    if (h->running || h->waiting)
        return -EBUSY;
    h->waiting = true;
    h->ready_cb = cb;
    h->ready_ctx = ctx;
    for (size_t i = 0; i < h->n; i++) {
        struct health_check *hc = &h->hc[i];
        hc->answered = hc->passed = false;
        hc->ready_tries = 0;
        free(hc->last);
        hc->last = NULL;
        uv_timer_start(&hc->timer, on_ready_timer, 0, 0);
    }
    return 0;
}

bool health_waiting(const struct health *h)
{
    return h->waiting;
}

char *health_not_ready(const struct health *h)
{
    char *out = NULL;
    for (size_t i = 0; i < h->n; i++) {
        const struct health_check *hc = &h->hc[i];
        if (hc->answered && hc->passed)
            continue;
        char *one = hc->answered && hc->last
                        ? xasprintf("check %s", hc->last)
                        : xasprintf("check %s: no answer yet", check_label(hc->ck));
        char *joined = out ? xasprintf("%s; %s", out, one) : xstrdup(one);
        free(out);
        free(one);
        out = joined;
    }
    return out ? out : xstrdup("checks not passed");
}

void health_rebind(struct health *h, const struct cfg_resource *r)
{
    h->r = r;
    for (size_t i = 0; i < h->n; i++)
        h->hc[i].c = &r->checks[i]; /* the same array: it moved with the definition */
}

struct health *health_new(uv_loop_t *loop, const struct cfg_resource *r, health_fn cb, void *ctx)
{
    struct health *h = xcalloc(1, sizeof(*h));
    h->loop = loop;
    h->r = r;
    h->cb = cb;
    h->ctx = ctx;
    h->n = r->n_checks;
    h->hc = xcalloc(h->n ? h->n : 1, sizeof(*h->hc));
    for (size_t i = 0; i < h->n; i++) {
        struct health_check *hc = &h->hc[i];
        hc->h = h;
        hc->c = &r->checks[i];
        hc->ck = check_new(loop, hc->c);
        uv_timer_init(loop, &hc->timer);
        hc->timer.data = hc;
    }
    return h;
}

void health_start(struct health *h)
{
    if (h->running)
        return;
    if (h->waiting)
        health_stop(h);
    h->running = true;
    for (size_t i = 0; i < h->n; i++) {
        struct health_check *hc = &h->hc[i];
        uint64_t iv = hc->c->interval_ms ? hc->c->interval_ms : CFG_DEFAULT_CHECK_INTERVAL;
        hc->fails = 0;
        uv_timer_start(&hc->timer, on_health_timer, iv, iv);
    }
}

void health_stop(struct health *h)
{
    h->running = false;
    h->waiting = false;
    for (size_t i = 0; i < h->n; i++) {
        uv_timer_stop(&h->hc[i].timer);
        check_cancel(h->hc[i].ck);
    }
}

bool health_running(const struct health *h)
{
    return h->running;
}

const char *health_last_failure(const struct health *h)
{
    return h->last_failure;
}

static void on_health_closed(uv_handle_t *handle)
{
    struct health *h = handle->data;
    if (--h->closing > 0)
        return;
    free(h->hc);
    free(h->last_failure);
    free(h);
}

void health_free(struct health *h)
{
    if (!h)
        return;
    health_stop(h);
    if (h->n == 0) {
        free(h->hc);
        free(h->last_failure);
        free(h);
        return;
    }
    h->closing = h->n;
    for (size_t i = 0; i < h->n; i++) {
        struct health_check *hc = &h->hc[i];
        check_free(hc->ck);
        hc->ck = NULL;
        free(hc->last);
        hc->last = NULL;
        hc->timer.data = h;
        uv_close((uv_handle_t *)&hc->timer, on_health_closed);
    }
}
