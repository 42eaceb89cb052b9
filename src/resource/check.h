/*
 * Health checks of a resource: tcp (connect), http (GET, expected status) and
 * exec (a command exits 0). They never block the loop: connections are
 * non-blocking libuv handles, commands are supervised children.
 *
 * A `health` runs every check of one resource at its interval, counts each
 * check's consecutive failures and declares the resource unhealthy when
 * (healthy: all) any check reached its failure threshold, or (healthy: any)
 * every check did.
 */
#pragma once

#include <stdbool.h>

#include <uv.h>

#include "config/config.h"

struct check;

/* One probe finished: ok, or a one-line reason ("connect 198.51.100.100:80: connection refused"). */
typedef void (*check_done_fn)(void *ctx, bool ok, const char *reason);

/* A check of c (which must outlive it). Owned by the caller. */
struct check *check_new(uv_loop_t *loop, const struct cfg_check *c);
/*
 * Runs one probe now, bounded by the check's timeout; cb fires exactly once,
 * later (never from within check_run), unless check_free comes first.
 * 0, or -EBUSY while a probe is under way.
 */
int check_run(struct check *ck, check_done_fn cb, void *ctx);
/* Cancels a probe under way (cb does not fire) and frees. Accepts NULL. */
void check_free(struct check *ck);

struct health;

/*
 * The resource became unhealthy; reason names the check(s) and their last
 * failure. Fires once per health_start; the health stops probing after it.
 */
typedef void (*health_fn)(void *ctx, const char *reason);

/* The health of resource r (which must outlive it); idle until health_start. */
struct health *health_new(uv_loop_t *loop, const struct cfg_resource *r, health_fn cb, void *ctx);
/* Starts probing: each check's first probe after its interval. Counters restart from zero. */
void health_start(struct health *h);
/* Stops probing (a probe under way is cancelled); counters are kept for status. */
void health_stop(struct health *h);
bool health_running(const struct health *h);
/* The last failure reason of any check, or NULL. Valid until the next probe. */
const char *health_last_failure(const struct health *h);
void health_free(struct health *h);
