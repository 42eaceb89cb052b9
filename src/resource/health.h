/*
 * The health of one resource: every health check of it (resource/check.h)
 * run at its interval, each check's consecutive failures counted, and the
 * resource declared unhealthy when (healthy: all) any check reached its
 * failure threshold, or (healthy: any) every check did.
 */
#pragma once

#include <stdbool.h>

#include <uv.h>

#include "config/config.h"

struct health;

/*
 * The resource became unhealthy; reason names the check(s) and their last
 * failure ("LABEL: FAILURE (N failures in a row)", several joined by "; ").
 * Fires once per health_start; the health stops probing before it fires, and
 * the callback may free the health.
 */
typedef void (*health_fn)(void *ctx, const char *reason);

/* The health of resource r (which must outlive it); idle until health_start. */
struct health *health_new(uv_loop_t *loop, const struct cfg_resource *r, health_fn cb, void *ctx);
/*
 * Starts probing: each check's first probe after its interval. Counters
 * restart from zero. Nothing happens while it already runs.
 */
void health_start(struct health *h);
/* r (equal to the definition it was made for, its checks the same) replaces it. */
void health_rebind(struct health *h, const struct cfg_resource *r);
/* Stops probing (a probe under way is cancelled); counters are kept for status. */
void health_stop(struct health *h);
/* Whether h probes: from health_start until health_stop or until it declared the resource
 * unhealthy. */
bool health_running(const struct health *h);
/*
 * The last failure reason of any check, or NULL. It stays after the check
 * recovers and across health_start (history for status). Valid until the
 * next probe; owned by h.
 */
const char *health_last_failure(const struct health *h);
/* Stops and frees. Accepts NULL. The memory goes once the loop has closed its timers. */
void health_free(struct health *h);
