/* SPDX-License-Identifier: ISC */
/*
 * proxy.c - the PROXY protocol: parsing the header (pure functions) and the wait for it at
 * accept (see proxy.h for the design).
 *
 * State: each connection from a balancer is one struct proxy_wait on the server's @proxying
 * list, owning its descriptor, one event (read or deadline) and the header bytes taken so
 * far. It leaves the list in one place, wait_end(), handing the descriptor to server_admit()
 * or closing it.
 */
#include "proxy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "server.h"

static const uint8_t v2_sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

static enum proxy_status bad(struct proxy_result *out, const char *why)
{
	out->why = why;
	return PROXY_BAD;
}

/* A decimal port, 0..65535, without a sign or a leading zero. */
static bool parse_port(const char *s, uint16_t *ret)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*ret = (uint16_t)v;
	return true;
}

/* The client address of a v1 "TCP4"/"TCP6" line: fields SRC DST SPORT DPORT. */
static enum proxy_status v1_address(char **f, int family, struct proxy_result *out)
{
	uint16_t sport, dport;
	unsigned char dst[16];

	if (!parse_port(f[2], &sport) || !parse_port(f[3], &dport))
		return bad(out, "v1: a port is not a number 0..65535");
	if (inet_pton(family, f[1], dst) != 1)
		return bad(out, "v1: the destination is not an address of its family");
	memset(&out->addr, 0, sizeof(out->addr));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&out->addr;

		in->sin_family = AF_INET;
		in->sin_port = htons(sport);
		if (inet_pton(AF_INET, f[0], &in->sin_addr) != 1)
			return bad(out, "v1: the source is not an IPv4 address");
		out->addrlen = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->addr;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(sport);
		if (inet_pton(AF_INET6, f[0], &in6->sin6_addr) != 1)
			return bad(out, "v1: the source is not an IPv6 address");
		out->addrlen = sizeof(*in6);
	}
	return PROXY_DONE;
}

/* A whole v1 line (without "\r\n"): "PROXY TCP4|TCP6 SRC DST SPORT DPORT" or "PROXY UNKNOWN...". */
static enum proxy_status v1_line(const uint8_t *buf, size_t n, struct proxy_result *out)
{
	char line[PROXY_V1_MAX], *f[7], *p = line;
	size_t nf = 0;

	memcpy(line, buf, n);
	line[n] = '\0';
	/* Fields are separated by exactly one space: an empty field is an error. */
	while (nf < 7) {
		f[nf++] = p;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (strcmp(f[0], "PROXY") != 0 || nf < 2)
		return bad(out, "v1: not a PROXY line");
	if (strcmp(f[1], "UNKNOWN") == 0) {
		out->local = true; /* the rest of the line is ignored, as the spec says */
		return PROXY_DONE;
	}
	if (strcmp(f[1], "TCP4") != 0 && strcmp(f[1], "TCP6") != 0)
		return bad(out, "v1: the protocol is not TCP4, TCP6 or UNKNOWN");
	if (nf != 6 || p)
		return bad(out, "v1: not SRC DST SPORT DPORT");
	for (size_t i = 2; i < 6; i++)
		if (!*f[i])
			return bad(out, "v1: an empty field");
	return v1_address(f + 2, f[1][3] == '4' ? AF_INET : AF_INET6, out);
}

static enum proxy_status parse_v1(const uint8_t *buf, size_t len, struct proxy_result *out)
{
	static const char prefix[] = "PROXY ";
	size_t i;

	out->version = 1;
	if (memcmp(buf, prefix, len < 6 ? len : 6) != 0)
		return bad(out, "v1: does not begin with \"PROXY \"");
	for (i = 0; i < len && i < PROXY_V1_MAX; i++) {
		if (buf[i] == '\r')
			break;
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return bad(out, "v1: a byte that is not printable ASCII");
	}
	/* The '\r' of a 107-byte line is its 106th byte (index 105): past that it cannot fit. */
	if (i >= PROXY_V1_MAX - 1)
		return bad(out, "v1: longer than 107 bytes");
	if (i + 1 >= len)
		return PROXY_NEED_MORE; /* no '\r' yet, or the '\n' after it is still to come */
	if (buf[i + 1] != '\n')
		return bad(out, "v1: '\\r' not followed by '\\n'");
	out->len = i + 2;
	return v1_line(buf, i, out);
}

/* A v2 header's address block for TCP over IPv4 (0x11) or IPv6 (0x21): the source. */
static enum proxy_status v2_address(const uint8_t *a, size_t alen, uint8_t fam,
				    struct proxy_result *out)
{
	memset(&out->addr, 0, sizeof(out->addr));
	if (fam == 0x11) {
		struct sockaddr_in *in = (struct sockaddr_in *)&out->addr;

		if (alen < 12)
			return bad(out, "v2: the IPv4 address block is too short");
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a, 4);
		memcpy(&in->sin_port, a + 8, 2); /* network order on the wire and in sin_port */
		out->addrlen = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->addr;

