/*
 * vigil group: start, stop, move, fail over, promote, manage or unmanage a
 * resource group.
 */
#include "cli/change.h"
#include "cli/cli.h"
#include "cli/request.h"
#include "base/util.h"

#include <getopt.h>
#include <string.h>

static const char *const group_ops[] = {"start",   "stop",   "move",    "failover",
                                        "promote", "manage", "unmanage"};

static void group_usage(FILE *out)
{
    fprintf(out, "Usage: vigil group OPERATION GROUP [--to NODE | --on NODE] [--json] [-s PATH]\n"
                 "Change what the cluster does with a resource group. vigild records the\n"
                 "change in the cluster database; the command returns once every member has\n"
                 "applied and saved it (vigild waits up to 10 s for them). Follow what the\n"
                 "cluster then does with 'vigil events --follow'.\n"
                 "\n"
                 "Operations:\n"
                 "  start GROUP        run the group again, after a stop or a halt on failure\n"
                 "  stop GROUP         stop the group and keep it stopped\n"
                 "  move GROUP         move the group to the next eligible node, or with\n"
                 "                     --to NODE to that node\n"
                 "  failover GROUP     the same as move without --to\n"
                 "  promote GROUP      with --on NODE, a promotable group's switchover:\n"
                 "                     demote its primary, then promote the copy on NODE\n"
                 "  unmanage GROUP     leave the group's resources as they are: vigil no\n"
                 "                     longer starts, stops, recovers or moves them\n"
                 "  manage GROUP       take the group back under vigil's control\n"
                 "\n"
                 "Options:\n"
                 "      --to NODE      with move: the node to move the group to\n"
                 "      --on NODE      with promote: the node whose copy to promote\n"
                 "  -j, --json         print vigild's result object as JSON\n"
                 "  -s, --socket PATH  vigild's control socket (default: " CLI_DEFAULT_SOCKET ")\n"
                 "  -h, --help         show this help and exit\n"
                 "\n"
                 "Exit status: 0 applied by every member, 1 refused or failed (vigild's reason\n"
                 "on stderr), 2 usage error, 3 vigild unreachable or no answer within 30 s.\n");
}

/* The usage error for an operation word that is not one of group_ops. */
static int unknown_op(const char *op, int argc, char **argv)
{
    /* The words other cluster tools use for the same operations. */
    static const char *const aliases[][2] = {
        {"enable", "start"},       {"disable", "stop"}, {"migrate", "move"},
        {"relocate", "move"},      {"restart", NULL}, /* not start: it would not stop first */
        {"switchover", "promote"},
    };
    const char *best = NULL;
    bool alias = false;
    for (size_t i = 0; i < ARRAY_SIZE(aliases) && !alias; i++)
        if (strcmp(op, aliases[i][0]) == 0) {
            best = aliases[i][1];
            alias = true;
        }
    if (!alias)
        best = cli_suggest(op, group_ops, ARRAY_SIZE(group_ops));
    if (best)
        return cli_usage_error("group", "unknown operation '%s' (did you mean '%s'?)", op, best);
    /* The group first and the operation second: say how it is written. */
    if (optind + 1 < argc && cli_find_word(argv[optind + 1], group_ops, ARRAY_SIZE(group_ops)) >= 0)
        return cli_usage_error("group",
                               "unknown operation '%s' (did you mean 'vigil group %s %s'?)", op,
                               argv[optind + 1], op);
    return cli_usage_error(
        "group", "unknown operation '%s' (start, stop, move, failover, promote, manage, unmanage)",
        op);
}

/*
 * Refuses a promote at once when vigild's status shows that group is not
 * promotable. Returns CLI_EXIT_OK to go on (promotable, or a group the
 * status does not show: vigild then names what is wrong), CLI_EXIT_ERROR
 * after saying why not, or the status request's failure.
 */
