/* SPDX-License-Identifier: ISC */
/*
 * config.c - parse frontdesk.conf with libinih into a struct config.
 *
 * libinih (as Debian builds it) does not pass line numbers to the handler, so the file is fed
 * through our own reader that counts lines; the handler runs right after its line is read.
 * Values are parsed by a table of keys, each with a parser and a range, so adding a key is one
 * row. Cross-key rules run after the whole file has been read.
 */
#include "config.h"
#include "config-cluster.h"
#include "config-priv.h"
#include "fileproto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ini.h>

struct parse_state {
	const char *path;
	FILE *file;
	unsigned line;
	bool line_too_long;
	unsigned seen[64]; /* line each key was set on, 0 if not yet */
	struct config cfg;
	char *errors;
	size_t errors_len;
	unsigned nerrors;
};

static void add_error(struct parse_state *s, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_error(struct parse_state *s, unsigned line, const char *fmt, ...)
{
	char msg[512];
	int n;
	va_list ap;
	char *grown;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		n = snprintf(NULL, 0, "%s:%u: %s\n", s->path, line, msg);
	else
		n = snprintf(NULL, 0, "%s: %s\n", s->path, msg);
	grown = realloc(s->errors, s->errors_len + (size_t)n + 1);
	if (!grown)
		return;
	s->errors = grown;
	if (line)
		snprintf(s->errors + s->errors_len, (size_t)n + 1, "%s:%u: %s\n", s->path, line,
			 msg);
	else
		snprintf(s->errors + s->errors_len, (size_t)n + 1, "%s: %s\n", s->path, msg);
	s->errors_len += (size_t)n;
	s->nerrors++;
}

/* Numbers: plain, or with a unit. Sizes take K/M (KiB/MiB), durations s/m/h. */
static int parse_number(const char *value, const char *units, const unsigned long *scale,
			unsigned long *ret)
{
	unsigned long long v;
	char *end;

	if (*value < '0' || *value > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end) {
		const char *u = end[1] == '\0' && units ? strchr(units, *end) : NULL;

		if (!u)
			return -EINVAL;
		if (v > ULONG_MAX / scale[u - units])
			return -ERANGE;
		v *= scale[u - units];
	}
	if (v > UINT_MAX)
		return -ERANGE;
	*ret = (unsigned long)v;
	return 0;
}

static int parse_ranged(const struct config_key *k, struct config *c, const char *value, char *err,
			size_t errlen, const char *units, const unsigned long *scale,
			const char *what)
{
	unsigned long v;
	int r = parse_number(value, units, scale, &v);

	if (r == -EINVAL) {
		snprintf(err, errlen, "%s must be %s, not '%s'", k->name, what, value);
		return r;
	}
	if (r < 0 || v < k->min || v > k->max) {
		snprintf(err, errlen, "%s = %s is out of range (%lu..%lu)", k->name, value, k->min,
			 k->max);
		return -ERANGE;
	}
	*(unsigned *)((char *)c + k->offset) = (unsigned)v;
	return 0;
}

static int parse_size(const struct config_key *k, struct config *c, const char *value, char *err,
		      size_t errlen)
{
	static const unsigned long scale[] = { 1024, 1024 * 1024 };

	return parse_ranged(k, c, value, err, errlen, "KM", scale,
			    "a size in bytes (suffix K or M allowed)");
}

static int parse_count(const struct config_key *k, struct config *c, const char *value, char *err,
		       size_t errlen)
{
	return parse_ranged(k, c, value, err, errlen, NULL, NULL, "a whole number");
}

static int parse_duration(const struct config_key *k, struct config *c, const char *value,
			  char *err, size_t errlen)
{
	static const unsigned long scale[] = { 1, 60, 3600 };

	return parse_ranged(k, c, value, err, errlen, "smh", scale,
			    "a duration in seconds (suffix s, m or h allowed)");
}

/* files_max_bytes: a size past 4 GiB, so 64 bits, with K, M, G or T. */
static int parse_size64(const struct config_key *k, struct config *c, const char *value, char *err,
			size_t errlen)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;

	errno = 0;
	v = *value >= '0' && *value <= '9' ? strtoull(value, &end, 10) : 0;
	u = *value >= '0' && *value <= '9' && *end && !end[1] ? strchr(units, *end) : NULL;
	if (*value < '0' || *value > '9' || (*end && !u)) {
		snprintf(err, errlen,
			 "%s must be a size in bytes (suffix K, M, G or T allowed), not '%s'",
			 k->name, value);
		return -EINVAL;
	}
	for (int i = 0; u && i <= u - units; i++)
		v = v > ULLONG_MAX / 1024 ? ULLONG_MAX : v * 1024;
	if (errno || v < k->min || v > k->max) {
		snprintf(err, errlen, "%s = %s is out of range (%lu..%lu)", k->name, value, k->min,
			 k->max);
		return -ERANGE;
	}
	*(uint64_t *)((char *)c + k->offset) = v;
	return 0;
}