		if (alen < 36)
			return bad(out, "v2: the IPv6 address block is too short");
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, a, 16);
		memcpy(&in6->sin6_port, a + 32, 2);
		out->addrlen = sizeof(*in6);
	}
	return PROXY_DONE;
}

static enum proxy_status parse_v2(const uint8_t *buf, size_t len, struct proxy_result *out)
{
	size_t alen, total;
	uint8_t cmd, fam;

	out->version = 2;
	if (memcmp(buf, v2_sig, len < sizeof(v2_sig) ? len : sizeof(v2_sig)) != 0)
		return bad(out, "v2: wrong signature");
	if (len > 12 && (buf[12] >> 4) != 2)
		return bad(out, "v2: not version 2");
	if (len > 12 && (buf[12] & 0x0f) > 1)
		return bad(out, "v2: a command other than LOCAL or PROXY");
	if (len < 16)
		return PROXY_NEED_MORE;
	cmd = buf[12] & 0x0f;
	fam = buf[13];
	alen = (size_t)buf[14] << 8 | buf[15];
	total = 16 + alen;
	if (total > PROXY_HEADER_MAX)
		return bad(out, "v2: longer than PROXY_HEADER_MAX (1024 bytes)");
	/* Checked before the rest arrives: a bad family ends it now, not at the deadline. */
	if (cmd == 1 && fam != 0x00 && fam != 0x11 && fam != 0x21)
		return bad(out, "v2: neither TCP over IPv4 or IPv6 nor unspecified");
	if (len < total)
		return PROXY_NEED_MORE;
	out->len = total;
	/* LOCAL: the balancer speaking for itself; UNSPEC: it does not know the client. */
	if (cmd == 0 || fam == 0x00) {
		out->local = true;
		return PROXY_DONE;
	}
	return v2_address(buf + 16, alen, fam, out); /* TLVs after the addresses: skipped */
}

enum proxy_status proxy_parse(const uint8_t *buf, size_t len, struct proxy_result *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return PROXY_NEED_MORE;
	if (buf[0] == 'P')
		return parse_v1(buf, len, out);
	if (buf[0] == v2_sig[0])
		return parse_v2(buf, len, out);
	return bad(out, "not a PROXY header");
}

static bool net_matches(const struct net_prefix *n, int family, const unsigned char *addr)
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;

	if (family != n->family)
		return false;
	if (memcmp(addr, n->addr, full) != 0)
		return false;
	return !rest || ((addr[full] ^ n->addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}

bool proxy_trusted(const struct net_list *from, const struct sockaddr *sa)
{
	static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const unsigned char *addr;
	int family = sa->sa_family;

	if (family == AF_INET) {
		addr = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		addr = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0) {
			family = AF_INET;
			addr += sizeof(v4_mapped);
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < from->n; i++)
		if (net_matches(&from->v[i], family, addr))
			return true;
	return false;
}

/* One balancer connection waiting for its header. */
struct proxy_wait {
	TAILQ_ENTRY(proxy_wait) entry; /* server->proxying */
	struct server *server;
	const struct listener *listener;
	int fd;
	struct event *ev;            /* readable, or the deadline */
	double deadline;             /* fd_clock_seconds() */
	struct sockaddr_storage via; /* the balancer */
	socklen_t vialen;
	char via_name[64]; /* "ip:port" of the balancer, for the log */
	size_t n;          /* header bytes taken so far */
	uint8_t buf[PROXY_HEADER_MAX];
};

/* The wait is over: off the list, its event freed; the descriptor is the caller's. */
static void wait_end(struct proxy_wait *w)
{
	struct server *s = w->server;

	TAILQ_REMOVE(&s->proxying, w, entry);
	s->nproxying--;
	event_free(w->ev);
	free(w);
}

/* Close a wait that failed; @why goes to the log (rate-limited: a balancer may be busy). */
static void wait_fail(struct proxy_wait *w, const char *why)
{
	char text[160];

	snprintf(text, sizeof(text), "PROXY header: %s", why);
	/* Counted with the refusals of the same second: each still says why at debug level. */
	if (!server_log_refusal(w->server, w->via_name, text))
		log_debug("%s: refused: %s", w->via_name, text);
	evutil_closesocket(w->fd);
	wait_end(w);
}

/* The header is in: the connection goes on as the client's (or the balancer's own). */
static void wait_done(struct proxy_wait *w, const struct proxy_result *r)
{
	struct server *s = w->server;
	const struct listener *l = w->listener;
	struct sockaddr_storage sa;
	socklen_t salen;
	int fd = w->fd;
	char client[64];

	if (r->local) {
		sa = w->via;
		salen = w->vialen;
		log_debug("%s: PROXY v%u header without a client address: the balancer's own",
			  w->via_name, r->version);
	} else {
		sa = r->addr;
		salen = r->addrlen;
		listener_addr_format((struct sockaddr *)&sa, salen, client, sizeof(client));
		log_info("%s: via %s (PROXY v%u)", client, w->via_name, r->version);
	}
	wait_end(w);
	server_admit(s, fd, (struct sockaddr *)&sa, (int)salen, l);
}

static void wait_arm(struct proxy_wait *w)
{
	double left = w->deadline - fd_clock_seconds();
	struct timeval tv = { 0, 0 };

	if (left > 0) {
		tv.tv_sec = (time_t)left;
		tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6);
	}
	event_add(w->ev, &tv);
}

