/* SPDX-License-Identifier: ISC */
/*
 * config-cluster.c - the cluster's keys: "cluster = off | redis://HOST[:PORT][/DB]", the names
 * that prefix its Redis keys, and what start-up reads for the link (the address, resolved
 * once; the password, from a file so it is in no config a reader may see).
 */
#include "config-cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-priv.h"
#include "log.h"

static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				 "0123456789_.-";

static bool valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n >= 1 && n <= max && strspn(s, name_chars) == n;
}

/* The first label of the host name, when it fits the names' rules; "node" when not. */
static void default_node_name(char *buf, size_t len)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	host[strcspn(host, ".")] = '\0';
	host[len - 1 < 64 ? len - 1 : 64] = '\0';
	snprintf(buf, len, "%.64s", valid_name(host, 64) ? host : "node");
}

void config_cluster_init(struct config *c)
{
	c->cluster = false;
	c->cluster_host[0] = '\0';
	c->cluster_port = CONFIG_CLUSTER_DEFAULT_PORT;
	c->cluster_db = 0;
	c->cluster_password_file[0] = '\0';
	snprintf(c->cluster_name, sizeof(c->cluster_name), "frontdesk");
	default_node_name(c->node_name, sizeof(c->node_name));
	c->cluster_lease = 10;
	c->cluster_hold_bytes = 4 * 1024 * 1024;
}

/* "PORT" or "PORT/DB" or "/DB" after the host; what is absent keeps its default. */
static int parse_port_db(const char *s, struct config *c, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	if (*s == ':') {
		if (s[1] < '0' || s[1] > '9' || (v = strtoul(s + 1, &end, 10)) < 1 || v > 65535 ||
		    (*end && *end != '/')) {
			snprintf(err, errlen, "cluster: the port must be 1..65535");
			return -EINVAL;
		}
		c->cluster_port = (unsigned)v;
		s = end;
	}
	if (*s == '/' && s[1]) {
		if (s[1] < '0' || s[1] > '9' ||
		    (v = strtoul(s + 1, &end, 10)) > CONFIG_CLUSTER_MAX_DB || *end) {
			snprintf(err, errlen, "cluster: the database must be a number 0..%d",
				 CONFIG_CLUSTER_MAX_DB);
			return -EINVAL;
		}
		c->cluster_db = (unsigned)v;
	} else if (*s && strcmp(s, "/") != 0) {
		snprintf(err, errlen, "cluster: unexpected '%s' after the host", s);
		return -EINVAL;
	}
	return 0;
}

/* The host of "redis://HOST...": a name, an IPv4 address or "[IPv6]" (kept without brackets). */
static const char *parse_host(const char *s, struct config *c, char *err, size_t errlen)
{
	const char *end;
	size_t n;
	unsigned char a6[16];

	if (*s == '[') {
		end = strchr(s, ']');
		n = end ? (size_t)(end - s - 1) : 0;
		if (!end || n >= sizeof(c->cluster_host))
			goto bad;
		memcpy(c->cluster_host, s + 1, n);
		c->cluster_host[n] = '\0';
		if (inet_pton(AF_INET6, c->cluster_host, a6) != 1)
			goto bad;
		return end + 1;
	}
	n = strcspn(s, ":/");
	if (n == 0 || n >= sizeof(c->cluster_host) || strspn(s, name_chars) < n)
		goto bad;
	memcpy(c->cluster_host, s, n);
	c->cluster_host[n] = '\0';
	return s + n;
bad:
	snprintf(err, errlen, "cluster: no usable host in '%s' (a name, an IPv4 address or [IPv6])",
		 s);
	return NULL;
}

int config_parse_cluster(const struct config_key *k, struct config *c, const char *value, char *err,
			 size_t errlen)
{
	struct config next = *c;
	const char *rest;

	if (config_is_off(value)) {
		c->cluster = false;
		return 0;
	}
	if (strncmp(value, "rediss://", 9) == 0) {
		snprintf(err, errlen,
			 "cluster: TLS to Redis is not supported by hiredis 0.14; see the README "
			 "(stunnel)");
		return -EINVAL;
	}
	if (strncmp(value, "redis://", 8) != 0) {
		snprintf(err, errlen, "cluster must be off or redis://HOST[:PORT][/DB], not '%s'",
			 value);
		return -EINVAL;
	}
	next.cluster_port = CONFIG_CLUSTER_DEFAULT_PORT;
	next.cluster_db = 0;
	rest = parse_host(value + 8, &next, err, errlen);
	if (!rest || parse_port_db(rest, &next, err, errlen) < 0)
		return -EINVAL;
	next.cluster = true;
	*c = next;
	return 0;
}

int config_cluster_set_url(struct config *c, const char *url, char *err, size_t errlen)
{
	if (strncmp(url, "redis://", 8) != 0) {
		snprintf(err, errlen, "not redis://HOST[:PORT][/DB]: '%s'", url);
		return -EINVAL;
	}
	return config_parse_cluster(NULL, c, url, err, errlen);
}

/* cluster_name, node_name: [A-Za-z0-9_.-], 1 to k->max characters (they go into Redis keys). */
int config_parse_name(const struct config_key *k, struct config *c, const char *value, char *err,
		      size_t errlen)
{
	if (!valid_name(value, k->max)) {
		snprintf(err, errlen, "%s must be 1 to %lu of A-Z a-z 0-9 _ . -, not '%s'", k->name,
			 k->max, value);
		return -EINVAL;
	}
	strcpy((char *)c + k->offset, value);
	return 0;
}

int config_cluster_resolve(const struct config *c, char *ip, size_t iplen, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int r = getaddrinfo(c->cluster_host, NULL, &hints, &ai);
	const void *addr;

	if (r != 0) {
		snprintf(err, errlen, "cluster: cannot resolve %s: %s", c->cluster_host,
			 r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return r == EAI_SYSTEM && errno ? -errno : -EADDRNOTAVAIL;
	}
	if (ai->ai_family == AF_INET6)
		addr = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
	else
		addr = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
	r = inet_ntop(ai->ai_family, addr, ip, (socklen_t)iplen) ? 0 : -errno;
	freeaddrinfo(ai);
	if (r < 0)
		snprintf(err, errlen, "cluster: %s: %s", c->cluster_host, strerror(-r));
	return r;
}

int config_cluster_password(const struct config *c, char *buf, size_t len, char *err, size_t errlen)
{
	const char *path = c->cluster_password_file;
	struct stat st;
	FILE *f;
	size_t n;

	buf[0] = '\0';
	if (!path[0])
		return 0;
	f = fopen(path, "re");
	if (!f) {
		int e = errno;

		snprintf(err, errlen, "cluster_password_file %s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IRWXO))
		log_warnx("cluster_password_file %s: others may access it; run chmod o-rwx %s",
			  path, path);
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\n");
	buf[n] = '\0';
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (!n) {
		snprintf(err, errlen, "cluster_password_file %s: the first line is empty", path);
		return -EINVAL;
	}
	return 0;
}
