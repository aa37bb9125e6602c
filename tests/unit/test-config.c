/* SPDX-License-Identifier: ISC */
/* test-config.c - the config parser: values, defaults, and every error with its line number. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config-cluster.h"
#include "config.h"

static char path[64];

/* Write @text to a fresh file and load it over the defaults. */
static int load(const char *text, struct config *c, char **errors)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	config_init(c);
	int r = config_load(c, path, errors);
	unlink(path);
	return r;
}

/* The errors must be exactly @expected with "FILE:" in front of each line. */
static void assert_errors(const char *errors, const char *expected)
{
	char want[2048] = "";
	const char *p = expected;

	while (*p) {
		const char *nl = strchr(p, '\n');

		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s:%.*s\n", path,
			 (int)(nl - p), p);
		p = nl + 1;
	}
	assert_string_equal(errors, want);
}

static void test_defaults(void **state)
{
	struct config c;

	config_init(&c);
	assert_int_equal(c.mode, MODE_SINGLE_AGENT);
	assert_int_equal(c.listen.n, 1);
	assert_string_equal(c.listen.v[0].host, "127.0.0.1");
	assert_int_equal(c.listen.v[0].port, 21567);
	assert_int_equal(c.turns, TURNS_STRICT);
	assert_int_equal(c.line_listen.n, 0);
	assert_int_equal(c.max_frame, 9999);
}

static void test_full_file(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(load("# a comment\n"
			      "mode = single-agent\n"
			      "\n"
			      "listen = 127.0.0.1:4000, [::1]:4001 ,0.0.0.0:0\n"
			      "agent_socket = /tmp/x/agent.sock\n"
			      "turns = free\n"
			      "max_frame = 512\n"
			      "max_held_bytes = 64K\n"
			      "max_output_bytes = 2M\n"
			      "handshake_timeout = 2m\n"
			      "customer_idle_timeout = 0\n"
			      "log_level = debug\n",
			      &c, &errors),
			 0);
	assert_null(errors);
	assert_int_equal(c.listen.n, 3);
	assert_string_equal(c.listen.v[1].host, "::1");
	assert_int_equal(c.listen.v[1].port, 4001);
	assert_string_equal(c.listen.v[2].host, "0.0.0.0");
	assert_int_equal(c.listen.v[2].port, 0);
	assert_string_equal(c.agent_socket, "/tmp/x/agent.sock");
	assert_int_equal(c.turns, TURNS_FREE);
	assert_int_equal(c.max_frame, 512);
	assert_int_equal(c.max_held_bytes, 65536);
	assert_int_equal(c.max_output_bytes, 2 * 1024 * 1024);
	assert_int_equal(c.handshake_timeout, 120);
	assert_int_equal(c.customer_idle_timeout, 0);
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
}

static void test_group_gets_line_listener(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(load("mode = group\n", &c, &errors), 0);
	assert_int_equal(c.mode, MODE_GROUP);
	assert_int_equal(c.line_listen.n, 1);
	assert_int_equal(c.line_listen.v[0].port, 6666);
	assert_int_equal(load("mode = group\nline_listen = off\n", &c, &errors), 0);
	assert_int_equal(c.line_listen.n, 0);
}

static void test_group_limits(void **state)
{
	struct config c;
	char *errors = NULL;

	config_init(&c);
	assert_int_equal(c.soft_output_bytes, 256 * 1024);
	assert_int_equal(c.max_per_address, 0);
	assert_int_equal(c.max_msgs_per_sec, 10);
	assert_int_equal(c.msg_burst, 30);
	/* The soft output limit follows the hard one unless it is set. */
	assert_int_equal(load("mode = group\nmax_output_bytes = 64K\nmax_per_address = 5\n"
			      "max_msgs_per_sec = 0\nmsg_burst = 5\n",
			      &c, &errors),
			 0);
	assert_int_equal(c.soft_output_bytes, 16 * 1024);
	assert_int_equal(c.max_per_address, 5);
	assert_int_equal(c.max_msgs_per_sec, 0);
	assert_int_equal(c.msg_burst, 5);
	assert_int_equal(
	    load("max_output_bytes = 64K\nsoft_output_bytes = 128K\nmsg_burst = 0\n", &c, &errors),
	    -EINVAL);
	assert_errors(errors, "3: msg_burst = 0 is out of range (1..100000)\n");
	free(errors);
	assert_int_equal(load("max_output_bytes = 64K\nsoft_output_bytes = 128K\n", &c, &errors),
			 -EINVAL);
	assert_errors(errors, "2: soft_output_bytes must not be above max_output_bytes (65536)\n");
	free(errors);
}

