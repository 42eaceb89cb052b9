/*
 * The hooks section of vigil.yaml: programs run on cluster events, with the
 * events they are called on, a timeout and their environment. Pure: the
 * commands are checked on the disk through files.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/load.h"

/* events: [NAME, ...] or [all]: the bit mask, or 0 after reporting. */
static uint32_t load_hook_events(struct loader *ld, struct ynode *n, const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: events", who);
    if (n->type != YN_SEQUENCE) {
        report_type(ld, n, label, "a list of event names, such as [node_lost, group_failed]");
        return 0;
    }
    if (n->n == 0) {
        report_error(
            ld, n, "%s is empty; name at least one event, or leave events out for the default ones",
            label);
        return 0;
    }
    const char *names[CFG_HOOK_EVENT_MAX + 1];
    for (int i = 0; i < CFG_HOOK_EVENT_MAX; i++)
        names[i] = cfg_hook_event_name((enum cfg_hook_event)i);
    names[CFG_HOOK_EVENT_MAX] = "all";
    uint32_t mask = 0, named = 0; /* named: listed by name (not through all) */
    bool ok = true;
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *e = n->items[i];
        if (!scalar_ok(ld, e, label, "an event name")) {
            ok = false;
            continue;
        }
        if (strcmp(e->text, "all") == 0) {
            mask |= (1u << CFG_HOOK_EVENT_MAX) - 1;
            continue;
        }
        int k = cfg_hook_event_parse(e->text);
        if (k >= 0) {
            if (named & (1u << k))
                report_error(ld, e, "%s: '%s' is listed twice", label, e->text);
            named |= 1u << k;
            mask |= 1u << k;
            continue;
        }
        ok = false;
        static const struct unknown_name u = {.what = "unknown event", .plural = "events"};
        report_unknown(ld, e, label, &u, names, ARRAY_SIZE(names));
    }
    return ok ? mask : 0;
}

/* The variables vigild sets for every run of a hook: its environment may not set them. */
static void check_hook_environment(struct loader *ld, const struct ynode *n, const char *who)
{
    static const char *const ours[] = {
        "VIGIL_HOOK",     "VIGIL_EVENT",   "VIGIL_EVENT_TYPE", "VIGIL_SEQ",         "VIGIL_TIME",
        "VIGIL_TIME_MS",  "VIGIL_CLUSTER", "VIGIL_LOCAL_NODE", "VIGIL_NODE",        "VIGIL_GROUP",
        "VIGIL_RESOURCE", "VIGIL_NETWORK", "VIGIL_REASON",     "VIGIL_DURATION_MS",
    };
    if (n->type != YN_MAPPING)
        return;
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const struct ynode *k = n->items[i];
        for (size_t j = 0; k->type == YN_SCALAR && j < ARRAY_SIZE(ours); j++)
            if (strcmp(k->text, ours[j]) == 0)
                report_error(
                    ld, k, "%s: environment: %s is set by vigild for each event; use another name",
                    who, k->text);
    }
}

static void load_hook(struct loader *ld, size_t hi, struct ynode *e)
{
    static const struct key_spec specs[] = {
        {"name", true},     {"command", true},     {"events", false},
        {"timeout", false}, {"every_node", false}, {"environment", false},
    };
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg_hook *h = &ld->c->hooks[hi];
    h->events = CFG_HOOK_DEFAULT_EVENTS;
    h->timeout_ms = CFG_DEFAULT_HOOK_TIMEOUT_MS;
    _cleanup_free_ char *who = walk_label(e, hi, "hook");
    _cleanup_free_ char *where = xasprintf("in %s", who);
    if (e->type != YN_MAPPING) {
        report_type(ld, e, who, "a mapping with name and command");
        return;
    }
    walk_mapping(ld, e, who, where, specs, ARRAY_SIZE(specs), f);
    if (f[0]) {
        _cleanup_free_ char *label = xasprintf("%s: name", who);
        const char *name =
            scalar_name(ld, f[0], label, "hook name", 63, "._-", true, NODE_NAME_RULE);
        for (size_t i = 0; name && i < hi; i++)
            if (ld->c->hooks[i].name && strcmp(ld->c->hooks[i].name, name) == 0) {
                report_error(ld, f[0], "%s: the name '%s' is used by another hook", who, name);
                name = NULL;
            }
        if (name)
            h->name = xstrdup(name);
    }
    if (f[1]) {
        walk_command(ld, f[1], who, &h->argv, &h->argc);
        if (h->argv && (ld->flags & CFG_LOAD_CHECK_FILES)) {
            _cleanup_free_ char *what = xasprintf("%s: command", who);
            files_check_executable(ld, f[1]->items[0], what, h->argv[0]);
        }
    }
    if (f[2]) {
        uint32_t m = load_hook_events(ld, f[2], who);
        if (m)
            h->events = m;
    }
    if (f[3]) {
        _cleanup_free_ char *label = xasprintf("%s: timeout", who);
        scalar_duration(ld, f[3], label, CFG_MIN_TIMEOUT_MS, CFG_MAX_HOOK_TIMEOUT_MS,
                        &h->timeout_ms);
    }
    if (f[4]) {
        _cleanup_free_ char *label = xasprintf("%s: every_node", who);
        scalar_bool(ld, f[4], label, &h->every_node);
    }
    if (f[5]) {
        walk_params(ld, f[5], who, "environment", "variable", "{MAIL_TO: root}", &h->env,
                    &h->n_env);
        check_hook_environment(ld, f[5], who);
    }
}

/* hooks: a list of hooks, each with a unique name and a command. */
void load_hooks(struct loader *ld, struct ynode *n)
{
    if (n->type == YN_SEQUENCE && n->n == 0)
        return;
    size_t count =
        walk_list(ld, n, "hooks", "a list of hooks (- name: NAME, command: [PROGRAM, ARGS...])",
                  "hook", CFG_MAX_HOOKS, "");
    if (count == 0)
        return;
    ld->c->hooks = xcalloc(count, sizeof(*ld->c->hooks));
    ld->c->n_hooks = count;
    for (size_t i = 0; i < count; i++)
        load_hook(ld, i, n->items[i]);
}
