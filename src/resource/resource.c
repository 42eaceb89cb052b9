#include "resource/resource.h"
#include "base/log.h"
#include "base/util.h"
#include "exec/proc.h"
#include "resource/res_agent.h"
#include "resource/health.h"
#include "resource/ip.h"
#include "resource/macvlan.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "resource/fs.h"

#define STOP_EXTRA_MS 5000 /* past the stop timeout and the SIGKILL, a stop has failed */

struct res {
    struct res_env env;
    size_t g, r;
    const struct cfg_group *cg;
    const struct cfg_resource *rc;
    char *label;
    res_failed_fn failed;
    void *failed_ctx;

    /* The operation under way. */
    bool busy;
    bool internal; /* a monitor for the watch, not a caller's operation */
    enum res_op op;
    res_done_fn cb;
    void *cb_ctx;
    uv_timer_t op_timer; /* the operation's deadline */
    /* Completion is always reported from the loop, never inside res_run. */
    uv_timer_t done_timer;
    enum res_rc done_rc;
    char *done_reason;

    /*
     * Readiness: a start of a resource with checks ends only once they pass
     * (or fails at t_ready, or when its process exits first).
     */
    enum { READY_NONE, READY_WAITING, READY_DONE } ready;

    /* The watch. */
    bool watching;
    bool failed_fired;
    uv_timer_t mon_timer; /* the periodic monitor; a process: its exit seen before the watch */
    struct health *health;

    /* Per type. */
    struct proc *proc;
    bool stopping_proc;
    int exit_status; /* the wait status of proc, once it exited */
    struct ip_announcer *ann;
    struct res_agent_call *call;
    struct fs_op *fsop;

    int closing;
    /* Effective timeouts and monitor interval: the configured ones, else the OCF meta-data's. */
    uint64_t t_start, t_stop, t_monitor, monitor_iv;
    uint64_t t_ready; /* ready_timeout, else the effective start timeout */
    uint64_t t_promote, t_demote, t_notify;

    /* Promotable groups. */
    bool promoted;  /* the watch's monitor expects "running as primary" */
    bool no_notify; /* the agent's meta-data lists no notify action */
    char *role_err; /* the agent cannot take the resource's role (res_agent_check_role) */
    const struct res_notify *notify; /* RES_OP_NOTIFY: the notification, during dispatch only */
};

static void finish(struct res *res, enum res_rc rc, const char *reason);
static void ready_stop(struct res *res);

/* ---- process ---- */

static char *pidfile_path(const struct res *res)
{
    return xasprintf("%s/res/%s.pid", res->env.run_dir, res->rc->name);
}

/* The start time of pid (field 22 of /proc/PID/stat), or 0. */
static uint64_t proc_starttime(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    /* After ") " come fields 3 onwards; starttime is field 22. */
    int field = 2;
    for (p++; *p && field < 22; p++)
        if (*p == ' ')
            field++;
    return strtoull(p, NULL, 10);
}

static void pidfile_write(const struct res *res, pid_t pid)
{
    _cleanup_free_ char *dir = xasprintf("%s/res", res->env.run_dir);
    mkdir(dir, 0755);
    _cleanup_free_ char *path = pidfile_path(res);
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "%d %" PRIu64 "\n", (int)pid, proc_starttime(pid));
    int r = write_file_atomic(path, buf, (size_t)n, 0644);
    if (r < 0)
        log_warn("%s: cannot write %s: %s", res->label, path, strerror(-r));
}

/* A process left by an earlier vigild (still alive, same start time), or 0. */
static pid_t pidfile_orphan(const struct res *res)
{
    _cleanup_free_ char *path = pidfile_path(res);
    char *buf = NULL;
    size_t len;
    if (read_file(path, 256, &buf, &len) < 0)
        return 0;
    int pid = 0;
    uint64_t st = 0;
    int k = sscanf(buf, "%d %" SCNu64, &pid, &st);
    free(buf);
    if (k != 2 || pid <= 1 || (res->proc && proc_pid(res->proc) == pid))
        return 0;
    return st && proc_starttime(pid) == st ? pid : 0;
}