static void test_peer_timeout(void **state)
{
	struct config c;
	char *errors = NULL;

	config_init(&c);
	assert_int_equal(c.peer_timeout, 60);
	assert_int_equal(load("peer_timeout = 2m\n", &c, &errors), 0);
	assert_int_equal(c.peer_timeout, 120);
	assert_int_equal(load("peer_timeout = 0\n", &c, &errors), 0);
	assert_int_equal(c.peer_timeout, 0);
	/* Pings go out after half of it: one second would leave nothing to halve. */
	assert_int_equal(load("peer_timeout = 1s\n", &c, &errors), -EINVAL);
	assert_errors(errors, "1: peer_timeout must be 0 (off) or at least 2 seconds\n");
	free(errors);
	assert_int_equal(load("peer_timeout = 2h\n", &c, &errors), -EINVAL);
	assert_errors(errors, "1: peer_timeout = 2h is out of range (0..3600)\n");
	free(errors);
}

static void test_group_rates(void **state)
{
	struct config c;
	char *errors = NULL;

	config_init(&c);
	assert_int_equal(c.max_bytes_per_sec, 16 * 1024);
	assert_int_equal(c.bytes_burst, 32 * 1024);
	assert_int_equal(c.max_renames_per_min, 5);
	assert_int_equal(c.max_joins_per_min, 60);
	assert_int_equal(c.announce_max_members, 500);
	assert_int_equal(load("max_bytes_per_sec = 0\nbytes_burst = 1M\nmax_renames_per_min = 0\n"
			      "max_joins_per_min = 1000000\nannounce_max_members = 0\n",
			      &c, &errors),
			 0);
	assert_int_equal(c.max_bytes_per_sec, 0);
	assert_int_equal(c.bytes_burst, 1024 * 1024);
	assert_int_equal(c.max_renames_per_min, 0);
	assert_int_equal(c.max_joins_per_min, 1000000);
	assert_int_equal(c.announce_max_members, 0);
	assert_int_equal(load("bytes_burst = 0\nmax_bytes_per_sec = 2048M\nmax_joins_per_min = x\n",
			      &c, &errors),
			 -EINVAL);
	assert_errors(errors, "1: bytes_burst = 0 is out of range (1..1073741824)\n"
			      "2: max_bytes_per_sec = 2048M is out of range (0..1073741824)\n"
			      "3: max_joins_per_min must be a whole number, not 'x'\n");
	free(errors);
}

static void test_every_error_with_its_line(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(load("mode = lobby\n"                 /* 1 */
			      "colour = blue\n"                /* 2 */
			      "max_frame = 10\n"               /* 3 */
			      "max_queue = many\n"             /* 4 */
			      "listen = localhost\n"           /* 5 */
			      "turns = strict\n"               /* 6 */
			      "turns = free\n"                 /* 7 */
			      "agent_socket = relative.sock\n" /* 8 */
			      "handshake_timeout = 5x\n"       /* 9 */
			      "listen = 1.2.3.4:70000\n",      /* 10 */
			      &c, &errors),
			 -EINVAL);
	assert_errors(errors, "1: mode must be one of single-agent, group, not 'lobby'\n"
			      "2: unknown key 'colour'\n"
			      "3: max_frame = 10 is out of range (64..9999)\n"
			      "4: max_queue must be a whole number, not 'many'\n"
			      "5: 'localhost' is not HOST:PORT\n"
			      "7: turns is already set on line 6\n"
			      "8: agent_socket must be an absolute path\n"
			      "9: handshake_timeout must be a duration in seconds (suffix s, m or "
			      "h allowed), not '5x'\n"
			      "10: listen is already set on line 5\n");
	free(errors);
}

