/*
 * The cluster event stream: a bounded in-memory log of what this node saw
 * happen, numbered by a sequence that only grows, with wall-clock times in
 * milliseconds. `vigil events` reads it; followers are told of each new event.
 */
#pragma once

#include <stdint.h>
#include <stddef.h>

#include <jansson.h>

enum event_type {
    EV_DAEMON_STARTED,
    EV_NODE_JOINED,
    EV_NODE_LEFT,
    EV_QUORUM_GAINED,
    EV_QUORUM_LOST,
    EV_LINK_UP,
    EV_LINK_DOWN,
    EV_COORDINATOR_CHANGED,
    EV_ENGINE_LOST,
    EV_ENGINE_RESTORED,
    EV_CONFIG_MISMATCH,
    EV_CONFIG_CHANGED, /* a new configuration version is active on this node */
    EV_FENCE_REQUESTED,
    EV_FENCE_ATTEMPT,
    EV_FENCE_SUCCEEDED,
    EV_FENCE_FAILED,
    EV_FENCE_CONFIRMED,
    EV_GROUP_STARTED,          /* a group runs (after a start: duration) */
    EV_GROUP_STOPPED,          /* a group stopped (duration) */
    EV_GROUP_RESTARTED,        /* restarted in place after a failure (duration) */
    EV_GROUP_MOVED,            /* runs on another node than before (gap: unavailable for) */
    EV_GROUP_RECOVERED,        /* runs again after its node was lost (gap) */
    EV_GROUP_FAILED,           /* no eligible node can run it, or it halted */
    EV_GROUP_STOP_FAILED,      /* a stop failed: the node will be fenced */
    EV_GROUP_MULTI_ACTIVE,     /* found active on more than one node */
    EV_RESOURCE_FAILED,        /* a resource failed (exit, check, monitor, start) */
    EV_ADMIN,                  /* an admin's command was applied (intent) */
    EV_GROUP_FAILURES_EXPIRED, /* a group's failures on a node expired: it may run there again */
    EV_GROUP_PROMOTED,         /* a promotable group's copy became primary (duration) */
    EV_GROUP_DEMOTED,          /* a promotable group's primary became a replica (duration) */
    EV_TYPE_MAX
};

struct event {
    uint64_t seq;
    uint64_t ts_ms; /* wall clock */
    enum event_type type;
    char *node;          /* may be NULL */
    char *network;       /* may be NULL */
    char *group;         /* may be NULL */
    char *resource;      /* may be NULL */
    int64_t duration_ms; /* how long it took (or the gap clients saw); -1 when none */
    char *message;
};

struct eventlog;

typedef void (*eventlog_notify_fn)(void *ctx, const struct event *ev);

/* Creates a log keeping the newest `capacity` events (at least 1). Owned by the caller. */
struct eventlog *eventlog_new(size_t capacity);
/* Frees the log; accepts NULL. */
void eventlog_free(struct eventlog *el);
/* Sets the function told of every new event (NULL to unset). */
void eventlog_set_notify(struct eventlog *el, eventlog_notify_fn fn, void *ctx);

/*
 * Appends an event stamped with the current wall clock. node and network may
 * be NULL; the strings are copied. Returns the event, owned by the log and
 * valid until it is pushed out by newer events.
 */
const struct event *eventlog_add(struct eventlog *el, enum event_type type, const char *node,
                                 const char *network, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The same, for a group event: group, resource may be NULL; duration_ms -1 for none. */
const struct event *eventlog_add_group(struct eventlog *el, enum event_type type, const char *node,
                                       const char *group, const char *resource, int64_t duration_ms,
                                       const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* The sequence number of the newest event, 0 if none. */
uint64_t eventlog_last_seq(const struct eventlog *el);

/* A new JSON array of the events with seq > since, oldest first (caller owns it). */
json_t *eventlog_since_json(const struct eventlog *el, uint64_t since);

/* A new JSON object for one event (caller owns it). */
json_t *event_to_json(const struct event *ev);

/*
 * The name of an event type ("node_joined", ...), or "unknown" out of
 * range: a constant string.
 */
const char *event_type_name(enum event_type t);