/* Readable (or the deadline): peek, parse, take exactly the header's bytes (see proxy.h). */
static void on_wait(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_wait *w = arg;
	struct proxy_result r;
	enum proxy_status st;
	ssize_t k, take;

	if (what & EV_TIMEOUT) {
		wait_fail(w, "none within the deadline");
		return;
	}
	k = recv(fd, w->buf + w->n, sizeof(w->buf) - w->n, MSG_PEEK);
	if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		wait_arm(w);
		return;
	}
	if (k <= 0) {
		/* A TCP health check connects and closes: not worth a warning. */
		log_debug("%s: closed before its PROXY header%s%s", w->via_name, k ? ": " : "",
			  k ? strerror(errno) : "");
		evutil_closesocket(w->fd);
		wait_end(w);
		return;
	}
	st = proxy_parse(w->buf, w->n + (size_t)k, &r);
	if (st == PROXY_BAD) {
		wait_fail(w, r.why);
		return;
	}
	take = st == PROXY_DONE ? (ssize_t)(r.len - w->n) : k;
	/* What was peeked is in the socket: this takes it, and nothing past the header. */
	if (recv(fd, w->buf + w->n, (size_t)take, 0) != take) {
		wait_fail(w, "the socket failed while reading it");
		return;
	}
	w->n += (size_t)take;
	if (st == PROXY_DONE)
		wait_done(w, &r);
	else if (w->n == sizeof(w->buf))
		wait_fail(w, "too long"); /* proxy_parse() refuses first; kept as a bound */
	else
		wait_arm(w);
}

/* Every descriptor counts against max_clients, waiting ones too (admit.h). */
static const char *wait_refusal(struct server *s)
{
	if (s->nproxying >= PROXY_PENDING_MAX)
		return "too many connections waiting for their PROXY header";
	if (s->counts[BUCKET_STARTUP] + s->counts[BUCKET_CLIENT] + s->nproxying >=
	    s->config.max_clients)
		return "the server is full (waiting for PROXY headers)";
	return NULL;
}

void proxy_accept(struct server *s, int fd, const struct sockaddr *sa, socklen_t salen,
		  const struct listener *l)
{
	unsigned timeout = s->config.handshake_timeout < PROXY_TIMEOUT ? s->config.handshake_timeout
								       : PROXY_TIMEOUT;
	const char *refuse = wait_refusal(s);
	struct proxy_wait *w = refuse ? NULL : calloc(1, sizeof(*w));
	char name[64];

	if (!w || salen > (socklen_t)sizeof(w->via) ||
	    !(w->ev = event_new(s->base, fd, EV_READ, on_wait, w))) {
		listener_addr_format(sa, salen, name, sizeof(name));
		server_log_refusal(s, name, refuse ? refuse : "out of memory");
		free(w);
		evutil_closesocket(fd);
		return;
	}
	w->server = s;
	w->listener = l;
	w->fd = fd;
	memcpy(&w->via, sa, (size_t)salen);
	w->vialen = salen;
	listener_addr_format(sa, salen, w->via_name, sizeof(w->via_name));
	w->deadline = fd_clock_seconds() + timeout;
	TAILQ_INSERT_TAIL(&s->proxying, w, entry);
	s->nproxying++;
	wait_arm(w);
}

void proxy_stop_all(struct server *s)
{
	struct proxy_wait *w;

	while ((w = TAILQ_FIRST(&s->proxying))) {
		evutil_closesocket(w->fd);
		wait_end(w);
	}
}
