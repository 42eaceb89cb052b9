/*
 * Filesystem resources: mount and umount run as programs (mount(8) and
 * umount(8)) so that the loop never waits on a disk; before an umount, every
 * process holding the mountpoint (open files, working directory, root,
 * mapped files) is sent SIGTERM, then SIGKILL. Monitor and probe read
 * /proc/self/mountinfo.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "resource/rc.h"

struct fs_op;

typedef void (*fs_done_fn)(void *ctx, enum res_rc rc, const char *reason);

/*
 * Starts op on filesystem resource r, bounded by timeout_ms. cb fires once,
 * later, unless fs_op_cancel comes first. Never returns NULL.
 */
struct fs_op *fs_op_start(uv_loop_t *loop, const struct cfg_resource *r, enum res_op op,
                          uint64_t timeout_ms, fs_done_fn cb, void *ctx);
/* Kills what it runs and drops it; cb does not fire. Accepts NULL. */
void fs_op_cancel(struct fs_op *op);

/* Whether mountpoint is mounted (a line of /proc/self/mountinfo): 1, 0 or a negative errno. */
int fs_is_mounted(const char *mountpoint);

/*
 * Sends sig to every process with a file, directory, root or mapping under
 * mountpoint (except this process). Returns how many were signalled.
 */
size_t fs_signal_holders(const char *mountpoint, int sig);
