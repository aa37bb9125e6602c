/* SPDX-License-Identifier: ISC */
/*
 * bind.c - the listeners the configuration asks for, bound here or taken from systemd's
 * sockets (activation.h), in one place so that every listening key is matched the same way.
 */
#include <errno.h>
#include <string.h>

#include "activation.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "web.h"

static int add_listener(struct server *s, struct listener *l)
{
	l->next = s->listeners;
	s->listeners = l;
	return 0;
}

/* The passed socket bound to @e (named @name), or -EADDRNOTAVAIL, said once with what was passed.
 */
static int take_passed(struct activation *act, const char *key, const struct endpoint *e,
		       const char *name)
{
	char passed[512];
	int fd = activation_take_tcp(act, e);

	if (fd >= 0)
		return fd;
	activation_describe(act, passed, sizeof(passed));
	log_warnx("socket activation: %s = %s is not among the sockets systemd passed "
		  "(unmatched: %s); make %s and ListenStream= in frontdeskd.socket agree",
		  key, name, passed[0] ? passed : "none", key);
	return -EADDRNOTAVAIL;
}

/* A listen address from systemd's sockets, or bound here when systemd passed none. */
static int listen_tcp(struct server *s, struct activation *act, const char *key,
		      const struct endpoint *e, enum conn_role role, enum conn_proto proto,
		      struct listener **ret)
{
	char name[300];
	int fd, r;

	if (!act->n) {
		r = listener_new_tcp(s, e, role, proto, ret);
		if (r == 0)
			(*ret)->tls = s->tls;
		return r;
	}
	endpoint_format(e, name, sizeof(name));
	fd = take_passed(act, key, e, name);
	if (fd < 0)
		return fd;
	r = listener_new_fd(s, fd, name, role, ret);
	if (r == 0) {
		(*ret)->proto = proto;
		(*ret)->tls = s->tls;
	}
	return r;
}

/* metrics_listen: HTTP on the same loop (metrics.h), from systemd's sockets like the rest. */
static int bind_metrics(struct server *s, struct activation *act, const struct endpoint *e)
{
	char name[300];
	int fd = -1, r;

	if (!s->metrics && (r = metrics_new(s, &s->metrics)) < 0)
		return r;
	endpoint_format(e, name, sizeof(name));
	if (act->n && (fd = take_passed(act, "metrics_listen", e, name)) < 0)
		return fd;
	r = metrics_bind(s->metrics, e, fd, name, sizeof(name));
	if (r < 0) {
		log_warnx("metrics_listen %s: %s", name, strerror(-r));
		return r;
	}
	if (!config_is_loopback(e->host))
		log_warnx(
		    "metrics_listen %s is not a loopback address: /metrics and /status answer "
		    "anyone who reaches it; keep it on a network only monitoring can reach",
		    name);
	/* Tests read this line to learn the port when they ask for port 0. */
	log_info("metrics on %s (HTTP: /metrics, /healthz, /readyz, /status%s)", name,
		 act->n ? ", socket from systemd" : "");
	return 0;
}

/*
 * web_listen: HTTP, and WebSocket on /ws (web.h) and /ws/agent; TLS (https, wss) whenever
 * tls_cert is set, as on every TCP listener, with the same context (renewed by SIGHUP).
 */
static int bind_web(struct server *s, struct activation *act, const struct endpoint *e,
		    enum conn_role role)
{
	const struct config *cfg = &s->config;
	bool agents = config_web_agents(cfg);
	struct listener *l;
	int r;

	if (!s->web && (r = web_new(s, &s->web)) < 0)
		return r;
	r = listen_tcp(s, act, "web_listen", e, role, PROTO_FRAMED, &l);
	if (r < 0)
		return r;
	l->web = true;
	add_listener(s, l);
	if (agents && !l->tls && !config_is_loopback(e->host))
		log_warnx("web_listen %s speaks plain HTTP: agents on /ws/agent are admitted from "
			  "loopback only (a TLS proxy on this host); set tls_cert and tls_key for "
			  "agents from elsewhere",
			  l->name);
	if (cfg->key_file[0])
		log_info("web_listen %s: web %ss are not challenged (web_public = yes); key_file "
			 "applies to listen",
			 l->name, conn_role_name(role));
	/* Tests read this line to learn the port when they ask for port 0. */
	log_info("web on %s (%s; WebSocket on /ws, %ss%s%s)", l->name, l->tls ? "HTTPS" : "HTTP",
		 conn_role_name(role), agents ? ", agents on /ws/agent" : "",
		 act->n ? ", socket from systemd" : "");
	return 0;
}

