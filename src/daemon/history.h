/*
 * The persisted event history (`vigil history`): every event this node sees,
 * one JSON object per line (event_to_json plus "seen_by", this node's name),
 * appended to STATE/history.jsonl.
 *
 * Bounded: an event that would take the file past HISTORY_MAX_BYTES first
 * renames it to history.jsonl.1 (replacing the older one) and starts a new
 * one, so at most about twice that is kept (~2 MiB, some 10,000 events).
 *
 * Durability: each event is one write(2) with O_APPEND, so it is in the page
 * cache, and survives a crash or kill of vigild, as soon as history_append
 * returns. fdatasync runs on the loop's thread pool, at most one at a time and
 * at most once every HISTORY_SYNC_MS, so a power loss costs at most the last
 * second or so of events; the loop never waits for the disk beyond the one
 * write per event (and, at rotation, one rename and one open).
 *
 * Reading (history_query) parses both files: a few MB at most. vigild runs it
 * on the loop's thread pool (history_query_async), one query at a time, and
 * answers the control request when it is done.
 *
 * Events of groups, fencing and admin commands come from agreed-order
 * messages: every member records the same ones, so the history reads the same
 * from any node that was a member when they happened.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "daemon/eventlog.h"

#define HISTORY_FILE          "history.jsonl"
#define HISTORY_MAX_BYTES     (1024u * 1024) /* per file; two files are kept */
#define HISTORY_SYNC_MS       1000           /* fdatasync at most this often */
#define HISTORY_DEFAULT_LIMIT 1000           /* events a query returns by default */
#define HISTORY_MAX_LIMIT     100000         /* more than two full files hold */

struct history;

/*
 * Opens (creating, mode 0600) dir/history.jsonl for appending the events seen
 * by node (its name, recorded with each event as "seen_by"; NULL: ""). After
 * a last line left unfinished by a crash, the next event starts a line of its
 * own. max_bytes: the size past which the file rotates; 0 means
 * HISTORY_MAX_BYTES (tests pass a smaller one). loop NULL: no flushing
 * (fdatasync only at rotation and close) and no history_query_async (tests).
 * Never returns NULL: a file that cannot be opened is logged once and the
 * history records nothing. Owned by the caller: history_close.
 */
struct history *history_open(uv_loop_t *loop, const char *dir, const char *node, size_t max_bytes);

/*
 * Appends ev (rotating first if the file would pass its limit): one write.
 * A failed write is logged once (until one succeeds again) and never retried.
 */
void history_append(struct history *h, const struct event *ev);

/*
 * Closes the file (its fdatasync on the thread pool when the history has a
 * loop) and frees h once its timer, flushes and queries are done: run the
 * loop afterwards. Queries already asked for still get their answer.
 * Accepts NULL.
 */
void history_close(struct history *h);

struct history_filter {
    uint64_t since_ms; /* 0: from the start */
    uint64_t until_ms; /* 0: to the end */
    const char *group; /* NULL: any */
    const char *node;  /* NULL: any; matches the event's "node", not "seen_by" */
    const char *type;  /* NULL: any */
    size_t limit;      /* the newest this many; 0: HISTORY_DEFAULT_LIMIT */
};

/*
 * Reads dir's history (history.jsonl.1, then history.jsonl): the events that
 * pass f, oldest first, at most f->limit of them (the newest). Lines that are
 * not JSON objects (torn by a power loss, damaged) are skipped and counted in
 * *ret_skipped; the last line of history.jsonl without its newline is being
 * written and is left out without counting. A missing file is an empty
 * history. Safe on any thread (it only reads files). Returns a new array
 * (owned by the caller), or NULL with *ret_err (owned by the caller) when a
 * file exists but cannot be read; the ret_ outputs are untouched otherwise.
 */
json_t *history_query(const char *dir, const struct history_filter *f, size_t *ret_skipped,
                      char **ret_err);

/*
 * The outcome of history_query_async, called on the loop's thread: events
 * (owned by the callee) and skipped, or events NULL and err (owned by the
 * caller of the callback). tag is the one given to history_query_async.
 */
typedef void (*history_done_fn)(void *ctx, uint64_t tag, json_t *events, size_t skipped,
                                const char *err);

/*
 * Runs history_query for h's directory on the loop's thread pool, one query
 * at a time (later ones wait their turn), then calls done(ctx, tag, ...)
 * exactly once, never from within this call, even if h is closed meanwhile.
 * f's strings are copied. Returns 0, or a negative errno (-EINVAL: h has no
 * loop) and done is never called.
 */
int history_query_async(struct history *h, const struct history_filter *f, history_done_fn done,
                        void *ctx, uint64_t tag);
