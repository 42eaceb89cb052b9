#include "resource/res_agent.h"
#include "base/util.h"
#include "exec/run.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AGENT_PATH            "/usr/sbin:/usr/bin:/sbin:/bin"
#define CRM_FEATURE_SET       "3.16.2" /* what Pacemaker 2.1.5 (Debian 12) passes */
#define LSB_DIR               "/etc/init.d"
#define META_MAX_OUTPUT       (1024u * 1024) /* meta-data XML; real agents print at most ~15 KiB */
#define OCF_ERR_UNIMPLEMENTED 3

struct res_agent_call {
    struct run *run;
    uv_timer_t defer; /* reports a program that cannot run, later */
    bool deferred;
    char *reason;
    enum cfg_res_type type;
    enum res_op op;
    res_agent_fn cb;
    void *ctx;
};

char *res_agent_path(const char *ocf_root, const struct cfg_resource *r)
{
    switch (r->type) {
    case CFG_RES_SCRIPT:
        return xstrdup(r->path);
    case CFG_RES_OCF:
        return xasprintf("%s/resource.d/%s/%s", ocf_root, r->provider, r->agent);
    case CFG_RES_LSB:
        return xasprintf(LSB_DIR "/%s", r->agent);
    default:
        return NULL;
    }
}

static const char *action_name(enum cfg_res_type type, enum res_op op)
{
    switch (op) {
    case RES_OP_START:
        return "start";
    case RES_OP_STOP:
        return "stop";
    case RES_OP_MONITOR:
    case RES_OP_PROBE:
        return type == CFG_RES_LSB ? "status" : "monitor";
    case RES_OP_PROMOTE:
        return type == CFG_RES_LSB ? NULL : "promote";
    case RES_OP_DEMOTE:
        return type == CFG_RES_LSB ? NULL : "demote";
    case RES_OP_NOTIFY:
        return type == CFG_RES_OCF ? "notify" : NULL;
    default:
        return NULL;
    }
}

/*
 * Maps an agent's exit code onto a res_rc, per kind (see res_agent.h). For lsb,
 * only status has codes of its own.
 */
static enum res_rc map_exit(enum cfg_res_type type, enum res_op op, int code)
{
    bool monitor = op == RES_OP_MONITOR || op == RES_OP_PROBE;
    if (code == 0)
        return RES_RC_OK;
    if (monitor && (type == CFG_RES_SCRIPT || type == CFG_RES_OCF) && (code == 8 || code == 9))
        return code == 8 ? RES_RC_RUNNING_PRIMARY : RES_RC_FAILED_PRIMARY;
    switch (type) {
    case CFG_RES_SCRIPT:
        return monitor && code == 7 ? RES_RC_NOT_RUNNING : RES_RC_FAILED;
    case CFG_RES_OCF:
        return code == 7                ? RES_RC_NOT_RUNNING
               : code == 5              ? RES_RC_NOT_INSTALLED
               : code == 2 || code == 6 ? RES_RC_NOT_CONFIGURED
                                        : RES_RC_FAILED;
    case CFG_RES_LSB:
        return monitor && code == 3 ? RES_RC_NOT_RUNNING : RES_RC_FAILED;
    default:
        return RES_RC_FAILED;
    }
}

/* A name safe as part of an environment variable's: [A-Za-z0-9_]+. */
static bool env_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* A provider, agent or init script name: one path component. */
static bool component_ok(const char *s)
{
    return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

struct strv {
    char **v;
    size_t n, cap;
};

static void __attribute__((format(printf, 2, 3))) strv_addf(struct strv *sv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xgrow((void **)&sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v));
    sv->v[sv->n++] = xvasprintf(fmt, ap);
    sv->v[sv->n] = NULL;
    va_end(ap);
}

static void strv_clear(struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    *sv = (struct strv){0};
}

/* Pacemaker's meta variables of a clone or promotable group that agents test. */
static void add_clone_env(struct strv *e, const struct res_agent_env *env)
{
    strv_addf(e, "OCF_RESKEY_CRM_meta_clone_max=%u", (unsigned)env->clone_max);
    strv_addf(e, "OCF_RESKEY_CRM_meta_clone_node_max=1");
    strv_addf(e, "OCF_RESKEY_CRM_meta_notify=%s", env->clone_notify ? "true" : "false");
    strv_addf(e, "OCF_RESKEY_CRM_meta_globally_unique=false");
    strv_addf(e, "OCF_RESKEY_crm_feature_set=" CRM_FEATURE_SET);
    if (env->promoted_max) {
        strv_addf(e, "OCF_RESKEY_CRM_meta_promoted_max=%u", (unsigned)env->promoted_max);
        strv_addf(e, "OCF_RESKEY_CRM_meta_master_max=%u", (unsigned)env->promoted_max);
        strv_addf(e, "OCF_RESKEY_CRM_meta_promoted_node_max=1");
        strv_addf(e, "OCF_RESKEY_CRM_meta_master_node_max=1");
    }
}

