/* SPDX-License-Identifier: ISC */
/* node.h - the server as a node of a cluster (see node.c and cluster.h). */
#ifndef FRONTDESK_NODE_H
#define FRONTDESK_NODE_H

#include <stdbool.h>
#include <stdint.h>

/* A session as Redis keeps it: "NODE NICK CAPS FROM_ID" (cluster-session.c). */
#define SESSION_VALUE_MAX 256

struct conn;
struct server;
struct session;

/* node_start() - with cluster set, connect to Redis (s->cluster). 0 or a negative errno. */
int node_start(struct server *s);
/* node_claim() - in a cluster, @c's name is claimed on every node; a clash renames it. */
void node_claim(struct conn *c);
/*
 * node_rename() - "nick NAME" in a cluster: NAME (free here) is claimed on every node first,
 * and the member renamed once it is its own (or "NAME N", the first free, if not).
 */
void node_rename(struct conn *c, const char *nick);
/* node_member() - @c came into the room (@in) or left: "who" on every node says so. */
void node_member(struct conn *c, bool in);
/* node_session_put(), node_session_del() - a member's session as Redis keeps it. */
void node_session_put(const struct session *se);
void node_session_del(struct server *s, const char *hash);
/*
 * node_resume() - "resume TOKEN" for a session not found here: in a cluster, true when it was
 * asked for from the other nodes (resume_found() or "resume-failed" follows); false: not one.
 */
bool node_resume(struct conn *c, const char *token, uint64_t last_id);
/* node_pause() - @c is not read while the outbox is full; it is told why. */
void node_pause(struct conn *c);

#endif
