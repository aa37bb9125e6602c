/* SPDX-License-Identifier: ISC */
/*
 * admit.h - who may connect, and what every open connection holds against the limits.
 *
 * Each conn sits in one bucket (enum conn_bucket) from the moment it is adopted until it is
 * freed: a closing conn still holds its descriptor, so it still counts. The server keeps one
 * count per bucket; conn.c moves a conn between buckets on every state change. The limits are
 * checked against those counts at accept:
 *
 *   max_clients     customers and members admitted, live or closing (STARTUP + CLIENT)
 *   MAX_REFUSING    peers accepted only to be told why not (REFUSING)
 *   max_startups    live customers and members that have not sent their nickname (STARTUP)
 *   MAX_AGENT_CONNS agent_listen peers that answered the challenge (AGENT_REMOTE)
 *   MAX_PENDING_AGENTS agent_listen peers that have not (AGENT_PENDING); when full, one
 *                   that already failed is dropped for the newcomer, else the oldest from
 *                   the address holding the most
 *
 * The agent socket and the console (AGENT) are never refused: file modes guard them.
 */
#ifndef FRONTDESK_ADMIT_H
#define FRONTDESK_ADMIT_H

#include <stdbool.h>
#include <stddef.h>

struct conn;
struct listener;
struct server;
struct sockaddr;

/* Refused peers kept open at once to tell them why; past this they are closed unanswered. */
#define MAX_REFUSING 32
/* agent_listen peers that have answered the challenge, at once (one is the agent). */
#define MAX_AGENT_CONNS 8
/* agent_listen peers still challenged, at once; a newcomer drops one (admit.c says which). */
#define MAX_PENDING_AGENTS 8
/* Seconds an agent_listen peer has to answer the challenge (less, if handshake_timeout is). */
#define AGENT_AUTH_TIMEOUT 5

enum conn_bucket {
	BUCKET_NONE,          /* not counted: not adopted yet, or freed */
	BUCKET_STARTUP,       /* customer or member admitted, live, nickname not yet sent */
	BUCKET_CLIENT,        /* customer or member admitted, past that (or closing) */
	BUCKET_REFUSING,      /* accepted only to be told why not */
	BUCKET_AGENT,         /* the agent socket or the console */
	BUCKET_AGENT_PENDING, /* agent_listen, challenge not answered */
	BUCKET_AGENT_REMOTE,  /* agent_listen, challenge answered */
	CONN_BUCKETS,
};

/* admit_enter() - @c was just adopted: count it. */
void admit_enter(struct conn *c);
/* admit_recount() - @c changed state, refusal or key: count it where it now belongs. */
void admit_recount(struct conn *c);
/* admit_forget() - @c is about to be freed: it holds nothing any more. */
void admit_forget(struct conn *c);

/*
 * admit_accept() - may a peer just accepted on @l come in? NULL: yes. Otherwise the error
 * code of why not (*@ret_text says it in words), and *@ret_tell says whether it is accepted
 * anyway to be told (line peers at once, framed peers after "hello notices") or closed at
 * once. On agent_listen this makes room by dropping the oldest pending peer, and refuses only
 * when none can go ("too-many-agents").
 */
const char *admit_accept(struct server *s, const struct listener *l, const struct sockaddr *sa,
			 const char *peer, bool *ret_tell, const char **ret_text);

/*
 * admit_address_key() - what per-address limits count @peer ("ip:port", "[ipv6]:port") as: the
 * IPv4 address, or the IPv6 /64 ("2001:db8:1:2::/64"), since one IPv6 host has a whole /64 to
 * pick addresses from. Writes at most @len bytes (ADMIT_KEY_MAX is enough); returns the length.
 */
#define ADMIT_KEY_MAX 64
size_t admit_address_key(const char *peer, char *key, size_t len);

/* admit_agent_slot() - an agent_listen peer answered its challenge: may it stay? */
bool admit_agent_slot(struct server *s);

/*
 * admit_reserve_fds() - make sure RLIMIT_NOFILE covers everything @max_clients lets peers
 * open (raising the soft limit up to the hard one if needed), and, as far as the hard limit
 * allows, @per_client more for each (the files a peer's transfers hold open, files.h).
 * Return 0, or -EMFILE with *@ret_need and *@ret_limit set: the descriptors needed without
 * the transfers' and the hard limit.
 */
int admit_reserve_fds(unsigned max_clients, unsigned per_client, unsigned long *ret_need,
		      unsigned long *ret_limit);

#endif
