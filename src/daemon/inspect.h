/* SPDX-License-Identifier: ISC */
/*
 * inspect.h - a mode shows its state to the metrics endpoint (metrics.c): each customer in
 * line and each agent, one call apiece, so the same walk serves /metrics (counted) and /status
 * (listed). Nothing here is kept: it is asked for when someone scrapes, not paid for per event.
 */
#ifndef FRONTDESK_INSPECT_H
#define FRONTDESK_INSPECT_H

#include <stdbool.h>

enum agent_status {
	AGENT_AVAILABLE, /* here, with room for a conversation */
	AGENT_BUSY,      /* here, every place taken */
	AGENT_AWAY,      /* "away": finishes its chats, gets no new ones */
	AGENT_DETACHED,  /* its connection was lost; kept for agent_grace */
	AGENT_STATUSES,
};

struct inspector {
	/* A customer in line, in order: how long it has waited; @away: kept for a resume. */
	void (*waiting)(void *arg, double seconds, bool away);
	/* An agent: its name, status, conversations and how many it may hold. */
	void (*agent)(void *arg, const char *name, enum agent_status status, unsigned chats,
		      unsigned capacity);
	void *arg;
};

/* inspect_status_name() - "available", "busy", "away", "detached". */
const char *inspect_status_name(enum agent_status status);

#endif
