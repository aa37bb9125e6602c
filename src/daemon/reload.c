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

#include "log.h"
#include "notify.h"
#include "server.h"

static bool same_endpoints(const struct endpoint_list *a, const struct endpoint_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].port != b->v[i].port || strcmp(a->v[i].host, b->v[i].host) != 0)
			return false;
	return true;
}

/* Differs in a restart-only key? Then put the running value back into @next. */
static bool keep_mode(const struct config *run, struct config *next)
{
	bool differ = run->mode != next->mode;

	next->mode = run->mode;
	return differ;
}

static bool keep_listen(const struct config *run, struct config *next)
{
	bool differ = !same_endpoints(&run->listen, &next->listen);

	next->listen = run->listen;
	return differ;
}

static bool keep_line_listen(const struct config *run, struct config *next)
{
	bool differ = !same_endpoints(&run->line_listen, &next->line_listen);

	next->line_listen = run->line_listen;
	return differ;
}

static bool keep_agent_socket(const struct config *run, struct config *next)
{
	bool differ = strcmp(run->agent_socket, next->agent_socket) != 0;

	memcpy(next->agent_socket, run->agent_socket, sizeof(next->agent_socket));
	return differ;
}

static const struct {
	const char *name;
	bool (*keep)(const struct config *run, struct config *next);
} restart_only[] = {
	{ "mode", keep_mode },
	{ "listen", keep_listen },
	{ "line_listen", keep_line_listen },
	{ "agent_socket", keep_agent_socket },
};

#define LIVE(field) { #field, offsetof(struct config, field), sizeof(((struct config *)0)->field) }

static const struct {
	const char *name;
	size_t offset, size;
} live_keys[] = {
	LIVE(turns),
	LIVE(log_level),
	LIVE(log_messages),
	LIVE(max_frame),
	LIVE(max_queue),
	LIVE(max_held_bytes),
	LIVE(max_output_bytes),
	LIVE(max_clients),
	LIVE(handshake_timeout),
	LIVE(customer_idle_timeout),
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
	for (size_t i = 0; i < sizeof(restart_only) / sizeof(restart_only[0]); i++)
		if (restart_only[i].keep(running, next))
			append_name(restart, restart_len, restart_only[i].name);
	for (size_t i = 0; i < sizeof(live_keys) / sizeof(live_keys[0]); i++)
		if (memcmp((const char *)running + live_keys[i].offset,
			   (const char *)next + live_keys[i].offset, live_keys[i].size) != 0)
			append_name(live, live_len, live_keys[i].name);
}

/* Log each "FILE:LINE: message" line of @errors on its own. */
static void log_errors(const char *errors)
{
	while (errors && *errors) {
		const char *nl = strchr(errors, '\n');
		int n = nl ? (int)(nl - errors) : (int)strlen(errors);

		log_warnx("%.*s", n, errors);
		errors += n + (nl ? 1 : 0);
	}
}

/* Clients enforce strict turns at their prompt: tell them the rule changed. */
static void tell_turns(struct server *s)
{
	struct conn *c;

	if (s->config.mode != MODE_SINGLE_AGENT)
		return;
	TAILQ_FOREACH(c, &s->conns, entry)
		if (c->attached && conn_live(c))
			conn_notice(c, "turns %s",
				    s->config.turns == TURNS_STRICT ? "strict" : "free");
}

static void apply(struct server *s, struct config *next)
{
	char restart[128], live[256];
	bool turns_changed;

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
		log_errors(errors);
		log_warnx("reload failed: %s has errors; the running configuration stays in force",
			  s->config_path);
	} else {
		apply(s, &next);
	}
	free(errors);
	notify_ready(s->notify);
}
