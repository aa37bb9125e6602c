/* SPDX-License-Identifier: ISC */
/*
 * bench.c - frontdesk-bench: options, connections, the load, the report.
 *
 * A run has three stages. Connect: peers connect in order, at most the protocol's max_pending
 * handshakes at once (a full listen backlog drops SYNs, and their retries take seconds), each
 * waiting for the peers before it where the protocol needs an observer first (the first member
 * of a frontdesk room, the agent at the desk). Settle: once every peer is ready the server's RSS
 * is read (the idle figure). Load: senders send for --warmup then --duration seconds; only the
 * second part is measured, and the server's CPU, RSS and write calls are read from /proc at
 * both ends of it.
 *
 * Closed loop (default): a sender may have --window messages that the last member (the
 * tracker, which every message reaches last in join order) has not received yet; each
 * delivery to the tracker lets its sender send again. That drives the server at saturation
 * while bounding its queues, the same way for each server. Open loop (--rate): messages leave
 * on a schedule whatever the server does, and each carries its scheduled time, so a stall
 * shows up as latency rather than as a slower sender.
 *
 * Relay (--relay Q): the desk's one customer and its agent ping-pong, Q customers wait behind.
 *
 * Two nodes (--port2): the odd members (half the senders, and the tracker) join the room on a
 * second node of a cluster; a delivery whose sender is on the other node also goes into a
 * histogram of its own (cross-node latency). --watch reads more processes' CPU (the other node,
 * Redis) at the same two moments as the server's.
 *
 * Ownership: the bench owns every peer; peers are freed only at exit. Errors are returned to
 * main, which reports them once.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

/* Largest read; also the most a peer keeps of a partial message. */
#define READ_SIZE (256 * 1024)
/* Give up when the peers are not all ready after this long. */
#define CONNECT_TIMEOUT 180
/* Output a peer may have queued before the generator calls itself stuck. */
#define MAX_OUT (64u << 20)

void bench_fail(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (b->error)
		return;
	va_start(ap, fmt);
	vsnprintf(b->errmsg, sizeof(b->errmsg), fmt, ap);
	va_end(ap);
	b->error = -EPROTO;
	event_base_loopbreak(b->base);
}

struct peer *bench_peer(struct bench *b, unsigned idx)
{
	return &b->peers[idx];
}

unsigned bench_npeers(const struct bench *b)
{
	return b->npeers;
}

struct churn *bench_churn(struct bench *b)
{
	return b->churn;
}

const unsigned char *bench_key(const struct bench *b, size_t *ret_len)
{
	*ret_len = b->key_len;
	return b->key_len ? b->key : NULL;
}

bool peer_on_port2(const struct bench *b, const struct peer *p)
{
	return b->o.port2 && p->role == PEER_MEMBER && p->idx % 2;
}

void bench_ready(struct bench *b, struct peer *p)
{
	if (p->ready)
		return;
	p->ready = true;
	b->nready++;
}

int peer_write(struct peer *p, const void *data, size_t len)
{
	if (p->out_len + len > p->out_cap) {
		size_t cap = p->out_cap ? p->out_cap : 4096;
		char *n;

		while (cap < p->out_len + len)
			cap *= 2;
		if (cap > MAX_OUT)
			return -ENOBUFS;
		n = realloc(p->out, cap);
		if (!n)
			return -ENOMEM;
		p->out = n;
		p->out_cap = cap;
	}
	memcpy(p->out + p->out_len, data, len);
	p->out_len += len;
	return 0;
}

static int hex(const char *s, unsigned n, uint64_t *ret)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*ret = v;
	return 0;
}

static void put_hex(char *s, unsigned n, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = n; i-- > 0; v >>= 4)
		s[i] = digits[v & 15];
}

/* Send message number @seq of sender @k, stamped @stamp (ns). */
static int send_one(struct bench *b, unsigned k, uint64_t stamp)
{
	struct peer *p = b->senders[k];
	char payload[FD_PAYLOAD_MAX];

	payload[0] = PAYLOAD_MARK;
	put_hex(payload + 1, 16, stamp);
	put_hex(payload + 17, 8, b->sent[k]);
	put_hex(payload + 25, 4, k);
	memset(payload + PAYLOAD_HEAD, 'x', b->o.size - PAYLOAD_HEAD);
	b->sent[k]++;
	return b->o.proto->send(p, payload, b->o.size);
}

static bool loading(const struct bench *b)
{
	return b->stage == WARMUP || b->stage == MEASURING;
}