static void kill_orphan(struct res *res, pid_t pid)
{
    log_warn("%s: killing process %d left over from an earlier run", res->label, (int)pid);
    if (kill(-pid, SIGKILL) < 0)
        kill(pid, SIGKILL);
}

static void on_proc_exit(struct proc *p, int wstatus, void *ctx)
{
    struct res *res = ctx;
    char desc[64];
    proc_describe_status(wstatus, desc);
    res->exit_status = wstatus;
    if (res->busy && res->op == RES_OP_START && res->ready == READY_WAITING) {
        ready_stop(res);
        _cleanup_free_ char *why = xasprintf("%s before it was ready", desc);
        finish(res, RES_RC_FAILED, why);
        return;
    }
    if (res->busy && res->op == RES_OP_STOP && res->stopping_proc) {
        res->stopping_proc = false;
        finish(res, RES_RC_OK, "");
        return;
    }
    if (res->watching && !res->failed_fired) {
        res->failed_fired = true;
        _cleanup_free_ char *why = xasprintf("process %s", desc);
        log_warn("%s: %s", res->label, why);
        res->failed(res->failed_ctx, why);
    } else {
        /* Not watched yet (or no more): res_watch reports it if it is turned on. */
        log_info("%s: process %s", res->label, desc);
    }
}

/* The process exited before its watch began: the watch reports it now. */
static void on_exited_unwatched(uv_timer_t *t)
{
    struct res *res = t->data;
    if (!res->watching || res->failed_fired || !res->proc || proc_running(res->proc))
        return;
    res->failed_fired = true;
    char desc[64];
    proc_describe_status(res->exit_status, desc);
    _cleanup_free_ char *why = xasprintf("process %s", desc);
    log_warn("%s: %s", res->label, why);
    res->failed(res->failed_ctx, why);
}

static void proc_op(struct res *res)
{
    const struct cfg_resource *rc = res->rc;
    switch (res->op) {
    case RES_OP_MONITOR:
    case RES_OP_PROBE:
        if ((res->proc && proc_running(res->proc)) || pidfile_orphan(res))
            finish(res, RES_RC_OK, "");
        else
            finish(res, RES_RC_NOT_RUNNING, "not running");
        return;
    case RES_OP_STOP: {
        pid_t orphan = pidfile_orphan(res);
        if (orphan)
            kill_orphan(res, orphan);
        if (res->proc && proc_running(res->proc)) {
            res->stopping_proc = true;
            proc_stop(res->proc, rc->stop_timeout_ms);
            return; /* on_proc_exit finishes */
        }
        finish(res, RES_RC_OK, "");
        return;
    }
    case RES_OP_START:
        break;
    case RES_OP_PROMOTE: /* refused by dispatch */
    case RES_OP_DEMOTE:
    case RES_OP_NOTIFY:
    case RES_OP_MAX:
        return;
    }
    if (res->proc && proc_running(res->proc)) {
        finish(res, RES_RC_OK, "already running");
        return;
    }
    pid_t orphan = pidfile_orphan(res);
    if (orphan)
        kill_orphan(res, orphan);
    proc_free(res->proc);
    res->proc = NULL;

    /* The environment: the resource's own, PATH if it sets none, and who it is. */
    size_t n_env = rc->n_env + 5, k = 0;
    char **envp = xcalloc(n_env, sizeof(char *));
    bool has_path = false;
    for (size_t i = 0; i < rc->n_env; i++) {
        envp[k++] = xasprintf("%s=%s", rc->env[i].key, rc->env[i].value);
        has_path |= strcmp(rc->env[i].key, "PATH") == 0;
    }
    if (!has_path)
        envp[k++] = xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    envp[k++] = xasprintf("VIGIL_RESOURCE=%s", rc->name);
    envp[k++] = xasprintf("VIGIL_GROUP=%s", res->cg->name);
    envp[k++] = xasprintf("VIGIL_NODE=%s", res->env.cfg->nodes[res->env.node].name);

    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct proc_opts o = {.new_pgrp = true,
                          .die_with_parent = true,
                          .fd_in = devnull,
                          .fd_out = PROC_INHERIT,
                          .fd_err = PROC_INHERIT,
                          .envp = envp,
                          .cwd = rc->directory ? rc->directory : "/"};
    gid_t groups[64];
    int ngroups = 64;
    _cleanup_free_ char *err = NULL;
    if (rc->user) {
        struct passwd *pw = getpwnam(rc->user);
        if (!pw) {
            err = xasprintf("unknown user '%s'", rc->user);
        } else {
            if (getgrouplist(rc->user, pw->pw_gid, groups, &ngroups) < 0)
                ngroups = 0;
            o.set_ids = true;
            o.uid = pw->pw_uid;
            o.gid = pw->pw_gid;
            o.groups = groups;
            o.n_groups = (size_t)ngroups;
        }
    }
    int r = err ? -EINVAL : proc_spawn(res->env.loop, rc->argv, &o, on_proc_exit, res, &res->proc);
    if (devnull >= 0)
        close(devnull);
    for (size_t i = 0; i < k; i++)
        free(envp[i]);
    free(envp);
    if (r < 0) {
        if (!err)
            err = xasprintf("cannot start %s: %s", rc->argv[0], strerror(-r));
        finish(res, r == -ENOENT ? RES_RC_NOT_INSTALLED : RES_RC_FAILED, err);
        return;
    }
    pidfile_write(res, proc_pid(res->proc));
    log_info("%s: started %s (pid %d)", res->label, rc->argv[0], (int)proc_pid(res->proc));
    finish(res, RES_RC_OK, "");
}

