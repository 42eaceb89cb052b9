/*
 * Resource agents run as programs: the user's action scripts (`script`), OCF
 * resource agents (`ocf:PROVIDER:AGENT`, run unmodified) and LSB init scripts
 * (`lsb:NAME`). Each call is a supervised child in its own process group with
 * a timeout (SIGTERM to the group, then SIGKILL); its exit code is mapped to a
 * res_rc, and the tail of its output is kept (made safe: control bytes and
 * invalid UTF-8 become '?') for the reason operators see.
 *
 * Environment of a call:
 *   script: argv = {path, ACTION}; VIGIL_RESOURCE, VIGIL_GROUP, VIGIL_NODE,
 *           and each param as VIGIL_PARAM_<key>.
 *   ocf:    argv = {OCF_ROOT/resource.d/PROVIDER/AGENT, ACTION}; OCF_ROOT,
 *           OCF_FUNCTIONS_DIR, OCF_RESOURCE_INSTANCE (the resource name),
 *           OCF_RESOURCE_TYPE, OCF_RESOURCE_PROVIDER, OCF_RA_VERSION_MAJOR/MINOR,
 *           OCF_RESKEY_<param>, and the meta variables OCF_RESKEY_CRM_meta_timeout
 *           (the action's timeout in ms), OCF_RESKEY_CRM_meta_interval (ms, 0
 *           except for a recurring monitor), OCF_RESKEY_CRM_meta_on_node (this
 *           node's name), HA_RSCTMP. In a clone or promotable group (clone_max
 *           set) also Pacemaker's clone meta variables: _clone_max, _clone_node_max
 *           (1), _notify (true/false), _globally_unique (false),
 *           OCF_RESKEY_crm_feature_set; promotable (promoted_max set) adds
 *           _promoted_max and _master_max, _promoted_node_max and
 *           _master_node_max (1). A notify adds the notify variables (res_notify).
 *   lsb:    argv = {/etc/init.d/NAME, ACTION} with ACTION start, stop, status.
 * Every call gets PATH=/usr/sbin:/usr/bin:/sbin:/bin and nothing else from the
 * daemon's environment; with a compat_dir, PATH starts with it and HA_SBIN_DIR
 * names it (the Pacemaker-compatible commands agents call, crm_master, ...).
 *
 * Exit codes:
 *   script: monitor/probe 0 running, 7 stopped, 8 running as primary, 9
 *           failed as primary, else failed; other actions 0 ok.
 *   ocf:    0 ok/running, 7 not running, 5 not installed, 2 and 6 not
 *           configured, monitor/probe 8 running as primary and 9 failed as
 *           primary, 1 3 4 and others (8 and 9 of other actions) failed.
 *   lsb:    status 0 running, 3 not running, 1 2 4 failed; start/stop 0 ok.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "resource/ocf_meta.h"
#include "resource/rc.h"

#define RES_AGENT_MAX_OUTPUT         4096u /* output kept from one call */
#define RES_AGENT_KILL_GRACE         2000  /* ms after the timeout: SIGTERM, then SIGKILL */
#define RES_AGENT_DEFAULT_TIMEOUT_MS 20000

struct res_agent_result {
    enum res_rc rc;
    int exit_code; /* -1 when killed or not run */
    uint64_t duration_ms;
    const char *output; /* safe text, at most RES_AGENT_MAX_OUTPUT bytes */
    const char *reason; /* one line: "exited with status 1: <last output line>" */
};

struct res_agent_call;

typedef void (*res_agent_fn)(void *ctx, const struct res_agent_result *res);

/*
 * Identity passed to the agent: the group and node names for the environment.
 * ocf_root is the configured OCF root (cfg->ocf_root).
 */
struct res_agent_env {
    const char *ocf_root;
    const char *group;
    const char *node;
    const char *rsc_tmp; /* HA_RSCTMP: a directory for the agent's state, e.g. /run/vigil/rsctmp */
    /* HA_SBIN_DIR and first in PATH, for every kind (NULL: neither). */
    const char *compat_dir;
    /* Clone and promotable groups (ocf): copies (0: not a clone), primaries (0: not promotable). */
    uint32_t clone_max;
    uint32_t promoted_max;
    bool clone_notify; /* the group's notify: */
    /*
     * RES_OP_NOTIFY only (ocf): the notification, and the cluster's nodes its
     * lists index (names for _uname, "RESOURCE:INDEX" for _resource).
     */
    const struct res_notify *notify;
    const struct cfg_node *nodes;
    size_t n_nodes;
};

