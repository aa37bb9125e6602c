/* SPDX-License-Identifier: ISC */
/*
 * churn.c - frontdesk-bench's connections that come and go (--churn RATE), while the room of
 * the run chats: what a busy public server sees, and what makes the daemon free memory
 * steadily (see malloc_trim in src/daemon/server.c).
 *
 * A churner is a struct peer from a fixed pool of CHURN_MAX slots. It queues its nickname,
 * "hello notices" and one message before it connects, so they leave in one write; it reads
 * the room (its notices and everyone's messages count as deliveries) until its own message
 * comes back, then closes. Its slot is reused by the next one. The pool owns the nicknames.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench.h"

struct churn {
	struct bench *b;
	uint64_t interval_ns, start_ns, next; /* the schedule: churner @next is due at... */
	uint32_t serial;
	bool counting;
	uint64_t done;
	unsigned nfree;
	unsigned free[CHURN_MAX];
	struct peer pool[CHURN_MAX];
	char nicks[CHURN_MAX][16];
};

int churn_new(struct bench *b, double rate, struct churn **ret)
{
	struct churn *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return -1;
	ch->b = b;
	ch->interval_ns = (uint64_t)(1e9 / rate);
	for (unsigned i = 0; i < CHURN_MAX; i++) {
		struct peer *p = &ch->pool[i];

		p->b = b;
		p->fd = -1;
		p->idx = bench_npeers(b) + i;
		p->role = PEER_CHURN;
		p->sender = -1;
		p->notices = true;
		p->nick = ch->nicks[i];
		p->target = "bench";
		ch->free[ch->nfree++] = CHURN_MAX - 1 - i;
	}
	*ret = ch;
	return 0;
}

/* The message churner @serial says, and how it comes back to the room ("NICK: TEXT"). */
static int churn_text(char *buf, size_t size, uint32_t serial, bool heard)
{
	if (heard)
		return snprintf(buf, size, "c%u: bye %u", serial, serial);
	return snprintf(buf, size, "bye %u", serial);
}

static int churn_start(struct churn *ch)
{
	struct peer *p = &ch->pool[ch->free[--ch->nfree]];
	const struct proto *proto = &proto_frontdesk;
	char text[32];
	int len;

	p->serial = ++ch->serial;
	snprintf(ch->nicks[p - ch->pool], sizeof(ch->nicks[0]), "c%u", p->serial);
	p->connected = p->writing = p->finished = false;
	p->out_len = p->carry_len = 0;
	len = churn_text(text, sizeof(text), p->serial, false);
	if (proto->hello(p) < 0 || proto->send(p, text, (size_t)len) < 0)
		return -1;
	return bench_connect(ch->b, p);
}

void churn_tick(struct churn *ch)
{
	uint64_t now = now_ns();

	if (!ch->start_ns)
		ch->start_ns = now;
	while (ch->nfree > 0 && ch->start_ns + ch->next * ch->interval_ns <= now) {
		if (churn_start(ch) < 0) {
			bench_fail(ch->b, "churner %u: cannot connect", ch->serial);
			return;
		}
		ch->next++;
	}
}

void churn_measure(struct churn *ch)
{
	ch->counting = true;
	ch->done = 0;
}

void churn_heard(struct churn *ch, struct peer *p, const char *body, size_t len)
{
	char own[48];
	int n = churn_text(own, sizeof(own), p->serial, true);

	if ((size_t)n == len && memcmp(body, own, len) == 0)
		p->finished = true;
}

void churn_leave(struct churn *ch, struct peer *p)
{
	event_free(p->rev);
	event_free(p->wev);
	p->rev = p->wev = NULL;
	close(p->fd);
	p->fd = -1;
	ch->free[ch->nfree++] = (unsigned)(p - ch->pool);
	if (ch->counting)
		ch->done++;
}

unsigned churn_in_flight(const struct churn *ch)
{
	return CHURN_MAX - ch->nfree;
}

uint64_t churn_done(const struct churn *ch)
{
	return ch->done;
}
