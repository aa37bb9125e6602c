/* SPDX-License-Identifier: ISC */
/*
 * admit.c - the limits on who may connect (see admit.h).
 *
 * max_startups is OpenSSH's MaxStartups: past START unauthenticated connections a newcomer is
 * refused with a probability of RATE percent, rising linearly to 100 at FULL. Listeners accept
 * a bounded batch per loop turn (listener.c), so the nicknames a burst of well-behaved clients
 * sent are read before the next batch is judged: what fills max_startups is peers that stay
 * silent (or take their time over TLS and the challenge).
 *
 * agent_listen keeps its unauthenticated peers apart: at most MAX_PENDING_AGENTS, each with
 * AGENT_AUTH_TIMEOUT to answer, and a newcomer drops the one that already failed, else the
 * oldest one from the address that holds the most. So a crowd that never answers cannot keep
 * the agent out, and only peers that answered take one of the MAX_AGENT_CONNS slots.
 */
#include "admit.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/util.h>

#include "conn.h"
#include "listener.h"
#include "log.h"
#include "server.h"

/*
 * Descriptors besides the peers': up to 25 listeners, peers of the agent socket (trusted, not
 * counted), the event loop's epoll and signal pipe, the log, sd_notify, the console's terminal.
 */
#define FD_RESERVE 64

static enum conn_bucket bucket_of(const struct conn *c)
{
	if (c->role == ROLE_AGENT) {
		if (!c->remote)
			return BUCKET_AGENT;
		/* The key is cleared when the challenge is answered right, and only then. */
		return c->key ? BUCKET_AGENT_PENDING : BUCKET_AGENT_REMOTE;
	}
	if (c->refuse_code)
		return BUCKET_REFUSING;
	/* A closing conn holds its descriptor: it still counts against max_clients. */
	return c->state <= CONN_HANDSHAKE ? BUCKET_STARTUP : BUCKET_CLIENT;
}

static void move(struct conn *c, enum conn_bucket to)
{
	struct server *s = c->server;

	if (c->bucket == BUCKET_AGENT_PENDING) {
		for (size_t i = 0; i < MAX_PENDING_AGENTS; i++)
			if (s->pending_agents[i] == c)
				s->pending_agents[i] = NULL;
	}
	if (c->bucket != BUCKET_NONE)
		s->counts[c->bucket]--;
	c->bucket = (uint8_t)to;
	if (to != BUCKET_NONE)
		s->counts[to]++;
	if (to == BUCKET_AGENT_PENDING) {
		/* admit_accept() made room before this conn was adopted. */
		for (size_t i = 0; i < MAX_PENDING_AGENTS; i++) {
			if (!s->pending_agents[i]) {
				s->pending_agents[i] = c;
				break;
			}
		}
	}
}

void admit_enter(struct conn *c)
{
	move(c, bucket_of(c));
}

void admit_recount(struct conn *c)
{
	enum conn_bucket to;

	if (c->bucket == BUCKET_NONE)
		return; /* not adopted yet (conn_new), or already forgotten */
	to = bucket_of(c);
	if (to != c->bucket)
		move(c, to);
}

void admit_forget(struct conn *c)
{
	move(c, BUCKET_NONE);
}

static bool is_client(const struct conn *c)
{
	return c->bucket == BUCKET_STARTUP || c->bucket == BUCKET_CLIENT;
}