/* ---- ip ---- */

static int ip_ifindex(const struct res *res, unsigned *ret, char **ret_err)
{
    const struct cfg_resource *rc = res->rc;
    int r;
    if (rc->interface) {
        r = ip_ifindex_by_name(rc->interface, ret);
        if (r < 0)
            *ret_err = xasprintf("no interface %s on this node", rc->interface);
        return r;
    }
    const struct cfg_node *nd = &res->env.cfg->nodes[res->env.node];
    const char *local = nd->addr[rc->network];
    r = ip_ifindex_by_local_text(local, ret);
    if (r < 0)
        *ret_err = xasprintf("no interface holds this node's address %s on network %s", local,
                             res->env.cfg->networks[rc->network].name);
    return r;
}

/* The resource's address as ip.c holds it (with a MAC: on its macvlan). */
static void ip_vip_of(const struct res *res, struct ip_vip *ret)
{
    const struct cfg_resource *rc = res->rc;
    *ret =
        (struct ip_vip){.a = {.family = rc->family, .prefix = rc->prefix}, .has_mac = rc->has_mac};
    memcpy(ret->a.addr, rc->addr, sizeof(ret->a.addr));
    if (rc->has_mac) {
        memcpy(ret->mac, rc->mac, sizeof(ret->mac));
        macvlan_name(res->cg->name, rc->name, ret->link);
    }
}

static void ip_check(struct res *res, const struct ip_vip *v)
{
    _cleanup_free_ char *why = NULL;
    unsigned parent = 0;
    if (v->has_mac && ip_ifindex(res, &parent, &why) < 0)
        parent = 0; /* then its macvlan cannot be there either */
    int r = ip_vip_state(v, parent, &why);
    if (r < 0 && v->has_mac) {
        _cleanup_free_ char *err = xasprintf("cannot list addresses or links: %s", strerror(-r));
        finish(res, RES_RC_FAILED, err);
    } else if (r < 0) {
        finish(res, RES_RC_FAILED, "cannot list addresses");
    } else if (r == IP_VIP_UP)
        finish(res, RES_RC_OK, "");
    else if (r == IP_VIP_DOWN)
        finish(res, RES_RC_NOT_RUNNING, "address not present");
    else
        finish(res, RES_RC_FAILED, why); /* a probe: a leftover, which a stop clears */
}

