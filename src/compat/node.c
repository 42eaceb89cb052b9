/* crm_node and crm_resource: the cluster's nodes and a resource's meta attributes, from vigild. */
#include "compat/compat.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int compat_crm_node(int argc, char **argv)
{
    const char *prog = "crm_node";
    static const struct option opts[] = {
        {"name", no_argument, NULL, 'n'},
        {"partition", no_argument, NULL, 'p'},
        {"list", no_argument, NULL, 'l'},
        {"quorum", no_argument, NULL, 'q'},
        {"cluster-id", no_argument, NULL, 'i'},
        {"name-for-id", required_argument, NULL, 'N'},
        {"quiet", no_argument, NULL, 'Q'},
        {"verbose", no_argument, NULL, 'V'},
        {"version", no_argument, NULL, '$'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int cmd = 0;
    const char *for_id = NULL;
    opterr = 0;
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, ":nplqiN:QV$h", opts, NULL)) != -1) {
        switch (o) {
        case 'n':
        case 'p':
        case 'l':
        case 'q':
        case 'i':
            if (cmd && cmd != o)
                return compat_usage(prog, COMPAT_EX_USAGE, "give one command only");
            cmd = o;
            break;
        case 'N':
            cmd = 'N';
            for_id = optarg;
            break;
        case 'Q':
        case 'V':
            break;
        case 'h':
            printf("Usage: crm_node (-n | -p | -l | -q | -i | -N ID)\n"
                   "This node's name (-n), the members of its partition (-p), every node\n"
                   "(-l: ID NAME member|lost), quorum (-q: 1 or 0), this node's id (-i), the\n"
                   "name of node ID (-N), from vigild's status (vigil status).\n");
            return COMPAT_EX_OK;
        default:
            return compat_other_opt(prog, o, argv, COMPAT_EX_USAGE);
        }
    }
    if (optind < argc)
        return compat_usage(prog, COMPAT_EX_USAGE, "unexpected argument '%s'", argv[optind]);
    if (!cmd)
        return compat_usage(prog, COMPAT_EX_USAGE, "give a command: -n, -p, -l, -q, -i or -N");
    /* An agent's own node: vigil gave it (OCF_RESKEY_CRM_meta_on_node), as Pacemaker does. */
    const char *on_node = getenv("OCF_RESKEY_CRM_meta_on_node");
    if (cmd == 'n' && on_node && *on_node) {
        printf("%s\n", on_node);
        return COMPAT_EX_OK;
    }
    json_t *req = json_pack("{s:s}", "cmd", "status");
    json_t *st = NULL;
    int r = compat_request(prog, req, &st);
    json_decref(req);
    if (r != COMPAT_EX_OK)
        return r;
    json_t *nodes = json_object_get(st, "nodes");
    const char *local = json_string_value(json_object_get(st, "local_node"));
    size_t i;
    json_t *n;
    r = COMPAT_EX_OK;
    switch (cmd) {
    case 'n':
    case 'i':
        if (!local) {
            fprintf(stderr, "%s: this node is not connected to the cluster yet\n", prog);
            r = COMPAT_EX_DISCONNECT;
        } else if (cmd == 'n') {
            printf("%s\n", local);
        } else {
            printf("%" JSON_INTEGER_FORMAT "\n",
                   json_integer_value(json_object_get(st, "local_node_id")));
        }
        break;
    case 'q':
        printf("%d\n", json_is_true(json_object_get(st, "quorate")) ? 1 : 0);
        break;
    case 'p': {
        bool first = true;
        json_array_foreach(nodes, i, n)
        {
            const char *state = json_string_value(json_object_get(n, "state"));
            if (!state || strcmp(state, "online") != 0)
                continue;
            printf("%s%s", first ? "" : " ", json_string_value(json_object_get(n, "name")));
            first = false;
        }
        printf("\n");
        break;
    }
    case 'l':
        json_array_foreach(nodes, i, n)
        {
            const char *state = json_string_value(json_object_get(n, "state"));
            printf("%" JSON_INTEGER_FORMAT " %s %s\n", json_integer_value(json_object_get(n, "id")),
                   json_string_value(json_object_get(n, "name")),
                   state && strcmp(state, "online") == 0 ? "member" : "lost");
        }
        break;
    case 'N': {
        const char *name = NULL;
        json_array_foreach(nodes, i, n)
        {
            char buf[32];
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(json_object_get(n, "id")));
            if (strcmp(buf, for_id) == 0)
                name = json_string_value(json_object_get(n, "name"));
        }
        if (name) {
            printf("%s\n", name);
        } else {
            fprintf(stderr, "%s: no node with id %s\n", prog, for_id);
            r = COMPAT_EX_NOSUCH;
        }
        break;
    }
    }
    json_decref(st);
    return r;
}