static void test_syntax_error(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(load("mode = group\nthis line has no equals sign\n", &c, &errors),
			 -EINVAL);
	assert_errors(errors, "2: expected 'key = value'\n");
	free(errors);
}

static void test_section_refused(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(load("[server]\nmode = group\n", &c, &errors), -EINVAL);
	assert_errors(errors, "2: sections are not used; remove '[server]'\n");
	free(errors);
}

static void test_line_listen_needs_group(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(load("\nline_listen = 127.0.0.1:6666\n", &c, &errors), -EINVAL);
	assert_errors(errors, "2: line_listen is only used in group mode (mode = group)\n");
	free(errors);
}

#define IN_CLEAR                                                                                   \
	" is not a loopback address (127.0.0.0/8, ::1): it needs TLS (tls_cert and tls_key), "     \
	"agents must not authenticate in the clear"

/* agent_listen off loopback without TLS: refused, naming the first such address. */
static void test_agent_listen_in_clear_refused(void **state)
{
	static const struct {
		const char *listen, *named;
	} cases[] = {
		{ "192.0.2.1:4000", "192.0.2.1:4000" },
		{ "127.0.0.1:0, 0.0.0.0:0", "0.0.0.0:0" },
		{ "[::1]:1,[::]:2", "[::]:2" },
		{ "localhost:4000", "localhost:4000" }, /* names are not resolved: not loopback */
		{ "[::ffff:127.0.0.1]:1", "[::ffff:127.0.0.1]:1" },
		{ "128.0.0.1:1", "128.0.0.1:1" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char *errors = NULL, text[256], want[512];

		snprintf(text, sizeof(text), "agent_key_file = /etc/agent.key\nagent_listen = %s\n",
			 cases[i].listen);
		assert_int_equal(load(text, &c, &errors), -EINVAL);
		snprintf(want, sizeof(want), "2: agent_listen %s" IN_CLEAR "\n", cases[i].named);
		assert_errors(errors, want);
		free(errors);
	}
}

/* Literal loopback addresses may go without TLS; anything goes with it. */
static void test_agent_listen_loopback_or_tls(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(load("agent_listen = 127.0.0.1:0, 127.200.0.9:1, [::1]:2\n"
			      "agent_key_file = /etc/agent.key\n",
			      &c, &errors),
			 0);
	assert_null(errors);
	assert_int_equal(c.agent_listen.n, 3);
	assert_int_equal(
	    load("agent_listen = 0.0.0.0:0, [::]:1, localhost:2\n"
		 "agent_key_file = /etc/agent.key\n"
		 "tls_cert = /etc/frontdesk/cert.pem\ntls_key = /etc/frontdesk/key.pem\n",
		 &c, &errors),
	    0);
	assert_null(errors);
	/* Half a TLS pair is its own error, not a licence to listen in the clear. */
	assert_int_equal(load("agent_listen = 0.0.0.0:0\nagent_key_file = /etc/agent.key\n"
			      "tls_cert = /etc/frontdesk/cert.pem\n",
			      &c, &errors),
			 -EINVAL);
	assert_errors(errors, "3: tls_cert and tls_key go together\n"
			      "1: agent_listen 0.0.0.0:0" IN_CLEAR "\n");
	free(errors);
}

/* agents_file's keys may stand in for agent_key_file; a room has no agents to list. */
static void test_agents_file(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(
	    load("agent_listen = 127.0.0.1:0\nagents_file = /etc/frontdesk/agents\n", &c, &errors),
	    0);
	assert_string_equal(c.agents_file, "/etc/frontdesk/agents");
	assert_string_equal(c.agent_key_file, "");
	assert_int_equal(load("agent_listen = 127.0.0.1:0\n", &c, &errors), -EINVAL);
	assert_errors(errors, "1: agent_listen needs agent_key_file or agents_file: remote agents "
			      "must authenticate\n");
	free(errors);
	assert_int_equal(
	    load("mode = group\n\nagents_file = /etc/agents\nagents_file = x\n", &c, &errors),
	    -EINVAL);
	assert_errors(errors, "4: agents_file is already set on line 3\n");
	free(errors);
	assert_int_equal(load("mode = group\nagents_file = /etc/agents\n", &c, &errors), -EINVAL);
	assert_errors(errors, "2: agents_file is only used in single-agent mode\n");
	free(errors);
	assert_int_equal(load("agents_file = agents\n", &c, &errors), -EINVAL);
	assert_errors(errors, "1: agents_file must be an absolute path\n");
	free(errors);
}

/* A line peer cannot answer key_file's challenge: no line listener in a keyed room. */
static void test_key_file_shuts_the_line_listener(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(load("mode = group\nkey_file = /etc/k\n", &c, &errors), 0);
	assert_int_equal(c.line_listen.n, 0);
	assert_true(c.line_listen_keyed_off);
	assert_int_equal(load("mode = group\nkey_file = /etc/k\nline_listen = off\n", &c, &errors),
			 0);
	assert_false(c.line_listen_keyed_off);
	assert_int_equal(
	    load("mode = group\nline_listen = 127.0.0.1:6666\nkey_file = /etc/k\n", &c, &errors),
	    -EINVAL);
	assert_errors(errors, "2: line_listen admits anyone: line peers cannot answer key_file's "
			      "challenge; set line_listen = off, or drop key_file\n");
	free(errors);
}

/* A public page cannot hold a secret: web_listen with key_file only with web_public = yes. */
static void test_key_file_needs_web_public(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(load("web_listen = 127.0.0.1:8080\nkey_file = /etc/k\n", &c, &errors),
			 -EINVAL);
	assert_errors(errors, "1: web_listen admits web clients without key_file's challenge (a "
			      "public page cannot hold a secret): set web_public = yes if the web "
			      "door is meant to be open, or drop web_listen or key_file\n");
	free(errors);
	assert_int_equal(
	    load("web_listen = 127.0.0.1:8080\nkey_file = /etc/k\nweb_public = yes\n", &c, &errors),
	    0);
	assert_int_equal(c.web_public, 1);
	/* Without key_file, or without web_listen, web_public changes nothing. */
	assert_int_equal(load("web_listen = 127.0.0.1:8080\n", &c, &errors), 0);
	assert_int_equal(c.web_public, 0);
	assert_int_equal(load("key_file = /etc/k\nweb_public = no\n", &c, &errors), 0);
	assert_int_equal(load("web_public = maybe\n", &c, &errors), -EINVAL);
	free(errors);
}

static void test_max_startups(void **state)
{
	struct config c;
	char *errors = NULL;

	config_init(&c);
	assert_int_equal(c.max_startups.begin, 256);
	assert_int_equal(c.max_startups.rate, 30);
	assert_int_equal(c.max_startups.full, 1000);
	assert_int_equal(load("max_startups = 10:30:60\n", &c, &errors), 0);
	assert_int_equal(c.max_startups.begin, 10);
	assert_int_equal(c.max_startups.rate, 30);
	assert_int_equal(c.max_startups.full, 60);
	assert_int_equal(load("max_startups = 20\n", &c, &errors), 0);
	assert_int_equal(c.max_startups.begin, 20);
	assert_int_equal(c.max_startups.rate, 100);
	assert_int_equal(c.max_startups.full, 20);
	assert_int_equal(load("max_startups = 10:30\n"
			      "max_frame = 100\n"
			      "\n",
			      &c, &errors),
			 -EINVAL);
	assert_errors(errors, "1: max_startups must be BEGIN:RATE:FULL or a count, not '10:30'\n");
	free(errors);
	assert_int_equal(load("max_startups = 60:30:10\n", &c, &errors), -EINVAL);
	assert_errors(errors, "1: max_startups = 60:30:10: BEGIN must not be above FULL\n");
	free(errors);
	assert_int_equal(load("max_startups = 10:101:60\n", &c, &errors), -EINVAL);
	assert_errors(errors, "1: max_startups = 10:101:60 is out of range (BEGIN and FULL "
			      "1..1000000, RATE 0..100)\n");
	free(errors);
	assert_int_equal(load("max_startups = 0\n", &c, &errors), -EINVAL);
	free(errors);
	assert_int_equal(load("max_startups = 1:2:3:4\n", &c, &errors), -EINVAL);
	free(errors);
	assert_int_equal(load("max_startups = 1:x:3\n", &c, &errors), -EINVAL);
	free(errors);
	assert_int_equal(load("max_startups = 10:\n", &c, &errors), -EINVAL);
	free(errors);
	assert_int_equal(load("max_startups = 1:2:3:\n", &c, &errors), -EINVAL);
	free(errors);
}

static void test_long_line(void **state)
{
	struct config c;
	char *errors = NULL;
	char text[600];

	memset(text, 'x', sizeof(text));
	memcpy(text, "mode = ", 7);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(load(text, &c, &errors), -EINVAL);
	assert_non_null(strstr(errors, ":1: line is longer than"));
	free(errors);
}

static void test_failure_leaves_config_alone(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(load("turns = free\nmax_queue = 0\n", &c, &errors), -EINVAL);
	assert_int_equal(c.turns, TURNS_STRICT);
	assert_int_equal(c.max_queue, 1000);
	free(errors);
}

static void test_missing_file(void **state)
{
	struct config c;
	char *errors = NULL;

	config_init(&c);
	assert_int_equal(config_load(&c, "/nonexistent/frontdesk.conf", &errors), -ENOENT);
	assert_non_null(strstr(errors, "/nonexistent/frontdesk.conf: cannot open"));
	free(errors);
}

static void test_cluster_defaults(void **state)
{
	struct config c;

	config_init(&c);
	assert_false(c.cluster);
	assert_int_equal(c.cluster_port, 6379);
	assert_int_equal(c.cluster_db, 0);
	assert_string_equal(c.cluster_password_file, "");
	assert_string_equal(c.cluster_name, "frontdesk");
	assert_true(strlen(c.node_name) >= 1 && strlen(c.node_name) <= 64);
	assert_int_equal(strspn(c.node_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					     "0123456789_.-"),
			 strlen(c.node_name));
	assert_null(strchr(c.node_name, '.')); /* the host name's first label */
	assert_int_equal(c.cluster_lease, 10);
	assert_int_equal(c.cluster_hold_bytes, 4 * 1024 * 1024);
}

static void test_cluster_url(void **state)
{
	struct config c;
	char *errors = NULL;

	static const struct {
		const char *line, *host;
		unsigned port, db;
	} urls[] = {
		{ "cluster = redis://redis.example.com\n", "redis.example.com", 6379, 0 },
		{ "cluster = redis://10.0.0.7:6380/3\n", "10.0.0.7", 6380, 3 },
		{ "cluster = redis://[::1]/1000\n", "::1", 6379, 1000 },
		{ "cluster = redis://[fe80::1]:7000\n", "fe80::1", 7000, 0 },
	};

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		assert_int_equal(load(urls[i].line, &c, &errors), 0);
		assert_true(c.cluster);
		assert_string_equal(c.cluster_host, urls[i].host);
		assert_int_equal(c.cluster_port, urls[i].port);
		assert_int_equal(c.cluster_db, urls[i].db);
	}
	assert_int_equal(load("cluster = off\n", &c, &errors), 0);
	assert_false(c.cluster);
}

