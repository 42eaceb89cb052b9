/*
 * systemd's service notification protocol (sd_notify(3)), spoken directly:
 * one datagram of newline-separated KEY=VALUE assignments to the Unix socket
 * named by $NOTIFY_SOCKET (a path, or an abstract name written with a
 * leading '@'). Without $NOTIFY_SOCKET (not started by systemd with
 * Type=notify) every call does nothing.
 */
#pragma once

#include <stdint.h>

/*
 * Sends state ("READY=1", "STATUS=...", "WATCHDOG=1", "STOPPING=1"). Returns
 * 1 when sent, 0 when there is no $NOTIFY_SOCKET, or a negative errno.
 */
int notify_send(const char *state);

/*
 * The watchdog interval systemd expects pings within ($WATCHDOG_USEC, in
 * microseconds), or 0 when there is none or $WATCHDOG_PID names another
 * process.
 */
uint64_t notify_watchdog_usec(void);
