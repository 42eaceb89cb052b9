/* vigil status: the resource groups and their resources. */
#include "cli/cli.h"
#include "cli/status.h"
#include "cli/table.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define STATUS_WIDTH 100 /* the groups table wraps its notes to fit */

/*
 * state, in capitals (written into buf) when it is one of trouble[0..n): the
 * states that want an admin's attention, as elsewhere in the status.
 */
static const char *shown_state(const char *state, const char *const *trouble, size_t n,
                               char buf[static 32])
{
    if (cli_find_word(state, trouble, n) < 0 || strlen(state) >= 32)
        return state;
    size_t i = 0;
    for (; state[i]; i++)
        buf[i] = (char)(state[i] >= 'a' && state[i] <= 'z' ? state[i] - 'a' + 'A' : state[i]);
    buf[i] = '\0';
    return buf;
}

static const char *group_state(json_t *grp, char buf[static 32])
{
    static const char *const trouble[] = {"blocked", "failed", "halted", "no quorum"};
    return shown_state(cli_jstr(grp, "state", "?"), trouble, ARRAY_SIZE(trouble), buf);
}

static const char *resource_state(json_t *res, char buf[static 32])
{
    static const char *const trouble[] = {"failed", "stop failed"};
    return shown_state(cli_jstr(res, "state", "?"), trouble, ARRAY_SIZE(trouble), buf);
}

/* Appends text to the note *note (owned, may be NULL), separated by "; ". */
static void note_add(char **note, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_add(char **note, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *text = xvasprintf(fmt, ap);
    va_end(ap);
    char *joined = *note ? xasprintf("%s; %s", *note, text) : xstrdup(text);
    free(*note);
    *note = joined;
}

/* "n1, n2" from an array of node names (owned by the caller), or NULL when empty. */
static char *node_list(json_t *arr)
{
    char *out = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *name = json_is_string(v) ? json_string_value(v) : "?";
        char *joined = out ? xasprintf("%s, %s", out, name) : xstrdup(name);
        free(out);
        out = joined;
    }
    return out;
}

/*
 * A wait for people, rounded up to the second: "38s", "9min 58s", "2h 5min"
 * (buf, 32 bytes).
 */
static const char *wait_text(uint64_t ms, char buf[static 32])
{
    uint64_t s = (ms + 999) / 1000;
    if (s < 60)
        snprintf(buf, 32, "%llus", (unsigned long long)(s ? s : 1));
    else if (s < 3600)
        snprintf(buf, 32, "%llumin %llus", (unsigned long long)(s / 60),
                 (unsigned long long)(s % 60));
    else
        snprintf(buf, 32, "%lluh %llumin", (unsigned long long)(s / 3600),
                 (unsigned long long)(s % 3600 / 60));
    return buf;
}

/* The NOTE of a group: admin decisions first, then why it is in its state (owned). */
static char *group_note(json_t *grp)
{
    char *note = NULL;
    const char *state = cli_jstr(grp, "state", "?");
    if (json_is_false(json_object_get(grp, "managed")) && strcmp(state, "unmanaged") != 0)
        note_add(&note, "unmanaged");
    if (json_is_false(json_object_get(grp, "target_started")))
        note_add(&note, "stopped by admin");
    const char *prefer = cli_jstr(grp, "prefer", NULL);
    if (prefer)
        note_add(&note, "%s to %s",
                 strcmp(cli_jstr(grp, "kind", ""), "promotable") == 0 ? "primary moved" : "moved",
                 prefer);
    _cleanup_free_ char *banned = node_list(json_object_get(grp, "banned"));
    if (banned)
        note_add(&note, "banned on %s", banned);
    const char *why = cli_jstr(grp, "why", NULL);
    if (why && *why)
        note_add(&note, "%s", why);
    /* Backing off, or failed everywhere until a ban expires: when it tries next, and where. */
    json_t *next = json_object_get(grp, "next_try_in_ms");
    const char *next_node = cli_jstr(grp, "next_try_node", NULL);
    if (json_is_integer(next) && json_integer_value(next) >= 0 && next_node) {
        char b[32];
        note_add(&note, "next try in %s on %s", wait_text((uint64_t)json_integer_value(next), b),
                 next_node);
    }
    return note;
}

/* "last failure 2026-11-22 10:00:00 on n2: REASON" (owned), or NULL. */
static char *failure_note(json_t *f)
{
    if (!json_is_object(f))
        return NULL;
    char when[64];
    json_t *ts = json_object_get(f, "ts_ms");
    const char *t = json_is_integer(ts) && json_integer_value(ts) >= 0
                        ? cli_format_local_ms((uint64_t)json_integer_value(ts), false, when)
                        : cli_jstr(f, "time", "?");
    const char *node = cli_jstr(f, "node", NULL);
    const char *reason = cli_jstr(f, "reason", "");
    return xasprintf("last failure %s%s%s%s%s", t, node ? " on " : "", node ? node : "",
                     *reason ? ": " : "", reason);
}

static void add_resource_row(struct table *t, json_t *res)
{
    char b[32];
    _cleanup_free_ char *name = xasprintf("  %s", cli_jstr(res, "name", "?"));
    _cleanup_free_ char *note = failure_note(json_object_get(res, "last_failure"));
    table_add(t, name);
    table_add(t, cli_jstr(res, "type", "?"));
    table_add(t, resource_state(res, b));
    table_add(t, NULL);
    table_add(t, cli_jint(res, "failures", b));
    table_add(t, note);
}

