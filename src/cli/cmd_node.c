/* vigil node: put a node in standby, or online again; stop a node (planned downtime). */
#include "cli/change.h"
#include "cli/cli.h"
#include "cli/request.h"
#include "base/util.h"

#include <getopt.h>
#include <string.h>

/* A planned stop waits for the node's groups to move (vigild gives them 2 min) and for it to go. */
#define NODE_STOP_TIMEOUT_MS (5 * 60 * 1000)

static const char *const node_ops[] = {"standby", "online", "stop"};

static void node_usage(FILE *out)
{
    fprintf(out, "Usage: vigil node standby|online NODE [--json] [-s PATH]\n"
                 "       vigil node stop NODE [--now] [--json] [-s PATH]\n"
                 "Put NODE in standby: it runs no group, and the groups it runs move to other\n"
                 "nodes (for maintenance); or online again: it may run groups again. The node\n"
                 "stays a member of the cluster and keeps its vote either way. The command\n"
                 "returns once every member has applied and saved the change (vigild waits up\n"
                 "to 10 s for them).\n"
                 "\n"
                 "stop: planned downtime (patching, reboot). NODE's groups move to their next\n"
                 "eligible nodes first; once they run there, NODE's vigild stops Corosync and\n"
                 "leaves the cluster cleanly, so NODE is not fenced, and vigild exits. With\n"
                 "--now, NODE stops its groups at once without waiting for them to run\n"
                 "elsewhere (the cluster places them after it left). The same as SIGTERM to\n"
                 "vigild (systemctl stop vigild) on NODE. Returns once NODE has left.\n"
                 "\n"
                 "Options:\n"
                 "      --now          stop: stop the groups here at once, then leave\n"
                 "  -j, --json         print vigild's result object as JSON\n"
                 "  -s, --socket PATH  vigild's control socket (default: " CLI_DEFAULT_SOCKET ")\n"
                 "  -h, --help         show this help and exit\n"
                 "\n"
                 "Exit status: 0 applied by every member, 1 refused or failed (vigild's reason\n"
                 "on stderr), 2 usage error, 3 vigild unreachable or no answer within 30 s.\n");
}

static int node_stop(struct cli_globals *g, const char *node, bool now, bool json)
{
    json_t *req =
        json_pack("{s:s, s:s, s:s, s:b}", "cmd", "node", "op", "stop", "node", node, "now", now);
    json_t *res = NULL;
    int status = cli_request_timeout(g->socket_path, req, NODE_STOP_TIMEOUT_MS, &res, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;
    if (json) {
        json_dumpf(res, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
    } else {
        _cleanup_free_ char *what = xasprintf("node %s stopped", node);
        cli_fputs_safe(cli_jstr(res, "message", what), stdout);
    }
    putchar('\n');
    json_decref(res);
    return CLI_EXIT_OK;
}

/* vigil node. */
int cmd_node(int argc, char **argv, struct cli_globals *g)
{
    enum { OPT_NOW = 256 };
    static const struct option opts[] = {
        {"now", no_argument, NULL, OPT_NOW},
        {"json", no_argument, NULL, 'j'},
        {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool json = false, now = false;
    int c;
    while ((c = getopt_long(argc, argv, ":js:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_NOW:
            now = true;
            break;
        default: {
            int r = cli_common_opt("node", c, argv, g, &json, node_usage);
            if (r >= 0)
                return r;
        }
        }
    }
    if (optind == argc)
        return cli_usage_error("node", "which operation? give standby, online or stop");
    const char *op = argv[optind];
    if (cli_find_word(op, node_ops, ARRAY_SIZE(node_ops)) < 0) {
        /* Words of other cluster tools first: "offline" is closest to online, but means standby. */
        const char *best = strcmp(op, "offline") == 0 || strcmp(op, "maintenance") == 0 ? "standby"
                           : strcmp(op, "unstandby") == 0
                               ? "online"
                               : cli_suggest(op, node_ops, ARRAY_SIZE(node_ops));
        if (best)
            return cli_usage_error("node", "unknown operation '%s' (did you mean '%s'?)", op, best);
        if (optind + 1 < argc &&
            cli_find_word(argv[optind + 1], node_ops, ARRAY_SIZE(node_ops)) >= 0)
            return cli_usage_error("node",
                                   "unknown operation '%s' (did you mean 'vigil node %s %s'?)", op,
                                   argv[optind + 1], op);
        return cli_usage_error("node", "unknown operation '%s' (standby, online or stop)", op);
    }
    bool stop = strcmp(op, "stop") == 0;
    if (optind + 1 == argc)
        return cli_usage_error(
            "node",
            stop ? "which node? give one NODE to stop" : "which node? give one NODE to put %s", op);
    const char *node = argv[optind + 1];
    if (!*node)
        return cli_usage_error("node", "the node name is empty");
    optind += 2;
    if (cli_no_args("node", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (now && !stop)
        return cli_usage_error("node", "--now is only for stop");
    if (stop)
        return node_stop(g, node, now, json);

    json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "node", "op", op, "node", node);
    _cleanup_free_ char *what = xasprintf("node %s put %s", node, op);
    int status = cli_change(g->socket_path, req, json, what);
    json_decref(req);
    return status;
}
