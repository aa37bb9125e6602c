/* SPDX-License-Identifier: ISC */
/*
 * team.h - the desk with several agents (max_agents > 1 or max_chats_per_agent > 1), each
 * holding up to max_chats_per_agent conversations; see team.c. With both keys at 1 the desk is
 * desk.c, the original design, unchanged.
 */
#ifndef FRONTDESK_TEAM_H
#define FRONTDESK_TEAM_H

struct server;
struct team;
struct mode_ops;

extern const struct mode_ops team_ops;

int team_new(struct server *s, struct team **ret);
void team_free(struct team *t);

#endif
