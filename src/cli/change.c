/* Requests that change the cluster, and how their outcome is shown. */
#include "cli/change.h"
#include "cli/cli.h"
#include "cli/request.h"

int cli_change(const char *socket_path, json_t *req, bool json, const char *what)
{
    json_t *res = NULL;
    int status = cli_request_timeout(socket_path, req, CLI_CHANGE_TIMEOUT_MS, &res, NULL);
    if (status != CLI_EXIT_OK)
        return status;

    if (json) {
        json_dumpf(res, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
        putchar('\n');
    } else {
        json_t *version = json_object_get(res, "version");
        cli_fputs_safe(cli_jstr(res, "message", what), stdout);
        if (json_is_integer(version))
            printf(" (cluster database version %" JSON_INTEGER_FORMAT ")",
                   json_integer_value(version));
        putchar('\n');
    }
    json_decref(res);
    return CLI_EXIT_OK;
}
