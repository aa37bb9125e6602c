/* SPDX-License-Identifier: ISC */
/*
 * metrics.c - the HTTP side of metrics_listen (see metrics.h), and the snapshot its answers
 * are written from.
 *
 * evhttp is bounded where libevent 2.1 lets it be: a request head of at most 8 KiB, no body,
 * GET and HEAD only, and a connection silent for METRICS_TIMEOUT seconds is closed. It cannot
 * cap its connections: evhttp 2.1 says neither when it lets one go nor lets a caller refuse
 * one (a filter bufferevent's free hook was tried: evhttp frees the filter once it has handed
 * the last bytes down, before they are sent, and answers came out cut). So the listeners are
 * ours, with the chat listeners' back-off on EMFILE instead of libevent's spin, and the
 * endpoint belongs on loopback or a monitoring network (metrics.h, README). An answer is built
 * whole in memory (a few KiB; /status lists at most STATUS_MAX_WAITING of the line).
 */
#include "metrics.h"

#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "clock.h"
#include "cluster.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "metrics-priv.h"
#include "server.h"

#define METRICS_TIMEOUT    10
#define METRICS_MAX_HEADER 8192

struct metrics {
	struct server *server;
	struct evhttp *http;
	struct evconnlistener *listeners[CONFIG_MAX_ENDPOINTS]; /* owned by @http */
	unsigned nlisteners;
	struct event *retry; /* 1 s after an accept error */
};

static void pause_listeners(struct metrics *m)
{
	for (unsigned i = 0; i < m->nlisteners; i++)
		evconnlistener_disable(m->listeners[i]);
}

static void resume_listeners(struct metrics *m)
{
	for (unsigned i = 0; i < m->nlisteners; i++)
		evconnlistener_enable(m->listeners[i]);
}

const char *metrics_not_ready(const struct server *s)
{
	if (s->stopping)
		return "shutting down";
	if (s->store_failing)
		return "store unwritable";
	if (s->cluster && !cluster_is_up(s->cluster))
		return "cluster unreachable";
	return NULL;
}

const char *inspect_status_name(enum agent_status status)
{
	static const char *const names[] = { "available", "busy", "away", "detached" };

	return status < AGENT_STATUSES ? names[status] : "?";
}

static void on_waiting(void *arg, double seconds, bool away)
{
	struct snapshot *sn = arg;

	(void)away;
	if (!sn->waiting++ || seconds > sn->longest_wait)
		sn->longest_wait = seconds;
}

static void on_agent(void *arg, const char *name, enum agent_status st, unsigned chats,
		     unsigned capacity)
{
	struct snapshot *sn = arg;

	(void)name, (void)chats, (void)capacity;
	sn->agents[st]++;
}

void snapshot_take(struct server *s, struct snapshot *sn)
{
	struct inspector in = { .waiting = on_waiting, .agent = on_agent, .arg = sn };
	struct conn *c;

	memset(sn, 0, sizeof(*sn));
	TAILQ_FOREACH (c, &s->conns, entry) {
		if (!conn_live(c))
			continue;
		sn->conns[c->role][c->proto]++;
		sn->unsent += conn_unsent(c);
		sn->members += c->role == ROLE_MEMBER && conn_attached(c);
	}
	/* Closing conns still flush their last bytes (a shutdown waits for them). */
	TAILQ_FOREACH (c, &s->gone, entry)
		if (c->state == CONN_CLOSING && c->bev)
			sn->unsent += conn_unsent(c);
	if (s->mode->inspect)
		s->mode->inspect(s, &in);
	sn->uptime = fd_clock_seconds() - s->started_mono;
	sn->not_ready = metrics_not_ready(s);
}

/* Entries of /proc/self/fd, less the one opendir() holds. */
static double count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	double n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

void process_stats_read(struct process_stats *ps)
{
	struct rusage ru;
	struct rlimit rl;
	unsigned long vsz = 0, rss = 0;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "re");

	ps->cpu_seconds = -1;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		ps->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
				  ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	ps->rss_bytes = ps->vsz_bytes = -1;
	if (f && fscanf(f, "%lu %lu", &vsz, &rss) == 2) {
		ps->vsz_bytes = (double)vsz * (double)page;
		ps->rss_bytes = (double)rss * (double)page;
	}
	if (f)
		fclose(f);
	ps->open_fds = count_fds();
	ps->max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (double)rl.rlim_cur : -1;
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
		  struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason, body);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *body = evbuffer_new();

	if (body)
		evbuffer_add_printf(body, "%s\n", text);
	reply(req, code, reason, "text/plain; charset=utf-8", body);
	if (body)
		evbuffer_free(body);
}

