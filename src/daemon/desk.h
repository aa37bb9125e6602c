/* SPDX-License-Identifier: ISC */
/* desk.h - single-agent mode (the customer-service desk); see desk.c. */
#ifndef FRONTDESK_DESK_H
#define FRONTDESK_DESK_H

struct conn;
struct server;
struct desk;
struct mode_ops;

extern const struct mode_ops desk_ops;

int desk_new(struct server *s, struct desk **ret);
void desk_free(struct desk *d);
/* desk_customer() - the customer being served, if @name is "" or names it; else NULL. */
const char *desk_customer(struct server *s, const char *name);
/*
 * desk_file_peer() - whom @c's file goes to now: the agent, for the customer served; the
 * customer served, for the agent; NULL if nobody (a customer in line, no agent).
 */
struct conn *desk_file_peer(struct conn *c);

#endif
