/* vigil status: the cluster as vigild on this node sees it. */
#include "cli/cli.h"
#include "cli/request.h"
#include "cli/status.h"
#include "cli/table.h"
#include "base/util.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

static void status_usage(FILE *out)
{
    fprintf(out, "Usage: vigil status [--json] [-s PATH]\n"
                 "Show the cluster as vigild on this node sees it: quorum, votes, the\n"
                 "coordinator, the engine (Corosync), every node with its links (and, for\n"
                 "nodes with a capacity, what the groups placed there use of it), and every\n"
                 "resource group with its resources, where it runs and its failures. For\n"
                 "clone and promotable groups, NODE says where the copies run and how:\n"
                 "\"primary n1, replicas n2 n3, FAILED n4\".\n"
                 "\n"
                 "Options:\n"
                 "  -j, --json         print vigild's status object as JSON\n"
                 "  -s, --socket PATH  vigild's control socket (default: " CLI_DEFAULT_SOCKET ")\n"
                 "  -h, --help         show this help and exit\n"
                 "\n"
                 "Exit status: 0 ok, 1 error, 2 usage error, 3 vigild unreachable.\n");
}

/* The millisecond duration member key of o, as vigil.yaml spells durations. */
static const char *jdur(json_t *o, const char *key, char buf[static 32])
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return "?";
    return dur_format((uint64_t)json_integer_value(v), buf);
}

