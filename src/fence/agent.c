#include "fence/agent.h"
#include "base/util.h"
#include "exec/run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SECRETS_MAX_SIZE (64u * 1024)

const char *fence_outcome_name(enum fence_outcome o)
{
    static const char *const names[FENCE_OUTCOME_MAX] = {"success", "failed", "powered off",
                                                         "timed out", "not run"};
    return o < FENCE_OUTCOME_MAX ? names[o] : "unknown";
}

/* A growing text buffer for building the agent's input. */
struct text {
    char *s;
    size_t len, cap;
};

static void text_add(struct text *t, const char *key, const char *value)
{
    size_t need = t->len + strlen(key) + strlen(value) + 3;
    xgrow((void **)&t->s, &t->cap, need, 1);
    t->len += (size_t)snprintf(t->s + t->len, t->cap - t->len, "%s=%s\n", key, value);
}

static bool valid_key(const char *k, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return false;
    return true;
}

/*
 * Calls fn for each key=value line of a secrets file (blank lines and lines
 * starting with '#' are skipped). Returns 0, or the 1-based number of the
 * first malformed line.
 */
static size_t each_secret(const char *text,
                          void (*fn)(const char *key, size_t klen, const char *val, size_t vlen,
                                     void *ctx),
                          void *ctx)
{
    size_t lineno = 0;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        size_t m = n;
        if (m > 0 && p[m - 1] == '\r')
            m--;
        if (m > 0 && p[0] != '#') {
            const char *eq = memchr(p, '=', m);
            if (!eq || !valid_key(p, (size_t)(eq - p)))
                return lineno;
            fn(p, (size_t)(eq - p), eq + 1, m - (size_t)(eq - p) - 1, ctx);
        }
        p = nl ? nl + 1 : p + n;
    }
    return 0;
}

static void add_secret_line(const char *key, size_t klen, const char *val, size_t vlen, void *ctx)
{
    _cleanup_free_ char *k = xstrndup(key, klen);
    _cleanup_free_ char *v = xstrndup(val, vlen);
    text_add(ctx, k, v);
}

int fence_build_input(const struct cfg_fence_device *dev, const char *action, const char *nodename,
                      const char *port, const char *secrets_text, char **ret_input, char **ret_err)
{
    struct text t = {0};
    text_add(&t, "action", action);
    if (nodename)
        text_add(&t, "nodename", nodename);
    if (port)
        text_add(&t, "plug", port);
    for (size_t i = 0; i < dev->n_params; i++) {
        if (strchr(dev->params[i].value, '\n') || strchr(dev->params[i].key, '\n')) {
            free(t.s);
            *ret_err = xasprintf("device %s: parameter %s contains a newline", dev->name,
                                 dev->params[i].key);
            return -EINVAL;
        }
        text_add(&t, dev->params[i].key, dev->params[i].value);
    }
    if (secrets_text) {
        size_t bad = each_secret(secrets_text, add_secret_line, &t);
        if (bad) {
            free(t.s);
            *ret_err = xasprintf("device %s: secrets file %s, line %zu, is not key=value",
                                 dev->name, dev->secrets ? dev->secrets : "?", bad);
            return -EINVAL;
        }
    }
    if (t.len > FENCE_MAX_INPUT) {
        free(t.s);
        *ret_err = xasprintf("device %s: the agent's input would be %zu bytes (limit %u)",
                             dev->name, t.len, FENCE_MAX_INPUT);
        return -EINVAL;
    }
    *ret_input = t.s;
    return 0;
}

struct strv {
    char **v;
    size_t n, cap;
};

static void collect_value(const char *key, size_t klen, const char *val, size_t vlen, void *ctx)
{
    struct strv *sv = ctx;
    if (vlen == 0)
        return;
    xgrow((void **)&sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v));
    char *v = xstrndup(val, vlen);
    str_sanitize(v, strlen(v), false); /* as the agent's safe output shows it */
    sv->v[sv->n++] = v;
    sv->v[sv->n] = NULL;
}

char **fence_secret_values(const char *secrets_text)
{
    struct strv sv = {0};
    xgrow((void **)&sv.v, &sv.cap, 1, sizeof(*sv.v));
    sv.v[0] = NULL;
    /* Malformed lines stop the walk; those before them are still masked. */
    each_secret(secrets_text, collect_value, &sv);
    return sv.v;
}