/*
 * The notify variables: type, operation, and per list the node names and
 * "RESOURCE:INDEX" of the copies (the instance number is the node's index in
 * the configuration). Promoted and unpromoted are also given as Pacemaker's
 * older master and slave. A node index out of range is left out.
 */
static void add_notify_env(struct strv *e, const struct res_agent_env *env,
                           const struct cfg_resource *r)
{
    const struct res_notify *n = env->notify;
    strv_addf(e, "OCF_RESKEY_CRM_meta_notify_type=%s", n->post ? "post" : "pre");
    strv_addf(e, "OCF_RESKEY_CRM_meta_notify_operation=%s", res_op_name(n->op));
    for (int l = 0; l < RES_NL_MAX; l++) {
        _cleanup_free_ char *unames = xstrdup(""), *rscs = xstrdup("");
        for (size_t i = 0; i < n->n[l]; i++) {
            size_t k = n->nodes[l][i];
            if (k >= env->n_nodes)
                continue;
            char *u = xasprintf("%s%s%s", unames, *unames ? " " : "", env->nodes[k].name);
            char *rs = xasprintf("%s%s%s:%zu", rscs, *rscs ? " " : "", r->name, k);
            free(unames);
            free(rscs);
            unames = u;
            rscs = rs;
        }
        const char *names[2] = {res_notify_list_name(l), l == RES_NL_PROMOTED     ? "master"
                                                         : l == RES_NL_UNPROMOTED ? "slave"
                                                                                  : NULL};
        for (int j = 0; j < 2 && names[j]; j++) {
            strv_addf(e, "OCF_RESKEY_CRM_meta_notify_%s_uname=%s", names[j], unames);
            strv_addf(e, "OCF_RESKEY_CRM_meta_notify_%s_resource=%s", names[j], rscs);
        }
    }
}

/*
 * The environment of one call of action (see res_agent.h); timeout_ms and
 * interval_ms go to OCF's meta variables. -EINVAL for a parameter name that
 * cannot be part of a variable's (the loader refuses those first).
 */
static int build_env(const struct res_agent_env *env, const struct cfg_resource *r,
                     uint64_t timeout_ms, uint64_t interval_ms, bool notify, struct strv *ret)
{
    struct strv e = {0};
    if (env->compat_dir) {
        strv_addf(&e, "PATH=%s:" AGENT_PATH, env->compat_dir);
        strv_addf(&e, "HA_SBIN_DIR=%s", env->compat_dir);
    } else {
        strv_addf(&e, "PATH=" AGENT_PATH);
    }
    for (size_t i = 0; i < r->n_params; i++) {
        if (!env_name_ok(r->params[i].key)) {
            strv_clear(&e);
            return -EINVAL;
        }
    }
    if (r->type == CFG_RES_SCRIPT) {
        strv_addf(&e, "VIGIL_RESOURCE=%s", r->name);
        strv_addf(&e, "VIGIL_GROUP=%s", env->group ? env->group : "");
        strv_addf(&e, "VIGIL_NODE=%s", env->node ? env->node : "");
        for (size_t i = 0; i < r->n_params; i++)
            strv_addf(&e, "VIGIL_PARAM_%s=%s", r->params[i].key, r->params[i].value);
    } else if (r->type == CFG_RES_OCF) {
        strv_addf(&e, "OCF_ROOT=%s", env->ocf_root);
        strv_addf(&e, "OCF_FUNCTIONS_DIR=%s/lib/heartbeat", env->ocf_root);
        strv_addf(&e, "OCF_RESOURCE_INSTANCE=%s", r->name);
        strv_addf(&e, "OCF_RESOURCE_TYPE=%s", r->agent);
        strv_addf(&e, "OCF_RESOURCE_PROVIDER=%s", r->provider);
        strv_addf(&e, "OCF_RA_VERSION_MAJOR=1");
        strv_addf(&e, "OCF_RA_VERSION_MINOR=0");
        for (size_t i = 0; i < r->n_params; i++)
            strv_addf(&e, "OCF_RESKEY_%s=%s", r->params[i].key, r->params[i].value);
        strv_addf(&e, "OCF_RESKEY_CRM_meta_timeout=%llu", (unsigned long long)timeout_ms);
        strv_addf(&e, "OCF_RESKEY_CRM_meta_interval=%llu", (unsigned long long)interval_ms);
        if (env->node)
            strv_addf(&e, "OCF_RESKEY_CRM_meta_on_node=%s", env->node);
        if (env->rsc_tmp)
            strv_addf(&e, "HA_RSCTMP=%s", env->rsc_tmp);
        if (env->clone_max)
            add_clone_env(&e, env);
        if (notify && env->notify)
            add_notify_env(&e, env, r);
    }
    *ret = e;
    return 0;
}

