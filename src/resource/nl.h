/*
 * rtnetlink requests over libmnl, shared by the modules that configure the
 * node's network (ip.c: addresses; macvlan.c: links).
 *
 * Every call opens a socket of its own, sends one request and reads the
 * answer to the end (the kernel's ACK and errno, or the end of a dump), then
 * closes it. A socket per call costs a few microseconds and keeps the callers
 * free of state: no stale answer of an earlier, interrupted call can ever be
 * read as the answer to the next one, and the calls work from any thread, in
 * whatever network namespace the calling thread is (which the unit tests rely
 * on). libmnl checks that each answer carries our sequence number and port id.
 */
#pragma once

#include <libmnl/libmnl.h>

#define NL_BUF_SIZE   32768 /* enough for any single message of a dump */
#define NL_DUMP_TRIES 3     /* a dump interrupted by a concurrent change is retried */

/*
 * Sends the request nlh (its sequence number is set here) on a fresh
 * NETLINK_ROUTE socket and runs every answer through cb (may be NULL) with
 * data until the kernel's ACK or the end of the dump. 0, or a negative errno:
 * the kernel's error for the request (-EINTR for a dump a concurrent change
 * interrupted), or the socket's. nlh stays the caller's.
 */
int nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