static void ip_op(struct res *res)
{
    const struct cfg_resource *rc = res->rc;
    struct ip_vip v;
    ip_vip_of(res, &v);
    unsigned parent = 0, ifindex = 0;
    bool raised = false;
    char mac[18], pname[IFNAMSIZ];
    _cleanup_free_ char *err = NULL;
    switch (res->op) {
    case RES_OP_MONITOR:
    case RES_OP_PROBE:
        ip_check(res, &v);
        return;
    case RES_OP_STOP:
        ip_announcer_free(res->ann);
        res->ann = NULL;
        if (ip_vip_down(&v, &err) < 0) {
            finish(res, RES_RC_FAILED, err);
            return;
        }
        if (v.has_mac)
            log_info("%s: removed %s and its macvlan %s", res->label, rc->address, v.link);
        else
            log_info("%s: removed %s", res->label, rc->address);
        finish(res, RES_RC_OK, "");
        return;
    case RES_OP_START:
        if (ip_ifindex(res, &parent, &err) < 0) {
            finish(res, RES_RC_NOT_INSTALLED, err);
            return;
        }
        if (ip_vip_up(&v, parent, &ifindex, &raised, &err) < 0) {
            finish(res, RES_RC_FAILED, err);
            return;
        }
        if (!if_indextoname(parent, pname))
            snprintf(pname, sizeof(pname), "#%u", parent);
        if (raised)
            log_info("%s: raised the ARP settings of %s (arp_ignore at least 1, arp_announce 2) "
                     "so that only macvlan %s answers for %s",
                     res->label, pname, v.link, rc->address);
        ip_announcer_free(res->ann);
        res->ann = ip_announcer_start(res->env.loop, ifindex, &v.a, IP_ANNOUNCE_COUNT,
                                      IP_ANNOUNCE_INTERVAL_MS);
        if (v.has_mac)
            log_info("%s: added %s on macvlan %s (MAC %s) over %s", res->label, rc->address, v.link,
                     macvlan_mac_format(v.mac, mac), pname);
        else
            log_info("%s: added %s", res->label, rc->address);
        finish(res, RES_RC_OK, "");
        return;
    case RES_OP_PROMOTE: /* refused by dispatch */
    case RES_OP_DEMOTE:
    case RES_OP_NOTIFY:
    case RES_OP_MAX:
        break;
    }
}

/* ---- agents (script, ocf, lsb) ---- */

static void on_agent_done(void *ctx, const struct res_agent_result *ar)
{
    struct res *res = ctx;
    res->call = NULL;
    finish(res, ar->rc, ar->reason ?: "");
}

/* What every agent of this resource is told about where and how it runs. */
static void agent_env(const struct res *res, struct res_agent_env *ret)
{
    const struct cfg_group *cg = res->cg;
    *ret = (struct res_agent_env){
        .ocf_root = res->env.cfg->ocf_root,
        .group = cg->name,
        .node = res->env.cfg->nodes[res->env.node].name,
        .compat_dir = res->env.compat_dir,
        .clone_max = cg->kind != CFG_KIND_SINGLE ? cg->copies : 0,
        .promoted_max = cg->kind == CFG_KIND_PROMOTABLE ? cg->primaries : 0,
        .clone_notify = cg->notify,
        .nodes = res->env.cfg->nodes,
        .n_nodes = res->env.cfg->n_nodes,
    };
}

static void agent_op(struct res *res)
{
    _cleanup_free_ char *tmp = xasprintf("%s/rsctmp", res->env.run_dir);
    struct res_agent_env ae;
    agent_env(res, &ae);
    ae.rsc_tmp = tmp;
    ae.notify = res->notify;
    const struct cfg_resource *rc = res->rc;
    if ((res->op == RES_OP_PROMOTE || res->op == RES_OP_DEMOTE) && res->role_err) {
        finish(res, RES_RC_NOT_CONFIGURED, res->role_err);
        return;
    }
    uint64_t t = res->op == RES_OP_START     ? res->t_start
                 : res->op == RES_OP_STOP    ? res->t_stop
                 : res->op == RES_OP_PROMOTE ? res->t_promote
                 : res->op == RES_OP_DEMOTE  ? res->t_demote
                 : res->op == RES_OP_NOTIFY  ? res->t_notify
                                             : res->t_monitor;
    if (!t)
        t = RES_AGENT_DEFAULT_TIMEOUT_MS;
    uint64_t interval = res->internal ? res->monitor_iv : 0;
    int r = res_agent_start(res->env.loop, &ae, rc, res->op, t, interval, on_agent_done, res,
                            &res->call);
    if (r < 0) {
        _cleanup_free_ char *path = res_agent_path(res->env.cfg->ocf_root, rc);
        _cleanup_free_ char *err = xasprintf("cannot run %s: %s", path, strerror(-r));
        finish(res, r == -ENOENT ? RES_RC_NOT_INSTALLED : RES_RC_FAILED, err);
    }
}

