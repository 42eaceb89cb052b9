/* The normalised form of a configuration (cfg_print): the YAML text that loads back equal. */
#include <string.h>

#include "base/util.h"
#include "config/internal.h"

/*
 * True if s can be written as a plain YAML scalar that reads back as the
 * same string: a conservative subset (names, IPv4 addresses, paths) that no
 * YAML 1.1 or 1.2 reader takes for a number, a boolean or null.
 */
static bool plain_safe(const char *s)
{
    static const char *const special[] = {"y",   "n",    "yes",   "no",   "on",
                                          "off", "true", "false", "null", "~"};
    if (!*s)
        return false;
    size_t dots = 0;
    bool digits_dots = true;
    for (const char *p = s; *p; p++) {
        char ch = *p;
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && !strchr("._/-", ch))
            return false;
        if (ch == '.')
            dots++;
        else if (ch < '0' || ch > '9')
            digits_dots = false;
    }
    if (s[0] == '-' || s[0] == '.')
        return false;
    if (s[0] >= '0' && s[0] <= '9' && !(digits_dots && dots == 3))
        return false; /* numbers, 0x.., 1e5, dates; a dotted quad is fine */
    for (size_t i = 0; i < ARRAY_SIZE(special); i++)
        if (strcasecmp(s, special[i]) == 0)
            return false;
    return true;
}

/*
 * Appends s as a YAML scalar: plain when safe, else double-quoted with
 * escapes for control characters (C0, DEL, C1), line and paragraph separators
 * and the byte order mark, which a reader would not take back as written.
 */
static void put_scalar(struct cfg_buf *b, const char *s)
{
    if (plain_safe(s)) {
        cfg_buf_printf(b, "%s", s);
        return;
    }
    cfg_buf_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            cfg_buf_printf(b, "\\%c", *p);
        } else if (*p < 0x20 || *p == 0x7f) {
            cfg_buf_printf(b, "\\x%02x", *p);
        } else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            cfg_buf_printf(b, "\\x%02x", p[1]);
            p++;
        } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            cfg_buf_printf(b, "\\u%04x", 0x2000u + p[2] - 0x80u);
            p += 2;
        } else if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
            cfg_buf_printf(b, "\\ufeff");
            p += 2;
        } else {
            cfg_buf_printf(b, "%c", *p);
        }
    }
    cfg_buf_printf(b, "\"");
}

static const char *tie_breaker_text(const struct cfg *c)
{
    if (c->tie_breaker == CFG_TIE_NODE) {
        const struct cfg_node *n = cfg_node_by_id(c, c->tie_breaker_node_id);
        return n && n->name ? n->name : "lowest";
    }
    const char *s = cfg_tie_breaker_name(c->tie_breaker);
    return s ? s : "lowest";
}

/* A device of a level: its name alone, or {device: NAME, port: PORT}. */
static void put_fence_ref(struct cfg_buf *b, const struct cfg *c, const struct cfg_fence_ref *r)
{
    const char *name = r->device < c->n_fence_devices && c->fence_devices[r->device].name
                           ? c->fence_devices[r->device].name
                           : "";
    if (!r->port) {
        put_scalar(b, name);
        return;
    }
    cfg_buf_printf(b, "{device: ");
    put_scalar(b, name);
    cfg_buf_printf(b, ", port: ");
    put_scalar(b, r->port);
    cfg_buf_printf(b, "}");
}

static void put_fence_device(struct cfg_buf *b, const struct cfg_fence_device *d)
{
    char dur[32];
    cfg_buf_printf(b, "    - name: ");
    put_scalar(b, d->name ? d->name : "");
    cfg_buf_printf(b, "\n      agent: ");
    put_scalar(b, d->agent ? d->agent : "");
    cfg_buf_printf(b, "\n      params:%s\n", d->n_params ? "" : " {}");
    for (size_t p = 0; p < d->n_params; p++) {
        cfg_buf_printf(b, "        ");
        put_scalar(b, d->params[p].key ? d->params[p].key : "");
        cfg_buf_printf(b, ": ");
        put_scalar(b, d->params[p].value ? d->params[p].value : "");
        cfg_buf_printf(b, "\n");
    }
    if (d->secrets) {
        cfg_buf_printf(b, "      secrets: ");
        put_scalar(b, d->secrets);
        cfg_buf_printf(b, "\n");
    }
    cfg_buf_printf(b, "      timeout: %s\n", dur_format(d->timeout_ms, dur));
}

