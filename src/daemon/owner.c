/* SPDX-License-Identifier: ISC */
/*
 * owner.c - who an agent connection is (see owner.h): the credential it came with, asked of
 * its socket when needed rather than stored, since only a takeover, a resume and the
 * agents_file check ask, once per agent connection.
 */
#include "owner.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/bufferevent.h>

#include "agents.h"
#include "conn.h"
#include "server.h"

void conn_credential(const struct conn *c, struct agents_cred *ret)
{
	evutil_socket_t fd = c->bev ? bufferevent_getfd(c->bev) : -1;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct ucred cred;
	socklen_t credlen = sizeof(cred);

	*ret = (struct agents_cred){ .kind = AGENTS_CRED_NONE };
	/*
	 * A remote agent (agent_listen, or /ws/agent through a pair) is the key it answered the
	 * challenge with, once it has (handshake.c): nothing else about its socket counts.
	 */
	if (c->role == ROLE_AGENT && c->remote) {
		if (c->state != CONN_CHALLENGE) {
			ret->kind = AGENTS_CRED_KEY;
			ret->key_id = c->key_id;
		}
		return;
	}
	/* Any other pair end is the console's (a web customer's counts for no agent). */
	if (c->bev && bufferevent_pair_get_partner(c->bev)) {
		if (!c->remote)
			ret->kind = AGENTS_CRED_CONSOLE;
		return;
	}
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0 ||
	    ss.ss_family != AF_UNIX || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0)
		return;
	ret->kind = AGENTS_CRED_UID;
	ret->uid = cred.uid;
}

/* With agents_file, the agent is whoever the file names: any credential it lists for the name. */
static bool same_listed_agent(const struct conn *a, const struct conn *b,
			      const struct agents_cred *ca, const struct agents_cred *cb)
{
	const struct agents *list = a->server->agents;

	return list && ca->kind != AGENTS_CRED_CONSOLE && cb->kind != AGENTS_CRED_CONSOLE &&
	       strcmp(a->asked, b->asked) == 0 &&
	       agents_check(list, a->asked, ca) == AGENTS_ALLOWED &&
	       agents_check(list, b->asked, cb) == AGENTS_ALLOWED;
}

bool conn_same_owner(const struct conn *a, const struct conn *b)
{
	struct agents_cred ca, cb;

	conn_credential(a, &ca);
	conn_credential(b, &cb);
	if (same_listed_agent(a, b, &ca, &cb))
		return true;
	if (ca.kind != cb.kind)
		return false;
	if (ca.kind == AGENTS_CRED_UID)
		return ca.uid == cb.uid;
	if (ca.kind == AGENTS_CRED_KEY)
		return memcmp(ca.key_id, cb.key_id, AGENTS_KEY_ID_BYTES) == 0;
	return false; /* the console, or a conn that proved nothing */
}
