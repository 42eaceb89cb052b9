/*
 * An in-memory, virtually synchronous implementation of the transport
 * interface, for tests and the simulator. One sim_net holds every simulated
 * node; nothing happens until sim_run() delivers the queued callbacks, one
 * global queue in order, so every member of a partition sees the same views
 * and messages in the same order, and a message sent in a view is delivered
 * in that view to exactly its members. Deterministic: no loop, no threads.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define SIM_MAX_NODES 64

struct sim_net;

/* A network of nodes, each with one vote; quorum is a majority of expected_votes. */
struct sim_net *sim_net_new(uint32_t expected_votes);
/* Frees the network; the engines created on it must be freed first. Accepts NULL. */
void sim_net_free(struct sim_net *net);

/*
 * Creates node `nodeid`'s engine on net (not connected yet). At most
 * SIM_MAX_NODES engines; returns NULL if nodeid is taken or 0. The engine is
 * owned by the caller (engine_free).
 */
struct engine *sim_engine_new(struct sim_net *net, uint32_t nodeid,
                              const struct engine_callbacks *cb, void *ctx);

/* Puts a node in partition `group` (all start in 0); nodes talk only within a group. */
void sim_partition(struct sim_net *net, uint32_t nodeid, int group);
/* Every node back in group 0. */
void sim_heal(struct sim_net *net);
/* The node dies: its engine is lost (the lost callback) and its peers see it leave. */
void sim_crash(struct sim_net *net, uint32_t nodeid);

/* Delivers queued callbacks until none is left; returns how many were delivered. */
size_t sim_run(struct sim_net *net);
