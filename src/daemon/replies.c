/* Deferred replies: see replies.h. */
#include "daemon/replies.h"

#include <stdlib.h>

#include "base/util.h"

void replies_init(struct replies *r, replies_send_fn send, void *ctx)
{
    *r = (struct replies){.send = send, .ctx = ctx};
}

void replies_done(struct replies *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->w[i].what);
    free(r->w);
    r->w = NULL;
    r->n = 0;
}

void replies_add(struct replies *r, uint64_t key, uint64_t token, const char *what,
                 uint64_t deadline_ms)
{
    r->w = xrealloc(r->w, (r->n + 1) * sizeof(*r->w));
    r->w[r->n++] = (struct reply_wait){
        .key = key, .token = token, .what = xstrdup(what ? what : ""), .deadline_ms = deadline_ms};
}

const struct reply_wait *replies_find(const struct replies *r, uint64_t key)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->w[i].key == key)
            return &r->w[i];
    return NULL;
}

/* Sends reply to entry i and removes it (order among the rest is not kept). */
static void answer_at(struct replies *r, size_t i, json_t *reply)
{
    uint64_t token = r->w[i].token;
    free(r->w[i].what);
    r->w[i] = r->w[--r->n];
    r->send(r->ctx, token, reply);
}

bool replies_answer(struct replies *r, uint64_t key, json_t *reply)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->w[i].key == key) {
            answer_at(r, i, reply);
            return true;
        }
    }
    json_decref(reply);
    return false;
}

size_t replies_answer_all(struct replies *r, uint64_t key,
                          json_t *(*make)(void *ctx, const struct reply_wait *w), void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n;) {
        if (r->w[i].key != key) {
            i++;
            continue;
        }
        answer_at(r, i, make(ctx, &r->w[i]));
        n++;
    }
    return n;
}

size_t replies_expire(struct replies *r, uint64_t now_ms,
                      json_t *(*make)(void *ctx, const struct reply_wait *w), void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n;) {
        if (!r->w[i].deadline_ms || now_ms < r->w[i].deadline_ms) {
            i++;
            continue;
        }
        answer_at(r, i, make(ctx, &r->w[i]));
        n++;
    }
    return n;
}
