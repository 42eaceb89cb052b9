/* vigil cleanup: forget the failures of a group or of one of its resources. */
#include "cli/change.h"
#include "cli/cli.h"
#include "base/util.h"

#include <getopt.h>

static void cleanup_usage(FILE *out)
{
    fprintf(out, "Usage: vigil cleanup GROUP|RESOURCE [--json] [-s PATH]\n"
                 "Forget the failures of a group, or of one resource of it: the failure counts\n"
                 "and history, the nodes the group is banned from after failing there, and a\n"
                 "halt after a failure. The cluster then places the group afresh. The command\n"
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

/* vigil cleanup. */
int cmd_cleanup(int argc, char **argv, struct cli_globals *g)
{
    bool json = false;
    int r = cli_daemon_opts("cleanup", argc, argv, g, &json, cleanup_usage);
    if (r >= 0)
        return r;
    if (optind == argc)
        return cli_usage_error("cleanup", "which group or resource? give one name");
    const char *name = argv[optind];
    if (!*name)
        return cli_usage_error("cleanup", "the group or resource name is empty");
    optind++;
    if (cli_no_args("cleanup", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;

    json_t *req = json_pack("{s:s, s:s}", "cmd", "cleanup", "name", name);
    _cleanup_free_ char *what = xasprintf("%s cleaned up", name);
    int status = cli_change(g->socket_path, req, json, what);
    json_decref(req);
    return status;
}
