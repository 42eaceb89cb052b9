/* Finding the Pacemaker-compatible commands' directory (compatdir.h). */
#include "resource/compatdir.h"
#include "base/util.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VIGIL_COMPAT_INSTALL_DIR
#define VIGIL_COMPAT_INSTALL_DIR "/usr/libexec/vigil/compat"
#endif

/* Whether dir holds an executable vigil-compat. */
static bool holds_compat(const char *dir)
{
    _cleanup_free_ char *p = xasprintf("%s/vigil-compat", dir);
    return access(p, X_OK) == 0;
}

char *compat_dir_find(const char *exe)
{
    const char *env = getenv("VIGIL_COMPAT_DIR");
    if (env && *env)
        return xstrdup(env);
    if (exe) {
        /* BUILD/src/daemon/vigild or BUILD/src/cli/vigil -> BUILD/src/compat */
        _cleanup_free_ char *d = xstrdup(exe);
        char *slash = strrchr(d, '/');
        if (slash) {
            *slash = '\0';
            slash = strrchr(d, '/');
            if (slash && (strcmp(slash + 1, "daemon") == 0 || strcmp(slash + 1, "cli") == 0)) {
                *slash = '\0';
                char *dir = xasprintf("%s/compat", d);
                if (holds_compat(dir))
                    return dir;
                free(dir);
            }
        }
    }
    return holds_compat(VIGIL_COMPAT_INSTALL_DIR) ? xstrdup(VIGIL_COMPAT_INSTALL_DIR) : NULL;
}

const char *compat_dir(void)
{
    static bool found;
    static char *dir;
    if (!found) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0)
            exe[n] = '\0';
        dir = compat_dir_find(n > 0 ? exe : NULL);
        found = true;
    }
    return dir;
}