/* Prints "LABEL  value" with the label column aligned and value sanitised. */
static void field(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void field(const char *label, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *value = xvasprintf(fmt, ap);
    va_end(ap);
    printf("%-13s", label);
    cli_fputs_safe(value, stdout);
    putchar('\n');
}

static void print_engine(json_t *engine)
{
    const char *state = cli_jstr(engine, "state", "?");
    const char *mode = cli_jstr(engine, "mode", "?");
    const char *shown = state;
    if (strcmp(state, "lost") == 0)
        shown = "LOST, Corosync died and is being restarted";
    else if (strcmp(state, "stopped") == 0)
        shown = "STOPPED";

    json_t *restarts = json_object_get(engine, "restarts");
    if (json_is_integer(restarts)) {
        json_int_t n = json_integer_value(restarts);
        field("Engine:", "%s (%s, %" JSON_INTEGER_FORMAT " %s)", shown, mode, n,
              n == 1 ? "restart" : "restarts");
    } else {
        field("Engine:", "%s (%s)", shown, mode);
    }
}

static void print_header(json_t *st)
{
    char b1[32], b2[32], b3[32];

    field("Cluster:", "%s (vigild %s, protocol %s)", cli_jstr(st, "cluster", "?"),
          cli_jstr(st, "version", "?"), cli_jint(st, "protocol", b1));
    json_t *config = json_object_get(st, "config");
    if (json_is_object(config))
        field("Config:", "version %s (sha256 %.12s), %s%s", cli_jint(config, "version", b1),
              cli_jstr(config, "sha256", "?"), cli_jstr(config, "state", "?"),
              json_is_true(json_object_get(config, "edited")) ? ", edited by hand" : "");

    json_t *votes = json_object_get(st, "votes");
    json_t *quorate = json_object_get(st, "quorate");
    const char *q =
        json_is_boolean(quorate) ? (json_is_true(quorate) ? "QUORATE" : "NOT QUORATE") : "UNKNOWN";
    field("Quorum:", "%s (votes: %s total, %s expected, %s needed)", q,
          cli_jint(votes, "total", b1), cli_jint(votes, "expected", b2),
          cli_jint(votes, "needed", b3));

    const char *local = cli_jstr(st, "local_node", NULL);
    if (local)
        field("Local node:", "%s (id %s)", local, cli_jint(st, "local_node_id", b1));
    else
        field("Local node:", "unknown (not connected to Corosync)");

    const char *coord = cli_jstr(st, "coordinator", NULL);
    if (coord)
        field("Coordinator:", "%s", coord);
    else
        field("Coordinator:", "none (no quorum)");

    print_engine(json_object_get(st, "engine"));

    json_t *hb = json_object_get(st, "heartbeat");
    field("Heartbeat:", "%s x %s misses = %s timeout", jdur(hb, "interval_ms", b1),
          cli_jint(hb, "misses", b2), jdur(hb, "token_ms", b3));

    json_t *fencing = json_object_get(st, "fencing");
    if (!json_is_object(fencing))
        return;
    if (json_array_size(json_object_get(st, "nodes")) == 1)
        field("Fencing:", "not used: a one-node cluster restarts its groups in place");
    else if (json_is_true(json_object_get(fencing, "enabled")))
        field("Fencing:", "enabled (action %s)", cli_jstr(fencing, "action", "?"));
    else if (json_is_true(json_object_get(fencing, "unsafe_recovery")))
        field("Fencing:", "DISABLED, UNSAFE RECOVERY: a failed node's services may start "
                          "elsewhere while it still runs them");
    else
        field("Fencing:", "DISABLED: a failed node's services are not recovered until it returns");
}

/* The FENCE cell: "-" when clean, "UNCLEAN", "FENCING" (under way) or "fenced". */
static const char *fence_cell(json_t *node)
{
    json_t *fence = json_object_get(node, "fence");
    if (!json_is_object(fence))
        return "?";
    const char *state = cli_jstr(fence, "state", "?");
    if (json_is_true(json_object_get(fence, "running")))
        return "FENCING";
    if (strcmp(state, "clean") == 0)
        return "-";
    if (strcmp(state, "unclean") == 0)
        return "UNCLEAN";
    return state;
}

/* Why a node is unclean or fenced, one line each, under the table. */
static void print_fence_notes(json_t *st)
{
    size_t i;
    json_t *node;
    json_array_foreach(json_object_get(st, "nodes"), i, node)
    {
        json_t *fence = json_object_get(node, "fence");
        const char *state = cli_jstr(fence, "state", "clean");
        const char *note = cli_jstr(fence, "note", NULL);
        if (strcmp(state, "clean") == 0)
            continue;
        printf("\n%s is %s: ", cli_jstr(node, "name", "?"), state);
        cli_fputs_safe(note ? note
                            : "it left without a clean shutdown and is not fenced yet; nothing of "
                              "it is recovered until it is",
                       stdout);
        putchar('\n');
    }
}

/* "up", "DOWN", "-" (node offline) or "?" (no such link reported) for one cell. */
static const char *link_state(json_t *node, bool online, const char *network)
{
    if (!online)
        return "-";
    size_t i;
    json_t *link;
    json_array_foreach(json_object_get(node, "links"), i, link)
    {
        if (streq_null(cli_jstr(link, "network", NULL), network))
            return json_is_true(json_object_get(link, "up")) ? "up" : "DOWN";
    }
    return "?";
}

/* "(local, coordinator, standby)" or any part of it (owned), or NULL for none. */
static char *node_notes(bool local, bool coordinator, bool standby)
{
    const char *parts[3];
    size_t n = 0;
    if (local)
        parts[n++] = "local";
    if (coordinator)
        parts[n++] = "coordinator";
    if (standby)
        parts[n++] = "standby";
    if (n == 0)
        return NULL;
    return xasprintf("(%s%s%s%s%s)", parts[0], n > 1 ? ", " : "", n > 1 ? parts[1] : "",
                     n > 2 ? ", " : "", n > 2 ? parts[2] : "");
}

/* A node's configuration version: "7", "7!" when its content differs from ours, "-" unknown. */
static char *config_cell(json_t *st, json_t *node, bool online)
{
    json_t *c = json_object_get(node, "config");
    if (!online || !json_is_object(c))
        return xstrdup("-");
    const char *ours = cli_jstr(json_object_get(st, "config"), "sha256", "");
    char b[32];
    return xasprintf("%s%s", cli_jint(c, "version", b),
                     strcmp(cli_jstr(c, "sha256", ""), ours) != 0 ? "!" : "");
}

/* Whether any node of the status declares a capacity (the CAPACITY column is shown then). */
static bool any_capacity(json_t *st)
{
    size_t i;
    json_t *node;
    json_array_foreach(json_object_get(st, "nodes"), i, node)
    {
        if (json_is_object(json_object_get(node, "capacity")))
            return true;
    }
    return false;
}

/*
 * A node's CAPACITY cell (owned): "memory 12/16, cpu 2/8" (used/total of each
 * name), or "-" for a node without capacity (not limited).
 */
static char *capacity_cell(json_t *node)
{
    json_t *cap = json_object_get(node, "capacity");
    if (!json_is_object(cap))
        return xstrdup("-");
    char *out = xstrdup("");
    const char *name;
    json_t *v;
    json_object_foreach(cap, name, v)
    {
        char b1[32], b2[32];
        char *next = xasprintf("%s%s%s %s/%s", out, *out ? ", " : "", name, cli_jint(v, "used", b1),
                               cli_jint(v, "total", b2));
        free(out);
        out = next;
    }
    return out;
}

static void print_nodes(json_t *st)
{
    json_t *networks = json_object_get(st, "networks");
    const char *coord = cli_jstr(st, "coordinator", NULL);
    size_t nnet = json_array_size(networks);
    bool capacity = any_capacity(st);
    struct table *t = table_new(4 + nnet + 3 + capacity);
    size_t i, j;
    json_t *node, *net;

    table_add(t, "NODE");
    table_add(t, "ID");
    table_add(t, "STATE");
    table_add(t, "FENCE");
    json_array_foreach(networks, j, net)
    {
        table_add(t, json_is_string(net) ? json_string_value(net) : "?");
    }
    table_add(t, "VIGILD");
    table_add(t, "CONFIG");
    if (capacity)
        table_add(t, "CAPACITY");
    table_add(t, NULL);

    json_array_foreach(json_object_get(st, "nodes"), i, node)
    {
        char b[32];
        const char *name = cli_jstr(node, "name", "?");
        const char *state = cli_jstr(node, "state", "?");
        bool online = strcmp(state, "online") == 0;
        bool local = json_is_true(json_object_get(node, "local"));
        bool is_coord = coord && strcmp(coord, name) == 0;
        bool standby = json_is_true(json_object_get(node, "standby"));

        table_add(t, name);
        table_add(t, cli_jint(node, "id", b));
        table_add(t, strcmp(state, "offline") == 0 ? "OFFLINE"
                     : online && standby           ? "standby"
                                                   : state);
        table_add(t, fence_cell(node));
        json_array_foreach(networks, j, net)
        {
            table_add(t, link_state(node, online, json_string_value(net)));
        }
        table_add(t, online ? cli_jstr(node, "version", "?") : "-");
        _cleanup_free_ char *cv = config_cell(st, node, online);
        table_add(t, cv);
        if (capacity) {
            _cleanup_free_ char *cc = capacity_cell(node);
            table_add(t, cc);
        }
        /* An offline node's standby would not show otherwise. */
        _cleanup_free_ char *notes = node_notes(local, is_coord, standby && !online);
        table_add(t, notes);
    }
    table_print(t, stdout);
    table_free(t);
    print_fence_notes(st);
}

/* vigil status. */
int cmd_status(int argc, char **argv, struct cli_globals *g)
{
    bool json = false;
    int r = cli_daemon_opts("status", argc, argv, g, &json, status_usage);
    if (r >= 0)
        return r;
    if (cli_no_args("status", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;

    json_t *req = json_pack("{s:s}", "cmd", "status");
    json_t *st = NULL;
    int status = cli_request(g->socket_path, req, &st, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;

    if (!json_is_object(st)) {
        status = cli_malformed("the status is not a JSON object");
    } else if (json) {
        json_dumpf(st, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        print_header(st);
        putchar('\n');
        print_nodes(st);
        status_print_groups(st);
    }
    json_decref(st);
    return status;
}
