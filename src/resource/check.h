/*
 * Health checks of a resource: tcp (connect), http (GET, expected status) and
 * exec (a command exits 0). They never block the loop: connections are
 * non-blocking libuv handles, commands are supervised children.
 *
 * The checks of a resource are run at their intervals by its health
 * (resource/health.h).
 */
#pragma once

#include <stdbool.h>

#include <uv.h>

#include "config/config.h"

struct check;

/* One probe finished: ok, or a one-line reason ("tcp 198.51.100.100:80: connection refused"). */
typedef void (*check_done_fn)(void *ctx, bool ok, const char *reason);

/* A check of c (which must outlive it). Owned by the caller. */
struct check *check_new(uv_loop_t *loop, const struct cfg_check *c);
/*
 * Runs one probe now, bounded by the check's timeout; cb fires exactly once,
 * later (never from within check_run), unless check_cancel or check_free
 * comes first. 0, or -EBUSY while a probe is under way.
 *
 * tcp: ok once connected (host is a numeric address or "localhost"; names
 * are not resolved). http: ok when the status line of the answer to
 * `GET PATH HTTP/1.0` has the expected status (status 0: any 2xx or 3xx);
 * at most 8 KiB are read looking for it. exec: ok when the command exits 0;
 * it runs in a process group of its own with stdin, stdout and stderr on
 * /dev/null, and past the timeout the whole group is killed (SIGKILL) and
 * the failure reported at once (a command stuck in the kernel never blocks
 * the loop: it is reaped whenever it goes).
 * Reasons: "LABEL: connection refused", "LABEL: timed out after 500ms",
 * "LABEL: status 500", "LABEL: malformed response", "LABEL: exited with
 * status 1" (see check_label).
 */
int check_run(struct check *ck, check_done_fn cb, void *ctx);
/* Cancels a probe under way (cb does not fire), killing a command's group. Accepts NULL. */
void check_cancel(struct check *ck);
/* Whether a probe is under way. */
bool check_busy(const struct check *ck);
/* "tcp 198.51.100.100:80", "http http://198.51.100.100/", "exec /usr/bin/test": owned by ck. */
const char *check_label(const struct check *ck);
/*
 * Cancels a probe under way (cb does not fire) and frees. Accepts NULL. May
 * be called from within cb. A cancelled probe's handles close in the
 * background: run the loop afterwards before closing it.
 */
void check_free(struct check *ck);