static int check_promotable(const char *socket_path, const char *group, const char *node)
{
    json_t *req = json_pack("{s:s}", "cmd", "status");
    json_t *st = NULL;
    int status = cli_request(socket_path, req, &st, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;
    size_t i;
    json_t *grp;
    json_array_foreach(json_object_get(st, "groups"), i, grp)
    {
        if (!streq_null(cli_jstr(grp, "name", NULL), group))
            continue;
        /* A vigild that does not say runs single groups only. */
        const char *kind = cli_jstr(grp, "kind", "single");
        if (strcmp(kind, "promotable") == 0)
            break;
        if (strcmp(kind, "clone") == 0)
            cli_error("group %s is a clone, not promotable: its copies are alike and none is "
                      "promoted",
                      group);
        else
            cli_error("group %s is not promotable: it runs one copy (to run it on %s, use "
                      "'vigil group move %s --to %s')",
                      group, node, group, node);
        status = CLI_EXIT_ERROR;
        break;
    }
    json_decref(st);
    return status;
}

/*
 * vigil group promote GROUP --on NODE: vigild's move of a promotable group
 * is its switchover to NODE. Prints what was agreed, or the result object
 * with json.
 */
static int promote(const char *socket_path, const char *group, const char *node, bool json)
{
    int status = check_promotable(socket_path, group, node);
    if (status != CLI_EXIT_OK)
        return status;
    json_t *req =
        json_pack("{s:s, s:s, s:s, s:s}", "cmd", "group", "op", "move", "group", group, "to", node);
    if (json) {
        status = cli_change(socket_path, req, true, NULL);
        json_decref(req);
        return status;
    }
    json_t *res = NULL;
    status = cli_request_timeout(socket_path, req, CLI_CHANGE_TIMEOUT_MS, &res, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;
    _cleanup_free_ char *msg = xasprintf(
        "group %s: switchover to %s agreed: its primary is demoted, then %s's copy promoted "
        "(follow it with 'vigil events --follow')",
        group, node, node);
    cli_fputs_safe(msg, stdout);
    json_t *version = json_object_get(res, "version");
    if (json_is_integer(version))
        printf(" (cluster database version %" JSON_INTEGER_FORMAT ")", json_integer_value(version));
    putchar('\n');
    json_decref(res);
    return CLI_EXIT_OK;
}

/* vigil group. */
int cmd_group(int argc, char **argv, struct cli_globals *g)
{
    enum { OPT_TO = 256, OPT_ON };
    static const struct option opts[] = {
        {"to", required_argument, NULL, OPT_TO}, {"on", required_argument, NULL, OPT_ON},
        {"json", no_argument, NULL, 'j'},        {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},        {0},
    };
    const char *to = NULL, *on = NULL;
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, ":js:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_TO:
            if (to)
                return cli_usage_error("group", "--to is given twice");
            if (!*optarg)
                return cli_usage_error("group", "--to wants a node name");
            to = optarg;
            break;
        case OPT_ON:
            if (on)
                return cli_usage_error("group", "--on is given twice");
            if (!*optarg)
                return cli_usage_error("group", "--on wants a node name");
            on = optarg;
            break;
        default: {
            int r = cli_common_opt("group", c, argv, g, &json, group_usage);
            if (r >= 0)
                return r;
        }
        }
    }
    if (optind == argc)
        return cli_usage_error("group", "which operation? give one of start, stop, move, "
                                        "failover, promote, manage, unmanage");
    const char *op = argv[optind];
    if (cli_find_word(op, group_ops, ARRAY_SIZE(group_ops)) < 0)
        return unknown_op(op, argc, argv);
    if (optind + 1 == argc)
        return cli_usage_error("group", "which group? give one GROUP to %s", op);
    const char *group = argv[optind + 1];
    if (!*group)
        return cli_usage_error("group", "the group name is empty");
    optind += 2;
    if (cli_no_args("group", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (to && strcmp(op, "failover") == 0)
        return cli_usage_error("group",
                               "--to is only for move; failover picks the next eligible "
                               "node (use 'vigil group move %s --to %s')",
                               group, to);
    if (to && strcmp(op, "promote") == 0)
        return cli_usage_error("group",
                               "promote takes --on NODE, not --to ('vigil group promote "
                               "%s --on %s')",
                               group, to);
    if (to && strcmp(op, "move") != 0)
        return cli_usage_error("group", "--to is only for move, not for %s", op);
    if (on && strcmp(op, "move") == 0)
        return cli_usage_error("group",
                               "move takes --to NODE, not --on ('vigil group move %s "
                               "--to %s')",
                               group, on);
    if (on && strcmp(op, "promote") != 0)
        return cli_usage_error("group", "--on is only for promote, not for %s", op);
    if (strcmp(op, "promote") == 0) {
        if (!on)
            return cli_usage_error("group",
                                   "promote wants --on NODE: the node whose copy of "
                                   "group %s to promote",
                                   group);
        return promote(g->socket_path, group, on, json);
    }

    json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "group", "op", op, "group", group);
    if (to)
        json_object_set_new(req, "to", json_string(to));
    _cleanup_free_ char *what = xasprintf("group %s: %s done", group, op);
    int status = cli_change(g->socket_path, req, json, what);
    json_decref(req);
    return status;
}
