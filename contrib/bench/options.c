/* SPDX-License-Identifier: ISC */
/* options.c - frontdesk-bench's command line: what a run is, checked before anything starts. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: frontdesk-bench --proto frontdesk|redis|irc --port PORT [options]\n"
		"  --host ADDR        server address (127.0.0.1)\n"
		"  --pid PID          the server's process, for CPU, RSS and write calls\n"
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
		"  --rss-after SECS   read the server's RSS again SECS after the load stops\n"
		"  --warmup SECS      unmeasured load first (1)\n"
		"  --duration SECS    measured load (5)\n"
		"  --label NAME       the scenario's name in the RESULT line\n");
}

int bench_parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "proto", required_argument, NULL, 'P' },
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
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
			       .label = "-" };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (strcmp(optarg, "frontdesk") == 0)
				o->proto = &proto_frontdesk;
			else if (strcmp(optarg, "redis") == 0)
				o->proto = &proto_redis;
			else if (strcmp(optarg, "irc") == 0)
				o->proto = &proto_irc;
			else
				return -EINVAL;
			break;
		case 'h':
			o->host = optarg;
			break;
		case 'p':
			o->port = (unsigned)atoi(optarg);
			break;
		case 'A':
			o->agent_port = (unsigned)atoi(optarg);
			break;
		case 'K':
			o->key_file = optarg;
			break;
		case 'i':
			o->pid = (pid_t)atoi(optarg);
			break;
		case 'm':
			o->members = (unsigned)atoi(optarg);
			break;
		case 's':
			o->senders = (unsigned)atoi(optarg);
			break;
		case 'z':
			o->size = (unsigned)atoi(optarg);
			break;
		case 'w':
			o->window = (unsigned)atoi(optarg);
			break;
		case 'r':
			o->rate = atof(optarg);
			break;
		case 'S':
			o->slow = (unsigned)atoi(optarg);
			break;
		case 'I':
			o->idle = true;
			break;
		case 'C':
			o->channel_size = (unsigned)atoi(optarg);
			break;
		case 'R':
			o->relay = (unsigned)atoi(optarg);
			break;
		case 'c':
			o->churn = atof(optarg);
			break;
		case 'a':
			o->rss_after = atof(optarg);
			break;
		case 'W':
			o->warmup = atof(optarg);
			break;
		case 'd':
			o->duration = atof(optarg);
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'H':
			bench_usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || !o->port || o->size < PAYLOAD_HEAD || o->size > FD_PAYLOAD_MAX ||
	    o->members < 2 ||
	    (!o->idle && !o->relay && (!o->senders || o->senders >= o->members)) || o->window < 1 ||
	    (o->channel_size && !o->idle) || (o->slow && o->slow + o->senders + 2 > o->members) ||
	    (o->relay && o->proto == &proto_frontdesk && (!o->agent_port || !o->key_file)) ||
	    (o->churn && (o->churn < 0 || o->proto != &proto_frontdesk || o->relay || o->idle)) ||
	    o->rss_after < 0)
		return -EINVAL;
	return 0;
}