/*
 * Creates dir and its missing parents with mode 0755. Errors are left to the
 * agent, which says what it could not write (not every agent needs it).
 */
static void make_dirs(const char *dir)
{
    _cleanup_free_ char *p = xstrdup(dir);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    mkdir(p, 0755);
}

/* Exec errors that are the program's on this node, not the daemon's: "not installed". */
static bool program_error(int e)
{
    return e == -ENOENT || e == -ENOTDIR || e == -EACCES || e == -EPERM || e == -ENOEXEC ||
           e == -ELOOP || e == -ENAMETOOLONG;
}

/* Everything needed to run one action; strings owned by it. */
struct invocation {
    char *path, *action;
    char *argv[3];
    struct strv env;
};

static void invocation_clear(struct invocation *inv)
{
    free(inv->path);
    free(inv->action);
    strv_clear(&inv->env);
    *inv = (struct invocation){0};
}

static int prepare(const struct res_agent_env *env, const struct cfg_resource *r,
                   const char *action, uint64_t timeout_ms, uint64_t interval_ms, bool notify,
                   struct invocation *ret)
{
    if (r->type != CFG_RES_SCRIPT && r->type != CFG_RES_OCF && r->type != CFG_RES_LSB)
        return -EINVAL;
    if (r->type == CFG_RES_OCF &&
        (!env->ocf_root || !component_ok(r->provider) || !component_ok(r->agent)))
        return -EINVAL;
    if (r->type == CFG_RES_LSB && !component_ok(r->agent))
        return -EINVAL;
    if (r->type == CFG_RES_SCRIPT && (!r->path || r->path[0] != '/'))
        return -EINVAL;
    struct invocation inv = {0};
    int e = build_env(env, r, timeout_ms, interval_ms, notify, &inv.env);
    if (e < 0)
        return e;
    if (r->type == CFG_RES_OCF && env->rsc_tmp)
        make_dirs(env->rsc_tmp);
    inv.path = res_agent_path(env->ocf_root, r);
    inv.action = xstrdup(action);
    inv.argv[0] = inv.path;
    inv.argv[1] = inv.action;
    inv.argv[2] = NULL;
    *ret = inv;
    return 0;
}

/* ---- asynchronous calls ------------------------------------------------------ */

static void on_defer_closed(uv_handle_t *h)
{
    struct res_agent_call *c = h->data;
    free(c->reason);
    free(c);
}

static void on_deferred(uv_timer_t *t)
{
    struct res_agent_call *c = t->data;
    struct res_agent_result res = {
        .rc = RES_RC_NOT_INSTALLED, .exit_code = -1, .output = "", .reason = c->reason};
    c->cb(c->ctx, &res);
    uv_close((uv_handle_t *)&c->defer, on_defer_closed);
}

char *res_ocf_exit_reason(const char *output)
{
    static const char cookie[] = "ocf-exit-reason:";
    const char *found = NULL;
    for (const char *p = output; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, cookie, sizeof cookie - 1) == 0)
            found = p + sizeof cookie - 1;
    if (!found)
        return NULL;
    while (*found == ' ' || *found == '\t')
        found++;
    size_t n = strcspn(found, "\n");
    while (n > 0 && (found[n - 1] == ' ' || found[n - 1] == '\t'))
        n--;
    if (n == 0)
        return NULL;
    if (n > RUN_REASON_LINE_MAX) {
        n = RUN_REASON_LINE_MAX;
        while (n > 0 && ((unsigned char)found[n] & 0xc0) == 0x80)
            n--;
    }
    return xstrndup(found, n);
}

