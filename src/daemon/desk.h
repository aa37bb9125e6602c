/* SPDX-License-Identifier: ISC */
/* desk.h - single-agent mode (the customer-service desk); see desk.c. */
#ifndef FRONTDESK_DESK_H
#define FRONTDESK_DESK_H

struct server;
struct desk;
struct mode_ops;

extern const struct mode_ops desk_ops;

int desk_new(struct server *s, struct desk **ret);
void desk_free(struct desk *d);

#endif
