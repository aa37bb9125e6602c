/* SPDX-License-Identifier: ISC */
/*
 * reload.c - compare the running and the new configuration, keep what needs a restart, apply
 * the rest; see reload.h.
 *
 * A key is live unless it is in restart_only[]: a new key that is only read at start-up must be
 * added there. The live_keys[] table exists only to say in the log what changed.
 */
#include "reload.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"
#include "handshake.h"
#include "canned.h"
#include "files.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "tls.h"

static bool same_endpoints(const struct endpoint_list *a, const struct endpoint_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].port != b->v[i].port || strcmp(a->v[i].host, b->v[i].host) != 0)
			return false;
	return true;
}

enum field_kind {
	FIELD_SCALAR,    /* an enum or a number: compared bytewise */
	FIELD_STRING,    /* a char array: compared up to its NUL */
	FIELD_ENDPOINTS, /* a struct endpoint_list */
};

#define FIELD(field, kind)                                                                         \
	{                                                                                          \
#field, offsetof(struct config, field), sizeof(((struct config *)0)->field), kind  \
	}

struct field {
	const char *name;
	size_t offset, size;
	enum field_kind kind;
};

/* What start-up binds or loads: listeners, the agent socket, the keys, the mode itself. */
static const struct field restart_only[] = {
	FIELD(mode, FIELD_SCALAR),
	FIELD(listen, FIELD_ENDPOINTS),
	FIELD(line_listen, FIELD_ENDPOINTS),
	FIELD(agent_socket, FIELD_STRING),
	FIELD(agent_listen, FIELD_ENDPOINTS),
	FIELD(metrics_listen, FIELD_ENDPOINTS),
	FIELD(web_listen, FIELD_ENDPOINTS),
	FIELD(key_file, FIELD_STRING),
	FIELD(agent_key_file, FIELD_STRING),
	FIELD(operator_key_file, FIELD_STRING),
	FIELD(agents_file, FIELD_STRING), /* its contents are re-read: reload_agents() */
	FIELD(tls_cert, FIELD_STRING),
	FIELD(tls_key, FIELD_STRING),
	FIELD(store, FIELD_SCALAR),
	FIELD(store_path, FIELD_STRING),
	FIELD(store_sync, FIELD_SCALAR),
	FIELD(history_max_age, FIELD_SCALAR),
	FIELD(history_max_messages, FIELD_SCALAR),
	FIELD(max_agents, FIELD_SCALAR),
	FIELD(max_chats_per_agent, FIELD_SCALAR),
	/* The cluster's link and leases are set up once (cluster.c). */
	FIELD(cluster, FIELD_SCALAR),
	FIELD(cluster_host, FIELD_STRING),
	FIELD(cluster_port, FIELD_SCALAR),
	FIELD(cluster_db, FIELD_SCALAR),
	FIELD(cluster_password_file, FIELD_STRING),
	FIELD(cluster_name, FIELD_STRING),
	FIELD(node_name, FIELD_STRING),
	FIELD(cluster_lease, FIELD_SCALAR),
	FIELD(cluster_hold_bytes, FIELD_SCALAR),
	/* The files directory is opened and counted once (filedir.c); "files" is granted once. */
	FIELD(files, FIELD_SCALAR),
	FIELD(files_dir, FIELD_STRING),
	FIELD(files_max_bytes, FIELD_SCALAR),
};

static bool same_field(const void *a, const void *b, size_t size, enum field_kind kind)
{
	switch (kind) {
	case FIELD_STRING:
		return strcmp(a, b) == 0;
	case FIELD_ENDPOINTS:
		return same_endpoints(a, b);
	default:
		return memcmp(a, b, size) == 0;
	}
}