/* "BEGIN:RATE:FULL", or "N" for N:100:N; BEGIN and FULL in k->min..k->max, RATE a percentage. */
static int parse_startups(const struct config_key *k, struct config *c, const char *value,
			  char *err, size_t errlen)
{
	unsigned long v[3];
	const char *p = value;
	size_t n = 0;

	for (;;) {
		char *end;

		if (n == 3 || *p < '0' || *p > '9')
			break; /* a fourth number, or not a number: refused below */
		errno = 0;
		v[n] = strtoul(p, &end, 10);
		if (errno)
			v[n] = ULONG_MAX;
		n++;
		p = end;
		if (*p != ':')
			break;
		p++;
	}
	if ((n != 1 && n != 3) || *p || p[-1] == ':') {
		snprintf(err, errlen, "%s must be BEGIN:RATE:FULL or a count, not '%s'", k->name,
			 value);
		return -EINVAL;
	}
	if (n == 1) {
		v[2] = v[0];
		v[1] = 100;
	}
	if (v[0] < k->min || v[0] > k->max || v[2] < k->min || v[2] > k->max || v[1] > 100) {
		snprintf(err, errlen,
			 "%s = %s is out of range (BEGIN and FULL %lu..%lu, RATE 0..100)", k->name,
			 value, k->min, k->max);
		return -ERANGE;
	}
	if (v[0] > v[2]) {
		snprintf(err, errlen, "%s = %s: BEGIN must not be above FULL", k->name, value);
		return -EINVAL;
	}
	*(struct startups *)((char *)c + k->offset) =
	    (struct startups){ (unsigned)v[0], (unsigned)v[1], (unsigned)v[2] };
	return 0;
}

static int parse_choice(const struct config_key *k, struct config *c, const char *value, char *err,
			size_t errlen)
{
	char list[128] = "";

	for (int i = 0; k->choices[i]; i++) {
		if (strcmp(value, k->choices[i]) == 0) {
			*(int *)((char *)c + k->offset) = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 k->choices[i]);
	}
	snprintf(err, errlen, "%s must be one of %s, not '%s'", k->name, list, value);
	return -EINVAL;
}

/* An absolute path of at most k->max bytes, or "off". */
static int parse_path(const struct config_key *k, struct config *c, const char *value, char *err,
		      size_t errlen)
{
	char *dst = (char *)c + k->offset;

	if (config_is_off(value)) {
		dst[0] = '\0';
		return 0;
	}
	if (value[0] != '/') {
		snprintf(err, errlen, "%s must be an absolute path", k->name);
		return -EINVAL;
	}
	if (strlen(value) > k->max) {
		snprintf(err, errlen, "%s is longer than %lu bytes", k->name, k->max);
		return -ENAMETOOLONG;
	}
	strcpy(dst, value);
	return 0;
}

/* "sqlite:/abs/path", "memory" or "off". */
static int parse_store(const struct config_key *k, struct config *c, const char *value, char *err,
		       size_t errlen)
{
	if (strcmp(value, "off") == 0 || strcmp(value, "memory") == 0) {
		c->store = value[0] == 'o' ? CONFIG_STORE_OFF : CONFIG_STORE_MEMORY;
		return 0;
	}
	if (strncmp(value, "sqlite:", 7) != 0 || value[7] != '/') {
		snprintf(err, errlen,
			 "store must be sqlite:/ABSOLUTE/PATH, memory or off, not '%s'", value);
		return -EINVAL;
	}
	if (strlen(value + 7) >= sizeof(c->store_path)) {
		snprintf(err, errlen, "store: the path is longer than %zu bytes",
			 sizeof(c->store_path) - 1);
		return -ENAMETOOLONG;
	}
	c->store = CONFIG_STORE_SQLITE;
	strcpy(c->store_path, value + 7);
	return 0;
}