/* The fencing section; a node with no levels and no delay is left out of nodes. */
static void put_fencing(struct cfg_buf *b, const struct cfg *c)
{
    char dur[32];
    const char *action = cfg_fence_action_name(c->fence_action);
    cfg_buf_printf(b, "fencing:\n  enabled: %s\n  unsafe_recovery: %s\n  action: ",
                   c->fence_enabled ? "true" : "false",
                   c->fence_unsafe_recovery ? "true" : "false");
    put_scalar(b, action ? action : "off");
    cfg_buf_printf(b, "\n  retries: %u\n  startup_wait: %s\n  devices:%s\n", c->fence_retries,
                   dur_format(c->fence_startup_wait_ms, dur), c->n_fence_devices ? "" : " []");
    for (size_t i = 0; i < c->n_fence_devices; i++)
        put_fence_device(b, &c->fence_devices[i]);
    size_t shown = 0;
    for (size_t i = 0; c->fence_nodes && i < c->n_nodes; i++)
        shown += c->fence_nodes[i].n_levels > 0 || c->fence_nodes[i].delay_ms > 0;
    cfg_buf_printf(b, "  nodes:%s\n", shown ? "" : " {}");
    for (size_t i = 0; shown && i < c->n_nodes; i++) {
        const struct cfg_fence_node *fn = &c->fence_nodes[i];
        if (fn->n_levels == 0 && fn->delay_ms == 0)
            continue;
        cfg_buf_printf(b, "    ");
        put_scalar(b, c->nodes[i].name ? c->nodes[i].name : "");
        cfg_buf_printf(b, ":\n      delay: %s\n      levels:%s\n", dur_format(fn->delay_ms, dur),
                       fn->n_levels ? "" : " []");
        for (size_t l = 0; l < fn->n_levels; l++) {
            cfg_buf_printf(b, "        - [");
            for (size_t r = 0; r < fn->levels[l].n_refs; r++) {
                cfg_buf_printf(b, "%s", r ? ", " : "");
                put_fence_ref(b, c, &fn->levels[l].refs[r]);
            }
            cfg_buf_printf(b, "]\n");
        }
    }
}

/* A mapping of params or environment: one line per entry, or {} when empty. */
static void put_params(struct cfg_buf *b, const char *indent, const char *key,
                       const struct cfg_param *p, size_t n)
{
    cfg_buf_printf(b, "%s%s:%s\n", indent, key, n ? "" : " {}");
    for (size_t i = 0; i < n; i++) {
        cfg_buf_printf(b, "%s  ", indent);
        put_scalar(b, p[i].key ? p[i].key : "");
        cfg_buf_printf(b, ": ");
        put_scalar(b, p[i].value ? p[i].value : "");
        cfg_buf_printf(b, "\n");
    }
}

/* A command as one flow list: [/usr/bin/python3, "-m", http.server]. */
static void put_argv(struct cfg_buf *b, char *const *argv, size_t argc)
{
    cfg_buf_printf(b, "[");
    for (size_t i = 0; i < argc; i++) {
        cfg_buf_printf(b, "%s", i ? ", " : "");
        put_scalar(b, argv && argv[i] ? argv[i] : "");
    }
    cfg_buf_printf(b, "]");
}

/* Writes "INDENT" "key: VALUE\n" with VALUE as a scalar, when value is set. */
static void put_opt(struct cfg_buf *b, const char *indent, const char *key, const char *value)
{
    if (!value)
        return;
    cfg_buf_printf(b, "%s%s: ", indent, key);
    put_scalar(b, value);
    cfg_buf_printf(b, "\n");
}

