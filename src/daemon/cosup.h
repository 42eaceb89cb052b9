/*
 * The Corosync supervisor: in managed mode (engine: managed, the default)
 * vigild runs Corosync as its child. The supervisor writes corosync.conf from
 * the configuration, starts `corosync -f -c FILE` in a process group of its
 * own (killed if vigild dies), and restarts it when it exits unasked: at
 * once, then after 100, 200, 400 and 800 ms; a sixth exit within a minute
 * means Corosync cannot run here and the supervisor gives up. It reports
 * upward through struct cosup_hooks and never touches the rest of the
 * daemon.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"

#define COSUP_RESTART_WINDOW_MS 60000
#define COSUP_RESTART_MAX       5 /* restarts allowed within the window */

struct cosup_hooks {
    /* Corosync is running as pid (after a start or a restart): connect to it. */
    void (*started)(void *ctx, int pid);
    /*
     * Corosync exited unasked (desc: "exited with status 1", "killed by
     * signal 9"). Return true to have it restarted (unless it exited too
     * often: then failed fires), false when the daemon is going away anyway.
     */
    bool (*crashed)(void *ctx, const char *desc);
    /* Corosync cannot be run (why says what to look at): vigild should exit. */
    void (*failed)(void *ctx, const char *why);
    /* Corosync exited after cosup_stop (desc as above). */
    void (*stopped)(void *ctx, const char *desc);
};

struct cosup;

/*
 * A supervisor for the Corosync binary bin, with its configuration written to
 * conf_path (its directory is created if missing). Strings are copied. The
 * hooks and ctx must outlive it. Owned by the caller (cosup_free).
 */
struct cosup *cosup_new(uv_loop_t *loop, const char *bin, const char *conf_path,
                        const struct cosup_hooks *hooks, void *ctx);

/*
 * Writes corosync.conf for cfg (cfg_corosync_conf) atomically and starts
 * Corosync; started fires once it is spawned. Returns 0, or a negative errno
 * when the file cannot be written or the program cannot be spawned (logged,
 * and no hook fires).
 */
int cosup_start(struct cosup *s, const struct cfg *cfg);

/*
 * Stops Corosync (SIGTERM, then SIGKILL after grace_ms); stopped fires when
 * it has exited. Returns false, and does nothing, if it is not running
 * (or s is NULL).
 */
bool cosup_stop(struct cosup *s, uint64_t grace_ms);

/*
 * Kills Corosync at once (SIGKILL), so that the peers see this node fail; no
 * restart follows, and stopped fires when it is gone. Accepts NULL.
 */
void cosup_kill(struct cosup *s);

/*
 * Kills Corosync so that it is restarted, as after a crash (the daemon lost
 * its connection to a Corosync that still runs). Accepts NULL.
 */
void cosup_restart(struct cosup *s);

/* Whether Corosync runs now. Accepts NULL (false). */
bool cosup_running(const struct cosup *s);

/* The path of the generated corosync.conf. */
const char *cosup_conf_path(const struct cosup *s);

/* Stops watching and frees; a Corosync still running is killed with its group. Accepts NULL. */
void cosup_free(struct cosup *s);