static const char *const mode_names[] = { "single-agent", "group", NULL };
static const char *const turns_names[] = { "strict", "free", NULL };
static const char *const level_names[] = { "error", "warning", "info", "debug", NULL };
static const char *const no_yes[] = { "no", "yes", NULL };
static const char *const sync_names[] = { "normal", "full", NULL };
static const char *const off_on[] = { "off", "on", NULL };

#define KEY(name, fn, field, lo, hi)                                                               \
	{                                                                                          \
#name, fn, offsetof(struct config, field), lo, hi, NULL                            \
	}
#define CHOICE(name, field, list)                                                                  \
	{                                                                                          \
#name, parse_choice, offsetof(struct config, field), 0, 0, list                    \
	}

static const struct config_key config_keys[] = {
	CHOICE(mode, mode, mode_names),
	KEY(listen, config_parse_endpoints, listen, 0, 0),
	KEY(line_listen, config_parse_endpoints_or_off, line_listen, 0, 0),
	KEY(agent_socket, parse_path, agent_socket, 0,
	    sizeof(((struct config *)0)->agent_socket) - 1),
	KEY(agent_listen, config_parse_endpoints_or_off, agent_listen, 0, 0),
	KEY(metrics_listen, config_parse_endpoints_or_off, metrics_listen, 0, 0),
	KEY(web_listen, config_parse_endpoints_or_off, web_listen, 0, 0),
	KEY(web_origins, config_parse_web_origins, web_origins, 0, 0),
	KEY(web_embed_origins, config_parse_web_origins, web_embed_origins, 0, 0),
	KEY(key_file, parse_path, key_file, 0, sizeof(((struct config *)0)->key_file) - 1),
	KEY(agent_key_file, parse_path, agent_key_file, 0,
	    sizeof(((struct config *)0)->agent_key_file) - 1),
	KEY(operator_key_file, parse_path, operator_key_file, 0,
	    sizeof(((struct config *)0)->operator_key_file) - 1),
	KEY(agents_file, parse_path, agents_file, 0, sizeof(((struct config *)0)->agents_file) - 1),
	KEY(tls_cert, parse_path, tls_cert, 0, sizeof(((struct config *)0)->tls_cert) - 1),
	KEY(tls_key, parse_path, tls_key, 0, sizeof(((struct config *)0)->tls_key) - 1),
	KEY(proxy_from, config_parse_nets, proxy_from, 0, 0),
	CHOICE(turns, turns, turns_names),
	CHOICE(log_level, log_level, level_names),
	CHOICE(log_messages, log_messages, no_yes),
	KEY(max_frame, parse_size, max_frame, 64, 9999),
	KEY(max_queue, parse_count, max_queue, 1, 100000),
	KEY(max_held_bytes, parse_size, max_held_bytes, 0, 16 * 1024 * 1024),
	KEY(max_output_bytes, parse_size, max_output_bytes, 16 * 1024, 256 * 1024 * 1024),
	KEY(soft_output_bytes, parse_size, soft_output_bytes, 4 * 1024, 256 * 1024 * 1024),
	KEY(max_clients, parse_count, max_clients, 1, 1000000),
	KEY(max_per_address, parse_count, max_per_address, 0, 1000000),
	KEY(max_startups, parse_startups, max_startups, 1, 1000000),
	KEY(max_msgs_per_sec, parse_count, max_msgs_per_sec, 0, 100000),
	KEY(msg_burst, parse_count, msg_burst, 1, 100000),
	KEY(max_bytes_per_sec, parse_size, max_bytes_per_sec, 0, 1024 * 1024 * 1024),
	KEY(bytes_burst, parse_size, bytes_burst, 1, 1024 * 1024 * 1024),
	KEY(max_renames_per_min, parse_count, max_renames_per_min, 0, 100000),
	KEY(max_joins_per_min, parse_count, max_joins_per_min, 0, 1000000),
	KEY(announce_max_members, parse_count, announce_max_members, 0, 1000000),
	KEY(handshake_timeout, parse_duration, handshake_timeout, 1, 3600),
	KEY(customer_idle_timeout, parse_duration, customer_idle_timeout, 0, 7 * 24 * 3600),
	KEY(peer_timeout, parse_duration, peer_timeout, 0, 3600),
	KEY(store, parse_store, store, 0, 0),
	CHOICE(store_sync, store_sync, sync_names),
	KEY(resume_grace, parse_duration, resume_grace, 0, 24 * 3600),
	KEY(agent_grace, parse_duration, agent_grace, 0, 3600),
	KEY(max_agents, parse_count, max_agents, 1, 1000),
	KEY(max_chats_per_agent, parse_count, max_chats_per_agent, 1, 100),
	KEY(answer_timeout, parse_duration, answer_timeout, 0, 24 * 3600),
	KEY(history_on_join, parse_count, history_on_join, 0, 1000),
	KEY(history_max_age, parse_duration, history_max_age, 0, 100 * 365 * 24 * 3600UL),
	KEY(history_max_messages, parse_count, history_max_messages, 0, 100000000),
	KEY(canned_file, parse_path, canned_file, 0, sizeof(((struct config *)0)->canned_file) - 1),
	KEY(cluster, config_parse_cluster, cluster, 0, 0),
	KEY(cluster_password_file, parse_path, cluster_password_file, 0,
	    sizeof(((struct config *)0)->cluster_password_file) - 1),
	KEY(cluster_name, config_parse_name, cluster_name, 1, 32),
	KEY(node_name, config_parse_name, node_name, 1, 64),
	KEY(cluster_lease, parse_duration, cluster_lease, 2, 3600),
	KEY(cluster_hold_bytes, parse_size, cluster_hold_bytes, 64 * 1024, 1024 * 1024 * 1024),
	CHOICE(web_public, web_public, no_yes),
	CHOICE(web_agents, web_agents, no_yes),
	CHOICE(files, files, off_on),
	KEY(max_file_size, parse_size, max_file_size, 0, UINT_MAX),
	KEY(file_timeout, parse_duration, file_timeout, 1, 3600),
	KEY(files_max_bytes, parse_size64, files_max_bytes, 1024 * 1024, 1UL << 50),
	KEY(files_dir, parse_path, files_dir, 0, sizeof(((struct config *)0)->files_dir) - 1),
};

