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
        note_add(&note, "moved to %s", prefer);
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

static void add_group_rows(struct table *t, json_t *grp)
{
    char b[32];
    json_t *node = json_object_get(grp, "node");
    _cleanup_free_ char *note = group_note(grp);
    table_add(t, cli_jstr(grp, "name", "?"));
    table_add(t, NULL);
    table_add(t, group_state(grp, b));
    table_add(t, json_is_null(node) ? "-" : cli_jstr(grp, "node", "?"));
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
        add_group_rows(t, grp);
    }
    putchar('\n');
    table_print(t, stdout);
    table_free(t);
}
