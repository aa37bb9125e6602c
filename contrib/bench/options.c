/* SPDX-License-Identifier: ISC */
/* options.c - frontdesk-bench's command line: what a run is, checked before anything starts. */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: frontdesk-bench --proto frontdesk|frontdesk-ws|redis|irc --port PORT "
		"[options]\n"
		"  (frontdesk-ws: the room's members over WebSocket, --port the web_listen port)\n"
		"  --host ADDR        server address (127.0.0.1)\n"
		"  --pid PID          the server's process, for CPU, RSS and write calls\n"
		"  --watch NAME=PID   another process whose CPU to report (a second node, Redis;\n"
		"                     up to 4; NAME of a-z 0-9 _)\n"
		"  --port2 PORT       frontdesk room: odd members join a second node there (a\n"
		"                     cluster); deliveries across nodes get latencies apart\n"
		"  --members N        members of the room (1000)\n"
		"  --senders S        of them send (10)\n"
		"  --size BYTES       message text (100)\n"
		"  --window W         closed loop: unreceived messages per sender (8)\n"
		"  --rate R           open loop: R messages/s in all, on a schedule\n"
		"  --slow K           K members stop reading when the load starts\n"
		"  --idle             connect the members, report memory, no load\n"
		"  --channel-size N   IRC, idle: N members a channel (every JOIN is told to all)\n"
		"  --relay Q          one customer and one agent ping-pong, Q customers queued\n"
		"  --agent-port PORT  frontdesk relay: the agent listener, with --key-file FILE\n"
		"  --churn RATE       frontdesk: RATE connections/s join, say one thing, leave\n"
		"  --team AGENTS      frontdesk: AGENTS agents (caps ids agent) on --agent-socket\n"
		"                     PATH serve --customers N (1000), --round-trips K each (5)\n"
		"  --arrive RATE      team: customers/s arriving (0: all at once, the default)\n"
		"  --rss-after SECS   read the server's RSS again SECS after the load stops\n"
		"  --warmup SECS      unmeasured load first (1)\n"
		"  --duration SECS    measured load (5)\n"
		"  --label NAME       the scenario's name in the RESULT line\n");
}

/* The options that only set a field: which field, and how the argument is read. */
static const struct field {
	int val;
	enum { F_UINT, F_DOUBLE, F_STRING, F_PID } kind;
	size_t offset;
} fields[] = {
	{ 'h', F_STRING, offsetof(struct options, host) },
	{ 'p', F_UINT, offsetof(struct options, port) },
	{ 'q', F_UINT, offsetof(struct options, port2) },
	{ 'A', F_UINT, offsetof(struct options, agent_port) },
	{ 'K', F_STRING, offsetof(struct options, key_file) },
	{ 'i', F_PID, offsetof(struct options, pid) },
	{ 'm', F_UINT, offsetof(struct options, members) },
	{ 's', F_UINT, offsetof(struct options, senders) },
	{ 'z', F_UINT, offsetof(struct options, size) },
	{ 'w', F_UINT, offsetof(struct options, window) },
	{ 'r', F_DOUBLE, offsetof(struct options, rate) },
	{ 'S', F_UINT, offsetof(struct options, slow) },
	{ 'C', F_UINT, offsetof(struct options, channel_size) },
	{ 'R', F_UINT, offsetof(struct options, relay) },
	{ 'c', F_DOUBLE, offsetof(struct options, churn) },
	{ 'a', F_DOUBLE, offsetof(struct options, rss_after) },
	{ 'W', F_DOUBLE, offsetof(struct options, warmup) },
	{ 'd', F_DOUBLE, offsetof(struct options, duration) },
	{ 'l', F_STRING, offsetof(struct options, label) },
	{ 'T', F_UINT, offsetof(struct options, team) },
	{ 'u', F_UINT, offsetof(struct options, customers) },
	{ 'k', F_UINT, offsetof(struct options, round_trips) },
	{ 'v', F_DOUBLE, offsetof(struct options, arrive) },
	{ 'U', F_STRING, offsetof(struct options, agent_socket) },
};

/* --watch NAME=PID: NAME goes into the RESULT line's keys, so a-z 0-9 _ only. */
static int add_watch(struct options *o, char *arg)
{
	char *eq = strchr(arg, '=');
	int pid;

	if (o->nwatch == MAX_WATCH || !eq || eq == arg ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789_") != (size_t)(eq - arg) ||
	    (pid = atoi(eq + 1)) <= 0)
		return -EINVAL;
	*eq = '\0';
	o->watch[o->nwatch++] = (struct watch){ .name = arg, .pid = (pid_t)pid };
	return 0;
}

