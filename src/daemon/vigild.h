/*
 * vigild's private header: the daemon's state and what its parts share.
 * vigild.c has the loop, the engine callbacks, the groups, Corosync and main;
 * vigild_config.c the replicated configuration (cfgsync's hooks and the
 * config requests); vigild_stop.c planned stops (vigil node stop, SIGTERM).
 */
#pragma once

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "base/log.h"
#include "base/notify.h"
#include "base/sha256.h"
#include "base/util.h"
#include "config/config.h"
#include "config/diff.h"
#include "daemon/cfgstore.h"
#include "daemon/cfgsync.h"
#include "daemon/cluster.h"
#include "daemon/control.h"
#include "daemon/ctl.h"
#include "daemon/eventlog.h"
#include "daemon/db.h"
#include "daemon/fencer.h"
#include "daemon/gview.h"
#include "daemon/history.h"
#include "daemon/hooks.h"
#include "daemon/lrm.h"
#include "daemon/peer.h"
#include "daemon/placer.h"
#include "engine/engine.h"
#include "exec/proc.h"
#include "resource/ip.h"

#define CPG_GROUP             "vigil"
#define CONNECT_RETRY_MS      100
#define EXTERNAL_RETRY_MS     500
#define LINK_POLL_MS          250
#define COROSYNC_STOP_MS      10000
#define RESTART_WINDOW_MS     60000
#define RESTART_MAX_IN_WINDOW 5
#define EVENTLOG_CAPACITY     10000
#define INTENT_CHECK_MS       1000

enum { EXIT_OK = 0, EXIT_CONFIG = 1, EXIT_FATAL = 2 };

/* Old configurations kept while a fence operation may point into them. */
#define MAX_RETIRED    16
#define PREP_UNTOUCHED SIZE_MAX /* prep_keep: the change leaves the group alone */
/* A planned stop: how long the groups get to move away before they are stopped here anyway. */
#define DRAIN_TIMEOUT_MS 120000
/* How long `vigil node stop` waits for another node to leave. */
#define NODE_STOP_WAIT_MS (DRAIN_TIMEOUT_MS + 120000)

struct vigild {
    uv_loop_t *loop;
    const char *cfg_path, *socket_path, *run_dir, *state_dir;
    char *cfg_text; /* the configuration file's content at start-up */
    char *corosync_bin, *corosync_conf;
    struct cfg *cfg;
    struct eventlog *events;
    struct history *history; /* the persisted event log (vigil history) */
    struct hooks *hooks;     /* the operator's programs run on events */
    struct cluster cl;
    struct engine *engine;
    struct proc *corosync;
    struct control *control;
    struct fencer *fencer;
    struct gview gv;
    struct lrm *lrm;
    struct placer *placer;
    int local_node;    /* index in cfg->nodes, found from this machine's addresses */
    struct cfgsync cs; /* the replicated configuration */
    /*
     * A configuration change under way (or NULL): per group, the resources it
     * keeps running through the change, or PREP_UNTOUCHED.
     */
    size_t *prep_keep;
    struct cfg *retired[MAX_RETIRED];
    size_t n_retired;
    struct waiter {
        uint64_t intent;
        uint64_t token;
        char *what;
        bool config;    /* a configuration apply (intent is its id) */
        bool node_stop; /* vigil node stop of another node (intent is its index) */
        uint64_t deadline_ms;
    } * waiters;
    /* A planned stop (vigil node stop, SIGTERM): groups move away first, then this node leaves. */
    bool draining;
    uint64_t drain_deadline_ms;
    bool *drained_groups; /* per group: ran here when the stop began */
    uint64_t stop_token;  /* a `vigil node stop` of this node waiting for the outcome, or 0 */
    size_t n_waiters;
    bool stopping_groups; /* SIGTERM: groups are being stopped before leaving */
    uv_timer_t connect_timer, link_timer, restart_timer, plan_timer, intent_timer, watchdog_timer;
    uv_signal_t sig_term, sig_int, sig_hup, sig_chld;
    uint64_t restart_at[RESTART_MAX_IN_WINDOW];
    unsigned n_restart_at;
    bool stopping;
    int exit_code;
};

/* vigild.c */
/* Stops the groups here, leaves the cluster and exits (why: for the log). */
void begin_shutdown(struct vigild *d, const char *why);
/* The group view's hooks (ctx: the vigild), also used by the other parts. */
void gv_db_changed(void *ctx);
void gv_replan(void *ctx);
void gv_rereport(void *ctx, size_t g);
int gv_send(void *ctx, enum peer_group_kind kind, json_t *body);

/* vigild_config.c */
/* What cfgsync asks of this node: prepare, activate, abort, refuse, done. */
extern const struct cfgsync_hooks cfgsync_hooks;
/* The control requests `config ...` (deferred replies answer token later). */
json_t *config_reload(struct vigild *d, bool force, uint64_t token, bool *ret_defer);
json_t *control_config(struct vigild *d, json_t *req, uint64_t token, bool *ret_defer);
/* Says ready for a prepared change once what it stops here has stopped. */
void cs_check_ready(struct vigild *d);
/* Frees replaced configurations that no fence operation points into any more. */
void free_retired(struct vigild *d);
/* Group g is managed and active (running, starting, ...) on this node. */
bool managed_active_here(const struct vigild *d, size_t g);
/* A change under way stops or restarts group g here. */
bool prep_affects(const struct vigild *d, size_t g);

/* vigild_stop.c */
/* Starts a planned stop of this node (now: stop the groups in place first). */
void begin_node_stop(struct vigild *d, bool now, uint64_t token, const char *why);
/* The control request `node stop NODE`. */
json_t *control_node_stop(struct vigild *d, json_t *req, uint64_t token, bool *ret_defer);
/* A PEER_G_NODE_STOP message: a member asks node NODE to stop. */
void deliver_node_stop(struct vigild *d, uint32_t from, json_t *body);
/* Leaves once a planned stop has nothing left to wait for. */
void drain_check(struct vigild *d);
/* Membership changes and the clock end the waits of `node stop` requests. */
void node_stop_expire(struct vigild *d, uint64_t now_ms);
void node_stop_left(struct vigild *d, const struct engine_view *v);
/* Answers a `node stop` of this node with where its groups went. */
void node_stop_reply_local(struct vigild *d);