static void put_check(struct cfg_buf *b, const struct cfg_check *ck)
{
    static const char ind[] = "            ";
    char dur[32];
    const char *type = cfg_check_type_name(ck->type);
    cfg_buf_printf(b, "          - type: %s\n", type ? type : "tcp");
    switch (ck->type) {
    case CFG_CHECK_TCP:
        put_opt(b, ind, "host", ck->host ? ck->host : "");
        cfg_buf_printf(b, "%sport: %u\n", ind, ck->port);
        break;
    case CFG_CHECK_HTTP:
        put_opt(b, ind, "url", ck->url ? ck->url : "");
        if (ck->status)
            cfg_buf_printf(b, "%sstatus: %u\n", ind, ck->status);
        break;
    default:
        cfg_buf_printf(b, "%scommand: ", ind);
        put_argv(b, ck->argv, ck->argc);
        cfg_buf_printf(b, "\n");
        break;
    }
    cfg_buf_printf(b, "%sinterval: %s\n", ind, dur_format(ck->interval_ms, dur));
    cfg_buf_printf(b, "%stimeout: %s\n", ind, dur_format(ck->timeout_ms, dur));
    cfg_buf_printf(b, "%sfailures: %u\n", ind, ck->failures);
}

/* The type as written: ip, process, ..., ocf:PROVIDER:AGENT or lsb:NAME. */
static void put_res_type(struct cfg_buf *b, const struct cfg_resource *r)
{
    const char *name = cfg_res_type_name(r->type);
    if (r->type == CFG_RES_OCF)
        cfg_buf_printf(b, "ocf:%s:%s", r->provider ? r->provider : "",
                       r->agent ? r->agent : ""); /* names of [A-Za-z0-9._-]: plain */
    else if (r->type == CFG_RES_LSB)
        cfg_buf_printf(b, "lsb:%s", r->agent ? r->agent : "");
    else
        cfg_buf_printf(b, "%s", name ? name : "ip");
}

/* The keys of r's own type. */
static void put_res_keys(struct cfg_buf *b, const struct cfg *c, const struct cfg_resource *r)
{
    static const char ind[] = "        ";
    switch (r->type) {
    case CFG_RES_IP:
        put_opt(b, ind, "address", r->address ? r->address : "");
        if (r->network >= 0 && (size_t)r->network < c->n_networks)
            put_opt(b, ind, "network", c->networks[r->network].name);
        put_opt(b, ind, "interface", r->interface);
        if (r->has_mac)
            cfg_buf_printf(b, "%smac: \"%02x:%02x:%02x:%02x:%02x:%02x\"\n", ind, r->mac[0],
                           r->mac[1], r->mac[2], r->mac[3], r->mac[4], r->mac[5]);
        break;
    case CFG_RES_PROCESS:
        cfg_buf_printf(b, "%scommand: ", ind);
        put_argv(b, r->argv, r->argc);
        cfg_buf_printf(b, "\n");
        put_opt(b, ind, "user", r->user);
        put_params(b, ind, "environment", r->env, r->n_env);
        put_opt(b, ind, "directory", r->directory);
        break;
    case CFG_RES_FS:
        put_opt(b, ind, "device", r->device ? r->device : "");
        put_opt(b, ind, "mountpoint", r->mountpoint ? r->mountpoint : "");
        put_opt(b, ind, "fstype", r->fstype);
        put_opt(b, ind, "options", r->options);
        break;
    case CFG_RES_SCRIPT:
        put_opt(b, ind, "path", r->path ? r->path : "");
        put_params(b, ind, "params", r->params, r->n_params);
        break;
    case CFG_RES_OCF:
        put_params(b, ind, "params", r->params, r->n_params);
        break;
    default:
        break;
    }
}

