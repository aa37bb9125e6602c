/* SPDX-License-Identifier: ISC */
/*
 * metrics-json.c - /status: the same facts as /metrics for `frontdeskctl status`, with the
 * line's waits and each agent's load listed. Customers are shown by their place in line,
 * never by name: this endpoint has no authentication (metrics.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "build-config.h"
#include "clock.h"
#include "cluster.h"
#include "metrics-priv.h"
#include "msglog.h"
#include "server.h"
#include "store.h"
#include "utf8.h"

/* At most this many of the line are listed; "length" says how many there are. */
#define STATUS_MAX_WAITING 100

struct lister {
	struct evbuffer *o;
	unsigned n;
};

/*
 * @s as a JSON string. Nicknames are valid UTF-8 but may hold '"'; a host name or a store path
 * may not even be UTF-8: a byte that starts no valid sequence becomes U+FFFD, so the document
 * stays JSON whatever the file system allows.
 */
static void json_string(struct evbuffer *o, const char *s)
{
	size_t len = strlen(s), n;
	uint32_t cp;

	evbuffer_add(o, "\"", 1);
	for (; len; s += n, len -= n) {
		n = utf8_decode(s, len, &cp);
		if (!n) {
			evbuffer_add(o, "\\ufffd", 6);
			n = 1;
		} else if (cp == '"' || cp == '\\') {
			evbuffer_add_printf(o, "\\%c", (int)cp);
		} else if (cp < 0x20) {
			evbuffer_add_printf(o, "\\u%04x", (unsigned)cp);
		} else {
			evbuffer_add(o, s, n);
		}
	}
	evbuffer_add(o, "\"", 1);
}

static void list_waiting(void *arg, double seconds, bool away)
{
	struct lister *l = arg;

	if (++l->n > STATUS_MAX_WAITING)
		return;
	evbuffer_add_printf(l->o, "%s{\"position\":%u,\"wait_seconds\":%.0f,\"away\":%s}",
			    l->n > 1 ? "," : "", l->n, seconds, away ? "true" : "false");
}

static void list_agent(void *arg, const char *name, enum agent_status st, unsigned chats,
		       unsigned capacity)
{
	struct lister *l = arg;

	evbuffer_add_printf(l->o, "%s{\"name\":", l->n++ ? "," : "");
	json_string(l->o, name);
	evbuffer_add_printf(l->o, ",\"status\":\"%s\",\"chats\":%u,\"capacity\":%u}",
			    inspect_status_name(st), chats, capacity);
}

static void ignore_waiting(void *arg, double seconds, bool away)
{
	(void)arg, (void)seconds, (void)away;
}

static void ignore_agent(void *arg, const char *name, enum agent_status st, unsigned chats,
			 unsigned capacity)
{
	(void)arg, (void)name, (void)st, (void)chats, (void)capacity;
}

/* "line" and "agents" (the desk), or "members" (the room). */
static void mode_part(struct server *s, struct evbuffer *o, const struct snapshot *sn)
{
	struct lister l = { .o = o };
	struct inspector in = { .waiting = list_waiting, .agent = ignore_agent, .arg = &l };

	if (s->config.mode == MODE_GROUP) {
		evbuffer_add_printf(o, ",\"line\":null,\"agents\":[],\"members\":%u", sn->members);
		return;
	}
	evbuffer_add_printf(o,
			    ",\"line\":{\"length\":%u,\"longest_wait_seconds\":%.0f,\"waiting\":[",
			    sn->waiting, sn->longest_wait);
	if (s->mode->inspect)
		s->mode->inspect(s, &in);
	evbuffer_add_printf(o, "]},\"agents\":[");
	l.n = 0;
	in = (struct inspector){ .waiting = ignore_waiting, .agent = list_agent, .arg = &l };
	if (s->mode->inspect)
		s->mode->inspect(s, &in);
	evbuffer_add_printf(o, "],\"members\":null");
}

