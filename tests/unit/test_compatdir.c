/* Finding the Pacemaker-compatible commands (src/resource/compatdir.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "resource/compatdir.h"

static void test_build_tree_and_override(void **state)
{
    const char *root = getenv("VIGIL_BUILD_ROOT");
    assert_non_null(root);
    unsetenv("VIGIL_COMPAT_DIR");
    char *exe = xasprintf("%s/src/daemon/vigild", root);
    char *dir = compat_dir_find(exe);
    char *want = xasprintf("%s/src/compat", root);
    assert_non_null(dir);
    assert_string_equal(dir, want);
    free(dir);
    /* The override wins. */
    setenv("VIGIL_COMPAT_DIR", "/opt/compat", 1);
    dir = compat_dir_find(exe);
    assert_string_equal(dir, "/opt/compat");
    free(dir);
    unsetenv("VIGIL_COMPAT_DIR");
    /* Not a build tree: the installed directory, or none. */
    dir = compat_dir_find("/nonexistent/bin/vigild");
    assert_true(dir == NULL || strstr(dir, "/vigil/compat") != NULL);
    free(dir);
    free(exe);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_tree_and_override),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
