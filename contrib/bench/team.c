/* SPDX-License-Identifier: ISC */
/*
 * team.c - frontdesk-bench --team AGENTS: the desk with several agents (issue 14).
 *
 * AGENTS agents connect on the agent socket (--agent-socket, a Unix socket: no key), say
 * "hello notices" and "caps ids agent", and answer every customer message at once, echoing it
 * with the customer's name as prefix ("NAME: TEXT"), which is how an agent with several
 * conversations addresses one. Once every agent has its capabilities the clock starts and
 * --customers customers arrive: all at once (the default), at most MAX_PENDING handshakes in
 * flight so that the listen backlog never drops a SYN, or at --arrive a second. Each says its
 * nickname and "hello notices", waits for "serving AGENT", then makes --round-trips round
 * trips (it says something, waits for the agent's answer) and quits. The line forms behind
 * the agents' places (max_agents x max_chats_per_agent) and drains as conversations end.
 *
 * Measured from the first arrival to the last quit: conversations per second, the wait from
 * connect() to "serving", the round trip from a customer's send to its answer, the server's
 * CPU (utime + stime, /proc/PID/stat) per message relayed (each round trip relays two: the
 * customer's to its agent, the answer back), and its peak RSS (VmHWM); --watch NAME=PID adds
 * other processes' CPU per message relayed (a second node, Redis: the desk across nodes, where
 * --port may be another node's than --agent-socket's). Each answer is checked against what its
 * customer said: a reply relayed to the wrong customer fails the run.
 *
 * Every peer is a struct peer of bench.h inside a struct tpeer; all are owned by the run and
 * freed at exit, as in bench.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include <frontdesk/frame.h>

#include "bench.h"

/* Customers connecting at once: below the daemon's max_startups (256) and listen backlog. */
#define MAX_PENDING 128
/* Give up when the run is not over after this long. */
#define RUN_TIMEOUT 120
/* Largest read, as in bench.c. */
#define READ_SIZE (256 * 1024)

enum cust_state {
	C_IDLE,       /* not yet arrived */
	C_CONNECTING, /* connect() called, no "welcome" yet: counts against MAX_PENDING */
	C_WAITING,    /* in line */
	C_TALKING,    /* served: a message out, waiting for the answer */
	C_QUITTING,   /* said "quit", waits for the server to close */
	C_GONE,
};

struct team;

struct tpeer {
	struct peer p; /* first: peer_flush() and friends take &tpeer->p */
	struct team *t;
	bool agent;
	enum cust_state state;
	unsigned trips;                    /* answers received */
	uint64_t arrived, served, sent_at; /* ns */
	char name[16];
};

struct team {
	struct bench *b;
	struct tpeer *agents, *cust;
	unsigned nagents, ncust, agents_ready, next, pending, served, done;
	uint64_t relayed, start_ns, end_ns;
	struct hist wait, rtt;
	struct proc_sample s0, s1;
	uint64_t rss_peak;
	double cpu0, cpu1;
	struct event *tick;
	struct sockaddr_un sun;
};

static int put_frame(struct peer *p, enum fd_frame_type type, const char *body, size_t len)
{
	char hdr[FD_FRAME_HEADER_LEN];

	if (fd_frame_format_header(hdr, type, len) < 0 || peer_write(p, hdr, sizeof(hdr)) < 0 ||
	    peer_write(p, body, len) < 0)
		return -ENOMEM;
	return 0;
}

static int put_command(struct peer *p, const char *cmd)
{
	return put_frame(p, FD_FRAME_COMMAND, cmd, strlen(cmd));
}

/* What customer @c says on its round trip @trip, and expects back: its name, the trip, 'x'. */
static size_t say(const struct tpeer *c, unsigned trip, unsigned size, char *buf)
{
	int n = snprintf(buf, FD_PAYLOAD_MAX, "%s t%u ", c->name, trip);

	if ((unsigned)n < size) {
		memset(buf + n, 'x', size - (unsigned)n);
		n = (int)size;
	}
	return (size_t)n;
}

static void send_next(struct tpeer *c)
{
	char text[FD_PAYLOAD_MAX];
	size_t len = say(c, c->trips, c->p.b->o.size, text);

	c->sent_at = now_ns();
	if (put_frame(&c->p, FD_FRAME_MESSAGE, text, len) < 0)
		bench_fail(c->p.b, "%s: cannot queue a message", c->name);
}

