/* SPDX-License-Identifier: ISC */
/*
 * config-net.c - the config values that are network addresses: listen endpoints
 * ("HOST:PORT", IPv6 in brackets) and proxy_from's networks ("ADDRESS[/PREFIX]"), each a
 * comma-separated list. Kept apart from config.c, which reads the file and holds the key table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config-priv.h"
#include "config.h"

static int parse_endpoint(const char *s, size_t len, struct endpoint *e, char *err, size_t errlen)
{
	const char *colon, *host = s, *end = s + len;
	size_t hostlen;
	char port[8];
	unsigned long p;
	char *pend;

	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close || close + 1 >= end || close[1] != ':') {
			snprintf(err, errlen, "'%.*s' is not [IPV6]:PORT", (int)len, s);
			return -EINVAL;
		}
		host = s + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = NULL;
		for (const char *p2 = s; p2 < end; p2++)
			if (*p2 == ':')
				colon = p2;
		if (!colon) {
			snprintf(err, errlen, "'%.*s' is not HOST:PORT", (int)len, s);
			return -EINVAL;
		}
		hostlen = (size_t)(colon - s);
	}
	/* A URL ("http://host:port") is the likeliest mistake: its "//" is never a host's. */
	if (hostlen == 0 || hostlen >= sizeof(e->host) || memchr(host, '/', hostlen)) {
		snprintf(err, errlen, "'%.*s' has no usable host (HOST:PORT, not a URL)", (int)len,
			 s);
		return -EINVAL;
	}
	if ((size_t)(end - colon - 1) == 0 || (size_t)(end - colon - 1) >= sizeof(port)) {
		snprintf(err, errlen, "'%.*s' has no valid port", (int)len, s);
		return -EINVAL;
	}
	memcpy(port, colon + 1, (size_t)(end - colon - 1));
	port[end - colon - 1] = '\0';
	p = strtoul(port, &pend, 10);
	if (*pend || port[0] < '0' || port[0] > '9' || p > 65535) {
		snprintf(err, errlen, "'%s' is not a port number (0..65535)", port);
		return -EINVAL;
	}
	memcpy(e->host, host, hostlen);
	e->host[hostlen] = '\0';
	e->port = (unsigned)p;
	return 0;
}

/*
 * The items of a comma-separated list, blanks around each trimmed, to @item in order: at most
 * @max of them (more: "KEY takes at most MAX addresses"). 0, or the first error.
 */
static int split_list(const struct config_key *k, const char *value, size_t max,
		      int (*item)(const char *s, size_t len, size_t i, void *arg, char *err,
				  size_t errlen),
		      void *arg, char *err, size_t errlen)
{
	const char *p = value;

	for (size_t i = 0;; i++) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		int r;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (i == max) {
			snprintf(err, errlen, "%s takes at most %zu addresses", k->name, max);
			return -E2BIG;
		}
		r = item(p, (size_t)(end - p), i, arg, err, errlen);
		if (r < 0 || !comma)
			return r;
		p = comma + 1;
	}
}

static int endpoint_item(const char *s, size_t len, size_t i, void *arg, char *err, size_t errlen)
{
	struct endpoint_list *list = arg;
	int r = parse_endpoint(s, len, &list->v[i], err, errlen);

	list->n += r == 0;
	return r;
}

int config_parse_endpoints(const struct config_key *k, struct config *c, const char *value,
			   char *err, size_t errlen)
{
	struct endpoint_list list = { .n = 0 };
	int r = split_list(k, value, CONFIG_MAX_ENDPOINTS, endpoint_item, &list, err, errlen);

	if (r < 0)
		return r;
	*(struct endpoint_list *)((char *)c + k->offset) = list;
	return 0;
}

int config_parse_endpoints_or_off(const struct config_key *k, struct config *c, const char *value,
				  char *err, size_t errlen)
{
	if (config_is_off(value)) {
		((struct endpoint_list *)((char *)c + k->offset))->n = 0;
		return 0;
	}
	return config_parse_endpoints(k, c, value, err, errlen);
}

/*
 * One "ADDRESS[/PREFIX]" of proxy_from into @n, host bits cleared. Prefixes shorter than /8
 * (IPv4) or /32 (IPv6) are refused: whoever is in the list may claim any client address, and
 * "0.0.0.0/0" would let anyone dodge bans and per-address limits.
 */
static int parse_net(const char *s, size_t len, struct net_prefix *n, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = memchr(s, '/', len);
	size_t hostlen = slash ? (size_t)(slash - s) : len;
	unsigned long p;
	unsigned max;

	if (hostlen >= sizeof(host))
		goto bad;
	memcpy(host, s, hostlen);
	host[hostlen] = '\0';
	if (inet_pton(AF_INET, host, n->addr) == 1)
		n->family = AF_INET;
	else if (inet_pton(AF_INET6, host, n->addr) == 1)
		n->family = AF_INET6;
	else
		goto bad;
	max = n->family == AF_INET ? 32 : 128;
	p = max;
	if (slash) {
		char digits[4] = "";
		size_t dlen = len - hostlen - 1;
		char *end;

		if (dlen == 0 || dlen >= sizeof(digits) || slash[1] < '0' || slash[1] > '9')
			goto bad;
		memcpy(digits, slash + 1, dlen);
		digits[dlen] = '\0';
		p = strtoul(digits, &end, 10);
		if (*end || p > max)
			goto bad;
	}
	if (p < (n->family == AF_INET ? 8 : 32)) {
		snprintf(err, errlen, "proxy_from: '%.*s' is too wide (at least /8, IPv6 /32)",
			 (int)len, s);
		return -EINVAL;
	}
	n->prefix = (unsigned)p;
	for (unsigned i = 0; i < max / 8; i++) {
		unsigned keep = p >= 8 * (i + 1) ? 8 : p > 8 * i ? (unsigned)p - 8 * i : 0;

		n->addr[i] &= (unsigned char)(0xff00 >> keep);
	}
	return 0;
bad:
	snprintf(err, errlen, "proxy_from: '%.*s' is not an IPv4 or IPv6 ADDRESS[/PREFIX]",
		 (int)len, s);
	return -EINVAL;
}

static int net_item(const char *s, size_t len, size_t i, void *arg, char *err, size_t errlen)
{
	struct net_list *list = arg;
	int r = parse_net(s, len, &list->v[i], err, errlen);

	list->n += r == 0;
	return r;
}

/* proxy_from = ADDRESS[/PREFIX], ... or "off": the load balancers (proxy.h). */
int config_parse_nets(const struct config_key *k, struct config *c, const char *value, char *err,
		      size_t errlen)
{
	struct net_list list;
	int r;

	memset(&list, 0, sizeof(list)); /* compared bytewise on reload */
	if (!config_is_off(value)) {
		r = split_list(k, value, CONFIG_MAX_PROXY_FROM, net_item, &list, err, errlen);
		if (r < 0)
			return r;
	}
	*(struct net_list *)((char *)c + k->offset) = list;
	return 0;
}

/*
 * Whether @host is a literal loopback address (127.0.0.0/8, ::1). Names such as "localhost"
 * are not: checking the file must not depend on (or wait for) the resolver, and what a name
 * resolves to can change after the check.
 */
bool config_is_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

void endpoint_format(const struct endpoint *e, char *buf, size_t len)
{
	if (strchr(e->host, ':'))
		snprintf(buf, len, "[%s]:%u", e->host, e->port);
	else
		snprintf(buf, len, "%s:%u", e->host, e->port);
}