/* Timeouts and the monitor interval; for ocf, a 0 (the agent's default) is left out. */
static void put_res_timing(struct cfg_buf *b, const struct cfg_resource *r)
{
    static const char *const names[] = {"start", "stop", "monitor"};
    const uint64_t v[] = {r->start_timeout_ms, r->stop_timeout_ms, r->monitor_timeout_ms};
    bool ocf = r->type == CFG_RES_OCF;
    char dur[32];
    if (!ocf || v[0] || v[1] || v[2])
        cfg_buf_printf(b, "        timeouts:\n");
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (!ocf || v[i])
            cfg_buf_printf(b, "          %s: %s\n", names[i], dur_format(v[i], dur));
    if (r->monitor_interval_ms)
        cfg_buf_printf(b, "        monitor: %s\n", dur_format(r->monitor_interval_ms, dur));
    else if (!ocf)
        cfg_buf_printf(b, "        monitor: \"off\"\n");
}

/*
 * The keys of promotable groups: the role (always, in a promotable group),
 * the promote and demote timeouts where the role is promotable and the
 * notify timeout, each left out where it is 0 (ocf: the agent's default).
 */
static void put_res_clone(struct cfg_buf *b, const struct cfg_group *g,
                          const struct cfg_resource *r)
{
    char dur[32];
    if (g->kind == CFG_KIND_PROMOTABLE) {
        const char *role = cfg_res_role_name(r->role);
        cfg_buf_printf(b, "        role: %s\n", role ? role : "all");
    }
    if (r->promote_timeout_ms)
        cfg_buf_printf(b, "        promote_timeout: %s\n", dur_format(r->promote_timeout_ms, dur));
    if (r->demote_timeout_ms)
        cfg_buf_printf(b, "        demote_timeout: %s\n", dur_format(r->demote_timeout_ms, dur));
    if (r->notify_timeout_ms)
        cfg_buf_printf(b, "        notify_timeout: %s\n", dur_format(r->notify_timeout_ms, dur));
}

static void put_resource(struct cfg_buf *b, const struct cfg *c, const struct cfg_group *g,
                         const struct cfg_resource *r)
{
    const char *on_fail = cfg_on_fail_name(r->on_fail);
    cfg_buf_printf(b, "      - name: ");
    put_scalar(b, r->name ? r->name : "");
    cfg_buf_printf(b, "\n        type: ");
    put_res_type(b, r);
    cfg_buf_printf(b, "\n");
    put_res_keys(b, c, r);
    cfg_buf_printf(b, "        on_fail: %s\n", on_fail ? on_fail : "restart");
    put_res_timing(b, r);
    put_res_clone(b, g, r);
    if (r->n_checks >= 2)
        cfg_buf_printf(b, "        healthy: %s\n", r->healthy_any ? "any" : "all");
    if (r->n_checks && r->ready_timeout_ms) {
        char dur[32];
        cfg_buf_printf(b, "        ready_timeout: %s\n", dur_format(r->ready_timeout_ms, dur));
    }
    cfg_buf_printf(b, "        checks:%s\n", r->n_checks ? "" : " []");
    for (size_t i = 0; i < r->n_checks; i++)
        put_check(b, &r->checks[i]);
}

/* "    KEY: [a, b]\n" for a list of groups, when it is not empty. */
static void put_groups_list(struct cfg_buf *b, const struct cfg *c, const char *key,
                            const size_t *v, size_t n)
{
    if (n == 0)
        return;
    cfg_buf_printf(b, "    %s: [", key);
    for (size_t i = 0; i < n; i++) {
        cfg_buf_printf(b, "%s", i ? ", " : "");
        put_scalar(b, v[i] < c->n_groups && c->groups[v[i]].name ? c->groups[v[i]].name : "");
    }
    cfg_buf_printf(b, "]\n");
}

/*
 * "INDENT" "KEY:" and one line per capacity name with its amount in v[]
 * (all of them, or only those above 0 when !zeros); "KEY: {}" for none.
 */