static void on_served(struct team *t, struct tpeer *c)
{
	if (c->state != C_WAITING && c->state != C_CONNECTING) {
		bench_fail(t->b, "%s: served twice", c->name);
		return;
	}
	if (c->state == C_CONNECTING)
		t->pending--; /* served at its hello: the line was empty */
	c->state = C_TALKING;
	c->served = t->b->now;
	hist_add(&t->wait, c->served - c->arrived);
	t->served++;
	send_next(c);
}

/* A customer's notice: its hello answered ("welcome"), its agent ("serving"), errors. */
static void customer_notice(struct team *t, struct tpeer *c, const char *body, size_t len)
{
	if (len >= 6 && memcmp(body, "error ", 6) == 0) {
		bench_fail(t->b, "%s: %.*s", c->name, (int)len, body);
	} else if (len >= 8 && memcmp(body, "welcome ", 8) == 0) {
		if (c->state == C_CONNECTING) {
			c->state = C_WAITING;
			t->pending--;
		}
	} else if (len >= 8 && memcmp(body, "serving ", 8) == 0) {
		on_served(t, c);
	}
	/* queued N, turns, turn, agent-online: a client would show them; nothing to do */
}

/* The agent's answer: the customer's own words back, or the run fails (misrouted). */
static void customer_message(struct team *t, struct tpeer *c, const char *body, size_t len)
{
	char want[FD_PAYLOAD_MAX];
	size_t n;

	if (c->state != C_TALKING) {
		bench_fail(t->b, "%s: a message while not talking", c->name);
		return;
	}
	n = say(c, c->trips, t->b->o.size, want);
	if (n != len || memcmp(want, body, len) != 0) {
		bench_fail(t->b, "%s: answered with someone else's words: %.40s", c->name, body);
		return;
	}
	t->relayed++;
	hist_add(&t->rtt, t->b->now - c->sent_at);
	if (++c->trips < t->b->o.round_trips) {
		send_next(c);
		return;
	}
	put_command(&c->p, "quit");
	c->state = C_QUITTING;
}

/* "ID TIME cN NAME TEXT" to an agent: answer "NAME: TEXT" at once. */
static void agent_message(struct team *t, struct tpeer *a, const char *body, size_t len)
{
	char reply[FD_FRAME_BODY_BUFSIZE];
	const char *name = body, *end = body + len, *sp;
	size_t nlen;

	for (int field = 0; field < 3; field++) {
		sp = memchr(name, ' ', (size_t)(end - name));
		if (!sp) {
			bench_fail(t->b, "%s: a message without a name: %.40s", a->name, body);
			return;
		}
		name = sp + 1;
	}
	sp = memchr(name, ' ', (size_t)(end - name));
	if (!sp) {
		bench_fail(t->b, "%s: a message without text: %.40s", a->name, body);
		return;
	}
	nlen = (size_t)(sp - name);
	if (nlen + 2 + (size_t)(end - sp - 1) > sizeof(reply)) {
		bench_fail(t->b, "%s: a message too long to answer", a->name);
		return;
	}
	memcpy(reply, name, nlen);
	memcpy(reply + nlen, ": ", 2);
	memcpy(reply + nlen + 2, sp + 1, (size_t)(end - sp - 1));
	t->relayed++;
	put_frame(&a->p, FD_FRAME_MESSAGE, reply, nlen + 2 + (size_t)(end - sp - 1));
}

static void agent_notice(struct team *t, struct tpeer *a, const char *body, size_t len)
{
	if (len >= 6 && memcmp(body, "error ", 6) == 0) {
		bench_fail(t->b, "%s: %.*s", a->name, (int)len, body);
	} else if (len >= 5 && memcmp(body, "caps ", 5) == 0 && !a->p.ready) {
		/* Without "agent" it holds one conversation: not the desk this measures. */
		if (!memmem(body, len, " agent", 6)) {
			bench_fail(t->b, "%s: not granted agent (%.*s): max_chats_per_agent > 1?",
				   a->name, (int)len, body);
			return;
		}
		a->p.ready = true;
		t->agents_ready++;
	}
	/* customer NAME, customer-left, queue N, turn NAME: nothing to do */
}