int compat_crm_resource(int argc, char **argv)
{
    const char *prog = "crm_resource";
    static const struct option opts[] = {
        {"resource", required_argument, NULL, 'r'},
        {"meta", no_argument, NULL, 'm'},
        {"get-parameter", required_argument, NULL, 'g'},
        {"quiet", no_argument, NULL, 'Q'},
        {"verbose", no_argument, NULL, 'V'},
        {"version", no_argument, NULL, '$'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *resource = NULL, *param = NULL;
    bool meta = false;
    opterr = 0;
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, ":r:mg:QV$h", opts, NULL)) != -1) {
        switch (o) {
        case 'r':
            resource = optarg;
            break;
        case 'm':
            meta = true;
            break;
        case 'g':
            param = optarg;
            break;
        case 'Q':
        case 'V':
            break;
        case 'h':
            printf("Usage: crm_resource --resource R --meta --get-parameter NAME\n"
                   "A meta attribute of resource R as its vigil group stands for it: notify,\n"
                   "clone-max, clone-node-max, globally-unique, promotable, promoted-max,\n"
                   "master-max, promoted-node-max, master-node-max.\n");
            return COMPAT_EX_OK;
        default:
            return compat_other_opt(prog, o, argv, COMPAT_EX_USAGE);
        }
    }
    if (optind < argc)
        return compat_usage(prog, COMPAT_EX_USAGE, "unexpected argument '%s'", argv[optind]);
    if (!param || !meta)
        return compat_usage(prog, COMPAT_EX_USAGE, "only --meta --get-parameter NAME is supported");
    if (!resource)
        resource = getenv("OCF_RESOURCE_INSTANCE");
    if (!resource || !*resource)
        return compat_usage(prog, COMPAT_EX_USAGE, "no resource: give --resource R");
    _cleanup_free_ char *base = xstrdup(resource);
    char *colon = strchr(base, ':');
    if (colon)
        *colon = '\0';
    /*
     * An agent asking about its own resource: vigil gave it the meta
     * variables (OCF_RESKEY_CRM_meta_P, '-' written '_'), as Pacemaker does.
     * They are the answer, with no need of vigild (`vigil verify` runs
     * validate-all where vigild may not run).
     */
    const char *self = getenv("OCF_RESOURCE_INSTANCE");
    if (self && strncmp(self, base, strlen(base)) == 0 &&
        (self[strlen(base)] == '\0' || self[strlen(base)] == ':')) {
        _cleanup_free_ char *var = xasprintf("OCF_RESKEY_CRM_meta_%s", param);
        for (char *p = var + strlen("OCF_RESKEY_CRM_meta_"); *p; p++)
            if (*p == '-')
                *p = '_';
        const char *v = getenv(var);
        if (v) {
            printf("%s\n", v);
            return COMPAT_EX_OK;
        }
    }
    json_t *req = json_pack("{s:s, s:s}", "cmd", "resource", "name", base);
    json_t *res = NULL;
    int r = compat_request(prog, req, &res);
    json_decref(req);
    if (r != COMPAT_EX_OK)
        return r;
    const char *value = json_string_value(json_object_get(json_object_get(res, "meta"), param));
    if (value) {
        printf("%s\n", value);
    } else {
        fprintf(stderr, "%s: Attribute '%s' not found for '%s'\n", prog, param, base);
        r = COMPAT_EX_NOSUCH;
    }
    json_decref(res);
    return r;
}