static void put_amounts(struct cfg_buf *b, const struct cfg *c, const char *indent, const char *key,
                        const uint64_t *v, bool zeros)
{
    size_t shown = 0;
    for (size_t i = 0; i < c->n_capacity_names; i++)
        shown += zeros || v[i] > 0;
    cfg_buf_printf(b, "%s%s:%s\n", indent, key, shown ? "" : " {}");
    for (size_t i = 0; i < c->n_capacity_names; i++) {
        if (!zeros && v[i] == 0)
            continue;
        cfg_buf_printf(b, "%s  ", indent);
        put_scalar(b, c->capacity_names[i] ? c->capacity_names[i] : "");
        cfg_buf_printf(b, ": %llu\n", (unsigned long long)v[i]);
    }
}

/*
 * The placement keys that came after the first version of the file
 * (priority, relationships, load), each only when it is not the default:
 * a configuration that does not use them prints as it always did.
 */
static void put_group_placement(struct cfg_buf *b, const struct cfg *c, const struct cfg_group *g)
{
    if (g->priority)
        cfg_buf_printf(b, "    priority: %d\n", (int)g->priority);
    put_groups_list(b, c, "requires", g->requires, g->n_requires);
    if (g->colocated)
        cfg_buf_printf(b, "    colocated: true\n");
    put_groups_list(b, c, "together_with", g->together_with, g->n_together_with);
    put_groups_list(b, c, "apart_from", g->apart_from, g->n_apart_from);
    bool load = false;
    for (size_t i = 0; i < c->n_capacity_names; i++)
        load |= g->load[i] > 0;
    if (load)
        put_amounts(b, c, "    ", "load", g->load, false);
}

static void put_group(struct cfg_buf *b, const struct cfg *c, const struct cfg_group *g)
{
    char dur[32];
    const char *failback = cfg_failback_name(g->failback);
    cfg_buf_printf(b, "  - name: ");
    put_scalar(b, g->name ? g->name : "");
    cfg_buf_printf(b, "\n    domain: [");
    for (size_t i = 0; i < g->n_domain; i++) {
        cfg_buf_printf(b, "%s", i ? ", " : "");
        put_scalar(b, g->domain[i] < c->n_nodes && c->nodes[g->domain[i]].name
                          ? c->nodes[g->domain[i]].name
                          : "");
    }
    cfg_buf_printf(b, "]\n");
    /* A clone or promotable group only: single-copy groups print as before. */
    if (g->kind == CFG_KIND_CLONE || g->kind == CFG_KIND_PROMOTABLE) {
        cfg_buf_printf(b, "    %s:\n      copies: %u\n", cfg_group_kind_name(g->kind), g->copies);
        if (g->kind == CFG_KIND_PROMOTABLE)
            cfg_buf_printf(b, "      primaries: %u\n", g->primaries);
        cfg_buf_printf(b, "      notify: %s\n", g->notify ? "true" : "false");
    }
    if (g->policy == CFG_POLICY_SCRIPT) {
        cfg_buf_printf(b, "    policy:\n      script: ");
        put_scalar(b, g->policy_script ? g->policy_script : "");
        cfg_buf_printf(b, "\n");
    } else {
        const char *policy = cfg_policy_name(g->policy);
        cfg_buf_printf(b, "    policy: %s\n", policy ? policy : "ordered");
    }
    cfg_buf_printf(b, "    failback: %s\n", failback ? failback : "controlled");
    put_group_placement(b, c, g);
    cfg_buf_printf(b, "    restarts:\n      max: %u\n      within: %s\n", g->restarts_max,
                   dur_format(g->restarts_within_ms, dur));
    /* Left out at their defaults, as the placement keys are. */
    if (g->backoff_ms != CFG_DEFAULT_BACKOFF_MS)
        cfg_buf_printf(b, "      backoff: %s\n", dur_format(g->backoff_ms, dur));
    if (g->backoff_max_ms != CFG_DEFAULT_BACKOFF_MAX_MS)
        cfg_buf_printf(b, "      backoff_max: %s\n", dur_format(g->backoff_max_ms, dur));
    cfg_buf_printf(b, "    resources:\n");
    for (size_t i = 0; i < g->n_resources; i++)
        put_resource(b, c, g, &g->resources[i]);
}