static void on_frame(struct team *t, struct tpeer *p, char type, const char *body, size_t len)
{
	switch (type) {
	case '2':
		if (p->agent)
			bench_fail(t->b, "%s: an untagged message (not granted ids?)", p->name);
		else
			customer_message(t, p, body, len);
		break;
	case '3':
		if (p->agent)
			agent_notice(t, p, body, len);
		else
			customer_notice(t, p, body, len);
		break;
	case '5':
		if (p->agent)
			agent_message(t, p, body, len);
		else
			bench_fail(t->b, "%s: a tagged message unasked", p->name);
		break;
	default:
		bench_fail(t->b, "%s: a frame of type %c", p->name, type);
	}
}

/* Whole frames at @buf go to on_frame(); returns the bytes used, or -EPROTO. */
static ssize_t scan(struct team *t, struct tpeer *p, const char *buf, size_t len)
{
	size_t at = 0;

	while (len - at >= FD_FRAME_HEADER_LEN && !t->b->error) {
		const char *f = buf + at;
		size_t flen = 0;

		for (int i = 0; i < 4; i++) {
			if (f[i] < '0' || f[i] > '9')
				return -EPROTO;
			flen = flen * 10 + (size_t)(f[i] - '0');
		}
		if (flen < FD_FRAME_HEADER_LEN || f[4] != '|' || f[6] != '|')
			return -EPROTO;
		if (len - at < flen)
			break;
		on_frame(t, p, f[5], f + FD_FRAME_HEADER_LEN, flen - FD_FRAME_HEADER_LEN);
		at += flen;
	}
	return (ssize_t)at;
}

static void customer_gone(struct team *t, struct tpeer *c)
{
	event_free(c->p.rev);
	event_free(c->p.wev);
	c->p.rev = c->p.wev = NULL;
	close(c->p.fd);
	c->p.fd = -1;
	c->state = C_GONE;
	if (++t->done == t->ncust) {
		t->end_ns = now_ns();
		event_base_loopbreak(t->b->base);
	}
}

/* Keep the partial frame at the end of a read for the next one. */
static int keep(struct peer *p, const char *rest, size_t len)
{
	if (len > p->carry_cap) {
		char *c = realloc(p->carry, len);

		if (!c)
			return -ENOMEM;
		p->carry = c;
		p->carry_cap = len;
	}
	memcpy(p->carry, rest, len);
	p->carry_len = len;
	return 0;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct tpeer *p = arg;
	struct team *t = p->t;
	char *buf = t->b->scratch;
	ssize_t n, used;

	memcpy(buf, p->p.carry, p->p.carry_len);
	n = read(fd, buf + p->p.carry_len, READ_SIZE);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0 && p->state == C_QUITTING) {
		customer_gone(t, p);
		return;
	}
	if (n <= 0) {
		bench_fail(t->b, "%s: %s", p->name,
			   n < 0 ? strerror(errno) : "the server closed the connection");
		return;
	}
	t->b->now = now_ns();
	used = scan(t, p, buf, p->p.carry_len + (size_t)n);
	if (used < 0) {
		bench_fail(t->b, "%s: bad input from the server: %.60s", p->name, buf);
		return;
	}
	if (keep(&p->p, buf + used, p->p.carry_len + (size_t)n - (size_t)used) < 0) {
		bench_fail(t->b, "out of memory");
		return;
	}
	/* What this read made it say (answers, the next message, quit) leaves in one write. */
	if (p->p.out_len)
		peer_flush(&p->p);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct tpeer *p = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	if (!p->p.connected) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			bench_fail(p->p.b, "%s: connect: %s", p->name, strerror(err ? err : errno));
			return;
		}
		p->p.connected = true;
		event_add(p->p.rev, NULL);
	}
	peer_flush(&p->p);
}

