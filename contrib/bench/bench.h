/* SPDX-License-Identifier: ISC */
/*
 * bench.h - frontdesk-bench, the load generator of contrib/bench: shared types.
 *
 * One process, one event_base, one thread: the generator is pinned to its own core and must
 * stay cheaper than the server it drives, so it reads into one scratch buffer, parses in place
 * and never allocates per message. Every connection is a struct peer; what it says on the wire
 * is its server's struct proto (proto-frontdesk.c, proto-redis.c, proto-irc.c); what it
 * measures goes through bench_delivery() into the histograms of stats.h.
 *
 * A message's payload is the same for every protocol: PAYLOAD_MARK, 16 hex digits of the
 * CLOCK_MONOTONIC send time in ns, 8 of the sequence number, 4 of the sender, then 'x' up to
 * the message size. Receivers find it, parse it, and count one delivery.
 */
#ifndef FRONTDESK_BENCH_H
#define FRONTDESK_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/types.h>

#include <frontdesk/frame.h>

#include "auth.h"
#include "stats.h"

struct event;
struct event_base;
struct bench;

#define PAYLOAD_MARK   '='
#define PAYLOAD_HEAD   29 /* mark + 16 + 8 + 4 hex digits */
#define FD_PAYLOAD_MAX 8000
/* Other processes whose CPU a run reports (--watch): a second node, Redis. */
#define MAX_WATCH 4

enum peer_role {
	PEER_MEMBER,    /* receives the broadcast (fan-out), may also send */
	PEER_PUBLISHER, /* Redis only: sends for a member, receives nothing but replies */
	PEER_IDLE,      /* connected and handshaken, then silent (the queue of scenario c) */
	PEER_CUSTOMER,  /* relay: sends, waits for the agent's echo, sends again */
	PEER_AGENT,     /* relay: echoes every message back to the customer */
	PEER_CHURN,     /* churn.c: joins, says one thing, leaves once it hears it back */
};

struct peer {
	struct bench *b;
	int fd;
	struct event *rev, *wev; /* reading (always, but for a slow consumer), writing */
	unsigned idx;            /* in b->peers */
	enum peer_role role;
	int sender; /* index among senders, or -1 */
	bool connected;
	bool ready;         /* handshake done: counts towards the barrier */
	bool slow;          /* stops reading once the load starts (a slow consumer) */
	bool notices;       /* frontdesk: opted into notices, reports joins (the observer) */
	bool writing;       /* EV_WRITE is armed: output is waiting */
	struct peer *pub;   /* Redis: the connection this member publishes through */
	const char *nick;   /* its name (frontdesk, IRC) or channel (Redis) */
	const char *target; /* where its messages go: Redis channel, IRC channel or nick */
	char *carry;        /* a partial message left from the last read */
	size_t carry_len, carry_cap;
	char *out; /* output not yet taken by the kernel */
	size_t out_len, out_cap;
	uint32_t *last_seq; /* member: per sender, the next sequence number expected */
	uint32_t serial;    /* churner: which one (its nickname and its message say so) */
	bool finished;      /* churner: heard its own message; leaves after this read */
	/* frontdesk-ws: the 101 came (frames follow); the Sec-WebSocket-Accept it must carry */
	bool ws_open;
	char ws_accept[32];
};

/* What differs between the three servers. Each returns -errno on a protocol failure. */
struct proto {
	const char *name;
	/* Bytes @p sends once connected (nickname, SUBSCRIBE, NICK/USER/JOIN...). */
	int (*hello)(struct peer *p);
	/* Parse whole messages at @buf; return the bytes consumed (the rest is kept for later). */
	ssize_t (*scan)(struct peer *p, const char *buf, size_t len);
	/* Append a message carrying @payload from @p to its target. */
	int (*send)(struct peer *p, const char *payload, size_t len);
	/* Deliveries of one message: the sender hears its own (true) or not (IRC). */
	bool echo;
	/* Senders publish through a separate connection (Redis: a subscriber cannot publish). */
	bool separate_publisher;
	/* Handshakes in flight at once: below the server's listen backlog. */
	unsigned max_pending;
};

/* A run, as the command line gives it (options.c). */
struct options {
	const struct proto *proto;
	const char *host;
	unsigned port, agent_port;
	unsigned port2; /* a second node: odd members connect there (a cluster), or 0 */
	pid_t pid;
	/* --watch NAME=PID: more processes to read CPU from at both ends of the measured load */
	struct watch {
		const char *name;
		pid_t pid;
	} watch[MAX_WATCH];
	unsigned nwatch;
	unsigned members, senders, size, window, slow, relay, channel_size;
	double rate, duration, warmup, settle;
	double churn;     /* connections/s that join, say one thing and leave (frontdesk) */
	double rss_after; /* seconds after the load to read the server's RSS again, or 0 */
	bool idle;
	const char *key_file, *label;
	/* team.c: --team AGENTS at the desk with several agents, on --agent-socket */
	unsigned team, customers, round_trips;
	double arrive; /* customers/s arriving, or 0: all at once (MAX_PENDING handshakes) */
	const char *agent_socket;
};

