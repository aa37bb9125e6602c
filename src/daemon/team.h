/* SPDX-License-Identifier: ISC */
/*
 * team.h - the desk with several agents (max_agents > 1 or max_chats_per_agent > 1), each
 * holding up to max_chats_per_agent conversations; see team.c. With both keys at 1 the desk is
 * desk.c, the original design, unchanged.
 */
#ifndef FRONTDESK_TEAM_H
#define FRONTDESK_TEAM_H

#include <stdbool.h>
#include <stddef.h>

struct server;
struct team;
struct mode_ops;

extern const struct mode_ops team_ops;

int team_new(struct server *s, struct team **ret);
/*
 * team_away_switch() - agent @c says "away" (@to true) or "back": *@away set, told and logged
 * (with its @open conversations); false, told why, if it already was. The desk across nodes
 * (cdesk-cmd.c) says them the same way.
 */
struct conn;
bool team_away_switch(struct conn *c, bool *away, bool to, unsigned open);
/*
 * team_address() - an agent granted "agent" starts each message with its customer's name,
 * "NAME: text": the name's length (it begins @f), and @f cut to the text; 0, @ag told why, when
 * @f has no such start.
 */
struct fd_frame;
size_t team_address(struct conn *ag, struct fd_frame *f);
/*
 * team_customer() - the name of agent @agent's customer @name, or its only one for ""; NULL.
 * Without "agent" only the chat its messages go to (its first) can be named.
 */
const char *team_customer(struct conn *agent, const char *name);
/*
 * team_file_peer() - whom @c's file to @name ("" or one of an agent's customers) goes to now:
 * a customer's agent (NULL while it waits in line), an agent's customer; NULL if none.
 */
struct conn *team_file_peer(struct conn *c, const char *name);
void team_free(struct team *t);

#endif