/* Connect @p (its hello already queued); it writes once connected. */
static int tconnect(struct team *t, struct tpeer *p)
{
	const struct sockaddr *sa =
	    p->agent ? (const struct sockaddr *)&t->sun : (const struct sockaddr *)&t->b->addr;
	socklen_t salen = p->agent ? sizeof(t->sun) : sizeof(t->b->addr);

	p->p.fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->p.fd < 0)
		return -errno;
	if (connect(p->p.fd, sa, salen) < 0 && errno != EINPROGRESS && errno != EAGAIN)
		return -errno;
	p->p.rev = event_new(t->b->base, p->p.fd, EV_READ | EV_PERSIST, on_read, p);
	p->p.wev = event_new(t->b->base, p->p.fd, EV_WRITE | EV_PERSIST, on_write, p);
	if (!p->p.rev || !p->p.wev)
		return -ENOMEM;
	p->p.writing = true;
	event_add(p->p.wev, NULL);
	return 0;
}

static void init_peer(struct team *t, struct tpeer *p, bool agent, unsigned i)
{
	p->p.b = t->b;
	p->t = t;
	p->p.fd = -1;
	p->p.idx = i;
	p->p.sender = -1;
	p->agent = agent;
	snprintf(p->name, sizeof(p->name), "%c%u", agent ? 'a' : 'u', i);
	p->p.nick = p->name;
	p->p.role = agent ? PEER_AGENT : PEER_CUSTOMER;
}

/* The next customer arrives: its nickname and "hello notices" leave once it is connected. */
static int arrive(struct team *t)
{
	struct tpeer *c = &t->cust[t->next++];

	if (put_frame(&c->p, FD_FRAME_NICKNAME, c->name, strlen(c->name)) < 0 ||
	    put_command(&c->p, "hello notices") < 0)
		return -ENOMEM;
	c->state = C_CONNECTING;
	c->arrived = now_ns();
	t->pending++;
	return tconnect(t, c);
}

static void start(struct team *t)
{
	if (t->b->o.pid && proc_sample(t->b->o.pid, &t->s0) < 0)
		bench_fail(t->b, "cannot read /proc/%d", (int)t->b->o.pid);
	bench_sample_watched(t->b, t->b->w0);
	t->cpu0 = self_cpu();
	t->start_ns = now_ns();
}