/* Closed loop: every sender fills its window, and what it wrote goes out at once. */
static void pump(struct bench *b)
{
	if (!loading(b) || b->o.rate > 0 || b->o.relay)
		return;
	for (unsigned k = 0; k < b->nsenders; k++) {
		struct peer *out = b->senders[k]->pub ? b->senders[k]->pub : b->senders[k];
		bool any = false;

		while (b->sent[k] - b->acked[k] < b->o.window) {
			if (send_one(b, k, now_ns()) < 0) {
				bench_fail(b, "sender %u: cannot queue a message", k);
				return;
			}
			any = true;
		}
		if (any && peer_flush(out) < 0)
			return;
	}
}

void bench_plain_delivery(struct peer *p, const char *body, size_t len)
{
	if (p->b->stage == MEASURING)
		p->b->plain_deliveries++;
	if (p->role == PEER_CHURN)
		churn_heard(p->b->churn, p, body, len);
}

void bench_delivery(struct peer *p, const char *payload, size_t len)
{
	struct bench *b = p->b;
	uint64_t stamp, seq, k;

	if (p->role == PEER_CHURN) {
		bench_plain_delivery(p, payload, len); /* the room's latency is its members' */
		return;
	}

	if (len < PAYLOAD_HEAD || hex(payload + 1, 16, &stamp) < 0 ||
	    hex(payload + 17, 8, &seq) < 0 || hex(payload + 25, 4, &k) < 0 || k >= b->nsenders) {
		bench_fail(b, "peer %u: a message without our stamp", p->idx);
		return;
	}
	if (p->last_seq) {
		if (seq > p->last_seq[k])
			b->gaps += seq - p->last_seq[k];
		else if (seq < p->last_seq[k])
			b->reorders++;
		p->last_seq[k] = (uint32_t)seq + 1;
	}
	if (p->role == PEER_AGENT) {
		/* The desk's agent answers with the same text: the customer sees its round trip. */
		b->o.proto->send(p, payload, len);
		return;
	}
	if (b->stage == MEASURING) {
		b->deliveries++;
		hist_add(&b->lat, b->now > stamp ? b->now - stamp : 0);
		if (b->o.port2 && peer_on_port2(b, p) != peer_on_port2(b, b->senders[k])) {
			b->cross_deliveries++;
			hist_add(&b->lat_cross, b->now > stamp ? b->now - stamp : 0);
		}
	}
	if (p->role == PEER_CUSTOMER) {
		if (loading(b))
			send_one(b, 0, now_ns());
		return;
	}
	if (p == b->tracker && seq + 1 > b->acked[k])
		b->acked[k] = (uint32_t)seq + 1; /* on_read pumps once the whole read is parsed */
}

static void set_writing(struct peer *p, bool on)
{
	if (p->writing == on)
		return;
	p->writing = on;
	if (on)
		event_add(p->wev, NULL);
	else
		event_del(p->wev);
}

/* Write what @p has queued; the rest waits for EV_WRITE. */
int peer_flush(struct peer *p)
{
	size_t done = 0;

	while (done < p->out_len) {
		ssize_t n = write(p->fd, p->out + done, p->out_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			bench_fail(p->b, "peer %u (%s): write: %s", p->idx, p->nick,
				   strerror(errno));
			return -errno;
		}
		done += (size_t)n;
	}
	memmove(p->out, p->out + done, p->out_len - done);
	p->out_len -= done;
	set_writing(p, p->out_len > 0);
	return 0;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	struct bench *b = p->b;
	char *buf = b->scratch;
	ssize_t n, used;
	size_t have;

	memcpy(buf, p->carry, p->carry_len);
	n = read(fd, buf + p->carry_len, READ_SIZE);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (loading(b) && p->slow)
			return; /* dropped as a slow consumer, as it should be */
		bench_fail(b, "peer %u (%s): %s", p->idx, p->nick,
			   n < 0 ? strerror(errno) : "the server closed the connection");
		return;
	}
	b->now = now_ns();
	have = p->carry_len + (size_t)n;
	used = b->o.proto->scan(p, buf, have);
	if (used < 0) {
		bench_fail(b, "peer %u (%s): bad input from the server: %.60s", p->idx, p->nick,
			   buf);
		return;
	}
	if (p->finished) {
		churn_leave(b->churn, p);
		return;
	}
	have -= (size_t)used;
	if (have > p->carry_cap) {
		char *c = realloc(p->carry, have);

		if (!c) {
			bench_fail(b, "out of memory");
			return;
		}
		p->carry = c;
		p->carry_cap = have;
	}
	memcpy(p->carry, buf + used, have);
	p->carry_len = have;
	/* What this read made us say (PONGs, the relay's next message) leaves in one write. */
	if (p->out_len)
		peer_flush(p);
	if (p->pub && p->pub->out_len)
		peer_flush(p->pub);
	if (p == b->tracker)
		pump(b);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	if (!p->connected) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			bench_fail(p->b, "peer %u: connect: %s", p->idx,
				   strerror(err ? err : errno));
			return;
		}
		p->connected = true;
		event_add(p->rev, NULL);
		/* A churner queued its hello, and more, before it connected. */
		if (p->role != PEER_CHURN && p->b->o.proto->hello(p) < 0) {
			bench_fail(p->b, "peer %u: cannot say hello", p->idx);
			return;
		}
	}
	peer_flush(p);
}