int listeners_bind(struct server *s)
{
	const struct config *cfg = &s->config;
	enum conn_role role = cfg->mode == MODE_GROUP ? ROLE_MEMBER : ROLE_CUSTOMER;
	struct activation act;
	struct listener *l;
	char left[512];
	int r, fd;

	r = activation_init(&act);
	if (r < 0) {
		log_warnx("socket activation: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < cfg->listen.n; i++) {
		r = listen_tcp(s, &act, "listen", &cfg->listen.v[i], role, PROTO_FRAMED, &l);
		if (r < 0)
			goto out;
		l->key = cfg->key_file[0] ? &s->key : NULL;
		add_listener(s, l);
		/* Tests read this line to learn the port when they ask for port 0. */
		log_info("listening on %s (framed protocol, %ss%s%s)", l->name,
			 conn_role_name(role), l->tls ? ", TLS" : "",
			 act.n ? ", socket from systemd" : "");
	}
	if (cfg->line_listen_keyed_off)
		log_warnx("line_listen is off: key_file is set and line peers (nc, telnet) cannot "
			  "answer its challenge");
	for (size_t i = 0; cfg->mode == MODE_GROUP && i < cfg->line_listen.n; i++) {
		r = listen_tcp(s, &act, "line_listen", &cfg->line_listen.v[i], role, PROTO_LINE,
			       &l);
		if (r < 0)
			goto out;
		add_listener(s, l);
		log_info("listening on %s (line protocol, %ss%s)", l->name, conn_role_name(role),
			 l->tls ? ", TLS" : "");
	}
	/* In group mode its peers are members, and operators (room-mod.c). */
	if (cfg->agent_socket[0]) {
		enum conn_role unix_role = cfg->mode == MODE_GROUP ? ROLE_MEMBER : ROLE_AGENT;

		fd = act.n ? activation_take_unix(&act, cfg->agent_socket) : -ENOENT;
		if (fd >= 0)
			r = listener_new_fd(s, fd, cfg->agent_socket, unix_role, &l);
		else
			r = listener_new_unix(s, cfg->agent_socket, unix_role, &l);
		if (r < 0)
			goto out;
		add_listener(s, l);
		log_info("agent socket %s%s", cfg->agent_socket, fd >= 0 ? " (from systemd)" : "");
	}
	for (size_t i = 0; i < cfg->agent_listen.n; i++) {
		r = listen_tcp(s, &act, "agent_listen", &cfg->agent_listen.v[i], ROLE_AGENT,
			       PROTO_FRAMED, &l);
		if (r < 0)
			goto out;
		/* Challenged even with agent_key_file unset: agents_file's keys answer it. */
		l->key = &s->agent_key;
		add_listener(s, l);
		log_info("listening on %s (framed protocol, agents, key required%s%s)", l->name,
			 l->tls ? ", TLS" : "", act.n ? ", socket from systemd" : "");
	}
	for (size_t i = 0; r == 0 && i < cfg->web_listen.n; i++)
		r = bind_web(s, &act, &cfg->web_listen.v[i], role);
	for (size_t i = 0; r == 0 && i < cfg->metrics_listen.n; i++)
		r = bind_metrics(s, &act, &cfg->metrics_listen.v[i]);
	if (r == 0 && activation_describe(&act, left, sizeof(left))) {
		log_warnx("socket activation: systemd passed %s, which the configuration does not "
			  "name (listen, agent_socket, agent_listen, web_listen, metrics_listen)",
			  left);
		r = -EADDRNOTAVAIL;
	}
out:
	activation_close(&act);
	return r < 0 ? r : 0;
}