/* The clock: customers due arrive (MAX_PENDING at most connecting), the run's deadline. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct team *t = arg;
	struct timeval tv = { 0, 1000 };
	uint64_t now = now_ns();
	double since = t->start_ns ? (double)(now - t->start_ns) / 1e9 : 0;

	if (!t->start_ns && t->agents_ready == t->nagents)
		start(t);
	while (t->start_ns && t->next < t->ncust && t->pending < MAX_PENDING &&
	       (t->b->o.arrive <= 0 || t->next < since * t->b->o.arrive)) {
		int r = arrive(t);

		if (r < 0) {
			bench_fail(t->b, "u%u: cannot connect: %s", t->next - 1, strerror(-r));
			return;
		}
	}
	if (since > RUN_TIMEOUT) {
		bench_fail(t->b, "after %d s: %u arrived, %u served, %u done of %u", RUN_TIMEOUT,
			   t->next, t->served, t->done, t->ncust);
		return;
	}
	evtimer_add(t->tick, &tv);
}

/* The daemon's peak resident set (VmHWM, since it started), or 0. */
static uint64_t rss_peak(pid_t pid)
{
	char path[64], line[256];
	unsigned long long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %llu", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static void report(const struct team *t)
{
	const struct options *o = &t->b->o;
	double wall = (double)(t->end_ns - t->start_ns) / 1e9;
	double cpu = t->s1.cpu - t->s0.cpu, gen = t->cpu1 - t->cpu0;
	double ns_per = t->relayed ? cpu * 1e9 / (double)t->relayed : 0;
	/* write-like system calls (/proc/PID/io): where the kernel's share of the CPU comes from */
	double writes = (double)(t->s1.syscw - t->s0.syscw) / t->ncust;

	fprintf(stderr,
		"%s team: %u agents, %u customers x %u round trips in %.2f s: %.0f "
		"conversations/s\n"
		"  wait to be served p50 %.1f ms p99 %.1f ms; round trip p50 %.0f us p99 %.0f us\n"
		"  server CPU %.0f%% (%.0f ns/message relayed, %.0f us/conversation, %.0f write "
		"calls/conversation), peak RSS %.1f MiB; generator CPU %.0f%%\n",
		o->label, t->nagents, t->ncust, o->round_trips, wall, t->ncust / wall,
		(double)hist_quantile(&t->wait, 0.5) / 1e6,
		(double)hist_quantile(&t->wait, 0.99) / 1e6,
		(double)hist_quantile(&t->rtt, 0.5) / 1e3,
		(double)hist_quantile(&t->rtt, 0.99) / 1e3, cpu / wall * 100, ns_per,
		cpu * 1e6 / t->ncust, writes, (double)t->rss_peak / 1048576, gen / wall * 100);
	printf(
	    "RESULT label=%s server=frontdesk agents=%u customers=%u round_trips=%u "
	    "arrive=%.0f wall_s=%.3f conv_per_s=%.1f wait_p50_us=%.1f wait_p99_us=%.1f "
	    "rtt_p50_us=%.1f rtt_p99_us=%.1f relayed=%llu server_cpu_pct=%.1f "
	    "cpu_ns_per_msg=%.1f cpu_us_per_conv=%.1f rss_peak_b=%llu rss_start_b=%llu "
	    "rss_end_b=%llu gen_cpu_pct=%.1f writes_per_conv=%.1f",
	    o->label, t->nagents, t->ncust, o->round_trips, o->arrive, wall, t->ncust / wall,
	    (double)hist_quantile(&t->wait, 0.5) / 1e3, (double)hist_quantile(&t->wait, 0.99) / 1e3,
	    (double)hist_quantile(&t->rtt, 0.5) / 1e3, (double)hist_quantile(&t->rtt, 0.99) / 1e3,
	    (unsigned long long)t->relayed, cpu / wall * 100, ns_per, cpu * 1e6 / t->ncust,
	    (unsigned long long)t->rss_peak, (unsigned long long)t->s0.rss,
	    (unsigned long long)t->s1.rss, gen / wall * 100, writes);
	bench_report_watched_cpu(t->b, wall, 0, (double)t->relayed);
	putchar('\n');
}

static int setup(struct bench *b, struct team *t)
{
	const struct options *o = &b->o;

	t->b = b;
	t->nagents = o->team;
	t->ncust = o->customers;
	t->agents = calloc(t->nagents, sizeof(*t->agents));
	t->cust = calloc(t->ncust, sizeof(*t->cust));
	t->tick = evtimer_new(b->base, on_tick, t);
	if (!t->agents || !t->cust || !t->tick)
		return -ENOMEM;
	if (strlen(o->agent_socket) >= sizeof(t->sun.sun_path))
		return -ENAMETOOLONG;
	t->sun.sun_family = AF_UNIX;
	strcpy(t->sun.sun_path, o->agent_socket);
	for (unsigned i = 0; i < t->ncust; i++)
		init_peer(t, &t->cust[i], false, i);
	for (unsigned i = 0; i < t->nagents; i++) {
		struct tpeer *a = &t->agents[i];

		init_peer(t, a, true, i);
		if (put_frame(&a->p, FD_FRAME_NICKNAME, a->name, strlen(a->name)) < 0 ||
		    put_command(&a->p, "hello notices") < 0 ||
		    put_command(&a->p, "caps ids agent") < 0 || tconnect(t, a) < 0)
			return -errno ? -errno : -EIO;
	}
	return 0;
}

int team_run(struct bench *b)
{
	struct team *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return 1;
	r = setup(b, t);
	if (r < 0) {
		fprintf(stderr, "frontdesk-bench: cannot start the agents: %s\n", strerror(-r));
		return 1;
	}
	on_tick(-1, 0, t);
	event_base_dispatch(b->base);
	if (b->error) {
		fprintf(stderr, "frontdesk-bench: %s\n", b->errmsg);
		return 1;
	}
	if (b->o.pid && proc_sample(b->o.pid, &t->s1) < 0) {
		fprintf(stderr, "frontdesk-bench: cannot read /proc/%d\n", (int)b->o.pid);
		return 1;
	}
	bench_sample_watched(b, b->w1);
	if (b->error) {
		fprintf(stderr, "frontdesk-bench: %s\n", b->errmsg);
		return 1;
	}
	t->cpu1 = self_cpu();
	t->rss_peak = b->o.pid ? rss_peak(b->o.pid) : 0;
	report(t);
	return 0;
}