void fence_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

void fence_mask_secrets(char *text, char *const *secrets)
{
    if (!text || !secrets)
        return;
    /*
     * Every occurrence is found in the text as it came before any is masked:
     * masking one secret first would hide an overlapping occurrence of
     * another (admin in admin123) or of itself (aa in aaa), and leave its rest.
     */
    size_t len = strlen(text);
    _cleanup_free_ bool *hit = xcalloc(len + 1, sizeof(bool));
    for (char *const *s = secrets; *s; s++) {
        size_t n = strlen(*s);
        if (n == 0)
            continue;
        for (const char *p = strstr(text, *s); p; p = strstr(p + 1, *s))
            memset(hit + (p - text), true, n);
    }
    for (size_t i = 0; i < len; i++)
        if (hit[i])
            text[i] = '*';
}

/* ---- one call ------------------------------------------------------------- */

struct fence_call {
    struct run *run;
    char **secrets;
    fence_call_fn cb;
    void *ctx;
};

static void call_free(struct fence_call *c)
{
    fence_strv_free(c->secrets);
    free(c);
}

/* Runs on the agent's safe output before anything else sees it, the reason included. */
static void mask_output(char *output, void *ctx)
{
    struct fence_call *c = ctx;
    fence_mask_secrets(output, c->secrets);
}

static void on_run_done(const struct run_result *rr, void *ctx)
{
    struct fence_call *c = ctx;
    struct fence_result r = {.wstatus = rr->wstatus,
                             .duration_ms = rr->duration_ms,
                             .output = rr->output,
                             .reason = rr->reason};
    _cleanup_free_ char *succeeded = NULL;
    if (rr->timed_out) {
        r.outcome = FENCE_TIMED_OUT;
    } else if (rr->exited && rr->exit_code == 0) {
        r.outcome = FENCE_SUCCESS;
        r.reason = succeeded =
            xasprintf("succeeded in %llu ms", (unsigned long long)rr->duration_ms);
    } else if (rr->exited && rr->exit_code == 2) {
        r.outcome = FENCE_POWERED_OFF;
    } else {
        r.outcome = FENCE_FAILED;
    }
    c->cb(&r, c->ctx);
    call_free(c);
}

int fence_call_start(uv_loop_t *loop, const struct cfg_fence_device *dev, const char *action,
                     const char *nodename, const char *port, fence_call_fn cb, void *ctx,
                     struct fence_call **ret, char **ret_err)
{
    _cleanup_free_ char *secrets = NULL;
    if (dev->secrets) {
        size_t n;
        int r = read_file(dev->secrets, SECRETS_MAX_SIZE, &secrets, &n);
        if (r < 0) {
            *ret_err = xasprintf("device %s: cannot read secrets file %s: %s", dev->name,
                                 dev->secrets, strerror(-r));
            return r;
        }
    }
    _cleanup_free_ char *input = NULL;
    int r = fence_build_input(dev, action, nodename, port, secrets, &input, ret_err);
    if (r < 0)
        return r;

    struct fence_call *c = xcalloc(1, sizeof(*c));
    c->cb = cb;
    c->ctx = ctx;
    c->secrets = secrets ? fence_secret_values(secrets) : NULL;
    /* Fence agents inherit the daemon's environment, as they always have. */
    char *argv[] = {dev->agent, NULL};
    struct run_opts o = {.argv = argv,
                         .envp = environ,
                         .input = input,
                         .timeout_ms = dev->timeout_ms,
                         .kill_grace_ms = FENCE_KILL_GRACE_MS,
                         .max_output = FENCE_MAX_OUTPUT,
                         .keep_head = true};
    r = run_start(loop, &o, on_run_done, mask_output, c, &c->run);
    if (r < 0) {
        *ret_err = xasprintf("cannot run %s: %s", dev->agent, strerror(-r));
        call_free(c);
        return r;
    }
    *ret = c;
    return 0;
}

void fence_call_cancel(struct fence_call *c)
{
    if (!c)
        return;
    run_cancel(c->run);
    call_free(c);
}
