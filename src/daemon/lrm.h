/*
 * The local resource manager: carries out, on this node, the group actions
 * the coordinator sends, one operation per group at a time: start (resources
 * in order), stop (in reverse), probe (what really runs here). While a group
 * runs, its resources are watched; a failure is reported with the kind its
 * on_fail asks for, and the failed resource and every resource after it are
 * stopped at once, so that the coordinator only has to decide where the
 * group starts again. A stop that fails leaves the group "stop failed": the
 * node will be fenced.
 *
 * A copy of a clone is the group running here, nothing more. A copy of a
 * promotable group starts as a replica (its resources of role primary stay
 * stopped), and is promoted and demoted by lrm_promote and lrm_demote; the
 * order and the meaning of the agents' answers are lrm_role.h's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "config/diff.h"
#include "daemon/db.h"
#include "policy/policy.h"
#include "resource/rc.h"
#include "resource/resource.h"

struct lrm_hooks {
    /* Group g's local state changed: report it to the cluster. */
    void (*report)(void *ctx, size_t g);
    /* Resource r of group g failed; kind is what its on_fail asks for. */
    void (*failure)(void *ctx, size_t g, size_t r, enum db_fail_kind kind, const char *reason);
    /* Every group is stopped after lrm_stop_all (ok: no stop failed). */
    void (*all_stopped)(void *ctx, bool ok);
};

enum lrm_want { LRM_WANT_NONE, LRM_WANT_START, LRM_WANT_STOP, LRM_WANT_PROMOTE, LRM_WANT_DEMOTE };
enum lrm_op {
    LRM_IDLE,
    LRM_PROBING,
    LRM_STARTING,
    LRM_STOPPING,
    LRM_RECOVERING,
    LRM_PROMOTING, /* promotable: promote, then start the role primary resources */
    LRM_DEMOTING,  /* promotable: stop the role primary resources, then demote */
    LRM_NOTIFYING, /* lrm_notify */
};

struct lrm_notify_run;
/* lrm_notify is over: ok when every agent notified exited 0 (else reason says which did not). */
typedef void (*lrm_notify_fn)(void *ctx, size_t g, bool ok, const char *reason);

struct lrm_group {
    size_t g;     /* its index in the current configuration */
    size_t n_res; /* resources (of the definition it was made for) */
    enum pol_obs obs;
    uint8_t *rs;   /* per resource: enum res_state */
    uint8_t *prom; /* per resource: promoted (see lrm_role.h) */
    struct res **res;
    void *refs; /* per resource: what its failure callback and its operations are told */
    enum lrm_op op;
    enum lrm_want want; /* the next operation, once the current one is over */
    size_t cursor;      /* the resource being acted on */
    size_t recover_from;
    bool stopping_first; /* start: the resource is stopped first (it was failed or unknown) */
    int probes_left;
    bool managed;
    bool any_stop_failed;
    bool probed;
    /*
     * A stop of lrm_stop_all or lrm_stop_running not begun yet: it waits
     * for the groups here that require this one or run together with it.
     */
    bool stop_queued;
    enum res_op step_op; /* promoting, demoting: the operation of the resource at cursor */
    struct lrm_notify_run *notify_run;
    lrm_notify_fn notify_cb;
    void *notify_ctx;
    void *notify_own; /* what the notify run's callback is told */
};

struct lrm {
    uv_loop_t *loop;
    const struct cfg *cfg;
    size_t node;
    struct res_env env;
    const struct lrm_hooks *hooks;
    void *ctx;
    struct lrm_group **groups; /* one object per group, kept across configuration changes */
    bool stopping_all;
    bool pumping, pump_again; /* queued stops are being begun (pump_stops is not re-entered) */
};

/*
 * A resource manager for node (index into cfg->nodes) on loop: one resource
 * object per resource of every group, all managed, nothing probed yet (call
 * lrm_probe_all). cfg, run_dir (runtime files of resources), hooks and ctx
 * are borrowed and must outlive it. Owned by the caller (lrm_free).
 */
struct lrm *lrm_new(uv_loop_t *loop, const struct cfg *cfg, size_t node, const char *run_dir,
                    const struct lrm_hooks *hooks, void *ctx);
/*
 * The directory of the Pacemaker-compatible commands (crm_master, ...):
 * every agent run from now on gets it first in PATH and as HA_SBIN_DIR
 * (res_env.compat_dir). Borrowed, must outlive l; NULL: none (the default).
 */
void lrm_set_compat_dir(struct lrm *l, const char *dir);
/*
 * Takes over configuration next, from d (cfg_diff of the current one and
 * next, after cfg_transplant_unchanged): unchanged groups keep running
 * untouched; removed and modified ones (which must be idle: stopped for the
 * change) are dropped; added and modified ones get new resources and are
 * probed (each reports when done).
 */
