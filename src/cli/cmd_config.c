/* vigil config: show, compare, apply and reload the cluster's replicated configuration. */
#include "cli/cli.h"
#include "cli/request.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* An apply waits for every member to stop what it changes: allow for long stop timeouts. */
#define CONFIG_APPLY_TIMEOUT_MS (15 * 60 * 1000)
#define CONFIG_MAX_FILE         (4u * 1024 * 1024)

static void config_usage(FILE *out)
{
    fprintf(out,
            "Usage: vigil config show [--version N] [--json]\n"
            "       vigil config diff FILE [--json]\n"
            "       vigil config apply FILE [--force] [--json]\n"
            "       vigil config reload [--force] [--json]\n"
            "The cluster's configuration: one version of vigil.yaml on every member.\n"
            "\n"
            "  show    print the configuration the cluster runs (or kept version N); its\n"
            "          version and digest go to stderr\n"
            "  diff    check FILE as vigil verify does and list what applying it would\n"
            "          change: groups and resources added, removed or modified, and\n"
            "          where groups would stop or restart\n"
            "  apply   check FILE, send it to every member, stop on each node what it\n"
            "          removes or changes, and make it the new version everywhere\n"
            "          (written atomically, the previous file kept as vigil.yaml.bak).\n"
            "          Returns once every member has written it. Groups not changed keep\n"
            "          running untouched; added groups start; changed ones restart.\n"
            "  reload  apply the file vigild runs, after editing it in place (as SIGHUP)\n"
            "\n"
            "Options:\n"
            "      --version N    show kept version N instead of the current one\n"
            "  -f, --force        apply even changes that stop a running group or move it\n"
            "                     off its node (refused otherwise)\n"
            "  -j, --json         print vigild's result object as JSON\n"
            "  -s, --socket PATH  vigild's control socket (default: " CLI_DEFAULT_SOCKET ")\n"
            "  -h, --help         show this help and exit\n"
            "\n"
            "Nodes, networks, heartbeat, engine, key, quorum.tie_breaker, fencing and\n"
            "resources.ocf_root cannot change on a running cluster: stop vigild on every\n"
            "node, put the same file on each, and start them again.\n"
            "\n"
            "Exit status: 0 done (diff: whether or not anything changes), 1 invalid,\n"
            "refused or failed (the reason on stderr), 2 usage error, 3 vigild unreachable.\n");
}