static void store_part(struct server *s, struct evbuffer *o)
{
	const struct config *cfg = &s->config;
	static const char *const kinds[] = { [CONFIG_STORE_OFF] = "off",
					     [CONFIG_STORE_MEMORY] = "memory",
					     [CONFIG_STORE_SQLITE] = "sqlite" };

	evbuffer_add_printf(o, ",\"store\":{\"backend\":\"%s\",\"path\":", kinds[cfg->store]);
	if (cfg->store == CONFIG_STORE_SQLITE)
		json_string(o, cfg->store_path);
	else
		evbuffer_add_printf(o, "null");
	evbuffer_add_printf(o, ",\"writable\":%s,\"last_id\":%" PRIu64 "}",
			    s->store_failing ? "false" : "true", msglog_last_id(s));
}

/* The cluster: null with cluster off. */
static void cluster_part(struct server *s, struct evbuffer *o)
{
	const struct cluster *cl = s->cluster;

	if (!cl) {
		evbuffer_add_printf(o, ",\"cluster\":null");
		return;
	}
	evbuffer_add_printf(o, ",\"cluster\":{\"node\":");
	json_string(o, cluster_node(cl));
	evbuffer_add_printf(o, ",\"redis\":");
	json_string(o, s->config.cluster_host);
	evbuffer_add_printf(o, ",\"port\":%u,\"up\":%s,\"epoch\":", s->config.cluster_port,
			    cluster_is_up(cl) ? "true" : "false");
	json_string(o, cluster_epoch(cl));
	evbuffer_add_printf(o, ",\"held_bytes\":%zu}", cluster_held_bytes(cl));
}

static uint64_t sum(const uint64_t *v, unsigned n)
{
	uint64_t t = 0;

	while (n--)
		t += v[n];
	return t;
}

void metrics_status(struct server *s, struct evbuffer *o)
{
	const struct stats *st = &s->stats;
	struct snapshot sn;
	char started[32], host[256] = "";

	snapshot_take(s, &sn);
	fd_clock_iso8601(s->started_unix, started, sizeof(started));
	gethostname(host, sizeof(host) - 1);
	evbuffer_add_printf(o, "{\"version\":\"%s\",\"mode\":\"%s\",\"node\":", FRONTDESK_VERSION,
			    config_mode_name(s->config.mode));
	json_string(o, s->cluster ? cluster_node(s->cluster) : host); /* node_name in a cluster */
	evbuffer_add_printf(o,
			    ",\"started\":\"%s\",\"uptime_seconds\":%.0f,\"ready\":%s,"
			    "\"not_ready\":",
			    started, sn.uptime, sn.not_ready ? "false" : "true");
	if (sn.not_ready)
		json_string(o, sn.not_ready);
	else
		evbuffer_add_printf(o, "null");
	evbuffer_add_printf(o, ",\"connections\":[");
	for (int r = ROLE_CUSTOMER, n = 0; r <= ROLE_MEMBER; r++)
		for (int p = PROTO_FRAMED; p <= PROTO_LINE; p++)
			if (sn.conns[r][p])
				evbuffer_add_printf(
				    o, "%s{\"role\":\"%s\",\"protocol\":\"%s\",\"count\":%u}",
				    n++ ? "," : "", conn_role_name((enum conn_role)r),
				    p == PROTO_LINE ? "line" : "framed", sn.conns[r][p]);
	evbuffer_add_printf(o, "],\"connections_total\":%" PRIu64 ",\"output_bytes\":%" PRIu64,
			    sum(st->connections, 3), sn.unsent);
	store_part(s, o);
	cluster_part(s, o);
	mode_part(s, o, &sn);
	evbuffer_add_printf(o,
			    ",\"counters\":{\"messages\":%" PRIu64 ",\"deliveries\":%" PRIu64
			    ",\"conversations\":%" PRIu64 ",\"refused\":%" PRIu64
			    ",\"dropped\":%" PRIu64 "}}\n",
			    st->messages, st->deliveries, st->conversations,
			    sum(st->refused, STATS_REASONS), sum(st->dropped, STATS_REASONS));
}
