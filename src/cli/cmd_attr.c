/* vigil attr: set, get, delete or list the replicated node attributes. */
#include "cli/cli.h"
#include "cli/request.h"
#include "cli/table.h"
#include "base/util.h"

#include <getopt.h>
#include <string.h>
#include <strings.h>

static const char *const attr_ops[] = {"set", "get", "delete", "list"};

static void attr_usage(FILE *out)
{
    fprintf(out, "Usage: vigil attr set NAME VALUE [--node NODE] [--lifetime reboot|forever]\n"
                 "       vigil attr get NAME [--node NODE] [--json]\n"
                 "       vigil attr delete NAME [--node NODE] [--lifetime reboot|forever]\n"
                 "       vigil attr list [--node NODE] [--json]\n"
                 "Node attributes: values the cluster keeps per node, the same on every member\n"
                 "(resource agents keep their promotion scores there through crm_master and\n"
                 "crm_attribute). A change is applied by every member in order, only in a quorate\n"
                 "cluster; the command returns once it is applied and saved on this node, so a\n"
                 "get right after a set sees it.\n"
                 "\n"
                 "Operations:\n"
                 "  set NAME VALUE     set the attribute (default lifetime: reboot)\n"
                 "  get NAME           print its value (exit status 1 when it is not set)\n"
                 "  delete NAME        delete it (with --lifetime: only if it has that lifetime)\n"
                 "  list               every attribute of every node, or of --node NODE\n"
                 "\n"
                 "Options:\n"
                 "  -N, --node NODE    the node whose attribute it is (default: this node)\n"
                 "  -l, --lifetime L   reboot: forgotten when the node leaves the membership\n"
                 "                     (not written to disk); forever: kept until deleted\n"
                 "  -j, --json         print vigild's result as JSON (get, list)\n"
                 "  -s, --socket PATH  vigild's control socket (default: " CLI_DEFAULT_SOCKET ")\n"
                 "  -h, --help         show this help and exit\n"
                 "\n"
                 "Names: up to 128 letters, digits, '_', '-', '.' and ':'. Values: up to 1024\n"
                 "bytes without control characters. At most 64 attributes per node.\n"
                 "Exit status: 0 done, 1 refused, failed or (get) not set, 2 usage error,\n"
                 "3 vigild unreachable or no answer within 30 s.\n");
}