_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) <=
		   sizeof(((struct parse_state *)0)->seen) / sizeof(unsigned),
	       "parse_state.seen is too small for the key table");

/*
 * The store's file: systemd's StateDirectory= (it sets STATE_DIRECTORY), else the FHS place.
 * ./contrib/run.sh sets STATE_DIRECTORY to a directory of its own when not run as root.
 */
static void config_default_store(struct config *c)
{
	const char *dir = getenv("STATE_DIRECTORY");

	c->store = CONFIG_STORE_SQLITE;
	/* Several directories (StateDirectory=a b): the first is ours. */
	if (dir && dir[0] == '/' &&
	    strcspn(dir, ":") + sizeof("/frontdesk.db") <= sizeof(c->store_path))
		snprintf(c->store_path, sizeof(c->store_path), "%.*s/frontdesk.db",
			 (int)strcspn(dir, ":"), dir);
	else
		snprintf(c->store_path, sizeof(c->store_path), "/var/lib/frontdesk/frontdesk.db");
}

void config_init(struct config *c)
{
	const char *rundir = getenv("RUNTIME_DIRECTORY"); /* set by systemd's RuntimeDirectory= */

	memset(c, 0, sizeof(*c));
	c->mode = MODE_SINGLE_AGENT;
	c->listen.n = 1;
	c->web_agents = 1;
	snprintf(c->listen.v[0].host, sizeof(c->listen.v[0].host), "127.0.0.1");
	c->listen.v[0].port = CONFIG_DEFAULT_PORT;
	c->line_listen.n = 0;
	if (rundir && rundir[0] == '/' && !strchr(rundir, ':') &&
	    strlen(rundir) + sizeof("/agent.sock") <= sizeof(c->agent_socket))
		snprintf(c->agent_socket, sizeof(c->agent_socket), "%s/agent.sock", rundir);
	else
		snprintf(c->agent_socket, sizeof(c->agent_socket), "/run/frontdesk/agent.sock");
	c->turns = TURNS_STRICT;
	c->log_level = LOG_LEVEL_INFO;
	c->max_frame = 9999;
	c->max_queue = 1000;
	c->max_held_bytes = 64 * 1024;
	c->max_output_bytes = 1024 * 1024;
	c->soft_output_bytes = c->max_output_bytes / 4;
	c->max_clients = 1000;
	c->max_per_address = 0;
	c->max_startups = (struct startups){ 256, 30, 1000 };
	c->max_msgs_per_sec = 10;
	c->msg_burst = 30;
	/*
	 * 16 KiB a second, 32 KiB at once: a paste of 30 full frames (300 KB) cannot land on
	 * everyone at once, and it takes 32 members bursting at the same moment to push a reader
	 * that does not keep up past the default max_output_bytes (1 MiB).
	 */
	c->max_bytes_per_sec = 16 * 1024;
	c->bytes_burst = 32 * 1024;
	c->max_renames_per_min = 5;
	c->max_joins_per_min = 60;
	/* A join told to N members costs N notices: 500 joins, 125,000 of them at most. */
	c->announce_max_members = 500;
	c->handshake_timeout = 10;
	c->customer_idle_timeout = 15 * 60;
	c->peer_timeout = 60;
	config_default_store(c);
	c->history_on_join = 20;
	c->resume_grace = 120;
	c->agent_grace = 30;
	c->max_agents = 1;
	c->max_chats_per_agent = 1;
	c->history_max_age = 90 * 24 * 3600;
	c->history_max_messages = 100000;
	config_cluster_init(c);
	c->files = 1;
	c->max_file_size = 10 * 1024 * 1024;
	c->file_timeout = 60;
	c->files_max_bytes = 1024 * 1024 * 1024;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *s = user;
	char err[400];

	if (s->line_too_long)
		return 1; /* already reported by the reader */
	if (section[0]) {
		add_error(s, s->line, "sections are not used; remove '[%s]'", section);
		return 1;
	}
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++) {
		const struct config_key *k = &config_keys[i];

		if (strcmp(name, k->name) != 0)
			continue;
		if (s->seen[i]) {
			add_error(s, s->line, "%s is already set on line %u", name, s->seen[i]);
			return 1;
		}
		s->seen[i] = s->line;
		if (k->parse(k, &s->cfg, value, err, sizeof(err)) < 0)
			add_error(s, s->line, "%s", err);
		return 1;
	}
	add_error(s, s->line, "unknown key '%s'", name);
	return 1;
}