/* ---- fs ---- */

static void on_fs_done(void *ctx, enum res_rc rc, const char *reason)
{
    struct res *res = ctx;
    res->fsop = NULL;
    finish(res, rc, reason);
}

static void fs_op(struct res *res)
{
    const struct cfg_resource *rc = res->rc;
    uint64_t t = res->op == RES_OP_START  ? rc->start_timeout_ms
                 : res->op == RES_OP_STOP ? rc->stop_timeout_ms
                                          : rc->monitor_timeout_ms;
    res->fsop = fs_op_start(res->env.loop, rc, res->op, t, on_fs_done, res);
}

/* ---- readiness ---- */

static void ready_stop(struct res *res)
{
    if (res->ready == READY_WAITING)
        health_stop(res->health);
    res->ready = READY_NONE;
}

static void on_ready(void *ctx)
{
    struct res *res = ctx;
    res->ready = READY_DONE;
    uv_update_time(res->env.loop);
    log_info("%s: ready: its checks pass", res->label);
    if (res->watching)
        health_start(res->health);
    finish(res, RES_RC_OK, "");
}

static void on_ready_timeout(uv_timer_t *t)
{
    struct res *res = t->data;
    _cleanup_free_ char *checks = health_not_ready(res->health);
    ready_stop(res);
    char dur[32];
    _cleanup_free_ char *why =
        xasprintf("not ready within %s: %s", dur_format(res->t_ready, dur), checks);
    finish(res, RES_RC_FAILED, why); /* logged by the caller, which handles it */
}

/*
 * The start action succeeded; the start ends once the checks pass, within
 * t_ready from now (the op timer is free: a start's own deadline is over).
 */
static void ready_wait(struct res *res)
{
    char dur[32];
    if (health_running(res->health))
        health_stop(res->health); /* a watch's probing gives way; on_ready resumes it */
    res->ready = READY_WAITING;
    uv_timer_stop(&res->op_timer);
    uv_update_time(res->env.loop); /* the deadline counts from now */
    uv_timer_start(&res->op_timer, on_ready_timeout, res->t_ready, 0);
    health_wait_ready(res->health, on_ready, res);
    log_info("%s: waiting for its checks (at most %s)", res->label, dur_format(res->t_ready, dur));
}

/* ---- the common part ---- */

static void on_done_timer(uv_timer_t *t)
{
    struct res *res = t->data;
    enum res_rc rc = res->done_rc;
    _cleanup_free_ char *reason = res->done_reason;
    res->done_reason = NULL;
    bool internal = res->internal;
    res_done_fn cb = res->cb;
    void *cb_ctx = res->cb_ctx;
    res->busy = false;
    res->internal = false;
    res->cb = NULL;
    if (internal) {
        /* The watch's monitor: a promoted resource runs as primary, any other one plainly. */
        enum res_rc want = res->promoted ? RES_RC_RUNNING_PRIMARY : RES_RC_OK;
        if (rc != want && res->watching && !res->failed_fired) {
            res->failed_fired = true;
            _cleanup_free_ char *why =
                rc == RES_RC_OK && res->promoted
                    ? xstrdup("monitor: running as a replica, not as primary")
                : rc == RES_RC_RUNNING_PRIMARY && res->rc->role == CFG_ROLE_PROMOTABLE
                    ? xstrdup("monitor: running as primary, not as a replica")
                    : xasprintf("monitor: %s%s%s", res_rc_name(rc), reason && *reason ? ": " : "",
                                reason ?: "");
            log_warn("%s: %s", res->label, why);
            res->failed(res->failed_ctx, why);
        }
        return;
    }
    if (cb)
        cb(cb_ctx, rc, reason ?: "");
}

