/*
 * Deferred replies: control requests whose answer waits for an outcome in
 * the cluster (an intent every member saved, a configuration every member
 * wrote, a node that left). A module that defers a reply keeps its waiting
 * requests in a struct replies of its own, keyed by what they wait for, and
 * answers them through the send function it was given (the control socket's
 * control_reply in vigild, a recorder in tests).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Sends reply (ownership passes) to the client that waits under token. */
typedef void (*replies_send_fn)(void *ctx, uint64_t token, json_t *reply);

struct reply_wait {
    uint64_t key;         /* what it waits for: an intent id, an apply id, a node index */
    uint64_t token;       /* the control socket's token of the waiting request */
    char *what;           /* a description for the answer (owned) */
    uint64_t deadline_ms; /* monotonic time after which it expires (0: never) */
};

struct replies {
    struct reply_wait *w;
    size_t n;
    replies_send_fn send;
    void *ctx;
};

/* Sets r up empty; answers go through send(ctx, ...). */
void replies_init(struct replies *r, replies_send_fn send, void *ctx);
/* Frees every waiting entry without answering (the socket is closing); accepts a zeroed r. */
void replies_done(struct replies *r);

/*
 * Records that the request token waits for key. what is copied; deadline_ms
 * is a monotonic time (time_mono_ms) after which replies_expire answers it,
 * or 0 for no deadline.
 */
void replies_add(struct replies *r, uint64_t key, uint64_t token, const char *what,
                 uint64_t deadline_ms);

/* The first entry waiting for key, or NULL. Valid until r changes. */
const struct reply_wait *replies_find(const struct replies *r, uint64_t key);

/*
 * Answers the first entry waiting for key with reply (ownership passes; it
 * is freed when nobody waits) and forgets it. Returns true if one waited.
 */
bool replies_answer(struct replies *r, uint64_t key, json_t *reply);

/*
 * Answers every entry waiting for key: make(ctx, entry) builds each answer
 * (a new reference). Returns how many were answered.
 */
size_t replies_answer_all(struct replies *r, uint64_t key,
                          json_t *(*make)(void *ctx, const struct reply_wait *w), void *ctx);

/*
 * Answers every entry whose deadline has passed at now_ms with
 * make(ctx, entry) and forgets it. Returns how many expired.
 */
size_t replies_expire(struct replies *r, uint64_t now_ms,
                      json_t *(*make)(void *ctx, const struct reply_wait *w), void *ctx);