/* fgets() for libinih that counts lines and flags the ones too long for its buffer. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *s = stream;
	char *r = fgets(str, num, s->file);
	size_t n;

	if (!r)
		return NULL;
	s->line++;
	s->line_too_long = false;
	n = strlen(str);
	if (n > 0 && str[n - 1] != '\n' && !feof(s->file)) {
		int ch;

		while ((ch = fgetc(s->file)) != EOF && ch != '\n')
			;
		s->line_too_long = true;
		add_error(s, s->line, "line is longer than %d characters", num - 2);
		str[0] = '\0'; /* hand libinih an empty line instead */
	}
	return r;
}

static unsigned seen_line(const struct parse_state *s, const char *name)
{
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return s->seen[i];
	return 0;
}

/*
 * The quota counts an upload's SIZE from its offer as the disk takes it (file_quota_cost():
 * whole 4 KiB blocks, one at least, and a block for its .type): the largest file must fit in it, or
 * every offer of max_file_size bytes is files-full on an empty directory.
 */
static void check_files_quota(struct parse_state *s)
{
	const struct config *c = &s->cfg;
	uint64_t need = file_quota_cost(c->max_file_size);

	if (c->files && c->files_max_bytes < need)
		add_error(s, seen_line(s, "files_max_bytes"),
			  "files_max_bytes = %llu leaves no room for one file of max_file_size "
			  "(%u bytes): the quota counts it as %llu (whole 4 KiB blocks and one for "
			  "its type)",
			  (unsigned long long)c->files_max_bytes, c->max_file_size,
			  (unsigned long long)need);
}

/*
 * An agent sees every conversation at the desk: its challenge may cross a network only inside
 * TLS (where the answer is also bound to the session). Refuses the first address that is not
 * loopback when there is no TLS.
 */
static void check_agent_listen_in_clear(struct parse_state *s)
{
	const struct config *c = &s->cfg;
	char addr[sizeof(c->agent_listen.v[0].host) + 16];

	if (c->tls_cert[0] && c->tls_key[0])
		return;
	for (size_t i = 0; i < c->agent_listen.n; i++) {
		if (config_is_loopback(c->agent_listen.v[i].host))
			continue;
		endpoint_format(&c->agent_listen.v[i], addr, sizeof(addr));
		add_error(s, seen_line(s, "agent_listen"),
			  "agent_listen %s is not a loopback address (127.0.0.0/8, ::1): it needs "
			  "TLS (tls_cert and tls_key), agents must not authenticate in the clear",
			  addr);
		return;
	}
}

