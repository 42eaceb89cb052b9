/*
 * crm_attribute, crm_master and attrd_updater on vigil's node attributes
 * (vigil attr): the options the Pacemaker agents use, Pacemaker's output.
 */
#include "compat/compat.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* What a command asks about one attribute. */
struct attr_cmd {
    const char *prog;
    const char *name;
    const char *node;  /* NULL: this node */
    const char *life;  /* NULL: the command's default */
    const char *value; /* update */
    const char *dflt;  /* query: the value shown when it is not set */
    bool query, del, quiet, all;
};

/* Asks vigild for the attribute; *ret_res owned by the caller. */
static int get(const struct attr_cmd *c, const char *node, json_t **ret_res)
{
    json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "attr", "op", "get", "name", c->name);
    if (node)
        json_object_set_new(req, "node", json_string(node));
    int r = compat_request(c->prog, req, ret_res);
    json_decref(req);
    return r;
}

/* Sets or deletes the attribute. */
static int change(const struct attr_cmd *c, const char *life)
{
    json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "attr", "op", c->del ? "delete" : "set",
                            "name", c->name);
    if (c->node)
        json_object_set_new(req, "node", json_string(c->node));
    if (!c->del)
        json_object_set_new(req, "value", json_string(c->value));
    if (!c->del && life)
        json_object_set_new(req, "lifetime", json_string(life));
    json_t *res = NULL;
    int r = compat_request(c->prog, req, &res);
    json_decref(req);
    json_decref(res);
    return r;
}

/* crm_attribute --query: "scope=status  name=N value=V" (-q: V alone). */
static int attribute_query(const struct attr_cmd *c, const char *life)
{
    json_t *res = NULL;
    int r = get(c, c->node, &res);
    if (r != COMPAT_EX_OK)
        return r;
    const char *value = json_string_value(json_object_get(res, "value"));
    const char *has = json_string_value(json_object_get(res, "lifetime"));
    const char *scope = strcmp(has    ? has
                               : life ? life
                                      : "forever",
                               "reboot") == 0
                            ? "status"
                            : "nodes";
    if (!value && !c->dflt) {
        json_decref(res);
        fprintf(stderr, "Error performing operation: No such device or address\n");
        return COMPAT_EX_NOSUCH;
    }
    if (!value)
        value = c->dflt;
    if (c->quiet)
        printf("%s\n", value);
    else
        printf("scope=%s  name=%s value=%s\n", scope, c->name, value);
    json_decref(res);
    return COMPAT_EX_OK;
}

static void attribute_usage(FILE *out, const char *prog, bool master)
{
    if (master)
        fprintf(out, "Usage: crm_master [-N NODE] [-l reboot|forever] (-G [-q] | -v VALUE | -D)\n"
                     "The promotion score master-RESOURCE (from -r or $OCF_RESOURCE_INSTANCE),\n");
    else
        fprintf(out, "Usage: crm_attribute -n NAME [-N NODE] [-l reboot|forever] (-G [-q] [-d "
                     "DEFAULT] | -v VALUE | -D)\n"
                     "       crm_attribute -p [RESOURCE] (-G [-q] | -v VALUE | -D)\n"
                     "A node attribute,\n");
    fprintf(out,
            "kept by vigil's node attributes (vigil attr). Options: -n/--name, -p/--promotion,\n"
            "-N/--node, -l/--lifetime, -G/--query, -v/--update, -D/--delete, -q/--quiet,\n"
            "-d/--default, -t/--type status|nodes, -r/--resource (crm_master), -i/--id,\n"
            "-s/--set-name (ignored), -V/--verbose, -$/--version, -h/--help.\n");
    (void)prog;
}