int bench_connect(struct bench *b, struct peer *p)
{
	const struct sockaddr_in *sa = &b->addr;
	int one = 1;

	if (p->role == PEER_AGENT && b->o.agent_port)
		sa = &b->agent_addr;
	else if (peer_on_port2(b, p))
		sa = &b->addr2;

	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(p->fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS)
		return -errno;
	p->rev = event_new(b->base, p->fd, EV_READ | EV_PERSIST, on_read, p);
	p->wev = event_new(b->base, p->fd, EV_WRITE | EV_PERSIST, on_write, p);
	if (!p->rev || !p->wev)
		return -ENOMEM;
	set_writing(p, true);
	return 0;
}

/* Connect the next member (or agent, customer...) of the run. */
static int start_connect(struct bench *b, struct peer *p)
{
	int r = bench_connect(b, p);

	if (r == 0)
		b->nconnected++;
	return r;
}

/* Connect the next peers of the current phase, keeping max_pending handshakes in flight. */
static int connect_more(struct bench *b)
{
	while (b->phase < b->nphases && b->nready == b->phase_end[b->phase] &&
	       b->nconnected == b->nready)
		b->phase++;
	if (b->phase >= b->nphases)
		return 0;
	while (b->nconnected < b->phase_end[b->phase] &&
	       b->nconnected - b->nready < b->o.proto->max_pending) {
		int r = start_connect(b, &b->peers[b->nconnected]);

		if (r < 0) {
			bench_fail(b, "peer %u: cannot connect: %s", b->nconnected, strerror(-r));
			return r;
		}
	}
	return 0;
}

static double elapsed(const struct bench *b)
{
	return now_mono() - b->stage_at;
}

static void enter(struct bench *b, int stage)
{
	b->stage = stage;
	b->stage_at = now_mono();
}

static void sample(struct bench *b, struct proc_sample *s)
{
	if (b->o.pid && proc_sample(b->o.pid, s) < 0)
		bench_fail(b, "cannot read /proc/%d", (int)b->o.pid);
}

/* The watched processes (--watch) at one end of the measured load. */
void bench_sample_watched(struct bench *b, struct proc_sample *s)
{
	for (unsigned i = 0; i < b->o.nwatch; i++)
		if (proc_sample(b->o.watch[i].pid, &s[i]) < 0)
			bench_fail(b, "cannot read /proc/%d (%s)", (int)b->o.watch[i].pid,
				   b->o.watch[i].name);
}

static void start_measuring(struct bench *b)
{
	hist_reset(&b->lat);
	hist_reset(&b->lat_cross);
	hist_reset(&b->send_lag);
	b->cross_deliveries = 0;
	b->deliveries = b->gaps = b->reorders = b->late_sends = b->plain_deliveries = 0;
	if (b->churn)
		churn_measure(b->churn);
	sample(b, &b->m0);
	bench_sample_watched(b, b->w0);
	b->cpu0 = self_cpu();
	enter(b, MEASURING);
}

static void start_load(struct bench *b)
{
	for (unsigned i = 0; i < b->npeers; i++)
		if (b->peers[i].slow)
			event_del(b->peers[i].rev);
	enter(b, b->o.warmup > 0 ? WARMUP : MEASURING);
	if (b->stage == MEASURING)
		start_measuring(b);
	b->start_ns = now_ns();
	b->next_msg = 0;
	if (b->o.relay) {
		send_one(b, 0, now_ns());
		peer_flush(b->senders[0]->pub ? b->senders[0]->pub : b->senders[0]);
	}
	pump(b);
}

