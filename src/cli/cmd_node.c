/* vigil node: put a node in standby, or online again. */
#include "cli/change.h"
#include "cli/cli.h"
#include "base/util.h"

#include <getopt.h>
#include <string.h>

static const char *const node_ops[] = {"standby", "online"};

static void node_usage(FILE *out)
{
    fprintf(out, "Usage: vigil node standby|online NODE [--json] [-s PATH]\n"
                 "Put NODE in standby: it runs no group, and the groups it runs move to other\n"
                 "nodes (for maintenance); or online again: it may run groups again. The node\n"
                 "stays a member of the cluster and keeps its vote either way. The command\n"
                 "returns once every member has applied and saved the change (vigild waits up\n"
                 "to 10 s for them).\n"
                 "\n"
                 "Options:\n"
                 "  -j, --json         print vigild's result object as JSON\n"
                 "  -s, --socket PATH  vigild's control socket (default: " CLI_DEFAULT_SOCKET ")\n"
                 "  -h, --help         show this help and exit\n"
                 "\n"
                 "Exit status: 0 applied by every member, 1 refused or failed (vigild's reason\n"
                 "on stderr), 2 usage error, 3 vigild unreachable or no answer within 30 s.\n");
}

/* vigil node. */
int cmd_node(int argc, char **argv, struct cli_globals *g)
{
    bool json = false;
    int r = cli_daemon_opts("node", argc, argv, g, &json, node_usage);
    if (r >= 0)
        return r;
    if (optind == argc)
        return cli_usage_error("node", "which operation? give standby or online");
    const char *op = argv[optind];
    if (cli_find_word(op, node_ops, ARRAY_SIZE(node_ops)) < 0) {
        /* Words of other cluster tools first: "offline" is closest to online, but means standby. */
        const char *best = strcmp(op, "offline") == 0 || strcmp(op, "maintenance") == 0 ? "standby"
                           : strcmp(op, "unstandby") == 0
                               ? "online"
                               : cli_suggest(op, node_ops, ARRAY_SIZE(node_ops));
        if (best)
            return cli_usage_error("node", "unknown operation '%s' (did you mean '%s'?)", op, best);
        if (optind + 1 < argc && cli_find_word(argv[optind + 1], node_ops, 2) >= 0)
            return cli_usage_error("node",
                                   "unknown operation '%s' (did you mean 'vigil node %s %s'?)", op,
                                   argv[optind + 1], op);
        return cli_usage_error("node", "unknown operation '%s' (standby or online)", op);
    }
    if (optind + 1 == argc)
        return cli_usage_error("node", "which node? give one NODE to put %s", op);
    const char *node = argv[optind + 1];
    if (!*node)
        return cli_usage_error("node", "the node name is empty");
    optind += 2;
    if (cli_no_args("node", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;

    json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "node", "op", op, "node", node);
    _cleanup_free_ char *what = xasprintf("node %s put %s", node, op);
    int status = cli_change(g->socket_path, req, json, what);
    json_decref(req);
    return status;
}
