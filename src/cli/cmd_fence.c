/* vigil fence: fence a node on demand, or confirm by hand that a node is off. */
#include "cli/cli.h"
#include "cli/request.h"

#include <getopt.h>
#include <string.h>

static void fence_usage(FILE *out)
{
    fprintf(out, "Usage: vigil fence NODE [--off | --reboot]\n"
                 "       vigil fence --confirm NODE\n"
                 "Fence NODE now: the coordinator of the cluster powers it off (or reboots it)\n"
                 "with its fencing levels. Refused without quorum. Follow the outcome with\n"
                 "'vigil events --follow'.\n"
                 "\n"
                 "With --confirm, state that NODE is known to be off (for when every fence\n"
                 "device is unreachable): it then counts as fenced, and its work may be\n"
                 "recovered. Confirming a node that still runs risks your data.\n"
                 "\n"
                 "Options:\n"
                 "      --off       power the node off (the default)\n"
                 "      --reboot    reboot the node instead\n"
                 "      --confirm   the node is known to be off; fence nothing\n"
                 "  -h, --help      show this help and exit\n");
}

/* vigil fence. */
int cmd_fence(int argc, char **argv, struct cli_globals *g)
{
    enum { OPT_OFF = 256, OPT_REBOOT, OPT_CONFIRM };
    static const struct option opts[] = {
        {"off", no_argument, NULL, OPT_OFF},
        {"reboot", no_argument, NULL, OPT_REBOOT},
        {"confirm", no_argument, NULL, OPT_CONFIRM},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *action = NULL;
    bool confirm = false;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_OFF:
        case OPT_REBOOT:
            if (action && strcmp(action, c == OPT_OFF ? "off" : "reboot") != 0)
                return cli_usage_error("fence", "--off and --reboot exclude each other");
            action = c == OPT_OFF ? "off" : "reboot";
            break;
        case OPT_CONFIRM:
            confirm = true;
            break;
        case 'h':
            fence_usage(stdout);
            return CLI_EXIT_OK;
        default:
            return cli_bad_option("fence", c, argv);
        }
    }
    if (confirm && action)
        return cli_usage_error("fence", "--confirm fences nothing: it takes no --off or --reboot");
    if (optind + 1 != argc)
        return cli_usage_error("fence", optind == argc ? "which node? give one NODE"
                                                       : "give exactly one NODE");
    const char *node = argv[optind];

    json_t *req = json_pack("{s:s, s:s, s:b}", "cmd", "fence", "node", node, "confirm", confirm);
    if (action)
        json_object_set_new(req, "action", json_string(action));
    json_t *res = NULL;
    int status = cli_request(g->socket_path, req, &res, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;
    if (confirm)
        printf("%s is recorded as off (confirmed by hand); its work may now be recovered.\n", node);
    else
        printf("fencing of %s (%s) requested; follow it with: vigil events --follow\n", node,
               action ? action : "the configured action");
    json_decref(res);
    return CLI_EXIT_OK;
}