static void on_run_done(const struct run_result *rr, void *ctx)
{
    struct res_agent_call *c = ctx;
    /* An OCF agent that failed says why on a line of its own: that, rather than
     * whatever it printed last. */
    _cleanup_free_ char *why = NULL;
    _cleanup_free_ char *reason = NULL;
    if (c->type == CFG_RES_OCF && rr->exited && !rr->timed_out && rr->exit_code != 0 &&
        (why = res_ocf_exit_reason(rr->output)))
        reason = xasprintf("exited with status %d: %s", rr->exit_code, why);
    struct res_agent_result res = {
        .rc = rr->timed_out ? RES_RC_TIMEOUT
              : rr->exited  ? map_exit(c->type, c->op, rr->exit_code)
                            : RES_RC_FAILED,
        .exit_code = rr->exit_code,
        .duration_ms = rr->duration_ms,
        .output = rr->output,
        .reason = reason ? reason : rr->reason,
    };
    c->cb(c->ctx, &res);
    free(c);
}

int res_agent_start(uv_loop_t *loop, const struct res_agent_env *env, const struct cfg_resource *r,
                    enum res_op op, uint64_t timeout_ms, uint64_t interval_ms, res_agent_fn cb,
                    void *ctx, struct res_agent_call **ret)
{
    const char *action = action_name(r->type, op);
    if (!action || (op == RES_OP_NOTIFY && !env->notify))
        return -EINVAL;
    if (!timeout_ms)
        timeout_ms = RES_AGENT_DEFAULT_TIMEOUT_MS;
    struct invocation inv;
    int e = prepare(env, r, action, timeout_ms, op == RES_OP_MONITOR ? interval_ms : 0,
                    op == RES_OP_NOTIFY, &inv);
    if (e < 0)
        return e;
    struct res_agent_call *c = xcalloc(1, sizeof(*c));
    c->type = r->type;
    c->op = op;
    c->cb = cb;
    c->ctx = ctx;
    struct run_opts o = {.argv = inv.argv,
                         .envp = inv.env.v,
                         .timeout_ms = timeout_ms,
                         .kill_grace_ms = RES_AGENT_KILL_GRACE,
                         .max_output = RES_AGENT_MAX_OUTPUT};
    e = run_start(loop, &o, on_run_done, NULL, c, &c->run);
    if (e < 0 && program_error(e)) {
        /* Reported like any result, later: the caller has one path for "not installed". */
        c->deferred = true;
        c->reason = xasprintf("cannot run %s: %s", inv.path, strerror(-e));
        uv_timer_init(loop, &c->defer);
        c->defer.data = c;
        uv_timer_start(&c->defer, on_deferred, 0, 0);
        e = 0;
    } else if (e < 0) {
        free(c);
    }
    invocation_clear(&inv);
    if (e < 0)
        return e;
    *ret = c;
    return 0;
}

void res_agent_cancel(struct res_agent_call *c)
{
    if (!c)
        return;
    if (c->deferred) {
        uv_timer_stop(&c->defer);
        uv_close((uv_handle_t *)&c->defer, on_defer_closed);
        return;
    }
    run_cancel(c->run);
    free(c);
}

/* ---- validation (vigil verify) ----------------------------------------------- */

/*
 * Runs one action synchronously; for meta-data, stdout alone is kept, from
 * its start. Returns 0 with the result in *ret (the caller clears it), or a
 * negative errno with a reason in *ret_err.
 */
static int run_action_sync(const struct res_agent_env *env, const struct cfg_resource *r,
                           const char *action, uint64_t timeout_ms, bool meta,
                           struct run_result *ret, char **ret_err)
{
    struct invocation inv;
    int e = prepare(env, r, action, timeout_ms, 0, false, &inv);
    if (e < 0) {
        *ret_err = xasprintf("cannot prepare %s: %s", action, strerror(-e));
        return e;
    }
    struct run_opts o = {.argv = inv.argv,
                         .envp = inv.env.v,
                         .timeout_ms = timeout_ms,
                         .kill_grace_ms = RES_AGENT_KILL_GRACE,
                         .max_output = meta ? META_MAX_OUTPUT : RES_AGENT_MAX_OUTPUT,
                         .keep_head = meta,
                         .discard_stderr = meta};
    e = run_sync(&o, ret);
    if (e < 0)
        *ret_err = xasprintf("cannot run %s: %s", inv.path, strerror(-e));
    invocation_clear(&inv);
    return e;
}

/* Every required parameter that r does not set, as "a, b"; NULL when none is missing. */
static char *missing_params(const struct ocf_meta *m, const struct cfg_resource *r)
{
    char *list = NULL;
    for (char **p = m->required; *p; p++) {
        bool set = false;
        for (size_t i = 0; i < r->n_params && !set; i++)
            set = strcmp(r->params[i].key, *p) == 0;
        if (set)
            continue;
        char *l = list ? xasprintf("%s, %s", list, *p) : xstrdup(*p);
        free(list);
        list = l;
    }
    return list;
}

