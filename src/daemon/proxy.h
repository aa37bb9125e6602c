/* SPDX-License-Identifier: ISC */
/*
 * proxy.h - the PROXY protocol (HAProxy's proxy-protocol.txt, v1 text and v2 binary) on the
 * TCP listeners (listen, line_listen, agent_listen), so that behind a load balancer the
 * per-address limits, address bans, "who" and the logs see the client, not the balancer.
 *
 * Trust: only a peer whose own address is in proxy_from (config.h) is asked for a header, and
 * it must send one first: no header within PROXY_TIMEOUT, a malformed one, or a close before
 * it, and the connection is closed, logged, without a word (the bytes after the header are
 * the client's, maybe TLS: nothing we could write would reach it in a form it reads). A peer
 * not in proxy_from is served as before: a PROXY line from it is its first line or a bad
 * frame, never honoured. "PROXY UNKNOWN" and v2 LOCAL (the balancer's own health checks), and
 * v2 with an unspecified family, keep the balancer's address.
 *
 * Order at accept (server.c): a trusted peer waits here, outside every limit but max_clients
 * (its descriptor counts), until its header is read; then admission (max_clients,
 * max_startups, max_per_address), bans and the connection itself see the claimed address, as
 * if the client had connected directly. The balancer's own address is never counted.
 *
 * Reading: from the raw socket, before any bufferevent or TLS: an event on the fd, recv()
 * with MSG_PEEK to see what came, then a recv() of exactly the header's bytes, so that what
 * follows (a TLS ClientHello, a nickname) stays in the socket for the bufferevent. Bytes
 * proxy_parse() says are not enough are all part of the header, so they are taken at once and
 * a trickling peer does not wake the loop on the same bytes again. At most PROXY_HEADER_MAX
 * bytes are held per connection, and at most PROXY_PENDING_MAX connections wait at once.
 */
#ifndef FRONTDESK_PROXY_H
#define FRONTDESK_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct listener;
struct net_list;
struct server;

/* The longest v1 header, "\r\n" included (the spec's 107). */
#define PROXY_V1_MAX 107
/* The longest header taken, v2 TLVs included; a v2 header announcing more is refused. */
#define PROXY_HEADER_MAX 1024
/* Seconds a balancer's connection has to send its header (less if handshake_timeout is). */
#define PROXY_TIMEOUT 5
/* Connections waiting for their header at once; past this a new one is closed at accept. */
#define PROXY_PENDING_MAX 256

enum proxy_status {
	PROXY_NEED_MORE, /* every byte so far belongs to the header; it is not complete */
	PROXY_DONE,      /* a whole header: @len bytes, the rest is the client's */
	PROXY_BAD,       /* not a valid header: @why */
};

struct proxy_result {
	size_t len;                   /* PROXY_DONE: the header's length in bytes */
	unsigned version;             /* 1 or 2, once known */
	bool local;                   /* UNKNOWN, LOCAL, UNSPEC: no client address given */
	struct sockaddr_storage addr; /* !local: the client's address and port */
	socklen_t addrlen;
	const char *why; /* PROXY_BAD: what is wrong, for the log */
};

/*
 * proxy_parse() - whether @buf (@len bytes, the first the peer sent) holds a PROXY header, v1
 * or v2. Pure: no I/O, no allocation; @out is filled as far as known.
 */
enum proxy_status proxy_parse(const uint8_t *buf, size_t len, struct proxy_result *out);

/* proxy_trusted() - whether @sa (an IPv4-mapped IPv6 address taken as IPv4) is in @from. */
bool proxy_trusted(const struct net_list *from, const struct sockaddr *sa);

/*
 * proxy_accept() - @fd, accepted on @l from @sa (in proxy_from), waits for its header, then
 * goes to server_admit() with the client's address; or is closed. Takes ownership of @fd.
 */
void proxy_accept(struct server *s, int fd, const struct sockaddr *sa, socklen_t salen,
		  const struct listener *l);

/* proxy_stop_all() - close every connection still waiting for its header (shutdown). */
void proxy_stop_all(struct server *s);

#endif
