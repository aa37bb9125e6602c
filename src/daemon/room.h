/* SPDX-License-Identifier: ISC */
/* room.h - group mode (the broadcast chat room); see room.c. */
#ifndef FRONTDESK_ROOM_H
#define FRONTDESK_ROOM_H

struct server;
struct room;
struct mode_ops;

extern const struct mode_ops room_ops;

int room_new(struct server *s, struct room **ret);
void room_free(struct room *r);

#endif