/* @text, one bad line: its error must be @expected (line 1). */
static void assert_refused(const char *text, const char *expected)
{
	struct config c;
	char *errors = NULL;
	char want[512];

	assert_int_equal(load(text, &c, &errors), -EINVAL);
	snprintf(want, sizeof(want), "1: %s\n", expected);
	assert_errors(errors, want);
	free(errors);
}

static void test_cluster_url_errors(void **state)
{
	const char *host = "(a name, an IPv4 address or [IPv6])";
	char msg[256];

	assert_refused("cluster = rediss://h\n",
		       "cluster: TLS to Redis is not supported by hiredis "
		       "0.14; see the README (stunnel)");
	assert_refused("cluster = h:6379\n",
		       "cluster must be off or redis://HOST[:PORT][/DB], not 'h:6379'");
	assert_refused("cluster = redis://h:0\n", "cluster: the port must be 1..65535");
	assert_refused("cluster = redis://h:65536\n", "cluster: the port must be 1..65535");
	assert_refused("cluster = redis://h/1001\n",
		       "cluster: the database must be a number 0..1000");
	assert_refused("cluster = redis://h/x\n", "cluster: the database must be a number 0..1000");
	snprintf(msg, sizeof(msg), "cluster: no usable host in '' %s", host);
	assert_refused("cluster = redis://\n", msg);
	snprintf(msg, sizeof(msg), "cluster: no usable host in '[::1' %s", host);
	assert_refused("cluster = redis://[::1\n", msg);
	snprintf(msg, sizeof(msg), "cluster: no usable host in '[nope]:1' %s", host);
	assert_refused("cluster = redis://[nope]:1\n", msg);
	snprintf(msg, sizeof(msg), "cluster: no usable host in 'u@h' %s", host);
	assert_refused("cluster = redis://u@h\n", msg);
}