static int read_meta(const struct res_agent_env *env, const struct cfg_resource *r,
                     uint64_t timeout_ms, struct ocf_meta *ret, char **ret_err)
{
    struct run_result rr;
    int e = run_action_sync(env, r, "meta-data", timeout_ms, true, &rr, ret_err);
    if (e < 0)
        return e;
    if (rr.timed_out || !rr.exited || rr.exit_code != 0) {
        e = rr.timed_out ? -ETIMEDOUT : -EINVAL;
        *ret_err = xasprintf("meta-data %s", rr.reason);
    } else if (rr.truncated) {
        e = -EFBIG;
        *ret_err = xasprintf("meta-data is larger than %u bytes", META_MAX_OUTPUT);
    } else {
        _cleanup_free_ char *why = NULL;
        e = ocf_meta_parse_buf(rr.output, strlen(rr.output), ret, &why);
        if (e < 0)
            *ret_err = xasprintf("meta-data is not the XML of an OCF agent: %s", why);
    }
    run_result_clear(&rr);
    return e;
}

int res_agent_meta_sync(const struct res_agent_env *env, const struct cfg_resource *r,
                        uint64_t timeout_ms, struct ocf_meta *ret_meta, char **ret_err)
{
    if (r->type != CFG_RES_OCF) {
        *ret_err = xstrdup("not an OCF resource");
        return -EINVAL;
    }
    return read_meta(env, r, timeout_ms ? timeout_ms : RES_AGENT_DEFAULT_TIMEOUT_MS, ret_meta,
                     ret_err);
}

int res_agent_validate_sync(const struct res_agent_env *env, const struct cfg_resource *r,
                            uint64_t timeout_ms, struct ocf_meta *ret_meta, char **ret_err)
{
    if (!timeout_ms)
        timeout_ms = RES_AGENT_DEFAULT_TIMEOUT_MS;
    _cleanup_free_ char *path = res_agent_path(env->ocf_root, r);
    if (!path) {
        *ret_err = xstrdup("not an agent resource (script, ocf or lsb)");
        return -EINVAL;
    }
    if (access(path, X_OK) < 0) {
        int e = -errno;
        *ret_err = xasprintf("cannot run %s: %s", path, strerror(errno));
        return e;
    }
    struct ocf_meta m = {0};
    if (r->type != CFG_RES_OCF) {
        if (ret_meta) {
            m.required = xcalloc(1, sizeof(*m.required));
            *ret_meta = m;
        }
        return 0;
    }
    int e = read_meta(env, r, timeout_ms, &m, ret_err);
    if (e < 0)
        return e;
    _cleanup_free_ char *missing = missing_params(&m, r);
    if (missing) {
        *ret_err = xasprintf("ocf:%s:%s requires parameters that are not set: %s", r->provider,
                             r->agent, missing);
        ocf_meta_clear(&m);
        return -EINVAL;
    }
    if (res_agent_check_role(r, &m, ret_err) < 0) {
        ocf_meta_clear(&m);
        return -EINVAL;
    }
    struct run_result rr;
    e = run_action_sync(env, r, "validate-all", timeout_ms, false, &rr, ret_err);
    if (e == 0) {
        /* An agent without validate-all says "unimplemented": nothing to object to. */
        bool ok = !rr.timed_out && rr.exited &&
                  (rr.exit_code == 0 || rr.exit_code == OCF_ERR_UNIMPLEMENTED);
        if (!ok) {
            e = rr.timed_out ? -ETIMEDOUT : -EINVAL;
            *ret_err = xasprintf("validate-all %s", rr.reason);
        }
        run_result_clear(&rr);
    }
    if (e < 0 || !ret_meta)
        ocf_meta_clear(&m);
    else
        *ret_meta = m;
    return e;
}

int res_agent_check_role(const struct cfg_resource *r, const struct ocf_meta *m, char **ret_err)
{
    if (r->type != CFG_RES_OCF || r->role != CFG_ROLE_PROMOTABLE)
        return 0;
    const char *missing = !m->has_promote && !m->has_demote ? "promote and demote actions"
                          : !m->has_promote                 ? "promote action"
                          : !m->has_demote                  ? "demote action"
                                                            : NULL;
    if (!missing)
        return 0;
    *ret_err = xasprintf("agent ocf:%s:%s has no %s; a resource of role promotable is promoted and "
                         "demoted by its agent: give it role all or primary, or use an agent that "
                         "implements promote and demote",
                         r->provider, r->agent, missing);
    return -EINVAL;
}
