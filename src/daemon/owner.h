/* SPDX-License-Identifier: ISC */
/*
 * owner.h - who an agent connection is: its credential, and whether two agent connections
 * come from the same principal (a takeover, desk.c; a resume, resume.c). The credentials are
 * those agents_file names (agents.h): the peer uid on the agent socket, the key an agent on
 * agent_listen answered with.
 */
#ifndef FRONTDESK_OWNER_H
#define FRONTDESK_OWNER_H

#include <stdbool.h>

struct agents_cred;
struct conn;

/*
 * conn_credential() - what @c proved about who it is: on the agent socket the peer uid
 * (SO_PEERCRED), on agent_listen and web_listen's /ws/agent the key it answered with; the
 * console (a bufferevent pair that is not a web agent's) is the console. Anything else, or a
 * socket that cannot be asked, proved nothing.
 */
void conn_credential(const struct conn *c, struct agents_cred *ret);

/*
 * conn_same_owner() - whether agents @a and @b come from the same principal: the same
 * credential (the same peer uid on the Unix socket, the same key over TCP), or, with
 * agents_file, the same name with credentials the file lists for it. The console matches
 * nothing.
 */
bool conn_same_owner(const struct conn *a, const struct conn *b);

#endif