static void test_cluster_keys(void **state)
{
	struct config c;
	char *errors = NULL;

	assert_int_equal(
	    load("cluster_name = shop-1.eu_west\nnode_name = a\ncluster_lease = 2\n"
		 "cluster_hold_bytes = 64K\ncluster_password_file = /etc/fd/redis.pw\n",
		 &c, &errors),
	    0);
	assert_string_equal(c.cluster_name, "shop-1.eu_west");
	assert_string_equal(c.node_name, "a");
	assert_int_equal(c.cluster_lease, 2);
	assert_int_equal(c.cluster_hold_bytes, 64 * 1024);
	assert_string_equal(c.cluster_password_file, "/etc/fd/redis.pw");
	assert_int_equal(load("cluster_hold_bytes = 1024M\ncluster_lease = 1h\n", &c, &errors), 0);
	assert_int_equal(c.cluster_hold_bytes, 1024 * 1024 * 1024);
	assert_int_equal(c.cluster_lease, 3600);
	assert_refused("cluster_name = a b\n",
		       "cluster_name must be 1 to 32 of A-Z a-z 0-9 _ . -, not 'a b'");
	assert_refused("cluster_name = 123456789012345678901234567890123\n",
		       "cluster_name must be 1 to 32 of A-Z a-z 0-9 _ . -, not "
		       "'123456789012345678901234567890123'");
	assert_refused("node_name = n/1\n",
		       "node_name must be 1 to 64 of A-Z a-z 0-9 _ . -, not 'n/1'");
	assert_refused("cluster_lease = 1\n", "cluster_lease = 1 is out of range (2..3600)");
	assert_refused("cluster_hold_bytes = 63K\n",
		       "cluster_hold_bytes = 63K is out of range (65536..1073741824)");
	assert_refused("cluster_password_file = pw\n",
		       "cluster_password_file must be an absolute path");
}

