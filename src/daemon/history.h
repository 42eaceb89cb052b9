/*
 * The persisted event history (`vigil history`): every event this node sees,
 * one JSON object per line, appended to STATE/history.jsonl. Bounded: past
 * HISTORY_MAX_BYTES the file becomes history.jsonl.1 (replacing the older
 * one) and a new one starts, so at most about twice that is kept.
 *
 * Durability: each event is one write(2) with O_APPEND, so it survives a
 * crash or restart of vigild at once; the file is flushed to disk
 * (fdatasync, off the loop) within HISTORY_SYNC_MS, so a power loss costs at
 * most the last second. Events of groups, fencing and admin commands come
 * from agreed-order messages: every member records the same ones, so the
 * history reads the same from any node that was a member.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "daemon/events.h"

#define HISTORY_FILE          "history.jsonl"
#define HISTORY_MAX_BYTES     (1024u * 1024)
#define HISTORY_SYNC_MS       1000
#define HISTORY_DEFAULT_LIMIT 1000
#define HISTORY_MAX_LIMIT     100000

struct history;

/*
 * Opens (creating) dir/history.jsonl for appending events seen by node
 * (its name, recorded with each event). max_bytes 0: HISTORY_MAX_BYTES.
 * loop NULL: no periodic flush (tests). Never NULL: a history that cannot be
 * opened logs why once and records nothing.
 */
struct history *history_open(uv_loop_t *loop, const char *dir, const char *node, size_t max_bytes);
/* Appends one event (rotating first if the file is full). */
void history_append(struct history *h, const struct event *ev);
/* Flushes and closes; accepts NULL. Run the loop afterwards to release its handles. */
void history_close(struct history *h);

struct history_filter {
    uint64_t since_ms; /* 0: from the start */
    uint64_t until_ms; /* 0: to the end */
    const char *group; /* NULL: any */
    const char *node;  /* NULL: any (matches the event's node) */
    const char *type;  /* NULL: any */
    size_t limit;      /* the newest this many; 0: HISTORY_DEFAULT_LIMIT */
};

/*
 * Reads dir's history (history.jsonl.1, then history.jsonl): the events that
 * pass f, oldest first, at most f->limit (the newest ones). Lines that are not
 * JSON objects (a line torn by a power loss) are skipped and counted in
 * *ret_skipped. A missing file is an empty history. Returns a new array.
 */
json_t *history_query(const char *dir, const struct history_filter *f, size_t *ret_skipped);
