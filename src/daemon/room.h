/* SPDX-License-Identifier: ISC */
/* room.h - group mode (the broadcast chat room); see room.c. */
#ifndef FRONTDESK_ROOM_H
#define FRONTDESK_ROOM_H

#include <stddef.h>

struct bus_msg;
struct conn;
struct server;
struct room;
struct mode_ops;

extern const struct mode_ops room_ops;

int room_new(struct server *s, struct room **ret);
void room_free(struct room *r);
/* room_member_size() - bytes of the room's own state per member (tests/unit/test-sizeof.c). */
size_t room_member_size(void);
/* room_bus_deliver() - in a cluster, @m came back from the bus: to this node's members. */
void room_bus_deliver(struct server *s, const struct bus_msg *m);
/*
 * room_rename() - member @c is called @nick now (free here): the room hears it. For "nick",
 * and for a name another node of the cluster turned out to hold (node.c).
 */
void room_rename(struct conn *c, const char *nick);
/* room_leaver_names() - the names of leavers still sending what they held (cluster.h). */
struct cluster_names;
void room_leaver_names(struct server *s, struct cluster_names *names);
/* room_share_load() - in a cluster, the bans, mutes and topic from Redis (room-share.c). */
void room_share_load(struct server *s);
/* room_restore() - at start-up, the bans and the topic the store kept (room-mod.c). */
int room_restore(struct server *s);

#endif
