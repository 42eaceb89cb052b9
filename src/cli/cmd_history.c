/* vigil history: the persisted event history, readable after restarts. */
#include "cli/cli.h"
#include "cli/request.h"
#include "base/util.h"

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <time.h>

static void history_usage(FILE *out)
{
    fprintf(out, "Usage: vigil history [--since T] [--until T] [--group G] [--node N]\n"
                 "                     [--type EVENT] [--limit N] [--utc] [--json] [-s PATH]\n"
                 "Show the events this node's vigild has recorded on disk, oldest first, as\n"
                 "`vigil events` prints them. Unlike `vigil events`, the history survives\n"
                 "restarts of vigild and of the node; it keeps about the last 2 MB of events.\n"
                 "Events of groups, fencing and admin commands are the same on every node that\n"
                 "was a member when they happened.\n"
                 "\n"
                 "Options:\n"
                 "      --since T      only events at or after T\n"
                 "      --until T      only events at or before T\n"
                 "                     T: a time, local unless it ends in Z (2026-11-22 10:00,\n"
                 "                     2026-11-22T10:00:00Z), or how long ago (90s, 15m, 2h, 3d)\n"
                 "      --group G      only events of group G\n"
                 "      --node N       only events about node N\n"
                 "      --type EVENT   only events of that type (node_left, group_moved, ...)\n"
                 "      --limit N      the newest N events (default 1000)\n"
                 "  -u, --utc          show times in UTC, not local time\n"
                 "  -j, --json         print the events as a JSON array\n"
                 "  -s, --socket PATH  vigild's control socket (default: " CLI_DEFAULT_SOCKET ")\n"
                 "  -h, --help         show this help and exit\n"
                 "\n"
                 "Exit status: 0 ok, 1 error, 2 usage error, 3 vigild unreachable.\n");
}

/* "90s", "15m", "2h", "3d" ago: milliseconds, or -1. */
static long long parse_ago(const char *s)
{
    char *end;
    long long n = strtoll(s, &end, 10);
    if (end == s || n < 0 || end[0] == '\0' || end[1] != '\0')
        return -1;
    long long unit = *end == 's'   ? 1000LL
                     : *end == 'm' ? 60000LL
                     : *end == 'h' ? 3600000LL
                     : *end == 'd' ? 86400000LL
                                   : 0;
    if (!unit || n > LLONG_MAX / unit)
        return -1;
    return n * unit;
}

/* T as milliseconds since the epoch: 0 and *ret, or -1. */
static int parse_time(const char *s, uint64_t *ret)
{
    long long ago = parse_ago(s);
    if (ago >= 0) {
        uint64_t now = time_wall_ms();
        *ret = (uint64_t)ago >= now ? 1 : now - (uint64_t)ago;
        return 0;
    }
    static const char *const formats[] = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                                          "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
    for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
        struct tm tm = {0};
        const char *end = strptime(s, formats[i], &tm);
        if (!end)
            continue;
        bool utc = strcmp(end, "Z") == 0;
        if (*end && !utc)
            continue;
        tm.tm_isdst = -1;
        time_t t = utc ? timegm(&tm) : mktime(&tm);
        if (t == (time_t)-1 || t < 0)
            return -1;
        *ret = (uint64_t)t * 1000;
        return 0;
    }
    return -1;
}

/* vigil history. */
int cmd_history(int argc, char **argv, struct cli_globals *g)
{
    enum { OPT_SINCE = 256, OPT_UNTIL, OPT_GROUP, OPT_NODE, OPT_TYPE, OPT_LIMIT };
    static const struct option opts[] = {
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"group", required_argument, NULL, OPT_GROUP},
        {"node", required_argument, NULL, OPT_NODE},
        {"type", required_argument, NULL, OPT_TYPE},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"utc", no_argument, NULL, 'u'},
        {"json", no_argument, NULL, 'j'},
        {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    json_t *req = json_pack("{s:s}", "cmd", "history");
    bool json = false, utc = false;
    int c, status = CLI_EXIT_OK;
    while (status == CLI_EXIT_OK && (c = getopt_long(argc, argv, ":ujs:h", opts, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case OPT_SINCE:
        case OPT_UNTIL:
            if (parse_time(optarg, &v) < 0) {
                status = cli_usage_error("history",
                                         "%s: cannot read '%s' as a time (examples: 2026-11-22 "
                                         "10:00, 2026-11-22T10:00:00Z, 15m, 2h)",
                                         c == OPT_SINCE ? "--since" : "--until", optarg);
                break;
            }
            json_object_set_new(req, c == OPT_SINCE ? "since" : "until",
                                json_integer((json_int_t)v));
            break;
        case OPT_GROUP:
        case OPT_NODE:
        case OPT_TYPE: {
            const char *key = c == OPT_GROUP ? "group" : c == OPT_NODE ? "node" : "type";
            if (!*optarg) {
                status = cli_usage_error("history", "--%s wants a name", key);
                break;
            }
            json_object_set_new(req, key, json_string(optarg));
            break;
        }
        case OPT_LIMIT:
            if (cli_parse_u64(optarg, 100000, &v) < 0 || v == 0) {
                status = cli_usage_error("history",
                                         "--limit wants a number from 1 to 100000, "
                                         "not '%s'",
                                         optarg);
                break;
            }
            json_object_set_new(req, "limit", json_integer((json_int_t)v));
            break;
        case 'u':
            utc = true;
            break;
        case 'j':
            json = true;
            break;
        case 's':
            g->socket_path = optarg;
            break;
        case 'h':
            history_usage(stdout);
            json_decref(req);
            return CLI_EXIT_OK;
        default:
            status = cli_bad_option("history", c, argv);
            break;
        }
    }
    if (status == CLI_EXIT_OK)
        status = cli_no_args("history", argc, argv);
    if (status != CLI_EXIT_OK) {
        json_decref(req);
        return status;
    }
    json_t *res = NULL;
    status = cli_request(g->socket_path, req, &res, NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;
    json_t *events = json_object_get(res, "events");
    if (!json_is_array(events)) {
        json_decref(res);
        return cli_malformed("no \"events\" array in the result");
    }
    if (json) {
        json_dumpf(events, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        size_t i;
        json_t *ev;
        json_array_foreach(events, i, ev)
        {
            if (json_is_object(ev))
                cli_print_event(ev, utc);
        }
    }
    json_t *skipped = json_object_get(res, "skipped");
    if (json_is_integer(skipped) && json_integer_value(skipped) > 0)
        fprintf(stderr, "vigil: %" JSON_INTEGER_FORMAT " damaged line(s) of the history skipped\n",
                json_integer_value(skipped));
    json_decref(res);
    return CLI_EXIT_OK;
}