void lrm_reconfigure(struct lrm *l, const struct cfg *next, const struct cfg_diff *d);
/* Group g's state here, as reported to the coordinator. */
enum pol_obs lrm_obs(const struct lrm *l, size_t g);
/* Whether no operation of group g is under way or waiting. */
bool lrm_idle(const struct lrm *l, size_t g);
/* Group g has something running here, or an operation under way or waiting. */
bool lrm_active(const struct lrm *l, size_t g);
/* Frees everything; processes still running are killed. Accepts NULL. */
void lrm_free(struct lrm *l);

/*
 * Probes every resource of every idle group (at start-up, and when
 * the node joins the cluster again after losing its engine). Each group
 * reports when done.
 */
void lrm_probe_all(struct lrm *l);
/*
 * Starts group g here: its resources in order (a failed or unknown one is
 * stopped first). If an operation is under way, the start waits for it to
 * end. report fires when the group's state changes; a resource that fails to
 * start is reported through failure.
 */
void lrm_start(struct lrm *l, size_t g);
/*
 * Stops group g here: its resources in reverse order, after the operation
 * under way (a start is cut short). A stop that fails leaves the group
 * POL_OBS_STOP_FAILED (the node must be fenced). report fires as it goes.
 */
void lrm_stop(struct lrm *l, size_t g);
/*
 * Stops resources first.. of group g, in reverse order (a configuration
 * change replaces them); the ones before keep running. first 0, or an
 * operation under way: the whole group stops, as lrm_stop.
 */
void lrm_stop_from(struct lrm *l, size_t g, size_t first);
/* True when group g is idle and its resources first.. are stopped. */
bool lrm_stopped_from(const struct lrm *l, size_t g, size_t first);
/*
 * Stops every managed group (shutdown, a planned stop); all_stopped fires
 * when done. In dependency order: a group's stop begins only once every
 * managed group here that requires it or runs together with it has stopped
 * (or failed to stop), as the policy orders stops across the cluster.
 */
void lrm_stop_all(struct lrm *l);
/*
 * Promotable groups. lrm_promote promotes the copy here, a running replica
 * (obs RUNNING): its resources of role promotable in order (obs PROMOTING),
 * then starts those of role primary in order; then it is POL_OBS_PRIMARY
 * and its monitors expect "running as primary" of the promotable ones. A
 * copy that is not a running replica is not promoted (logged, reported). A
 * failure is reported through failure (kind by on_fail) and the group is
 * recovered from the failed resource on, as for a failure while running.
 * After the operation under way, like lrm_start.
 */
void lrm_promote(struct lrm *l, size_t g);
/*
 * Demotes the copy here: stops its resources of role primary in reverse
 * order (obs DEMOTING), then demotes its promoted ones in reverse order;
 * then it is a replica (POL_OBS_RUNNING). lrm_stop of a promoted copy
 * demotes it first. A stop that fails leaves it POL_OBS_STOP_FAILED.
 */
void lrm_demote(struct lrm *l, size_t g);
/*
 * Whether promoted resources of group g may be active here: from the moment
 * a promote begins until its demote or stop succeeded, and while a resource
 * of role primary is not stopped (lrm_role_promoted). False for other kinds.
 */
bool lrm_promoted(const struct lrm *l, size_t g);
/*
 * Runs notification n (copied) on the running ocf resources of group g
 * here, in order (res_notify): cb fires once, from the loop, when done. A
 * failed notify is no failure of the resource; cb says it. -EBUSY while an
 * operation of the group is under way (nothing runs, cb does not fire).
 */
int lrm_notify(struct lrm *l, size_t g, const struct res_notify *n, lrm_notify_fn cb, void *ctx);
/* Maintenance: unmanaged groups are not watched; managing again probes the group first. */
void lrm_set_managed(struct lrm *l, size_t g, bool managed);

/*
 * Whether resource r of group g is being started and waits for its checks
 * to pass (vigil status: "waiting for its checks").
 */
bool lrm_waiting_ready(const struct lrm *l, size_t g, size_t r);
/* True once every group has been probed. */
bool lrm_probed(const struct lrm *l);
/* True if any group has something running or under way. */
bool lrm_any_active(const struct lrm *l);
/* Group g is managed and active here (running, starting, ...). Accepts NULL (false). */
bool lrm_managed_active(const struct lrm *l, size_t g);
/*
 * Stops every managed group that runs or starts here and is not already
 * stopping, logging "why: stopping group G on this node" (loss of quorum),
 * in dependency order as lrm_stop_all. Unlike lrm_stop_all, all_stopped does
 * not fire. Accepts NULL.
 */
void lrm_stop_running(struct lrm *l, const char *why);
