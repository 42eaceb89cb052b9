/*
 * One resource on this node, whatever its type: start, stop, monitor and
 * probe as asynchronous operations with the resource's timeouts, and, while
 * it is watched, failure detection (a process's exit seen at once, the
 * periodic monitor of types that have one, and its health checks).
 *
 * Types: ip (netlink, announced), process (supervised child), fs (mount and
 * umount, holders killed first), script / ocf / lsb (agents run as programs).
 * Only script and ocf resources can be promoted and demoted (RES_OP_PROMOTE,
 * RES_OP_DEMOTE); the others fail those operations ("not configured").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "resource/rc.h"

/* Where resources run. */
struct res_env {
    uv_loop_t *loop;
    const struct cfg *cfg;
    size_t node;         /* this node's index in cfg->nodes */
    const char *run_dir; /* pid files (run_dir/res) and agents' HA_RSCTMP (run_dir/rsctmp) */
    /*
     * The Pacemaker-compatible commands (crm_master, crm_attribute, ...):
     * every agent run (script, ocf, lsb) gets HA_SBIN_DIR=compat_dir and it
     * first in PATH. NULL: neither.
     */
    const char *compat_dir;
};

struct res;

/* An operation finished. reason is one line for operators (may be ""). */
typedef void (*res_done_fn)(void *ctx, enum res_rc rc, const char *reason);
/* A watched resource failed: exited, monitor failed, or checks failed. Fires once per watch. */
typedef void (*res_failed_fn)(void *ctx, const char *reason);

/* Resource r of group g (indices into env->cfg, which must outlive it). */
struct res *res_new(const struct res_env *env, size_t g, size_t r, res_failed_fn failed, void *ctx);
/*
 * The configuration changed and this resource's definition, unchanged, moved
 * into env->cfg as resource r of group g (cfg_transplant_unchanged): points
 * the resource at it, with failed_ctx for its failure callback. Everything
 * under way carries on.
 */
void res_rebind(struct res *res, const struct res_env *env, size_t g, size_t r, void *failed_ctx);
/* Cancels everything (a running process is left alone: see res_forget) and frees. Accepts NULL. */
void res_free(struct res *res);

/*
 * Runs one operation; cb fires exactly once, later, unless res_cancel comes
 * first. A monitor the resource runs for its watch is cancelled by it.
 * Returns 0, or -EBUSY while another operation is under way.
 *
 * A start of a resource with checks ends only when it is ready: once its
 * start action succeeded (a process: once it was executed), its checks run
 * (health_wait_ready) until they pass by its healthy rule; that is RES_RC_OK.
 * Not ready within its ready_timeout (counted from the end of the start
 * action), or a process that exits first, is RES_RC_FAILED with the reason
 * ("not ready within 30s: check tcp 127.0.0.1:5432: connection refused",
 * "exited with status 1 before it was ready"); the process is left running
 * for the caller's stop. Without checks a start ends with its action.
 */
int res_run(struct res *res, enum res_op op, res_done_fn cb, void *ctx);
/*
 * Runs the agent's notify action (ocf resources of clone and promotable
 * groups) with the notification n, read during the call only; as res_run
 * otherwise, cb fires once. An agent whose meta-data lists no notify action
 * is not run: RES_RC_OK at once (from the loop). -EINVAL for another type.
 */
int res_notify(struct res *res, const struct res_notify *n, res_done_fn cb, void *ctx);
/*
 * The role the watch's monitor expects of a resource of role promotable:
 * promoted, exit 8 (RES_RC_RUNNING_PRIMARY), else 0. Any other outcome is a
 * failure ("monitor: running as primary, not as a replica", "monitor: failed
 * as primary: ..."). The lrm sets it as promotions and demotions end.
 */
void res_set_promoted(struct res *res, bool promoted);
/* Cancels the operation under way (its callback does not fire). */
void res_cancel(struct res *res);
/*
 * Whether a caller's operation (res_run) is under way; the monitor the
 * resource runs for its own watch does not count (res_run cancels it).
 */
bool res_busy(const struct res *res);

/* Whether a start under way has done its action and waits for the checks to pass. */
bool res_waiting_ready(const struct res *res);

/*
 * Starts or stops watching for failures (after a start or a probe that found
 * it running). A process whose exit was seen before its watch began (one that
 * exits within milliseconds of its exec) is reported as failed when the watch
 * is turned on: from the loop, never inside this call.
 */
void res_watch(struct res *res, bool on);

/* The resource's definition in env->cfg (owned by the configuration, not by res). */
const struct cfg_resource *res_cfg(const struct res *res);
/* The name used in logs: "group/resource". */
const char *res_label(const struct res *res);
