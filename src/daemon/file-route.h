/* SPDX-License-Identifier: ISC */
/*
 * file-route.h - where a kept upload goes: a file message is a chat message of its sender's,
 * routed by the mode like one (the hold while no agent, strict turns, a room's fan-out, the
 * store, history, replays, the cluster), with store_msg.file set and the text
 * "SHA256 SIZE TYPE NAME". The upload itself (files.h) knows nothing of modes.
 */
#ifndef FRONTDESK_FILE_ROUTE_H
#define FRONTDESK_FILE_ROUTE_H

#include <stddef.h>

struct conn;

/*
 * file_route_check() - whether @c may send a file to @to ("*": its conversation, the room; or
 * the name of one of an agent's customers), asked at the offer, before any byte is stored: NULL
 * if so, else the error code to refuse the offer with ("no-customer", ...).
 */
const char *file_route_check(struct conn *c, const char *to);

/*
 * file_route_deaf() - the peer connected here that @c's file to @to would go to now, when its
 * client was not granted "files" (a wave-1 customer, an agent's client without it): nobody
 * would ever see the file, so the offer is refused. NULL otherwise, a held file for an agent
 * not there yet included. One node's desk or team; a cluster's desk is not asked.
 */
struct conn *file_route_deaf(struct conn *c, const char *to);

/*
 * file_route_send() - @c's file message to @to, @text ("SHA256 SIZE TYPE NAME", @len bytes),
 * accepted as @c's chat message would be. Return 0, or a negative errno (the mode has told @c).
 */
int file_route_send(struct conn *c, const char *to, const char *text, size_t len);

#endif