/*
 * Starts one action of resource r (type script, ocf or lsb). op selects the
 * action: start, stop, monitor; probe calls monitor (status for lsb) with
 * interval 0; promote and demote (script and ocf), notify (ocf, with
 * env->notify set). interval_ms is passed to OCF as the monitor interval; a
 * timeout_ms of 0 means RES_AGENT_DEFAULT_TIMEOUT_MS. cb fires exactly once,
 * later, unless res_agent_cancel comes first. Returns 0 and the call in *ret,
 * or a negative errno (cb never fires): -EINVAL for another resource type, an
 * op out of range, a provider or agent name that is not one path component,
 * or a parameter name outside [A-Za-z0-9_]; other errnos when no process
 * could be started at all (pipes, fork).
 *
 * A program that is missing or cannot be executed on this node (ENOENT,
 * EACCES, ENOEXEC, ...) is not an error of the call: cb reports it, later like
 * any result, as RES_RC_NOT_INSTALLED with the reason "cannot run PATH: No
 * such file or directory" and exit_code -1.
 */
int res_agent_start(uv_loop_t *loop, const struct res_agent_env *env, const struct cfg_resource *r,
                    enum res_op op, uint64_t timeout_ms, uint64_t interval_ms, res_agent_fn cb,
                    void *ctx, struct res_agent_call **ret);
/*
 * Kills the agent's process group and drops the call; cb does not fire.
 * Accepts NULL; must not be called once cb has fired.
 */
void res_agent_cancel(struct res_agent_call *call);

/*
 * The reason an OCF agent gave for failing: the text of the last line of its
 * output that starts "ocf-exit-reason:" (ocf_exit_reason writes it), trimmed
 * and at most RUN_REASON_LINE_MAX bytes; NULL if there is none. Caller frees.
 * The reason of a failed ocf action's result is "exited with status N: " and
 * this, when there is one.
 */
char *res_ocf_exit_reason(const char *output);

/* The path of the program for r: the script, OCF_ROOT/resource.d/P/A, or /etc/init.d/NAME. Caller
 * frees. */
char *res_agent_path(const char *ocf_root, const struct cfg_resource *r);

/*
 * Runs `meta-data` of an OCF agent synchronously, bounded by timeout_ms (0:
 * the default), and parses it (ocf_meta_parse_buf). Returns 0 with the
 * meta-data in *ret_meta (the caller clears it with ocf_meta_clear), or a
 * negative errno with *ret_meta untouched and a reason owned by the caller
 * in *ret_err ("meta-data exited with status 1: ...", "meta-data is not the
 * XML of an OCF agent: line 3: Opening and ending tag mismatch: ..."). vigild
 * calls it once per OCF resource at start-up, for the defaults of the
 * timeouts and the monitor interval not written in vigil.yaml, and for
 * res_agent_check_role.
 */
int res_agent_meta_sync(const struct res_agent_env *env, const struct cfg_resource *r,
                        uint64_t timeout_ms, struct ocf_meta *ret_meta, char **ret_err);

/*
 * Runs `meta-data` of an OCF agent and then `validate-all` synchronously (for
 * `vigil verify`, outside the daemon), each bounded by timeout_ms (0: the
 * default). Parameters the meta-data marks required must be set in r, and
 * validate-all must exit 0 (or 3, unimplemented). For script and lsb only
 * that the program can be executed is checked. Returns 0 when the agent
 * validates, with its meta-data in *ret_meta if that is not NULL (script and
 * lsb: all zero, no required parameters); otherwise a negative errno with a
 * reason owned by the caller in *ret_err ("validate-all exited with status 6:
 * ...", "ocf:heartbeat:IPaddr2 requires parameters that are not set: ip",
 * the reasons of res_agent_meta_sync and of res_agent_check_role) and
 * *ret_meta untouched.
 */
int res_agent_validate_sync(const struct res_agent_env *env, const struct cfg_resource *r,
                            uint64_t timeout_ms, struct ocf_meta *ret_meta, char **ret_err);

/*
 * Whether OCF resource r can take its role with the agent's meta-data m: a
 * resource of role promotable needs the promote and demote actions. 0, or
 * -EINVAL with the reason in *ret_err, owned by the caller ("agent
 * ocf:heartbeat:IPaddr2 has no promote action; a resource of role promotable
 * is promoted and demoted by its agent: give it role all or primary, or use an
 * agent that implements promote and demote"). Other kinds and roles: 0.
 */
int res_agent_check_role(const struct cfg_resource *r, const struct ocf_meta *m, char **ret_err);