/* Rules that involve more than one key, checked after the whole file is read. */
static void check_combinations(struct parse_state *s)
{
	struct config *c = &s->cfg;

	/* Line peers cannot answer a challenge: with a key, the line listener stays shut. */
	if (c->mode == MODE_GROUP && !seen_line(s, "line_listen") && c->key_file[0]) {
		c->line_listen_keyed_off = true;
	} else if (c->mode == MODE_GROUP && !seen_line(s, "line_listen")) {
		c->line_listen.n = 1;
		snprintf(c->line_listen.v[0].host, sizeof(c->line_listen.v[0].host), "127.0.0.1");
		c->line_listen.v[0].port = CONFIG_DEFAULT_LINE_PORT;
	}
	if (!seen_line(s, "soft_output_bytes"))
		c->soft_output_bytes = c->max_output_bytes / 4;
	else if (c->soft_output_bytes > c->max_output_bytes)
		add_error(s, seen_line(s, "soft_output_bytes"),
			  "soft_output_bytes must not be above max_output_bytes (%u)",
			  c->max_output_bytes);
	/* Pings go out after half of it, and keepalive probes need a second between them. */
	if (c->peer_timeout == 1)
		add_error(s, seen_line(s, "peer_timeout"),
			  "peer_timeout must be 0 (off) or at least 2 seconds");
	if (c->mode == MODE_SINGLE_AGENT && c->line_listen.n)
		add_error(s, seen_line(s, "line_listen"),
			  "line_listen is only used in group mode (mode = group)");
	else if (c->line_listen.n && c->key_file[0])
		add_error(
		    s, seen_line(s, "line_listen"),
		    "line_listen admits anyone: line peers cannot answer key_file's challenge; "
		    "set line_listen = off, or drop key_file");
	if (!c->tls_cert[0] != !c->tls_key[0])
		add_error(s, seen_line(s, c->tls_cert[0] ? "tls_cert" : "tls_key"),
			  "tls_cert and tls_key go together");
	if (c->agent_listen.n && c->mode != MODE_SINGLE_AGENT)
		add_error(s, seen_line(s, "agent_listen"),
			  "agent_listen is only used in single-agent mode");
	else if (c->agent_listen.n && !c->agent_key_file[0] && !c->agents_file[0])
		add_error(s, seen_line(s, "agent_listen"),
			  "agent_listen needs agent_key_file or agents_file: remote agents must "
			  "authenticate");
	else
		check_agent_listen_in_clear(s);
	if (c->agents_file[0] && c->mode != MODE_SINGLE_AGENT)
		add_error(s, seen_line(s, "agents_file"),
			  "agents_file is only used in single-agent mode");
	check_files_quota(s);
	/* A public page cannot hold a secret: web clients are never challenged (web.c). */
	if (c->web_listen.n && c->key_file[0] && !c->web_public)
		add_error(
		    s, seen_line(s, "web_listen"),
		    "web_listen admits web clients without key_file's challenge (a public "
		    "page cannot hold a secret): set web_public = yes if the web door is meant "
		    "to be open, or drop web_listen or key_file");
}

FILE *config_fopen(const char *path, char **ret_errors, int *ret)
{
	FILE *f = fopen(path, "re");

	*ret_errors = NULL;
	*ret = f ? 0 : -errno;
	if (!f && asprintf(ret_errors, "%s: cannot open: %s\n", path, strerror(-*ret)) < 0)
		*ret_errors = NULL;
	return f;
}

int config_load(struct config *c, const char *path, char **ret_errors)
{
	int r;
	FILE *f = config_fopen(path, ret_errors, &r);

	if (!f)
		return r;
	r = config_load_file(c, f, path, ret_errors);
	fclose(f);
	return r;
}

int config_load_file(struct config *c, FILE *f, const char *path, char **ret_errors)
{
	struct parse_state s = { .path = path, .file = f, .cfg = *c };
	int r;

	*ret_errors = NULL;
	r = ini_parse_stream(read_line, &s, on_key, &s);
	/* libinih reports only the first line it could not parse (one without '='). */
	if (r > 0)
		add_error(&s, (unsigned)r, "expected 'key = value'");
	else if (r < 0)
		add_error(&s, 0, "cannot read the file");
	if (!s.nerrors)
		check_combinations(&s);
	if (s.nerrors) {
		*ret_errors = s.errors;
		return -EINVAL;
	}
	free(s.errors);
	*c = s.cfg;
	return 0;
}

bool config_is_off(const char *value)
{
	return *value == '\0' || strcmp(value, "off") == 0 || strcmp(value, "no") == 0;
}

const char *config_mode_name(enum fd_mode mode)
{
	return mode_names[mode];
}
