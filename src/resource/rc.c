#include "resource/rc.h"

const char *res_op_name(enum res_op op)
{
    static const char *const names[RES_OP_MAX] = {"start", "stop", "monitor", "probe"};
    return (unsigned)op < RES_OP_MAX ? names[op] : "unknown";
}

const char *res_rc_name(enum res_rc rc)
{
    static const char *const names[RES_RC_MAX] = {"ok",        "not running",   "failed",
                                                  "timed out", "not installed", "not configured"};
    return (unsigned)rc < RES_RC_MAX ? names[rc] : "unknown";
}