/*
 * How a copy of a clone or promotable group shows in its group's NODE cell:
 * "primary", "replica" (promotable) or "running" (clone) for copies that
 * run as they should, FAILED and STOP FAILED in capitals, any other state
 * by its name (starting, promoting, demoting, stopped, ...).
 */
static const char *copy_label(json_t *copy, bool promotable)
{
    const char *state = cli_jstr(copy, "state", "?");
    bool primary = streq_null(cli_jstr(copy, "role", NULL), "primary");
    if (promotable && primary && (strcmp(state, "primary") == 0 || strcmp(state, "running") == 0))
        return "primary";
    if (strcmp(state, "running") == 0)
        return promotable ? "replica" : "running";
    if (strcmp(state, "failed") == 0)
        return "FAILED";
    if (strcmp(state, "stop failed") == 0)
        return "STOP FAILED";
    return state;
}

/* Whether the status's node named name is known and not online. */
static bool node_offline(json_t *st, const char *name)
{
    size_t i;
    json_t *node;
    json_array_foreach(json_object_get(st, "nodes"), i, node)
    {
        if (streq_null(cli_jstr(node, "name", NULL), name))
            return !streq_null(cli_jstr(node, "state", NULL), "online");
    }
    return false;
}

/*
 * The NODE cell of a clone or promotable group (owned): its copies grouped
 * by how they are, "primary n1, replicas n2 n3, FAILED n4, stopped n5", the
 * copies that serve first; a node that is not online is marked "(offline)".
 * "-" without copies.
 */
static char *copies_cell(json_t *st, json_t *grp, bool promotable)
{
    /* The order of the labels; others (unexpected states) follow as they come. */
    static const char *const order[] = {
        "primary",  "replica", "running", "promoting", "demoting",    "starting",
        "stopping", "partial", "unknown", "FAILED",    "STOP FAILED", "stopped",
    };
    json_t *copies = json_object_get(grp, "copies");
    size_t n = json_array_size(copies);
    if (n == 0)
        return xstrdup("-");
    bool *done = xcalloc(n, sizeof(bool));
    char *out = xstrdup("");
    for (size_t k = 0; k <= ARRAY_SIZE(order); k++) {
        for (size_t i = 0; i < n; i++) {
            if (done[i])
                continue;
            const char *label = copy_label(json_array_get(copies, i), promotable);
            /* After the known labels: the first unexpected one left, with its like. */
            if (k < ARRAY_SIZE(order) && strcmp(label, order[k]) != 0)
                continue;
            size_t count = 0;
            char *names = xstrdup("");
            for (size_t j = i; j < n; j++) {
                json_t *c = json_array_get(copies, j);
                if (done[j] || strcmp(copy_label(c, promotable), label) != 0)
                    continue;
                done[j] = true;
                count++;
                const char *node = cli_jstr(c, "node", "?");
                char *next =
                    xasprintf("%s %s%s", names, node, node_offline(st, node) ? " (offline)" : "");
                free(names);
                names = next;
            }
            const char *shown = label;
            if (count > 1 && strcmp(label, "primary") == 0)
                shown = "primaries";
            else if (count > 1 && strcmp(label, "replica") == 0)
                shown = "replicas";
            char *next = xasprintf("%s%s%s%s", out, *out ? ", " : "", shown, names);
            free(names);
            free(out);
            out = next;
        }
    }
    free(done);
    return out;
}

static void add_group_rows(struct table *t, json_t *st, json_t *grp)
{
    char b[32];
    json_t *node = json_object_get(grp, "node");
    const char *kind = cli_jstr(grp, "kind", "single");
    bool promotable = strcmp(kind, "promotable") == 0;
    bool clone = promotable || strcmp(kind, "clone") == 0;
    _cleanup_free_ char *note = group_note(grp);
    _cleanup_free_ char *where =
        clone ? copies_cell(st, grp, promotable)
              : xstrdup(json_is_null(node) ? "-" : cli_jstr(grp, "node", "?"));
    table_add(t, cli_jstr(grp, "name", "?"));
    table_add(t, clone ? kind : NULL);
    table_add(t, group_state(grp, b));
    table_add(t, where);
    table_add(t, cli_jint(grp, "failures", b));
    table_add(t, note);

    size_t i;
    json_t *res;
    json_array_foreach(json_object_get(grp, "resources"), i, res)
    {
        add_resource_row(t, res);
    }
}

void status_print_groups(json_t *st)
{
    json_t *groups = json_object_get(st, "groups");
    if (json_array_size(groups) == 0)
        return;
    struct table *t = table_new(6);
    table_set_width(t, STATUS_WIDTH);
    static const char *const header[] = {"GROUP", "TYPE", "STATE", "NODE", "FAILURES", "NOTE"};
    for (size_t i = 0; i < ARRAY_SIZE(header); i++)
        table_add(t, header[i]);
    size_t i;
    json_t *grp;
    json_array_foreach(groups, i, grp)
    {
        add_group_rows(t, st, grp);
    }
    putchar('\n');
    table_print(t, stdout);
    table_free(t);
}