static void print_json(json_t *res)
{
    json_dumpf(res, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
    putchar('\n');
}

static const char *short_hash(json_t *o, const char *key, char buf[static 16])
{
    snprintf(buf, 16, "%.12s", cli_jstr(o, key, "?"));
    return buf;
}

/* One line per changed group, as `vigil config diff` shows them. */
static void print_diff(json_t *res, const char *file)
{
    char h[16];
    json_t *diff = json_object_get(res, "diff");
    printf("%s compared with the running configuration, version %" JSON_INTEGER_FORMAT
           " (sha256 %s):\n",
           file, json_integer_value(json_object_get(res, "version")), short_hash(res, "sha256", h));
    size_t i, k;
    json_t *gd, *x;
    json_array_foreach(json_object_get(diff, "groups"), i, gd)
    {
        const char *change = cli_jstr(gd, "change", "?");
        json_t *on = json_object_get(gd, "runs_on");
        char sign = strcmp(change, "added") == 0 ? '+' : strcmp(change, "removed") == 0 ? '-' : '~';
        printf("  %c group ", sign);
        cli_fputs_safe(cli_jstr(gd, "name", "?"), stdout);
        printf(": %s", change);
        const char *sep = ": ";
        if (json_is_true(json_object_get(gd, "settings"))) {
            printf("%splacement settings (domain, policy, failback, restarts, priority, "
                   "relationships or load)",
                   sep);
            sep = ", ";
        }
        if (json_is_true(json_object_get(gd, "order"))) {
            printf("%sresource order", sep);
            sep = ", ";
        }
        json_array_foreach(json_object_get(gd, "resources"), k, x)
        {
            printf("%sresource ", sep);
            cli_fputs_safe(cli_jstr(x, "name", "?"), stdout);
            printf(" %s", cli_jstr(x, "change", "?"));
            sep = ", ";
        }
        if (strcmp(change, "added") == 0)
            printf(" (starts once applied)");
        const char *from = cli_jstr(gd, "restart_from", NULL);
        json_array_foreach(on, k, x)
        {
            printf(k == 0 ? " (runs on %s" : ", %s", json_string_value(x));
            if (k + 1 < json_array_size(on))
                continue;
            if (strcmp(change, "removed") == 0)
                printf(": stops)");
            else if (from)
                printf(": restarts from resource %s)", from);
            else
                printf(": keeps running)");
        }
        putchar('\n');
    }
    if (json_is_true(json_object_get(diff, "no_quorum")))
        printf("  ~ quorum.no_quorum: modified\n");
    if (json_is_true(json_object_get(diff, "hooks")))
        printf("  ~ hooks: modified\n");
    if (json_is_true(json_object_get(diff, "capacity")))
        printf("  ~ nodes.capacity: modified (placement only: nothing restarts)\n");
    json_array_foreach(json_object_get(res, "breaking"), i, x)
    {
        printf("  ! refused without --force: ");
        cli_fputs_safe(json_string_value(x), stdout);
        putchar('\n');
    }
    const char *w = cli_jstr(res, "warnings", "");
    if (*w) {
        cli_fputs_safe(w, stderr);
        fputc('\n', stderr);
    }
    if (!json_is_true(json_object_get(res, "changed")))
        printf("  no change\n");
}

static int read_text(const char *path, char **ret)
{
    size_t len;
    int r = read_file(path, CONFIG_MAX_FILE, ret, &len);
    if (r < 0) {
        cli_error("cannot read %s: %s", path, r == -EFBIG ? "file too large" : strerror(-r));
        return CLI_EXIT_ERROR;
    }
    if (strlen(*ret) != len) {
        free(*ret);
        cli_error("%s contains a NUL byte: not a configuration file", path);
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

static int config_show(struct cli_globals *g, long long version, bool json)
{
    json_t *req = json_pack("{s:s, s:s}", "cmd", "config", "op", "show");
    if (version > 0)
        json_object_set_new(req, "version", json_integer(version));
    json_t *res = NULL;
    int status = cli_request(g->socket_path, req, &res, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;
    if (json) {
        print_json(res);
    } else {
        char h[16], when[32] = "?";
        json_t *at = json_object_get(res, "applied_ms");
        if (json_is_integer(at))
            time_format_wall_ms((uint64_t)json_integer_value(at), when);
        fputs(cli_jstr(res, "text", ""), stdout);
        if (json_is_true(json_object_get(res, "current")))
            fprintf(stderr,
                    "vigil: version %" JSON_INTEGER_FORMAT " (sha256 %s), applied %s from %s; "
                    "the file is %s\n",
                    json_integer_value(json_object_get(res, "version")),
                    short_hash(res, "sha256", h), when, cli_jstr(res, "from", "?"),
                    cli_jstr(res, "file", "?"));
        else
            fprintf(stderr,
                    "vigil: version %" JSON_INTEGER_FORMAT " (sha256 %s), kept on this "
                    "node; not the current version\n",
                    json_integer_value(json_object_get(res, "version")),
                    short_hash(res, "sha256", h));
    }
    json_decref(res);
    return CLI_EXIT_OK;
}

/* diff, apply and reload: the request, and how its answer is shown. */
static int config_change(struct cli_globals *g, const char *op, const char *file, bool force,
                         bool json)
{
    json_t *req = json_pack("{s:s, s:s}", "cmd", "config", "op", op);
    if (file) {
        char *text = NULL;
        int r = read_text(file, &text);
        if (r != CLI_EXIT_OK) {
            json_decref(req);
            return r;
        }
        json_object_set_new(req, "text", json_string(text));
        json_object_set_new(req, "name", json_string(file));
        free(text);
        if (!json_object_get(req, "text")) {
            json_decref(req);
            cli_error("%s is not valid UTF-8: not a configuration file", file);
            return CLI_EXIT_ERROR;
        }
    }
    if (strcmp(op, "diff") != 0)
        json_object_set_new(req, "force", json_boolean(force));
    json_t *res = NULL;
    int status = cli_request_timeout(
        g->socket_path, req,
        strcmp(op, "diff") == 0 ? CLI_REPLY_TIMEOUT_MS : CONFIG_APPLY_TIMEOUT_MS, &res, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;
    if (json) {
        print_json(res);
    } else if (strcmp(op, "diff") == 0) {
        print_diff(res, file);
    } else {
        char h[16];
        if (json_object_get(res, "diff")) /* nothing to apply */
            cli_fputs_safe(cli_jstr(res, "message", "no change"), stdout);
        else
            printf("configuration version %" JSON_INTEGER_FORMAT " (sha256 %s) applied: %s",
                   json_integer_value(json_object_get(res, "version")),
                   short_hash(res, "sha256", h), cli_jstr(res, "message", ""));
        putchar('\n');
    }
    json_decref(res);
    return CLI_EXIT_OK;
}

/* vigil config. */
int cmd_config(int argc, char **argv, struct cli_globals *g)
{
    enum { OPT_VERSION = 256 };
    static const struct option opts[] = {
        {"version", required_argument, NULL, OPT_VERSION},
        {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    long long version = 0;
    bool json = false, force = false;
    int c;
    while ((c = getopt_long(argc, argv, ":fjs:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_VERSION: {
            char *end;
            errno = 0;
            version = strtoll(optarg, &end, 10);
            if (errno || *end || end == optarg || version < 1)
                return cli_usage_error("config", "--version wants a version number, not '%s'",
                                       optarg);
            break;
        }
        case 'f':
            force = true;
            break;
        default: {
            int r = cli_common_opt("config", c, argv, g, &json, config_usage);
            if (r >= 0)
                return r;
        }
        }
    }
    if (optind == argc)
        return cli_usage_error("config", "what? give one of show, diff, apply, reload");
    const char *op = argv[optind++];
    bool wants_file = strcmp(op, "diff") == 0 || strcmp(op, "apply") == 0;
    if (!wants_file && strcmp(op, "show") != 0 && strcmp(op, "reload") != 0)
        return cli_usage_error("config", "unknown operation '%s' (show, diff, apply, reload)", op);
    const char *file = NULL;
    if (wants_file) {
        if (optind == argc)
            return cli_usage_error("config", "which file? give the configuration FILE to %s", op);
        file = argv[optind++];
    }
    if (cli_no_args("config", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (version && strcmp(op, "show") != 0)
        return cli_usage_error("config", "--version is only for show");
    if (force && strcmp(op, "apply") != 0 && strcmp(op, "reload") != 0)
        return cli_usage_error("config", "--force is only for apply and reload");
    if (strcmp(op, "show") == 0)
        return config_show(g, version, json);
    return config_change(g, op, file, force, json);
}
