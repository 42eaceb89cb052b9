#include "daemon/eventlog.h"
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
    [EV_CONFIG_CHANGED] = "config_changed",
    [EV_FENCE_REQUESTED] = "fence_requested",
    [EV_FENCE_ATTEMPT] = "fence_attempt",
    [EV_FENCE_SUCCEEDED] = "fence_succeeded",
    [EV_FENCE_FAILED] = "fence_failed",
    [EV_FENCE_CONFIRMED] = "fence_confirmed",
    [EV_GROUP_STARTED] = "group_started",
    [EV_GROUP_STOPPED] = "group_stopped",
    [EV_GROUP_RESTARTED] = "group_restarted",
    [EV_GROUP_MOVED] = "group_moved",
    [EV_GROUP_RECOVERED] = "group_recovered",
    [EV_GROUP_FAILED] = "group_failed",
    [EV_GROUP_STOP_FAILED] = "group_stop_failed",
    [EV_GROUP_MULTI_ACTIVE] = "group_multi_active",
    [EV_RESOURCE_FAILED] = "resource_failed",
    [EV_ADMIN] = "admin",
    [EV_GROUP_FAILURES_EXPIRED] = "group_failures_expired",
    [EV_GROUP_PROMOTED] = "group_promoted",
    [EV_GROUP_DEMOTED] = "group_demoted",
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
    free(ev->group);
    free(ev->resource);
    ev->node = ev->network = ev->message = ev->group = ev->resource = NULL;
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

static const struct event *add_v(struct eventlog *el, enum event_type type, const char *node,
                                 const char *network, const char *group, const char *resource,
                                 int64_t duration_ms, const char *fmt, va_list ap)
    __attribute__((format(printf, 8, 0)));
static const struct event *add_v(struct eventlog *el, enum event_type type, const char *node,
                                 const char *network, const char *group, const char *resource,
                                 int64_t duration_ms, const char *fmt, va_list ap)
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
    ev->message = xvasprintf(fmt, ap);
    ev->seq = ++el->last_seq;
    ev->ts_ms = time_wall_ms();
    ev->type = type;
    ev->node = node ? xstrdup(node) : NULL;
    ev->network = network ? xstrdup(network) : NULL;
    ev->group = group ? xstrdup(group) : NULL;
    ev->resource = resource ? xstrdup(resource) : NULL;
    ev->duration_ms = duration_ms;
    if (el->notify)
        el->notify(el->notify_ctx, ev);
    return ev;
}

const struct event *eventlog_add(struct eventlog *el, enum event_type type, const char *node,
                                 const char *network, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const struct event *ev = add_v(el, type, node, network, NULL, NULL, -1, fmt, ap);
    va_end(ap);
    return ev;
}

const struct event *eventlog_add_group(struct eventlog *el, enum event_type type, const char *node,
                                       const char *group, const char *resource, int64_t duration_ms,
                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const struct event *ev = add_v(el, type, node, NULL, group, resource, duration_ms, fmt, ap);
    va_end(ap);
    return ev;
}

uint64_t eventlog_last_seq(const struct eventlog *el)
{
    return el->last_seq;
}

json_t *event_to_json(const struct event *ev)
{
    char ts[32];
    json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s?, s:s?, s:s}", "seq", (json_int_t)ev->seq,
                          "ts_ms", (json_int_t)ev->ts_ms, "time",
                          time_format_wall_ms(ev->ts_ms, ts), "type", event_type_name(ev->type),
                          "node", ev->node, "network", ev->network, "message", ev->message);
    if (ev->group)
        json_object_set_new(j, "group", json_string(ev->group));
    if (ev->resource)
        json_object_set_new(j, "resource", json_string(ev->resource));
    if (ev->duration_ms >= 0)
        json_object_set_new(j, "duration_ms", json_integer(ev->duration_ms));
    return j;
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