/* Open loop: send every message whose time has come, stamped with that time. */
static void send_due(struct bench *b)
{
	uint64_t now = now_ns(), interval = (uint64_t)(1e9 / b->o.rate);

	while (b->start_ns + b->next_msg * interval <= now) {
		uint64_t due = b->start_ns + b->next_msg * interval;
		unsigned k = (unsigned)(b->next_msg % b->nsenders);
		struct peer *out = b->senders[k]->pub ? b->senders[k]->pub : b->senders[k];

		if (b->stage == MEASURING)
			hist_add(&b->send_lag, now - due);
		if (send_one(b, k, due) < 0 || peer_flush(out) < 0) {
			bench_fail(b, "sender %u: cannot send", k);
			return;
		}
		b->next_msg++;
	}
}

/* The measured load is over: read the server, then (--rss-after) let it go quiet. */
static void end_measuring(struct bench *b)
{
	sample(b, &b->m1);
	bench_sample_watched(b, b->w1);
	b->cpu1 = self_cpu();
	enter(b, b->o.rss_after > 0 ? DRAINING : DONE);
}

/* The clock of the run: stage changes, and the open-loop schedules. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	struct timeval tv = { 0, 1000 };

	switch (b->stage) {
	case CONNECTING:
		connect_more(b);
		if (b->nready == b->npeers) {
			enter(b, SETTLING);
		} else if (now_mono() - b->connect_started > CONNECT_TIMEOUT) {
			bench_fail(b, "only %u of %u peers ready after %d s", b->nready, b->npeers,
				   CONNECT_TIMEOUT);
			return;
		}
		break;
	case SETTLING:
		if (elapsed(b) < b->o.settle)
			break;
		sample(b, &b->ready_sample);
		if (b->o.idle)
			enter(b, DONE);
		else
			start_load(b);
		break;
	case WARMUP:
		if (elapsed(b) >= b->o.warmup)
			start_measuring(b);
		break;
	case MEASURING:
		if (elapsed(b) >= b->o.duration)
			end_measuring(b);
		break;
	case DRAINING:
		/* The last churners finish their conversations; then the server is left alone. */
		if (elapsed(b) >= b->o.rss_after && !(b->churn && churn_in_flight(b->churn))) {
			sample(b, &b->end_sample);
			enter(b, DONE);
		}
		break;
	case DONE:
		break;
	}
	if (b->stage == DONE) {
		event_base_loopbreak(b->base);
		return;
	}
	if (loading(b) && b->churn)
		churn_tick(b->churn);
	if (loading(b) && b->o.rate > 0) {
		uint64_t interval = (uint64_t)(1e9 / b->o.rate);
		uint64_t due = b->start_ns + b->next_msg * interval, now;

		send_due(b);
		now = now_ns();
		due = b->start_ns + b->next_msg * interval;
		tv.tv_usec = due > now ? (suseconds_t)((due - now) / 1000) : 0;
		if (tv.tv_usec > 1000)
			tv.tv_usec = 1000;
	}
	evtimer_add(b->tick, &tv);
}

static const char *name_of(unsigned i)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "m%u", i);
	return strdup(buf);
}

static const char *channel_of(unsigned i)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "#bench%u", i);
	return strdup(buf);
}

/* The relay's cast: peer 0 the agent, 1 the customer who sends, the rest waiting in line. */
static void cast_relay(struct bench *b, unsigned n)
{
	const struct options *o = &b->o;
	struct peer *agent = &b->peers[0], *customer = &b->peers[1];

	agent->role = PEER_AGENT;
	customer->role = PEER_CUSTOMER;
	agent->notices = true;
	customer->sender = 0;
	b->senders[0] = customer;
	for (unsigned i = 2; i < n; i++)
		b->peers[i].role = PEER_IDLE;
	if (o->proto == &proto_redis) {
		agent->nick = "agent";
		customer->nick = "customer";
		agent->target = "customer";
		customer->target = "agent";
		for (unsigned i = 2; i < n; i++)
			b->peers[i].nick = "queue";
		agent->pub = &b->peers[n];
		customer->pub = &b->peers[n + 1];
	} else if (o->proto == &proto_irc) {
		agent->target = customer->nick;
		customer->target = agent->nick;
	}
	b->phase_end[0] = 1;
	b->phase_end[1] = 2;
	b->phase_end[2] = b->npeers;
	b->nphases = 3;
}

/* The room's cast: the first senders send, the last member tracks, some never read. */
static void cast_room(struct bench *b, unsigned n, bool pubs)
{
	const struct options *o = &b->o;

	b->peers[0].notices = true;
	b->phase_end[0] = 1;
	b->phase_end[1] = b->npeers;
	b->nphases = 2;
	for (unsigned k = 0; k < b->nsenders; k++) {
		b->senders[k] = &b->peers[k];
		b->peers[k].sender = (int)k;
		if (pubs)
			b->peers[k].pub = &b->peers[n + k];
	}
	b->tracker = &b->peers[n - 1];
	/* Slow consumers: spread over the members that neither send nor track. */
	for (unsigned j = 0; j < o->slow; j++) {
		unsigned i = b->nsenders + 1 + j * (n - b->nsenders - 2) / o->slow;

		b->peers[i].slow = true;
	}
}