/* snprintf()'s result as the length written into @len bytes. */
static size_t clamp(int n, size_t len)
{
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

size_t admit_address_key(const char *peer, char *key, size_t len)
{
	const char *colon = strrchr(peer, ':');
	size_t hostlen = colon ? (size_t)(colon - peer) : strlen(peer);
	char host[64];
	struct in6_addr a6;

	if (hostlen >= 2 && peer[0] == '[' && peer[hostlen - 1] == ']' &&
	    hostlen - 2 < sizeof(host)) {
		memcpy(host, peer + 1, hostlen - 2);
		host[hostlen - 2] = '\0';
		if (inet_pton(AF_INET6, host, &a6) == 1) {
			/* One site, one subscriber: an IPv6 host holds a whole /64. */
			memset(a6.s6_addr + 8, 0, 8);
			if (inet_ntop(AF_INET6, &a6, host, sizeof(host)))
				return clamp(snprintf(key, len, "%s/64", host), len);
		}
	}
	return clamp(snprintf(key, len, "%.*s", (int)hostlen, peer), len);
}

/* Whether @a and @b ("ip:port") count as one address (see admit_address_key()). */
static bool same_address(const char *a, const char *b)
{
	char ka[ADMIT_KEY_MAX], kb[ADMIT_KEY_MAX];

	admit_address_key(a, ka, sizeof(ka));
	admit_address_key(b, kb, sizeof(kb));
	return strcmp(ka, kb) == 0;
}

/* Customers and members from the same IP address as @peer ("ip:port"), live or closing. */
static unsigned count_from(struct server *s, const char *peer)
{
	unsigned n = 0;
	struct conn *c;

	TAILQ_FOREACH (c, &s->conns, entry)
		if (is_client(c) && same_address(c->peer, peer))
			n++;
	TAILQ_FOREACH (c, &s->gone, entry)
		if (is_client(c) && same_address(c->peer, peer))
			n++;
	return n;
}

/* OpenSSH's MaxStartups: past START refuse at random, RATE% rising to 100% at FULL. */
static bool too_many_startups(struct server *s)
{
	const struct startups *m = &s->config.max_startups;
	unsigned n = s->counts[BUCKET_STARTUP], p;
	uint32_t r;

	if (n < m->begin)
		return false;
	if (n >= m->full)
		return true;
	p = m->rate + (100 - m->rate) * (n - m->begin) / (m->full - m->begin);
	evutil_secure_rng_get_bytes(&r, sizeof(r));
	return r % 100 < p;
}

/*
 * The pending agent_listen peer a newcomer replaces: one that already failed and is only
 * closing, else the oldest from the address holding the most pending ones (so a crowd from
 * one address displaces itself, not an agent connecting from elsewhere).
 */
static struct conn *pending_victim(struct server *s)
{
	struct conn *best = NULL, *const *v = s->pending_agents;
	unsigned best_n = 0;

	for (size_t i = 0; i < MAX_PENDING_AGENTS; i++) {
		unsigned n = 0;

		if (!v[i])
			continue;
		if (!conn_live(v[i]))
			return v[i];
		for (size_t j = 0; j < MAX_PENDING_AGENTS; j++)
			if (v[j] && conn_live(v[j]) && same_address(v[i]->peer, v[j]->peer))
				n++;
		if (n > best_n || (n == best_n && v[i]->id < best->id)) {
			best = v[i];
			best_n = n;
		}
	}
	return best;
}

const char *admit_accept(struct server *s, const struct listener *l, const struct sockaddr *sa,
			 const char *peer, bool *ret_tell, const char **ret_text)
{
	*ret_tell = false;
	*ret_text = NULL;
	/* The agent socket (group mode: its members) is never refused: file modes guard it. */
	if (sa->sa_family == AF_UNIX)
		return NULL;
	if (l->role == ROLE_AGENT) {
		struct conn *victim;

		if (s->counts[BUCKET_AGENT_PENDING] < MAX_PENDING_AGENTS)
			return NULL; /* (the agent socket returned above) */
		victim = pending_victim(s);
		if (!victim) {
			*ret_text = "too many agent connections";
			return "too-many-agents";
		}
		server_drop_now(s, victim, "a newer agent connection takes its place");
		return NULL;
	}
	/* Line peers have no handshake: they are attached (or told why not) at once. */
	if (l->proto == PROTO_FRAMED && too_many_startups(s)) {
		*ret_text = "too many unauthenticated connections (max_startups)";
		return "max-startups";
	}
	*ret_tell = true;
	if (s->counts[BUCKET_STARTUP] + s->counts[BUCKET_CLIENT] >= s->config.max_clients) {
		*ret_text = "the server is full; try again later";
		return "server-full";
	}
	if (s->config.max_per_address && count_from(s, peer) >= s->config.max_per_address) {
		*ret_text = "too many connections from your address";
		return "too-many-from-address";
	}
	return NULL;
}

bool admit_agent_slot(struct server *s)
{
	return s->counts[BUCKET_AGENT_REMOTE] < MAX_AGENT_CONNS;
}

int admit_reserve_fds(unsigned max_clients, unsigned per_client, unsigned long *ret_need,
		      unsigned long *ret_limit)
{
	rlim_t need =
	    (rlim_t)max_clients + MAX_REFUSING + MAX_AGENT_CONNS + MAX_PENDING_AGENTS + FD_RESERVE;
	rlim_t want = need + (rlim_t)max_clients * per_client;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	*ret_need = (unsigned long)need;
	*ret_limit = rl.rlim_max == RLIM_INFINITY ? (unsigned long)-1 : (unsigned long)rl.rlim_max;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		return -EMFILE;
	/*
	 * Past the soft limit accept() fails with EMFILE, for the agent socket too: peers that
	 * hold file transfers open (a few files each) would lock the others out below
	 * max_clients. Those are asked for too, as far as the hard limit goes.
	 */
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		log_warnx("file transfers may run short of descriptors: %lu would cover them, the "
			  "limit is %lu (raise LimitNOFILE= or ulimit -n)",
			  (unsigned long)want, (unsigned long)rl.rlim_max);
		want = rl.rlim_max;
	}
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	log_info("descriptor limit raised to %lu for max_clients = %u", (unsigned long)want,
		 max_clients);
	return 0;
}