/* One run: its peers, its stage, what it measured. Owned by main (bench.c). */
struct bench {
	struct options o;
	struct event_base *base;
	struct peer *peers;
	unsigned npeers, nconnected, nready;
	unsigned phase_end[3], nphases, phase;
	unsigned nsenders;
	struct peer **senders;
	uint32_t *sent, *acked; /* per sender */
	struct peer *tracker;
	struct event *tick; /* stage changes, the open-loop schedule */
	struct sockaddr_in addr, agent_addr, addr2;
	unsigned char key[AUTH_KEY_MAX];
	size_t key_len;
	char *scratch;
	uint64_t now; /* ns, when the current read returned */
	enum { CONNECTING, SETTLING, WARMUP, MEASURING, DRAINING, DONE } stage;
	double stage_at, connect_started;
	/* open loop */
	uint64_t start_ns, next_msg;
	/* measured */
	struct hist lat;
	struct hist lat_cross; /* --port2: deliveries from a sender on the other node */
	uint64_t cross_deliveries;
	uint64_t deliveries, gaps, reorders, late_sends;
	uint64_t plain_deliveries; /* without our stamp: churners' messages, and to churners */
	struct hist send_lag;
	struct proc_sample base_sample, ready_sample, m0, m1, end_sample;
	struct proc_sample w0[MAX_WATCH], w1[MAX_WATCH]; /* --watch, at m0 and m1 */
	struct churn *churn;
	double cpu0, cpu1;
	int error;
	char errmsg[512];
};

extern const struct proto proto_frontdesk;
extern const struct proto proto_redis;
extern const struct proto proto_irc;
extern const struct proto proto_frontdesk_ws;

/* proto-frontdesk.c, which proto-ws.c wraps: frames, whatever carries them. */
int fd_put_frame(struct peer *p, enum fd_frame_type type, const char *body, size_t len);
int fd_hello(struct peer *p);
ssize_t fd_scan(struct peer *p, const char *buf, size_t len);
int fd_send(struct peer *p, const char *payload, size_t len);
/* proto-ws.c: one frame (its 7-byte header @hdr, then @body) as one masked text message. */
int ws_put_message(struct peer *p, const char hdr[FD_FRAME_HEADER_LEN], const char *body,
		   size_t len);

/* Called by the protos. */
/* Whether @p is connected to the second node (--port2): the odd members. */
bool peer_on_port2(const struct bench *b, const struct peer *p);
void bench_ready(struct bench *b, struct peer *p);
struct peer *bench_peer(struct bench *b, unsigned idx);
unsigned bench_npeers(const struct bench *b);
/* A message with payload @payload (@len bytes, starting at PAYLOAD_MARK) reached @p. */
void bench_delivery(struct peer *p, const char *payload, size_t len);
/* Append @len bytes to @p's output; they go out at the end of this loop turn. */
int peer_write(struct peer *p, const void *data, size_t len);
/* Write what @p has queued now; the rest waits for EV_WRITE (p->wev). 0 or -errno. */
int peer_flush(struct peer *p);
/* Frontdesk relay: the key the agent answers the challenge with. */
const unsigned char *bench_key(const struct bench *b, size_t *ret_len);
void bench_fail(struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Connect @p (non-blocking); it says hello once connected, churners excepted. */
int bench_connect(struct bench *b, struct peer *p);
/* A message without our stamp reached @p: a churner's, counted as a delivery. */
void bench_plain_delivery(struct peer *p, const char *body, size_t len);
/* The churn of the run, or NULL. */
struct churn *bench_churn(struct bench *b);

/*
 * churn.c: --churn RATE. Connections arrive on a schedule while the room chats: each sends
 * its nickname, "hello notices" and one message at once, waits for its message to come back
 * (the room echoes it), and closes. At most CHURN_MAX are in flight; a late one starts as
 * soon as one finishes, so the achieved rate shows in the report.
 */
#define CHURN_MAX 256
struct churn;
int churn_new(struct bench *b, double rate, struct churn **ret);
/* Start every churner due by now. */
void churn_tick(struct churn *ch);
/* From now on count what finishes (the measured part of the run). */
void churn_measure(struct churn *ch);
/* @p heard a message; if it is its own, it is finished. */
void churn_heard(struct churn *ch, struct peer *p, const char *body, size_t len);
/* Close a finished churner and free its slot. */
void churn_leave(struct churn *ch, struct peer *p);
unsigned churn_in_flight(const struct churn *ch);
/* Churners finished since churn_measure(). */
uint64_t churn_done(const struct churn *ch);

/* options.c: fill @o from the command line; -EINVAL when it does not describe a run. */
int bench_parse_options(int argc, char **argv, struct options *o);
void bench_usage(FILE *f);
/*
 * team.c: --team AGENTS. The desk with several agents: AGENTS agents on the agent socket,
 * each granted "caps ids agent", serve --customers customers who arrive at once (or at
 * --arrive a second), each for --round-trips round trips, then quit. Returns main's status.
 */
int team_run(struct bench *b);

/* report.c: the summary on stderr, then one RESULT line of key=value pairs on stdout. */
void bench_report(const struct bench *b);
/* Each --watch process's CPU: " cpu_NAME_pct=... cpu_NAME_ns_per_msg=..." (and per delivery
 * unless @deliveries is 0) into the RESULT line being written, a line each on stderr. */
void bench_report_watched_cpu(const struct bench *b, double wall, double deliveries, double msgs);
/* bench.c: read every --watch process into @s (b->w0 or b->w1); a failure fails the run. */
void bench_sample_watched(struct bench *b, struct proc_sample *s);

#endif
