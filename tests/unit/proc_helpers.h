/* Shared by the unit tests that check that processes are gone. */
#pragma once

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/util.h"

/* True when pid no longer runs (gone, or a zombie waiting for its new parent). */
static inline bool process_gone(pid_t pid)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid);
    char *text;
    size_t n;
    if (read_file(path, 4096, &text, &n) < 0)
        return true;
    const char *paren = strrchr(text, ')');
    bool zombie = paren && paren[1] == ' ' && paren[2] == 'Z';
    free(text);
    return zombie;
}

/* Waits up to 5 s for pid to be gone. */
static inline bool wait_gone(pid_t pid)
{
    for (int i = 0; i < 250 && !process_gone(pid); i++)
        usleep(20000);
    return process_gone(pid);
}