/* /healthz and /readyz: a line of text, for a person reading a probe's log too. */
static bool probe(struct evhttp_request *req, const char *path, const char *why)
{
	char text[64];

	if (strcmp(path, "/healthz") == 0) {
		reply_text(req, HTTP_OK, "OK", "ok");
	} else if (strcmp(path, "/readyz") == 0 && why) {
		snprintf(text, sizeof(text), "not ready: %s", why);
		reply_text(req, 503, "Service Unavailable", text);
	} else if (strcmp(path, "/readyz") == 0) {
		reply_text(req, HTTP_OK, "OK", "ready");
	} else {
		return false;
	}
	return true;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	struct server *s = m->server;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	bool text = path && strcmp(path, "/metrics") == 0;
	struct evbuffer *body;

	if (!path)
		path = "";
	if (probe(req, path, metrics_not_ready(s)))
		return;
	if (!text && strcmp(path, "/status") != 0) {
		reply_text(req, HTTP_NOTFOUND, "Not Found",
			   "not found: /metrics, /healthz, /readyz, /status");
		return;
	}
	body = evbuffer_new();
	if (!body) {
		reply_text(req, HTTP_INTERNAL, "Internal Server Error", "out of memory");
		return;
	}
	if (text) {
		metrics_text(s, body);
		reply(req, HTTP_OK, "OK", "text/plain; version=0.0.4; charset=utf-8", body);
	} else {
		metrics_status(s, body);
		reply(req, HTTP_OK, "OK", "application/json", body);
	}
	evbuffer_free(body);
}

/*
 * The listeners' user argument is evhttp's (evhttp_bind_listener() sets it for its accept
 * callback), so the error callback finds its struct metrics here: one per daemon.
 */
static struct metrics *the_metrics;

/* Out of descriptors: back off instead of spinning on a backlog we cannot accept (listener.c). */
static void on_accept_error(struct evconnlistener *lev, void *unused)
{
	struct metrics *m = the_metrics;
	struct timeval tv = { .tv_sec = 1 };

	log_warnx("metrics_listen: accept failed: %s; pausing it for 1 second",
		  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	pause_listeners(m);
	evtimer_add(m->retry, &tv);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	resume_listeners(arg);
}

int metrics_new(struct server *s, struct metrics **ret)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m || !(m->http = evhttp_new(s->base)) ||
	    !(m->retry = evtimer_new(s->base, on_retry, m))) {
		if (m && m->http)
			evhttp_free(m->http);
		free(m);
		return -ENOMEM;
	}
	m->server = s;
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADER);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT);
	evhttp_set_gencb(m->http, on_request, m);
	the_metrics = m;
	*ret = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	evhttp_free(m->http); /* and the listeners it was given */
	the_metrics = NULL;
	event_free(m->retry);
	free(m);
}

/* A listener on @fd (passed by systemd), or bound to @e here. NULL: errno says why. */
static struct evconnlistener *listen_on(struct metrics *m, const struct endpoint *e, int fd)
{
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE;
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST };
	struct event_base *base = m->server->base;
	struct evconnlistener *lev;
	struct addrinfo *ai;
	char port[8];

	/* systemd passes a blocking socket: libevent accepts until EAGAIN, which would block. */
	if (fd >= 0)
		return evutil_make_socket_nonblocking(fd) < 0
			   ? NULL
			   : evconnlistener_new(base, NULL, NULL, flags, 0, fd);
	snprintf(port, sizeof(port), "%u", e->port);
	if (getaddrinfo(e->host, port, &hints, &ai) != 0) {
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	/* As listener.c: "[::]" is IPv6 only, so "0.0.0.0:P, [::]:P" binds both. */
	if (ai->ai_family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	lev =
	    evconnlistener_new_bind(base, NULL, NULL, flags, 128, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	return lev;
}

int metrics_bind(struct metrics *m, const struct endpoint *e, int fd, char *name, size_t len)
{
	struct evconnlistener *lev;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	if (m->nlisteners == CONFIG_MAX_ENDPOINTS)
		return -E2BIG;
	errno = 0;
	lev = listen_on(m, e, fd);
	if (!lev) {
		int err = errno ? errno : EADDRNOTAVAIL;

		if (fd >= 0)
			evutil_closesocket(fd);
		return -err;
	}
	/* evhttp takes @lev (and frees it), with its own accept callback; errors stay ours. */
	if (!evhttp_bind_listener(m->http, lev)) {
		evconnlistener_free(lev);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(lev, on_accept_error);
	m->listeners[m->nlisteners++] = lev;
	fd = evconnlistener_get_fd(lev);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0 ||
	    listener_addr_format((struct sockaddr *)&ss, sslen, name, len) < 0)
		snprintf(name, len, "%s:%u", e->host, e->port);
	return 0;
}
