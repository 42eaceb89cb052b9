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
 * restart from zero. Nothing happens while it already runs; a wait for
 * readiness under way ends without its callback.
 */
void health_start(struct health *h);
/* r (equal to the definition it was made for, its checks the same) replaces it. */
void health_rebind(struct health *h, const struct cfg_resource *r);
/* The resource is ready: its checks passed by its healthy rule (see health_wait_ready). */
typedef void (*health_ready_fn)(void *ctx);

/*
 * While waiting for readiness, how long after a probe ends the check runs
 * again: HEALTH_READY_FIRST_RETRY_MS after the first, doubling after each
 * further one, at most HEALTH_READY_RETRY_MS (and never more than the
 * check's interval). A service that is ready a few milliseconds after its
 * start is seen so at once, while one that takes seconds is not probed more
 * than five times a second.
 */
#define HEALTH_READY_FIRST_RETRY_MS 20
#define HEALTH_READY_RETRY_MS       200
/* The wait after the tries-th failed probe (0: the first) of a check with that interval (0:
 * default). */
uint64_t health_ready_retry_ms(uint32_t tries, uint64_t interval_ms);

/*
 * Waits for the resource to become ready after its start: every check is
 * probed at once, then again after each of its probes ends (20 ms, then
 * doubling up to HEALTH_READY_RETRY_MS, or its interval if shorter; see
 * above), until the checks pass by the
 * healthy rule (all: each check's latest probe passed; any: one did). Then
 * h stops and cb fires, once, from the loop (never from within this call);
 * the callback may free h. health_stop ends the wait without a callback.
 * The caller bounds the wait (ready_timeout). Returns 0, or -EBUSY while h
 * probes or already waits.
 */
int health_wait_ready(struct health *h, health_ready_fn cb, void *ctx);
/* Whether h waits for readiness (from health_wait_ready until ready or health_stop). */
bool health_waiting(const struct health *h);
/*
 * Why the resource is not ready (yet): "check LABEL: FAILURE" for each check
 * that does not pass, joined by "; " ("check LABEL: no answer yet" for one
 * that has not answered). Owned by the caller.
 */
char *health_not_ready(const struct health *h);
/* Stops probing or waiting (a probe under way is cancelled); counters are kept for status. */
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