/* Live keys, only to say in the log which ones changed. */
static const struct field live_keys[] = {
	FIELD(turns, FIELD_SCALAR),
	FIELD(log_level, FIELD_SCALAR),
	FIELD(log_messages, FIELD_SCALAR),
	FIELD(max_frame, FIELD_SCALAR),
	FIELD(max_queue, FIELD_SCALAR),
	FIELD(max_held_bytes, FIELD_SCALAR),
	FIELD(max_output_bytes, FIELD_SCALAR),
	FIELD(soft_output_bytes, FIELD_SCALAR),
	FIELD(max_clients, FIELD_SCALAR),
	FIELD(max_per_address, FIELD_SCALAR),
	FIELD(max_startups, FIELD_SCALAR),
	FIELD(max_msgs_per_sec, FIELD_SCALAR),
	FIELD(msg_burst, FIELD_SCALAR),
	FIELD(max_bytes_per_sec, FIELD_SCALAR),
	FIELD(bytes_burst, FIELD_SCALAR),
	FIELD(max_renames_per_min, FIELD_SCALAR),
	FIELD(max_joins_per_min, FIELD_SCALAR),
	FIELD(announce_max_members, FIELD_SCALAR),
	FIELD(handshake_timeout, FIELD_SCALAR),
	FIELD(customer_idle_timeout, FIELD_SCALAR),
	FIELD(peer_timeout, FIELD_SCALAR),
	FIELD(history_on_join, FIELD_SCALAR),
	FIELD(resume_grace, FIELD_SCALAR),
	FIELD(agent_grace, FIELD_SCALAR),
	FIELD(answer_timeout, FIELD_SCALAR),
	FIELD(canned_file, FIELD_STRING),
	FIELD(proxy_from, FIELD_SCALAR), /* read at each accept (proxy.c) */
	/* Read at each page's answer (web-pages.c) and each upgrade (web.c); web_public is
	 * checked with the rest of the file at each reload. */
	FIELD(web_embed_origins, FIELD_STRING),
	FIELD(web_origins, FIELD_STRING),
	FIELD(web_agents, FIELD_SCALAR),
	FIELD(web_public, FIELD_SCALAR),
	/* Read at each offer and each upload's timer (file-up.c). */
	FIELD(max_file_size, FIELD_SCALAR),
	FIELD(file_timeout, FIELD_SCALAR),
};

static void append_name(char *buf, size_t len, const char *name)
{
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
}

void reload_merge(const struct config *running, struct config *next, char *restart,
		  size_t restart_len, char *live, size_t live_len)
{
	restart[0] = live[0] = '\0';
	for (size_t i = 0; i < sizeof(restart_only) / sizeof(restart_only[0]); i++) {
		const char *run = (const char *)running + restart_only[i].offset;
		char *nxt = (char *)next + restart_only[i].offset;

		if (!same_field(run, nxt, restart_only[i].size, restart_only[i].kind))
			append_name(restart, restart_len, restart_only[i].name);
		memcpy(nxt, run, restart_only[i].size); /* keep the running value */
	}
	for (size_t i = 0; i < sizeof(live_keys) / sizeof(live_keys[0]); i++)
		if (!same_field((const char *)running + live_keys[i].offset,
				(const char *)next + live_keys[i].offset, live_keys[i].size,
				live_keys[i].kind))
			append_name(live, live_len, live_keys[i].name);
}

void reload_log_errors(const char *errors)
{
	while (errors && *errors) {
		const char *nl = strchr(errors, '\n');
		int n = nl ? (int)(nl - errors) : (int)strlen(errors);

		log_warnx("%.*s", n, errors);
		errors += n + (nl ? 1 : 0);
	}
}

/*
 * An agent the new agents_file no longer lists for its credential leaves now: removing a line
 * is how an admin takes a name away. Marked closed here; the desk hears of it from the sweep.
 */
static void revoke_agents(struct server *s)
{
	struct conn *c, *next;
	char why[256];

	/* A failed conn moves to s->gone: take next first. */
	for (c = TAILQ_FIRST(&s->conns); c; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->role == ROLE_AGENT && conn_attached(c) && conn_live(c) &&
		    handshake_agent_refusal(c, c->asked, why, sizeof(why)))
			conn_fail(c, "agent-not-allowed", "%s", why);
	}
}

/* agents_file is re-read on every reload, as certificates are; a bad one keeps the old. */
static void reload_agents(struct server *s)
{
	struct agents *next = NULL;
	char *errors = NULL;

	if (!s->config.agents_file[0])
		return;
	if (agents_load(s->config.agents_file, &next, &errors) < 0) {
		reload_log_errors(errors ? errors : "agents_file: out of memory");
		log_warnx("reload: agents_file %s has errors; the running list stays in force",
			  s->config.agents_file);
		free(errors);
		return;
	}
	agents_free(s->agents);
	s->agents = next;
	log_info("reload: agents_file %s: %zu agents", s->config.agents_file, agents_count(next));
	revoke_agents(s);
}

/* Clients enforce strict turns at their prompt: tell them the rule changed. */
static void tell_turns(struct server *s)
{
	struct conn *c, *next;

	if (s->config.mode != MODE_SINGLE_AGENT)
		return;
	/* A notice can drop a slow consumer, which moves it to s->gone: take next first. */
	for (c = TAILQ_FIRST(&s->conns); c; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (conn_attached(c) && conn_live(c))
			conn_notice(c, "turns %s",
				    s->config.turns == TURNS_STRICT ? "strict" : "free");
	}
}