/* Option @c with @arg into @o; -EINVAL for one it does not know. */
static int set_option(struct options *o, int c, char *arg)
{
	char *field = (char *)o;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].val != c)
			continue;
		field += fields[i].offset;
		if (fields[i].kind == F_UINT)
			*(unsigned *)field = (unsigned)atoi(arg);
		else if (fields[i].kind == F_DOUBLE)
			*(double *)field = atof(arg);
		else if (fields[i].kind == F_PID)
			*(pid_t *)field = (pid_t)atoi(arg);
		else
			*(const char **)field = arg;
		return 0;
	}
	switch (c) {
	case 'P':
		if (strcmp(arg, "frontdesk") == 0)
			o->proto = &proto_frontdesk;
		else if (strcmp(arg, "redis") == 0)
			o->proto = &proto_redis;
		else if (strcmp(arg, "irc") == 0)
			o->proto = &proto_irc;
		else if (strcmp(arg, "frontdesk-ws") == 0)
			o->proto = &proto_frontdesk_ws;
		else
			return -EINVAL;
		return 0;
	case 'I':
		o->idle = true;
		return 0;
	case 'X':
		return add_watch(o, arg);
	case 'H':
		bench_usage(stdout);
		exit(0);
	default:
		return -EINVAL;
	}
}

/* Combinations that make no run. */
static bool options_valid(const struct options *o)
{
	return !(
	    o->port == 0 || o->size < PAYLOAD_HEAD || o->size > FD_PAYLOAD_MAX || o->members < 2 ||
	    (!o->idle && !o->relay && (!o->senders || o->senders >= o->members)) || o->window < 1 ||
	    (o->channel_size && !o->idle) || (o->slow && o->slow + o->senders + 2 > o->members) ||
	    (o->relay && o->proto == &proto_frontdesk && (!o->agent_port || !o->key_file)) ||
	    (o->churn && (o->churn < 0 || o->proto != &proto_frontdesk || o->relay || o->idle)) ||
	    o->rss_after < 0 ||
	    (o->port2 &&
	     (o->proto != &proto_frontdesk || o->relay || o->idle || o->churn || o->team)) ||
	    (o->team && (o->proto != &proto_frontdesk || !o->agent_socket || !o->customers ||
			 !o->round_trips || o->arrive < 0 || o->relay || o->idle || o->churn)) ||
	    /* over WebSocket: the room's members only (the desk's agent has its own listener) */
	    (o->proto == &proto_frontdesk_ws && (o->relay || o->churn || o->port2 || o->team)));
}

int bench_parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "proto", required_argument, NULL, 'P' },
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "port2", required_argument, NULL, 'q' },
		{ "watch", required_argument, NULL, 'X' },
		{ "agent-port", required_argument, NULL, 'A' },
		{ "key-file", required_argument, NULL, 'K' },
		{ "pid", required_argument, NULL, 'i' },
		{ "members", required_argument, NULL, 'm' },
		{ "senders", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "window", required_argument, NULL, 'w' },
		{ "rate", required_argument, NULL, 'r' },
		{ "slow", required_argument, NULL, 'S' },
		{ "idle", no_argument, NULL, 'I' },
		{ "channel-size", required_argument, NULL, 'C' },
		{ "relay", required_argument, NULL, 'R' },
		{ "churn", required_argument, NULL, 'c' },
		{ "rss-after", required_argument, NULL, 'a' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "duration", required_argument, NULL, 'd' },
		{ "label", required_argument, NULL, 'l' },
		{ "team", required_argument, NULL, 'T' },
		{ "customers", required_argument, NULL, 'u' },
		{ "round-trips", required_argument, NULL, 'k' },
		{ "arrive", required_argument, NULL, 'v' },
		{ "agent-socket", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){ .proto = &proto_frontdesk,
			       .host = "127.0.0.1",
			       .members = 1000,
			       .senders = 10,
			       .size = 100,
			       .window = 8,
			       .duration = 5,
			       .warmup = 1,
			       .settle = 1,
			       .label = "-",
			       .customers = 1000,
			       .round_trips = 5 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if (set_option(o, c, optarg) < 0)
			return -EINVAL;
	return optind == argc && options_valid(o) ? 0 : -EINVAL;
}
