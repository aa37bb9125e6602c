/* SPDX-License-Identifier: ISC */
/*
 * bans.c - parsing and matching bans (see bans.h). Addresses are compared as bytes under the
 * ban's prefix; an IPv4 peer seen through an IPv6 listener (::ffff:a.b.c.d) is its IPv4
 * address, so one ban covers it however it came in.
 */
#include "bans.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "nick.h"

/* The narrowest prefix a ban may have: wider ones ban a whole part of the Internet. */
#define MIN_PREFIX_V4 8
#define MIN_PREFIX_V6 32

static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Clear the bits of @addr past @prefix: the network a ban names. */
static void mask(unsigned char *addr, size_t bytes, unsigned prefix)
{
	for (size_t i = 0; i < bytes; i++) {
		unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;

		addr[i] &= (unsigned char)(0xff00 >> keep);
	}
}

static int parse_addr(const char *value, struct ban *b, const char **ret_why)
{
	char host[INET6_ADDRSTRLEN + 1], out[INET6_ADDRSTRLEN];
	const char *slash = strchr(value, '/');
	size_t len = slash ? (size_t)(slash - value) : strlen(value);
	unsigned max, min;
	char *end;

	*ret_why = "not an IPv4 or IPv6 address";
	if (len >= sizeof(host))
		return -EINVAL;
	memcpy(host, value, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, b->addr) == 1) {
		b->family = AF_INET;
		max = 32;
		min = MIN_PREFIX_V4;
	} else if (inet_pton(AF_INET6, host, b->addr) == 1) {
		b->family = AF_INET6;
		max = 128;
		min = MIN_PREFIX_V6;
	} else {
		return -EINVAL;
	}
	b->prefix = max;
	if (slash) {
		unsigned long p;

		*ret_why = "the prefix is not a number of bits";
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		p = strtoul(slash + 1, &end, 10);
		if (*end || p > max)
			return -EINVAL;
		b->prefix = (unsigned)p;
	}
	if (b->prefix < min) {
		*ret_why = b->family == AF_INET ? "a prefix shorter than /8 would ban too many"
						: "a prefix shorter than /32 would ban too many";
		return -EINVAL;
	}
	mask(b->addr, max / 8, b->prefix);
	inet_ntop(b->family, b->addr, out, sizeof(out));
	if (b->prefix == max)
		snprintf(b->spec, sizeof(b->spec), "addr:%s", out);
	else
		snprintf(b->spec, sizeof(b->spec), "addr:%s/%u", out, b->prefix);
	return 0;
}

int ban_parse(const char *text, struct ban *b, const char **ret_why)
{
	if (strncmp(text, "nick:", 5) == 0) {
		if (!fd_nick_valid(text + 5, strlen(text + 5))) {
			*ret_why = "not a valid nickname";
			return -EINVAL;
		}
		b->kind = BAN_NICK;
		snprintf(b->spec, sizeof(b->spec), "%s", text);
		return 0;
	}
	if (strncmp(text, "addr:", 5) == 0) {
		b->kind = BAN_ADDR;
		return parse_addr(text + 5, b, ret_why);
	}
	*ret_why = "write nick:NAME or addr:ADDRESS[/PREFIX]";
	return -EINVAL;
}

int ban_duration(const char *text, unsigned *ret_seconds)
{
	static const struct {
		char unit;
		unsigned seconds;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 } };
	unsigned long n;
	unsigned scale = 1;
	char *end;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	n = strtoul(text, &end, 10);
	if (*end) {
		scale = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*end == units[i].unit && !end[1])
				scale = units[i].seconds;
	}
	/* A year is "for good" in all but name; longer is a typo more likely than a wish. */
	if (!scale || !n || n > 366UL * 86400 / scale)
		return -EINVAL;
	*ret_seconds = (unsigned)(n * scale);
	return 0;
}

/* @b against the address @family/@addr (an IPv4-mapped IPv6 one taken as IPv4). */
static bool addr_matches(const struct ban *b, int family, const unsigned char *addr)
{
	unsigned char a[16];
	size_t bytes = family == AF_INET ? 4 : 16;

	if (family == AF_INET6 && memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0) {
		family = AF_INET;
		addr += sizeof(v4_mapped);
		bytes = 4;
	}
	if (b->kind != BAN_ADDR || family != b->family)
		return false;
	memcpy(a, addr, bytes);
	mask(a, bytes, b->prefix);
	return memcmp(a, b->addr, bytes) == 0;
}

bool ban_peer_matches(const struct ban *b, const char *peer)
{
	const char *colon = strrchr(peer, ':');
	size_t len = colon ? (size_t)(colon - peer) : strlen(peer);
	char host[INET6_ADDRSTRLEN + 2];
	unsigned char addr[16];

	if (len >= 2 && peer[0] == '[' && peer[len - 1] == ']') {
		peer++;
		len -= 2;
	}
	if (len >= sizeof(host))
		return false;
	memcpy(host, peer, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, addr) == 1)
		return addr_matches(b, AF_INET, addr);
	if (inet_pton(AF_INET6, host, addr) == 1)
		return addr_matches(b, AF_INET6, addr);
	return false; /* "agent-socket": no address to ban */
}

bool ban_addr_matches(const struct ban *b, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return addr_matches(
		    b, AF_INET, (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return addr_matches(b, AF_INET6,
				    ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
	return false;
}

void bans_free(struct bans *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static struct ban *find(const struct bans *l, const char *spec)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].spec, spec) == 0)
			return &l->v[i];
	return NULL;
}

const struct ban *bans_find(const struct bans *l, const char *spec)
{
	return find(l, spec);
}

int bans_put(struct bans *l, const struct ban *b)
{
	struct ban *old = find(l, b->spec), *v;

	if (old) {
		*old = *b;
		return 0;
	}
	if (l->n >= BANS_MAX)
		return -ENOSPC;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;

		if (!(v = realloc(l->v, cap * sizeof(*v))))
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *b;
	return 0;
}

bool bans_del(struct bans *l, const char *spec)
{
	struct ban *b = find(l, spec);

	if (!b)
		return false;
	/* Kept in the order they were set: "bans" lists them so. */
	memmove(b, b + 1, (size_t)(l->v + l->n - (b + 1)) * sizeof(*b));
	l->n--;
	return true;
}

void bans_expire(struct bans *l, int64_t now, void (*gone)(const struct ban *b, void *arg),
		 void *arg)
{
	size_t kept = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].until && l->v[i].until <= now) {
			if (gone)
				gone(&l->v[i], arg);
			continue;
		}
		l->v[kept++] = l->v[i];
	}
	l->n = kept;
}

static bool in_force(const struct ban *b, int64_t now)
{
	return !b->until || b->until > now;
}

const struct ban *bans_nick(const struct bans *l, const char *nick, int64_t now)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (l->v[i].kind == BAN_NICK && in_force(&l->v[i], now) &&
		    strcmp(l->v[i].spec + 5, nick) == 0)
			return &l->v[i];
	return NULL;
}

const struct ban *bans_peer(const struct bans *l, const char *peer, int64_t now)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (in_force(&l->v[i], now) && ban_peer_matches(&l->v[i], peer))
			return &l->v[i];
	return NULL;
}

const struct ban *bans_addr(const struct bans *l, const struct sockaddr *sa, int64_t now)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (in_force(&l->v[i], now) && ban_addr_matches(&l->v[i], sa))
			return &l->v[i];
	return NULL;
}
