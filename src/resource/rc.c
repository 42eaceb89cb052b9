#include "resource/rc.h"

#include <string.h>

const char *res_op_name(enum res_op op)
{
    static const char *const names[RES_OP_MAX] = {"start",   "stop",   "monitor", "probe",
                                                  "promote", "demote", "notify"};
    return (unsigned)op < RES_OP_MAX ? names[op] : "unknown";
}

const char *res_rc_name(enum res_rc rc)
{
    static const char *const names[RES_RC_MAX] = {"ok",
                                                  "not running",
                                                  "failed",
                                                  "timed out",
                                                  "not installed",
                                                  "not configured",
                                                  "running as primary",
                                                  "failed as primary"};
    return (unsigned)rc < RES_RC_MAX ? names[rc] : "unknown";
}

static const char *const state_names[RES_ST_MAX] = {"unknown",  "stopped", "starting",   "running",
                                                    "stopping", "failed",  "stop failed"};

const char *res_state_name(enum res_state s)
{
    return (unsigned)s < RES_ST_MAX ? state_names[s] : "invalid";
}

int res_state_parse(const char *name)
{
    for (int i = 0; i < RES_ST_MAX; i++)
        if (strcmp(name, state_names[i]) == 0)
            return i;
    return -1;
}

const char *res_notify_list_name(enum res_notify_list l)
{
    static const char *const names[RES_NL_MAX] = {"active",  "inactive", "start",    "stop",
                                                  "promote", "demote",   "promoted", "unpromoted"};
    return (unsigned)l < RES_NL_MAX ? names[l] : NULL;
}