int compat_crm_attribute(int argc, char **argv, bool master)
{
    const char *prog = master ? "crm_master" : "crm_attribute";
    /* crm_master is a script in Pacemaker: its usage errors exit 1. */
    int usage_code = master ? COMPAT_EX_ERROR : COMPAT_EX_USAGE;
    enum { OPT_GET_VALUE = 256, OPT_DELETE_ATTR, OPT_ATTR_VALUE, OPT_ATTR_ID };
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"promotion", optional_argument, NULL, 'p'},
        {"node", required_argument, NULL, 'N'},
        {"uname", required_argument, NULL, 'U'},
        {"lifetime", required_argument, NULL, 'l'},
        {"update", required_argument, NULL, 'v'},
        {"attr-value", required_argument, NULL, OPT_ATTR_VALUE},
        {"query", no_argument, NULL, 'G'},
        {"get-value", no_argument, NULL, OPT_GET_VALUE},
        {"delete", no_argument, NULL, 'D'},
        {"delete-attr", no_argument, NULL, OPT_DELETE_ATTR},
        {"quiet", no_argument, NULL, 'q'},
        {"default", required_argument, NULL, 'd'},
        {"type", required_argument, NULL, 't'},
        {"resource", required_argument, NULL, 'r'},
        {"id", required_argument, NULL, 'i'},
        {"attr-id", required_argument, NULL, OPT_ATTR_ID},
        {"set-name", required_argument, NULL, 's'},
        {"verbose", no_argument, NULL, 'V'},
        {"version", no_argument, NULL, '$'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct attr_cmd c = {.prog = prog};
    const char *resource = master ? getenv("OCF_RESOURCE_INSTANCE") : NULL;
    const char *type = NULL;
    bool promotion = master;
    opterr = 0;
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, ":n:p::N:U:l:v:GDqQd:t:r:i:s:V$h", opts, NULL)) != -1) {
        switch (o) {
        case 'n':
            if (master)
                return compat_usage(prog, usage_code, "unknown option '%s'", argv[optind - 1]);
            c.name = optarg;
            break;
        case 'p':
            if (master)
                return compat_usage(prog, usage_code, "unknown option '%s'", argv[optind - 1]);
            promotion = true;
            resource = optarg ? optarg : getenv("OCF_RESOURCE_INSTANCE");
            break;
        case 'r':
            if (!master)
                return compat_usage(prog, usage_code, "unknown option '%s'", argv[optind - 1]);
            resource = optarg;
            break;
        case 'N':
        case 'U':
            c.node = optarg;
            break;
        case 'l':
            if (strcmp(optarg, "reboot") != 0 && strcmp(optarg, "forever") != 0)
                return compat_usage(prog, usage_code, "--lifetime must be reboot or forever");
            c.life = optarg;
            break;
        case 'v':
        case OPT_ATTR_VALUE:
            c.value = optarg;
            break;
        case 'G':
        case OPT_GET_VALUE:
            c.query = true;
            break;
        case 'D':
        case OPT_DELETE_ATTR:
            c.del = true;
            break;
        case 'q':
        case 'Q':
            c.quiet = true;
            break;
        case 'd':
            c.dflt = optarg;
            break;
        case 't':
            type = optarg;
            break;
        case 'i':
        case OPT_ATTR_ID:
        case 's':
        case 'V':
            break;
        case 'h':
            attribute_usage(stdout, prog, master);
            return COMPAT_EX_OK;
        default:
            return compat_other_opt(prog, o, argv, usage_code);
        }
    }
    if (optind < argc)
        return compat_usage(prog, usage_code, "unexpected argument '%s'", argv[optind]);
    _cleanup_free_ char *score = NULL;
    if (promotion) {
        if (!resource || !*resource)
            return compat_usage(prog, usage_code,
                                "No resource specified (give one, or set OCF_RESOURCE_INSTANCE)");
        /* An instance number of an anonymous clone (pgsqld:1) is not part of the name. */
        const char *colon = strchr(resource, ':');
        score = xasprintf("master-%.*s", (int)(colon ? colon - resource : (long)strlen(resource)),
                          resource);
        c.name = score;
    }
    if (!c.name)
        return compat_usage(prog, usage_code, "no attribute name: give -n NAME");
    if (type && strcmp(type, "status") != 0 && strcmp(type, "nodes") != 0)
        return compat_usage(prog, usage_code,
                            "only node attributes are supported (--type status or nodes), not "
                            "'%s'",
                            type);
    if (!c.node && !c.life && !type && !promotion)
        return compat_usage(prog, usage_code,
                            "cluster options are not supported: give --node or --lifetime for a "
                            "node attribute");
    int ncmd = (c.query ? 1 : 0) + (c.del ? 1 : 0) + (c.value ? 1 : 0);
    if (ncmd > 1)
        return compat_usage(prog, usage_code, "give one of --query, --update, --delete");
    /* The lifetime: -l, else --type (status: reboot), else reboot for --promotion, forever. */
    const char *life = c.life                                ? c.life
                       : type && strcmp(type, "status") == 0 ? "reboot"
                       : type                                ? "forever"
                       : promotion && !master                ? "reboot"
                                                             : "forever";
    if (ncmd == 0)
        c.query = true;
    if (c.query)
        return attribute_query(&c, life);
    return change(&c, life);
}