static int attr_list(struct cli_globals *g, const char *node, bool json)
{
    json_t *req = json_pack("{s:s, s:s}", "cmd", "attr", "op", "list");
    if (node)
        json_object_set_new(req, "node", json_string(node));
    json_t *res = NULL;
    int status = cli_request(g->socket_path, req, &res, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;
    json_t *list = json_object_get(res, "attributes");
    if (!json_is_array(list)) {
        json_decref(res);
        return cli_malformed("no \"attributes\" list");
    }
    if (json) {
        json_dumpf(list, stdout, JSON_INDENT(2));
        putchar('\n');
    } else if (json_array_size(list) == 0) {
        printf(node ? "node %s has no attributes\n" : "no node attributes\n", node);
    } else {
        struct table *t = table_new(4);
        const char *head[] = {"NODE", "NAME", "VALUE", "LIFETIME"};
        for (size_t i = 0; i < 4; i++)
            table_add(t, head[i]);
        size_t i;
        json_t *a;
        json_array_foreach(list, i, a)
        {
            table_add(t, cli_jstr(a, "node", "?"));
            table_add(t, cli_jstr(a, "name", "?"));
            table_add(t, cli_jstr(a, "value", ""));
            table_add(t, cli_jstr(a, "lifetime", "?"));
        }
        table_print(t, stdout);
        table_free(t);
    }
    json_decref(res);
    return CLI_EXIT_OK;
}

static int attr_get(struct cli_globals *g, const char *node, const char *name, bool json)
{
    json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "attr", "op", "get", "name", name);
    if (node)
        json_object_set_new(req, "node", json_string(node));
    json_t *res = NULL;
    int status = cli_request(g->socket_path, req, &res, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;
    const char *value = json_string_value(json_object_get(res, "value"));
    if (!value) {
        fflush(stdout);
        fputs("vigil: node ", stderr);
        cli_fputs_safe(cli_jstr(res, "node", node ? node : "?"), stderr);
        fputs(" has no attribute ", stderr);
        cli_fputs_safe(name, stderr);
        fputc('\n', stderr);
        json_decref(res);
        return CLI_EXIT_ERROR;
    }
    if (json)
        json_dumpf(res, stdout, JSON_INDENT(2));
    else
        cli_fputs_safe(value, stdout);
    putchar('\n');
    json_decref(res);
    return CLI_EXIT_OK;
}

static int attr_change(struct cli_globals *g, const char *op, const char *node, const char *name,
                       const char *value, const char *life, bool json)
{
    json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "attr", "op", op, "name", name);
    if (node)
        json_object_set_new(req, "node", json_string(node));
    if (value)
        json_object_set_new(req, "value", json_string(value));
    if (life)
        json_object_set_new(req, "lifetime", json_string(life));
    json_t *res = NULL;
    int status = cli_request_timeout(g->socket_path, req, CLI_CHANGE_TIMEOUT_MS, &res, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;
    if (json) {
        json_dumpf(res, stdout, JSON_INDENT(2));
    } else {
        _cleanup_free_ char *what = xasprintf("attribute %s: %s done", name, op);
        cli_fputs_safe(cli_jstr(res, "message", what), stdout);
    }
    putchar('\n');
    json_decref(res);
    return CLI_EXIT_OK;
}

/* vigil attr. */
int cmd_attr(int argc, char **argv, struct cli_globals *g)
{
    static const struct option opts[] = {
        {"node", required_argument, NULL, 'N'}, {"lifetime", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},       {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},       {0},
    };
    const char *node = NULL, *life = NULL;
    bool json = false;
    /*
     * A negative value (a promotion score: -1000, -INFINITY) is not an
     * option: it is moved after a "--". Only a VALUE can start with '-' (no
     * attribute name does), and it is the last word, so the order holds.
     */
    _cleanup_free_ char **args = xcalloc((size_t)argc + 2, sizeof(*args));
    int n = 0, n_neg = 0;
    char *neg[2] = {NULL, NULL};
    bool after_dashes = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool takes_arg =
            i > 0 &&
            (strcmp(argv[i - 1], "-N") == 0 || strcmp(argv[i - 1], "-l") == 0 ||
             strcmp(argv[i - 1], "-s") == 0 || strcmp(argv[i - 1], "--node") == 0 ||
             strcmp(argv[i - 1], "--lifetime") == 0 || strcmp(argv[i - 1], "--socket") == 0);
        after_dashes = after_dashes || strcmp(a, "--") == 0;
        bool negative =
            i > 0 && !after_dashes && !takes_arg && a[0] == '-' &&
            (strspn(a + 1, "0123456789") == strlen(a + 1) ? a[1] != '\0'
                                                          : strcasecmp(a + 1, "INFINITY") == 0);
        if (negative && n_neg < 2)
            neg[n_neg++] = argv[i];
        else
            args[n++] = argv[i];
    }
    if (n_neg) {
        if (!after_dashes)
            args[n++] = (char *)"--";
        for (int i = 0; i < n_neg; i++)
            args[n++] = neg[i];
    }
    argc = n;
    argv = args;
    int c;
    while ((c = getopt_long(argc, argv, ":N:l:js:h", opts, NULL)) != -1) {
        switch (c) {
        case 'N':
            if (!*optarg)
                return cli_usage_error("attr", "--node wants a node name");
            node = optarg;
            break;
        case 'l':
            if (strcmp(optarg, "reboot") != 0 && strcmp(optarg, "forever") != 0)
                return cli_usage_error("attr", "--lifetime must be reboot or forever, not '%s'",
                                       optarg);
            life = optarg;
            break;
        default: {
            int r = cli_common_opt("attr", c, argv, g, &json, attr_usage);
            if (r >= 0)
                return r;
        }
        }
    }
    if (optind == argc)
        return cli_usage_error("attr", "which operation? give one of set, get, delete, list");
    const char *op = argv[optind++];
    int k = cli_find_word(op, attr_ops, ARRAY_SIZE(attr_ops));
    if (k < 0) {
        const char *best = strcmp(op, "show") == 0 || strcmp(op, "query") == 0 ? "get"
                           : strcmp(op, "update") == 0                         ? "set"
                           : strcmp(op, "unset") == 0
                               ? "delete"
                               : cli_suggest(op, attr_ops, ARRAY_SIZE(attr_ops));
        if (best)
            return cli_usage_error("attr", "unknown operation '%s' (did you mean '%s'?)", op, best);
        return cli_usage_error("attr", "unknown operation '%s' (set, get, delete, list)", op);
    }
    bool list = k == 3, set = k == 0;
    if (life && (k == 1 || list))
        return cli_usage_error("attr", "--lifetime is only for set and delete");
    if (json && (set || k == 2))
        return cli_usage_error("attr", "--json is only for get and list");
    if (list) {
        if (cli_no_args("attr", argc, argv) != CLI_EXIT_OK)
            return CLI_EXIT_USAGE;
        return attr_list(g, node, json);
    }
    if (optind == argc)
        return cli_usage_error("attr", "which attribute? give its NAME to %s", op);
    const char *name = argv[optind++];
    if (!*name)
        return cli_usage_error("attr", "the attribute name is empty");
    const char *value = NULL;
    if (set) {
        if (optind == argc)
            return cli_usage_error("attr", "which value? give NAME and VALUE to set");
        value = argv[optind++];
    }
    if (cli_no_args("attr", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (k == 1)
        return attr_get(g, node, name, json);
    return attr_change(g, op, node, name, value, life, json);
}
