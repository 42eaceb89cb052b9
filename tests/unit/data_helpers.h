/*
 * Shared by the unit tests that read files under tests/unit/data (test_ocf_meta.c,
 * test_res_agent.c). Include after cmocka.h.
 */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/*
 * The absolute path of <dir>/<name> under $VIGIL_TEST_DATA (tests/unit/data when it is not
 * set); the test fails if there is no such file. Owned by the caller.
 */
static inline char *data_file(const char *dir, const char *name)
{
    const char *data = getenv("VIGIL_TEST_DATA");
    _cleanup_free_ char *rel = xasprintf("%s/%s/%s", data ? data : "tests/unit/data", dir, name);
    char *abs = realpath(rel, NULL);
    if (!abs)
        fail_msg("%s: %s", rel, strerror(errno));
    return abs;
}
