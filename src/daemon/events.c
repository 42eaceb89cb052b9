#include "daemon/events.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdlib.h>

struct eventlog {
    struct event *ring;
    size_t cap;
    size_t start; /* index of the oldest event */
    size_t n;
    uint64_t last_seq;
    eventlog_notify_fn notify;
    void *notify_ctx;
};

static const char *const type_names[EV_TYPE_MAX] = {
    [EV_DAEMON_STARTED] = "daemon_started",
    [EV_NODE_JOINED] = "node_joined",
    [EV_NODE_LEFT] = "node_left",
    [EV_QUORUM_GAINED] = "quorum_gained",
    [EV_QUORUM_LOST] = "quorum_lost",
    [EV_LINK_UP] = "link_up",
    [EV_LINK_DOWN] = "link_down",
    [EV_COORDINATOR_CHANGED] = "coordinator_changed",
    [EV_ENGINE_LOST] = "engine_lost",
    [EV_ENGINE_RESTORED] = "engine_restored",
    [EV_CONFIG_MISMATCH] = "config_mismatch",
    [EV_FENCE_REQUESTED] = "fence_requested",
    [EV_FENCE_ATTEMPT] = "fence_attempt",
    [EV_FENCE_SUCCEEDED] = "fence_succeeded",
    [EV_FENCE_FAILED] = "fence_failed",
    [EV_FENCE_CONFIRMED] = "fence_confirmed",
};

const char *event_type_name(enum event_type t)
{
    return t < EV_TYPE_MAX ? type_names[t] : "unknown";
}

struct eventlog *eventlog_new(size_t capacity)
{
    struct eventlog *el = xcalloc(1, sizeof(*el));
    el->cap = capacity ? capacity : 1;
    el->ring = xcalloc(el->cap, sizeof(*el->ring));
    return el;
}

static void event_clear(struct event *ev)
{
    free(ev->node);
    free(ev->network);
    free(ev->message);
    ev->node = ev->network = ev->message = NULL;
}

void eventlog_free(struct eventlog *el)
{
    if (!el)
        return;
    for (size_t i = 0; i < el->n; i++)
        event_clear(&el->ring[(el->start + i) % el->cap]);
    free(el->ring);
    free(el);
}

void eventlog_set_notify(struct eventlog *el, eventlog_notify_fn fn, void *ctx)
{
    el->notify = fn;
    el->notify_ctx = ctx;
}

const struct event *eventlog_add(struct eventlog *el, enum event_type type, const char *node,
                                 const char *network, const char *fmt, ...)
{
    struct event *ev;
    if (el->n == el->cap) {
        ev = &el->ring[el->start];
        event_clear(ev);
        el->start = (el->start + 1) % el->cap;
    } else {
        ev = &el->ring[(el->start + el->n) % el->cap];
        el->n++;
    }
    va_list ap;
    va_start(ap, fmt);
    ev->message = xvasprintf(fmt, ap);
    va_end(ap);
    ev->seq = ++el->last_seq;
    ev->ts_ms = time_wall_ms();
    ev->type = type;
    ev->node = node ? xstrdup(node) : NULL;
    ev->network = network ? xstrdup(network) : NULL;
    if (el->notify)
        el->notify(el->notify_ctx, ev);
    return ev;
}

uint64_t eventlog_last_seq(const struct eventlog *el)
{
    return el->last_seq;
}

json_t *event_to_json(const struct event *ev)
{
    char ts[32];
    return json_pack("{s:I, s:I, s:s, s:s, s:s?, s:s?, s:s}", "seq", (json_int_t)ev->seq, "ts_ms",
                     (json_int_t)ev->ts_ms, "time", time_format_wall_ms(ev->ts_ms, ts), "type",
                     event_type_name(ev->type), "node", ev->node, "network", ev->network, "message",
                     ev->message);
}

json_t *eventlog_since_json(const struct eventlog *el, uint64_t since)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < el->n; i++) {
        const struct event *ev = &el->ring[(el->start + i) % el->cap];
        if (ev->seq > since)
            json_array_append_new(arr, event_to_json(ev));
    }
    return arr;
}
