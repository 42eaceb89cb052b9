/* vigil-compat: dispatch by the name it is run as (or by its first argument). */
#include "compat/compat.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cli/client.h"

#define COMPAT_SOCKET     "/run/vigil/vigild.sock"
#define COMPAT_TIMEOUT_MS 30000

int compat_usage(const char *prog, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s (vigil): ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr,
            "\nvigil provides %s for resource agents, with the options they use only; "
            "see vigil(8), COMPATIBLE COMMANDS\n",
            prog);
    return code;
}

int compat_other_opt(const char *prog, int o, char **argv, int code)
{
    if (o == '$') {
        printf("%s (vigil %s, Pacemaker-compatible)\n", prog, VIGIL_VERSION);
        return COMPAT_EX_OK;
    }
    if (o == ':')
        return compat_usage(prog, code, "option '%s' requires an argument", argv[optind - 1]);
    return compat_usage(prog, code, "unknown option '%s'", argv[optind - 1]);
}

int compat_request(const char *prog, json_t *req, json_t **ret_result)
{
    const char *path = getenv("VIGIL_SOCKET");
    if (!path || !*path)
        path = COMPAT_SOCKET;
    struct client *c = NULL;
    int r = client_connect(path, &c);
    if (r < 0) {
        fprintf(stderr, "%s: cannot reach vigild at %s: %s\n", prog, path, strerror(-r));
        return COMPAT_EX_DISCONNECT;
    }
    json_t *reply = NULL;
    r = client_send(c, req);
    if (r == 0)
        r = client_recv(c, COMPAT_TIMEOUT_MS, NULL, &reply);
    client_close(c);
    if (r < 0 || !reply) {
        fprintf(stderr, "%s: no answer from vigild at %s: %s\n", prog, path,
                r == -EBADMSG ? "malformed reply" : strerror(r < 0 ? -r : EPIPE));
        json_decref(reply);
        return COMPAT_EX_DISCONNECT;
    }
    if (!json_is_true(json_object_get(reply, "ok"))) {
        const char *e = json_string_value(json_object_get(reply, "error"));
        fprintf(stderr, "%s: %s\n", prog, e ? e : "vigild refused the request");
        json_decref(reply);
        return COMPAT_EX_ERROR;
    }
    *ret_result = json_incref(json_object_get(reply, "result"));
    json_decref(reply);
    return *ret_result ? COMPAT_EX_OK : COMPAT_EX_ERROR;
}

static const char *const tools[] = {"crm_attribute", "crm_master", "attrd_updater", "crm_node",
                                    "crm_resource"};

/* Runs the tool called name, or returns -1 when there is none of that name. */
static int run_tool(const char *name, int argc, char **argv)
{
    if (strcmp(name, "crm_attribute") == 0 || strcmp(name, "crm_master") == 0)
        return compat_crm_attribute(argc, argv, strcmp(name, "crm_master") == 0);
    if (strcmp(name, "attrd_updater") == 0)
        return compat_attrd_updater(argc, argv);
    if (strcmp(name, "crm_node") == 0)
        return compat_crm_node(argc, argv);
    if (strcmp(name, "crm_resource") == 0)
        return compat_crm_resource(argc, argv);
    return -1;
}

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    const char *name = slash ? slash + 1 : argv[0];
    int r = run_tool(name, argc, argv);
    if (r >= 0)
        return r;
    /* vigil-compat TOOL ARGS... */
    if (argc > 1) {
        r = run_tool(argv[1], argc - 1, argv + 1);
        if (r >= 0)
            return r;
    }
    fprintf(stderr, "Usage: vigil-compat TOOL [OPTIONS], or run as one of:");
    for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
        fprintf(stderr, " %s", tools[i]);
    fprintf(stderr, "\nvigil's Pacemaker-compatible commands for resource agents; see vigil(8), "
                    "COMPATIBLE COMMANDS\n");
    return COMPAT_EX_USAGE;
}