/* attrd_updater --query: name="N" host="H" value="V" per node. */
static int updater_query(const struct attr_cmd *c)
{
    if (!c->all) {
        json_t *res = NULL;
        int r = get(c, c->node, &res);
        if (r != COMPAT_EX_OK)
            return r;
        const char *value = json_string_value(json_object_get(res, "value"));
        if (!value) {
            fprintf(stderr,
                    "attrd_updater: Could not query value of %s: attribute does not "
                    "exist\n",
                    c->name);
            json_decref(res);
            return COMPAT_EX_NOSUCH;
        }
        printf("name=\"%s\" host=\"%s\" value=\"%s\"\n", c->name,
               json_string_value(json_object_get(res, "node")), value);
        json_decref(res);
        return COMPAT_EX_OK;
    }
    json_t *req = json_pack("{s:s, s:s}", "cmd", "attr", "op", "list");
    json_t *res = NULL;
    int r = compat_request(c->prog, req, &res);
    json_decref(req);
    if (r != COMPAT_EX_OK)
        return r;
    size_t i, found = 0;
    json_t *a;
    json_array_foreach(json_object_get(res, "attributes"), i, a)
    {
        if (strcmp(json_string_value(json_object_get(a, "name")), c->name) != 0)
            continue;
        printf("name=\"%s\" host=\"%s\" value=\"%s\"\n", c->name,
               json_string_value(json_object_get(a, "node")),
               json_string_value(json_object_get(a, "value")));
        found++;
    }
    json_decref(res);
    if (!found) {
        fprintf(stderr, "attrd_updater: Could not query value of %s: attribute does not exist\n",
                c->name);
        return COMPAT_EX_NOSUCH;
    }
    return COMPAT_EX_OK;
}

int compat_attrd_updater(int argc, char **argv)
{
    const char *prog = "attrd_updater";
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"update", required_argument, NULL, 'U'},
        {"update-both", required_argument, NULL, 'B'},
        {"update-delay", no_argument, NULL, 'Y'},
        {"query", no_argument, NULL, 'Q'},
        {"delete", no_argument, NULL, 'D'},
        {"refresh", no_argument, NULL, 'R'},
        {"delay", required_argument, NULL, 'd'},
        {"set", required_argument, NULL, 's'},
        {"node", required_argument, NULL, 'N'},
        {"all", no_argument, NULL, 'A'},
        {"lifetime", required_argument, NULL, 'l'},
        {"private", no_argument, NULL, 'p'},
        {"verbose", no_argument, NULL, 'V'},
        {"version", no_argument, NULL, '$'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct attr_cmd c = {.prog = prog};
    bool refresh = false, delay_only = false;
    opterr = 0;
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, ":n:U:B:YQDRd:s:N:Al:pV$h", opts, NULL)) != -1) {
        switch (o) {
        case 'n':
            c.name = optarg;
            break;
        case 'U':
        case 'B':
            c.value = optarg;
            break;
        case 'Y':
            delay_only = true;
            break;
        case 'Q':
            c.query = true;
            break;
        case 'D':
            c.del = true;
            break;
        case 'R':
            refresh = true;
            break;
        case 'N':
            c.node = optarg;
            break;
        case 'A':
            c.all = true;
            break;
        case 'd': /* dampening: vigil applies at once */
        case 's':
        case 'l': /* attrd's attributes are transient whatever it says (as in Pacemaker) */
        case 'p': /* private: a transient attribute, as every one of attrd_updater */
        case 'V':
            break;
        case 'h':
            printf("Usage: attrd_updater -n NAME (-U VALUE | -Q [-A] | -D) [-N NODE] [-p]\n"
                   "A transient node attribute, kept by vigil's node attributes (vigil attr).\n"
                   "Options: -n/--name, -U/--update, -B/--update-both, -Q/--query, -D/--delete,\n"
                   "-N/--node, -A/--all, -p/--private, -l/--lifetime, -d/--delay (ignored),\n"
                   "-R/--refresh (nothing to do), -V/--verbose, -$/--version, -h/--help.\n");
            return COMPAT_EX_OK;
        default:
            return compat_other_opt(prog, o, argv, COMPAT_EX_USAGE);
        }
    }
    if (optind < argc)
        return compat_usage(prog, COMPAT_EX_USAGE, "unexpected argument '%s'", argv[optind]);
    int ncmd = (c.query ? 1 : 0) + (c.del ? 1 : 0) + (c.value ? 1 : 0) + (refresh ? 1 : 0) +
               (delay_only ? 1 : 0);
    if (ncmd != 1)
        return compat_usage(prog, COMPAT_EX_USAGE,
                            "give one of --update, --query, --delete, --refresh");
    if (refresh || delay_only)
        return COMPAT_EX_OK; /* every value is applied at once: nothing to resend */
    if (!c.name)
        return compat_usage(prog, COMPAT_EX_USAGE, "--name is required");
    if (c.all && !c.query)
        return compat_usage(prog, COMPAT_EX_USAGE, "--all is only for --query");
    if (c.query)
        return updater_query(&c);
    return change(&c, "reboot");
}