/* Files (issue 19): on by default, with their limits; the quota past 4 GiB. */
static void test_files_keys(void **state)
{
	struct config c;
	char *errors = NULL;

	config_init(&c);
	assert_int_equal(c.files, 1);
	assert_int_equal(c.max_file_size, 10485760);
	assert_true(c.files_max_bytes == 1073741824);
	assert_int_equal(c.file_timeout, 60);
	assert_string_equal(c.files_dir, "");
	assert_int_equal(load("files = off\nmax_file_size = 1K\nfiles_max_bytes = 5G\n"
			      "files_dir = /srv/files\nfile_timeout = 2m\n",
			      &c, &errors),
			 0);
	assert_int_equal(c.files, 0);
	assert_int_equal(c.max_file_size, 1024);
	assert_true(c.files_max_bytes == 5ULL << 30);
	assert_string_equal(c.files_dir, "/srv/files");
	assert_int_equal(c.file_timeout, 120);
	assert_int_equal(load("files_max_bytes = 1048576\nmax_file_size = 1044480\n", &c, &errors),
			 0);
	assert_true(c.files_max_bytes == 1048576);
	/* 255 blocks and one for its .type fill 1 MiB: a byte more takes a block more. */
	assert_refused("files_max_bytes = 1048576\nmax_file_size = 1044481\n",
		       "files_max_bytes = 1048576 leaves no room for one file of max_file_size "
		       "(1044481 bytes): the quota counts it as 1052672 (whole 4 KiB blocks and "
		       "one for its type)");
	assert_refused("files = maybe\n", "files must be one of off, on, not 'maybe'");
	assert_refused("files_max_bytes = 1023K\n",
		       "files_max_bytes = 1023K is out of range (1048576..1125899906842624)");
	assert_refused("files_max_bytes = 2P\n", "files_max_bytes must be a size in bytes (suffix "
						 "K, M, G or T allowed), not '2P'");
	assert_refused("files_max_bytes = 99999999999999999999\n",
		       "files_max_bytes = 99999999999999999999 is out of range "
		       "(1048576..1125899906842624)");
	assert_refused("files_max_bytes = 2M\nmax_file_size = 3M\n",
		       "files_max_bytes = 2097152 leaves no room for one file of max_file_size "
		       "(3145728 bytes): the quota counts it as 3149824 (whole 4 KiB blocks and "
		       "one for its type)");
	assert_refused("file_timeout = 0\n", "file_timeout = 0 is out of range (1..3600)");
	assert_refused("files_dir = files\n", "files_dir must be an absolute path");
}