static void put_hook(struct cfg_buf *b, const struct cfg_hook *h)
{
    char dur[32];
    cfg_buf_printf(b, "  - name: ");
    put_scalar(b, h->name ? h->name : "");
    cfg_buf_printf(b, "\n    command: ");
    put_argv(b, h->argv, h->argc);
    cfg_buf_printf(b, "\n    events: [");
    const char *sep = "";
    for (int e = 0; e < CFG_HOOK_EVENT_MAX; e++) {
        if (!(h->events & (1u << e)))
            continue;
        cfg_buf_printf(b, "%s%s", sep, cfg_hook_event_name((enum cfg_hook_event)e));
        sep = ", ";
    }
    cfg_buf_printf(b, "]\n    timeout: %s\n    every_node: %s\n", dur_format(h->timeout_ms, dur),
                   h->every_node ? "true" : "false");
    if (h->n_env)
        put_params(b, "    ", "environment", h->env, h->n_env);
}

/* Returns the normalised YAML text of c, owned by the caller (see config.h). */
char *cfg_print(const struct cfg *c)
{
    struct cfg_buf b = {0};
    char dur[32];
    const char *engine = cfg_engine_name(c->engine);
    const char *link_mode = cfg_link_mode_name(c->link_mode);

    cfg_buf_printf(&b, "cluster:\n  name: ");
    put_scalar(&b, c->cluster_name ? c->cluster_name : "");
    cfg_buf_printf(&b, "\n  key: ");
    put_scalar(&b, c->key_path ? c->key_path : CFG_DEFAULT_KEY_PATH);
    cfg_buf_printf(&b, "\nengine: %s\n", engine ? engine : "managed");
    cfg_buf_printf(&b, "heartbeat:\n  interval: %s\n  misses: %u\n  link_mode: %s\n",
                   dur_format(c->interval_ms, dur), c->misses, link_mode ? link_mode : "active");
    cfg_buf_printf(&b, "networks:\n");
    for (size_t i = 0; i < c->n_networks; i++) {
        cfg_buf_printf(&b, "  - name: ");
        put_scalar(&b, c->networks[i].name ? c->networks[i].name : "");
        cfg_buf_printf(&b, "\n");
    }
    cfg_buf_printf(&b, "nodes:\n");
    for (size_t i = 0; i < c->n_nodes; i++) {
        const struct cfg_node *n = &c->nodes[i];
        cfg_buf_printf(&b, "  - name: ");
        put_scalar(&b, n->name ? n->name : "");
        cfg_buf_printf(&b, "\n    id: %u\n    addresses:\n", n->id);
        for (size_t j = 0; j < c->n_networks; j++) {
            cfg_buf_printf(&b, "      ");
            put_scalar(&b, c->networks[j].name ? c->networks[j].name : "");
            cfg_buf_printf(&b, ": ");
            put_scalar(&b, n->addr && n->addr[j] ? n->addr[j] : "");
            cfg_buf_printf(&b, "\n");
        }
        if (n->has_capacity)
            put_amounts(&b, c, "    ", "capacity", n->capacity, true);
    }
    const char *no_quorum = cfg_no_quorum_name(c->no_quorum);
    cfg_buf_printf(&b, "quorum:\n  tie_breaker: ");
    put_scalar(&b, tie_breaker_text(c));
    cfg_buf_printf(&b, "\n  no_quorum: %s\n", no_quorum ? no_quorum : "stop");
    put_fencing(&b, c);
    cfg_buf_printf(&b, "resources:\n  ocf_root: ");
    put_scalar(&b, c->ocf_root ? c->ocf_root : CFG_DEFAULT_OCF_ROOT);
    cfg_buf_printf(&b, "\ngroups:%s\n", c->n_groups ? "" : " []");
    for (size_t i = 0; i < c->n_groups; i++)
        put_group(&b, c, &c->groups[i]);
    if (c->n_hooks)
        cfg_buf_printf(&b, "hooks:\n");
    for (size_t i = 0; i < c->n_hooks; i++)
        put_hook(&b, &c->hooks[i]);
    return cfg_buf_steal(&b);
}