/* Lay out the peers of the run; see the design note for who is who. */
static int make_peers(struct bench *b)
{
	const struct options *o = &b->o;
	bool pubs = o->proto->separate_publisher;
	unsigned n, extra;

	if (o->relay) {
		n = 2 + o->relay;
		b->nsenders = 1;
	} else {
		n = o->members;
		b->nsenders = o->idle ? 0 : o->senders;
	}
	extra = pubs ? (o->relay ? 2 : b->nsenders) : 0;
	b->npeers = n + extra;
	b->peers = calloc(b->npeers, sizeof(*b->peers));
	b->senders = calloc(b->nsenders + 1, sizeof(*b->senders));
	b->sent = calloc(b->nsenders + 1, sizeof(*b->sent));
	b->acked = calloc(b->nsenders + 1, sizeof(*b->acked));
	if (!b->peers || !b->senders || !b->sent || !b->acked)
		return -ENOMEM;
	for (unsigned i = 0; i < b->npeers; i++) {
		struct peer *p = &b->peers[i];

		p->b = b;
		p->idx = i;
		p->fd = -1;
		p->sender = -1;
		p->nick = name_of(i);
		p->role = i < n ? PEER_MEMBER : PEER_PUBLISHER;
		p->target = o->proto == &proto_irc ? "#bench" : "bench";
		if (o->proto == &proto_redis && p->role == PEER_MEMBER)
			p->nick = "bench"; /* the channel it subscribes to */
		if (o->proto == &proto_irc && o->channel_size)
			p->target = channel_of(i / o->channel_size);
	}
	if (o->relay)
		cast_relay(b, n);
	else
		cast_room(b, n, pubs);
	for (unsigned i = 0; i < n && b->nsenders; i++) {
		b->peers[i].last_seq = calloc(b->nsenders, sizeof(uint32_t));
		if (!b->peers[i].last_seq)
			return -ENOMEM;
	}
	return 0;
}

static int resolve(const char *host, unsigned port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct bench *b = calloc(1, sizeof(*b));
	struct rlimit rl;
	int r;

	if (!b)
		return 1;
	if (bench_parse_options(argc, argv, &b->o) < 0) {
		bench_usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Ten thousand members need ten thousand descriptors: take what the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (resolve(b->o.host, b->o.port, &b->addr) < 0 ||
	    resolve(b->o.host, b->o.agent_port, &b->agent_addr) < 0 ||
	    resolve(b->o.host, b->o.port2, &b->addr2) < 0) {
		fprintf(stderr, "frontdesk-bench: %s is not an IPv4 address\n", b->o.host);
		return 2;
	}
	if (b->o.key_file) {
		r = auth_read_key(b->o.key_file, 0, b->key, sizeof(b->key), &b->key_len);
		if (r < 0) {
			fprintf(stderr, "frontdesk-bench: %s: %s\n", b->o.key_file, strerror(-r));
			return 1;
		}
	}
	b->scratch = malloc(2 * READ_SIZE);
	{
		struct event_config *cfg = event_config_new();

		/* Open-loop sends are scheduled to the microsecond: timerfd, not epoll's ms. */
		event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
		b->base = event_base_new_with_config(cfg);
		event_config_free(cfg);
	}
	if (b->scratch && b->base && b->o.team)
		return team_run(b);
	if (!b->scratch || !b->base || make_peers(b) < 0 ||
	    (b->o.churn > 0 && churn_new(b, b->o.churn, &b->churn) < 0)) {
		fprintf(stderr, "frontdesk-bench: out of memory\n");
		return 1;
	}
	b->tick = evtimer_new(b->base, on_tick, b);
	sample(b, &b->base_sample);
	if (b->error) {
		/* Before the loop runs, bench_fail()'s loopbreak is lost: the run would spin. */
		fprintf(stderr, "frontdesk-bench: %s\n", b->errmsg);
		return 1;
	}
	b->connect_started = now_mono();
	enter(b, CONNECTING);
	connect_more(b);
	on_tick(-1, 0, b);
	event_base_dispatch(b->base);
	if (b->error) {
		fprintf(stderr, "frontdesk-bench: %s\n", b->errmsg);
		return 1;
	}
	bench_report(b);
	return 0;
}