/*
 * Clients granted "files" size their offers and chunks by the "files MAX CHUNK" notice: told
 * again when either changed, or a client kept offering what is now file-too-large (or
 * refusing, at its side, what is now accepted).
 */
static void tell_files(struct server *s, unsigned old_max, unsigned old_chunk)
{
	struct conn *c, *next;

	if (old_max == s->config.max_file_size && old_chunk == file_chunk(s->config.max_frame))
		return;
	/* A notice can drop a slow consumer, which moves it to s->gone: take next first. */
	for (c = TAILQ_FIRST(&s->conns); c; c = next) {
		next = TAILQ_NEXT(c, entry);
		if ((c->caps & CAP_FILES) && conn_live(c))
			files_notice(c);
	}
}

/* A max_clients whose peers would not all get a descriptor is not applied (admit.c). */
static void check_fds(struct server *s, struct config *next)
{
	unsigned per_client = next->files ? FILES_PER_CONN : 0;
	unsigned long need = 0, limit = 0;

	if (next->max_clients <= s->config.max_clients ||
	    admit_reserve_fds(next->max_clients, per_client, &need, &limit) == 0)
		return;
	log_warnx("reload: max_clients = %u needs %lu file descriptors, but the limit is %lu; "
		  "keeping %u",
		  next->max_clients, need, limit, s->config.max_clients);
	next->max_clients = s->config.max_clients;
}

/*
 * canned_file is read again on every reload, like the certificate: the same path, maybe new
 * contents. A file with errors keeps the replies in use (the agents' lists stay right).
 */
static void reload_canned(struct server *s)
{
	const char *path = s->config.canned_file;
	struct canned *next = NULL;
	char *errors = NULL;

	if (path[0] && canned_load(path, &next, &errors) < 0) {
		reload_log_errors(errors);
		log_warnx("reload: %s has errors; the %zu canned replies in use stay", path,
			  canned_count(s->canned));
		free(errors);
		return;
	}
	if (next)
		log_info("reload: %zu canned replies loaded from %s", canned_count(next), path);
	else if (s->canned)
		log_info("reload: canned_file is not set; no canned replies");
	canned_free(s->canned);
	s->canned = next;
	canned_changed(s);
}

static void apply(struct server *s, struct config *next)
{
	char restart[256], live[256];
	unsigned old_max = s->config.max_file_size, old_chunk = file_chunk(s->config.max_frame);
	bool turns_changed;

	check_fds(s, next);
	reload_merge(&s->config, next, restart, sizeof(restart), live, sizeof(live));
	if (restart[0])
		log_warnx("reload: %s changed in %s; only a restart applies %s; keeping the old",
			  restart, s->config_path, strchr(restart, ',') ? "them" : "it");
	turns_changed = s->config.turns != next->turns;
	s->config = *next;
	if (!s->log_level_forced)
		log_set_level(s->config.log_level);
	if (turns_changed)
		tell_turns(s);
	tell_files(s, old_max, old_chunk);
	reload_canned(s);
	/* The mode may now relay what the old rules held back. */
	if (s->mode->reconfigured)
		s->mode->reconfigured(s);
	/* Certificates are renewed in place: the same paths, new contents. */
	if (s->tls) {
		char err[512];

		if (tls_reload(s->tls, s->config.tls_cert, s->config.tls_key, err, sizeof(err)) < 0)
			log_warnx("reload: %s; the running certificate stays in use", err);
		else
			log_info("reload: certificate %s loaded", s->config.tls_cert);
	}
	reload_agents(s);
	log_info("configuration reloaded from %s; %s%s", s->config_path,
		 live[0] ? "changed: " : "no live key changed", live);
}

void server_reload(struct server *s)
{
	struct config next;
	char *errors = NULL;
	int r;

	if (s->stopping)
		return;
	notify_reloading(s->notify);
	log_info("SIGHUP: reloading %s", s->config_path);
	config_init(&next);
	r = config_load(&next, s->config_path, &errors);
	if (r == -ENOENT && s->config_optional) {
		log_info("%s does not exist; the built-in defaults apply", s->config_path);
		r = 0;
	}
	if (r < 0) {
		reload_log_errors(errors);
		log_warnx("reload failed: %s has errors; the running configuration stays in force",
			  s->config_path);
	} else {
		apply(s, &next);
	}
	free(errors);
	notify_ready(s->notify);
}