static void test_cluster_password_and_resolve(void **state)
{
	struct config c;
	char pw[64], ip[64], err[256], file[] = "/tmp/test-config-pw-XXXXXX";
	int fd = mkstemp(file);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret \t\nsecond\n", 16), 16);
	close(fd);
	config_init(&c);
	assert_int_equal(config_cluster_password(&c, pw, sizeof(pw), err, sizeof(err)), 0);
	assert_string_equal(pw, "");
	snprintf(c.cluster_password_file, sizeof(c.cluster_password_file), "%s", file);
	assert_int_equal(config_cluster_password(&c, pw, sizeof(pw), err, sizeof(err)), 0);
	assert_string_equal(pw, "s3cret");
	unlink(file);
	assert_int_equal(config_cluster_password(&c, pw, sizeof(pw), err, sizeof(err)), -ENOENT);
	snprintf(c.cluster_host, sizeof(c.cluster_host), "::1");
	assert_int_equal(config_cluster_resolve(&c, ip, sizeof(ip), err, sizeof(err)), 0);
	assert_string_equal(ip, "::1");
	snprintf(c.cluster_host, sizeof(c.cluster_host), "127.0.0.9");
	assert_int_equal(config_cluster_resolve(&c, ip, sizeof(ip), err, sizeof(err)), 0);
	assert_string_equal(ip, "127.0.0.9");
	snprintf(c.cluster_host, sizeof(c.cluster_host), "no-such-host.invalid");
	assert_true(config_cluster_resolve(&c, ip, sizeof(ip), err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cluster: cannot resolve no-such-host.invalid: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_group_gets_line_listener),
		cmocka_unit_test(test_group_limits),
		cmocka_unit_test(test_peer_timeout),
		cmocka_unit_test(test_group_rates),
		cmocka_unit_test(test_every_error_with_its_line),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_section_refused),
		cmocka_unit_test(test_line_listen_needs_group),
		cmocka_unit_test(test_agent_listen_in_clear_refused),
		cmocka_unit_test(test_agent_listen_loopback_or_tls),
		cmocka_unit_test(test_agents_file),
		cmocka_unit_test(test_key_file_shuts_the_line_listener),
		cmocka_unit_test(test_key_file_needs_web_public),
		cmocka_unit_test(test_max_startups),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_failure_leaves_config_alone),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_cluster_defaults),
		cmocka_unit_test(test_cluster_url),
		cmocka_unit_test(test_cluster_url_errors),
		cmocka_unit_test(test_cluster_keys),
		cmocka_unit_test(test_files_keys),
		cmocka_unit_test(test_cluster_password_and_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
