/*
 * Requests that change the cluster (group, node and cleanup commands): vigild
 * checks them, sends them to every member, and answers once every member has
 * applied and saved the change to the cluster database.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/*
 * Sends req (not consumed) to vigild at socket_path and waits up to
 * CLI_CHANGE_TIMEOUT_MS for the outcome.
 *
 * On success prints the daemon's message and the new cluster database
 * version ("group web stopped (cluster database version 12)"), or with json
 * the result object as indented JSON; what names the change for the message
 * when the daemon gave none. Returns CLI_EXIT_OK.
 *
 * A refusal or failure is printed as "vigil: ERROR" on stderr and gives
 * CLI_EXIT_ERROR; an unreachable or silent daemon CLI_EXIT_UNREACHABLE
 * (see cli_request).
 */
int cli_change(const char *socket_path, json_t *req, bool json, const char *what);