static void finish(struct res *res, enum res_rc rc, const char *reason)
{
    if (rc == RES_RC_OK && res->op == RES_OP_START && !res->internal && res->health &&
        res->ready == READY_NONE) {
        ready_wait(res); /* started when ready */
        return;
    }
    uv_timer_stop(&res->op_timer);
    res->done_rc = rc;
    free(res->done_reason);
    res->done_reason = xstrdup(reason ?: "");
    uv_timer_start(&res->done_timer, on_done_timer, 0, 0);
}

static void cancel_type_op(struct res *res)
{
    res_agent_cancel(res->call);
    res->call = NULL;
    fs_op_cancel(res->fsop);
    res->fsop = NULL;
    res->stopping_proc = false;
    ready_stop(res);
}

static void on_op_timeout(uv_timer_t *t)
{
    struct res *res = t->data;
    cancel_type_op(res);
    _cleanup_free_ char *why = xasprintf("%s timed out", res_op_name(res->op));
    finish(res, RES_RC_TIMEOUT, why);
}

static void dispatch(struct res *res)
{
    bool agent = res->rc->type == CFG_RES_SCRIPT || res->rc->type == CFG_RES_OCF;
    if ((res->op == RES_OP_PROMOTE || res->op == RES_OP_DEMOTE) && !agent) {
        finish(res, RES_RC_NOT_CONFIGURED, "only ocf and script resources can be promoted");
        return;
    }
    if (res->op == RES_OP_NOTIFY && res->rc->type != CFG_RES_OCF) {
        finish(res, RES_RC_NOT_CONFIGURED, "only ocf resources are notified");
        return;
    }
    switch (res->rc->type) {
    case CFG_RES_IP:
        ip_op(res);
        break;
    case CFG_RES_PROCESS:
        proc_op(res);
        break;
    case CFG_RES_FS:
        fs_op(res);
        break;
    case CFG_RES_SCRIPT:
    case CFG_RES_OCF:
    case CFG_RES_LSB:
        agent_op(res);
        break;
    case CFG_RES_TYPE_MAX:
        finish(res, RES_RC_NOT_CONFIGURED, "unknown resource type");
        break;
    }
}

/* A deadline of our own for types whose operations have none of their own. */
static uint64_t op_deadline(const struct res *res)
{
    const struct cfg_resource *rc = res->rc;
    if (rc->type == CFG_RES_PROCESS && res->op == RES_OP_STOP)
        return rc->stop_timeout_ms + STOP_EXTRA_MS;
    if (rc->type == CFG_RES_SCRIPT || rc->type == CFG_RES_OCF || rc->type == CFG_RES_LSB ||
        rc->type == CFG_RES_FS)
        return 0; /* the agent call and the fs operation time themselves out */
    return 0;
}

static void begin(struct res *res, enum res_op op, bool internal, res_done_fn cb, void *ctx)
{
    res->busy = true;
    res->internal = internal;
    res->op = op;
    res->cb = cb;
    res->cb_ctx = ctx;
    res->ready = READY_NONE;
    uint64_t dl = op_deadline(res);
    if (dl) {
        uv_update_time(res->op_timer.loop); /* the deadline counts from now */
        uv_timer_start(&res->op_timer, on_op_timeout, dl, 0);
    }
    dispatch(res);
}

int res_run(struct res *res, enum res_op op, res_done_fn cb, void *ctx)
{
    if (op == RES_OP_NOTIFY)
        return -EINVAL; /* res_notify */
    if (res->busy && res->internal)
        res_cancel(res);
    if (res->busy)
        return -EBUSY;
    begin(res, op, false, cb, ctx);
    return 0;
}

int res_notify(struct res *res, const struct res_notify *n, res_done_fn cb, void *ctx)
{
    if (res->rc->type != CFG_RES_OCF || !n)
        return -EINVAL;
    if (res->busy && res->internal)
        res_cancel(res);
    if (res->busy)
        return -EBUSY;
    if (res->no_notify) {
        /* Nothing to tell an agent that does not listen; reported from the loop all the same. */
        res->busy = true;
        res->internal = false;
        res->op = RES_OP_NOTIFY;
        res->cb = cb;
        res->cb_ctx = ctx;
        finish(res, RES_RC_OK, "the agent has no notify action");
        return 0;
    }
    res->notify = n;
    begin(res, RES_OP_NOTIFY, false, cb, ctx);
    res->notify = NULL;
    return 0;
}

void res_set_promoted(struct res *res, bool promoted)
{
    res->promoted = promoted && res->rc->role == CFG_ROLE_PROMOTABLE;
}

void res_cancel(struct res *res)
{
    if (!res->busy)
        return;
    cancel_type_op(res);
    uv_timer_stop(&res->op_timer);
    uv_timer_stop(&res->done_timer);
    free(res->done_reason);
    res->done_reason = NULL;
    res->busy = false;
    res->internal = false;
    res->cb = NULL;
}

bool res_busy(const struct res *res)
{
    return res->busy && !res->internal;
}

bool res_waiting_ready(const struct res *res)
{
    return res->busy && res->ready == READY_WAITING;
}

static void on_mon_timer(uv_timer_t *t)
{
    struct res *res = t->data;
    if (res->watching && !res->busy && !res->failed_fired)
        begin(res, RES_OP_MONITOR, true, NULL, NULL);
}

static void on_unhealthy(void *ctx, const char *reason)
{
    struct res *res = ctx;
    if (!res->watching || res->failed_fired)
        return;
    res->failed_fired = true;
    log_warn("%s: %s", res->label, reason);
    res->failed(res->failed_ctx, reason);
}

void res_watch(struct res *res, bool on)
{
    if (on == res->watching)
        return;
    res->watching = on;
    res->failed_fired = false;
    uint64_t iv = res->monitor_iv;
    bool is_proc = res->rc->type == CFG_RES_PROCESS;
    if (on && iv && !is_proc)
        uv_timer_start(&res->mon_timer, on_mon_timer, iv, iv);
    else if (on && is_proc && res->proc && !proc_running(res->proc))
        /*
         * Its exit was seen before the watch began (a process that exits
         * within milliseconds of its exec): report it, from the loop.
         */
        uv_timer_start(&res->mon_timer, on_exited_unwatched, 0, 0);
    else
        uv_timer_stop(&res->mon_timer);
    if (res->health) {
        if (on)
            health_start(res->health);
        else
            health_stop(res->health);
    }
    if (!on && res->busy && res->internal)
        res_cancel(res);
}

/*
 * The OCF agent's own defaults for what vigil.yaml leaves unset, from its
 * meta-data (run once, synchronously, when vigild starts); 20s timeouts and a
 * 10s monitor when it says nothing or cannot be asked.
 */
static void ocf_defaults(struct res *res)
{
    const struct cfg_resource *rc = res->rc;
    bool promotable = rc->role == CFG_ROLE_PROMOTABLE;
    /* A resource of role promotable is checked against its agent's actions (role_err). */
    if (rc->start_timeout_ms && rc->stop_timeout_ms && rc->monitor_timeout_ms &&
        rc->monitor_interval_ms && !promotable && (!res->cg->notify || rc->notify_timeout_ms))
        return;
    struct res_agent_env ae;
    agent_env(res, &ae);
    struct ocf_meta m = {0};
    _cleanup_free_ char *err = NULL;
    if (res_agent_meta_sync(&ae, rc, 0, &m, &err) < 0) {
        log_warn("%s: %s; using 20s timeouts and a 10s monitor", res->label, err);
    } else {
        if (!res->t_start)
            res->t_start = m.start_timeout_ms;
        if (!res->t_stop)
            res->t_stop = m.stop_timeout_ms;
        if (!res->t_monitor)
            res->t_monitor = m.monitor_timeout_ms;
        if (!res->monitor_iv)
            res->monitor_iv = m.monitor_interval_ms;
        if (!res->t_promote)
            res->t_promote = m.promote_timeout_ms;
        if (!res->t_demote)
            res->t_demote = m.demote_timeout_ms;
        if (!res->t_notify)
            res->t_notify = m.notify_timeout_ms;
        res->no_notify = !m.has_notify;
        if (res_agent_check_role(rc, &m, &res->role_err) < 0)
            log_error("%s: %s; it will not be promoted", res->label, res->role_err);
        ocf_meta_clear(&m);
    }
    if (!res->t_start)
        res->t_start = RES_AGENT_DEFAULT_TIMEOUT_MS;
    if (!res->t_stop)
        res->t_stop = RES_AGENT_DEFAULT_TIMEOUT_MS;
    if (!res->t_monitor)
        res->t_monitor = RES_AGENT_DEFAULT_TIMEOUT_MS;
    if (!res->monitor_iv)
        res->monitor_iv = 10000;
    log_info("%s: timeouts start %llums, stop %llums, monitor %llums every %llums", res->label,
             (unsigned long long)res->t_start, (unsigned long long)res->t_stop,
             (unsigned long long)res->t_monitor, (unsigned long long)res->monitor_iv);
}

struct res *res_new(const struct res_env *env, size_t g, size_t r, res_failed_fn failed, void *ctx)
{
    struct res *res = xcalloc(1, sizeof(*res));
    res->env = *env;
    res->g = g;
    res->r = r;
    res->cg = &env->cfg->groups[g];
    res->rc = &res->cg->resources[r];
    res->label = xasprintf("%s/%s", res->cg->name, res->rc->name);
    res->failed = failed;
    res->failed_ctx = ctx;
    uv_timer_init(env->loop, &res->op_timer);
    uv_timer_init(env->loop, &res->done_timer);
    uv_timer_init(env->loop, &res->mon_timer);
    res->op_timer.data = res->done_timer.data = res->mon_timer.data = res;
    if (res->rc->n_checks)
        res->health = health_new(env->loop, res->rc, on_unhealthy, res);
    res->t_start = res->rc->start_timeout_ms;
    res->t_stop = res->rc->stop_timeout_ms;
    res->t_monitor = res->rc->monitor_timeout_ms;
    res->monitor_iv = res->rc->monitor_interval_ms;
    res->t_promote = res->rc->promote_timeout_ms;
    res->t_demote = res->rc->demote_timeout_ms;
    res->t_notify = res->rc->notify_timeout_ms;
    if (res->rc->type == CFG_RES_OCF)
        ocf_defaults(res);
    /* 0 (not written, nothing in the meta-data) is the agents' default, as for start. */
    if (!res->t_promote)
        res->t_promote = RES_AGENT_DEFAULT_TIMEOUT_MS;
    if (!res->t_demote)
        res->t_demote = RES_AGENT_DEFAULT_TIMEOUT_MS;
    if (!res->t_notify)
        res->t_notify = RES_AGENT_DEFAULT_TIMEOUT_MS;
    res->t_ready = res->rc->ready_timeout_ms ? res->rc->ready_timeout_ms : res->t_start;
    if (!res->t_ready)
        res->t_ready = RES_AGENT_DEFAULT_TIMEOUT_MS;
    return res;
}

void res_rebind(struct res *res, const struct res_env *env, size_t g, size_t r, void *failed_ctx)
{
    res->env = *env;
    res->g = g;
    res->r = r;
    res->cg = &env->cfg->groups[g];
    res->rc = &res->cg->resources[r];
    res->failed_ctx = failed_ctx;
    if (res->health)
        health_rebind(res->health, res->rc);
}

static void on_closed(uv_handle_t *h)
{
    struct res *res = h->data;
    if (--res->closing == 0) {
        free(res->label);
        free(res->done_reason);
        free(res->role_err);
        free(res);
    }
}

void res_free(struct res *res)
{
    if (!res)
        return;
    res_watch(res, false);
    res_cancel(res);
    health_free(res->health);
    ip_announcer_free(res->ann);
    /* A process still running is killed: it must never outlive its supervisor unwatched. */
    proc_free(res->proc);
    res->closing = 3;
    uv_close((uv_handle_t *)&res->op_timer, on_closed);
    uv_close((uv_handle_t *)&res->done_timer, on_closed);
    uv_close((uv_handle_t *)&res->mon_timer, on_closed);
}

const struct cfg_resource *res_cfg(const struct res *res)
{
    return res->rc;
}

const char *res_label(const struct res *res)
{
    return res->label;
}
